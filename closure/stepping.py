"""Time stepping of the finite-volume moment solver (numba), apart from the space
discretisation of `closure.kernels`: the CFL and diffusion bounds, the explicit step (SSP-RK2;
ARS(2,2,2) with implicit productions for the Grad family), and for the dissipative fluxes of
time-accurate runs either a Strang split with explicit super-time-stepping (RKL2, any
dissipative system) or a linearly implicit Rosenbrock-W step (ROS2, every dissipative system
but the learned R13; for the non-local NSF with an approximate W), whose cost does not grow
with the step's diffusion number, or, for R13, no split: an IMEX step with the regularising
fluxes and the productions implicit (`imex_step`).  In all three, dt follows the CFL number alone.
"""

import numpy as np
from numba import njit

from boltzmann import boundary

from . import kernels
from .kernels import (
    FAST,
    GRAD13,
    LNSF,
    NG,
    NL_PERIODIC,
    NLNSF,
    NSF,
    OUTFLOW,
    PERIODIC,
    Q_RATE,
    R13,
    diffusivity_coefficient,
    dissipative_flux,
    drop_stale_cache,
    fill_ghosts,
    local_fluxes_derivatives,
    local_slope,
    nonlocal_face,
    nsf_face,
    primitive,
    production,
    relax_implicit,
    relaxation_rate,
    rhs,
    speed,
    tridiagonal,
    viscosity,
)

drop_stale_cache(__file__, kernels.__file__, boundary.__file__)

#: how `advance` treats the dissipative fluxes: with the explicit step under its diffusion
#: bound, Strang-split with RKL2 or ROS2, or implicit inside the IMEX step
UNSPLIT, SPLIT_RKL2, SPLIT_ROS2, IMEX = 0, 1, 2, 3


class ARS222:
    """Two-stage, second-order, L-stable, stiffly accurate IMEX Runge-Kutta scheme
    [Ascher, Ruuth & Spiteri, Appl. Numer. Math. 25, 151 (1997), section 2.6, "(2,2,2)"]:
    gamma = 1 - 1/sqrt(2), delta = 1 - 1/(2 gamma); explicit tableau c = (0, gamma, 1),
    a21 = gamma, a31 = delta, a32 = 1 - delta; implicit a22 = gamma, a32 = 1 - gamma,
    a33 = gamma; the last stage is the new solution."""

    name = "ars222"
    gamma = 1.0 - 1.0 / np.sqrt(2.0)
    delta = 1.0 - 1.0 / (2.0 * gamma)


_G = ARS222.gamma
_D = ARS222.delta


class RKL2:
    """Runge-Kutta-Legendre super-time-stepping, second order [Meyer, Balsara & Aslam,
    J. Comput. Phys. 257, 594 (2014), eqs. (16)-(18)]: s explicit stages of the dissipative
    operator M, stable for tau <= dt_FE (s^2 + s - 2) / 4, dt_FE the forward-Euler bound.
    b_j = (j^2 + j - 2) / (2 j (j + 1)) (b_0 = b_1 = 1/3), a_j = 1 - b_j, w_1 = 4/(s^2+s-2),
    mu_j = (2j - 1)/j b_j/b_(j-1), nu_j = -(j - 1)/j b_j/b_(j-2), mu~_j = w_1 mu_j
    (mu~_1 = w_1/3), gamma~_j = -a_(j-1) mu~_j;
    Y_1 = Y_0 + mu~_1 tau M Y_0,
    Y_j = mu_j Y_(j-1) + nu_j Y_(j-2) + (1 - mu_j - nu_j) Y_0 + mu~_j tau M Y_(j-1)
          + gamma~_j tau M Y_0."""

    name = "rkl2"


@njit(cache=True, error_model="numpy", fastmath=FAST)
def rkl2_stages(ratio):
    """Fewest stages (at least 2) with (s^2 + s - 2)/4 >= ratio = tau / dt_FE."""
    s = 2
    while (s * s + s - 2) / 4.0 < ratio:
        s += 1
    return s


@njit(cache=True, error_model="numpy", fastmath=FAST)
def hyperbolic_dt(code, U, dx, cfl, par, table):
    dt = np.inf
    for j in range(U.shape[1]):
        dt = min(dt, cfl * dx / speed(code, U, j, par, table))
    return dt


