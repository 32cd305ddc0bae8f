"""Speed of our Deep Potential (closure.dp.model.DeepPot, PyTorch) against DeePMD-kit's own CPU
inference of a model of the same size.

What is compared, in one run:

- Model: DeepPot-SE (se_e2_a) with the network sizes of DeePMD-kit's water and copper
  examples: rcut 6.0 Angstrom, rcut_smth 0.5, embedding net [25, 50, 100], axis_neuron 16,
  fitting net [240, 240, 240] (DeePMD-kit side with resnet_dt, which only adds a per-unit
  time step), one type (Cu), sel [138] on both sides (fcc Cu with a = 3.615 Angstrom has 134
  neighbours within 6 Angstrom).  Both have the same 506,611 network parameters (checked on
  the DeePMD-kit side from the frozen graph).  Weights do not matter for speed: ours are
  random (seed 0) with descriptor statistics from the benchmark frames; DeePMD-kit's model is
  trained for 10 steps on EMT data (setup_deepmd.sh).
- Systems: fcc Cu, cubic cells of a = 3.615 Angstrom repeated 3x3x3, 4x4x4 and 5x5x5 (108,
  256, 500 atoms), periodic, positions rattled by a normal 0.05 Angstrom (ASE, seeded); the
  same coordinates go to both codes.
- Ours: `DeepPot.evaluate(positions, types, cell)` -> energy and forces, float64, its numba
  neighbour list included; median (and minimum) of --repeats calls after --warmup calls,
  torch.set_num_threads(--threads, default 2).  The same call is also split into neighbour
  list, forward (environment matrix, embedding, descriptor, fitting) and backward (autograd
  of the energy), each timed on its own (medians; they need not add up exactly to the
  total).  Both sides are timed in --rounds alternating rounds (ours, DeePMD-kit, ours, ...)
  and each side's best median per system counts, against bursts of other load.
- Ours compressed: the same weights after `DeepPot.compress(r_min=1.0)` (embedding nets
  tabulated as quintic pieces and fused with the contraction, `closure.dp.compress`), timed
  the same way; its largest force difference from the network, relative to the largest
  force, is printed beside it (accuracy and speed from one run).  --profile
  prints torch.profiler's top operators for the largest system.
- DeePMD-kit: `deepmd.infer.DeepPot(frozen_model.pb).eval(coords, cells, atom_types)`
  (TensorFlow backend, CPU, its C++ neighbour list and environment/force operators; eval also
  returns the virial, which ours skips), timed the same way by deepmd_worker.py, run with the
  python of DeePMD-kit's own virtual environment (it pins another numpy/TensorFlow stack) in a
  subprocess with OMP_NUM_THREADS=2, DP_INTRA_OP_PARALLELISM_THREADS=2 (--threads),
  DP_INTER_OP_PARALLELISM_THREADS=1 (DeePMD-kit's documented variables).  The worker reports
  the model's float type (DeePMD-kit's default precision is float64, as ours).  If the
  compressed model (dp compress: tabulated embedding net, what DeePMD-kit recommends for
  production MD) exists it is timed too and shown as an extra column.
- Table: microseconds per atom per energy+force call, and ratio = DeePMD-kit time / our time
  (> 1: ours is faster).

The two codes run one after the other, never at the same time.  If the DeePMD-kit environment
or the frozen model is missing (create both with setup_deepmd.sh), that is said and only our
model is timed.  Before and after each round, one busy-loop process per core measures how many
CPUs were free (cpu_probe): on a shared 2-core machine another job can take one
core, and OpenMP's barriers (torch) then make 2-thread timings several times slower than
1-thread ones; compare --threads 1 in that case.

Usage::

    .venv/bin/python experiments/dp_benchmark/run.py [--threads 2] [--repeats 10] [--warmup 3]
        [--rounds 2] [--profile] [--deepmd-venv /work/deepmd-venv]
        [--scratch /work/deepmd-scratch]

The table is printed and written to experiments/dp_benchmark/out/dp_speed.md
(dp_speed_threadsN.md for --threads N other than 2; out/ is git-ignored: copy the printed
table into the docs).
"""

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import torch
from ase.build import bulk

