"""Our EELT-trained Deep Potential against DeePMD-kit trained on the same labels.

The DP-GEN run of `run.py` (Al28Mg4, LAMMPS MEAM labels) ends with four models trained on the
labels gathered before its last iteration.  This script trains DeePMD-kit (its se_e2_a, the
TensorFlow CPU build of experiments/dp_benchmark/setup_deepmd.sh) on exactly those frames,
with the same split (every tenth frame validates), network sizes (one embedding net per
neighbour type: type_one_side), cutoffs, number of steps, batch size 1, learning-rate range
and loss (energy, forces, virial; DeePMD-kit's energy and virial prefactors divided by the
atom count, since it normalises those terms by N where we normalise by N^2), one model per
member seed, and compares both on run.py's held-out test set (the labeler's own Langevin MD,
regenerated with the same seed).  Same data, same budget: the ratio says whether our
implementation learns as well as the reference implementation, which a comparison with a
published number for another data set and budget cannot say.

Differences that remain: DeePMD-kit's learning rate decays in stairs every 50 steps (ours
continuously), it keeps its last weights (ours those of the best validation), and ours
refits the per-type energy bias after training.

    .venv/bin/python experiments/dp_eelt/versus_deepmd.py [--run out/run] [--config config.toml]
        [--deepmd-venv /work/deepmd-venv]

Writes out/versus_deepmd.md.  Needs run.py's finished run and the DeePMD-kit environment.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path

import numpy as np

from closure.dp.eelt import FrameStore, split
from closure.dp.train import load, report

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import TEST_SEED, reference_md  # noqa: E402


def training_frames(run_dir):
    """The frames the last iteration's models were trained on (initial + earlier labels) and
    that iteration's folder."""
    iters = sorted(run_dir.glob("iter_*"))
    last = iters[-1]
    store = FrameStore()
    frames = store.load(run_dir / "initial.h5")
    for it in iters[:-1]:
        frames += store.load(it / "labels.h5")
    return frames, last


def write_npy(frames, folder, type_map):
    """DeePMD-kit's deepmd/npy layout, one system per atom-type sequence."""
    groups = defaultdict(list)
    for f in frames:
        groups[tuple(int(t) for t in f["types"])].append(f)
    systems = []
    for k, (types, fs) in enumerate(groups.items()):
        d = folder / f"sys_{k}"
        (d / "set.000").mkdir(parents=True)
        np.savetxt(d / "type.raw", np.array(types), fmt="%d")
        (d / "type_map.raw").write_text("\n".join(type_map) + "\n")
        arrays = {"coord": [f["positions"].ravel() for f in fs],
                  "box": [np.asarray(f["cell"]).ravel() for f in fs],
                  "energy": [f["energy"] for f in fs],
                  "force": [f["forces"].ravel() for f in fs]}
        if all("virial" in f for f in fs):
            arrays["virial"] = [np.asarray(f["virial"]).ravel() for f in fs]
        for name, a in arrays.items():
            np.save(d / "set.000" / f"{name}.npy", np.array(a))
        systems.append(str(d))
    return systems


