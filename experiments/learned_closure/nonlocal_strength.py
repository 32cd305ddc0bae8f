"""A priori probe of a strength-dependent non-local closure (session 20; not built into the
solver).  The second form of the closure (`closure.systems.nonlocal_nsf` with kn_fade = 0,
fitted here by `fit_nonlocal`) is worse than NSF in T below Mach 2 (`weak_shocks.py`).
Two extensions, each nesting that form, give the fluxes a way to fall back to NSF where the
gradients are weak on the mean free path:

- the gain 1 + beta Kn^p (p >= 1; the second form's p = 1), which is smaller at small Kn for the
  same gain at a strong shock's Kn;
- the screened weight a = (1 - w0) Kn / (Kn + s), the flux being (1 - a) G + K[a G]
  (s = 0: the second form's w0 G + (1 - w0) K[G]), so that weakly non-equilibrium faces
  keep their flux local.

Both fluxes' p and s are refitted with the other parameters, starting from the second form,
on the same Shakhov shocks and window as `nonlocal_closure.py` (Nelder-Mead, q_x first,
then sigma_xx).  Prints and writes the a priori errors (relative L2 of the fluxes on the
kinetic profiles) of NSF, the second form, the extension and the shipped third form (whose
fade, kn_fade, is what worked a posteriori), at weak and strong shocks.
(docs/learned_closure.md, "Weak shocks" and "The third form".)

    .venv/bin/python experiments/learned_closure/nonlocal_strength.py [--out DIR]

(about 1.5 min; writes nonlocal_strength.md).
"""

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np
from local_closure import GAS, PRANDTL, TRAIN, WINDOW_FIT, kinetic  # this folder
from scipy.optimize import minimize
from scipy.special import expit, logit

from closure.metrics import rel_l2
from closure.systems import nonlocal_nsf as nl

HERE = Path(__file__).resolve().parent
SHOWN = (1.3, 1.65, 2.0, 3.0, 5.5, 10.0)
SECOND_FORM = {"q": (1.0, 0.0), "sigma": (1.0, 0.0)}  # (p, s) per flux
P_MAX = 3.0


def fluxes(terms, par, form):
    """sigma_xx and q_x of the extended closure at the faces (`nl._face_terms`)."""
    dx, sigma, q, lam, kn, _ = terms
    ratio = nl._hot_ratio(terms, par)
    kn = np.minimum(kn, par.kn_max)
    parts = {}
    for flux, g in (("q", q), ("sigma", sigma)):
        w0, alpha, beta, gamma = (getattr(par, f"{n}_{flux}")
                                  for n in ("w0", "alpha", "beta", "gamma"))
        p, s = form[flux]
        G = (1.0 + beta * kn ** p) * g
        a = (1.0 - w0) * (kn / (kn + s) if s > 0.0 else 1.0)
        parts[flux] = ((1.0 - a) * G, nl.screen_numpy(a * G, (alpha * lam) ** 2 * ratio ** gamma,
                                                      dx))
    (sl, ss), (ql, qs) = parts["sigma"], parts["q"]
    return sl + ss + nl._coupling(terms, par, qs), ql + qs


def errors(data, par, form=None):
    """{mach: (sigma_xx error, q_x error)} a priori: of the extension's `fluxes`, or with
    form None of the closure itself (`nl._closure_fluxes`, its fade included)."""
    out = {}
    for mach, (terms, keep, refs) in data.items():
        model = nl._closure_fluxes(terms, par) if form is None else fluxes(terms, par, form)
        out[mach] = tuple(rel_l2(m[keep], r) for m, r in zip(model, refs))
    return out


def variables(par, form, flux):
    """The fit variables of one flux, from parameters (the inverse of `unpack`): those of
    `fit_nonlocal` (`nl._unconstrained`), then p and s."""
    p, s = form[flux]
    return np.array([*nl._unconstrained(par, flux, 0.25, 2.0),
                     logit(np.clip((p - 1.0) / (P_MAX - 1.0), 1e-9, 1 - 1e-9)),
                     np.log(max(s, 1e-6))])


