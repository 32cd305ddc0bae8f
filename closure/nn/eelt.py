"""The learned closure's adapters to the EELT engine (`closure.eelt`): explore shock tubes
drawn from a distribution by rolling out every ensemble member's closed moment system,
examine the members' disagreement along the rollouts, label the chosen tubes with the
kinetic solver, retrain the closure ensemble.

A candidate is a small dict (name, Mach number, Kn, the members' rollouts); a record is a
kinetic run (`closure.data.run_record`), stored by `RunStore` in one HDF5 file per chunk
with a group per run in the dataset's run-file layout.
"""

import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch

import boltzmann as bz
from boltzmann.errors import FileFormatError, InputError
from boltzmann.io import atomic_h5, open_checked

from .. import data
from ..fv import FVNumerics
from .closure_net import closure_inputs, closure_targets, production_model
from .ensemble import ClosureEnsemble
from .learned import LearnedClosure, assemble
from .moments import MomentAutoencoder

#: the deviation of a rollout in which some member's solution broke down
DIVERGED = 1e3


@dataclass(frozen=True)
class TubeDistribution:
    """Moving-shock tubes (`boltzmann.ShockTube.moving_shock`): shock Mach number uniform
    in `mach`, Kn log-uniform in `kn`, gas of viscosity exponent `omega`."""

    mach: tuple = (1.2, 6.0)
    kn: tuple = (1e-3, 10.0)
    omega: float = 0.5

    def __post_init__(self):
        if not 1.0 < self.mach[0] <= self.mach[1]:
            raise ValueError(f"shock Mach numbers {self.mach}: need 1 < low <= high")
        if not 0.0 < self.kn[0] <= self.kn[1]:
            raise ValueError(f"Knudsen numbers {self.kn}: need 0 < low <= high")

    def draw(self, rng, n, prefix):
        mach = rng.uniform(*self.mach, size=n)
        kn = 10.0 ** rng.uniform(*np.log10(self.kn), size=n)
        return [{"name": f"{prefix}_{k}_M{m:.3f}_kn{q:.4g}", "mach": float(m), "kn": float(q)}
                for k, (m, q) in enumerate(zip(mach, kn))]

    def problem(self, candidate):
        return bz.ShockTube.moving_shock(candidate["mach"], bz.Gas(omega=self.omega),
                                         kn=candidate["kn"])


def member(closure, m):
    """A LearnedClosure of the single ensemble member m."""
    ens = closure.ensemble
    return LearnedClosure(closure.ae, ClosureEnsemble([ens.nets[m]], ens.low, ens.high,
                                                      ens.std),
                          closure.production.numpy(), closure.meta)


def rollout(closure, problem, gas, nx, fractions):
    """Snapshots (len(fractions), 4, nx) of rho, u, T, q_x; those from the first one the
    solution did not reach intact (it broke down) on are NaN."""
    from ..learned_fv import LearnedSolver

    return snapshots(LearnedSolver(problem, gas, closure, FVNumerics(nx=nx)), problem, nx,
                     fractions)


def snapshots(solver, problem, nx, fractions):
    """`rollout` of any finite-volume solver of `problem` on nx cells."""
    out = np.full((len(fractions), 4, nx), np.nan)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for j, a in enumerate(fractions):
                solver.advance(a * problem.t_end)
                m = solver.solution().moments
                snap = np.array([m[k] for k in ("rho", "u", "T", "q_x")])
                if not np.isfinite(snap).all():
                    break
                out[j] = snap
    except (ArithmeticError, RuntimeError, ValueError):  # SolutionError and friends
        pass
    return out


