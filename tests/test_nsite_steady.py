"""N-site steady states, dark manifolds, conserved quantities and spectra (issue 11 §2, §5).

References from scratch (no magbell machinery): the dense row-major 4ᴺ × 4ᴺ generator of the System contract
built from Pauli matrices, its kernel projector from ``scipy.linalg.null_space`` of L and L† (P₀ = V(WᴴV)⁻¹Wᴴ,
exact for a semisimple 0), its eigenvalues, and mpmath (30 digits) where a rank is delicate. N = 2 must equal
the two-qubit Model solvers. Tolerance 1e-12 on ρ∞ (a projector of O(1) condition).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

import magbell
from magbell import InvalidParameterError, Model, NonUniqueSteadyStateError, System
from magbell.solvers._system_steady import (
    system_conserved_quantities,
    system_dark_states,
    system_spectrum,
    system_steady_state,
)

from systems import site_op as op  # noqa: E402  (the shared dense references, no magbell imports)
from systems import system_generator as ref_generator  # noqa: E402

TOL = 1e-12


def ref_projector(L, rcond=1e-9):
    V = sla.null_space(L, rcond=rcond)
    W = sla.null_space(L.conj().T, rcond=rcond)
    return V @ np.linalg.solve(W.conj().T @ V, W.conj().T), V.shape[1]


def psd(rng, N, rank=None, scale=1.0):
    X = rng.normal(size=(N, rank or N)) + 1j * rng.normal(size=(N, rank or N))
    return scale * X @ X.conj().T / N


def upper(rng, N, scale):
    return np.triu(rng.normal(size=(N, N)), 1) * scale


def random_system(rng, N, kind):
    kw = dict(Delta=rng.normal(size=N) + 3.0, h_plus=psd(rng, N), J_perp=upper(rng, N, 0.3),
              J_z=upper(rng, N, 0.3), D=upper(rng, N, 0.3))
    if kind == "thermal":
        kw.update(h_minus=psd(rng, N, scale=0.3), h_z=psd(rng, N, scale=0.2))
    elif kind == "dark":  # rank-one collective decay, uniform splitting: a dark manifold
        kw = dict(Delta=np.full(N, 3.0), h_plus=psd(rng, N, rank=1))
    elif kind == "dephased":  # zero temperature with σᶻ jumps (the diagonal-block SVD path)
        kw.update(h_z=psd(rng, N, scale=0.2))
    return System(**kw)


def first_excited(N):
    return "d" + "u" * (N - 1)


# ------------------------------------------------------------------------------------------------ references
@pytest.mark.parametrize("N", [1, 2, 3, pytest.param(4, marks=pytest.mark.slow)])
@pytest.mark.parametrize("kind", ["plain", "thermal", "dark", "dephased"])
def test_against_dense_kernel_projector(N, kind):
    rng = np.random.default_rng(100 * N + len(kind))
    s = random_system(rng, N, kind)
    L = ref_generator(s)
    P0, k = ref_projector(L)
    initial = [first_excited(N), "W", {"u" * N: 0.6, "d" * N: 0.8}]
    r = system_steady_state(s, initial)
    assert int(r.n_stationary) == k
    assert bool(r.unique) == (k == 1)
    for rho, ini in zip(r.rho, r.initial):
        ref = (P0 @ ini.reshape(-1)).reshape(2**N, 2**N)
        assert np.abs(rho - ref).max() < TOL
    assert r.site_populations.shape == (3, N)
    assert np.allclose(r.site_populations, [[np.real(np.trace(rho @ op("-", i, N) @ op("+", i, N))) for i in range(N)]
                                            for rho in r.rho], atol=TOL)


@pytest.mark.parametrize("N", [2, 3])
@pytest.mark.parametrize("kind", ["plain", "thermal", "dark", "dephased"])
def test_conserved_quantities_and_spectrum_against_dense(N, kind):
    rng = np.random.default_rng(7 * N + len(kind))
    s = random_system(rng, N, kind)
    L = ref_generator(s)
    _, k = ref_projector(L)
    C = system_conserved_quantities(s)
    assert C.shape == (k, 2**N, 2**N)
    assert np.allclose(C, np.conj(np.swapaxes(C, -1, -2)), atol=1e-13)  # Hermitian
    for c in C:  # d/dt tr(Cρ) = 0 for every ρ: vec(Cᵀ) is a left null vector
        assert np.abs(c.T.reshape(-1) @ L).max() < 1e-12
    sv = np.linalg.svd(C.reshape(k, -1), compute_uv=False)
    assert sv.min() > 0.5  # independent
    sp = system_spectrum(s)
    ev = np.linalg.eigvals(L)
    assert int(sp.n_stationary) == k
    assert np.sum(sp.eigenvalues == 0) == k
    # every reference eigenvalue is matched by one of magbell's (defective points: sqrt(eps) sensitivity)
    d = np.abs(ev[:, None] - sp.eigenvalues[None, :]).min(axis=1)
    assert d.max() < 1e-6
    gap = -ev.real
    assert sp.slowest_rate == pytest.approx(gap[gap > 1e-8].min(), rel=1e-7)


def test_two_sites_equal_the_model():
    cases = [dict(a=1.0, A=0.5j, delta=0.3, Delta=2.0, a_tilde=0.2, A_tilde=0.1 - 0.05j, d=0.1),
             dict(a=1.0, A=1.0), dict(a=1.0, A=1.0, Delta=1e10), dict(a=2.0, A=0.8 * np.exp(0.7j), Jz=0.3, Jperp=0.2, D_dm=0.1)]
    for kw in cases:
        m = Model(**kw)
        s = m.system()
        r = system_steady_state(s, ["ud", "singlet", "phi+"])
        r2 = magbell.steady_state(m, ["ud", "singlet", "phi+"])
        assert np.abs(r.rho - r2.rho).max() < TOL
        assert int(r.n_stationary) == int(r2.n_stationary) and bool(r.unique) == bool(r2.unique)
        assert np.array_equal(r.converges, r2.converges)
        sp, sp2 = system_spectrum(s), magbell.spectrum(m)
        d = np.abs(sp.eigenvalues[:, None] - sp2.eigenvalues[None, :])
        assert max(d.min(axis=0).max(), d.min(axis=1).max()) < 1e-12
        assert sp.slowest_rate == pytest.approx(float(sp2.slowest_rate), rel=1e-12)
        d, d2 = system_dark_states(s), magbell.dark_states(m)
        assert d.shape == d2.shape
        assert np.allclose(d.conj().T @ d, d2.conj().T @ d2, atol=1e-12)  # the same span
        assert system_conserved_quantities(s).shape[0] == magbell.conserved_quantities(m).shape[0]
    # the N = 2 concurrence through the two-qubit measures
    r = system_steady_state(Model(a=1.0, A=1.0).system(), "ud", measures=["concurrence"])
    assert float(r.concurrence) == pytest.approx(0.5, abs=1e-12)


def test_mean_splitting_is_a_pure_phase():
    """Δ̄ = 1e10 (SI) against rates ~1: ranks and populations unchanged; only stationary coherences between
    sectors whose energies Δ̄ separates disappear (n_stationary as the two-qubit Model: 4 at Δ = 0, 2 at 1e10)."""
    rng = np.random.default_rng(3)
    base = dict(h_plus=psd(rng, 3, rank=1))
    a = system_steady_state(System(Delta=[0.0, 0.0, 0.0], **base), "W")
    b = system_steady_state(System(Delta=[1e10] * 3, **base), "W")
    assert np.abs(a.site_populations - b.site_populations).max() < TOL
    # two dark kets with one excitation and the ground state: 1 + 2² in q = 0, and at Δ̄ = 0 also the
    # ground–dark coherences (2 in q = 1, twice with q = −1)
    assert (int(a.n_stationary), int(b.n_stationary)) == (9, 5)
    c = system_steady_state(System(Delta=[1e10 - 1.0, 1e10, 1e10 + 1.0], h_plus=base["h_plus"], J_perp=upper(rng, 3, 0.2)), "W")
    d = system_steady_state(System(Delta=[-1.0, 0.0, 1.0], h_plus=base["h_plus"], J_perp=c.system.J_perp), "W")
    assert np.abs(c.site_populations - d.site_populations).max() < TOL and int(c.n_stationary) == int(d.n_stationary)
    assert int(system_steady_state(Model(a=1.0, A=1.0).system(), "ud").n_stationary) == 4
    assert int(system_steady_state(Model(a=1.0, A=1.0, Delta=1e10).system(), "ud").n_stationary) == 2


def test_undamped_oscillation_reported_as_model():
    """Two dark states in different sectors (|uu> and the singlet) of different energy: a superposition keeps
    oscillating (converges False), as the two-qubit solver reports."""
    m = Model(a=1.0, A=1.0, Delta=0.5)
    ket = {"uu": 2 ** -0.5, "ud": 0.5, "du": -0.5}
    r = system_steady_state(m.system(), [ket, "ud"])
    r2 = magbell.steady_state(m, [np.array([2 ** -0.5, 0.5, -0.5, 0])[:, None] * np.array([2 ** -0.5, 0.5, -0.5, 0])[None, :], "ud"])
    assert r.converges.tolist() == [False, True] == r2.converges.tolist()
    assert np.abs(r.rho - r2.rho).max() < TOL


def test_delicate_rank_against_mpmath():
    """a − |A| = 1e-6·a: unique, slowest rate a − |A| (the coherence of |uu> and the subradiant state) resolved (mpmath eigenvalues at 30 digits); 1e-12·a:
    within the kernel tolerance (1e-9 of the dissipator), counted degenerate, as for the Model."""
    for eps_, unique in ((1e-6, True), (1e-12, False)):
        s = System(Delta=[1.0, 1.0], h_plus=[[1.0, 1.0 - eps_], [1.0 - eps_, 1.0]])
        mpmath.mp.dps = 30
        ev = mpmath.eig(mpmath.matrix(ref_generator(s).tolist()), left=False, right=False)
        rates = sorted(float(-mpmath.re(e)) for e in ev)
        r = system_steady_state(s, "ud")
        assert bool(r.unique) == unique == bool(magbell.steady_state(Model(a=1.0, A=1.0 - eps_, Delta=1.0), "ud").unique)
        if unique:
            sp = system_spectrum(s)
            assert rates[0] < 1e-25 and sp.slowest_rate == pytest.approx(rates[1], rel=1e-8)
            assert sp.slowest_rate == pytest.approx(eps_, rel=1e-8)  # the ground–subradiant coherence


# ------------------------------------------------------------------------------------------------ published physics
@pytest.mark.parametrize("N", [3, 4, 5, 6, pytest.param(7, marks=pytest.mark.slow), pytest.param(8, marks=pytest.mark.slow)])
def test_1d_medium_at_k_spacing_pi(N):
    """Issue 11 §5: A_ij = a cos(k r_ij) at k·spacing = π is rank one, so N − 1 single-excitation states are dark;
    from one excitation on site 1 the steady state keeps 1 − 1/N in the dark manifold. The whole dark manifold
    has Σ_k (C(N, k) − C(N, k − 1))² stationary operators in q = 0 (dark kets of equal energy pair up)."""
    r = np.arange(N)
    s = System(Delta=np.full(N, 1e10), h_plus=np.cos(np.pi * (r[:, None] - r[None, :])))
    res = system_steady_state(s, first_excited(N))
    dark = system_dark_states(s)
    one = np.array([d for d in dark if abs(np.sum(np.abs(d[[1 << (N - 1 - i) for i in range(N)]]) ** 2) - 1) < 1e-12])
    assert one.shape[0] == N - 1
    w = np.real(np.einsum("ka,ab,kb->", one.conj(), res.rho, one))
    assert w == pytest.approx(1 - 1 / N, abs=1e-12)
    from math import comb

    expect = sum(max(comb(N, k) - (comb(N, k - 1) if k else 0), 0) ** 2 for k in range(N + 1))
    assert int(res.n_stationary) == expect
    assert res.site_populations.shape == (N,)


def test_collective_rates_super_and_subradiant():
    """All-ones σ⁺ block (Dicke limit): one superradiant mode at 2Na, N − 1 dark (rate 0); spectrum's slowest rate."""
    N, a = 4, 0.7
    sp = system_spectrum(System(Delta=[2.0] * N, h_plus=a * np.ones((N, N))))
    assert np.allclose(sp.collective_rates, [0, 0, 0, 2 * N * a], atol=1e-12)
    assert np.allclose(sp.collective_eigenvalues, [2.0, 2.0, 2.0, 2.0 - 1j * N * a], atol=1e-12)  # excitation energy Δ
    one = system_spectrum(System(Delta=[1e10], h_plus=[[0.3]]))
    assert one.collective_eigenvalues[0] == pytest.approx(1e10 - 0.3j, abs=1e-6)
    assert np.isinf(sp.collective_lifetimes[0]) and sp.collective_lifetimes[-1] == pytest.approx(1 / (2 * N * a))
    assert sp.eigenvalues.shape == (4**N,) and sp.sector_eigenvalues[0].shape == (70,)


