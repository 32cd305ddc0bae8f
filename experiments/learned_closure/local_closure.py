"""How far can a local constitutive relation go on the Mach 5.5 shock?  A learned
NCCR-type closure (implicit: gradients as functions of the fluxes), fitted to kinetic shocks.

Every moment closure here has missed the issue's 5 % target for sigma_xx and q_x at
Mach 5.5.  This study asks whether a purely local closure could reach it.  The steady shock
makes the question cheap, because conservation fixes sigma and q as functions of (u, T),
so a local closure of the form

    (a, b) = (s exp(g_s(s, q^2)), q exp(g_q(s, q^2))),    s = sigma/p,  q = q_x/(p sqrt T),

with a = -(4/3) mu u_x / p and b = -(c_p mu/Pr) T_x / (p sqrt T), gives the profile from an
ODE (`closure.shock_ode.nsf_shock(constitutive=...)`, [Myong, Phys. Fluids 11, 2788
(1999)]).  g = net(s, q^2) - net(0, 0) is a small SiLU network.  By construction this form:
- is Galilean and scaling invariant (dimensionless fluxes in, gradients out);
- is reflection symmetric (q -> -q flips b only);
- has non-negative entropy production (s a >= 0, q b >= 0);
- reduces exactly to NSF as the fluxes vanish.

The fit targets are the kinetic (Shakhov, omega = 0.5) profiles' own fluxes and gradients
(central differences) at |x| < 20 lambda_1:
- **trained:** on Mach numbers outside [5, 6], four seeds and their mean map;
- **oracle:** on the held-out Mach number itself (least squares on the gradients, as
  above; a fit to that shock, not a proven bound on the form).

Run: .venv/bin/python experiments/learned_closure/local_closure.py [--quick]
Writes out/local_closure.md, out/local_closure.png and out/local_closure.h5.
"""

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import boltzmann as bz  # noqa: E402
from boltzmann.io import atomic_h5, write_dataset  # noqa: E402
from closure.metrics import NAMES, error_table, profile_errors  # noqa: E402
from closure.shock_ode import nsf_shock  # noqa: E402

HERE = Path(__file__).resolve().parent
TITLE = "How far a local constitutive relation goes on the Mach 5.5 shock"
TRAIN = (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 6.5, 7.0, 7.5, 8.0, 9.0, 10.0)
HELD_OUT = (5.0, 5.5, 6.0)
GAS = bz.Gas(omega=0.5)
PRANDTL = 2.0 / 3.0
WINDOW_FIT, WINDOW_ERR = 20.0, 15.0


def kinetic(mach):
    """Shakhov stationary shock on the shock-structure experiment's grid."""
    return bz.KineticSolver(bz.NormalShock(mach=mach), GAS, "shakhov",
                            bz.Numerics(dx=0.125, cfl=0.9)).run()


def pairs(sol):
    """(fluxes (n, 2), gradients (n, 2)) of a kinetic profile: (sigma/p, q/(p sqrt T)) and
    their Navier-Stokes-normalised gradients (a, b), at |x| < WINDOW_FIT."""
    x, p, T = sol.x, sol["p"], sol["T"]
    mu = GAS.viscosity(T, GAS.mu_ref(1.0))
    a = -4.0 / 3.0 * mu * np.gradient(sol["u"], x) / p
    b = -GAS.cp / PRANDTL * mu * np.gradient(T, x) / (p * np.sqrt(T))
    keep = np.abs(x) < WINDOW_FIT
    fluxes = np.stack([sol["sigma_xx"] / p, sol["q_x"] / (p * np.sqrt(T))], 1)
    return fluxes[keep], np.stack([a, b], 1)[keep]


class LocalClosure:
    """(a, b) = (s, q) exp(net(s/s0, (q/q0)^2) - net(0, 0)) as a NumPy function of floats
    (the fitted weights of `fit`)."""

    def __init__(self, layers, scale):
        self.layers = layers
        self.scale = scale
        self.g0 = self._g(0.0, 0.0)

    def _g(self, s, q):
        h = np.array([s / self.scale[0], (q / self.scale[1]) ** 2])
        for k, (W, b) in enumerate(self.layers):
            h = W @ h + b
            if k < len(self.layers) - 1:
                h = h / (1.0 + np.exp(-h))
        return h

    def __call__(self, s, q):
        g = np.exp(self._g(s, q) - self.g0)
        return s * g[0], q * g[1]


class Mean:
    """The members' mean gradients."""

    def __init__(self, members):
        self.members = members

    def __call__(self, s, q):
        out = np.array([m(s, q) for m in self.members])
        return tuple(out.mean(0))


