"""numba kernels of the finite-volume moment solver, one set for the classical systems.

The systems are dispatched statically by an integer code (numba caches nothing that takes a
function argument).  Conserved variables U have shape (nvar, n):

    EULER, NSF, LNSF, NLNSF:
                    (rho, rho u, rho u^2/2 + c_v rho T)
    GRAD13, R13, LR13:
                    (rho, rho u, rho u^2 + 3p, rho u^2 + p + sigma, u(rho u^2 + 5p + 2 sigma) + 2q)

`par` holds (gamma, c_v, mu_ref, omega, Pr), then per system:
- LNSF (NSF with a learned local constitutive relation, `systems.local`): the largest
  diffusivity factor and the shape (nx, ny) of the tables of the inverse map and of its
  slopes (`local_fluxes`, `local_slope`), held in `table` (4 nx, ny);
- NLNSF (NSF with non-local, gradient-enhanced fluxes, `systems.nonlocal_nsf`): w0, alpha,
  beta of sigma_xx, then of q_x, the cap kn_max of the gain's Kn, gamma of sigma_xx and of
  q_x, alpha_hot, c_sigma, kn_fade, then 1 on periodic domains (`nonlocal_fluxes`);
- LR13 (R13 with learned regularisation, `systems.lr13`): the bound and the packed weights
  of its network (`regularised`);
- LR13F (R13 with fixed per-face factors, `systems.lr13.FrozenR13`): the n + 1 factors of
  m_xxx, then the n + 1 of R_xx + Delta/3.
The Grad-family wave-speed bound reads `table`: the largest |Re lambda| of the flux Jacobian
in the gas frame, in units of sqrt(theta), over sigma/p and |q|/(p sqrt(theta))
(`systems.grad13.speed_table`).

Space: MUSCL on the conserved variables with the van Leer limiter and Rusanov's flux, plus the
system's dissipative face flux (NSF: sigma, q; R13: the regularising moments), and the Grad
family's productions with their implicit relaxation.  The time stepping is
`closure.stepping`.
"""

from pathlib import Path

import numpy as np
from numba import njit

from boltzmann import boundary
from boltzmann.boundary import outflow_state
from boltzmann.gas import MFP_FACTOR


def drop_stale_cache(module_file, *dependencies):
    """Delete the numba cache files of `module_file` (in its __pycache__) that are older than
    any of the `dependencies` (module files).  numba's cache=True checks only the source file
    of the cached function itself, while its compiled code embeds the njit functions it calls
    from other modules; without this, an edit of one of those would leave stale code behind
    (a fresh checkout has no cache and is not affected).  Best effort: files it may not
    delete are left; caches elsewhere (NUMBA_CACHE_DIR, numba's per-user fallback) and a
    dependency replaced by an older file (same or earlier mtime) are not seen."""
    here = Path(module_file)
    try:
        newest = max(Path(d).stat().st_mtime for d in dependencies)
        stale = [f for f in (here.parent / "__pycache__").glob(f"{here.stem}.*.nb[ic]")
                 if f.stat().st_mtime < newest]
    except OSError:
        return
    for f in stale:
        try:
            f.unlink()
        except OSError:  # gone already (another process), or not ours to delete
            pass


drop_stale_cache(__file__, boundary.__file__)

EULER, NSF, LNSF, NLNSF, GRAD13, R13, LR13, LR13F = 0, 1, 2, 3, 4, 5, 6, 7
# no nnan/ninf: a NaN must survive to the domain check
FAST = {"reassoc", "contract", "arcp"}
NG = 2
OUTFLOW, PERIODIC, SHOCK = 0, 1, 2
NL_FADE, NL_PERIODIC = 16, 17  # NLNSF: par indices of kn_fade and of the periodic flag
# Grad-family speed table geometry: sigma/p on [S_MIN, S_MAX], |q|/(p sqrt theta) on [0, Q_MAX]
S_MIN, S_MAX, NS = -1.0, 2.0, 61
Q_MAX, NQ = 8.0, 81
Q_RATE = 2.0 / 3.0  # heat-flux production in units of p/mu (Maxwell molecules)
# LNSF inverse-map table: x = asinh(a / A0) on [-X_MAX, X_MAX], y = asinh(|b| / B0) on [0, Y_MAX]
LOCAL_A0, LOCAL_B0, LOCAL_X_MAX, LOCAL_Y_MAX = 0.05, 0.05, 10.0, 10.0


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _grad_fields(U, j):
    rho = U[0, j]
    u = U[1, j] / rho
    p = (U[2, j] - rho * u * u) / 3.0
    s = U[3, j] - rho * u * u - p
    q = 0.5 * (U[4, j] - u * (rho * u * u + 5.0 * p + 2.0 * s))
    return rho, u, p / rho, p, s, q


