"""The fast exact N-site evolve (issue 11 §2): excitation blocks, Krylov chains, the zero-temperature ket path.

References: the dense 4ᴺ × 4ᴺ generator from the System's own operators (System.hamiltonian(),
System.jump_operators(); the System contract, itself checked against Pauli matrices in tests/test_system.py)
propagated by scipy.linalg.expm; QuTiP mesolve (atol = rtol = 1e-12) for N = 3, 4; closed forms for one
excitation among N = 1000 sites (independent decay e^{−2at}; collective decay with h_plus = a·𝟙𝟙ᵀ: the W
component decays as e^{−Nat}, the dark rest stays). Tolerance 1e-10 on ρ (the Krylov error control asks
1e-11 of ‖ρ0‖ over the whole interval; the dense reference's own Padé rounding is ~1e-14 at these norms).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

import magbell
from magbell import InvalidParameterError, InvalidStateError, System
from magbell.liouvillian._excitation import basis_index, configurations, excitation_system, rank
from magbell.solvers._nsite_blocks import evolve_blocks, evolve_ket1

TOL = 1e-10


def random_psd(rng, N, scale=1.0, rank_=None):
    k = N if rank_ is None else rank_
    X = rng.normal(size=(N, k)) + 1j * rng.normal(size=(N, k))
    return scale * X @ X.conj().T / N


def random_params(rng, N, zero_T=False, dephasing=True):
    return dict(
        Delta=rng.normal(size=N) + 2.0,
        h_plus=random_psd(rng, N),
        h_minus=np.zeros((N, N)) if zero_T else random_psd(rng, N, 0.4),
        h_z=random_psd(rng, N, 0.3) if dephasing else np.zeros((N, N)),
        J_perp=rng.normal(size=(N, N)) * 0.5,
        J_z=rng.normal(size=(N, N)) * 0.5,
        D=rng.normal(size=(N, N)) * 0.5,
    )


def dense_generator(s: System) -> np.ndarray:
    """Row-major 4ᴺ × 4ᴺ generator from the System's dense H and jump operators (D_J = J†J· + ·J†J − 2J·J†)."""
    H = s.hamiltonian()
    n = H.shape[0]
    eye = np.eye(n)
    L = -1j * (np.kron(H, eye) - np.kron(eye, H.T))
    for J in s.jump_operators():
        P = J.conj().T @ J
        L = L - (np.kron(P, eye) + np.kron(eye, P.T) - 2 * np.kron(J, J.conj()))
    return L


def dense_states(s, rho0, times, step=0.5):
    """ρ(k·step) = expm(L·step)ᵏ ρ0: one dense exponential (every time a multiple of ``step``)."""
    L = dense_generator(s)
    n = rho0.shape[0]
    ks = np.rint(np.asarray(times) / step).astype(int)
    assert np.allclose(ks * step, times, rtol=0, atol=1e-15)
    E = expm(L * step)
    v, out = rho0.reshape(-1), {}
    for k in range(ks.max() + 1):
        out[k] = v
        v = E @ v
    return np.array([out[k].reshape(n, n) for k in ks])


def ex_of(s: System):
    return excitation_system(s.Delta - s.Delta.mean(), s.h_plus, s.h_minus, s.h_z, s.J_perp, s.J_z, s.D)


def blocks_of(rho, N):
    out = {}
    for n in range(N + 1):
        for m in range(n + 1):
            X = rho[np.ix_(basis_index(N, n), basis_index(N, m))]
            if np.any(X != 0):
                out[(n, m)] = X
    return out


def random_rho(rng, n, rank_=None):
    k = n if rank_ is None else rank_
    X = rng.normal(size=(n, k)) + 1j * rng.normal(size=(n, k))
    r = X @ X.conj().T
    return r / np.trace(r)


def partial_pair(rho, i, j, N):
    T = rho.shape[0]
    R = rho.reshape((T,) + (2,) * (2 * N))
    others = [k for k in range(N) if k not in (i, j)]
    ax = [0] + [1 + k for k in (i, j)] + [1 + k for k in others] + [1 + N + k for k in (i, j)] + [1 + N + k for k in others]
    Rt = R.transpose(ax).reshape(T, 4, 2 ** (N - 2), 4, 2 ** (N - 2))
    return np.einsum("tarbr->tab", Rt)


