"""Ellipsoidal-statistical BGK [Holway, Phys. Fluids 9, 1658 (1966); H-theorem: Andries,
Le Tallec, Perlat & Perthame, Eur. J. Mech. B 19, 813 (2000)]: relaxation at
1/tau = Pr p/mu to the Gaussian of covariance Lambda = (1 - nu) T I + nu P/rho,
nu = 1 - 1/Pr, which gives Chapman-Enskog Prandtl number Pr (admissible for Pr >= 2/3).
In planar flow Lambda_xx = T + nu sigma_xx/rho and, the stress being traceless and
transversally isotropic, Lambda_yy = Lambda_zz = T - nu sigma_xx / (2 rho).  For the 1D gas
sigma_xx = 0 identically and the model is BGK."""

import numpy as np
from numba import njit

from .bgk import gaussian


@njit(cache=True)
def target(G, H, v, dof, rho, u, T, sigma, q, prandtl):
    nu = 1.0 - 1.0 / prandtl
    lxx = T + nu * sigma / rho if dof == 3 else T
    lyy = T - 0.5 * nu * sigma / rho
    gaussian(G, v, u, lxx, rho / np.sqrt(2.0 * np.pi * lxx))
    for j in range(v.size):
        H[j] = 2.0 * lyy * G[j]
