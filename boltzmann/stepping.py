"""Time-stepping schemes, each a class holding its coefficient table.

The kinetic equation d_t f + v d_x f = (T[f] - f)/tau is split into free transport (explicit,
strong-stability-preserving Runge-Kutta on the MUSCL semi-discretisation) and relaxation
(the exact-in-time, asymptotic-preserving step of `collision.relax`, implicit in the
sense that it is unconditionally stable for any tau), so the step is limited by the CFL number
of transport alone, for every Knudsen number.
"""


class SSPRK2:
    """Two-stage second-order SSP Runge-Kutta (Heun) in Shu-Osher form
    [Shu & Osher, J. Comput. Phys. 77, 439 (1988), eq. (2.15); SSP coefficient 1].
    Stage k: u_k = a_k u_0 + b_k (u_{k-1} + dt L(u_{k-1}))."""

    name = "ssprk2"
    order = 2
    stages = ((0.0, 1.0), (0.5, 0.5))


class SSPRK3:
    """Three-stage third-order SSP Runge-Kutta in Shu-Osher form
    [Shu & Osher, J. Comput. Phys. 77, 439 (1988), eq. (2.18); SSP coefficient 1]."""

    name = "ssprk3"
    order = 3
    stages = ((0.0, 1.0), (0.75, 0.25), (1.0 / 3.0, 2.0 / 3.0))


class Strang:
    """Strang splitting C(dt/2) T(dt) C(dt/2) [Strang, SIAM J. Numer. Anal. 5, 506 (1968)],
    second order; the two half relaxations between consecutive steps are fused into one."""

    name = "strang"
    order = 2
    first = 0.5  # fraction of dt relaxed before the first transport
    last = 0.5  # fraction relaxed after the last transport


class Lie:
    """Lie (Godunov) splitting T(dt) C(dt), first order."""

    name = "lie"
    order = 1
    first = 0.0
    last = 1.0


INTEGRATORS = {c.name: c for c in (SSPRK2, SSPRK3)}
SPLITTINGS = {c.name: c for c in (Strang, Lie)}
