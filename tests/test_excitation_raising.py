"""The σ⁻ (raising) maps of liouvillian._excitation and the one N-site sector builder (issue 10 §2).

References from scratch: dense 2ᴺ σ⁺/σ⁻/σᶻ site operators (tests/systems.py's ``site_op``), restricted to the
excitation sectors by basis index (d = bit 1, site 1 the most significant bit), and the dense H, K = Σ h_ij O_j†O_i
of the System contract. Exact (0/1) maps must be equal entry by entry; the floating blocks to 1e-13.
"""

from __future__ import annotations

import numpy as np
import pytest

from magbell import InvalidParameterError, System
from magbell.liouvillian._excitation import basis_index, lowering_stack, raising_stack, sector_size
from magbell.solvers._system_sectors import Point, sector_states

from systems import site_op, system_h_k  # noqa: E402  (the shared dense references, no magbell imports)


def _restrict(O, N, dst, src):
    return O[np.ix_(basis_index(N, dst), basis_index(N, src))]


@pytest.mark.parametrize("N", [1, 2, 3, 4, 5])
def test_raising_stack_is_sigma_minus_and_the_transpose_of_lowering(N):
    for n in range(N + 1):
        R = raising_stack(N, n)
        M, M1 = sector_size(N, n), sector_size(N, n + 1)
        assert R.shape == (N * M1, M)
        if not M1:
            assert R.nnz == 0
            continue
        L = lowering_stack(N, n + 1)
        for i in range(N):
            blk = R[i * M1:(i + 1) * M1].toarray()
            np.testing.assert_array_equal(blk, L[i * M:(i + 1) * M].T.toarray())
            np.testing.assert_array_equal(blk, _restrict(site_op("-", i, N).real, N, n + 1, n))
        # every column (configuration) has one raising per empty site
        np.testing.assert_array_equal(np.asarray(R.sum(axis=0)).ravel(), np.full(M, N - n))


def test_sector_order_is_the_basis_order():
    """sector_states (the solvers' block coordinates) and _excitation's configurations list the basis indices
    with n ↓ bits in ascending order (from scratch: every index with n one-bits)."""
    from magbell.liouvillian._excitation import configurations

    for N in range(1, 11):
        for n in range(N + 1):
            ref = np.array([s for s in range(2**N) if bin(s).count("1") == n])
            np.testing.assert_array_equal(sector_states(N, n), ref)
            np.testing.assert_array_equal(basis_index(N, n), ref)
            bits = (ref[:, None] >> (N - 1 - np.arange(N))[None, :]) & 1  # site i down = bit N − 1 − i
            np.testing.assert_array_equal(configurations(N, n), np.nonzero(bits)[1].reshape(len(ref), n))


def _random_system(rng, N, thermal=True):
    def psd(scale):
        X = rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))
        return scale * X @ X.conj().T / N

    kw = dict(Delta=rng.normal(size=N) + 3.0, h_plus=psd(1.0), J_perp=np.triu(rng.normal(size=(N, N)), 1) * 0.3,
              J_z=np.triu(rng.normal(size=(N, N)), 1) * 0.3, D=np.triu(rng.normal(size=(N, N)), 1) * 0.3)
    if thermal:
        kw.update(h_minus=psd(0.3), h_z=psd(0.2))
    return System(**kw)


