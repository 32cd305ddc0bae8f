"""Boundary conditions: they fill the ghost cells of a distribution (ncomp, nx + 2 NG, nv).

periodic; outflow (zero gradient, for shock tubes whose waves never reach the ends);
inflow reservoir (a fixed Maxwellian, for the supersonic upstream end of a normal shock); and
a characteristic subsonic outflow for the downstream end of a normal shock: the ghost holds a
Maxwellian whose state carries the outgoing acoustic invariant p + Z u and the entropy of the
last interior cell and the incoming invariant p - Z u of the Rankine-Hugoniot state
(Z = rho_2 a_2), so acoustic waves leave the domain instead of ringing between the shock and
the boundary [Thompson, J. Comput. Phys. 68, 1 (1987), linearised].  At the steady state the
ghost is the Rankine-Hugoniot Maxwellian, so the boundary does not change the solution.
"""

import numpy as np
from numba import njit

from .collision.bgk import maxwellian
from .collision.relax import correct
from .moments import primitive
from .transport import NG


@njit(cache=True)
def fill_periodic(f):
    nx = f.shape[1] - 2 * NG
    for g in range(NG):
        f[:, g, :] = f[:, nx + g, :]
        f[:, nx + NG + g, :] = f[:, NG + g, :]


@njit(cache=True)
def fill_outflow(f):
    nx = f.shape[1] - 2 * NG
    for g in range(NG):
        f[:, g, :] = f[:, NG, :]
        f[:, nx + NG + g, :] = f[:, nx + NG - 1, :]


@njit(cache=True)
def outflow_state(rho_i, u_i, T_i, rho2, u2, T2, gamma):
    """The characteristic subsonic-outflow state (module docstring) from the last interior
    state (rho_i, u_i, T_i) and the Rankine-Hugoniot state (rho2, u2, T2)."""
    p_i = rho_i * T_i
    p2 = rho2 * T2
    z = rho2 * np.sqrt(gamma * T2)
    p_b = 0.5 * (p_i + z * u_i + p2 - z * u2)
    u_b = (p_i + z * u_i - p2 + z * u2) / (2.0 * z)
    if p_b <= 0.0:
        p_b = p2
        u_b = u2
    rho_b = rho_i * (p_b / p_i) ** (1.0 / gamma)
    return rho_b, u_b, p_b / rho_b


@njit(cache=True)
def fill_shock(f, left, v, w, dof, gamma, rho2, u2, T2):
    """Upstream ghosts: the fixed distribution `left` (ncomp, nv); downstream ghosts: the
    characteristic outflow Maxwellian described in the module docstring."""
    ncomp, nxg, nv = f.shape
    last = nxg - NG - 1
    rho_i, u_i, T_i, _, _ = primitive(f, last, v, w, dof)
    rho_b, u_b, T_b = outflow_state(rho_i, u_i, T_i, rho2, u2, T2, gamma)
    G = np.empty(nv)
    H = np.empty(nv)
    maxwellian(G, H, v, dof, rho_b, u_b, T_b)
    correct(G, H, v, w, ncomp, dof, rho_b, u_b, T_b)
    for g in range(NG):
        f[:, g, :] = left
        f[0, nxg - NG + g, :] = G
        if ncomp == 2:
            f[1, nxg - NG + g, :] = H
