"""The closed learned moment system (`closure.systems.learned`, `closure.learned_fv`) and its
model file (`closure.nn.learned`): equation, conservation, symmetry, file handling."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import boltzmann as bz
from boltzmann.errors import FileFormatError
from closure import data
from closure.fv import FVNumerics
from closure.learned_fv import LearnedSolver
from closure.moment_equations import frame_moments, moment_rhs
from closure.nn import ClosureEnsemble, MomentAutoencoder
from closure.nn.closure_net import ClosureNet, closure_targets, grad_linearisation
from closure.nn.ensemble import EnvelopeWarning
from closure.nn.learned import LearnedClosure, assemble
from closure.nn.moments import EQUILIBRIUM

GAS = bz.Gas(omega=0.5)


def small_closure(K=2, members=2, seed=0, amplitude=0.05):
    """A LearnedClosure of untrained networks whose second-order part is scaled down (an
    O(1) random closure is no gas): enough to test the machinery, not the physics."""
    torch.manual_seed(seed)
    ae = MomentAutoencoder(K, grad=True)
    with torch.no_grad():
        eq = closure_targets(ae, EQUILIBRIUM[None])[0]
    L = grad_linearisation(ae)
    nets = [ClosureNet(K, ae.n_even, width=16, depth=2, grad=True, equilibrium=eq, linear=L,
                       scale=amplitude * torch.ones(6 * K)) for _ in range(members)]
    low = np.concatenate([-np.ones(K), [-7.0]])  # log10 Kn down to its floor, -6
    ens = ClosureEnsemble(nets, low, np.ones(K + 1), 0.5 * np.ones(K + 1))
    return assemble(ae, ens, "shakhov")


def test_numpy_evaluator_is_the_torch_ensemble():
    lc = small_closure(K=4, members=3)
    rng = np.random.default_rng(0)
    W, kn = 0.3 * rng.standard_normal((50, 4)), rng.uniform(-4, 0, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EnvelopeWarning)
        mean, _ = lc.ensemble.predict(W, kn)
    np.testing.assert_allclose(lc.evaluator()(W, kn), mean, rtol=1e-12, atol=1e-13)


def test_model_file_round_trip_and_refusals(tmp_path):
    lc = small_closure()
    path = lc.save(tmp_path / "closure.pt")
    back = LearnedClosure.load(path)
    W, kn = np.array([[0.1, -0.3], [0.0, 0.2]]), np.array([-2.0, -1.0])
    np.testing.assert_array_equal(back.evaluator()(W, kn), lc.evaluator()(W, kn))
    np.testing.assert_array_equal(back.production.numpy(), lc.production.numpy())
    assert back.meta["collision_model"] == "shakhov"
    assert lc.meta["mfp_scale"] == back.meta["mfp_scale"] == 1.0  # trained on the true mfp
    blob = Path(path).read_bytes()
    (tmp_path / "cut.pt").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(FileFormatError, match="corrupt"):
        LearnedClosure.load(tmp_path / "cut.pt")
    from closure.nn import save_model

    save_model(tmp_path / "ae.pt", lc.ae, {"kind": "moment_autoencoder"})
    with pytest.raises(FileFormatError, match="not 'learned_closure'"):
        LearnedClosure.load(tmp_path / "ae.pt")
    with pytest.raises(FileFormatError, match="no such model file"):
        LearnedSolver(bz.ShockTube.sod(), GAS, tmp_path / "missing.pt")


def kinetic_snapshot(kn=0.1, nx=80, t=0.05):
    tube = bz.ShockTube.sod(kn=kn, t_end=t)
    solver = bz.KineticSolver(tube, GAS, "shakhov", bz.Numerics(nx=nx))
    sol = solver.run()
    return tube, sol, data.snapshot(sol, solver.model)


def test_flux_and_frame_terms_are_the_moment_equation():
    """With the exact closure of a kinetic solution in place of the networks, the system's
    W flux and frame-change terms are those of `closure.moment_equations` (budget-tested
    against the kinetic solver), and its production is the kinetic target's."""
    tube, sol, s = kinetic_snapshot()
    lc = small_closure()
    solver = LearnedSolver(tube, GAS, lc, numerics=FVNumerics(nx=80))
    system = solver.system
    f = np.stack([s["g"], s["h"]], axis=1)
    with torch.no_grad():
        W = lc.ae.encode(torch.as_tensor(f)).numpy()
    Y = closure_targets(lc.ae, f).numpy()
    system.evaluate = lambda W_, kn: Y
    U = system.from_primitive(s["rho"], s["u"], s["T"])
    U[3:] = s["rho"] * W.T
    F, fields = system.flux(U, solver.dx)
    frame = system.frame_source(fields, solver.dx)
    w, dw = (a.detach().numpy() for a in lc.ae.weights.with_derivative())
    for k in range(lc.K):
        m = frame_moments(w[k, 0], dw[k, 0], w[k, 1], dw[k, 1], s["g"], s["h"], s["tg"],
                          s["th"])
        flux, source = moment_rhs(sol.x, s, m, s["tau"])
        production = s["rho"] * m["P"] / s["tau"]
        # the equation of rho (W + W_eq) minus W_eq times the mass equation
        np.testing.assert_allclose(F[3 + k], flux - s["rho"] * s["u"] * (m["W"] - W[:, k]),
                                   atol=1e-12)
        scale = np.abs(source).max()
        err = np.abs((source - production)[2:-2] - frame[k]).max()
        assert err < 2e-2 * scale, (k, err / scale)
        err = np.abs(production - system.production(U)[k]).max()
        assert err < 5e-3 * np.abs(production).max(), (k, err)


