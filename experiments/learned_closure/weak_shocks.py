"""Weak shocks and the near-continuum tube, where the non-local closure's second form lost to NSF.

1. Stationary shocks at Mach 1.3, 1.65 (Sod's shock), 2 and 3, marched to steady state in
   the finite-volume solver (`nonlocal_closure.march`) with NSF and the shipped non-local
   closure, against the Shakhov solution (relative L2 over |x| <= 15 lambda_1).
2. Sod's tube at Kn = 0.003 on 800 cells (kinetic reference: 800 cells, velocity spacing
   0.3): each model's relative L2 error in T and the share of its squared error in each
   twentieth of the tube.
3. With --sweep: one parameter of the shipped closure changed at a time (no refit), then
   both gains off and the screening off, marched at Mach 1.3, 1.65 and 5.5, and Sod at
   Kn = 0.003 on 400 cells (rho / u / T).

    .venv/bin/python experiments/learned_closure/weak_shocks.py [--out DIR] [--sweep]

(about 40 s; 5 min with --sweep).  Writes weak_shocks.md and weak_shocks.png (the Mach 1.65
profiles) to the output folder (default out/ here).
"""

import argparse
import dataclasses
import time
import warnings
from pathlib import Path

import numpy as np
from local_closure import GAS, WINDOW_ERR, kinetic, plot_profiles  # this folder
from nonlocal_closure import march

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.metrics import NAMES, profile_errors, rel_l2, slashed
from closure.systems.nonlocal_nsf import DEFAULT_MODEL, NonlocalNSF, NonlocalParams

HERE = Path(__file__).resolve().parent
MACHS = (1.3, 1.65, 2.0, 3.0)
FIGURE_MACH = 1.65
LABELS = {"nsf": "NSF", "nonlocal": "non-local closure"}
MODELS = ("nsf", "r13", "nonlocal")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--sweep", action="store_true")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    lines = [f"# Weak shocks and Sod at Kn = 0.003 ({time.strftime('%Y-%m-%d')})", "",
             "## Marched stationary shocks (relative L2, |x| <= 15 lambda_1; "
             + " / ".join(NAMES) + ")", "", "| Mach | NSF | non-local |", "|---|---|---|"]
    for mach in MACHS:
        kin = kinetic(mach)
        cells, profiles = [], {}
        for name in ("nsf", "nonlocal"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the closure's envelope warning
                sol, _, note = march(lambda p, name=name: name, mach)
            e = profile_errors(kin.x, kin, sol.x, sol, window=WINDOW_ERR)
            cells.append(slashed(e) + ("" if "NOT" not in note else f" ({note})"))
            profiles[LABELS[name]] = {"x": sol.x, **sol.moments}
        lines.append(f"| {mach:g} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
        if mach == FIGURE_MACH:
            plot_profiles(kin, profiles, f"Mach {mach:g} shock (Sod's shock strength, not "
                          "trained on): NSF and the shipped non-local closure",
                          args.out / "weak_shocks.png", {LABELS["nsf"]: "--"})

    tube = bz.ShockTube.sod(kn=0.003)
    ref = bz.KineticSolver(tube, GAS, "shakhov", bz.Numerics(nx=800, v_spacing=0.3)).run()
    edges = np.linspace(tube.x_min, tube.x_min + tube.length, 21)
    lines += ["", "## Sod at Kn = 0.003, 800 cells: T error and its share per twentieth", "",
              "| model | T error | " + " | ".join(f"{0.5 * (a + b):.3f}" for a, b in
                                                 zip(edges[:-1], edges[1:])) + " |",
              "|---" * 22 + "|",
              "| kinetic T | | " + " | ".join(
                  f"{v:.2f}" for v in np.interp(0.5 * (edges[1:] + edges[:-1]), ref.x,
                                                ref["T"])) + " |"]
    for name in MODELS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = FVSolver(tube, GAS, name, FVNumerics(nx=800)).run()
        assert np.allclose(sol.x, ref.x)  # the same cells: errors per cell
        d2 = (sol["T"] - ref["T"]) ** 2
        share = [d2[(ref.x >= a) & (ref.x < b)].sum() / d2.sum()
                 for a, b in zip(edges[:-1], edges[1:])]
        err = rel_l2(sol["T"], ref["T"])
        lines.append(f"| {name} | {err:.4f} | " + " | ".join(f"{v:.2f}" for v in share)
                     + " |")
        print(lines[-1], flush=True)
    if args.sweep:
        lines += sweep()
    (args.out / "weak_shocks.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / 'weak_shocks.md'}")


def sweep():
    """Markdown lines: the shipped closure with one parameter changed at a time."""
    base = NonlocalParams.load(DEFAULT_MODEL)[0]
    changes = {"shipped": {}, "alpha_q x 0.6": {"alpha_q": 0.6 * base.alpha_q},
               "alpha_q x 1.4": {"alpha_q": 1.4 * base.alpha_q},
               "alpha_hot x 0.5": {"alpha_hot": 0.5 * base.alpha_hot},
               "gamma_q 2, alpha_q x 0.7": {"gamma_q": 2.0, "alpha_q": 0.7 * base.alpha_q},
               "w0_q 0.4": {"w0_q": 0.4}, "beta_q x 0.5": {"beta_q": 0.5 * base.beta_q},
               "beta_q 0": {"beta_q": 0.0}, "beta_sigma 0": {"beta_sigma": 0.0},
               "c_sigma 0": {"c_sigma": 0.0},
               "no gains (both beta 0)": {"beta_q": 0.0, "beta_sigma": 0.0},
               "no screening (both w0 1, c_sigma 0)": {"w0_q": 1.0, "w0_sigma": 1.0,
                                                       "c_sigma": 0.0}}
    machs = (1.3, 1.65, 5.5)
    kin = {m: kinetic(m) for m in machs}
    tube = bz.ShockTube.sod(kn=0.003)
    ref = bz.KineticSolver(tube, GAS, "shakhov", bz.Numerics(nx=400, v_spacing=0.3)).run()
    lines = ["", "## One parameter changed (no refit)", "",
             "| change | " + " | ".join(f"Mach {m:g}: " + " / ".join(NAMES) for m in machs)
             + " | Sod Kn 0.003 (400 cells): rho / u / T |", "|---" * (len(machs) + 2) + "|"]
    for label, change in changes.items():
        par = dataclasses.replace(base, **change)
        cells = []
        for m in machs:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sol, _, note = march(
                    lambda p, par=par: NonlocalNSF(GAS, GAS.mu_ref(p.mfp_ref), params=par), m)
            e = profile_errors(kin[m].x, kin[m], sol.x, sol, window=WINDOW_ERR)
            cells.append(slashed(e) + ("" if "NOT" not in note else " (not steady)"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = FVSolver(tube, GAS, NonlocalNSF(GAS, GAS.mu_ref(tube.mfp_ref), params=par),
                           FVNumerics(nx=400)).run()
        e = profile_errors(ref.x, ref, sol.x, sol, names=("rho", "u", "T"))
        cells.append(slashed(e, ("rho", "u", "T")))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    main()
