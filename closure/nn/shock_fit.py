"""Fitting a local constitutive map to kinetic shock profiles a posteriori: through the
stationary-shock ODE (`closure.shock_ode.nsf_shock`), with the gradient of the profile error
by the discrete adjoint of the ODE's sensitivity equation.

The map (a, b) = map(s, q; theta) of `closure.shock_ode` gives the profile y = (u, T)(x) as
the solution of y' = f(y, theta) from a start next to the downstream saddle (independent of
theta: the maps here are the identity to first order, so the saddle's eigenvectors are
NSF's).  On the solution's uniform grid x_0 = 0 > x_1 > ... (step delta < 0, from the
saddle upstream) the sensitivity S = dy/dtheta obeys the trapezoidal rule

    (I - delta/2 J_{k+1}) S_{k+1} = (I + delta/2 J_k) S_k + delta/2 (F_k + F_{k+1}),  S_0 = 0,

J = df/dy, F = df/dtheta (A-stable, so the stiff contraction towards the orbit costs
nothing).  With g_k = dL/dy_k of a loss L of the grid values (the density midpoint, the
interpolation onto the reference points and the relative L2 errors of `closure.metrics`,
all by autograd), the backward recursion mu_K = g_K, mu_k = g_k + A_k^T mu_{k+1}
(A_k = M_{k+1}^-1 (I + delta/2 J_k), M = I - delta/2 J) gives dL/dtheta = sum_k c_k . F_k
with c_k = nu_k + nu_{k-1}, nu_k = delta/2 M_{k+1}^-T mu_{k+1}: one backward pass of
sum_k c_k . f(y_k, theta).  The forward solve is scipy's (LSODA, `nsf_shock`), so the
profile is accurate; the gradient is that of the trapezoidal sensitivity along it, which
converges with the grid (tested against finite differences).  The grid's own dependence on
theta (its length comes from where the orbit reaches the upstream state) is ignored: the
loss does not depend on the grid beyond its interpolation error.  The density midpoint is
found by bisection (`searchsorted`), which assumes a monotone density, as in a shock.
"""

import numpy as np
import torch
from numba import njit

from boltzmann.errors import InputError, SolutionError
from boltzmann.gas import Gas

from ..metrics import NAMES
from ..shock_ode import closing_fluxes, nsf_shock, shock_invariants


class ShockCase:
    """One kinetic reference shock: Mach number, gas, Prandtl number, and the reference
    profiles {rho, T, sigma_xx, q_x} on their points ref_x (aligned at the density midpoint),
    kept for |ref_x| <= window."""

    def __init__(self, mach, ref_x, ref, gas: Gas, prandtl=2.0 / 3.0, window=15.0):
        self.mach, self.gas, self.prandtl = float(mach), gas, float(prandtl)
        keep = np.abs(np.asarray(ref_x)) <= window
        self.xi = torch.tensor(np.asarray(ref_x, dtype=float)[keep])
        self.ref = {k: torch.tensor(np.asarray(ref[k], dtype=float)[keep]) for k in NAMES}
        up, down, (self.m, self.P, self.E) = shock_invariants(mach, gas)
        self.rho_mid = 0.5 * (up.rho + down.rho)
        self.mu_ref = gas.mu_ref(1.0)

    def fluxes(self, u, T):
        """sigma_xx and q_x that conservation leaves at (u, T) (`closing_fluxes`)."""
        return closing_fluxes(u, T, self.m, self.P, self.E)

    def rhs(self, cmap, y):
        """f(y) (N, 2) of the shock ODE for y = (u, T) (N, 2), with the torch map
        cmap(s, q) -> (a, b)."""
        u, T = y[:, 0], y[:, 1]
        mu = self.mu_ref * T ** self.gas.omega
        sigma, q = self.fluxes(u, T)
        p, c = self.m * T / u, T.sqrt()
        a, b = cmap(sigma / p, q / (p * c))
        return torch.stack([-0.75 * p * a / mu, -p * c * b * self.prandtl / (2.5 * mu)], 1)

    def loss(self, x, y):
        """Sum over rho, T, sigma_xx, q_x of the squared relative L2 errors (`closure.metrics`)
        of the profile y (N, 2) on the ascending uniform grid x (N,) against the reference."""
        u, T = y[:, 0], y[:, 1]
        rho = self.m / u
        sigma, q = self.fluxes(u, T)
        h = float(x[1] - x[0])
        r = rho.detach().numpy()
        i = int(np.clip(np.searchsorted(r, self.rho_mid) - 1, 0, len(r) - 2))
        xm = x[i] + (self.rho_mid - rho[i]) / (rho[i + 1] - rho[i]) * h
        pos = (self.xi + xm - x[0]) / h
        j = pos.detach().floor().long().clamp(0, len(x) - 2)
        w = (pos - j).clamp(0.0, 1.0)
        total = 0.0
        for k, v in zip(NAMES, (rho, T, sigma, q)):
            ref = self.ref[k]
            model = v[j] * (1.0 - w) + v[j + 1] * w
            total = total + ((model - ref) ** 2).sum() / ((ref - ref[0]) ** 2).sum()
        return total


