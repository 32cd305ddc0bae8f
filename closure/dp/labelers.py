"""Reference labelers behind one interface: `label(atoms_list) -> (frames, failed)`.
A configuration whose calculation fails is reported in `failed` (index, reason) and the
others are kept: nothing labeled is lost.  EMT (ASE's effective-medium theory, for Al, Cu,
Ag, Au, Ni, Pd, Pt) is the zero-cost labeler for tests; PySCF and LAMMPS come next."""

import numpy as np


class EMTLabeler:
    name = "emt"

    def label(self, atoms_list, type_map):
        from ase.calculators.emt import EMT

        frames, failed = [], []
        for k, atoms in enumerate(atoms_list):
            try:
                a = atoms.copy()
                a.calc = EMT()
                types = np.array([type_map.index(s) for s in a.get_chemical_symbols()])
                frames.append({"positions": a.positions.copy(), "types": types,
                               "cell": a.cell.array.copy() if a.pbc.all() else None,
                               "energy": float(a.get_potential_energy()),
                               "forces": a.get_forces().copy()})
            except Exception as exc:  # noqa: BLE001 - any failure of the reference code
                failed.append((k, f"{type(exc).__name__}: {exc}"))
        return frames, failed
