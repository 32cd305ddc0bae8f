"""The default learned closure trained on the CPU and on a GPU from the same data and seeds:
wall time of each, the best validation loss of each member, and how far apart the two
ensembles' predictions are, against how far apart two members (seeds) of one ensemble are.

    # here: the closure inputs of the learned_moments train / validation runs (float64, 43 MB)
    .venv/bin/python experiments/benchmark/train_device.py export out/closure_inputs.npz
    # where the GPU is (no dataset or kinetic solver needed there):
    python experiments/benchmark/train_device.py run out/closure_inputs.npz --out OUT \\
        [--devices cpu cuda] [--threads N] [--width W --batch B --epochs E --members M]
    # model files trained anywhere, compared on the same validation cells
    .venv/bin/python experiments/benchmark/train_device.py compare out/closure_inputs.npz A.pt B.pt

The recipe is experiments/learned_closure/config.toml's [model] (K = 2, four members), or
with the options given in its place.  The
prediction difference is max over the closure targets of ||P_a - P_b|| / ||P_b - mean P_b||
on the validation inputs, P the ensemble mean (or, for the seed-to-seed scale, one
member).  Writes OUT/train_device.md, OUT/train_device.json and each device's model file
OUT/closure_<device>.pt.
"""

import argparse
import json
import platform
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CONFIG = ROOT / "experiments" / "learned_closure" / "config.toml"


def export(path):
    from closure import data
    from closure.nn.closure_net import closure_inputs

    cfg = tomllib.loads(CONFIG.read_text())
    dcfg = tomllib.loads((CONFIG.parent / cfg["dataset"] / "config.toml").read_text())
    folder = (CONFIG.parent / cfg["dataset"] / "out" / Path(dcfg["data"]["folder"]).name)
    runs = data.load_dataset(folder.resolve())
    parts = {s: [r for r in runs if r.split == s] for s in ("train", "val")}
    arrays = {}
    for split, rs in parts.items():
        arrays[f"f_{split}"], arrays[f"kn_{split}"] = closure_inputs(rs)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, data_hash=data.dataset_hash(runs), **arrays)
    print(f"wrote {path}: " + ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))


def predictions(closure, f, kn):
    with torch.no_grad():
        W = closure.ae.encode(torch.as_tensor(f)).numpy()
    return np.stack([net(torch.as_tensor(W), torch.as_tensor(kn)).detach().numpy()
                     for net in closure.ensemble.nets])


def difference(a, b):
    """max over targets of ||a - b|| / ||b - mean b|| of the means over members of
    predictions (members, n, ntargets)."""
    a, b = a.mean(axis=0), b.mean(axis=0)
    spread = np.linalg.norm(b - b.mean(axis=0), axis=0)
    varies = spread > 1e-9 * spread.max()
    return float(np.max(np.linalg.norm(a - b, axis=0)[varies] / spread[varies]))


def run(path, out, devices, **override):
    from closure.nn import ClosureEnsemble, MomentAutoencoder
    from closure.nn.learned import assemble
    from closure.nn.train import fit_closure

    mc = tomllib.loads(CONFIG.read_text())["model"]
    mc |= {k: v for k, v in override.items() if v is not None}
    blob = np.load(path)
    train = blob["f_train"], blob["kn_train"]
    val = blob["f_val"], blob["kn_val"]
    out.mkdir(parents=True, exist_ok=True)
    kw = dict(epochs=mc["epochs"], lr=mc["lr"], patience=mc["patience"], width=mc["width"],
              floor=mc["floor"], batch=mc.get("batch", 1024))
    res = {"torch": torch.__version__, "cpu_threads": torch.get_num_threads(),
           "machine": platform.processor() or platform.machine(),
           "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
           "train_cells": int(train[0].shape[0]), "config": kw | {"members": mc["members"]},
           "devices": {}}
    preds, seeds = {}, {}
    for dev in devices:
        if dev.startswith("cuda"):  # context and kernels outside the timing
            fit_closure(MomentAutoencoder(2, grad=True), train, val, epochs=1, width=8,
                        device=dev)
        torch.manual_seed(mc["seed"])
        t0 = time.perf_counter()
        ae = MomentAutoencoder(2, grad=True)
        ens = ClosureEnsemble.fit(ae, train, val, members=mc["members"], seed=mc["seed"],
                                  device=dev, **kw)
        seconds = time.perf_counter() - t0
        closure = assemble(ae, ens, data_hash=str(blob["data_hash"]), seed=mc["seed"],
                           train_seconds=seconds, train_device=dev)
        closure.save(out / f"closure_{dev.replace(':', '')}.pt")
        preds[dev] = predictions(closure, *val)
        seeds[f"{dev}: seed {mc['seed']} vs seed {mc['seed'] + 1}"] = difference(
            preds[dev][:1], preds[dev][1:2])
        member_val = [float(r["best_val"]) for r in ens.records]
        res["devices"][dev] = {"seconds": seconds, "val_loss_per_member": member_val}
        print(f"{dev}: {seconds:.1f} s, validation losses {np.round(member_val, 5)}",
              flush=True)
    names = list(preds)
    res["difference"] = {f"{a} vs {b}": difference(preds[a], preds[b])
                         for i, a in enumerate(names) for b in names[i + 1:]} | seeds
    (out / "train_device.json").write_text(json.dumps(res, indent=1))
    lines = [f"# Default closure trained on {', '.join(devices)}", "",
             f"`{' '.join(sys.argv)}`; torch {res['torch']}, {res['cpu_threads']} CPU threads, "
             f"GPU: {res['gpu']}; {res['train_cells']} training cells; recipe {res['config']}",
             "", "| device | wall time (s) | validation loss per member |", "|---|---|---|"]
    lines += [f"| {d} | {r['seconds']:.1f} | {', '.join(f'{v:.5f}' for v in r['val_loss_per_member'])} |"  # noqa: E501
              for d, r in res["devices"].items()]
    lines += ["", "| ensemble-mean predictions on the validation cells | max relative difference |",
              "|---|---|"]
    lines += [f"| {k} | {v:.2e} |" for k, v in res["difference"].items()]
    (out / "train_device.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def compare(path, models):
    from closure.nn.learned import LearnedClosure

    blob = np.load(path)
    val = blob["f_val"], blob["kn_val"]
    preds = {str(m): predictions(LearnedClosure.load(m), *val) for m in models}
    names = list(preds)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            print(f"{a} vs {b}: {difference(preds[a], preds[b]):.2e}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="write the closure inputs of the train/val runs")
    e.add_argument("path", type=Path)
    r = sub.add_parser("run", help="train on each device and compare")
    r.add_argument("path", type=Path)
    r.add_argument("--out", type=Path, default=HERE / "out" / "train_device")
    r.add_argument("--devices", nargs="+", default=["cpu", "cuda"])
    r.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    for name in ("width", "batch", "epochs", "members"):
        r.add_argument(f"--{name}", type=int, help=f"{name} instead of the config's")
    c = sub.add_parser("compare", help="max relative difference of model files' ensemble-mean "
                       "predictions on the validation cells")
    c.add_argument("path", type=Path)
    c.add_argument("models", type=Path, nargs="+")
    args = ap.parse_args(argv)
    if args.cmd == "compare":
        compare(args.path, args.models)
    elif args.cmd == "export":
        export(args.path)
    else:
        if args.threads:
            torch.set_num_threads(args.threads)
        run(args.path, args.out, args.devices, width=args.width, batch=args.batch,
            epochs=args.epochs, members=args.members)


if __name__ == "__main__":
    main()
