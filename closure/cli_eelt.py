"""Command line of the concurrent-learning runs and the Deep Potential:

    closure eelt run config.toml --out RUN   start (or continue) a run; the config is kept
                                             in RUN/config.toml
    closure eelt resume RUN                  continue a killed or finished run (more
                                             iterations: raise [eelt] iterations in
                                             RUN/config.toml; that and [eelt] final are the
                                             edits allowed; a run that converged stays
                                             converged)
    closure eelt status RUN                  a table of the iterations
    closure eelt install RUN [--to PATH]     copy a closure run's final model (trained on
                                             every label: [eelt] final = true) to PATH, by
                                             default the shipped closure/models/default.pt
    closure dp test MODEL FRAMES.h5 [--plot parity.png]   `dp test`: RMSEs, parity plot

`closure dp run|resume|status` are the same as `closure eelt ...`.  The config's top-level
`kind` chooses the adapters: "closure" (shock tubes, kinetic labels, the learned moment
closure; closure.nn.eelt.build lists its tables), "local_closure" (the same tubes and labels,
the learned local constitutive map; closure.nn.local_eelt), "nonlocal_closure" (the same,
the fitted non-local closure; closure.nonlocal_eelt) or "dp" (DP-GEN for a Deep Potential;
closure.dp.dpgen).
"""

import shutil
import tomllib
from pathlib import Path

import numpy as np

from boltzmann.errors import FileFormatError
from boltzmann.io import atomic_file

from .eelt import local_executor, read_state


def _builders():
    from .dp.dpgen import build as dp
    from .nn.eelt import build as moment_closure
    from .nn.local_eelt import build as local_closure
    from .nonlocal_eelt import build as nonlocal_closure

    return {"dp": dp, "closure": moment_closure, "local_closure": local_closure,
            "nonlocal_closure": nonlocal_closure}


def add_parsers(sub):
    for name in ("eelt", "dp"):
        p = sub.add_parser(name, help="concurrent learning (EELT) runs" if name == "eelt"
                           else "Deep Potential: EELT runs (DP-GEN) and model tests")
        cmds = p.add_subparsers(dest="action", required=True)
        r = cmds.add_parser("run", help="start a run from a TOML config")
        r.add_argument("config", type=Path)
        r.add_argument("--out", type=Path, required=True, help="run folder")
        cmds.add_parser("resume", help="continue a run").add_argument("run", type=Path)
        cmds.add_parser("status", help="table of a run's iterations").add_argument(
            "run", type=Path)
        if name == "eelt":
            i = cmds.add_parser("install", help="copy a closure run's final model to the "
                                "shipped default (or --to PATH)")
            i.add_argument("run", type=Path)
            i.add_argument("--to", type=Path, help="target model file (default: the shipped "
                           "closure/models/default.pt)")
        if name == "dp":
            t = cmds.add_parser("test", help="RMSE of a model file on frames (HDF5)")
            t.add_argument("model", type=Path)
            t.add_argument("frames", type=Path)
            t.add_argument("--plot", type=Path, help="write a parity plot (PNG) here")


def read_config(path):
    try:
        return tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FileFormatError(f"{path}: not a readable TOML config ({exc})") from exc


def status_table(run):
    state = read_state(run)
    tests = sorted({k for e in state["log"] for k in e.get("test", {})})
    rows = ["| iteration | trained on | explored | accurate | candidates | failed | labeled |"
            " label failures | fraction labeled | " + "".join(f"test {t} | " for t in tests)
            + "train s | explore s | label s |", "|---" * (12 + len(tests)) + "|"]
    for e in state["log"]:
        sec = e.get("seconds", {})
        rows.append(f"| {e['iteration']} | {e['trained_on']} | {e['explored']} | "
                    f"{e['accurate']} | {e['candidate']} | {e['failed']} | {e['labeled']} | "
                    f"{len(e['label_failures'])} | {e['fraction_labeled']:.3f} | "
                    + "".join(f"{e.get('test', {}).get(t, float('nan')):.4g} | "
                              for t in tests)
                    + f"{sec.get('train', float('nan')):.1f} | "
                    f"{sec.get('explore', float('nan')):.1f} | "
                    f"{sec.get('label', float('nan')):.1f} |")
    done = len(state["log"])
    total = state["config"]["iterations"]
    tail = (f"converged at iteration {state['converged']}" if state.get("converged") is not None
            else f"{done} of {total} iterations done")
    if "final" in state:
        f = state["final"]
        tail += (f"; final model trained on {f['trained_on']} ({f['seconds']:.0f} s"
                 + "".join(f", test {k} {v:.4g}" for k, v in sorted(f["test"].items())) + ")")
    explored = sum(e["explored"] for e in state["log"])
    labeled = sum(e["labeled"] for e in state["log"])
    if explored:
        tail += f"; {labeled} of {explored} explored labeled ({labeled / explored:.1%})"
    return "\n".join(rows) + "\n\n" + tail