from closure.dp.model import DeepPot

HERE = Path(__file__).resolve().parent
SPIN = """
import time
t0, c0 = time.perf_counter(), time.process_time()
while time.perf_counter() - t0 < {seconds}:
    sum(range(10000))
print(time.process_time() - c0, time.perf_counter() - t0)
"""
A_CU = 3.615
REPEATS = (3, 4, 5)
R_MIN = 1.0  # Angstrom: the compressed tables cover neighbours from here to rcut
NET = dict(type_map=["Cu"], rcut=6.0, rcut_smth=0.5, sel=(138,), embed=[25, 50, 100],
           axis=16, fit=[240, 240, 240], descriptor="se_e2_a")


def systems(rattle=0.05):
    """[(positions (nat, 3), types (nat,), cell (3, 3))] of rattled fcc Cu cells."""
    out = []
    for k, n in enumerate(REPEATS):
        atoms = bulk("Cu", "fcc", a=A_CU, cubic=True).repeat((n, n, n))
        atoms.rattle(stdev=rattle, seed=k)
        out.append((atoms.positions.copy(), np.zeros(len(atoms), dtype=np.int64),
                    atoms.cell.array.copy()))
    return out


def timed(fn, repeats, warmup):
    """(median, min) wall seconds of fn() over repeats calls after warmup calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.min(times))


def split_timings(model, pos_np, types_np, cell, repeats, warmup):
    """Median seconds of the three stages of DeepPot.evaluate (as it does them, no virial)."""
    eye = torch.eye(3, dtype=torch.float64)
    types = torch.as_tensor(types_np)
    nlist, shifts = model.neighbors(pos_np, types_np, cell)
    nl, sh = torch.as_tensor(nlist), torch.as_tensor(shifts)

    def forward():
        pos = torch.tensor(pos_np, dtype=torch.float64, requires_grad=True)
        return pos, model.atomic_energies(pos @ eye, types, nl, sh @ eye).sum()

    def backward():
        pos, energy = forward()
        t0 = time.perf_counter()
        torch.autograd.grad(energy, pos)
        return time.perf_counter() - t0

    t_nl = timed(lambda: model.neighbors(pos_np, types_np, cell), repeats, warmup)[0]
    t_fw = timed(forward, repeats, warmup)[0]
    for _ in range(warmup):
        backward()
    t_bw = float(np.median([backward() for _ in range(repeats)]))
    return {"nlist_s": t_nl, "forward_s": t_fw, "backward_s": t_bw}


def time_ours(frames, repeats, warmup, profile, compress=False):
    """Timings of our model; with `compress` of the same weights tabulated
    (DeepPot.compress(r_min=R_MIN)), whose largest force difference from the network itself,
    relative to the largest force, is recorded per system as `force_rel_diff`."""
    torch.manual_seed(0)
    model = DeepPot(**NET)
    model.set_statistics(frames)
    nparam = sum(p.numel() for p in model.parameters())
    reference = [model.evaluate(*f)[1] for f in frames] if compress else None
    if compress:
        model.compress(r_min=R_MIN)
    rows = []
    for k, (pos, types, cell) in enumerate(frames):
        med, best = timed(lambda p=pos, t=types, c=cell: model.evaluate(p, t, c),
                          repeats, warmup)
        energy, forces = model.evaluate(pos, types, cell)
        assert forces.shape == pos.shape and np.isfinite(energy)
        row = {"natoms": len(types), "median_s": med, "min_s": best}
        if compress:
            row["force_rel_diff"] = float(np.abs(forces - reference[k]).max()
                                          / np.abs(reference[k]).max())
        row.update(split_timings(model, pos, types, cell, repeats, warmup))
        rows.append(row)
    if profile:
        pos, types, cell = frames[-1]
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(3):
                model.evaluate(pos, types, cell)
        print(f"\ntorch.profiler, 3 x evaluate of {len(types)} atoms (self CPU time"
              f"{', compressed' if compress else ''}):")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
    return {"nparam": nparam, "dtype": str(next(model.parameters()).dtype), "rows": rows}


def time_deepmd(frames, repeats, warmup, threads, venv, scratch):
    """The worker's JSON, or (None, reason) when DeePMD-kit cannot be timed."""
    python = Path(venv) / "bin" / "python"
    if not python.exists():
        return None, (f"DeePMD-kit environment missing ({python} not found): run "
                      f"experiments/dp_benchmark/setup_deepmd.sh")
    models = [Path(scratch) / "frozen_model.pb", Path(scratch) / "frozen_model_compressed.pb"]
    if not models[0].exists():
        return None, (f"frozen DeePMD-kit model missing ({models[0]} not found): run "
                      f"experiments/dp_benchmark/setup_deepmd.sh")
    models = [m for m in models if m.exists()]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               DP_INTRA_OP_PARALLELISM_THREADS=str(threads),
               DP_INTER_OP_PARALLELISM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    with tempfile.TemporaryDirectory() as tmp:
        arrays = {"repeats": np.full(len(frames), repeats), "warmup": np.array(warmup)}
        for k, (pos, types, cell) in enumerate(frames):
            arrays.update({f"pos_{k}": pos, f"types_{k}": types, f"cell_{k}": cell})
        np.savez(Path(tmp) / "systems.npz", **arrays)
        out = Path(tmp) / "deepmd.json"
        cmd = [str(python), str(HERE / "deepmd_worker.py"), str(Path(tmp) / "systems.npz"),
               str(out)] + [str(m) for m in models]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not out.exists():
            return None, (f"DeePMD-kit worker failed (exit {proc.returncode}):\n"
                          + proc.stderr[-3000:])
        return json.loads(out.read_text()), None


