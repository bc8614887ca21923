"""Exact propagation of constant real generator blocks: ``r(t) = exp(L t) r0`` on a time grid.

Every point of a stack is first *classified* (:func:`classify`), then propagated on one of two paths:

``double``   float64 Padé scaling-and-squaring (:func:`magbell.backend._expm.expm`), batched, fast. Used where its
             rounding is provably small: ``‖L‖₁·t_max ≤ TN_FAST`` (error ~eps·‖L‖t ≤ 2e-13), or, for
             longer times, where every non-stationary eigenvalue decays at a rate ≥ ``GAP_REL·‖L‖₁``
             and the kernel is the (certain) one-dimensional trace kernel of the |q|=0 block, which is
             then deflated exactly (``exp(L t) = P0 + (exp(L t/2^s) − P0)^(2^s)``); the error of a mode
             with rate γ is ~eps·‖L‖t·e^{−γt} ≤ eps/GAP_REL.
``dd``       double-double (~106-bit) expm1-form scaling and squaring (:func:`magbell.backend._expm.expm1_dd`),
             from the exact generator (the ``exact`` callable, hi + lo): at long times, slow decays
             (a − |A| = 1e-14 a), degenerate or near-degenerate kernels, slowly decaying oscillations
             and weak couplings (0 < |L_ij| < ``WEAK_REL·‖L‖₁``, whose near-zero entries of ρ the
             deflation projector would blur and the concurrence's square roots amplify). Exact to
             ~1e-32·‖L‖t; nothing is deflated here, so a slow mode is never frozen.

Couplings with ``|L_ij|·t_max ≤ NEGLIGIBLE`` are dropped first: they change no entry of exp(L t) by more
than ~1e-30, and dropping them restores the exact zeros the reachability pattern then enforces
(``Model(a=1e-300, ...)`` behaves like a = 0).

The accuracy domain (``t_max·‖L‖₁ ≤ 1e16``, see :mod:`magbell._domain`) is checked by the caller.

Uniform grids ``t_k = t0 + k·dt`` use powers of ``exp(L dt)`` (double: √n anchors so rounding grows over
~2√n products, and at deflated points powers of ``exp(L dt) − P0`` with ``P0 r0`` added back once; dd:
sequential steps, whose rounding is ~1e-32 each); other time lists use ``exp(L t_k)``.

``scaled=True`` selects the renormalised variant that conditional (postselected) evolution needs
(:mod:`magbell.backend._scaled`): states that grow or decay beyond the float range are returned as
``2^LS · X`` with exact integer log-scales, propagated with the same Padé :func:`~magbell.backend._expm.expm`
and the same √T anchors (:func:`~magbell.backend._scaled.anchor_split`) on short uniform grids.
"""

from __future__ import annotations

import numpy as np

from ._expm import dd_add, dd_matmul, expm, expm1_dd, squarings, two_prod
from ._scaled import anchor_split, propagate_scaled, step_plan
from ..liouvillian._kernel import reachable, trace_kernel_projector

__all__ = ["is_uniform", "propagate", "classify", "TN_FAST", "GAP_REL", "WEAK_REL", "NEGLIGIBLE"]

#: Deflate the kernel (see :func:`magbell.backend._expm.expm`) when the scaling needs more squarings than this.
DEFLATE_AFTER_SQUARINGS = 5
#: below this ‖L‖₁·t_max the double path needs no spectral check (error ≲ eps·1e3)
TN_FAST = 1e3
#: non-stationary decay rates below GAP_REL·‖L‖₁ (at long times) send a point to the dd path
GAP_REL = 1e-4
#: non-zero couplings below WEAK_REL·‖L‖₁ send a point to the dd path
WEAK_REL = 1e-6
#: couplings with |L_ij|·t_max at most this are dropped
NEGLIGIBLE = 1e-30
#: matrices per batch of the dd direct path (bounds its temporaries to a few MB)
_DD_BATCH = 512


def is_uniform(times: np.ndarray) -> bool:
    """True when ``times[k] == times[0] + k*dt`` to within a few ulps (e.g. ``np.linspace``)."""
    n = len(times)
    if n < 3:
        return n == 2 and times[1] > times[0]
    dt = (times[-1] - times[0]) / (n - 1)
    if dt <= 0:
        return False
    grid = times[0] + dt * np.arange(n)
    return bool(np.all(np.abs(grid - times) <= 8 * np.finfo(float).eps * np.maximum(np.abs(times), dt)))


