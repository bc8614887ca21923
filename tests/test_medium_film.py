"""NV centres above a magnetic film (issue 12): film physics, stray-field noise, the Lindblad blocks.

Reference values: Rustagi, Bertelli, van der Sar & Upadhyaya, PRB 102, 220403(R) (2020), Fig. 2b
(digitised points in /work/shared/data/rustagi2020_fig2b.txt, copied into RUSTAGI_FIG2B below so the test
runs from a fresh clone); closed forms (Kittel, Damon–Eshbach, Kalinikos–Slavin, the equilibrium angle);
structural identities (PSD blocks, A_ii = a_i, detailed balance) and the α → 0 residue limit.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from magbell.errors import InvalidParameterError
from magbell.medium.film import Film, form_factor
from magbell.medium.film_presets import YIG_FILM, nv_film_setup
from magbell.medium.greens import MarkovWarning
from magbell.medium.nv import NV_D, NV_GAMMA, nv_axis, nv_qubit, spin_half_qubit
from magbell.medium.greens import SpinCorrelations, couplings
from magbell.medium.stray import emission_block_residue, film_couplings, film_noise, relaxation_rate
from magbell.medium.units import HBAR, K_B, MU_0, MU_B

# Rustagi et al. 2020 Fig. 2b: field [T], rate [MHz] (digitised; values slightly below 0 are digitisation noise)
RUSTAGI_FIG2B = np.array([
    [0.00260, 0.07325], [0.00326, 0.09785], [0.00511, 0.09499], [0.00525, 0.11617], [0.00630, 0.13276],
    [0.00776, 0.13791], [0.00851, 0.14764], [0.01005, 0.15107], [0.01076, 0.17625], [0.01256, 0.20200],
    [0.01367, 0.22489], [0.01561, 0.24607], [0.01662, 0.25923], [0.01971, 0.30215], [0.02195, 0.30959],
    [0.02319, 0.30558], [0.02522, 0.25351], [0.02623, 0.20773], [0.02689, 0.15050], [0.02817, 0.10072],
    [0.02901, 0.03090], [0.03311, -0.00744], [0.03813, -0.00172], [0.04342, -0.00343], [0.04902, -0.00401],
    [0.05405, -0.00401], [0.05974, 0.00114], [0.06503, 0.00172], [0.07040, -0.00286],
])

# Parameters of the figure (Rustagi et al. 2020 and the public qi-relaxometry code that accompanies the data):
# YIG Ms = 142 kA/m, alpha = 1e-4, A_ex = 3.7 pJ/m, T = 299 K, L = 20 nm, NV 109 nm above the film,
# NV axis [111] at 54.7 deg from the normal, field along the NV axis, ms = 0 <-> -1,
# gamma/2pi = 28.025 GHz/T for both film and NV.
GAMMA_R = 2 * math.pi * 28.025e9
THETA_R = math.radians(54.7)


def rustagi_setup(B, **over):
    kw = dict(thickness=20e-9, Ms=142e3, exchange=3.7e-12, damping=1e-4, gamma=GAMMA_R, field=B,
              field_polar=THETA_R, field_azimuth=0.0)
    kw.update(over)
    film = Film(**kw)
    Bv = B * np.array([math.sin(THETA_R), 0.0, math.cos(THETA_R)])
    return film, nv_qubit(Bv, "111", "minus", gamma=GAMMA_R)


def rustagi_rate(B):
    film, q = rustagi_setup(B)
    return relaxation_rate(film, q, 109e-9, 299.0) / 1e6  # MHz


def band_crossing_field():
    """Field where the NV transition meets the band bottom (linear interpolation of the smooth gap)."""
    Bs = np.array([0.0305, 0.0315])
    gaps = []
    for B in Bs:
        film, q = rustagi_setup(B)
        gaps.append(q.frequency - film.band_bottom()[0])
    assert gaps[0] > 0 > gaps[1]
    return float(Bs[0] - gaps[0] * (Bs[1] - Bs[0]) / (gaps[1] - gaps[0]))


@pytest.fixture(scope="module")
def fig2b():
    fields = np.array([5, 10, 15, 19, 22, 25, 28]) * 1e-3
    return fields, np.array([rustagi_rate(B) for B in fields])


def test_rustagi_fig2b(fig2b):
    """Single-NV relaxation rate vs field against Rustagi et al. Fig. 2b.

    Measured residuals (model/data at the digitised fields): 1.15-1.23 from 6.3 to 25.2 mT (1.45-1.5 at
    2.6-5.1 mT, where the digitised points scatter), peak 0.359 MHz at 22 mT vs 0.310 MHz at 21.95 mT
    (ratio 1.16); on the falling flank the model lags the data by ~1.5 mT (ratio 1.6 at 26.9 mT, 4.0 at
    29.0 mT). The transition crosses the band bottom at 31.0 mT; the model rate 2 mT later is < 1e-4 of the
    peak and the data are ~0 (|rate| < 0.008 MHz) from 33.1 mT on.
    """
    fields, rate = fig2b
    data_B, data_r = RUSTAGI_FIG2B.T
    # rise with field (model and data) up to the peak region
    assert np.all(np.diff(rate[:4]) > 0)
    assert np.all(np.diff(np.interp([0.005, 0.01, 0.015, 0.019], data_B, data_r)) > 0)
    # peak field within 3 mT and peak rate within a factor 1.5
    Bpk_model = fields[np.argmax(rate)]
    Bpk_data = data_B[np.argmax(data_r)]
    assert abs(Bpk_model - Bpk_data) <= 3e-3
    ratio = rate.max() / data_r.max()
    assert 1 / 1.5 <= ratio <= 1.5, ratio
    # pointwise residuals from 10 to 25 mT stay within a factor 1.4 (measured 1.16-1.35)
    d_interp = np.interp(fields[1:6], data_B, data_r)
    assert np.all((rate[1:6] / d_interp > 1 / 1.4) & (rate[1:6] / d_interp < 1.4)), rate[1:6] / d_interp
    assert rate[-1] / np.interp(fields[-1], data_B, data_r) < 2.5  # 28 mT: on the steep flank (1.8)
    # the drop: once the transition is below the band bottom (+2 mT) the rate is ~0, in model and data
    Bc = band_crossing_field()
    assert 0.029 < Bc < 0.033, Bc
    r_after = rustagi_rate(Bc + 2e-3)
    assert r_after < 1e-2 * rate.max(), r_after
    assert np.all(np.abs(data_r[data_B >= Bc + 2e-3]) < 0.01 * 3)
    assert data_r[data_B < Bc - 1e-3].max() > 0.1  # the data were non-zero before the crossing


def test_kittel_and_headline_point_of_old_preset():
    """Issue 9 §6: 20 nm YIG, 40 mT in plane: Kittel FMR 2.60 GHz lies above the NV's 1.749 GHz."""
    f = Film(thickness=20e-9, Ms=140e3, exchange=3.65e-12, damping=1e-4, gamma=2 * math.pi * 28.025e9, field=0.04)
    expect = 2 * math.pi * 28.025e9 * math.sqrt(0.04 * (0.04 + MU_0 * 140e3))
    assert f.kittel() == pytest.approx(expect, rel=1e-12)
    assert f.kittel() / 2 / math.pi == pytest.approx(2.60e9, rel=2e-3)
    wb = f.band_bottom()[0]
    assert wb > 2 * math.pi * 1.75e9
    # NV along [111], field in plane (not along the axis): the 0<->-1 transition is far below the band
    q = nv_qubit(0.04 * np.array([1.0, 0.0, 0.0]), "111", "minus")
    assert q.frequency < wb
    c = film_couplings(f, [q], [[0, 0, 100e-9]], 0.02, reactive=False)
    assert c.regime == ("below band",)
    film_in, q_in = rustagi_setup(0.022)
    c_in = film_couplings(film_in, [q_in], [[0, 0, 100e-9]], 0.02, reactive=False)
    assert c.A[0, 0].real < 1e-4 * c_in.A[0, 0].real


