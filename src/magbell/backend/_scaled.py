"""The scaled (renormalised) variant of :func:`magbell.backend._propagate.propagate`: ``exp(G t) x0`` for
generators whose states grow or decay beyond the float range (conditional, postselected evolution), kept as
``2^LS · X`` with exact integer log-scales.

Selected by ``propagate(G, x0, times, scaled=True, ...)`` (the one propagator of the backend): scaled
exponentials ``2^c·E`` (:func:`scaled_expm`: the backend's Padé :func:`magbell.backend._expm.expm` on the
scaled matrix, exact power-of-two renormalisations after every squaring), substep marching with a
renormalisation of the *state* after every substep, safe powers of a substep propagator for long times, and
on short uniform grids the √T anchors of the unscaled propagator (:func:`anchor_split`, shared with
:func:`magbell.backend._propagate._propagate_uniform`). No eigendecomposition: an exceptional point is as
exact as any other point. Moved here from ``magbell.solvers._march`` (issue 10 §2: one propagator, one
expm); docs/postselection.md "Numerics".
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError
from ._expm import _THETA13, expm

__all__ = ["propagate_scaled", "scaled_expm", "anchor_split", "substeps", "step_plan", "MAX_EXPONENT_NORM",
           "MAX_STEP_NORM", "MAX_SUBSTEPS", "DIRECT_SUBSTEPS"]

#: largest ‖generator × step‖₁ accepted (the int64 scale exponents stay exact far beyond it)
MAX_EXPONENT_NORM = 1e15
_LN2 = float(np.log(2.0))
#: largest ‖generator × substep‖₁ of :func:`propagate_scaled` (keeps every component of a substep above realmin)
MAX_STEP_NORM = 150.0
#: most renormalised propagator products one :func:`propagate_scaled` call may take (~30 µs each); with the powers of a
#: substep propagator (:func:`_substep_powers`) this only limits the rare case where they cannot be used
MAX_SUBSTEPS = 200_000


# ============================================================================== scaled exponentials
def _renorm(x: np.ndarray, axes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Divide ``x`` by a power of two so that its largest entry (over ``axes``) lies in [0.5, 1).

    Returns (x scaled, exponent e) with ``x_in = 2^e · x_out``; the scaling is exact in floating point.
    Entries that are entirely zero keep e = 0.
    """
    if np.iscomplexobj(x):
        mag = np.maximum(np.abs(x.real), np.abs(x.imag)).max(axis=axes)
    else:
        mag = np.abs(x).max(axis=axes)
    _, e = np.frexp(mag)
    e = np.where(mag > 0, e, 0)
    if e.size and e.min() < -1000:  # subnormal blocks: scale in two exact factors (2^1074 overflows)
        h = -e // 2
        f1, f2 = np.ldexp(1.0, h), np.ldexp(1.0, -e - h)
        for _ in axes:
            f1, f2 = f1[..., None], f2[..., None]
        return (x * f1) * f2, e
    f = np.ldexp(1.0, -e)
    for _ in axes:
        f = f[..., None]
    return x * f, e


