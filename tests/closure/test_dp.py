"""The smooth Deep Potential (`closure.dp`): symmetries to round-off, forces as the exact
gradient, the C2 switch, neighbour-list errors, the ASE calculator, the compressed model."""

import numpy as np
import pytest
import torch

from boltzmann.errors import InputError
from closure.dp import DeepPot, NeighborOverflowError, neighbor_list, switch
from closure.dp.compress import quintic_coefficients
from closure.dp.train import TrainConfig, fit

RCUT, RSMTH = 4.0, 1.0


def small_model(seed=0):
    torch.manual_seed(seed)
    m = DeepPot(["O", "H"], rcut=RCUT, rcut_smth=RSMTH, sel=(12, 24), embed=(8, 16), axis=4,
                fit=(16, 16))
    with torch.no_grad():  # a non-trivial normalisation and bias
        m.davg[:, 0] = torch.tensor([0.3, 0.4])
        m.dstd[:] = torch.tensor([[0.5, 0.4, 0.4, 0.4], [0.6, 0.3, 0.3, 0.3]])
        m.bias[:] = torch.tensor([-2.0, -0.5])
    return m


def frame(seed=1, n=12, box=6.0):
    rng = np.random.default_rng(seed)
    # a jittered lattice keeps atoms apart (no r -> 0)
    g = np.stack(np.meshgrid(*[np.arange(3)] * 3, indexing="ij"), -1).reshape(-1, 3)[:n]
    pos = (g + 0.5) * box / 3 + rng.uniform(-0.4, 0.4, (n, 3))
    types = np.array([0, 1, 1] * (n // 3))
    return pos, types, np.eye(3) * box


def rotation(seed=2):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((3, 3)))
    return q * np.sign(np.linalg.det(q))


def test_invariances_and_equivariance_to_round_off():
    m = small_model()
    pos, types, cell = frame()
    E, F = m.evaluate(pos, types, cell)
    # translation (and wrapping an atom by a lattice vector)
    moved = pos + np.array([0.37, -1.2, 2.9])
    moved[3] += cell[1]
    Et, Ft = m.evaluate(moved, types, cell)
    # rotation of positions and cell together
    Q = rotation()
    Er, Fr = m.evaluate(pos @ Q.T, types, cell @ Q.T)
    # permutation of same-type atoms (and of the atom order overall)
    perm = np.random.default_rng(3).permutation(len(pos))
    Ep, Fp = m.evaluate(pos[perm], types[perm], cell)
    for e in (Et, Er, Ep):
        assert abs(e - E) < 1e-12 * max(1.0, abs(E))
    np.testing.assert_allclose(Ft, F, atol=1e-12)
    np.testing.assert_allclose(Fr, F @ Q.T, atol=1e-12)
    np.testing.assert_allclose(Fp, F[perm], atol=1e-12)
    assert abs(F.sum(axis=0)).max() < 1e-12  # no net force on a periodic system


def test_forces_are_minus_the_energy_gradient():
    m = small_model()
    pos, types, cell = frame()
    _, F = m.evaluate(pos, types, cell)
    h = 1e-5
    for i, k in ((0, 0), (4, 1), (7, 2)):
        p, q = pos.copy(), pos.copy()
        p[i, k] += h
        q[i, k] -= h
        fd = -(m.evaluate(p, types, cell)[0] - m.evaluate(q, types, cell)[0]) / (2 * h)
        assert abs(fd - F[i, k]) < 1e-7 * max(1.0, abs(F[i, k])), (i, k, fd, F[i, k])


def test_switch_is_c2_at_both_ends():
    """s, s' and s'' jump by O(h) or less across rcut_smth and rcut (a C1 switch would
    jump in s'')."""
    h = 1e-4
    for r0 in (RSMTH, RCUT):
        r = torch.tensor([r0 - 2 * h, r0 - h, r0, r0 + h, r0 + 2 * h], dtype=torch.float64)
        s = switch(r, RSMTH, RCUT).numpy()
        if r0 == RSMTH:  # compare with the unswitched 1/r there
            s = s - 1.0 / r.numpy()
        d1 = np.diff(s) / h
        d2 = np.diff(d1) / h
        assert abs(s[2]) < 1e-12
        assert np.abs(d1).max() < 1e-6
        assert np.abs(d2).max() < 1e-2


def test_neighbour_overflow_and_unknown_species_are_clear_errors():
    pos, types, cell = frame()
    with pytest.raises(NeighborOverflowError, match=r"atom \d+ has \d+ neighbours of type"):
        neighbor_list(pos, types, cell, RCUT, np.array([2, 2]))
    m = small_model()
    with pytest.raises(InputError, match=r"species \['Cu'\] not in the model's type map"):
        m.types_of(["O", "Cu"])
    with pytest.raises(InputError, match="atom types must lie in"):
        neighbor_list(pos, types + 1, cell, RCUT, np.array([12, 24]))


def test_an_isolated_molecule_has_no_periodic_images():
    """Without a cell a cluster is isolated: the same energy and forces as in a periodic box
    wider than 2 rcut, and a dimer's atoms see only each other (a first version placed
    cell-less atoms in a periodic unit cube)."""
    m = small_model()
    pos = np.array([[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]) + 5.0
    types = np.array([0, 1, 1])
    E, F = m.evaluate(pos, types, None)
    Eb, Fb = m.evaluate(pos, types, np.eye(3) * (2 * RCUT + 2.0))
    assert abs(E - Eb) < 1e-12
    np.testing.assert_allclose(F, Fb, atol=1e-12)
    nlist, _ = neighbor_list(pos[:2], np.array([0, 0]), None, RCUT, np.array([4, 4]))
    assert list((nlist >= 0).sum(axis=1)) == [1, 1]


def test_neighbour_list_matches_brute_force_with_images():
    pos, types, cell = frame(n=6, box=3.5)  # rcut > box: several images of one neighbour
    nlist, shifts = neighbor_list(pos, types, cell, RCUT, np.array([60, 120]))
    for i in range(len(pos)):
        found = sorted(np.linalg.norm(pos[j] + s - pos[i])
                       for j, s in zip(nlist[i], shifts[i]) if j >= 0)
        want = []
        for j in range(len(pos)):
            for n in np.ndindex(5, 5, 5):
                d = np.linalg.norm(pos[j] + (np.array(n) - 2) @ cell - pos[i])
                if 0 < d < RCUT:
                    want.append(d)
        np.testing.assert_allclose(found, sorted(want), atol=1e-12)


@pytest.mark.parametrize("compressed", [False, True])
def test_ase_calculator_and_nve_energy_conservation(compressed):
    """The calculator returns the model's energy and forces; NVE velocity Verlet with the
    smooth model (and with its compressed tables, C2 by construction) conserves the total
    energy, its error falling as dt^2 (second order).  This caught a jump of the energy when
    a neighbour left the cut-off (empty slots masked after normalisation): the drift was then
    1e-3 eV whatever dt."""
    from ase import Atoms, units
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution
    from ase.md.verlet import VelocityVerlet

    from closure.dp.ase_calculator import DPCalculator

    m = small_model()
    with torch.no_grad():  # forces of 0.1-1 eV/Angstrom
        for net in m.fitting:
            net.out.weight.mul_(30.0)
    pos, types, cell = frame()
    if compressed:
        m.compress(r_min=0.5)
    E, F = m.evaluate(pos, types, cell)
    assert 0.1 < np.abs(F).max() < 1.0

    def drift(dt, steps):
        atoms = Atoms([m.type_map[t] for t in types], positions=pos, cell=cell, pbc=True)
        atoms.calc = DPCalculator(m)
        MaxwellBoltzmannDistribution(atoms, temperature_K=300.0, rng=np.random.default_rng(5))
        e0 = atoms.get_total_energy()
        VelocityVerlet(atoms, timestep=dt * units.fs).run(steps)
        return abs(atoms.get_total_energy() - e0), atoms

    coarse, atoms = drift(0.5, 40)
    fine, _ = drift(0.25, 80)
    assert coarse < 1e-4  # eV, for 12 atoms over 20 fs
    assert 3.5 < coarse / fine < 4.5
    fresh = atoms.copy()
    fresh.calc = DPCalculator(m)
    e, f = m.evaluate(fresh.positions, types, cell)
    assert abs(fresh.get_potential_energy() - e) < 1e-12
    np.testing.assert_allclose(fresh.get_forces(), f, atol=1e-12)


def emt_frames(n, seed):
    from ase.build import bulk

    from closure.dp.labelers import EMTLabeler

    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(n):
        a = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 2, 2))
        a.positions += rng.normal(0.0, 0.08, a.positions.shape)
        configs.append(a)
    frames, failed = EMTLabeler().label(configs, ["Cu"])
    assert not failed
    return frames


