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
             "Ratio: EELT's kinetic runs over the runs the random_long arm (6 random labels an "
             f"iteration) first needs for the same a-priori test error; 'added' counts only "
             f"the labels after the {initial} initial tubes. A '<' bound: random sampling did "
             "not reach EELT's error within its budget.\n",
             "| seed folder | EELT runs | EELT error | random runs | ratio (all) | "
             "ratio (added) |", "|---|---|---|---|---|---|"]
    added = []
    for name, c in runs.items():
        longest = int(c["random_long"][0].max())
        for n, e, m, _ in labels_for_equal_error(c["EELT"], c["random_long"]):
            if n == initial:
                continue
            m_eff = m if m is not None else longest
            ra = (n - initial) / (m_eff - initial) if m_eff > initial else np.inf
            added.append(ra)
            bound = "" if m is not None else "< "
            lines.append(f"| {name} | {n} | {e:.4f} | {m if m is not None else f'> {longest}'}"
                         f" | {bound}{n / m_eff:.2f} | {bound}{ra:.2f} |")
    added = np.array(added)
    lines += ["", f"Added-label ratio over {added.size} points of {len(runs)} seeds: median "
              f"{np.median(added):.2f}, range {added.min():.2f}-{added.max():.2f}, "
              f"at most 1/3 at {np.sum(added <= 1 / 3 + 1e-12)} of them.", ""]
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
