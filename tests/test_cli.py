"""Tests of the command-line interface, run as a real subprocess (``python -m magbell ...``).

Every test checks values against closed forms of the paper (S61–S64, the finite-temperature steady
concurrence (1−r)²/(2(1+r+r²))) or against each other, not only exit codes. The bad-input cases are
launched concurrently to keep the runtime small.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
H_OVER_KB = 0.0479924307  # K per GHz


def _cmd(args) -> list[str]:
    return [sys.executable, "-m", "magbell", *map(str, args)]


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(_cmd(args), capture_output=True, text=True, env=ENV, timeout=120)


def run_many(arg_lists) -> list[subprocess.CompletedProcess]:
    """Run several CLI invocations concurrently."""
    procs = [
        subprocess.Popen(_cmd(a), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        for a in arg_lists
    ]
    out = []
    for a, p in zip(arg_lists, procs):
        stdout, stderr = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(_cmd(a), p.returncode, stdout, stderr))
    return out


def _reject_constant(name):
    raise AssertionError(f"non-standard JSON constant {name} in output")


def run_json(*args) -> dict:
    """Run with --json; stdout must be exactly one JSON object (no NaN/Infinity) and nothing else."""
    p = run(*args, "--json")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    obj = json.loads(p.stdout, parse_constant=_reject_constant)  # raises on any extra content
    assert isinstance(obj, dict)
    assert p.stdout.strip().count("\n") == 0  # one object on one line
    return obj


# ----------------------------------------------------------------------------- closed forms (paper)
def conc_overdamped(t, a, A, delta):
    """S63: C(t) = 2|A| sinh(κ0 t) e^{-2at} sqrt(|A cosh κ0 t|² − δ²)/κ0², κ0 = sqrt(|A|² − δ²)."""
    k = math.sqrt(A * A - delta * delta)
    return 2 * A * math.sinh(k * t) * math.exp(-2 * a * t) * math.sqrt((A * math.cosh(k * t)) ** 2 - delta**2) / k**2


def conc_underdamped(t, a, A, delta):
    """C(t) = 2 e^{-2at} |A sin ω0 t| sqrt(δ² − |A cos ω0 t|²)/ω0², ω0 = sqrt(δ² − |A|²)."""
    w = math.sqrt(delta * delta - A * A)
    return 2 * math.exp(-2 * a * t) * abs(A * math.sin(w * t)) * math.sqrt(delta**2 - (A * math.cos(w * t)) ** 2) / w**2


def pops_overdamped(t, a, A, delta):
    """Diagonal of S62 (p_uu, p_ud, p_du, p_dd)."""
    k2 = A * A - delta * delta
    k = math.sqrt(k2)
    e = math.exp(-2 * a * t)
    p_ud = (A * A * math.cosh(k * t) ** 2 - delta**2) / k2 * e
    p_du = A * A / k2 * e * math.sinh(k * t) ** 2
    return [1 - p_ud - p_du, p_ud, p_du, 0.0]


def c_thermal(r):
    return (1 - r) ** 2 / (2 * (1 + r + r * r))


# ----------------------------------------------------------------------------- evolve
def test_evolve_json_matches_closed_form():
    out = run_json("evolve", "--a", 1, "--A", 1, "--delta", 0.3, "--t-max", 5, "--points", 51, "--initial", "ud")
    assert set(out) == {"times", "concurrence", "populations", "params"}
    t = np.array(out["times"])
    np.testing.assert_allclose(t, np.linspace(0, 5, 51), rtol=0, atol=1e-15)
    c = np.array(out["concurrence"])
    pops = np.array(out["populations"])
    assert c.shape == (51,) and pops.shape == (51, 4)
    assert c[0] == 0.0
    np.testing.assert_array_equal(pops[0], [0, 1, 0, 0])
    np.testing.assert_allclose(pops.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c, [conc_overdamped(x, 1, 1, 0.3) for x in t], rtol=0, atol=1e-10)
    np.testing.assert_allclose(pops, [pops_overdamped(x, 1, 1, 0.3) for x in t], rtol=0, atol=1e-10)
    p = out["params"]
    assert p["a"] == 1.0 and p["A"] == {"re": 1.0, "im": 0.0} and p["delta"] == 0.3
    assert p["a_tilde"] == 0.0 and p["A_tilde"] == {"re": 0.0, "im": 0.0}
    assert (p["t_min"], p["t_max"], p["points"], p["initial"]) == (0.0, 5.0, 51, "ud")


def test_evolve_underdamped_and_t_min():
    out = run_json("evolve", "--a", 1, "--A", 1, "--delta", 2, "--t-min", 0.5, "--t-max", 2.5, "--points", 5)
    t = np.array(out["times"])
    np.testing.assert_allclose(t, [0.5, 1.0, 1.5, 2.0, 2.5], atol=1e-15)
    np.testing.assert_allclose(out["concurrence"], [conc_underdamped(x, 1, 1, 2) for x in t], atol=1e-10)
    assert out["params"]["t_min"] == 0.5


def test_evolve_steady_entanglement_long_time():
    # a = |A| = 1, δ = 0: C(t) = (1 − e^{-4t})/2 → 1/2 (dark singlet, Eq. 10)
    out = run_json("evolve", "--a", 1, "--A", 1, "--delta", 0, "--t-max", 40, "--points", 5)
    c = np.array(out["concurrence"])
    np.testing.assert_allclose(c, (1 - np.exp(-4 * np.array(out["times"]))) / 2, atol=1e-12)
    assert abs(c[-1] - 0.5) < 1e-12


def test_evolve_extra_measures():
    out = run_json(
        "evolve", "--a", 1, "--A", 1, "--t-max", 2, "--points", 3,
        "--measures", "entanglement_of_formation,negativity,purity,bell_fidelities",
    )
    assert set(out) == {
        "times", "concurrence", "populations", "entanglement_of_formation", "negativity", "purity",
        "bell_fidelities", "params",
    }
    c = np.array(out["concurrence"])
    assert np.array(out["purity"])[0] == pytest.approx(1.0, abs=1e-14)
    fid = np.array(out["bell_fidelities"])  # (phi+, phi-, psi+, psi-)
    assert fid.shape == (3, 4)
    np.testing.assert_allclose(fid[0], [0, 0, 0.5, 0.5], atol=1e-14)
    # δ = 0, a = |A|: the singlet weight stays 1/2 (conserved), psi+ decays
    np.testing.assert_allclose(fid[:, 3], 0.5, atol=1e-12)
    # EoF is the binary entropy of (1 + sqrt(1 − C²))/2 (Suppl. S50)
    x = (1 + np.sqrt(1 - c**2)) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.nan_to_num(-x * np.log2(x)) + np.nan_to_num(-(1 - x) * np.log2(1 - x))
    np.testing.assert_allclose(out["entanglement_of_formation"], h, atol=1e-9)
    assert all(v >= 0 for v in out["negativity"]) and out["negativity"][-1] > 0.1


def test_evolve_table():
    p = run("evolve", "--a", 1, "--A", 1, "--delta", 0.3, "--t-max", 5, "--points", 11)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("# magbell evolve: model: a=1, A=1, delta=0.3")
    assert lines[1].startswith("# initial |ud>")
    assert lines[2].split() == ["t", "C", "p_uu", "p_ud", "p_du", "p_dd"]
    rows = np.array([[float(x) for x in line.split()] for line in lines[3:]])
    assert rows.shape == (11, 6)
    np.testing.assert_allclose(rows[:, 0], np.linspace(0, 5, 11), atol=1e-12)
    np.testing.assert_allclose(rows[:, 1], [conc_overdamped(x, 1, 1, 0.3) for x in rows[:, 0]], atol=1e-6)
    np.testing.assert_allclose(rows[:, 2:].sum(axis=1), 1.0, atol=1e-6)


def test_evolve_a_phase_is_a_local_gauge():
    """A = |A| e^{iφ}, Ã = |Ã| e^{iφ}: a local rotation of qubit 2, so C(t) and populations are unchanged."""
    base = ["evolve", "--a", 1, "--A", 0.8, "--at", 0.2, "--At", 0.15, "--delta", 0.4, "--t-max", 3, "--points", 7]
    ref, ph = run_json(*base), run_json(*base, "--A-phase", 0.7)
    assert ph["params"]["A"] == pytest.approx({"re": 0.8 * math.cos(0.7), "im": 0.8 * math.sin(0.7)})
    assert ph["params"]["A_tilde"] == pytest.approx({"re": 0.15 * math.cos(0.7), "im": 0.15 * math.sin(0.7)})
    assert ph["params"]["A_phase"] == 0.7
    np.testing.assert_allclose(ph["concurrence"], ref["concurrence"], atol=1e-12)
    np.testing.assert_allclose(ph["populations"], ref["populations"], atol=1e-12)
    assert max(ref["concurrence"]) > 0.01


# ----------------------------------------------------------------------------- steady
def test_steady_dark_singlet():
    out = run_json("steady", "--a", 1, "--A", 1)
    assert set(out) == {"concurrence", "unique", "n_stationary", "converges", "rho", "populations", "params"}
    assert out["unique"] is False and out["converges"] is True and out["n_stationary"] == 4
    assert abs(out["concurrence"] - 0.5) < 1e-12
    re, im = np.array(out["rho"]["re"]), np.array(out["rho"]["im"])
    # ρ(∞) = ½|↑↑><↑↑| + ½|S><S| from |↑↓> (Eq. 10)
    expect = np.zeros((4, 4))
    expect[0, 0] = 0.5
    expect[1:3, 1:3] = [[0.25, -0.25], [-0.25, 0.25]]
    np.testing.assert_allclose(re, expect, atol=1e-12)
    np.testing.assert_allclose(im, 0, atol=1e-12)
    np.testing.assert_allclose(out["populations"], [0.5, 0.25, 0.25, 0.0], atol=1e-12)
    assert out["params"]["initial"] == "ud"


def test_steady_finite_temperature_and_detailed_balance():
    r = 0.1
    explicit = run_json("steady", "--a", 1, "--A", 1, "--at", r, "--At", r)
    assert explicit["concurrence"] == pytest.approx(c_thermal(r), abs=1e-12)
    assert c_thermal(r) == pytest.approx(0.36486486486486, abs=1e-13)
    assert explicit["unique"] is False
    np.testing.assert_allclose(np.sum(explicit["populations"]), 1.0, atol=1e-12)
    via_ratio = run_json("steady", "--a", 1, "--A", 1, "--ratio", r)
    assert via_ratio["params"]["detailed_balance"]["ratio"] == r
    assert (via_ratio["unique"], via_ratio["n_stationary"]) == (explicit["unique"], explicit["n_stationary"])
    assert via_ratio["concurrence"] == pytest.approx(explicit["concurrence"], abs=1e-15)
    np.testing.assert_allclose(via_ratio["populations"], explicit["populations"], atol=1e-15)
    np.testing.assert_allclose(via_ratio["rho"]["re"], explicit["rho"]["re"], atol=1e-15)
    np.testing.assert_allclose(via_ratio["rho"]["im"], explicit["rho"]["im"], atol=1e-15)
    for key in ("a_tilde", "A_tilde"):
        assert via_ratio["params"][key] == explicit["params"][key]


def test_steady_temperature_path():
    T, f = 0.05, 2.87
    out = run_json("steady", "--a", 2, "--A", 2, "--temperature", T, "--Delta-GHz", f)
    r = math.exp(-H_OVER_KB * f / T)
    db = out["params"]["detailed_balance"]
    assert db["ratio"] == pytest.approx(r, rel=1e-8)  # H_OVER_KB has 9 significant digits
    assert (db["temperature_K"], db["Delta_GHz"]) == (T, f)
    assert out["params"]["a_tilde"] == pytest.approx(2 * db["ratio"], rel=1e-15)
    assert out["params"]["A_tilde"]["re"] == pytest.approx(2 * db["ratio"], rel=1e-15)
    assert out["concurrence"] == pytest.approx(c_thermal(db["ratio"]), abs=1e-12)


def test_steady_unique_without_initial_and_table():
    out = run_json("steady", "--a", 1, "--A", 0.5, "--initial", "none", "--measures", "purity,bell_fidelities")
    assert out["unique"] is True and out["n_stationary"] == 1 and out["params"]["initial"] is None
    np.testing.assert_allclose(out["populations"], [1, 0, 0, 0], atol=1e-12)
    assert out["concurrence"] == 0.0 and out["purity"] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(out["bell_fidelities"], [0.5, 0.5, 0, 0], atol=1e-12)
    p = run("steady", "--a", 1, "--A", 1, "--at", 0.1, "--At", 0.1)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("# magbell steady: model: a=1, A=1, a_tilde=0.1, A_tilde=0.1")
    line = next(x for x in p.stdout.splitlines() if x.startswith("concurrence C(inf)"))
    assert float(line.split(":")[1]) == pytest.approx(c_thermal(0.1), abs=1e-11)
    assert "unique             : no" in p.stdout
    assert "rho (real part)" in p.stdout


# ----------------------------------------------------------------------------- spectrum
def test_spectrum():
    out = run_json("spectrum", "--a", 1, "--A", 1, "--delta", 0.3)
    assert set(out) == {"eigenvalues", "slowest_rate", "entanglement_rate", "entanglement_lifetime", "regime", "params"}
    ev = np.array(out["eigenvalues"]["re"]) + 1j * np.array(out["eigenvalues"]["im"])
    assert ev.shape == (16,) and abs(ev[0]) < 1e-12 and np.all(ev.real <= 1e-12)
    kappa = math.sqrt(1 - 0.3**2)
    assert out["entanglement_lifetime"] == pytest.approx(1 / (2 * (1 - kappa)), rel=1e-9)  # S64
    assert out["regime"] == "overdamped"
    under = run_json("spectrum", "--a", 1, "--A", 1, "--delta", 2)
    assert under["regime"] == "underdamped"
    assert under["entanglement_lifetime"] == pytest.approx(0.5, rel=1e-9)  # τ = 1/2a
    p = run("spectrum", "--a", 1, "--A", 1, "--delta", 0.3)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("# magbell spectrum: model: a=1, A=1, delta=0.3")
    assert "regime                : overdamped" in p.stdout
    assert len([x for x in p.stdout.splitlines() if x[:4].strip().isdigit()]) == 16


def test_spectrum_no_decay_is_null_in_json():
    out = run_json("spectrum", "--a", 0)
    assert out["slowest_rate"] is None and out["entanglement_lifetime"] is None


# ----------------------------------------------------------------------------- reproduce
def test_reproduce_table():
    p = run("reproduce")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert any("does not state delta" in x for x in lines)
    rows = {x.split()[0]: x.split() for x in lines if x.split() and x.split()[0] in ("black", "orange", "cyan", "red")}
    assert list(rows) == ["black", "orange", "cyan", "red"]
    assert [float(rows[k][1]) for k in rows] == [2.0, 1.0, 0.3, 0.0]
    assert [rows[k][2] for k in rows] == ["underdamped", "critical", "overdamped", "overdamped"]
    # C(0.5) (column 4) of the red curve: (1 − e^{-2})/2; cyan from S63
    assert float(rows["red"][4]) == pytest.approx((1 - math.exp(-2)) / 2, abs=1e-5)
    assert float(rows["cyan"][4]) == pytest.approx(conc_overdamped(0.5, 1, 1, 0.3), abs=1e-5)
    assert rows["red"][-1] == "inf" and float(rows["red"][-3]) == pytest.approx(0.5, abs=1e-5)
    assert float(rows["cyan"][-1]) == pytest.approx(1 / (2 * (1 - math.sqrt(0.91))), rel=1e-5)
    s1 = [x.split() for x in lines if x.split() and x.split()[0] in ("20", "25", "27", "28", "29", "30")]
    assert [float(r[0]) for r in s1] == [20, 25, 27, 28, 29, 30]
    assert [float(r[2]) for r in s1[:-1]] == [0.0] * 5
    assert float(s1[-1][2]) == pytest.approx(c_thermal(0.1), abs=1e-6)


def test_reproduce_json():
    out = run_json("reproduce")
    assert set(out) == {"fig2", "figS1a"}
    f2 = out["fig2"]
    assert f2["sample_times"] == [0.25, 0.5, 1.0, 2.0, 5.0]
    rows = f2["rows"]
    assert [r["color"] for r in rows] == ["black", "orange", "cyan", "red"]
    assert [r["regime"] for r in rows] == ["underdamped", "critical", "overdamped", "overdamped"]
    assert [r["delta_stated_in_paper"] for r in rows] == [False, True, True, True]
    for r in rows:
        t = np.array(f2["sample_times"])
        if r["delta"] > 1:
            expect = [conc_underdamped(x, 1, 1, r["delta"]) for x in t]
        elif r["delta"] < 1:
            expect = [conc_overdamped(x, 1, 1, r["delta"]) for x in t]
        else:  # δ → |A| limit of S63: C = 2|A| t e^{-2at} sqrt(1 + |A|²t²), here a = |A| = 1
            expect = [2 * x * math.exp(-2 * x) * math.sqrt(1 + x * x) for x in t]
        np.testing.assert_allclose(r["C_samples"], expect, atol=1e-10)
        # C_max comes from a fine uniform grid (rounding grows over its ~2√n anchor products), the samples from
        # direct exponentials: two computations, each within the documented 1e-13 (docs/numerics.md). Measured on
        # the red curve at t = 5, C = (1 − e^{−20})/2: samples 4e-16 off, the grid 2.1e-14 (3.0e-14 at 1001
        # times with LAPACK's solve, 1.9e-14 with the no-pivoting one)
        assert 0 <= r["t_at_C_max"] <= 5 and r["C_max"] >= max(r["C_samples"]) - 1e-13
    red = rows[3]
    assert red["C_inf"] == pytest.approx(0.5, abs=1e-12) and red["unique"] is False and red["lifetime"] is None
    assert rows[2]["lifetime"] == pytest.approx(1 / (2 * (1 - math.sqrt(0.91))), rel=1e-9)
    assert all(r["C_inf"] == pytest.approx(0.0, abs=1e-12) for r in rows[:3])
    s1 = out["figS1a"]["rows"]
    assert [r["A"] for r in s1] == [20, 25, 27, 28, 29, 30]
    assert [r["A_tilde"] for r in s1] == pytest.approx([2, 2.5, 2.7, 2.8, 2.9, 3])
    assert all(abs(r["C_inf"]) < 1e-12 for r in s1[:-1])
    assert s1[-1]["C_inf"] == pytest.approx(c_thermal(0.1), abs=1e-10)
    assert s1[-1]["lifetime"] is None


# ----------------------------------------------------------------------------- help
@pytest.mark.parametrize("sub", ["evolve", "steady", "spectrum", "reproduce"])
def test_help_has_example(sub):
    p = run(sub, "--help")
    assert p.returncode == 0
    assert "example" in p.stdout and f"magbell {sub}" in p.stdout.split("example", 1)[1]


def test_main_help_and_version():
    p = run("--help")
    assert p.returncode == 0 and "examples:" in p.stdout
    for sub in ("evolve", "steady", "spectrum", "reproduce"):
        assert sub in p.stdout
    p = run("--version")
    assert p.returncode == 0 and p.stdout.startswith("magbell ")


def test_console_script():
    exe = Path(sys.executable).with_name("magbell")
    if not exe.exists():
        pytest.skip("console script not installed next to the interpreter")
    p = subprocess.run([str(exe), "steady", "--a", "1", "--A", "1", "--json"],
                       capture_output=True, text=True, env=ENV, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["concurrence"] == pytest.approx(0.5, abs=1e-12)


# ----------------------------------------------------------------------------- bad input
BAD_INPUTS = [
    # (arguments, substring the one-line message must contain)
    (["evolve", "--a", 0.5, "--A", 0.7], "a >= |A|"),
    (["steady", "--a", 0.5, "--A", 0.7], "|A|=0.7"),
    (["spectrum", "--a", 0.5, "--A", 0.7], "a=0.5"),
    (["evolve", "--a", 1, "--t-min", -1], "--t-min"),
    (["evolve", "--a", 1, "--t-max", -2], "--t-max"),
    (["evolve", "--a", 1, "--t-min", 3, "--t-max", 2], "--t-max"),
    (["evolve", "--a", 1, "--points", 0], "--points"),
    (["evolve", "--a", 1, "--initial", "foo"], "initial state 'foo'"),
    (["steady", "--a", 1, "--initial", "foo"], "initial state 'foo'"),
    (["evolve", "--a", "nan"], "a must be finite"),
    (["evolve", "--a", 1, "--delta", "nan"], "delta must be finite"),
    (["evolve", "--a", 1, "--t-max", "nan"], "--t-max"),
    (["evolve", "--a", 1, "--A-phase", "nan"], "--A-phase"),
    (["evolve", "--a", 1, "--measures", "concurrence,foo"], "measure 'foo'"),
    (["steady", "--a", 1, "--measures", "bar"], "measure 'bar'"),
    (["evolve", "--a", 1, "--ratio", 0.1, "--at", 0.1], "--at"),
    (["steady", "--a", 1, "--A", 1, "--ratio", 0.1, "--At", 0.1], "--At"),
    (["steady", "--a", 1, "--temperature", 1, "--Delta-GHz", 2, "--at", 0.1], "--temperature"),
    (["evolve", "--a", 1, "--ratio", 1.5], "ratio"),
    (["evolve", "--a", 1, "--temperature", 1], "--Delta-GHz"),
    (["evolve", "--a", 1, "--ratio", 0.1, "--temperature", 1, "--Delta-GHz", 2], "--ratio"),
    (["steady", "--a", 1, "--temperature", -1, "--Delta-GHz", 2], "temperature"),
    (["evolve", "--a", -1], "a is a rate"),
    (["evolve", "--a", 1, "--A", 0.9, "--a2", 0.5], "a2"),
    (["evolve", "--a", 1, "--d", 0.1, "--D-deph", 0.2], "D_deph"),
    (["steady", "--a", 1, "--A", 1, "--initial", "none"], "not unique"),
]


@pytest.fixture(scope="module")
def bad_results():
    return run_many([args for args, _ in BAD_INPUTS])


@pytest.mark.parametrize("case", range(len(BAD_INPUTS)), ids=[" ".join(map(str, a)) for a, _ in BAD_INPUTS])
def test_bad_input_one_line_exit_2(case, bad_results):
    args, needle = BAD_INPUTS[case]
    p = bad_results[case]
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("magbell: error: ")
    assert needle in lines[0], lines[0]


def test_argparse_usage_errors_exit_2_with_one_line():
    """argparse's rejections follow the CLI's promise: ONE line naming the option and the problem, with a
    pointer to the subcommand's --help, no usage block (issue 9 §3)."""
    cases = [
        ([], "the following arguments are required: COMMAND", "magbell --help"),
        (["evolve"], "the following arguments are required: --a", "magbell evolve --help"),
        (["evolve", "--a", "x"], "argument --a: invalid float value: 'x'", "magbell evolve --help"),
        (["evolve", "--a", 1, "--points", "1.5"], "argument --points: invalid int value: '1.5'", "magbell evolve --help"),
        (["bogus"], "argument COMMAND: invalid choice: 'bogus'", "magbell --help"),
        (["steady", "--a", "1", "--bogus"], "unrecognized arguments: --bogus", "magbell steady --help"),
    ]
    for (_, needle, pointer), p in zip(cases, run_many([c[0] for c in cases])):
        assert p.returncode == 2 and p.stdout == ""
        lines = p.stderr.splitlines()
        assert len(lines) == 1 and "usage:" not in p.stderr, p.stderr
        assert lines[0].startswith("magbell: error: ") and needle in lines[0] and f"(see '{pointer}')" in lines[0]
