"""Navier-Stokes-Fourier: Euler plus sigma_xx = -4/3 mu du/dx, q_x = -(c_p mu / Pr) dT/dx,
evaluated at cell faces from the neighbouring cell values (second-order central)."""

import numpy as np

from .. import kernels
from .euler import Euler


class NSF(Euler):
    name = "nsf"
    shock_structure = True
    code = kernels.NSF

    def _stress_heat(self, u, T, dx):
        mu = self.viscosity(0.5 * (T[1:] + T[:-1]))
        sigma = -4.0 / 3.0 * mu * np.diff(u) / dx
        q = -self.gas.cp * mu / self.prandtl * np.diff(T) / dx
        return sigma, q

    def face_flux(self, U, dx):
        _, u, T = self.primitive(U)
        sigma, q = self._stress_heat(u, T, dx)
        uf = 0.5 * (u[1:] + u[:-1])
        return np.array([np.zeros_like(sigma), sigma, uf * sigma + q])

    def diagnostics(self, U, dx):
        out = super().diagnostics(U, dx)
        sigma, q = self._stress_heat(out["u"], out["T"], dx)
        # cell values: mean of the two faces (the end cells take their one face value)
        pad = lambda a: np.concatenate([a[:1], 0.5 * (a[1:] + a[:-1]), a[-1:]])  # noqa: E731
        out["sigma_xx"] = pad(sigma)
        out["q_x"] = pad(q)
        return out


class KernelFluxes:
    """Face fluxes and diagnostics from the numba kernel (`kernels.dissipative_flux`), for
    NSF-family systems whose fluxes exist only there (the learned local and the non-local
    closures).  Given the solver's ghosted state Ug (NG ghosts per side) and its kernel
    parameters, they are the fluxes the solver integrates, at all n + 1 faces; without, at
    the n - 1 faces between the cells of U."""

    def face_flux(self, U, dx, Ug=None, par=None):
        """The kernel's dissipative flux (0, sigma_xx, u sigma_xx + q_x) at the faces."""
        if Ug is None:  # one copied ghost per side: the kernel skips one per side
            Ug = np.concatenate([U[:, :1], U, U[:, -1:]], axis=1)
        F = np.zeros((3, Ug.shape[1] - 2 * kernels.NG + 1))
        kernels.dissipative_flux(self.code, Ug, dx, self.par if par is None else par, F,
                                 np.empty((7, Ug.shape[1])), self.table)
        return F

    def face_fluxes(self, U, dx, Ug=None, par=None):
        """sigma_xx and q_x at the faces (`face_flux`)."""
        F = self.face_flux(U, dx, Ug, par)
        if Ug is None:
            u = U[1] / U[0]
        else:
            u = Ug[1, kernels.NG - 1:Ug.shape[1] - kernels.NG + 1] \
                / Ug[0, kernels.NG - 1:Ug.shape[1] - kernels.NG + 1]
        return F[1], F[2] - 0.5 * (u[1:] + u[:-1]) * F[1]

    def diagnostics(self, U, dx, Ug=None, par=None):
        out = super(NSF, self).diagnostics(U, dx)
        sigma, q = self.face_fluxes(U, dx, Ug, par)
        if Ug is None:  # the end cells take their one face value
            cells = lambda a: np.concatenate([a[:1], 0.5 * (a[1:] + a[:-1]), a[-1:]])  # noqa: E731
        else:
            cells = lambda a: 0.5 * (a[1:] + a[:-1])  # noqa: E731
        out["sigma_xx"] = cells(sigma)
        out["q_x"] = cells(q)
        return out
