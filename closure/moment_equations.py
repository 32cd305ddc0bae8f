"""The exact 1D equation of a linear fluid-frame moment, the structure the learned closure
fills in (derivation in docs/learned_closure.md).

For weight functions phi, psi of xi = (v - u)/c, c = sqrt(T), the moment

    W = int [phi(xi) G(v) + psi(xi) H(v) / (2T)] dv = rho int (phi g^ + psi h^) dxi

of the Chu-reduced kinetic equation d_t F + v d_x F = Q obeys

    d_t W + d_x (u W + rho c B) = rho P / tau
        - rho [ (D_t u / c) A0 + (d_x u + D_t c / c) A1 + (d_x c) A2 ]
        - rho [ (D_t T / T) E0 + (c d_x T / T) E1 ],

    B = int xi (phi g^ + psi h^),   A_n = int xi^n (phi' g^ + psi' h^),   E_n = int xi^n psi h^,
    P = int (phi t_g^ + psi t_h^) - int (phi g^ + psi h^)      (collision target t^, tau = mu/p),

with D_t = d_t + u d_x, D_t u = -(1/rho) d_x (p + sigma) and
(3/2) rho D_t T = -(p + sigma) d_x u - d_x q.  Arrays: fluid-frame distributions (n, 2, NXI)
of `closure.data`; weight functions sampled on XI.
"""

import numpy as np

from .data import DXI, XI


def frame_moments(phi, dphi, psi, dpsi, g, h, tg=None, th=None):
    """W / rho, B, A0, A1, A2, E0, E1 (and P if the targets are given) per row of g, h
    (n, NXI), for weight functions phi, psi and their derivatives sampled on XI (exact
    derivatives: a central difference of xi^3 on XI is off by DXI^2, 2 % of A0)."""
    out = {"W": (g @ phi + h @ psi) * DXI, "B": (g @ (XI * phi) + h @ (XI * psi)) * DXI}
    for n in range(3):
        out[f"A{n}"] = (g @ (XI**n * dphi) + h @ (XI**n * dpsi)) * DXI
    for n in range(2):
        out[f"E{n}"] = h @ (XI**n * psi) * DXI
    if tg is not None:
        out["P"] = (tg @ phi + th @ psi) * DXI - out["W"]
    return out


def material_derivatives(x, rho, u, T, sigma, q):
    """D_t u and D_t T from the momentum and energy equations, central differences in x."""
    p = rho * T
    ux = np.gradient(u, x)
    Du = -np.gradient(p + sigma, x) / rho
    DT = -2.0 / (3.0 * rho) * ((p + sigma) * ux + np.gradient(q, x))
    return Du, DT


def moment_rhs(x, s, m, tau):
    """Right-hand side of W's equation minus the flux divergence: returns (flux, source),
    flux = u W + rho c B and source = the rest, for fields s (rho, u, T, sigma_xx, q_x) and
    frame moments m (`frame_moments`, with P)."""
    rho, u, T = s["rho"], s["u"], s["T"]
    c = np.sqrt(T)
    Du, DT = material_derivatives(x, rho, u, T, s["sigma_xx"], s["q_x"])
    Dc = DT / (2.0 * c)
    source = rho * m["P"] / tau - rho * (
        Du / c * m["A0"] + (np.gradient(u, x) + Dc / c) * m["A1"] + np.gradient(c, x) * m["A2"]
        + DT / T * m["E0"] + c * np.gradient(T, x) / T * m["E1"])
    flux = u * rho * m["W"] + rho * c * m["B"]
    return flux, source
