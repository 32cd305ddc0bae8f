"""The flexible SPC/Fw water model [Wu, Tepper and Voth, J. Chem. Phys. 124, 024503 (2006);
parameters as listed in the LAMMPS manual's SPC water howto]: harmonic O-H bonds and H-O-H
angle, point charges qO = -0.82 e, qH = +0.41 e and an O-O Lennard-Jones term between
molecules, no cutoff (a cluster).  Energy in PyTorch, forces by autograd; an ASE calculator.
Atoms must come as O, H, H per molecule."""

import numpy as np
import torch
from ase import units
from ase.calculators.calculator import Calculator, all_changes

KCAL = units.kcal / units.mol               # eV per kcal/mol
K_BOND, R0 = 1059.162 * KCAL, 1.012           # (k/2)(r - r0)^2, eV/A^2, A
K_ANGLE, THETA0 = 75.90 * KCAL, np.deg2rad(113.24)
EPS, SIGMA = 0.1554253 * KCAL, 3.165492
Q = {"O": -0.82, "H": 0.41}
COULOMB = units.Hartree * units.Bohr         # e^2 / (4 pi eps0) in eV A


def energy(pos, symbols):
    n = len(symbols) // 3
    if len(symbols) % 3 or any(symbols[3 * m:3 * m + 3] != ["O", "H", "H"] for m in range(n)):
        raise ValueError("SPC/Fw needs the atoms as O, H, H per molecule")
    x = pos.reshape(n, 3, 3)
    b1, b2 = x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]
    r1, r2 = b1.norm(dim=-1), b2.norm(dim=-1)
    theta = torch.acos((b1 * b2).sum(-1) / (r1 * r2))
    e = 0.5 * K_BOND * ((r1 - R0) ** 2 + (r2 - R0) ** 2).sum()
    e = e + 0.5 * K_ANGLE * ((theta - THETA0) ** 2).sum()
    q = torch.tensor([Q[s] for s in symbols], dtype=pos.dtype)
    mol = torch.arange(len(symbols)) // 3
    i, j = torch.triu_indices(len(symbols), len(symbols), 1)
    inter = mol[i] != mol[j]
    i, j = i[inter], j[inter]
    r = (pos[i] - pos[j]).norm(dim=-1)
    e = e + COULOMB * (q[i] * q[j] / r).sum()
    is_o = torch.tensor([s == "O" for s in symbols])
    lj = is_o[i] & is_o[j]
    sr6 = (SIGMA / r[lj]) ** 6
    return e + (4.0 * EPS * (sr6 * sr6 - sr6)).sum()


class SPCFw(Calculator):
    implemented_properties = ["energy", "free_energy", "forces"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        pos = torch.tensor(self.atoms.positions, dtype=torch.float64, requires_grad=True)
        e = energy(pos, self.atoms.get_chemical_symbols())
        (grad,) = torch.autograd.grad(e, pos)
        e = float(e.detach())
        self.results = {"energy": e, "free_energy": e, "forces": -grad.numpy()}
