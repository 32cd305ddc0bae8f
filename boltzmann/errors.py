"""Exceptions raised by the kinetic solver; each message says what and where."""


class InputError(ValueError):
    """A physically or numerically impossible input (negative density, Mach <= 1, ...)."""


class SolutionError(RuntimeError):
    """A solution that went bad during a run (NaN, negative density or temperature)."""


class FileFormatError(ValueError):
    """An HDF5 file that is missing, truncated, corrupt or not written by this toolkit."""
