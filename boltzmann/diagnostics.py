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
