"""Navier-Stokes-Fourier with a learned local constitutive relation (`closure.nn.local`): at
each face the stress and heat flux are the learned map's inverse at the NSF-normalised
gradients,

    sigma = p s(a, b),   q_x = p sqrt(T) q(a, b),   a = sigma_NSF / p,   b = q_NSF / (p sqrt T),

read by the numba kernels from a table built once per model (`LocalMap.inverse_table`).
Mass, momentum and energy stay in conservation form; the exact map is monotone (a convex
potential), so the system is parabolic and its entropy production non-negative (the
tabulated inverse is so to within its interpolation error, and constant beyond |a|, |b| of
about 550); its inputs are dimensionless fluid-frame quantities, so the closure is Galilean
invariant and, s being even and q odd in b, reflection symmetric.  The explicit diffusion
bound is NSF's times the local slope at each interior face (`kernels.local_slope`, numba
back end), or the table's largest slope (NumPy back end).

The steady shock of the same map without time marching is
`closure.shock_ode.nsf_shock(constitutive=LocalMap.as_constitutive())`.
"""

import warnings
from pathlib import Path

import numpy as np

from boltzmann.errors import InputError

from .. import kernels
from .nsf import NSF, KernelFluxes

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "local.pt"


_LOADED = {}


def _load(path):
    """The LocalMap of a model file, loaded (and its inverse table built) once per process
    and file version."""
    from ..nn.local import LocalMap

    key = (str(path.resolve()), path.stat().st_mtime_ns if path.exists() else None)
    if key not in _LOADED:
        _LOADED[key] = LocalMap.load(path)
    return _LOADED[key]


class EnvelopeWarning(UserWarning):
    """The solution reached fluxes outside the box the local map was trained on."""


class LocalNSF(KernelFluxes, NSF):
    """net: a LocalMap, the path of its model file, or None for the shipped default
    (`closure/models/local.pt`: experiments/learned_closure/local_closure.py, then
    local_closure_adjoint.py).
    The map fixes the Prandtl number of its gradient b; another one is refused."""

    name = "local"
    code = kernels.LNSF

    def __init__(self, gas, mu_ref, prandtl=2.0 / 3.0, net=None):
        super().__init__(gas, mu_ref, prandtl)
        if gas.dof != 3:
            raise InputError("local closure: the monatomic gas (dof = 3) only (its entropy "
                             "weights and the map's gradients use c_p = 5/2)")
        from ..nn.local import LocalMap  # torch only when the system is built
        from ..nn.modelfile import weights_digest

        if not isinstance(net, LocalMap):
            net = _load(Path(DEFAULT_MODEL if net is None else net))
        if abs(net.prandtl - prandtl) > 1e-12:
            raise InputError(f"local closure: the map was trained with Pr = {net.prandtl:.6g}; "
                             f"Pr = {prandtl:.6g} asked")
        omega = net.meta.get("omega")
        if omega is not None and abs(omega - gas.omega) > 1e-12:
            warnings.warn(f"local closure: the map was trained on omega = {omega}, used with "
                          f"omega = {gas.omega}", stacklevel=2)
        self.net = net
        self._table, self._kd = net.inverse_table()
        source = net.meta.get("path", "in memory")
        self.model_attrs = {"model_file": source,
                            "weights_sha256": weights_digest(net.state_dict())}
        self._warned = False

    @property
    def par(self):
        return np.concatenate([super().par, [self._kd, self._table.shape[0] // 4,
                                             self._table.shape[1]]])

    @property
    def table(self):
        return self._table

    def envelope_distance(self, U, dx):
        """Largest distance of the cells' (sigma/p, |q_x|/(p sqrt T)) outside the range of
        the map's training data, in units of the data's spread (0 inside)."""
        m = self.diagnostics(U, dx)
        s = m["sigma_xx"] / m["p"]
        q = np.abs(m["q_x"]) / (m["p"] * np.sqrt(m["T"]))
        s0, q0 = self.net.scale.numpy()
        lo, hi, q2 = self.net.box.numpy()
        return float(max(np.max(lo - s) / s0, np.max(s - hi) / s0,
                         np.max(q - np.sqrt(q2)) / q0, 0.0))

    def check(self, U, t, x):
        super().check(U, t, x)
        if not self._warned:
            d = self.envelope_distance(U, x[1] - x[0])
            if d > 0.0:
                self._warned = True
                warnings.warn(EnvelopeWarning(
                    f"local closure: fluxes outside the range of its training data by "
                    f"{d:.3g} of their spread at t={t:.4g}: the map extrapolates there"),
                    stacklevel=2)