def classify(L: np.ndarray, t_max: float, block0=False, norm: np.ndarray | None = None):
    """Which points the double path propagates exactly, and their deflation projectors.

    ``block0``: False, True (two-site |q| = 0 blocks, trace functional ρ00+ρ11+ρ22+ρ33) or the trace
    functional ℓ (n,) of a |q| = 0 block of any size (N sites: ones on its population coordinates).

    Returns ``(use_dd, P0)``: boolean (P,) and (P, n, n) (zero where nothing is deflated), or None
    when no point is deflated.
    """
    P, n, _ = L.shape
    if norm is None:
        norm = np.abs(L).sum(axis=-2).max(axis=-1)
    use_dd = np.zeros(P, dtype=bool)
    P0 = None
    with np.errstate(over="ignore"):
        long_ = norm * t_max > TN_FAST
    idx = np.flatnonzero(long_)
    if idx.size == 0:
        return use_dd, P0
    # a weak coupling matters at long times only: the deflation projector (an LU solve) carries
    # ~1e-17 absolute noise in the near-zero entries it feeds (1e-12 in C at a = 1e-12, ã ~ 1); at
    # shorter times the Padé products keep entries that are small because an edge is small relatively
    # accurate (measured ≤ 1e-14 in C from ã/a = 1e-5 down to 1e-16, tests/test_extremes_evolve.py)
    absL = np.abs(L[idx])
    smallest = np.where(absL > 0, absL, np.inf).min(axis=(-2, -1))
    weak = smallest < WEAK_REL * norm[idx]
    use_dd[idx[weak]] = True
    idx = idx[~weak]
    if idx.size:
        P0 = np.zeros_like(L)
        Ls = L[idx]
        ev = np.linalg.eigvals(Ls)
        slow = (-ev.real) < GAP_REL * norm[idx, None]
        nslow = slow.sum(axis=-1)
        flag = isinstance(block0, (bool, np.bool_)) or block0 is None
        if not flag or bool(block0):
            ok = nslow == 1
            k = idx[ok]
            if k.size:
                # the one kernel projector (magbell.liouvillian._kernel): rank one with the exact zeros in x
                # (an entrywise mask on x ℓ with x off by 3e-14 gave 6e-12…1.5e-11 in ρ through the deflated
                # squaring), refined everywhere since cond(M) reaches ~‖L‖/γ ≤ 1/GAP_REL here and the
                # deflation passes x's error into ρ (worst over 400 random slow-gap models: 9.9e-14 refined
                # only where ill-conditioned, 5.6e-14 refined everywhere)
                Pk, dims, _ = trace_kernel_projector(L[k], ell=None if flag else block0, refine=True)
                Pk, trusted = _trusted(L[k], Pk, dims, norm[k])
                P0[k] = Pk
                ok[np.flatnonzero(ok)[~trusted]] = False
        else:
            ok = nslow == 0
        use_dd[idx[~ok]] = True
    return use_dd, P0


def _trusted(L: np.ndarray, P0: np.ndarray, dims: np.ndarray, norm: np.ndarray):
    """Where a deflation projector may be used: a one-dimensional kernel (the slow eigenvalue count of
    :func:`classify`, and a non-singular bordered system) and, a posteriori, ``‖L P0‖₁ ≤ 1e-13·‖L‖₁·max(1,
    ‖P0‖₁)``. Returns the projectors (zero where not trusted) and the mask."""
    with np.errstate(over="ignore", invalid="ignore"):
        resid = np.abs(L @ P0).sum(axis=-2).max(axis=-1)
        ok = (dims == 1) & np.isfinite(resid)
        ok &= resid <= 1e-13 * norm * np.maximum(1.0, np.abs(P0).sum(axis=-2).max(axis=-1))
    return np.where(ok[:, None, None], P0, 0.0), ok


