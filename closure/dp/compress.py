"""Model compression for inference: the embedding nets tabulated as piecewise quintic
polynomials and fused with the contraction A = G^T R (the idea of DeePMD-kit's `dp compress`,
Lu et al., J. Chem. Theory Comput. 18, 5559 (2022)).

Each embedding net g_t maps the normalised s of a neighbour of type t (a scalar x) to M1
features.  On a uniform grid x_k = lo_t + k h the table holds, per interval and feature, the
quintic Hermite polynomial that matches g, g' and g'' at both ends (so G is C2 and its error
is O(h^6)); the fused kernels then compute

    A_i[m, c] = sum_j G_m(x_ij) R_ij[c]                      (nat, M1, 4)

and, for the backward pass, dL/dR_ij[c] = sum_m G_m dL/dA_i[m, c] and dL/dx_ij = sum_m
G'_m sum_c dL/dA_i[m, c] R_ij[c], without ever storing the (nat, nsel, M1) embedding tensor
or its gradient (the bulk of the uncompressed model's memory traffic).  Forces and the virial
(first derivatives) go through autograd as before; second derivatives do not, so a compressed
model is for inference (MD, exploration, `report`), not training.  A neighbour outside the
tabulated range (closer than the r_min given to `DeepPot.compress`) raises an InputError, never a
silent extrapolation.
"""

import numpy as np
import torch
from numba import njit, prange
from torch.autograd.function import once_differentiable

from boltzmann.errors import InputError


def _derivatives(net, x):
    """g, g', g'' of a scalar-input net at the points x (n,), each (n, M1), by forward-mode
    differentiation."""
    from torch.func import jvp

    def first(z):
        return jvp(lambda y: net(y[:, None]), (z,), (torch.ones_like(z),))

    g, dg = first(x)
    _, d2g = jvp(lambda z: first(z)[1], (x,), (torch.ones_like(x),))
    return g.detach(), dg.detach(), d2g.detach()


def quintic_coefficients(f, d, s, h):
    """Coefficients a_0..a_5 (..., 6) of p(t) = sum a_k t^k on [0, h] with p, p', p'' equal
    to f, d, s at both ends (arrays of shape (n + 1, ...) at the nodes)."""
    f0, f1, d0, d1, s0, s1 = f[:-1], f[1:], d[:-1], d[1:], s[:-1], s[1:]
    e0 = f1 - (f0 + h * (d0 + 0.5 * h * s0))
    e1 = h * (d1 - (d0 + h * s0))
    e2 = h * h * (s1 - s0)
    return np.stack([f0, d0, 0.5 * s0,
                     (10.0 * e0 - 4.0 * e1 + 0.5 * e2) / h**3,
                     (-15.0 * e0 + 7.0 * e1 - e2) / h**4,
                     (6.0 * e0 - 3.0 * e1 + 0.5 * e2) / h**5], axis=-1)


class Tables:
    """The tabulated embedding nets: `coef` (ntypes, nint, M1, 6), interval starts
    lo = lo_t + k h, the common step h and the upper ends hi (ntypes,) in normalised s."""

    def __init__(self, nets, lo, hi, step):
        self.lo, self.hi, self.step = np.asarray(lo, float), np.asarray(hi, float), float(step)
        if not (self.step > 0 and np.all(self.hi > self.lo)):
            raise InputError(f"tabulation needs step > 0 and hi > lo (step {step}, lo {lo}, "
                             f"hi {hi})")
        nint = int(np.ceil(np.max(self.hi - self.lo) / self.step))
        coef = []
        for net, lo_t in zip(nets, self.lo):
            x = torch.as_tensor(lo_t + self.step * np.arange(nint + 1), dtype=torch.float64)
            g, dg, d2g = (a.numpy() for a in _derivatives(net, x))
            coef.append(quintic_coefficients(g, dg, d2g, self.step))
        self.coef = np.ascontiguousarray(np.stack(coef))

    def check(self, x, slot_type):
        """InputError naming the first atom and slot whose x (nat, nsel) lies outside the
        table of its neighbour type."""
        lo, hi = self.lo[slot_type], self.hi[slot_type]
        bad = ~((x >= lo) & (x <= hi))  # NaN too
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InputError(f"atom {i}, neighbour slot {j}: normalised s = {x[i, j]:.4g} lies "
                             f"outside the compressed model's table [{lo[j]:.4g}, {hi[j]:.4g}] "
                             "(a neighbour closer than the r_min it was compressed for); "
                             "compress with a smaller r_min or use the uncompressed model")


