"""Sod's shock tube from Kn = 1e-3 to 10: Euler, Navier-Stokes-Fourier (Pr = 2/3), Grad 13,
R13 and the shipped learned closures against the kinetic reference (Shakhov, with the
config's velocity spacing) on the same grid and to the same final time; relative L2 errors
of rho, u, T, sigma_xx, q_x (`closure.metrics`), wall times and their ratio to the kinetic
solver's (both measured in this run, compilation excluded).

    python experiments/shock_tube/run.py [--config config.toml] [--out DIR]

Writes `tube_errors.md`, `tube.h5` (errors, timings, all profiles), `tube_errors_vs_kn.png`
and `tube_profiles.png` to the output folder (default experiments/shock_tube/out).
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
from closure.fv import FVNumerics, make_solver  # noqa: E402
from closure.metrics import error_table, profile_errors  # noqa: E402

HERE = Path(__file__).resolve().parent
NAMES = ("rho", "u", "T", "sigma_xx", "q_x")
STYLE = {"euler": ("s:", "tab:gray"), "nsf": ("o-", "black"), "grad13": ("^-.", "tab:purple"),
         "r13": ("d--", "tab:orange"), "learned": ("*-", "tab:green"),
         "local": ("v-", "tab:cyan"), "nonlocal": ("P-", "tab:red")}


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=HERE / "config.toml", type=Path)
    ap.add_argument("--out", default=HERE / "out", type=Path)
    args = ap.parse_args(argv)
    cfg = tomllib.loads(args.config.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    gas = bz.Gas(omega=cfg["omega"])
    kns, systems = cfg["kns"], cfg["systems"]
    # compile every kernel once, so that the timings below exclude compilation
    warm = bz.ShockTube.sod(t_end=1e-3)
    kin_num = {"v_spacing": cfg.get("v_spacing", bz.Numerics.v_spacing)}
    bz.KineticSolver(warm, gas, cfg["reference"], bz.Numerics(nx=20, **kin_num)).run()
    for system in systems:
        make_solver(warm, gas, system, FVNumerics(nx=20)).run()

    errors = {s: np.full((len(kns), len(NAMES)), np.nan) for s in systems}
    times = {s: np.full(len(kns), np.nan) for s in systems + [cfg["reference"]]}
    profiles = {}
    text = [f"# Sod tube, nx = {cfg['nx']}, t = {cfg['t_end']}: relative L2 errors against "
            f"kinetic {cfg['reference']} (omega = {cfg['omega']}, velocity spacing "
            f"{kin_num['v_spacing']:g})", ""]
    for i, kn in enumerate(kns):
        tube = bz.ShockTube.sod(kn=kn, t_end=cfg["t_end"])
        kin, t_kin = timed(bz.KineticSolver(tube, gas, cfg["reference"],
                                            bz.Numerics(nx=cfg["nx"], **kin_num)).run)
        times[cfg["reference"]][i] = t_kin
        profiles[kn, "kinetic"] = kin
        rows = []
        for system in systems:
            try:
                sol, t = timed(make_solver(tube, gas, system, FVNumerics(nx=cfg["nx"])).run)
            except bz.SolutionError as exc:
                rows.append((system, f"breaks down: {exc}"))
                continue
            errs = profile_errors(kin.x, kin.moments, sol.x, sol.moments, names=NAMES)
            errors[system][i] = list(errs.values())
            times[system][i] = t
            profiles[kn, system] = sol
            rows.append((f"{system} ({t_kin / t:.2g}x the kinetic speed)", errs))
        table = error_table(rows, NAMES)
        text += [f"Kn = {kn:g} (kinetic: {t_kin:.2f} s)", "", table, ""]
        print(text[-4] + "\n" + table)
    (args.out / "tube_errors.md").write_text("\n".join(text))

    fig, axes = plt.subplots(1, len(NAMES), figsize=(16, 3.4), sharex=True)
    for ax, (j, name) in zip(axes, enumerate(NAMES)):
        for system in systems:
            style, color = STYLE[system]
            ax.loglog(kns, errors[system][:, j], style, color=color, label=system)
        if name in ("rho", "u", "T"):  # issue 4's target for the tubes
            ax.axhline(0.02, color="0.4", lw=0.8, ls="--", label="2 % target")
        ax.set_title(name)
        ax.set_xlabel("Kn")
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(f"relative L2 error vs {cfg['reference']}")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Sod shock tube, t = {cfg['t_end']}: moment systems against the kinetic "
                 "reference")
    fig.tight_layout()
    fig.savefig(args.out / "tube_errors_vs_kn.png", dpi=150)
    plt.close(fig)

    fig, axes = plt.subplots(len(kns), 4, figsize=(15, 3 * len(kns)), sharex=True)
    for r, kn in enumerate(kns):
        for ax, name in zip(axes[r], ("rho", "T", "sigma_xx", "q_x")):
            kin = profiles[kn, "kinetic"]
            ax.plot(kin.x, kin[name], "-", color="tab:red", lw=2.6, alpha=0.5, label="kinetic")
            for system in systems:
                if (kn, system) in profiles:
                    sol = profiles[kn, system]
                    ax.plot(sol.x, sol[name], STYLE[system][0][1:], color=STYLE[system][1],
                            lw=1.1, label=system)
            ax.set_title(f"{name}, Kn = {kn:g}", fontsize=9)
            ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("x / L")
    fig.tight_layout()
    fig.savefig(args.out / "tube_profiles.png", dpi=130)
    plt.close(fig)

    def fill(h5):
        h5.attrs["config"] = args.config.read_text()
        h5.attrs["error"] = "relative L2 against the kinetic reference (closure.metrics)"
        h5.attrs["columns"] = ", ".join(NAMES)
        write_dataset(h5, "kn", np.array(kns), "1")
        for system in systems:
            write_dataset(h5, f"errors/{system}", errors[system], "1")
        for name, t in times.items():
            write_dataset(h5, f"wall_time/{name}", t, "s")
        for (kn, name), sol in profiles.items():
            for k in ("x",) + NAMES:
                write_dataset(h5, f"profiles/Kn{kn:g}/{name}/{k}",
                              sol.x if k == "x" else sol[k], "reduced (docs/units.md)")

    atomic_h5(args.out / "tube.h5", fill)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
