"""Moment systems behind one interface (`base.MomentSystem`), registered by name."""

from .base import MomentSystem
from .euler import Euler
from .nsf import NSF

SYSTEMS = {"euler": Euler, "nsf": NSF}

__all__ = ["SYSTEMS", "MomentSystem", "Euler", "NSF"]
