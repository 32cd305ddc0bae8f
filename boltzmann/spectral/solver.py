"""Time integration with the fast spectral collision operator: space-homogeneous relaxation,
and a 1D-space, 3D-velocity controller for periodic waves, shock tubes and weak normal
shocks.

    op = FastSpectral(VelocityBox(32, 7.0), omega=1.0, coeff=1.0)
    history = relax(op, f0, t_end=2.0, dt=0.05)

    sol = SpectralSolver(NormalShock(2.0, upstream=10, downstream=10), Gas(omega=1.0),
                         SpectralNumerics(n=20, dx=0.5)).run()

The 1D controller splits d_t f + v_x d_x f = Q(f) (Strang): MUSCL/SSP-RK2 transport of every
discrete velocity (the kernels of `boltzmann.transport` on the flattened grid) and explicit
collisions applied every `collide_every` transport steps, so that the costly Q(f) is evaluated
on the collision time scale, not the CFL one; that collision step must stay below half
the shortest mean collision time.
"""

import time
from dataclasses import dataclass, replace

import numpy as np

from .. import transport
from ..boundary import fill_outflow, fill_periodic
from ..errors import InputError, SolutionError, check_positive
from ..gas import Gas
from ..solver import CFL_STABLE
from ..steady import march_to_steady, shift_cells
from .operator import FastSpectral, VelocityBox, support_box


class RK4:
    """Classical fourth-order Runge-Kutta [Kutta, Z. Math. Phys. 46, 435 (1901); Butcher,
    Numerical Methods for ODEs (2008), sec. 235]: Butcher tableau a, b (c = row sums)."""

    name = "rk4"
    a = ((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0))
    b = (1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0)


class Heun:
    """Heun's second-order Runge-Kutta (SSP, coefficient 1) [Shu & Osher 1988, eq. (2.15)]."""

    name = "heun"
    a = ((), (1.0,))
    b = (0.5, 0.5)


SCHEMES = {c.name: c for c in (RK4, Heun)}


def rk_step(Q, f, dt, scheme=RK4):
    """One explicit Runge-Kutta step of df/dt = Q(f)."""
    ks = []
    for row in scheme.a:
        g = f
        for aij, kj in zip(row, ks):
            if aij:
                g = g + dt * aij * kj
        ks.append(Q(g))
    return f + dt * sum(bj * kj for bj, kj in zip(scheme.b, ks))


def relax(op: FastSpectral, f0, t_end: float, dt: float, scheme: str = "rk4", every: int = 1):
    """Integrate the homogeneous Boltzmann equation df/dt = Q(f) from f0 (..., n, n, n).
    Returns t (nt,), f (nt, ...) every `every` steps, and the entropy H (nt, ...)."""
    if scheme not in SCHEMES:
        raise InputError(f"relax: unknown scheme {scheme!r}; choose one of {sorted(SCHEMES)}")
    steps = int(round(t_end / dt))
    f = np.asarray(f0, dtype=float)
    ts, fs = [0.0], [f]
    for k in range(1, steps + 1):
        f = rk_step(op, f, dt, SCHEMES[scheme])
        if not np.all(np.isfinite(f)):
            raise SolutionError(f"spectral relaxation: NaN or inf at step {k} (t = {k * dt:.4g})")
        if k % every == 0:
            ts.append(k * dt)
            fs.append(f)
    fs = np.array(fs)
    return np.array(ts), fs, op.box.entropy(fs)


@dataclass(frozen=True)
class SpectralNumerics:
    """n: velocities per axis; L: box half-width (default: every state within 5 thermal
    speeds); nx or dx: cells (wave, tube; default 16 and 100) or cell size in lambda_1
    (shock); cfl: max|v_x| dt / dx of transport; collide_every: transport steps per
    collision step (None: max(1, floor(tau_min / (4 dt)))); n_rho, degree: quadrature of
    the operator (default n/2 and Lebedev 11); equilibrium: the equilibrium-preserving
    operator Q(f) - Q(M[f]) (twice the cost; off by default: on the flow-centred box it made
    the heat-flux relaxation of a drifting state less accurate, 0.060 against the exact 0.030
    where the plain operator gives 0.034, docs/full_boltzmann.md)."""

    n: int = 20
    L: float | None = None
    nx: int | None = None
    dx: float | None = None
    cfl: float = 0.5
    collide_every: int | None = 1
    n_rho: int | None = None
    degree: int = 11
    equilibrium: bool = False

    def __post_init__(self):
        if not 0.0 < self.cfl <= CFL_STABLE:
            raise InputError(f"SpectralNumerics: CFL number {self.cfl} cannot be stable; "
                             f"MUSCL/SSP-RK2 needs 0 < CFL <= {CFL_STABLE}")
        if self.collide_every is not None and self.collide_every < 1:
            raise InputError("SpectralNumerics: collide_every must be >= 1")
        check_positive(self, "dx", optional=True)
        if self.nx is not None and self.nx < 4:
            raise InputError(f"SpectralNumerics: nx={self.nx} cells is too few")
        if self.n_rho is not None and self.n_rho < 2:
            raise InputError(f"SpectralNumerics: n_rho={self.n_rho} must be >= 2")
        if self.degree < 3:
            raise InputError(f"SpectralNumerics: Lebedev degree {self.degree} must be >= 3")


