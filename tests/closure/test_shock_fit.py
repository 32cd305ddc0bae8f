"""A-posteriori fitting through the shock ODE (closure.nn.shock_fit): the adjoint gradient of
the profile error against finite differences."""

import pytest
import torch

import boltzmann as bz
from boltzmann.errors import InputError
from closure.nn.local import LocalMap
from closure.nn.shock_fit import FreeMap, ShockCase, loss_and_grad
from closure.shock_ode import nsf_shock


def _free_map():
    torch.manual_seed(3)
    return FreeMap(width=6, scale=(0.3, 0.3))


def _convex_map():
    torch.manual_seed(3)
    return LocalMap(width=6, members=2, scale=(0.3, 0.3), box=(-0.5, 1.0, 1.0))


@pytest.mark.parametrize("make", [_free_map, _convex_map], ids=["free", "convex"])
def test_adjoint_gradient_matches_finite_differences(make):
    """Reference: the profile of the map (1.3 s, 0.8 q) at M = 2.5; model: a small random
    free map, or a random convex map through its closed form (`LocalMap.explicit`, whose
    weight gradient goes through the Hessian at 0).  The adjoint directional derivative
    along a random direction agrees with a central difference of the loss to 1e-3 (the
    trapezoidal sensitivity's grid error)."""
    gas = bz.Gas(omega=0.5)
    ref = nsf_shock(2.5, gas, constitutive=lambda s, q: (1.3 * s, 0.8 * q))
    case = ShockCase(2.5, ref["x"], ref, gas)
    model = make()
    params = list(model.parameters())
    L, grads = loss_and_grad(model.explicit, params, model.as_constitutive(), case)
    assert L > 1e-3  # the model is not the reference
    gen = torch.Generator().manual_seed(1)
    direction = [torch.randn(p.shape, generator=gen, dtype=p.dtype) for p in params]
    adjoint = sum(float((g * d).sum()) for g, d in zip(grads, direction))
    eps = 1e-5
    vals = []
    for sign in (1.0, -1.0):
        with torch.no_grad():
            for p, d in zip(params, direction):
                p.add_(sign * eps * d)
        vals.append(loss_and_grad(model.explicit, params, model.as_constitutive(), case)[0])
        with torch.no_grad():
            for p, d in zip(params, direction):
                p.sub_(sign * eps * d)
    fd = (vals[0] - vals[1]) / (2 * eps)
    assert abs(fd) > 1e-3
    assert abs(adjoint - fd) < 1e-3 * abs(fd), (adjoint, fd)


def test_the_reference_map_is_a_stationary_point():
    """With the reference's own map the loss vanishes (to the interpolation error) and so
    does its gradient."""
    gas = bz.Gas(omega=0.5)
    torch.manual_seed(4)
    model = FreeMap(width=4, scale=(0.3, 0.3))
    ref = nsf_shock(2.5, gas, constitutive=model.as_constitutive())
    case = ShockCase(2.5, ref["x"], ref, gas)
    L, grads = loss_and_grad(model, list(model.parameters()), model.as_constitutive(), case)
    assert L < 1e-8
    assert max(float(g.abs().max()) for g in grads) < 1e-3


def test_free_map_with_the_density_gradient_solves_its_implicit_relation():
    """On floats the density-gradient map takes kappa (d = kappa a in the steady shock) and
    returns the a that its own network gives at d = kappa a; it is even under the
    reflection (q, kappa) -> (-q, -kappa) up to the sign of b."""
    torch.manual_seed(0)
    model = FreeMap(width=8, scale=(0.5, 0.5), dscale=0.2)
    cmap = model.as_constitutive()
    assert cmap.density_gradient
    for s, q, kappa in [(0.3, -0.4, 0.6), (0.5, 0.8, -0.3), (-0.1, 0.1, 0.4)]:
        a, b = cmap(s, q, kappa)
        at, bt = model(*(torch.tensor([v], dtype=torch.float64) for v in (s, q, kappa * a)))
        assert abs(a - float(at[0])) < 1e-10 * max(1.0, abs(a))
        assert abs(b - float(bt[0])) < 1e-10 * max(1.0, abs(b))
        a2, b2 = cmap(s, -q, -kappa)
        assert abs(a2 - a) < 1e-10 and abs(b2 + b) < 1e-10
    assert not FreeMap(width=4).as_constitutive().density_gradient


def test_density_gradient_maps_are_refused_by_the_adjoint():
    gas = bz.Gas(omega=0.5)
    ref = nsf_shock(2.0, gas)
    model = FreeMap(width=4, dscale=0.1)
    with pytest.raises(InputError, match="density-gradient"):
        loss_and_grad(model.explicit, list(model.parameters()), model.as_constitutive(),
                      ShockCase(2.0, ref["x"], ref, gas))
