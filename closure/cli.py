"""Command line of the moment systems (same problems and output files as `python -m boltzmann`).

    python -m closure shock --mach 5.5 --model nsf --omega 0.5 --out nsf.h5
    python -m closure shock --mach 5.5 --model nsf --ode --out nsf_ode.h5   # no time marching
    python -m closure tube --sod --kn 1e-3 --model euler --out sod_euler.h5
    python -m closure shock --mach 5.5 --model learned --out learned.h5   # shipped closure
    python -m closure shock --mach 5.5 --model local --out local.h5   # learned local closure
    python -m closure tube --sod --kn 0.1 --model my_closure.pt --out sod.h5  # a model file
    python -m closure eelt run config.toml --out RUN      # concurrent learning (closure.cli_eelt)
    python -m closure dp test model.pt frames.h5
"""

import argparse
import sys

import numpy as np

from boltzmann import Gas
from boltzmann.cli import add_problem_parsers, problem_from_args
from boltzmann.errors import FileFormatError, InputError, SolutionError
from boltzmann.io import write_profiles

from . import cli_eelt
from .fv import FVNumerics, make_solver
from .shock_ode import nsf_shock
from .systems import SYSTEMS


def build_parser():
    ap = argparse.ArgumentParser(prog="python -m closure", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    s, t = add_problem_parsers(sub)
    s.add_argument("--ode", action="store_true",
                   help="NSF only: integrate the shock ODE instead of time marching")
    for p in (s, t):
        p.add_argument("--model", default="nsf",
                       help=f"{', '.join(sorted(SYSTEMS))}, 'learned' (the shipped default "
                       "closure) or the path of a learned-closure model file")
        p.add_argument("--prandtl", type=float, default=2.0 / 3.0)
        p.add_argument("--omega", type=float, default=0.5)
        p.add_argument("--cfl", type=float, default=0.5)
        p.add_argument("--out", required=True)
    t.add_argument("--dissipative-scheme", default="auto",
                   choices=("auto", "rkl2", "ros2", "imex"),
                   help="the dissipative step of a tube: split RKL2 super-time-stepping, split "
                   "linearly implicit ROS2, or implicit in the IMEX step (R13); auto: IMEX "
                   "for R13, ROS2 for NSF and the local closure, RKL2 for the learned R13 and "
                   "the non-local closure")
    cli_eelt.add_parsers(sub)
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command in ("eelt", "dp"):
        try:
            return cli_eelt.main(args)
        except (InputError, FileFormatError, ValueError, OSError, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        gas = Gas(omega=args.omega)
        problem = problem_from_args(args, gas)
        if args.command == "shock" and args.ode:
            if args.model != "nsf":
                raise InputError("--ode: only the NSF shock has an ODE solver")
            prof = nsf_shock(args.mach, gas, args.prandtl)
            path = write_profiles(args.out, problem, 0.0, prof["x"], prof,
                                  {"gas": gas.to_attrs(),
                                   "model": {"name": "nsf", "prandtl": args.prandtl,
                                             "method": "shock ODE"}})
            x, m, what = prof["x"], prof, "shock ODE"
        else:
            kw = {"cfl": args.cfl}
            kw.update({"dx": args.dx} if args.command == "shock" else
                      {"nx": args.nx, "dissipative_scheme": args.dissipative_scheme})
            sol = make_solver(problem, gas, args.model, FVNumerics(**kw), args.prandtl).run()
            path = sol.save(args.out)
            x, m = sol.x, sol.moments
            what = f"{sol.info['steps']} steps, {sol.info['wall_time']:.2f} s"
    except (InputError, SolutionError, FileFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}: {problem.kind}, model {args.model} (Pr = {args.prandtl:.4g}), "
          f"omega = {gas.omega}; {x.size} points, {what}")
    for k in ("rho", "u", "T", "sigma_xx", "q_x"):
        print(f"  {k:8s} [{np.min(m[k]):.5g}, {np.max(m[k]):.5g}]")
    return 0



