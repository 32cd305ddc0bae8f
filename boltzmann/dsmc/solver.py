"""The DSMC controller: 1D physical space, 3D molecular velocities, NTC collisions of VHS/VSS
molecules, for the toolkit's problem descriptions.

    sol = DSMC(NormalShock(5.5, upstream=15, downstream=15), Gas(omega=0.5)).run(q_tol=0.02)
    sol.save("shock_dsmc.h5")   # a ProfileSolution

Normal shock: the ends of [-upstream, downstream] are reservoirs at the Rankine-Hugoniot states;
molecules leaving the domain are removed and molecules enter with the one-way Maxwellian flux
of the reservoir [Bird 1994, eq. 4.22].  The shock is held in place by translating all molecules
(refilling the uncovered end from its reservoir) so that the position implied by the mass in the
domain, x_s = (rho_2 x_R - rho_1 x_L - M) / (rho_2 - rho_1), relaxes to its initial value over
`hold_time`.  After a transient the cells are sampled every `sample_every` steps; errors are
batch means.  Shock tube: reservoir ends at the initial states; `runs` independent runs from
consecutive seeds, sampled at t_end; errors are the run-to-run standard errors.
"""

import time
from dataclasses import dataclass
from math import erf, exp, pi, sqrt

import numpy as np

from ..diagnostics import density_midpoint, reciprocal_thickness_smoothed
from ..errors import InputError, SolutionError, check_positive
from ..gas import Gas
from ..profiles import ProfileSolution
from . import kernels
from .molecules import Molecule, molecule_for
from .sampling import Sampler

#: cells may be at most this many local mean free paths wide: the viscosity of NTC-DSMC grows
#: by (16 / 45 pi)(dx / lambda)^2, 11 % at dx = lambda [Alexander, Garcia & Alder, Phys. Fluids
#: 10, 1540 (1998)]
CELL_MFP_MAX = 1.0


@dataclass(frozen=True)
class DSMCNumerics:
    """dx: cell size (lambda_1 for a shock; default lambda_min / 3) or nx: cells (tube);
    ppc: simulated molecules per cell at density 1; dt: time step (default min(tau_min / 4,
    dx / (2 v_max)), tau_min the shortest mean collision time of the problem's states);
    sample_every: steps between samples; transient: time before sampling a shock (default
    three flow-through times); batch_time: length of a batch of a shock's samples (default
    one flow-through time); hold_time: shock-holding relaxation time (default one
    flow-through time); runs: independent runs of a tube; seed: the run's random seed."""

    dx: float | None = None
    nx: int | None = None
    ppc: float = 50.0
    dt: float | None = None
    sample_every: int = 2
    transient: float | None = None
    batch_time: float | None = None
    hold_time: float | None = None
    runs: int = 8
    seed: int = 0

    def __post_init__(self):
        check_positive(self, "ppc")
        check_positive(self, "dx", "dt", "transient", "batch_time", "hold_time", optional=True)
        if self.nx is not None and self.nx < 4:
            raise InputError(f"DSMCNumerics: nx={self.nx} cells is too few")
        if self.sample_every < 1 or self.runs < 1:
            raise InputError("DSMCNumerics: sample_every and runs must be >= 1")
        if self.seed < 0:
            raise InputError(f"DSMCNumerics: seed={self.seed} must be >= 0")


def inflow_flux(n, u, T):
    """Molecules per unit area and time crossing a plane in +x from a Maxwellian reservoir
    (n, u, T) [Bird 1994, eq. 4.22]."""
    s = u / sqrt(2.0 * T)
    return n * sqrt(T / (2.0 * pi)) * (exp(-s * s) + sqrt(pi) * s * (1.0 + erf(s)))


def flux_velocities(rng, count, u, T):
    """x-velocities (> 0) of molecules crossing a plane in +x from a Maxwellian (u, T): density
    proportional to c exp(-(c - u)^2 / 2T), by rejection from a shifted Gaussian whose
    acceptance ratio (c / c*) exp(-delta (c - c*) / T) peaks at c* = T / delta."""
    delta = 0.5 * (sqrt(u * u + 4.0 * T) - u)
    cstar = T / delta
    out = np.empty(0)
    while out.size < count:
        m = 2 * (count - out.size) + 16
        c = rng.normal(u + delta, sqrt(T), m)
        c = c[c > 0.0]
        keep = rng.random(c.size) < (c / cstar) * np.exp(-delta * (c - cstar) / T)
        out = np.concatenate([out, c[keep]])
    return out[:count]


