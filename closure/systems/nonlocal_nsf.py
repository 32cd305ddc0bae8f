"""Navier-Stokes-Fourier with non-local, gradient-enhanced dissipative fluxes, fitted to
kinetic shocks (`fit_nonlocal`).  At each face, for sigma_xx and for q_x alike,

    g = (1 - a) G + K[a G],   G = (1 + phi beta Kn) g_NSF,   a = phi (1 - w0),
    K = (1 - d/dx l^2 d/dx)^-1,   phi = Kn^2 / (Kn^2 + kn_fade^2)

with Kn = lambda max(|u_x| / sqrt T, |T_x| / T) the gradient Knudsen number (capped at
kn_max), lambda the local mean free path (`boltzmann.Gas.mean_free_path`) and l = alpha
lambda (T_hot / T)^(gamma/2).
K is a screened (Helmholtz) smoothing over a few mean free paths, of unit weight: it spreads
each flux from where its gradient is to where the fast molecules carry it (the heat-flux
precursor of a strong shock, the flux behind the temperature overshoot), as the multigroup
non-local heat-flux models of plasma physics do [Schurtz, Nicolai & Busquet, Phys. Plasmas
7, 4238 (2000)].  The gain raises the transport where the gradients are steep on the mean
free path, as the shock thickness of kinetic theory asks; kn_max (the training data's
largest Kn) caps it.

Two terms of the second version ("closure.nonlocal/2"; all 0 is the first):
- the molecules that carry a flux into cold gas come from the hot side, and with a
  relaxation rate nu(rho, T) (BGK, Shakhov) their free path is sqrt(T_hot) / nu, longer than
  the local lambda by sqrt(T_hot / T); T_hot = max(T, K_hot[T]) is T screened over
  alpha_hot lambda, and gamma (fitted) sets how l follows it (gamma = 1: that argument);
- sigma_xx gains c_sigma (lambda / sqrt T) d/dx of q_x's screened part, the form of the
  heat-flux term of Grad's and the R13 stress balance, whose (4/5) d<q_i/dx_j> gives
  sigma_xx a part -(8/15)(mu/p) dq_x/dx [Grad, Comm. Pure Appl. Math. 2, 331 (1949)], of
  Burnett order (O(Kn^2)); mu/p = 0.783 lambda / sqrt T here, and the screened part tends
  to (1 - w0_q) q_x at long wavelengths, so Grad's value is c_sigma = -0.418 / (1 - w0_q).
  It uses the screened part only, which is bounded at high wavenumbers, so it adds no
  third derivative (Burnett's instability); alpha_q > 0 is required with it, and
  `coupling_ratio` <= 1 (the thermal pressure keeps its sign at every wavenumber).
The third version ("closure.nonlocal/3"; kn_fade = 0 is the second) fades the gains and the
screened weight out where the gradients are weak on the mean free path (phi -> 0 for
Kn << kn_fade), so that weak shocks, which kinetic theory puts close to NSF, keep NSF's
fluxes: without it the gains and the screening each pulled a Mach 1.3-1.65 shock away from
NSF's (better) temperature profile (docs/learned_closure.md, "The third form").
Fitted: w0, alpha, beta, gamma per flux, alpha_hot and c_sigma at a given kn_fade; kn_max
from the data; kn_fade by the smallest a priori loss over a few values
(experiments/learned_closure/nonlocal_closure.py).

What holds (tested in `tests/closure/test_nonlocal.py`):
- exactly NSF when w0 = 1 and beta = 0; NSF to first order as Kn -> 0 on a resolved,
  smooth profile (the gain adds O(Kn), the screening and the coupling O(Kn^2), not
  Burnett's terms; with a fade, phi = O(Kn^2) makes the gain's and the coupling's parts
  O(Kn^3) and the screened weight O(Kn^2), so near equilibrium the closure is NSF to third
  order and drops the Burnett-order terms the second form has there);
- conservation form: mass, momentum and energy conserved to round-off on periodic domains;
  on open domains the end faces carry the local flux G (K is solved with Y = G there, and
  the coupling is 0 there), so the boundary fluxes vanish where the ends are uniform, as
  NSF's do;
- Galilean invariance (gradients and the local state only) and reflection symmetry;
- linearly dissipative about a uniform state: there T_hot = T, and in primitive
  variables the dissipative operator is triangular (the coupling adds a T-term to the
  momentum equation only), so each flux damps a mode of wavenumber k at its NSF rate times
  w0 + (1 - w0)/(1 + l^2 k^2) > 0 (with a fade at its NSF rate: Kn = 0, phi = 0 there).
  On steep profiles the hot-molecule factor is weakly anti-diffusive (where T rises, l
  shortens): the dissipative Jacobian on shock-like
  profiles has a slow growing mode from Mach 5.5 up, bounded in the tests; the marched
  shocks are steady.  No entropy inequality: the screening is designed to carry heat
  against the local gradient behind a temperature overshoot.  At high k only the fraction
  w0 of NSF's smoothing is left, so w0 > 0 is required (w0 > 1/9 with a fade, whose
  weight varies with the gradient, `W0_FADE_MIN`); the fit keeps w0 >= 0.25 (free,
  it takes 0.1 and the marched Mach 4.5 and 5.5 shocks settle into limit cycles; at
  w0 >= 0.2 Mach 4.5 is steady and 5.5 is not).

The screening is a tridiagonal solve over the faces per evaluation (cyclic on periodic
domains; three per evaluation with T_hot).  The time-accurate split step is ROS2 by default,
with an approximate linearisation (NSF's, each face scaled by the gain's slope and the part
of the flux left at the grid's highest wavenumber, `stepping._nonlocal_linearisation`;
ROS2 keeps its classical order two for any such W, though not at stiff step sizes), or
RKL2 with the explicit bound: NSF's times, per
face, the largest over the two fluxes of (1 + 3 beta Kn)(w0 + (1 - w0) min(1, dx^2 / (4
alpha^2 lambda^2))) (the screened part's damping at the grid's wavenumbers, with l >=
alpha lambda; 1 + 3 beta Kn at the faces next to the domain's ends, whose neighbours carry
the unscreened flux; with a fade, (1 + (5 phi - 2 phi^2) beta Kn)(1 - a + a min(...)),
a = phi (1 - w0)), `stepping.dissipative_dt`.  The steady march takes unsplit explicit
steps under that bound.
"""

