"""Results share one base (issue 10 §5, issue 14 §3): fields method/options/backend/version, measures in dir(),
a one-line repr, to_xarray() labelled like the sweep's Dataset, max_concurrence / t_at_max."""

import numpy as np
import pytest

import magbell
from magbell import sweep
from magbell.results import Result

T = np.linspace(0.0, 3.0, 7)
M = magbell.Model(a=1.0, A=np.array([0.3, 0.8]), delta=0.2)


def _all_results():
    one = magbell.Model(a=1.0, A=0.8, delta=0.2)
    s = magbell.System(Delta=[1.0, 1.2, 0.9], h_plus=np.diag([1.0, 0.5, 0.2]), J_perp=np.triu(np.full((3, 3), 0.1), 1))
    return {
        "evolve": magbell.evolve(M, "ud", T),
        "steady_state": magbell.steady_state(M, "ud"),
        "spectrum": magbell.spectrum(M),
        "postselect": magbell.postselect(M, "ud", T),
        "monitor": magbell.monitor(one, "ud", T, 0.5),
        "postselect_spectrum": magbell.postselect_spectrum(M),
        "trajectories": magbell.trajectories(one, "ud", T, n=5, seed=1),
        "robustness": magbell.robustness(one, "ud", 1.0, strengths=(0.0, 0.1), n_samples=3, groups=("all",)),
        "system": magbell.evolve(s, "udu", T),
    }


@pytest.fixture(scope="module")
def results():
    return _all_results()


def test_every_result_has_the_base(results):
    for name, r in results.items():
        assert isinstance(r, Result), name
        assert r.backend == "numpy"
        assert r.version == magbell.__version__
        assert isinstance(r.options, dict)
        assert "method" not in r.options
        rep = repr(r)
        assert "\n" not in rep and rep.startswith(type(r).__name__ + "("), (name, rep)
        ds = r.to_xarray()
        assert ds.attrs["version"] == magbell.__version__ and ds.attrs["backend"] == "numpy"
        assert ds.attrs["magbell_result"] == type(r).__name__
        assert len(ds.data_vars) > 0, name


def test_measures_are_attributes_visible_in_dir(results):
    for name in ("evolve", "steady_state", "postselect", "monitor", "system"):
        r = results[name]
        for m in r.measures:
            assert m in dir(r), (name, m)
            assert getattr(r, m) is r.measures[m]
    with pytest.raises(AttributeError, match="computed measures"):
        results["evolve"].negativity


def test_method_recorded_as_a_field(results):
    assert results["evolve"].method == results["evolve"].info["method"]
    assert results["postselect"].method  # the scheme when nothing else was recorded
    assert results["spectrum"].method == "eigendecomposition"


def test_to_xarray_labels_equal_the_sweeps():
    times = np.linspace(0.0, 2.0, 5)
    ds = sweep.run("evolve", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8}, times=times,
                   measures=["concurrence", "populations", "purity"])
    r = magbell.evolve(magbell.Model(a=1.0, A=0.8, delta=np.array([0.0, 0.3])), "ud", times,
                       measures=["concurrence", "populations", "purity"])
    x = r.to_xarray()
    for v in ("concurrence", "populations", "purity"):
        assert x[v].attrs == ds[v].attrs, v
        assert x[v].dims[1:] == ds[v].dims[1:] and x[v].dims[0] == "dim_0"
        np.testing.assert_allclose(x[v].values, ds[v].values, rtol=0, atol=1e-12)
    assert x["t"].attrs == ds["t"].attrs
    assert list(x["basis"].values) == list(ds["basis"].values)

    ds = sweep.run("postselect", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8}, times=times,
                   measures=["concurrence"])
    x = magbell.postselect(magbell.Model(a=1.0, A=0.8, delta=np.array([0.0, 0.3])), "ud", times,
                           measures=["concurrence"]).to_xarray()
    for v in ("concurrence", "success_probability", "log_success_probability"):
        assert x[v].attrs == ds[v].attrs, v

    ds = sweep.run("spectrum", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8})
    x = magbell.spectrum(magbell.Model(a=1.0, A=0.8, delta=np.array([0.0, 0.3]))).to_xarray()
    for v in ("slowest_rate", "entanglement_rate", "entanglement_lifetime"):
        assert x[v].attrs == ds[v].attrs, v


def test_several_initial_states_get_the_initial_dimension():
    r = magbell.evolve(M, ["ud", "singlet"], T)
    x = r.to_xarray()
    assert x.concurrence.dims == ("dim_0", "initial", "t")
    assert list(x.initial.values) == ["ud", "singlet"]


def test_steady_state_with_several_initial_states():
    m = magbell.Model(a=1.0, A=np.array([0.5, 1.0, 0.7]), delta=0.0)
    x = magbell.steady_state(m, ["ud", "singlet"]).to_xarray()
    assert x.concurrence.dims == ("dim_0", "initial") and x.unique.dims == ("dim_0",)
    assert x.converges.dims == ("dim_0", "initial") and x.sizes == {"dim_0": 3, "initial": 2, "basis": 4}


def test_max_concurrence_and_t_at_max_against_numpy(results):
    for name in ("evolve", "postselect", "monitor"):
        r = results[name]
        c = np.asarray(r.concurrence)
        np.testing.assert_array_equal(r.max_concurrence, c.max(axis=-1))
        np.testing.assert_array_equal(r.t_at_max, T[np.argmax(c, axis=-1)])
        assert r.max_concurrence.shape == c.shape[:-1]
    r = magbell.evolve(M, ["ud", "singlet"], T)
    assert r.max_concurrence.shape == (2, 2)
    i = np.argmax(r.concurrence, axis=-1)
    np.testing.assert_array_equal(r.t_at_max, T[i])
    np.testing.assert_array_equal(r.max_concurrence, np.take_along_axis(r.concurrence, i[..., None], -1)[..., 0])


def test_t_at_max_is_nan_where_the_curve_is():
    r = magbell.evolve(M, "ud", T)
    c = r.concurrence.copy()
    c[0, 3] = np.nan
    bad = type(r)(times=r.times, model=r.model, initial=r.initial, measures={"concurrence": c}, states=None, info=r.info)
    assert np.isnan(bad.max_concurrence[0]) and np.isnan(bad.t_at_max[0])
    assert bad.t_at_max[1] == r.t_at_max[1]