class DSMC:
    """Direct simulation Monte Carlo of one problem ('shock' or 'tube')."""

    def __init__(self, problem, gas: Gas = Gas(), molecule: Molecule | None = None,
                 numerics: DSMCNumerics = DSMCNumerics()):
        if gas.dof != 3:
            raise InputError("DSMC: molecules have three velocity components; use Gas(dof=3)")
        if problem.kind not in ("shock", "tube"):
            raise InputError(f"DSMC: problem kind {problem.kind!r} is not supported "
                             "(normal shock and shock tube are)")
        molecule = molecule_for(gas.omega) if molecule is None else molecule
        if abs(molecule.omega - gas.omega) > 1e-12:
            raise InputError(f"DSMC: molecule omega={molecule.omega} differs from the gas's "
                             f"omega={gas.omega}")
        self.problem, self.gas, self.molecule, num = problem, gas, molecule, numerics
        self.mu_ref = gas.mu_ref(problem.mfp_ref)
        self.states = states = tuple(problem.states(gas))
        self.ends = (states[0], states[1])
        lam = min(float(gas.mean_free_path(s.rho, s.T, self.mu_ref)) for s in states)
        tau = min(1.0 / molecule.collision_frequency(s.rho, s.T, self.mu_ref) for s in states)
        self.x_lo, length = problem.x_min, problem.length
        if num.nx is not None and num.dx is not None:
            raise InputError("DSMCNumerics: give dx or nx, not both")
        if num.nx is not None:
            nx = num.nx
        else:
            nx = int(np.ceil(length / (num.dx if num.dx is not None else lam / 3.0)))
        self.nx, self.dx = nx, length / nx
        if self.dx > CELL_MFP_MAX * lam:
            raise InputError(f"DSMC: cells of {self.dx:.4g} are {self.dx / lam:.2f} mean free "
                             f"paths wide at the densest/coldest state (lambda = {lam:.4g}); at "
                             f"most {CELL_MFP_MAX} allowed (Bird recommends 1/3): refine dx/nx")
        vmax = max(abs(s.u) + 4.0 * sqrt(s.T) for s in states)
        dt = num.dt if num.dt is not None else min(0.25 * tau, 0.5 * self.dx / vmax)
        if dt > tau:
            raise InputError(f"DSMC: time step {dt:.4g} exceeds the mean collision time "
                             f"{tau:.4g} of the problem's densest/hottest state")
        self.dt, self.tau_min, self.lambda_min = dt, tau, lam
        self.fn = self.dx / num.ppc  # real molecules (mass) per simulated one, per unit area
        self.coeff = molecule.cross_section_coeff(self.mu_ref)
        self.power = molecule.cross_section_power
        self.select = self.fn * dt / self.dx
        self.numerics = num
        self.x = self.x_lo + (np.arange(nx) + 0.5) * self.dx

    # -- particles -------------------------------------------------------------------------
    def _maxwellian(self, rng, count, x0, x1, state):
        x = rng.uniform(x0, x1, count)
        c = rng.normal(0.0, sqrt(state.T), (count, 3))
        c[:, 0] += state.u
        return x, c

    def _initial(self, rng):
        rho, u, T = self.problem.initial(self.x, self.gas)
        counts = rng.poisson(rho * self.dx / self.fn)
        x = self.x_lo + self.dx * (np.repeat(np.arange(self.nx), counts)
                                   + rng.random(counts.sum()))
        sd = np.repeat(np.sqrt(T), counts)[:, None]
        c = rng.normal(0.0, 1.0, (counts.sum(), 3)) * sd
        c[:, 0] += np.repeat(u, counts)
        return x, c

    def _inflow(self, rng):
        """Molecules entering through both ends during one step, already moved."""
        xs, cs = [], []
        x_hi = self.x_lo + self.problem.length
        for state, sign, x_edge in ((self.ends[0], 1.0, self.x_lo), (self.ends[1], -1.0, x_hi)):
            mean = inflow_flux(state.rho, sign * state.u, state.T) * self.dt / self.fn
            count = int(rng.poisson(mean))
            if count == 0:
                continue
            c = rng.normal(0.0, sqrt(state.T), (count, 3))
            c[:, 0] = sign * flux_velocities(rng, count, sign * state.u, state.T)
            xs.append(x_edge + c[:, 0] * self.dt * rng.random(count))
            cs.append(c)
        return xs, cs

    # -- running ---------------------------------------------------------------------------
    def _prepare(self, seed):
        rng = np.random.default_rng(seed)
        x, c = self._initial(rng)
        cap = int(2 * x.size + 1024)
        self.buf = [np.empty(cap), np.empty((cap, 3)), np.empty(cap), np.empty((cap, 3))]
        self.start = np.zeros(self.nx + 1, np.int64)
        self.n = kernels.sort_by_cell(x, c, x.size, self.x_lo, self.dx, self.nx,
                                      self.buf[0], self.buf[1], self.start)
        self.crmax = np.full(self.nx, self.molecule.sigma_cr_start(
            self.mu_ref, max(s.T for s in self.states)))
        self.ncoll = np.zeros(self.nx, np.int64)
        self.step = 0
        return rng

    def _advance(self, rng, seed, shift=0.0, refill=()):
        x, c, xo, co = self.buf
        nmove = self.n
        xs, cs = self._inflow(rng)
        xs += [a[0] for a in refill]
        cs += [a[1] for a in refill]
        n = self.n
        extra = sum(a.size for a in xs)
        if n + extra > x.size:
            cap = 2 * (n + extra)
            x2, c2 = np.empty(cap), np.empty((cap, 3))
            x2[:n], c2[:n] = x[:n], c[:n]
            self.buf = [x2, c2, np.empty(cap), np.empty((cap, 3))]
            x, c, xo, co = self.buf
        for a, b in zip(xs, cs):
            x[n:n + a.size] = a
            c[n:n + a.size] = b
            n += a.size
        self.n = kernels.sort_by_cell(x, c, n, self.x_lo, self.dx, self.nx, xo, co,
                                      self.start, shift, nmove, self.dt)
        self.buf = [xo, co, x, c]
        kernels.collide(co, self.start, self.nx, self.coeff, self.power, self.select,
                        self.crmax, self.molecule.alpha, seed, self.step, self.ncoll)
        self.step += 1

    def _check(self, sampler):
        m = sampler.moments()
        bad = [k for k in ("rho", "T") if not np.all(np.isfinite(m[k]))]
        if bad:
            cells = np.flatnonzero(~np.isfinite(m[bad[0]]))
            raise SolutionError(f"DSMC: {bad[0]} undefined in cells {cells[:5].tolist()} "
                                f"(x = {self.x[cells[:5]].round(3).tolist()}): empty cells; "
                                "raise ppc")
        return m

    def run(self, progress: bool = True, samples: int | None = None, q_tol: float | None = None,
            max_time: float = 3600.0):
        """Run the problem; a shock samples until `samples` samples or until the heat flux's
        largest standard error falls below q_tol times its peak |q_x| (at least 8 batches),
        or max_time seconds of wall time."""
        if self.problem.kind == "tube":
            return self._run_tube(progress)
        return self._run_shock(progress, samples, q_tol, max_time)

    def _flow_time(self):
        up, down = self.ends
        return self.problem.upstream / up.u + self.problem.downstream / down.u

    def _run_shock(self, progress, samples, q_tol, max_time):
        from ..solver import _progress

        if samples is None and q_tol is None:
            raise InputError("DSMC shock: give samples or q_tol to say when sampling ends")
        num, dt, seed = self.numerics, self.dt, self.numerics.seed
        flow = self._flow_time()
        transient = num.transient if num.transient is not None else 3.0 * flow
        batch = max(2, int(round((num.batch_time or flow) / (dt * num.sample_every))))
        hold = num.hold_time if num.hold_time is not None else flow
        up, down = self.ends
        x_hi = self.x_lo + self.problem.length
        drho = down.rho - up.rho
        rng = self._prepare(seed)
        t0 = time.perf_counter()

        def position():
            return (down.rho * x_hi - up.rho * self.x_lo - self.n * self.fn) / drho

        target = position()
        sampler = Sampler(self.nx, self.fn / self.dx, batch)
        warm = int(np.ceil(transient / dt))
        bar = _progress(progress, warm + (samples or 0) * num.sample_every, "step")
        moves = 0
        kappa = min(1.0, dt / hold)
        err_q = np.inf
        while True:
            shift = kappa * (position() - target)
            refill = ()
            if shift:
                state, a, b = ((down, x_hi, x_hi + shift) if shift > 0
                               else (up, self.x_lo + shift, self.x_lo))
                count = int(rng.poisson(state.rho * abs(shift) / self.fn))
                refill = (self._maxwellian(rng, count, a, b, state),)
            moves += self.n
            self._advance(rng, seed, shift, refill)
            bar.update(1)
            if self.step < warm or self.step % num.sample_every:
                continue
            sampler.add(self.buf[1], self.start)
            done = samples is not None and sampler.samples >= samples
            if q_tol is not None and len(sampler.batches) >= 8 and sampler.n_current == 0:
                m, e = sampler.moments(), sampler.errors()
                err_q = float(np.max(e["q_x"]) / np.max(np.abs(m["q_x"])))
                if not np.isfinite(err_q):
                    self._check(sampler)  # names the empty cells
                    raise SolutionError("DSMC: the heat-flux error is undefined (NaN); "
                                        "a batch left a cell empty: raise ppc")
                bar.set_postfix(q_err=f"{err_q:.3f}")
                done = done or err_q < q_tol
            if done or time.perf_counter() - t0 > max_time:
                break
        bar.close()
        sampler.close()
        wall = time.perf_counter() - t0
        m = self._check(sampler)
        errors = sampler.errors()
        xm = density_midpoint(self.x, m["rho"], 0.5 * (up.rho + down.rho))
        recip = [reciprocal_thickness_smoothed(self.x, b["rho"]) for b in sampler.batches]
        info = {"steps": self.step, "samples": sampler.samples, "batches": len(sampler.batches),
                "wall_time": wall, "moves_per_second": moves / wall,
                "particles": self.n, "collisions": int(self.ncoll.sum()),
                "q_x_relative_error": float(np.max(errors["q_x"]) / np.max(np.abs(m["q_x"]))),
                "time_step": dt, "mean_collision_time_min": self.tau_min,
                "reciprocal_thickness": reciprocal_thickness_smoothed(self.x, m["rho"]),
                "reciprocal_thickness_err": (float(np.std(recip, ddof=1) / np.sqrt(len(recip)))
                                             if len(recip) > 1 else float("inf"))}
        return self._solution(self.x - xm, m, errors, self.step * dt, info)

    def _run_tube(self, progress):
        from ..solver import _progress

        num = self.numerics
        steps = int(np.ceil(self.problem.t_end / self.dt))
        self.dt = self.problem.t_end / steps
        self.select = self.fn * self.dt / self.dx
        sampler = Sampler(self.nx, self.fn / self.dx)
        bar = _progress(progress, steps * num.runs, "step")
        t0 = time.perf_counter()
        moves = 0
        for r in range(num.runs):
            seed = num.seed + r
            rng = self._prepare(seed)
            for _ in range(steps):
                moves += self.n
                self._advance(rng, seed)
                bar.update(1)
            sampler.add(self.buf[1], self.start)
            sampler.close()
        bar.close()
        wall = time.perf_counter() - t0
        m = self._check(sampler)
        info = {"steps": steps, "runs": num.runs, "wall_time": wall,
                "moves_per_second": moves / wall, "time_step": self.dt,
                "mean_collision_time_min": self.tau_min}
        return self._solution(self.x, m, sampler.errors(), self.problem.t_end, info)

    def _solution(self, x, m, errors, t, info):
        from ..solver import numerics_attrs

        params = numerics_attrs(self.numerics)
        params.update(dx_used=self.dx, nx_used=self.nx, dt_used=self.dt, fn=self.fn)
        return ProfileSolution(self.problem, self.gas, self.molecule.to_attrs(), params, t, x,
                               m, errors, info)


