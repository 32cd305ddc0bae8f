"""The closure network: the fluid-frame moments that close the equations of (U, W), predicted
from the learned moments W and the local Knudsen number.

For a moment W_k = int [phi_k(xi) g^ + psi_k(xi) h^] dxi (`moments.py`), the exact evolution
in the local fluid frame (`closure.moment_equations`, checked as a budget on kinetic solutions
in the tests) needs, besides W:

    sigma^ = int xi^2 g^ - 1,  q^ = (1/2) int xi (xi^2 g^ + 2 h^)       (momentum, energy;
                                                                         not when W holds them)
    B_k   = int xi (phi_k g^ + psi_k h^)                                (flux of W_k)
    A_nk  = int xi^n (phi_k' g^ + psi_k' h^),  n = 0, 1, 2              (frame-change terms)
    E_nk  = int xi^n psi_k h^,  n = 0, 1                                (h's 1/T factor)
    P_k   = int (phi_k t_g^ + psi_k t_h^) - (W_k + its Maxwellian value) (tau x production)

`closure_targets` computes them exactly from fluid-frame data (the weight functions'
derivatives by autograd); `ClosureNet` predicts them from (W, log10 Kn_local).  All are
fluid-frame quantities, hence Galilean and scaling invariant; the network is made equivariant
under the reflection x -> -x by construction: its output is the mean of N(W) and
S_out N(S_in W), with S the parity signs of inputs and outputs.
"""

import numpy as np
import torch
from torch import nn

from ..moment_equations import frame_moments
from .moments import GRAD_EVEN, GRAD_ODD

PER_MOMENT = ("B", "A0_", "A1_", "A2_", "E0_", "E1_", "P")


def target_names(K, grad=False):
    """Names of the targets: sigma, q (unless the moments hold them), then per moment k
    B{k}, A0_{k}, A1_{k}, A2_{k}, E0_{k}, E1_{k}, P{k}."""
    names = [] if grad else ["sigma", "q"]
    for k in range(K):
        names += [f"{p}{k}" for p in PER_MOMENT]
    return names


def target_parity(n_even, K, grad=False):
    """+1 / -1 per target: how it transforms under xi -> -xi (x -> -x)."""
    signs = [] if grad else [1.0, -1.0]
    for k in range(K):
        s = 1.0 if k < n_even else -1.0  # parity of phi_k
        signs += [-s, -s, s, -s, s, -s, s]
    return np.array(signs)


def closure_targets(ae, f, t):
    """Exact targets (n, len(target_names)) of fluid-frame distributions f and collision
    targets t, each (n, 2, NXI) (arrays or tensors), for the moments of autoencoder `ae`:
    the frame moments of `closure.moment_equations` for each of its weight functions."""
    f, t = (np.asarray(torch.as_tensor(a).detach()) for a in (f, t))
    g, h, tg, th = f[:, 0], f[:, 1], t[:, 0], t[:, 1]
    cols = []
    if not ae.grad:
        cols += [frame_moments(*GRAD_EVEN, g, h)["W"] - 1.0, frame_moments(*GRAD_ODD, g, h)["W"]]
    with torch.no_grad():
        w, dw = (a.numpy() for a in ae.weights.with_derivative())  # (K, 2, NXI) each
    for k in range(ae.K):
        m = frame_moments(w[k, 0], dw[k, 0], w[k, 1], dw[k, 1], g, h, tg, th)
        cols += [m[key] for key in ("B", "A0", "A1", "A2", "E0", "E1", "P")]
    return torch.as_tensor(np.stack(cols, axis=1))


class ClosureNet(nn.Module):
    """MLP (W, log10 Kn) -> targets, reflection-equivariant by construction and exact at
    equilibrium (W = 0 gives `equilibrium`, the targets of the Maxwellian, for every Kn).
    `scale` (targets' standard deviations) keeps the outputs O(1)."""

    def __init__(self, K, n_even, width=64, depth=3, scale=None, grad=False, equilibrium=None):
        super().__init__()
        self.K = K
        nout = len(target_names(K, grad))
        layers, n = [], K + 1
        for _ in range(depth):
            layers += [nn.Linear(n, width), nn.SiLU()]
            n = width
        layers.append(nn.Linear(n, nout))
        self.net = nn.Sequential(*layers)
        s_in = np.concatenate([np.where(np.arange(K) < n_even, 1.0, -1.0), [1.0]])
        self.register_buffer("s_in", torch.tensor(s_in))
        self.register_buffer("s_out", torch.tensor(target_parity(n_even, K, grad)))
        self.register_buffer("scale", torch.ones(nout) if scale is None
                             else torch.as_tensor(scale))
        self.register_buffer("equilibrium", torch.zeros(nout) if equilibrium is None
                             else torch.as_tensor(equilibrium))
        self.double()

    def _equivariant(self, x):
        return 0.5 * (self.net(x) + self.s_out * self.net(x * self.s_in))

    def forward(self, W, log_kn):
        """Targets at (W, log10 Kn); at W = 0 exactly their Maxwellian values, whatever Kn."""
        x = torch.cat([W, log_kn[:, None]], dim=1)
        x0 = torch.cat([torch.zeros_like(W), log_kn[:, None]], dim=1)
        return (self._equivariant(x) - self._equivariant(x0)) * self.scale + self.equilibrium


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
