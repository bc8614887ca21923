"""The command line's promise, fuzzed over every subcommand (issue 9 §3 and §7).

For ANY argument list — good values, hostile values (huge, tiny, negative, ±inf, NaN, −0, words, empty
strings), missing values, unknown flags, stray words — ``magbell`` must

* exit with status 0 (a result) or 2 (bad input), never 1 or a traceback;
* on status 2 print nothing on stdout and exactly ONE line ``magbell: error: ...`` on stderr;
* never print a Python warning (``RuntimeWarning``, ``MarkovWarning: ...``): the only other stderr lines
  allowed are magbell's own one-line ``magbell: warning: ...`` notes on a successful run;
* with ``--json`` print exactly one JSON object on stdout (``json.loads`` of the whole of it), with no
  NaN or Infinity in it (infinite quantities are documented as ``null``).

``magbell.cli.main(argv)`` is called in-process (fast); the checks that need the real file descriptors
(LAPACK writes its complaints straight to fd 1) use ``capfd``. Hypothesis is derandomized and bounded in
examples. Cases that still fail in another engineer's area are kept out of the strategies with a comment
naming the issue; the assertions are never weakened.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from magbell import cli

#: MAGBELL_CLI_FUZZ_EXAMPLES=N runs N random (not derandomized) examples per command: a deeper search to run by
#: hand; the default is the bounded, deterministic run of the suite.
_DEEP = int(os.environ.get("MAGBELL_CLI_FUZZ_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=_DEEP or 60,
    deadline=None,
    derandomize=not _DEEP,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ----------------------------------------------------------------------------- running and checking
def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def _no_constants(name):
    raise AssertionError(f"JSON output contains {name}")


def check_contract(argv, rc, out, err) -> None:
    where = f"argv={argv!r}\nrc={rc}\nstderr={err!r}\nstdout={out[:300]!r}"
    assert rc in (0, 2), where
    assert "Traceback" not in err and "Traceback" not in out, where
    assert "Warning" not in err, where  # Python warnings print their class name (RuntimeWarning: ...)
    lines = err.splitlines()
    if rc == 2:
        assert out == "", where
        assert len(lines) == 1 and lines[0].startswith("magbell: error: "), where
        return
    assert all(line.startswith("magbell: warning: ") for line in lines), where
    if "--json" in argv and "-h" not in argv and "--help" not in argv:
        obj = json.loads(out, parse_constant=_no_constants)
        assert isinstance(obj, dict), where


# ----------------------------------------------------------------------------- value strategies
def numbers(good, *, hostile=True, ints=False):
    """Values for a numeric option: typical ones, plus the hostile ones of issue 9."""
    good = st.sampled_from([str(g) for g in good])
    if not hostile:
        return good
    bad_num = ["1e308", "-1e308", "1e200", "1e150", "1e-320", "5e-324", "1e-300", "-1", "-1e-3", "-.5", "-0",
               "0", "inf", "-inf", "nan", "-nan", "Infinity"]
    bad_word = ["abc", "", "1e", "--", "1,5", "0x10", " 1"]
    if ints:
        bad_num = ["0", "-1", "-5", "1.5", "1e3", "10000000000000", "-0", "nan", "inf"]
    return st.one_of(good, good, good, good, good, st.sampled_from(bad_num), st.sampled_from(bad_word))


STATES = ["ud", "du", "uu", "dd", "singlet", "phi+", "psi-", "none", "xx", "", "UD"]


def model_options(*, huge=True):
    """The shared model options (paper's symbols). ``huge=False`` keeps magnitudes <= 1e3."""
    h = huge
    rate = numbers([0.1, 1, 2, 30], hostile=True)
    real = numbers([0, 0.3, -0.3, 0.05, 1e-3], hostile=True)
    if not h:
        rate = st.sampled_from(["0", "0.1", "1", "2", "-1", "inf", "nan", "-0", "abc", "1e-300"])
        real = st.sampled_from(["0", "0.3", "-0.3", "1", "-2.5", "inf", "-inf", "nan", "-0", "x"])
    return {
        "--a": rate,
        "--A": real,
        "--A-phase": real,
        "--at": rate,
        "--At": real,
        "--delta": real,
        "--Delta": real,
        "--Jz": real,
        "--Jperp": real,
        "--D": real,
        "--d": rate,
        "--D-deph": real,
        "--a2": rate,
        "--at2": rate,
        "--d2": rate,
        "--ratio": numbers([0, 0.1, 0.5, 1], hostile=True),
        "--temperature": numbers([0, 0.05, 4, 300], hostile=True),
        "--Delta-GHz": numbers([2.87, 1.75, 10], hostile=True),
    }


def time_options(points=(1, 2, 5)):
    return {
        "--t-min": numbers([0, 0.5, 1]),
        "--t-max": numbers([0, 1, 5, 10]),
        "--points": numbers(list(points), ints=True),
        "--initial": st.sampled_from(STATES),
    }


MEASURES = st.sampled_from(["all", "negativity,purity", "concurrence", "bell_fidelities", "bogus", "", ",",
                            "negativity,,purity"])


@st.composite
def argv_for(draw, command: str, options: dict, *, required=(), flags=(), positional=None):
    """An argument list for ``command``: some options with values, the required ones most of the time,
    and now and then a damaged list (a value missing, an unknown flag, a stray word)."""
    argv = [command]
    if positional is not None:
        argv.append(draw(positional))
    names = sorted(options)
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=4)) if names else []
    for name in required:
        if name not in chosen and draw(st.integers(0, 9)) < 9:  # hypothesis prefers 0: the simple case first
            chosen.insert(0, name)
    for name in chosen:
        value = draw(options[name])
        if value.startswith("-") and draw(st.booleans()):
            argv.append(f"{name}={value}")
        else:
            argv += [name, value]
    for flag in flags:
        if draw(st.integers(0, 3)) in (0, 2):
            argv.append(flag)
    damage = draw(st.integers(0, 15))
    if damage == 15 and len(argv) > 1:
        argv = argv[:-1]  # the last option loses its value (or a flag is dropped)
    elif damage == 14:
        argv.append(draw(st.sampled_from(["--bogus", "--a=", "-x", "--json=1", "--", "stray", "--A-PHASE"])))
    elif damage == 13 and names:
        argv.append(draw(st.sampled_from(names)))  # an option with no value at the end
    return argv


