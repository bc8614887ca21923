"""``--csv`` beside ``--json`` (issue 14 §3): every command that prints a time series or a table writes plain
CSV on stdout — a header row naming each column with its unit, then full-precision rows — and the CSV read
back equals the JSON output number for number. ``--json --csv`` together is a one-line usage error (exit 2).
Run in-process (``magbell.cli.main``) to stay fast."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from magbell.cli import main

FILM = ["medium", "film", "--material", "YIG", "--thickness", "20nm", "--field", "22mT", "--field-angle", "54.7deg",
        "--height", "109nm", "--temperature", "299K"]
COMMANDS = {
    "evolve": ["evolve", "--a", "1", "--A", "0.8", "--delta", "0.3", "--t-max", "2", "--points", "6",
               "--measures", "entanglement_of_formation,bell_fidelities,purity"],
    "steady": ["steady", "--a", "1", "--A", "1", "--ratio", "0.1", "--initial", "ud", "--measures", "negativity"],
    "spectrum": ["spectrum", "--a", "1", "--A", "1", "--delta", "0"],
    "postselect": ["postselect", "--a", "2", "--A", "2", "--delta", "0", "--t-max", "1", "--points", "5"],
    "monitor": ["monitor", "--a", "2", "--A", "1.5", "--tau-m", "0.1", "--t-max", "1", "--points", "5"],
    "trajectories": ["trajectories", "--a", "1", "--A", "1", "--n", "30", "--seed", "3", "--t-max", "2", "--points",
                     "4", "--select", "no-J3"],
    "medium": ["medium", "--field", "40mT", "--separation", "50nm:200nm:3", "--temperature", "1K"],
    "film": FILM + ["--separation", "100nm,300nm"],
    "design": ["design", "--truth", "a=1e4,A=5e3", "--times", "0:200:5", "--time-unit", "us", "--total-shots", "1000"],
}


def _run(capsys, argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _both(capsys, name_or_argv):
    argv = COMMANDS[name_or_argv] if isinstance(name_or_argv, str) else name_or_argv
    rc, js, err = _run(capsys, argv + ["--json"])
    assert rc == 0, err
    rc, text, err = _run(capsys, argv + ["--csv"])
    assert rc == 0 and err == "", err
    rows = list(csv.reader(io.StringIO(text)))
    assert text.endswith("\n") and "\r" not in text and text.isascii()
    header, body = rows[0], rows[1:]
    assert len(set(header)) == len(header) and all(len(r) == len(header) for r in body)
    cols = {h.split(" [")[0]: [r[i] for r in body] for i, h in enumerate(header)}
    units = {h.split(" [")[0]: (h.split(" [")[1][:-1] if " [" in h else None) for h in header}
    return json.loads(js), cols, units


def _same(cells, values):
    """CSV cells equal the JSON numbers bit for bit (JSON null is a non-finite CSV number)."""
    values = np.atleast_1d(np.asarray(values, dtype=object))
    assert len(cells) == len(values), (cells, values)
    for c, v in zip(cells, values):
        if v is None:
            assert not math.isfinite(float(c)), c
        elif isinstance(v, bool):
            assert c == ("true" if v else "false")
        elif isinstance(v, str):
            assert c == v
        else:
            assert float(c) == v, (c, v)


def test_evolve_csv_equals_json(capsys):
    js, cols, units = _both(capsys, "evolve")
    assert list(cols)[:6] == ["t", "concurrence", "p_uu", "p_ud", "p_du", "p_dd"]
    assert units["t"] == "1/Gamma0" and units["entanglement_of_formation"] == "ebit" and units["concurrence"] is None
    _same(cols["t"], js["times"])
    _same(cols["concurrence"], js["concurrence"])
    for i, lab in enumerate(("p_uu", "p_ud", "p_du", "p_dd")):
        _same(cols[lab], [row[i] for row in js["populations"]])
    for i, lab in enumerate(("F_phi+", "F_phi-", "F_psi+", "F_psi-")):
        _same(cols[lab], [row[i] for row in js["bell_fidelities"]])
    _same(cols["entanglement_of_formation"], js["entanglement_of_formation"])
    _same(cols["purity"], js["purity"])


def test_steady_csv_is_one_row_equal_to_json(capsys):
    js, cols, _ = _both(capsys, "steady")
    assert all(len(v) == 1 for v in cols.values())
    for k in ("concurrence", "unique", "n_stationary", "converges", "negativity"):
        _same(cols[k], [js[k]])
    basis = ("uu", "ud", "du", "dd")
    for i, r in enumerate(basis):
        _same(cols["p_" + r], [js["populations"][i]])
        for j, c in enumerate(basis):
            _same(cols[f"rho_{r}_{c}_re"], [js["rho"]["re"][i][j]])
            _same(cols[f"rho_{r}_{c}_im"], [js["rho"]["im"][i][j]])


def test_spectrum_csv_eigenvalues_and_infinite_lifetime(capsys):
    js, cols, units = _both(capsys, "spectrum")
    _same(cols["eigenvalue_re"], js["eigenvalues"]["re"])
    _same(cols["eigenvalue_im"], js["eigenvalues"]["im"])
    assert cols["index"] == [str(k) for k in range(16)]
    assert units["eigenvalue_re"] == units["slowest_rate"] == "Gamma0" and units["entanglement_lifetime"] == "1/Gamma0"
    # |A| = a, delta = 0: the singlet is dark, the lifetime is infinite (JSON null, CSV inf)
    assert js["entanglement_lifetime"] is None and set(cols["entanglement_lifetime"]) == {"inf"}
    _same(cols["slowest_rate"], [js["slowest_rate"]] * 16)
    assert set(cols["regime"]) == {js["regime"]}


@pytest.mark.parametrize("name", ["postselect", "monitor", "trajectories"])
def test_conditional_csv_equals_json(capsys, name):
    js, cols, units = _both(capsys, name)
    assert units["t"] == "1/Gamma0"
    _same(cols["t"], js["times"])
    keys = ["concurrence", "success_probability", "log_success_probability", "bell_fidelity"]
    if name == "trajectories":
        keys += ["success_probability_stderr", "ensemble_concurrence", "kept"]
    for k in keys:
        _same(cols[k], js[k])


def test_medium_csv_in_si_units(capsys):
    js, cols, units = _both(capsys, "medium")
    assert (units["separation"], units["a"], units["Jperp"], units["kappa"]) == ("m", "1/s", "rad/s", "1/m")
    for k in ("separation", "a", "A", "a_tilde", "A_tilde", "Jz", "Jperp", "D_dm", "k_on_shell", "kappa"):
        assert units[k] == js["units"].get(k, units[k]), k
        _same(cols[k], js[k])
    _same(cols["markov_ok"], js["markov"]["ok"])
    _same(cols["markov_ratio"], js["markov"]["ratio"])


def test_medium_film_csv_with_separation(capsys):
    js, cols, units = _both(capsys, "film")
    assert len(cols["separation"]) == 2
    for k in ("gamma", "a", "a_tilde", "qubit_frequency", "kittel"):
        assert units[k] == js["units"][k]
        _same(cols[k], [js[k]] * 2)
    _same(cols["separation"], js["separation"])
    for k in ("A", "A_tilde"):
        _same(cols[k + "_re"], js[k]["re"])
        _same(cols[k + "_im"], js[k]["im"])
    _same(cols["J_perp"], js["J_perp"])
    _same(cols["A_over_a"], js["A_over_a"])
    assert units["A_re"] == "1/s" and units["J_perp"] == "rad/s" and units["separation"] == "m"


def test_design_csv_is_the_protocol(capsys):
    js, cols, units = _both(capsys, "design")
    settings = js["protocol"]["settings"]
    assert units["time"] == "us"
    assert cols["initial"] == [s["initial"] for s in settings]
    _same(cols["time"], [s["time"] for s in settings])
    _same(cols["shots"], [s["shots"] for s in settings])


def test_fit_csv_one_row_per_parameter(capsys, tmp_path):
    data = tmp_path / "data.csv"
    assert main(["simulate-experiment", "--truth", "a=1e4,A=5e3", "--initials", "ud,dd", "--times", "0:100:6",
                 "--time-unit", "us", "--shots", "2000", "--seed", "2", "--out", str(data)]) == 0
    js, cols, units = _both(capsys, ["fit", str(data), "--fit", "a,A", "--time-unit", "us", "--no-profile",
                                     "--no-compare"])
    names = list(js["interval95"])
    assert cols["parameter"] == names and names[:2] == ["a", "A"]
    assert cols["unit"] == [js["units"][p] for p in names] and cols["unit"][0] == "1/s"
    _same(cols["estimate"], [js["estimates"][p] for p in names])
    _same(cols["stderr"], [js["stderr"][p] for p in names])
    _same(cols["interval_low"], [js["interval95"][p][0] for p in names])
    _same(cols["interval_high"], [js["interval95"][p][1] for p in names])


@pytest.mark.parametrize("name", list(COMMANDS) + ["film_plain", "fit"])
def test_json_and_csv_together_is_a_one_line_usage_error(capsys, name):
    argv = FILM if name == "film_plain" else ["fit", "data.csv", "--fit", "a"] if name == "fit" else COMMANDS[name]
    rc, out, err = _run(capsys, argv + ["--json", "--csv"])
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("magbell: error: argument --csv: not allowed with argument --json")


def test_csv_is_documented_in_help(capsys):
    for argv in (["evolve"], ["steady"], ["spectrum"], ["medium"], ["medium", "film"], ["postselect"], ["monitor"],
                 ["trajectories"], ["design"], ["fit"]):
        rc, out, _ = _run(capsys, argv + ["--help"])
        assert rc == 0 and "--csv" in out and "--json" in out
