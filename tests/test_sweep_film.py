"""Sweeps over the parameters of NV centres above a film: ``magbell.sweep.run(..., medium=FilmSetup(...))``
and ``[medium] geometry = "film"`` in the TOML configuration (issue 12, docs/sweeps.md, docs/medium.md §12).

References: the sweep's model parameters at every point against ``FilmSetup.couplings`` (the same pair
quadrature, so to 1e-12) and against ``film_pairs.pair_noises``; closed limits A(r = 0) = a and detailed
balance with a chemical potential, ã/a = exp(−h(f − μ)/k_B T).
"""

from __future__ import annotations

import math
import textwrap
import warnings

import numpy as np
import pytest

from magbell import sweep
from magbell.errors import InvalidParameterError
from magbell.medium import FilmSetup, PhysicalSetup
from magbell.medium.greens import MarkovWarning
from magbell.medium.units import H_PLANCK, K_B
from magbell.sweep._config import ConfigError, load_config

DEG = math.pi / 180
FIELDS = ("a", "A_re", "A_im", "a_tilde", "At_re", "Jperp", "D_dm", "d", "Jz")


def _params(model):
    return {"a": model.a, "A_re": np.real(model.A), "A_im": np.imag(model.A), "a_tilde": model.a_tilde,
            "At_re": np.real(model.A_tilde), "Jperp": model.Jperp, "D_dm": model.D_dm, "d": model.d, "Jz": model.Jz}


TASK = sweep.Function(func=_params, outputs_spec={k: {} for k in FIELDS})


def _direct(setup, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkovWarning)
        p = setup.couplings(**kw).pair()
    return {"a": p["a"], "A_re": p["A"].real, "A_im": p["A"].imag, "a_tilde": p["a_tilde"],
            "At_re": p["A_tilde"].real, "Jperp": p["Jperp"], "D_dm": p["D_dm"], "d": p["d"], "Jz": p["Jz"]}


@pytest.fixture(scope="module")
def setup():
    # 22 mT along the NV [111] axis, 109 nm above 20 nm YIG (the NV lies in the band: 2.25 GHz > 1.92 GHz)
    return FilmSetup.from_units(thickness="20nm", field="22mT", field_angle="54.7356deg", height="109nm",
                                temperature="4K")


def _close(got, want, rtol):
    scale = max(abs(want["a"]), 1e-300)
    for k in FIELDS:
        assert abs(got[k] - want[k]) <= rtol * max(abs(want[k]), 1e-6 * scale), (k, got[k], want[k])


def test_film_parameters_swept_match_direct_couplings(setup):
    """field x temperature x chemical potential at one separation: every point equals FilmSetup.couplings
    with those values (Ms follows Ms(T): a new quadrature per (field, T)); units and long names on the axes."""
    g = sweep.Grid(field=[0.018, 0.022], temperature=[0.02, 4.0], chemical_potential=[0.0, 0.5e9])
    ds = sweep.run(TASK, g, medium=setup, fixed={"separation": 250e-9, "direction": 30 * DEG})
    assert (ds.status.values == 1).all()
    assert (ds.attrs["rate_unit"], ds.attrs["energy_unit"], ds.attrs["time_unit"]) == ("1/s", "rad/s", "s")
    assert "decay rates (a, A and the other dissipative terms) in 1/s" in ds.attrs["conventions_note"]
    assert ds.field.attrs["units"] == "T" and ds.chemical_potential.attrs["units"] == "Hz"
    assert ds.temperature.attrs["units"] == "K" and ds.separation.attrs["units"] == "m"
    assert all("long_name" in ds[c].attrs for c in ("field", "temperature", "chemical_potential", "direction"))
    for B in (0.018, 0.022):
        for T in (0.02, 4.0):
            want = _direct(setup.replace(field=B), separation=250e-9, temperature=T, chemical_potential=0.5e9,
                           direction=30 * DEG)
            for mu in (0.0, 0.5e9):
                pt = ds.sel(field=B, temperature=T, chemical_potential=mu)
                got = {k: float(pt[k]) for k in FIELDS}
                if mu == 0.5e9:
                    _close(got, want, 1e-12)
                # modified detailed balance a~/a = exp(-h (f - mu) / k_B T) (f: the NV frequency at B)
                f = setup.replace(field=B).qubit_frequency
                assert got["a_tilde"] / got["a"] == pytest.approx(math.exp(-H_PLANCK * (f - mu) / (K_B * T)),
                                                                  rel=1e-12, abs=1e-300)


