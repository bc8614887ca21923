"""magbell.System (issue 10, the N-site core): the one generator builder, sectors for any N, exact evolve.

References are built here from Pauli matrices and the contract's formulas (no magbell machinery):
H = −½ Σ Δ_i σ_iᶻ + Σ_{i<j} [J⊥(σˣσˣ + σʸσʸ) + Jz σᶻσᶻ + D(σ_iˣσ_jʸ − σ_iʸσ_jˣ)] and the dissipator
−Σ_ij h[i, j] (O_j†O_i ρ + ρ O_j†O_i − 2 O_i ρ O_j†) with O = σ⁺, σ⁻, σᶻ, as a dense row-major 4ᴺ × 4ᴺ
matrix propagated with scipy.linalg.expm. Tolerance 1e-12 on ρ (Padé rounding ~eps·‖L t‖ at O(1) times,
tests/README.md); QuTiP 1e-8 (mesolve at atol = rtol = 1e-12).
"""

from __future__ import annotations

from types import SimpleNamespace

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

import magbell
from magbell import InvalidParameterError, InvalidStateError, Model, System
from magbell.liouvillian._superop import dissipator_superop, hamiltonian_superop, sector_basis

from systems import site_op as op  # noqa: E402  (the shared dense references, no magbell imports)
from systems import system_generator, system_h_k  # noqa: E402

TOL = 1e-12


def _contract(Delta, hp=None, hm=None, hz=None, Jp=None, Jz=None, Dm=None):
    N = len(Delta)
    z = np.zeros((N, N))
    return SimpleNamespace(N=N, Delta=Delta, h_plus=z if hp is None else hp, h_minus=z if hm is None else hm,
                           h_z=z if hz is None else hz, J_perp=Jp, J_z=Jz, D=Dm)


def ref_hamiltonian(Delta, Jp, Jz, Dm):
    """Dense H of the contract, from scratch (tests/systems.py)."""
    return system_h_k(_contract(Delta, Jp=Jp, Jz=Jz, Dm=Dm))[0]


def ref_generator(Delta, hp, hm, hz, Jp, Jz, Dm):
    """Dense row-major generator of the contract, from scratch (tests/systems.py)."""
    return system_generator(_contract(Delta, hp, hm, hz, Jp, Jz, Dm))


_EXPM = {}


def _expm_cached(L, step):
    key = (L.tobytes(), step)
    if key not in _EXPM:
        _EXPM.clear()
        _EXPM[key] = expm(L * step)
    return _EXPM[key]


def ref_states(L, rho0, times, step=None):
    """ρ(t) = expm(L t) ρ0; with ``step`` h, every t must be k·h and ρ(kh) = expm(L h)^k ρ0 (one expm)."""
    n = rho0.shape[-1]
    if step is None:
        return np.array([(expm(L * t) @ rho0.reshape(-1)).reshape(n, n) for t in times])
    E = _expm_cached(L, step)
    ks = np.rint(np.asarray(times) / step).astype(int)
    assert np.allclose(ks * step, times, rtol=1e-15, atol=0)
    v, out = rho0.reshape(-1), {}
    for k in range(ks.max() + 1):
        out[k] = v
        v = E @ v
    return np.array([out[k].reshape(n, n) for k in ks])


def random_psd(rng, N, scale=1.0, rank=None):
    k = N if rank is None else rank
    X = rng.normal(size=(N, k)) + 1j * rng.normal(size=(N, k))
    return scale * X @ X.conj().T / N


def random_params(rng, N):
    return dict(
        Delta=rng.normal(size=N) * 2,
        h_plus=random_psd(rng, N),
        h_minus=random_psd(rng, N, 0.3),
        h_z=random_psd(rng, N, 0.2),
        J_perp=rng.normal(size=(N, N)) * 0.5,
        J_z=rng.normal(size=(N, N)) * 0.5,
        D=rng.normal(size=(N, N)) * 0.5,
    )


def ref_of(p):
    return ref_generator(p["Delta"], p["h_plus"], p["h_minus"], p["h_z"], p["J_perp"], p["J_z"], p["D"])


def random_rho(rng, n):
    X = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    r = X @ X.conj().T
    return r / np.trace(r)


