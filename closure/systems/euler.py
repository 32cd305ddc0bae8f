"""Euler equations of a monatomic gas: U = (rho, rho u, E), E = rho u^2/2 + c_v rho T."""

import numpy as np

from .. import kernels
from .base import MomentSystem


class Euler(MomentSystem):
    name = "euler"
    variables = ("rho", "m", "E")
    shock_structure = False
    code = kernels.EULER

    def from_primitive(self, rho, u, T):
        rho, u, T = (np.asarray(a, dtype=float) for a in (rho, u, T))
        return np.array([rho, rho * u, 0.5 * rho * u * u + self.gas.cv * rho * T])

    def primitive(self, U):
        rho = U[0]
        u = U[1] / rho
        T = (U[2] / rho - 0.5 * u * u) / self.gas.cv
        return rho, u, T

    def flux(self, U):
        return kernels.flux_columns(self.code, np.ascontiguousarray(U, dtype=float), self.gas.cv)

    def max_speed(self, U):
        return kernels.speed_columns(self.code, np.ascontiguousarray(U, dtype=float), self.par,
                                     self.table)

    def diagnostics(self, U, dx):
        rho, u, T = self.primitive(U)
        zero = np.zeros_like(rho)
        return {"rho": rho, "u": u, "T": T, "p": rho * T, "sigma_xx": zero, "q_x": zero}
