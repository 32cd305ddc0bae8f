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
unchanged, so a reconstruction keeps the conserved moments exactly (and, when the moments
carry sigma^ and q^, the correction is projected so that the decoded f has exactly those); the
decoder's value at W = 0 is subtracted, so W = 0 decodes to the Maxwellian exactly.

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
#: the equilibrium (g^, h^), shape (2, NXI)
EQUILIBRIUM = np.stack([MAXWELL, MAXWELL])


def constraint_rows(grad=False):
    """(2 NXI, 3 or 5) linear functionals of a correction c = (c_g, c_h) on XI: its mass,
    momentum and energy int (xi^2 c_g + 2 c_h)/2, and with `grad` its sigma^ = int xi^2 c_g
    and q^ = int (xi^3 c_g / 2 + xi c_h)."""
    zero = np.zeros(NXI)
    rows = [np.concatenate([np.ones(NXI), zero]), np.concatenate([XI, zero]),
            np.concatenate([0.5 * XI**2, np.ones(NXI)])]
    if grad:
        rows += [np.concatenate([XI**2, zero]), np.concatenate([0.5 * XI**3, XI])]
    return np.stack(rows, axis=1) * DXI


#: the Grad moments a model may carry explicitly: sigma^ (phi = xi^2, psi = 0; even) and
#: q^ (phi = xi^3 / 2, psi = xi; odd), as (phi, phi', psi, psi') on XI
_ZERO = np.zeros(NXI)
GRAD_EVEN = (XI**2, 2.0 * XI, _ZERO, _ZERO)
GRAD_ODD = (XI**3 / 2.0, 1.5 * XI**2, XI, np.ones(NXI))


class _Weights(nn.Module):
    """phi_k(xi), psi_k(xi) for k < K on XI: (K, 2, NXI), the first n_even even in xi.
    With `grad`, the first even one is sigma^'s and the first odd one q^'s (fixed)."""

    def __init__(self, K, n_even, width=32, grad=False):
        super().__init__()
        self.K, self.n_even, self.grad = K, n_even, grad
        self.n_learn = K - 2 * grad
        self.net = nn.Sequential(nn.Linear(1, width), nn.Tanh(), nn.Linear(width, width),
                                 nn.Tanh(), nn.Linear(width, 2 * max(self.n_learn, 1)))
        self.register_buffer("xi", torch.tensor(XI / 4.0, dtype=torch.float64)[:, None])
        fixed = [torch.tensor(np.stack([np.stack([f[0], f[2]]), np.stack([f[1], f[3]])]))
                 for f in (GRAD_EVEN, GRAD_ODD)]  # each (2: value/derivative, 2, NXI)
        self.register_buffer("fixed", torch.stack(fixed))

    def _learned(self, derivative):
        """Learned weight functions (n_learn, 2, NXI), and d/dxi of them."""
        n_even = self.n_even - self.grad
        sign = torch.ones(2 * max(self.n_learn, 1), dtype=torch.float64, device=self.xi.device)
        sign.view(-1, 2)[n_even:] = -1.0
        with torch.enable_grad():  # the derivative is wanted under no_grad too
            xi = self.xi.detach().clone().requires_grad_(derivative)
            w = 0.5 * (self.net(xi) + sign * self.net(-xi))  # (NXI, channels)
            w = w[:, :2 * self.n_learn]
            if not derivative or self.n_learn == 0:
                return w.T.reshape(self.n_learn, 2, NXI), torch.zeros_like(
                    w.T.reshape(self.n_learn, 2, NXI))
            dw = torch.stack([torch.autograd.grad(w[:, j].sum(), xi, create_graph=True)[0][:, 0]
                              for j in range(w.shape[1])]) / 4.0  # xi here is XI / 4
        return w.T.reshape(self.n_learn, 2, NXI), dw.reshape(self.n_learn, 2, NXI)

    def _assemble(self, learned, which):
        if not self.grad:
            return learned
        n_even = self.n_even - 1
        return torch.cat([self.fixed[0, which][None], learned[:n_even],
                          self.fixed[1, which][None], learned[n_even:]])

    def forward(self):
        return self._assemble(self._learned(False)[0], 0)

    def with_derivative(self):
        """(weights, d weights / d xi), each (K, 2, NXI); the learned derivatives exact
        (autograd), so the frame terms A_n of `closure.moment_equations` are exact."""
        w, dw = self._learned(True)
        return self._assemble(w, 0), self._assemble(dw, 1)


class MomentAutoencoder(nn.Module):
    """K moments W of (g^, h^); `encode` (n, 2, NXI) -> (n, K), `decode` back.  The first
    K // 2 + K % 2 moments are even, the rest odd; with `grad` (K >= 2) the first even one is
    sigma^ = sigma/p and the first odd one q^ = q/(p sqrt(T)), the others learned."""

    def __init__(self, K: int, width: int = 64, depth: int = 2, grad: bool = False):
        super().__init__()
        if grad and K < 2:
            raise ValueError("grad moments need K >= 2 (sigma^ and q^)")
        self.K, self.grad = K, grad
        self.n_even = K - K // 2
        self.weights = _Weights(K, self.n_even, grad=grad)
        layers, n = [], K
        for _ in range(depth):
            layers += [nn.Linear(n, width), nn.Tanh()]
            n = width
        layers.append(nn.Linear(n, 2 * NXI))
        self.decoder = nn.Sequential(*layers)
        self.register_buffer("maxwell", torch.tensor(EQUILIBRIUM))
        B = constraint_rows(grad)
        self.register_buffer("constraints", torch.tensor(B))
        self.register_buffer("gram_inv", torch.tensor(np.linalg.inv(B.T @ B)))
        self.double()

    def encode(self, f):
        return torch.einsum("kcj,ncj->nk", self.weights(), f - self.maxwell) * DXI

    def decode(self, W):
        c = self.decoder(W) - self.decoder(torch.zeros_like(W[:1]))
        want = torch.zeros(W.shape[0], self.constraints.shape[1], dtype=W.dtype, device=W.device)
        if self.grad:  # the decoded sigma^ and q^ are the encoded ones
            want[:, 3] = W[:, 0]
            want[:, 4] = W[:, self.n_even]
        c = c - (c @ self.constraints - want) @ self.gram_inv @ self.constraints.T
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