# ------------------------------------------------------------------------------------------ the builder
@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_builder_equals_dense_reference(N):
    from magbell.system.generator import basis_superoperators

    rng = np.random.default_rng(N)
    p = random_params(rng, N)
    c = System(**p).coefficients()
    L = sum(ck * Sk.toarray() for ck, Sk in zip(c, basis_superoperators(N)))
    ref = ref_of(p)
    assert np.max(np.abs(L - ref)) < 1e-14 * np.max(np.abs(ref))


@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_sector_coordinates_are_superop_sector_basis(N):
    from magbell.system.generator import sector_blocks, sector_coordinates

    sc, sb = sector_coordinates(N), sector_basis(N)
    assert np.array_equal(sc.to_real().toarray(), sb.to_real)
    assert np.array_equal(sc.from_real().toarray(), sb.from_real)
    assert all(np.array_equal(a, b) for a, b in zip(sc.blocks, sb.blocks))
    rng = np.random.default_rng(10 + N)
    rho = random_rho(rng, 2**N)
    assert np.allclose(sc.real_coordinates(rho), sb.real_coordinates(rho), atol=1e-16, rtol=0)
    assert np.allclose(sc.density_matrix(sc.real_coordinates(rho)), rho, atol=1e-16, rtol=0)
    # the real blocks are the generator restricted to each sector
    p = random_params(rng, N)
    c = System(**p).coefficients()
    full = (sb.to_real @ ref_of(p) @ sb.from_real).real
    for q, blk in enumerate(sector_blocks(N)):
        idx = sb.blocks[q]
        assert np.max(np.abs(blk.generator(c)[0] - full[np.ix_(idx, idx)])) < 1e-13


def test_model_basis_comes_from_the_builder_bitwise():
    """Model.basis_superoperators() (now from the N-site builder) equals the former two-site construction."""
    from magbell.system import _model as M

    hs = [hamiltonian_superop(H) for H in M._hamiltonian_terms()]
    ds = [dissipator_superop(hk, M._operator_list()) for hk in M._h_basis()]
    old = np.stack(hs + ds)
    assert np.array_equal(M.basis_superoperators(), old)
    sb = sector_basis(2)
    real = (sb.to_real @ old @ sb.from_real).real
    for q, b in enumerate(M.basis_blocks()):
        idx = sb.blocks[q]
        assert np.array_equal(b, real[:, idx[:, None], idx[None, :]])


# ------------------------------------------------------------------------------------------ Model ↔ System
def _random_model(rng, shape=()):
    def u(lo, hi):
        return rng.uniform(lo, hi, size=shape)

    def z(r):
        return r * np.exp(1j * rng.uniform(0, 2 * np.pi, size=shape))

    a, a2, at, at2, d, d2 = u(0.5, 1.5), u(0.5, 1.5), u(0, 0.5), u(0, 0.5), u(0, 0.4), u(0, 0.4)
    return Model(
        a=a, a2=a2, A=z(0.9 * np.sqrt(a * a2)), a_tilde=at, a_tilde2=at2, A_tilde=z(0.9 * np.sqrt(at * at2)),
        d=d, d2=d2, D_deph=z(0.9 * np.sqrt(d * d2)), delta=u(-1, 1), Delta=u(-3, 3), Jz=u(-1, 1), Jperp=u(-1, 1),
        D_dm=u(-1, 1),
    )


def test_model_system_same_generator_and_evolution():
    rng = np.random.default_rng(5)
    m = _random_model(rng, (4,))
    s = m.system()
    assert s.N == 2 and s.shape == (4,)
    for k in range(4):
        L = m[k].liouvillian()
        ref = ref_of({name: np.asarray(getattr(s[k], name)) for name in
                      ("Delta", "h_plus", "h_minus", "h_z", "J_perp", "J_z", "D")})
        assert np.max(np.abs(L - ref)) < 4e-16 * np.max(np.abs(L))
    t = np.linspace(0, 4, 9)
    rho = random_rho(rng, 4)
    for init in ("ud", "singlet", "phi+", rho):
        a = magbell.evolve(m, init, t, store_states=True)
        b = magbell.evolve(s, init, t, store_states=True, measures=["concurrence", "site_populations", "purity"])
        assert np.max(np.abs(a.states - b.states)) < 1e-14
        assert np.max(np.abs(a.concurrence - b.measures["concurrence"])) < 1e-13
        assert np.allclose(b.site_populations, np.stack([a.populations[..., 2] + a.populations[..., 3],
                                                         a.populations[..., 1] + a.populations[..., 3]], -1),
                           atol=1e-15)


