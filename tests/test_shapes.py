"""The batching shape contract: parameter grids broadcast, results have shape (*model.shape, [n_init,] n_t, ...),
and a grid result equals the per-point results (model[i, j]).

Grid and per-point runs use the same arithmetic on different stack sizes (batched matmul vs single), so
they agree to rounding: 1e-14.
"""

from __future__ import annotations

import numpy as np
import pytest
import systems as S

import magbell
from magbell import InvalidParameterError, Model

MEASURES = list(magbell.measures.MEASURES)
VECTOR = ("populations", "bell_fidelities")


def test_model_shapes_broadcast():
    assert Model(a=1.0).shape == ()
    assert Model(a=[1.0, 2.0, 3.0]).shape == (3,)
    m = Model(a=np.ones((3, 1)), A=[0.0, 0.1, 0.2, 0.3], delta=0.5)
    assert m.shape == (3, 4) and m.size == 12
    assert Model(a=np.ones((2, 1, 1)), A=np.zeros((1, 3, 1)), Jz=np.zeros(4), a2=np.ones((2, 3, 4))).shape == (2, 3, 4)
    assert m.coefficients().shape == (3, 4, 17)
    assert m.hamiltonian().shape == (3, 4, 4, 4)
    assert m.h_matrix().shape == (3, 4, 6, 6)
    assert m.jump_operators().shape == (3, 4, 6, 4, 4)
    assert m.liouvillian().shape == (3, 4, 16, 16)
    assert [b.shape for b in m.liouvillian_blocks()] == [(3, 4, 6, 6), (3, 4, 8, 8), (3, 4, 2, 2)]


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 1, 3)])
@pytest.mark.parametrize("several", [False, True])
def test_evolve_shapes(shape, several):
    m = Model(a=np.ones(shape), A=0.5 * np.ones(shape), delta=0.2)
    t = np.linspace(0, 1, 5)
    init = ["ud", "phi+", S.random_density_matrix(np.random.default_rng(0))] if several else "ud"
    r = magbell.evolve(m, init, t, measures=MEASURES, store_states=True)
    lead = shape + ((3,) if several else ())
    for name in MEASURES:
        extra = (4,) if name in VECTOR else ()
        assert r.measures[name].shape == lead + (5,) + extra, name
    assert r.states.shape == lead + (5, 4, 4)
    assert r.shape == lead + (5,)
    assert r.times.shape == (5,)


def test_scalar_time_and_default_measures():
    r = magbell.evolve(Model(a=[1.0, 2.0]), "ud", 0.5)
    assert set(r.measures) == {"concurrence", "populations"}
    assert r.concurrence.shape == (2, 1) and r.populations.shape == (2, 1, 4) and r.states is None


def test_initial_state_array_forms_add_an_axis(rng):
    m = Model(a=[1.0, 2.0], A=0.5)
    t = [0.0, 1.0]
    stack = np.array([S.random_density_matrix(rng) for _ in range(3)])
    assert magbell.evolve(m, stack, t).concurrence.shape == (2, 3, 2)  # (n, 4, 4) array
    kets = np.array([S.random_ket(rng) for _ in range(5)])
    assert magbell.evolve(m, kets, t).concurrence.shape == (2, 5, 2)  # (n, 4) array of kets, n != 4
    assert magbell.evolve(m, ["ud"], t).concurrence.shape == (2, 1, 2)  # a list of one state keeps the axis


def test_steady_state_shapes():
    m = Model(a=np.ones((2, 1)), A=[0.2, 0.5, 1.0])
    s = magbell.steady_state(m, "ud", measures=MEASURES)
    assert s.rho.shape == (2, 3, 4, 4)
    for name in MEASURES:
        assert s.measures[name].shape == (2, 3) + ((4,) if name in VECTOR else ()), name
    assert s.unique.shape == s.n_stationary.shape == s.converges.shape == (2, 3)
    s2 = magbell.steady_state(m, ["ud", "dd"])
    assert s2.rho.shape == (2, 3, 2, 4, 4) and s2.concurrence.shape == (2, 3, 2)
    u = magbell.steady_state(Model(a=np.ones(4), A=0.3))
    assert u.rho.shape == (4, 4, 4) and u.concurrence.shape == (4,)


