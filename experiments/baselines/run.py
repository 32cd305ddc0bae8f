"""Errors of the classical baselines (Euler, Navier-Stokes-Fourier with Pr = 2/3) against the
kinetic reference (Shakhov), for the Mach 5.5 normal shock and for Sod's tube from Kn = 1e-3
to 1: the yardstick a learned closure must beat.

    python experiments/baselines/run.py [--config config.toml] [--out DIR]

Relative L2 error of a profile phi: ||phi_model - phi_ref|| / ||phi_ref - phi_ref(upstream
or left end)||, i.e. relative to the variation of the reference (for sigma_xx and q_x, which
vanish at the ends, relative to the reference itself).  Shock profiles are aligned at the
density midpoint and compared on the kinetic cells with |x| <= window.
"""

import argparse
import time
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import boltzmann as bz  # noqa: E402
from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure.fv import FVNumerics, FVSolver  # noqa: E402
from closure.shock_ode import nsf_shock  # noqa: E402

HERE = Path(__file__).resolve().parent
NAMES = ("rho", "T", "sigma_xx", "q_x")


def rel_l2(model, ref):
    return float(np.linalg.norm(model - ref) / np.linalg.norm(ref - ref[0]))


def shock_errors(cfg):
    rows = []
    for omega in cfg["omegas"]:
        gas = bz.Gas(omega=omega)
        kin = bz.KineticSolver(bz.NormalShock(cfg["mach"]), gas, cfg["reference"],
                               bz.Numerics(dx=cfg["dx"], cfl=0.9)).run()
        keep = np.abs(kin.x) <= cfg["window"]
        x = kin.x[keep]
        nsf = nsf_shock(cfg["mach"], gas)
        up, down = bz.rankine_hugoniot(cfg["mach"], gas)
        baselines = {
            "euler": {k: np.where(x < 0.0, getattr(up, k, 0.0), getattr(down, k, 0.0))
                      for k in ("rho", "T")} | {"sigma_xx": 0.0 * x, "q_x": 0.0 * x},
            "nsf": {k: np.interp(x, nsf["x"], nsf[k]) for k in NAMES},
        }
        for name, prof in baselines.items():
            rows.append((omega, name, [rel_l2(prof[k], kin[k][keep]) for k in NAMES]))
    return rows


def tube_errors(cfg):
    gas = bz.Gas()
    table = {"euler": [], "nsf": []}
    for kn in cfg["kns"]:
        tube = bz.ShockTube.sod(kn=kn, t_end=cfg["t_end"])
        kin = bz.KineticSolver(tube, gas, cfg["reference"], bz.Numerics(nx=cfg["nx"])).run()
        for name in table:
            t0 = time.perf_counter()
            sol = FVSolver(tube, gas, name, FVNumerics(nx=cfg["nx"])).run()
            errs = [rel_l2(sol[k], kin[k]) if np.any(kin[k] != kin[k][0]) else 0.0
                    for k in NAMES]
            table[name].append(errs)
            print(f"  Kn={kn:g} {name}: " + ", ".join(f"{k} {e:.3f}" for k, e in
                                                     zip(NAMES, errs))
                  + f" ({time.perf_counter() - t0:.1f} s)")
    return {k: np.array(v) for k, v in table.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=HERE / "config.toml", type=Path)
    ap.add_argument("--out", default=HERE / "out", type=Path)
    args = ap.parse_args(argv)
    cfg = tomllib.loads(args.config.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"Mach {cfg['shock']['mach']} shock, reference {cfg['shock']['reference']}")
    rows = shock_errors(cfg["shock"])
    lines = ["| omega | model | " + " | ".join(NAMES) + " |", "|---|---|---|---|---|---|"]
    for omega, name, errs in rows:
        lines.append(f"| {omega} | {name} | " + " | ".join(f"{e:.3f}" for e in errs) + " |")
    print("\n".join(lines))
    print("Sod tube, reference", cfg["tube"]["reference"])
    tube = tube_errors(cfg["tube"])
    (args.out / "shock_errors.md").write_text("\n".join(lines) + "\n")

    kns = np.array(cfg["tube"]["kns"])
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharex=True)
    for ax, (j, name) in zip(axes, enumerate(NAMES)):
        for model, style in (("euler", "s--"), ("nsf", "o-")):
            ax.loglog(kns, np.maximum(tube[model][:, j], 1e-4), style, label=model.upper())
        ax.set_title(name)
        ax.set_xlabel("Kn")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("relative L2 error vs Shakhov")
    axes[0].legend()
    fig.suptitle("Sod shock tube: classical baselines against the kinetic reference")
    fig.tight_layout()
    fig.savefig(args.out / "tube_errors_vs_kn.png", dpi=150)
    plt.close(fig)

    def fill(h5):
        h5.attrs["config"] = args.config.read_text()
        h5.attrs["error"] = "relative L2 against the kinetic reference (see run.py)"
        h5.attrs["columns"] = ", ".join(NAMES)
        for omega, name, errs in rows:
            write_dataset(h5, f"shock/omega{omega}/{name}", np.array(errs), "1")
        write_dataset(h5, "tube/kn", kns, "1")
        for model, errs in tube.items():
            write_dataset(h5, f"tube/{model}", errs, "1")

    atomic_h5(args.out / "errors.h5", fill)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
