"""Does the local closure's a-posteriori test error fall with capacity or with data?
After `curves.py --config curves_local.toml` (whose labels it reads): the local trainer on
the first replicate's EELT labels (initial + 12 picked tubes) and on its initial tubes plus
both random pools (all labels of the random arm), each at the run's width and steps and at
a larger network trained longer; the mean a-posteriori error over the fixed test set and the
Mach 5.5 shock's.

    .venv/bin/python experiments/closure_eelt/capacity.py [--out out_curves_local]

Writes OUT/capacity.md.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from closure.nn.eelt import RunStore
from closure.nn.local_eelt import LocalTrainer, a_posteriori_errors

HERE = Path(__file__).resolve().parent


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "out_curves_local")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    store, out = RunStore(), args.out
    tests = store.load(out / "test.h5")
    rep = out / "local" / "EELT"
    state = json.loads((rep / "state.json").read_text())
    initial = store.load(rep / "initial.h5")
    eelt = initial + [r for e in state["log"] for r in store.load(rep / e["labels"])]
    pool = initial + [r for d in (0, 1) for r in store.load(out / "local" / f"random_{d}.h5")]
    lines = ["# The local closure: test error against capacity and data\n",
             "Command: `.venv/bin/python experiments/closure_eelt/capacity.py`\n",
             "| training data | width, Adam steps | mean test error | Mach 5.5 shock | time |",
             "|---|---|---|---|---|"]
    for label, runs in ((f"EELT's {len(eelt)} tubes", eelt),
                        (f"initial + both random pools, {len(pool)} tubes", pool)):
        for width, iters in ((16, 600), (32, 2000)):
            t0 = time.perf_counter()
            model = LocalTrainer(width=width, iters=iters, seed=0).train(
                runs, 99, out / "capacity" / f"w{width}_i{iters}_n{len(runs)}")
            e = a_posteriori_errors(model, tests, 0.5)
            lines.append(f"| {label} | {width}, {iters} | {np.mean(e):.4f} | {e[-1]:.3f} | "
                         f"{time.perf_counter() - t0:.0f} s |")
            print(lines[-1], flush=True)
    (out / "capacity.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
