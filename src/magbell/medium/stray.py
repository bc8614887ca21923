"""Stray-field noise of a magnetic film at qubits above it, and the Lindblad parameters it produces.

Conventions and the derivation with every factor: ``docs/medium.md`` §11. Summary (SI, ħ explicit):

* Stray field of a film magnetisation ``δM = Ms R m e^{ik·ρ}`` uniform over −L <= z <= 0 (R = [e1 e2] of
  :class:`~magbell.medium.film.Film`), at height z > 0 above the top surface (magnetic charges −∇·M in the
  volume and M·n on the surfaces):
  ``B(k, z) = (μ0 Ms/2) e^{−kz} (1 − e^{−kL}) v vᵀ R m``,  ``v = (−i k̂x, −i k̂y, 1)``
  (Rustagi et al., PRB 102, 220403(R) (2020), Eq. (2); Flebus & Tserkovnyak, PRL 121, 187204 (2018)).
* A qubit i at (ρ_i, z_i) with transition vector c_i (``magbell.medium.nv``) couples as
  ``X_i = c_i·δB(r_i) = ∫d²k/(2π)² F_i(k)·m(k)``, ``F_i = e^{ik·ρ_i} (μ0Ms/2) e^{−kz_i}(1 − e^{−kL}) (c_i·v)(vᵀR)``.
* Fluctuation–dissipation for the film (the generalised force on the moment per area Ms L R m is the
  field b in tesla, so the m-space susceptibility is χ/(Ms L) with χ of
  :meth:`~magbell.medium.film.Film.susceptibility`), with a magnon chemical potential μ
  (Flebus & Tserkovnyak 2018; Du et al., Science 357, 195 (2017)):
  ``∫dt e^{iωt}<X_i(t) X_j†(0)> = 2ħ[1 + n_B(ω − μ)] Q''_ij(ω)``,
  ``Q_ij(ω) = (Ms L)^{-1} ∫d²k/(2π)² F_i χ(k, ω) F_j†``, ``Q'' = (Q − Q†)/2i``, ``Q^H = (Q + Q†)/2``.
* magbell's parameters (``docs/medium.md`` §2–§4: ``2a = σ+ jump rate``; ``h[σ2+, σ1+] = A``):
  ``a_i = ħ[1 + n_B] Q''_ii(Δ)``, ``A_ij = ħ[1 + n_B] Q''_ij(Δ)`` (A = A_12), ``ã = e^{−(ħΔ−μ)/kT} a``,
  ``Ã = e^{−(ħΔ−μ)/kT} A``; ``J⊥ + iD = −(ħ/2) Q^H_21(Δ)``; with the σz couplings u_i in place of c_i:
  ``d_i = k_B T γα (Ms L)^{-1} ∫ F^z_i K^{-2} F^z_i†``, ``𝔇`` the (2, 1) element, ``Jz = −ħ Re Q^z_12(0)``.
  Rustagi's relaxation rate of the transition (their Fig. 2b) is the golden-rule rate
  ``Γ = ∫dt e^{iΔt}<X X†> = 2a`` (classical limit, k_BT ≫ ħΔ).

* Thick films (``Film.thickness_modes`` > 1): the unpinned thickness modes add, each with its own quadrature,
  its stray weight g_n(k) in place of ``1 − e^{−kL}`` and its moment ``Ms L_n`` (L_0 = L, L_n = L/2) in place
  of ``Ms L`` (:mod:`~magbell.medium.film`, ``docs/medium.md`` §11 "Thick films").

Numerics (:mod:`~magbell.medium.film_kspace`, re-exported here): a polar k-space quadrature graded around the
resonance ridge. All blocks are Gram matrices with positive weights, so the N×N blocks are PSD by
construction; :meth:`FilmCouplings.system` turns them into an N-site :class:`magbell.System`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from ..errors import InvalidParameterError
from .film import Film, bose_mu, check_chemical_potential
from .greens import MarkovWarning
from .nv import Qubit
from .units import HBAR, K_B
from .film_kspace import MAX_HEIGHT_M as MAX_HEIGHT_M  # the k-space machinery, re-exported
from .film_kspace import Quadrature as Quadrature
from .film_kspace import _eig as _eig
from .film_kspace import _geometry as _geometry
from .film_kspace import _rows as _rows
from .film_kspace import emission_block_residue as emission_block_residue
from .film_kspace import k_quadrature as k_quadrature

__all__ = [
    "FilmCouplings",
    "FilmNoise",
    "Quadrature",
    "emission_block_residue",
    "film_couplings",
    "film_noise",
    "k_quadrature",
    "relaxation_rate",
]

_JROT = np.array([[0.0, -1.0], [1.0, 0.0]])


@dataclass(frozen=True, eq=False)
class FilmCouplings:
    """Lindblad parameters of N qubits above a film (rates in 1/s, couplings in rad/s; ħ = 1 → rad/s).

    ``A``, ``A_tilde``: N×N complex blocks (diagonal = a_i, ã_i; ``A[0, 1]`` is magbell's A for a pair);
    ``J``: N×N Hermitian, ``J[1, 0] = J⊥ + iD`` for the pair (sites 0, 1); ``D_deph``: N×N dephasing block
    (diagonal d_i); ``Jz``: N×N real. ``frequency``: qubit frequencies [rad/s] (the blocks are evaluated at
    their mean ``Delta``); ``band_bottom`` [rad/s]; ``regime``: per qubit "in band", "near band edge",
    "below band"; ``markov_ok``.
    """

    A: np.ndarray
    A_tilde: np.ndarray
    J: np.ndarray
    D_deph: np.ndarray
    Jz: np.ndarray
    frequency: np.ndarray
    Delta: float
    band_bottom: float
    regime: tuple
    markov_ok: bool
    info: dict = field(default_factory=dict)

    @property
    def a(self) -> np.ndarray:
        return np.real(np.diag(self.A)).copy()

    @property
    def a_tilde(self) -> np.ndarray:
        return np.real(np.diag(self.A_tilde)).copy()

    def pair(self, i: int = 0, j: int = 1) -> dict:
        """magbell's two-qubit parameters for sites (i, j) (site i is magbell's qubit 1)."""
        Jc = self.J[j, i]
        return dict(
            a=float(self.A[i, i].real), a2=float(self.A[j, j].real), A=complex(self.A[i, j]),
            a_tilde=float(self.A_tilde[i, i].real), a_tilde2=float(self.A_tilde[j, j].real),
            A_tilde=complex(self.A_tilde[i, j]), Jperp=float(Jc.real), D_dm=float(Jc.imag),
            d=float(self.D_deph[i, i].real), d2=float(self.D_deph[j, j].real), D_deph=complex(self.D_deph[j, i]),
            Jz=float(self.Jz[i, j]),
        )

    def to_dict(self) -> dict:
        """Plain arrays with their units (for xarray / JSON): blocks, frequencies [Hz], band bottom [Hz]."""
        return {
            "A": self.A, "A_tilde": self.A_tilde, "J": self.J, "D_deph": self.D_deph, "Jz": self.Jz,
            "a": self.a, "a_tilde": self.a_tilde, "qubit_frequency": self.frequency / (2 * math.pi),
            "band_bottom": self.band_bottom / (2 * math.pi), "regime": list(self.regime), "markov_ok": self.markov_ok,
            "units": {"A": "1/s", "A_tilde": "1/s", "a": "1/s", "a_tilde": "1/s", "D_deph": "1/s", "J": "rad/s",
                      "Jz": "rad/s", "qubit_frequency": "Hz", "band_bottom": "Hz"},
        }

    def to_xarray(self):
        """An ``xarray.Dataset`` (issue 12): the N×N blocks on dims (``site``, ``site_j``) — ``A``,
        ``A_tilde``, ``D_deph`` [1/s], ``J``, ``Jz`` [rad/s] — the per-site ``a``, ``a_tilde`` [1/s],
        ``qubit_frequency`` [Hz], ``regime`` and, where known, ``position`` (site, xyz) [m]; every variable
        carries ``attrs["units"]``; ``Delta`` [rad/s], ``band_bottom`` [Hz], ``markov_ok`` and the
        temperature [K] in the Dataset's attrs. Needs xarray (the ``sweep`` extra)."""
        from .._optional import require

        xr = require("xarray", what="FilmCouplings.to_xarray")
        n = self.A.shape[0]
        blk = ("site", "site_j")

        def var(dims, data, units, name):
            return xr.Variable(dims, np.asarray(data).copy(), {"units": units, "long_name": name})

        data = {
            "A": var(blk, self.A, "1/s", "dissipative block (diagonal a_i, off-diagonal A_ij)"),
            "A_tilde": var(blk, self.A_tilde, "1/s", "absorption block (diagonal ã_i, off-diagonal Ã_ij)"),
            "J": var(blk, self.J, "rad/s", "coherent block (J[1, 0] = J⊥ + iD)"),
            "D_deph": var(blk, self.D_deph, "1/s", "dephasing block (diagonal d_i)"),
            "Jz": var(blk, self.Jz, "rad/s", "zz coupling"),
            "a": var(("site",), self.a, "1/s", "local relaxation a_i"),
            "a_tilde": var(("site",), self.a_tilde, "1/s", "local excitation ã_i"),
            "qubit_frequency": var(("site",), self.frequency / (2 * math.pi), "Hz", "qubit frequency"),
            "regime": xr.Variable(("site",), np.array(list(self.regime), dtype=str)),
        }
        pos = self.info.get("positions")
        if pos is not None and np.shape(pos) == (n, 3):
            data["position"] = var(("site", "xyz"), pos, "m", "qubit position (z above the film's top surface)")
        attrs = {"Delta": float(self.Delta), "Delta_units": "rad/s", "band_bottom": float(self.band_bottom) / (2 * math.pi),
                 "band_bottom_units": "Hz", "markov_ok": int(bool(self.markov_ok)),
                 "source": "magbell.medium.stray.FilmCouplings"}
        if self.info.get("temperature") is not None:
            attrs.update(temperature=float(self.info["temperature"]), temperature_units="K")
        coords = {"site": np.arange(n), "site_j": np.arange(n)}
        if "position" in data:
            coords["xyz"] = ["x", "y", "z"]
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def model(self, i: int = 0, j: int = 1, *, scale=None):
        """The two-qubit :class:`magbell.Model` of sites (i, j) in the rotating frame (values / ``scale``)."""
        from .._params import flush_subnormal
        from ..system._model import Model

        p = self.pair(i, j)
        s = 1.0 if scale is None else float(scale)
        # a coupling that underflowed below the normal range (far heights or separations) is physically 0:
        # Model refuses subnormal values as typed input, so flush the computed ones (as for ã = r·a)
        kw = {k: flush_subnormal(v / s) for k, v in p.items()}
        return Model(**kw, delta=flush_subnormal((self.frequency[i] - self.frequency[j]) / 2 / s))

    def system(self, *, scale=None, include_vacuum_dipolar: bool = False, lamb_shifts=None):
        """All N qubits as one :class:`magbell.System` (``film_system.couplings_system``: h_plus = A blockᵀ,
        h_minus = Ã block, h_z = dephasing blockᵀ, J⊥ + iD from ``J[j, i]``, Δ_i = ω_i − mean ω, PSD
        checked; for two sites it equals ``self.model(scale=...).system()``)."""
        from .film_system import couplings_system

        return couplings_system(self, scale=scale, include_vacuum_dipolar=include_vacuum_dipolar,
                                lamb_shifts=lamb_shifts)


