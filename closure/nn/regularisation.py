"""Learned regularisation of R13: a bounded, flux-limited scaling of its gradient closures.

R13 in 1D (`closure.systems.r13`) closes Grad's 13-moment fluxes with two regularising
moments, m_xxx = -(6/5) mu d_x(sigma/rho) and R = R_xx + Delta/3 (Maxwell molecules, first
order in the non-equilibrium moments).  The kinetic data say how far off they are: on the
Mach 5.5 Shakhov shock R13's m_xxx explains a tenth of the true int C_x^3 f - 6 q/5, and in
Sod's tube at Kn = 0.3-3 R13's terms are 30-700 times the true ones.  Here a network of the
local non-equilibrium state scales them at each face,

    m_xxx = phi_m m_R13 / (1 + a_m |m_R13| / (p c)),   R = phi_R R_R13 / (1 + a_R |R_R13| / (p T)),

with phi_min < phi < phi_max (sigmoid; phi_min = 0 by default) and a >= 0 (softplus, or
a = 0 with saturate=False) of one network of (asinh sigma^, asinh(q^)^2), sigma^ = sigma/p,
q^ = q/(p c), c = sqrt(T).  Why this form (a flux limiter with learned coefficients):
- for a fixed state each flux is increasing in R13's gradient term, so the regularisation
  stays dissipative and the closed system well-posed; a first version whose multipliers also
  took the gradient terms and the gradient Knudsen number as inputs fitted the data a little
  better (M = 5.5: m_xxx 0.74 against 0.77 relative L2) but made the flux decrease with the
  gradient where it suppressed the large terms, and the Mach 5.5 shock blew up at t = 1.5;
- the hyperbolic part stays R13's (no critical Mach number, no loss of hyperbolicity from the
  network), and the explicit step bound only grows by phi_max;
- the saturation 1 / (1 + a |.|) is how the gradient terms are switched off where they blow
  up (free-molecular flow), the classical flux-limited-diffusion idea;
- the inputs are fluid-frame and dimensionless, so the closure is Galilean and scaling
  invariant, and even in q^ (odd under x -> -x), so the closed system is
  reflection-equivariant by construction (tested to round-off).
The numba kernel (`closure.kernels.regularised`) evaluates the same network from `pack()`.

Training targets: the true m_xxx = int C_x^3 f - 6 q/5 and R = int C^2 C_x^2 f -
theta (5 p + 7 sigma) of the kinetic snapshots (fluid-frame data of `closure.data`), at the
faces between cells as the solver sees them; loss: squared error relative to
|target| + |R13| per sample.
"""

import time

import numpy as np
import torch
from torch import nn

from boltzmann.gas import Gas

from ..data import DXI, XI
from ..kernels import LR13_IN, LR13_OUT
from .modelfile import load_model, save_model

KIND = "r13_regularisation"


