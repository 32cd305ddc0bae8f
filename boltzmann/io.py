"""HDF5 solution files: the only module of `boltzmann` that touches files.

Layout (format 'mlclosure.kinetic', version 1):
    /            attrs: format, format_version, toolkit_version, created, t, problem_kind,
                        length_unit, units (the unit system of gas.py)
    /x, /rho, /u, /T, /p, /sigma_xx, /q_x, /entropy   shape (nx,), attr 'units'
    /v, /w       shape (nv,)            velocity nodes and weights
    /f           shape (ncomp, nx, nv)  Chu-reduced distribution (g; h)
    /problem, /gas, /model, /numerics, /info   groups whose attrs are the run's parameters
Every dataset carries a Fletcher-32 checksum, so a corrupted block is detected on read.
Files are written to a temporary file in the target folder and renamed into place, so a
reader never sees a partly written file.
"""

import datetime
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field

import h5py
import numpy as np

from .errors import FileFormatError
from .moments import MOMENT_UNITS

FORMAT = "mlclosure.kinetic"
FORMAT_VERSION = 1
UNITS = ("rho_0 = 1, T_0 = 1, R = 1 (reference: upstream state for a shock); speeds in "
         "sqrt(R T_0), stresses in rho_0 R T_0, heat fluxes in rho_0 (R T_0)^(3/2)")
PROFILE_NAMES = ("rho", "u", "T", "p", "sigma_xx", "q_x")
REQUIRED = ("x",) + PROFILE_NAMES
GROUPS = ("problem", "gas", "model", "numerics", "info")


@dataclass
class SolutionFile:
    """What `read_solution` returns: data[name] -> array, attrs (root), and group attrs in
    params['problem' | 'gas' | 'model' | 'numerics' | 'info']."""

    path: str
    data: dict
    attrs: dict
    params: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.data[name]

    def problem(self):
        """The problem that made the file (FileFormatError when its attributes are unusable)."""
        from .errors import InputError
        from .problems import from_attrs

        if "problem" not in self.params:
            raise FileFormatError(f"{self.path}: no 'problem' group")
        try:
            return from_attrs(self.params["problem"])
        except InputError as exc:
            raise FileFormatError(f"{self.path}: {exc}") from None


