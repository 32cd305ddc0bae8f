"""Is the learned R13's unsteadiness at Mach 5.5 a feedback of the state into its coefficients?

A fixed-point iteration on the coefficients: freeze the network's per-face multipliers K
(`LearnedR13.multipliers`) at the current state, march R13 with those fixed multipliers
(`FrozenR13`) for --span lambda_1 / c_1 without recentring the shock, recompute K from
the new state, under-relax K <- (1 - beta) K + beta K_new, repeat.  If the frozen systems
reached their steady states and K converged, the limit would be a steady shock of the
learned R13 itself.  Each iteration prints max |dU|/dt over the last 5 time units of its
march, the change of K, the shock position and the relative L2 errors against the Shakhov
reference (|x| <= 15 lambda_1); a control marches the learned R13 itself as long.  Before
that, single marches with fixed factors from the same start: uniform ones (1 is R13), the
learned ones floored at a value, and the learned ones as they are.

Run: .venv/bin/python experiments/learned_closure/lr13_frozen.py [--iterations 8]
Writes out/lr13_frozen.md.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from lr13 import load_data, shock_reference

import boltzmann as bz
from boltzmann.diagnostics import density_midpoint
from closure.fv import FVSolver
from closure.metrics import profile_errors
from closure.systems.lr13 import FrozenR13, LearnedR13

HERE = Path(__file__).resolve().parent
UNIFORM = (2.0, 1.0, 0.5, 0.3, 0.2)
FLOORS = (0.5, 1.0)


def march(solver, span, window=5.0):
    """Advance the solver's shock by `span` (no recentring, so the frozen multipliers stay on
    their faces); returns max |dU| / dt over the last `window` of it (0 at a steady state)."""
    end = solver.t + span
    while solver.t < end - window:
        solver.advance(max_steps=200, split=False)
    U0, t0 = solver.U.copy(), solver.t
    while solver.t < end:
        solver.advance(max_steps=200, split=False)
    return float(np.abs(solver.U - U0).max() / (solver.t - t0))


def position(solver):
    rho = solver.U[0]
    return density_midpoint(solver.x, rho, 0.5 * (rho[0] + rho[-1]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--span", type=float, default=40.0)
    ap.add_argument("--beta", type=float, default=0.5)
    args = ap.parse_args(argv)
    cfg, dcfg, parts = load_data()
    shock, xr, ref = shock_reference(parts)
    gas = bz.Gas(omega=dcfg["omega"])
    problem = bz.NormalShock(shock.problem.mach, tol=1e-5)
    mu_ref = gas.mu_ref(problem.mfp_ref)
    learned = LearnedR13(gas, mu_ref)
    start = FVSolver(problem, gas, learned)
    first = march(start, 20.0)
    control = FVSolver(problem, gas, learned)
    control.U = start.U.copy()
    rate = march(control, args.iterations * args.span)
    K = learned.multipliers(start.ghosted(), start.dx)
    controls = [(f"uniform factor {v:g}", np.full_like(K, v)) for v in UNIFORM]
    controls += [(f"learned factors floored at {v:g}", np.maximum(K, v)) for v in FLOORS]
    controls.append(("learned factors, frozen", K))
    rows = []
    for label, Kc in controls:
        s = FVSolver(problem, gas, FrozenR13(gas, mu_ref, Kc))
        s.U, s.t = start.U.copy(), start.t
        rows.append(f"| {label} | {Kc[0].min():.2f}-{Kc[0].max():.2f} | "
                    f"{Kc[1].min():.2f}-{Kc[1].max():.2f} | {march(s, args.span):.2g} |")
        print(rows[-1], flush=True)
    U, t = start.U.copy(), start.t
    lines = [f"# Learned R13 at Mach {problem.mach}: frozen-coefficient fixed point "
             f"({time.strftime('%Y-%m-%d')})", "",
             f"Command: `.venv/bin/python experiments/learned_closure/lr13_frozen.py "
             f"--iterations {args.iterations} --span {args.span:g} --beta {args.beta:g}`", "",
             f"Start: the learned R13 marched to t = 20 (max |dU|/dt {first:.2f} over its last "
             f"5). Control: the learned R13 marched on by {args.iterations * args.span:g} "
             f"more: max |dU|/dt {rate:.2f} over the last 5, shock at "
             f"{position(control):.3f} lambda_1.", "",
             f"Fixed factors, one march of {args.span:g} from the same start (uniform 1 is "
             "R13):", "",
             "| factors | of m_xxx | of R | max abs(dU)/dt |", "|---|---|---|---|", *rows, "",
             "The fixed-point iteration:", "",
             "max |dU|/dt: over the last 5 lambda_1/c_1 of each frozen march "
             "(0 at a steady state).", "",
             "| iteration | max abs(dU)/dt | max change of K | shock position | rho | T | "
             "sigma_xx | q_x |", "|---|---|---|---|---|---|---|---|"]
    t0 = time.perf_counter()
    for it in range(args.iterations):
        solver = FVSolver(problem, gas, FrozenR13(gas, mu_ref, K))
        solver.U, solver.t = U, t
        state = f"{march(solver, args.span):.2f}"
        K_new = learned.multipliers(solver.ghosted(), solver.dx)
        change = float(np.abs(K_new - K).max())
        K = (1.0 - args.beta) * K + args.beta * K_new
        U, t = solver.U, solver.t
        sol = solver.solution()
        err = profile_errors(xr, ref, sol.x, sol, window=15.0)
        lines.append(f"| {it} | {state} | {change:.3f} | {position(solver):.3f} | "
                     + " | ".join(f"{err[k]:.4f}" for k in ("rho", "T", "sigma_xx", "q_x"))
                     + " |")
        print(lines[-1], f"({time.perf_counter() - t0:.0f} s)", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lr13_frozen.md").write_text("\n".join(lines) + "\n")
    print(f"written to {args.out / 'lr13_frozen.md'}")


if __name__ == "__main__":
    main()
