"""ASE calculator for a DeepPot or a DPEnsemble (energy in eV, forces in eV/Angstrom, stress
in eV/Angstrom^3 for periodic cells, ASE's sign and Voigt order; an ensemble gives its mean
and adds `max_devi_f`, the largest per-atom force deviation of its members)."""

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
        if stress and not pbc:
            raise PropertyNotImplementedError("stress needs a periodic cell")
        out = self.model.evaluate(self.atoms.positions, types, cell, pbc, virial=stress)
        self.results = {"energy": out[0], "free_energy": out[0], "forces": out[1]}
        if hasattr(self.model, "models"):
            self.results["max_devi_f"] = out[2]
        if stress:
            s = -0.5 * (out[-1] + out[-1].T) / self.atoms.get_volume()
            self.results["stress"] = s.flat[[0, 4, 8, 5, 2, 1]]
