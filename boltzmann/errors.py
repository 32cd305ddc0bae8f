"""Exceptions raised by the kinetic solver; each message says what and where."""


class InputError(ValueError):
    """A physically or numerically impossible input (negative density, Mach <= 1, ...)."""


class SolutionError(RuntimeError):
    """A solution that went bad during a run (NaN, negative density or temperature)."""


class FileFormatError(ValueError):
    """An HDF5 file that is missing, truncated, corrupt or not written by this toolkit."""


def check_positive(obj, *names, optional=False):
    """InputError naming obj's class unless each attribute `names` of obj is finite and > 0;
    with optional=True an attribute that is None (chosen automatically) passes."""
    import numpy as np

    for name in names:
        val = getattr(obj, name)
        if optional and val is None:
            continue
        if not (np.isfinite(val) and val > 0.0):
            raise InputError(f"{type(obj).__name__}: {name}={val} must be positive and finite")
