"""Tests of magbell.closed_forms against exact numerics (and of the errata in docs/errata.md).

Two exact references are used:

1. An independent, deliberately slow and obvious reference defined in this file: the 16×16
   Liouvillian built from the jump operators of Eq. (5) (phases included) with row-major
   vectorisation vec(AρB) = (A ⊗ Bᵀ) vec(ρ), propagated with scipy.linalg.expm(L t) separately for
   every time. It imports nothing from magbell. It is itself cross-checked against (a) the h-matrix
   form Eqs. (3)–(4) built independently here, and (b) QuTiP's mesolve.
2. The package's own exact solver ``magbell.evolve`` / ``magbell.steady_state`` (tests in the last
   section; skipped while those are not importable).

Tolerances (all absolute unless stated):

* ``ATOL_RHO = 1e-10`` for density-matrix elements and for concurrences computed as 2|ρ12| (S52).
  Both the closed forms (series/elementary functions, relative error ~1e-15) and expm (scaled
  Padé, backward error ~1e-15·‖L t‖ with ‖L t‖ ≲ 10³ here) are accurate to ≲1e-12; 1e-10 leaves two
  decades of head room while still being ~6 orders below any of the discrepancies (errata) tested.
* ``ATOL_WOOTTERS = 1e-7`` whenever Wootters' formula (eigenvalues of ρ ρ̃) is evaluated on a
  *numerical* state: the T = 0 states have rank ≤ 3, so ρρ̃ has exact zero eigenvalues, and a
  rounding perturbation ε ~ 1e-16 of those turns into √ε ~ 1e-8 in the λ_i.
* At T = 0 from |↑↓> the exact ρ33 and ρ03 vanish; numerically they are ~1e-17, and S52's
  √(ρ00ρ33) would turn that into ~3e-9. Such states' concurrence is therefore taken as 2|ρ12|
  (``conc_T0``, which asserts ρ33, ρ03 < 1e-13), and S52 literally is compared with ATOL_WOOTTERS.
* Long-time limits use times where the slowest decaying mode is below e^{−40}; tolerances 1e-9.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.linalg import expm, null_space

from magbell.paper import closed_forms as cf

ATOL_RHO = 1e-10
ATOL_WOOTTERS = 1e-7

# ==============================================================================================
# Independent reference (no magbell imports)
# ==============================================================================================

_I2 = np.eye(2, dtype=complex)
_SX = np.array([[0, 1], [1, 0]], dtype=complex)
_SY = np.array([[0, -1j], [1j, 0]], dtype=complex)
_SZ = np.array([[1, 0], [0, -1]], dtype=complex)
_SP = (_SX + 1j * _SY) / 2  # σ+ = |↑><↓|
_SM = (_SX - 1j * _SY) / 2
S1P, S2P = np.kron(_SP, _I2), np.kron(_I2, _SP)
S1M, S2M = np.kron(_SM, _I2), np.kron(_I2, _SM)
S1Z, S2Z = np.kron(_SZ, _I2), np.kron(_I2, _SZ)
S1X, S2X = np.kron(_SX, _I2), np.kron(_I2, _SX)
S1Y, S2Y = np.kron(_SY, _I2), np.kron(_I2, _SY)
I4 = np.eye(4, dtype=complex)
KET = {
    "uu": np.array([1, 0, 0, 0], dtype=complex),
    "ud": np.array([0, 1, 0, 0], dtype=complex),
    "du": np.array([0, 0, 1, 0], dtype=complex),
    "dd": np.array([0, 0, 0, 1], dtype=complex),
}
RHO_UD = np.outer(KET["ud"], KET["ud"].conj())
SINGLET = (KET["ud"] - KET["du"]) / np.sqrt(2)


def ref_hamiltonian(delta, Delta=0.0):
    """H_S = −(Δ1σ1z + Δ2σ2z)/2, Δ1,2 = Δ ± δ."""
    return -((Delta + delta) * S1Z + (Delta - delta) * S2Z) / 2


def ref_jumps(a, A, a_tilde=0.0, A_tilde=0.0):
    """J1..J4 of Eq. (5) with phases: J3,4 ∝ σ1+ ± e^{iφ}σ2+, J1,2 ∝ σ1− ± e^{−iφ̃}σ2−."""
    p, pt = np.exp(1j * np.angle(A)), np.exp(1j * np.angle(A_tilde))
    rates = [a_tilde + abs(A_tilde), a_tilde - abs(A_tilde), a + abs(A), a - abs(A)]
    ops = [S1M + np.conj(pt) * S2M, S1M - np.conj(pt) * S2M, S1P + p * S2P, S1P - p * S2P]
    return [np.sqrt(max(r, 0.0) / 2) * o for r, o in zip(rates, ops)]


def ref_liouvillian_from_jumps(H, jumps):
    """Generator of dρ/dt = −i[H,ρ] − Σ (J†Jρ + ρJ†J − 2JρJ†), row-major: vec(AρB) = (A⊗Bᵀ)vec ρ."""
    L = -1j * (np.kron(H, I4) - np.kron(I4, H.T))
    for J in jumps:
        JJ = J.conj().T @ J
        L -= np.kron(JJ, I4) + np.kron(I4, JJ.T) - 2 * np.kron(J, J.conj())
    return L


def ref_liouvillian_from_h(H, h):
    """Generator with the h-matrix form Eq. (3): −Σ_nm h_nm (O_m†O_n ρ + ρO_m†O_n − 2 O_n ρ O_m†)."""
    O = [S1M, S2M, S1P, S2P, S1Z, S2Z]
    L = -1j * (np.kron(H, I4) - np.kron(I4, H.T))
    for n in range(6):
        for m in range(6):
            if h[n, m] == 0:
                continue
            P = O[m].conj().T @ O[n]
            L -= h[n, m] * (np.kron(P, I4) + np.kron(I4, P.T) - 2 * np.kron(O[n], O[m].conj()))
    return L


def ref_h(a, A, a_tilde=0.0, A_tilde=0.0):
    """Eq. (4) written out independently (dephasing block zero)."""
    h = np.zeros((6, 6), dtype=complex)
    h[0, 0] = h[1, 1] = a_tilde
    h[0, 1], h[1, 0] = A_tilde, np.conj(A_tilde)
    h[2, 2] = h[3, 3] = a
    h[2, 3], h[3, 2] = np.conj(A), A
    return h


def ref_L(a, A, delta, Delta=0.0, a_tilde=0.0, A_tilde=0.0, H_extra=None):
    H = ref_hamiltonian(delta, Delta)
    if H_extra is not None:
        H = H + H_extra
    return ref_liouvillian_from_jumps(H, ref_jumps(a, A, a_tilde, A_tilde))


def ref_evolve(L, rho0, times):
    """ρ(t) = unvec(expm(L t) vec ρ0), one expm per time (slow and obvious)."""
    v0 = np.asarray(rho0, dtype=complex).reshape(-1)
    return np.array([(expm(L * t) @ v0).reshape(4, 4) for t in np.atleast_1d(times)])


_YY = np.kron(_SY, _SY)


def ref_wootters(rho):
    ev = np.linalg.eigvals(rho @ _YY @ rho.conj() @ _YY)
    lam = np.sort(np.sqrt(np.clip(ev.real, 0, None)))[::-1]
    return max(0.0, lam[0] - lam[1] - lam[2] - lam[3])


def random_density_matrix(rng, rank=4):
    M = rng.normal(size=(4, rank)) + 1j * rng.normal(size=(4, rank))
    rho = M @ M.conj().T
    return rho / np.trace(rho).real


def conc_T0(rho):
    """Concurrence of a numerical state from |↑↓> at T = 0: S52 with ρ33 = ρ03 = 0 gives 2|ρ12|.

    ρ33 and ρ03 vanish exactly in exact arithmetic (asserted to rounding here). Using 2|ρ12| rather than
    S52 literally avoids the √(ρ00ρ33) term, which turns a rounding-level ρ33 ~ 1e-17 into ~3e-9.
    """
    rho = np.asarray(rho)
    assert np.max(np.abs(rho[..., 3, 3])) < 1e-13 and np.max(np.abs(rho[..., 0, 3])) < 1e-13
    return 2 * np.abs(rho[..., 1, 2])


# ==============================================================================================
# Parameter grids
# ==============================================================================================

A_VALUES = [0.3, 0.8, 1.0]  # |A| with a = 1


def _delta_grid(absA):
    """δ in all regimes, exactly critical, and within 1e-9 (and 1e-6) of critical on both sides."""
    return [0.0, 0.5 * absA, absA - 1e-6, absA - 1e-9, absA, absA + 1e-9, absA + 1e-6, 1.5 * absA, 3.0 * absA]


ZERO_T_CASES = [(1.0, absA, d) for absA in A_VALUES for d in _delta_grid(absA)]


def _times_for(a, absA, delta, n=40, max_lifetimes=5.0, cap=60.0):
    tau = float(cf.entanglement_lifetime(a, absA, delta))
    t_end = min(max_lifetimes * tau, cap) if np.isfinite(tau) else cap
    t_end = max(t_end, 3.0)
    return np.linspace(0.0, t_end, n)


# ==============================================================================================
# 0. The reference itself
# ==============================================================================================


@pytest.mark.parametrize(
    "a,A,at,At,delta,Delta",
    [
        (1.0, 0.8, 0.0, 0.0, 0.3, 0.0),
        (1.0, 0.8 * np.exp(0.7j), 0.2, 0.1 * np.exp(-1.1j), 0.3, 2.0),
        (2.0, 2.0j, 0.5, 0.5 * np.exp(2.0j), 0.0, 1.0),
        (0.7, -0.2, 0.3, 0.0, -0.4, 0.5),
    ],
)
def test_jump_form_eq5_equals_h_form_eq3_eq4(a, A, at, At, delta, Delta):
    """Eq. (5) with J3 ∝ σ1+ + e^{iφ}σ2+, J1 ∝ σ1− + e^{−iφ̃}σ2− reproduces Eq. (3) with h of Eq. (4)."""
    H = ref_hamiltonian(delta, Delta)
    L_j = ref_liouvillian_from_jumps(H, ref_jumps(a, A, at, At))
    L_h = ref_liouvillian_from_h(H, ref_h(a, A, at, At))
    assert np.allclose(L_j, L_h, atol=1e-14)
    # the module's h_matrix / jump_operators agree with the independent ones
    assert np.allclose(cf.h_matrix(a, A, at, At), ref_h(a, A, at, At), atol=0)
    L_cf = ref_liouvillian_from_jumps(H, list(cf.jump_operators(a, A, at, At)))
    assert np.allclose(L_cf, L_h, atol=1e-14)
    # eigenvalues of h's relaxation blocks are the rates of Eq. (5)
    ev = np.sort(np.linalg.eigvalsh(cf.h_matrix(a, A, at, At))[2:])
    assert np.allclose(ev, np.sort(cf.jump_rates(a, A, at, At)), atol=1e-14)


def test_S35_printed_block_is_not_hermitian_for_complex_A():
    """Erratum 5: S35 prints the σ+ block as [[a, A], [A, a]]; for complex A that h is not Hermitian and
    the resulting generator does not preserve Hermiticity. Eq. (4) ([[a, A*], [A, a]]) is right."""
    a, A = 1.0, 0.6 * np.exp(0.9j)
    h_printed = ref_h(a, A)
    h_printed[2, 3] = A
    assert not np.allclose(h_printed, h_printed.conj().T)
    L = ref_liouvillian_from_h(ref_hamiltonian(0.2), h_printed)
    rho = ref_evolve(L, RHO_UD, [0.7])[0]
    assert np.max(np.abs(rho - rho.conj().T)) > 1e-2
    # with Eq. (4) the generator is a proper Lindbladian: ρ stays Hermitian, trace one, positive
    rho = ref_evolve(ref_L(a, A, 0.2), RHO_UD, [0.7])[0]
    assert np.allclose(rho, rho.conj().T, atol=1e-14)
    assert abs(np.trace(rho) - 1) < 1e-14 and np.linalg.eigvalsh(rho).min() > -1e-14


def test_reference_matches_qutip_mesolve():
    """Third, independent check of the reference: QuTiP (collapse operators √2 J, as D_J has factor 2)."""
    qutip = pytest.importorskip("qutip")
    a, A, at, At, delta, Delta = 1.0, 0.8 * np.exp(0.4j), 0.2, 0.1 * np.exp(0.4j), 0.3, 0.7
    H = ref_hamiltonian(delta, Delta)
    jumps = ref_jumps(a, A, at, At)
    times = np.linspace(0, 3, 7)
    dims = [[2, 2], [2, 2]]
    res = qutip.mesolve(
        qutip.Qobj(H, dims=dims),
        qutip.Qobj(RHO_UD, dims=dims),
        times,
        [qutip.Qobj(np.sqrt(2) * J, dims=dims) for J in jumps],
        options={"atol": 1e-12, "rtol": 1e-10},
    )
    ours = ref_evolve(ref_liouvillian_from_jumps(H, jumps), RHO_UD, times)
    for r_q, r_o in zip(res.states, ours):
        assert np.allclose(r_q.full(), r_o, atol=1e-8)  # ODE solver tolerance, not ours


# ==============================================================================================
# 1. Equations of motion S54 (6×6) and S55–S58
# ==============================================================================================

_EOM_IDX = [(0, 0), (1, 1), (2, 2), (3, 3), (1, 2), (2, 1)]
_EOM_FLAT = [4 * i + j for i, j in _EOM_IDX]


def _projected_generator(L):
    """The 6×6 block of the exact Liouvillian on (ρ00, ρ11, ρ22, ρ33, ρ12, ρ21), and the largest
    entry coupling these six elements to any other element (must be 0: the set is closed)."""
    rows = np.array(_EOM_FLAT)
    others = np.setdiff1d(np.arange(16), rows)
    return L[np.ix_(rows, rows)], np.max(np.abs(L[np.ix_(rows, others)]))


EOM_CASES = [
    # a, A, delta, Delta, a_tilde, A_tilde   (real and non-negative: the paper's gauge)
    (1.0, 0.8, 0.3, 0.0, 0.0, 0.0),
    (1.0, 0.8, 0.3, 1.7, 0.25, 0.15),
    (30.0, 30.0, 0.0, 5.0, 3.0, 3.0),
    (1.3, 0.2, -0.7, 0.4, 0.9, 0.6),
    (1.0, 0.0, 0.5, 0.0, 0.5, 0.0),
]


@pytest.mark.parametrize("line", range(6))
@pytest.mark.parametrize("case", EOM_CASES)
def test_S54_each_line_matches_exact_liouvillian(case, line):
    """Erratum check 6: every line of S54 as printed (real gauge, Γ = |A| + |Ã|) is exact, finite T included,
    and the six elements form a closed set."""
    a, A, delta, Delta, at, At = case
    M_exact, leak = _projected_generator(ref_L(a, A, delta, Delta, at, At))
    assert leak == 0.0
    M_printed = cf.eom_generator_S54(a, A, delta, at, At)
    assert np.allclose(M_printed[line], M_exact[line], atol=1e-13), cf.EOM_LABELS[line]


@pytest.mark.parametrize(
    "a,A,delta,Delta,at,At",
    [
        (1.0, 0.8 * np.exp(0.7j), 0.3, 1.0, 0.2, 0.1 * np.exp(0.7j)),  # common phase (detailed balance)
        (1.0, 0.8 * np.exp(0.7j), 0.3, 1.0, 0.2, 0.1 * np.exp(-2.0j)),  # different phases
        (2.0, -1.5, 0.0, 0.0, 0.4, 0.3j),
    ],
)
def test_eom_generator_complex_couplings(a, A, delta, Delta, at, At):
    """The general 6×6 generator (complex A, Ã) equals the exact projected Liouvillian. With different
    phases of A and Ã the combination entering ρ̇11, ρ̇22, ρ̇12 is A + Ã, whose modulus is not Γ = |A| + |Ã|:
    S54's Γ presupposes a common gauge, arg A = arg Ã."""
    M_exact, leak = _projected_generator(ref_L(a, A, delta, Delta, at, At))
    assert leak == 0.0
    assert np.allclose(cf.eom_generator(a, A, delta, at, At), M_exact, atol=1e-13)
    same_phase = np.isclose(abs(A + At), abs(A) + abs(At))
    # printed S54 after the gauge transformation ρ12 → e^{iφ}ρ12 works iff the phases agree
    phi = np.angle(A)
    U = np.diag([1, 1, 1, 1, np.exp(1j * phi), np.exp(-1j * phi)])
    M_gauged = U @ M_exact @ np.linalg.inv(U)
    assert np.allclose(cf.eom_generator_S54(a, A, delta, at, At), M_gauged, atol=1e-13) == bool(same_phase)