@njit(cache=True, error_model="numpy", fastmath=FAST)
def primitive(code, U, j, cv):
    """rho, u, T of column j."""
    if code >= GRAD13:
        rho, u, T, _, _, _ = _grad_fields(U, j)
        return rho, u, T
    rho = U[0, j]
    u = U[1, j] / rho
    return rho, u, (U[2, j] / rho - 0.5 * u * u) / cv


@njit(cache=True, error_model="numpy", fastmath=FAST)
def set_state(code, U, j, rho, u, T, s, q, cv):
    """Write the conserved variables of (rho, u, T, sigma, q) into column j (the Euler
    family ignores sigma and q); `_grad_fields` is its inverse."""
    U[0, j] = rho
    U[1, j] = rho * u
    if code >= GRAD13:
        p = rho * T
        U[2, j] = rho * u * u + 3.0 * p
        U[3, j] = rho * u * u + p + s
        U[4, j] = u * (rho * u * u + 5.0 * p + 2.0 * s) + 2.0 * q
    else:
        U[2, j] = 0.5 * rho * u * u + cv * rho * T


@njit(cache=True, error_model="numpy", fastmath=FAST)
def flux(code, U, j, F, k, cv):
    """Hyperbolic flux of column j of U into column k of F."""
    if code >= GRAD13:
        rho, u, T, p, s, q = _grad_fields(U, j)
        F[0, k] = U[1, j]
        F[1, k] = U[3, j]
        F[2, k] = U[4, j]
        F[3, k] = rho * u**3 + 3.0 * u * (p + s) + 1.2 * q
        F[4, k] = (rho * u**4 + u * u * (8.0 * p + 5.0 * s) + 6.4 * u * q
                   + T * (5.0 * p + 7.0 * s))
    else:
        rho, u, T = primitive(code, U, j, cv)
        p = rho * T
        F[0, k] = U[1, j]
        F[1, k] = U[1, j] * u + p
        F[2, k] = u * (U[2, j] + p)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _table_speed(s_hat, q_hat, table):
    """Largest |Re lambda| / sqrt(theta) in the gas frame: bilinear interpolation of the table
    at (s_hat, |q_hat|) plus 5 % (continuous, so that steady states converge); beyond
    |q_hat| = Q_MAX it grows as |q_hat|^(1/2) (the computed growth is about |q_hat|^(1/4)),
    beyond the sigma range the edge value is scaled by 1 + the distance."""
    scale = 1.05
    if s_hat < S_MIN:
        scale *= 1.0 + (S_MIN - s_hat)
        s_hat = S_MIN
    elif s_hat > S_MAX:
        scale *= 1.0 + (s_hat - S_MAX)
        s_hat = S_MAX
    aq = abs(q_hat)
    if aq > Q_MAX:
        scale *= np.sqrt(aq / Q_MAX)
        aq = Q_MAX
    fs = (s_hat - S_MIN) / (S_MAX - S_MIN) * (NS - 1)
    fq = aq / Q_MAX * (NQ - 1)
    i = min(int(fs), NS - 2)
    k = min(int(fq), NQ - 2)
    ws = fs - i
    wq = fq - k
    m = ((1.0 - ws) * ((1.0 - wq) * table[i, k] + wq * table[i, k + 1])
         + ws * ((1.0 - wq) * table[i + 1, k] + wq * table[i + 1, k + 1]))
    return scale * m


@njit(cache=True, error_model="numpy", fastmath=FAST)
def speed(code, U, j, par, table):
    """A bound of |characteristic speeds| of column j."""
    if code >= GRAD13:
        rho, u, T, p, s, q = _grad_fields(U, j)
        c = np.sqrt(max(T, 0.0))
        return abs(u) + c * _table_speed(s / p, q / (p * c), table)
    rho, u, T = primitive(code, U, j, par[1])
    return abs(u) + np.sqrt(par[0] * max(T, 0.0))


@njit(cache=True, error_model="numpy", fastmath=FAST)
def viscosity(T, par):
    """mu = mu_ref T^omega; sqrt for hard spheres (omega = 1/2) and none for Maxwell
    molecules (omega = 1), where pow would be the hot loops' dearest operation."""
    omega = par[3]
    if omega == 0.5:
        return par[2] * np.sqrt(T)
    if omega == 1.0:
        return par[2] * T
    return par[2] * T ** omega