def builder_of(config):
    """The adapters' builder for the config's `kind` (FileFormatError for an unknown one)."""
    kind, builders = config.get("kind", "dp"), _builders()
    if kind not in builders:
        raise FileFormatError(f"config kind {kind!r}: choose one of {sorted(builders)}")
    return builders[kind]


def run_config(config, run_dir):
    """Run (or continue) the EELT of a parsed config in run_dir on its [executor]; returns
    the log."""
    ex = config.get("executor", {})
    with local_executor(ex.get("kind", "serial"), ex.get("workers", 2),
                        ex.get("address")) as executor:
        return builder_of(config)(config, run_dir, executor).run()


def install(run, target=None):
    """Copy the final model of a closure run (RUN/final/closure.pt) to `target` (default:
    the shipped default model), after loading it as a LearnedClosure; returns the target."""
    from .nn.default import DEFAULT_MODEL
    from .nn.learned import LearnedClosure

    state = read_state(run)
    kept = Path(run) / "config.toml"
    kind = read_config(kept).get("kind", "dp") if kept.exists() else "closure"
    if kind != "closure":
        raise FileFormatError(f"{run}: a {kind!r} run; `install` copies the final model of a "
                              f"'closure' run only (a local closure's is {run}/final/local.pt)")
    source = Path(run) / "final" / "closure.pt"
    if "final" not in state or not source.exists():
        raise FileFormatError(f"{run}: no final model; set [eelt] final = true in "
                              f"{Path(run) / 'config.toml'} and `resume` the run")
    trained_on = LearnedClosure.load(source).meta.get("trained_on")  # refuses a corrupt file
    if trained_on != state["final"]["trained_on"]:
        raise FileFormatError(f"{source} was trained on {trained_on} runs, the run's log says "
                              f"{state['final']['trained_on']}: `resume` the run to retrain it")
    target = Path(target) if target is not None else DEFAULT_MODEL
    blob = source.read_bytes()
    atomic_file(target, lambda tmp: Path(tmp).write_bytes(blob), ".pt")
    return target


def main(args):
    if args.action == "status":
        print(status_table(args.run))
    elif args.action == "install":
        target = install(args.run, args.to)
        print(f"installed {Path(args.run) / 'final' / 'closure.pt'} as {target}")
    elif args.action == "test":
        from .dp.eelt import FrameStore
        from .dp.train import load, report

        model, meta = load(args.model)
        r = report(model, FrameStore().load(args.frames))
        virial = (f", virial RMSE {r['rmse_v_per_atom'] * 1e3:.3f} meV/atom"
                  if np.isfinite(r["rmse_v_per_atom"]) else "")
        print(f"{args.model} ({meta['type_map']}) on {args.frames}: energy RMSE "
              f"{r['rmse_e_per_atom'] * 1e3:.3f} meV/atom, force RMSE {r['rmse_f']:.4f} "
              f"eV/Angstrom{virial}")
        if args.plot:
            from .dp.plots import parity_plot

            print(f"wrote {parity_plot(model, FrameStore().load(args.frames), args.plot)}")
    else:
        run = Path(args.out if args.action == "run" else args.run)
        kept, mark = run / "config.toml", run / "config.sha256"
        if args.action == "run":
            config = read_config(args.config)
            builder_of(config)  # an unknown kind is refused before anything is kept
            started = (run / "state.json").exists()
            if started and kept.read_text() != Path(args.config).read_text():
                raise FileFormatError(f"{run} holds a run of another config; use "
                                      f"`resume {run}` or another --out")
            run.mkdir(parents=True, exist_ok=True)
            if not started:  # nothing done yet: a corrected config may replace the kept one
                shutil.copyfile(args.config, kept)
                mark.write_text(fingerprint(config))
        elif not kept.exists():
            raise FileFormatError(f"{run}: no config.toml, not an EELT run folder")
        config = read_config(kept)
        if mark.exists() and mark.read_text() != fingerprint(config):
            raise FileFormatError(f"{kept} was edited beyond [eelt] iterations and final "
                                  "since the run started: the models and labels already made "
                                  "would not match it; start a new run folder")
        run_config(config, run)
        print(status_table(run))
    return 0


def fingerprint(config):
    """A hash of the config without [eelt] iterations and final and [train] device (the
    keys a run may change)."""
    import hashlib
    import json

    c = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    for key in ("iterations", "final"):
        c.get("eelt", {}).pop(key, None)
    c.get("train", {}).pop("device", None)  # where it trains changes nothing it makes
    return hashlib.sha256(json.dumps(c, sort_keys=True).encode()).hexdigest()
