"""The Navier-Stokes-Fourier stationary shock from the ODE (closure/shock_ode.py)."""

import numpy as np
import pytest

import boltzmann as bz
from closure.shock_ode import nsf_shock


@pytest.mark.parametrize("omega", [0.5, 0.81])
@pytest.mark.parametrize("mach", [1.5, 5.5])
def test_profile_solves_the_nsf_equations(mach, omega):
    """sigma_xx and q_x of the profile equal -4/3 mu u' and -(5/2)(mu/Pr) T' (finite
    differences of the returned u, T), and the ends are the Rankine-Hugoniot states."""
    gas = bz.Gas(omega=omega)
    p = nsf_shock(mach, gas, npoints=20001)
    du = np.gradient(p["u"], p["x"])
    dT = np.gradient(p["T"], p["x"])
    sig = -4.0 / 3.0 * p["mu"] * du
    q = -2.5 * p["mu"] / (2.0 / 3.0) * dT
    assert np.max(np.abs(p["sigma_xx"] - sig)) < 1e-3 * np.max(np.abs(sig))
    assert np.max(np.abs(p["q_x"] - q)) < 1e-3 * np.max(np.abs(q))
    up, down = bz.rankine_hugoniot(mach, gas)
    assert p["rho"][0] == pytest.approx(up.rho, rel=1e-6)
    assert p["rho"][-1] == pytest.approx(down.rho, rel=1e-6)
    assert p["T"][-1] == pytest.approx(down.T, rel=1e-6)


@pytest.mark.parametrize("pr", [2.0 / 3.0, 1.0])
def test_weak_shock_limit(pr):
    """At M = 1.05 the NSF thickness equals the weak-shock theory [Lighthill 1956; Taylor
    1910], lambda_1/delta = (M - 1) 16 sqrt(gamma) / (5 sqrt(2 pi) 2 (4/3 + (gamma - 1)/Pr))."""
    g = 5.0 / 3.0
    mach = 1.05
    theory = (mach - 1) * 16 * np.sqrt(g) / (5 * np.sqrt(2 * np.pi) * 2 * (4 / 3 + (g - 1) / pr))
    p = nsf_shock(mach, bz.Gas(), prandtl=pr)
    assert bz.reciprocal_thickness(p["x"], p["rho"]) == pytest.approx(theory, rel=0.01)


def test_kinetic_shocks_tend_to_nsf_at_weak_mach():
    """At M = 1.2 the Shakhov (Pr = 2/3) and BGK (Pr = 1) shocks agree with the NSF shock of
    the same Prandtl number to 3 % in reciprocal thickness; at M = 5.5 they do not (the
    kinetic shocks are much thicker), which is the point of the toolkit."""
    gas = bz.Gas()
    for model, pr in (("shakhov", 2.0 / 3.0), ("bgk", 1.0)):
        nsf = nsf_shock(1.2, gas, prandtl=pr)
        kin = bz.KineticSolver(bz.NormalShock(mach=1.2), gas, model,
                               bz.Numerics(dx=0.5)).run()
        r_nsf = bz.reciprocal_thickness(nsf["x"], nsf["rho"])
        r_kin = bz.reciprocal_thickness(kin.x, kin["rho"])
        assert r_kin == pytest.approx(r_nsf, rel=0.03)
    strong = nsf_shock(5.5, gas)
    assert bz.reciprocal_thickness(strong["x"], strong["rho"]) > 0.7


def test_bad_input():
    with pytest.raises(bz.InputError, match="Mach"):
        nsf_shock(0.9)
    with pytest.raises(bz.InputError, match="Prandtl"):
        nsf_shock(2.0, prandtl=-1.0)
    with pytest.raises(bz.InputError, match="dof"):
        nsf_shock(2.0, bz.Gas(dof=1))


def test_constitutive_map_identity_and_scaling():
    """The identity constitutive map is NSF; halving both normalised gradients
    (a = sigma^/2, b = q^/2) is NSF with twice the viscosity and conductivity, i.e. the
    profile of a gas with twice the mean free path (x stretched by 2)."""
    gas = bz.Gas(omega=0.5)
    ref = nsf_shock(3.0, gas)
    same = nsf_shock(3.0, gas, constitutive=lambda s, q: (s, q))
    for k in ("rho", "T", "sigma_xx", "q_x"):
        assert np.max(np.abs(same[k] - ref[k])) < 1e-8 * np.max(np.abs(ref[k]))
    half = nsf_shock(3.0, gas, constitutive=lambda s, q: (0.5 * s, 0.5 * q))
    wide = nsf_shock(3.0, gas, mfp_ref=2.0)
    x = np.linspace(-20.0, 20.0, 401)
    for k in ("rho", "T", "sigma_xx", "q_x"):
        a = np.interp(x, half["x"], half[k])
        b = np.interp(x, wide["x"], wide[k])
        assert np.max(np.abs(a - b)) < 1e-5 * np.max(np.abs(b))
    # and it is not NSF: the profile is twice as thick
    assert np.max(np.abs(np.interp(x, ref["x"], ref["rho"]) -
                      np.interp(x, half["x"], half["rho"]))) > 0.1


def test_constitutive_map_with_the_density_gradient():
    """A map that also takes d = (mu sqrt T / p) rho_x / rho is called with kappa = (3/4)
    sqrt(T)/u (d = kappa a in the steady shock): for a = s + beta q d, b = q, solved in closed
    form, the profile carries exactly that relation with d from its own density gradient, and
    with beta = 0 it is NSF."""
    gas = bz.Gas(omega=0.5)

    def closure(beta):
        def f(s, q, kappa):
            return s / (1.0 - beta * q * kappa), q
        f.density_gradient = True
        return f

    ref = nsf_shock(3.0, gas)
    same = nsf_shock(3.0, gas, constitutive=closure(0.0))
    for k in ("rho", "T", "sigma_xx", "q_x"):
        assert np.max(np.abs(same[k] - ref[k])) < 1e-8 * np.max(np.abs(ref[k]))
    prof = nsf_shock(3.0, gas, constitutive=closure(0.5), npoints=8001)
    x, rho, u, T = prof["x"], prof["rho"], prof["u"], prof["T"]
    p, mu = rho * T, prof["mu"]
    a = -4.0 / 3.0 * mu * np.gradient(u, x) / p
    d = mu * np.sqrt(T) / p * np.gradient(rho, x) / rho
    s, q = prof["sigma_xx"] / p, prof["q_x"] / (p * np.sqrt(T))
    assert np.max(np.abs(a - (s + 0.5 * q * d))) < 1e-3 * np.max(np.abs(s))
    assert np.max(np.abs(a - s)) > 0.05 * np.max(np.abs(s))  # and it is not NSF
    assert np.max(np.abs(np.interp(x, ref["x"], ref["rho"]) - rho)) > 0.01
