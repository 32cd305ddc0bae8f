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
