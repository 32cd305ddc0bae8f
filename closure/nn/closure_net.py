"""The closure network: the fluid-frame moments that close the equations of (U, W), predicted
from the learned moments W and the local Knudsen number.

For a learned moment W_k = int [phi_k(xi) g^ + psi_k(xi) h^] dxi (`moments.py`), the exact
evolution in the local fluid frame (docs/learned_closure.md) needs, besides W:

    sigma^ = int xi^2 g^ - 1,  q^ = (1/2) int xi (xi^2 g^ + 2 h^)       (momentum, energy)
    B_k   = int xi (phi_k g^ + psi_k h^)                                (flux of W_k)
    A_nk  = int xi^n (phi_k' g^ + psi_k' h^),  n = 0, 1, 2              (frame-change terms)
    P_k   = int (phi_k t_g^ + psi_k t_h^) - (W_k + its Maxwellian value) (tau x production)

`closure_targets` computes them exactly from fluid-frame data; `ClosureNet` predicts them from
(W, log10 Kn_local).  All are fluid-frame quantities, hence Galilean and scaling invariant; the
network is made equivariant under the reflection x -> -x by construction: its output is the
mean of N(W) and S_out N(S_in W), with S the parity signs of inputs and outputs.
"""

import numpy as np
import torch
from torch import nn

from ..data import DXI, XI


def target_names(K):
    names = ["sigma", "q"]
    for k in range(K):
        names += [f"B{k}", f"A0_{k}", f"A1_{k}", f"A2_{k}", f"P{k}"]
    return names


def target_parity(n_even, K):
    """+1 / -1 per target: how it transforms under xi -> -xi (x -> -x)."""
    signs = [1.0, -1.0]
    for k in range(K):
        s = 1.0 if k < n_even else -1.0  # parity of phi_k
        signs += [-s, -s, s, -s, s]
    return np.array(signs)


def closure_targets(ae, f, t):
    """Exact targets (n, 2 + 5K) of fluid-frame distributions f and collision targets t,
    each (n, 2, NXI), for the encoder of autoencoder `ae`."""
    xi = torch.as_tensor(XI)
    f, t = torch.as_tensor(f), torch.as_tensor(t)
    w = ae.weights()  # (K, 2, NXI)
    dw = torch.gradient(w, spacing=(xi,), dim=2)[0]  # phi', psi' by central differences
    g, h = f[:, 0], f[:, 1]
    sigma = (xi**2 * g).sum(1) * DXI - 1.0
    q = 0.5 * (xi * (xi**2 * g + 2.0 * h)).sum(1) * DXI
    cols = [sigma, q]
    W = torch.einsum("kcj,ncj->nk", w, f) * DXI
    Wt = torch.einsum("kcj,ncj->nk", w, t) * DXI
    for k in range(w.shape[0]):
        cols.append(torch.einsum("cj,ncj->n", w[k] * xi, f) * DXI)
        for n in range(3):
            cols.append(torch.einsum("cj,ncj->n", dw[k] * xi**n, f) * DXI)
        cols.append(Wt[:, k] - W[:, k])
    return torch.stack(cols, dim=1)


class ClosureNet(nn.Module):
    """MLP (W, log10 Kn) -> normalised targets, reflection-equivariant by construction.
    `scale` (targets' standard deviations) keeps the outputs O(1)."""

    def __init__(self, K, n_even, width=64, depth=3, scale=None):
        super().__init__()
        self.K = K
        layers, n = [], K + 1
        for _ in range(depth):
            layers += [nn.Linear(n, width), nn.SiLU()]
            n = width
        layers.append(nn.Linear(n, 2 + 5 * K))
        self.net = nn.Sequential(*layers)
        s_in = np.concatenate([np.where(np.arange(K) < n_even, 1.0, -1.0), [1.0]])
        self.register_buffer("s_in", torch.tensor(s_in))
        self.register_buffer("s_out", torch.tensor(target_parity(n_even, K)))
        self.register_buffer("scale", torch.ones(2 + 5 * K) if scale is None
                             else torch.as_tensor(scale))
        self.double()

    def forward(self, W, log_kn):
        x = torch.cat([W, log_kn[:, None]], dim=1)
        out = 0.5 * (self.net(x) + self.s_out * self.net(x * self.s_in))
        return out * self.scale


def local_knudsen(run):
    """log10 of the gradient Knudsen number lambda (|d ln rho/dx| + |d ln T/dx|) per
    snapshot and cell of a dataset run, shape (ns, nx) (floored at 1e-6)."""
    x = run["x"]
    out = []
    for s in range(run["rho"].shape[0]):
        d = (np.abs(np.gradient(np.log(run["rho"][s]), x))
             + np.abs(np.gradient(np.log(run["T"][s]), x)))
        out.append(np.log10(np.maximum(run["mfp"][s] * d, 1e-6)))
    return np.array(out)