@pytest.mark.parametrize("N", [1, 3, 4])
def test_point_blocks_against_dense_site_operators(N):
    """Point (finite temperature) from the excitation builder equals the dense 2ᴺ construction: H_eff, H per
    sector, every jump block of both σ± channels (h = Σ_k λ_k v_k v_k†), the σᶻ multiplier."""
    rng = np.random.default_rng(20 + N)
    s = _random_system(rng, N)
    pt = Point(s, ())
    H, K = system_h_k(System(Delta=s.Delta - s.Delta.mean(), h_plus=s.h_plus, h_minus=s.h_minus,
                                   h_z=s.h_z, J_perp=s.J_perp, J_z=s.J_z, D=s.D))
    scale = np.abs(H).max() + np.abs(K).max()
    for n in range(N + 1):
        np.testing.assert_allclose(pt.heff(n), _restrict(H - 1j * K, N, n, n), rtol=0, atol=1e-13 * scale)
        np.testing.assert_allclose(pt.hamiltonian(n), _restrict(H, N, n, n), rtol=0, atol=1e-13 * scale)
        for m in range(N + 1):
            z = np.array([np.diag(site_op("z", i, N)).real for i in range(N)])
            ref = 2 * np.einsum("ia,ij,jb->ab", z[:, basis_index(N, n)], s.h_z, z[:, basis_index(N, m)])
            np.testing.assert_allclose(pt.zmult(n, m), ref, rtol=0, atol=1e-13 * scale)
    for name, op_name, dn in (("h_plus", "+", -1), ("h_minus", "-", 1)):
        V, lam = pt.jumps[name]
        h = getattr(s, name)
        np.testing.assert_allclose((V.T * lam) @ V.conj(), h, rtol=0, atol=1e-13 * np.abs(h).max())
        for k in range(len(lam)):
            J = sum(V[k, i] * site_op(op_name, i, N) for i in range(N))
            for src in range(N + 1):
                if 0 <= src + dn <= N:
                    np.testing.assert_allclose(pt.jump_block(name, k, src, src + dn),
                                               _restrict(J, N, src + dn, src), rtol=0, atol=1e-15)


def test_zero_temperature_block_point_is_the_same_point():
    """One builder: the N > 8 block path's Point (kmax, dense=False) is the t-free solvers' Point restricted to
    the sectors 0 … kmax; only the dense one refuses N > 8."""
    rng = np.random.default_rng(5)
    s = _random_system(rng, 4, thermal=False)
    a, b = Point(s, ()), Point(s, (), 2, dense=False)
    assert (a.kmax, b.kmax) == (4, 2) and not len(b.jumps["h_minus"][1])
    for n in range(3):
        np.testing.assert_array_equal(a.heff(n), b.heff(n))
    Ga, _ = a.generator([(1, 0), (2, 1)])
    Gb, _ = b.generator([(1, 0), (2, 1)])
    np.testing.assert_array_equal(Ga, Gb)
    big = System(Delta=np.ones(10), h_plus=np.eye(10))
    with pytest.raises(InvalidParameterError, match="N <= 8"):
        Point(big, ())
    pt = Point(big, (), 1, dense=False)
    # jump 3 is σ⁺ of site 3 (h_plus = 1): from the configuration "site 3 down", index 9 − 3 in basis order
    np.testing.assert_array_equal(pt.jump_block("h_plus", 3, 1, 0), np.eye(10)[None, 9 - 3])


@pytest.mark.parametrize("N", [1, 4, 6])
def test_scipy_free_entries_and_dense_heff_equal_the_sparse_ones(N):
    """The index lists Point uses (no scipy.sparse import on the t-free path) are the stacks' ones, and
    heff_dense is heff().toarray() bit for bit."""
    from magbell.liouvillian._excitation import excitation_system, lowering_entries, raising_entries

    rng = np.random.default_rng(N)
    s = _random_system(rng, N)
    ex = excitation_system(s.Delta, s.h_plus, s.h_minus, s.h_z, s.J_perp, s.J_z, s.D)
    for n in range(N + 1):
        np.testing.assert_array_equal(ex.heff_dense(n), ex.heff(n).toarray())
        for entries, stack in ((lowering_entries, lowering_stack), (raising_entries, raising_stack)):
            r, c = entries(N, n)
            dense = np.zeros(stack(N, n).shape)
            dense[r, c] += 1.0
            np.testing.assert_array_equal(dense, stack(N, n).toarray())
