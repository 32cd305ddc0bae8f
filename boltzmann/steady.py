"""Marching a stationary normal shock to its steady state, for any solver of the problem.

Every `chunk` steps the density midpoint x_m is located and the profile compared with the
previous one translated by the shift of x_m; the run stops when this shock-frame residual
max_i |d rho_i/dt| lambda_1 / (u_1 (rho_2 - rho_1)) falls below tol and the shock drifts by
less than 1e-3 u_1.  The shock is held at the centre: whenever x_m leaves the central cell the
solution is translated by whole cells (exact).
"""

import numpy as np
from scipy.interpolate import CubicSpline

from .diagnostics import density_midpoint
from .errors import SolutionError


def shock_frame_residual(x, rho_old, rho, shift, span) -> float:
    """max |d rho/dt| over `span` in the frame of a shock that moved by `shift` (the old
    profile translated by a cubic spline)."""
    rho_frame = CubicSpline(x, rho_old)(x - shift)
    return float(np.max(np.abs(rho - rho_frame)) / span)


def shift_cells(a, k: int):
    """Move the cells (axis 1) of a by -k in place, repeating the end cell into the gap."""
    if k > 0:
        a[:, :-k] = a[:, k:].copy()
        a[:, -k:] = a[:, -k - 1:-k]
    elif k < 0:
        a[:, -k:] = a[:, :k].copy()
        a[:, :-k] = a[:, -k:-k + 1]


def march_to_steady(problem, states, x, dx, density, advance, translate, clock, tol=None,
                    strict=True, chunk=100, bar=None, label="normal shock"):
    """Drive a solver to the steady shock (module docstring).

    density() -> rho per cell (checked); advance(n): n steps; translate(k): move the solution
    by -k cells; clock() -> t.  tol overrides problem.tol; with strict=False a run that reaches
    problem.max_time returns instead of raising.  Returns residual, shock_speed (lambda_1 per
    unit time) and residual_history (t, residual, speed / u_1)."""
    tol = problem.tol if tol is None else tol
    up, down = states
    scale = 1.0 / (up.u * (down.rho - up.rho))
    level = 0.5 * (up.rho + down.rho)
    rho_old = density()
    xm_old = density_midpoint(x, rho_old, level)
    history = []
    while True:
        t0 = clock()
        advance(chunk)
        rho = density()
        xm = density_midpoint(x, rho, level)
        span = clock() - t0
        speed = (xm - xm_old) / span
        res = shock_frame_residual(x, rho_old, rho, xm - xm_old, span) * scale
        k = int(np.round(xm / dx))
        if k:
            translate(k)
            rho, xm = density(), xm - k * dx
        rho_old, xm_old = rho, xm
        history.append((clock(), res, speed / up.u))
        if bar is not None:
            bar.update(chunk)
            bar.set_postfix(residual=f"{res:.2e}")
        if res < tol and abs(speed) < 1e-3 * up.u:
            break
        if clock() > problem.max_time:
            if not strict:
                break
            raise SolutionError(
                f"{label} M={problem.mach}: no steady state by t={clock():.4g} "
                f"(residual {res:.2e} > tol {tol:.0e}); raise max_time or tol")
    return {"residual": res, "shock_speed": speed, "residual_history": np.array(history)}
