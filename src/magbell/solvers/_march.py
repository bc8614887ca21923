"""Conditional (postselected) evolution on renormalised scales, solver side: the time plan, the σz-block
propagation of H_eff (:func:`march_blocks`), log-scaled success probabilities and the exact mean-splitting
phases. The propagation itself is the backend's one propagator in its scaled variant
(``bk.propagate(G, x0, None, scaled=True, steps=..., which=...)``, :mod:`magbell.backend._scaled`), whose
exponentials are the backend's one Padé ``expm``. Used by :func:`magbell.postselect`,
:func:`magbell.conditional_evolve` and :func:`magbell.monitor` (docs/postselection.md, "Numerics")."""


import numpy as np

from ..errors import InvalidParameterError
from ..system._basis import COEFFICIENT_NAMES
from ..backend import get_backend
# the scaled propagator's pieces, re-exported for the solvers that name them (monitor, N-site postselect)
from ..backend._scaled import (  # noqa: F401
    DIRECT_SUBSTEPS,
    MAX_EXPONENT_NORM,
    MAX_STEP_NORM,
    MAX_SUBSTEPS,
    _NO_SCALE,
    _renorm,
    scaled_expm,
    step_plan,
    substeps,
)

_LN2 = float(np.log(2.0))


def _backend(bk):
    """The backend passed down by a solver (``bk``), or the default one."""
    return get_backend() if bk is None else bk


def march(G: np.ndarray, x0: np.ndarray, steps: np.ndarray, which: np.ndarray, split: bool = False, bk=None):
    """``exp(G t_k) x0`` in scaled form ``(X, LS)`` through the backend's propagator (``scaled=True``); see
    :func:`magbell.backend._scaled.propagate_scaled` for shapes and the numerics."""
    return _backend(bk).propagate(G, x0, None, scaled=True, steps=steps, which=which, split=split)


def log_scaled(value: np.ndarray, exponent: np.ndarray, power: int = 1):
    """``(v·2^(power·e), log(v·2^(power·e)))`` for v ≥ 0 and integer e, without overflow or underflow
    in the logarithm and exact (no rounding of the scale) where the value is representable."""
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        if exponent is None:
            return value, np.log(value)
    e = np.asarray(exponent, dtype=np.int64)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        if e.size and -900 < power * e.min() and power * e.max() < 900:
            k = e.astype(np.int32)
            if power != 1:
                k *= power
            direct = np.ldexp(value, k)
            return direct, np.log(direct)
        k = power * e
        direct = np.ldexp(value, np.clip(k, -2000, 2000).astype(np.int32))
        logv = np.where(np.abs(k) < 900, np.log(direct), np.log(value) + k * _LN2)
    return direct, logv


def _time_plan(t: np.ndarray):
    """Sorted unique times, the distinct step lengths, the step used to reach each unique time, and the
    map from the input order to the unique times."""
    tt, inverse = np.unique(t, return_inverse=True)
    steps, which = step_plan(tt)
    return tt, steps, which, inverse.reshape(-1)


#: the σ1z + σ2z blocks of H_eff: {|↑↑>}, {|↑↓>, |↓↑>}, {|↓↓>}
M_BLOCKS = ((0,), (1, 2), (3,))


def march_blocks(G: np.ndarray, W: np.ndarray, steps, which, Delta=None, tt=None, bk=None):
    """:func:`march` of kets/factors ``W`` (S, 4, r) under a generator ``G`` (p, 4, 4) that is block diagonal in
    :data:`M_BLOCKS`: each block present in W is marched with its own scale (so a block that decays
    10^300 times faster than another cannot flush the state of the slower one), then the blocks are put on
    a common scale. Returns ``comps`` (list of 4 pairs (real part, imaginary part) of arrays (p, S, r, T), or
    None for a structurally zero component) and the int64 exponents (p, S, T) (None: no scaling).

    ``Delta`` (p,), ``tt`` (T,): when given, G is H_eff without the mean splitting (:func:`_heff_without_mean`)
    and the exact phases e^{+iΔt} (|↑↑>) and e^{−iΔt} (|↓↓>) are applied at the times ``tt``."""
    parts = []
    for blk in M_BLOCKS:
        idx = list(blk)
        if not np.any(W[:, idx, :] != 0):
            continue
        Gb = G[:, idx][:, :, idx]
        Xb, Lb = march(Gb, W[None][:, :, idx, :], steps, which, split=True, bk=bk)
        sign = -MEAN_PHASE_DIAG[idx[0]]
        if Delta is not None and sign != 0 and np.any(Delta != 0):
            cos, sin = _mean_phase(Delta, tt, int(sign))
            cos, sin = cos[:, None, None, None, :], sin[:, None, None, None, :]
            re, im = Xb
            Xb = (re * cos - im * sin, re * sin + im * cos)
        parts.append([idx, Xb, Lb])
    comps = [None] * 4
    if len(parts) == 1:
        idx, (re, im), LS = parts[0]
        for a, i in enumerate(idx):
            comps[i] = (re[:, :, a], im[:, :, a])
        return comps, LS
    for part in parts:
        re, im = part[1]
        if part[2] is None:
            part[2] = np.zeros(re.shape[:2] + re.shape[-1:], dtype=np.int64)
        zero = ~(np.any(re != 0, axis=(2, 3)) | np.any(im != 0, axis=(2, 3)))
        part[2] = np.where(zero, _NO_SCALE, part[2])
    LS = parts[0][2]
    for _, _, Lb in parts[1:]:
        LS = np.maximum(LS, Lb)
    for idx, (re, im), Lb in parts:
        d = np.clip(Lb - LS, -4000, 0).astype(np.int32)
        f = np.ldexp(1.0, d)[:, :, None, :]
        same = bool(np.all(d == 0))
        for a, i in enumerate(idx):
            comps[i] = (re[:, :, a], im[:, :, a]) if same else (re[:, :, a] * f, im[:, :, a] * f)
    return comps, LS