import json
import warnings
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
from scipy.linalg import solve_banded

from boltzmann.errors import InputError
from boltzmann.gas import MFP_FACTOR
from boltzmann.io import atomic_file

from .. import kernels
from .local import EnvelopeWarning
from .nsf import NSF, KernelFluxes

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "nonlocal.json"
FORMAT = "closure.nonlocal/3"
#: /1: the first form, without the last five parameters; /2: the second, without kn_fade
FORMATS = ("closure.nonlocal/1", "closure.nonlocal/2", FORMAT)
#: with a fade, the local part (1 - phi (1 - w0)) G has the slope 1 - (1 - w0)(3 phi -
#: 2 phi^2) in its gradient (phi' Kn = 2 phi (1 - phi); beta = 0), whose least value over
#: phi, 1 - 9 (1 - w0) / 8, is positive only for w0 > 1/9
W0_FADE_MIN = 1.0 / 9.0


def check_fade_w0(w0, kn_fade, where):
    """An InputError naming `where` when a fade (kn_fade > 0) comes with a w0 (or a lower
    bound of the fit's w0) of at most W0_FADE_MIN: the local part would anti-diffuse at the
    grid scale."""
    if kn_fade > 0.0 and w0 <= W0_FADE_MIN:
        raise InputError(f"{where}: a fade (kn_fade = {kn_fade:g}) needs w0 > 1/9 for both "
                         f"fluxes, got {w0:g}: the local part's slope, 1 - (1 - w0)(3 phi - "
                         "2 phi^2) at beta = 0, is negative below, anti-diffusive at the grid "
                         "scale")