def test_equilibrium_angle_closed_forms():
    mMs = MU_0 * 140e3
    g = 2 * math.pi * 28e9
    for B in (0.05, 0.1, 0.15):  # perpendicular field below saturation: cos θ0 = B/μ0Ms
        f = Film(thickness=20e-9, Ms=140e3, exchange=0, damping=1e-3, gamma=g, field=B, field_polar=0.0)
        assert math.cos(f.theta0) == pytest.approx(B / mMs, rel=1e-9)
    f = Film(thickness=20e-9, Ms=140e3, exchange=0, damping=1e-3, gamma=g, field=0.3, field_polar=0.0)
    assert f.theta0 == pytest.approx(0.0, abs=1e-9)
    assert f.kittel() == pytest.approx(g * (0.3 - mMs), rel=1e-9)  # perpendicular Kittel: γ(B − μ0Ms)
    f = Film(thickness=20e-9, Ms=140e3, exchange=0, damping=1e-3, gamma=g, field=0.01, field_polar=math.radians(54.7))
    t = f.theta0  # B sin(θ0 − θB) = (μ0Ms/2) sin 2θ0
    assert 0.01 * math.sin(t - math.radians(54.7)) == pytest.approx(0.5 * mMs * math.sin(2 * t), abs=1e-12)


