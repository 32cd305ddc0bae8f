"""DSMC speed: the numba kernels of boltzmann.dsmc against a plain vectorised NumPy DSMC of the
same scheme (move, counting sort, NTC collisions of hard spheres), in one run, on SPARTA's
collision benchmark setting: a uniform gas at rest, ~0.07 collisions per particle per step
(sparta/bench/log.7Jul14.collide.icc.1M.1: 6.54e6 particle moves per CPU-second, 1M
particles, one core).  Periodic box of nx cells of width lambda/3.

    .venv/bin/python experiments/benchmark/dsmc.py [--particles 1000000] [--steps 20]

Then the Mach 5.5 hard-sphere shock of the CLI, sampled until the heat flux's standard error
is below 2 % of its peak (--shock).
"""

import argparse
import os
import time

import numpy as np
from numba import get_num_threads

from boltzmann import Gas
from boltzmann.dsmc import hard_sphere, kernels

SPARTA_MOVES_PER_CPU_S = 6.54252e6


def numpy_step(x, c, length, dx, ncell, dt, coeff, select, crmax, rng):
    """One step in plain NumPy: move, sort by cell, NTC collisions vectorised over cells in
    rounds (the r-th candidate pair of every cell in round r, so no particle is in two
    collisions of one round and the sequential semantics of NTC per cell are kept)."""
    x += c[:, 0] * dt
    np.mod(x, length, out=x)
    cell = np.minimum((x / dx).astype(np.int64), ncell - 1)
    order = np.argsort(cell, kind="stable")
    x, c, cell = x[order], c[order], cell[order]
    count = np.bincount(cell, minlength=ncell)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    expected = 0.5 * count * (count - 1) * select * crmax
    npairs = (expected + rng.random(ncell)).astype(np.int64)
    ncoll = 0
    for r in range(int(npairs.max(initial=0))):
        k = np.flatnonzero((npairs > r) & (count >= 2))
        m = count[k]
        i = start[k] + (rng.random(k.size) * m).astype(np.int64)
        j = start[k] + (rng.random(k.size) * (m - 1)).astype(np.int64)
        j += j >= i
        g = c[i] - c[j]
        gm = np.sqrt((g * g).sum(axis=1))
        sc = coeff * gm
        crmax[k] = np.maximum(crmax[k], sc)
        acc = rng.random(k.size) * crmax[k] < sc
        i, j, gm = i[acc], j[acc], gm[acc]
        cos_chi = 2.0 * rng.random(i.size) - 1.0
        sin_chi = np.sqrt(1.0 - cos_chi ** 2)
        eps = 2.0 * np.pi * rng.random(i.size)
        new = gm[:, None] * np.stack([cos_chi, sin_chi * np.cos(eps), sin_chi * np.sin(eps)], 1)
        cm = 0.5 * (c[i] + c[j])
        c[i] = cm + 0.5 * new
        c[j] = cm - 0.5 * new
        ncoll += i.size
    return x, c, ncoll


