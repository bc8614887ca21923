"""SystemTrajectoryResult.average() (issue 10 §6): the dense mean state through one BLAS product per time on the
sector-basis kets, the dense standard errors computed on first read (centred: shifted by a member's ψψ†, chunk
means merged pairwise), checked against the former elementwise implementation (kept here as the reference)."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import magbell
from systems import sinc_chain_blocks  # noqa: E402  (tests/systems.py)
from magbell.solvers import _system_trajectory_result as mod
from magbell.solvers._system_trajectory_result import SystemEnsembleAverage, _dense_se, _embed, _mean_state


def _old_dense_moments(K, w, safe):
    """The former _dense_moments (elementwise, centred on the BLAS mean, chunks of kets): the reference."""
    n, T, d = K.shape
    mean = np.zeros((T, d, d), dtype=complex)
    se_r, se_i = np.zeros((T, d, d)), np.zeros((T, d, d))
    for t in range(T):
        k, wt, c = K[:, t], w[:, t], safe[t]
        m = (k * wt[:, None]).T @ k.conj() / c
        dev = k[:, :, None] * k[:, None, :].conj() - m
        vr = np.einsum("n,nab->ab", wt, dev.real**2)
        vi = np.einsum("n,nab->ab", wt, dev.imag**2)
        mean[t] = m
        se_r[t] = np.sqrt(vr / max(c - 1, 1.0) / c)
        se_i[t] = np.sqrt(vi / max(c - 1, 1.0) / c)
    return mean, se_r, se_i


def _ensemble(rng, n, T, D, empty_at=None, single_at=None):
    K = rng.normal(size=(n, T, D)) + 1j * rng.normal(size=(n, T, D))
    K /= np.linalg.norm(K, axis=-1, keepdims=True)
    w = (rng.random((n, T)) < 0.6).astype(float)
    if empty_at is not None:
        w[:, empty_at] = 0
    if single_at is not None:
        w[:, single_at] = 0
        w[3, single_at] = 1
    count = w.sum(axis=0)
    return K, w, np.where(count > 0, count, 1.0)


def _check_se(got, ref):
    """1e-14 relative where the reference is a standard error (not the rounding noise, ≤ 1e-16, of an entry whose
    exact value is 0: the diagonal's Im, a D = 1 ensemble), elsewhere both at that noise (the new one is often 0)."""
    big = (ref > 1e-8 * ref.max(axis=(1, 2), keepdims=True)) & (ref > 1e-12)
    assert np.max(np.abs(got - ref)[big] / ref[big], initial=0) < 1e-14
    assert np.max(np.abs(got - ref)[~big], initial=0) < 1e-15


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


def test_mean_is_the_elementwise_mean():
    K, w, safe = _ensemble(np.random.default_rng(1), 60, 4, 8, empty_at=2)
    ref = np.einsum("nt,nta,ntb->tab", w, K, K.conj()) / safe[:, None, None]
    m = _mean_state(K, w, safe)
    assert _rel(m, ref) < 1e-14
    assert np.array_equal(m, np.conj(np.swapaxes(m, 1, 2))) and np.all(m[2] == 0)  # exactly Hermitian; empty: 0


@settings(max_examples=15, deadline=None, derandomize=True)
@given(n=st.integers(1, 40), D=st.integers(1, 6), chunk=st.sampled_from([1, 7, 50, 2**21]),
       seed=st.integers(0, 2**16))
def test_lazy_se_equal_the_two_pass_reference(n, D, chunk, seed):
    """Through every chunking (chunk products per chunk: one ket, several, all) and with an empty time and a time
    with one selected ket (both SE 0, as before)."""
    K, w, safe = _ensemble(np.random.default_rng(seed), max(n, 4), 3, D, empty_at=0, single_at=1)
    _, rr, ri = _old_dense_moments(K, w, safe)
    old = mod._SE_CHUNK
    try:
        mod._SE_CHUNK = chunk
        se_r, se_i = _dense_se(K, w, np.arange(D), D)
    finally:
        mod._SE_CHUNK = old
    assert np.all(se_r[:2] == 0) and np.all(se_i[:2] == 0)
    _check_se(se_r, rr)
    _check_se(se_i, ri)


def test_identical_kets_give_exactly_zero_standard_errors():
    rng = np.random.default_rng(3)
    psi = rng.normal(size=16) + 1j * rng.normal(size=16)
    psi /= np.linalg.norm(psi)
    K = np.broadcast_to(psi, (37, 2, 16)).copy()
    w = np.ones((37, 2))
    old = mod._SE_CHUNK
    try:
        for chunk in (2**21, 40, 5):  # one chunk per row block; chunks of a few kets merged
            mod._SE_CHUNK = chunk
            se_r, se_i = _dense_se(K, w, np.arange(16), 16)
            assert np.all(se_r == 0) and np.all(se_i == 0)
    finally:
        mod._SE_CHUNK = old
    # the former centring on the BLAS mean left rounding here (what the shift removes)
    _, rr, ri = _old_dense_moments(K, w, w.sum(axis=0))
    assert np.max(rr) > 0 or np.max(ri) > 0


def _chain(N, ratio=0.5):
    return magbell.System(**sinc_chain_blocks(N, ratio))


@pytest.mark.parametrize("init, select", [({"duu": 0.6, "udd": 0.8j}, None), ("dud", "no-h_plus")])
def test_average_equals_the_former_dense_average(init, select):
    """The whole average(): rho and its lazy SEs in the 2ᴺ basis as the former embedding + elementwise moments;
    the errors are not formed by average() and are formed once, on first read, by every way of reading."""
    tr = magbell.trajectories(_chain(3), init, np.linspace(0, 2, 5), n=120, seed=4)
    w = tr.selection(select).astype(float)
    count = w.sum(axis=0)
    rho, rr, ri = _old_dense_moments(_embed(tr.kets, 3, tr.sectors, tr.offsets), w, np.where(count > 0, count, 1.0))
    av = tr.average(select)
    assert isinstance(tuple.__getitem__(av, 3), mod._Part) and tuple.__getitem__(av, 3).lazy._value is None
    assert "computed on first access" in repr(av)
    ok = count > 0
    assert _rel(av.rho[ok], rho[ok]) < 1e-14 and np.all(np.isnan(av.rho[~ok]))
    _check_se(av.stderr_re, rr)
    _check_se(av.stderr_im, ri)
    assert np.max(av.stderr_re) > 1e-3 and np.max(av.stderr_im) > 1e-3
    assert av.stderr_re is av[3] and av._asdict()["stderr_im"] is av.stderr_im and list(av)[4] is av.stderr_im
    assert av[2:5][1] is av.stderr_re
    back = pickle.loads(pickle.dumps(av))
    assert isinstance(back, SystemEnsembleAverage) and np.array_equal(back.stderr_im, av.stderr_im)
    assert np.array_equal(back.rho, av.rho, equal_nan=True)


def test_average_does_only_the_mean_until_the_errors_are_read(monkeypatch):
    """N = 6 (all 64 components populated), n = 200, 21 times: average() forms the dense mean (one product per time,
    _mean_state) and no standard errors; they are computed once, on the first read. Structural, not timed (the
    suite asserts no timings; measured: 0.012 s against 0.18 s for the former elementwise moments here, N = 8 with
    n = 1000 and 101 times 1.45 s against 67 s, benchmarks in docs/nqubits.md)."""
    tr = magbell.trajectories(_chain(6), "duuuuu", np.linspace(0, 5, 21), n=200, seed=7)
    assert tr.kets.shape[-1] == 64
    calls = {"mean": 0, "se": 0}
    mean_state, dense_se = mod._mean_state, mod._dense_se

    def count(key, f):
        def g(*a, **k):
            calls[key] += 1
            return f(*a, **k)
        return g

    monkeypatch.setattr(mod, "_mean_state", count("mean", mean_state))
    monkeypatch.setattr(mod, "_dense_se", count("se", dense_se))
    av = tr.average()
    assert av.rho.shape == (21, 64, 64) and abs(np.trace(av.rho[-1]).real - 1) < 1e-12
    assert calls == {"mean": 1, "se": 0}
    se_r, se_i = av.stderr_re, av.stderr_im
    assert calls == {"mean": 1, "se": 1} and se_r.shape == se_i.shape == (21, 64, 64)
    av.stderr_re
    assert calls["se"] == 1


def test_html_display_does_not_force_the_standard_errors():
    """Jupyter shows an average through _repr_html_: it must not trigger the n·T·4ᴺ standard errors (minutes at
    N = 8); it says they are computed on first access, and shows them once they have been read."""
    s = magbell.System(Delta=np.ones(4), h_plus=np.ones((4, 4)), h_minus=0.3 * np.ones((4, 4)) + 0.1 * np.eye(4))
    a = magbell.trajectories(s, "duuu", np.linspace(0, 1, 5), n=50, seed=1).average()
    h = a._repr_html_()
    assert "computed on first access" in h and "stderr_re" in h
    assert tuple.__getitem__(a, 3).lazy._value is None  # still not computed
    a.stderr_re
    assert "computed on first access" not in a._repr_html_()
