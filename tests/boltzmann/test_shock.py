"""Stationary normal shocks: conservation through the shock, Rankine-Hugoniot end states,
thickness against weak-shock theory, grid convergence."""

import numpy as np
import pytest

import boltzmann as bz


def fluxes(m):
    """Mass, momentum and energy fluxes of the 1D moments (monatomic gas)."""
    rho, u, p, s, q = m["rho"], m["u"], m["p"], m["sigma_xx"], m["q_x"]
    return np.array([rho * u, rho * u * u + p + s, u * (0.5 * rho * u * u + 2.5 * p + s) + q])


def reciprocal_thickness(sol):
    return bz.reciprocal_thickness(sol.x, sol["rho"])


@pytest.fixture(scope="module")
def mach55():
    shock = bz.NormalShock(mach=5.5)
    return bz.KineticSolver(shock, bz.Gas(omega=0.5), "shakhov",
                            bz.Numerics(dx=0.125, cfl=0.9)).run()


def test_fluxes_constant_through_shock(mach55):
    F = fluxes(mach55.moments)
    rel = np.max(np.abs(F - F[:, :1]), axis=1) / np.abs(F[:, 0])
    assert np.all(rel < 1e-3), rel


def test_rankine_hugoniot_end_states(mach55):
    """M = 5.5: rho2/rho1 = 3.6391, T2/T1 = 10.322 (gamma = 5/3 jump relations)."""
    m = mach55.moments
    up, _ = mach55.problem.states(mach55.gas)  # the upstream reservoir, rho_1 = T_1 = 1
    assert m["rho"][-1] / up.rho == pytest.approx(3.6391, rel=1e-4)
    assert m["T"][-1] / up.T == pytest.approx(10.322, rel=1e-4)
    # the first cell, 35 lambda_1 upstream, still feels the BGK-type precursor (docs/kinetic.md)
    assert 1.0 <= m["T"][0] < 1.002
    assert abs(m["q_x"][0]) < 2e-3 * np.max(np.abs(m["q_x"]))
    assert abs(m["q_x"][-1]) < 2e-3 * np.max(np.abs(m["q_x"]))


def test_shock_is_centred_and_steady(mach55):
    info = mach55.info
    assert abs(info["shock_position"]) <= 0.5 * 0.125 + 1e-12
    assert info["residual"] < mach55.problem.tol
    assert abs(info["shock_speed"]) < 1e-3 * 5.5 * np.sqrt(5 / 3)
    rho = mach55["rho"]
    mid = 0.5 * (rho[0] + rho[-1])
    i = np.argmax(rho >= mid)
    assert mach55.x[i - 1] < 0.0 <= mach55.x[i]  # x is centred at the density midpoint


@pytest.mark.parametrize("model,pr", [("shakhov", 2.0 / 3.0), ("bgk", 1.0),
                                      ("esbgk", 2.0 / 3.0)])
def test_weak_shock_thickness_matches_theory(model, pr):
    """As M -> 1 a kinetic shock tends to the Navier-Stokes-Fourier weak shock of the model's
    Prandtl number, whose maximum-slope thickness is delta = 2 D / (a_1 (M - 1)) with the
    diffusivity of sound D = (mu/rho) (4/3 + (gamma - 1)/Pr) [Lighthill, 'Viscosity effects in
    sound waves of finite amplitude', in Surveys in Mechanics, CUP (1956), eq. (4.7) and sec. 5;
    Taylor, Proc. R. Soc. A 84, 371 (1910)].  With Bird's lambda_1 this is
    lambda_1/delta = (M - 1) 16 sqrt(gamma) / (5 sqrt(2 pi) 2 (4/3 + (gamma - 1)/Pr)):
    0.35316 (M - 1) for Shakhov and ES-BGK (Pr = 2/3), 0.41203 (M - 1) for BGK.  At M = 1.2
    the O((M-1)^2) Burnett corrections are a few per cent (the ratio measured here is 0.99 at
    M = 1.1, 0.98 at M = 1.2)."""
    gamma = 5.0 / 3.0
    mach = 1.2
    theory = (mach - 1) * 16 * np.sqrt(gamma) / (5 * np.sqrt(2 * np.pi) * 2
                                                 * (4 / 3 + (gamma - 1) / pr))
    shock = bz.NormalShock(mach=mach, upstream=60.0, downstream=60.0, tol=1e-6)
    sol = bz.KineticSolver(shock, bz.Gas(omega=0.5), model, bz.Numerics(dx=0.5)).run()
    assert reciprocal_thickness(sol) == pytest.approx(theory, rel=0.03)


def test_mach55_thickness_converged_to_one_percent(mach55):
    """The automatic grid of the Mach 5.5 shock (dx = 0.125 lambda_1) gives the reciprocal
    thickness within 1 % of its grid-converged value: against dx = 0.25 the second-order
    Richardson estimate moves it by less than 1 %.  The value is pinned to the one reported
    in docs/kinetic.md and docs/experiments.md (0.5163) to 0.3 %."""
    fine = bz.reciprocal_thickness(mach55.x, mach55["rho"])
    coarse_sol = bz.KineticSolver(bz.NormalShock(mach=5.5), bz.Gas(omega=0.5), "shakhov",
                                  bz.Numerics(dx=0.25, cfl=0.9)).run()
    coarse = bz.reciprocal_thickness(coarse_sol.x, coarse_sol["rho"])
    richardson = fine + (fine - coarse) / 3.0
    assert coarse < fine
    assert abs(richardson - fine) / fine < 0.01
    assert fine == pytest.approx(0.5163, rel=3e-3)
