"""Learned moments against Hermite moments of the same count: an autoencoder on the
fluid-frame distribution of kinetic shock-tube runs (`closure.data`, `closure.nn`).

    python experiments/learned_moments/run.py [--config config.toml] [--out DIR]

Builds (or resumes) the dataset, trains one autoencoder per K, and compares its
reconstruction errors on the test runs (never seen in training; they include the stationary
Mach 5.5 shock, and no Mach 5.5 run trains) with the truncated Hermite expansion of the same
number of non-conserved moments.  Writes `moments_table.md`, `moments.h5`,
`reconstruction_M5.5.png`, the model files `ae_K*.pt` and the dataset to the output folder.
"""

import argparse
import time
import tomllib
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import boltzmann as bz  # noqa: E402
from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure import data  # noqa: E402
from closure.nn import (  # noqa: E402
    ClosureEnsemble,
    MomentAutoencoder,
    fit_autoencoder,
    load_model,
    reconstruction_errors,
    save_model,
)
from closure.nn.closure_net import (  # noqa: E402
    closure_inputs,
    closure_targets,
    target_names,
)
from closure.nn.moments import hermite_reconstruct  # noqa: E402
from closure.nn.train import hermite_errors  # noqa: E402

HERE = Path(__file__).resolve().parent


def specs(cfg):
    gas = bz.Gas(omega=cfg["omega"])
    split = {name: "val" for name in cfg["val"]} | {name: "test" for name in cfg["test"]}
    problems = [(f"sod_kn{kn:g}", bz.ShockTube.sod(kn=kn)) for kn in cfg["sod_kns"]]
    problems += [(f"tube_M{m:g}_kn{kn:g}", bz.ShockTube.moving_shock(m, gas, kn=kn))
                 for m in cfg["machs"] for kn in cfg["shock_kns"]]
    dv = cfg.get("v_spacing", data.RunSpec.v_spacing)  # 0.3 or finer for rarefied tubes
    out = [data.RunSpec(name, p, cfg["model"], cfg["omega"],
                        tuple(a * p.t_end for a in cfg["snapshots"]), cfg["nx"],
                        split.get(name, "train"), v_spacing=dv) for name, p in problems]
    out.append(data.RunSpec("shock_M5.5", bz.NormalShock(mach=5.5), cfg["model"],
                            cfg["omega"], split="test", v_spacing=dv))
    return out


