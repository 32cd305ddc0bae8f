"""Why the learned R13 reaches no steady state at Mach 5.5: an ablation of its regularisation.

Each variant marches the stationary Mach 5.5 shock (Shakhov reference of the learned_moments
dataset, omega = 0.5) to --max-time and reports whether it reached the steady state
(residual 1e-5), broke down, or was still moving, with its relative L2 errors over
|x| <= 15 lambda_1:

- constant coefficients (phi, a) (a network with zero weights and the biases of those
  values): R13 itself is phi = 1, a = 0; phi scales its regularising moments, a > 0
  switches on the saturation phi m / (1 + a |m| / (p c));
- the shipped network (`closure/models/lr13.pt`);
- the shipped recipe trained again (the control), and with the roughness penalty
  (`fit_regularisation(smooth=...)`), which makes phi and a flat functions of the state;
- a network trained without the saturation (a = 0; only phi learned).

Run: .venv/bin/python experiments/learned_closure/lr13_stability.py [--max-time 40]
Writes out/lr13_stability.md.
"""

import time
import warnings
from pathlib import Path

import numpy as np
import torch
from lr13 import study_setup

import boltzmann as bz
from closure.fv import FVSolver
from closure.metrics import profile_errors
from closure.nn.regularisation import (
    RegularisationNet,
    face_states,
    fit_regularisation,
    roughness,
)
from closure.systems.lr13 import LearnedR13

HERE = Path(__file__).resolve().parent
CONSTANT = ((1.0, 0.0), (0.5, 0.0), (2.0, 0.0), (1.0, 0.1), (1.0, 1.0))
SMOOTH = (0.0, 0.01, 1.0)  # 0: the shipped recipe trained again (the control)
A_OFF = -40.0  # softplus(-40) = 4e-18: no saturation in the kernel


def constant_net(phi, a, phi_max=3.0, width=8):
    """phi: one factor for m_xxx and R, or a pair (m_xxx, R)."""
    net = RegularisationNet(width, phi_max)
    phi = np.broadcast_to(np.asarray(phi, dtype=float), (2,))
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.mlp[4].bias[:2] = torch.as_tensor(np.log(phi / (phi_max - phi)))
        net.mlp[4].bias[2:] = float(np.log(np.expm1(a))) if a > 0 else A_OFF
    return net


class Unsaturated(RegularisationNet):
    """phi learned, a = 0 (the a outputs are ignored in training and packed as A_OFF)."""

    def coefficients(self, state):
        phi, a = super().coefficients(state)
        return phi, torch.zeros_like(a)

    def pack(self):
        with torch.no_grad():
            self.mlp[4].weight[2:] = 0.0
            self.mlp[4].bias[2:] = A_OFF
        return super().pack()


def march(net, gas, mach, max_time, xr, ref):
    """(state at the time limit, errors or None, wall seconds, the solver)."""
    problem = bz.NormalShock(mach, tol=1e-5, max_time=max_time)
    solver = FVSolver(problem, gas, LearnedR13(gas, gas.mu_ref(problem.mfp_ref), net=net))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            sol = solver.run()
            state = "steady"
        except bz.SolutionError as exc:
            text = str(exc)
            if "no steady state" not in text:
                reason = text.split(": ", 1)[-1].split(" in cell")[0]
                return (f"breaks down at t = {solver.t:.1f}: {reason}", None,
                        time.perf_counter() - t0, solver)
            state = "moving, residual " + text.split("residual ")[1].split(" ")[0]
            sol = solver.solution(converged=False)
    return (f"{state} (t = {solver.t:.1f})", profile_errors(xr, ref, sol.x, sol, window=15.0),
            time.perf_counter() - t0, solver)


def complex_cells(solver):
    """Cells whose Grad 13 characteristic speeds are complex (the hyperbolic part)."""
    lam = solver.system.eigenvalues(solver.U)
    return int(np.any(np.abs(lam.imag) > 1e-6 * np.abs(lam).max(axis=1, keepdims=True),
                      axis=1).sum())


def phi_along(net, solver, xs):
    """phi of m_xxx at the faces nearest the points xs, on the solver's last profile."""
    rho, u, T, p, s, q = solver.system.fields(solver.U)
    xf = 0.5 * (solver.x[1:] + solver.x[:-1])
    with torch.no_grad():
        phi, _ = net.coefficients(face_states(rho, T, s, q))
    return [float(phi[np.argmin(abs(xf - x)), 0]) for x in xs]


def main(argv=None):
    args, cfg, _, _, (train, val), (shock, xr, ref), gas, fit = study_setup(
        __doc__.splitlines()[0], argv)

    variants = [(f"constant phi = {p:g}, a = {a:g}", constant_net(p, a), None)
                for p, a in CONSTANT]
    shipped = RegularisationNet.load(
        Path(__file__).resolve().parents[2] / "closure" / "models" / "lr13.pt")
    variants.append(("shipped network", shipped, shipped.meta.get("val_loss")))
    for lam in SMOOTH:
        net, rec = fit_regularisation(train, val, smooth=lam, **fit)
        name = f"trained, roughness penalty {lam:g}" if lam else "trained again, no penalty"
        variants.append((name, net, rec["val_loss"]))
    torch.manual_seed(cfg["seed"])
    net, rec = fit_regularisation(train, val, net=Unsaturated(cfg["width"], cfg["phi_max"]),
                                  **fit)
    variants.append(("trained without saturation (a = 0)", net, rec["val_loss"]))

    states = torch.as_tensor(val[0])
    lines = [f"# Learned R13 at Mach {shock.problem.mach}: stability ablation "
             f"({time.strftime('%Y-%m-%d')})", "",
             f"Command: `.venv/bin/python experiments/learned_closure/lr13_stability.py "
             f"--max-time {args.max_time:g}`", "",
             "Roughness: `closure.nn.regularisation.roughness` on the validation faces. "
             "Complex cells: cells of the last profile whose Grad 13 characteristic speeds "
             "are complex.", "",
             "| variant | validation loss | roughness | state at the time limit | rho | T | "
             "sigma_xx | q_x | complex cells | wall (s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, net, vloss in variants:
        state, err, wall, solver = march(net, gas, shock.problem.mach, args.max_time, xr, ref)
        e = " | ".join(f"{err[k]:.3f}" for k in ("rho", "T", "sigma_xx", "q_x")) if err \
            else " - | - | - | -"
        v = f"{vloss:.4f}" if vloss is not None else "-"
        rough = float(roughness(net, states).detach())
        cells = complex_cells(solver) if err else "-"
        lines.append(f"| {name} | {v} | {rough:.3g} | {state} | {e} | {cells} | {wall:.0f} |")
        print(lines[-1], flush=True)
        if net is shipped:
            where = (-2.0, -1.5, -1.0, -0.5)
            phis = phi_along(net, solver, where)
            note = ", ".join(f"{p:.2f} at x = {x:g}" for x, p in zip(where, phis))
    lines += ["", f"The shipped network's phi of m_xxx on its last profile: {note} "
              "(x on the solver's grid, in lambda_1; the shock is held near x = 0)."]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "lr13_stability.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-2:]))
    print(f"written to {args.out / 'lr13_stability.md'}")


if __name__ == "__main__":
    main()
