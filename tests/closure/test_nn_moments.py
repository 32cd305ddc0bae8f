"""Learned moments, the Hermite baseline and model files (closure/nn)."""

import numpy as np
import pytest
import torch

import boltzmann as bz
from closure import data
from closure.nn import (
    MomentAutoencoder,
    fit_autoencoder,
    hermite_moments,
    hermite_reconstruct,
    load_model,
    save_model,
)
from closure.nn.moments import MAXWELL

X, D = data.XI, data.DXI


def grad_shape(s_hat, q_hat):
    g = MAXWELL * (1 + 0.5 * s_hat * (X * X - 1) + 0.2 * q_hat * (X**3 - 3 * X))
    h = MAXWELL * (1 - 0.5 * s_hat + 0.2 * q_hat * X)
    return np.stack([g, h])


def test_encoder_parity_equilibrium_and_decoder_conservation():
    """Reflection xi -> -xi keeps the even moments and flips the odd ones to round-off; a
    Maxwellian has W = 0 and W = 0 decodes to it; every decoded distribution has mass 1,
    momentum 0, energy 3/2."""
    torch.manual_seed(0)
    m = MomentAutoencoder(5)
    f = torch.as_tensor(np.stack([grad_shape(0.3, 0.5), grad_shape(-0.2, 0.1)]))
    with torch.no_grad():
        W, Wr = m.encode(f), m.encode(torch.flip(f, [2]))
        W0 = m.encode(torch.as_tensor(np.stack([MAXWELL, MAXWELL])[None]))
        rec = m.decode(torch.randn(7, 5, dtype=torch.float64)).numpy()
        back = m.decode(torch.zeros(1, 5, dtype=torch.float64)).numpy()
    sign = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0], dtype=W.dtype)
    assert float((W * sign - Wr).abs().max()) < 1e-15
    assert float(W0.abs().max()) < 1e-15
    np.testing.assert_allclose(back[0], np.stack([MAXWELL, MAXWELL]), atol=1e-15)
    mass = rec[:, 0].sum(1) * D
    mom = (X * rec[:, 0]).sum(1) * D
    energy = (0.5 * (X**2 * rec[:, 0] + 2 * rec[:, 1])).sum(1) * D
    np.testing.assert_allclose(mass, 1.0, atol=1e-12)
    np.testing.assert_allclose(mom, 0.0, atol=1e-12)
    np.testing.assert_allclose(energy, 1.5, atol=1e-12)


def test_hermite_expansion_is_exact_for_grad_distributions():
    """A Grad 13-moment shape is a degree-3 Hermite series: K = 3 coefficients (g He2,
    h He1, g He3) reconstruct it to round-off; its coefficients are the moments."""
    f = grad_shape(0.4, -0.3)[None]
    np.testing.assert_allclose(hermite_reconstruct(f, 3), f, atol=1e-12)
    a = hermite_moments(f, 3)[0]
    np.testing.assert_allclose(a, [0.4, 0.2 * -0.3 * 1, 0.2 * -0.3 * 6], atol=1e-12)


def test_training_reduces_validation_loss_and_model_files(tmp_path):
    """A small autoencoder on Grad shapes: the validation loss falls at least 10-fold in
    60 epochs; the model file round-trips, and a corrupt, foreign or other-kind file is
    refused with a clear error."""
    rng = np.random.default_rng(0)

    def batch(n):
        return np.stack([grad_shape(*p) for p in zip(rng.uniform(-0.5, 0.5, n),
                                                     rng.uniform(-0.5, 0.5, n))])

    model, rec = fit_autoencoder(batch(400), batch(100), 2, epochs=60, patience=60, seed=1)
    hist = rec["history"]
    assert hist[rec["best_epoch"], 1] < 0.1 * hist[0, 1], hist[[0, rec["best_epoch"]]]
    path = save_model(tmp_path / "ae.pt", model, {"kind": "moment_autoencoder", "K": 2})
    meta, state = load_model(path, "moment_autoencoder")
    again = MomentAutoencoder(meta["K"])
    again.load_state_dict(state)
    f = torch.as_tensor(batch(5))
    assert torch.equal(again(f), model(f))
    with pytest.raises(bz.FileFormatError, match="not 'closure'"):
        load_model(path, "closure")
    blob = torch.load(path, weights_only=True)
    blob["state"]["decoder.0.weight"][0, 0] += 1e-3
    torch.save(blob, tmp_path / "tampered.pt")
    with pytest.raises(bz.FileFormatError, match="checksum"):
        load_model(tmp_path / "tampered.pt", "moment_autoencoder")
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(bz.FileFormatError, match="junk.pt: unreadable or corrupt"):
        load_model(tmp_path / "junk.pt", "moment_autoencoder")


