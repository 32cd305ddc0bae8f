"""Deep Potential for molecular potential-energy surfaces (issue 7): the smooth DeepPot-SE
model, its neighbour lists and an ASE calculator."""

from .model import DeepPot, switch
from .neighbors import NeighborOverflowError, neighbor_list

__all__ = ["DeepPot", "switch", "neighbor_list", "NeighborOverflowError"]