def test_dispersion_damon_eshbach_and_backward_volume():
    """No exchange, in-plane M along x: k ⊥ M agrees with Damon–Eshbach to O((kL)²); k ∥ M is the
    Kalinikos–Slavin backward-volume mode ω² = γ²B(B + μ0Ms(1 − e^{−kL})/(kL))."""
    g, B, Ms, L = 2 * math.pi * 28e9, 0.02, 140e3, 20e-9
    mMs = MU_0 * Ms
    f = Film(thickness=L, Ms=Ms, exchange=0.0, damping=1e-4, gamma=g, field=B)
    for kL in (1e-3, 1e-2, 0.05, 0.1):
        k = kL / L
        de = g * math.sqrt(B * (B + mMs) + mMs**2 / 4 * (1 - math.exp(-2 * kL)))
        w = float(f.dispersion(0.0, k))
        assert abs(w / de - 1) < kL**2, (kL, w / de - 1)
        bv = g * math.sqrt(B * (B + mMs * (-math.expm1(-kL)) / kL))
        assert float(f.dispersion(k, 0.0)) == pytest.approx(bv, rel=1e-12)
    assert form_factor(np.array([1e-6]))[0] == pytest.approx(5e-7, rel=1e-6)


def test_susceptibility_is_passive_and_matches_eigen_form():
    film, _ = rustagi_setup(0.022)
    rng = np.random.default_rng(0)
    kx, ky = rng.normal(0, 1e7, 50), rng.normal(0, 1e7, 50)
    w = 2 * math.pi * 2.2e9
    chi = film.susceptibility(kx, ky, w)
    chipp = (chi - np.conj(np.swapaxes(chi, -1, -2))) / 2j
    assert np.all(np.linalg.eigvalsh(chipp) > -1e-12 * np.abs(chipp).max())


def test_alpha_to_zero_residue_limit():
    """Finite-α quadrature → the residue formula, with an O(α) difference."""
    B = 0.022
    pos = [[0, 0, 109e-9], [0, 200e-9, 109e-9]]
    for alpha in (1e-4,):
        film, q = rustagi_setup(B, damping=alpha)
        c = film_couplings(film, [q, q], pos, 0.0)
        R = HBAR * emission_block_residue(film, [q, q], pos, n_phi=256)
        assert np.allclose(c.A, R, rtol=0, atol=10 * alpha * abs(R[0, 0])), (alpha, c.A, R)


def test_blocks_psd_zero_separation_and_chirality():
    film, q = rustagi_setup(0.02)
    rng = np.random.default_rng(12)
    pos = np.c_[rng.uniform(-4e-7, 4e-7, (5, 2)), rng.uniform(60e-9, 200e-9, 5)]
    pos[1] = pos[0]  # two qubits at the same point: A_01 = a_0
    c = film_couplings(film, [q] * 5, pos, 4.0)
    for M in (c.A, c.A_tilde, c.D_deph):
        assert np.allclose(M, M.conj().T, rtol=0, atol=1e-13 * np.abs(M).max())
        assert np.linalg.eigvalsh(M).min() > -1e-10 * np.abs(M).max()
    a = c.a
    assert abs(c.A[0, 1] - a[0]) < 1e-12 * a[0] and abs(a[1] - a[0]) < 1e-12 * a[0]
    bound = np.sqrt(np.outer(a, a))
    assert np.all(np.abs(c.A) <= bound * (1 + 1e-12))
    assert np.allclose(c.J, c.J.conj().T)
    # A(r) and A(−r) are complex conjugates; the noise is chiral (A not real for r ⊥ in-plane M)
    c2 = film_couplings(film, [q, q], [[0, 0, 1e-7], [0, 3e-7, 1e-7]], 4.0)
    c3 = film_couplings(film, [q, q], [[0, 0, 1e-7], [0, -3e-7, 1e-7]], 4.0)
    assert c2.A[0, 1] == pytest.approx(np.conj(c3.A[0, 1]), rel=1e-9)
    assert abs(np.angle(c2.A[0, 1])) > 0.1
    m = c2.model()
    assert m.A == pytest.approx(c2.A[0, 1]) and m.a == pytest.approx(c2.a[0])


