"""Closed forms of the paper's second half: the postselected non-Hermitian scheme, Eqs. (11)–(15), Fig. 3.

Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022). Every function is a plain vectorised NumPy function:
array arguments broadcast with the ordinary rules (``concurrence_ud(t[None, :], Gamma, delta[:, None])``
is a grid). Where the printed formula is wrong the function implements the corrected form and says so;
the printed form is kept with the suffix ``_printed`` for the demonstration. Derivations and the list of
discrepancies: ``docs/errata.md`` ("Second half"). The exact numerics these are tested against are
:func:`magbell.postselect` and :func:`magbell.conditional.postselect_spectrum`. Like
:mod:`magbell.paper.closed_forms`, these are reference implementations of the printed equations, not the
library's API (the paper's reproduction, :mod:`magbell.paper`, which the library never imports).

Setting (the paper's): H = H_S = −(Δ1σ1z + Δ2σ2z)/2, jumps J1..J4 of Eq. (5), no dephasing, no coherent
coupling, real non-negative A and Ã (the gauge of ref. [71]; for complex couplings use |A|, |Ã| when
arg A = arg Ã, otherwise the effective coupling is |A + Ã| — see :func:`effective_coupling`). In the
σz = 0 subspace {|↑↓>, |↓↑>} the non-Hermitian Hamiltonian of Eq. (12) is

    H_eff = −i(a + ã)·1 + [[−δ, −iΓ], [−iΓ, δ]],       Γ = |A| + |Ã|,

whose traceless part T satisfies T² = ω²·1 with ω² = δ² − Γ². Hence, from |↑↓>, with the entire function
S(t) = sinh(κt)/κ (κ² = Γ² − δ², any sign; S = sin(ωt)/ω for δ > Γ and S = t at δ = Γ)::

    ψ(t) ∝ (cosh κt + iδS, −ΓS),     |ψ_↑↓|² = 1 + Γ²S²,     |ψ_↓↑|² = Γ²S²,
    C(t) = 2 sqrt(s(1 + s))/(1 + 2s),  s = Γ²S²,       P(t) = e^{−2(a+ã)t} (1 + 2s).

This single formula contains the paper's C = tanh 2Γt (δ = 0), the exceptional-point form (δ = Γ) and
the PT-exact oscillation, and it is evaluated without overflow at any t (logarithms of S at long times).
"""

from __future__ import annotations

import numpy as np

from .closed_forms import sinhc_cosh

__all__ = [
    "effective_coupling",
    "gamma",
    "omega",
    "kappa",
    "phase",
    "exceptional_point_delta",
    "eigenvalues",
    "eigenkets",
    "bell_phase",
    "asymptotic_bell_state",
    "eq15_coefficients",
    "rho_eq15",
    "concurrence_delta0",
    "concurrence_ep",
    "concurrence_ud",
    "log_success_probability_ud",
    "success_probability_ud",
    "max_concurrence",
    "max_concurrence_printed",
    "oscillation_angular_frequency",
    "leak_rate",
    "growth_rate",
]


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def effective_coupling(A, A_tilde=0.0) -> np.ndarray:
    """|A + Ã|: the off-diagonal of Σ J†J in the subspace is (A + Ã)* (Eq. 4 with complex couplings).

    Equal to the paper's Γ = |A| + |Ã| iff arg A = arg Ã (always true under detailed balance,
    Ã = e^{−βΔ}A); smaller otherwise (docs/errata.md, second half, item S1).
    """
    return np.abs(np.asarray(A, dtype=complex) + np.asarray(A_tilde, dtype=complex))


def gamma(A, A_tilde=0.0) -> np.ndarray:
    """The paper's net dissipative coupling Γ = |A| + |Ã| (after Eq. 14, and S54)."""
    return np.abs(np.asarray(A)) + np.abs(np.asarray(A_tilde))


def _kappa_sq(Gamma, delta) -> np.ndarray:
    """κ² = Γ² − δ² as (Γ − |δ|)(Γ + |δ|): no cancellation at the exceptional point."""
    g, d = _f(Gamma), np.abs(_f(delta))
    return (g - d) * (g + d)


