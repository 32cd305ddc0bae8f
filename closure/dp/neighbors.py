"""Neighbour lists for the Deep Potential: every atom's neighbours within rcut under periodic
boundaries, in fixed per-type slots (DeePMD-kit's `sel`), with the image shift of each.

Atoms may see several images of one neighbour (small cells); the search covers every image
within rcut of any point of the cell.  A neighbour count above the slots of its type is an
error naming the atom, never a silent truncation (a known trap of DP codes).
"""

import numpy as np
from numba import njit

from boltzmann.errors import InputError


class NeighborOverflowError(InputError):
    """An atom has more neighbours of a type than the model has slots for."""


def image_range(cell, rcut):
    """Images (n_a, n_b, n_c) per cell vector needed to find every neighbour within rcut:
    ceil(rcut / d_k), d_k the spacing of the lattice planes spanned by the other two."""
    cell = np.asarray(cell, dtype=float)
    volume = abs(np.linalg.det(cell))
    out = []
    for k in range(3):
        a, b = cell[(k + 1) % 3], cell[(k + 2) % 3]
        spacing = volume / np.linalg.norm(np.cross(a, b))
        out.append(int(np.ceil(rcut / spacing)))
    return np.array(out)


@njit(cache=True)
def _search(pos, types, cell, pbc_images, rcut, sel, offsets, nlist, shifts, counts):
    nat = pos.shape[0]
    rc2 = rcut * rcut
    na, nb, nc = pbc_images
    for i in range(nat):
        for t in range(sel.size):
            counts[i, t] = 0
        for j in range(nat):
            tj = types[j]
            for ia in range(-na, na + 1):
                for ib in range(-nb, nb + 1):
                    for ic in range(-nc, nc + 1):
                        if j == i and ia == 0 and ib == 0 and ic == 0:
                            continue
                        sx = ia * cell[0, 0] + ib * cell[1, 0] + ic * cell[2, 0]
                        sy = ia * cell[0, 1] + ib * cell[1, 1] + ic * cell[2, 1]
                        sz = ia * cell[0, 2] + ib * cell[1, 2] + ic * cell[2, 2]
                        dx = pos[j, 0] + sx - pos[i, 0]
                        dy = pos[j, 1] + sy - pos[i, 1]
                        dz = pos[j, 2] + sz - pos[i, 2]
                        if dx * dx + dy * dy + dz * dz < rc2:
                            c = counts[i, tj]
                            counts[i, tj] = c + 1
                            if c < sel[tj]:
                                k = offsets[tj] + c
                                nlist[i, k] = j
                                shifts[i, k, 0] = sx
                                shifts[i, k, 1] = sy
                                shifts[i, k, 2] = sz


def neighbor_list(positions, types, cell, rcut, sel, pbc=True):
    """(nlist (nat, sum(sel)) int, -1 where empty; shifts (nat, sum(sel), 3)) for positions
    (nat, 3) in Angstrom, integer types (nat,), cell (3, 3) rows as lattice vectors (None:
    no periodic images, whatever `pbc` says).
    Neighbour j of atom i sits at positions[j] + shift - positions[i]."""
    pos = np.ascontiguousarray(positions, dtype=float)
    types = np.ascontiguousarray(types, dtype=np.int64)
    sel = np.ascontiguousarray(sel, dtype=np.int64)
    if types.size and (types.min() < 0 or types.max() >= sel.size):
        raise InputError(f"atom types must lie in 0..{sel.size - 1} (the model's sel has "
                         f"{sel.size} types); got {sorted(set(types.tolist()))}")
    pbc = pbc and cell is not None  # no cell: an isolated molecule or cluster
    cell = np.ascontiguousarray(cell if cell is not None else np.zeros((3, 3)), dtype=float)
    images = image_range(cell, rcut) if pbc else np.zeros(3, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sel)[:-1]]).astype(np.int64)
    nsel = int(sel.sum())
    nlist = -np.ones((len(pos), nsel), dtype=np.int64)
    shifts = np.zeros((len(pos), nsel, 3))
    counts = np.zeros((len(pos), sel.size), dtype=np.int64)
    _search(pos, types, cell, images.astype(np.int64), float(rcut), sel, offsets, nlist,
            shifts, counts)
    over = counts > sel[None, :]
    if over.any():
        i, t = map(int, np.argwhere(over)[0])
        raise NeighborOverflowError(
            f"atom {i} has {counts[i, t]} neighbours of type {t} within rcut = {rcut}, more "
            f"than the model's sel[{t}] = {sel[t]} slots; raise sel (never truncated)")
    return nlist, shifts
