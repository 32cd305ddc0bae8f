"""ASE calculator for a DeepPot or a DPEnsemble (energy in eV, forces in eV/Angstrom; an
ensemble adds `max_devi_f`, the largest per-atom force deviation of its members)."""

from ase.calculators.calculator import Calculator, all_changes


class DPCalculator(Calculator):
    implemented_properties = ["energy", "free_energy", "forces", "max_devi_f"]

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        types = self.model.types_of(self.atoms.get_chemical_symbols())
        pbc = bool(self.atoms.pbc.any())
        if pbc and not self.atoms.pbc.all():
            raise ValueError("DPCalculator: mixed periodicity is not supported")
        out = self.model.evaluate(self.atoms.positions, types,
                                  self.atoms.cell.array if pbc else None, pbc)
        self.results = {"energy": out[0], "free_energy": out[0], "forces": out[1]}
        if len(out) > 2:
            self.results["max_devi_f"] = out[2]
