"""magbell.evolve against analytic systems (tests/README.md), a slow obvious reference, mpmath, and bad input.

Tolerances. magbell propagates with exp(L t) computed by Padé scaling and squaring: no ODE tolerance, error
~ eps * ||L t|| in the worst case. For O(1) times (||L t|| <~ 50) that is <~ 1e-14, so 1e-12 (ATOL) is
used for density-matrix elements and concurrences; the references (closed forms in elementary functions,
scipy.linalg.expm per time) are themselves accurate to ~1e-15 there. Long-time tests state their own
tolerance next to the test.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import qutip
import systems as S
from scipy.linalg import expm as scipy_expm

import magbell
from magbell import InvalidParameterError, InvalidStateError, Model

#: absolute tolerance for O(1) times (see module docstring)
ATOL = 1e-12
EPS = np.finfo(float).eps


def states(model, initial, times, **kw):
    return magbell.evolve(model, initial, times, store_states=True, **kw).states


# =============================================================================================
# Analytic systems
# =============================================================================================


@pytest.mark.parametrize(
    "params",
    [
        dict(a=0.7),
        dict(a=0.5, a_tilde=0.2, delta=0.4, Delta=1.1),
        dict(a=0.5, a2=0.8, a_tilde=0.1, a_tilde2=0.3, d=0.2, d2=0.05, delta=0.4, Delta=-1.3),
        dict(a=0.0, d=0.3, Delta=2.0),
    ],
)
def test_independent_qubits(params, rng):
    """System A: with A = At = D = 0 and no coupling the state stays a product of Bloch solutions."""
    t = np.linspace(0, 4, 17)
    for _ in range(3):
        r1 = S.random_density_matrix(rng)[:2, :2]
        r1 = r1 / np.trace(r1)
        r2 = S.random_density_matrix(rng)[:2, :2]
        r2 = r2 / np.trace(r2)
        got = states(Model(**params), np.kron(r1, r2), t)
        np.testing.assert_allclose(got, S.independent_qubits(t, r1, r2, **params), rtol=0, atol=ATOL)


def test_relaxation_from_dd():
    """System A from |dd> with a only: p_uu = (1-e)^2, p_ud = p_du = e(1-e), p_dd = e^2, e = e^{-2at}; C = 0."""
    a = 0.7
    t = np.linspace(0, 5, 26)
    r = magbell.evolve(Model(a=a), "dd", t)
    np.testing.assert_allclose(r.populations, S.relaxation_from_dd(t, a), rtol=0, atol=ATOL)
    # written out once more without the helper
    e = np.exp(-2 * a * t)
    np.testing.assert_allclose(r.populations[:, 3], e**2, rtol=0, atol=ATOL)
    np.testing.assert_allclose(r.populations[:, 0], (1 - e) ** 2, rtol=0, atol=ATOL)
    assert np.max(r.concurrence) <= 1e-15  # a product state at all times


def test_dm_coupling_suppl_iv():
    """Suppl. (iv): H = D(s1x s2y - s1y s2x), |ud> -> cos(2Dt)|ud> - sin(2Dt)|du>, C = |sin 4Dt|."""
    D = 0.37
    t = np.linspace(0, 6, 61)
    r = magbell.evolve(Model(a=0.0, D_dm=D), "ud", t, store_states=True)
    psi = np.zeros((t.size, 4))
    psi[:, 1], psi[:, 2] = np.cos(2 * D * t), -np.sin(2 * D * t)
    np.testing.assert_allclose(r.states, np.einsum("ti,tj->tij", psi, psi), rtol=0, atol=ATOL)
    np.testing.assert_allclose(r.concurrence, np.abs(np.sin(4 * D * t)), rtol=0, atol=ATOL)


def test_xy_coupling():
    """System C: Jperp only, |ud> -> cos(2Jt)|ud> - i sin(2Jt)|du>, C = |sin 4Jt|."""
    J = 0.61
    t = np.linspace(0, 6, 61)
    r = magbell.evolve(Model(a=0.0, Jperp=J), "ud", t, store_states=True)
    psi = np.zeros((t.size, 4), dtype=complex)
    psi[:, 1], psi[:, 2] = np.cos(2 * J * t), -1j * np.sin(2 * J * t)
    np.testing.assert_allclose(r.states, np.einsum("ti,tj->tij", psi, psi.conj()), rtol=0, atol=ATOL)
    np.testing.assert_allclose(r.concurrence, np.abs(np.sin(4 * J * t)), rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    "params",
    [
        dict(delta=0.3, Jperp=0.5),
        dict(delta=-0.8, D_dm=0.4, Jz=0.9, Delta=3.0),
        dict(delta=0.2, Jperp=-0.3, D_dm=0.25, Jz=-0.4),
    ],
)
def test_coherent_exchange_with_asymmetry(params):
    """Systems B/C with delta and Jz: the general two-level (Rabi) solution in span{|ud>, |du>}."""
    t = np.linspace(0, 8, 41)
    kets, conc = S.coherent_exchange(t, **params)
    r = magbell.evolve(Model(a=0.0, **params), "ud", t, store_states=True)
    np.testing.assert_allclose(r.states, np.einsum("ti,tj->tij", kets, kets.conj()), rtol=0, atol=ATOL)
    np.testing.assert_allclose(r.concurrence, conc, rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    "params, phase",
    [
        (dict(a=1.0, A=1.0), 0.0),
        (dict(a=0.8, A=0.8, a_tilde=0.3, A_tilde=0.3, Jz=0.4, Jperp=0.7, Delta=1.5), 0.0),
        (dict(a=1.0, A=1.0, d=0.3, D_deph=0.3, Jz=-0.2), 0.0),
        # complex A = |A| e^{i phi}: the dark ket picks up the phase; Jperp + i D_dm must be ∝ e^{-i phi}
        (
            dict(
                a=1.0,
                A=np.exp(0.7j),
                a_tilde=0.2,
                A_tilde=0.2 * np.exp(0.7j),
                d=0.3,
                D_deph=0.3,
                Jz=0.4,
                Jperp=0.3 * np.cos(0.7),
                D_dm=-0.3 * np.sin(0.7),
                Delta=1.2,
            ),
            0.7,
        ),
    ],
)
def test_dark_state_stays_put(params, phase):
    """System D: the dark (singlet-like) state is stationary for all t, including t = 1e6.

    With a complex A = e^{0.7i} the float inputs have |A|² − a² = 5.8e-17 (cos and sin are rounded), so
    the exact dynamics of *these* parameters moves the dark state by 2.3e-11 at t = 1e6; magbell follows
    the exact (mpmath) evolution there to 1e-15 instead of freezing a slow mode as stationary.
    """
    psi = S.dark_ket(phase)
    t = np.array([0.0, 0.5, 3.0, 10.0, 1e3, 1e6])
    got = states(Model(**params), psi, t)
    np.testing.assert_allclose(got, np.broadcast_to(S.proj(psi), got.shape), rtol=0, atol=ATOL if phase == 0 else 1e-10)
    if phase:
        with mpmath.workdps(30):
            Lq0 = S.mp_liouvillian_q0(**params)
            exact = S.mp_evolve_q0(Lq0, S.proj(psi), 1e6)
        np.testing.assert_allclose(got[-1], exact, rtol=0, atol=1e-15)


@pytest.mark.parametrize("spoiler", [dict(delta=0.3), dict(D_dm=0.3), dict(A=0.9), dict(a_tilde=0.2)])
def test_dark_state_is_fragile(spoiler):
    """Control for the test above: breaking any dark-state condition moves the singlet (so that test can fail)."""
    params = dict(a=1.0, A=1.0) | spoiler
    got = states(Model(**params), "singlet", [0.0, 5.0])
    assert np.max(np.abs(got[-1] - S.rho_of("singlet"))) > 1e-3


ZERO_T_CASES = [
    (1.0, 0.6, 0.3),  # overdamped
    (1.0, 1.0, 0.0),  # a = |A|, delta = 0: C -> 1/2
    (1.0, 0.6, 1.5),  # underdamped
    (1.0, 0.6, -0.3),  # negative asymmetry
    (0.7, 0.5 * np.exp(1.1j), 0.2),  # complex A
    (1.3, 0.9 * np.exp(-2.0j), 2.0),
    (1.0, 0.7, 0.7),  # critical
]


@pytest.mark.parametrize("a, A, delta", ZERO_T_CASES)
def test_zero_temperature_closed_form(a, A, delta):
    """System E (S61-S63, with the phase of A and continued to delta >= |A|): states and concurrence."""
    t = np.linspace(0, 8, 81)
    rho, conc = S.zero_temperature_ud(t, a=a, A=A, delta=delta)
    r = magbell.evolve(Model(a=a, A=A, delta=delta), "ud", t, store_states=True)
    np.testing.assert_allclose(r.states, rho, rtol=0, atol=ATOL)
    np.testing.assert_allclose(r.concurrence, conc, rtol=0, atol=ATOL)


@pytest.mark.parametrize("a, A, delta", ZERO_T_CASES)
def test_unified_closed_form_equals_printed_forms(a, A, delta):
    """Self-check of the README derivation: C = 2|A||S|sqrt(1+|A|^2 S^2)e^{-2at} equals S63 / the main-text
    underdamped form / 2|A|t sqrt(1+|A|^2 t^2) e^{-2at} at the critical point, in the respective regimes."""
    t = np.linspace(0, 8, 81)
    _, conc = S.zero_temperature_ud(t, a=a, A=A, delta=delta)
    np.testing.assert_allclose(conc, S.s63_concurrence(t, a=a, A=A, delta=abs(delta)), rtol=1e-12, atol=1e-15)


def test_critical_concurrence_is_not_the_asymptote():
    """At delta = |A|: C = 2|A| t sqrt(1 + |A|^2 t^2) e^{-2at}; the large-t asymptote 2|A|^2 t^2 e^{-2at}
    is *not* the concurrence (it misses C ~ 2|A|t at small t)."""
    a, A = 1.0, 0.7
    t = np.linspace(0, 4, 41)
    c = magbell.evolve(Model(a=a, A=A, delta=A), "ud", t).concurrence
    np.testing.assert_allclose(c, 2 * A * t * np.sqrt(1 + A * A * t * t) * np.exp(-2 * a * t), rtol=0, atol=ATOL)
    assert np.max(np.abs(c - 2 * A * A * t * t * np.exp(-2 * a * t))) > 0.1


def test_diagonal_dephasing(rng):
    """System F: only d, d2, complex D and a diagonal H: rho_ij(t) = rho_ij(0) e^{-i(E_i-E_j)t - Lambda_ij t}."""
    t = np.linspace(0, 3, 13)
    params = dict(delta=0.3, Delta=-0.7, Jz=0.5, d=0.4, d2=0.2, D_deph=0.1 + 0.15j)
    for _ in range(3):
        rho0 = S.random_density_matrix(rng)
        got = states(Model(a=0.0, **params), rho0, t)
        np.testing.assert_allclose(got, S.diagonal_dephasing(t, rho0, **params), rtol=0, atol=ATOL)


@pytest.mark.parametrize("d, D", [(0.3, 0.1), (0.3, -0.2 + 0.1j), (0.25, 0.25)])
def test_dephasing_bell_concurrence(d, D):
    """System F for Bell states: C(phi+) = e^{-(8d + 8 Re D)t}, C(psi-) = e^{-(8d - 8 Re D)t}."""
    t = np.linspace(0, 2, 11)
    m = Model(a=0.0, d=d, D_deph=D, Jz=0.3, delta=0.2, Delta=0.9)  # Delta rotates the phase of rho_03
    c = magbell.evolve(m, ["phi+", "psi-"], t).concurrence
    np.testing.assert_allclose(c[0], np.exp(-(8 * d + 8 * np.real(D)) * t), rtol=0, atol=ATOL)
    np.testing.assert_allclose(c[1], np.exp(-(8 * d - 8 * np.real(D)) * t), rtol=0, atol=ATOL)


# =============================================================================================
# The slow obvious reference: scipy.linalg.expm(L t) per time on vec(rho) (row-major)
# =============================================================================================


def _initial_states(rng):
    return {
        "ud": S.rho_of("ud"),
        "phi+": S.rho_of("phi+"),
        "random pure": S.proj(S.random_ket(rng)),
        "random mixed": S.random_density_matrix(rng),
        "rank 2": S.random_density_matrix(rng, rank=2),
    }


def test_against_scipy_expm_of_model_liouvillian(rng):
    """Random valid models (complex A, At, D, couplings, inhomogeneous rates), several initial states,
    irregular times: magbell.evolve == scipy.linalg.expm(model.liouvillian() t) vec(rho0)."""
    t = np.array([0.0, 0.013, 0.4, 1.0, 2.7, 6.0])
    for _ in range(6):
        p = S.random_params(rng)
        m = Model(**p)
        E = np.array([scipy_expm(m.liouvillian() * x) for x in t])
        E2 = np.array([scipy_expm(S.reference_liouvillian(**p) * x) for x in t])
        for name, rho0 in _initial_states(rng).items():
            ref = (E @ rho0.reshape(16)).reshape(-1, 4, 4)
            ref2 = (E2 @ rho0.reshape(16)).reshape(-1, 4, 4)
            got = states(m, rho0, t)
            np.testing.assert_allclose(got, ref, rtol=0, atol=ATOL, err_msg=f"{p} {name}")
            np.testing.assert_allclose(got, ref2, rtol=0, atol=ATOL, err_msg=f"{p} {name}")


def test_x_state_concurrence_path(rng):
    """X initial states stay X states (axial symmetry), and evolve then uses S52 on the block coordinates
    without building rho: compare with S52 and the 40-digit textbook Wootters on the reference states
    (complex |q| = 2 and |q| = 0 coherences: Delta and delta rotate them)."""
    t = np.array([0.0, 0.3, 1.1, 2.5])
    x0 = np.diag([0.3, 0.2, 0.1, 0.4]).astype(complex)
    x0[0, 3], x0[3, 0] = 0.25j, -0.25j
    x0[1, 2], x0[2, 1] = 0.1 - 0.05j, 0.1 + 0.05j
    for _ in range(4):
        p = S.random_params(rng)
        p["Delta"] = 1.3
        m = Model(**p)
        L = S.reference_liouvillian(**p)
        for rho0 in (S.rho_of("phi+"), S.rho_of("phi-"), x0):
            r = magbell.evolve(m, rho0, t)
            assert r.info["x_states"]
            ref = S.reference_evolve(L, rho0, t)
            np.testing.assert_allclose(r.concurrence, S.x_state_concurrence(ref), rtol=0, atol=ATOL)
            np.testing.assert_allclose(r.concurrence, [S.wootters_mp(x) for x in ref], rtol=0, atol=1e-10)


# =============================================================================================
# Exceptional line delta = |A|
# =============================================================================================

EP_CASES = [(1.0, 0.3), (1.0, 0.7), (1.0, 1.0), (1.0, 0.7 * np.exp(0.4j)), (2.0, 1.3)]


@pytest.mark.parametrize("a, A", EP_CASES)
@pytest.mark.parametrize("offset", [0.0, 1e-15, 1e-12, 1e-9, -1e-9, -1e-12])
def test_exceptional_line(a, A, offset):
    """At and within 1e-9 of the exceptional line the Liouvillian is (nearly) defective; magbell is exact."""
    delta = abs(A) + offset
    t = np.linspace(0, 6, 25)
    rho, conc = S.zero_temperature_ud(t, a=a, A=A, delta=delta)
    r = magbell.evolve(Model(a=a, A=A, delta=delta), "ud", t, store_states=True)
    assert np.max(np.abs(r.states - rho)) <= ATOL
    assert np.max(np.abs(r.concurrence - conc)) <= ATOL


@pytest.mark.parametrize("a, A", EP_CASES)
def test_eigendecomposition_fails_on_exceptional_line_but_magbell_does_not(a, A):
    """exp(L t) = V e^{wt} V^-1 from np.linalg.eig has an ill-conditioned V at the defective point: errors
    ~1e-7 (the issue measured 4e-6 for a batched version), against <= 1e-12 for magbell."""
    t = np.linspace(0, 5, 26)
    for delta in (abs(A), abs(A) + 1e-12):
        m = Model(a=a, A=A, delta=delta)
        rho, _ = S.zero_temperature_ud(t, a=a, A=A, delta=delta)
        eig_err = np.max(np.abs(S.eig_evolve(m.liouvillian(), S.rho_of("ud"), t) - rho))
        magbell_err = np.max(np.abs(states(m, "ud", t) - rho))
        assert eig_err > 1e-9, eig_err
        assert magbell_err <= ATOL


# =============================================================================================
# Long times: t * rate up to 1e6, against an mpmath reference
# =============================================================================================

LONG_MODELS = [
    dict(a=1.0, A=0.5, delta=0.3, a_tilde=0.2, A_tilde=0.1),
    dict(a=1.0, A=1.0),  # degenerate: |uu> and the singlet dark
    dict(a=1.0, A=1.0, a_tilde=0.1, A_tilde=0.1),  # degenerate at finite temperature
    dict(a=1.0, A=0.7j, delta=0.7),  # exceptional point
    dict(
        a=0.3,
        A=0.2 - 0.1j,
        a_tilde=0.1,
        A_tilde=0.05j,
        d=0.2,
        D_deph=0.1,
        Jperp=0.4,
        D_dm=0.3,
        Jz=0.5,
        delta=0.2,
        a2=0.5,
        a_tilde2=0.3,
        d2=0.1,
    ),
]
LONG_TIMES = np.array([0.0, 1.0, 10.0, 1e2, 1e3, 1e4, 1e5, 1e6])


@pytest.fixture(scope="module")
def mp30():
    with mpmath.workdps(30):
        yield


def test_mpmath_reference_is_self_consistent():
    """The mpmath reference at 30 digits agrees with 45 digits, and at t = 1e6 it is the exact Eq. (10) limit
    (entries 1/2, 1/4, -1/4 are exact binary numbers). A *float*-built generator would not do: it is trace
    preserving only to ~1e-17, so its exact exponential drifts like 1e-17 t; hence L is built in mpmath."""
    p = dict(a=1.0, A=1.0)
    outs = []
    for dps in (30, 45):
        with mpmath.workdps(dps):
            outs.append(S.mp_evolve_q0(S.mp_liouvillian_q0(**p), S.rho_of("ud"), 1e6))
    np.testing.assert_array_equal(outs[0], outs[1])
    eq10 = np.zeros((4, 4))
    eq10[0, 0] = 0.5
    eq10[1:3, 1:3] = [[0.25, -0.25], [-0.25, 0.25]]
    np.testing.assert_array_equal(outs[0], eq10)


@pytest.mark.parametrize("params", LONG_MODELS)
def test_long_times_against_mpmath(params, mp30):
    """t up to 1e6 (t * rate up to ~1e6): error <= 1e-12 — these models have no slow non-stationary mode,
    so the problem is well conditioned and magbell's deflated squaring keeps rounding at ~1e-15."""
    m = Model(**params)
    Lq = S.mp_liouvillian_q0(**params)
    props = [S.mp_propagator_q0(Lq, t) for t in LONG_TIMES]
    for init in ("ud", "dd", "singlet"):
        ref = np.array([S.mp_apply_q0(E, S.rho_of(init)) for E in props])
        np.testing.assert_allclose(states(m, init, LONG_TIMES), ref, rtol=0, atol=ATOL, err_msg=init)
        # the two-point and the uniform long grids of the issue
        np.testing.assert_allclose(states(m, init, [0.0, 1e6])[-1], ref[-1], rtol=0, atol=ATOL)
        np.testing.assert_allclose(states(m, init, np.linspace(0, 1e6, 11))[-1], ref[-1], rtol=0, atol=ATOL)