@dataclass(frozen=True)
class NonlocalParams:
    """w0 in (0, 1] (weight of the local part: w0 > 0 keeps a parabolic term), alpha >= 0
    (screening length in mean free paths), beta >= 0 (gain per unit gradient Knudsen number),
    for sigma_xx and q_x; kn_max > 0 caps the Kn of the gains (the largest of the training
    data, so that the gain does not extrapolate; inf: no cap); gamma >= 0 per flux (the
    screening length grows as (T_hot / T)^(gamma/2), T_hot = max(T, K_hot[T]) with the
    screening length alpha_hot lambda of K_hot); c_sigma (any sign) couples sigma_xx to
    the gradient of q_x's screened part; kn_fade >= 0 fades the gains and the screened
    weight out at small gradient Knudsen numbers, by phi = Kn^2 / (Kn^2 + kn_fade^2) (the
    gain 1 + phi beta Kn, the screened weight phi (1 - w0); 0: no fade).  The defaults of
    the last five (0) are the first version's form ("closure.nonlocal/1"), kn_fade = 0 the
    second's ("closure.nonlocal/2")."""

    w0_sigma: float = 1.0
    alpha_sigma: float = 0.0
    beta_sigma: float = 0.0
    w0_q: float = 1.0
    alpha_q: float = 0.0
    beta_q: float = 0.0
    kn_max: float = np.inf
    gamma_sigma: float = 0.0
    gamma_q: float = 0.0
    alpha_hot: float = 0.0
    c_sigma: float = 0.0
    kn_fade: float = 0.0

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
            if v < 0.0 and f.name != "c_sigma":
                raise InputError(f"NonlocalParams.{f.name} = {v} is negative")
        if self.c_sigma != 0.0 and self.w0_q < 1.0 and self.alpha_q == 0.0:
            raise InputError("NonlocalParams: c_sigma != 0 needs alpha_q > 0 (unscreened, the "
                             "coupling is a T_xx term in sigma_xx: a grid-scale instability)")
        check_fade_w0(min(self.w0_sigma, self.w0_q), self.kn_fade,
                      f"NonlocalParams (w0_sigma = {self.w0_sigma:g}, w0_q = {self.w0_q:g})")
        if (self.gamma_sigma > 0.0 or self.gamma_q > 0.0) and self.alpha_hot == 0.0:
            raise InputError("NonlocalParams: gamma > 0 needs alpha_hot > 0 (T_hot = T "
                             "otherwise, and gamma would do nothing)")

    def vector(self):
        return np.array([getattr(self, f.name) for f in fields(self)], dtype=float)

    def save(self, path, **meta):
        """A JSON model file (written atomically): the parameters (an infinite kn_max as
        null) and metadata (training data, command, units)."""
        write_json(path, {"format": FORMAT, "params": self.encoded(), "meta": meta})

    def encoded(self):
        """The parameters as JSON values (an infinite kn_max as null)."""
        return {k: (None if np.isinf(v) else float(v)) for k, v in asdict(self).items()}

    @classmethod
    def load(cls, path):
        """(params, meta) of a model file; a missing, corrupt or foreign file is refused."""
        path = Path(path)
        doc = read_json(path, FORMATS, "non-local closure model")
        p, meta = doc.get("params", {}), doc.get("meta", {})
        names = {f.name for f in fields(cls)}
        if doc["format"] == FORMATS[0]:
            names -= {"gamma_sigma", "gamma_q", "alpha_hot", "c_sigma"}
        if doc["format"] != FORMAT:
            names -= {"kn_fade"}
        if not isinstance(p, dict) or set(p) != names:
            raise InputError(f"{path}: parameters {sorted(p) if isinstance(p, dict) else p} "
                             f"do not match {sorted(names)}")
        if not isinstance(meta, dict):
            raise InputError(f"{path}: its meta is not a JSON object")
        return cls.decoded(p, path), meta

    @classmethod
    def decoded(cls, p, where):
        """The parameters of `encoded` values (a null kn_max: inf); an InputError names
        `where` they came from."""
        if not isinstance(p, dict):
            raise InputError(f"{where}: parameters {p!r} are not a JSON object")
        p = dict(p)
        if p.get("kn_max", 0.0) is None:
            p["kn_max"] = np.inf
        try:
            return cls(**p)
        except (InputError, TypeError) as exc:
            raise InputError(f"{where}: {exc}") from exc


