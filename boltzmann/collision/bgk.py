"""BGK model [Bhatnagar, Gross & Krook, Phys. Rev. 94, 511 (1954)]: relaxation to the local
Maxwellian at frequency 1/tau = p/mu.  Prandtl number 1 (Chapman-Enskog)."""

import numpy as np
from numba import njit


@njit(cache=True)
def maxwellian(G, H, v, dof, rho, u, T):
    """Chu-reduced Maxwellian: G = rho (2 pi T)^-1/2 exp(-(v-u)^2 / 2T), H = (dof - 1) T G."""
    a = rho / np.sqrt(2.0 * np.pi * T)
    b = 0.5 / T
    for j in range(v.size):
        c = v[j] - u
        G[j] = a * np.exp(-b * c * c)
        H[j] = (dof - 1) * T * G[j]


@njit(cache=True)
def target(G, H, v, dof, rho, u, T, sigma, q, prandtl):
    maxwellian(G, H, v, dof, rho, u, T)
