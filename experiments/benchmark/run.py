"""Performance benchmark of the numba kinetic solver against the same scheme in plain NumPy.

What is compared, in one run:

1. numba: `KineticSolver.advance` on Sod's shock tube (Shakhov model, Chu-reduced gas, outflow
   ends), after a warm-up so that compilation is excluded; the rate is in phase-space point
   updates per second, one point being one (component, cell, velocity) of the distribution,
   ncomp * nx * nv per step, timed with one numba thread and with numba.get_num_threads().
   The transport stage kernel (`transport.advect_stage`, three distinct arrays as in the second
   stage) and the relaxation kernel (`collision.relax.relax`) are also timed alone.
2. NumPy: the same scheme written with whole-array operations only (no Python loop over cells
   or velocities): MUSCL reconstruction with the van Leer limiter on the ghost-padded array
   (ncomp, nx + 4, nv), the solver's SSP Runge-Kutta stages in Shu-Osher form, zero-gradient
   ghost cells, Strang splitting, and the exponential relaxation step to the Shakhov (or BGK)
   target with the 3x3 conservative correction solved for all cells at once by
   `np.linalg.solve`.  Both solvers start from the same distribution; after a few steps their
   distributions are compared (they agree to round-off when the scheme is the same), then the
   NumPy solver is timed like the numba one.
3. Memory bandwidth: a STREAM-like copy of ~200 MB arrays (numba parallel loop and
   `np.copyto`, 16 bytes moved per element) and a STREAM-like add (24 bytes per element), and
   the fraction of that bandwidth the transport stage kernel reaches, counting the minimum
   traffic of a stage: read f_in and f_base, write out, 3 * 8 bytes per point.
4. Wall time to converge the Mach 5.5 Shakhov normal shock (default domain [-35, 25] lambda_1,
   CFL 0.9 as on the command line) with cell size --dx (compilation excluded by a small warm-up
   run; the solver's grid sequencing, which first converges coarser grids, is part of the
   time), and the reciprocal shock thickness of the result (`solver.reciprocal_thickness`).

Usage::

    .venv/bin/python experiments/benchmark/run.py [--nx 50000] [--steps 10] [--dx 0.125]
                                                   [--skip-shock]

The table is printed and the numbers are written to experiments/benchmark/out/benchmark.json.
Time it on an idle machine: a parallel numba kernel waits at its barrier for every thread, so
another busy process slows the multi-threaded timings many times; the CPUs kept busy by other
processes are measured (/proc/stat) and reported.  NUMBA_NUM_THREADS=1 gives robust
single-thread numbers on a shared machine.
"""

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

import boltzmann as b
from boltzmann import transport
from boltzmann.diagnostics import reciprocal_thickness
from boltzmann.moments import moments

OUT_DIR = Path(__file__).resolve().parent / "out"
NG = transport.NG
#: minimum bytes a transport stage moves per phase-space point: read f_in, f_base; write out
STAGE_BYTES = 3 * 8
#: minimum bytes a relaxation moves per point: read f (moments), read and write f (update)
RELAX_BYTES = 3 * 8


# -- the scheme in plain NumPy ---------------------------------------------------------------
def vanleer_numpy(a, b_):
    """Van Leer's limited slope 2ab / (a + b) where ab > 0, else 0 (elementwise)."""
    ab = a * b_
    pos = ab > 0.0
    return np.where(pos, 2.0 * ab / np.where(pos, a + b_, 1.0), 0.0)


def fill_outflow_numpy(f):
    """Zero-gradient ghost cells of f, shape (ncomp, nx + 2 NG, nv), in place."""
    f[:, :NG] = f[:, NG:NG + 1]
    f[:, -NG:] = f[:, -NG - 1:-NG]


