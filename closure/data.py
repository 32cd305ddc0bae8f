"""Datasets for the learned closure: snapshots of kinetic runs in the local fluid frame.

A dataset is a folder with one HDF5 file per kinetic run (format 'mlclosure.dataset', written
atomically), so that building it is resumable and a labeler can add runs one at a time.  In
each file, per snapshot s and cell i:

    g, h        (ns, nx, NXI)  the Chu-reduced distribution in the fluid frame on the fixed
                               grid xi = (v - u) / sqrt(T) of XI:
                               g^(xi) = sqrt(T)/rho G(u + sqrt(T) xi),
                               h^(xi) = sqrt(T)/(2 rho T) H(u + sqrt(T) xi)
                               (a Maxwellian gives g^ = h^ = exp(-xi^2/2)/sqrt(2 pi)),
                               then scaled by 1 + a0 + a1 xi + a2 xi^2 so that on XI
                               (trapezoid weights DXI) int g^ = 1, int xi g^ = 0 and
                               int (xi^2 g^ + 2 h^)/2 = 3/2 hold exactly (the cubic
                               interpolation from the kinetic grid misses them slightly);
    tg, th      (ns, nx, NXI)  the collision model's target, same normalisation, so that the
                               collision term is Q^ = (t^ - f^) / tau;
    rho, u, T, sigma_xx, q_x, tau, mfp, coverage   (ns, nx)
                               exact moments on the kinetic grid, relaxation time mu/p,
                               local mean free path, and the fraction of the mass inside XI;
    t (ns,), x (nx,)           snapshot times and cell centres.

The run's problem, gas, collision model, numerics and split ('train', 'val', 'test') are
attributes.  Splits are by run, never by snapshot.
"""

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

import boltzmann as bz
from boltzmann.collision.relax import target
from boltzmann.errors import FileFormatError, InputError
from boltzmann.gas import MFP_FACTOR
from boltzmann.io import atomic_h5, write_dataset
from boltzmann.problems import from_attrs
from boltzmann.solver import numerics_attrs

FORMAT = "mlclosure.dataset"
FORMAT_VERSION = 2
#: the `mfp` field over the mean free path, by format version: version 1 stored
#: MFP_FACTOR mu / (rho sqrt T), 0.614 times it; its files are read with the field rescaled
MFP_SCALE_OF_VERSION = {1: MFP_FACTOR**2, 2: 1.0}
XI_MAX, NXI = 16.0, 129
XI = np.linspace(-XI_MAX, XI_MAX, NXI)
DXI = XI[1] - XI[0]
FIELDS = ("rho", "u", "T", "sigma_xx", "q_x", "tau", "mfp", "coverage")
SPLITS = ("train", "val", "test")
#: the labelers a dataset takes by name: relaxation models and the full Boltzmann equation
MODELS = (*bz.COLLISIONS, "spectral")


@dataclass(frozen=True)
class RunSpec:
    """One kinetic run of a dataset: problem, collision model, omega, the snapshot times
    (the problem's t_end if empty), cells, the split it belongs to, and the velocity
    spacing of the discrete-velocity models (thermal speeds of the coldest state; the
    solver's default 0.6 is converged at small Kn and for stationary shocks, but rarefied
    tubes need 0.3 or finer: docs/kinetic.md).  A NormalShock gives one snapshot, its
    steady state on the kinetic solver's default shock grid."""

    name: str
    problem: object
    model: str = "shakhov"
    omega: float = 0.5
    times: tuple = ()
    nx: int = 200
    split: str = "train"
    meta: dict = field(default_factory=dict, compare=False)
    v_spacing: float = bz.Numerics.v_spacing

    def __post_init__(self):
        if self.model == "dsmc":
            raise InputError(f"RunSpec {self.name}: a closure dataset needs the distribution on "
                             "a velocity grid, which DSMC does not give; use 'spectral' for "
                             "the full Boltzmann equation")
        if self.model not in MODELS:
            raise InputError(f"RunSpec {self.name}: unknown model {self.model!r}; choose one "
                             f"of {MODELS}")
        if self.split not in SPLITS:
            raise InputError(f"RunSpec {self.name}: split {self.split!r} not one of {SPLITS}")
        if not self.name.replace("_", "").replace("-", "").replace(".", "").isalnum():
            raise InputError(f"RunSpec: name {self.name!r} must be alphanumeric (file name)")
        object.__setattr__(self, "v_spacing", velocity_spacing(self.v_spacing, self.model,
                                                               f"RunSpec {self.name}"))


