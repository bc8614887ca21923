"""Cross-check of magbell.evolve against QuTiP 5's mesolve, and of steady_state against QuTiP's steadystate.

QuTiP integrates the ODE with atol = rtol = 1e-12 (adams, nsteps 1e6); at these settings its error on
O(1) times is ~1e-11 (measured), so |Δρ| < 1e-9 is required — two decades tighter than the issue's 1e-7
and still two decades above QuTiP's own error. magbell's own error is ~1e-15 (tests/test_dynamics.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import qutip
import systems as S

import magbell
from magbell import Model

QUTIP_OPTIONS = dict(atol=1e-12, rtol=1e-12, nsteps=1_000_000, method="adams", store_states=True)
TOL = 1e-9
DIMS = [[2, 2], [2, 2]]


def mesolve_states(model, rho0, times):
    H, c_ops = model.to_qutip()
    res = qutip.mesolve(H, qutip.Qobj(rho0, dims=DIMS), times, c_ops, options=QUTIP_OPTIONS)
    return np.array([s.full() for s in res.states])


def _random_models(seed, n):
    rng = np.random.default_rng(seed)
    return [S.random_params(rng) for _ in range(n)]


@pytest.mark.parametrize("index", range(10))
def test_evolve_matches_mesolve(index):
    """Random valid models: complex A, At, D; Jz, Jperp, D_dm; dephasing; unequal local rates (most of
    them); several initial states incl. non-X ones; a non-uniform time grid."""
    params = _random_models(7, 10)[index]
    rng = np.random.default_rng(100 + index)
    m = Model(**params)
    t = np.concatenate([[0.0, 0.05], np.linspace(0.3, 4.0, 12)])
    inits = [S.rho_of("ud"), S.rho_of("phi-"), S.random_density_matrix(rng), S.proj(S.random_ket(rng))]
    got = magbell.evolve(m, inits, t, store_states=True).states
    for k, rho0 in enumerate(inits):
        ref = mesolve_states(m, rho0, t)
        assert np.max(np.abs(got[k] - ref)) < TOL, (params, k)


def test_random_models_cover_the_interesting_cases():
    """The parametrisation above really includes complex couplings, dephasing and unequal rates."""
    ps = _random_models(7, 10)
    assert sum(isinstance(p["A"], complex) and abs(np.imag(p["A"])) > 0.01 for p in ps) >= 5
    assert sum("a2" in p for p in ps) >= 3 and sum("a2" not in p for p in ps) >= 2
    assert all(abs(p["Jperp"]) + abs(p["D_dm"]) > 0 and p["d"] > 0 for p in ps)


def test_paper_trajectory_matches_mesolve():
    """The paper's Fig. 2 setting (a = |A| = 1, several delta) from |ud>, concurrence via qutip.concurrence."""
    t = np.linspace(0, 5, 26)
    for delta in (0.0, 0.3, 1.0, 2.0):
        m = Model(a=1.0, A=1.0, delta=delta)
        r = magbell.evolve(m, "ud", t, store_states=True)
        ref = mesolve_states(m, S.rho_of("ud"), t)
        assert np.max(np.abs(r.states - ref)) < TOL
        cq = np.array([qutip.concurrence(qutip.Qobj(x, dims=DIMS)) for x in ref])
        # qutip.concurrence is the naive sqrt-of-eigenvalues recipe: ~1e-8 noise on these rank-deficient states
        np.testing.assert_allclose(r.concurrence, cq, atol=1e-7)


def test_initial_state_as_qobj():
    m = Model(a=0.8, A=0.5 + 0.3j, Jperp=0.4, delta=0.2, d=0.1)
    t = np.linspace(0, 2, 11)
    rng = np.random.default_rng(3)
    ket = S.random_ket(rng)
    ref = mesolve_states(m, S.proj(ket), t)
    for q in (
        qutip.Qobj(ket.reshape(4, 1), dims=[[2, 2], [1, 1]]),
        qutip.ket2dm(qutip.Qobj(ket.reshape(4, 1), dims=[[2, 2], [1, 1]])),
    ):
        got = magbell.evolve(m, q, t, store_states=True).states
        assert np.max(np.abs(got - ref)) < TOL
    got = magbell.evolve(m, [qutip.basis([2, 2], [0, 1]), "ud"], t, store_states=True).states
    np.testing.assert_array_equal(got[0], got[1])  # basis([2,2],[0,1]) is |up, down> = |ud>


# =============================================================================================
# Steady states at a degenerate point
# =============================================================================================


def test_qutip_steadystate_is_wrong_at_degenerate_point_but_magbell_is_right():
    """a = |A|, at = |At| (finite temperature, delta = 0): ker L is 2-dimensional (the dark singlet and the
    thermal triplet), so the t -> inf state depends on the initial state. QuTiP's steadystate takes none
    and returns a matrix that is not the limit from |ud> (for this point it is not even PSD), while
    magbell.steady_state(model, "ud") equals the long-time evolve and the closed form (README system G)."""
    r = 0.1
    m = Model(a=1.0, A=1.0, a_tilde=r, A_tilde=r)
    H, c_ops = m.to_qutip()
    rho_q = qutip.steadystate(H, c_ops).full()
    long_time = magbell.evolve(m, "ud", [0.0, 1e3], store_states=True).states[-1]
    exact = S.dark_thermal_steady(r)
    np.testing.assert_allclose(long_time, exact, atol=1e-12)
    s = magbell.steady_state(m, "ud")
    np.testing.assert_allclose(s.rho, exact, atol=1e-12)
    assert s.concurrence == pytest.approx(S.dark_thermal_concurrence(r), abs=1e-14)
    assert not s.unique and s.n_stationary == 2
    # QuTiP: far from the limit and with a different concurrence
    assert np.max(np.abs(rho_q - exact)) > 1e-2
    assert abs(magbell.concurrence(rho_q) - S.dark_thermal_concurrence(r)) > 0.1


def test_qutip_steadystate_agrees_where_unique():
    """Control for the test above: at a non-degenerate point QuTiP and magbell agree (to QuTiP's ~1e-12)."""
    m = Model(a=1.0, A=0.8, a_tilde=0.1, A_tilde=0.08, delta=0.3, Jperp=0.2)
    H, c_ops = m.to_qutip()
    rho_q = qutip.steadystate(H, c_ops).full()
    s = magbell.steady_state(m)
    assert s.unique
    np.testing.assert_allclose(s.rho, rho_q, atol=1e-10)