def test_long_times_non_x_states_reach_the_unique_limit(rng):
    """Initial states with |q| = 1, 2 weight: at t = 1e6 every state has reached the (unique) stationary
    state, which the mpmath test above has already pinned from |ud>."""
    p = LONG_MODELS[-1]
    m = Model(**p)
    with mpmath.workdps(30):
        ref = S.mp_evolve_q0(S.mp_liouvillian_q0(**p), S.rho_of("ud"), 1e6)
    inits = [S.rho_of("phi+"), S.random_density_matrix(rng), S.proj(S.random_ket(rng))]
    for grid in ([0.0, 1e6], np.linspace(0, 1e6, 11)):
        got = magbell.evolve(m, inits, grid, store_states=True).states[:, -1]
        np.testing.assert_allclose(got, np.broadcast_to(ref, got.shape), rtol=0, atol=ATOL)


def test_long_times_slow_mode_accurate_to_conditioning(mp30):
    """a - |A| = 1e-6 leaves a mode decaying at 2e-6, still alive at t = 1e6 (e^{-2}). The result is then
    ill-conditioned: a 1-ulp change of a alone moves rho(1e6) by ~6e-11. magbell's error must stay within a
    small multiple (4x) of that parameter sensitivity (i.e. be backward stable), measured here with mpmath."""
    p = dict(a=1.0, A=1 - 1e-6)
    t = np.array([1e3, 1e4, 1e5, 1e6])
    m = Model(**p)
    for init in ("ud", "singlet"):
        rho0 = S.rho_of(init)
        ref = np.array([S.mp_evolve_q0(S.mp_liouvillian_q0(**p), rho0, x) for x in t])
        bumped = dict(p, a=np.nextafter(1.0, 2.0))
        ref_b = np.array([S.mp_evolve_q0(S.mp_liouvillian_q0(**bumped), rho0, x) for x in t])
        sensitivity = np.abs(ref_b - ref).max(axis=(1, 2))
        err = np.abs(states(m, init, t) - ref).max(axis=(1, 2))
        assert np.all(err <= 4 * sensitivity + 1e-14), (err, sensitivity)