@njit(cache=True, error_model="numpy", fastmath=FAST)
def dissipative_dt(code, U, dx, par, table):
    """Forward-Euler bound dx^2 / (2 D) of the dissipative operator (inf if there is none).
    LNSF: D at each face from the local slope of the learned map (`local_slope`) at the
    face's NSF-normalised gradients, not from the table's largest; NLNSF: NSF's D times the
    face's gain bound."""
    kd = diffusivity_coefficient(code, par)
    dt = np.inf
    if code == LNSF:
        kd = diffusivity_coefficient(NSF, par)  # times the local slope, not the largest
        nx, ny = int(par[6]), int(par[7])
        for j in range(U.shape[1] - 1):
            rl, ul, tl = primitive(code, U, j, par[1])
            rr, ur, tr = primitive(code, U, j + 1, par[1])
            sigma, q, th = nsf_face(ul, tl, ur, tr, dx, par)
            pf = 0.5 * (rl + rr) * th
            slope = local_slope(sigma / pf, q / (pf * np.sqrt(th)), table, nx, ny)
            dt = min(dt, dx * dx * min(rl, rr) / (2.0 * kd * slope
                                                   * viscosity(max(tl, tr), par)))
    elif code == NLNSF:
        # per flux: the gain's slope in its own gradient is at most 1 + 2 beta Kn (one more
        # beta Kn for the other gradient's share of Kn), and at the grid's wavenumbers the
        # screened part damps as (1 - w0) / (1 + 4 l^2 / dx^2), so NSF's bound is scaled by
        # (1 + 3 beta Kn) (w0 + (1 - w0) min(1, dx^2 / (4 l^2))) (tested against the
        # Jacobian's eigenvalues on shock profiles); unscreened next to the domain's ends,
        # whose faces carry G itself; l = alpha lambda, the shortest the hot-molecule factor
        # (T_hot / T)^(gamma/2) >= 1 allows, which gives the largest factor.  With a fade
        # phi(Kn) (`kernels.fade`) the gain's slope takes (4 phi - 2 phi^2) beta Kn in place
        # of 2 beta Kn (phi' Kn = 2 phi (1 - phi)) and the screened weight is phi (1 - w0)
        for j in range(U.shape[1] - 1):
            rl, ul, tl = primitive(code, U, j, par[1])
            rr, ur, tr = primitive(code, U, j + 1, par[1])
            _, _, lam, kn, phi = nonlocal_face(rl, ul, tl, rr, ur, tr, dx, par)
            factor = 0.0
            for k in range(2):
                w0, alpha, beta = par[5 + 3 * k], par[6 + 3 * k], par[7 + 3 * k]
                ell = alpha * lam
                screened = 1.0 if 4.0 * ell * ell < dx * dx else dx * dx / (4.0 * ell * ell)
                if (j == 0 or j == U.shape[1] - 2) and par[NL_PERIODIC] == 0.0:  # open ends
                    screened = 1.0
                a = phi * (1.0 - w0)
                factor = max(factor, (1.0 + (5.0 * phi - 2.0 * phi * phi) * beta * kn)
                             * (1.0 - a + a * screened))
            dt = min(dt, dx * dx * min(rl, rr) / (2.0 * kd * factor
                                                   * viscosity(max(tl, tr), par)))
    elif kd > 0.0:
        for j in range(U.shape[1]):
            rho, u, T = primitive(code, U, j, par[1])
            dt = min(dt, dx * dx * rho / (2.0 * kd * viscosity(T, par)))
    return dt


@njit(cache=True, error_model="numpy", fastmath=FAST)
def rkl2(code, U, tau, dt_fe, dx, bc, left, down, par, table, Ug, M0, M, Ya, Yb):
    """Advance the dissipative part over tau in place (class RKL2); returns the stages."""
    s = rkl2_stages(tau / dt_fe)
    w1 = 4.0 / (s * s + s - 2.0)
    fill_ghosts(code, U, Ug, bc, left, down, par)
    rhs(code, Ug, dx, par, table, M0, False, True)
    Ya[:] = U  # Y_(j-2)
    Yb[:] = U + (w1 / 3.0) * tau * M0  # Y_(j-1)
    b2, b1 = 1.0 / 3.0, 1.0 / 3.0  # b_(j-2), b_(j-1)
    for j in range(2, s + 1):
        bj = (j * j + j - 2.0) / (2.0 * j * (j + 1.0))
        mu = (2.0 * j - 1.0) / j * bj / b1
        nu = -(j - 1.0) / j * bj / b2
        fill_ghosts(code, Yb, Ug, bc, left, down, par)
        rhs(code, Ug, dx, par, table, M, False, True)
        c0 = 1.0 - mu - nu
        cm = mu * w1 * tau
        cm0 = -(1.0 - b1) * cm
        for v in range(U.shape[0]):
            for i in range(U.shape[1]):
                y = (mu * Yb[v, i] + nu * Ya[v, i] + c0 * U[v, i] + cm * M[v, i]
                     + cm0 * M0[v, i])
                Ya[v, i] = Yb[v, i]
                Yb[v, i] = y
        b2, b1 = b1, bj
    U[:] = Yb
    return s


