"""Deep Potential with the smooth DeepPot-SE descriptor (se_e2_a) in PyTorch, float64
[Zhang et al., NeurIPS 31 (2018), "End-to-end symmetry preserving inter-atomic potential
energy model for finite and extended systems"; the switch and network layout of DeePMD-kit
v2, Zeng et al., J. Chem. Phys. 159, 054801 (2023)].

For atom i with neighbours j in fixed per-type slots (`neighbors.neighbor_list`), r_ij =
x_j - x_i (Angstrom):

    s(r) = 1/r                                   r < rcut_smth
         = (1/r) [u^3 (-6 u^2 + 15 u - 10) + 1]  rcut_smth <= r < rcut, u = (r - rcut_smth) /
                                                  (rcut - rcut_smth)   (C2 at both ends)
         = 0                                     r >= rcut,
    R_ij = s(r_ij) (1, x_ij/r_ij, y_ij/r_ij, z_ij/r_ij), normalised per centre type with
           statistics of the data (mean of s, standard deviations of s and of the rest),
    G_ij = embedding net of j's type applied to the normalised s_ij  (M1 features),
    A_i = G_i^T R_i / N_c   (M1 x 4),    D_i = A_i A_i<^T  (M1 x M2, A< the first M2 rows),
    E = sum_i [fitting net of i's type (D_i) + bias of i's type],   F = -dE/dx (autograd).

D is invariant under translation, rotation and permutation of same-type atoms, and smooth
(C2) as neighbours cross rcut: tested to round-off and numerically.  Units: Angstrom, eV.
"""

import numpy as np
import torch
from torch import nn

from boltzmann.errors import InputError

from .compress import Tables, TabulatedContraction
from .descriptors import DESCRIPTORS
from .neighbors import neighbor_list


def switch(r, rcut_smth, rcut):
    """s(r) of the module docstring (tensor in, tensor out)."""
    u = ((r - rcut_smth) / (rcut - rcut_smth)).clamp(0.0, 1.0)
    poly = u**3 * (-6.0 * u**2 + 15.0 * u - 10.0) + 1.0
    return torch.where(r < rcut, poly / r, torch.zeros_like(r))


class _ResNet(nn.Module):
    """tanh layers; a layer whose width equals (or doubles) its input adds (two copies of)
    the input, as DeePMD-kit's embedding and fitting nets do."""

    def __init__(self, n_in, widths, n_out=None):
        super().__init__()
        self.layers = nn.ModuleList()
        n = n_in
        for w in widths:
            self.layers.append(nn.Linear(n, w))
            n = w
        self.out = nn.Linear(n, n_out) if n_out else None

    def forward(self, x):
        for layer in self.layers:
            y = torch.tanh(layer(x))
            if y.shape[-1] == x.shape[-1]:
                y = y + x
            elif y.shape[-1] == 2 * x.shape[-1]:
                y = y + torch.cat([x, x], dim=-1)
            x = y
        return self.out(x) if self.out is not None else x


