"""The Navier-Stokes-Fourier normal shock without time marching.

In the shock frame the steady NSF equations of a monatomic gas (R = 1, c_p = 5/2) integrate
once to constant fluxes of mass m, momentum P and energy E:

    rho u = m,    m u + p + sigma = P,    m (u^2/2 + 5 T/2) + u sigma + q = E,
    sigma = -4/3 mu(T) du/dx,    q = -(5/2) (mu(T) / Pr) dT/dx,

leaving two ODEs for u(x), T(x) whose fixed points are the Rankine-Hugoniot states [Gilbarg &
Paolucci, J. Rational Mech. Anal. 2, 617 (1953)]:

    4/3 mu du/dx = m u + m T / u - P,
    (5/2) (mu/Pr) dT/dx = -m u^2 / 2 + 3 m T / 2 + u P - E.

The downstream state is a saddle; the profile is its one orbit that reaches the upstream node,
found by leaving the saddle along its stable eigenvector and integrating towards x -> -inf.

`constitutive` replaces Navier-Stokes-Fourier by an implicit local constitutive relation of
the NCCR type [Myong, Phys. Fluids 11, 2788 (1999)]: a map from the dimensionless fluxes
(sigma/p, q/(p sqrt T)) to the Navier-Stokes-normalised gradients that carry them,

    a = -(4/3) mu du/dx / p,    b = -(c_p mu / Pr) dT/dx / (p sqrt T),

the identity being NSF.  Conservation fixes sigma and q as functions of (u, T) along the
profile, so the map gives du/dx and dT/dx directly (no inversion is needed).

A map with the attribute `density_gradient = True` also takes the density gradient, as
d = (mu sqrt(T) / p) (d rho/dx) / rho (Burnett-order closures have such terms).  In the
steady shock mass conservation (rho u = m) ties it to a: d = kappa a with kappa = (3/4)
sqrt(T) / u, so such a map is called as map(s, q, kappa) and solves for its own a.
"""

import numpy as np
from scipy.integrate import solve_ivp

from boltzmann.diagnostics import density_midpoint
from boltzmann.errors import InputError, SolutionError
from boltzmann.gas import Gas
from boltzmann.problems import rankine_hugoniot


def shock_invariants(mach, gas):
    """(upstream state, downstream state, (m, P, E)): the Rankine-Hugoniot states of the
    monatomic shock and its fluxes of mass, momentum and energy (module docstring)."""
    up, down = rankine_hugoniot(mach, gas)
    m = up.rho * up.u
    return up, down, (m, m * up.u + up.p, m * (0.5 * up.u**2 + 2.5 * up.T))


def closing_fluxes(u, T, m, P, E):
    """sigma_xx and q_x that conservation of the fluxes (m, P, E) leaves at (u, T); NumPy
    arrays, floats or torch tensors."""
    sigma = P - m * u - m * T / u
    return sigma, E - m * (0.5 * u * u + 2.5 * T) - u * sigma


def nsf_shock(mach: float, gas: Gas = Gas(), prandtl: float = 2.0 / 3.0, mfp_ref: float = 1.0,
              npoints: int = 2001, rtol: float = 1e-10, constitutive=None):
    """Stationary NSF shock profile of Mach number `mach`, or with `constitutive`
    (a callable (sigma/p, q/(p sqrt T)) -> (a, b) on floats, or (s, q, kappa) -> (a, b) with
    the attribute density_gradient = True; module docstring) that of an implicit local
    constitutive relation.

    Returns a dict of arrays of shape (npoints,): x (in the upstream mean free path, x = 0 at
    the density midpoint), rho, u, T, p, sigma_xx, q_x, in the units of `boltzmann.gas`."""
    if gas.dof != 3:
        raise InputError("nsf_shock: the monatomic gas (dof = 3) only")
    if not (np.isfinite(prandtl) and prandtl > 0.0):
        raise InputError(f"nsf_shock: Prandtl number {prandtl} must be positive")
    up, down, (m, P, E) = shock_invariants(mach, gas)
    mu_ref = gas.mu_ref(mfp_ref)
    with_d = bool(getattr(constitutive, "density_gradient", False))

    def fluxes(u, T):
        return closing_fluxes(u, T, m, P, E)

    def rhs(x, y):
        u, T = y
        mu = mu_ref * abs(T) ** gas.omega
        sigma, q = fluxes(u, T)
        if constitutive is not None:
            p, c = m * T / u, np.sqrt(abs(T))
            if with_d:
                a, b = constitutive(sigma / p, q / (p * c), 0.75 * c / u)
            else:
                a, b = constitutive(sigma / p, q / (p * c))
            sigma, q = p * a, p * c * b
        return [-0.75 * sigma / mu, -q * prandtl / (2.5 * mu)]

    # stable eigenvector of the downstream saddle (finite-difference Jacobian)
    y2 = np.array([down.u, down.T])
    h = 1e-7
    J = np.column_stack([(np.array(rhs(0, y2 + h * e)) - np.array(rhs(0, y2 - h * e))) / (2 * h)
                         for e in np.eye(2)])
    lam, vec = np.linalg.eig(J)
    if not (lam.real.min() < 0.0 < lam.real.max()):
        raise SolutionError(f"nsf_shock: downstream state is not a saddle (eigenvalues {lam})")
    e = np.real(vec[:, np.argmin(lam.real)])
    e = e if e[0] > 0 else -e  # towards the faster, colder upstream state
    y0 = y2 + 1e-8 * down.u * e / abs(e[0])

    def arrived(x, y):
        return y[0] - (up.u - 1e-7 * (up.u - down.u))

    arrived.terminal = True
    length = 400.0 * max(1.0, 1.0 / (mach - 1.0))
    sol = solve_ivp(rhs, (0.0, -length), y0, method="LSODA", rtol=rtol, atol=1e-12,
                    events=arrived, dense_output=True)
    if sol.status != 1:
        raise SolutionError(f"nsf_shock M={mach}: the orbit did not reach the upstream state "
                            f"({sol.message})")
    x_end = sol.t[-1]
    x = np.linspace(x_end, 0.0, npoints)
    u, T = sol.sol(x)  # x[0]: where the orbit came within 1e-7 (u1 - u2) of the upstream node
    rho = m / u
    mu = mu_ref * T**gas.omega
    sigma, q = fluxes(u, T)
    xm = density_midpoint(x, rho, 0.5 * (up.rho + down.rho))
    return {"x": x - xm, "rho": rho, "u": u, "T": T, "p": rho * T, "sigma_xx": sigma, "q_x": q,
            "mu": mu}
