"""The learned closure, trained and evaluated: the closed moment system of
`closure.systems.learned` against the kinetic reference on the held-out runs of the
learned_moments dataset, beside Euler, NSF and R13 on the same grids.

    python experiments/learned_closure/run.py [--config config.toml] [--out DIR] [--install]
                                              [--model PATH] [--device cpu|cuda|auto]

Trains the ensemble (and, for K > 2, the autoencoder), writes the model file `closure.pt`
(with --install also to closure/models/default.pt, the shipped default), rolls the closed
system out on every held-out shock tube to its last snapshot and marches the stationary
Mach 5.5 shock, and writes `closure_eval.md`, `closure_eval.h5`, `errors_vs_kn.png` and
`shock_M5.5.png` to the output folder (default experiments/learned_closure/out).  With
--model PATH it trains nothing and evaluates that model file instead (e.g. the final model of
an EELT run, `RUN/final/closure.pt`).
"""

import argparse
import importlib.util
import shutil
import sys
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
from closure.fv import FVNumerics, make_solver  # noqa: E402
from closure.metrics import NAMES as METRIC_NAMES  # noqa: E402
from closure.metrics import error_table, profile_errors  # noqa: E402
from closure.nn import ClosureEnsemble, MomentAutoencoder, fit_autoencoder  # noqa: E402
from closure.nn.closure_net import closure_inputs  # noqa: E402
from closure.nn.default import DEFAULT_MODEL  # noqa: E402
from closure.nn.learned import LearnedClosure, assemble  # noqa: E402
from closure.nn.train import training_device  # noqa: E402
from closure.shock_ode import nsf_shock  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from eelt_common import threads  # noqa: E402

NAMES = ("rho", "u", "T", "sigma_xx", "q_x")
MODELS = ("learned", "euler", "nsf", "r13")
STYLE = {"learned": ("*-", "tab:green"), "euler": ("s:", "tab:gray"), "nsf": ("o-", "black"),
         "r13": ("d--", "tab:orange")}


class NSFShock:
    """The NSF shock ODE's profile with a solution's x / moments interface."""

    def __init__(self, prof):
        self.x, self.moments = prof["x"], prof

    def __getitem__(self, key):
        return self.moments[key]


