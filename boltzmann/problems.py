"""Problem descriptions shared by the kinetic solver and the moment solvers.

A problem is a frozen dataclass holding its physical parameters (in the units of
`boltzmann.gas`); it knows its domain (`x_min`, `length`), its reference mean free path
(`mfp_ref`), its boundary kind ('outflow', 'periodic', 'shock'), the states its solution
visits (`states(gas)`, for sizing velocity grids), its initial macroscopic state
(`initial(x, gas)`), and serialises to flat attributes (HDF5, TOML) so that any run can be
repeated.  It does not know the model that solves it.
"""

from dataclasses import asdict, dataclass, field

import numpy as np

from .errors import InputError, check_positive
from .gas import Gas


@dataclass(frozen=True)
class State:
    """A uniform equilibrium state: density, x-velocity, temperature (units of gas.py)."""

    rho: float
    u: float
    T: float

    def __post_init__(self):
        for name in ("rho", "u", "T"):
            if not np.isfinite(getattr(self, name)):
                raise InputError(f"State: {name}={getattr(self, name)} is not finite")
        if self.rho <= 0.0:
            raise InputError(f"State: density rho={self.rho} must be positive")
        if self.T <= 0.0:
            raise InputError(f"State: temperature T={self.T} must be positive")

    @property
    def p(self) -> float:
        return self.rho * self.T


def rankine_hugoniot(mach: float, gas: Gas, upstream: State = State(1.0, 0.0, 1.0)):
    """Upstream and downstream states of a stationary normal shock of Mach number `mach`,
    in the shock frame (flow in +x).  Standard jump relations [Landau & Lifshitz, Fluid
    Mechanics, sec. 89]: rho2/rho1 = (g+1) M^2 / ((g-1) M^2 + 2),
    p2/p1 = (2 g M^2 - (g-1)) / (g+1)."""
    if not np.isfinite(mach) or mach <= 1.0:
        raise InputError(f"normal shock: Mach number {mach} must be > 1")
    g = gas.gamma
    m2 = mach * mach
    u1 = mach * np.sqrt(g * upstream.T)
    r = (g + 1.0) * m2 / ((g - 1.0) * m2 + 2.0)
    p_ratio = (2.0 * g * m2 - (g - 1.0)) / (g + 1.0)
    rho2 = upstream.rho * r
    T2 = upstream.T * p_ratio / r
    return State(upstream.rho, u1, upstream.T), State(rho2, u1 / r, T2)


@dataclass(frozen=True)
class ShockTube:
    """Riemann problem on [0, length] with a membrane at x0; free (zero-gradient) ends.

    kn: Knudsen number lambda_ref / length, lambda_ref the mean free path at rho = T = 1.
    """

    left: State = State(1.0, 0.0, 1.0)
    right: State = State(0.125, 0.0, 0.8)
    t_end: float = 0.15
    kn: float = 1e-2
    length: float = 1.0
    x0: float = 0.5
    kind: str = field(default="tube", init=False)
    boundary = "outflow"
    x_min = 0.0

    def __post_init__(self):
        check_positive(self, "t_end", "kn", "length")
        if not 0.0 < self.x0 < self.length:
            raise InputError(f"ShockTube: membrane x0={self.x0} outside (0, {self.length})")

    @classmethod
    def sod(cls, kn: float = 1e-2, t_end: float = 0.15, **kw) -> "ShockTube":
        """Sod's problem [Sod, J. Comput. Phys. 27, 1 (1978)] in these units (p = rho T):
        left (1, 0, p=1), right (0.125, 0, p=0.1)."""
        return cls(State(1.0, 0.0, 1.0), State(0.125, 0.0, 0.8), t_end=t_end, kn=kn, **kw)

    @classmethod
    def moving_shock(cls, mach: float, gas: Gas, kn: float = 1e-2, length: float = 1.0,
                     t_end=None) -> "ShockTube":
        """A tube holding a single shock of Mach number `mach` running into gas at rest
        (rho = T = 1): the left state is the Rankine-Hugoniot post-shock state in the lab
        frame, the membrane at 0.3 length. t_end defaults to the time the shock needs to
        cross 40 % of the tube."""
        up, down = rankine_hugoniot(mach, gas)
        left = State(down.rho, up.u - down.u, down.T)
        if t_end is None:
            t_end = 0.4 * length / up.u
        return cls(left, State(1.0, 0.0, 1.0), t_end=t_end, kn=kn, length=length,
                   x0=0.3 * length)

    @property
    def mfp_ref(self) -> float:
        return self.kn * self.length

    def states(self, gas: Gas):
        """The initial states and the two middle states of the exact Euler solution (a
        collision of two streams heats the gas beyond both initial temperatures)."""
        from .exact import star_states

        return (self.left, self.right) + star_states(self, gas)

    def initial(self, x, gas: Gas):
        """rho, u, T at cell centres x (arrays of x's shape)."""
        lft = np.asarray(x) < self.x0
        return tuple(np.where(lft, getattr(self.left, k), getattr(self.right, k))
                     for k in ("rho", "u", "T"))

    def to_attrs(self) -> dict:
        return _flatten(self)


