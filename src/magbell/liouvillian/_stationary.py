"""Stationary states: kernel projectors of the Model's generator with the pure phases factored out
(:func:`stationary_blocks` is the engine of :func:`magbell.steady_state` and
:func:`magbell.conserved_quantities`)."""

from __future__ import annotations

import numpy as np

from .._domain import generator_norm
from ..system._basis import COEFFICIENT_NAMES
from ._frame import (
    _HAMILTONIAN,
    DELTA_COLUMN,
    _eigvec_inverse,
    frame_sectors,
    generator_block,
    hamiltonian_frame,
)
from ._kernel import reachable, structural_zeros, svd_kernel_projector, trace_kernel_projector
from ._superop import block0_complex_map, complex_block

# =============================================================================================
# Stationary states: kernels with the pure phases factored out (used by magbell.solvers._steady)
# =============================================================================================


#: Hamiltonian/dissipator ratio above which the pure phases are factored out exactly (frame_sectors)
#: instead of being decomposed together with the dissipator: below it, rounding (eps·‖L'‖) costs at
#: most this factor over the dissipator's own eps·‖D‖ (in ranks, rates and, divided by the slowest
#: rate, in the stationary state)
PHASE_RATIO_MAX = 64.0


def tolerance_scales(c: np.ndarray, tol: np.ndarray):
    """Tolerance scale per point, and where the phase frame is needed.

    The scale is the dissipator's ‖·‖₁ bound: a Hamiltonian only rotates phases (in its eigenbasis) and
    must not set the threshold of a rank decision. Where the Hamiltonian (without the mean splitting Δ,
    which is always factored out exactly) exceeds the dissipator by more than ``PHASE_RATIO_MAX`` (or
    by more than the tolerance can absorb, tol/(200 eps)), the point is ``fast`` and takes the exact
    eigenframe route, and so does a Hamiltonian without any dissipator (its frequencies are then
    decided exactly, see :func:`frame_sectors`; the scale is the Hamiltonian's, then |Δ|, then 1).
    """
    cD = c.copy()
    cD[:, _HAMILTONIAN] = 0.0
    cH = np.zeros_like(c)
    cH[:, _HAMILTONIAN] = c[:, _HAMILTONIAN]
    sD, sH = generator_norm(cD), generator_norm(cH)  # generator_norm drops Δ itself
    ratio = np.clip(tol / (200 * np.finfo(float).eps), 1.0, PHASE_RATIO_MAX)
    fast = ((sD > 0) & (sH > ratio * sD)) | ((sD == 0) & (sH > 0))
    dl = np.abs(c[:, DELTA_COLUMN])
    s = np.where(sD > 0, sD, np.where(sH > 0, sH, np.where(dl > 0, dl, 1.0)))
    return s, fast


def rotated_frame_error(c: np.ndarray, tol_rel: np.ndarray) -> np.ndarray:
    """Estimated relative error (P,) of the stationary state on the eigenframe path where the frame
    rotates the ↑↓/↓↑ pair: eps·‖D‖·sin θ (θ the mixing angle) over the population block's rate scale
    (measured 3e-4 at d = 1e12, a = 1, 𝒥⊥ = 1e15, sin θ = 0.7; 3e-7 at d = 1e9, 𝒥⊥ = 1e12, δ = 3e11);
    0 elsewhere (exact entries, or the batched path)."""
    scale, fast = tolerance_scales(c, tol_rel)
    out = np.zeros(c.shape[0])
    f = np.flatnonzero(fast)
    if f.size:
        V, _ = hamiltonian_frame(c[f])
        pop = np.abs(generator_block(c[f], 0)[:, :4, :4]).sum(axis=-2).max(axis=-1)
        with np.errstate(divide="ignore"):
            est = np.where(pop > 0, np.finfo(float).eps * scale[f] / pop, 0.0)
        out[f] = est * np.abs(V[:, 1, 2])  # the rounding enters through the mixing angle sin θ
    return out