def test_training_on_emt_labels_lowers_the_error_and_round_trips(tmp_path):
    """A small model on rattled fcc Cu (32 atoms, EMT labels): the validation force RMSE
    falls at least 3-fold from the untrained model; the model file round-trips and a
    corrupt one is refused."""
    from boltzmann.errors import FileFormatError
    from closure.dp.train import TrainConfig, fit, load, report, save

    train, val = emt_frames(12, 0), emt_frames(4, 1)
    torch.manual_seed(0)
    m = DeepPot(["Cu"], rcut=4.0, rcut_smth=2.0, sel=(30,), embed=(8, 16), axis=4,
                fit=(16, 16))
    m.set_statistics([(f["positions"], f["types"], f["cell"]) for f in train])
    before = report(m, val)["rmse_f"]
    rec = fit(m, train, val, TrainConfig(steps=300, validate_every=100, lr_start=3e-3))
    after = report(m, val)
    assert after["rmse_f"] < before / 3.0, (before, after)
    assert after["rmse_e_per_atom"] < 0.05, after
    assert rec["history"].shape == (3, 4)
    path = save(tmp_path / "dp.pt", m, labeler="emt")
    back, meta = load(path)
    f0 = val[0]
    np.testing.assert_array_equal(back.evaluate(f0["positions"], f0["types"], f0["cell"])[1],
                                  m.evaluate(f0["positions"], f0["types"], f0["cell"])[1])
    assert meta["type_map"] == ["Cu"] and meta["labeler"] == "emt"
    blob = open(path, "rb").read()
    (tmp_path / "bad.pt").write_bytes(blob[:100])
    with pytest.raises(FileFormatError):
        load(tmp_path / "bad.pt")