def benchmark(particles, steps, ppc=100, seed=0):
    mol = hard_sphere()
    ncell = particles // ppc
    lam = 1.0  # mean free path at n = T = 1; cells of lambda / 3
    dx = lam / 3.0
    length = ncell * dx
    mu_ref = Gas().mu_ref(lam)
    coeff = mol.cross_section_coeff(mu_ref)
    nu = mol.collision_frequency(1.0, 1.0, mu_ref)
    dt = 2.0 * 0.0702 / nu  # SPARTA's 0.0702 collisions per particle per step
    fn = dx / ppc
    select = fn * dt / dx
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(0.0, length, particles)
    c0 = rng.normal(size=(particles, 3))
    crmax0 = np.full(ncell, coeff * 6.0)

    # numba
    x, c = x0.copy(), c0.copy()
    xo, co = np.empty_like(x), np.empty_like(c)
    start = np.zeros(ncell + 1, np.int64)
    crmax = crmax0.copy()
    ncoll = np.zeros(ncell, np.int64)

    parts = {"sort": 0.0, "collide": 0.0}

    def numba_step(k):
        nonlocal x, c, xo, co
        t0 = time.perf_counter()
        kept = kernels.sort_by_cell(x, c, particles, 0.0, dx, ncell, xo, co, start, 0.0,
                                    particles, dt, length)  # move, wrap and sort
        assert kept == particles, "the periodic box lost particles"
        t1 = time.perf_counter()
        kernels.collide(co, start, ncell, coeff, 1.0, select, crmax, 1.0, seed, k, ncoll)
        parts["sort"] += t1 - t0
        parts["collide"] += time.perf_counter() - t1
        x, c, xo, co = xo, co, x, c

    numba_step(0)  # compile / load the cache
    parts.update(sort=0.0, collide=0.0)
    t0 = time.perf_counter()
    for k in range(1, steps + 1):
        numba_step(k)
    t_numba = time.perf_counter() - t0
    coll_numba = ncoll.sum() / (particles * (steps + 1))

    xn, cn = x0.copy(), c0.copy()
    crmax = crmax0.copy()
    total = 0
    nsteps_np = max(2, steps // 4)
    xn, cn, _ = numpy_step(xn, cn, length, dx, ncell, dt, coeff, select, crmax, rng)  # sorted
    t0 = time.perf_counter()
    for _ in range(nsteps_np):
        xn, cn, nc = numpy_step(xn, cn, length, dx, ncell, dt, coeff, select, crmax, rng)
        total += nc
    t_numpy = time.perf_counter() - t0
    return {"particles": particles, "cells": ncell, "threads": get_num_threads(),
            "numba_moves_per_s": particles * steps / t_numba,
            "numba_ms_per_step": {k: 1e3 * v / steps for k, v in parts.items()},
            "numpy_moves_per_s": particles * nsteps_np / t_numpy,
            "collisions_per_particle_step_numba": coll_numba,
            "collisions_per_particle_step_numpy": total / (particles * nsteps_np)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--shock", action="store_true", help="also time the Mach 5.5 HS shock")
    args = ap.parse_args(argv)
    r = benchmark(args.particles, args.steps)
    ratio = r["numba_moves_per_s"] / r["numpy_moves_per_s"]
    per_cpu = r["numba_moves_per_s"] / r["threads"]
    print(f"uniform hard-sphere gas, {r['particles']} particles in {r['cells']} cells, "
          f"{r['threads']} threads ({os.cpu_count()} cores)")
    print(f"  collisions per particle per step: numba "
          f"{r['collisions_per_particle_step_numba']:.4f}, numpy "
          f"{r['collisions_per_particle_step_numpy']:.4f} (SPARTA bench 0.0702)")
    print(f"  numba: {r['numba_moves_per_s']:.3e} moves/s = {per_cpu:.3e} per CPU-second; "
          + ", ".join(f"{k} {v:.2f} ms" for k, v in r["numba_ms_per_step"].items())
          + " per step")
    print(f"  numpy: {r['numpy_moves_per_s']:.3e} moves/s")
    print(f"  ratio numba / numpy = {ratio:.1f}")
    print(f"  per CPU-second against SPARTA's {SPARTA_MOVES_PER_CPU_S:.3e}: "
          f"{per_cpu / SPARTA_MOVES_PER_CPU_S:.2f}")
    if args.shock:
        from boltzmann import NormalShock
        from boltzmann.diagnostics import reciprocal_thickness_smoothed
        from boltzmann.dsmc import DSMC, DSMCNumerics

        t0 = time.perf_counter()
        sol = DSMC(NormalShock(5.5, upstream=15.0, downstream=15.0), Gas(omega=0.5),
                   numerics=DSMCNumerics()).run(progress=False, q_tol=0.02, max_time=600.0)
        wall = time.perf_counter() - t0
        print(f"Mach 5.5 hard-sphere shock: {wall:.1f} s, {sol.info['samples']} samples, "
              f"q_x error / peak {sol.info['q_x_relative_error']:.4f}, "
              f"{sol.info['moves_per_second']:.3e} moves/s, min q_x {sol['q_x'].min():.3f}, "
              f"reciprocal thickness {reciprocal_thickness_smoothed(sol.x, sol['rho']):.4f}")


if __name__ == "__main__":
    main()
