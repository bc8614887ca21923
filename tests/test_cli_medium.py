"""``magbell medium``: the command line, its numbers checked against the Python API.

Until the lead adds ``magbell.cli_medium`` to ``magbell.cli.SUBCOMMAND_MODULES`` the subcommand is
registered here by extending that tuple (in a child process for the real-subprocess runs, by
monkeypatching for the in-process runs). Two invocations run as real subprocesses (concurrently); the
rest call ``magbell.cli.main`` in-process, which is the same code path minus the interpreter start-up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from magbell.medium import PhysicalSetup

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
BOOT = (
    "import sys, magbell.cli as c; "
    "c.SUBCOMMAND_MODULES = tuple(dict.fromkeys(c.SUBCOMMAND_MODULES + ('magbell.cli_medium',))); "
    "raise SystemExit(c.main(sys.argv[1:]))"
)
REQUIRED = {"a", "A", "a_tilde", "A_tilde", "Jz", "Jperp", "D_dm", "k_on_shell", "markov_ok", "units", "params"}


def _cmd(args):
    return [sys.executable, "-c", BOOT, "medium", *map(str, args)]


def run_many(arg_lists):
    procs = [subprocess.Popen(_cmd(a), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV) for a in arg_lists]
    out = []
    for p in procs:
        so, se = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(p.args, p.returncode, so, se))
    return out


def _reject_constant(name):
    raise AssertionError(f"non-standard JSON constant {name}")


def _json(p):
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    obj = json.loads(p.stdout, parse_constant=_reject_constant)
    assert p.stdout.strip().count("\n") == 0
    return obj


SUBPROCESS_CASES = ("single", "table")


@pytest.fixture(scope="module")
def runs():
    cases = {
        "single": ["--model", "bulk3d", "--field", "40mT", "--separation", "200nm", "--temperature", "4K", "--json"],
        "range": ["--model", "film2d", "--thickness", "20nm", "--field", "40mT", "--separation", "50nm:1um:7", "--json"],
        "list": ["--model", "chain1d", "--cross-section", "2500nm^2", "--qubit-frequency", "1.75GHz", "--gap", "1.12GHz",
                 "--separation", "100nm,200nm", "--temperature", "50mK", "--json"],
        "table": ["--model", "film2d", "--thickness", "20nm", "--field", "40mT", "--separation", "50nm:1um:7"],
        "text": ["--field", "40mT", "--separation", "200nm"],
        "gap": ["--qubit-frequency", "1GHz", "--gap", "1.12GHz", "--damping", "0", "--separation", "200nm", "--json"],
        "edge": ["--qubit-frequency", "1.12001GHz", "--gap", "1.12GHz", "--eta", "30", "--separation", "200nm", "--json"],
        "override": ["--field", "40mT", "--ms", "176mT", "--stiffness", "5.3e-17T*m^2", "--damping", "1e-3", "--eta", "0.5",
                     "--qubit", "spin", "--gap-offset-field", "10mT", "--separation", "300nm", "--json"],
        "bad_unit": ["--field", "40mT", "--separation", "200nmx"],
        "no_thickness": ["--model", "film2d", "--field", "40mT", "--separation", "200nm"],
        "both_stiff": ["--field", "40mT", "--exchange", "3pJ/m", "--stiffness", "1480GHz*nm^2", "--separation", "1um"],
        "no_field": ["--separation", "200nm"],
        "bad_temp": ["--field", "40mT", "--separation", "200nm", "--temperature", "4"],
        "neg_sep": ["--field", "40mT", "--separation=-5nm"],
        "help": ["--help"],
    }
    procs = dict(zip(SUBPROCESS_CASES, run_many([cases[k] for k in SUBPROCESS_CASES])))
    from magbell import cli

    old = cli.SUBCOMMAND_MODULES
    cli.SUBCOMMAND_MODULES = tuple(dict.fromkeys(old + ("magbell.cli_medium",)))
    try:
        for name, args in cases.items():
            if name not in procs:
                procs[name] = _inproc(cli, ["medium", *args])
    finally:
        cli.SUBCOMMAND_MODULES = old
    return procs


def _inproc(cli, argv):
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(argv)
        except SystemExit as e:  # argparse: --help (0) and usage errors (2)
            rc = e.code
    return subprocess.CompletedProcess(argv, rc, out.getvalue(), err.getvalue())


def test_json_single_matches_python_api(runs):
    out = _json(runs["single"])
    assert REQUIRED <= set(out)
    c = PhysicalSetup(geometry="bulk3d", field=0.04).couplings(200e-9, 4.0)
    for k in ("a", "a_tilde", "Jperp"):
        assert out[k] == pytest.approx(float(getattr(c, k)), rel=1e-12)
    assert out["A"] == pytest.approx(float(c.A.real), rel=1e-12)
    assert out["A_tilde"] == pytest.approx(float(c.A_tilde.real), rel=1e-12)
    assert out["Jz"] == 0.0 and out["D_dm"] == 0.0
    assert out["k_on_shell"] == pytest.approx(float(c.info["k_on_shell"]), rel=1e-12)
    assert out["markov_ok"] is True
    assert out["units"]["a"] == "1/s" and out["units"]["Jperp"] == "rad/s" and out["units"]["k_on_shell"] == "1/m"
    assert out["params"]["geometry"] == "bulk3d" and out["params"]["temperature_K"] == 4.0
    assert out["params"]["qubit_frequency_Hz"] == pytest.approx(2.87e9 - 0.04 * 28.03e9, rel=1e-4)
    dl = out["dimensionless"]
    assert dl["unit"] == "a" and dl["a"] == 1.0 and dl["A"] == pytest.approx(out["A"] / out["a"])
    assert abs(out["A"]) <= out["a"]


def test_json_range_and_list_give_arrays(runs):
    out = _json(runs["range"])
    assert REQUIRED <= set(out)
    sep = np.linspace(50e-9, 1e-6, 7)
    np.testing.assert_allclose(out["separation"], sep)
    c = PhysicalSetup(geometry="film2d", thickness=20e-9, field=0.04).couplings(sep, 0.0)
    np.testing.assert_allclose(out["A"], c.A.real, rtol=1e-12)
    np.testing.assert_allclose(out["Jperp"], c.Jperp, rtol=1e-12)
    assert len(out["markov_ok"]) == 7 and all(out["markov_ok"])
    assert out["a_tilde"] == [0.0] * 7
    out = _json(runs["list"])
    assert len(out["a"]) == 2 and out["params"]["cross_section_m2"] == pytest.approx(2.5e-15)
    r = out["a_tilde"][0] / out["a"][0]
    assert r == pytest.approx(np.exp(-6.62607015e-34 * 1.75e9 / (1.380649e-23 * 0.05)), rel=1e-12)


def test_table_and_text_output(runs):
    p = runs["table"]
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("# magbell medium: film2d YIG")
    header = [ln for ln in lines if "r[nm]" in ln][0]
    assert "A/a" in header and "Jperp[rad/s]" in header
    rows = lines[lines.index(header) + 1:]
    assert len(rows) == 7 and float(rows[0].split()[0]) == pytest.approx(50.0)
    p = runs["text"]
    assert p.returncode == 0 and "on-shell k" in p.stdout and "markov            : ok" in p.stdout


def test_in_gap_and_markov_warning(runs):
    out = _json(runs["gap"])
    assert out["a"] == 0.0 and out["A"] == 0.0 and out["Jperp"] < 0
    assert out["dimensionless"]["unit"] == "1/us"
    assert out["markov"]["above_gap"] is False and out["markov_ok"] is True
    p = runs["edge"]
    out = _json(p)
    assert out["markov_ok"] is False and "not short" in out["markov"]["reasons"]
    assert "magbell: warning: Markov approximation not justified" in p.stderr


def test_overrides(runs):
    out = _json(runs["override"])
    from magbell.medium import SPIN_HALF, YIG
    from magbell.medium.units import MU_0

    Ms = 0.176 / MU_0
    mat = YIG.replace(Ms=Ms, exchange=5.3e-17 * Ms / 2)
    st = PhysicalSetup(geometry="bulk3d", material=mat, qubit=SPIN_HALF, field=0.04, gap_offset_field=0.01, eta=0.5, damping=1e-3)
    c = st.couplings(300e-9, 0.0)
    assert out["a"] == pytest.approx(float(c.a), rel=1e-12)
    assert out["Jperp"] == pytest.approx(float(c.Jperp), rel=1e-12)
    assert out["params"]["gap_Hz"] == pytest.approx(YIG.gamma * 0.05 / (2 * np.pi), rel=1e-12)


@pytest.mark.parametrize(
    "case,msg",
    [
        ("bad_unit", "--separation: unknown unit 'nmx'"),
        ("no_thickness", "--model film2d needs --thickness"),
        ("both_stiff", "either --exchange"),
        ("no_field", "give --field"),
        ("bad_temp", "--temperature: '4' needs a unit"),
        ("neg_sep", "--separation must be > 0"),
    ],
)
def test_bad_input_exits_2_with_one_line(runs, case, msg):
    p = runs[case]
    assert p.returncode == 2
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("magbell: error: ") and msg in lines[0], p.stderr


def test_help(runs):
    p = runs["help"]
    assert p.returncode == 0 and "--separation" in p.stdout and "bulk3d" in p.stdout and "JSON keys" in p.stdout


def test_help_says_which_model_is_which():
    """`magbell medium --help` points NV + film users to `magbell medium film` (the dipolar film model,
    magbell.medium.FilmSetup) and names the --model media as the paper's contact coupling."""
    from magbell import cli

    p = _inproc(cli, ["medium", "--help"])
    assert p.returncode == 0
    text = " ".join(p.stdout.split())
    assert "magbell medium film" in text and "FilmSetup" in text
    assert "contact coupling" in text and "PhysicalSetup" in text