class TubeExplorer:
    """`per_iteration` tubes a round, each rolled out by every member on `nx` cells to the
    snapshot `fractions` of its end time."""

    def __init__(self, distribution=TubeDistribution(), per_iteration=8, nx=100,
                 fractions=(0.25, 0.5, 0.75, 1.0), seed=0):
        self.distribution, self.per_iteration = distribution, per_iteration
        self.nx, self.fractions, self.seed = nx, tuple(fractions), seed

    def explore(self, closure, iteration):
        rng = np.random.default_rng((self.seed, iteration))
        gas = bz.Gas(omega=self.distribution.omega)
        members = self.members(closure)
        out = []
        for c in self.distribution.draw(rng, self.per_iteration, f"it{iteration}"):
            p = self.distribution.problem(c)
            c["rollouts"] = [self.rollout(m, p, gas) for m in members]
            out.append(c)
        return out

    def members(self, closure):
        """The ensemble's members, each a closure of its own."""
        return [member(closure, m) for m in range(len(closure.nets))]

    def rollout(self, closure, problem, gas):
        """One member's `rollout` of a problem."""
        return rollout(closure, problem, gas, self.nx, self.fractions)


class DisagreementExaminer:
    """The members' disagreement along a rollout: the largest over snapshots and cells of
    the standard deviation across members of rho/rho_mean, T/T_mean and q_x / (p sqrt T)
    (dimensionless); DIVERGED when a member's solution broke down.  `graded`: a breakdown
    scores DIVERGED (1 + the members' mean fraction of snapshots lost) instead, up to
    2 DIVERGED, so that among broken-down rollouts the earliest and most widespread
    breakdowns rank first (a trust_hi above 2 DIVERGED keeps them all candidates)."""

    def __init__(self, graded=False):
        self.graded = graded

    def examine(self, closure, candidates):
        return [deviation(c["rollouts"], self.graded) for c in candidates]


def deviation(rollouts, graded=False):
    """The disagreement of the members' rollouts (`rollout`: NaN snapshots once broken
    down; None is taken as a rollout lost entirely, like one that is all NaN)."""
    lost = [1.0 if r is None else float(np.mean(~np.isfinite(r).all(axis=(1, 2))))
            for r in rollouts]
    if max(lost) > 0.0:
        return DIVERGED * (1.0 + float(np.mean(lost))) if graded else DIVERGED
    r = np.stack(rollouts)  # (members, snapshots, 4, nx)
    rho, T = r[:, :, 0].mean(axis=0), r[:, :, 2].mean(axis=0)
    scale = rho * T * np.sqrt(T)
    d = [r[:, :, 0].std(axis=0) / rho, r[:, :, 2].std(axis=0) / T,
         r[:, :, 3].std(axis=0) / scale]
    return float(max(x.max() for x in d))


class KineticLabeler:
    """The kinetic solver (collision model by name, `closure.data.MODELS`: bgk, shakhov,
    esbgk, or spectral for the full Boltzmann equation) on the candidate tubes, on `nx`
    cells with velocity spacing `v_spacing` (thermal speeds of the coldest state; see
    `closure.data.RunSpec`), with snapshots at `fractions` of the end time."""

    def __init__(self, model="shakhov", distribution=TubeDistribution(), nx=100,
                 fractions=(0.25, 0.5, 0.75, 1.0), v_spacing=data.RunSpec.v_spacing):
        if model not in data.MODELS:
            raise InputError(f"KineticLabeler: model {model!r} is not one of {data.MODELS}")
        self.model, self.distribution = model, distribution
        self.nx, self.fractions = nx, tuple(fractions)
        self.v_spacing = data.velocity_spacing(v_spacing, model, "KineticLabeler")

    def check_labels(self, runs, path):
        """FileFormatError when the labeled `runs` (read from `path`) were labeled with
        another velocity spacing than this labeler's (a config changed under a kept file)."""
        for r in runs:
            if data.spacing_differs(r, self.model, self.v_spacing):
                raise FileFormatError(f"{path}: {r.name} was labeled with v_spacing "
                                      f"{data.labeled_spacing(r)}, the "
                                      f"config asks {self.v_spacing}; remove the file to "
                                      "label again")

    def spec(self, c, split="train"):
        p = self.distribution.problem(c)
        return data.RunSpec(c["name"], p, self.model,
                            self.distribution.omega,
                            tuple(a * p.t_end for a in self.fractions), self.nx, split,
                            {"mach": c["mach"], "kn": c["kn"]}, self.v_spacing)

    def label(self, candidates):
        records, failed = [], []
        for k, c in enumerate(candidates):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    records.append(data.run_record(self.spec(c)))
            except Exception as exc:  # noqa: BLE001 - a failed kinetic run is reported
                failed.append((k, f"{type(exc).__name__}: {exc}"))
        return records, failed