class DeepPot(nn.Module):
    """type_map: element symbols (type index = position); sel: neighbour slots per type;
    embed: embedding widths (the last is M1); axis: M2; fit: fitting widths."""

    def __init__(self, type_map, rcut=6.0, rcut_smth=0.5, sel=(46, 92), embed=(25, 50, 100),
                 axis=16, fit=(240, 240, 240), descriptor="se_e2_a"):
        super().__init__()
        if len(sel) != len(type_map):
            raise InputError(f"sel {tuple(sel)} needs one count per type of {type_map}")
        if not 0.0 < rcut_smth < rcut:
            raise InputError(f"need 0 < rcut_smth ({rcut_smth}) < rcut ({rcut})")
        if axis > embed[-1]:
            raise InputError(f"axis ({axis}) cannot exceed the embedding width ({embed[-1]})")
        self.type_map = list(type_map)
        self.rcut, self.rcut_smth = float(rcut), float(rcut_smth)
        self.register_buffer("sel", torch.as_tensor(sel, dtype=torch.long))
        self.axis = axis
        nt = len(type_map)
        if descriptor not in ("se_e2_a",) + tuple(DESCRIPTORS):
            raise InputError(f"descriptor {descriptor!r}: choose se_e2_a or one of "
                             f"{sorted(DESCRIPTORS)}")
        self.descriptor = descriptor
        self.embedding = nn.ModuleList([_ResNet(1, embed) for _ in range(nt)])
        n_in = {"se_e2_a": embed[-1] * axis, "raw": 3 * sum(sel),
                "local_frame": 4 * sum(sel)}[descriptor]
        self.fitting = nn.ModuleList([_ResNet(n_in, fit, 1) for _ in range(nt)])
        # per centre type: mean and std of s, std of the direction columns; energy bias
        self.register_buffer("davg", torch.zeros(nt, 4))
        self.register_buffer("dstd", torch.ones(nt, 4))
        self.register_buffer("bias", torch.zeros(nt))
        self.tables = None  # set by compress()
        self.double()

    def types_of(self, symbols):
        """Type indices of element symbols; InputError for one the model does not know."""
        unknown = sorted(set(symbols) - set(self.type_map))
        if unknown:
            raise InputError(f"species {unknown} not in the model's type map {self.type_map}")
        return np.array([self.type_map.index(s) for s in symbols])

    def neighbors(self, positions, types, cell, pbc=True):
        return neighbor_list(positions, types, cell, self.rcut, self.sel.numpy(), pbc)

    @staticmethod
    def vectors(pos, nlist, shifts):
        """Neighbour vectors x_j + shift - x_i (nat, nsel, 3) and the slot mask (nat, nsel)."""
        return pos[nlist.clamp(min=0)] + shifts - pos[:, None, :], nlist >= 0

    def environment(self, pos, types, nlist, shifts):
        """Normalised environment matrices (nat, nsel, 4) and the slot mask (nat, nsel)."""
        d, mask = self.vectors(pos, nlist, shifts)
        r = torch.sqrt((d * d).sum(-1) + (~mask).double())  # 1 in empty slots (no 0/0)
        s = switch(r, self.rcut_smth, self.rcut) * mask
        R = torch.cat([s[..., None], s[..., None] * d / r[..., None]], dim=-1)
        # empty slots hold R = 0 before normalisation, like a neighbour at rcut, so that a
        # neighbour crossing rcut leaves the energy continuous (masking after the shift by
        # davg made it jump)
        R = (R - self.davg[types][:, None, :]) / self.dstd[types][:, None, :]
        return R, mask

    def atomic_energies(self, pos, types, nlist, shifts):
        """Per-atom energies (nat,) in eV; pos (nat, 3) tensor, types (nat,) long tensor,
        nlist (nat, nsel) long tensor, shifts (nat, nsel, 3) tensor."""
        nat, nsel = nlist.shape
        if self.descriptor != "se_e2_a":
            D = DESCRIPTORS[self.descriptor](*self.vectors(pos, nlist, shifts),
                                             self.sel.tolist())
            return self._fit(D, types)
        R, mask = self.environment(pos, types, nlist, shifts)
        if self.tables is not None:
            A = TabulatedContraction.apply(R[..., 0], R, self._slot_type, self.tables)
        else:
            G = torch.zeros(nat, nsel, self.embedding[0].layers[-1].out_features,
                            dtype=pos.dtype)
            start = 0
            for t, n in enumerate(self.sel.tolist()):  # slots are grouped by neighbour type
                G[:, start:start + n] = self.embedding[t](R[:, start:start + n, :1])
                start += n
            A = torch.einsum("inm,inc->imc", G, R)
        A = A / nsel  # (nat, M1, 4)
        D = torch.einsum("imc,ikc->imk", A, A[:, :self.axis]).reshape(nat, -1)
        return self._fit(D, types)

    def compress(self, r_min=1.0, step=0.01):
        """Tabulate the embedding nets for inference (`closure.dp.compress`): quintic pieces
        of width `step` in normalised s, covering neighbours from r_min (Angstrom) to rcut;
        returns self.  A closer neighbour raises an InputError; training, `set_statistics`
        and `load_state_dict` refuse a compressed model (`decompress` first), since the
        tables are a snapshot of the current weights and statistics."""
        if self.descriptor != "se_e2_a":
            raise InputError(f"only se_e2_a can be compressed, not {self.descriptor!r}")
        if not 0.0 < r_min < self.rcut:
            raise InputError(f"need 0 < r_min ({r_min}) < rcut ({self.rcut})")
        s_max = float(switch(torch.tensor(float(r_min)), self.rcut_smth, self.rcut))
        avg, std = self.davg[:, 0].numpy(), self.dstd[:, 0].numpy()
        lo = np.full(len(self.type_map), np.min(-avg / std) - step)
        hi = np.full(len(self.type_map), np.max((s_max - avg) / std) + step)
        self.tables = Tables(self.embedding, lo, hi, step)
        self._slot_type = np.repeat(np.arange(len(self.type_map)), self.sel.numpy())
        return self

    def decompress(self):
        """Back to the embedding nets themselves (for training); returns self."""
        self.tables = None
        return self

    def _fit(self, D, types):
        """Per-atom energies from descriptors D (nat, n) by the fitting net of each type."""
        e = torch.zeros(D.shape[0], dtype=D.dtype)
        for t in range(len(self.type_map)):
            here = types == t
            if here.any():
                e = e.index_put((here,), self.fitting[t](D[here])[:, 0] + self.bias[t])
        return e

    def evaluate(self, positions, types, cell=None, pbc=True, virial=False):
        """(energy in eV, forces (nat, 3) in eV/Angstrom) as NumPy, for positions (nat, 3)
        in Angstrom and integer types; with `virial` also the virial -dE/d(strain) (3, 3)
        in eV (positions and image shifts strained together, x -> x (1 + strain))."""
        nlist, shifts = self.neighbors(positions, types, cell, pbc)
        pos = torch.tensor(positions, dtype=torch.float64, requires_grad=True)
        strain = torch.zeros(3, 3, dtype=torch.float64, requires_grad=virial)
        deform = torch.eye(3, dtype=torch.float64) + strain
        energy = self.atomic_energies(pos @ deform, torch.as_tensor(types),
                                      torch.as_tensor(nlist),
                                      torch.as_tensor(shifts) @ deform).sum()
        if not virial:
            (grad,) = torch.autograd.grad(energy, pos)
            return float(energy.detach()), -grad.numpy()
        grad, dstrain = torch.autograd.grad(energy, (pos, strain))
        return float(energy.detach()), -grad.numpy(), -dstrain.numpy()

    def _uncompressed(self, what):
        if self.tables is not None:
            raise InputError(f"{what} needs the uncompressed model: decompress() it first "
                             "(the tables are a snapshot of the weights and statistics)")

    def load_state_dict(self, state_dict, strict=True, assign=False):
        self._uncompressed("load_state_dict")
        return super().load_state_dict(state_dict, strict, assign)

    def set_statistics(self, frames):
        """Descriptor normalisation per centre type from frames of (positions, types, cell)."""
        self._uncompressed("set_statistics")
        acc = [[] for _ in self.type_map]
        with torch.no_grad():
            saved = self.davg.clone(), self.dstd.clone()
            self.davg.zero_()
            self.dstd.fill_(1.0)
            for positions, types, cell in frames:
                nlist, shifts = self.neighbors(positions, types, cell)
                R, mask = self.environment(torch.as_tensor(positions, dtype=torch.float64),
                                           torch.as_tensor(types), torch.as_tensor(nlist),
                                           torch.as_tensor(shifts))
                for t in range(len(self.type_map)):
                    sel = torch.as_tensor(types) == t
                    acc[t].append(R[sel][mask[sel]])
            for t, rows in enumerate(acc):
                if not rows or sum(len(r) for r in rows) == 0:
                    self.davg[t], self.dstd[t] = saved[0][t], saved[1][t]
                    continue
                R = torch.cat(rows)
                self.davg[t, 0] = R[:, 0].mean()
                self.dstd[t, 0] = R[:, 0].std().clamp(min=1e-2)
                self.dstd[t, 1:] = R[:, 1:].pow(2).mean().sqrt().clamp(min=1e-2)

    def set_energy_bias(self, type_counts, energies):
        """Per-type energy bias by least squares: energies (nframes,) ~ counts (nframes, nt)
        @ bias."""
        bias, *_ = np.linalg.lstsq(np.asarray(type_counts, float), np.asarray(energies, float),
                                   rcond=None)
        with torch.no_grad():
            self.bias.copy_(torch.as_tensor(bias))
