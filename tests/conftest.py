import numpy as np
import pytest

import boltzmann as bz


@pytest.fixture(params=["bgk", "shakhov", "esbgk"])
def model(request):
    return request.param


def l1(a, b, dx):
    return float(np.sum(np.abs(a - b)) * dx)


def totals(solver):
    """Total mass, momentum and energy of a solver's interior cells."""
    from boltzmann.moments import field_conserved

    out = np.empty((3, solver.interior.shape[1]))
    field_conserved(solver.interior, solver.grid.v, solver.grid.w, out)
    return out.sum(axis=1) * solver.dx


@pytest.fixture
def gas():
    return bz.Gas(omega=0.5)


def assert_mirrored_tube(make_solver, tube):
    """The mirrored tube (left and right states swapped) run to tube.t_end by the
    moment-system solvers of make_solver(problem) gives the mirrored solution to round-off:
    rho and T even, u odd."""
    mirror = bz.ShockTube(left=tube.right, right=tube.left, t_end=tube.t_end, kn=tube.kn)
    right, left = make_solver(tube), make_solver(mirror)
    right.run_until(tube.t_end)
    left.run_until(tube.t_end)
    rho, u, T = right.system.primitive(right.U)
    rho2, u2, T2 = left.system.primitive(left.U)
    assert np.allclose(rho2[::-1], rho, rtol=1e-12)
    assert np.allclose(-u2[::-1], u, atol=1e-12)
    assert np.allclose(T2[::-1], T, rtol=1e-12)
    return right
