"""The one SVD kernel projector and the one dark-subspace routine (issue 10 §2: duplicates removed).

``svd_kernel_projector`` serves the real two-site blocks and, complex, the N-site sectors
(``_system_sectors.kernel_projector``); ``dark_subspace`` serves the two-site dark states and the N-site
sector ones. References: scipy.linalg.null_space (dense SVD) and the defining identities.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

from magbell.liouvillian._kernel import dark_subspace, svd_kernel_projector
from magbell.solvers._system_sectors import kernel_projector


def _rank_deficient(rng, n, k, complex_):
    def g(*s):
        return rng.normal(size=s) + (1j * rng.normal(size=s) if complex_ else 0)

    return g(n, n - k) @ g(n - k, n)


@pytest.mark.parametrize("complex_", [False, True])
def test_projector_is_the_spectral_projector_on_the_kernel(complex_):
    rng = np.random.default_rng(1)
    for n, k, scale in [(6, 1, 1.0), (6, 2, 1e8), (9, 3, 1e-6), (4, 0, 1.0)]:
        G = scale * _rank_deficient(rng, n, k, complex_)
        tol = 1e-9 * np.abs(G).sum(axis=0).max()
        P, mask, _, _ = svd_kernel_projector(G[None], np.array([tol]))
        P = P[0]
        assert mask.sum() == k
        assert np.iscomplexobj(P) == complex_
        assert np.abs(P @ P - P).max() < 1e-10
        assert np.abs(G @ P).max() < 1e-10 * scale * n and np.abs(P @ G).max() < 1e-10 * scale * n
        if k:  # range of P = ker G (scipy's dense null space)
            Z = sla.null_space(G, rcond=1e-10)
            assert Z.shape[1] == k
            assert np.abs(P @ Z - Z).max() < 1e-10
        P1, k1 = kernel_projector(G, tol)  # the unbatched N-site wrapper is the same function
        assert k1 == k and np.array_equal(P1, P)


def test_real_path_unchanged_by_complex_support():
    # the real two-site code path must stay real (no complex dtype leaks into steady_state's blocks)
    rng = np.random.default_rng(2)
    L = rng.normal(size=(20, 6, 6))
    L[:, :, 0] = 0.0
    P, mask, U, V = svd_kernel_projector(L, np.full(20, 1e-10))
    assert P.dtype == np.float64 and V.dtype == np.float64 and mask.sum(axis=1).tolist() == [1] * 20


def test_dark_subspace_kernel_and_invariance_with_disparate_rates():
    # two qubits, H = XY exchange, the collective σ⁻ = σ1⁻ + σ2⁻ at rates 1e-12 … 1e12: the dark kets are
    # |↓↓> and the singlet at every rate (reference: scipy's null space of the jump)
    sm = np.array([[0, 0], [1, 0]], dtype=complex)  # |↑>=(1,0) → |↓>=(0,1)
    I2 = np.eye(2)
    coll = np.kron(sm, I2) + np.kron(I2, sm)
    H = np.kron(sm, sm.conj().T) + np.kron(sm.conj().T, sm)
    for rate in (1.0, 1e-12, 1e12):
        J = np.sqrt(rate) * coll
        K = dark_subspace(J, H, 1e-10)
        # the collective σ⁻ kills |↓↓> and the singlet; both are H-eigenkets
        ref = sla.null_space(coll)
        assert K.shape[1] == 2 == ref.shape[1]
        assert np.abs(ref @ (ref.conj().T @ K) - K).max() < 1e-12
        HK = H @ K
        assert np.abs(HK - K @ (K.conj().T @ HK)).max() < 1e-12
    # a tiny site rate next to a huge one still counts: only |↓↓> survives σ1⁻ and σ2⁻ separately
    J = np.concatenate([np.sqrt(1e-12) * np.kron(sm, I2), np.sqrt(1e12) * np.kron(I2, sm)])
    K = dark_subspace(J, H, 1e-10)
    assert K.shape[1] == 1 and abs(abs(K[3, 0]) - 1) < 1e-12
    # without row normalisation a row below tol is lost (the reason the option defaults to True)
    J = 1e-12 * np.kron(sm, I2)
    assert dark_subspace(J, np.zeros((4, 4)), 1e-10, normalise=False).shape[1] == 4
    assert dark_subspace(J, np.zeros((4, 4)), 1e-10).shape[1] == 2
    # no jumps: the whole space, then its H-invariant part (all of it)
    assert dark_subspace(np.zeros((0, 4)), H, 1e-10).shape[1] == 4
