"""DP-GEN style concurrent learning on the shared EELT engine: fcc Cu, EMT labels, an
ensemble of four smooth Deep Potentials, Langevin MD exploration over a temperature schedule,
selection by the max force deviation between trust levels.

    python experiments/dp_eelt/run.py [--config config.toml] [--out DIR]

Resumable (kill it and run it again).  Writes the run folder (labels in HDF5, model files,
state.json), `eelt_log.md`, `eelt.h5` and `eelt.png` to the output folder (default
experiments/dp_eelt/out), with each iteration's test RMSE on EMT's own MD at 900 K.
"""

import argparse
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from ase import units  # noqa: E402
from ase.build import bulk  # noqa: E402
from ase.calculators.emt import EMT  # noqa: E402
from ase.md.langevin import Langevin  # noqa: E402

from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure.dp.eelt import (  # noqa: E402
    DeviationExaminer,
    DPTrainer,
    FrameStore,
    LabelerAdapter,
    MDExplorer,
)
from closure.dp.labelers import EMTLabeler  # noqa: E402
from closure.dp.train import TrainConfig, load, report  # noqa: E402
from closure.eelt import EELT, EELTConfig  # noqa: E402

HERE = Path(__file__).resolve().parent


def emt_md(start, T, n, every, seed):
    atoms = start.copy()
    atoms.calc = EMT()
    dyn = Langevin(atoms, 1.0 * units.fs, temperature_K=T, friction=0.02,
                   rng=np.random.default_rng(seed))
    dyn.run(100)
    snaps = []
    for _ in range(n):
        dyn.run(every)
        snaps.append(atoms.copy())
    return EMTLabeler().label(snaps, ["Cu"])[0]


def arguments(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE / "out", type=Path, help="output folder")
    ap.add_argument("--config", default=HERE / "config.toml", type=Path, help="TOML config")
    return ap.parse_args(argv)


def main(argv=None):
    args = arguments(argv)
    cfg = tomllib.loads(args.config.read_text())
    sc, mc, ec = cfg["system"], cfg["model"], cfg["explore"]
    torch.set_num_threads(2)
    lattice = bulk("Cu", "fcc", a=sc["lattice"], cubic=True).repeat((sc["repeat"],) * 3)
    rng = np.random.default_rng(cfg["eelt"]["seed"])
    starts = []
    for _ in range(sc["starts"]):
        a = lattice.copy()
        a.positions += rng.normal(0.0, 0.05, a.positions.shape)
        starts.append(a)
    hyper = {"type_map": ["Cu"], "rcut": mc["rcut"], "rcut_smth": mc["rcut_smth"],
             "sel": (mc["sel"],), "embed": mc["embed"], "axis": mc["axis"], "fit": mc["fit"]}
    run_dir = args.out / "run"
    eelt = EELT(
        DPTrainer(hyper, members=mc["members"],
                  config=TrainConfig(steps=mc["steps"], lr_start=mc["lr_start"],
                                     validate_every=200)),
        MDExplorer(starts, ec["temperatures"], steps=ec["steps"], every=ec["every"]),
        DeviationExaminer(), LabelerAdapter(EMTLabeler(), ["Cu"]), FrameStore(), run_dir,
        emt_md(lattice, ec["temperatures"][0], sc["initial_frames"], 10, 1),
        EELTConfig(**cfg["eelt"]))
    log = eelt.run()

    tc = cfg["test"]
    test = emt_md(lattice, tc["temperature"], tc["frames"], 10, 99)
    rmse = [report(load(run_dir / f"iter_{e['iteration']:03d}" / "model_0.pt")[0], test)
            for e in log]
    lines = ["| iteration | T (K) | trained on | explored | accurate | candidates | failed | "
             "labeled | fraction labeled | test RMSE E (meV/atom) | test RMSE F (eV/A) |",
             "|---" * 11 + "|"]
    for e, r in zip(log, rmse):
        T = ec["temperatures"][min(e["iteration"], len(ec["temperatures"]) - 1)]
        lines.append(f"| {e['iteration']} | {T:g} | {e['trained_on']} | {e['explored']} | "
                     f"{e['accurate']} | {e['candidate']} | {e['failed']} | {e['labeled']} | "
                     f"{e['fraction_labeled']:.3f} | {r['rmse_e_per_atom'] * 1e3:.2f} | "
                     f"{r['rmse_f']:.4f} |")
    explored = sum(e["explored"] for e in log)
    labeled = sum(e["labeled"] for e in log)
    text = ("# EELT (DP-GEN style) for fcc Cu with EMT labels\n\n" + "\n".join(lines)
            + f"\n\nIn all: {labeled} of {explored} explored configurations labeled "
            f"({labeled / explored:.1%}); test set: {len(test)} frames of EMT MD at "
            f"{tc['temperature']} K.\n")
    (args.out / "eelt_log.md").write_text(text)
    print(text)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    it = [e["iteration"] for e in log]
    for key, style in (("fraction_accurate", "o-"), ("fraction_labeled", "s--")):
        ax1.plot(it, [e[key] for e in log], style, label=key.replace("_", " "))
    ax1.plot(it, [e["failed"] / e["explored"] for e in log], "^:", label="fraction failed")
    ax1.set_xlabel("iteration")
    ax1.legend()
    ax1.grid(alpha=0.3)
    ax2.plot(it, [r["rmse_f"] for r in rmse], "o-", color="tab:green")
    ax2.set_xlabel("iteration")
    ax2.set_ylabel("test force RMSE (eV/Angstrom)")
    ax2.grid(alpha=0.3)
    fig.suptitle("Concurrent learning of a Deep Potential for Cu (EMT labels)")
    fig.tight_layout()
    fig.savefig(args.out / "eelt.png", dpi=150)
    plt.close(fig)

    def fill(h5):
        h5.attrs.update({"config": args.config.read_text(), "labels": "ASE EMT"})
        for key in ("explored", "accurate", "candidate", "failed", "labeled"):
            write_dataset(h5, f"log/{key}", np.array([e[key] for e in log]), "1")
        write_dataset(h5, "test_rmse", np.array([[r["rmse_e_per_atom"], r["rmse_f"]]
                                                 for r in rmse]), "eV/atom, eV/Angstrom")

    atomic_h5(args.out / "eelt.h5", fill)


if __name__ == "__main__":
    main()
