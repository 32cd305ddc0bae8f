"""The yardstick: errors of a reduced model's profiles against a kinetic reference.

Relative L2 error of a profile phi on the reference's points:
||phi_model - phi_ref|| / ||phi_ref - phi_ref[0]||, i.e. relative to the variation of the
reference across the domain (for sigma_xx and q_x, which vanish at the ends, relative to the
reference itself).  Shock profiles are compared as given (each aligned at its own density
midpoint) on the reference points with |x| <= window; a model profile is interpolated
linearly onto them and continued by its end values.
"""

import numpy as np

NAMES = ("rho", "T", "sigma_xx", "q_x")


def rel_l2(model, ref) -> float:
    """Relative L2 error of `model` against `ref` (module docstring); 0 for a flat ref."""
    ref = np.asarray(ref, dtype=float)
    scale = np.linalg.norm(ref - ref[0])
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(np.asarray(model, dtype=float) - ref) / scale)


def profile_errors(ref_x, ref, x, model, window=None, names=NAMES) -> dict:
    """{name: relative L2 error} of the profiles model[name](x) against ref[name](ref_x),
    over |ref_x| <= window (all points when window is None)."""
    ref_x = np.asarray(ref_x, dtype=float)
    keep = np.ones(ref_x.size, bool) if window is None else np.abs(ref_x) <= window
    out = {}
    for k in names:
        m = np.interp(ref_x[keep], np.asarray(x, dtype=float), np.asarray(model[k]))
        out[k] = rel_l2(m, np.asarray(ref[k])[keep])
    return out


def slashed(errors, names=NAMES, fmt=".3f") -> str:
    """The errors of `names` as one table cell, 'a / b / c'."""
    return " / ".join(f"{errors[k]:{fmt}}" for k in names)


def error_table(rows, names=NAMES) -> str:
    """Markdown table of rows (label, {name: error} or a failure string)."""
    lines = ["| model | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, errs in rows:
        if isinstance(errs, str):
            lines.append(f"| {label} | " + " | ".join(["-"] * len(names)) + f" |  {errs}")
        else:
            lines.append(f"| {label} | " + " | ".join(f"{errs[k]:.3f}" for k in names) + " |")
    return "\n".join(lines)
