"""Kernel projectors of (real blocks of) Liouvillians: where the t→∞ dynamics lives.

The spectral projector P0 onto ker L along range L gives the t→∞ limit ``P0 ρ0`` of any initial state
(0 is a semisimple eigenvalue of a Lindbladian). Ranks are decided on the dissipator's scale, never on
a pure phase's: the mean splitting Δ is factored out exactly (a scalar ``iqΔ`` per sector), and where
the rest of the Hamiltonian dominates, the generator is decomposed in the eigenframe of H with its
frequency clusters decoupled exactly (:func:`frame_sectors`). :func:`stationary_blocks` is the engine
of :func:`magbell.steady_state` and :func:`magbell.conserved_quantities`.
"""

from __future__ import annotations

import numpy as np


__all__ = [
    "svd_kernel_projector",
    "structural_zeros",
    "block0_projector",
    "reachable",
    "dark_subspace",
    "TRACE_FUNCTIONAL",
]

#: singular values below this (relative to the largest) are rounding of an exact kernel
EXACT_KERNEL_RTOL = 64 * np.finfo(float).eps
#: the rest of the spectrum must be this well separated (relative) for the kernel to be trusted
KERNEL_GAP_RTOL = 1e-6

#: ℓ with ℓ·r = tr ρ for the |q|=0 block coordinates (ρ00, ρ11, ρ22, ρ33, Re ρ12, Im ρ12)
TRACE_FUNCTIONAL = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])


def svd_kernel_projector(L: np.ndarray, tol_abs: np.ndarray, equilibrate=1e100):
    """Spectral projector onto ker L along range L, batched, real or complex; also the kernel mask.

    With E·L = U diag(s) Vᴴ (E: the row equilibration of :func:`_row_equilibration` capped at
    ``equilibrate``, which leaves the kernel unchanged; None: no equilibration), right null vectors are the
    columns of V and left null vectors those of E U with s < tol. P0 = V_k (U_kᴴ E V_k)⁻¹ U_kᴴ E, computed
    for a variable kernel size by padding the non-kernel directions with an identity block. The one SVD
    kernel projector: the two-site blocks (real), the N-site sector generators
    (:func:`magbell.solvers._system_sectors.kernel_projector`, complex) use it.
    """
    E = _row_equilibration(L, equilibrate) if equilibrate is not None else np.ones(L.shape[:-1])
    U, s, Vh = np.linalg.svd(E[..., None] * L)
    V = np.conj(np.swapaxes(Vh, -1, -2))
    mask = s < tol_abs[:, None]
    w = mask.astype(float)
    Vw = V * w[:, None, :]
    Uw = E[..., None] * U * w[:, None, :]  # left null vectors of E·L, mapped back to those of L
    Uwh = np.conj(np.swapaxes(Uw, -1, -2))
    K = Uwh @ Vw + np.eye(L.shape[-1]) * (1 - w)[:, None, :]
    P0 = Vw @ np.linalg.solve(K, Uwh)
    return P0, mask, U, V


