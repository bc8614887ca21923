"""Pairs of identical qubits above a film at many separations from ONE k-space quadrature.

For two identical qubits at the same height h, the second displaced laterally by ρ, the stray-field rows
of ``magbell.medium.stray`` factor as ``F_2(k) = e^{ik·ρ} F_1(k)`` (``docs/medium.md`` §11), so every
two-point block is a Fourier sum over the same nodes,

    Q''_12(ρ) = Σ_m S''_m e^{−ik_m·ρ},   Q^H_12(ρ) = Σ_m S^H_m e^{−ik_m·ρ},   Q''_11 = Σ_m S''_m,

with the node weights S'' = γ w Σ_n (αΔ/(λ_n² + α²Δ²)) |F_1 v_n|² and S^H the same with λ_n/(λ_n² + α²Δ²)
(and likewise for the dephasing block and Jz at ω → 0). :func:`pair_noises` returns one 2×2
:class:`~magbell.medium.stray.FilmNoise` per displacement, equal to ``film_noise(film, [q, q],
[[0, 0, h], [ρx, ρy, h]])`` with the quadrature of the largest displacement (tested to 1e-12), at the cost
of one quadrature and one ``(P × M)`` phase matrix instead of P quadratures. Used by the maps of
``magbell reproduce`` (two NV centres versus separation and direction).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidParameterError
from .film import Film
from .nv import Qubit
from .stray import FilmNoise, _eig, _geometry, _rows, k_quadrature
from .units import HBAR, K_B

__all__ = ["pair_noises"]


def _node_weights(film: Film, qubit: Qubit, Delta: float, h: float, sep: float, reactive: bool, quad):
    """One thickness mode's quadrature nodes and the per-node weights S'', S^H, S_d, S_z (module doc)."""
    q = k_quadrature(film, Delta, h, **{"separation": sep, **(quad or {})})
    lam, vec = _eig(film, q, Delta)
    origin = np.array([[0.0, 0.0, h]])
    geom = _geometry(film, q, origin)
    F = _rows(film, q, origin, qubit.transition[None, :], geom)[0]  # (M, 2)
    Fv2 = np.abs(np.einsum("mk,mkn->mn", F, vec)) ** 2  # |F_1 v_n|²
    g, a_w = film.gamma, film.damping * Delta
    wt = q.w / (film.Ms * film.mode_length * (2 * math.pi) ** 2)
    S_pp = g * wt * np.sum(Fv2 * a_w / (lam**2 + a_w**2), axis=1)  # (M,) >= 0
    S_h = g * wt * np.sum(Fv2 * lam / (lam**2 + a_w**2), axis=1) if reactive else np.zeros_like(S_pp)
    Fz = _rows(film, q, origin, qubit.dephasing.astype(complex)[None, :], geom)[0]
    K = film.stiffness(q.kx, q.ky)
    detK = K[..., 0, 0] * K[..., 1, 1] - K[..., 0, 1] ** 2
    Kinv = np.stack([np.stack([K[..., 1, 1], -K[..., 0, 1]], -1), np.stack([-K[..., 1, 0], K[..., 0, 0]], -1)], -2)
    FzK = np.einsum("mk,mkl->ml", Fz, Kinv / detK[..., None, None])
    S_d = K_B * g * film.damping * wt * np.sum(np.abs(FzK) ** 2, axis=1)
    S_z = g * wt * np.real(np.sum(FzK * Fz.conj(), axis=1))
    return q, S_pp, S_h, S_d, S_z


