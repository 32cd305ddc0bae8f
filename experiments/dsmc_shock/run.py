"""DSMC shock structure: hard-sphere and argon (VHS) Mach 5.5 profiles of rho, T, sigma_xx, q_x
with their statistical errors beside the BGK, Shakhov and ES-BGK solutions and NSF, and the
hard-sphere reciprocal thickness against Mach number beside the models' sweep.

    .venv/bin/python experiments/dsmc_shock/run.py [--config config.toml] [--out DIR]

Reads the kinetic-model files of experiments/shock_structure/out (its M = 5.5 profiles and
summary.h5); writes one HDF5 file per DSMC run, dsmc_summary.h5 and two PNG figures to the
output folder (default experiments/dsmc_shock/out).
"""

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import boltzmann as bz  # noqa: E402
from boltzmann.dsmc import DSMC, DSMCNumerics, Molecule  # noqa: E402
from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure.shock_ode import nsf_shock  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from eelt_common import setup  # noqa: E402

KINETIC = {"bgk": ("BGK", "tab:blue"), "shakhov": ("Shakhov", "tab:red"),
           "esbgk": ("ES-BGK", "tab:green")}
PANELS = (("rho", r"$\rho/\rho_1$"), ("T", r"$T/T_1$"),
          ("sigma_xx", r"$\sigma_{xx}/(\rho_1 R T_1)$"),
          ("q_x", r"$q_x/(\rho_1 (R T_1)^{3/2})$"))


def dsmc_shock(mach, molecule, cfg, max_wall=600.0):
    name, omega, alpha = molecule
    shock = bz.NormalShock(mach, upstream=cfg.get("upstream", 15.0),
                           downstream=cfg.get("downstream", 15.0))
    solver = DSMC(shock, bz.Gas(omega=omega), Molecule(omega, alpha, name),
                  DSMCNumerics(ppc=cfg["ppc"]))
    return solver.run(progress=False, q_tol=cfg["q_tol"], max_time=max_wall)


def profiles(cfg, kinetic_out, out):
    mach = cfg["mach"]
    runs = {}
    for molecule in cfg["molecules"]:
        t0 = time.perf_counter()
        sol = dsmc_shock(mach, molecule, cfg)
        omega = molecule[1]
        sol.save(out / f"dsmc_M{mach}_omega{omega}_alpha{molecule[2]}.h5")
        runs[molecule[0]] = (omega, sol)
        print(f"  DSMC {molecule[0]:12s} M={mach}: {time.perf_counter() - t0:.0f} s, "
              f"{sol.info['samples']} samples, q_x error/peak "
              f"{sol.info['q_x_relative_error']:.3f}, reciprocal thickness "
              f"{sol.info['reciprocal_thickness']:.4f} +- "
              f"{sol.info['reciprocal_thickness_err']:.4f}, min q_x {sol['q_x'].min():.2f}")
    omegas = sorted({o for o, _ in runs.values()})
    fig, axes = plt.subplots(len(omegas), 4, figsize=(15, 3.6 * len(omegas)), squeeze=False)
    for row, omega in zip(axes, omegas):
        nsf = nsf_shock(mach, bz.Gas(omega=omega))
        for ax, (name, label) in zip(row, PANELS):
            x = np.concatenate([[-1e3], nsf["x"], [1e3]])
            y = np.concatenate([[nsf[name][0]], nsf[name], [nsf[name][-1]]])
            ax.plot(x, y, "-", color="black", lw=1.0, label="NSF (Pr = 2/3)")
            for model, (text, color) in KINETIC.items():
                path = kinetic_out / f"shock_M{mach}_{model}_omega{omega}.h5"
                if path.exists():
                    f = bz.read_solution(path)
                    ax.plot(f["x"], f[name], "--", color=color, lw=1.2, label=text)
            for mname, (om, sol) in runs.items():
                if om != omega:
                    continue
                e = 2.0 * sol.errors[name]
                ax.fill_between(sol.x, sol[name] - e, sol[name] + e, color="tab:purple",
                                alpha=0.35, lw=0)
                ax.plot(sol.x, sol[name], "-", color="tab:purple", lw=1.0,
                        label=f"DSMC {mname} (band: 2 s.e.)")
            ax.set_xlim(-12, 12)
            ax.set_ylabel(label)
            ax.set_xlabel(r"$x/\lambda_1$")
            ax.grid(alpha=0.3)
        row[0].set_title(f"$\\omega$ = {omega}", loc="left")
        row[0].legend(fontsize=7)
    fig.suptitle(f"Normal shock, M = {mach}: DSMC (Boltzmann) against BGK-type models and NSF")
    fig.tight_layout()
    fig.savefig(out / f"shock_profiles_M{mach}_dsmc.png", dpi=150)
    plt.close(fig)
    return runs


