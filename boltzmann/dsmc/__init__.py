"""Direct simulation Monte Carlo (DSMC) of the Boltzmann equation: 1D space, 3D velocities,
no-time-counter collisions of VHS/VSS molecules [Bird 1994], numba-compiled."""

from .molecules import MOLECULES, Molecule, argon, hard_sphere, maxwell, molecule_for
from .sampling import Sampler, moments_from_sums
from .solver import DSMC, DSMCNumerics, inflow_flux, relax_homogeneous

__all__ = ["MOLECULES", "Molecule", "argon", "hard_sphere", "maxwell", "molecule_for",
           "Sampler", "moments_from_sums", "DSMC", "DSMCNumerics", "inflow_flux",
           "relax_homogeneous"]
