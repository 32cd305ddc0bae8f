"""The non-local closure (`closure.systems.nonlocal_nsf`) in the EELT loop, config kind
"nonlocal_closure": the tubes, labels, examiner and run layout of the moment closure's loop
(`closure.nn.eelt.build_tubes`), with

- trainer (`NonlocalTrainer`): the closure fitted a priori (`fit_nonlocal`) to every
  snapshot of every labeled tube, each with its own Kn, whose gradient Knudsen number
  stays within kn_keep (default 1: beyond it the gradients are free-molecular, NSF-type
  fluxes are orders of magnitude off, and such a snapshot's relative error would swamp the
  fit and set kn_max): the model; and `members` fits,
  each to a bootstrap of the labeled tubes (as many draws as tubes, with replacement),
  warm-started from the model's parameters: the ensemble whose disagreement the examiner
  reads.  Saved as one JSON file (`NonlocalEnsemble`, nonlocal_ensemble.json);
- explorer (`NonlocalExplorer`): every member alone rolled out in the finite-volume solver;
- test error (`a_posteriori_errors`): the model's solution against the kinetic one, per
  problem the mean of the relative L2 errors of rho, T and q_x at the last snapshot; a
  tube rolled out on the run's grid, a stationary shock marched to steady state on cells of
  lambda_1/8 (both aligned at the density midpoint, |x| <= 15); NSF for model None.

    [train]   members, w0_min, gamma_max, coupling, kn_keep
    [explore] per_iteration, nx, fractions
    other sections: `closure.nn.eelt.build`
"""

import json
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import boltzmann as bz
from boltzmann.errors import FileFormatError, InputError, SolutionError

from .fv import FVNumerics, FVSolver
from .metrics import profile_errors
from .nn.eelt import TubeExplorer, build_tubes, snapshots, train_table
from .systems.nonlocal_nsf import NonlocalNSF, NonlocalParams, fit_nonlocal

FORMAT = "closure.nonlocal_ensemble/1"
#: the error a test problem counts with when the closure gives no solution for it
NO_SOLUTION = 1.0
TEST_FIELDS = ("rho", "T", "q_x")


def _encode(p):
    return {k: (None if np.isinf(v) else float(v)) for k, v in asdict(p).items()}


def _decode(d, path):
    if not isinstance(d, dict):
        raise InputError(f"{path}: parameters {d!r} are not a JSON object")
    d = dict(d)
    if d.get("kn_max", 0.0) is None:
        d["kn_max"] = np.inf
    try:
        return NonlocalParams(**d)
    except TypeError as exc:
        raise InputError(f"{path}: parameters {sorted(d)}: {exc}") from exc


@dataclass
class NonlocalEnsemble:
    """The model (`mean`: the fit to all data) and its bootstrap members."""

    mean: NonlocalParams
    members: list
    meta: dict = field(default_factory=dict)

    def save(self, path):
        path = Path(path)
        doc = {"format": FORMAT, "mean": _encode(self.mean),
               "members": [_encode(m) for m in self.members], "meta": self.meta}
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path):
        path = Path(path)
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable non-local ensemble file ({exc})") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InputError(f"{path}: not a non-local ensemble file (format "
                             f"{doc.get('format') if isinstance(doc, dict) else None!r}, "
                             f"expected {FORMAT!r})")
        members = doc.get("members")
        if not isinstance(members, list) or not members:
            raise InputError(f"{path}: no members")
        return cls(_decode(doc.get("mean"), path), [_decode(m, path) for m in members],
                   doc.get("meta", {}))


def tube_profiles(runs, gas):
    """Every snapshot of every run as a profile for `fit_nonlocal`, with the run's own
    mu_ref (its Kn, in `gas`)."""
    out = []
    for r in runs:
        mu_ref = gas.mu_ref(r.problem.mfp_ref)
        for s in range(r["rho"].shape[0]):
            out.append({"x": r["x"], "mu_ref": mu_ref,
                        **{k: r[k][s] for k in ("rho", "u", "T", "sigma_xx", "q_x")}})
    return out