@pytest.mark.parametrize("T", [0.05, 4.0, 77.0, 300.0])
def test_detailed_balance_with_chemical_potential(T, noise_pair):
    film, q, noise = noise_pair
    for mu in (0.0, -2 * math.pi * 1e9, 0.5 * film.band_bottom()[0]):
        c = noise.couplings(T, chemical_potential=mu)
        r = math.exp(-(q.frequency - mu) * HBAR / (K_B * T))
        assert np.allclose(c.A_tilde, r * c.A, rtol=1e-12, atol=0)
        if mu == 0.0:
            a0 = c.a[0]
        else:  # μ multiplies the rate by (1 + n_B(Δ − μ))/(1 + n_B(Δ))
            x0, x1 = HBAR * q.frequency / (K_B * T), HBAR * (q.frequency - mu) / (K_B * T)
            assert c.a[0] == pytest.approx(a0 * (-1 / math.expm1(-x1)) / (-1 / math.expm1(-x0)), rel=1e-9)


@pytest.fixture(scope="module")
def noise_pair():
    film, q = rustagi_setup(0.02)
    return film, q, film_noise(film, [q, q], [[0, 0, 1e-7], [2e-7, 1e-7, 1.2e-7]])


def test_noise_reuse_and_agreement_with_general_machinery(noise_pair):
    """film_noise(...).couplings(T) equals film_couplings at T, and feeding the film's retarded response
    G^R_{X_i X_j†}(Δ) = −ħ Q_ij(Δ) into the general machinery (greens.couplings, the conventions tested
    end to end against exact bath dynamics in test_medium_general) gives the same a, A, Ã, J⊥ + iD."""
    film, q, noise = noise_pair
    direct = film_couplings(film, [q, q], [[0, 0, 1e-7], [2e-7, 1e-7, 1.2e-7]], 4.0)
    c = noise.couplings(4.0)
    for k in ("A", "A_tilde", "J", "D_deph", "Jz"):
        assert np.allclose(getattr(c, k), getattr(direct, k), rtol=1e-12, atol=0)
    G = -HBAR * noise.Q
    corr = SpinCorrelations.from_retarded(lambda w: np.broadcast_to(G, np.shape(w) + (2, 2)))
    g = couplings(corr, noise.Delta, kT=K_B * 4.0 / HBAR)
    p = c.pair()
    assert float(g.a) == pytest.approx(p["a"], rel=1e-10)
    assert float(g.a2) == pytest.approx(p["a2"], rel=1e-10)
    assert complex(g.A) == pytest.approx(p["A"], rel=1e-10)
    assert complex(g.A_tilde) == pytest.approx(p["A_tilde"], rel=1e-10)
    assert float(g.Jperp) == pytest.approx(p["Jperp"], rel=1e-10)
    assert float(g.D_dm) == pytest.approx(p["D_dm"], rel=1e-10)
    assert set(c.to_dict()["units"]) >= {"A", "J", "band_bottom"}


def test_chemical_potential_and_bad_input_refused():
    film, q = rustagi_setup(0.02)
    wb = film.band_bottom()[0]
    with pytest.raises(InvalidParameterError, match="below the magnon band bottom"):
        film_couplings(film, [q], [[0, 0, 1e-7]], 4.0, chemical_potential=1.01 * wb)
    with pytest.raises(InvalidParameterError, match="heights"):
        film_couplings(film, [q], [[0, 0, -1e-7]], 4.0)
    with pytest.raises(InvalidParameterError, match="thickness"):
        Film(thickness=0.0, Ms=1e5, exchange=0, damping=1e-3, gamma=1e11, field=0.01)
    with pytest.raises(InvalidParameterError, match="NV axis"):
        nv_axis("112")
    with pytest.raises(InvalidParameterError, match="gapless"):  # perpendicular field below saturation
        film_couplings(film.replace(field_polar=0.0), [q], [[0, 0, 1e-7]], 4.0)
    with pytest.raises(InvalidParameterError, match="alpha"):
        film_couplings(film.replace(damping=0.0), [q], [[0, 0, 1e-7]], 4.0)


def test_markov_warning():
    film, q = rustagi_setup(0.02)
    with pytest.warns(MarkovWarning, match="Markov"):
        c = film_couplings(film, [q], [[0, 0, 1e-7]], 300.0, markov_threshold=1e-12, reactive=False)
    assert not c.markov_ok
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert film_couplings(film, [q], [[0, 0, 1e-7]], 300.0, reactive=False).markov_ok


