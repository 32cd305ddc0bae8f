"""Training of a DeepPot on labeled frames: energy + force (+ virial) loss with prefactors that move
with the learning rate, exponential learning-rate decay, validation with the best weights
kept, and a `dp test`-like report [prefactor schedule of DeePMD-kit v2, Zeng et al.,
J. Chem. Phys. 159, 054801 (2023): pref(t) = limit + (start - limit) lr(t) / lr(0)].

A frame is a dict: positions (nat, 3) Angstrom, types (nat,), cell (3, 3) or None, energy
(eV), forces (nat, 3) eV/Angstrom, and optionally virial (3, 3) eV (= -V stress).

    loss = pref_e (dE/N)^2 + pref_f <|dF|^2>_components + pref_v <(dW/N)^2>_components,

the virial term only on frames that carry a virial (DeePMD-kit's has_virial).  The prefactor
schedule is DeePMD-kit's; its energy and virial terms are (dE)^2 / N, here (dE/N)^2, so the
same prefactors weigh energies N times less here.
"""

import copy
import os
import time
from dataclasses import dataclass

import numpy as np
import torch

from boltzmann.io import atomic_file

from ..nn.modelfile import load_model, save_model
from .model import DeepPot

KIND = "deep_potential"


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2000
    lr_start: float = 1e-3
    lr_stop: float = 1e-5
    pref_e: tuple = (0.02, 1.0)     # (start, limit), per-atom energy
    pref_f: tuple = (1000.0, 1.0)   # (start, limit), force components
    pref_v: tuple = (0.0, 0.0)      # (start, limit), virial per atom; off by default
    validate_every: int = 100
    seed: int = 0


def _prepared(model, frames):
    out = []
    for f in frames:
        nlist, shifts = model.neighbors(f["positions"], f["types"], f.get("cell"))
        virial = f.get("virial")
        out.append((torch.as_tensor(f["positions"], dtype=torch.float64),
                    torch.as_tensor(f["types"]), torch.as_tensor(nlist),
                    torch.as_tensor(shifts), float(f["energy"]),
                    torch.as_tensor(f["forces"], dtype=torch.float64),
                    None if virial is None else torch.as_tensor(virial, dtype=torch.float64)))
    return out


def _predict(model, pos, types, nlist, shifts, create_graph, virial=False):
    """Energy, forces and (with `virial`) -dE/d(strain), the strain applied to positions and
    image shifts together as in DeepPot.evaluate."""
    pos = pos.clone().requires_grad_(True)
    strain = torch.zeros(3, 3, dtype=pos.dtype, requires_grad=virial)
    deform = torch.eye(3, dtype=pos.dtype) + strain
    energy = model.atomic_energies(pos @ deform, types, nlist, shifts @ deform).sum()
    if not virial:
        (grad,) = torch.autograd.grad(energy, pos, create_graph=create_graph)
        return energy, -grad, None
    grad, dstrain = torch.autograd.grad(energy, (pos, strain), create_graph=create_graph)
    return energy, -grad, -dstrain


def report(model, frames):
    """RMSE of the energy per atom (eV), of the force components (eV/Angstrom) and, over
    the frames that carry one, of the virial components per atom (eV; NaN when none)."""
    return _report(model, _prepared(model, frames))


def _report(model, prepared):
    de, df, dv, nf = [], [], [], 0
    for pos, types, nlist, shifts, e, f, v in prepared:
        energy, forces, vir = _predict(model, pos, types, nlist, shifts, False, v is not None)
        de.append((float(energy.detach()) - e) / len(pos))
        df.append(float(((forces - f) ** 2).sum()))
        nf += f.numel()
        if v is not None:
            dv.append(((vir.detach() - v) / len(pos)).pow(2).mean().item())
    return {"rmse_e_per_atom": float(np.sqrt(np.mean(np.square(de)))),
            "rmse_f": float(np.sqrt(sum(df) / nf)),
            "rmse_v_per_atom": float(np.sqrt(np.mean(dv))) if dv else float("nan")}


