"""Command line of the kinetic solver.

    python -m boltzmann shock --mach 5.5 --model shakhov --omega 0.5 --out shock.h5
    python -m boltzmann tube --sod --kn 1e-3 --model bgk --out sod.h5
    python -m boltzmann tube --left 1,0,1 --right 0.125,0,0.8 --t-end 0.15 --out tube.h5
    python -m boltzmann tube --mach 10 --kn 1e-2 --out strong.h5
    python -m boltzmann shock --mach 5.5 --model dsmc --omega 0.5 --out shock_dsmc.h5
    python -m boltzmann tube --sod --kn 0.05 --model dsmc --runs 16 --out sod_dsmc.h5

--model dsmc runs the direct simulation Monte Carlo of the Boltzmann equation (VHS molecules
of the given omega, VSS with --alpha) and adds the standard error of each profile
(rho_err, ..., q_x_err) to the file; --model spectral the fast spectral Boltzmann solver
(VHS, --nv velocities per axis, default 20; weak shocks on coarse grids, --dx default 0.5;
tubes on --nx cells).
"""

import argparse
import sys

import numpy as np

from . import COLLISIONS, Gas, KineticSolver, NormalShock, Numerics, ShockTube, State
from .diagnostics import reciprocal_thickness
from .errors import FileFormatError, InputError, SolutionError
from .transport import LIMITERS


def _state(text):
    try:
        rho, u, T = (float(a) for a in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"state {text!r}: expected rho,u,T") from None
    return State(rho, u, T)


def _common(p):
    p.add_argument("--model", default="shakhov", choices=sorted(COLLISIONS) + ["dsmc", "spectral"])
    p.add_argument("--prandtl", type=float, default=None,
                   help="Prandtl number (Shakhov, ES-BGK; default 2/3)")
    p.add_argument("--omega", type=float, default=0.5, help="viscosity exponent, mu ~ T^omega")
    p.add_argument("--dof", type=int, default=3, choices=(1, 3),
                   help="3: monatomic gas (Chu reduction), 1: 1D-velocity gas (gamma = 3)")
    p.add_argument("--nv", type=int, default=None, help="velocities (default: automatic)")
    p.add_argument("--v-spacing", type=float, default=None,
                   help="velocity spacing in thermal speeds of the coldest state (default 0.6;"
                        " rarefied tubes need 0.3 or finer, docs/kinetic.md)")
    p.add_argument("--cfl", type=float, default=None)
    p.add_argument("--limiter", default="vanleer", choices=sorted(LIMITERS))
    p.add_argument("--out", required=True, help="HDF5 file to write")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    d = p.add_argument_group("DSMC (--model dsmc)")
    d.add_argument("--alpha", type=float, default=1.0, help="VSS exponent (1: VHS)")
    d.add_argument("--ppc", type=float, default=50.0, help="particles per cell at density 1")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--samples", type=int, default=None, help="shock: samples to take")
    d.add_argument("--q-tol", type=float, default=0.02,
                   help="shock: sample until the q_x standard error < q_tol * peak |q_x|")
    d.add_argument("--max-wall", type=float, default=600.0, help="shock: wall-time cap, s")
    d.add_argument("--runs", type=int, default=8, help="tube: independent runs averaged")


