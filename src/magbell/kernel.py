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
    "complex_kernel_projector",
    "frame_sectors",
    "hamiltonian_frame",
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
    u = ell / 4
    M = L0 + u[:, None] * ell[None, :]
    colnorm = np.sqrt(np.sum(M * M, axis=-2))
    colnorm = np.where(colnorm > 0, colnorm, 1.0)
    ratio = np.abs(np.linalg.det(M / colnorm[:, None, :]))
    if scale is None:
        scale = np.abs(L0).sum(axis=-2).max(axis=-1)
    tol_rel = tol_abs / np.maximum(scale, 1e-300)
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


# =============================================================================================
# Pure phases factored out: the Hamiltonian eigenframe and frequency clusters
# =============================================================================================
#
# Every Hamiltonian term of the model only rotates phases in the eigenbasis of H: -i[H, ρ]_ij =
# -i(E_i - E_j) ρ_ij. Such a rotation must never set the scale of a rank, kernel or spectral decision
# (Δ/a = 1e10 is an ordinary NV centre in SI units), so at points where the Hamiltonian is large
# compared with the dissipator the generator is written, sector by sector, as
#
#     C = i diag(ω) + D,        ω_ij = -(E_i - E_j) known exactly as integer combinations of (Δ, 𝒥z, r)
#
# (D: the dissipator in the eigenframe, r = √(δ² + |H_{↑↓,↓↑}|²)). Coordinates whose frequencies differ
# by more than a gap G ≫ ‖D‖ are decoupled exactly by a similarity transform T (a block-Sylvester
# iteration, quadratically convergent), after which each cluster c is iω_c + B_c with ‖B_c‖ ~ ‖D‖.
# Every matrix that is decomposed (SVD, eig) then has the dissipator's scale, and frequency differences
# are formed from the integer weights, never by subtracting two large rounded numbers.

#: clusters of frequencies are split where consecutive frequencies differ by more than this × ‖D‖_F
CLUSTER_GAP = 16.0

# energies of the eigenframe basis (↑↑, v−, v+, ↓↓) as integer combinations of (Δ, 𝒥z, r)
_ENERGY_WEIGHTS = np.array([[-1, 1, 0], [0, -1, -1], [0, -1, 1], [1, 1, 0]], dtype=float)


def hamiltonian_frame(c: np.ndarray):
    """Eigenframe of H for one coefficient vector c (K,): ``(V, p)``.

    V (4, 4) is unitary with ``V† H V = diag(_ENERGY_WEIGHTS @ p)``, p = (Δ, 𝒥z, r). H commutes with the
    magnetisation, so V only rotates the {↑↓, ↓↑} pair: its 2×2 block is the eigenbasis of the traceless
    [[−δ, g], [g*, δ]] (g = ⟨↑↓|H|↓↑⟩ from 𝒥⊥ and D), whose eigenvalues are exactly ∓r.
    """
    from .model import COEFFICIENT_NAMES, _hamiltonian_terms

    names = ("delta", "Jperp", "D_dm")
    Hm = sum(c[COEFFICIENT_NAMES.index(k)] * _hamiltonian_terms()[i] for i, k in ((0, names[0]), (3, names[1]), (4, names[2])))
    blk = Hm[1:3, 1:3]
    delta = float(c[COEFFICIENT_NAMES.index("delta")])
    r = float(np.hypot(delta, abs(blk[0, 1])))
    V = np.eye(4, dtype=complex)
    if r > 0:
        _, V[1:3, 1:3] = np.linalg.eigh(blk / r)
    p = np.array([c[COEFFICIENT_NAMES.index("Delta")], c[COEFFICIENT_NAMES.index("Jz")], r], dtype=float)
    return V, p