def stationary_blocks(c: np.ndarray, r0: np.ndarray, tol_rel: np.ndarray, sb, per_block: bool = False):
    """Projected block coordinates {q: (P, S, n_q)}, kernel dimensions (P,), converges (P, S), and the
    indices of the points whose results are worth checking (degenerate candidates, eigenframe points).

    ``per_block``: kernel dimensions as (P, 3) instead, the nullity of sector q = 0, 1, 2 (sector −q has
    the same; the total is k0 + 2 k1 + 2 k2) — what :func:`magbell.spectrum` counts as zero eigenvalues.
    """
    P, S = c.shape[0], r0.shape[0]
    scale, fast = tolerance_scales(c, tol_rel)
    tol_abs = tol_rel * scale
    L0 = generator_block(c, 0)  # Δ and 𝒥z do not act on |q| = 0
    rb = {q: np.zeros((P, S, idx.size)) for q, idx in enumerate(sb.blocks)}
    dims = np.zeros((P, 3), dtype=int)
    converges = np.ones((P, S), dtype=bool)
    check = []
    for pts, path in ((np.flatnonzero(~fast), "batched"), (np.flatnonzero(fast), "frame")):
        if not pts.size:
            continue
        if path == "batched":
            rb_p, dims[pts], converges[pts], cand = _stationary_batched(c[pts], L0[pts], r0, tol_abs[pts], sb, scale[pts])
            check.append(pts[cand])
        else:  # the Hamiltonian dominates: every decomposed matrix on the dissipator's scale
            rb_p, dims[pts], converges[pts] = _stationary_frame(c[pts], L0[pts], r0, tol_abs[pts], sb)
            check.append(pts)
        for q in rb:
            rb[q][pts] = rb_p[q]
    if not per_block:
        dims = dims[:, 0] + 2 * dims[:, 1:].sum(axis=1)
    return rb, dims, converges, np.concatenate(check)


