"""Bad input raises a clear error; files are written atomically and read back safely."""

import os

import h5py
import numpy as np
import pytest

import boltzmann as bz


@pytest.mark.parametrize("kw,match", [
    (dict(rho=-1.0, u=0.0, T=1.0), "density"),
    (dict(rho=1.0, u=0.0, T=0.0), "temperature"),
    (dict(rho=1.0, u=np.nan, T=1.0), "not finite"),
])
def test_bad_state(kw, match):
    with pytest.raises(bz.InputError, match=match):
        bz.State(**kw)


@pytest.mark.parametrize("mach", [1.0, 0.5, np.nan])
def test_mach_not_above_one(mach):
    with pytest.raises(bz.InputError, match="Mach"):
        bz.NormalShock(mach=mach)
    with pytest.raises(bz.InputError, match="Mach"):
        bz.rankine_hugoniot(mach, bz.Gas())


def test_velocity_grid_too_narrow():
    with pytest.raises(bz.InputError, match="too narrow.*cuts off"):
        bz.KineticSolver(bz.ShockTube.sod(), bz.Gas(), "bgk", bz.Numerics(v_width=3.0))
    grid = bz.VelocityGrid.uniform(-4.0, 4.0, 64)
    with pytest.raises(bz.InputError, match="u=3"):
        grid.check_covers([bz.State(1.0, 3.0, 1.0)])


def test_unstable_cfl():
    for cfl in (1.5, 0.0, -0.3, np.inf):
        with pytest.raises(bz.InputError, match="CFL"):
            bz.Numerics(cfl=cfl)
    assert bz.Numerics(cfl=1.0).cfl == 1.0  # the stability limit itself is allowed


def test_velocity_spacing_and_width_must_be_positive():
    for name in ("v_spacing", "v_width"):
        for bad in (0.0, -0.3, np.nan, np.inf):
            with pytest.raises(bz.InputError, match=f"{name}=.*positive"):
                bz.Numerics(**{name: bad})


def test_unknown_names():
    with pytest.raises(bz.InputError, match="unknown collision model"):
        bz.get_model("dsmc-magic")
    with pytest.raises(bz.InputError, match="limiter"):
        bz.Numerics(limiter="superbee2")
    with pytest.raises(bz.InputError, match="Prandtl"):
        bz.get_model("esbgk", prandtl=0.5)


def test_nan_in_solution_is_reported():
    s = bz.KineticSolver(bz.ShockTube.sod(), bz.Gas(), "bgk", bz.Numerics(nx=50))
    s.interior[0, 17, :] = np.nan
    with pytest.raises(bz.SolutionError, match=r"rho=nan in cell 17 \(x=0.35"):
        s.check()
    with pytest.raises(bz.SolutionError, match=r"rho=nan"):  # found by the time loop too
        s.advance(1)


def test_negative_density_is_reported():
    s = bz.KineticSolver(bz.ShockTube.sod(), bz.Gas(), "bgk", bz.Numerics(nx=50))
    s.interior[0, 3, :] *= -1.0
    with pytest.raises(bz.SolutionError, match="rho=-"):
        s.check()


@pytest.fixture(scope="module")
def solution():
    tube = bz.ShockTube.sod(kn=1e-2, t_end=0.05)
    return bz.KineticSolver(tube, bz.Gas(omega=0.81), "shakhov", bz.Numerics(nx=40)).run()


def test_roundtrip(tmp_path, solution):
    path = solution.save(tmp_path / "run.h5")
    assert [p.name for p in tmp_path.iterdir()] == ["run.h5"]  # no temporary left behind
    rd = bz.read_solution(path)
    for k in ("rho", "u", "T", "p", "sigma_xx", "q_x"):
        np.testing.assert_array_equal(rd[k], solution[k])
    np.testing.assert_array_equal(rd["f"], solution.f)
    assert rd.attrs["format"] == "mlclosure.kinetic"
    assert rd.params["gas"]["omega"] == 0.81
    assert rd.params["model"]["name"] == "shakhov"
    assert rd.problem() == solution.problem
    with h5py.File(path) as h5:
        assert h5["q_x"].attrs["units"] == "rho_0 (R T_0)^(3/2)"
        assert h5["x"].attrs["units"] == "problem length L"


