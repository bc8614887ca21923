"""Eigenvalues of generator blocks whose rates span many orders of magnitude (graded matrices).

A dense eigensolver is backward stable: its eigenvalues are those of L + E with ‖E‖ ~ eps·‖L‖. When one
set of coordinates decays much faster than the rest (dephasing d = 1e12 on the coherences, relaxation
a = 1 on the populations), eps·‖L‖ ~ 1e-4 is the absolute error of every eigenvalue, the slow ones
included. Here such blocks are first split exactly: with the coordinates ordered (slow S, fast F),

    C = [[A, B], [G, D]],     T = [[I, 0], [Y, I]],     T⁻¹ C T = [[A + B Y, B], [0, D − Y B]]

where Y solves the Riccati equation ``D Y = Y (A + B Y) − G`` (fixed-point iteration, contraction
≲ 1/SPLIT_RATIO per step where σ_min(D) ≥ SPLIT_RATIO·(‖A‖ + √(‖B‖‖G‖))). The slow eigenvalues are those
of ``A + B Y`` (the adiabatic elimination of the fast coordinates, exact), formed on the slow scale
(B Y ~ ‖B‖‖G‖/‖D‖), the fast ones those of ``D − Y B``; both parts are split again recursively. Each
eigenvalue comes with its resolution: 128·eps times the 1-norm of the block it was computed from.
"""

from __future__ import annotations

import numpy as np

__all__ = ["graded_eigvals", "SPLIT_RATIO", "RESOLUTION_FACTOR"]

#: a fast set F is split off where σ_min(C_FF) exceeds this times ‖C_SS‖ + √(‖C_SF‖‖C_FS‖)
SPLIT_RATIO = 64.0
#: resolution of an eigenvalue: this × eps × the 1-norm of the (split) block it comes from
RESOLUTION_FACTOR = 128.0
_EPS = np.finfo(float).eps


def _norm1(X: np.ndarray) -> float:
    return float(np.abs(X).sum(axis=0).max(initial=0.0)) if X.size else 0.0


def _find_split(C: np.ndarray):
    """(S, F) index arrays of the best exact split of C, or None."""
    n = C.shape[0]
    order = np.argsort(-np.abs(np.diagonal(C)), kind="stable")
    best, arg = SPLIT_RATIO, None
    for k in range(1, n):
        F, S = order[:k], order[k:]
        D = C[np.ix_(F, F)]
        sF = np.linalg.svd(D, compute_uv=False)[-1]
        if sF == 0:
            continue
        rest = _norm1(C[np.ix_(S, S)]) + np.sqrt(_norm1(C[np.ix_(S, F)]) * _norm1(C[np.ix_(F, S)]))
        ratio = sF / rest if rest > 0 else np.inf
        if ratio > best:
            best, arg = ratio, (np.sort(S), np.sort(F))
            if not np.isfinite(ratio):
                break
    return arg


def _graded_one(C: np.ndarray, depth: int = 0):
    """Eigenvalues and resolutions of one square matrix (recursive splitting)."""
    n = C.shape[0]
    if n == 0:
        return np.zeros(0, dtype=complex), np.zeros(0)
    split = _find_split(C) if (n > 1 and depth < 8) else None
    if split is None:
        ev = np.linalg.eigvals(C).astype(complex)
        return ev, np.full(n, RESOLUTION_FACTOR * _EPS * _norm1(C))
    S, F = split
    A, B = C[np.ix_(S, S)], C[np.ix_(S, F)]
    G, D = C[np.ix_(F, S)], C[np.ix_(F, F)]
    if not (np.any(B) and np.any(G)):  # block triangular already: eigenvalues of A and D, exactly
        Y = np.zeros(G.shape, dtype=C.dtype)
    else:
        try:
            Y = -np.linalg.solve(D, G)
            for _ in range(60):
                Yn = np.linalg.solve(D, Y @ (A + B @ Y) - G)
                done = np.abs(Yn - Y).max(initial=0.0) <= _EPS * np.abs(Yn).max(initial=0.0)
                Y = Yn
                if done:
                    break
        except np.linalg.LinAlgError:  # pragma: no cover - σ_min(D) > 0 was checked
            ev = np.linalg.eigvals(C).astype(complex)
            return ev, np.full(n, RESOLUTION_FACTOR * _EPS * _norm1(C))
    e1, r1 = _graded_one(A + B @ Y, depth + 1)
    e2, r2 = _graded_one(D - Y @ B, depth + 1)
    return np.concatenate([e1, e2]), np.concatenate([r1, r2])


def graded_eigvals(C: np.ndarray):
    """Eigenvalues of a stack C (P, n, n) with per-eigenvalue absolute resolutions: ``(ev, res)``.

    Points whose coordinates all act on comparable scales (no coordinate's row and column mass below
    ‖C‖₁/SPLIT_RATIO) take one batched ``eigvals``; the others are split exactly (module docstring), so
    a slow eigenvalue is resolved to ~eps times the slow scale, not eps·‖C‖.
    """
    C = np.asarray(C)
    P, n = C.shape[0], C.shape[-1]
    absC = np.abs(C)
    mass = absC.sum(axis=-1) + absC.sum(axis=-2)  # (P, n): row + column mass of each coordinate
    norm = absC.sum(axis=-2).max(axis=-1, initial=0.0)  # (P,)
    graded = mass.min(axis=-1) * SPLIT_RATIO < norm
    ev = np.zeros((P, n), dtype=complex)
    res = np.repeat((RESOLUTION_FACTOR * _EPS * norm)[:, None], n, axis=1)
    plain = np.flatnonzero(~graded)
    if plain.size:
        ev[plain] = np.linalg.eigvals(C[plain])
    for p in np.flatnonzero(graded):
        ev[p], res[p] = _graded_one(C[p])
    return ev, res
