"""Accuracy helpers of the two-site stationary solvers (:mod:`magbell.solvers._steady`): relative accuracy
of the small outer populations of a stationary state, and decay rates at and near exceptional points.

Split from ``_steady.py`` along this seam (session 4 QA, brief HC); docs/numerics.md "Stationary states" and
"The spectrum" describe what they guarantee.
"""

from __future__ import annotations

import numpy as np

from ..liouvillian._frame import DELTA_COLUMN, _exact_sum, generator_block
from ..system._basis import basis_blocks
from ..liouvillian._graded import RESOLUTION_FACTOR
from ..liouvillian._superop import complex_block

#: modes of the |q|=0 block within this (relative to their scale) coalesce for ``regime`` (a defective
#: pair at δ = |A| splits by ~sqrt(eps)); sqrt of spectrum's former default tol 1e-7
REGIME_RTOL = float(np.sqrt(1e-7))


def _refine_outer_populations(c: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """Populations p_↑↑ and p_↓↓ of stationary |q|=0 coordinates ``x0`` (P, S, 6) to relative accuracy.

    A kernel solve leaves every coordinate with an *absolute* error ~eps; p_↓↓ ~ (ã/a)² at low temperature
    (1e-12 at 10 mK for an NV, 1e-120 at ã/a = 1e-60) then has no correct digit, can come out negative, and
    the concurrence's sqrt(p_↑↑ p_↓↓) (Suppl. S52) turns ~1e-17 into an error ~1e-8 (C = 0.5 − 9.8e-9 for
    the dark singlet at ã/a = 1e-60, exactly 0.5). The rows of p_↑↑ and p_↓↓ in the |q|=0 block hold no
    Hamiltonian term (|↑↑>, |↓↓> are eigenstates of H and are only reached by jumps), so for any kernel
    vector ``p_i = Σ_{j≠i} L_ij x_j / (−L_ii)``: inflow over outflow, whose error is the inflow rates'
    (~ã for p_↓↓) times the other coordinates' errors — relative accuracy for a small population. Applied
    where the outflow −L_ii > 0 and the population is below 1e-3 of the trace (a large one is already
    accurate); a rank-one kernel vector stays one (this is its own equation). A negative inflow is the
    rounding of a cancellation and gives 0. Coordinates: magbell's
    sector basis, populations first (docs/conventions.md).
    """
    x = np.array(x0, dtype=float, copy=True)
    tr = np.abs(x[..., :4].sum(axis=-1))  # (P, S)
    small = np.abs(x[..., [0, 3]]) < 1e-3 * tr[..., None]  # (P, S, 2)
    pts = np.flatnonzero(np.any(small, axis=(1, 2)))
    if not pts.size:
        return x
    # only the two rows, only where a population is small: the compensated sums cost ~28 ms per 10⁴ full blocks
    rows = _exact_sum(np.asarray(c[pts], dtype=float), basis_blocks()[0][:, [0, 3], :])  # (P', 2, 6), correctly rounded
    xs = x[pts]
    for r, i in enumerate((0, 3)):
        out = -rows[:, r, i]  # (P',)
        others = [j for j in range(rows.shape[-1]) if j != i]
        inflow = np.einsum("pj,psj->ps", rows[:, r, others], xs[..., others])
        use = small[pts, :, r] & (out[:, None] > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = inflow / out[:, None]
        # the inflow Σ_k <i|J_k ρ J_k†|i> of a state is ≥ 0: a negative value is rounding of a cancellation
        # (the dark singlet's ρ11 + ρ22 + 2 Re ρ12 ≈ 0), not a population
        xs[..., i] = np.where(use, np.maximum(new, 0.0), xs[..., i])
    x[pts] = xs
    return x


def _slowest_decay(c: np.ndarray, q: int, ev: np.ndarray, rates: np.ndarray, live: np.ndarray,
                   res: np.ndarray) -> np.ndarray:
    """Slowest decay rate (P,) of sector q; where the modes near the slowest one (within REGIME_RTOL of the
    block's scale) have rates that the eigensolver cannot tell apart, their mean, which is exact to rounding
    (the trace of their invariant subspace).

    Cannot tell apart: the spread of their rates is within 4× how far those eigenvalues move when the block is
    perturbed by 64·eps of its entries (a Jordan block of size k moves by ~(64 eps)^(1/k)·scale, a resolved
    mode by ~64 eps·κ·scale). At the exceptional point δ = |A| (a = 1e3, A = δ = 800) the |q|=1 sector's
    Jordan pairs were split by 1.6e-8 relative (``slowest_rate`` was a(1 − 1.6e-8)); on the PT-exact side the
    rates of a coalescing cluster are equal and their mean is exact. Where the rates separate for real they
    are resolved: at δ = |A|(1 − 1e-6) the |q|=0 rates are 2a ∓ 2.26 and 2a (twice), and the mean of the
    cluster, used before for ``entanglement_rate`` wherever the eigenvectors were within 1e-2 of parallel, was
    1.1e-3 off (1.1e-4 at 1 − 1e-8)."""
    eps = np.finfo(float).eps
    g = np.where(live, rates, np.inf)
    i0 = np.argmin(g, axis=1)
    gmin = np.take_along_axis(g, i0[:, None], axis=1)[:, 0]
    scale = np.take_along_axis(res, i0[:, None], axis=1)[:, 0] / (RESOLUTION_FACTOR * eps)
    centre = np.take_along_axis(ev, i0[:, None], axis=1)[:, 0]
    width = REGIME_RTOL * scale
    with np.errstate(invalid="ignore"):
        near = live & (np.abs(ev - centre[:, None]) <= width[:, None])
    cand = np.flatnonzero((near.sum(axis=1) >= 2) & np.isfinite(gmin))
    if not cand.size:
        return gmin
    cp = c[cand].copy()
    cp[:, DELTA_COLUMN] = 0.0  # Δ only shifts sector q by iqΔ
    B = generator_block(cp, q) if q == 0 else complex_block(generator_block(cp, q))
    w = np.linalg.eigvals(B)
    R = np.random.default_rng(12345).choice([-1.0, 1.0], size=B.shape[1:])  # fixed: results reproducible
    w2 = np.linalg.eigvals(B + 64 * eps * np.abs(B) * R)
    shift = 1j * q * c[cand, DELTA_COLUMN] if q else np.zeros(len(cand))
    d1 = np.abs(w + shift[:, None] - centre[cand, None])
    d2 = np.abs(w2 + shift[:, None] - centre[cand, None])
    in_window = d1 <= width[cand, None]
    # how far the window's eigenvalues move: the k nearest to the centre before and after the perturbation, each
    # sorted (real, then imaginary part) and compared pairwise. The distance to the *nearest* perturbed eigenvalue
    # underestimated it where a semisimple eigenvalue sits inside a Jordan cluster (δ = |A|: the |q|=0 rate 2a is a
    # Jordan triple next to a simple 2a, which every scattered eigenvalue found nearby): entanglement_rate came out
    # 4e-6 relative low at A = 0.95 a, δ = |A| (test_reproduce::test_lifetime_map_csv)
    k_in = in_window.sum(axis=1)
    move_max = np.zeros(len(cand))
    for kk in np.unique(k_in[k_in > 0]):
        sel = np.flatnonzero(k_in == kk)
        a = np.take_along_axis(w[sel], np.argsort(d1[sel], axis=1, kind="stable")[:, :kk], axis=1)
        b = np.take_along_axis(w2[sel], np.argsort(d2[sel], axis=1, kind="stable")[:, :kk], axis=1)
        move_max[sel] = np.abs(np.sort_complex(a) - np.sort_complex(b)).max(axis=1)
    floor = 64 * eps * np.abs(B).sum(axis=-2).max(axis=-1)
    r_near = np.where(near[cand], rates[cand], np.nan)
    spread = np.nanmax(r_near, axis=1) - np.nanmin(r_near, axis=1)
    mean = np.nanmean(r_near, axis=1)
    out = gmin.copy()
    same = spread <= 4 * move_max + floor
    if np.any(same):  # and only a defective cluster: semisimple modes are resolved by the graded eigenvalues to
        # their own scale (a = 1, A = 0.5, d = 1e9: rates 2 − 1.25e-10 and 2, far below this block's 64·eps·‖B‖)
        k = near[cand[same]].sum(axis=1)
        same[same] = _defective(B[same], -(centre[cand[same]] - shift[same]), k)
    out[cand[same]] = mean[same]
    return out


def _defective(L0: np.ndarray, rate: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Whether the k eigenvalues of L0 (P, n, n; real or complex) nearest −rate (real, or complex for a
    cluster off the real axis) are a defective cluster: their unit eigenvectors are nearly parallel
    (σ_min < 1e-2; at δ = |A| they are parallel to ~1e-8), where a semisimple pair — e.g. the ↑↓ and ↓↑
    populations decaying apart under strong dephasing — has eigenvectors at a finite angle."""
    out = np.zeros(L0.shape[0], dtype=bool)
    if not L0.shape[0]:
        return out
    e, V = np.linalg.eig(L0)  # batched (a Python loop per point took 1.5 s on a 100 × 100 grid)
    order = np.argsort(np.abs(e + np.asarray(rate)[:, None]), axis=1, kind="stable")
    k = np.asarray(k)
    for kk in np.unique(k):
        sel = np.flatnonzero(k == kk)
        idx = order[sel, :kk]  # (m, kk)
        Vk = np.take_along_axis(V[sel], idx[:, None, :], axis=2)
        Vk = Vk / np.linalg.norm(Vk, axis=1, keepdims=True)
        out[sel] = np.linalg.svd(Vk, compute_uv=False)[:, -1] < 1e-2
    return out
