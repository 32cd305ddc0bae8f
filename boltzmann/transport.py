"""Free transport d_t f + v d_x f = 0: second-order MUSCL upwinding, as numba kernels.

A distribution with ghost cells has shape (ncomp, nx + 2 NG, nv).  The interface value of each
discrete velocity is reconstructed from the upwind side with a limited slope [van Leer,
J. Comput. Phys. 32, 101 (1979)]; for v > 0, f_{i+1/2} = f_i + s_i / 2, for v < 0,
f_{i+1/2} = f_{i+1} - s_{i+1} / 2.
"""

import numpy as np
from numba import njit, prange

NG = 2  # ghost cells on each side


@njit(cache=True, inline="always")
def minmod(a, b):
    if a * b <= 0.0:
        return 0.0
    return a if abs(a) < abs(b) else b


@njit(cache=True, inline="always")
def vanleer(a, b):
    ab = a * b
    if ab <= 0.0:
        return 0.0
    return 2.0 * ab / (a + b)


@njit(cache=True, inline="always")
def mc(a, b):
    if a * b <= 0.0:
        return 0.0
    c = 0.5 * (a + b)
    s = 1.0 if a > 0.0 else -1.0
    return s * min(abs(c), 2.0 * abs(a), 2.0 * abs(b))


@njit(cache=True, inline="always")
def unlimited(a, b):
    return 0.5 * (a + b)


LIMITERS = {"minmod": 0, "vanleer": 1, "mc": 2, "none": 3}


@njit(cache=True, inline="always")
def slope(limiter, a, b):
    """Limited slope from the one-sided differences a, b; limiter is a code of LIMITERS
    (static dispatch keeps the kernels cacheable; the branch is loop-invariant)."""
    if limiter == 1:
        return vanleer(a, b)
    if limiter == 0:
        return minmod(a, b)
    if limiter == 2:
        return mc(a, b)
    return unlimited(a, b)


@njit(cache=True)
def advect_cell(f_in, f_base, a, b, v, j0, dtdx, limiter, out, k):
    """out[:, k] = a f_base[:, k] + b (f_in - dt/dx (F_{k+1/2} - F_{k-1/2}))[:, k] for the padded
    cell index k."""
    for m in range(f_in.shape[0]):
        fm2 = f_in[m, k - 2]
        fm1 = f_in[m, k - 1]
        f0 = f_in[m, k]
        fp1 = f_in[m, k + 1]
        fp2 = f_in[m, k + 2]
        base = f_base[m, k]
        res = out[m, k]
        for j in range(j0):  # v < 0: the upwind cell is right of each face
            s0 = slope(limiter, f0[j] - fm1[j], fp1[j] - f0[j])
            sp = slope(limiter, fp1[j] - f0[j], fp2[j] - fp1[j])
            div = v[j] * (fp1[j] - 0.5 * sp - f0[j] + 0.5 * s0)
            res[j] = a * base[j] + b * (f0[j] - dtdx * div)
        for j in range(j0, v.size):  # v >= 0: the upwind cell is left of each face
            s0 = slope(limiter, f0[j] - fm1[j], fp1[j] - f0[j])
            sm = slope(limiter, fm1[j] - fm2[j], f0[j] - fm1[j])
            div = v[j] * (f0[j] + 0.5 * s0 - fm1[j] - 0.5 * sm)
            res[j] = a * base[j] + b * (f0[j] - dtdx * div)


@njit(cache=True, parallel=True)
def advect_stage(f_in, f_base, a, b, v, j0, dtdx, limiter, out):
    """One Shu-Osher stage of the transport step on interior cells:

        out = a f_base + b (f_in - dt/dx (F_{i+1/2} - F_{i-1/2})[f_in]).

    f_in, f_base, out: shape (ncomp, nx + 2 NG, nv), ghosts of f_in filled; the velocity grid v
    is sorted and v[j] < 0 exactly for j < j0.  Ghosts of out are left untouched."""
    nx = f_in.shape[1] - 2 * NG
    for i in prange(nx):
        advect_cell(f_in, f_base, a, b, v, j0, dtdx, limiter, out, i + NG)


def first_nonnegative(v) -> int:
    """Index of the first v >= 0 in a sorted velocity grid."""
    return int(np.searchsorted(v, 0.0, side="left"))
