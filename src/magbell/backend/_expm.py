"""Batched matrix exponential (Padé scaling and squaring, Higham 2005), NumPy only.

``scipy.linalg.expm`` accepts stacks of matrices but spends ~25 µs per 6×6 matrix; this version does the
same algorithm with one batched matmul per step for the whole stack and a per-matrix number of
squarings, so its cost is a handful of batched matmuls. It is exact to rounding at defective matrices
(exceptional points) because it never diagonalises.
"""

from __future__ import annotations

import numpy as np

__all__ = ["expm"]

_THETA = {3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1, 9: 2.097847961257068e0}
_THETA13 = 5.371920351148152
_B = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (
        17643225600.0,
        8821612800.0,
        2075673600.0,
        302702400.0,
        30270240.0,
        2162160.0,
        110880.0,
        3960.0,
        90.0,
        1.0,
    ),
    13: (
        64764752532480000.0,
        32382376266240000.0,
        7771770303897600.0,
        1187353796428800.0,
        129060195264000.0,
        10559470521600.0,
        670442572800.0,
        33522128640.0,
        1323241920.0,
        40840800.0,
        960960.0,
        16380.0,
        182.0,
        1.0,
    ),
}


def _pade(A: np.ndarray, m: int) -> np.ndarray:
    b = _B[m]
    n = A.shape[-1]
    eye = np.eye(n, dtype=A.dtype)
    A2 = A @ A
    if m == 13:
        A4 = A2 @ A2
        A6 = A4 @ A2
        U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
        V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    else:
        powers = [A2]
        while len(powers) < (m - 1) // 2:
            powers.append(powers[-1] @ A2)
        # Σ_k b_k A^(2k) in the order ((b_0 I + b_2 A²) + b_4 A⁴) + ..., in place (addition commutes exactly)
        U = b[3] * A2
        U += b[1] * eye
        V = b[2] * A2
        V += b[0] * eye
        for k in range(2, len(powers) + 1):
            U += b[2 * k + 1] * powers[k - 1]
            V += b[2 * k] * powers[k - 1]
        U = A @ U
    if m <= 7 and n <= _DOMINANT_MAX_N:
        return _dominant_solve(V - U, V + U)
    return np.linalg.solve(V - U, V + U)


#: largest order for which :func:`_dominant_solve` (n² vector operations) beats LAPACK's per-matrix calls
_DOMINANT_MAX_N = 8


