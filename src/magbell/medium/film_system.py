"""N qubits above a real film as one :class:`magbell.System` (issue 11 §1 with the film of issue 12).

:func:`couplings_system` turns the N×N blocks of :class:`~magbell.medium.stray.FilmCouplings` into a
:class:`magbell.System` in the System's conventions (``docs/system.md``):

* ``h_plus[i, j] = A_ji`` (= ``FilmCouplings.A[j, i]``, so the two-site block is ``[[a1, A*], [A, a2]]``
  with ``A = A_12``), ``h_minus[i, j] = Ã_ij`` (``[[ã1, Ã], [Ã*, ã2]]``), ``h_z[i, j] = 𝔇_ji``
  (``FilmCouplings.D_deph[j, i]``, ``[[d1, 𝔇], [𝔇*, d2]]``);
* ``J_perp[i, j] + i D[i, j] = FilmCouplings.J[j, i]`` (``J⊥ + iD = −(ħ/2) Q^H_ji(Δ)``, docs/medium.md §11) and
  ``J_z[i, j] = FilmCouplings.Jz[i, j]`` for i < j;
* ``Delta_i = ω_i − mean_j ω_j``: the frame rotating at the qubits' mean frequency Δ̄ (the frame in which
  the secular dissipator of the paper, evaluated at Δ̄, is written; ``FilmCouplings.model()`` uses the same
  frame: ``Delta = 0``, ``delta = (ω_1 − ω_2)/2``). The common Δ̄ is rotated away; only the detunings stay.

Every block is the Gram matrix of a k-space quadrature with positive weights, so it is positive semidefinite
by construction (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022), Suppl. S42–S47: the blocks are correlation
functions). Rounding can leave an eigenvalue a few ulps below zero; a negative eigenvalue of relative size
≤ ``BOUND_RTOL`` (1e-10, the two-site medium code's slack) is clipped to 0, a larger one is refused in one
line that names the block and its smallest eigenvalue.

The direct NV–NV magnetic dipole coupling through vacuum (``film_pairs.vacuum_dipolar``, secular part) is
added to J⊥, D and Jz when ``include_vacuum_dipolar=True``; the film's Lamb shifts (``film_lamb``) are not
added (pass them as ``lamb_shifts`` [rad/s] to shift each Δ_i).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..errors import InvalidParameterError
from .greens import BOUND_RTOL, InvalidMediumError

__all__ = ["chain_couplings", "couplings_system", "film_system"]


def _psd_block(name: str, h: np.ndarray) -> np.ndarray:
    """Hermitian part of ``h``; a rounding-level negative eigenvalue (≥ −BOUND_RTOL·max|λ|) is clipped."""
    h = 0.5 * (h + h.conj().T)
    lam, V = np.linalg.eigh(h)
    top = float(np.max(np.abs(lam))) if lam.size else 0.0
    low = float(lam[0]) if lam.size else 0.0
    if low >= 0 or top == 0:
        return h
    if low < -BOUND_RTOL * top:
        raise InvalidMediumError(
            f"the film's {name} block is not positive semidefinite: smallest eigenvalue {low:.6g} "
            f"(largest {top:.6g}; rounding allows {BOUND_RTOL:g} relative) - the k-space quadrature is too coarse"
        )
    h = (V * np.maximum(lam, 0.0)) @ V.conj().T
    return 0.5 * (h + h.conj().T)


def couplings_system(c, *, scale=None, include_vacuum_dipolar: bool = False, lamb_shifts=None):
    """The :class:`magbell.System` of the N qubits of ``c`` (:class:`~magbell.medium.stray.FilmCouplings`).

    Values are divided by ``scale`` (default 1: rates in 1/s, couplings in rad/s, time unit the second; e.g.
    ``scale=c.a[0]`` for times in units of 1/a). Conventions: module doc. ``include_vacuum_dipolar`` needs the
    qubits and positions the couplings were computed for (``film_couplings`` / ``film_noise`` /
    ``FilmSetup.couplings_at`` record them). ``lamb_shifts``: per-site δΔ_i [rad/s] added to the frequencies
    before the mean is removed (``film_lamb.lamb_shifts``)."""
    from .._params import flush_subnormal
    from ..system import System

    if isinstance(scale, (bool, np.bool_)):
        raise InvalidParameterError(f"scale must be a number > 0 (True/False is not a number here), got {scale!r}")
    try:
        s = 1.0 if scale is None else float(scale)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"scale must be a finite number > 0, got {scale!r}") from None
    if not (math.isfinite(s) and s > 0):
        raise InvalidParameterError(f"scale must be finite and > 0, got {scale!r}")
    N = int(np.asarray(c.A).shape[0])
    freqs = np.asarray(c.frequency, dtype=float).copy()
    if lamb_shifts is not None:
        try:
            ls = np.asarray(lamb_shifts, dtype=float)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"lamb_shifts must be {N} finite numbers in rad/s, got {lamb_shifts!r}") from None
        if ls.shape != (N,):
            raise InvalidParameterError(f"lamb_shifts must be {N} finite numbers in rad/s, got shape {ls.shape}")
        if not np.all(np.isfinite(ls)):
            raise InvalidParameterError(f"lamb_shifts must be {N} finite numbers in rad/s (no NaN or inf)")
        freqs = freqs + ls
    # detunings from the first qubit first (exact where the frequencies are close, Sterbenz), then their mean:
    # identical NV centres get Δ_i = 0 exactly (freqs − freqs.mean() left ±1 ulp of 1.4e10 rad/s = ±1.9e-6 rad/s)
    dev = freqs - freqs[0]
    Delta = dev - dev.mean()
    Jc = np.asarray(c.J, dtype=complex)
    Jp = np.triu(Jc.T.real, 1)  # J_perp[i, j] = Re J[j, i], i < j
    Dm = np.triu(Jc.T.imag, 1)
    Jz = np.triu(np.asarray(c.Jz, dtype=float), 1)
    if include_vacuum_dipolar:
        from .film_pairs import vacuum_dipolar

        qubits, pos = c.info.get("qubits"), c.info.get("positions")
        if qubits is None or pos is None:
            raise InvalidParameterError(
                "include_vacuum_dipolar needs the qubits and positions of the couplings (compute them with "
                "film_couplings or FilmSetup.couplings_at)"
            )
        pos = np.asarray(pos, dtype=float)
        for i in range(N):
            for j in range(i + 1, N):
                if np.all(pos[j] == pos[i]):
                    raise InvalidParameterError(
                        f"include_vacuum_dipolar: qubits {i + 1} and {j + 1} are at the same position (the dipolar "
                        "coupling diverges at contact); place them apart or leave include_vacuum_dipolar=False"
                    )
                v = vacuum_dipolar(qubits[i], qubits[j], pos[j] - pos[i])
                Jp[i, j] += v["Jperp"]
                Dm[i, j] += v["D_dm"]
                Jz[i, j] += v["Jz"]
    blocks = {
        "h_plus (a, A)": np.asarray(c.A, dtype=complex).T,
        "h_minus (a_tilde, A_tilde)": np.asarray(c.A_tilde, dtype=complex),
        "h_z (dephasing d, D_deph)": np.asarray(c.D_deph, dtype=complex).T,
    }
    h = {k: _psd_block(k, v / s) for k, v in blocks.items()}
    f = flush_subnormal
    return System(
        Delta=f(Delta / s), h_plus=f(h["h_plus (a, A)"]), h_minus=f(h["h_minus (a_tilde, A_tilde)"]),
        h_z=f(h["h_z (dephasing d, D_deph)"]), J_perp=f(Jp / s), D=f(Dm / s), J_z=f(Jz / s),
    )


def film_system(setup, positions, temperature=None, *, chemical_potential=None, scale=None,
                include_vacuum_dipolar: bool = False, warn: bool = True, quad: dict | None = None):
    """N identical NV centres of ``setup`` (:class:`~magbell.medium.FilmSetup`) at ``positions`` as one
    :class:`magbell.System`: ``FilmSetup.couplings_at(positions, ...)`` then :func:`couplings_system`.

    ``positions``: (N, 2) lateral positions [m] at the setup's height, or (N, 3) positions [m] with z the
    height above the film's top surface. Rates in 1/s, couplings in rad/s (divided by ``scale`` if given)."""
    c = setup.couplings_at(positions, temperature, chemical_potential=chemical_potential, warn=warn, quad=quad)
    return couplings_system(c, scale=scale, include_vacuum_dipolar=include_vacuum_dipolar)


