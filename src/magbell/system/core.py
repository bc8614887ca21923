"""``System``: N spin qubits with per-site splittings, coherent XXZ + DM couplings and a Kossakowski dissipator.

The N-site generalisation of the two-qubit model of Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022),
Eqs. (2)–(4) and (S38); conventions in :mod:`magbell.system.generator` and docs/system.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError
from .generator import BLOCK_NAMES, COUPLING_NAMES, MAX_SITES, coefficient_names, pairs, site_operator

__all__ = ["System", "MAX_MAGNITUDE"]

#: the same limit as ``Model.MAX_MAGNITUDE`` and the solvers' ``RATE_MAX`` (tests keep them equal)
MAX_MAGNITUDE = 1e150
#: largest N a System holds (its N×N blocks; the excitation-block evolve of issue 11). The dense 2ᴺ operators
#: (hamiltonian, jump_operators, to_qutip) and the 4ᴺ generator builder stay limited to generator.MAX_SITES.
MAX_SYSTEM_SITES = 4096
#: relative tolerance (times N) for Hermiticity and the smallest eigenvalue of an h block
_PSD_RTOL = 16 * np.finfo(float).eps


def _array(name: str, value, complex_ok: bool) -> np.ndarray:
    bad = f"{name} must be a number or an array of numbers"
    if isinstance(value, (str, bytes)):
        raise InvalidParameterError(f"{bad}, got the string {value!r}")
    if isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{bad} (True/False is not a number here), got {value!r}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"{bad}, got {value!r}") from None
    if arr.dtype.kind == "b":
        raise InvalidParameterError(f"{bad} (True/False is not a number here), got {value!r}")
    if arr.dtype.kind not in "iufc":
        raise InvalidParameterError(f"{bad}, got {value!r}")
    if arr.dtype.kind == "c" and not complex_ok:
        if np.any(arr.imag != 0):
            raise InvalidParameterError(f"{name} must be real, but has a non-zero imaginary part")
        arr = arr.real
    arr = np.array(arr, dtype=complex if complex_ok else float)
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} must be finite (no NaN or inf)")
    mag = np.maximum(np.abs(arr.real), np.abs(arr.imag))
    if np.any(mag > MAX_MAGNITUDE):
        raise InvalidParameterError(
            f"|{name}| must be <= {MAX_MAGNITUDE:g} (larger values overflow float64 in the generator), "
            f"but its largest entry has magnitude {float(mag.max()):.3g}"
        )
    return arr


def _where(mask: np.ndarray) -> str:
    if mask.ndim == 0:
        return ""
    idx = np.argwhere(mask)
    return f" at batch index {tuple(int(i) for i in idx[0])} ({len(idx)} of {mask.size} points)"


@dataclass(frozen=True, eq=False)
class System:
    """N qubits: ``System(Delta=[Δ_1, …, Δ_N], h_plus=Hp, h_minus=Hm, h_z=Hz, J_perp=Jp, J_z=Jz, D=Dm)``.

    ========= ==========================================================================================
    Delta     per-site splittings, shape (..., N): H_S = −½ Σ_i Δ_i σ_iᶻ
    h_plus    N×N Hermitian PSD block over σ⁺ (diagonal a_i, off-diagonal the dissipative couplings;
              the two-qubit Model has [[a1, A*], [A, a2]])
    h_minus   the same over σ⁻ (ã_i, Ã_ij; Model: [[ã1, Ã], [Ã*, ã2]])
    h_z       the same over σᶻ (d_i, 𝔇_ij; Model: [[d1, 𝔇], [𝔇*, d2]])
    J_perp    real N×N, only i < j read: J⊥_ij (σ_iˣσ_jˣ + σ_iʸσ_jʸ)
    J_z       real N×N, only i < j read: Jz_ij σ_iᶻσ_jᶻ
    D         real N×N, only i < j read: D_ij (σ_iˣσ_jʸ − σ_iʸσ_jˣ)
    ========= ==========================================================================================

    dρ/dt = −i[H, ρ] − Σ_ij h_plus[i, j] (σ_j⁻σ_i⁺ρ + ρσ_j⁻σ_i⁺ − 2σ_i⁺ρσ_j⁻) − (h_minus over (σ_i⁻, σ_j⁺))
    − (h_z over (σ_iᶻ, σ_jᶻ)). Blocks default to zero; leading batch axes broadcast (``shape``). Validation
    raises one-line :class:`~magbell.errors.InvalidParameterError` s (finite, |x| ≤ 1e150, shapes, real
    couplings, h Hermitian and positive semidefinite with the smallest eigenvalue reported).

    >>> s = System(Delta=[1.0, 1.0, 1.0], h_plus=np.ones((3, 3)))
    >>> s.N, s.shape
    (3, ())
    """

    Delta: np.ndarray
    h_plus: np.ndarray
    h_minus: np.ndarray
    h_z: np.ndarray
    J_perp: np.ndarray
    J_z: np.ndarray
    D: np.ndarray

    def __init__(self, *, Delta=None, h_plus=None, h_minus=None, h_z=None, J_perp=None, J_z=None, D=None):
        blocks = dict(h_plus=h_plus, h_minus=h_minus, h_z=h_z, J_perp=J_perp, J_z=J_z, D=D)
        arrs = {}
        if Delta is not None:
            d = _array("Delta", Delta, complex_ok=False)
            if d.ndim == 0:
                raise InvalidParameterError(
                    "Delta must have a trailing site axis of length N (one splitting per site), got a scalar"
                )
            arrs["Delta"] = d
        for name, v in blocks.items():
            if v is None:
                continue
            a = _array(name, v, complex_ok=name in BLOCK_NAMES)
            if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
                raise InvalidParameterError(f"{name} must have trailing shape (N, N), got shape {a.shape}")
            arrs[name] = a
        sizes = {k: (v.shape[-1]) for k, v in arrs.items()}
        if not sizes:
            raise InvalidParameterError("System needs Delta (one splitting per site) or an N×N block to know N")
        if len(set(sizes.values())) > 1:
            raise InvalidParameterError(f"the number of sites N differs between arguments: {sizes}")
        N = next(iter(sizes.values()))
        if not 1 <= N <= MAX_SYSTEM_SITES:
            raise InvalidParameterError(f"the number of sites N must satisfy 1 <= N <= {MAX_SYSTEM_SITES}, got {N}")
        batch = {k: v.shape[:-1] if k == "Delta" else v.shape[:-2] for k, v in arrs.items()}
        try:
            shape = np.broadcast_shapes(*batch.values())
        except ValueError:
            raise InvalidParameterError(f"the batch axes of the arguments do not broadcast together: {batch}") from None
        for name in ("Delta",) + BLOCK_NAMES + COUPLING_NAMES:
            if name not in arrs:
                z = np.zeros((N,) if name == "Delta" else (N, N), dtype=complex if name in BLOCK_NAMES else float)
                arrs[name] = z
        for name in BLOCK_NAMES:
            _check_psd(name, arrs[name], N)
            h = arrs[name]
            arrs[name] = (h + np.conj(np.swapaxes(h, -1, -2))) / 2  # exactly Hermitian (within the tolerance)
        for name in COUPLING_NAMES:  # only the upper triangle is read
            arrs[name] = arrs[name] * np.triu(np.ones((N, N)), 1)
        for name, v in arrs.items():
            v.setflags(write=False)
            object.__setattr__(self, name, v)
        object.__setattr__(self, "_shape", tuple(shape))
        object.__setattr__(self, "_N", int(N))

    # ------------------------------------------------------------------ basic properties
    @property
    def N(self) -> int:
        """Number of sites."""
        return self._N

    @property
    def shape(self) -> tuple:
        """Broadcast batch shape (``()`` for a single system)."""
        return self._shape

    @property
    def size(self) -> int:
        return int(np.prod(self._shape, dtype=int))

    def __repr__(self) -> str:
        return f"System(N={self._N}, shape={self._shape})"

    def __getitem__(self, index) -> "System":
        """Index the batch: ``system[3]`` is the system at that batch point."""
        if self._shape == ():
            raise InvalidParameterError("a single System (batch shape ()) cannot be indexed")
        kw = {}
        for name in ("Delta",) + BLOCK_NAMES + COUPLING_NAMES:
            v = getattr(self, name)
            tail = v.shape[-1:] if name == "Delta" else v.shape[-2:]
            b = np.broadcast_to(v, self._shape + tail)
            kw[name] = b[index]
        return System(**kw)

    # ------------------------------------------------------------------ the generator's coefficients
    def coefficients(self) -> np.ndarray:
        """Real coefficients (``(*shape, K)``) of the generator in :func:`~magbell.system.generator.basis_superoperators`."""
        N, shp = self._N, self._shape
        iu, ju = (np.array(x, dtype=int) for x in zip(*pairs(N))) if N > 1 else (np.zeros(0, int), np.zeros(0, int))
        cols = [np.broadcast_to(self.Delta, shp + (N,))]
        for name in COUPLING_NAMES:
            cols.append(np.broadcast_to(getattr(self, name), shp + (N, N))[..., iu, ju])
        for name in BLOCK_NAMES:
            h = np.broadcast_to(getattr(self, name), shp + (N, N))
            cols.append(np.real(np.diagonal(h, axis1=-2, axis2=-1)))
            off = h[..., iu, ju]
            cols.append(np.stack([off.real, off.imag], axis=-1).reshape(shp + (2 * iu.size,)))
        c = np.concatenate(cols, axis=-1).astype(float)
        assert c.shape[-1] == len(coefficient_names(N))
        return c

    # ------------------------------------------------------------------ dense operators (small N)
    def hamiltonian(self) -> np.ndarray:
        """H (``(*shape, 2ᴺ, 2ᴺ)``, complex) of the contract."""
        from ._operators import SX, SY, SZ

        N, shp = self._N, self._shape
        _dense_guard(N, "hamiltonian()")
        sz = [site_operator(SZ, i, N).toarray() for i in range(N)]
        sx = [site_operator(SX, i, N).toarray() for i in range(N)]
        sy = [site_operator(SY, i, N).toarray() for i in range(N)]
        dlt = np.broadcast_to(self.Delta, shp + (N,))
        H = np.zeros(shp + (2**N, 2**N), dtype=complex)
        for i in range(N):
            H = H - 0.5 * dlt[..., i, None, None] * sz[i]
        for i, j in pairs(N):
            jp = np.broadcast_to(self.J_perp, shp + (N, N))[..., i, j, None, None]
            jz = np.broadcast_to(self.J_z, shp + (N, N))[..., i, j, None, None]
            dm = np.broadcast_to(self.D, shp + (N, N))[..., i, j, None, None]
            H = H + jp * (sx[i] @ sx[j] + sy[i] @ sy[j]) + jz * (sz[i] @ sz[j]) + dm * (sx[i] @ sy[j] - sy[i] @ sx[j])
        return H

    def jumps(self) -> dict:
        """Jump data per block: ``{"h_plus": (rates, vectors), ...}`` with rates (*shape, N) ≥ 0 and vectors
        (*shape, N, N) (column k ↦ J_k = √rate_k Σ_i vectors[i, k] O_i, O = σ⁺, σ⁻ or σᶻ), so that
        h = V diag(rates) V† and the dissipator is Σ_k D_{J_k}. Rates below rounding (≤ 16·N·eps·max) are 0."""
        out = {}
        for name in BLOCK_NAMES:
            h = np.broadcast_to(getattr(self, name), self._shape + (self._N, self._N))
            lam, V = np.linalg.eigh(h)
            top = np.max(np.abs(lam), axis=-1, keepdims=True)
            lam = np.where(lam <= _PSD_RTOL * self._N * top, 0.0, lam)
            out[name] = (lam, V)
        return out

    def jump_operators(self) -> np.ndarray:
        """Dense jump operators J_k (``(*shape, 3N, 2ᴺ, 2ᴺ)``): h_plus's, then h_minus's, then h_z's."""
        from ._operators import SM, SP, SZ

        N = self._N
        _dense_guard(N, "jump_operators()")
        ops = {"h_plus": SP, "h_minus": SM, "h_z": SZ}
        out = []
        for name, (lam, V) in self.jumps().items():
            O = np.stack([site_operator(ops[name], i, N).toarray() for i in range(N)])
            J = np.einsum("...ik,iab->...kab", V * np.sqrt(lam)[..., None, :], O)
            out.append(J)
        return np.concatenate(out, axis=-3)

    def to_qutip(self):
        """``(H, c_ops)`` as QuTiP ``Qobj`` s (collapse operators √2·J_k; zero-rate jumps dropped); single system only."""
        if self._shape != ():
            raise InvalidParameterError(
                f"to_qutip() needs a single system, but this System has batch shape {self._shape}; index it first"
            )
        from .._optional import require

        qutip = require("qutip", what="to_qutip()")  # optional dependency, imported lazily
        dims = [[2] * self._N, [2] * self._N]
        H = qutip.Qobj(self.hamiltonian(), dims=dims)
        c_ops = [qutip.Qobj(np.sqrt(2.0) * J, dims=dims) for J in self.jump_operators() if np.any(J != 0)]
        return H, c_ops