def propagate(
    L: np.ndarray,
    r0: np.ndarray,
    times: np.ndarray,
    uniform: bool | None = None,
    exact=None,
    block0: bool = False,
    info: dict | None = None,
    *,
    scaled: bool = False,
    steps: np.ndarray | None = None,
    which: np.ndarray | None = None,
    split: bool = False,
    rows: np.ndarray | None = None,
):
    """States ``exp(L t) r0`` for a stack of generators.

    Parameters
    ----------
    L : (P, n, n) real generators.
    exact : optional callable ``idx -> (hi, lo)``: the exact generators of points ``idx`` as double-double
        pairs (hi + lo), used on the dd path (default: ``L`` itself).
    r0 : (S, n) initial vectors (shared by all P generators).
    times : (T,) non-negative times.
    block0 : L are |q|=0 blocks (a trace kernel exists and may be deflated): True for the two-site block,
        or the block's trace functional ℓ (n,) for any N (one kernel projector for every solver).
    info : if given, ``info["dd_points"]`` receives the number of points propagated in double-double, and
        ``info["deflated_points"]`` (block0) the number whose trace kernel was deflated.
    rows : optional indices of the components wanted (default all): the result has ``len(rows)`` components,
        and the uniform path forms only those rows of the big-step powers (the last, largest product).
    scaled : the renormalised variant (:func:`magbell.backend._scaled.propagate_scaled`): L (P, n, n) real
        or complex, r0 (P or 1, S, n, k), ``times`` sorted and unique, or ``None`` with the step plan given
        as ``steps``/``which`` (:func:`magbell.backend._scaled.step_plan`); ``split`` returns complex states
        as (real part, imaginary part). Returns ``(X, LS)``: X (P, S, n, k, T), int64 exponents LS (P, S, T)
        or None (no scaling was needed); the state at t_k is ``2^LS[..., k] · X[..., k]``.

    Returns
    -------
    (P, S, n, T) array (component-major, so each component's time series is contiguous).
    """
    if scaled:
        if steps is None:
            steps, which = step_plan(np.asarray(times, dtype=float))
        return propagate_scaled(L, r0, steps, which, split=split)
    times = np.asarray(times, dtype=float)
    L = np.asarray(L, dtype=float)
    if uniform is None:
        uniform = is_uniform(times)
    t_max = float(times.max()) if times.size else 0.0
    neg = None
    absL = np.abs(L)
    if t_max > 0:
        neg = (absL <= NEGLIGIBLE / t_max) & (L != 0)
        if np.any(neg):
            L = np.where(neg, 0.0, L)
            absL = np.abs(L)
        else:
            neg = None
    P, n, _ = L.shape
    use_dd, P0 = classify(L, t_max, block0, absL.sum(axis=-2).max(axis=-1))
    if info is not None:
        info["dd_points"] = info.get("dd_points", 0) + int(use_dd.sum())
        if P0 is not None:  # points whose trace kernel is deflated (block0)
            info["deflated_points"] = info.get("deflated_points", 0) + int(np.any(P0 != 0, axis=(-2, -1)).sum())
    if not np.any(use_dd):
        return _propagate_double(L, r0, times, uniform, P0, rows)
    out = np.empty((P, r0.shape[0], n if rows is None else len(rows), len(times)), dtype=float)
    fast = np.flatnonzero(~use_dd)
    if fast.size:
        out[fast] = _propagate_double(L[fast], r0, times, uniform, None if P0 is None else P0[fast], rows)
    slow = np.flatnonzero(use_dd)
    if exact is None:
        Lh, Ll = L[slow], np.zeros_like(L[slow])
    else:
        Lh, Ll = exact(slow)
        if neg is not None:
            Lh, Ll = np.where(neg[slow], 0.0, Lh), np.where(neg[slow], 0.0, Ll)
    x = _propagate_dd(Lh, Ll, r0, times, uniform)
    out[slow] = x if rows is None else x[:, :, rows]
    return out


# ------------------------------------------------------------------------------------------- double


def _propagate_double(L, r0, times, uniform, P0, rows=None):
    pattern = reachable(L)  # exact zeros of exp(L t)
    deflate = P0 is not None

    def exp_lt(A):
        """exp(A) for A = L·t (stack over L's leading axis, maybe with a time axis), C-contiguous."""
        mask = pattern if A.ndim == 3 else pattern[:, None]
        if deflate and squarings(A) > DEFLATE_AFTER_SQUARINGS:
            E = expm(A, projector=P0 if A.ndim == 3 else P0[:, None])
        else:
            E = expm(A)
        return np.multiply(E, mask, out=np.empty(E.shape, dtype=E.dtype))

    if uniform and len(times) >= 2:
        return _propagate_uniform(L, r0, times, exp_lt, rows, P0)
    return _propagate_direct(L, r0, times, exp_lt, rows)


def _propagate_direct(L, r0, times, exp_lt, rows=None):
    E = exp_lt(L[:, None, :, :] * times[None, :, None, None])  # (P, T, n, n)
    if rows is not None:
        E = E[:, :, rows]
    return np.einsum("ptij,sj->psit", E, r0)