def advect_stage_numpy(f_in, f_base, a, b_, v, j0, dtdx, out):
    """One Shu-Osher stage out = a f_base + b (f_in - dt/dx (F_{i+1/2} - F_{i-1/2})[f_in]) on
    the interior cells, with the upwind MUSCL fluxes of `transport.advect_stage` (same limiter,
    same order of floating-point operations).

    f_in, f_base, out: shape (ncomp, nx + 2 NG, nv), ghosts of f_in filled; v sorted with
    v[j] < 0 exactly for j < j0."""
    d = f_in[:, 1:] - f_in[:, :-1]  # d[:, k] = f[k + 1] - f[k]
    s = vanleer_numpy(d[:, :-1], d[:, 1:])  # s[:, k] = slope of padded cell k + 1
    s_m, s_0, s_p = s[:, :-2], s[:, 1:-1], s[:, 2:]  # slopes of cells i - 1, i, i + 1
    f_m, f_0, f_p = f_in[:, NG - 1:-NG - 1], f_in[:, NG:-NG], f_in[:, NG + 1:-NG + 1]
    neg, pos = slice(None, j0), slice(j0, None)
    div = np.empty_like(f_0)
    div[..., neg] = v[neg] * (f_p[..., neg] - 0.5 * s_p[..., neg] - f_0[..., neg]
                              + 0.5 * s_0[..., neg])
    div[..., pos] = v[pos] * (f_0[..., pos] + 0.5 * s_0[..., pos] - f_m[..., pos]
                              - 0.5 * s_m[..., pos])
    out[:, NG:-NG] = a * f_base[:, NG:-NG] + b_ * (f_0 - dtdx * div)


def primitive_numpy(f, v, w, dof):
    """rho, u, T, sigma_xx, q_x of every cell of f (ncomp, nx, nv), each of shape (nx,)."""
    g = f[0]
    rho = g @ w
    u = (g @ (w * v)) / rho
    m2 = g @ (w * v * v)
    if f.shape[0] == 2:
        m2 = m2 + f[1] @ w
    T = (m2 / rho - u * u) / dof
    c = v - u[:, None]
    gw = g * w
    sigma = np.sum(gw * c * c, axis=1) - rho * T
    q = np.sum(gw * c * c * c, axis=1)
    if f.shape[0] == 2:
        q = q + np.sum(w * c * f[1], axis=1)
    return rho, u, T, sigma, 0.5 * q


def target_numpy(code, v, dof, rho, u, T, q, prandtl):
    """Chu-reduced BGK (code 0) or Shakhov (code 1) target G, H, shape (nx, nv) each."""
    c = v - u[:, None]
    G = (rho / np.sqrt(2.0 * np.pi * T))[:, None] * np.exp(-(0.5 / T)[:, None] * c * c)
    H = ((dof - 1) * T)[:, None] * G
    if code == 1:
        A = ((1.0 - prandtl) * q / ((dof + 2.0) * rho * T * T))[:, None]
        c2 = c * c / T[:, None]
        G = G * (1.0 + A * c * (c2 - 3.0))
        H = H * (1.0 + A * c * (c2 - 1.0))
    elif code != 0:
        raise ValueError(f"target code {code} is not implemented in the NumPy benchmark")
    return G, H


def correct_numpy(G, H, v, w, ncomp, dof, rho, u, T):
    """Scale G, H by (1 + a0 + a1 z + a2 z^2), z = (v - u)/sqrt(T), so that their discrete mass,
    momentum and energy equal rho, rho u, rho (u^2 + dof T)/2: the 3x3 systems of all cells
    are solved at once."""
    c = v - u[:, None]
    z = c / np.sqrt(T)[:, None]
    gw = w * G
    e = c * c * gw
    if ncomp == 2:
        e = e + w * H
    e = e * (0.5 / T)[:, None]
    rows = np.stack([gw, gw * z, e], axis=1)  # (nx, 3, nv): mass, momentum, energy
    powers = np.stack([np.ones_like(z), z, z * z], axis=2)  # (nx, nv, 3): 1, z, z^2
    A = rows @ powers  # (nx, 3, 3)
    rhs = np.stack([rho, np.zeros_like(rho), 0.5 * dof * rho], axis=1) - A[:, :, 0]
    a = np.linalg.solve(A, rhs[:, :, None])[:, :, 0]
    fac = 1.0 + a[:, 0:1] + a[:, 1:2] * z + a[:, 2:3] * z * z
    return G * fac, H * fac


