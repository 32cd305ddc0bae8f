"""The non-local closure (closure.systems.nonlocal_nsf): the kernel against the NumPy
reference, the screening solve against dense algebra, the NSF limits, conservation,
symmetries, the model file and its refusals, and the a-priori fit."""

import json
from dataclasses import replace

import numpy as np
import pytest

import boltzmann as bz
from boltzmann.errors import InputError
from closure import kernels, stepping
from closure.fv import FVNumerics, FVSolver
from closure.metrics import profile_errors, rel_l2
from closure.systems import NSF, SYSTEMS
from closure.systems.local import EnvelopeWarning
from closure.systems.nonlocal_nsf import (
    DEFAULT_MODEL,
    NonlocalNSF,
    NonlocalParams,
    apriori_fluxes,
    coupling_ratio,
    fit_nonlocal,
    gradient_knudsen,
    screen_numpy,
)
from tests.conftest import assert_mirrored_tube

GAS = bz.Gas(omega=0.5)
PARAMS = NonlocalParams(0.25, 1.8, 1.7, 0.2, 2.5, 4.7, gamma_sigma=1.5, gamma_q=1.0,
                        alpha_hot=5.0, c_sigma=-0.08)
FIRST = NonlocalParams(0.25, 1.8, 1.7, 0.2, 2.5, 4.7)  # the first version's form


def _profile(n=50, dx=0.1, seed=0):
    rng = np.random.default_rng(seed)
    x = np.arange(n) * dx
    return x, 1.0 + 0.3 * rng.random(n), rng.normal(size=n), 1.0 + rng.random(n)


def test_kernel_equals_the_numpy_reference_and_nsf_limit():
    mu_ref = GAS.mu_ref(1.0)
    x, rho, u, T = _profile()
    kn = gradient_knudsen(x, rho, u, T, GAS, mu_ref)
    capped = replace(PARAMS, kn_max=float(np.median(kn)))  # the cap binds at half the faces
    fade = float(np.median(kn))  # phi from 0.1 to 1 over the faces
    for params in (PARAMS, capped, FIRST, replace(PARAMS, w0_q=1.0), replace(PARAMS, kn_fade=fade),
                   replace(capped, kn_fade=fade), replace(FIRST, kn_fade=fade),
                   replace(PARAMS, w0_q=1.0, w0_sigma=1.0, kn_fade=fade)):
        system = NonlocalNSF(GAS, mu_ref, params=params)
        sigma, q = system.face_fluxes(system.from_primitive(rho, u, T), 0.1)
        _, s_ref, q_ref = apriori_fluxes(x, rho, u, T, params, GAS, mu_ref)
        assert np.allclose(sigma, s_ref, rtol=1e-12, atol=1e-14 * np.abs(s_ref).max())
        assert np.allclose(q, q_ref, rtol=1e-12, atol=1e-14 * np.abs(q_ref).max())
    assert not np.allclose(apriori_fluxes(x, rho, u, T, PARAMS, GAS, mu_ref)[2], q_ref)
    # w0 = 1 and beta = 0: NSF to round-off
    local = NonlocalNSF(GAS, mu_ref, params=NonlocalParams(1.0, 2.0, 0.0, 1.0, 3.0, 0.0))
    U = local.from_primitive(rho, u, T)
    assert np.allclose(local.face_flux(U, 0.1), NSF(GAS, mu_ref).face_flux(U, 0.1),
                       rtol=1e-13, atol=1e-15)
    assert not np.allclose(sigma, NSF(GAS, mu_ref).face_flux(U, 0.1)[1], rtol=1e-2)


