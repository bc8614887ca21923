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
