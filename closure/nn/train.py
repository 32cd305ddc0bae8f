"""Training of the learned moments, with validation-based early stopping and a fixed seed;
on the CPU by default, on a GPU when asked (`training_device`)."""

import copy
import time

import numpy as np
import torch

from boltzmann.errors import InputError

from ..data import DXI, XI
from .moments import EQUILIBRIUM, MomentAutoencoder, hermite_reconstruct

#: moments whose reconstruction the loss also weighs: sigma-like, q-like, and the fluxes of
#: q and of sigma (the next moments a closure needs)
_MOMENT_ROWS = np.stack([
    np.concatenate([XI**2, 0 * XI]),
    np.concatenate([XI**3, 2 * XI]),
    np.concatenate([XI**4, 2 * XI**2]),
    np.concatenate([XI**3, 0 * XI]),
]) * DXI


def training_device(device="cpu"):
    """The torch.device to train on: "cpu" (the default everywhere), "cuda" or "cuda:N", or
    "auto" (the first GPU when PyTorch sees one, else the CPU).  Asking for a GPU that is not
    there raises InputError; the trained networks always come back on the CPU, so model
    files and rollouts do not depend on where they were trained."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(str(device))
    except RuntimeError as err:
        raise InputError(f"training device {device!r}: not a device name ({err})") from None
    if dev.type not in ("cpu", "cuda"):
        raise InputError(f"training device {device!r}: only 'cpu', 'cuda[:N]' or 'auto'")
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (dev.index or 0) >= count:
            raise InputError(f"training device {device!r}: PyTorch sees {count} CUDA "
                             f"device(s) (torch {torch.__version__}, CUDA build: "
                             f"{torch.version.cuda or 'no'}); train with device='cpu'")
    return dev


def closure_moments(f):
    """The four moments of _MOMENT_ROWS of f (n, 2, NXI) (array or tensor), shape (n, 4)."""
    if isinstance(f, torch.Tensor):
        return f.reshape(f.shape[0], -1) @ torch.as_tensor(_MOMENT_ROWS, device=f.device).T
    return np.asarray(f).reshape(len(f), -1) @ _MOMENT_ROWS.T


def _loss(model, f, scale_f, scale_m):
    rec = model(f)
    lf = ((rec - f) ** 2).sum(dim=(1, 2)).mean() / scale_f
    lm = (((closure_moments(rec) - closure_moments(f)) / scale_m) ** 2).mean()
    return lf + lm


def _fit(model, loss, n, epochs, lr, batch, rng, patience, progress=None):
    """Adam with a cosine schedule over shuffled batches of the n training samples;
    loss(idx, which) is the loss on training rows idx (which='train') or on all training or
    validation rows (idx None).  Keeps the weights of the best validation loss and stops
    after `patience` epochs without improvement; returns the record."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    best, best_state, best_epoch, hist = np.inf, None, 0, []
    dev = next(model.parameters()).device
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        for idx in np.array_split(rng.permutation(n), max(1, n // batch)):
            idx = torch.as_tensor(idx, device=dev)
            opt.zero_grad()
            loss(idx, "train").backward()
            opt.step()
        sched.step()
        model.eval()
        with torch.no_grad():
            train_loss, val = float(loss(None, "train")), float(loss(None, "val"))
        hist.append((train_loss, val))
        if progress is not None:
            progress(epoch, train_loss, val)
        if val < best:
            best, best_state, best_epoch = val, copy.deepcopy(model.state_dict()), epoch
        elif epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    return {"history": np.array(hist), "best_epoch": best_epoch, "best_val": best,
            "seconds": time.perf_counter() - t0, "device": str(dev)}


def fit_autoencoder(f_train, f_val, K, epochs=300, lr=3e-3, batch=512, seed=0, patience=40,
                    width=64, progress=None, grad=False, device="cpu"):
    """Train a MomentAutoencoder(K) on fluid-frame distributions (n, 2, NXI) with Adam on
    `device` (`training_device`); keeps the weights of the best validation loss and stops
    after `patience` epochs without improvement.  Returns (model on the CPU, record: losses
    per epoch, best epoch, seconds, device)."""
    dev = training_device(device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = MomentAutoencoder(K, width=width, grad=grad).to(dev)
    ft, fv = (torch.as_tensor(np.asarray(a), device=dev) for a in (f_train, f_val))
    noneq = ft - torch.as_tensor(EQUILIBRIUM, device=dev)
    scale_f = float((noneq**2).sum(dim=(1, 2)).mean())
    scale_m = torch.as_tensor(closure_moments(f_train).std(axis=0) + 1e-12, device=dev)
    sets = {"train": ft, "val": fv}

    def loss(idx, which):
        f = sets[which] if idx is None else sets[which][idx]
        return _loss(model, f, scale_f, scale_m)

    rec = _fit(model, loss, len(ft), epochs, lr, batch, rng, patience, progress)
    return model.cpu(), rec | {"scale_f": scale_f}


def reconstruction_errors(f, rec):
    """Relative errors of reconstructions rec of f (n, 2, NXI): of the non-equilibrium part
    ||rec - f|| / ||f - M|| (over the whole set) and of each closure moment."""
    f, rec = np.asarray(f), np.asarray(rec)
    noneq = f - EQUILIBRIUM
    out = {"f": float(np.linalg.norm(rec - f) / np.linalg.norm(noneq))}
    mf, mr = closure_moments(f), closure_moments(rec)
    eq = closure_moments(EQUILIBRIUM[None])[0]
    for k, name in enumerate(("xi2_g", "q_like", "xi4_g", "xi3_g")):
        out[name] = float(np.linalg.norm(mr[:, k] - mf[:, k]) / np.linalg.norm(mf[:, k] - eq[k]))
    return out


def fit_closure(ae, train, val, epochs=400, lr=3e-3, batch=1024, seed=0, patience=60,
                width=64, floor=0.01, device="cpu"):
    """Train a ClosureNet on (f, log_kn) pairs of arrays for the encoder of `ae`:
    inputs (W, log10 Kn), outputs the exact `closure_targets`, loss the squared error in
    units of each target's standard deviation, relative to the sample's distance from
    equilibrium (`floor` in units of W's standard deviations squared); early stopping on
    the validation loss.  The targets are computed on the CPU, the network trained on
    `device` (`training_device`).
    Returns (net on the CPU, record)."""
    from .closure_net import ClosureNet, closure_targets, grad_linearisation

    dev = training_device(device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        data = []
        for f, kn in (train, val):
            data.append((ae.encode(torch.as_tensor(f)), torch.as_tensor(kn),
                         closure_targets(ae, f)))
    scale = data[0][2].std(dim=0) + 1e-12
    with torch.no_grad():
        M = ae.maxwell[None]
        equilibrium = closure_targets(ae, M)[0]
    net = ClosureNet(ae.K, ae.n_even, width=width, scale=scale, grad=ae.grad,
                     equilibrium=equilibrium, linear=grad_linearisation(ae))
    # relative errors: each sample weighs as 1 / (its squared distance from equilibrium + a
    # floor), so near-equilibrium states count as much as the strong shocks
    w_std = data[0][0].std(dim=0) + 1e-12
    sets = {which: tuple(a.to(dev) for a in (W, kn, y, 1.0 / (((W / w_std) ** 2).mean(dim=1)
                                                                  + floor)))
            for which, (W, kn, y) in zip(("train", "val"), data)}
    net, scale = net.to(dev), scale.to(dev)

    def loss(idx, which):
        W, kn, y, w = sets[which] if idx is None else (a[idx] for a in sets[which])
        return ((((net(W, kn) - y) / scale) ** 2).mean(dim=1) * w).mean()

    record = _fit(net, loss, len(data[0][0]), epochs, lr, batch, rng, patience)
    return net.cpu(), record


def hermite_errors(f, K):
    return reconstruction_errors(f, hermite_reconstruct(f, K))
