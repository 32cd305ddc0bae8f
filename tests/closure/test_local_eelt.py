"""The learned local closure in the EELT loop (config kind "local_closure"): bootstrap members
whose mean is the model, each member's rollouts explored alone, a-posteriori test errors."""

import re
import tomllib

import numpy as np
import pytest
import torch
from test_eelt_closure import TINY as CLOSURE_TINY
from test_eelt_closure import assert_disputed_picks_and_finite_errors, run_tiny

# the moment closure's tiny run with the local closure's [train] table
TINY = re.sub(r"\[train\][^\[]*", "[train]\nmembers = 2\nwidth = 8\niters = 150\nrows = 500\n",
              CLOSURE_TINY.replace('kind = "closure"', 'kind = "local_closure"')) \
    .replace("max_labels = 2", 'max_labels = 2\npick = "max"')


def test_tiny_local_closure_eelt(tmp_path):
    """Two iterations from three kinetic tubes (40 cells, Shakhov): each labels the two most
    disputed of three explored tubes; no member's rollout breaks down (the convex map keeps
    the system parabolic), so every disagreement is finite, positive and below 1; the test
    error is a posteriori, finite and below the no-solution value, and so is NSF's.  The
    model's map is the mean of its members' maps (`member_map`) to round-off, and a second
    training on the same records gives the same weights bit for bit."""
    from boltzmann.errors import FileFormatError
    from closure.cli_eelt import install
    from closure.nn.eelt import RunStore
    from closure.nn.local import LocalMap
    from closure.nn.local_eelt import (
        NO_SOLUTION,
        LocalTrainer,
        a_posteriori_errors,
        member_map,
    )

    run, log = run_tiny(tmp_path, TINY)
    assert_disputed_picks_and_finite_errors(run, log, a_posteriori_errors, NO_SOLUTION)

    model = LocalMap.load(run / "iter_001" / "local.pt")
    assert model.meta["trained_on"] == 5 and len(model.nets) == 2
    s = torch.linspace(-0.5, 0.3, 7, dtype=torch.float64)
    q = torch.linspace(-0.4, 0.4, 7, dtype=torch.float64)
    a, b = model.explicit(s, q)
    parts = [member_map(model, m).explicit(s, q) for m in range(2)]
    np.testing.assert_allclose(a.detach(), sum(p[0] for p in parts).detach() / 2, atol=1e-12)
    np.testing.assert_allclose(b.detach(), sum(p[1] for p in parts).detach() / 2, atol=1e-12)

    with pytest.raises(FileFormatError, match="a 'local_closure' run; `install` copies"):
        install(run, tmp_path / "x.pt")

    records = RunStore().load(run / "initial.h5")
    trainer = LocalTrainer(members=2, width=8, iters=20, rows=200, seed=3)
    one = trainer.train(records, 0, tmp_path / "a")
    two = trainer.train(records, 0, tmp_path / "b")
    for (name, x), y in zip(one.state_dict().items(), two.state_dict().values()):
        assert torch.equal(x, y), name


class FakeShockRun:
    """A stationary-shock record: NSF's own profile on a shifted grid, as the last snapshot."""

    def __init__(self, mach, shift):
        import boltzmann as bz
        from closure.shock_ode import nsf_shock

        self.problem = bz.NormalShock(mach)
        prof = nsf_shock(mach, bz.Gas(omega=0.5))
        x = np.linspace(-20.0, 20.0, 321)
        self.arrays = {"x": x + shift, "t": np.array([1.0])}
        for k in ("rho", "T", "q_x"):
            self.arrays[k] = np.interp(x, prof["x"], prof[k])[None]

    def __getitem__(self, key):
        return self.arrays[key]


def test_a_posteriori_error_of_a_shock_is_aligned_at_the_density_midpoint():
    """NSF against NSF's own shock profile, shifted by 7.3 mean free paths: zero up to
    interpolation (the alignment at the density midpoint removes the shift); without the
    alignment the shift alone would be an error of order one."""
    from closure.metrics import profile_errors
    from closure.nn.local_eelt import TEST_FIELDS, a_posteriori_errors

    run = FakeShockRun(3.0, 7.3)
    assert a_posteriori_errors(None, [run], 0.5)[0] < 2e-3
    ref = {k: run[k][-1] for k in TEST_FIELDS}
    shifted = profile_errors(run["x"], ref, run["x"] - 7.3, ref, 15.0, TEST_FIELDS)
    assert np.mean(list(shifted.values())) > 0.3


def test_a_bad_train_table_is_refused_before_any_labeling(tmp_path):
    """A [train] table of the moment closure's trainer (epochs, patience, batch) in a local
    closure config: an InputError naming the keys, and nothing labeled or written."""
    import boltzmann as bz
    from closure.nn.local_eelt import build

    bad = tomllib.loads(CLOSURE_TINY.replace('kind = "closure"', 'kind = "local_closure"'))
    with pytest.raises(bz.InputError, match=r"\[train\] \['batch', 'epochs', 'patience'\]: "
                       "not keys of LocalTrainer"):
        build(bad, tmp_path / "run")
    assert not list((tmp_path / "run").glob("*.h5"))
