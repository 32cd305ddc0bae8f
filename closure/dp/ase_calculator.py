"""ASE calculator for a DeepPot or a DPEnsemble (energy in eV, forces in eV/Angstrom, a
single model's stress in eV/Angstrom^3 for periodic cells, ASE's sign and Voigt order; an
ensemble adds `max_devi_f`, the largest per-atom force deviation of its members)."""

from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes


class DPCalculator(Calculator):
    implemented_properties = ["energy", "free_energy", "forces", "stress", "max_devi_f"]

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        types = self.model.types_of(self.atoms.get_chemical_symbols())
        pbc = bool(self.atoms.pbc.any())
        if pbc and not self.atoms.pbc.all():
            raise ValueError("DPCalculator: mixed periodicity is not supported")
        cell = self.atoms.cell.array if pbc else None
        stress = "stress" in properties
        if stress and not (pbc and hasattr(self.model, "rcut")):
            raise PropertyNotImplementedError("stress: a single model on a periodic cell")
        out = (self.model.evaluate(self.atoms.positions, types, cell, pbc, virial=True)
               if stress else self.model.evaluate(self.atoms.positions, types, cell, pbc))
        self.results = {"energy": out[0], "free_energy": out[0], "forces": out[1]}
        if stress:
            s = -0.5 * (out[2] + out[2].T) / self.atoms.get_volume()
            self.results["stress"] = s.flat[[0, 4, 8, 5, 2, 1]]
        elif len(out) > 2:
            self.results["max_devi_f"] = out[2]
