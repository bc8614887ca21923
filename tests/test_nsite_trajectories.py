"""N-site quantum trajectories and finite-rate monitoring (issue 11 §4): magbell.trajectories / magbell.monitor
with a magbell.System.

Statistical checks use explicit bounds: |estimate − exact| ≤ 5σ (+ 1e-12), σ the estimated standard error,
with fixed seeds (deterministic). References: magbell.evolve (exact), the two-qubit solvers for N = 2,
magbell.postselect (N-site no-jump / subspace schemes), scipy's expm.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import magbell
from magbell.errors import InvalidParameterError, InvalidStateError


def _psd(rng, N, scale=1.0):
    X = rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))
    return scale * (X @ X.conj().T) / N


def _random_system(seed, N, T=True, z=True):
    rng = np.random.default_rng(seed)
    kw = dict(Delta=1.0 + 0.3 * rng.normal(size=N), h_plus=_psd(rng, N),
              J_perp=0.3 * rng.normal(size=(N, N)), J_z=0.2 * rng.normal(size=(N, N)), D=0.2 * rng.normal(size=(N, N)))
    if T:
        kw["h_minus"] = _psd(rng, N, 0.3)
    if z:
        kw["h_z"] = _psd(rng, N, 0.2)
    return magbell.System(**kw)


def _within(est, exact, se, k=5.0, floor=1e-12):
    est, exact, se = (np.asarray(x) for x in (est, exact, se))
    ok = np.isfinite(exact)
    assert np.all(np.abs(est - exact)[ok] <= k * se[ok] + floor), np.max((np.abs(est - exact) / (se + floor))[ok])


# ------------------------------------------------------------------------------ averages = evolve
def test_average_matches_evolve_N3_all_terms():
    s = _random_system(3, 3)
    t = np.array([0.0, 0.4, 1.0, 2.0])
    tr = magbell.trajectories(s, {"duu": 0.6, "udd": 0.8j}, t, n=1500, seed=11)
    assert tr.sectors == (0, 1, 2, 3) and tr.kets.shape == (1500, 4, 8)
    ev = magbell.evolve(s, {"duu": 0.6, "udd": 0.8j}, t, store_states=True)
    av = tr.average()
    _within(av.site_populations, ev.site_populations, av.site_populations_stderr)
    _within(av.rho.real, ev.states.real, av.stderr_re)
    _within(av.rho.imag, ev.states.imag, av.stderr_im)
    assert np.allclose(av.rho[0], ev.states[0], atol=1e-14)  # t = 0: the initial ket exactly


def test_lab_frame_phase_si_scale():
    """Δ̄ = 1e10 (SI splittings) with a coherence between sectors: the exact phase e^{−iΔ̄nt} at the outputs."""
    s = magbell.System(Delta=[1e10 + 1.0, 1e10 - 1.0], h_plus=[[1.0, 0.5], [0.5, 1.0]])
    t = np.array([0.0, 0.3, 0.77])
    init = {"uu": np.sqrt(0.5), "du": np.sqrt(0.5)}
    tr = magbell.trajectories(s, init, t, n=1000, seed=2)
    ev = magbell.evolve(s, init, t, store_states=True)
    av = tr.average()
    _within(av.rho.real, ev.states.real, av.stderr_re)
    _within(av.rho.imag, ev.states.imag, av.stderr_im)


def test_zero_temperature_W_reaches_two_sectors():
    N = 6
    s = magbell.System(Delta=np.full(N, 2.0), h_plus=np.ones((N, N)) + 0.2 * np.eye(N))  # W bright, the rest slow
    t = np.linspace(0, 1.5, 4)
    tr = magbell.trajectories(s, "duuuuu", t, n=800, seed=5)
    assert tr.sectors == (0, 1) and tr.kets.shape[-1] == 1 + N
    assert tr.n_jumps.max() == 1  # one excitation: at most one σ⁺ jump, into the ground state
    jumped = tr.n_jumps == 1
    assert np.allclose(np.abs(tr.kets[jumped, -1, 0]), 1.0)
    ev = magbell.evolve(s, "duuuuu", t)
    av = tr.average()
    _within(av.site_populations, ev.site_populations, av.site_populations_stderr)


def test_large_N_one_excitation():
    N = 60
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 20, N))
    s = magbell.System(Delta=np.full(N, 2.0), h_plus=np.cos(x[:, None] - x[None, :]) * 0.1)  # PSD (rank 2)
    t = np.array([0.0, 2.0, 5.0])
    tr = magbell.trajectories(s, "d" + "u" * (N - 1), t, n=300, seed=3)
    assert tr.kets.shape == (300, 3, N + 1)
    assert set(tr.channels) == {"h_plus:0", "h_plus:1"}  # zero-eigenvalue channels dropped
    ev = magbell.evolve(s, "d" + "u" * (N - 1), t)
    av = tr.average()
    _within(av.site_populations, ev.site_populations, av.site_populations_stderr)
    assert av.rho is None  # no dense 2ᴺ state


# ------------------------------------------------------------------------------ no-jump sub-ensemble: exact
@pytest.mark.parametrize("delta", [1.0, 0.5])  # δ = Γ: the exceptional point (scaled Padé path)
def test_no_jump_kets_are_the_postselected_states(delta):
    m = magbell.Model(a=1.0, A=1.0, delta=delta, a_tilde=0.2)
    s = m.system()
    t = np.linspace(0, 3, 7)
    tr = magbell.trajectories(s, "ud", t, n=300, seed=4)
    assert tr.info["propagators"][1] == ("expm" if delta == 1.0 else "eig")
    ps = magbell.postselect(s, "ud", t, store_states=True)
    sel = tr.selection("no-jump")
    for k in range(len(t)):
        K = tr.kets[sel[:, k], k]
        if K.size:
            rho = np.einsum("ni,nj->nij", K, K.conj())
            dense = np.zeros((len(K), 4, 4), dtype=complex)
            idx = [0, 1, 2, 3]  # sectors 0,1,2 = |uu>, (|ud>, |du>), |dd>: basis order already
            dense[:, :, :] = rho[:, idx][:, :, idx]
            assert np.allclose(dense, ps.states[k], atol=1e-11)
    av = tr.average("no-jump")
    _within(av.fraction, ps.success_probability, np.maximum(av.fraction_stderr, 1 / tr.n))


# ------------------------------------------------------------------------------ N = 2 = the two-qubit trajectories
def test_N2_jump_statistics_match_two_qubit_in_distribution():
    from scipy.stats import ks_2samp

    m = magbell.Model(a=1.0, A=0.7, a_tilde=0.4, A_tilde=0.2, delta=0.3, d=0.25, D_deph=0.1)
    t = np.array([0.0, 1.0, 2.5])
    n = 3000
    q = magbell.trajectories(m, "ud", t, n=n, seed=21)
    s = magbell.trajectories(m.system(), "ud", t, n=n, seed=22)
    rec = q.jump_channels
    two = np.stack([np.sum(np.isin(rec, [2, 3]), 1), np.sum(np.isin(rec, [0, 1]), 1), np.sum(np.isin(rec, [4, 5]), 1)], 1)
    mine = s.block_counts()
    for b in range(3):  # mean jumps per block: 5σ of the difference
        d = abs(two[:, b].mean() - mine[:, b].mean())
        assert d <= 5 * np.sqrt(two[:, b].var() / n + mine[:, b].var() / n)
    first_q = np.where(q.n_jumps > 0, q.jump_times[:, 0] if q.jump_times.shape[1] else np.inf, np.inf)
    first_s = np.where(s.n_jumps > 0, s.jump_times[:, 0], np.inf)
    assert ks_2samp(np.minimum(first_q, 9.0), np.minimum(first_s, 9.0)).pvalue > 1e-3
    assert ks_2samp(q.n_jumps, s.n_jumps).pvalue > 1e-3
    a, b = q.average(), s.average()
    _within(a.rho.real, b.rho.real, np.sqrt(a.stderr_re**2 + b.stderr_re**2))


# ------------------------------------------------------------------------------ records, seeds, selections
def test_seeds_and_records():
    s = _random_system(8, 3, z=False)
    t = [0.0, 0.5, 1.0]
    a = magbell.trajectories(s, "dud", t, n=200, seed=9)
    b = magbell.trajectories(s, "dud", t, n=200, seed=9)
    c = magbell.trajectories(s, "dud", t, n=200, seed=10)
    assert np.array_equal(a.jump_channels, b.jump_channels) and np.array_equal(a.kets, b.kets)
    assert not np.array_equal(a.jump_channels, c.jump_channels)
    assert sum(a.jump_counts().values()) == a.n_jumps.sum() == a.block_counts().sum()
    jt = a.jump_times
    assert np.all((np.diff(jt, axis=1) >= 0) | np.isnan(jt[:, 1:]))  # records in time order, NaN padded
    assert np.array_equal(np.isnan(jt), a.jump_channels < 0) and np.all(a.record.count() == a.n_jumps)
    assert np.all(a.selection("no-h_plus") == a.selection(lambda r: r.count("h_plus") == 0))
    assert np.all(a.selection("no-jump") <= a.selection("no-h_minus"))
    with pytest.raises(InvalidParameterError, match="select"):
        a.average("sometimes")
    with pytest.raises(InvalidParameterError, match="unknown jump channel"):
        a.average("no-J3")


def test_mixed_initial_state():
    s = _random_system(4, 2)
    rho = np.diag([0.25, 0.25, 0.5, 0.0]).astype(complex)
    t = [0.0, 0.7]
    tr = magbell.trajectories(s, rho, t, n=2000, seed=1)
    ev = magbell.evolve(s, rho, t, store_states=True)
    av = tr.average()
    _within(av.rho.real, ev.states.real, av.stderr_re)


@pytest.mark.parametrize("call, match", [
    (lambda s: magbell.trajectories(magbell.System(Delta=[[1.0, 1.0], [1.0, 2.0]]), "ud", [1.0], n=2), "grid"),
    (lambda s: magbell.trajectories(s, "duu", [1.0], n=0), "n"),
    (lambda s: magbell.trajectories(s, "duu", [1.0], n=10, seed=-1), "seed"),
    (lambda s: magbell.trajectories(s, "duu", np.linspace(0, 1, 100), n=1000, max_states=10_000), "max_states"),
    (lambda s: magbell.trajectories(s, "duu", [1e6], n=10), "jumps"),
    (lambda s: magbell.trajectories(s, "duu", [1.0], n=10, max_jumps_per_trajectory=1.5), "max_jumps_per_trajectory"),
    (lambda s: magbell.trajectories(s, ["duu", "udu"], [1.0], n=10), "one initial state"),
    (lambda s: magbell.trajectories(magbell.System(Delta=[1.0, 1.0], J_perp=[[0, 1e6], [0, 0]], h_plus=1e-9 * np.eye(2)),
                                    "du", [1e5], n=10), "t·‖H_eff‖"),
    (lambda s: magbell.trajectories(magbell.System(Delta=np.ones(40), h_plus=np.eye(40)), "dicke:3", [1.0], n=2),
     "sector"),
])
def test_refusals(call, match):
    s = _random_system(1, 3)
    with pytest.raises(InvalidParameterError, match=match):
        call(s)


def test_bad_state_is_one_line():
    s = _random_system(1, 3)
    with pytest.raises(InvalidStateError):
        magbell.trajectories(s, "dxu", [1.0], n=2)


# ============================================================================== finite-rate monitoring of Σσᶻ
def _dense_reference(s):
    """Row-major dense Lindbladian of a System from its dense H and jump operators (independent of the sectors)."""
    H = s.hamiltonian()
    d = H.shape[0]
    eye = np.eye(d)
    L = -1j * (np.kron(H, eye) - np.kron(eye, H.T))
    for J in s.jump_operators():
        JJ = J.conj().T @ J
        L += 2 * np.kron(J, J.conj()) - np.kron(JJ, eye) - np.kron(eye, JJ.T)
    return L


def _projector(N, k):
    from magbell.solvers._system_sectors import sector_states

    P = np.zeros(2**N)
    P[sector_states(N, k)] = 1.0
    return np.diag(P)


def _monitor_reference(s, rho0, t, tau, kind, readout, k):
    """Periodic: ρ̃ ← Π e^{Lτ}(ρ̃) Π per period; continuous: e^{(L − γ(1 − Π⊗Π))t}; dense expm (scipy)."""
    from scipy.linalg import expm

    N = s.N
    L = _dense_reference(s)
    P = _projector(N, k)
    PP = np.kron(P, P)
    x0 = PP @ rho0.reshape(-1)
    out = []
    for tk in t:
        if kind == "periodic":
            n = int(np.floor(tk / tau + 1e-9)) if np.isfinite(tau) else 0
            x = x0
            E = expm(L * tau) if n else None
            for _ in range(n):
                x = PP @ (E @ x)
            x = expm(L * (tk - n * tau if np.isfinite(tau) else tk)) @ x
        else:
            x = expm((L - (0 if np.isinf(tau) else 1 / tau) * (np.eye(len(L)) - PP)) * tk) @ x0
        if readout:
            x = PP @ x
        rho = x.reshape(2**N, 2**N)
        out.append((rho / np.trace(rho), np.trace(rho).real))
    return np.array([o[0] for o in out]), np.array([o[1] for o in out])


@pytest.mark.parametrize("kind", ["periodic", "continuous"])
@pytest.mark.parametrize("readout", [True, False])
def test_monitor_N3_matches_dense_reference(kind, readout):
    s = _random_system(5, 3)
    t = np.array([0.0, 0.25, 0.7, 1.3])
    tau = 0.3
    from magbell.system.states import system_density_matrix

    rho0 = 0.7 * system_density_matrix({"duu": 0.6, "udu": 0.8}, 3) + 0.3 * system_density_matrix("uud", 3)
    r = magbell.monitor(s, rho0, t, tau, kind=kind, readout=readout, store_states=True)
    ref, P = _monitor_reference(s, rho0, t, tau, kind, readout, 1)
    assert r.excitations == 1 and r.tau_m == tau and r.kind == kind
    assert np.allclose(r.states, ref, atol=1e-12)
    assert np.allclose(r.success_probability, P, rtol=1e-12, atol=0)
    assert r.site_populations.shape == (4, 3)


def test_monitor_excitations_through_the_public_function():
    """magbell.monitor(..., excitations=k) postselects the outcome k of Σσᶻ for a state with weight in several
    sectors (as system_monitor does), against the dense reference; a Model given with excitations= is its System."""
    s = _random_system(5, 3)
    t = np.array([0.0, 0.25, 0.7])
    from magbell.system.states import system_density_matrix

    rho0 = 0.5 * system_density_matrix({"duu": 0.6, "udu": 0.8}, 3) + 0.5 * system_density_matrix("ddu", 3)
    with pytest.raises(InvalidStateError, match="excitations"):
        magbell.monitor(s, rho0, t, 0.3)
    for k in (1, 2):
        r = magbell.monitor(s, rho0, t, 0.3, excitations=k, store_states=True)
        ref, P = _monitor_reference(s, rho0, t, 0.3, "periodic", True, k)
        assert r.excitations == k
        assert np.allclose(r.states, ref, atol=1e-12) and np.allclose(r.success_probability, P, rtol=1e-12, atol=0)
    m = magbell.Model(a=1.0, A=0.5, delta=0.2)
    a, b = magbell.monitor(m, "ud", t, 0.1, excitations=1), magbell.monitor(m.system(), "ud", t, 0.1)
    assert np.array_equal(a.success_probability, b.success_probability)


@pytest.mark.parametrize("kind", ["periodic", "continuous"])
@pytest.mark.parametrize("tau", [0.01, 0.4, np.inf])
def test_monitor_N2_equals_two_qubit_monitor(kind, tau):
    m = magbell.Model(a=2.0, A=1.5, a_tilde=0.5, A_tilde=0.3, delta=0.4, d=0.3, Jz=0.2, Jperp=0.1)
    t = np.array([0.0, 0.13, 0.5, 2.0])
    for readout in (True, False):
        a = magbell.monitor(m, "ud", t, tau, kind=kind, readout=readout, store_states=True)
        b = magbell.monitor(m.system(), "ud", t, tau, kind=kind, readout=readout, store_states=True)
        assert np.allclose(a.states, b.states, atol=1e-13)
        assert np.allclose(a.log_success_probability, b.log_success_probability, atol=1e-13, rtol=0)
        assert np.allclose(a.concurrence, b.concurrence, atol=1e-13)


def test_monitor_converges_to_subspace_postselection_order_one():
    """κ = 1/τ_m → ∞: the Σσᶻ-postselected ("subspace") evolution, error O(τ_m) (finite temperature, N = 3)."""
    s = _random_system(6, 3)
    t = [1.0]
    ps = magbell.postselect(s, "duu", t, scheme="subspace", store_states=True)
    for kind in ("periodic", "continuous"):
        errs = []
        taus = 2.0 ** -np.arange(8, 12)
        for tau in taus:
            r = magbell.monitor(s, "duu", t, tau, kind=kind, store_states=True)
            errs.append(np.abs(r.states - ps.states).max())
        order = np.log(errs[-2] / errs[-1]) / np.log(2.0)  # local order at the smallest τ_m
        assert 0.95 < order < 1.05, (kind, order, errs)
        assert errs[-1] < 5e-3


def test_monitor_zero_temperature_periodic_readout_is_exact():
    """h_minus = 0: nothing re-enters the k-excitation block (σ⁺ jumps only lower n), so monitoring with readout
    equals the subspace scheme for every τ_m and both kinds (the two-qubit statement of docs/postselection.md §4),
    here N = 4, k = 2, with σᶻ jumps (kept by both)."""
    s = _random_system(7, 4, T=False, z=True)
    t = np.array([0.0, 0.3, 1.0, 2.5])
    ps = magbell.postselect(s, "dduu", t, scheme="subspace", store_states=True)
    for kind, tau in (("periodic", 0.05), ("periodic", 0.7), ("periodic", np.inf), ("continuous", 0.3)):
        r = magbell.monitor(s, "dduu", t, tau, kind=kind, store_states=True)
        assert np.allclose(r.states, ps.states, atol=1e-12)
        assert np.allclose(r.log_success_probability, ps.log_success_probability, atol=1e-11, rtol=0)
    # without readout: the unmonitored Lindblad evolution of Π ρ0 Π between measurements (τ_m = ∞: evolve)
    r = magbell.monitor(s, "dduu", t, np.inf, readout=False, store_states=True)
    ev = magbell.evolve(s, "dduu", t, store_states=True)
    assert np.allclose(r.states, ev.states, atol=1e-12)


def test_monitor_refusals():
    s = _random_system(1, 3)
    with pytest.raises(InvalidParameterError, match="tau_m"):
        magbell.monitor(s, "duu", [1.0], 0.0)
    with pytest.raises(InvalidParameterError, match="kind"):
        magbell.monitor(s, "duu", [1.0], 0.1, kind="poisson")
    with pytest.raises(InvalidStateError, match="several excitation sectors"):
        magbell.monitor(s, {"duu": 0.6, "ddu": 0.8}, [1.0], 0.1)
    with pytest.raises(InvalidParameterError, match="substeps"):
        magbell.monitor(s, "duu", [1e6], 0.1, kind="continuous")
    with pytest.raises(InvalidParameterError, match="complex coordinates"):
        magbell.monitor(_random_system(2, 7), "dduuuuu", [1.0], 0.1)  # finite T: C(14, 7) coordinates


def test_nqubits_page_example_values():
    """docs/nqubits.md, "Trajectories and monitoring for N sites": the Bragg chain's values its comments state."""
    from magbell.medium import MagnonMedium
    from magbell.system import chain_positions, from_positions

    s4 = from_positions(MagnonMedium(dim=1, gap=1.0, stiffness=1.0), chain_positions(4, spacing=np.pi), Delta=2.0)
    tr = magbell.trajectories(s4, "duuu", [0.0, 20.0], n=4000, seed=1)
    assert (tr.channels, tr.sectors, tr.kets.shape) == (("h_plus:0",), (0, 1), (4000, 2, 5))
    avg = tr.average()
    _within(avg.site_populations[-1], [9 / 16, 1 / 16, 1 / 16, 1 / 16], avg.site_populations_stderr[-1])
    np.testing.assert_allclose(avg.site_populations[-1], [0.5604, 0.0623, 0.0623, 0.0623], atol=5e-5)
    mon = magbell.monitor(s4, "duuu", [0.0, 1.0, 2.0], tau_m=0.05)
    ps4 = magbell.postselect(s4, "duuu", [0.0, 1.0, 2.0], scheme="subspace")
    assert np.abs(mon.log_success_probability - ps4.log_success_probability).max() < 1e-13