def _check_psd(name: str, h: np.ndarray, N: int) -> None:
    if not np.any(h):  # a zero block (the default) is PSD: no O(N³) eigenvalues at N = 1000
        return
    scale = np.max(np.maximum(np.abs(h.real), np.abs(h.imag)), axis=(-2, -1))
    asym = np.max(np.abs(h - np.conj(np.swapaxes(h, -1, -2))), axis=(-2, -1))
    bad = asym > _PSD_RTOL * N * scale
    if np.any(bad):
        where = _where(bad)
        raise InvalidParameterError(
            f"{name} must be Hermitian (h[i, j] = conj(h[j, i]), real diagonal), but max|h − h†| = "
            f"{float(asym[bad].max()):.3g}{where}"
        )
    hs = (h + np.conj(np.swapaxes(h, -1, -2))) / 2
    if _psd_fast(hs, N):
        return
    lam = np.linalg.eigvalsh(hs)
    top = np.max(np.abs(lam), axis=-1)
    low = lam[..., 0]
    bad = low < -_PSD_RTOL * N * top
    if np.any(bad):
        raise InvalidParameterError(
            f"{name} must be positive semidefinite (thermodynamic stability, Suppl. S42–S47), but its smallest "
            f"eigenvalue is {float(low[bad].min()):.6g}{_where(bad)}"
        )


