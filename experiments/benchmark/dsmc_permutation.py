"""DSMC: sorting particle indices (SPARTA's way) against sorting the particles themselves.

The shipped step (`boltzmann.dsmc.kernels`) moves every particle and copies it into cell order
(`sort_by_cell`, 64 bytes read and written per particle), then collides.  The alternative
times here leaves the particles where they are: the move in place with the new cells
counted (`move_count`), a counting sort of the indices only (`scatter_order`), the
collisions through the index array (`kernels.collide(..., order=...)`) and a physical
reorder of the particles every `--reorder` steps (`gather`, 0: never).  Same setting as
`dsmc.py` (SPARTA's collision benchmark, 10^6 particles); one run prints ms per step of
each part and the ratio.  With a reorder every step the index path is the shipped step
rearranged, so the two runs must give the same velocities bit for bit (checked).

    .venv/bin/python experiments/benchmark/dsmc_permutation.py [--steps 40]
"""

import argparse
import time

import numpy as np
from numba import njit, prange

from boltzmann import Gas
from boltzmann.dsmc import hard_sphere, kernels
from boltzmann.dsmc.kernels import SORT_CHUNKS, _position, chunk_offsets


@njit(cache=True, parallel=True)
def move_count(x, c, n, x_lo, dx, ncell, cell, counts, dt, period):
    """Fly every particle by c_x dt in place (periodic wrap), store its cell and count the
    cells per chunk of particles (counts (SORT_CHUNKS, ncell))."""
    size = (n + SORT_CHUNKS - 1) // SORT_CHUNKS
    for ch in prange(SORT_CHUNKS):
        counts[ch, :] = 0
        for i in range(ch * size, min(n, (ch + 1) * size)):
            xi = _position(x, c, i, n, dt, 0.0, x_lo, period)
            x[i] = xi
            k = min(int((xi - x_lo) / dx), ncell - 1)
            counts[ch, k] += 1
            cell[i] = k


@njit(cache=True, parallel=True)
def scatter_order(cell, n, counts, start, order):
    """Stable counting sort of the indices 0..n-1 by cell into order; fills start."""
    nch = counts.shape[0]
    size = (n + nch - 1) // nch
    chunk_offsets(counts, start)
    for ch in prange(nch):
        for i in range(ch * size, min(n, (ch + 1) * size)):
            j = counts[ch, cell[i]]
            counts[ch, cell[i]] = j + 1
            order[j] = i


@njit(cache=True, parallel=True)
def gather(x, c, order, n, x_out, c_out):
    """Particles into the order of `order` (the physical reorder); order becomes 0..n-1."""
    for p in prange(n):
        i = order[p]
        x_out[p] = x[i]
        c_out[p, 0] = c[i, 0]
        c_out[p, 1] = c[i, 1]
        c_out[p, 2] = c[i, 2]
        order[p] = p


def setting(particles, ppc=100, seed=0):
    mol = hard_sphere()
    ncell = particles // ppc
    dx = 1.0 / 3.0
    mu_ref = Gas().mu_ref(1.0)
    coeff = mol.cross_section_coeff(mu_ref)
    dt = 2.0 * 0.0702 / mol.collision_frequency(1.0, 1.0, mu_ref)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, ncell * dx, particles)
    c = rng.normal(size=(particles, 3))
    return dict(ncell=ncell, dx=dx, length=ncell * dx, coeff=coeff, dt=dt,
                select=(dx / ppc) * dt / dx, x=x, c=c)


def shipped(s, steps, seed=0):
    n, ncell, dx = s["x"].size, s["ncell"], s["dx"]
    x, c = s["x"].copy(), s["c"].copy()
    xo, co = np.empty_like(x), np.empty_like(c)
    start = np.zeros(ncell + 1, np.int64)
    crmax, ncoll = np.full(ncell, 6.0 * s["coeff"]), np.zeros(ncell, np.int64)
    kernels.sort_by_cell(x, c, n, 0.0, dx, ncell, xo, co, start, 0.0, 0, 0.0, s["length"])
    x, c, xo, co = xo, co, x, c
    t = {"sort (move + copy)": 0.0, "collide": 0.0}
    for k in range(steps + 1):
        if k == 1:
            t = dict.fromkeys(t, 0.0)
        t0 = time.perf_counter()
        kernels.sort_by_cell(x, c, n, 0.0, dx, ncell, xo, co, start, 0.0, n, s["dt"],
                             s["length"])
        t1 = time.perf_counter()
        kernels.collide(co, start, ncell, s["coeff"], 1.0, s["select"], crmax, 1.0, seed, k,
                        ncoll)
        t["sort (move + copy)"] += t1 - t0
        t["collide"] += time.perf_counter() - t1
        x, c, xo, co = xo, co, x, c
    return {k: 1e3 * v / steps for k, v in t.items()}, c


def by_index(s, steps, reorder, seed=0):
    n, ncell, dx = s["x"].size, s["ncell"], s["dx"]
    x, c = s["x"].copy(), s["c"].copy()
    xo, co = np.empty_like(x), np.empty_like(c)
    start = np.zeros(ncell + 1, np.int64)
    crmax, ncoll = np.full(ncell, 6.0 * s["coeff"]), np.zeros(ncell, np.int64)
    cell = np.empty(n, np.int32)
    counts = np.zeros((SORT_CHUNKS, ncell), np.int64)
    order = np.empty(n, np.int64)
    move_count(x, c, n, 0.0, dx, ncell, cell, counts, 0.0, s["length"])
    scatter_order(cell, n, counts, start, order)
    gather(x, c, order, n, xo, co)
    x, c, xo, co = xo, co, x, c
    t = {"move": 0.0, "sort indices": 0.0, "collide": 0.0, "reorder": 0.0}
    for k in range(steps + 1):
        if k == 1:
            t = dict.fromkeys(t, 0.0)
        t0 = time.perf_counter()
        move_count(x, c, n, 0.0, dx, ncell, cell, counts, s["dt"], s["length"])
        t1 = time.perf_counter()
        scatter_order(cell, n, counts, start, order)
        t2 = time.perf_counter()
        kernels.collide(c, start, ncell, s["coeff"], 1.0, s["select"], crmax, 1.0, seed, k,
                        ncoll, order)
        t3 = time.perf_counter()
        if reorder and (k + 1) % reorder == 0:
            gather(x, c, order, n, xo, co)
            x, c, xo, co = xo, co, x, c
        t4 = time.perf_counter()
        for key, a, b in zip(t, (t0, t1, t2, t3), (t1, t2, t3, t4)):
            t[key] += b - a
    return {k: 1e3 * v / steps for k, v in t.items()}, c[order]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--reorder", type=int, nargs="+", default=[1, 5, 20, 0])
    args = ap.parse_args(argv)
    s = setting(args.particles)
    base, c_ref = shipped(s, args.steps)
    total = sum(base.values())
    print(f"{args.particles} particles, {args.steps} steps; ms per step")
    print(f"shipped (copy the particles): {total:.2f} = "
          + ", ".join(f"{k} {v:.2f}" for k, v in base.items()))
    for every in args.reorder:
        parts, c = by_index(s, args.steps, every)
        same = " (velocities equal the shipped run's bit for bit)" if every == 1 else ""
        if every == 1 and not np.array_equal(c, c_ref):
            raise AssertionError("index sort with a reorder every step differs from the "
                                 "shipped step")
        tot = sum(parts.values())
        print(f"indices, reorder every {every or 'never'}: {tot:.2f} = "
              + ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
              + f"; shipped / this = {total / tot:.2f}{same}")


if __name__ == "__main__":
    main()
