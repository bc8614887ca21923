"""Excitation-number structure of the N-site generator, built directly from a System's N×N blocks.

With H_S = −½ Σ_i Δ_i σ_iᶻ the state |u⟩ is the ground state and ↓ the excitation; σ⁺ = |u⟩⟨d| removes
one. Every term of the System contract (docs/system.md; Zou, Zhang & Tserkovnyak, PRB 106, L180406
(2022), Eqs. 2–4 and S38 for N sites) either conserves the number of excitations n (the Hamiltonian, the
anticommutator parts of the dissipator, the σᶻ jumps) or changes it by ±1 on both sides of ρ at once (the
σ⁺ and σ⁻ jumps). Writing ρ in blocks X_{n,m} (ket with n, bra with m excitations),

    dX_{n,m}/dt = −i (H_n X_{n,m} − X_{n,m} H_m†) + 2 Σ_ij hz_ij σ_iᶻ X_{n,m} σ_jᶻ
                  + 2 Σ_ij hp_ij σ_i⁺ X_{n+1,m+1} σ_j⁻ + 2 Σ_ij hm_ij σ_i⁻ X_{n−1,m−1} σ_j⁺,

with H_n the effective non-Hermitian Hamiltonian H − i G (G = Σ_ij hp_ij σ_j⁻σ_i⁺ + hm_ij σ_j⁺σ_i⁻
+ hz_ij σ_jᶻσ_iᶻ) restricted to n excitations: a C(N, n) × C(N, n) matrix. This module builds H_n (sparse:
the hopping part plus a diagonal), the σᶻ jump as an elementwise multiplier of X_{n,m}, and the σ± jumps as
stacked sparse lowering (σ⁺) and raising (σ⁻) maps — never a 2ᴺ or 4ᴺ object.

Configurations of n excitations are listed in increasing basis index (the index of the u/d string read as a
binary number, d = 1, site 1 the most significant bit), i.e. colex order of the excited bit positions
p = N − 1 − site, so that :func:`rank` is the combinatorial number system Σ_k C(p_k, k).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "configurations",
    "rank",
    "lowering_entries",
    "lowering_stack",
    "raising_entries",
    "raising_stack",
    "sector_size",
    "ExcitationSystem",
    "excitation_system",
]


def sector_size(N: int, n: int) -> int:
    """C(N, n): the number of configurations with n excitations among N sites."""
    return math.comb(N, n) if 0 <= n <= N else 0


@lru_cache(maxsize=64)
def _binom_table(N: int, kmax: int) -> np.ndarray:
    """table[p, k] = C(p, k) for 0 ≤ p ≤ N, 0 ≤ k ≤ kmax, clipped at 2⁶² (a clipped entry is never a term
    of the rank of an existing configuration: every term is smaller than the sector size)."""
    t = np.zeros((N + 1, kmax + 2), dtype=np.int64)
    cap = 2**62
    for p in range(N + 1):
        for k in range(kmax + 2):
            t[p, k] = min(math.comb(p, k), cap)
    t.setflags(write=False)
    return t


@lru_cache(maxsize=256)
def _colex(n: int, N: int) -> np.ndarray:
    """All n-subsets of range(N) as ascending rows, in colex order (= increasing Σ 2^p)."""
    if n == 0:
        return np.zeros((1, 0), dtype=np.int64)
    if n > N:
        return np.zeros((0, n), dtype=np.int64)
    parts = []
    for top in range(n - 1, N):
        sub = _colex(n - 1, top)
        parts.append(np.column_stack([sub, np.full(sub.shape[0], top, dtype=np.int64)]))
    out = np.concatenate(parts)
    out.setflags(write=False)
    return out


def configurations(N: int, n: int) -> np.ndarray:
    """(C(N, n), n) excited sites (0-based, ascending) of every configuration, in basis-index order."""
    p = _colex(n, N)
    return (N - 1 - p)[:, ::-1]


def rank(N: int, sites: np.ndarray) -> np.ndarray:
    """Position of configurations (..., n) of distinct excited sites (any order) in :func:`configurations`."""
    sites = np.asarray(sites, dtype=np.int64)
    n = sites.shape[-1]
    if n == 0:
        return np.zeros(sites.shape[:-1], dtype=np.int64)
    p = np.sort(N - 1 - sites, axis=-1)
    t = _binom_table(N, n)
    return t[p, np.arange(1, n + 1)].sum(axis=-1)


def basis_index(N: int, n: int) -> np.ndarray:
    """Basis index (in the 2ᴺ basis, N ≤ 62) of every configuration of n excitations."""
    if N > 62:
        raise ValueError("basis indices of more than 62 sites do not fit in int64")
    p = _colex(n, N)
    return (np.int64(1) << p).sum(axis=-1) if n else np.zeros(1, dtype=np.int64)


def _frozen(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


@lru_cache(maxsize=64)
def lowering_entries(N: int, n: int):
    """(rows, cols) of the ones of :func:`lowering_stack` (N, n), without scipy: for every configuration C
    (column) of n excitations and every excited site i of C, row i·C(N, n−1) + rank(C − {i})."""
    M, Ml = sector_size(N, n), sector_size(N, n - 1)
    conf = configurations(N, n)
    rows = [conf[:, k] * Ml + rank(N, np.delete(conf, k, axis=1)) for k in range(n)]
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.tile(np.arange(M, dtype=np.int64), n)
    return _frozen(r.astype(np.int64), c)


@lru_cache(maxsize=64)
def raising_entries(N: int, n: int):
    """(rows, cols) of the ones of :func:`raising_stack` (N, n), without scipy: for every configuration C
    (column) of n excitations and every site i not excited in C, row i·C(N, n+1) + rank(C ∪ {i})."""
    M, Mu = sector_size(N, n), sector_size(N, n + 1)
    if not Mu:
        return _frozen(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    conf = configurations(N, n)
    occ = np.zeros((M, N), dtype=bool)
    occ[np.arange(M)[:, None], conf] = True
    c, site = np.nonzero(~occ)  # configuration, empty site
    new = np.concatenate([conf[c], site[:, None]], axis=1)
    return _frozen((site * Mu + rank(N, new)).astype(np.int64), c.astype(np.int64))


@lru_cache(maxsize=64)
def lowering_stack(N: int, n: int):
    """Sparse (N·C(N, n−1), C(N, n)) map: row i·C(N, n−1) + rank(C − {i}) of column C is 1 for every
    excited site i of C, i.e. the vertical stack of σ_i⁺ restricted to n → n − 1 excitations."""
    import scipy.sparse as sp  # lazily: not at `import magbell` time

    r, c = lowering_entries(N, n)
    return sp.csr_matrix((np.ones(r.size), (r, c)), shape=(N * sector_size(N, n - 1), sector_size(N, n)))


@lru_cache(maxsize=64)
def raising_stack(N: int, n: int):
    """Sparse (N·C(N, n+1), C(N, n)) map: the vertical stack of σ_i⁻ restricted to n → n + 1 excitations
    (row i·C(N, n+1) + rank(C ∪ {i}) of column C is 1 for every site i not excited in C).

    σ_i⁻ = (σ_i⁺)ᵀ, so block i is the transpose of block i of ``lowering_stack(N, n + 1)``:
    ``raising_stack(N, n)[i*M1:(i+1)*M1] == lowering_stack(N, n + 1)[i*M:(i+1)*M].T`` with M = C(N, n),
    M1 = C(N, n + 1) (tests/test_excitation_raising.py). Empty (0 rows) for n = N."""
    import scipy.sparse as sp  # lazily: not at `import magbell` time

    r, c = raising_entries(N, n)
    return sp.csr_matrix((np.ones(r.size), (r, c)), shape=(N * sector_size(N, n + 1), sector_size(N, n)))


def _hops(N: int, n: int):
    """Every move of one excitation within n excitations: (source config, target config, from site, to site)."""
    conf = configurations(N, n)
    M = conf.shape[0]
    if n == 0 or n == N:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z, z
    occ = np.zeros((M, N), dtype=bool)
    occ[np.arange(M)[:, None], conf] = True
    empty = np.nonzero(~occ)[1].reshape(M, N - n)  # ascending empty sites per config
    src, dst, frm, to = [], [], [], []
    for k in range(n):
        rest = np.delete(conf, k, axis=1)  # (M, n-1)
        new = np.concatenate([np.repeat(rest[:, None, :], N - n, axis=1), empty[:, :, None]], axis=2)
        src.append(np.repeat(np.arange(M), N - n))
        dst.append(rank(N, new).reshape(-1))
        frm.append(np.repeat(conf[:, k], N - n))
        to.append(empty.reshape(-1))
    return tuple(np.concatenate(x) for x in (src, dst, frm, to))


@dataclass(frozen=True, eq=False)
class ExcitationSystem:
    """One System's generator in excitation blocks (a single point of the batch).

    ``K[j, i]`` is the amplitude of H_eff for moving an excitation from site i to site j (i ≠ j);
    ``e[i]`` the single-excitation diagonal, ``U`` (symmetric, zero diagonal) the pair term and ``c0`` the
    constant of H_eff's diagonal: E(C) = c0 + Σ_{i∈C} e_i + Σ_{i<j∈C} U_ij. ``hz`` is the σᶻ block,
    ``hp``, ``hm`` the σ⁺ and σ⁻ blocks. Splittings enter as given (pass Δ − mean Δ to factor it out).
    """

    N: int
    K: np.ndarray
    e: np.ndarray
    U: np.ndarray
    c0: complex
    hp: np.ndarray
    hm: np.ndarray
    hz: np.ndarray

    # ------------------------------------------------------------------ H_eff per excitation number
    def diagonal(self, n: int) -> np.ndarray:
        """E(C) for every configuration of n excitations (C(N, n),)."""
        conf = configurations(self.N, n)
        E = np.full(conf.shape[0], self.c0, dtype=complex)
        if n:
            E = E + self.e[conf].sum(axis=1)
        for a in range(n):
            for b in range(a + 1, n):
                E = E + self.U[conf[:, a], conf[:, b]]
        return E

    def hopping(self, n: int):
        """The off-diagonal part of H_n as a sparse CSR matrix."""
        import scipy.sparse as sp  # lazily: not at `import magbell` time

        M = sector_size(self.N, n)
        src, dst, frm, to = _hops(self.N, n)
        v = self.K[to, frm]
        keep = v != 0
        return sp.csr_matrix((v[keep], (dst[keep], src[keep])), shape=(M, M))

    def heff(self, n: int):
        """H_eff restricted to n excitations (sparse CSR, C(N, n) × C(N, n))."""
        import scipy.sparse as sp  # lazily: not at `import magbell` time

        return (self.hopping(n) + sp.diags(self.diagonal(n))).tocsr()

    def heff_dense(self, n: int) -> np.ndarray:
        """H_eff restricted to n excitations as a dense array, without scipy: the same entries as
        ``heff(n).toarray()`` (each hop joins one pair of configurations, none lies on the diagonal)."""
        M = sector_size(self.N, n)
        out = np.zeros((M, M), dtype=complex)
        src, dst, frm, to = _hops(self.N, n)
        out[dst, src] = self.K[to, frm]
        out[np.arange(M), np.arange(M)] = self.diagonal(n)
        return out

    # ------------------------------------------------------------------ the σᶻ jump and the H_eff diagonal as a multiplier
    def spin_sums(self, n: int, vec: np.ndarray) -> np.ndarray:
        """Σ_i vec_i s_i(C) for every configuration (s_i = +1 up, −1 down)."""
        conf = configurations(self.N, n)
        out = np.full(conf.shape[0], vec.sum(), dtype=complex)
        if n:
            out = out - 2 * vec[conf].sum(axis=1)
        return out

    def zjump(self, n: int, m: int) -> np.ndarray:
        """(C(N, n), C(N, m)) multiplier: 2 s(C)ᵀ hz s(C′) (the σᶻ jump acts on X_{n,m} elementwise)."""
        hz = self.hz
        cn, cm = configurations(self.N, n), configurations(self.N, m)
        tot = hz.sum()
        row = hz.sum(axis=1)  # (hz 1)_i
        col = hz.sum(axis=0)  # (1ᵀ hz)_j
        a = np.full(cn.shape[0], tot, dtype=complex)
        if n:
            a = a - 2 * row[cn].sum(axis=1)
        b = np.zeros(cm.shape[0], dtype=complex)
        if m:
            b = b - 2 * col[cm].sum(axis=1)
        out = a[:, None] + b[None, :]
        for x in range(n):
            for y in range(m):
                out = out + 4 * hz[cn[:, x][:, None], cm[:, y][None, :]]
        return 2 * out

    def multiplier(self, n: int, m: int) -> np.ndarray:
        """Φ_{n,m} = −i(E_n(C) − conj E_m(C′)) + 2 s(C)ᵀ hz s(C′): the elementwise part of the block generator."""
        En, Em = self.diagonal(n), self.diagonal(m)
        out = -1j * (En[:, None] - np.conj(Em)[None, :])
        if np.any(self.hz != 0):
            out = out + self.zjump(n, m)
        return out


def excitation_system(Delta, h_plus, h_minus, h_z, J_perp, J_z, D) -> ExcitationSystem:
    """The excitation-block data of one System point (arrays of the System contract, no batch axes).

    H_eff = H − iG with (derivation in the module docstring; every sign checked against the dense 4ᴺ
    generator in tests/test_nsite_evolve.py):
    hopping K = −i hpᵀ − i hm + C, where C_ij = 2J⊥_ij − 2iD_ij moves an excitation j → i for i < j and
    C_ji = 2J⊥_ij + 2iD_ij the reverse (σˣσˣ + σʸσʸ = 2(σ⁺σ⁻ + σ⁻σ⁺), σˣ_iσʸ_j − σʸ_iσˣ_j = 2i(σ⁺_iσ⁻_j − σ⁻_iσ⁺_j));
    diagonal with s_i = 1 − 2n_i: −½Σ Δ_i s_i − i Σ hp_ii n_i − i Σ hm_ii (1 − n_i) − i Σ hz_ii
    + Σ_{i<j} (Jz_ij − 2i Re hz_ij) s_i s_j.
    """
    Delta = np.asarray(Delta, dtype=float)
    hp = np.asarray(h_plus, dtype=complex)
    hm = np.asarray(h_minus, dtype=complex)
    hz = np.asarray(h_z, dtype=complex)
    N = Delta.shape[-1]
    K = -1j * hp.T  # every term is skipped when its block is zero (N = 1000: 1e6 entries per operation)
    if np.any(hm != 0):
        K = K - 1j * hm
    Jp, Dm, Jz = (np.triu(np.asarray(x, dtype=float), 1) for x in (J_perp, D, J_z))
    if np.any(Jp != 0) or np.any(Dm != 0):
        C = 2 * Jp - 2j * Dm
        K = K + C + (2 * Jp + 2j * Dm).T
    np.fill_diagonal(K, 0.0)
    hzr = np.triu(hz.real, 1) if np.any(hz != 0) else None
    if np.any(Jz != 0) or hzr is not None:
        Uu = Jz - 2j * hzr if hzr is not None else Jz.astype(complex)
    else:
        Uu = np.zeros((N, N), dtype=complex)
    Us = Uu + Uu.T  # symmetric, zero diagonal
    rows = Us.sum(axis=1)
    # Σ_{i<j} U_ij s_i s_j = Σ_{i<j} U_ij − 2 Σ_{i∈C} r_i + 4 Σ_{i<j∈C} U_ij
    e = Delta - 1j * np.real(np.diag(hp)) + 1j * np.real(np.diag(hm)) - 2 * rows
    c0 = complex(-0.5 * Delta.sum() - 1j * np.real(np.diag(hm)).sum() - 1j * np.real(np.diag(hz)).sum() + Uu.sum())
    return ExcitationSystem(N=N, K=K, e=e.astype(complex), U=4 * Us, c0=c0, hp=hp, hm=hm, hz=hz)