@dataclass(frozen=True, eq=False)
class FilmNoise:
    """The temperature-independent part of the film's noise at N qubits (one k-space quadrature):
    ``Q`` = Q_ij(Δ) (module doc; complex N×N, SI (rad/s)²/J), its Gram-form dissipative part ``Qpp``, the
    reactive block ``J`` [rad/s], ``D_per_T`` (dephasing block / T [1/(s K)]) and ``Jz`` [rad/s].
    :meth:`couplings` turns it into :class:`FilmCouplings` at any temperature and chemical potential
    (cheap: loop over temperatures and μ without recomputing the k-integrals)."""

    Qpp: np.ndarray
    J: np.ndarray
    D_per_T: np.ndarray
    Jz: np.ndarray
    QH: np.ndarray
    frequency: np.ndarray
    Delta: float
    band_bottom: float
    damping: float
    info: dict = field(default_factory=dict)

    @property
    def Q(self) -> np.ndarray:
        """Q_ij(Δ) = Q^H + i Q'' (so ``−ħQ`` is the retarded function G^R_{X_i X_j†}(Δ))."""
        return self.QH + 1j * self.Qpp

    def couplings(self, temperature: float, *, chemical_potential: float = 0.0,
                  markov_threshold: float = 0.1) -> FilmCouplings:
        T = float(temperature)
        if not (math.isfinite(T) and T >= 0):
            raise InvalidParameterError(f"temperature must be finite and >= 0 K, got {temperature!r}")
        thr = float(markov_threshold)
        if not (math.isfinite(thr) and thr > 0):
            raise InvalidParameterError(f"markov_threshold must be > 0, got {markov_threshold!r}")
        freqs, Delta, wb = self.frequency, self.Delta, self.band_bottom
        mu = float(chemical_potential)
        check_chemical_potential(mu, wb, float(freqs.min()))
        kT = K_B * T / HBAR  # rad/s
        if kT > 0:
            x = (Delta - mu) / kT
            plus = float(1.0 + bose_mu(Delta, mu, kT)) if x > 1e-300 else math.inf  # 1 + n_B(Δ − μ)
            boltz = math.exp(-x) if x < 745 else 0.0
        else:
            plus, boltz = 1.0, 0.0
        if not math.isfinite(plus):
            raise InvalidParameterError("the occupation 1 + n_B(Delta - mu) overflows; Delta - mu is too small")
        # a = ħ(1 + n_B) Q'': Q'' is in (rad/s)²/J (F carries rad/s, χ/(Ms L) is per J), times ħ [J s] → 1/s
        A_blk = HBAR * plus * self.Qpp
        A_blk = 0.5 * (A_blk + A_blk.conj().T)
        At_blk = boltz * A_blk
        Dd = T * self.D_per_T
        lw = self.damping * freqs
        regime = tuple(
            "near band edge" if abs(f - wb) <= max(5 * l, 1e-3 * wb) else ("in band" if f > wb else "below band")
            for f, l in zip(freqs, lw)
        )
        tau = 1.0 / np.maximum(np.abs(freqs - wb), lw)
        rate = max(float(np.max(np.abs(A_blk))), float(np.max(np.abs(self.J))))
        ratio = rate * tau
        ok = bool(np.all(ratio < thr))
        if not ok:
            warnings.warn(
                f"Markov condition fails: induced rate x medium correlation time = {float(np.max(ratio)):.3g} >= "
                f"{thr:g} (qubit {float(freqs[np.argmax(ratio)]) / 2e9 / math.pi:.6g} GHz vs band bottom "
                f"{wb / 2e9 / math.pi:.6g} GHz)",
                MarkovWarning,
                stacklevel=3,
            )
        return FilmCouplings(
            A=A_blk, A_tilde=At_blk, J=self.J.copy(), D_deph=Dd, Jz=self.Jz.copy(), frequency=freqs.copy(),
            Delta=Delta, band_bottom=wb, regime=regime, markov_ok=ok,
            info={**self.info, "markov_ratio": ratio, "correlation_time": tau, "kT": kT, "chemical_potential": mu,
                  "temperature": T},
        )


