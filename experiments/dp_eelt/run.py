"""DP-GEN style concurrent learning of a Deep Potential on the shared EELT engine, from a
config in `closure.dp.dpgen`'s format (default: Al-Mg with LAMMPS MEAM labels, NVT and NPT
exploration over temperature and pressure), then each iteration's model on a held-out test
set: frames of MD driven by the labeler itself at the [test] temperatures.

    python experiments/dp_eelt/run.py [--config config.toml] [--out DIR]

Resumable (kill it and run it again).  Writes the run folder (labels in HDF5, model files,
state.json), `eelt_log.md`, `eelt.h5` and `eelt.png` to the output folder (default
experiments/dp_eelt/out).
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from ase import units  # noqa: E402
from ase.md.langevin import Langevin  # noqa: E402

from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure.cli_eelt import run_config, status_table  # noqa: E402
from closure.dp.dpgen import labeler_of, structure  # noqa: E402
from closure.dp.train import load, report  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from eelt_common import setup  # noqa: E402

TEST_SEED = 99  # the held-out MD (versus_deepmd.py regenerates the same frames)


def reference_md(system, temperatures, frames, seed):
    """Labeled frames of Langevin MD driven by the labeler's own calculator."""
    labeler = labeler_of(system)
    out = []
    for k, T in enumerate(temperatures):
        atoms = structure(system["structure"])
        atoms.calc = labeler.calculator()
        dyn = Langevin(atoms, 1.0 * units.fs, temperature_K=T, friction=0.02,
                       rng=np.random.default_rng((seed, k)))
        dyn.run(200)
        snaps = []
        for _ in range(frames):
            dyn.run(20)
            snaps.append(atoms.copy())
        out += labeler.label(snaps, list(system["type_map"]))[0]
    return out


def plot(log, rmse, path, title):
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
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main(argv=None):
    args, cfg = setup(__doc__, HERE, argv)
    run_dir = args.out / "run"
    log = run_config(cfg, run_dir)
    tc = cfg["test"]
    test = reference_md(cfg["system"], tc["temperatures"], tc["frames"], TEST_SEED)
    rmse = [report(load(run_dir / f"iter_{e['iteration']:03d}" / "model_0.pt")[0], test)
            for e in log]
    rows = ["| iteration | T (K) | P (bar) | test RMSE E (meV/atom) | test RMSE F (eV/A) | "
            "test RMSE virial (meV/atom) |", "|---" * 6 + "|"]
    ec = cfg["explore"]
    for e, r in zip(log, rmse):
        k = e["iteration"]
        T = ec["temperatures"][min(k, len(ec["temperatures"]) - 1)]
        P = ec["pressures"][min(k, len(ec["pressures"]) - 1)] if "pressures" in ec else "NVT"
        rows.append(f"| {k} | {T:g} | {P} | {r['rmse_e_per_atom'] * 1e3:.2f} | "
                    f"{r['rmse_f']:.4f} | {r['rmse_v_per_atom'] * 1e3:.2f} |")
    system = cfg["system"]
    text = (f"# EELT (DP-GEN style): {''.join(system['type_map'])}, {system['labeler']} "
            f"labels\n\nCommand: `.venv/bin/python experiments/dp_eelt/run.py --config "
            f"{args.config.name}`\n\n## The loop\n\n" + status_table(run_dir)
            + "\n\n## Held-out test (model 0 of each iteration)\n\n" + "\n".join(rows)
            + f"\n\nTest set: {len(test)} frames of the labeler's own Langevin MD at "
            f"{tc['temperatures']} K.\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eelt_log.md").write_text(text)
    print(text)
    plot(log, rmse, args.out / "eelt.png",
         f"Concurrent learning of a Deep Potential ({', '.join(system['type_map'])}; "
         f"{system['labeler']} labels)")

    def fill(h5):
        h5.attrs.update({"config": args.config.read_text(), "labeler": system["labeler"]})
        for key in ("explored", "accurate", "candidate", "failed", "labeled"):
            write_dataset(h5, f"log/{key}", np.array([e[key] for e in log]), "1")
        write_dataset(h5, "test_rmse", np.array([[r["rmse_e_per_atom"], r["rmse_f"]]
                                                 for r in rmse]), "eV/atom, eV/Angstrom")

    atomic_h5(args.out / "eelt.h5", fill)


if __name__ == "__main__":
    main()
