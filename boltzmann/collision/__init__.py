"""Collision models as plug-ins.

A model is a `CollisionModel`: a name, its Chapman-Enskog Prandtl number, its collision
frequency nu (1/tau = nu p/mu), the decay rates (in p/mu) of sigma_xx and q_x in a
homogeneous relaxation, and the code of its numba `target(G, H, v, dof, rho, u, T, sigma, q,
prandtl)`, the distribution the model relaxes to.  The shared step in `relax.py` does the rest
(exact discrete conservation, asymptotic-preserving exponential integration).  To add a model,
write its target, give it a code in `relax.target` and register a factory in COLLISIONS
(see docs/extending.md).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .relax import TARGET_CODES, equilibrium_field, relax

MONATOMIC_PRANDTL = 2.0 / 3.0


@dataclass(frozen=True)
class CollisionModel:
    name: str
    prandtl: float
    nu: float
    rate_sigma: float
    rate_q: float
    code: int
    reference: str

    def relax(self, f, grid, dof, mu_ref, omega, dt):
        """Relax f (ncomp, nx, nv) in place over dt."""
        relax(f, grid.v, grid.w, dof, mu_ref, omega, dt, self.nu, self.rate_sigma, self.rate_q,
              self.prandtl, self.code)

    def to_attrs(self) -> dict:
        return {"name": self.name, "prandtl": self.prandtl, "reference": self.reference}


def make_bgk(prandtl=None) -> CollisionModel:
    if prandtl not in (None, 1.0):
        raise InputError(f"bgk: the Prandtl number of BGK is 1, not {prandtl}")
    return CollisionModel("bgk", 1.0, 1.0, 1.0, 1.0, TARGET_CODES["bgk"],
                          "Bhatnagar, Gross & Krook, Phys. Rev. 94, 511 (1954)")


def make_shakhov(prandtl=None) -> CollisionModel:
    pr = MONATOMIC_PRANDTL if prandtl is None else float(prandtl)
    if not 0.0 < pr <= 1.5:
        raise InputError(f"shakhov: Prandtl number {pr} outside (0, 1.5]")
    return CollisionModel("shakhov", pr, 1.0, 1.0, pr, TARGET_CODES["shakhov"],
                          "Shakhov, Fluid Dyn. 3, 95 (1968)")


def make_esbgk(prandtl=None) -> CollisionModel:
    pr = MONATOMIC_PRANDTL if prandtl is None else float(prandtl)
    if not (np.isfinite(pr) and pr >= MONATOMIC_PRANDTL - 1e-12):
        raise InputError(f"esbgk: Prandtl number {pr} < 2/3 makes the ES Gaussian "
                         "non-positive (nu = 1 - 1/Pr must be >= -1/2)")
    return CollisionModel("esbgk", pr, pr, 1.0, pr, TARGET_CODES["esbgk"],
                          "Holway, Phys. Fluids 9, 1658 (1966)")


COLLISIONS: dict[str, Callable[..., CollisionModel]] = {
    "bgk": make_bgk,
    "shakhov": make_shakhov,
    "esbgk": make_esbgk,
}


def get_model(name: str, prandtl=None) -> CollisionModel:
    try:
        factory = COLLISIONS[name]
    except KeyError:
        raise InputError(f"unknown collision model {name!r}; "
                         f"choose one of {sorted(COLLISIONS)}") from None
    return factory(prandtl)


__all__ = ["COLLISIONS", "CollisionModel", "get_model", "equilibrium_field", "relax",
           "MONATOMIC_PRANDTL"]