def check(argv):
    rc, out, err = run(argv)
    check_contract(argv, rc, out, err)
    return rc


# ----------------------------------------------------------------------------- the core commands
@SETTINGS
@given(argv_for("evolve", {**model_options(), **time_options(), "--measures": MEASURES},
                required=("--a",), flags=("--json",)))
def test_evolve_contract(argv):
    check(argv)


@SETTINGS
@given(argv_for("steady", {**model_options(), "--initial": st.sampled_from(STATES), "--measures": MEASURES},
                required=("--a",), flags=("--json",)))
def test_steady_contract(argv):
    check(argv)


@SETTINGS
@given(argv_for("spectrum", model_options(), required=("--a",), flags=("--json",)))
def test_spectrum_contract(argv):
    check(argv)


# ----------------------------------------------------------------------------- postselected scheme
@SETTINGS
@given(argv_for("postselect", {**model_options(), **time_options(),
                               "--scheme": st.sampled_from(["no-jump", "subspace", "bogus", ""])},
                required=("--a",), flags=("--json",)))
def test_postselect_contract(argv):
    check(argv)


# All magnitudes are drawn: `magbell monitor --tau-m 0.1 --a 1e6 --points 3` (minutes before) now builds the
# period map once, and work beyond monitor.MAX_PERIODIC_SUBSTEPS is refused before it starts.
@SETTINGS
@given(argv_for("monitor", {**model_options(), **time_options(),
                            "--tau-m": numbers([0.05, 0.1, 1, 10]),
                            "--kind": st.sampled_from(["periodic", "continuous", "bogus"])},
                required=("--a", "--tau-m"), flags=("--json", "--no-readout")))
def test_monitor_contract(argv):
    check(argv)


