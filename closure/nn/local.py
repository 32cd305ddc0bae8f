"""A learned local constitutive relation of the NCCR type: the Navier-Stokes-normalised
gradients as the (weighted) gradient of a learned convex potential of the dimensionless
stress and heat flux [the implicit form of Myong, Phys. Fluids 11, 2788 (1999)],

    (a, b) = W^-1 grad Phi(s, q),   s = sigma/p,   q = q_x / (p sqrt T),
    a = -(4/3) mu du/dx / p,        b = -(c_p mu / Pr) dT/dx / (p sqrt T),
    Phi(x) = mean over members of P_k(r_k x) - grad P_k(0) . r_k x,   r_k = (W / H_k)^(1/2),
    P_k(x) = [C_k(D x) + C_k(D R x)] / 2 + eps (|D x|^2 / 2 + sum_i w_i^2 h((D x)_i / w_i)),

C_k an input-convex network [Amos, Xu & Kolter, ICML 2017] (softplus units, non-negative
weights on the hidden paths), D = diag(1/s0, 1/q0) the data's scale, R = diag(1, -1) the
reflection, H_k the (diagonal) Hessian of P_k at 0, W = diag(3/4, Pr/c_p) the weights of the
entropy production (which is p^2/(mu T) [(3/4) s a + (Pr/c_p) q b] in 1D), h(t) = t^4/12
and w the reach of the training data in units of their spread.  The eps terms make the map
strictly monotone; the quartic one (small inside the data's reach, dominant far beyond it)
makes the gradients grow as the cube of the fluxes there, so far beyond the data the fluxes
grow only as the cube root of the gradients.  By construction:
- the map is monotone in the W inner product (Phi convex) and invertible with a Lipschitz
  inverse, so the fluxes at given gradients (what a time-dependent solver needs) exist and
  are unique: the closed system is parabolic, not backward-diffusive;
- x . W (a, b) = x . grad Phi >= 0 (convexity, grad Phi(0) = 0): the entropy production is
  non-negative;
- it is exactly NSF to first order (Jacobian at 0 = identity);
- q -> -q flips b only (reflection symmetry); its inputs and outputs are fluid-frame and
  dimensionless, so the closure is Galilean invariant.

A first version with gradients s exp(g(s, q^2)) of an unconstrained network fitted the shock
data better (docs/learned_closure.md), but its b decreased with q over much of the plane
(the heat flux ahead of a strong shock is larger than its local gradient says): no inverse,
an ill-posed system.

The stationary shock uses the map as it is (`closure.shock_ode.nsf_shock(constitutive=...)`);
the finite-volume solver needs the inverse, which `inverse_table` tabulates once per model on
a grid in (asinh(a/A0), asinh(|b|/B0)) (`closure.kernels.local_fluxes` reads it).
"""

import time

import numpy as np
import torch
from torch import nn
from torch.nn.functional import softplus

from boltzmann.errors import InputError, SolutionError

from ..kernels import LOCAL_A0 as A0
from ..kernels import LOCAL_B0 as B0
from ..kernels import LOCAL_X_MAX as X_MAX
from ..kernels import LOCAL_Y_MAX as Y_MAX
from .modelfile import load_model, save_model

KIND = "local_closure"


class ConvexNet(nn.Module):
    """C(x) (N,) of x (N, 2), convex in x: z1 = softplus(W0 x + c0), z2 = softplus(V1 z1 +
    W1 x + c1), C = v2 . z2 + w2 . x, with V1, v2 >= 0 (softplus of raw weights)."""

    def __init__(self, width):
        super().__init__()
        self.inp = nn.Linear(2, width)
        self.skip = nn.Linear(2, width)
        self.hidden = nn.Parameter(torch.randn(width, width) / width - 2.0)
        self.out = nn.Parameter(torch.randn(width) / width - 2.0)
        self.lin = nn.Linear(2, 1, bias=False)

    def forward(self, x):
        z = softplus(self.inp(x))
        z = softplus(z @ softplus(self.hidden).T + self.skip(x))
        return z @ softplus(self.out) + self.lin(x)[..., 0]


