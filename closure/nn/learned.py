"""The learned closure as one object and one model file: the moments' autoencoder, the
ensemble of closure networks, the exact collision production and the training envelope.

`LearnedClosure.evaluator()` exports the ensemble to NumPy for the finite-volume solver
(`closure.systems.learned`): a call costs three batched passes of each member, with no
autograd and no torch overhead.
"""

import numpy as np
import torch
from torch import nn

from ..data import MFP_SCALE_OF_VERSION
from .closure_net import ClosureNet, target_names
from .ensemble import ClosureEnsemble
from .modelfile import load_model, save_model
from .moments import MomentAutoencoder

KIND = "learned_closure"
#: `mfp_scale` of models trained on version-1 datasets (their files lack the key)
LEGACY_MFP_SCALE = MFP_SCALE_OF_VERSION[1]
#: per moment k, the learned targets in this order (`closure_net.target_names`)
PER_MOMENT = 6


class LearnedClosure(nn.Module):
    """ae: MomentAutoencoder (K moments, grad=True keeps sigma^ and q^ among them);
    ensemble: ClosureEnsemble on its moments; production: s (K,) with
    tau P_k = s_k q^ - W_k (`closure_net.relaxation_production`); meta: JSON-able
    hyperparameters and provenance (collision model, Prandtl number, data hash, ...), and
    mfp_scale, the ratio of the Knudsen input's length to the mean free path (1 unless
    the model was trained on a version-1 dataset)."""

    def __init__(self, ae: MomentAutoencoder, ensemble: ClosureEnsemble, production, meta):
        super().__init__()
        if not ae.grad:
            raise ValueError("the closed system needs sigma^ and q^ among the moments "
                             "(MomentAutoencoder(grad=True))")
        self.ae = ae
        self.nets = nn.ModuleList(ensemble.nets)
        self.register_buffer("production", torch.as_tensor(np.asarray(production, float)))
        for name in ("low", "high", "std"):
            self.register_buffer(name, torch.as_tensor(getattr(ensemble, name)))
        self.meta = {"mfp_scale": 1.0, **meta}
        self.double()

    @property
    def mfp_scale(self):
        """The Knudsen input's length over the mean free path (meta['mfp_scale'])."""
        return float(self.meta["mfp_scale"])

    @property
    def K(self):
        return self.ae.K

    @property
    def q_index(self):
        """Index of q^ among the moments (the first odd one)."""
        return self.ae.n_even

    @property
    def ensemble(self):
        return ClosureEnsemble(self.nets, self.low.numpy(), self.high.numpy(),
                               self.std.numpy())

    def hyper(self):
        net = self.nets[0]
        linear = [m for m in net.net if isinstance(m, nn.Linear)]
        return {"K": self.K, "ae_width": self.ae.decoder[0].out_features,
                "ae_depth": sum(isinstance(m, nn.Linear) for m in self.ae.decoder) - 1,
                "width": linear[0].out_features, "depth": len(linear) - 1,
                "members": len(self.nets)}

    def save(self, path):
        return save_model(path, self, {"kind": KIND, **self.meta, **self.hyper(),
                                       "targets": target_names(self.K, True)})

    @classmethod
    def load(cls, path):
        """The closure in a model file; FileFormatError when foreign, corrupt or of another
        kind or version (`closure.nn.modelfile`)."""
        meta, state = load_model(path, KIND)
        ae = MomentAutoencoder(meta["K"], width=meta["ae_width"], depth=meta["ae_depth"],
                               grad=True)
        nets = [ClosureNet(meta["K"], ae.n_even, width=meta["width"], depth=meta["depth"],
                           grad=True) for _ in range(meta["members"])]
        K = meta["K"]
        ens = ClosureEnsemble(nets, np.zeros(K + 1), np.zeros(K + 1), np.ones(K + 1))
        hyper = ("K", "ae_width", "ae_depth", "width", "depth", "members", "targets",
                 "kind", "version")
        meta = {"mfp_scale": LEGACY_MFP_SCALE, **meta}
        model = cls(ae, ens, np.zeros(K), {k: v for k, v in meta.items() if k not in hyper})
        model.load_state_dict(state)
        return model

    def distance(self, W, log_kn):
        """Per sample, the largest excess over the training envelope in training standard
        deviations (0 inside)."""
        return self.ensemble.distance(W, log_kn)

    def evaluator(self, members=None):
        """NumPy function (W (n, K), log10 Kn (n,)) -> ensemble-mean targets (n, 6K), the
        same numbers as the torch ensemble (to round-off); `members` limits the ensemble to
        its first members (speed)."""
        nets = list(self.nets)[:members]
        layers = []
        for i, m in enumerate(nets[0].net):
            if isinstance(m, nn.Linear):
                Wt = np.stack([n.net[i].weight.detach().numpy().T for n in nets])
                b = np.stack([n.net[i].bias.detach().numpy() for n in nets])[:, None, :]
                layers.append((np.ascontiguousarray(Wt), b))
        n0 = nets[0]
        s_in, s_net = n0.s_in.numpy(), n0.s_net.numpy()
        scale = np.stack([n.scale.numpy() for n in nets])[:, None, :]
        eq, lin = n0.equilibrium.numpy(), n0.linear.numpy().T.copy()
        keep0 = 0.5 * (1.0 + s_net)  # the W = 0 pass enters as (1 + s)/2 N(x0)
        nm, K = len(nets), self.K

        def evaluate(W, log_kn):
            n = W.shape[0]
            x = np.empty((3 * n, K + 1))
            x[:n, :-1] = W
            x[n:2 * n, :-1] = W * s_in[:-1]
            x[2 * n:, :-1] = 0.0
            x[:, -1] = np.tile(log_kn, 3)
            h = np.broadcast_to(x, (nm,) + x.shape)
            for k, (Wt, b) in enumerate(layers):
                h = h @ Wt + b
                if k < len(layers) - 1:
                    # SiLU; the floor keeps far-negative activations out of the denormal
                    # range (which slows BLAS twentyfold) at an error below 1e-20
                    h = h / (1.0 + np.exp(-np.maximum(h, -50.0)))
            N = 0.5 * (h[:, :n] + s_net * h[:, n:2 * n]) - keep0 * h[:, 2 * n:]
            second = np.einsum("mnjk,nk->mnj", N.reshape(nm, n, -1, K), W)
            return eq + W @ lin + (second * scale).mean(axis=0)

        return evaluate


def assemble(ae, ensemble, model="shakhov", prandtl=2.0 / 3.0, **meta):
    """A LearnedClosure from a trained autoencoder and ensemble, with the exact production of
    the collision model."""
    from .closure_net import relaxation_production

    return LearnedClosure(ae, ensemble, relaxation_production(ae, model, prandtl),
                          {"collision_model": model, "prandtl": prandtl, **meta})