def test_screening_solve_against_dense_algebra():
    rng = np.random.default_rng(1)
    m, dx = 13, 0.3
    y, l2 = rng.normal(size=m), rng.random(m) + 0.1
    # open domains: Y = y at the end faces
    A = np.eye(m)
    for i in range(1, m - 1):
        for j in (i - 1, i + 1):
            e = 0.5 * (l2[i] + l2[j]) / dx**2
            A[i, i] += e
            A[i, j] -= e
    out = y.copy()
    kernels.screen(out, l2, m, dx, False, np.empty((4, m)))
    assert np.allclose(out, np.linalg.solve(A, y), rtol=1e-13, atol=1e-14)
    assert out[0] == y[0] and out[-1] == y[-1]
    assert np.allclose(screen_numpy(y, l2, dx), out, rtol=1e-12, atol=1e-14)
    # periodic: faces 0 and m - 1 are one face
    y[-1], l2[-1] = y[0], l2[0]
    n = m - 1
    A = np.eye(n)
    for i in range(n):
        j = (i + 1) % n
        e = 0.5 * (l2[i] + l2[j]) / dx**2
        A[i, i] += e
        A[j, j] += e
        A[i, j] -= e
        A[j, i] -= e
    out = y.copy()
    kernels.screen(out, l2, m, dx, True, np.empty((4, m)))
    assert np.allclose(out[:n], np.linalg.solve(A, y[:n]), rtol=1e-13, atol=1e-14)
    assert out[-1] == out[0]


def test_continuum_limit_is_nsf():
    """As Kn -> 0 on a fixed smooth profile the closure tends to NSF, at first order, and at
    third order with a fade (phi = O(Kn^2): the gain's part O(Kn^3), the coupling's too)."""
    x = np.linspace(0.0, 1.0, 201)
    rho, u, T = 1.0 + 0.2 * np.sin(2 * np.pi * x), 0.3 * np.cos(2 * np.pi * x), \
        1.0 + 0.3 * np.sin(2 * np.pi * x + 1.0)

    def gaps(params):
        out = []
        for kn in (1e-2, 1e-3):
            mu_ref = GAS.mu_ref(kn)
            _, s, q = apriori_fluxes(x, rho, u, T, params, GAS, mu_ref)
            _, s0, q0 = apriori_fluxes(x, rho, u, T, NonlocalParams(), GAS, mu_ref)
            out.append(max(np.abs(s - s0).max() / np.abs(s0).max(),
                           np.abs(q - q0).max() / np.abs(q0).max()))
        return out

    first = gaps(PARAMS)
    assert first[0] < 0.3
    assert first[1] < first[0] / 7  # first order in Kn (ratio 10 ideally; measured 7.24)
    faded = gaps(replace(PARAMS, kn_fade=0.1))
    assert faded[0] < first[0] / 3
    assert faded[1] < faded[0] / 300  # third order (ratio 1000 ideally; measured 540)


def _solver(problem, nx=64, **kw):
    system = NonlocalNSF(GAS, GAS.mu_ref(problem.mfp_ref), params=PARAMS)
    return FVSolver(problem, GAS, system, FVNumerics(nx=nx, **kw))


def test_periodic_conservation_reflection_and_galilean_invariance():
    wave = bz.PeriodicWave(kn=0.3, amplitude=0.3, u0=0.4)
    solver = _solver(wave)
    U0 = solver.U.sum(1).copy()
    solver.advance(max_steps=60)
    assert np.allclose(solver.U.sum(1), U0, rtol=1e-13, atol=1e-13)
    assert solver._par[-1] == 1.0  # the cyclic screening on the periodic domain

    right = assert_mirrored_tube(lambda p: _solver(p, 100),
                                 bz.ShockTube.sod(kn=0.05, t_end=0.05))

    system = right.system
    _, rho, u, T = _profile(40, 0.02, seed=4)
    sigma, q = system.face_fluxes(system.from_primitive(rho, u, T), 0.02)
    sigma2, q2 = system.face_fluxes(system.from_primitive(rho, u + 2.7, T), 0.02)
    assert np.allclose(sigma2, sigma, rtol=1e-12, atol=1e-14 * np.abs(sigma).max())
    assert np.allclose(q2, q, rtol=1e-12, atol=1e-12 * np.abs(q).max())