# ------------------------------------------------------------------------------------------ structure
def test_configurations_rank_and_basis_order():
    for N in range(1, 7):
        for n in range(N + 1):
            conf = configurations(N, n)
            bi = basis_index(N, n)
            assert np.all(np.diff(bi) > 0)  # increasing basis index
            ref = [b for b in range(2**N) if bin(b).count("1") == n]
            assert list(bi) == ref
            assert np.array_equal(rank(N, conf), np.arange(conf.shape[0]))
            rng = np.random.default_rng(N * 10 + n)
            shuffled = rng.permuted(conf, axis=1) if n else conf
            assert np.array_equal(rank(N, shuffled), np.arange(conf.shape[0]))


@settings(max_examples=10, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32 - 1), N=st.integers(1, 4))
def test_heff_blocks_equal_dense_h_minus_i_g(seed, N):
    """H_n = (H − iG) restricted to n excitations, G = Σ_k J_k†J_k from the System's jump operators;
    the σᶻ multiplier equals 2Σ hz_ij s_i s_j′ (random PSD blocks, complex phases, all terms on)."""
    rng = np.random.default_rng(seed)
    s = System(**random_params(rng, N))
    ex = ex_of(s)
    H = s.hamiltonian()
    G = sum(J.conj().T @ J for J in s.jump_operators())
    nexc = np.array([bin(b).count("1") for b in range(2**N)])
    dbar = s.Delta.mean()
    ref = H - 1j * G - dbar * np.diag(nexc) + 0.5 * dbar * N * np.eye(2**N)  # mean splitting removed
    scale = np.abs(ref).max()
    for n in range(N + 1):
        b = basis_index(N, n)
        got = ex.heff(n).toarray()
        assert np.abs(got - ref[np.ix_(b, b)]).max() <= 1e-13 * scale
    sz = np.array([[1 - 2 * ((b >> (N - 1 - i)) & 1) for i in range(N)] for b in range(2**N)], dtype=float)
    for n in range(N + 1):
        for m in range(N + 1):
            want = 2 * np.einsum("ai,ij,bj->ab", sz[basis_index(N, n)], s.h_z, sz[basis_index(N, m)])
            assert np.abs(ex.zjump(n, m) - want).max() <= 1e-13 * max(1.0, np.abs(s.h_z).max())


@settings(max_examples=8, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32 - 1), N=st.integers(1, 4), zero_T=st.booleans(), rank_=st.integers(1, 3))
def test_block_evolution_equals_dense_reference(seed, N, zero_T, rank_):
    """Every chain the initial state reaches (finite T: all excitation numbers; zero T: the triangular chain
    below the initial ones), the assembled and the block-by-block generator, pair states: against the dense
    4ᴺ expm."""
    from magbell.solvers import _nsite_blocks as nb

    rng = np.random.default_rng(seed)
    s = System(**random_params(rng, N, zero_T=zero_T))
    rho0 = random_rho(rng, 2**N, rank_)
    t = np.array([0.0, 0.5, 1.0, 2.0])
    ref = dense_states(s, rho0, t)
    pairs = [(i, j) for i in range(N) for j in range(i + 1, N)] or None
    for assemble in (True, False):
        old = nb.ASSEMBLE_MAX_BYTES
        nb.ASSEMBLE_MAX_BYTES = old if assemble else 0
        try:
            out = evolve_blocks(ex_of(s), s.Delta.mean(), blocks_of(rho0, N), t, want_states=True, pairs=pairs,
                                stats={})
        finally:
            nb.ASSEMBLE_MAX_BYTES = old
        assert np.abs(out["states"] - ref).max() < TOL
        assert np.abs(out["purity"] - np.einsum("tij,tji->t", ref, ref).real).max() < TOL
        if pairs:
            for p, (i, j) in enumerate(pairs):
                assert np.abs(out["pair_states"][:, p] - partial_pair(ref, i, j, N)).max() < TOL