def test_jump_chunks_do_not_change_the_records(monkeypatch):
    """The jumped kets are formed in memory-bounded chunks; the chunk size must not change any draw."""
    import magbell.solvers._system_trajectories as mod

    s = _random_system(12, 3)
    a = magbell.trajectories(s, "dud", [0.0, 0.6], n=150, seed=3)
    monkeypatch.setattr(mod, "JUMP_CHUNK_BYTES", 1)  # one ket per chunk
    b = magbell.trajectories(s, "dud", [0.0, 0.6], n=150, seed=3)
    assert a.n_jumps.sum() > 100
    assert np.array_equal(a.jump_channels, b.jump_channels) and np.allclose(a.kets, b.kets, atol=1e-15)


def test_dense_average_moments_equal_the_outer_products():
    """average().rho and its standard errors (formed by matrix products) = the plain outer-product statistics."""
    from magbell.solvers._system_trajectory_result import _embed

    s = _random_system(13, 3)
    tr = magbell.trajectories(s, "udu", [0.0, 0.5, 1.0], n=300, seed=8)
    sel = tr.selection("no-h_z")
    av = tr.average("no-h_z")
    K = _embed(tr.kets, 3, tr.sectors, tr.offsets)
    for t in range(3):
        k = K[sel[:, t], t]
        outer = k[:, :, None] * k[:, None, :].conj()
        c = len(k)
        np.testing.assert_allclose(av.rho[t], outer.mean(0), atol=1e-14)
        np.testing.assert_allclose(av.stderr_re[t], outer.real.std(0, ddof=1) / np.sqrt(c), atol=1e-12)
        np.testing.assert_allclose(av.stderr_im[t], outer.imag.std(0, ddof=1) / np.sqrt(c), atol=1e-12)
        pops = np.stack([np.abs(k[:, [b for b in range(8) if b >> (2 - i) & 1]]) ** 2 @ np.ones(4) for i in range(3)], 1)
        np.testing.assert_allclose(av.site_populations[t], pops.mean(0), atol=1e-14)
        np.testing.assert_allclose(av.site_populations_stderr[t], pops.std(0, ddof=1) / np.sqrt(c), atol=1e-14)