def velocity_spacing(value, model, where) -> float:
    """A discrete-velocity spacing (thermal speeds of the coldest state) for labels of
    `model` as a float, or an InputError naming `where`; the spectral solver takes only the
    default (it has a velocity box of its own)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not (np.isfinite(v) and v > 0.0):
        raise InputError(f"{where}: v_spacing={value!r} must be a positive number (thermal "
                         "speeds)")
    if model == "spectral" and v != bz.Numerics.v_spacing:
        raise InputError(f"{where}: v_spacing is the discrete-velocity models'; the spectral "
                         "solver has a velocity box of its own")
    return v


def labeled_spacing(run):
    """The velocity spacing a run file was labeled with (None for the spectral solver)."""
    value = run.attrs["numerics"].get("v_spacing")
    return None if value is None else float(value)


def spacing_differs(run, model, v_spacing) -> bool:
    """Whether `run` was labeled on another velocity grid than labels of `model` with
    `v_spacing` would be (never for the spectral solver, which has no such grid)."""
    return model != "spectral" and labeled_spacing(run) != v_spacing


def conserve(g, h):
    """Scale (g^, h^), each (n, NXI), by 1 + a0 + a1 xi + a2 xi^2 per row so that the
    normalised mass, momentum and energy are exactly 1, 0, 3/2 on XI."""
    basis = np.stack([np.ones_like(XI), XI, XI * XI])  # (3, NXI)
    e = 0.5 * (XI * XI * g + 2.0 * h)
    rows = np.stack([g, XI * g, e], axis=1) * DXI  # (n, 3, NXI): the three constraint rows
    A = np.einsum("nkj,aj->nka", rows, basis)
    b = np.array([1.0, 0.0, 1.5]) - rows.sum(axis=2)
    coef = np.linalg.solve(A, b[..., None])[..., 0]
    scale = 1.0 + coef @ basis
    return g * scale, h * scale


def to_fluid_frame(F, v, rho, u, T):
    """Chu components F (ncomp, nx, nv) on the uniform grid v -> (g^, h^), each (nx, NXI),
    by cubic (Catmull-Rom) interpolation at v = u + sqrt(T) xi (zero outside the grid),
    conserved."""
    s = np.sqrt(T)[:, None]
    pos = (u[:, None] + s * XI[None, :] - v[0]) / (v[1] - v[0])
    inside = (pos >= 0.0) & (pos <= v.size - 1)
    j = np.clip(np.floor(pos).astype(int), 0, v.size - 2)
    a = np.clip(pos - j, 0.0, 1.0)
    rows = np.arange(F.shape[1])[:, None]
    # cubic Catmull-Rom weights of the nodes j-1, j, j+1, j+2 (the end nodes repeated)
    wts = (0.5 * (-a**3 + 2 * a**2 - a), 0.5 * (3 * a**3 - 5 * a**2 + 2),
           0.5 * (-3 * a**3 + 4 * a**2 + a), 0.5 * (a**3 - a**2))
    nodes = [np.clip(j + k, 0, v.size - 1) for k in (-1, 0, 1, 2)]
    out = []
    for c, scale in enumerate((s / rho[:, None], s / (2.0 * rho * T)[:, None])):
        comp = F[c]
        val = sum(wk * comp[rows, nk] for wk, nk in zip(wts, nodes))
        out.append(np.where(inside, val, 0.0) * scale)
    return conserve(out[0], out[1])


def _fields(G, H, TG, TH, v, w, moments, tau, mfp):
    """The snapshot arrays from the Chu components G, H (nx, nv) on the uniform x-velocity
    grid v (quadrature weights w), the collision target TG, TH (Q = (T - F)/tau) and the
    exact moments of the solver."""
    rho, u, T = moments["rho"], moments["u"], moments["T"]
    g, h = to_fluid_frame(np.stack([G, H]), v, rho, u, T)
    tg, th = to_fluid_frame(np.stack([TG, TH]), v, rho, u, T)
    c = (v[None, :] - u[:, None]) / np.sqrt(T)[:, None]
    coverage = (G * w * (np.abs(c) <= XI_MAX)).sum(axis=1) / rho
    return {"g": g, "h": h, "tg": tg, "th": th, "rho": rho, "u": u, "T": T,
            "sigma_xx": moments["sigma_xx"], "q_x": moments["q_x"], "tau": tau, "mfp": mfp,
            "coverage": coverage}


def _relaxation(gas, problem, rho, T):
    """(tau = mu/p, the local mean free path `boltzmann.Gas.mean_free_path`) per cell."""
    mu_ref = gas.mu_ref(problem.mfp_ref)
    return gas.viscosity(T, mu_ref) / (rho * T), gas.mean_free_path(rho, T, mu_ref)


def snapshot(sol: bz.Solution, model) -> dict:
    """The fluid-frame arrays of one kinetic solution (module docstring), per cell."""
    if sol.f.shape[0] != 2:
        raise InputError("dataset snapshots need the Chu-reduced 3D gas (dof = 3)")
    m = sol.moments
    rho, u, T = m["rho"], m["u"], m["T"]
    tg_phys = np.empty_like(sol.f)
    for i in range(sol.x.size):
        target(model.code, tg_phys[0, i], tg_phys[1, i], sol.v, 3, rho[i], u[i], T[i],
               m["sigma_xx"][i], m["q_x"][i], model.prandtl)
    tau, mfp = _relaxation(sol.gas, sol.problem, rho, T)
    return _fields(sol.f[0], sol.f[1], tg_phys[0], tg_phys[1], sol.v, sol.w, m, tau, mfp)


def spectral_snapshot(solver) -> dict:
    """The fluid-frame arrays of a `boltzmann.spectral.SpectralSolver`'s current state: the 3D
    distribution Chu-reduced over (v_y, v_z), and the target tau Q(f) + f with Q the full
    Boltzmann operator, so that the dataset's Q^ = (t^ - f^)/tau is the collision term."""
    box, f = solver.box, solver.distribution()
    m = box.moments(f)
    tau, mfp = _relaxation(solver.gas, solver.problem, m["rho"], m["T"])
    tf = f + tau[:, None, None, None] * solver.op(f)
    _, vy, vz = box.grids
    e = vy * vy + vz * vz
    area = box.h * box.h

    def chu(a):
        return a.sum(axis=(-2, -1)) * area, (a * e).sum(axis=(-2, -1)) * area

    (G, H), (TG, TH) = chu(f), chu(tf)
    w = np.full(box.n, box.h)
    return _fields(G, H, TG, TH, box.axis_x, w, m, tau, mfp)


