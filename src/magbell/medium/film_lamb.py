"""Lamb shifts of qubits above a magnetic film (``docs/medium.md`` §3 and §11).

The local second-order shift of §3 (S9/S31 of Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022)),

    δΔ_i = P∫ dω/2π coth(βħω/2) A_i(ω)/(Δ − ω),     H_Lamb = −(δΔ_i/2) σ_iz,   Δ_i → Δ_i + δΔ_i,

needs the spectral function ``A_i(ω) = 2ħ Q''_ii(ω)`` of ``X_i = c_i·δB`` (``magbell.medium.stray``) at every
frequency, negative ones included (the counter-rotating polarisation). For the film it follows from the
poles of the LLG susceptibility in the α → 0 limit: with ``M(ω) = K − iωJ`` (Hermitian),
``χ = γ adj M(ω)/(ω_k² − ω²)`` and

    χ''(k, ω) = (γπ/2ω_k) [adj M(ω_k) δ(ω − ω_k) − adj M(−ω_k) δ(ω + ω_k)],   adj M(±ω_k) ⪰ 0,

so that, with ``w±_i(k) = γ F_i adj M(±ω_k) F_i†/(2ω_k) >= 0`` (F_i the stray-field row of ``stray``),

    δΔ_i = ħ (Ms L)^{-1} ∫ d²k/(2π)² [1 + 2 n_B(ω_k − μ)] [ w+_i P/(Δ − ω_k) + w−_i/(Δ + ω_k) ].

(coth(βω/2) = 1 + 2n_B(ω) at ω = ω_k, and −(1 + 2n_B(ω_k)) at ω = −ω_k, whose sign cancels the minus of
the negative-frequency weight; a magnon chemical potential μ shifts ω_k − μ in n_B.) The principal value
on the resonance ridge ω_k = Δ is taken with the film's own Lorentzian, ``(Δ − ω_k)/((Δ − ω_k)² + (αΔ)²)``,
on the ridge-graded quadrature of :func:`~magbell.medium.stray.k_quadrature` (error O(α)).

Check (Kramers–Kronig, ``tests/test_medium_film.py``): the same pole weights give
``−ħ Q^H_ii(Δ) = ħ (Ms L)^{-1} ∫ [w+ P/(Δ − ω_k) − w−/(Δ + ω_k)]``, which the finite-α eigen form of
``stray.film_noise`` computes independently from Re χ; they agree to O(α).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidParameterError
from .film import Film, bose_mu, check_chemical_potential
from .nv import Qubit
from .stray import _rows, k_quadrature
from .units import HBAR, K_B

__all__ = ["lamb_shifts", "pole_weights", "reactive_from_poles"]


def _pole_weights_one_mode(film: Film, qubits, pos, Delta, quad) -> dict:
    q = k_quadrature(film, Delta, float(pos[:, 2].min()), **(quad or {}))
    K = film.stiffness(q.kx, q.ky)
    K11, K22, K12 = K[..., 0, 0], K[..., 1, 1], K[..., 0, 1]
    wk = np.sqrt(np.maximum(K11 * K22 - K12**2, 0.0))
    if np.any(wk <= 0):
        raise InvalidParameterError("the film has a zero-frequency mode on the quadrature (gapless film)")
    C = np.stack([qb.transition for qb in qubits])
    F = _rows(film, q, pos, C)  # (N, M, 2)
    out = {}
    for name, s in (("w_plus", 1.0), ("w_minus", -1.0)):
        w = s * wk
        # adj M(ω) = [[K22, −K12 − iω], [−K12 + iω, K11]] (Hermitian, PSD at ω = ±ω_k)
        f0, f1 = F[..., 0], F[..., 1]
        val = (K22 * np.abs(f0) ** 2 + K11 * np.abs(f1) ** 2
               + 2 * np.real(f0 * np.conj(f1) * (-K12 - 1j * w)))
        out[name] = film.gamma * val / (2 * wk)
    out["omega_k"] = wk
    out["weight"] = q.w / (film.Ms * film.mode_length * (2 * math.pi) ** 2)
    return out


def pole_weights(film: Film, qubits, positions, *, quad: dict | None = None) -> dict:
    """Node data of the α → 0 pole form (module doc) for the local terms of each qubit.

    Returns ``{"omega_k": (M,), "w_plus": (N, M), "w_minus": (N, M), "weight": (M,), "Delta": float}`` with
    ``weight`` = quadrature weight / (Ms L (2π)²), so that ``Σ_m weight w±`` are the k-integrals."""
    qubits = list(qubits)
    if not qubits or not all(isinstance(q, Qubit) for q in qubits):
        raise InvalidParameterError("qubits must be a non-empty list of magbell.medium.nv.Qubit objects")
    pos = np.asarray(positions, dtype=float).reshape(-1, 3)
    if pos.shape[0] != len(qubits) or not np.all(np.isfinite(pos)) or np.any(pos[:, 2] <= 0):
        raise InvalidParameterError(f"positions must be a finite (N, 3) array with heights > 0 for N = {len(qubits)}")
    Delta = float(np.mean([q.frequency for q in qubits]))
    parts = [_pole_weights_one_mode(fm, qubits, pos, Delta, quad) for fm in film.modes()]  # the modes add
    out = parts[0] if len(parts) == 1 else {
        "omega_k": np.concatenate([p["omega_k"] for p in parts]), "weight": np.concatenate([p["weight"] for p in parts]),
        "w_plus": np.concatenate([p["w_plus"] for p in parts], axis=1),
        "w_minus": np.concatenate([p["w_minus"] for p in parts], axis=1)}
    out["Delta"] = Delta
    out["damping_width"] = film.damping * Delta
    return out


def lamb_shifts(film: Film, qubits, positions, temperature: float, *, chemical_potential: float = 0.0,
                quad: dict | None = None) -> np.ndarray:
    """Lamb shifts δΔ_i [rad/s] of the qubits (list of :class:`~magbell.medium.nv.Qubit`) at ``positions``
    ((N, 3) [m]) at ``temperature`` [K] and magnon chemical potential ``chemical_potential`` [rad/s]
    (module doc; evaluated at the qubits' mean frequency, like every block of ``stray``).
    ``H_Lamb = −(δΔ_i/2) σ_iz``: the qubit frequency becomes Δ_i + δΔ_i."""
    T = float(temperature)
    if not (math.isfinite(T) and T >= 0):
        raise InvalidParameterError(f"temperature must be finite and >= 0 K, got {temperature!r}")
    mu = float(chemical_potential)
    p = pole_weights(film, qubits, positions, quad=quad)
    wb = film.band_bottom()[0]
    check_chemical_potential(mu, wb, min(q.frequency for q in qubits))
    wk, D, g = p["omega_k"], p["Delta"], p["damping_width"]
    kT = K_B * T / HBAR
    occ = 1.0 + 2.0 * bose_mu(wk, mu, kT) if kT > 0 else np.ones_like(wk)
    pv = (D - wk) / ((D - wk) ** 2 + g**2)
    integrand = occ * (p["w_plus"] * pv + p["w_minus"] / (D + wk))
    return HBAR * integrand @ p["weight"]


def reactive_from_poles(film: Film, qubits, positions, *, quad: dict | None = None) -> np.ndarray:
    """``−ħ Q^H_ii(Δ)`` from the pole weights (the Kramers–Kronig check of the module doc) [rad/s]."""
    p = pole_weights(film, qubits, positions, quad=quad)
    wk, D, g = p["omega_k"], p["Delta"], p["damping_width"]
    pv = (D - wk) / ((D - wk) ** 2 + g**2)
    return HBAR * (p["w_plus"] * pv - p["w_minus"] / (D + wk)) @ p["weight"]