class RunStore:
    """Run records in one HDF5 file, one group per run in the run-file layout."""

    def save(self, path, records):
        def fill(h5):
            h5.attrs["format"] = "mlclosure.runs"
            for k, r in enumerate(records):
                data.write_record(h5.create_group(f"run_{k:05d}"), r)

        return atomic_h5(path, fill)

    def load(self, path):
        with open_checked(path, "mlclosure.runs") as h5:
            return [data.read_record(g, f"{path}:{name}") for name, g in sorted(h5.items())]


class ClosureTrainer:
    """The closure ensemble (K = 2: sigma^ and q^, the moments fixed) trained from scratch
    on every record, members with seeds seed + m; every `val_every`-th run validates; on
    `device` (cpu, cuda[:N] or auto: `closure.nn.train.training_device`)."""

    def __init__(self, members=4, epochs=200, lr=3e-3, width=32, patience=40, seed=0,
                 val_every=5, model="shakhov", batch=1024, device="cpu"):
        self.members, self.epochs, self.lr, self.width = members, epochs, lr, width
        self.batch, self.device = batch, device
        self.patience, self.seed, self.val_every, self.model = patience, seed, val_every, model

    def train(self, records, iteration, folder):
        runs = records  # data.Run, as RunStore loads them
        val = runs[::self.val_every] or runs[:1]
        train = [r for k, r in enumerate(runs) if k % self.val_every] or runs
        torch.manual_seed(self.seed)
        t0 = time.perf_counter()
        ae = MomentAutoencoder(2, grad=True)
        ens = ClosureEnsemble.fit(ae, closure_inputs(train), closure_inputs(val),
                                  members=self.members, epochs=self.epochs, lr=self.lr,
                                  seed=self.seed, patience=self.patience, width=self.width,
                                  batch=self.batch, device=self.device)
        closure = assemble(ae, ens, self.model, iteration=iteration, trained_on=len(runs),
                           data_hash=data.dataset_hash(runs),
                           train_seconds=time.perf_counter() - t0)
        folder.mkdir(parents=True, exist_ok=True)
        closure.save(folder / "closure.pt")
        return closure


def a_priori_error(closure, runs):
    """The ensemble-mean closure targets against the exact ones over every cell of `runs`:
    per target the L2 error over its L2 variation about its mean, averaged over the
    targets that vary (the cheap test error logged at each iteration)."""
    f, kn = closure_inputs(runs, closure.mfp_scale)
    with torch.no_grad():
        exact = closure_targets(closure.ae, torch.as_tensor(f)).numpy()
        W = closure.ae.encode(torch.as_tensor(f)).numpy()
    pred = closure.evaluator()(W, kn)
    spread = np.linalg.norm(exact - exact.mean(axis=0), axis=0)
    varies = spread > 1e-9 * max(spread.max(), 1e-300)
    return float(np.mean(np.linalg.norm(pred - exact, axis=0)[varies] / spread[varies]))


def labeler_from(config):
    """(TubeDistribution, KineticLabeler) of a closure config's [distribution], [label] and
    [explore] fractions (`build`)."""
    from ..eelt import from_table

    dist = from_table(TubeDistribution, config.get("distribution", {}))
    lab = config.get("label", {})
    fractions = tuple(config.get("explore", {}).get("fractions", (0.25, 0.5, 0.75, 1.0)))
    return dist, KineticLabeler(lab.get("model", "shakhov"), dist, lab.get("nx", 100),
                                fractions, lab.get("v_spacing", data.RunSpec.v_spacing))


