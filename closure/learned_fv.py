"""Finite volumes for the learned moment system (`closure.systems.learned`).

The closure is evaluated once per cell and stage (batched over the cells), so the face
fluxes come from Lax-Friedrichs flux splitting, F+- = (F +- a U)/2 with a the largest
|u| + speed c on the grid, each part reconstructed upwind to second order (van Leer
slopes); the frame-change terms of the W equations are central differences at the cells.
Time: ARS(2,2,2) IMEX (`closure.stepping.ARS222`) with the exact collision production
implicit, solved in closed form, so the Navier-Stokes limit survives dt >> tau.
Problems, boundaries, steady-shock driver and output are those of `closure.fv.FVSolver`.
"""

from dataclasses import replace

import numpy as np

from boltzmann.errors import SolutionError
from boltzmann.gas import Gas

from .fv import FVNumerics, FVSolver, _vanleer
from .stepping import ARS222
from .systems.learned import BREAKDOWN_HINT, LearnedSystem


class LearnedSolver(FVSolver):
    """FVSolver for a LearnedClosure (`closure.nn.LearnedClosure` or a model file path)."""

    def __init__(self, problem, gas: Gas = Gas(), closure=None, numerics=FVNumerics(),
                 speed=None, members=None):
        from .nn.learned import LearnedClosure

        if closure is None:
            from .nn.default import default_closure

            closure = default_closure()
        elif not isinstance(closure, LearnedClosure):
            closure = LearnedClosure.load(closure)
        system = LearnedSystem(gas, gas.mu_ref(problem.mfp_ref), closure, speed, members)
        super().__init__(problem, gas, system, replace(numerics, backend="numpy"))

    def stable_dt(self, U):
        speed = self.system.max_speed(U)
        bad = ~np.isfinite(speed)
        if bad.any():  # name the first bad cell before the global speed spreads the NaN
            i = int(np.argmax(bad))
            rho, u, T = self.system.primitive(U[:, i:i + 1])
            raise SolutionError(f"learned: state outside the domain (rho={rho[0]:.4g}, "
                                f"T={T[0]:.4g}) in cell {i} (x={self.x[i]:.4g}) at "
                                f"t={self.t:.4g} {BREAKDOWN_HINT}")
        return self.numerics.cfl * self.dx / np.max(speed)

    def start_from(self, profile):
        """Initial state from a profile (dict of x, rho, u, T, sigma_xx, q_x: e.g. the NSF
        shock of `closure.shock_ode.nsf_shock`), interpolated to the cells (end values held
        outside); the learned moments beyond sigma^ and q^ start at zero."""
        rho, u, T, sigma, q = (np.interp(self.x, profile["x"], profile[k])
                               for k in ("rho", "u", "T", "sigma_xx", "q_x"))
        U = self.system.from_primitive(rho, u, T)
        U[3] = sigma / T
        U[3 + self.system.iq] = q / (T * np.sqrt(T))
        self.U = U

    def rhs(self, U):
        """-dF/dx + frame-change source of the interior cells (nvar, n); the collision
        production is apart (`LearnedSystem.production`)."""
        n, dx = U.shape[1], self.dx
        Ug = self._ghosts(U)
        F, fields = self.system.flux(Ug, dx)
        a = np.nanmax(self.system.max_speed(Ug))  # a NaN stays in its cell, to be located
        Fp, Fm = 0.5 * (F + a * Ug), 0.5 * (F - a * Ug)
        sp = _vanleer(Fp[:, 1:-1] - Fp[:, :-2], Fp[:, 2:] - Fp[:, 1:-1])  # Ug cells 1..n+2
        sm = _vanleer(Fm[:, 1:-1] - Fm[:, :-2], Fm[:, 2:] - Fm[:, 1:-1])
        face = (Fp[:, 1:n + 2] + 0.5 * sp[:, :n + 1]) + (Fm[:, 2:n + 3] - 0.5 * sm[:, 1:n + 2])
        out = -(face[:, 1:] - face[:, :-1]) / dx
        out[3:] += self.system.frame_source(fields, dx)
        return out

    def step(self, dt):
        """One ARS(2,2,2) step: explicit transport and frame terms, implicit production."""
        sys, g, d = self.system, ARS222.gamma, ARS222.delta
        U0 = self.U
        E0 = self.rhs(U0)
        U2 = sys.implicit(U0 + g * dt * E0, g * dt)
        E2 = self.rhs(U2)
        R2 = np.zeros_like(U2)
        R2[3:] = sys.production(U2)
        Y = U0 + dt * (d * E0 + (1.0 - d) * E2) + (1.0 - g) * dt * R2
        self.U = sys.implicit(Y, g * dt)
        self.t += dt
