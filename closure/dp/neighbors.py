"""Neighbour lists for the Deep Potential: every atom's neighbours within rcut under periodic
boundaries, in fixed per-type slots (DeePMD-kit's `sel`), with the image shift of each.

Atoms may see several images of one neighbour (small cells); the search covers every image
within rcut of any point of the cell.  A neighbour count above the slots of its type is an
error naming the atom, never a silent truncation (a known trap of DP codes).
"""

import numpy as np
from numba import njit, prange

from boltzmann.errors import InputError


class NeighborOverflowError(InputError):
    """An atom has more neighbours of a type than the model has slots for."""


def plane_spacings(cell):
    """Spacing of the lattice planes spanned by each pair of cell vectors (3,), the width of
    the cell across each direction."""
    cell = np.asarray(cell, dtype=float)
    return abs(np.linalg.det(cell)) / np.linalg.norm(
        np.cross(np.roll(cell, -1, 0), np.roll(cell, -2, 0)), axis=1)


@njit(cache=True)
def _search(pos, types, rcut, sel, offsets, nlist, counts):
    """The search without periodic images (all pairs; molecules and clusters)."""
    nat = pos.shape[0]
    rc2 = rcut * rcut
    for i in range(nat):
        for t in range(sel.size):
            counts[i, t] = 0
        for j in range(nat):
            dx = pos[j, 0] - pos[i, 0]
            dy = pos[j, 1] - pos[i, 1]
            dz = pos[j, 2] - pos[i, 2]
            if j != i and dx * dx + dy * dy + dz * dz < rc2:
                tj = types[j]
                c = counts[i, tj]
                counts[i, tj] = c + 1
                if c < sel[tj]:
                    nlist[i, offsets[tj] + c] = j


@njit(parallel=True, cache=True)
def _search_cells(frac, pw, wrap, types, cell, nbins, reach, rcut, sel, offsets, nlist,
                  shifts, counts):
    """The periodic search by a cell list in fractional coordinates: frac the fractional
    coordinates wrapped into [0, 1), pw = frac @ cell, wrap = positions - pw, nbins (3,)
    bins per cell vector (each at least rcut wide unless there is one), reach (3,) bins to
    scan on each side."""
    nat = pw.shape[0]
    na, nb, nc = nbins[0], nbins[1], nbins[2]
    bins = np.empty(nat, dtype=np.int64)
    for i in range(nat):
        ba = min(int(frac[i, 0] * na), na - 1)
        bb = min(int(frac[i, 1] * nb), nb - 1)
        bc = min(int(frac[i, 2] * nc), nc - 1)
        bins[i] = (ba * nb + bb) * nc + bc
    start = np.zeros(na * nb * nc + 1, dtype=np.int64)
    for i in range(nat):
        start[bins[i] + 1] += 1
    start = np.cumsum(start)
    fill = start[:-1].copy()
    order = np.empty(nat, dtype=np.int64)
    for i in range(nat):
        order[fill[bins[i]]] = i
        fill[bins[i]] += 1
    rc2 = rcut * rcut
    for i in prange(nat):
        for t in range(sel.size):
            counts[i, t] = 0
        b = bins[i]
        ba, bb, bc = b // (nb * nc), (b // nc) % nb, b % nc
        for da in range(ba - reach[0], ba + reach[0] + 1):
            ia, ja = da // na, da % na
            for db in range(bb - reach[1], bb + reach[1] + 1):
                ib, jb = db // nb, db % nb
                for dc in range(bc - reach[2], bc + reach[2] + 1):
                    ic, jc = dc // nc, dc % nc
                    sx = ia * cell[0, 0] + ib * cell[1, 0] + ic * cell[2, 0]
                    sy = ia * cell[0, 1] + ib * cell[1, 1] + ic * cell[2, 1]
                    sz = ia * cell[0, 2] + ib * cell[1, 2] + ic * cell[2, 2]
                    nbin = (ja * nb + jb) * nc + jc
                    for q in range(start[nbin], start[nbin + 1]):
                        j = order[q]
                        if j == i and ia == 0 and ib == 0 and ic == 0:
                            continue
                        dx = pw[j, 0] + sx - pw[i, 0]
                        dy = pw[j, 1] + sy - pw[i, 1]
                        dz = pw[j, 2] + sz - pw[i, 2]
                        if dx * dx + dy * dy + dz * dz < rc2:
                            tj = types[j]
                            c = counts[i, tj]
                            counts[i, tj] = c + 1
                            if c < sel[tj]:
                                k = offsets[tj] + c
                                nlist[i, k] = j
                                shifts[i, k, 0] = sx + wrap[i, 0] - wrap[j, 0]
                                shifts[i, k, 1] = sy + wrap[i, 1] - wrap[j, 1]
                                shifts[i, k, 2] = sz + wrap[i, 2] - wrap[j, 2]


def neighbor_list(positions, types, cell, rcut, sel, pbc=True):
    """(nlist (nat, sum(sel)) int, -1 where empty; shifts (nat, sum(sel), 3)) for positions
    (nat, 3) in Angstrom, integer types (nat,), cell (3, 3) rows as lattice vectors (None:
    no periodic images, whatever `pbc` says).
    Neighbour j of atom i sits at positions[j] + shift - positions[i]."""
    pos = np.ascontiguousarray(positions, dtype=float)
    if not np.all(np.isfinite(pos)):
        raise InputError(f"positions of atoms {np.flatnonzero(~np.isfinite(pos).all(1))[:5]} "
                         "are not finite")
    types = np.ascontiguousarray(types, dtype=np.int64)
    sel = np.ascontiguousarray(sel, dtype=np.int64)
    if types.size and (types.min() < 0 or types.max() >= sel.size):
        raise InputError(f"atom types must lie in 0..{sel.size - 1} (the model's sel has "
                         f"{sel.size} types); got {sorted(set(types.tolist()))}")
    pbc = pbc and cell is not None  # no cell: an isolated molecule or cluster
    cell = np.ascontiguousarray(cell if cell is not None else np.zeros((3, 3)), dtype=float)
    offsets = np.concatenate([[0], np.cumsum(sel)[:-1]]).astype(np.int64)
    nsel = int(sel.sum())
    nlist = -np.ones((len(pos), nsel), dtype=np.int64)
    shifts = np.zeros((len(pos), nsel, 3))
    counts = np.zeros((len(pos), sel.size), dtype=np.int64)
    if pbc:
        spacing = plane_spacings(cell)
        nbins = np.maximum(np.floor(spacing / rcut), 1).astype(np.int64)
        while nbins.prod() > 8 * len(pos) + 8:  # a sparse box: fewer, wider bins
            nbins = np.maximum(nbins // 2, 1)
        reach = np.ceil(rcut * nbins / spacing).astype(np.int64)
        frac = pos @ np.linalg.inv(cell)
        frac -= np.floor(frac)
        pw = frac @ cell
        _search_cells(frac, pw, pos - pw, types, cell, nbins, reach, float(rcut), sel, offsets,
                      nlist, shifts, counts)
    else:
        _search(pos, types, float(rcut), sel, offsets, nlist, counts)
    over = counts > sel[None, :]
    if over.any():
        i, t = map(int, np.argwhere(over)[0])
        raise NeighborOverflowError(
            f"atom {i} has {counts[i, t]} neighbours of type {t} within rcut = {rcut}, more "
            f"than the model's sel[{t}] = {sel[t]} slots; raise sel (never truncated)")
    return nlist, shifts