def _psd_fast(hs: np.ndarray, N: int) -> bool:
    """True when ``hs`` (Hermitian, batched) is certainly within the PSD tolerance without an eigendecomposition:
    a diagonal block (its eigenvalues are the diagonal), or a Cholesky factorisation of hs + tol·max|h_ii|·1 that
    succeeds (max|h_ii| ≤ the largest |eigenvalue|, so the shift is within the tolerance of the eigenvalue test).
    False means "decide by eigvalsh" (also for the error message's smallest eigenvalue). A System of N = 4096
    independent sites took 285 s of eigvalsh on the loaded 2-core machine."""
    diag = np.real(np.diagonal(hs, axis1=-2, axis2=-1))
    off = hs.copy()
    idx = np.arange(N)
    off[..., idx, idx] = 0
    if not np.any(off):
        top = np.max(np.abs(diag), axis=-1)
        return bool(np.all(diag.min(axis=-1) >= -_PSD_RTOL * N * top))
    shift = _PSD_RTOL * N * np.max(np.abs(diag), axis=-1)
    try:
        np.linalg.cholesky(hs + shift[..., None, None] * np.eye(N))
    except np.linalg.LinAlgError:
        return False
    return True


def _dense_guard(N: int, what: str) -> None:
    """The dense 2ᴺ × 2ᴺ operators exist up to generator.MAX_SITES sites only (N = 8: 65,536 entries each)."""
    if N > MAX_SITES:
        raise InvalidParameterError(
            f"{what} forms dense 2^N × 2^N matrices, limited to N <= {MAX_SITES} sites (this System has N = {N}); "
            "magbell.evolve works with the excitation blocks instead"
        )