def test_qubits():
    B = 0.03
    n = nv_axis("111")
    q = nv_qubit(B * n, "111", "minus")
    assert q.frequency == pytest.approx(NV_D - NV_GAMMA * B, rel=1e-12)
    assert np.linalg.norm(q.transition) == pytest.approx(NV_GAMMA, rel=1e-12)  # |<-1|S|0>| = 1
    assert np.allclose(q.dephasing, NV_GAMMA * n / 2)  # (<0|S|0> − <-1|S|-1>)/2 = n/2
    qp = nv_qubit(B * n, "111", "plus")
    assert qp.frequency == pytest.approx(NV_D + NV_GAMMA * B, rel=1e-12)
    for ax in ("111", "-1-11", "1-1-1", "-11-1"):
        assert abs(abs(nv_axis(ax)[2]) - 1 / math.sqrt(3)) < 1e-12
    off = nv_qubit(0.05 * np.array([1.0, 0, 0]), "111", "minus")  # off-axis field: mixed states, still a qubit
    assert 0 < off.frequency < NV_D
    film, qr = rustagi_setup(0.022)
    other = nv_qubit(0.022 * np.array([math.sin(THETA_R), 0.0, math.cos(THETA_R)]), "1-1-1", "minus", gamma=GAMMA_R)
    with pytest.warns(UserWarning, match="mean frequency"):
        film_couplings(film, [qr, other], [[0, 0, 1e-7], [1e-7, 0, 1e-7]], 4.0, markov_threshold=1e9)
    s = spin_half_qubit([0, 0, 0.1], g=2.0)
    assert s.frequency == pytest.approx(2.0 * MU_B / HBAR * 0.1, rel=1e-12)
    assert np.linalg.norm(s.transition) == pytest.approx(2.0 * MU_B / HBAR / math.sqrt(2), rel=1e-12)


def test_rate_factor_two_and_gamma_definition():
    """Rustagi's Γ (golden-rule rate of the transition, classical noise) = 2a = a + ã at k_BT ≫ ħΔ; the
    Model's σ+ jump rate is 2a (D_J with J = √a σ+)."""
    import magbell

    film, q = rustagi_setup(0.022)
    c = film_couplings(film, [q], [[0, 0, 109e-9]], 299.0, reactive=False)
    a, at = c.a[0], c.a_tilde[0]
    assert relaxation_rate(film, q, 109e-9, 299.0) == pytest.approx(a + at, rel=1e-12)
    assert (a + at) / (2 * a) == pytest.approx(1.0, abs=1e-3)
    m = magbell.Model(a=1.0, A=0.0, a_tilde=0.0, A_tilde=0.0)  # from |↓↓>: P(↓↓) = e^{−2·2a t}
    t = 1e-3
    r = magbell.evolve(m, "dd", np.array([0.0, t]))
    p = np.asarray(r.populations)[:, 3]  # basis uu, ud, du, dd
    assert -np.log(p[-1]) / t == pytest.approx(4.0, rel=1e-6)  # each qubit's σ+ jump at rate 2a


def test_yig_ms_temperature():
    assert YIG_FILM.Ms_of_T(295) == pytest.approx(1780e3 / (4 * math.pi), rel=1e-12)
    assert YIG_FILM.Ms_of_T(4) / YIG_FILM.Ms_of_T(295) == pytest.approx(1.387, abs=0.01)
    film, q = nv_film_setup(thickness=20e-9, field=0.022, field_polar=math.radians(54.7356), temperature=4.0)
    assert film.Ms == pytest.approx(YIG_FILM.Ms_of_T(4.0))
    assert np.allclose(q.info["axis"], nv_axis("111"))
    assert film.field_azimuth == pytest.approx(0.0)  # the field's azimuth defaults to the NV axis's
    with pytest.raises(InvalidParameterError, match="Curie"):
        YIG_FILM.Ms_of_T(600)


@pytest.mark.slow
def test_quadrature_convergence():
    film, q = rustagi_setup(0.029)
    pos = [[0, 0, 109e-9], [5e-7, 3e-7, 109e-9]]
    ref = film_couplings(film, [q, q], pos, 4.0, quad=dict(n_phi=96, n_gauss=12, n_grade=16, grade=2.5))
    for quad in (dict(), dict(n_phi=16, n_gauss=6, n_grade=10)):
        c = film_couplings(film, [q, q], pos, 4.0, quad=quad)
        assert np.allclose(c.A, ref.A, rtol=1e-5, atol=1e-6 * ref.a[0])
        assert np.allclose(c.J, ref.J, rtol=1e-4, atol=1e-5 * np.abs(ref.J).max())


