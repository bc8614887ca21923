"""Stationary states, kernels and spectra at extreme scales (issue 9 §1.1): pure phases decide nothing.

A mean splitting Δ (and any Hamiltonian term, which only rotates phases in the eigenbasis of H) must
never set the scale of a rank, kernel or spectral decision. References: mpmath (30 digits) on the exact
sector matrices of the float model (the generator is linear in its coefficients, and the basis
superoperators have small exact entries), and long-time ``evolve`` (an independent algorithm:
scaling-and-squaring, no eigendecomposition).

Tolerances: density matrices 1e-11 (measured ≲ 3e-14, the steady state is a solve/projection of an O(1)
matrix); decay rates 1e-9 relative to the dissipator's scale against mpmath; −d ln‖ρ(t) − ρ∞‖/dt is
read from two windows 6/γ apart and must agree with γ to 3 % (subleading modes and beating of modes
within one sector move the window maxima by a few per cent; a wrong rate, as before the fix — 2.5 or
∞ for 0.5 — is off by far more).
"""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
import systems as S
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import magbell
from magbell import InvalidParameterError, Model
from magbell.system._basis import basis_superoperators
from magbell.liouvillian._superop import sector_elements

DPS = 30


# ============================================================================================= references


def _mp_sector(m: Model, q: int) -> mpmath.matrix:
    """Exact (30-digit) complex sector-q matrix of the generator of the float model m."""
    idx = [4 * i + j for i, j in sector_elements(2)[q]]
    c = m.coefficients().reshape(-1)
    B = basis_superoperators()[:, idx][:, :, idx]
    n = len(idx)
    M = mpmath.matrix(n, n)
    for k in np.flatnonzero(c):
        ck = mpmath.mpf(float(c[k]))
        for i in range(n):
            for j in range(n):
                b = B[k, i, j]
                if b != 0:
                    M[i, j] += ck * mpmath.mpc(float(b.real), float(b.imag))
    return M


def _mp_eigenvalues(m: Model) -> np.ndarray:
    """All 16 eigenvalues of the generator (sector −q: conjugates of sector q)."""
    out = []
    with mpmath.workdps(DPS):
        for q in range(3):
            ev = mpmath.eig(_mp_sector(m, q), left=False, right=False)
            ev = np.array([complex(e) for e in ev])
            out += [ev] if q == 0 else [ev, ev.conj()]
    return np.concatenate(out)


def _nullity(ev: np.ndarray, thr: float) -> tuple[int, float]:
    """dim ker L from exact eigenvalues (0 is semisimple for a Lindbladian): |λ| below ``thr``; and the
    smallest |λ| above it relative to ``thr`` (how clear the decision is)."""
    small = np.abs(ev) < thr
    return int(small.sum()), (np.abs(ev[~small]).min() / thr if np.any(~small) else np.inf)


def _mp_unique_steady(m: Model) -> np.ndarray:
    """The unique stationary state (30 digits) from the exact |q|=0 sector: (L0 + u ℓ) x = u, ℓ = trace."""
    with mpmath.workdps(DPS):
        L0 = _mp_sector(m, 0)
        ell = [1, 1, 1, 1, 0, 0]
        for i in range(6):
            for j in range(6):
                L0[i, j] += mpmath.mpf(ell[i]) / 4 * ell[j]
        x = mpmath.lu_solve(L0, mpmath.matrix([mpmath.mpf(e) / 4 for e in ell]))
        x = [complex(v) for v in x]
    rho = np.diag(np.array(x[:4]))
    rho[1, 2], rho[2, 1] = x[4], x[5]
    return rho


def _rates_scale(m: Model) -> float:
    p = m.params()
    return sum(abs(complex(v["re"], v["im"])) if isinstance(v, dict) else abs(v)
               for k, v in p.items() if k in ("a", "A", "a_tilde", "A_tilde", "d", "D_deph"))


# ============================================================================================= reproducers


@pytest.mark.parametrize("Delta", [0.0, 1e6, 1e8, 1e10, 1e12, -3e14, 1e150])
def test_large_Delta_steady_state_is_uu_and_unique(Delta):
    """Regression: `magbell steady --a 1 --A 0.5 --Delta 1e10` reported p_ud = 1, 'unique: no (6)'."""
    m = Model(a=1.0, A=0.5, Delta=Delta)
    for s in (magbell.steady_state(m, "ud"), magbell.steady_state(m)):
        assert bool(s.unique) and int(s.n_stationary) == 1 and bool(s.converges)
        np.testing.assert_allclose(s.rho, S.rho_of("uu"), rtol=0, atol=1e-14)


