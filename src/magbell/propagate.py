"""Exact propagation of constant real generator blocks: ``r(t) = exp(L t) r0`` on a time grid.

Two strategies, both exact to rounding (no ODE tolerance), both exact at exceptional points where L is
defective (no eigendecomposition is used):

``uniform``   times ``t_k = t0 + k·dt``. With ``B = 2^b ≥ √n``: ``P = exp(L dt)`` by Padé scaling and
              squaring, ``P^B`` by ``b`` squarings, anchor states ``r(t0 + jB dt) = (P^B)^j r(t0)`` and
              in-block powers ``P^i`` (i < B) by repeated products. Each output is ``P^i · anchor_j``, so
              rounding errors accumulate over at most ``B + n/B ≈ 2√n`` products instead of ``n``.
``direct``    arbitrary times: ``exp(L t_k)`` for every time (cost grows with the number of times).
"""

from __future__ import annotations

import numpy as np

from .expm import expm, squarings
from .kernel import reachable

__all__ = ["is_uniform", "propagate"]

#: Deflate the kernel (see :func:`magbell.expm.expm`) when the scaling needs more squarings than this.
DEFLATE_AFTER_SQUARINGS = 5


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


def propagate(
    L: np.ndarray,
    r0: np.ndarray,
    times: np.ndarray,
    uniform: bool | None = None,
    projector=None,
) -> np.ndarray:
    """States ``exp(L t) r0`` for a stack of generators.

    Parameters
    ----------
    L : (P, n, n) real or complex generators.
    r0 : (S, n) initial vectors (shared by all P generators).
    times : (T,) non-negative times.
    projector : callable returning the kernel projectors (P, n, n) of L; called only when a step is long
        enough (many squarings) for the deflated exponential to matter.

    Returns
    -------
    (P, S, n, T) array (component-major, so each component's time series is contiguous).
    """
    times = np.asarray(times, dtype=float)
    if uniform is None:
        uniform = is_uniform(times)
    cache = {}
    pattern = reachable(L)  # exact zeros of exp(L t)

    def exp_lt(A):
        """exp(A) for A = L·t (stack over L's leading axis, maybe with a time axis)."""
        mask = pattern if A.ndim == 3 else pattern[:, None]
        if projector is not None and squarings(A) > DEFLATE_AFTER_SQUARINGS:
            if "P0" not in cache:
                cache["P0"] = projector()
            P0 = cache["P0"] if A.ndim == 3 else cache["P0"][:, None]
            return expm(A, projector=P0) * mask
        return expm(A) * mask

    if uniform and len(times) >= 2:
        return _propagate_uniform(L, r0, times, exp_lt)
    return _propagate_direct(L, r0, times, exp_lt)


def _propagate_direct(L, r0, times, exp_lt):
    E = exp_lt(L[:, None, :, :] * times[None, :, None, None])  # (P, T, n, n)
    return np.einsum("ptij,sj->psit", E, r0)


def _powers_times(squares: list, X: np.ndarray, count: int) -> np.ndarray:
    """[X, M X, M² X, ..., M^(count-1) X] side by side, by doubling: ``squares[m] = M^(2^m)``.

    ``X`` is (P, n, k); the result is (P, n, count*k) with column block i holding ``M^i X``. Each block
    is reached with at most log2(count) products, so rounding does not accumulate over ``count`` steps.
    """
    out = X
    m = 0
    while out.shape[-1] < count * X.shape[-1]:
        out = np.concatenate([out, squares[m] @ out], axis=-1)
        m += 1
    return out[..., : count * X.shape[-1]]


def _propagate_uniform(L, r0, times, exp_lt):
    """t_k = t0 + k dt with k = i*J + j (J = 2^b ≈ √T small steps, B big steps of J dt)."""
    P, n, _ = L.shape
    T = len(times)
    S = r0.shape[0]
    t0 = times[0]
    dt = (times[-1] - t0) / (T - 1)
    b = max(0, int(np.ceil(0.5 * np.log2(T))))
    J = 2**b
    B = -(-T // J)
    small = [exp_lt(L * dt)]  # P1^(2^m)
    for _ in range(b):
        small.append(small[-1] @ small[-1])
    PJ = small[-1]
    big = [PJ]  # PJ^(2^m)
    while 2 ** len(big) < B:
        big.append(big[-1] @ big[-1])
    dtype = np.result_type(L, r0)
    # Q[p, k, i*n + m] = (PJ^i)[k, m]: big-step powers side by side
    Q = _powers_times(big, np.broadcast_to(np.eye(n, dtype=PJ.dtype), (P, n, n)), B)
    Q = Q.reshape(P, n * B, n)
    start = np.broadcast_to(r0.T.astype(dtype), (P, n, S))
    if t0 != 0:
        start = exp_lt(L * t0) @ start
    out = np.empty((P, S, n, T), dtype=dtype)
    for s in range(S):
        anchors = _powers_times(small, start[:, :, s : s + 1], J)  # (P, n, J): P1^j x
        full = (Q @ anchors).reshape(P, n, B * J)  # [k, i*J + j] = (PJ^i P1^j x)[k]
        if S == 1:
            return full[:, None, :, :T]
        out[:, s] = full[:, :, :T]
    return out
