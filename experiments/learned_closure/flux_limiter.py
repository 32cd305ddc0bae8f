"""A local flux limiter, tried and dropped: NSF with its stress and heat flux saturated at the
faces, sigma / (1 + (|sigma| / (a p))^n)^(1/n) and q / (1 + (|q| / (b p sqrt T))^n)^(1/n),
on Sod's tube (NumPy back end, unsplit step, 200 cells, against the kinetic Shakhov solution
on 800 cells), and the same saturation of the shipped non-local closure's a priori sigma_xx
on the kinetic Mach 3, 5.5 and 8 shocks (relative L2 over |x| < 20 lambda_1).  Then the
same with a non-local scale, the hot side's pressure and temperature (p_hot = max(p, K[p]),
T_hot likewise, K the screening over 5.73 lambda of the shipped closure's T_hot): NSF's
a priori fluxes on those shocks, and NSF with the saturation in Sod's tube at Kn = 0.03.

    .venv/bin/python experiments/learned_closure/flux_limiter.py [--kn 0.003 0.03 0.3]

(about 4 minutes; the Kn = 0.3 tubes take 25 s each on the explicit, diffusion-bounded
step).  Prints two markdown tables.
"""

import argparse
import warnings

import numpy as np
from local_closure import GAS, kinetic  # this folder

import boltzmann as bz
from boltzmann.gas import MFP_FACTOR
from closure.fv import FVNumerics, FVSolver
from closure.metrics import profile_errors, rel_l2, slashed
from closure.systems.nonlocal_nsf import (
    DEFAULT_MODEL,
    NonlocalParams,
    apriori_fluxes,
    screen_numpy,
)
from closure.systems.nsf import NSF

NAMES = ("rho", "u", "T", "q_x")
#: (a, b, n): saturation levels of sigma (in p) and q (in p sqrt T), 0 for none; sharpness
SETTINGS = ((0.0, 0.0, 1), (1.0, 1.0, 1), (0.5, 0.5, 1), (0.7, 0.0, 1), (0.7, 0.0, 4),
            (0.8, 0.0, 8))


def saturate(flux, level, scale, n):
    return flux if level == 0.0 else flux / (1.0 + (np.abs(flux) / (level * scale)) ** n) ** (
        1.0 / n)


#: the screening length of the hot-side scale, in local mean free paths (the shipped
#: closure's alpha_hot)
HOT_LENGTH = 5.73


def face_scales(rho, T, dx, gas, mu_ref, hot):
    """p and T at the faces, or with hot the hot side's: max(y, K[y]), K the screening over
    HOT_LENGTH local mean free paths."""
    tf = 0.5 * (T[1:] + T[:-1])
    pf = 0.5 * (rho[1:] * T[1:] + rho[:-1] * T[:-1])
    if not hot:
        return pf, tf
    lam = gas.viscosity(tf, mu_ref) / (MFP_FACTOR * 0.5 * (rho[1:] + rho[:-1]) * np.sqrt(tf))
    l2 = (HOT_LENGTH * lam) ** 2
    return (np.maximum(screen_numpy(pf, l2, dx), pf), np.maximum(screen_numpy(tf, l2, dx), tf))


