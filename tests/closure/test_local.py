"""The learned local constitutive relation (closure.nn.local) and its finite-volume system
(closure.systems.local): the map's structure, its tabulated inverse, and the closed system's
conservation, symmetry and consistency with the shock ODE.

The maps here are untrained (seeded initial weights): every such map is monotone, dissipative
and NSF to first order by construction, which is what is tested."""

from pathlib import Path

import numpy as np
import pytest
import torch

import boltzmann as bz
from boltzmann.errors import FileFormatError, InputError
from closure import kernels
from closure.fv import FVNumerics, FVSolver
from closure.metrics import profile_errors
from closure.nn.local import A0, B0, X_MAX, Y_MAX, LocalMap, fit_local_map  # noqa: F401
from closure.shock_ode import nsf_shock
from closure.systems import NSF, SYSTEMS
from closure.systems.local import DEFAULT_MODEL, EnvelopeWarning, LocalNSF
from tests.conftest import assert_mirrored_tube

GAS = bz.Gas(omega=0.5)


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(3)
    return LocalMap(width=8, members=2, scale=(0.2, 1.5), box=(0.0, 1.0, 25.0))


@pytest.fixture(scope="module")
def table(net):
    return net.inverse_table(nx=81, ny=41)


def test_map_structure(net):
    rng = np.random.default_rng(0)
    s, q = rng.normal(0, 0.5, 50), rng.normal(0, 3.0, 50)
    a, b = net.numpy(s, q)
    a2, b2 = net.numpy(s, -q)
    assert np.allclose(a2, a, rtol=1e-13, atol=1e-15)  # reflection: b flips, a does not
    assert np.allclose(b2, -b, rtol=1e-13, atol=1e-15)
    # entropy production p^2/(mu T) [(3/4) s a + (Pr/c_p) q b] >= 0, Pr/c_p = 4/15
    assert np.all(0.75 * s * a + 4.0 / 15.0 * q * b >= 0.0)
    x = torch.tensor(np.stack([s, q], 1))
    _, J = net._value_jacobian(x)
    WJ = np.array([0.75, 4.0 / 15.0])[None, :, None] * J.numpy()
    assert np.allclose(WJ, WJ.transpose(0, 2, 1), atol=1e-10)  # W J: a Hessian
    assert np.all(np.linalg.eigvalsh(WJ) > 0.0)  # monotone in the W inner product
    _, J0 = net._value_jacobian(torch.zeros(1, 2, dtype=torch.float64))
    assert np.allclose(J0.numpy()[0], np.eye(2), atol=1e-10)  # NSF to first order
    assert net.numpy(0.0, 0.0) == (0.0, 0.0)


def test_inverse_table_and_kernel(net, table):
    tab, kd = table
    nx, ny = tab.shape[0] // 4, tab.shape[1]
    assert kd > 0.0
    rng = np.random.default_rng(1)
    a = A0 * np.sinh(rng.uniform(-6, 6, 40))
    b = B0 * np.sinh(rng.uniform(-6, 6, 40)) * rng.choice([-1, 1], 40)
    s, q, J = net.invert(a, b)
    sa, qb = net.numpy(s, q)
    assert np.allclose(sa, a, rtol=1e-9, atol=1e-12) and np.allclose(qb, b, rtol=1e-9,
                                                                      atol=1e-12)
    got = np.array([kernels.local_fluxes(x, y, tab, nx, ny) for x, y in zip(a, b)])
    err = np.abs(got - np.stack([s, q], 1)) / (1.0 + np.abs(np.stack([s, q], 1)))
    assert err.max() < 2e-3, err.max()  # bicubic on an 81 x 41 table
    # the step bound's slope covers the exact ds/da and dq/db (within the table's resolution)
    inv = np.linalg.inv(J)
    slope = np.array([kernels.local_slope(x, y, tab, nx, ny) for x, y in zip(a, b)])
    assert np.all(slope >= 0.98 * np.maximum(inv[:, 0, 0], inv[:, 1, 1]))
    # nodes are reproduced exactly, and q is odd in b
    i, j = 30, 17
    node = (A0 * np.sinh(-X_MAX + 2 * X_MAX * i / (nx - 1)), B0 * np.sinh(Y_MAX * j / (ny - 1)))
    assert np.allclose(kernels.local_fluxes(*node, tab, nx, ny), (tab[i, j], tab[nx + i, j]),
                       rtol=1e-12)
    s1, q1 = kernels.local_fluxes(node[0], -node[1], tab, nx, ny)
    assert s1 == pytest.approx(tab[i, j], rel=1e-12) and q1 == pytest.approx(-tab[nx + i, j])


def _solver(problem, net, nx=120):
    system = LocalNSF(GAS, GAS.mu_ref(problem.mfp_ref), net=net)
    return FVSolver(problem, GAS, system, FVNumerics(nx=nx))


def test_periodic_conservation_and_reflection(net):
    wave = bz.PeriodicWave(kn=0.05, amplitude=0.3, u0=0.4)
    solver = _solver(wave, net, 64)
    U0 = solver.U.sum(1).copy()
    solver.advance(max_steps=60)
    assert np.allclose(solver.U.sum(1), U0, rtol=1e-13, atol=1e-13)

    assert_mirrored_tube(lambda p: _solver(p, net), bz.ShockTube.sod(kn=0.05, t_end=0.05))