@pytest.mark.parametrize("Delta", [1e4, 1e10, -1e12, 1e150])
def test_large_Delta_dark_point_keeps_half_concurrence(Delta):
    """Regression: Model(a=1, A=1, Delta=1e10) from ud gave C(∞) = 0 (6 'stationary states'); Eq. (10)
    gives ρ∞ = (|uu><uu| + |S><S|)/2, C = 1/2. With Δ ≠ 0 the uu–S coherence oscillates (energies −Δ
    and 0), so ker L is 2-dimensional and a state carrying that coherence does not converge."""
    m = Model(a=1.0, A=1.0, Delta=Delta)
    s = magbell.steady_state(m, "ud")
    assert int(s.n_stationary) == 2 and bool(s.converges)
    np.testing.assert_allclose(s.rho, (S.rho_of("uu") + S.rho_of("singlet")) / 2, rtol=0, atol=1e-14)
    assert abs(float(s.concurrence) - 0.5) <= 1e-14
    psi = (S.KETS["uu"] + S.KETS["singlet"]) / np.sqrt(2)
    s2 = magbell.steady_state(m, psi)
    assert not bool(s2.converges)  # the time average
    np.testing.assert_allclose(s2.rho, (S.rho_of("uu") + S.rho_of("singlet")) / 2, rtol=0, atol=1e-13)
    assert magbell.dark_states(m).shape == (2, 4)
    C = magbell.conserved_quantities(m)
    assert C.shape == (2, 4, 4)
    coef, *_ = np.linalg.lstsq(C.reshape(2, 16).T, S.rho_of("singlet").reshape(16), rcond=None)
    np.testing.assert_allclose(C.reshape(2, 16).T @ coef, S.rho_of("singlet").reshape(16), atol=1e-12)


@pytest.mark.parametrize("Delta", [0.0, 1e7, 1e8, 1e12, 1e150])
def test_large_Delta_spectrum(Delta):
    """Regression: slowest_rate was 2.5 at Δ = 1e7 and inf at Δ ≥ 1e8 for a = 1, A = 0.5 (right: 0.5, the
    |q|=1 mode; mpmath). Real parts do not depend on Δ; imaginary parts shift by exactly ±qΔ."""
    m = Model(a=1.0, A=0.5, Delta=Delta)
    sp = magbell.spectrum(m)
    assert float(sp.slowest_rate) == pytest.approx(0.5, rel=1e-13)
    assert float(sp.entanglement_rate) == pytest.approx(1.0, rel=1e-13)
    assert sp.regime == "overdamped"
    ev0 = np.sort(magbell.spectrum(Model(a=1.0, A=0.5)).eigenvalues.real)
    np.testing.assert_allclose(np.sort(sp.eigenvalues.real), ev0, rtol=0, atol=1e-13)
    shifts = np.sort(np.abs(sp.eigenvalues.imag))
    assert np.array_equal(shifts, np.sort(np.abs([0] * 6 + [Delta] * 8 + [2 * Delta] * 2)))


@pytest.mark.parametrize("kw", [dict(Jz=1e308), dict(Delta=1e308), dict(Jz=-1e200), dict(Jperp=1e300)])
def test_huge_phases_are_refused_in_one_line(kw):
    """Regression: Δ or Jz = 1e308 gave n_stationary = 14 and negative populations with exit 0 (and LAPACK
    printed 'On entry to DLASCL' on stdout). Beyond _domain.RATE_MAX = 1e150 the solvers refuse."""
    for f in (magbell.steady_state, magbell.spectrum):
        with pytest.raises(InvalidParameterError) as e:
            m = Model(a=1.0, A=0.5, **kw)
            f(m) if f is magbell.spectrum else f(m, "ud")
        assert "\n" not in str(e.value) and next(iter(kw)) in str(e.value)


def test_cli_large_Delta_and_huge_Jz(capfd):
    """The CLI reproducers (in process; capfd sees file-descriptor output such as LAPACK's): --Delta 1e10
    gives p_uu = 1, unique; --Jz 1e308 --json is one line on stderr, exit 2, nothing on stdout."""
    from magbell.cli import main

    args = ["steady", "--a", "1", "--A", "0.5", "--json"]
    assert main(args + ["--Delta", "1e10"]) == 0
    out, err = capfd.readouterr()
    obj = json.loads(out)
    assert obj["unique"] is True and obj["n_stationary"] == 1 and err == ""
    np.testing.assert_allclose(obj["populations"], [1, 0, 0, 0], atol=1e-14)
    assert main(args + ["--Jz", "1e308"]) == 2
    out, err = capfd.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("magbell: error: ") and "Jz" in err