def test_eom_generator_propagates_like_reference():
    a, A, delta, Delta, at, At = 1.0, 0.9 * np.exp(0.3j), 0.4, 1.2, 0.3, 0.2 * np.exp(0.3j)
    rng = np.random.default_rng(1)
    rho0 = random_density_matrix(rng)
    L = ref_L(a, A, delta, Delta, at, At)
    M = cf.eom_generator(a, A, delta, at, At)
    for t in (0.0, 0.3, 2.0, 7.0):
        rho_ref = ref_evolve(L, rho0, [t])[0]
        v = expm(M * t) @ cf.rho_to_eom_vector(rho0)
        assert np.allclose(v, cf.rho_to_eom_vector(rho_ref), atol=1e-12)
    assert np.allclose(cf.eom_vector_to_rho(cf.rho_to_eom_vector(RHO_UD)), RHO_UD)


@pytest.mark.parametrize("a,absA,delta", ZERO_T_CASES)
def test_eq8_holds_for_x_equal_Re_rho12_not_Re_rho11(a, absA, delta):
    """Eq. (8)/S60: ẍ + 4aẋ + 4(δ² + a² − |A|²)x = 0 holds for x = Re ρ12 (main text, S58), not for
    x = Re ρ11 = Re<↑↓|ρ|↑↓> as S55 defines it (erratum 4). Derivatives from the exact generator:
    v̇ = Mv, v̈ = M²v, evaluated on the closed-form ρ(t)."""
    M = cf.eom_generator(a, absA, delta)
    t = _times_for(a, absA, delta, n=25)
    v = cf.rho_to_eom_vector(cf.zero_temperature_rho(t, a, absA, delta))  # (n, 6)
    vd = v @ M.T
    vdd = vd @ M.T
    k = 4 * (delta**2 + a**2 - absA**2)

    def residual(idx):
        return vdd[:, idx].real + 4 * a * vd[:, idx].real + k * v[:, idx].real

    assert np.max(np.abs(residual(4))) < 1e-12
    if absA > 0:
        assert np.max(np.abs(residual(1))) > 1e-3  # Re<↑↓|ρ|↑↓> does not obey Eq. (8)


