"""The EELT / Deep Potential command line: run, status, resume, test, and clear refusals."""

import json

from closure.cli import main

TINY = """
kind = "dp"
[system]
labeler = "emt"
type_map = ["Cu"]
structure = {kind = "bulk", element = "Cu", a = 3.6, repeat = 1}
starts = 1
initial_frames = 4
[model]
rcut = 4.0
rcut_smth = 2.0
sel = [30]
embed = [4, 8]
axis = 4
fit = [8]
members = 2
[train]
steps = 20
validate_every = 10
[explore]
temperatures = [300.0]
pressures = [1000.0]
steps = 10
every = 5
[eelt]
iterations = 2
trust_lo = 0.0
trust_hi = 10.0
max_labels = 1
"""


def test_run_status_resume_and_test(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    run = tmp_path / "run"
    assert main(["eelt", "run", str(cfg), "--out", str(run)]) == 0
    state = json.loads((run / "state.json").read_text())
    assert [e["trained_on"] for e in state["log"]] == [4, 5]
    assert (run / "config.toml").read_text() == TINY
    capsys.readouterr()
    assert main(["dp", "status", str(run)]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 iterations done; 2 of 4 explored labeled (50.0%)" in out
    assert main(["eelt", "resume", str(run)]) == 0  # nothing left to do: nothing redone
    assert json.loads((run / "state.json").read_text())["log"] == state["log"]
    kept = (run / "config.toml").read_text()
    (run / "config.toml").write_text(kept.replace("steps = 20", "steps = 30"))
    assert main(["eelt", "resume", str(run)]) == 2  # edited beyond iterations: refused
    assert "edited beyond [eelt] iterations" in capsys.readouterr().err
    (run / "config.toml").write_text(kept)
    capsys.readouterr()
    assert main(["dp", "test", str(run / "iter_001" / "model_0.pt"),
                 str(run / "iter_000" / "labels.h5")]) == 0
    assert "force RMSE" in capsys.readouterr().out


def test_refusals_name_the_problem(tmp_path, capsys):
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.toml").write_text(TINY.replace("max_labels = 1", "max_labels = 2"))
    (run / "state.json").write_text('{"config": {}, "log": []}')  # a started run
    assert main(["eelt", "run", str(cfg), "--out", str(run)]) == 2
    assert "another config" in capsys.readouterr().err
    assert main(["eelt", "run", str(tmp_path / "missing.toml"), "--out", str(run)]) == 2
    assert "missing.toml" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[system\nlabeler = 'emt'")
    assert main(["eelt", "run", str(bad), "--out", str(tmp_path / "r2")]) == 2
    assert "not a readable TOML config" in capsys.readouterr().err
    assert main(["eelt", "status", str(tmp_path / "nowhere")]) == 2
    assert "not a readable EELT state" in capsys.readouterr().err
    assert main(["eelt", "resume", str(tmp_path)]) == 2
    assert "not an EELT run folder" in capsys.readouterr().err
    other = tmp_path / "other.toml"
    other.write_text(TINY.replace('kind = "dp"', 'kind = "spin_glass"'))
    assert main(["eelt", "run", str(other), "--out", str(tmp_path / "r3")]) == 2
    assert "config kind 'spin_glass'" in capsys.readouterr().err