def closure_study(cfg, models, parts, out, digest):
    """Train the closure network on the moments of autoencoder K and compare, on the test
    runs, with the closure read off the decoded distribution (the autoencoder alone)."""
    ae = models[cfg["K"]]
    sets = {s: closure_inputs(parts[s]) for s in ("train", "val", "test")}
    t0 = time.perf_counter()
    ens = ClosureEnsemble.fit(ae, sets["train"], sets["val"], members=cfg["members"],
                              epochs=cfg["epochs"], lr=cfg["lr"], seed=cfg["seed"],
                              patience=cfg["patience"], width=cfg["width"])
    seconds = time.perf_counter() - t0
    f, kn = sets["test"]
    with torch.no_grad():
        exact = closure_targets(ae, f).numpy()
        W = ae.encode(torch.as_tensor(f))
        single = ens.nets[0](W, torch.as_tensor(kn)).numpy()
        decoded = closure_targets(ae, ae.decode(W)).numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred, spread = ens.predict(W.numpy(), kn, where="test runs")
    outside = "; ".join(str(w.message) for w in caught) or "all test inputs inside"
    # does the disagreement flag the errors? rank correlation per sample
    scale = exact.std(axis=0)
    err_s = np.sqrt((((pred - exact) / scale) ** 2).mean(axis=1))
    dis_s = np.sqrt(((spread / scale) ** 2).mean(axis=1))
    rank = lambda a: np.argsort(np.argsort(a))  # noqa: E731
    spearman = float(np.corrcoef(rank(err_s), rank(dis_s))[0, 1])
    names = target_names(ae.K, ae.grad)
    groups = ([] if ae.grad else ["sigma", "q"]) + ["B", "A0", "A1", "A2", "E0", "E1"]
    rows = []
    for grp in groups:
        cols = [i for i, n in enumerate(names) if n.rstrip("0123456789").rstrip("_") == grp]
        err = [float(np.linalg.norm(m[:, cols] - exact[:, cols])
                     / np.linalg.norm(exact[:, cols] - exact[:, cols].mean(axis=0)))
               for m in (pred, single, decoded)]
        rows.append((grp, err))
    lines = ["| target | ensemble mean | one network | moments of the decoded f |",
             "|---|---|---|---|"]
    lines += [f"| {g} | {a:.3f} | {b:.3f} | {c:.3f} |" for g, (a, b, c) in rows]
    table = "\n".join(lines) + (
        f"\n\nEnsemble of {len(ens.nets)}: Spearman rank correlation between each test "
        f"sample's disagreement and its error {spearman:.2f}; envelope: {outside}")
    (out / "closure_table.md").write_text(
        f"# A-priori closure errors on the test runs (K = {ae.K})\n\n{table}\n")
    for m, net in enumerate(ens.nets):
        save_model(out / f"closure_K{ae.K}_m{m}.pt", net,
                   {"kind": "closure_net", "K": ae.K, "n_even": ae.n_even, "grad": ae.grad,
                    "width": cfg["width"], "targets": names, "data_hash": digest,
                    "seed": cfg["seed"] + m, "autoencoder": f"ae_K{ae.K}.pt",
                    "envelope": {"low": ens.low.tolist(), "high": ens.high.tolist()}})
    print(f"closure ensemble on K = {ae.K}: {seconds:.0f} s\n{table}", flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=HERE / "config.toml", type=Path)
    ap.add_argument("--out", default=HERE / "out", type=Path)
    ap.add_argument("--reuse", action="store_true",
                    help="load ae_K*.pt from the output folder when trained on this dataset")
    args = ap.parse_args(argv)
    cfg = tomllib.loads(args.config.read_text())
    torch.set_num_threads(2)
    folder = args.out / Path(cfg["data"]["folder"]).name
    t0 = time.perf_counter()
    print(f"dataset in {folder}")
    data.build_dataset(folder, specs(cfg["data"]))
    runs = data.load_dataset(folder)
    parts = {s: [r for r in runs if r.split == s] for s in data.SPLITS}
    f = {s: data.fluid_frame(parts[s]) for s in data.SPLITS}
    print(f"  {len(runs)} runs, cells: " + ", ".join(f"{s} {len(f[s])}" for s in f)
          + f" ({time.perf_counter() - t0:.0f} s)")
    digest = data.dataset_hash(runs)

    tc = cfg["train"]
    rows, models = [], {}
    for K in tc["Ks"]:
        path = args.out / f"ae_K{K}.pt"
        meta = load_model(path, "moment_autoencoder")[0] if args.reuse and path.exists() else {}
        if meta.get("data_hash") == digest and meta.get("grad") == tc["grad_moments"]:
            model = MomentAutoencoder(K, width=meta["width"], grad=meta["grad"])
            model.load_state_dict(load_model(path, "moment_autoencoder")[1])
            rec = {"seconds": 0.0, "best_epoch": meta["best_epoch"],
                   "best_val": meta["best_val"], "history": np.zeros((0, 2))}
        else:
            model, rec = fit_autoencoder(f["train"], f["val"], K, epochs=tc["epochs"],
                                         lr=tc["lr"], batch=tc["batch"], seed=tc["seed"],
                                         patience=tc["patience"], width=tc["width"],
                                         grad=tc["grad_moments"])
        with torch.no_grad():
            r = model(torch.as_tensor(f["test"])).numpy()
        ae, he = reconstruction_errors(f["test"], r), hermite_errors(f["test"], K)
        rows.append((K, ae, he, rec))
        models[K] = model
        save_model(args.out / f"ae_K{K}.pt", model,
                   {"kind": "moment_autoencoder", "K": K, "width": tc["width"],
                    "grad": tc["grad_moments"],
                    "xi": [data.XI_MAX, data.NXI], "data_hash": digest, "seed": tc["seed"],
                    "best_epoch": rec["best_epoch"], "best_val": rec["best_val"],
                    "units": "fluid-frame distribution (closure.data)"})
        print(f"  K={K}: {rec['seconds']:.0f} s, best epoch {rec['best_epoch']}; test error of "
              f"f-M: AE {ae['f']:.3f} Hermite {he['f']:.3f}; q-like moment: AE "
              f"{ae['q_like']:.3f} Hermite {he['q_like']:.3f}", flush=True)

    names = ("f", "q_like", "xi4_g")
    lines = ["| K | " + " | ".join(f"AE {n} | Hermite {n}" for n in names) + " |",
             "|---" * (2 * len(names) + 1) + "|"]
    for K, ae, he, _ in rows:
        lines.append(f"| {K} | " + " | ".join(f"{ae[n]:.3f} | {he[n]:.3f}" for n in names)
                     + " |")
    table = "\n".join(lines)
    (args.out / "moments_table.md").write_text(
        "# Relative reconstruction errors on the test runs\n\n" + table + "\n")
    print(table)

    shock = next(r for r in runs if r.name == "shock_M5.5")
    x = shock["x"]
    fs = np.stack([shock["g"][0], shock["h"][0]], axis=1)
    cells = [int(np.argmin(np.abs(x - x0))) for x0 in (-6.0, -2.0, -0.5, 1.0)]
    Kp = max(k for k in models if k <= 4)
    with torch.no_grad():
        rec = models[Kp](torch.as_tensor(fs[cells])).numpy()
    herm = hermite_reconstruct(fs[cells], Kp)
    fig, axes = plt.subplots(2, len(cells), figsize=(14, 6), sharex=True)
    for c, (cell, ax_g, ax_h) in enumerate(zip(cells, axes[0], axes[1])):
        for ax, comp, lab in ((ax_g, 0, r"$\hat g$"), (ax_h, 1, r"$\hat h$")):
            ax.plot(data.XI, fs[cell, comp], "-", color="tab:red", lw=2.5, alpha=0.6,
                    label="kinetic")
            ax.plot(data.XI, rec[c, comp], "--", color="black", label=f"autoencoder K={Kp}")
            ax.plot(data.XI, herm[c, comp], ":", color="tab:blue", label=f"Hermite K={Kp}")
            ax.set_xlim(-8, 8)
            ax.grid(alpha=0.3)
            ax.set_ylabel(lab)
        ax_g.set_title(rf"$x/\lambda_1$ = {x[cell]:.1f}, T = {shock['T'][0][cell]:.2f}")
        ax_h.set_xlabel(r"$\xi = (v - u)/\sqrt{T}$")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Fluid-frame distribution through the Mach 5.5 shock (test run, never "
                 "trained on): kinetic, autoencoder, Hermite")
    fig.tight_layout()
    fig.savefig(args.out / "reconstruction_M5.5.png", dpi=150)
    plt.close(fig)

    def fill(h5):
        h5.attrs["config"] = args.config.read_text()
        h5.attrs["data_hash"] = digest
        h5.attrs["columns"] = ", ".join(("f",) + ("xi2_g", "q_like", "xi4_g", "xi3_g"))
        write_dataset(h5, "K", np.array([K for K, *_ in rows]), "1")
        for label, idx in (("autoencoder", 1), ("hermite", 2)):
            write_dataset(h5, label, np.array([list(r[idx].values()) for r in rows]), "1",
                          "relative reconstruction errors on the test runs")
        for K, _, _, rec in rows:
            write_dataset(h5, f"history/K{K}", rec["history"], "1", "train, val loss")

    closure_rows = closure_study(cfg["closure"], models, parts, args.out, digest)

    def fill_all(h5):
        fill(h5)
        h5.attrs["closure_columns"] = "ensemble mean, one network, moments of the decoded f"
        for grp, err in closure_rows:
            write_dataset(h5, f"closure/{grp}", np.array(err), "1",
                          "relative L2 error on the test runs")

    atomic_h5(args.out / "moments.h5", fill_all)
    print(f"done in {time.perf_counter() - t0:.0f} s; results in {args.out}")


if __name__ == "__main__":
    main()
