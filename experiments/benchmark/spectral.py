"""Fast spectral Boltzmann operator: cost per cell against the velocity grid size N at fixed
quadrature (n_rho = 8 radii, 25 sphere directions), which should grow as N^3 log N; the BKW
error and wall time of the space-homogeneous test; with --shock, the 1D Mach 2 Maxwell-molecule
shock on a coarse grid (40 cells, 20^3 velocities) to its steady state, against DSMC of the
same Maxwell molecules in the same run.

    .venv/bin/python experiments/benchmark/spectral.py [--cells 4] [--shock]
"""

import argparse
import time

import numpy as np

from boltzmann import Gas, NormalShock
from boltzmann import reciprocal_thickness as bz_thickness
from boltzmann import spectral as sp


def cost_per_cell(n, cells, n_rho=8, repeat=3):
    box = sp.VelocityBox(n, 7.0)
    op = sp.FastSpectral(box, omega=0.5, coeff=1.0, n_rho=n_rho)
    f = np.repeat(box.maxwellian(1.0, 0.3, 1.0)[None], cells, axis=0)
    op(f)
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        op(f)
        best = min(best, time.perf_counter() - t0)
    return best / cells


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=4)
    ap.add_argument("--shock", action="store_true")
    args = ap.parse_args(argv)
    print("N    s/cell    s/cell / (N^3 log2 N) [ns]")
    for n in (12, 16, 24, 32, 48):
        t = cost_per_cell(n, args.cells)
        print(f"{n:3d}  {t:8.4f}  {t / (n ** 3 * np.log2(n)) * 1e9:8.1f}")

    box = sp.VelocityBox(32, 7.0)
    op = sp.FastSpectral(box, omega=1.0, coeff=1.0)
    t0 = 6.0 * np.log(2.5) + 0.5
    f0, dfdt = sp.bkw(box, t0)
    err_q = np.abs(op(f0) - dfdt).max() / np.abs(dfdt).max()
    start = time.perf_counter()
    t, fs, H = sp.relax(op, f0, 2.0, 0.25)
    wall = time.perf_counter() - start
    exact, _ = sp.bkw(box, t0 + t[-1])
    err_f = np.abs(fs[-1] - exact).max() / exact.max()
    print(f"BKW, N = 32, L = 7, n_rho = 16, 50-point Lebedev: operator error (rel. L-inf) "
          f"{err_q:.2e}; RK4 dt = 0.25 to t0 + 2: f error {err_f:.2e}, {wall:.1f} s, "
          f"H monotone: {bool(np.all(np.diff(H) <= 0))}")
    if args.shock:
        start = time.perf_counter()
        shock = NormalShock(2.0, upstream=10.0, downstream=10.0, max_time=60.0)
        num = sp.SpectralNumerics(n=20, dx=0.5, degree=5, collide_every=2)
        solver = sp.SpectralSolver(shock, Gas(omega=1.0), num)
        sol = solver.run(tol=1e-3)
        wall = time.perf_counter() - start
        up = solver.states[0]
        print(f"Mach 2 Maxwell shock, 40 cells x 20^3 velocities (L = {solver.box.L:.2f}, "
              f"centre {solver.box.center:.2f}): "
              f"{wall:.0f} s, {sol.info['steps']} steps, residual {sol.info['residual']:.1e}, "
              f"rho2/rho1 = {sol['rho'][-3:].mean() / up.rho:.4f}, min q_x "
              f"{sol['q_x'].min():.4f}, max sigma_xx {sol['sigma_xx'].max():.4f}, reciprocal "
              f"thickness {bz_thickness(sol.x, sol['rho']):.4f}")
        sol.save("experiments/benchmark/out/spectral_shock_M2.h5")
        compare_dsmc(shock, sol)


def compare_dsmc(shock, sol):
    """DSMC of the same Maxwell molecules on the same domain: relative L2 differences of the
    profiles over the spectral cells, and both reciprocal thicknesses."""
    from boltzmann.dsmc import DSMC, DSMCNumerics

    start = time.perf_counter()
    ref = DSMC(shock, Gas(omega=1.0), numerics=DSMCNumerics(ppc=100)).run(
        progress=False, q_tol=0.01, max_time=300.0)
    print(f"DSMC, same shock: {time.perf_counter() - start:.0f} s, reciprocal thickness "
          f"{ref.info['reciprocal_thickness']:.4f} +- {ref.info['reciprocal_thickness_err']:.4f}"
          f" (spectral {bz_thickness(sol.x, sol['rho']):.4f}); relative L2 difference:")
    for k in ("rho", "T", "sigma_xx", "q_x"):
        d = np.interp(sol.x, ref.x, ref[k])
        scale = np.linalg.norm(d - d[0]) if k in ("rho", "T") else np.linalg.norm(d)
        print(f"  {k:8s} {np.linalg.norm(sol[k] - d) / scale:.3f}")


if __name__ == "__main__":
    main()
