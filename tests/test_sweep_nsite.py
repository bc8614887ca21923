"""N-site sweeps (issue 11 §6): ``sweep.run(magbell.evolve | steady_state | spectrum | postselect, grid,
sites=sweep.Sites(setup, ...))`` over spacing, N, temperature, field, damping, with ``site``/``site_j``/``mode``
dimensions (length max N, NaN-padded beyond each N). Every value is compared with the library called directly on
the same System; refused points are marked ``failed`` with their one-line reason; bad sweeps are one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("xarray")

import magbell  # noqa: E402
from magbell import sweep  # noqa: E402
from magbell.errors import InvalidParameterError  # noqa: E402
from magbell.medium import PhysicalSetup  # noqa: E402
from magbell.medium.units import kT_angular  # noqa: E402
from magbell.system import chain_positions, couplings_at_positions, ring_positions  # noqa: E402

SETUP = PhysicalSetup.from_units("chain1d", cross_section="2500nm^2", field="40mT")
A = 133843.96963505002  # a [1/s] of this wire at T = 0 (the README's number)


def _system(N, spacing, T=0.0, setup=SETUP):
    return couplings_at_positions(setup.medium(), chain_positions(N, spacing), setup.Delta, kT=kT_angular(T)).system()


def test_evolve_over_spacing_and_n_with_site_dimensions():
    times = np.linspace(0, 5 / A, 3)
    ds = sweep.run(magbell.evolve, sweep.Grid(spacing=[80e-9, 100e-9], N=[2, 4]), sites=sweep.Sites(SETUP, N=3),
                   times=times, measures=["site_populations", "pair_concurrence", "purity"])
    assert ds.site_populations.dims == ("spacing", "N", "t", "site")
    assert ds.pair_concurrence.dims == ("spacing", "N", "t", "site", "site_j")
    assert ds.sizes["site"] == 4 and ds.purity.dims == ("spacing", "N", "t")
    assert ds.spacing.attrs["units"] == "m" and ds.N.attrs["units"] == "1"
    assert (ds.status.values == 1).all() and ds.attrs["magbell_function"] == "nsite_evolve"
    for s in (80e-9, 100e-9):
        for N in (2, 4):
            r = magbell.evolve(_system(N, s), "d" + "u" * (N - 1), times,
                               measures=["site_populations", "pair_concurrence", "purity"])
            got = ds.site_populations.sel(spacing=s, N=N).values
            np.testing.assert_allclose(got[:, :N], r.site_populations, rtol=0, atol=1e-14)
            assert np.isnan(got[:, N:]).all()  # padding beyond N
            C = ds.pair_concurrence.sel(spacing=s, N=N).values
            np.testing.assert_allclose(C[:, :N, :N], r.measures["pair_concurrence"], rtol=0, atol=1e-14)
            assert np.isnan(C[:, N:, :]).all() and np.isnan(C[:, :, N:]).all()
            np.testing.assert_allclose(ds.purity.sel(spacing=s, N=N).values, r.measures["purity"], atol=1e-14)


def test_steady_state_over_temperature_and_refused_points():
    bulk = PhysicalSetup.from_units("bulk3d", field="40mT")
    sites = sweep.Sites(bulk, "ring", spacing=60e-9)
    ds = sweep.run(magbell.steady_state, sweep.Grid(temperature=[0.0, 0.5], N=[2, 3]), sites=sites,
                   measures=["site_populations", "pair_concurrence"])
    assert ds.site_populations.dims == ("temperature", "N", "site") and ds.sizes["site"] == 3
    x = ring_positions(3, 60e-9)
    s = couplings_at_positions(bulk.medium(), x, bulk.Delta, kT=kT_angular(0.5)).system()
    r = magbell.steady_state(s, "duu", measures=["site_populations", "pair_concurrence"])
    np.testing.assert_allclose(ds.site_populations.sel(temperature=0.5, N=3).values, r.site_populations,
                               rtol=0, atol=1e-13)
    np.testing.assert_allclose(ds.pair_concurrence.sel(temperature=0.5, N=3).values, r.measures["pair_concurrence"],
                               rtol=0, atol=1e-13)
    assert bool(ds.unique.sel(temperature=0.5, N=3)) == bool(r.unique)
    # a ring of two qubits is refused (ring_positions: N >= 3): those points are failed, with the one-line reason
    assert ds.status.values.tolist() == [[4, 1], [4, 1]]
    fails = json.loads(ds.attrs["magbell_failures"])
    assert len(fails) == 2 and all("ring needs N >= 3" in f["message"] and "\n" not in f["message"] for f in fails)
    assert np.isnan(ds.site_populations.sel(N=2).values).all()


def test_spectrum_collective_rates_and_slowest_rate():
    ds = sweep.run(magbell.spectrum, sweep.Grid(N=[3, 10]), sites=sweep.Sites(SETUP, spacing=100e-9))
    assert ds.collective_rates.dims == ("N", "mode") and ds.sizes["mode"] == 10
    sp = magbell.spectrum(_system(3, 100e-9))
    np.testing.assert_allclose(ds.collective_rates.sel(N=3).values[:3], np.sort(sp.collective_rates), rtol=1e-9)
    assert float(ds.slowest_rate.sel(N=3)) == pytest.approx(float(sp.slowest_rate), rel=1e-12)
    assert np.isnan(float(ds.slowest_rate.sel(N=10)))  # the Liouvillian is not asked for above N = 8
    assert np.all(np.diff(ds.collective_rates.sel(N=10).values) >= 0)


def test_postselect_and_field_axis():
    times = np.linspace(0, 2 / A, 3)
    ds = sweep.run(magbell.postselect, sweep.Grid(field=[0.04, 0.05]), sites=sweep.Sites(SETUP, N=3, spacing=1e-7),
                   times=times, initial="W", scheme="subspace")
    s = _system(3, 1e-7, setup=PhysicalSetup.from_units("chain1d", cross_section="2500nm^2", field="50mT"))
    r = magbell.postselect(s, "W", times, scheme="subspace", measures=["site_populations"])
    np.testing.assert_allclose(ds.log_success_probability.sel(field=0.05).values, r.log_success_probability,
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ds.site_populations.sel(field=0.05).values, r.site_populations, atol=1e-13)
    assert ds.field.attrs["units"] == "T"


def test_bad_point_is_marked_failed_and_store_round_trip(tmp_path):
    store = tmp_path / "ns.zarr"
    ds = sweep.run("steady_state", sweep.Grid(spacing=[-1e-7, 1e-7]), sites=sweep.Sites(SETUP, N=2),
                   store=store)
    assert ds.status.values.tolist() == [4, 1]
    assert "spacing" in json.loads(ds.attrs["magbell_failures"])[0]["message"]
    again = sweep.open_store(store)
    np.testing.assert_array_equal(again.site_populations.values, ds.site_populations.values)


@pytest.mark.parametrize("kwargs, words", [
    (dict(func=magbell.evolve, grid=sweep.Grid(spacing=[1e-7]), times=[0, 1e-6], fixed={"a": 1.0}), "fixed="),
    (dict(func=magbell.evolve, grid=sweep.Grid(spacing=[1e-7], delta=[0.0]), times=[0, 1e-6]), "not N-site"),
    (dict(func=magbell.evolve, grid=sweep.Grid(sweep.Axis("p", spacing=[1e-7], temperature=[0.0])), times=[0, 1e-6]),
     "cannot be zipped"),
    (dict(func=magbell.evolve, grid=sweep.Grid(spacing=[1e-7]), times=[0, 1e-6], medium=SETUP), "not also as medium"),
    (dict(func=magbell.evolve, grid=sweep.Grid(spacing=[1e-7]), times=[0, 1e-6], tol=1e-9), "takes no option"),
    (dict(func=magbell.evolve, grid=sweep.Grid(spacing=[1e-7]), measures=["bogus"]), "bogus"),
    (dict(func=magbell.dark_states, grid=sweep.Grid(spacing=[1e-7])), "sweep function"),
    (dict(func=magbell.evolve, grid=sweep.Grid(spacing=[1e-7])), "needs times"),
])
def test_bad_sweeps_are_one_line_errors(kwargs, words):
    kwargs = dict(kwargs)
    func, grid = kwargs.pop("func"), kwargs.pop("grid")
    with pytest.raises(InvalidParameterError) as e:
        sweep.run(func, grid, sites=sweep.Sites(SETUP, N=2), **kwargs)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_sites_validation():
    with pytest.raises(InvalidParameterError, match="PhysicalSetup"):
        sweep.Sites("YIG", N=2)
    with pytest.raises(InvalidParameterError, match="arrangement"):
        sweep.Sites(SETUP, "spiral", N=2)
    with pytest.raises(InvalidParameterError, match="N \\(the number of qubits\\)"):
        sweep.Sites(SETUP, N=2.5)
    with pytest.raises(InvalidParameterError, match="positions"):
        sweep.Sites(SETUP, "positions", N=2, positions=[[0.0], [1e-7]])
    with pytest.raises(InvalidParameterError, match="cannot be swept"):
        sweep.run(magbell.spectrum, sweep.Grid(N=[2, 3]), sites=sweep.Sites(SETUP, "positions", positions=[[0.0], [1e-7]]))


def test_sweep_whose_axes_are_all_taken_whole_by_the_task():
    """Regression: a sweep with no chunked axis (two-site evolve over t only) crashed with a raw ValueError
    (the engine turned the 0-d status into shape (1,)); the N-site spectrum over N alone takes the same path."""
    ds = sweep.run("evolve", sweep.Grid(t=[0.0, 1.0]), fixed={"a": 1.0, "A": 0.5})
    r = magbell.evolve(magbell.Model(a=1.0, A=0.5), "ud", [0.0, 1.0])
    np.testing.assert_allclose(ds.concurrence.values, r.concurrence, rtol=0, atol=1e-15)
    assert ds.status.shape == () and int(ds.status) == 1


TOML = """
[sweep]
function = "evolve"