def test_closure_targets_and_network_are_reflection_equivariant():
    """The exact closure targets of a reflected distribution are the parity-signed targets of
    the original (to round-off), the network is equivariant by construction, and the
    targets reproduce sigma^ and q^ of a Grad shape."""
    from closure.nn.closure_net import ClosureNet, closure_targets, target_parity

    torch.manual_seed(0)
    ae = MomentAutoencoder(3)
    f = np.stack([grad_shape(0.3, 0.5), grad_shape(-0.2, 0.1)])
    signs = torch.as_tensor(target_parity(ae.n_even, ae.K, ae.grad))
    with torch.no_grad():
        y = closure_targets(ae, f)
        yr = closure_targets(ae, f[:, :, ::-1].copy())
        net = ClosureNet(ae.K, ae.n_even)
        W = torch.randn(6, 3, dtype=torch.float64)
        kn = torch.randn(6, dtype=torch.float64)
        out, out_r = net(W, kn), net(W * net.s_in[:3], kn)
    assert float((yr - signs * y).abs().max()) < 1e-13
    assert float((out_r - signs * out).abs().max()) < 1e-14
    np.testing.assert_allclose(y[:, 0], [0.3, -0.2], atol=1e-10)  # sigma^
    np.testing.assert_allclose(y[:, 1], [0.8 * 0.5, 0.8 * 0.1], atol=1e-10)  # q^


def test_grad_moments_and_targets_match_the_moment_equations():
    """With grad=True the moments hold sigma^ and q^ exactly; the closure targets agree with
    `closure.moment_equations.frame_moments` (the budget-tested equation) to round-off, and
    the exact Shakhov production tau P = s q^ - W agrees with the production of the
    kinetic code's Shakhov target (`boltzmann.collision.relax.target`)."""
    from boltzmann.collision.relax import target
    from closure.moment_equations import frame_moments
    from closure.nn.closure_net import closure_targets, relaxation_production, target_names

    torch.manual_seed(2)
    ae = MomentAutoencoder(5, grad=True)
    f = np.stack([grad_shape(0.3, 0.5), grad_shape(-0.2, 0.1)])
    t = np.stack([grad_shape(0.0, 0.2), grad_shape(0.1, 0.0)])
    with torch.no_grad():
        W = ae.encode(torch.as_tensor(f)).numpy()
        y = closure_targets(ae, f).numpy()
        w, dw = (a.numpy() for a in ae.weights.with_derivative())
    np.testing.assert_allclose(W[:, 0], [0.3, -0.2], atol=1e-10)  # sigma^
    np.testing.assert_allclose(W[:, ae.n_even], [0.4, 0.08], atol=1e-10)  # q^ = 0.8 q_hat
    names = target_names(ae.K, grad=True)
    for k in range(ae.K):
        m = frame_moments(w[k, 0], dw[k, 0], w[k, 1], dw[k, 1], f[:, 0], f[:, 1], t[:, 0],
                          t[:, 1])
        for key, col in (("B", f"B{k}"), ("A1", f"A1_{k}"), ("E1", f"E1_{k}")):
            np.testing.assert_allclose(y[:, names.index(col)], m[key], rtol=1e-12,
                                       atol=1e-12)
    # the Shakhov target of rho = T = 1, u = 0, q = 0.3 on XI is the fluid-frame target
    G, H = np.zeros(X.size), np.zeros(X.size)
    target(1, G, H, X, 3, 1.0, 0.0, 1.0, 0.0, 0.3, 2.0 / 3.0)
    tg, th = G[None], 0.5 * H[None]  # h^ = H / (2 rho T)
    M = np.exp(-0.5 * X**2)[None] / np.sqrt(2 * np.pi)
    s = relaxation_production(ae, "shakhov")
    for k in range(ae.K):
        P = frame_moments(w[k, 0], dw[k, 0], w[k, 1], dw[k, 1], M, M, tg, th)["P"]
        np.testing.assert_allclose(P, s[k] * 0.3, atol=1e-12)  # W = 0 for the Maxwellian
    assert abs(s[ae.n_even] - 1.0 / 3.0) < 1e-12  # q relaxes at Pr / tau