def add_problem_parsers(sub):
    """The 'shock' and 'tube' subcommands with their problem options (shared with
    `python -m closure`); returns the two parsers."""
    s = sub.add_parser("shock", help="stationary normal shock (steady state)")
    s.add_argument("--mach", type=float, required=True)
    s.add_argument("--dx", type=float, default=None,
                   help="cell size in lambda_1 (default: 16 cells per estimated thickness)")
    s.add_argument("--upstream", type=float, default=None,
                   help="upstream length in lambda_1 (default: max(35, 5 thickness))")
    s.add_argument("--downstream", type=float, default=None,
                   help="downstream length in lambda_1 (default: max(25, 5 thickness))")
    s.add_argument("--tol", type=float, default=None,
                   help=f"steady residual (default {NormalShock.tol:g}; spectral 1e-4)")
    t = sub.add_parser("tube", help="shock tube / Riemann problem")
    g = t.add_mutually_exclusive_group()
    g.add_argument("--sod", action="store_true", help="Sod's problem (default)")
    g.add_argument("--mach", type=float, help="a single shock of this Mach number into gas at rest")
    t.add_argument("--left", type=_state, help="left state rho,u,T")
    t.add_argument("--right", type=_state, help="right state rho,u,T")
    t.add_argument("--kn", type=float, default=1e-2, help="Knudsen number lambda_ref / L")
    t.add_argument("--t-end", type=float, default=None)
    t.add_argument("--nx", type=int, default=200)
    return s, t


