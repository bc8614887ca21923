"""Entanglement and state measures (magbell.measures) against textbook formulas.

References (tests/systems.py): Wootters' concurrence via R = sqrt(sqrt(rho) rho~ sqrt(rho)) (scipy sqrtm,
accurate to ~1e-13 on full-rank states), the naive sqrt-of-eig(rho rho~) recipe (for the noise
demonstration only), the pure-state formula C = 2|c_uu c_dd - c_ud c_du| (exact to rounding), S52 for X
states, and closed forms for Bell, product and Werner states.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import systems as S
from hypothesis import given, settings
from hypothesis import strategies as st

import magbell
from magbell import InvalidStateError
from magbell import measures as M

BELL = ("phi+", "phi-", "psi+", "psi-")


def random_local_unitary(rng):
    def u():
        q, r = np.linalg.qr(rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)))
        return q * (np.diag(r) / np.abs(np.diag(r)))

    return np.kron(u(), u())


# =============================================================================================
# Concurrence
# =============================================================================================


def test_concurrence_vs_textbook_wootters_random_states(rng):
    """200 random full-rank states against the sqrtm form (accurate to ~1e-12 on these: tolerance 1e-10) and
    30 of them, rank 1 to 4, against the textbook recipe evaluated in 40-digit mpmath (exact: 1e-15)."""
    rhos = np.array([S.random_density_matrix(rng) for _ in range(200)])
    ref = np.array([S.wootters_fidelity(r) for r in rhos])
    assert np.sum(ref > 0.01) > 10  # the sample contains entangled states
    np.testing.assert_allclose(magbell.concurrence(rhos), ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(magbell.concurrence(rhos, method="wootters"), ref, rtol=0, atol=1e-10)
    for k in range(30):
        rho = S.random_density_matrix(rng, rank=1 + k % 4)
        assert abs(magbell.concurrence(rho) - S.wootters_mp(rho)) <= 1e-15 * 10


def test_concurrence_vs_textbook_entangled_mixtures(rng):
    """Mixtures p|psi><psi| + (1-p)rho_random with a random entangled psi: mostly entangled, full rank."""
    for _ in range(100):
        p = rng.uniform(0.5, 1)
        rho = p * S.proj(S.random_ket(rng)) + (1 - p) * S.random_density_matrix(rng)
        assert abs(magbell.concurrence(rho) - S.wootters_fidelity(rho)) <= 1e-11


_entries = st.floats(min_value=-1, max_value=1, allow_nan=False)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(_entries, min_size=32, max_size=32), st.integers(min_value=1, max_value=4))
def test_concurrence_hypothesis(vals, rank):
    """Arbitrary density matrices G G^dag / tr of rank 1..4: in [0, 1], invariant under local unitaries
    (the phases are fixed, the unitary is the one of a fixed seed), and equal to Wootters on full rank."""
    g = (np.array(vals[:16]) + 1j * np.array(vals[16:])).reshape(4, 4)[:, :rank]
    if np.linalg.norm(g) < 1e-3:
        return
    rho = g @ g.conj().T
    rho /= np.trace(rho).real
    c = magbell.concurrence(rho)
    assert -1e-15 <= c <= 1 + 1e-12
    U = random_local_unitary(np.random.default_rng(1))
    assert abs(magbell.concurrence(U @ rho @ U.conj().T) - c) <= 1e-12
    if rank == 1:
        assert abs(c - S.pure_concurrence(g[:, 0] / np.linalg.norm(g[:, 0]))) <= 1e-13
    elif rank == 4 and np.linalg.eigvalsh(rho).min() > 1e-6:
        assert abs(c - S.wootters_fidelity(rho)) <= 1e-9


@pytest.mark.parametrize("name", BELL)
def test_bell_states_have_concurrence_one(name, rng):
    rho = S.rho_of(name)
    assert abs(magbell.concurrence(rho) - 1) <= 1e-15
    U = random_local_unitary(rng)
    assert abs(magbell.concurrence(U @ rho @ U.conj().T) - 1) <= 1e-14


def test_product_states_have_concurrence_zero(rng):
    for name in ("uu", "ud", "du", "dd"):
        assert magbell.concurrence(S.rho_of(name)) == 0.0
    for _ in range(50):
        r1 = S.random_density_matrix(rng, rank=rng.integers(1, 3))[:2, :2]
        r2 = S.random_density_matrix(rng, rank=rng.integers(1, 3))[:2, :2]
        a, b = S.random_ket(rng)[:2], S.random_ket(rng)[2:]
        for rho in (
            np.kron(r1 / np.trace(r1), r2 / np.trace(r2)),
            S.proj(np.kron(a / np.linalg.norm(a), b / np.linalg.norm(b))),
        ):
            assert 0 <= magbell.concurrence(rho) <= 1e-15
            assert magbell.concurrence(rho, method="wootters") <= 1e-15


def test_naive_recipe_is_noisy_on_rank_deficient_states_but_magbell_is_not(rng):
    """Square roots of eigenvalues of rho rho~ turn rounding (~1e-17) of its zero eigenvalues into ~1e-8;
    magbell's singular values of W^T (sy sy) W do not. Pure (rank-1) states, and a weakly entangled pure
    state behind random local unitaries, against the exact pure-state formula."""
    naive, mb = [], []
    for _ in range(50):
        k = S.random_ket(rng)
        exact = S.pure_concurrence(k)
        naive.append(abs(S.wootters_naive(S.proj(k)) - exact))
        mb.append(abs(magbell.concurrence(S.proj(k)) - exact))
    assert max(mb) <= 1e-14
    assert max(naive) >= 1e-10 and np.median(naive) >= 1e-10
    for eps in (1e-3, 1e-6):
        k = np.array([1, 0, 0, eps], dtype=complex) / np.hypot(1, eps)
        k = random_local_unitary(rng) @ k
        exact = S.pure_concurrence(k)  # = 2 eps / (1 + eps^2)
        assert abs(exact - 2 * eps / (1 + eps * eps)) <= 1e-15
        assert abs(magbell.concurrence(S.proj(k)) - exact) <= 1e-14
        assert abs(S.wootters_naive(S.proj(k)) - exact) >= 1e-10


def _random_x_state(rng):
    p = rng.dirichlet(np.ones(4))
    c12 = np.sqrt(p[1] * p[2]) * rng.uniform(0, 1) * np.exp(1j * rng.uniform(0, 2 * np.pi))
    c03 = np.sqrt(p[0] * p[3]) * rng.uniform(0, 1) * np.exp(1j * rng.uniform(0, 2 * np.pi))
    rho = np.diag(p).astype(complex)
    rho[1, 2], rho[2, 1] = c12, np.conj(c12)
    rho[0, 3], rho[3, 0] = c03, np.conj(c03)
    return rho


def test_x_states_use_s52_automatically(rng):
    rhos = np.array([_random_x_state(rng) for _ in range(100)])
    assert np.all(M.is_x_state(rhos))
    s52 = S.x_state_concurrence(rhos)
    assert np.sum(s52 > 0.01) > 10
    # auto path is the S52 formula itself (bitwise), and agrees with Wootters
    np.testing.assert_array_equal(magbell.concurrence(rhos), M.x_state_concurrence(rhos))
    np.testing.assert_allclose(magbell.concurrence(rhos), s52, rtol=0, atol=1e-15)
    full_rank = np.linalg.eigvalsh(rhos).min(axis=-1) > 1e-6
    ref = np.array([S.wootters_fidelity(r) for r in rhos[full_rank]])
    np.testing.assert_allclose(magbell.concurrence(rhos[full_rank], method="wootters"), ref, atol=1e-10)
    np.testing.assert_allclose(s52[full_rank], ref, atol=1e-10)


def test_non_x_states_are_not_treated_as_x(rng):
    rho = S.random_density_matrix(rng)
    assert not M.is_x_state(rho)
    assert magbell.concurrence(rho) == magbell.concurrence(rho, method="wootters")
    # S52 on a non-X state would be wrong: a locally rotated Bell state is a counter-example
    U = random_local_unitary(rng)
    bell = U @ S.rho_of("phi+") @ U.conj().T
    assert abs(magbell.concurrence(bell) - 1) < 1e-14 and M.x_state_concurrence(bell) < 0.999


def test_concurrence_bad_method():
    with pytest.raises(ValueError, match="method must be"):
        magbell.concurrence(S.rho_of("ud"), method="eig")


@pytest.mark.parametrize("p", [0.0, 0.2, 1 / 3, 0.5, 0.8, 1.0])
def test_werner_states(p):
    """Werner p|S><S| + (1-p)I/4: C = max(0, (3p-1)/2), N = max(0, (3p-1)/4), E_N = log2(2N + 1)."""
    rho = S.werner(p)
    c, n = max(0.0, (3 * p - 1) / 2), max(0.0, (3 * p - 1) / 4)
    assert abs(magbell.concurrence(rho) - c) <= 1e-15
    assert abs(magbell.negativity(rho) - n) <= 1e-15
    assert abs(magbell.log_negativity(rho) - np.log2(2 * n + 1)) <= 1e-15
    assert abs(magbell.purity(rho) - (3 * p * p + 1) / 4) <= 1e-15


# =============================================================================================
# Entanglement of formation, negativity, fidelities, purity, populations
# =============================================================================================


def _eof_mp(c):
    with mpmath.workdps(50):
        c = mpmath.mpf(c)
        x = (1 + mpmath.sqrt(1 - c * c)) / 2
        h = lambda y: -y * mpmath.log(y, 2) if y > 0 else mpmath.mpf(0)
        return float(h(x) + h(1 - x))


def test_entanglement_of_formation():
    assert magbell.entanglement_of_formation(S.rho_of("phi+")) == pytest.approx(1, abs=1e-15)
    assert magbell.entanglement_of_formation(S.rho_of("ud")) == 0
    c = np.concatenate([[0.0, 1e-12, 1e-8, 1e-4], np.linspace(0.01, 1, 100)])
    e = M.eof_from_concurrence(c)
    assert np.all(np.diff(e) > 0)  # strictly increasing in C
    for ci, ei in zip(c, e):
        assert ei == pytest.approx(_eof_mp(ci), rel=1e-12, abs=1e-16)
    assert M.eof_from_concurrence(0.0) == 0.0 and M.eof_from_concurrence(1.0) == 1.0
    # EoF of states = EoF(C(state))
    for p in (0.4, 0.7, 1.0):
        assert magbell.entanglement_of_formation(S.werner(p)) == pytest.approx(
            _eof_mp((3 * p - 1) / 2), rel=1e-12, abs=0
        )


@pytest.mark.parametrize("c", [1e-12, 1e-8, 1e-6])
def test_eof_relative_accuracy_small_concurrence(c):
    """Full relative accuracy of E(C) for small C. Regression (was a bug in eof_from_concurrence: only
    1 - x was computed without cancellation; x rounded to 1 and the -x log2 x term was lost:
    E(1e-8) = 1.37877e-15 vs exact 1.41484e-15, -2.5%)."""
    assert float(M.eof_from_concurrence(c)) == pytest.approx(_eof_mp(c), rel=1e-12, abs=0)


def test_negativity_vs_partial_transpose(rng):
    for _ in range(50):
        rho = S.random_density_matrix(rng, rank=rng.integers(1, 5))
        pt = rho.reshape(2, 2, 2, 2).transpose(0, 3, 2, 1).reshape(4, 4)  # transpose qubit 2
        ev = np.linalg.eigvalsh(pt)
        n = -ev[ev < 0].sum()
        assert magbell.negativity(rho) == pytest.approx(n, abs=1e-14)
        assert magbell.log_negativity(rho) == pytest.approx(np.log2(np.abs(ev).sum()), abs=1e-14)
        # for two qubits: N > 0 iff C > 0
        assert (magbell.negativity(rho) > 1e-12) == (magbell.concurrence(rho) > 1e-12)
    for name in BELL:
        assert magbell.negativity(S.rho_of(name)) == pytest.approx(0.5, abs=1e-15)
        assert magbell.log_negativity(S.rho_of(name)) == pytest.approx(1.0, abs=1e-15)


def test_bell_fidelities(rng):
    for _ in range(20):
        rho = S.random_density_matrix(rng)
        f = magbell.bell_fidelities(rho)
        assert f.shape == (4,) and np.all(f >= -1e-15) and np.all(f <= 1 + 1e-15)
        assert f.sum() == pytest.approx(1, abs=1e-14)  # the Bell states are an orthonormal basis
        for k, name in enumerate(BELL):
            assert f[k] == pytest.approx(np.real(S.KETS[name].conj() @ rho @ S.KETS[name]), abs=1e-15)
    # Bell-diagonal states: the fidelities are the weights
    w = rng.dirichlet(np.ones(4))
    rho = sum(wk * S.rho_of(n) for wk, n in zip(w, BELL))
    np.testing.assert_allclose(magbell.bell_fidelities(rho), w, atol=1e-15)
    np.testing.assert_allclose(magbell.bell_fidelities(S.rho_of("singlet")), [0, 0, 0, 1], atol=1e-15)
    assert magbell.bell_fidelity(S.rho_of("phi-"), "phi-") == pytest.approx(1, abs=1e-15)
    assert magbell.bell_fidelity(S.rho_of("triplet0"), "triplet0") == pytest.approx(1, abs=1e-15)
    with pytest.raises(InvalidStateError, match="'bell'"):
        magbell.bell_fidelity(rho, "bell")


def test_purity_and_populations(rng):
    assert magbell.purity(np.eye(4) / 4) == pytest.approx(0.25, abs=1e-16)
    for _ in range(10):
        rho = S.random_density_matrix(rng)
        assert magbell.purity(rho) == pytest.approx(np.real(np.trace(rho @ rho)), abs=1e-15)
        np.testing.assert_array_equal(magbell.populations(rho), np.real(np.diag(rho)))
    assert magbell.purity(S.proj(S.random_ket(rng))) == pytest.approx(1, abs=1e-15)


def test_measures_are_batched(rng):
    rhos = np.array([S.random_density_matrix(rng) for _ in range(6)]).reshape(2, 3, 4, 4)
    for name, f in M.MEASURES.items():
        out = f(rhos)
        extra = (4,) if name in ("populations", "bell_fidelities") else ()
        assert out.shape == (2, 3) + extra, name
        for i in range(2):
            for j in range(3):
                np.testing.assert_allclose(out[i, j], f(rhos[i, j]), atol=1e-15, err_msg=name)


@pytest.mark.parametrize("name", list(M.MEASURES))
@pytest.mark.parametrize(
    "bad, pattern",
    [
        (np.eye(3) / 3, r"rho must have shape \(\.\.\., 4, 4\), but has shape \(3, 3\)"),
        (np.ones(4) / 4, r"rho must have shape"),
        (np.ones((2, 4, 3)), r"rho must have shape"),
        (np.full((4, 4), np.nan), r"rho contains NaN or inf"),
        (np.diag([np.inf, 0, 0, 0]), r"rho contains NaN or inf"),
    ],
)
def test_measures_reject_bad_input(name, bad, pattern):
    with pytest.raises(InvalidStateError, match=pattern):
        M.MEASURES[name](bad)
