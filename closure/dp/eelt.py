"""The Deep Potential's adapters to the EELT engine (`closure.eelt`), DP-GEN style: train an
ensemble, explore by Langevin MD with it over a temperature schedule, examine by the max
force deviation, label with a reference labeler, store frames in HDF5."""

from dataclasses import replace

import numpy as np

from boltzmann.io import atomic_h5, open_checked, write_dataset

from .ase_calculator import DPCalculator
from .ensemble import DPEnsemble
from .model import DeepPot
from .train import TrainConfig, fit, load, save


def split(records):
    """(train, validation) of DPTrainer: every tenth record (at least one) validates."""
    return [r for k, r in enumerate(records) if k % 10] or records, records[::10] or records[:1]


class DPTrainer:
    """`members` DeepPots of the given hyperparameters (seeds seed + m), trained from
    scratch on all records; every tenth record (at least one) validates.  A member already
    saved in the folder is loaded, and one killed mid-training continues from its
    checkpoint, so a resumed EELT iteration does not train again what it had trained."""

    def __init__(self, hyper, members=4, config=TrainConfig(), seed=0):
        self.hyper, self.members, self.config, self.seed = dict(hyper), members, config, seed

    def train(self, records, iteration, folder):
        import torch

        train, val = split(records)
        models = []
        for m in range(self.members):
            path, ckpt = folder / f"model_{m}.pt", folder / f"model_{m}.ckpt"
            if path.exists():
                models.append(load(path)[0])
                continue
            torch.manual_seed(self.seed + m)
            model = DeepPot(**self.hyper)
            fit(model, train, val, replace(self.config, seed=self.seed + m), checkpoint=ckpt)
            save(path, model, iteration=iteration, member=m, trained_on=len(records))
            ckpt.unlink(missing_ok=True)
            models.append(model)
        return DPEnsemble(models)


class MDExplorer:
    """MD with the ensemble's mean forces from each starting structure (ase.Atoms) at
    temperatures[iteration] (the last one repeats), `steps` steps of `timestep` fs, a
    snapshot every `every`: Langevin NVT, or with `pressures` (bar, per iteration like the
    temperatures; periodic structures only) Berendsen NPT with isotropic cell scaling
    (`compressibility` in 1/bar, `taut`/`taup` in fs)."""

    def __init__(self, structures, temperatures, steps=50, every=5, timestep=1.0,
                 friction=0.02, seed=0, pressures=None, compressibility=1e-6, taut=100.0,
                 taup=500.0):
        self.structures, self.temperatures = list(structures), list(temperatures)
        self.steps, self.every, self.timestep = steps, every, timestep
        self.friction, self.seed = friction, seed
        self.pressures = None if pressures is None else list(pressures)
        self.compressibility, self.taut, self.taup = compressibility, taut, taup
        if self.pressures is not None and not all(s.pbc.all() for s in self.structures):
            raise ValueError("MDExplorer: NPT (pressures) needs periodic structures")

    def _dynamics(self, atoms, T, iteration, s):
        from ase import units
        from ase.md.langevin import Langevin
        from ase.md.nptberendsen import NPTBerendsen

        dt = self.timestep * units.fs
        if self.pressures is None:
            return Langevin(atoms, dt, temperature_K=T, friction=self.friction,
                            rng=np.random.default_rng((self.seed, iteration, s)))
        from ase.md import thermalize_momenta

        thermalize_momenta(atoms, T, rng=np.random.default_rng((self.seed, iteration, s)))
        p = self.pressures[min(iteration, len(self.pressures) - 1)]
        return NPTBerendsen(atoms, dt, temperature_K=T, pressure_au=p * units.bar,
                            taut=self.taut * units.fs, taup=self.taup * units.fs,
                            compressibility_au=self.compressibility / units.bar)

    def explore(self, models, iteration):
        T = self.temperatures[min(iteration, len(self.temperatures) - 1)]
        out = []
        for s, start in enumerate(self.structures):
            atoms = start.copy()
            atoms.calc = DPCalculator(models)
            dyn = self._dynamics(atoms, T, iteration, s)
            for _ in range(self.steps // self.every):
                dyn.run(self.every)
                snap = atoms.copy()
                snap.calc = None
                if hasattr(models, "models"):  # the deviation the MD step already computed
                    snap.info["max_devi_f"] = atoms.calc.get_property("max_devi_f", atoms)
                out.append(snap)
        return out


class DeviationExaminer:
    """The ensemble's max force deviation of each candidate: the one MDExplorer recorded
    from the same ensemble's last MD step (`info["max_devi_f"]`), else evaluated."""

    def examine(self, models, candidates):
        return [a.info["max_devi_f"] if "max_devi_f" in a.info else
                models.evaluate(a.positions, models.types_of(a.get_chemical_symbols()),
                                a.cell.array if a.pbc.all() else None, bool(a.pbc.all()))[2]
                for a in candidates]


class LabelerAdapter:
    """A `closure.dp.labelers` labeler bound to a type map."""

    def __init__(self, labeler, type_map):
        self.labeler, self.type_map = labeler, list(type_map)

    def label(self, candidates):
        return self.labeler.label(candidates, self.type_map)


class FrameStore:
    """Frames in one HDF5 file: per frame k the group frame_k with positions (Angstrom),
    types, cell (absent when not periodic), energy (eV), forces (eV/Angstrom) and virial
    (eV, when labeled)."""

    def save(self, path, records):
        def fill(h5):
            h5.attrs["format"] = "mlclosure.dp_frames"
            for k, r in enumerate(records):
                g = h5.create_group(f"frame_{k:06d}")
                write_dataset(g, "positions", r["positions"], "Angstrom")
                write_dataset(g, "types", np.asarray(r["types"]), "1")
                if r.get("cell") is not None:
                    write_dataset(g, "cell", r["cell"], "Angstrom")
                write_dataset(g, "energy", np.array(r["energy"]), "eV")
                write_dataset(g, "forces", r["forces"], "eV/Angstrom")
                if r.get("virial") is not None:
                    write_dataset(g, "virial", r["virial"], "eV")

        return atomic_h5(path, fill)

    def load(self, path):
        with open_checked(path, "mlclosure.dp_frames") as h5:
            return [{"positions": g["positions"][()], "types": g["types"][()],
                     "cell": g["cell"][()] if "cell" in g else None,
                     "energy": float(g["energy"][()]), "forces": g["forces"][()],
                     **({"virial": g["virial"][()]} if "virial" in g else {})}
                    for _, g in sorted(h5.items())]
