"""Navier-Stokes-Fourier with non-local, gradient-enhanced dissipative fluxes, fitted to
kinetic shocks (`fit_nonlocal`).  At each face, for sigma_xx and for q_x alike,

    g = w0 G + (1 - w0) K[G],   G = (1 + beta min(Kn, kn_max)) g_NSF,   K = (1 - d/dx l^2 d/dx)^-1,

with Kn = lambda max(|u_x| / sqrt T, |T_x| / T) the gradient Knudsen number, lambda the local
mean free path (`boltzmann.Gas.mean_free_path`) and l = alpha lambda.  K is a screened
(Helmholtz) smoothing over a few mean free paths, of unit weight: it spreads each flux from
where its gradient is to where the fast molecules carry it (the heat-flux precursor of a
strong shock, the flux behind the temperature overshoot), as the multigroup non-local
heat-flux models of plasma physics do [Schurtz, Nicolai & Busquet, Phys. Plasmas 7, 4238
(2000)].  The gain raises the transport where the gradients are steep on the mean free path,
as the shock thickness of kinetic theory asks; kn_max (the training data's largest Kn) caps
it.  Six fitted parameters (w0, alpha, beta per flux) and kn_max from the data.

What holds (tested in `tests/closure/test_nonlocal.py`):
- exactly NSF when w0 = 1 and beta = 0; NSF to first order as Kn -> 0 on a resolved,
  smooth profile (the gain adds O(Kn), the screening O(Kn^2), not Burnett's terms);
- conservation form: mass, momentum and energy conserved to round-off on periodic domains;
  on open domains the end faces carry the local flux G (K is solved with Y = G there), so
  the boundary fluxes vanish where the ends are uniform, as NSF's do;
- Galilean invariance (gradients and the local state only) and reflection symmetry;
- linearly dissipative: about a uniform state each flux damps a mode of wavenumber k at its
  NSF rate times w0 + (1 - w0)/(1 + l^2 k^2) > 0, and the Jacobian on shock profiles has no
  growing mode (tested).  No entropy inequality: the screening is designed
  to carry heat against the local gradient behind a temperature overshoot.  At high k only
  the fraction w0 of NSF's smoothing is left, so w0 > 0 is required.

The screening is a tridiagonal solve over the faces per evaluation (cyclic on periodic
domains), so the time-accurate split step is RKL2 (ROS2 and IMEX would need a linearisation
of the non-local operator).  The explicit bound is NSF's times, per face, the largest over
the two fluxes of (1 + 3 beta Kn)(w0 + (1 - w0) min(1, dx^2 / (4 l^2))) (the screened part's
damping at the grid's wavenumbers; 1 + 3 beta Kn at the faces next to the domain's ends,
whose neighbours carry the unscreened flux), `stepping.dissipative_dt`.
"""

import json
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from scipy.linalg import solve_banded

from boltzmann.errors import InputError
from boltzmann.gas import MFP_FACTOR

from .. import kernels
from .local import EnvelopeWarning
from .nsf import NSF, KernelFluxes

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "nonlocal.json"
FORMAT = "closure.nonlocal/1"


@dataclass(frozen=True)
class NonlocalParams:
    """w0 in (0, 1] (weight of the local part: w0 > 0 keeps a parabolic term), alpha >= 0
    (screening length in mean free paths), beta >= 0 (gain per unit gradient Knudsen number),
    for sigma_xx and q_x; kn_max > 0 caps the Kn of the gains (the largest of the training
    data, so that the gain does not extrapolate; inf: no cap)."""

    w0_sigma: float = 1.0
    alpha_sigma: float = 0.0
    beta_sigma: float = 0.0
    w0_q: float = 1.0
    alpha_q: float = 0.0
    beta_q: float = 0.0
    kn_max: float = np.inf

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
                raise InputError(f"NonlocalParams.{f.name} = {v!r} is not a number")
            if np.isnan(v) or (np.isinf(v) and f.name != "kn_max"):
                raise InputError(f"NonlocalParams.{f.name} = {v} is not finite")
            if f.name.startswith("w0") and not 0.0 < v <= 1.0:
                raise InputError(f"NonlocalParams.{f.name} = {v} outside (0, 1]")
            if f.name == "kn_max" and not v > 0.0:
                raise InputError(f"NonlocalParams.kn_max = {v} is not positive")
            if v < 0.0:
                raise InputError(f"NonlocalParams.{f.name} = {v} is negative")

    def vector(self):
        return np.array([getattr(self, f.name) for f in fields(self)], dtype=float)

    def save(self, path, **meta):
        """A JSON model file (written atomically): the parameters (an infinite kn_max as
        null) and metadata (training data, command, units)."""
        path = Path(path)
        params = {k: (None if np.isinf(v) else float(v)) for k, v in asdict(self).items()}
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps({"format": FORMAT, "params": params, "meta": meta},
                                  indent=1, allow_nan=False) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path):
        """(params, meta) of a model file; a missing, corrupt or foreign file is refused."""
        path = Path(path)
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable non-local closure model file "
                             f"({exc})") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError(f"{path}: not a non-local closure model file (format "
                             f"{doc.get('format') if isinstance(doc, dict) else None!r}, "
                             f"expected {FORMAT!r})")
        p, meta = doc.get("params", {}), doc.get("meta", {})
        names = {f.name for f in fields(cls)}
        if not isinstance(p, dict) or set(p) != names:
            raise InputError(f"{path}: parameters {sorted(p) if isinstance(p, dict) else p} "
                             f"do not match {sorted(names)}")
        if not isinstance(meta, dict):
            raise InputError(f"{path}: its meta is not a JSON object")
        if p["kn_max"] is None:
            p["kn_max"] = np.inf
        try:
            return cls(**p), meta
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from exc