def dataset_experiment(folder):
    spec = importlib.util.spec_from_file_location("moments_experiment", folder / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cfg = tomllib.loads((folder / "config.toml").read_text())
    return mod, cfg


def train(mc, parts, digest, device="cpu"):
    torch.manual_seed(mc["seed"])
    t0 = time.perf_counter()
    if mc["K"] > 2:
        ae, _ = fit_autoencoder(data.fluid_frame(parts["train"]),
                                data.fluid_frame(parts["val"]), mc["K"],
                                epochs=mc["ae_epochs"], seed=mc["seed"], grad=True,
                                device=device)
    else:
        ae = MomentAutoencoder(mc["K"], grad=True)  # sigma^ and q^ only: nothing to learn
    sets = {s: closure_inputs(parts[s]) for s in ("train", "val")}
    ens = ClosureEnsemble.fit(ae, sets["train"], sets["val"], members=mc["members"],
                              epochs=mc["epochs"], lr=mc["lr"], seed=mc["seed"],
                              patience=mc["patience"], width=mc["width"], floor=mc["floor"],
                              device=device)
    seconds = time.perf_counter() - t0
    return assemble(ae, ens, data_hash=digest, seed=mc["seed"], train_seconds=seconds,
                    train_device=str(training_device(device)),
                    units="fluid-frame moments (closure.data); reduced units (docs/units.md)"), \
        seconds


def rollout(run, model, gas, path):
    """Errors (NAMES) of `model` against the run's last snapshot and its wall time."""
    p = run.problem
    solver = make_solver(p, gas, path if model == "learned" else model,
                         FVNumerics(nx=run["x"].size))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solver.run_until(run["t"][-1])
    wall = time.perf_counter() - t0
    sol = solver.solution()
    ref = {k: run[k][-1] for k in NAMES}
    return profile_errors(run["x"], ref, sol.x, sol.moments, names=NAMES), wall, sol


def kinetic_time(run, gas, repeats):
    best = np.inf
    for _ in range(repeats):
        s = bz.KineticSolver(run.problem, gas, run.attrs["model"]["name"],
                             bz.Numerics(nx=run["x"].size))
        t0 = time.perf_counter()
        s.run_until(run["t"][-1])
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=HERE / "config.toml", type=Path)
    ap.add_argument("--out", type=Path, help="output folder (default: out/ here, or with "
                    "--model the folder eval/ beside the model file)")
    for flag, text in (("--install", "also write the model to closure/models/default.pt"),
                       ("--reuse", "evaluate the model in the output folder if trained on "
                                   "this dataset")):
        ap.add_argument(flag, action="store_true", help=text)
    ap.add_argument("--model", type=Path, help="evaluate this model file; train nothing")
    ap.add_argument("--device", help="train on cpu, cuda[:N] or auto (a GPU when present); "
                    "default: the config's [model] device, else cpu")
    args = ap.parse_args(argv)
    cfg = tomllib.loads(args.config.read_text())
    device = args.device or cfg["model"].get("device", "cpu")
    if args.model is not None and args.device:
        ap.error("--device trains; with --model nothing is trained")
    try:  # an unknown or missing device, before the dataset is built
        training_device(device)
    except bz.InputError as err:
        ap.error(str(err))
    if args.out is None:
        args.out = HERE / "out" if args.model is None else args.model.parent / "eval"
    torch.set_num_threads(threads())
    args.out.mkdir(parents=True, exist_ok=True)
    mod, dcfg = dataset_experiment((HERE / cfg["dataset"]).resolve())
    folder = (HERE / cfg["dataset"]).resolve() / "out" / Path(dcfg["data"]["folder"]).name
    data.build_dataset(folder, mod.specs(dcfg["data"]))
    runs = data.load_dataset(folder)
    parts = {s: [r for r in runs if r.split == s] for s in data.SPLITS}
    digest = data.dataset_hash(runs)
    gas = bz.Gas(omega=dcfg["data"]["omega"])

    path = args.out / "closure.pt" if args.model is None else args.model
    reuse = args.model is not None or (args.reuse and path.exists())
    closure = LearnedClosure.load(path) if reuse else None
    if args.model is not None:
        seconds = closure.meta.get("train_seconds", np.nan)
        print(f"evaluating {path}")
    elif closure is not None and closure.meta.get("data_hash") == digest:
        seconds = closure.meta["train_seconds"]
        print(f"reusing {path} (trained in {seconds:.0f} s)")
    else:
        closure, seconds = train(cfg["model"], parts, digest, device)
        closure.save(path)
        print(f"trained in {seconds:.0f} s -> {path}", flush=True)
    if args.install and args.model is None:
        shutil.copyfile(path, DEFAULT_MODEL)
        print(f"installed as {DEFAULT_MODEL}")

    # warm-up: compile the kernels outside the timings
    warm = next(r for r in parts["test"] if r.problem.boundary != "shock")
    for model in MODELS:
        make_solver(warm.problem, gas, path if model == "learned" else model,
                    FVNumerics(nx=20)).advance(max_steps=2)
    kinetic_time(warm, gas, 1)

    tubes = [r for r in parts["test"] if r.problem.boundary != "shock"]
    errors, walls, text = {}, {}, []
    for run in tubes:
        t_kin = kinetic_time(run, gas, cfg["evaluate"]["kinetic_repeats"])
        walls[run.name, "kinetic"] = t_kin
        rows = []
        for model in MODELS:
            try:
                err, wall, _ = rollout(run, model, gas, path)
            except bz.SolutionError as exc:
                rows.append((model, f"breaks down: {exc}"))
                continue
            errors[run.name, model], walls[run.name, model] = err, wall
            rows.append((f"{model} ({t_kin / wall:.2f}x the kinetic speed)", err))
        kn = run.problem.kn if hasattr(run.problem, "kn") else np.nan
        text += [f"## {run.name} (Kn = {kn:g}; kinetic {t_kin * 1e3:.0f} ms)", "",
                 error_table(rows, NAMES), ""]
        print("\n".join(text[-4:]), flush=True)

    shock = next(r for r in parts["test"] if r.problem.boundary == "shock")
    shock_rows, shock_sols = [], {}
    for model in MODELS:
        t0 = time.perf_counter()
        if model == "nsf":  # the exact orbit of the NSF equations (closure.shock_ode)
            sol = NSFShock(nsf_shock(shock.problem.mach, gas))
        else:
            ev = cfg["evaluate"]
            problem = bz.NormalShock(mach=shock.problem.mach, tol=ev["tol"],
                                     max_time=ev["max_time"])
            solver = make_solver(problem, gas, path if model == "learned" else model)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sol = solver.run()
            except bz.SolutionError as exc:
                shock_rows.append((model, f"breaks down: {exc}"))
                continue
        shock_sols[model] = sol
        err = profile_errors(shock["x"], {k: shock[k][0] for k in METRIC_NAMES}, sol.x,
                             sol.moments, cfg["evaluate"]["window"])
        shock_rows.append((f"{model} ({time.perf_counter() - t0:.1f} s)", err))
    table = error_table(shock_rows)
    text += [f"## Stationary Mach {shock.problem.mach:g} shock (never trained on)", "",
             f"Errors over |x| <= {cfg['evaluate']['window']} lambda_1 (closure.metrics).", "",
             table, ""]
    print("\n".join(text[-6:]))
    (args.out / "closure_eval.md").write_text(
        f"# The learned closure on the held-out runs (K = {closure.K}, "
        f"{len(closure.nets)} members, trained in {seconds:.0f} s)\n\n"
        "Relative L2 errors (closure.metrics: relative to the variation of the reference) "
        "against the kinetic solution at the last snapshot; speeds "
        "against the kinetic solver on the same grid, both timed in this run.\n\n"
        + "\n".join(text))

    sods = sorted((r for r in tubes if r.name.startswith("sod")), key=lambda r: r.problem.kn)
    if sods:
        kns = [r.problem.kn for r in sods]
        fig, axes = plt.subplots(1, len(NAMES), figsize=(16, 3.4), sharex=True)
        for ax, name in zip(axes, NAMES):
            for model in MODELS:
                y = [errors.get((r.name, model), {}).get(name, np.nan) for r in sods]
                ax.loglog(kns, y, STYLE[model][0], color=STYLE[model][1], label=model)
            ax.set_title(name)
            ax.set_xlabel("Kn")
            ax.grid(alpha=0.3, which="both")
        axes[0].set_ylabel("relative L2 error vs kinetic")
        axes[0].legend(fontsize=8)
        fig.suptitle("Held-out Sod tubes (Kn between the training values): learned closure "
                     "against Euler, NSF and R13")
        fig.tight_layout()
        fig.savefig(args.out / "errors_vs_kn.png", dpi=150)
        plt.close(fig)

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), sharex=True)
    for ax, name in zip(axes, ("rho", "T", "sigma_xx", "q_x")):
        ax.plot(shock["x"], shock[name][0], "-", color="tab:red", lw=2.6, alpha=0.5,
                label="kinetic (Shakhov)")
        for model, sol in shock_sols.items():
            ax.plot(sol.x, sol[name], STYLE[model][0][1:], color=STYLE[model][1], lw=1.2,
                    label=model)
        ax.set_title(name)
        ax.set_xlim(-15, 15)
        ax.set_xlabel(r"$x/\lambda_1$")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Mach {shock.problem.mach:g} normal shock")
    fig.tight_layout()
    fig.savefig(args.out / "shock_M5.5.png", dpi=150)
    plt.close(fig)

    def fill(h5):
        h5.attrs.update({"config": args.config.read_text(), "data_hash": digest,
                         "columns": ", ".join(NAMES),
                         "error": "relative L2 against the kinetic solution (closure.metrics)"})
        for (name, model), err in errors.items():
            write_dataset(h5, f"errors/{name}/{model}", np.array(list(err.values())), "1")
        for (name, model), t in walls.items():
            write_dataset(h5, f"wall_time/{name}/{model}", np.array(t), "s")

    atomic_h5(args.out / "closure_eval.h5", fill)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
