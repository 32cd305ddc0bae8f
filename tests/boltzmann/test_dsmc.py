"""DSMC: collision rate, relaxation rate, conservation, Rankine-Hugoniot end states,
reproducibility, file output and bad input."""

from pathlib import Path

import numpy as np
import pytest

from boltzmann import Gas, NormalShock, ShockTube, rankine_hugoniot, read_solution
from boltzmann.dsmc import (
    DSMC,
    DSMCNumerics,
    Molecule,
    hard_sphere,
    inflow_flux,
    kernels,
    relax_homogeneous,
)
from boltzmann.dsmc.solver import flux_velocities
from boltzmann.errors import InputError


@pytest.mark.parametrize("omega", [0.5, 0.81, 1.0])
def test_equilibrium_collision_rate_matches_vhs_theory(omega):
    """Collisions per molecule per unit time in equilibrium equal n <sigma_T c_r> =
    4 d_ref^2 n sqrt(pi T_ref) (T / T_ref)^(1 - omega) [Bird 1994, eq. 4.64]."""
    mol = Molecule(omega)
    n, T, mu_ref, t_end, particles = 1.3, 1.7, 0.8, 2.0, 20000
    r = relax_homogeneous(mol, particles, T, T, t_end, 0.01, mu_ref=mu_ref, rho=n, seed=3)
    ncoll = r["collisions"][-1]
    rate = 2.0 * ncoll / (particles * t_end)
    theory = mol.collision_frequency(n, T, mu_ref)
    # the count of accepted collisions is binomial: relative standard error 1 / sqrt(ncoll)
    assert abs(rate / theory - 1.0) < 4.0 / np.sqrt(ncoll)


@pytest.mark.parametrize("alpha", [1.0, 1.4])
def test_maxwell_anisotropy_relaxes_at_p_over_mu(alpha):
    """For Maxwell molecules (omega = 1) the pressure deviator decays exactly as
    exp(-p t / mu) whatever the scattering law [Truesdell & Muncaster 1980, ch. XIV]; mu from
    the VSS viscosity formula.  rho = 1, mean T = 1, mu = mu_ref = 0.5: rate 2; a step of
    NTC multiplies the deviator by 1 - 2 dt on average."""
    mol = Molecule(1.0, alpha)
    dt = 0.002
    r = relax_homogeneous(mol, 1000000, 1.6, 0.7, 0.6, dt, mu_ref=0.5, seed=1, every=10)
    d = r["T_xx"] - r["T_perp"]
    slope = np.polyfit(r["t"], np.log(d), 1)[0]
    assert abs(slope * dt / np.log(1.0 - 2.0 * dt) - 1.0) < 0.03  # noise ~1 % at 1e6


def test_two_temperature_relaxation_of_hard_spheres():
    """From an anisotropic Maxwellian the pressure deviator of any VHS gas starts to decay at
    p / mu_1, mu_1 the first Chapman-Enskog approximation of the viscosity (Bird's d_ref
    formula): the collision production of Grad's 13-moment distribution [Grad, Commun. Pure
    Appl. Math. 2, 331 (1949); Struchtrup 2005, sec. 3.2.4].  Hard spheres, T = 1,
    mu_ref = 1: rate 1 over the first 0.25 relaxation times, mean of three runs (the slope of
    one run of 1e6 molecules scatters by about 3 %)."""
    dt = 0.002
    slopes = []
    for seed in (2, 3, 4):
        r = relax_homogeneous(hard_sphere(), 1000000, 1.2, 0.9, 0.25, dt, mu_ref=1.0,
                              seed=seed, every=5)
        slopes.append(np.polyfit(r["t"], np.log(r["T_xx"] - r["T_perp"]), 1)[0])
    assert abs(np.mean(slopes) * dt / np.log(1.0 - dt) - 1.0) < 0.04


