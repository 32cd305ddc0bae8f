"""EELT against random sampling, resolved finely and over replicates (issue 5, experiment (b)):
how many kinetic labels random sampling needs for the test error EELT reaches.

For every replicate config (its initial tubes, explorations and training seed):
- the **EELT arm**: `run.py`'s EELT loop (most disputed of 24 explored tubes, 2 labels an
  iteration), run for `eelt_iterations`;
- the **random arm**: `draws` independent sequences of tubes drawn from the same
  distribution, labeled once, and the ensemble trained on the replicate's initial tubes plus
  the first n of a sequence for every n in `labels` (the same trainer and seed as EELT);
- optional **variants** of the EELT arm (`[variants."name"]`: config tables that replace the
  replicate's, e.g. a graded examiner), each its own arm;
- every model of every arm is tested on one **fixed test set**: `test_tubes` moving-shock tubes
  at Halton points of the distribution (Mach uniform, log Kn uniform) and the stationary
  Mach 5.5 normal shock, labeled on the labeler's grid times `test_refine` (default 1: at
  small Kn the exploration grid leaves q_x under-resolved, `test_resolution.py`), each
  problem's error weighted equally: for the moment closure
  (config kind "closure") the a-priori closure error (`closure.nn.eelt.a_priori_error`),
  for the local closure (kind "local_closure") the a-posteriori error of its solution
  (`closure.nn.local_eelt.a_posteriori_errors`), and for the non-local closure (kind
  "nonlocal_closure") the same with its own solution (`closure.nonlocal_eelt`).

The random arm's mean log error over all its curves (every replicate and draw) is
interpolated (log-linearly in the labels, first crossing) at each error of the EELT arm's
mean curve: the labels random sampling needs for that error. Their ratio, EELT's added labels
over random's, gets a bootstrap interval over replicates (paired: a replicate's EELT curve
with its random draws).

    python experiments/closure_eelt/curves.py [--config curves.toml] [--out DIR] [--eelt-only]

(--eelt-only runs the EELT arms and stops: it may run beside a full run on the same folder;
an EELT run folder is locked while one process runs it.)

Resumable (every label set, model and test error is kept as it is made; a random draw's
labels are written once the whole draw is labeled). Writes curves.md,
curves.h5 and curves.png to the output folder.
"""

import copy
import fcntl
import json
import sys
import time
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import qmc  # noqa: E402

import boltzmann as bz  # noqa: E402
from boltzmann.io import atomic_file, atomic_h5, write_dataset  # noqa: E402
from closure import data  # noqa: E402
from closure.cli_eelt import builder_of  # noqa: E402
from closure.nn.eelt import RunStore, a_priori_error, labeler_from  # noqa: E402
from closure.nn.learned import LearnedClosure  # noqa: E402
from closure.nn.local import LocalMap  # noqa: E402
from closure.nn.local_eelt import a_posteriori_errors  # noqa: E402
from closure.nonlocal_eelt import NonlocalEnsemble  # noqa: E402
from closure.nonlocal_eelt import a_posteriori_errors as nonlocal_errors  # noqa: E402
from closure.systems.local import DEFAULT_MODEL as LOCAL_MODEL  # noqa: E402
from closure.systems.nonlocal_nsf import DEFAULT_MODEL as NONLOCAL_MODEL  # noqa: E402
from closure.systems.nonlocal_nsf import NonlocalParams  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from eelt_common import setup  # noqa: E402

STORE = RunStore()


def test_problems(dist, n):
    """The fixed test set's tubes: n at Halton points of `dist` (`label_tests` adds the
    Mach 5.5 shock)."""
    h = qmc.Halton(d=2, scramble=False).random(n + 1)[1:]  # bases 2, 3; origin skipped
    mach = dist.mach[0] + (dist.mach[1] - dist.mach[0]) * h[:, 0]
    lkn = np.log10(dist.kn)
    kn = 10.0 ** (lkn[0] + (lkn[1] - lkn[0]) * h[:, 1])
    tubes = [{"name": f"test_{k}_M{m:.3f}_kn{q:.4g}", "mach": float(m), "kn": float(q)}
             for k, (m, q) in enumerate(zip(mach, kn))]
    return tubes


def label_tests(cfg, out, n_tubes, refine=1):
    """Label the fixed test set once (out/test.h5), the tubes on `refine` times the labeler's
    cells; returns its runs."""
    path = out / "test.h5"
    if not path.exists():
        dist, labeler = labeler_from(cfg)
        labeler.nx *= int(refine)
        runs, failed = labeler.label(test_problems(dist, n_tubes))
        if failed:
            raise RuntimeError(f"test tubes could not be labeled: {failed}")
        spec = data.RunSpec("test_shock_M5.5", bz.NormalShock(5.5), labeler.model, dist.omega)
        runs.append(data.run_record(spec))
        STORE.save(path, runs)
    return STORE.load(path)