def test_write_is_atomic(tmp_path, solution, monkeypatch):
    """A write interrupted midway leaves the previous file intact and no temporary."""
    path = solution.save(tmp_path / "run.h5")
    before = open(path, "rb").read()
    import boltzmann.io as bio

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(bio, "write_dataset", boom)
    with pytest.raises(KeyboardInterrupt):
        solution.save(path)
    assert open(path, "rb").read() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.h5"]


def test_missing_file(tmp_path):
    with pytest.raises(bz.FileFormatError, match="no such file"):
        bz.read_solution(tmp_path / "nope.h5")


def test_foreign_file(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as h5:
        h5["rho"] = np.ones(3)
    with pytest.raises(bz.FileFormatError, match="foreign"):
        bz.read_solution(path)
    (tmp_path / "text.h5").write_text("not hdf5 at all")
    with pytest.raises(bz.FileFormatError, match="not a readable HDF5"):
        bz.read_solution(tmp_path / "text.h5")


def test_truncated_file(tmp_path, solution):
    path = solution.save(tmp_path / "run.h5")
    data = open(path, "rb").read()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(bz.FileFormatError):
        bz.read_solution(cut)


def test_missing_dataset_is_truncation(tmp_path, solution):
    path = solution.save(tmp_path / "run.h5")
    with h5py.File(path, "a") as h5:
        del h5["q_x"]
    with pytest.raises(bz.FileFormatError, match="q_x"):
        bz.read_solution(path)


def test_corrupt_data_block(tmp_path, solution):
    """A flipped byte inside a dataset is caught by its Fletcher-32 checksum."""
    path = solution.save(tmp_path / "run.h5")
    with h5py.File(path) as h5:
        offset = h5["f"].id.get_chunk_info(0).byte_offset
    with open(path, "r+b") as fh:
        fh.seek(offset + 100)
        byte = fh.read(1)
        fh.seek(offset + 100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(bz.FileFormatError, match="'f' is corrupt"):
        bz.read_solution(path)
    assert os.path.exists(path)


def test_colliding_streams_get_a_wide_enough_grid(gas):
    """Two streams colliding at Mach 3 heat the middle to T = 6.8: the grid is sized on the
    exact Euler middle states, not only on the initial ones, and the run stays covered."""
    tube = bz.ShockTube(bz.State(1.0, 4.0, 1.0), bz.State(1.0, -4.0, 1.0), kn=1e-3, t_end=0.05)
    s = bz.KineticSolver(tube, gas, "bgk", bz.Numerics(nx=100))
    hot = max(st.T for st in s.states)
    assert hot == pytest.approx(6.8, rel=0.02)
    mass, energy = s.grid.cutoff_fractions(0.0, hot)
    assert mass < 1e-6 and energy < 1e-6
    sol = s.run()
    assert sol["T"].max() > 6.0


def test_state_leaving_the_grid_is_reported(gas):
    s = bz.KineticSolver(bz.ShockTube.sod(), gas, "bgk", bz.Numerics(nx=50))
    from boltzmann.collision import equilibrium_field

    hot = np.zeros((s.ncomp, 1, s.grid.n))
    equilibrium_field(np.array([1.0]), np.array([0.0]), np.array([9.0]), s.grid.v, s.grid.w,
                      gas.dof, hot)
    s.interior[:, 20:21] = hot
    with pytest.raises(bz.SolutionError, match="not covered by the velocity grid"):
        s.check()


def test_driver_misuse(gas):
    s = bz.KineticSolver(bz.ShockTube.sod(t_end=0.01), gas, "bgk", bz.Numerics(nx=50))
    with pytest.raises(bz.InputError, match="dt"):
        s.advance(3, dt=-1e-3)
    with pytest.raises(bz.InputError, match="CFL step"):
        s.advance(3, dt=10 * s.dt)
    s.run()
    with pytest.raises(bz.InputError, match="not after"):
        s.run_until(0.005)
    with pytest.raises(bz.InputError, match="check_every"):
        bz.Numerics(check_every=0)
    with pytest.raises(bz.InputError, match="not nx"):
        bz.KineticSolver(bz.NormalShock(2.0), gas, "bgk", bz.Numerics(nx=100))
    with pytest.raises(bz.InputError, match="not dx"):
        bz.KineticSolver(bz.ShockTube.sod(), gas, "bgk", bz.Numerics(dx=0.1))
    with pytest.raises(bz.InputError, match="Prandtl"):
        bz.get_model("esbgk", prandtl=float("nan"))


def test_problem_of_odd_file(tmp_path, solution):
    path = solution.save(tmp_path / "run.h5")
    with h5py.File(path, "a") as h5:
        h5["problem"].attrs["kind"] = "volcano"
    with pytest.raises(bz.FileFormatError, match="unknown or missing kind 'volcano'"):
        bz.read_solution(path).problem()
    with h5py.File(path, "a") as h5:
        h5["problem"].attrs["kind"] = "tube"
        del h5["problem"].attrs["left_u"]
    with pytest.raises(bz.FileFormatError, match="incomplete or foreign"):
        bz.read_solution(path).problem()


def test_cli_refuses_conflicting_tube_options(tmp_path, capsys):
    from boltzmann.cli import main

    rc = main(["tube", "--sod", "--left", "1,0,1", "--right", "0.1,0,1",
               "--out", str(tmp_path / "x.h5"), "--quiet"])
    assert rc == 2
    assert "do not add --sod" in capsys.readouterr().err
    rc = main(["shock", "--mach", "3", "--cfl", "0", "--out", str(tmp_path / "y.h5")])
    assert rc == 2
    assert "CFL" in capsys.readouterr().err
    rc = main(["tube", "--sod", "--v-spacing", "-0.3", "--out", str(tmp_path / "z.h5")])
    assert rc == 2
    assert "v_spacing=-0.3" in capsys.readouterr().err
    rc = main(["tube", "--sod", "--model", "dsmc", "--v-spacing", "0.3",
               "--out", str(tmp_path / "w.h5")])
    assert rc == 2
    assert "--v-spacing" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_tube_velocity_spacing_reaches_the_file(tmp_path, capsys):
    from boltzmann.cli import main

    out = tmp_path / "sod.h5"
    rc = main(["tube", "--sod", "--kn", "0.3", "--nx", "40", "--t-end", "0.02",
               "--v-spacing", "0.3", "--out", str(out), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    assert bz.read_solution(out).params["numerics"]["v_spacing"] == 0.3


def test_cli_shock_writes_the_promised_file(tmp_path, capsys):
    """python -m boltzmann shock ... writes x (in lambda_1, centred), rho, u, T, p, sigma_xx,
    q_x with units and its parameters."""
    from boltzmann.cli import main

    out = tmp_path / "shock.h5"
    rc = main(["shock", "--mach", "2", "--model", "bgk", "--omega", "0.81", "--out", str(out),
               "--quiet"])
    assert rc == 0, capsys.readouterr().err
    rd = bz.read_solution(out)
    assert rd.params["problem"]["mach"] == 2.0
    assert rd.params["gas"]["omega"] == 0.81
    rho = rd["rho"]
    assert np.interp(0.0, rd["x"], rho) == pytest.approx(0.5 * (rho[0] + rho[-1]), rel=1e-3)
    assert "reciprocal thickness" in capsys.readouterr().out
