"""The fast spectral method for the full Boltzmann collision operator of VHS molecules on a
uniform 3D velocity grid [Gamba, Haack, Hauck & Hu, SIAM J. Sci. Comput. 39, B658 (2017);
the Fourier-Galerkin framework of Pareschi & Russo, SIAM J. Numer. Anal. 37, 1217 (2000)].

With B(|g|, sigma) = C |g|^lam (C = coeff / 4 pi, coeff |g|^lam = sigma_T c_r, lam = 2 - 2 omega)
and relative speeds truncated to |g| <= R,

    Q+(v) = sum_rho w_rho C rho^(lam+2) S_rho[sum_sigma w_sigma f(v + rho s/2) f(v - rho s/2)]
    Q-(v) = f(v) (h * f)(v),   h(g) = 4 pi C |g|^lam 1_{|g| <= R},

where S_rho is the Fourier multiplier 4 pi sinc(rho |xi| / 2) (the average over the direction
of g), the rho sum Gauss-Legendre on [0, R], the sigma sum a Lebedev rule on the sphere (its
antipodal pairs give equal terms, so half of it is used with double weights).  Shifts by
rho sigma / 2 are exact phase factors in Fourier space, so one evaluation costs
n_rho (M / 2 + 1) + 2 FFTs of the grid: O(n_rho M N^3 log N), batched over cells.

The result is projected onto the collision invariants' null space in the least-squares sense,
Q_c = Q - C^T (C C^T)^-1 C Q with C the quadrature of 1, v, |v|^2 [Gamba & Tharkabhushanam,
J. Comput. Phys. 228, 2012 (2009)], so mass, momentum and energy are conserved to round-off.
With `equilibrium=True` the operator is Q(f) - Q(M[f]), M[f] the grid Maxwellian of f's
moments [Filbet, Pareschi & Rey, C. R. Math. 353, 309 (2015)]: Maxwellians become exact
fixed points at twice the cost.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.fft as sfft
from scipy.integrate import lebedev_rule

from ..errors import InputError


@dataclass(frozen=True)
class VelocityBox:
    """A periodic uniform grid of n^3 velocities on [c - L, c + L) x [-L, L)^2 (units
    sqrt(R T_0)), c = `center` the x-velocity the box is centred on (the collision operator is
    Galilean invariant; centring the box on the flow keeps drifting states away from its
    periodic edges).

    Arrays on it have shape (..., n, n, n) with axes (v_x, v_y, v_z); flattened, v_x is the
    slowest index, so the flat x-velocities are sorted."""

    n: int = 32
    L: float = 8.0
    center: float = 0.0

    def __post_init__(self):
        if self.n < 8 or self.n % 2:
            raise InputError(f"VelocityBox: n={self.n} must be even and >= 8")
        if not self.L > 0.0:
            raise InputError(f"VelocityBox: half-width L={self.L} must be positive")

    @property
    def h(self) -> float:
        return 2.0 * self.L / self.n

    @property
    def dv(self) -> float:
        return self.h ** 3

    @cached_property
    def axis(self):
        """The transverse axis; the x axis is axis + center."""
        return -self.L + self.h * np.arange(self.n)

    @cached_property
    def axis_x(self):
        return self.center + self.axis

    @cached_property
    def grids(self):
        return np.meshgrid(self.axis_x, self.axis, self.axis, indexing="ij")

    @cached_property
    def wavenumbers(self):
        """Angular wave numbers (3, n, n, n) matching scipy.fft.fftn of an (n, n, n) array."""
        k = 2.0 * np.pi * sfft.fftfreq(self.n, d=self.h)
        return np.array(np.meshgrid(k, k, k, indexing="ij"))

    def maxwellian(self, rho, u, T, u_y=0.0, u_z=0.0):
        """Maxwellians (..., n, n, n) of densities rho, velocities (u, u_y, u_z), temperatures
        T (arrays of equal shape, or scalars)."""
        rho, u, T, u_y, u_z = (np.asarray(a, dtype=float)[..., None, None, None]
                               for a in (rho, u, T, u_y, u_z))
        vx, vy, vz = self.grids
        c2 = (vx - u) ** 2 + (vy - u_y) ** 2 + (vz - u_z) ** 2
        return rho / (2.0 * np.pi * T) ** 1.5 * np.exp(-c2 / (2.0 * T))

    def moments(self, f):
        """rho, u, T, p, sigma_xx, q_x (and the transverse velocities u_y, u_z) of f
        (..., n, n, n) by the grid quadrature."""
        vx, vy, vz = self.grids
        ax = (-3, -2, -1)
        rho = f.sum(axis=ax) * self.dv
        mx = (f * vx).sum(axis=ax) * self.dv
        my = (f * vy).sum(axis=ax) * self.dv
        mz = (f * vz).sum(axis=ax) * self.dv
        u = mx / rho
        uy, uz = my / rho, mz / rho
        cx = vx - u[..., None, None, None]
        cy = vy - uy[..., None, None, None]
        cz = vz - uz[..., None, None, None]
        c2 = cx * cx + cy * cy + cz * cz
        T = (f * c2).sum(axis=ax) * self.dv / (3.0 * rho)
        sigma = (f * cx * cx).sum(axis=ax) * self.dv - rho * T
        q = 0.5 * (f * cx * c2).sum(axis=ax) * self.dv
        return {"rho": rho, "u": u, "T": T, "p": rho * T, "sigma_xx": sigma, "q_x": q,
                "u_y": uy, "u_z": uz}

    def entropy(self, f):
        """H = sum f log f dv (positive values of f) per cell."""
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.where(f > 0.0, f * np.log(np.where(f > 0.0, f, 1.0)), 0.0)
        return g.sum(axis=(-3, -2, -1)) * self.dv

    def to_attrs(self) -> dict:
        return {"n": self.n, "L": self.L, "center": self.center}


def support_box(states, n: int = 32, width: float = 5.0) -> VelocityBox:
    """A box centred on the states' x-velocities that holds every state's Maxwellian to
    `width` thermal speeds along x (the widest direction of 1D problems).  This is far smaller
    than the no-aliasing box of a support of radius S (L >= (3 + sqrt 2) S / 2, Pareschi &
    Russo 2000): f reaches nearly to L, and the default truncation R = 4 L / (3 + sqrt 2)
    ~ 0.9 L drops the fastest relative speeds (a 0.9 % low stress relaxation rate at L = 7,
    T = 1; tests/boltzmann/test_spectral.py).  It is the usual compromise of resolution against
    aliasing; raise L (and n) to check."""
    lo = min(st.u - width * np.sqrt(st.T) for st in states)
    hi = max(st.u + width * np.sqrt(st.T) for st in states)
    return VelocityBox(n, float(0.5 * (hi - lo)), float(0.5 * (hi + lo)))


class FastSpectral:
    """Q(f) of VHS molecules on a VelocityBox.

    coeff: sigma_T c_r = coeff c_r^(2 - 2 omega) (`Molecule.cross_section_coeff`); R: largest
    relative speed kept (default 4 L / (3 + sqrt 2)); n_rho: Gauss-Legendre nodes in |g|
    (default n); degree: Lebedev degree of the sphere rule (default 11: 50 points, 25 used)."""

    def __init__(self, box: VelocityBox, omega: float = 1.0, coeff: float = 1.0, R=None,
                 n_rho=None, degree: int = 11, equilibrium: bool = False, workers: int = -1):
        if not 0.5 <= omega <= 1.0:
            raise InputError(f"FastSpectral: omega={omega} outside [0.5, 1]")
        self.box, self.omega, self.coeff = box, omega, coeff
        self.lam = 2.0 - 2.0 * omega
        self.R = R if R is not None else 4.0 * box.L / (3.0 + np.sqrt(2.0))
        self.n_rho = n_rho if n_rho is not None else box.n
        self.equilibrium, self.workers = equilibrium, workers
        C = coeff / (4.0 * np.pi)
        x, w = np.polynomial.legendre.leggauss(self.n_rho)
        self.rho = 0.5 * self.R * (x + 1.0)
        self.w_rho = 0.5 * self.R * w * C * self.rho ** (self.lam + 2.0)
        pts, wts = lebedev_rule(degree)
        half = _hemisphere(pts)
        self.sigma, self.w_sigma = pts[:, half].T, 2.0 * wts[half]
        k = box.wavenumbers
        kabs = np.sqrt((k * k).sum(axis=0))
        self.k1, self.kabs = k[0][:, 0, 0], kabs
        # loss multiplier 16 pi^2 C int_0^R rho^(lam+2) sinc(rho |k|) d rho, on a finer rule
        xg, wg = np.polynomial.legendre.leggauss(max(64, 2 * self.n_rho))
        r = 0.5 * self.R * (xg + 1.0)
        wr = 0.5 * self.R * wg * r ** (self.lam + 2.0)
        self.loss_hat = 16.0 * np.pi ** 2 * C * np.tensordot(
            wr, np.sinc(np.multiply.outer(r, kabs) / np.pi), axes=1)
        self._projector()

    def _projector(self):
        vx, vy, vz = self.box.grids
        phi = np.stack([np.ones_like(vx), vx, vy, vz, vx * vx + vy * vy + vz * vz])
        self.phi = phi.reshape(5, -1) * self.box.dv
        self.gram_inv = np.linalg.inv(self.phi @ self.phi.T)

    def _fft(self, a):
        return sfft.fftn(a, axes=(-3, -2, -1), workers=self.workers)

    def _ifft(self, a):
        return sfft.ifftn(a, axes=(-3, -2, -1), workers=self.workers)

    def raw(self, f):
        """The uncorrected spectral Q(f) (..., n, n, n)."""
        f = np.asarray(f, dtype=float)
        F = self._fft(f)
        k1, nyq = self.k1, self.box.n // 2
        gain_hat = np.zeros(F.shape, complex)
        for rho, wr in zip(self.rho, self.w_rho):
            acc = np.zeros(f.shape)
            for s, ws in zip(self.sigma, self.w_sigma):
                ex, ey, ez = (_shift(0.5 * rho * s[d], k1, nyq) for d in range(3))
                phase = ex[:, None, None] * ey[None, :, None] * ez[None, None, :]
                z = self._ifft(F * (phase + 1j * np.conj(phase)))
                acc += ws * z.real * z.imag  # f(v + rho s/2) f(v - rho s/2)
            gain_hat += (wr * 4.0 * np.pi * np.sinc(0.5 * rho * self.kabs / np.pi)) * \
                self._fft(acc)
        gain = self._ifft(gain_hat).real
        loss = f * self._ifft(F * self.loss_hat).real
        return gain - loss

    def conserve(self, Q):
        """Least-squares projection of Q (..., n, n, n) onto zero mass, momentum, energy."""
        shape = Q.shape
        q = Q.reshape(-1, self.phi.shape[1])
        lam = (q @ self.phi.T) @ self.gram_inv
        return (q - lam @ self.phi).reshape(shape)

    def __call__(self, f):
        Q = self.raw(f)
        if self.equilibrium:
            m = self.box.moments(f)
            Q = Q - self.raw(self.box.maxwellian(m["rho"], m["u"], m["T"], m["u_y"], m["u_z"]))
        return self.conserve(Q)

    def to_attrs(self) -> dict:
        return {"name": "spectral", "omega": self.omega, "coeff": self.coeff, "R": self.R,
                "n_rho": self.n_rho, "sphere_points": 2 * len(self.w_sigma),
                "equilibrium_preserving": self.equilibrium,
                "reference": "Gamba, Haack, Hauck & Hu, SIAM J. Sci. Comput. 39, B658 (2017)"}


def _shift(a, k, nyq):
    """Fourier factors of a shift by a along one axis: exp(i a k), with the Nyquist mode of a
    real field shifted as the real cosine it is (cos(a k_N)), so shifted fields stay real."""
    e = np.exp(1j * a * k)
    e[nyq] = np.cos(a * k[nyq])
    return e


def _hemisphere(pts):
    """Mask of one point of every antipodal pair of a centrally symmetric point set."""
    x, y, z = pts
    tol = 1e-12
    return (z > tol) | ((abs(z) <= tol) & (y > tol)) | ((abs(z) <= tol) & (abs(y) <= tol) &
                                                         (x > tol))


def bkw(box: VelocityBox, t):
    """The Bobylev-Krook-Wu solution of the homogeneous Boltzmann equation for Maxwell
    molecules with B = 1 / 4 pi (sigma_T c_r = 1), rho = T = 1, u = 0 [Bobylev, Sov. Phys.
    Dokl. 20, 820 (1976); Krook & Wu, Phys. Rev. Lett. 36, 1107 (1976)]:
    f = exp(-v^2 / 2K) / (2 (2 pi K)^(3/2)) ((5K - 3) / K + (1 - K) v^2 / K^2),
    K = 1 - exp(-t / 6); nonnegative for K >= 3/5 (t >= 6 ln 5/2).  Returns f and df/dt."""
    vx, vy, vz = box.grids
    v2 = vx * vx + vy * vy + vz * vz
    K = 1.0 - np.exp(-t / 6.0)
    dK = (1.0 - K) / 6.0
    g = np.exp(-v2 / (2.0 * K)) / (2.0 * (2.0 * np.pi * K) ** 1.5)
    p = (5.0 * K - 3.0) / K + (1.0 - K) * v2 / K ** 2
    dg = g * (v2 / (2.0 * K * K) - 1.5 / K)
    dp = 3.0 / K ** 2 + v2 * (-1.0 / K ** 2 - 2.0 * (1.0 - K) / K ** 3)
    return g * p, (dg * p + g * dp) * dK
