"""``magbell medium film``: JSON contract, units, agreement with the Python API, one-line errors.

One invocation runs as a real subprocess (the command as a user types it); the rest call
``magbell.cli.main`` in-process.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from magbell.cli import main
from magbell.medium.film_presets import nv_film_setup
from magbell.medium.stray import film_couplings

BASE = ["medium", "film", "--material", "YIG", "--thickness", "20nm", "--field", "22mT", "--field-angle", "54.7deg",
        "--nv-axis", "111", "--height", "109nm", "--temperature", "299K"]


def _reject_constant(name):
    raise AssertionError(f"non-standard JSON constant {name}")


def run(capsys, args):
    rc = main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def test_subprocess_issue_command_line():
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    p = subprocess.run([sys.executable, "-m", "magbell", *BASE, "--json"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().count("\n") == 0
    obj = json.loads(p.stdout, parse_constant=_reject_constant)
    assert {"gamma", "qubit_frequency", "band_bottom", "a", "a_tilde", "regime", "markov_ok", "params"} <= set(obj)
    # units: gamma in 1/s (Rustagi Fig. 2b: ~0.3 MHz at 22 mT), frequencies in Hz
    assert 1e5 < obj["gamma"] < 1e6
    assert obj["qubit_frequency"] == pytest.approx(2.87e9 - 28.03e9 * 0.022, rel=1e-3)
    assert 1.5e9 < obj["band_bottom"] < obj["qubit_frequency"]
    assert obj["regime"] == "in band"
    assert obj["gamma"] == pytest.approx(obj["a"] + obj["a_tilde"], rel=1e-12)


def test_separation_json_matches_api(capsys):
    rc, out, err = run(capsys, [*BASE[:-2], "--temperature", "4K", "--separation", "100nm,300nm",
                                "--direction", "90deg", "--json"])
    assert rc == 0, err
    obj = json.loads(out, parse_constant=_reject_constant)
    for key in ("A", "A_tilde"):
        assert set(obj[key]) == {"re", "im"} and len(obj[key]["re"]) == 2
    assert len(obj["J_perp"]) == 2 and obj["separation"] == pytest.approx([1e-7, 3e-7])
    film, q = nv_film_setup(thickness=20e-9, field=0.022, field_polar=math.radians(54.7), temperature=4.0)
    c = film_couplings(film, [q, q], [[0, 0, 109e-9], [0, 3e-7, 109e-9]], 4.0)
    p = c.pair()
    assert complex(obj["A"]["re"][1], obj["A"]["im"][1]) == pytest.approx(p["A"], rel=1e-9)
    assert obj["J_perp"][1] == pytest.approx(p["Jperp"], rel=1e-9, abs=1e-9 * abs(p["a"]))
    assert obj["a"] == pytest.approx(p["a"], rel=1e-9)
    assert np.all(np.array(obj["A_over_a"]) <= 1 + 1e-12)


def test_text_output_and_chemical_potential(capsys):
    rc, out, err = run(capsys, [*BASE, "--chemical-potential", "1GHz", "--separation", "200nm"])
    assert rc == 0, err
    assert "band bottom" in out and "gamma" in out and "|A|/a" in out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--height", "-5nm"], "--height must be > 0"),
        (["--chemical-potential", "5GHz"], "chemical potential"),
        (["--field-angle", "200deg"], "--field-angle"),
        (["--nv-axis", "112"], "NV axis"),
        (["--separation", "100nmx"], "--separation"),
        (["--direction", "10deg"], "--direction needs --separation"),
        (["--thickness", "0nm"], "--thickness must be > 0"),
        # issue 9 fix-ups (the CLI fuzz): were exit 1 (overflow, "Geometric sequence cannot include zero",
        # OverflowError); now one line naming the option and the condition
        (["--field", "1e308T"], "--field must be <= 1e+06 T"),
        (["--height", "1e308m"], "--height must be <= 1e+200 m"),
        (["--separation", "1e308m"], "--separation 1e+308 m: qubit separation 1e+308 m is too large"),
        (["--thickness", "1e-100m"], "--thickness must be between 1e-12 m and 1e+06 m"),  # overflowed in ω_k²
    ],
)
def test_bad_input_one_line_exit_2(capsys, extra, message):
    rc, out, err = run(capsys, [*BASE, *extra, "--json"])
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("magbell: error:") and message in err, err


def test_plain_medium_still_requires_separation(capsys):
    try:
        rc = main(["medium", "--model", "film2d", "--thickness", "20nm", "--field", "40mT"])
    except SystemExit as e:
        rc = e.code
    assert rc == 2
    err = capsys.readouterr().err
    assert "required: --separation" in err and err.count("\n") == 1
