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
_S32, _LO32 = np.uint64(32), np.uint64(0xFFFFFFFF)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2^-53
_TO_HALF = 2.0 / 4294967296.0  # 2^-31: 32 bits to [0, 2)

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
def bits(state):
    """(new state, 64 random bits)."""
    state = state + _GOLDEN
    return state, _mix(state)


@njit(inline="always")
def uniform(state):
    """(new state, uniform in [0, 1))."""
    state, z = bits(state)
    return state, float(np.int64(z >> _S11)) * _TO_UNIT


#: particle chunks of the parallel counting sort
SORT_CHUNKS = 16


@njit(inline="always")
def _position(x, c, i, nmove, dt, shift, x_lo, period):
    """Position of particle i after the move (the first nmove particles), the shift and the
    periodic wrap into [x_lo, x_lo + period) when period > 0."""
    xi = x[i] - shift
    if i < nmove:
        xi += c[i, 0] * dt
    if period > 0.0:
        if xi < x_lo:
            xi += period
        elif xi >= x_lo + period:
            xi -= period
        if xi >= x_lo + period:  # x_lo - (less than an ulp) + period rounds up to the end
            xi = x_lo
    return xi


@njit(inline="always")
def chunk_offsets(counts, start):
    """Counts (chunks, ncell) per chunk and cell -> the first slot of each chunk in each cell
    (in place), cell by cell in chunk order; start (ncell + 1,) the cells' first slots."""
    nch, ncell = counts.shape
    start[0] = 0
    for k in range(ncell):
        acc = start[k]
        for ch in range(nch):
            m = counts[ch, k]
            counts[ch, k] = acc
            acc += m
        start[k + 1] = acc


@njit(cache=True, parallel=True)
def sort_by_cell(x, c, n, x_lo, dx, ncell, x_out, c_out, start, shift=0.0, nmove=0, dt=0.0,
                 period=0.0):
    """Counting sort of the first n particles into x_out, c_out by cell, dropping those
    outside [x_lo, x_lo + ncell dx); fills start (ncell + 1,) and returns the count kept.

    The free flight is fused in: the first nmove particles move by c_x dt, all are shifted
    by -shift, and with period > 0 wrapped into the periodic box [x_lo, x_lo + period) (one
    wrap: |c_x dt| < period).  Stable, and parallel over SORT_CHUNKS contiguous chunks of
    particles (each chunk counts its cells, then scatters into its own slots of every cell).
    """
    nch = SORT_CHUNKS
    idx = np.empty(n, np.int32)
    counts = np.zeros((nch, ncell), np.int64)
    size = (n + nch - 1) // nch
    for ch in prange(nch):
        for i in range(ch * size, min(n, (ch + 1) * size)):
            xi = _position(x, c, i, nmove, dt, shift, x_lo, period)
            k = -1
            if xi >= x_lo:
                k = int((xi - x_lo) / dx)
                if k >= ncell:
                    k = -1
            if k >= 0:
                counts[ch, k] += 1
            idx[i] = k
    chunk_offsets(counts, start)
    for ch in prange(nch):
        for i in range(ch * size, min(n, (ch + 1) * size)):
            k = idx[i]
            if k >= 0:
                j = counts[ch, k]
                counts[ch, k] = j + 1
                x_out[j] = _position(x, c, i, nmove, dt, shift, x_lo, period)
                c_out[j, 0] = c[i, 0]
                c_out[j, 1] = c[i, 1]
                c_out[j, 2] = c[i, 2]
    return start[ncell]


@njit(inline="always")
def _index(half, m):
    """Uniform integer in [0, m) from 32 random bits (multiply-shift, bias below m / 2^32)."""
    return np.int64((half * np.uint64(m)) >> _S32)


@njit(inline="always")
def _disk(state):
    """(new state, a, b, s = a^2 + b^2): a point uniform in the unit disk, by rejection
    from the square, 32 random bits per coordinate."""
    while True:
        state, z = bits(state)
        a = float(np.int64(z >> _S32)) * _TO_HALF - 1.0
        b = float(np.int64(z & _LO32)) * _TO_HALF - 1.0
        s = a * a + b * b
        if s < 1.0 and s > 0.0:
            return state, a, b, s


@njit(cache=True, parallel=True)
def collide(c, start, ncell, coeff, power, select, crmax, alpha, seed, step, ncoll,
            order=None):
    """No-time-counter collisions [Bird 1994, sec. 11.1] in every cell.

    Cell k holds the particles start[k]:start[k+1] of c, or with `order` (an index array,
    SPARTA-style sorting of indices instead of particles) the particles order[start[k]:
    start[k+1]].

    sigma_T c_r = coeff c_r^power (VHS/VSS); select = F_N dt / V_cell; crmax (ncell,) the
    running maximum of sigma_T c_r per cell (raised when exceeded); alpha the VSS exponent
    (1: isotropic).  Candidate pairs N (N - 1) / 2 select crmax, rounded stochastically; the
    accepted collisions of each cell are added to ncoll.  Each collision conserves momentum
    and energy to round-off: c1' = c_m + c_r'/2, c2' = c_m - c_r'/2, |c_r'| = |c_r|.

    Directions without trigonometry: an isotropic unit vector from a point (a, b) uniform in
    the unit disk, (1 - 2s, 2a sqrt(1 - s), 2b sqrt(1 - s)) [Marsaglia, Ann. Math. Stat. 43,
    645 (1972)]; the VSS azimuth from the same point, (cos, sin) = ((a^2 - b^2)/s, 2ab/s)."""
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
        # a sequential pass brings the cell into cache before the random pairs; its sum is
        # used (a NaN cell skips its collisions: the solver's checks report the NaN) so that
        # the compiler cannot drop the pass
        warm = 0.0
        for p in range(lo, lo + m):
            i = p
            if order is not None:
                i = order[p]
            warm += c[i, 2]
        if warm != warm:
            npairs = 0
        acc = 0
        for _ in range(npairs):
            st, z = bits(st)
            i = lo + _index(z >> _S32, m)
            j = lo + _index(z & _LO32, m - 1)
            if j >= i:
                j += 1
            if order is not None:
                i = order[i]
                j = order[j]
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
            st, a, b, s = _disk(st)
            if alpha == 1.0:
                f = 2.0 * g * np.sqrt(1.0 - s)
                nx = g * (1.0 - 2.0 * s)
                ny = a * f
                nz = b * f
            else:  # deflection measured from c_r [Bird 1994, eq. 2.22]
                st, r = uniform(st)
                cos_chi = 2.0 * r ** (1.0 / alpha) - 1.0
                sin_chi = np.sqrt(max(0.0, 1.0 - cos_chi * cos_chi))
                ce = (a * a - b * b) / s
                se = 2.0 * a * b / s
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
