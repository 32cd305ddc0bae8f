"""The learned local closure (`closure.nn.local`: NSF with a convex constitutive map, a
parabolic system that does not break down) in the EELT loop, config kind "local_closure".

- trainer: members = single convex maps fitted a priori (`fit_local_map`) to the
  (fluxes, NSF-normalised gradients) pairs of every cell and snapshot of the labeled tubes,
  each on its own bootstrap resample of the cells (as many draws as cells, with replacement)
  and with its own seed, sharing the scale and box of all the data; the model is the
  LocalMap of their mean (`local.pt`);
- explorer: every member alone rolled out in the finite-volume solver (`LocalNSF`);
- examiner and labeler: those of the moment closure (`closure.nn.eelt`);
- test error: a posteriori, the mean map's rollout of each held-out tube against the
  kinetic last snapshot (rho, T, q_x), and for a stationary shock its ODE profile
  (`closure.shock_ode.nsf_shock`) against the kinetic one; `a_posteriori_errors`.

    [train]   members, width, iters, lr, rows (draws per member; default: every cell), eps
    [explore] per_iteration, nx, fractions
    other sections: `closure.nn.eelt.build`
"""

import time
import warnings

import numpy as np

import boltzmann as bz
from boltzmann.errors import FileFormatError, InputError, SolutionError

from ..fv import FVNumerics, FVSolver
from ..metrics import profile_errors
from ..shock_ode import nsf_shock
from .eelt import TubeExplorer, build_tubes, snapshots, train_table
from .local import LocalMap, feature_box, fit_local_map, gradient_pairs

#: the error a test problem counts with when the closure gives no solution for it (a real
#: error can exceed it: the relative L2 error of a wrong profile is not bounded by 1)
NO_SOLUTION = 1.0
#: the fields of the a-posteriori test error (relative L2, `closure.metrics`)
TEST_FIELDS = ("rho", "T", "q_x")


def local_pairs(runs, gas, prandtl=2.0 / 3.0):
    """(fluxes, gradients), each (N, 2), of every cell and snapshot of `runs` (`gradient_pairs`
    with each run's mean free path)."""
    pairs = [gradient_pairs(r["x"], r["rho"][s], r["u"][s], r["T"][s], r["sigma_xx"][s],
                            r["q_x"][s], gas, prandtl, r.problem.mfp_ref)
             for r in runs for s in range(r["rho"].shape[0])]
    fluxes, grads = (np.concatenate(a) for a in zip(*pairs))
    keep = np.isfinite(fluxes).all(axis=1) & np.isfinite(grads).all(axis=1)
    return fluxes[keep], grads[keep]


def member_map(model, m):
    """The LocalMap of member m of `model` alone."""
    single = LocalMap(model.width, 1, tuple(model.scale.tolist()), tuple(model.box.tolist()),
                      model.prandtl, model.eps, meta=model.meta)
    single.nets[0].load_state_dict(model.nets[m].state_dict())
    return single


def local_solver(model, problem, gas, nx):
    """The finite-volume solver of `problem` on nx cells with the LocalMap `model` (NSF for
    None)."""
    from ..systems.local import LocalNSF

    if model is None:
        return FVSolver(problem, gas, "nsf", FVNumerics(nx=nx))
    system = LocalNSF(gas, gas.mu_ref(problem.mfp_ref), model.prandtl, net=model)
    return FVSolver(problem, gas, system, FVNumerics(nx=nx))


def member_seed(seed, m):
    """The torch seed of member m of a trainer with `seed` (distinct across seeds and
    members, unlike seed + m)."""
    return int(np.random.SeedSequence((seed, m)).generate_state(1)[0])


class LocalTrainer:
    """`members` convex maps of `width`, each fitted for `iters` Adam steps to `rows` cells
    (default: as many as there are) drawn with replacement from all labeled cells, with a
    seed (`member_seed`) and a bootstrap of its own."""

    def __init__(self, members=4, width=16, iters=800, lr=3e-3, rows=None, eps=0.05, seed=0,
                 omega=0.5, prandtl=2.0 / 3.0):
        self.members, self.width, self.iters, self.lr = members, width, iters, lr
        self.rows, self.eps, self.seed = rows, eps, seed
        self.gas, self.prandtl = bz.Gas(omega=omega), prandtl

    def train(self, records, iteration, folder):
        t0 = time.perf_counter()
        fluxes, grads = local_pairs(records, self.gas, self.prandtl)
        scale = tuple(fluxes.std(axis=0).tolist())
        box = feature_box(fluxes)
        model = LocalMap(self.width, self.members, scale, box, self.prandtl, self.eps)
        losses = []
        for m in range(self.members):
            rng = np.random.default_rng((self.seed, iteration, m))
            idx = rng.integers(0, len(fluxes), self.rows or len(fluxes))
            fit = fit_local_map(fluxes[idx], grads[idx], self.width, (member_seed(self.seed, m),),
                                self.iters, self.lr, self.prandtl, self.eps, scale=scale,
                                box=box, closed_form=True)
            model.nets[m].load_state_dict(fit.nets[0].state_dict())
            losses.append(fit.meta["training"][0]["loss"])
        model.meta.update(omega=self.gas.omega, iteration=iteration, trained_on=len(records),
                          cells=len(fluxes), losses=losses,
                          train_seconds=time.perf_counter() - t0)
        folder.mkdir(parents=True, exist_ok=True)
        model.save(folder / "local.pt")
        return model


