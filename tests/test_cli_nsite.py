"""``magbell nsite evolve | steady | spectrum | postselect`` (issue 11 §6), run in-process (``magbell.cli.main``).

Checked: the JSON contract (site populations (n_times, N), the pair-concurrence matrix per time when asked),
the Bragg chain of docs/nqubits.md §4(a) reached through the command line (k·spacing = π in an undamped 1D wire:
steady populations (1 − 1/N)², 1/N² and pair concurrence 2|c_i c_j|), the CSV read back equal to the JSON, the
collective rates against magbell.spectrum, explicit positions (text and @file) equal to --chain, and one-line
refusals (exit 2) of bad input."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import magbell
from magbell.cli import main
from magbell.medium import PhysicalSetup
from magbell.system import chain_positions, couplings_at_positions

WIRE = ["--model", "chain1d", "--cross-section", "2500nm^2", "--field", "40mT"]
BRAGG = ["--chain", "4", "--k-spacing", "3.141592653589793"] + WIRE + ["--damping", "0"]


def _run(capsys, argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _json(capsys, argv):
    rc, out, err = _run(capsys, argv + ["--json"])
    assert rc == 0 and err == "", err
    assert out.count("\n") == 1
    return json.loads(out)


def test_evolve_json_contract_and_csv(capsys):
    argv = ["nsite", "evolve", "--chain", "3", "--spacing", "100nm"] + WIRE + [
        "--t-max", "5/a", "--points", "4", "--measures", "pair_concurrence,purity"]
    js = _json(capsys, argv)
    pops = np.array(js["site_populations"])
    C = np.array(js["pair_concurrence"])
    assert pops.shape == (4, 3) and C.shape == (4, 3, 3) and len(js["purity"]) == 4
    assert pops[0].tolist() == [1.0, 0.0, 0.0]  # default initial state: site 1 excited
    np.testing.assert_allclose(C, np.swapaxes(C, 1, 2), atol=0)
    a = js["params"]["a_per_s"]
    assert js["times"][-1] == pytest.approx(5 / a, rel=1e-15)
    # the same numbers as the library
    setup = PhysicalSetup.from_units("chain1d", cross_section="2500nm^2", field="40mT")
    s = couplings_at_positions(setup.medium(), chain_positions(3, 100e-9), setup.Delta).system()
    r = magbell.evolve(s, "duu", js["times"], measures=["site_populations", "pair_concurrence"])
    np.testing.assert_allclose(pops, r.site_populations, rtol=0, atol=1e-14)
    np.testing.assert_allclose(C, r.measures["pair_concurrence"], rtol=0, atol=1e-14)
    # CSV: the same numbers, bit for bit
    rc, text, err = _run(capsys, argv + ["--csv"])
    assert rc == 0 and err == ""
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["t [s]", "P_1", "P_2", "P_3", "C_1_2", "C_1_3", "C_2_3", "purity"]
    body = np.array(rows[1:], dtype=float)
    np.testing.assert_array_equal(body[:, 0], js["times"])
    np.testing.assert_array_equal(body[:, 1:4], pops)
    np.testing.assert_array_equal(body[:, 4:7], C[:, [0, 0, 1], [1, 2, 2]])


def test_bragg_chain_steady_state(capsys):
    """k·spacing = π, no damping, T = 0: one excitation on site 1 keeps weight 1 − 1/N in the dark manifold;
    the steady amplitudes are c_1 = 1 − 1/N, c_j = ±1/N (docs/nqubits.md §3–4)."""
    js = _json(capsys, ["nsite", "steady"] + BRAGG + ["--initial", "duuu", "--measures", "pair_concurrence"])
    np.testing.assert_allclose(js["site_populations"], [9 / 16, 1 / 16, 1 / 16, 1 / 16], rtol=0, atol=1e-12)
    C = np.array(js["pair_concurrence"])
    c = np.array([3 / 4, 1 / 4, 1 / 4, 1 / 4])
    want = 2 * np.outer(c, c)
    np.fill_diagonal(want, 0)
    np.testing.assert_allclose(C, want, rtol=0, atol=1e-12)
    assert js["unique"] is False and js["n_stationary"] == 14 and js["converges"] is True
    assert js["params"]["k_spacing"] == pytest.approx(np.pi)


def test_spectrum_collective_rates_match_library(capsys):
    js = _json(capsys, ["nsite", "spectrum", "--ring", "4", "--spacing", "60nm", "--model", "film2d",
                        "--thickness", "20nm", "--field", "40mT"])
    setup = PhysicalSetup.from_units("film2d", thickness="20nm", field="40mT")
    from magbell.system import ring_positions

    s = couplings_at_positions(setup.medium(), ring_positions(4, 60e-9), setup.Delta).system()
    sp = magbell.spectrum(s)
    np.testing.assert_allclose(js["collective_rates"], np.sort(sp.collective_rates), rtol=1e-9)
    assert js["slowest_rate"] == pytest.approx(float(sp.slowest_rate), rel=1e-12)
    assert js["n_stationary"] == int(sp.n_stationary)
    # a long chain: collective modes only (the Liouvillian is not asked for above N = 8)
    js = _json(capsys, ["nsite", "spectrum", "--chain", "40", "--k-spacing", "1"] + WIRE + ["--damping", "0"])
    assert len(js["collective_rates"]) == 40 and js["slowest_rate"] is None and "N = 8" in js["liouvillian_note"]
    assert 0 < js["collective_rates"][0] < 1e-3 * js["params"]["a_per_s"]  # subradiant


def test_positions_text_and_file_equal_chain(capsys, tmp_path):
    base = ["nsite", "evolve"] + WIRE + ["--t-max", "3/a", "--points", "3", "--initial", "udu"]
    a = _json(capsys, base + ["--chain", "3", "--spacing", "120nm"])
    b = _json(capsys, base + ["--positions", "0;120nm;240nm"])
    f = tmp_path / "pos.txt"
    f.write_text("# x\n0\n120nm\n\n240nm  # last\n")
    c = _json(capsys, base + ["--positions", f"@{f}"])
    np.testing.assert_array_equal(a["site_populations"], b["site_populations"])
    np.testing.assert_array_equal(a["site_populations"], c["site_populations"])


def test_postselect_json(capsys):
    js = _json(capsys, ["nsite", "postselect", "--positions", "0,0;80nm,0;0,80nm", "--field", "40mT",
                        "--initial", "W", "--t-max", "2us", "--points", "3", "--scheme", "subspace"])
    assert np.array(js["site_populations"]).shape == (3, 3)
    P = np.array(js["success_probability"])
    assert P[0] == pytest.approx(1.0) and np.all(np.diff(P) < 0)
    np.testing.assert_allclose(np.array(js["site_populations"]).sum(axis=1), 1.0, atol=1e-12)  # one excitation


@pytest.mark.parametrize("argv, words", [
    (["nsite", "evolve", "--field", "40mT"], "exactly one placement"),
    (["nsite", "evolve", "--chain", "3", "--ring", "3", "--spacing", "1nm", "--field", "40mT"], "exactly one placement"),
    (["nsite", "evolve", "--chain", "3", "--field", "40mT"], "--spacing"),
    (["nsite", "evolve", "--chain", "3", "--spacing", "-1nm", "--field", "40mT"], "--spacing must be > 0"),
    (["nsite", "evolve", "--chain", "0", "--spacing", "1nm", "--field", "40mT"], "N (the number of qubits)"),
    (["nsite", "evolve", "--positions", "0,0;1nm", "--field", "40mT"], "same number"),
    (["nsite", "evolve", "--positions", "0;1parsec", "--field", "40mT"], "unknown unit"),
    (["nsite", "evolve", "--positions", "@/nonexistent/pos.txt", "--field", "40mT"], "cannot read"),
    (["nsite", "evolve", "--chain", "3", "--spacing", "1nm", "--field", "40mT", "--initial", "dud u"], "initial"),
    (["nsite", "evolve", "--chain", "3", "--spacing", "1nm", "--field", "40mT", "--initial", "dicke:5"], "dicke"),
    (["nsite", "evolve", "--chain", "3", "--spacing", "1nm", "--field", "40mT", "--t-max", "5"], "--t-max"),
    (["nsite", "evolve", "--chain", "3", "--spacing", "1nm", "--field", "40mT", "--t-max", "-1us"], "--t-max"),
    (["nsite", "evolve", "--chain", "3", "--spacing", "1nm", "--field", "40mT", "--measures", "bogus"], "--measures"),
    (["nsite", "evolve", "--ring", "4", "--spacing", "1nm"] + WIRE, "coordinates"),
    (["nsite", "evolve", "--grid", "2y2", "--spacing", "1nm", "--field", "40mT"], "--grid"),
    (["nsite", "steady", "--positions", "0,0;0,0", "--field", "40mT"], "coincide"),
    (["nsite", "evolve", "--chain", "3", "--spacing", "1e300m", "--field", "40mT"], "within 1e+150 m"),
    (["nsite", "spectrum", "--chain", "3", "--k-spacing", "1e308", "--field", "40mT"], "within 1e+150 m"),
    (["nsite", "evolve", "--positions", "0;1e200m", "--film", "--thickness", "20nm", "--field", "22mT",
      "--height", "109nm"], "within 1e+150 m"),
    (["nsite", "spectrum", "--chain", "3", "--k-spacing", "1", "--field", "40mT", "--json", "--csv"], "not allowed"),
    (["nsite", "spectrum", "--chain", "3", "--k-spacing", "1", "--qubit-frequency", "1GHz", "--gap", "2GHz"],
     "below the gap"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, words):
    rc, out, err = _run(capsys, argv)
    assert rc == 2 and out == ""
    assert err.startswith("magbell: error: ") and err.count("\n") == 1, err
    assert words in err, err


FILM = ["--film", "--thickness", "20nm", "--field", "22mT", "--field-angle", "54.7deg", "--height", "109nm"]


def test_film_chain_equals_the_film_system(capsys):
    """--film: NV centres above a YIG film, the System of FilmSetup.system at the chain's lateral positions."""
    from magbell.medium import FilmSetup

    js = _json(capsys, ["nsite", "evolve", "--chain", "3", "--spacing", "200nm"] + FILM
               + ["--t-max", "5/a", "--points", "3", "--measures", "pair_concurrence"])
    setup = FilmSetup.from_units(thickness="20nm", field="22mT", field_angle="54.7deg", height="109nm")
    s = setup.system(np.array([[0.0, 0.0], [200e-9, 0.0], [400e-9, 0.0]]), 0.0)
    assert js["params"]["a_per_s"] == float(s.h_plus[0, 0].real)
    r = magbell.evolve(s, "duu", js["times"], measures=["site_populations", "pair_concurrence"])
    np.testing.assert_allclose(js["site_populations"], r.site_populations, rtol=0, atol=1e-14)
    np.testing.assert_allclose(js["pair_concurrence"], r.measures["pair_concurrence"], rtol=0, atol=1e-14)