@pytest.mark.slow
def test_average_matches_evolve_N4_many_trajectories():
    """20,000 trajectories, N = 4 at finite temperature with every term (all 16 amplitudes reached): site
    populations and the dense state within 5σ of evolve, with σ below 5e-3 (~40 s on the loaded 2-core machine)."""
    s = _random_system(21, 4)
    t = np.array([0.0, 0.3, 0.8, 1.5])
    tr = magbell.trajectories(s, {"dduu": 0.8, "udud": 0.6j}, t, n=20000, seed=31)
    ev = magbell.evolve(s, {"dduu": 0.8, "udud": 0.6j}, t, store_states=True)
    av = tr.average()
    _within(av.site_populations, ev.site_populations, av.site_populations_stderr)
    _within(av.rho.real, ev.states.real, av.stderr_re)
    _within(av.rho.imag, ev.states.imag, av.stderr_im)
    assert np.all(av.site_populations_stderr[1:] < 5e-3)


def test_ill_conditioned_large_sector_is_refused(monkeypatch):
    """At an exceptional point the sector propagator is a per-trajectory exponential (d³ each), bounded in size."""
    import magbell.solvers._system_trajectories as mod

    monkeypatch.setattr(mod, "EXPM_MAX_DIM", 1)
    with pytest.raises(InvalidParameterError, match="exceptional point"):
        magbell.trajectories(magbell.Model(a=1.0, A=1.0, delta=1.0).system(), "ud", [1.0], n=5)


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=st.floats(0.1, 3.0), fA=st.floats(0.0, 1.0), phA=st.floats(-3.2, 3.2), ft=st.floats(0.0, 0.8),
       fAt=st.floats(0.0, 1.0), delta=st.floats(0.0, 3.0), d=st.floats(0.0, 1.0), Jz=st.floats(-1.0, 1.0),
       logtau=st.floats(-4.0, 1.0), kind=st.sampled_from(["periodic", "continuous"]), readout=st.booleans())
def test_monitor_N2_equals_two_qubit_property(a, fA, phA, ft, fAt, delta, d, Jz, logtau, kind, readout):
    """Any two-qubit Model through model.system(): the N-site monitor equals magbell.monitor (1e-12)."""
    at = ft * a
    m = magbell.Model(a=a, A=fA * a * np.exp(1j * phA), a_tilde=at, A_tilde=fAt * at, delta=delta, d=d, Jz=Jz)
    t = np.array([0.0, 0.37, 1.5])
    x = magbell.monitor(m, "ud", t, 10.0**logtau, kind=kind, readout=readout, store_states=True)
    y = magbell.monitor(m.system(), "ud", t, 10.0**logtau, kind=kind, readout=readout, store_states=True)
    np.testing.assert_allclose(y.states, x.states, atol=1e-12)
    np.testing.assert_allclose(y.log_success_probability, x.log_success_probability, atol=1e-12, rtol=1e-12)
