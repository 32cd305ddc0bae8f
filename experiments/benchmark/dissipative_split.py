"""The dissipative step of NSF, the learned local closure, R13 and the non-local closure:
split RKL2 super-time-stepping against the split, linearly implicit ROS2 (with its
non-stiff half steps merged, the default, and without: "ros2/0", `FVNumerics.merge_limit`
= 0) and (R13) the unsplit IMEX step (`closure.stepping`), on Sod's tube across Kn, against
the kinetic Shakhov solver on the same grid, all timed in one run (compilation excluded by a
warm-up, best of `--repeat`).  Prints, per Kn, the kinetic wall time and for each model and
scheme its wall time, steps, dissipative stages, speed against the kinetic solver, and the
relative L2 errors of rho, u, T and q_x against the kinetic solution.

    .venv/bin/python experiments/benchmark/dissipative_split.py [--nx 200] [--repeat 3]
"""

import argparse
import warnings

from moments import timed  # this folder

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.metrics import profile_errors
from closure.systems.local import LocalNSF
from closure.systems.nonlocal_nsf import NonlocalNSF

GAS = bz.Gas(omega=0.5)
NAMES = ("rho", "u", "T", "q_x")
MODELS = ("nsf", "local", "r13", "nonlocal")
SCHEMES = {"nsf": ("rkl2", "ros2/0", "ros2"), "local": ("rkl2", "ros2/0", "ros2"),
           "r13": ("rkl2", "ros2", "imex"), "nonlocal": ("rkl2", "ros2/0", "ros2")}
CLOSURES = {"local": LocalNSF, "nonlocal": NonlocalNSF}


def solve(model, tube, nx, scheme):
    system = CLOSURES[model](GAS, GAS.mu_ref(tube.mfp_ref)) if model in CLOSURES else model
    merge = {"merge_limit": 0.0} if scheme.endswith("/0") else {}
    s = FVSolver(tube, GAS, system, FVNumerics(nx=nx, dissipative_scheme=scheme.split("/")[0],
                                               **merge))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the local map's envelope warning at large Kn
        return s, s.run()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nx", type=int, default=200)
    ap.add_argument("--kn", type=float, nargs="+", default=[1e-3, 1e-2, 1e-1, 1.0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    warm = bz.ShockTube.sod(t_end=1e-3)
    bz.KineticSolver(warm, GAS, "shakhov", bz.Numerics(nx=20)).run()
    for model in MODELS:
        for scheme in SCHEMES[model]:
            solve(model, warm, 20, scheme)
    print(f"Sod, nx = {args.nx}, t = {bz.ShockTube.sod().t_end}, Shakhov, omega = 0.5, "
          f"best of {args.repeat}")
    print("| Kn | model | scheme | wall (ms) | steps | stages | vs kinetic | "
          + " | ".join(NAMES) + " |")
    print("|---" * (7 + len(NAMES)) + "|")
    for kn in args.kn:
        tube = bz.ShockTube.sod(kn=kn)
        t_kin, kin = timed(lambda tube=tube: bz.KineticSolver(
            tube, GAS, "shakhov", bz.Numerics(nx=args.nx)).run(), args.repeat)
        print(f"| {kn:g} | kinetic | - | {1e3 * t_kin:.1f} | {kin.info['steps']} | - | 1 |"
              + " - |" * len(NAMES), flush=True)
        for model in MODELS:
            for scheme in SCHEMES[model]:
                wall, (s, sol) = timed(lambda m=model, sc=scheme, tube=tube:
                                       solve(m, tube, args.nx, sc), args.repeat)
                e = profile_errors(kin.x, kin, sol.x, sol, names=NAMES)
                print(f"| {kn:g} | {model} | {scheme} | {1e3 * wall:.1f} | {s.steps} | "
                      f"{s.dissipative_stages} | {t_kin / wall:.1f}x | "
                      + " | ".join(f"{e[k]:.4f}" for k in NAMES) + " |", flush=True)


if __name__ == "__main__":
    main()