@dataclass(frozen=True)
class NormalShock:
    """Stationary normal shock of Mach number `mach` in the shock frame, upstream at x < 0.

    Lengths are in the upstream mean free path lambda_1 (so Kn plays no role); the domain is
    [-upstream, downstream] and its ends hold the Rankine-Hugoniot states.  BGK-type models
    have a velocity-independent collision frequency, so fast molecules from the hot side heat
    the gas far upstream: at M = 5.5 the Shakhov precursor still has T - T_1 = 0.2 at
    x = -10 lambda_1, hence the long default upstream part; weak shocks are thick, and the
    default domain grows as 5 `thickness_estimate` when that is longer.  The steady state is
    reached by time marching until the residual max|d rho/dt| lambda_1 / (u_1 (rho_2 - rho_1))
    falls below `tol`.
    """

    mach: float = 5.5
    upstream: float | None = None
    downstream: float | None = None
    tol: float = 1e-6
    max_time: float = 2000.0
    kind: str = field(default="shock", init=False)

    def __post_init__(self):
        if not np.isfinite(self.mach) or self.mach <= 1.0:
            raise InputError(f"NormalShock: Mach number {self.mach} must be > 1")
        d = self.thickness_estimate
        if self.upstream is None:
            object.__setattr__(self, "upstream", max(35.0, 5.0 * d))
        if self.downstream is None:
            object.__setattr__(self, "downstream", max(25.0, 5.0 * d))
        check_positive(self, "upstream", "downstream", "tol", "max_time")

    @property
    def thickness_estimate(self) -> float:
        """A rough density thickness in lambda_1 for sizing grids: the Navier-Stokes weak-shock
        value 1 / (0.35 (M - 1)) (Pr = 2/3), capped below at 2 lambda_1."""
        return 1.0 / min(0.35 * (self.mach - 1.0), 0.5)

    mfp_ref = 1.0
    boundary = "shock"
    length = property(lambda self: self.upstream + self.downstream)
    x_min = property(lambda self: -self.upstream)

    def states(self, gas: Gas):
        """Upstream and downstream Rankine-Hugoniot states."""
        return rankine_hugoniot(self.mach, gas)

    def initial(self, x, gas: Gas):
        """A tanh profile of width 2 lambda_1 between the Rankine-Hugoniot states."""
        up, down = self.states(gas)
        s = 0.5 * (1.0 + np.tanh(np.asarray(x) / 2.0))
        rho = up.rho + (down.rho - up.rho) * s
        u = up.rho * up.u / rho
        T = up.T + (down.T - up.T) * s
        return rho, u, T

    def to_attrs(self) -> dict:
        return _flatten(self)