@pytest.mark.parametrize("tol", [float("nan"), 0, 0.0, -1, 1, float("inf"), True, "1e-9", None])
def test_bad_tol_is_one_line_error(tol):
    """Regression: spectrum(m, tol=nan | 0 | -1) was accepted (nan returned NaN rates)."""
    m = Model(a=1.0, A=0.5)
    for call in (
        lambda: magbell.spectrum(m, tol=tol),
        lambda: magbell.steady_state(m, "ud", tol=tol),
        lambda: magbell.conserved_quantities(m, tol=tol),
        lambda: magbell.dark_states(m, tol=tol),
    ):
        with pytest.raises(InvalidParameterError, match=r"^tol must be a number with 0 < tol < 1, got "):
            call()


# ============================================================================================= corners vs mpmath

_CORNERS = {
    # SI-like: rates 1e3 /s, splitting 1e10 rad/s, couplings up to 1e9 (the Hamiltonian dominates)
    "si_units": dict(a=1e3, A=0.9e3 * np.exp(0.4j), a_tilde=10.0, A_tilde=5j, d=3.0, delta=1e7, Jz=1e9,
                     Jperp=3e8, D_dm=-1e8, Delta=1.7e10),
    # rates 1e8 /s with |A| = a to rounding: the bordered solve needs a border on the rates' scale
    "si_near_dark": dict(a=179557346.46836936, A=151048783.01814696 + 97082984.19135451j, a_tilde=179557.34646836936,
                         Delta=-1e10, delta=1e7, Jperp=1e5),
    "huge_delta_jz": dict(a=1.0, A=0.5, delta=1e12, Jz=-3e11, Delta=1e14),
    "tiny_rates": dict(a=1e-9, A=0.7e-9, a_tilde=1e-10, delta=0.3, Jz=1.0, Delta=2.0),
    "ordinary": dict(a=1.0, A=0.6, a_tilde=0.2, A_tilde=0.1 + 0.05j, delta=0.3, Jz=0.5, d=0.1, Delta=0.7),
}


