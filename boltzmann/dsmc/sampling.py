"""Cell sampling of DSMC: moments from accumulated velocity sums, and their statistical errors.

Moments are taken from the sums of all samples together (Bird's cumulative sampling, free of
the ratio bias of averaging per-sample moments).  The statistical error of each moment is the
standard error of batch means [Flyvbjerg & Petersen, J. Chem. Phys. 91, 461 (1989)]: samples
are grouped into batches (consecutive samples of a steady run, or the independent runs of an
ensemble), the moment is computed per batch, and err = std(batch values) / sqrt(n_batches).
"""

import numpy as np

from ..io import PROFILE_NAMES as NAMES
from .kernels import NSUMS, accumulate


def moments_from_sums(sums, nsamples, weight):
    """rho, u, T, p, sigma_xx, q_x per cell from sums (ncell, NSUMS) over nsamples samples;
    weight = real mass per simulated particle per unit cell volume (F_N / dx).  Cells that
    were never occupied get NaN."""
    s = np.asarray(sums, dtype=float)
    n = s[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = 1.0 / n
        rho = n * weight / nsamples
        ux, uy, uz = s[:, 1] * inv, s[:, 2] * inv, s[:, 3] * inv
        cxx, cyy, czz = s[:, 4] * inv, s[:, 5] * inv, s[:, 6] * inv
        cxy, cxz, cxc2 = s[:, 7] * inv, s[:, 8] * inv, s[:, 9] * inv
        u2 = ux * ux + uy * uy + uz * uz
        c2 = cxx + cyy + czz
        T = (c2 - u2) / 3.0
        p = rho * T
        sigma = rho * (cxx - ux * ux) - p
        # <c'_x |c'|^2> with c' = c - u, expanded in raw moments
        third = cxc2 - 2.0 * (ux * cxx + uy * cxy + uz * cxz) - ux * c2 + 2.0 * ux * u2
        q = 0.5 * rho * third
    return {"rho": rho, "u": ux, "T": T, "p": p, "sigma_xx": sigma, "q_x": q}


class Sampler:
    """Accumulates cell sums in batches.  add(c, start) samples the particles once; close()
    ends the current batch (done automatically every `batch` samples when batch > 0)."""

    def __init__(self, ncell: int, weight: float, batch: int = 0):
        self.ncell, self.weight, self.batch = ncell, weight, batch
        self.total = np.zeros((ncell, NSUMS))
        self.current = np.zeros((ncell, NSUMS))
        self.n_total = 0
        self.n_current = 0
        self.batches = []

    def add(self, c, start):
        accumulate(c, start, self.ncell, self.current)
        self.n_current += 1
        if self.batch and self.n_current >= self.batch:
            self.close()

    def close(self):
        if self.n_current == 0:
            return
        self.batches.append(moments_from_sums(self.current, self.n_current, self.weight))
        self.total += self.current
        self.n_total += self.n_current
        self.current[:] = 0.0
        self.n_current = 0

    @property
    def samples(self) -> int:
        return self.n_total + self.n_current

    def moments(self):
        return moments_from_sums(self.total + self.current, self.samples, self.weight)

    def errors(self):
        """Standard error of each moment per cell (inf until two batches are closed)."""
        nb = len(self.batches)
        if nb < 2:
            return {k: np.full(self.ncell, np.inf) for k in NAMES}
        return {k: np.std([b[k] for b in self.batches], axis=0, ddof=1) / np.sqrt(nb)
                for k in NAMES}
