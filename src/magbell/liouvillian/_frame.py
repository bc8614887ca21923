"""The Hamiltonian eigenframe with its frequency clusters decoupled exactly: the pure phases factored out
of a Liouvillian before any rank, kernel or spectral decision (used by the stationary projector,
:mod:`magbell.liouvillian._stationary`, and the spectrum, :func:`magbell.spectrum`)."""

from __future__ import annotations

import numpy as np

from ..system._basis import COEFFICIENT_NAMES, basis_blocks, basis_superoperators
from ._graded import graded_eigvals
from ._kernel import svd_kernel_projector
from ._superop import sector_elements

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

#: where the eigenframe rotates the ↑↓/↓↑ pair by θ, its rounding perturbs every rate by up to
#: ~0.1·eps·‖D‖·sin θ (measured): rates below this × eps·‖D‖·sin θ are not reported (relative error
#: ≤ 1e-6 above it)
ROTATION_RESOLUTION = 1e5

# energies of the eigenframe basis (↑↑, v−, v+, ↓↓) as integer combinations of (Δ, 𝒥z, r)
_ENERGY_WEIGHTS = np.array([[-1, 1, 0], [0, -1, -1], [0, -1, 1], [1, 1, 0]], dtype=float)


def hamiltonian_frame(c: np.ndarray):
    """Eigenframe of H for coefficient rows c (P, K): ``(V, p)``.

    V (P, 4, 4) is unitary with ``V† H V = diag(_ENERGY_WEIGHTS @ p)``, p (P, 3) = (Δ, 𝒥z, r). H commutes
    with the magnetisation, so V only rotates the {↑↓, ↓↑} pair: its 2×2 block is the eigenbasis of the
    traceless [[−δ, g], [g*, δ]] (g = ⟨↑↓|H|↓↑⟩ from 𝒥⊥ and D), whose eigenvalues are exactly ∓r.
    """
    from ..system._basis import _hamiltonian_terms

    Ht = _hamiltonian_terms()
    cols = [COEFFICIENT_NAMES.index(k) for k in ("delta", "Jperp", "D_dm")]
    Hm = np.einsum("pk,kij->pij", c[:, cols].astype(complex), Ht[[0, 3, 4]])
    blk = Hm[:, 1:3, 1:3]
    delta = c[:, COEFFICIENT_NAMES.index("delta")]
    r = np.hypot(delta, np.abs(blk[:, 0, 1]))
    V = np.broadcast_to(np.eye(4, dtype=complex), c.shape[:1] + (4, 4)).copy()
    nz = r > 0
    if np.any(nz):
        _, V[nz, 1:3, 1:3] = np.linalg.eigh(blk[nz] / r[nz, None, None])
    p = np.stack([c[:, COEFFICIENT_NAMES.index("Delta")], c[:, COEFFICIENT_NAMES.index("Jz")], r], axis=1)
    return V, p


def _clusters(om: np.ndarray, G: np.ndarray):
    """Group points by their cluster pattern: {(perm, bounds): point indices}."""
    order = np.argsort(om, axis=1, kind="stable")
    so = np.take_along_axis(om, order, axis=1)
    cuts = np.diff(so, axis=1) > G[:, None]
    key = np.concatenate([order, cuts.astype(int)], axis=1)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    n = om.shape[1]
    out = []
    for g, row in enumerate(uniq):
        perm = row[:n]
        starts = [0] + [k + 1 for k in np.flatnonzero(row[n:])] + [n]
        slices = [slice(a, b) for a, b in zip(starts[:-1], starts[1:])]
        out.append((perm, slices, np.flatnonzero(inv.reshape(-1) == g)))
    return out