def test_separation_direction_grid_one_quadrature(setup):
    """separation x direction x height: the pair blocks of one quadrature per height (pair_noises with every
    displacement), A(r = 0) = a exactly, and |A| <= a everywhere; direct per-point couplings agree to the
    quadrature accuracy."""
    from magbell.medium.film_pairs import pair_noises

    seps, dirs, hs = [0.0, 150e-9, 400e-9], [0.0, 90 * DEG], [90e-9, 109e-9]
    ds = sweep.run(TASK, sweep.Grid(separation=seps, direction=dirs, height=hs), medium=setup)
    assert (ds.status.values == 1).all()
    for h in hs:
        film, q = setup.build()
        disp = np.unique(np.array([[r * math.cos(d), r * math.sin(d)] for r in seps for d in dirs]), axis=0)
        noises = pair_noises(film, q, h, disp)
        for r in seps:
            for d in dirs:
                j = int(np.argmin(np.hypot(disp[:, 0] - r * math.cos(d), disp[:, 1] - r * math.sin(d))))
                c = noises[j].couplings(4.0).pair()
                pt = ds.sel(separation=r, direction=d, height=h)
                assert float(pt.a) == pytest.approx(c["a"], rel=1e-12)
                assert complex(float(pt.A_re), float(pt.A_im)) == pytest.approx(c["A"], rel=1e-12, abs=1e-12 * c["a"])
                assert float(pt.Jperp) == pytest.approx(c["Jperp"], rel=1e-12, abs=1e-12 * abs(c["Jperp"]) + 1e-300)
                assert math.hypot(float(pt.A_re), float(pt.A_im)) <= float(pt.a) * (1 + 1e-12)
        at0 = ds.sel(separation=0.0, height=h)
        np.testing.assert_allclose(at0.A_re, at0.a, rtol=1e-12)
    # one point through the user-facing call (its own quadrature): agreement to quadrature accuracy
    want = _direct(setup.replace(height=109e-9), separation=400e-9, direction=90 * DEG)
    got = {k: float(ds.sel(separation=400e-9, direction=90 * DEG, height=109e-9)[k]) for k in FIELDS}
    for k in ("a", "A_re", "a_tilde"):
        assert got[k] == pytest.approx(want[k], rel=2e-2)


def test_invalid_points_marked_with_reasons(setup):
    """NV below the band, mu >= band bottom, height <= 0 and an unreachable separation are invalid points
    with their reason; the rest of the sweep is computed."""
    g = sweep.Grid(field=[0.022, 0.045], chemical_potential=[0.0, 2.1e9])
    ds = sweep.run(TASK, g, medium=setup, fixed={"separation": 200e-9})
    st = ds.status.values
    assert st[0, 0] == 1  # 22 mT, mu = 0: in band
    assert (st[1] == 2).all()  # 45 mT: the NV (1.61 GHz) is below the band bottom (2.8 GHz)
    assert st[0, 1] == 2  # mu/2pi = 2.1 GHz > band bottom 1.92 GHz
    text = sweep.reasons(ds).values
    assert "below the magnon band bottom" in text[1, 0]
    assert "chemical potential" in text[0, 1] and "band bottom" in text[0, 1]
    assert np.isnan(ds.a.values[1, 0]) and np.isfinite(ds.a.values[0, 0])  # invalid points: the fill value
    keep = sweep.run(TASK, sweep.Grid(field=[0.045]), medium=setup.replace(allow_below_band=True),
                     fixed={"separation": 200e-9})
    assert keep.status.values[0] == 1 and 0 < float(keep.a[0]) < 1e-2 * float(ds.a[0, 0])
    bad = sweep.run(TASK, sweep.Grid(height=[-10e-9, 109e-9], separation=[200e-9, 1e-3]), medium=setup)
    assert (bad.status.values[0] == 2).all() and "height must be > 0" in sweep.reasons(bad).values[0, 0]
    assert bad.status.values[1, 0] == 1 and bad.status.values[1, 1] == 2
    assert "too large" in sweep.reasons(bad).values[1, 1]


def test_parameter_names_checked(setup):
    with pytest.raises(InvalidParameterError, match="set by the medium or unknown"):
        sweep.run(TASK, sweep.Grid(a=[1.0]), medium=setup, fixed={"separation": 1e-7})
    with pytest.raises(InvalidParameterError, match="set by the medium or unknown"):
        sweep.run(TASK, sweep.Grid(height=[1e-7]), medium=PhysicalSetup(field=0.04), fixed={"separation": 1e-7})
    with pytest.raises(InvalidParameterError, match="separation"):
        sweep.run(TASK, sweep.Grid(field=[0.02]), medium=setup)  # no separation anywhere
    # the setup's own separation is the default
    ds = sweep.run(TASK, sweep.Grid(direction=[0.0]), medium=setup.replace(separation=200e-9))
    assert ds.status.values[0] == 1


