"""The backend protocol: the numerical kernels the solvers call, and nothing else.

A backend is a small object with a ``name`` and pure functions over arrays (no validation, no Model: the
solvers validate at the boundary in NumPy and hand plain float64/complex128 arrays over). The NumPy/SciPy
implementation is :class:`magbell.backend._numpy.NumpyBackend`; another (e.g. JAX) is one new module
registered in :data:`magbell.backend.BACKENDS`, never imported by the core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # annotations only
    import numpy as np

__all__ = ["Backend"]


@runtime_checkable
class Backend(Protocol):
    """What a solver may ask of a backend (shapes: leading batch axis P; real or complex float64)."""

    #: the name results record in their ``backend`` field and :func:`magbell.backend.get_backend` takes
    name: str

    def expm(self, A: np.ndarray, projector: np.ndarray | None = None) -> np.ndarray:
        """``exp(A)`` for a stack (P, n, n), exact to rounding (Padé scaling and squaring)."""

    def propagate(self, L: np.ndarray, r0: np.ndarray, times: np.ndarray, uniform: bool | None = None,
                  exact=None, block0: bool = False, info: dict | None = None, *, scaled: bool = False,
                  steps: np.ndarray | None = None, which: np.ndarray | None = None, split: bool = False,
                  rows: np.ndarray | None = None):
        """States ``exp(L t) r0``: L (P, n, n) real generators, r0 (S, n), times (T,) → (P, S, n, T)
        (``rows``: only those components, (P, S, len(rows), T)). ``block0``: False, True (two-site |q| = 0
        block) or the block's trace functional ℓ (n,), whose stationary direction may be deflated.

        ``scaled=True``: the renormalised variant of conditional evolution (L real or complex, r0
        (P or 1, S, n, k), optional step plan ``steps``/``which``) → ``(X, LS)`` with X (P, S, n, k, T) and
        int64 log2-scales LS (P, S, T) or None; ``split`` returns X as (real part, imaginary part)."""

    def scaled_expm(self, X: np.ndarray, pattern: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``exp(X) = 2^c·E`` for a stack X (B, n, n), real or complex: E (B, n, n) with its largest entry in
        [0.5, 1) and int64 exponents c (B,), so that neither overflow nor a global underflow can occur
        (monitoring's two-part stepping and the N-site trajectories' ill-conditioned sectors need the matrix
        itself, not its action). ``pattern``: the exact boolean sparsity pattern of exp(X), or None."""

    def is_uniform(self, times: np.ndarray) -> bool:
        """Whether ``times`` is a uniform grid (exact powers of one step may be used)."""

    def stationary_blocks(self, c: np.ndarray, r0: np.ndarray, tol_rel: np.ndarray, sb,
                          per_block: bool = False):
        """The kernel (stationary) projector of the two-site generator applied to ``r0``, per sector."""

    def kernel_projector(self, L: np.ndarray, tol_abs: np.ndarray):
        """Spectral projector onto ker L along range L for a stack of real blocks: ``(P0, mask, U, V)``."""

    def eig(self, A: np.ndarray, left: bool = False) -> tuple[np.ndarray, ...]:
        """Batched eigenvalues and right eigenvectors of general matrices; ``left=True`` (one matrix (n, n)):
        ``(w, VL, VR)`` with the left eigenvectors paired column by column (as ``scipy.linalg.eig``)."""

    def eigvals(self, A: np.ndarray) -> np.ndarray:
        """Batched eigenvalues of general matrices."""

    def eigh(self, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Batched eigen-decomposition of Hermitian matrices (ascending eigenvalues)."""

    def solve(self, A: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Batched linear solve ``A x = b``."""

    def svd(self, A: np.ndarray, full_matrices: bool = True, compute_uv: bool = True):
        """Batched singular value decomposition, as ``numpy.linalg.svd``: ``(U, s, Vh)`` (s descending), or s
        alone with ``compute_uv=False``."""