def write_json(path, doc):
    """Write a JSON document atomically (`boltzmann.io.atomic_file`)."""
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    atomic_file(path, lambda tmp: Path(tmp).write_text(text), ".json")


def read_json(path, formats, what):
    """The JSON object of a model file whose "format" is one of `formats`; a missing,
    corrupt or foreign file is refused with an InputError naming `what` it should be."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable {what} file ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") not in formats:
        raise InputError(f"{path}: not a {what} file (format "
                         f"{doc.get('format') if isinstance(doc, dict) else None!r}, "
                         f"expected one of {tuple(formats)})")
    return doc


def coupling_ratio(params, gas, prandtl=2.0 / 3.0):
    """|c_sigma| (1 - w0_q) (c_p / Pr) MFP_FACTOR / alpha_q^2: about a uniform state the
    coupling adds to sigma_xx, at wavenumber k, c_sigma (1 - w0_q) kappa lambda k^2 /
    (sqrt T (1 + l^2 k^2)) times T's perturbation, which for c_sigma < 0 lowers the
    pressure's response to T by up to this ratio times rho (k -> inf); below 1 the thermal
    pressure keeps its sign at every wavenumber (sufficient: periodic waves on 128 cells at
    Kn = 0.03 and 0.3 stayed stable up to 2.0, failed at 3.3).  0 without a coupling."""
    if params.c_sigma == 0.0 or params.w0_q == 1.0:
        return 0.0
    return abs(params.c_sigma) / coupling_limit(params.w0_q, params.alpha_q, gas, prandtl)


def coupling_limit(w0_q, alpha_q, gas, prandtl=2.0 / 3.0):
    """The |c_sigma| at which `coupling_ratio` is 1."""
    return alpha_q ** 2 / (max(1.0 - w0_q, 1e-12) * gas.cp / prandtl * MFP_FACTOR)


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
        ratio = coupling_ratio(params, gas, prandtl)
        if ratio > 1.0:
            raise InputError(f"non-local closure: c_sigma = {params.c_sigma:g} with alpha_q = "
                             f"{params.alpha_q:g}, w0_q = {params.w0_q:g}: the coupling would "
                             f"reverse the thermal pressure at short wavelengths (ratio "
                             f"{ratio:.3g} > 1, `coupling_ratio`)")
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
    path lambda, the uncapped gradient Knudsen number and the face temperature."""
    dx = x[1] - x[0]
    th = 0.5 * (T[1:] + T[:-1])
    sigma, q = NSF(gas, mu_ref, prandtl)._stress_heat(u, T, dx)
    lam = gas.viscosity(th, mu_ref) / (MFP_FACTOR * 0.5 * (rho[1:] + rho[:-1]) * np.sqrt(th))
    kn = lam * np.maximum(np.abs(np.diff(u)) / np.sqrt(th), np.abs(np.diff(T)) / th) / dx
    return dx, sigma, q, lam, kn, th


