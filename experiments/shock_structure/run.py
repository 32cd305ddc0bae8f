"""Shock-structure experiment: the Mach 5.5 normal shock with BGK, Shakhov and ES-BGK
(omega = 0.5 and 0.81) and the moment systems Euler, Navier-Stokes-Fourier (Pr = 2/3), Grad 13
and R13; profiles of rho, T, sigma_xx, q_x against x / lambda_1 (each aligned at its density
midpoint); relative L2 errors of each moment system against the kinetic reference (the
yardstick a learned closure must beat, `closure.metrics`); and the reciprocal density
thickness lambda_1 max|d rho/dx| / (rho_2 - rho_1) against Mach number.

    python experiments/shock_structure/run.py [--config config.toml] [--out DIR] [--no-sweep]

Writes one HDF5 file per run, `summary.h5` (error and thickness tables), `shock_errors.md`
and PNG figures to the output folder (default experiments/shock_structure/out).
"""

import sys
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import boltzmann as bz  # noqa: E402
from boltzmann.io import atomic_h5, write_dataset, write_profiles  # noqa: E402
from closure.fv import FVNumerics, FVSolver, make_solver  # noqa: E402
from closure.metrics import error_table, profile_errors  # noqa: E402
from closure.shock_ode import nsf_shock  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from eelt_common import setup  # noqa: E402

LABELS = {"bgk": "BGK (Pr = 1)", "shakhov": "Shakhov (Pr = 2/3)", "esbgk": "ES-BGK (Pr = 2/3)"}
COLORS = {"bgk": "tab:blue", "shakhov": "tab:red", "esbgk": "tab:green"}
SYSTEM_STYLE = {"euler": (":", "tab:gray", "Euler"), "nsf": ("-", "black", "NSF"),
                "grad13": ("-.", "tab:purple", "Grad 13"), "r13": ("--", "tab:orange", "R13"),
                "learned": ("-", "tab:green", "learned"),
                "lr13": ("-", "tab:olive", "R13, learned regularisation"),
                "local": ("-", "tab:cyan", "NSF, learned local closure"),
                "nonlocal": ("-", "tab:brown", "NSF, fitted non-local closure")}
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


def moment_profile(system, mach, gas, tol, max_time, unsteady=()):
    """(x, profiles, info) of a moment system's stationary shock; NSF from its shock ODE
    (the exact orbit of the equations), the others from the finite-volume solver.  Raises
    SolutionError where the system breaks down (Grad 13 above its critical Mach number); a
    system in `unsteady` that has not settled by max_time gives its last profile, marked
    `unsteady` in info (the learned R13, whose shock core keeps oscillating)."""
    if system == "nsf":
        prof = nsf_shock(mach, gas)
        return prof["x"], prof, {"method": "shock ODE"}
    shock = bz.NormalShock(mach=mach, tol=tol, max_time=max_time)
    solver = make_solver(shock, gas, system, FVNumerics())
    t_wall = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the subshock warning is recorded in sol.info
        try:
            sol = solver.run()
        except bz.SolutionError as exc:
            if system not in unsteady or "no steady state" not in str(exc):
                raise
            sol = solver.solution(converged=False, steps=solver.steps,
                                  wall_time=time.perf_counter() - t_wall)
            sol.info["unsteady"] = f"no steady state by t = {solver.t:.0f}; last profile"
    return sol.x, sol.moments, sol.info | {"solution": sol}