def test_pair_noises_equal_film_noise():
    """pair_noises (one quadrature, Fourier sums over the nodes) = film_noise for each pair, to rounding."""
    from magbell.medium.film_pairs import pair_noises

    film, q = rustagi_setup(0.02)
    disp = np.array([[0.0, 0.0], [-2e-7, 1e-7], [1e-7, -4e-7]])
    sep = float(np.hypot(*disp.T).max())
    noises = pair_noises(film, q, 1.1e-7, disp)
    for d, n in zip(disp, noises):
        ref = film_noise(film, [q, q], [[0, 0, 1.1e-7], [d[0], d[1], 1.1e-7]], quad={"separation": sep})
        for k in ("Qpp", "QH", "J", "D_per_T", "Jz"):
            a, b = getattr(n, k), getattr(ref, k)
            assert np.allclose(a, b, rtol=0, atol=1e-12 * np.abs(b).max()), k
        c, cr = n.couplings(4.0), ref.couplings(4.0)
        assert np.allclose(c.A, cr.A, rtol=1e-12, atol=0)
    assert noises[0].couplings(4.0).A[0, 1] == pytest.approx(noises[0].couplings(4.0).a[0], rel=1e-12)  # A(0) = a
    with pytest.raises(InvalidParameterError, match="displacements"):
        pair_noises(film, q, 1e-7, [1e-7, 0.0])
    with pytest.raises(InvalidParameterError, match="height"):
        pair_noises(film, q, -1e-7, disp)
    with pytest.raises(InvalidParameterError, match="gapless"):
        pair_noises(film.replace(field_polar=0.0), q, 1e-7, disp)


def test_lamb_shift_kramers_kronig_and_temperature():
    """Film Lamb shifts (film_lamb): the α → 0 pole weights give back, by Kramers–Kronig, the reactive part
    −ħ Q^H_ii(Δ) that film_noise computes from Re χ at finite α, with an O(α) difference (measured 1.9α and
    7.1α relative for the two heights below, α = 1e-4 and 1e-5); δΔ(T) is linear in T in the classical limit
    (coth → 2k_BT/ħω_k), and μ enters as n_B(ω_k − μ)."""
    from magbell.medium.film_lamb import lamb_shifts, reactive_from_poles

    pos = [[0, 0, 1e-7], [0, 0, 1.5e-7]]
    for alpha in (1e-4, 1e-5):
        film, q = rustagi_setup(0.02, damping=alpha)
        ref = -HBAR * np.real(np.diag(film_noise(film, [q, q], pos).QH))
        kk = reactive_from_poles(film, [q, q], pos)
        assert np.all(np.abs(kk / ref - 1) < 10 * alpha), (alpha, kk / ref - 1)
    film, q = rustagi_setup(0.02)
    d0, d300, d600 = (float(lamb_shifts(film, [q], [[0, 0, 1e-7]], T)[0]) for T in (0.0, 300.0, 600.0))
    assert d600 / d300 == pytest.approx(2.0, rel=1e-5)  # coth(x/2) = 2/x + O(x), x = ħω_k/k_BT <~ 1e-2
    assert d300 < d0 < 0  # this chirality: red shift, growing with the thermal magnon population
    wb = film.band_bottom()[0]
    d_mu = float(lamb_shifts(film, [q], [[0, 0, 1e-7]], 300.0, chemical_potential=0.5 * wb)[0])
    assert abs(d_mu - d300) > 0.1 * abs(d300)  # pumped magnons below Δ push the other way (PV sign change)
    d_mu0 = float(lamb_shifts(film, [q], [[0, 0, 1e-7]], 300.0, chemical_potential=-2 * math.pi * 1.0)[0])
    assert d_mu0 == pytest.approx(d300, rel=1e-6)
    with pytest.raises(InvalidParameterError, match="chemical potential"):
        lamb_shifts(film, [q], [[0, 0, 1e-7]], 300.0, chemical_potential=1.01 * wb)
    with pytest.raises(InvalidParameterError, match="temperature"):
        lamb_shifts(film, [q], [[0, 0, 1e-7]], -1.0)