def _powers_times(squares: list, X: np.ndarray, count: int) -> np.ndarray:
    """[X, M X, M² X, ..., M^(count-1) X] side by side, by doubling: ``squares[m] = M^(2^m)``.

    ``X`` is (P, n, k); the result is (P, n, count*k) with column block i holding ``M^i X``. Each block
    is reached with at most log2(count) products, so rounding does not accumulate over ``count`` steps.
    The products write into one preallocated array, and the last doubling forms only the blocks wanted.
    """
    P, n, k = np.broadcast_shapes(X.shape, (squares[0].shape[0], 1, 1))
    out = np.empty((P, n, count * k), dtype=np.result_type(squares[0], X))
    out[:, :, :k] = X
    h, m = 1, 0
    while h < count:
        g = min(h, count - h)
        np.matmul(squares[m], out[:, :, : g * k], out=out[:, :, h * k : (h + g) * k])
        h += g
        m += 1
    return out


def _rows_times(X: np.ndarray, squares: list, count: int) -> np.ndarray:
    """Row blocks [X, X M, X M², ..., X M^(count-1)] stacked by doubling from the right (``squares[m] =
    M^(2^m)``): X (P or 1, r, n) → (P, count, r, n) with block i holding ``X M^i``."""
    P, n, _ = squares[0].shape
    r = X.shape[-2]
    out = np.empty((P, count * r, n), dtype=np.result_type(squares[0], X))
    out[:, :r] = X
    h, m = 1, 0
    while h < count:
        g = min(h, count - h)
        np.matmul(out[:, : g * r], squares[m], out=out[:, h * r : (h + g) * r])
        h += g
        m += 1
    return out.reshape(P, count, r, n)


def _propagate_uniform(L, r0, times, exp_lt, rows=None, P0=None):
    """t_k = t0 + k dt with k = i*J + j (J = 2^b ≈ √T small steps, B big steps of J dt).

    ``P0`` (deflated points; zero elsewhere): the powers are those of D = exp(L dt) − P0, applied to the
    transient part x − P0 x, and P0 x is added back once: P^k = P0 + D^k (k ≥ 1, P0 P = P P0 = P0²
    = P0). Powers of P itself carry the rounding of its eigenvalue 1 into every product (k·eps: 3.5e-13
    in ρ at t = 1e3 on 200 points for a = 1, |A| = 0.5, a state long relaxed; the direct path 1e-37).
    """
    P, n, _ = L.shape
    T = len(times)
    S = r0.shape[0]
    t0 = times[0]
    dt = (times[-1] - t0) / (T - 1)
    b, J, B = anchor_split(T)
    small = [exp_lt(L * dt)]  # P1^(2^m)
    if P0 is not None:
        small[0] = small[0] - P0
    for _ in range(b):
        small.append(small[-1] @ small[-1])
    PJ = small[-1]
    big = [PJ]  # PJ^(2^m)
    while 2 ** len(big) < B:
        big.append(big[-1] @ big[-1])
    dtype = np.result_type(L, r0)
    if rows is None:
        r = n
        # Q[p, k, i, m] = (PJ^i)[k, m]: big-step powers side by side (products from the left)
        Q = _powers_times(big, np.eye(n, dtype=PJ.dtype)[None], B).reshape(P, n, B, n)
    else:
        # only the wanted rows of every PJ^i: row blocks e_rows·PJ^i, stacked by doubling from the right,
        # then read in the order (row, i) that the last product writes (a strided view, no copy)
        r = len(rows)
        Q = _rows_times(np.eye(n, dtype=PJ.dtype)[rows][None], big, B).transpose(0, 2, 1, 3)
    start = np.broadcast_to(r0.T.astype(dtype), (P, n, S))
    if t0 != 0:
        start = exp_lt(L * t0) @ start
    fixed = None
    if P0 is not None:
        fixed = P0 @ start  # the stationary part, (P, n, S)
        start = start - fixed
        fixed = fixed if rows is None else fixed[:, rows]
    # rows outermost: each component's (P, S, T) block is contiguous, so the measures' elementwise passes
    # run on contiguous memory (NumPy's passes over strided 2-D views measured 3-4x slower per element)
    out = np.empty((r, P, S, T), dtype=dtype)
    nb = T // J  # big steps whose J small steps all lie in the grid; the remaining T - nb·J times follow
    for s in range(S):
        anchors = _powers_times(small, start[:, :, s : s + 1], J)  # (P, n, J): P1^j x
        o = out[:, :, s]  # (r, P, T)
        # [k, i, j] = (PJ^i P1^j x)[k], i·J + j < T: written in place, one product per (point, row) of
        # ≥ 2 big steps (a one-row product would go to BLAS gemv, whose rounding order may differ)
        if nb >= 2:
            np.matmul(Q[:, :, :nb], anchors[:, None], out=o[:, :, : nb * J].reshape(r, P, nb, J).transpose(1, 0, 2, 3))
            rem = T - nb * J  # the last, partial big step
            if rem >= 2 and r >= 2:  # (r × n)·(n × rem) per point
                o[:, :, nb * J :] = np.matmul(Q[:, :, B - 1], anchors[:, :, :rem]).transpose(1, 0, 2)
            elif rem:  # a one-row or one-column product would be a gemv: from the product over the last two
                rest = np.matmul(Q[:, :, B - 2 :], anchors[:, None]).reshape(P, r, 2 * J)
                o[:, :, nb * J :] = rest[:, :, (nb - B + 2) * J : T - (B - 2) * J].transpose(1, 0, 2)
        else:  # a short grid: one product per point over all rows and big steps
            full = np.ascontiguousarray(Q).reshape(P, r * B, n) @ anchors
            o[...] = full.reshape(P, r, B * J)[:, :, :T].transpose(1, 0, 2)
        if fixed is not None:
            o += fixed[:, :, s].T[:, :, None]
    return out.transpose(1, 2, 0, 3)