def test_conservation_on_a_periodic_domain():
    """Mass, momentum and energy of the closed system are conserved to round-off whatever
    the networks say (conservation form), here for an untrained closure."""
    wave = bz.PeriodicWave(amplitude=0.2, kn=0.05, mode="acoustic", t_end=0.05)
    solver = LearnedSolver(wave, GAS, small_closure(K=4), FVNumerics(nx=64))
    before = solver.U[:3].sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EnvelopeWarning)
        solver.advance(wave.t_end)
    assert solver.steps > 10
    after = solver.U[:3].sum(axis=1)
    np.testing.assert_allclose(after, before, rtol=1e-13, atol=1e-13)
    assert np.abs(solver.U[3:]).max() > 1e-6  # the learned moments did evolve


def test_reflection_symmetry_to_round_off():
    """The mirrored tube gives the mirrored solution: rho, T, sigma even, u, q odd."""
    left, right = bz.State(1.0, 0.0, 1.0), bz.State(0.125, 0.0, 0.8)
    runs = []
    for a, b in ((left, right), (right, left)):
        tube = bz.ShockTube(a, b, t_end=0.04, kn=0.05)
        solver = LearnedSolver(tube, GAS, small_closure(), FVNumerics(nx=60))
        solver.advance(tube.t_end)
        runs.append(solver.solution())
    one, two = runs
    for k, sign in (("rho", 1), ("T", 1), ("sigma_xx", 1), ("u", -1), ("q_x", -1)):
        scale = np.abs(one[k]).max()
        np.testing.assert_allclose(sign * two[k][::-1], one[k], atol=1e-12 * max(scale, 1))


def test_envelope_warning_names_cell_and_distance():
    lc = small_closure()
    tube = bz.ShockTube.sod(kn=0.1)
    solver = LearnedSolver(tube, GAS, lc, FVNumerics(nx=40))
    solver.U[3, 17] = 5.0 * solver.U[0, 17]  # sigma^ = 5, far outside [-1, 1]
    with pytest.warns(EnvelopeWarning, match=r"cell 17 .* by \d+(\.\d+)? training standard"):
        solver.system.check(solver.U, 0.0, solver.x)


