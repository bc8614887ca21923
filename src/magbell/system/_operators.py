"""Spin operators and basis conventions for N qubits.

Conventions (used everywhere in magbell; see ``docs/conventions.md``):

* ħ = 1.
* Single-qubit basis ``|↑> = (1, 0)``, ``|↓> = (0, 1)``; ``σz|↑> = +|↑>``.
* ``σ± = (σx ± iσy)/2``, so ``σ+ = |↑><↓|`` raises σz.
* Qubit 1 is the left-most tensor factor: the two-qubit basis is
  ``|↑↑>, |↑↓>, |↓↑>, |↓↓>`` (indices 0, 1, 2, 3).

Operators are built for ``n_sites`` qubits; the two-qubit model uses ``n_sites=2``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = [
    "SX",
    "SY",
    "SZ",
    "SP",
    "SM",
    "ID2",
    "site_operator",
    "sigma_plus",
    "sigma_minus",
    "sigma_z",
    "sigma_x",
    "sigma_y",
    "magnetisation",
    "BASIS_LABELS",
]

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]], dtype=complex)
SZ = np.array([[1, 0], [0, -1]], dtype=complex)
SP = np.array([[0, 1], [0, 0]], dtype=complex)  # σ+ = |↑><↓|
SM = np.array([[0, 0], [1, 0]], dtype=complex)  # σ- = |↓><↑|
ID2 = np.eye(2, dtype=complex)

BASIS_LABELS = ("uu", "ud", "du", "dd")


def site_operator(op: np.ndarray, site: int, n_sites: int) -> np.ndarray:
    """Embed the single-qubit operator ``op`` acting on ``site`` (0-based) into ``n_sites`` qubits."""
    if not 0 <= site < n_sites:
        raise ValueError(f"site must satisfy 0 <= site < n_sites={n_sites}, got {site}")
    out = np.ones((1, 1), dtype=complex)
    for k in range(n_sites):
        out = np.kron(out, op if k == site else ID2)
    return out


def sigma_plus(site: int, n_sites: int = 2) -> np.ndarray:
    return site_operator(SP, site, n_sites)


def sigma_minus(site: int, n_sites: int = 2) -> np.ndarray:
    return site_operator(SM, site, n_sites)


def sigma_z(site: int, n_sites: int = 2) -> np.ndarray:
    return site_operator(SZ, site, n_sites)


def sigma_x(site: int, n_sites: int = 2) -> np.ndarray:
    return site_operator(SX, site, n_sites)


def sigma_y(site: int, n_sites: int = 2) -> np.ndarray:
    return site_operator(SY, site, n_sites)


@lru_cache(maxsize=None)
def magnetisation(n_sites: int) -> np.ndarray:
    """Eigenvalue of the total ``Σσz`` for each basis state (integer array of length 2**n_sites)."""
    m = np.zeros(2**n_sites, dtype=int)
    for site in range(n_sites):
        m += np.real(np.diag(sigma_z(site, n_sites))).astype(int)
    m.setflags(write=False)
    return m