def test_vacuum_dipolar_against_the_full_spin_hamiltonian():
    """film_pairs.vacuum_dipolar = the secular part of the exact 4×4 dipole–dipole Hamiltonian of two spin-½
    (g = 2, field along z), projected into magbell's basis and compared with Model.hamiltonian()."""
    import magbell
    from magbell.medium.film_pairs import vacuum_dipolar

    gam = 2.0 * MU_B / HBAR
    q = spin_half_qubit([0, 0, 0.1], g=2.0)
    # magbell basis per qubit: |↑> = lower level = |m=-1/2>, |↓> = |m=+1/2>
    Sx = np.array([[0, 1], [1, 0]]) / 2
    Sy = np.array([[0, 1j], [-1j, 0]]) / 2  # in the order (|-1/2>, |+1/2>)
    Sz = np.diag([-0.5, 0.5])
    S = [Sx, Sy, Sz]
    rng = np.random.default_rng(3)
    for _ in range(4):
        r = rng.normal(size=3) * 3e-8
        d = np.linalg.norm(r)
        n = r / d
        T = np.eye(3) - 3 * np.outer(n, n)
        H = MU_0 * HBAR * gam**2 / (4 * math.pi * d**3) * sum(
            T[a, b] * np.kron(S[a], S[b]) for a in range(3) for b in range(3))
        dd = vacuum_dipolar(q, q, r)
        Hm = magbell.Model(a=1.0, A=0.0, Jperp=dd["Jperp"], D_dm=dd["D_dm"], Jz=dd["Jz"]).hamiltonian()
        # secular part: the one-flip block and the diagonal differences (the identity part is irrelevant)
        assert Hm[1, 2] == pytest.approx(H[1, 2], rel=1e-12, abs=1e-12 * abs(H).max())
        dH, dHm = np.diag(H).real, np.diag(Hm).real
        assert np.allclose(dHm - dHm.mean(), dH - dH.mean(), rtol=0, atol=1e-12 * abs(H).max())
    nv = nv_qubit(0.022 * nv_axis("111"), "111", "minus")
    with pytest.raises(InvalidParameterError, match="displacement"):
        vacuum_dipolar(nv, nv, [0, 0, 0])


@pytest.mark.slow
def test_lamb_shift_against_the_general_machinery():
    """Independent route to the film's Lamb shift: tabulate the spectral function A(ω) = 2ħQ''(ω) of the
    finite-α film_noise on a frequency grid — negative frequencies from the conjugate transition vector,
    A(−ω; c) = −A(ω; c*) (χ''(k, −ω) = −χ''(k, ω)*, and the k-integral is even) — and feed it to the general
    machinery (greens.lamb_shift: coth-weighted principal value of the piecewise-linear Tabulated
    spectral function, §3). Measured agreement with film_lamb.lamb_shifts on this grid: 2.9e-4 at T = 0,
    7.7e-4 at 4 K and 300 K (the tabulation error of the interpolant; a finer negative-frequency grid gives 4e-6)."""
    from magbell.medium.film_lamb import lamb_shifts
    from magbell.medium.greens import SpinCorrelations, Tabulated, lamb_shift
    from magbell.medium.nv import Qubit

    film, q = rustagi_setup(0.02)
    h = 1e-7
    wb = film.band_bottom()[0]
    two_pi = 2 * math.pi

    def A_pos(w, *cs):
        """2ħQ''(ω) for each transition vector in ``cs``: one film_noise call (one k-quadrature at ω) with
        co-located qubits, whose diagonal entries equal separate calls to 3e-14 (measured)."""
        qs = [Qubit(frequency=w, transition=c, dephasing=q.dephasing) for c in cs]
        Qpp = film_noise(film, qs, [[0, 0, h]] * len(qs), reactive=False).Qpp
        return 2 * HBAR * np.diagonal(Qpp).real

    fb = wb / two_pi
    neg = np.unique(np.r_[np.geomspace(0.05e9, 0.999 * fb, 10), fb * (1 + np.geomspace(1e-4, 0.2, 20)),
                          np.linspace(1.2 * fb, 9e9, 40)]) * two_pi
    pos = np.unique(np.r_[neg, np.linspace(fb, 4e9, 120) * two_pi, np.linspace(4e9, 9e9, 20) * two_pi])
    both = {w: A_pos(w, q.transition, np.conj(q.transition)) for w in neg}  # ±ω at ω ∈ neg share a quadrature
    Ap = np.array([both[w][0] if w in both else A_pos(w, q.transition)[0] for w in pos])
    Am = np.array([-both[w][1] for w in neg])
    assert np.all(Ap > 0) and np.all(Am < 0)  # A(ω) has the sign of ω (bosonic commutator)
    tab = Tabulated(np.r_[-neg[::-1], pos], np.r_[Am[::-1], Ap])
    corr = SpinCorrelations.homogeneous_medium(tab, lambda w: 0 * w, band=tab.band, points=(-wb, wb))
    from magbell.medium.greens import IntegrationAccuracyWarning

    for T, tol in ((0.0, 2e-3), (4.0, 2e-3), (300.0, 2e-3)):
        with warnings.catch_warnings():  # QUADPACK's estimate on the kinked interpolant (~1e-5 relative)
            warnings.simplefilter("ignore", IntegrationAccuracyWarning)
            ref = float(np.ravel(lamb_shift(corr, q.frequency, kT=K_B * T / HBAR)[0])[0])
        got = float(lamb_shifts(film, [q], [[0, 0, h]], T)[0])
        assert got == pytest.approx(ref, rel=tol), (T, got, ref)


