"""EELT against random sampling over several seeds: the learning curves of every finished
replicate (their closure_eelt.h5) side by side, and the labels random sampling needs for
EELT's test errors, per seed and pooled.

Run after the replicates (run.py with config.toml and config_seed{1,2,3}.toml):
    .venv/bin/python experiments/closure_eelt/summary.py out out_seed1 out_seed2 out_seed3
Writes summary.md and summary.png in the experiment folder's out/.
"""

import sys
from pathlib import Path

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from run import labels_for_equal_error  # noqa: E402

HERE = Path(__file__).resolve().parent
ARMS = ("EELT", "random", "random_long")


def curves(folder):
    """{arm: (kinetic runs trained on, a-priori test error)} of one finished replicate."""
    path = folder / "closure_eelt.h5"
    if not path.is_file():
        sys.exit(f"summary: {path} is missing; run run.py for that replicate first")
    with h5py.File(path, "r") as h5:
        return {a: (h5[f"{a}/runs_trained_on"][()], h5[f"{a}/test_error"][()])
                for a in ARMS if a in h5}


def main(argv=None):
    names = (argv if argv is not None else sys.argv[1:]) or ["out", "out_seed1"]
    runs = {n: curves(HERE / n) for n in names}
    initial = int(next(iter(runs.values()))["EELT"][0][0])
    lines = ["# EELT against random sampling over seeds\n",
             "Command: `.venv/bin/python experiments/closure_eelt/summary.py "
             + " ".join(names) + "`\n",
             "For each EELT point (after the first), the random_long arm (6 random labels an "
             "iteration) first reaches EELT's a-priori test error at 'random runs'; its "
             "previous point was still above it, so random sampling needs between the two. "
             f"Counting only the labels added after the {initial} initial tubes, EELT's "
             "ratio to random therefore lies in the interval shown: below 1/3 "
             "('established') when its upper end is, above 1/3 ('refuted') when its lower "
             "end is, else undetermined at the random arm's resolution.\n",
             "| seed folder | EELT runs | EELT error | random runs (previous) | ratio, all runs "
             "| ratio, added labels | factor 3 |", "|---|---|---|---|---|---|---|"]
    verdicts = []
    for name, c in runs.items():
        rl, re = c["random_long"]
        for n, e, m, _ in labels_for_equal_error(c["EELT"], c["random_long"]):
            if n == initial:
                continue
            if m is None:
                lo, hi, prev = 0.0, (n - initial) / (rl.max() - initial), int(rl.max())
                shown = f"> {int(rl.max())}"
            else:
                prev = int(rl[rl < m].max())
                lo = (n - initial) / (m - initial)
                hi = (n - initial) / (prev - initial) if prev > initial else np.inf
                shown = f"{m} ({prev})"
            verdict = ("established" if hi <= 1 / 3 + 1e-12 else
                       "refuted" if lo > 1 / 3 + 1e-12 else "undetermined")
            verdicts.append(verdict)
            ratio_all = f"{n / m:.2f}" if m is not None else f"< {n / rl.max():.2f}"
            lines.append(f"| {name} | {n} | {e:.4f} | {shown} | {ratio_all} | "
                         f"{lo:.2f}-{hi:.2f} | {verdict} |")
    counts = {v: verdicts.count(v) for v in ("established", "refuted", "undetermined")}
    lines += ["", f"Over {len(verdicts)} points of {len(runs)} seeds: a factor of 3 in added "
              f"labels is established at {counts['established']}, refuted at "
              f"{counts['refuted']}, undetermined at {counts['undetermined']}.", ""]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    colors = {"EELT": "C0", "random": "C1", "random_long": "C2"}
    for k, c in enumerate(runs.values()):
        for arm, (n, e) in c.items():
            ax.plot(n, e, "o-" if arm == "EELT" else "s--", color=colors[arm], alpha=0.7,
                    label=arm if k == 0 else None)
    ax.set(xlabel="kinetic runs trained on", ylabel="a-priori closure error, held-out tubes",
           yscale="log", title=f"{len(runs)} seeds")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    fig.savefig(out / "summary.png", dpi=150)
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
