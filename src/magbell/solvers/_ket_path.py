"""The pure one-excitation fast path of :func:`magbell.postselect` (issue 10 §6).

When is the conditional state a ket in the 2×2 block {|↑↓>, |↓↑>}? Zou, Zhang & Tserkovnyak, PRB 106, L180406
(2022), Eq. (13): with no jump of any kind (``scheme="no-jump"``) the unnormalised conditional state is
``e^{−iH_eff t} ρ0 e^{iH_eff† t}``, so a pure ρ0 = |ψ0><ψ0| stays pure, ψ(t) = e^{−iH_eff t} ψ0. H_eff conserves
σ1z + σ2z (Eq. 12), so ψ0 = c1|↑↓> + c2|↓↑> stays in that block: ψ(t) = e^{G t} (c1, c2), G = −iH_eff restricted
to the block (2×2 complex, built without the mean splitting Δ, which multiplies only |↑↑>, |↓↓> and so never
enters this block). ``scheme="subspace"`` keeps the dephasing jumps; inside the block σ2z = −σ1z, so their
jump term is (d1 + d2 − 2 Re 𝔇) σ1z ρ σ1z (Eqs. 3–5 with the dephasing Kossakowski block), which vanishes
exactly iff d1 + d2 − 2 Re 𝔇 = 0; then the scheme is the no-jump evolution of Π0 ψ0 at every temperature
(jumps out of the block are forbidden; nothing is outside to jump in). The caller
(:func:`magbell.solvers._postselect.postselect`) decides this and calls :func:`ket_path_applies` for the rest.

Numerics: on a uniform grid t_k = t0 + k·dt with ‖G‖₁·t_max ≤ MAX_STEP_NORM (nothing can under- or overflow,
as in :func:`magbell.backend._scaled._march_anchors`, whose √T-anchor scheme this is): U = exp(G dt) from the
backend's one Padé ``expm`` (exact at the exceptional point, no eigendecomposition), J = 2^b ≈ √T small
steps Y_j = U^j ψ(t0) and B big steps Q_i = (U^J)^i, ψ(t0 + (iJ + j)dt) = Q_i Y_j. The products and every
measure are formed per cache-sized block of points (one real matmul for the real and imaginary parts of both
amplitudes, then |c1|², |c2|², P = |c1|² + |c2|², log P, C = 2|c1||c2|/P, populations |c_i|²/P, Bell fidelity
|<b|ψ>|²/P), so each output is written once and no (points × times) temporary leaves the cache. The rounding
floor (:func:`magbell.solvers._march.check_floor`, power 2 for kets) is applied by the caller as on the general path.
"""

from __future__ import annotations

import numpy as np

from ..backend._scaled import MAX_STEP_NORM, anchor_split

#: measures the fast path forms directly from the two amplitudes
KET_MEASURES = frozenset(("concurrence", "populations", "bell_fidelity", "bell_fidelity_max", "purity"))
#: bytes of scratch per block of points (the products and |c|² stay in L2)
_BLOCK_BYTES = 3 * 2**19


def ket_path_applies(G12: np.ndarray, W: np.ndarray, steps: np.ndarray, which: np.ndarray, measures,
                     store_states: bool) -> bool:
    """True when :func:`ket_path` gives the general engine's result: pure initial kets (W (S, 4, 1)) with no
    weight on |↑↑>, |↓↓> and some weight in the block, a uniform grid of at least 3 times on which the
    block's ‖G‖₁·t_max ≤ MAX_STEP_NORM (the general engine's own anchor condition), measures it forms."""
    T = len(which)
    if store_states or W.shape[-1] != 1 or not set(measures) <= KET_MEASURES:
        return False
    if np.any(W[:, [0, 3], :] != 0) or not np.all(np.any(W[:, 1:3, :] != 0, axis=(1, 2))):
        return False
    if not (T >= 3 and len(steps) == 2 and which[0] == 0 and np.all(which[1:] == 1)):
        return False
    gnorm = float(np.abs(G12).sum(axis=-2).max()) if G12.size else 0.0
    return bool(gnorm * (steps[0] + (T - 1) * steps[1]) <= MAX_STEP_NORM)


def _mul(A, B):
    """Product of two stacks of 2×2 matrices given entry by entry (lists of (p,) arrays)."""
    return [[A[i][0] * B[0][j] + A[i][1] * B[1][j] for j in range(2)] for i in range(2)]


