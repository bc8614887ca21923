"""The k-space machinery of the film model: the polar quadrature around the resonance ridge, the per-node
stray-field rows F_i(k) and the eigenpairs of the LLG matrix, and the α → 0 residue check.

Split out of :mod:`magbell.medium.stray` (which re-exports every name); conventions and formulas are in that
module's doc and ``docs/medium.md`` §11. Numerics: polar coordinates (k, φ). For every φ the resonance ridge
ω_k(φ) = ω is located (bracketing on a log-k grid + bisection) and Gauss–Legendre panels are graded
geometrically around each root on the scale of the Lorentzian width αω/|∂ω_k/∂k|; the angles where roots
appear or disappear (tangency of the isofrequency contour, a 1/√ singularity at α → 0) are found by bisection
and the adjacent φ panels use a quadratic change of variable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidParameterError
from .film import Film
from .units import MU_0

__all__ = ["MAX_HEIGHT_M", "Quadrature", "emission_block_residue", "k_quadrature"]

#: largest phase k·separation [rad] one radial Gauss panel may span (the default rule; docs/medium.md §11):
#: the separation's oscillation e^{ik·ρ} is then resolved in k as the ridge grading resolves the Lorentzian
RADIAL_PHASE = 2.0
#: the angular panels number at least k_ang·separation, k_ang = max(k_ridge, ANGULAR_K / z_min)
ANGULAR_K = 2.0
#: work bound of the rule: more nodes than this and k_quadrature refuses (naming separation and height); at the
#: bound film_couplings of a pair peaks at ~3 GB (measured); pass quad={"max_nodes": ...} to go further
MAX_NODES = 4_000_000

#: largest qubit height above the film [m] the k quadrature accepts (its grid starts at k_cut/(2z)·1e-7, which
#: must stay a normal float); at such heights every rate underflows to 0 long before (they fall as z^-4 or faster)
MAX_HEIGHT_M = 1e200


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


def _check_nodes(nodes: float, max_nodes: int, separation: float, z_min: float) -> None:
    if not nodes <= max_nodes:
        raise InvalidParameterError(
            f"qubit separation {float(separation):.6g} m at height {z_min:.6g} m needs >= {nodes:.3g} k-space nodes "
            f"(> max_nodes = {max_nodes:g}) to resolve the phase e^(ik.r) (separation/height = "
            f"{float(separation) / z_min:.3g}); the couplings there are not computed"
        )


def _split_panels(q: np.ndarray, step: float) -> np.ndarray:
    """Sorted breakpoints ``q`` with every panel longer than ``step`` split into equal parts of at most ``step``."""
    d = np.diff(q)
    m = np.maximum(np.ceil(d / step).astype(np.int64), 1)
    if np.all(m == 1):
        return q
    parts = [q[:-1, None] + d[:, None] * (np.arange(mm) / mm)[None, :] for mm in np.unique(m)]
    idx = [np.nonzero(m == mm)[0] for mm in np.unique(m)]
    out = np.concatenate([p[i].ravel() for p, i in zip(parts, idx)] + [q[-1:]])
    return np.sort(out)


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
    max_phase: float = RADIAL_PHASE,
    max_nodes: int = MAX_NODES,
) -> Quadrature:
    """Polar quadrature for ∫d²k g(k) with integrands ∝ e^{−2k z_min} and a resonance ridge at ω_k = ω.

    ``n_phi`` uniform φ panels (plus breakpoints at ridge end angles), ``n_gauss`` Gauss–Legendre points per
    panel, ``n_grade`` geometric panels (ratio ``grade``) on each side of every root in k, starting at the
    Lorentzian half-width; k runs to ``k_cut/(2 z_min)``. ``separation`` (the largest lateral distance
    between qubits) raises the number of φ panels to one per radian of the phase k_ang·separation (k_ang the larger
    of the ridge's largest k and 2/z_min, the decay scale of e^{−2kz}), and
    splits every radial panel so that it spans at most ``max_phase·n_gauss/6`` radians of k·separation (the
    radial oscillation of e^{ik·ρ}: k_cut/(2 z_min)·separation radians in all, i.e. ~20 separation/height; with
    6 Gauss points a panel of 2 rad integrates e^{ikρ} to ~1e-9). Every block entry (a, A, J⊥, D, Jz,
    dephasing) is then converged to 1e-3 of a (measured to ~1e-5 of a up to 30 heights, tests/
    test_film_quadrature.py). A rule of more than ``max_nodes`` nodes is refused (one line naming separation
    and height) rather than returned under-resolved or run out of memory.
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
    # the angular phase k·ρ·Δφ matters up to the ridge and up to the decay scale of e^{-2kz} (2/z: an h = 30 nm,
    # 30 h pair was off by 4e-4 a in D with k_ridge alone, 1e-6 a with this)
    k_ang = max(k_ridge, ANGULAR_K * (1.0 / z_min))
    with np.errstate(over="ignore"):
        phase = k_ang * float(separation)  # inf for a separation like 1e308 m: refused below, not int(inf)
    if not (math.isfinite(max_phase) and max_phase > 0):
        raise InvalidParameterError(f"max_phase must be finite and > 0 rad, got {max_phase!r}")
    if not phase <= 4096:
        raise InvalidParameterError(
            f"qubit separation {separation:.3g} m is too large for the angular quadrature (k * r = "
            f"{phase:.3g} rad > 4096)"
        )
    n_phi = max(int(n_phi), int(math.ceil(phase)))
    # a lower bound of the final node count (the radial split alone), checked before any work
    # the phase per radial panel: max_phase for 6 Gauss points, in proportion for more or fewer
    step_phase = max_phase * int(n_gauss) / 6.0
    with np.errstate(over="ignore"):
        _check_nodes(float(n_phi * n_gauss * n_gauss) * (kmax * float(separation) / step_phase), max_nodes, separation,
                     z_min)
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
        rows.append(_split_panels(np.unique(np.clip(q, 0.0, kmax)), step_phase / float(separation))
                    if separation > 0 else np.unique(np.clip(q, 0.0, kmax)))
    n = max(len(q) for q in rows)
    _check_nodes((n - 1) * n_gauss * phis.size, max_nodes, separation, z_min)
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
        info={"kmax": kmax, "n_nodes": int(keep.sum()), "max_phase": float(max_phase), "edges": edges,
              "max_roots": int(max(r.size for r in roots))},
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
