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


class Crash(RuntimeError):
    pass


class Toy:
    """Models = the number of records; candidates 0..19; deviation shrinks with the data.
    `crash` = (stage, iteration[, chunk call]) raises Crash there, as a kill would;
    `ledger` collects every labeled candidate across runs."""

    def __init__(self, crash=None, ledger=None):
        self.crash, self.trained = crash, []
        self.ledger = [] if ledger is None else ledger
        self.iteration, self.label_calls = None, 0

    def _maybe_crash(self, stage):
        c = self.crash
        if c and c[0] == stage and c[1] == self.iteration and (
                len(c) == 2 or c[2] == self.label_calls):
            raise Crash(f"killed in {stage} of iteration {self.iteration}")

    def train(self, records, iteration, folder):
        self.iteration, self.label_calls = iteration, 0
        self._maybe_crash("train")
        self.trained.append((iteration, len(records)))
        return len(records)

    def explore(self, models, iteration):
        self._maybe_crash("explore")
        return list(range(20))

    def examine(self, models, candidates):
        self._maybe_crash("examine")
        return [c / 20.0 * 10.0 / models for c in candidates]

    def label(self, candidates):
        self._maybe_crash("label")
        self.label_calls += 1
        self.ledger += [int(c) for c in candidates]
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


@pytest.mark.parametrize("crash", [("train", 2), ("explore", 2), ("examine", 2),
                                   ("label", 2, 0), ("label", 2, 2)])
def test_resume_after_a_crash_loses_and_repeats_no_label(tmp_path, crash):
    """A run killed in any stage of iteration 2 (labeling: before the first chunk and after
    two of three chunks) resumes without losing a finished label or labeling one twice, and
    ends with the same records as a run that was never killed."""
    ledger = []
    run = EELT(*[Toy(crash, ledger)] * 4, JSONStore(), tmp_path / "run", [{"x": -1}] * 5,
               EELTConfig(iterations=4, trust_lo=0.2, trust_hi=0.8, max_labels=3), chunk=1)
    with pytest.raises(Crash):
        run.run(progress=None)
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert len(state["log"]) == 2  # iterations 0 and 1 finished and recorded
    toy = Toy(ledger=ledger)
    eelt = EELT(*[toy] * 4, JSONStore(), tmp_path / "run", [{"x": -1}] * 5,
                EELTConfig(iterations=4, trust_lo=0.2, trust_hi=0.8, max_labels=3), chunk=1)
    log = eelt.run(progress=None)
    selected = crash[0] == "label"  # iteration 2 had been selected: not trained again
    assert toy.trained[0] == ((3, 5 + 9) if selected else (2, 5 + 6))
    assert len(log) == 4 and len(eelt.records()) == 5 + 4 * 3
    fresh = make(tmp_path / "fresh", Toy())
    fresh.run(progress=None)
    assert eelt.records() == fresh.records()
    labeled_after_iteration_1 = ledger[6:]
    assert sorted(labeled_after_iteration_1) == sorted(r["x"] for r in eelt.records()[11:])
    assert not list((tmp_path / "run").glob("iter_*/chunk_*"))


def test_a_corrupt_state_or_another_config_is_refused(tmp_path):
    from boltzmann.errors import FileFormatError

    make(tmp_path, Toy()).run(progress=None)
    with pytest.raises(ValueError, match="another EELT config.*trust_hi"):
        make(tmp_path, Toy(), trust_hi=0.9)
    make(tmp_path, Toy(), iterations=6).run(progress=None)  # extending a run is allowed
    (tmp_path / "run" / "state.json").write_text('{"log": [')
    with pytest.raises(FileFormatError, match="state.json"):
        make(tmp_path, Toy())


class ChunkLabeler:
    """Labels integers; 7 fails (a reference code that did not converge)."""

    def label(self, candidates):
        ok = [{"x": int(c)} for c in candidates if c != 7]
        return ok, [(i, "SCF not converged") for i, c in enumerate(candidates) if c == 7]