def relax_numpy(f, v, w, dof, mu_ref, omega, dt, model):
    """The exponential relaxation step of `collision.relax.relax` on f (ncomp, nx, nv), in
    place, vectorised over cells."""
    rho, u, T, sigma, q = primitive_numpy(f, v, w, dof)
    p_over_mu = rho * T / (mu_ref * T ** omega)
    a = dt * model.nu * p_over_mu
    e = np.exp(-a)
    small = a < 1e-3
    a_safe = np.where(small, 1.0, a)
    w0 = np.where(small, a * (0.5 - a * (1.0 / 3.0 - a / 8.0)), (1.0 - e * (1.0 + a)) / a_safe)
    w1 = -np.expm1(-a) - w0
    c = w0 + w1
    q_eff = q * (w0 + w1 * np.exp(-dt * model.rate_q * p_over_mu)) / c
    # sigma_xx enters neither the BGK nor the Shakhov target (only ES-BGK, not done here)
    G, H = target_numpy(model.code, v, dof, rho, u, T, q_eff, model.prandtl)
    G, H = correct_numpy(G, H, v, w, f.shape[0], dof, rho, u, T)
    f[0] = e[:, None] * f[0] + c[:, None] * G
    if f.shape[0] == 2:
        f[1] = e[:, None] * f[1] + c[:, None] * H


class NumpyKinetic:
    """The time stepping of a `KineticSolver` of an outflow problem, redone in NumPy and started
    from a copy of that solver's current distribution."""

    def __init__(self, solver: b.KineticSolver):
        if solver.boundary != "outflow":
            raise ValueError("NumpyKinetic: only the outflow (shock tube) boundary is written")
        if solver.numerics.limiter != "vanleer":
            raise ValueError("NumpyKinetic: only the van Leer limiter is written")
        self.f = solver.f.copy()
        self._work = [np.zeros_like(self.f), np.zeros_like(self.f)]
        self.v, self.w = solver.grid.v, solver.grid.w
        self.j0 = solver.j0
        self.dt, self.dx = solver.dt, solver.dx
        self.dof, self.mu_ref, self.omega = solver.gas.dof, solver.mu_ref, solver.gas.omega
        self.model = solver.model
        self.stages = solver.integrator.stages
        self.splitting = solver.splitting

    @property
    def interior(self):
        return self.f[:, NG:-NG, :]

    def collide(self, dt):
        if dt > 0.0:
            relax_numpy(self.interior, self.v, self.w, self.dof, self.mu_ref, self.omega, dt,
                        self.model)

    def transport(self, dt):
        f0 = cur = self.f
        free = self._work
        for a, b_ in self.stages:
            out = free[1] if free[0] is cur else free[0]
            fill_outflow_numpy(cur)
            advect_stage_numpy(cur, f0, a, b_, self.v, self.j0, dt / self.dx, out)
            cur = out
        self._work = [f0, free[1] if free[0] is cur else free[0]]
        self.f = cur

    def advance(self, nsteps):
        """nsteps CFL steps with the fused Strang splitting of `KineticSolver.advance`."""
        dt, split = self.dt, self.splitting
        self.collide(split.first * dt)
        for n in range(nsteps):
            self.transport(dt)
            self.collide((split.last if n == nsteps - 1 else split.first + split.last) * dt)


# -- memory bandwidth --------------------------------------------------------------------------
@njit(parallel=True)
def parallel_copy(src, dst):
    for i in prange(src.size):
        dst[i] = src[i]


@njit(parallel=True)
def parallel_add(x, y, out):
    for i in prange(x.size):
        out[i] = x[i] + y[i]