class SpectralSolver:
    """Full-Boltzmann (VHS) solution of a 1D problem ('wave', 'tube' or 'shock') on a 3D
    velocity grid; run() returns a `ProfileSolution` (the distribution stays in
    `distribution()`).  The box holds every state of the problem (for a tube, the two middle
    states of the Euler solution too) to 5 thermal speeds."""

    def __init__(self, problem, gas: Gas = Gas(omega=1.0),
                 numerics: SpectralNumerics = SpectralNumerics()):
        from ..dsmc.molecules import molecule_for

        if gas.dof != 3:
            raise InputError("SpectralSolver: the spectral operator needs 3D velocities (dof=3)")
        if problem.kind not in ("wave", "tube", "shock"):
            raise InputError(f"SpectralSolver: problem kind {problem.kind!r} not supported "
                             "(periodic waves, shock tubes and normal shocks are)")
        num = numerics
        self.problem, self.gas, self.numerics = problem, gas, num
        self.states = states = tuple(problem.states(gas))
        box = support_box(states, num.n)
        if num.L is not None:
            box = VelocityBox(num.n, num.L, box.center)
        self.box = box
        mu_ref = gas.mu_ref(problem.mfp_ref)
        molecule = molecule_for(gas.omega)
        self.op = FastSpectral(box, gas.omega, molecule.cross_section_coeff(mu_ref),
                               n_rho=num.n_rho or num.n // 2, degree=num.degree,
                               equilibrium=num.equilibrium)
        if problem.kind == "shock":
            if num.nx is not None:
                raise InputError("SpectralNumerics: a normal shock takes dx, not nx")
            nx = int(round(problem.length / (0.5 if num.dx is None else num.dx)))
        else:
            if num.dx is not None:
                raise InputError(f"SpectralNumerics: a {problem.kind} takes nx, not dx")
            nx = num.nx or (16 if problem.kind == "wave" else 100)
        self.nx, self.dx = nx, problem.length / nx
        self.x = problem.x_min + (np.arange(nx) + 0.5) * self.dx
        self.v = np.repeat(box.axis_x, box.n * box.n)  # flat x-velocities, sorted
        self.j0 = transport.first_nonnegative(self.v)
        self.dt = self.dt_cfl = num.cfl * self.dx / (abs(box.center) + box.L)
        tau = min(1.0 / molecule.collision_frequency(s.rho, s.T, mu_ref) for s in states)
        if num.collide_every is None:
            num = replace(num, collide_every=max(1, int(0.25 * tau / self.dt)))
            self.numerics = num
        if num.collide_every * self.dt > 0.5 * tau:
            raise InputError(f"SpectralSolver: collision step {num.collide_every * self.dt:.3g}"
                             f" exceeds half the mean collision time {tau:.3g}; lower "
                             "collide_every or cfl")
        self.tau_min = tau
        rho, u, T = problem.initial(self.x, gas)
        ng = transport.NG
        self.f = np.zeros((1, nx + 2 * ng, self.v.size))
        self.f[0, ng:nx + ng] = box.maxwellian(rho, u, T).reshape(nx, -1)
        self.work = np.empty_like(self.f)
        if problem.kind == "shock":
            up, down = states
            self.ghost_left = box.maxwellian(up.rho, up.u, up.T).reshape(-1)
            self.ghost_right = box.maxwellian(down.rho, down.u, down.T).reshape(-1)
        self.t = 0.0
        self.steps = 0
        self.collisions = 0

    def _fill(self, f):
        if self.problem.kind == "wave":
            fill_periodic(f)
        elif self.problem.kind == "tube":
            fill_outflow(f)
        else:  # reservoirs at the Rankine-Hugoniot states
            ng = transport.NG
            f[0, :ng] = self.ghost_left
            f[0, -ng:] = self.ghost_right

    def _transport(self):
        f, w = self.f, self.work
        dtdx = self.dt / self.dx
        lim = transport.LIMITERS["vanleer"]
        self._fill(f)
        transport.advect_stage(f, f, 0.0, 1.0, self.v, self.j0, dtdx, lim, w)
        self._fill(w)
        transport.advect_stage(w, f, 0.5, 0.5, self.v, self.j0, dtdx, lim, f)

    def _collide(self, dt):
        ng, n = transport.NG, self.box.n
        inner = self.f[0, ng:ng + self.nx].reshape(self.nx, n, n, n)
        new = rk_step(self.op, inner, dt, Heun)
        if not np.all(np.isfinite(new)):
            raise SolutionError(f"SpectralSolver: NaN or inf at t = {self.t:.4g}")
        self.f[0, ng:ng + self.nx] = new.reshape(self.nx, -1)
        self.collisions += 1

    def advance(self, steps: int):
        """Strang-split steps: C(k dt/2) [T(dt)]^k C(k dt/2) per block of k = collide_every
        transports, the two half collisions between blocks of one call fused into one."""
        k = self.numerics.collide_every
        if steps % k:
            raise InputError(f"SpectralSolver.advance: {steps} steps is not a whole number of "
                             f"collision blocks of collide_every = {k}")
        for m in range(steps):
            if m == 0:  # every call starts a block (steps % k == 0)
                self._collide(0.5 * k * self.dt)
            self._transport()
            self.steps += 1
            self.t += self.dt
            if self.steps % k == 0:
                last = m + k >= steps
                self._collide((0.5 if last else 1.0) * k * self.dt)

    def run_until(self, t_end: float):
        """Advance to time t_end in whole collision blocks, with the step shortened from the
        CFL one so that the last lands on t_end."""
        if t_end <= self.t:
            return
        k = self.numerics.collide_every
        steps = k * int(np.ceil((t_end - self.t) / (k * self.dt_cfl)))
        self.dt = (t_end - self.t) / steps
        self.advance(steps)
        self.t = t_end

    @property
    def model(self):
        """The collision model: the spectral operator (`to_attrs()` like the other solvers')."""
        return self.op

    def distribution(self):
        ng, n = transport.NG, self.box.n
        return self.f[0, ng:ng + self.nx].reshape(self.nx, n, n, n)

    def moments(self):
        return self.box.moments(self.distribution())

    def run(self, t_end=None, tol=1e-4, progress=False):
        """Advance a wave or a tube to t_end (default problem.t_end) or a shock to its steady
        state (residual tol; translated by whole cells to stay centred); a shock that has not
        converged by problem.max_time returns with info['converged'] = False.  progress is
        accepted for the common solver interface; the run shows no bar."""
        from ..diagnostics import density_midpoint
        from ..profiles import ProfileSolution
        from ..solver import numerics_attrs

        t0 = time.perf_counter()
        info = {}
        if self.problem.kind != "shock":
            self.run_until(self.problem.t_end if t_end is None else t_end)
        else:
            k = self.numerics.collide_every
            ng = transport.NG

            def translate(shift):
                shift_cells(self.f[:, ng:ng + self.nx], shift)

            info = march_to_steady(self.problem, self.states, self.x, self.dx,
                                   lambda: self.moments()["rho"], self.advance, translate,
                                   lambda: self.t, tol=tol, strict=False, chunk=20 * k)
            info["converged"] = bool(info["residual"] < tol
                                     and abs(info["shock_speed"]) < 1e-3 * self.states[0].u)
        info.update(wall_time=time.perf_counter() - t0, steps=self.steps,
                    collision_evaluations=2 * self.collisions)
        m, x = self.moments(), self.x
        if self.problem.kind == "shock":
            up, down = self.states
            x = x - density_midpoint(x, m["rho"], 0.5 * (up.rho + down.rho))
        numerics = numerics_attrs(self.numerics)
        numerics.update(L_used=self.box.L, dt_used=self.dt, nx_used=self.nx)
        return ProfileSolution(self.problem, self.gas, self.op.to_attrs(), numerics, self.t, x,
                               m, {}, {k: v for k, v in info.items() if k != "residual_history"})
