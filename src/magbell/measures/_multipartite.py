"""Multipartite measures of N-qubit density matrices, batched over leading axes (issue 11 §3).

Conventions (docs/nqubits.md, as :class:`magbell.System`): tensor-product basis with site 1 the leftmost
factor, |u⟩ = (1, 0) = |↑⟩ (the ground state for Δ > 0), |d⟩ = (0, 1) = |↓⟩ (the excitation); a basis index
is the u/d string read as a binary number with d = 1. Sites are named 1-based, as in the state names
(``"singlet:1,3"``). Every function takes ``rho`` of shape ``(..., 2ᴺ, 2ᴺ)`` (``N`` is inferred from the
shape; when it is passed it must agree) and returns arrays over the same leading axes.

========================== ====================================================================================
site_populations           P(site i ↓) = tr(ρ |d⟩⟨d|_i), shape (..., N)
purity                     tr ρ² (= Σ|ρ_ab|² for Hermitian ρ), shape (...)
reduced_state              partial trace onto the given sites (in the order given), (..., 2ᵏ, 2ᵏ)
pair_reduced_states        all two-site reduced states, (..., N, N, 4, 4); [i, j] has site i as the left
                           factor, [j, i] is its swap, the diagonal [i, i] is zero (not a state)
pair_concurrence           Wootters concurrence of every pair's reduced state, (..., N, N), symmetric, 0 on
                           the diagonal; also from precomputed pair states (``reduced=True``)
negativity                 N_A = (‖ρ^{T_A}‖₁ − 1)/2 for the bipartition A | rest (partial transpose on A)
log_negativity             log₂ ‖ρ^{T_A}‖₁ = log₂(2 N_A + 1)
dicke_fidelity             ⟨D_N^k|ρ|D_N^k⟩, |D_N^k⟩ = C(N, k)^{-1/2} Σ_{|S| = k} |sites S down⟩
w_fidelity                 dicke_fidelity with k = 1 (|W⟩ = N^{-1/2} Σ_i |site i down⟩)
gme_fidelity_bound         α(N, k) = max over biseparable σ of ⟨D_N^k|σ|D_N^k⟩ (the witness threshold)
gme_witness                ⟨𝒲⟩ = α(N, k) − ⟨D_N^k|ρ|D_N^k⟩; ⟨𝒲⟩ < 0 certifies genuine N-partite entanglement
========================== ====================================================================================

The GME witness is the projector witness 𝒲 = α·1 − |ψ⟩⟨ψ| of Bourennane et al., PRL 92, 087902 (2004)
(see also Gühne & Tóth, Phys. Rep. 474, 1 (2009), §6.2): for a pure target |ψ⟩, α is the largest squared
Schmidt coefficient of |ψ⟩ over all bipartitions, and tr(𝒲σ) ≥ 0 for every biseparable (mixed) σ by
convexity. For a Dicke state the Schmidt decomposition across a cut of m sites is
|D_N^k⟩ = Σ_j [C(m, j) C(N−m, k−j)/C(N, k)]^{1/2} |D_m^j⟩|D_{N−m}^{k−j}⟩, so
α(N, k) = max_{1≤m≤N−1, j} C(m, j) C(N−m, k−j)/C(N, k): α = (N−1)/N for W (k = 1; Bourennane et al.) and
N/(2(N−1)) for k = N/2 (Tóth, JOSA B 24, 275 (2007)). tests/test_multipartite.py checks α against the SVD
of the actual Dicke ket over every bipartition for N ≤ 7.

:data:`MULTIPARTITE_MEASURES` maps names to functions ``f(rho, N)`` (for ``evolve(..., measures=...)``);
:func:`multipartite_measure` also resolves parametrised names (``"negativity:1,2"``, ``"dicke_fidelity:2"``,
``"gme_dicke_witness:2"``). ``magbell.measures`` exports these functions by name, with ``negativity`` and
``log_negativity`` as ``bipartite_negativity`` and ``bipartite_log_negativity`` (the plain names are the
two-qubit measures there); docs/nqubits.md §3.
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np

from ..errors import InvalidParameterError, InvalidStateError
from ._two_qubit import concurrence

__all__ = [
    "site_populations",
    "purity",
    "reduced_state",
    "pair_reduced_states",
    "pair_concurrence",
    "negativity",
    "log_negativity",
    "dicke_fidelity",
    "w_fidelity",
    "gme_fidelity_bound",
    "gme_witness",
    "MULTIPARTITE_MEASURES",
    "multipartite_measure",
]

#: largest N for the dense measures (a 2ᴺ × 2ᴺ complex matrix of N = 14 is 4 GB)
MAX_DENSE_SITES = 14


def _check_N(N) -> int:
    if isinstance(N, (bool, np.bool_)) or not isinstance(N, (int, np.integer)):
        raise InvalidParameterError(f"N (the number of sites) must be an integer, got {N!r}")
    if not 1 <= int(N) <= MAX_DENSE_SITES:
        raise InvalidParameterError(f"N (the number of sites) must satisfy 1 <= N <= {MAX_DENSE_SITES}, got {N}")
    return int(N)


def _check(rho, N=None) -> tuple[np.ndarray, int]:
    """``rho`` as an array (..., 2ᴺ, 2ᴺ) of numbers, finite, and its N (one-line errors otherwise)."""
    if isinstance(rho, (str, bytes, dict)):
        raise InvalidStateError(f"rho must be an array of shape (..., 2^N, 2^N), got {type(rho).__name__}")
    try:
        rho = np.asarray(rho)
    except (TypeError, ValueError):
        raise InvalidStateError("rho must be an array of shape (..., 2^N, 2^N)") from None
    if rho.dtype.kind not in "iufc":
        raise InvalidStateError(f"rho must be an array of numbers, got dtype {rho.dtype}")
    if rho.ndim < 2 or rho.shape[-1] != rho.shape[-2]:
        raise InvalidStateError(f"rho must have shape (..., 2^N, 2^N), but has shape {rho.shape}")
    n = rho.shape[-1]
    Ns = n.bit_length() - 1
    if n < 2 or (1 << Ns) != n:
        raise InvalidStateError(f"rho's matrix size must be 2^N for N >= 1 sites, but it is {n} (shape {rho.shape})")
    if N is not None:
        N = _check_N(N)
        if N != Ns:
            raise InvalidStateError(f"rho has shape {rho.shape} (N = {Ns} sites), but N = {N} was given")
    Ns = _check_N(Ns)
    if not np.all(np.isfinite(rho)):
        raise InvalidStateError("rho contains NaN or inf")
    top = float(np.max(np.abs(rho))) if rho.size else 0.0
    if top > 1 + 1e-6:  # |ρ_ab| ≤ √(ρ_aa ρ_bb) ≤ 1 for any density matrix (also for sub-normalised ones)
        raise InvalidStateError(f"rho is not a density matrix: an entry has magnitude {top:.6g} > 1")
    return rho, Ns


def _sites(sites, N: int, name: str = "sites") -> tuple:
    """1-based site numbers → distinct 0-based ints (one-line error naming ``name``)."""
    if isinstance(sites, (int, np.integer)) and not isinstance(sites, (bool, np.bool_)):
        sites = (sites,)
    if isinstance(sites, (str, bytes)) or not hasattr(sites, "__iter__"):
        raise InvalidParameterError(f"{name} must be a tuple of site numbers 1..{N}, got {sites!r}")
    out = []
    for s in sites:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, (int, np.integer)):
            raise InvalidParameterError(f"{name} must be a tuple of integer site numbers 1..{N}, got {sites!r}")
        if not 1 <= int(s) <= N:
            raise InvalidParameterError(f"{name} must be site numbers in 1..{N} (1-based), got {tuple(sites)!r}")
        out.append(int(s) - 1)
    if len(set(out)) != len(out):
        raise InvalidParameterError(f"{name} must be distinct site numbers, got {tuple(sites)!r}")
    if not out:
        raise InvalidParameterError(f"{name} must name at least one site, got {tuple(sites)!r}")
    return tuple(out)


def _tensor(rho: np.ndarray, N: int) -> np.ndarray:
    return rho.reshape(rho.shape[:-2] + (2,) * (2 * N))


# ----------------------------------------------------------------------------- populations, purity
def site_populations(rho, N=None) -> np.ndarray:
    """P(site i ↓) = tr(ρ |d⟩⟨d|_i) for i = 1…N, shape ``(..., N)`` (real part of the diagonal)."""
    rho, N = _check(rho, N)
    p = np.real(np.diagonal(rho, axis1=-2, axis2=-1)).reshape(rho.shape[:-2] + (2,) * N)
    nb = len(rho.shape) - 2
    out = []
    for i in range(N):
        others = tuple(nb + k for k in range(N) if k != i)
        out.append(np.sum(p, axis=others)[..., 1])
    return np.stack(out, axis=-1)


def purity(rho, N=None) -> np.ndarray:
    """tr ρ² = Σ_ab |ρ_ab|² (ρ Hermitian), shape ``(...)``."""
    rho, N = _check(rho, N)
    return np.sum(np.abs(rho) ** 2, axis=(-2, -1))


# ----------------------------------------------------------------------------- partial traces
def _reduce(rho: np.ndarray, keep: tuple, N: int) -> np.ndarray:
    """Partial trace of a checked ``rho`` onto the 0-based sites ``keep`` (in that order)."""
    t = _tensor(rho, N)
    ket = list(range(N))
    bra = list(range(N, 2 * N))
    for k in range(N):
        if k not in keep:
            bra[k] = ket[k]  # traced: the same index on ket and bra
    out = [ket[k] for k in keep] + [bra[k] for k in keep]
    r = np.einsum(t, [Ellipsis] + ket + bra, [Ellipsis] + out)
    d = 1 << len(keep)
    return r.reshape(rho.shape[:-2] + (d, d))


def reduced_state(rho, sites, N=None) -> np.ndarray:
    """ρ_S = tr_{rest} ρ on the sites ``sites`` (1-based, in the order given: ``(3, 1)`` puts site 3 left).

    >>> import numpy as np
    >>> psi = np.zeros(8); psi[0b010] = 1.0                 # "udu": site 2 down
    >>> reduced_state(np.outer(psi, psi), (2,)).real
    array([[0., 0.],
           [0., 1.]])
    """
    rho, N = _check(rho, N)
    return _reduce(rho, _sites(sites, N), N)


def pair_reduced_states(rho, N=None) -> np.ndarray:
    """Every two-site reduced state, ``(..., N, N, 4, 4)``: ``[i, j]`` = ρ_{ij} with site i the left factor
    (basis uu, ud, du, dd as the two-qubit measures), ``[j, i]`` its swap; the diagonal ``[i, i]`` is zero."""
    rho, N = _check(rho, N)
    out = np.zeros(rho.shape[:-2] + (N, N, 4, 4), dtype=np.result_type(rho.dtype, complex))
    for i in range(N):
        for j in range(i + 1, N):
            r = _reduce(rho, (i, j), N)
            out[..., i, j, :, :] = r
            out[..., j, i, :, :] = r.reshape(r.shape[:-2] + (2, 2, 2, 2)).transpose(
                tuple(range(r.ndim - 2)) + tuple(r.ndim - 2 + np.array([1, 0, 3, 2]))
            ).reshape(r.shape)
    return out


def pair_concurrence(rho, N=None, *, reduced: bool = False) -> np.ndarray:
    """Wootters concurrence of every pair's reduced state, ``(..., N, N)``: symmetric, zero diagonal.

    ``rho`` is a dense state (..., 2ᴺ, 2ᴺ), or with ``reduced=True`` precomputed pair states
    (..., N, N, 4, 4) as :func:`pair_reduced_states` returns (only ``[i, j]`` with i < j is read). Each
    concurrence is :func:`magbell.measures.concurrence` (Wootters 1998, the SVD form; S52 for X states).
    """
    if reduced:
        r = np.asarray(rho)
        if r.dtype.kind not in "iufc":
            raise InvalidStateError(f"pair states must be an array of numbers, got dtype {r.dtype}")
        if r.ndim < 4 or r.shape[-2:] != (4, 4) or r.shape[-4] != r.shape[-3]:
            raise InvalidStateError(f"pair states must have shape (..., N, N, 4, 4), but have shape {r.shape}")
        n = r.shape[-3]
        if N is not None and _check_N(N) != n:
            raise InvalidStateError(f"pair states have shape {r.shape} (N = {n} sites), but N = {N} was given")
        N = n
    else:
        rho, N = _check(rho, N)
        r = None
    batch = (rho.shape[:-2] if r is None else r.shape[:-4])
    out = np.zeros(batch + (N, N))
    for i in range(N):
        for j in range(i + 1, N):
            pair = r[..., i, j, :, :] if r is not None else _reduce(rho, (i, j), N)
            c = concurrence(pair)
            out[..., i, j] = c
            out[..., j, i] = c
    return out


# ----------------------------------------------------------------------------- negativity
def _partial_transpose(rho: np.ndarray, part: tuple, N: int) -> np.ndarray:
    t = _tensor(rho, N)
    nb = rho.ndim - 2
    axes = list(range(t.ndim))
    for k in part:
        axes[nb + k], axes[nb + N + k] = axes[nb + N + k], axes[nb + k]
    return t.transpose(axes).reshape(rho.shape)


def _bipartition(subsystem, N: int) -> tuple:
    part = _sites(subsystem, N, "subsystem")
    if len(part) == N:
        raise InvalidParameterError(
            f"subsystem must leave at least one site on the other side of the bipartition, got all N = {N} sites"
        )
    return part


def negativity(rho, subsystem, N=None) -> np.ndarray:
    """Negativity N_A = (‖ρ^{T_A}‖₁ − 1)/2 = Σ|negative eigenvalues of ρ^{T_A}| for the bipartition
    ``subsystem`` | rest (1-based sites; Vidal & Werner, PRA 65, 032314 (2002)). Shape ``(...)``."""
    rho, N = _check(rho, N)
    part = _bipartition(subsystem, N)
    pt = _partial_transpose(rho, part, N)
    pt = (pt + np.conj(np.swapaxes(pt, -1, -2))) / 2
    ev = np.linalg.eigvalsh(pt)
    return -np.sum(np.minimum(ev, 0.0), axis=-1)


def log_negativity(rho, subsystem, N=None) -> np.ndarray:
    """Logarithmic negativity log₂ ‖ρ^{T_A}‖₁ = log₂(2 N_A + 1) for ``subsystem`` | rest."""
    return np.log2(2 * negativity(rho, subsystem, N) + 1)


# ----------------------------------------------------------------------------- Dicke / W / GME
@lru_cache(maxsize=None)
def _dicke_indices(N: int, k: int) -> np.ndarray:
    idx = [a for a in range(1 << N) if bin(a).count("1") == k]
    return np.array(idx, dtype=np.intp)


def _check_k(k, N: int) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise InvalidParameterError(f"k (the number of excitations of the Dicke state) must be an integer, got {k!r}")
    if not 0 <= int(k) <= N:
        raise InvalidParameterError(f"k (the number of excitations of the Dicke state) must satisfy 0 <= k <= N = {N}, got {k}")
    return int(k)


def dicke_fidelity(rho, k, N=None) -> np.ndarray:
    """⟨D_N^k|ρ|D_N^k⟩ with |D_N^k⟩ = C(N, k)^{-1/2} Σ_{|S| = k} |sites S down, the rest up⟩ (the state
    ``"dicke:k"`` of :mod:`magbell.system.states`), shape ``(...)``: the sum of the C(N, k)² entries of ρ
    between configurations with k sites down, divided by C(N, k)."""
    rho, N = _check(rho, N)
    k = _check_k(k, N)
    idx = _dicke_indices(N, k)
    block = rho[..., idx[:, None], idx[None, :]]
    return np.real(np.sum(block, axis=(-2, -1))) / idx.size


def w_fidelity(rho, N=None) -> np.ndarray:
    """⟨W|ρ|W⟩, |W⟩ = N^{-1/2} Σ_i |site i down⟩ (= :func:`dicke_fidelity` with k = 1)."""
    return dicke_fidelity(rho, 1, N)


def gme_fidelity_bound(N, k: int = 1) -> float:
    """α(N, k) = max over biseparable states σ of ⟨D_N^k|σ|D_N^k⟩ = the largest squared Schmidt coefficient
    of |D_N^k⟩ over all bipartitions (Bourennane et al., PRL 92, 087902 (2004)):
    max_{1≤m≤N−1, j} C(m, j) C(N−m, k−j)/C(N, k). (N−1)/N for W; 1 for k = 0 or N (product states:
    nothing to certify); N = 1 has no bipartition (1).

    >>> gme_fidelity_bound(3), gme_fidelity_bound(4, 2)
    (0.6666666666666666, 0.6666666666666666)
    """
    if isinstance(N, (bool, np.bool_)) or not isinstance(N, (int, np.integer)) or int(N) < 1:
        raise InvalidParameterError(f"N (the number of sites) must be an integer >= 1, got {N!r}")
    N = int(N)
    k = _check_k(k, N)
    if N == 1:
        return 1.0
    total = comb(N, k)
    best = 0
    for m in range(1, N):
        for j in range(max(0, k - (N - m)), min(m, k) + 1):
            best = max(best, comb(m, j) * comb(N - m, k - j))
    return best / total


def gme_witness(rho, N=None, k: int = 1) -> np.ndarray:
    """⟨𝒲⟩ = α(N, k) − ⟨D_N^k|ρ|D_N^k⟩ (projector witness of Bourennane et al. 2004; k = 1: the W state,
    α = (N−1)/N). A negative value certifies genuine N-partite entanglement; ≥ 0 certifies nothing."""
    rho, N = _check(rho, N)
    return gme_fidelity_bound(N, k) - dicke_fidelity(rho, k, N)


# ----------------------------------------------------------------------------- registry
def _half(N: int) -> tuple:
    return tuple(range(1, max(1, N // 2) + 1))


def _half_negativity(rho, N=None):
    rho, N = _check(rho, N)
    if N < 2:
        raise InvalidParameterError("half_chain_negativity needs N >= 2 sites (a bipartition)")
    return negativity(rho, _half(N), N)


def _half_log_negativity(rho, N=None):
    return np.log2(2 * _half_negativity(rho, N) + 1)


def _gme_w(rho, N=None):
    return gme_witness(rho, N, 1)


#: name → f(rho, N) for ``evolve(..., measures=[...])``. ``half_chain_*``: sites 1..⌊N/2⌋ | the rest.
MULTIPARTITE_MEASURES = {
    "site_populations": site_populations,
    "purity": purity,
    "pair_concurrence": pair_concurrence,
    "w_fidelity": w_fidelity,
    "gme_w_witness": _gme_w,
    "half_chain_negativity": _half_negativity,
    "half_chain_log_negativity": _half_log_negativity,
}

_PARAMETRISED = {
    "negativity": "negativity:i,j,... (the sites of one side, 1-based)",
    "log_negativity": "log_negativity:i,j,...",
    "dicke_fidelity": "dicke_fidelity:k",
    "gme_dicke_witness": "gme_dicke_witness:k",
}


def multipartite_measure(name: str):
    """The function ``f(rho, N)`` for a measure name: a key of :data:`MULTIPARTITE_MEASURES` or a
    parametrised name ``"negativity:1,2"``, ``"log_negativity:1"``, ``"dicke_fidelity:2"``,
    ``"gme_dicke_witness:2"`` (one-line error for anything else).

    >>> import numpy as np
    >>> f = multipartite_measure("dicke_fidelity:1")
    >>> w = np.zeros(8); w[[1, 2, 4]] = 3 ** -0.5
    >>> round(float(f(np.outer(w, w))), 12)
    1.0
    """
    if not isinstance(name, str):
        raise InvalidParameterError(f"a measure name must be a string, got {name!r}")
    if name in MULTIPARTITE_MEASURES:
        return MULTIPARTITE_MEASURES[name]
    head, sep, arg = name.partition(":")
    if sep and head in _PARAMETRISED:
        try:
            nums = tuple(int(x) for x in arg.split(","))
        except ValueError:
            raise InvalidParameterError(f"measure {name!r}: expected {_PARAMETRISED[head]}") from None
        if head in ("negativity", "log_negativity"):
            fn = negativity if head == "negativity" else log_negativity
            return lambda rho, N=None: fn(rho, nums, N)
        if len(nums) != 1:
            raise InvalidParameterError(f"measure {name!r}: expected {_PARAMETRISED[head]}")
        k = nums[0]
        if head == "dicke_fidelity":
            return lambda rho, N=None: dicke_fidelity(rho, k, N)
        return lambda rho, N=None: gme_witness(rho, N, k)
    known = ", ".join(list(MULTIPARTITE_MEASURES) + list(_PARAMETRISED.values()))
    raise InvalidParameterError(f"unknown multipartite measure {name!r}; known: {known}")