def test_spectrum_shapes():
    sp = magbell.spectrum(Model(a=np.ones((2, 3)), A=0.4))
    assert sp.eigenvalues.shape == (2, 3, 16)
    for x in (sp.slowest_rate, sp.entanglement_rate, sp.entanglement_lifetime, sp.regime):
        assert x.shape == (2, 3)


def _grid(rng):
    """A 3 x 4 grid over random valid models (all parameters varying), as one Model."""
    ps = [[S.random_params(rng) for _ in range(4)] for _ in range(3)]
    keys = set().union(*[p for row in ps for p in row])

    def value(p, k):
        if k in p:
            return p[k]
        if k in ("a2", "a_tilde2", "d2"):
            return p.get(k[:-1], 0.0)  # homogeneous point: qubit 2's rate is qubit 1's
        return 0.0

    arrays = {k: np.array([[value(p, k) for p in row] for row in ps]) for k in keys}
    return Model(**arrays), ps


def test_grid_evolve_equals_per_point(rng):
    m, ps = _grid(rng)
    assert m.shape == (3, 4)
    t = np.linspace(0, 2, 9)
    inits = ["ud", S.random_density_matrix(rng)]
    r = magbell.evolve(m, inits, t, measures=MEASURES, store_states=True)
    for i in range(3):
        for j in range(4):
            one = magbell.evolve(m[i, j], inits, t, measures=MEASURES, store_states=True)
            np.testing.assert_allclose(r.states[i, j], one.states, rtol=0, atol=1e-14)
            for name in MEASURES:
                np.testing.assert_allclose(r.measures[name][i, j], one.measures[name], rtol=0, atol=1e-14)
            # and the per-point model is the one built from the scalar parameters
            ref = S.reference_evolve(S.reference_liouvillian(**ps[i][j]), S.rho_of("ud"), t[[0, 4, 8]])
            np.testing.assert_allclose(r.states[i, j, 0, [0, 4, 8]], ref, rtol=0, atol=1e-12)


def test_grid_evolve_independent_of_chunking(rng):
    m, _ = _grid(rng)
    t = np.linspace(0, 3, 7)
    a = magbell.evolve(m, "phi+", t, store_states=True)
    for chunk in (1, 5, 100):
        b = magbell.evolve(m, "phi+", t, store_states=True, chunk_points=chunk)
        np.testing.assert_allclose(b.states, a.states, rtol=0, atol=1e-14)
        np.testing.assert_allclose(b.concurrence, a.concurrence, rtol=0, atol=1e-14)


def test_grid_steady_state_equals_per_point(rng):
    m = Model(
        a=1.0, A=np.array([0.3, 0.9, 1.0])[:, None], a_tilde=[0.0, 0.1], A_tilde=np.array([[0.0, 0.1]]), delta=0.0
    )
    s = magbell.steady_state(m, ["ud", "singlet"])
    for i in range(3):
        for j in range(2):
            one = magbell.steady_state(m[i, j], ["ud", "singlet"])
            np.testing.assert_allclose(s.rho[i, j], one.rho, rtol=0, atol=1e-14)
            np.testing.assert_allclose(s.concurrence[i, j], one.concurrence, rtol=0, atol=1e-14)
            assert s.n_stationary[i, j] == one.n_stationary and s.unique[i, j] == one.unique


def test_grid_spectrum_equals_per_point():
    m = Model(a=1.0, A=0.7, delta=np.array([0.0, 0.3, 0.7, 1.2]))
    sp = magbell.spectrum(m)
    for i in range(4):
        one = magbell.spectrum(m[i])
        np.testing.assert_allclose(sp.eigenvalues[i], one.eigenvalues, atol=1e-14)
        assert sp.regime[i] == one.regime


@pytest.mark.parametrize("fn", ["evolve", "steady_state", "spectrum"])
def test_empty_grid(fn):
    """An empty grid gives empty results (or an InvalidParameterError at construction). Regression (was a
    bug: evolve / steady_state / spectrum crashed in coefficients().reshape(model.size, -1) with a bare
    "ValueError: cannot reshape array of size 0")."""
    try:
        m = Model(a=np.ones(0))
        if fn == "evolve":
            assert magbell.evolve(m, "ud", [0.0, 1.0]).concurrence.shape == (0, 2)
        elif fn == "steady_state":
            assert magbell.steady_state(m, "ud").rho.shape == (0, 4, 4)
        else:
            assert magbell.spectrum(m).eigenvalues.shape == (0, 16)
    except InvalidParameterError:
        pass
