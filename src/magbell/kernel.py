"""Kernel projectors of (real blocks of) Liouvillians: where the t→∞ dynamics lives.

The spectral projector P0 onto ker L along range L gives the t→∞ limit ``P0 ρ0`` of any initial state
(0 is a semisimple eigenvalue of a Lindbladian). It is also used to deflate long-time propagators:
``exp(L t) = P0 + (exp(L t/2^s) − P0)^(2^s)`` keeps the eigenvalue-1 part exact instead of letting
rounding grow like 2^s·eps through the squarings.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "svd_kernel_projector",
    "structural_zeros",
    "block0_projector",
    "reachable",
    "deflation_projector",
    "TRACE_FUNCTIONAL",
]

#: singular values below this (relative to the largest) are rounding of an exact kernel
EXACT_KERNEL_RTOL = 64 * np.finfo(float).eps
#: the rest of the spectrum must be this well separated (relative) for the kernel to be trusted
KERNEL_GAP_RTOL = 1e-6

#: ℓ with ℓ·r = tr ρ for the |q|=0 block coordinates (ρ00, ρ11, ρ22, ρ33, Re ρ12, Im ρ12)
TRACE_FUNCTIONAL = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])


def svd_kernel_projector(L: np.ndarray, tol_abs: np.ndarray):
    """Spectral projector onto ker L along range L, batched; also the kernel mask.

    With L = U diag(s) Vᵀ, right null vectors are the columns of V and left null vectors the columns of
    U with s < tol. P0 = V_k (U_kᵀ V_k)⁻¹ U_kᵀ, computed for a variable kernel size by padding the
    non-kernel directions with an identity block.
    """
    U, s, Vt = np.linalg.svd(L)
    V = np.swapaxes(Vt, -1, -2)
    mask = s < tol_abs[:, None]
    w = mask.astype(float)
    Vw = V * w[:, None, :]
    Uw = U * w[:, None, :]
    K = np.swapaxes(Uw, -1, -2) @ Vw + np.eye(L.shape[-1]) * (1 - w)[:, None, :]
    P0 = Vw @ np.linalg.solve(K, np.swapaxes(Uw, -1, -2))
    return P0, mask, U, V


def structural_zeros(L: np.ndarray, x: np.ndarray, tol_abs: np.ndarray | None = None) -> np.ndarray:
    """Set to exactly zero the coordinates that no stationary state can populate.

    A coordinate i is structurally zero when it decays (L_ii < −tol_abs, i.e. faster than the kernel
    threshold, so the kernel decision agrees) and receives no inflow (L_ij = 0 exactly) from coordinates
    that are not themselves structurally zero — e.g. ρ_{↓↓} at zero temperature. Rounding leaves ~1e-17
    there, which the square roots of the concurrence would turn into ~1e-9 errors; the exact value is 0.
    """
    n = L.shape[-1]
    off = (L != 0) & ~np.eye(n, dtype=bool)
    zero = np.zeros(L.shape[:-1], dtype=bool)
    thr = 0.0 if tol_abs is None else np.asarray(tol_abs)[:, None]
    decays = np.diagonal(L, axis1=-2, axis2=-1) < -thr
    for _ in range(n):
        inflow = np.any(off & ~zero[:, None, :], axis=-1)
        new = decays & ~inflow
        if np.array_equal(new, zero):
            break
        zero = new
    return np.where(zero[:, None, :], 0.0, x)


def reachable(L: np.ndarray) -> np.ndarray:
    """Sparsity pattern of exp(L t) for t > 0: ``R[i, j]`` is True iff j reaches i in the graph of L.

    Entries of exp(L t) (and of the kernel projector, its t→∞ limit) outside this pattern are zero
    identically; rounding in a dense algorithm (the LU solve of a Padé approximant, an SVD) leaves
    ~1e-17 there, which the square roots of the concurrence would amplify to ~1e-9. Multiplying by the
    pattern restores the exact zeros.
    """
    n = L.shape[-1]
    R = ((L != 0) | np.eye(n, dtype=bool)).astype(float)
    for _ in range(int(np.ceil(np.log2(max(n, 2))))):
        R = np.minimum(R @ R, 1.0)
    return R > 0


def block0_projector(L0: np.ndarray, tol_abs: np.ndarray):
    """Kernel projector of the |q|=0 blocks ``L0`` (P, 6, 6), exact structural zeros included.

    ``M = L0 + u ℓ`` (ℓ the trace functional, ℓu = 1) is invertible iff ker L0 is one-dimensional, and
    then ``x = M⁻¹u`` is the stationary state and ``P0 = x ℓ``. Points where M is (near) singular —
    a column-scaled determinant below 1e3·tol, which catches every σ_min below tol — get the SVD
    projector instead.

    Returns ``(P0, dims, cand)``: projectors, kernel dimensions, indices of the SVD (candidate) points.
    """
    P = L0.shape[0]
    ell = TRACE_FUNCTIONAL
    u = ell / 4
    M = L0 + u[:, None] * ell[None, :]
    colnorm = np.sqrt(np.sum(M * M, axis=-2))
    colnorm = np.where(colnorm > 0, colnorm, 1.0)
    ratio = np.abs(np.linalg.det(M / colnorm[:, None, :]))
    tol_rel = tol_abs / np.maximum(np.abs(L0).sum(axis=-2).max(axis=-1), 1e-300)
    cand = ratio < 1e3 * np.maximum(tol_rel, 1e-15)
    x = np.zeros((P, 6))
    ok = ~cand
    if np.any(ok):
        try:
            x[ok] = np.linalg.solve(M[ok], np.broadcast_to(u, (int(ok.sum()), 6))[..., None])[..., 0]
        except np.linalg.LinAlgError:  # an exactly singular M slipped through: use SVD everywhere
            cand = np.ones(P, dtype=bool)
    x = structural_zeros(L0, x[:, None, :], tol_abs)[:, 0, :]
    P0 = x[:, :, None] * ell[None, None, :]
    dims = np.ones(P, dtype=int)
    cand = np.flatnonzero(cand)
    if cand.size:
        Pc, mask, _, _ = svd_kernel_projector(L0[cand], tol_abs[cand])
        P0[cand] = Pc * reachable(L0[cand])
        dims[cand] = mask.sum(axis=1)
    return P0, dims, cand


def deflation_projector(L: np.ndarray, block0: bool = False) -> np.ndarray:
    """Kernel projector for deflating long-time exponentials, or 0 where it cannot be trusted.

    Deflation freezes whatever the projector covers, so it covers the *exact* kernel only (singular
    values below 64·eps·σ_max), and it is used only where its a-posteriori error bound
    ``‖L P0‖ / σ_gap`` (σ_gap: the smallest singular value outside the kernel) is below 1e-13: a stiff
    generator whose kernel is not computable to that accuracy is not deflated, which costs at most the
    ~eps·‖L‖t drift deflation avoids. For the |q|=0 block (``block0=True``) a one-dimensional kernel
    comes from the bordered solve (L0 + uℓ)x = u, which keeps structural zeros of x exact.
    Exact zeros of exp(L t) are restored by the reachability pattern.
    """
    P, n, _ = L.shape
    U, s, Vt = np.linalg.svd(L)
    smax = np.maximum(s[:, 0], 1e-300)
    mask = s < EXACT_KERNEL_RTOL * smax[:, None]
    k = mask.sum(axis=1)
    gap = np.take_along_axis(s, np.clip(n - 1 - k, 0, n - 1)[:, None], axis=1)[:, 0]
    V = np.swapaxes(Vt, -1, -2)
    w = mask.astype(float)
    Vw = V * w[:, None, :]
    Uw = U * w[:, None, :]
    K = np.swapaxes(Uw, -1, -2) @ Vw + np.eye(n) * (1 - w)[:, None, :]
    P0 = Vw @ np.linalg.solve(K, np.swapaxes(Uw, -1, -2))
    if block0:
        one = np.flatnonzero(k == 1)
        if one.size:
            ell = TRACE_FUNCTIONAL
            u = ell / 4
            M = L[one] + u[:, None] * ell[None, :]
            try:
                x = np.linalg.solve(M, np.broadcast_to(u, (one.size, n))[..., None])[..., 0]
                P0[one] = x[:, :, None] * ell[None, None, :]
            except np.linalg.LinAlgError:
                pass
    P0 = P0 * reachable(L)
    resid = np.abs(L @ P0).sum(axis=-2).max(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(k > 0, resid / np.where(k < n, gap, smax), 0.0)
    trusted = err <= 1e-13 * (1 + np.abs(P0).sum(axis=-2).max(axis=-1))
    return np.where(trusted[:, None, None], P0, 0.0)
