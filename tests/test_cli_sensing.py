"""``magbell fit``, ``magbell design``, ``magbell simulate-experiment`` (in-process, fast)."""

from __future__ import annotations

import json

import pytest

from magbell.cli import main


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("sensing") / "data.csv"
    rc = main(["simulate-experiment", "--truth", "a=1e4,A=5e3,a_tilde=1e3", "--initials", "ud,dd",
               "--times", "0:100:11", "--time-unit", "us", "--shots", "3000", "--seed", "1", "--readout", "0.96,0.92",
               "--out", str(p)])
    assert rc == 0
    return p


def test_simulate_writes_data_format(csv_path, capsys):
    lines = csv_path.read_text().splitlines()
    assert lines[0] == "time,initial,observable,value,shots,readout_up,readout_down"
    assert len(lines) == 1 + 2 * 11 * 4
    rc, out, _ = _run(capsys, "simulate-experiment", "--truth", "a=1e4", "--times", "1,2", "--time-unit", "us",
                      "--shots", "10", "--seed", "3", "--observables", "z1,cov")
    assert rc == 0 and out.splitlines()[0] == "time,initial,observable,value,shots"
    assert len(out.splitlines()) == 1 + 2 * 2 * 2


def test_fit_json(csv_path, capsys):
    rc, out, err = _run(capsys, "fit", str(csv_path), "--fit", "a,A,a_tilde", "--fix", "delta=0", "--time-unit", "us",
                        "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert out.count("\n") == 1
    for key in ("estimates", "stderr", "interval95", "correlation", "loglik", "dof", "not_identifiable"):
        assert key in d
    assert d["not_identifiable"] == []
    lo, hi = d["interval95"]["A"]
    assert lo < 5e3 < hi and lo < d["estimates"]["A"] < hi
    assert len(d["correlation"]) == 3 and d["dof"] == 88 - 22 - 3
    assert d["comparison"]["dissipative_coupling"] is True


def test_fit_text_and_not_identifiable(csv_path, capsys):
    rc, out, _ = _run(capsys, "fit", str(csv_path), "--fit", "a,A,arg_A", "--fix", "a_tilde=1e3", "--time-unit", "us",
                      "--no-profile", "--no-compare", "--json")
    d = json.loads(out)
    assert rc == 0 and d["not_identifiable"][0]["parameters"] == ["arg_A"]
    assert d["stderr"]["arg_A"] is None and d["interval95"]["arg_A"] is None
    rc, out, _ = _run(capsys, "fit", str(csv_path), "--fit", "a,A", "--fix", "a_tilde=1e3", "--time-unit", "us",
                      "--no-profile")
    assert rc == 0 and "A = 0 test" in out and "1/s" in out


def test_design(capsys):
    rc, out, err = _run(capsys, "design", "--truth", "a=1e4,A=5e3,a_tilde=1e3", "--fit", "a,A,a_tilde",
                        "--initials", "ud,dd,psi+", "--times", "0:200:9", "--time-unit", "us", "--total-shots", "50000",
                        "--readout", "0.95,0.9", "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["predicted_stderr"] <= d["uniform_allocation_stderr"] * 1.0001
    assert d["protocol"]["total_shots"] == 50000 and d["protocol"]["settings"]
    assert d["shots_to_detect_A"]["total_shots"] > 0
    rc, out, _ = _run(capsys, "design", "--truth", "a=1e4,A=5e3", "--times", "0:200:5", "--time-unit", "us",
                      "--total-shots", "1000")
    assert rc == 0 and "predicted stderr(A)" in out


@pytest.mark.parametrize("argv, needle", [
    (["fit", "{csv}", "--fit", "a,B"], "unknown fit parameter 'B'"),
    (["fit", "{csv}", "--fit", "a,A", "--fix", "A=3"], "cannot be both fitted and fixed"),
    (["fit", "{csv}", "--fit", "a,A", "--time-unit", "weeks"], "time_unit must be one of"),
    (["fit", "missing.csv", "--fit", "a,A"], "cannot read data file"),
    (["fit", "{bad}", "--fit", "a,A"], "line 3, column initial: unknown state 'xy'"),
    (["design", "--truth", "a=1,A=2", "--times", "0:1:3", "--total-shots", "10"], "a >= |A| violated"),
    (["design", "--truth", "a=1,A=0.5", "--times", "0:1:3", "--total-shots", "10", "--target", "d"],
     "target 'd' must be one of"),
    (["simulate-experiment", "--truth", "a=1", "--times", "1:x"], "--times: expected START:STOP:N"),
    (["simulate-experiment", "--truth", "a=1", "--times", "1,2", "--initials", "up"], "unknown or missing state"),
])
def test_errors_exit_2_one_line(argv, needle, csv_path, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,initial,observable,value,shots\n0,ud,z1,1,10\n1,xy,z1,0.5,10\n")
    argv = [a.format(csv=csv_path, bad=bad) for a in argv]
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.startswith("magbell: error: ") and err.count("\n") == 1 and needle in err


def test_docs_commands_run(tmp_path, monkeypatch, capsys):
    """Every `magbell ...` line of docs/sensing.md runs (in order, in one directory) with status 0."""
    import re
    import shlex
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    text = (Path(__file__).resolve().parents[1] / "docs" / "sensing.md").read_text(encoding="utf-8")
    lines = [ln.strip() for b in re.findall(r"```bash\n(.*?)```", text, re.S) for ln in b.splitlines()
             if ln.strip().startswith("magbell ")]
    assert len(lines) == 3
    for ln in lines:
        rc, out, err = _run(capsys, *shlex.split(ln)[1:])
        assert rc == 0, (ln, err)