def pair_noises(film: Film, qubit: Qubit, height: float, displacements, *, reactive: bool = True,
                quad: dict | None = None) -> list:
    """One :class:`FilmNoise` (2×2 blocks, qubit 1 at the origin) per lateral displacement of qubit 2.

    ``displacements``: (P, 2) lateral displacements ρ = (x, y) [m] of qubit 2; ``height`` [m] > 0 of both.
    ``quad``: options of :func:`~magbell.medium.stray.k_quadrature` (its ``separation`` defaults to the
    largest |ρ|, as in :func:`~magbell.medium.stray.film_noise`).
    """
    if not isinstance(qubit, Qubit):
        raise InvalidParameterError("qubit must be a magbell.medium.nv.Qubit (nv_qubit, spin_half_qubit)")
    h = float(height)
    if not (math.isfinite(h) and h > 0):
        raise InvalidParameterError(f"height above the film must be finite and > 0, got {height!r}")
    rho = np.asarray(displacements, dtype=float)
    if rho.ndim != 2 or rho.shape[1] != 2 or rho.shape[0] == 0 or not np.all(np.isfinite(rho)):
        raise InvalidParameterError("displacements must be a finite (P, 2) array of lateral offsets in metres")
    Delta = float(qubit.frequency)
    wb, kb, ab = film.band_bottom()
    if wb <= 1e-6 * film.gamma * film.mu0Ms:
        raise InvalidParameterError(
            f"the film has a gapless (Goldstone) mode for this field (|B| = {film.field:.6g} T at "
            f"{math.degrees(film.field_polar):.6g} deg); apply a field with an in-plane component or above mu0*Ms"
        )
    sep = float(np.max(np.hypot(rho[:, 0], rho[:, 1])))
    parts = [_node_weights(fm, qubit, Delta, h, sep, reactive, quad) for fm in film.modes()]  # the modes add
    q = parts[0][0]
    if len(parts) == 1:
        kx, ky = q.kx, q.ky
        S_pp, S_h, S_d, S_z = parts[0][1:]
    else:
        kx, ky = (np.concatenate([getattr(p[0], a) for p in parts]) for a in ("kx", "ky"))
        S_pp, S_h, S_d, S_z = (np.concatenate([p[i] for p in parts]) for i in range(1, 5))
    # e^{−ik·ρ} for every displacement and node, in blocks to bound the memory
    out_pp, out_h, out_d, out_z = (np.empty(rho.shape[0], complex) for _ in range(4))
    step = max(1, int(2e6 // max(kx.size, 1)))
    for s in range(0, rho.shape[0], step):
        r = rho[s:s + step]
        ph = np.exp(-1j * (np.outer(r[:, 0], kx) + np.outer(r[:, 1], ky)))
        out_pp[s:s + step] = ph @ S_pp
        out_h[s:s + step] = ph @ S_h
        out_d[s:s + step] = ph @ S_d
        out_z[s:s + step] = ph @ S_z
    pp0, h0, d0 = float(S_pp.sum()), float(S_h.sum()), float(S_d.sum())
    freqs = np.array([Delta, Delta])
    info = {"quadrature": q.info, "band_bottom_k": kb, "band_bottom_angle": ab, "frequency_spread": 0.0}
    res = []
    for i in range(rho.shape[0]):
        Qpp = np.array([[pp0, out_pp[i]], [np.conj(out_pp[i]), pp0]])
        QH = np.array([[h0, out_h[i]], [np.conj(out_h[i]), h0]])
        D = np.array([[d0, out_d[i]], [np.conj(out_d[i]), d0]])
        jz = -HBAR * float(out_z[i].real)
        res.append(FilmNoise(Qpp=Qpp, J=-(HBAR / 2) * QH, D_per_T=D, Jz=np.array([[0.0, jz], [jz, 0.0]]), QH=QH,
                             frequency=freqs, Delta=Delta, band_bottom=wb, damping=film.damping,
                             info={**info, "qubits": (qubit, qubit),
                                   "positions": np.array([[0.0, 0.0, h], [rho[i, 0], rho[i, 1], h]])}))
    return res


def vacuum_dipolar(qubit1: Qubit, qubit2: Qubit, displacement) -> dict:
    """Direct magnetic dipole–dipole coupling of two qubits through vacuum, in magbell's H_eff [rad/s].

    ``H_dd = (μ0/4πr³)[m1·m2 − 3(m1·r̂)(m2·r̂)]`` with ``m_i = −ħγ S_i`` (Jackson, Classical
    Electrodynamics, Eq. (5.56)); projected on the two transitions with ``γS_i → c_i σ_i− + c_i* σ_i+ + u_i σ_iz``
    (``magbell.medium.nv``) and kept to the secular terms of (near-)identical qubits:

        J⊥ + iD = (μ0ħ/8πr³) c1† T c2,    Jz = (μ0ħ/4πr³) u1ᵀ T u2,    T = 1 − 3 r̂r̂ᵀ

    (``H_eff = 2(J⊥ + iD) σ1+σ2− + h.c. + Jz σ1zσ2z``; r = r2 − r1, ``displacement`` (3,) in metres). For two
    spin-½ with g = 2 in a field along z this is the textbook secular form
    ``(μ0ħγ²/4πr³)(1 − 3cos²θ)[S1zS2z − (S1+S2− + S1−S2+)/4]``."""
    from .units import HBAR, MU_0

    r = np.asarray(displacement, dtype=float)
    if r.shape != (3,) or not np.all(np.isfinite(r)) or np.linalg.norm(r) == 0:
        raise InvalidParameterError("displacement must be a finite non-zero 3-vector in metres")
    d = float(np.linalg.norm(r))
    n = r / d
    T = np.eye(3) - 3 * np.outer(n, n)
    pref = MU_0 * HBAR / (4 * math.pi * d**3)
    JD = 0.5 * pref * complex(np.conj(qubit1.transition) @ T @ qubit2.transition)
    return {"Jperp": JD.real, "D_dm": JD.imag, "Jz": float(pref * qubit1.dephasing @ T @ qubit2.dephasing)}