# ------------------------------------------------------------------------------------------------ contract, refusals
def test_batch_shapes_and_non_unique_without_initial():
    s = System(Delta=[[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], h_plus=np.eye(3), h_minus=0.1 * np.eye(3))
    r = system_steady_state(s)
    assert r.rho.shape == (2, 8, 8) and r.site_populations.shape == (2, 3) and r.unique.tolist() == [True, True]
    r = system_steady_state(s, ["duu", "W"])
    assert r.site_populations.shape == (2, 2, 3) and r.converges.shape == (2, 2)
    with pytest.raises(NonUniqueSteadyStateError, match="not unique"):
        system_steady_state(System(Delta=[1.0] * 3, h_plus=np.ones((3, 3))))


@pytest.mark.parametrize("kw, match", [
    (dict(Delta=[1.0, 2.0, 3.0]), "no dissipator"),
    (dict(Delta=[0.0, 1e6, 0.0], h_plus=np.eye(3)), "exceeds the dissipator"),
    (dict(Delta=[1.0] * 3, h_plus=np.diag([1.0, 1e-80, 1.0]), h_z=1e30 * np.eye(3)), "span"),
    (dict(Delta=[1.0] * 3, h_plus=5e-324 * np.eye(3)), "below 1e-150"),  # returned "not a state" before
])
def test_refusals(kw, match):
    with pytest.raises(InvalidParameterError, match=match):
        system_steady_state(System(**kw), "duu")


def test_refusals_other():
    with pytest.raises(InvalidParameterError, match="magbell.Model or a magbell.System"):
        system_steady_state(Model(a=1.0), "ud")
    with pytest.raises(InvalidParameterError, match="tol"):
        system_steady_state(System(Delta=[1.0], h_plus=[[1.0]]), "d", tol=2.0)
    big = System(Delta=[1.0] * 7, h_plus=np.eye(7), h_minus=0.1 * np.eye(7))  # finite temperature, N = 7
    with pytest.raises(InvalidParameterError, match="factorised densely") as e:
        system_steady_state(big, "d" + "u" * 6)
    assert "\n" not in str(e.value)
    with pytest.raises(InvalidParameterError, match="N ≤ 6|factorised densely"):
        system_spectrum(big)


@settings(max_examples=12, deadline=None, derandomize=True)
@given(N=st.integers(1, 3), seed=st.integers(0, 2**31 - 1), thermal=st.booleans())
def test_property_stationary_state(N, seed, thermal):
    """ρ∞ is a state of the initial trace and 𝓛ρ∞ = 0 (dense reference), for random complex PSD blocks."""
    rng = np.random.default_rng(seed)
    s = random_system(rng, N, "thermal" if thermal else "plain")
    r = system_steady_state(s, first_excited(N))
    L = ref_generator(s)
    assert np.abs(L @ r.rho.reshape(-1)).max() < 1e-11 * max(1.0, np.abs(L).max())
    assert np.trace(r.rho).real == pytest.approx(1.0, abs=1e-12)
    assert np.linalg.eigvalsh(r.rho).min() > -1e-12


def test_si_scale_thermal_chain():
    """SI units (Δ ≈ 1.1e10 rad/s with 1e5 rad/s spread, rates 1e4–1e5 /s, finite temperature): ρ∞ equals the
    dense reference built without the mean splitting (which only rotates phases) to 1e-13; the reference with
    Δ̄ inside carries its rounding eps·Δ̄/rate ~ 1e-12."""
    rng = np.random.default_rng(0)
    N = 3
    x = np.arange(N) * 1.0
    hp = 1.3e5 * np.cos(0.7 * (x[:, None] - x[None, :])) + 0j
    s = System(Delta=1.1e10 + 1e5 * rng.normal(size=N), h_plus=hp, h_minus=0.2 * hp,
               J_perp=np.triu(3e4 * np.sin(0.7 * np.abs(x[:, None] - x[None, :])), 1))
    ref_s = System(Delta=s.Delta - s.Delta.mean(), h_plus=s.h_plus, h_minus=s.h_minus, J_perp=s.J_perp)
    P0, k = ref_projector(ref_generator(ref_s))
    r = system_steady_state(s, "duu")
    rho0 = magbell.system.system_density_matrix("duu", N)
    assert k == int(r.n_stationary) == 1
    assert np.abs(r.rho - (P0 @ rho0.reshape(-1)).reshape(8, 8)).max() < 1e-13


def test_public_functions_dispatch_on_system():
    """magbell.steady_state / spectrum / dark_states / conserved_quantities take an N-site System."""
    s = System(Delta=[1.0] * 3, h_plus=np.ones((3, 3)))
    r = magbell.steady_state(s, "W")
    assert np.array_equal(r.rho, system_steady_state(s, "W").rho) and r.site_populations.shape == (3,)
    assert magbell.spectrum(s).n_stationary == system_spectrum(s).n_stationary
    assert magbell.dark_states(s).shape == (3, 8) and magbell.conserved_quantities(s).shape == (5, 8, 8)
    with pytest.raises(InvalidParameterError, match="magbell.Model or a magbell.System"):
        magbell.steady_state("model")


@pytest.mark.parametrize("dl, jp", [(3e4, 0.0), (1e4, 1e4)])
def test_hamiltonian_near_the_ratio_limit_against_mpmath(dl, jp):
    """δ and J⊥ up to ~1e4 times the rates (the refusal limit HAMILTONIAN_RATIO_MAX), a slow mode 1e-3 of the rates:
    ρ∞ against a 40-digit solve of the generator (trace row replacing one equation) to 1e-10 (measured 4e-12)."""
    s = System(Delta=[1e10 - dl, 1e10 + dl], h_plus=[[1.0, 0.999], [0.999, 1.0]], h_minus=[[0.1, 0.05], [0.05, 0.1]],
               J_perp=[[0, jp], [0, 0]])
    r = system_steady_state(s, "ud")
    mpmath.mp.dps = 40
    A = mpmath.matrix(ref_generator(System(Delta=[-dl, dl], h_plus=s.h_plus, h_minus=s.h_minus, J_perp=s.J_perp)).tolist())
    for j in range(16):
        A[0, j] = 1 if j in (0, 5, 10, 15) else 0
    b = mpmath.matrix(16, 1)
    b[0] = 1
    x = mpmath.lu_solve(A, b)
    ref = np.array([[complex(x[4 * i + j]) for j in range(4)] for i in range(4)])
    assert int(r.n_stationary) == 1 and np.abs(r.rho - ref).max() < 1e-10
    with pytest.raises(InvalidParameterError, match="exceeds the dissipator"):
        system_steady_state(System(Delta=[1e10 - 1e6, 1e10 + 1e6], h_plus=s.h_plus), "ud")


@pytest.mark.parametrize("N", [10, pytest.param(30, marks=pytest.mark.slow)])
def test_more_than_eight_sites_at_zero_temperature(N):
    """N > 8 (no 2ᴺ object: excitation blocks from magbell.liouvillian._excitation): the Bragg chain from one
    excitation on site 1 ends with site populations (1 − 1/N)² and 1/N² (the dark weight 1 − 1/N, §4(a) of
    docs/nqubits.md); the stationary operators within the sectors 0…1 it reaches: 1 + (N − 1)²."""
    x = np.arange(N)
    s = System(Delta=np.full(N, 1e10), h_plus=np.cos(np.pi * (x[:, None] - x[None, :])))
    r = magbell.steady_state(s, first_excited(N))
    expect = np.full(N, 1 / N**2)
    expect[0] = (1 - 1 / N) ** 2
    assert np.abs(r.site_populations - expect).max() < 1e-12
    assert int(r.n_stationary) == 1 + (N - 1) ** 2 and r.rho is None
    assert "sectors 0…1" in r.info["kernel_scope"]
    assert r.purity == pytest.approx((1 - 1 / N) ** 2 + 1 / N**2, abs=1e-12)  # dark part pure, bright part → |0>


def test_block_path_equals_dense_path():
    """The excitation-block path (used for N > 8) against the dense one at N = 4 (σᶻ jumps, all couplings, rank-2
    σ⁺ block, a superposition across sectors)."""
    from magbell.solvers._system_steady_blocks import steady_state_blocks

    rng = np.random.default_rng(4)
    N = 4
    s = System(Delta=rng.normal(size=N) + 3, h_plus=psd(rng, N, rank=2), J_perp=upper(rng, N, 0.3),
               J_z=upper(rng, N, 0.3), D=upper(rng, N, 0.3), h_z=psd(rng, N, scale=0.1))
    ini = ["d" + "u" * (N - 1), {"u" * N: 0.6, "dd" + "u" * (N - 2): 0.8}, "W"]
    a = system_steady_state(s, ini, measures=["site_populations", "purity"])
    b = steady_state_blocks(s, ini, None, 1e-9)
    assert np.abs(a.site_populations - b["site_populations"]).max() < 1e-13
    assert np.abs(a.measures["purity"] - b["measures"]["purity"]).max() < 1e-13
    assert int(a.n_stationary) == int(b["n_stationary"])


def test_more_than_eight_sites_refusals():
    s = System(Delta=[1.0] * 10, h_plus=np.eye(10), h_minus=0.1 * np.eye(10))
    with pytest.raises(InvalidParameterError, match="zero temperature"):
        magbell.steady_state(s, "d" + "u" * 9)
    s = System(Delta=[1.0] * 10, h_plus=np.eye(10))
    with pytest.raises(InvalidParameterError, match="pass initial"):
        magbell.steady_state(s)
    with pytest.raises(InvalidParameterError, match="measures"):
        magbell.steady_state(s, "d" + "u" * 9, measures=["pair_concurrence"])
    with pytest.raises(InvalidParameterError, match="N <= 8"):
        magbell.spectrum(s)


def test_one_excitation_ket_route_equals_dense_path():
    """The ≤ 1-excitation pure-state route of the block path (ρ = |ψ><ψ| + (1 − ‖ψ‖²)|0><0|, dark kets as left and
    right eigenvectors of H_eff) against the dense projector: random couplings, and the two-site dark singlet
    next to |uu> at a different energy (a superposition does not converge; time average reported)."""
    from magbell.solvers._system_steady_blocks import steady_state_blocks

    rng = np.random.default_rng(8)
    cases = [(System(Delta=rng.normal(size=4) + 3, h_plus=psd(rng, 4, rank=2), J_perp=upper(rng, 4, 0.3),
                     J_z=upper(rng, 4, 0.3), D=upper(rng, 4, 0.3)), ["duuu", {"uuuu": 0.6, "uduu": 0.8j}, "W"]),
             (System(Delta=[1.0] * 4, h_plus=np.ones((4, 4))), ["duuu", {"uuuu": 0.6, "uduu": 0.8j}, "W"]),
             (Model(a=1.0, A=1.0, Delta=0.5).system(), [{"uu": 2 ** -0.5, "ud": 0.5, "du": -0.5}, "ud"])]
    for s, ini in cases:
        a = system_steady_state(s, ini, measures=["site_populations", "purity"])
        b = steady_state_blocks(s, ini, None, 1e-9)
        assert np.abs(a.site_populations - b["site_populations"]).max() < 1e-13
        assert np.abs(a.measures["purity"] - b["measures"]["purity"]).max() < 1e-13
        assert a.converges.tolist() == b["converges"].tolist()
        # the block path counts within the sectors 0…1 it reaches (higher sectors may add dark pairs)
        assert int(b["n_stationary"]) <= int(a.n_stationary)
    assert b["converges"].tolist() == [False, True]
    assert int(b["n_stationary"]) == int(a.n_stationary) == 2  # |uu> and the singlet (their coherence rotates)


def test_spectrum_of_a_large_system_is_one_line_not_a_memory_error():
    """Regression: spectrum(System(N=30)) allocated 4ᴺ complex entries (MemoryError) before checking N."""
    import magbell

    s = magbell.System(Delta=np.ones(30), h_plus=np.eye(30))
    with pytest.raises(magbell.InvalidParameterError, match=r"spectrum: .*N <= 8, got N = 30"):
        magbell.spectrum(s)