def best_time(fn, repeat):
    """Smallest wall time of `repeat` calls of fn()."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bandwidth(mbytes, threads, repeat=5):
    """STREAM-like copy and add rates in GB/s over arrays of `mbytes` MB each: numba parallel
    loops with each thread count of `threads`, and `np.copyto` (one thread)."""
    n = int(mbytes * 1e6) // 8
    x = np.random.default_rng(0).random(n)
    y = np.empty_like(x)
    z = np.empty_like(x)
    parallel_copy(x[:8], y[:8])  # compile
    parallel_add(x[:8], x[:8], z[:8])
    y[:] = x  # first touch of every page
    z[:] = x
    out = {"array_MB": n * 8 / 1e6,
           "copy_numpy_GBs": 2 * 8 * n / best_time(lambda: np.copyto(y, x), repeat) / 1e9}
    for nt in threads:
        with num_threads(nt):
            out[f"copy_numba_{nt}t_GBs"] = (2 * 8 * n / best_time(lambda: parallel_copy(x, y),
                                                                  repeat) / 1e9)
            out[f"add_numba_{nt}t_GBs"] = (3 * 8 * n / best_time(lambda: parallel_add(x, y, z),
                                                                 repeat) / 1e9)
    return out


def busy_cpus(seconds=1.0):
    """Number of CPUs kept busy by other processes while this one sleeps `seconds` (from
    /proc/stat; NaN where it is missing)."""

    def sample():
        with open("/proc/stat") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:]]
        return sum(ticks), ticks[3] + ticks[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except OSError:
        return float("nan")
    return (os.cpu_count() or 1) * (1.0 - (idle1 - idle0) / max(total1 - total0, 1))


class num_threads:
    """Context manager running numba parallel code with nt threads."""

    def __init__(self, nt):
        self.nt = nt

    def __enter__(self):
        self.old = numba.get_num_threads()
        numba.set_num_threads(self.nt)

    def __exit__(self, *exc):
        numba.set_num_threads(self.old)


# -- the parts of the benchmark ----------------------------------------------------------------
def tube_solver(nx, nv):
    return b.KineticSolver(b.ShockTube.sod(kn=1e-2), b.Gas(), "shakhov", b.Numerics(nx=nx, nv=nv))


def compare(nx, nv, nsteps):
    """Advance a numba and a NumPy solver from the same state; return their distributions'
    maximum absolute and relative (to max|f|) difference and the moments' largest difference."""
    s = tube_solver(nx, nv)
    ref = NumpyKinetic(s)
    s.advance(nsteps)
    ref.advance(nsteps)
    f, g = s.interior, ref.interior
    diff = float(np.max(np.abs(f - g)))
    m_nb = moments(f, s.grid, s.gas.dof)
    m_np = moments(g, s.grid, s.gas.dof)
    dm = max(float(np.max(np.abs(m_nb[k] - m_np[k]) / np.max(np.abs(m_nb[k])))) for k in m_nb)
    return {"steps": nsteps, "max_abs_diff": diff, "max_rel_diff": diff / float(np.max(np.abs(f))),
            "moments_max_rel_diff": dm, "max_abs_f": float(np.max(np.abs(f)))}


def time_numba(s, steps, repeat):
    """Seconds per numba step of the full step, the transport stage kernel and the relaxation."""
    s.advance(1)  # compile (or load from cache) outside the timing
    step = best_time(lambda: s.advance(steps), repeat) / steps
    f_base, f_in, out = s.f, s.f.copy(), s._work[0]  # three arrays, as in the second stage
    v, dtdx = s.grid.v, s.dt / s.dx

    def stages():
        for _ in range(steps):
            transport.advect_stage(f_in, f_base, 0.5, 0.5, v, s.j0, dtdx, s.limiter, out)

    def relaxes():
        for _ in range(steps):
            s.model.relax(s.interior, s.grid, s.gas.dof, s.mu_ref, s.gas.omega, 1e-3 * s.dt)

    return {"step_s": step, "stage_s": best_time(stages, repeat) / steps,
            "relax_s": best_time(relaxes, repeat) / steps}


def time_numpy(ref, steps, repeat):
    """Seconds per step of the NumPy full step, transport stage and relaxation."""
    step = best_time(lambda: ref.advance(steps), repeat) / steps
    f_base, f_in, out = ref.f, ref.f.copy(), ref._work[0]
    stage = best_time(lambda: advect_stage_numpy(f_in, f_base, 0.5, 0.5, ref.v, ref.j0,
                                                 ref.dt / ref.dx, out), repeat)
    relax = best_time(lambda: ref.collide(1e-3 * ref.dt), repeat)
    return {"step_s": step, "stage_s": stage, "relax_s": relax}