class ROS2:
    """Two-stage, second-order linearly implicit Rosenbrock scheme [Verwer, Spee, Blom &
    Hundsdorfer, SIAM J. Sci. Comput. 20, 1456 (1999), section 2], L-stable when W is the
    Jacobian:
    gamma = 1 + 1/sqrt(2),
    (I - gamma tau W) k1 = M(Y0),
    (I - gamma tau W) k2 = M(Y0 + tau k1) - 2 k1,
    Y1 = Y0 + tau (3 k1 + k2) / 2.
    It is second order for any matrix W (a W-method: the W terms cancel in the tau^2 term of
    Y1), so W may be an approximate Jacobian; here the flux-form linearisation of `ros2`,
    which also keeps the step conservative.  With an approximate W the parts of the Jacobian
    it leaves out (mu(T), sigma du, the local map's off-diagonal slopes) are treated
    explicitly in effect, so no stability is guaranteed for them; the split step's fallback
    (`advance`) covers a step that leaves the domain."""

    name = "ros2"
    gamma = 1.0 + 1.0 / np.sqrt(2.0)


_ROS2_GAMMA = ROS2.gamma


@njit(cache=True, error_model="numpy", fastmath=FAST)
def dissipation_and_jacobian(code, Ug, dx, par, table, M, A, BL, BR, uf, dy, e):
    """The dissipative part of rhs (M, (nvar, n)) and the flux-form linearisation W of
    `ros2` at the n + 1 faces of Ug's interior (face f between Ug cells f + 1 and f + 2) and
    its n cells, at fixed density, velocity and face coefficients.  Two unknowns per cell:
    x, whose jump drives the first dissipative flux G_a (row a), and y, whose jumps drive
    the second's own part G_b (row b), G_b = uf G_a + (own part):
    dG_a = -A (x_R - x_L)/dx, d(own part) = -(BR y_R - BL y_L)/dx, and the cell's changes
    k_a = rho x, k_b = dy y + e k_a.
    - NSF, LNSF (rows 1, 2): x, y the changes of u, T; G_a = sigma, own part q;
      A = 4/3 mu ds/da, BL = BR = (c_p mu / Pr) dq/db (1 for NSF, the local map's from
      `local_fluxes_derivatives`), uf = (u_L + u_R)/2, dy = rho c_v, e = u.
    - R13, LR13F, LR13 (rows 3, 4): x, y the changes of sigma/rho and q theta/rho;
      G_a = m_xxx, own part R_xx + Delta/3 (`kernels.dissipative_flux`); A = 6/5 mu,
      BL,R = 16/5 mu/theta + 4 mu theta_(L,R)^(3/2) / theta^(5/2) (theta the face value),
      times the slopes of the scaled fluxes (LR13F's factors; LR13's network at frozen
      coefficients), uf = u_L + u_R, dy = 2 rho / theta, e = 2 u."""
    nf = Ug.shape[1] - 2 * NG + 1
    n = nf - 1
    if code >= R13:
        F = np.zeros((M.shape[0], nf))
        slopes = np.empty((2, nf))
        W = np.empty((7, Ug.shape[1]))  # holds u, T, ..., rho of every Ug cell afterwards
        dissipative_flux(code, Ug, dx, par, F, W, table, slopes)
        for v in range(M.shape[0]):
            for i in range(n):
                M[v, i] = -(F[v, i + 1] - F[v, i]) / dx
        for f in range(nf):
            ul, tl, ur, tr = W[0, f + 1], W[1, f + 1], W[0, f + 2], W[1, f + 2]
            th = 0.5 * (tl + tr)
            mu = viscosity(th, par)
            fm, fr = slopes[0, f], slopes[1, f]
            A[f] = 1.2 * mu * fm
            d = 4.0 * mu / (th * th * np.sqrt(th))
            BL[f] = (3.2 * mu / th + d * tl * np.sqrt(tl)) * fr
            BR[f] = (3.2 * mu / th + d * tr * np.sqrt(tr)) * fr
            uf[f] = ul + ur
        for i in range(n):
            dy[i] = 2.0 * W[4, i + NG] / W[1, i + NG]
            e[i] = 2.0 * W[0, i + NG]
        return
    if code == NLNSF:
        _nonlocal_linearisation(Ug, dx, par, table, M, A, BL, BR, uf, dy, e)
        return
    nx, ny = int(par[6]), int(par[7])
    F1 = np.empty(nf)
    F2 = np.empty(nf)
    for f in range(nf):
        rl, ul, tl = primitive(code, Ug, f + 1, par[1])
        rr, ur, tr = primitive(code, Ug, f + 2, par[1])
        sigma, q, th = nsf_face(ul, tl, ur, tr, dx, par)
        mu = viscosity(th, par)
        sa, qb = 1.0, 1.0
        if code == LNSF:
            pf = 0.5 * (rl + rr) * th
            cf = pf * np.sqrt(th)
            s_hat, q_hat, sa, qb = local_fluxes_derivatives(sigma / pf, q / cf, table, nx, ny)
            sigma = pf * s_hat
            q = cf * q_hat
        A[f] = 4.0 / 3.0 * mu * sa
        BL[f] = (par[1] + 1.0) * mu / par[4] * qb
        BR[f] = BL[f]
        uf[f] = 0.5 * (ul + ur)
        F1[f] = sigma
        F2[f] = uf[f] * sigma + q
    for i in range(n):
        rho, u, T = primitive(code, Ug, i + NG, par[1])
        dy[i] = rho * par[1]
        e[i] = u
        M[0, i] = 0.0
        M[1, i] = -(F1[i + 1] - F1[i]) / dx
        M[2, i] = -(F2[i + 1] - F2[i]) / dx


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _linearised_share(par, k, lam, kn, phi, dx, end):
    """Flux k's factor on NSF's coefficient in NLNSF's W (`_nonlocal_linearisation`): the
    gain's slope in its own gradient, 1 + (4 phi - 2 phi^2) beta Kn (1 + 2 beta Kn without a
    fade), or 1 + phi beta Kn where the cap kn_max binds (the gain is then a fixed factor),
    times the part of the flux left at the grid's highest wavenumber."""
    w0, alpha, beta = par[5 + 3 * k], par[6 + 3 * k], par[7 + 3 * k]
    ell = alpha * lam
    left = 1.0 if end else 1.0 / (1.0 + 4.0 * ell * ell / (dx * dx))
    a = phi * (1.0 - w0)
    slope = phi if kn >= par[11] else 4.0 * phi - 2.0 * phi * phi
    return (1.0 + slope * beta * kn) * (1.0 - a + a * left)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _nonlocal_linearisation(Ug, dx, par, table, M, A, BL, BR, uf, dy, e):
    """`dissipation_and_jacobian` of NLNSF: M from its non-local fluxes; W that of NSF with
    each face's coefficient scaled by the flux's gain slope in its own gradient (1 + 2 beta
    Kn without a fade, `_linearised_share`), times the part of the flux left at the grid's
    highest wavenumber, 1 - a + a / (1 + 4 l^2 / dx^2) with l = alpha lambda and the
    screened weight a = phi (1 - w0) (1 at the end faces of open domains, which carry G; on
    periodic ones the seam face is screened like the others).  That W is exact
    for neither the screened part's low wavenumbers nor T_hot and the coupling; ROS2 keeps
    its classical order two for any W (the W terms cancel to O(h^3) in its expansion), so
    W need only damp the stiff, high-wavenumber modes; at stiff step sizes (tau >> the
    explicit bound) its error is not of that order, as for any W."""
    nf = Ug.shape[1] - 2 * NG + 1
    n = nf - 1
    F = np.zeros((M.shape[0], nf))
    W = np.empty((7, Ug.shape[1]))  # holds u, T, rho of every Ug cell afterwards
    dissipative_flux(NLNSF, Ug, dx, par, F, W, table)
    for v in range(M.shape[0]):
        for i in range(n):
            M[v, i] = -(F[v, i + 1] - F[v, i]) / dx
    for f in range(nf):
        ul, tl, rl = W[0, f + 1], W[1, f + 1], W[2, f + 1]
        ur, tr, rr = W[0, f + 2], W[1, f + 2], W[2, f + 2]
        _, _, lam, kn, phi = nonlocal_face(rl, ul, tl, rr, ur, tr, dx, par)
        mu = viscosity(0.5 * (tl + tr), par)
        end = (f == 0 or f == nf - 1) and par[NL_PERIODIC] == 0.0  # open ends carry G itself
        A[f] = 4.0 / 3.0 * mu * _linearised_share(par, 0, lam, kn, phi, dx, end)
        BL[f] = (par[1] + 1.0) * mu / par[4] * _linearised_share(par, 1, lam, kn, phi, dx,
                                                                  end)
        BR[f] = BL[f]
        uf[f] = 0.5 * (ul + ur)
    for i in range(n):
        dy[i] = W[2, i + NG] * par[1]
        e[i] = W[0, i + NG]


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _ros2_solve(U, c, dx, bc, ra, A, BL, BR, uf, dy, e, hx, hy, r, k, lo, di, up, x,
                y):
    """k = (I - c dx W)^-1 r for the W of `dissipation_and_jacobian` (c = gamma tau / dx),
    its unknowns in rows ra, ra + 1 (the other rows: k = r): first x from the tridiagonal
    rows of G_a, then y from those of G_b given the flux changes of G_a.  hx, hy (per cell)
    add a relaxation of the two unknowns, the Grad family's productions in an implicit
    stage of length h = c dx (`imex_step`): dS_a = -(hx/h) k_a, dS_b = e dS_a - (hy/h) dy y
    (zero for ROS2).  On periodic domains the systems are cyclic; a shock's boundary states
    are held (their changes taken as zero); zero-gradient ends carry no flux (A, BL, BR are
    zeroed there)."""
    n = U.shape[1]
    rb = ra + 1
    periodic = bc == PERIODIC
    if bc == OUTFLOW:  # the ghosts copy the end cells: no flux through the ends
        for f in (0, n):
            A[f] = 0.0
            BL[f] = 0.0
            BR[f] = 0.0
    for i in range(n):
        lo[i] = -c * A[i] / dx
        up[i] = -c * A[i + 1] / dx
        di[i] = U[0, i] * (1.0 + hx[i]) + c * (A[i] + A[i + 1]) / dx
    tridiagonal(lo, di, up, r[ra], x, periodic)
    for v in range(U.shape[0]):
        for i in range(n):
            k[v, i] = r[v, i]
    for i in range(n):
        k[ra, i] = U[0, i] * x[i]
    for i in range(n):
        gl = _flux_change(A, x, i, n, periodic, dx)
        gr = _flux_change(A, x, i + 1, n, periodic, dx)
        lo[i] = -c * BL[i] / dx
        up[i] = -c * BR[i + 1] / dx
        di[i] = dy[i] * (1.0 + hy[i]) + c * (BR[i] + BL[i + 1]) / dx
        y[i] = r[rb, i] - e[i] * k[ra, i] * (1.0 + hx[i]) - c * (uf[i + 1] * gr - uf[i] * gl)
    tridiagonal(lo, di, up, y.copy(), y, periodic)
    for i in range(n):
        k[rb, i] = dy[i] * y[i] + e[i] * k[ra, i]


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _flux_change(A, x, f, n, periodic, dx):
    """-A_f (x_R - x_L) / dx at face f (between cells f - 1 and f); beyond the ends the
    neighbour is the periodic image, or held (change zero)."""
    xl = x[f - 1] if f > 0 else (x[n - 1] if periodic else 0.0)
    xr = x[f] if f < n else (x[0] if periodic else 0.0)
    return -A[f] * (xr - xl) / dx


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _solve_work(n):
    """Work arrays of one stage solve on n cells: the face coefficients A, BL, BR, uf
    (n + 1,), then dy, e, hx, hy (hx = hy = 0), lo, di, up, x, y (n,)."""
    faces = np.empty((4, n + 1))
    cells = np.empty((9, n))
    cells[2:4] = 0.0
    return (faces[0], faces[1], faces[2], faces[3], cells[0], cells[1], cells[2], cells[3],
            cells[4], cells[5], cells[6], cells[7], cells[8])