@njit(cache=True, error_model="numpy", fastmath=FAST)
def nsf_face(ul, tl, ur, tr, dx, par):
    """NSF's sigma = -4/3 mu du/dx and q = -(c_p mu / Pr) dT/dx at the face between cells
    (ul, tl) and (ur, tr), and the face temperature (their mean, where mu is taken)."""
    th = 0.5 * (tl + tr)
    mu = viscosity(th, par)
    return (-4.0 / 3.0 * mu * (ur - ul) / dx, -(par[1] + 1.0) * mu / par[4] * (tr - tl) / dx,
            th)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def fade(kn, par):
    """NLNSF's share phi = Kn^2 / (Kn^2 + kn_fade^2) of the gains and of the screened weight
    at a face of gradient Knudsen number Kn (1 when kn_fade = 0: no fade)."""
    s = par[NL_FADE]
    if s <= 0.0:
        return 1.0
    k2 = kn * kn
    return k2 / (k2 + s * s)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def nonlocal_face(rl, ul, tl, rr, ur, tr, dx, par):
    """NSF's sigma, q at a face times the gains 1 + phi beta Kn (Kn = lambda max(|u_x|/sqrt
    T, |T_x|/T), the gradient Knudsen number, lambda the face's mean free path, capped at
    kn_max; phi its `fade`), lambda, the capped Kn and phi."""
    sigma, q, th = nsf_face(ul, tl, ur, tr, dx, par)
    root = np.sqrt(th)
    lam = viscosity(th, par) / (MFP_FACTOR * 0.5 * (rl + rr) * root)
    kn = min(lam * max(abs(ur - ul) / root, abs(tr - tl) / th) / dx, par[11])
    phi = fade(kn, par)
    return (sigma * (1.0 + phi * par[7] * kn), q * (1.0 + phi * par[10] * kn), lam, kn,
            phi)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def tridiagonal(lo, di, up, r, x, periodic):
    """Solve the (cyclic when `periodic`) tridiagonal system lo[i] x[i-1] + di[i] x[i] +
    up[i] x[i+1] = r[i] into x, lo[0] and up[n-1] being the corners of the cyclic one (the
    Thomas algorithm, without pivoting: the matrix must be diagonally dominant; the cyclic
    one by the Sherman-Morrison correction).  r is kept."""
    n = r.size
    d = di.copy()
    g = 0.0
    if periodic:
        g = -di[0]
        d[0] -= g
        d[n - 1] -= up[n - 1] * lo[0] / g
    w = np.empty(n)
    _thomas(lo, d, up, r, x, w)
    if periodic:
        e = np.zeros(n)
        e[0] = g
        e[n - 1] = up[n - 1]
        z = np.empty(n)
        _thomas(lo, d, up, e, z, w)
        fact = (x[0] + lo[0] * x[n - 1] / g) / (1.0 + z[0] + lo[0] * z[n - 1] / g)
        for i in range(n):
            x[i] -= fact * z[i]


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _thomas(lo, d, up, r, x, w):
    n = r.size
    beta = d[0]
    x[0] = r[0] / beta
    for i in range(1, n):
        w[i] = up[i - 1] / beta
        beta = d[i] - lo[i] * w[i]
        x[i] = (r[i] - lo[i] * x[i - 1]) / beta
    for i in range(n - 2, -1, -1):
        x[i] -= w[i + 1] * x[i + 1]


@njit(cache=True, error_model="numpy", fastmath=FAST)
def screen(y, l2, m, dx, periodic, work):
    """Solve (1 - d/dx l2 d/dx) Y = y in place on m face values (spacing dx, l2 (m,) at the
    faces).  Open domains: Y = y at the end faces (the boundary faces carry the local flux,
    as NSF's do).  Periodic: faces 0 and m - 1 are one face (cyclic, `tridiagonal`).
    work: (4, m)."""
    n = m - 1 if periodic else m
    lo, di, up, r = work[0, :n], work[1, :n], work[2, :n], work[3, :n]
    h2 = 1.0 / (dx * dx)
    for i in range(n):
        e_lo = 0.5 * (l2[i - 1] + l2[i]) * h2 if i > 0 else 0.5 * (l2[n - 1] + l2[0]) * h2
        e_hi = 0.5 * (l2[i] + l2[i + 1]) * h2 if i < n - 1 else 0.5 * (l2[n - 1] + l2[0]) * h2
        lo[i] = -e_lo
        up[i] = -e_hi
        di[i] = 1.0 + e_lo + e_hi
        r[i] = y[i]
    if not periodic:
        for i in (0, m - 1):
            lo[i] = 0.0
            up[i] = 0.0
            di[i] = 1.0
    tridiagonal(lo, di, up, r, y[:n], periodic)
    if periodic:
        y[n] = y[0]