def film_noise(film: Film, qubits, positions, *, reactive: bool = True, quad: dict | None = None) -> FilmNoise:
    """The k-space integrals for the qubits ``qubits`` (list of :class:`~magbell.medium.nv.Qubit`) at
    ``positions`` ((N, 3) [m], z = height above the film's top surface, > 0); see :class:`FilmNoise`.
    ``quad``: options of :func:`k_quadrature`."""
    qubits = list(qubits)
    if not all(isinstance(qb, Qubit) for qb in qubits):
        raise InvalidParameterError("qubits must be magbell.medium.nv.Qubit objects (nv_qubit, spin_half_qubit)")
    pos = np.asarray(positions, dtype=float).reshape(-1, 3) if len(qubits) else np.zeros((0, 3))
    if len(qubits) == 0 or pos.shape[0] != len(qubits):
        raise InvalidParameterError(f"positions must be an (N, 3) array for N = {len(qubits)} qubits")
    if not np.all(np.isfinite(pos)):
        raise InvalidParameterError("qubit positions must be finite")
    if np.any(pos[:, 2] <= 0):
        raise InvalidParameterError("qubit heights z above the film must be > 0")
    freqs = np.array([q.frequency for q in qubits])
    Delta = float(freqs.mean())
    if float(np.ptp(freqs)) > 0.01 * Delta:
        warnings.warn(
            f"the qubit frequencies differ by {float(np.ptp(freqs)) / 2e6 / math.pi:.6g} MHz (> 1 % of their mean "
            f"{Delta / 2e9 / math.pi:.6g} GHz); every rate and coupling is evaluated at the mean frequency (the "
            "paper's convention), which is then only approximate for the local rates",
            UserWarning,
            stacklevel=2,
        )
    wb, kb, ab = film.band_bottom()
    if wb <= 1e-6 * film.gamma * film.mu0Ms:
        raise InvalidParameterError(
            f"the film has a gapless (Goldstone) mode for this field (|B| = {film.field:.6g} T at "
            f"{math.degrees(film.field_polar):.6g} deg: zero field, or a perpendicular field below mu0*Ms = "
            f"{film.mu0Ms:.6g} T): the band bottom is 0 and the low-frequency noise diverges; apply a field with an "
            "in-plane component or above mu0*Ms"
        )
    sep = float(np.max(np.hypot(pos[:, None, 0] - pos[None, :, 0], pos[:, None, 1] - pos[None, :, 1])))
    C = np.stack([qb.transition for qb in qubits])
    U = np.stack([qb.dephasing.astype(complex) for qb in qubits])
    Qpp = QH = D_per_T = Qz0 = None
    qinfo = []
    for fm in film.modes():  # thickness modes (film.py): independent in the diagonal approximation, so they add
        t = _noise_terms(fm, Delta, pos, C, U, sep, quad, reactive)
        Qpp, QH, D_per_T, Qz0 = t[:4] if Qpp is None else (Qpp + t[0], QH + t[1], D_per_T + t[2], Qz0 + t[3])
        qinfo.append(t[4])
    J = -(HBAR / 2) * QH
    Jz = -HBAR * np.real(0.5 * (Qz0 + Qz0.conj().T))
    np.fill_diagonal(Jz, 0.0)
    q = SimpleNamespace(info=qinfo[0] if len(qinfo) == 1 else {**qinfo[0], "modes": qinfo})
    return FilmNoise(
        Qpp=Qpp, J=J, D_per_T=D_per_T, Jz=Jz, QH=QH, frequency=freqs, Delta=Delta, band_bottom=wb,
        damping=film.damping,
        info={"quadrature": q.info, "band_bottom_k": kb, "band_bottom_angle": ab,
              "frequency_spread": float(np.ptp(freqs)), "qubits": tuple(qubits), "positions": pos.copy()},
    )