def test_model_system_blocks_follow_the_contract():
    m = Model(a=1.0, A=0.5j, delta=0.3, Delta=2.0, a_tilde=0.2, A_tilde=0.1 + 0.1j, d=0.3, D_deph=-0.2j, Jz=0.1,
              Jperp=0.2, D_dm=0.3)
    s = m.system()
    assert np.allclose(s.Delta, [2.3, 1.7], rtol=0, atol=1e-15)
    assert np.array_equal(s.h_plus, [[1.0, -0.5j], [0.5j, 1.0]])
    assert np.array_equal(s.h_minus, [[0.2, 0.1 + 0.1j], [0.1 - 0.1j, 0.2]])
    assert np.array_equal(s.h_z, [[0.3, -0.2j], [0.2j, 0.3]])
    assert s.J_perp[0, 1] == 0.2 and s.J_z[0, 1] == 0.1 and s.D[0, 1] == 0.3


# ------------------------------------------------------------------------------------------ evolve, N = 1…4
@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_evolve_matches_dense_expm(N):
    rng = np.random.default_rng(100 + N)
    p = random_params(rng, N)
    s = System(**p)
    L = ref_of(p)
    inits = ["d" * N, "u" * (N - 1) + "d", random_rho(rng, 2**N)] + (["W", "dicke:2", "singlet:1,3"] if N >= 3 else [])
    for t in (np.linspace(0, 3, 7), np.array([2.5, 0.0, 0.4, 1.1])):  # multiples of h = 0.1
        r = magbell.evolve(s, inits, t, store_states=True)
        assert r.states.shape == (len(inits), len(t), 2**N, 2**N)
        assert r.site_populations.shape == (len(inits), len(t), N)
        for k, init in enumerate(inits):
            rho0 = magbell.system.system_density_matrix(init, N)
            ref = ref_states(L, rho0, t, step=0.1)
            assert np.max(np.abs(r.states[k] - ref)) < TOL, (N, k)
            pops = np.real(np.einsum("tii->ti", ref))
            down = [[(b >> (N - 1 - i)) & 1 for i in range(N)] for b in range(2**N)]
            assert np.max(np.abs(r.site_populations[k] - pops @ np.array(down))) < TOL
            assert np.max(np.abs(r.purity[k] - np.einsum("tij,tji->t", ref, ref).real)) < TOL


@pytest.mark.parametrize("N", [3, 4])
def test_evolve_long_times_deflated_and_double_double(N):
    """t·‖L‖ ≫ 1e3: the |q| = 0 block's trace kernel is deflated for N ≠ 2 (magbell.system.evolve); the
    result equals scipy's expm at intermediate times and the reference stationary state at long times, and
    a weak coupling (h_minus 1e-9 of the rest) sends the point to the double-double path instead."""
    rng = np.random.default_rng(7 + N)
    p = random_params(rng, N)
    n = 2**N
    for weak in (False, True) if N == 3 else (False,):  # the dd path of the 70×70 block costs seconds
        if weak:
            p = dict(p, h_minus=1e-9 * p["h_minus"])
        L = ref_of(p)
        w, v = np.linalg.eig(L)
        rho_ss = v[:, np.argmin(np.abs(w))].reshape(n, n)
        rho_ss = rho_ss / np.trace(rho_ss)
        t = np.array([0.0, 40.0, 80.0, 1e3, 1e4])
        r = magbell.evolve(System(**p), "d" + "u" * (N - 1), t, store_states=True)
        assert (r.info["dd_points"] > 0) == weak and (r.info["deflated_points"] > 0) == (not weak)
        rho0 = magbell.system.system_density_matrix("d" + "u" * (N - 1), N)
        ref = ref_states(L, rho0, t[1:3])
        assert np.max(np.abs(r.states[1:3] - ref)) < 1e-11
        assert np.max(np.abs(r.states[-1] - rho_ss)) < 1e-11
        assert abs(np.trace(r.states[-1]) - 1) < 1e-13