# Rates up to 1e6 are drawn as good values: `magbell trajectories --a 30 --A 1e-300 --delta 0.5 --d 1e6 --t-max 5
# --points 3 --n 1 --seed 1` (minutes before: ~1e7 jumps) is refused before it starts by the bound
# 2·λmax(K)·t_max on the jumps per trajectory (trajectories.MAX_JUMPS_PER_TRAJECTORY).
_TRAJ_RATE = numbers([0.1, 1, 2, 30, 1e3, 1e6], hostile=True)


@SETTINGS
@given(argv_for("trajectories", {**model_options(), "--a": _TRAJ_RATE, "--d": _TRAJ_RATE, "--at": _TRAJ_RATE,
                                 **time_options(points=(1, 2, 3)),
                                 "--n": numbers([1, 2, 10, 20], ints=True),
                                 "--seed": numbers([0, 1, 7, 123], ints=True),
                                 "--select": st.sampled_from(["no-jump", "all", "no-J3", "no-J3,J4", "J9", "",
                                                              "no-", "bogus"])},
                required=("--a",), flags=("--json",)))
def test_trajectories_contract(argv):
    check(argv)


# ----------------------------------------------------------------------------- medium
def quantity(good, unit, *, extra=()):
    hostile = [f"1e308{unit}", f"-1e308{unit}", f"1e-320{unit}", f"5e-324{unit}", f"-1{unit}", f"0{unit}",
               f"-0{unit}", f"inf{unit}", f"nan{unit}", "abc", "", "1", f"1{unit}{unit}", f"1e400{unit}"]
    good = st.sampled_from(list(good))
    return st.one_of(good, good, good, good, st.sampled_from(hostile + list(extra)))


MEDIUM_OPTIONS = {
    "--model": st.sampled_from(["bulk3d", "film2d", "chain1d", "bogus"]),
    "--thickness": quantity(["20nm", "1um"], "nm"),
    "--cross-section": quantity(["2500nm^2", "1um2"], "nm2"),
    "--ms": quantity(["140kA/m", "176mT"], "kA/m"),
    "--exchange": quantity(["3.65pJ/m"], "pJ/m"),
    "--stiffness": quantity(["5.3e-17T*m^2", "1480GHz*nm^2"], "GHznm2"),
    "--damping": quantity(["1e-4", "0", "0.01"], ""),
    "--eta": quantity(["1", "0.5"], ""),
    "--qubit": st.sampled_from(["nv", "spin", "bogus"]),
    "--field": quantity(["40mT", "10mT", "0.1T"], "mT"),
    "--qubit-frequency": quantity(["1.75GHz", "2.87GHz"], "GHz"),
    "--gap": quantity(["1.12GHz", "0GHz", "3GHz"], "GHz"),
    "--gap-offset-field": quantity(["-176mT", "10mT"], "mT"),
    "--separation": quantity(["200nm", "50nm", "100nm,200nm", "50nm:1000nm:3"], "nm",
                             extra=["1nm:1nm:2", "50nm:1um", "50nm:1um:1", "1nm,,2nm", "1e308m", "1e-320m"]),
    "--temperature": quantity(["0K", "4K", "50mK"], "K"),
    "--markov-threshold": quantity(["0.1", "1"], ""),
}


@SETTINGS
@given(argv_for("medium", MEDIUM_OPTIONS, required=("--separation", "--field"), flags=("--json",)))
def test_medium_contract(argv):
    check(argv)


# `magbell medium film` (registered by the film module): every hostile magnitude is drawn. These were exit 1 and
# are now one line naming the quantity (fields <= film.MAX_FIELD_T, heights <= stray.MAX_HEIGHT_M, separations
# within the angular quadrature):
#   medium film --thickness 20nm --field 1e308T --height 10nm
#   medium film --thickness 20nm --field 40mT --height 1e308m --json
#   medium film --thickness 20nm --field 40mT --height 10nm --separation 1e308m --json
def film_quantity(good, unit):
    hostile = [f"-1{unit}", f"0{unit}", f"-0{unit}", f"inf{unit}", f"nan{unit}", "abc", "", "1",
               f"1{unit}{unit}", f"1e-320{unit}", f"1e400{unit}", f"1e308{unit}", f"-1e308{unit}", f"1e-300{unit}",
               f"1e150{unit}", f"1e-30{unit}", f"1e30{unit}"]
    return mostly(st.sampled_from(list(good)), st.sampled_from(hostile))


