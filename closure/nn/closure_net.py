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

`closure_targets` computes them exactly from fluid-frame data (the weight functions'
derivatives by autograd); `ClosureNet` predicts them from (W, log10 Kn_local).  The collision
production P_k = int (phi_k t_g^ + psi_k t_h^) - (W_k + its Maxwellian value) is not learned:
for the relaxation models the target t^ is affine in q^, so tau P_k = s_k q^ - W_k exactly
(`relaxation_production`).  All are
fluid-frame quantities, hence Galilean and scaling invariant; the network is made equivariant
under the reflection x -> -x by construction: its output is the mean of N(W) and
S_out N(S_in W), with S the parity signs of inputs and outputs.
"""

import numpy as np
import torch
from torch import nn

from boltzmann.errors import InputError

from ..data import DXI, XI, fluid_frame
from ..moment_equations import frame_moments
from .moments import EQUILIBRIUM, GRAD_EVEN, GRAD_ODD

PER_MOMENT = ("B", "A0_", "A1_", "A2_", "E0_", "E1_")


def target_names(K, grad=False):
    """Names of the targets: sigma, q (unless the moments hold them), then per moment k
    B{k}, A0_{k}, A1_{k}, A2_{k}, E0_{k}, E1_{k}."""
    names = [] if grad else ["sigma", "q"]
    for k in range(K):
        names += [f"{p}{k}" for p in PER_MOMENT]
    return names


def target_parity(n_even, K, grad=False):
    """+1 / -1 per target: how it transforms under xi -> -xi (x -> -x)."""
    signs = [] if grad else [1.0, -1.0]
    for k in range(K):
        s = 1.0 if k < n_even else -1.0  # parity of phi_k
        signs += [-s, -s, s, -s, s, -s]
    return np.array(signs)


def closure_targets(ae, f):
    """Exact targets (n, len(target_names)) of fluid-frame distributions f, shape
    (n, 2, NXI) (array or tensor), for the moments of autoencoder `ae`: the frame moments of
    `closure.moment_equations` for each of its weight functions."""
    f = np.asarray(torch.as_tensor(f).detach())
    g, h = f[:, 0], f[:, 1]
    cols = []
    if not ae.grad:
        cols += [frame_moments(*GRAD_EVEN, g, h)["W"] - 1.0, frame_moments(*GRAD_ODD, g, h)["W"]]
    with torch.no_grad():
        w, dw = (a.numpy() for a in ae.weights.with_derivative())  # (K, 2, NXI) each
    for k in range(ae.K):
        m = frame_moments(w[k, 0], dw[k, 0], w[k, 1], dw[k, 1], g, h)
        cols += [m[key] for key in ("B", "A0", "A1", "A2", "E0", "E1")]
    return torch.as_tensor(np.stack(cols, axis=1))


#: collision models whose target is affine in q^ in the fluid frame: t^ = M + q^ S(xi), with
#: S = M (1 - Pr) xi (xi^2 - 3, xi^2 - 1) / 5 for (g^, h^) [Shakhov 1968; Chu-reduced]
RELAXATION_MODELS = ("bgk", "shakhov")


def production_model(labels, omega):
    """The relaxation model whose exact production the closed system uses for kinetic labels
    of the collision model `labels`: bgk and shakhov their own; 'spectral' (the Boltzmann
    equation) Shakhov's, which equals it for Maxwell molecules (omega = 1): the stress relaxes
    at p/mu and the heat flux at (2/3) p/mu [Truesdell & Muncaster 1980], exactly for the
    moments sigma^ and q^, not for other learned moments.  Others raise InputError."""
    if labels in RELAXATION_MODELS:
        return labels
    if labels == "spectral" and omega == 1.0:
        return "shakhov"
    raise InputError(f"labels of {labels!r} (omega = {omega}) have no exact production affine "
                     f"in the moments; use {RELAXATION_MODELS} or 'spectral' with omega = 1")


def relaxation_production(ae, model="shakhov", prandtl=2.0 / 3.0):
    """s (K,) with tau P_k = s_k q^ - W_k for the moments of `ae` under a relaxation model
    (BGK: s = 0).  The Shakhov model needs q^ among the moments (ae.grad)."""
    if model not in RELAXATION_MODELS:
        raise ValueError(f"collision model {model!r}: its production is not affine in the "
                         f"moments; exact productions exist for {RELAXATION_MODELS}")
    if model == "bgk":
        return np.zeros(ae.K)
    if not ae.grad:
        raise ValueError("the Shakhov production needs q^ among the moments (grad=True)")
    M = EQUILIBRIUM[0]
    shape = (1.0 - prandtl) / 5.0 * M * np.stack([XI * (XI**2 - 3.0), XI * (XI**2 - 1.0)])
    with torch.no_grad():
        w = ae.weights().numpy()  # (K, 2, NXI)
    return np.einsum("kcj,cj->k", w, shape) * DXI


def grad_linearisation(ae):
    """(ntargets, K): the targets' first-order response to sigma^ and q^ for Grad's
    distribution M [1 + sigma^ He_2(xi)/2 + q^ (He_3(xi) g-part, xi h-part)/4]
    (the Chapman-Enskog form of the relaxation models), zero for the learned moments."""
    M = EQUILIBRIUM[0]
    sig = np.stack([M * 0.5 * (XI**2 - 1.0), -0.5 * M])
    q = np.stack([M * 0.25 * (XI**3 - 3.0 * XI), 0.25 * M * XI])
    eq = closure_targets(ae, EQUILIBRIUM[None]).numpy()[0]
    out = np.zeros((eq.size, ae.K))
    if ae.grad:
        for k, shape in ((0, sig), (ae.n_even, q)):
            out[:, k] = closure_targets(ae, (EQUILIBRIUM + shape)[None]).numpy()[0] - eq
    return out


class ClosureNet(nn.Module):
    """Targets Y(W, log10 Kn) = Y_eq + L W + sum_k W_k [N_k(W, Kn) - N_k(0, Kn)] * scale:
    exact at equilibrium, with the first-order response L fixed (`grad_linearisation`: near
    equilibrium the closed system is Grad's, hyperbolic) and the MLP N ((ntargets, K)
    outputs) contributing at second order in W only.  Reflection-equivariant by
    construction: N is symmetrised with the parity signs of inputs and outputs."""

    def __init__(self, K, n_even, width=64, depth=3, scale=None, grad=False, equilibrium=None,
                 linear=None):
        super().__init__()
        self.K = K
        nout = len(target_names(K, grad))
        layers, n = [], K + 1
        for _ in range(depth):
            layers += [nn.Linear(n, width), nn.SiLU()]
            n = width
        layers.append(nn.Linear(n, nout * K))
        self.net = nn.Sequential(*layers)
        s_w = np.where(np.arange(K) < n_even, 1.0, -1.0)
        s_out = target_parity(n_even, K, grad)
        self.register_buffer("s_in", torch.tensor(np.concatenate([s_w, [1.0]])))
        self.register_buffer("s_out", torch.tensor(s_out))
        self.register_buffer("s_net", torch.tensor(np.outer(s_out, s_w).ravel()))
        self.register_buffer("scale", torch.ones(nout) if scale is None
                             else torch.as_tensor(scale))
        self.register_buffer("equilibrium", torch.zeros(nout) if equilibrium is None
                             else torch.as_tensor(equilibrium))
        self.register_buffer("linear", torch.zeros(nout, K) if linear is None
                             else torch.as_tensor(linear))
        self.double()

    def _equivariant(self, x):
        return 0.5 * (self.net(x) + self.s_net * self.net(x * self.s_in))

    def forward(self, W, log_kn):
        """Targets (n, ntargets) at W (n, K), log10 Kn (n,)."""
        x = torch.cat([W, log_kn[:, None]], dim=1)
        x0 = torch.cat([torch.zeros_like(W), log_kn[:, None]], dim=1)
        N = (self._equivariant(x) - self._equivariant(x0)).reshape(W.shape[0], -1, self.K)
        return self.equilibrium + W @ self.linear.T + (N @ W[:, :, None])[:, :, 0] * self.scale


#: floor of the gradient Knudsen number (uniform states would give log10 0)
KN_FLOOR = 1e-6


def log_knudsen(mfp, rho, T, spacing):
    """log10 of the gradient Knudsen number lambda (|d ln rho/dx| + |d ln T/dx|) of one
    profile (central differences, `np.gradient` with the cell centres or their spacing),
    floored at KN_FLOOR: the closure network's input, in training and in the solver."""
    d = (np.abs(np.gradient(np.log(rho), spacing))
         + np.abs(np.gradient(np.log(T), spacing)))
    return np.log10(np.maximum(mfp * d, KN_FLOOR))


def local_knudsen(run, mfp_scale=1.0):
    """`log_knudsen` per snapshot and cell of a dataset run, shape (ns, nx), with the mean
    free path times mfp_scale (a model's `meta['mfp_scale']`)."""
    return np.array([log_knudsen(mfp_scale * run["mfp"][s], run["rho"][s], run["T"][s],
                                 run["x"]) for s in range(run["rho"].shape[0])])


def closure_inputs(runs, mfp_scale=1.0):
    """(f (N, 2, NXI), log10 Kn (N,)) of every cell of every snapshot of `runs`: the
    training and test pairs of the closure networks (mfp_scale: `local_knudsen`; evaluate a
    LearnedClosure with its own, `LearnedClosure.mfp_scale`)."""
    return fluid_frame(runs), np.concatenate([local_knudsen(r, mfp_scale).ravel()
                                              for r in runs])
