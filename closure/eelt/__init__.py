"""The concurrent-learning engine (explore, examine, label, train) behind small protocols."""

from .engine import EELT, EELTConfig, classify, from_table, read_state
from .executors import local_executor

__all__ = ["EELT", "EELTConfig", "classify", "from_table", "read_state", "local_executor"]
