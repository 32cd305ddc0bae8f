"""The concurrent-learning engine (EELT: explore, examine, label, train), shared by the moment
closure and the Deep Potential.  It knows only its protocols:

    trainer.train(records, iteration, folder) -> models   (an ensemble)
    explorer.explore(models, iteration) -> candidates
    examiner.examine(models, candidates) -> deviations (n,)
    labeler.label(candidates) -> (records, failed [(index, reason)])
    store.save(path, records) / store.load(path) -> records
    tester(models) -> dict of test errors   (optional: logged after each training)

Each iteration trains on every record so far, explores with the new ensemble, classifies the
candidates by their deviation against trust_lo / trust_hi and picks a capped random subset
of those in between; the selection is written (atomically, `iter_k/selection.pkl`) before
labeling starts.  Labeling goes out in chunks; each finished chunk is written at once
(`iter_k/chunk_a.h5` with its failures in `chunk_a.json`), and the iteration's labels are
gathered into `iter_k/labels.h5` before `state.json` records the iteration as done.  A run
killed at any moment (SIGKILL included) therefore resumes where it stopped: a finished
iteration is never redone, a selected iteration is not retrained, and a finished chunk is
never labeled twice.  It stops after `iterations` or once the accurate fraction of the
explored candidates reaches `accurate_stop`.  With `final`, the ensemble is then trained once
more on every record, the last iteration's labels included (`final/`, logged in
`state.json` under "final"): the run's product.

Labeling, the expensive step, can run on any `concurrent.futures.Executor`
(`closure.eelt.executors`: a local process pool, or Dask distributed on a LocalCluster or a
cluster's scheduler); chunks are written as they complete, in any order.
"""

import json
import pickle
import time
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from boltzmann.errors import FileFormatError
from boltzmann.io import atomic_file

ACCURATE, CANDIDATE, FAILED = "accurate", "candidate", "failed"


@dataclass(frozen=True)
class EELTConfig:
    iterations: int = 5
    trust_lo: float = 0.05
    trust_hi: float = 0.30
    max_labels: int = 50          # per iteration, among the candidates
    accurate_stop: float = 0.99   # stop when this fraction of explored candidates is accurate
    seed: int = 0
    pick: str = "random"          # "random" among the candidates (DP-GEN), or "max": the
                                  # candidates of largest deviation first
    final: bool = False           # after the iterations, train once more on every record
                                  # (the last iteration's labels included) into final/

    def __post_init__(self):
        check_trust(self.trust_lo, self.trust_hi)
        if self.pick not in ("random", "max"):
            raise ValueError(f"pick {self.pick!r}: choose 'random' or 'max'")


