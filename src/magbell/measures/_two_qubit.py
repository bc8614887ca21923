"""Entanglement and state measures of two-qubit density matrices, batched over leading axes.

All functions take ``rho`` of shape ``(..., 4, 4)`` in the basis ``|↑↑>, |↑↓>, |↓↑>, |↓↓>`` and return
arrays of shape ``(...)`` (or ``(..., 4)`` for populations and Bell fidelities).

Concurrence (Wootters 1998, Suppl. S49) is computed without the square-root noise of the textbook
recipe: the λ_i are the *singular values* of ``τ = Wᵀ (σy⊗σy) W`` with ``ρ = W W†``, which the SVD gives
to absolute accuracy ~1e-16, instead of square roots of eigenvalues of ``ρ ρ̃`` (whose rounding errors
of ~1e-16 become ~1e-8 after the square root). X states (Suppl. S51) use the closed form S52
automatically.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError, InvalidStateError
from ..system._two_site_states import BELL_STATES, ket

_YY = np.array([[0, 0, 0, -1], [0, 0, 1, 0], [0, 1, 0, 0], [-1, 0, 0, 0]], dtype=float)
_OFF_X = ((0, 1), (0, 2), (1, 3), (2, 3), (1, 0), (2, 0), (3, 1), (3, 2))
#: entries of an X state that are zero (to this absolute tolerance) for the S52 formula to be used
X_STATE_ATOL = 1e-14


#: Hermiticity and non-negative populations are required to this fraction of a state's largest entry
STATE_RTOL = 1e-8
#: largest |ρ_ij| accepted (a density matrix has |ρ_ij| ≤ 1; products of entries must not overflow)
ENTRY_MAX = 1e150
#: the index pairs (i < j) above the diagonal of a 4×4 matrix
_UPPER = np.triu_indices(4, 1)


def _check(rho) -> np.ndarray:
    rho = np.asarray(rho)
    if rho.shape[-2:] != (4, 4):
        raise InvalidStateError(f"rho must have shape (..., 4, 4), but has shape {rho.shape}")
    if rho.dtype.kind not in "biufc":  # object/str arrays: one line, not a TypeError from np.isfinite
        try:
            rho = rho.astype(complex)
        except (TypeError, ValueError):
            raise InvalidStateError(f"rho must be a numeric (..., 4, 4) array, got dtype {rho.dtype}") from None
    if not np.all(np.isfinite(rho)):
        raise InvalidStateError("rho contains NaN or inf")
    if not rho.size:
        return rho
    # one pass over the entries: m = max(|Re|, |Im|) per state (|ρ_ij| ≤ √2·m), then only the 6 pairs above
    # the diagonal and the diagonal itself (the full-array |ρ| and ρ − ρ† cost ~7 ms per 10⁴ states, paid by
    # every measure a solver forms)
    parts = (rho.real, rho.imag) if np.iscomplexobj(rho) else (rho,)
    big = np.abs(parts[0]).max(axis=(-2, -1))
    for part in parts[1:]:
        big = np.maximum(big, np.abs(part).max(axis=(-2, -1)))
    if np.max(big) > ENTRY_MAX / 2:  # 1e308 entries overflowed with a RuntimeWarning
        top = float(np.max(np.abs(rho)))
        if top > ENTRY_MAX:
            raise InvalidStateError(
                f"rho has an entry of magnitude {top:.3g} > {ENTRY_MAX:.0e} (a density matrix has |ρ_ij| ≤ 1)"
            )
    # cheap necessary conditions of a state (concurrence(-I) and of a triangular matrix were 0)
    tol = STATE_RTOL * big
    d = rho[..., _UPPER[0], _UPPER[1]] - np.conj(rho[..., _UPPER[1], _UPPER[0]])
    dev = np.abs(d.real).max(axis=-1)
    diag = np.diagonal(rho, axis1=-2, axis2=-1)
    if np.iscomplexobj(rho):
        dev = np.maximum(dev, np.maximum(np.abs(d.imag).max(axis=-1), np.abs(diag.imag).max(axis=-1)))
    diag = np.real(diag)
    herm = dev <= tol
    pos = np.all(diag >= -tol[..., None], axis=-1) & ((diag.sum(axis=-1) > 0) | (big == 0))
    if not (np.all(herm) and np.all(pos)):
        what = "is not Hermitian" if not np.all(herm) else "has a negative population or trace ≤ 0"
        raise InvalidStateError(f"rho {what} (to {STATE_RTOL:g} of its largest entry): not a density matrix")
    return rho


def populations(rho) -> np.ndarray:
    """Diagonal ``(p_↑↑, p_↑↓, p_↓↑, p_↓↓)``, shape ``(..., 4)``."""
    rho = _check(rho)
    return np.real(np.diagonal(rho, axis1=-2, axis2=-1)).copy()


def purity(rho) -> np.ndarray:
    """tr ρ² (= Σ|ρ_ij|² for Hermitian ρ)."""
    rho = _check(rho)
    return np.sum(np.abs(rho) ** 2, axis=(-2, -1))


def is_x_state(rho, atol: float = X_STATE_ATOL) -> np.ndarray:
    """True where the entries outside the X pattern (Suppl. S51) vanish to ``atol``."""
    rho = _check(rho)
    off = np.stack([np.abs(rho[..., i, j]) for i, j in _OFF_X], axis=-1)
    return np.all(off <= atol, axis=-1)


def x_state_concurrence(rho) -> np.ndarray:
    """Suppl. S52: ``C = 2 max{0, |ρ12| − sqrt(ρ00ρ33), |ρ03| − sqrt(ρ11ρ22)}`` (valid for X states only)."""
    rho = _check(rho)
    p = np.real(np.diagonal(rho, axis1=-2, axis2=-1))
    c1 = np.abs(rho[..., 1, 2]) - np.sqrt(np.maximum(p[..., 0] * p[..., 3], 0.0))
    c2 = np.abs(rho[..., 0, 3]) - np.sqrt(np.maximum(p[..., 1] * p[..., 2], 0.0))
    return 2 * np.maximum(0.0, np.maximum(c1, c2))


#: eigenvalues of ρ below this (relative to its largest) are rounding of exact zeros: see _wootters
EIGENVALUE_FLOOR = 8 * np.finfo(float).eps


def _wootters(rho: np.ndarray) -> np.ndarray:
    """λ_i as singular values of τ = Wᵀ(σy⊗σy)W, ρ = WW†.

    Eigenvalues of ρ below 8·eps of the largest are set to zero before the square root: a rank-
    deficient ρ (a dark-state mixture, a pure state) computed in floating point carries ~1e-20
    eigenvalues in its null space, whose square roots (1e-10) would enter the λ_i at first order. A
    genuine eigenvalue that small changes C by at most ~2·sqrt(8 eps) ≈ 1e-7 — the same amount any
    rounding of ρ's entries does, so no accuracy that the input supports is lost.
    """
    herm = (rho + np.conj(np.swapaxes(rho, -1, -2))) / 2
    p, V = np.linalg.eigh(herm)
    p = np.where(p > EIGENVALUE_FLOOR * p[..., -1:], p, 0.0)
    W = V * np.sqrt(p)[..., None, :]
    tau = np.swapaxes(W, -1, -2) @ _YY @ W
    lam = np.linalg.svd(tau, compute_uv=False)  # descending
    return np.maximum(0.0, lam[..., 0] - lam[..., 1] - lam[..., 2] - lam[..., 3])


def concurrence(rho, *, method: str = "auto") -> np.ndarray:
    """Wootters concurrence (Suppl. S49).

    ``method``: ``"auto"`` (S52 where ρ is an X state, the SVD form of Wootters elsewhere), ``"wootters"``
    or ``"x"`` (S52 regardless; only correct for X states).
    """
    rho = _check(rho)
    if method == "x":
        return x_state_concurrence(rho)
    if method == "wootters":
        return _wootters(rho.reshape(-1, 4, 4)).reshape(rho.shape[:-2])
    if method != "auto":
        raise InvalidParameterError(f"method must be 'auto', 'wootters' or 'x', got {method!r}")
    flat = rho.reshape(-1, 4, 4)
    out = x_state_concurrence(flat)
    general = ~is_x_state(flat)
    if np.any(general):
        out[general] = _wootters(flat[general])
    return out.reshape(rho.shape[:-2])


def eof_from_concurrence(c) -> np.ndarray:
    """Entanglement of formation from concurrence (Suppl. S50), in ebits.

    ``E = h((1 + sqrt(1−C²))/2)`` with the binary entropy h; ``1 − x`` is evaluated as
    ``y = C²/(2(1+sqrt(1−C²)))`` and ``log2 x`` as ``log1p(−y)/ln 2``, so small C keeps full relative
    accuracy.
    """
    c = np.clip(np.asarray(c, dtype=float), 0.0, 1.0)
    s = np.sqrt(1 - c * c)
    x = (1 + s) / 2
    y = c * c / (2 * (1 + s))  # = 1 - x without cancellation
    with np.errstate(divide="ignore", invalid="ignore"):
        hx = -x * np.log1p(-y) / np.log(2)  # log2(x) = log2(1 − y), accurate for tiny y
        hy = np.where(y > 0, -y * np.log2(y), 0.0)
    return hx + hy


def entanglement_of_formation(rho) -> np.ndarray:
    """Entanglement of formation (Suppl. S48–S50), in ebits."""
    return eof_from_concurrence(concurrence(rho))


def _partial_transpose(rho: np.ndarray) -> np.ndarray:
    r = rho.reshape(*rho.shape[:-2], 2, 2, 2, 2)
    return np.swapaxes(r, -3, -1).reshape(rho.shape)


def negativity(rho) -> np.ndarray:
    """Negativity ``N = (‖ρ^{T2}‖₁ − 1)/2`` = sum of |negative eigenvalues| of the partial transpose."""
    rho = _check(rho)
    pt = _partial_transpose(rho)
    pt = (pt + np.conj(np.swapaxes(pt, -1, -2))) / 2
    ev = np.linalg.eigvalsh(pt)
    return np.sum(np.maximum(-ev, 0.0), axis=-1)  # (−Σ min(ev, 0) printed −0.0 for separable states)


def log_negativity(rho) -> np.ndarray:
    """Logarithmic negativity ``log2 ‖ρ^{T2}‖₁ = log2(2N + 1)``."""
    return np.log2(2 * negativity(rho) + 1)


def bell_fidelity(rho, which: str) -> np.ndarray:
    """``<B|ρ|B>`` for the Bell state ``which`` in ``phi+ phi- psi+ psi-`` (also ``singlet``, ``triplet0``)."""
    rho = _check(rho)
    try:
        k = ket(which)
    except InvalidStateError as e:  # it said "unknown initial state": name this argument
        raise InvalidStateError(f"bell_fidelity: which={which!r} is not a state name ({e})") from None
    return np.real(np.einsum("i,...ij,j->...", k.conj(), rho, k))


def bell_fidelities(rho) -> np.ndarray:
    """Fidelities to ``(phi+, phi-, psi+, psi-)``, shape ``(..., 4)``."""
    return np.stack([bell_fidelity(rho, b) for b in BELL_STATES], axis=-1)


#: Measures that :func:`magbell.evolve` and :func:`magbell.steady_state` can compute by name.
MEASURES = {
    "concurrence": concurrence,
    "entanglement_of_formation": entanglement_of_formation,
    "negativity": negativity,
    "log_negativity": log_negativity,
    "purity": purity,
    "populations": populations,
    "bell_fidelities": bell_fidelities,
}