@pytest.mark.parametrize("argv, words", [
    (["nsite", "steady", "--chain", "2", "--spacing", "200nm", "--model", "bulk3d"] + FILM, "not an option of --film"),
    (["nsite", "steady", "--chain", "2", "--k-spacing", "1"] + FILM, "not an option of --film"),
    (["nsite", "steady", "--chain", "2", "--spacing", "200nm", "--film", "--thickness", "20nm", "--field", "22mT"],
     "--film needs --height"),
    (["nsite", "steady", "--chain", "2", "--spacing", "200nm", "--field", "22mT", "--height", "109nm"],
     "only used with --film"),
    (["nsite", "steady", "--grid", "2x2x2", "--spacing", "200nm"] + FILM, "plane"),
])
def test_film_bad_input_is_one_line_exit_2(capsys, argv, words):
    rc, out, err = _run(capsys, argv)
    assert rc == 2 and out == "" and err.count("\n") == 1 and words in err, err


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # capsys is read out after every call
@given(N=st.integers(2, 4), spacing_nm=st.integers(40, 300), data=st.data())
def test_relabelling_the_qubits_permutes_the_site_populations(capsys, N, spacing_nm, data):
    """Physics does not depend on the order in which the positions are listed: listing them permuted (and the
    initial excitation with them) permutes the site populations and the pair-concurrence matrix."""
    perm = data.draw(st.permutations(range(N)))
    x = [f"{k * spacing_nm}nm" if k else "0" for k in range(N)]
    base = ["nsite", "evolve"] + WIRE + ["--t-max", "3/a", "--points", "2", "--measures", "pair_concurrence"]
    a = _json(capsys, base + ["--positions", ";".join(x), "--initial", "d" + "u" * (N - 1)])
    init = "".join("d" if perm[i] == 0 else "u" for i in range(N))  # new site i is old site perm[i]
    b = _json(capsys, base + ["--positions", ";".join(x[p] for p in perm), "--initial", init])
    pa, pb = np.array(a["site_populations"]), np.array(b["site_populations"])
    np.testing.assert_allclose(pb, pa[:, perm], rtol=0, atol=1e-13)
    Ca, Cb = np.array(a["pair_concurrence"]), np.array(b["pair_concurrence"])
    np.testing.assert_allclose(Cb, Ca[:, perm][:, :, perm], rtol=0, atol=1e-13)


