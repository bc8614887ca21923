"""The paper's closed forms of the postselected scheme (Eqs. 14, 15, Fig. 3, Discussion) against exact numerics.

Every formula of magbell.closed_forms_postselect is checked on parameter grids against magbell.postselect
(scaled Padé propagation, no eigendecomposition) and magbell.postselect_spectrum, which test_postselect.py checks
against a brute-force scipy reference. Where the print is wrong the corrected form is tested and the printed
one is shown to fail (docs/errata.md, "Second half").

Tolerances: closed forms in elementary functions and the exact numerics both carry ~1e-15 rounding for O(1)
times, so 1e-12 is used; quantities computed from a maximum over a time grid get the grid's resolution.
"""

from __future__ import annotations

import numpy as np
import pytest

import magbell.paper.closed_forms_postselect as cf
from magbell import Model
from magbell.solvers._nonhermitian import non_hermitian_hamiltonian, postselect_spectrum
from magbell.solvers._postselect import postselect

ATOL = 1e-12

# a grid over all phases and temperatures: a, ã, |A|, |Ã|, δ
GRID = [
    (a, at, A, At, d)
    for a, at in ((1.0, 0.0), (2.5, 0.4))
    for A, At in ((0.6, 0.0), (1.0, 0.3))
    for d in (0.0, 0.35, 0.9, 1.3, 3.0)
    if A <= a and At <= at
]


def model(a, at, A, At, d, **kw):
    return Model(a=a, a_tilde=at, A=A, A_tilde=At, delta=d, **kw)


@pytest.mark.parametrize("p", GRID)
def test_eq14_eigenvalues_and_eigenkets(p):
    a, at, A, At, d = p
    G = A + At
    Es, Ea = cf.eigenvalues(a, at, G, d)
    s, a_ = cf.eigenkets(G, d)
    Hn = non_hermitian_hamiltonian(model(*p))
    sp = postselect_spectrum(model(*p))
    tol = 1e-7 if abs(d - G) < 1e-12 else 1e-13  # at the EP the eigenvalue problem has sqrt(eps) sensitivity
    assert abs(Es - sp.E_s) < tol and abs(Ea - sp.E_a) < tol
    # Eq. (14) as printed: eigenkets with E_{s,a} = ∓ω − i(a + ã); both normalised
    for k, E in ((s, Es), (a_, Ea)):
        assert np.linalg.norm(k) == pytest.approx(1.0, abs=1e-14)
        assert np.max(np.abs(Hn @ k - E * k)) < tol
    # and the same phase convention as magbell.postselect_spectrum
    assert np.max(np.abs(s - sp.ket_s)) < 1e-7 and np.max(np.abs(a_ - sp.ket_a)) < 1e-7
    assert cf.phase(G, d) == sp.phase


def test_eq15_random_initial_states():
    rng = np.random.default_rng(3)
    t = np.linspace(0, 4, 17)
    for a, at, A, At, d in [(1.0, 0.0, 0.8, 0.0, 0.3), (2.5, 0.4, 1.0, 0.3, 1.2), (1.0, 0.0, 1.0, 0.0, 0.0)]:
        G = A + At
        g = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
        r2 = g @ g.conj().T
        rho0 = np.zeros((4, 4), complex)
        rho0[1:3, 1:3] = r2 / np.trace(r2).real
        p = cf.eq15_coefficients(rho0, G, d)
        # the expansion reproduces ρ0
        assert np.max(np.abs(cf.rho_eq15(0.0, p, G, d) - rho0)) < ATOL
        r = postselect(model(a, at, A, At, d), rho0, t, store_states=True)
        assert np.max(np.abs(cf.rho_eq15(t, p[None], G, d) - r.states)) < ATOL
    # no overflow at long times: it tends to |a><a|
    late = cf.rho_eq15(1e5, p, G, d)
    ka = cf.asymptotic_bell_state(G, d)
    assert np.real(ka.conj() @ late @ ka) == pytest.approx(1.0, abs=1e-12)


