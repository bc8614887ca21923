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


def _offdiag_norm1(X: np.ndarray) -> float:
    return _norm1(X - np.diag(np.diagonal(X)))


def _find_split(C: np.ndarray):
    """(S, F) index arrays of the best exact split of C, or None.

    Two kinds of split: by scale (σ_min(C_FF) ≫ ‖C_SS‖ + √(‖C_SF‖‖C_FS‖): fast decays or fast phases
    eliminated) and by separation of the diagonal (coordinates ordered by decay rate or by frequency,
    cut where min |C_ff − C_ss| ≫ the couplings: a slow mode rotating at 1e12 next to one dephased at
    1e12 — both large in magnitude, far apart in the complex plane)."""
    n = C.shape[0]
    diag = np.diagonal(C)
    best, arg = SPLIT_RATIO, None
    for order in (np.argsort(-np.abs(diag), kind="stable"), np.argsort(diag.real, kind="stable"),
                  np.argsort(diag.imag, kind="stable")):
        for k in range(1, n):
            F, S = order[:k], order[k:]
            D = C[np.ix_(F, F)]
            A = C[np.ix_(S, S)]
            cpl = np.sqrt(_norm1(C[np.ix_(S, F)]) * _norm1(C[np.ix_(F, S)]))
            sF = np.linalg.svd(D, compute_uv=False)[-1]
            rest = _norm1(A) + cpl
            r1 = sF / rest if rest > 0 else (np.inf if sF > 0 else 0.0)
            sep = np.abs(diag[F][:, None] - diag[S][None, :]).min() - _offdiag_norm1(D) - _offdiag_norm1(A)
            r2 = sep / cpl if cpl > 0 else (np.inf if sep > 0 else 0.0)
            ratio = max(r1, r2)
            if ratio > best:
                best, arg = ratio, (np.sort(S), np.sort(F))
                if not np.isfinite(ratio):
                    return arg
    return arg


def _leaf(C: np.ndarray):
    """Eigenvalues of an unsplittable block, its common frequency shifted out exactly (a scalar shift
    commutes with everything); resolution 128·eps·‖C − shift‖₁."""
    n = C.shape[0]
    shift = 1j * np.mean(np.diagonal(C).imag) if np.iscomplexobj(C) else 0.0
    Cs = C - shift * np.eye(n) if shift else C
    ev = np.linalg.eigvals(Cs).astype(complex) + shift
    return ev, np.full(n, RESOLUTION_FACTOR * _EPS * _norm1(Cs))


def _graded_one(C: np.ndarray, depth: int = 0):
    """Eigenvalues and resolutions of one square matrix (recursive splitting)."""
    n = C.shape[0]
    if n == 0:
        return np.zeros(0, dtype=complex), np.zeros(0)
    split = _find_split(C) if (n > 1 and depth < 8) else None
    if split is None:
        return _leaf(C)
    S, F = split
    A, B = C[np.ix_(S, S)], C[np.ix_(S, F)]
    G, D = C[np.ix_(F, S)], C[np.ix_(F, F)]
    if not (np.any(B) and np.any(G)):  # block triangular already: eigenvalues of A and D, exactly
        Y = np.zeros(G.shape, dtype=C.dtype)
    else:
        # D Y − Y (A + B Y) = −G: a Sylvester solve per step (Kronecker form), converging like
        # ‖B‖‖G‖/sep(D, A)²
        m, k = G.shape
        Im, Ik = np.eye(m), np.eye(k)
        try:
            Y = np.zeros(G.shape, dtype=np.result_type(C, float))
            for _ in range(60):
                Sk = A + B @ Y
                K = np.kron(Ik, D) - np.kron(Sk.T, Im)  # column-stacked vec(D Y − Y Sk)
                Yn = np.linalg.solve(K, -G.reshape(-1, order="F")).reshape(m, k, order="F")
                done = np.abs(Yn - Y).max(initial=0.0) <= _EPS * np.abs(Yn).max(initial=0.0)
                Y = Yn
                if done:
                    break
        except np.linalg.LinAlgError:  # pragma: no cover - a separation was checked
            return _leaf(C)
    e1, r1 = _graded_one(A + B @ Y, depth + 1)
    e2, r2 = _graded_one(D - Y @ B, depth + 1)
    return np.concatenate([e1, e2]), np.concatenate([r1, r2])


def graded_eigvals(C: np.ndarray):
    """Eigenvalues of a stack C (P, n, n) with per-eigenvalue absolute resolutions: ``(ev, res)``.

    Points whose coordinates all act on comparable scales (no coordinate's decay rate plus off-diagonal
    row and column mass below ‖C‖₁/SPLIT_RATIO) take one batched ``eigvals``; the others are split exactly (module docstring), so
    a slow eigenvalue is resolved to ~eps times the slow scale, not eps·‖C‖.
    """
    C = np.asarray(C)
    P, n = C.shape[0], C.shape[-1]
    absC = np.abs(C)
    dg = np.abs(np.diagonal(C, axis1=-2, axis2=-1))
    # (P, n): each coordinate's off-diagonal row + column mass plus its own decay rate (a frequency on
    # the diagonal does not make a coordinate fast: it is shifted out exactly where it is common)
    mass = absC.sum(axis=-1) + absC.sum(axis=-2) - 2 * dg + np.abs(np.diagonal(C, axis1=-2, axis2=-1).real)
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