def test_periodic_fluxes_are_shift_equivariant():
    """On a periodic domain a cyclic shift of the cells shifts the face fluxes alike, to
    round-off: the cyclic screening solves and the coupling's derivative across the seam
    (faces 0 and n are one face) have no preferred cell."""
    wave = bz.PeriodicWave(kn=0.3, amplitude=0.3, u0=0.4)
    solver = _solver(wave, 32)
    _, rho, u, T = _profile(32, solver.dx, seed=7)
    U = solver.system.from_primitive(rho, u, T)
    for k in (0, 1, 5, 31):
        solver.U[:] = np.roll(U, k, axis=1)
        F = solver.system.face_flux(solver.U, solver.dx, solver.ghosted(), solver._par)
        if k == 0:
            F0 = F
            assert np.allclose(F[:, 0], F[:, -1], rtol=1e-13, atol=1e-13)
            continue
        assert np.allclose(F[:, :-1], np.roll(F0[:, :-1], k, axis=1), rtol=1e-11,
                           atol=1e-12 * np.abs(F0).max())


def test_model_file_round_trip_and_refusals(tmp_path):
    path = tmp_path / "m.json"
    PARAMS.save(path, omega=0.5, prandtl=2.0 / 3.0)
    back, meta = NonlocalParams.load(path)
    assert back == PARAMS and meta["omega"] == 0.5
    assert NonlocalNSF(GAS, 1.0, params=path).params == PARAMS
    assert "null" in path.read_text()  # the infinite cap of PARAMS, as valid JSON
    for bad_value, match in (("1.0", "not a number"), (None, "not a number")):
        doc = json.loads(path.read_text())
        doc["params"]["w0_q"] = bad_value
        bad = tmp_path / "typed.json"
        bad.write_text(json.dumps(doc))
        with pytest.raises(InputError, match=match):
            NonlocalParams.load(bad)
    with pytest.warns(UserWarning, match="omega"):
        NonlocalNSF(bz.Gas(omega=1.0), 1.0, params=path)
    with pytest.raises(InputError, match="Pr"):
        NonlocalNSF(GAS, 1.0, prandtl=1.0, params=path)
    bad = tmp_path / "bad.json"
    bad.write_text(path.read_text()[:40])
    with pytest.raises(InputError, match="not a readable"):
        NonlocalParams.load(bad)
    bad.write_text(json.dumps({"format": "other/1", "params": {}}))
    with pytest.raises(InputError, match="format"):
        NonlocalParams.load(bad)
    bad.write_text(json.dumps({"format": "closure.nonlocal/1", "params": {"w0_q": 1.0}}))
    with pytest.raises(InputError, match="parameters"):
        NonlocalParams.load(bad)
    with pytest.raises(InputError, match="w0_q"):
        NonlocalParams(w0_q=1.5)
    with pytest.raises(InputError, match="beta_sigma"):
        NonlocalParams(beta_sigma=-1.0)
    with pytest.raises(InputError, match="w0_sigma"):
        NonlocalParams(w0_sigma=0.0, alpha_sigma=1.0)  # no parabolic part left
    with pytest.raises(InputError, match="kn_max"):
        NonlocalParams(kn_max=0.0)
    with pytest.raises(InputError, match="alpha_hot"):
        NonlocalParams(gamma_q=1.0)  # no hot temperature to follow
    with pytest.raises(InputError, match="1/9"):  # a fade's local part would anti-diffuse
        NonlocalParams(w0_q=0.1, alpha_q=1.0, kn_fade=0.1)
    assert NonlocalParams(w0_q=0.1, alpha_q=1.0).kn_fade == 0.0  # without a fade: w0 > 0
    with pytest.raises(InputError, match="fit_nonlocal .*1/9"):  # refused before fitting
        fit_nonlocal([], GAS, 1.0, w0_min=0.1, kn_fade=0.1)
    assert NonlocalParams(c_sigma=-0.1).c_sigma == -0.1  # the coupling takes either sign
    with pytest.raises(InputError, match="alpha_q"):
        NonlocalParams(w0_q=0.25, c_sigma=-0.4)  # on the unscreened q: T_xx in sigma_xx
    with pytest.raises(InputError, match="thermal pressure"):
        NonlocalNSF(GAS, 1.0, params=replace(PARAMS, c_sigma=-10.0))
    assert coupling_ratio(replace(PARAMS, c_sigma=-10.0), GAS) > 1.0
    # a first-version file ("closure.nonlocal/1", six parameters and kn_max) loads as the
    # first form; the second version's names are refused in it
    doc = json.loads(path.read_text())
    first = {k: v for k, v in doc["params"].items()
             if k not in ("gamma_sigma", "gamma_q", "alpha_hot", "c_sigma", "kn_fade")}
    bad.write_text(json.dumps({"format": "closure.nonlocal/1", "params": first}))
    assert NonlocalParams.load(bad)[0] == replace(PARAMS, gamma_sigma=0.0, gamma_q=0.0,
                                                  alpha_hot=0.0, c_sigma=0.0, kn_fade=0.0)
    bad.write_text(json.dumps({"format": "closure.nonlocal/1", "params": doc["params"]}))
    with pytest.raises(InputError, match="parameters"):
        NonlocalParams.load(bad)
    # a second-version file has no kn_fade (no fade), and is refused with one
    second = {k: v for k, v in doc["params"].items() if k != "kn_fade"}
    bad.write_text(json.dumps({"format": "closure.nonlocal/2", "params": second}))
    assert NonlocalParams.load(bad)[0] == replace(PARAMS, kn_fade=0.0)
    bad.write_text(json.dumps({"format": "closure.nonlocal/2", "params": doc["params"]}))
    with pytest.raises(InputError, match="parameters"):
        NonlocalParams.load(bad)
    tube = bz.ShockTube.sod(kn=0.05, t_end=0.01)
    with pytest.warns(EnvelopeWarning, match="gradient Knudsen number"):
        FVSolver(tube, GAS, NonlocalNSF(GAS, GAS.mu_ref(tube.mfp_ref), params=replace(
            PARAMS, kn_max=0.01)), FVNumerics(nx=50)).run()
    for kw, match in (({"backend": "numpy"}, "numba"), ({"dissipative_scheme": "imex"}, "R13")):
        with pytest.raises(InputError, match=match):
            _solver(tube, **kw)


