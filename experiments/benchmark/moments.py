"""Moment systems against the kinetic solver on the same case: Sod's tube on the same grid to
the same final time, wall times measured in one run (compilation excluded by a warm-up, best
of three), each system on the numba kernels and, for Euler and NSF, on the NumPy back end
(the same scheme: a plain-NumPy baseline); the shipped learned closure (NumPy, all four
ensemble members and one); and the NSF stationary Mach 5.5 shock from its ODE.

    .venv/bin/python experiments/benchmark/moments.py [--nx 400] [--kn 1e-3]
"""

import argparse
import time

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.learned_fv import LearnedSolver
from closure.shock_ode import nsf_shock


def timed(fn, repeat=7):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nx", type=int, default=400)
    ap.add_argument("--kn", type=float, default=1e-3)
    args = ap.parse_args(argv)
    gas = bz.Gas()
    tube = bz.ShockTube.sod(kn=args.kn)
    warm = bz.ShockTube.sod(t_end=1e-3)
    bz.KineticSolver(warm, gas, "shakhov", bz.Numerics(nx=20)).run()
    cases = [(name, FVNumerics(nx=args.nx)) for name in ("euler", "nsf", "grad13", "r13")]
    cases += [("nsf", FVNumerics(nx=args.nx, dissipative_scheme="rkl2"))]
    cases += [("nsf", FVNumerics(nx=args.nx, super_time_stepping=False))]
    cases += [(name, FVNumerics(nx=args.nx, backend="numpy")) for name in ("euler", "nsf")]
    for name, num in cases:
        FVSolver(warm, gas, name, num).run()
    t_kin, kin = timed(lambda: bz.KineticSolver(tube, gas, "shakhov",
                                                bz.Numerics(nx=args.nx)).run())
    print(f"Sod, Kn = {args.kn:g}, nx = {args.nx}, t = {tube.t_end}")
    print(f"  kinetic Shakhov ({kin.v.size} velocities): {t_kin * 1e3:.1f} ms, "
          f"{kin.info['steps']} steps")
    for name, num in cases:
        t, sol = timed(lambda name=name, num=num: FVSolver(tube, gas, name, num).run())
        how = num.backend + ("" if num.super_time_stepping else ", unsplit")
        extra = sol.info.get("dissipative_stages")
        extra = f" + {extra} {sol.info['dissipative_scheme']} stages" if extra else ""
        print(f"  {name:7s} ({how:13s}): {t * 1e3:7.1f} ms, {sol.info['steps']:5d} steps{extra}; "
              f"{t_kin / t:5.1f}x faster than kinetic")
    for members in (None, 1):
        def learned(members=members):
            return LearnedSolver(tube, gas, numerics=FVNumerics(nx=args.nx),
                                 members=members).run()

        learned()
        t, sol = timed(learned, repeat=3)
        label = "all members" if members is None else f"{members} member"
        print(f"  learned ({label:11s}): {t * 1e3:7.1f} ms, {sol.info['steps']:5d} steps; "
              f"{t_kin / t:5.2f}x the kinetic speed")
    t_ode, _ = timed(lambda: nsf_shock(5.5, gas), repeat=5)
    print(f"NSF stationary Mach 5.5 shock (ODE): {t_ode * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
