"""ASE calculator for a DeepPot (energy in eV, forces in eV/Angstrom)."""

from ase.calculators.calculator import Calculator, all_changes


class DPCalculator(Calculator):
    implemented_properties = ["energy", "free_energy", "forces"]

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        types = self.model.types_of(self.atoms.get_chemical_symbols())
        pbc = bool(self.atoms.pbc.any())
        if pbc and not self.atoms.pbc.all():
            raise ValueError("DPCalculator: mixed periodicity is not supported")
        energy, forces = self.model.evaluate(self.atoms.positions, types,
                                             self.atoms.cell.array if pbc else None, pbc)
        self.results = {"energy": energy, "free_energy": energy, "forces": forces}