def local_errors(cfg, model, tests):
    return a_posteriori_errors(model, tests, labeler_from(cfg)[0].omega)


#: per config kind: the model file an iteration leaves, its loader, the per-problem test
#: errors of a model (the shock last), what they are, and the reference models reported
#: beside the arms (name -> model for the test errors)
KINDS = {
    "closure": ("closure.pt", LearnedClosure.load,
                lambda cfg, model, tests: [a_priori_error(model, [r]) for r in tests],
                "a-priori closure error", {}),
    "local_closure": ("local.pt", LocalMap.load, local_errors,
                      "a-posteriori error (mean of rho, T, q_x)",
                      {"NSF": lambda: None,
                       "shipped local.pt": lambda: LocalMap.load(LOCAL_MODEL)}),
    "nonlocal_closure": ("nonlocal_ensemble.json", NonlocalEnsemble.load,
                         lambda cfg, model, tests: nonlocal_errors(
                             model, tests, labeler_from(cfg)[0].omega),
                         "a-posteriori error (mean of rho, T, q_x)",
                         {"NSF": lambda: None,
                          "shipped nonlocal.json (fitted on shocks)": lambda: NonlocalEnsemble(
                              NonlocalParams.load(NONLOCAL_MODEL)[0], [])}),
}


def test_errors(cfg, model, tests):
    return KINDS[cfg.get("kind", "closure")][2](cfg, model, tests)


def load_model(cfg, folder):
    """The model an EELT iteration of the config's kind left in `folder`."""
    name, load = KINDS[cfg.get("kind", "closure")][:2]
    return load(folder / name)


class Points:
    """A JSON file of finished results keyed by name; each add re-reads it and rewrites it
    atomically, so that two processes (e.g. --eelt-only beside a full run) share it."""

    def __init__(self, path):
        self.path = path

    def _read(self):
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get(self, key, make):
        items = self._read()
        if key not in items:
            value = make()
            items = {**self._read(), key: value}
            text = json.dumps(items, indent=1)
            atomic_file(self.path, lambda tmp: Path(tmp).write_text(text), ".json")
        return items[key]


def eelt_arm(cfg, iterations, run_dir, tests, points, key, tables=None):
    """[(runs trained on, per-problem test errors)] of each EELT iteration's model; tables:
    config tables that replace the replicate's (a variant of the arm)."""
    c = copy.deepcopy(cfg)
    c.pop("random", None)
    c.pop("random_long", None)
    for t, v in (tables or {}).items():  # a variant's keys over the replicate's, per table
        c[t] = {**c.get(t, {}), **copy.deepcopy(v)}
    c["eelt"]["iterations"] = iterations
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / ".lock", "w") as lock:  # one process at a time (--eelt-only)
        fcntl.flock(lock, fcntl.LOCK_EX)
        log = builder_of(c)(c, run_dir).run()
    out = []
    for e in log:
        folder = run_dir / f"iter_{e['iteration']:03d}"
        errs = points.get(f"{key}/{e['trained_on']}", lambda f=folder: test_errors(
            c, load_model(c, f), tests))
        out.append((e["trained_on"], errs))
    return out


def random_arm(cfg, grid, draw, run_dir, initial, tests, points, name, pool_size=None):
    """[(runs trained on, per-problem test errors)] of the ensemble trained on the initial
    tubes plus the first n of a random sequence (draw `draw`), for n in grid."""
    dist, labeler = labeler_from(cfg)
    seed = cfg["eelt"]["seed"]
    path = run_dir / f"random_{draw}.h5"
    if not path.exists():
        tubes = dist.draw(np.random.default_rng((seed, 7919, draw)), pool_size or max(grid) + 4,
                          f"rand{draw}")
        runs, failed = labeler.label(tubes)
        if len(runs) < max(grid):
            raise RuntimeError(f"{name}: only {len(runs)} of {len(tubes)} random tubes could "
                               f"be labeled: {failed[:3]}")
        STORE.save(path, runs)
    pool = STORE.load(path)
    trainer = builder_of(cfg)(cfg, run_dir / "EELT").trainer  # EELT's trainer, same seed

    def point(n):
        folder = run_dir / f"random_{draw}_n{n:03d}"
        return test_errors(cfg, trainer.train(initial + pool[:n], 0, folder), tests)

    return [(len(initial) + n, points.get(f"{name}/random_{draw}/{n}", lambda n=n: point(n)))
            for n in grid]


def mean_log(curves, added):
    """Mean over curves of log10(error) at the added-label counts `added` (each curve an
    array of (added labels, error) rows holding those counts)."""
    return np.mean([[np.log10(dict(c)[a]) for a in added] for c in curves], axis=0)