[medium]
geometry = "chain1d"
cross_section = "2500nm^2"
field = "40mT"

[sites]
arrangement = "chain"
{extra}

[run]
times = {{start = 0.0, stop = 4e-5, num = 3}}
measures = ["site_populations", "pair_concurrence"]

[grid]
{grid}
"""


def test_toml_sites_table_runs_the_n_site_sweep(tmp_path):
    from magbell.sweep._config import load_config

    f = tmp_path / "ns.toml"
    f.write_text(TOML.format(extra='temperature = "0K"', grid='N = [2, 3]\nspacing = ["80nm", "100nm"]'))
    cfg = load_config(f)
    assert cfg.medium is None and isinstance(cfg.options["sites"], sweep.Sites)
    ds = sweep.run(cfg.function, cfg.grid, fixed=cfg.fixed, medium=cfg.medium, **cfg.options)
    times = np.linspace(0, 4e-5, 3)
    r = magbell.evolve(_system(3, 100e-9), "duu", times, measures=["site_populations"])
    got = ds.site_populations.isel(N=1, spacing=1).values
    np.testing.assert_allclose(got, r.site_populations, rtol=0, atol=1e-14)


@pytest.mark.parametrize("extra, grid, words", [
    ("colour = 1", "N = [2]\nspacing = [1e-7]", "unknown key 'colour' in [sites]"),
    ("N = 2.5", "spacing = [1e-7]", "[sites] N must be an integer"),
    ('spacing = "100 parsec"', "N = [2]", "unknown unit"),
    ("N = 2", "spacing = [1e-7]\ndelta = [0.1]", "unknown parameter 'delta'"),
])
def test_toml_sites_errors_are_one_line(tmp_path, extra, grid, words):
    from magbell.sweep._config import ConfigError, load_config

    f = tmp_path / "bad.toml"
    f.write_text(TOML.format(extra=extra, grid=grid))
    with pytest.raises(ConfigError) as e:
        load_config(f)
    assert words in str(e.value) and "\n" not in str(e.value)
    f.write_text("[sweep]\nfunction = \"evolve\"\n[sites]\nN = 2\n[grid]\nspacing = [1e-7]\n")
    with pytest.raises(ConfigError, match="needs a \\[medium\\]"):
        load_config(f)