def test_zero_temperature_chain_stops_at_the_initial_excitations():
    rng = np.random.default_rng(3)
    s = System(**random_params(rng, 4, zero_T=True))
    psi = np.zeros(16, complex)
    psi[0b1100], psi[0b0001] = 0.6, 0.8j  # two and one excitations: chains q = 0 (≤ 2), q = 1 (≤ 2)
    rho0 = np.outer(psi, psi.conj())
    stats = {}
    out = evolve_blocks(ex_of(s), s.Delta.mean(), blocks_of(rho0, 4), np.array([0.0, 1.0]), want_states=True,
                        pairs=None, stats=stats)
    assert [(c["q"], c["blocks"]) for c in stats["chains"]] == [(0, (0, 2)), (1, (1, 2))]
    assert np.abs(out["states"] - dense_states(s, rho0, [0.0, 1.0])).max() < TOL


def test_exceptional_point_blocks_and_ket():
    """Two sites with collective decay a·𝟙𝟙ᵀ and splitting difference 2a: H_eff,1 = [[a, −ia], [−ia, −a]] − ia
    is a Jordan block (exceptional point, eigenvalue −ia twice, one eigenvector); a third site coupled
    coherently. Krylov + Padé needs no eigenvectors: both the ket and the block path equal the dense expm."""
    a = 0.7
    N = 3
    hp = np.zeros((N, N), complex)
    hp[:2, :2] = a
    hp[2, 2] = 0.2
    s = System(Delta=[5 + a, 5 - a, 5.0], h_plus=hp, J_perp=[[0, 0, 0.0], [0, 0, 0.3], [0, 0, 0]])
    H1 = ex_of(s).heff(1).toarray()[np.ix_([2, 1], [2, 1])]  # sites 1, 2 (rank order: site 3, 2, 1)
    lam = np.linalg.eigvals(H1)
    assert abs(lam[0] - lam[1]) < 1e-6  # at the EP (eigenvalues split like sqrt(rounding))
    t = np.array([0.0, 0.5, 2.0, 6.0])
    for init in ("duu", "udu"):
        rho0 = magbell.system.system_density_matrix(init, N)
        ref = dense_states(s, rho0, t)
        out = evolve_blocks(ex_of(s), s.Delta.mean(), blocks_of(rho0, N), t, want_states=True, pairs=None, stats={})
        assert np.abs(out["states"] - ref).max() < TOL
        psi1 = np.zeros(N, complex)
        psi1[rank(N, np.array([[init.index("d")]]))[0]] = 1
        k = evolve_ket1(ex_of(s), s.Delta.mean(), 0.0, psi1, t, pairs=None, want_states=True, stats={})
        assert np.abs(k["states"] - ref).max() < TOL


# ------------------------------------------------------------------------------------------ the public evolve
@pytest.fixture
def excitation_path(monkeypatch):
    """Route every N through the excitation blocks (the dense sector path is the reference)."""
    import magbell.system.evolve as ev

    monkeypatch.setattr(ev, "DENSE_MAX_SITES", 0)


INITIALS = ("uudu", "W", "dicke:2", "singlet:1,3", {"uuuu": 0.6, "duuu": 0.8j}, ["W", "dicke:2"])


def test_public_evolve_equals_the_dense_sector_path(monkeypatch):
    """N = 4, finite temperature, all terms: every kind of initial state, a batch of two Systems, the
    multipartite measures, states — the excitation path equals the dense sector path (itself checked against
    the Pauli reference in tests/test_system.py)."""
    import magbell.system.evolve as ev

    rng = np.random.default_rng(7)
    p = random_params(rng, 4)
    s = System(**dict(p, Delta=p["Delta"] + np.array([[0.0], [0.5]])))
    t = np.array([0.4, 0.0, 1.3])  # unsorted on purpose
    ms = ["site_populations", "purity", "pair_concurrence", "pair_reduced_states", "w_fidelity", "gme_dicke_witness:2",
          "negativity:1,2"]
    qobj = pytest.importorskip("qutip").Qobj(magbell.system.system_density_matrix("W", 4), dims=[[2] * 4] * 2)
    for init in INITIALS + (qobj, random_rho(rng, 16, 2)):
        ref = magbell.evolve(s, init, t, store_states=True, measures=ms)
        monkeypatch.setattr(ev, "DENSE_MAX_SITES", 0)
        got = magbell.evolve(s, init, t, store_states=True, measures=ms)
        monkeypatch.setattr(ev, "DENSE_MAX_SITES", 5)
        assert got.states.shape == ref.states.shape
        assert np.abs(got.states - ref.states).max() < TOL
        for m in ms:
            assert got.measures[m].shape == ref.measures[m].shape, m
            assert np.abs(got.measures[m] - ref.measures[m]).max() < TOL, m
    assert "Krylov" in got.info["method"]


