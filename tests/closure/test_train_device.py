"""Training on the CPU (the default) or a GPU: device names, a clear error for a GPU that is
not there, and, where PyTorch sees a GPU, the same networks as on the CPU within tolerance."""

import numpy as np
import pytest
import torch
from test_nn_moments import grad_shape

import boltzmann as bz
from closure.nn import MomentAutoencoder, fit_autoencoder, fit_closure
from closure.nn.regularisation import fit_regularisation
from closure.nn.train import training_device

CUDA = torch.cuda.is_available()


def closure_batch(rng, n):
    f = np.stack([grad_shape(*p) for p in zip(rng.uniform(-0.3, 0.3, n),
                                              rng.uniform(-0.3, 0.3, n))])
    return f, rng.uniform(-3.0, -1.0, n)


def regularisation_batch(rng, n):
    X = rng.normal(size=(n, 2))
    S = rng.normal(size=(n, 2))
    return X, 1.3 * S / (1.0 + 0.2 * np.abs(S)), S


def test_device_names_and_a_missing_gpu():
    assert training_device() == torch.device("cpu")
    assert training_device("cpu") == torch.device("cpu")
    assert training_device("auto").type == ("cuda" if CUDA else "cpu")
    with pytest.raises(bz.InputError, match="'meta': only 'cpu', 'cuda"):
        training_device("meta")
    with pytest.raises(bz.InputError, match="'gpu please': not a device name"):
        training_device("gpu please")
    count = torch.cuda.device_count() if CUDA else 0
    with pytest.raises(bz.InputError, match=f"PyTorch sees {count} CUDA device"):
        training_device(f"cuda:{count}")


def test_cpu_is_the_default_and_networks_come_back_on_the_cpu():
    """An explicit device='cpu' trains the same networks as the default, bit for bit; the
    record says where, and the networks are on the CPU."""
    rng = np.random.default_rng(2)
    train, val = closure_batch(rng, 200), closure_batch(rng, 50)
    ae = MomentAutoencoder(2, grad=True)
    a, rec_a = fit_closure(ae, train, val, epochs=5, patience=5, width=8, seed=3)
    b, rec_b = fit_closure(ae, train, val, epochs=5, patience=5, width=8, seed=3, device="cpu")
    assert rec_a["device"] == rec_b["device"] == "cpu"
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert pa.device.type == "cpu" and torch.equal(pa, pb), name


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU (PyTorch sees none)")
def test_gpu_training_matches_cpu_training():
    """Float64 throughout: the same seed on the GPU gives the CPU's networks to 1e-6 in their
    predictions (the summation order differs, nothing else), for the closure network, the
    autoencoder and the learned R13 regularisation; the GPU-trained networks are on the CPU."""
    rng = np.random.default_rng(5)
    train, val = closure_batch(rng, 600), closure_batch(rng, 100)
    ae = MomentAutoencoder(2, grad=True)
    kw = dict(epochs=20, patience=20, width=16, seed=1, batch=128)
    cpu, rec_cpu = fit_closure(ae, train, val, device="cpu", **kw)
    gpu, rec_gpu = fit_closure(ae, train, val, device="cuda", **kw)
    assert rec_gpu["device"].startswith("cuda")
    assert all(p.device.type == "cpu" for p in gpu.state_dict().values())
    np.testing.assert_allclose(rec_gpu["history"], rec_cpu["history"], rtol=1e-6)
    with torch.no_grad():
        W, kn = ae.encode(torch.as_tensor(val[0])), torch.as_tensor(val[1])
        y_cpu, y_gpu = cpu(W, kn).numpy(), gpu(W, kn).numpy()
    spread = np.abs(y_cpu - y_cpu.mean(axis=0)).max(axis=0) + 1e-300
    assert np.max(np.abs(y_gpu - y_cpu) / spread) < 1e-6

    f_train, f_val = train[0], val[0]
    ae_cpu, _ = fit_autoencoder(f_train, f_val, 3, epochs=10, patience=10, width=16, seed=2,
                                grad=True, device="cpu")
    ae_gpu, _ = fit_autoencoder(f_train, f_val, 3, epochs=10, patience=10, width=16, seed=2,
                                grad=True, device="cuda")
    with torch.no_grad():
        r_cpu = ae_cpu(torch.as_tensor(f_val)).numpy()
        r_gpu = ae_gpu(torch.as_tensor(f_val)).numpy()
    assert np.abs(r_gpu - r_cpu).max() < 1e-6 * np.abs(f_val).max()

    X, Y, S = regularisation_batch(rng, 500)
    Xv, Yv, Sv = regularisation_batch(rng, 100)
    rk = dict(width=8, epochs=10, patience=10, batch=64, seed=4)
    n_cpu, _ = fit_regularisation((X, Y, S), (Xv, Yv, Sv), device="cpu", **rk)
    n_gpu, rec = fit_regularisation((X, Y, S), (Xv, Yv, Sv), device="cuda", **rk)
    assert rec["device"].startswith("cuda")
    with torch.no_grad():
        np.testing.assert_allclose(n_gpu(Xv, Sv).numpy(), n_cpu(Xv, Sv).numpy(), rtol=1e-6,
                                   atol=1e-9)