class RegularisationNet(nn.Module):
    """The learned regularisation: `forward(state, r13)` maps the face states (N, 2) =
    (sigma^, q^) and R13's scaled terms (N, 2) = (m_xxx/(p c), R/(p T)) to the closed ones
    (N, 2), in the same scaling.  phi lies in (phi_min, phi_max); saturate=False fixes a = 0
    (the network's a outputs are then unused)."""

    def __init__(self, width: int = 32, phi_max: float = 3.0, meta=None, phi_min: float = 0.0,
                 saturate: bool = True):
        super().__init__()
        if not 0.0 <= phi_min < phi_max:
            raise ValueError(f"RegularisationNet: need 0 <= phi_min < phi_max, got phi_min="
                             f"{phi_min}, phi_max={phi_max}")
        self.width, self.phi_max = int(width), float(phi_max)
        self.phi_min, self.saturate = float(phi_min), bool(saturate)
        self.mlp = nn.Sequential(nn.Linear(LR13_IN, width), nn.SiLU(),
                                 nn.Linear(width, width), nn.SiLU(), nn.Linear(width, LR13_OUT))
        self.meta = dict(meta or {})
        self.double()

    @staticmethod
    def inputs(state):
        """The network's inputs (N, 2) = (asinh sigma^, asinh(q^)^2) of face states (N, 2)."""
        z = torch.asinh(torch.as_tensor(state, dtype=torch.float64).clamp(-50.0, 50.0))
        return torch.stack([z[:, 0], z[:, 1] ** 2], 1)

    def coefficients(self, state):
        """phi (N, 2) in (phi_min, phi_max) and a (N, 2) >= 0 of the face states (N, 2)."""
        y = self.mlp(self.inputs(state))
        phi = self.phi_min + (self.phi_max - self.phi_min) * torch.sigmoid(y[:, :2])
        a = nn.functional.softplus(y[:, 2:])
        return phi, a if self.saturate else torch.zeros_like(a)

    def forward(self, state, r13):
        r13 = torch.as_tensor(r13, dtype=torch.float64)
        phi, a = self.coefficients(state)
        return phi * r13 / (1.0 + a * r13.abs())

    def pack(self) -> np.ndarray:
        """phi_max, width, phi_min, saturation switch (0 or 1), W1, b1, W2, b2, W3, b3
        flattened (the kernel's layout)."""
        parts = [np.array([self.phi_max, self.width, self.phi_min, float(self.saturate)])]
        for layer in (self.mlp[0], self.mlp[2], self.mlp[4]):
            parts += [layer.weight.detach().numpy().ravel(), layer.bias.detach().numpy()]
        return np.concatenate(parts)

    def save(self, path, **meta):
        return save_model(path, self, {**self.meta, **meta, "kind": KIND, "width": self.width,
                                       "phi_max": self.phi_max, "phi_min": self.phi_min,
                                       "saturate": self.saturate})

    @classmethod
    def load(cls, path):
        meta, state = load_model(path, KIND)
        net = cls(meta["width"], meta["phi_max"], meta, meta.get("phi_min", 0.0),
                  meta.get("saturate", True))
        net.load_state_dict(state)
        return net


def r13_terms(rho, T, sigma, q, muf, dx):
    """R13's m_xxx and R_xx + Delta/3 at the n - 1 faces between n cells (as the kernel;
    muf the viscosity at the faces' mean temperature)."""
    th = 0.5 * (T[1:] + T[:-1])
    m = -1.2 * muf * np.diff(sigma / rho) / dx
    R = -3.2 * muf / th * np.diff(q * T / rho) / dx
    D = -12.0 * muf / th**2.5 * np.diff(q * T**2.5 / rho) / dx
    return m, R + D / 3.0


def face_states(rho, T, sigma, q):
    """(sigma^, q^) at the n - 1 faces (face means of sigma, q, rho, T), shape (n - 1, 2)."""
    th = 0.5 * (T[1:] + T[:-1])
    pf = 0.5 * (rho[1:] + rho[:-1]) * th
    return np.stack([0.5 * (sigma[1:] + sigma[:-1]) / pf,
                     0.5 * (q[1:] + q[:-1]) / (pf * np.sqrt(th))], axis=1)


def training_data(runs):
    """Faces of every snapshot of `runs` (dataset runs on uniform grids, the viscosity law
    of each run's gas): states (N, 2) = (sigma^, q^), the true (m_xxx, R) (N, 2) and R13's
    (N, 2), the last two scaled per face by (p c, p theta) at the face."""
    w = np.full(XI.size, DXI)
    w[0] = w[-1] = 0.5 * DXI
    X, Y, S = [], [], []
    for r in runs:
        dx = float(r["x"][1] - r["x"][0])
        gas = Gas(omega=float(r.attrs["gas"]["omega"]), dof=int(r.attrs["gas"]["dof"]))
        mu_ref, omega = gas.mu_ref(r.problem.mfp_ref), gas.omega
        for s in range(r["rho"].shape[0]):
            rho, T, sig, q = (r[k][s] for k in ("rho", "T", "sigma_xx", "q_x"))
            g, h = r["g"][s], r["h"][s]
            p = rho * T
            m_true = rho * T**1.5 * ((g * XI**3) @ w) - 1.2 * q
            R_true = rho * T**2 * ((g * XI**4 + 2.0 * h * XI**2) @ w) - T * (5 * p + 7 * sig)
            th = 0.5 * (T[1:] + T[:-1])
            mu = mu_ref * th**omega
            m, R = r13_terms(rho, T, sig, q, mu, dx)
            f = face_states(rho, T, sig, q)
            pf = 0.5 * (rho[1:] + rho[:-1]) * th
            scale = np.stack([pf * np.sqrt(th), pf * th], 1)
            tgt = np.stack([0.5 * (m_true[1:] + m_true[:-1]), 0.5 * (R_true[1:] + R_true[:-1])],
                           1)
            X.append(f)
            Y.append(tgt / scale)
            S.append(np.stack([m, R], 1) / scale)
    return tuple(np.concatenate(a) for a in (X, Y, S))


