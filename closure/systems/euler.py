"""Euler equations of a monatomic gas: U = (rho, rho u, E), E = rho u^2/2 + c_v rho T."""

import numpy as np

from .base import MomentSystem


class Euler(MomentSystem):
    name = "euler"
    variables = ("rho", "m", "E")
    shock_structure = False

    def from_primitive(self, rho, u, T):
        rho, u, T = (np.asarray(a, dtype=float) for a in (rho, u, T))
        return np.array([rho, rho * u, 0.5 * rho * u * u + self.gas.cv * rho * T])

    def primitive(self, U):
        rho = U[0]
        u = U[1] / rho
        T = (U[2] / rho - 0.5 * u * u) / self.gas.cv
        return rho, u, T

    def flux(self, U):
        rho, u, T = self.primitive(U)
        p = rho * T
        return np.array([U[1], U[1] * u + p, u * (U[2] + p)])

    def max_speed(self, U):
        _, u, T = self.primitive(U)
        return np.abs(u) + self.gas.sound_speed(np.maximum(T, 0.0))

    def diagnostics(self, U, dx):
        rho, u, T = self.primitive(U)
        zero = np.zeros_like(rho)
        return {"rho": rho, "u": u, "T": T, "p": rho * T, "sigma_xx": zero, "q_x": zero}
