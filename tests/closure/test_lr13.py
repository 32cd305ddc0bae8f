"""R13 with the learned regularisation (`closure.nn.regularisation`, `closure.systems.lr13`):
kernel against the torch network, reflection symmetry, monotone fluxes, conservation, model
files and a small training run."""

import numpy as np
import pytest
import torch

import boltzmann as bz
from boltzmann.errors import FileFormatError
from closure import kernels
from closure.fv import FVNumerics, FVSolver
from closure.nn.regularisation import RegularisationNet, fit_regularisation, roughness
from closure.systems import R13, LearnedR13


def _net(seed=0, width=8, **kw):
    torch.manual_seed(seed)
    net = RegularisationNet(width, 3.0, **kw)
    with torch.no_grad():  # larger weights than the default init: a non-trivial network
        for p in net.parameters():
            p.mul_(3.0)
    return net


def _kernel(net, state, r13):
    par = np.concatenate([np.zeros(kernels.LR13_PAR), net.pack()])
    work = np.empty(kernels.lr13_work(par))
    return np.array([kernels.regularised(par, s, q, m, r, 1.0, 1.0, work)[:2]
                     for (s, q), (m, r) in zip(state, r13)])


@pytest.mark.parametrize("kw", [{}, {"phi_min": 1.0}, {"phi_min": 0.5, "saturate": False}])
def test_kernel_evaluates_the_torch_network(kw):
    rng = np.random.default_rng(0)
    state = rng.normal(size=(50, 2)) * [0.5, 2.0]
    r13 = rng.normal(size=(50, 2)) * 3.0
    net = _net(**kw)
    with torch.no_grad():
        ref = net(state, r13).numpy()
        phi, a = net.coefficients(state)
    assert float(phi.min()) > kw.get("phi_min", 0.0)
    assert kw.get("saturate", True) or float(a.abs().max()) == 0.0
    np.testing.assert_allclose(_kernel(net, state, r13), ref, rtol=1e-12, atol=1e-14)


def test_reflection_invariance_and_monotone_fluxes():
    """phi and a are invariant under q^ -> -q^ (x -> -x) to round-off, so the regularised
    m_xxx (odd) and R (even) transform as R13's; each flux increases with R13's term."""
    rng = np.random.default_rng(1)
    state = rng.normal(size=(200, 2))
    net = _net(2)
    with torch.no_grad():
        phi, a = net.coefficients(state)
        phi_m, a_m = net.coefficients(state * [1.0, -1.0])
        assert torch.equal(phi, phi_m) and torch.equal(a, a_m)
        assert float(phi.max()) < 3.0 and float(a.min()) >= 0.0
        g = torch.linspace(-50.0, 50.0, 401, dtype=torch.float64)
        for s in state[:20]:
            out = net(np.repeat(s[None], g.numel(), 0), torch.stack([g, g], 1))
            assert torch.all(torch.diff(out, dim=0) > 0.0)


def test_conservation_and_mirror_symmetry_in_the_solver():
    """Periodic wave: mass, momentum and energy to round-off; the mirrored tube gives the
    mirrored solution to round-off."""
    gas = bz.Gas()
    system = LearnedR13(gas, gas.mu_ref(1.0), net=_net(3))
    wave = bz.PeriodicWave(amplitude=0.3, u0=0.4, kn=0.05, t_end=0.05)
    s = FVSolver(wave, gas, LearnedR13(gas, gas.mu_ref(wave.mfp_ref), net=_net(3)),
                 FVNumerics(nx=48))
    before = s.U[:3].sum(axis=1)
    s.run()
    assert np.all(np.abs(s.U[:3].sum(axis=1) - before) / np.abs(before) < 1e-13)
    assert system.par.size == kernels.LR13_PAR + system.net.pack().size
    State = bz.problems.State
    tube = bz.ShockTube(State(1.0, 0.3, 1.0), State(0.4, -0.2, 0.6), kn=0.05, t_end=0.05)
    mirror = bz.ShockTube(State(0.4, 0.2, 0.6), State(1.0, -0.3, 1.0), kn=0.05, t_end=0.05)
    a = FVSolver(tube, gas, LearnedR13(gas, gas.mu_ref(tube.mfp_ref), net=_net(3)),
                 FVNumerics(nx=60)).run()
    b = FVSolver(mirror, gas, LearnedR13(gas, gas.mu_ref(mirror.mfp_ref), net=_net(3)),
                 FVNumerics(nx=60)).run()
    for k, sign in (("rho", 1), ("u", -1), ("T", 1), ("sigma_xx", 1), ("q_x", -1)):
        np.testing.assert_allclose(a[k], sign * b[k][::-1], rtol=1e-11, atol=1e-12)


