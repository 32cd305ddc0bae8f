"""The learned moment system: conservation laws for U = (rho, rho u, E) closed by the learned
fluid-frame moments W (K of them; W_0 = sigma/p, W_{n_even} = q/(p sqrt T)), each carried as
rho W_k with its exact equation (`closure.moment_equations`, docs/learned_closure.md):

    d_t (rho W_k) + d_x (u rho W_k + rho c B_k) = rho (s_k q^ - W_k) / tau
        - rho [ (D_t u/c) A0_k + (d_x u + D_t c/c) A1_k + d_x c A2_k
                + (D_t T/T) E0_k + (c d_x T/T) E1_k ],

with c = sqrt(T), sigma = p W_0 and q = p c W_{n_even} closing the momentum and energy fluxes,
and the closure (B, A0, A1, A2, E0, E1)(W, log10 Kn_local) from the ensemble of
`closure.nn.LearnedClosure`.  Mass, momentum and energy stay in conservation form, so they
are conserved exactly whatever the networks say.  The production is exact for the relaxation
model the closure was trained on, and linear in W, so the stiff step is solved in closed form.
"""

import warnings

import numpy as np

from boltzmann.errors import SolutionError

from ..nn.closure_net import log_knudsen
from ..nn.ensemble import EnvelopeWarning
from .base import MomentSystem

#: appended to a breakdown of the learned system
BREAKDOWN_HINT = ("(network closures can leave the domain: the shipped one does on every strong "
                  "shock, docs/learned_closure.md \"Diagnosis\"; for shocks the non-local "
                  "closure, model 'nonlocal', is steady)")


def _root(T):
    """sqrt(T), NaN without a warning where T < 0: the solver names the cell
    (`LearnedSolver.stable_dt`, `check`)."""
    with np.errstate(invalid="ignore"):
        return np.sqrt(T)


class LearnedSystem(MomentSystem):
    """The closed system of a LearnedClosure; `speed`: the wave-speed bound |u| + speed c
    of the flux splitting (default 4); `members`: how many ensemble members to average
    (default all)."""

    name = "learned"

    def __init__(self, gas, mu_ref, closure, speed=None, members=None):
        super().__init__(gas, mu_ref, closure.meta.get("prandtl", 2.0 / 3.0))
        if gas.dof != 3:
            raise ValueError("the learned closure is trained on the Chu-reduced 3D gas")
        self.closure = closure
        self.K = closure.K
        self.iq = closure.q_index
        self.variables = ("rho", "m", "E") + tuple(f"rhoW{k}" for k in range(self.K))
        self.evaluate = closure.evaluator(members)
        self.s = closure.production.numpy().copy()
        self.speed = float(speed or 4.0)
        self._warned = False

    def from_primitive(self, rho, u, T):
        rho, u, T = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (rho, u, T))
        rho, u, T = np.broadcast_arrays(rho, u, T)
        U = np.zeros((3 + self.K, rho.size))
        U[0], U[1], U[2] = rho, rho * u, 0.5 * rho * (u * u + 3.0 * T)
        return U

    def primitive(self, U):
        rho = U[0]
        u = U[1] / rho
        return rho, u, (2.0 * U[2] / rho - u * u) / 3.0

    def fields(self, U):
        """rho, u, T (n,) and W (K, n)."""
        rho, u, T = self.primitive(U)
        return rho, u, T, U[3:] / rho

    def diagnostics(self, U, dx):
        rho, u, T, W = self.fields(U)
        p = rho * T
        return {"rho": rho, "u": u, "T": T, "p": p, "sigma_xx": p * W[0],
                "q_x": p * np.sqrt(T) * W[self.iq]}

    def max_speed(self, U):
        rho, u, T = self.primitive(U)
        return np.abs(u) + self.speed * _root(T)

    def log_knudsen(self, rho, T, dx):
        """log10 of the gradient Knudsen number per cell, as in the training data: the mean
        free path of `boltzmann.Gas.mean_free_path` times the closure's mfp_scale."""
        mfp = self.gas.mean_free_path(rho, T, self.mu_ref)
        return log_knudsen(self.closure.mfp_scale * mfp, rho, T, dx)

    def closure_terms(self, U, dx):
        """Fields and the ensemble-mean closure per cell: rho, u, T, W (K, n) and
        Y (6, K, n) = B, A0, A1, A2, E0, E1."""
        rho, u, T, W = self.fields(U)
        Y = self.evaluate(W.T, self.log_knudsen(rho, T, dx))
        return rho, u, T, W, Y.T.reshape(self.K, 6, -1).transpose(1, 0, 2)

    def flux(self, U, dx):
        """Hyperbolic flux per cell (nvar, n) and the closure terms (`closure_terms`)."""
        rho, u, T, W, Y = self.closure_terms(U, dx)
        c = _root(T)
        p = rho * T
        sigma, q = p * W[0], p * c * W[self.iq]
        F = np.empty_like(U)
        F[0] = U[1]
        F[1] = U[1] * u + p + sigma
        F[2] = (U[2] + p + sigma) * u + q
        F[3:] = u * U[3:] + rho * c * Y[0]
        return F, (rho, u, T, W, Y)

    def frame_source(self, fields, dx):
        """The frame-change terms of the W equations at the inner cells (all but the two at
        each end), central differences: (K, n - 4) for fields of n cells."""
        rho, u, T, W, Y = fields
        c = _root(T)
        p = rho * T
        P = p * (1.0 + W[0])  # p + sigma
        q = p * c * W[self.iq]

        def d(a):
            return (a[3:-1] - a[1:-3]) / (2.0 * dx)

        i = slice(2, -2)
        ux = d(u)
        Du = -d(P) / rho[i]
        DT = -2.0 / (3.0 * rho[i]) * (P[i] * ux + d(q))
        ci, Ti = c[i], T[i]
        B, A0, A1, A2, E0, E1 = (y[:, i] for y in Y)
        return -rho[i] * (Du / ci * A0 + (ux + DT / (2.0 * Ti)) * A1 + d(c) * A2
                          + DT / Ti * E0 + ci * d(T) / Ti * E1)

    def tau(self, U):
        rho, _, T = self.primitive(U)
        return self.viscosity(T) / (rho * T)

    def production(self, U):
        """The exact collision production of the rho W rows (K, n)."""
        return (self.s[:, None] * U[3 + self.iq] - U[3:]) / self.tau(U)

    def implicit(self, Y, h):
        """Solve U = Y + h production(U) (rho, m, E unchanged): q^ first, then the rest."""
        U = Y.copy()
        tau = self.tau(Y)
        iq = 3 + self.iq
        U[iq] = Y[iq] / (1.0 + h * (1.0 - self.s[self.iq]) / tau)
        U[3:] = (Y[3:] + h * self.s[:, None] * U[iq] / tau) / (1.0 + h / tau)  # row iq: same
        return U

    def check(self, U, t, x):
        try:
            super().check(U, t, x)
        except SolutionError as exc:
            raise SolutionError(f"{exc} {BREAKDOWN_HINT}") from None
        if self._warned:
            return
        rho, _, T, W = self.fields(U)
        d = self.closure.distance(W.T, self.log_knudsen(rho, T, x[1] - x[0]))
        if np.any(d > 0.0):
            i = int(np.argmax(d))
            self._warned = True
            warnings.warn(EnvelopeWarning(
                f"learned closure: {np.count_nonzero(d)} of {d.size} cells outside the "
                f"training envelope at t={t:.4g}, farthest in cell {i} (x={x[i]:.4g}) by "
                f"{d[i]:.3g} training standard deviations"), stacklevel=2)