def moments(cfg, out, runs):
    """Moment systems against the kinetic reference at each omega: errors and figures."""
    tables, notes = {}, {}
    unsteady = cfg.get("unsteady_max_time", {})
    for omega in cfg["omegas"]:
        gas = bz.Gas(omega=omega)
        ref = runs[cfg["reference"], omega]
        rows, profs = [], {}
        for system in cfg["systems"]:
            t0 = time.perf_counter()
            try:
                x, prof, info = moment_profile(
                    system, cfg["mach"], gas, cfg["tol"],
                    unsteady.get(system, cfg["max_time"]), tuple(unsteady))
            except bz.SolutionError as exc:
                rows.append((system, f"breaks down: {exc}"))
                print(f"  {system:7s} omega={omega}: {exc}")
                continue
            path = out / f"shock_M{cfg['mach']}_{system}_omega{omega}.h5"
            if "solution" in info:
                info.pop("solution").save(path)
            else:
                write_profiles(path, bz.NormalShock(mach=cfg["mach"]), 0.0, x, prof,
                               {"gas": gas.to_attrs(), "model": {"name": system, **info}})
            errs = profile_errors(ref.x, ref.moments, x, prof, cfg["window"])
            rows.append((system, errs))
            if "unsteady" in info:
                notes[omega, system] = info["unsteady"]
            profs[system] = (x, prof)
            print(f"  {system:7s} omega={omega}: {time.perf_counter() - t0:5.1f} s, "
                  + ", ".join(f"{k} {e:.3f}" for k, e in errs.items()))
        tables[omega] = rows
        fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
        for ax, (name, label) in zip(axes.flat, PANELS):
            ax.plot(ref.x, ref[name], "-", color="tab:red", lw=2.6, alpha=0.55,
                    label=f"kinetic {LABELS[cfg['reference']]}")
            for system, (x, prof) in profs.items():
                style, color, text = SYSTEM_STYLE[system]
                ax.plot(x, prof[name], style, color=color, lw=1.3, label=text)
            ax.set_ylabel(label)
            ax.set_xlim(-cfg["window"], cfg["window"])
            ax.grid(alpha=0.3)
        for ax in axes[1]:
            ax.set_xlabel(r"$x/\lambda_1$ (each centred at its density midpoint)")
        axes[0, 0].legend(fontsize=8)
        fig.suptitle(f"Normal shock, M = {cfg['mach']}, $\\omega$ = {omega}: moment systems "
                     "against the kinetic reference")
        fig.tight_layout()
        fig.savefig(out / f"shock_moments_M{cfg['mach']}_omega{omega}.png", dpi=150)
        plt.close(fig)
    text = [f"# Mach {cfg['mach']} shock: relative L2 errors against kinetic "
            f"{cfg['reference']} (|x| <= {cfg['window']} lambda_1)", ""]
    for omega, rows in tables.items():
        labelled = [(f"{s} ({notes[omega, s]})" if (omega, s) in notes else s, e)
                    for s, e in rows]
        text += [f"omega = {omega}", "", error_table(labelled), ""]
    (out / "shock_errors.md").write_text("\n".join(text))
    print("\n".join(text))
    return tables


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
    gas = bz.Gas(omega=cfg["omega"])
    for system in cfg.get("systems", []):
        recip = []
        for mach in machs:
            t0 = time.perf_counter()
            crit = FVSolver(bz.NormalShock(mach=mach), gas, system).system.critical_mach()
            if crit is not None and mach > crit:
                recip.append(np.nan)  # no continuous structure: a subshock
                continue
            try:
                x, prof, _ = moment_profile(system, mach, gas, cfg["tol"], cfg["max_time"])
            except bz.SolutionError as exc:
                print(f"  sweep {system:8s} M={mach:5.2f}: {exc}")
                recip.append(np.nan)
                continue
            recip.append(bz.reciprocal_thickness(x, prof["rho"]))
            print(f"  sweep {system:8s} M={mach:5.2f}: {recip[-1]:.4f} "
                  f"({time.perf_counter() - t0:.1f} s)")
        table[system] = np.array(recip)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for model, recip in table.items():
        if model in SYSTEM_STYLE:
            style, color, text = SYSTEM_STYLE[model]
            ax.plot(machs, recip, "s" + style, color=color, ms=4, label=text)
        else:
            ax.plot(machs, recip, "o-", color=COLORS[model], label=LABELS[model])
    mf = np.linspace(machs.min(), machs.max(), 60)
    table["nsf"] = np.array([bz.reciprocal_thickness(p["x"], p["rho"]) for p in
                             (nsf_shock(m, bz.Gas(omega=cfg["omega"])) for m in machs)])
    ax.plot(mf, [bz.reciprocal_thickness(p["x"], p["rho"]) for p in
                 (nsf_shock(m, bz.Gas(omega=cfg["omega"])) for m in mf)],
            "-", color="black", lw=1.0, label="NSF (Pr = 2/3, shock ODE)")
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
    args, cfg = setup(__doc__, HERE, argv, flags=("no-sweep",), torch_threads=False)
    t0 = time.perf_counter()
    print(f"profiles at M = {cfg['profiles']['mach']}")
    runs = profiles(cfg["profiles"], args.out)
    print(f"moment systems against kinetic {cfg['moments']['reference']}")
    tables = moments(cfg["profiles"] | cfg["moments"], args.out, runs)
    cfg["sweep"] |= {k: cfg["moments"][k] for k in ("tol", "max_time")}
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
        for omega, rows in tables.items():
            for system, errs in rows:
                name = f"errors/omega{omega}/{system}"
                if isinstance(errs, str):
                    h5.require_group(f"errors/omega{omega}").attrs[system] = errs
                else:
                    write_dataset(h5, name, np.array(list(errs.values())), "1",
                                  "relative L2 error of " + ", ".join(errs))
        if result is not None:
            machs, table = result
            write_dataset(h5, "sweep/mach", machs, "1")
            for model, recip in table.items():
                write_dataset(h5, f"sweep/{model}", recip, "1", "reciprocal thickness")

    atomic_h5(args.out / "summary.h5", fill)
    print(f"done in {time.perf_counter() - t0:.0f} s; figures and HDF5 in {args.out}")


if __name__ == "__main__":
    main()