def test_S56_S57_S58_identities():
    a, absA, delta = 1.0, 0.8, 0.3
    t = np.linspace(0, 6, 31)
    rho = ref_evolve(ref_L(a, absA, delta), RHO_UD, t)
    assert np.allclose(rho[:, 3, 3], 0, atol=1e-14)  # ρ33 ≡ 0
    assert np.allclose(rho[:, 1, 1] - rho[:, 2, 2], np.exp(-2 * a * t), atol=1e-12)  # S56
    assert np.allclose(rho[:, 0, 0], 1 - 2 * rho[:, 2, 2] - np.exp(-2 * a * t), atol=1e-12)  # S57
    # S58 right-hand sides equal the exact time derivatives (from the generator)
    M = cf.eom_generator(a, absA, delta)
    vd = cf.rho_to_eom_vector(rho) @ M.T
    x, y, h = rho[:, 1, 2].real, rho[:, 1, 2].imag, rho[:, 2, 2].real
    assert np.allclose(vd[:, 2].real, -2 * a * h - 2 * absA * x, atol=1e-12)
    assert np.allclose(vd[:, 4].real, -2 * delta * y - 2 * a * x - 2 * absA * h - absA * np.exp(-2 * a * t), atol=1e-12)
    assert np.allclose(vd[:, 4].imag, 2 * delta * x - 2 * a * y, atol=1e-12)


# ==============================================================================================
# 2. Eq. (9): frequencies and regimes
# ==============================================================================================


@pytest.mark.parametrize("a,absA,delta", [c for c in ZERO_T_CASES if abs(abs(c[2]) - c[1]) > 1e-3])
def test_characteristic_frequencies(a, absA, delta):
    """−iω± are the roots of λ² + 4aλ + 4(δ² + a² − |A|²) (Eq. 8) and eigenvalues of the exact Liouvillian."""
    f = cf.characteristic_frequencies(a, absA, delta)
    for w in (f.omega_plus, f.omega_minus):
        lam = -1j * w
        assert abs(lam**2 + 4 * a * lam + 4 * (delta**2 + a**2 - absA**2)) < 1e-12
        ev = np.linalg.eigvals(ref_L(a, absA, delta))
        assert np.min(np.abs(ev - lam)) < 1e-10
    assert np.isclose(f.omega_plus - f.omega_minus, 4 * f.omega0)
    # principal branches: ω0 = iκ0 overdamped, κ0 = iω0 underdamped
    if abs(delta) < absA:
        assert np.isclose(f.omega0, 1j * f.kappa0) and f.kappa0.real > 0
        assert np.isclose(f.omega_plus, -2j * (a - f.kappa0.real))  # main text's labels are swapped
    else:
        assert np.isclose(f.kappa0, 1j * f.omega0) and f.omega0.real > 0


def test_regime_classification():
    A = 0.8
    d = np.array([0.0, 0.3, A - 1e-12, A, A + 1e-12, 2.0, -A, -2.0])
    r = cf.regime(A, d)
    assert list(r) == ["overdamped", "overdamped", "overdamped", "critical", "underdamped", "underdamped",
                       "critical", "underdamped"]
    assert list(cf.regime(A, d, rtol=1e-9))[2:5] == ["critical"] * 3
    assert cf.exceptional_point_detuning(0.8j) == pytest.approx(0.8)


# ==============================================================================================
# 3. Zero-temperature solution S61/S62 and concurrence S63 in all regimes
# ==============================================================================================


@pytest.mark.parametrize("phase", [0.0, 1.1])
@pytest.mark.parametrize("a,absA,delta", ZERO_T_CASES)
def test_zero_temperature_rho_matches_exact(a, absA, delta, phase):
    """S62 (continued through all regimes) against expm, including δ = |A| exactly and ±1e-9, ±1e-6."""
    A = absA * np.exp(1j * phase)
    t = _times_for(a, absA, delta)
    rho_ref = ref_evolve(ref_L(a, A, delta, Delta=0.37), RHO_UD, t)
    rho_cf = cf.zero_temperature_rho(t, a, A, delta)
    assert np.max(np.abs(rho_cf - rho_ref)) < ATOL_RHO
    C_cf = cf.concurrence_zero_temperature(t, a, A, delta)
    assert np.max(np.abs(C_cf - conc_T0(rho_ref))) < ATOL_RHO
    assert np.max(np.abs(C_cf - cf.x_state_concurrence(rho_ref))) < ATOL_WOOTTERS  # S52 literally
    C_w = np.array([ref_wootters(r) for r in rho_ref])
    assert np.max(np.abs(C_cf - C_w)) < ATOL_WOOTTERS


