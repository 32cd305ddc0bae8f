"""An ensemble of Deep Potentials and DP-GEN's model-deviation selection [Zhang et al.,
Comput. Phys. Commun. 253, 107206 (2020)]: the force deviation of atom i is
sigma_i = sqrt(<|F_i - <F_i>|^2>) over the models, a frame's deviation is max_i sigma_i, and
with trust levels lo < hi a frame is accurate (deviation < lo), a candidate for labeling
(lo <= deviation < hi) or failed (>= hi, too far from the data to trust even as a label
request)."""

import numpy as np

from ..eelt.engine import classify


class DPEnsemble:
    def __init__(self, models):
        if not models:
            raise ValueError("an ensemble needs at least one model")
        maps = {tuple(m.type_map) for m in models}
        if len(maps) != 1:
            raise ValueError(f"ensemble members have different type maps: {sorted(maps)}")
        self.models = list(models)
        self.type_map = list(models[0].type_map)

    def types_of(self, symbols):
        return self.models[0].types_of(symbols)

    def evaluate(self, positions, types, cell=None, pbc=True, virial=False):
        """(mean energy, mean forces (nat, 3), max force deviation) of the members, and with
        `virial` their mean virial (3, 3) last."""
        out = [m.evaluate(positions, types, cell, pbc, virial=virial) for m in self.models]
        forces = np.stack([o[1] for o in out])
        mean = (float(np.mean([o[0] for o in out])), forces.mean(axis=0),
                max_force_deviation(forces))
        return mean + (np.mean([o[2] for o in out], axis=0),) if virial else mean


def max_force_deviation(forces):
    """max_i sqrt(mean_m |F_mi - mean_m F_mi|^2) for forces (nmodels, nat, 3)."""
    f = np.asarray(forces, dtype=float)
    sigma = np.sqrt(((f - f.mean(axis=0)) ** 2).sum(axis=-1).mean(axis=0))
    return float(sigma.max())


def select(deviations, trust_lo, trust_hi):
    """The category of each frame's deviation (accurate / candidate / failed): the engine's
    `classify`."""
    return classify(deviations, trust_lo, trust_hi)