def test_a_failing_label_is_reported_and_the_rest_kept():
    from ase import Atoms

    from closure.dp.labelers import EMTLabeler

    good = emt_frames(1, 3)
    frames, failed = EMTLabeler().label(
        [Atoms("Cu2", positions=[[0, 0, 0], [2.5, 0, 0]]), Atoms("U", positions=[[0, 0, 0]])],
        ["Cu"])
    assert len(frames) == 1 and len(good) == 1
    assert failed and failed[0][0] == 1


def test_ensemble_deviation_and_trust_level_selection():
    from ase import Atoms

    from closure.dp.ase_calculator import DPCalculator
    from closure.dp.ensemble import DPEnsemble, max_force_deviation, select

    members = [small_model(seed) for seed in range(4)]
    ens = DPEnsemble(members)
    pos, types, cell = frame()
    e, f, devi = ens.evaluate(pos, types, cell)
    outs = [m.evaluate(pos, types, cell) for m in members]
    forces = np.stack([o[1] for o in outs])
    want = max(np.sqrt(np.mean([np.sum((forces[k, i] - forces[:, i].mean(0)) ** 2)
                                for k in range(4)])) for i in range(len(pos)))
    assert abs(devi - want) < 1e-15 and devi > 0
    assert abs(e - np.mean([o[0] for o in outs])) < 1e-12
    np.testing.assert_allclose(f, forces.mean(0), atol=1e-15)
    assert max_force_deviation(np.repeat(forces[:1], 3, axis=0)) < 1e-17  # identical models
    cats = select([0.01, 0.05, 0.0999, 0.1, 0.2, 0.35], 0.05, 0.3)
    assert list(cats) == ["accurate", "candidate", "candidate", "candidate", "candidate",
                          "failed"]
    with pytest.raises(ValueError, match="trust_lo"):
        select([0.1], 0.3, 0.2)
    atoms = Atoms([ens.type_map[t] for t in types], positions=pos, cell=cell, pbc=True)
    atoms.calc = DPCalculator(ens)
    atoms.get_potential_energy()
    assert abs(atoms.calc.results["max_devi_f"] - devi) < 1e-15