@njit(cache=True)
def _sweep(P, g):
    """mu_K = g_K, mu_k = g_k + P_k mu_{k+1}: P (K, 2, 2), g (K + 1, 2)."""
    mu = np.empty_like(g)
    K = len(P)
    mu[K] = g[K]
    for k in range(K - 1, -1, -1):
        mu[k, 0] = g[k, 0] + P[k, 0, 0] * mu[k + 1, 0] + P[k, 0, 1] * mu[k + 1, 1]
        mu[k, 1] = g[k, 1] + P[k, 1, 0] * mu[k + 1, 0] + P[k, 1, 1] * mu[k + 1, 1]
    return mu


def loss_and_grad(cmap, params, numpy_map, case: ShockCase, npoints=4001):
    """(L, [dL/dparam]) for one reference shock: cmap the torch map of `params`, numpy_map
    the same map on floats (the forward ODE solve).  Raises SolutionError when the ODE has
    no profile."""
    if getattr(numpy_map, "density_gradient", False):
        raise InputError("shock_fit: maps with a density-gradient input are implicit in the "
                         "shock ODE; their adjoint is not implemented")
    prof = nsf_shock(case.mach, case.gas, case.prandtl, constitutive=numpy_map,
                     npoints=npoints)
    u, T = prof["u"], prof["T"]
    x = torch.tensor(prof["x"] - prof["x"][-1])  # the raw grid: the saddle start at x = 0
    y = torch.tensor(np.stack([u, T], 1), requires_grad=True)
    L = case.loss(x, y)
    if not params:
        return float(L.detach()), []
    g = torch.autograd.grad(L, y)[0].numpy()[::-1]  # integration order: from the saddle
    yk = torch.tensor(np.stack([u, T], 1)[::-1].copy(), requires_grad=True)
    with torch.enable_grad():
        f = case.rhs(cmap, yk)
        J = torch.stack([torch.autograd.grad(f[:, r].sum(), yk, retain_graph=True)[0]
                         for r in range(2)], 1).detach().numpy()  # (K+1, 2, 2)
    delta = -float(x[1] - x[0])
    eye = np.eye(2)
    Minv_T = np.linalg.inv(eye - 0.5 * delta * J[1:]).transpose(0, 2, 1)  # M_{k+1}^-T
    P = (eye + 0.5 * delta * J[:-1]).transpose(0, 2, 1) @ Minv_T
    mu = _sweep(np.ascontiguousarray(P), np.ascontiguousarray(g))
    nu = 0.5 * delta * (Minv_T @ mu[1:, :, None])[:, :, 0]  # delta/2 M_{k+1}^-T mu_{k+1}
    c = np.zeros_like(g)
    c[:-1] += nu
    c[1:] += nu
    if not np.all(np.isfinite(c)):
        raise SolutionError(f"shock_fit M={case.mach}: non-finite adjoint")
    grads = torch.autograd.grad((torch.tensor(c) * f).sum(), params, allow_unused=True)
    return float(L.detach()), [torch.zeros_like(p) if gr is None else gr
                               for p, gr in zip(params, grads)]