def _run_spectral(spec: RunSpec):
    """A spec whose model is 'spectral' (Maxwell molecules and VHS, omega = spec.omega): the
    fast spectral Boltzmann solver with its default velocity box, spec.nx cells (tubes and
    waves), and collisions every k transport steps, k = max(1, floor(tau_min / (4 dt)))."""
    from boltzmann.spectral import SpectralNumerics, SpectralSolver

    shock = spec.problem.kind == "shock"
    num = SpectralNumerics(nx=None if shock else spec.nx, collide_every=None)
    solver = SpectralSolver(spec.problem, bz.Gas(omega=spec.omega), num)
    if shock:
        sol = solver.run()
        return solver, sol.x, [(sol.t, spectral_snapshot(solver))]
    snaps = []
    for t in sorted(spec.times or (spec.problem.t_end,)):
        solver.run_until(t)
        snaps.append((solver.t, spectral_snapshot(solver)))
    return solver, solver.x, snaps


def run_kinetic(spec: RunSpec):
    """Run the kinetic solver of a spec: (solver, x, snapshots as a list of (t, arrays));
    x is centred at the density midpoint for a shock.  The model is a relaxation model of
    the discrete-velocity solver ('bgk', 'shakhov', 'esbgk') or the full Boltzmann equation
    by the fast spectral method ('spectral')."""
    if spec.model == "spectral":
        return _run_spectral(spec)
    gas = bz.Gas(omega=spec.omega)
    if spec.problem.boundary == "shock":  # a stationary shock: its steady state, once
        solver = bz.KineticSolver(spec.problem, gas, spec.model,
                                  bz.Numerics(v_spacing=spec.v_spacing))
        sol = solver.run_steady()
        return solver, sol.x, [(sol.t, snapshot(sol, solver.model))]
    solver = bz.KineticSolver(spec.problem, gas, spec.model,
                              bz.Numerics(nx=spec.nx, v_spacing=spec.v_spacing))
    times = spec.times or (spec.problem.t_end,)
    snaps = []
    for t in sorted(times):
        if t > solver.t:
            solver.run_until(t)
        sol = solver.solution()
        snaps.append((sol.t, snapshot(sol, solver.model)))
    return solver, sol.x, snaps