class NonlocalNSF(KernelFluxes, NSF):
    """params: NonlocalParams, the path of a model file, or None for the shipped one
    (`closure/models/nonlocal.json`, experiments/learned_closure/nonlocal_closure.py).
    numba back end only."""

    name = "nonlocal"
    code = kernels.NLNSF

    def __init__(self, gas, mu_ref, prandtl=2.0 / 3.0, params=None):
        super().__init__(gas, mu_ref, prandtl)
        meta = {}
        if not isinstance(params, NonlocalParams):
            path = Path(DEFAULT_MODEL if params is None else params)
            params, meta = NonlocalParams.load(path)
            meta = dict(meta, model_file=str(path))
            want = meta.get("prandtl")
            if want is not None and not isinstance(want, (int, float)):
                raise InputError(f"non-local closure: {path}: meta prandtl {want!r} is not "
                                 "a number")
            if want is not None and abs(want - prandtl) > 1e-12:
                raise InputError(f"non-local closure: {path} was fitted with Pr = {want:.6g}; "
                                 f"Pr = {prandtl:.6g} asked")
            want = meta.get("omega")
            if want is not None and not isinstance(want, (int, float)):
                raise InputError(f"non-local closure: {path}: meta omega {want!r} is not "
                                 "a number")
            if want is not None and abs(want - gas.omega) > 1e-12:
                warnings.warn(f"non-local closure: {path} was fitted at omega = {want}, used "
                              f"with omega = {gas.omega}", stacklevel=2)
        self.params = params
        self._warned = False
        self.model_attrs = {"model_file": meta.get("model_file", "in memory"),
                            "params": json.dumps(asdict(params))}

    @property
    def par(self):
        return np.concatenate([super().par, self.params.vector(), [0.0]])

    def check(self, U, t, x):
        """The domain check, and once per system an `EnvelopeWarning` where the gradient
        Knudsen number exceeds kn_max (the gains are capped there: the closure has not seen
        such gradients)."""
        super().check(U, t, x)
        if self._warned or not np.isfinite(self.params.kn_max) or x.size < 2:
            return
        rho, u, T = self.primitive(U)
        kn = float(gradient_knudsen(x, rho, u, T, self.gas, self.mu_ref).max())
        if kn > self.params.kn_max:
            self._warned = True
            warnings.warn(EnvelopeWarning(
                f"non-local closure: gradient Knudsen number {kn:.3g} at t={t:.4g}, "
                f"{kn / self.params.kn_max:.3g} times the largest of its training data "
                f"({self.params.kn_max:.3g}); its gains are capped there"), stacklevel=2)

    def solver_par(self, bc):
        par = self.par
        par[-1] = 1.0 if bc == kernels.PERIODIC else 0.0
        return par


def screen_numpy(y, l2, dx):
    """(1 - d/dx l2 d/dx)^-1 y on faces, Y = y at the two end faces (scipy's banded solver):
    the reference for `kernels.screen` on open domains."""
    e = 0.5 * (l2[1:] + l2[:-1]) / dx**2
    ab = np.zeros((3, y.size))
    ab[1] = 1.0
    ab[1, :-1] += e
    ab[1, 1:] += e
    ab[0, 1:] = -e
    ab[2, :-1] = -e
    ab[1, [0, -1]] = 1.0
    ab[0, 1] = 0.0  # row 0's upper entry
    ab[2, -2] = 0.0  # row m-1's lower entry
    return solve_banded((1, 1), ab, y)


def _face_terms(x, rho, u, T, gas, mu_ref, prandtl=2.0 / 3.0):
    """What the closure needs of a profile (uniform x), at the faces between its points and
    independent of the parameters: dx, NSF's sigma and q (`NSF._stress_heat`), the mean free
    path lambda and the uncapped gradient Knudsen number."""
    dx = x[1] - x[0]
    th = 0.5 * (T[1:] + T[:-1])
    sigma, q = NSF(gas, mu_ref, prandtl)._stress_heat(u, T, dx)
    lam = gas.viscosity(th, mu_ref) / (MFP_FACTOR * 0.5 * (rho[1:] + rho[:-1]) * np.sqrt(th))
    kn = lam * np.maximum(np.abs(np.diff(u)) / np.sqrt(th), np.abs(np.diff(T)) / th) / dx
    return dx, sigma, q, lam, kn


