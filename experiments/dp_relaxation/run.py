"""The seed's Figure 4 on real quantum-mechanical labels: DP vs DFT vs an empirical potential
along a relaxation path.  A Deep Potential ensemble for the water dimer is trained by the
EELT loop (DP-GEN style) with PySCF DFT labels; a distorted dimer is then relaxed with DFT
(BFGS), and DFT, the DP ensemble and SPC/Fw are compared along that path (energies relative
to the relaxed end point, and forces).

    python experiments/dp_relaxation/run.py [--config config.toml] [--out DIR]

Resumable: the EELT run and the DFT path are kept in the output folder (default
experiments/dp_relaxation/out).  Writes relaxation.md, relaxation.h5 and relaxation.png.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from ase import Atoms  # noqa: E402
from ase.optimize import BFGS  # noqa: E402

from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure.cli_eelt import status_table  # noqa: E402
from closure.dp.dpgen import build, labeler_of, structure  # noqa: E402
from closure.dp.eelt import FrameStore  # noqa: E402
from closure.dp.ensemble import DPEnsemble  # noqa: E402
from closure.dp.train import load  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from eelt_common import setup  # noqa: E402

sys.path.insert(0, str(HERE))
from spcfw import SPCFw  # noqa: E402


def distorted(system, path):
    """The s22 dimer with the acceptor rotated about the O-O axis, the donor's bridging O-H
    stretched and the molecules pushed to the given O-O distance."""
    a = structure(system["structure"])
    o1, o2 = a.positions[0].copy(), a.positions[3].copy()
    axis = (o2 - o1) / np.linalg.norm(o2 - o1)
    a.positions[3:] += (path["oo"] - np.linalg.norm(o2 - o1)) * axis
    acceptor = a[3:]
    acceptor.rotate(path["rotate"], axis, center=acceptor.positions[0])
    a.positions[3:] = acceptor.positions
    # the donor's H nearest the acceptor O is the bridging one
    h = 1 + int(np.argmin([a.get_distance(k, 3) for k in (1, 2)]))
    bond = a.positions[h] - a.positions[0]
    a.positions[h] += path["stretch_oh"] * bond / np.linalg.norm(bond)
    return a


def dft_path(system, path, folder):
    """Labeled frames of the DFT BFGS relaxation (kept in folder/path.h5)."""
    store, file = FrameStore(), folder / "path.h5"
    if file.exists():
        return store.load(file)
    atoms = distorted(system, path)
    labeler = labeler_of(system)
    atoms.calc = labeler.calculator()
    snaps = []
    opt = BFGS(atoms, logfile=None)
    opt.attach(lambda: snaps.append(atoms.copy()))
    opt.run(fmax=path["fmax"], steps=path["max_steps"])
    frames, failed = labeler.label(snaps, list(system["type_map"]))
    if failed:
        raise RuntimeError(f"DFT failed on the path: {failed}")
    store.save(file, frames)
    return frames


def main(argv=None):
    args, cfg = setup(__doc__, HERE, argv)
    run_dir = args.out / "run"
    log = build(cfg, run_dir).run()
    system = cfg["system"]
    frames = dft_path(system, cfg["path"], args.out)
    last = run_dir / f"iter_{log[-1]['iteration']:03d}"
    ens = DPEnsemble([load(p)[0] for p in sorted(last.glob("model_*.pt"))])
    symbols = [system["type_map"][t] for t in frames[0]["types"]]
    e_dft = np.array([f["energy"] for f in frames])
    f_dft = np.stack([f["forces"] for f in frames])
    dp = [ens.evaluate(f["positions"], f["types"], None, False) for f in frames]
    members = np.array([[m.evaluate(f["positions"], f["types"], None, False)[0]
                         for m in ens.models] for f in frames])
    e_dp, f_dp = np.array([d[0] for d in dp]), np.stack([d[1] for d in dp])
    e_ff, f_ff = [], []
    for f in frames:
        a = Atoms(symbols, positions=f["positions"])
        a.calc = SPCFw()
        e_ff.append(a.get_potential_energy())
        f_ff.append(a.get_forces())
    e_ff, f_ff = np.array(e_ff), np.stack(f_ff)

    def rel(e):
        return (e - e[-1]) * 1e3  # meV, relative to the relaxed end

    def rmse(a, b):
        return float(np.sqrt(np.mean((a - b) ** 2)))

    rows = {"DP (EELT, PySCF labels)": (e_dp, f_dp), "SPC/Fw (empirical)": (e_ff, f_ff)}
    table = ["| model | RMSE of relative energy (meV) | max error (meV) | force RMSE (eV/A) |",
             "|---|---|---|---|"]
    for name, (e, f) in rows.items():
        err = rel(e) - rel(e_dft)
        table.append(f"| {name} | {rmse(rel(e), rel(e_dft)):.1f} | {np.abs(err).max():.1f} | "
                     f"{rmse(f, f_dft):.3f} |")
    labeled = len(FrameStore().load(run_dir / "initial.h5")) + sum(e["labeled"] for e in log)
    text = (f"# DP vs DFT vs SPC/Fw along a DFT relaxation of the water dimer\n\n"
            f"Command: `.venv/bin/python experiments/dp_relaxation/run.py`\n\n"
            f"DFT: PySCF {system['labeler_options']['xc'].upper()}/"
            f"{system['labeler_options']['basis']}; path: {len(frames)} BFGS steps from "
            f"the distorted dimer (DFT energy drop "
            f"{rel(e_dft)[0]:.0f} meV); DP: ensemble of {len(ens.models)} from the last "
            f"EELT iteration, trained on {labeled} DFT labels.\n\n" + "\n".join(table)
            + "\n\n## The EELT run\n\n" + status_table(run_dir) + "\n")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "relaxation.md").write_text(text)
    print(text)

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    step = np.arange(len(frames))
    ax1.plot(step, rel(e_dft), "ko-", label="DFT (PBE/6-31G*)")
    spread = (members - members[-1]).std(axis=1) * 1e3  # of the relative energies
    ax1.errorbar(step, rel(e_dp), yerr=spread, fmt="s--", color="tab:blue", capsize=2,
                 label="Deep Potential (ensemble mean, member std)")
    ax1.plot(step, rel(e_ff), "^:", color="tab:red", label="SPC/Fw")
    ax1.set_xlabel("BFGS step")
    ax1.set_ylabel("E - E(relaxed) (meV)")
    ax1.legend()
    ax1.grid(alpha=0.3)
    for name, (_, f), c in zip(rows, rows.values(), ("tab:blue", "tab:red")):
        ax2.semilogy(step, np.sqrt(((f - f_dft) ** 2).mean(axis=(1, 2))), "o-", color=c,
                     label=name)
    ax2.set_xlabel("BFGS step")
    ax2.set_ylabel("force RMSE against DFT (eV/Angstrom)")
    ax2.legend()
    ax2.grid(alpha=0.3, which="both")
    fig.suptitle("Water dimer relaxation: DP tracks DFT, the empirical potential does not")
    fig.tight_layout()
    fig.savefig(args.out / "relaxation.png", dpi=150)
    plt.close(fig)

    def fill(h5):
        h5.attrs.update({"config": args.config.read_text(), "labeler": "pyscf"})
        for name, arr, unit in (("energy_dft", e_dft, "eV"), ("energy_dp", e_dp, "eV"),
                                ("energy_dp_members", members, "eV"),
                                ("energy_spcfw", e_ff, "eV"), ("forces_dft", f_dft, "eV/A"),
                                ("forces_dp", f_dp, "eV/A"), ("forces_spcfw", f_ff, "eV/A"),
                                ("positions", np.stack([f["positions"] for f in frames]),
                                 "Angstrom")):
            write_dataset(h5, name, arr, unit)

    atomic_h5(args.out / "relaxation.h5", fill)


if __name__ == "__main__":
    main()
