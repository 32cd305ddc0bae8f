"""Concurrent learning of the moment closure from a few kinetic runs: the closure adapters
on the EELT engine (explore shock tubes with every member, examine their disagreement,
label with the kinetic solver, retrain)."""

import json

import numpy as np
import pytest

import boltzmann as bz
from closure.cli import main

TINY = """
kind = "closure"
[distribution]
mach = [1.2, 3.0]
kn = [0.01, 1.0]
[explore]
per_iteration = 3
nx = 40
fractions = [0.5, 1.0]
[label]
nx = 40
[train]
members = 2
epochs = 60
batch = 32
patience = 60
width = 16
[initial]
tubes = 3
[test]
tubes = [[2.0, 0.1]]
[eelt]
iterations = 2
trust_lo = 0.0
trust_hi = 1e4
max_labels = 2
final = true
"""


def run_tiny(tmp_path, text):
    """Run the tiny config `text` in tmp_path/run: (run folder, log); each of its two
    iterations labels two of three explored tubes."""
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(text)
    run = tmp_path / "run"
    assert main(["eelt", "run", str(cfg), "--out", str(run)]) == 0
    log = json.loads((run / "state.json").read_text())["log"]
    assert [e["trained_on"] for e in log] == [3, 5]
    assert all(e["labeled"] == 2 and e["explored"] == 3 for e in log)
    return run, log


def assert_disputed_picks_and_finite_errors(run, log, errors, no_solution):
    """Each iteration labeled its two most disputed tubes, every disagreement is finite,
    positive and below 1 (no rollout broke down), and every a-posteriori test error is
    finite and below the no-solution value, NSF's (errors(None, ...)) too."""
    from closure.nn.eelt import RunStore

    nsf = errors(None, RunStore().load(run / "test.h5"), 0.5)
    assert len(nsf) == 1 and 0.0 < nsf[0] < no_solution
    for e in log:
        assert sorted(e["selected"]) == sorted(np.argsort(e["deviations"])[-2:].tolist()), e
    devi = np.array([d for e in log for d in e["deviations"]])
    assert np.all((devi > 0) & (devi < 1.0)), devi
    assert all(0.0 < e["test"]["a_posteriori"] < no_solution for e in log), log


def test_tiny_closure_eelt_grows_the_data_and_lowers_the_test_error(tmp_path):
    """Two iterations from three random kinetic tubes (40 cells, Shakhov): each labels two
    of the three explored tubes, the a-priori test error on a held-out Mach 2 tube falls,
    the disagreement of the two members is positive for every explored tube (below 1, or
    DIVERGED where a member's rollout broke down), and the labeled runs are tubes of the
    label grid.  The final model, trained on all seven runs, installs as a model file;
    a run without one is refused."""
    from boltzmann.errors import FileFormatError
    from closure.cli_eelt import install
    from closure.nn.eelt import DIVERGED, RunStore
    from closure.nn.learned import LearnedClosure

    run, log = run_tiny(tmp_path, TINY)
    assert log[1]["test"]["a_priori"] < log[0]["test"]["a_priori"], log
    devi = np.array([d for e in log for d in e["deviations"]])
    assert np.all((devi > 0) & ((devi < 1.0) | (devi == DIVERGED))), devi
    runs = RunStore().load(run / "iter_000" / "labels.h5")
    p = runs[0].problem
    assert p.kind == "tube" and runs[0]["rho"].shape == (2, 40)
    state = json.loads((run / "state.json").read_text())
    assert state["final"]["trained_on"] == 7
    target = tmp_path / "installed.pt"
    assert main(["eelt", "install", str(run), "--to", str(target)]) == 0
    assert LearnedClosure.load(target).meta["trained_on"] == 7
    state.pop("final")
    (run / "state.json").write_text(json.dumps(state))
    with pytest.raises(FileFormatError, match="no final model"):
        install(run, tmp_path / "other.pt")
    assert main(["eelt", "install", str(run), "--to", str(tmp_path / "other.pt")]) == 2
    assert not (tmp_path / "other.pt").exists()


def test_distribution_and_store_refuse_bad_input(tmp_path):
    from boltzmann.errors import FileFormatError
    from closure.nn.closure_net import production_model
    from closure.nn.eelt import DIVERGED, KineticLabeler, RunStore, TubeDistribution, deviation

    with pytest.raises(ValueError, match="Mach"):
        TubeDistribution(mach=(0.8, 2.0))
    with pytest.raises(ValueError, match="Knudsen"):
        TubeDistribution(kn=(0.0, 1.0))
    assert deviation([np.ones((2, 4, 5)), None]) == DIVERGED
    # graded: a rollout broken down at its second of two snapshots loses half of them
    half = np.ones((2, 4, 5))
    half[1] = np.nan
    assert deviation([np.ones((2, 4, 5)), half]) == DIVERGED
    assert deviation([np.ones((2, 4, 5)), half], graded=True) == DIVERGED * 1.25
    assert deviation([None, half], graded=True) == DIVERGED * 1.75
    assert deviation([np.ones((2, 4, 5))] * 2, graded=True) == 0.0
    assert KineticLabeler("spectral").model == "spectral"  # the full Boltzmann labeler
    with pytest.raises(ValueError, match="not one of"):
        KineticLabeler("shakov")
    for bad in (0.0, "fine", None):
        with pytest.raises(ValueError, match="v_spacing"):
            KineticLabeler(v_spacing=bad)
    with pytest.raises(ValueError, match="spectral solver has a velocity box"):
        KineticLabeler("spectral", v_spacing=0.3)
    # the config's [label] v_spacing reaches the kinetic runs
    from closure.nn.eelt import labeler_from

    _, lab = labeler_from({"label": {"v_spacing": 0.3, "nx": 30}})
    spec = lab.spec({"name": "t", "mach": 2.0, "kn": 0.1})
    assert (spec.v_spacing, spec.nx, labeler_from({})[1].spec(
        {"name": "t", "mach": 2.0, "kn": 0.1}).v_spacing) == (0.3, 30, 0.6)
    # kept labels of another spacing (a config changed under test.h5) are refused
    from closure import data

    kept = tmp_path / "test.h5"
    RunStore().save(kept, [data.run_record(data.RunSpec(
        "t", bz.ShockTube.sod(kn=0.1, t_end=0.01), nx=20))])
    runs = RunStore().load(kept)
    KineticLabeler().check_labels(runs, kept)
    with pytest.raises(FileFormatError, match="test.h5: t was labeled with v_spacing 0.6"):
        lab.check_labels(runs, kept)
    # the closed system's production: exact for Boltzmann labels only for Maxwell molecules
    assert production_model("spectral", 1.0) == production_model("shakhov", 0.5) == "shakhov"
    for labels, omega in (("spectral", 0.5), ("esbgk", 0.5)):
        with pytest.raises(ValueError, match="no exact production"):
            production_model(labels, omega)
    (tmp_path / "bad.h5").write_bytes(b"not hdf5")
    with pytest.raises(FileFormatError, match="bad.h5"):
        RunStore().load(tmp_path / "bad.h5")