def omega(Gamma, delta) -> np.ndarray:
    """ω = sqrt(δ² − Γ²) (Eq. 14), principal branch: real for δ ≥ Γ, ω = iκ for δ < Γ (complex128)."""
    return np.sqrt(-_kappa_sq(Gamma, delta) + 0j)


def kappa(Gamma, delta) -> np.ndarray:
    """κ = Re sqrt(Γ² − δ²): the PT-broken growth parameter (0 at and beyond the exceptional point)."""
    return np.sqrt(np.maximum(_kappa_sq(Gamma, delta), 0.0))


def phase(Gamma, delta, rtol: float = 0.0) -> np.ndarray:
    """'PT-broken' (|δ| < Γ), 'exceptional-point' (|δ| = Γ), 'PT-exact' (|δ| > Γ); ``rtol`` widens the EP."""
    d = np.abs(_f(delta)) - _f(Gamma)
    tol = rtol * _f(Gamma)
    return np.where(d > tol, "PT-exact", np.where(d < -tol, "PT-broken", "exceptional-point"))


def exceptional_point_delta(A, A_tilde=0.0) -> np.ndarray:
    """The exceptional point δ_EP = Γ = |A| + |Ã| (paper: 'the exceptional point, δ = Γ')."""
    return gamma(A, A_tilde)


def eigenvalues(a, a_tilde, Gamma, delta) -> tuple[np.ndarray, np.ndarray]:
    """(E_s, E_a) = (−ω − i(a + ã), +ω − i(a + ã)) (Eq. 14). Im E_a ≥ Im E_s."""
    w = omega(Gamma, delta)
    c = -1j * (_f(a) + _f(a_tilde))
    return c - w, c + w


def eigenkets(Gamma, delta) -> tuple[np.ndarray, np.ndarray]:
    """(|s>, |a>) of Eq. (14) as printed, in the full basis |↑↑>, |↑↓>, |↓↑>, |↓↓> (shape (..., 4)).

    |s> = e^{iφ} sinθ|↑↓> + cosθ|↓↑>, |a> = −cosθ|↑↓> + e^{iφ} sinθ|↓↑>, with
    cosθ = Γ/sqrt(|ω + δ|² + Γ²) and e^{iφ} sinθ = −i(ω + δ)/sqrt(|ω + δ|² + Γ²), ω principal (ω = iκ
    for δ < Γ). Verified as printed (for δ ≥ 0; the paper assumes Δ1 ≥ Δ2). At δ = Γ both are
    (|↑↓> + i|↓↑>)/√2 up to a phase (the coalesced state).
    """
    g = _f(Gamma)
    d = _f(delta)
    w = omega(g, d)
    norm = np.sqrt(np.abs(w + d) ** 2 + g * g)
    cos_t = g / norm
    esin = -1j * (w + d) / norm
    z = np.zeros(np.broadcast(cos_t, esin).shape, dtype=complex)
    s = np.stack([z, esin + z, cos_t + z, z], axis=-1)
    a_ = np.stack([z, -cos_t + z, esin + z, z], axis=-1)
    return s, a_


def bell_phase(Gamma, delta) -> np.ndarray:
    """e^{iφ̃} = (−κ + iδ)/Γ (after Eq. 15) of the asymptotic Bell state: PT-broken phase and EP (|δ| ≤ Γ);
    NaN in the PT-exact phase, which has no asymptotic state."""
    g = _f(Gamma)
    d = _f(delta)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = (-kappa(g, d) + 1j * d) / g
    return np.where(np.abs(d) <= g, v, np.nan + 0j)


def asymptotic_bell_state(Gamma, delta) -> np.ndarray:
    """|a> = (|↑↓> + e^{iφ̃}|↓↑>)/√2 (after Eq. 15), shape (..., 4); the singlet at δ = 0."""
    e = bell_phase(Gamma, delta)
    z = np.zeros(np.shape(e), dtype=complex)
    r = 1 / np.sqrt(2)
    return np.stack([z, z + r, e * r, z], axis=-1)


