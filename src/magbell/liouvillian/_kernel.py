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
    "trace_kernel_projector",
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
    kernel projector: the two-site blocks (real; the degenerate candidates of :func:`trace_kernel_projector`),
    their |q| ≥ 1 sectors and eigenframe clusters (complex, :mod:`magbell.liouvillian._stationary`,
    :func:`magbell.liouvillian._frame.frame_sectors`, the latter with the cap tol/(64·eps) relative to the
    frame's rounding noise) and the N-site sector generators
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

    A large stack (..., n, n) is closed once per distinct coupling graph (a parameter grid has a handful):
    the transitive closure by ⌈log2 n⌉ boolean squarings of the few distinct patterns, then indexed back.
    """
    L = np.asarray(L)
    n = L.shape[-1]
    nz = L != 0
    lead = nz.shape[:-2]
    flat = nz.reshape(-1, n, n)
    inv = shared = None
    if flat.shape[0] >= 32 and n * n <= 62:
        # each graph as the integer with bit i·n + j set for an edge
        keys = flat.reshape(-1, n * n).view(np.uint8) @ (np.int64(1) << np.arange(n * n, dtype=np.int64))
        if keys.min() == keys.max():  # one graph for the whole stack: a read-only broadcast view
            shared, flat = flat.shape[0], flat[:1]
        else:
            _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
            flat, inv = flat[first], inv.reshape(-1)
    R = (flat | np.eye(n, dtype=bool)).astype(float)
    for _ in range(int(np.ceil(np.log2(max(n, 2))))):
        R = np.minimum(R @ R, 1.0)
    R = R > 0
    if shared is not None:
        R = np.broadcast_to(R, (shared, n, n))
    elif inv is not None:
        R = R[inv]
    return R.reshape(lead + (n, n))


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
    of Ogita, Rump & Oishi, SIAM J. Sci. Comput. 26, 1955 (2005): error-free products and sums, the
    errors accumulated apart). Terms in the order L0's columns, the border's columns (those with ℓ_j = 0
    are exact zeros and skipped), −u; one (P, n) slice at a time (cache-sized, O(P·n) memory)."""
    P, n = x.shape
    s = np.zeros((P, n))
    c = np.zeros((P, n))
    cols = np.ascontiguousarray(np.moveaxis(L0, -1, 0))  # (n, P, n): column j of every point, contiguous
    for j in range(2 * n + 1):
        if j < n:
            a, b = cols[j], x[:, j : j + 1]
        elif j < 2 * n:
            if ell[j - n] == 0:
                continue
            a, b = u * ell[j - n], x[:, j - n : j - n + 1]
        else:
            a, b = -u, 1.0
        p, ep = _two_prod(a, b)
        s, es = _two_sum(s, p)
        c = c + (ep + es)
    return -(s + c)


def _border(L0: np.ndarray, ell: np.ndarray):
    """The border ``u`` (P, n) with ℓu = 1 scaled to the population block, and ``M = L0 + uℓ``.

    The border acts on the population coordinates (where ℓ ≠ 0) only, so it takes the scale of their
    block (s = its ‖·‖₁; not δ's or the dephasing's, which would swamp the rates in the rounding): with
    u = ℓ/4 alone, rates of 1e8 made cond(M) ~ 1e9 and the state wrong by ~1e-9 (SI units)."""
    pop = np.flatnonzero(ell)
    s = np.abs(L0[:, pop][:, :, pop]).sum(axis=-2).max(axis=-1, initial=0.0)
    s = np.where(s > 0, s, np.abs(L0).sum(axis=-2).max(axis=-1))
    u = (ell / (ell @ ell))[None, :] * np.where(s > 0, s, 1.0)[:, None]
    return u, L0 + u[:, :, None] * ell[None, None, :]


def _log_det_ratio(M: np.ndarray) -> np.ndarray:
    """log |det M| − Σ log ‖M e_j‖₂ (≤ 0, Hadamard): −inf where M is exactly singular."""
    colnorm = np.sqrt(np.sum(M * M, axis=-2))
    colnorm = np.where(colnorm > 0, colnorm, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        sign, logdet = np.linalg.slogdet(M / colnorm[:, None, :])
    return np.where((sign != 0) & np.isfinite(logdet), logdet, -np.inf)


def trace_kernel_projector(
    L0: np.ndarray,
    tol_abs: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    ell: np.ndarray | None = None,
    refine: bool | None = None,
):
    """Kernel projector ``P0 = x ℓ`` of |q| = 0 blocks ``L0`` (P, n, n) with a trace kernel, exact zeros
    included: the one stationary/kernel projector of the steady state and of the propagator's deflation.

    ``ell`` (n,): the trace functional (ℓ·r = tr ρ; default :data:`TRACE_FUNCTIONAL`, the two-site block;
    N sites: ones on the populations). ``M = L0 + uℓ`` (ℓu = 1, the border on the scale of the population
    block, where ℓ ≠ 0) is invertible iff ker L0 is one-dimensional; then ``x = M⁻¹u`` is the stationary
    state (ℓx = 1, L0 x = 0) and ``P0 = xℓ``, the spectral projector onto ker L0 along range L0 (the trace
    functional spans the left kernel). Where M is ill-conditioned (column-scaled determinant below 1e-4),
    or everywhere with ``refine=True``, x is refined twice with a compensated residual of the unrounded
    bordered system (:func:`_bordered_residual`), so that the solver's rounding eps·cond(M) does not add
    to that of L0 itself (a slow mode of rate γ makes cond(M) ~ ‖L0‖/γ, up to 1e4 where the propagator
    still deflates, and the deflation passes an error of x straight into ρ).

    ``tol_abs`` (P,): kernel threshold. Points where M is near singular (column-scaled determinant below
    1e3·tol_abs/scale, which catches every σ_min below tol) are degenerate candidates and get the SVD
    projector of the row-equilibrated block (:func:`svd_kernel_projector`) and its kernel dimension; a
    candidate whose kernel is one-dimensional after all gets the refined bordered solve. ``scale`` (P,) is
    what ``tol_abs`` is relative to (default ‖L0‖₁). ``tol_abs=None``: the caller knows the kernel is
    one-dimensional (the propagator counts its slow eigenvalues): no screen, no SVD; dims is 1, or 0
    where M is exactly singular (P0 = 0 there).

    x is exactly zero where a population coordinate does not reach it (:func:`reachable`; this includes
    the structural zeros of :func:`structural_zeros`, e.g. ρ↓↓ at zero temperature), so P0 has the exact
    zeros of exp(L0 t) and stays of rank one.

    Returns ``(P0, dims, cand)``: projectors (P, n, n), kernel dimensions (P,), indices of the SVD
    (candidate) points.
    """
    L0 = np.asarray(L0, dtype=float)
    P, n, _ = L0.shape
    ell = TRACE_FUNCTIONAL if ell is None else np.asarray(ell, dtype=float)
    u, M = _border(L0, ell)
    known = tol_abs is None
    if known and refine is True:
        logr = np.zeros(P)  # not needed: every point is refined
    else:
        logr = _log_det_ratio(M)
    if known:
        cand = ~np.isfinite(logr)  # exactly singular M: no one-dimensional kernel after all
    else:
        if scale is None:
            scale = np.abs(L0).sum(axis=-2).max(axis=-1)
        tol_rel = tol_abs / np.maximum(scale, 1e-300)
        cand = logr < np.log(1e3 * np.maximum(tol_rel, 1e-15))
    ref = np.ones(P, dtype=bool) if refine is True else logr < np.log(1e-4)
    x = np.zeros((P, n))
    ok = ~cand
    if np.any(ok):
        try:
            x[ok] = _bordered_solve(L0[ok], M[ok], u[ok], ell, refine=ref[ok])
        except np.linalg.LinAlgError:  # an exactly singular M slipped through
            if known:
                ok = _solve_each(L0, M, u, ell, ref, ok, x)
                cand = ~ok
            else:  # use SVD everywhere
                cand = np.ones(P, dtype=bool)
    dims = np.ones(P, dtype=int)
    cand = np.flatnonzero(cand)
    one = cand[:0]
    if known:
        dims[cand] = 0
    elif cand.size:
        Pc, mask, _, _ = svd_kernel_projector(L0[cand], tol_abs[cand])
        dims[cand] = mask.sum(axis=1)
        one = cand[dims[cand] == 1]  # a one-dimensional kernel after all: the (refined) bordered solve
        if one.size:
            try:
                x[one] = _bordered_solve(L0[one], M[one], u[one], ell, refine=np.ones(one.size, dtype=bool))
            except np.linalg.LinAlgError:
                one = one[:0]
    # exact zeros: with a one-dimensional kernel P0[i, j] = x_i ℓ_j vanishes where j does not reach i, so
    # x_i = 0 wherever some population coordinate (ℓ_j ≠ 0) does not reach i (this includes every
    # structural zero, :func:`structural_zeros`). Zeroing x itself, not entries of xℓ, keeps P0 of rank
    # one with ℓP0 = ℓ: a pattern applied to xℓ with x off by 3e-14 (the plain solve on the reduced
    # two-site block, a = 1, |A| = 0.999, δ = 0.01) broke that and the deflated squaring of
    # magbell.backend._expm.expm turned it into 6e-12 in ρ at t = 100.
    R = reachable(L0)
    x = np.where(np.all(R[:, :, ell != 0], axis=-1), x, 0.0)
    P0 = x[:, :, None] * ell[None, None, :]
    if cand.size and not known:
        svd = ~np.isin(cand, one)
        P0[cand[svd]] = (Pc * R[cand])[svd]
    return P0, dims, cand


def _solve_each(L0, M, u, ell, ref, ok, x):
    """The bordered solve point by point (some M exactly singular); returns where it succeeded."""
    ok = ok.copy()
    for i in np.flatnonzero(ok):
        try:
            x[i] = _bordered_solve(L0[i : i + 1], M[i : i + 1], u[i : i + 1], ell, refine=ref[i : i + 1])[0]
        except np.linalg.LinAlgError:
            ok[i] = False
    return ok


def _bordered_solve(L0: np.ndarray, M: np.ndarray, u: np.ndarray, ell: np.ndarray, refine: np.ndarray) -> np.ndarray:
    """x = M⁻¹u (M = L0 + uℓ); where ``refine`` (ill-conditioned M: small column-scaled determinant)
    refined twice with a compensated residual of the unrounded bordered system, so that the solver's
    rounding (eps·cond(M)) does not add to that of L0 itself."""
    x = np.linalg.solve(M, u[..., None])[..., 0]
    r = np.flatnonzero(refine)
    for _ in range(2 if r.size else 0):
        x[r] = x[r] + np.linalg.solve(M[r], _bordered_residual(L0[r], x[r], u[r], ell)[..., None])[..., 0]
    return x


def dark_subspace(J: np.ndarray, H: np.ndarray, tol: float, normalise: bool = True, svd=None) -> np.ndarray:
    """Orthonormal basis (columns, (n, k)) of the dark kets: the largest subspace of the common kernel of the
    jump rows ``J`` (m, n) that ``H`` (n, n) maps into itself (Kraus, Büchler, Diehl, Kantian, Micheli &
    Zoller, PRA 78, 042307 (2008): a pure stationary state of a Lindbladian is such a ket).

    ``normalise``: divide every non-zero row by its 2-norm first, so that the kernel is that of every row
    whatever its rate (dephasing 1e12 next to relaxation 1e-12 must not make the relaxation count as zero);
    rows below ``tol`` singular values count as zero. H-invariance is decided relative to max |H|. The one
    implementation of the two-site dark states (:mod:`magbell.solvers._steady`) and of the N-site sector ones
    (:mod:`magbell.solvers._system_sectors`, ``Point.dark``). ``svd``: the SVD to use, with
    ``numpy.linalg.svd``'s signature (default it; the solvers pass their backend's ``svd``).
    """
    svd = np.linalg.svd if svd is None else svd
    n = H.shape[-1]
    if normalise:
        rn = np.linalg.norm(J, axis=1)
        J = J[rn > 0] / rn[rn > 0, None]
    if J.shape[0]:
        # the left basis is not needed: with more rows than columns the thin SVD already has all of Vh
        _, s, Vh = svd(J, full_matrices=J.shape[0] < J.shape[1])
        K = Vh[np.sum(s > tol) :].conj().T
    else:
        K = np.eye(n, dtype=complex)
    sH = np.abs(H).max(initial=0.0)
    for _ in range(n):  # shrink K to its largest H-invariant subspace
        if K.shape[1] == 0 or sH == 0:
            break
        HK = H @ K
        _, s2, Vh2 = svd(HK - K @ (K.conj().T @ HK))
        keep = Vh2[np.sum(s2 > tol * sH) :].conj().T
        if keep.shape[1] == K.shape[1]:
            break
        K = K @ keep
    return K
