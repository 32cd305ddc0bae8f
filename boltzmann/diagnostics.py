"""Diagnostics of solutions: shock position and thickness."""

import numpy as np
from scipy.interpolate import CubicSpline

from .errors import SolutionError


def density_midpoint(x, rho, level):
    """x where rho first crosses `level`, by linear interpolation."""
    k = int(np.argmax(rho >= level))
    if k == 0:
        raise SolutionError("normal shock: the density never crosses its midpoint level")
    x0, x1, r0, r1 = x[k - 1], x[k], rho[k - 1], rho[k]
    return float(x0 + (level - r0) * (x1 - x0) / (r1 - r0))


def reciprocal_thickness(x, rho) -> float:
    """lambda_1 / delta = max|d rho/dx| / (rho_2 - rho_1) of a shock profile (x in lambda_1),
    the slope taken from the cubic spline through the cell values (sampled at dx/50), which
    converges faster under grid refinement than finite differences (docs/kinetic.md)."""
    x = np.asarray(x, dtype=float)
    rho = np.asarray(rho, dtype=float)
    k = int(np.argmax(np.abs(np.gradient(rho, x))))
    lo, hi = max(k - 4, 0), min(k + 5, x.size - 1)
    xf = np.linspace(x[lo], x[hi], 50 * (hi - lo) + 1)
    slope = np.max(np.abs(CubicSpline(x, rho)(xf, 1)))
    return float(slope / abs(rho[-1] - rho[0]))


def reciprocal_thickness_smoothed(x, rho, knot: float = 1.0, ends: int = 5) -> float:
    """lambda_1 / delta of a noisy (sampled) shock profile: the largest slope of the cubic
    least-squares spline with knots every `knot` (x units), over the jump between the means of
    the `ends` first and last cells.  For DSMC profiles, whose noise makes the interpolating
    spline of `reciprocal_thickness` overestimate the slope."""
    from scipy.interpolate import LSQUnivariateSpline

    x = np.asarray(x, dtype=float)
    rho = np.asarray(rho, dtype=float)
    nk = int((x[-1] - x[0]) / knot)
    t = np.linspace(x[0], x[-1], nk + 1)[1:-1]
    spline = LSQUnivariateSpline(x, rho, t, k=3)
    xf = np.linspace(x[0], x[-1], 20 * x.size)
    slope = np.max(np.abs(spline(xf, 1)))
    return float(slope / abs(rho[-ends:].mean() - rho[:ends].mean()))