def test_open_boundaries_carry_the_local_flux_and_diagnostics_are_the_solvers():
    """Outflow ends: the boundary faces carry G, which vanishes where the ends are uniform
    (as NSF's flux does); the periodic flag reaches the kernels only on periodic domains;
    the solution's sigma_xx, q_x are the solver's own face fluxes at the cells."""
    tube = bz.ShockTube.sod(kn=0.3, t_end=0.02)
    solver = _solver(tube, 100)
    solver.run_until(tube.t_end)
    assert solver._par[-1] == 0.0
    F = solver.system.face_flux(solver.U, solver.dx, solver.ghosted(), solver._par)
    assert F.shape == (3, 101)
    assert np.all(F[:, [0, -1]] == 0.0)
    assert np.abs(F[2]).max() > 0.1
    sigma, q = solver.system.face_fluxes(solver.U, solver.dx, solver.ghosted(), solver._par)
    sol = solver.solution()
    assert np.allclose(sol["q_x"], 0.5 * (q[1:] + q[:-1]), rtol=0, atol=1e-15)
    assert np.allclose(sol["sigma_xx"], 0.5 * (sigma[1:] + sigma[:-1]), rtol=0, atol=1e-15)


def test_ros2_agrees_with_rkl2_and_conserves():
    """The time-accurate split step: ROS2 with the approximate W of
    `stepping._nonlocal_linearisation` (second order for any W) against RKL2 with the
    kernels' explicit bound, on a Sod tube at Kn = 0.03 with the gain capped at Kn = 0.5
    (measured differences 2e-4 to 1.1e-3 in rho, u, T, 2.5e-3 in q_x; uncapped, the gain of
    the initial jump makes them 0.7-1 %), and conservation to round-off on a periodic wave."""
    tube = bz.ShockTube.sod(kn=0.03, t_end=0.15)
    capped = NonlocalNSF(GAS, GAS.mu_ref(tube.mfp_ref), params=replace(PARAMS, kn_max=0.5))
    sols = {s: FVSolver(tube, GAS, capped, FVNumerics(nx=200, dissipative_scheme=s)).run()
            for s in ("rkl2", "ros2")}
    assert sols["ros2"].info["dissipative_scheme"] == "ros2"
    assert sols["ros2"].info["dissipative_stages"] < sols["rkl2"].info["dissipative_stages"] / 3
    for k, tol in (("rho", 1e-3), ("u", 1e-3), ("T", 3e-3), ("q_x", 1e-2)):
        assert rel_l2(sols["ros2"][k], sols["rkl2"][k]) < tol, k
    wave = bz.PeriodicWave(kn=0.3, amplitude=0.3, u0=0.4)
    unmerged = _solver(wave, dissipative_scheme="ros2", merge_limit=0.0)
    unmerged.advance(max_steps=40)
    assert unmerged.dissipative_stages == 2 * 2 * 40  # two ROS2 stages per half step
    solver = _solver(wave, dissipative_scheme="ros2")  # half steps merged where not stiff
    U0 = solver.U.sum(1).copy()
    start = solver.U.copy()
    solver.advance(max_steps=40)
    assert np.allclose(solver.U.sum(1), U0, rtol=1e-13, atol=1e-13)
    # no preferred cell: the seam face's W is screened like the others (a review found the
    # open ends' treatment there, which made the step depend on the seam by 1e-5 per run)
    shifted = _solver(wave, dissipative_scheme="ros2")
    shifted.U[:] = np.roll(start, 9, axis=1)
    shifted.advance(max_steps=40)
    assert np.allclose(shifted.U, np.roll(solver.U, 9, axis=1), rtol=1e-11, atol=1e-12)