@dataclass(frozen=True)
class PeriodicWave:
    """Smooth periodic wave on [0, length) of relative amplitude `amplitude` on the uniform
    state (rho0, u0, T0), phase s = sin(2 pi x / length), at t = 0:

    mode 'entropy':  rho = rho0 (1 + a s), T = rho0 T0 / rho (uniform pressure), u = u0;
    mode 'density':  rho = rho0 (1 + a s), T = T0, u = u0 (isothermal);
    mode 'acoustic': the right-running linear sound wave rho = rho0 (1 + a s),
                     u = u0 + a c0 s, T = T0 (1 + (gamma - 1) a s), c0 = sqrt(gamma T0),
                     gamma that of the gas.
    """

    amplitude: float = 0.1
    rho0: float = 1.0
    u0: float = 0.0
    T0: float = 1.0
    t_end: float = 0.1
    kn: float = 1e-2
    length: float = 1.0
    mode: str = "acoustic"
    kind: str = field(default="wave", init=False)
    boundary = "periodic"
    x_min = 0.0

    def __post_init__(self):
        check_positive(self, "rho0", "T0", "t_end", "kn", "length")
        if not 0.0 <= self.amplitude < 0.5:
            raise InputError(f"PeriodicWave: amplitude {self.amplitude} must be in [0, 0.5)")
        if self.mode not in ("entropy", "density", "acoustic"):
            raise InputError(f"PeriodicWave: mode={self.mode!r}; "
                             "use 'entropy', 'density' or 'acoustic'")

    @property
    def mfp_ref(self) -> float:
        return self.kn * self.length

    def states(self, gas: Gas):
        """The extreme states of the wave (for sizing velocity grids)."""
        return tuple(State(*(float(a[0]) for a in self._fields(np.array([s]), gas)))
                     for s in (-1.0, 1.0))

    def _fields(self, s, gas):
        a = self.amplitude
        rho = self.rho0 * (1.0 + a * s)
        u = np.full_like(rho, self.u0)
        T = np.full_like(rho, self.T0)
        if self.mode == "entropy":
            T = self.rho0 * self.T0 / rho
        elif self.mode == "acoustic":
            u = u + a * np.sqrt(gas.gamma * self.T0) * s
            T = self.T0 * (1.0 + (gas.gamma - 1.0) * a * s)
        return rho, u, T

    def initial(self, x, gas: Gas):
        return self._fields(np.sin(2.0 * np.pi * np.asarray(x, dtype=float) / self.length), gas)

    def to_attrs(self) -> dict:
        return _flatten(self)


PROBLEMS = {"tube": ShockTube, "shock": NormalShock, "wave": PeriodicWave}


def _flatten(obj) -> dict:
    out = {}
    for key, val in asdict(obj).items():
        if isinstance(val, dict):
            out.update({f"{key}_{k}": v for k, v in val.items()})
        else:
            out[key] = val
    return out


def from_attrs(attrs: dict):
    """Rebuild a problem from the attributes written by `to_attrs` (e.g. of an HDF5 file);
    InputError names what is missing or unknown."""
    a = {k: (v.item() if hasattr(v, "item") else v) for k, v in dict(attrs).items()}
    kind = a.pop("kind", None)
    if kind not in PROBLEMS:
        raise InputError(f"problem attributes: unknown or missing kind {kind!r}; "
                         f"expected one of {sorted(PROBLEMS)}")
    cls = PROBLEMS[kind]
    try:
        if cls is ShockTube:
            left = State(a.pop("left_rho"), a.pop("left_u"), a.pop("left_T"))
            right = State(a.pop("right_rho"), a.pop("right_u"), a.pop("right_T"))
            return cls(left, right, **a)
        return cls(**a)
    except (KeyError, TypeError) as exc:
        raise InputError(f"problem attributes of kind {kind!r} are incomplete or foreign: "
                         f"{exc}") from None
