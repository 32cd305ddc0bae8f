"""Shakhov's S-model [Shakhov, Fluid Dyn. 3, 95 (1968)]: relaxation at 1/tau = p/mu to

    f_S = f_M [1 + (1 - Pr) c.q / ((D + 2) p T) (c^2 / T - (D + 2))],   c = v - u,

with D the number of velocity dimensions; the heat flux relaxes at Pr/tau, so the
Chapman-Enskog Prandtl number is Pr (2/3 for a monatomic gas).  Integrated over the
transverse velocities (Chu), for D = 3:
G = G_M [1 + A c (c^2/T - 3)], H = H_M [1 + A c (c^2/T - 1)], A = (1 - Pr) q / (5 p T)."""

from numba import njit

from .bgk import maxwellian


@njit(cache=True)
def target(G, H, v, dof, rho, u, T, sigma, q, prandtl):
    maxwellian(G, H, v, dof, rho, u, T)
    A = (1.0 - prandtl) * q / ((dof + 2.0) * rho * T * T)
    for j in range(v.size):
        c = v[j] - u
        c2 = c * c / T
        G[j] *= 1.0 + A * c * (c2 - 3.0)
        H[j] *= 1.0 + A * c * (c2 - 1.0)