def test_shipped_model_is_registered_and_loads():
    assert SYSTEMS["nonlocal"] is NonlocalNSF
    params, meta = NonlocalParams.load(DEFAULT_MODEL)
    assert meta["omega"] == 0.5 and 5.5 in meta["held_out"]
    assert params.beta_q > 0.0 and params.w0_q < 1.0
    sol = FVSolver(bz.ShockTube.sod(kn=0.01, t_end=0.02), GAS, "nonlocal",
                   FVNumerics(nx=50)).run()
    assert sol.info["dissipative_scheme"] == "ros2" and np.all(np.isfinite(sol["q_x"]))


def _gained(g, kn, params):
    """(1 + phi beta_q Kn) g, Kn = kn g (capped at kn_max), of the heat flux's gain."""
    k = min(g * kn, params.kn_max)
    return (1.0 + k ** 2 / (k ** 2 + params.kn_fade ** 2) * params.beta_q * k) * g


def test_ros2_linearisation_takes_the_gain_slope_and_the_cap():
    """W's factor per face: the gain's slope in its own gradient, 1 + (4 phi - 2 phi^2) beta
    Kn (d/dg of (1 + phi beta Kn) g with Kn proportional to |g|), or 1 + phi beta Kn where
    the cap binds (a fixed factor: taking the uncapped slope there spoiled q_x at Kn = 3),
    times the part left at the grid's highest wavenumber, 1 - a + a / (1 + 4 l^2 / dx^2)."""
    params = replace(PARAMS, kn_max=0.5, kn_fade=0.2)
    par = NonlocalNSF(GAS, 1.0, params=params).solver_par(kernels.OUTFLOW)
    lam, dx = 0.3, 0.1
    left = 1.0 / (1.0 + 4.0 * (params.alpha_q * lam) ** 2 / dx ** 2)
    for kn in (0.1, 0.3, 0.5):
        phi = kn ** 2 / (kn ** 2 + 0.2 ** 2)
        slope = phi if kn == 0.5 else 4.0 * phi - 2.0 * phi ** 2
        a = phi * (1.0 - params.w0_q)
        want = (1.0 + slope * params.beta_q * kn) * (1.0 - a + a * left)
        got = stepping._linearised_share(par, 1, lam, kn, phi, dx, False)
        assert got == pytest.approx(want, rel=1e-14), kn
        if kn < 0.5:  # the slope against a difference quotient of the gained flux
            h = 1e-6
            numeric = (_gained(1.0 + h, kn, params) - _gained(1.0 - h, kn, params)) / (2.0 * h)
            assert numeric == pytest.approx(1.0 + slope * params.beta_q * kn, rel=1e-6)