def test_concurrence_tanh_2_gamma_t():
    t = np.linspace(0, 3, 31)
    for a, at, A, At in ((1.0, 0.0, 1.0, 0.0), (2.0, 0.0, 0.7, 0.0), (3.0, 1.0, 2.0, 0.5)):
        r = postselect(model(a, at, A, At, 0.0), "ud", t)
        assert np.max(np.abs(r.concurrence - cf.concurrence_delta0(t, A + At))) < ATOL
        # P = e^{−2(a+ã)t} cosh 2Γt at δ = 0
        P = np.exp(-2 * (a + at) * t) * np.cosh(2 * (A + At) * t)
        assert np.max(np.abs(r.success_probability / P - 1)) < ATOL


def test_exceptional_point_formula():
    t = np.linspace(0, 10, 41)
    for a, at, A, At in ((1.0, 0.0, 0.5, 0.0), (2.5, 0.4, 1.0, 0.3)):
        G = A + At
        r = postselect(model(a, at, A, At, G), "ud", t)
        assert np.max(np.abs(r.concurrence - cf.concurrence_ep(t, G))) < ATOL
        assert np.max(np.abs(r.concurrence - cf.concurrence_ud(t, G, G))) < ATOL


@pytest.mark.parametrize("p", GRID)
def test_general_formula_all_phases_and_long_times(p):
    a, at, A, At, d = p
    G = A + At
    t = np.concatenate([np.linspace(0, 6, 25), [50.0, 500.0]])
    r = postselect(model(*p), "ud", t)
    assert np.max(np.abs(r.concurrence - cf.concurrence_ud(t, G, d))) < 1e-11
    lp = cf.log_success_probability_ud(t, a, at, G, d)
    assert np.max(np.abs(r.log_success_probability - lp) / np.maximum(1, np.abs(lp))) < 1e-12
    assert np.all(np.isfinite(cf.concurrence_ud(np.array([1e6, 1e9]), G, d)))
    assert np.all(np.isfinite(cf.log_success_probability_ud(np.array([1e6, 1e9]), a, at, G, d)))


def test_max_concurrence_corrected_and_printed_is_wrong():
    """Fig. 3 inset: C_max(η) = 2η/(1 + η²) (derived), not the printed sqrt(2 − 1/η²)/η."""
    G = 2.0
    eta = np.array([1.05, 1.5, 2.0, 2.5, 4.0])
    w = G * np.sqrt(eta**2 - 1)
    # C(t) depends on sin²(ωt) only and grows with it: the maximum is at ωt = π/2 exactly
    c = np.array([postselect(Model(a=3.0, A=G, delta=e * G), "ud", np.pi / (2 * wi) * np.array([0.999, 1.0, 1.001]))
                  .concurrence for e, wi in zip(eta, w, strict=True)])
    assert np.max(np.abs(c[:, 1] - cf.max_concurrence(eta))) < ATOL
    assert np.all(c[:, 1] >= c[:, [0, 2]].max(axis=1))
    assert np.min(np.abs(cf.max_concurrence_printed(eta) - c[:, 1])[1:]) > 0.05  # both → 1 as η → 1
    sp = postselect_spectrum(Model(a=3.0, A=G, delta=eta * G))
    assert np.max(np.abs(sp.max_concurrence - cf.max_concurrence(eta))) < ATOL
    # a dense time grid over one period agrees too (grid resolution 1e-6 of the period)
    t = np.linspace(0, np.pi / w[2], 100001)
    c = postselect(Model(a=3.0, A=G, delta=2.0 * G), "ud", t, measures=["concurrence"]).concurrence
    assert c.max() == pytest.approx(0.8, abs=1e-10)
    # η ≤ 1: the supremum 1 is approached
    assert cf.max_concurrence(0.5) == 1.0 and cf.max_concurrence(1.0) == 1.0