def test_out_of_range_field_height_and_separation_are_one_line_errors():
    """Issue 9 fix-ups: |B| = 1e308 T overflowed in the NV Hamiltonian, z = 1e308 m emptied the k grid, r = 1e308 m
    overflowed the angular panel count. Each is now an InvalidParameterError naming the quantity; the largest
    accepted field still gives a finite answer."""
    from magbell.medium.film import MAX_FIELD_T
    from magbell.medium.stray import MAX_HEIGHT_M

    with pytest.raises(InvalidParameterError, match=r"field magnitude must be <= 1e\+06 T"):
        Film(thickness=20e-9, Ms=1.4e5, exchange=3.65e-12, damping=1e-4, gamma=1.76e11, field=1e308)
    with pytest.raises(InvalidParameterError, match=r"NV field magnitude must be <= 1e\+06 T"):
        nv_qubit([0.0, 0.0, -1e308])
    film, qubit = nv_film_setup(thickness=20e-9, field=0.04, field_polar=math.pi / 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkovWarning)
        with pytest.raises(InvalidParameterError, match=r"qubit height z = 1e\+308 m above the film must be <= 1e\+200"):
            film_couplings(film, [qubit], [[0.0, 0.0, 1e308]], 0.0)
        with pytest.raises(InvalidParameterError, match=r"qubit separation 1e\+308 m is too large"):
            film_couplings(film, [qubit, qubit], [[0.0, 0.0, 1e-8], [1e308, 0.0, 1e-8]], 0.0)
        assert MAX_FIELD_T == 1e6 and MAX_HEIGHT_M == 1e200
        with pytest.raises(InvalidParameterError, match=r"film thickness must be between 1e-12 m and 1e\+06 m"):
            Film(thickness=1e300, Ms=1.4e5, exchange=3.65e-12, damping=1e-4, gamma=1.76e11, field=0.04)
        np.testing.assert_allclose(form_factor([1e-5, 1e200, 1e308]), [1e-5 / 2 - 1e-10 / 6 + 1e-15 / 24, 1, 1],
                                   rtol=1e-15)  # x**3 of the unused series overflowed
        hi = film_couplings(film, [qubit], [[0.0, 0.0, MAX_HEIGHT_M]], 0.0)
        assert np.all(np.isfinite(hi.A)) and float(hi.A[0, 0].real) == 0.0


def test_film_couplings_to_xarray():
    """Issue 12: FilmCouplings.to_xarray() holds the N×N blocks on (site, site_j), per-site values, positions and
    units, equal to the arrays they came from."""
    pytest.importorskip("xarray")
    film, nv = nv_film_setup(thickness=20e-9, field=0.022, field_polar=math.acos(3**-0.5), nv_axis_="111",
                             transition="minus", temperature=4.0)
    pos = np.array([[0.0, 0.0, 109e-9], [200e-9, 0.0, 109e-9], [0.0, 300e-9, 120e-9]])
    c = film_couplings(film, [nv] * 3, pos, 4.0, quad={"n_phi": 12, "n_gauss": 4, "n_grade": 8})
    ds = c.to_xarray()
    assert ds["A"].dims == ("site", "site_j") and ds.sizes["site"] == 3
    for k, u in (("A", "1/s"), ("A_tilde", "1/s"), ("J", "rad/s"), ("D_deph", "1/s"), ("Jz", "rad/s")):
        np.testing.assert_array_equal(ds[k].values, getattr(c, k))
        assert ds[k].attrs["units"] == u
    np.testing.assert_array_equal(ds["a"].values, c.a)
    np.testing.assert_allclose(ds["qubit_frequency"].values, c.frequency / (2 * math.pi), rtol=1e-15)
    assert ds["qubit_frequency"].attrs["units"] == "Hz"
    np.testing.assert_array_equal(ds["position"].values, pos)
    assert ds["position"].attrs["units"] == "m" and list(ds["xyz"].values) == ["x", "y", "z"]
    assert ds.attrs["temperature"] == 4.0 and ds.attrs["markov_ok"] in (0, 1)
    assert ds.attrs["band_bottom"] == pytest.approx(c.band_bottom / (2 * math.pi), rel=1e-15)
    assert ds["J"].values[1, 0] == c.pair()["Jperp"] + 1j * c.pair()["D_dm"]
    assert list(ds["regime"].values) == list(c.regime)