def test_shipped_closure_beats_nsf_on_a_weak_shock():
    """Sod's shock strength (Mach 1.65), not trained on, marched to steady state: the
    shipped third form is closer to the Shakhov solution than NSF in rho, T, sigma_xx and
    q_x (measured 0.011 / 0.012 / 0.059 / 0.077 against NSF's 0.021 / 0.016 / 0.099 /
    0.141).  The second form was worse than NSF in T here (0.024), which the fade fixed."""
    shock = bz.NormalShock(mach=1.65, tol=1e-5, max_time=150.0)
    kin = bz.KineticSolver(shock, GAS, "shakhov", bz.Numerics(dx=0.125, cfl=0.9)).run()
    errors = {}
    for name in ("nsf", "nonlocal"):
        sol = FVSolver(shock, GAS, name, FVNumerics(dx=0.125)).run()
        errors[name] = profile_errors(kin.x, kin, sol.x, sol, window=15.0)
    for k in ("rho", "T", "sigma_xx", "q_x"):
        assert errors["nonlocal"][k] < 0.85 * errors["nsf"][k], (k, errors)


def test_fit_lowers_the_apriori_error_of_a_kinetic_shock():
    kin = bz.KineticSolver(bz.NormalShock(mach=3.0), GAS, "shakhov",
                           bz.Numerics(dx=0.125, cfl=0.9)).run()
    params, losses = fit_nonlocal([kin], GAS, GAS.mu_ref(1.0), window=15.0)
    _, s, q = apriori_fluxes(kin.x, kin["rho"], kin["u"], kin["T"], NonlocalParams(), GAS,
                             GAS.mu_ref(1.0))
    keep = np.abs(0.5 * (kin.x[1:] + kin.x[:-1])) < 15.0
    nsf = {}
    for name, model in (("sigma_xx", s), ("q_x", q)):
        ref = 0.5 * (kin[name][1:] + kin[name][:-1])
        nsf[name] = np.sum((model - ref)[keep] ** 2) / np.sum(ref[keep] ** 2)
        assert losses[name] < nsf[name] / 3, (name, losses, nsf)
    # the second form's terms lower the loss below the first form's fit (which they contain)
    first, first_losses = fit_nonlocal([kin], GAS, GAS.mu_ref(1.0), window=15.0,
                                       gamma_max=0.0, coupling=False)
    assert first.gamma_q == first.alpha_hot == first.c_sigma == 0.0
    assert params.gamma_q > 0.0 and params.c_sigma != 0.0
    for name in ("sigma_xx", "q_x"):
        assert losses[name] < 0.9 * first_losses[name], (name, losses, first_losses)
    assert isinstance(losses["at_bounds"], list)
    # a fade is held at the value given, and the fit still beats NSF by the same factor
    faded, faded_losses = fit_nonlocal([kin], GAS, GAS.mu_ref(1.0), window=15.0, start=params,
                                       kn_fade=0.1)
    assert faded.kn_fade == 0.1
    for name in ("sigma_xx", "q_x"):
        assert faded_losses[name] < nsf[name] / 3, (name, faded_losses, nsf)


