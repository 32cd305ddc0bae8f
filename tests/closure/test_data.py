"""Datasets of fluid-frame kinetic snapshots (closure/data.py)."""

import h5py
import numpy as np
import pytest

import boltzmann as bz
from closure import data


def grad_distribution(rho, u, T, s_hat, q_hat, v):
    """Chu components (2, 1, nv) of a Grad 13-moment distribution with sigma = s_hat p and
    q = q_hat p sqrt(T): a fluid-frame shape that depends on (s_hat, q_hat) only."""
    c = (v - u) / np.sqrt(T)
    M = rho / np.sqrt(2 * np.pi * T) * np.exp(-0.5 * c * c)
    g = M * (1 + 0.5 * s_hat * (c * c - 1) + q_hat * 0.2 * (c**3 - 3 * c))
    h = 2 * T * M * (1 - 0.5 * s_hat + q_hat * 0.2 * c)
    return np.stack([g, h])[:, None, :]


def test_fluid_frame_is_galilean_and_scaling_invariant():
    """The same non-equilibrium shape at two different (rho, u, T) maps to the same
    (g^, h^) to interpolation accuracy; a Maxwellian maps to exp(-xi^2/2)/sqrt(2 pi); the
    normalised mass, momentum and energy are exactly 1, 0, 3/2."""
    v = np.linspace(-40, 40, 1601)
    out = []
    for rho, u, T in ((1.0, 0.0, 1.0), (3.7, 2.5, 6.0)):
        F = grad_distribution(rho, u, T, 0.3, 0.2, v)
        g, h = data.to_fluid_frame(F, v, np.array([rho]), np.array([u]), np.array([T]))
        out.append((g, h))
        X, d = data.XI, data.DXI
        np.testing.assert_allclose([g.sum() * d, (X * g).sum() * d,
                                    (0.5 * (X**2 * g + 2 * h)).sum() * d], [1, 0, 1.5],
                                   atol=1e-13)
    np.testing.assert_allclose(out[0][0], out[1][0], atol=2e-5)
    np.testing.assert_allclose(out[0][1], out[1][1], atol=2e-5)
    F = grad_distribution(2.0, -1.0, 3.0, 0.0, 0.0, v)
    g, h = data.to_fluid_frame(F, v, np.array([2.0]), np.array([-1.0]), np.array([3.0]))
    M = np.exp(-0.5 * data.XI**2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(g[0], M, atol=1e-6)
    np.testing.assert_allclose(h[0], M, atol=1e-6)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    gas = bz.Gas()
    specs = [data.RunSpec("sod", bz.ShockTube.sod(kn=0.01), times=(0.05, 0.1), nx=60),
             data.RunSpec("m3", bz.ShockTube.moving_shock(3.0, gas, kn=0.1), nx=60,
                          split="test")]
    out = tmp_path_factory.mktemp("ds")
    data.build_dataset(out, specs, progress=False)
    return out, specs


def test_dataset_moments_and_splits(folder):
    """sigma_xx and q_x recomputed from the stored fluid-frame distribution agree with the
    kinetic moments to 1 % (L2); splits are by run."""
    out, _ = folder
    runs = data.load_dataset(out)
    assert [r.name for r in runs] == ["m3", "sod"]
    assert [r.name for r in data.load_dataset(out, "test")] == ["m3"]
    s = data.samples(runs)
    X, d = data.XI, data.DXI
    p = s["rho"] * s["T"]
    sigma = p * ((X**2 * s["g"]).sum(1) * d - 1)
    q = 0.5 * p * np.sqrt(s["T"]) * ((X**3 * s["g"] + 2 * X * s["h"]).sum(1) * d)
    for mine, ref in ((sigma, s["sigma_xx"]), (q, s["q_x"])):
        assert np.linalg.norm(mine - ref) < 0.01 * np.linalg.norm(ref)
    assert runs[1]["g"].shape == (2, 60, data.NXI)
    assert np.all(s["tau"] > 0) and np.all(s["coverage"] > 0.999)


def test_mfp_is_the_toolkit_mean_free_path_and_version_1_files_are_rescaled(folder, tmp_path):
    """The mfp field is `Gas.mean_free_path` at each cell; a version-1 file, which stored
    MFP_FACTOR^2 times it, reads back with the same field."""
    out, specs = folder
    run = data.read_run(out / "sod.h5")
    gas = bz.Gas(omega=specs[0].omega)
    expect = gas.mean_free_path(run["rho"], run["T"], gas.mu_ref(specs[0].problem.mfp_ref))
    np.testing.assert_allclose(run["mfp"], expect, rtol=1e-12)
    old = tmp_path / "v1.h5"
    old.write_bytes((out / "sod.h5").read_bytes())
    with h5py.File(old, "r+") as h5:
        h5.attrs["format_version"] = 1
        h5["mfp"][...] = h5["mfp"][()] * bz.gas.MFP_FACTOR**2
    np.testing.assert_allclose(data.read_run(old)["mfp"], run["mfp"], rtol=1e-12)
    with h5py.File(old, "r+") as h5:
        h5.attrs["format_version"] = 7
    with pytest.raises(bz.FileFormatError, match="version 7"):
        data.read_run(old)


def test_build_resumes_and_refuses_bad_files(folder, tmp_path):
    """A rebuild skips valid run files, rewrites a corrupt one, and the reader refuses
    foreign or truncated files with the path in the message."""
    out, specs = folder
    before = (out / "sod.h5").stat().st_mtime_ns
    (out / "m3.h5").write_bytes(b"not hdf5")
    data.build_dataset(out, specs, progress=False)
    assert (out / "sod.h5").stat().st_mtime_ns == before
    assert data.read_run(out / "m3.h5").name == "m3"
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as h5:
        h5.attrs["format"] = "something.else"
    with pytest.raises(bz.FileFormatError, match="foreign.h5: not an mlclosure.dataset"):
        data.read_run(foreign)
    cut = tmp_path / "cut.h5"
    cut.write_bytes((out / "sod.h5").read_bytes()[:4000])
    with pytest.raises(bz.FileFormatError, match="cut.h5"):
        data.read_run(cut)
    with pytest.raises(bz.InputError, match="split"):
        data.RunSpec("x", bz.ShockTube.sod(), split="holdout")


def test_spectral_snapshot_relaxes_stress_and_heat_flux_at_the_maxwell_rates():
    """Full Boltzmann labels: for Maxwell molecules the collision term relaxes the stress at
    p/mu and the heat flux at (2/3) p/mu exactly, nonlinear terms included [Truesdell &
    Muncaster, Fundamentals of Maxwell's kinetic theory (1980), ch. XIV].  Checked on the
    dataset arrays (Chu reduction, fluid frame, Q^ = (t^ - f^)/tau) of mixtures of two
    Maxwellians; n = 24, L = 8 resolves them to 0.3 % (stress) and 1.5 % (heat flux)."""
    from boltzmann.spectral import SpectralNumerics, SpectralSolver

    s = SpectralSolver(bz.PeriodicWave(kn=1.0, amplitude=0.3), bz.Gas(omega=1.0),
                       SpectralNumerics(n=24, nx=4, degree=7, L=8.0))
    box = s.box
    mix = ((-0.4, 0.8, 0.6, 1.2), (0.5, 1.0, -0.3, 0.7), (0.8, 1.1, -0.6, 0.9),
           (0.0, 1.0, 0.0, 1.6))  # the last: no stress, no heat flux, yet not Maxwellian
    f = [0.6 * box.maxwellian(1.0, a, Ta) + 0.4 * box.maxwellian(1.2, b, Tb)
         for a, Ta, b, Tb in mix]
    ng = bz.transport.NG
    s.f[0, ng:ng + 4] = np.reshape(f, (4, -1))
    snap = data.spectral_snapshot(s)
    xi, w = data.XI, data.DXI
    g, h, tg, th = snap["g"], snap["h"], snap["tg"], snap["th"]
    p = snap["rho"] * snap["T"]
    sigma = (xi**2 * g).sum(1) * w - 1.0
    q = 0.5 * (xi**3 * g + 2.0 * xi * h).sum(1) * w
    np.testing.assert_allclose(sigma, snap["sigma_xx"] / p, atol=5e-5)  # interpolation
    np.testing.assert_allclose(q, snap["q_x"] / (p * np.sqrt(snap["T"])), atol=5e-4)
    p_sigma = (xi**2 * (tg - g)).sum(1) * w
    p_q = 0.5 * (xi**3 * (tg - g) + 2.0 * xi * (th - h)).sum(1) * w
    assert np.all(np.abs(p_sigma[:3] / -sigma[:3] - 1.0) < 0.01)
    assert np.all(np.abs(p_q[:3] / (-2.0 / 3.0 * q[:3]) - 1.0) < 0.03)
    assert abs(sigma[3]) < 5e-5 and abs(p_sigma[3]) < 2e-3


def test_spectral_and_dsmc_labels(tmp_path):
    """The dataset takes the spectral Boltzmann solver by name, like the relaxation models;
    DSMC, which gives no distribution on a grid, is refused with the reason."""
    wave = bz.PeriodicWave(kn=1.0, amplitude=0.2, t_end=0.04)
    spec = data.RunSpec("wave_spectral", wave, "spectral", omega=1.0, times=(0.02, 0.04),
                        nx=4)
    run = data.read_run(data.write_run(tmp_path / "w.h5", spec))
    assert run.attrs["model"]["name"] == "spectral"
    assert run["g"].shape == (2, 4, data.NXI) and np.allclose(run["t"], [0.02, 0.04])
    assert np.all(run["coverage"] > 0.999)
    num = run.attrs["numerics"]
    assert num["nx"] == 4 and num["collide_every"] >= 1  # the solver's numerics are recorded
    gas = bz.Gas(omega=1.0)
    mu = gas.viscosity(run["T"], gas.mu_ref(wave.mfp_ref))
    np.testing.assert_allclose(run["tau"], mu / (run["rho"] * run["T"]), rtol=1e-12)
    with pytest.raises(bz.InputError, match="DSMC"):
        data.RunSpec("d", wave, "dsmc", nx=4)
    with pytest.raises(bz.InputError, match="unknown model"):
        data.RunSpec("d", wave, "boltzman", nx=4)


def test_run_spec_velocity_spacing_reaches_the_solver_and_the_record():
    """A spec's v_spacing is the kinetic run's (recorded in the run's numerics attributes);
    in a rarefied tube halving it moves T (the ray effect of the coarse grid,
    docs/kinetic.md)."""
    tube = bz.ShockTube.sod(kn=1.0)
    recs = {dv: data.run_record(data.RunSpec(f"sod{dv}", tube, nx=100, v_spacing=dv))
            for dv in (0.6, 0.3)}
    assert recs[0.3]["attrs"]["numerics"]["v_spacing"] == 0.3
    assert recs[0.6]["attrs"]["numerics"]["v_spacing"] == data.RunSpec.v_spacing == 0.6
    T = {dv: r["arrays"]["T"][-1] for dv, r in recs.items()}
    assert 5e-3 < np.abs(T[0.3] - T[0.6]).max() < 0.1  # measured 0.015
    for bad in (0.0, -1.0, float("inf"), "fine"):
        with pytest.raises(bz.InputError, match="v_spacing"):
            data.RunSpec("bad", tube, v_spacing=bad)
    with pytest.raises(bz.InputError, match="velocity box"):
        data.RunSpec("spec", tube, model="spectral", v_spacing=0.3)


def test_a_dataset_labeled_with_another_velocity_spacing_is_labeled_again(tmp_path):
    tube = bz.ShockTube.sod(kn=0.3, t_end=0.02)
    coarse = data.RunSpec("sod", tube, nx=30)
    data.build_dataset(tmp_path, [coarse], progress=False)
    (path,) = data.build_dataset(tmp_path, [coarse], progress=False)  # resumed: kept
    assert data.labeled_spacing(data.read_run(path)) == 0.6
    fine = data.RunSpec("sod", tube, nx=30, v_spacing=0.3)
    (path,) = data.build_dataset(tmp_path, [fine], progress=False)
    assert data.labeled_spacing(data.read_run(path)) == 0.3
