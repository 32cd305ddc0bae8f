"""Deterministic full Boltzmann collisions: the fast spectral method on a 3D velocity grid."""

from .operator import FastSpectral, VelocityBox, bkw, support_box
from .solver import SCHEMES, SpectralNumerics, SpectralSolver, relax

__all__ = ["FastSpectral", "VelocityBox", "bkw", "support_box", "SCHEMES", "SpectralNumerics",
           "SpectralSolver", "relax"]
