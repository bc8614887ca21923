"""The weighted moments behind ``trajectories(...).average()`` (issue 10 §6: a small fraction of the sampling):
the blocked pair-product sums of :func:`magbell.solvers._average_result.weighted_moments` against the plain
(n, T, 4, 4) outer-product stack, on random ensembles with random weights, through every block shape (several
trajectory and time blocks, partial last blocks, the BLAS and the einsum reduction)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import magbell.solvers._average_result as ar
from magbell.solvers._average_result import weighted_moments


def _ensemble(n, T, seed, d=4):
    rng = np.random.default_rng(seed)
    K = rng.normal(size=(n, T, d)) + 1j * rng.normal(size=(n, T, d))
    K /= np.linalg.norm(K, axis=2, keepdims=True)
    w = rng.random((n, T))
    w[rng.random((n, T)) < 0.3] = 0.0  # unselected trajectories, as selection() gives
    return K, w


def _reference(K, w, ref=None):
    outer = K[:, :, :, None] * K[:, :, None, :].conj()  # (n, T, d, d)
    s = 0 if ref is None else ref[:, :, None] * ref[:, None, :].conj()  # (T, d, d)
    return (np.einsum("nt,ntij->tij", w, outer), np.einsum("nt,ntij->tij", w, (outer - s).real ** 2),
            np.einsum("nt,ntij->tij", w, (outer - s).imag ** 2))


def _check(K, w, ref=None):
    got = weighted_moments(K, w, ref)
    for name, g, r in zip(("mean", "(Re)^2", "(Im)^2"), got, _reference(K, w, ref)):
        assert g.shape == r.shape, name
        err = np.max(np.abs(g - r), initial=0.0)
        assert err <= 1e-14 * np.max(np.abs(r), initial=0.0), (name, err)
    mean, m2r, m2i = got
    d = K.shape[2]
    # exactly Hermitian with a real diagonal; (Re)^2, (Im)^2 exactly symmetric, (Im)^2 zero on the diagonal
    assert np.array_equal(mean, np.conj(np.swapaxes(mean, 1, 2)))
    assert np.array_equal(m2r, np.swapaxes(m2r, 1, 2)) and np.array_equal(m2i, np.swapaxes(m2i, 1, 2))
    assert np.all(m2i[:, range(d), range(d)] == 0) and np.all(mean.imag[:, range(d), range(d)] == 0)


@pytest.mark.parametrize("n, T", [(1, 1), (1, 51), (5, 2000), (63, 3), (70, 130), (200, 11)])
def test_weighted_moments_equal_the_outer_product_sums(n, T):
    """The default blocks: one trajectory; few trajectories (einsum path) split over times (5 × 2000: two time
    blocks); many (BLAS path) split over trajectories and times with partial last blocks (70 × 130)."""
    K, w = _ensemble(n, T, seed=n * 1000 + T)
    _check(K, w)
    _check(K, w, ref=_ensemble(1, T, seed=n + T)[0][0])  # centred on other kets (average(): a member's)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(n=st.integers(1, 40), T=st.integers(1, 30), block=st.integers(1, 200), min_batch=st.integers(1, 12),
       d=st.sampled_from([2, 4, 8]), seed=st.integers(0, 2**16))
def test_weighted_moments_any_block_shape(n, T, block, min_batch, d, seed):
    """Tiny blocks (so every partition of trajectories × times occurs on small ensembles) and other ket sizes."""
    old = ar._BLOCK, ar._MIN_BATCH
    ar._BLOCK, ar._MIN_BATCH = block, min_batch
    try:
        K, w = _ensemble(n, T, seed, d)
        _check(K, w)
        _check(K, w, ref=K[seed % n])
    finally:
        ar._BLOCK, ar._MIN_BATCH = old


def test_second_moments_are_squares_of_the_products_not_an_expansion():
    """ψ = (a(1+i), b(1−i), 0, 0): Re ψ_0ψ_1* = ab − ab = 0 exactly, so Σ w (Re ψ_0ψ_1*)² must be exactly 0;
    the expansion x0²x1² + y0²y1² + 2x0y0x1y1 leaves rounding residue for these a, b (checked here)."""
    rng = np.random.default_rng(7)
    a, b = rng.random(300) + 0.1, rng.random(300) + 0.1
    K = np.zeros((300, 2, 4), dtype=complex)
    K[:, :, 0] = (a * (1 + 1j))[:, None]
    K[:, :, 1] = (b * (1 - 1j))[:, None]
    w = np.ones((300, 2))
    x0, y0, x1, y1 = K[:, 0, 0].real, K[:, 0, 0].imag, K[:, 0, 1].real, K[:, 0, 1].imag
    expansion = np.sum(x0**2 * x1**2 + y0**2 * y1**2 + 2 * x0 * y0 * x1 * y1)
    assert expansion != 0  # the expansion would be wrong here
    mean, m2r, m2i = weighted_moments(K, w)
    assert np.all(m2r[:, 0, 1] == 0) and np.all(m2r[:, 1, 0] == 0) and np.all(mean.real[:, 0, 1] == 0)
    np.testing.assert_allclose(m2i[:, 0, 1], np.sum(4 * a**2 * b**2), rtol=1e-14)  # Im ψ_0ψ_1* = 2ab


def test_no_jump_selections_equal_the_record_truncated_at_every_time():
    """selection('no-jump'/'no-J3'/no_jumps(...)) takes each trajectory's first such jump once instead of
    truncating the record at every time: the same booleans as the generic path (the predicate behind a
    lambda), including at times equal to a jump time (a jump at t counts at t)."""
    import dataclasses

    import magbell
    from magbell.solvers._trajectories import _as_predicate, no_jumps, trajectories

    tr = trajectories(magbell.Model(a=1.0, A=0.6, delta=0.3, a_tilde=0.3, d=0.2), "ud", np.linspace(0, 3, 13),
                      n=300, seed=4)
    jt = tr.jump_times[np.isfinite(tr.jump_times)]
    assert jt.size > 50
    times = np.sort(np.concatenate([tr.times, jt[:20], np.nextafter(jt[20:40], 0), [jt.max() + 1]]))
    tr = dataclasses.replace(tr, times=times, kets=np.zeros((tr.n, times.size, 4), dtype=complex))
    for sel in ("no-jump", "no-J3", "no-J1,J4", no_jumps(["J2", "J3"])):
        pred = _as_predicate(sel)
        fast = tr.selection(sel)
        generic = tr._selection(lambda rec, p=pred: p(rec))
        assert np.array_equal(fast, generic), sel
        assert 0 < fast.sum() < fast.size


def test_standard_errors_without_cancellation():
    """average()'s variances are centred on a selected trajectory's ψψ† (shifted data), not E[X²] − X̄².
    Identical kets (the no-jump sub-ensemble of a pure state): standard errors exactly 0 (were up to 3e-9);
    kets spread by 1e-6: the standard errors of a two-pass reference to 1e-7 relative (the raw one-pass
    formula is off by ~ε/1e-12 ~ 1e-4 there)."""
    import dataclasses

    import magbell
    from magbell.solvers._trajectories import trajectories

    tr = trajectories(magbell.Model(a=1.0, A=0.8, delta=0.3), "ud", np.linspace(0, 5, 11), n=2000, seed=1)
    nj = tr.average("no-jump")
    assert nj.count[-1] > 50 and np.all(nj.stderr_re == 0) and np.all(nj.stderr_im == 0)

    rng = np.random.default_rng(3)
    base = rng.normal(size=(1, 11, 4)) + 1j * rng.normal(size=(1, 11, 4))
    K = base + 1e-6 * (rng.normal(size=(500, 11, 4)) + 1j * rng.normal(size=(500, 11, 4)))
    K /= np.linalg.norm(K, axis=2, keepdims=True)
    av = dataclasses.replace(tr, kets=K, jump_times=tr.jump_times[:500], jump_channels=tr.jump_channels[:500],
                             n_jumps=tr.n_jumps[:500]).average()
    outer = K[:, :, :, None] * K[:, :, None, :].conj()
    for got, part in ((av.stderr_re, outer.real), (av.stderr_im, outer.imag)):
        want = np.sqrt(np.var(part, axis=0, ddof=1) / 500)  # two-pass
        nz = want > 1e-12
        assert nz.sum() >= 11 * 12 and np.all(got[~nz] < 1e-15)
        np.testing.assert_allclose(got[nz], want[nz], rtol=1e-7)