@njit(cache=True, error_model="numpy", fastmath=FAST)
def ros2(code, U, tau, dx, bc, left, down, par, table, Ug, M0, M, Y, K1):
    """Advance the dissipative part of NSF, LNSF, NLNSF, R13 or LR13F over tau in place (class
    ROS2; two linear solves).  W is the flux-form linearisation of
    `dissipation_and_jacobian`: two scalar tridiagonal systems per stage, and every stage a
    flux difference, so mass, momentum and energy (and the other moments' fluxes) stay
    conservative."""
    nvar, n = U.shape
    A, BL, BR, uf, dy, e, h0, h0, lo, di, up, x, y = _solve_work(n)
    ra = 1 if code < GRAD13 else 3
    c = _ROS2_GAMMA * tau / dx
    fill_ghosts(code, U, Ug, bc, left, down, par)
    dissipation_and_jacobian(code, Ug, dx, par, table, M0, A, BL, BR, uf, dy, e)
    _ros2_solve(U, c, dx, bc, ra, A, BL, BR, uf, dy, e, h0, h0, M0, K1, lo, di, up, x, y)
    for v in range(nvar):
        for i in range(n):
            Y[v, i] = U[v, i] + tau * K1[v, i]
    fill_ghosts(code, Y, Ug, bc, left, down, par)
    rhs(code, Ug, dx, par, table, M, False, True)
    for v in range(nvar):
        for i in range(n):
            M[v, i] -= 2.0 * K1[v, i]
    _ros2_solve(U, c, dx, bc, ra, A, BL, BR, uf, dy, e, h0, h0, M, M0, lo, di, up, x, y)
    for v in range(nvar):
        for i in range(n):
            U[v, i] += tau * (1.5 * K1[v, i] + 0.5 * M0[v, i])
    return 2


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _implicit_stage(code, U, h, dx, bc, left, down, par, table, Ug, M, K):
    """U <- U + k, (I - h W) k = h (D(U) + S(U)): one linearised backward-Euler stage of
    length h of the dissipative fluxes D (W of `dissipation_and_jacobian`) and, for the Grad
    family, the productions S (exactly linear in sigma, q at the stage's fixed rho, u, p).
    For R13 the stage equation is linear in the two unknowns, so this solves it exactly."""
    nvar, n = U.shape
    A, BL, BR, uf, dy, e, hx, hy, lo, di, up, x, y = _solve_work(n)
    fill_ghosts(code, U, Ug, bc, left, down, par)
    dissipation_and_jacobian(code, Ug, dx, par, table, M, A, BL, BR, uf, dy, e)
    if code >= GRAD13:
        production(code, U, par, K)
        for i in range(n):
            M[3, i] += K[3, i]
            M[4, i] += K[4, i]
            rho, u, T = primitive(code, U, i, par[1])
            rate = relaxation_rate(rho * T, T, par)
            hx[i] = h * rate
            hy[i] = h * Q_RATE * rate
    for v in range(nvar):
        for i in range(n):
            M[v, i] *= h
    _ros2_solve(U, h / dx, dx, bc, 1 if code < GRAD13 else 3, A, BL, BR, uf, dy, e, hx, hy,
                M, K, lo, di, up, x, y)
    for v in range(nvar):
        for i in range(n):
            U[v, i] += K[v, i]