def _convex_grad(net, x):
    """grad C(x) (N, 2) of a `ConvexNet` in closed form."""
    a1 = net.inp(x)
    hidden, out = softplus(net.hidden), softplus(net.out)
    a2 = softplus(a1) @ hidden.T + net.skip(x)
    g2 = torch.sigmoid(a2) * out
    g1 = (g2 @ hidden) * torch.sigmoid(a1)
    return g1 @ net.inp.weight + g2 @ net.skip.weight + net.lin.weight[0]


class LocalMap(nn.Module):
    """members: independently seeded potentials whose maps are averaged; scale (s0, q0) and
    box (s range, q^2 max: the envelope of the training data) from `fit_local_map`.  Calling
    it on (s, q) tensors (N,) returns (a, b); `numpy(s, q)` does the same on floats or
    arrays."""

    def __init__(self, width=32, members=4, scale=(1.0, 1.0), box=(-1.0, 1.0, 1.0),
                 prandtl=2.0 / 3.0, eps=0.05, meta=None):
        super().__init__()
        self.width, self.prandtl, self.eps = int(width), float(prandtl), float(eps)
        self.nets = nn.ModuleList(ConvexNet(width) for _ in range(members))
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float64))
        self.register_buffer("box", torch.tensor(box, dtype=torch.float64))
        self.meta = dict(meta or {})
        self._tables = {}
        self.double()

    @property
    def reach(self):
        """The training data's extent in units of their spread, (2,)."""
        lo, hi, q2 = self.box
        return torch.stack([torch.maximum(-lo, hi) / self.scale[0],
                            q2.sqrt() / self.scale[1]]).clamp(min=1.0)

    def _potential(self, net, y):
        """P_k at y (N, 2)."""
        d = y / self.scale
        refl = d * torch.tensor([1.0, -1.0], dtype=torch.float64)
        w = self.reach
        growth = (w * w * (d / w) ** 4 / 12.0).sum(-1)
        return 0.5 * (net(d) + net(refl)) + self.eps * (0.5 * (d * d).sum(-1) + growth)

    @property
    def weights(self):
        """W = (3/4, Pr/c_p) (c_p = 5/2): the entropy production is p^2/(mu T) (x . W (a, b))."""
        return torch.tensor([0.75, self.prandtl / 2.5], dtype=torch.float64)

    def _member_map(self, net, x):
        """W^-1 grad Phi_k at x (N, 2), differentiable (training)."""
        zero = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
        g0 = torch.autograd.grad(self._potential(net, zero).sum(), zero, create_graph=True)[0]
        h = torch.stack([torch.autograd.grad(g0[0, k], zero, create_graph=True)[0][0, k]
                         for k in range(2)])
        w = self.weights
        r = (w / h).sqrt()
        y = x * r
        if not y.requires_grad:
            y = y.detach().requires_grad_(True)
        g = torch.autograd.grad(self._potential(net, y).sum(), y, create_graph=True)[0]
        return r * (g - g0) / w

    def _potential_grad(self, net, y):
        """grad P_k at y (N, 2) in closed form (`ConvexNet` differentiated by hand), equal to
        the autograd gradient of `_potential` to about 1e-9 relative at worst (torch's
        softplus is exactly linear above 20, its closed-form derivative a sigmoid)."""
        d = y / self.scale
        refl = torch.tensor([1.0, -1.0], dtype=torch.float64)
        w = self.reach
        gd = 0.5 * (_convex_grad(net, d) + refl * _convex_grad(net, d * refl)) \
            + self.eps * (d + w * (d / w) ** 3 / 3.0)
        return gd / self.scale

    def _member_constants(self, net):
        """(r_k, grad P_k(0)) of member k, differentiable in its weights."""
        zero = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
        with torch.enable_grad():
            g0 = self._potential_grad(net, zero)
            h = torch.stack([torch.autograd.grad(g0[0, k], zero, create_graph=True)[0][0, k]
                             for k in range(2)])
        return (self.weights / h).sqrt(), g0

    def explicit(self, s, q):
        """The map (a, b) of (s, q) tensors (N,) like `forward`, in closed form: no autograd
        for the map itself (only for the Hessian at 0 in r_k), so it is cheap to
        differentiate in its inputs and weights (the a-posteriori fit of
        `closure.nn.shock_fit`)."""
        x = torch.stack([s, q], -1)
        out = 0.0
        for net in self.nets:
            r, g0 = self._member_constants(net)
            out = out + r * (self._potential_grad(net, x * r) - g0) / self.weights
        out = out / len(self.nets)
        return out[..., 0], out[..., 1]

    def forward(self, s, q):
        with torch.enable_grad():
            x = torch.stack([s, q], -1)
            out = torch.stack([self._member_map(net, x) for net in self.nets]).mean(0)
        return out[..., 0], out[..., 1]

    def numpy(self, s, q):
        a, b = self(torch.as_tensor(np.atleast_1d(s), dtype=torch.float64),
                    torch.as_tensor(np.atleast_1d(q), dtype=torch.float64))
        a, b = a.detach().numpy(), b.detach().numpy()
        return (a, b) if np.ndim(s) else (float(a[0]), float(b[0]))

    def as_constitutive(self):
        """The callable on floats that `closure.shock_ode.nsf_shock` takes: the closed-form
        map of `explicit` on a NumPy copy of the weights (equal to `numpy` to about 1e-9
        relative at worst, see `_potential_grad`; an order of magnitude cheaper per call)."""
        members = []
        for net in self.nets:
            r, g0 = self._member_constants(net)
            members.append((net.inp.weight.detach().numpy().copy(),
                            net.inp.bias.detach().numpy().copy(),
                            softplus(net.hidden).detach().numpy().copy(),
                            net.skip.weight.detach().numpy().copy(),
                            net.skip.bias.detach().numpy().copy(),
                            softplus(net.out).detach().numpy().copy(),
                            net.lin.weight.detach().numpy()[0].copy(),
                            r.detach().numpy().copy(), g0.detach().numpy()[0].copy()))
        scale = self.scale.numpy().copy()
        w = self.reach.numpy().copy()
        wts = self.weights.numpy()
        eps = self.eps
        refl = np.array([1.0, -1.0])

        def cgrad(m, d):
            W0, c0, V, Ws, cs, v, lin = m[:7]
            a1 = W0 @ d + c0
            a2 = V @ np.logaddexp(0.0, a1) + Ws @ d + cs
            g2 = v / (1.0 + np.exp(-a2))
            g1 = (g2 @ V) / (1.0 + np.exp(-a1))
            return g1 @ W0 + g2 @ Ws + lin

        def cmap(s, q):
            x = np.array([s, q])
            out = np.zeros(2)
            for m in members:
                r, g0 = m[7], m[8]
                d = x * r / scale
                gd = 0.5 * (cgrad(m, d) + refl * cgrad(m, d * refl)) \
                    + eps * (d + w * (d / w) ** 3 / 3.0)
                out += r * (gd / scale - g0) / wts
            out /= len(members)
            return float(out[0]), float(out[1])

        return cmap

    def invert(self, a, b, iters=60, tol=1e-12):
        """(s, q, J) with map(s, q) = (a, b) for arrays a, b (N,), by damped Newton from the
        NSF guess; J (N, 2, 2) = d(a, b)/d(s, q) at the solution.  Raises SolutionError where
        it does not converge (a map that is not monotone there)."""
        a = torch.as_tensor(a, dtype=torch.float64)
        b = torch.as_tensor(b, dtype=torch.float64)
        x = torch.stack([a, b], 1).clone()
        target = x.clone()
        scale = 1.0 + target.abs()
        for _ in range(iters):
            F, J = self._value_jacobian(x)
            res = ((F - target).abs() / scale).amax(1)
            if res.max() < tol:
                break
            step = torch.linalg.solve(J, (F - target).unsqueeze(-1)).squeeze(-1)
            lam = torch.ones(len(x), 1, dtype=torch.float64)
            for _ in range(30):  # backtracking: halve where the residual does not fall
                Fn, _ = self._value_jacobian(x - lam * step, jac=False)
                worse = ((Fn - target).abs() / scale).amax(1) > res
                if not worse.any():
                    break
                lam[worse] *= 0.5
            x = x - lam * step
        else:  # no break: x moved after its last evaluation
            F, J = self._value_jacobian(x)
        err = ((F - target).abs() / scale).amax(1)
        if not err.max() < 1e-9:
            i = int(err.argmax())
            raise SolutionError(f"local closure: no inverse at a={a[i]:.4g}, b={b[i]:.4g} "
                                f"(residual {err[i]:.2e}): the map is not monotone there")
        return x[:, 0].numpy(), x[:, 1].numpy(), J.numpy()

    def _value_jacobian(self, x, jac=True):
        x = x.detach().requires_grad_(True)
        a, b = self(x[:, 0], x[:, 1])
        F = torch.stack([a, b], 1)
        if not jac:
            return F.detach(), None
        rows = [torch.autograd.grad(F[:, k].sum(), x, retain_graph=k == 0)[0] for k in range(2)]
        return F.detach(), torch.stack(rows, 1)

    def inverse_table(self, nx=161, ny=81):
        """The inverse map, s, q, ds/da and dq/db at (a, b) = (A0 sinh x_i, B0 sinh y_j) on
        the nodes x_i = -X_MAX + 2 X_MAX i/(nx - 1), y_j = Y_MAX j/(ny - 1), stacked as
        (4 nx, ny), and the largest of the slopes (the effective diffusivity factor).
        Computed once per instance and size (Newton on every node: seconds).  Checks that
        the map's Jacobian has a positive diagonal and determinant at every node."""
        if (nx, ny) in self._tables:
            return self._tables[nx, ny]
        xs = np.linspace(-X_MAX, X_MAX, nx)
        ys = np.linspace(0.0, Y_MAX, ny)
        A, B = np.meshgrid(A0 * np.sinh(xs), B0 * np.sinh(ys), indexing="ij")
        s, q, J = self.invert(A.ravel(), B.ravel())
        det = J[:, 0, 0] * J[:, 1, 1] - J[:, 0, 1] * J[:, 1, 0]
        if not (np.all(det > 0.0) and np.all(J[:, 0, 0] > 0.0) and np.all(J[:, 1, 1] > 0.0)):
            i = int(np.argmin(np.minimum(det, np.minimum(J[:, 0, 0], J[:, 1, 1]))))
            raise SolutionError(f"local closure: the map is not monotone at s={s[i]:.4g}, "
                                f"q={q[i]:.4g} (Jacobian {J[i].tolist()}): no well-posed "
                                "inverse for the finite-volume solver")
        inv = np.linalg.inv(J)
        kd = float(max(inv[:, 0, 0].max(), inv[:, 1, 1].max()))
        table = np.concatenate([v.reshape(nx, ny) for v in (s, q, inv[:, 0, 0], inv[:, 1, 1])])
        self._tables[nx, ny] = np.ascontiguousarray(table), kd
        return self._tables[nx, ny]

    def save(self, path, **meta):
        own = {k: v for k, v in self.meta.items() if k != "path"}
        return save_model(path, self, {**own, **meta, "kind": KIND, "width": self.width,
                                       "members": len(self.nets), "prandtl": self.prandtl,
                                       "eps": self.eps})

    @classmethod
    def load(cls, path):
        meta, state = load_model(path, KIND)
        net = cls(meta["width"], meta["members"], prandtl=meta["prandtl"], eps=meta["eps"],
                  meta={**meta, "path": str(path)})
        net.load_state_dict(state)
        return net


