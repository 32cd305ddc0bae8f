"""The controller: builds grids and the initial distribution of a problem, owns the time loop,
checks the solution and returns a `Solution`.

    sol = KineticSolver(NormalShock(mach=5.5), Gas(omega=0.5), get_model("shakhov")).run()
    sol.save("shock.h5")
"""

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from scipy.interpolate import interp1d

from . import boundary, transport
from .collision import CollisionModel, equilibrium_field, get_model
from .diagnostics import density_midpoint
from .errors import InputError, SolutionError
from .gas import Gas
from .moments import entropy, moments
from .problems import NormalShock
from .steady import march_to_steady, shift_cells
from .stepping import INTEGRATORS, SPLITTINGS
from .velocity import VelocityGrid

#: largest CFL number max|v| dt / dx for which SSP-RK2 with MUSCL is linearly stable; the
#: scheme is TVD (no new extrema) up to 0.5 [Harten, J. Comput. Phys. 49, 357 (1983)].
CFL_STABLE = 1.0
CFL_TVD = 0.5
#: largest mass fraction of a cell's Maxwellian the grid may cut off during a run
GRID_CUTOFF_RUN = 1e-4
#: steady residual to which the coarse grids of grid sequencing are converged
COARSE_TOL = 1e-4


@dataclass(frozen=True)
class Numerics:
    """Discretisation parameters; None means chosen from the problem (see `resolve`).

    nx: cells (tube, wave); dx: cell size in lambda_1 (shock, default `shock_dx`);
    nv: velocities;
    v_width: grid half-width in thermal speeds around every state; v_spacing: spacing in
    thermal speeds of the coldest state; cfl: max|v| dt / dx."""

    nx: int | None = None
    dx: float | None = None
    nv: int | None = None
    v_width: float = 6.0
    v_spacing: float = 0.6
    cfl: float = 0.5
    limiter: str = "vanleer"
    integrator: str = "ssprk2"
    splitting: str = "strang"
    check_every: int = 50
    levels: int = 2

    def __post_init__(self):
        if not (np.isfinite(self.cfl) and 0.0 < self.cfl <= CFL_STABLE):
            raise InputError(f"Numerics: CFL number {self.cfl} cannot be stable; "
                             f"SSP-RK2/MUSCL needs 0 < CFL <= {CFL_STABLE} "
                             f"(<= {CFL_TVD} to be TVD)")
        if self.limiter not in transport.LIMITERS:
            raise InputError(f"Numerics: unknown limiter {self.limiter!r}; "
                             f"choose one of {sorted(transport.LIMITERS)}")
        if self.integrator not in INTEGRATORS:
            raise InputError(f"Numerics: unknown integrator {self.integrator!r}; "
                             f"choose one of {sorted(INTEGRATORS)}")
        if self.splitting not in SPLITTINGS:
            raise InputError(f"Numerics: unknown splitting {self.splitting!r}; "
                             f"choose one of {sorted(SPLITTINGS)}")
        if self.nx is not None and self.nx < 4:
            raise InputError(f"Numerics: nx={self.nx} cells is too few")
        if self.dx is not None and not self.dx > 0.0:
            raise InputError(f"Numerics: dx={self.dx} must be positive")
        if self.levels < 0:
            raise InputError(f"Numerics: levels={self.levels} must be >= 0")
        if self.check_every < 1:
            raise InputError(f"Numerics: check_every={self.check_every} must be >= 1")
        for name in ("v_spacing", "v_width"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise InputError(f"Numerics: {name}={value} must be a positive number "
                                 "(thermal speeds)")


@dataclass
class Solution:
    """A kinetic solution at time t.

    x: cell centres, shape (nx,), in the problem's length unit (lambda_1 for a shock, centred
    at the density midpoint); f: distribution, shape (ncomp, nx, nv); v, w: velocity nodes and
    weights, shape (nv,); moments: 'rho', 'u', 'T', 'p', 'sigma_xx', 'q_x', each (nx,);
    entropy: H per cell, shape (nx,); info: run statistics (steps, wall time, residuals)."""

    problem: object
    gas: Gas
    model: CollisionModel
    numerics: Numerics
    t: float
    x: np.ndarray
    f: np.ndarray
    v: np.ndarray
    w: np.ndarray
    moments: dict
    entropy: np.ndarray
    info: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.moments[name]

    def save(self, path):
        from .io import write_solution

        return write_solution(path, self)


class KineticSolver:
    """Discrete-velocity solver of a BGK-type kinetic equation in 1D space for one problem."""

    def __init__(self, problem, gas: Gas = Gas(), model="bgk", numerics: Numerics = Numerics()):
        self.problem = problem
        self.gas = gas
        self.model = get_model(model) if isinstance(model, str) else model
        self.numerics = num = numerics
        self.ncomp = 2 if gas.dof == 3 else 1
        self.mu_ref = gas.mu_ref(problem.mfp_ref)

        if problem.boundary == "shock":
            if num.nx is not None:
                raise InputError("Numerics: a normal shock takes its cell size dx (in lambda_1), "
                                 "not nx")
            nx = int(round(problem.length / (num.dx if num.dx is not None
                                             else shock_dx(problem))))
        else:
            if num.dx is not None:
                raise InputError(f"Numerics: a {type(problem).__name__} takes nx, not dx")
            nx = num.nx if num.nx is not None else 200
        if gas.dof == 1 and self.model.name == "esbgk":
            raise InputError("esbgk: with one velocity dimension sigma_xx = 0 and ES-BGK is BGK "
                             "with another collision frequency; use bgk for the 1D gas")
        self.boundary = problem.boundary
        self.states = states = tuple(problem.states(gas))
        self.dx = problem.length / nx
        self.x = problem.x_min + (np.arange(nx) + 0.5) * self.dx

        self.grid = (VelocityGrid.for_states(states, num.v_width, num.v_spacing, num.nv)
                     .check_covers(states, where=f"{type(problem).__name__} velocity grid")
                     .check_resolves(states, where=f"{type(problem).__name__} velocity grid"))
        self.j0 = transport.first_nonnegative(self.grid.v)
        self.dt = num.cfl * self.dx / self.grid.vmax_abs
        self.limiter = transport.LIMITERS[num.limiter]
        self.integrator = INTEGRATORS[num.integrator]
        self.splitting = SPLITTINGS[num.splitting]

        shape = (self.ncomp, nx + 2 * transport.NG, self.grid.n)
        self.f = np.zeros(shape)
        self._work = (np.zeros(shape), np.zeros(shape))
        init = problem.initial(self.x, gas)
        equilibrium_field(*(np.ascontiguousarray(a, dtype=float) for a in init), self.grid.v,
                          self.grid.w, gas.dof, self.interior)
        if self.boundary == "shock":
            up = np.zeros((self.ncomp, 1, self.grid.n))
            equilibrium_field(np.array([states[0].rho]), np.array([states[0].u]),
                              np.array([states[0].T]), self.grid.v, self.grid.w, gas.dof, up)
            self._upstream = np.ascontiguousarray(up[:, 0])
        self.t = 0.0
        self.steps = 0

    # -- the pieces of a step ------------------------------------------------------------
    @property
    def interior(self):
        return self.f[:, transport.NG:-transport.NG, :]

    def _fill_ghosts(self, f):
        if self.boundary == "periodic":
            boundary.fill_periodic(f)
        elif self.boundary == "outflow":
            boundary.fill_outflow(f)
        else:
            down = self.states[1]
            boundary.fill_shock(f, self._upstream, self.grid.v, self.grid.w, self.gas.dof,
                                self.gas.gamma, down.rho, down.u, down.T)

    def _collide(self, dt):
        if dt > 0.0:
            self.model.relax(self.interior, self.grid, self.gas.dof, self.mu_ref, self.gas.omega,
                             dt)

    def _transport(self, dt):
        f0 = cur = self.f
        free = self._work
        for a, b in self.integrator.stages:
            out = free[1] if free[0] is cur else free[0]
            self._fill_ghosts(cur)
            transport.advect_stage(cur, f0, a, b, self.grid.v, self.j0, dt / self.dx,
                                   self.limiter, out)
            cur = out
        self._work = (f0, free[1] if free[0] is cur else free[0])
        self.f = cur

    def advance(self, nsteps: int, dt: float | None = None):
        """Advance nsteps steps of size dt (default: the CFL step)."""
        dt = self.dt if dt is None else dt
        if not 0.0 < dt <= self.dt * (1 + 1e-12):
            raise InputError(f"advance: dt={dt:.3e} outside (0, CFL step {self.dt:.3e}]")
        if nsteps <= 0:
            return
        split = self.splitting
        self._collide(split.first * dt)
        for n in range(nsteps):
            self._transport(dt)
            self._collide((split.last if n == nsteps - 1 else split.first + split.last) * dt)
            self.steps += 1
            self.t += dt
            if self.steps % self.numerics.check_every == 0 or n == nsteps - 1:
                self.check()

    def check(self):
        """Raise SolutionError on a NaN, a non-positive density or temperature, or a state
        the velocity grid no longer covers (cuts off more than 1e-4 of its mass)."""
        m = moments(self.interior, self.grid, self.gas.dof)
        for name in ("rho", "T"):
            a = m[name]
            bad = ~(a > 0.0)
            if bad.any():
                i = int(np.argmax(bad))
                raise SolutionError(
                    f"{self.model.name} solution of {type(self.problem).__name__} went bad at "
                    f"t={self.t:.4g} (step {self.steps}): {name}={a[i]} in cell {i} "
                    f"(x={self.x[i]:.4g}); reduce the CFL number or refine the grids")
        mass, _ = self.grid.cutoff_fractions(m["u"], m["T"])
        if np.max(mass) > GRID_CUTOFF_RUN:
            i = int(np.argmax(mass))
            raise SolutionError(
                f"{self.model.name} solution of {type(self.problem).__name__} at t={self.t:.4g}: "
                f"the state u={m['u'][i]:.4g}, T={m['T'][i]:.4g} in cell {i} "
                f"(x={self.x[i]:.4g}) is not covered by the velocity grid "
                f"[{self.grid.v[0]:.4g}, {self.grid.v[-1]:.4g}] ({mass[i]:.1e} of its mass cut "
                "off); widen it (Numerics.v_width)")
        return m

    # -- drivers --------------------------------------------------------------------------
    def run(self, progress=False):
        """Run the problem to its end: t_end for a tube or wave, the steady state for a shock."""
        if self.boundary == "shock":
            return self.run_steady(progress=progress)
        return self.run_until(self.problem.t_end, progress=progress)

    def run_until(self, t_end: float, progress=False):
        if not t_end > self.t:
            raise InputError(f"run_until: t_end={t_end} is not after the current t={self.t}")
        t_wall = time.perf_counter()
        remaining = t_end - self.t
        nsteps = max(1, int(np.ceil(remaining / self.dt - 1e-9)))
        dt = remaining / nsteps
        chunk = max(1, nsteps // 100)
        with _progress(progress, nsteps, "steps") as bar:
            done = 0
            while done < nsteps:
                k = min(chunk, nsteps - done)
                self.advance(k, dt)
                done += k
                bar.update(k)
        self.t = t_end
        return self.solution(wall_time=time.perf_counter() - t_wall, steps=self.steps)

    def run_steady(self, progress=False, chunk: int = 100, tol=None, strict=True):
        """March a normal shock to its steady state (`steady.march_to_steady`), first on
        coarser grids (`Numerics.levels`).  tol overrides problem.tol; with strict=False a run
        that reaches problem.max_time returns its last state instead of raising."""
        t_wall = time.perf_counter()
        coarse_steps = self._start_from_coarse_grid() if self.steps == 0 else 0
        with _progress(progress, None, "steps") as bar:
            result = march_to_steady(
                self.problem, self.states, self.x, self.dx,
                density=lambda: self.check()["rho"], advance=self.advance,
                translate=lambda k: shift_cells(self.interior, k), clock=lambda: self.t,
                tol=tol, strict=strict, chunk=chunk, bar=bar)
        return self.solution(wall_time=time.perf_counter() - t_wall, steps=self.steps,
                             coarse_steps=coarse_steps, **result)

    def _start_from_coarse_grid(self) -> int:
        """Grid sequencing: converge the shock on a grid twice as coarse (itself sequenced
        down to `levels` coarsenings) and interpolate it here; returns the coarse steps."""
        num = self.numerics
        if num.levels == 0 or 2.0 * self.dx > self.problem.thickness_estimate / 4.0:
            return 0  # a coarser grid would not resolve the shock (< 4 cells per thickness)
        coarse = KineticSolver(self.problem, self.gas, self.model,
                               replace(num, dx=2.0 * self.dx, nv=self.grid.n,
                                       levels=num.levels - 1))
        sol = coarse.run_steady(tol=COARSE_TOL, strict=False)
        xc = coarse.x - sol.info["shock_position"]
        fc = sol.f
        self.interior[...] = interp1d(xc, fc, axis=1, bounds_error=False,
                                      fill_value=(fc[:, 0], fc[:, -1]))(self.x)
        return sol.info["steps"] + sol.info.get("coarse_steps", 0)

    def solution(self, **info) -> Solution:
        f = self.interior.copy()
        m = moments(f, self.grid, self.gas.dof)
        x = self.x.copy()
        if self.boundary == "shock":
            up, down = self.states
            xm = density_midpoint(x, m["rho"], 0.5 * (up.rho + down.rho))
            info["shock_position"] = xm
            x = x - xm
        info.setdefault("dt", self.dt)
        g = f[0]
        info["negative_fraction"] = float(np.sum(np.maximum(-g, 0.0) @ self.grid.w)
                                          / np.sum(np.abs(g) @ self.grid.w))
        return Solution(self.problem, self.gas, self.model, self.numerics, self.t, x, f,
                        self.grid.v.copy(), self.grid.w.copy(), m, entropy(f, self.grid), info)


def shock_dx(shock: NormalShock) -> float:
    """Automatic cell size (lambda_1) of a stationary shock: 16 cells per estimated thickness,
    at most lambda_1.  At M = 5.5 this is 0.125 lambda_1, where the Shakhov reciprocal
    thickness is within 1.3 % of its grid-converged value (docs/kinetic.md)."""
    return min(shock.thickness_estimate / 16.0, 1.0)


def numerics_attrs(num) -> dict:
    """Flat attributes of a numerics dataclass, None written as 'auto'."""
    return {k: ("auto" if v is None else v) for k, v in asdict(num).items()}


class _progress:
    """A tqdm bar when asked, a no-op otherwise."""

    def __init__(self, enabled, total, unit):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit=unit, dynamic_ncols=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.bar is not None:
            self.bar.close()

    def update(self, n):
        if self.bar is not None:
            self.bar.update(n)

    def set_postfix(self, **kw):
        if self.bar is not None:
            self.bar.set_postfix(**kw)
