"""The one gas model and unit system of the toolkit.

Dimensionless units: reference density rho_0 = 1, temperature T_0 = 1 and gas constant R = 1,
so speeds are in sqrt(R T_0), stresses in rho_0 R T_0 and heat fluxes in rho_0 (R T_0)^(3/2).
For a stationary normal shock the reference state is the upstream one.

Viscosity follows the power law mu = mu_ref (T / T_ref)^omega (omega = 0.5 hard sphere,
0.72, 0.81 argon (VHS), 1.0 Maxwell molecules).  The mean free path of a state is Bird's
hard-sphere form, used for every omega as in UGKS and Kinetic.jl,

    lambda = 16 mu / (5 rho sqrt(2 pi R T))        [Bird 1994, eq. 4.52],

and the Knudsen number of a problem is Kn = lambda_ref / L, with lambda_ref the mean free path
of the reference state (rho = T = 1) and L the problem's length (tube length, wavelength).
"""

from dataclasses import dataclass

import numpy as np

from .errors import InputError

R_GAS = 1.0
#: mu / (rho lambda sqrt(R T)) for Bird's hard-sphere mean free path: 5 sqrt(2 pi) / 16.
MFP_FACTOR = 5.0 * np.sqrt(2.0 * np.pi) / 16.0


@dataclass(frozen=True)
class Gas:
    """A monatomic gas.

    omega: viscosity exponent, mu ~ T^omega, in [0.5, 1].
    dof:   translational degrees of freedom carried by the molecular velocity: 3 for the real
           monatomic gas (gamma = 5/3, represented exactly by the Chu reduction), 1 for the
           plain 1D-velocity gas (gamma = 3) used in quick studies.
    """

    omega: float = 0.5
    dof: int = 3

    def __post_init__(self):
        if not 0.5 <= self.omega <= 1.0:
            raise InputError(f"Gas: viscosity exponent omega={self.omega} outside [0.5, 1]")
        if self.dof not in (1, 3):
            raise InputError(f"Gas: dof={self.dof}; only 3 (monatomic, Chu) or 1 are supported")

    @property
    def gamma(self) -> float:
        return (self.dof + 2.0) / self.dof

    @property
    def cv(self) -> float:
        """Specific heat at constant volume, in R."""
        return 0.5 * self.dof * R_GAS

    @property
    def cp(self) -> float:
        return self.cv + R_GAS

    def sound_speed(self, T):
        return np.sqrt(self.gamma * R_GAS * np.asarray(T, dtype=float))

    def mu_ref(self, mfp_ref: float) -> float:
        """Viscosity at T = 1 of a gas whose state rho = T = 1 has mean free path mfp_ref."""
        return MFP_FACTOR * mfp_ref

    def viscosity(self, T, mu_ref: float):
        return mu_ref * np.asarray(T, dtype=float) ** self.omega

    def mean_free_path(self, rho, T, mu_ref: float):
        """Bird's hard-sphere mean free path 16 mu / (5 rho sqrt(2 pi R T))."""
        T = np.asarray(T, dtype=float)
        return self.viscosity(T, mu_ref) / (MFP_FACTOR * np.asarray(rho) * np.sqrt(R_GAS * T))

    def to_attrs(self) -> dict:
        return {"omega": self.omega, "dof": self.dof, "gamma": self.gamma, "R": R_GAS}
