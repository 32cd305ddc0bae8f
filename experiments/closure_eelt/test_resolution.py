"""How much of the learning curves' test error is the grid's?  For the tubes of a `curves.py`
test set (its test.h5), the kinetic label on the set's grid against the same problem on a
grid `--refine` times finer, and NSF and the shipped non-local closure against the label on
its grid and against the fine kinetic solution on the fine grid (relative L2 of rho, T,
q_x at the last time, `closure.metrics`).

    .venv/bin/python experiments/closure_eelt/test_resolution.py \\
        [--tests out_curves_nonlocal/test.h5] [--refine 4] [--kn-max 0.05]

Prints a markdown table (about a minute for the default set).
"""

import argparse
import warnings
from functools import partial
from pathlib import Path

from curves import STORE  # this folder

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.metrics import profile_errors, slashed

HERE = Path(__file__).resolve().parent
NAMES = ("rho", "T", "q_x")
cell3 = partial(slashed, names=NAMES)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=Path, default=HERE / "out_curves_nonlocal" / "test.h5")
    ap.add_argument("--refine", type=int, default=4)
    ap.add_argument("--kn-max", type=float, default=0.05)
    ap.add_argument("--omega", type=float, default=0.5)
    args = ap.parse_args(argv)
    gas = bz.Gas(omega=args.omega)
    print(f"| tube | cells | kinetic vs {args.refine}x finer | NSF vs label | NSF, both "
          f"{args.refine}x finer | non-local vs label | non-local, both {args.refine}x finer |")
    print("|---" * 7 + "|")
    for r in STORE.load(args.tests):
        if r.problem.boundary == "shock" or r.problem.kn > args.kn_max:
            continue
        nx = r["x"].size
        label = {k: r[k][-1] for k in NAMES}
        fine = bz.KineticSolver(r.problem, gas, r.attrs["model"]["name"],
                                bz.Numerics(nx=args.refine * nx)).run_until(r["t"][-1])
        row = [r.name, str(nx), cell3(profile_errors(fine.x, fine, r["x"], label, names=NAMES))]
        for name in ("nsf", "nonlocal"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the closure's envelope warning
                coarse = FVSolver(r.problem, gas, name, FVNumerics(nx=nx)).run()
                refined = FVSolver(r.problem, gas, name,
                                   FVNumerics(nx=args.refine * nx)).run()
            row += [cell3(profile_errors(r["x"], label, coarse.x, coarse, names=NAMES)),
                    cell3(profile_errors(fine.x, fine, refined.x, refined, names=NAMES))]
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