def kinetic_sweep(summary):
    """Mach numbers and reciprocal thicknesses of the BGK-type models from the main job's
    summary.h5 (empty when it was run without its sweep)."""
    if not summary.exists():
        return None, {}
    with h5py.File(summary, "r") as h5:
        if "sweep/mach" not in h5:
            print(f"  {summary} holds no kinetic sweep (run the main job with its sweep)")
            return None, {}
        return h5["sweep/mach"][()], {m: h5[f"sweep/{m}"][()] for m in KINETIC
                                      if f"sweep/{m}" in h5}


def sweep(cfg, kinetic_out, out):
    machs = np.array(cfg["machs"], dtype=float)
    recip, err = [], []
    for mach in machs:
        t0 = time.perf_counter()
        sol = dsmc_shock(mach, cfg["molecule"], cfg, cfg["max_wall"])
        recip.append(sol.info["reciprocal_thickness"])
        err.append(sol.info["reciprocal_thickness_err"])
        print(f"  sweep DSMC {cfg['molecule'][0]} M={mach:5.2f}: {recip[-1]:.4f} +- "
              f"{err[-1]:.4f} ({time.perf_counter() - t0:.0f} s)")
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    km, kinetic = kinetic_sweep(kinetic_out / "summary.h5")
    for model, recip_k in kinetic.items():
        text, color = KINETIC[model]
        ax.plot(km, recip_k, "o--", color=color, ms=3, lw=1, label=f"{text} ($\\omega$ = 0.5)")
    omega = cfg["molecule"][1]
    mf = np.linspace(machs.min(), machs.max(), 40)
    ax.plot(mf, [bz.reciprocal_thickness(p["x"], p["rho"]) for p in
                 (nsf_shock(m, bz.Gas(omega=omega)) for m in mf)],
            "-", color="black", lw=1.0, label=f"NSF (Pr = 2/3, $\\omega$ = {omega})")
    ax.errorbar(machs, recip, yerr=2 * np.array(err), fmt="s-", color="tab:purple", ms=4,
                capsize=3, label=f"DSMC {cfg['molecule'][0]} (2 s.e.)")
    ax.set_xlabel("upstream Mach number $M$")
    ax.set_ylabel(r"$\lambda_1 / \delta$")
    ax.set_title("Reciprocal shock thickness: Boltzmann (DSMC) and models")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "reciprocal_thickness_dsmc.png", dpi=150)
    plt.close(fig)
    return machs, np.array(recip), np.array(err)


def main(argv=None):
    args, cfg = setup(__doc__, HERE, argv, flags=("no-sweep",), torch_threads=False)
    kinetic_out = (args.config.parent / cfg["kinetic_out"]).resolve()
    t0 = time.perf_counter()
    runs = profiles(cfg["profiles"], kinetic_out, args.out)
    result = None if args.no_sweep else sweep(cfg["sweep"], kinetic_out, args.out)

    def fill(h5):
        h5.attrs["config"] = args.config.read_text()
        h5.attrs["thickness_definition"] = ("lambda_1 max|d rho/dx| / (rho_2 - rho_1), slope "
                                            "of a cubic LSQ spline with knots every lambda_1")
        for name, (omega, sol) in runs.items():
            g = h5.create_group(f"profiles/{name}")
            for k in ("reciprocal_thickness", "reciprocal_thickness_err", "samples",
                      "q_x_relative_error", "wall_time"):
                g.attrs[k] = sol.info[k]
            g.attrs["omega"] = omega
        if result is not None:
            for key, arr in zip(("mach", "reciprocal_thickness", "standard_error"), result):
                write_dataset(h5, f"sweep/{key}", arr, "1")

    atomic_h5(args.out / "dsmc_summary.h5", fill)
    print(f"done in {time.perf_counter() - t0:.0f} s; figures and HDF5 in {args.out}")


if __name__ == "__main__":
    main()