class NonlocalTrainer:
    """The closure fitted to all labeled snapshots (the model) and `members` fits to
    bootstraps of the labeled tubes, warm-started from it (module docstring)."""

    def __init__(self, members=4, w0_min=0.25, gamma_max=2.0, coupling=True, kn_keep=1.0,
                 seed=0, omega=0.5, prandtl=2.0 / 3.0):
        if members < 2:
            raise InputError(f"NonlocalTrainer: members = {members}; the examiner needs two "
                             "or more")
        self.members, self.seed = members, seed
        self.options = {"w0_min": w0_min, "gamma_max": gamma_max, "coupling": coupling,
                        "kn_keep": kn_keep}
        self.gas, self.prandtl = bz.Gas(omega=omega), prandtl

    def _fit(self, runs, start=None):
        return fit_nonlocal(tube_profiles(runs, self.gas), self.gas, self.gas.mu_ref(1.0),
                            self.prandtl, np.inf, start=start, **self.options)

    def train(self, records, iteration, folder):
        t0 = time.perf_counter()
        runs = list(records)
        mean, losses = self._fit(runs)
        members = []
        for m in range(self.members):
            rng = np.random.default_rng((self.seed, iteration, m))
            members.append(self._fit([runs[i] for i in rng.integers(0, len(runs), len(runs))],
                                     start=mean)[0])
        model = NonlocalEnsemble(mean, members, {
            "omega": self.gas.omega, "prandtl": self.prandtl, "iteration": iteration,
            "trained_on": len(runs), "losses": losses, **self.options,
            "train_seconds": time.perf_counter() - t0})
        folder.mkdir(parents=True, exist_ok=True)
        model.save(folder / "nonlocal_ensemble.json")
        return model


def nonlocal_solver(params, problem, gas, nx=None, dx=None, prandtl=2.0 / 3.0):
    """The finite-volume solver of `problem` with the closure `params` (NSF for None)."""
    numerics = FVNumerics(nx=nx, dx=dx)
    if params is None:
        return FVSolver(problem, gas, "nsf", numerics, prandtl)
    system = NonlocalNSF(gas, gas.mu_ref(problem.mfp_ref), prandtl, params)
    return FVSolver(problem, gas, system, numerics, prandtl)


class NonlocalExplorer(TubeExplorer):
    """`TubeExplorer` with each member's closure rolled out alone."""

    def members(self, model):
        return list(model.members)

    def rollout(self, params, problem, gas):
        return snapshots(nonlocal_solver(params, problem, gas, nx=self.nx), problem, self.nx,
                         self.fractions)


def a_posteriori_errors(model, runs, omega, window=15.0, shock_dx=0.125):
    """Per run, the mean over TEST_FIELDS of the relative L2 errors of the model's solution
    (the ensemble's `mean` parameters; NSF for None) against the run's last kinetic
    snapshot (module docstring).  NO_SOLUTION where there is none; bad input and files
    still raise."""
    gas = bz.Gas(omega=omega)
    params = None if model is None else model.mean
    out = []
    for r in runs:
        ref = {k: r[k][-1] for k in TEST_FIELDS}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if r.problem.boundary == "shock":
                    sol = nonlocal_solver(params, r.problem, gas, dx=shock_dx).run()
                    rho = ref["rho"]
                    x = r["x"] - bz.density_midpoint(r["x"], rho, 0.5 * (rho[0] + rho[-1]))
                    err = profile_errors(x, ref, sol.x, sol.moments, window, TEST_FIELDS)
                else:
                    solver = nonlocal_solver(params, r.problem, gas, nx=r["x"].size)
                    solver.run_until(r["t"][-1])
                    sol = solver.solution()
                    err = profile_errors(r["x"], ref, sol.x, sol.moments, None, TEST_FIELDS)
            e = float(np.mean(list(err.values())))
        except (InputError, FileFormatError):
            raise
        except (SolutionError, ArithmeticError, ValueError):  # a breakdown, or no profile
            e = np.nan
        out.append(e if np.isfinite(e) else NO_SOLUTION)
    return out


def build(config, run_dir, executor=None):
    """The EELT of a "nonlocal_closure" config in run_dir (module docstring)."""

    def adapters(dist, labeler, eelt_cfg):
        ex = config.get("explore", {})
        trainer = NonlocalTrainer(**train_table(NonlocalTrainer, config), seed=eelt_cfg.seed,
                                  omega=dist.omega)
        explorer = NonlocalExplorer(dist, ex.get("per_iteration", 8), ex.get("nx", 100),
                                    labeler.fractions, seed=eelt_cfg.seed)

        def tester(model, runs):
            errors = np.array(a_posteriori_errors(model, runs, dist.omega))
            return {"a_posteriori": float(errors.mean()),
                    "no_solution": int(np.count_nonzero(errors == NO_SOLUTION))}

        return trainer, explorer, tester

    return build_tubes(config, run_dir, adapters, executor)
