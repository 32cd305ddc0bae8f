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
        wave = bz.PeriodicWave(amplitude=0.3, u0=0.4, kn=kn, t_end=0.2, mode="acoustic")
        if dof == 1 and model == "esbgk":  # ES-BGK reduces to BGK in 1D and is refused
            with pytest.raises(bz.InputError, match="ES-BGK is BGK"):
                bz.KineticSolver(wave, bz.Gas(dof=dof), model, bz.Numerics(nx=64))
            return
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
    assert s.interior.min() >= 0.0  # H covers every value: none negative
    assert H[-1] < H[0] - 1e-3
    m1 = moments(s.interior, s.grid, gas.dof)
    for k in ("rho", "u", "T"):
        assert m1[k][0] == pytest.approx(m0[k][0], rel=1e-13, abs=1e-14)
    assert abs(m1["sigma_xx"][0]) < 1e-3 * abs(m0["sigma_xx"][0])
    assert abs(m1["q_x"][0]) < 1e-3 * abs(m0["q_x"][0])


def _measured_rates(model, gas, a_step, t_total):
    """Decay rates (in p/mu) of sigma_xx and q_x in a homogeneous relaxation made of steps of
    a_step collision times, up to t_total collision times."""
    s = _homogeneous(model, gas, _two_beams)
    m0 = moments(s.interior, s.grid, gas.dof)
    p_over_mu = m0["p"][0] / (s.mu_ref * m0["T"][0] ** gas.omega)
    tau = 1.0 / (s.model.nu * p_over_mu)
    n = int(round(t_total / a_step))
    for _ in range(n):
        s._collide(a_step * tau)
    m1 = moments(s.interior, s.grid, gas.dof)
    t = n * a_step * tau
    return (-np.log(m1["sigma_xx"][0] / m0["sigma_xx"][0]) / (t * p_over_mu),
            -np.log(m1["q_x"][0] / m0["q_x"][0]) / (t * p_over_mu))


@pytest.mark.parametrize("a_step", [0.01, 0.5])
def test_relaxation_rates_give_prandtl_number(model, gas, a_step):
    """In a homogeneous relaxation sigma_xx decays at p/mu and q_x at Pr p/mu, so the ratio
    of the rates is the model's Prandtl number (1 BGK, 2/3 Shakhov and ES-BGK).  With steps of
    half a collision time the exponential integrator is still within 2 %; a wrong decay rate
    fed to it would be off by several per cent there (checked below)."""
    rate_s, rate_q = _measured_rates(model, gas, a_step, 3.0)
    pr = bz.get_model(model).prandtl
    tol = 2e-3 if a_step < 0.1 else 2e-2
    assert rate_s == pytest.approx(1.0, rel=tol)
    assert rate_q == pytest.approx(pr, rel=tol)


def test_wrong_decay_rate_is_detected(gas, monkeypatch):
    """The test above can fail: Shakhov fed the heat-flux decay rate of BGK (1 instead of
    Pr) relaxes q_x measurably faster with half-collision-time steps."""
    import dataclasses

    from boltzmann import collision

    wrong = dataclasses.replace(collision.make_shakhov(), rate_q=1.0)
    monkeypatch.setitem(collision.COLLISIONS, "shakhov", lambda prandtl=None: wrong)
    _, rate_q = _measured_rates("shakhov", gas, 0.5, 3.0)
    assert abs(rate_q / (2.0 / 3.0) - 1.0) > 2e-2