def from_table(cls, table):
    """A frozen dataclass (a config of an adapter) from a TOML table: lists become tuples,
    as frozen fields hold them."""
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in table.items()})


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
                 config=EELTConfig(), executor=None, chunk=4, tester=None):
        self.trainer, self.explorer, self.examiner = trainer, explorer, examiner
        self.tester = tester
        self.labeler, self.store, self.config = labeler, store, config
        self.executor, self.chunk = executor, max(1, int(chunk))
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state_path = self.run_dir / "state.json"
        init = self.run_dir / "initial.h5"
        if not init.exists():
            self.store.save(init, initial)
        self.state = (read_state(self.run_dir) if self.state_path.exists()
                      else {"config": asdict(config), "log": []})
        free = ("iterations", "final")  # may change: neither alters what has been made
        before = {k: v for k, v in {**asdict(EELTConfig()), **self.state["config"]}.items()
                  if k not in free}  # keys a run predates take their defaults
        now = {k: v for k, v in asdict(config).items() if k not in free}
        if before != now:
            changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
            raise ValueError(f"{self.run_dir}: the run was started with another EELT config "
                             f"(differs in {changed}); resume it with its own config or "
                             f"start a new run folder")
        self.state["config"] = asdict(config)

    def records(self):
        """Every labeled record so far: the initial data and each finished iteration's."""
        out = list(self.store.load(self.run_dir / "initial.h5"))
        for entry in self.state["log"]:
            out += self.store.load(self.run_dir / entry["labels"])
        return out

    def _label(self, chosen, folder, chunk):
        """(records, failed) of the chosen candidates, chunk by chunk on the executor if any,
        each finished chunk written at once and skipped when it is already there; failure
        indices refer to `chosen`.  `chunk` is the selection's (fixed when it was made, so
        that a resumed run cuts the same chunks)."""
        starts = range(0, len(chosen), chunk)

        def path(a, suffix=".h5"):
            return folder / f"chunk_{a:05d}{suffix}"

        def finish(a, result):
            recs, fails = result
            text = json.dumps([[a + int(i), str(reason)] for i, reason in fails])
            atomic_file(path(a, ".json"), lambda t: Path(t).write_text(text))
            self.store.save(path(a), recs)  # written last: the chunk's completion mark

        todo = [a for a in starts if not path(a).exists()]
        if self.executor is None:
            for a in todo:
                finish(a, self.labeler.label(chosen[a:a + chunk]))
        else:
            futures = {self.executor.submit(self.labeler.label, chosen[a:a + chunk]): a
                       for a in todo}
            for fut in as_completed(futures):
                finish(futures[fut], fut.result())
        records, failed = [], []
        for a in starts:
            records += self.store.load(path(a))
            failed += [tuple(f) for f in json.loads(path(a, ".json").read_text())]
        return records, failed

    def _select(self, k, folder):
        """Train, explore, examine and pick the candidates of iteration k; written to
        folder/selection.pkl, which a resumed run reads instead of doing it again."""
        path = folder / "selection.pkl"
        if path.exists():
            with open(path, "rb") as fh:
                return pickle.load(fh)
        cfg, clock = self.config, time.perf_counter
        t0 = clock()
        data = self.records()
        models = self.trainer.train(data, k, folder)
        test = self.tester(models) if self.tester is not None else {}
        t1 = clock()
        candidates = self.explorer.explore(models, k)
        t2 = clock()
        devi = np.asarray(self.examiner.examine(models, candidates), dtype=float)
        t3 = clock()
        cats = classify(devi, cfg.trust_lo, cfg.trust_hi)
        pool = np.flatnonzero(cats == CANDIDATE)
        n_pick = min(cfg.max_labels, pool.size)
        if cfg.pick == "max":
            pick = np.sort(pool[np.argsort(-devi[pool], kind="stable")[:n_pick]])
        else:
            rng = np.random.default_rng((cfg.seed, k))
            pick = np.sort(rng.choice(pool, size=n_pick, replace=False))
        n = max(len(candidates), 1)
        entry = {"iteration": k, "trained_on": len(data), "explored": len(candidates),
                 "accurate": int((cats == ACCURATE).sum()), "candidate": int(pool.size),
                 "failed": int((cats == FAILED).sum()),
                 "fraction_accurate": float((cats == ACCURATE).sum()) / n,
                 "max_deviation": float(devi.max()) if devi.size else 0.0,
                 "deviations": devi.tolist(), "selected": pick.tolist(), "test": test,
                 "seconds": {"train": t1 - t0, "explore": t2 - t1, "examine": t3 - t2}}
        selection = {"entry": entry, "chosen": [candidates[i] for i in pick],
                     "chunk": self.chunk}
        blob = pickle.dumps(selection)
        atomic_file(path, lambda t: Path(t).write_bytes(blob), ".pkl")
        return selection

    def _save_state(self):
        text = json.dumps(self.state, indent=1)
        atomic_file(self.state_path, lambda tmp: Path(tmp).write_text(text), ".json")

    def run(self, progress=print):
        """Iterate until done; returns the log (one dict per iteration)."""
        cfg = self.config
        for entry in self.state["log"]:  # chunks of an iteration recorded just before a kill
            _drop_chunks(self.run_dir / f"iter_{entry['iteration']:03d}")
        for k in range(len(self.state["log"]), cfg.iterations):
            if self.state.get("converged") is not None:
                break
            folder = self.run_dir / f"iter_{k:03d}"
            selection = self._select(k, folder)
            t0 = time.perf_counter()
            chosen = selection["chosen"]
            records, failed = self._label(chosen, folder, selection.get("chunk", self.chunk))
            if chosen and not records:
                _drop_chunks(folder)  # relabel them after the fix
                raise RuntimeError(f"EELT iteration {k}: every one of the {len(chosen)} "
                                   f"labels failed (a setup problem?), first: {failed[0][1]}")
            labels = f"iter_{k:03d}/labels.h5"
            self.store.save(self.run_dir / labels, records)
            entry = dict(selection["entry"])
            entry["seconds"] = {**entry["seconds"], "label": time.perf_counter() - t0}
            entry.update({"labeled": len(records), "label_failures": failed,
                          "fraction_labeled": len(records) / max(entry["explored"], 1),
                          "labels": labels})
            self.state["log"].append(entry)
            self.state.pop("final", None)  # a final model predating these labels is stale
            if entry["fraction_accurate"] >= cfg.accurate_stop:
                self.state["converged"] = k
            self._save_state()
            _drop_chunks(folder)
            if progress:
                progress(f"EELT iteration {k}: trained on {entry['trained_on']}, explored "
                         f"{entry['explored']}, accurate {entry['accurate']}, candidates "
                         f"{entry['candidate']}, failed {entry['failed']}, labeled "
                         f"{len(records)}")
        if cfg.final and "final" not in self.state:
            self.train_final(progress)
        return self.state["log"]

    def train_final(self, progress=print):
        """Train the ensemble on every record so far into run_dir/final/ and log it (records
        trained on, test errors, seconds) in state.json under "final"; returns the models.
        A run killed during it trains it again on resuming: no label is at stake; a run
        extended by more iterations trains it again after them."""
        t0 = time.perf_counter()
        data = self.records()
        models = self.trainer.train(data, len(self.state["log"]), self.run_dir / "final")
        test = self.tester(models) if self.tester is not None else {}
        self.state["final"] = {"trained_on": len(data), "iterations": len(self.state["log"]),
                               "test": test, "folder": "final",
                               "seconds": time.perf_counter() - t0}
        self._save_state()
        if progress:
            progress(f"EELT final training: trained on {len(data)}")
        return models


def _drop_chunks(folder):
    """Remove an iteration's chunk files (gathered into labels.h5, or to be relabeled)."""
    for stale in folder.glob("chunk_*"):
        stale.unlink()


def read_state(run_dir):
    """The state.json of an EELT run folder (FileFormatError when missing or corrupt)."""
    path = Path(run_dir) / "state.json"
    try:
        state = json.loads(path.read_text())
        if not isinstance(state.get("log"), list) or not isinstance(state.get("config"), dict):
            raise ValueError("no log or config")
    except (OSError, ValueError, AttributeError) as exc:
        raise FileFormatError(f"{path}: not a readable EELT state ({exc})") from exc
    return state
