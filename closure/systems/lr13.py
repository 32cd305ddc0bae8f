"""R13 with a learned regularisation (`closure.nn.regularisation`): the hyperbolic part,
productions and boundaries of R13 (`systems.r13`), with m_xxx and R_xx + Delta/3 at each face
scaled and saturated by the network (phi m / (1 + a |m|), phi_min < phi < phi_max,
a >= 0),
evaluated inside the numba kernels from the packed weights in `par`
(`closure.kernels.regularised`).

`FrozenR13` is R13 with the network's factors frozen at one state (fixed per face), for
fixed-point studies of the steady shock (experiments/learned_closure/lr13_frozen.py).

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

    def multipliers(self, Ug, dx):
        """K (2, n + 1): the factors by which the network scales R13's m_xxx and
        R_xx + Delta/3 at each face of the ghosted state Ug (1 where R13's term is 0: those
        faces carry no regularising flux at this state, whatever the factor)."""
        plain = face_fluxes(R13(self.gas, self.mu_ref, self.prandtl), Ug, dx)
        learned = face_fluxes(self, Ug, dx)
        return np.stack([np.divide(b, a, out=np.ones_like(a), where=a != 0.0)
                         for a, b in zip(plain, learned)])


def face_fluxes(system, Ug, dx):
    """R13's two regularising moments as `system` closes them, m_xxx and R_xx + Delta/3 at
    the n + 1 faces of the ghosted state Ug (nvar, n + 2 NG)."""
    nvar, ng = Ug.shape
    F = np.zeros((nvar, ng - 2 * kernels.NG + 1))
    kernels.dissipative_flux(system.code, Ug, dx, system.par, F, np.empty((7, ng)),
                             system.table)
    u = Ug[1] / Ug[0]
    c = np.arange(F.shape[1]) + 1  # face f lies between Ug cells f + 1 and f + 2
    return F[3], F[4] - (u[c] + u[c + 1]) * F[3]


class FrozenR13(R13):
    """R13 with its regularising moments scaled by fixed per-face multipliers K (2, n + 1)
    (m_xxx, then R_xx + Delta/3): the learned R13 with its network's coefficients frozen at
    one state (`LearnedR13.multipliers`), for fixed-point studies of its steady shock."""

    name = "lr13-frozen"
    code = kernels.LR13F

    def __init__(self, gas, mu_ref, K, prandtl=2.0 / 3.0):
        super().__init__(gas, mu_ref, prandtl)
        self.K = np.asarray(K, dtype=float)
        if self.K.ndim != 2 or self.K.shape[0] != 2:
            raise ValueError(f"FrozenR13: K has shape {self.K.shape}, not (2, faces)")

    @property
    def par(self):
        return np.concatenate([super().par, self.K.ravel()])
