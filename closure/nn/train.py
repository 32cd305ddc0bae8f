"""Training of the learned moments, with validation-based early stopping and a fixed seed."""

import copy
import time

import numpy as np
import torch

from ..data import DXI, XI
from .moments import MAXWELL, MomentAutoencoder, hermite_reconstruct

#: moments whose reconstruction the loss also weighs: sigma-like, q-like, and the fluxes of
#: q and of sigma (the next moments a closure needs)
_MOMENT_ROWS = np.stack([
    np.concatenate([XI**2, 0 * XI]),
    np.concatenate([XI**3, 2 * XI]),
    np.concatenate([XI**4, 2 * XI**2]),
    np.concatenate([XI**3, 0 * XI]),
]) * DXI


def closure_moments(f):
    """The four moments of _MOMENT_ROWS of f (n, 2, NXI) (array or tensor), shape (n, 4)."""
    if isinstance(f, torch.Tensor):
        return f.reshape(f.shape[0], -1) @ torch.as_tensor(_MOMENT_ROWS).T
    return np.asarray(f).reshape(len(f), -1) @ _MOMENT_ROWS.T


def _loss(model, f, scale_f, scale_m):
    rec = model(f)
    lf = ((rec - f) ** 2).sum(dim=(1, 2)).mean() / scale_f
    lm = (((closure_moments(rec) - closure_moments(f)) / scale_m) ** 2).mean()
    return lf + lm


def fit_autoencoder(f_train, f_val, K, epochs=300, lr=3e-3, batch=512, seed=0, patience=40,
                    width=64, progress=None, grad=False):
    """Train a MomentAutoencoder(K) on fluid-frame distributions (n, 2, NXI) with Adam;
    keeps the weights of the best validation loss and stops after `patience` epochs
    without improvement.  Returns (model, record: losses per epoch, best epoch, seconds)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = MomentAutoencoder(K, width=width, grad=grad)
    ft, fv = torch.as_tensor(f_train), torch.as_tensor(f_val)
    noneq = ft - torch.as_tensor(np.stack([MAXWELL, MAXWELL]))
    scale_f = float((noneq**2).sum(dim=(1, 2)).mean())
    scale_m = torch.as_tensor(closure_moments(f_train).std(axis=0) + 1e-12)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    best, best_state, best_epoch, hist = np.inf, None, 0, []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        for idx in np.array_split(rng.permutation(len(ft)), max(1, len(ft) // batch)):
            opt.zero_grad()
            loss = _loss(model, ft[idx], scale_f, scale_m)
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            train_loss = float(_loss(model, ft, scale_f, scale_m))
            val = float(_loss(model, fv, scale_f, scale_m))
        hist.append((train_loss, val))
        if progress is not None:
            progress(epoch, train_loss, val)
        if val < best:
            best, best_state, best_epoch = val, copy.deepcopy(model.state_dict()), epoch
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return model, {"history": np.array(hist), "best_epoch": best_epoch, "best_val": best,
                   "seconds": time.perf_counter() - t0, "scale_f": scale_f}


def reconstruction_errors(f, rec):
    """Relative errors of reconstructions rec of f (n, 2, NXI): of the non-equilibrium part
    ||rec - f|| / ||f - M|| (over the whole set) and of each closure moment."""
    f, rec = np.asarray(f), np.asarray(rec)
    noneq = f - np.stack([MAXWELL, MAXWELL])
    out = {"f": float(np.linalg.norm(rec - f) / np.linalg.norm(noneq))}
    mf, mr = closure_moments(f), closure_moments(rec)
    eq = closure_moments(np.stack([MAXWELL, MAXWELL])[None])[0]
    for k, name in enumerate(("xi2_g", "q_like", "xi4_g", "xi3_g")):
        out[name] = float(np.linalg.norm(mr[:, k] - mf[:, k]) / np.linalg.norm(mf[:, k] - eq[k]))
    return out


def fit_closure(ae, train, val, epochs=400, lr=3e-3, batch=1024, seed=0, patience=60,
                width=64):
    """Train a ClosureNet on (f, t, log_kn) tuples of arrays for the encoder of `ae`:
    inputs (W, log10 Kn), outputs the exact `closure_targets`, loss the mean squared error
    in units of each target's standard deviation; early stopping on the validation loss.
    Returns (net, record)."""
    from .closure_net import ClosureNet, closure_targets

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        data = []
        for f, t, kn in (train, val):
            data.append((ae.encode(torch.as_tensor(f)), torch.as_tensor(kn),
                         closure_targets(ae, f, t)))
    scale = data[0][2].std(dim=0) + 1e-12
    with torch.no_grad():
        M = ae.maxwell[None]
        equilibrium = closure_targets(ae, M, M)[0]
    net = ClosureNet(ae.K, ae.n_even, width=width, scale=scale, grad=ae.grad,
                     equilibrium=equilibrium)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)

    def loss(W, kn, y):
        return (((net(W, kn) - y) / scale) ** 2).mean()

    best, best_state, best_epoch, hist = np.inf, None, 0, []
    t0 = time.perf_counter()
    (Wt, knt, yt), (Wv, knv, yv) = data
    for epoch in range(epochs):
        for idx in np.array_split(rng.permutation(len(Wt)), max(1, len(Wt) // batch)):
            opt.zero_grad()
            lo = loss(Wt[idx], knt[idx], yt[idx])
            lo.backward()
            opt.step()
        sched.step()
        with torch.no_grad():
            hist.append((float(loss(Wt, knt, yt)), float(loss(Wv, knv, yv))))
        if hist[-1][1] < best:
            best, best_state, best_epoch = hist[-1][1], copy.deepcopy(net.state_dict()), epoch
        elif epoch - best_epoch >= patience:
            break
    net.load_state_dict(best_state)
    return net, {"history": np.array(hist), "best_epoch": best_epoch, "best_val": best,
                 "seconds": time.perf_counter() - t0}


def hermite_errors(f, K):
    return reconstruction_errors(f, hermite_reconstruct(f, K))
