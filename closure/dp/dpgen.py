"""A DP-GEN run on the EELT engine from a parsed config (a dict, as read from TOML by the
command line or an experiment; the library parses no files).  Sections and their keys:

    [system]   labeler ("emt" | "lammps" | "pyscf"), labeler_options (a table),
               type_map, structure (a table: kind = "bulk" with element, crystal, a, cubic,
               repeat, substitute = {element = count}; kind = "molecule" with name;
               kind = "collection" with collection and name, e.g. s22 Water_dimer;
               or kind = "file" with path), starts, rattle (Angstrom), strain (relative
               cell scaling of the initial frames), initial_frames (per start)
    [model]    DeepPot hyperparameters: rcut, rcut_smth, sel, embed, axis, fit, members
    [train]    TrainConfig fields: steps, lr_start, lr_stop, pref_e, pref_f, pref_v, ...
    [explore]  temperatures (K), pressures (bar, optional: NPT), steps, every, timestep (fs)
    [eelt]     EELTConfig fields: iterations, trust_lo, trust_hi, max_labels, accurate_stop,
               seed
    [executor] kind ("serial" | "process" | "dask"), workers, address (a Dask scheduler)

The initial data are the labeled starts, each copied `initial_frames` times with its cell
scaled by up to +-strain and its atoms rattled (DP-GEN's init_bulk perturbation).
"""

from pathlib import Path

import numpy as np

from ..eelt import EELT, EELTConfig, from_table
from .eelt import DeviationExaminer, DPTrainer, FrameStore, LabelerAdapter, MDExplorer
from .labelers import LABELERS
from .train import TrainConfig


def structure(spec):
    """An ase.Atoms from a [system.structure] table."""
    from ase.build import bulk, molecule
    from ase.io import read

    kind = spec.get("kind", "bulk")
    if kind == "bulk":
        atoms = bulk(spec["element"], spec.get("crystal", "fcc"), a=spec["a"],
                     cubic=spec.get("cubic", True)).repeat((spec.get("repeat", 1),) * 3)
        rng = np.random.default_rng(spec.get("seed", 0))
        free = list(range(len(atoms)))
        for element, count in spec.get("substitute", {}).items():
            pick = rng.choice(free, size=count, replace=False)
            atoms.symbols[pick] = element
            free = [i for i in free if i not in set(pick)]
        return atoms
    if kind == "molecule":
        return molecule(spec["name"])
    if kind == "collection":
        import ase.collections

        return getattr(ase.collections, spec["collection"])[spec["name"]]
    if kind == "file":
        return read(spec["path"])
    raise ValueError(f"[system.structure] kind {kind!r}: choose bulk, molecule, collection "
                     "or file")


def starts_and_initial(system, seed):
    """(starting structures, unlabeled initial configurations) of the [system] table."""
    base = structure(system["structure"])
    rng = np.random.default_rng(seed)
    periodic = bool(base.pbc.all())
    rattle, strain = system.get("rattle", 0.05), system.get("strain", 0.02)
    starts, initial = [], []
    for _ in range(system.get("starts", 1)):
        a = base.copy()
        a.positions += rng.normal(0.0, rattle, a.positions.shape)
        starts.append(a)
        for _ in range(system.get("initial_frames", 5)):
            b = a.copy()
            if periodic:
                b.set_cell(b.cell.array @ (np.eye(3) + rng.uniform(-strain, strain, (3, 3))),
                           scale_atoms=True)
            b.positions += rng.normal(0.0, rattle, b.positions.shape)
            initial.append(b)
    return starts, initial


def labeler_of(system):
    name = system.get("labeler", "emt")
    if name not in LABELERS:
        raise ValueError(f"[system] labeler {name!r}: choose one of {sorted(LABELERS)}")
    return LABELERS[name](**system.get("labeler_options", {}))


def build(config, run_dir, executor=None):
    """The EELT of a DP-GEN config in run_dir (initial labels computed on the first call
    only: a resumed run reads them from run_dir/initial.h5)."""
    system, model, explore = config["system"], config["model"], config.get("explore", {})
    eelt_cfg = EELTConfig(**config.get("eelt", {}))
    type_map = list(system["type_map"])
    starts, initial = starts_and_initial(system, eelt_cfg.seed)
    labeler = LabelerAdapter(labeler_of(system), type_map)
    hyper = {"type_map": type_map, **{k: model[k] for k in
                                      ("rcut", "rcut_smth", "sel", "embed", "axis", "fit")
                                      if k in model}}
    train_cfg = from_table(TrainConfig, config.get("train", {}))
    run_dir = Path(run_dir)
    if (run_dir / "initial.h5").exists():
        frames = []  # the engine keeps the stored initial data
    else:
        frames, failed = labeler.label(initial)
        if not frames:
            raise RuntimeError(f"no initial configuration could be labeled: {failed[:3]}")
    return EELT(DPTrainer(hyper, members=model.get("members", 4), config=train_cfg,
                          seed=eelt_cfg.seed),
                MDExplorer(starts, explore.get("temperatures", [300.0]),
                           steps=explore.get("steps", 100), every=explore.get("every", 5),
                           timestep=explore.get("timestep", 1.0),
                           pressures=explore.get("pressures"), seed=eelt_cfg.seed),
                DeviationExaminer(), labeler, FrameStore(), run_dir, frames, eelt_cfg,
                executor=executor, chunk=config.get("executor", {}).get("chunk", 4))