@pytest.mark.parametrize("mach", [3.0, 5.5, 8.0])
def test_explicit_bound_is_stable_and_not_loose(mach):
    """The eigenvalues of the dissipative operator's Jacobian (finite differences) on a
    shock-like tanh profile, times the kernels' step bound, stay within the forward-Euler
    (and SSP-RK2) interval [-2, 0], and the bound uses more than a quarter of it
    (measured 1.16 at Mach 3, 1.16 at 5.5, 1.01 at 8 with the shipped third form; the
    second's 0.84, 1.31, 1.11)."""
    prob = bz.NormalShock(mach=mach)
    params, _ = NonlocalParams.load(DEFAULT_MODEL)
    system = NonlocalNSF(GAS, GAS.mu_ref(prob.mfp_ref), params=params)
    s = FVSolver(prob, GAS, system, FVNumerics(dx=0.125))
    up, down = s.states
    w = 0.5 * (1.0 + np.tanh(s.x / 1.5))
    U = system.from_primitive(*(getattr(up, k) + (getattr(down, k) - getattr(up, k)) * w
                                for k in ("rho", "u", "T")))
    nvar, n = U.shape
    Ug, out = np.empty((nvar, n + 2 * kernels.NG)), np.empty((nvar, n))

    def f(V):
        kernels.fill_ghosts(system.code, V.reshape(nvar, n), Ug, s._bc, s._left, s._down,
                            s._par)
        kernels.rhs(system.code, Ug, s.dx, s._par, s._table, out, False, True)
        return out.ravel().copy()

    f0 = f(U.ravel())
    J = np.empty((f0.size, f0.size))
    for j in range(f0.size):
        V = U.ravel().copy()
        h = 1e-7 * max(1.0, abs(V[j]))
        V[j] += h
        J[:, j] = (f(V) - f0) / h
    lam = np.linalg.eigvals(J)
    dt = stepping.dissipative_dt(system.code, U, s.dx, s._par, s._table)
    if mach == 3.0:
        assert lam.real.max() * dt < 1e-6  # no growing mode
    else:
        # T_hot's screening length falls as the local T rises, which gives the dissipative
        # operator alone a slow growing mode on steep profiles (none about uniform states):
        # fewer than one e-fold while the upstream flow crosses 5 mean free paths (measured
        # 0.0002 at Mach 5.5, 0.22 at Mach 8 with the third form; the second form's 0.07 and
        # 0.44 set the bound, with a margin); the marched shocks are steady
        # (docs/learned_closure.md)
        assert lam.real.max() * 5.0 * prob.mfp_ref / up.u < 1.0
    assert np.abs(lam.imag).max() < 1e-2 * np.abs(lam).max()
    assert 0.5 < np.abs(lam).max() * dt < 2.0


def test_stagnant_thermal_contact_stays_nearly_monotone():
    """A pressure-balanced 10:1 temperature jump in gas at rest (Kn = 0.03, 200 cells,
    before the waves reflect): NSF keeps T monotone, and so does the shipped closure
    without its coupling.  The coupling (a dispersive term of Burnett order) raises one
    extremum of 3.4e-5 of the jump (at most one of 2e-4 allowed).  A strong hot-molecule
    factor is anti-diffusive (where T rises, l shortens): gamma = 3 for both fluxes gives 42
    extrema, which the test must see."""
    tube = bz.ShockTube(bz.State(0.1, 0.0, 10.0), bz.State(1.0, 0.0, 1.0), t_end=0.1, kn=0.03)
    params, _ = NonlocalParams.load(DEFAULT_MODEL)
    assert params.gamma_q > 0.0 and params.alpha_hot > 0.0 and params.c_sigma != 0.0

    def extrema(par):
        sol = FVSolver(tube, GAS, NonlocalNSF(GAS, GAS.mu_ref(tube.mfp_ref), params=par),
                       FVNumerics(nx=200)).run()
        d = np.diff(sol["T"])
        assert sol["T"][0] - sol["T"][-1] > 3.0  # the front is still there
        return int((d > 0.0).sum()), max(float(d.max()), 0.0) / 9.0

    assert extrema(NonlocalParams()) == (0, 0.0)  # NSF
    assert extrema(replace(params, c_sigma=0.0)) == (0, 0.0)
    count, size = extrema(params)
    assert count <= 1 and size <= 2e-4, (count, size)
    assert extrema(replace(params, gamma_sigma=3.0, gamma_q=3.0))[0] > 10
