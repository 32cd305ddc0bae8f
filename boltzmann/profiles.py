"""A solution given by its profiles alone (DSMC, the spectral solver): what every solver of the
toolkit returns and writes, without a discrete distribution on the kinetic solver's grid."""

from dataclasses import dataclass, field

import numpy as np

from .gas import Gas
from .io import PROFILE_NAMES as NAMES
from .io import write_profiles
from .moments import MOMENT_UNITS


@dataclass
class ProfileSolution:
    """Profiles of a 1D solution at time t.

    x (nx,) cell centres (a shock's centred at the density midpoint); moments: 'rho', 'u',
    'T', 'p', 'sigma_xx', 'q_x', each (nx,); errors: one standard error of each for a
    stochastic solver (DSMC), else empty; model, numerics: the attributes written to the
    file's 'model' and 'numerics' groups; info: run statistics."""

    problem: object
    gas: Gas
    model: dict
    numerics: dict
    t: float
    x: np.ndarray
    moments: dict
    errors: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.moments[name]

    @property
    def molecule_name(self) -> str:
        return str(self.model.get("molecule", self.model.get("name")))

    def save(self, path):
        datasets = [(f"{k}_err", self.errors[k], MOMENT_UNITS[k],
                     "one standard error of the sampled value (batch means or run-to-run)")
                    for k in NAMES if k in self.errors]
        groups = {"gas": self.gas.to_attrs(), "model": self.model, "numerics": self.numerics}
        return write_profiles(path, self.problem, self.t, self.x, self.moments, groups,
                              datasets, self.info)