def fit(fluxes, grads, width, seed, iters):
    """Least squares on the gradients, each component scaled by its spread; Adam with a
    cosine schedule.  Returns (LocalClosure, final loss, seconds)."""
    torch.manual_seed(seed)
    X = torch.tensor(fluxes)
    Y = torch.tensor(grads)
    xs, ys = X.std(0), Y.std(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, width), torch.nn.SiLU(),
                              torch.nn.Linear(width, width), torch.nn.SiLU(),
                              torch.nn.Linear(width, 2)).double()
    zero = torch.zeros(1, 2, dtype=torch.double)
    feat = torch.stack([X[:, 0] / xs[0], (X[:, 1] / xs[1]) ** 2], 1)
    opt = torch.optim.Adam(net.parameters(), 3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iters)
    t0 = time.perf_counter()
    for _ in range(iters):
        opt.zero_grad()
        pred = X * torch.exp(net(feat) - net(zero))
        loss = (((pred - Y) / ys) ** 2).mean()
        loss.backward()
        opt.step()
        sched.step()
    layers = [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy())
              for m in net if isinstance(m, torch.nn.Linear)]
    return LocalClosure(layers, xs.numpy()), loss.item(), time.perf_counter() - t0


def plot_profiles(sol, profiles, title, path):
    """rho, T, sigma_xx, q_x of the kinetic `sol` and of `profiles` {label: profile}."""
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    for ax, k in zip(axes, NAMES):
        ax.plot(sol.x, sol[k], "k-", lw=2.5, alpha=0.4, label="Shakhov (kinetic)")
        for label, prof in profiles.items():
            ax.plot(prof["x"], prof[k], label=label)
        ax.set_xlim(-15, 10)
        ax.set_xlabel(r"$x/\lambda_1$")
        ax.set_title(k)
    axes[0].legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=TITLE)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--quick", action="store_true", help="one seed, fewer iterations")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    seeds = (0,) if args.quick else (0, 1, 2, 3)
    iters, width = (1500, 32) if args.quick else (4000, 64)

    t0 = time.perf_counter()
    ref = {m: kinetic(m) for m in TRAIN + HELD_OUT}
    print(f"kinetic shocks: {time.perf_counter() - t0:.0f} s", flush=True)
    data = {m: pairs(ref[m]) for m in ref}
    fx = np.concatenate([data[m][0] for m in TRAIN])
    gx = np.concatenate([data[m][1] for m in TRAIN])

    members, notes = [], []
    for seed in seeds:
        c, loss, sec = fit(fx, gx, width, seed, iters)
        members.append(c)
        notes.append(f"seed {seed}: loss {loss:.2e}, {sec:.0f} s")
        print(notes[-1], flush=True)
    models = {f"trained, seed {s}": c for s, c in zip(seeds, members)}
    if len(members) > 1:
        models["trained, mean of the seeds"] = Mean(members)

    lines = [f"# {TITLE}", "",
             f"Shakhov, omega = 0.5; trained on M = {', '.join(map(str, TRAIN))}; width "
             f"{width}, {iters} Adam steps ({'; '.join(notes)}).  Relative L2 errors over "
             f"|x| <= {WINDOW_ERR:g} lambda_1 (`closure.metrics`).", ""]
    profiles = {}
    for mach in HELD_OUT:
        sol = ref[mach]
        kin = {k: sol[k] for k in NAMES}
        oracle, loss, _ = fit(*data[mach], width, 0, iters)
        rows = []
        for label, c in [("NSF", None), *models.items(), (f"oracle (fitted at M = {mach})",
                                                          oracle)]:
            try:
                prof = nsf_shock(mach, GAS, PRANDTL, constitutive=c)
            except bz.SolutionError as err:
                rows.append((label, f"no profile: {err}"))
                continue
            rows.append((label, profile_errors(sol.x, kin, prof["x"], prof,
                                               window=WINDOW_ERR)))
            profiles[(mach, label)] = prof
        lines += [f"## M = {mach}", "", error_table(rows), ""]
        print("\n".join(lines[-4:]), flush=True)
    (args.out / "local_closure.md").write_text("\n".join(lines) + "\n")

    plot_profiles(ref[5.5], {label: prof for (m, label), prof in profiles.items()
                             if m == 5.5 and "seed " not in label},
                  "Mach 5.5 shock (held out): local learned constitutive relations",
                  args.out / "local_closure.png")

    def fill(f):
        f.attrs["description"] = "held-out shock profiles of the local closures (ODE)"
        f.attrs["train_machs"] = np.array(TRAIN)
        f.attrs["units"] = "x in lambda_1; rho_1 = T_1 = R = 1 (boltzmann.gas)"
        for (m, label), prof in profiles.items():
            g = f.require_group(f"M{m}").create_group(label.replace("/", "-"))
            for k in ("x", *NAMES):
                write_dataset(g, k, prof[k])

    atomic_h5(args.out / "local_closure.h5", fill)
    print(f"total {time.perf_counter() - t0:.0f} s; wrote {args.out}/local_closure.*")


if __name__ == "__main__":
    main()
