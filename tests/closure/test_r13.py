"""R13 (closure/systems/r13.py) and the Grad-family speed table (closure/kernels.py)."""

import warnings

import numpy as np
import pytest

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver, SubshockWarning
from closure.systems import R13, Grad13


def test_speed_table_bounds_the_exact_speeds():
    """The tabulated wave-speed bound |u| + sqrt(theta) Lambda(sigma/p, q/(p sqrt theta)) is
    at least the largest |Re lambda| of the Grad-13 flux Jacobian over random states in and
    beyond the table, and at most 25 % above it in the gas frame (u = 0)."""
    g = Grad13(bz.Gas(), 1.0)
    rng = np.random.default_rng(1)
    n = 4000
    rho, u, T = rng.uniform(0.2, 5, n), rng.uniform(-3, 3, n), rng.uniform(0.2, 9, n)
    p = rho * T
    s = p * rng.uniform(-1.0, 2.0, n)
    q = p * np.sqrt(T) * rng.uniform(-12.0, 12.0, n)
    for vel in (u, 0.0 * u):
        U = g.from_primitive(rho, vel, T, s, q)
        ratio = g.max_speed(U) / np.abs(g.eigenvalues(U).real).max(axis=1)
        assert ratio.min() >= 1.0, ratio.min()
    assert ratio.max() < 1.25, ratio.max()


def test_r13_shock_is_smooth_above_the_grad_critical_mach():
    """At M = 3, far above Grad's 1.65, R13 has a smooth shock structure [Torrilhon &
    Struchtrup, J. Fluid Mech. 513, 171 (2004), sec. 5]: no subshock warning, no jump between
    cells above 10 % of rho_2 - rho_1, monotone density, Rankine-Hugoniot end states, and a
    thickness between NSF's and the kinetic one (R13 is thicker than NSF at high Mach)."""
    gas = bz.Gas(omega=1.0)
    shock = bz.NormalShock(mach=3.0, upstream=20.0, downstream=20.0, tol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SubshockWarning)
        sol = FVSolver(shock, gas, "r13", FVNumerics(dx=0.25)).run()
    rho = sol["rho"]
    up, down = shock.states(gas)
    assert np.max(np.diff(rho)) < 0.1 * (down.rho - up.rho)
    assert np.min(np.diff(rho)) > -1e-4 * (down.rho - up.rho)
    assert rho[0] == pytest.approx(up.rho, rel=1e-3)
    assert rho[-1] == pytest.approx(down.rho, rel=1e-3)
    assert sol["T"][-1] == pytest.approx(down.T, rel=1e-3)
    nsf = FVSolver(shock, gas, "nsf", FVNumerics(dx=0.25)).run()
    assert bz.reciprocal_thickness(sol.x, rho) < 0.9 * bz.reciprocal_thickness(nsf.x, nsf["rho"])


def test_r13_reports_no_critical_mach_and_keeps_the_domain_check():
    g = R13(bz.Gas(omega=1.0), 1.0)
    assert g.critical_mach() is None
    U = g.from_primitive(np.ones(3), np.zeros(3), np.array([1.0, -0.5, 1.0]), 0.0, 2.0)
    with pytest.raises(bz.SolutionError, match=r"r13: state outside the domain .* cell 1"):
        g.check(U, 0.25, np.arange(3.0))
    g.check(g.from_primitive(np.ones(3), np.zeros(3), np.ones(3), 0.0, 2.0), 0.0,
            np.arange(3.0))  # |q| = 2 p sqrt(theta): Grad 13 would refuse, R13 does not


def test_cli_r13_tube(tmp_path):
    """`python -m closure tube --model r13` writes the kinetic datasets."""
    from closure.cli import main

    out = tmp_path / "r13.h5"
    assert main(["tube", "--sod", "--kn", "0.01", "--nx", "100", "--model", "r13",
                 "--out", str(out)]) == 0
    rd = bz.read_solution(out)
    assert rd.params["model"]["name"] == "r13"
    assert np.all(np.isfinite(rd["q_x"])) and np.abs(rd["q_x"]).max() > 0.0