@pytest.mark.parametrize(
    "params, t",
    [
        (dict(a=1e-9, d=0.5), 100.0),  # t * ||L|| ~ 400: got populations (-0.21, 0.47, 0.47, 0.26)
        (dict(a=1e-10, d=1.0), 1e6),  # got p_dd = 1.0 instead of e^{-4e-4} = 0.99960
        (dict(a=1e-12, d=1.0), 1e3),  # got p_dd = 1.0 instead of 1 - 4e-9
    ],
)
def test_stiff_rates(params, t):
    """Stiff models: a decay rate far below 1e-9 ||L|| (relaxation 4a next to dephasing 8d).
    Regression (was a bug in dynamics._projector / kernel.py): the long-time deflation used a kernel decided
    by singular values below 1e-9 ||L||_1, so slow decaying modes were frozen (errors 4at) and at the
    threshold the result was not a state: evolve(Model(a=1e-9, d=0.5), "dd", [100.0]).populations was
    [-0.2065, 0.4710, 0.4710, 0.2645] instead of [4e-14, 2e-7, 2e-7, 0.9999996]. Reference: README system A,
    exact; the tolerance 50 eps ||L||_1 t is the conditioning of these stiff problems."""
    down = np.diag([0.0, 1.0]).astype(complex)  # single-qubit |d><d|
    rho = S.independent_qubits([t], down, down, **params)[0]
    m = Model(**params)
    tol = max(ATOL, 50 * EPS * np.abs(m.liouvillian()).sum(axis=0).max() * t)
    got = states(m, "dd", [t])[0]
    assert np.max(np.abs(got - rho)) <= tol


