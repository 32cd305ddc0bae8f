"""The seed's symmetry comparison on EMT labels (fcc Cu, 32 atoms): (a) the test RMSE of the
no-symmetry, local-frame and smooth (se_e2_a) Deep Potentials trained on the same frames;
(b) the total energy in NVE MD with the local-frame and the smooth model.

    python experiments/dp_symmetry/run.py [--config config.toml] [--out DIR]

Writes `symmetry.md`, `symmetry.h5` and `symmetry.png` to the output folder (default
experiments/dp_symmetry/out).
"""

import argparse
import time
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
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution  # noqa: E402
from ase.md.verlet import VelocityVerlet  # noqa: E402

from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure.dp import DeepPot  # noqa: E402
from closure.dp.ase_calculator import DPCalculator  # noqa: E402
from closure.dp.labelers import EMTLabeler  # noqa: E402
from closure.dp.train import TrainConfig, fit, report  # noqa: E402

HERE = Path(__file__).resolve().parent
DESCRIPTORS = ("raw", "local_frame", "se_e2_a")
LABEL = {"raw": "no symmetry", "local_frame": "local frame", "se_e2_a": "smooth (se_e2_a)"}


def md_frames(start, T, n, every, seed):
    atoms = start.copy()
    atoms.calc = EMT()
    dyn = Langevin(atoms, 1.0 * units.fs, temperature_K=T, friction=0.02,
                   rng=np.random.default_rng(seed))
    dyn.run(200)  # equilibrate
    snaps = []
    for _ in range(n):
        dyn.run(every)
        snaps.append(atoms.copy())
    frames, failed = EMTLabeler().label(snaps, ["Cu"])
    assert not failed
    return frames, snaps[-1]


def nve(model, atoms, T, steps, seed):
    a = atoms.copy()
    a.calc = DPCalculator(model)
    MaxwellBoltzmannDistribution(a, temperature_K=T, rng=np.random.default_rng(seed))
    energies = []
    dyn = VelocityVerlet(a, 1.0 * units.fs)
    dyn.attach(lambda: energies.append(a.get_total_energy()), interval=10)
    dyn.run(steps)
    return np.array(energies)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("--config", HERE / "config.toml"), ("--out", HERE / "out")):
        ap.add_argument(flag, default=default, type=Path)
    args = ap.parse_args(argv)
    cfg = tomllib.loads(args.config.read_text())
    dc, mc = cfg["data"], cfg["model"]
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    start = bulk("Cu", "fcc", a=dc["lattice"], cubic=True).repeat((dc["repeat"],) * 3)
    train = []
    for k, T in enumerate(dc["train_temperatures"]):
        train += md_frames(start, T, dc["frames_per_run"], dc["every"], dc["seed"] + k)[0]
    test, last = md_frames(start, dc["test_temperature"], dc["frames_per_run"], dc["every"],
                           dc["seed"] + 100)
    val = train[::5]
    fit_on = [f for k, f in enumerate(train) if k % 5]
    print(f"{len(fit_on)} training, {len(val)} validation, {len(test)} test frames")

    results, models = {}, {}
    for desc in DESCRIPTORS:
        torch.manual_seed(dc["seed"])
        model = DeepPot(["Cu"], mc["rcut"], mc["rcut_smth"], (mc["sel"],), mc["embed"],
                        mc["axis"], mc["fit"], descriptor=desc)
        t0 = time.perf_counter()
        fit(model, fit_on, val, TrainConfig(steps=mc["steps"], lr_start=mc["lr_start"],
                                            validate_every=250, seed=dc["seed"]))
        results[desc] = report(model, test) | {"seconds": time.perf_counter() - t0}
        models[desc] = model
        print(f"  {desc:12s} test RMSE: E {results[desc]['rmse_e_per_atom'] * 1e3:.2f} "
              f"meV/atom, F {results[desc]['rmse_f']:.4f} eV/A "
              f"({results[desc]['seconds']:.0f} s)", flush=True)

    nc = cfg["nve"]
    traces = {d: nve(models[d], last, nc["temperature"], nc["steps"], dc["seed"])
              for d in ("local_frame", "se_e2_a")}
    drift = {d: float(np.abs(e - e[0]).max()) for d, e in traces.items()}
    force_std = float(np.concatenate([f["forces"].ravel() for f in test]).std())
    lines = ["| descriptor | test RMSE energy (meV/atom) | test RMSE force (eV/A) | "
             "train time (s) | NVE max energy deviation (meV) |", "|---|---|---|---|---|"]
    for d in DESCRIPTORS:
        r = results[d]
        nv = f"{drift[d] * 1e3:.2f}" if d in drift else "-"
        lines.append(f"| {LABEL[d]} | {r['rmse_e_per_atom'] * 1e3:.2f} | {r['rmse_f']:.4f} | "
                     f"{r['seconds']:.0f} | {nv} |")
    table = "\n".join(lines)
    ratio = drift["local_frame"] / max(drift["se_e2_a"], 1e-300)
    text = (f"# Symmetry comparison, fcc Cu (32 atoms), EMT labels\n\n{len(fit_on)} training "
            f"frames (Langevin MD at {dc['train_temperatures']} K), {len(test)} test frames "
            f"(MD at {dc['test_temperature']} K); labels' force standard deviation "
            f"{force_std:.3f} eV/A.  NVE: {nc['steps']} steps of 1 fs from {nc['temperature']} "
            f"K.\n\n{table}\n\nNVE energy deviation, local frame / smooth: {ratio:.1f}\n")
    (args.out / "symmetry.md").write_text(text)
    print(text)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    x = np.arange(len(DESCRIPTORS))
    ax1.bar(x, [results[d]["rmse_f"] for d in DESCRIPTORS], color=["gray", "tab:orange",
                                                                    "tab:green"])
    ax1.set_xticks(x, [LABEL[d] for d in DESCRIPTORS])
    ax1.set_ylabel("test force RMSE (eV/Angstrom)")
    ax1.set_title("(a) equal training data")
    for d, color in (("local_frame", "tab:orange"), ("se_e2_a", "tab:green")):
        e = traces[d]
        ax2.plot(np.arange(e.size) * 10, (e - e[0]) * 1e3, color=color, label=LABEL[d])
    ax2.set_xlabel("time (fs)")
    ax2.set_ylabel("total energy - initial (meV)")
    ax2.set_title("(b) NVE, velocity Verlet, 1 fs")
    ax2.legend()
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out / "symmetry.png", dpi=150)
    plt.close(fig)

    def fill(h5):
        h5.attrs.update({"config": args.config.read_text(), "labels": "ASE EMT"})
        for d in DESCRIPTORS:
            write_dataset(h5, f"rmse/{d}", np.array([results[d]["rmse_e_per_atom"],
                                                     results[d]["rmse_f"]]),
                          "eV/atom, eV/Angstrom")
        for d, e in traces.items():
            write_dataset(h5, f"nve/{d}", e, "eV", "total energy every 10 fs")

    atomic_h5(args.out / "symmetry.h5", fill)


if __name__ == "__main__":
    main()