def unpack(v, flux):
    """(parameter changes, (p, s)) of the fit variables; w0 >= 0.25 and the length bounds
    of `fit_nonlocal`."""
    d = {f"w0_{flux}": 0.25 + 0.75 * expit(v[0]), f"alpha_{flux}": nl._exp(v[1]),
         f"beta_{flux}": nl._exp(v[2], nl.LOG_BETA_MAX), f"gamma_{flux}": 2.0 * expit(v[3])}
    if flux == "q":
        d["alpha_hot"] = nl._exp(v[4])
    else:
        d["c_sigma"] = float(v[4])
    return d, (1.0 + (P_MAX - 1.0) * expit(v[5]), float(np.exp(np.clip(v[6], -14.0, 3.0))))


def refit(train, par, form):
    """Nelder-Mead from `par` and from three (p, s) starts, q_x then sigma_xx."""
    form = dict(form)
    for k, flux in ((1, "q"), (0, "sigma")):
        def loss(v, flux=flux, k=k, base=par):
            d, f = unpack(v, flux)
            try:
                trial = dataclasses.replace(base, **d)
            except nl.InputError:  # a coupling beyond its bound
                return 1e9
            e = errors(train, trial, {**form, flux: f})
            return sum(v[k] ** 2 for v in e.values())

        starts = [variables(par, {**form, flux: ps}, flux)
                  for ps in (form[flux], (1.5, 0.05), (2.0, 0.2))]
        best = min((minimize(loss, s, method="Nelder-Mead",
                             options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-9})
                    for s in starts), key=lambda r: r.fun)
        d, form[flux] = unpack(best.x, flux)
        par = dataclasses.replace(par, **d)
    return par, form


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    mu_ref = GAS.mu_ref(1.0)
    data, sols = {}, {}
    for mach in sorted(set(TRAIN + SHOWN)):
        sol = sols[mach] = kinetic(mach)
        x = sol.x
        keep = np.abs(0.5 * (x[1:] + x[:-1])) < WINDOW_FIT
        refs = [0.5 * (sol[k][1:] + sol[k][:-1])[keep] for k in ("sigma_xx", "q_x")]
        data[mach] = (nl._face_terms(x, sol["rho"], sol["u"], sol["T"], GAS, mu_ref, PRANDTL),
                      keep, refs)
    second, _ = nl.fit_nonlocal([sols[m] for m in TRAIN], GAS, mu_ref, PRANDTL, WINDOW_FIT)
    t0 = time.perf_counter()
    par, form = refit({m: data[m] for m in TRAIN}, second, SECOND_FORM)
    seconds = time.perf_counter() - t0
    shown = {m: data[m] for m in SHOWN}
    rows = {"NSF": errors(shown, nl.NonlocalParams(), SECOND_FORM),
            "second form": errors(shown, second, SECOND_FORM),
            "strength-dependent": errors(shown, par, form),
            "shipped third form": errors(shown, nl.NonlocalParams.load(nl.DEFAULT_MODEL)[0])}
    lines = [f"# A strength-dependent non-local closure, a priori ({time.strftime('%Y-%m-%d')})",
             "", f"Refitted in {seconds:.0f} s on M = {', '.join(f'{m:g}' for m in TRAIN)}: "
             f"{par.encoded()}; (p, s): "
             + ", ".join(f"{k} ({v[0]:.3g}, {v[1]:.3g})" for k, v in form.items()) + ".", "",
             "sigma_xx / q_x relative L2 of the fluxes on the kinetic profiles "
             f"(|x| < {WINDOW_FIT:g} lambda_1; Mach 1.3, 1.65 and 5.5 are not trained on).", "",
             "| Mach | " + " | ".join(rows) + " |", "|---" * (len(rows) + 1) + "|"]
    for m in SHOWN:
        lines.append(f"| {m:g} | " + " | ".join(f"{r[m][0]:.3f} / {r[m][1]:.3f}"
                                               for r in rows.values()) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    (args.out / "nonlocal_strength.md").write_text(text)


if __name__ == "__main__":
    main()