def build(config, run_dir, executor=None):
    """The EELT of a closure config (a dict; sections below) in run_dir.  The initial and
    test tubes are labeled on the first call and kept (initial.h5, test.h5).

        [distribution] mach = [low, high], kn = [low, high], omega
        [explore]      per_iteration, nx, fractions
        [label]        model (kinetic collision model), nx, v_spacing (thermal speeds)
        [train]        members, epochs, lr, width, patience, batch, device
        [initial]      tubes (how many drawn from the distribution), seed
        [test]         tubes = [[mach, kn], ...] held out, logged every iteration
        [examine]      graded (DisagreementExaminer)
        [eelt]         EELTConfig fields
    """
    def adapters(dist, labeler, eelt_cfg):
        production = production_model(labeler.model, dist.omega)
        ex = config.get("explore", {})
        trainer = ClosureTrainer(**train_table(ClosureTrainer, config), seed=eelt_cfg.seed,
                                 model=production)
        explorer = TubeExplorer(dist, ex.get("per_iteration", 8), ex.get("nx", 100),
                                labeler.fractions, seed=eelt_cfg.seed)
        return trainer, explorer, lambda closure, runs: {"a_priori": a_priori_error(closure,
                                                                                   runs)}

    return build_tubes(config, run_dir, adapters, executor)


def train_table(cls, config, set_by_builder=("seed", "model", "omega", "prandtl")):
    """The config's [train] table as keyword arguments of the trainer class `cls`; an
    InputError names keys it does not take (before anything is labeled)."""
    import inspect

    table = dict(config.get("train", {}))
    allowed = set(inspect.signature(cls).parameters) - set(set_by_builder)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError(f"[train] {unknown}: not keys of {cls.__name__} (it takes "
                         f"{sorted(allowed)})")
    return table


def build_tubes(config, run_dir, adapters, executor=None):
    """The EELT of a tube-distribution config with the trainer, explorer and tester of
    adapters(distribution, labeler, eelt_config) (`build`'s sections but [train] and
    [explore], which are the adapters' own; tester(model, test_runs) -> {name: error}).  The
    adapters are built first, so a bad table is refused before anything is labeled; the
    initial and test tubes are labeled once and kept."""
    from pathlib import Path

    from ..eelt import EELT, EELTConfig

    dist, labeler = labeler_from(config)
    eelt_cfg = EELTConfig(**config.get("eelt", {}))
    trainer, explorer, tester = adapters(dist, labeler, eelt_cfg)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    store = RunStore()
    test_path = run_dir / "test.h5"
    if not test_path.exists():
        tubes = [{"name": f"test_{k}", "mach": float(m), "kn": float(q)}
                 for k, (m, q) in enumerate(config.get("test", {}).get("tubes", []))]
        runs, failed = labeler.label(tubes)
        if failed:
            raise RuntimeError(f"test tubes could not be labeled: {failed}")
        store.save(test_path, runs)
    test_runs = store.load(test_path)
    labeler.check_labels(test_runs, test_path)
    initial = []
    if not (run_dir / "initial.h5").exists():
        ic = config.get("initial", {})
        tubes = dist.draw(np.random.default_rng(ic.get("seed", 1234)), ic.get("tubes", 4),
                          "init")
        initial, failed = labeler.label(tubes)
        if not initial:
            raise RuntimeError(f"no initial tube could be labeled: {failed[:3]}")

    examiner = DisagreementExaminer(**config.get("examine", {}))
    return EELT(trainer, explorer, examiner, labeler, store, run_dir, initial, eelt_cfg,
                executor=executor, chunk=config.get("executor", {}).get("chunk", 2),
                tester=lambda model: tester(model, test_runs) if test_runs else {})
