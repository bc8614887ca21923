"""Initial states of N sites: u/d strings, superpositions, W / Dicke / singlet, dense kets and density matrices.

Basis: tensor product with site 1 the leftmost factor, |u⟩ = (1, 0), |d⟩ = (0, 1); a u/d string such as
``"udu"`` names a product state (index = the string read as a binary number with d = 1). Names::

    "udu"                 product state (one letter per site)
    {"ud": a, "du": b}    superposition Σ amplitude·|string⟩ (must be normalised to 1e-10)
    "W"                   (1/√N) Σ_i |site i down, the rest up⟩ (one excitation: ↓ is the excited state for Δ > 0)
    "dicke:k"             symmetric state with k sites down, normalised
    "singlet:i,j"         (|u_i d_j⟩ − |d_i u_j⟩)/√2 on sites i, j (1-based), the rest up
                          ("singlet:1,2" for N = 2 is magbell's "singlet")

For N = 2 the two-qubit names of :mod:`magbell.states` (``"singlet"``, ``"phi+"``, ...) work too.
"""

from __future__ import annotations

import numbers
from itertools import combinations

import numpy as np

from ..errors import InvalidStateError
from ._two_site_states import state_array, validated_dense_state

__all__ = ["system_density_matrix", "system_density_matrices", "product_index"]


def product_index(s: str, N: int) -> int:
    """Basis index of a u/d string of length N."""
    if not isinstance(s, str) or len(s) != N or set(s) - {"u", "d"}:
        raise InvalidStateError(f"a product state is a string of {N} letters u/d (one per site), got {s!r}")
    return int(s.replace("u", "0").replace("d", "1"), 2)


def unknown_state(name, N: int) -> InvalidStateError:
    """The one-line refusal of an initial-state name that is none of the N-site names."""
    return InvalidStateError(
        f"unknown initial state {name!r} for N = {N} sites; use a string of {N} letters u/d, 'W', 'dicke:k', "
        "'singlet:i,j', a dict of u/d strings to amplitudes, a ket or a density matrix"
    )


def parse_state_name(name: str, N: int):
    """Validate an N-site state name (module docstring) without forming it: ``("dicke", k)`` for "W" (k = 1) and
    "dicke:k", ``("singlet", i, j)`` (1-based sites) for "singlet:i,j", ``("product", s)`` for a u/d string,
    None for any other name. Shared by the dense builder below and the excitation-block one
    (:mod:`magbell.solvers._nsite_evolve`), so both accept and refuse the same names with the same messages."""
    if name == "W":
        return ("dicke", 1)
    if name.startswith("dicke:"):
        try:
            k = int(name[6:])
        except ValueError:
            raise InvalidStateError(f"dicke:k needs an integer k (0 <= k <= N = {N}), got {name!r}") from None
        if not 0 <= k <= N:
            raise InvalidStateError(f"dicke:k needs 0 <= k <= N = {N}, got {name!r}")
        return ("dicke", k)
    if name.startswith("singlet:"):
        try:
            i, j = (int(x) for x in name[8:].split(","))
        except ValueError:
            raise InvalidStateError(f"singlet:i,j needs two site numbers (1-based), got {name!r}") from None
        if not (1 <= i <= N and 1 <= j <= N and i != j):
            raise InvalidStateError(f"singlet:i,j needs two different sites 1 <= i, j <= N = {N}, got {name!r}")
        return ("singlet", i, j)
    if len(name) == N and not set(name) - {"u", "d"}:
        return ("product", name)
    return None


def amplitude(s, amp) -> complex:
    """One amplitude of a dict superposition as a complex number (one-line refusal of a non-number)."""
    if isinstance(amp, (bool, np.bool_, str, bytes)):
        raise InvalidStateError(f"amplitude of {s!r} must be a number, got {amp!r}")
    try:
        return complex(amp)
    except (TypeError, ValueError):
        raise InvalidStateError(f"amplitude of {s!r} must be a number, got {amp!r}") from None


def _named_ket(name: str, N: int) -> np.ndarray:
    n = 2**N
    k = np.zeros(n, dtype=complex)
    spec = parse_state_name(name, N)
    if spec is None:
        if N == 2:
            from ._two_site_states import ket

            return ket(name)
        raise unknown_state(name, N)
    if spec[0] == "dicke":
        idx = [sum(1 << (N - 1 - i) for i in c) for c in combinations(range(N), spec[1])]
        k[idx] = 1 / np.sqrt(len(idx))
    elif spec[0] == "singlet":
        a, b = 1 << (N - spec[1]), 1 << (N - spec[2])
        k[b] = 1 / np.sqrt(2)  # site i up, site j down
        k[a] = -1 / np.sqrt(2)
    else:
        k[product_index(name, N)] = 1.0
    return k


def _validated_rho(arr: np.ndarray, N: int) -> np.ndarray:
    if arr.dtype.kind not in "iufc":
        raise InvalidStateError(f"initial state must be a name, a ket or a density matrix, got dtype {arr.dtype}")
    return validated_dense_state(arr, 2**N, f" of N = {N} sites")


#: largest N for a dense 2ᴺ × 2ᴺ initial state (N = 12: 268 MB); magbell.evolve takes u/d strings, dicts,
#: W, Dicke and singlet states at any N without forming it (magbell.solvers._nsite_evolve)
DENSE_STATE_MAX_SITES = 12


def system_density_matrix(state, N: int) -> np.ndarray:
    """One initial state of N sites as a validated 2ᴺ × 2ᴺ density matrix (see the module docstring)."""
    if N > DENSE_STATE_MAX_SITES:
        raise InvalidStateError(
            f"initial state: a dense density matrix of N = {N} sites has 2^{N} × 2^{N} entries, beyond the limit "
            f"N <= {DENSE_STATE_MAX_SITES} of the solvers that form one (magbell.evolve takes u/d strings, dicts, "
            "'W', 'dicke:k' and 'singlet:i,j' at any N)"
        )
    if isinstance(state, str):
        k = _named_ket(state, N)
        return np.outer(k, k.conj())
    if isinstance(state, dict):
        if not state:
            raise InvalidStateError("initial superposition is an empty dict")
        k = np.zeros(2**N, dtype=complex)
        for s, amp in state.items():
            k[product_index(s, N)] += amplitude(s, amp)
        return _validated_rho(k, N)
    return _validated_rho(state_array(state), N)


def system_density_matrices(initial, N: int) -> tuple:
    """Initial state(s) → (array (S, 2ᴺ, 2ᴺ), several?). A list/tuple of states adds an initial-state axis."""
    if isinstance(initial, (list, tuple)) and not all(
        isinstance(x, numbers.Number) and not isinstance(x, (bool, np.bool_)) for x in initial
    ):  # a list of numbers is one ket
        if len(initial) == 0:
            raise InvalidStateError("initial is an empty list of states")
        return np.stack([system_density_matrix(s, N) for s in initial]), True
    return system_density_matrix(initial, N)[None], False
