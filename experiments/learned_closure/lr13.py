"""R13 with a learned regularisation (`closure.nn.regularisation`, `closure.systems.lr13`),
trained and evaluated on the learned_moments dataset beside NSF and R13.

    python experiments/learned_closure/lr13.py [--out DIR] [--install] [--max-time T]

Trains the network on the training runs (early stopping on the validation runs), writes
`lr13.pt` (with --install also closure/models/lr13.pt, the shipped default of `--model
lr13`), prints the a-priori errors of the regularising moments on the test runs, then marches
the stationary Mach 5.5 shock and rolls out the held-out tubes with NSF, R13 and the learned
R13, and writes `lr13_eval.md` and `lr13_shock_M5.5.png` to the output folder (default
experiments/learned_closure/out).
"""

import argparse
import shutil
import time
import tomllib
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from run import kinetic_time  # noqa: E402

import boltzmann as bz  # noqa: E402
from boltzmann.diagnostics import density_midpoint  # noqa: E402
from closure import data  # noqa: E402
from closure.fv import FVNumerics, FVSolver  # noqa: E402
from closure.metrics import error_table, profile_errors  # noqa: E402
from closure.nn.regularisation import (  # noqa: E402
    fit_regularisation,
    relative_errors,
    training_data,
)
from closure.systems.lr13 import DEFAULT_MODEL  # noqa: E402

HERE = Path(__file__).resolve().parent
MODELS = ("nsf", "r13", "lr13")
STYLE = {"nsf": ("-", "black"), "r13": ("--", "tab:orange"), "lr13": ("-", "tab:green"),
         "kinetic": ("o", "tab:blue")}


def load_data():
    """(the [lr13] config table, the dataset's [data] table, the dataset's runs by split)."""
    config = tomllib.loads((HERE / "config.toml").read_text())
    folder = (HERE / config["dataset"]).resolve()
    dcfg = tomllib.loads((folder / "config.toml").read_text())["data"]
    runs = data.load_dataset(folder / dcfg["folder"])
    return config["lr13"], dcfg, {s: [r for r in runs if r.split == s] for s in data.SPLITS}