def atomic_file(path, write, suffix=""):
    """Create path atomically: write(tmp) fills a temporary file in the same folder, which
    is then renamed to path (removed if write fails), so no reader sees a partial file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


@contextmanager
def open_checked(path, fmt):
    """Open an HDF5 file to read, checking its `format` attribute: FileFormatError names
    the file when it is missing, unreadable, foreign, or when reading it fails (OSError,
    KeyError: a truncated or incomplete group)."""
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise FileFormatError(f"{path}: unreadable HDF5 file ({exc})") from exc
    with h5:
        if h5.attrs.get("format") != fmt:
            raise FileFormatError(f"{path}: not an {fmt} file "
                                  f"(format {h5.attrs.get('format')!r})")
        try:
            yield h5
        except (OSError, KeyError) as exc:
            raise FileFormatError(f"{path}: corrupt {fmt} file ({exc})") from exc


def atomic_h5(path, fill):
    """Write an HDF5 file by calling fill(h5file) on a temporary file, then renaming it to path."""

    def write(tmp):
        with h5py.File(tmp, "w") as h5:
            fill(h5)

    return atomic_file(path, write, ".h5")


def _clean(value):
    if value is None:
        return "none"
    if isinstance(value, (bool, int, float, str, np.integer, np.floating)):
        return value
    return str(value)


def write_dataset(h5, name, data, units=None, description=None):
    data = np.asarray(data)
    kw = {"fletcher32": True, "chunks": True} if data.ndim and data.size else {}
    ds = h5.create_dataset(name, data=data, **kw)
    if units is not None:
        ds.attrs["units"] = units
    if description is not None:
        ds.attrs["description"] = description
    return ds


def write_profiles(path, problem, t, x, profiles, groups, datasets=(), info=None):
    """Write a 1D solution atomically in this format; return the path.

    profiles: 'rho', 'u', 'T', 'p', 'sigma_xx', 'q_x' arrays of x's shape; groups: name ->
    dict of parameters ('gas', 'model', 'numerics'; 'problem' is added); datasets: extra
    (name, array, units, description) tuples; info: run statistics (arrays become datasets)."""
    from . import __version__

    length_unit = ("upstream mean free path lambda_1, centred at the density midpoint"
                   if problem.kind == "shock" else "problem length L")

    def fill(h5):
        h5.attrs.update({
            "format": FORMAT, "format_version": FORMAT_VERSION, "toolkit_version": __version__,
            "created": datetime.datetime.now(datetime.UTC).isoformat(),
            "t": t, "problem_kind": problem.kind, "length_unit": length_unit, "units": UNITS,
        })
        write_dataset(h5, "x", x, length_unit, "cell centres")
        for name in PROFILE_NAMES:
            write_dataset(h5, name, profiles[name], MOMENT_UNITS[name])
        for name, data, units, description in datasets:
            write_dataset(h5, name, data, units, description)
        attrs = {"problem": problem.to_attrs(), **groups, "info": {}}
        for k, v in (info or {}).items():
            if isinstance(v, np.ndarray):
                write_dataset(h5, k, v)
            else:
                attrs["info"][k] = v
        for gname, group in attrs.items():
            g = h5.create_group(gname)
            for k, v in group.items():
                g.attrs[k] = _clean(v)

    return atomic_h5(path, fill)


def write_solution(path, sol):
    """Write a kinetic `Solution` atomically; return the path."""
    from .solver import numerics_attrs

    d = sol.gas.dof
    datasets = (
        ("entropy", sol.entropy, f"rho_0 log(rho_0 (R T_0)^(-{d}/2))",
         f"Boltzmann's H per cell, int f log f d^{d}v (positive values of f)"),
        ("v", sol.v, "sqrt(R T_0)", "discrete x-velocities"),
        ("w", sol.w, "sqrt(R T_0)", "quadrature weights"),
        ("f", sol.f, "rho_0 / sqrt(R T_0)",
         "Chu-reduced distribution: f[0] = g, f[1] = h (transverse energy)"),
    )
    groups = {"gas": sol.gas.to_attrs(), "model": sol.model.to_attrs(),
              "numerics": numerics_attrs(sol.numerics)}
    return write_profiles(path, sol.problem, sol.t, sol.x, sol.moments, groups, datasets,
                          sol.info)


def read_solution(path, require=REQUIRED) -> SolutionFile:
    """Read a solution file, refusing a missing, foreign, truncated or corrupt one with a
    FileFormatError that names the file and the defect."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileFormatError(f"{path}: no such file")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise FileFormatError(
            f"{path}: not a readable HDF5 file (truncated or corrupt): {exc}") from None
    with h5:
        fmt = h5.attrs.get("format")
        if fmt != FORMAT:
            raise FileFormatError(f"{path}: foreign HDF5 file (format attribute {fmt!r}, "
                                  f"expected {FORMAT!r})")
        version = int(h5.attrs.get("format_version", -1))
        if version > FORMAT_VERSION:
            raise FileFormatError(f"{path}: format version {version} is newer than this "
                                  f"toolkit reads ({FORMAT_VERSION})")
        missing = [n for n in require if n not in h5]
        if missing:
            raise FileFormatError(f"{path}: truncated file, datasets missing: {missing}")
        data = {}
        for name, obj in h5.items():
            if isinstance(obj, h5py.Dataset):
                try:
                    data[name] = obj[()]
                except OSError as exc:
                    raise FileFormatError(f"{path}: dataset '{name}' is corrupt "
                                          f"(checksum or read error: {exc})") from None
                if np.issubdtype(data[name].dtype, np.floating) and not np.all(
                        np.isfinite(data[name])):
                    raise FileFormatError(f"{path}: dataset '{name}' holds NaN or inf")
        attrs = dict(h5.attrs)
        params = {g: dict(h5[g].attrs) for g in GROUPS if g in h5}
    return SolutionFile(path, data, attrs, params)
