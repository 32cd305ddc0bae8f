"""The learned R13 with its factors bounded below: does a floor on phi (where R13 itself is
steady) give a steady Mach 5.5 shock that keeps the learned accuracy?

Each variant trains the shipped recipe (config.toml [lr13]) with phi in (phi_min, phi_max)
and with or without the saturation (`RegularisationNet(phi_min=..., saturate=...)`), then
marches the stationary Mach 5.5 shock to --max-time as `lr13_stability.py` does, and reports
the validation loss, where the trained factors sit on the validation faces (median of phi
of m_xxx and of R, and the fraction of faces within 2 % of the floor), the state at the time
limit and the relative L2 errors against Shakhov over |x| <= 15 lambda_1.

Run: .venv/bin/python experiments/learned_closure/lr13_bounded.py [--max-time 40]
Writes out/lr13_bounded.md.
"""

import time
from pathlib import Path

import numpy as np
import torch
from lr13 import study_setup
from lr13_stability import march

from closure.nn.regularisation import fit_regularisation

HERE = Path(__file__).resolve().parent
VARIANTS = ((0.0, True), (1.0, True), (1.0, False), (0.7, False), (0.5, False))


def main(argv=None):
    args, _, _, _, (train, val), (shock, xr, ref), gas, fit = study_setup(
        __doc__.splitlines()[0], argv)
    lines = [f"# Learned R13 with bounded factors at Mach {shock.problem.mach} "
             f"({time.strftime('%Y-%m-%d')})", "",
             f"Command: `.venv/bin/python experiments/learned_closure/lr13_bounded.py "
             f"--max-time {args.max_time:g}`", "",
             "| phi_min | saturation | validation loss | median phi (m_xxx; R) | faces at the "
             "floor (m_xxx; R) | state at the time limit | rho | T | sigma_xx | q_x |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for phi_min, sat in VARIANTS:
        net, rec = fit_regularisation(train, val, phi_min=phi_min, saturate=sat, **fit)
        with torch.no_grad():
            phi, _ = net.coefficients(val[0])
        phi = phi.numpy()
        med = np.median(phi, axis=0)
        floor = np.mean(phi < phi_min + 0.02 * max(phi_min, 1.0), axis=0)
        state, err, _, _ = march(net, gas, shock.problem.mach, args.max_time, xr, ref)
        e = (" | ".join(f"{err[k]:.3f}" for k in ("rho", "T", "sigma_xx", "q_x")) if err
             else "- | - | - | -")
        lines.append(f"| {phi_min:g} | {'yes' if sat else 'no'} | {rec['val_loss']:.4f} | "
                     f"{med[0]:.2f}; {med[1]:.2f} | {floor[0]:.0%}; {floor[1]:.0%} | {state} | "
                     f"{e} |")
        print(lines[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lr13_bounded.md").write_text("\n".join(lines) + "\n")
    print(f"written to {args.out / 'lr13_bounded.md'}")


if __name__ == "__main__":
    main()