# =============================================================================================
# Time grids, storage, initial states, measures
# =============================================================================================


def test_uniform_nonuniform_unsorted_times_agree(rng):
    """The uniform-grid path (powers of exp(L dt)) and the direct path give the same states; unsorted and
    duplicated times are returned in the caller's order."""
    m = Model(**S.random_params(rng))
    rho0 = S.random_density_matrix(rng)
    uni = np.linspace(0, 7, 50)
    perm = rng.permutation(uni.size)
    nonuni = np.sort(np.concatenate([uni, [0.123, 3.3333]]))
    r_uni = magbell.evolve(m, rho0, uni, store_states=True)
    r_perm = magbell.evolve(m, rho0, uni[perm], store_states=True)
    r_non = magbell.evolve(m, rho0, nonuni, store_states=True)
    assert "uniform" in r_uni.info["propagation"] and "direct" in r_non.info["propagation"]
    np.testing.assert_allclose(r_perm.states, r_uni.states[perm], rtol=0, atol=1e-14)
    np.testing.assert_allclose(r_perm.concurrence, r_uni.concurrence[perm], rtol=0, atol=1e-14)
    idx = np.searchsorted(nonuni, uni)
    np.testing.assert_allclose(r_non.states[idx], r_uni.states, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(r_perm.times, uni[perm])
    # duplicates and single times
    dup = np.array([2.0, 0.5, 2.0, 0.0])
    r_dup = magbell.evolve(m, rho0, dup, store_states=True)
    np.testing.assert_allclose(r_dup.states[0], r_dup.states[2], rtol=0, atol=0)
    np.testing.assert_allclose(r_dup.states[3], rho0, rtol=0, atol=1e-15)
    single = magbell.evolve(m, rho0, 2.0, store_states=True)
    np.testing.assert_allclose(single.states[0], r_dup.states[0], rtol=0, atol=1e-14)


def test_uniform_grid_not_starting_at_zero(rng):
    m = Model(**S.random_params(rng))
    t = np.linspace(1.5, 4.5, 31)
    ref = S.reference_evolve(m.liouvillian(), S.rho_of("ud"), t)
    np.testing.assert_allclose(states(m, "ud", t), ref, rtol=0, atol=ATOL)


def test_store_states_does_not_change_measures(rng):
    m = Model(**S.random_params(rng))
    names = list(magbell.measures.MEASURES)
    t = np.linspace(0, 3, 21)
    for init in ("ud", "phi+", S.random_density_matrix(rng)):
        a = magbell.evolve(m, init, t, measures=names, store_states=True)
        b = magbell.evolve(m, init, t, measures=names)
        assert b.states is None and a.states.shape == (21, 4, 4)
        for k in names:
            np.testing.assert_array_equal(a.measures[k], b.measures[k], err_msg=k)


def test_initial_state_forms(rng):
    """Names, kets, density matrices and QuTiP Qobj (ket and operator) give the same evolution."""
    m = Model(**S.random_params(rng))
    t = np.linspace(0, 2, 5)
    ket = S.random_ket(rng)
    ref = S.reference_evolve(m.liouvillian(), S.proj(ket), t)
    for form in (
        ket,
        ket.reshape(4, 1),
        S.proj(ket),
        qutip.Qobj(ket.reshape(4, 1), dims=[[2, 2], [1, 1]]),
        qutip.Qobj(S.proj(ket), dims=[[2, 2], [2, 2]]),
    ):
        np.testing.assert_allclose(states(m, form, t), ref, rtol=0, atol=ATOL)
    for name in ("uu", "ud", "du", "dd", "singlet", "triplet0", "phi+", "phi-", "psi+", "psi-"):
        ref = S.reference_evolve(m.liouvillian(), S.rho_of(name), t)
        np.testing.assert_allclose(states(m, name, t), ref, rtol=0, atol=ATOL, err_msg=name)


def test_several_initial_states_equal_single_runs(rng):
    m = Model(**S.random_params(rng))
    t = np.linspace(0, 2, 7)
    inits = ["ud", S.random_density_matrix(rng), S.random_ket(rng), "phi-"]
    r = magbell.evolve(m, inits, t, store_states=True, measures=["concurrence", "populations", "purity"])
    assert r.states.shape == (4, 7, 4, 4) and r.concurrence.shape == (4, 7)
    for i, s in enumerate(inits):
        one = magbell.evolve(m, s, t, store_states=True, measures=["concurrence", "populations", "purity"])
        np.testing.assert_allclose(r.states[i], one.states, rtol=0, atol=1e-15)
        for k in ("concurrence", "populations", "purity"):
            np.testing.assert_allclose(r.measures[k][i], one.measures[k], rtol=0, atol=1e-15)


def _independent_measures(rho):
    """Each measure of one state from first principles (tests/systems.py, NumPy)."""
    pt = rho.reshape(2, 2, 2, 2).transpose(0, 3, 2, 1).reshape(4, 4)
    neg = -np.sum(np.minimum(np.linalg.eigvalsh((pt + pt.conj().T) / 2), 0))
    c = S.wootters_fidelity(rho)
    x = (1 + np.sqrt(1 - c * c)) / 2
    eof = -x * np.log2(x) - (1 - x) * np.log2(1 - x) if 0 < x < 1 else 0.0
    bells = [np.real(S.KETS[b].conj() @ rho @ S.KETS[b]) for b in ("phi+", "phi-", "psi+", "psi-")]
    return {
        "concurrence": c,
        "entanglement_of_formation": eof,
        "negativity": neg,
        "log_negativity": np.log2(2 * neg + 1),
        "purity": np.real(np.trace(rho @ rho)),
        "populations": np.real(np.diag(rho)),
        "bell_fidelities": np.array(bells),
    }


def test_all_measures_match_independent_formulas(rng):
    """Every measure name evolve accepts, on a trajectory with |q| = 1 coherences (non-X states)."""
    m = Model(**S.random_params(rng))
    names = list(magbell.measures.MEASURES)
    assert set(names) == {
        "concurrence",
        "entanglement_of_formation",
        "negativity",
        "log_negativity",
        "purity",
        "populations",
        "bell_fidelities",
    }
    t = np.linspace(0, 1.5, 4)
    rho0 = S.random_density_matrix(rng)  # full rank: the sqrtm-based reference is accurate there
    r = magbell.evolve(m, rho0, t, measures=names, store_states=True)
    for k, rho in enumerate(r.states):
        ref = _independent_measures(rho)
        for name in names:
            # Wootters via sqrtm is accurate to ~1e-12 on these full-rank states
            np.testing.assert_allclose(r.measures[name][k], ref[name], rtol=0, atol=1e-10, err_msg=name)


def test_entangled_trajectory_measures(rng):
    """Same on the paper's entangling trajectory (X states, C up to 0.5) so that C, EoF, N are non-zero."""
    names = list(magbell.measures.MEASURES)
    t = np.linspace(0.5, 6, 6)
    r = magbell.evolve(
        Model(a=1.0, A=0.95, delta=0.1, a_tilde=0.02, A_tilde=0.019), "ud", t, measures=names, store_states=True
    )
    assert np.all(r.concurrence > 0.05)
    for k, rho in enumerate(r.states):
        ref = _independent_measures(rho)
        for name in names:
            np.testing.assert_allclose(r.measures[name][k], ref[name], rtol=0, atol=1e-10, err_msg=name)


def test_result_records_method_and_getattr():
    r = magbell.evolve(Model(a=1.0, A=0.5), "ud", np.linspace(0, 1, 5))
    assert "exp(L t)" in r.info["method"] and r.info["x_states"] is True
    np.testing.assert_array_equal(r.concurrence, r.measures["concurrence"])
    with pytest.raises(AttributeError, match="negativity"):
        r.negativity


# =============================================================================================
# Bad input
# =============================================================================================

M0 = Model(a=1.0, A=0.5)


@pytest.mark.parametrize(
    "times, pattern",
    [
        ([-1.0, 1.0], r"times must be >= 0"),
        ([0.0, np.nan], r"times must be finite"),
        ([0.0, np.inf], r"times must be finite"),
        ([], r"times is empty"),
        ([[0.0, 1.0], [2.0, 3.0]], r"times must be a 1-D array"),
        ("abc", r"times must be an array of numbers"),
    ],
)
def test_bad_times(times, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        magbell.evolve(M0, "ud", times)


def test_bad_measure():
    with pytest.raises(InvalidParameterError, match=r"unknown measure.*'fidelity'.*known: concurrence"):
        magbell.evolve(M0, "ud", [0, 1.0], measures=["concurrence", "fidelity"])


def test_bad_model():
    with pytest.raises(InvalidParameterError, match="model must be a magbell.Model"):
        magbell.evolve({"a": 1.0}, "ud", [0, 1.0])


_NON_HERMITIAN = np.eye(4, dtype=complex) / 4
_NON_HERMITIAN[0, 1] = 0.1


@pytest.mark.parametrize(
    "initial, pattern",
    [
        ("xx", r"unknown initial state 'xx'; known names: uu"),
        (_NON_HERMITIAN, r"initial density matrix is not Hermitian"),
        (np.eye(4) / 2, r"initial density matrix must have trace 1"),
        (np.diag([1.5, -0.5, 0.0, 0.0]), r"initial density matrix is not positive semidefinite"),
        (np.eye(3) / 3, r"initial state must be a length-4 ket or a 4×4 density matrix.*\(3, 3\)"),
        (np.full(4, 0.55), r"initial ket must be normalised"),
        (np.full((4, 4), np.nan), r"initial state contains NaN"),
        ([], r"initial is an empty list"),
        (None, r"initial state must be a name"),
        (["ud", "nope"], r"unknown initial state 'nope'"),
    ],
)
def test_bad_initial_state(initial, pattern):
    with pytest.raises(InvalidStateError, match=pattern):
        magbell.evolve(M0, initial, [0, 1.0])


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        magbell.evolve(M0, "ud", [-1.0])
    with pytest.raises(ValueError):
        magbell.evolve(M0, "nope", [1.0])
