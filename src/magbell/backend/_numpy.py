"""The default backend: NumPy/SciPy, delegating to magbell's own kernels (:mod:`magbell.backend._expm`,
:mod:`magbell.backend._propagate`, :mod:`magbell.backend._scaled`, :mod:`magbell.liouvillian._kernel`,
:mod:`magbell.liouvillian._stationary`) and to ``numpy.linalg`` for batched eigen-decompositions, solves and SVDs."""

from __future__ import annotations

import numpy as np

from ..liouvillian._kernel import svd_kernel_projector
from ..liouvillian._stationary import stationary_blocks
from ._expm import expm
from ._propagate import is_uniform, propagate
from ._scaled import scaled_expm

__all__ = ["NumpyBackend"]


class NumpyBackend:
    """Float64 NumPy/SciPy numerics (the :class:`magbell.backend.Backend` protocol)."""

    name = "numpy"

    def __repr__(self) -> str:
        return "NumpyBackend()"

    @staticmethod
    def expm(A, projector=None):
        return expm(A, projector)

    @staticmethod
    def propagate(L, r0, times, uniform=None, exact=None, block0=False, info=None, *, scaled=False, steps=None,
                  which=None, split=False, rows=None):
        return propagate(L, r0, times, uniform=uniform, exact=exact, block0=block0, info=info, scaled=scaled,
                         steps=steps, which=which, split=split, rows=rows)

    @staticmethod
    def scaled_expm(X, pattern=None):
        return scaled_expm(X, pattern)

    @staticmethod
    def is_uniform(times):
        return is_uniform(times)

    @staticmethod
    def stationary_blocks(c, r0, tol_rel, sb, per_block=False):
        return stationary_blocks(c, r0, tol_rel, sb, per_block=per_block)

    @staticmethod
    def kernel_projector(L, tol_abs):
        return svd_kernel_projector(L, tol_abs)

    @staticmethod
    def eig(A, left=False):
        if left:
            return _eig_left_right(A)
        return np.linalg.eig(A)

    @staticmethod
    def eigvals(A):
        return np.linalg.eigvals(A)

    @staticmethod
    def eigh(A):
        return np.linalg.eigh(A)

    @staticmethod
    def solve(A, b):
        return np.linalg.solve(A, b)

    @staticmethod
    def svd(A, full_matrices=True, compute_uv=True):
        return np.linalg.svd(A, full_matrices=full_matrices, compute_uv=compute_uv)


def _eig_left_right(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``scipy.linalg.eig(A, left=True, right=True)`` for one matrix, computed on A scaled by an exact power of two
    to max|A_ij| in [1/2, 1): SciPy 1.17's eig (LAPACK geev with its own norm scaling) returns wrong eigenvalues
    for max|A_ij| below ~1e-139 or above ~1e149 (measured: [[-1j, -.5j], [-.5j, -1j]]·1e-150 gave
    −3.4e-139j and −1.0e-138j for −0.5e-150j and −1.5e-150j; ·1e150 gave 7e-13 of the true values) while
    ``numpy.linalg.eigvals`` is right. The eigenvectors of 2^-k·A are those of A; the eigenvalues are scaled back
    exactly (ldexp)."""
    import scipy.linalg as sla

    A = np.asarray(A)
    m = float(np.max(np.abs(A))) if A.size else 0.0
    k = int(np.frexp(m)[1]) if np.isfinite(m) and m > 0 else 0
    w, vl, vr = sla.eig(np.ldexp(A.real, -k) + 1j * np.ldexp(A.imag, -k) if np.iscomplexobj(A) else np.ldexp(A, -k),
                        left=True, right=True)
    return np.ldexp(w.real, k) + 1j * np.ldexp(w.imag, k), vl, vr