def test_zero_temperature_xyh_printed_S61_overdamped():
    """S61 as printed (overdamped) equals the regime-independent implementation."""
    a, absA, delta = 1.0, 0.8, 0.3
    k = np.sqrt(absA**2 - delta**2)
    t = np.linspace(0, 8, 50)
    sol = cf.zero_temperature_xyh(t, a, absA, delta)
    e = np.exp(-2 * a * t)
    assert np.allclose(sol.x, -absA / (2 * k) * np.sinh(2 * k * t) * e, atol=1e-14)
    assert np.allclose(sol.y, -absA * delta * e / k**2 * np.sinh(k * t) ** 2, atol=1e-14)
    assert np.allclose(sol.h, absA**2 * e / k**2 * np.sinh(k * t) ** 2, atol=1e-14)
    rho = cf.zero_temperature_rho(t, a, absA, delta)  # S62 printed entries
    assert np.allclose(rho[:, 0, 0], 1 - (absA**2 * np.cosh(2 * k * t) - delta**2) / k**2 * e, atol=1e-13)
    assert np.allclose(rho[:, 1, 1], (absA**2 * np.cosh(k * t) ** 2 - delta**2) / k**2 * e, atol=1e-13)


@given(
    a=st.floats(0.05, 20.0, allow_subnormal=False),
    ratio=st.floats(0.0, 1.0, allow_subnormal=False),
    # δ = delta_rel·1e-3·a must stay a normal float (scipy's expm reference overflows on subnormals)
    delta_rel=st.one_of(st.just(0.0), st.floats(1e-12, 4.0)),
    phase=st.floats(-math.pi, math.pi, allow_subnormal=False),
    t_rel=st.floats(0.0, 6.0, allow_subnormal=False),
)
@settings(max_examples=150, deadline=None, derandomize=True)
def test_zero_temperature_random(a, ratio, delta_rel, phase, t_rel):
    """Random points; δ/|A| ∈ [0, 4] covers all regimes; t up to 6 lifetimes (capped at 40/a).
    Subnormal floats are excluded: scipy.linalg.expm overflows internally on subnormal matrix entries
    (a reference-side artefact; the closed forms themselves are fine there)."""
    absA = ratio * a
    delta = delta_rel * max(absA, 1e-3 * a)
    tau = float(cf.entanglement_lifetime(a, absA, delta))
    t = t_rel * min(tau, 40.0 / a / 6)
    A = absA * np.exp(1j * phase)
    rho_ref = ref_evolve(ref_L(a, A, delta), RHO_UD, [t])[0]
    assert np.max(np.abs(cf.zero_temperature_rho(t, a, A, delta) - rho_ref)) < ATOL_RHO
    assert abs(cf.concurrence_zero_temperature(t, a, A, delta) - conc_T0(rho_ref)) < ATOL_RHO


@pytest.mark.parametrize("absA", A_VALUES)
def test_printed_regime_forms_of_concurrence(absA):
    """Main-text underdamped and overdamped (= S63 rhs) forms equal exact numerics in their regimes."""
    a = 1.0
    for delta in (1.5 * absA, 3 * absA):
        t = _times_for(a, absA, delta)
        C_ref = conc_T0(ref_evolve(ref_L(a, absA, delta), RHO_UD, t))
        assert np.max(np.abs(cf.concurrence_underdamped(t, a, absA, delta) - C_ref)) < ATOL_RHO
        assert np.all(np.isnan(cf.concurrence_overdamped(t, a, absA, delta)))
    for delta in (0.0, 0.5 * absA):
        t = _times_for(a, absA, delta)
        C_ref = conc_T0(ref_evolve(ref_L(a, absA, delta), RHO_UD, t))
        assert np.max(np.abs(cf.concurrence_overdamped(t, a, absA, delta) - C_ref)) < ATOL_RHO
        assert np.all(np.isnan(cf.concurrence_underdamped(t, a, absA, delta)))


@pytest.mark.parametrize("absA", A_VALUES)
def test_critical_point_concurrence(absA):
    """Erratum 1: at δ = |A|, C(t) = 2|A| t e^{−2at} sqrt(1 + |A|²t²) exactly. It is neither ∝ t e^{−2at}
    (main text, Fig. 2 caption) nor ∝ t² e^{−2at} (the naive κ0 → 0 limit keeping only y): the ratio to
    either varies by a large factor over a few lifetimes. Also the κ0 → 0 limit is continuous."""
    a = 1.0
    t = np.linspace(0.0, 6.0, 61)
    C_ref = conc_T0(ref_evolve(ref_L(a, absA, absA), RHO_UD, t))
    C_crit = cf.concurrence_critical(t, a, absA)
    assert np.max(np.abs(C_crit - C_ref)) < ATOL_RHO
    # continuity through the critical point
    for eps in (1e-9, -1e-9, 1e-6, -1e-6):
        C_near = cf.concurrence_zero_temperature(t, a, absA, absA + eps)
        assert np.max(np.abs(C_near - C_crit)) < 50 * abs(eps)
    tt = t[1:]
    ratio_t = C_ref[1:] / (tt * np.exp(-2 * a * tt))
    ratio_t2 = C_ref[1:] / (tt**2 * np.exp(-2 * a * tt))
    assert ratio_t.max() / ratio_t.min() > 1.5  # not ∝ t e^{−2at}
    assert ratio_t2.max() / ratio_t2.min() > 1.5  # not ∝ t² e^{−2at} either
    # ... but those are the correct short- and long-time asymptotes
    assert np.isclose(ratio_t[0], 2 * absA, rtol=absA**2 * tt[0] ** 2)
    assert np.isclose(cf.concurrence_critical(1e4, 0.0, absA) / 1e8, 2 * absA**2, rtol=1e-7)


@pytest.mark.parametrize("a,absA,delta", [(1.0, 0.8, 0.3), (1.0, 0.3, 0.1), (2.0, 1.0, 0.5)])
def test_S63_printed_x_plus_y_is_wrong(a, absA, delta):
    """Erratum 3: S63's '2|x(t) + y(t)|' disagrees with exact numerics when δ ≠ 0; 2|x + iy| is right.
    (At δ = 0, y ≡ 0 and the two coincide.)"""
    t = np.linspace(0.05, 3.0, 30)
    C_ref = conc_T0(ref_evolve(ref_L(a, absA, delta), RHO_UD, t))
    assert np.max(np.abs(cf.concurrence_S63_printed(t, a, absA, delta) - C_ref)) > 1e-3
    assert np.max(np.abs(cf.concurrence_zero_temperature(t, a, absA, delta) - C_ref)) < ATOL_RHO
    assert np.allclose(cf.concurrence_S63_printed(t, a, absA, 0.0), cf.concurrence_zero_temperature(t, a, absA, 0.0))


def test_transient_entanglement_grows_as_delta_decreases():
    """Main text: critical point gives larger transient entanglement than underdamped, overdamped larger
    still (checked on max_t C(t) for a = |A| = 1 along δ = 3, 2, 1, 0.3, 0: Fig. 2)."""
    t = np.linspace(0, 20, 20001)
    peaks = [cf.concurrence_zero_temperature(t, 1.0, 1.0, d).max() for d in (3.0, 2.0, 1.0, 0.3, 0.0)]
    assert np.all(np.diff(peaks) > 0)


def test_zero_temperature_no_overflow_long_times():
    """Large κ0 t (sinh would overflow) at a = |A|, δ = 0 and near it: finite, correct limits."""
    t = np.array([1e3, 1e5])
    C = cf.concurrence_zero_temperature(t, 1.0, 1.0, 0.0)
    assert np.allclose(C, 0.5, atol=1e-15)
    rho = cf.zero_temperature_rho(t, 1.0, 1.0, 0.0)
    assert np.allclose(rho[-1], cf.steady_state_zero_temperature(1.0, 1.0, 0.0), atol=1e-15)
    assert np.all(np.isfinite(cf.zero_temperature_rho(1e6, 1.0, 0.999, 0.01)))


# ----- the series helper against mpmath -------------------------------------------------------


