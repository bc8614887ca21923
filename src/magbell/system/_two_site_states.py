"""Named two-qubit states and validation of user-given initial states.

Names (basis ``|↑↑>, |↑↓>, |↓↑>, |↓↓>``)::

    uu, ud, du, dd                 product states
    singlet = psi-                  (|↑↓> − |↓↑>)/√2   (the paper's |00>)
    triplet0 = psi+                 (|↑↓> + |↓↑>)/√2
    phi+, phi-                      (|↑↑> ± |↓↓>)/√2
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidStateError

__all__ = ["STATE_NAMES", "ket", "density_matrix", "as_density_matrices", "BELL_STATES"]

_S = 1 / np.sqrt(2)
_KETS = {
    "uu": np.array([1, 0, 0, 0], dtype=complex),
    "ud": np.array([0, 1, 0, 0], dtype=complex),
    "du": np.array([0, 0, 1, 0], dtype=complex),
    "dd": np.array([0, 0, 0, 1], dtype=complex),
    "psi-": np.array([0, _S, -_S, 0], dtype=complex),
    "psi+": np.array([0, _S, _S, 0], dtype=complex),
    "phi+": np.array([_S, 0, 0, _S], dtype=complex),
    "phi-": np.array([_S, 0, 0, -_S], dtype=complex),
}
_KETS["singlet"] = _KETS["psi-"]
_KETS["triplet0"] = _KETS["psi+"]

STATE_NAMES = ("uu", "ud", "du", "dd", "singlet", "triplet0", "phi+", "phi-", "psi+", "psi-")

#: The four Bell states, in the order used by :func:`magbell.bell_fidelities`.
BELL_STATES = ("phi+", "phi-", "psi+", "psi-")

# Tolerance for Hermiticity, trace and positivity of a user-given density matrix.
STATE_ATOL = 1e-10


def ket(name: str) -> np.ndarray:
    """The ket of a named state (see module docstring)."""
    try:
        return _KETS[name].copy()
    except (KeyError, TypeError):
        raise InvalidStateError(
            f"unknown initial state {name!r}; known names: {', '.join(STATE_NAMES)}"
        ) from None


def density_matrix(state) -> np.ndarray:
    """One initial state as a validated 4×4 density matrix.

    Accepts a name, a ket (length-4 vector, normalised), a 4×4 density matrix or a QuTiP ``Qobj``.
    A density matrix must be Hermitian, have unit trace and be positive semidefinite (within 1e-10).
    """
    if isinstance(state, str):
        k = ket(state)
        return np.outer(k, k.conj())
    arr = state_array(state)
    if arr.dtype.kind not in "iufc":  # bools are not amplitudes
        raise InvalidStateError(f"initial state must be a name, a ket or a density matrix, got {state!r}")
    return validated_dense_state(arr, 4)


def state_array(state) -> np.ndarray:
    """A ket/density matrix given as an array, a nested list or a QuTiP ``Qobj`` (read without importing qutip),
    as a NumPy array; one line naming the problem when it is none of these. Shared by 2- and N-site states."""
    if hasattr(state, "full") and hasattr(state, "dims"):  # QuTiP Qobj
        state = state.full()
        if state.shape[1] == 1:
            state = state[:, 0]
    try:
        return np.asarray(state)
    except (TypeError, ValueError, OverflowError):
        raise InvalidStateError(f"initial state must be a name, a ket or a density matrix, got {state!r}") from None


def validated_dense_state(arr: np.ndarray, n: int, what: str = "") -> np.ndarray:
    """A ket (length n) or an n×n density matrix, validated, as an n×n density matrix.

    One place for both the two-qubit states and the N-site ones (``what`` adds e.g. " of N = 3 sites" to the
    shape message): finite entries of magnitude ≤ 1e100 (no overflow in norms), a normalised ket, or a Hermitian,
    unit-trace, positive semidefinite matrix, all within ``STATE_ATOL``.
    """
    arr = np.asarray(arr).astype(complex)
    if not np.all(np.isfinite(arr)):
        raise InvalidStateError("initial state contains NaN or inf")
    big = float(np.max(np.maximum(np.abs(arr.real), np.abs(arr.imag)), initial=0.0))  # no overflow in |z|
    if big > 1e100:  # |entries| of a state are <= 1; refuse absurd ones before norms/eigenvalues overflow
        raise InvalidStateError(f"initial state has an entry of magnitude {big:.3g}: not a normalised state (entries are <= 1)")
    if arr.shape in ((n,), (n, 1)):
        k = arr.reshape(n)
        norm = np.vdot(k, k).real
        if abs(norm - 1) > STATE_ATOL:
            raise InvalidStateError(f"initial ket must be normalised, but <ψ|ψ> = {norm:.6g}")
        return np.outer(k, k.conj())
    if arr.shape != (n, n):
        raise InvalidStateError(
            f"initial state{what} must be a length-{n} ket or a {n}×{n} density matrix, got an array of shape {arr.shape}"
        )
    herm = np.max(np.abs(arr - arr.conj().T))
    if herm > STATE_ATOL:
        raise InvalidStateError(f"initial density matrix is not Hermitian: max|ρ − ρ†| = {herm:.3g}")
    tr = np.trace(arr).real
    if abs(tr - 1) > STATE_ATOL:
        raise InvalidStateError(f"initial density matrix must have trace 1, but tr ρ = {tr:.12g}")
    arr = (arr + arr.conj().T) / 2
    lam = np.linalg.eigvalsh(arr).min()
    if lam < -STATE_ATOL:
        raise InvalidStateError(
            f"initial density matrix is not positive semidefinite: smallest eigenvalue {lam:.3g}"
        )
    return arr


def as_density_matrices(initial) -> tuple[np.ndarray, bool]:
    """Initial state(s) → (array of shape (n_init, 4, 4), several?).

    A single state (name, ket, density matrix, Qobj) gives ``several=False``; a list/tuple of states or
    a 3-D array of density matrices gives ``several=True``.
    """
    if isinstance(initial, (list, tuple)):
        if len(initial) == 0:
            raise InvalidStateError("initial is an empty list of states")
        return np.stack([density_matrix(s) for s in initial]), True
    if not isinstance(initial, str) and not hasattr(initial, "dims"):
        arr = np.asarray(initial)
        if arr.ndim == 3:
            return np.stack([density_matrix(s) for s in arr]), True
        if arr.ndim == 2 and arr.shape[1] == 4 and arr.shape[0] != 4:
            return np.stack([density_matrix(s) for s in arr]), True
    return density_matrix(initial)[None], False
