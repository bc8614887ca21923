"""The linear basis of the two-site generator: the operator list O of Eq. (3), the Hamiltonian terms and
the Kossakowski matrix h as linear combinations of :data:`COEFFICIENT_NAMES`, and the superoperators
(full and per |q| sector) of each coefficient, so that 𝓛 = Σ_k c_k S_k (Zou, Zhang & Tserkovnyak,
PRB 106, L180406 (2022), Eqs. (2)–(4), (S38)). :class:`magbell.Model` builds its generator from these."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import _operators as ops
from ..liouvillian._superop import sector_basis

# Operator list O of Eq. (3), in the paper's order.
_O_NAMES = ("σ1-", "σ2-", "σ1+", "σ2+", "σ1z", "σ2z")


@lru_cache(maxsize=None)
def _operator_list() -> np.ndarray:
    o = np.stack(
        [
            ops.sigma_minus(0),
            ops.sigma_minus(1),
            ops.sigma_plus(0),
            ops.sigma_plus(1),
            ops.sigma_z(0),
            ops.sigma_z(1),
        ]
    )
    o.setflags(write=False)
    return o


@lru_cache(maxsize=None)
def _hamiltonian_terms() -> np.ndarray:
    """H = Σ_k c_k H_k for c = (delta, Delta, Jz, Jperp, D_dm)."""
    s1z, s2z = ops.sigma_z(0), ops.sigma_z(1)
    s1x, s2x = ops.sigma_x(0), ops.sigma_x(1)
    s1y, s2y = ops.sigma_y(0), ops.sigma_y(1)
    terms = np.stack(
        [
            -(s1z - s2z) / 2,  # delta:  -(Δ1 σ1z + Δ2 σ2z)/2 with Δ1,2 = Δ ± δ
            -(s1z + s2z) / 2,  # Delta
            s1z @ s2z,  # Jz
            s1x @ s2x + s1y @ s2y,  # Jperp
            s1x @ s2y - s1y @ s2x,  # D_dm: ẑ·(σ1 × σ2)
        ]
    )
    terms.setflags(write=False)
    return terms


def _h_unit(entries: dict) -> np.ndarray:
    h = np.zeros((6, 6), dtype=complex)
    for (i, j), v in entries.items():
        h[i, j] = v
    return h


@lru_cache(maxsize=None)
def _h_basis() -> np.ndarray:
    """h = Σ_k c_k h_k for the real coefficients listed in ``_DISSIPATIVE_COEFFS``."""
    return np.stack(
        [
            _h_unit({(2, 2): 1}),  # a1
            _h_unit({(3, 3): 1}),  # a2
            _h_unit({(3, 2): 1, (2, 3): 1}),  # Re A   (h[σ2+, σ1+] = A)
            _h_unit({(3, 2): 1j, (2, 3): -1j}),  # Im A
            _h_unit({(0, 0): 1}),  # ã1
            _h_unit({(1, 1): 1}),  # ã2
            _h_unit({(0, 1): 1, (1, 0): 1}),  # Re Ã   (h[σ1-, σ2-] = Ã)
            _h_unit({(0, 1): 1j, (1, 0): -1j}),  # Im Ã
            _h_unit({(4, 4): 1}),  # d1
            _h_unit({(5, 5): 1}),  # d2
            _h_unit({(4, 5): 1, (5, 4): 1}),  # Re 𝔇  (h[σ1z, σ2z] = 𝔇)
            _h_unit({(4, 5): 1j, (5, 4): -1j}),  # Im 𝔇
        ]
    )


#: Names of the real coefficients the generator is linear in, in order.
COEFFICIENT_NAMES = (
    "delta",
    "Delta",
    "Jz",
    "Jperp",
    "D_dm",
    "a1",
    "a2",
    "Re A",
    "Im A",
    "a_tilde1",
    "a_tilde2",
    "Re A_tilde",
    "Im A_tilde",
    "d1",
    "d2",
    "Re D_deph",
    "Im D_deph",
)


@lru_cache(maxsize=None)
def system_coefficient_map() -> np.ndarray:
    """M (17, 17) with ``System coefficients = Model coefficients @ M`` (exact: entries 0, ±1).

    Columns follow :func:`magbell.system.generator.coefficient_names` for N = 2: Δ_1 = Δ + δ, Δ_2 = Δ − δ;
    h_plus = [[a1, A*], [A, a2]] (so Im h_plus[1,2] = −Im A), h_minus = [[ã1, Ã], [Ã*, ã2]], h_z = [[d1, 𝔇], [𝔇*, d2]].
    """
    M = np.zeros((len(COEFFICIENT_NAMES), len(COEFFICIENT_NAMES)))
    M[0, 0], M[0, 1] = 1.0, -1.0  # delta
    M[1, 0], M[1, 1] = 1.0, 1.0  # Delta
    M[2, 3] = M[3, 2] = M[4, 4] = 1.0  # Jz -> J_z[1,2], Jperp -> J_perp[1,2], D_dm -> D[1,2]
    for k in range(5, 17):  # a1, a2, Re A, Im A, ã..., d...: the same slot
        M[k, k] = 1.0
    M[8, 8] = -1.0  # h_plus[1,2] = A*
    M.setflags(write=False)
    return M


@lru_cache(maxsize=None)
def basis_superoperators() -> np.ndarray:
    """Complex (K, 16, 16) superoperators S_k with generator = Σ_k c_k S_k (row-major vectorisation).

    They come from the N-site builder :func:`magbell.system.generator.basis_superoperators` (the Model is
    its two-site parameterisation, :func:`system_coefficient_map`): one generator builder for every solver.
    """
    from .generator import basis_superoperators as _system_basis

    S = np.stack([s.toarray() for s in _system_basis(2)])
    out = np.einsum("kj,jab->kab", system_coefficient_map(), S)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=None)
def basis_blocks() -> tuple:
    """Real (K, n_q, n_q) blocks of the basis superoperators for |q| = 0, 1, 2."""
    sb = sector_basis(2)
    full = basis_superoperators()
    real = sb.to_real @ full @ sb.from_real
    if np.max(np.abs(real.imag)) > 1e-14:  # pragma: no cover - structural invariant
        raise AssertionError("basis superoperators are not Hermiticity preserving")
    real = real.real
    blocks = []
    all_idx = np.arange(real.shape[-1])
    for idx in sb.blocks:
        outside = np.setdiff1d(all_idx, idx)
        if np.max(np.abs(real[:, idx[:, None], outside[None, :]]), initial=0) > 0:  # pragma: no cover
            raise AssertionError("generator is not block diagonal in |q| sectors")
        b = np.ascontiguousarray(real[:, idx[:, None], idx[None, :]])
        b.setflags(write=False)
        blocks.append(b)
    return tuple(blocks)