def test_large_mean_splitting_is_an_exact_phase():
    """Δ̄ = 1e6 at t = 3: ρ_ij(t) = e^{i s Δ̄ t} ρ'_ij(t), s = (m_i − m_j)/2, the phase reduced with mpmath."""
    rng = np.random.default_rng(9)
    N = 3
    p = random_params(rng, N)
    small = dict(p)
    dbar = 1e6
    p = dict(p, Delta=p["Delta"] + dbar)
    small["Delta"] = p["Delta"] - np.mean(p["Delta"])
    dbar = np.mean(p["Delta"])
    t = 3.0
    rho0 = random_rho(rng, 8)
    got = magbell.evolve(System(**p), rho0, [t], store_states=True).states[0]
    ref = ref_states(ref_of(small), rho0, [t])[0]
    m = np.array([sum(1 - 2 * ((b >> (N - 1 - i)) & 1) for i in range(N)) for b in range(8)])
    s = (m[:, None] - m[None, :]) // 2
    mpmath.mp.dps = 40
    phase = np.array([[complex(mpmath.exp(1j * int(x) * mpmath.mpf(dbar) * mpmath.mpf(t))) for x in row] for row in s])
    assert np.max(np.abs(got - phase * ref)) < 1e-11


# ------------------------------------------------------------------------------------------ QuTiP, N = 3, 4
@pytest.mark.parametrize("N", [3, pytest.param(4, marks=pytest.mark.slow)])
def test_evolve_matches_qutip_mesolve(N):
    qutip = pytest.importorskip("qutip")
    rng = np.random.default_rng(200 + N)
    p = random_params(rng, N)
    H = ref_hamiltonian(p["Delta"], p["J_perp"], p["J_z"], p["D"])
    c_ops = []
    for h, name in ((p["h_plus"], "+"), (p["h_minus"], "-"), (p["h_z"], "z")):
        lam, V = np.linalg.eigh(h)
        for k in range(N):
            if lam[k] > 1e-14:
                J = np.sqrt(lam[k]) * sum(V[i, k] * op(name, i, N) for i in range(N))
                c_ops.append(qutip.Qobj(np.sqrt(2) * J, dims=[[2] * N, [2] * N]))
    dims = [[2] * N, [2] * N]
    t = np.linspace(0, 1, 3)
    rho0 = magbell.system.system_density_matrix("W", N)
    res = qutip.mesolve(qutip.Qobj(H, dims=dims), qutip.Qobj(rho0, dims=dims), t, c_ops,
                        options={"atol": 1e-12, "rtol": 1e-12, "nsteps": 10**6})
    ref = np.array([st.full() for st in res.states])
    got = magbell.evolve(System(**p), "W", t, store_states=True).states
    assert np.max(np.abs(got - ref)) < 1e-8
    # and System.to_qutip() gives the same operators
    Hq, cq = System(**p).to_qutip()
    assert np.allclose(Hq.full(), H, atol=1e-14)
    D_ref = sum(qutip.lindblad_dissipator(c).full() for c in c_ops)
    D_got = sum(qutip.lindblad_dissipator(c).full() for c in cq)
    assert np.max(np.abs(D_ref - D_got)) < 1e-12


# ------------------------------------------------------------------------------------------ batching
def test_batch_shape_contract_and_points():
    rng = np.random.default_rng(11)
    N = 3
    p = random_params(rng, N)
    Delta = p["Delta"] + rng.normal(size=(2, 1, N))
    hp = np.stack([random_psd(rng, N) for _ in range(3)])
    s = System(Delta=Delta, h_plus=hp, h_z=p["h_z"], J_perp=p["J_perp"])
    assert s.shape == (2, 3) and s.size == 6 and s.N == 3
    t = np.linspace(0, 1, 4)
    r = magbell.evolve(s, "udu", t, store_states=True)
    assert r.states.shape == (2, 3, 4, 8, 8)
    assert r.site_populations.shape == (2, 3, 4, 3) and r.purity.shape == (2, 3, 4)
    one = magbell.evolve(s[1, 2], "udu", t, store_states=True)
    assert np.max(np.abs(one.states - r.states[1, 2])) < 1e-15
    r2 = magbell.evolve(s, ["udu", "W"], t)
    assert r2.site_populations.shape == (2, 3, 2, 4, 3)
    empty = magbell.evolve(System(Delta=np.zeros((0, N))), "uuu", t)
    assert empty.site_populations.shape == (0, 4, 3)