def test_steady_shock_matches_ode():
    torch.manual_seed(3)  # smaller scales than the fixture's: a map clearly apart from NSF
    net = LocalMap(width=8, members=2, scale=(0.1, 0.5), box=(0.0, 1.0, 25.0))
    mach = 3.0
    prob = bz.NormalShock(mach=mach)
    system = LocalNSF(GAS, GAS.mu_ref(prob.mfp_ref), net=net)
    fv = FVSolver(prob, GAS, system, FVNumerics(dx=0.125)).run()
    ode = nsf_shock(mach, GAS, 2.0 / 3.0, constitutive=net.as_constitutive())
    nsf = nsf_shock(mach, GAS, 2.0 / 3.0)
    names = ("rho", "T", "sigma_xx", "q_x")
    err = profile_errors(ode["x"], {k: ode[k] for k in names}, fv.x, fv.moments, window=10)
    far = profile_errors(ode["x"], {k: ode[k] for k in names}, nsf["x"], nsf, window=10)
    for k in names:
        assert err[k] < 0.02, (k, err)
    assert max(far.values()) > 3 * max(err.values())  # the map is not NSF


def test_model_file_and_bad_input(net, tmp_path):
    path = tmp_path / "m.pt"
    net.save(path, note="test")
    back = LocalMap.load(path)
    s, q = np.array([0.3, -0.1]), np.array([1.0, -2.0])
    assert np.array_equal(np.array(back.numpy(s, q)), np.array(net.numpy(s, q)))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    bad = tmp_path / "bad.pt"
    bad.write_bytes(bytes(raw))
    with pytest.raises(FileFormatError):
        LocalMap.load(bad)
    with pytest.raises(InputError, match="Pr"):
        LocalNSF(GAS, 1.0, prandtl=1.0, net=net)
    with pytest.raises(InputError, match="monatomic"):
        LocalNSF(bz.Gas(dof=1), 1.0, net=net)
    with pytest.raises(InputError):
        fit_local_map(np.zeros((5, 2)), np.zeros((4, 2)))


def test_fit_reduces_loss():
    rng = np.random.default_rng(0)
    s, q = rng.uniform(0, 1, 200), rng.uniform(-2, 0, 200)
    a, b = s * (1 + 0.5 * s), q * (1 + 0.1 * q * q)
    model = fit_local_map(np.stack([s, q], 1), np.stack([a, b], 1), width=8, seeds=(0,),
                          iters=1, prandtl=2.0 / 3.0)
    first = model.meta["training"][0]["loss"]
    model = fit_local_map(np.stack([s, q], 1), np.stack([a, b], 1), width=8, seeds=(0,),
                          iters=150, prandtl=2.0 / 3.0)
    assert model.meta["training"][0]["loss"] < 0.2 * first


def test_galilean_invariance_of_the_face_fluxes(net):
    system = LocalNSF(GAS, 0.3, net=net)
    x = np.linspace(0.0, 1.0, 40)
    rho, u, T = 1.0 + 0.5 * np.sin(3 * x), 0.8 * np.cos(2 * x), 1.0 + 0.7 * x * x
    sigma, q = system.face_fluxes(system.from_primitive(rho, u, T), 0.02)
    sigma2, q2 = system.face_fluxes(system.from_primitive(rho, u + 2.7, T), 0.02)
    assert np.allclose(sigma2, sigma, rtol=1e-12, atol=1e-14)
    assert np.allclose(q2, q, rtol=1e-12, atol=1e-14)
    nsf = NSF(GAS, 0.3).face_flux(system.from_primitive(rho, u, T), 0.02)[1]
    assert np.max(np.abs(sigma - nsf)) > 1e-3 * np.max(np.abs(nsf))  # not NSF


def test_shipped_model_and_envelope_warning():
    system = SYSTEMS["local"](GAS, GAS.mu_ref(1.0))
    assert system.net.meta["train_machs"] and system.model_attrs["weights_sha256"]
    tube = bz.ShockTube.sod(kn=3.0, t_end=0.02)  # large smooth gradients: beyond the shocks
    solver = FVSolver(tube, GAS, system, FVNumerics(nx=50))
    with pytest.warns(EnvelopeWarning, match="outside the range of its training data"):
        solver.run_until(tube.t_end)


def test_main_job_styles_every_system():
    """Every moment system of the main job's config has a plot style (the job crashed at its
    figure on a new system once)."""
    import tomllib

    root = Path(__file__).resolve().parents[2] / "experiments" / "shock_structure"
    systems = tomllib.loads((root / "config.toml").read_text())["moments"]["systems"]
    source = (root / "run.py").read_text()
    style = source[source.index("SYSTEM_STYLE = {"):source.index("}\n", source.index(
        "SYSTEM_STYLE = {"))]
    for name in systems:
        assert f'"{name}":' in style, name
        assert name in SYSTEMS or name == "learned"


def test_closed_form_map_equals_the_autograd_map():
    """`explicit` (torch, no inner autograd) and `as_constitutive` (NumPy) give the autograd
    map of `forward` to round-off, on the shipped model and inside and beyond its data."""
    net = LocalMap.load(DEFAULT_MODEL)
    s = torch.tensor([-0.4, 0.0, 0.3, 1.2, 2.5, 6.0], dtype=torch.float64)
    q = torch.tensor([0.2, -1.5, 3.0, -0.7, 8.0, 20.0], dtype=torch.float64)
    a, b = net(s, q)
    a2, b2 = net.explicit(s, q)
    cmap = net.as_constitutive()
    for k in range(len(s)):
        scale = 1.0 + abs(float(a[k])) + abs(float(b[k]))
        assert abs(float(a2[k] - a[k])) < 1e-11 * scale
        assert abs(float(b2[k] - b[k])) < 1e-11 * scale
        a3, b3 = cmap(float(s[k]), float(q[k]))
        assert abs(a3 - float(a[k])) < 1e-11 * scale and abs(b3 - float(b[k])) < 1e-11 * scale