def test_pair_concurrence_from_blocks_is_nonzero_and_matches(excitation_path):
    """Zero temperature, singlet on sites 1, 3 of N = 5: the pair concurrence matrix from the excitation blocks
    (no 2ᴺ state) equals the dense one; C_13 starts at 1."""
    from magbell.measures._multipartite import pair_concurrence

    rng = np.random.default_rng(8)
    s = System(**random_params(rng, 5, zero_T=True, dephasing=False))
    t = np.array([0.0, 0.3, 1.0])
    r = magbell.evolve(s, "singlet:1,3", t, store_states=True, measures=["pair_concurrence"])
    assert r.info["route"].startswith("ket")
    c = r.measures["pair_concurrence"]
    assert abs(c[0, 0, 2] - 1) < 1e-12 and c[1].max() > 0.1
    assert np.abs(c - pair_concurrence(r.states, 5)).max() < 1e-10
    ps = magbell.system.pair_states(s, "singlet:1,3", t, pairs=[(3, 1), (1, 3)])
    swap = [0, 2, 1, 3]
    assert np.abs(ps[:, 0] - ps[:, 1][:, swap][:, :, swap]).max() < 1e-15


@pytest.mark.parametrize("N", [3, pytest.param(4, marks=pytest.mark.slow)])
def test_qutip_cross_check_n3_n4(excitation_path, N):
    qutip = pytest.importorskip("qutip")
    rng = np.random.default_rng(300 + N)
    s = System(**random_params(rng, N))
    H, c_ops = s.to_qutip()
    t = np.linspace(0, 1, 3)
    rho0 = magbell.system.system_density_matrix("W", N)
    dims = [[2] * N, [2] * N]
    res = qutip.mesolve(H, qutip.Qobj(rho0, dims=dims), t, c_ops, options={"atol": 1e-12, "rtol": 1e-12})
    ref = np.array([x.full() for x in res.states])
    assert np.abs(magbell.evolve(s, "W", t, store_states=True).states - ref).max() < 1e-8


def test_n7_batch_and_zero_temperature_chain():
    """N = 7 (default route): a batch of two Systems equals its points; at zero temperature from two
    excitations only the blocks with ≤ 2 excitations are propagated."""
    rng = np.random.default_rng(9)
    p = random_params(rng, 7, zero_T=True)
    s = System(**dict(p, Delta=p["Delta"] + np.array([[0.0], [0.3]])))
    t = np.linspace(0, 1, 4)
    r = magbell.evolve(s, "duduuuu", t)
    assert r.site_populations.shape == (2, 4, 7) and r.purity.shape == (2, 4)
    one = magbell.evolve(s[1], "duduuuu", t)
    assert np.abs(one.site_populations - r.site_populations[1]).max() < 1e-15
    assert one.info["chains"] == ((0, (0, 2), 1 + 49 + 441, one.info["chains"][0][3]),)
    assert np.all(np.diff(r.site_populations.sum(axis=-1), axis=-1) <= 1e-12)  # excitations only decay