@pytest.mark.parametrize("kind", ["process", "dask"])
def test_executors_keep_order_and_failures(tmp_path, kind):
    """A process pool and Dask distributed on a real LocalCluster give the same labels, in
    the same order, with the same failure, as labeling in this process."""
    from closure.eelt import local_executor

    cfg = EELTConfig(iterations=1, trust_lo=0.0, trust_hi=100.0, max_labels=20)
    runs = {}
    for name in ("serial", kind):
        toy = Toy()
        with local_executor(name, workers=2) as pool:
            eelt = EELT(toy, toy, toy, ChunkLabeler(), JSONStore(), tmp_path / name,
                        [{"x": -1}], cfg, executor=pool, chunk=3)
            log = eelt.run(progress=None)
        runs[name] = (eelt.records(), log[0]["label_failures"])
    assert runs[kind] == runs["serial"]
    records, failures = runs[kind]
    assert [r["x"] for r in records[1:]] == [c for c in range(20) if c != 7]
    assert [tuple(f) for f in failures] == [(7, "SCF not converged")]
    with pytest.raises(ValueError, match="unknown executor"):
        with local_executor("mpi"):
            pass


class Broken(Toy):
    def label(self, candidates):
        return [], [(i, "ImportError: no module named reference_code") for i in
                    range(len(candidates))]


def test_a_labeler_that_fails_everything_stops_the_run_and_keeps_nothing_stale(tmp_path):
    """Every label failing is a setup problem: the run stops with the reason, leaves no
    chunk of failures behind, and resumes normally once the labeler works."""
    toy, broken = Toy(), Broken()
    with pytest.raises(RuntimeError, match="every one of the 3 labels failed.*ImportError"):
        EELT(toy, toy, toy, broken, JSONStore(), tmp_path / "run", [{"x": -1}] * 5,
             EELTConfig(iterations=2, trust_lo=0.2, trust_hi=0.8, max_labels=3),
             chunk=1).run(progress=None)
    assert not list((tmp_path / "run").glob("iter_*/chunk_*"))
    log = make(tmp_path, Toy(), iterations=2).run(progress=None)
    assert [e["labeled"] for e in log] == [3, 3]


def test_pick_max_labels_the_most_disputed_candidates(tmp_path):
    toy = Toy()
    log = make(tmp_path, toy, iterations=1, pick="max").run(progress=None)
    d = np.arange(20) / 20.0 * 10.0 / 5  # the toy's deviations at iteration 0
    candidates = np.flatnonzero((d >= 0.2) & (d < 0.8))
    assert log[0]["selected"] == sorted(candidates[-3:].tolist())
    with pytest.raises(ValueError, match="pick"):
        EELTConfig(pick="best")


def test_final_training_uses_every_record_once(tmp_path):
    """With `final`, the run ends with one more training on every record, the last
    iteration's labels included; a resumed run does not train it again, and `final` may be
    switched on for a run that has finished (it changes nothing already made)."""
    toy = Toy()
    make(tmp_path, toy).run(progress=None)
    assert toy.trained[-1] == (3, 5 + 9)  # the iterations alone leave 3 labels untrained
    toy = Toy()
    eelt = make(tmp_path, toy, final=True)
    eelt.run(progress=None)
    assert toy.trained == [(4, 5 + 12)]
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["final"]["trained_on"] == 5 + 12 and state["final"]["folder"] == "final"
    again = Toy()
    make(tmp_path, again, final=True).run(progress=None)
    assert again.trained == []
    longer = Toy()  # more iterations: the final model is trained again, after them
    make(tmp_path, longer, final=True, iterations=6).run(progress=None)
    assert longer.trained == [(4, 5 + 12), (5, 5 + 15), (6, 5 + 18)]
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["final"]["trained_on"] == 5 + 18 and state["final"]["iterations"] == 6