def eq15_coefficients(rho0, Gamma, delta) -> np.ndarray:
    """p_ij with ρ0 = Σ_{i,j ∈ {a,s}} p_ij |i><j| (Eq. 15's expansion in the non-orthogonal eigenbasis).

    ``rho0`` is (..., 4, 4) (only its {|↑↓>, |↓↑>} block is used) or (..., 2, 2). Returns (..., 2, 2) in
    the order (a, s): ``p[..., 0, 0] = p_aa``, ``p[..., 0, 1] = p_as`` etc. Not defined at the EP."""
    rho0 = np.asarray(rho0, dtype=complex)
    if rho0.shape[-1] == 4:
        rho0 = rho0[..., 1:3, 1:3]
    s, a_ = eigenkets(Gamma, delta)
    V = np.stack([a_[..., 1:3], s[..., 1:3]], axis=-1)  # columns |a>, |s>
    Vi = np.linalg.inv(V)
    return Vi @ rho0 @ np.conj(np.swapaxes(Vi, -1, -2))


def rho_eq15(t, p, Gamma, delta) -> np.ndarray:
    """Eq. (15): the normalised postselected state in the PT-broken phase (|δ| < Γ), (..., 4, 4).

        ρ(t) = [p_aa e^{2κt}|a><a| + p_as|a><s| + p_sa|s><a| + p_ss e^{−2κt}|s><s|]
               / [p_aa e^{2κt} + p_as<s|a> + p_sa<a|s> + p_ss e^{−2κt}]

    Correct as printed (tested against exact numerics for random ρ0); evaluated with numerator and
    denominator divided by e^{2κt}, so it does not overflow at long times. ``p`` as from
    :func:`eq15_coefficients`. (The a + ã decay common to all terms cancels in the normalisation.)
    """
    t = _f(t)
    k = kappa(Gamma, delta)
    s, a_ = eigenkets(Gamma, delta)
    p = np.asarray(p, dtype=complex)
    e2 = np.exp(-2 * k * t)
    e4 = e2 * e2
    ka, ks = a_[..., :, None], s[..., :, None]
    aa = ka @ np.conj(np.swapaxes(ka, -1, -2))
    as_ = ka @ np.conj(np.swapaxes(ks, -1, -2))
    sa = ks @ np.conj(np.swapaxes(ka, -1, -2))
    ss = ks @ np.conj(np.swapaxes(ks, -1, -2))
    ov = np.sum(np.conj(s) * a_, axis=-1)  # <s|a>
    paa, pas, psa, pss = p[..., 0, 0], p[..., 0, 1], p[..., 1, 0], p[..., 1, 1]
    e2_ = e2[..., None, None]
    num = paa[..., None, None] * aa + e2_ * (pas[..., None, None] * as_ + psa[..., None, None] * sa) \
        + (e4[..., None, None]) * pss[..., None, None] * ss
    den = paa + e2 * (pas * ov + psa * np.conj(ov)) + e4 * pss
    return num / den[..., None, None]


def _log_S2(q, t) -> np.ndarray:
    """log S(t)² with S = sinh(√q t)/√q, entire in q (q = κ² = Γ² − δ²); −inf where S = 0."""
    q, t = np.broadcast_arrays(_f(q), _f(t))
    out = np.empty(q.shape)
    small = np.abs(q) * t * t <= 1.0
    with np.errstate(divide="ignore"):
        if np.any(small):
            S, _ = sinhc_cosh(q[small], t[small])
            out[small] = np.log(S * S)
        pos = (~small) & (q > 0)
        if np.any(pos):
            k = np.sqrt(q[pos])
            x = k * t[pos]
            out[pos] = 2 * (x + np.log1p(-np.exp(-2 * x)) - np.log(2 * k))
        neg = (~small) & (q < 0)
        if np.any(neg):
            w = np.sqrt(-q[neg])
            S = np.sin(w * t[neg]) / w
            out[neg] = np.log(S * S)
    return out


def _log_s(t, Gamma, delta) -> np.ndarray:
    g = _f(Gamma)
    with np.errstate(divide="ignore"):
        return 2 * np.log(g) + _log_S2(_kappa_sq(g, delta), t)