def test_toml_film_medium(tmp_path, setup):
    cfg = tmp_path / "film.toml"
    cfg.write_text(textwrap.dedent("""
        [sweep]
        function = "steady_state"
        [run]
        initial = "ud"
        [medium]
        geometry = "film"
        thickness = "20nm"
        field = "22mT"
        field_angle = "54.7356deg"
        height = "109nm"
        temperature = "4K"
        [fixed]
        direction = "90deg"
        [grid]
        separation = {start = "100nm", stop = "300nm", num = 2}
        field = ["18mT", "22mT"]
        chemical_potential = ["0GHz", "0.5GHz"]
    """))
    c = load_config(cfg)
    assert isinstance(c.medium, FilmSetup) and c.medium.height == pytest.approx(109e-9)
    assert c.medium.field_angle == pytest.approx(54.7356 * DEG)
    assert c.fixed["direction"] == pytest.approx(math.pi / 2)
    assert c.grid.axis_of("field").values["field"].tolist() == pytest.approx([0.018, 0.022])
    assert c.grid.axis_of("chemical_potential").values["chemical_potential"].tolist() == [0.0, 0.5e9]
    for body, msg in [
        ('[medium]\ngeometry = "film"\nthickness = "20nm"\nfield = "22mT"\nheight = "1nm"\neta = 2\n[grid]\nseparation = [1e-7]',
         "contact-coupling"),
        ('[medium]\ngeometry = "bulk3d"\nfield = "40mT"\nheight = "100nm"\n[grid]\nseparation = [1e-7]', "film"),
        ('[medium]\ngeometry = "bulk3d"\nfield = "40mT"\n[grid]\nseparation = [1e-7]\nheight = [1e-7]', "height"),
        ('[medium]\ngeometry = "film"\nthickness = "20nm"\nfield = "22mT"\n[grid]\nseparation = [1e-7]', "height"),
        ('[medium]\ngeometry = "film"\nthickness = "20nm"\nfield = "22mT"\nheight = "100nm"\n[grid]\n'
         'field_angle = ["54.7 degrees"]', "angle"),
    ]:
        cfg.write_text('[sweep]\nfunction = "spectrum"\n' + body + "\n")
        with pytest.raises(ConfigError, match=msg) as e:
            load_config(cfg)
        assert "\n" not in str(e.value)


def test_film_setup_api(setup):
    """Physical units in, FilmCouplings / Model out, one-line refusals."""
    s = setup.replace(separation=300e-9)
    assert s.regime() == "in band" and s.qubit_frequency == pytest.approx(2.2533e9, rel=1e-4)
    assert s.band_bottom == pytest.approx(1.9229e9, rel=1e-4)
    m = s.model(temperature=0.02)
    c = s.couplings(temperature=0.02, warn=False)
    assert m.a == c.pair()["a"] and m.A == c.pair()["A"]
    assert s.describe()["Ms_A_per_m"] == pytest.approx(setup.material.Ms_of_T(4.0))
    for kw, msg in [({"height": None}, "needs height"), ({"field_angle": 4.0}, "field_angle"),
                    ({"material": "Fe"}, "unknown film material"), ({"transition": "up"}, "transition"),
                    ({"separation": -1e-9}, "separation")]:
        with pytest.raises(InvalidParameterError, match=msg):
            setup.replace(**kw)
    with pytest.raises(InvalidParameterError, match="chemical potential"):
        setup.couplings(2e-7, chemical_potential="2.1GHz")
    with pytest.raises(InvalidParameterError, match="give the qubit separation"):
        setup.couplings()


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_out_of_range_values_are_refused_in_one_line(setup):
    """Found by fuzzing: |B| = 1e300 T and a height of 1e-300 m overflowed float64 with a RuntimeWarning;
    now an invalid point in a sweep and one InvalidParameterError from FilmSetup."""
    ds = sweep.run(TASK, sweep.Grid(field=[1e300, 0.022]), medium=setup, fixed={"separation": 2e-7})
    assert ds.status.values.tolist() == [2, 1] and "overflows float64" in sweep.reasons(ds).values[0]
    ds = sweep.run(TASK, sweep.Grid(height=[1e-300]), medium=setup, fixed={"separation": 2e-7})
    assert ds.status.values.tolist() == [2] and "overflow float64" in sweep.reasons(ds).values[0]
    with pytest.raises(InvalidParameterError, match="field too large"):
        setup.replace(field=1e300)
    with pytest.raises(InvalidParameterError, match="overflow float64"):
        setup.replace(height=1e-300).couplings(2e-7)