def labels_to_reach(added, logerr, target):
    """The added labels at which a curve (log-linear between points) first reaches `target`
    (log10 error); inf when it never does."""
    if logerr[0] <= target:
        return float(added[0])
    for k in range(1, len(added)):
        if logerr[k] <= target:
            w = (logerr[k - 1] - target) / (logerr[k - 1] - logerr[k])
            return float(added[k - 1] + w * (added[k] - added[k - 1]))
    return np.inf


def compare(eelt, rnd, grid):
    """Rows (EELT added labels, EELT mean error, random mean error there or None, random
    labels for EELT's error, their ratio: None at 0 added, inf when random starts below
    EELT's error, and a / max(grid) when random never reaches it, an upper bound) from the
    replicates' curves: eelt[rep] = rows (added, error) by iteration, rnd[rep] = list of
    such curves.  The EELT curves are lined up by iteration (their added labels averaged,
    in case a label failed somewhere), up to the shortest."""
    n_it = min(len(c) for c in eelt)
    e_added = [float(np.mean([c[k][0] for c in eelt])) for k in range(n_it)]
    e_log = np.mean([[np.log10(c[k][1]) for k in range(n_it)] for c in eelt], axis=0)
    r_log = mean_log([c for cs in rnd for c in cs], grid)
    rows = []
    for a, le in zip(e_added, e_log):
        n_r = labels_to_reach(grid, r_log, le)
        at = 10 ** r_log[list(grid).index(a)] if a in grid else None
        if a == 0:
            ratio = None
        elif np.isinf(n_r):
            ratio = a / max(grid)
        else:
            ratio = a / n_r if n_r > 0 else np.inf
        rows.append((a, 10 ** le, at, n_r, ratio))
    return rows


def bootstrap(eelt, rnd, grid, n_boot=2000, seed=0):
    """{EELT added labels: (5th, 95th percentile of the ratio)}, resampling replicates (a
    never-reached error counts with its upper bound, as in `compare`)."""
    rng = np.random.default_rng(seed)
    reps = len(eelt)
    ratios = {}
    for _ in range(n_boot):
        pick = rng.integers(0, reps, reps)
        rows = compare([eelt[i] for i in pick], [rnd[i] for i in pick], grid)
        for k, (a, _, _, _, r) in enumerate(rows):
            if a > 0:
                ratios.setdefault(k, []).append(r)
    keys = [r[0] for r in compare(eelt, rnd, grid)]
    return {keys[k]: (np.percentile(v, 5, method="lower"),
                      np.percentile(v, 95, method="higher")) for k, v in ratios.items()}


def summarise(x):
    """Mean over the test problems of the per-problem errors."""
    return float(np.mean(x))


def main(argv=None):
    args, cc = setup(__doc__, HERE, argv, config="curves.toml", out="out_curves",
                     flags=("eelt-only",))
    grid = [int(n) for n in cc["labels"]]
    configs = [tomllib.loads((args.config.parent / p).read_text()) for p in cc["replicates"]]
    kinds = {c.get("kind", "closure") for c in configs}
    if len(kinds) != 1 or not kinds <= set(KINDS):
        raise SystemExit(f"{args.config}: the replicates' kinds {sorted(kinds)} must be one of "
                         f"{sorted(KINDS)}, the same for all")
    tests = label_tests(configs[0], args.out, cc["test_tubes"], cc.get("test_refine", 1))
    points = Points(args.out / "points.json")
    arms = {"EELT": {}, **cc.get("variants", {})}
    eelt, rnd, table = {a: [] for a in arms}, [], []
    t0 = time.perf_counter()
    for p, cfg in zip(cc["replicates"], configs):
        name = Path(p).stem
        run_dir = args.out / name
        for arm, tables in arms.items():
            folder = run_dir / arm.replace(" ", "_")
            e = eelt_arm(cfg, cc["eelt_iterations"], folder, tests, points, f"{name}/{arm}",
                         tables)
            n0 = len(STORE.load(folder / "initial.h5"))
            eelt[arm].append([(n - n0, summarise(x)) for n, x in e])
            table += [(name, arm, n - n0, x) for n, x in e]
        if args.eelt_only:
            continue
        initial = list(STORE.load(run_dir / "EELT" / "initial.h5"))
        n0 = len(initial)
        curves = []
        for d in range(cc["draws"]):
            r = random_arm(cfg, grid, d, run_dir, initial, tests, points, name,
                           cc.get("pool"))
            curves.append([(n - n0, summarise(x)) for n, x in r])
            table += [(name, f"random {d}", n - n0, x) for n, x in r]
        rnd.append(curves)
        print(f"{name}: done ({time.perf_counter() - t0:.0f} s so far)", flush=True)
    if args.eelt_only:
        return
    rows = {a: compare(e, rnd, grid) for a, e in eelt.items()}
    ci = {a: bootstrap(e, rnd, grid) for a, e in eelt.items()}
    what, references = KINDS[kinds.pop()][3:]
    baseline = {name: test_errors(configs[0], make(), tests) for name, make in references.items()}
    report(args, cc, tests, eelt, rnd, grid, rows, ci, table, what, baseline)


