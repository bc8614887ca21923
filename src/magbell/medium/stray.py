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

Numerics: polar coordinates (k, φ). For every φ the resonance ridge ω_k(φ) = ω is located (bracketing on a
log-k grid + bisection) and Gauss–Legendre panels are graded geometrically around each root on the scale of
the Lorentzian width αω/|∂ω_k/∂k|; the angles where roots appear or disappear (tangency of the isofrequency
contour, a 1/√ singularity at α → 0) are found by bisection and the adjacent φ panels use a quadratic change
of variable. All blocks are Gram matrices with positive weights, so the N×N blocks are PSD by construction.
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
from .units import HBAR, K_B, MU_0

#: largest qubit height above the film [m] the k quadrature accepts (its grid starts at k_cut/(2z)·1e-7, which
#: must stay a normal float); at such heights every rate underflows to 0 long before (they fall as z^-4 or faster)
MAX_HEIGHT_M = 1e200

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
class Quadrature:
    """Nodes (kx, ky) [1/m] and weights w [1/m²] for ∫d²k (the 1/(2π)² is applied by the callers)."""

    kx: np.ndarray
    ky: np.ndarray
    w: np.ndarray
    info: dict = field(default_factory=dict)


def _gl(n):
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1), 0.5 * w


def _roots_in_k(film: Film, omega: float, phis: np.ndarray, kgrid: np.ndarray) -> list:
    """Roots k of ω_k(φ)² = ω² for every φ (list of arrays)."""
    P, Kg = np.meshgrid(phis, kgrid, indexing="ij")
    f = film.omega_sq(Kg * np.cos(P), Kg * np.sin(P)) - omega**2
    s = np.sign(f)
    idx = np.argwhere(s[:, :-1] * s[:, 1:] < 0)
    roots = [[] for _ in phis]
    if idx.size:
        i, j = idx[:, 0], idx[:, 1]
        lo, hi = kgrid[j].copy(), kgrid[j + 1].copy()
        c, sn = np.cos(phis[i]), np.sin(phis[i])
        flo = f[i, j]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            fm = film.omega_sq(mid * c, mid * sn) - omega**2
            left = np.sign(fm) == np.sign(flo)
            lo = np.where(left, mid, lo)
            flo = np.where(left, fm, flo)
            hi = np.where(left, hi, mid)
        for ii, r in zip(i, 0.5 * (lo + hi)):
            roots[ii].append(float(r))
    return [np.array(sorted(r)) for r in roots]


