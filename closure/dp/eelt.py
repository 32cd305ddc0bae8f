"""The Deep Potential's adapters to the EELT engine (`closure.eelt`), DP-GEN style: train an
ensemble, explore by Langevin MD with it over a temperature schedule, examine by the max
force deviation, label with a reference labeler, store frames in HDF5."""

from dataclasses import replace

import h5py
import numpy as np

from boltzmann.io import atomic_h5, write_dataset

from .ase_calculator import DPCalculator
from .ensemble import DPEnsemble
from .model import DeepPot
from .train import TrainConfig, fit, save


class DPTrainer:
    """`members` DeepPots of the given hyperparameters (seeds seed + m), trained from
    scratch on all records; every tenth record (at least one) validates."""

    def __init__(self, hyper, members=4, config=TrainConfig(), seed=0):
        self.hyper, self.members, self.config, self.seed = dict(hyper), members, config, seed

    def train(self, records, iteration, folder):
        import torch

        val = records[::10] or records[:1]
        train = [r for k, r in enumerate(records) if k % 10] or records
        models = []
        for m in range(self.members):
            torch.manual_seed(self.seed + m)
            model = DeepPot(**self.hyper)
            fit(model, train, val, replace(self.config, seed=self.seed + m))
            save(folder / f"model_{m}.pt", model, iteration=iteration, member=m,
                 trained_on=len(records))
            models.append(model)
        return DPEnsemble(models)


class MDExplorer:
    """Langevin MD from each starting structure (ase.Atoms) at temperatures[iteration]
    (the last one repeats), `steps` steps of `timestep` fs, a snapshot every `every`."""

    def __init__(self, structures, temperatures, steps=50, every=5, timestep=1.0,
                 friction=0.02, seed=0):
        self.structures, self.temperatures = list(structures), list(temperatures)
        self.steps, self.every, self.timestep = steps, every, timestep
        self.friction, self.seed = friction, seed

    def explore(self, models, iteration):
        from ase import units
        from ase.md.langevin import Langevin

        T = self.temperatures[min(iteration, len(self.temperatures) - 1)]
        out = []
        for s, start in enumerate(self.structures):
            atoms = start.copy()
            atoms.calc = DPCalculator(models)
            dyn = Langevin(atoms, self.timestep * units.fs, temperature_K=T,
                           friction=self.friction,
                           rng=np.random.default_rng((self.seed, iteration, s)))
            for _ in range(self.steps // self.every):
                dyn.run(self.every)
                snap = atoms.copy()
                snap.calc = None
                out.append(snap)
        return out


class DeviationExaminer:
    def examine(self, models, candidates):
        return [models.evaluate(a.positions, models.types_of(a.get_chemical_symbols()),
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
    types, cell (absent when not periodic), energy (eV) and forces (eV/Angstrom)."""

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

        return atomic_h5(path, fill)

    def load(self, path):
        from boltzmann.errors import FileFormatError

        try:
            with h5py.File(path, "r") as h5:
                if h5.attrs.get("format") != "mlclosure.dp_frames":
                    raise FileFormatError(f"{path}: not an mlclosure.dp_frames file")
                return [{"positions": g["positions"][()], "types": g["types"][()],
                         "cell": g["cell"][()] if "cell" in g else None,
                         "energy": float(g["energy"][()]), "forces": g["forces"][()]}
                        for _, g in sorted(h5.items())]
        except (OSError, KeyError) as exc:
            raise FileFormatError(f"{path}: unreadable frame file ({exc})") from exc
