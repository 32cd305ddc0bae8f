"""Grad's 13-moment equations in 1D (planar flow), written as conservation laws of the raw
moments [Grad, Comm. Pure Appl. Math. 2, 331 (1949); 1D form as in Torrilhon & Struchtrup,
J. Fluid Mech. 513, 171 (2004)]:

    M = (rho, rho u, int v^2 f, int v_x^2 f, int v^2 v_x f)
      = (rho, rho u, rho u^2 + 3 p, rho u^2 + p + sigma, u (rho u^2 + 5 p + 2 sigma) + 2 q),

with fluxes int v_x psi f of Grad's 13-moment distribution
f_M [1 + sigma_ij C_i C_j / (2 p theta) + q_i C_i (C^2 / (5 theta) - 1) / (p theta)], whose
needed moments (int C_x^3 f = 6 q / 5, int C^2 C_x^2 f = theta (5 p + 7 sigma)) were computed
symbolically.  Productions of Maxwell molecules: sigma relaxes at p/mu, q at (2/3) p/mu
(Pr = 2/3); the solver takes them implicitly (`closure.kernels`, ARS(2,2,2)).

The characteristic speeds are the eigenvalues of the flux Jacobian (finite differences);
complex ones (loss of hyperbolicity) raise SolutionError in `check`.  In the gas frame and in
units of sqrt(theta) they depend on sigma/p and q/(p sqrt(theta)) alone, so the time step and
the numerical flux read their bound from a table of those eigenvalues (`speed_table`).  At
equilibrium the fastest is u + 2.1305 sqrt(theta), so no continuous shock exists above
M = 2.1305/sqrt(5/3) = 1.65: the solver reports it (`critical_mach`).
"""

from functools import lru_cache

import numpy as np

from boltzmann.errors import InputError, SolutionError
from boltzmann.gas import Gas

from .. import kernels
from .base import MomentSystem


class Grad13(MomentSystem):
    name = "grad13"
    variables = ("rho", "m", "M2", "Mxx", "Mxv2")
    code = kernels.GRAD13

    def __init__(self, gas, mu_ref, prandtl=2.0 / 3.0):
        if abs(prandtl - kernels.Q_RATE) > 1e-12:
            raise InputError(f"{self.name}: Maxwell-molecule productions fix Pr = 2/3, "
                             f"not {prandtl}")
        if gas.dof != 3:
            raise InputError(f"{self.name}: written for the monatomic 3D gas (dof = 3), "
                             f"not dof = {gas.dof}")
        super().__init__(gas, mu_ref, prandtl)

    def from_primitive(self, rho, u, T, sigma=0.0, q=0.0):
        return self._state(rho, u, T, sigma, q)

    def fields(self, U):
        """rho, u, T, p, sigma, q of U."""
        return tuple(self._fields(U))

    def primitive(self, U):
        return self.fields(U)[:3]

    def flux(self, U):
        return kernels.flux_columns(self.code, np.ascontiguousarray(U, dtype=float),
                                    self.gas.cv)

    def eigenvalues(self, U):
        """Eigenvalues of dF/dM per cell, shape (n, 5) (complex)."""
        rho, _, T, p, _, _ = self.fields(U)
        c = np.sqrt(np.abs(T))
        scale = np.abs(U) + np.array([rho, rho * c, p, p, p * c])  # step sizes per moment
        J = np.empty((U.shape[1], 5, 5))
        for k in range(5):
            h = 1e-6 * scale[k]
            Up = U.copy()
            Um = U.copy()
            Up[k] += h
            Um[k] -= h
            J[:, :, k] = ((self.flux(Up) - self.flux(Um)) / (2.0 * h)).T
        return np.linalg.eigvals(J)

    @property
    def table(self):
        return speed_table()

    def max_speed(self, U):
        """Bound of |characteristic speeds| from the table (at least the largest |Re lambda|)."""
        return kernels.speed_columns(self.code, np.ascontiguousarray(U, dtype=float), self.par,
                                     self.table)

    def diagnostics(self, U, dx):
        rho, u, T, p, s, q = self.fields(U)
        return {"rho": rho, "u": u, "T": T, "p": p, "sigma_xx": s, "q_x": q}

    def check(self, U, t, x):
        """Domain check, then the eigenvalues of the cells whose |q|/(p sqrt(theta)) reaches
        80 % of the tabulated onset of complex speeds at their sigma/p (the others are
        hyperbolic by the table)."""
        super().check(U, t, x)
        _, _, T, p, s, q = self.fields(U)
        s_hat = np.clip(s / p, kernels.S_MIN, kernels.S_MAX)
        q_hat = np.abs(q) / (p * np.sqrt(T))
        node = (s_hat - kernels.S_MIN) / (kernels.S_MAX - kernels.S_MIN) * (kernels.NS - 1)
        onset = hyperbolic_limit()
        lo = np.minimum(np.floor(node).astype(int), kernels.NS - 2)
        near = q_hat >= 0.8 * np.minimum(onset[lo], onset[lo + 1])
        near |= (s / p < kernels.S_MIN) | (s / p > kernels.S_MAX)
        if not near.any():
            return
        idx = np.flatnonzero(near)
        lam = self.eigenvalues(U[:, idx])
        bad = np.any(np.abs(lam.imag) > 1e-6 * np.abs(lam).max(axis=1, keepdims=True), axis=1)
        if bad.any():
            i = int(idx[np.argmax(bad)])
            raise SolutionError(f"{self.name}: loss of hyperbolicity (complex characteristic "
                                f"speeds) in cell {i} (x={x[i]:.4g}) at t={t:.4g}")

    def critical_mach(self):
        """Largest Mach number with a continuous shock: fastest equilibrium characteristic
        speed (in the gas frame) over the sound speed."""
        lam = self.eigenvalues(self.from_primitive([1.0], [0.0], [1.0]))
        return float(np.abs(lam.real).max() / np.sqrt(self.gas.gamma))


@lru_cache(maxsize=1)
def _table_eigenvalues():
    s, q = np.meshgrid(np.linspace(kernels.S_MIN, kernels.S_MAX, kernels.NS),
                       np.linspace(0.0, kernels.Q_MAX, kernels.NQ), indexing="ij")
    g = Grad13(Gas(), 1.0)
    one = np.ones(s.size)
    lam = g.eigenvalues(g.from_primitive(one, 0.0 * one, one, s.ravel(), q.ravel()))
    return lam.reshape(s.shape + (5,))


@lru_cache(maxsize=1)
def hyperbolic_limit():
    """Per sigma/p node of the table: the largest tabulated |q|/(p sqrt(theta)) below the
    first node with complex characteristic speeds, shape (NS,)."""
    lam = _table_eigenvalues()
    complex_ = np.any(np.abs(lam.imag) > 1e-6 * np.abs(lam).max(axis=2, keepdims=True), axis=2)
    first = np.where(complex_.any(axis=1), complex_.argmax(axis=1), kernels.NQ)
    q = np.linspace(0.0, kernels.Q_MAX, kernels.NQ)
    return q[np.maximum(first - 1, 0)]


@lru_cache(maxsize=1)
def speed_table():
    """max |Re lambda| / sqrt(theta) of the Grad-13 flux Jacobian at u = 0, on the grid
    sigma/p in [S_MIN, S_MAX] x |q|/(p sqrt(theta)) in [0, Q_MAX] of `closure.kernels`
    (eigenvalues are symmetric in q -> -q); shape (NS, NQ)."""
    return np.abs(_table_eigenvalues().real).max(axis=2)
