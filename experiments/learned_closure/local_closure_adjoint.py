"""The local closures of `local_closure.py` trained a posteriori: on the shock profiles
themselves, through the shock ODE, with the gradient by the discrete adjoint
(`closure.nn.shock_fit`), instead of least squares on the local gradients.

`local_closure_calibrate.py` calibrated 10 coefficients of a smooth correction of the free
form with Powell's method and gained 7 % in the training objective; this trains every
weight.  The question: does a fit to the profiles of the training shocks (M = 1.5-4.5 and
6.5-10) carry over to the held-out band [5, 6]?

- free (default): per seed, the a-priori fit (least squares on the gradients, as in
  `local_closure.py`), then the a-posteriori training; the mean map of the seeds too;
- convex: the convex, invertible map of `closure.nn.local` (default: the a-priori map
  closure/models/local_apriori.pt) trained on a posteriori, so it stays usable in the
  finite-volume solver (`local_closure_fv.py --model out/local_adjoint.pt`); the shipped
  closure/models/local.pt is this run with --model-out closure/models/local.pt.

A-posteriori training: Adam on the summed squared profile errors of the training shocks
(rho, T, sigma_xx, q_x, relative L2 over |x| <= 15 lambda_1); a step after which a profile
fails is undone and the rate halved; the best iterate by the training loss is kept.

Run: .venv/bin/python experiments/learned_closure/local_closure_adjoint.py [--quick]
         [--form free|convex] [--iters N] [--lr RATE]
writes out/local_closure_adjoint{,_convex}.{md,png,h5} (and, convex, out/local_adjoint.pt).
"""

import argparse
import copy
import hashlib
import sys
import time
from pathlib import Path

import local_closure as lc
import numpy as np
import torch

import boltzmann as bz
from closure.metrics import NAMES, error_table
from closure.nn.local import LocalMap
from closure.nn.shock_fit import FreeMap, ShockCase, fit_gradients, loss_and_grad
from closure.systems.local import DEFAULT_MODEL

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from eelt_common import threads  # noqa: E402

APRIORI = DEFAULT_MODEL.parent / "local_apriori.pt"
TITLE = "The local closure trained a posteriori through the shock ODE"


def profile_loss(model, cases):
    """The summed profile loss of `cases` (no gradient)."""
    return sum(loss_and_grad(model.explicit, [], model.as_constitutive(), c)[0] for c in cases)


def train_posteriori(model, cases, iters, lr, log):
    """Adam on the summed profile loss of `cases` (the model's `explicit` map, its
    `as_constitutive` for the ODE); a step after which a profile fails is undone and the
    rate halved.  Returns (best loss, the losses of the evaluated iterates); the model is
    left at its best evaluated iterate."""
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr)
    best, prev = (np.inf, None), None
    history = []
    for it in range(iters):
        try:
            total, grads = 0.0, [torch.zeros_like(p) for p in params]
            cmap = model.as_constitutive()
            for case in cases:
                L, g = loss_and_grad(model.explicit, params, cmap, case)
                total += L
                grads = [a + b for a, b in zip(grads, g)]
        except (bz.SolutionError, ValueError, IndexError) as err:
            if prev is None:
                raise
            model.load_state_dict(prev[0])
            opt.load_state_dict(prev[1])
            for group in opt.param_groups:
                group["lr"] *= 0.5
            log(f"  iteration {it}: {str(err)[:80]}; last step undone, rate halved")
            continue
        history.append(total)
        if total < best[0]:
            best = (total, copy.deepcopy(model.state_dict()))
        prev = (copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict()))
        opt.zero_grad()
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
        if it % 10 == 0 or it == iters - 1:
            log(f"  iteration {it}: training loss {total:.4f}")
    model.load_state_dict(best[1])
    return best[0], history


