"""The interface of a 1D moment system d_t U + d_x F(U, dU/dx) = S(U).

A system is a small class: its variable names, the conversions between conserved variables
U (shape (nvar, n)) and the shared diagnostics (rho, u, T, p, sigma_xx, q_x), its hyperbolic
flux, a bound of its wave speeds, an optional dissipative face flux and an optional source.
The finite-volume solver (`closure/fv.py`) needs nothing else; a new closure plugs in here.
"""

import numpy as np

from boltzmann.errors import SolutionError
from boltzmann.gas import Gas

from .. import kernels


class MomentSystem:
    """Base class holding the gas and the viscosity law mu = mu_ref T^omega."""

    name = "base"
    variables: tuple = ()
    #: integer code of the system's numba kernels (`closure.kernels`); None: NumPy path only
    code = None
    #: False for systems without dissipation, whose stationary shock is the bare jump
    shock_structure = True

    def __init__(self, gas: Gas, mu_ref: float, prandtl: float = 2.0 / 3.0):
        self.gas = gas
        self.mu_ref = mu_ref
        self.prandtl = prandtl

    @property
    def nvar(self) -> int:
        return len(self.variables)

    @property
    def par(self):
        """Parameters of the numba kernels: (gamma, c_v, mu_ref, omega, Pr)."""
        g = self.gas
        return np.array([g.gamma, g.cv, self.mu_ref, g.omega, self.prandtl])

    def solver_par(self, bc):
        """The kernels' par on a domain with boundary code bc (`kernels.OUTFLOW`, ...);
        only a system with a non-local flux depends on it."""
        return self.par

    @property
    def table(self):
        """Wave-speed table of the kernels (only the Grad family has one)."""
        return np.zeros((1, 1))

    def critical_mach(self):
        """Largest Mach number with a continuous shock structure (None: no limit)."""
        return None

    def from_primitive(self, rho, u, T):
        """Conserved variables of equilibrium states, shape (nvar, n)."""
        raise NotImplementedError

    def primitive(self, U):
        """rho, u, T per cell (boundary states and domain checks use them)."""
        raise NotImplementedError

    # the conversions of the systems with numba kernels, in one place (`closure.kernels`)
    def _state(self, rho, u, T, sigma=0.0, q=0.0):
        cols = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float))
                                     for a in (rho, u, T, sigma, q)))
        return kernels.state_columns(self.code, *(np.ascontiguousarray(c) for c in cols),
                                     self.gas.cv)

    def _fields(self, U):
        return kernels.fields_columns(self.code, np.ascontiguousarray(U, dtype=float),
                                      self.gas.cv)

    def flux(self, U):
        """Hyperbolic flux F(U), shape (nvar, n)."""
        raise NotImplementedError

    def max_speed(self, U):
        """A bound of |characteristic speeds|, shape (n,)."""
        raise NotImplementedError

    def face_flux(self, U, dx):
        """Dissipative flux at the n - 1 faces between the cells of U (or None)."""
        return None

    def diffusivity(self, U):
        """Largest diffusion coefficient per cell (explicit step bound), or None."""
        if self.code is None:
            return None
        k = kernels.diffusivity_coefficient(self.code, self.par)
        if k == 0.0:
            return None
        rho, _, T = self.primitive(U)
        return k * self.viscosity(T) / rho

    def source(self, U):
        return None

    def relax(self, U, dt):
        """Stiff relaxation of the non-conserved moments over dt, applied after each
        transport step (Lie splitting); the identity for systems without it."""
        return U

    def diagnostics(self, U, dx):
        """rho, u, T, p, sigma_xx, q_x per cell."""
        raise NotImplementedError

    def viscosity(self, T):
        return self.mu_ref * T ** self.gas.omega

    def check(self, U, t, x):
        """Raise SolutionError naming the cell and time when U leaves the system's domain."""
        rho, _, T = self.primitive(U)
        bad = ~((rho > 0.0) & (T > 0.0) & np.all(np.isfinite(U), axis=0))
        if bad.any():
            i = int(np.argmax(bad))
            nonfinite = [v for v, value in zip(self.variables, U[:, i]) if not np.isfinite(value)]
            what = f", non-finite {', '.join(nonfinite)}" if nonfinite else ""
            raise SolutionError(f"{self.name}: state outside the domain (rho={rho[i]:.4g}, "
                                f"T={T[i]:.4g}{what}) in cell {i} (x={x[i]:.4g}) at t={t:.4g}")