def scaled_expm(X: np.ndarray, pattern: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``exp(X) = 2^c · E`` for a stack ``X`` (B, n, n), with E's largest entry in [0.5, 1).

    Padé-13 (``magbell.backend._expm.expm``) on ``X/2^s`` (‖X/2^s‖₁ ≤ θ13, so expm does no squaring itself), then
    ``s`` squarings, each followed by an exact power-of-two renormalisation; the integer ``c`` (int64)
    accumulates the exponents, so no rounding enters the scale. Neither overflow nor a global underflow can
    occur, however large ‖X‖ is; entries below 2^-1074 relative to the largest are (correctly) flushed
    to zero. ``pattern`` (boolean, broadcastable to X): the exact sparsity pattern of exp(X)
    (:func:`magbell.liouvillian._kernel.reachable`); entries outside it are set to exact zeros after the Padé step (the
    pattern is closed under products, so the squarings keep them exact).
    """
    X = np.asarray(X)
    B = X.shape[0]
    if B == 0:
        return X.copy(), np.zeros(0, dtype=np.int64)
    norms = np.abs(X).sum(axis=-2).max(axis=-1)
    if not np.all(np.isfinite(norms)) or norms.max() > MAX_EXPONENT_NORM:
        raise InvalidParameterError(
            f"rate × time must be <= {MAX_EXPONENT_NORM:.0e} (finite) for the scaled propagators, "
            f"got ‖generator·t‖₁ = {float(norms.max()):.3g}"
        )
    with np.errstate(divide="ignore"):
        s = np.where(norms > _THETA13, np.ceil(np.log2(norms / _THETA13)), 0).astype(int)
    s = np.maximum(s, 0)
    E = expm(X / np.ldexp(1.0, s)[:, None, None])
    if pattern is not None:
        E = E * np.broadcast_to(pattern, E.shape)
    E, c = _renorm(E, (-2, -1))
    c = c.astype(np.int64)
    smax = int(s.max())
    for k in range(smax):
        idx = np.flatnonzero(s > k)
        if idx.size == B:
            E = E @ E
            E, e = _renorm(E, (-2, -1))
            c = 2 * c + e
        else:
            Ei = E[idx] @ E[idx]
            Ei, e = _renorm(Ei, (-2, -1))
            E[idx] = Ei
            c[idx] = 2 * c[idx] + e
    return E, c


def substeps(G: np.ndarray, h) -> np.ndarray:
    """Number of equal substeps for each step length ``h`` so that ‖G·h/m‖₁ ≤ :data:`MAX_STEP_NORM`."""
    gnorm = float(np.abs(G).sum(axis=-2).max()) if G.size else 0.0
    h = np.asarray(h, dtype=float)
    return np.maximum(1, np.ceil(gnorm * h / MAX_STEP_NORM)).astype(np.int64)


def propagate_scaled(G: np.ndarray, x0: np.ndarray, steps: np.ndarray, which: np.ndarray, split: bool = False):
    """States ``exp(G t_k) x0`` at the times reached by the steps ``steps[which[k]]``, in scaled form.

    G : (p, n, n) generators; x0 : (p or 1, S, n, k) initial vectors (k columns sharing one scale per
    (point, state)). Returns ``X`` (p, S, n, k, T) (component-major: each time series is contiguous),
    bounded by O(n) and not flushed, and the int64 exponents ``LS`` (p, S, T): the true vector at time
    t_k is ``2^LS[..., k] · X[..., k]``.

    Long ranges (‖G‖₁·t > MAX_STEP_NORM): a step of length h is applied as m equal substeps with
    ‖G h/m‖₁ ≤ MAX_STEP_NORM, each followed by a power-of-two renormalisation of the *state*, so the
    spread of magnitudes inside one propagator stays below ~e^{2·MAX_STEP_NORM} ≪ 1/realmin and no
    component that the state needs is flushed to zero (a single propagator for t·rate ~ 10⁶ would keep only
    its dominant modes). Rounding grows ~linearly with the number of (sub)steps.
    Short uniform grids (‖G‖₁·t_max ≤ MAX_STEP_NORM): every output is ``(P^J)^i · P^j x(t0)`` with
    J ≈ √T (``P = exp(G dt)``, as in :mod:`magbell.backend._propagate`): ~2√T products, all batched.
    """
    p, n, _ = G.shape
    steps = np.asarray(steps, dtype=float)
    which = np.asarray(which)
    T = len(which)
    gnorm = float(np.abs(G).sum(axis=-2).max()) if G.size else 0.0
    uniform = T >= 3 and len(steps) == 2 and which[0] == 0 and np.all(which[1:] == 1)
    if uniform and gnorm * (steps[0] + (T - 1) * steps[1]) <= MAX_STEP_NORM:
        return _march_anchors(G, x0, steps[0], steps[1], T, split=split)
    keys = _scale_keys(G)
    if p > 1 and np.any(keys != keys[0]):  # substeps per octave of ‖G‖₁: a point never depends on its neighbours
        return _march_octaves(G, x0, steps, which, keys, split)
    span = gnorm * float(np.sum(steps[which]))
    if not np.isfinite(span) or span > MAX_EXPONENT_NORM:
        raise InvalidParameterError(
            f"rate × time must be <= {MAX_EXPONENT_NORM:.0e}, got ‖generator‖₁·t_max = {span:.3g}"
        )
    comps = _components(G)
    if len(comps) > 1:  # decoupled parts: each on its own scale (and its own powers)
        X, LS = _march_parts(G, x0, steps, which, comps)
        return ((X.real, X.imag) if split else X), LS
    m = np.where(steps > 0, substeps(G, steps), 0)  # a zero step is the identity, applied exactly
    if int(np.sum(m[which])) <= DIRECT_SUBSTEPS:
        X, LS = _march_substeps(G, x0, steps, which, m, direct=True, span=span)
    else:
        # O(log m) products of powers; checked against a second run with one more substep per step
        # (different rounding): near an exceptional point squarings lose accuracy ~ sqrt(eps)·t·rate,
        # and such a result is refused rather than returned
        X, LS = _march_substeps(G, x0, steps, which, m, direct=False, span=span)
        X2, LS2 = _march_substeps(G, x0, steps, which, np.where(m > 0, m + 1, 0), direct=False, span=span)
        _check_agree(X, LS, X2, LS2, span)
    if split:
        return (X.real, X.imag), LS
    return X, LS


#: an entry of a power E^(2^i) below this (relative to the largest, after renormalisation) is taken as flushed
_SAFE_ENTRY = 2.0**-1000
#: up to this many substeps in all, :func:`propagate_scaled` applies them one by one (best accuracy at exceptional points)
DIRECT_SUBSTEPS = 200_000


def _substep_powers(E: np.ndarray, c: np.ndarray, m: int) -> list:
    """Scaled powers ``(Q_i, c_i)``, ``2^c_i·Q_i = (2^c·E)^(2^i)``, for 2^i ≤ m, as far as they are *safe*.

    A power is safe when no entry that is non-zero in the previous power has fallen below 2^-1000 of the
    largest (per grid point): then applying it to a state loses nothing that m single substeps (each followed
    by a renormalisation of the state) would keep, up to rounding. This fails only where components of
    the propagator decay 2^1000 times faster than others *and* are structurally decoupled from them (e.g.
    the diagonal block of unequal local rates with A = 0); there the powers stop and more single substeps
    are used. Everywhere else m substeps cost O(log m) products, so t·rate up to MAX_EXPONENT_NORM is cheap
    (issue 9: t·rate = 1e9 took minutes, substep by substep).
    """
    pows = [(E, np.asarray(c, dtype=np.int64))]
    while (2 << (len(pows) - 1)) <= m:
        Q, cq = pows[-1]
        Q2, e = _renorm(Q @ Q, (-2, -1))
        mag = np.maximum(np.abs(Q2.real), np.abs(Q2.imag)) if np.iscomplexobj(Q2) else np.abs(Q2)
        if np.any((Q != 0) & (mag < _SAFE_ENTRY)):
            break
        pows.append((Q2, 2 * cq + e.astype(np.int64)))
    return pows


def _power_sequence(m: int, top: int) -> list:
    """Indices i of the powers E^(2^i) (i ≤ top) whose product is E^m: m // 2^top times ``top``, then the
    binary digits of the remainder."""
    q, r = divmod(m, 1 << top)
    if q > MAX_SUBSTEPS:  # refused by the caller; do not build a huge list
        return range(q)
    return [top] * q + [i for i in range(top) if (r >> i) & 1]


def _scale_keys(G: np.ndarray) -> np.ndarray:
    """Octave of each point's ‖G‖₁ (ceil log2; a zero generator gets its own key): the substep length of
    :func:`propagate_scaled` is set per octave, so a point is marched as if alone, to within a factor 2 of its
    own substep count."""
    gn = np.abs(G).sum(axis=-2).max(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.ceil(np.log2(gn))
    return np.where(np.isfinite(k), k, -(2.0**31))


def _march_octaves(G, x0, steps, which, keys, split):
    """:func:`propagate_scaled` of a batch whose ‖G‖₁ spans more than one octave, one octave at a time.

    With one substep count for the whole batch (set by its fastest point) a slow point was cut into substeps
    whose propagator I + O(‖G‖h) kept only a few digits of G·h: next to a point 1e12 times faster, an O(1)
    point's concurrence came out 8.6e-7 off (log P 2.6e-5) with exit 0 (s4_findings HD-5)."""
    p, n, _ = G.shape
    S, k = x0.shape[-3], x0.shape[-1]
    T = len(which)
    X = LS = None
    for key in np.unique(keys):
        idx = np.flatnonzero(keys == key)
        Xb, Lb = propagate_scaled(G[idx], x0[idx] if x0.shape[0] == p else x0, steps, which)
        if X is None:
            X = np.empty((p, S, n, k, T), dtype=np.result_type(Xb, x0))
            LS = np.zeros((p, S, T), dtype=np.int64)
        X[idx] = Xb
        if Lb is not None:
            LS[idx] = Lb
    return ((X.real, X.imag) if split else X), LS


def _components(G: np.ndarray) -> list:
    """Index sets of the connected components of the coupling graph of G (union over the grid points;
    i and j are coupled where G_ij or G_ji is non-zero). Decoupled parts evolve independently."""
    n = G.shape[-1]
    adj = np.any(G != 0, axis=0)
    adj = adj | adj.T
    label = list(range(n))
    for i in range(n):
        for j in range(i + 1, n):
            if adj[i, j]:
                a, b = label[i], label[j]
                if a != b:
                    label = [a if v == b else v for v in label]
    out = {}
    for i, v in enumerate(label):
        out.setdefault(v, []).append(i)
    return list(out.values())


def _march_parts(G, x0, steps, which, comps):
    """:func:`propagate_scaled` of a generator whose coupling graph has several components: each component is marched
    on its own scale (a part decaying 2^1000 times faster than another is not flushed by it, and the powers
    of each part stay safe), then all are put on a common scale per (point, state, time)."""
    p, n, _ = G.shape
    S, k = x0.shape[-3], x0.shape[-1]
    T = len(which)
    parts = []
    for idx in comps:
        if not np.any(x0[..., idx, :] != 0):
            continue  # a part that starts at zero stays exactly zero
        Xb, Lb = propagate_scaled(G[:, idx][:, :, idx], x0[..., idx, :], steps, which)
        if Lb is None:
            Lb = np.zeros((p, S, T), dtype=np.int64)
        zero = ~np.any(Xb != 0, axis=(2, 3))
        parts.append((idx, Xb, np.where(zero, _NO_SCALE, Lb)))
    dtype = np.result_type(G, x0, *[Xb for _, Xb, _ in parts])
    X = np.zeros((p, S, n, k, T), dtype=dtype)
    if not parts:
        return X, np.zeros((p, S, T), dtype=np.int64)
    LS = parts[0][2]
    for _, _, Lb in parts[1:]:
        LS = np.maximum(LS, Lb)
    for idx, Xb, Lb in parts:
        f = np.ldexp(1.0, np.clip(Lb - LS, -4000, 0).astype(np.int32))[:, :, None, None, :]
        X[:, :, idx] = Xb * f
    return X, np.where(LS == _NO_SCALE, 0, LS)


def _march_substeps(G, x0, steps, which, m, direct: bool, span: float):
    """The stepping part of :func:`propagate_scaled`: step j as m[j] substeps, one by one (``direct``) or as products
    of the safe powers of the substep propagator (binary decomposition of m[j])."""
    p, n, _ = G.shape
    T = len(which)
    h = steps / np.maximum(m, 1)
    nd = len(steps)
    Xs = G[:, None, :, :] * h[None, :, None, None]
    E, c = scaled_expm(Xs.reshape(p * nd, n, n))
    E = E.reshape(p, nd, n, n)
    c = c.reshape(p, nd)
    plans = {}
    for j in np.unique(which):
        if m[j] > 0:
            pows = [(E[:, j], c[:, j].astype(np.int64))] if direct else _substep_powers(E[:, j], c[:, j], int(m[j]))
            plans[j] = (pows, _power_sequence(int(m[j]), len(pows) - 1))
    total = sum(len(plans[j][1]) for j in which if j in plans)
    if total > MAX_SUBSTEPS:
        raise InvalidParameterError(
            f"times too long for the rates: ‖generator‖₁·t_max = {span:.3g} needs {total} renormalised "
            f"propagator products (limit {MAX_SUBSTEPS}: parts of the propagator decay more than 2^1000 times "
            "faster than others, so its powers cannot be used); shorten the times"
        )
    S, k = x0.shape[-3], x0.shape[-1]
    dtype = np.result_type(E, x0)
    x = np.broadcast_to(x0, (p, S, n, k)).astype(dtype)
    x, ls = _renorm(x, (-2, -1))
    ls = ls.astype(np.int64)
    X = np.empty((p, S, n, k, T), dtype=dtype)
    LS = np.empty((p, S, T), dtype=np.int64)
    for i, j in enumerate(which):
        if j in plans:
            pows, seq = plans[j]
            for q in seq:
                Q, cq = pows[q]
                x = np.matmul(Q[:, None], x)
                x, e = _renorm(x, (-2, -1))
                ls = ls + cq[:, None] + e
        X[..., i] = x
        LS[:, :, i] = ls
    return X, LS


#: agreement required between the two power-stepped runs of :func:`propagate_scaled`: normalised state (up to a global
#: phase for kets) and log of the norm relative to max(1, |log norm|)
POWER_STATE_TOL = 1e-8
POWER_LOG_RTOL = 1e-9


def _check_agree(X, LS, X2, LS2, span: float) -> None:
    """Refuse (InvalidParameterError) where two runs of the power stepping disagree by more than POWER_RTOL."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        n1 = np.sqrt(np.sum(np.abs(X) ** 2, axis=(2, 3)))  # (p, S, T)
        n2 = np.sqrt(np.sum(np.abs(X2) ** 2, axis=(2, 3)))
        live = (n1 > 0) & (n2 > 0)
        u1 = X / np.where(live, n1, 1.0)[:, :, None, None, :]
        u2 = X2 / np.where(live, n2, 1.0)[:, :, None, None, :]
        if np.iscomplexobj(u1):  # kets: equal up to a global phase
            ov = np.sum(np.conj(u2) * u1, axis=(2, 3))
            u2 = u2 * np.where(np.abs(ov) > 0, ov / np.where(np.abs(ov) > 0, np.abs(ov), 1.0), 1.0)[:, :, None, None, :]
        du = np.max(np.abs(u1 - u2), axis=(2, 3))
        l1 = LS * _LN2 + np.log(np.where(live, n1, 1.0))
        l2 = LS2 * _LN2 + np.log(np.where(live, n2, 1.0))
        # log P: relative POWER_LOG_RTOL, plus the rounding that t·rate itself carries (16 eps per unit)
        dl = np.abs(l1 - l2) / (np.maximum(1.0, np.abs(l1)) + 16 * np.finfo(float).eps * span / POWER_LOG_RTOL)
    bad = (live & ((du > POWER_STATE_TOL) | (dl > POWER_LOG_RTOL))) | (live != ((n1 > 0) | (n2 > 0)))
    if np.any(bad):
        raise InvalidParameterError(
            f"cannot reach t_max accurately (‖generator‖₁·t_max = {span:.3g}): two propagations with different "
            f"rounding differ (state by {float(np.max(np.where(bad, du, 0))):.2g}, log P by "
            f"{float(np.max(np.where(bad, dl, 0))):.2g} relative; tolerances {POWER_STATE_TOL:g}, {POWER_LOG_RTOL:g}); "
            "this happens close to an exceptional point at long times; shorten the times"
        )


def _entries(A: np.ndarray) -> list:
    """Entries of a stack of small matrices (p, n, n) as an n×n nested list of contiguous (p,) arrays."""
    n = A.shape[-1]
    return [[np.ascontiguousarray(A[:, i, j]) for j in range(n)] for i in range(n)]


def _mat_mat(A: list, B: list) -> list:
    """Product of two stacks given by their entries (see :func:`_entries`)."""
    n = len(A)
    return [[sum(A[i][m] * B[m][j] for m in range(n)) for j in range(n)] for i in range(n)]


def _march_anchors(G, x0, t0: float, dt: float, T: int, split: bool = False):
    """:func:`propagate_scaled` on t_k = t0 + k·dt when ‖G‖₁·t_max ≤ MAX_STEP_NORM.

    Then every propagator exp(G t), t ≤ t_max, has entries below e^{MAX_STEP_NORM} and the states'
    components stay far above realmin, so no scaling is needed at all (the returned exponents are None).
    Every output is ``(P^J)^i · P^j x(t0)`` (J ≈ √T, ``P = exp(G dt)``): ~2√T products, as in
    :mod:`magbell.backend._propagate`. The many small products are done entry by entry on (p,)-arrays (numpy's
    matmul costs ~100 ns per 2×2 product), the final one as a single batched matmul whose result already
    has the component-major output layout.
    """
    p, n, _ = G.shape
    S, k = x0.shape[-3], x0.shape[-1]
    b, J, B = anchor_split(T)
    E1 = expm(G * dt)
    dtype = np.result_type(E1, x0)
    x = np.broadcast_to(x0, (p, S, n, k)).astype(dtype)
    if t0 > 0:
        x = np.matmul(expm(G * t0)[:, None], x)
    # small steps: y_j = P^j x, j < J, stored component-major: Y[a] is (p, S*k, J)
    Y = np.empty((n, p, S * k, J), dtype=dtype)
    Qs = np.empty((p, n, B, n), dtype=dtype)  # rows (a, i): Qs[:, a, i, :] = (P^(J i))[a, :]
    if n <= 4:
        # entry by entry on (p,)-arrays: numpy's matmul costs ~100 ns per 2×2 product
        e1 = _entries(E1)
        comp = [np.ascontiguousarray(x[:, :, a, :].reshape(p, S * k)) for a in range(n)]
        for a in range(n):
            Y[a, :, :, 0] = comp[a]
        for j in range(1, J):
            comp = [sum(e1[a][m][:, None] * comp[m] for m in range(n)) for a in range(n)]
            for a in range(n):
                Y[a, :, :, j] = comp[a]
        M = e1
        for _ in range(b):
            M = _mat_mat(M, M)
        one = 1.0 + 0j if np.iscomplexobj(E1) else 1.0
        R = [[np.full(p, one) if i == j else np.zeros(p, dtype=dtype) for j in range(n)] for i in range(n)]
        for i in range(B):
            for a in range(n):
                for m in range(n):
                    Qs[:, a, i, m] = R[a][m]
            if i + 1 < B:
                R = _mat_mat(M, R)
    else:
        xs = x.reshape(p, S, n, k)
        for j in range(J):
            if j:
                xs = np.matmul(E1[:, None], xs)
            Y[:, :, :, j] = np.moveaxis(xs, 2, 0).reshape(n, p, S * k)
        M = E1
        for _ in range(b):
            M = M @ M
        R = np.broadcast_to(np.eye(n, dtype=dtype), (p, n, n)).copy()
        for i in range(B):
            Qs[:, :, i, :] = R
            if i + 1 < B:
                R = M @ R
    # X[p, s, a, kk, i*J + j] = Σ_m Q_i[a, m] y_j[m]: (p, n*B, n) @ (p, n, S*k*J)
    Yf = np.ascontiguousarray(Y.transpose(1, 0, 2, 3)).reshape(p, n, S * k * J)
    Qf = Qs.reshape(p, n * B, n)

    def layout(out):
        out = out.reshape(p, n, B, S, k, J)
        if S == 1 and k == 1:
            return out.reshape(p, 1, n, 1, B * J)[..., :T]
        return np.ascontiguousarray(out.transpose(0, 3, 1, 4, 2, 5)).reshape(p, S, n, k, B * J)[..., :T]

    if split and np.iscomplexobj(Qf):
        # real embedding [[Re, −Im], [Im, Re]]: a real matmul (faster than the complex one) whose result
        # holds the real and the imaginary parts as two contiguous halves
        Qr = np.empty((p, 2 * n * B, 2 * n))
        Qr[:, : n * B, :n], Qr[:, : n * B, n:] = Qf.real, -Qf.imag
        Qr[:, n * B :, :n], Qr[:, n * B :, n:] = Qf.imag, Qf.real
        Yr = np.concatenate([Yf.real, Yf.imag], axis=1)
        R = np.matmul(Qr, Yr)
        return (layout(R[:, : n * B]), layout(R[:, n * B :])), None
    X = layout(np.matmul(Qf, Yf))
    return ((X.real, X.imag) if split else X), None


def anchor_split(T: int) -> tuple[int, int, int]:
    """(b, J, B) of the √T-anchor scheme for T uniform times: J = 2^b ≈ √T small steps, B = ⌈T/J⌉ big
    steps of J·dt; output k = i·J + j is (P^J)^i · P^j x(t0). Shared by both propagate variants."""
    b = max(0, int(np.ceil(0.5 * np.log2(T))))
    J = 2**b
    return b, J, -(-T // J)


def step_plan(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, which)`` for sorted unique ``times``: a uniform grid (T ≥ 3) is reached by one first step
    ``times[0]`` and equal steps dt; any other list by the successive differences."""
    from ._propagate import is_uniform

    T = len(times)
    if T >= 3 and is_uniform(times):
        which = np.ones(T, dtype=int)
        which[0] = 0
        return np.array([times[0], (times[-1] - times[0]) / (T - 1)]), which
    return np.diff(np.concatenate([[0.0], times])), np.arange(T)


_NO_SCALE = -(2**62)  # exponent of an all-zero block