def deepmd_input(meta, cfg_train, steps, seed, train_sys, val_sys, natoms):
    """DeePMD-kit's input.json for our TrainConfig values.  Its loss weighs the energy and
    virial terms as pref (dE)^2 / N and pref <dW^2> / N, ours as pref (dE/N)^2 and
    pref <(dW/N)^2>, so those prefactors are divided by N (natoms, the same in every frame)
    to give the same loss."""
    pe = cfg_train.get("pref_e", [0.02, 1.0])
    pf = cfg_train.get("pref_f", [1000.0, 1.0])
    pv = cfg_train.get("pref_v", [0.0, 0.0])
    return {
        "model": {
            "type_map": meta["type_map"],
            "descriptor": {"type": "se_e2_a", "sel": meta["sel"], "rcut_smth": meta["rcut_smth"],
                           "rcut": meta["rcut"], "neuron": meta["embed"], "resnet_dt": False,
                           "axis_neuron": meta["axis"], "type_one_side": True,
                           "seed": seed},
            "fitting_net": {"neuron": meta["fit"], "resnet_dt": False, "seed": seed}},
        "learning_rate": {"type": "exp", "decay_steps": 50,
                          "start_lr": cfg_train.get("lr_start", 1e-3),
                          "stop_lr": cfg_train.get("lr_stop", 1e-5)},
        "loss": {"type": "ener", "start_pref_e": pe[0] / natoms,
                 "limit_pref_e": pe[1] / natoms, "start_pref_f": pf[0], "limit_pref_f": pf[1],
                 "start_pref_v": pv[0] / natoms, "limit_pref_v": pv[1] / natoms},
        "training": {"training_data": {"systems": train_sys, "batch_size": 1},
                     "validation_data": {"systems": val_sys, "batch_size": 1},
                     "numb_steps": steps, "seed": seed, "disp_file": "lcurve.out",
                     "disp_freq": max(steps // 6, 1), "save_freq": steps}}


def deepmd_rmse(venv, work, inp, test_sys):
    """(energy RMSE per atom in eV, force RMSE in eV/Angstrom) of DeePMD-kit trained by inp."""
    dp = str(Path(venv) / "bin" / "dp")
    env = dict(os.environ, OMP_NUM_THREADS="2", DP_INTRA_OP_PARALLELISM_THREADS="2",
               DP_INTER_OP_PARALLELISM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    (work / "input.json").write_text(json.dumps(inp, indent=1))
    for cmd in ([dp, "train", "input.json"], [dp, "freeze", "-o", "frozen.pb"]):
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{proc.stderr[-3000:]}")
    e2, f2, n_e, n_f = 0.0, 0.0, 0, 0
    for s in test_sys:
        proc = subprocess.run([dp, "test", "-m", "frozen.pb", "-s", s, "-n", "100000"],
                              cwd=work, env=env, capture_output=True, text=True)
        text = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise RuntimeError(f"dp test failed:\n{text[-3000:]}")
        ne = int(re.search(r"number of test data\s*:\s*(\d+)", text).group(1))
        natoms = len(np.loadtxt(Path(s) / "type.raw"))
        e = float(re.search(r"Energy RMSE/Natoms\s*:\s*([0-9.eE+-]+)", text).group(1))
        f = float(re.search(r"Force\s+RMSE\s*:\s*([0-9.eE+-]+)", text).group(1))
        e2, n_e = e2 + e * e * ne, n_e + ne
        f2, n_f = f2 + f * f * ne * natoms * 3, n_f + ne * natoms * 3
    return np.sqrt(e2 / n_e), np.sqrt(f2 / n_f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=Path, default=HERE / "config.toml")
    ap.add_argument("--run", type=Path, default=HERE / "out" / "run")
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--deepmd-venv", default=os.environ.get("DEEPMD_VENV", "/work/deepmd-venv"))
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(2)
    cfg = tomllib.loads(args.config.read_text())
    frames, last = training_frames(args.run)
    models = sorted(last.glob("model_*.pt"))
    loaded = [load(p) for p in models]
    meta = loaded[0][1]
    if meta["trained_on"] != len(frames):
        raise RuntimeError(f"{models[0]} was trained on {meta['trained_on']} frames, the run "
                           f"holds {len(frames)} before {last.name}")
    train, val = split(frames)
    tc = cfg["test"]
    test = reference_md(cfg["system"], tc["temperatures"], tc["frames"], TEST_SEED)
    ours = [report(m, test) for m, _ in loaded]
    steps = cfg["train"]["steps"]
    natoms = {len(f["types"]) for f in frames}
    if len(natoms) != 1:
        raise RuntimeError(f"frames of different sizes {sorted(natoms)}: the prefactor "
                           "conversion needs one atom count")
    natoms = natoms.pop()
    theirs = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tr = write_npy(train, tmp / "train", meta["type_map"])
        va = write_npy(val, tmp / "val", meta["type_map"])
        te = write_npy(test, tmp / "test", meta["type_map"])
        for m, (_, mm) in enumerate(loaded):
            work = tmp / f"member_{m}"
            work.mkdir()
            seed = cfg["eelt"].get("seed", 0) + mm["member"] + 1  # DeePMD-kit: seed > 0
            theirs.append(deepmd_rmse(args.deepmd_venv, work,
                                      deepmd_input(meta, cfg["train"], steps, seed, tr, va,
                                                   natoms), te))
            print(f"member {m}: ours F {ours[m]['rmse_f']:.4f}, DeePMD-kit F "
                  f"{theirs[-1][1]:.4f} eV/Angstrom", flush=True)
    of = np.array([r["rmse_f"] for r in ours])
    oe = np.array([r["rmse_e_per_atom"] for r in ours]) * 1e3
    tf_ = np.array([t[1] for t in theirs])
    te_ = np.array([t[0] for t in theirs]) * 1e3
    label_std = float(np.concatenate([f["forces"].ravel() for f in test]).std())
    lines = ["# Our Deep Potential against DeePMD-kit on the same EELT labels", "",
             f"Command: `.venv/bin/python experiments/dp_eelt/versus_deepmd.py` (run "
             f"{args.run.name}, {last.name}'s models)", "",
             f"Training: {len(train)} frames, validation {len(val)} (the run's split), "
             f"{steps} steps, batch 1, network {meta['embed']} / axis {meta['axis']} / "
             f"{meta['fit']}, rcut {meta['rcut']} (smooth from {meta['rcut_smth']}). "
             f"Test: {len(test)} frames of the labeler's own MD at {tc['temperatures']} K "
             f"(force standard deviation {label_std:.3f} eV/Angstrom).", "",
             "| member | ours E (meV/atom) | DeePMD-kit E (meV/atom) | ours F (eV/A) | "
             "DeePMD-kit F (eV/A) | F ratio ours / DeePMD-kit |", "|---|---|---|---|---|---|"]
    for m in range(len(ours)):
        lines.append(f"| {m} | {oe[m]:.2f} | {te_[m]:.2f} | {of[m]:.4f} | {tf_[m]:.4f} | "
                     f"{of[m] / tf_[m]:.2f} |")
    lines.append(f"| mean | {oe.mean():.2f} | {te_.mean():.2f} | {of.mean():.4f} | "
                 f"{tf_.mean():.4f} | {of.mean() / tf_.mean():.2f} |")
    text = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "versus_deepmd.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