def shock(dx):
    """Wall time to the steady Mach 5.5 Shakhov shock and its reciprocal thickness."""
    gas = b.Gas()
    warm = b.KineticSolver(b.NormalShock(5.5, upstream=2, downstream=2), gas, "shakhov",
                           b.Numerics(dx=0.5))
    warm.advance(2)
    t0 = time.perf_counter()
    s = b.KineticSolver(b.NormalShock(5.5), gas, "shakhov", b.Numerics(dx=dx, cfl=0.9))
    t1 = time.perf_counter()
    sol = s.run()
    t2 = time.perf_counter()
    points = s.ncomp * s.x.size * s.grid.n
    steps = int(sol.info["steps"])
    return {"dx": dx, "nx": s.x.size, "nv": s.grid.n, "points": points, "setup_s": t1 - t0,
            "run_wall_s": t2 - t1, "steps": steps,
            "coarse_steps": int(sol.info.get("coarse_steps", 0)), "t_end": float(sol.t),
            "residual": float(sol.info["residual"]),
            "fine_updates_per_s": points * steps / (t2 - t1),
            "reciprocal_thickness": reciprocal_thickness(sol.x, sol["rho"])}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nx", type=int, default=50_000, help="cells of the Sod tube (timing)")
    p.add_argument("--nv", type=int, default=None, help="velocities (default: the solver's)")
    p.add_argument("--steps", type=int, default=10, help="timed numba steps per repetition")
    p.add_argument("--np-steps", type=int, default=None,
                   help="timed NumPy steps per repetition (default: min(steps, 3))")
    p.add_argument("--check-steps", type=int, default=10,
                   help="steps before comparing numba and NumPy")
    p.add_argument("--check-nx", type=int, default=2000, help="cells of the comparison run")
    p.add_argument("--repeat", type=int, default=3, help="repetitions; the best is kept")
    p.add_argument("--stream-mb", type=float, default=200.0, help="size of a bandwidth array")
    p.add_argument("--dx", type=float, default=0.125, help="cell size of the shock run")
    p.add_argument("--skip-shock", action="store_true", help="skip the Mach 5.5 shock run")
    args = p.parse_args(argv)
    np_steps = args.np_steps or min(args.steps, 3)
    nt_max = numba.get_num_threads()
    threads = sorted({1, nt_max})

    res = {"machine": {"cpu_count": os.cpu_count(), "numba_threads": nt_max,
                       "threading_layer": None, "numba": numba.__version__,
                       "numpy": np.__version__, "python": platform.python_version(),
                       "processor": platform.processor() or platform.machine(),
                       "busy_cpus_start": busy_cpus()}}

    res["check"] = chk = compare(args.check_nx, args.nv, args.check_steps)
    res["machine"]["threading_layer"] = numba.threading_layer()
    print(f"numba vs NumPy after {chk['steps']} steps (nx={args.check_nx}): max|f_nb - f_np| = "
          f"{chk['max_abs_diff']:.3e}, relative {chk['max_rel_diff']:.3e}; "
          f"moments {chk['moments_max_rel_diff']:.3e}", flush=True)

    s = tube_solver(args.nx, args.nv)
    ref = NumpyKinetic(s)
    points = s.ncomp * s.x.size * s.grid.n
    res["tube"] = {"nx": s.x.size, "nv": s.grid.n, "ncomp": s.ncomp, "points": points,
                   "array_MB": s.f.nbytes / 1e6, "steps": args.steps, "np_steps": np_steps}
    t_np = time_numpy(ref, np_steps, args.repeat)
    print(f"NumPy: {points / t_np['step_s'] / 1e6:.2f} Mpts/s", flush=True)
    res["numpy"] = {**t_np, "updates_per_s": points / t_np["step_s"],
                    "stage_GBs": STAGE_BYTES * points / t_np["stage_s"] / 1e9}
    bw = res["bandwidth"] = bandwidth(args.stream_mb, threads)
    print(f"copy: {bw['copy_numpy_GBs']:.2f} GB/s (np.copyto)", flush=True)
    for nt in threads:
        with num_threads(nt):
            t_nb = time_numba(s, args.steps, args.repeat)
        stage_bw = STAGE_BYTES * points / t_nb["stage_s"] / 1e9
        res[f"numba_{nt}t"] = {
            **t_nb, "updates_per_s": points / t_nb["step_s"], "stage_GBs": stage_bw,
            "relax_GBs": RELAX_BYTES * points / t_nb["relax_s"] / 1e9,
            "stage_fraction_of_copy": stage_bw / bw[f"copy_numba_{nt}t_GBs"],
            "stage_fraction_of_add": stage_bw / bw[f"add_numba_{nt}t_GBs"],
            "speedup_over_numpy": {k: t_np[k] / t_nb[k] for k in t_nb}}
        print(f"numba, {nt} threads: {points / t_nb['step_s'] / 1e6:.2f} Mpts/s", flush=True)
    res["machine"]["busy_cpus_after_tube"] = busy_cpus()
    report_tube(res, threads)
    save(res)
    if not args.skip_shock:
        res["shock"] = shock(args.dx)
        res["machine"]["busy_cpus_end"] = busy_cpus()
        report_shock(res)
        save(res)
    return res