def test_each_collision_conserves_momentum_and_energy_to_roundoff():
    rng = np.random.default_rng(0)
    c = rng.normal(size=(5000, 3)) * [1.0, 2.0, 0.5] + [3.0, 0.0, 0.0]
    start = np.array([0, 1000, 1000, 5000], np.int64)
    ncoll = np.zeros(3, np.int64)
    p0, e0 = c.sum(axis=0), (c * c).sum()
    cells = ((0, 1000), (1000, 5000))
    p_cell = [c[a:b].sum(axis=0) for a, b in cells]
    e_cell = [(c[a:b] ** 2).sum() for a, b in cells]
    for alpha in (1.0, 1.5):
        crmax = np.full(3, 10.0)
        for step in range(20):
            kernels.collide(c, start, 3, 1.0, 1.0, 0.01, crmax, alpha, 5, step, ncoll)
    assert ncoll.sum() > 10000
    # the bound of round-off accumulated over ncoll collisions, one ulp of |c| each (1e7
    # collisions here); a momentum error of the scheme would be O(|c|) per collision
    tol = np.finfo(float).eps * ncoll.sum() * np.abs(c).max()
    assert np.allclose(c.sum(axis=0), p0, rtol=0, atol=tol)
    assert abs((c * c).sum() / e0 - 1.0) < 1e-13
    for (a, b), p, e in zip(cells, p_cell, e_cell):  # each cell keeps its own invariants
        assert np.allclose(c[a:b].sum(axis=0), p, rtol=0, atol=tol)
        assert abs((c[a:b] ** 2).sum() / e - 1.0) < 1e-13


def test_inflow_velocities_follow_the_flux_distribution():
    """Mean normal velocity of molecules crossing a plane from a Maxwellian (u, T): the ratio
    of the second to the first half-range moment of f, computed by quadrature."""
    rng = np.random.default_rng(4)
    for u, T in ((2.0, 1.0), (-0.5, 3.0), (0.0, 1.0)):
        cx = flux_velocities(rng, 200000, u, T)
        v = np.linspace(0.0, abs(u) + 12.0 * np.sqrt(T), 20001)
        f = np.exp(-(v - u) ** 2 / (2 * T))
        expect = np.trapezoid(v * v * f, v) / np.trapezoid(v * f, v)
        assert cx.min() > 0.0
        assert abs(cx.mean() / expect - 1.0) < 4 * cx.std() / np.sqrt(cx.size) / expect
        flux = np.trapezoid(v * f, v) / np.sqrt(2 * np.pi * T)
        assert inflow_flux(1.0, u, T) == pytest.approx(flux, rel=1e-6)


@pytest.fixture(scope="module")
def mach2():
    problem = NormalShock(2.0, upstream=8.0, downstream=8.0)
    solver = DSMC(problem, Gas(omega=0.5), numerics=DSMCNumerics(dx=0.2, ppc=40, seed=11))
    return problem, solver.run(progress=False, samples=6000)


def test_stationary_shock_end_states_are_rankine_hugoniot(mach2):
    problem, sol = mach2
    up, down = rankine_hugoniot(problem.mach, Gas(omega=0.5))
    for state, cells in ((up, slice(2, 8)), (down, slice(-8, -2))):
        for k in ("rho", "u", "T"):
            value = sol[k][cells].mean()
            err = sol.errors[k][cells].mean() / np.sqrt(6)  # neighbouring cells ~ independent
            assert abs(value - getattr(state, k)) < 4 * err + 2e-3 * getattr(state, k), k


def test_shock_is_held_at_the_centre_and_has_errors(mach2, tmp_path):
    _, sol = mach2
    assert abs(sol.x[np.argmin(np.abs(sol.x))]) < 0.2  # x is centred at the midpoint
    assert sol.info["batches"] >= 8
    e = sol.errors["q_x"]
    assert np.all(np.isfinite(e)) and np.all(e > 0)
    flux = sol["rho"] * sol["u"]  # mass flux is uniform in a steady shock
    assert np.std(flux) / np.mean(flux) < 0.01
    path = sol.save(tmp_path / "s.h5")
    f = read_solution(path)
    assert f.params["model"]["name"] == "dsmc"
    np.testing.assert_array_equal(f["q_x_err"], e)


def test_tube_is_reproducible_from_its_seed():
    problem = ShockTube.sod(kn=0.05)
    num = DSMCNumerics(nx=60, ppc=20, runs=4, seed=7)
    a = DSMC(problem, Gas(), numerics=num).run(progress=False)
    b = DSMC(problem, Gas(), numerics=num).run(progress=False)
    c = DSMC(problem, Gas(), numerics=DSMCNumerics(nx=60, ppc=20, runs=4, seed=8)).run(
        progress=False)
    np.testing.assert_array_equal(a["q_x"], b["q_x"])
    assert not np.array_equal(a["q_x"], c["q_x"])
    # the ends still hold the initial states (4 runs x 5 cells x ~20 molecules)
    assert abs(a["rho"][:5].mean() - 1.0) < 0.1