@njit(cache=True, error_model="numpy", fastmath=FAST)
def nonlocal_fluxes(W, m, dx, par, F):
    """NLNSF's dissipative flux at the m faces of W's cells (rows u, T, rho; face f between
    cells f + 1 and f + 2), added to F: per flux g = (1 - a) G + (1 - d/dx l2 d/dx)^-1 (a G)
    with the screened weight a = phi (1 - w0) (phi the face's `fade`; a = 1 - w0 without
    one), G the gain-enhanced NSF flux (`nonlocal_face`), l2 = (alpha lambda)^2 (T_hot/T)^gamma,
    T_hot = max(T, (1 - d/dx (alpha_hot lambda)^2 d/dx)^-1 T); sigma then gains
    c_sigma (lambda / sqrt T) d/dx of q's screened part (central differences; none at open
    ends, whose faces carry G alone; across the seam on periodic domains)."""
    G = np.empty((2, m))
    out = np.empty((2, m))
    lam = np.empty(m)
    th = np.empty(m)
    phi = np.empty(m)
    ratio = np.ones(m)
    l2 = np.empty(m)
    work = np.empty((4, m))
    periodic = par[NL_PERIODIC] > 0.0
    for f in range(m):
        c = f + 1
        G[0, f], G[1, f], lam[f], _, phi[f] = nonlocal_face(
            W[2, c], W[0, c], W[1, c], W[2, c + 1], W[0, c + 1], W[1, c + 1], dx, par)
        th[f] = 0.5 * (W[1, c] + W[1, c + 1])
    if par[14] > 0.0 and (par[12] > 0.0 or par[13] > 0.0):
        for f in range(m):
            ratio[f] = th[f]
            l2[f] = (par[14] * lam[f]) ** 2
        screen(ratio, l2, m, dx, periodic, work)
        for f in range(m):
            ratio[f] = max(ratio[f] / th[f], 1.0)
    for k in range(2):
        w0, alpha, gamma = par[5 + 3 * k], par[6 + 3 * k], par[12 + k]
        for f in range(m):
            a = phi[f] * (1.0 - w0)  # the screened weight
            out[k, f] = (1.0 - a) * G[k, f]
            G[k, f] *= a
            l2[f] = (alpha * lam[f]) ** 2
            if gamma > 0.0 and ratio[f] > 1.0:
                l2[f] *= ratio[f] ** gamma
        if w0 < 1.0:
            screen(G[k], l2, m, dx, periodic, work)  # G[k]: the screened part
            for f in range(m):
                out[k, f] += G[k, f]
    if par[15] != 0.0 and par[8] < 1.0:
        S = G[1]
        for f in range(m):
            if periodic:
                d = (S[1 if f == m - 1 else f + 1] - S[m - 2 if f == 0 else f - 1]) / (2.0 * dx)
            elif f == 0 or f == m - 1:
                d = 0.0  # the end faces carry the local flux G alone
            else:
                d = (S[f + 1] - S[f - 1]) / (2.0 * dx)
            out[0, f] += par[15] * lam[f] / np.sqrt(th[f]) * d
    for f in range(m):
        F[1, f] += out[0, f]
        F[2, f] += 0.5 * (W[0, f + 1] + W[0, f + 2]) * out[0, f] + out[1, f]