def k_quadrature(
    film: Film,
    omega: float,
    z_min: float,
    *,
    n_phi: int = 24,
    n_gauss: int = 6,
    grade: float = 3.0,
    n_grade: int = 10,
    k_cut: float = 40.0,
    separation: float = 0.0,
) -> Quadrature:
    """Polar quadrature for ∫d²k g(k) with integrands ∝ e^{−2k z_min} and a resonance ridge at ω_k = ω.

    ``n_phi`` uniform φ panels (plus breakpoints at ridge end angles), ``n_gauss`` Gauss–Legendre points per
    panel, ``n_grade`` geometric panels (ratio ``grade``) on each side of every root in k, starting at the
    Lorentzian half-width; k runs to ``k_cut/(2 z_min)``. ``separation`` (the largest lateral distance
    between qubits) raises the number of φ panels to one per radian of the phase k_ridge·separation.
    """
    if not (math.isfinite(omega) and omega > 0):
        raise InvalidParameterError(f"frequency must be > 0, got {omega!r}")
    if film.damping <= 0:
        raise InvalidParameterError("the film's Gilbert damping alpha must be > 0 for the finite-alpha quadrature")
    if not z_min <= MAX_HEIGHT_M:
        raise InvalidParameterError(
            f"qubit height z = {z_min:.6g} m above the film must be <= {MAX_HEIGHT_M:g} m (the k grid "
            "k_cut/(2z)·1e-7 leaves float64 beyond; every rate is already 0 in float64 far below that)"
        )
    kmax = k_cut / (2 * z_min)
    kgrid = np.concatenate([[0.0], np.geomspace(kmax * 1e-7, kmax, 300)])
    # -- angular breakpoints: where the number of roots changes
    scan = np.linspace(0.0, 2 * math.pi, 2 * n_phi * n_gauss + 1)
    scan_roots = _roots_in_k(film, omega, scan, kgrid)
    counts = np.array([r.size for r in scan_roots])
    k_ridge = max([float(r.max()) for r in scan_roots if r.size] + [1.0 / z_min])
    with np.errstate(over="ignore"):
        phase = k_ridge * float(separation)  # inf for a separation like 1e308 m: refused below, not int(inf)
    if not phase <= 4096:
        raise InvalidParameterError(
            f"qubit separation {separation:.3g} m is too large for the angular quadrature (k_ridge * r = "
            f"{phase:.3g} rad > 4096)"
        )
    n_phi = max(int(n_phi), int(math.ceil(phase)))
    if n_phi > 4096:
        raise InvalidParameterError(f"n_phi = {n_phi} angular panels is too many for the quadrature (> 4096)")
    edges = []
    for t in np.nonzero(counts[:-1] != counts[1:])[0]:
        a, b = scan[t], scan[t + 1]
        ca = counts[t]
        for _ in range(40):
            m = 0.5 * (a + b)
            if _roots_in_k(film, omega, np.array([m]), kgrid)[0].size == ca:
                a = m
            else:
                b = m
        edges.append(0.5 * (a + b))
    bp = np.unique(np.concatenate([np.linspace(0, 2 * math.pi, n_phi + 1), edges]))
    bp = bp[np.concatenate([[True], np.diff(bp) > 1e-12])]
    edge_arr = np.array(edges)
    xg, wg = _gl(n_gauss)
    phis, wphi = [], []
    for a, b in zip(bp[:-1], bp[1:]):
        near_a = edge_arr.size and np.min(np.abs(edge_arr - a)) < 1e-12
        near_b = edge_arr.size and np.min(np.abs(edge_arr - b)) < 1e-12
        h = b - a
        if near_a and not near_b:
            phis.append(a + h * xg**2)
            wphi.append(2 * h * xg * wg)
        elif near_b and not near_a:
            phis.append(b - h * xg**2)
            wphi.append(2 * h * xg * wg)
        elif near_a and near_b:  # both ends singular: split in two quadratic halves
            m = 0.5 * (a + b)
            phis += [a + (m - a) * xg**2, b - (b - m) * xg**2]
            wphi += [2 * (m - a) * xg * wg, 2 * (b - m) * xg * wg]
        else:
            phis.append(a + h * xg)
            wphi.append(h * wg)
    phis = np.concatenate(phis)
    wphi = np.concatenate(wphi)
    roots = _roots_in_k(film, omega, phis, kgrid)
    # -- k breakpoints per φ, padded to a common length; geometric grading around every root
    base = np.concatenate([[0.0], np.geomspace(kmax * 1e-5, kmax, 16)])
    owner = np.concatenate([np.full(r.size, i) for i, r in enumerate(roots)] + [np.zeros(0, int)]).astype(int)
    rr = np.concatenate([r for r in roots] + [np.zeros(0)])
    steps_all = np.zeros((0, n_grade))
    if rr.size:
        c, s_ = np.cos(phis[owner]), np.sin(phis[owner])
        h = 1e-6 * rr
        dw2 = (film.omega_sq((rr + h) * c, (rr + h) * s_) - film.omega_sq((rr - h) * c, (rr - h) * s_)) / (2 * h)
        slope = np.abs(dw2) / (2 * omega)  # |dω_k/dk|
        width = np.minimum(film.damping * omega / np.maximum(slope, 1e-300), 0.5 * rr)
        steps_all = width[:, None] * grade ** np.arange(n_grade)[None, :]
    rows = []
    start = 0
    for r in roots:
        st = steps_all[start:start + r.size]
        start += r.size
        q = np.concatenate([base, r, (r[:, None] - st).ravel(), (r[:, None] + st).ravel()])
        rows.append(np.unique(np.clip(q, 0.0, kmax)))
    n = max(len(q) for q in rows)
    Kb = np.array([np.concatenate([q, np.full(n - len(q), kmax)]) for q in rows])  # (nphi, n)
    lo, hi = Kb[:, :-1], Kb[:, 1:]
    ks = lo[:, :, None] + (hi - lo)[:, :, None] * xg  # (nphi, n-1, g)
    wk = (hi - lo)[:, :, None] * wg * ks  # includes the Jacobian k
    W = wk * wphi[:, None, None]
    Ph = np.broadcast_to(phis[:, None, None], ks.shape)
    keep = W.ravel() > 0
    kk = ks.ravel()[keep]
    pp = Ph.ravel()[keep]
    return Quadrature(
        kx=kk * np.cos(pp),
        ky=kk * np.sin(pp),
        w=W.ravel()[keep],
        info={"kmax": kmax, "n_nodes": int(keep.sum()), "edges": edges, "max_roots": int(max(r.size for r in roots))},
    )


def _geometry(film: Film, q: Quadrature, positions: np.ndarray):
    """Per-node stray-field factors: amplitude e^{ik·ρ_i}(μ0Ms/2)e^{−kz_i}(1 − e^{−kL}) (N, M), v (M, 3),
    vᵀR (M, 2)."""
    k = np.hypot(q.kx, q.ky)
    safe = np.where(k > 0, k, 1.0)
    cx = np.where(k > 0, q.kx / safe, 0.0)
    cy = np.where(k > 0, q.ky / safe, 0.0)
    v = np.stack([-1j * cx, -1j * cy, np.ones_like(cx) + 0j], axis=-1)  # (M, 3)
    vR = v @ film.basis  # (M, 2)
    pos = np.asarray(positions, dtype=float)
    common = 0.5 * MU_0 * film.Ms * film.stray_factor(k)  # (1 − e^{−kL}) for the lowest mode
    amp = common[None, :] * np.exp(-np.outer(pos[:, 2], k) + 1j * (np.outer(pos[:, 0], q.kx) + np.outer(pos[:, 1], q.ky)))
    return amp, v, vR