def run_record(spec: RunSpec) -> dict:
    """Run `spec`: a record {name, split, meta, attrs (problem, gas, model, numerics),
    arrays} holding what a run file holds (a picklable dict, so that labeling can happen on
    another machine)."""
    solver, x, snaps = run_kinetic(spec)
    low = min(float(s["coverage"].min()) for _, s in snaps)
    if low < 0.999:
        warnings.warn(f"dataset run {spec.name}: only {low:.4f} of a cell's mass lies inside "
                      f"|xi| <= {XI_MAX}", stacklevel=2)
    arrays = {"t": np.array([t for t, _ in snaps]), "x": x}
    arrays.update({key: np.stack([s[key] for _, s in snaps]) for key in snaps[0][1]})
    return {"name": spec.name, "split": spec.split, "meta": dict(spec.meta),
            "attrs": {"problem": spec.problem.to_attrs(), "gas": solver.gas.to_attrs(),
                      "model": solver.model.to_attrs(),
                      "numerics": {**numerics_attrs(solver.numerics), "nx": int(x.size)}},
            "arrays": arrays}


def write_record(h5, record):
    """Write a run record (a `run_record` dict, or a `Run` read back) into an open HDF5
    file or group (the run-file layout)."""
    if isinstance(record, Run):
        record = {"name": record.name, "split": record.split, "attrs": record.attrs,
                  "arrays": record.arrays, "meta": record.meta}
    h5.attrs["format"] = FORMAT
    h5.attrs["format_version"] = FORMAT_VERSION
    h5.attrs["name"] = record["name"]
    h5.attrs["split"] = record["split"]
    h5.attrs["xi"] = json.dumps([XI_MAX, NXI])
    h5.attrs["meta"] = json.dumps(record.get("meta", {}))
    for group, attrs in record["attrs"].items():
        grp = h5.create_group(group)
        for k, v in attrs.items():
            grp.attrs[k] = v
    units = {"t": "sqrt(R T_0)/L", "x": "problem length unit"}
    for key, value in record["arrays"].items():
        write_dataset(h5, key, value, *([units[key]] if key in units else []))


def write_run(path, spec: RunSpec):
    """Run `spec` and write its snapshots to `path` atomically; returns the path."""
    record = run_record(spec)
    return atomic_h5(path, lambda h5: write_record(h5, record))