def build_parser():
    ap = argparse.ArgumentParser(prog="python -m boltzmann", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    for p in add_problem_parsers(ap.add_subparsers(dest="command", required=True)):
        _common(p)
    return ap


def problem_from_args(args, gas):
    if args.command == "shock":
        return NormalShock(args.mach, upstream=args.upstream, downstream=args.downstream,
                           tol=NormalShock.tol if args.tol is None else args.tol)
    given = args.left is not None or args.right is not None
    if given and (args.sod or args.mach is not None):
        raise InputError("tube: --left/--right describe the tube; do not add --sod or --mach")
    if args.mach is not None:
        return ShockTube.moving_shock(args.mach, gas, kn=args.kn, t_end=args.t_end)
    if given:
        if args.left is None or args.right is None:
            raise InputError("tube: give both --left and --right")
        return ShockTube(args.left, args.right, kn=args.kn,
                         t_end=0.15 if args.t_end is None else args.t_end)
    return ShockTube.sod(kn=args.kn, t_end=0.15 if args.t_end is None else args.t_end)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        gas = Gas(omega=args.omega, dof=args.dof)
        problem = problem_from_args(args, gas)
        kw = {"nv": args.nv, "limiter": args.limiter}
        if args.cfl is not None:
            kw["cfl"] = args.cfl
        if args.v_spacing is not None:
            if args.model in ("dsmc", "spectral"):
                raise InputError(f"--v-spacing: the {args.model} solver has no discrete "
                                 "velocity grid of this kind")
            kw["v_spacing"] = args.v_spacing
        if args.command == "shock":
            kw.update(dx=args.dx, cfl=0.9 if args.cfl is None else args.cfl)
        else:
            kw["nx"] = args.nx
        from . import get_model

        if args.model in ("dsmc", "spectral") and args.prandtl is not None:
            raise InputError(f"--prandtl: the {args.model} solver has the Boltzmann operator's "
                             "own Prandtl number (2/3 to first order)")
        if args.model == "dsmc":
            sol = _run_dsmc(args, problem, gas)
        elif args.model == "spectral":
            sol = _run_spectral(args, problem, gas)
        else:
            solver = KineticSolver(problem, gas, get_model(args.model, args.prandtl),
                                   Numerics(**kw))
            sol = solver.run(progress=not args.quiet)
        path = sol.save(args.out)
    except (InputError, SolutionError, FileFormatError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    m = sol.moments
    if args.model == "spectral":
        print(f"wrote {path}: {problem.kind}, fast spectral Boltzmann (VHS omega = "
              f"{gas.omega}), t = {sol.t:.4g}, {sol.x.size} cells, "
              f"{sol.info['wall_time']:.1f} s")
    elif args.model == "dsmc":
        info = sol.info
        print(f"wrote {path}: {problem.kind}, DSMC {sol.molecule_name}, t = {sol.t:.4g}")
        count = info.get("samples", info.get("runs"))
        print(f"  {sol.x.size} cells, {info['steps']} steps, {count} samples/runs,"
              f" {info['wall_time']:.1f} s, "
              f"{info['moves_per_second']:.3g} particle moves/s")
    else:
        print(f"wrote {path}: {problem.kind}, model {sol.model.name} "
              f"(Pr = {sol.model.prandtl:.4g}), omega = {gas.omega}, t = {sol.t:.4g}")
        print(f"  grid: {sol.x.size} cells x {sol.v.size} velocities, {sol.info['steps']} "
              f"steps, {sol.info['wall_time']:.2f} s")
    if args.command == "shock" and args.model == "dsmc":
        from .diagnostics import reciprocal_thickness_smoothed

        up = problem.states(gas)[0]
        print(f"  rho2/rho1 = {m['rho'][-5:].mean() / up.rho:.4f}, T2/T1 = "
              f"{m['T'][-5:].mean() / up.T:.4f}, reciprocal thickness "
              f"{reciprocal_thickness_smoothed(sol.x, m['rho']):.4f}, min q_x = "
              f"{m['q_x'].min():.4g} +- {sol.errors['q_x'][np.argmin(m['q_x'])]:.2g}")
    elif args.command == "shock" and args.model != "spectral":
        rho = m["rho"]
        recip = reciprocal_thickness(sol.x, rho)
        up = problem.states(gas)[0]  # the reservoir state; the first cell feels the precursor
        print(f"  residual {sol.info['residual']:.2e}; rho2/rho1 = {rho[-1] / up.rho:.4f}, "
              f"T2/T1 = {m['T'][-1] / up.T:.4f}, reciprocal thickness {recip:.4f}, "
              f"min q_x = {m['q_x'].min():.4g}, max sigma_xx = {m['sigma_xx'].max():.4g}")
    for k in ("rho", "u", "T", "sigma_xx", "q_x"):
        print(f"  {k:8s} [{m[k].min():.5g}, {m[k].max():.5g}]")
    return 0


def _run_dsmc(args, problem, gas):
    """The DSMC run of the command line; a shock's domain defaults to [-15, 15] lambda_1
    (molecules of the Boltzmann equation have no BGK precursor), its cells to lambda_min / 3."""
    from dataclasses import replace

    from .dsmc import DSMC, DSMCNumerics, molecule_for

    if args.command == "shock":
        problem = replace(problem, upstream=args.upstream or 15.0,
                          downstream=args.downstream or 15.0)
        num = DSMCNumerics(dx=args.dx, ppc=args.ppc, seed=args.seed)
    else:
        num = DSMCNumerics(nx=args.nx, ppc=args.ppc, seed=args.seed, runs=args.runs)
    solver = DSMC(problem, gas, molecule_for(args.omega, args.alpha), num)
    return solver.run(progress=not args.quiet, samples=args.samples, q_tol=args.q_tol,
                      max_time=args.max_wall)


def _run_spectral(args, problem, gas):
    """The fast spectral Boltzmann solver of the command line: normal shocks, and tubes with
    collisions every k transport steps, k = max(1, floor(tau_min / (4 dt)))."""
    from .spectral import SpectralNumerics, SpectralSolver

    cfl = 0.5 if args.cfl is None else args.cfl
    if args.command == "tube":
        num = SpectralNumerics(n=args.nv or 20, nx=args.nx, cfl=cfl, collide_every=None)
        return SpectralSolver(problem, gas, num).run()
    num = SpectralNumerics(n=args.nv or 20, dx=args.dx or 0.5, cfl=cfl)
    sol = SpectralSolver(problem, gas, num).run(tol=1e-4 if args.tol is None else args.tol)
    if not sol.info["converged"]:
        print(f"warning: the spectral shock did not reach the steady residual by t = "
              f"{problem.max_time:g} (residual {sol.info['residual']:.2e}, shock speed "
              f"{sol.info['shock_speed']:.2e}); the file holds the last state", file=sys.stderr)
    return sol
