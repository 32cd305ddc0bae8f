"""Moment systems behind one interface (`base.MomentSystem`), registered by name."""

from .base import MomentSystem
from .euler import Euler
from .grad13 import Grad13
from .local import LocalNSF
from .lr13 import LearnedR13
from .nonlocal_nsf import NonlocalNSF, NonlocalParams
from .nsf import NSF
from .r13 import R13

SYSTEMS = {"euler": Euler, "nsf": NSF, "grad13": Grad13, "r13": R13, "lr13": LearnedR13,
           "local": LocalNSF, "nonlocal": NonlocalNSF}

__all__ = ["SYSTEMS", "MomentSystem", "Euler", "NSF", "Grad13", "R13", "LearnedR13",
           "LocalNSF", "NonlocalNSF", "NonlocalParams"]
