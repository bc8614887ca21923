"""Thick films and the exchange-free film: closed-form limits of the film model (issue 12 §4).

* Thickness modes (``Film.thickness_modes``): the Kalinikos–Slavin diagonal factors P_nn and the stray-field
  weights g_n against their defining integrals (mpmath).
* Exchange-dominated limit (dipolar fields negligible: μ0Ms·P ≪ (Δ − γB_int)/γ), magnetisation along the film
  normal, α → 0: the noise of an NV whose axis is the normal has the closed forms of docs/medium.md §11
  "Thick films" — per resonant thickness mode n (nπ/L < q_r, γ(B_int + D q_r²) = Δ, D = 2A_ex/Ms)
      Q''_n = μ0² Ms (2|c_z|² + |c_⊥|²) e^{−2k_n z} g_n(k_n)² / (64 D L_n),  k_n² = q_r² − (nπ/L)²,
  L_0 = L, L_n = L/2, and for the half-space (L → ∞)
      Q''_∞ = μ0² Ms (2|c_z|² + |c_⊥|²)/(32π D q_r⁴) ∫_0^{q_r} k⁵ e^{−2kz}/√(q_r² − k²) dk.
  The thin-film (single uniform mode) model equals Q''_0 for any L with q_r L < π; a thick film needs the
  mode sum, which reaches Q''_∞.
* Exchange-free film (pure magnetostatic waves), k ⊥ M: the stray field above the film of the mode at +k
  and −k (the chirality of A_12) has the ratio ((√K11 − √K22)/(√K11 + √K22))², → ((√(B+μ0Ms) − √B)/
  (√(B+μ0Ms) + √B))² as kL → 0; and the model's DE frequency departs from the Damon–Eshbach closed form at
  kL ~ 1 by the amount stated in docs/medium.md (the surface localisation is not modelled).
"""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest

from magbell.errors import InvalidParameterError
from magbell.medium import FilmSetup
from magbell.medium.film import Film, mode_form_factor, mode_stray_factor
from magbell.medium.film_pairs import pair_noises
from magbell.medium.greens import MarkovWarning
from magbell.medium.nv import nv_qubit
from magbell.medium.stray import Quadrature, _eig, _rows, film_noise
from magbell.medium.units import MU_0

G = 2 * math.pi * 28.025e9
MS, B, QR, Z = 10.0, 0.010, 1e7, 100e-9  # tiny Ms: dipolar terms ~1e-4 of the exchange ones


def exchange_case():
    """NV with axis along the normal, field 10 mT along it, film saturated along the normal; A_ex chosen so the
    resonant magnon has |q| = q_r = 1e7 /m."""
    q = nv_qubit([0, 0, B], axis=[0, 0, 1], transition="minus")
    D = (q.frequency / G - (B - MU_0 * MS)) / QR**2
    c = q.transition
    pol = 2 * abs(c[2]) ** 2 + abs(c[0]) ** 2 + abs(c[1]) ** 2
    return q, D, pol


def film(L, modes=1, D=None):
    return Film(thickness=L, Ms=MS, exchange=D * MS / 2, damping=1e-5, gamma=G, field=B, field_polar=0.0,
                thickness_modes=modes)


def closed_modes(L, D, pol, nmax=10**6):
    tot = 0.0
    for n in range(nmax):
        an = n * math.pi / L
        if an >= QR:
            break
        kn = math.sqrt(QR**2 - an**2)
        gn = float(mode_stray_factor(n, kn, L))
        tot += MU_0**2 * MS * pol * math.exp(-2 * kn * Z) * gn**2 / (64 * D * (L if n == 0 else L / 2))
    return tot


def half_space(D, pol):
    integral = mp.quad(lambda t: mp.sin(t) ** 5 * mp.exp(-2 * QR * Z * mp.sin(t)), [0, mp.pi / 2]) * QR**5
    return float(MU_0**2 * MS * pol / (32 * math.pi * D * QR**4) * integral)


def noise(f, q):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkovWarning)
        return float(film_noise(f, [q], [[0, 0, Z]], quad=dict(n_phi=8)).Qpp[0, 0].real)


def test_mode_factors_against_their_integrals():
    from scipy import integrate

    L = 1.0
    for n, k in ((0, 2.0), (1, 2.0), (2, 0.5), (3, 5.0), (4, 1e-3)):
        w = (1 if n == 0 else 2) / L

        def c(z):
            return math.cos(n * math.pi * z / L)

        # the kernel's kink at z = z' split out: ∫∫ = 2 ∫_0^L dz ∫_0^z dz' (symmetric integrand)
        P, err = integrate.dblquad(lambda zp, z: 2 * w * c(z) * c(zp) * (k / 2) * math.exp(-k * (z - zp)),
                                   0, L, 0, lambda z: z, epsabs=1e-13, epsrel=1e-10)
        assert float(mode_form_factor(n, k, L)) == pytest.approx(P, rel=1e-9, abs=1e-14)
        g = k * mp.quad(lambda z: mp.exp(-k * z) * mp.cos(n * mp.pi * z / L), [0, L])
        assert float(mode_stray_factor(n, k, L)) == pytest.approx(float(g), rel=1e-12)