def test_a_tiny_eelt_run_grows_the_data_lowers_the_error_and_resumes(tmp_path):
    """DP-GEN style on Cu with EMT labels: two iterations add labeled frames, the ensemble of
    the last iteration has a smaller held-out force error than the first's, the log records
    the selection, and a second engine on the same folder resumes without redoing work."""
    from ase.build import bulk

    from closure.dp.eelt import (
        DeviationExaminer,
        DPTrainer,
        FrameStore,
        LabelerAdapter,
        MDExplorer,
    )
    from closure.dp.labelers import EMTLabeler
    from closure.dp.train import TrainConfig, report
    from closure.eelt import EELT, EELTConfig

    hyper = {"type_map": ["Cu"], "rcut": 4.0, "rcut_smth": 2.0, "sel": (30,),
             "embed": (8, 16), "axis": 4, "fit": (16, 16)}
    start = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 2, 2))
    parts = dict(
        trainer=DPTrainer(hyper, members=2, config=TrainConfig(steps=600, validate_every=200,
                                                               lr_start=3e-3)),
        explorer=MDExplorer([start], temperatures=[600.0, 900.0], steps=40, every=4),
        examiner=DeviationExaminer(), labeler=LabelerAdapter(EMTLabeler(), ["Cu"]),
        store=FrameStore(), run_dir=tmp_path / "run", initial=emt_frames(3, 0))
    cfg = EELTConfig(iterations=2, trust_lo=0.0, trust_hi=10.0, max_labels=6)
    eelt = EELT(**parts, config=cfg)
    log = eelt.run(progress=None)
    assert [e["labeled"] for e in log] == [6, 6]
    assert all(e["explored"] == 10 and e["candidate"] == 10 for e in log)
    assert len(eelt.records()) == 3 + 12
    from ase import units
    from ase.calculators.emt import EMT
    from ase.md.langevin import Langevin

    from closure.dp.train import load

    md = start.copy()  # held out: snapshots of EMT's own MD at the explored temperatures
    md.calc = EMT()
    dyn = Langevin(md, 1.0 * units.fs, temperature_K=900.0, friction=0.02,
                   rng=np.random.default_rng(11))
    snaps = []
    for _ in range(5):
        dyn.run(8)
        snaps.append(md.copy())
    held_out, _ = EMTLabeler().label(snaps, ["Cu"])

    first = report(load(tmp_path / "run" / "iter_000" / "model_0.pt")[0], held_out)
    last = report(load(tmp_path / "run" / "iter_001" / "model_0.pt")[0], held_out)
    assert last["rmse_f"] < first["rmse_f"], (first, last)
    assert last["rmse_e_per_atom"] < first["rmse_e_per_atom"], (first, last)
    again = EELT(**parts, config=cfg)
    assert again.run(progress=None) == log  # nothing left to do: no new training
    assert len(again.records()) == 15


def test_stress_is_the_strain_derivative_of_the_energy():
    """The calculator's stress equals ASE's finite-difference stress of the same model."""
    from ase import Atoms

    from closure.dp.ase_calculator import DPCalculator

    m = small_model()
    pos, types, cell = frame()
    cell = cell + np.array([[0.0, 0.3, 0.1], [0.2, 0.0, -0.1], [0.0, 0.1, 0.0]])  # triclinic
    atoms = Atoms([m.type_map[t] for t in types], positions=pos, cell=cell, pbc=True)
    atoms.calc = DPCalculator(m)
    stress = atoms.get_stress()
    numeric = atoms.calc.calculate_numerical_stress(atoms, d=1e-5)
    np.testing.assert_allclose(stress, numeric, atol=1e-9 + 1e-6 * np.abs(numeric).max())
    assert np.abs(stress).max() > 1e-6


@pytest.mark.parametrize("descriptor", ["raw", "local_frame"])
def test_baseline_descriptors_have_the_symmetries_they_claim(descriptor):
    """raw: translation and permutation invariant, not rotation invariant; local_frame: all
    three, to round-off (its lack is smoothness, `docs/deep_potential.md`)."""
    torch.manual_seed(0)
    m = DeepPot(["O", "H"], rcut=RCUT, rcut_smth=RSMTH, sel=(12, 24), embed=(8, 16),
                axis=4, fit=(16, 16), descriptor=descriptor)
    pos, types, cell = frame()
    E, F = m.evaluate(pos, types, cell)
    perm = np.random.default_rng(3).permutation(len(pos))
    assert abs(m.evaluate(pos[perm], types[perm], cell)[0] - E) < 1e-12
    assert abs(m.evaluate(pos + 0.37, types, cell)[0] - E) < 1e-12
    Q = rotation()
    rotated = abs(m.evaluate(pos @ Q.T, types, cell @ Q.T)[0] - E)
    assert (rotated < 1e-12) == (descriptor == "local_frame"), rotated
    h = 1e-5  # forces are the exact gradient away from reorderings
    p, q = pos.copy(), pos.copy()
    p[2, 1] += h
    q[2, 1] -= h
    fd = -(m.evaluate(p, types, cell)[0] - m.evaluate(q, types, cell)[0]) / (2 * h)
    assert abs(fd - F[2, 1]) < 1e-6 * max(1.0, abs(F[2, 1]))


