"""Finite-volume solver for 1D moment systems on the shared problems.

Second-order MUSCL reconstruction of the conserved variables (van Leer limiter), Rusanov's
flux with the system's wave-speed bound, the system's dissipative face flux, the step bounded
by the CFL number and, for dissipative systems, by the explicit diffusion limit.  Time: SSP-RK2
[Shu & Osher 1988]; for the Grad family, whose relaxation is stiff at small Kn, the IMEX
scheme ARS(2,2,2) with implicit productions.  In time-accurate runs the dissipative fluxes
are Strang-split from the hyperbolic step and advanced by the linearly implicit ROS2 or (the
learned R13) RKL2 super-time-stepping, or for R13 taken implicitly inside the IMEX step
(`closure.stepping`).  Boundaries as in the kinetic solver: zero-gradient tube ends, periodic
waves, and for a normal shock a fixed supersonic inflow and the characteristic subsonic
outflow of `boltzmann.boundary`.

Two back ends compute the same scheme: numba kernels for the classical systems
(`closure.kernels`, the default) and whole-array NumPy for any system with the `MomentSystem`
methods (a new closure runs there first; SSP-RK2 with the system's `relax` hook after each
step).
"""

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from boltzmann.boundary import outflow_state
from boltzmann.diagnostics import density_midpoint
from boltzmann.errors import InputError, SolutionError
from boltzmann.gas import Gas
from boltzmann.io import write_profiles
from boltzmann.solver import numerics_attrs, shock_dx
from boltzmann.steady import march_to_steady, shift_cells
from boltzmann.stepping import SSPRK2

from . import kernels, stepping
from .systems import SYSTEMS, MomentSystem
from .systems.nsf import KernelFluxes

NG = kernels.NG
BACKENDS = ("numba", "numpy")
SPLIT_SCHEMES = {"rkl2": stepping.SPLIT_RKL2, "ros2": stepping.SPLIT_ROS2,
                 "imex": stepping.IMEX}


class SubshockWarning(UserWarning):
    """A moment system asked for a shock stronger than its continuous shock structures."""


class SplitFallbackWarning(UserWarning):
    """A time-accurate run with super-time-stepped dissipative fluxes left the domain and was
    run again with the unsplit step."""


@dataclass(frozen=True)
class FVNumerics:
    """nx: cells (tube, wave); dx: cell size in lambda_1 (shock, default as the kinetic
    solver's); cfl: max speed dt/dx (and dt <= cfl dx^2 / (2 D) for diffusion D);
    backend: 'numba' (classical systems) or 'numpy' (any system)."""

    nx: int | None = None
    dx: float | None = None
    cfl: float = 0.5
    check_every: int = 20
    backend: str = "numba"
    #: dissipative systems in time-accurate runs: the dissipative fluxes Strang-split from
    #: the hyperbolic step (steady shocks always take the unsplit step, whose fixed point is
    #: the steady state)
    super_time_stepping: bool = True
    #: how the dissipative part is advanced: Strang-split by 'rkl2' (explicit
    #: super-time-stepping) or 'ros2' (linearly implicit: eight scalar tridiagonal solves
    #: per step instead of stages growing with the step's diffusion number), or unsplit in
    #: 'imex' (R13: ARS(2,2,2) with the regularising fluxes and productions implicit);
    #: 'auto': imex for R13, ros2 for NSF, the local and the non-local closure, rkl2 for the
    #: learned R13
    #: (for which ros2 and imex are refused: unstable at Kn = 1, docs/moment_systems.md)
    dissipative_scheme: str = "auto"
    #: split ROS2: adjacent dissipative half steps are taken as one solve while each
    #: spans at most this many forward-Euler bounds of the dissipative part (0: never); at
    #: 20 (chosen on measurements) the held-out tubes' errors were unchanged to three
    #: digits and the merged ones ran 1.6-1.8x faster (docs/moment_systems.md)
    merge_limit: float = 20.0

    def __post_init__(self):
        if not (np.isfinite(self.cfl) and 0.0 < self.cfl <= 1.0):
            raise InputError(f"FVNumerics: CFL number {self.cfl} cannot be stable (0 < CFL <= 1)")
        if not (np.isfinite(self.merge_limit) and self.merge_limit >= 0.0):
            raise InputError(f"FVNumerics: merge_limit {self.merge_limit} is not a finite "
                             "number >= 0")
        if self.backend not in BACKENDS:
            raise InputError(f"FVNumerics: backend {self.backend!r} is not one of {BACKENDS}")
        if self.dissipative_scheme not in ("auto", *SPLIT_SCHEMES):
            raise InputError(f"FVNumerics: dissipative_scheme {self.dissipative_scheme!r} is "
                             f"not one of {('auto', *SPLIT_SCHEMES)}")