def build_dataset(folder, specs, progress=True):
    """Write every spec's run file into `folder`, skipping runs whose valid file exists
    (resume after a kill; a run moved to another split only gets its attribute rewritten; a
    run labeled with another velocity spacing is labeled again); returns the list of
    paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, spec in enumerate(specs):
        path = folder / f"{spec.name}.h5"
        if path.exists():
            try:
                run = read_run(path)
            except FileFormatError:
                path.unlink()
            else:
                if spacing_differs(run, spec.model, spec.v_spacing):
                    print(f"  {spec.name}: labeled with v_spacing {labeled_spacing(run)}, "
                          f"asked {spec.v_spacing}: labeled again", flush=True)
                    path.unlink()
                else:
                    if run.split != spec.split:  # a changed split needs no new kinetic run
                        with h5py.File(path, "r+") as h5:
                            h5.attrs["split"] = spec.split
                    paths.append(path)
                    continue
        if progress:
            print(f"  [{k + 1}/{len(specs)}] {spec.name}", flush=True)
        paths.append(write_run(path, spec))
    return paths


@dataclass
class Run:
    """One run file read back: attrs (name, split, problem, gas, model) and arrays."""

    name: str
    split: str
    problem: object
    attrs: dict
    arrays: dict
    meta: dict  # the RunSpec's (e.g. the Mach and Kn of an explored tube)

    def __getitem__(self, key):
        return self.arrays[key]


def read_run(path) -> Run:
    """Read and validate one run file; FileFormatError names what is wrong."""
    path = Path(path)
    try:
        with h5py.File(path, "r") as h5:
            return read_record(h5, path)
    except OSError as exc:
        raise FileFormatError(f"{path}: unreadable or corrupt dataset file ({exc})") from exc


def read_record(h5, where) -> Run:
    """Validate and read a run from an open HDF5 file or group; `where` names it in
    errors."""
    try:
        if h5.attrs.get("format") != FORMAT:
            raise FileFormatError(f"{where}: not an {FORMAT} file "
                                  f"(format {h5.attrs.get('format')!r})")
        version = int(h5.attrs.get("format_version", -1))
        if version not in MFP_SCALE_OF_VERSION:
            raise FileFormatError(f"{where}: format version {h5.attrs.get('format_version')} "
                                  f"is not one of {sorted(MFP_SCALE_OF_VERSION)}")
        if json.loads(h5.attrs["xi"]) != [XI_MAX, NXI]:
            raise FileFormatError(f"{where}: fluid-frame grid {h5.attrs['xi']} differs "
                                  f"from this version's [{XI_MAX}, {NXI}]")
        missing = [k for k in ("t", "x", "g", "h", "tg", "th") + FIELDS if k not in h5]
        if missing:
            raise FileFormatError(f"{where}: missing datasets {missing}")
        arrays = {k: h5[k][()] for k in h5 if isinstance(h5[k], h5py.Dataset)}
        arrays["mfp"] = arrays["mfp"] / MFP_SCALE_OF_VERSION[version]
        attrs = {g: dict(h5[g].attrs) for g in ("problem", "gas", "model", "numerics")}
        name, split = str(h5.attrs["name"]), str(h5.attrs["split"])
        meta = json.loads(h5.attrs.get("meta", "{}"))
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, FileFormatError):
            raise
        raise FileFormatError(f"{where}: unreadable or corrupt dataset run ({exc})") from exc
    return Run(name, split, from_attrs(attrs["problem"]), attrs, arrays, meta)


def load_dataset(folder, split=None) -> list:
    """All runs of a dataset folder (of one split if given), sorted by name."""
    paths = sorted(Path(folder).glob("*.h5"))
    if not paths:
        raise FileFormatError(f"{folder}: no dataset run files")
    runs = [read_run(p) for p in paths]
    return [r for r in runs if split is None or r.split == split]


def samples(runs, keys=("g", "h") + FIELDS):
    """Concatenate the cells of every snapshot of `runs`: {key: (N, ...)}."""
    return {k: np.concatenate([r[k].reshape((-1,) + r[k].shape[2:]) for r in runs])
            for k in keys}


def fluid_frame(runs):
    """The fluid-frame distributions of every cell of every snapshot of `runs`,
    (N, 2, NXI) with g^ and h^ along axis 1 (the autoencoder's and closure's input)."""
    s = samples(runs, ("g", "h"))
    return np.stack([s["g"], s["h"]], axis=1)


def dataset_hash(runs) -> str:
    """A short hash of the runs' names and arrays (recorded with trained models)."""
    sha = hashlib.sha256()
    for r in sorted(runs, key=lambda r: r.name):
        sha.update(r.name.encode())
        for k in ("g", "h"):
            sha.update(np.ascontiguousarray(r[k]).tobytes())
    return sha.hexdigest()[:16]
