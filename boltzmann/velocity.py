"""Discrete molecular-velocity grids along x (the Chu-reduced or 1D velocity space).

The Chu reduction [Chu, Phys. Fluids 8, 12 (1965)] integrates the 3D distribution over the
transverse velocities: g(x, v) = int f dv_y dv_z and h(x, v) = int (v_y^2 + v_z^2) f dv_y dv_z.
For BGK-type models in planar flow the pair (g, h) carries density, momentum, energy, the
normal stress and the heat flux exactly, so only v = v_x is discretised.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import erfc

from .errors import InputError

#: default half-width of the grid around each state, in thermal speeds sqrt(R T)
DEFAULT_WIDTH = 6.0
#: default spacing, in thermal speeds of the coldest state
DEFAULT_SPACING = 0.6
#: largest fraction of mass or energy of a state's Maxwellian the grid may cut off
DEFAULT_CUTOFF_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class VelocityGrid:
    """Uniform grid v_j = vmin + j dv, j = 0..n-1, with rectangle (= trapezoid, the
    distribution vanishing at the ends) weights w_j = dv; spectrally accurate for the smooth,
    rapidly decaying distributions of a gas.

    v, w: arrays of shape (n,), velocity in sqrt(R T_0).
    """

    v: np.ndarray
    w: np.ndarray

    def __post_init__(self):
        v = np.asarray(self.v, dtype=float)
        if v.ndim != 1 or v.size < 8 or np.asarray(self.w).shape != v.shape:
            raise InputError("velocity grid: v and w must be 1D arrays of >= 8 equal length")
        dv = np.diff(v)
        if not (np.all(dv > 0.0) and np.allclose(dv, dv[0], rtol=1e-9, atol=0.0)):
            raise InputError("velocity grid: nodes must be uniformly spaced and increasing "
                             "(the kernels assume it)")

    @classmethod
    def uniform(cls, vmin: float, vmax: float, n: int) -> "VelocityGrid":
        if not (np.isfinite(vmin) and np.isfinite(vmax) and vmax > vmin):
            raise InputError(f"velocity grid: need vmin < vmax, got [{vmin}, {vmax}]")
        if n < 8:
            raise InputError(f"velocity grid: n={n} points is too few (need >= 8)")
        v = np.linspace(vmin, vmax, n)
        w = np.full(n, v[1] - v[0])
        return cls(v=v, w=w)

    @classmethod
    def for_states(cls, states, width=DEFAULT_WIDTH, spacing=DEFAULT_SPACING, n=None):
        """A grid covering u +- width sqrt(T) of every state (objects with .u and .T), with
        spacing `spacing` sqrt(T_min) unless the number of points n is given."""
        u = np.array([s.u for s in states], dtype=float)
        c = np.sqrt(np.array([s.T for s in states], dtype=float))
        vmin = float(np.min(u - width * c))
        vmax = float(np.max(u + width * c))
        if n is None:
            n = int(np.ceil((vmax - vmin) / (spacing * c.min()))) + 1
        return cls.uniform(vmin, vmax, n)

    @property
    def n(self) -> int:
        return self.v.size

    @property
    def dv(self) -> float:
        return float(self.v[1] - self.v[0])

    @property
    def vmax_abs(self) -> float:
        return float(np.max(np.abs(self.v)))

    def cutoff_fractions(self, u, T):
        """Fractions of mass and of energy (in the frame of the grid) of the Maxwellian
        (rho = 1, u, T) lying outside [vmin - dv/2, vmax + dv/2], from the exact erfc tails;
        u, T scalars or arrays of one shape."""
        u = np.asarray(u, dtype=float)
        T = np.asarray(T, dtype=float)
        s = np.sqrt(2.0 * T)
        lo = (u - (self.v[0] - 0.5 * self.dv)) / s
        hi = ((self.v[-1] + 0.5 * self.dv) - u) / s
        mass = 0.5 * (erfc(lo) + erfc(hi))

        # x-kinetic energy 1/2 int v^2 M dv beyond the cut, plus the transverse energy carried
        # with the same mass (T per particle in 3D); relative to the total 1/2 u^2 + 3/2 T.
        def tail(a):  # int_{u + a s}^inf v^2 M(v) dv for a Maxwellian with unit density
            z = a
            gauss = np.exp(-z * z) / np.sqrt(np.pi)
            return (u * u + 0.5 * s * s) * 0.5 * erfc(z) + gauss * (u * s + 0.5 * s * s * z)

        def tail_lo(a):  # same, below u - a s (mirror v -> 2u - v changes sign of u terms)
            z = a
            gauss = np.exp(-z * z) / np.sqrt(np.pi)
            return (u * u + 0.5 * s * s) * 0.5 * erfc(z) + gauss * (-u * s + 0.5 * s * s * z)

        e_cut = 0.5 * (tail(hi) + tail_lo(lo)) + T * mass
        energy = e_cut / (0.5 * u * u + 1.5 * T)
        return mass, energy

    def check_covers(self, states, tol=DEFAULT_CUTOFF_TOL, where="velocity grid"):
        """Raise InputError when the grid cuts off more than tol of a state's mass or energy."""
        for s in states:
            m, e = self.cutoff_fractions(s.u, s.T)
            if m > tol or e > tol:
                raise InputError(
                    f"{where}: [{self.v[0]:.3g}, {self.v[-1]:.3g}] is too narrow for the state "
                    f"u={s.u:.4g}, T={s.T:.4g}: it cuts off {m:.2e} of the mass and {e:.2e} of "
                    f"the energy (tolerance {tol:.0e}); widen the grid to about "
                    f"u +- {DEFAULT_WIDTH} sqrt(T)"
                )
        return self

    def check_resolves(self, states, max_spacing=1.0, where="velocity grid"):
        """Raise InputError when the spacing exceeds max_spacing thermal speeds of a state."""
        for s in states:
            if self.dv > max_spacing * np.sqrt(s.T):
                raise InputError(
                    f"{where}: spacing dv={self.dv:.3g} does not resolve the state with "
                    f"T={s.T:.4g} (thermal speed {np.sqrt(s.T):.3g}); use more points"
                )
        return self