def _row_equilibration(L: np.ndarray, cap=1e100) -> np.ndarray:
    """Row weights E (P, n) that raise every non-zero row of L to the largest row's 1-norm, by at most
    ``cap`` (scalar or (P,)).

    Ranks are then decided relative to each coordinate's own rates: with dephasing d = 1e12 on the
    coherences and relaxation a = 1 on the populations, a threshold tol·‖L‖ = 4e3 would count every
    population rate as zero (issue 9); E·L has the same kernel as L and its population rows have the
    coherences' scale. Exactly zero rows stay zero (for matrices formed exactly, ``c @ basis``, a row
    is zero only where it is structurally so). A matrix carrying rounding noise ν·‖L‖ in its zero entries
    (a similarity transform) needs ``cap ≤ tol/(64 ν)``, so amplified noise stays below the threshold.
    """
    rn = np.abs(L).sum(axis=-1)
    top = rn.max(axis=-1, keepdims=True)
    cap = np.asarray(cap, dtype=float).reshape(-1, 1) if np.ndim(cap) else cap
    return np.where(rn > 0, np.maximum(np.minimum(top / np.where(rn > 0, rn, 1.0), cap), 1.0), 1.0)


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


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b):
    p = a * b
    ah = a * 134217729.0
    ah = ah - (ah - a)
    bh = b * 134217729.0
    bh = bh - (bh - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _bordered_residual(L0: np.ndarray, x: np.ndarray, u: np.ndarray, ell: np.ndarray) -> np.ndarray:
    """``u − L0 x − u (ℓ·x)`` for stacks L0 (P, n, n), x and u (P, n), accurate to ~eps·|result| (Dot2
    summation of Ogita, Rump & Oishi 2005: error-free products and sums, errors accumulated apart)."""
    P, n = x.shape
    a = np.concatenate([L0, u[:, :, None] * ell[None, None, :], -u[:, :, None]], axis=-1)  # (P, n, 2n+1)
    b = np.concatenate([x, x, np.ones((P, 1))], axis=-1)  # (P, 2n+1)
    s = np.zeros((P, n))
    c = np.zeros((P, n))
    for j in range(2 * n + 1):
        p, ep = _two_prod(a[..., j], b[:, j : j + 1])
        s, es = _two_sum(s, p)
        c = c + (ep + es)
    return -(s + c)


def block0_projector(L0: np.ndarray, tol_abs: np.ndarray, scale: np.ndarray | None = None):
    """Kernel projector of the |q|=0 blocks ``L0`` (P, 6, 6), exact structural zeros included.

    ``M = L0 + u ℓ`` (ℓ the trace functional, ℓu = 1) is invertible iff ker L0 is one-dimensional, and
    then ``x = M⁻¹u`` is the stationary state and ``P0 = x ℓ``. Points where M is (near) singular —
    a column-scaled determinant below 1e3·tol, which catches every σ_min below tol — get the SVD
    projector instead. ``scale`` (P,) is what ``tol_abs`` is relative to (default ‖L0‖₁); pass the
    dissipator's scale where a fast phase (large δ) dominates ‖L0‖ but must not decide the rank.

    Returns ``(P0, dims, cand)``: projectors, kernel dimensions, indices of the SVD (candidate) points.
    """
    P = L0.shape[0]
    ell = TRACE_FUNCTIONAL
    # The border s·uℓ acts on the populations only, so it takes the scale of the population block
    # (s = its ‖·‖₁; not δ's or the dephasing's, which would swamp the rates in the rounding): with
    # u = ℓ/4 alone, rates of 1e8 made cond(M) ~ 1e9 and the state wrong by ~1e-9 (SI units).
    s = np.abs(L0[:, :4, :4]).sum(axis=-2).max(axis=-1)
    s = np.where(s > 0, s, np.abs(L0).sum(axis=-2).max(axis=-1))
    u = (ell / 4)[None, :] * np.where(s > 0, s, 1.0)[:, None]  # (P, 6)
    M = L0 + u[:, :, None] * ell[None, None, :]
    colnorm = np.sqrt(np.sum(M * M, axis=-2))
    colnorm = np.where(colnorm > 0, colnorm, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        ratio = np.abs(np.linalg.det(M / colnorm[:, None, :]))
    ratio = np.where(np.isfinite(ratio), ratio, 0.0)
    if scale is None:
        scale = np.abs(L0).sum(axis=-2).max(axis=-1)
    tol_rel = tol_abs / np.maximum(scale, 1e-300)
    cand = ratio < 1e3 * np.maximum(tol_rel, 1e-15)
    x = np.zeros((P, 6))
    ok = ~cand
    if np.any(ok):
        try:
            x[ok] = _bordered_solve(L0[ok], M[ok], u[ok], ell, refine=ratio[ok] < 1e-4)
        except np.linalg.LinAlgError:  # an exactly singular M slipped through: use SVD everywhere
            cand = np.ones(P, dtype=bool)
    dims = np.ones(P, dtype=int)
    cand = np.flatnonzero(cand)
    if cand.size:
        Pc, mask, _, _ = svd_kernel_projector(L0[cand], tol_abs[cand])
        dims[cand] = mask.sum(axis=1)
        one = cand[dims[cand] == 1]  # a one-dimensional kernel after all: the (refined) bordered solve
        if one.size:
            try:
                x[one] = _bordered_solve(L0[one], M[one], u[one], ell, refine=np.ones(one.size, dtype=bool))
            except np.linalg.LinAlgError:
                one = one[:0]
    x = structural_zeros(L0, x[:, None, :], tol_abs)[:, 0, :]
    P0 = x[:, :, None] * ell[None, None, :]
    if cand.size:
        svd = ~np.isin(cand, one)
        P0[cand[svd]] = (Pc * reachable(L0[cand]))[svd]
    return P0, dims, cand


def _bordered_solve(L0: np.ndarray, M: np.ndarray, u: np.ndarray, ell: np.ndarray, refine: np.ndarray) -> np.ndarray:
    """x = M⁻¹u (M = L0 + uℓ); where ``refine`` (ill-conditioned M: small column-scaled determinant)
    refined twice with a compensated residual of the unrounded bordered system, so that the solver's
    rounding (eps·cond(M)) does not add to that of L0 itself."""
    x = np.linalg.solve(M, u[..., None])[..., 0]
    r = np.flatnonzero(refine)
    for _ in range(2 if r.size else 0):
        x[r] = x[r] + np.linalg.solve(M[r], _bordered_residual(L0[r], x[r], u[r], ell)[..., None])[..., 0]
    return x


def dark_subspace(J: np.ndarray, H: np.ndarray, tol: float, normalise: bool = True) -> np.ndarray:
    """Orthonormal basis (columns, (n, k)) of the dark kets: the largest subspace of the common kernel of the
    jump rows ``J`` (m, n) that ``H`` (n, n) maps into itself (Kraus, Büchler, Diehl, Kantian, Micheli &
    Zoller, PRA 78, 042307 (2008): a pure stationary state of a Lindbladian is such a ket).

    ``normalise``: divide every non-zero row by its 2-norm first, so that the kernel is that of every row
    whatever its rate (dephasing 1e12 next to relaxation 1e-12 must not make the relaxation count as zero);
    rows below ``tol`` singular values count as zero. H-invariance is decided relative to max |H|. The one
    implementation of the two-site dark states (:mod:`magbell.solvers._steady`) and of the N-site sector ones
    (:mod:`magbell.solvers._system_sectors`, :mod:`magbell.solvers._system_steady_blocks`).
    """
    n = H.shape[-1]
    if normalise:
        rn = np.linalg.norm(J, axis=1)
        J = J[rn > 0] / rn[rn > 0, None]
    if J.shape[0]:
        _, s, Vh = np.linalg.svd(J)
        K = Vh[np.sum(s > tol) :].conj().T
    else:
        K = np.eye(n, dtype=complex)
    sH = np.abs(H).max(initial=0.0)
    for _ in range(n):  # shrink K to its largest H-invariant subspace
        if K.shape[1] == 0 or sH == 0:
            break
        HK = H @ K
        _, s2, Vh2 = np.linalg.svd(HK - K @ (K.conj().T @ HK))
        keep = Vh2[np.sum(s2 > tol * sH) :].conj().T
        if keep.shape[1] == K.shape[1]:
            break
        K = K @ keep
    return K