def test_grad_decoder_returns_the_encoded_sigma_and_q():
    """A grad autoencoder decodes W to a distribution whose sigma^ and q^ are W's own, and
    whose mass, momentum and energy are exact."""
    torch.manual_seed(3)
    ae = MomentAutoencoder(4, grad=True)
    W = torch.randn(5, 4, dtype=torch.float64) * 0.3
    with torch.no_grad():
        f = ae.decode(W).numpy()
    g, h = f[:, 0], f[:, 1]
    np.testing.assert_allclose((X**2 * g).sum(1) * D - 1, W[:, 0].numpy(), atol=1e-12)
    np.testing.assert_allclose((0.5 * X**3 * g + X * h).sum(1) * D, W[:, 2].numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(g.sum(1) * D, 1.0, atol=1e-12)
    np.testing.assert_allclose((0.5 * (X**2 * g + 2 * h)).sum(1) * D, 1.5, atol=1e-12)


def test_ensemble_mean_disagreement_and_envelope():
    """Four closure networks from different seeds: predict returns their mean and spread;
    inputs inside the training envelope pass silently, inputs far outside warn with their
    distance, and there the members disagree more than on the training inputs."""
    from closure.nn.ensemble import ClosureEnsemble, EnvelopeWarning

    rng = np.random.default_rng(4)

    def batch(n):
        f = np.stack([grad_shape(*p) for p in zip(rng.uniform(-0.3, 0.3, n),
                                                  rng.uniform(-0.3, 0.3, n))])
        return f, rng.uniform(-3.0, -1.0, n)

    torch.manual_seed(0)
    ae = MomentAutoencoder(2, grad=True)
    ens = ClosureEnsemble.fit(ae, batch(300), batch(60), members=4, epochs=40, patience=40)
    f, kn = batch(20)
    with torch.no_grad():
        W = ae.encode(torch.as_tensor(f)).numpy()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", EnvelopeWarning)
        mean, spread = ens.predict(W, kn)
    assert mean.shape == spread.shape == (20, 12) and np.all(spread > 0)
    far = W * 20.0
    with pytest.warns(EnvelopeWarning, match=r"20 of 20 inputs outside .* by \d"):
        _, spread_far = ens.predict(far, kn)
    assert ens.distance(far, kn).min() > 1.0
    assert spread_far.mean() > spread.mean()


def test_closure_network_is_exact_at_equilibrium():
    """W = 0 gives the Maxwellian's targets for every Knudsen number; the first-order
    response is Grad's (`grad_linearisation`), exact for Grad distributions, and the
    network enters at second order in W only."""
    from closure.nn.closure_net import ClosureNet, closure_targets, grad_linearisation

    torch.manual_seed(5)
    ae = MomentAutoencoder(4, grad=True)
    with torch.no_grad():
        M = ae.maxwell[None]
        eq = closure_targets(ae, M)[0]
        L = grad_linearisation(ae)
        net = ClosureNet(4, ae.n_even, grad=True, equilibrium=eq, linear=L)
        kn = torch.tensor([-4.0, -1.0, 2.0], dtype=torch.float64)
        out = net(torch.zeros(3, 4, dtype=torch.float64), kn)
        f = np.stack([grad_shape(0.3, 0.5), grad_shape(-0.2, 0.1)])
        W = ae.encode(torch.as_tensor(f))
        y = closure_targets(ae, f).numpy()
        d = torch.randn(3, 4, dtype=torch.float64)
        r1 = net(1e-2 * d, kn) - eq - 1e-2 * d @ torch.as_tensor(L).T
        r2 = net(5e-3 * d, kn) - eq - 5e-3 * d @ torch.as_tensor(L).T
    np.testing.assert_allclose(out.numpy(), np.repeat(eq.numpy()[None], 3, axis=0), atol=1e-14)
    np.testing.assert_allclose(y, eq.numpy() + W.numpy() @ L.T, atol=1e-12)
    ratio = float(r1.abs().max() / r2.abs().max())
    assert 3.5 < ratio < 4.5  # halving W quarters the network's part