def _noise_terms(film: Film, Delta, pos, C, U, sep, quad, reactive):
    """One thickness mode's Q'', Q^H, dephasing/T and Q^z(0) blocks (module doc) and its quadrature info."""
    q = k_quadrature(film, Delta, float(pos[:, 2].min()), **{"separation": sep, **(quad or {})})
    lam, vec = _eig(film, q, Delta)
    a_w = film.damping * Delta
    geom = _geometry(film, q, pos)
    F = _rows(film, q, pos, C, geom)  # (N, M, 2)
    Fv = np.einsum("imk,mkn->imn", F, vec)  # F_i v_n
    g = film.gamma
    wt = q.w / (film.Ms * film.mode_length * (2 * math.pi) ** 2)
    lor = a_w / (lam**2 + a_w**2)  # (M, 2)
    # Q'' = γ ωα Σ v v†/(λ² + ω²α²) → a Gram matrix with positive weights (PSD by construction)
    Y = Fv * np.sqrt(g * wt[:, None] * lor)[None]  # (N, M, 2)
    Qpp = np.einsum("imn,jmn->ij", Y, Y.conj())
    QH = np.zeros_like(Qpp)
    if reactive:
        disp = lam / (lam**2 + a_w**2)
        QH = np.einsum("imn,mn,jmn->ij", Fv, g * wt[:, None] * disp, Fv.conj())
        QH = 0.5 * (QH + QH.conj().T)
    # dephasing and Jz from the σz couplings at ω → 0
    Fz = _rows(film, q, pos, U, geom)
    K = film.stiffness(q.kx, q.ky)
    detK = K[..., 0, 0] * K[..., 1, 1] - K[..., 0, 1] ** 2
    Kinv = np.stack([np.stack([K[..., 1, 1], -K[..., 0, 1]], -1), np.stack([-K[..., 1, 0], K[..., 0, 0]], -1)], -2)
    Kinv = Kinv / detK[..., None, None]
    FzK = np.einsum("imk,mkl->iml", Fz, Kinv)
    D_per_T = K_B * g * film.damping * np.einsum("imk,m,jmk->ij", FzK, wt, FzK.conj())
    D_per_T = 0.5 * (D_per_T + D_per_T.conj().T)
    Qz0 = g * np.einsum("iml,m,jml->ij", FzK, wt, Fz.conj())
    return Qpp, QH, D_per_T, Qz0, q.info