def gradient_pairs(x, rho, u, T, sigma, q, gas, prandtl=2.0 / 3.0, mfp_ref=1.0):
    """The fit data of a profile: fluxes (n, 2) = (sigma/p, q/(p sqrt T)) and their
    Navier-Stokes-normalised gradients (n, 2) = (a, b) (central differences in x)."""
    p = rho * T
    mu = gas.viscosity(T, gas.mu_ref(mfp_ref))
    a = -4.0 / 3.0 * mu * np.gradient(u, x) / p
    b = -gas.cp / prandtl * mu * np.gradient(T, x) / (p * np.sqrt(T))
    return np.stack([sigma / p, q / (p * np.sqrt(T))], 1), np.stack([a, b], 1)


def feature_box(fluxes):
    """The box of a LocalMap's training features, fluxes (N, 2): (s min, s max, q^2 max)."""
    return (float(fluxes[:, 0].min()), float(fluxes[:, 0].max()),
            float((fluxes[:, 1] ** 2).max()))


def fit_local_map(fluxes, grads, width=32, seeds=(0, 1, 2, 3), iters=4000, lr=3e-3,
                  prandtl=2.0 / 3.0, eps=0.05, progress=None, scale=None, box=None,
                  closed_form=False):
    """Fit one member per seed by least squares on the gradients (each component scaled by
    its spread; Adam, cosine schedule) and return the LocalMap of their mean, its box the
    range of the training features.  fluxes, grads: (N, 2) from `gradient_pairs`; scale
    (s0, q0) and box (s min, s max, q^2 max) replace those of the data when given (members
    fitted apart that are to be averaged share them); closed_form fits through
    `LocalMap.explicit` (1.4x faster per step in one timing, width 16 and 3000 cells; equal
    to the autograd map to about 1e-9 relative, so not bit for bit the same fit as the
    default, which made the shipped maps)."""
    fluxes = np.asarray(fluxes, dtype=float)
    grads = np.asarray(grads, dtype=float)
    if fluxes.shape != grads.shape or fluxes.ndim != 2 or fluxes.shape[1] != 2:
        raise InputError(f"fit_local_map: fluxes {fluxes.shape} and gradients {grads.shape} "
                         "must both be (N, 2)")
    if not (np.all(np.isfinite(fluxes)) and np.all(np.isfinite(grads))):
        raise InputError("fit_local_map: non-finite training data")
    X, Y = torch.tensor(fluxes), torch.tensor(grads)
    scale = X.std(0) if scale is None else torch.tensor(scale, dtype=torch.float64)
    if box is None:
        box = feature_box(fluxes)
    model = LocalMap(width, len(seeds), tuple(scale.tolist()), box, prandtl, eps)
    ys = Y.std(0)
    record = []
    for k, seed in enumerate(seeds):
        torch.manual_seed(seed)
        single = LocalMap(width, 1, tuple(scale.tolist()), box, prandtl, eps)
        net = single.nets[0]
        opt = torch.optim.Adam(net.parameters(), lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iters)
        t0 = time.perf_counter()
        for _ in range(iters):
            opt.zero_grad()
            a, b = (single.explicit if closed_form else single)(X[:, 0], X[:, 1])
            loss = (((torch.stack([a, b], 1) - Y) / ys) ** 2).mean()
            loss.backward()
            opt.step()
            sched.step()
        model.nets[k].load_state_dict(net.state_dict())
        record.append({"seed": seed, "loss": loss.item(), "seconds": time.perf_counter() - t0})
        if progress is not None:
            progress(record[-1])
    model.meta.update(training=record, samples=len(X))
    return model