def test_one_excitation_among_1000_sites_closed_forms():
    """Collective decay h_plus = a·𝟙𝟙ᵀ (rank one: N − 1 dark states) plus local decay b on site 1000 only.
    From |site 1 ↓⟩ = N^{-1/2}|W⟩ + (|1⟩ − N^{-1/2}|W⟩): without b, ψ_1(t) = 1 − 1/N + e^{−Nat}/N and
    ψ_k(t) = (e^{−Nat} − 1)/N (k ≠ 1). Checked at N = 1000 to 1e-12 with b = 0, exact ket path."""
    N, a = 1000, 0.01
    s = System(Delta=np.full(N, 2.0), h_plus=np.full((N, N), a))
    t = np.linspace(0, 5, 11)
    r = magbell.evolve(s, "d" + "u" * (N - 1), t, measures=["site_populations", "purity"])
    assert r.info["route"].startswith("ket")
    e = np.exp(-N * a * t)
    want1 = (1 - 1 / N + e / N) ** 2
    wantk = ((e - 1) / N) ** 2
    assert np.abs(r.site_populations[:, 0] - want1).max() < 1e-12
    assert np.abs(r.site_populations[:, 1:] - wantk[:, None]).max() < 1e-12
    pg = 1 - r.site_populations.sum(axis=1)
    assert np.abs(r.purity - ((1 - pg) ** 2 + pg**2)).max() < 1e-12


def test_independent_decay_of_one_excitation_among_many(excitation_path):
    N = 300
    rates = np.linspace(0.1, 1.0, N)
    s = System(Delta=np.ones(N), h_plus=np.diag(rates))
    t = np.array([0.0, 0.7, 3.0])
    init = {"u" * (N - 1) + "d": 0.6, "d" + "u" * (N - 1): 0.8}
    r = magbell.evolve(s, init, t)
    assert abs(r.site_populations[-1, -1] - 0.36 * np.exp(-2 * rates[-1] * 3.0)) < 1e-13
    assert abs(r.site_populations[-1, 0] - 0.64 * np.exp(-2 * rates[0] * 3.0)) < 1e-13


# ------------------------------------------------------------------------------------------ refusals
def test_refusals_are_one_line():
    s20 = System(Delta=np.ones(20), h_plus=np.eye(20), h_minus=0.5 * np.eye(20))
    cases = [
        (lambda: magbell.evolve(s20, "d" + "u" * 19, [1.0]), InvalidParameterError, r"N = 20 sites.*q = 0.*GiB"),
        (lambda: magbell.evolve(System(Delta=np.ones(60)), "dicke:30", [1.0]), InvalidStateError, r"configurations.*GiB"),
        (lambda: magbell.evolve(System(Delta=np.ones(12)), "u" * 12, np.linspace(0, 1, 100), store_states=True),
         InvalidParameterError, r"store_states=True for N = 12.*GiB"),
        (lambda: magbell.evolve(System(Delta=np.ones(14)), np.zeros(2**14), [1.0]), InvalidStateError, r"dense initial"),
        (lambda: magbell.evolve(System(Delta=np.ones(12)), "u" * 12, np.linspace(0, 1, 100), measures=["negativity:1"]),
         InvalidParameterError, r"negativity:1.*dense"),
        (lambda: magbell.evolve(System(Delta=np.ones(7), h_plus=np.eye(7)), "duuuuuu", [1e12]),
         InvalidParameterError, r"t·‖L‖ = .*exceeds 1e\+09"),
        (lambda: magbell.evolve(System(Delta=np.ones(7)), "u" * 7, [1.0], measures=["bogus"]), InvalidParameterError,
         r"unknown measure 'bogus'"),
        (lambda: magbell.system.pair_states(System(Delta=np.ones(7)), "u" * 7, [1.0], pairs=[(1, 1)]),
         InvalidParameterError, r"pairs: \(1, 1\)"),
        (lambda: magbell.evolve(System(Delta=np.ones(7)), {"uuuuuuu": 0.5}, [1.0]), InvalidStateError, r"normalised"),
        (lambda: magbell.system.system_density_matrix("W", 30), InvalidStateError, r"N = 30 sites has 2\^30"),
        (lambda: magbell.evolve(System(Delta=np.ones(7)), "uuuuuud", [1.0], store_states=True).states[0].shape and
         System(Delta=np.ones(9)).hamiltonian(), InvalidParameterError, r"hamiltonian\(\) .* N <= 8"),
    ]
    for fn, err, match in cases:
        with pytest.raises(err, match=match) as e:
            fn()
        assert "\n" not in str(e.value)


