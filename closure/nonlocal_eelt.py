"""The non-local closure (`closure.systems.nonlocal_nsf`) in the EELT loop, config kind
"nonlocal_closure": the tubes, labels, examiner and run layout of the moment closure's loop
(`closure.nn.eelt.build_tubes`), with

- trainer (`NonlocalTrainer`): the closure fitted a priori (`fit_nonlocal`) to every
  snapshot of every labeled tube, each with its own Kn, whose gradient Knudsen number
  stays within kn_keep (default 1: beyond it the gradients are free-molecular, NSF-type
  fluxes are orders of magnitude off, and such a snapshot's relative error would swamp the
  fit and set kn_max): the model; and `members` fits,
  each to a bootstrap of those usable snapshots (as many draws as there are, with
  replacement; snapshots rather than runs, so that the members differ even when one or two
  runs are usable, which it warns about),
  warm-started from the model's parameters: the ensemble whose disagreement the examiner
  reads.  Saved as one JSON file (`NonlocalEnsemble`, nonlocal_ensemble.json);
- explorer (`NonlocalExplorer`): every member alone rolled out in the finite-volume solver;
- test error (`a_posteriori_errors`, `closure.nn.local_eelt.solution_errors`): the model's
  solution against the kinetic one, per problem the mean of the relative L2 errors of rho,
  T and q_x at the last snapshot; a tube rolled out on the run's grid, a stationary shock
  marched to steady state on cells of lambda_1/8 (aligned at the density midpoint,
  |x| <= 15); NSF for model None.

    [train]   members, w0_min, gamma_max, coupling, kn_keep, kn_fade (the third form's fade,
              held fixed in the fits; 0, the default: the second form)
    [explore] per_iteration, nx, fractions
    other sections: `closure.nn.eelt.build`
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

import boltzmann as bz
from boltzmann.errors import InputError

from .fv import FVNumerics, FVSolver
from .nn.eelt import TubeExplorer, snapshots
from .nn.local_eelt import NO_SOLUTION, TEST_FIELDS, build_solution_tested, solution_errors
from .systems.nonlocal_nsf import (
    NonlocalNSF,
    NonlocalParams,
    check_fade_w0,
    fit_nonlocal,
    gradient_knudsen,
    read_json,
    write_json,
)

FORMAT = "closure.nonlocal_ensemble/2"
FORMATS = ("closure.nonlocal_ensemble/1", FORMAT)  # /1: kn_fade optional (missing: no fade)
__all__ = ["NO_SOLUTION", "TEST_FIELDS", "NonlocalEnsemble", "NonlocalExplorer",
           "NonlocalTrainer", "a_posteriori_errors", "build", "tube_profiles"]


@dataclass
class NonlocalEnsemble:
    """The model (`mean`: the fit to all data) and its bootstrap members."""

    mean: NonlocalParams
    members: list
    meta: dict = field(default_factory=dict)

    def save(self, path):
        write_json(path, {"format": FORMAT, "mean": self.mean.encoded(),
                          "members": [m.encoded() for m in self.members], "meta": self.meta})

    @classmethod
    def load(cls, path):
        doc = read_json(path, FORMATS, "non-local ensemble")
        members = doc.get("members")
        if not isinstance(members, list) or not members:
            raise InputError(f"{path}: no members")
        return cls(NonlocalParams.decoded(doc.get("mean"), path),
                   [NonlocalParams.decoded(m, path) for m in members], doc.get("meta", {}))


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
                 seed=0, omega=0.5, prandtl=2.0 / 3.0, kn_fade=0.0):
        if members < 2:
            raise InputError(f"NonlocalTrainer: members = {members}; the examiner needs two "
                             "or more")
        if not kn_fade >= 0.0:
            raise InputError(f"NonlocalTrainer: kn_fade = {kn_fade} must be >= 0")
        check_fade_w0(w0_min, kn_fade, "NonlocalTrainer (w0_min)")  # before any labeling
        self.members, self.seed = members, seed
        self.options = {"w0_min": w0_min, "gamma_max": gamma_max, "coupling": coupling,
                        "kn_fade": kn_fade}
        self.kn_keep = kn_keep
        self.gas, self.prandtl = bz.Gas(omega=omega), prandtl

    def _fit(self, profiles, start=None):
        return fit_nonlocal(profiles, self.gas, self.gas.mu_ref(1.0), self.prandtl, np.inf,
                            start=start, **self.options)

    def usable(self, runs):
        """(the snapshots the fit takes: gradient Knudsen numbers within kn_keep, as
        `tube_profiles`; how many runs they come from)."""
        keep, out, count = self.kn_keep, [], 0
        for r in runs:
            mine = [p for p in tube_profiles([r], self.gas)
                    if gradient_knudsen(p["x"], p["rho"], p["u"], p["T"], self.gas,
                                        p["mu_ref"]).max() <= keep]
            out += mine
            count += bool(mine)
        return out, count

    def train(self, records, iteration, folder):
        t0 = time.perf_counter()
        runs = list(records)
        profiles, n_runs = self.usable(runs)
        if not profiles:
            raise InputError(f"NonlocalTrainer: none of the {len(runs)} runs has a snapshot "
                             f"with gradient Knudsen numbers <= kn_keep = {self.kn_keep}")
        if n_runs < 3:
            warnings.warn(f"NonlocalTrainer: only {n_runs} of {len(runs)} runs have "
                          "snapshots within kn_keep; the members' bootstraps of "
                          f"{len(profiles)} snapshots differ little", stacklevel=2)
        mean, losses = self._fit(profiles)
        members = []
        for m in range(self.members):  # bootstraps of the usable snapshots
            rng = np.random.default_rng((self.seed, iteration, m))
            draw = rng.integers(0, len(profiles), len(profiles))
            members.append(self._fit([profiles[i] for i in draw], start=mean)[0])
        model = NonlocalEnsemble(mean, members, {
            "omega": self.gas.omega, "prandtl": self.prandtl, "iteration": iteration,
            "trained_on": len(runs), "usable_runs": n_runs, "usable_snapshots": len(profiles),
            "losses": losses, **self.options, "kn_keep": self.kn_keep,
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
        try:
            solver = nonlocal_solver(params, problem, gas, nx=self.nx)
        except InputError:  # a member the solver refuses (e.g. a hand-edited coupling)
            return np.full((len(self.fractions), 4, self.nx), np.nan)
        return snapshots(solver, problem, self.nx, self.fractions)


def a_posteriori_errors(model, runs, omega, window=15.0, shock_dx=0.125):
    """`solution_errors` of the model's solution (the ensemble's `mean` parameters; NSF for
    None): a tube rolled out on the run's grid, a stationary shock marched to steady state
    on cells of shock_dx."""
    gas = bz.Gas(omega=omega)
    params = None if model is None else model.mean

    def tube(r):
        solver = nonlocal_solver(params, r.problem, gas, nx=r["x"].size)
        solver.run_until(r["t"][-1])
        return solver.solution()

    def shock(r):
        sol = nonlocal_solver(params, r.problem, gas, dx=shock_dx).run()
        return {"x": sol.x, **sol.moments}

    return solution_errors(runs, shock, tube, window)


def build(config, run_dir, executor=None):
    """The EELT of a "nonlocal_closure" config in run_dir (module docstring)."""
    return build_solution_tested(config, run_dir, NonlocalTrainer, NonlocalExplorer,
                                 a_posteriori_errors, executor)
