"""General machinery (magbell.medium.greens): spin correlations → Lindblad parameters.

The strongest test here is ``test_microscopic_bath_dynamics``: two qubits coupled by the paper's
H_SE = λ Σ_i (σ_i^+ S_i^- + h.c.) to a discretised bosonic bath, solved *exactly* in the one-flip sector
(|↓↑,0>, |↑↓,0>, |↑↑,1_k>), against magbell.evolve of the Model that the general machinery builds from
the bath's spectral functions alone. It pins down, with no hand-derived formula in between, the sign and
phase conventions of a, A (complex), J⊥, D_dm and the Lamb shift. The remaining difference is the
Born–Markov error, O(a/bandwidth), shown to shrink linearly with the coupling.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import expm_multiply

import magbell
from magbell.errors import InvalidParameterError
from magbell.medium import (
    InvalidMediumError,
    SpinCorrelations,
    Tabulated,
    bose,
    couplings,
    greater,
    kramers_kronig,
    lamb_shift,
    lesser,
    principal_value,
)


# ----------------------------------------------------------------------------- thermal factors
def test_bose_and_fdt():
    w = np.array([-2.0, -0.5, 0.3, 1.0, 800.0])
    n = bose(w, 0.7)
    with np.errstate(over="ignore"):
        np.testing.assert_allclose(n, 1 / np.expm1(w / 0.7), rtol=1e-15)
    np.testing.assert_array_equal(bose(w, 0.0), [-1, -1, 0, 0, 0])
    A = np.array([-0.1, -0.4, 0.2, 1.5, 3.0])
    g, l_ = greater(A, w, 0.7), lesser(A, w, 0.7)
    assert np.all(g >= 0) and np.all(l_ >= 0)  # FDT makes both positive for a bosonic spectral function
    np.testing.assert_allclose(l_[:4] / g[:4], np.exp(-w[:4] / 0.7), rtol=1e-13)
    with pytest.raises(InvalidParameterError, match="kT"):
        bose(1.0, -1.0)


# ----------------------------------------------------------------------------- Kramers–Kronig
def lorentz(w, w0=1.3, gam=0.2, weight=0.7):
    """A = weight·2γ/((ω−ω0)²+γ²): G^R = weight/(ω − ω0 + iγ), ℜG^R = weight(ω−ω0)/((ω−ω0)²+γ²)."""
    return weight * 2 * gam / ((w - w0) ** 2 + gam**2)


def lorentz_re(w, w0=1.3, gam=0.2, weight=0.7):
    return weight * (w - w0) / ((w - w0) ** 2 + gam**2)


def test_kramers_kronig_callable():
    w = np.array([-3.0, 0.0, 1.1, 1.3, 1.45, 5.0])
    kk = kramers_kronig(lorentz, w, points=(1.3,))
    np.testing.assert_allclose(kk.real, lorentz_re(w), rtol=1e-9, atol=1e-12)
    assert np.all(kk.imag == 0)


def test_tabulated_hilbert_is_exact_for_the_interpolant(rng):
    """The closed-form PV of a piecewise-linear function equals adaptive quadrature of the same function
    (all nodes given as breakpoints), at nodes, between nodes and outside the grid; complex values too."""
    grid = np.sort(rng.uniform(-3, 4, 25))
    vals = rng.normal(size=25) + 1j * rng.normal(size=25)
    vals[0] = vals[-1] = 0
    tab = Tabulated(grid, vals)
    for p in (grid[7], 0.5 * (grid[3] + grid[4]), 0.123, grid[-1] + 1.0, grid[0] - 2.0):
        pv, err = principal_value(tab, p, band=tab.band, points=tuple(grid))
        assert err < 1e-9
        assert abs(pv / (2 * np.pi) - complex(tab.hilbert(p))) < 1e-10
    # non-zero end values: a jump, still exact away from the ends
    tab2 = Tabulated(grid, vals + 1.0)
    pv, _ = principal_value(tab2, 0.3, band=tab2.band, points=tuple(grid))
    assert abs(pv / (2 * np.pi) - complex(tab2.hilbert(0.3))) < 1e-10


def test_tabulated_hilbert_converges_to_the_continuum():
    """Sampling a Lorentzian: the reactive part converges as O(h²) to the analytic one."""
    L = 400.0
    errs = []
    probe = np.array([0.4, 1.37])  # off the nodes (at a node the O(h²) error alternates in sign)
    for n in (2001, 4001, 8001):
        grid = np.concatenate([np.linspace(-L, -5, 400, endpoint=False), np.linspace(-5, 8, n), np.linspace(8, L, 400)[1:]])
        h = Tabulated(grid, lorentz(grid)).hilbert(probe).real
        errs.append(np.max(np.abs(h - lorentz_re(probe))))
    assert errs[-1] < 5e-5  # measured 2.7e-5 (h = 1.6e-3, (h/γ)² ~ 7e-5 of the peak value 1.75)
    assert errs[0] / errs[1] > 3 and errs[1] / errs[2] > 3


def test_tabulated_matrix_and_validation():
    grid = np.linspace(-10, 10, 2001)
    vals = np.zeros((grid.size, 2, 2), complex)
    vals[:, 0, 0] = vals[:, 1, 1] = lorentz(grid)
    vals[:, 0, 1] = 0.5 * lorentz(grid) * np.exp(0.3j)
    vals[:, 1, 0] = np.conj(vals[:, 0, 1])
    corr = SpinCorrelations.from_tabulated(grid, vals)
    c = couplings(corr, 1.3)
    assert float(c.a) == pytest.approx(0.5 * lorentz(1.3), rel=1e-12)
    assert complex(c.A) == pytest.approx(0.5 * 0.5 * lorentz(1.3) * np.exp(0.3j), rel=1e-12)
    g = np.exp(-0.3j) * 0.5 * Tabulated(grid, lorentz(grid)).hilbert(1.3)  # ℜG_21
    assert float(c.Jperp) == pytest.approx(0.5 * g.real, abs=1e-12)
    assert float(c.D_dm) == pytest.approx(0.5 * g.imag, abs=1e-12)
    for bad, msg in (((grid[::-1], lorentz(grid)), "increasing"), ((grid, lorentz(grid)[:5]), "shape"),
                     ((grid[:1], lorentz(grid)[:1]), "at least 2")):
        with pytest.raises(InvalidParameterError, match=msg):
            Tabulated(*bad)


# ----------------------------------------------------------------------------- from retarded functions
def damped_modes(w, modes):
    """G^R_{S_i^+ S_j^-}(ω) = Σ_k conj(c_ik) c_jk /(ω − ω_k + iγ_k) for S_i^- = Σ_k c_ik b_k†."""
    w = np.asarray(w, dtype=float)
    G = np.zeros(w.shape + (2, 2), complex)
    for wk, gk, c in modes:
        c = np.asarray(c, complex)
        G += np.conj(c)[:, None] * c[None, :] / (w[..., None, None] - wk + 1j * gk)
    return G


MODES = [(1.0, 0.15, (0.8, 0.5 * np.exp(0.7j))), (2.2, 0.3, (0.6, -0.4j)), (0.4, 0.05, (0.3, 0.3))]


def test_from_retarded_vs_spectral_only_and_h_matrix():
    corr_full = SpinCorrelations.from_retarded(lambda w: damped_modes(w, MODES))
    corr_kk = SpinCorrelations(transverse=corr_full.transverse, points=(0.4, 1.0, 2.2))
    Delta, kT, lam = np.array([0.9, 1.6]), np.array([[0.0], [0.5]]), 0.8
    c1 = couplings(corr_full, Delta, kT=kT, lam=lam)
    c2 = couplings(corr_kk, Delta, kT=kT, lam=lam)
    assert c1.shape == (2, 2)
    np.testing.assert_allclose(c2.Jperp, c1.Jperp, rtol=1e-8)
    np.testing.assert_allclose(c2.D_dm, c1.D_dm, rtol=1e-8)
    assert np.all(np.abs(c1.D_dm) > 1e-3)  # complex cross couplings give a DM term (S40)
    # direct: a = (λ²/2)(1+n)A_11, A = (λ²/2)(1+n)A_12, J⊥ + iD = (λ²/2) ℜG_21
    G = damped_modes(Delta, MODES)
    Amat = 1j * (G - np.conj(np.swapaxes(G, -1, -2)))
    R21 = (G[..., 1, 0] + np.conj(G[..., 0, 1])) / 2
    n = np.where(kT == 0, 0.0, 1 / np.expm1(Delta / np.where(kT == 0, 1, kT)))
    np.testing.assert_allclose(c1.a, lam**2 / 2 * (1 + n) * Amat[..., 0, 0].real, rtol=1e-13)
    np.testing.assert_allclose(c1.a2, lam**2 / 2 * (1 + n) * Amat[..., 1, 1].real, rtol=1e-13)
    np.testing.assert_allclose(c1.A, lam**2 / 2 * (1 + n) * Amat[..., 0, 1], rtol=1e-13)
    np.testing.assert_allclose(c1.Jperp + 1j * c1.D_dm, np.broadcast_to(lam**2 / 2 * R21, c1.shape), rtol=1e-13)
    # the Model's h matrix is (λ²/2) times [1+n]Aᵀ (σ+ block) and n·A (σ− block) — magbell's convention
    m = c1.model()
    h = m.h_matrix()
    np.testing.assert_allclose(h[..., 2:4, 2:4], lam**2 / 2 * (1 + n)[..., None, None] * np.swapaxes(Amat, -1, -2), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h[..., 0:2, 0:2], lam**2 / 2 * n[..., None, None] * Amat, rtol=1e-12, atol=1e-15)
    assert np.all(np.linalg.eigvalsh(h) > -1e-14)


def test_detailed_balance_by_construction():
    corr = SpinCorrelations.from_retarded(lambda w: damped_modes(w, MODES))
    Delta = np.linspace(0.3, 3.0, 7)
    for kT in (0.0, 0.05, 1.0, 40.0):
        c = couplings(corr, Delta, kT=kT)
        r = np.exp(-Delta / kT) if kT else 0.0
        np.testing.assert_allclose(c.a_tilde, c.a * r, rtol=1e-15, atol=0)
        np.testing.assert_allclose(c.A_tilde, c.A * r, rtol=1e-15, atol=0)
        np.testing.assert_allclose(c.a_tilde2, c.a2 * r, rtol=1e-15, atol=0)
        h = c.model().h_matrix()  # Model validates S42; h is PSD
        assert np.all(np.linalg.eigvalsh(h) >= -1e-15)


# ----------------------------------------------------------------------------- stability bounds
def test_invalid_media_are_reported():
    loc = lambda w: np.exp(-((w - 1) ** 2))
    too_correlated = SpinCorrelations.homogeneous_medium(loc, lambda w: 1.2 * loc(w))
    with pytest.raises(InvalidMediumError, match=r"S42-S47"):
        couplings(too_correlated, 1.0)
    negative = SpinCorrelations.homogeneous_medium(lambda w: -loc(w), lambda w: 0 * w)
    with pytest.raises(InvalidMediumError, match="negative"):
        couplings(negative, 1.0)
    nonherm = SpinCorrelations(transverse=lambda w: np.broadcast_to(np.array([[1, 0.5], [0.2, 1]], complex), np.shape(w) + (2, 2)))
    with pytest.raises(InvalidMediumError, match="Hermitian"):
        couplings(nonherm, 1.0)
    # a violation at rounding level is clipped, giving a valid Model with |A| = a
    edge = SpinCorrelations.homogeneous_medium(loc, lambda w: loc(w) * (1 + 1e-13) * np.exp(0.2j))
    c = couplings(edge, 1.0)
    assert abs(complex(c.A)) == pytest.approx(float(c.a), rel=1e-15)
    c.model()
    # but InvalidMediumError is an InvalidParameterError (ValueError)
    assert issubclass(InvalidMediumError, InvalidParameterError)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(InvalidParameterError, match="Delta"):
            couplings(edge, bad)
    with pytest.raises(InvalidParameterError, match="kT"):
        couplings(edge, 1.0, kT=-0.1)
    with pytest.raises(InvalidParameterError, match="shape"):
        couplings(SpinCorrelations(transverse=lambda w: np.ones(3)), 1.0)


# ----------------------------------------------------------------------------- longitudinal channel
def test_longitudinal_channel_dephasing_and_Jz():
    """Ohmic A^z_ij(ω) = 2π η_ij ω e^{−ω²/ωc²}: d = (λz²/2)·2π η_11·kT, 𝔇 = (λz²/2)·2π η_21·kT and
    Jz = λz² P∫dω/2π A^z_12/(0 − ω) = −√π λz² η_12 ωc. (A smooth cutoff: the ω → 0 limit is taken by
    Richardson extrapolation, which assumes A^z smooth at 0.)"""
    eta = np.array([[0.3, 0.2], [0.2, 0.3]])
    wc = 4.0

    def Az(w):
        w = np.asarray(w, float)
        return 2 * np.pi * eta * (w * np.exp(-((w / wc) ** 2)))[..., None, None]

    loc = lambda w: np.exp(-((w - 1) ** 2))
    base = SpinCorrelations.homogeneous_medium(loc, lambda w: 0.5 * loc(w))
    corr = SpinCorrelations(transverse=base.transverse, longitudinal=Az, homogeneous=True, points=(0.0,))
    lam_z = 0.6
    for kT in (0.0, 0.25, 2.0):
        c = couplings(corr, 1.0, kT=kT, lam=1.0, lam_z=lam_z)
        assert float(c.d) == pytest.approx(lam_z**2 / 2 * 2 * np.pi * 0.3 * kT, rel=1e-7, abs=1e-12)
        assert complex(c.D_deph) == pytest.approx(lam_z**2 / 2 * 2 * np.pi * 0.2 * kT, rel=1e-7, abs=1e-12)
        assert float(c.Jz) == pytest.approx(-math.sqrt(np.pi) * lam_z**2 * 0.2 * wc, rel=1e-8)
    static = SpinCorrelations(transverse=base.transverse, longitudinal=Az, longitudinal_static=np.array([[0, -1.6], [-1.6, 0]]), homogeneous=True)
    assert float(couplings(static, 1.0, lam_z=lam_z).Jz) == pytest.approx(-1.6 * lam_z**2)
    grid = np.linspace(-40, 40, 16001)
    tab = SpinCorrelations.from_tabulated(grid, base.transverse(grid), longitudinal=Az(grid), homogeneous=True)
    ct = couplings(tab, 1.0, kT=0.25, lam_z=lam_z)  # tabulated: exact Hilbert transform of the interpolant
    assert float(ct.Jz) == pytest.approx(-math.sqrt(np.pi) * lam_z**2 * 0.2 * wc, rel=1e-5)
    assert float(ct.d) == pytest.approx(lam_z**2 / 2 * 2 * np.pi * 0.3 * 0.25, rel=1e-5)
    bad = SpinCorrelations(transverse=base.transverse, longitudinal=lambda w: Az(w) * np.array([[1, 2], [2, 1]]), homogeneous=True)
    with pytest.raises(InvalidMediumError, match="longitudinal"):
        couplings(bad, 1.0, kT=1.0)


def test_lamb_shift_flat_band():
    """Flat band A_11 = g on [W1, W2], T = 0: δΔ = λ² g/(2π) ln|(Δ − W1)/(Δ − W2)|; at kT > 0 the
    coth(βω/2) weight adds λ² g/π P∫ n_B(ω)/(Δ − ω)."""
    W1, W2, g, lam = 0.3, 2.0, 0.05, 0.9
    flat = lambda w: g * ((np.asarray(w) > W1) & (np.asarray(w) < W2))
    corr = SpinCorrelations.homogeneous_medium(flat, lambda w: 0.5 * flat(w), band=(W1, W2), points=(W1, W2))
    for D in (0.7, 1.0, 2.5):
        l1, l2 = lamb_shift(corr, D, lam=lam)
        assert float(l1) == pytest.approx(lam**2 * g / (2 * np.pi) * math.log(abs((D - W1) / (D - W2))), rel=1e-9)
    kT = 0.4
    l1, _ = lamb_shift(corr, 1.0, kT=kT, lam=lam)
    thermal, _ = principal_value(lambda w: 1 / math.expm1(w / kT), 1.0, band=(W1, W2))
    ref = lam**2 * g / (2 * np.pi) * (math.log(abs((1.0 - W1) / (1.0 - W2))) + 2 * thermal.real)
    assert float(l1) == pytest.approx(ref, rel=1e-9)
    c = couplings(corr, 1.0, lamb_shift=True, lam=lam)
    m = c.model(delta=0.01, include_Delta=True, include_lamb_shift=True)
    assert float(m.Delta) == pytest.approx(1.0 + float(c.lamb_shift[0]))
    assert float(m.delta) == pytest.approx(0.01)
    with pytest.raises(InvalidParameterError, match="lamb_shift=True"):
        couplings(corr, 1.0).model(include_lamb_shift=True)


def test_scaled_and_model_units():
    corr = SpinCorrelations.from_retarded(lambda w: damped_modes(w, MODES))
    c = couplings(corr, 1.0, kT=0.3, unit="GHz")
    s = c.scaled(c.a, "a")
    assert s.unit == "a" and float(s.a) == 1.0
    m1 = s.model(delta=0.2)
    m2 = c.model(delta=0.2 * float(c.a), scale=c.a)
    for k in ("a", "A", "a_tilde", "A_tilde", "Jperp", "D_dm", "delta", "a2"):
        np.testing.assert_allclose(getattr(m1, k), getattr(m2, k), rtol=1e-14)
    with pytest.raises(InvalidParameterError, match="unit rate"):
        c.scaled(0.0, "x")


# ----------------------------------------------------------------------------- microscopic check
def _bath_run(g02, tau=1.0, M=400, W1=0.3, W2=2.0, rho=0.8, Delta=1.0, lam=1.0, variants=False):
    """Exact one-flip-sector dynamics of two qubits + a discretised bath vs magbell.

    Shared modes couple to qubit 1 with c1 = amp and to qubit 2 with c2 = amp·ρ e^{iωτ}; private modes
    couple to qubit 2 only (amp·√(1−ρ²)), so A_11 = A_22 = g0², A_12 = ρ g0² e^{iωτ} on [W1, W2].
    Returns max-abs errors of (ρ_du,du, ρ_ud,ud, ρ_ud,du, ρ_uu,du) from the initial state (|uu> + |du>)/√2.
    """
    dw = (W2 - W1) / M
    w = W1 + dw * (np.arange(M) + 0.5)
    amp = math.sqrt(g02 * dw / (2 * np.pi))
    N = 2 + 2 * M
    H = np.zeros((N, N), complex)  # basis: |du,0>, |ud,0>, |uu,1_k> shared, |uu,1_k> private
    H[2 : 2 + M, 2 : 2 + M] = np.diag(-Delta + w)  # H_S = −Δ(σ1z + σ2z)/2: E(du) = E(ud) = 0, E(uu) = −Δ
    H[2 + M :, 2 + M :] = np.diag(-Delta + w)
    H[2 : 2 + M, 0] = lam * amp  # <uu,1_k| λ σ1+ S1- |du,0> = λ c_1k
    H[2 : 2 + M, 1] = lam * amp * rho * np.exp(1j * w * tau)
    H[2 + M :, 1] = lam * amp * math.sqrt(1 - rho**2)
    H = np.tril(H) + np.tril(H, -1).conj().T
    a = lam**2 * g02 / 2
    times = np.linspace(0, 1.5 / a, 41)
    assert times[-1] < 0.5 * 2 * np.pi / dw  # well before the discrete bath's recurrence
    psi0 = np.zeros(N, complex)
    psi0[0] = 1
    # exact e^{-iHt} ψ0 (Krylov/Taylor with a 1e-14-level tolerance; checked against eigh to 4e-14)
    psi = expm_multiply(-1j * sparse.csr_matrix(H), psi0, start=0, stop=times[-1], num=times.size, endpoint=True)[:, :2]
    exact = np.stack([np.abs(psi[:, 0]) ** 2 / 2, np.abs(psi[:, 1]) ** 2 / 2, psi[:, 1] * psi[:, 0].conj() / 2,
                      np.exp(1j * Delta * times) * psi[:, 0].conj() / 2])
    band = lambda x: ((x > W1) & (x < W2)).astype(float)
    corr = SpinCorrelations.homogeneous_medium(lambda x: g02 * band(x), lambda x: g02 * rho * np.exp(1j * x * tau) * band(x),
                                               band=(W1, W2), points=(W1, W2))
    c = couplings(corr, Delta, lam=lam, lamb_shift=True)
    base = c.model(include_Delta=True, include_lamb_shift=True)
    init = np.zeros(4, complex)
    init[0] = init[2] = 1 / math.sqrt(2)
    models = {"ok": base}
    if variants:
        models.update(
            conjA=base.replace(A=np.conj(base.A)),
            flipD=base.replace(D_dm=-base.D_dm),
            flipJ=base.replace(Jperp=-base.Jperp),
            no_lamb=c.model(include_Delta=True),
            lamb_sign=base.replace(Delta=base.Delta - 2 * c.lamb_shift[0]),
        )
    out = {}
    for name, m in models.items():
        S = magbell.evolve(m, init, times, store_states=True).states
        mb = np.stack([S[:, 2, 2], S[:, 1, 1], S[:, 1, 2], S[:, 0, 2]])
        out[name] = np.abs(exact - mb).max(axis=1)
    return out, c


def test_microscopic_bath_dynamics():
    errs, c = _bath_run(0.005, variants=True)
    assert abs(np.angle(complex(c.A))) > 0.5 and abs(float(c.D_dm)) > 0.1 * abs(float(c.Jperp)) > 0
    assert np.all(errs["ok"] < 4e-3), errs["ok"]  # measured 1.6e-3, 4e-5, 1.4e-4, 8.5e-4
    for name in ("conjA", "flipD", "flipJ", "no_lamb", "lamb_sign"):
        assert np.max(errs[name]) > 0.02, (name, errs[name])  # measured >= 0.03
    # the remaining difference is the Born–Markov error: it halves with the coupling
    errs2, _ = _bath_run(0.01)
    assert np.all(errs["ok"] < 0.6 * errs2["ok"])