def ket_path(G12: np.ndarray, psi0: np.ndarray, t0: float, dt: float, T: int, measures, bell: np.ndarray, bk,
             out: dict, floor=None) -> None:
    """Fill ``out`` (preallocated (p, S, T) float arrays ``"P"``, ``"logP"``, ``"m:<name>"``; populations
    (p, S, T, 4), zero-initialised) for generators G12 (p, 2, 2) = −iH_eff on {|↑↓>, |↓↑>} (Δ excluded),
    kets ``psi0`` (S, 2) and the uniform times t0 + k·dt, k < T. ``bell`` (p, 4): the Bell state of
    ``bell_fidelity``. ``floor`` (optional): ``(low, first)``: an array (p, S) to receive min log P over the
    times from index ``first`` on (1 where t = 0 is reported: log P(0) is set exactly afterwards), a lower bound
    of the screen min_t(log P + g·t) of :func:`magbell.solvers._march.check_floor` (``low=``): one pass instead of
    three, and the same refusals (the screen only selects the rows that get the exact per-time check)."""
    p = G12.shape[0]
    S = psi0.shape[0]
    b, J, B = anchor_split(T)
    U = bk.expm(G12 * dt)
    u = [[np.ascontiguousarray(U[:, i, j]) for j in range(2)] for i in range(2)]
    x = np.broadcast_to(psi0.astype(complex)[None], (p, S, 2))
    if t0 > 0:
        x = np.matmul(bk.expm(G12 * t0)[:, None], x[..., None])[..., 0]
    # small steps Y_j = U^j x, built component-major (4, J, p·S) with contiguous writes, real embedding rows
    # (Re c1, Re c2, Im c1, Im c2)
    Yc = np.empty((4, J, S, p))
    c1, c2 = np.ascontiguousarray(x[..., 0].T), np.ascontiguousarray(x[..., 1].T)  # (S, p)
    for j in range(J):
        if j:
            c1, c2 = u[0][0] * c1 + u[0][1] * c2, u[1][0] * c1 + u[1][1] * c2
        Yc[0, j], Yc[1, j], Yc[2, j], Yc[3, j] = c1.real, c2.real, c1.imag, c2.imag
    # big steps Q_i = (U^J)^i; rows of the real product: Re c1, Re c2, Im c1, Im c2 (+ Re, Im of <b|ψ>)
    M = u
    for _ in range(b):
        M = _mul(M, M)
    want_f = "bell_fidelity" in measures
    nrow = 6 if want_f else 4
    Qc = np.empty((nrow, B, 4, p))
    one, zero = np.ones(p, dtype=complex), np.zeros(p, dtype=complex)
    R = [[one, zero], [zero, one]]
    bc = np.conj(bell[:, 1:3]) if want_f else None
    for i in range(B):
        rows = [R[0], R[1]]
        if want_f:  # <b|ψ> = Σ_a conj(b_a) c_a: the row vector conj(b)ᵀ R_i
            rows.append([bc[:, 0] * R[0][m] + bc[:, 1] * R[1][m] for m in range(2)])
        for a, r in enumerate(rows):
            # Re c = Σ_m Re r_m Re y_m − Im r_m Im y_m;  Im c = Σ_m Im r_m Re y_m + Re r_m Im y_m
            ra, ia = (4, 5) if a == 2 else (a, 2 + a)
            Qc[ra, i, 0], Qc[ra, i, 1], Qc[ra, i, 2], Qc[ra, i, 3] = r[0].real, r[1].real, -r[0].imag, -r[1].imag
            Qc[ia, i, 0], Qc[ia, i, 1], Qc[ia, i, 2], Qc[ia, i, 3] = r[0].imag, r[1].imag, r[0].real, r[1].real
        if i + 1 < B:
            R = _mul(M, R)
    _fill(Qc, Yc, nrow, B, J, T, measures, out, floor)


def _fill(Qc, Yc, nrow, B, J, T, measures, out, floor=None) -> None:
    """The blocked products and measures of :func:`ket_path`: per block of points the point-major copies of
    Qc (nrow, B, 4, p) and Yc (4, J, S, p), one real matmul into a scratch buffer, squared in place, then
    |c1|², |c2|² and every output written once."""
    S, p = Yc.shape[2:]
    BJ = B * J
    pb = int(max(1, min(p, _BLOCK_BYTES // ((nrow * BJ + 2 * T) * 8))))
    buf = np.empty((pb, nrow * B, J))
    n1b, n2b = np.empty((pb, T)), np.empty((pb, T))
    Pout, Lout = out["P"], out["logP"]
    Cout, Fmax = out.get("m:concurrence"), out.get("m:bell_fidelity_max")
    pops, Fout, purity = out.get("m:populations"), out.get("m:bell_fidelity"), out.get("m:purity")
    low, first = (None, 0) if floor is None else floor
    if purity is not None:
        purity[...] = 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for s in range(S):
            for lo in range(0, p, pb):
                hi = min(p, lo + pb)
                k = hi - lo
                q = np.ascontiguousarray(Qc[..., lo:hi].transpose(3, 0, 1, 2)).reshape(k, nrow * B, 4)
                y = np.ascontiguousarray(Yc[:, :, s, lo:hi].transpose(2, 0, 1))
                R = np.matmul(q, y, out=buf[:k]).reshape(k, nrow, BJ)
                np.square(R, out=R)  # rows (Re c1)², (Re c2)², (Im c1)², (Im c2)² [, (Re <b|ψ>)², (Im <b|ψ>)²]
                n1 = np.add(R[:, 0, :T], R[:, 2, :T], out=n1b[:k])
                n2 = np.add(R[:, 1, :T], R[:, 3, :T], out=n2b[:k])
                norm = np.add(n1, n2, out=Pout[lo:hi, s])
                lg = np.log(norm, out=Lout[lo:hi, s])
                if low is not None:  # a lower bound of check_floor's screen min_t(log P + g·t), g·t >= 0
                    np.min(lg[:, first:], axis=-1, out=low[lo:hi, s])
                if pops is not None:
                    np.divide(n1, norm, out=pops[lo:hi, s, :, 1])
                    np.divide(n2, norm, out=pops[lo:hi, s, :, 2])
                if Fout is not None:
                    f = np.add(R[:, 4, :T], R[:, 5, :T], out=Fout[lo:hi, s])
                    np.divide(f, norm, out=f)
                if Cout is not None or Fmax is not None:
                    n1 *= n2
                    np.sqrt(n1, out=n1)
                    c = np.divide(n1, norm, out=Cout[lo:hi, s] if Cout is not None else n1)
                    c += c  # C = 2|c1||c2|/P
                    if Fmax is not None:  # (|c1|² + |c2|²)/2P + |c1 c2|/P = (1 + C)/2 for a ket in the block
                        np.multiply(c, 0.5, out=Fmax[lo:hi, s])
                        Fmax[lo:hi, s] += 0.5
