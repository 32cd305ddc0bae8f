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
        return self._state(rho, u, T)

    def primitive(self, U):
        rho, u, T = self._fields(U)[:3]
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
