"""The regularised 13-moment equations (R13) in 1D [Struchtrup & Torrilhon, Phys. Fluids 15,
2668 (2003); shock structures: Torrilhon & Struchtrup, J. Fluid Mech. 513, 171 (2004)].

Grad's 13-moment system (`grad13`) whose closure moments get their gradient corrections: the
fluxes of M_xx = int v_x^2 f and M_xv2 = int v^2 v_x f gain

    m_xxx                      (int C_x^3 f = m_xxx + 6 q / 5)
    2 u m_xxx + R_xx + Delta/3 (int C^2 C_x^2 f = theta (5 p + 7 sigma) + R_xx + Delta/3),

with the regularising moments of Maxwell molecules, m_ijk = -2 (mu/p) [theta d_<i sigma_jk>
- theta sigma_<ij d_k> ln rho], R_ij = -(24/5)(mu/p) [theta d_<i q_j> + q_<i d_j> theta
- theta q_<i d_j> ln rho], Delta = -12 (mu/p) [theta d_k q_k + (5/2) q_k d_k theta
- theta q_k d_k ln rho], kept to first order in the non-equilibrium moments (sigma, q): the
products of sigma or q with velocity gradients and the terms quadratic in sigma, q are
dropped.  Projected on 1D (d_<x sigma_xx> -> 3/5 d_x sigma, d_<x q_x> -> 2/3 d_x q) they read

    m_xxx = -(6/5) mu d_x(sigma / rho),
    R_xx = -(16/5) (mu / theta) d_x(q theta / rho),
    Delta = -12 mu theta^(-5/2) d_x(q theta^(5/2) / rho),

evaluated at the faces as dissipative fluxes (`closure.kernels`).  These second-order terms
smooth the shock at every Mach number, so unlike Grad 13 there is no critical Mach number and
no hyperbolicity requirement on the first-order part.
"""

from .. import kernels
from .base import MomentSystem
from .grad13 import Grad13


class R13(Grad13):
    name = "r13"
    code = kernels.R13

    def check(self, U, t, x):
        MomentSystem.check(self, U, t, x)

    def critical_mach(self):
        return None
