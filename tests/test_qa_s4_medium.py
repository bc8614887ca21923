"""QA session 4 (HE): the magnon media's closed forms at large separations (s4_findings HD-8).

``MagnonMedium(dim=1, gap=1, stiffness=1).couplings(r, 3.0)`` formed the phase k·r as a rounded product of a
rounded sqrt: A/a = cos(√2 r) was 6e-9 off at k·r = 1.4e8, 1.6e-4 at 1.4e12, 4e-2 at 1.4e15, exit 0 (2D: SciPy's
J0/Y0 lose eps·x in the phase and AMOS's K0 gave NaN beyond |w| ~ 1e9). Now Re q is a double-double and the phase
an exact hi + lo (``magbell.medium._phase``; docs/medium.md §6 "Large separations"): the couplings are the ones of
the float inputs to ~1e-16 of a (mpmath references at 60 digits), and refused in one line where the bound
PHASE_REL_ERR·k·r·envelope exceeds 1e-15 of a (1D without damping: k·r > 1.0e16).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

mpmath = pytest.importorskip("mpmath")

from magbell.errors import InvalidParameterError  # noqa: E402
from magbell.medium import InvalidMediumError, MagnonMedium, helmholtz_green, on_shell_profiles  # noqa: E402
from magbell.medium import _phase  # noqa: E402

U2 = 2.0**-106
DPS = 60


def _mp_q(Delta, gap, stiffness, damping=0.0):
    """The exact wave number of the float inputs (Im q >= 0, Re q >= 0 if real)."""
    z = (mpmath.mpf(Delta) * (1 + 1j * mpmath.mpf(damping)) - mpmath.mpf(gap)) / mpmath.mpf(stiffness)
    q = mpmath.sqrt(mpmath.mpc(z))
    return -q if (q.imag < 0 or (q.imag == 0 and q.real < 0)) else q


def _mp_green(dim, q, r):
    """G0(r; q) in mpmath (3D e^{iqr}/(4πr), 2D (i/4) H0^(1)(qr), 1D i e^{iqr}/(2q))."""
    r = mpmath.mpf(r)
    if dim == 3:
        return mpmath.exp(1j * q * r) / (4 * mpmath.pi * r)
    if dim == 2:  # (mpmath's hankel1 takes a minute at |qr| = 600 in the decaying direction; K0 does not)
        return mpmath.besselk(0, -1j * q * r) / (2 * mpmath.pi) if abs(q * r) > 50 else 1j / 4 * mpmath.hankel1(0, q * r)
    return 1j * mpmath.exp(1j * q * r) / (2 * q)


def _mp_imag0(dim, q):
    if dim == 3:
        return q.real / (4 * mpmath.pi)
    if dim == 2:
        return (1 - 2 * mpmath.arg(q) / mpmath.pi) / 4
    return (1 / q).real / 2


def _ratios(c):
    """(A/a, J⊥/a) of a one-point MediumCouplings at kT = 0."""
    a = float(np.ravel(c.a)[0])
    return complex(np.ravel(c.A)[0]).real / a, float(np.ravel(c.Jperp)[0]) / a


def _mp_ratios(dim, q, r):
    with mpmath.workdps(DPS):
        g = _mp_green(dim, q, r)
        im0 = _mp_imag0(dim, q)
        return float(g.imag / im0), float(-g.real / (2 * im0))  # A/a, J⊥/a = −Γ0 Re G0 / (2Γ0 Im G0(0))


# ------------------------------------------------------------------------------------------ the reproducer of HD-8
@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("r", [1e3, 1e8, 1e12, 1e15])
def test_on_shell_couplings_at_large_separation_are_those_of_the_float_inputs(dim, r):
    """Ω = D_s = 1, Δ = 3 (k = √2): A/a and J⊥/a on shell (α = 0) against mpmath for the float r. Was (1D) 6e-9
    off at r = 1e8, 1.6e-4 at 1e12, 4.2e-2 at 1e15 (−0.952 for −0.994); 2D refused at 1e12 (AMOS NaN)."""
    c = MagnonMedium(dim=dim, gap=1.0, stiffness=1.0).couplings(r, 3.0)
    with mpmath.workdps(DPS):
        q = _mp_q(3.0, 1.0, 1.0)
    A, J = _ratios(c)
    eA, eJ = _mp_ratios(dim, q, r)
    assert abs(A - eA) <= 1e-15 and abs(J - eJ) <= 1e-15


def test_si_scale_chain_at_large_separation_and_with_damping():
    """Ugly SI-like numbers (rad/s, m): Δ = 2π·2.87e9, Ω = 2π·1.121e9, D_s = 9.3e-6 m²/s (k ≈ 3.4e7 /m), r up to
    3e7 m (k·r ≈ 1e15), with α = 0 and α = 1e-17 (envelope e^{−κr} ≈ 0.1 at the largest r); 1D and 3D
    (2D through mpmath's complex Hankel function at |w| = 1e15 would be slow: covered by the next tests)."""
    D, Om, Ds = 2 * np.pi * 2.87e9, 2 * np.pi * 1.121e9, 9.3e-6
    for alpha in (0.0, 1e-17):
        with mpmath.workdps(DPS):
            q = _mp_q(D, Om, Ds, alpha)
        for dim in (1, 3):
            m = MagnonMedium(dim=dim, gap=Om, stiffness=Ds, damping=alpha)
            for r in (1.234e-7, 3.3e-2, 7.77e3, 2.9e7):
                A, J = _ratios(m.couplings(r, D))
                eA, eJ = _mp_ratios(dim, q, r)
                assert abs(A - eA) <= 1e-15 and abs(J - eJ) <= 1e-15, (alpha, dim, r, A - eA, J - eJ)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_damped_couplings_at_large_separation(dim):
    """α = 1e-9, Ω = D_s = 1, Δ = 3, r = 1e8: κr ≈ 0.1, so phase and envelope both matter (exact complex-q forms)."""
    m = MagnonMedium(dim=dim, gap=1.0, stiffness=1.0, damping=1e-9)
    with mpmath.workdps(DPS):
        q = _mp_q(3.0, 1.0, 1.0, 1e-9)
    A, J = _ratios(m.couplings(1e8, 3.0))
    eA, eJ = _mp_ratios(dim, q, 1e8)
    assert abs(A - eA) <= 1e-15 and abs(J - eJ) <= 1e-15


# ------------------------------------------------------------------------------------------ the double-double wave number
_exp = st.floats(-150, 150)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(eD=_exp, eS=_exp, ratio=st.floats(0, 2), ea=st.one_of(st.just(None), st.floats(-20, 0)), neg=st.booleans())
def test_refined_wavenumber_is_exact_to_4u2(eD, eS, ratio, ea, neg):
    """q + lo from ``refined_wavenumber`` against mpmath over 300 decades of Δ and D_s, Ω/Δ in [0, 2] (above and in
    the gap), α = 0 or 1e-20..1, positive and negative frequencies: each part within 4u²·|q| (u = 2⁻⁵³), Re q within
    4u²·Re q above the gap and Im q within 4u²·Im q in it (PHASE_REL_ERR = 8u² of the refusals: factor 2 margin)."""
    D = 10.0**eD * (-1 if neg else 1)
    gap, Ds, alpha = abs(D) * ratio, 10.0**eS, (0.0 if ea is None else 10.0**ea)
    q, lo = _phase.refined_wavenumber(np.array(D), gap, Ds, alpha)
    with mpmath.workdps(DPS):
        qe = _mp_q(D, gap, Ds, alpha)
        err = abs(mpmath.mpf(float(q.real)) + mpmath.mpf(float(lo.real)) - qe.real)
        err_i = abs(mpmath.mpf(float(q.imag)) + mpmath.mpf(float(lo.imag)) - qe.imag)
        assert err <= 4 * U2 * abs(qe) and err_i <= 4 * U2 * abs(qe)
        if D > gap:
            assert err <= 4 * U2 * qe.real
        if D < gap:  # the evanescent/damping exponent κ to the same relative accuracy
            assert err_i <= 4 * U2 * qe.imag
        assert abs(complex(q) - complex(qe)) <= 4e-16 * abs(qe)  # the float part is the float64 q


@settings(max_examples=25, deadline=None, derandomize=True)
@given(eD=st.floats(-100, 100), ratio=st.floats(0, 0.999), ekr=st.floats(0, 15.5))
def test_chain_couplings_match_mpmath_at_any_scale(eD, ratio, ekr):
    """1D on shell, Δ = 10^eD, Ω = ratio·Δ, D_s = Δ·7.3 (any units), r chosen for k·r = 10^ekr <= 3e15: A/a and
    J⊥/a within 1e-15 of the mpmath value for the float inputs."""
    D = 10.0**eD
    gap, Ds = D * ratio, D * 7.3
    with mpmath.workdps(DPS):
        q = _mp_q(D, gap, Ds)
    r = float(10.0**ekr / float(q.real))
    A, J = _ratios(MagnonMedium(dim=1, gap=gap, stiffness=Ds).couplings(r, D))
    eA, eJ = _mp_ratios(1, q, r)
    assert abs(A - eA) <= 1e-15 and abs(J - eJ) <= 1e-15


# ------------------------------------------------------------------------------------------ refusals and their absence
def _one_line(e):
    assert "\n" not in str(e) and str(e)


def test_unresolvable_phase_is_refused_in_one_line_and_only_there():
    m1 = MagnonMedium(dim=1, gap=1.0, stiffness=1.0)
    for r in (7.2e15, 1e300):  # k·r = 1.02e16, 1.4e300: refused, naming r and the limit
        with pytest.raises(InvalidMediumError, match=r"r is too large: at k\*r = .* rad .* 1e-15 of a") as e:
            m1.couplings(r, 3.0)
        _one_line(e.value)
        assert isinstance(e.value, InvalidParameterError) and "r=" in str(e.value)
    with pytest.raises(InvalidMediumError, match="r is too large"):  # grid: one line listing the point
        m1.couplings(np.array([1.0, 1e16]), 3.0)
    with pytest.raises(InvalidMediumError, match="r is too large"):
        m1.spectral(1e17, 3.0)
    assert abs(_ratios(m1.couplings(7.0e15, 3.0))[0]) <= 1  # k·r = 9.9e15: still computed
    # damping that extinguishes the pair: exactly 0, no refusal
    c = MagnonMedium(dim=1, gap=1.0, stiffness=1.0, damping=1e-3).couplings(1e20, 3.0)
    assert complex(np.ravel(c.A)[0]) == 0 and float(np.ravel(c.Jperp)[0]) == 0
    # 3D decays as 1/(kr): the bound 8u²·kr/(kr) < 1e-15 of a everywhere, computed; 2D up to k·r ~ 1e32
    A3, J3 = _ratios(MagnonMedium(dim=3, gap=1.0, stiffness=1.0).couplings(1e300, 3.0))
    assert abs(A3) <= 1e-300 and abs(J3) <= 1e-300
    A2, J2 = _ratios(MagnonMedium(dim=2, gap=1.0, stiffness=1.0).couplings(1e16, 3.0))
    with mpmath.workdps(DPS):
        eA, eJ = _mp_ratios(2, _mp_q(3.0, 1.0, 1.0), 1e16)
    assert abs(A2 - eA) <= 1e-15 and abs(J2 - eJ) <= 1e-15


def test_cli_refuses_an_unresolvable_separation_in_one_line(capsys):
    from magbell import cli

    rc = cli.main(["medium", "--model", "chain1d", "--cross-section", "2500nm^2", "--damping", "0",
                   "--field", "40mT", "--separation", "1e12m"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("magbell: error: r is too large") and "\n" not in err


# ------------------------------------------------------------------------------------------ the public building blocks
@pytest.mark.parametrize("dim", [1, 2, 3])
def test_helmholtz_green_uses_the_exact_product_of_the_floats_given(dim):
    """A float q and r: the phase is their exact product at any size (k·r = 1.2e20 here), no refusal needed."""
    q, r = 1.2345678901234567 + 0j, 1.0e20
    got = complex(helmholtz_green(dim, q, r))
    with mpmath.workdps(DPS):
        ex = complex(_mp_green(dim, mpmath.mpc(q), r))
    scale = abs(complex(helmholtz_green(dim, q, 1.0))) * (1.0 if dim == 1 else (r ** -0.5 if dim == 2 else 1 / r))
    assert abs(got - ex) <= 1e-15 * scale


@pytest.mark.parametrize("w", [31.9, 32.0, 32.1 + 3j, 60 + 0.5j, 20 + 40j, 1e6 + 1e-3j, 3e9 + 0j])
def test_2d_green_on_both_sides_of_the_hankel_seam(w):
    """2D: AMOS K0 below |qr| = 32, Hankel's expansion (18 terms) above; both against mpmath (relative 1e-15)."""
    q = complex(w) / 1.7
    got = complex(helmholtz_green(2, q, 1.7))
    with mpmath.workdps(DPS):
        ex = complex(_mp_green(2, mpmath.mpc(q.real, q.imag), 1.7))
    assert abs(got - ex) <= 1e-15 * abs(ex)


def test_on_shell_profiles_2d_at_large_arguments():
    """SciPy's j0/y0 were 2.2e-14 off at x = 1e6 and 8.7e-10 at 1e15 (amplitude ~0.0008 and 2.5e-8)."""
    x = np.array([40.0, 1e6, 1.4142135623730951e12, 1e15, 1e300, 1.7e308])
    diss, coh = on_shell_profiles(2, x)
    with mpmath.workdps(DPS):
        for i, xi in enumerate(x):
            amp = float(mpmath.sqrt(2 / (mpmath.pi * mpmath.mpf(xi))))
            assert abs(diss[i] - float(mpmath.besselj(0, mpmath.mpf(xi)))) <= 1e-15 * amp
            assert abs(coh[i] + float(mpmath.bessely(0, mpmath.mpf(xi)))) <= 1e-15 * amp


def test_the_c_library_reduces_huge_arguments_exactly():
    """The phase P + ε relies on cos/sin(P) for every float P (libm argument reduction): guard it."""
    P = np.array([1e15, 2.0**60, 1e22, 1.2345e150, 1e300])
    with mpmath.workdps(400):
        for p, c, s in zip(P, np.cos(P), np.sin(P)):
            assert abs(c - float(mpmath.cos(mpmath.mpf(p)))) <= 2.3e-16
            assert abs(s - float(mpmath.sin(mpmath.mpf(p)))) <= 2.3e-16


def test_extinguished_and_non_finite_cases_stay_quiet():
    """Damping whose envelope underflows gives exactly 0 at any phase, even where k·r or κ·r's rounding error
    overflow (r = 1e308: was NaN -> 'not representable' during this work; tests/test_bad_inputs.py promises 0);
    inf/NaN inputs to the public building blocks give inf/NaN without a RuntimeWarning (the Dekker split warned)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dim in (1, 2, 3):
            c = MagnonMedium(dim=dim, gap=1.0, stiffness=1.0, damping=1e-3).couplings(1e308, 3.0)
            assert complex(np.ravel(c.A)[0]) == 0 and float(np.ravel(c.Jperp)[0]) == 0 and float(np.ravel(c.a)[0]) > 0
            g = helmholtz_green(dim, np.array([np.nan, 1 + 0j, np.inf, 1 + 1j]), np.array([1.0, np.inf, 1.0, 1e308]))
            assert np.isnan(g[0]) and g[3] == 0
            on_shell_profiles(dim, np.array([np.nan, np.inf, 0.0, 1e308]))


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_rates_and_couplings_to_relative_accuracy_in_and_near_the_gap(dim):
    """a, A, J⊥ against mpmath to 1e-14 *relative* over α = 1e-4, 1e-13, 0.3 and Δ/Ω = 0.5, 0.999, 1.001, 3 at
    r = 0.3 and 3. The 2D local rate (1 − 2 arg q/π)/4 cancelled near the imaginary axis: in the gap with
    α = 1e-13 (Δ = Ω/2) a was 2.5e-3 off (1.1e-8 at α = 1e-8), so A/a and |A| <= a were wrong there (exit 0)."""
    rs = (0.3, 3.0)
    for alpha in (1e-4, 1e-13, 0.3):
        m = MagnonMedium(dim=dim, gap=1.0, stiffness=1.0, damping=alpha)
        for D in (0.5, 0.999, 1.001, 3.0):
            c = m.couplings(np.array(rs), D)
            with mpmath.workdps(DPS):
                q = _mp_q(D, 1.0, 1.0, alpha)
                a = 2 * _mp_imag0(dim, q) * m.rate_scale
                assert abs(c.a[0] - a) <= 1e-14 * abs(a), (alpha, D)
                for i, r in enumerate(rs):
                    g = _mp_green(dim, q, r)
                    A, J = 2 * g.imag * m.rate_scale, -g.real * m.rate_scale
                    assert abs(c.A[i].real - A) <= 1e-14 * abs(A) and abs(c.Jperp[i] - J) <= 1e-14 * abs(J), (alpha, D, r)


def _mp_hilbert(nodes, y, x):
    """P∫ dω'/2π A(ω')/(x − ω') of the piecewise-linear interpolant, segment by segment in mpmath."""
    with mpmath.workdps(DPS):
        n = [mpmath.mpf(float(v)) for v in nodes]
        v = [mpmath.mpf(float(t)) for t in y]
        x = mpmath.mpf(float(x))
        tot = 0
        for k in range(len(n) - 1):
            m = (v[k + 1] - v[k]) / (n[k + 1] - n[k])
            tot += (v[k] + m * (x - n[k])) * mpmath.log(abs((x - n[k]) / (x - n[k + 1]))) - m * (n[k + 1] - n[k])
        return float(tot / (2 * mpmath.pi))


@pytest.mark.parametrize("lo, hi, n", [(1.0, 2.0, 200), (1e10, 1.1e10, 400), (0.0, 1.0, 2)])
def test_tabulated_hilbert_far_outside_the_grid(lo, hi, n):
    """Tabulated.hilbert (the exact Kramers–Kronig of tabulated data) summed (ω − x_k) ln|ω − x_k| over the nodes,
    which cancels to ~eps·(ω/width)² of the 1/ω tail: 1.4e-7 relative at 1e3 band widths outside, 8e-4 at 1e5
    (a qubit far from a tabulated band: J⊥ wrong, exit 0); on an SI grid (1e10 rad/s) 9e-14 in and near the band.
    Now segment by segment beyond width/10, and logs of |ω − x_k|/width inside: <= 7e-15 measured."""
    from magbell.medium import Tabulated

    nodes = np.linspace(lo, hi, n)
    c, w = (lo + hi) / 2, (hi - lo) / 10
    y = np.array([1.0, 0.5]) if n == 2 else 1 / (1 + ((nodes - c) / w) ** 2) - 1 / (1 + 25.0)
    W = hi - lo
    x = np.concatenate([lo + W * np.array([0.3, 0.999]), hi + W * np.array([0.0999, 0.1001, 1.0, 10.0, 1e3]),
                        lo - W * np.array([0.2, 1e5])])
    got = Tabulated(nodes, y).hilbert(x).real
    for xi, g in zip(x, got):
        ex = _mp_hilbert(nodes, y, xi)
        assert abs(g - ex) <= 1e-14 * abs(ex), (xi, g, ex)


def test_general_couplings_refuse_hostile_coupling_constants_in_one_line():
    """magbell.medium.couplings (the general machinery): lam = nan/inf/1e200 gave a RuntimeWarning and NaN/inf
    rates, lam = 1e-200 silently 0 rates (λ² underflows), lam = 'abc' a bare ValueError, lam = [1, 2] a TypeError,
    lam = True / '2', Delta = True / '3', kT = '1' were read as numbers; Delta = 3j a TypeError."""
    import warnings

    from magbell.medium import SpinCorrelations, couplings, lamb_shift

    corr = SpinCorrelations.homogeneous_medium(lambda w: 1.0 / (1 + (w - 3) ** 2), lambda w: 0.5 / (1 + (w - 3) ** 2))
    bad = [dict(lam=np.nan), dict(lam=np.inf), dict(lam=1e200), dict(lam=1e-200), dict(lam="abc"), dict(lam=[1, 2]),
           dict(lam=True), dict(lam="2"), dict(lam_z=np.nan), dict(kT="1"), dict(kT=True), dict(Delta=True),
           dict(Delta="3"), dict(Delta=3j), dict(Delta=None)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kw in bad:
            kw = {"Delta": 3.0, **kw}
            with pytest.raises(InvalidParameterError) as e:
                couplings(corr, kw.pop("Delta"), **kw)
            _one_line(e.value)
        for kw in (dict(lam=np.nan), dict(Delta=-1.0), dict(Delta="3")):
            kw = {"Delta": 3.0, **kw}
            with pytest.raises(InvalidParameterError):
                lamb_shift(corr, kw.pop("Delta"), **kw)
        c = couplings(corr, np.array([3.0]), lam=np.float32(2.0), kT=0)
        assert abs(float(c.a[0]) - 2.0) < 1e-15 and abs(complex(c.A[0]) - 1.0) < 1e-15


def test_general_machinery_building_blocks_refuse_in_one_line():
    """MediumCouplings.model(scale=nan/0) warned and gave NaN/inf, scale=-1 flipped every sign (then 'a must be
    >= 0'), scale=True was 1, scale='a' a bare ValueError; scaled('1', 5) took a string rate and a non-string unit;
    Tabulated with complex/str frequencies raised TypeError/ValueError, a grid spanning ±1e308 warned (overflow);
    kramers_kronig(f, nan) returned NaN, principal_value of a NaN function (nan, nan)."""
    import warnings

    from magbell.medium import Tabulated, kramers_kronig, principal_value

    c = MagnonMedium(dim=3, gap=1.0, stiffness=1.0, damping=0.01).couplings(np.array([1.0, 2.0]), 3.0)
    calls = [lambda: c.model(scale=np.nan), lambda: c.model(scale=0), lambda: c.model(scale=-1),
             lambda: c.model(scale=True), lambda: c.model(scale="a"), lambda: c.model(delta="0.3"),
             lambda: c.scaled("1", "x"), lambda: c.scaled(2.0, 5), lambda: Tabulated([1j, 2j], [1, 2]),
             lambda: Tabulated(["a", "b"], [1, 2]), lambda: Tabulated([1, 2], ["a", "b"]),
             lambda: Tabulated([-1e308, 1e308], [1, 2]), lambda: kramers_kronig(lambda w: 1 / (1 + w * w), np.nan),
             lambda: kramers_kronig(lambda w: 1 / (1 + w * w), "a"), lambda: principal_value(lambda w: np.nan, 1.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in calls:
            with pytest.raises(InvalidParameterError) as e:
                f()
            _one_line(e.value)
        m = c.model(scale=c.a[0], delta=0.1)
        assert np.allclose(m.a, 1.0, rtol=1e-15, atol=0)
        assert abs(complex(Tabulated([-1e307, 1e307], [1, 2]).hilbert(0.0)) + 1 / (2 * np.pi)) < 1e-16


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_deep_tails_to_relative_accuracy(dim):
    """The exponent κ·r (evanescent in the gap, damped above it, negative frequencies) is formed like the phase:
    the propagator's real and imaginary parts to 4e-15 relative at κr up to ~600 (the float κ gave κr·eps:
    1.7e-14 at κr = 250, 1.3e-13 at 600). mpmath reference."""
    for alpha in (0.0, 0.05):
        m = MagnonMedium(dim=dim, gap=1.0, stiffness=1.0, damping=alpha)
        for w in (-3.0, 0.5, 3.0):
            for r in (10.0, 600.0):
                got = complex(m.propagator(r, w))
                with mpmath.workdps(DPS):
                    ex = complex(-_mp_green(dim, _mp_q(w, 1.0, 1.0, alpha), r))
                for g, e in ((got.real, ex.real), (got.imag, ex.imag)):
                    assert abs(g - e) <= 4e-15 * abs(e), (alpha, w, r, got, ex)


def test_si_prefixes_are_correctly_rounded_from_the_typed_digits():
    """"200nm" was 200 × 1e-9 = 2.0000000000000002e-07 (one ulp high); a power-of-ten prefix is now applied to
    the typed decimal digits, so the value is the correctly rounded decimal (2π·Hz factors still multiply)."""
    from magbell.medium.units import parse_quantity

    assert parse_quantity("200nm", "length") == 2e-7
    assert parse_quantity("3.3um", "length") == 3.3e-6
    assert parse_quantity("2e2nm", "length") == 2e-7
    assert parse_quantity("109nm", "length") == 1.09e-7
    assert parse_quantity("5mK", "temperature") == 0.005
