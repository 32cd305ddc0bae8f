"""The concurrent-learning engine (EELT: explore, examine, label, train), shared by the moment
closure and the Deep Potential.  It knows only its protocols:

    trainer.train(records, iteration, folder) -> models   (an ensemble)
    explorer.explore(models, iteration) -> candidates
    examiner.examine(models, candidates) -> deviations (n,)
    labeler.label(candidates) -> (records, failed [(index, reason)])
    store.save(path, records) / store.load(path) -> records

Each iteration trains on every record so far, explores with the new ensemble, classifies the
candidates by their deviation against trust_lo / trust_hi, labels a capped random subset of
those in between, and writes its labels (atomically) before it is recorded as done in
`state.json`, so a killed run resumes at the first unfinished iteration without losing a
labeled record.  It stops after `iterations` or once the accurate fraction of the explored
candidates reaches `accurate_stop`.

Labeling, the expensive step, can run on any `concurrent.futures.Executor` (a process pool
on one machine; `dask.distributed.Client(...).get_executor()` when the work leaves it): the
selected candidates go out in chunks and come back in order.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from boltzmann.io import atomic_file

ACCURATE, CANDIDATE, FAILED = "accurate", "candidate", "failed"


@dataclass(frozen=True)
class EELTConfig:
    iterations: int = 5
    trust_lo: float = 0.05
    trust_hi: float = 0.30
    max_labels: int = 50          # per iteration, drawn at random among the candidates
    accurate_stop: float = 0.99   # stop when this fraction of explored candidates is accurate
    seed: int = 0

    def __post_init__(self):
        check_trust(self.trust_lo, self.trust_hi)


def check_trust(trust_lo, trust_hi):
    if not 0.0 <= trust_lo < trust_hi:
        raise ValueError(f"need 0 <= trust_lo ({trust_lo}) < trust_hi ({trust_hi})")


def classify(deviations, trust_lo, trust_hi):
    """accurate (d < lo), candidate (lo <= d < hi) or failed (d >= hi) per deviation."""
    check_trust(trust_lo, trust_hi)
    d = np.asarray(deviations, dtype=float)
    return np.where(d < trust_lo, ACCURATE, np.where(d < trust_hi, CANDIDATE, FAILED))


class EELT:
    def __init__(self, trainer, explorer, examiner, labeler, store, run_dir, initial,
                 config=EELTConfig(), executor=None, chunk=4):
        self.trainer, self.explorer, self.examiner = trainer, explorer, examiner
        self.labeler, self.store, self.config = labeler, store, config
        self.executor, self.chunk = executor, max(1, int(chunk))
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state_path = self.run_dir / "state.json"
        init = self.run_dir / "initial.h5"
        if not init.exists():
            self.store.save(init, initial)
        self.state = (json.loads(self.state_path.read_text()) if self.state_path.exists()
                      else {"config": asdict(config), "log": []})

    def records(self):
        """Every labeled record so far: the initial data and each finished iteration's."""
        out = list(self.store.load(self.run_dir / "initial.h5"))
        for entry in self.state["log"]:
            out += self.store.load(self.run_dir / entry["labels"])
        return out

    def _label(self, chosen):
        """(records, failed) of the chosen candidates, in chunks on the executor if any;
        failure indices refer to `chosen`."""
        if self.executor is None or len(chosen) <= self.chunk:
            return self.labeler.label(chosen)
        starts = range(0, len(chosen), self.chunk)
        parts = self.executor.map(self.labeler.label,
                                  [chosen[a:a + self.chunk] for a in starts])
        records, failed = [], []
        for a, (recs, fails) in zip(starts, parts):
            records += recs
            failed += [(a + i, reason) for i, reason in fails]
        return records, failed

    def _save_state(self):
        text = json.dumps(self.state, indent=1)
        atomic_file(self.state_path, lambda tmp: Path(tmp).write_text(text), ".json")

    def run(self, progress=print):
        """Iterate until done; returns the log (one dict per iteration)."""
        cfg = self.config
        for k in range(len(self.state["log"]), cfg.iterations):
            if self.state.get("converged"):
                break
            folder = self.run_dir / f"iter_{k:03d}"
            data = self.records()
            models = self.trainer.train(data, k, folder)
            candidates = self.explorer.explore(models, k)
            devi = np.asarray(self.examiner.examine(models, candidates), dtype=float)
            cats = classify(devi, cfg.trust_lo, cfg.trust_hi)
            pool = np.flatnonzero(cats == CANDIDATE)
            rng = np.random.default_rng((cfg.seed, k))
            pick = rng.choice(pool, size=min(cfg.max_labels, pool.size), replace=False)
            records, failed = self._label([candidates[i] for i in sorted(pick)])
            labels = f"iter_{k:03d}/labels.h5"
            self.store.save(self.run_dir / labels, records)
            n = max(len(candidates), 1)
            entry = {"iteration": k, "trained_on": len(data), "explored": len(candidates),
                     "accurate": int((cats == ACCURATE).sum()),
                     "candidate": int(pool.size), "failed": int((cats == FAILED).sum()),
                     "labeled": len(records), "label_failures": failed,
                     "fraction_labeled": len(records) / n,
                     "fraction_accurate": float((cats == ACCURATE).sum()) / n,
                     "max_deviation": float(devi.max()) if devi.size else 0.0,
                     "labels": labels}
            self.state["log"].append(entry)
            if entry["fraction_accurate"] >= cfg.accurate_stop:
                self.state["converged"] = k
            self._save_state()
            if progress:
                progress(f"EELT iteration {k}: trained on {len(data)}, explored "
                         f"{len(candidates)}, accurate {entry['accurate']}, candidates "
                         f"{entry['candidate']}, failed {entry['failed']}, labeled "
                         f"{len(records)}")
        return self.state["log"]