class FreeMap(torch.nn.Module):
    """The free local form of `experiments/learned_closure/local_closure.py`,
    (a, b) = (s, q) exp(net(f) - net(0)), f = (s/s0, (q/q0)^2), with a SiLU network of two
    hidden layers: reflection symmetric, non-negative entropy production, NSF to first order
    (and not invertible in general: a study form for the shock ODE).

    With `dscale` d0 it also takes the density gradient d = (mu sqrt T / p) rho_x / rho
    (`closure.shock_ode`) through the features ((d/d0)^2, q d/(q0 d0)), even under the
    reflection (q, d) -> (-q, -d).  In the steady shock d = kappa a, so its map on floats is
    implicit in a, solved by Newton's method."""

    def __init__(self, width=64, scale=(1.0, 1.0), dscale=None):
        super().__init__()
        self.dscale = None if dscale is None else float(dscale)
        nin = 2 if dscale is None else 4
        self.net = torch.nn.Sequential(torch.nn.Linear(nin, width), torch.nn.SiLU(),
                                       torch.nn.Linear(width, width), torch.nn.SiLU(),
                                       torch.nn.Linear(width, 2)).double()
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float64))

    def features(self, s, q, d=None):
        u, v = s / self.scale[0], q / self.scale[1]
        cols = [u, v * v]
        if self.dscale is not None:
            w = d / self.dscale
            cols += [w * w, v * w]
        return torch.stack(cols, -1)

    def forward(self, s, q, d=None):
        f = self.features(s, q, d)
        g = torch.exp(self.net(f) - self.net(torch.zeros_like(f[..., :1, :])))
        return s * g[..., 0], q * g[..., 1]

    def explicit(self, s, q, d=None):
        """The map itself (the name `closure.nn.local.LocalMap` uses for its closed form)."""
        return self(s, q, d)

    def as_constitutive(self):
        """The map on floats, from a NumPy copy of the current weights: (s, q) -> (a, b), or
        with the density gradient (s, q, kappa) -> (a, b) (attribute density_gradient)."""
        layers = [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy())
                  for m in self.net if isinstance(m, torch.nn.Linear)]
        s0, q0 = self.scale.tolist()
        d0 = self.dscale

        def g(s, q, d):
            h = [s / s0, (q / q0) ** 2]
            if d0 is not None:
                h += [(d / d0) ** 2, q / q0 * d / d0]
            h = np.array(h)
            for k, (W, b) in enumerate(layers):
                h = W @ h + b
                if k < len(layers) - 1:
                    h = h / (1.0 + np.exp(-h))
            return h

        g0 = g(0.0, 0.0, 0.0)

        def a_of(s, q, kappa, a):
            return s * np.exp(g(s, q, kappa * a)[0] - g0[0])

        def cmap(s, q, kappa=0.0):
            a = a_of(s, q, kappa, s)
            if d0 is not None:
                for _ in range(50):
                    res = a - a_of(s, q, kappa, a)
                    h = 1e-7 * max(1.0, abs(a))
                    slope = 1.0 - (a_of(s, q, kappa, a + h) - a_of(s, q, kappa, a)) / h
                    step = res / slope if abs(slope) > 1e-3 else res
                    a -= step
                    if abs(step) <= 1e-12 * max(1.0, abs(a)):
                        break
                else:
                    raise SolutionError(f"free map: no solution a of its implicit relation at "
                                        f"s={s:.4g}, q={q:.4g}, kappa={kappa:.4g}")
            return a, q * np.exp(g(s, q, kappa * a)[1] - g0[1])

        cmap.density_gradient = d0 is not None
        return cmap


def fit_gradients(model, fluxes, grads, seed=0, iters=4000, lr=3e-3, dens=None):
    """The a-priori fit of a map: least squares on the gradients (each component scaled by
    its spread), Adam with a cosine schedule, from weights drawn with `seed`.  fluxes,
    grads: (N, 2) from `closure.nn.local.gradient_pairs`; dens (N,) the density gradients
    of a map that takes them.  Returns the final loss."""
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            m.reset_parameters()
    X, Y = torch.tensor(fluxes), torch.tensor(grads)
    D = None if dens is None else torch.tensor(dens)
    ys = Y.std(0)
    opt = torch.optim.Adam(model.parameters(), lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iters)
    for _ in range(iters):
        opt.zero_grad()
        a, b = model(X[:, 0], X[:, 1], D)
        loss = (((torch.stack([a, b], 1) - Y) / ys) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
    return float(loss.detach())