def best_of(old, new):
    """new, with each system's timings replaced by old's where old's median was lower
    (results of time_ours, or each model of time_deepmd's)."""
    if old is None:
        return new
    lists = [(old["rows"], new["rows"])] if "rows" in new else [
        (old["models"][m]["times"], new["models"][m]["times"]) for m in new["models"]]
    for old_rows, new_rows in lists:
        for k, (o, n) in enumerate(zip(old_rows, new_rows)):
            if o["median_s"] < n["median_s"]:
                new_rows[k] = o
    return new


def table(ours, packed, dp):
    """Markdown table lines: our network and our compressed model against DeePMD-kit's
    frozen model (and its compressed one, where timed)."""
    models = list(dp["models"].values()) if dp else []
    head = ["atoms", "ours us/atom", "ours compressed us/atom"]
    head += ["DeePMD-kit us/atom", "DeePMD-kit compressed us/atom"][:max(len(models), 1)]
    head += ["DeePMD / ours", "DeePMD / ours compressed"]
    if len(models) > 1:
        head += ["DeePMD compressed / ours compressed"]
    head += ["ours compressed: nlist / forward / backward ms", "compressed force rel. diff"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, (row, crow) in enumerate(zip(ours["rows"], packed["rows"])):
        n = row["natoms"]
        cells = [str(n), f"{1e6 * row['median_s'] / n:.1f}", f"{1e6 * crow['median_s'] / n:.1f}"]
        times = [m["times"][k]["median_s"] for m in models]
        cells += [f"{1e6 * t / n:.1f}" for t in times] or ["n/a"]
        if times:
            cells += [f"{times[0] / row['median_s']:.2f}", f"{times[0] / crow['median_s']:.2f}"]
            cells += [f"{times[1] / crow['median_s']:.2f}"] if len(times) > 1 else []
        else:
            cells += ["n/a", "n/a"]
        cells.append(f"{1e3 * crow['nlist_s']:.1f} / {1e3 * crow['forward_s']:.1f} / "
                     f"{1e3 * crow['backward_s']:.1f}")
        cells.append(f"{crow['force_rel_diff']:.1e}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def cpu_probe(nproc, seconds=1.0):
    """CPUs free now: nproc busy-loop processes at once, their CPU seconds over the wall
    seconds (about nproc on an idle machine; less when other work shares it)."""
    procs = [subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=seconds)],
                              stdout=subprocess.PIPE, text=True) for _ in range(nproc)]
    cpu, wall = 0.0, 0.0
    for p in procs:
        c, w = map(float, p.communicate()[0].split())
        cpu, wall = cpu + c, max(wall, w)
    return cpu / wall


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2,
                        help="threads of each side (torch; TensorFlow intra-op and OpenMP)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds of both sides; the best median of each counts")
    parser.add_argument("--profile", action="store_true",
                        help="torch.profiler top operators of our model, largest system")
    parser.add_argument("--deepmd-venv", default=os.environ.get("DEEPMD_VENV",
                                                                "/work/deepmd-venv"))
    parser.add_argument("--scratch", default=os.environ.get("DEEPMD_SCRATCH",
                                                            "/work/deepmd-scratch"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    command = " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv])

    frames = systems()
    free = [cpu_probe(os.cpu_count())]
    ours, packed, dp = None, None, None
    for r in range(args.rounds):  # ours, DeePMD-kit, ours, DeePMD-kit, ...
        ours = best_of(ours, time_ours(frames, args.repeats, args.warmup,
                                       args.profile and r == 0))
        packed = best_of(packed, time_ours(frames, args.repeats, args.warmup,
                                           args.profile and r == 0, compress=True))
        dp_r, why = time_deepmd(frames, args.repeats, args.warmup, args.threads,
                                args.deepmd_venv, args.scratch)
        if dp_r:
            dp = best_of(dp, dp_r)
        free.append(cpu_probe(os.cpu_count()))
        print(f"round {r + 1}/{args.rounds} done; CPUs free: {free[-1]:.2f}", flush=True)

    notes = [f"Command: `{command}`", "",
             f"CPU: {cpu_name()} ({os.cpu_count()} cores), {args.threads} threads each side; "
             f"CPUs free (of {os.cpu_count()}) before and after each round: "
             f"{', '.join(f'{x:.2f}' for x in free)} (fewer: other work shared the machine, "
             f"and multi-threaded timings suffer most).", "",
             f"Median of {args.repeats} energy+force calls after {args.warmup} warm-up calls, "
             f"best of {args.rounds} alternating rounds per side; fcc Cu, a = {A_CU} A, "
             f"rattled 0.05 A; se_e2_a, rcut 6.0, sel [138], embedding [25, 50, 100], axis 16, "
             f"fitting [240, 240, 240].", "",
             f"Ours: closure.dp.model.DeepPot, torch {torch.__version__}, {ours['dtype']}, "
             f"{ours['nparam']} parameters, neighbour list (numba) included; compressed: "
             f"DeepPot.compress(r_min={R_MIN}, step=0.01) of the same weights."]
    if dp:
        for path, m in dp["models"].items():
            notes.append(f"DeePMD-kit {dp['deepmd_version']} (TensorFlow "
                         f"{dp.get('tensorflow_version', '?')}, CPU, intra/inter threads "
                         f"{dp['nthreads_intra_inter']}): {Path(path).name}, weights "
                         f"{'/'.join(m.get('weights_dtype', ['?']))}, output "
                         f"{m.get('output_dtype', '?')}, {m.get('nparam', '?')} parameters, "
                         f"sum(sel) {m.get('nsel', '?')}.")
    else:
        notes.append(f"DeePMD-kit NOT timed: {why}")
    notes.append("")
    notes.append("ratio = DeePMD-kit time / our time (> 1: ours is faster); compressed force "
                 "rel. diff = max |F_compressed - F| / max |F| of our two models.")
    lines = table(ours, packed, dp)
    text = "\n".join(["# Deep Potential speed: ours vs DeePMD-kit (CPU)", ""] + notes
                     + [""] + lines) + "\n"
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    name = "dp_speed.md" if args.threads == 2 else f"dp_speed_threads{args.threads}.md"
    (out_dir / name).write_text(text)
    print()
    print(text)
    print(f"written to {out_dir / name}")


if __name__ == "__main__":
    main()
