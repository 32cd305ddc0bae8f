"""Moments of the Chu-reduced distribution, as numba kernels.

Layout of a distribution: f[k, i, j] with k the component (0: g; 1: h, present only for
dof = 3), i the cell and j the discrete velocity; shape (ncomp, nx, nv).

    rho = sum_j w_j g_j,  rho u = sum_j w_j v_j g_j,  E = 1/2 sum_j w_j (v_j^2 g_j + h_j)
    dof/2 rho T = E - 1/2 rho u^2,  p = rho T,
    sigma_xx = sum_j w_j c_j^2 g_j - p,  q_x = 1/2 sum_j w_j c_j (c_j^2 g_j + h_j),  c = v - u.
"""

import numpy as np
from numba import njit, prange

#: floating-point reassociation and fused multiply-add only, so that LLVM vectorises the
#: velocity sums; no finite-math assumptions, NaN still propagate and are caught
SUMS = {"reassoc", "contract"}

#: names and units of the diagnostics, shared by every writer of solution files
MOMENT_UNITS = {
    "rho": "rho_0",
    "u": "sqrt(R T_0)",
    "T": "T_0",
    "p": "rho_0 R T_0",
    "sigma_xx": "rho_0 R T_0",
    "q_x": "rho_0 (R T_0)^(3/2)",
}


@njit(cache=True, fastmath=SUMS)
def conserved(f, i, v, w):
    """Mass, momentum and energy density of cell i."""
    ncomp, _, nv = f.shape
    m0 = 0.0
    m1 = 0.0
    m2 = 0.0
    for j in range(nv):
        gw = w[j] * f[0, i, j]
        m0 += gw
        m1 += gw * v[j]
        m2 += gw * v[j] * v[j]
    if ncomp == 2:
        for j in range(nv):
            m2 += w[j] * f[1, i, j]
    return m0, m1, 0.5 * m2


@njit(cache=True, fastmath=SUMS)
def primitive(f, i, v, w, dof):
    """rho, u, T, sigma_xx, q_x of cell i."""
    ncomp, _, nv = f.shape
    rho, mom, energy = conserved(f, i, v, w)
    u = mom / rho
    T = (2.0 * energy / rho - u * u) / dof
    pxx = 0.0
    q = 0.0
    for j in range(nv):
        c = v[j] - u
        gw = w[j] * f[0, i, j]
        pxx += gw * c * c
        q += gw * c * c * c
    if ncomp == 2:
        for j in range(nv):
            q += w[j] * (v[j] - u) * f[1, i, j]
    return rho, u, T, pxx - rho * T, 0.5 * q


@njit(cache=True, parallel=True)
def field_moments(f, v, w, dof, out):
    """Fill out[0:5, i] = rho, u, T, sigma_xx, q_x for every cell; out has shape (5, nx)."""
    for i in prange(f.shape[1]):
        rho, u, T, s, q = primitive(f, i, v, w, dof)
        out[0, i] = rho
        out[1, i] = u
        out[2, i] = T
        out[3, i] = s
        out[4, i] = q


@njit(cache=True, parallel=True)
def field_conserved(f, v, w, out):
    """out[0:3, i] = mass, momentum, energy densities; out has shape (3, nx)."""
    for i in prange(f.shape[1]):
        a, b, c = conserved(f, i, v, w)
        out[0, i] = a
        out[1, i] = b
        out[2, i] = c


@njit(cache=True, parallel=True)
def entropy_density(f, w, out):
    """Boltzmann's H per cell, int f log f dv over the 3D velocity.

    dof = 1: sum_j w_j g log g.  Chu-reduced dof = 3: the transverse distribution is taken as
    the maximum-entropy one with the given (g, h), a Gaussian of temperature h / (2 g), so
    H = sum_j w_j [g log(g^2 / (pi h)) - g]; this functional is convex in (g, h) and is
    minimised, under the conservation constraints, by the reduced Maxwellian.  Non-positive
    values (a Shakhov target can have some) are left out of the sum."""
    ncomp, nx, nv = f.shape
    for i in prange(nx):
        acc = 0.0
        for j in range(nv):
            g = f[0, i, j]
            if g <= 0.0:
                continue
            if ncomp == 1:
                acc += w[j] * g * np.log(g)
            else:
                h = f[1, i, j]
                if h > 0.0:
                    acc += w[j] * (g * np.log(g * g / (np.pi * h)) - g)
        out[i] = acc


def moments(f, grid, dof):
    """Dictionary of diagnostic arrays (each shape (nx,)) of the distribution f."""
    out = np.empty((5, f.shape[1]))
    field_moments(f, grid.v, grid.w, dof, out)
    rho, u, T, s, q = out
    return {"rho": rho, "u": u, "T": T, "p": rho * T, "sigma_xx": s, "q_x": q}


def entropy(f, grid):
    out = np.empty(f.shape[1])
    entropy_density(f, grid.w, out)
    return out