def mostly(good, bad):
    """``good`` nine times in ten, ``bad`` otherwise (hypothesis shrinks towards the good branch)."""
    return st.tuples(st.integers(0, 9), good, bad).map(lambda t: t[2] if t[0] == 9 else t[1])


FILM_OPTIONS = {
    "--material": mostly(st.sampled_from(["YIG", "Py", "permalloy"]), st.just("bogus")),
    "--thickness": film_quantity(["20nm", "100nm"], "nm"),
    "--field": film_quantity(["40mT", "10mT", "0.2T"], "mT"),
    "--field-angle": film_quantity(["0", "90", "45"], ""),
    "--height": film_quantity(["10nm", "50nm"], "nm"),
    "--separation": film_quantity(["100nm", "50nm,200nm"], "nm"),
    "--temperature": film_quantity(["0K", "4K"], "K"),
    "--transition": mostly(st.sampled_from(["minus", "plus"]), st.just("bogus")),
    "--damping": film_quantity(["1e-4", "0.01"], ""),
}


@settings(SETTINGS, max_examples=_DEEP or 30)
@given(argv_for("medium", FILM_OPTIONS, required=("--thickness", "--field", "--height"), flags=("--json",),
                positional=st.just("film")))
def test_medium_film_contract(argv):
    if "film" not in _subcommands(["medium"]):
        return  # the film subcommand is not in this tree
    check(argv)


def _subcommands(path) -> set:
    p = cli.build_parser()
    for name in path:
        p = p._subparsers._group_actions[0].choices[name]
    return set(p._subparsers._group_actions[0].choices) if p._subparsers else set()


# ----------------------------------------------------------------------------- sweep and reproduce: bad input only
@pytest.mark.parametrize("argv", [
    ["sweep"],
    ["sweep", "/nonexistent/sweep.toml"],
    ["sweep", "sweep.toml", "--bogus"],
    ["sweep", "sweep.toml", "--scheduler"],
    ["sweep", "--json"],
    ["reproduce", "--only", "fig2"],  # --only needs --out
    ["reproduce", "--bogus"],
    ["reproduce", "--out"],
    ["reproduce", "--only", "", "--json"],
    ["reproduce", "--quiet", "--json", "extra"],
    ["reproduce", "--out", "/proc/magbell-no-such/out", "--only", "fig2", "--quiet"],  # cannot be created
    ["reproduce", "--out", "/dev/null", "--only", "fig2", "--quiet", "--json"],  # not a directory
    ["reproduce", "--out", "/proc/magbell-no-such/out", "--only", "bogus,fig2", "--quiet"],  # unknown figure
])
def test_sweep_and_reproduce_bad_options(argv):
    assert check(argv) == 2


@pytest.mark.parametrize("argv", [
    ["fit"],
    ["fit", "/nonexistent/data.csv", "--fit", "a"],
    ["fit", ".", "--fit", "a"],
    ["fit", "data.csv", "--fit", "a", "--n-starts", "abc"],
    ["design", "--truth", "a=1", "--times", "0:1:3"],  # --total-shots is required
    ["design", "--truth", "a=nan", "--times", "0:1:3", "--total-shots", "100"],
    ["design", "--truth", "a=1", "--times", "0:1:3", "--total-shots", "-5"],
    ["simulate-experiment", "--truth", "a=-1", "--times", "0:1:3"],
    ["simulate-experiment", "--truth", "a=1,A=abc", "--times", "0:1:3"],
    ["simulate-experiment", "--truth", "a=1", "--times", "0:1:3", "--seed", "-1"],
    ["simulate-experiment", "--truth", "a=1", "--times", "0:1:3", "--bogus"],
])
def test_experiment_commands_bad_options(argv):
    """The commands registered by another module (magbell fit / design / simulate-experiment) get the
    same one-line rejections through the shared parser class."""
    if argv[0] not in cli.build_parser()._subparsers._group_actions[0].choices:
        pytest.skip(f"magbell {argv[0]} is not registered in this tree")
    assert check(argv) == 2