def save(res):
    """Write the results so far to out/benchmark.json."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / "benchmark.json"
    path.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {path}", flush=True)


def report_tube(res, threads):
    m, tube, npy, bw = res["machine"], res["tube"], res["numpy"], res["bandwidth"]
    nbs = [res[f"numba_{nt}t"] for nt in threads]
    print(f"\n{m['cpu_count']} CPUs, numba {m['numba']} ({m['threading_layer']}, up to "
          f"{m['numba_threads']} threads), numpy {m['numpy']}; CPUs busy with other "
          f"work before {m['busy_cpus_start']:.2f}, after {m['busy_cpus_after_tube']:.2f}")
    if max(m["busy_cpus_start"], m["busy_cpus_after_tube"]) > 0.2:
        print("WARNING: the machine was not idle; multi-threaded timings are unreliable")
    print(f"Sod tube, Shakhov: nx={tube['nx']} nv={tube['nv']} ncomp={tube['ncomp']} -> "
          f"{tube['points']:,} points, {tube['array_MB']:.1f} MB per distribution")
    head = "".join(f"{f'numba {nt}t':>12}" for nt in threads)
    ratios = "".join(f"{f'{nt}t/NumPy':>11}" for nt in threads)
    print(f"{'':22}{head}{'NumPy':>12}{ratios}")
    print(f"{'step [Mpts/s]':22}" + "".join(f"{nb['updates_per_s'] / 1e6:12.2f}" for nb in nbs)
          + f"{npy['updates_per_s'] / 1e6:12.2f}"
          + "".join(f"{nb['speedup_over_numpy']['step_s']:11.1f}" for nb in nbs))
    for key, name in (("step_s", "step [ms]"), ("stage_s", "transport stage [ms]"),
                      ("relax_s", "relaxation [ms]")):
        print(f"{name:22}" + "".join(f"{nb[key] * 1e3:12.3f}" for nb in nbs)
              + f"{npy[key] * 1e3:12.3f}"
              + "".join(f"{nb['speedup_over_numpy'][key]:11.1f}" for nb in nbs))
    print(f"{'stage traffic [GB/s]':22}" + "".join(f"{nb['stage_GBs']:12.2f}" for nb in nbs)
          + f"{npy['stage_GBs']:12.2f}")
    print(f"{'copy [GB/s]':22}" + "".join(f"{bw[f'copy_numba_{nt}t_GBs']:12.2f}" for nt in threads)
          + f"{bw['copy_numpy_GBs']:12.2f}   ({bw['array_MB']:.0f} MB arrays)")
    print(f"{'add [GB/s]':22}" + "".join(f"{bw[f'add_numba_{nt}t_GBs']:12.2f}" for nt in threads))
    print(f"{'stage / copy':22}" + "".join(f"{nb['stage_fraction_of_copy']:12.0%}" for nb in nbs)
          + f"   (stage at >= {STAGE_BYTES} B/point)")


def report_shock(res):
    sh = res["shock"]
    busy = res["machine"]["busy_cpus_end"]
    print(f"Mach 5.5 Shakhov shock, dx={sh['dx']} (nx={sh['nx']}, nv={sh['nv']}): "
          f"{sh['run_wall_s']:.2f} s wall, {sh['steps']} steps to t={sh['t_end']:.1f} after "
          f"{sh['coarse_steps']} on coarser grids ({sh['fine_updates_per_s'] / 1e6:.1f} Mpts/s "
          f"counting the fine grid only), residual {sh['residual']:.1e}, "
          f"max|rho'|/(rho2-rho1) = {sh['reciprocal_thickness']:.4f}; CPUs busy with other "
          f"work after it {busy:.2f}")


if __name__ == "__main__":
    main()