def test_a_non_finite_learned_moment_is_named_with_its_cell():
    lc = small_closure()
    solver = LearnedSolver(bz.ShockTube.sod(kn=0.1), GAS, lc, FVNumerics(nx=40))
    solver.U[4, 9] = np.nan  # rho, u, T of the cell stay valid
    with pytest.raises(bz.SolutionError, match=r"T=\S+, non-finite rhoW1\) in cell 9 .*"
                                               r"'nonlocal'"):
        solver.system.check(solver.U, 0.5, solver.x)


def test_the_navier_stokes_limit_is_kept_when_dt_exceeds_tau():
    """At Kn = 1e-4 (dt/tau about 50) the implicit production keeps sigma and q at their
    Chapman-Enskog values: -4/3 mu du/dx and -(15/4) mu dT/dx (Pr = 2/3) within 2 % (L2)."""
    wave = bz.PeriodicWave(amplitude=0.1, kn=1e-4, mode="acoustic", t_end=0.1)
    solver = LearnedSolver(wave, GAS, small_closure(), FVNumerics(nx=64))
    solver.advance(wave.t_end)
    sol = solver.solution()
    mu = solver.system.viscosity(sol["T"])

    def ddx(a):  # periodic central difference
        return (np.roll(a, -1) - np.roll(a, 1)) / (2.0 * solver.dx)

    sigma_ns = -4.0 / 3.0 * mu * ddx(sol["u"])
    q_ns = -15.0 / 4.0 * mu * ddx(sol["T"])
    assert solver.stable_dt(solver.U) / solver.system.tau(solver.U).max() > 10.0
    for got, want in ((sol["sigma_xx"], sigma_ns), (sol["q_x"], q_ns)):
        assert np.linalg.norm(got - want) < 0.02 * np.linalg.norm(want)


def test_cli_runs_a_learned_model_file(tmp_path):
    from closure.cli import main

    path = small_closure().save(tmp_path / "m.pt")
    out = tmp_path / "tube.h5"
    assert main(["tube", "--sod", "--kn", "0.1", "--nx", "40", "--model", str(path),
                 "--out", str(out)]) == 0
    import h5py

    with h5py.File(out) as h5:
        assert h5["q_x"].shape == (40,) and h5["model"].attrs["name"] == "learned"
        assert h5["U"].shape == (5, 40)
    assert main(["tube", "--sod", "--model", str(tmp_path / "none.pt"), "--out",
                 str(out)]) == 2


def test_the_shipped_default_model_loads_and_is_exact_at_equilibrium():
    from closure.nn.default import DEFAULT_MODEL, default_closure

    lc = default_closure()
    assert DEFAULT_MODEL.is_file() and lc.meta["collision_model"] == "shakhov"
    assert lc.K >= 2 and len(lc.nets) >= 1 and len(lc.meta["data_hash"]) == 16
    # trained on a version-1 dataset: its Knudsen input keeps that dataset's length scale
    assert lc.meta["mfp_scale"] == pytest.approx(0.6136, abs=1e-4)
    n0 = lc.nets[0]
    out = lc.evaluator()(np.zeros((3, lc.K)), np.array([-5.0, -2.0, 0.0]))
    np.testing.assert_allclose(out, np.repeat(n0.equilibrium.numpy()[None], 3, axis=0),
                               atol=1e-13)


def test_start_from_a_profile_sets_the_grad_moments():
    from closure.shock_ode import nsf_shock

    shock = bz.NormalShock(mach=2.0)
    solver = LearnedSolver(shock, GAS, small_closure())
    prof = nsf_shock(2.0, GAS)
    solver.start_from(prof)
    d = solver.system.diagnostics(solver.U, solver.dx)
    for k in ("rho", "u", "T", "sigma_xx", "q_x"):
        np.testing.assert_allclose(d[k], np.interp(solver.x, prof["x"], prof[k]), rtol=1e-12,
                                   atol=1e-12)
