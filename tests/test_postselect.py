"""magbell.postselect: Eqs. (11)–(13) made exact and general, the spectrum of Eq. (14), and bad input.

References. ``systems.py`` builds H (Eq. 1, S38), h (Eq. 4) and the Liouvillian (Eq. 3) from the paper's formulas
with no magbell code; the non-Hermitian Hamiltonian of the reference is H − i Σ_nm h_nm O_m†O_n, and the
reference conditional states are scipy.linalg.expm(−i H_eff t) ρ0 expm(−i H_eff t)† for every time.

Tolerances. For O(1) times (‖H_eff t‖ ≲ 50) both sides are exact to ~1e-15 (Padé scaling and squaring,
no ODE tolerance), so states, P and concurrences are compared at 1e-12 (ATOL), relative 1e-12 for P. Long-time
tolerances are stated next to the tests: log P(t) is as ill-conditioned as the decay rates it integrates (a
1-ulp change of a rate moves log P(10⁶) by ~1e-10), and at the exceptional point rounding splits the defective
eigenvalue by ~sqrt(eps), so log P(10⁶) there is compared at relative 1e-9.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import systems as S
from scipy.linalg import expm as scipy_expm

import magbell
import magbell.paper.closed_forms_postselect as cf
from magbell import InvalidParameterError, InvalidStateError, Model
from magbell.solvers._nonhermitian import jump_rate_operator, non_hermitian_hamiltonian, postselect_spectrum
from magbell.solvers._postselect import JUMP_NAMES, conditional_evolve, postselect

ATOL = 1e-12
PI0 = np.diag([0.0, 1.0, 1.0, 0.0])


def ref_heff(**params) -> np.ndarray:
    """H − i Σ_nm h_nm O_m†O_n from systems.py (Eqs. 1, 3, 4, 12)."""
    H = S.hamiltonian(**{k: params[k] for k in S._HAM_KEYS if k in params})
    h = S.h_matrix(**{k: params[k] for k in S._H_KEYS if k in params})
    K = sum(h[n, m] * S.dag(S.OPS[m]) @ S.OPS[n] for n in range(6) for m in range(6))
    return H - 1j * K


def ref_postselect(Hn, rho0, times):
    """Eq. (13) by brute force: (states (T,4,4), P (T,))."""
    out, P = [], []
    for t in times:
        U = scipy_expm(-1j * Hn * t)
        r = U @ rho0 @ U.conj().T
        p = np.trace(r).real
        out.append(r / p)
        P.append(p)
    return np.array(out), np.array(P)


def random_models(seed, k, **kw):
    rng = np.random.default_rng(seed)
    return [S.random_params(rng, **kw) for _ in range(k)]


# =============================================================================================
# Eqs. (11), (12)
# =============================================================================================


@pytest.mark.parametrize("params", random_models(1, 6))
def test_heff_is_eq12_and_eq11_is_the_master_equation(params, rng):
    m = Model(**params)
    Hn = non_hermitian_hamiltonian(m)
    assert np.max(np.abs(Hn - ref_heff(**params))) < 1e-14
    J = m.jump_operators()
    K = sum(j.conj().T @ j for j in J)
    assert np.max(np.abs(jump_rate_operator(m) - K)) < 1e-14
    # Eq. (11): −i(H_eff ρ − ρ H_eff†) + 2 Σ J ρ J† equals the master equation (2)–(3)
    L = S.reference_liouvillian(**params)
    for _ in range(3):
        rho = S.random_density_matrix(rng)
        rhs = -1j * (Hn @ rho - rho @ Hn.conj().T) + 2 * sum(j @ rho @ j.conj().T for j in J)
        assert np.max(np.abs(rhs - (L @ rho.reshape(16)).reshape(4, 4))) < 1e-13


def test_heff_conserves_total_sz():
    for params in random_models(2, 5):
        Hn = non_hermitian_hamiltonian(Model(**params))
        Mz = np.diag([2.0, 0.0, 0.0, -2.0])
        assert np.max(np.abs(Hn @ Mz - Mz @ Hn)) == 0.0


def test_heff_batched_equals_pointwise():
    m = Model(a=[[1.0], [2.0]], A=[0.3, 0.9], delta=0.2, Jperp=0.1, D_dm=-0.2)
    Hn = non_hermitian_hamiltonian(m)
    assert Hn.shape == (2, 2, 4, 4)
    for i in range(2):
        for j in range(2):
            assert np.array_equal(Hn[i, j], non_hermitian_hamiltonian(m[i, j]))


# =============================================================================================
# Eq. (13) against the brute-force reference
# =============================================================================================


@pytest.mark.parametrize("k", range(6))
def test_postselect_matches_reference(k):
    rng = np.random.default_rng(100 + k)
    params = S.random_params(rng)
    m = Model(**params)
    rank = [1, 2, 4][k % 3]
    rho0 = S.random_density_matrix(rng, rank=rank)
    times = np.array([0.0, 0.4, 1.3, 0.9, 2.5, 2.5]) if k % 2 else np.linspace(0, 3, 13)
    res = postselect(m, rho0, times, store_states=True,
                     measures=["concurrence", "populations", "purity", "negativity", "bell_fidelities"])
    ref, P = ref_postselect(ref_heff(**params), rho0, times)
    assert np.max(np.abs(res.states - ref)) < ATOL
    assert np.max(np.abs(res.success_probability / P - 1)) < ATOL
    assert np.max(np.abs(res.log_success_probability - np.log(P))) < ATOL
    assert np.max(np.abs(res.concurrence - magbell.concurrence(ref))) < 1e-10  # Wootters on a full-rank ρ: 1e-10
    assert np.max(np.abs(res.populations - magbell.populations(ref))) < ATOL
    assert np.max(np.abs(res.purity - magbell.purity(ref))) < ATOL
    assert np.max(np.abs(res.bell_fidelities - magbell.bell_fidelities(ref))) < ATOL
    # the subspace scheme: Π0 ρ0 Π0 first; with dephasing the undetected J5, J6 stay (checked below)
    sub = postselect(m, rho0, times, scheme="subspace", store_states=True)
    p0 = np.trace(PI0 @ rho0).real
    cond = conditional_evolve(m, PI0 @ rho0 @ PI0 / p0, times, forbid=["J1", "J2", "J3", "J4"], store_states=True)
    assert np.max(np.abs(sub.states - cond.states)) < ATOL
    assert np.max(np.abs(sub.success_probability - p0 * cond.success_probability)) < ATOL


def test_pure_and_mixed_paths_agree():
    """A pure state given as a ket, and as a rank-2 mixture of itself with weight 0 ... and the same state via
    conditional_evolve (the 16×16 path) give the same answer."""
    m = Model(a=1.2, A=0.7, a_tilde=0.2, A_tilde=0.1, delta=0.5, Jperp=0.3, d=0.1)
    ket = np.array([0.3, 0.6, 0.2j, np.sqrt(1 - 0.09 - 0.36 - 0.04)])
    t = np.linspace(0, 2, 9)
    a = postselect(m, ket, t, store_states=True, measures=["concurrence", "entanglement_of_formation"])
    b = conditional_evolve(m, np.outer(ket, ket.conj()), t, store_states=True,
                           measures=["concurrence", "entanglement_of_formation"])
    assert np.max(np.abs(a.states - b.states)) < ATOL
    assert np.max(np.abs(a.concurrence - b.concurrence)) < 1e-7  # Wootters of a rank-1 ρ vs 2|ψ0ψ3 − ψ1ψ2|
    assert np.max(np.abs(a.entanglement_of_formation - b.entanglement_of_formation)) < 1e-6


def test_grid_and_initial_state_axes():
    m = Model(a=1.0, A=np.linspace(0, 1, 3)[:, None], delta=np.array([0.0, 0.5, 1.0, 2.0]))
    t = np.linspace(0, 2, 5)
    res = postselect(m, ["ud", "singlet", np.eye(4) / 4], t)
    assert res.concurrence.shape == (3, 4, 3, 5)
    assert res.populations.shape == (3, 4, 3, 5, 4)
    assert res.success_probability.shape == (3, 4, 3, 5)
    assert res.bell_state.shape == (3, 4, 4)
    one = postselect(m[2, 1], "singlet", t)
    assert np.max(np.abs(res.concurrence[2, 1, 1] - one.concurrence)) < 1e-14
    assert np.max(np.abs(res.log_success_probability[2, 1, 1] - one.log_success_probability)) < 1e-14
    single = postselect(m, "ud", t)
    assert single.concurrence.shape == (3, 4, 5)
    empty = postselect(Model(a=np.ones(0)), "ud", t)
    assert empty.concurrence.shape == (0, 5)


def test_chunking_does_not_change_results():
    m = Model(a=1.0, A=np.linspace(0, 1, 7), delta=0.3)
    t = np.linspace(0, 3, 11)
    a = postselect(m, "ud", t)
    b = postselect(m, "ud", t, chunk_points=2)
    assert np.array_equal(a.concurrence, b.concurrence)
    assert np.array_equal(a.log_success_probability, b.log_success_probability)


# =============================================================================================
# Exceptional point and long times
# =============================================================================================


@pytest.mark.parametrize("Gamma", [0.5, 2.0])
def test_exceptional_point_is_exact(Gamma):
    """At δ = Γ H_eff is not diagonalisable; the expm/powers propagation is exact there (EP formula of the
    paper), and continuous through it."""
    t = np.linspace(0, 20, 201)
    r = postselect(Model(a=Gamma + 0.5, A=Gamma, delta=Gamma), "ud", t, store_states=True)
    assert np.max(np.abs(r.concurrence - cf.concurrence_ep(t, Gamma))) < 1e-13
    assert np.max(np.abs(r.log_success_probability - cf.log_success_probability_ud(t, Gamma + 0.5, 0, Gamma, Gamma))) < 1e-12
    for rel in (1e-9, -1e-9):
        near = postselect(Model(a=Gamma + 0.5, A=Gamma, delta=Gamma * (1 + rel)), "ud", t)
        # C is smooth in δ: |dC/dδ| ≲ t² Γ here, so a 1e-9 shift moves it by < 1e-6
        assert np.max(np.abs(near.concurrence - r.concurrence)) < 1e-6
        assert np.max(np.abs(near.concurrence - cf.concurrence_ud(t, Gamma, Gamma * (1 + rel)))) < 1e-12
    # the coalesced state (|ud> + i|du>)/√2 is reached algebraically: ψ ∝ (1 + iΓt, −Γt) gives
    # F = |1 + 2iΓt|²/(2(1 + 2Γ²t²)) = 1 − 1/(2 + 4Γ²t²)
    bell = np.array([0, 1, 1j, 0]) / np.sqrt(2)
    F = np.real(np.einsum("i,tij,j->t", bell.conj(), r.states, bell))
    assert np.max(np.abs(F - (1 - 1 / (2 + 4 * Gamma**2 * t**2)))) < 1e-13
    sp = postselect_spectrum(Model(a=Gamma + 0.5, A=Gamma, delta=Gamma))
    assert np.max(np.abs(sp.exceptional_state - bell)) < 1e-15


def test_long_times_finite_and_exact():
    """t·rate up to 10⁶: finite concurrences, log P exact where P underflows; no warnings."""
    t = np.concatenate([np.linspace(0, 10, 11), [1e2, 1e4, 1e6]])
    deltas = np.array([0.0, 1.0, 1.8, 1.8 * (1 + 1e-12), 3.0])  # PT-broken, EP, ~EP, PT-exact
    a, at, A, At = 2.5, 0.4, 1.5, 0.3
    m = Model(a=a, a_tilde=at, A=A, A_tilde=At, delta=deltas)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = postselect(m, "ud", t)
    assert np.all(np.isfinite(r.concurrence)) and np.all(np.isfinite(r.log_success_probability))
    assert np.any(r.success_probability == 0.0)  # underflowed ...
    lp = cf.log_success_probability_ud(t, a, at, 1.8, deltas[:, None])
    # ... but log P is exact: relative 1e-9 (EP conditioning, module docstring), else rounding of ~10⁵ substeps
    assert np.max(np.abs(r.log_success_probability - lp) / np.maximum(1, np.abs(lp))) < 1e-9
    C = cf.concurrence_ud(t, 1.8, deltas[:, None])
    assert np.max(np.abs(r.concurrence - C)[[0, 1, 4]]) < 1e-9
    assert np.max(np.abs(r.concurrence[1:4, -1] - 1.0)) < 1e-5  # EP: 1 − C ~ 1/(8Γ⁴t⁴)... and conditioning


def test_long_times_dark_point_keeps_half_probability():
    """a = |A|, δ = 0: the singlet is dark, P → 1/2 exactly and stays there (log P ~ 1e-10 at t = 10⁶: the
    1-ulp conditioning of a − |A| = 0)."""
    r = postselect(Model(a=1.0, A=1.0), "ud", [0.0, 10.0, 1e3, 1e6])
    assert np.max(np.abs(r.log_success_probability[1:] - np.log(0.5 * (1 + np.exp(-4 * np.array([10.0, 1e3, 1e6])))))) < 1e-9
    assert np.max(np.abs(r.concurrence[1:] - 1.0)) < 1e-12


def test_decoupled_blocks_do_not_flush_each_other():
    """|↑↑> never decays at T = 0 while the subspace part decays like e^{−2(a−κ)t}: each σz block has its own
    scale, so a state in the subspace stays exact even when it is 10^-400000 times smaller."""
    m = Model(a=3.0, A=1.0, delta=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = postselect(m, ["ud", "uu", "dd"], [0.0, 3e5])
    assert np.all(np.isfinite(r.concurrence))
    assert r.concurrence[0, -1] == pytest.approx(1.0, abs=1e-12)
    assert r.log_success_probability[1, -1] == 0.0
    assert r.log_success_probability[2, -1] == pytest.approx(-4 * 3.0 * 3e5, rel=1e-13)


# =============================================================================================
# Initial states outside the subspace, dephasing, couplings
# =============================================================================================


def test_initial_states_outside_the_subspace():
    a = 1.3
    m = Model(a=a, A=0.9, delta=0.2)
    t = np.array([0.0, 1.0, 5.0, 50.0])
    r = postselect(m, ["uu", "dd"], t, store_states=True)
    # no-jump from |↑↑> at T = 0: nothing can happen, P = 1; from |↓↓>: P = e^{−2(a1+a2)t}, state unchanged
    assert np.max(np.abs(r.success_probability[0] - 1)) == 0
    assert np.max(np.abs(r.log_success_probability[1] + 4 * a * t)) < 1e-12
    assert np.max(np.abs(r.states[1] - S.rho_of("dd"))) < ATOL
    # a superposition across sectors: the no-jump record favours the non-decaying |↑↑>
    psi = (S.KETS["uu"] + S.KETS["ud"]) / np.sqrt(2)
    tt = np.append(t, 1000.0)
    nj = postselect(m, psi, tt, store_states=True)
    ref, _ = ref_postselect(ref_heff(a=a, A=0.9, delta=0.2), np.outer(psi, psi.conj()), t)
    assert np.max(np.abs(nj.states[:-1] - ref)) < ATOL
    assert np.max(np.abs(nj.states[-1] - S.rho_of("uu"))) < 1e-15  # subspace weight e^{−846}: gone
    assert nj.log_success_probability[-1] == pytest.approx(np.log(0.5), abs=1e-12)
    # the |σz| = 0 postselection projects first: P(0) = 1/2 and the Bell state is reached
    sub = postselect(m, psi, t, scheme="subspace")
    assert sub.success_probability[0] == pytest.approx(0.5, abs=1e-15)
    assert sub.concurrence[-1] == pytest.approx(1.0, abs=1e-12)
    assert np.max(np.abs(sub.success_probability - 0.5 * postselect(m, "ud", t).success_probability)) < 1e-15
    # nothing in the subspace: postselection impossible
    none = postselect(m, "uu", t, scheme="subspace")
    assert np.all(none.success_probability == 0) and np.all(none.log_success_probability == -np.inf)
    assert np.all(np.isnan(none.concurrence))


def test_dephasing_what_postselection_forbids():
    """no-jump forbids the dephasing jumps too: they only rescale P (J5,6†J5,6 ∝ 1 on the subspace). The
    |σz| = 0 postselection cannot see them: the Bell coherence dephases."""
    base = dict(a=1.0, A=1.0, delta=0.0)
    t = np.linspace(0, 4, 9)
    clean = postselect(Model(**base), "ud", t, store_states=True)
    deph = postselect(Model(**base, d=0.2), "ud", t, store_states=True)
    assert np.max(np.abs(deph.states - clean.states)) < ATOL
    assert np.max(np.abs(deph.log_success_probability - (clean.log_success_probability - 4 * 0.2 * 2 * t / 2))) < 1e-12
    sub = postselect(Model(**base, d=0.2), "ud", t, scheme="subspace", store_states=True)
    assert sub.concurrence[-1] < 0.9
    # the dephased singlet leaks through its triplet part; forbidding fewer channels can only raise P
    assert np.all(sub.success_probability[1:] < clean.success_probability[1:])
    assert np.all(sub.success_probability >= deph.success_probability - 1e-15)
    # correlated dephasing 𝔇 = d: the only jump ∝ σ1z + σ2z annihilates the subspace — nothing to see
    corr = postselect(Model(**base, d=0.2, D_deph=0.2), "ud", t, scheme="subspace", store_states=True)
    assert np.max(np.abs(corr.states - clean.states)) < ATOL
    assert np.max(np.abs(corr.success_probability - clean.success_probability)) < ATOL
    # without dephasing the two schemes agree for states in the subspace
    m2 = Model(a=1.0, A=0.7, a_tilde=0.2, A_tilde=0.1, delta=0.3, Jperp=0.2)
    s2 = postselect(m2, "singlet", t, scheme="subspace", store_states=True)
    n2 = postselect(m2, "singlet", t, store_states=True)
    assert np.max(np.abs(s2.states - n2.states)) < ATOL


def test_coherent_couplings_are_included():
    """The paper drops H_eff's couplings; with a DM term the conditional dynamics differs, and matches the
    reference built with them."""
    params = dict(a=1.0, A=0.8, delta=0.4, D_dm=0.3, Jperp=0.2, Jz=0.7)
    t = np.linspace(0, 3, 7)
    r = postselect(Model(**params), "ud", t, store_states=True)
    ref, _ = ref_postselect(ref_heff(**params), S.rho_of("ud"), t)
    assert np.max(np.abs(r.states - ref)) < ATOL
    paper = postselect(Model(a=1.0, A=0.8, delta=0.4), "ud", t)
    assert np.max(np.abs(r.concurrence - paper.concurrence)) > 1e-2
    # 𝒥z only shifts the subspace energy: no effect at all from states inside the subspace
    jz = postselect(Model(a=1.0, A=0.8, delta=0.4, Jz=5.0), "ud", t, store_states=True)
    nojz = postselect(Model(a=1.0, A=0.8, delta=0.4), "ud", t, store_states=True)
    assert np.max(np.abs(jz.states - nojz.states)) < ATOL


def test_conditional_evolve_limits():
    params = S.random_params(np.random.default_rng(7))
    m = Model(**params)
    rho0 = S.random_density_matrix(np.random.default_rng(8))
    t = np.linspace(0, 2, 5)
    free = conditional_evolve(m, rho0, t, forbid=[], store_states=True)
    ev = magbell.evolve(m, rho0, t, store_states=True)
    assert np.max(np.abs(free.states - ev.states)) < ATOL
    assert np.max(np.abs(free.success_probability - 1)) < ATOL
    all_ = conditional_evolve(m, rho0, t, forbid="all", store_states=True)
    ps = postselect(m, rho0, t, store_states=True)
    assert np.max(np.abs(all_.states - ps.states)) < ATOL
    # forbidding more channels can only lower P; and indices work like names
    by_idx = conditional_evolve(m, rho0, t, forbid=[2])
    by_name = conditional_evolve(m, rho0, t, forbid="J3")
    assert np.array_equal(by_idx.success_probability, by_name.success_probability)
    assert np.all(all_.success_probability <= by_name.success_probability + 1e-15)


# =============================================================================================
# Spectrum, phases (item 2)
# =============================================================================================


def test_pt_phase_diagram_in_one_call():
    G = np.linspace(0.5, 2.0, 4)[:, None]
    d = np.linspace(0, 4, 9)[None, :]
    sp = postselect_spectrum(Model(a=2.0, A=G, delta=d))
    want = cf.phase(G, d)
    assert sp.phase.shape == (4, 9)
    assert np.array_equal(sp.phase, want)
    assert np.array_equal(sp.exceptional_point_delta, np.broadcast_to(G, (4, 9)))
    assert np.allclose(sp.kappa, cf.kappa(G, d), atol=1e-15, rtol=0)


@pytest.mark.parametrize("params", random_models(11, 6) + [dict(a=1.0, A=1.0), dict(a=2.0, A=2.0, delta=2.0)])
def test_eigenkets_and_eigenvalues(params):
    m = Model(**params)
    sp = postselect_spectrum(m)
    Hn = non_hermitian_hamiltonian(m)
    assert sp.eigenvalues[2].imag >= sp.eigenvalues[1].imag - 1e-15
    for ket, E in ((sp.ket_s, sp.E_s), (sp.ket_a, sp.E_a)):
        if np.all(np.isfinite(ket)):
            assert np.linalg.norm(ket) == pytest.approx(1.0, abs=1e-14)
            # the EP itself is defective: eigenvalue error ~sqrt(eps); elsewhere the residual is ~eps
            tol = 1e-7 if sp.phase == "exceptional-point" else 1e-13
            assert np.max(np.abs(Hn @ ket - E * ket)) < tol
    ev = np.linalg.eigvals(Hn[1:3, 1:3])
    for E in (sp.E_s, sp.E_a):
        assert np.min(np.abs(ev - E)) < 1e-7  # LAPACK near the EP: ~sqrt(eps)


def test_generalised_spectrum():
    # complex couplings with different phases: Γ_eff = |A + Ã| < |A| + |Ã|
    m = Model(a=1.0, A=0.8, a_tilde=0.5, A_tilde=0.4j)
    sp = postselect_spectrum(m)
    assert float(sp.Gamma) == pytest.approx(abs(0.8 + 0.4j), rel=1e-15)
    assert float(sp.exceptional_point_delta) == pytest.approx(abs(0.8 + 0.4j), rel=1e-12)
    # unequal local rates: T00 = −(δ + iε), ω² complex for δ ≠ 0: no real exceptional point, always converges
    u = postselect_spectrum(Model(a=1.0, a2=1.44, A=1.0, delta=[0.0, 0.5, 3.0]))
    assert list(u.phase) == ["PT-broken"] * 3
    assert np.all(np.isnan(u.exceptional_point_delta))
    assert np.all(u.asymptotic_concurrence < 1)
    # the asymptotic state is where postselect goes
    r = postselect(Model(a=1.0, a2=1.44, A=1.0, delta=0.5), "ud", [200.0], store_states=True)
    a_ = u.asymptotic_state[1]
    assert abs(np.real(a_.conj() @ r.states[0] @ a_)) == pytest.approx(1.0, abs=1e-12)
    # degenerate: no coupling at all, δ = 0
    assert postselect_spectrum(Model(a=1.0)).phase == "degenerate"


def test_rates_and_bell_state_against_numerics():
    a, at, A, At, d = 2.0, 0.3, 1.5, 0.2, 0.6
    m = Model(a=a, a_tilde=at, A=A, A_tilde=At, delta=d)
    sp = postselect_spectrum(m)
    G = A + At
    assert float(sp.leak_rate) == pytest.approx(cf.leak_rate(a, at, G, d), rel=1e-13)
    assert float(sp.growth_rate) == pytest.approx(cf.growth_rate(G, d), rel=1e-13)
    assert bool(sp.growth_beats_leak) == bool(cf.growth_rate(G, d) > cf.leak_rate(a, at, G, d))
    t = np.array([30.0, 31.0, 40.0])
    r = postselect(m, "ud", t, store_states=True)
    rate = -(r.log_success_probability[1] - r.log_success_probability[0])
    assert rate == pytest.approx(float(sp.leak_rate), rel=1e-9)
    b = sp.bell_state
    assert np.real(b.conj() @ r.states[-1] @ b) == pytest.approx(1.0, abs=1e-12)
    assert complex(sp.bell_phase) == pytest.approx(complex(cf.bell_phase(G, d)), abs=1e-14)
    assert float(sp.asymptotic_concurrence) == pytest.approx(1.0, abs=1e-14)


def test_solvers_are_functions_and_companions_live_in_magbell_conditional():
    """magbell.postselect / monitor / trajectories / robustness are plain functions (no callable modules, issue 10
    §4); their companions are reachable as magbell.conditional.<name> (docs/postselection.md)."""
    import inspect

    import magbell.conditional as cond

    m = Model(a=1.0, A=0.8, delta=0.2)
    assert inspect.isfunction(magbell.postselect) and magbell.postselect is cond.postselect is postselect
    assert cond.postselect_spectrum is postselect_spectrum is magbell.postselect_spectrum
    assert np.array_equal(magbell.postselect(m, "ud", [0.0, 1.0]).concurrence, postselect(m, "ud", [0.0, 1.0]).concurrence)
    assert list(inspect.signature(magbell.postselect).parameters)[:3] == ["model", "initial", "times"]
    for name in ("monitor", "trajectories", "robustness"):
        assert inspect.isfunction(getattr(magbell, name)) and getattr(magbell, name) is getattr(cond, name)


# =============================================================================================
# Bad input
# =============================================================================================


def test_bad_input():
    m = Model(a=1.0, A=0.5)
    with pytest.raises(InvalidParameterError, match="scheme"):
        postselect(m, "ud", [0, 1], scheme="zeno")
    with pytest.raises(InvalidParameterError, match="unknown measure"):
        postselect(m, "ud", [0, 1], measures=["fidelity"])
    with pytest.raises(InvalidParameterError, match="times"):
        postselect(m, "ud", [-1.0])
    with pytest.raises(InvalidParameterError, match="model"):
        postselect("model", "ud", [1.0])
    with pytest.raises(InvalidStateError):
        postselect(m, "xx", [1.0])
    with pytest.raises(InvalidParameterError, match="chunk_points"):
        postselect(m, "ud", [1.0], chunk_points=0)
    with pytest.raises(InvalidParameterError, match="forbid"):
        conditional_evolve(m, "ud", [1.0], forbid=["J7"])
    with pytest.raises(InvalidParameterError, match="rtol"):
        postselect_spectrum(m, rtol=-1)
    with pytest.raises(InvalidParameterError, match="rate"):
        postselect(m, "ud", [1e300])
    assert JUMP_NAMES == ("J1", "J2", "J3", "J4", "J5", "J6")
    assert issubclass(InvalidParameterError, ValueError)
