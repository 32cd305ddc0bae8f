"""The EELT engine with toy protocols: selection by trust levels, capped labeling, the log,
stopping on the accurate fraction, and resuming after a crash without losing labels."""

import json
from pathlib import Path

import numpy as np
import pytest

from closure.eelt import EELT, EELTConfig, classify


class JSONStore:
    def save(self, path, records):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(records))

    def load(self, path):
        return json.loads(Path(path).read_text())


class Toy:
    """Models = the number of records; candidates 0..19; deviation shrinks with the data."""

    def __init__(self, crash_at=None):
        self.crash_at, self.trained = crash_at, []

    def train(self, records, iteration, folder):
        self.trained.append((iteration, len(records)))
        return len(records)

    def explore(self, models, iteration):
        return list(range(20))

    def examine(self, models, candidates):
        return [c / 20.0 * 10.0 / models for c in candidates]

    def label(self, candidates):
        if self.crash_at is not None and len(self.trained) - 1 == self.crash_at:
            raise RuntimeError("labeler killed")
        return [{"x": int(c)} for c in candidates], []


def make(tmp_path, toy, **kw):
    cfg = EELTConfig(**{"iterations": 4, "trust_lo": 0.2, "trust_hi": 0.8, "max_labels": 3,
                        **kw})
    return EELT(toy, toy, toy, toy, JSONStore(), tmp_path / "run", [{"x": -1}] * 5, cfg)


def test_classify_boundaries():
    assert list(classify([0.0, 0.2, 0.5, 0.8, 1.0], 0.2, 0.8)) == [
        "accurate", "candidate", "candidate", "failed", "failed"]
    with pytest.raises(ValueError, match="trust_lo"):
        EELTConfig(trust_lo=0.5, trust_hi=0.1)


def test_selection_log_and_stop(tmp_path):
    toy = Toy()
    log = make(tmp_path, toy, accurate_stop=0.25).run(progress=None)
    first = log[0]
    d = np.arange(20) / 20.0 * 10.0 / 5
    assert first["accurate"] == int((d < 0.2).sum()) and first["failed"] == int((d >= 0.8).sum())
    assert first["labeled"] == 3 and first["trained_on"] == 5
    assert [e["trained_on"] for e in log] == [5 + 3 * k for k in range(len(log))]
    assert log[-1]["fraction_accurate"] >= 0.25 and len(log) == 3  # stopped early


def test_resume_after_a_crash_keeps_every_label(tmp_path):
    crashing = Toy(crash_at=2)
    with pytest.raises(RuntimeError, match="labeler killed"):
        make(tmp_path, crashing).run(progress=None)
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert len(state["log"]) == 2  # iterations 0 and 1 finished and recorded
    toy = Toy()
    eelt = make(tmp_path, toy)
    log = eelt.run(progress=None)
    assert toy.trained[0] == (2, 5 + 6)  # resumed at iteration 2 with both earlier labels
    assert len(log) == 4 and len(eelt.records()) == 5 + 4 * 3


class ChunkLabeler:
    """Labels integers; 7 fails (a reference code that did not converge)."""

    def label(self, candidates):
        ok = [{"x": int(c)} for c in candidates if c != 7]
        return ok, [(i, "SCF not converged") for i, c in enumerate(candidates) if c == 7]


def test_labeling_on_a_process_pool_keeps_order_and_failures(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    toy = Toy()
    cfg = EELTConfig(iterations=1, trust_lo=0.0, trust_hi=100.0, max_labels=20)
    with ProcessPoolExecutor(max_workers=2) as pool:
        eelt = EELT(toy, toy, toy, ChunkLabeler(), JSONStore(), tmp_path / "run",
                    [{"x": -1}], cfg, executor=pool, chunk=3)
        log = eelt.run(progress=None)
    assert [r["x"] for r in eelt.records()[1:]] == [c for c in range(20) if c != 7]
    assert log[0]["labeled"] == 19
    assert [tuple(f) for f in log[0]["label_failures"]] == [(7, "SCF not converged")]