def test_work_budget_is_a_one_line_refusal(monkeypatch):
    """Coherent hopping that never relaxes at t·‖L‖ ~ 1e7: the Krylov work grows like t·‖L‖; past the budget
    (lowered here so the test is fast) one line naming the time reached, not an hour of computing."""
    from magbell.solvers import _nsite_blocks as nb

    monkeypatch.setattr(nb, "MATVECS_MAX", 2000)
    s = System(Delta=np.ones(7), J_perp=np.diag(np.ones(6), 1))
    with pytest.raises(InvalidParameterError, match=r"reached only t = .* of 1e\+07 within its work budget") as e:
        magbell.evolve(s, "ddduuuu", [1e7])
    assert "\n" not in str(e.value)


def test_result_contract_at_n12():
    """N = 12 (never a 2ᴺ state): shapes of the contract, the initial axis and site labels in to_xarray."""
    pytest.importorskip("xarray")
    s = System(Delta=np.ones(12), h_plus=0.3 * np.eye(12))
    t = np.linspace(0, 1, 5)
    r = magbell.evolve(s, ["d" + "u" * 11, "W"], t, measures=["site_populations", "purity", "pair_concurrence",
                                                               "w_fidelity", "gme_w_witness"])
    assert np.abs(r.measures["w_fidelity"][1] - np.exp(-0.6 * t)).max() < 1e-12  # ψ = e^{−at}|W⟩, a = 0.3
    assert np.abs(r.measures["gme_w_witness"][1] - (11 / 12 - np.exp(-0.6 * t))).max() < 1e-12
    assert r.site_populations.shape == (2, 5, 12) and r.purity.shape == (2, 5)
    assert r.measures["pair_concurrence"].shape == (2, 5, 12, 12) and r.states is None
    ds = r.to_xarray()
    assert dict(ds.sizes) == {"initial": 2, "t": 5, "site": 12, "site_j": 12}
    assert list(ds.coords["initial"].values) == ["d" + "u" * 11, "W"]
    w = r.measures["pair_concurrence"][1, -1]  # W decays locally: C_ij = 2|ψ_i||ψ_j| = 2 e^{-0.6 t}/12
    assert abs(w[0, 1] - 2 * np.exp(-0.6) / 12) < 1e-12 and w[3, 3] == 0


def test_si_scale_mean_splitting_is_an_exact_phase():
    """Δ_i = 1e10 + δ_i (SI splittings) at N = 6: the same ρ as with Δ_i = δ_i − mean δ up to the exact phase
    e^{−iqΔ̄t} of coherences with q = n − m (phase from the float values with mpmath, 40 digits)."""
    import mpmath

    rng = np.random.default_rng(12)
    N = 6
    d = rng.normal(size=N)
    p = random_params(rng, N)
    big = System(**dict(p, Delta=1e10 + d))
    dbar = float(np.mean(1e10 + d))
    small = System(**dict(p, Delta=(1e10 + d) - dbar))
    t = np.array([0.0, 0.37, 1.1])
    init = {"uuuuuu": 0.6, "duuuuu": 0.8j}
    rb = magbell.evolve(big, init, t, store_states=True).states
    rs = magbell.evolve(small, init, t, store_states=True).states
    nexc = np.array([bin(b).count("1") for b in range(2**N)])
    q = nexc[:, None] - nexc[None, :]
    mpmath.mp.dps = 40
    for k, tk in enumerate(t):
        ph = {qq: complex(mpmath.exp(-1j * qq * mpmath.mpf(dbar) * mpmath.mpf(float(tk)))) for qq in range(-N, N + 1)}
        want = rs[k] * np.vectorize(ph.get)(q)
        assert np.abs(rb[k] - want).max() < 1e-10


@pytest.mark.parametrize("N", [3, 12])
def test_site_populations_always_present_whatever_measures_asks(N):
    """Issue 11 contract: result.site_populations has shape (..., n_times, N) — also with measures=[...]."""
    s = magbell.System(Delta=np.ones(N), h_plus=np.eye(N))
    r = magbell.evolve(s, "d" + "u" * (N - 1), np.linspace(0, 1, 4), measures=["purity"])
    assert r.site_populations.shape == (4, N)
    np.testing.assert_allclose(r.site_populations[:, 0], np.exp(-2 * np.linspace(0, 1, 4)), rtol=1e-10)