def chain_couplings(setup, n: int, spacings, temperature=None, *, direction=None, quad: dict | None = None) -> list:
    """N×N :class:`~magbell.medium.stray.FilmCouplings` of a row of ``n`` identical NV centres of ``setup`` at
    each spacing in ``spacings`` [m], all from ONE k-space quadrature (``film_pairs.pair_noises`` for the
    displacements m·s, m = 1 … n − 1): site i at i·s·(cos ψ, sin ψ) at the setup's height, ψ = ``direction``
    [rad] (default the setup's). Identical qubits at one height: every entry depends only on r_j − r_i, and all
    come from the same nodes, so each block is still a Gram matrix (PSD). Equal to ``setup.couplings_at`` of the
    row with the quadrature of the largest displacement, to rounding (tests/test_film_system.py)."""
    from .film_pairs import pair_noises
    from .film_setup import _num, parse_angle
    from .greens import MarkovWarning
    from .stray import FilmCouplings

    n = int(n)
    if not 1 <= n <= 4096:
        raise InvalidParameterError(f"n (qubits in the row) must be between 1 and 4096, got {n}")
    sp = np.atleast_1d(np.asarray(spacings, dtype=float))
    if sp.ndim != 1 or sp.size == 0 or not np.all(np.isfinite(sp)) or np.any(sp <= 0):
        raise InvalidParameterError("spacings must be finite numbers > 0 in metres")
    T = setup.temperature if temperature is None else _num("temperature", temperature, lo=0)
    psi = setup.direction if direction is None else parse_angle(direction, "direction")
    film, q = setup.build(temperature=T)
    u = np.array([math.cos(psi), math.sin(psi)])
    steps = np.arange(1, max(n, 2))
    disp = (sp[:, None, None] * steps[None, :, None] * u).reshape(-1, 2)
    noises = pair_noises(film, q, setup.height, disp, quad=quad)
    out = []
    for k, s in enumerate(sp):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkovWarning)  # judged below on the assembled blocks
            cs = [noises[k * steps.size + m].couplings(T, chemical_potential=2 * math.pi * setup.chemical_potential)
                  for m in range(steps.size)]
        blocks = {}
        for name in ("A", "A_tilde", "J", "D_deph"):
            M = np.zeros((n, n), dtype=complex)
            np.fill_diagonal(M, getattr(cs[0], name)[0, 0])
            for i in range(n):
                for j in range(i + 1, n):
                    x = getattr(cs[j - i - 1], name)[0, 1]  # ⟨X_i X_j†⟩-type entry, qubit j displaced by (j − i)s
                    M[i, j], M[j, i] = x, np.conj(x)
            blocks[name] = M
        Jz = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                Jz[i, j] = Jz[j, i] = cs[j - i - 1].Jz[0, 1]
        c0 = cs[0]
        pos = np.c_[np.arange(n) * s * u[0], np.arange(n) * s * u[1], np.full(n, setup.height)]
        ok = all(c.markov_ok for c in cs)
        out.append(FilmCouplings(
            A=blocks["A"], A_tilde=blocks["A_tilde"], J=blocks["J"], D_deph=blocks["D_deph"], Jz=Jz,
            frequency=np.full(n, c0.frequency[0]), Delta=c0.Delta, band_bottom=c0.band_bottom,
            regime=(c0.regime[0],) * n, markov_ok=ok,
            info={**c0.info, "qubits": (q,) * n, "positions": pos, "spacing": float(s), "direction": psi}))
    return out
