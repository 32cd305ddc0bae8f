"""Exact reference solutions: the Euler Riemann problem (the Kn -> 0 limit of a shock tube)
and collisionless flow (the Kn -> inf limit)."""

import numpy as np
from scipy.optimize import brentq

from .gas import Gas
from .problems import ShockTube, State


def _wave_curve(p, rho_k, p_k, c_k, g):
    """The function f_K(p) of the exact Riemann solver [Toro, Riemann Solvers and Numerical
    Methods for Fluid Dynamics, 3rd ed. (2009), eqs. (4.6)-(4.7)]."""
    if p > p_k:  # shock
        a = 2.0 / ((g + 1.0) * rho_k)
        b = (g - 1.0) / (g + 1.0) * p_k
        return (p - p_k) * np.sqrt(a / (p + b))
    return 2.0 * c_k / (g - 1.0) * ((p / p_k) ** ((g - 1.0) / (2.0 * g)) - 1.0)  # rarefaction


def _star(tube: ShockTube, gas: Gas):
    """Pressure p* and velocity u* between the waves [Toro 2009, sec. 4.3]."""
    g = gas.gamma
    L, R = tube.left, tube.right
    cl, cr = np.sqrt(g * L.p / L.rho), np.sqrt(g * R.p / R.rho)

    def f(p):
        return (_wave_curve(p, L.rho, L.p, cl, g) + _wave_curve(p, R.rho, R.p, cr, g)
                + R.u - L.u)

    if 2.0 * (cl + cr) / (g - 1.0) <= R.u - L.u:
        raise ValueError("riemann_euler: the initial data generate a vacuum")
    hi = max(L.p, R.p)
    while f(hi) < 0.0:
        hi *= 2.0
    ps = brentq(f, 1e-14 * hi, hi, xtol=1e-15 * hi, rtol=1e-14)
    us = 0.5 * (L.u + R.u) + 0.5 * (_wave_curve(ps, R.rho, R.p, cr, g)
                                    - _wave_curve(ps, L.rho, L.p, cl, g))
    return ps, us, cl, cr


def star_states(tube: ShockTube, gas: Gas):
    """The two middle states (left and right of the contact) of the exact Euler solution;
    empty when the data generate a vacuum."""
    try:
        ps, us, _, _ = _star(tube, gas)
    except ValueError:
        return ()
    g = gas.gamma
    gm = (g - 1.0) / (g + 1.0)
    out = []
    for st in (tube.left, tube.right):
        if ps > st.p:
            rho = st.rho * (ps / st.p + gm) / (gm * ps / st.p + 1.0)
        else:
            rho = st.rho * (ps / st.p) ** (1.0 / g)
        out.append(State(rho, us, ps / rho))
    return tuple(out)


def riemann_euler(tube: ShockTube, gas: Gas, x, t: float):
    """Exact solution rho, u, p (arrays of x's shape) of the Euler equations for the tube's
    left/right states at time t > 0 [Toro 2009, sec. 4.2-4.5]."""
    g = gas.gamma
    L, R = tube.left, tube.right
    ps, us, cl, cr = _star(tube, gas)
    xi = (np.asarray(x, dtype=float) - tube.x0) / t
    rho = np.empty_like(xi)
    u = np.empty_like(xi)
    p = np.empty_like(xi)
    gm = (g - 1.0) / (g + 1.0)
    for side, st, c, sgn in (("L", L, cl, -1.0), ("R", R, cr, 1.0)):
        mask = xi < us if side == "L" else xi >= us
        if ps > st.p:  # shock
            rho_s = st.rho * (ps / st.p + gm) / (gm * ps / st.p + 1.0)
            speed = st.u + sgn * c * np.sqrt((g + 1.0) / (2.0 * g) * ps / st.p
                                            + (g - 1.0) / (2.0 * g))
            outer = mask & (sgn * (xi - speed) > 0.0)
            star = mask & ~outer
            rho[star], u[star], p[star] = rho_s, us, ps
        else:  # rarefaction
            rho_s = st.rho * (ps / st.p) ** (1.0 / g)
            c_s = c * (ps / st.p) ** ((g - 1.0) / (2.0 * g))
            head, tail = st.u + sgn * c, us + sgn * c_s
            outer = mask & (sgn * (xi - head) > 0.0)
            star = mask & (sgn * (xi - tail) <= 0.0)
            fan = mask & ~outer & ~star
            rho[star], u[star], p[star] = rho_s, us, ps
            uf = 2.0 / (g + 1.0) * (-sgn * c + (g - 1.0) / 2.0 * st.u + xi[fan])
            cf = -sgn * (uf - xi[fan])
            rho[fan] = st.rho * (cf / c) ** (2.0 / (g - 1.0))
            u[fan] = uf
            p[fan] = st.p * (cf / c) ** (2.0 * g / (g - 1.0))
        rho[outer], u[outer], p[outer] = st.rho, st.u, st.p
    return rho, u, p


def collisionless_tube(tube: ShockTube, gas: Gas, x, t: float, nv: int = 4001, width=10.0,
                       nodes=None):
    """Free-molecular solution of the tube at time t: every molecule keeps its velocity, so
    f(x, v, t) = f_0(x - v t, v), the left Maxwellian where x - v t < x0, else the right one
    (ends taken as unbounded).  Moments by a fine quadrature (nv uniform nodes over
    +- width thermal speeds of both states), or on the given nodes = (v, weights), which
    is the free flight of a discrete-velocity solution on them; returns rho, u, T."""
    if nodes is None:
        states = (tube.left, tube.right)
        vmin = min(s.u - width * np.sqrt(s.T) for s in states)
        vmax = max(s.u + width * np.sqrt(s.T) for s in states)
        v = np.linspace(vmin, vmax, nv)
        w = np.full(nv, v[1] - v[0])
    else:
        v, w = (np.asarray(a, dtype=float) for a in nodes)
    x = np.asarray(x, dtype=float)[:, None]
    from_left = (x - v[None, :] * t) < tube.x0

    def maxw(s):
        return s.rho / np.sqrt(2.0 * np.pi * s.T) * np.exp(-(v - s.u) ** 2 / (2.0 * s.T))

    gl, gr = maxw(tube.left), maxw(tube.right)
    g = np.where(from_left, gl, gr)
    # transverse energy per unit v of each Maxwellian: (dof - 1) T g / 2
    et = np.where(from_left, 0.5 * (gas.dof - 1) * tube.left.T * gl,
                  0.5 * (gas.dof - 1) * tube.right.T * gr)
    rho = g @ w
    mom = (g * v) @ w
    energy = (0.5 * g * v * v + et) @ w
    u = mom / rho
    T = (2.0 * energy / rho - u * u) / gas.dof
    return rho, u, T