_HOSTILE = ["1e308", "-1e308", "1e-320", "-1", "-0", "0", "inf", "nan", "abc", "", "--"]


def _opt(good, bad=()):
    return st.one_of(st.sampled_from(good), st.sampled_from(good), st.sampled_from(list(bad) + _HOSTILE))


@st.composite
def _nsite_argv(draw):
    cmd = draw(st.sampled_from(["evolve", "steady", "spectrum", "postselect"]))
    place = draw(st.sampled_from(["--chain", "--ring", "--grid", "--positions"]))
    argv = ["nsite", cmd, place, draw({
        "--chain": _opt(["2", "3"], ["1.5"]), "--ring": _opt(["3", "4"], ["2"]), "--grid": _opt(["2x2", "1x3"], ["2x"]),
        "--positions": _opt(["0;100nm", "0,0;80nm,0;0,80nm"], ["0;0", "0;1e200m", ";"])}[place])]
    if place != "--positions":
        argv += draw(st.sampled_from([["--spacing", draw(_opt(["100nm", "1um"], ["0nm", "1e300m", "nanm"]))],
                                      ["--k-spacing", draw(_opt(["1", "3.14159"]))]]))
    argv += draw(st.sampled_from([WIRE, ["--field", "40mT"], ["--model", "film2d", "--thickness", "20nm", "--field",
                                                                     draw(_opt(["40mT"], ["-1T", "1e300T"]))], FILM]))
    argv += ["--temperature", draw(_opt(["0K", "4K"], ["-1K", "1e300K", "nanK"]))]
    if cmd in ("evolve", "postselect"):
        argv += ["--t-max", draw(_opt(["5/a", "1us"], ["1e300s", "-1us", "nan/a"])),
                 "--points", draw(_opt(["2", "3"], ["1000000000"]))]
    if cmd != "spectrum":
        argv += ["--initial", draw(_opt(["W", "dicke:1", "singlet:1,2"], ["dicke:9", "xx"]))]
        argv += ["--measures", draw(_opt(["pair_concurrence", "purity,w_fidelity"], ["bogus", "negativity:9"]))]
    return argv + draw(st.sampled_from([["--json"], ["--csv"], []]))


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=_nsite_argv())
def test_cli_contract_under_hostile_values(capsys, argv):
    """The CLI's promise for magbell nsite: exit 0 with one JSON object / a table, or exit 2 with one line;
    never a traceback, a Python warning, exit 1 or NaN in the JSON (a deeper random search of 650 argument lists
    found nothing beyond the cases above)."""
    rc, out, err = _run(capsys, argv)
    assert rc in (0, 2) and "Traceback" not in err and "Warning" not in err, (argv, rc, err)
    if rc == 2:
        assert out == "" and err.count("\n") == 1 and err.startswith("magbell: error: "), (argv, err)
    elif "--json" in argv:
        assert isinstance(json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in the JSON")), dict)