def test_bad_input_raises_clear_errors():
    shock = NormalShock(3.0, upstream=5.0, downstream=5.0)
    with pytest.raises(InputError, match="ppc"):
        DSMCNumerics(ppc=0)
    with pytest.raises(InputError, match="ppc"):
        DSMCNumerics(ppc=-5)
    with pytest.raises(InputError, match="seed"):
        DSMCNumerics(seed=-1)
    with pytest.raises(InputError, match="mean collision time"):
        DSMC(shock, Gas(), numerics=DSMCNumerics(dt=1.0))
    with pytest.raises(InputError, match="mean free"):
        DSMC(shock, Gas(), numerics=DSMCNumerics(dx=2.0))
    with pytest.raises(InputError, match="Mach"):
        NormalShock(0.8)
    with pytest.raises(InputError, match="dof"):
        DSMC(shock, Gas(dof=1))
    with pytest.raises(InputError, match="omega"):
        DSMC(shock, Gas(omega=0.5), molecule=Molecule(0.81))
    with pytest.raises(InputError, match="samples or q_tol"):
        DSMC(shock, Gas()).run(progress=False)


def test_cli_and_registry_write_the_same_datasets(tmp_path):
    from boltzmann import SOLVERS, solve
    from boltzmann.cli import main

    out = tmp_path / "d.h5"
    assert main(["shock", "--mach", "2", "--model", "dsmc", "--upstream", "5", "--downstream",
                 "5", "--dx", "0.25", "--ppc", "20", "--samples", "400", "--quiet",
                 "--out", str(out)]) == 0
    f = read_solution(out)
    assert {"rho", "u", "T", "p", "sigma_xx", "q_x"} <= set(f.data)
    assert {"rho_err", "q_x_err"} <= set(f.data)
    assert f.problem().mach == 2.0
    assert {"bgk", "shakhov", "esbgk", "dsmc", "spectral"} <= set(SOLVERS)
    with pytest.raises(InputError, match="unknown model"):
        solve(NormalShock(2.0), "hard-sphere")
    with pytest.raises(InputError, match="unknown options"):
        solve(NormalShock(2.0), "dsmc", ppcc=3)


def test_free_molecular_limit_matches_the_collisionless_tube():
    """Kn -> inf: at Kn = 100 Sod's tube is free streaming, f(x, v, t) = f_0(x - v t, v);
    the reservoir ends of DSMC reproduce the unbounded ends of the exact solution."""
    from boltzmann.exact import collisionless_tube

    tube = ShockTube.sod(kn=100.0, t_end=0.15)
    sol = DSMC(tube, Gas(), numerics=DSMCNumerics(nx=50, ppc=100, runs=16, seed=3)).run(
        progress=False)
    exact = collisionless_tube(tube, Gas(), sol.x, tube.t_end)
    for k, ref in zip(("rho", "u", "T"), exact):
        z = np.abs(sol[k] - ref) / sol.errors[k]
        assert np.mean(z) < 1.2 and np.max(z) < 4.5, (k, np.mean(z), np.max(z))  # t, 15 dof


OHWADA = Path(__file__).resolve().parents[1] / "data" / "ohwada1993_hs_M1.59.csv"