def test_sweep_bad_paths(tmp_path):
    """A directory, an unreadable place and a file that is not TOML: one line, exit 2."""
    (tmp_path / "bad.toml").write_text("[sweep\nfunction = ")
    (tmp_path / "empty.toml").write_text("")
    for path in (tmp_path, tmp_path / "bad.toml", tmp_path / "empty.toml", "/proc/x.toml"):
        assert check(["sweep", str(path), "--no-progress"]) == 2


# ----------------------------------------------------------------------------- fixed reproducers (issue 9)
@pytest.mark.parametrize("argv, needle", [
    (["evolve", "--a", "abc"], "argument --a: invalid float value: 'abc'"),
    (["evolve", "--a", "1", "--delta", "-inf"], "delta must be finite"),
    (["steady", "--a", "1", "--bogus"], "unrecognized arguments: --bogus"),
    (["medium", "--model", "foo", "--separation", "1nm"], "argument --model: invalid choice: 'foo'"),
    (["evolve", "--a", "1e308"], "|a| must be <= 1e+150"),
    (["spectrum", "--a", "1", "--Jz", "1e308"], "|Jz| must be <= 1e+150"),
    (["medium", "--model", "film2d", "--thickness", "1e-320m", "--field", "40mT", "--separation", "50nm"],
     "--thickness: '1e-320m' is outside the range of float64"),
    (["medium", "--model", "film2d", "--thickness", "1e-300m", "--field", "40mT", "--separation", "50nm"],
     "thickness=1e-300"),
    (["medium", "--field", "40mT", "--separation", "1e-320m"], "--separation: '1e-320m' is outside the range"),
    (["medium", "--field", "10mT", "--separation", "200nm", "--temperature", "1e308K"], "temperature is too large"),
    (["medium", "--field", "1e308T", "--separation", "50nm"], "must be finite"),
    # was refused blaming 'a=1e+308' (the rate times t_max in the fit's scaled units), not the times
    (["simulate-experiment", "--truth", "a=1", "--times", "0:1e308:3"],
     "times: the longest time t = 1e+308 s is too long for the rates (|a| = 1, |a|·t = 1e+308"),
    (["design", "--truth", "a=1", "--times", "0:1e100:3", "--total-shots", "100"],
     "times: the longest time t = 1e+100 s is too long for the rates"),
])
def test_issue9_reproducers_give_one_line(argv, needle):
    rc, out, err = run(argv)
    check_contract(argv, rc, out, err)
    assert rc == 2 and needle in err, err


@pytest.mark.parametrize("value", ["-1e-3", "-.5", "-1", "-0", "-1E+2"])
def test_negative_numbers_are_values(value):
    rc, out, err = run(["spectrum", "--a", "1", "--delta", value, "--json"])
    check_contract(["--json"], rc, out, err)
    assert rc == 0 and json.loads(out)["params"]["delta"] == float(value)


def test_negative_number_with_a_unit_is_a_value():
    rc, out, err = run(["medium", "--field", "40mT", "--separation", "-5nm"])
    assert rc == 2 and "--separation must be > 0" in err and "expected one argument" not in err


def test_zero_temperature_written_as_minus_zero():
    """``--temperature -0`` is 0 K: the zero-temperature model, not a_tilde = inf after two warnings."""
    rc, out, err = run(["steady", "--a", "1", "--A", "0.5", "--temperature", "-0", "--Delta-GHz", "2.87", "--json"])
    assert rc == 0 and err == ""
    p = json.loads(out)["params"]
    assert p["a_tilde"] == 0.0 and p["A_tilde"] == {"re": 0.0, "im": 0.0} and p["detailed_balance"]["ratio"] == 0.0