class SaturatedNSF(NSF):
    """NSF with saturated face fluxes (NumPy back end only); hot: the hot side's scales."""

    name = "nsf_saturated"

    def __init__(self, gas, mu_ref, prandtl, a, b, n, hot=False):
        super().__init__(gas, mu_ref, prandtl)
        self.a, self.b, self.n, self.hot = a, b, n, hot

    def _fluxes(self, U, dx):
        rho, u, T = self.primitive(U)
        sigma, q = self._stress_heat(u, T, dx)
        pf, tf = face_scales(rho, T, dx, self.gas, self.mu_ref, self.hot)
        return (u, saturate(sigma, self.a, pf, self.n),
                saturate(q, self.b, pf * np.sqrt(tf), self.n))

    def face_flux(self, U, dx):
        u, sigma, q = self._fluxes(U, dx)
        return np.array([np.zeros_like(sigma), sigma, 0.5 * (u[1:] + u[:-1]) * sigma + q])

    def diffusivity(self, U):  # the saturation only lowers the fluxes' slopes
        rho, _, T = self.primitive(U)
        return max(4.0 / 3.0, self.gas.cp / self.prandtl) * self.viscosity(T) / rho

    def diagnostics(self, U, dx):
        out = super().diagnostics(U, dx)
        _, sigma, q = self._fluxes(U, dx)
        pad = lambda a: np.concatenate([a[:1], 0.5 * (a[1:] + a[:-1]), a[-1:]])  # noqa: E731
        out["sigma_xx"], out["q_x"] = pad(sigma), pad(q)
        return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kn", type=float, nargs="+", default=[0.003, 0.03, 0.3])
    args = ap.parse_args(argv)
    print("| a, b, n | Kn | rho / u / T / q_x |\n|---|---|---|")
    for kn in args.kn:
        tube = bz.ShockTube.sod(kn=kn)
        ref = bz.KineticSolver(tube, GAS, "shakhov", bz.Numerics(nx=800)).run()
        for a, b, n in SETTINGS:
            system = SaturatedNSF(GAS, GAS.mu_ref(tube.mfp_ref), 2.0 / 3.0, a, b, n)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sol = FVSolver(tube, GAS, system, FVNumerics(nx=200, backend="numpy")).run()
            e = profile_errors(ref.x, ref, sol.x, sol, names=NAMES)
            print(f"| {a:g}, {b:g}, {n} | {kn:g} | {slashed(e, NAMES)} |", flush=True)
    params, _ = NonlocalParams.load(DEFAULT_MODEL)
    print("\n| Mach | max kinetic q/(p sqrt T), sigma/p | non-local sigma_xx | "
          + " | ".join(f"a = {a:g}, n = {n}" for a, _, n in SETTINGS[1:]) + " |")
    print("|---" * (2 + len(SETTINGS)) + "|")
    for mach in (3.0, 5.5, 8.0):
        k = kinetic(mach)
        p = k["rho"] * k["T"]
        xf, sigma, _ = apriori_fluxes(k.x, k["rho"], k["u"], k["T"], params, GAS,
                                      GAS.mu_ref(1.0))
        keep = np.abs(xf) < 20.0
        ref = 0.5 * (k["sigma_xx"][1:] + k["sigma_xx"][:-1])[keep]
        pf = 0.5 * (p[1:] + p[:-1])
        cells = [rel_l2(saturate(sigma, a, pf, n)[keep], ref) for a, _, n in SETTINGS]
        print(f"| {mach:g} | {np.max(np.abs(k['q_x']) / (p * np.sqrt(k['T']))):.2f}, "
              f"{np.max(np.abs(k['sigma_xx']) / p):.2f} | "
              + " | ".join(f"{c:.3f}" for c in cells) + " |", flush=True)
    print("\nThe hot side's scales: NSF's a priori sigma_xx / q_x on the shocks, and Sod at "
          "Kn = 0.03 (rho / u / T / q_x)\n")
    print("| a = b | Mach 3 | Mach 5.5 | Mach 8 | Sod, Kn = 0.03 |\n|---|---|---|---|---|")
    tube = bz.ShockTube.sod(kn=0.03)
    ref_tube = bz.KineticSolver(tube, GAS, "shakhov", bz.Numerics(nx=800)).run()
    shocks = {m: kinetic(m) for m in (3.0, 5.5, 8.0)}
    for a in (0.0, 0.5, 1.0):
        cells = []
        for k in shocks.values():
            dx = k.x[1] - k.x[0]
            sigma, q = NSF(GAS, GAS.mu_ref(1.0))._stress_heat(k["u"], k["T"], dx)
            pf, tf = face_scales(k["rho"], k["T"], dx, GAS, GAS.mu_ref(1.0), True)
            keep = np.abs(0.5 * (k.x[1:] + k.x[:-1])) < 20.0
            refs = [0.5 * (k[n][1:] + k[n][:-1])[keep] for n in ("sigma_xx", "q_x")]
            cells.append(f"{rel_l2(saturate(sigma, a, pf, 1)[keep], refs[0]):.3f} / "
                         f"{rel_l2(saturate(q, a, pf * np.sqrt(tf), 1)[keep], refs[1]):.3f}")
        system = SaturatedNSF(GAS, GAS.mu_ref(tube.mfp_ref), 2.0 / 3.0, a, a, 1, hot=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = FVSolver(tube, GAS, system, FVNumerics(nx=200, backend="numpy")).run()
        e = profile_errors(ref_tube.x, ref_tube, sol.x, sol, names=NAMES)
        print(f"| {a:g} | " + " | ".join(cells) + f" | {slashed(e, NAMES)} |", flush=True)


if __name__ == "__main__":
    main()
