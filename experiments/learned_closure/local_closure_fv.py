"""The learned local closure as a time-dependent system (`closure.systems.local`, `--model
local`): the stationary Mach 5.5 shock marched to steady state (residual 1e-5, as the main
job; against the kinetic solver and NSF) and the held-out tubes of the learned_moments
dataset (against the kinetic solver, NSF and R13), with the speed ratio to the kinetic
solver on the same grid measured in the same run.

    python experiments/learned_closure/local_closure_fv.py [--model PATH] [--out DIR]

The model defaults to the shipped closure/models/local.pt (local_closure.py, then
local_closure_adjoint.py).
Writes local_closure_fv.md and local_closure_fv.png to the output folder.
"""

import argparse
import time
import warnings
from pathlib import Path

from local_closure import GAS, PRANDTL, kinetic, plot_profiles
from lr13 import load_data, tube_table

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.metrics import NAMES, error_table, profile_errors
from closure.nn.local import LocalMap
from closure.shock_ode import nsf_shock
from closure.systems.local import DEFAULT_MODEL, LocalNSF

HERE = Path(__file__).resolve().parent
MODELS = ("nsf", "r13", "local")


def system(name, gas, problem, net):
    if name == "local":
        return LocalNSF(gas, gas.mu_ref(problem.mfp_ref), PRANDTL, net)
    return name


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    net = LocalMap.load(args.model)
    lines = [f"# The local closure in the finite-volume solver ({args.model.name})", "",
             f"Trained on Shakhov shocks at M = {net.meta.get('train_machs')}; the Mach 5.5 "
             "shock and every tube below are held out.", ""]

    t0 = time.perf_counter()
    kin = kinetic(5.5)
    t_kin = time.perf_counter() - t0
    ref = {k: kin[k] for k in NAMES}
    rows, profiles = [], {}
    for name in ("nsf", "local"):  # R13's Mach 5.5 march (minutes) is the main job's
        prob = bz.NormalShock(mach=5.5, tol=1e-5)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = FVSolver(prob, GAS, system(name, GAS, prob, net),
                           FVNumerics(dx=0.125)).run()
        wall = time.perf_counter() - t0
        profiles[name] = sol
        steady = "" if sol.info.get("converged", True) else ", not converged"
        rows.append((f"{name} ({wall:.1f} s, {sol.info['steps']} steps{steady})",
                     profile_errors(kin.x, ref, sol.x, sol.moments, window=15.0)))
        print(rows[-1], flush=True)
    ode = nsf_shock(5.5, GAS, PRANDTL, constitutive=net.as_constitutive())
    rows.append(("local, shock ODE", profile_errors(kin.x, ref, ode["x"], ode, window=15.0)))
    consistency = profile_errors(ode["x"], {k: ode[k] for k in NAMES}, profiles["local"].x,
                                 profiles["local"].moments, window=15.0)
    lines += [f"## Stationary Mach 5.5 shock (kinetic: {t_kin:.1f} s), relative L2 over "
              "|x| <= 15 lambda_1", "", error_table(rows), "",
              "The marched local closure against its own shock ODE: "
              + ", ".join(f"{k} {v:.4f}" for k, v in consistency.items()), ""]

    _, dcfg, parts = load_data()
    gas = bz.Gas(omega=dcfg["omega"])
    lines += tube_table(parts, gas, MODELS, lambda name, problem: system(name, gas, problem,
                                                                       net))
    lines += ["", "Speed excludes building the system (the local closure's inverse table: "
              "seconds, once per model and run)."]
    (args.out / "local_closure_fv.md").write_text("\n".join(lines) + "\n")

    curves = {f"{name} (FV)": {"x": sol.x, **sol.moments} for name, sol in profiles.items()}
    curves["local (shock ODE)"] = ode
    plot_profiles(kin, curves, "Mach 5.5 shock (held out): the local learned closure marched "
                  "in time", args.out / "local_closure_fv.png", {"local (shock ODE)": ":"})
    print(f"wrote {args.out}/local_closure_fv.*")


if __name__ == "__main__":
    main()
