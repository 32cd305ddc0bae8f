"""Learned generalised moments of the fluid-frame distribution, and the Hermite baseline.

Both act on fluid-frame distributions (g^, h^) on the grid `closure.data.XI` (see there),
shape (n, 2, NXI), whose normalised mass, momentum and energy are exactly 1, 0, 3/2; the
conserved moments rho, u, T are kept explicit outside, so both only describe the shape.

`MomentAutoencoder`: the encoder takes K generalised moments
    W_k = int [phi_k(xi) g^ + psi_k(xi) h^] dxi  -  (the same of the Maxwellian),
linear in f with smooth weight functions phi_k, psi_k (a small MLP of xi): W = 0 at
equilibrium, and each W_k is even or odd under xi -> -xi by construction (phi(xi) +- phi(-xi)),
so under the reflection x -> -x the even moments stay and the odd ones change sign.  Being
fluid-frame moments they are Galilean and scaling invariant.  The decoder maps W to the
Maxwellian plus a correction projected onto the subspace that leaves mass, momentum and energy
unchanged, so a reconstruction keeps the conserved moments exactly; the decoder's value at
W = 0 is subtracted, so W = 0 decodes to the Maxwellian exactly.

`hermite_reconstruct`: Grad's alternative, the first K non-conserved Hermite coefficients of
(g^, h^) in order of degree (g He2, h He1, g He3, h He2, ...), and the truncated expansion
f = M (1 + sum a_n He_n / n!) they define.
"""

import math

import numpy as np
import torch
from torch import nn

from ..data import DXI, NXI, XI

MAXWELL = np.exp(-0.5 * XI**2) / np.sqrt(2.0 * np.pi)


def conservation_projector():
    """(2 NXI, 2 NXI) orthogonal projector onto corrections c = (c_g, c_h) with
    int c_g = int xi c_g = int (xi^2 c_g + 2 c_h)/2 = 0 on XI."""
    zero = np.zeros(NXI)
    B = np.stack([np.concatenate([np.ones(NXI), zero]),
                  np.concatenate([XI, zero]),
                  np.concatenate([0.5 * XI**2, np.ones(NXI)])], axis=1)  # (2 NXI, 3)
    return np.eye(2 * NXI) - B @ np.linalg.solve(B.T @ B, B.T)


class _Weights(nn.Module):
    """phi_k(xi), psi_k(xi) for k < K on XI: (K, 2, NXI), the first n_even even in xi."""

    def __init__(self, K, n_even, width=32):
        super().__init__()
        self.K, self.n_even = K, n_even
        self.net = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, width),
                                 nn.Tanh(), nn.Linear(width, 2 * K))
        self.register_buffer("xi", torch.tensor(XI / 4.0, dtype=torch.float64)[:, None])

    def forward(self):
        a = self.net(self.xi).T.reshape(self.K, 2, NXI)
        b = self.net(-self.xi).T.reshape(self.K, 2, NXI)
        sign = torch.ones(self.K, 1, 1, dtype=a.dtype)
        sign[self.n_even:] = -1.0
        return 0.5 * (a + sign * b)


class MomentAutoencoder(nn.Module):
    """K learned moments W of (g^, h^); `encode` (n, 2, NXI) -> (n, K), `decode` back.
    The first K // 2 + K % 2 moments are even, the rest odd."""

    def __init__(self, K: int, width: int = 64, depth: int = 2):
        super().__init__()
        self.K = K
        self.n_even = K - K // 2
        self.weights = _Weights(K, self.n_even)
        layers, n = [], K
        for _ in range(depth):
            layers += [nn.Linear(n, width), nn.Tanh()]
            n = width
        layers.append(nn.Linear(n, 2 * NXI))
        self.decoder = nn.Sequential(*layers)
        self.register_buffer("maxwell", torch.tensor(np.stack([MAXWELL, MAXWELL])))
        self.register_buffer("projector", torch.tensor(conservation_projector()))
        self.double()

    def encode(self, f):
        return torch.einsum("kcj,ncj->nk", self.weights(), f - self.maxwell) * DXI

    def decode(self, W):
        c = (self.decoder(W) - self.decoder(torch.zeros_like(W[:1]))) @ self.projector
        return self.maxwell + c.reshape(-1, 2, NXI)

    def forward(self, f):
        return self.decode(self.encode(f))


def hermite_order(K):
    """The first K non-conserved Hermite coefficients: (component, degree), by degree."""
    out, deg = [], 1
    while len(out) < K:
        for comp, n in ((0, deg + 1), (1, deg)):
            if len(out) < K:
                out.append((comp, n))
        deg += 1
    return out


def hermite_polynomials(nmax):
    """Probabilists' Hermite polynomials He_0..He_nmax on XI, shape (nmax + 1, NXI)."""
    H = np.zeros((nmax + 1, NXI))
    H[0] = 1.0
    if nmax >= 1:
        H[1] = XI
    for n in range(1, nmax):
        H[n + 1] = XI * H[n] - n * H[n - 1]
    return H


def hermite_reconstruct(f, K):
    """Truncated Hermite expansion of f (n, 2, NXI) with its first K non-conserved
    coefficients (`hermite_order`); h's He_0 coefficient follows from the energy."""
    order = hermite_order(K)
    He = hermite_polynomials(max(n for _, n in order) + 1)
    f = np.asarray(f)
    series = np.ones((f.shape[0], 2, NXI))
    a2 = np.zeros(f.shape[0])
    for comp, n in order:
        coef = (f[:, comp] * He[n]).sum(axis=1) * DXI
        series[:, comp] += coef[:, None] * He[n] / math.factorial(n)
        if (comp, n) == (0, 2):
            a2 = coef
    series[:, 1] -= 0.5 * a2[:, None]  # int h = 1 - a2/2 keeps the energy 3/2
    return MAXWELL * series


def hermite_moments(f, K):
    """The K Hermite coefficients of `hermite_order(K)`, shape (n, K)."""
    order = hermite_order(K)
    He = hermite_polynomials(max(n for _, n in order))
    return np.stack([(np.asarray(f)[:, c] * He[n]).sum(axis=1) * DXI for c, n in order], 1)
