"""Wall time of Euler, NSF and the non-local closure on the held-out tubes of the
learned_moments dataset, beside the kinetic solver on the same grid (best of `--repeat`,
compilation excluded).  Euler (the conservation laws alone, no dissipative part) bounds the
speed-up of any moment system that carries them with the same scheme and step.  `--tree`
imports `closure` and `boltzmann` from another checkout, so that two versions of the solver
can be timed back to back on this machine, e.g.

    git worktree add /tmp/before 8b5b8bf
    for tree in /tmp/before . /tmp/before .; do
        .venv/bin/python experiments/benchmark/heldout_tubes.py --tree $tree --json >> ab.jsonl
    done

Prints a table (or one JSON line with --json: {tube: {model: ms}}).
"""

import argparse
import json
import sys
import time
import tomllib
import warnings
from functools import partial
from operator import methodcaller
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ("euler", "nsf", "nonlocal")


def heldout_tubes(data):
    """(name, problem, cells, collision model) of the dataset's held-out tubes."""
    folder = (HERE.parent / "learned_closure" / tomllib.loads(
        (HERE.parent / "learned_closure" / "config.toml").read_text())["dataset"]).resolve()
    dcfg = tomllib.loads((folder / "config.toml").read_text())["data"]
    runs = data.load_dataset(folder / dcfg["folder"])
    return dcfg["omega"], [(r.name, r.problem, int(r["x"].size), r.attrs["model"]["name"])
                           for r in runs if r.split == "test" and r.problem.kind != "shock"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", type=Path, default=HERE.parent.parent)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(args.tree.resolve()))
    import boltzmann as bz
    from closure import data
    from closure.fv import FVNumerics, FVSolver

    omega, tubes = heldout_tubes(data)
    gas = bz.Gas(omega=omega)

    def best(make, run):
        make_and_run = [make() for _ in range(args.repeat + 1)]
        run(make_and_run[0])  # compilation
        times = []
        for solver in make_and_run[1:]:
            t0 = time.perf_counter()
            run(solver)
            times.append(time.perf_counter() - t0)
        return 1e3 * min(times)

    out = {}
    if not args.json:
        print("| tube | kinetic | " + " | ".join(MODELS) + " |\n|---|---|" + "---|" * len(MODELS))
    for name, problem, nx, model in tubes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the closure's envelope warning
            row = {m: best(partial(FVSolver, problem, gas, m, FVNumerics(nx=nx)),
                           methodcaller("run")) for m in MODELS}
        row["kinetic"] = best(partial(bz.KineticSolver, problem, gas, model,
                                      bz.Numerics(nx=nx)),
                              methodcaller("run_until", problem.t_end))
        out[name] = row
        if not args.json:
            print(f"| {name} | {row['kinetic']:.1f} ms | " + " | ".join(
                f"{row[m]:.1f} ms ({row['kinetic'] / row[m]:.1f}x)" for m in MODELS) + " |",
                flush=True)
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
