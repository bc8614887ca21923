"""Closed forms for magnon media (magbell.medium.magnon) against direct k-space integration.

Reference: ``G0(r; q) = ∫ d^dk/(2π)^d e^{ik·r}/(k² − q²)`` evaluated by radial quadrature in k (scipy
``quad``; the Gilbert damping keeps the pole at k = Re q off the real axis). The closed forms use the
Helmholtz Green's functions e^{iqr}/(4πr), K0(−iqr)/(2π), i e^{iqr}/(2q); the reference never uses them:
it integrates sin(kr)/(kr) (3D), J0(kr) (2D) and cos(kr) (1D) against 1/(k² − q²), with the oscillatory
tail [K, ∞) done by QUADPACK's Fourier rule (QAWF), in 2D after writing J0(x) = Re[E(x) e^{ix}] with the
slowly varying E = hankel1e(0, x) (an exact identity, not an asymptotic expansion).

Tolerances: the quadratures report error estimates ~1e-12 of the local scale Im G0(0) and agree with
the closed forms to ~1e-15 (measured); the tests use 1e-9 relative to Im G0(0), far above rounding and
far below any normalisation or sign error (which are O(1)) or the O(α) error of using the undamped
profiles with an envelope (checked to fail below).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, special

from magbell import Model, evolve, steady_state
from magbell.errors import InvalidParameterError
from magbell.medium import (
    InvalidMediumError,
    MagnonMedium,
    MarkovWarning,
    couplings,
    helmholtz_green,
    helmholtz_green_imag0,
    lamb_shift,
    markov_report,
    on_shell_profiles,
    wavenumber,
)
from magbell.medium.greens import SpinCorrelations

TOL = 1e-9


# ----------------------------------------------------------------------------- k-space reference
def _quad(f, a, b, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        v, e = integrate.quad(f, a, b, limit=2000, epsabs=1e-13, epsrel=1e-11, **kw)[:2]
    return v, e


def _cquad(f, a, b, **kw):
    vr, er = _quad(lambda k: f(k).real, a, b, **kw)
    vi, ei = _quad(lambda k: f(k).imag, a, b, **kw)
    return vr + 1j * vi, er + ei


def G0_kspace(dim: int, q: complex, r: float) -> tuple[complex, float]:
    """∫ d^dk/(2π)^d e^{ik·r}/(k² − q²) by radial quadrature; at r = 0 only the (finite) imaginary part."""
    f = lambda k: 1.0 / (k * k - q * q)
    kq = abs(q.real)
    K = max(4 * kq, 2 * abs(q), 60.0 / r if r > 0 else 0.0)
    pts = [kq] if 0 < kq < K else None
    if r == 0:
        w = {3: lambda k: k * k / (2 * np.pi**2), 2: lambda k: k / (2 * np.pi), 1: lambda k: 1 / np.pi}[dim]
        v1, e1 = _quad(lambda k: (w(k) * f(k)).imag, 0, K, points=pts)
        v2, e2 = _quad(lambda k: (w(k) * f(k)).imag, K, np.inf)
        return 1j * (v1 + v2), e1 + e2
    if dim == 3:
        head, e1 = _cquad(lambda k: k * np.sin(k * r) * f(k) / (2 * np.pi**2 * r), 0, K, points=pts)
        tr, e2 = _quad(lambda k: (k * f(k)).real, K, np.inf, weight="sin", wvar=r)
        ti, e3 = _quad(lambda k: (k * f(k)).imag, K, np.inf, weight="sin", wvar=r)
        return head + (tr + 1j * ti) / (2 * np.pi**2 * r), e1 + e2 + e3
    if dim == 1:
        head, e1 = _cquad(lambda k: np.cos(k * r) * f(k) / np.pi, 0, K, points=pts)
        tr, e2 = _quad(lambda k: f(k).real, K, np.inf, weight="cos", wvar=r)
        ti, e3 = _quad(lambda k: f(k).imag, K, np.inf, weight="cos", wvar=r)
        return head + (tr + 1j * ti) / np.pi, e1 + e2 + e3
    head, err = _cquad(lambda k: k * special.j0(k * r) * f(k) / (2 * np.pi), 0, K, points=pts)
    E = lambda k: special.hankel1e(0, k * r)  # noqa: E731 -- H0(x) = E(x) e^{ix}
    tail = 0j
    for part, unit in ((np.real, 1), (np.imag, 1j)):
        v1, ea = _quad(lambda k, part=part: part(k * f(k)) * E(k).real, K, np.inf, weight="cos", wvar=r)
        v2, eb = _quad(lambda k, part=part: part(k * f(k)) * E(k).imag, K, np.inf, weight="sin", wvar=r)
        tail += unit * (v1 - v2)
        err += ea + eb
    return head + tail / (2 * np.pi), err


CASES = [  # (omega, gap, stiffness, alpha): above gap, near the edge, in gap, negative frequency
    (2.0, 1.0, 1.0, 0.05),
    (2.0, 1.0, 1.0, 0.01),
    (1.05, 1.0, 0.7, 0.03),
    (0.5, 1.0, 1.0, 0.05),
    (-0.7, 1.0, 1.0, 0.05),
]


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("omega,gap,D,alpha", CASES)
def test_green_function_vs_kspace_integration(dim, omega, gap, D, alpha):
    q = complex(wavenumber(omega, gap, D, alpha))
    assert q.imag > 0
    assert np.isclose(D * q * q, omega * (1 + 1j * alpha) - gap, rtol=1e-14)
    scale = abs(helmholtz_green_imag0(dim, q)) + abs(q) ** (dim - 2)  # a local scale in every case
    num0, err0 = G0_kspace(dim, q, 0.0)
    assert err0 < 1e-10 * scale
    assert abs(num0.imag - helmholtz_green_imag0(dim, q)) < TOL * scale
    for r in (0.2, 1.0, 3.0, 8.0):
        num, err = G0_kspace(dim, q, r / max(abs(q.real), abs(q.imag)))
        exact = complex(helmholtz_green(dim, q, r / max(abs(q.real), abs(q.imag))))
        assert err < 1e-10 * scale
        assert abs(num - exact) < TOL * scale, (r, num, exact)


def test_kspace_reference_can_fail():
    """The reference distinguishes the exact damped 2D form from the undamped profile with an envelope,
    and the 3D normalisation from a factor-2 error."""
    q = complex(wavenumber(2.0, 1.0, 1.0, 0.05))
    r = 3.0
    num, _ = G0_kspace(2, q, r)
    env = 0.25 * special.j0(q.real * r) * math.exp(-q.imag * r)  # J0(kr) e^{-κr}/4: O(α) off
    assert abs(num.imag - env) > 1e3 * TOL * 0.25
    num3, _ = G0_kspace(3, q, r)
    assert abs(num3 - 2 * complex(helmholtz_green(3, q, r))) > 0.1 * abs(num3)


# ----------------------------------------------------------------------------- the couplings
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_couplings_are_the_kspace_integrals(dim):
    """a, A, J⊥ of MagnonMedium.couplings are λ²s(1+n)(2/D)Im G0 and −(λ²s/D) Re G0 of the k-integral."""
    m = MagnonMedium(dim=dim, gap=0.8, stiffness=1.3, damping=0.04, spin_density=2.5, coupling=0.7)
    Delta, kT = 2.1, 0.9
    q = complex(m.wavenumber(Delta))
    n = 1 / math.expm1(Delta / kT)
    G0 = m.coupling**2 * m.spin_density / m.stiffness
    loc, _ = G0_kspace(dim, q, 0.0)
    for r in (0.3, 1.7, 5.0):
        c = m.couplings(r, Delta, kT)
        g, _ = G0_kspace(dim, q, r)
        assert abs(float(c.a) - (1 + n) * G0 * 2 * loc.imag) < TOL * float(c.a)
        assert abs(complex(c.A) - (1 + n) * G0 * 2 * g.imag) < TOL * float(c.a)
        assert abs(float(c.Jperp) - (-G0 * g.real)) < TOL * float(c.a)
        assert float(c.a_tilde) == pytest.approx(float(c.a) * math.exp(-Delta / kT), rel=1e-14)
        assert complex(c.A_tilde) == pytest.approx(complex(c.A) * math.exp(-Delta / kT), rel=1e-14)
        assert float(c.D_dm) == float(c.Jz) == float(c.d) == 0.0


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_undamped_pairs_and_normalisations(dim):
    """α = 0 above the gap: A/a = sinc, J0, cos and J⊥ = −(a0/2)·(cos/x, −Y0, −sin) with
    a0 = Γ0 k/2π (3D), Γ0/2 (2D), Γ0/k (1D)."""
    m = MagnonMedium(dim=dim, gap=1.0, stiffness=2.0, spin_density=3.0, coupling=0.5)
    Delta = 3.0
    k = math.sqrt((Delta - m.gap) / m.stiffness)
    G0 = m.rate_scale
    a0 = {3: G0 * k / (2 * np.pi), 2: G0 / 2, 1: G0 / k}[dim]
    r = np.linspace(0.05, 20, 400) / k
    c = m.couplings(r, Delta)
    diss, coh = on_shell_profiles(dim, k * r)
    np.testing.assert_allclose(c.a, a0, rtol=1e-14)
    np.testing.assert_allclose(c.A.real, a0 * diss, rtol=0, atol=1e-13 * a0)
    np.testing.assert_allclose(c.Jperp, -a0 / 2 * coh, rtol=0, atol=1e-13 * a0 * np.max(np.abs(coh)))
    ref = {3: np.sin(k * r) / (k * r), 2: special.j0(k * r), 1: np.cos(k * r)}[dim]
    np.testing.assert_allclose(diss, ref, atol=1e-15)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_damping_envelope(dim):
    """Small α: q = k + iκ with κ ≈ αΔ/(2D_s k), and A/a ≈ e^{−κr} × the undamped profile (exact in 3D)."""
    m = MagnonMedium(dim=dim, gap=1.0, stiffness=1.0, damping=1e-3)
    Delta = 2.0
    q = complex(m.wavenumber(Delta))
    k = 1.0
    assert q.imag == pytest.approx(m.damping * Delta / (2 * m.stiffness * k), rel=1e-3)
    r = np.array([50.0, 300.0, 1000.0])  # κr = 0.05, 0.3, 1: the envelope matters
    c = m.couplings(r, Delta)
    diss, _ = on_shell_profiles(dim, q.real * r)
    ratio = c.A.real / c.a
    if dim == 3:
        np.testing.assert_allclose(ratio, np.exp(-q.imag * r) * diss, atol=1e-12)
    elif dim == 1:
        np.testing.assert_allclose(ratio, np.exp(-q.imag * r) * diss, atol=2e-3)  # Re(e^{iqr}/q)/Re(1/q)
    else:
        np.testing.assert_allclose(ratio, np.exp(-q.imag * r) * diss, atol=5e-3)  # J0 → H0 asymptotics
    assert np.all(np.abs(ratio) < np.abs(diss) + 1e-12)


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("alpha", [0.0, 1e-3, 0.3])
def test_A_bounded_by_a_at_every_separation(dim, alpha):
    m = MagnonMedium(dim=dim, gap=0.5, stiffness=1.0, damping=alpha, spin_density=1.0, coupling=1.0)
    r = np.concatenate([np.geomspace(1e-9, 1e-2, 30), np.linspace(0.01, 60, 3000)])
    Delta = np.array([0.6, 1.5, 7.0])[:, None]
    for kT in (0.0, 0.4, 30.0):
        c = m.couplings(r, Delta, kT)
        assert np.all(np.isfinite(c.a)) and np.all(np.isfinite(c.Jperp))
        assert np.all(np.abs(c.A) <= c.a)
        assert np.all(np.abs(c.A_tilde) <= c.a_tilde)
        Model(a=c.a, A=c.A, a_tilde=c.a_tilde, A_tilde=c.A_tilde, Jperp=c.Jperp)  # validates S42


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_contact_limit_A_to_a(dim):
    m = MagnonMedium(dim=dim, gap=1.0, stiffness=1.0, damping=0.02)
    c = m.couplings(np.array([1e-8, 1e-6, 1e-4]), 2.5, 0.3)
    assert np.all(np.abs(c.A.real / c.a - 1) < [1e-7, 1e-5, 1e-3])
    if dim == 1:
        c0 = m.couplings(0.0, 2.5, 0.3)
        assert complex(c0.A) == float(c0.a)
        assert float(c0.Jperp) == pytest.approx(-m.rate_scale * (1j / (2 * complex(m.wavenumber(2.5)))).real, rel=1e-14)
    else:
        with pytest.raises(InvalidParameterError, match="r must be > 0"):
            m.couplings(0.0, 2.5)
        assert float(m.spectral(0.0, 2.5)) == pytest.approx(float(m.spectral(1e-9, 2.5)), rel=1e-8)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_in_gap_no_dissipation_evanescent_coherence(dim):
    m = MagnonMedium(dim=dim, gap=2.0, stiffness=1.5, spin_density=2.0, coupling=0.8)
    Delta = 1.2
    p = math.sqrt((m.gap - Delta) / m.stiffness)
    r = np.linspace(0.01, 30, 500)
    c = m.couplings(r, Delta, kT=0.7)
    assert np.all(c.a == 0) and np.all(c.A == 0) and np.all(c.a_tilde == 0) and np.all(c.A_tilde == 0)
    G0 = m.rate_scale
    ref = {3: -G0 * np.exp(-p * r) / (4 * np.pi * r), 2: -G0 * special.k0(p * r) / (2 * np.pi), 1: -G0 * np.exp(-p * r) / (2 * p)}[dim]
    np.testing.assert_allclose(c.Jperp, ref, rtol=1e-13, atol=0)
    assert np.all(np.isfinite(c.Jperp)) and np.all(c.Jperp < 0)
    assert set(np.unique(c.info["regime"])) == {"in gap"}
    res = steady_state(c.model()[10], "ud")  # coherent only: a model the dynamics accepts
    assert np.isfinite(res.concurrence)
    # with damping the in-gap rates are finite, O(α) (the Lorentzian tail), and still bounded
    cd = MagnonMedium(dim=dim, gap=2.0, stiffness=1.5, damping=1e-3).couplings(r, Delta)
    ch = MagnonMedium(dim=dim, gap=2.0, stiffness=1.5, damping=5e-4).couplings(r, Delta)
    assert np.all(cd.a > 0) and np.all(cd.a < 1e-2 * np.max(np.abs(cd.Jperp))) and np.all(np.abs(cd.A) <= cd.a)
    np.testing.assert_allclose(ch.a / cd.a, 0.5, rtol=1e-3)


def test_band_edge_and_bad_input():
    for dim in (1, 2):
        with pytest.raises(InvalidMediumError, match="band edge"):
            MagnonMedium(dim=dim, gap=1.0, stiffness=1.0).couplings(1.0, 1.0)
    c = MagnonMedium(dim=3, gap=1.0, stiffness=1.0).couplings(1.0, 1.0)  # 3D: DOS vanishes, fine
    assert float(c.a) == 0 and float(c.Jperp) == pytest.approx(-1 / (4 * np.pi))
    assert np.isfinite(MagnonMedium(dim=1, gap=1.0, stiffness=1.0, damping=0.01).couplings(1.0, 1.0).a)
    with pytest.raises(InvalidParameterError, match="Delta must be"):
        MagnonMedium(dim=3, gap=1.0, stiffness=1.0).couplings(1.0, 0.0)
    with pytest.raises(InvalidParameterError, match="r must be"):
        MagnonMedium(dim=1, gap=1.0, stiffness=1.0).couplings(-1.0, 2.0)
    for kw, msg in ((dict(dim=4), "dim"), (dict(stiffness=0.0), "stiffness"), (dict(gap=-1.0), "gap"),
                    (dict(damping=-0.1), "damping"), (dict(spin_density=np.nan), "spin_density")):
        base = dict(dim=3, gap=1.0, stiffness=1.0)
        base.update(kw)
        with pytest.raises(InvalidParameterError, match=msg):
            MagnonMedium(**base)


# ----------------------------------------------------------------------------- against the general machinery
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_kramers_kronig_of_the_spectral_function_gives_the_coherent_coupling(dim):
    """Only A(ω) → general machinery (FDT + numerical Kramers–Kronig over all ω) → same a, A, J⊥."""
    m = MagnonMedium(dim=dim, gap=1.0, stiffness=1.0, damping=0.2, spin_density=1.3, coupling=0.9)
    r, Delta, kT = 1.5, 2.0, 0.3
    closed = m.couplings(r, Delta, kT)
    general = couplings(m.correlations(r), Delta, kT=kT, lam=m.coupling)
    assert float(general.a) == pytest.approx(float(closed.a), rel=1e-13)
    assert complex(general.A) == pytest.approx(complex(closed.A), rel=1e-13)
    assert float(general.Jperp) == pytest.approx(float(closed.Jperp), rel=1e-8, abs=1e-9 * float(closed.a))
    assert abs(float(general.D_dm)) < 1e-9 * float(closed.a)
    given = SpinCorrelations.homogeneous_medium(lambda w: m.spectral(0.0, w), lambda w: m.spectral(r, w),
                                                nonlocal_reactive=lambda w: m.reactive(r, w))
    exact = couplings(given, Delta, kT=kT, lam=m.coupling)
    assert float(exact.Jperp) == pytest.approx(float(closed.Jperp), rel=1e-14)


def test_lamb_shift_point_split_matches_general_machinery():
    """MagnonMedium's Lamb shift (closed-form reactive part + thermal quadrature) equals the S9 quadrature
    of the general machinery applied to the point-split local correlator."""
    m = MagnonMedium(dim=3, gap=1.0, stiffness=1.0, damping=0.2, spin_density=1.0, coupling=0.5)
    rc, Delta = 0.7, 2.0
    corr = SpinCorrelations.homogeneous_medium(lambda w: m.spectral(rc, w), lambda w: m.spectral(rc, w),
                                               points=(0.0, 1.0))
    for kT in (0.0, 0.8):
        c = m.couplings(3.0, Delta, kT, lamb_shift_cutoff=rc)
        l1, l2 = lamb_shift(corr, Delta, kT=kT, lam=m.coupling)
        assert float(c.lamb_shift[0]) == pytest.approx(float(l1), rel=1e-7)
        assert float(l1) == float(l2)


# ----------------------------------------------------------------------------- Markov report
def test_markov_report_and_warning():
    m = MagnonMedium(dim=3, gap=1.0, stiffness=1.0, spin_density=1.0, coupling=0.05)
    ok = m.couplings(2.0, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MarkovWarning)
        rep = markov_report(m, ok)
    assert bool(rep.ok) and rep.correlation_time == pytest.approx(1.0) and rep.propagation_time == pytest.approx(1.0)
    assert float(rep.induced_rate) == pytest.approx(2 * float(ok.a))
    strong = MagnonMedium(dim=3, gap=1.0, stiffness=1.0, spin_density=1.0, coupling=3.0)
    c = strong.couplings(np.array([0.5, 40.0]), 1.2)
    with pytest.warns(MarkovWarning, match="Markov approximation not justified"):
        rep = strong.markov(c)
    assert not np.any(rep.ok) and all("not short" in s for s in rep.reasons)
    assert rep.propagation_time[1] > rep.correlation_time[1]  # far qubits: retardation dominates
    assert "propagation" in rep.reasons[1]


def test_couplings_feed_the_dynamics():
    """A magnon medium at short separation gives |A| ≈ a and long-lived entanglement (paper Eq. 10)."""
    m = MagnonMedium(dim=1, gap=1.0, stiffness=1.0, damping=0.0, spin_density=1.0, coupling=0.1)
    k = 1.0
    c = m.couplings(2 * np.pi / k, 2.0)  # cos(kr) = 1: A = a
    assert complex(c.A) == pytest.approx(float(c.a), rel=1e-12)
    model = c.model(scale=c.a)
    assert float(model.a) == 1.0
    res = evolve(model, "ud", np.linspace(0, 200, 5))
    assert res.concurrence[-1] == pytest.approx(0.5, abs=1e-9)
