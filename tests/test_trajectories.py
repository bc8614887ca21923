"""magbell.trajectories: the quantum-jump unravelling of Eq. (11), checked with explicit statistical bounds.

Every statistical comparison uses the estimated standard error σ̂ of the compared quantity: a sample mean of
|ψ><ψ| (real and imaginary parts of each element separately, σ̂ = sample standard deviation/√count), or a
selected fraction (binomial σ̂ = sqrt(f(1 − f)/n)). The bound is 5σ̂ (+1e-12 for elements that are
deterministic, σ̂ = 0). With ~10³ compared numbers per test, a correct sampler fails a 5σ bound with probability
~6e-4 per test; the seeds are fixed, so the outcome is deterministic. Deterministic claims (the no-jump states
are exactly Eq. 13, the closed-form propagator equals expm) are checked at 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest
import systems as S
from scipy.linalg import expm as scipy_expm

import magbell
from magbell import InvalidParameterError, Model
from magbell.solvers._nonhermitian import non_hermitian_hamiltonian
from magbell.solvers._postselect import conditional_evolve, postselect
from magbell.solvers._nojump import nojump_propagator
from magbell.solvers._trajectories import JumpRecord, no_jumps, trajectories

Z = 5.0
GENERAL = Model(a=1.3, a2=1.0, A=0.9 * np.exp(0.3j), a_tilde=0.3, A_tilde=0.2 * np.exp(0.3j), delta=0.4,
                Jperp=0.2, D_dm=0.1, Jz=0.3, d=0.1)
T = np.linspace(0, 2, 9)


def within(avg, exact_states):
    """max over times and elements of |mean − exact| / (5σ̂ + 1e-12) (must be < 1)."""
    dr = np.abs(avg.rho.real - exact_states.real) / (Z * avg.stderr_re + 1e-12)
    di = np.abs(avg.rho.imag - exact_states.imag) / (Z * avg.stderr_im + 1e-12)
    return max(np.nanmax(dr), np.nanmax(di))


@pytest.mark.parametrize(
    "model",
    [GENERAL, Model(a=2.0, A=2.0, delta=2.0), Model(a=1.0, A=1.0), Model(a=1.0, A=0.5, a_tilde=0.4, delta=3.0)],
)
def test_closed_form_propagator_is_expm(model):
    Hn = non_hermitian_hamiltonian(model)
    tau = np.array([0.0, 1e-12, 1e-3, 0.3, 2.0, 40.0])
    U = nojump_propagator(model, tau)
    for k, t in enumerate(tau):
        assert np.max(np.abs(U[k] - scipy_expm(-1j * Hn * t))) < 1e-12
    # bounded at very long times (no overflow): ‖e^{−iH τ}‖ ≤ 1
    assert np.all(np.isfinite(nojump_propagator(model, [1e8])))


def test_seeded_and_reproducible():
    a = trajectories(GENERAL, "ud", T, n=200, seed=5)
    b = trajectories(GENERAL, "ud", T, n=200, seed=5)
    c = trajectories(GENERAL, "ud", T, n=200, seed=6)
    assert np.array_equal(a.kets, b.kets) and np.array_equal(a.jump_channels, b.jump_channels)
    assert np.array_equal(a.jump_times, b.jump_times, equal_nan=True)
    assert not np.array_equal(a.jump_channels, c.jump_channels)


def test_ensemble_average_reproduces_evolve():
    tr = trajectories(GENERAL, "ud", T, n=3000, seed=11)
    ev = magbell.evolve(GENERAL, "ud", T, store_states=True)
    avg = tr.average()
    assert np.all(avg.count == 3000) and np.all(avg.fraction == 1)
    assert within(avg, ev.states) < 1
    # every channel fires in this model, and records are time ordered inside (0, t_max]
    counts = tr.jump_counts()
    assert all(v > 0 for v in counts.values())
    jt = tr.jump_times
    assert np.all(np.nan_to_num(np.diff(jt, axis=1), nan=1.0) >= 0)
    assert np.nanmin(jt) > 0 and np.nanmax(jt) <= T[-1]


def test_no_jump_subensemble_is_eq13_with_weight_P():
    tr = trajectories(GENERAL, "ud", T, n=3000, seed=12)
    nj = tr.average("no-jump")
    ps = postselect(GENERAL, "ud", T, store_states=True)
    # the weight: the fraction without a jump up to t estimates P(t) (binomial, 5σ)
    assert np.all(np.abs(nj.fraction - ps.success_probability) <= Z * nj.fraction_stderr + 1e-12)
    # the states: every no-jump trajectory from a pure state IS the Eq. (13) state (deterministic)
    assert np.nanmax(np.abs(nj.rho - ps.states)) < 1e-12
    assert np.nanmax(np.abs(nj.concurrence - ps.concurrence)) < 1e-7  # Wootters vs the pure-state form


def test_postselection_on_any_record_predicate():
    """'no J3 jump' (and a custom predicate) against the exact conditional evolution with J3 forbidden."""
    tr = trajectories(GENERAL, "ud", T, n=3000, seed=13)
    ce = conditional_evolve(GENERAL, "ud", T, forbid=["J3"], store_states=True)
    for sel in ("no-J3", no_jumps("J3"), lambda rec: rec.count(["J3"]) == 0):
        avg = tr.average(sel)
        assert within(avg, ce.states) < 1
        assert np.all(np.abs(avg.fraction - ce.success_probability) <= Z * avg.fraction_stderr + 1e-12)
    two = tr.average("no-J3,J4")
    ce2 = conditional_evolve(GENERAL, "ud", T, forbid=["J3", "J4"], store_states=True)
    assert within(two, ce2.states) < 1


def test_mixed_initial_state():
    rho0 = S.random_density_matrix(np.random.default_rng(4), rank=3)
    tr = trajectories(GENERAL, rho0, T, n=3000, seed=14)
    ev = magbell.evolve(GENERAL, rho0, T, store_states=True)
    assert within(tr.average(), ev.states) < 1
    ps = postselect(GENERAL, rho0, T, store_states=True)
    nj = tr.average("no-jump")
    assert within(nj, ps.states) < 1
    assert np.all(np.abs(nj.fraction - ps.success_probability) <= Z * nj.fraction_stderr + 1e-12)


def test_zero_temperature_records():
    """From |↑↓> at T = 0 only J3/J4 can fire, once, into |↑↑>; nothing happens after that."""
    m = Model(a=1.0, A=0.6, delta=0.3)
    tr = trajectories(m, "ud", np.linspace(0, 4, 5), n=500, seed=3)
    assert set(np.unique(tr.jump_channels)) <= {-1, 2, 3}
    assert tr.n_jumps.max() == 1
    jumped = tr.n_jumps == 1
    assert np.max(np.abs(np.abs(tr.kets[jumped, -1, 0]) - 1)) < 1e-12
    rec = tr.record.until(2.0)
    assert isinstance(rec, JumpRecord)
    assert np.all(rec.count() <= tr.n_jumps)


def test_dark_state_never_jumps():
    tr = trajectories(Model(a=1.0, A=1.0), "singlet", [0.0, 1e3], n=50, seed=1)
    assert tr.n_jumps.sum() == 0
    assert np.max(np.abs(np.abs(tr.kets[:, -1] @ S.KETS["singlet"].conj()) - 1)) < 1e-12


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="single model"):
        trajectories(Model(a=[1.0, 2.0]), "ud", T, n=10)
    with pytest.raises(InvalidParameterError, match="positive integer"):
        trajectories(GENERAL, "ud", T, n=0)
    with pytest.raises(InvalidParameterError, match="one initial state"):
        trajectories(GENERAL, ["ud", "du"], T, n=10)
    tr = trajectories(GENERAL, "ud", T, n=10, seed=0)
    with pytest.raises(InvalidParameterError, match="select"):
        tr.average("jumps")
    with pytest.raises(InvalidParameterError, match="unknown jump channel"):
        tr.average("no-J8")
    # a bool is not a channel index (True counted channel 1, "J2", before the parsers were merged)
    from magbell.solvers._trajectories import JumpRecord, no_jumps
    rec = JumpRecord(np.array([[0.1, np.nan]]), np.array([[1, -1]]))
    for bad in (True, [np.True_], "h_plus"):
        with pytest.raises(InvalidParameterError, match="unknown jump channel"):
            rec.count(bad)
        with pytest.raises(InvalidParameterError, match="unknown jump channel"):
            no_jumps(bad)
    with pytest.raises(InvalidParameterError, match="max_events"):
        trajectories(Model(a=50.0, A=10.0), "ud", [0.0, 10.0], n=100, seed=0, max_events=50)


def test_average_moments_without_the_outer_product_stack():
    """average() (issue 10 §6: a small fraction of the sampling) forms the moments pair by pair; they equal
    the naive (n, T, 4, 4) outer-product sums, and Im of the diagonal is an exact zero."""
    from magbell.solvers._trajectories import _weighted_moments

    tr = trajectories(magbell.Model(a=1.0, A=0.7 + 0.2j, delta=0.3, a_tilde=0.2, d=0.1), "psi+",
                      np.linspace(0, 5, 11), n=400, seed=2)
    K = tr.kets
    for sel in (None, "no-jump"):
        w = tr.selection(sel).astype(float)
        outer = K[:, :, :, None] * K[:, :, None, :].conj()
        mean, m2r, m2i = _weighted_moments(K, w)  # unnormalised sums over ≤ 400 trajectories: 4e-11 ≈ 1e-13 relative
        np.testing.assert_allclose(mean, np.einsum("nt,ntij->tij", w, outer), rtol=0, atol=4e-11)
        np.testing.assert_allclose(m2r, np.einsum("nt,ntij->tij", w, outer.real**2), rtol=0, atol=4e-11)
        np.testing.assert_allclose(m2i, np.einsum("nt,ntij->tij", w, outer.imag**2), rtol=0, atol=4e-11)
        assert np.all(m2i[:, range(4), range(4)] == 0)


def test_two_site_and_n_site_trajectories_share_one_jump_loop(monkeypatch):
    """Issue 10 §2: one MCWF loop (solvers._trajectories.mcwf_loop) and one record packer (jump_records) for both
    the two-site and the N-site trajectories; the packer sorts each trajectory's events by time."""
    import magbell.solvers._trajectories as tq
    from magbell.solvers._system_trajectories import system_trajectories

    calls = []
    real = tq.mcwf_loop
    monkeypatch.setattr(tq, "mcwf_loop", lambda *a, **k: calls.append(a[3].shape) or real(*a, **k))
    t = np.linspace(0.0, 2.0, 5)
    tq.trajectories(Model(a=1.0, A=0.5), "uu", t, n=20, seed=1)
    system_trajectories(magbell.System(Delta=[1.0, 1.2], h_plus=[[1.0, 0.5], [0.5, 1.0]]), "uu", t, n=20, seed=1)
    assert len(calls) == 2 and calls[0] == (20, 4)
    jt, jc, counts = tq.jump_records(([np.array([1, 0]), np.array([1])], [np.array([2.0, 0.5]), np.array([1.0])],
                                      [np.array([3, 4]), np.array([5])]), 3)
    assert counts.tolist() == [1, 2, 0] and jc.tolist() == [[4, -1], [5, 3], [-1, -1]]
    assert jt[1].tolist() == [1.0, 2.0] and np.isnan(jt[2]).all()
    jt, jc, counts = tq.jump_records(([], [], []), 2)
    assert jt.shape == (2, 0) and counts.tolist() == [0, 0]
