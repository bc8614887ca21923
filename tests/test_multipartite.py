"""Multipartite measures (issue 11 §3, magbell.measures._multipartite) against references built here.

References (no magbell machinery except the two-qubit concurrence/negativity for the N = 2 identity):
site operators and Dicke kets from explicit Kronecker products, partial traces and partial transposes by
loops over basis indices, Schmidt coefficients by the SVD of the reshaped ket over every bipartition.
Tolerance 1e-12 (all quantities are sums/eigenvalues of O(1) matrices of size ≤ 64: rounding ~1e-15).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magbell.errors import InvalidParameterError, InvalidStateError
from magbell.measures import concurrence as concurrence2
from magbell.measures import negativity as negativity2
from magbell.measures import _multipartite as mp

TOL = 1e-12
DOWN = np.diag([0.0, 1.0])


def site_op(o, i, N):
    out = np.ones((1, 1))
    for k in range(N):
        out = np.kron(out, o if k == i else np.eye(2))
    return out


def random_rho(N, rng, rank=None, batch=()):
    n = 2**N
    r = n if rank is None else rank
    G = rng.normal(size=batch + (n, r)) + 1j * rng.normal(size=batch + (n, r))
    rho = G @ np.conj(np.swapaxes(G, -1, -2))
    return rho / np.trace(rho, axis1=-2, axis2=-1)[..., None, None]


def dicke_ket(N, k):
    v = np.zeros(2**N, dtype=complex)
    for S in combinations(range(N), k):
        v[sum(1 << (N - 1 - i) for i in S)] = 1
    return v / np.linalg.norm(v)


def bits(a, N):
    return [(a >> (N - 1 - i)) & 1 for i in range(N)]


def ref_reduce(rho, keep, N):
    """Partial trace by loops: keep (0-based, in order)."""
    k = len(keep)
    out = np.zeros((2**k, 2**k), dtype=complex)
    for a in range(2**N):
        for b in range(2**N):
            ba, bb = bits(a, N), bits(b, N)
            if any(ba[i] != bb[i] for i in range(N) if i not in keep):
                continue
            ia = int("".join(str(ba[i]) for i in keep), 2)
            ib = int("".join(str(bb[i]) for i in keep), 2)
            out[ia, ib] += rho[a, b]
    return out


def ref_partial_transpose(rho, part, N):
    out = np.zeros_like(rho)
    for a in range(2**N):
        for b in range(2**N):
            ba, bb = bits(a, N), bits(b, N)
            na, nb = list(ba), list(bb)
            for i in part:
                na[i], nb[i] = bb[i], ba[i]
            out[int("".join(map(str, na)), 2), int("".join(map(str, nb)), 2)] = rho[a, b]
    return out


# ----------------------------------------------------------------------------- populations, purity, traces
@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_site_populations_and_purity_match_reference(N):
    rng = np.random.default_rng(10 + N)
    rho = random_rho(N, rng, batch=(3,))
    got = mp.site_populations(rho)
    assert got.shape == (3, N)
    for b in range(3):
        ref = [np.real(np.trace(rho[b] @ site_op(DOWN, i, N))) for i in range(N)]
        np.testing.assert_allclose(got[b], ref, atol=TOL)
        assert abs(mp.purity(rho)[b] - np.real(np.trace(rho[b] @ rho[b]))) < TOL


@pytest.mark.parametrize("keep", [(1,), (3,), (1, 3), (3, 1), (2, 4, 1), (1, 2, 3, 4)])
def test_reduced_state_matches_loop_reference(keep):
    N = 4
    rho = random_rho(N, np.random.default_rng(7))
    got = mp.reduced_state(rho, keep)
    ref = ref_reduce(rho, tuple(k - 1 for k in keep), N)
    np.testing.assert_allclose(got, ref, atol=TOL)


def test_pair_reduced_states_layout():
    N = 3
    rho = random_rho(N, np.random.default_rng(3), batch=(2,))
    pr = mp.pair_reduced_states(rho)
    assert pr.shape == (2, N, N, 4, 4)
    for b in range(2):
        for i in range(N):
            assert np.all(pr[b, i, i] == 0)
            for j in range(N):
                if i != j:
                    np.testing.assert_allclose(pr[b, i, j], ref_reduce(rho[b], (i, j), N), atol=TOL)


# ----------------------------------------------------------------------------- pair concurrence
@pytest.mark.parametrize("N", [3, 4, 5])
def test_w_state_pair_concurrence_is_2_over_N(N):
    w = dicke_ket(N, 1)
    C = mp.pair_concurrence(np.outer(w, w.conj()))
    expect = np.full((N, N), 2.0 / N)
    np.fill_diagonal(expect, 0.0)
    np.testing.assert_allclose(C, expect, atol=1e-12)


def test_singlet_on_one_pair_only():
    N, (i, j) = 4, (2, 4)
    v = np.zeros(2**N, dtype=complex)
    v[1 << (N - j)] = 1 / np.sqrt(2)  # site i up, site j down
    v[1 << (N - i)] = -1 / np.sqrt(2)
    C = mp.pair_concurrence(np.outer(v, v.conj()))
    expect = np.zeros((N, N))
    expect[i - 1, j - 1] = expect[j - 1, i - 1] = 1.0
    np.testing.assert_allclose(C, expect, atol=1e-12)


def test_pair_concurrence_n2_is_the_two_qubit_concurrence_and_reduced_input_agrees():
    rng = np.random.default_rng(5)
    rho = random_rho(2, rng, rank=2, batch=(4,))
    C = mp.pair_concurrence(rho)
    np.testing.assert_allclose(C[:, 0, 1], concurrence2(rho), atol=0)
    rho4 = random_rho(4, rng, rank=3, batch=(2,))
    np.testing.assert_allclose(
        mp.pair_concurrence(mp.pair_reduced_states(rho4), reduced=True), mp.pair_concurrence(rho4), atol=0
    )


@settings(max_examples=15, deadline=None, derandomize=True)
@given(N=st.integers(2, 4), seed=st.integers(0, 2**31 - 1), rank=st.integers(1, 4))
def test_pair_concurrence_properties(N, seed, rank):
    rho = random_rho(N, np.random.default_rng(seed), rank=rank)
    C = mp.pair_concurrence(rho)
    assert np.all(C == C.T) and np.all(np.diag(C) == 0)
    assert np.all((C >= 0) & (C <= 1 + 1e-12))
    for i, j in combinations(range(N), 2):
        assert abs(C[i, j] - concurrence2(ref_reduce(rho, (i, j), N))) < 1e-10


# ----------------------------------------------------------------------------- negativity
@settings(max_examples=15, deadline=None, derandomize=True)
@given(N=st.integers(2, 4), seed=st.integers(0, 2**31 - 1), data=st.data())
def test_negativity_matches_explicit_partial_transpose_and_complement(N, seed, data):
    rho = random_rho(N, np.random.default_rng(seed), rank=data.draw(st.integers(1, 3)))
    size = data.draw(st.integers(1, N - 1))
    part = tuple(sorted(data.draw(st.permutations(range(1, N + 1)))[:size]))
    ev = np.linalg.eigvalsh(ref_partial_transpose(rho, [p - 1 for p in part], N))
    ref = -np.sum(ev[ev < 0])
    got = mp.negativity(rho, part)
    assert abs(got - ref) < TOL
    rest = tuple(s for s in range(1, N + 1) if s not in part)
    assert abs(mp.negativity(rho, rest) - got) < 1e-12  # N_A = N_Ā (ρ^{T_Ā} = (ρ^{T_A})ᵀ)
    assert abs(mp.log_negativity(rho, part) - np.log2(2 * ref + 1)) < 1e-12


def test_negativity_known_values():
    rng = np.random.default_rng(1)
    rho = random_rho(2, rng, rank=1, batch=(3,))
    np.testing.assert_allclose(mp.negativity(rho, (1,)), negativity2(rho), atol=1e-14)
    ghz = np.zeros(8)
    ghz[[0, 7]] = 2**-0.5
    assert abs(mp.negativity(np.outer(ghz, ghz), (1,)) - 0.5) < TOL
    assert abs(mp.log_negativity(np.outer(ghz, ghz), (2, 3)) - 1.0) < TOL
    prod = np.zeros((8, 8))
    prod[5, 5] = 1.0  # "dud"
    assert mp.negativity(prod, (1, 2)) == 0.0


# ----------------------------------------------------------------------------- Dicke, W, GME
@pytest.mark.parametrize("N,k", [(3, 1), (4, 2), (5, 2), (4, 0), (4, 4)])
def test_dicke_fidelity_matches_dense_ket(N, k):
    rho = random_rho(N, np.random.default_rng(N * 10 + k), batch=(2,))
    d = dicke_ket(N, k)
    ref = np.real(np.einsum("i,bij,j->b", d.conj(), rho, d))
    np.testing.assert_allclose(mp.dicke_fidelity(rho, k), ref, atol=TOL)
    if k == 1:
        np.testing.assert_allclose(mp.w_fidelity(rho), ref, atol=TOL)


def schmidt_bound(ket, N):
    """max over bipartitions of the largest squared Schmidt coefficient (SVD)."""
    best = 0.0
    psi = ket.reshape((2,) * N)
    for size in range(1, N // 2 + 1):
        for A in combinations(range(N), size):
            rest = [i for i in range(N) if i not in A]
            M = np.transpose(psi, list(A) + rest).reshape(2**size, -1)
            best = max(best, np.linalg.svd(M, compute_uv=False)[0] ** 2)
    return best


@pytest.mark.parametrize("N", [2, 3, 4, 5, 6, 7])
def test_gme_bound_is_the_largest_squared_schmidt_coefficient(N):
    for k in range(N + 1):
        assert abs(mp.gme_fidelity_bound(N, k) - schmidt_bound(dicke_ket(N, k), N)) < 1e-12, (N, k)
    assert mp.gme_fidelity_bound(N, 1) == pytest.approx((N - 1) / N, abs=1e-15)  # Bourennane et al. 2004
    if N % 2 == 0 and N >= 4:
        assert mp.gme_fidelity_bound(N, N // 2) == pytest.approx(N / (2 * (N - 1)), abs=1e-15)  # Tóth 2007


@settings(max_examples=25, deadline=None, derandomize=True)
@given(N=st.integers(3, 5), seed=st.integers(0, 2**31 - 1), data=st.data())
def test_biseparable_states_never_trigger_the_witness(N, seed, data):
    """A random pure product over a random bipartition, and mixtures of such: ⟨𝒲⟩ ≥ 0 (the threshold is
    an upper bound on their fidelity); the W state itself gives −1/N."""
    rng = np.random.default_rng(seed)
    k = data.draw(st.integers(1, N - 1))
    mix = np.zeros((2**N, 2**N), dtype=complex)
    for _ in range(3):
        size = int(rng.integers(1, N))
        A = sorted(rng.permutation(N)[:size].tolist())
        rest = [i for i in range(N) if i not in A]
        a = rng.normal(size=2**size) + 1j * rng.normal(size=2**size)
        b = rng.normal(size=2 ** (N - size)) + 1j * rng.normal(size=2 ** (N - size))
        psi = np.kron(a / np.linalg.norm(a), b / np.linalg.norm(b)).reshape((2,) * N)
        psi = np.transpose(psi, np.argsort(A + rest)).ravel()
        rho = np.outer(psi, psi.conj())
        assert mp.gme_witness(rho, k=k) >= -1e-12
        mix += rho / 3
    assert mp.gme_witness(mix, k=k) >= -1e-12
    w = dicke_ket(N, 1)
    assert abs(mp.gme_witness(np.outer(w, w.conj())) + 1 / N) < 1e-12


def test_witness_threshold_is_attained_by_a_biseparable_state():
    """Tightness: the product of the leading Schmidt vectors across the best cut has fidelity α exactly."""
    N = 4
    w = dicke_ket(N, 1).reshape(2, 8)  # cut 1 | 234
    U, s, Vh = np.linalg.svd(w)
    psi = np.kron(U[:, 0], Vh[0])
    assert abs(mp.gme_witness(np.outer(psi, psi.conj()))) < 1e-12


def test_white_noise_threshold_of_the_w_witness():
    """ρ = p|W⟩⟨W| + (1 − p)1/2ᴺ: ⟨𝒲⟩ < 0 iff p > (α − 2⁻ᴺ)/(1 − 2⁻ᴺ)."""
    N = 4
    w = dicke_ket(N, 1)
    alpha = (N - 1) / N
    pc = (alpha - 2.0**-N) / (1 - 2.0**-N)
    ps = np.array([pc - 1e-6, pc + 1e-6])
    rho = ps[:, None, None] * np.outer(w, w.conj()) + (1 - ps[:, None, None]) * np.eye(2**N) / 2**N
    wit = mp.gme_witness(rho)
    assert wit[0] > 0 > wit[1]


# ----------------------------------------------------------------------------- registry and errors
def test_registry_names_and_parametrised_names():
    rho = random_rho(3, np.random.default_rng(0), batch=(2,))
    shapes = {"site_populations": (2, 3), "pair_concurrence": (2, 3, 3)}
    for name, f in mp.MULTIPARTITE_MEASURES.items():
        assert f is mp.multipartite_measure(name)
        assert np.shape(f(rho, 3)) == shapes.get(name, (2,)), name
    np.testing.assert_allclose(mp.multipartite_measure("negativity:1,3")(rho, 3), mp.negativity(rho, (1, 3)))
    np.testing.assert_allclose(mp.multipartite_measure("half_chain_negativity")(rho, 3), mp.negativity(rho, (1,)))
    np.testing.assert_allclose(mp.multipartite_measure("gme_dicke_witness:2")(rho, 3), mp.gme_witness(rho, 3, 2))
    np.testing.assert_allclose(mp.multipartite_measure("dicke_fidelity:0")(rho, 3), np.real(rho[:, 0, 0]))
    np.testing.assert_allclose(mp.multipartite_measure("gme_w_witness")(rho, 3), 2 / 3 - mp.w_fidelity(rho))


@pytest.mark.parametrize(
    "call, err, text",
    [
        (lambda: mp.site_populations(np.eye(3) / 3), InvalidStateError, "2^N"),
        (lambda: mp.site_populations(np.ones((4, 2))), InvalidStateError, "shape"),
        (lambda: mp.site_populations(np.full((4, 4), np.nan)), InvalidStateError, "NaN"),
        (lambda: mp.purity(np.full((4, 4), 1e200)), InvalidStateError, "magnitude 1e+200 > 1"),
        (lambda: mp.site_populations(np.eye(4) / 4, N=3), InvalidStateError, "N = 3"),
        (lambda: mp.site_populations("W"), InvalidStateError, "array"),
        (lambda: mp.site_populations(np.eye(4) / 4, N=True), InvalidParameterError, "integer"),
        (lambda: mp.negativity(np.eye(8) / 8, (0,)), InvalidParameterError, "1..3"),
        (lambda: mp.negativity(np.eye(8) / 8, (4,)), InvalidParameterError, "1..3"),
        (lambda: mp.negativity(np.eye(8) / 8, (1, 1)), InvalidParameterError, "distinct"),
        (lambda: mp.negativity(np.eye(8) / 8, (1, 2, 3)), InvalidParameterError, "other side"),
        (lambda: mp.negativity(np.eye(8) / 8, ()), InvalidParameterError, "at least one"),
        (lambda: mp.negativity(np.eye(8) / 8, "12"), InvalidParameterError, "tuple"),
        (lambda: mp.negativity(np.eye(8) / 8, (True,)), InvalidParameterError, "integer"),
        (lambda: mp.reduced_state(np.eye(8) / 8, (1.0,)), InvalidParameterError, "integer"),
        (lambda: mp.dicke_fidelity(np.eye(8) / 8, 4), InvalidParameterError, "0 <= k <= N = 3"),
        (lambda: mp.gme_fidelity_bound(0), InvalidParameterError, "N"),
        (lambda: mp.pair_concurrence(np.zeros((3, 2, 4, 4)), reduced=True), InvalidStateError, "(..., N, N, 4, 4)"),
        (lambda: mp.multipartite_measure("concurrence"), InvalidParameterError, "unknown"),
        (lambda: mp.multipartite_measure("negativity:a"), InvalidParameterError, "negativity:i,j"),
        (lambda: mp.multipartite_measure("dicke_fidelity:1,2"), InvalidParameterError, "dicke_fidelity:k"),
        (lambda: mp.site_populations(np.zeros((2**15, 1))), InvalidStateError, "shape"),
    ],
)
def test_bad_input_is_one_line(call, err, text):
    with pytest.raises(err) as e:
        call()
    msg = str(e.value)
    assert "\n" not in msg and text in msg, msg