def study_setup(description, argv, max_time=40.0):
    """The shared start of the Mach 5.5 studies (lr13_stability, lr13_bounded,
    lr13_calibrate): (args with --out and --max-time, the [lr13] config, the dataset's [data]
    table, its runs by split, (train, val) faces of `training_data`, the shock run, its x and
    reference profiles, the gas, the training keywords of the config)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--max-time", type=float, default=max_time)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    cfg, dcfg, parts = load_data()
    faces = training_data(parts["train"]), training_data(parts["val"])
    shock, xr, ref = shock_reference(parts)
    fit = dict(width=cfg["width"], phi_max=cfg["phi_max"], epochs=cfg["epochs"], lr=cfg["lr"],
               seed=cfg["seed"], patience=cfg["patience"])
    return (args, cfg, dcfg, parts, faces, (shock, xr, ref), bz.Gas(omega=dcfg["omega"]),
            fit)


def shock_reference(parts):
    """(the held-out stationary shock run, its x relative to the density midpoint, its
    reference profiles by name)."""
    shock = next(r for r in parts["test"] if r.problem.kind == "shock")
    xr = shock["x"] - density_midpoint(shock["x"], shock["rho"][0],
                                       0.5 * (shock["rho"][0][0] + shock["rho"][0][-1]))
    return shock, xr, {k: shock[k][0] for k in ("rho", "u", "T", "sigma_xx", "q_x")}


def tube_table(parts, gas, models, system=lambda name, problem: name):
    """Markdown lines: the held-out tubes of `parts` rolled out with each model (errors in
    rho, T, q_x at the last snapshot) and the speed against the kinetic solver on the same
    grid (best of two runs each, in this run; the solver is built before the clock starts).
    system(name, problem) gives what `FVSolver` takes for a model name."""
    lines = ["## Held-out tubes, last snapshot (relative L2; closure.metrics)", "",
             "Speed: the kinetic solver's wall time on the same grid over the model's "
             "(best of two runs each, both in this run).", "",
             "| run | kinetic (ms) | " + " | ".join(f"{m} rho / T / q_x (speed)"
                                                    for m in models) + " |",
             "|---" * (len(models) + 2) + "|"]
    for r in parts["test"]:
        if r.problem.kind == "shock":
            continue
        t_kin = kinetic_time(r, gas, 2)
        cells = []
        for model in models:
            try:
                wall = np.inf
                for _ in range(2):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        solver = FVSolver(r.problem, gas, system(model, r.problem),
                                          FVNumerics(nx=r["x"].size))
                        t0 = time.perf_counter()
                        sol = solver.run()
                        wall = min(wall, time.perf_counter() - t0)
                e = profile_errors(r["x"], {k: r[k][-1] for k in ("rho", "T", "q_x")}, sol.x,
                                   sol, names=("rho", "T", "q_x"))
                cells.append(f"{e['rho']:.3f} / {e['T']:.3f} / {e['q_x']:.3f} "
                             f"({t_kin / wall:.1f}x)")
            except bz.SolutionError as exc:
                cells.append(f"breaks down ({exc})"[:60])
        lines.append(f"| {r.name} | {1e3 * t_kin:.0f} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--install", action="store_true")
    ap.add_argument("--max-time", type=float, default=60.0,
                    help="time limit of the shock march (lambda_1 / sqrt(R T_1))")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    cfg, dcfg, parts = load_data()
    args.out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    net, rec = fit_regularisation(training_data(parts["train"]), training_data(parts["val"]),
                                  width=cfg["width"], phi_max=cfg["phi_max"],
                                  epochs=cfg["epochs"], lr=cfg["lr"], seed=cfg["seed"],
                                  patience=cfg["patience"])
    train_s = time.perf_counter() - t0
    path = net.save(args.out / "lr13.pt", data_hash=data.dataset_hash(parts["train"]),
                    collision_model=dcfg["model"], omega=dcfg["omega"])
    if args.install:
        shutil.copy(path, DEFAULT_MODEL)
    lines = [f"# R13 with learned regularisation ({time.strftime('%Y-%m-%d')})", "",
             f"Training: {rec['epochs']} epochs (best {rec['best_epoch']}), {train_s:.1f} s, "
             f"validation loss {rec['first_val_loss']:.4f} -> {rec['val_loss']:.4f}.", "",
             "## A priori: relative L2 errors of m_xxx and R = R_xx + Delta/3 (test runs)", "",
             "| run | learned m_xxx | R13 m_xxx | learned R | R13 R |", "|---|---|---|---|---|"]
    for r in parts["test"]:
        e = relative_errors(net, *training_data([r]))
        lines.append(f"| {r.name} | {e['learned'][0]:.3f} | {e['r13'][0]:.3f} | "
                     f"{e['learned'][1]:.3f} | {e['r13'][1]:.3f} |")
    print("\n".join(lines))

    gas = bz.Gas(omega=dcfg["omega"])
    shock, xr, ref = shock_reference(parts)
    rows, profiles = [], {}
    for model in MODELS:
        t0 = time.perf_counter()
        problem = bz.NormalShock(shock.problem.mach, tol=1e-5, max_time=args.max_time)
        solver = FVSolver(problem, gas, model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                sol = solver.run()
            except bz.SolutionError as exc:  # no steady state by max_time: the last profile
                print(f"{model}: {exc}")
                sol = solver.solution(converged=False)
        profiles[model] = sol
        errs = profile_errors(xr, ref, sol.x, sol, window=15.0)
        steady = ("" if sol.info.get("converged", True)
                  else f", no steady state by t = {solver.t:.0f}")
        rows.append((f"{model} ({time.perf_counter() - t0:.0f} s{steady})", errs))
        print(model, errs, flush=True)
    lines += ["", f"## Stationary Mach {shock.problem.mach} shock against the kinetic "
              "reference (|x| <= 15 lambda_1)", "", error_table(rows)]

    lines += [""] + tube_table(parts, gas, MODELS)
    (args.out / "lr13_eval.md").write_text("\n".join(lines) + "\n")

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for ax, k in zip(axes.flat, ("rho", "T", "sigma_xx", "q_x")):
        ax.plot(xr, ref[k], "o", ms=2.5, color=STYLE["kinetic"][1], label="kinetic (Shakhov)")
        for model, sol in profiles.items():
            ls, col = STYLE[model]
            ax.plot(sol.x, sol[k], ls, color=col, label=model)
        ax.set_ylabel(k)
        ax.set_xlim(-15, 15)
    for ax in axes[1]:
        ax.set_xlabel("x / lambda_1")
    axes[0, 0].legend()
    fig.suptitle(f"Mach {shock.problem.mach} normal shock: R13 with learned regularisation")
    fig.tight_layout()
    fig.savefig(args.out / "lr13_shock_M5.5.png", dpi=150)
    print(f"wrote {args.out / 'lr13_eval.md'}")


if __name__ == "__main__":
    main()
