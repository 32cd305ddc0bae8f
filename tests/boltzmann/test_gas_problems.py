import numpy as np
import pytest

import boltzmann as bz
from boltzmann.gas import MFP_FACTOR


def test_mean_free_path_definition():
    """Bird's hard-sphere form lambda = 16 mu / (5 rho sqrt(2 pi R T)) [Bird 1994, eq. 4.52]."""
    gas = bz.Gas(omega=0.81)
    mu_ref = gas.mu_ref(0.37)
    T, rho = 2.5, 0.7
    mu = mu_ref * T**0.81
    expected = 16.0 * mu / (5.0 * rho * np.sqrt(2.0 * np.pi * T))
    assert gas.mean_free_path(rho, T, mu_ref) == pytest.approx(expected, rel=1e-14)
    assert gas.mean_free_path(1.0, 1.0, mu_ref) == pytest.approx(0.37, rel=1e-14)
    assert MFP_FACTOR == pytest.approx(0.7833213, rel=1e-7)


def test_gamma():
    assert bz.Gas(dof=3).gamma == pytest.approx(5.0 / 3.0)
    assert bz.Gas(dof=1).gamma == pytest.approx(3.0)


def test_rankine_hugoniot_mach_5_5():
    """Jump values quoted in the issue (gamma = 5/3): rho2/rho1 = 3.6391, T2/T1 = 10.322."""
    up, down = bz.rankine_hugoniot(5.5, bz.Gas())
    assert down.rho / up.rho == pytest.approx(3.6391, abs=1e-4)
    assert down.T / up.T == pytest.approx(10.322, abs=1e-3)
    # the jump conserves mass, momentum and energy fluxes exactly
    for fl in (lambda s: s.rho * s.u, lambda s: s.rho * s.u**2 + s.p,
               lambda s: s.u * (0.5 * s.rho * s.u**2 + 2.5 * s.p)):
        assert fl(down) == pytest.approx(fl(up), rel=1e-13)


def test_problem_attrs_roundtrip(gas):
    from boltzmann.problems import from_attrs

    for prob in (bz.ShockTube.sod(kn=1e-3), bz.ShockTube.moving_shock(3.0, gas),
                 bz.NormalShock(mach=3.0), bz.PeriodicWave(mode="entropy")):
        assert from_attrs(prob.to_attrs()) == prob


def test_moving_shock_speed(gas):
    """The left state of moving_shock(M) and gas at rest satisfy the jump conditions of a
    shock moving at M times the sound speed of the gas at rest."""
    tube = bz.ShockTube.moving_shock(10.0, gas)
    s = 10.0 * np.sqrt(gas.gamma)
    L, R = tube.left, tube.right
    assert L.rho * (L.u - s) == pytest.approx(R.rho * (R.u - s), rel=1e-13)
    assert L.rho * (L.u - s) ** 2 + L.p == pytest.approx(R.rho * (R.u - s) ** 2 + R.p, rel=1e-13)


def test_velocity_cutoff_fraction_matches_quadrature():
    grid = bz.VelocityGrid.uniform(-3.0, 5.0, 200)
    u, T = 0.8, 1.7
    m, e = grid.cutoff_fractions(u, T)
    v = np.linspace(-40, 40, 400001)
    dv = v[1] - v[0]
    M = np.exp(-(v - u) ** 2 / (2 * T)) / np.sqrt(2 * np.pi * T)
    out = (v < grid.v[0] - grid.dv / 2) | (v > grid.v[-1] + grid.dv / 2)
    assert m == pytest.approx(M[out].sum() * dv, rel=1e-5)
    e_ref = ((0.5 * v**2 + T) * M)[out].sum() * dv / (0.5 * u * u + 1.5 * T)
    assert e == pytest.approx(e_ref, rel=1e-5)