def _osc_weight_ok(osc: np.ndarray, coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """False for states whose components ``coef`` (P, n, S) on oscillating modes ``osc`` (P, n) are not 0."""
    weight = np.sum(np.abs(coef) * osc[:, :, None], axis=1)  # (P, S)
    return ~(weight > 1e-9 * (1 + np.abs(x).sum(axis=1))[None, :])


def _stationary_batched(c, L0, r0, tol_abs, sb, scale):
    """Batched path: Hamiltonian comparable with the dissipator; Δ factored out of the |q| ≥ 1 blocks.

    In the complex coordinates of sector q, L_q = L'_q + iqΔ (a scalar shift commuting with everything):
    ker L_q is the eigenspace of L'_q for −iqΔ, empty when |qΔ| > 2‖L'_q‖; the eigenvalues are those of
    L'_q shifted by exactly iqΔ, so Δ never enters a rank decision nor the real part of an eigenvalue.
    """
    P, S = c.shape[0], r0.shape[0]
    # thresholds relative to each block's own scale where it is smaller than the dissipator's (e.g.
    # dephasing 1e12 of the |q| ≥ 1 coherences next to rates ~1 in block 0)
    tol_rel = tol_abs / np.maximum(scale, np.finfo(float).tiny)
    n0 = np.abs(L0).sum(axis=-2).max(axis=-1)
    s0 = np.where(n0 > 0, np.minimum(scale, n0), scale)
    t0 = tol_rel * s0
    P0_0, dims0, cand0 = trace_kernel_projector(L0, t0, s0)
    dims = np.zeros((P, 3), dtype=int)
    dims[:, 0] = dims0
    # Stationary coherences (|q| ≥ 1 kernels) and purely imaginary eigenvalues both need a degenerate
    # block 0 (see docs/numerics.md), so the |q| ≥ 1 blocks are only built and examined at those points.
    cand = cand0[dims0[cand0] >= 2] if cand0.size else cand0
    t = t0[cand]
    cp = c[cand].copy()
    cp[:, DELTA_COLUMN] = 0.0
    rb = {}
    converges = np.ones((P, S), dtype=bool)
    for q, idx in enumerate(sb.blocks):
        x = r0[:, idx]
        if q == 0:
            rb[0] = np.einsum("pij,sj->psi", P0_0, x)  # unique points: x has exact zeros already
            if cand0.size:
                rb[0][cand0] = structural_zeros(L0[cand0], rb[0][cand0], t0[cand0])
            if cand.size:  # purely imaginary non-zero eigenvalues that the initial state populates
                ev, VR = np.linalg.eig(L0[cand])
                osc = (np.abs(ev.real) < t[:, None]) & (np.abs(ev.imag) >= t[:, None])
                if np.any(osc):
                    coef = _eigvec_inverse(VR) @ x.T.astype(complex)
                    converges[cand] &= _osc_weight_ok(osc, coef, x)
            continue
        rb[q] = np.zeros((P, S, idx.size))
        if not cand.size:
            continue
        Cp = complex_block(generator_block(cp, q))  # (Pc, n, n): L'_q without Δ
        n = Cp.shape[-1]
        nq = np.abs(Cp).sum(axis=-2).max(axis=-1)
        t = tol_rel[cand] * np.where(nq > 0, np.minimum(scale[cand], nq), scale[cand])
        shift = 1j * q * c[cand, DELTA_COLUMN]
        far = np.abs(q * c[cand, DELTA_COLUMN]) > 2 * (np.linalg.norm(Cp, axis=(-2, -1)) + t)
        C = np.where(far[:, None, None], np.eye(n), Cp + shift[:, None, None] * np.eye(n))
        Pq, mask, _, _ = svd_kernel_projector(C, t)  # row equilibration capped at 1e100: exact entries
        k = mask.sum(axis=1)
        Pq = np.where(far[:, None, None], 0.0, Pq * reachable(C))
        dims[cand, q] = np.where(far, 0, k)
        z = x[:, 0::2] + 1j * x[:, 1::2]  # (S, n)
        zp = np.einsum("pij,sj->psi", Pq, z)
        out = np.zeros((cand.size, S, idx.size))
        out[..., 0::2], out[..., 1::2] = zp.real, zp.imag
        rb[q][cand] = out
        ev, VR = np.linalg.eig(Cp)
        osc = (np.abs(ev.real) < t[:, None]) & (np.abs(ev + shift[:, None]) >= t[:, None])
        if np.any(osc):
            coef = _eigvec_inverse(VR) @ z.T
            converges[cand] &= _osc_weight_ok(osc, coef, x)
    return rb, dims, converges, cand0


def _stationary_frame(c, L0, r0, t, sb):
    """Points whose Hamiltonian dominates the dissipator: kernel and oscillating modes from the exact
    eigenframe decomposition :func:`frame_sectors` (every decomposed matrix has the dissipator's scale)."""
    secs = frame_sectors(c, t)
    F = block0_complex_map()
    Finv = np.linalg.inv(F)
    P, S = c.shape[0], r0.shape[0]
    rb = {}
    conv = np.ones((P, S), dtype=bool)
    dims = np.stack([sec["k"] for sec in secs], axis=1)
    for q, (idx, sec) in enumerate(zip(sb.blocks, secs)):
        x = r0[:, idx]
        if q == 0:
            P0r = (Finv @ sec["P"] @ F).real * reachable(L0)
            # (only where block 0 itself is not Hamiltonian-dominated: 𝒥z and Δ do not act there, δ, 𝒥⊥
            # and D do, and there the frame's projector is the accurate one)
            h0 = 4 * np.abs(c[:, [COEFFICIENT_NAMES.index(k) for k in ("delta", "Jperp", "D_dm")]]).sum(axis=1)
            pop = np.abs(L0[:, :4, :4]).sum(axis=-2).max(axis=-1)
            one = np.flatnonzero((dims[:, 0] == 1) & (h0 <= PHASE_RATIO_MAX * pop))
            if one.size:
                # a one-dimensional block-0 kernel: the stationary state from the bordered solve with
                # compensated refinement (exact entries; the frame's transforms leave ~eps·‖D‖/rate in
                # the projector where the dissipator spans many scales, e.g. d = 1e12 against a = 1)
                Pb, solved, _ = trace_kernel_projector(L0[one], refine=True)
                good = solved == 1  # (an exactly singular bordered system keeps the frame's projector)
                P0r[one[good]] = Pb[good]
            rb[0] = structural_zeros(L0, np.einsum("pij,sj->psi", P0r, x), t)
            z = x @ F.T
        else:
            z = x[:, 0::2] + 1j * x[:, 1::2]
            Pq = sec["P"] * reachable(complex_block(generator_block(c, q)))
            zp = np.einsum("pij,sj->psi", Pq, z)
            rb[q] = np.zeros((P, S, idx.size))
            rb[q][..., 0::2], rb[q][..., 1::2] = zp.real, zp.imag
        osc = sec["osc"]
        if np.any(osc):
            conv &= _osc_weight_ok(osc, np.einsum("pij,sj->pis", sec["coef"], z), x)
    return rb, dims, conv
