import numpy as np

import boltzmann as bz


def test_reflection_symmetry_to_roundoff(model):
    """Mirroring the tube (x -> L - x, v -> -v) mirrors the solution to round-off: rho, T,
    p, sigma_xx even, u and q_x odd."""
    gas = bz.Gas()
    L, R = bz.State(1.0, 0.3, 1.0), bz.State(0.4, -0.2, 0.7)
    tube = bz.ShockTube(L, R, kn=0.05, t_end=0.1)
    mirror = bz.ShockTube(bz.State(R.rho, -R.u, R.T), bz.State(L.rho, -L.u, L.T), kn=0.05,
                          t_end=0.1)
    num = bz.Numerics(nx=100)
    a = bz.KineticSolver(tube, gas, model, num)
    b = bz.KineticSolver(mirror, gas, model, num)
    np.testing.assert_allclose(a.grid.v, -b.grid.v[::-1], rtol=0, atol=1e-14)
    sa, sb = a.run(), b.run()
    for k, sign in (("rho", 1), ("T", 1), ("sigma_xx", 1), ("u", -1), ("q_x", -1)):
        scale = np.max(np.abs(sa[k]))
        err = np.max(np.abs(sa[k] - sign * sb[k][::-1])) / scale
        assert err < 1e-12, (k, err)
