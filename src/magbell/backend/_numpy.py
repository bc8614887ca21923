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
            import scipy.linalg as sla

            return sla.eig(A, left=True, right=True)
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
