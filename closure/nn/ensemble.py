"""An ensemble of closure networks: one call gives their mean and their disagreement (the
examiner's signal in concurrent learning), and a warning when inputs leave the training
envelope.

The envelope is the box of the training inputs (W, log10 Kn), each feature widened by 5 % of
its range; the distance reported is the largest excess over the box in units of the
feature's training standard deviation.
"""

import warnings

import numpy as np
import torch

from .train import fit_closure


class EnvelopeWarning(UserWarning):
    """Inputs outside the range the closure was trained on."""


class ClosureEnsemble:
    """Closure networks trained from different seeds on the same data."""

    def __init__(self, nets, low, high, std):
        self.nets = list(nets)
        self.low, self.high, self.std = (np.asarray(a, dtype=float) for a in (low, high, std))
        self.records = []  # the training records, when fitted here

    @classmethod
    def fit(cls, ae, train, val, members=4, seed=0, **kw):
        """Train `members` ClosureNets (seeds seed, seed + 1, ...) on (f, log_kn) pairs;
        keyword arguments go to `fit_closure`, whose records the ensemble keeps (`records`)."""
        fits = [fit_closure(ae, train, val, seed=seed + m, **kw) for m in range(members)]
        with torch.no_grad():
            W = ae.encode(torch.as_tensor(train[0])).numpy()
        X = np.column_stack([W, train[1]])
        span = X.max(axis=0) - X.min(axis=0)
        ens = cls([net for net, _ in fits], X.min(axis=0) - 0.05 * span,
                  X.max(axis=0) + 0.05 * span, X.std(axis=0) + 1e-12)
        ens.records = [rec for _, rec in fits]
        return ens

    def distance(self, W, log_kn):
        """Per sample: largest excess over the envelope in training standard deviations
        (0 inside), shape (n,)."""
        X = np.column_stack([np.asarray(W, dtype=float), np.asarray(log_kn, dtype=float)])
        excess = np.maximum(self.low - X, 0.0) + np.maximum(X - self.high, 0.0)
        return (excess / self.std).max(axis=1)

    def predict(self, W, log_kn, where="closure"):
        """(mean, std) over the members of the predicted targets, each (n, ntargets); warns
        (EnvelopeWarning) with the distance and the sample index when inputs leave the
        training envelope."""
        d = self.distance(W, log_kn)
        if np.any(d > 0.0):
            i = int(np.argmax(d))
            warnings.warn(EnvelopeWarning(
                f"{where}: {np.count_nonzero(d)} of {d.size} inputs outside the training "
                f"envelope, farthest (sample {i}) by {d[i]:.3g} training standard deviations"),
                stacklevel=2)
        W = torch.as_tensor(np.asarray(W, dtype=float))
        kn = torch.as_tensor(np.asarray(log_kn, dtype=float))
        with torch.no_grad():
            out = np.stack([net(W, kn).numpy() for net in self.nets])
        return out.mean(axis=0), out.std(axis=0)
