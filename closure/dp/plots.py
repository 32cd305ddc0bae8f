"""Parity plots of a Deep Potential against its labels (`dp test`'s figure): predicted
against reference energy per atom and force components, with the RMSE in the legend."""

import numpy as np

from .train import _predict, _prepared


def predictions(model, frames):
    """(reference, predicted) energy per atom (nframes,) in eV and force components (n,)
    in eV/Angstrom."""
    e_ref, e_pred, f_ref, f_pred = [], [], [], []
    for pos, types, nlist, shifts, e, f, _ in _prepared(model, frames):
        energy, forces, _ = _predict(model, pos, types, nlist, shifts, False)
        e_ref.append(e / len(pos))
        e_pred.append(float(energy.detach()) / len(pos))
        f_ref.append(f.numpy().ravel())
        f_pred.append(forces.detach().numpy().ravel())
    return (np.array(e_ref), np.array(e_pred), np.concatenate(f_ref),
            np.concatenate(f_pred))


def parity_plot(model, frames, path, title="Deep Potential against its labels"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e_ref, e_pred, f_ref, f_pred = predictions(model, frames)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, ref, pred, what, unit in ((axes[0], e_ref, e_pred, "energy per atom", "eV"),
                                      (axes[1], f_ref, f_pred, "force component",
                                       "eV/Angstrom")):
        rmse = np.sqrt(np.mean((pred - ref) ** 2))
        lo, hi = min(ref.min(), pred.min()), max(ref.max(), pred.max())
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
        ax.plot(ref, pred, ".", ms=3, alpha=0.6, label=f"RMSE {rmse:.3g} {unit}")
        ax.set_xlabel(f"reference {what} ({unit})")
        ax.set_ylabel(f"predicted {what} ({unit})")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