def _closure_fluxes(terms, params):
    """sigma_xx and q_x of the closure from `_face_terms`."""
    dx, sigma, q, lam, kn = terms
    kn = np.minimum(kn, params.kn_max)
    out = []
    for g, w0, alpha, beta in ((sigma, params.w0_sigma, params.alpha_sigma, params.beta_sigma),
                               (q, params.w0_q, params.alpha_q, params.beta_q)):
        G = (1.0 + beta * kn) * g
        out.append(w0 * G + (1.0 - w0) * screen_numpy(G, (alpha * lam) ** 2, dx))
    return out


def gradient_knudsen(x, rho, u, T, gas, mu_ref):
    """Kn = lambda max(|u_x| / sqrt T, |T_x| / T) at the faces between the points of a
    profile (uniform x), uncapped."""
    return _face_terms(x, rho, u, T, gas, mu_ref)[4]


def apriori_fluxes(x, rho, u, T, params: NonlocalParams, gas, mu_ref, prandtl=2.0 / 3.0):
    """sigma_xx and q_x of the closure at the faces between the points of a profile (uniform
    x), in NumPy: what the kernel computes, for fitting to kinetic profiles.  Returns
    (x_faces, sigma, q)."""
    sigma, q = _closure_fluxes(_face_terms(x, rho, u, T, gas, mu_ref, prandtl), params)
    return 0.5 * (x[1:] + x[:-1]), sigma, q


def _pack(flux, v, w0_min=0.0):
    """The three parameters of one flux from unconstrained v: w0 = w0_min + (1 - w0_min)
    logistic, alpha, beta = exp."""
    w0 = float(w0_min + (1.0 - w0_min) / (1.0 + np.exp(-v[0])))
    return {f"w0_{flux}": w0, f"alpha_{flux}": float(np.exp(v[1])),
            f"beta_{flux}": float(np.exp(v[2]))}


def fit_nonlocal(profiles, gas, mu_ref, prandtl=2.0 / 3.0, window=20.0, w0_min=0.0,
                 starts=((0.0, 0.0, 0.0), (-1.5, 0.7, 1.0), (1.5, -0.7, -1.0))):
    """Fit the six parameters a priori to kinetic profiles: for sigma_xx and q_x apart, the
    sum over the profiles of the squared relative L2 error of `apriori_fluxes` against the
    kinetic fluxes (mean of the two points at each face) over |x| < window, minimised by
    Nelder-Mead from each of `starts` (unconstrained (logit w0, log alpha, log beta));
    w0_min bounds the local weights w0 below; kn_max is the largest Kn in the windows.

    profiles: kinetic solutions (`boltzmann.Solution`: x and the moments) or mappings with
    x (uniform), rho, u, T, sigma_xx, q_x.  Returns (NonlocalParams, {"sigma_xx": loss,
    "q_x": loss})."""
    from scipy.optimize import minimize

    data, kn_max = [], 0.0
    for p in profiles:
        x = np.asarray(p.x if hasattr(p, "x") else p["x"], dtype=float)
        xf = 0.5 * (x[1:] + x[:-1])
        keep = np.abs(xf) < window
        prim = [np.asarray(p[k], dtype=float) for k in ("rho", "u", "T")]
        refs = [0.5 * (np.asarray(p[k])[1:] + np.asarray(p[k])[:-1])[keep]
                for k in ("sigma_xx", "q_x")]
        terms = _face_terms(x, *prim, gas, mu_ref, prandtl)  # once, not per evaluation
        data.append((terms, keep, refs))
        kn_max = max(kn_max, float(terms[4][keep].max()))
    if not data:
        raise InputError("fit_nonlocal: no profiles")
    params, losses = {}, {}
    for k, flux in enumerate(("sigma", "q")):
        others = {f"{n}_{o}": 0.0 if n != "w0" else 1.0 for o in ("sigma", "q") if o != flux
                  for n in ("w0", "alpha", "beta")}

        def loss(v, k=k, flux=flux, others=others):
            par = NonlocalParams(**_pack(flux, v, w0_min), **others, kn_max=kn_max)
            total = 0.0
            for terms, keep, refs in data:
                model = _closure_fluxes(terms, par)[k][keep]
                total += np.sum((model - refs[k]) ** 2) / np.sum(refs[k] ** 2)
            return total

        best = min((minimize(loss, s, method="Nelder-Mead",
                             options={"maxiter": 600, "xatol": 1e-4, "fatol": 1e-8})
                    for s in starts), key=lambda r: r.fun)
        params.update(_pack(flux, best.x, w0_min))
        losses["sigma_xx" if flux == "sigma" else "q_x"] = float(best.fun)
    return NonlocalParams(**params, kn_max=kn_max), losses