@pytest.mark.parametrize("q", [0.0, 1e-300, -1e-300, 1e-12, -1e-12, 1e-9, -1e-9, 0.3, -0.3, 1.0, -1.0, 4.0, -4.0, 250.0, -250.0])
@pytest.mark.parametrize("t", [0.0, 1e-8, 0.5, 1.0, 1.0001, 3.0, 20.0])
def test_sinhc_cosh_against_mpmath(q, t):
    """s = sinh(√q t)/√q and c = cosh(√q t) (times e^{−at}) to ~1e-14 relative, both branches and the
    series region (|q|t² <= 1), against 50-digit mpmath."""
    a = 0.5 + (math.sqrt(q) if q > 0 else 0.0)  # keep e^{−at}·sinh bounded as in the physics (a >= κ0)
    mpmath.mp.dps = 50
    qm, tm, am = mpmath.mpf(q), mpmath.mpf(t), mpmath.mpf(a)
    if q == 0:
        s_ex, c_ex = tm, mpmath.mpf(1)
    elif q > 0:
        k = mpmath.sqrt(qm)
        s_ex, c_ex = mpmath.sinh(k * tm) / k, mpmath.cosh(k * tm)
    else:
        w = mpmath.sqrt(-qm)
        s_ex, c_ex = mpmath.sin(w * tm) / w, mpmath.cos(w * tm)
    e = mpmath.exp(-am * tm)
    s, c = cf.sinhc_cosh(q, t, a)
    scale_s = float(abs(e) * (abs(tm) + abs(s_ex))) + 1e-300
    scale_c = float(abs(e) * (1 + abs(c_ex)))
    # error measured relative to the size of the terms (sin can have exact zeros)
    assert abs(s - float(s_ex * e)) <= 4e-14 * scale_s
    assert abs(c - float(c_ex * e)) <= 4e-14 * scale_c


def test_closed_forms_broadcast():
    t = np.linspace(0, 2, 5)
    A = np.array([0.2, 0.5, 1.0])[:, None]
    C = cf.concurrence_zero_temperature(t[None, :], 1.0, A, 0.4)
    assert C.shape == (3, 5)
    rho = cf.zero_temperature_rho(t[None, :], 1.0, A * np.exp(0.3j), 0.4)
    assert rho.shape == (3, 5, 4, 4)
    for i in range(3):
        assert np.allclose(C[i], cf.concurrence_zero_temperature(t, 1.0, A[i, 0], 0.4))


# ==============================================================================================
# 4. Lifetime τ (main text, S64)
# ==============================================================================================


@pytest.mark.parametrize("a,absA,delta", [(1.0, 0.8, 0.0), (1.0, 0.8, 0.3), (1.0, 0.95, 0.0), (2.0, 1.0, 0.6),
                                          (1.0, 0.3, 0.0)])
def test_lifetime_overdamped_from_exact_decay(a, absA, delta):
    """C ∝ e^{−t/τ} at long times with 1/τ = 2(a − κ0) (S64, main text). At δ = 0 that is
    τ = 1/(2(a − |A|)); the sentence after S64 ('τ = 1/(a − |A|)') is off by 2 (erratum 2).

    Two exact checks: (i) the slowest eigenvalue of the exact Liouvillian among modes that carry ρ12 is
    −1/τ; (ii) where C(t) is still well above rounding at long times, −d ln C/dt = 1/τ measured from
    expm at t1 = 8/κ0 (sub-leading modes suppressed by e^{−2κ0 t1} = e^{−16}, hence rel. tol. 1e-5).
    """
    tau = float(cf.entanglement_lifetime(a, absA, delta))
    L = ref_L(a, absA, delta)
    ev, vec = np.linalg.eig(L)
    carries_rho12 = np.abs(vec[4 * 1 + 2, :]) > 1e-8  # vec index of ρ12 = <↑↓|ρ|↓↑>
    slowest = ev[carries_rho12][np.argmax(ev[carries_rho12].real)]
    assert slowest.real == pytest.approx(-1 / tau, rel=1e-10) and abs(slowest.imag) < 1e-10
    k = math.sqrt(absA**2 - delta**2)
    t1 = 8.0 / k
    t2 = t1 + min(tau, 5.0)
    if float(cf.concurrence_zero_temperature(t2, a, absA, delta)) > 1e-8:
        C = conc_T0(ref_evolve(L, RHO_UD, [t1, t2]))
        rate = -math.log(C[1] / C[0]) / (t2 - t1)
        assert rate == pytest.approx(1 / tau, rel=1e-5)
    if delta == 0.0:
        assert tau == pytest.approx(1 / (2 * (a - absA)))
        assert 1 / tau != pytest.approx(a - absA, rel=0.1)  # the printed 1/τ = a − |A| is wrong


@pytest.mark.parametrize("a,absA,delta", [(1.0, 0.8, 1.2), (1.0, 0.3, 2.0), (0.5, 0.5, 0.9)])
def test_lifetime_underdamped_exact_envelope(a, absA, delta):
    """Underdamped: τ = 1/(2a) and C(t + π/ω0) = e^{−2aπ/ω0} C(t) exactly (oscillation at 2ω0)."""
    tau = float(cf.entanglement_lifetime(a, absA, delta))
    assert tau == pytest.approx(1 / (2 * a))
    w0 = math.sqrt(delta**2 - absA**2)
    t = np.linspace(0.1, 2.0, 9)
    L = ref_L(a, absA, delta)
    C1 = conc_T0(ref_evolve(L, RHO_UD, t))
    C2 = conc_T0(ref_evolve(L, RHO_UD, t + math.pi / w0))
    assert np.allclose(C2, C1 * math.exp(-2 * a * math.pi / w0), atol=1e-12)


def test_lifetime_critical_and_dark():
    assert float(cf.entanglement_lifetime(1.0, 0.8, 0.8)) == pytest.approx(0.5)
    assert np.isinf(cf.entanglement_lifetime(1.0, 1.0, 0.0))
    assert float(cf.entanglement_lifetime(1.0, 1.0, 1e-3)) == pytest.approx(1 / (2 * (1 - math.sqrt(1 - 1e-6))))


# ==============================================================================================
# 5. Steady states: Eq. (10)/S65 and finite temperature
# ==============================================================================================


def _long_time(L, rho0, t):
    return ref_evolve(L, rho0, [t])[0]


@pytest.mark.parametrize("phase", [0.0, 2.3])
@pytest.mark.parametrize("Delta", [0.0, 1.7])
def test_eq10_steady_state(phase, Delta):
    """Eq. (10)/S65: a = |A|, δ = 0, T = 0 from |↑↓> → (|↑↑><↑↑| + |S><S|)/2, C(∞) = 1/2.
    Slowest mode e^{−2at} (t = 30: e^{−60})."""
    a = 1.0
    A = a * np.exp(1j * phase)
    rho_inf = _long_time(ref_L(a, A, 0.0, Delta), RHO_UD, 30.0)
    assert np.max(np.abs(rho_inf - cf.steady_state_zero_temperature(a, A, 0.0))) < 1e-9
    assert conc_T0(rho_inf) == pytest.approx(0.5, abs=1e-9)
    # off the dark point the state decays to |↑↑>
    for absA, delta in ((0.9, 0.0), (1.0, 0.2)):
        st_ = cf.steady_state_zero_temperature(a, absA, delta)
        assert np.allclose(st_, np.diag([1, 0, 0, 0]))


