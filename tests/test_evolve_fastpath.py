"""evolve's W2 fast path (issue 10 §6): only the block coordinates reachable from ρ0 are propagated, and of
those only the rows the measures read (``propagate(..., rows=...)``). Checked against the full path (all
coordinates, ``store_states=True``) and a dense 16×16 expm, including finite temperature (every coordinate
reachable), |q| = 2 coherences, several initial states and the critical line δ = |A|."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

import magbell
from magbell.backend import get_backend
from magbell.solvers._evolve import _reachable_coordinates


def _model(draw):
    def u(lo, hi, n=50):
        return lo + (hi - lo) * draw(st.integers(0, n)) / n
    a = u(0.1, 2.0)
    A = u(0, 0.99) * a * np.exp(1j * u(-3, 3))
    kw = dict(a=a, A=A, delta=u(-2, 2), Delta=u(-3, 3))
    if draw(st.booleans()):
        kw.update(a_tilde=0.3 * a, A_tilde=0.3 * A, d=u(0, 0.5))
    if draw(st.booleans()):
        kw.update(Jz=u(-1, 1), Jperp=u(-1, 1), D_dm=u(-1, 1))
    return magbell.Model(**kw)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data(), init=st.sampled_from(["ud", "psi+", "phi+", "uu", "dd", "q1"]))
def test_fast_measures_equal_the_full_path_and_a_dense_reference(data, init):
    m = _model(data.draw)
    if init == "q1":  # weight in every |q| block, coherences of |q| = 1 included
        init = np.array([0.5, 0.5j, -0.5, 0.5 + 0.0j])
    t = np.linspace(0, 6, 41)
    fast = magbell.evolve(m, init, t, measures=("concurrence", "populations"))
    full = magbell.evolve(m, init, t, store_states=True)
    np.testing.assert_allclose(fast.concurrence, full.concurrence, rtol=0, atol=1e-14)
    np.testing.assert_allclose(fast.populations, full.populations, rtol=0, atol=1e-14)
    L = m.liouvillian()
    rho0 = magbell.density_matrix(init)
    np.testing.assert_allclose(full.states[0], rho0, rtol=0, atol=1e-15)
    for k in (13, 40):
        rho = (expm(L * t[k]) @ rho0.reshape(16)).reshape(4, 4)
        np.testing.assert_allclose(full.states[k], rho, rtol=0, atol=1e-13)
        np.testing.assert_allclose(fast.populations[k], np.real(np.diag(rho)), rtol=0, atol=1e-13)


def test_critical_line_grid_exact():
    """W2's structure (T = 0, |ud>): ρ33 is unreachable and dropped; along the critical line δ = |A| (the
    exceptional point) the fast concurrence equals the full path's, whose ρ_dd is an exact zero."""
    d = np.arange(0, 11) / 10.0
    m = magbell.Model(a=1.0, A=d, delta=d)
    t = np.linspace(0, 5, 200)
    fast = magbell.evolve(m, "ud", t, measures=("concurrence",))
    full = magbell.evolve(m, "ud", t, store_states=True)
    np.testing.assert_allclose(fast.concurrence, full.concurrence, rtol=0, atol=1e-14)
    assert np.all(full.states[..., 3, 3] == 0)  # ρ_dd exactly zero at T = 0