def _hot_ratio(terms, params):
    """T_hot / T at the faces, T_hot = max(T, K_hot[T]) (1 where no gamma is used)."""
    dx, _, _, lam, _, th = terms
    if params.alpha_hot == 0.0 or (params.gamma_sigma == 0.0 and params.gamma_q == 0.0):
        return np.ones_like(th)
    return np.maximum(screen_numpy(th, (params.alpha_hot * lam) ** 2, dx) / th, 1.0)


def fade_numpy(kn, params):
    """The fade phi = Kn^2 / (Kn^2 + kn_fade^2) of the capped Kn (1 without one)."""
    if params.kn_fade == 0.0:
        return np.ones_like(kn)
    return kn ** 2 / (kn ** 2 + params.kn_fade ** 2)


def _screened(terms, params, flux, ratio):
    """(local part (1 - a) G, screened part K[a G]) of one flux ("sigma" or "q"), a = phi
    (1 - w0) the screened weight."""
    dx, sigma, q, lam, kn, th = terms
    w0, alpha, beta, gamma = (getattr(params, f"{n}_{flux}")
                              for n in ("w0", "alpha", "beta", "gamma"))
    kn = np.minimum(kn, params.kn_max)
    phi = fade_numpy(kn, params)
    G = (1.0 + phi * beta * kn) * (sigma if flux == "sigma" else q)
    a = phi * (1.0 - w0)
    return (1.0 - a) * G, screen_numpy(a * G, (alpha * lam) ** 2 * ratio ** gamma, dx)


def _coupling(terms, params, screened_q):
    """sigma_xx's coupling c_sigma (lambda / sqrt T) d/dx of q's screened part (central
    differences; 0 at the two end faces, which carry the local flux alone)."""
    dx, _, _, lam, _, th = terms
    if params.c_sigma == 0.0:
        return 0.0
    d = np.zeros_like(screened_q)
    d[1:-1] = (screened_q[2:] - screened_q[:-2]) / (2.0 * dx)
    return params.c_sigma * lam / np.sqrt(th) * d


def _closure_fluxes(terms, params):
    """sigma_xx and q_x of the closure from `_face_terms`."""
    ratio = _hot_ratio(terms, params)
    ql, qs = _screened(terms, params, "q", ratio)
    sl, ss = _screened(terms, params, "sigma", ratio)
    return [sl + ss + _coupling(terms, params, qs), ql + qs]


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


#: bounds of the fit's exponentiated variables: lengths of at most e^2.5 = 12 mean free
#: paths (which the domains of the training shocks hold several times), gains of e^4 = 55
LOG_MIN, LOG_LENGTH_MAX, LOG_BETA_MAX = -8.0, 2.5, 4.0


def _exp(v, hi=LOG_LENGTH_MAX):
    """exp of an unconstrained fit variable, within [e^LOG_MIN, e^hi]."""
    return float(np.exp(np.clip(v, LOG_MIN, hi)))


def _logistic(v, lo, hi):
    from scipy.special import expit

    return float(lo + (hi - lo) * expit(v))


# q_x first (its screened part enters sigma_xx's coupling): (logit w0, log alpha, log beta,
# logit gamma / gamma_max, log alpha_hot); sigma_xx: the same four, then c_sigma
STARTS_Q = ((0.0, 0.0, 0.0, 0.0, 2.0), (-1.5, 0.7, 1.0, -1.0, 2.0), (-2.0, 0.6, 1.5, 0.5, 2.0),
            (-1.0, 0.5, 1.5, 1.0, 1.0))
STARTS_SIGMA = ((-1.3, 0.5, 0.5, 0.0, -0.06), (-2.0, 0.2, 0.5, 0.7, -0.06),
                (0.0, 0.0, 0.0, -1.0, -0.03), (-3.0, 0.1, 0.3, 1.0, -0.09))


