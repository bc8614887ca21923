"""One generator builder for N sites: 𝓛 = Σ_k c_k S_k, and its real |q|-sector blocks.

Conventions (the System contract, docs/system.md): basis = tensor product with site 1 the leftmost factor,
|u⟩ = (1, 0), σ⁺ = |u⟩⟨d|; row-major vectorisation ``vec(ρ)[i*n + j] = ρ[i, j]``, ``vec(AρB) = (A ⊗ Bᵀ) vec ρ``
(as :mod:`magbell.superop`). The generator of

    dρ/dt = −i[H, ρ] − Σ_ij h_plus[i, j] (σ_j⁻σ_i⁺ρ + ρσ_j⁻σ_i⁺ − 2σ_i⁺ρσ_j⁻)
                     − (the same with h_minus over (σ_i⁻, σ_j⁺)) − (the same with h_z over (σ_iᶻ, σ_jᶻ)),
    H = −½ Σ_i Δ_i σ_iᶻ + Σ_{i<j} [J⊥_ij (σ_iˣσ_jˣ + σ_iʸσ_jʸ) + Jz_ij σ_iᶻσ_jᶻ + D_ij (σ_iˣσ_jʸ − σ_iʸσ_jˣ)]

(Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022), Eqs. 2–4 and S38, with N sites) is linear in the real
coefficients listed by :func:`coefficient_names`: Δ_i; J⊥_ij, Jz_ij, D_ij (i < j); and for each block
h ∈ (h_plus, h_minus, h_z) its diagonal h_ii, then Re h_ij, Im h_ij (i < j). :func:`basis_superoperators`
gives the S_k as sparse matrices built from sparse site operators; :func:`sector_blocks` their real
restrictions to the |q| sectors (q = excitation-number difference of ket and bra), in the real coordinates
of :func:`magbell.superop.sector_basis` (populations, then (Re ρ_ij, Im ρ_ij) for i < j), which
:func:`sector_coordinates` lists without forming the dense 4ᴺ × 4ᴺ change of basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: scipy.sparse is imported lazily where used
    import scipy.sparse as sp

from ._operators import ID2, SM, SP, SX, SY, SZ, magnetisation

__all__ = [
    "coefficient_names",
    "pairs",
    "site_operator",
    "basis_superoperators",
    "SectorCoordinates",
    "sector_coordinates",
    "SectorBlocks",
    "sector_blocks",
    "MAX_SITES",
]

#: largest N the builder accepts (the dense real blocks grow like C(2N, N)²)
MAX_SITES = 8

BLOCK_NAMES = ("h_plus", "h_minus", "h_z")
COUPLING_NAMES = ("J_perp", "J_z", "D")


def pairs(n_sites: int) -> list:
    """The pairs (i, j), i < j (0-based), in the order the coefficients use."""
    return [(i, j) for i in range(n_sites) for j in range(i + 1, n_sites)]


@lru_cache(maxsize=None)
def coefficient_names(n_sites: int) -> tuple:
    """Names of the real coefficients c_k, in order (sites 1-based in the names)."""
    pr = pairs(n_sites)
    names = [f"Delta[{i + 1}]" for i in range(n_sites)]
    for c in COUPLING_NAMES:
        names += [f"{c}[{i + 1},{j + 1}]" for i, j in pr]
    for b in BLOCK_NAMES:
        names += [f"{b}[{i + 1},{i + 1}]" for i in range(n_sites)]
        for i, j in pr:
            names += [f"Re {b}[{i + 1},{j + 1}]", f"Im {b}[{i + 1},{j + 1}]"]
    return tuple(names)


def site_operator(op: np.ndarray, site: int, n_sites: int) -> sp.csr_matrix:
    """Sparse ``op`` on ``site`` (0-based) of ``n_sites`` qubits, site 0 the leftmost factor."""
    import scipy.sparse as sp  # lazily: not at `import magbell` time

    out = sp.identity(1, dtype=complex, format="csr")
    for k in range(n_sites):
        out = sp.kron(out, sp.csr_matrix(op if k == site else ID2), format="csr")
    return out


def _ham_superop(H: sp.spmatrix) -> sp.csr_matrix:
    import scipy.sparse as sp  # lazily: not at `import magbell` time

    eye = sp.identity(H.shape[0], dtype=complex, format="csr")
    return (-1j * (sp.kron(H, eye) - sp.kron(eye, H.T))).tocsr()


def _diss_term(On: sp.spmatrix, Om: sp.spmatrix) -> sp.csr_matrix:
    """Superoperator of ρ ↦ O_m†O_n ρ + ρ O_m†O_n − 2 O_n ρ O_m† (the term multiplying h_nm)."""
    import scipy.sparse as sp  # lazily: not at `import magbell` time

    eye = sp.identity(On.shape[0], dtype=complex, format="csr")
    prod = (Om.conj().T @ On).tocsr()
    return (sp.kron(prod, eye) + sp.kron(eye, prod.T) - 2 * sp.kron(On, Om.conj())).tocsr()


def _check_sites(n_sites) -> int:
    if isinstance(n_sites, (bool, np.bool_)) or not isinstance(n_sites, (int, np.integer)):
        raise TypeError(f"n_sites must be an int, got {n_sites!r}")
    if not 1 <= n_sites <= MAX_SITES:
        raise ValueError(f"n_sites must satisfy 1 <= n_sites <= {MAX_SITES}, got {n_sites}")
    return int(n_sites)


@lru_cache(maxsize=None)
def basis_superoperators(n_sites: int) -> tuple:
    """The S_k (complex sparse CSR, 4ᴺ × 4ᴺ each) with generator = Σ_k c_k S_k, in :func:`coefficient_names` order."""
    N = _check_sites(n_sites)
    sz = [site_operator(SZ, i, N) for i in range(N)]
    sx = [site_operator(SX, i, N) for i in range(N)]
    sy = [site_operator(SY, i, N) for i in range(N)]
    spl = [site_operator(SP, i, N) for i in range(N)]
    smi = [site_operator(SM, i, N) for i in range(N)]
    pr = pairs(N)
    out = [_ham_superop(-0.5 * sz[i]) for i in range(N)]
    out += [_ham_superop(sx[i] @ sx[j] + sy[i] @ sy[j]) for i, j in pr]
    out += [_ham_superop(sz[i] @ sz[j]) for i, j in pr]
    out += [_ham_superop(sx[i] @ sy[j] - sy[i] @ sx[j]) for i, j in pr]
    # block h over operators O: -Σ_nm h_nm T(n, m); h_ii real; h_ij (i<j) = x + iy, h_ji = x - iy
    for O in (spl, smi, sz):
        out += [(-_diss_term(O[i], O[i])).tocsr() for i in range(N)]
        for i, j in pr:
            tij, tji = _diss_term(O[i], O[j]), _diss_term(O[j], O[i])
            out += [(-(tij + tji)).tocsr(), (-1j * (tij - tji)).tocsr()]
    for s in out:
        s.sum_duplicates()
        s.eliminate_zeros()
    return tuple(out)


@dataclass(frozen=True)
class SectorCoordinates:
    """Real coordinates of Hermitian 2ᴺ × 2ᴺ matrices, the same as :func:`magbell.superop.sector_basis`.

    Coordinate k is ``ρ[row[k], col[k]]`` when ``part[k] == 0`` (a population), ``Re ρ[row, col]`` when
    ``part[k] == 1`` and ``Im ρ[row, col]`` when ``part[k] == 2`` (row < col). ``blocks[q]`` indexes the
    coordinates of sector |q| (q = |m_row − m_col|/2, m the eigenvalue of Σσᶻ); ``sign[k]`` is the signed
    (m_row − m_col)/2, so that the mean splitting rotates ρ_ij by e^{i·sign·Δ̄·t}.
    """

    n: int
    row: np.ndarray
    col: np.ndarray
    part: np.ndarray
    sign: np.ndarray
    blocks: tuple

    def to_real(self) -> sp.csr_matrix:
        """Sparse (n², n²) map vec(ρ) → r (equal to ``sector_basis(N).to_real``)."""
        import scipy.sparse as sp  # lazily: not at `import magbell` time

        n, k = self.n, np.arange(self.row.size)
        ij, ji = self.row * n + self.col, self.col * n + self.row
        d, re, im = self.part == 0, self.part == 1, self.part == 2
        rows = np.concatenate([k[d], k[re], k[re], k[im], k[im]])
        cols = np.concatenate([ij[d], ij[re], ji[re], ij[im], ji[im]])
        vals = np.concatenate([np.ones(d.sum()), np.full(re.sum(), 0.5), np.full(re.sum(), 0.5),
                               np.full(im.sum(), -0.5j), np.full(im.sum(), 0.5j)])
        return sp.csr_matrix((vals.astype(complex), (rows, cols)), shape=(n * n, n * n))

    def from_real(self) -> sp.csr_matrix:
        """Sparse (n², n²) map r → vec(ρ) (equal to ``sector_basis(N).from_real``)."""
        import scipy.sparse as sp  # lazily: not at `import magbell` time

        n, k = self.n, np.arange(self.row.size)
        ij, ji = self.row * n + self.col, self.col * n + self.row
        d, re, im = self.part == 0, self.part == 1, self.part == 2
        rows = np.concatenate([ij[d], ij[re], ji[re], ij[im], ji[im]])
        cols = np.concatenate([k[d], k[re], k[re], k[im], k[im]])
        vals = np.concatenate([np.ones(d.sum()), np.ones(re.sum()), np.ones(re.sum()),
                               np.full(im.sum(), 1j), np.full(im.sum(), -1j)])
        return sp.csr_matrix((vals.astype(complex), (rows, cols)), shape=(n * n, n * n))

    def real_coordinates(self, rho: np.ndarray) -> np.ndarray:
        """r (..., n²) of Hermitian ρ (..., n, n)."""
        x = np.asarray(rho)[..., self.row, self.col]
        return np.where(self.part == 2, x.imag, x.real)

    def density_matrix(self, r: np.ndarray) -> np.ndarray:
        """ρ (..., n, n) from real coordinates r (..., n²), by indexing."""
        r = np.asarray(r)
        d, re = self.part == 0, self.part == 1
        rho = np.zeros(r.shape[:-1] + (self.n, self.n), dtype=complex)
        rho[..., self.row[d], self.col[d]] = r[..., d]
        z = r[..., re] + 1j * r[..., self.part == 2]  # Re and Im of one pair are adjacent: same order
        rho[..., self.row[re], self.col[re]] = z
        rho[..., self.col[re], self.row[re]] = z.conj()
        return rho


@lru_cache(maxsize=None)
def sector_coordinates(n_sites: int) -> SectorCoordinates:
    """The real sector coordinates of :func:`magbell.superop.sector_basis`, as index arrays (any N)."""
    N = _check_sites(n_sites)
    n = 2**N
    m = np.asarray(magnetisation(N))
    iu, ju = np.triu_indices(n, 1)  # i-major, j ascending: sector_basis's loop order
    row = np.concatenate([np.arange(n), np.repeat(iu, 2)])
    col = np.concatenate([np.arange(n), np.repeat(ju, 2)])
    part = np.concatenate([np.zeros(n, dtype=int), np.tile([1, 2], iu.size)])
    sign = (m[row] - m[col]) // 2
    q = np.abs(sign)
    blocks = tuple(np.flatnonzero(q == k) for k in range(N + 1))
    for a in (row, col, part, sign):
        a.setflags(write=False)
    return SectorCoordinates(n=n, row=row, col=col, part=part, sign=sign, blocks=blocks)


@dataclass(frozen=True)
class SectorBlocks:
    """Real blocks of the basis superoperators on sector |q|.

    ``flat`` is a sparse (n_q², K) matrix whose column k is the flattened (row-major) block of S_k, so the
    generator block of coefficients c (P, K) is ``(flat @ c.T).T.reshape(P, n_q, n_q)``. ``rotation`` is the
    dense (n_q, n_q) block of Σ_i S_{Δ_i} (the mean-splitting generator: exact 2×2 rotations by ``sign``);
    ``col_norms[k]`` the 1-norm of block k (for a cheap bound of ‖L_q‖₁).
    """

    q: int
    size: int
    flat: sp.csr_matrix
    rotation: np.ndarray
    col_norms: np.ndarray

    def generator(self, c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=float).reshape(-1, self.flat.shape[1])
        return np.asarray(self.flat @ c.T).T.reshape(c.shape[0], self.size, self.size)

    def term(self, k: int) -> np.ndarray:
        """Dense block of S_k."""
        return np.asarray(self.flat[:, k].todense()).reshape(self.size, self.size)


@lru_cache(maxsize=None)
def sector_blocks(n_sites: int) -> tuple:
    """:class:`SectorBlocks` for |q| = 0 … N, from :func:`basis_superoperators` (checked: Hermiticity
    preserving, exactly block diagonal in the |q| sectors)."""
    import scipy.sparse as sp  # lazily: not at `import magbell` time

    N = _check_sites(n_sites)
    sc = sector_coordinates(N)
    T, F = sc.to_real(), sc.from_real()
    S = basis_superoperators(N)
    K = len(S)
    label = np.abs(sc.sign)
    pos = np.empty(label.size, dtype=int)  # position of each coordinate inside its block
    for idx in sc.blocks:
        pos[idx] = np.arange(idx.size)
    sizes = [idx.size for idx in sc.blocks]
    rows = [[] for _ in sc.blocks]  # per q: flat index row*n_q + col, coefficient k, value
    ks = [[] for _ in sc.blocks]
    vals = [[] for _ in sc.blocks]
    norms = np.zeros((len(sc.blocks), K))
    for k, s in enumerate(S):
        full = (T @ (s @ F)).tocoo()
        if full.nnz and np.max(np.abs(full.data.imag)) > 1e-14:  # pragma: no cover - structural invariant
            raise AssertionError("basis superoperator is not Hermiticity preserving")
        keep = full.data != 0
        r, c, v = full.row[keep], full.col[keep], full.data[keep].real
        q = label[r]
        if np.any(q != label[c]):  # pragma: no cover - structural invariant
            raise AssertionError("generator is not block diagonal in |q| sectors")
        for qq in np.unique(q):
            m = q == qq
            nq = sizes[qq]
            rows[qq].append(pos[r[m]] * nq + pos[c[m]])
            ks[qq].append(np.full(m.sum(), k))
            vals[qq].append(v[m])
            colsum = np.bincount(pos[c[m]], weights=np.abs(v[m]), minlength=nq)
            norms[qq, k] = colsum.max()
    out = []
    for q, nq in enumerate(sizes):
        cat = (lambda x: np.concatenate(x) if x else np.zeros(0))  # noqa: E731
        flat = sp.csr_matrix((cat(vals[q]), (cat(rows[q]).astype(int), cat(ks[q]).astype(int))), shape=(nq * nq, K))
        rot = np.asarray(flat[:, :N].sum(axis=1)).reshape(nq, nq)
        rot.setflags(write=False)
        nrm = norms[q].copy()
        nrm.setflags(write=False)
        out.append(SectorBlocks(q=q, size=nq, flat=flat, rotation=rot, col_norms=nrm))
    return tuple(out)