@pytest.mark.parametrize("name", sorted(_CORNERS))
def test_corner_spectrum_and_steady_state_against_mpmath(name):
    m = Model(**_CORNERS[name])
    scale = _rates_scale(m)
    ref = _mp_eigenvalues(m)
    sp = magbell.spectrum(m)
    ev = sp.eigenvalues
    from scipy.optimize import linear_sum_assignment

    cost = np.abs(ev.real[:, None] - ref.real[None, :]) / scale + np.abs(ev.imag[:, None] - ref.imag[None, :]) / (
        scale + np.abs(ref.imag[None, :])
    )
    r, c = linear_sum_assignment(cost)
    np.testing.assert_allclose(ev.real[r], ref.real[c], rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(ev.imag[r], ref.imag[c], rtol=1e-14, atol=1e-9 * scale)
    rates = -ref.real
    assert float(sp.slowest_rate) == pytest.approx(rates[rates > 1e-9 * scale].min(), rel=1e-9)
    s = magbell.steady_state(m)
    assert bool(s.unique)
    np.testing.assert_allclose(s.rho, _mp_unique_steady(m), rtol=0, atol=1e-13)


def test_fast_phase_stationary_coherence():
    """Jz = 1e9 with Δ = 2Jz makes |uu> (E = −Δ + Jz) and the dark singlet (E = −Jz) degenerate: their
    coherence is stationary (n = 4) and (|uu> + |S>)/√2 is a dark state. Detuned by 1 it oscillates
    (n = 2, not converging; the time average). Decided on the dissipator's scale in the eigenframe."""
    psi = (S.KETS["uu"] + S.KETS["singlet"]) / np.sqrt(2)
    m = Model(a=1.0, A=1.0, Jz=1e9, Delta=2e9)
    s = magbell.steady_state(m, psi)
    assert int(s.n_stationary) == 4 and bool(s.converges)
    np.testing.assert_allclose(s.rho, S.proj(psi), rtol=0, atol=1e-12)
    assert _nullity(_mp_eigenvalues(m), 1e-12)[0] == 4
    m = Model(a=1.0, A=1.0, Jz=1e9, Delta=2e9 + 1.0)
    s = magbell.steady_state(m, [psi, "ud"])
    assert int(s.n_stationary) == 2 and s.converges.tolist() == [False, True]
    np.testing.assert_allclose(s.rho[0], (S.rho_of("uu") + S.rho_of("singlet")) / 2, rtol=0, atol=1e-12)
    assert _nullity(_mp_eigenvalues(m), 1e-12)[0] == 2


# ============================================================================================= property


def _f(lo, hi):
    return st.floats(lo, hi, allow_subnormal=False)


def _flush(p: dict) -> dict:
    """Products of drawn numbers can be subnormal, which Model refuses; such values are 0 physically."""
    return {k: (0.0 if 0 < abs(v) < 1e-300 else v) for k, v in p.items()}


@st.composite
def _models(draw):
    """Generic and degenerate models (|A| = a at zero or finite temperature), complex phases, Δ up to
    1e12·rates, large Jz and δ."""
    a = draw(_f(0.2, 2.0))
    phi = draw(_f(0.0, 2 * np.pi))
    big = st.sampled_from([0.0, 1e4, 1e8, 1e10, 1e12, -3.3e11])
    p = dict(a=a, Delta=draw(big | _f(-2, 2)), Jz=draw(st.sampled_from([0.0, 1e6, -3e7]) | _f(-2, 2)))
    if draw(st.booleans()):  # degenerate: the (phase-rotated) singlet is dark
        r = draw(st.sampled_from([0.0, 0.2]))
        g = draw(_f(-1, 1))
        p.update(A=a * np.exp(1j * phi), a_tilde=r * a, A_tilde=r * a * np.exp(1j * phi),
                 Jperp=g * np.cos(phi), D_dm=-g * np.sin(phi))
        if draw(st.booleans()):
            p["Delta"] = 2 * p["Jz"] + 2 * g  # |uu> and the dark state degenerate: a stationary coherence
    else:
        p.update(
            A=draw(_f(0, 0.95)) * a * np.exp(1j * phi),
            a_tilde=draw(st.sampled_from([0.0, 0.3])) * a,
            d=draw(st.sampled_from([0.0, 0.1])),
            delta=draw(st.sampled_from([0.0, 1e5]) | _f(-2, 2)),
            Jperp=draw(_f(-1, 1)),
        )
        p["A_tilde"] = 0.5 * p["a_tilde"] * np.exp(-1j * phi)
    return _flush(p)


@settings(max_examples=32, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=_models(), seed=st.integers(0, 2**32 - 1))
def test_property_steady_state_and_slowest_rate_match_evolve(p, seed):
    """n_stationary = the exact (mpmath) nullity; spectrum's slowest rate γ = the exact one;
    steady_state(m, ρ0) = evolve(m, ρ0, [T]) at T = 40/γ; and γ = −d ln‖ρ(t) − ρ∞‖/dt at long times, up
    to the contamination B·e^{−(γ2−γ)t1}/(t2−t1) (B ≤ 10) by the next rate γ2."""
    m = Model(**p)
    rho0 = S.random_density_matrix(np.random.default_rng(seed))
    from magbell._domain import within_spread

    if not within_spread(m.coefficients()).all():  # outside the stated domain: a one-line refusal, not a number
        with pytest.raises(magbell.InvalidParameterError, match="spans more than"):
            magbell.steady_state(m, rho0)
        return
    scale = _rates_scale(m)
    ev = _mp_eigenvalues(m)
    n_ref, clear = _nullity(ev, 1e-12 * scale)
    if clear < 1e6:  # a rate within [1e-12, 1e-6]·scale: no clear rank to compare with
        return
    # A frequency that is not exactly 0 but below the rounding of the energies (a resonance such as
    # Δ = 2𝒥z + 2𝒥⊥ met to the last bit: Δ = 2000001.6674918632, 𝒥z = 1e6, 𝒥⊥ = 0.8337459316238562 leaves
    # 1.2e-12 rad/s) is decided by one ulp of the input: both ranks are right for some input within rounding.
    p_ = m.params()
    h_scale = sum(abs(float(p_.get(k, 0.0))) for k in ("Delta", "delta", "Jz", "Jperp", "D_dm"))
    if _nullity(ev, 1e-20 * (scale + h_scale))[0] != n_ref:  # 30-digit eigenvalues resolve it; float64 cannot
        return
    rates = -ev.real[np.abs(ev) >= 1e-12 * scale]
    g_ref = rates[rates > 1e-12 * scale].min()
    g2 = rates[rates > g_ref * (1 + 1e-6)].min(initial=np.inf)
    s = magbell.steady_state(m, rho0)
    assert int(s.n_stationary) == n_ref
    sp = magbell.spectrum(m)
    assert int(sp.info["n_stationary"]) == n_ref  # zero eigenvalues counted by the same machinery
    assert np.sum(sp.eigenvalues == 0) == n_ref
    g = float(sp.slowest_rate)
    assert g == pytest.approx(g_ref, rel=1e-8)
    if not bool(s.converges):
        return
    late = magbell.evolve(m, rho0, [40.0 / g], store_states=True).states[-1]
    np.testing.assert_allclose(s.rho, late, rtol=0, atol=1e-11)

    def window_max(t0):
        t = t0 + np.linspace(0.0, 2.0 / g, 24)
        st_ = magbell.evolve(m, rho0, t, store_states=True).states
        n = np.linalg.norm(st_ - s.rho, axis=(-2, -1))
        return np.max(n * np.exp(g * (t - t0)))

    t1, t2 = 8.0 / g, 14.0 / g  # ‖ρ − ρ∞‖ stays ≳ 1e-7: far above evolve's rounding
    est = np.log(window_max(t1) / window_max(t2)) / (t2 - t1)
    assert abs(est - g) <= 0.03 * g + 10 * np.exp(-(g2 - g) * t1) / (t2 - t1)


def test_grid_mixing_ordinary_and_eigenframe_points_equals_pointwise():
    """One grid holds ordinary points and Hamiltonian-dominated ones (eigenframe path, batched by
    frequency-cluster pattern); each grid point must equal the single-model result, and the conserved
    quantities (trace, singlet weight, both parts of <uu|ρ|S>: nothing flows into the singlet) and dark
    states at the stationary-coherence point Jz = 1e9, Δ = 2Jz are the expected ones."""
    Jz = np.array([0.0, 1e9, 1e9, -3e7])
    m = Model(a=1.0, A=np.array([[0.5], [1.0]]), Jz=Jz, Delta=2 * Jz, delta=np.array([0.0, 0.0, 1e8, 0.3]))
    psi = (S.KETS["uu"] + S.KETS["singlet"]) / np.sqrt(2)
    s = magbell.steady_state(m, [psi, "ud"])
    sp = magbell.spectrum(m)
    for i in range(2):
        for j in range(4):
            one = m[i, j]
            s1 = magbell.steady_state(one, [psi, "ud"])
            np.testing.assert_allclose(s.rho[i, j], s1.rho, rtol=0, atol=1e-14)
            assert s.n_stationary[i, j] == s1.n_stationary and np.array_equal(s.converges[i, j], s1.converges)
            assert sp.slowest_rate[i, j] == magbell.spectrum(one).slowest_rate
    assert s.n_stationary.tolist() == [[1, 1, 1, 1], [4, 4, 1, 1]]  # δ ≠ 0 mixes S and T0: not dark (mpmath)
    dark = Model(a=1.0, A=1.0, Jz=1e9, Delta=2e9)
    C = magbell.conserved_quantities(dark)
    assert C.shape == (4, 4, 4)
    basis = C.reshape(4, 16).T
    coh = np.outer(S.KETS["singlet"], S.KETS["uu"].conj())
    for X in (S.rho_of("singlet"), np.eye(4), coh + coh.conj().T, 1j * (coh - coh.conj().T)):
        coef, *_ = np.linalg.lstsq(basis, X.reshape(16), rcond=None)
        assert np.max(np.abs(basis @ coef - X.reshape(16))) < 1e-12
    kets = magbell.dark_states(dark)
    assert kets.shape == (2, 4)
    Pk = kets.T @ kets.conj()
    np.testing.assert_allclose(Pk, S.rho_of("uu") + S.rho_of("singlet"), atol=1e-12)


@pytest.mark.parametrize("Jz", [0.0, 1.0, 1e9])
def test_dark_states_not_decided_by_Jz(Jz):
    """A DM coupling D = 0.01 mixes the singlet with T0 (not dark) whatever 𝒥z is; |↑↑> stays dark. With the
    invariance threshold relative to ‖H‖ (𝒥z = 1e9 included) the singlet would have counted as dark."""
    m = Model(a=1.0, A=1.0, Jz=Jz, D_dm=0.01)
    kets = magbell.dark_states(m)
    np.testing.assert_allclose(np.abs(kets), [S.KETS["uu"]], atol=1e-12)
    assert int(magbell.steady_state(m, "ud").n_stationary) == len(magbell.conserved_quantities(m)) == 1
    assert _nullity(_mp_eigenvalues(m), 1e-12)[0] == 1


@pytest.mark.parametrize(
    "kw, n, conv_psi_plus, conv_phi_plus",
    [
        (dict(Jz=1e12, delta=1.0), 6, False, True),  # ρ_{↑↓,↓↑} rotates at 2δ = 2 next to 𝒥z = 1e12
        (dict(Jz=1e12, Delta=2e12 + 1.0), 6, True, False),  # ↑↑ and ↑↓ detuned by 1
        (dict(Jz=1e12, Delta=2e12), 10, True, False),  # ↑↑, ↑↓, ↓↑ degenerate: their coherences stand still
        (dict(Jz=1.0, delta=1.0), 6, False, True),
    ],
)
def test_pure_hamiltonian_frequencies_decided_exactly(kw, n, conv_psi_plus, conv_phi_plus):
    """Without dissipation L = -i[H, ·]: a frequency is zero iff it vanishes to its own rounding, never
    relative to the largest energy. Regression: Model(a=0, Jz=1e12, delta=1) kept the ↑↓–↓↑ coherence of
    psi+ (rotating at 2δ = 2) as 'stationary' (n = 8, converges) instead of averaging it out."""
    m = Model(a=0.0, **kw)
    s = magbell.steady_state(m, ["psi+", "phi+"])
    assert int(s.n_stationary) == n == len(magbell.conserved_quantities(m))
    assert s.converges.tolist() == [conv_psi_plus, conv_phi_plus]
    coh = 0.0 if "delta" in kw else 0.5
    np.testing.assert_allclose(s.rho[0], [[0, 0, 0, 0], [0, 0.5, coh, 0], [0, coh, 0.5, 0], [0, 0, 0, 0]], atol=1e-15)
    assert np.isinf(float(magbell.spectrum(m).slowest_rate))


# ============================================================================================= wide rate spreads
#
# Issue 9 follow-up: spectrum counted a rate as 0 below tol·(spectral radius), so dephasing 1e9 made the
# relaxation rate 2 vanish (slowest_rate 4e9); thresholds relative to the largest rate also made ranks
# of steady_state wrong where dephasing of the |q| ≥ 1 coherences dominated the dissipator. Zero
# eigenvalues are now counted (the kernel machinery, ranks decided row-equilibrated / per block) and
# rates of different scales are split apart exactly before the eigensolver (magbell._graded).

_SPREAD = {
    "dephasing_1e9": dict(a=1.0, A=0.5, d=1e9),  # the reproducer: slowest_rate was 4e9, right ≈ 2
    "dephasing_1e12_unequal": dict(a=1.0, A=0.5 * np.exp(0.3j), d=1e12, d2=3.0, delta=0.4),
    "collective_dephasing_dark": dict(a=1.0, A=1.0, d=1e12, D_deph=1e12),  # singlet stays dark: n = 2 (was 6)
    "thermal_1e-12": dict(a=1.0, A=0.5, a_tilde=1e-12, A_tilde=0.2e-12),
    "slow_relaxation_fast_dephasing": dict(a=1e-12, A=0.3e-12, d=1.0),
    "si_units": dict(a=1e3, A=0.5e3, a_tilde=2.0, d=1e6, Delta=1e10, delta=1e3),
    "eigenframe_Jz": dict(a=1.0, A=0.5, d=1e9, Jz=1e12),  # n was 4 (rates 2 below tol·‖D‖ = 4)
    "eigenframe_delta": dict(a=1.0, A=0.5, d=1e9, delta=1e12, Jperp=3.0),
    "eigenframe_Jz_1e15": dict(a=1.0, A=0.5, d=1e12, Jz=1e15),  # slowest rate was 1.99910 (eig of ‖D‖ = 8e12)
    # found by the property test below: a slow coherence rotating at 2δ = 2e12 next to dephasing 1e12
    # (was 1.99992 for 2: a real 2×2 rotation block; block 0 is now split in complex coordinates)
    "collective_dephasing_rotating": dict(a=1.0, A=0.27 + 0.42j, d=1e12, D_deph=1e12, delta=1e12),
    "site1_dephasing_rotating": dict(a=1.0, A=0.5, d=1e12, d2=0.0, delta=1e12),  # was 1.00006 for 1
    # −2a − 4d + 4𝔇 summed in float64 lost a = 1e-12 (the generator is now summed exactly): refused before
    "collective_cancellation": dict(a=1e-12, d=1e6, D_deph=1e6, delta=1e12),
    "slow_relaxation_rotating": dict(a=1e-12, A=0.5e-12, d=1.0, d2=3.0, delta=1e12),  # n was 3
}
#: measured relative errors of the rates: ≤ 6e-16 (all cases); the eigenframe path's transforms may leave
#: eps·‖D‖ of rounding (2e-6 next to rates ~2 at d = 1e9) where they rotate or decouple
_SPREAD_RTOL = {"eigenframe_delta": 1e-9}


@pytest.mark.parametrize("name", sorted(_SPREAD))
def test_wide_rate_spread_against_mpmath(name):
    m = Model(**_SPREAD[name])
    ev = _mp_eigenvalues(m)
    with mpmath.workdps(DPS):
        e0 = np.array([complex(e) for e in mpmath.eig(_mp_sector(m, 0), left=False, right=False)])
    top = np.abs(ev).max()
    zero = np.abs(ev) < 1e-27 * top  # exact zeros come out ≲ 1e-29·top at 30 digits
    assert np.abs(ev[~zero]).min() > 1e-25 * top  # and every other |λ| is clearly not zero
    n_ref = int(zero.sum())
    rtol = _SPREAD_RTOL.get(name, 1e-13)
    sp = magbell.spectrum(m)
    s = magbell.steady_state(m, "ud")
    assert int(s.n_stationary) == int(sp.info["n_stationary"]) == n_ref == np.sum(sp.eigenvalues == 0)
    assert len(magbell.conserved_quantities(m)) == n_ref
    assert float(sp.slowest_rate) == pytest.approx((-ev.real[~zero]).min(), rel=rtol)
    k0 = int(np.sum(np.abs(e0) < 1e-27 * top))
    ent = (-e0.real[np.abs(e0) >= 1e-27 * top]).min() if k0 == 1 else 0.0
    assert float(sp.entanglement_rate) == pytest.approx(ent, rel=rtol)
    if "rotating" not in name and "cancellation" not in name:
        assert sp.regime == "overdamped"  # distinct real rates (strong dephasing: semisimple, not an EP)
    if n_ref == 1:
        np.testing.assert_allclose(s.rho, _mp_unique_steady(m), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["dephasing_1e9", "si_units"])
def test_wide_rate_spread_slowest_rate_is_the_long_time_decay(name):
    """−d ln‖ρ(t) − ρ∞‖/dt from evolve (scaling and squaring, no eigensolver) at t ≈ 14/γ is the reported
    slowest rate (measured to 2e-7; the next rates are ≥ γ·(1 + 6e-11), so the window sees γ alone to
    ~1e-6). Before the fix the reported rate was 4e9 for the first model."""
    m = Model(**_SPREAD[name])
    g = float(magbell.spectrum(m).slowest_rate)
    rinf = magbell.steady_state(m, "ud").rho
    t = np.array([14.0, 15.0]) / g
    st_ = magbell.evolve(m, np.full((4, 4), 0.25), t, store_states=True).states  # |++><++|
    n = np.linalg.norm(st_ - rinf, axis=(-2, -1))
    assert np.log(n[0] / n[1]) * g == pytest.approx(g, rel=1e-5)


def test_unresolvable_rate_is_refused_in_one_line():
    """A decay rate (here a − |A| ≈ 1e-14, against rates ~1) below the eigensolver's resolution
    (128·eps·scale) at a point the kernel tolerance calls unique is refused, not reported; with the
    default tolerance the same point is degenerate (n = 4, as in steady_state) and its rates are exact."""
    m = Model(a=1.0, A=1 - 1e-14)
    with pytest.raises(InvalidParameterError, match="below the eigensolver's resolution") as e:
        magbell.spectrum(m, tol=1e-15)
    assert "\n" not in str(e.value)
    sp = magbell.spectrum(m)
    assert int(sp.info["n_stationary"]) == int(magbell.steady_state(m, "ud").n_stationary) == 4
    assert float(sp.slowest_rate) == pytest.approx(2.0, rel=1e-13)


@pytest.mark.parametrize("A, n_dark", [(1e-12, 1), (0.5e-12, 0)])
def test_dark_states_with_relaxation_1e24_below_dephasing(A, n_dark):
    """Collective dephasing 1e12 keeps {↑↓, ↓↑} in the jumps' common kernel; relaxation a = 1e-12 (jump
    amplitude 1e-6 of the dephasing's 1e6) decides that only the singlet (|A| = a) or nothing is dark.
    With the kernel threshold relative to the largest jump, ↑↓ and ↓↑ both counted as dark."""
    m = Model(a=1e-12, A=A, d=1e12, D_deph=1e12)
    kets = magbell.dark_states(m)
    assert kets.shape == (n_dark, 4)
    if n_dark:
        np.testing.assert_allclose(np.abs(kets[0]), np.abs(S.KETS["singlet"]), atol=1e-12)
    n = 1 + n_dark  # |↑↑> (an eigenvector of every jump, not in their kernel) and the dark singlet
    assert int(magbell.steady_state(m, "ud").n_stationary) == len(magbell.conserved_quantities(m)) == n
    n_ref, clear = _nullity(_mp_eigenvalues(m), 1e-16)  # 30 digits of a 4e12 matrix: zeros ≲ 1e-17; rates ≥ 1e-12
    assert n_ref == n and clear > 1e3


@st.composite
def _spread_models(draw):
    """Dephasing 1e6–1e12 (local, unequal, collective), thermal rates down to 1e-12, relaxation down to
    1e-12 against dephasing ~1, the singlet dark or not, Δ in SI units, Jz/δ up to 1e13."""
    a = draw(st.sampled_from([1.0, 1e-12, 1e3]))
    phi = draw(st.sampled_from([0.0, 1.0, np.pi / 2]))  # cos(π/2)·A is 6e-17·A: normal for every A here
    d = draw(st.sampled_from([1.0, 1e6, 1e9, 1e12])) * (a if a > 1 else 1.0)
    p = dict(a=a, A=draw(st.sampled_from([0.0, 0.5, 0.9, 1.0])) * a * np.exp(1j * phi), d=d,
             d2=draw(st.sampled_from([None, 0.0, 3.0])),
             a_tilde=draw(st.sampled_from([0.0, 1e-12])) * a,
             Delta=draw(st.sampled_from([0.0, 1e10, -3e7])),
             Jz=draw(st.sampled_from([0.0, 1e13, 2.0])),
             delta=draw(st.sampled_from([0.0, 0.3, 1e12])))
    if draw(st.booleans()):
        p["D_deph"] = d if p["d2"] is None else 0.0
    if p["d2"] is None:
        del p["d2"]
    return _flush(p)


@settings(max_examples=24, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=_spread_models())
def test_property_wide_spread_kernel_and_slowest_rate_against_mpmath(p):
    """n_stationary (steady_state and spectrum) = the exact nullity; slowest_rate = the exact slowest decay
    (or a one-line refusal, which none of these draws needs)."""
    m = Model(**p)
    try:
        ev = _mp_eigenvalues(m)
    except RuntimeError:  # mpmath's QR did not converge (huge spreads at 30 digits): no reference
        return
    top = np.abs(ev).max()
    zero = np.abs(ev) < 1e-27 * top  # 30 digits: exact zeros come out ≲ 1e-29·top; rates here ≥ 1e-26·top
    if np.any(~zero) and np.abs(ev[~zero]).min() < 1e-8 * p["a"]:
        return  # a rate below tol relative to the relaxation (e.g. ã = 1e-12 a at |A| = a): degenerate by design
    sp = magbell.spectrum(m)
    s = magbell.steady_state(m, "ud")
    n_ref = int(zero.sum())
    assert int(s.n_stationary) == int(sp.info["n_stationary"]) == n_ref
    rates = -ev.real[~zero]
    decays = rates[rates > 1e-27 * top]
    if decays.size:
        assert float(sp.slowest_rate) == pytest.approx(decays.min(), rel=1e-9)


def test_rotated_eigenframe_with_wide_dissipator_is_refused_not_wrong():
    """Where a dominant 𝒥⊥ rotates ↑↓/↓↑ in the eigenframe and the dissipator spans 1e12, the rotation's
    rounding (eps·‖D‖·sin θ) moved ρ∞ by 3e-4 and the rate 2 by 1e-4 (measured against mpmath): now one
    line each. A moderate spread (rates 1e3, dephasing 1e6, 𝒥⊥ = 1e9, SI units) is still answered exactly."""
    m = Model(a=1.0, A=0.5, d=1e12, Jperp=1e15)
    for call in (lambda: magbell.steady_state(m, "ud"), lambda: magbell.conserved_quantities(m),
                 lambda: magbell.spectrum(m)):
        with pytest.raises(InvalidParameterError) as e:
            call()
        assert "\n" not in str(e.value)
    m = Model(a=1e3, A=0.5e3, d=1e6, Delta=1e10, Jperp=1e9, delta=1e9)
    np.testing.assert_allclose(magbell.steady_state(m).rho, _mp_unique_steady(m), rtol=0, atol=1e-12)
    ev = _mp_eigenvalues(m)
    g = (-ev.real[np.abs(ev) > 1e-27 * np.abs(ev).max()]).min()
    assert float(magbell.spectrum(m).slowest_rate) == pytest.approx(g, rel=1e-9)


@pytest.mark.parametrize("solver", ["spectrum", "steady_state", "conserved_quantities", "dark_states"])
def test_rate_spread_beyond_the_domain_is_refused(solver):
    """a = 1e-170 against d = 1 used to give n_stationary = 4 and p_ud = 1 (exit 0); the t-free solvers now refuse
    spreads beyond _domain.SPREAD_MAX = 1e100 in one line naming both parameters, and stay right inside it."""
    import magbell
    from magbell._domain import SPREAD_MAX

    assert SPREAD_MAX == 1e100
    bad = magbell.Model(a=1e-170, d=1.0)
    args = (bad, "ud") if solver == "steady_state" else (bad,)
    with pytest.raises(magbell.InvalidParameterError, match=r"\|a\| = 1e-170 against \|d\| = 1 spans more than 1e\+100"):
        getattr(magbell, solver)(*args)
    ok = magbell.Model(a=1e-100, d=1.0)  # at the edge: slowest rate 2a, unique steady state |↑↑>
    assert magbell.spectrum(ok).slowest_rate == pytest.approx(2e-100, rel=1e-12)
    s = magbell.steady_state(ok, "ud")
    assert bool(s.unique) and abs(float(s.populations[0]) - 1) < 1e-15
    phase = magbell.Model(a=1.0, A=1 + 2e-252j)  # a tiny Im A next to Re A is a phase, not a second scale
    assert bool(magbell.steady_state(phase, "ud").unique) is False
    lone = magbell.Model(a=1e-300)  # one tiny scale alone is no spread
    assert magbell.spectrum(lone).slowest_rate == pytest.approx(2e-300, rel=1e-12)
