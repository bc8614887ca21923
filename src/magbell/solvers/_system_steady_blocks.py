"""Steady states of N > 8 sites at zero temperature, in excitation blocks (never a 2ᴺ object).

At zero temperature (h_minus = 0) the σ⁺ jumps only lower the excitation number, so a state with at most k
excitations reaches only the blocks X_{n,m}, n, m ≤ k (:mod:`magbell.solvers._system_sectors`), and the
kernel projector of the generator restricted to them gives the exact limit (an invariant subspace). The
sector operators are those of every N-site solver (:class:`magbell.solvers._system_sectors.Point`, from
:mod:`magbell.liouvillian._excitation`, with ``dense=False``); the rest is the machinery of
:mod:`magbell.solvers._system_steady` on those blocks. ``n_stationary`` and
``unique`` then count the stationary operators within the sectors 0 … k (``info["kernel_scope"]``): higher
sectors, which the state never reaches, are not examined. ``rho`` is None; ``site_populations`` and
``purity`` come from the blocks.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError
from ._system_sectors import Point, check_point, point_index, where

__all__ = ["steady_state_blocks"]

#: measures computed from the blocks
BLOCK_MEASURES = ("site_populations", "purity")


def _inits(initial, N):
    """Initial state(s) → (list of {(n, m): X}, list of {n: ψ_n} (None for a mixed state), several)."""
    from ._nsite_evolve import initial_blocks, ket_blocks

    several = isinstance(initial, (list, tuple)) and not all(
        isinstance(x, (int, float, complex, np.number)) and not isinstance(x, (bool, np.bool_)) for x in initial)
    states = list(initial) if several else [initial]
    out, kets = [], []
    for st in states:
        kind, data = initial_blocks(st, N)
        out.append(ket_blocks(data) if kind == "ket" else dict(data))
        kets.append(data if kind == "ket" else None)
    return out, kets, several


def _reached_matrix(out: dict, N: int, kmax: int) -> np.ndarray:
    """The state on the sectors 0 … kmax as one dense Hermitian matrix (sector-ordered basis)."""
    from math import comb

    off = np.concatenate([[0], np.cumsum([comb(N, n) for n in range(kmax + 1)])]).astype(int)
    R = np.zeros((off[-1], off[-1]), dtype=complex)
    for (n, m), X in out.items():
        R[off[n]:off[n + 1], off[m]:off[m + 1]] = X
        if n != m:
            R[off[m]:off[m + 1], off[n]:off[n + 1]] = X.conj().T
    return (R + R.conj().T) / 2


def _pops_purity(out: dict, N: int):
    from ..liouvillian._excitation import configurations

    pops = np.zeros(N)
    pur = 0.0
    for (n, m), X in out.items():
        pur += (1.0 if n == m else 2.0) * float(np.sum(np.abs(X) ** 2))
        if n == m and n:
            conf = configurations(N, n)
            np.add.at(pops, conf.ravel(), np.repeat(np.real(np.diagonal(X)), n))
    return pops, pur


def _one_excitation_limit(pt: Point, kets: list, tol_abs: float):
    """Zero temperature, no σᶻ jumps, pure states with ≤ 1 excitation: ρ(t) = |ψ(t)><ψ(t)| + (1 − ‖ψ(t)‖²)|0><0|
    exactly (the only jump leads to |0>), ψ(t) = e^{−iH_eff t}ψ₀. The dark kets are left and right eigenvectors
    of H_eff (Kψ = 0), so the limit keeps the orthogonal projection of ψ₀ on them, which rotates at their
    energies (Δ̄ added in sector 1): the t→∞ (time-averaged) state is Σ_g Π_g ψψ† Π_g over equal-energy groups
    plus the decayed weight in |0>. Returns block dicts and converges (S,)."""
    Kd, E = pt.dark(1)  # the one-excitation dark kets (configuration order), E ascending (eigh), without Δ̄
    E0 = float(np.real(pt.heff(0)[0, 0]))
    groups = []  # indices into (|0>, dark kets...): dark kets of equal E (differences formed without Δ̄)
    for j in range(E.size):
        if groups and E[j] - E[groups[-1][-1] - 1] <= tol_abs:
            groups[-1].append(j + 1)
        else:
            groups.append([j + 1])
    # |0> rotates against sector 1 at E − E0 + Δ̄ (formed in that order: Δ̄ = 1e10 must not swamp E − E0)
    join = [g for g in groups if abs((E[g[0] - 1] - E0) + pt.dbar) <= tol_abs]
    if join:
        join[0].insert(0, 0)
    else:
        groups.insert(0, [0])
    outs, conv = [], []
    for data in kets:
        c0 = complex(data[0][0]) if 0 in data else 0.0
        psi1 = data.get(1, np.zeros(pt.N, dtype=complex))
        amp = np.concatenate([[c0], Kd.conj().T @ psi1])  # components on |0> and the dark kets
        basis = np.zeros((1 + pt.N, amp.size), dtype=complex)  # column j: the j-th state in (|0>, sector 1)
        basis[0, 0] = 1.0
        basis[1:, 1:] = Kd
        R = np.zeros((1 + pt.N, 1 + pt.N), dtype=complex)
        weights = []
        for g in groups:
            v = basis[:, g] @ amp[g]
            R += np.outer(v, v.conj())
            weights.append(float(np.sum(np.abs(amp[g]) ** 2)))
        R[0, 0] += max(1.0 - float(np.sum(np.abs(amp) ** 2)), 0.0)
        conv.append(sum(w > 1e-18 for w in weights) <= 1)
        outs.append({(0, 0): R[:1, :1], (1, 1): R[1:, 1:], (1, 0): R[1:, :1]})
    return outs, np.array(conv)


def steady_state_blocks(system, initial, measures, tol, what="steady_state", bk=None):
    """Dict of the result fields for ``system`` (N > 8) from ``initial`` (u/d strings, dicts, W, dicke:k,
    singlet:i,j), zero temperature only; the one-line refusals of the module docstring. ``bk``: the backend
    of the blocks' kernels (:class:`magbell.solvers._system_sectors.Point`; default NumPy); the check that the
    result is a state (trace, smallest eigenvalue) stays NumPy."""
    from ._system_steady import _not_states_raise, _solve_blocks

    N = system.N
    if initial is None:
        raise InvalidParameterError(
            f"{what}: N = {N} > 8 sites: pass initial=... (only the excitation sectors it reaches are factorised)")
    if np.any(np.asarray(system.h_minus) != 0):
        raise InvalidParameterError(
            f"{what}: N = {N} > 8 sites needs zero temperature (h_minus = 0): at finite temperature every "
            "excitation sector is reached (N ≤ 6 there)")
    names = BLOCK_MEASURES if measures is None or (isinstance(measures, tuple) and "concurrence" in measures) \
        else ((measures,) if isinstance(measures, str) else tuple(measures))
    bad = [m for m in names if m not in BLOCK_MEASURES]
    if bad:
        raise InvalidParameterError(f"{what}: for N = {N} > 8 sites the measures are {', '.join(BLOCK_MEASURES)}; "
                                    f"got {bad}")
    inits, kets, several = _inits(initial, N)
    kmax = max(max(n for n, m in init) for init in inits)
    P, S = system.size, len(inits)
    pops = np.zeros((P, S, N))
    pur = np.zeros((P, S))
    n_stat = np.zeros(P, dtype=int)
    conv = np.ones((P, S), dtype=bool)
    tr0 = np.array([sum(np.real(np.trace(X)) for (n, m), X in init.items() if n == m) for init in inits])
    for p in range(P):
        pt = Point(system, point_index(system, p), kmax, dense=False, bk=bk)
        w = where(system, p)
        check_point(pt, what, w)
        if kmax <= 1 and all(k is not None for k in kets) and not np.any(pt.g["h_z"]):
            from ._system_steady import kernel_dims

            dims, _, _ = kernel_dims(pt, float(tol) * pt.s_D, what, w)
            outs, c = _one_excitation_limit(pt, kets, float(tol) * pt.s_D)
            n_stat[p], conv[p] = dims[0] + 2 * sum(v for q, v in dims.items() if q), c
            for s, o in enumerate(outs):
                pops[p, s], pur[p, s] = _pops_purity(o, N)
            continue
        t = float(tol)
        for _ in range(4):
            outs, k, c = _solve_blocks(pt, inits, t, what, w)
            mats = [_reached_matrix(o, N, kmax) for o in outs]
            tr = np.array([np.real(np.trace(M)) for M in mats])
            lam = np.array([np.linalg.eigvalsh(M)[0] for M in mats])
            if not np.any((np.abs(tr - tr0) > 1e-8) | (lam < -1e-8)):
                break
            t *= 1e-3
        else:
            _not_states_raise(what, w)
        n_stat[p], conv[p] = k, c
        for s, o in enumerate(outs):
            pops[p, s], pur[p, s] = _pops_purity(o, N)
    shape = system.shape

    def _shape(a):
        a = a.reshape(shape + a.shape[1:])
        return a if several else a.reshape(shape + a.shape[len(shape) + 1:])

    vals = {"site_populations": _shape(pops), "purity": _shape(pur)}
    return dict(rho=None, site_populations=_shape(pops), unique=(n_stat == 1).reshape(shape),
                n_stationary=n_stat.reshape(shape), converges=_shape(conv), measures={m: vals[m] for m in names},
                system=system, initial=None,
                info={"method": "projection onto ker L along range L on the excitation blocks the state reaches "
                                "(zero temperature, sectors from magbell.liouvillian._excitation)", "tol": tol,
                      "kernel_scope": f"excitation sectors 0…{kmax} (those the initial state reaches)"})
