"""The non-local closure in the EELT loop (config kind "nonlocal_closure"): the model fitted
to every labeled snapshot, bootstrap members warm-started from it, each member's rollouts
explored alone, a-posteriori test errors, the ensemble file."""

import json
import re
from dataclasses import replace

import numpy as np
import pytest
from test_eelt_closure import TINY as CLOSURE_TINY
from test_eelt_closure import assert_disputed_picks_and_finite_errors, run_tiny

import boltzmann as bz
from boltzmann.errors import InputError
from closure.nn.eelt import RunStore
from closure.nonlocal_eelt import (
    NO_SOLUTION,
    NonlocalEnsemble,
    NonlocalExplorer,
    NonlocalTrainer,
    a_posteriori_errors,
)

TINY = re.sub(r"\[train\][^\[]*", "[train]\nmembers = 2\n",
              CLOSURE_TINY.replace('kind = "closure"', 'kind = "nonlocal_closure"')) \
    .replace("max_labels = 2", 'max_labels = 2\npick = "max"')


def test_tiny_nonlocal_closure_eelt(tmp_path):
    """Two iterations from three kinetic tubes (40 cells, Shakhov): each labels the two most
    disputed of three explored tubes; every member's rollout runs (no breakdown), so every
    disagreement is finite, positive and below 1; the test error is a posteriori, finite and
    below the no-solution value, and so is NSF's.  The members differ from the model (their
    bootstraps), the model file round-trips, a foreign file is refused, and a second
    training on the same records gives the same parameters."""
    run, log = run_tiny(tmp_path, TINY)
    assert_disputed_picks_and_finite_errors(run, log, a_posteriori_errors, NO_SOLUTION)

    path = run / "iter_001" / "nonlocal_ensemble.json"
    model = NonlocalEnsemble.load(path)
    assert model.meta["trained_on"] == 5 and len(model.members) == 2
    assert all(m != model.mean for m in model.members)
    assert model.mean.w0_q >= 0.25 and np.isfinite(model.mean.kn_max)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "other/1"}))
    with pytest.raises(InputError, match="not a non-local ensemble file"):
        NonlocalEnsemble.load(bad)
    doc = json.loads(path.read_text())
    old = {**doc, "format": "closure.nonlocal_ensemble/1",  # before kn_fade: no fade
           "mean": {k: v for k, v in doc["mean"].items() if k != "kn_fade"},
           "members": [{k: v for k, v in m.items() if k != "kn_fade"} for m in doc["members"]]}
    bad.write_text(json.dumps(old))
    assert NonlocalEnsemble.load(bad).mean == replace(model.mean, kn_fade=0.0)
    doc["members"] = []
    bad.write_text(json.dumps(doc))
    with pytest.raises(InputError, match="no members"):
        NonlocalEnsemble.load(bad)

    records = RunStore().load(run / "initial.h5")
    trainer = NonlocalTrainer(members=2, seed=3)
    one = trainer.train(records, 0, tmp_path / "a")
    two = trainer.train(records, 0, tmp_path / "b")
    assert one.mean == two.mean and one.members == two.members
    faded = NonlocalTrainer(members=2, seed=3, kn_fade=0.1).train(records, 0, tmp_path / "c")
    assert one.mean.kn_fade == 0.0
    assert faded.mean.kn_fade == 0.1 and all(m.kn_fade == 0.1 for m in faded.members)
    assert NonlocalEnsemble.load(tmp_path / "c" / "nonlocal_ensemble.json").mean == faded.mean
    with pytest.raises(InputError, match="members"):
        NonlocalTrainer(members=1)
    with pytest.raises(InputError, match="1/9"):  # refused before anything is labeled
        NonlocalTrainer(w0_min=0.1, kn_fade=0.1)
    # a member the solver refuses is a lost rollout (the examiner's DIVERGED), not a crash
    bad_member = replace(model.mean, c_sigma=-50.0, alpha_q=1.0)
    tube = bz.ShockTube.sod(kn=0.1, t_end=0.01)
    assert np.isnan(NonlocalExplorer(nx=20).rollout(bad_member, tube, bz.Gas(omega=0.5))).all()
