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

from ..moments import primitive
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


@njit(cache=True)
def solve3(A, b):
    """Solve the 3x3 system A x = b by Gaussian elimination with partial pivoting."""
    M = A.copy()
    x = b.copy()
    for k in range(3):
        p = k
        for r in range(k + 1, 3):
            if abs(M[r, k]) > abs(M[p, k]):
                p = r
        if p != k:
            for c in range(3):
                M[k, c], M[p, c] = M[p, c], M[k, c]
            x[k], x[p] = x[p], x[k]
        for r in range(k + 1, 3):
            m = M[r, k] / M[k, k]
            for c in range(k, 3):
                M[r, c] -= m * M[k, c]
            x[r] -= m * x[k]
    for k in range(2, -1, -1):
        s = x[k]
        for c in range(k + 1, 3):
            s -= M[k, c] * x[c]
        x[k] = s / M[k, k]
    return x


@njit(cache=True)
def correct(G, H, v, w, ncomp, dof, rho, u, T):
    """Scale G (and H when ncomp == 2) by (1 + a0 + a1 z + a2 z^2), z = (v - u)/sqrt(T), so
    that the discrete mass, momentum and energy equal rho, rho u, rho (u^2 + dof T) / 2."""
    nv = v.size
    A = np.zeros((3, 3))
    b = np.zeros(3)
    st = np.sqrt(T)
    for j in range(nv):
        c = v[j] - u
        z = c / st
        gw = w[j] * G[j]
        e = c * c * gw
        if ncomp == 2:
            e += w[j] * H[j]
        e *= 0.5 / T
        zl = 1.0
        for col in range(3):
            A[0, col] += gw * zl
            A[1, col] += gw * z * zl
            A[2, col] += e * zl
            zl *= z
        b[0] += gw
        b[1] += gw * z
        b[2] += e
    # moments in the frame moving with u, scaled by the thermal speed
    b[0] = rho - b[0]
    b[1] = 0.0 - b[1]
    b[2] = 0.5 * dof * rho - b[2]
    a = solve3(A, b)
    for j in range(nv):
        z = (v[j] - u) / st
        fac = 1.0 + a[0] + a[1] * z + a[2] * z * z
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
    for i in prange(nx):
        rho, u, T, sigma, q = primitive(f, i, v, w, dof)
        p_over_mu = rho * T / (mu_ref * T ** omega)
        e, w0, w1 = relaxation_weights(dt * nu * p_over_mu)
        c = w0 + w1  # 1 - e^-a, accurate for small a
        s_eff = sigma * (w0 + w1 * np.exp(-dt * rate_s * p_over_mu)) / c
        q_eff = q * (w0 + w1 * np.exp(-dt * rate_q * p_over_mu)) / c
        G = np.empty(nv)
        H = np.empty(nv)
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