def _dominant_solve(Q: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Q⁻¹R for a stack of strictly column diagonally dominant Q (P, n, n), by Gaussian elimination without
    pivoting, vectorised across the stack (entry-major (n, n, P) layout: one vector operation per entry update,
    instead of one LAPACK call per matrix, ~1 µs each).

    Used for the Padé denominators q_m(A) = Σ_k b_k (−A)^k of degree m ≤ 7 with ‖A‖₁ ≤ θ_m: there
    ‖q_m(A) − b_0 I‖₁ ≤ Σ_{k≥1} b_k θ_m^k < b_0 (0.9/120, 4.1e3/3.0e4, 1.03e7/1.73e7 for m = 3, 5, 7; not for
    m = 9, 13), so every column's diagonal entry exceeds the sum of its off-diagonal moduli. Partial pivoting
    would then interchange no rows, dominance is preserved by elimination, the growth factor is ≤ 2 and the
    elimination is backward stable (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., 2002,
    Thm. 9.9): the same factorisation LAPACK's ``gesv`` computes, up to the order of its roundings.
    """
    n = Q.shape[-1]
    # [Q | R] entry-major, (n, 2n, P): one elimination step updates a row's Q and R parts in one operation
    a = np.empty((n, 2 * n) + Q.shape[:1], dtype=np.result_type(Q, R))
    a[:, :n] = Q.transpose(1, 2, 0)
    a[:, n:] = R.transpose(1, 2, 0)
    for k in range(n - 1):
        # rows k+1.. at once: the same products and differences, entry by entry, as one row at a time
        f = a[k + 1 :, k] * (1.0 / a[k, k])
        a[k + 1 :, k + 1 :] -= f[:, None] * a[k, k + 1 :]
    r = a[:, n:]
    for k in range(n - 1, -1, -1):
        for j in range(k + 1, n):
            r[k] -= a[k, j] * r[j]
        r[k] /= a[k, k]
    return r.transpose(2, 0, 1)


def squarings(A: np.ndarray) -> int:
    """Number of squarings the scaling step needs for the largest matrix of the stack."""
    A = np.asarray(A)
    if A.size == 0:
        return 0
    with np.errstate(over="ignore", invalid="ignore"):
        nmax = float(np.abs(A).sum(axis=-2).max())
    _check_finite(nmax)
    return 0 if nmax <= _THETA13 else int(np.ceil(np.log2(nmax / _THETA13)))


def _check_finite(nmax: float) -> None:
    """A one-line error instead of an OverflowError (int(inf)) or a NaN propagator."""
    if not np.isfinite(nmax):
        from ..errors import InvalidParameterError

        raise InvalidParameterError(
            "expm: the matrix (generator × time) has a non-finite entry or a 1-norm beyond the float range"
        )


def expm(A: np.ndarray, projector: np.ndarray | None = None) -> np.ndarray:
    """exp(A) for a stack of square matrices ``A`` of shape ``(..., n, n)`` (real or complex).

    ``projector``: the spectral projector P0 onto the eigenvalue-0 space of ``A`` (same shape). When
    given, ``exp(A) = P0 + (exp(A/2^s) − P0)^(2^s)`` is squared instead of ``exp(A/2^s)``: rounding in
    the eigenvalue-1 part of the scaled exponential no longer grows like 2^s·eps (for a Liouvillian
    times a long time t, 2^s ≈ ‖L‖t, so this is what keeps ``exp(L·10⁶)`` exact to ~1e-15).
    """
    A = np.asarray(A)
    if A.dtype.kind not in "fc":
        A = A.astype(float)
    batch = A.shape[:-2]
    n = A.shape[-1]
    A = A.reshape(-1, n, n)
    if projector is not None:
        projector = np.broadcast_to(projector, batch + (n, n)).reshape(-1, n, n)
    if A.shape[0] == 0:
        return A.reshape(*batch, n, n).copy()
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.abs(A).sum(axis=-2).max(axis=-1)  # 1-norm of each matrix
    nmax = norms.max()
    _check_finite(nmax)
    for m in (3, 5, 7, 9):
        if nmax <= _THETA[m]:
            return _pade(A, m).reshape(*batch, n, n)
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(norms / _THETA13))).astype(int)
    s = np.where(norms > 0, s, 0)
    scaled = A / (2.0 ** s)[:, None, None]
    R = _pade(scaled, 13)
    if projector is not None:
        R = R - projector
    smax = int(s.max())
    if smax:
        all_same = bool(np.all(s == smax))
        for k in range(smax):
            if all_same:
                R = R @ R
            else:
                idx = np.flatnonzero(s > k)
                R[idx] = R[idx] @ R[idx]
    if projector is not None:
        R = R + projector
    return R.reshape(*batch, n, n)


# --------------------------------------------------------------------------------------------------
# Double-double ("dd", ~106-bit) arithmetic for the stiff cases: a value is a pair (hi, lo) of float64
# arrays with |lo| ≤ ulp(hi)/2 (Dekker 1971; Hida, Li & Bailey 2001). Error-free transformations only
# use +, −, × (Dekker's split instead of an FMA), so everything stays batched NumPy.
# --------------------------------------------------------------------------------------------------

_SPLITTER = 134217729.0  # 2^27 + 1


def two_sum(a, b):
    """s + e = a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _quick_two_sum(a, b):
    s = a + b
    return s, b - (s - a)


def _split(a):
    t = _SPLITTER * a
    hi = t - (t - a)
    return hi, a - hi


def two_prod(a, b):
    """p + e = a·b exactly (Dekker; |a|, |b| < 1e300 and no underflow)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def dd_add(xh, xl, yh, yl):
    """(xh + xl) + (yh + yl) in double-double (the accurate, IEEE-style addition)."""
    s, e = two_sum(xh, yh)
    t, f = two_sum(xl, yl)
    s, e = _quick_two_sum(s, e + t)
    return _quick_two_sum(s, e + f)


def dd_mul(xh, xl, yh, yl):
    """(xh + xl)(yh + yl) in double-double."""
    p, e = two_prod(xh, yh)
    return _quick_two_sum(p, e + (xh * yl + xl * yh))


def dd_matmul(A, B):
    """Product of stacks of double-double matrices ``A = (hi, lo)`` (..., n, m) and ``B`` (..., m, k).

    Dot2-style accumulation (Ogita, Rump & Oishi 2005): the hi·hi products are split exactly
    (two_prod), their running sum is carried with two_sum, and all error terms — including the
    first-order lo·hi cross terms — are summed in plain float64. The result (p, s) is a double-double
    whose error is ~m²·1e-32·Σ|A_ij B_jk|.
    """
    Ah, Al = A
    Bh, Bl = B
    a = Ah[..., :, :, None]
    b = Bh[..., None, :, :]
    ph, pe = two_prod(a, b)  # (..., n, m, k)
    cross = (a * Bl[..., None, :, :] + Al[..., :, :, None] * b).sum(axis=-2)
    p = ph[..., :, 0, :]
    s = pe.sum(axis=-2) + cross
    for j in range(1, Ah.shape[-1]):
        p, q = two_sum(p, ph[..., :, j, :])
        s = s + q
    return _quick_two_sum(p, s)


def _fact_dd(m: int):
    """1/k! for k = 0..m as double-double constants (exact rationals, rounded twice)."""
    from fractions import Fraction
    from math import factorial

    out = []
    for k in range(m + 1):
        f = Fraction(1, factorial(k))
        hi = float(f)
        out.append((hi, float(f - Fraction(hi))))
    return out


#: Taylor degree and scaling target of :func:`expm1_dd`: ‖A‖₁ ≤ 2^-8 and degree 10 leave a truncation
#: error below (2^-8)^11/11! ≈ 8e-35 relative to ‖A‖
_DD_THETA = 2.0**-8
_DD_DEGREE = 10
_DD_FACT = _fact_dd(_DD_DEGREE)


def expm1_dd(Ah: np.ndarray, Al: np.ndarray | None = None):
    """``X = exp(A) − I`` in double-double for a stack ``A`` (..., n, n) given as (hi, lo).

    Scaling and squaring in the expm1 form (``X ← 2X + X²``, Higham 2009 §2 for the scalar case):
    ``A/2^s`` with ``‖A/2^s‖₁ ≤ 2^-8``, Taylor polynomial of degree 10 in Horner form, then ``s``
    squarings ``X_{k+1} = 2X_k + X_k²``. Small eigenvalues (slow decays) of X stay relatively accurate
    and the rounding of each squaring is ~1e-32, so after s = log2(‖A‖/θ) squarings the error of
    ``exp(A)`` is ~1e-32·‖A‖₁ (measured: docs/numerics.md). No eigendecomposition: exact at exceptional
    points. Requires a finite A with ‖A‖₁ < 1e290.
    """
    Ah = np.asarray(Ah, dtype=float)
    Al = np.zeros_like(Ah) if Al is None else np.asarray(Al, dtype=float)
    n = Ah.shape[-1]
    norms = np.abs(Ah).sum(axis=-2).max(axis=-1) * (1 + 1e-15) if Ah.size else np.zeros(Ah.shape[:-2])
    with np.errstate(divide="ignore"):
        s = np.where(norms > _DD_THETA, np.ceil(np.log2(np.where(norms > 0, norms, 1.0) / _DD_THETA)), 0)
    s = s.astype(int)
    scale = np.ldexp(1.0, -s)[..., None, None]
    Ah, Al = Ah * scale, Al * scale  # exact (powers of two)
    eye = np.eye(n)
    # Horner: Y = c_m I; Y = c_j I + A Y (j = m−1..1); X = A Y
    Yh = np.broadcast_to(eye * _DD_FACT[_DD_DEGREE][0], Ah.shape).copy()
    Yl = np.broadcast_to(eye * _DD_FACT[_DD_DEGREE][1], Ah.shape).copy()
    for j in range(_DD_DEGREE - 1, 0, -1):
        Yh, Yl = dd_matmul((Ah, Al), (Yh, Yl))
        ch, cl = _DD_FACT[j]
        dh, dl = dd_add(np.diagonal(Yh, axis1=-2, axis2=-1), np.diagonal(Yl, axis1=-2, axis2=-1), ch, cl)
        idx = np.arange(n)
        Yh[..., idx, idx] = dh
        Yl[..., idx, idx] = dl
    Xh, Xl = dd_matmul((Ah, Al), (Yh, Yl))
    smax = int(s.max()) if s.size else 0
    for k in range(smax):
        Qh, Ql = dd_matmul((Xh, Xl), (Xh, Xl))
        Nh, Nl = dd_add(2 * Xh, 2 * Xl, Qh, Ql)
        act = (s > k)[..., None, None]
        Xh = np.where(act, Nh, Xh)
        Xl = np.where(act, Nl, Xl)
    return Xh, Xl
