"""Are the tube errors of the moment closures numerical or physical?  Sod's tube (Shakhov,
omega = 0.5) on 200 to 1600 cells: the kinetic solution on each grid against the finest,
and NSF and the non-local closure against the finest kinetic solution and against the
kinetic solution on their own grid (relative L2, `closure.metrics`).  If the closures'
errors do not move with the grid while the kinetic solution converges, the errors of the
tube tables (200 cells, same grid) are the models' own.

    .venv/bin/python experiments/learned_closure/tube_convergence.py [--kn 0.003 0.03]
        [--nx 200 400 800 1600] [--out DIR]

Writes tube_convergence.md to the output folder (default out/ here).
"""

import argparse
import time
import warnings
from functools import partial
from pathlib import Path

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.metrics import profile_errors, slashed

HERE = Path(__file__).resolve().parent
GAS = bz.Gas(omega=0.5)
NAMES = ("rho", "u", "T", "q_x")
cell4 = partial(slashed, names=NAMES, fmt=".4f")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kn", type=float, nargs="+", default=[0.003, 0.03])
    ap.add_argument("--nx", type=int, nargs="+", default=[200, 400, 800, 1600])
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    grids = sorted(args.nx)
    lines = [f"# Sod tube errors against the grid ({time.strftime('%Y-%m-%d')})", "",
             f"Shakhov, omega = 0.5, t = {bz.ShockTube.sod().t_end}; relative L2 of "
             f"{' / '.join(NAMES)}; the reference is the kinetic solution on {grids[-1]} "
             "cells.", "",
             "| Kn | cells | kinetic vs finest | NSF vs finest | NSF vs same grid | "
             "non-local vs finest | non-local vs same grid |", "|---" * 7 + "|"]
    for kn in args.kn:
        tube = bz.ShockTube.sod(kn=kn)
        kin = {nx: bz.KineticSolver(tube, GAS, "shakhov", bz.Numerics(nx=nx)).run()
               for nx in grids}
        ref = kin[grids[-1]]
        for nx in grids:
            row = [f"{kn:g}", str(nx), cell4(profile_errors(ref.x, ref, kin[nx].x, kin[nx],
                                                           names=NAMES))]
            for name in ("nsf", "nonlocal"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # the closure's envelope warning
                    sol = FVSolver(tube, GAS, name, FVNumerics(nx=nx)).run()
                row += [cell4(profile_errors(ref.x, ref, sol.x, sol, names=NAMES)),
                        cell4(profile_errors(kin[nx].x, kin[nx], sol.x, sol, names=NAMES))]
            lines.append("| " + " | ".join(row) + " |")
            print(lines[-1], flush=True)
    (args.out / "tube_convergence.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / 'tube_convergence.md'}")


if __name__ == "__main__":
    main()
