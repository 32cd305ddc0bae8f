"""The concurrent-learning engine (explore, examine, label, train) behind small protocols."""

from .engine import EELT, EELTConfig, classify

__all__ = ["EELT", "EELTConfig", "classify"]
