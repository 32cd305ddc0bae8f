"""R13 with a learned regularisation (`closure.nn.regularisation`): the hyperbolic part,
productions and boundaries of R13 (`systems.r13`), with m_xxx and R_xx + Delta/3 at each face
scaled and saturated by the network (phi m / (1 + a |m|), 0 < phi < phi_max, a >= 0),
evaluated inside the numba kernels from the packed weights in `par`
(`closure.kernels.regularised`).

Mass, momentum and energy stay in conservation form (the network only touches the fluxes of
the two non-conserved moments), so they are conserved exactly; the explicit diffusion bound
is R13's times phi_max.
"""

from pathlib import Path

import numpy as np

from .. import kernels
from .r13 import R13

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "lr13.pt"


class LearnedR13(R13):
    """net: a RegularisationNet, the path of its model file, or None for the shipped
    default (`closure/models/lr13.pt`, trained by experiments/learned_closure/lr13.py)."""

    name = "lr13"
    code = kernels.LR13

    def __init__(self, gas, mu_ref, prandtl=2.0 / 3.0, net=None):
        super().__init__(gas, mu_ref, prandtl)
        from ..nn.regularisation import RegularisationNet

        if not isinstance(net, RegularisationNet):
            net = RegularisationNet.load(DEFAULT_MODEL if net is None else net)
        self.net = net
        self._packed = net.pack()

    @property
    def par(self):
        return np.concatenate([super().par, self._packed])