def main(argv=None):
    ap = argparse.ArgumentParser(description=TITLE)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--quick", action="store_true", help="one seed, few iterations")
    ap.add_argument("--iters", type=int, default=None,
                    help="a-posteriori Adam steps (default: 200 free, 300 convex)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--form", choices=("free", "convex"), default="free",
                    help="free: four seeds of the free form, a priori then a posteriori; "
                    "convex: the convex map of --start (closure.nn.local) trained on")
    ap.add_argument("--start", type=Path, default=APRIORI,
                    help="convex: the map to start from (default: the a-priori map "
                    "closure/models/local_apriori.pt, from which the shipped local.pt is made)")
    ap.add_argument("--model-out", type=Path, default=HERE / "out" / "local_adjoint.pt",
                    help="convex: where the trained map goes")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = (0,) if args.quick else (0, 1, 2, 3)
    iters = 5 if args.quick else args.iters or (200 if args.form == "free" else 300)
    width, prior_iters = (32, 1500) if args.quick else (64, 4000)
    torch.set_num_threads(threads())

    def log(msg):
        print(msg, flush=True)

    t0 = time.perf_counter()
    ref = {m: lc.kinetic(m) for m in lc.TRAIN + lc.HELD_OUT}
    log(f"kinetic shocks: {time.perf_counter() - t0:.0f} s")
    data = {m: lc.pairs(ref[m]) for m in ref}
    fx = np.concatenate([data[m][0] for m in lc.TRAIN])
    gx = np.concatenate([data[m][1] for m in lc.TRAIN])
    cases = [ShockCase(m, ref[m].x, {k: ref[m][k] for k in NAMES}, lc.GAS, lc.PRANDTL,
                       lc.WINDOW_ERR) for m in lc.TRAIN]

    models, notes = {}, []
    if args.form == "convex":
        model = LocalMap.load(args.start)
        before = profile_loss(model, cases)
        log(f"{args.start.name}: profile loss {before:.4f}")
        models[f"convex, a priori ({args.start.name})"] = model.as_constitutive()
        t2 = time.perf_counter()
        after, history = train_posteriori(model, cases, iters, args.lr, log)
        notes.append(f"convex map from {args.start.name}: profile loss {before:.4f} -> "
                     f"{after:.4f} in {len(history)} steps, {time.perf_counter() - t2:.0f} s")
        log(notes[-1])
        models["convex, a posteriori"] = model.as_constitutive()
        start_sha = hashlib.sha256(args.start.read_bytes()).hexdigest()
        model.meta.update(
            posteriori={"start": args.start.name, "start_sha256": start_sha,
                        "iterations": len(history), "rate": args.lr, "loss_before": before,
                        "loss_after": after, "train_machs": list(lc.TRAIN)},
            apriori_command=model.meta.get("command"),
            command=f"python experiments/learned_closure/local_closure_adjoint.py --form convex "
                    f"--start {args.start} --model-out {args.model_out} --iters {iters} "
                    f"--lr {args.lr:g}")
        model.save(args.model_out)
        log(f"wrote {args.model_out}")
    prior, post = [], []
    for seed in seeds if args.form == "free" else ():
        model = FreeMap(width, tuple(fx.std(0)))
        t1 = time.perf_counter()
        loss = fit_gradients(model, fx, gx, seed, prior_iters)
        prior.append(copy.deepcopy(model))
        t2 = time.perf_counter()
        before = profile_loss(model, cases)
        log(f"seed {seed}: a-priori loss {loss:.2e} ({t2 - t1:.0f} s), profile loss "
            f"{before:.4f}")
        after, history = train_posteriori(model, cases, iters, args.lr, log)
        post.append(model)
        notes.append(f"seed {seed}: profile loss {before:.4f} -> {after:.4f} in "
                     f"{len(history)} steps, {time.perf_counter() - t2:.0f} s")
        log(notes[-1])
    for label, group in (("a priori", prior), ("a posteriori", post)):
        for seed, m in zip(seeds, group):
            models[f"{label}, seed {seed}"] = m.as_constitutive()
        if len(group) > 1:
            models[f"{label}, mean of the seeds"] = lc.Mean([m.as_constitutive() for m in group])

    prior_note = (f"width {width}, {prior_iters} a-priori Adam steps, then"
                  if args.form == "free" else "from the a-priori fit of the start map,")
    lines = [f"# {TITLE}", "",
             f"Form: {args.form}.  Shakhov, omega = 0.5; trained on M = "
             f"{', '.join(map(str, lc.TRAIN))}; {prior_note} up to {iters} a-posteriori "
             f"steps (rate {args.lr:g}) on the summed squared profile errors "
             f"({'; '.join(notes)}).  Relative L2 errors over |x| <= {lc.WINDOW_ERR:g} "
             "lambda_1 (`closure.metrics`).", ""]
    profiles = {}
    for mach in lc.HELD_OUT + (3.0, 8.0):
        rows = lc.shock_rows(mach, ref[mach], models, profiles)
        held = "held out" if mach in lc.HELD_OUT else "trained on"
        lines += [f"## M = {mach} ({held})", "", error_table(rows), ""]
        log("\n".join(lines[-4:]))
    lines.append(f"Total {time.perf_counter() - t0:.0f} s.")
    name = "local_closure_adjoint" + ("_convex" if args.form == "convex" else "")
    (args.out / f"{name}.md").write_text("\n".join(lines) + "\n")
    lc.plot_profiles(ref[5.5], {label: prof for (m, label), prof in profiles.items()
                             if m == 5.5 and "seed " not in label},
                  "Mach 5.5 shock (held out): local closure, a priori and a posteriori",
                  args.out / f"{name}.png")

    lc.write_profiles(args.out / f"{name}.h5", profiles, "shock profiles of the local closure, "
                   "a priori and trained a posteriori through the shock ODE")
    log(f"total {time.perf_counter() - t0:.0f} s; wrote {args.out}/{name}.*")


if __name__ == "__main__":
    main()
