"""Moment systems against the kinetic solver on the same case: Sod's tube on the same grid to
the same final time, wall times measured in one run (compilation excluded by a warm-up), and
the NSF stationary Mach 5.5 shock from its ODE.

    .venv/bin/python experiments/benchmark/moments.py [--nx 400] [--kn 1e-3]
"""

import argparse
import time

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.shock_ode import nsf_shock


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nx", type=int, default=400)
    ap.add_argument("--kn", type=float, default=1e-3)
    args = ap.parse_args(argv)
    gas = bz.Gas()
    tube = bz.ShockTube.sod(kn=args.kn)
    bz.KineticSolver(bz.ShockTube.sod(t_end=1e-3), gas, "shakhov", bz.Numerics(nx=20)).run()
    t_kin = timed(lambda: bz.KineticSolver(tube, gas, "shakhov", bz.Numerics(nx=args.nx)).run())
    print(f"Sod, Kn = {args.kn:g}, nx = {args.nx}, t = {tube.t_end}")
    print(f"  kinetic Shakhov: {t_kin:.3f} s")
    for name in ("euler", "nsf", "grad13", "r13"):
        t = timed(lambda name=name: FVSolver(tube, gas, name, FVNumerics(nx=args.nx)).run())
        print(f"  {name:8s}: {t:.3f} s, {t_kin / t:.1f}x faster than kinetic")
    t_ode = timed(lambda: nsf_shock(5.5, gas), repeat=5)
    print(f"NSF stationary Mach 5.5 shock (ODE): {t_ode * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
