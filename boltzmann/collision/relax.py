"""The relaxation step shared by every BGK-type collision model.

A model relaxes f towards a target distribution T[f] (Maxwellian, Shakhov, ES Gaussian) at the
collision frequency 1/tau:  df/dt = (T[f] - f) / tau.  In a relaxation step density, velocity,
temperature and tau are constant, and the non-conserved moments the target depends on decay
exponentially, sigma(t) = sigma_0 exp(-r_s t p/mu), q(t) = q_0 exp(-r_q t p/mu).  Integrating
exactly with T interpolated linearly in time between the two ends of the step (an exponential
trapezoidal rule, second order) gives

    f(dt) = e^-a f_0 + (1 - e^-a) T[sigma*, q*],   a = dt / tau,
    sigma* = (w_0 sigma_0 + w_1 sigma(dt)) / (1 - e^-a)   (q* likewise),
    w_0 = (1 - e^-a (1 + a)) / a,   w_1 = 1 - e^-a - w_0,

where evaluating T at the weighted moments is exact for BGK and Shakhov (T is affine in q) and
second order for ES-BGK.  The weights are positive, so the step is unconditionally stable and,
as a -> inf, returns the Maxwellian (asymptotic preserving).  The target is corrected on the
discrete grid by a factor (1 + a0 + a1 z + a2 z^2), z = (v - u)/sqrt(T), whose three
coefficients make its mass, momentum and energy equal to those of f to round-off.
"""

import numpy as np
from numba import njit, prange

from ..moments import SUMS, primitive
from . import bgk, esbgk, shakhov

#: model codes of the targets known to the kernels (see `target`)
TARGET_CODES = {"bgk": 0, "shakhov": 1, "esbgk": 2}


@njit(cache=True)
def target(code, G, H, v, dof, rho, u, T, sigma, q, prandtl):
    """Write the target distribution of model `code` (TARGET_CODES) into G, H.  Numba caches
    kernels only for static dispatch, so a new model adds a branch here."""
    if code == 0:
        bgk.target(G, H, v, dof, rho, u, T, sigma, q, prandtl)
    elif code == 1:
        shakhov.target(G, H, v, dof, rho, u, T, sigma, q, prandtl)
    else:
        esbgk.target(G, H, v, dof, rho, u, T, sigma, q, prandtl)


@njit(cache=True, fastmath=SUMS)
def correct(G, H, v, w, ncomp, dof, rho, u, T):
    """Scale G (and H when ncomp == 2) by (1 + a0 + a1 z + a2 z^2), z = (v - u)/sqrt(T), so
    that the discrete mass, momentum and energy equal rho, rho u, rho (u^2 + dof T) / 2.

    In the frame moving with u the three conditions read sum w G' = rho, sum w z G' = 0,
    sum w e' = dof rho / 2 with e = (z^2 G + H/T) / 2: a 3x3 linear system in a0, a1, a2
    whose matrix holds the moments S_k = sum w z^k G and E_k = sum w z^k e, solved by
    Cramer's rule (for the Maxwellian its determinant is rho^3: well conditioned)."""
    nv = v.size
    ist = 1.0 / np.sqrt(T)
    iT = 1.0 / T
    s0 = s1 = s2 = s3 = 0.0
    e0 = e1 = e2 = 0.0
    for j in range(nv):
        z = (v[j] - u) * ist
        g = w[j] * G[j]
        e = z * z * g
        if ncomp == 2:
            e += w[j] * H[j] * iT
        e *= 0.5
        s0 += g
        s1 += g * z
        s2 += g * z * z
        s3 += g * z * z * z
        e0 += e
        e1 += e * z
        e2 += e * z * z
    b0 = rho - s0
    b1 = -s1
    b2 = 0.5 * dof * rho - e0
    # rows: (s0 s1 s2), (s1 s2 s3), (e0 e1 e2)
    det = s0 * (s2 * e2 - s3 * e1) - s1 * (s1 * e2 - s3 * e0) + s2 * (s1 * e1 - s2 * e0)
    a0 = (b0 * (s2 * e2 - s3 * e1) - s1 * (b1 * e2 - s3 * b2) + s2 * (b1 * e1 - s2 * b2)) / det
    a1 = (s0 * (b1 * e2 - s3 * b2) - b0 * (s1 * e2 - s3 * e0) + s2 * (s1 * b2 - b1 * e0)) / det
    a2 = (s0 * (s2 * b2 - b1 * e1) - s1 * (s1 * b2 - b1 * e0) + b0 * (s1 * e1 - s2 * e0)) / det
    for j in range(nv):
        z = (v[j] - u) * ist
        fac = 1.0 + a0 + a1 * z + a2 * z * z
        G[j] *= fac
        if ncomp == 2:
            H[j] *= fac


@njit(cache=True)
def relaxation_weights(a):
    """e^-a, w_0, w_1 of the exponential trapezoidal rule (series for small a)."""
    e = np.exp(-a)
    if a < 1e-3:
        w0 = a * (0.5 - a * (1.0 / 3.0 - a / 8.0))
    else:
        w0 = (1.0 - e * (1.0 + a)) / a
    return e, w0, -np.expm1(-a) - w0


@njit(cache=True, parallel=True)
def relax(f, v, w, dof, mu_ref, omega, dt, nu, rate_s, rate_q, prandtl, code):
    """Relax every cell of f (shape (ncomp, nx, nv), modified in place) over dt.

    mu_ref, omega: viscosity mu = mu_ref T^omega; nu: collision frequency 1/tau in p/mu;
    rate_s, rate_q: decay rates of sigma_xx and q_x in p/mu; code: the model's target."""
    ncomp, nx, nv = f.shape
    nblock = min(nx, 64)
    for blk in prange(nblock):
        G = np.empty(nv)  # work arrays allocated once per block of cells
        H = np.empty(nv)
        for i in range(blk * nx // nblock, (blk + 1) * nx // nblock):
            rho, u, T, sigma, q = primitive(f, i, v, w, dof)
            p_over_mu = rho * T / (mu_ref * T ** omega)
            e, w0, w1 = relaxation_weights(dt * nu * p_over_mu)
            c = w0 + w1  # 1 - e^-a, accurate for small a
            s_eff = sigma * (w0 + w1 * np.exp(-dt * rate_s * p_over_mu)) / c
            q_eff = q * (w0 + w1 * np.exp(-dt * rate_q * p_over_mu)) / c
            target(code, G, H, v, dof, rho, u, T, s_eff, q_eff, prandtl)
            correct(G, H, v, w, ncomp, dof, rho, u, T)
            for j in range(nv):
                f[0, i, j] = e * f[0, i, j] + c * G[j]
            if ncomp == 2:
                for j in range(nv):
                    f[1, i, j] = e * f[1, i, j] + c * H[j]


@njit(cache=True, parallel=True)
def equilibrium_field(rho, u, T, v, w, dof, f):
    """Fill f (ncomp, nx, nv) with the target of zero stress and heat flux (the discrete
    Maxwellian) of the states rho, u, T (arrays of shape (nx,)), with exact discrete moments."""
    ncomp, nx, nv = f.shape
    for i in prange(nx):
        G = np.empty(nv)
        H = np.empty(nv)
        bgk.maxwellian(G, H, v, dof, rho[i], u[i], T[i])
        correct(G, H, v, w, ncomp, dof, rho[i], u[i], T[i])
        for j in range(nv):
            f[0, i, j] = G[j]
        if ncomp == 2:
            for j in range(nv):
                f[1, i, j] = H[j]
