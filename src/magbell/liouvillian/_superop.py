"""Liouvillian superoperators and their real, symmetry-blocked representation.

Vectorisation convention (row-major, NumPy's ``reshape``)::

    vec(ρ)[i*n + j] = ρ[i, j]          and     vec(A ρ B) = (A ⊗ Bᵀ) vec(ρ)

so a superoperator is a ``(n², n²)`` matrix acting on ``rho.reshape(-1)``. (QuTiP stacks columns
instead; :func:`magbell.Model.to_qutip` returns operators, not superoperators, so no conversion
is needed there.)

The master equation is the paper's Eq. (2)/(3)::

    dρ/dt = -i[H, ρ] - Σ_nm h_nm (O_m† O_n ρ + ρ O_m† O_n - 2 O_n ρ O_m†)

and :func:`generator` returns the superoperator of the whole right-hand side.

Real sector representation
--------------------------
Every model of this package is axially symmetric: the generator commutes with the superoperator
``ρ ↦ [Σσz, ρ]/2``. A matrix element ``ρ_ij`` therefore only couples to elements with the same
``q = (m_i - m_j)/2`` (``m`` = eigenvalue of Σσz). Because the generator also maps Hermitian
matrices to Hermitian matrices, the sectors ``q`` and ``-q`` are complex conjugates of each other.
We use *real* coordinates

* ``ρ_ii``                        (sector 0),
* ``Re ρ_ij, Im ρ_ij`` for i < j  (sector |q|),

and propagate each ``|q|`` block separately as a real matrix. For two qubits the blocks have sizes
6 (|q|=0: populations and ``ρ_{↑↓,↓↑}``), 8 (|q|=1) and 2 (|q|=2: ``ρ_{↑↑,↓↓}``). A state with no
weight in the |q|=1 block is an X state (Suppl. S51).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..system._operators import magnetisation

__all__ = [
    "hamiltonian_superop",
    "dissipator_superop",
    "generator",
    "SectorBasis",
    "sector_basis",
]


def hamiltonian_superop(H: np.ndarray) -> np.ndarray:
    """Superoperator of ``ρ ↦ -i[H, ρ]`` (batched over leading axes)."""
    H = np.asarray(H)
    n = H.shape[-1]
    eye = np.eye(n)
    left = np.einsum("...ij,kl->...ikjl", H, eye).reshape(*H.shape[:-2], n * n, n * n)
    right = np.einsum("ij,...lk->...ikjl", eye, H).reshape(*H.shape[:-2], n * n, n * n)
    return -1j * (left - right)


def _dissipator_terms(ops: np.ndarray) -> np.ndarray:
    """T[n, m] = superoperator of ρ ↦ O_m†O_n ρ + ρ O_m†O_n - 2 O_n ρ O_m†  (shape (K, K, n², n²))."""
    ops = np.asarray(ops, dtype=complex)
    k, n, _ = ops.shape
    eye = np.eye(n)
    out = np.empty((k, k, n * n, n * n), dtype=complex)
    for a in range(k):
        for b in range(k):
            prod = ops[b].conj().T @ ops[a]  # O_m† O_n with n=a, m=b
            s = np.kron(prod, eye) + np.kron(eye, prod.T) - 2 * np.kron(ops[a], ops[b].conj())
            out[a, b] = s
    return out


def dissipator_superop(h: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """Superoperator of ``ρ ↦ -Σ_nm h_nm (O_m†O_n ρ + ρ O_m†O_n - 2 O_n ρ O_m†)`` (Eq. 3, with the sign of Eq. 2).

    ``h`` has shape ``(..., K, K)`` and ``ops`` shape ``(K, n, n)``.
    """
    h = np.asarray(h)
    terms = _dissipator_terms(ops)
    k = terms.shape[0]
    nn = terms.shape[-1]
    flat = h.reshape(-1, k * k) @ terms.reshape(k * k, nn * nn)
    return -flat.reshape(*h.shape[:-2], nn, nn)


def generator(H: np.ndarray, h: np.ndarray, ops: np.ndarray) -> np.ndarray:
    """Full generator ``-i[H,·] - L[·]`` as a complex ``(n², n²)`` matrix (batched)."""
    return hamiltonian_superop(H) + dissipator_superop(h, ops)


@dataclass(frozen=True)
class SectorBasis:
    """Real coordinates of Hermitian ``n×n`` matrices, grouped into |q| sectors.

    Attributes
    ----------
    n : Hilbert-space dimension.
    to_real : (n², n²) complex matrix with ``r = to_real @ vec(ρ)`` (``r`` is real for Hermitian ρ).
    from_real : (n², n²) complex matrix with ``vec(ρ) = from_real @ r``.
    blocks : tuple of integer index arrays into ``r``, one per |q| = 0, 1, 2, ...
    """

    n: int
    to_real: np.ndarray
    from_real: np.ndarray
    blocks: tuple

    def block_of(self, superop: np.ndarray, q: int) -> np.ndarray:
        """Real (n_q, n_q) block of a Hermiticity-preserving complex superoperator (batched)."""
        idx = self.blocks[q]
        full = self.to_real @ superop @ self.from_real
        return full[..., idx[:, None], idx[None, :]]

    def real_coordinates(self, rho: np.ndarray) -> np.ndarray:
        n2 = self.n * self.n
        vec = np.asarray(rho).reshape(*np.shape(rho)[:-2], n2)
        return np.real(vec @ self.to_real.T)

    def density_matrix(self, r: np.ndarray) -> np.ndarray:
        vec = r @ self.from_real.T
        return vec.reshape(*r.shape[:-1], self.n, self.n)


@lru_cache(maxsize=None)
def sector_basis(n_sites: int) -> SectorBasis:
    n = 2**n_sites
    m = magnetisation(n_sites)
    to_real = np.zeros((n * n, n * n), dtype=complex)
    from_real = np.zeros((n * n, n * n), dtype=complex)
    labels = []
    coord = 0
    for i in range(n):
        to_real[coord, i * n + i] = 1.0
        from_real[i * n + i, coord] = 1.0
        labels.append(0)
        coord += 1
    for i in range(n):
        for j in range(i + 1, n):
            q = abs(int(m[i] - m[j])) // 2
            ij, ji = i * n + j, j * n + i
            # Re ρ_ij
            to_real[coord, ij] = 0.5
            to_real[coord, ji] = 0.5
            from_real[ij, coord] = 1.0
            from_real[ji, coord] = 1.0
            labels.append(q)
            coord += 1
            # Im ρ_ij
            to_real[coord, ij] = -0.5j
            to_real[coord, ji] = 0.5j
            from_real[ij, coord] = 1j
            from_real[ji, coord] = -1j
            labels.append(q)
            coord += 1
    labels = np.array(labels)
    blocks = tuple(np.flatnonzero(labels == q) for q in range(n_sites + 1))
    for arr in (to_real, from_real):
        arr.setflags(write=False)
    return SectorBasis(n=n, to_real=to_real, from_real=from_real, blocks=blocks)


@lru_cache(maxsize=None)
def sector_elements(n_sites: int) -> tuple:
    """Complex coordinates of the signed sectors q = 0, 1, 2, ... (q ≥ 0 only; sector −q is the conjugate).

    Returns one tuple of ``(i, j)`` matrix-element pairs per q: q = 0 lists the populations ``ρ_ii`` and then
    the coherences ``ρ_ij`` (i ≠ j, m_i = m_j, both orders); q ≥ 1 lists ``ρ_ij`` with i < j, in the order of
    the ``(Re ρ_ij, Im ρ_ij)`` pairs of :func:`sector_basis`. In these coordinates every term of the
    Hamiltonian that is diagonal in the product basis (δ, Δ, 𝒥z) is diagonal and purely imaginary — a pure
    phase — and the mean splitting Δ is the scalar ``i q Δ`` on sector q.
    """
    n = 2**n_sites
    m = magnetisation(n_sites)
    out = []
    for q in range(n_sites + 1):
        if q == 0:
            els = [(i, i) for i in range(n)]
            els += [(i, j) for i in range(n) for j in range(n) if i != j and m[i] == m[j]]
        else:
            els = [(i, j) for i in range(n) for j in range(i + 1, n) if abs(int(m[i] - m[j])) // 2 == q]
        out.append(tuple(els))
    return tuple(out)


def complex_block(L: np.ndarray) -> np.ndarray:
    """Complex (…, n, n) sector matrix of a real |q| ≥ 1 block (…, 2n, 2n) on (Re, Im) pairs.

    The real block acts on ``z = Re + i Im`` complex-linearly: ``dz/dt = C z`` with
    ``L[2k, 2l] = Re C_kl`` and ``L[2k+1, 2l] = Im C_kl``.
    """
    return L[..., 0::2, 0::2] + 1j * L[..., 1::2, 0::2]


def block0_complex_map() -> np.ndarray:
    """F (6, 6) with ``e = F r``: real |q|=0 coordinates (4 populations, Re ρ12, Im ρ12) → (populations,
    ρ12, ρ21), the q = 0 coordinates of :func:`sector_elements` for two qubits."""
    F = np.zeros((6, 6), dtype=complex)
    F[:4, :4] = np.eye(4)
    F[4, 4], F[4, 5] = 1.0, 1j
    F[5, 4], F[5, 5] = 1.0, -1j
    return F