def test_separation_far_beyond_the_damping_length_gives_zero_cross_coupling():
    """``--separation 1e308m``: e^{-kappa r} = 0, so A = J_perp = 0 exactly (was NaN -> null)."""
    rc, out, err = run(["medium", "--field", "40mT", "--separation", "1e308m", "--json"])
    check_contract(["--json"], rc, out, err)
    d = json.loads(out)
    assert rc == 0 and d["A"] == 0.0 and d["Jperp"] == 0.0 and d["a"] > 0 and d["markov_ok"] is False


def test_unexpected_exception_is_one_line_exit_1(monkeypatch):
    """The last resort: an unexpected exception is ONE line 'magbell: internal error: ...', exit 1."""
    def boom(args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli._dynamics, "cmd_spectrum", boom)
    rc, out, err = run(["spectrum", "--a", "1"])
    assert rc == 1 and out == "" and err == "magbell: internal error: ZeroDivisionError: boom (please report)\n"


def test_runtime_warning_during_a_command_is_an_error_not_a_result(monkeypatch):
    """A NumPy RuntimeWarning inside a computation means a result through an overflow/NaN: no result is
    printed and the one line says so (exit 1: magbell's bug, not the user's input)."""
    import numpy as np

    def overflow(args):
        np.float64(1e308) * np.float64(10)
        print("a wrong number")
        return 0

    monkeypatch.setattr(cli._dynamics, "cmd_spectrum", overflow)
    rc, out, err = run(["spectrum", "--a", "1"])
    assert rc == 1 and out == "" and len(err.splitlines()) == 1 and "numerical failure (overflow" in err


def test_help_and_version_exit_0():
    for argv in (["--help"], ["evolve", "--help"], ["medium", "-h"], ["--version"]):
        rc, out, err = run(argv)
        assert rc == 0 and err == "" and out


@pytest.mark.parametrize("argv", [
    ["steady", "--a", "1", "--A", "0.5", "--Jz", "1e150", "--json"],
    ["spectrum", "--a", "1", "--A", "0.5", "--Jz", "1e150", "--json"],
    ["steady", "--a", "1", "--A", "0.5", "--Jz", "1e308", "--json"],
])
def test_nothing_bypasses_python_on_stdout(capfd, argv):
    """LAPACK prints ``** On entry to DLASCL ...`` straight to fd 1 when given inf/NaN: at the file
    descriptors, stdout is one JSON object or empty, stderr one line or empty."""
    rc = cli.main(argv)
    out, err = capfd.readouterr()
    check_contract(argv, rc, out, err)
    assert "DLASCL" not in out and "On entry" not in out


def test_real_process_prints_one_line():
    """The installed command in a fresh interpreter (import-time warnings, the real stderr): one line."""
    p = subprocess.run([sys.executable, "-m", "magbell", "evolve", "--a", "1", "--delta", "-inf"],
                       capture_output=True, text=True, timeout=120)
    assert (p.returncode, p.stdout) == (2, "")
    assert p.stderr == "magbell: error: delta must be finite (no NaN or inf), violated at delta=-inf\n"


@pytest.mark.parametrize("argv", [
    ["spectrum", "--a", "1e-320"],
    ["steady", "--a", "1", "--Jz", "-5e-324"],
    ["evolve", "--a", "1", "--t-max", "1e-310"],
    ["monitor", "--a", "1", "--tau-m", "1e-320"],
])
def test_subnormal_numbers_are_refused_on_the_command_line(argv):
    """A typed value below 2.2e-308 is not represented to its digits (and some solvers' rank decisions
    are not made for it): one line naming the option, instead of a wrong steady state or an overflow."""
    rc, out, err = run(argv)
    check_contract(argv, rc, out, err)
    assert rc == 2 and f"argument {argv[-2]}: '{argv[-1]}' is below the normal float64 range" in err


@pytest.mark.parametrize("args", [["--bogus"], []])
def test_python_m_cli_sweep_gives_one_line(args):
    """``python -m magbell.cli_sweep`` built a plain argparse parser whose rejections printed the usage block:
    it now goes through magbell.cli.main (one line, exit 2)."""
    p = subprocess.run([sys.executable, "-m", "magbell.cli_sweep", *args], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2 and p.stdout == "", p
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("magbell: error: "), p.stderr