def report(args, cc, tests, eelt, rnd, grid, rows, ci, table, what, baseline=None):
    """curves.md, curves.png and curves.h5; eelt, rows, ci: per EELT arm; baseline: {name:
    per-problem errors} of reference models, rows of the table of every model."""
    names = [r.name for r in tests]
    reps = len(rnd)
    lines = ["# EELT against random sampling: labels for equal test error\n",
             "Command: `.venv/bin/python experiments/closure_eelt/curves.py --config "
             f"{args.config.name} --out {args.out.name}`\n",
             f"{reps} replicates ({', '.join(cc['replicates'])}), {cc['draws']} random "
             f"draws each. Test set: {', '.join(names)}. Error: the mean over these "
             f"{len(names)} problems of the {what}.\n",
             "| arm | added labels | EELT mean error | random mean error | random labels for "
             "EELT's error | ratio | 90 % bootstrap interval |", "|---|---|---|---|---|---|---|"]
    for arm, arm_rows in rows.items():
        for a, e, r, n_r, q in arm_rows:
            if a == 0:
                continue
            lo, hi = ci[arm][a]
            lines.append(f"| {arm} | {a:g} | {e:.4f} | {'-' if r is None else f'{r:.4f}'} | "
                         f"{'> ' + str(max(grid)) if np.isinf(n_r) else f'{n_r:.1f}'} | "
                         f"{'<' if np.isinf(n_r) else ''}{q:.2f} | {lo:.2f}-{hi:.2f} |")
    lines += ["", "(mean errors: geometric means over replicates, and over replicates and "
              "draws for random; '<': random never reaches EELT's error within "
              f"{max(grid)} labels, the ratio is below the bound shown, and the bootstrap "
              "counts the bound; inf: random's initial error is already below it; with "
              f"{reps} replicates the bootstrap has few distinct resamples, so the interval "
              "is coarse)", "",
              "## Every model\n", "| replicate | arm | added labels | " + " | ".join(names)
              + " | mean |", "|---|---|---|" + "---|" * (len(names) + 1)]
    table = [("-", name, "-", x) for name, x in (baseline or {}).items()] + table
    for name, arm, a, x in table:
        lines.append(f"| {name} | {arm} | {a} | " + " | ".join(f"{v:.3f}" for v in x)
                     + f" | {summarise(x):.4f} |")
    text = "\n".join(lines) + "\n"
    (args.out / "curves.md").write_text(text)
    print(text)
    fig, ax = plt.subplots(figsize=(6.5, 4.3))
    for rcs in rnd:
        for c in rcs:
            ax.plot(*zip(*c), color="C1", alpha=0.2, lw=0.8)
    r_log = mean_log([c for cs in rnd for c in cs], grid)
    ax.plot(grid, 10 ** r_log, "s-", color="C1", lw=2,
            label=f"random, mean of {sum(len(c) for c in rnd)}")
    for k, (arm, curves) in enumerate(eelt.items()):
        color = "C0" if k == 0 else f"C{k + 1}"
        for c in curves:
            ax.plot(*zip(*c), color=color, alpha=0.3, lw=0.8)
        ax.plot([r[0] for r in rows[arm]], [r[1] for r in rows[arm]], "o-", color=color,
                lw=2, label=f"{arm}, mean of {len(curves)}")
    for k, (name, x) in enumerate((baseline or {}).items()):
        ax.axhline(summarise(x), color="black", ls=("--", ":")[k % 2], lw=1, label=name)
    ax.set(xlabel="kinetic labels added to the initial tubes",
           ylabel=f"{what}, test set (mean)", yscale="log")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out / "curves.png", dpi=150)
    plt.close(fig)

    def fill(h5):
        h5.attrs["config"] = args.config.read_text()
        h5.attrs["test_problems"] = json.dumps(names)
        for k, rcs in enumerate(rnd):
            for arm, curves in eelt.items():
                write_dataset(h5, f"replicate_{k}/{arm.replace(' ', '_')}",
                              np.array(curves[k]), "1", "added labels, mean test error")
            for d, c in enumerate(rcs):
                write_dataset(h5, f"replicate_{k}/random_{d}", np.array(c), "1",
                              "added labels, mean test error")

    atomic_h5(args.out / "curves.h5", fill)


if __name__ == "__main__":
    main()