def concurrence_ud(t, Gamma, delta) -> np.ndarray:
    """C(t) from |↑↓> in all three phases: 2 sqrt(s(1+s))/(1+2s) with s = Γ² sinh²(κt)/κ² (derived here).

    Contains tanh 2Γt (δ = 0), the exceptional-point formula (δ = Γ) and the PT-exact oscillation
    (period π/ω). Independent of a and ã (they cancel in the normalisation). Finite for any t."""
    ls = _log_s(t, Gamma, delta)
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.exp(np.minimum(ls, 700.0))
        small = 2 * np.sqrt(s * (1 + s)) / (1 + 2 * s)
        large = np.sqrt(1 - 1 / (1 + 2 * s) ** 2)
    return np.where(ls > 0, large, small)


def concurrence_delta0(t, Gamma) -> np.ndarray:
    """C(t) = tanh 2Γt: δ = 0, initial |↑↓> (main text, Fig. 3 red curve). Correct as printed."""
    return np.tanh(2 * _f(Gamma) * _f(t))


def concurrence_ep(t, Gamma) -> np.ndarray:
    """C(t) = 2Γt sqrt(1 + Γ²t²)/(1 + 2Γ²t²): the exceptional point δ = Γ, initial |↑↓>. Correct as printed."""
    x = _f(Gamma) * _f(t)
    with np.errstate(over="ignore", invalid="ignore"):
        c = 2 * x * np.sqrt(1 + x * x) / (1 + 2 * x * x)
    return np.where(x > 1e150, 1.0, c)


def log_success_probability_ud(t, a, a_tilde, Gamma, delta) -> np.ndarray:
    """log P(t) from |↑↓>: −2(a + ã)t + log(1 + 2s) (derived here; P = e^{−2(a+ã)t} cosh 2Γt at δ = 0).

    Finite for any t (P itself underflows for t·(a + ã − κ) ≳ 370)."""
    ls = _log_s(t, Gamma, delta)
    with np.errstate(over="ignore", invalid="ignore"):
        lp = np.where(ls < 30, np.log1p(2 * np.exp(np.minimum(ls, 30.0))), np.log(2.0) + ls + np.log1p(0.5 * np.exp(-ls)))
    return -2 * (_f(a) + _f(a_tilde)) * _f(t) + lp


def success_probability_ud(t, a, a_tilde, Gamma, delta) -> np.ndarray:
    """P(t) = e^{−2(a+ã)t}(1 + 2Γ²S²) from |↑↓> (see :func:`log_success_probability_ud`)."""
    return np.exp(log_success_probability_ud(t, a, a_tilde, Gamma, delta))


def max_concurrence(eta) -> np.ndarray:
    """sup_t C(t) from |↑↓> as a function of η = δ/Γ (Fig. 3 inset), **corrected**.

    PT-exact (η > 1): C_max = 2η/(1 + η²) — reached at ωt = π/2 (s = Γ²/ω² = 1/(η² − 1)); for η ≤ 1
    the supremum is 1 (approached as t → ∞ for η < 1 and algebraically at η = 1). The printed
    sqrt(2 − 1/η²)/η is wrong (:func:`max_concurrence_printed`; docs/errata.md, item S2). Like the printed
    form, the corrected one has continuous first and discontinuous second derivative at η = 1
    (C'' jumps from 0 to −1).
    """
    eta = np.abs(_f(eta))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 2 * eta / (1 + eta * eta)
    return np.where(eta <= 1, 1.0, c)


def max_concurrence_printed(eta) -> np.ndarray:
    """The printed C_max(η) = sqrt(2 − 1/η²)/η (wrong; kept for the demonstration). η > 1/√2 only."""
    eta = _f(eta)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(2 - 1 / eta**2) / eta


def oscillation_angular_frequency(Gamma, delta) -> np.ndarray:
    """2ω = 2 sqrt(δ² − Γ²): angular frequency of C(t) in the PT-exact phase (main text). Correct."""
    return 2 * np.sqrt(np.maximum(-_kappa_sq(Gamma, delta), 0.0))


def leak_rate(a, a_tilde, Gamma, delta) -> np.ndarray:
    """2(a + ã − κ): asymptotic decay rate of P(t) ('the rate of leaking out of the subspace'). Correct."""
    return 2 * (_f(a) + _f(a_tilde) - kappa(Gamma, delta))


def growth_rate(Gamma, delta) -> np.ndarray:
    """2κ: the rate at which the state approaches |a> ('the entanglement-growth rate'). Correct."""
    return 2 * kappa(Gamma, delta)