def test_reachable_coordinates_and_rows_option():
    m = magbell.Model(a=1.0, A=0.5, delta=0.3)
    L0 = np.asarray(m.liouvillian_blocks()[0])[None]
    r0 = np.array([[0.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    keep = _reachable_coordinates(L0, r0)
    assert 3 not in keep and {0, 1, 2, 4, 5} <= set(keep.tolist())  # |dd> unreachable at T = 0
    t = np.linspace(0, 5, 37)
    bk = get_backend()
    whole = bk.propagate(L0, r0, t, block0=True)
    rows = np.array([0, 4, 5])
    np.testing.assert_allclose(bk.propagate(L0, r0, t, block0=True, rows=rows), whole[:, :, rows], rtol=0, atol=1e-15)
    tt = np.array([0.3, 1.1, 4.0])  # the direct (non-uniform) path
    np.testing.assert_array_equal(bk.propagate(L0, r0, tt, rows=rows), bk.propagate(L0, r0, tt)[:, :, rows])
    np.testing.assert_allclose(whole[0, 0, 3], 0.0, atol=0)


def test_reduced_block_is_exact_at_long_times():
    """Regression: the reachable-coordinate reduction (the 5×5 |q| = 0 block from |ud> at T = 0), deflated at long
    times, gave 6e-12 in ρ (a = 1, |A| = 0.999, δ = 0.01, t = 100) where the whole block gave 9e-15: the old
    deflation projector masked xℓ entrywise with the reachability pattern, which broke its rank-one structure.
    The one trace-kernel projector zeroes x itself and is refined, and the reduced block is used at all times."""
    from magbell.paper import closed_forms as cf

    times = np.array([0.0, 3.0, 40.0, 100.0, 200.0])
    r = magbell.evolve(magbell.Model(a=1, A=0.999, delta=0.01, Delta=2.5), "ud", times, store_states=True)
    assert np.max(np.abs(r.states - cf.zero_temperature_rho(times, 1, 0.999, 0.01))) < 1e-13


# ------------------------------------------------------------------ issue 10 §6, second pass (the W2 engine)
def test_feeding_coordinates_drop_only_what_cannot_reach_the_rows_read():
    """From |ud> at T = 0 the concurrence reads Re, Im ρ12 (ρ00 is not read: ρ33 is unreachable), which are fed by
    ρ11, ρ22, Re, Im ρ12 only: the propagated block is 4×4. The result equals the full path's on a grid that
    includes the critical line δ = |A| (the exceptional point), |A| = 0 and complex A with the XXZ+DM couplings."""
    from magbell._domain import block_without_mean_phase
    from magbell.solvers._evolve import _feeding_coordinates, _wanted_rows

    m = magbell.Model(a=1.0, A=np.array([0.0, 0.3, 0.6j, 0.8 * np.exp(0.7j)])[None, :],
                      delta=np.array([0.0, 0.3, 0.6, 0.8])[:, None], Jz=0.2, Jperp=0.1, D_dm=0.15)
    L, _ = block_without_mean_phase(m.coefficients().reshape(-1, 17), 0)
    r0 = np.array([[0.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    keep = _reachable_coordinates(L, r0)
    rows = np.array(sorted(_wanted_rows(0, ("concurrence",), True, False, keep) & set(keep.tolist())))
    assert keep.tolist() == [0, 1, 2, 4, 5] and rows.tolist() == [4, 5]
    assert _feeding_coordinates(L, keep, rows).tolist() == [1, 2, 4, 5]
    t = np.linspace(0, 5, 200)
    fast = magbell.evolve(m, "ud", t, measures=("concurrence",))
    full = magbell.evolve(m, "ud", t, store_states=True)
    np.testing.assert_allclose(fast.concurrence, full.concurrence, rtol=0, atol=1e-14)
    # at long times (no reduction beyond reachability: the deflation needs the trace-carrying ρ00) still exact
    from magbell.paper import closed_forms as cf

    times = np.array([0.0, 40.0, 2000.0])
    r = magbell.evolve(magbell.Model(a=1, A=0.999, delta=0.01), "ud", times, measures=("concurrence",))
    rho = cf.zero_temperature_rho(times, 1, 0.999, 0.01)
    np.testing.assert_allclose(r.concurrence, 2 * np.abs(rho[:, 1, 2]), rtol=0, atol=1e-13)


def test_default_chunks_do_not_change_the_fast_concurrence():
    """The fast path's chunks (sized for the rows it holds) vs one point per chunk: the same numbers to rounding
    (the Padé order follows a chunk's largest norm; 2.5e-14 in ρ here, as before the change of chunk size)."""
    m = magbell.Model(a=1.0, A=np.linspace(0, 1, 9)[None, :], delta=np.linspace(0, 2, 7)[:, None], a_tilde=0.1)
    t = np.linspace(0, 5, 60)
    ref = magbell.evolve(m, ["ud", "psi+"], t, measures=("concurrence", "populations"), chunk_points=1)
    got = magbell.evolve(m, ["ud", "psi+"], t, measures=("concurrence", "populations"))
    np.testing.assert_allclose(got.concurrence, ref.concurrence, rtol=0, atol=1e-13)
    np.testing.assert_allclose(got.populations, ref.populations, rtol=0, atol=1e-13)


@pytest.mark.parametrize("T", [2, 3, 4, 5, 7, 9, 16, 17, 33, 200])
def test_uniform_path_layout_and_values(T):
    """The √T-anchor path writes each component's (P, S, T) block contiguously (rows outermost), the full big steps
    in place and the last partial one from a two-step product; every grid length agrees with exp(L t_k) per time,
    for all rows, one row and two rows, one and two initial vectors, t0 = 0 and t0 > 0."""
    rng = np.random.default_rng(T)
    m = magbell.Model(a=rng.uniform(0.5, 1.5, 6), A=0.4 * np.exp(1j * rng.uniform(0, 6, 6)), delta=0.3, a_tilde=0.2,
                      Jz=0.3)
    L = np.asarray(m.liouvillian_blocks()[0])
    r0 = rng.normal(size=(2, 6))
    bk = get_backend()
    for t in (np.linspace(0, 3, T), np.linspace(0.7, 3, T)):
        ref = bk.propagate(L, r0, t, uniform=False)  # exp(L t_k) per time
        for rows in (None, np.array([4]), np.array([0, 5])):
            for S in (1, 2):
                x = bk.propagate(L, r0[:S], t, uniform=True, **({} if rows is None else {"rows": rows}))
                want = ref[:, :S] if rows is None else ref[:, :S][:, :, rows]
                assert x.shape == want.shape
                np.testing.assert_allclose(x, want, rtol=0, atol=1e-13)
                assert all(x[:, :, k].flags.c_contiguous for k in range(x.shape[2]))


def test_reachable_groups_graphs_exactly():
    """reachable(): one closure per distinct coupling graph of a large stack (and a read-only broadcast when all
    share one) equals the closure of every matrix on its own (powers of I + |L| > 0), for mixed, shared, complex
    and small stacks of n = 1 … 8."""
    from magbell.liouvillian._kernel import reachable

    def brute(L):
        n = L.shape[-1]
        R = ((L != 0) | np.eye(n, dtype=bool)).astype(float)
        return np.linalg.matrix_power(R, max(n, 1)) > 0

    rng = np.random.default_rng(7)
    for n in range(1, 9):
        for P in (1, 5, 40, 200):
            base = rng.random((n, n)) < 0.35
            L = rng.normal(size=(P, n, n)) * base
            mixed = L.copy()
            mixed[: P // 3] *= rng.random((P // 3, n, n)) < 0.5
            for X in (L, mixed, mixed * (1 + 1j)):
                R = reachable(X)
                assert R.dtype == bool and R.shape == X.shape
                np.testing.assert_array_equal(R, brute(X))
            if P >= 32 and n * n <= 62:
                assert not reachable(L).flags.writeable  # shared graph: one closure, broadcast
    np.testing.assert_array_equal(reachable(np.zeros((3, 4, 2, 2))), np.broadcast_to(np.eye(2, dtype=bool), (3, 4, 2, 2)))


def test_dominant_solve_is_the_row_by_row_elimination():
    """The no-pivoting solve of the Padé denominators eliminates all rows below a pivot at once on [Q | R]: the
    same operations, entry by entry, as the textbook one-row-at-a-time elimination (bit-identical), and within
    rounding of LAPACK's pivoted solve."""
    from magbell.backend._expm import _dominant_solve

    def textbook(Q, R):
        n = Q.shape[-1]
        q = np.ascontiguousarray(np.moveaxis(Q, 0, -1))
        r = np.array(np.moveaxis(R, 0, -1), order="C")
        for k in range(n - 1):
            inv = 1.0 / q[k, k]
            for i in range(k + 1, n):
                f = q[i, k] * inv
                q[i, k + 1 :] -= f * q[k, k + 1 :]
                r[i] -= f * r[k]
        for k in range(n - 1, -1, -1):
            for j in range(k + 1, n):
                r[k] -= q[k, j] * r[j]
            r[k] /= q[k, k]
        return np.moveaxis(r, -1, 0)

    rng = np.random.default_rng(11)
    for n in range(1, 9):
        for dtype in (float, complex):
            Q = rng.normal(size=(50, n, n)).astype(dtype)
            if dtype is complex:
                Q = Q + 1j * rng.normal(size=(50, n, n))
            Q[:, np.arange(n), np.arange(n)] = np.abs(Q).sum(axis=-2) + 1.0  # strictly column dominant
            R = rng.normal(size=(50, n, n)).astype(dtype)
            got = _dominant_solve(Q, R)
            np.testing.assert_array_equal(got, textbook(Q, R))
            np.testing.assert_allclose(got, np.linalg.solve(Q, R), rtol=0, atol=1e-14)


def _states_reference(rb, sb):
    """ρ from the block coordinates the slow obvious way: the full 16 real coordinates, then vec(ρ) =
    from_real @ r entry by entry (the writer under test copies each coordinate into its float slots)."""
    from magbell.solvers._evolve import _blocks_to_coords, _coords_to_rho

    return _coords_to_rho(_blocks_to_coords(rb, sb), sb)


@pytest.mark.parametrize("block_bytes", [256, 4096, 2**19])
def test_states_writer_blocks_and_structural_zeros(monkeypatch, block_bytes):
    """store_states (issue 10 §6, STATES): each computed coordinate is copied into its slots of the output block
    by block (points, and times where one point's states exceed the block), the structural zeros left from
    np.zeros (zeroed=True) or written per block (zeroed=False, over garbage): every block size and both modes
    give the reference ρ exactly, for X states (|q| = 0, 2), all three blocks and several initial states."""
    from magbell.liouvillian._superop import sector_basis
    from magbell.solvers import _evolve as E

    monkeypatch.setattr(E, "_STATES_BLOCK_BYTES", block_bytes)
    sb = sector_basis(2)
    rng = np.random.default_rng(5)
    p, S, T = 7, 2, 37
    cases = [{0: E._Rows(rng.normal(size=(p, S, 5, T)), [0, 1, 2, 4, 5], 6)},  # |ud> at T = 0: ρ33 unreachable
             {0: E._Rows(rng.normal(size=(p, S, 6, T)), np.arange(6), 6),
              2: E._Rows(rng.normal(size=(p, S, 2, T)), [0, 1], 2)},
             {q: E._Rows(rng.normal(size=(p, S, len(b), T)), np.arange(len(b)), len(b))
              for q, b in enumerate(sb.blocks)}]
    # the propagator's layouts: each row's (p, S, T) block contiguous (a strided (p, S, n, T) view), and the
    # direct path's (p, S, T, n) transposed, whose |q| = 1 rows have a 64-byte stride (8 coordinates): NumPy 2.4's
    # np.negative(x, out=strided) reads such an input with the wrong stride (AVX-512 loop), so the writer must not
    # use it there
    cases.append({0: E._Rows(np.moveaxis(rng.normal(size=(5, p, S, T)), 0, 2), [0, 1, 2, 4, 5], 6)})
    cases.append({q: E._Rows(np.moveaxis(rng.normal(size=(p, S, T, len(b))), 3, 2), np.arange(len(b)), len(b))
                  for q, b in enumerate(sb.blocks)})
    for rb in cases:
        want = _states_reference(rb, sb)
        got = E._states_into(rb, sb, np.zeros((p, S, T, 4, 4), dtype=complex), zeroed=True)
        np.testing.assert_array_equal(got, want)
        junk = np.full((p, S, T, 4, 4), np.nan + 1j * np.nan)
        np.testing.assert_array_equal(E._states_into(rb, sb, junk), want)


def test_store_states_is_a_plain_array_equal_to_a_dense_reference(monkeypatch):
    """r.states is a real C-contiguous complex128 ndarray of shape (..., n_times, 4, 4) holding exact zeros where
    ρ has structural zeros, equal (bit for bit) to the measures' path and within 1e-13 of a dense 16×16 expm,
    with small write blocks (long grids split over times) as with the default."""
    from magbell.solvers import _evolve as E

    m = magbell.Model(a=1.0, A=np.array([[0.0, 0.5j, 1.0]]), delta=np.array([[0.2], [1.0]]), Delta=1.5)
    t = np.linspace(0, 5, 101)
    ref = magbell.evolve(m, ["ud", "psi+"], t, measures=("concurrence", "populations", "purity"), store_states=True)
    monkeypatch.setattr(E, "_STATES_BLOCK_BYTES", 1000)  # 3 states per block: the time axis is split
    r = magbell.evolve(m, ["ud", "psi+"], t, measures=("concurrence", "populations", "purity"), store_states=True)
    assert type(r.states) is np.ndarray and r.states.dtype == np.complex128 and r.states.flags.c_contiguous
    assert r.states.shape == (2, 3, 2, 101, 4, 4)
    np.testing.assert_array_equal(r.states.view(float), ref.states.view(float))
    for k in ("concurrence", "populations", "purity"):
        np.testing.assert_array_equal(r.measures[k], ref.measures[k])
    assert np.all(r.states[..., 0, :, 3, 3] == 0) and np.all(r.states[..., 0, :, 0, 3] == 0)  # |ud>: ρ_dd, ρ_uu,dd
    purity = magbell.evolve(m, ["ud", "psi+"], t, measures=("purity",))  # ρ built per chunk over np.empty
    np.testing.assert_array_equal(purity.measures["purity"], ref.measures["purity"])
    for i, j, s in ((0, 2, 0), (1, 1, 1)):
        mm = magbell.Model(a=1.0, A=m.A[0, j], delta=m.delta[i, 0], Delta=1.5)
        rho0 = magbell.density_matrix(["ud", "psi+"][s])
        for k in (0, 37, 100):
            rho = (expm(mm.liouvillian() * t[k]) @ rho0.reshape(16)).reshape(4, 4)
            np.testing.assert_allclose(r.states[i, j, s, k], rho, rtol=0, atol=1e-13)