@njit(cache=True)
def _interval(x, t, lo, step, nint):
    k = int((x - lo[t]) / step)
    k = min(max(k, 0), nint - 1)
    return k, x - (lo[t] + k * step)


@njit(cache=True, inline="always")
def _value(c, d):
    return c[0] + d * (c[1] + d * (c[2] + d * (c[3] + d * (c[4] + d * c[5]))))


@njit(cache=True, inline="always")
def _slope(c, d):
    return c[1] + d * (2.0 * c[2] + d * (3.0 * c[3] + d * (4.0 * c[4] + d * 5.0 * c[5])))


@njit(parallel=True, cache=True)
def contract(x, R, slot_type, coef, lo, step):
    """A (nat, M1, 4) = sum_j G(x_ij) R_ij for x (nat, nsel), R (nat, nsel, 4)."""
    nat, nsel = x.shape
    nint, M = coef.shape[1], coef.shape[2]
    A = np.zeros((nat, M, 4))
    for i in prange(nat):
        for j in range(nsel):
            t = slot_type[j]
            k, d = _interval(x[i, j], t, lo, step, nint)
            r0, r1, r2, r3 = R[i, j, 0], R[i, j, 1], R[i, j, 2], R[i, j, 3]
            for m in range(M):
                g = _value(coef[t, k, m], d)
                A[i, m, 0] += g * r0
                A[i, m, 1] += g * r1
                A[i, m, 2] += g * r2
                A[i, m, 3] += g * r3
    return A


@njit(parallel=True, cache=True)
def contract_grad(x, R, slot_type, coef, lo, step, gA):
    """(dL/dx (nat, nsel), dL/dR (nat, nsel, 4)) from dL/dA (nat, M1, 4)."""
    nat, nsel = x.shape
    gx = np.empty((nat, nsel))
    gR = np.empty((nat, nsel, 4))
    nint, M = coef.shape[1], coef.shape[2]
    for i in prange(nat):
        for j in range(nsel):
            t = slot_type[j]
            k, d = _interval(x[i, j], t, lo, step, nint)
            r0, r1, r2, r3 = R[i, j, 0], R[i, j, 1], R[i, j, 2], R[i, j, 3]
            sx = s0 = s1 = s2 = s3 = 0.0
            for m in range(M):
                c = coef[t, k, m]
                a0, a1, a2, a3 = gA[i, m, 0], gA[i, m, 1], gA[i, m, 2], gA[i, m, 3]
                sx += _slope(c, d) * (a0 * r0 + a1 * r1 + a2 * r2 + a3 * r3)
                g = _value(c, d)
                s0 += g * a0
                s1 += g * a1
                s2 += g * a2
                s3 += g * a3
            gx[i, j] = sx
            gR[i, j, 0], gR[i, j, 1], gR[i, j, 2], gR[i, j, 3] = s0, s1, s2, s3
    return gx, gR


class TabulatedContraction(torch.autograd.Function):
    """A = G(x)^T R by the tables: apply(x (nat, nsel), R (nat, nsel, 4), slot_type (nsel,)
    int array, tables) -> (nat, M1, 4); first derivatives only."""

    @staticmethod
    def forward(ctx, x, R, slot_type, tables):
        xn, Rn = x.detach().numpy(), np.ascontiguousarray(R.detach().numpy())
        tables.check(xn, slot_type)
        ctx.save_for_backward(x, R)
        ctx.slot_type, ctx.tables = slot_type, tables
        return torch.from_numpy(contract(np.ascontiguousarray(xn), Rn, slot_type,
                                         tables.coef, tables.lo, tables.step))

    @staticmethod
    @once_differentiable
    def backward(ctx, gA):
        x, R = ctx.saved_tensors
        tb = ctx.tables
        gx, gR = contract_grad(np.ascontiguousarray(x.numpy()),
                               np.ascontiguousarray(R.numpy()), ctx.slot_type, tb.coef, tb.lo,
                               tb.step, np.ascontiguousarray(gA.numpy()))
        return torch.from_numpy(gx), torch.from_numpy(gR), None, None
