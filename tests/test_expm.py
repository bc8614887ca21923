"""magbell.expm.expm (batched Padé scaling and squaring) against scipy.linalg.expm and exact exponentials.

Tolerances: Padé scaling-and-squaring has backward error ~eps * ||A||, so for the stable (bounded)
exponentials used here the relative error is ~eps * max(1, ||A||): 1e-15 * max(1, ||A||_1) with a factor
10-100 of head room, stated per test.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import systems as S
from scipy.linalg import expm as scipy_expm

import magbell
from magbell.backend._expm import expm, squarings

EPS = np.finfo(float).eps


def _stable(rng, n, norm, complex_=False):
    """A random n x n matrix with spectrum in Re < 0 and 1-norm ``norm`` (so exp(A) is O(1))."""
    a = rng.normal(size=(n, n))
    if complex_:
        a = a + 1j * rng.normal(size=(n, n))
    a = a - (np.max(np.linalg.eigvals(a).real) + 0.5) * np.eye(n)
    return a * norm / np.abs(a).sum(axis=0).max()


@pytest.mark.parametrize("complex_", [False, True])
def test_stack_with_very_different_norms_matches_scipy(rng, complex_):
    norms = np.array([0.0, 1e-8, 1e-3, 0.1, 1.0, 5.0, 30.0, 300.0, 3000.0])
    A = np.array([_stable(rng, 6, s, complex_) for s in norms])
    E = expm(A)
    assert E.shape == A.shape and E.dtype == A.dtype
    for k, s in enumerate(norms):
        ref = scipy_expm(A[k])
        err = np.abs(E[k] - ref).max() / np.abs(ref).max()
        assert err <= 100 * EPS * max(1.0, s), (s, err)
        # batching does not change the answer: each matrix gets its own number of squarings
        single = expm(A[k])
        assert np.abs(single - E[k]).max() <= 10 * EPS * max(1.0, np.abs(ref).max())


def test_random_stacks_match_scipy(rng):
    """General (not necessarily stable) matrices of moderate norm, batched with extra leading axes."""
    A = rng.normal(size=(3, 4, 5, 5)) * rng.uniform(0.01, 3, size=(3, 4, 1, 1))
    E = expm(A)
    assert E.shape == (3, 4, 5, 5)
    for i in range(3):
        for j in range(4):
            ref = scipy_expm(A[i, j])
            assert np.abs(E[i, j] - ref).max() <= 1e-13 * np.abs(ref).max()


def test_skew_hermitian_large_norm_is_unitary(rng):
    h = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    h = h + h.conj().T
    for t in (1.0, 100.0, 1e4):
        U = expm(-1j * h * t)
        assert np.abs(U @ U.conj().T - np.eye(4)).max() <= 100 * EPS * np.abs(h).sum(axis=0).max() * t
        assert np.abs(U - scipy_expm(-1j * h * t)).max() <= 1e-15 * np.abs(h).sum(axis=0).max() * t * 100


@pytest.mark.parametrize("t", [0.5, 3.0, 30.0, 300.0])
def test_jordan_block_exact(t):
    """Defective J = -I + N (4x4 Jordan block): exp(J t) = e^{-t} sum_k (N t)^k / k!, exactly."""
    J = -np.eye(4) + np.diag(np.ones(3), 1)
    exact = np.exp(-t) * np.array([[1, t, t**2 / 2, t**3 / 6], [0, 1, t, t**2 / 2], [0, 0, 1, t], [0, 0, 0, 1]])
    err = np.abs(expm(J * t) - exact).max() / np.abs(exact).max()
    assert err <= 10 * EPS * max(1.0, 4 * t), err


def test_similar_to_jordan_block_exact():
    """A non-triangular defective matrix S J S^-1 (integer S with det 1, exact inverse): exact exponential
    S exp(J t) S^-1 evaluated in mpmath."""
    Smat = np.array([[1, 2, 0, 1], [0, 1, 3, 0], [1, 2, 1, 1], [0, 0, 1, 1]], dtype=float)
    assert round(np.linalg.det(Smat)) == 1
    Sinv = np.round(np.linalg.inv(Smat))
    np.testing.assert_array_equal(Smat @ Sinv, np.eye(4))
    J = -0.7 * np.eye(4) + np.diag(np.ones(3), 1)
    A = Smat @ J @ Sinv  # exact in floating point: small integers and -0.7 * integers
    for t in (1.0, 10.0):
        with mpmath.workdps(40):
            Em = mpmath.expm(mpmath.matrix(A.tolist()) * t)
            exact = np.array([[float(Em[i, j]) for j in range(4)] for i in range(4)])
        err = np.abs(expm(A * t) - exact).max() / np.abs(exact).max()
        assert err <= 1e-13, err


def _liouvillian_q0(params):
    """The |q| = 0 block of model.liouvillian() (complex coordinates rho00..rho33, rho12, rho21), its exact
    stationary state (mpmath), and the kernel projector P0 = x l (l = trace functional)."""
    L = magbell.Model(**params).liouvillian()
    idx = list(S.Q0_INDICES)
    Lq = L[np.ix_(idx, idx)]
    with mpmath.workdps(30):
        M = S.mp_liouvillian_q0(**params)
        for j in range(6):
            M[0, j] = 1 if j < 4 else 0
        x = mpmath.lu_solve(M, mpmath.matrix([1, 0, 0, 0, 0, 0]))
        xs = np.array([complex(v) for v in x])
    return Lq, np.outer(xs, [1, 1, 1, 1, 0, 0])


def test_deflated_exponential_at_large_t():
    """exp(L t) at t up to 1e9 with the kernel projector: exactly P0 (the stationary limit), while the plain
    scaled squaring (and scipy) accumulate 2^s eps in the eigenvalue-1 part (~1e-11 at t = 1e6)."""
    Lq, P0 = _liouvillian_q0(dict(a=1.0, A=0.5, a_tilde=0.2, A_tilde=0.1, delta=0.3))
    plain_errs = []
    for t in (1e2, 1e4, 1e6, 1e9):
        assert squarings(Lq * t) >= 8
        Ed = expm(Lq * t, projector=P0)
        assert np.abs(Ed - P0).max() <= 1e-14, t
        plain_errs.append(np.abs(expm(Lq * t) - P0).max())
    assert plain_errs[2] > 1e-13  # at t = 1e6 the undeflated result is measurably off


def test_deflated_equals_plain_at_moderate_t(rng):
    """Deflation changes nothing but rounding: at t where exp(L t) is not yet converged both agree."""
    Lq, P0 = _liouvillian_q0(dict(a=0.6, A=0.3 + 0.2j, a_tilde=0.1, d=0.2, delta=0.4, Jperp=0.3))
    for t in (0.3, 2.0, 10.0, 40.0):
        np.testing.assert_allclose(expm(Lq * t, projector=P0), expm(Lq * t), rtol=0, atol=1e-13)
        np.testing.assert_allclose(expm(Lq * t), scipy_expm(Lq * t), rtol=0, atol=1e-13)


def test_deflated_batched_projector_broadcast():
    params = [dict(a=1.0, A=0.5, delta=0.3), dict(a=2.0, A=1.0 + 0.5j, a_tilde=0.3)]
    pairs = [_liouvillian_q0(p) for p in params]
    L = np.array([p[0] for p in pairs])
    P0 = np.array([p[1] for p in pairs])
    E = expm(L * 1e7, projector=P0)
    np.testing.assert_allclose(E, P0, rtol=0, atol=1e-14)


def test_edge_cases():
    np.testing.assert_array_equal(expm(np.zeros((3, 3))), np.eye(3))
    assert expm(np.zeros((0, 2, 2))).shape == (0, 2, 2)
    np.testing.assert_allclose(expm(np.array([[2.0]])), [[np.exp(2.0)]], rtol=1e-15)
    e = expm(np.array([[0, 1], [0, 0]]))  # integer input is promoted
    assert e.dtype == float
    np.testing.assert_array_equal(e, [[1, 1], [0, 1]])
    assert squarings(np.zeros((2, 2))) == 0 and squarings(np.eye(2) * 100) == 5
    assert squarings(np.zeros((0, 2, 2))) == 0


# ------------------------------------------------------------------------- double-double (issue 9)


def test_error_free_transformations_are_exact(rng):
    """two_sum and two_prod: hi + lo equals the exact sum / product (checked with Fractions)."""
    from fractions import Fraction

    from magbell.backend._expm import two_prod, two_sum

    x = rng.normal(size=200) * 10.0 ** rng.uniform(-100, 100, size=200)
    y = rng.normal(size=200) * 10.0 ** rng.uniform(-100, 100, size=200)
    for f, op in ((two_sum, lambda a, b: a + b), (two_prod, lambda a, b: a * b)):
        h, l = f(x, y)
        for a, b, hh, ll in zip(x, y, h, l):
            assert Fraction(hh) + Fraction(ll) == op(Fraction(a), Fraction(b))


@pytest.mark.parametrize("norm", [1e-3, 1.0, 40.0, 1e6])
def test_expm1_dd_against_mpmath(rng, norm):
    """exp(A) − I in double-double is exact to ~1e-30 relative (mpmath at 60 digits)."""
    from magbell.backend._expm import expm1_dd

    A = np.array([_stable(rng, 5, norm) for _ in range(2)])
    Xh, Xl = expm1_dd(A)
    with mpmath.workdps(60):
        for k in range(2):
            E = mpmath.expm(mpmath.matrix(A[k].tolist())) - mpmath.eye(5)
            scale = max(abs(E[i, j]) for i in range(5) for j in range(5))
            err = max(abs(E[i, j] - mpmath.mpf(Xh[k, i, j]) - mpmath.mpf(Xl[k, i, j])) for i in range(5) for j in range(5))
            assert err <= 1e-29 * max(1.0, norm) * scale, (norm, float(err / scale))


def test_expm1_dd_keeps_a_tiny_decay_rate():
    """diag(−1, −1e-20): exp − 1 of the slow entry is −1e-20·t to full relative accuracy at t = 1e6."""
    from magbell.backend._expm import expm1_dd

    A = np.array([[-1.0, 0.5], [0.0, -1e-20]]) * 1e6
    Xh, Xl = expm1_dd(A)
    assert Xh[1, 1] == pytest.approx(-1e-14, rel=1e-15)


@pytest.mark.parametrize("bad", [np.inf, np.nan, 1e308])
def test_non_finite_or_huge_matrices_are_one_line_errors(bad):
    """expm.squarings used to raise OverflowError (int(inf)) on a rate of 1e308."""
    A = np.full((1, 3, 3), bad)
    for f in (expm, squarings):
        with pytest.raises(magbell.errors.InvalidParameterError) as e:
            f(A)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("m", [3, 5, 7])
@pytest.mark.parametrize("complex_", [False, True])
def test_low_degree_pade_denominators_are_column_dominant_and_solved_like_lapack(rng, m, complex_):
    """The vectorised no-pivoting solve (backend._expm._dominant_solve) is used for Padé degrees m ≤ 7, where
    ‖A‖₁ ≤ θ_m makes q_m(A) = Σ b_k (−A)^k strictly column diagonally dominant. Check the dominance at the
    worst case ‖A‖₁ = θ_m (random directions), that the solve equals LAPACK's to rounding, and that expm goes
    through it and still matches scipy."""
    import magbell.backend._expm as E

    n, P = 6, 400
    A = rng.normal(size=(P, n, n)) + (1j * rng.normal(size=(P, n, n)) if complex_ else 0)
    A *= E._THETA[m] * (1 - 1e-12) / np.abs(A).sum(axis=-2).max(axis=-1)[:, None, None]
    b = E._B[m]
    q = sum(b[k] * np.linalg.matrix_power(-A, k) for k in range(m + 1))
    diag = np.abs(np.diagonal(q, axis1=-2, axis2=-1))
    off = np.abs(q).sum(axis=-2) - diag
    assert np.all(diag - off > 0.1 * b[0])  # a margin, not a tie
    R = rng.normal(size=(P, n, n))
    X = E._dominant_solve(q, R)
    ref = np.linalg.solve(q, R)
    assert np.abs(X - ref).max() <= 64 * np.finfo(float).eps * np.abs(ref).max()
    calls = []
    orig = E._dominant_solve
    try:
        E._dominant_solve = lambda Q, R: calls.append(1) or orig(Q, R)
        got = expm(A)
    finally:
        E._dominant_solve = orig
    assert calls
    want = np.array([scipy_expm(a) for a in A[:20]])
    assert np.abs(got[:20] - want).max() <= 1e-14 * np.abs(want).max()


def test_degree_nine_denominator_is_not_dominant_so_lapack_solves_it(rng):
    """At m = 9 (θ_9 ≈ 2.1) the bound fails (b_1 θ_9 > b_0): expm must not take the no-pivoting solve there."""
    import magbell.backend._expm as E

    assert E._B[9][1] * E._THETA[9] > E._B[9][0]
    A = rng.normal(size=(50, 4, 4))
    A *= 0.5 * (E._THETA[7] + E._THETA[9]) / np.abs(A).sum(axis=-2).max(axis=-1)[:, None, None]
    orig, calls = E._dominant_solve, []
    try:
        E._dominant_solve = lambda Q, R: calls.append(1) or orig(Q, R)
        got = expm(A)
    finally:
        E._dominant_solve = orig
    assert not calls
    assert np.abs(got - np.array([scipy_expm(a) for a in A])).max() <= 1e-13