@njit(cache=True, error_model="numpy", fastmath=FAST)
def imex_step(code, U, dt, dx, bc, left, down, par, table, Ug, K0, K1, Z1, U0):
    """One ARS(2,2,2) step with the hyperbolic fluxes explicit and the dissipative fluxes
    (with the Grad family's productions) implicit, each implicit stage one linearised solve
    (`_implicit_stage`): no splitting, dt from the CFL number alone.
    Y1 = U0 + gamma dt H(U0), U1 = Y1 + gamma dt G(U1); Y2 = U0 + dt (delta H(U0)
    + (1 - delta) H(U1) + (1 - gamma) G(U1)), U2 = Y2 + gamma dt G(U2), G = D + S."""
    nvar, n = U.shape
    h = _G * dt
    fill_ghosts(code, U, Ug, bc, left, down, par)
    rhs(code, Ug, dx, par, table, K0, True, False)
    for v in range(nvar):
        for i in range(n):
            U0[v, i] = U[v, i]
            U[v, i] += h * K0[v, i]
    _implicit_stage(code, U, h, dx, bc, left, down, par, table, Ug, Z1, K1)
    fill_ghosts(code, U, Ug, bc, left, down, par)
    rhs(code, Ug, dx, par, table, K1, True, False)
    rhs(code, Ug, dx, par, table, Z1, False, True)
    if code >= GRAD13:
        S = np.empty((nvar, n))
        production(code, U, par, S)
        for v in range(nvar):
            for i in range(n):
                Z1[v, i] += S[v, i]
    for v in range(nvar):
        for i in range(n):
            U[v, i] = U0[v, i] + dt * (_D * K0[v, i] + (1.0 - _D) * K1[v, i]
                                       + (1.0 - _G) * Z1[v, i])
    _implicit_stage(code, U, h, dx, bc, left, down, par, table, Ug, Z1, K1)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def explicit_step(code, U, dt, dx, bc, left, down, par, table, Ug, K0, K1, S1, U0,
                  dissipative):
    """The hyperbolic part (with the dissipative fluxes if `dissipative`) and the productions
    over dt in place: SSP-RK2 (Euler, NSF) or ARS(2,2,2) with implicit productions (Grad
    family).  Ug, K0, K1, S1, U0 are work arrays."""
    nvar, n = U.shape
    fill_ghosts(code, U, Ug, bc, left, down, par)
    rhs(code, Ug, dx, par, table, K0, True, dissipative)
    c1 = dt if code < GRAD13 else _G * dt
    for v in range(nvar):
        for i in range(n):
            U0[v, i] = U[v, i]
            U[v, i] += c1 * K0[v, i]
    if code < GRAD13:
        fill_ghosts(code, U, Ug, bc, left, down, par)
        rhs(code, Ug, dx, par, table, K1, True, dissipative)
        for v in range(nvar):
            for i in range(n):
                U[v, i] = 0.5 * U0[v, i] + 0.5 * (U[v, i] + dt * K1[v, i])
        return
    relax_implicit(code, U, _G * dt, par)
    production(code, U, par, S1)
    fill_ghosts(code, U, Ug, bc, left, down, par)
    rhs(code, Ug, dx, par, table, K1, True, dissipative)
    U[:] = U0 + dt * (_D * K0 + (1.0 - _D) * K1 + (1.0 - _G) * S1)
    relax_implicit(code, U, _G * dt, par)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def admissible(code, U, cv):
    """True when every column of U is finite with rho > 0 and T > 0."""
    for j in range(U.shape[1]):
        for v in range(U.shape[0]):
            if not np.isfinite(U[v, j]):
                return False
        rho, _, T = primitive(code, U, j, cv)
        if not (rho > 0.0 and T > 0.0):
            return False
    return True


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _merged_steps(code, U, t, t_end, max_steps, dx, cfl, bc, left, down, par, table,
                  merge_limit, Ug, K0, K1, S1, U0, Ya, Yb):
    """Strang-split steps with ROS2 whose adjacent dissipative half steps are taken as one
    solve while the first of them spans at most merge_limit forward-Euler bounds
    (`dissipative_dt`): D(dt_1/2) H(dt_1) D((dt_1 + dt_2)/2) H(dt_2) ... H(dt_k) D(dt_k/2).
    At the end of the call that is the composition of the k split steps of `advance` up to
    the local error of each dissipative solve, with one solve per step instead of two.
    Stiffer half steps are solved alone: ROS2's stability function falls as 0.83/|z| for
    large |z| = tau |lambda|, so one solve of twice the length damps a mode 7x less than two
    at |z| = 10 and 60x less at |z| = 100, which left grid-scale noise in q_x at Kn >= 0.1;
    the default limit of 20 bounds (|z| up to 40 for the half step, about twice that for
    the merged solve) was chosen on measurements (docs/moment_systems.md).  dt follows the
    state after the half steps solved alone, as in `advance`, so merge_limit = 0 gives its
    step sequence; after a merged solve dt comes from the state before it (H then acts on
    the state after a solve of about dt instead of dt/2).  Returns (t, steps, stages, ok);
    ok is False when a state left the domain or a step vanished (the caller takes the chunk
    again step by step)."""
    k = 0
    stages = 0
    owed = 0.0  # the trailing half step of the previous step
    while k < max_steps and t < t_end * (1.0 - 1e-14):
        if owed > 0.0 and (merge_limit <= 0.0
                           or owed > merge_limit * dissipative_dt(code, U, dx, par, table)):
            stages += ros2(code, U, owed, dx, bc, left, down, par, table, Ug, K0, K1, Ya, Yb)
            owed = 0.0
            if not admissible(code, U, par[1]):
                return t, k, stages, False
        dt = min(hyperbolic_dt(code, U, dx, cfl, par, table), t_end - t)
        if not dt > 0.0:
            return t, k, stages, False
        stages += ros2(code, U, owed + 0.5 * dt, dx, bc, left, down, par, table, Ug, K0, K1,
                       Ya, Yb)
        explicit_step(code, U, dt, dx, bc, left, down, par, table, Ug, K0, K1, S1, U0, False)
        owed = 0.5 * dt
        t += dt
        k += 1
        if not admissible(code, U, par[1]):
            return t, k, stages, False
    if owed > 0.0:
        stages += ros2(code, U, owed, dx, bc, left, down, par, table, Ug, K0, K1, Ya, Yb)
    return t, k, stages, admissible(code, U, par[1])