def test_cell_list_finds_every_image_of_atoms_outside_a_triclinic_cell():
    rng = np.random.default_rng(7)
    cell = np.array([[4.1, 0.0, 0.0], [1.3, 3.6, 0.0], [-0.9, 0.7, 3.9]])
    n = 9
    pos = rng.uniform(0.0, 1.0, (n, 3)) @ cell
    pos += rng.integers(-3, 4, (n, 3)) @ cell  # unwrapped, as MD leaves them
    types = rng.integers(0, 2, n)
    nlist, shifts = neighbor_list(pos, types, cell, RCUT, np.array([200, 200]))
    for i in range(n):
        found = sorted(np.linalg.norm(pos[j] + s - pos[i])
                       for j, s in zip(nlist[i], shifts[i]) if j >= 0)
        want = [d for j in range(n) for k in np.ndindex(15, 15, 15)
                if 0 < (d := np.linalg.norm(pos[j] + (np.array(k) - 7) @ cell - pos[i])) < RCUT]
        np.testing.assert_allclose(found, sorted(want), atol=1e-10)


def test_quintic_pieces_converge_at_sixth_order():
    errors = []
    for h in (0.2, 0.1, 0.05):
        x = np.arange(0.0, 2.0 + h / 2, h)
        coef = quintic_coefficients(np.sin(x), np.cos(x), -np.sin(x), h)
        t = np.linspace(0.0, h, 7)
        p = sum(coef[:, k, None] * t**k for k in range(6))
        errors.append(np.abs(p - np.sin(x[:-1, None] + t)).max())
    order = np.log2(np.array(errors[:-1]) / errors[1:])
    assert np.all(order > 5.7), (errors, order)


def test_compressed_model_reproduces_energy_forces_and_virial():
    m = small_model()
    pos, types, cell = frame()
    E, F, V = m.evaluate(pos, types, cell, virial=True)
    m.compress(r_min=0.5, step=0.01)
    Ec, Fc, Vc = m.evaluate(pos, types, cell, virial=True)
    assert abs(Ec - E) < 1e-10 * abs(E)
    np.testing.assert_allclose(Fc, F, atol=1e-10 * np.abs(F).max())
    np.testing.assert_allclose(Vc, V, atol=1e-10 * np.abs(V).max())
    # the symmetries survive compression to round-off
    Q = rotation()
    Er, Fr = m.evaluate(pos @ Q.T, types, cell @ Q.T)
    assert abs(Er - Ec) < 1e-12 * abs(Ec)
    np.testing.assert_allclose(Fr, Fc @ Q.T, atol=1e-12)
    # a coarse table is visibly worse: the comparison above can fail
    Ecoarse = m.compress(r_min=0.5, step=0.5).evaluate(pos, types, cell)[0]
    assert abs(Ecoarse - E) > 100 * abs(Ec - E)
    m.decompress()
    assert m.evaluate(pos, types, cell)[0] == E


def test_compressed_model_refuses_close_neighbours_and_training():
    m = small_model().compress(r_min=1.5)
    pos, types, cell = frame()
    pos[1] = pos[0] + np.array([1.2, 0.0, 0.0])
    with pytest.raises(InputError, match="r_min"):
        m.evaluate(pos, types, cell)
    frames = [{"positions": pos, "types": types, "cell": cell, "energy": 0.0,
               "forces": np.zeros_like(pos)}]
    with pytest.raises(InputError, match="uncompressed"):
        fit(m, frames, frames, TrainConfig(steps=1))
    with pytest.raises(InputError, match="uncompressed"):
        m.load_state_dict(small_model().state_dict())
    with pytest.raises(InputError, match="r_min"):
        small_model().compress(r_min=10.0)