@njit(cache=True, error_model="numpy", fastmath=FAST)
def dissipative_flux(code, Ug, dx, par, F, W, table, slopes=None):
    """Add the dissipative flux at the n + 1 faces of the interior of Ug to F (nvar, n + 1);
    face f lies between Ug cells f + 1 and f + 2.  W (7, n + 2 NG) is work space.
    NSF: sigma = -4/3 mu du/dx, q = -(c_p mu / Pr) dT/dx; LNSF: the learned local map's
    fluxes at the NSF-normalised values of these (`local_fluxes`); R13: m_xxx,
    R_xx, Delta of `systems.r13`; LR13: R13's, scaled by the learned regularisation (`regularised`);
    mu = mu_ref T^omega at the face mean temperature.
    slopes (2, n + 1), optional, Grad family: receives d m_xxx / d m_R13 and d R / d R_R13 at
    each face, the scaled fluxes' slopes against R13's at frozen scaling coefficients (1 for
    R13, LR13F's factors, LR13's from `regularised`)."""
    ng = Ug.shape[1]
    cv = par[1]
    if code == NSF or code == LNSF or code == NLNSF:
        for c in range(ng):
            rho, u, T = primitive(code, Ug, c, cv)
            W[0, c] = u
            W[1, c] = T
            W[2, c] = rho
        if code == NLNSF:
            nonlocal_fluxes(W, ng - 2 * NG + 1, dx, par, F)
            return
        for f in range(ng - 2 * NG + 1):
            c = f + 1
            ul, tl, ur, tr = W[0, c], W[1, c], W[0, c + 1], W[1, c + 1]
            sigma, q, th = nsf_face(ul, tl, ur, tr, dx, par)
            if code == LNSF:
                pf = 0.5 * (W[2, c] + W[2, c + 1]) * th
                cf = pf * np.sqrt(th)
                s_hat, q_hat = local_fluxes(sigma / pf, q / cf, table, int(par[6]),
                                            int(par[7]))
                sigma = pf * s_hat
                q = cf * q_hat
            F[1, f] += sigma
            F[2, f] += 0.5 * (ul + ur) * sigma + q
    elif code >= R13:
        if code == LR13F and par.size != LR13_PAR + 2 * (ng - 2 * NG + 1):
            raise ValueError("LR13F: par does not hold two factors per face of this grid")
        work = np.empty(lr13_work(par) if code == LR13 else 1)
        for c in range(ng):
            rho, u, T, p, s, q = _grad_fields(Ug, c)
            W[0, c] = u
            W[1, c] = T
            W[2, c] = s / rho
            W[3, c] = q * T / rho
            W[4, c] = rho
            W[5, c] = s
            W[6, c] = q
        for f in range(ng - 2 * NG + 1):
            c = f + 1
            tl, tr = W[1, c], W[1, c + 1]
            th = 0.5 * (tl + tr)
            mu = viscosity(th, par)
            m = -1.2 * mu * (W[2, c + 1] - W[2, c]) / dx
            R = -3.2 * mu / th * (W[3, c + 1] - W[3, c]) / dx
            # Delta with q theta^(5/2) / rho = W[3] theta^(3/2)
            D = -12.0 * mu / (th * th * np.sqrt(th)) * (
                W[3, c + 1] * tr * np.sqrt(tr) - W[3, c] * tl * np.sqrt(tl)) / dx
            R = R + D / 3.0
            dm, dr = 1.0, 1.0
            if code == LR13F:
                dm = par[LR13_PAR + f]
                dr = par[LR13_PAR + ng - 2 * NG + 1 + f]
                m = m * dm
                R = R * dr
            elif code == LR13:
                pf = 0.5 * (W[4, c] + W[4, c + 1]) * th
                cf = np.sqrt(th)
                m, R, dm, dr = regularised(par, 0.5 * (W[5, c] + W[5, c + 1]) / pf,
                                           0.5 * (W[6, c] + W[6, c + 1]) / (pf * cf), m, R,
                                           pf * cf, pf * th, work)
            if slopes is not None:
                slopes[0, f] = dm
                slopes[1, f] = dr
            F[3, f] += m
            F[4, f] += (W[0, c] + W[0, c + 1]) * m + R


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _catmull_rom(t):
    t2 = t * t
    t3 = t2 * t
    return (0.5 * (-t3 + 2.0 * t2 - t), 0.5 * (3.0 * t3 - 5.0 * t2 + 2.0),
            0.5 * (-3.0 * t3 + 4.0 * t2 + t), 0.5 * (t3 - t2))


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _local_cell(a, b, nx, ny):
    """Table coordinates (fx, fy) of (a, b), clamped to the table, and the node (i, j) that
    starts their cell: x = asinh(a/A0) on [-X_MAX, X_MAX], y = asinh(|b|/B0) on [0, Y_MAX]."""
    fx = (np.arcsinh(a / LOCAL_A0) + LOCAL_X_MAX) / (2.0 * LOCAL_X_MAX) * (nx - 1)
    fy = np.arcsinh(abs(b) / LOCAL_B0) / LOCAL_Y_MAX * (ny - 1)
    fx = min(max(fx, 0.0), nx - 1.0)
    fy = min(fy, ny - 1.0)
    return fx, fy, min(int(fx), nx - 2), min(int(fy), ny - 2)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _table_weights(a, b, nx, ny):
    """The table node (i, j) that starts the cell of (a, b) and the Catmull-Rom weights
    (wx, wy) of the 4 x 4 nodes around it."""
    fx, fy, i, j = _local_cell(a, b, nx, ny)
    return i, j, _catmull_rom(fx - i), _catmull_rom(fy - j)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _table_pair(table, row, nx, ny, i, j, wx, wy, odd):
    """The bicubic values of the two tables starting at rows `row` and `row + nx` of
    `table`, both mirrored at b = 0, the second as an odd function of b when `odd` (its
    value for |b| is returned)."""
    s = 0.0
    q = 0.0
    for di in range(4):
        ii = min(max(i + di - 1, 0), nx - 1)
        for dj in range(4):
            jj = j + dj - 1
            sign = -1.0 if (odd and jj < 0) else 1.0
            jj = min(abs(jj), ny - 1)
            w = wx[di] * wy[dj]
            s += w * table[row + ii, jj]
            q += sign * w * table[row + nx + ii, jj]
    return s, q


