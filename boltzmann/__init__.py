"""boltzmann: the kinetic (microscale) model of the toolkit.

Discrete-velocity solver of BGK-type kinetic equations (BGK, Shakhov, ES-BGK) in 1D physical
space with the Chu-reduced 3D molecular velocity, numba-compiled; the full Boltzmann equation
by DSMC (`boltzmann.dsmc`) and by the fast spectral method (`boltzmann.spectral`); `solve`
picks any of them by name.  Knows nothing of ML.
"""

from .collision import COLLISIONS, CollisionModel, get_model
from .diagnostics import density_midpoint, reciprocal_thickness
from .errors import FileFormatError, InputError, SolutionError
from .gas import Gas
from .io import read_solution, write_solution
from .problems import NormalShock, PeriodicWave, ShockTube, State, rankine_hugoniot
from .profiles import ProfileSolution
from .solver import KineticSolver, Numerics, Solution
from .solvers import SOLVERS, solve
from .velocity import VelocityGrid

__all__ = [
    "COLLISIONS", "CollisionModel", "get_model", "FileFormatError", "InputError",
    "SolutionError", "Gas", "read_solution", "write_solution", "NormalShock", "PeriodicWave",
    "ShockTube", "State", "rankine_hugoniot", "KineticSolver", "Numerics", "Solution",
    "VelocityGrid", "density_midpoint", "reciprocal_thickness", "ProfileSolution", "SOLVERS",
    "solve",
]

__version__ = "0.1.0"
