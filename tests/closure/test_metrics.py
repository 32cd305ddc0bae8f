"""The yardstick's helpers (closure/metrics.py)."""

import numpy as np
import pytest

from closure.metrics import rel_l2, slashed


def test_relative_l2_is_against_the_reference_variation():
    ref = np.array([1.0, 1.0, 2.0, 3.0])
    model = ref + np.array([0.0, 0.1, 0.0, 0.0])
    assert rel_l2(model, ref) == pytest.approx(0.1 / np.linalg.norm(ref - 1.0), rel=1e-14)
    assert rel_l2(model, np.ones(4)) == 0.0  # a flat reference


def test_slashed_table_cell():
    e = {"rho": 0.0123, "T": 0.5, "q_x": 1.23456}
    assert slashed(e, ("rho", "T", "q_x")) == "0.012 / 0.500 / 1.235"
    assert slashed(e, ("q_x",), ".1e") == "1.2e+00"
