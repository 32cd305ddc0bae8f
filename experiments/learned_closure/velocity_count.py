"""How many velocity degrees of freedom does a nearly collisionless tube need?

Sod's tube in free flight to t = 0.15 (the held-out tubes' end time; at Kn >= 0.3 the
kinetic solution is close to it): f(x, v, t) = f_0(x - v t, v).  Represented on N discrete
velocities, the solution is exact at each node, and its moments are quadratures of an
integrand that jumps at v = (x - x0)/t; their error is the discrete-velocity ("ray") error
alone, with no spatial or time error.  Two node sets: Gauss-Hermite nodes scaled to the left
state's thermal speed, and the kinetic solver's uniform grid (u +- 6 sqrt(T) of both
states).  Relative L2 of rho, u, T (`closure.metrics`) against `boltzmann.exact.
collisionless_tube` (4001 nodes) on 800 points.

For linear free transport, a hyperbolic moment system of N moments in a fixed frame has the
N Gauss-Hermite nodes as its characteristic speeds and evolves like discrete ordinates on
them (the slab P_(N-1) and S_N equivalence of radiative transfer), so the Gauss-Hermite rows
indicate what such a closure can reach near the free-molecular end.  It is an indication,
not a bound: frame-adapted, non-hyperbolic or learned closures are not tied to it.

    .venv/bin/python experiments/learned_closure/velocity_count.py [--out DIR]

(a few seconds).  Writes velocity_count.md to the output folder (default out/ here).
"""

import argparse
import time
from pathlib import Path

import numpy as np

import boltzmann as bz
from boltzmann.exact import collisionless_tube
from closure.metrics import rel_l2, slashed

HERE = Path(__file__).resolve().parent
COUNTS = (4, 8, 12, 16, 24, 32, 48, 64, 96, 128)


def gauss_hermite(n, T_ref):
    xi, wi = np.polynomial.hermite.hermgauss(n)
    s = np.sqrt(2.0 * T_ref)
    return s * xi, s * wi * np.exp(xi * xi)


def uniform(n, tube):
    states = (tube.left, tube.right)
    v = np.linspace(min(s.u - 6.0 * np.sqrt(s.T) for s in states),
                    max(s.u + 6.0 * np.sqrt(s.T) for s in states), n)
    return v, np.full(n, v[1] - v[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    gas, tube = bz.Gas(), bz.ShockTube.sod()
    t = tube.t_end
    x = np.linspace(tube.x_min, tube.x_min + tube.length, 800)
    exact = collisionless_tube(tube, gas, x, t)
    lines = [f"# Sod in free flight on N velocities ({time.strftime('%Y-%m-%d')})", "",
             f"t = {t}; relative L2 of rho / u / T against the exact free-flight moments.", "",
             "| N | Gauss-Hermite nodes | uniform grid (the kinetic solver's) |", "|---|---|---|"]
    names = ("rho", "u", "T")
    for n in COUNTS:
        errs = [dict(zip(names, map(rel_l2, collisionless_tube(tube, gas, x, t, nodes=nodes),
                                    exact)))
                for nodes in (gauss_hermite(n, tube.left.T), uniform(n, tube))]
        lines.append(f"| {n} | {slashed(errs[0], names, '.4f')} | "
                     f"{slashed(errs[1], names, '.4f')} |")
    text = "\n".join(lines) + "\n"
    (args.out / "velocity_count.md").write_text(text)
    print(text + f"(written to {args.out / 'velocity_count.md'})")


if __name__ == "__main__":
    main()