def test_hard_sphere_shock_matches_ohwada_boltzmann_solution():
    """Published full-Boltzmann structure of the hard-sphere shock at M = 1.59 [Ohwada, Phys.
    Fluids A 5, 217 (1993), as plotted in Jaiswal, Alexeenko & Hu, J. Comput. Phys. 378, 178
    (2019), Fig. 14; digitized points and provenance in tests/data].  The normalized rho, u, T
    agree at every published point within 4 DSMC standard errors plus the digitization
    uncertainty (0.002 in value, 0.01 lambda in x: 0.004 in all), and the reciprocal density
    thickness with the one of the published points (max slope of their cubic spline, 0.176;
    its uncertainty from the 0.002 reading error over points 0.36 lambda apart, 0.008)
    within 3 combined standard errors.  Both use lambda = 1/(sqrt 2 pi d^2 n)."""
    from scipy.interpolate import CubicSpline

    from boltzmann.diagnostics import density_midpoint, reciprocal_thickness_smoothed

    ref = np.loadtxt(OHWADA, delimiter=",", comments="#", skiprows=12)
    xr = ref[:, 0] - density_midpoint(ref[:, 0], ref[:, 1], 0.5)
    problem = NormalShock(1.59, upstream=12.0, downstream=12.0)
    sol = DSMC(problem, Gas(omega=0.5), numerics=DSMCNumerics(dx=0.2, ppc=60, seed=5)).run(
        progress=False, samples=40000)
    up, down = rankine_hugoniot(1.59, Gas(omega=0.5))
    for col, k in enumerate(("rho", "u", "T"), start=1):
        a1, a2 = getattr(up, k), getattr(down, k)
        scaled = (sol[k] - a1) / (a2 - a1)
        if k == "u":  # plotted as (u - u2)/(u1 - u2)
            scaled = 1.0 - scaled
        dev = np.abs(np.interp(xr, sol.x, scaled) - ref[:, col])
        err = np.interp(xr, sol.x, sol.errors[k]) / abs(a2 - a1)
        assert np.all(dev < 4.0 * err + 0.004), (k, dev.max(), err.max())
    xf = np.linspace(xr[0], xr[-1], 4000)
    published = CubicSpline(xr, ref[:, 1])(xf, 1).max()
    ours = reciprocal_thickness_smoothed(sol.x, sol["rho"])
    sigma = np.hypot(sol.info["reciprocal_thickness_err"], 0.008)
    assert published == pytest.approx(0.1757, abs=5e-4)
    assert abs(ours - published) < 3.0 * sigma, (ours, published, sigma)


def test_sort_by_cell_moves_shifts_wraps_and_is_stable():
    """The fused counting sort against NumPy: the first nmove particles fly c_x dt, all shift,
    the periodic box wraps; a stable order by cell, the cell starts, and without a period
    the particles that left the domain are dropped."""
    rng = np.random.default_rng(3)
    n, nmove, ncell, dx, dt, shift = 1000, 800, 10, 0.1, 0.05, 0.02
    x, c = rng.uniform(0.0, 1.0, n), rng.normal(size=(n, 3))
    ref = x - shift
    ref[:nmove] += c[:nmove, 0] * dt
    ref = np.mod(ref, 1.0)
    cell = (ref / dx).astype(int)
    order = np.argsort(cell, kind="stable")
    xo, co, start = np.empty(n), np.empty((n, 3)), np.zeros(ncell + 1, np.int64)
    assert kernels.sort_by_cell(x, c, n, 0.0, dx, ncell, xo, co, start, shift, nmove, dt,
                                1.0) == n
    np.testing.assert_allclose(xo, ref[order], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(co, c[order])
    np.testing.assert_array_equal(start, np.searchsorted(cell[order], np.arange(ncell + 1)))
    moved = x + c[:, 0] * dt
    kept = kernels.sort_by_cell(x, c, n, 0.0, dx, ncell, xo, co, start, 0.0, n, dt)
    assert kept == np.count_nonzero((moved >= 0.0) & (moved < 1.0)) < n
    edge = np.array([-1e-18])  # rounds to the box end when wrapped: must land in the box
    assert kernels.sort_by_cell(edge, np.zeros((1, 3)), 1, 0.0, dx, ncell, xo, co, start,
                                0.0, 0, 0.0, 1.0) == 1


def test_collisions_through_an_index_order_equal_those_on_sorted_particles():
    """collide(..., order=...) (cells as index ranges of `order`, the particles left where
    they are) gives bit for bit the collisions of the particles gathered into cell order."""
    rng = np.random.default_rng(4)
    n, ncell = 3000, 7
    cell = rng.integers(0, ncell, n)
    order = np.argsort(cell, kind="stable")
    start = np.searchsorted(cell[order], np.arange(ncell + 1)).astype(np.int64)
    c = rng.normal(size=(n, 3))
    sorted_c = c[order]
    for alpha in (1.0, 1.5):
        crmax_a, crmax_b = np.full(ncell, 5.0), np.full(ncell, 5.0)
        n_a, n_b = np.zeros(ncell, np.int64), np.zeros(ncell, np.int64)
        for step in range(5):
            kernels.collide(sorted_c, start, ncell, 1.0, 1.0, 0.02, crmax_a, alpha, 9, step,
                            n_a)
            kernels.collide(c, start, ncell, 1.0, 1.0, 0.02, crmax_b, alpha, 9, step, n_b,
                            order)
        assert n_a.sum() > 1000
        np.testing.assert_array_equal(n_a, n_b)
        np.testing.assert_array_equal(c[order], sorted_c)