@njit(cache=True, error_model="numpy", fastmath=FAST)
def local_fluxes(a, b, table, nx, ny):
    """(s, q) = (sigma/p, q_x/(p sqrt T)) of the learned local map's inverse
    (`closure.nn.local`) at the NSF-normalised gradients (a, b): Catmull-Rom bicubic in
    (asinh(a/A0), asinh(|b|/B0)) on rows 0..2 nx of the table (4 nx, ny) (s, then q, for
    b >= 0), s even and q odd in b (mirrored at b = 0), constant beyond the table's edges;
    NaN for a NaN input."""
    if not (a == a and b == b):
        return np.nan, np.nan
    i, j, wx, wy = _table_weights(a, b, nx, ny)
    s, q = _table_pair(table, 0, nx, ny, i, j, wx, wy, True)
    return s, q if b >= 0.0 else -q


@njit(cache=True, error_model="numpy", fastmath=FAST)
def local_fluxes_derivatives(a, b, table, nx, ny):
    """`local_fluxes` and ds/da, dq/db of the inverse map at (a, b), interpolated alike from
    rows 2 nx..4 nx of the table (both even in b) and kept at least 0 (the interpolant may
    undershoot where the nodes are positive); (s, q, ds/da, dq/db)."""
    if not (a == a and b == b):
        return np.nan, np.nan, np.nan, np.nan
    i, j, wx, wy = _table_weights(a, b, nx, ny)
    s, q = _table_pair(table, 0, nx, ny, i, j, wx, wy, True)
    sa, qb = _table_pair(table, 2 * nx, nx, ny, i, j, wx, wy, False)
    return s, q if b >= 0.0 else -q, max(sa, 0.0), max(qb, 0.0)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def local_slope(a, b, table, nx, ny):
    """The effective diffusivity factor of the explicit step bound near (a, b): 1.25 times
    the largest of ds/da and dq/db of the learned local map's inverse over the 4 x 4 table
    nodes around it (rows 2 nx..4 nx of the table), at least 1e-3.  The 1.25 covers the
    coupling: on the shipped map the largest eigenvalue of the frozen-coefficient diffusion
    matrix is at most 1.08 times NSF's coefficient times the largest diagonal entry."""
    _, _, i, j = _local_cell(a, b, nx, ny)
    out = 1e-3
    for ii in range(max(i - 1, 0), min(i + 3, nx)):
        for jj in range(max(j - 1, 0), min(j + 3, ny)):
            out = max(out, 1.25 * table[2 * nx + ii, jj], 1.25 * table[3 * nx + ii, jj])
    return out


#: offset of the network in `par` (LR13), its inputs and outputs
LR13_PAR = 5
LR13_IN, LR13_OUT = 2, 4


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _silu(z):
    return z / (1.0 + np.exp(-z)) if z > -40.0 else 0.0


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _dense(par, o, nin, nout, x, y, silu):
    """y = act(W x + b) of the layer packed in par from offset o (W (nout, nin) in C order,
    then b); returns the offset of the next layer."""
    bo = o + nin * nout
    for i in range(nout):
        acc = par[bo + i]
        for k in range(nin):
            acc += par[o + i * nin + k] * x[k]
        y[i] = _silu(acc) if silu else acc
    return bo + nout


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _mlp(par, o, h, z, out, a, b):
    """out (4,) = the LR13_IN -> h -> h -> LR13_OUT SiLU network packed in par from offset o
    at z; a, b (h,) work."""
    o = _dense(par, o, LR13_IN, h, z, a, True)
    o = _dense(par, o, h, h, a, b, True)
    _dense(par, o, h, LR13_OUT, b, out, False)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def lr13_work(par):
    """Size of the work array of `regularised`."""
    return LR13_IN + LR13_OUT + 2 * int(par[LR13_PAR + 1])


