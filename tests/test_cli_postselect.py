"""``magbell postselect | monitor | trajectories`` (magbell.cli_postselect).

Until ``magbell.cli_postselect`` is listed in ``magbell.cli.SUBCOMMAND_MODULES`` the tests add it with
monkeypatch (in-process, fast); one test runs a real subprocess the same way. Values are checked against the
closed forms (tanh 2Γt, the exceptional-point formula), against the library functions and against each other,
not only exit codes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import magbell.cli as cli
import magbell.paper.closed_forms_postselect as cf
from magbell import Model
from magbell.solvers._monitor import monitor
from magbell.solvers._postselect import postselect

MOD = "magbell.cli_postselect"
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}


@pytest.fixture
def magbell_cli(monkeypatch, capsys):
    mods = tuple(dict.fromkeys(tuple(cli.SUBCOMMAND_MODULES) + (MOD,)))
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", mods)

    def run(*args):
        try:
            rc = cli.main([str(a) for a in args])
        except SystemExit as e:  # argparse usage errors
            rc = e.code
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


def _reject(name):
    raise AssertionError(f"non-standard JSON constant {name}")


def as_json(text):
    assert text.strip().count("\n") == 0
    return json.loads(text, parse_constant=_reject)


def test_postselect_json_paper_example(magbell_cli):
    rc, out, err = magbell_cli("postselect", "--a", 2, "--A", 2, "--delta", 0, "--t-max", 3, "--points", 301, "--json")
    assert rc == 0, err
    d = as_json(out)
    assert list(d) == ["times", "concurrence", "success_probability", "log_success_probability", "bell_fidelity",
                       "phase", "exceptional_point_delta", "params"]
    t = np.array(d["times"])
    assert len(t) == 301 and t[-1] == 3.0
    assert np.max(np.abs(np.array(d["concurrence"]) - np.tanh(4 * t))) < 1e-12  # Γ = 2
    P = np.exp(-4 * t) * np.cosh(4 * t)
    assert np.max(np.abs(np.array(d["success_probability"]) - P)) < 1e-12
    assert np.max(np.abs(np.array(d["log_success_probability"]) - np.log(P))) < 1e-12
    assert np.max(np.abs(np.array(d["bell_fidelity"]) - (1 + np.tanh(4 * t)) / 2)) < 1e-12
    assert d["phase"] == "PT-broken" and d["exceptional_point_delta"] == 2.0
    assert d["params"]["initial"] == "ud" and d["params"]["scheme"] == "no-jump"


@pytest.mark.parametrize("delta, phase", [(1.0, "PT-broken"), (2.0, "exceptional-point"), (5.0, "PT-exact")])
def test_postselect_phases(magbell_cli, delta, phase):
    rc, out, err = magbell_cli("postselect", "--a", 2, "--A", 2, "--delta", delta, "--t-max", 2, "--points", 5,
                               "--initial", "du", "--json")
    assert rc == 0, err
    d = as_json(out)
    assert d["phase"] == phase
    lib = postselect(Model(a=2.0, A=2.0, delta=delta), "du", np.linspace(0, 2, 5))
    assert np.max(np.abs(np.array(d["concurrence"]) - lib.concurrence)) == 0
    if phase == "exceptional-point":
        assert np.max(np.abs(np.array(d["concurrence"]) - cf.concurrence_ep(np.array(d["times"]), 2.0))) < 1e-13


def test_postselect_table_and_subspace(magbell_cli):
    rc, out, err = magbell_cli("postselect", "--a", 1, "--A", 0.8, "--d", 0.1, "--scheme", "subspace",
                               "--initial", "singlet", "--points", 3)
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("# magbell postselect") and "scheme subspace" in lines[1]
    assert lines[3].split() == ["t", "C", "P", "log", "P", "F_bell"]
    assert len(lines) == 4 + 3


def test_monitor_json(magbell_cli):
    rc, out, err = magbell_cli("monitor", "--a", 2, "--A", 1.5, "--at", 0.5, "--At", 0.3, "--tau-m", 0.01,
                               "--t-max", 1, "--points", 3, "--json")
    assert rc == 0, err
    d = as_json(out)
    for k in ("times", "concurrence", "success_probability", "log_success_probability", "bell_fidelity", "phase",
              "exceptional_point_delta", "tau_m", "kind", "readout", "params"):
        assert k in d
    lib = monitor(Model(a=2.0, A=1.5, a_tilde=0.5, A_tilde=0.3), "ud", np.linspace(0, 1, 3), 0.01)
    assert np.max(np.abs(np.array(d["concurrence"]) - lib.concurrence)) == 0
    assert d["tau_m"] == 0.01 and d["kind"] == "periodic" and d["readout"] is True
    rc, out, _ = magbell_cli("monitor", "--a", 2, "--A", 1.5, "--tau-m", 1e9, "--no-readout", "--kind", "continuous",
                             "--points", 3)
    assert rc == 0 and "readout off" in out


def test_trajectories_json_reproducible(magbell_cli):
    args = ("trajectories", "--a", 1, "--A", 1, "--delta", 0.3, "--n", 2000, "--seed", 1, "--points", 5, "--json")
    rc, out, err = magbell_cli(*args)
    assert rc == 0, err
    d = as_json(out)
    rc2, out2, _ = magbell_cli(*args)
    assert rc2 == 0 and out2 == out
    assert d["n"] == 2000 and d["seed"] == 1 and d["select"] == "no-jump"
    t = np.array(d["times"])
    P = postselect(Model(a=1.0, A=1.0, delta=0.3), "ud", t).success_probability
    f, se = np.array(d["success_probability"]), np.array(d["success_probability_stderr"])
    assert np.all(np.abs(f - P) <= 5 * se + 1e-12)
    assert set(d["jump_counts"]) == {"J1", "J2", "J3", "J4", "J5", "J6"}
    assert d["jump_counts"]["J3"] > 0 and d["jump_counts"]["J1"] == 0
    rc, out, _ = magbell_cli("trajectories", "--a", 1, "--A", 0.8, "--n", 50, "--seed", 2, "--select", "all",
                             "--points", 3)
    assert rc == 0 and "select all" in out


@pytest.mark.parametrize(
    "args, msg",
    [
        (("postselect", "--a", 1, "--A", 2), "a >= |A|"),
        (("postselect", "--a", 1, "--initial", "foo"), "unknown initial state"),
        (("postselect", "--a", 1, "--points", 0), "points"),
        (("monitor", "--a", 1, "--tau-m", -1), "tau_m"),
        (("monitor", "--a", 1, "--tau-m", "nan"), "tau_m"),
        (("trajectories", "--a", 1, "--select", "no-J9"), "unknown jump channel"),
        (("trajectories", "--a", 1, "--n", 0), "n (--n)"),
        (("trajectories", "--a", 1, "--seed", -3), "seed"),
        (("trajectories", "--a", 1, "--n", 10**7), "exceeds"),
    ],
)
def test_bad_input_exit_2_one_line(magbell_cli, args, msg):
    rc, out, err = magbell_cli(*args)
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("magbell: error: ") and msg in err
    assert "Traceback" not in err


def test_argparse_errors_exit_2(magbell_cli):
    rc, _, err = magbell_cli("postselect", "--a", 1, "--scheme", "zeno")
    assert rc == 2 and "invalid choice" in err
    rc, _, err = magbell_cli("monitor", "--a", 1)
    assert rc == 2 and "--tau-m" in err


def test_subprocess_fresh_interpreter():
    code = ("import sys, magbell.cli as c; c.SUBCOMMAND_MODULES = tuple(dict.fromkeys(tuple(c.SUBCOMMAND_MODULES)"
            f" + ('{MOD}',))); raise SystemExit(c.main(sys.argv[1:]))")
    p = subprocess.run([sys.executable, "-c", code, "postselect", "--a", "2", "--A", "2", "--delta", "2", "--t-max", "1",
                        "--points", "3", "--json"], capture_output=True, text=True, env=ENV, timeout=120)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["phase"] == "exceptional-point"
    assert np.max(np.abs(np.array(d["concurrence"]) - cf.concurrence_ep(np.array(d["times"]), 2.0))) < 1e-13


def test_trajectories_max_jumps_option(capsys):
    """The jump-count refusal names its limit, and the CLI can raise it (--max-jumps)."""
    from magbell.cli import main

    argv = ["trajectories", "--a", "30", "--d", "1e3", "--t-max", "5", "--points", "3", "--n", "1", "--seed", "1"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "max_jumps_per_trajectory = 3000" in err and "--max-jumps" in err
    assert main(argv + ["--max-jumps", "0"]) == 2
    assert "must be a positive integer" in capsys.readouterr().err
