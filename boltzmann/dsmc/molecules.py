"""Molecular models of DSMC: variable hard and soft spheres (VHS, VSS) [Bird 1994, sec. 2.6,
4.3 and 4.4; Koura & Matsumoto, Phys. Fluids A 3, 2459 (1991)].

In the units of `boltzmann.gas` the molecular mass is m = 1 and k = R = 1, so the number
density equals rho and the velocity variance per component equals T.  A molecule is fixed by
the viscosity it must produce, mu = mu_ref T^omega (mu_ref from the problem's mean free path,
`Gas.mu_ref`), so DSMC shares the toolkit's one mean-free-path definition: Bird's hard-sphere
form lambda = 16 mu / (5 rho sqrt(2 pi T)), exact for hard spheres.

    d_ref^2 = 5 (alpha + 1)(alpha + 2) sqrt(T_ref / pi)
              / (4 alpha (5 - 2 omega)(7 - 2 omega) mu_ref)   [Bird 1994, eq. 4.62 (VHS, alpha = 1)]
    sigma_T(c_r) = pi d_ref^2 (4 T_ref / c_r^2)^(omega - 1/2) / Gamma(5/2 - omega)
                                                        [Bird 1994, eq. 4.63 with m_r = 1/2]
    n <sigma_T c_r> = 4 d_ref^2 n sqrt(pi T_ref) (T / T_ref)^(1 - omega)      [Bird 1994, eq. 4.64]
    VSS deflection: cos chi = 2 R^(1/alpha) - 1, R uniform on (0, 1)          [Bird 1994, eq. 2.36]
"""

from dataclasses import dataclass
from math import gamma, pi, sqrt

from ..errors import InputError

T_REF = 1.0


@dataclass(frozen=True)
class Molecule:
    """A VHS (alpha = 1) or VSS molecule of viscosity exponent omega.

    omega: mu ~ T^omega (0.5 hard sphere, 0.81 argon, 1.0 Maxwell);
    alpha: VSS scattering exponent (1: isotropic, VHS); name: label written to files."""

    omega: float = 0.5
    alpha: float = 1.0
    name: str = "vhs"

    def __post_init__(self):
        if not 0.5 <= self.omega <= 1.0:
            raise InputError(f"Molecule: omega={self.omega} outside [0.5, 1]")
        if not 1.0 <= self.alpha <= 2.0:
            raise InputError(f"Molecule: VSS alpha={self.alpha} outside [1, 2]")

    def d_ref_squared(self, mu_ref: float) -> float:
        """Square of the reference diameter (at T_ref = 1) that gives viscosity mu_ref."""
        if not mu_ref > 0.0:
            raise InputError(f"Molecule: reference viscosity {mu_ref} must be positive")
        a, w = self.alpha, self.omega
        return (5.0 * (a + 1.0) * (a + 2.0) * sqrt(T_REF / pi)
                / (4.0 * a * (5.0 - 2.0 * w) * (7.0 - 2.0 * w) * mu_ref))

    def cross_section_coeff(self, mu_ref: float) -> float:
        """sigma_T c_r = coeff * c_r^(2 - 2 omega)."""
        w = self.omega
        return (pi * self.d_ref_squared(mu_ref) * (4.0 * T_REF) ** (w - 0.5)
                / gamma(2.5 - w))

    @property
    def cross_section_power(self) -> float:
        """The exponent 2 - 2 omega of sigma_T c_r = coeff c_r^(2 - 2 omega)."""
        return 2.0 - 2.0 * self.omega

    def sigma_cr_start(self, mu_ref: float, T: float) -> float:
        """Starting value of the running maximum of sigma_T c_r in NTC: its value at
        c_r = 6 sqrt(T), T the hottest temperature of the problem."""
        return self.cross_section_coeff(mu_ref) * (6.0 * sqrt(T)) ** self.cross_section_power

    def collision_frequency(self, n, T, mu_ref: float):
        """Equilibrium collisions per molecule per unit time, n <sigma_T c_r>."""
        return (4.0 * self.d_ref_squared(mu_ref) * n * sqrt(pi * T_REF)
                * (T / T_REF) ** (1.0 - self.omega))

    def to_attrs(self) -> dict:
        return {"name": "dsmc", "molecule": self.name, "omega": self.omega, "alpha": self.alpha,
                "reference": "Bird, Molecular Gas Dynamics and the Direct Simulation of Gas "
                             "Flows (1994), NTC scheme sec. 11.1"}


def hard_sphere() -> Molecule:
    return Molecule(0.5, 1.0, "hard sphere")


def argon(vss: bool = False) -> Molecule:
    """Argon of Bird 1994, Appendix A: omega = 0.81, VSS alpha = 1.40."""
    return Molecule(0.81, 1.40, "argon VSS") if vss else Molecule(0.81, 1.0, "argon VHS")


def maxwell() -> Molecule:
    return Molecule(1.0, 1.0, "Maxwell VHS")


MOLECULES = {"hs": hard_sphere, "argon": argon, "argon-vss": lambda: argon(True),
             "maxwell": maxwell}


def molecule_for(omega: float, alpha: float = 1.0) -> Molecule:
    """The VHS/VSS molecule of a Gas's omega, with a descriptive name."""
    kind = "VHS" if alpha == 1.0 else "VSS"
    return Molecule(omega, alpha, f"{kind} omega={omega:g}" + ("" if alpha == 1.0
                                                             else f" alpha={alpha:g}"))