@njit(cache=True, error_model="numpy", fastmath=FAST)
def regularised(par, s_hat, q_hat, m, R, scale_m, scale_r, work):
    """R13's m_xxx and R = R_xx + Delta/3 at a face, scaled by the learned regularisation
    (`closure.nn.regularisation`): phi0 m / (1 + a |m| / scale_m) with phi0 = phi_min +
    (phi_max - phi_min) sigmoid, a = softplus (times the saturation switch, 0 or 1) of the
    network at (asinh s^, asinh(q^)^2): even in q^, so the coefficients are invariant under
    reflection (q^ -> -q^), and the fluxes increase with R13's gradient terms.  Returns the
    scaled (m, R) and their slopes d/dm, d/dR at the network's coefficients.
    par[LR13_PAR:]: phi_max, width h, phi_min, saturation switch, then the packed network;
    work: `lr13_work(par)` floats."""
    phi_max = par[LR13_PAR]
    h = int(par[LR13_PAR + 1])
    phi_min = par[LR13_PAR + 2]
    sat = par[LR13_PAR + 3]
    o = LR13_PAR + 4
    z = work[:LR13_IN]
    y0 = work[LR13_IN:LR13_IN + LR13_OUT]
    wa = work[LR13_IN + LR13_OUT:LR13_IN + LR13_OUT + h]
    wb = work[LR13_IN + LR13_OUT + h:]
    z[0] = np.arcsinh(min(max(s_hat, -50.0), 50.0))
    z[1] = np.arcsinh(min(max(q_hat, -50.0), 50.0)) ** 2
    _mlp(par, o, h, z, y0, wa, wb)
    phi_m = phi_min + (phi_max - phi_min) / (1.0 + np.exp(-y0[0]))
    phi_r = phi_min + (phi_max - phi_min) / (1.0 + np.exp(-y0[1]))
    a_m = sat * (max(y0[2], 0.0) + np.log1p(np.exp(-abs(y0[2]))))
    a_r = sat * (max(y0[3], 0.0) + np.log1p(np.exp(-abs(y0[3]))))
    gm = 1.0 / (1.0 + a_m * abs(m) / scale_m)
    gr = 1.0 / (1.0 + a_r * abs(R) / scale_r)
    return phi_m * m * gm, phi_r * R * gr, phi_m * gm * gm, phi_r * gr * gr


@njit(cache=True, error_model="numpy", fastmath=FAST)
def _vanleer(a, b):
    ab = a * b
    den = a + b if ab > 0.0 else 1.0  # selects, not branches: the loops stay vectorisable
    return 2.0 * max(ab, 0.0) / den


@njit(cache=True, error_model="numpy", fastmath=FAST)
def rhs(code, Ug, dx, par, table, out, hyperbolic=True, dissipative=True):
    """-dF/dx of the n interior cells of Ug (nvar, n + 2 NG) into out (nvar, n), F the
    hyperbolic (Rusanov) flux, the dissipative face flux, or both."""
    nvar, ng = Ug.shape
    n = ng - 2 * NG
    nf = n + 1
    F = np.zeros((nvar, nf))
    if hyperbolic:
        # phases over whole rows (each loop free of calls and branches on the data, so LLVM
        # vectorises it): speeds, limited slopes, face states, face fluxes, Rusanov
        a = np.empty(n + 2)  # cells 1 .. n + 2 of Ug
        for c in range(n + 2):
            a[c] = speed(code, Ug, c + 1, par, table)
        UL = np.empty((nvar, nf))
        UR = np.empty((nvar, nf))
        for v in range(nvar):
            row = Ug[v]
            for f in range(nf):  # face f lies between Ug cells f + 1 and f + 2
                d0 = row[f + 1] - row[f]
                d1 = row[f + 2] - row[f + 1]
                d2 = row[f + 3] - row[f + 2]
                UL[v, f] = row[f + 1] + 0.5 * _vanleer(d0, d1)
                UR[v, f] = row[f + 2] - 0.5 * _vanleer(d1, d2)
        FR = np.empty((nvar, nf))
        for f in range(nf):
            flux(code, UL, f, F, f, par[1])
        for f in range(nf):
            flux(code, UR, f, FR, f, par[1])
        for v in range(nvar):
            for f in range(nf):
                F[v, f] = 0.5 * (F[v, f] + FR[v, f]) - 0.5 * max(a[f], a[f + 1]) * (
                    UR[v, f] - UL[v, f])
    if dissipative:
        dissipative_flux(code, Ug, dx, par, F, np.empty((7, ng)), table)
    for v in range(nvar):
        for i in range(n):
            out[v, i] = -(F[v, i + 1] - F[v, i]) / dx


@njit(cache=True, error_model="numpy", fastmath=FAST)
def fill_ghosts(code, U, Ug, bc, left, down, par):
    """Copy U into Ug's interior and fill its NG ghosts on each side: zero gradient,
    periodic, or (SHOCK) the fixed upstream state `left` and the characteristic outflow
    towards the Rankine-Hugoniot state down = (rho2, u2, T2) (`boltzmann.boundary`)."""
    nvar, n = U.shape
    Ug[:, NG:NG + n] = U
    for g in range(NG):
        if bc == PERIODIC:
            Ug[:, g] = U[:, n - NG + g]
            Ug[:, NG + n + g] = U[:, g]
        elif bc == OUTFLOW:
            Ug[:, g] = U[:, 0]
            Ug[:, NG + n + g] = U[:, n - 1]
        else:
            Ug[:, g] = left
    if bc == SHOCK:
        rho, u, T = primitive(code, U, n - 1, par[1])
        rb, ub, tb = outflow_state(rho, u, T, down[0], down[1], down[2], par[0])
        for g in range(NG):
            set_state(code, Ug, NG + n + g, rb, ub, tb, 0.0, 0.0, par[1])