def film_couplings(
    film: Film,
    qubits,
    positions,
    temperature: float,
    *,
    chemical_potential: float = 0.0,
    reactive: bool = True,
    markov_threshold: float = 0.1,
    quad: dict | None = None,
) -> FilmCouplings:
    """Lindblad blocks of the qubits ``qubits`` (list of :class:`~magbell.medium.nv.Qubit`) at ``positions``
    ((N, 3) [m], z = height above the film's top surface, > 0) at ``temperature`` [K] and magnon chemical
    potential ``chemical_potential`` [rad/s] (``film_noise(...).couplings(T, ...)``; use :func:`film_noise`
    directly to loop over temperatures and μ cheaply). ``quad``: options of :func:`k_quadrature`.
    """
    T = float(temperature)
    if not (math.isfinite(T) and T >= 0):
        raise InvalidParameterError(f"temperature must be finite and >= 0 K, got {temperature!r}")
    noise = film_noise(film, qubits, positions, reactive=reactive, quad=quad)
    return noise.couplings(T, chemical_potential=chemical_potential, markov_threshold=markov_threshold)


def relaxation_rate(film: Film, qubit: Qubit, height: float, temperature: float, **kw) -> float:
    """Rustagi et al.'s relaxation rate Γ [1/s] of one qubit at ``height``: the golden-rule rate of its
    transition for the symmetrised noise, ``Γ = (Γ_emission + Γ_absorption)/2 = a + ã`` (→ 2a for
    k_BT ≫ ħΔ, where Rustagi's classical-noise formula holds; see the module doc)."""
    c = film_couplings(film, [qubit], [[0.0, 0.0, height]], temperature, reactive=False, **kw)
    return float(c.A[0, 0].real + c.A_tilde[0, 0].real)