class LocalExplorer(TubeExplorer):
    """`TubeExplorer` with each member of a LocalMap rolled out alone (`LocalNSF`)."""

    def members(self, model):
        return [member_map(model, m) for m in range(len(model.nets))]

    def rollout(self, model, problem, gas):
        try:
            solver = local_solver(model, problem, gas, self.nx)
        except SolutionError:  # no inverse table: the member has no closed system at all
            return np.full((len(self.fractions), 4, self.nx), np.nan)
        return snapshots(solver, problem, self.nx, self.fractions)


def solution_errors(runs, shock_profile, tube_solution, window=15.0):
    """Per run, the mean over TEST_FIELDS of the relative L2 errors of a model's solution
    against the run's last kinetic snapshot: for a stationary shock (boundary 'shock')
    shock_profile(run) (a mapping with x and the fields), aligned with the kinetic one at
    the density midpoint, over |x| <= window upstream mean free paths; for a tube
    tube_solution(run) (a solution on the run's grid at its last time).  NO_SOLUTION where
    there is none (a breakdown, or no profile); bad input and files still raise."""
    out = []
    for r in runs:
        ref = {k: r[k][-1] for k in TEST_FIELDS}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if r.problem.boundary == "shock":
                    prof = shock_profile(r)
                    rho = ref["rho"]
                    x = r["x"] - bz.density_midpoint(r["x"], rho, 0.5 * (rho[0] + rho[-1]))
                    err = profile_errors(x, ref, prof["x"], prof, window, TEST_FIELDS)
                else:
                    sol = tube_solution(r)
                    err = profile_errors(r["x"], ref, sol.x, sol.moments, None, TEST_FIELDS)
            e = float(np.mean(list(err.values())))
        except (InputError, FileFormatError):
            raise
        except (SolutionError, ArithmeticError, ValueError):  # a breakdown, or no profile
            e = np.nan
        out.append(e if np.isfinite(e) else NO_SOLUTION)
    return out


def a_posteriori_errors(model, runs, omega, window=15.0):
    """`solution_errors` of the map's solution: a tube rolled out on the run's grid, a
    stationary shock from its ODE.  model None: NSF (Pr = 2/3), the baseline on the same
    footing."""
    gas = bz.Gas(omega=omega)

    def shock(r):
        mfp = r.problem.mfp_ref
        if model is None:
            return nsf_shock(r.problem.mach, gas, mfp_ref=mfp)
        return nsf_shock(r.problem.mach, gas, model.prandtl, mfp,
                         constitutive=model.as_constitutive())

    def tube(r):
        solver = local_solver(model, r.problem, gas, r["x"].size)
        solver.run_until(r["t"][-1])
        return solver.solution()

    return solution_errors(runs, shock, tube, window)


def error_tester(errors, omega):
    """The EELT tester of a-posteriori errors(model, runs, omega): their mean and how many
    problems had no solution."""
    def tester(model, runs):
        e = np.array(errors(model, runs, omega))
        return {"a_posteriori": float(e.mean()),
                "no_solution": int(np.count_nonzero(e == NO_SOLUTION))}

    return tester


def build_solution_tested(config, run_dir, trainer_cls, explorer_cls, errors,
                          executor=None):
    """The EELT of a tube config whose trainer (class, from [train]) and explorer (class,
    from [explore]) are given and whose test error is a posteriori (errors(model, runs,
    omega), `error_tester`)."""

    def adapters(dist, labeler, eelt_cfg):
        ex = config.get("explore", {})
        trainer = trainer_cls(**train_table(trainer_cls, config), seed=eelt_cfg.seed,
                              omega=dist.omega)
        explorer = explorer_cls(dist, ex.get("per_iteration", 8), ex.get("nx", 100),
                                labeler.fractions, seed=eelt_cfg.seed)
        return trainer, explorer, error_tester(errors, dist.omega)

    return build_tubes(config, run_dir, adapters, executor)


def build(config, run_dir, executor=None):
    """The EELT of a "local_closure" config in run_dir (module docstring)."""
    return build_solution_tested(config, run_dir, LocalTrainer, LocalExplorer,
                                 a_posteriori_errors, executor)
