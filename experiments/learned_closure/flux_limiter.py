"""A local flux limiter, tried and dropped: NSF with its stress and heat flux saturated at the
faces, sigma / (1 + (|sigma| / (a p))^n)^(1/n) and q / (1 + (|q| / (b p sqrt T))^n)^(1/n),
on Sod's tube (NumPy back end, unsplit step, 200 cells, against the kinetic Shakhov solution
on 800 cells), and the same saturation of the shipped non-local closure's a priori sigma_xx
on the kinetic Mach 3, 5.5 and 8 shocks (relative L2 over |x| < 20 lambda_1).

    .venv/bin/python experiments/learned_closure/flux_limiter.py [--kn 0.003 0.03 0.3]

(about 2 minutes; the Kn = 0.3 tubes take 25 s each on the explicit, diffusion-bounded
step).  Prints two markdown tables.
"""

import argparse
import warnings

import numpy as np
from local_closure import GAS, kinetic  # this folder

import boltzmann as bz
from closure.fv import FVNumerics, FVSolver
from closure.metrics import profile_errors, rel_l2
from closure.systems.nonlocal_nsf import DEFAULT_MODEL, NonlocalParams, apriori_fluxes
from closure.systems.nsf import NSF

NAMES = ("rho", "u", "T", "q_x")
#: (a, b, n): saturation levels of sigma (in p) and q (in p sqrt T), 0 for none; sharpness
SETTINGS = ((0.0, 0.0, 1), (1.0, 1.0, 1), (0.5, 0.5, 1), (0.7, 0.0, 1), (0.7, 0.0, 4),
            (0.8, 0.0, 8))


def saturate(flux, level, scale, n):
    return flux if level == 0.0 else flux / (1.0 + (np.abs(flux) / (level * scale)) ** n) ** (
        1.0 / n)


class SaturatedNSF(NSF):
    """NSF with saturated face fluxes (NumPy back end only)."""

    name = "nsf_saturated"

    def __init__(self, gas, mu_ref, prandtl, a, b, n):
        super().__init__(gas, mu_ref, prandtl)
        self.a, self.b, self.n = a, b, n

    def _fluxes(self, U, dx):
        rho, u, T = self.primitive(U)
        sigma, q = self._stress_heat(u, T, dx)
        tf = 0.5 * (T[1:] + T[:-1])
        pf = 0.5 * (rho[1:] * T[1:] + rho[:-1] * T[:-1])
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
            print(f"| {a:g}, {b:g}, {n} | {kn:g} | " + " / ".join(f"{e[k]:.3f}" for k in NAMES)
                  + " |", flush=True)
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


if __name__ == "__main__":
    main()