def fit(model: DeepPot, train, val, config=TrainConfig(), checkpoint=None):
    """Train in place on frames (one frame a step, shuffled); returns the record with the
    validation history.  Sets the descriptor statistics and energy bias from `train` first.
    With a `checkpoint` path the state (weights, optimiser, step, best weights, history,
    frame order) is written atomically at every validation, and a later call with the same
    path, frames and config continues from it, ending where an uninterrupted run ends."""
    model._uncompressed("training")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model.set_statistics([(f["positions"], f["types"], f.get("cell")) for f in train])
    nt = len(model.type_map)
    counts = [np.bincount(f["types"], minlength=nt) for f in train]
    data, val_data = _prepared(model, train), _prepared(model, val)
    with torch.no_grad():  # the bias takes what the untrained networks leave
        model.bias.zero_()
        net = [float(model.atomic_energies(*d[:4]).sum()) for d in data]
    model.set_energy_bias(counts, [f["energy"] - e for f, e in zip(train, net)])
    opt = torch.optim.Adam(model.parameters(), lr=config.lr_start)
    decay = (config.lr_stop / config.lr_start) ** (1.0 / max(config.steps, 1))
    best, best_state, history = np.inf, None, []
    t0 = time.perf_counter()
    order, start = [], 0
    if checkpoint is not None and os.path.exists(checkpoint):
        ck = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start, best, best_state = ck["step"], ck["best"], ck["best_state"]
        history, order = ck["history"], ck["order"]
        rng.bit_generator.state = ck["rng"]
    for step in range(start, config.steps):
        if not order:
            order = list(rng.permutation(len(data)))
        pos, types, nlist, shifts, e, f, v = data[order.pop()]
        lr = config.lr_start * decay**step
        for group in opt.param_groups:
            group["lr"] = lr
        w = lr / config.lr_start
        pe = config.pref_e[1] + (config.pref_e[0] - config.pref_e[1]) * w
        pf = config.pref_f[1] + (config.pref_f[0] - config.pref_f[1]) * w
        pv = config.pref_v[1] + (config.pref_v[0] - config.pref_v[1]) * w
        use_v = v is not None and max(config.pref_v) > 0.0
        opt.zero_grad()
        energy, forces, vir = _predict(model, pos, types, nlist, shifts, True, use_v)
        loss = pe * ((energy - e) / len(pos)) ** 2 + pf * ((forces - f) ** 2).mean()
        if use_v:
            loss = loss + pv * ((vir - v) / len(pos)).pow(2).mean()
        loss.backward()
        opt.step()
        if (step + 1) % config.validate_every == 0 or step + 1 == config.steps:
            r = _report(model, val_data)
            history.append((step + 1, lr, r["rmse_e_per_atom"], r["rmse_f"]))
            score = r["rmse_f"] + r["rmse_e_per_atom"]
            if max(config.pref_v) > 0.0 and np.isfinite(r["rmse_v_per_atom"]):
                score += r["rmse_v_per_atom"]
            if score < best:
                best, best_state = score, copy.deepcopy(model.state_dict())
            if checkpoint is not None:
                state = {"model": model.state_dict(), "optimizer": opt.state_dict(),
                         "step": step + 1, "best": best, "best_state": best_state,
                         "history": history, "order": order, "rng": rng.bit_generator.state}
                atomic_file(checkpoint, lambda tmp, s=state: torch.save(s, tmp), ".pt")
    if best_state is not None:
        model.load_state_dict(best_state)
    # forces do not see a constant per type: refit the bias on what the energies miss
    # (DeePMD-kit's change-bias), which a small energy prefactor leaves drifting
    with torch.no_grad():
        pred = [float(model.atomic_energies(*d[:4]).sum()) for d in data]
    shift, *_ = np.linalg.lstsq(np.asarray(counts, float),
                                np.array([f["energy"] for f in train]) - pred, rcond=None)
    with torch.no_grad():
        model.bias.add_(torch.as_tensor(shift))
    return {"history": np.array(history), "seconds": time.perf_counter() - t0}


def hyper(model):
    return {"type_map": model.type_map, "rcut": model.rcut, "rcut_smth": model.rcut_smth,
            "sel": model.sel.tolist(), "axis": model.axis,
            "embed": [la.out_features for la in model.embedding[0].layers],
            "fit": [la.out_features for la in model.fitting[0].layers],
            "descriptor": model.descriptor}


def save(path, model, **meta):
    return save_model(path, model, {"kind": KIND, **hyper(model), "units": "Angstrom, eV",
                                    **meta})


def load(path):
    """A DeepPot from a model file (FileFormatError when foreign, corrupt or of another
    kind)."""
    meta, state = load_model(path, KIND)
    model = DeepPot(meta["type_map"], meta["rcut"], meta["rcut_smth"], meta["sel"],
                    meta["embed"], meta["axis"], meta["fit"], meta.get("descriptor", "se_e2_a"))
    model.load_state_dict(state)
    return model, meta
