"""Closed-form results of the first half of Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022).

Main text Eqs. (1)–(10) and Supplement (iii)–(vii). Every function is a plain, vectorised NumPy
function (float64 / complex128): array arguments broadcast against each other with the ordinary
NumPy rules, so e.g. ``concurrence_zero_temperature(t[None, :], a, A[:, None], delta)`` gives a
grid. Each docstring names the equation it implements and its regime of validity. Where the printed
formula is wrong, the function implements the *corrected* form and the docstring says so; the
printed form is kept alongside (suffix ``_printed``) only where it is useful to demonstrate the
discrepancy. All discrepancies are listed, with derivations, in ``docs/errata.md``.

These are reference implementations of the printed equations, not the library's API. Some of them
(:func:`h_matrix`, :func:`jump_operators`, :func:`jump_rates`, :func:`wootters_concurrence`,
:func:`x_state_concurrence`, :func:`entanglement_of_formation`) re-implement what the library computes
(:meth:`magbell.Model.h_matrix`, :meth:`magbell.Model.jump_operators`, :mod:`magbell.measures`) on
purpose: written from the paper's formulas independently of :class:`magbell.Model`, they are checked
against it (``tests/test_closed_forms.py``, the claims of :mod:`magbell.paper.claims`). They live in the
paper's reproduction (:mod:`magbell.paper`), which the library never imports, and are not exported from
magbell's top level; for simulations use :class:`magbell.Model` / :class:`magbell.System` and
:mod:`magbell.measures`.

Conventions (the same as the rest of :mod:`magbell`)
----------------------------------------------------
* ħ = 1; basis ``|↑↑>, |↑↓>, |↓↑>, |↓↓>`` = indices 0, 1, 2, 3 (qubit 1 is the left tensor factor);
  ``σz|↑> = +|↑>``, ``σ± = (σx ± iσy)/2`` so ``σ+ = |↑><↓|``. ``ρ_ij = <i|ρ|j>``; in particular
  ``ρ12 = <↑↓|ρ|↓↑>``.
* ``H_S = −(Δ1 σ1z + Δ2 σ2z)/2``, ``δ = (Δ1 − Δ2)/2``, ``Δ = (Δ1 + Δ2)/2``.
* ``dρ/dt = −i[H_S, ρ] − Σ_i D_{J_i}[ρ]``, ``D_J[ρ] = J†Jρ + ρJ†J − 2JρJ†`` (Eqs. 6, 7).
* ``h`` of Eq. (4): block ``[[ã, Ã], [Ã*, ã]]`` on ``(σ1−, σ2−)`` and ``[[a, A*], [A, a]]`` on
  ``(σ1+, σ2+)``. For ``A = |A|e^{iφ}``, ``Ã = |Ã|e^{iφ̃}`` the jump operators of Eq. (5) are
  ``J3,4 = sqrt((a ± |A|)/2)(σ1+ ± e^{iφ}σ2+)`` and ``J1,2 = sqrt((ã ± |Ã|)/2)(σ1− ± e^{−iφ̃}σ2−)``.
  The paper (ref. [71], and S54) works in the gauge where A and Ã are real and non-negative; a
  rotation of qubit 2 about z achieves that for both at once only if ``arg A = arg Ã`` (which detailed
  balance, Ã = e^{−βΔ}A, guarantees). Functions taking a complex ``A`` return the state in the
  original (un-gauged) frame: from ``|↑↓>`` only the coherence picks up a phase, ``ρ12 → e^{−iφ}ρ12``.
* "Zero temperature" means ``ã = Ã = 0``.

The zero-temperature solution is written with the entire functions

    s(t) = sinh(κ0 t)/κ0,     c(t) = cosh(κ0 t),      κ0² = |A|² − δ²  (any sign),

which are real for real t in all three regimes (for δ > |A|, κ0 = iω0 and s = sin(ω0 t)/ω0,
c = cos(ω0 t)) and are evaluated by a power series near κ0² t² = 0, so the critical point δ = |A| is
not a 0/0 and the formulas are continuous (indeed analytic) through it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    # Eq. 9 and regimes
    "CharacteristicFrequencies",
    "characteristic_frequencies",
    "omega0",
    "kappa0",
    "regime",
    "exceptional_point_detuning",
    # S58–S63 zero-temperature dynamics from |ud>
    "sinhc_cosh",
    "ZeroTemperatureSolution",
    "zero_temperature_xyh",
    "zero_temperature_rho",
    "concurrence_zero_temperature",
    "concurrence_underdamped",
    "concurrence_critical",
    "concurrence_overdamped",
    "concurrence_S63_printed",
    "entanglement_lifetime",
    # steady states (Eq. 10, S65, finite temperature)
    "steady_state_zero_temperature",
    "steady_state_dark_singlet",
    "steady_concurrence_dark_singlet",
    "dark_point_asymptotic_state",
    "steady_concurrence_finite_temperature",
    "steady_state_thermal_product",
    # measures
    "x_state_concurrence",
    "wootters_concurrence",
    "entanglement_of_formation",
    # DM example, Suppl. (iv)
    "dm_hamiltonian",
    "dm_state",
    "dm_concurrence",
    "dm_concurrence_angular_frequency",
    # equations of motion S54 and model-level closed forms
    "EOM_LABELS",
    "eom_generator",
    "eom_generator_S54",
    "rho_to_eom_vector",
    "eom_vector_to_rho",
    "h_matrix",
    "jump_operators",
    "jump_rates",
    "detailed_balance",
    "boltzmann_ratio",
    "is_physical",
]


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _absA(A) -> np.ndarray:
    return np.abs(np.asarray(A))


def _phase(A) -> np.ndarray:
    """e^{iφ} for A = |A|e^{iφ} (1 where A = 0)."""
    return np.exp(1j * np.angle(np.asarray(A, dtype=complex)))


def _kappa_sq(A, delta) -> np.ndarray:
    """κ0² = |A|² − δ² computed as (|A| − |δ|)(|A| + |δ|): no cancellation near the critical point."""
    a_, d_ = _absA(A), np.abs(_f(delta))
    return (a_ - d_) * (a_ + d_)


# ----------------------------------------------------------------------------------------------
# Eq. (9): characteristic frequencies, regimes
# ----------------------------------------------------------------------------------------------


class CharacteristicFrequencies(NamedTuple):
    omega_plus: np.ndarray  #: ω+ = +2ω0 − 2ia
    omega_minus: np.ndarray  #: ω− = −2ω0 − 2ia
    omega0: np.ndarray  #: ω0 = sqrt(δ² − |A|²), principal branch (complex128)
    kappa0: np.ndarray  #: κ0 = sqrt(|A|² − δ²), principal branch (complex128)


def omega0(A, delta) -> np.ndarray:
    """ω0 = sqrt(δ² − |A|²) of Eq. (9), principal branch (complex; purely imaginary when δ < |A|).

    Valid at zero temperature (ã = Ã = 0); with ã, Ã ≠ 0 the analogous quantity of the
    postselected dynamics uses Γ = |A| + |Ã| (Eq. 14, not covered here).
    """
    return np.sqrt(-_kappa_sq(A, delta) + 0j)


def kappa0(A, delta) -> np.ndarray:
    """κ0 = sqrt(|A|² − δ²) (main text after Eq. 9, S61), principal branch, complex.

    Real and ≥ 0 in the overdamped regime |δ| < |A| (where ω0 = iκ0), zero at the critical point,
    and ``i·sqrt(δ² − |A|²) = iω0`` in the underdamped regime (both are principal roots).
    """
    return np.sqrt(_kappa_sq(A, delta) + 0j)


def characteristic_frequencies(a, A, delta) -> CharacteristicFrequencies:
    """Eq. (9): ω± = ±2ω0 − 2ia with ω0 = sqrt(δ² − |A|²) (principal branch), and κ0.

    x(t) = Re ρ12 is a combination of e^{−iω± t} (Eq. 8). Zero temperature, initial |↑↓> (Eq. 8 holds
    for any initial state with ρ33 = 0, but the forcing term of S58 assumes ρ11 − ρ22 = e^{−2at}).
    Note: in the overdamped regime, with the principal branch ω0 = iκ0, ω+ = −2i(a − κ0) and
    ω− = −2i(a + κ0); the main text's "ω± = −2i(a ± κ0)" labels the two roots the other way round.
    """
    a = _f(a)
    w0 = omega0(A, delta)
    return CharacteristicFrequencies(2 * w0 - 2j * a, -2 * w0 - 2j * a, w0, kappa0(A, delta))


def exceptional_point_detuning(A) -> np.ndarray:
    """The critical detuning δ_c = |A| separating the regimes (main text after Eq. 9, T = 0)."""
    return _absA(A)


def regime(A, delta, rtol: float = 0.0) -> np.ndarray:
    """Regime of the zero-temperature dynamics (main text after Eq. 9), as an array of strings.

    'underdamped' for |δ| > |A| (ω0 real), 'critical' for |δ| = |A|, 'overdamped' for |δ| < |A|
    (ω0 imaginary). With ``rtol > 0`` points with ||δ| − |A|| <= rtol·|A| count as critical. Note that
    A = δ = 0 (no coupling, equal fields) is classified 'critical' (κ0 = 0); the dynamics is then a
    plain exponential decay and C(t) = 0.
    """
    d = np.abs(_f(delta)) - _absA(A)
    tol = rtol * _absA(A)
    out = np.where(d > tol, "underdamped", np.where(d < -tol, "overdamped", "critical"))
    return out


# ----------------------------------------------------------------------------------------------
# Zero-temperature dynamics from |↑↓>: S56–S63
# ----------------------------------------------------------------------------------------------

_N_SERIES = 18  # terms of the series below; (1/(2·18)!) ≈ 3e-42, i.e. exact in float64 for |z| <= 1


def _series_s_c(z):
    """(Σ_k z^k/(2k+1)!, Σ_k z^k/(2k)!) for |z| <= 1, by a Horner scheme truncated after k = 18."""
    s = np.ones_like(z)
    c = np.ones_like(z)
    for k in range(_N_SERIES, 0, -1):
        s = 1.0 + s * z / ((2 * k) * (2 * k + 1))
        c = 1.0 + c * z / ((2 * k - 1) * (2 * k))
    return s, c


def sinhc_cosh(q, t, a=0.0):
    """Scaled ``(e^{−at}·sinh(√q t)/√q, e^{−at}·cosh(√q t))`` for real q of either sign.

    Exact at q = 0 (gives ``(t e^{−at}, e^{−at})``), equal to ``(e^{−at} sin(√−q t)/√−q, e^{−at} cos(√−q t))``
    for q < 0, and free of overflow for a >= √q > 0 and large t (the exponentials are combined
    before evaluation). A power series is used for |q|t² <= 1, so the function is smooth through q = 0.
    This is the numerically safe helper behind all T = 0 formulas (with q = κ0² = |A|² − δ²).
    """
    q, t, a = np.broadcast_arrays(_f(q), _f(t), _f(a))
    z = q * t * t
    small = np.abs(z) <= 1.0
    pos = (~small) & (q > 0)
    neg = (~small) & (q < 0)
    ea = np.exp(-a * t)
    s = np.empty_like(z)
    c = np.empty_like(z)
    ss, cs = _series_s_c(np.where(small, z, 0.0))
    s[small] = (t * ss * ea)[small]
    c[small] = (cs * ea)[small]
    if np.any(pos):
        k = np.sqrt(q[pos])
        tp, ap = t[pos], a[pos]
        grow = np.exp((k - ap) * tp)
        em = np.exp(-2 * k * tp)
        s[pos] = grow * (-np.expm1(-2 * k * tp)) / (2 * k)
        c[pos] = grow * (1 + em) / 2
    if np.any(neg):
        w = np.sqrt(-q[neg])
        tn = t[neg]
        en = ea[neg]
        s[neg] = en * np.sin(w * tn) / w
        c[neg] = en * np.cos(w * tn)
    return s, c


class ZeroTemperatureSolution(NamedTuple):
    x: np.ndarray  #: Re ρ12 (real gauge)
    y: np.ndarray  #: Im ρ12 (real gauge)
    h: np.ndarray  #: ρ22 = <↓↑|ρ|↓↑>


def zero_temperature_xyh(t, a, A, delta) -> ZeroTemperatureSolution:
    """x(t), y(t), h(t) of S61 in a form valid in all three regimes (T = 0, initial |↑↓>).

    With s = sinh(κ0 t)/κ0 and c = cosh(κ0 t) (κ0² = |A|² − δ², see :func:`sinhc_cosh`)::

        x = Re ρ12 = −|A| s c e^{−2at}      ( = −|A| sinh(2κ0 t) e^{−2at}/(2κ0), S61 )
        y = Im ρ12 = −δ|A| s² e^{−2at}      ( = −|A|δ sinh²(κ0 t) e^{−2at}/κ0², S61 )
        h = ρ22    = |A|² s² e^{−2at}       ( = |A|² sinh²(κ0 t) e^{−2at}/κ0², S61 )

    S61 prints these for the overdamped regime only; they are entire in κ0² and hold unchanged in
    the critical (s = t, c = 1) and underdamped (s = sin(ω0 t)/ω0, c = cos(ω0 t)) regimes. They solve
    S58 (which is correct) with x(0) = y(0) = h(0) = 0. Here x, y are in the gauge where A is real
    and ≥ 0 (the paper's); for complex A = |A|e^{iφ}, ρ12 = e^{−iφ}(x + iy). Any real δ is allowed
    (the paper assumes δ ≥ 0); ρ12 for −δ is the complex conjugate of that for δ.
    """
    t, a, absA, delta = np.broadcast_arrays(_f(t), _f(a), _absA(A).astype(float), _f(delta))
    es, ec = sinhc_cosh(_kappa_sq(absA, delta), t, a)  # e^{−at}s, e^{−at}c
    return ZeroTemperatureSolution(-absA * es * ec, -delta * absA * es * es, absA * absA * es * es)


def zero_temperature_rho(t, a, A, delta) -> np.ndarray:
    """Full ρ(t) of S62 (T = 0, initial |↑↓>, H = H_S), valid in all three regimes; shape (..., 4, 4).

    ρ33 = 0, ρ22 = h, ρ11 = h + e^{−2at} (S56), ρ00 = 1 − e^{−2at} − 2h (S57),
    ρ12 = e^{−iφ}(x + iy), ρ21 = ρ12*, all other elements zero. In terms of κ0 (overdamped print,
    S62): ρ11 = (|A|²cosh²κ0t − δ²)e^{−2at}/κ0², ρ00 = 1 − (|A|²cosh 2κ0t − δ²)e^{−2at}/κ0² — both
    forms agree identically. The mean splitting Δ does not enter (|↑↓>, |↓↑> are degenerate under Δ).
    """
    sol = zero_temperature_xyh(t, a, A, delta)
    t_, a_ = np.broadcast_arrays(_f(t), _f(a))
    t_ = np.broadcast_to(t_, sol.x.shape)
    a_ = np.broadcast_to(a_, sol.x.shape)
    e2 = np.exp(-2 * a_ * t_)
    ph = np.broadcast_to(np.conj(_phase(A)), sol.x.shape)
    rho = np.zeros(sol.x.shape + (4, 4), dtype=complex)
    rho[..., 0, 0] = -np.expm1(-2 * a_ * t_) - 2 * sol.h
    rho[..., 1, 1] = sol.h + e2
    rho[..., 2, 2] = sol.h
    rho[..., 1, 2] = ph * (sol.x + 1j * sol.y)
    rho[..., 2, 1] = np.conj(rho[..., 1, 2])
    return rho


def concurrence_zero_temperature(t, a, A, delta) -> np.ndarray:
    """Concurrence C(t) at T = 0 from |↑↓>, valid in all three regimes (S63, corrected).

    C = 2|ρ12| = 2 sqrt(x² + y²) (S52 with ρ33 = ρ03 = 0), which simplifies to

        C(t) = 2|A| e^{−2at} |s| sqrt(1 + |A|² s²),        s = sinh(κ0 t)/κ0.

    Overdamped: = 2|A| sinh(κ0t) e^{−2at} sqrt(|A|²cosh²κ0t − δ²)/κ0² (main text, S63 right-hand side).
    Underdamped: = 2e^{−2at}|A sin ω0t| sqrt(δ² − |A|²cos²ω0t)/ω0² (main text).
    Critical |δ| = |A|: = 2|A| t e^{−2at} sqrt(1 + |A|²t²) (see :func:`concurrence_critical`).
    (S63's middle expression "2|x(t) + y(t)|" is a misprint for 2|x + iy|; see docs/errata.md.)
    """
    sol = zero_temperature_xyh(t, a, A, delta)
    return 2 * np.hypot(sol.x, sol.y)


def concurrence_underdamped(t, a, A, delta) -> np.ndarray:
    """Main-text underdamped form C = 2e^{−2at}|A sin ω0t| sqrt(δ² − |A cos ω0t|²)/ω0², as printed.

    Valid for |δ| > |A| (ω0 = sqrt(δ² − |A|²) real), T = 0, initial |↑↓>; NaN elsewhere.
    """
    t, a, absA, delta = np.broadcast_arrays(_f(t), _f(a), _absA(A).astype(float), _f(delta))
    q = -_kappa_sq(absA, delta)
    ok = q > 0
    w = np.sqrt(np.where(ok, q, 1.0))
    with np.errstate(invalid="ignore"):
        val = (
            2 * np.exp(-2 * a * t) * np.abs(absA * np.sin(w * t))
            * np.sqrt(delta**2 - (absA * np.cos(w * t)) ** 2) / w**2
        )
    return np.where(ok, val, np.nan)


def concurrence_critical(t, a, A) -> np.ndarray:
    """C(t) at the critical point |δ| = |A| (T = 0, initial |↑↓>) — corrected form.

        C(t) = 2|A| t e^{−2at} sqrt(1 + |A|² t²)

    The main text (and the Fig. 2 caption) state C ∝ t e^{−2at}; that is only the short-time
    behaviour t ≪ 1/|A|. For t ≫ 1/|A|, C → 2|A|² t² e^{−2at} (∝ t²). Neither single power law is
    exact. Obtained from the κ0 → 0 limit of S61/S63: x = −|A| t e^{−2at}, y = −|A|² t² e^{−2at}
    (taking δ = +|A|), C = 2 sqrt(x² + y²).
    """
    t, a, absA = np.broadcast_arrays(_f(t), _f(a), _absA(A).astype(float))
    return 2 * absA * t * np.exp(-2 * a * t) * np.sqrt(1 + (absA * t) ** 2)


def concurrence_overdamped(t, a, A, delta) -> np.ndarray:
    """Main-text / S63 overdamped form C = 2|A| sinh(κ0t) e^{−2at} sqrt(|A cosh κ0t|² − δ²)/κ0², as printed.

    Valid for |δ| < |A| (κ0 = sqrt(|A|² − δ²) > 0), T = 0, initial |↑↓>; NaN elsewhere. Evaluated
    literally (so it loses accuracy as κ0 → 0 and overflows for κ0 t ≳ 700; use
    :func:`concurrence_zero_temperature` in practice).
    """
    t, a, absA, delta = np.broadcast_arrays(_f(t), _f(a), _absA(A).astype(float), _f(delta))
    q = _kappa_sq(absA, delta)
    ok = q > 0
    k = np.sqrt(np.where(ok, q, 1.0))
    with np.errstate(invalid="ignore", over="ignore"):
        val = (
            2 * absA * np.sinh(k * t) * np.exp(-2 * a * t)
            * np.sqrt((absA * np.cosh(k * t)) ** 2 - delta**2) / k**2
        )
    return np.where(ok, val, np.nan)


def concurrence_S63_printed(t, a, A, delta) -> np.ndarray:
    """S63's middle expression C = 2|x(t) + y(t)| exactly as printed — WRONG, kept for the erratum.

    The correct expression is 2|x + iy| = 2 sqrt(x² + y²) (:func:`concurrence_zero_temperature`);
    the two agree only where x·y = 0 (e.g. δ = 0, where y ≡ 0).
    """
    sol = zero_temperature_xyh(t, a, A, delta)
    return 2 * np.abs(sol.x + sol.y)


def entanglement_lifetime(a, A, delta) -> np.ndarray:
    """Entanglement lifetime τ (main text after Eq. 9 and S64), all regimes, T = 0, initial |↑↓>.

        1/τ = 2(a − Re κ0),   κ0 = sqrt(|A|² − δ²)

    i.e. τ = 1/(2(a − κ0)) overdamped (S64), τ = 1/(2a) underdamped and critical (main text), and
    τ = 1/(2(a − |A|)) at δ = 0 (main text; the sentence after S64 says 1/(a − |A|), a misprint).
    τ is the exponential decay time of C(t) at long times, C ∝ e^{−t/τ} (times a bounded periodic
    factor when underdamped, times a t² factor at the critical point). Returns inf where
    a = κ0 (i.e. a = |A| and δ = 0: steady entanglement).
    """
    a = _f(a)
    rate = 2 * (a - np.real(kappa0(A, delta)))
    with np.errstate(divide="ignore"):
        return np.where(rate > 0, 1.0 / np.where(rate > 0, rate, 1.0), np.inf)


# ----------------------------------------------------------------------------------------------
# Steady states: Eq. (10), S65, and finite temperature (derived here)
# ----------------------------------------------------------------------------------------------


def _proj(v) -> np.ndarray:
    return v[..., :, None] * np.conj(v[..., None, :])


def _singlet_triplet(A) -> tuple:
    """|S_φ> = (|↑↓> − e^{iφ}|↓↑>)/√2 (dark under J3 ∝ σ1+ + e^{iφ}σ2+) and |T_φ> = (|↑↓> + e^{iφ}|↓↑>)/√2."""
    ph = _phase(A)
    z = np.zeros(ph.shape + (4,), dtype=complex)
    S = z.copy()
    T = z.copy()
    S[..., 1] = 1 / np.sqrt(2)
    S[..., 2] = -ph / np.sqrt(2)
    T[..., 1] = 1 / np.sqrt(2)
    T[..., 2] = ph / np.sqrt(2)
    return S, T


def steady_state_zero_temperature(a, A, delta) -> np.ndarray:
    """t → ∞ state at T = 0 from |↑↓> (Eq. 10 / S65), shape (..., 4, 4).

    * a = |A| and δ = 0: ρ∞ = (|↑↑><↑↑| + |S><S|)/2 with the singlet |S> = (|↑↓> − e^{iφ}|↓↑>)/√2
      (the paper's |00>, in its real gauge φ = 0); C(∞) = 1/2.
    * otherwise (a > κ0): ρ∞ = |↑↑><↑↑|, C(∞) = 0.
    Exact equality a == |A| and δ == 0 is tested (a point with a − |A| = 1e-12 has a finite, if very
    long, lifetime and decays to |↑↑>).
    """
    a, absA, delta = np.broadcast_arrays(_f(a), _absA(A).astype(float), _f(delta))
    dark = (a == absA) & (delta == 0) & (a > 0)
    S, _ = _singlet_triplet(np.broadcast_to(np.asarray(A, dtype=complex), a.shape))
    uu = np.zeros(a.shape + (4, 4), dtype=complex)
    uu[..., 0, 0] = 1
    half = 0.5 * (uu + _proj(S))
    return np.where(dark[..., None, None], half, uu)


def steady_state_dark_singlet(r, w=0.5, A=1.0) -> np.ndarray:
    """Steady state for a = |A|, ã = |Ã| (detailed balance, r = ã/a = e^{−βΔ}), δ = 0 — derived here.

        ρ∞ = w |S><S| + (1 − w) (|↑↑><↑↑| + r |T><T| + r² |↓↓><↓↓|) / (1 + r + r²)

    with w = <S|ρ(0)|S> the (conserved) weight of the dark singlet |S> = (|↑↓> − e^{iφ}|↓↑>)/√2 and
    |T> = (|↑↓> + e^{iφ}|↓↑>)/√2; φ = arg A = arg Ã. From |↑↓>, w = 1/2. Derivation: J1, J3 ∝ total
    lowering/raising operators map the triplet to itself and annihilate |S>; H_S (δ = 0) is diagonal
    in this basis; the triplet is a three-level ladder with up/down rate ratio a/ã at each step
    (equal matrix elements √2), so its populations are ∝ 1 : r : r², and every coherence decays
    (Σ J†J is positive definite on the triplet for ã > 0). At r = 0 (T = 0) this is Eq. (10) for
    w = 1/2; at r = 0 and Δ ≠ 0 a general initial state can keep a (rotating, undamped) coherence
    between |S> and |↑↑>, which this function does not include.
    Valid for 0 <= r <= 1, any Δ, with r > 0 for general initial states (see above).
    """
    r, w = np.broadcast_arrays(_f(r), _f(w))
    S, T = _singlet_triplet(np.broadcast_to(np.asarray(A, dtype=complex), r.shape))
    n = 1 + r + r * r
    rho = w[..., None, None] * _proj(S) + ((1 - w) / n)[..., None, None] * r[..., None, None] * _proj(T)
    rho = rho.astype(complex)
    rho[..., 0, 0] += (1 - w) / n
    rho[..., 3, 3] += (1 - w) * r * r / n
    return rho


def dark_point_asymptotic_state(rho0, r=0.0, A=1.0, Delta=0.0, t=0.0) -> np.ndarray:
    """Long-time state at the dark point a = |A|, ã = |Ã| = r a, δ = 0 from an arbitrary ρ0 — derived here.

    w = <S|ρ0|S> is conserved (|S> = (|↑↓> − e^{iφ}|↓↑>)/√2 is annihilated by J1, J3 and by H_S − E),
    * r > 0: ρ(t) → :func:`steady_state_dark_singlet` (r, w) (unique given w; all coherences decay);
    * r = 0: ρ(t) → w|S><S| + (1 − w)|↑↑><↑↑| + (c e^{−iΔt}|S><↑↑| + h.c.), c = <S|ρ0|↑↑>. The
      |S>–|↑↑> coherence is undamped (J3|S> = J3|↑↑> = 0, J3†|S> = 0) and rotates at the mean splitting
      Δ (E_S − E_↑↑ = Δ), so for Δ ≠ 0 there is no stationary limit; the concurrence is nevertheless
      constant, C = w for every c (ρρ̃ is rank one with eigenvalue w²).
    ``t`` is the (large) time at which the r = 0 asymptote is evaluated. Batched over leading axes of
    ``rho0`` (shape (..., 4, 4)) broadcasting with r, A, Delta, t.
    """
    rho0 = np.asarray(rho0, dtype=complex)
    r, Delta, t = (_f(x) for x in (r, Delta, t))
    A = np.asarray(A, dtype=complex)
    shape = np.broadcast_shapes(rho0.shape[:-2], r.shape, A.shape, Delta.shape, t.shape)
    S, _ = _singlet_triplet(np.broadcast_to(A, shape))
    rho0 = np.broadcast_to(rho0, shape + (4, 4))
    w = np.real(np.einsum("...i,...ij,...j->...", np.conj(S), rho0, S))
    c = np.einsum("...i,...i->...", np.conj(S), rho0[..., :, 0])  # <S|ρ0|↑↑>
    r = np.broadcast_to(r, shape)
    out = steady_state_dark_singlet(r, w, np.broadcast_to(A, shape))
    ct = np.where(r == 0, c * np.exp(-1j * np.broadcast_to(Delta * t, shape)), 0.0)
    coh = ct[..., None, None] * S[..., :, None] * np.eye(4)[0][None, :]  # c(t)|S><↑↑|
    return out + coh + np.conj(np.swapaxes(coh, -1, -2))


def steady_concurrence_dark_singlet(r, w=0.5) -> np.ndarray:
    """Concurrence of :func:`steady_state_dark_singlet`: C∞ = max(0, w − 3(1 − w) r / (1 + r + r²)).

    From S52: ρ12 = −w/2 + (1 − w)r/(2N), sqrt(ρ00ρ33) = (1 − w)r/N, N = 1 + r + r². Valid for
    a = |A|, ã = |Ã| = r a, δ = 0. For T = 0 (r = 0) it gives C∞ = w, i.e. any state with singlet
    weight w > 0 (not symmetric) ends entangled, as the paper says (after Eq. 10, S65); at finite
    temperature that needs w > 3r(1 − w)/N, so "irrespective of the initial state" is T = 0 only.
    """
    r, w = np.broadcast_arrays(_f(r), _f(w))
    return np.maximum(0.0, w - 3 * (1 - w) * r / (1 + r + r * r))


def steady_concurrence_finite_temperature(r) -> np.ndarray:
    """C∞(r) = (1 − r)² / (2(1 + r + r²)) for a = |A|, ã = |Ã| = r a, δ = 0, initial |↑↓> — derived here.

    (Not printed in the paper.) r = e^{−βΔ}. C∞(0) = 1/2 (Eq. 10), C∞(1) = 0 (infinite temperature,
    Suppl. after Fig. S1), C∞(0.1) = 0.81/2.22 ≈ 0.3649 (Fig. S1(a): "around 0.35").
    """
    r = _f(r)
    return (1 - r) ** 2 / (2 * (1 + r + r * r))


def steady_state_thermal_product(a, a_tilde) -> np.ndarray:
    """Thermal product state ρ_th ⊗ ρ_th with p↓/p↑ = ã/a = e^{−βΔ} — derived here.

    The unique steady state when a > |A| (any δ, Δ) and detailed balance holds for both pairs,
    |Ã|/|A| = ã/a with arg Ã = arg A (or A = Ã = 0). Its concurrence is zero. (At T = 0 it is
    |↑↑><↑↑|.) If |Ã|/|A| ≠ ã/a the steady state carries a coherence ρ12 ≠ 0 and is not this state.
    """
    a, at = np.broadcast_arrays(_f(a), _f(a_tilde))
    pu = a / (a + at)
    pd = at / (a + at)
    diag = np.stack([pu * pu, pu * pd, pd * pu, pd * pd], axis=-1)
    out = np.zeros(a.shape + (4, 4), dtype=complex)
    idx = np.arange(4)
    out[..., idx, idx] = diag
    return out


# ----------------------------------------------------------------------------------------------
# Entanglement measures: S49, S50, S52
# ----------------------------------------------------------------------------------------------


def x_state_concurrence(rho) -> np.ndarray:
    """S52: C = 2 max{0, |ρ12| − sqrt(ρ00ρ33), |ρ03| − sqrt(ρ11ρ22)} for an X state (S51), batched.

    Valid only for X states (all elements outside the diagonal, ρ12/ρ21 and ρ03/ρ30 vanish); it is
    then equal to Wootters' concurrence (S49).
    """
    rho = np.asarray(rho)
    p = np.real(np.diagonal(rho, axis1=-2, axis2=-1))
    p = np.clip(p, 0.0, None)
    c1 = np.abs(rho[..., 1, 2]) - np.sqrt(p[..., 0] * p[..., 3])
    c2 = np.abs(rho[..., 0, 3]) - np.sqrt(p[..., 1] * p[..., 2])
    return 2 * np.maximum(0.0, np.maximum(c1, c2))


_SYSY = np.kron(np.array([[0, -1j], [1j, 0]]), np.array([[0, -1j], [1j, 0]]))


def wootters_concurrence(rho) -> np.ndarray:
    """S49: C = max{0, λ1 − λ2 − λ3 − λ4}, λ_i the decreasing square roots of the eigenvalues of
    ρ (σy⊗σy) ρ* (σy⊗σy). Any two-qubit density matrix, batched. (Eigenvalues are real ≥ 0 in
    exact arithmetic; tiny negative/imaginary rounding is clipped.)
    """
    rho = np.asarray(rho, dtype=complex)
    R = rho @ _SYSY @ np.conj(rho) @ _SYSY
    ev = np.linalg.eigvals(R)
    lam = np.sqrt(np.clip(np.real(ev), 0.0, None))
    lam = -np.sort(-lam, axis=-1)
    return np.maximum(0.0, lam[..., 0] - lam[..., 1] - lam[..., 2] - lam[..., 3])


def entanglement_of_formation(C) -> np.ndarray:
    """S50: E_F = h((1 + sqrt(1 − C²))/2), h(x) = −x log2 x − (1 − x) log2(1 − x); 0 <= C <= 1.

    Monotone increasing from E_F(0) = 0 to E_F(1) = 1.
    """
    C = np.clip(_f(C), 0.0, 1.0)
    x = (1 + np.sqrt(1 - C * C)) / 2
    y = C * C / (2 * (1 + np.sqrt(1 - C * C)))  # = 1 − x, without cancellation for small C
    with np.errstate(divide="ignore", invalid="ignore"):
        hx = np.where(x > 0, -x * np.log2(np.where(x > 0, x, 1.0)), 0.0)
        hy = np.where(y > 0, -y * np.log2(np.where(y > 0, y, 1.0)), 0.0)
    return hx + hy


# ----------------------------------------------------------------------------------------------
# DM example, Suppl. (iv)
# ----------------------------------------------------------------------------------------------


def dm_hamiltonian(D) -> np.ndarray:
    """H_DM = D ẑ·(σ1 × σ2) = D(σ1xσ2y − σ1yσ2x) = 2iD(σ1+σ2− − σ1−σ2+), shape (..., 4, 4) (S38)."""
    D = _f(D)
    H = np.zeros(D.shape + (4, 4), dtype=complex)
    H[..., 1, 2] = 2j * D
    H[..., 2, 1] = -2j * D
    return H


def dm_state(t, D) -> np.ndarray:
    """|ψ(t)> = cos(2Dt)|↑↓> − sin(2Dt)|↓↑> = e^{−iH_DM t}|↑↓> (Suppl. iv), shape (..., 4). Exact."""
    t, D = np.broadcast_arrays(_f(t), _f(D))
    psi = np.zeros(t.shape + (4,), dtype=complex)
    psi[..., 1] = np.cos(2 * D * t)
    psi[..., 2] = -np.sin(2 * D * t)
    return psi


def dm_concurrence(t, D) -> np.ndarray:
    """C_DM(t) = |sin 4Dt| for H_DM alone from |↑↓> (Suppl. iv). Exact (no dissipation)."""
    t, D = np.broadcast_arrays(_f(t), _f(D))
    return np.abs(np.sin(4 * D * t))


def dm_concurrence_angular_frequency(D) -> np.ndarray:
    """The "frequency 8D" of Suppl. (iv): |sin 4Dt| has period π/(4|D|), i.e. angular frequency 8|D|
    (cyclic frequency 4|D|/π). The amplitudes cos 2Dt, sin 2Dt themselves oscillate at 2D."""
    return 8 * np.abs(_f(D))


# ----------------------------------------------------------------------------------------------
# Equations of motion S54, model-level closed forms (Eqs. 4, 5, detailed balance, S42)
# ----------------------------------------------------------------------------------------------

#: Ordering of the vector the 6×6 generators act on (the paper's ρ00..ρ33 = uu, ud, du, dd).
EOM_LABELS = ("rho00", "rho11", "rho22", "rho33", "rho12", "rho21")


def eom_generator(a, A, delta, a_tilde=0.0, A_tilde=0.0) -> np.ndarray:
    """Exact 6×6 generator M with d/dt v = M v, v = (ρ00, ρ11, ρ22, ρ33, ρ12, ρ21), complex A, Ã allowed.

    Derived from Eqs. (3), (4), (7) (with h[σ2+, σ1+] = A, h[σ1−, σ2−] = Ã), any Δ::

        ρ̇00 = −4ã ρ00 + 2a(ρ11 + ρ22) + 2(A ρ12 + A* ρ21)
        ρ̇11 = −2(a + ã)ρ11 + 2ã ρ00 + 2a ρ33 − (B ρ12 + B* ρ21),        B = A + Ã
        ρ̇22 = −2(a + ã)ρ22 + 2ã ρ00 + 2a ρ33 − (B ρ12 + B* ρ21)
        ρ̇33 = −4a ρ33 + 2ã(ρ11 + ρ22) + 2(Ã ρ12 + Ã* ρ21)
        ρ̇12 = 2(iδ − a − ã)ρ12 − B*(ρ11 + ρ22) + 2Ã* ρ00 + 2A* ρ33
        ρ̇21 = conjugate of the ρ̇12 row

    This six-dimensional set is closed for every initial state (it is the q = 0 sector of the
    axially symmetric Lindbladian). For real A, Ã ≥ 0 it is exactly S54 (:func:`eom_generator_S54`);
    for arg A = arg Ã = φ it is S54 after ρ12 → e^{iφ}ρ12.
    """
    a, delta, at = np.broadcast_arrays(_f(a), _f(delta), _f(a_tilde))
    A = np.broadcast_to(np.asarray(A, dtype=complex), a.shape)
    At = np.broadcast_to(np.asarray(A_tilde, dtype=complex), a.shape)
    B = A + At
    M = np.zeros(a.shape + (6, 6), dtype=complex)
    M[..., 0, 0] = -4 * at
    M[..., 0, 1] = 2 * a
    M[..., 0, 2] = 2 * a
    M[..., 0, 4] = 2 * A
    M[..., 0, 5] = 2 * np.conj(A)
    for i in (1, 2):
        M[..., i, i] = -2 * (a + at)
        M[..., i, 0] = 2 * at
        M[..., i, 3] = 2 * a
        M[..., i, 4] = -B
        M[..., i, 5] = -np.conj(B)
    M[..., 3, 3] = -4 * a
    M[..., 3, 1] = 2 * at
    M[..., 3, 2] = 2 * at
    M[..., 3, 4] = 2 * At
    M[..., 3, 5] = 2 * np.conj(At)
    M[..., 4, 4] = 2 * (1j * delta - a - at)
    M[..., 4, 1] = -np.conj(B)
    M[..., 4, 2] = -np.conj(B)
    M[..., 4, 0] = 2 * np.conj(At)
    M[..., 4, 3] = 2 * np.conj(A)
    M[..., 5, :] = np.conj(M[..., 4, [0, 1, 2, 3, 5, 4]])
    return M


def eom_generator_S54(a, A, delta, a_tilde=0.0, A_tilde=0.0) -> np.ndarray:
    """S54 exactly as printed, as a 6×6 matrix on (ρ00, ρ11, ρ22, ρ33, ρ12, ρ21); uses |A|, |Ã| and
    Γ = |A| + |Ã|. Correct in the gauge where A, Ã are real and non-negative (checked line by line
    against the exact Liouvillian in tests/test_closed_forms.py); any Δ; any initial state.
    """
    a, delta, at = np.broadcast_arrays(_f(a), _f(delta), _f(a_tilde))
    return eom_generator(a, np.broadcast_to(_absA(A), a.shape), delta, at,
                         np.broadcast_to(_absA(A_tilde), a.shape))


_EOM_IDX = ((0, 0), (1, 1), (2, 2), (3, 3), (1, 2), (2, 1))


def rho_to_eom_vector(rho) -> np.ndarray:
    """(ρ00, ρ11, ρ22, ρ33, ρ12, ρ21) of a (..., 4, 4) density matrix."""
    rho = np.asarray(rho)
    return np.stack([rho[..., i, j] for i, j in _EOM_IDX], axis=-1)


def eom_vector_to_rho(v) -> np.ndarray:
    """(..., 4, 4) matrix with the six S54 elements from v and zeros elsewhere."""
    v = np.asarray(v)
    rho = np.zeros(v.shape[:-1] + (4, 4), dtype=complex)
    for k, (i, j) in enumerate(_EOM_IDX):
        rho[..., i, j] = v[..., k]
    return rho


def h_matrix(a, A, a_tilde=0.0, A_tilde=0.0, d=0.0, D_deph=0.0) -> np.ndarray:
    """Coefficient matrix h of Eq. (4) on O = (σ1−, σ2−, σ1+, σ2+, σ1z, σ2z), shape (..., 6, 6).

    [[ã, Ã], [Ã*, ã]] ⊕ [[a, A*], [A, a]] ⊕ [[d, 𝔇], [𝔇*, d]] — Eq. (4). (S35 prints the middle block
    as [[a, A], [A, a]], which is not Hermitian for complex A; Eq. (4) follows from S28/S33 with
    A ≡ A12 = A21*: the coefficient of O_1 ρ O_2† = σ1+ρσ2− is A21 = A*.)
    """
    a, at, d = np.broadcast_arrays(_f(a), _f(a_tilde), _f(d))
    A = np.broadcast_to(np.asarray(A, dtype=complex), a.shape)
    At = np.broadcast_to(np.asarray(A_tilde, dtype=complex), a.shape)
    Dd = np.broadcast_to(np.asarray(D_deph, dtype=complex), a.shape)
    h = np.zeros(a.shape + (6, 6), dtype=complex)
    h[..., 0, 0] = h[..., 1, 1] = at
    h[..., 0, 1], h[..., 1, 0] = At, np.conj(At)
    h[..., 2, 2] = h[..., 3, 3] = a
    h[..., 2, 3], h[..., 3, 2] = np.conj(A), A
    h[..., 4, 4] = h[..., 5, 5] = d
    h[..., 4, 5], h[..., 5, 4] = Dd, np.conj(Dd)
    return h


def jump_rates(a, A, a_tilde=0.0, A_tilde=0.0) -> np.ndarray:
    """Eigenvalues of the relaxation blocks of h, i.e. 2× the squared prefactors of J1..J4 of Eq. (5):
    (ã + |Ã|, ã − |Ã|, a + |A|, a − |A|), stacked on the last axis."""
    a, at = np.broadcast_arrays(_f(a), _f(a_tilde))
    absA = np.broadcast_to(_absA(A), a.shape)
    absAt = np.broadcast_to(_absA(A_tilde), a.shape)
    return np.stack([at + absAt, at - absAt, a + absA, a - absA], axis=-1)


def jump_operators(a, A, a_tilde=0.0, A_tilde=0.0) -> np.ndarray:
    """J1..J4 of Eq. (5) generalised to complex A = |A|e^{iφ}, Ã = |Ã|e^{iφ̃}; shape (..., 4, 4, 4).

        J1,2 = sqrt((ã ± |Ã|)/2)(σ1− ± e^{−iφ̃}σ2−),   J3,4 = sqrt((a ± |A|)/2)(σ1+ ± e^{iφ}σ2+)

    with L = Σ D_{J_i} equal to the h-form Eq. (3) with h of Eq. (4). Requires a >= |A|, ã >= |Ã|.
    """
    from ..system._operators import (  # local import keeps this module standalone-ish
        sigma_minus,
        sigma_plus,
    )

    rates = jump_rates(a, A, a_tilde, A_tilde)
    if np.any(rates < 0):
        raise ValueError("jump_operators needs a >= |A| and a_tilde >= |A_tilde| (S42)")
    pA = np.broadcast_to(_phase(A), rates.shape[:-1])[..., None, None]
    pAt = np.broadcast_to(_phase(A_tilde), rates.shape[:-1])[..., None, None]
    s1m, s2m, s1p, s2p = sigma_minus(0), sigma_minus(1), sigma_plus(0), sigma_plus(1)
    pref = np.sqrt(rates / 2)[..., None, None]
    J = np.stack(
        [
            pref[..., 0, :, :] * (s1m + np.conj(pAt) * s2m),
            pref[..., 1, :, :] * (s1m - np.conj(pAt) * s2m),
            pref[..., 2, :, :] * (s1p + pA * s2p),
            pref[..., 3, :, :] * (s1p - pA * s2p),
        ],
        axis=-3,
    )
    return J


def boltzmann_ratio(beta, Delta) -> np.ndarray:
    """r = e^{−βΔ} (main text after Eq. 6, S35 text); β = 1/k_BT, Δ = (Δ1 + Δ2)/2."""
    return np.exp(-_f(beta) * _f(Delta))


def detailed_balance(a, A, beta, Delta):
    """(ã, Ã) = (e^{−βΔ} a, e^{−βΔ} A): fluctuation–dissipation relation of the main text after Eq. 6.

    β = inf (T = 0) gives ã = Ã = 0 for Δ > 0. Preserves arg A, so the common real gauge of S54 exists.
    """
    r = boltzmann_ratio(beta, Delta)
    return r * _f(a), r * np.asarray(A)


def is_physical(a, A, a_tilde=0.0, A_tilde=0.0, rtol: float = 0.0) -> np.ndarray:
    """Thermodynamic-stability bounds S42/S47: a >= |A| and ã >= |Ã| (and a, ã >= 0).

    Equivalent to h of Eq. (4) (relaxation blocks) being positive semidefinite, i.e. to all rates of
    Eq. (5) being real. ``rtol`` allows |A| to exceed a by a relative rounding slack.
    """
    a, at = _f(a), _f(a_tilde)
    return (a >= 0) & (at >= 0) & (_absA(A) <= a * (1 + rtol)) & (_absA(A_tilde) <= at * (1 + rtol))