def relax_homogeneous(molecule: Molecule, particles: int, T_par: float, T_perp: float,
                      t_end: float, dt: float, mu_ref: float = 1.0, rho: float = 1.0,
                      seed: int = 0, every: int = 1):
    """Space-homogeneous relaxation of an anisotropic Maxwellian (temperature T_par along x,
    T_perp across) of density rho, simulated by `particles` molecules in one cell of unit
    volume.  Returns a dict of arrays: t, T_xx, T_perp (= (T_yy + T_zz) / 2), collisions
    (cumulative), sampled every `every` steps from t = 0."""
    if particles < 2:
        raise InputError(f"relax_homogeneous: particles={particles} must be >= 2")
    rng = np.random.default_rng(seed)
    c = rng.normal(0.0, 1.0, (particles, 3)) * np.sqrt([T_par, T_perp, T_perp])
    c -= c.mean(axis=0)
    start = np.array([0, particles], np.int64)
    fn = rho / particles
    coeff = molecule.cross_section_coeff(mu_ref)
    power = molecule.cross_section_power
    crmax = np.array([molecule.sigma_cr_start(mu_ref, max(T_par, T_perp))])
    ncoll = np.zeros(1, np.int64)
    steps = int(round(t_end / dt))
    out = {"t": [], "T_xx": [], "T_perp": [], "collisions": []}
    for k in range(steps + 1):
        if k % every == 0:
            var = (c * c).mean(axis=0)
            out["t"].append(k * dt)
            out["T_xx"].append(var[0])
            out["T_perp"].append(0.5 * (var[1] + var[2]))
            out["collisions"].append(int(ncoll[0]))
        if k < steps:
            kernels.collide(c, start, 1, coeff, power, fn * dt, crmax, molecule.alpha, seed,
                            k, ncoll)
    return {k: np.array(v) for k, v in out.items()}