def _loss(net, X, Y, S):
    P = net(X, S)
    return (((P - Y) ** 2) / (Y**2 + S**2 + 1e-6)).mean()


def roughness(net, X):
    """Mean squared gradient of the network's raw outputs (before sigmoid and softplus) with
    respect to its inputs at the states X (N, 2): a bound on |d log phi / dz|^2 and
    |d a / dz|^2, so a small value means coefficients that change slowly with the state."""
    z = net.inputs(X).requires_grad_(True)
    y = net.mlp(z)
    g = [torch.autograd.grad(y[:, k].sum(), z, create_graph=True)[0] for k in range(y.shape[1])]
    return torch.stack(g).pow(2).sum(-1).mean()


def fit_regularisation(train, val, width=32, phi_max=3.0, epochs=200, lr=3e-3, batch=1024,
                       seed=0, patience=40, smooth=0.0, net=None, progress=None,
                       phi_min=0.0, saturate=True, device="cpu"):
    """Train a RegularisationNet on (states, targets, R13) arrays of `training_data`; early
    stopping on the validation loss (the data term alone).  `smooth` weighs the
    `roughness` penalty on each batch; `net` is trained in place instead of a new
    RegularisationNet(width, phi_max, phi_min=phi_min, saturate=saturate) (a warm start, or
    a subclass), on `device` (`closure.nn.train.training_device`).  Returns (net on the
    CPU, record)."""
    from .train import training_device

    dev = training_device(device)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if net is None:
        net = RegularisationNet(width, phi_max, phi_min=phi_min, saturate=saturate)
    elif (phi_min, saturate) != (0.0, True):
        raise ValueError("fit_regularisation: phi_min and saturate configure a new network; "
                         "with net= they are the given network's own")
    net = net.to(dev)
    tr = [torch.as_tensor(a, device=dev) for a in train]
    va = [torch.as_tensor(a, device=dev) for a in val]
    opt = torch.optim.Adam(net.parameters(), lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    best, best_state, best_epoch, history = np.inf, None, -1, []
    t0 = time.perf_counter()
    n = tr[0].shape[0]
    for epoch in range(epochs):
        perm = torch.as_tensor(rng.permutation(n), device=dev)
        for i in range(0, n, batch):
            j = perm[i:i + batch]
            opt.zero_grad()
            batch_data = [a[j] for a in tr]
            loss = _loss(net, *batch_data)
            if smooth > 0.0:
                loss = loss + smooth * roughness(net, batch_data[0])
            loss.backward()
            opt.step()
        sched.step()
        with torch.no_grad():
            lv = float(_loss(net, *va))
        history.append(lv)
        if lv < best:
            best, best_epoch = lv, epoch
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        if progress is not None:
            progress(epoch, lv)
        if epoch - best_epoch >= patience:
            break
    net.load_state_dict(best_state)
    net = net.cpu()
    record = {"epochs": len(history), "best_epoch": best_epoch, "val_loss": best,
              "first_val_loss": history[0], "train_time_s": time.perf_counter() - t0, "seed": seed,
              "smooth": smooth, "device": str(dev)}
    net.meta.update(record)
    return net, record


def relative_errors(net, X, Y, S):
    """Relative L2 errors of the learned and of R13's (m_xxx, R) against the targets."""
    with torch.no_grad():
        P = net(X, S).numpy()
    err = lambda a: np.linalg.norm(a - Y, axis=0) / np.linalg.norm(Y, axis=0)  # noqa: E731
    return {"learned": err(P), "r13": err(S)}
