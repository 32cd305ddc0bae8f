"""Every solver of the toolkit by the name of its collision model: one labeler interface.

    sol = solve(NormalShock(5.5, upstream=15, downstream=15), "dsmc", Gas(omega=0.5),
                q_tol=0.02)
    sol.save("shock.h5")      # the same profile datasets whatever the model

'bgk', 'shakhov', 'esbgk': the discrete-velocity kinetic solver (options: `Numerics` fields);
'dsmc': direct simulation Monte Carlo (options: `DSMCNumerics` fields, alpha for VSS
molecules, and samples, q_tol, max_time for a shock); 'spectral': the fast spectral Boltzmann
solver (options: `SpectralNumerics` fields, tol for a shock).  Every result has x, t,
moments (and errors for DSMC) and save(path).
"""

from dataclasses import fields

from .collision import COLLISIONS
from .errors import InputError
from .gas import Gas


def _split(options, cls):
    names = {f.name for f in fields(cls)}
    own = {k: v for k, v in options.items() if k in names}
    rest = {k: v for k, v in options.items() if k not in names}
    return own, rest


def _check_empty(rest, name):
    if rest:
        raise InputError(f"solve({name!r}): unknown options {sorted(rest)}")


def _kinetic(problem, model, gas, progress, options):
    from .collision import get_model
    from .solver import KineticSolver, Numerics

    prandtl = options.pop("prandtl", None)
    own, rest = _split(options, Numerics)
    _check_empty(rest, model)
    return KineticSolver(problem, gas, get_model(model, prandtl), Numerics(**own)).run(
        progress=progress)


def _dsmc(problem, model, gas, progress, options):
    from .dsmc import DSMC, DSMCNumerics, molecule_for

    molecule = molecule_for(gas.omega, options.pop("alpha", 1.0))
    own, rest = _split(options, DSMCNumerics)
    run = {k: rest.pop(k) for k in ("samples", "q_tol", "max_time") if k in rest}
    _check_empty(rest, model)
    return DSMC(problem, gas, molecule, DSMCNumerics(**own)).run(progress=progress, **run)


def _spectral(problem, model, gas, progress, options):
    from .spectral import SpectralNumerics, SpectralSolver

    own, rest = _split(options, SpectralNumerics)
    run = {k: rest.pop(k) for k in ("tol", "t_end") if k in rest}
    _check_empty(rest, model)
    return SpectralSolver(problem, gas, SpectralNumerics(**own)).run(progress=progress, **run)


SOLVERS = {**{name: _kinetic for name in COLLISIONS}, "dsmc": _dsmc, "spectral": _spectral}


def solve(problem, model: str = "shakhov", gas: Gas = Gas(), progress: bool = False,
          **options):
    """Solve `problem` with the solver of `model` (module docstring)."""
    if model not in SOLVERS:
        raise InputError(f"unknown model {model!r}; choose one of {sorted(SOLVERS)}")
    return SOLVERS[model](problem, model, gas, progress, dict(options))