# ------------------------------------------------------------------------------------------ states
def test_initial_states():
    from magbell.system import system_density_matrix as sdm

    w = np.zeros(8)
    w[[4, 2, 1]] = 1 / np.sqrt(3)
    assert np.allclose(sdm("W", 3), np.outer(w, w))
    assert np.allclose(sdm("dicke:1", 3), sdm("W", 3))
    d2 = np.zeros(8)
    d2[[6, 5, 3]] = 1 / np.sqrt(3)
    assert np.allclose(sdm("dicke:2", 3), np.outer(d2, d2))
    sg = np.zeros(8)
    sg[0b001], sg[0b100] = 1 / np.sqrt(2), -1 / np.sqrt(2)  # (|u..d> − |d..u>)/√2
    assert np.allclose(sdm("singlet:1,3", 3), np.outer(sg, sg))
    assert np.allclose(sdm("singlet:1,2", 2), magbell.density_matrix("singlet"))
    assert np.allclose(sdm("phi+", 2), magbell.density_matrix("phi+"))
    k = sdm({"udu": 0.6, "duu": 0.8j}, 3)
    v = np.zeros(8, complex)
    v[0b010], v[0b100] = 0.6, 0.8j
    assert np.allclose(k, np.outer(v, v.conj()))
    qutip = pytest.importorskip("qutip")
    assert np.allclose(sdm(qutip.Qobj(v.reshape(8, 1), dims=[[2] * 3, [1] * 3]), 3), k)
    for bad in ("uux", "uuuu", "dicke:4", "singlet:1,1", "singlet:a", {"udu": 1.0, "uud": 1.0}, np.ones(4) / 2,
                np.eye(8), {"ud": 1.0}, "ghz"):
        with pytest.raises(InvalidStateError):
            sdm(bad, 3)


# ------------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(Delta=[1.0, 2.0], h_plus=[[1.0, 2.0], [2.0, 1.0]]), r"h_plus must be positive semidefinite.*smallest eigenvalue is -1"),
        (dict(Delta=[1.0, 2.0], h_minus=[[1.0, 0.5], [0.4, 1.0]]), r"h_minus must be Hermitian"),
        (dict(Delta=[1.0, 2.0], h_z=[[1.0j, 0], [0, 1.0]]), r"h_z must be Hermitian"),
        (dict(Delta=[1.0, np.nan]), r"Delta must be finite"),
        (dict(Delta=[1.0, np.inf]), r"Delta must be finite"),
        (dict(Delta=[1.0, 1e151]), r"\|Delta\| must be <= 1e\+150"),
        (dict(Delta=[1.0, 2.0], h_plus=[[1e151, 0], [0, 1.0]]), r"\|h_plus\| must be <= 1e\+150"),
        (dict(Delta=True), r"Delta must be a number.*True/False"),
        (dict(Delta=[True, False]), r"Delta must be a number.*True/False"),
        (dict(Delta="1 2"), r"Delta must be a number.*string"),
        (dict(Delta=1.0), r"Delta must have a trailing site axis"),
        (dict(Delta=[1.0, 2.0], J_perp=np.ones((3, 3))), r"number of sites N differs"),
        (dict(Delta=[1.0, 2.0], J_z=np.ones(2)), r"J_z must have trailing shape \(N, N\)"),
        (dict(Delta=[1.0, 2.0], D=[[0, 1j], [0, 0]]), r"D must be real"),
        (dict(Delta=np.zeros((3, 2)), h_plus=np.zeros((2, 2, 2))), r"batch axes .* do not broadcast"),
        (dict(), r"System needs Delta"),
        (dict(Delta=np.zeros(4097)), r"1 <= N <= 4096"),
    ],
)
def test_validation_one_line_errors(kw, match):
    with pytest.raises(InvalidParameterError, match=match) as e:
        System(**kw)
    assert "\n" not in str(e.value)


