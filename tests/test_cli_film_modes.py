"""``--thickness-modes M`` on ``magbell medium film`` and ``magbell nsite ... --film`` (docs/medium.md §11,
"Thick films"): the CLI's numbers are those of ``Film(thickness_modes=M)`` / ``FilmSetup(thickness_modes=M)``,
the JSON records M, bad values are one line and exit 2.

The thick film is YIG, L = 200 nm, 22 mT along [111], NV at 109 nm, 299 K: there the sum over three
thickness modes raises a by 13.9 % over the thin-film lowest mode, so a CLI that dropped the option fails.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import magbell
from magbell.cli import main
from magbell.medium import FilmSetup
from magbell.medium.film import MAX_THICKNESS_MODES
from magbell.medium.film_presets import nv_film_setup
from magbell.medium.stray import film_couplings

THICK = ["medium", "film", "--thickness", "200nm", "--field", "22mT", "--field-angle", "54.7356deg",
         "--height", "109nm", "--temperature", "299K"]
NSITE = ["nsite", "evolve", "--chain", "2", "--spacing", "200nm", "--film", "--field", "22mT",
         "--field-angle", "54.7deg", "--height", "109nm", "--temperature", "299K"]
THIN = THICK[:3] + ["20nm"] + THICK[4:]
POS = np.array([[0.0, 0.0], [200e-9, 0.0]])


def _run(capsys, argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _json(capsys, argv):
    rc, out, err = _run(capsys, [*argv, "--json"])
    assert rc == 0 and err == "", err
    return json.loads(out)


@pytest.fixture(scope="module")
def api_thick():
    """a, a_tilde of one NV and A of a pair 300 nm apart from the Python API, M = 1 and M = 3."""
    res = {}
    for M in (1, 3):
        film, nv = nv_film_setup(thickness=200e-9, field=0.022, field_polar=math.radians(54.7356), temperature=299.0,
                                 thickness_modes=M)
        one = film_couplings(film, [nv], [[0.0, 0.0, 109e-9]], 299.0, reactive=False)
        pair = film_couplings(film, [nv, nv], [[0.0, 0.0, 109e-9], [300e-9, 0.0, 109e-9]], 299.0).pair()
        res[M] = (float(one.A[0, 0].real), float(one.A_tilde[0, 0].real), complex(pair["A"]))
    return res


@pytest.mark.parametrize("M", [1, 3])
def test_medium_film_equals_python_film(capsys, api_thick, M):
    js = _json(capsys, [*THICK, "--thickness-modes", str(M), "--separation", "300nm"])
    a, at, A = api_thick[M]
    assert js["a"] == pytest.approx(a, rel=1e-13, abs=0)
    assert js["a_tilde"] == pytest.approx(at, rel=1e-13, abs=0)
    assert complex(js["A"]["re"][0], js["A"]["im"][0]) == pytest.approx(A, rel=1e-12, abs=0)
    assert js["params"]["thickness_modes"] == M
    assert type(js["params"]["thickness_modes"]) is int


def test_the_modes_matter_on_the_thick_film(api_thick):
    # guards the test above: M = 1 and M = 3 must differ for it to test that the option arrives
    assert api_thick[3][0] / api_thick[1][0] - 1 == pytest.approx(0.139, abs=0.005)


def test_default_is_the_python_default_and_is_recorded(capsys):
    """No flag: the Python default (1), recorded in params; every other key as before (test_cli_contract)."""
    no_flag = _json(capsys, THIN)
    one = _json(capsys, [*THIN, "--thickness-modes", "1"])
    assert no_flag == one
    assert no_flag["params"]["thickness_modes"] == 1


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "3.0", "1e2", "abc", "", " ", "inf", "nan", "0x3",
                                   str(MAX_THICKNESS_MODES + 1), "9" * 5000])
@pytest.mark.parametrize("where", ["medium", "nsite"])
def test_bad_values_are_one_line_exit_2(capsys, value, where):
    argv = THIN if where == "medium" else [*NSITE, "--thickness", "20nm"]
    rc, out, err = _run(capsys, [*argv, f"--thickness-modes={value}", "--json"])
    assert rc == 2 and out == "", (out, err)
    assert err.count("\n") == 1 and err.startswith("magbell: error: ")
    assert "--thickness-modes" in err and f"between 1 and {MAX_THICKNESS_MODES}" in err
    assert len(err) < 300 and "Traceback" not in err


def test_largest_value_is_accepted_by_the_parser():
    from magbell.cli._film import parse_thickness_modes

    assert parse_thickness_modes(str(MAX_THICKNESS_MODES)) == MAX_THICKNESS_MODES
    assert parse_thickness_modes(" +7 ") == 7


def test_nsite_without_film_refuses_the_option(capsys):
    rc, out, err = _run(capsys, ["nsite", "steady", "--chain", "2", "--spacing", "200nm", "--field", "40mT",
                                 "--thickness-modes", "2"])
    assert rc == 2 and out == "" and err.count("\n") == 1 and "--thickness-modes is only used with --film" in err, err


def test_nsite_film_thickness_modes_reach_the_system(capsys):
    """nsite evolve --film --thickness-modes 2 on the thick film: the System of FilmSetup(thickness_modes=2),
    faster decay than M = 1 at the same absolute times; on a 20 nm film M = 2 changes nothing visible."""
    runs = {M: _json(capsys, [*NSITE, "--thickness", "200nm", "--thickness-modes", str(M), "--t-max", "10us",
                              "--points", "3"]) for M in (1, 2)}
    setup = FilmSetup.from_units(thickness="200nm", field="22mT", field_angle="54.7deg", height="109nm",
                                 thickness_modes=2)
    s = setup.system(POS, 299.0)
    js = runs[2]
    assert js["params"]["medium"]["thickness_modes"] == 2 and runs[1]["params"]["medium"]["thickness_modes"] == 1
    assert js["params"]["a_per_s"] == float(s.h_plus[0, 0].real)
    # params.medium describes the film at the run's temperature (it said 0 K and Ms(0 K) before)
    at_T = setup.replace(temperature=299.0).describe()
    assert js["params"]["medium"]["temperature_K"] == 299.0
    assert js["params"]["medium"]["Ms_A_per_m"] == at_T["Ms_A_per_m"] < 0.75 * setup.describe()["Ms_A_per_m"]
    r = magbell.evolve(s, "du", js["times"], measures=["site_populations"])
    np.testing.assert_allclose(js["site_populations"], r.site_populations, rtol=0, atol=1e-14)
    assert js["params"]["a_per_s"] / runs[1]["params"]["a_per_s"] - 1 == pytest.approx(0.14, abs=0.01)
    p1, p2 = np.array(runs[1]["site_populations"]), np.array(runs[2]["site_populations"])
    assert np.max(np.abs(p2 - p1)) > 1e-3
    thin = {M: _json(capsys, [*NSITE, "--thickness", "20nm", "--thickness-modes", str(M), "--t-max", "10us",
                              "--points", "3"]) for M in (1, 2)}
    assert thin[2]["params"]["a_per_s"] == pytest.approx(thin[1]["params"]["a_per_s"], rel=1e-8)
    np.testing.assert_allclose(thin[2]["site_populations"], thin[1]["site_populations"], rtol=0, atol=1e-8)
