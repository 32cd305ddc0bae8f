"""Concurrent learning of the moment closure against random sampling (issue 5, experiments
(a)-(c)): the same loop twice from the same initial tubes, once selecting by the members'
disagreement (EELT) and once at random among the explored tubes (the [random] trust levels
make every tube a candidate), each iteration's closure tested a priori on held-out tubes.

    python experiments/closure_eelt/run.py [--config config.toml] [--out DIR]

Resumable.  Writes closure_eelt.md (the logs and the learning curves), closure_eelt.h5,
learning_curve.png (test error against labels, fraction labeled per iteration) and
disagreement.png (the seed's Figure 2: the members' heat flux along the most disputed tube of
the first iteration, and the same tube rolled out by the last iteration's ensemble).
"""

import copy
import pickle
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import boltzmann as bz  # noqa: E402
from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure.cli_eelt import status_table  # noqa: E402
from closure.eelt import from_table  # noqa: E402
from closure.nn.eelt import TubeDistribution, build, member, rollout  # noqa: E402
from closure.nn.learned import LearnedClosure  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from eelt_common import setup  # noqa: E402


def arms(cfg):
    """The EELT arm, the random arm at the same budget and, with a [random_long] table, the
    random arm run further (more labels an iteration, more iterations)."""
    base = copy.deepcopy(cfg)
    base.pop("random")
    long = base.pop("random_long", None)
    rnd = copy.deepcopy(base)
    rnd["eelt"].update(cfg["random"])
    out = {"EELT": base, "random": rnd}
    if long is not None:
        out["random_long"] = copy.deepcopy(rnd)
        out["random_long"]["eelt"].update(long)
    return out


def labels_for_equal_error(eelt, rnd):
    """Rows (EELT labels, EELT error, random labels first reaching that error or None, the
    ratio) of two learning curves (labels, errors)."""
    rows = []
    for n, e in zip(*eelt):
        reached = [m for m, f in zip(*rnd) if f <= e]
        rows.append((n, e, reached[0] if reached else None,
                     n / reached[0] if reached else None))
    return rows


def curve(log):
    """(kinetic runs trained on, a-priori test error) per iteration."""
    return (np.array([e["trained_on"] for e in log]),
            np.array([e["test"]["a_priori"] for e in log]))


def figure2(cfg, run_dir, log, path):
    sel = pickle.load(open(run_dir / "iter_000" / "selection.pkl", "rb"))
    entry = sel["entry"]
    devi = np.array(entry["deviations"])
    finite = np.where(devi < 1e3, devi, -1.0)
    k = int(np.argmax(finite))  # the most disputed tube whose members all finished
    # the explorer draws with the generator seeded by (seed, iteration): the same tubes again
    dist = from_table(TubeDistribution, cfg["distribution"])
    rng = np.random.default_rng((cfg["eelt"]["seed"], 0))
    tube = dist.draw(rng, cfg["explore"]["per_iteration"], "it0")[k]
    problem, gas = dist.problem(tube), bz.Gas(omega=dist.omega)
    fr, nx = cfg["explore"]["fractions"], cfg["explore"]["nx"]
    last = LearnedClosure.load(run_dir / f"iter_{log[-1]['iteration']:03d}" / "closure.pt")
    first = LearnedClosure.load(run_dir / "iter_000" / "closure.pt")
    x = (np.arange(nx) + 0.5) / nx * problem.length
    fig, axes = plt.subplots(2, len(fr), figsize=(3.2 * len(fr), 6), sharex=True)
    for row, (closure, label) in enumerate(((first, "iteration 0"),
                                            (last, f"iteration {log[-1]['iteration']}"))):
        outs = [rollout(member(closure, m), problem, gas, nx, fr)
                for m in range(len(closure.nets))]
        for j, a in enumerate(fr):
            ax = axes[row, j]
            for m, out in enumerate(outs):
                ax.plot(x, out[j, 3], lw=1, label=f"member {m}")  # NaN once broken down
            ax.set_title(f"{label}, t = {a:g} t_end", fontsize=9)
            if j == 0:
                ax.set_ylabel("q_x")
            if row == 1:
                ax.set_xlabel("x")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Members' heat flux, tube M = {tube['mach']:.2f}, Kn = {tube['kn']:.3g} "
                 f"(disagreement {finite[k]:.3g} at iteration 0)")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main(argv=None):
    args, cfg = setup(__doc__, HERE, argv)
    logs, text = {}, ["# Concurrent learning of the moment closure: EELT against random "
                      "sampling\n", "Command: `.venv/bin/python experiments/closure_eelt/run.py`\n"]
    for name, c in arms(cfg).items():
        run_dir = args.out / name
        logs[name] = build(c, run_dir).run()
        text += [f"## {name}\n", status_table(run_dir), ""]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    curves = {}
    for name, log in logs.items():
        labels, err = curve(log)
        curves[name] = (labels, err)
        ax1.plot(labels, err, "o-", label=name)
        ax2.plot([e["iteration"] for e in log], [e["fraction_labeled"] for e in log], "s--",
                 label=name)
    for ax, xl, yl in ((ax1, "kinetic runs trained on",
                        "a-priori closure error on held-out tubes"),
                       (ax2, "iteration", "fraction of explored tubes labeled")):
        ax.set(xlabel=xl, ylabel=yl)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out / "learning_curve.png", dpi=150)
    plt.close(fig)
    figure2(cfg, args.out / "EELT", logs["EELT"], args.out / "disagreement.png")
    rows = ["| selection | kinetic runs trained on | a-priori test error |", "|---|---|---|"]
    rows += [f"| {name} | {n} | {e:.4f} |" for name, (labels, err) in curves.items()
             for n, e in zip(labels, err)]
    text += ["## Learning curve (a-priori test error)\n", "\n".join(rows), ""]
    if "random_long" in curves:
        longest = max(curves["random_long"][0])
        rows = ["| EELT labels | EELT test error | random labels to reach it | ratio |",
                "|---|---|---|---|"]
        for n, e, m, r in labels_for_equal_error(curves["EELT"], curves["random_long"]):
            rows.append(f"| {n} | {e:.4f} | {m if m is not None else f'> {longest}'} | "
                        f"{f'{r:.2f}' if r is not None else f'< {n / longest:.2f}'} |")
        text += ["## Labels for equal test error (random_long arm)\n", "\n".join(rows), ""]
    (args.out / "closure_eelt.md").write_text("\n".join(text))
    print("\n".join(text))

    def fill(h5):
        h5.attrs["config"] = args.config.read_text()
        for name, (labels, err) in curves.items():
            write_dataset(h5, f"{name}/runs_trained_on", labels, "1")
            write_dataset(h5, f"{name}/test_error", err, "1")

    atomic_h5(args.out / "closure_eelt.h5", fill)


if __name__ == "__main__":
    main()