def _rows(film: Film, q: Quadrature, positions: np.ndarray, vectors: np.ndarray, geom=None) -> np.ndarray:
    """F_i(k) for every qubit i and node: shape (N, M, 2) (module doc)."""
    amp, v, vR = _geometry(film, q, positions) if geom is None else geom
    cv = np.asarray(vectors, dtype=complex) @ v.T  # (N, M): c_i·v
    return (amp * cv)[:, :, None] * vR[None, :, :]


def _eig(film: Film, q: Quadrature, omega: float):
    """Eigenpairs of the Hermitian 2×2 ``H0 = K − iωJ`` at every node (closed form): (M, 2), (M, 2, 2)."""
    K = film.stiffness(q.kx, q.ky)
    a, d, b = K[..., 0, 0], K[..., 1, 1], K[..., 0, 1] + 1j * omega  # H0 = [[a, b], [b*, d]]
    mean, half = 0.5 * (a + d), 0.5 * (a - d)
    rad = np.sqrt(half**2 + np.abs(b) ** 2)
    lam_hi = mean + rad
    lam_lo = (a * d - np.abs(b) ** 2) / lam_hi  # = mean − rad without cancellation (λ_hi > 0 here)
    lam_lo = np.where(lam_hi > 0, lam_lo, mean - rad)
    lam = np.stack([lam_lo, lam_hi], axis=-1)
    vec = np.empty(K.shape, dtype=complex)
    for n, l in enumerate((lam_lo, lam_hi)):
        # (H0 − λ) x = 0: x = (b, λ − a) or (λ − d, b*), whichever is larger
        x1 = np.stack([b, l - a], axis=-1)
        x2 = np.stack([l - d, np.conj(b)], axis=-1)
        n1 = np.linalg.norm(x1, axis=-1)
        n2 = np.linalg.norm(x2, axis=-1)
        x = np.where((n1 >= n2)[..., None], x1 / np.where(n1 > 0, n1, 1)[..., None], x2 / np.where(n2 > 0, n2, 1)[..., None])
        vec[..., :, n] = x
    return lam, vec


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


def emission_block_residue(film: Film, qubits, positions, *, n_phi: int = 512) -> np.ndarray:
    """The α → 0 limit of ``Q''_ij(Δ)`` (module doc) by residues: ``χ'' → γπ δ(λ0) v0 v0†`` on the ridge
    λ0(k, φ) = 0 of the Hermitian ``H0 = K − iΔJ``, so ``∫k dk`` becomes ``Σ_roots k_r/|∂λ0/∂k|`` with
    ``∂λ0/∂k = v0†(∂K/∂k)v0`` (Hellmann–Feynman). Uniform (periodic) φ grid of ``n_phi`` points; meant as an
    independent check of the finite-α quadrature (``a_i = ħ[1 + n_B] Q''_ii``) where the isofrequency
    contour is closed (no tangency angles)."""
    qubits = list(qubits)
    pos = np.asarray(positions, dtype=float).reshape(-1, 3)
    Delta = float(np.mean([qb.frequency for qb in qubits]))
    return sum(_residue_one_mode(fm, qubits, pos, Delta, n_phi) for fm in film.modes())  # the modes add


def _residue_one_mode(film: Film, qubits, pos, Delta, n_phi):
    z_min = float(pos[:, 2].min())
    kmax = 40.0 / (2 * z_min)
    kgrid = np.concatenate([[0.0], np.geomspace(kmax * 1e-7, kmax, 800)])
    phis = np.arange(n_phi) * (2 * math.pi / n_phi)
    roots = _roots_in_k(film, Delta, phis, kgrid)
    kk, pp = [], []
    for p, r in zip(phis, roots):
        kk += list(r)
        pp += [p] * r.size
    kk, pp = np.array(kk), np.array(pp)
    if kk.size == 0:  # this mode's band lies above the frequency: no ridge, no α → 0 emission
        return np.zeros((len(qubits), len(qubits)), dtype=complex)
    q = Quadrature(kx=kk * np.cos(pp), ky=kk * np.sin(pp), w=np.ones_like(kk))
    lam, vec = _eig(film, q, Delta)
    i0 = np.argmin(np.abs(lam), axis=1)
    v0 = vec[np.arange(kk.size), :, i0]  # (M, 2)
    h = 1e-6 * kk
    Kp = film.stiffness((kk + h) * np.cos(pp), (kk + h) * np.sin(pp))
    Km = film.stiffness((kk - h) * np.cos(pp), (kk - h) * np.sin(pp))
    dK = (Kp - Km) / (2 * h)[:, None, None]
    dlam = np.abs(np.einsum("mk,mkl,ml->m", v0.conj(), dK, v0).real)
    C = np.stack([qb.transition for qb in qubits])
    F = _rows(film, q, pos, C)
    Fv = np.einsum("imk,mk->im", F, v0)
    wt = (2 * math.pi / n_phi) * kk / dlam * math.pi * film.gamma / (film.Ms * film.mode_length * (2 * math.pi) ** 2)
    return np.einsum("im,m,jm->ij", Fv, wt, Fv.conj())
