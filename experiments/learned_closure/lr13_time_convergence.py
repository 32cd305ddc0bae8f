"""Time-step convergence of the learned R13 in the held-out tubes: how far the tube profiles
at CFL 0.5 (the default; Strang-split RKL2 with the network in every stage) are from those at
CFL 1/16.

Run: .venv/bin/python experiments/learned_closure/lr13_time_convergence.py
Prints, per tube and CFL, max |profile - profile at CFL 1/16| over max |profile at CFL 1/16|
for rho, T and q_x, and the relative L2 errors against the kinetic reference
(`closure.metrics`, as in the tube tables) at each CFL.
"""

import warnings

import numpy as np
from lr13 import load_data

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.metrics import profile_errors, slashed

TUBES = ("sod_kn0.3", "tube_M2_kn1", "tube_M4_kn0.1")
CFLS = (0.5, 0.25, 0.125, 0.0625)
NAMES = ("rho", "T", "q_x")


def main():
    _, dcfg, parts = load_data()
    gas = bz.Gas(omega=dcfg["omega"])
    print("| tube | CFL | max difference from CFL 1/16: " + " / ".join(NAMES)
          + " | relative L2 error against kinetic: " + " / ".join(NAMES) + " |\n|---|---|---|---|")
    for r in parts["test"]:
        if r.name not in TUBES:
            continue
        sols, errs = {}, {}
        for cfl in CFLS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sol = FVSolver(r.problem, gas, "lr13",
                               FVNumerics(nx=r["x"].size, cfl=cfl)).run()
            sols[cfl] = np.stack([sol[k] for k in NAMES])
            errs[cfl] = profile_errors(r["x"], {k: r[k][-1] for k in NAMES}, sol.x, sol,
                                       names=NAMES)
        ref = sols[CFLS[-1]]
        for cfl in CFLS:
            d = np.abs(sols[cfl] - ref).max(axis=1) / np.abs(ref).max(axis=1)
            print(f"| {r.name} | {cfl:g} | " + " / ".join(f"{x:.3g}" for x in d) + " | "
                  + slashed(errs[cfl], NAMES) + " |", flush=True)


if __name__ == "__main__":
    main()
