"""The trained default closure shipped with the package (`closure/models/default.pt`),
written by `experiments/learned_closure/run.py` (docs/learned_closure.md)."""

from pathlib import Path

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default.pt"


def default_closure():
    """The shipped LearnedClosure."""
    from .learned import LearnedClosure

    return LearnedClosure.load(DEFAULT_MODEL)