def test_psd_at_rounding_is_accepted_and_upper_triangle_only():
    a = 1.0
    A = a * np.exp(0.3j)  # |A| = a up to rounding: rank one, smallest eigenvalue ~1e-16
    s = System(Delta=[0.0, 0.0], h_plus=[[a, np.conj(A)], [A, a]], J_perp=[[5.0, 0.2], [7.0, 9.0]])
    assert np.array_equal(s.J_perp, [[0.0, 0.2], [0.0, 0.0]])
    lam, _ = s.jumps()["h_plus"]
    assert lam[0] == 0.0 and abs(lam[1] - 2.0) < 1e-15
    with pytest.raises(InvalidParameterError, match="single system"):
        System(Delta=np.zeros((2, 2))).to_qutip()
    with pytest.raises(InvalidParameterError, match="unknown measure"):
        magbell.evolve(System(Delta=[0.0, 0.0, 0.0]), "uuu", [0.0, 1.0], measures=["concurrence"])
    with pytest.raises(InvalidParameterError, match="t·‖L‖"):
        magbell.evolve(System(Delta=[0.0, 0.0, 0.0], h_plus=np.eye(3)), "ddd", [1e17])


def test_hamiltonian_and_jump_operators_match_the_reference():
    rng = np.random.default_rng(21)
    N = 3
    p = random_params(rng, N)
    s = System(**p)
    assert np.max(np.abs(s.hamiltonian() - ref_hamiltonian(p["Delta"], p["J_perp"], p["J_z"], p["D"]))) < 1e-15
    # Σ_k D_{J_k} from the jump operators is the contract's dissipator
    n = 2**N
    eye = np.eye(n)
    Ls = sum(-(np.kron(J.conj().T @ J, eye) + np.kron(eye, (J.conj().T @ J).T) - 2 * np.kron(J, J.conj()))
             for J in s.jump_operators())
    H = s.hamiltonian()
    Ls = Ls - 1j * (np.kron(H, eye) - np.kron(eye, H.T))
    assert np.max(np.abs(Ls - ref_of(p))) < 1e-13
    with pytest.raises(InvalidParameterError, match="cannot be indexed"):
        s[0]


@pytest.mark.parametrize("N", [3, 4])
def test_collective_decay_keeps_the_dark_manifold(N):
    """h_plus = a·(all ones) has rank one: N − 1 single-excitation states are dark, so from one excitation on
    site 1 the excitation probability 1 − 1/N survives (issue 11 §5; Dicke subradiance)."""
    s = System(Delta=np.ones(N), h_plus=np.ones((N, N)))
    r = magbell.evolve(s, "d" + "u" * (N - 1), [0.0, 40.0])
    assert abs(r.site_populations[-1].sum() - (1 - 1 / N)) < 1e-12
    assert abs(r.site_populations[-1, 0] - (1 - 1 / N) ** 2) < 1e-12  # the dark part of |d u…u⟩ on site 1


def test_model_system_on_a_grid():
    rng = np.random.default_rng(31)
    m = _random_model(rng, (2, 3))
    s = m.system()
    assert s.shape == (2, 3)
    t = np.linspace(0, 2, 5)
    a = magbell.evolve(m, "phi-", t, store_states=True).states
    b = magbell.evolve(s, "phi-", t, store_states=True).states
    assert a.shape == b.shape == (2, 3, 5, 4, 4)
    assert np.max(np.abs(a - b)) < 1e-14


def test_two_site_system_equals_model_at_long_times():
    """t·‖L‖ = 1e4: both go through the same deflated / double-double paths of magbell.propagate."""
    rng = np.random.default_rng(41)
    m = _random_model(rng)
    t = [0.0, 10.0, 1e3, 1e4]
    a = magbell.evolve(m, "ud", t, store_states=True).states
    b = magbell.evolve(m.system(), "ud", t, store_states=True).states
    assert np.max(np.abs(a - b)) < 1e-13


