"""Numba kernels of DSMC: pure array functions over particles (x: (n,), c: (n, 3)) sorted by
cell (cell k holds particles start[k]:start[k+1]).

Random numbers inside the parallel kernels come from splitmix64 streams seeded by (seed, step,
cell) [Steele, Lea & Flood, OOPSLA 2014], so a run is reproducible from its seed whatever the
number of threads.
"""

import numpy as np
from numba import njit, prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53

#: sum slots accumulated per cell: N, c_x, c_y, c_z, c_x^2, c_y^2, c_z^2, c_x c_y, c_x c_z,
#: c_x |c|^2
NSUMS = 10


@njit(inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always")
def stream(seed, step, cell):
    """Initial state of the random stream of (seed, step, cell)."""
    s = _mix(np.uint64(seed) * _GOLDEN + np.uint64(1))
    s = _mix(s ^ (np.uint64(step) * _M1 + np.uint64(2)))
    return _mix(s ^ (np.uint64(cell) * _M2 + np.uint64(3)))


@njit(inline="always")
def uniform(state):
    """(new state, uniform in [0, 1))."""
    state = state + _GOLDEN
    return state, float(_mix(state) >> _S11) * _TO_UNIT


@njit(cache=True, parallel=True)
def move(x, c, n, dt):
    for i in prange(n):
        x[i] += c[i, 0] * dt


#: particle chunks of the parallel counting sort
SORT_CHUNKS = 16


@njit(cache=True, parallel=True)
def sort_by_cell(x, c, n, x_lo, dx, ncell, x_out, c_out, start, shift=0.0):
    """Counting sort of the first n particles into x_out, c_out by cell of x - shift, dropping
    those outside [x_lo, x_lo + ncell dx); fills start (ncell + 1,) and returns the count kept.
    Stable, and parallel over SORT_CHUNKS contiguous chunks of particles (each chunk counts
    its cells, then scatters into its own slots of every cell)."""
    nch = SORT_CHUNKS
    idx = np.empty(n, np.int64)
    counts = np.zeros((nch, ncell), np.int64)
    size = (n + nch - 1) // nch
    for ch in prange(nch):
        for i in range(ch * size, min(n, (ch + 1) * size)):
            xi = x[i] - shift
            k = -1
            if xi >= x_lo:
                k = int((xi - x_lo) / dx)
                if k >= ncell:
                    k = -1
            if k >= 0:
                counts[ch, k] += 1
            idx[i] = k
    start[0] = 0
    for k in range(ncell):
        acc = start[k]
        for ch in range(nch):
            m = counts[ch, k]
            counts[ch, k] = acc
            acc += m
        start[k + 1] = acc
    for ch in prange(nch):
        for i in range(ch * size, min(n, (ch + 1) * size)):
            k = idx[i]
            if k >= 0:
                j = counts[ch, k]
                counts[ch, k] = j + 1
                x_out[j] = x[i] - shift
                c_out[j, 0] = c[i, 0]
                c_out[j, 1] = c[i, 1]
                c_out[j, 2] = c[i, 2]
    return start[ncell]


@njit(cache=True, parallel=True)
def collide(c, start, ncell, coeff, power, select, crmax, alpha, seed, step, ncoll):
    """No-time-counter collisions [Bird 1994, sec. 11.1] in every cell.

    sigma_T c_r = coeff c_r^power (VHS/VSS); select = F_N dt / V_cell; crmax (ncell,) the
    running maximum of sigma_T c_r per cell (raised when exceeded); alpha the VSS exponent
    (1: isotropic).  Candidate pairs N (N - 1) / 2 select crmax, rounded stochastically; the
    accepted collisions of each cell are added to ncoll.  Each collision conserves momentum
    and energy to round-off: c1' = c_m + c_r'/2, c2' = c_m - c_r'/2, |c_r'| = |c_r|."""
    for k in prange(ncell):
        lo = start[k]
        m = start[k + 1] - lo
        if m < 2:
            continue
        st = stream(seed, step, k)
        cmax = crmax[k]
        expected = 0.5 * m * (m - 1) * select * cmax
        npairs = int(expected)
        st, r = uniform(st)
        if r < expected - npairs:
            npairs += 1
        acc = 0
        for _ in range(npairs):
            st, r = uniform(st)
            i = lo + int(r * m)
            st, r = uniform(st)
            j = lo + int(r * (m - 1))
            if j >= i:
                j += 1
            gx = c[i, 0] - c[j, 0]
            gy = c[i, 1] - c[j, 1]
            gz = c[i, 2] - c[j, 2]
            g2 = gx * gx + gy * gy + gz * gz
            st, r = uniform(st)
            if power == 1.0:  # hard spheres: compare squares, no sqrt for rejected pairs
                sc2 = coeff * coeff * g2
                if sc2 > cmax * cmax:
                    cmax = np.sqrt(sc2)
                rc = r * cmax
                if rc * rc >= sc2:
                    continue
                g = np.sqrt(g2)
            else:
                g = np.sqrt(g2)
                sc = coeff if power == 0.0 else coeff * g ** power
                if sc > cmax:
                    cmax = sc
                if r * cmax >= sc:
                    continue
            acc += 1
            st, r = uniform(st)
            if alpha == 1.0:
                cos_chi = 2.0 * r - 1.0
            else:
                cos_chi = 2.0 * r ** (1.0 / alpha) - 1.0
            sin_chi = np.sqrt(max(0.0, 1.0 - cos_chi * cos_chi))
            st, r = uniform(st)
            eps = 2.0 * np.pi * r
            ce, se = np.cos(eps), np.sin(eps)
            if alpha == 1.0:
                nx = g * cos_chi
                ny = g * sin_chi * ce
                nz = g * sin_chi * se
            else:  # deflection measured from c_r [Bird 1994, eq. 2.22]
                gyz = np.sqrt(gy * gy + gz * gz)
                if gyz > 1e-12 * g:
                    nx = cos_chi * gx + sin_chi * se * gyz
                    ny = cos_chi * gy + sin_chi * (g * gz * ce - gx * gy * se) / gyz
                    nz = cos_chi * gz - sin_chi * (g * gy * ce + gx * gz * se) / gyz
                else:
                    nx = cos_chi * gx
                    ny = g * sin_chi * ce
                    nz = g * sin_chi * se
            cm = 0.5 * (c[i, 0] + c[j, 0])
            c[i, 0] = cm + 0.5 * nx
            c[j, 0] = cm - 0.5 * nx
            cm = 0.5 * (c[i, 1] + c[j, 1])
            c[i, 1] = cm + 0.5 * ny
            c[j, 1] = cm - 0.5 * ny
            cm = 0.5 * (c[i, 2] + c[j, 2])
            c[i, 2] = cm + 0.5 * nz
            c[j, 2] = cm - 0.5 * nz
        ncoll[k] += acc
        crmax[k] = cmax


@njit(cache=True, parallel=True)
def accumulate(c, start, ncell, sums):
    """Add the velocity sums of every cell (slots of NSUMS) to sums (ncell, NSUMS)."""
    for k in prange(ncell):
        s = np.zeros(NSUMS)
        for i in range(start[k], start[k + 1]):
            cx, cy, cz = c[i, 0], c[i, 1], c[i, 2]
            c2 = cx * cx + cy * cy + cz * cz
            s[0] += 1.0
            s[1] += cx
            s[2] += cy
            s[3] += cz
            s[4] += cx * cx
            s[5] += cy * cy
            s[6] += cz * cz
            s[7] += cx * cy
            s[8] += cx * cz
            s[9] += cx * c2
        for q in range(NSUMS):
            sums[k, q] += s[q]
