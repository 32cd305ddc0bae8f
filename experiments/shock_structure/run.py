"""Shock-structure experiment: the Mach 5.5 normal shock with BGK, Shakhov and ES-BGK
(omega = 0.5 and 0.81) and the Navier-Stokes-Fourier baseline (Pr = 2/3), profiles of rho, T,
sigma_xx, q_x against x / lambda_1, and the reciprocal density thickness
lambda_1 max|d rho/dx| / (rho_2 - rho_1) against Mach number.

    python experiments/shock_structure/run.py [--config config.toml] [--out DIR] [--no-sweep]

Writes one HDF5 file per kinetic run, `summary.h5` (the thickness table) and PNG figures to
the output folder (default experiments/shock_structure/out).
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
from closure.shock_ode import nsf_shock  # noqa: E402

HERE = Path(__file__).resolve().parent
LABELS = {"bgk": "BGK (Pr = 1)", "shakhov": "Shakhov (Pr = 2/3)", "esbgk": "ES-BGK (Pr = 2/3)"}
COLORS = {"bgk": "tab:blue", "shakhov": "tab:red", "esbgk": "tab:green"}
PANELS = (("rho", r"$\rho/\rho_1$"), ("T", r"$T/T_1$"),
          ("sigma_xx", r"$\sigma_{xx}/(\rho_1 R T_1)$"),
          ("q_x", r"$q_x/(\rho_1 (R T_1)^{3/2})$"))


def reciprocal_thickness(sol):
    return bz.reciprocal_thickness(sol.x, sol["rho"])


def shock_run(mach, model, omega, dx, cfl):
    shock = bz.NormalShock(mach=mach)
    return bz.KineticSolver(shock, bz.Gas(omega=omega), model, bz.Numerics(dx=dx, cfl=cfl)).run()


def profiles(cfg, out):
    runs = {}
    for omega in cfg["omegas"]:
        for model in cfg["models"]:
            t0 = time.perf_counter()
            sol = shock_run(cfg["mach"], model, omega, cfg["dx"], cfg["cfl"])
            sol.save(out / f"shock_M{cfg['mach']}_{model}_omega{omega}.h5")
            runs[model, omega] = sol
            print(f"  M={cfg['mach']} {model:8s} omega={omega}: {sol.x.size} x {sol.v.size}, "
                  f"{time.perf_counter() - t0:.1f} s, reciprocal thickness "
                  f"{reciprocal_thickness(sol):.4f}, min q_x {sol['q_x'].min():.3f}")
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for omega in cfg["omegas"]:
        nsf = nsf_shock(cfg["mach"], bz.Gas(omega=omega))
        style = "-" if omega == cfg["omegas"][0] else "--"
        for ax, (name, _) in zip(axes.flat, PANELS):
            # the NSF orbit spans a few lambda_1; its end states continue it flat
            x = np.concatenate([[-1e3], nsf["x"], [1e3]])
            y = np.concatenate([[nsf[name][0]], nsf[name], [nsf[name][-1]]])
            ax.plot(x, y, style, color="black", lw=1.0,
                    label=f"NSF (Pr = 2/3), $\\omega$ = {omega}")
    for (model, omega), sol in runs.items():
        style = "-" if omega == cfg["omegas"][0] else "--"
        for ax, (name, label) in zip(axes.flat, PANELS):
            ax.plot(sol.x, sol[name], style, color=COLORS[model], lw=1.4,
                    label=f"{LABELS[model]}, $\\omega$ = {omega}")
            ax.set_ylabel(label)
    for ax in axes.flat:
        ax.set_xlim(-15, 15)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel(r"$x/\lambda_1$ (centred at the density midpoint)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(f"Normal shock, M = {cfg['mach']}: kinetic models and NSF (monatomic gas)")
    fig.tight_layout()
    fig.savefig(out / f"shock_profiles_M{cfg['mach']}.png", dpi=150)
    plt.close(fig)
    return runs


def sweep(cfg, out):
    machs = np.array(cfg["machs"], dtype=float)
    table = {}
    for model in cfg["models"]:
        recip = []
        for mach in machs:
            dx = cfg.get("dx")  # None: automatic, 16 cells per estimated thickness
            t0 = time.perf_counter()
            sol = shock_run(mach, model, cfg["omega"], dx, cfg["cfl"])
            dx = sol.x[1] - sol.x[0]
            recip.append(reciprocal_thickness(sol))
            print(f"  sweep {model:8s} M={mach:5.2f} dx={dx:.3f}: {recip[-1]:.4f} "
                  f"({time.perf_counter() - t0:.1f} s)")
        table[model] = np.array(recip)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for model, recip in table.items():
        ax.plot(machs, recip, "o-", color=COLORS[model], label=LABELS[model])
    mf = np.linspace(machs.min(), machs.max(), 60)
    table["nsf"] = np.array([bz.reciprocal_thickness(p["x"], p["rho"]) for p in
                             (nsf_shock(m, bz.Gas(omega=cfg["omega"])) for m in machs)])
    ax.plot(mf, [bz.reciprocal_thickness(p["x"], p["rho"]) for p in
                 (nsf_shock(m, bz.Gas(omega=cfg["omega"])) for m in mf)],
            "-", color="black", lw=1.0, label="NSF (Pr = 2/3)")
    ax.set_xlabel("upstream Mach number $M$")
    ax.set_ylabel(r"$\lambda_1 / \delta$,  $\delta = (\rho_2-\rho_1)/\max|d\rho/dx|$")
    ax.set_title(f"Reciprocal shock thickness, $\\omega$ = {cfg['omega']}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "reciprocal_thickness.png", dpi=150)
    plt.close(fig)
    return machs, table


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=HERE / "config.toml", type=Path)
    ap.add_argument("--out", default=HERE / "out", type=Path)
    ap.add_argument("--no-sweep", action="store_true")
    args = ap.parse_args(argv)
    cfg = tomllib.loads(args.config.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print(f"profiles at M = {cfg['profiles']['mach']}")
    runs = profiles(cfg["profiles"], args.out)
    result = None
    if cfg["sweep"]["enabled"] and not args.no_sweep:
        print("reciprocal thickness sweep")
        result = sweep(cfg["sweep"], args.out)

    def fill(h5):
        h5.attrs["config"] = args.config.read_text()
        h5.attrs["thickness_definition"] = "lambda_1 max|d rho/dx| / (rho_2 - rho_1)"
        g = h5.create_group("profiles")
        for (model, omega), sol in runs.items():
            g.attrs[f"{model}_omega{omega}_reciprocal_thickness"] = reciprocal_thickness(sol)
        if result is not None:
            machs, table = result
            write_dataset(h5, "sweep/mach", machs, "1")
            for model, recip in table.items():
                write_dataset(h5, f"sweep/{model}", recip, "1", "reciprocal thickness")

    atomic_h5(args.out / "summary.h5", fill)
    print(f"done in {time.perf_counter() - t0:.0f} s; figures and HDF5 in {args.out}")


if __name__ == "__main__":
    main()