def test_thin_film_model_is_exact_in_the_exchange_limit_below_the_first_thickness_mode():
    """Only n = 0 resonates while q_r L < π: there the single uniform mode is the exact exchange-limit answer
    (a few 1e-5: the O(α) Lorentzian with α = 1e-5 and the 1e-4 dipolar terms) whatever kL; at q_r L = 2 it
    already lies 8 % below the half-space value."""
    q, D, pol = exchange_case()
    for L in (10e-9, 200e-9):
        assert QR * L < math.pi
        val = noise(film(L, D=D), q)
        assert val == pytest.approx(closed_modes(L, D, pol), rel=1e-4)
    assert closed_modes(200e-9, D, pol) / half_space(D, pol) == pytest.approx(0.9175, abs=1e-3)


def test_thick_film_needs_the_thickness_modes_and_reaches_the_half_space():
    q, D, pol = exchange_case()
    L = 2e-6  # q_r L = 20: modes n = 0 … 6 resonate
    single = noise(film(L, D=D), q)
    summed = noise(film(L, modes=10, D=D), q)
    assert single == pytest.approx(closed_modes(L, D, pol, nmax=1), rel=1e-4)
    assert summed == pytest.approx(closed_modes(L, D, pol), rel=1e-4)
    assert summed == pytest.approx(half_space(D, pol), rel=1e-3)
    assert single / summed < 0.13  # the thin-film model misses 88 % of a 2 µm film's noise here
    # the mode sum is a Riemann sum of the half-space integral: it converges as L grows
    for L, tol in ((2e-5, 1e-5), (2e-4, 1e-8)):
        assert closed_modes(L, D, pol) == pytest.approx(half_space(D, pol), rel=tol)


def test_thickness_modes_through_pairs_setup_and_validation():
    q, D, _ = exchange_case()
    f = film(400e-9, modes=3, D=D)
    disp = np.array([[0.0, 0.0], [1.5e-7, -0.5e-7]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkovWarning)
        pn = pair_noises(f, q, Z, disp, quad=dict(n_phi=8))
        for d, n in zip(disp, pn):
            ref = film_noise(f, [q, q], [[0, 0, Z], [d[0], d[1], Z]], quad=dict(n_phi=8, separation=1.58e-7))
            for k in ("Qpp", "QH", "D_per_T", "Jz"):
                a, b = getattr(n, k), getattr(ref, k)
                assert np.allclose(a, b, rtol=0, atol=1e-12 * np.abs(b).max()), k
    # the NV + film preset carries the option; 20 nm YIG: the higher modes lie far above (1e-9 change in a)
    s1 = FilmSetup.from_units(thickness="20nm", field="22mT", field_angle="54.7356deg", height="109nm")
    s4 = s1.replace(thickness_modes=4)
    quad = dict(n_phi=12, n_gauss=4, n_grade=8)
    a1, a4 = (float(s.couplings_at([[0, 0]], quad=quad).a[0]) for s in (s1, s4))
    assert a4 == pytest.approx(a1, rel=1e-8) and s4.describe()["thickness_modes"] == 4
    for bad in (0, 1.5, True, 10**6, "3"):
        with pytest.raises(InvalidParameterError, match="thickness_modes") as e:
            f.replace(thickness_modes=bad)
        assert "\n" not in str(e.value)
    with pytest.raises(InvalidParameterError, match="mode_index"):
        f.replace(mode_index=3)


def test_exchange_free_film_stray_field_chirality_and_de_dispersion():
    """No exchange, M in plane along x, k ⊥ M (the Damon–Eshbach geometry)."""
    g, Bf, Ms, L = 2 * math.pi * 28e9, 0.02, 140e3, 20e-9
    mMs = MU_0 * Ms
    f = Film(thickness=L, Ms=Ms, exchange=0.0, damping=1e-4, gamma=g, field=Bf)
    for kL in (1e-4, 0.1, 1.0):
        k = kL / L
        w = float(f.dispersion(0.0, k))
        q = Quadrature(kx=np.zeros(2), ky=np.array([k, -k]), w=np.ones(2))
        lam, vec = _eig(f, q, w)
        i0 = np.argmin(np.abs(lam), axis=1)
        assert np.all(np.abs(lam[[0, 1], i0]) < 1e-9 * w)  # on the ridge at ±k
        v0 = vec[[0, 1], :, i0]
        F = _rows(f, q, np.array([[0.0, 0.0, 1e-7]]), np.array([[0.0, 0.0, 1.0 + 0j]]))[0]
        r = np.abs(np.einsum("mk,mk->m", F, v0)) ** 2
        K = f.stiffness(0.0, k)
        s11, s22 = math.sqrt(K[0, 0]), math.sqrt(K[1, 1])
        assert r[0] / r[1] == pytest.approx(((s11 - s22) / (s11 + s22)) ** 2, rel=1e-10)
        if kL < 1e-3:  # thin-film limit of the non-reciprocity
            thin = ((math.sqrt(Bf + mMs) - math.sqrt(Bf)) / (math.sqrt(Bf + mMs) + math.sqrt(Bf))) ** 2
            assert r[0] / r[1] == pytest.approx(thin, rel=1e-3)
    # the uniform-mode DE frequency against the Damon–Eshbach closed form beyond kL << 1 (docs/medium.md §11)
    for kL, dev in ((1.0, 0.0236), (3.0, -0.0448), (10.0, -0.2416)):
        de = g * math.sqrt(Bf * (Bf + mMs) + mMs**2 / 4 * (1 - math.exp(-2 * kL)))
        assert float(f.dispersion(0.0, kL / L)) / de - 1 == pytest.approx(dev, abs=5e-4)