def _unconstrained(params, flux, w0_min, gamma_max):
    """The fit variables of one flux's parameters (`fit_nonlocal`'s unpack, inverted; values
    at a bound map to +-20)."""
    def logit(y):
        return float(np.log(y / (1.0 - y))) if 0.0 < y < 1.0 else (-20.0 if y <= 0 else 20.0)

    v = [logit((getattr(params, f"w0_{flux}") - w0_min) / (1.0 - w0_min)),
         float(np.log(max(getattr(params, f"alpha_{flux}"), 1e-8))),
         float(np.log(max(getattr(params, f"beta_{flux}"), 1e-8))),
         logit(getattr(params, f"gamma_{flux}") / gamma_max) if gamma_max > 0 else 0.0]
    v.append(float(np.log(max(params.alpha_hot, 1e-8))) if flux == "q" else params.c_sigma)
    return tuple(v)


def fit_nonlocal(profiles, gas, mu_ref, prandtl=2.0 / 3.0, window=20.0, w0_min=0.25,
                 gamma_max=2.0, coupling=True, start=None, kn_fade=0.0):
    """Fit the parameters a priori to kinetic profiles: the sum over the profiles of the
    squared relative L2 error of `apriori_fluxes` against the kinetic fluxes (mean of the
    two points at each face) over |x| < window, minimised by Nelder-Mead from a few starts,
    first for q_x (w0, alpha, beta, gamma, alpha_hot), then for sigma_xx (w0, alpha, beta,
    gamma, c_sigma) at q_x's fitted screened part.  w0 in [w0_min, 1], gamma in [0,
    gamma_max] (0: no hot-molecule length, alpha_hot = 0), lengths at most 12 mean free
    paths in alpha and alpha_hot (the hot-molecule factor lengthens l further), beta at most
    e^4 = 55, |c_sigma| at most half the bound of `coupling_ratio`; coupling=False fixes
    c_sigma = 0 (gamma_max = 0 and coupling=False: the first form).  kn_max is the largest Kn
    in the windows.  Nelder-Mead reports convergence on the flat directions the bounds leave,
    so the parameters that ended at a bound are listed.

    profiles: kinetic solutions (`boltzmann.Solution`: x and the moments) or mappings with
    x (uniform), rho, u, T, sigma_xx, q_x and optionally their own mu_ref (a tube's Kn;
    mu_ref otherwise); profiles without flux are skipped.  start: NonlocalParams to start
    from alone (a warm start, e.g. a bootstrap member from the full fit) instead of the
    fixed starts.  kn_fade: the fade of the gains and the screened weight (`NonlocalParams`),
    held fixed.  Returns (NonlocalParams, {"sigma_xx": loss, "q_x": loss, "at_bounds":
    [names of the parameters at a bound]})."""
    from scipy.optimize import minimize

    if not 0.0 < w0_min < 1.0 or not gamma_max >= 0.0:
        raise InputError(f"fit_nonlocal: w0_min = {w0_min} outside (0, 1) or gamma_max = "
                         f"{gamma_max} negative")
    check_fade_w0(w0_min, kn_fade, "fit_nonlocal (w0_min)")
    data, kn_max = [], 0.0
    for p in profiles:
        x = np.asarray(p.x if hasattr(p, "x") else p["x"], dtype=float)
        xf = 0.5 * (x[1:] + x[:-1])
        keep = np.abs(xf) < window
        prim = [np.asarray(p[k], dtype=float) for k in ("rho", "u", "T")]
        refs = [0.5 * (np.asarray(p[k])[1:] + np.asarray(p[k])[:-1])[keep]
                for k in ("sigma_xx", "q_x")]
        if not all(np.any(r != 0.0) for r in refs):
            continue
        own = p["mu_ref"] if not hasattr(p, "x") and "mu_ref" in p else mu_ref
        terms = _face_terms(x, *prim, gas, own, prandtl)  # once, not per evaluation
        data.append((terms, keep, refs))
        kn_max = max(kn_max, float(terms[4][keep].max()))
    if not data:
        raise InputError("fit_nonlocal: no profiles with flux")

    def unpack(flux, v):
        out = {f"w0_{flux}": _logistic(v[0], w0_min, 1.0), f"alpha_{flux}": _exp(v[1]),
               f"beta_{flux}": _exp(v[2], LOG_BETA_MAX),
               f"gamma_{flux}": _logistic(v[3], 0.0, gamma_max) if gamma_max > 0 else 0.0}
        if out[f"gamma_{flux}"] < 1e-6 * gamma_max:  # at the bound: exactly 0 (no T_hot solve)
            out[f"gamma_{flux}"] = 0.0
        if flux == "q":
            out["alpha_hot"] = _exp(v[4]) if gamma_max > 0 else 0.0
        else:  # c_sigma within half the bound of `coupling_ratio`
            c_max = 0.5 * coupling_limit(params["w0_q"], params["alpha_q"], gas, prandtl)
            out["c_sigma"] = float(np.clip(v[4], -c_max, c_max)) if coupling else 0.0
        return out

    def error(par, k, extra=None):
        total = 0.0
        for j, (terms, keep, refs) in enumerate(data):
            ratio = _hot_ratio(terms, par)
            local, screened = _screened(terms, par, ("sigma", "q")[k], ratio)
            model = local + screened + (0.0 if extra is None else
                                        _coupling(terms, par, extra[j]))
            total += np.sum((model[keep] - refs[k]) ** 2) / np.sum(refs[k] ** 2)
        return total

    def fit(loss, starts):
        return min((minimize(loss, s, method="Nelder-Mead",
                             options={"maxiter": 3000, "xatol": 1e-4, "fatol": 1e-9})
                    for s in starts), key=lambda r: r.fun)

    starts_q, starts_s = STARTS_Q, STARTS_SIGMA
    if start is not None:
        starts_q = (_unconstrained(start, "q", w0_min, gamma_max),)
        starts_s = (_unconstrained(start, "sigma", w0_min, gamma_max),)
    best_q = fit(lambda v: error(NonlocalParams(**unpack("q", v), kn_max=kn_max,
                                                kn_fade=kn_fade), 1),
                 starts_q)
    params = unpack("q", best_q.x)
    qpar = NonlocalParams(**params, kn_max=kn_max, kn_fade=kn_fade)
    screened_q = [_screened(terms, qpar, "q", _hot_ratio(terms, qpar))[1]
                  for terms, _, _ in data]
    best_s = fit(lambda v: error(NonlocalParams(**unpack("sigma", v), **params,
                                                kn_max=kn_max, kn_fade=kn_fade), 0,
                                 screened_q),
                 starts_s)
    params.update(unpack("sigma", best_s.x))
    c_max = 0.5 * coupling_limit(params["w0_q"], params["alpha_q"], gas, prandtl)
    lengths = (np.exp(LOG_MIN), np.exp(LOG_LENGTH_MAX))
    limits = {"w0": (w0_min, 1.0), "alpha": lengths, "alpha_hot": lengths,
              "beta": (np.exp(LOG_MIN), np.exp(LOG_BETA_MAX)), "gamma": (0.0, gamma_max),
              "c_sigma": (-c_max, c_max)}
    at_bounds = [k for k, v in params.items()
                 if any(abs(v - b) <= 1e-6 * max(1.0, abs(b))
                        for b in limits["alpha_hot" if k == "alpha_hot" else
                                        "c_sigma" if k == "c_sigma" else k.split("_")[0]])]
    if not coupling:
        at_bounds = [k for k in at_bounds if k != "c_sigma"]
    if gamma_max == 0.0:
        at_bounds = [k for k in at_bounds if not k.startswith("gamma") and k != "alpha_hot"]
    return NonlocalParams(**params, kn_max=kn_max, kn_fade=kn_fade), {
        "sigma_xx": float(best_s.fun), "q_x": float(best_q.fun), "at_bounds": at_bounds}