@njit(cache=True, error_model="numpy", fastmath=FAST)
def relaxation_rate(p, T, par):
    """p / mu(T), the rate of the Grad-family production S_sigma = -(p/mu) sigma."""
    return p / viscosity(T, par)


@njit(cache=True, error_model="numpy", fastmath=FAST)
def relax_implicit(code, U, h, par):
    """Solve U = Y + h S(U) in place (U holds Y on entry): the Maxwell-molecule productions
    S_sigma = -(p/mu) sigma, S_q = -(2/3)(p/mu) q leave rho, u, p unchanged, so the backward
    Euler step is sigma / (1 + h p/mu), q / (1 + (2/3) h p/mu)."""
    for j in range(U.shape[1]):
        rho, u, T, p, s, q = _grad_fields(U, j)
        rate = relaxation_rate(p, T, par)
        set_state(code, U, j, rho, u, T, s / (1.0 + h * rate), q / (1.0 + Q_RATE * h * rate),
                  par[1])


@njit(cache=True, error_model="numpy", fastmath=FAST)
def production(code, U, par, S):
    """S(U) of the Grad family in conserved variables (zero for rho, rho u, M2)."""
    for j in range(U.shape[1]):
        rho, u, T, p, s, q = _grad_fields(U, j)
        rate = relaxation_rate(p, T, par)
        ds = -rate * s
        S[0, j] = 0.0
        S[1, j] = 0.0
        S[2, j] = 0.0
        S[3, j] = ds
        S[4, j] = 2.0 * u * ds - 2.0 * Q_RATE * rate * q


@njit(cache=True, error_model="numpy", fastmath=FAST)
def diffusivity_coefficient(code, par):
    """D / (mu/rho) for the explicit diffusion bound: NSF max(4/3, gamma/Pr); R13 the heat
    flux's 18/5 from R + Delta/3 = -(36/5)(mu/rho) dq/dx (linear, M_xv2 ~ 2q), raised to 4
    for the coupling terms; 0 for the hyperbolic systems."""
    if code == NSF:
        return max(4.0 / 3.0, par[0] / par[4])
    if code == LNSF:
        return max(4.0 / 3.0, par[0] / par[4]) * par[5]
    if code == NLNSF:  # times the gain, in stepping.dissipative_dt
        return max(4.0 / 3.0, par[0] / par[4])
    if code == R13:
        return 4.0
    if code == LR13:
        return 4.0 * par[LR13_PAR]
    if code == LR13F:
        return 4.0 * max(1.0, par[LR13_PAR:].max())
    return 0.0


@njit(cache=True, error_model="numpy", fastmath=FAST)
def state_columns(code, rho, u, T, s, q, cv):
    """Conserved variables (nvar, n) of the 1D arrays rho, u, T, sigma, q."""
    U = np.empty((5 if code >= GRAD13 else 3, rho.size))
    for j in range(rho.size):
        set_state(code, U, j, rho[j], u[j], T[j], s[j], q[j], cv)
    return U


@njit(cache=True, error_model="numpy", fastmath=FAST)
def fields_columns(code, U, cv):
    """rho, u, T, p, sigma, q of every column, shape (6, n) (sigma = q = 0 for the Euler
    family)."""
    out = np.zeros((6, U.shape[1]))
    for j in range(U.shape[1]):
        if code >= GRAD13:
            out[0, j], out[1, j], out[2, j], out[3, j], out[4, j], out[5, j] = _grad_fields(U, j)
        else:
            out[0, j], out[1, j], out[2, j] = primitive(code, U, j, cv)
            out[3, j] = out[0, j] * out[2, j]
    return out


@njit(cache=True, error_model="numpy", fastmath=FAST)
def flux_columns(code, U, cv):
    F = np.empty_like(U)
    for j in range(U.shape[1]):
        flux(code, U, j, F, j, cv)
    return F


@njit(cache=True, error_model="numpy", fastmath=FAST)
def speed_columns(code, U, par, table):
    out = np.empty(U.shape[1])
    for j in range(U.shape[1]):
        out[j] = speed(code, U, j, par, table)
    return out