@settings(max_examples=12, deadline=None, derandomize=True, database=None)
@given(seed=st.integers(0, 2**32 - 1), N=st.integers(1, 3), rank=st.integers(1, 3))
def test_property_physical_states_and_semigroup(seed, N, rank):
    """ρ(t) stays a density matrix (trace 1, Hermitian, PSD) for random, possibly rank-deficient blocks, and
    evolving t1 then t2 equals evolving t1 + t2."""
    rng = np.random.default_rng(seed)
    p = random_params(rng, N)
    p["h_plus"] = random_psd(rng, N, rank=min(rank, N))
    s = System(**p)
    rho0 = random_rho(rng, 2**N)
    r = magbell.evolve(s, rho0, [0.0, 0.7, 1.9, 3.0], store_states=True)
    st_ = r.states
    assert np.max(np.abs(np.einsum("tii->t", st_) - 1)) < 1e-13
    assert np.max(np.abs(st_ - np.conj(np.swapaxes(st_, -1, -2)))) < 1e-15
    assert np.min(np.linalg.eigvalsh(st_)) > -1e-12
    assert np.all(r.purity <= 1 + 1e-13) and np.all((r.site_populations > -1e-13) & (r.site_populations < 1 + 1e-13))
    again = magbell.evolve(s, st_[1], [1.2], store_states=True).states[0]
    assert np.max(np.abs(again - st_[2])) < 1e-12


def test_to_qutip_without_qutip_is_one_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "qutip", None)  # import qutip raises ImportError
    from magbell.errors import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"pip install 'magbell\[qutip\]'") as e:
        System(Delta=[1.0, 2.0, 3.0]).to_qutip()
    assert "\n" not in str(e.value)


def test_bad_evolve_inputs_are_one_line():
    s = System(Delta=[1.0, 2.0, 3.0], h_plus=np.eye(3))
    for init in ("ud", "W3", [], np.ones(8), {"udu": "x"}, True):
        with pytest.raises(InvalidStateError) as e:
            magbell.evolve(s, init, [0.0, 1.0])
        assert "\n" not in str(e.value)
    for times in ([], [-1.0], [np.nan], "abc"):
        with pytest.raises(InvalidParameterError):
            magbell.evolve(s, "uuu", times)
    with pytest.raises(InvalidParameterError, match="chunk_points"):
        magbell.evolve(s, "uuu", [1.0], chunk_points=0)
    # N = 7 and up go to the excitation blocks (tests/test_nsite_evolve.py): no N limit, limits on memory
    assert magbell.evolve(System(Delta=np.ones(7)), "u" * 7, [1.0]).site_populations.shape == (1, 7)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # a rejected Krylov trial step overflowed into a user warning
def test_n6_weak_coupling_long_times_run_in_the_excitation_blocks():
    """N = 6, t·‖L‖ ≫ 1e3 with a coupling 1e-9 of the others: the dense 924×924 block needed the double-double
    path (refused before, tens of minutes); the excitation-block Krylov path takes ~1 s, stays a state."""
    rng = np.random.default_rng(6)
    p = random_params(rng, 6)
    t = np.linspace(0, 1e4, 3)
    r = magbell.evolve(System(**dict(p, h_minus=1e-9 * p["h_minus"])), "duuuuu", t, store_states=True)
    rho = r.states[-1]
    assert abs(np.trace(rho) - 1) < 1e-10 and np.linalg.eigvalsh(rho).min() > -1e-10  # the stated 1e-10
    assert np.all(r.site_populations[-1] < 1e-8)  # relaxed: the thermal excitation is ~1e-9


@pytest.mark.slow
def test_n6_long_times_deflated_dense_equals_excitation_blocks(monkeypatch):
    import magbell.system.evolve as ev

    rng = np.random.default_rng(6)
    p = random_params(rng, 6)
    t = np.linspace(0, 1e4, 3)
    fast = magbell.evolve(System(**p), "duuuuu", t)
    monkeypatch.setattr(ev, "DENSE_MAX_SITES", 6)  # the dense 924×924 sector block, deflated
    r = magbell.evolve(System(**p), "duuuuu", t)
    assert r.info["deflated_points"] == 1 and r.info["dd_points"] == 0
    assert abs(r.site_populations[-1].sum() - r.site_populations[-2].sum()) < 1e-12  # stationary
    assert np.abs(fast.site_populations - r.site_populations).max() < 1e-11