@njit(cache=True, error_model="numpy", fastmath=FAST)
def advance(code, U, t, t_end, max_steps, dx, cfl, bc, left, down, par, table, split,
            merge_limit=0.0):
    """Up to max_steps steps towards t_end (stops early at t_end, at a non-positive or NaN
    step, or at a step that leaves the domain, so the caller's check reports that time);
    returns the new time, the number of steps, of dissipative stages (RKL2 stages, or two
    per ROS2 solve; those of steps taken again are counted) and of split steps taken
    again unsplit.

    split (UNSPLIT, SPLIT_RKL2, SPLIT_ROS2, IMEX): IMEX takes `imex_step` (R13, LR13F),
    checked like a split step.  With a split, a step of a dissipative system is
    Strang-split [Strang 1968]: the dissipative part over dt/2 (RKL2, or ROS2 for every
    dissipative system but LR13), the hyperbolic step over dt, the dissipative part over
    dt/2, with dt from the CFL number alone; adjacent ROS2 half steps that are not stiff
    (each at most merge_limit forward-Euler bounds) are taken as one solve
    (`_merged_steps`), and a chunk in which a state leaves the domain is taken again step
    by step (RKL2 keeps its half steps: merged, a Sod tube's gap to the unsplit run fell
    only 2x, not the 2.5x or more of the unmerged split, when the step halved).  Unsplit,
    the dissipative fluxes join the explicit step and dt also obeys the diffusion bound;
    its fixed points are exactly the steady states of the semi-discrete equations (a split
    step's depend on dt), so steady shocks use it.  Neither RKL2 nor ROS2 preserves
    positivity: a split step that leaves the domain (steep initial jumps at large Kn) is
    taken again unsplit, with the diffusion-bounded dt.  Systems without dissipative
    fluxes ignore `split`."""
    nvar, n = U.shape
    Ug = np.empty((nvar, n + 2 * NG))
    K0 = np.empty((nvar, n))
    K1 = np.empty((nvar, n))
    S1 = np.empty((nvar, n))
    U0 = np.empty((nvar, n))
    Ya = np.empty((nvar, n))
    Yb = np.empty((nvar, n))
    Us = np.empty((nvar, n))
    dissipative = diffusivity_coefficient(code, par) > 0.0
    if dissipative and split == IMEX and not code >= R13:
        raise ValueError("IMEX: the R13 family only (FVSolver allows R13 and LR13F)")
    k = 0
    stages = 0
    retaken = 0
    if dissipative and split == SPLIT_ROS2:
        Us[:] = U
        t1, k1, stages, ok = _merged_steps(code, U, t, t_end, max_steps, dx, cfl, bc, left,
                                           down, par, table, merge_limit, Ug, K0, K1, S1, U0,
                                           Ya, Yb)
        if ok:
            return t1, k1, stages, 0
        U[:] = Us  # the chunk again, step by step, retaking the steps that leave the domain
    while k < max_steps and t < t_end * (1.0 - 1e-14):
        dt = min(hyperbolic_dt(code, U, dx, cfl, par, table), t_end - t)
        super_steps = split != UNSPLIT and dissipative
        if dissipative and not super_steps:
            dt = min(dt, cfl * dissipative_dt(code, U, dx, par, table))
        if not dt > 0.0:
            break
        if super_steps:
            Us[:] = U
            if split == IMEX:
                imex_step(code, U, dt, dx, bc, left, down, par, table, Ug, K0, K1, S1, U0)
                stages += 2
            for half in range(2 if split != IMEX else 0):
                if half == 1:
                    explicit_step(code, U, dt, dx, bc, left, down, par, table, Ug, K0, K1, S1,
                                  U0, False)
                if split == SPLIT_ROS2:
                    stages += ros2(code, U, 0.5 * dt, dx, bc, left, down, par, table, Ug, K0,
                                   K1, Ya, Yb)
                else:
                    dt_fe = cfl * dissipative_dt(code, U, dx, par, table)
                    stages += rkl2(code, U, 0.5 * dt, dt_fe, dx, bc, left, down, par, table,
                                   Ug, K0, K1, Ya, Yb)
            if not admissible(code, U, par[1]):
                U[:] = Us
                retaken += 1
                dt = min(dt, cfl * dissipative_dt(code, U, dx, par, table))
                explicit_step(code, U, dt, dx, bc, left, down, par, table, Ug, K0, K1, S1,
                              U0, True)
        else:
            explicit_step(code, U, dt, dx, bc, left, down, par, table, Ug, K0, K1, S1, U0,
                          dissipative)
        t += dt
        k += 1
        if not admissible(code, U, par[1]):
            break
    return t, k, stages, retaken
