"""Conservation to round-off and the H theorem."""

import numpy as np
import pytest

import boltzmann as bz
from boltzmann.collision import equilibrium_field
from boltzmann.moments import entropy, moments
from tests.conftest import totals


@pytest.mark.parametrize("dof", [3, 1])
def test_periodic_run_conserves_to_roundoff(model, dof):
    """Mass, momentum and energy of a periodic run are constant to ~1e-12 relative, every
    model, across the whole range of Knudsen numbers (transport and relaxation both
    conservative on the discrete grid)."""
    for kn in (1e-4, 1e-1, 1e3):
        wave = bz.PeriodicWave(amplitude=0.3, u0=0.4, kn=kn, t_end=0.2, mode="acoustic",
                               gamma=bz.Gas(dof=dof).gamma)
        s = bz.KineticSolver(wave, bz.Gas(dof=dof), model, bz.Numerics(nx=64))
        before = totals(s)
        s.run()
        after = totals(s)
        rel = np.abs(after - before) / np.abs(before)
        assert np.all(rel < 1e-12), (kn, rel)


def _homogeneous(model, gas, f0_builder):
    """A spatially uniform gas: 4 identical cells, periodic; returns solver."""
    wave = bz.PeriodicWave(amplitude=0.0, kn=1.0, t_end=1.0)
    s = bz.KineticSolver(wave, gas, model, bz.Numerics(nx=4, nv=81, v_width=7.0))
    f0_builder(s)
    return s


def _two_beams(s):
    """Non-equilibrium start: the sum of two shifted Maxwellians with different temperatures
    (nonzero stress and heat flux)."""
    nx = s.interior.shape[1]
    a = np.zeros_like(s.interior)
    b = np.zeros_like(s.interior)
    one = np.ones(nx)
    equilibrium_field(0.6 * one, -0.9 * one, 0.5 * one, s.grid.v, s.grid.w, s.gas.dof, a)
    equilibrium_field(0.4 * one, 1.3 * one, 1.4 * one, s.grid.v, s.grid.w, s.gas.dof, b)
    s.interior[...] = a + b


def test_entropy_decreases_in_homogeneous_relaxation(model, gas):
    """The discrete H = int f log f never increases, and the gas relaxes to the Maxwellian
    with the same mass, momentum and energy; sigma_xx and q_x decay at the model's rates."""
    s = _homogeneous(model, gas, _two_beams)
    m0 = moments(s.interior, s.grid, gas.dof)
    H = [entropy(s.interior, s.grid)[0]]
    tau = s.mu_ref * m0["T"][0] ** gas.omega / m0["p"][0]
    dt = 0.05 * tau
    for _ in range(400):  # 20 tau
        s._collide(dt)
        H.append(entropy(s.interior, s.grid)[0])
    H = np.array(H)
    assert np.all(np.diff(H) <= 1e-13 * np.abs(H[:-1])), np.diff(H).max()
    assert H[-1] < H[0] - 1e-3
    m1 = moments(s.interior, s.grid, gas.dof)
    for k in ("rho", "u", "T"):
        assert m1[k][0] == pytest.approx(m0[k][0], rel=1e-13, abs=1e-14)
    assert abs(m1["sigma_xx"][0]) < 1e-3 * abs(m0["sigma_xx"][0])
    assert abs(m1["q_x"][0]) < 1e-3 * abs(m0["q_x"][0])


def test_relaxation_rates_give_prandtl_number(model, gas):
    """In a homogeneous relaxation sigma_xx decays at p/mu and q_x at Pr p/mu: the ratio of
    the two rates is the model's Prandtl number (1 BGK, 2/3 Shakhov and ES-BGK)."""
    s = _homogeneous(model, gas, _two_beams)
    m0 = moments(s.interior, s.grid, gas.dof)
    p_over_mu = m0["p"][0] / (s.mu_ref * m0["T"][0] ** gas.omega)
    t = 0.5 / p_over_mu
    for _ in range(50):
        s._collide(t / 50)
    m1 = moments(s.interior, s.grid, gas.dof)
    rate_s = -np.log(m1["sigma_xx"][0] / m0["sigma_xx"][0]) / (t * p_over_mu)
    rate_q = -np.log(m1["q_x"][0] / m0["q_x"][0]) / (t * p_over_mu)
    pr = bz.get_model(model).prandtl
    assert rate_s == pytest.approx(1.0, rel=2e-3)
    assert rate_q == pytest.approx(pr, rel=2e-3)