def _sylvester(A: np.ndarray, B: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Batched solution X of A X + X B = Q (A (P, m, m), B (P, n, n)) by the Kronecker form."""
    P, m, n = Q.shape
    K = np.einsum("ij,pab->piajb", np.eye(n), A).reshape(P, n * m, n * m)  # I ⊗ A on column-stacked X
    K = K + np.einsum("pji,ab->piajb", B, np.eye(m)).reshape(P, n * m, n * m)  # Bᵀ ⊗ I
    x = np.linalg.solve(K, np.swapaxes(Q, 1, 2).reshape(P, n * m, 1))
    return np.swapaxes(x.reshape(P, n, m), 1, 2)


def _decouple(D: np.ndarray, w: np.ndarray, p: np.ndarray, perm, slices):
    """Block-diagonalise ``i diag(w @ p) + D`` (P points sharing one cluster pattern).

    Returns ``(centres, B, T)``: in the permuted order ``perm`` the matrix equals
    ``T blockdiag(i centres_c + B_c) T⁻¹`` (to rounding of ‖D‖). Frequency differences come from the
    integer weights ``w`` (never as differences of large rounded numbers).
    """
    P, n = D.shape[0], len(w)
    wp = w[perm]
    ref = [s.start for s in slices]
    centres = np.stack([p @ wp[r] for r in ref], axis=1)  # (P, m)
    offs = np.concatenate([p @ (wp[s] - wp[s.start]).T for s in slices], axis=1)  # (P, n)
    Dp = D[:, perm][:, :, perm]
    mask = np.zeros((n, n), dtype=bool)
    for s in slices:
        mask[s, s] = True
    B = np.where(mask, Dp, 0) + np.einsum("pi,ij->pij", 1j * offs, np.eye(n))
    N = np.where(mask, 0, Dp)
    eye = np.eye(n)
    T = np.broadcast_to(eye.astype(complex), (P, n, n)).copy()
    dn = np.maximum(np.linalg.norm(D, axis=(1, 2)), np.finfo(float).tiny)
    for _ in range(40 if len(slices) > 1 else 0):
        if np.all(np.linalg.norm(N, axis=(1, 2)) <= 1e-3 * np.finfo(float).eps * dn):
            break
        X = np.zeros((P, n, n), dtype=complex)
        for a, sa in enumerate(slices):
            for b, sb in enumerate(slices):
                if a != b:
                    dom = p @ (wp[ref[a]] - wp[ref[b]])
                    A = 1j * dom[:, None, None] * np.eye(sa.stop - sa.start) + B[:, sa, sa]
                    X[:, sa, sb] = _sylvester(A, -B[:, sb, sb], -N[:, sa, sb])
        M = B + np.linalg.solve(eye + X, N @ X)
        B, N = np.where(mask, M, 0), np.where(mask, 0, M)
        T = T @ (eye + X)
    return centres, B, T


def _eigvec_inverse(VR: np.ndarray) -> np.ndarray:
    """Inverse of stacked eigenvector matrices; the pseudo-inverse where one is exactly singular (an exact
    Jordan block), whose components are then only used to flag oscillating modes."""
    try:
        return np.linalg.inv(VR)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(VR)


def frame_sectors(c: np.ndarray, tol_abs: np.ndarray):
    """Kernel projectors and eigenvalues of every signed sector q ≥ 0, pure phases factored out (batched).

    ``c``: coefficients (P, K); ``tol_abs`` (P,): kernel thresholds (on the dissipator's scale). Returns
    a list, per q, of dicts in the product-basis coordinates of :func:`magbell.liouvillian._superop.sector_elements`:
    ``P`` (P, n, n) complex kernel projectors, ``k`` (P,) their ranks, ``ev`` (P, n) eigenvalues,
    ``coef`` (P, n, n) with ``coef @ z`` the components of z along the eigenvectors of ``ev``, ``osc``
    (P, n) the eigenvalues on the imaginary axis other than 0 (undamped oscillations); ``ev_graded``
    (P, n) the same eigenvalues computed with their scales split apart (:mod:`magbell.liouvillian._graded`; for
    rates, in no particular order) and ``res`` (P, n) the absolute resolution of each of them (0 where
    there is no dissipator: frequencies exact).
    """
    c = np.asarray(c, dtype=float)
    tol_abs = np.asarray(tol_abs, dtype=float)
    Pn = c.shape[0]
    V, p = hamiltonian_frame(c)
    cD = c.copy()
    cD[:, _HAMILTONIAN] = 0.0
    Dsup = _exact_sum(cD, basis_superoperators())
    S = np.einsum("pij,pkl->pikjl", V, V.conj()).reshape(Pn, 16, 16)  # vec(VρV†) = (V ⊗ V̄) vec ρ
    Df = np.conj(np.swapaxes(S, 1, 2)) @ Dsup @ S
    pure = ~np.any(cD != 0, axis=1)
    nDall = np.abs(Df).sum(axis=1).max(axis=1)  # what tol_abs is relative to (the dissipator's scale)
    out = []
    for els in sector_elements(2):
        idx = np.array([4 * i + j for i, j in els])
        n = idx.size
        w = np.array([_ENERGY_WEIGHTS[j] - _ENERGY_WEIGHTS[i] for i, j in els])
        Sq = S[:, idx][:, :, idx]
        Dq = Df[:, idx][:, :, idx]
        G = CLUSTER_GAP * np.linalg.norm(Dq, axis=(1, 2))
        Pf = np.zeros((Pn, n, n), dtype=complex)
        coef = np.zeros((Pn, n, n), dtype=complex)
        ev = np.zeros((Pn, n), dtype=complex)
        evg = np.zeros((Pn, n), dtype=complex)
        res = np.zeros((Pn, n))
        # rounding of the eigenframe rotation of the ↑↓/↓↑ pair: ~eps·‖D‖ in every entry, so no
        # eigenvalue is resolved below that where it was applied
        rotated = np.abs(V[:, 1, 2]) > 0
        noise = ROTATION_RESOLUTION * np.finfo(float).eps * np.abs(Dq).sum(axis=1).max(axis=1) * np.abs(V[:, 1, 2])
        k = np.zeros(Pn, dtype=int)
        for perm, slices, pts in _clusters(p @ w.T, G):
            centres, B, T = _decouple(Dq[pts], w, p[pts], perm, slices)
            Tinv = np.linalg.inv(T)
            Pp = np.zeros((pts.size, n, n), dtype=complex)
            VRinv = np.zeros((pts.size, n, n), dtype=complex)
            evp = np.zeros((pts.size, n), dtype=complex)
            t = tol_abs[pts]
            # the transforms leave ~eps·‖D‖ in every entry: small rows are raised by at most t/(64 eps ‖D‖)
            nD = np.abs(Dq[pts]).sum(axis=1).max(axis=1)
            # a rotation of the ↑↓/↓↑ pair (V ≠ I) leaves ~eps·‖D‖ of rounding in every entry; without
            # it the entries are exact, and the decoupling T changes a cluster's entries only by
            # ~‖N‖²/gap, rounded relative to themselves
            noisy = rotated[pts]
            floor = np.where(noisy, 1e3 * np.finfo(float).eps * nD, 0.0)
            for ci, s in enumerate(slices):
                Bc = B[:, s, s]
                cen = centres[:, ci]
                mu, VR = np.linalg.eig(Bc)
                evp[:, s] = 1j * cen[:, None] + mu
                mg, rg = graded_eigvals(Bc)  # the rates, with their scales split apart
                sub_e, sub_r = evg[pts], res[pts]
                sub_e[:, perm[s]] = 1j * cen[:, None] + mg
                sub_r[:, perm[s]] = np.where(noisy[:, None], np.maximum(rg, noise[pts, None]), rg)
                evg[pts], res[pts] = sub_e, sub_r
                VRinv[:, s, s] = _eigvec_inverse(VR)
                near = np.abs(cen) <= 2 * (np.linalg.norm(Bc, axis=(1, 2)) + t)
                if np.any(near):
                    m_ = s.stop - s.start
                    Cc = 1j * cen[near, None, None] * np.eye(m_) + Bc[near]
                    # the threshold on this cluster's own scale where that is smaller than the
                    # dissipator's (a cluster of slow populations next to dephased coherences), but
                    # above the transforms' noise ~eps·‖D‖; small rows raised by at most tc/(64 eps ‖D‖)
                    nc = np.abs(Cc).sum(axis=-2).max(axis=-1)
                    nall = nDall[pts][near]
                    tc = np.maximum(t[near] * np.minimum(1.0, nc / np.where(nall > 0, nall, 1.0)), floor[near])
                    tc = np.maximum(np.where(nD[near] > 0, tc, t[near]), np.finfo(float).tiny)
                    with np.errstate(divide="ignore", over="ignore"):
                        cap = np.where(nD[near] > 0, tc / (64 * np.finfo(float).eps * nD[near]), 1.0)
                    cap = np.where(noisy[near], cap, 1e100)
                    Pc, mask, _, _ = svd_kernel_projector(Cc, tc, equilibrate=cap)
                    kc = mask.sum(axis=1)
                    sub = Pp[near]
                    sub[:, s, s] = Pc
                    Pp[near] = sub
                    k[pts[near]] += kc
            inv = np.argsort(perm)
            Pf[pts] = (T @ Pp @ Tinv)[:, inv][:, :, inv]
            cf = np.zeros((pts.size, n, n), dtype=complex)
            cf[:, :, perm] = VRinv @ Tinv  # coef @ z_frame, z_frame = Sq† z
            coef[pts] = cf
            ev[pts] = evp
        osc = (np.abs(ev.real) < tol_abs[:, None]) & (np.abs(ev) >= tol_abs[:, None])
        if np.any(pure):
            evg[pure] = 1j * (p[pure] @ w.T)
            res[pure] = 0.0
            # no dissipator at all: L = -i[H, ·] is diagonal in the eigenframe, and a frequency is zero
            # iff it vanishes to the rounding of its own integer combination of (Δ, 𝒥z, r) — not
            # relative to the largest energy (𝒥z = 1e12 must not freeze a rotation at frequency 2δ = 2)
            om = p[pure] @ w.T
            zero = np.abs(om) <= 16 * np.finfo(float).eps * (np.abs(p[pure])[:, None, :] * np.abs(w)[None]).sum(-1)
            Pf[pure] = zero[:, :, None] * np.eye(n)
            ev[pure] = 1j * om
            coef[pure] = np.eye(n)
            k[pure] = zero.sum(axis=1)
            osc[pure] = ~zero
        Sqh = np.conj(np.swapaxes(Sq, 1, 2))
        out.append(dict(P=Sq @ Pf @ Sqh, k=k, ev=ev, coef=coef @ Sqh, osc=osc, ev_graded=evg, res=res))
    return out


# =============================================================================================
# Generator blocks from coefficient rows, summed exactly
# =============================================================================================


def _exact_sum(c: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Σ_k c[:, k] B[k] (B real or complex with entries 0, ±1, ±2, ±4, ±8), correctly rounded up to
    ~eps²: every product is exact and the sum is compensated (two-sum). A plain sum loses small terms
    to cancellation, e.g. relaxation a = 1e-12 on the ↑↓/↓↑ coherence next to collective dephasing
    (−4d + 4𝔇 with d = 𝔇 = 1e6): (−2a − 4d) + 4d = 0, and the rate 2a vanished."""
    P = c.shape[0]
    if np.iscomplexobj(B):
        return _exact_sum(c, B.real) + 1j * _exact_sum(c, B.imag)
    s = np.zeros((P,) + B.shape[1:])
    err = np.zeros_like(s)
    for k in range(B.shape[0]):
        if not np.any(B[k]) or not np.any(c[:, k]):
            continue
        term = c[:, k, None, None] * B[k]
        t = s + term
        bb = t - s
        err += (s - (t - bb)) + (term - bb)
        s = t
    return s + err


def generator_block(c: np.ndarray, q: int) -> np.ndarray:
    """Real |q| block of the generator for coefficient rows c (P, K): (P, n_q, n_q), entries correctly
    rounded (:func:`_exact_sum`)."""
    return _exact_sum(np.asarray(c, dtype=float), basis_blocks()[q])


_HAMILTONIAN = [COEFFICIENT_NAMES.index(k) for k in ("delta", "Delta", "Jz", "Jperp", "D_dm")]
DELTA_COLUMN = COEFFICIENT_NAMES.index("Delta")