# ============================================================================== the mean splitting
#: H_eff's dependence on the mean splitting: H_eff(Δ) = H_eff(0) + Δ·diag(−1, 0, 0, 1) (exact, and it
#: commutes with everything else in H_eff and with every jump's action on the coherence order)
MEAN_PHASE_DIAG = np.array([-1.0, 0.0, 0.0, 1.0])
_DELTA = COEFFICIENT_NAMES.index("Delta")


def _mean_phase(Delta: np.ndarray, tt: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of m·Δ·t (P, T) with the product Δ·t formed exactly (hi + lo, Dekker), so that
    Δt = 1e19 rotates by the exact angle of the float inputs. m = ±1, ±2."""
    Delta = np.asarray(Delta, dtype=float)[:, None]
    tt = np.asarray(tt, dtype=float)[None, :]
    mx, ex = np.frexp(Delta)
    my, ey = np.frexp(tt)
    prod = mx * my
    sp = 134217729.0  # 2^27 + 1 (Veltkamp split)
    cx, cy = sp * mx, sp * my
    xh = cx - (cx - mx)
    yh = cy - (cy - my)
    xl, yl = mx - xh, my - yh
    err = ((xh * yh - prod) + xh * yl + xl * yh) + xl * yl
    e = ex + ey
    with np.errstate(under="ignore"):
        hi, lo = m * np.ldexp(prod, e), m * np.ldexp(err, e)
    cos = np.cos(hi) * np.cos(lo) - np.sin(hi) * np.sin(lo)
    sin = np.sin(hi) * np.cos(lo) + np.cos(hi) * np.sin(lo)
    return cos, sin


# ============================================================================== the rounding floor
_EPS = float(np.finfo(float).eps)
#: log P must stay this far above the rounding floor (below: log P uncertain by more than ~1e-8)
FLOOR_MARGIN = float(np.log(1e8))


def check_floor(logP, gmin, tt, scale, what, where_="", *, power: int = 2, alive=None, gap=None, n=None,
                low=None) -> None:
    """Refuse times at which P(t) is too close to the rounding floor of the slower modes (one line).

    Every renormalised substep leaves ~eps (relative) in every mode, also in modes that the exact state does
    not occupy; a slower mode (P-decay rate ``gmin``, the slowest of the generator block the state occupies)
    keeps that spurious weight: P_spur ≲ (64·eps·n)^power·e^{−g_min t} with n = 1 + ‖G‖·t/150 substeps
    (``scale`` = ‖G‖), or n = 1 + ‖G‖/(150·``gap``) if smaller, where ``gap`` is the difference of the decay
    rates (amplitudes for kets) of the slowest mode and the next (a rounding made at time s reaches t damped by
    e^{−gap·s} relative to the fast mode, so the substeps count only up to ~1/gap); ``power`` = 2 when kets
    are marched (the spurious *amplitude* is ~eps) and 1 when density-matrix coordinates are (the spurious
    *weight* is ~eps). Where
    log P < log P_spur + log(1e8), log P could be off by more than 1e-8 (``Model(a=1, A=1)`` from the
    triplet: exact log P = −4t, float64 returned −114.4 at t = 100 and 1000, the dark singlet's share of the
    rounding; W under all-ones collective decay: −4000 at t = 1e3, float64 −73); those times are refused.

    ``logP`` (..., T), ``gmin`` and ``scale`` scalars or arrays broadcastable to ``logP[..., 0]`` (NaN or inf
    in ``gmin``: no check there); ``alive`` (broadcastable to ``logP[..., 0]``, optional): where P(0) > 0, so
    that P(t) > 0 at every t (the conditional propagator is invertible) and log P = −inf is itself a rounding
    failure. ``n`` (broadcastable to ``logP``): the number of roundings instead of 1 + ‖G‖·t/150, for solvers
    that apply binary powers of a propagator (~(1 + log₂ k)² roundings for k applications). ``where_``: a
    string, or a callable of the index tuple of the first bad entry (without the time axis) returning one,
    appended to the message. ``low`` (optional, ``logP.shape[:-1]``): a lower bound of the row minima of
    log P + g·t (g = 0 where ``gmin`` is not finite), e.g. min log P, formed by a caller that already holds log P
    in cache (the ket path); it replaces the screening pass and only selects rows for the exact per-time check,
    so the refusals are the same. ``logP`` needs at least 2 dimensions. Shared by the two-qubit postselection and monitor and the
    N-site conditional solvers (docs/numerics.md, "The rounding floor of postselection")."""
    logP = np.asarray(logP, dtype=float)
    tt = np.asarray(tt, dtype=float)
    rows = logP.shape[:-1]
    g = np.broadcast_to(np.asarray(gmin, dtype=float), rows) if rows else np.asarray(gmin, dtype=float).reshape(())
    skip = ~np.isfinite(g)
    sc = np.broadcast_to(np.asarray(scale, dtype=float), rows)
    gp = None if gap is None else np.broadcast_to(np.asarray(gap, dtype=float), rows)
    nn = None if n is None else np.broadcast_to(np.asarray(n, dtype=float), logP.shape)

    def floor_of(tk, r=slice(None)):  # the floor at times tk (..., T') for the rows r
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            m = 1.0 + sc[r][..., None] * tk / 150.0 if nn is None else nn[r][..., -tk.shape[-1]:]
            if gp is not None:  # only the substeps of the first ~1/gap feed the slow mode relative to the fast one
                m = np.minimum(m, 1.0 + sc[r][..., None] / (150.0 * gp[r][..., None]))
            return power * np.log(64 * _EPS * m) + FLOOR_MARGIN

    # cheap screen (one pass over log P): the floor grows with t, so a row can fail only if its smallest
    # log P + g·t lies below its floor at the last time
    gz = np.where(skip, 0.0, g)
    with np.errstate(invalid="ignore", over="ignore"):
        lhs = None
        if low is None:
            lhs = logP + gz[..., None] * tt
            low = lhs.min(axis=-1) if tt.size else np.full(rows, np.inf)
        cand = ~skip & (low < floor_of(tt[-1:])[..., 0])
        if alive is not None:
            alive_b = np.broadcast_to(np.asarray(alive, dtype=bool), rows)
            cand = cand | (alive_b & (low == -np.inf))
    if not np.any(cand):
        return
    bad = np.zeros(logP.shape, dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        fl = floor_of(np.broadcast_to(tt, logP.shape)[cand], cand)
        lhs_c = lhs[cand] if lhs is not None else logP[cand] + gz[cand][..., None] * tt
        sub = np.isfinite(logP[cand]) & ~skip[cand][..., None] & (lhs_c < fl)
        if alive is not None:
            sub = sub | ((logP[cand] == -np.inf) & alive_b[cand][..., None])
        bad[cand] = sub
        floor = np.full(logP.shape, np.nan)
        floor[cand] = fl
    if not np.any(bad):
        return
    i = int(np.flatnonzero(bad.reshape(-1, bad.shape[-1]).any(axis=0))[0])
    first = np.argwhere(bad[..., i])[0] if bad.ndim > 1 else np.zeros(0, dtype=int)
    idx = tuple(int(v) for v in first)
    gi = float(g[idx])
    fl = float(floor[idx + (i,)])
    loc = where_(idx) if callable(where_) else where_
    raise InvalidParameterError(
        f"{what}: from t = {float(tt[i]):.6g} on P(t) is within 1e8 of the float64 rounding that the slower modes "
        f"keep (log P + {gi:.3g}·t < {fl:.1f}){loc}: log P would not be accurate; shorten the times"
    )


# ------------------------------------------------------------------------------ slowest rates (lower bounds)
def _slow_rate_2x2(G: np.ndarray) -> np.ndarray:
    """A lower bound on the slowest decay rate −max Re λ of each 2×2 generator G (p, 2, 2) (ket amplitudes),
    from the closed form λ = tr/2 ± √disc less its rounding error: min(√eps·‖G‖, 16·eps·‖G‖²/|λ1 − λ2|)
    (a defective or nearly defective block's eigenvalues are only √eps-accurate). A lower bound keeps the
    floor check (:func:`magbell.solvers._march.check_floor`) on the safe side. Also returns the gap of the
    real parts, 2|Re √disc| (the slow mode's lead)."""
    a, b, c, d = G[:, 0, 0], G[:, 0, 1], G[:, 1, 0], G[:, 1, 1]
    root = np.sqrt(((a - d) / 2) ** 2 + b * c)
    top = ((a + d) / 2).real + np.abs(root.real)
    return _less_error(-top, np.abs(G).sum(axis=-2).max(axis=-1), 2 * np.abs(root)), 2 * np.abs(root.real)


def _rate_gap(lam: np.ndarray) -> np.ndarray:
    """Difference of the two largest real parts of eigenvalues ``lam`` (p, n) (the slowest mode's lead)."""
    re = -np.sort(-lam.real, axis=-1)
    return re[:, 0] - re[:, 1]


def _slow_rate(G: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """As :func:`_slow_rate_2x2` for any generators G (p, n, n) with eigenvalues ``lam`` (np.linalg.eigvals)."""
    order = np.argsort(-lam.real, axis=-1)
    lam = np.take_along_axis(lam, order, axis=-1)
    gap = np.abs(lam[:, 0] - lam[:, 1]) if lam.shape[-1] > 1 else np.full(len(lam), np.inf)
    return _less_error(-lam[:, 0].real, np.abs(G).sum(axis=-2).max(axis=-1), gap)


def _less_error(rate, nrm, gap):
    eps = np.finfo(float).eps
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        err = np.minimum(np.sqrt(eps) * nrm, np.where(gap > 0, 16 * eps * nrm**2 / gap, np.inf))
    return np.maximum(rate - err, 0.0)


#: |q| = 0 coordinates (ρ00, ρ11, ρ22, ρ33, Re ρ12, Im ρ12): inside the subspace, outside it
_SUB_Q0, _OUT_Q0 = np.array([1, 2, 4, 5]), np.array([0, 3])


def _monitor_rates(L0: np.ndarray, tau: float, kind: str):
    """Lower bounds on the slowest decay rate of the monitored (unnormalised) state, and the gap to the next
    mode, per point (p,), for :func:`magbell.solvers._march.check_floor`. Where nothing returns into the
    subspace from outside (zero temperature: the subspace feeds |↑↑> only, which feeds nothing back) the
    subspace block of L0 alone (every kind, any τ_m). Otherwise: continuous kind (and τ_m = ∞): the
    eigenvalues of its 6×6 generator L0 − γ_m(ρ00, ρ33). Periodic kind: those of the period map
    [e^{L0 τ_m}]_{sub,sub} (a scaled exponential, so any ‖L0‖τ_m), as rates −log|μ|/τ_m, less
    √eps·‖E‖/|μ|/τ_m for the eigenvalues' rounding."""
    Gs = L0[:, _SUB_Q0][:, :, _SUB_Q0]
    lam = np.linalg.eigvals(Gs)
    closed_g, closed_gap = _slow_rate(Gs, lam), _rate_gap(lam)
    # weight can return only from an outside coordinate that the subspace feeds (directly or via the other one)
    fed = np.any(L0[:, _OUT_Q0][:, :, _SUB_Q0] != 0, axis=-1)  # (p, 2)
    fed = fed | (np.any((L0[:, _OUT_Q0][:, :, _OUT_Q0] != 0) & fed[:, None, :], axis=-1))
    returns = np.any(L0[:, _SUB_Q0][:, :, _OUT_Q0] != 0, axis=1)  # (p, 2)
    closed = ~np.any(fed & returns, axis=-1)
    if np.all(closed):
        return closed_g, closed_gap
    g, gap = _open_rates(L0, tau, kind)
    return np.where(closed, closed_g, g), np.where(closed, closed_gap, gap)


def _open_rates(L0: np.ndarray, tau: float, kind: str):
    """:func:`_monitor_rates` where weight returns into the subspace from outside (finite temperature)."""
    if kind != "periodic" or not np.isfinite(tau):
        G = L0.copy()
        if np.isfinite(tau):
            G[:, 0, 0] -= 1.0 / tau
            G[:, 3, 3] -= 1.0 / tau
        lam = np.linalg.eigvals(G)
        return _slow_rate(G, lam), _rate_gap(lam)
    E, c = scaled_expm(L0 * tau)
    M = E[:, _SUB_Q0][:, :, _SUB_Q0]
    mu = np.abs(np.linalg.eigvals(M))
    mu = -np.sort(-mu, axis=-1)
    with np.errstate(divide="ignore"):
        rates = -(np.log(mu) + c[:, None] * np.log(2.0)) / tau  # ascending
    nrm = np.abs(M).sum(axis=-2).max(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(mu[:, 0] > 0, np.sqrt(np.finfo(float).eps) * nrm / mu[:, 0] / tau, np.inf)
    return np.maximum(rates[:, 0] - err, 0.0), rates[:, 1] - rates[:, 0]