def test_max_concurrence_second_derivative_jumps_at_the_ep():
    """The paper's remark survives the correction: C_max' is continuous at η = 1 and C_max'' jumps (0 → −1)."""
    h = 1e-4
    right = (cf.max_concurrence(1 + 2 * h) - 2 * cf.max_concurrence(1 + h) + cf.max_concurrence(1.0)) / h**2
    left = (cf.max_concurrence(1 - 2 * h) - 2 * cf.max_concurrence(1 - h) + cf.max_concurrence(1.0)) / h**2
    slope_r = (cf.max_concurrence(1 + h) - 1) / h
    assert abs(slope_r) < 1e-3
    assert left == 0.0
    assert right == pytest.approx(-1.0, abs=1e-3)


def test_bell_phase_and_asymptotic_state():
    for G, d in ((1.0, 0.0), (1.0, 0.5), (1.3, 1.0), (2.0, 2.0)):
        e = cf.bell_phase(G, d)
        assert abs(e) == pytest.approx(1.0, abs=1e-15)
        r = postselect(Model(a=G + 0.2, A=G, delta=d), "ud", [1e4], store_states=True)
        b = cf.asymptotic_bell_state(G, d)
        # EP: algebraic approach, 1 − F = 1/(2 + 4Γ²t²); elsewhere exponential
        assert np.real(b.conj() @ r.states[0] @ b) == pytest.approx(1.0, abs=1e-8)
    assert cf.bell_phase(1.0, 0.0) == -1  # the singlet
    assert np.isnan(cf.bell_phase(1.0, 2.0))  # PT-exact: no asymptotic state


def test_leak_and_growth_rates():
    a, at, A, At, d = 2.0, 0.5, 1.2, 0.4, 0.7
    G = A + At
    t = np.array([3.0, 4.0, 20.0, 21.0])
    r = postselect(model(a, at, A, At, d), "ud", t, measures=["bell_fidelity"])
    assert -(r.log_success_probability[3] - r.log_success_probability[2]) == pytest.approx(cf.leak_rate(a, at, G, d), rel=1e-9)
    # the |s> amplitude relative to |a> dies as e^{−2κt}, so 1 − F ∝ e^{−4κt}(1 + O(e^{−2κt})): at t = 3..4 the
    # correction is ~e^{−2κ·3} ≈ 3e-4 of the amplitude, ~1e-5 of the fitted rate
    inf = 1 - r.bell_fidelity
    rate = -np.log(inf[1] / inf[0])
    assert rate == pytest.approx(2 * cf.growth_rate(G, d), rel=1e-4)


def test_oscillation_frequency_pt_exact():
    G, d = 1.0, 2.5
    w2 = cf.oscillation_angular_frequency(G, d)
    period = 2 * np.pi / w2
    t = np.linspace(0, 3, 13)
    r1 = postselect(Model(a=1.5, A=G, delta=d), "ud", t)
    r2 = postselect(Model(a=1.5, A=G, delta=d), "ud", t + period)
    assert np.max(np.abs(r1.concurrence - r2.concurrence)) < ATOL
    half = postselect(Model(a=1.5, A=G, delta=d), "ud", t + period / 2)
    assert np.max(np.abs(r1.concurrence - half.concurrence)) > 0.1


def test_gamma_with_unequal_phases():
    """Γ = |A| + |Ã| needs arg A = arg Ã; in general the exact numerics follow |A + Ã|."""
    A, At = 0.9 * np.exp(0.4j), 0.3 * np.exp(-1.1j)
    assert cf.effective_coupling(A, At) < cf.gamma(A, At)
    t = np.linspace(0, 3, 13)
    r = postselect(Model(a=1.0, A=A, a_tilde=0.4, A_tilde=At), "ud", t)
    good = cf.concurrence_ud(t, cf.effective_coupling(A, At), 0.0)
    bad = cf.concurrence_ud(t, cf.gamma(A, At), 0.0)
    assert np.max(np.abs(r.concurrence - good)) < ATOL
    assert np.max(np.abs(r.concurrence - bad)) > 1e-2
    same = postselect(Model(a=1.0, A=0.9 * np.exp(0.4j), a_tilde=0.4, A_tilde=0.3 * np.exp(0.4j)), "ud", t)
    assert np.max(np.abs(same.concurrence - cf.concurrence_ud(t, 1.2, 0.0))) < ATOL
