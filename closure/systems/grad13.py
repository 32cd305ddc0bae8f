"""Grad's 13-moment equations in 1D (planar flow), written as conservation laws of the raw
moments [Grad, Comm. Pure Appl. Math. 2, 331 (1949); 1D form as in Torrilhon & Struchtrup,
J. Fluid Mech. 513, 171 (2004)]:

    M = (rho, rho u, int v^2 f, int v_x^2 f, int v^2 v_x f)
      = (rho, rho u, rho u^2 + 3 p, rho u^2 + p + sigma, u (rho u^2 + 5 p + 2 sigma) + 2 q),

with fluxes int v_x psi f of Grad's 13-moment distribution
f_M [1 + sigma_ij C_i C_j / (2 p theta) + q_i C_i (C^2 / (5 theta) - 1) / (p theta)], whose
needed moments (int C_x^3 f = 6 q / 5, int C^2 C_x^2 f = theta (5 p + 7 sigma)) were computed
symbolically.  Productions of Maxwell molecules: sigma relaxes at p/mu, q at (2/3) p/mu
(Pr = 2/3); they are integrated exactly in a splitting step (`relax`).

The characteristic speeds are the eigenvalues of the flux Jacobian (finite differences, per
cell); complex ones (loss of hyperbolicity) raise SolutionError.  At equilibrium the fastest
is u + 2.1305 sqrt(theta), so no continuous shock exists above M = 2.1305/sqrt(5/3) = 1.65:
the solver reports it (`critical_mach`).
"""

import numpy as np

from boltzmann.errors import InputError, SolutionError

from .base import MomentSystem


class Grad13(MomentSystem):
    name = "grad13"
    variables = ("rho", "m", "M2", "Mxx", "Mxv2")
    q_rate = 2.0 / 3.0  # heat-flux relaxation rate in p/mu (Maxwell molecules)

    def __init__(self, gas, mu_ref, prandtl=2.0 / 3.0):
        if abs(prandtl - self.q_rate) > 1e-12:
            raise InputError(f"grad13: Maxwell-molecule productions fix Pr = 2/3, not {prandtl}")
        super().__init__(gas, mu_ref, prandtl)

    def from_primitive(self, rho, u, T, sigma=0.0, q=0.0):
        rho, u, T = (np.asarray(a, dtype=float) for a in (rho, u, T))
        p = rho * T
        sigma = np.zeros_like(rho) + sigma
        q = np.zeros_like(rho) + q
        return np.array([rho, rho * u, rho * u * u + 3.0 * p, rho * u * u + p + sigma,
                         u * (rho * u * u + 5.0 * p + 2.0 * sigma) + 2.0 * q])

    def fields(self, U):
        """rho, u, T, p, sigma, q of U."""
        rho = U[0]
        u = U[1] / rho
        p = (U[2] - rho * u * u) / 3.0
        sigma = U[3] - rho * u * u - p
        q = 0.5 * (U[4] - u * (rho * u * u + 5.0 * p + 2.0 * sigma))
        return rho, u, p / rho, p, sigma, q

    def primitive(self, U):
        return self.fields(U)[:3]

    def flux(self, U):
        rho, u, T, p, s, q = self.fields(U)
        f3 = rho * u**3 + 3.0 * u * (p + s) + 1.2 * q
        f4 = rho * u**4 + u * u * (8.0 * p + 5.0 * s) + 6.4 * u * q + T * (5.0 * p + 7.0 * s)
        return np.array([U[1], U[3], U[4], f3, f4])

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

    def max_speed(self, U):
        lam = self.eigenvalues(U)
        return np.max(np.abs(lam.real), axis=1)

    def relax(self, U, dt):
        rho, u, T, p, s, q = self.fields(U)
        rate = p / self.viscosity(T)
        s = s * np.exp(-dt * rate)
        q = q * np.exp(-dt * self.q_rate * rate)
        return self.from_primitive(rho, u, T, s, q)

    def diagnostics(self, U, dx):
        rho, u, T, p, s, q = self.fields(U)
        return {"rho": rho, "u": u, "T": T, "p": p, "sigma_xx": s, "q_x": q}

    def check(self, U, t, x):
        super().check(U, t, x)
        lam = self.eigenvalues(U)
        bad = np.any(np.abs(lam.imag) > 1e-6 * np.abs(lam).max(axis=1, keepdims=True), axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise SolutionError(f"grad13: loss of hyperbolicity (complex characteristic "
                                f"speeds) in cell {i} (x={x[i]:.4g}) at t={t:.4g}")

    def critical_mach(self):
        """Largest Mach number with a continuous shock: fastest equilibrium characteristic
        speed (in the gas frame) over the sound speed."""
        U = self.from_primitive([1.0], [0.0], [1.0])
        return float(self.max_speed(U)[0] / np.sqrt(self.gas.gamma))