def _decouple(D: np.ndarray, w: np.ndarray, p: np.ndarray):
    """Block-diagonalise ``i diag(w @ p) + D`` by frequency clusters.

    Returns ``(perm, slices, centres, B, T)``: in the permuted order ``perm`` the matrix equals
    ``T (blockdiag(i centres_c I + B_c)) T⁻¹`` (to rounding of ‖D‖), ``slices`` the clusters.
    """
    n = len(w)
    om = w @ p
    dn = np.linalg.norm(D)
    G = CLUSTER_GAP * dn
    order = np.argsort(om, kind="stable")
    groups, start = [], 0
    for k in range(1, n + 1):
        if k == n or om[order[k]] - om[order[k - 1]] > G:
            groups.append(order[start:k])
            start = k
    perm = np.concatenate(groups)
    slices, pos = [], 0
    for g in groups:
        slices.append(slice(pos, pos + len(g)))
        pos += len(g)
    ref = [g[0] for g in groups]
    centres = np.array([w[k] @ p for k in ref])
    offs = np.concatenate([(w[g] - w[g[0]]) @ p for g in groups])
    Dp = D[np.ix_(perm, perm)]
    mask = np.zeros((n, n), dtype=bool)
    for s in slices:
        mask[s, s] = True
    B = np.where(mask, Dp, 0) + np.diag(1j * offs)
    N = np.where(mask, 0, Dp)
    eye = np.eye(n)
    T = eye.astype(complex)
    if len(groups) > 1:
        from scipy.linalg import solve_sylvester

        for _ in range(40):
            if np.linalg.norm(N) <= 1e-3 * np.finfo(float).eps * max(dn, np.finfo(float).tiny):
                break
            X = np.zeros((n, n), dtype=complex)
            for a, sa in enumerate(slices):
                for b, sb in enumerate(slices):
                    if a != b and np.any(N[sa, sb] != 0):
                        dom = (w[ref[a]] - w[ref[b]]) @ p
                        A = 1j * dom * np.eye(sa.stop - sa.start) + B[sa, sa]
                        X[sa, sb] = solve_sylvester(A, -B[sb, sb], -N[sa, sb])
            M = B + np.linalg.solve(eye + X, N @ X)
            B, N = np.where(mask, M, 0), np.where(mask, 0, M)
            T = T @ (eye + X)
    return perm, slices, centres, B, T


def complex_kernel_projector(C: np.ndarray, tol_abs: np.ndarray):
    """Spectral projector onto ker C along range C for complex (P, n, n) stacks, and the kernel sizes.

    Kernel: singular values below ``tol_abs`` (P,). P0 = V_k (U_kᴴ V_k)⁻¹ U_kᴴ, padded like
    :func:`svd_kernel_projector`.
    """
    U, s, Vh = np.linalg.svd(C)
    V = np.conj(np.swapaxes(Vh, -1, -2))
    Uh = np.conj(np.swapaxes(U, -1, -2))
    w = (s < np.asarray(tol_abs)[:, None]).astype(float)
    Vw = V * w[:, None, :]
    Uhw = Uh * w[:, :, None]
    K = Uhw @ Vw + np.eye(C.shape[-1]) * (1 - w)[:, None, :]
    return Vw @ np.linalg.solve(K, Uhw), w.sum(axis=1).astype(int)


def frame_sectors(c: np.ndarray, tol_abs: float):
    """Kernel projectors and eigenvalues of every signed sector q ≥ 0 of one model, phases factored out.

    ``c``: coefficients (K,); ``tol_abs``: kernel threshold (on the dissipator's scale). Returns a list,
    per q, of dicts in the product-basis coordinates of :func:`magbell.superop.sector_elements`:
    ``P`` (n, n) complex kernel projector, ``k`` its rank, ``ev`` (n,) eigenvalues, ``coef`` (n, n) with
    ``coef @ z`` the components of z along the eigenvectors of ``ev``.
    """
    from .model import COEFFICIENT_NAMES, basis_superoperators
    from .superop import sector_elements

    V, p = hamiltonian_frame(c)
    cD = np.array(c, dtype=float)
    for name in ("delta", "Delta", "Jz", "Jperp", "D_dm"):
        cD[COEFFICIENT_NAMES.index(name)] = 0.0
    Dsup = np.einsum("k,kij->ij", cD, basis_superoperators())
    S = np.kron(V, V.conj())
    Df = S.conj().T @ Dsup @ S
    out = []
    for els in sector_elements(2):
        idx = np.array([4 * i + j for i, j in els])
        w = np.array([_ENERGY_WEIGHTS[j] - _ENERGY_WEIGHTS[i] for i, j in els])
        Sq = S[np.ix_(idx, idx)]
        perm, slices, centres, B, T = _decouple(Df[np.ix_(idx, idx)], w, p)
        Tinv = np.linalg.inv(T)
        n = len(idx)
        Pp = np.zeros((n, n), dtype=complex)
        ev = np.zeros(n, dtype=complex)
        VRinv = np.zeros((n, n), dtype=complex)
        k = 0
        for cen, s in zip(centres, slices):
            Bc = B[s, s]
            mu, VR = np.linalg.eig(Bc)
            ev[s] = 1j * cen + mu
            VRinv[s, s] = np.linalg.inv(VR)
            if abs(cen) <= 2 * (np.linalg.norm(Bc) + tol_abs):
                Pc, kc = complex_kernel_projector((1j * cen * np.eye(Bc.shape[0]) + Bc)[None], np.array([tol_abs]))
                Pp[s, s] = Pc[0]
                k += int(kc[0])
        inv = np.argsort(perm)
        Pf = (T @ Pp @ Tinv)[np.ix_(inv, inv)]
        coef = np.zeros((n, n), dtype=complex)
        coef[:, perm] = VRinv @ Tinv  # coef @ z_frame, z_frame = Sq† z
        out.append(
            dict(P=Sq @ Pf @ Sq.conj().T, k=k, ev=ev, coef=coef @ Sq.conj().T)
        )
    return out