def test_model_file_round_trip_and_refusals(tmp_path):
    net = _net(4)
    path = net.save(tmp_path / "r.pt")
    back = RegularisationNet.load(path)
    np.testing.assert_array_equal(back.pack(), net.pack())
    bounded = _net(4, phi_min=0.7, saturate=False)
    back = RegularisationNet.load(bounded.save(tmp_path / "b.pt"))
    assert (back.phi_min, back.saturate) == (0.7, False)
    np.testing.assert_array_equal(back.pack(), bounded.pack())
    with pytest.raises(ValueError, match="phi_min"):
        RegularisationNet(8, 3.0, phi_min=3.0)
    with pytest.raises(ValueError, match="net="):
        fit_regularisation(None, None, net=net, phi_min=1.0)
    blob = bytearray(open(path, "rb").read())
    blob[len(blob) // 2] ^= 0xFF
    bad = tmp_path / "bad.pt"
    bad.write_bytes(bytes(blob))
    with pytest.raises(FileFormatError):
        RegularisationNet.load(bad)
    with pytest.raises(FileFormatError):
        LearnedR13(bz.Gas(), 1.0, net=tmp_path / "missing.pt")


def test_training_lowers_the_validation_loss():
    """Synthetic targets of the form the network can represent (phi = 1.5 + q^ tanh,
    a = 0.2): 150 epochs bring the validation loss below a third of the first epoch's."""
    rng = np.random.default_rng(5)

    def data(n):
        state = rng.normal(size=(n, 2)) * [0.3, 0.5]
        r13 = rng.normal(size=(n, 2)) * 2.0
        phi = 1.5 + 0.5 * np.tanh(state[:, :1] + state[:, 1:] ** 2)
        return state, phi * r13 / (1.0 + 0.2 * np.abs(r13)), r13

    net, rec = fit_regularisation(data(2000), data(500), width=8, epochs=150, patience=150)
    assert rec["val_loss"] < rec["first_val_loss"] / 3.0, rec
    # the roughness penalty makes the coefficients flatter functions of the state
    val = data(500)
    smooth, _ = fit_regularisation(data(2000), val, width=8, epochs=150, patience=150,
                                   smooth=1.0)
    states = torch.as_tensor(val[0])
    assert roughness(smooth, states).detach() < 0.3 * roughness(net, states).detach()


def test_shipped_model_runs_from_the_command_line(tmp_path):
    """`--model lr13` loads the shipped network (closure/models/lr13.pt) and writes the same
    profiles as every other model."""
    from closure.cli import main

    assert main(["tube", "--sod", "--kn", "0.1", "--nx", "100", "--model", "lr13", "--out",
                 str(tmp_path / "s.h5")]) == 0
    sol = bz.read_solution(tmp_path / "s.h5")
    assert sol.params["model"]["name"] == "lr13"
    assert np.all(np.isfinite(sol["q_x"])) and np.all(sol["rho"] > 0.0)


def test_training_terms_are_the_solvers_r13_terms():
    """The training data's R13 terms (`r13_terms`, NumPy) equal the ones the numba kernel
    adds to the fluxes at the same faces, so the network is trained on what the solver
    feeds it."""
    from closure.nn.regularisation import r13_terms

    gas = bz.Gas(omega=0.7)
    system = R13(gas, 0.3)
    rng = np.random.default_rng(6)
    n, dx = 40, 0.05
    x = np.arange(n) * dx
    rho = 1.0 + 0.3 * np.sin(x) + 0.01 * rng.random(n)
    u = 0.4 * np.cos(2 * x)
    T = 1.0 + 0.5 * x
    sig = 0.2 * np.sin(3 * x)
    q = -0.3 * np.cos(x)
    Ug = system.from_primitive(rho, u, T, sig, q)
    F = np.zeros((5, n - 2 * kernels.NG + 1))
    kernels.dissipative_flux(kernels.R13, Ug, dx, system.par, F, np.empty((7, n)),
                             system.table)
    faces = slice(1, n - 2)  # kernel face f lies between cells f + 1 and f + 2
    m, R = r13_terms(rho, T, sig, q, 0.3 * (0.5 * (T[1:] + T[:-1])) ** 0.7, dx)
    energy = (u[1:-2] + u[2:-1]) * m[faces] + R[faces]
    # round-off of the kernel's conserved-variable round trip and differences
    np.testing.assert_allclose(F[3], m[faces], rtol=1e-12, atol=1e-12 * np.abs(m).max())
    np.testing.assert_allclose(F[4], energy, rtol=1e-12, atol=1e-12 * np.abs(energy).max())


def test_frozen_multipliers_reproduce_the_learned_and_r13_right_hand_sides():
    """FrozenR13 with the network's multipliers at a state has the learned R13's right-hand
    side at that state (to round-off), and with multipliers 1 it is R13."""
    from closure.systems.lr13 import FrozenR13

    gas = bz.Gas()
    tube = bz.ShockTube.moving_shock(3.0, gas, kn=0.05)
    mu_ref = gas.mu_ref(tube.mfp_ref)
    s = FVSolver(tube, gas, LearnedR13(gas, mu_ref, net=_net(3)), FVNumerics(nx=60))
    s.advance(max_steps=40)
    U, n = s.U, s.U.shape[1]
    Ug = np.empty((U.shape[0], n + 2 * kernels.NG))

    def rhs(system):
        kernels.fill_ghosts(system.code, U, Ug, s._bc, s._left, s._down, system.par)
        out = np.empty_like(U)
        kernels.rhs(system.code, Ug, s.dx, system.par, system.table, out)
        return out

    learned = rhs(s.system)
    K = s.system.multipliers(Ug, s.dx)
    assert K.shape == (2, n + 1) and np.ptp(K) > 0.1  # the network does vary along the tube
    frozen = rhs(FrozenR13(gas, mu_ref, K))
    np.testing.assert_allclose(frozen, learned, rtol=1e-10, atol=1e-10 * np.abs(learned).max())
    np.testing.assert_array_equal(rhs(FrozenR13(gas, mu_ref, np.ones((2, n + 1)))),
                                  rhs(R13(gas, mu_ref)))