@pytest.mark.parametrize("r", [0.0, 0.01, 0.1, 0.3, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("Delta", [0.0, 2.0])
def test_finite_temperature_dark_singlet_steady_state(r, Delta):
    """Derived here: a = |A|, ã = |Ã| = r a, δ = 0, from |↑↓>: singlet weight 1/2, triplet ∝ 1 : r : r²,
    C∞ = (1 − r)²/(2(1 + r + r²)). Converged value checked by doubling the time."""
    a = 1.0
    A = a * np.exp(0.4j)
    L = ref_L(a, A, 0.0, Delta, r * a, r * A)
    rho1 = _long_time(L, RHO_UD, 40.0)
    rho2 = _long_time(L, RHO_UD, 80.0)
    assert np.max(np.abs(rho1 - rho2)) < 1e-12
    assert np.max(np.abs(rho2 - cf.steady_state_dark_singlet(r, 0.5, A))) < 1e-9
    C = cf.steady_concurrence_finite_temperature(r)
    assert cf.x_state_concurrence(rho2) == pytest.approx(float(C), abs=1e-9)
    assert float(cf.steady_concurrence_dark_singlet(r, 0.5)) == pytest.approx(float(C), abs=1e-15)
    # the stationary space is two-dimensional (singlet + thermal triplet) for r > 0
    if r > 0:
        assert null_space(L, rcond=1e-10).shape[1] == 2


def test_fig_S1a_around_035():
    """Erratum check 8: Fig. S1(a) parameters a = |A| = 30, ã = |Ã| = 3, δ = 0 → C∞ = 0.81/2.22 = 0.3649
    ('around 0.35' in the text: consistent to plotting precision)."""
    L = ref_L(30.0, 30.0, 0.0, 0.0, 3.0, 3.0)
    C = cf.x_state_concurrence(_long_time(L, RHO_UD, 3.0))
    assert C == pytest.approx(0.81 / 2.22, abs=1e-9)
    assert float(cf.steady_concurrence_finite_temperature(0.1)) == pytest.approx(0.3648648648648649, rel=1e-15)
    assert abs(C - 0.35) < 0.02


def test_fig_S1b_detuning_kills_steady_entanglement():
    """Fig. S1(b): a = |A| = 10, ã = |Ã| = 1; for δ > 0 the singlet is no longer dark and C → 0
    (unique thermal product steady state)."""
    for delta in (2.0, 10.0):
        L = ref_L(10.0, 10.0, delta, 0.0, 1.0, 1.0)
        ns = null_space(L, rcond=1e-10)
        assert ns.shape[1] == 1
        rho = ns[:, 0].reshape(4, 4)
        rho = rho / np.trace(rho)
        assert np.allclose(rho, cf.steady_state_thermal_product(10.0, 1.0), atol=1e-10)
        assert cf.x_state_concurrence(rho) == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_dark_singlet_general_initial_states(seed):
    """C∞ = max(0, w − 3(1 − w)r/(1 + r + r²)), w = <S|ρ0|S>, at finite T (a = |A|, ã = |Ã|, δ = 0);
    at T = 0, C∞ = w exactly, even with the undamped |S>–|↑↑> coherence (then ρ(t) keeps rotating at
    frequency Δ but C is constant)."""
    rng = np.random.default_rng(seed)
    rho0 = random_density_matrix(rng, rank=rng.integers(1, 5))
    w = float(np.real(SINGLET.conj() @ rho0 @ SINGLET))
    for r in (0.0, 0.05, 0.2):
        L = ref_L(1.0, 1.0, 0.0, 1.3, r, r)
        # slowest mode: the |S><↑↑| coherence, rate 2ã (≈0 at T = 0, where it does not matter for C)
        t_long = 60.0 if r == 0 else 45.0 / (2 * r)
        rhos = ref_evolve(L, rho0, [t_long, t_long + 0.5])
        C = [ref_wootters(x) for x in rhos]
        expected = float(cf.steady_concurrence_dark_singlet(r, w))
        assert C[0] == pytest.approx(expected, abs=ATOL_WOOTTERS)
        assert C[1] == pytest.approx(expected, abs=ATOL_WOOTTERS)
        if r > 0:
            assert np.max(np.abs(rhos[0] - cf.steady_state_dark_singlet(r, w))) < 1e-9
        for tt, rr in zip((t_long, t_long + 0.5), rhos):
            assert np.max(np.abs(rr - cf.dark_point_asymptotic_state(rho0, r, 1.0, 1.3, tt))) < 1e-9


def test_finite_temperature_claim_irrespective_of_initial_state_needs_T0():
    """Remark in docs/errata.md: at finite T a non-symmetric initial state with small singlet weight ends
    unentangled (w = 0.05, r = 0.1 → C∞ = 0), contrary to 'irrespective of the initial state'."""
    w, r = 0.05, 0.1
    assert float(cf.steady_concurrence_dark_singlet(r, w)) == 0.0
    psi = np.sqrt(w) * SINGLET + np.sqrt(1 - w) * KET["uu"]
    rho0 = np.outer(psi, psi.conj())
    rho = ref_evolve(ref_L(1.0, 1.0, 0.0, 0.0, r, r), rho0, [80.0])[0]
    assert ref_wootters(rho) < ATOL_WOOTTERS


@pytest.mark.parametrize("a,absA,delta,Delta,r", [(1.0, 0.5, 0.3, 1.0, 0.2), (2.0, 1.9, 0.0, 0.0, 0.7),
                                                  (1.0, 0.0, 1.0, 0.5, 0.0), (1.0, 0.99, 0.05, 3.0, 0.5)])
def test_thermal_product_steady_state(a, absA, delta, Delta, r):
    """a > |A| with detailed balance (ã = r a, Ã = r A): the unique steady state is the product thermal state."""
    A = absA * np.exp(0.8j)
    L = ref_L(a, A, delta, Delta, r * a, r * A)
    ns = null_space(L, rcond=1e-9)
    assert ns.shape[1] == 1
    rho = ns[:, 0].reshape(4, 4)
    rho = rho / np.trace(rho)
    assert np.allclose(rho, cf.steady_state_thermal_product(a, r * a), atol=1e-10)


def test_thermal_product_not_steady_without_detailed_balance():
    """If |Ã|/|A| ≠ ã/a the product state is not stationary (docstring caveat)."""
    L = ref_L(1.0, 0.5, 0.0, 0.0, 0.2, 0.0)
    v = cf.steady_state_thermal_product(1.0, 0.2).reshape(-1)
    assert np.max(np.abs(L @ v)) > 1e-3


def test_detailed_balance_gibbs_state_is_stationary():
    """ã = e^{−βΔ}a, Ã = e^{−βΔ}A (after Eq. 6): for δ = 0 the Gibbs state of H_S is stationary."""
    a, A, beta, Delta = 1.0, 0.7 * np.exp(0.2j), 0.8, 1.5
    at, At = cf.detailed_balance(a, A, beta, Delta)
    assert at == pytest.approx(math.exp(-beta * Delta) * a)
    assert np.angle(At) == pytest.approx(np.angle(A))
    H = ref_hamiltonian(0.0, Delta)
    gibbs = expm(-beta * H)
    gibbs /= np.trace(gibbs)
    L = ref_L(a, A, 0.0, Delta, float(at), complex(At))
    assert np.max(np.abs(L @ gibbs.reshape(-1))) < 1e-14
    assert np.allclose(gibbs, cf.steady_state_thermal_product(a, at), atol=1e-14)
    assert float(cf.boltzmann_ratio(np.inf, 1.0)) == 0.0


# ==============================================================================================
# 6. Measures S49, S50, S52
# ==============================================================================================


def _random_x_state(rng):
    p = rng.dirichlet(np.ones(4))
    c12 = np.sqrt(p[1] * p[2]) * rng.uniform() * np.exp(1j * rng.uniform(0, 2 * np.pi))
    c03 = np.sqrt(p[0] * p[3]) * rng.uniform() * np.exp(1j * rng.uniform(0, 2 * np.pi))
    rho = np.diag(p).astype(complex)
    rho[1, 2], rho[2, 1] = c12, np.conj(c12)
    rho[0, 3], rho[3, 0] = c03, np.conj(c03)
    return rho


def test_supplement_ii_spin_is_half_sigma():
    """Erratum 13: before S20 the Supplement prints s^x = <σ^x> = (ρ12 + ρ21)/2; <σ^x> is ρ12 + ρ21.

    Qubit 1 starts in |+> (qubit 2 idle in |↑>, no coupling); its reduced state must have
    tr(ρ1 σx) = ρ12 + ρ21 — twice the printed value — and s = <σ>/2 must obey S20 with
    1/T2 = a + ã and Δ1 = Δ + δ: s^x = ½ e^{−(a+ã)t} cos Δ1 t, s^y = −½ e^{−(a+ã)t} sin Δ1 t.
    """
    import magbell

    a, at, Delta, delta = 0.7, 0.2, 1.0, 0.3
    m = magbell.Model(a=a, a_tilde=at, Delta=Delta, delta=delta)
    psi = np.array([1.0, 0.0, 1.0, 0.0]) / np.sqrt(2)  # |+>|↑>
    t = np.linspace(0, 4, 41)
    rho = magbell.evolve(m, np.outer(psi, psi), t, store_states=True).states
    rho1 = np.einsum("tiaja->tij", rho.reshape(len(t), 2, 2, 2, 2))  # trace out qubit 2
    sx = np.array([[0, 1], [1, 0]])
    sy = np.array([[0, -1j], [1j, 0]])
    ex = np.einsum("tij,ji->t", rho1, sx).real
    ey = np.einsum("tij,ji->t", rho1, sy).real
    r12 = rho1[:, 0, 1]
    assert np.allclose(ex, (r12 + r12.conj()).real, atol=1e-14)           # <σx> = ρ12 + ρ21
    assert np.max(np.abs(ex - (r12 + r12.conj()).real / 2)) > 0.2          # not the printed (ρ12 + ρ21)/2
    env = 0.5 * np.exp(-(a + at) * t)
    D1 = Delta + delta
    assert np.allclose(ex / 2, env * np.cos(D1 * t), atol=1e-12)          # S19/S20 with s = <σ>/2
    assert np.allclose(ey / 2, -env * np.sin(D1 * t), atol=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_x_state_concurrence_S52(seed):
    rng = np.random.default_rng(seed)
    rho = _random_x_state(rng)
    assert float(cf.x_state_concurrence(rho)) == pytest.approx(ref_wootters(rho), abs=1e-12)


def test_x_state_concurrence_both_branches():
    bell_psi = np.outer(SINGLET, SINGLET.conj())
    phi = (KET["uu"] + KET["dd"]) / np.sqrt(2)
    assert float(cf.x_state_concurrence(bell_psi)) == pytest.approx(1.0)
    assert float(cf.x_state_concurrence(np.outer(phi, phi.conj()))) == pytest.approx(1.0)
    assert float(cf.x_state_concurrence(I4 / 4)) == 0.0
    batch = np.stack([bell_psi, I4 / 4])
    assert cf.x_state_concurrence(batch).shape == (2,)


@pytest.mark.parametrize("seed", range(20))
def test_wootters_concurrence_S49(seed):
    rng = np.random.default_rng(100 + seed)
    rho = random_density_matrix(rng, rank=rng.integers(1, 5))
    assert float(cf.wootters_concurrence(rho)) == pytest.approx(ref_wootters(rho), abs=1e-12)
    # pure states: C = |<ψ|σy⊗σy|ψ*>|
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    psi /= np.linalg.norm(psi)
    assert float(cf.wootters_concurrence(np.outer(psi, psi.conj()))) == pytest.approx(
        abs(psi @ _YY @ psi), abs=ATOL_WOOTTERS)


@pytest.mark.parametrize("seed", range(20))
def test_entanglement_of_formation_S50_pure_states(seed):
    """For pure states E_F equals the entanglement entropy (log2) of the reduced state."""
    rng = np.random.default_rng(200 + seed)
    psi = rng.normal(size=4) + 1j * rng.normal(size=4)
    psi /= np.linalg.norm(psi)
    M = psi.reshape(2, 2)
    p = np.linalg.eigvalsh(M @ M.conj().T)
    p = p[p > 1e-300]
    S = float(-np.sum(p * np.log2(p)))
    C = abs(psi @ _YY @ psi)
    assert float(cf.entanglement_of_formation(C)) == pytest.approx(S, abs=1e-12)


def test_entanglement_of_formation_limits_and_monotonic():
    C = np.linspace(0, 1, 1001)
    E = cf.entanglement_of_formation(C)
    assert E[0] == 0.0 and E[-1] == pytest.approx(1.0, abs=1e-15)
    assert np.all(np.diff(E) > 0)
    assert float(cf.entanglement_of_formation(1e-9)) > 0  # no cancellation for tiny C


# ==============================================================================================
# 7. DM example, Suppl. (iv)
# ==============================================================================================


@pytest.mark.parametrize("D", [0.3, -1.2, 2.5])
def test_dm_example(D):
    """Erratum check 7: H = D(σ1xσ2y − σ1yσ2x) from |↑↓> gives cos(2Dt)|↑↓> − sin(2Dt)|↓↑>, C = |sin 4Dt|,
    oscillating between 0 and 1 with period π/(4|D|), i.e. angular frequency 8|D| (as printed)."""
    H = D * (S1X @ S2Y - S1Y @ S2X)
    assert np.allclose(H, cf.dm_hamiltonian(D), atol=1e-15)
    t = np.linspace(0, 3, 37)
    psi_ref = np.array([expm(-1j * H * tt) @ KET["ud"] for tt in t])
    assert np.allclose(psi_ref, cf.dm_state(t, D), atol=1e-13)
    C_ref = np.array([ref_wootters(np.outer(p, p.conj())) for p in psi_ref])
    assert np.allclose(C_ref, cf.dm_concurrence(t, D), atol=ATOL_WOOTTERS)
    period = math.pi / (4 * abs(D))
    assert np.allclose(cf.dm_concurrence(t + period, D), cf.dm_concurrence(t, D), atol=1e-12)
    assert not np.allclose(cf.dm_concurrence(t + period / 2, D), cf.dm_concurrence(t, D))
    assert float(cf.dm_concurrence_angular_frequency(D)) == pytest.approx(2 * math.pi / period)


def test_dm_term_from_S39():
    """S39: (g1 + ig2)σ1+σ2− + h.c. = (g1/2)(σ1xσ2x + σ1yσ2y) + (g2/2) ẑ·(σ1 × σ2)."""
    g1, g2 = 0.7, -0.4
    lhs = (g1 + 1j * g2) * S1P @ S2M
    lhs = lhs + lhs.conj().T
    rhs = g1 / 2 * (S1X @ S2X + S1Y @ S2Y) + g2 / 2 * (S1X @ S2Y - S1Y @ S2X)
    assert np.allclose(lhs, rhs)


# ==============================================================================================
# 8. Stability bounds S42
# ==============================================================================================


_RATE = st.floats(0, 6, allow_subnormal=False)


@given(a=_RATE, A=_RATE, at=_RATE, At=_RATE, phi=st.floats(-3, 3, allow_subnormal=False))
@settings(max_examples=100, deadline=None, derandomize=True)
def test_is_physical_equals_h_psd(a, A, at, At, phi):
    h = ref_h(a, A * np.exp(1j * phi), at, At * np.exp(-1j * phi))
    lam_min = np.linalg.eigvalsh(h).min()
    assume(abs(lam_min) > 1e-9 * max(1.0, a, A, at, At))  # away from the boundary (tested exactly below)
    assert bool(cf.is_physical(a, A * np.exp(1j * phi), at, At)) == (lam_min > 0)


def test_is_physical_boundary():
    assert bool(cf.is_physical(1.0, 1.0, 0.3, 0.3j))
    assert not bool(cf.is_physical(1.0, 1.0 + 1e-12))
    assert bool(cf.is_physical(1.0, 1.0 + 1e-12, rtol=1e-9))
    assert not bool(cf.is_physical(-0.1, 0.0))


def test_violating_the_bound_gives_negative_probabilities():
    """a < |A| (h not PSD): the 'evolution' from |↑↓> leaves the set of states (S42 is necessary)."""
    a, A = 0.5, 1.0
    H = ref_hamiltonian(0.0)
    L = ref_liouvillian_from_h(H, ref_h(a, A))
    mins = [np.linalg.eigvalsh(r).min() for r in ref_evolve(L, RHO_UD, np.linspace(0.1, 3, 10))]
    assert min(mins) < -1e-2
    assert not bool(cf.is_physical(a, A))


# ==============================================================================================
# 9. Against the package's exact solver (magbell.evolve / steady_state / concurrence)
# ==============================================================================================


def _magbell():
    try:
        import magbell

        magbell.evolve  # noqa: B018
        magbell.Model  # noqa: B018
    except (ImportError, AttributeError) as exc:  # pragma: no cover - until the core lands
        pytest.skip(f"magbell.evolve not available yet: {exc}")
    return magbell


def _magbell_steady():
    mb = _magbell()
    if not hasattr(mb, "steady_state"):
        pytest.skip("magbell.steady_state not available yet")
    return mb


# Tolerance vs the package solver: it propagates with its own expm (and, for uniform grids, repeated
# products of one step), so errors accumulate over n_t ≲ 10³ steps of ~1e-15 each: 1e-10 is ample.
ATOL_MAGBELL = 1e-10
# Concurrence from a *numerical* state is ill-conditioned where the exact ρ33 (or ρ03) vanishes:
# S52's √(ρ00ρ33) turns a rounding-level ρ33 ~ 1e-16 into ~1e-8. magbell's propagator keeps the
# structural zero ρ33 = 0 exactly at T = 0 (no inflow into ρ↓↓), so its concurrence is held to 1e-12.
ATOL_MAGBELL_C = 1e-12


def test_magbell_evolve_zero_temperature_grid():
    mb = _magbell()
    absA = np.array([0.3, 0.8, 1.0])
    rel = np.array([0.0, 0.5, 1.0 - 1e-9, 1.0, 1.0 + 1e-9, 1.5, 3.0])  # δ/|A|, incl. exact critical
    phase = np.exp(0.6j)
    m = mb.Model(a=1.0, A=(absA * phase)[:, None], delta=absA[:, None] * rel[None, :])
    times = np.linspace(0.0, 12.0, 241)
    r = mb.evolve(m, "ud", times, store_states=True)
    assert r.states.shape == (3, 7, 241, 4, 4)
    expected = cf.zero_temperature_rho(times[None, None, :], 1.0, (absA * phase)[:, None, None],
                                       (absA[:, None] * rel[None, :])[..., None])
    assert np.max(np.abs(r.states - expected)) < ATOL_MAGBELL
    C_exp = cf.concurrence_zero_temperature(times[None, None, :], 1.0, absA[:, None, None],
                                            (absA[:, None] * rel[None, :])[..., None])
    assert np.max(np.abs(r.concurrence - C_exp)) < ATOL_MAGBELL_C


def test_magbell_evolve_nonuniform_long_times_and_mean_field():
    mb = _magbell()
    times = np.array([0.0, 0.013, 0.5, 3.0, 17.0, 40.0, 100.0])
    for a, A, delta in [(1.0, 1.0, 0.0), (1.0, 0.999, 0.01), (2.0, 1.3, 1.3), (1.0, 0.8, 2.0)]:
        m = mb.Model(a=a, A=A, delta=delta, Delta=2.5)
        r = mb.evolve(m, "ud", times, store_states=True)
        assert np.max(np.abs(r.states - cf.zero_temperature_rho(times, a, A, delta))) < ATOL_MAGBELL
        assert np.max(np.abs(r.concurrence - cf.concurrence_zero_temperature(times, a, A, delta))) < ATOL_MAGBELL_C


def test_magbell_evolve_finite_temperature_against_reference():
    """No closed form for general finite T (S54 has 'no analytic solution'): compare with the reference,
    and the long-time value with the derived C∞(r) at the dark point."""
    mb = _magbell()
    times = np.linspace(0, 5, 21)
    for a, A, delta, at, At in [(1.0, 0.8 * np.exp(0.3j), 0.3, 0.2, 0.16 * np.exp(0.3j)),
                                (30.0, 30.0, 0.0, 3.0, 3.0), (10.0, 10.0, 4.0, 1.0, 1.0)]:
        m = mb.Model(a=a, A=A, delta=delta, a_tilde=at, A_tilde=At, Delta=1.0)
        r = mb.evolve(m, "ud", times, store_states=True)
        ref = ref_evolve(ref_L(a, A, delta, 1.0, at, At), RHO_UD, times)
        assert np.max(np.abs(r.states - ref)) < ATOL_MAGBELL
    m = mb.Model(a=30.0, A=30.0, a_tilde=3.0, A_tilde=3.0)
    r = mb.evolve(m, "ud", [5.0])
    assert float(r.concurrence[-1]) == pytest.approx(float(cf.steady_concurrence_finite_temperature(0.1)), abs=1e-9)


def test_magbell_model_generators_match_closed_forms():
    mb = _magbell()
    a, A, delta, Delta, at, At = 1.0, 0.7 * np.exp(1.2j), 0.3, 0.9, 0.25, 0.2 * np.exp(-0.5j)
    m = mb.Model(a=a, A=A, delta=delta, Delta=Delta, a_tilde=at, A_tilde=At)
    assert np.allclose(m.h_matrix(), cf.h_matrix(a, A, at, At), atol=1e-15)
    L = np.asarray(m.liouvillian())
    assert np.allclose(L, ref_L(a, A, delta, Delta, at, At), atol=1e-13)
    M_exact, leak = _projected_generator(L)
    assert leak < 1e-15
    assert np.allclose(M_exact, cf.eom_generator(a, A, delta, at, At), atol=1e-13)


def test_magbell_concurrence_matches_S52_and_S49():
    mb = _magbell()
    rng = np.random.default_rng(7)
    xs = np.stack([_random_x_state(rng) for _ in range(30)])
    assert np.allclose(mb.concurrence(xs), cf.x_state_concurrence(xs), atol=1e-12)
    gen = np.stack([random_density_matrix(rng, rank=4) for _ in range(30)])
    assert np.allclose(mb.concurrence(gen), cf.wootters_concurrence(gen), atol=1e-12)
    # exact T = 0 states (structural zeros exact): no conditioning problem, agreement to rounding
    t = np.linspace(0, 30, 61)
    for absA, delta in ((1.0, 0.0), (0.8, 0.8), (0.8, 0.3), (0.3, 1.0)):
        rho = cf.zero_temperature_rho(t, 1.0, absA, delta)
        assert np.allclose(mb.concurrence(rho), cf.concurrence_zero_temperature(t, 1.0, absA, delta), atol=1e-13)
    # entanglement of formation S50
    assert np.allclose(mb.entanglement_of_formation(gen), cf.entanglement_of_formation(cf.wootters_concurrence(gen)),
                       atol=1e-12)


def test_magbell_steady_state_eq10_and_finite_temperature():
    mb = _magbell_steady()
    # Eq. (10): a = |A|, δ = 0, T = 0
    s = mb.steady_state(mb.Model(a=1.0, A=np.exp(0.5j)), "ud")
    assert np.max(np.abs(s.rho - cf.steady_state_zero_temperature(1.0, np.exp(0.5j), 0.0))) < 1e-9
    assert float(s.concurrence) == pytest.approx(0.5, abs=1e-9)
    assert not bool(s.unique)
    # finite temperature dark point, several r, as one grid
    r = np.array([0.0, 0.1, 0.3, 0.6, 1.0])
    m = mb.Model(a=30.0, A=30.0, a_tilde=30.0 * r, A_tilde=30.0 * r, Delta=1.0)
    s = mb.steady_state(m, "ud")
    assert np.allclose(s.rho, cf.steady_state_dark_singlet(r, 0.5), atol=1e-9)
    assert np.allclose(s.concurrence, cf.steady_concurrence_finite_temperature(r), atol=1e-9)
    # a > |A|: unique thermal product state
    m = mb.Model(a=1.0, A=0.6, delta=0.4, a_tilde=0.3, A_tilde=0.18, Delta=1.0)
    s = mb.steady_state(m, "ud")
    assert bool(s.unique)
    assert np.allclose(s.rho, cf.steady_state_thermal_product(1.0, 0.3), atol=1e-10)
    assert float(s.concurrence) == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_magbell_steady_state_dark_point_general_initial_state(seed):
    """Finite-T dark point from a random initial state: ρ∞ = w S + (1 − w) thermal triplet (derived)."""
    mb = _magbell_steady()
    rng = np.random.default_rng(300 + seed)
    rho0 = random_density_matrix(rng, rank=rng.integers(1, 5))
    w = float(np.real(SINGLET.conj() @ rho0 @ SINGLET))
    for r in (0.05, 0.3):
        s = mb.steady_state(mb.Model(a=1.0, A=1.0, a_tilde=r, A_tilde=r, Delta=0.8), rho0)
        assert np.allclose(s.rho, cf.steady_state_dark_singlet(r, w), atol=1e-9)
        assert float(s.concurrence) == pytest.approx(float(cf.steady_concurrence_dark_singlet(r, w)), abs=1e-9)
