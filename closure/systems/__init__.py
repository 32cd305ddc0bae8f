"""Moment systems behind one interface (`base.MomentSystem`), registered by name."""

from .base import MomentSystem
from .euler import Euler
from .grad13 import Grad13
from .nsf import NSF

SYSTEMS = {"euler": Euler, "nsf": NSF, "grad13": Grad13}

__all__ = ["SYSTEMS", "MomentSystem", "Euler", "NSF", "Grad13"]
