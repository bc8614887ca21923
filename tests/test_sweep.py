"""magbell.sweep in this process: grids and chunks, the labelled result and its shape contract,
agreement with direct magbell calls, invalid points, derived parameters, the zarr store, resuming
after an interruption, and isolating points whose computation fails.

The reference for every sweep value is the same magbell function called directly on the whole grid;
chunking only changes how many points one batched call holds, so agreement is to rounding: 1e-14
(the per-point arithmetic is identical, so it is usually exact).
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")
pytest.importorskip("dask")

import magbell  # noqa: E402
from magbell import sweep  # noqa: E402
from magbell.errors import InvalidParameterError, InvalidStateError  # noqa: E402
from magbell.sweep._grid import Layout  # noqa: E402

ATOL = 1e-14


def _manifest(path):
    return sweep.store_progress(path)["records"]


# ----------------------------------------------------------------------------- grids and chunks
def test_grid_axes_dims_and_points():
    g = sweep.Grid(sweep.Axis("point", a=[1.0, 2.0, 3.0], A=[0.5, 1.0, 1.5]), delta=[0.0, 0.1])
    assert g.dims == ("point", "delta") and g.shape == (3, 2) and g.size == 6
    assert g.params == ("a", "A", "delta")
    assert sweep.Grid.points(a=[1.0], A=[0.5]).dims == ("point",)
    assert g == sweep.Grid(sweep.Axis("point", a=[1, 2, 3], A=[0.5, 1, 1.5]), delta=[0, 0.1])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: sweep.Grid(delta=[0.0, float("nan")]), "finite"),
        (lambda: sweep.Grid(A=[0.5 + 1j]), "A_phase"),
        (lambda: sweep.Grid(delta=[]), "empty"),
        (lambda: sweep.Grid(delta=[[0.0, 1.0]]), "1-D"),
        (lambda: sweep.Axis("p", a=[1.0, 2.0], A=[0.5]), "equal lengths"),
        (lambda: sweep.Grid(sweep.Axis("p", a=[1.0]), a=[2.0]), "one axis only"),
        (lambda: sweep.Grid(sweep.Axis("delta", delta=[1.0]), sweep.Axis("delta", A=[1.0])), "unique"),
        (lambda: sweep.Axis("p", t=[1.0], a=[1.0]), "axis of their own"),
        (lambda: sweep.Grid(delta=["x"]), "real numbers"),
    ],
)
def test_grid_rejects_bad_axes(make, message):
    with pytest.raises(InvalidParameterError, match=message):
        make()


@pytest.mark.parametrize("shape, chunk", [((7, 5, 3), 4), ((7, 5, 3), 15), ((7, 5, 3), 1000), ((1,), 1), ((10, 10), 7)])
def test_layout_covers_the_grid_exactly_once(shape, chunk):
    lay = Layout.auto(tuple("xyz"[: len(shape)]), shape, chunk)
    seen = np.zeros(shape, dtype=int)
    for cid in range(lay.n_chunks):
        seen[lay.slices(cid)] += 1
        assert lay.points(cid) <= max(chunk, 1) or lay.points(cid) == np.prod([s.stop - s.start for s in lay.slices(cid)])
    assert np.all(seen == 1)
    assert all(c <= n for c, n in zip(lay.chunks, shape))


def test_layout_loop_axes_get_one_value_per_chunk():
    lay = Layout.auto(("tol", "delta"), (3, 10), 100, whole_one=("tol",))
    assert lay.chunks == (1, 10) and lay.n_chunks == 3


# ----------------------------------------------------------------------------- agreement with direct calls
def test_steady_state_sweep_equals_direct_call():
    d = np.linspace(0.0, 2.0, 9)
    x = np.linspace(0.0, 1.0, 11)  # includes the dark line |A| = a
    ds = sweep.run("steady_state", sweep.Grid(delta=d, A_over_a=x), fixed={"a": 2.0, "ratio": 0.1},
                   initial="ud", measures=["concurrence", "negativity", "populations"], chunk_points=7)
    m = magbell.Model.detailed_balance(a=2.0, A=2.0 * x[None, :], ratio=0.1, delta=d[:, None])
    ref = magbell.steady_state(m, "ud", measures=["concurrence", "negativity", "populations"])
    assert ds.concurrence.dims == ("delta", "A_over_a")
    assert ds.populations.dims == ("delta", "A_over_a", "basis")
    assert list(ds.basis.values) == ["uu", "ud", "du", "dd"]
    np.testing.assert_allclose(ds.concurrence.values, ref.concurrence, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ds.negativity.values, ref.negativity, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ds.populations.values, ref.populations, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(ds.unique.values, ref.unique)
    np.testing.assert_array_equal(ds.n_stationary.values, ref.n_stationary)
    assert np.all(ds.status.values == sweep.STATUS.index("ok"))
    # Eq. 10 on the dark line at delta = 0: C(inf) = (1 - r)^2 / (2 (1 + r + r^2)) with r = 0.1
    assert ds.concurrence.sel(delta=0.0, A_over_a=1.0).item() == pytest.approx(27 / 74, abs=1e-12)


def test_evolve_sweep_shape_contract_with_run_axes():
    """Grid (delta, initial, A) and an implicit time axis: dims follow the grid, then t, then basis."""
    d = np.array([0.0, 0.3, 1.0])
    A = np.array([0.2, 0.8])
    times = np.linspace(0.0, 4.0, 9)
    g = sweep.Grid(sweep.Axis("delta", delta=d), sweep.Axis("initial", initial=["ud", "singlet", "phi+"]),
                   sweep.Axis("A", A=A))
    ds = sweep.run("evolve", g, fixed={"a": 1.0}, times=times, measures=["concurrence", "populations", "purity"],
                   chunk_points=2)
    assert ds.concurrence.dims == ("delta", "initial", "A", "t")
    assert ds.populations.dims == ("delta", "initial", "A", "t", "basis")
    assert ds.status.dims == ("delta", "A")
    assert list(ds.initial.values) == ["ud", "singlet", "phi+"]
    np.testing.assert_array_equal(ds.t.values, times)
    m = magbell.Model(a=1.0, A=A[None, :], delta=d[:, None])
    ref = magbell.evolve(m, ["ud", "singlet", "phi+"], times, measures=["concurrence", "populations", "purity"])
    # ref: (delta, A, initial, t)
    np.testing.assert_allclose(ds.concurrence.values, ref.concurrence.transpose(0, 2, 1, 3), rtol=0, atol=ATOL)
    np.testing.assert_allclose(ds.purity.values, ref.purity.transpose(0, 2, 1, 3), rtol=0, atol=ATOL)
    np.testing.assert_allclose(ds.populations.values, ref.populations.transpose(0, 2, 1, 3, 4), rtol=0, atol=ATOL)


def test_time_axis_in_the_grid_and_list_of_initial_states():
    g = sweep.Grid(t=[0.0, 0.5, 2.0], delta=[0.0, 1.0])
    ds = sweep.run("evolve", g, fixed={"a": 1.0, "A": 1.0}, initial=["ud", "du"], measures=["concurrence"])
    assert ds.concurrence.dims == ("t", "delta", "initial")
    ref = magbell.evolve(magbell.Model(a=1.0, A=1.0, delta=[0.0, 1.0]), ["ud", "du"], [0.0, 0.5, 2.0],
                         measures=["concurrence"])
    np.testing.assert_allclose(ds.concurrence.values, ref.concurrence.transpose(2, 0, 1), rtol=0, atol=ATOL)
    assert ds.t.attrs["units"].startswith("1/")


def test_points_grid_equals_per_point_calls():
    a = np.array([1.0, 2.0, 3.0, 0.5])
    A = np.array([0.5, 2.0, 1.0, 0.25])
    delta = np.array([0.0, 0.0, 0.7, 0.1])
    ds = sweep.run("steady_state", sweep.Grid.points(a=a, A=A, delta=delta), initial="ud", chunk_points=3)
    assert ds.concurrence.dims == ("point",)
    for k in range(a.size):
        ref = magbell.steady_state(magbell.Model(a=a[k], A=A[k], delta=delta[k]), "ud")
        assert ds.concurrence.values[k] == pytest.approx(float(ref.concurrence), abs=ATOL)
    np.testing.assert_array_equal(ds.a.values, a)


def test_spectrum_sweep_regimes_and_lifetimes():
    d = np.array([0.0, 0.8, 1.5])
    ds = sweep.run("spectrum", sweep.Grid(delta=d), fixed={"a": 1.0, "A": 0.8})
    sp = magbell.spectrum(magbell.Model(a=1.0, A=0.8, delta=d))
    names = ds.regime.attrs["flag_meanings"].split()
    assert [names[k] for k in ds.regime.values] == sp.regime.tolist() == ["overdamped", "critical", "underdamped"]
    np.testing.assert_allclose(ds.entanglement_lifetime.values, sp.entanglement_lifetime, rtol=0, atol=ATOL)


def test_steady_state_tol_as_a_loop_axis():
    ds = sweep.run("steady_state", sweep.Grid(tol=[1e-9, 1e-6], A=[0.5, 1.0]), fixed={"a": 1.0}, initial="ud")
    assert ds.concurrence.dims == ("tol", "A")
    for tol in (1e-9, 1e-6):
        ref = magbell.steady_state(magbell.Model(a=1.0, A=[0.5, 1.0]), "ud", tol=tol)
        np.testing.assert_allclose(ds.concurrence.sel(tol=tol).values, ref.concurrence, rtol=0, atol=ATOL)


def test_postselect_sweep_equals_direct_call():
    ps = pytest.importorskip("magbell.solvers._postselect")
    d = np.array([0.0, 1.0, 3.0])
    times = np.linspace(0, 2, 5)
    ds = sweep.run(ps.postselect, sweep.Grid(delta=d, A=[1.0, 2.0, 2.5]), fixed={"a": 2.0}, times=times,
                   scheme="subspace", chunk_points=2)
    ref = ps.postselect(magbell.Model(a=2.0, A=np.array([1.0, 2.0])[None, :], delta=d[:, None]), "ud", times,
                        scheme="subspace")
    assert ds.concurrence.dims == ("delta", "A", "t")
    np.testing.assert_allclose(ds.concurrence.values[:, :2], ref.concurrence, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ds.success_probability.values[:, :2], ref.success_probability, rtol=0, atol=ATOL)
    assert (ds.status.values[:, 2] == sweep.STATUS.index("invalid_parameters")).all()  # A = 2.5 > a = 2


def test_medium_parameters_are_swept_through_the_couplings():
    medium = pytest.importorskip("magbell.medium")
    st = medium.PhysicalSetup(geometry="bulk3d", field=0.04)
    r = np.array([0.0, 50e-9, 200e-9])  # r = 0 diverges in 3D: marked, not fatal
    T = np.array([0.0, 0.5, -1.0])
    times = np.linspace(0, 2e-4, 5)  # seconds: the medium's rates are in 1/s
    ds = sweep.run("evolve", sweep.Grid(separation=r, temperature=T), medium=st, fixed={"delta": 2e3},
                   times=times, measures=["concurrence"])
    ref = magbell.evolve(st.couplings(r[1:, None], T[None, :2], warn=False).model(delta=2e3), "ud", times,
                         measures=["concurrence"])
    np.testing.assert_allclose(ds.concurrence.values[1:, :2], ref.concurrence, rtol=0, atol=ATOL)
    text = sweep.reasons(ds).values
    assert "separation must be > 0 m in 3D" in text[0, 0] and text[1, 2] == "temperature must be >= 0 K"
    assert ds.separation.attrs["units"] == "m" and ds.t.attrs["units"] == "s" and ds.temperature.attrs["units"] == "K"
    assert json.loads(ds.attrs["magbell_sweep"])["medium"]["geometry"] == "bulk3d"
    with pytest.raises(InvalidParameterError, match="set by the medium"):
        sweep.run("steady_state", sweep.Grid(separation=r), medium=st, fixed={"a": 1.0})
    with pytest.raises(InvalidParameterError, match="needs the qubit separation"):
        sweep.run("steady_state", sweep.Grid(temperature=T), medium=st)


# ----------------------------------------------------------------------------- derived parameters
def test_derived_parameters_build_the_right_models():
    T = np.array([0.05, 0.2])
    ds = sweep.run("steady_state", sweep.Grid(temperature=T, A_phase=[0.0, 0.7]),
                   fixed={"a": 3.0, "A_over_a": 0.9, "Delta_GHz": 2.87, "delta": 0.2}, initial="ud")
    for i, t in enumerate(T):
        for j, phi in enumerate([0.0, 0.7]):
            m = magbell.Model.detailed_balance(a=3.0, A=2.7 * np.exp(1j * phi), temperature=t, Delta_GHz=2.87, delta=0.2)
            ref = magbell.steady_state(m, "ud")
            assert ds.concurrence.values[i, j] == pytest.approx(float(ref.concurrence), abs=ATOL)
            np.testing.assert_allclose(ds.populations.values[i, j], ref.populations, rtol=0, atol=ATOL)
    assert ds.temperature.attrs["units"] == "K" and ds.A_phase.attrs["units"] == "rad"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(grid=sweep.Grid(A=[0.5]), fixed={}), "a must be given"),
        (dict(grid=sweep.Grid(dleta=[0.5]), fixed={"a": 1.0}), "unknown parameter"),
        (dict(grid=sweep.Grid(A=[0.5]), fixed={"a": 1.0, "A": 0.1}), "both as grid axes and as fixed"),
        (dict(grid=sweep.Grid(ratio=[0.1]), fixed={"a": 1.0, "a_tilde": 0.1}), "detailed balance"),
        (dict(grid=sweep.Grid(temperature=[0.1]), fixed={"a": 1.0}), "Delta_GHz"),
        (dict(grid=sweep.Grid(A_over_a=[0.1]), fixed={"a": 1.0, "A": 0.1}), "A_over_a"),
        (dict(grid=sweep.Grid(A=[0.1]), fixed={"a": [1.0, 2.0]}), "one finite number"),
        (dict(grid=sweep.Grid(A=[0.1]), fixed={"a": 1.0}, func="spectrum", initial="ud"), "takes no option"),
        (dict(grid=sweep.Grid(A=[0.1]), fixed={"a": 1.0}, func="bogus"), "unknown sweep function"),
        (dict(grid=sweep.Grid(t=[0.1]), fixed={"a": 1.0}, func="steady_state"), "cannot sweep 't'"),
        (dict(grid=sweep.Grid(A=[0.1]), fixed={"a": 1.0}, func="evolve"), "needs times"),
        (dict(grid=sweep.Grid(initial=["ud"]), fixed={"a": 1.0}, initial="dd"), "both as a grid axis"),
        (dict(grid=sweep.Grid(A=[0.1]), fixed={"a": 1.0}, measures=["nope"]), "unknown measure"),
        (dict(grid={"A": [0.1]}, fixed={"a": 1.0}), "must be a magbell.sweep.Grid"),
    ],
)
def test_bad_sweeps_are_rejected_before_computing(kwargs, message):
    func = kwargs.pop("func", "steady_state")
    grid = kwargs.pop("grid")
    with pytest.raises(InvalidParameterError, match=message):
        sweep.run(func, grid, **kwargs)


def test_unknown_initial_state_is_rejected():
    with pytest.raises(InvalidStateError, match="unknown initial state"):
        sweep.run("evolve", sweep.Grid(initial=["ud", "xx"]), fixed={"a": 1.0}, times=[0.0, 1.0])


# ----------------------------------------------------------------------------- invalid points
def test_invalid_points_are_marked_and_the_rest_computed():
    A = np.array([0.0, 0.5, 1.0, 1.5, 2.5])  # a = 1: the last two violate a >= |A|
    r = np.array([0.0, 0.5, 1.2])  # r > 1 is a negative temperature
    ds = sweep.run("steady_state", sweep.Grid(ratio=r, A=A), fixed={"a": 1.0}, initial="ud", chunk_points=4)
    status = ds.status.values
    names = ds.status.attrs["flag_meanings"].split()
    bad_A = A > 1.0
    bad_r = r > 1.0
    expect_bad = bad_r[:, None] | bad_A[None, :]
    assert np.array_equal(status == names.index("invalid_parameters"), expect_bad)
    assert np.array_equal(status == names.index("ok"), ~expect_bad)
    text = sweep.reasons(ds).values
    assert "a >= |A| violated" in text[0, 3] and "ratio" not in text[0, 3]
    assert "ratio" in text[2, 0] and "0 <= ratio <= 1" in text[2, 0]
    assert "ratio" in text[2, 4] and "a >= |A|" in text[2, 4]  # both reasons, joined
    assert np.all(text[~expect_bad] == "")
    assert np.all(np.isnan(ds.concurrence.values[expect_bad]))
    assert np.all(np.isnan(ds.populations.values[expect_bad]))
    assert not ds.unique.values[expect_bad].any() and np.all(ds.n_stationary.values[expect_bad] == 0)
    for i, rr in enumerate(r[~bad_r]):
        m = magbell.Model.detailed_balance(a=1.0, A=A[~bad_A], ratio=rr)
        ref = magbell.steady_state(m, "ud")
        np.testing.assert_allclose(ds.concurrence.values[i, ~bad_A], ref.concurrence, rtol=0, atol=ATOL)
    s = sweep.summary(ds)
    assert s["status"]["invalid_parameters"] == int(expect_bad.sum()) and s["status"]["ok"] == int((~expect_bad).sum())


def test_non_unique_steady_states_are_marked_without_initial_state():
    A = np.array([0.3, 1.0])  # A = a = 1: the dark singlet makes ker L 4-dimensional
    ds = sweep.run("steady_state", sweep.Grid(A=A), fixed={"a": 1.0})
    assert ds.status.values.tolist() == [sweep.STATUS.index("ok"), sweep.STATUS.index("not_unique")]
    assert "not unique" in sweep.reasons(ds).values[1]
    assert np.isnan(ds.concurrence.values[1]) and ds.n_stationary.values[1] == 4 and not ds.unique.values[1]
    ref = magbell.steady_state(magbell.Model(a=1.0, A=0.3))
    assert ds.concurrence.values[0] == pytest.approx(float(ref.concurrence), abs=ATOL)


def _fails_at_a_2(model):
    a = np.asarray(model.a)
    if np.any(a == 2.0):
        raise RuntimeError("cannot handle a = 2")
    return {"twice_a": np.broadcast_to(2 * a, model.shape), "pops": np.broadcast_to(a[..., None], model.shape + (3,))}


def test_points_whose_computation_fails_are_isolated():
    a = np.array([1.0, 2.0, 3.0, 4.0, 2.0, 5.0, 6.0])
    task = sweep.Function(_fails_at_a_2, outputs_spec={"twice_a": {}, "pops": {"k": 3}}, name="demo")
    ds = sweep.run(task, sweep.Grid(a=a), chunk_points=4)
    failed = a == 2.0
    assert np.array_equal(ds.status.values == sweep.STATUS.index("failed"), failed)
    np.testing.assert_array_equal(ds.twice_a.values[~failed], 2 * a[~failed])
    assert np.all(np.isnan(ds.twice_a.values[failed])) and ds.pops.dims == ("a", "k")
    fails = json.loads(ds.attrs["magbell_failures"])
    assert [f["index"] for f in fails] == [[1], [4]]
    assert all("cannot handle a = 2" in f["message"] for f in fails)


# ----------------------------------------------------------------------------- files
def test_netcdf_and_zarr_round_trip(tmp_path):
    ds = sweep.run("evolve", sweep.Grid(delta=[0.0, 0.5], A=[0.5, 1.0, 1.5]), fixed={"a": 1.0},
                   times=np.linspace(0, 1, 5), initial=["ud", "singlet"], unit="MHz")
    assert ds.delta.attrs["units"] == "MHz" and ds.t.attrs["units"] == "1/MHz"
    assert ds.concurrence.attrs["units"] == "1"
    nc = tmp_path / "s.nc"
    ds.to_netcdf(nc)
    back = xr.open_dataset(nc).load()
    xr.testing.assert_identical(back.drop_attrs(), ds.drop_attrs())
    assert json.loads(back.attrs["magbell_sweep"]) == json.loads(ds.attrs["magbell_sweep"])
    z = tmp_path / "s.zarr"
    ds.to_zarr(z, consolidated=False, zarr_format=2)
    xr.testing.assert_identical(xr.open_zarr(z, consolidated=False).load().drop_attrs(), ds.drop_attrs())


def test_store_result_equals_memory_result_and_resume_is_free(tmp_path):
    g = sweep.Grid(delta=np.linspace(0, 1, 6), A=np.linspace(0, 1.2, 7))
    kw = dict(fixed={"a": 1.0}, times=np.linspace(0, 3, 7), chunk_points=8)
    mem = sweep.run("evolve", g, **kw)
    path = str(tmp_path / "s.zarr")
    ds = sweep.run("evolve", g, store=path, **kw)
    xr.testing.assert_identical(ds.load().drop_attrs(), mem.drop_attrs())
    # the store is a plain xarray/zarr dataset
    plain = xr.open_zarr(path, consolidated=False).load()
    xr.testing.assert_identical(plain.drop_attrs(), mem.drop_attrs())
    recs = _manifest(path)
    assert sorted(recs) == list(range(sweep.store_progress(path)["chunks"])) and {r["run"] for r in recs.values()} == {1}
    again = sweep.run("evolve", g, store=path, resume=True, **kw)
    runs = json.loads(again.attrs["magbell_runs"])
    assert [r["chunks_computed"] for r in runs] == [len(recs), 0]
    assert _manifest(path) == recs  # nothing recomputed, nothing rewritten
    xr.testing.assert_identical(again.load().drop_attrs(), mem.drop_attrs())


def test_store_refuses_to_mix_sweeps(tmp_path):
    path = str(tmp_path / "s.zarr")
    g = sweep.Grid(A=[0.1, 0.2])
    sweep.run("steady_state", g, fixed={"a": 1.0}, initial="ud", store=path)
    with pytest.raises(InvalidParameterError, match="already exists.*resume"):
        sweep.run("steady_state", g, fixed={"a": 1.0}, initial="ud", store=path)
    with pytest.raises(InvalidParameterError, match=r"different sweep.*fixed: stored \{\"a\": 1.0\}, now \{\"a\": 2.0\}"):
        sweep.run("steady_state", g, fixed={"a": 2.0}, initial="ud", store=path, resume=True)
    with pytest.raises(InvalidParameterError, match="different sweep.*axes"):
        sweep.run("steady_state", sweep.Grid(A=[0.1, 0.3]), fixed={"a": 1.0}, initial="ud", store=path, resume=True)
    ds = sweep.run("steady_state", g, fixed={"a": 2.0}, initial="ud", store=path, overwrite=True)
    assert float(ds.a) == 2.0
    other = tmp_path / "not_a_store"
    other.mkdir()
    with pytest.raises(InvalidParameterError, match="not a magbell sweep store"):
        sweep.run("steady_state", g, fixed={"a": 1.0}, initial="ud", store=str(other), overwrite=True)
    with pytest.raises(InvalidParameterError, match="needs a store"):
        sweep.run("steady_state", g, fixed={"a": 1.0}, initial="ud", resume=True)


_CALLS = {"n": 0, "interrupt_at": None}


def _interruptible(model):
    _CALLS["n"] += 1
    if _CALLS["interrupt_at"] is not None and _CALLS["n"] >= _CALLS["interrupt_at"]:
        raise KeyboardInterrupt
    a = np.asarray(model.a)
    return {"x": np.broadcast_to(a * a, model.shape)}


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    """Ctrl-C in the middle of chunk 4: chunks 1-3 are in the store; the resume computes the other
    chunks once each, and the result equals an uninterrupted sweep."""
    path = str(tmp_path / "s.zarr")
    task = sweep.Function(_interruptible, outputs_spec={"x": {}}, name="square")
    g = sweep.Grid(a=np.arange(1.0, 21.0))
    _CALLS.update(n=0, interrupt_at=4)
    with pytest.raises(KeyboardInterrupt):
        sweep.run(task, g, store=path, chunk_points=2)
    first = _manifest(path)
    assert sorted(first) == [0, 1, 2]
    part = sweep.open_store(path)
    assert np.isnan(part.x.values[6:]).all() and (part.status.values[6:] == 0).all()
    runs = sweep.store_progress(path)["runs"]
    assert runs[0]["interrupted"] is True and runs[0]["chunks_computed"] == 3
    _CALLS.update(n=0, interrupt_at=None)
    ds = sweep.run(task, g, store=path, chunk_points=2, resume=True)
    recs = _manifest(path)
    assert sorted(recs) == list(range(10))
    assert all(recs[c] == first[c] for c in first)  # finished chunks untouched
    assert {c for c, r in recs.items() if r["run"] == 2} == set(range(3, 10))
    assert _CALLS["n"] == 7  # exactly the 7 missing chunks were computed
    np.testing.assert_array_equal(ds.x.values, np.arange(1.0, 21.0) ** 2)
    assert ds.attrs["magbell_complete"] == 1


def test_a_chunk_without_its_manifest_record_is_computed_again(tmp_path):
    """Data written but the process killed before the record: the chunk does not count as done."""
    path = str(tmp_path / "s.zarr")
    g = sweep.Grid(A=np.linspace(0, 1, 6))
    kw = dict(fixed={"a": 1.0}, initial="ud", chunk_points=2)
    ref = sweep.run("steady_state", g, store=path, **kw).load()
    os.remove(os.path.join(path, "_manifest", "1.json"))
    ds = sweep.run("steady_state", g, store=path, resume=True, **kw)
    runs = json.loads(ds.attrs["magbell_runs"])
    assert runs[-1]["chunks_computed"] == 1 and _manifest(path)[1]["run"] == 2
    xr.testing.assert_identical(ds.load().drop_attrs(), ref.drop_attrs())


class _LosesChunk3:
    """An executor that loses chunk 3 the way a cluster does after repeated worker deaths."""

    name = "lossy"

    def __init__(self):
        self.errors = []

    def results(self, kernel, plans, store, run, fingerprint):
        from magbell.sweep._executors import run_chunk

        for plan in plans:
            if plan.cid == 3:
                self.errors.append({"chunk": 3, "message": "KilledWorker: task lost 3 times"})
                continue
            yield run_chunk(kernel, plan, store, run, fingerprint)

    def close(self):
        pass


def test_chunks_the_executor_loses_are_reported_and_resumed(tmp_path, monkeypatch):
    path = str(tmp_path / "s.zarr")
    g = sweep.Grid(A=np.linspace(0, 1, 10))
    kw = dict(fixed={"a": 1.0}, initial="ud", chunk_points=2, store=path)
    monkeypatch.setattr(sweep._run, "executor_for", lambda scheduler: _LosesChunk3())
    with pytest.warns(sweep.SweepIncompleteWarning, match="1 of 5 chunks could not be computed.*KilledWorker.*resume=True"):
        ds = sweep.run("steady_state", g, **kw)
    assert ds.attrs["magbell_complete"] == 0
    assert (ds.status.values[6:8] == sweep.STATUS.index("not_computed")).all() and np.isnan(ds.concurrence.values[6:8]).all()
    assert (ds.status.values[:6] == sweep.STATUS.index("ok")).all()
    assert sweep.store_progress(path)["runs"][0]["chunk_errors"][0]["chunk"] == 3
    monkeypatch.undo()
    ds = sweep.run("steady_state", g, resume=True, **kw)
    assert ds.attrs["magbell_complete"] == 1 and (ds.status.values == sweep.STATUS.index("ok")).all()
    assert json.loads(ds.attrs["magbell_runs"])[1]["chunks_computed"] == 1


def test_default_chunks_are_bounded():
    ds = sweep.run("steady_state", sweep.Grid(delta=np.linspace(0, 1, 3)), fixed={"a": 1.0}, initial="ud")
    assert json.loads(ds.attrs["magbell_layout"])["chunks"] == [3]
    spec = sweep._engine.Spec(sweep.SteadyState(initial="ud"), sweep.Grid(delta=np.zeros(10**6)), {"a": 1.0}, None)
    assert 1000 < spec.layout(None).chunks[0] <= sweep._engine.MAX_CHUNK_POINTS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sweep.run("steady_state", sweep.Grid(A=[0.2]), fixed={"a": 1.0}, initial="ud")