@dataclass
class MomentSolution:
    """x (nx,), moments 'rho', 'u', 'T', 'p', 'sigma_xx', 'q_x' (nx,), U (nvar, nx)."""

    problem: object
    gas: Gas
    system: MomentSystem
    numerics: FVNumerics
    t: float
    x: np.ndarray
    U: np.ndarray
    moments: dict
    info: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.moments[name]

    def save(self, path):
        groups = {"gas": self.gas.to_attrs(),
                  "model": {"name": self.system.name, "prandtl": self.system.prandtl,
                            **getattr(self.system, "model_attrs", {})},
                  "numerics": numerics_attrs(self.numerics)}
        datasets = [("U", self.U, "conserved variables", ", ".join(self.system.variables))]
        return write_profiles(path, self.problem, self.t, self.x, self.moments, groups,
                              datasets, self.info)


def _vanleer(a, b):
    ab = a * b
    return np.where(ab > 0.0, 2.0 * ab / np.where(ab > 0.0, a + b, 1.0), 0.0)


class FVSolver:
    def __init__(self, problem, gas: Gas = Gas(), system="nsf", numerics=FVNumerics(),
                 prandtl: float = 2.0 / 3.0):
        self.problem, self.gas, self.numerics = problem, gas, numerics
        mu_ref = gas.mu_ref(problem.mfp_ref)
        if isinstance(system, str):
            if system not in SYSTEMS:
                raise InputError(f"unknown moment system {system!r}; choose one of "
                                 f"{sorted(SYSTEMS)}")
            system = SYSTEMS[system](gas, mu_ref, prandtl)
        self.system = system
        self.compiled = numerics.backend == "numba" and system.code is not None
        if not self.compiled and system.code == kernels.NLNSF:
            raise InputError(f"{system.name}: the non-local fluxes exist in the numba back "
                             "end only (backend='numba')")
        if not self.compiled and system.code is not None and system.code >= kernels.GRAD13:
            raise InputError(f"{system.name}: its stiff productions need the IMEX scheme of "
                             "the numba back end (backend='numba')")
        r13 = system.code in (kernels.R13, kernels.LR13F)
        ros2 = r13 or system.code in (kernels.NSF, kernels.LNSF, kernels.NLNSF)
        scheme = numerics.dissipative_scheme
        if scheme in ("ros2", "imex") and system.code == kernels.LR13:
            raise InputError(f"{system.name}: dissipative_scheme {scheme!r} is unstable for "
                             "the learned R13 at Kn ~ 1 (its network's coefficients change "
                             "within the step); use 'rkl2'")
        if scheme == "imex" and system.code == kernels.NLNSF:
            raise InputError(f"{system.name}: dissipative_scheme 'imex' is for R13; use "
                             "'ros2' or 'rkl2'")
        if scheme == "imex" and system.code in (kernels.NSF, kernels.LNSF):
            raise InputError(f"{system.name}: dissipative_scheme 'imex' is for R13, whose "
                             "implicit stages are linear (linearised stages failed at large "
                             "Kn here); use 'ros2'")
        if scheme == "auto":
            scheme = "imex" if r13 else "ros2" if ros2 else "rkl2"
        #: the scheme of the split dissipative part (numba back end, time-accurate runs)
        self.dissipative_scheme = scheme
        if problem.boundary == "shock":
            nx = int(round(problem.length / (numerics.dx or shock_dx(problem))))
        else:
            nx = numerics.nx or 200
        self.dx = problem.length / nx
        self.x = problem.x_min + (np.arange(nx) + 0.5) * self.dx
        self.U = system.from_primitive(*problem.initial(self.x, gas))
        self.states = tuple(problem.states(gas))
        self._bc = {"outflow": kernels.OUTFLOW, "periodic": kernels.PERIODIC,
                    "shock": kernels.SHOCK}[problem.boundary]
        self._left = np.zeros(system.nvar)
        self._down = np.zeros(3)
        if problem.boundary == "shock":
            up, down = self.states
            self._left = system.from_primitive([up.rho], [up.u], [up.T])[:, 0].copy()
            self._down = np.array([down.rho, down.u, down.T])
        self._par, self._table = system.solver_par(self._bc), system.table
        self.t = 0.0
        self.steps = 0
        self.dissipative_stages = 0
        #: split steps that left the domain and were taken again unsplit
        self.retaken_steps = 0

    def ghosted(self, U=None):
        """U (default the current state) with its NG boundary ghosts on each side,
        (nvar, n + 2 NG)."""
        return self._ghosts(self.U if U is None else U)

    def _ghosts(self, U):
        kind = self.problem.boundary
        if kind == "periodic":
            return np.concatenate([U[:, -NG:], U, U[:, :NG]], axis=1)
        if kind == "outflow":
            return np.concatenate([U[:, :1]] * NG + [U] + [U[:, -1:]] * NG, axis=1)
        down = self.states[1]
        rho, u, T = self.system.primitive(U[:, -1:])[:3]
        b = outflow_state(rho[0], u[0], T[0], down.rho, down.u, down.T, self.gas.gamma)
        right = self.system.from_primitive([b[0]], [b[1]], [b[2]])
        return np.concatenate([self._left[:, None]] * NG + [U] + [right] * NG, axis=1)

    def rhs(self, U):
        """-dF/dx + S of the interior cells, shape (nvar, nx)."""
        sys, n = self.system, U.shape[1]
        Ug = self._ghosts(U)
        s = _vanleer(Ug[:, 1:-1] - Ug[:, :-2], Ug[:, 2:] - Ug[:, 1:-1])  # Ug cells 1..n+2
        UL = Ug[:, 1:n + 2] + 0.5 * s[:, :-1]
        UR = Ug[:, 2:n + 3] - 0.5 * s[:, 1:]
        c = sys.max_speed(Ug[:, 1:n + 3])  # local Lax-Friedrichs: the two cells' speeds
        a = np.maximum(c[:-1], c[1:])
        F = 0.5 * (sys.flux(UL) + sys.flux(UR)) - 0.5 * a * (UR - UL)
        D = sys.face_flux(Ug[:, 1:n + 3], self.dx)
        if D is not None:
            F = F + D
        out = -(F[:, 1:] - F[:, :-1]) / self.dx
        S = sys.source(U)
        return out if S is None else out + S

    def stable_dt(self, U):
        dt = self.numerics.cfl * self.dx / np.max(self.system.max_speed(U))
        D = self.system.diffusivity(U)
        if D is not None:
            dt = min(dt, self.numerics.cfl * self.dx**2 / (2.0 * np.max(D)))
        return dt

    def advance(self, t_end=np.inf, max_steps=None, split=None):
        """Steps towards t_end (at most max_steps), checking the state every `check_every`
        steps; returns the number of steps taken.  split: super-time-stepping of the
        dissipative fluxes (default: FVNumerics.super_time_stepping)."""
        split = self.numerics.super_time_stepping if split is None else split
        scheme = SPLIT_SCHEMES[self.dissipative_scheme] if split else stepping.UNSPLIT
        every = self.numerics.check_every
        max_steps = np.iinfo(np.int64).max if max_steps is None else max_steps
        taken = 0
        while taken < max_steps and self.t < t_end * (1 - 1e-14):
            n = min(every, max_steps - taken)
            if self.compiled:
                self.t, k, stages, retaken = stepping.advance(
                    self.system.code, self.U, self.t, t_end, n, self.dx, self.numerics.cfl,
                    self._bc, self._left, self._down, self._par, self._table, scheme,
                    self.numerics.merge_limit)
                self.dissipative_stages += stages
                self.retaken_steps += retaken
            else:
                k = 0
                while k < n and self.t < t_end * (1 - 1e-14):
                    self.step(min(self.stable_dt(self.U), t_end - self.t))
                    k += 1
            self.steps += k
            taken += k
            self.system.check(self.U, self.t, self.x)
            if k == 0:
                raise SolutionError(f"{self.system.name}: the time step vanished at "
                                    f"t={self.t:.4g}")
        return taken

    def step(self, dt):
        """One NumPy-back-end step (SSP-RK2, then the system's relax hook)."""
        U0 = U = self.U
        for a, b in SSPRK2.stages:
            U = a * U0 + b * (U + dt * self.rhs(U))
        self.U = self.system.relax(U, dt)
        self.t += dt

    def run(self):
        """The problem's solution: the steady shock, or the state at t_end (`run_until`)."""
        if self.problem.boundary == "shock":
            return self.run_steady()
        t_wall = time.perf_counter()
        info = {}
        if self._splits():
            info["dissipative_scheme"] = self.dissipative_scheme
        if not self.run_until(self.problem.t_end):
            info["method"] = "unsplit after a split-step breakdown"
        # after a fallback the wall time includes the abandoned split run
        return self.solution(wall_time=time.perf_counter() - t_wall, steps=self.steps, **info)

    def _splits(self):
        """Whether a time-accurate run takes the dissipative scheme (not the unsplit step)."""
        return (self.compiled and self.numerics.super_time_stepping
                and self.system.diffusivity(self.U) is not None)

    def run_until(self, t_end) -> bool:
        """Advance time-accurately to t_end; returns False when the super-time-stepped run
        left the domain and was run again, from the state and time of this call, with the
        unsplit, diffusion-bounded step (with a `SplitFallbackWarning`).  Splitting the
        stiff regularisation from the stiff productions can break R13 down ahead of strong
        shocks at Kn = 0.1-1 where the unsplit step runs (docs/learned_closure.md); a
        breakdown of the unsplit run is the model's and is raised."""
        split = self._splits()
        saved = (self.U.copy(), self.t, self.steps, self.dissipative_stages, self.retaken_steps)
        try:
            self.advance(t_end)
            return True
        except SolutionError as exc:
            if not split:
                raise
            warnings.warn(SplitFallbackWarning(
                f"{self.system.name}: the split (or IMEX) run left the domain ({exc}); "
                "running it again with the unsplit step"), stacklevel=2)
        self.U, self.t, self.steps, self.dissipative_stages, self.retaken_steps = saved
        self.advance(t_end, split=False)
        return False

    def run_steady(self, span: float = 0.5):
        """March to the steady shock with the kinetic solver's driver
        (`boltzmann.steady.march_to_steady`), comparing profiles every `span` lambda_1 /
        sqrt(R T_1) of time (at least 100 steps): the residual is a difference quotient over
        that span, so a span of a few tiny diffusion-bounded steps would turn the spline
        error of the shock-frame translation into a residual floor."""
        prob = self.problem
        up, down = self.states
        if not self.system.shock_structure:
            # no dissipation, no structure: the steady shock is the Rankine-Hugoniot jump
            # (time marching would only show the scheme's captured-shock noise)
            jump = self.x >= 0.0
            self.U = self.system.from_primitive(*(np.where(jump, getattr(down, k),
                                                           getattr(up, k))
                                                  for k in ("rho", "u", "T")))
            return self.solution(steps=0, wall_time=0.0, method="exact Rankine-Hugoniot jump")
        info = {}
        critical = self.system.critical_mach()
        if critical is not None and prob.mach > critical:
            info["subshock"] = True
            warnings.warn(SubshockWarning(
                f"{self.system.name}: M = {prob.mach} is above the critical Mach number "
                f"{critical:.4f} of the system (upstream flow faster than its fastest "
                "characteristic): no continuous shock structure exists, the profile will hold "
                "a subshock of grid width"), stacklevel=2)
        t_wall = time.perf_counter()

        if not (self.compiled and self.system.code == kernels.NLNSF):
            dt0 = self.stable_dt(self.U)
        else:
            # its step bound exists only face by face in the kernels (NonlocalNSF has no
            # per-cell diffusivity with the screening's grid damping)
            dt0 = min(stepping.hyperbolic_dt(self.system.code, self.U, self.dx,
                                             self.numerics.cfl, self._par, self._table),
                      self.numerics.cfl * stepping.dissipative_dt(
                          self.system.code, self.U, self.dx, self._par, self._table))
        chunk = max(100, int(np.ceil(span / dt0)))
        result = march_to_steady(
            prob, self.states, self.x, self.dx, density=lambda: self.U[0].copy(),
            advance=lambda n: self.advance(max_steps=n, split=False),
            translate=lambda k: shift_cells(self.U, k), clock=lambda: self.t,
            chunk=chunk, label=f"{self.system.name} shock")
        return self.solution(wall_time=time.perf_counter() - t_wall, steps=self.steps,
                             **result, **info)

    def solution(self, **info):
        if self.compiled and self.system.diffusivity(self.U) is not None:
            info.setdefault("dissipative_stages", self.dissipative_stages)
            info.setdefault("retaken_steps", self.retaken_steps)
        if isinstance(self.system, KernelFluxes):  # the fluxes the solver integrates
            m = self.system.diagnostics(self.U, self.dx, self.ghosted(), self._par)
        else:
            m = self.system.diagnostics(self.U, self.dx)
        x = self.x.copy()
        if self.problem.boundary == "shock" and "method" not in info:
            up, down = self.states
            xm = density_midpoint(x, m["rho"], 0.5 * (up.rho + down.rho))
            info["shock_position"] = xm
            x = x - xm
        return MomentSolution(self.problem, self.gas, self.system, self.numerics, self.t, x,
                              self.U.copy(), m, info)


def make_solver(problem, gas: Gas = Gas(), model="nsf", numerics=FVNumerics(),
                prandtl: float = 2.0 / 3.0):
    """The finite-volume solver of a model: a classical system by name (`SYSTEMS`),
    'learned' (the shipped default closure) or the path of a learned-closure model file."""
    if model in SYSTEMS:
        return FVSolver(problem, gas, model, numerics, prandtl)
    from .learned_fv import LearnedSolver

    return LearnedSolver(problem, gas, None if model == "learned" else model, numerics)