# ---------------------------------------------------------------------------------------- dd path


def _scaled(Lh, Ll, t):
    """(L_h + L_l)·t as double-double; t broadcasts against L's leading axes.

    L is first scaled by a power of two to ‖L‖ ~ 1 (and t by its inverse), exactly, so that Dekker's
    split neither overflows nor loses the low part to subnormals for rates from 1e-150 to 1e150.
    """
    norm = np.abs(Lh).sum(axis=-2).max(axis=-1)
    e = np.frexp(np.where(norm > 0, norm, 1.0))[1][..., None, None]
    Lh, Ll, t = np.ldexp(Lh, -e), np.ldexp(Ll, -e), np.ldexp(t, e)
    ph, pl = two_prod(Lh, t)
    return dd_add(ph, pl, Ll * t, np.zeros_like(ph))


def _step(Xh, Xl, rh, rl):
    """r + X r in double-double (X: (..., n, n), r: (..., n, k))."""
    qh, ql = dd_matmul((Xh, Xl), (rh, rl))
    return dd_add(rh, rl, qh, ql)


def _propagate_dd(Lh, Ll, r0, times, uniform):
    P, n, _ = Lh.shape
    if P > _DD_BATCH:
        return np.concatenate(
            [_propagate_dd(Lh[a : a + _DD_BATCH], Ll[a : a + _DD_BATCH], r0, times, uniform) for a in range(0, P, _DD_BATCH)]
        )
    S = r0.shape[0]
    T = len(times)
    pattern = reachable(Lh)
    out = np.empty((P, S, n, T))
    r = np.broadcast_to(r0.T.astype(float), (P, n, S)).copy()
    if uniform and T >= 2:
        t0 = times[0]
        dt = (times[-1] - t0) / (T - 1)
        rh, rl = r, np.zeros_like(r)
        if t0 != 0:
            Xh, Xl = expm1_dd(*_scaled(Lh, Ll, t0))
            rh, rl = _step(Xh * pattern, Xl * pattern, rh, rl)
        Xh, Xl = expm1_dd(*_scaled(Lh, Ll, dt))
        Xh, Xl = Xh * pattern, Xl * pattern
        for k in range(T):
            if k:
                rh, rl = _step(Xh, Xl, rh, rl)
            out[:, :, :, k] = np.swapaxes(rh, 1, 2)
        return out
    per = max(1, _DD_BATCH // max(1, P))
    for a in range(0, T, per):
        tk = times[a : a + per]
        Ah, Al = _scaled(Lh[:, None], Ll[:, None], tk[None, :, None, None])  # (P, k, n, n)
        Xh, Xl = expm1_dd(Ah, Al)
        Xh, Xl = Xh * pattern[:, None], Xl * pattern[:, None]
        rr = np.broadcast_to(r[:, None], (P, len(tk), n, S))
        rh, rl = _step(Xh, Xl, rr, np.zeros_like(rr))
        out[:, :, :, a : a + len(tk)] = np.transpose(rh, (0, 3, 2, 1))  # (P, k, n, S) -> (P, S, n, k)
    return out
