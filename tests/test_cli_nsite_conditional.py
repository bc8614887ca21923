"""``magbell nsite trajectories | monitor`` (cli/_nsite_conditional.py), run in-process (``magbell.cli.main``).

Checked: each command's JSON equals the Python call (magbell.trajectories / magbell.monitor) on the same N-site
System (the same seed gives identical trajectory averages, jump counts and measures of the mean state), the
Bragg chain of docs/nqubits.md §4(a) reached by trajectories (populations 9/16, 1/16 within 5 standard errors),
``--tau-m`` in units of 1/a equal to the same time in seconds, the CSV read back equal to the JSON, the human
table, one-line refusals (exit 2) of bad input (also hostile values drawn by hypothesis), and the options listed
by ``--help``."""

from __future__ import annotations

import contextlib
import csv
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import magbell
from magbell.cli import build_parser, main
from magbell.cli._nsite_setup import system_from_args
from magbell.measures._multipartite import pair_concurrence
from magbell.medium import PhysicalSetup
from magbell.system import chain_positions, couplings_at_positions

from test_cli_nsite import BRAGG, WIRE, _json, _run  # noqa: E402  (the nsite CLI tests' helpers)

CHAIN3 = ["--chain", "3", "--spacing", "100nm"] + WIRE


def _csv(capsys, argv):
    rc, text, err = _run(capsys, argv + ["--csv"])
    assert rc == 0 and err == "", err
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], np.array(rows[1:], dtype=float)


def _cli_system(argv):
    """The System the command builds from ``argv`` (its own parser and cli/_nsite_setup.system_from_args)."""
    return system_from_args(build_parser().parse_args(argv))[0].system()


def _wire_system(N, spacing, temperature_K=0.0):
    from magbell.medium.units import kT_angular

    setup = PhysicalSetup.from_units("chain1d", cross_section="2500nm^2", field="40mT")
    return couplings_at_positions(setup.medium(), chain_positions(N, spacing), setup.Delta,
                                  kT=kT_angular(temperature_K)).system()


# ----------------------------------------------------------------------------- trajectories
def test_trajectories_json_is_the_python_call_and_csv_reads_back(capsys):
    argv = ["nsite", "trajectories"] + CHAIN3 + ["--t-max", "3/a", "--points", "4", "--n", "300", "--seed", "5",
                                                 "--measures", "pair_concurrence"]
    js = _json(capsys, argv)
    # without --measures the command skips the dense mean state: the same numbers, bit for bit
    light = _json(capsys, argv[:-2])
    assert "pair_concurrence" not in light
    assert {k: v for k, v in js.items() if k != "pair_concurrence"} == light
    tr = magbell.trajectories(_cli_system(argv), "duu", js["times"], n=300, seed=5)
    sel, full = tr.average("no-jump"), tr.average()
    # the same System built by hand (PhysicalSetup, couplings_at_positions): the same records, averages to rounding
    tr2 = magbell.trajectories(_wire_system(3, 100e-9), "duu", js["times"], n=300, seed=5)
    np.testing.assert_array_equal(tr2.jump_channels, tr.jump_channels)
    np.testing.assert_allclose(tr2.average("no-jump").site_populations, sel.site_populations, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(js["site_populations"], sel.site_populations)
    np.testing.assert_array_equal(js["site_populations_stderr"], sel.site_populations_stderr)
    np.testing.assert_array_equal(js["ensemble_site_populations"], full.site_populations)
    np.testing.assert_array_equal(js["success_probability"], sel.fraction)
    np.testing.assert_array_equal(js["success_probability_stderr"], sel.fraction_stderr)
    np.testing.assert_array_equal(js["kept"], sel.count)
    assert js["jump_counts"] == tr.jump_counts() and js["channels"] == list(tr.channels)
    assert sum(js["jump_counts"].values()) > 0 and js["block_counts"]["h_plus"] == sum(js["jump_counts"].values())
    assert js["mean_jumps"] == float(np.mean(tr.n_jumps))
    assert js["n"] == 300 and js["seed"] == 5 and js["select"] == "no-jump" and js["params"]["N"] == 3
    assert js["times"][-1] == pytest.approx(3 / js["params"]["a_per_s"], rel=1e-15)
    np.testing.assert_array_equal(js["log_success_probability"], np.log(sel.fraction))
    C = np.array(js["pair_concurrence"])
    assert C.shape == (4, 3, 3) and C[-1, 0, 1] > 0.1  # the no-jump state is entangled
    r = sel.rho
    np.testing.assert_allclose(C, pair_concurrence((r + np.conj(np.swapaxes(r, -1, -2))) / 2, 3), rtol=0, atol=1e-14)
    head, body = _csv(capsys, argv)
    assert head[:8] == ["t [s]", "P", "P_stderr", "logP", "kept", "P_1", "P_2", "P_3"]
    assert head[8:] == ["P_1_stderr", "P_2_stderr", "P_3_stderr", "P_1_all", "P_2_all", "P_3_all",
                        "C_1_2", "C_1_3", "C_2_3"]
    np.testing.assert_array_equal(body[:, 0], js["times"])
    np.testing.assert_array_equal(body[:, 1], js["success_probability"])
    np.testing.assert_array_equal(body[:, 4], js["kept"])
    np.testing.assert_array_equal(body[:, 5:8], js["site_populations"])
    np.testing.assert_array_equal(body[:, 11:14], js["ensemble_site_populations"])
    np.testing.assert_array_equal(body[:, 14:], C[:, [0, 0, 1], [1, 2, 2]])


def test_trajectories_bragg_chain_keeps_the_dark_weight(capsys):
    """k·spacing = π, undamped wire, T = 0: the whole ensemble tends to (9/16, 1/16, 1/16, 1/16) (§4(a))."""
    js = _json(capsys, ["nsite", "trajectories"] + BRAGG + ["--initial", "duuu", "--t-max", "30/a", "--points", "2",
                                                            "--n", "2000", "--seed", "1", "--select", "all"])
    p, se = np.array(js["site_populations"][-1]), np.array(js["site_populations_stderr"][-1])
    want = np.array([9, 1, 1, 1]) / 16
    assert np.all(np.abs(p - want) <= 5 * se + 1e-3), (p, se)
    assert js["success_probability"] == [1.0, 1.0] and js["ensemble_site_populations"] == js["site_populations"]
    assert set(js["jump_counts"]) == {"h_plus:0"}  # the rank-1 block of the Bragg chain


def test_trajectories_table_says_when_nothing_is_kept(capsys):
    rc, out, err = _run(capsys, ["nsite", "trajectories"] + CHAIN3 + ["--t-max", "40/a", "--points", "3", "--n", "20",
                                                                      "--seed", "2"])
    assert rc == 0 and err == ""
    assert out.startswith("# magbell nsite trajectories: N = 3") and "no trajectory kept" in out
    assert len(out.splitlines()) == 5 + 3 and "nan" in out.splitlines()[-1]


# ----------------------------------------------------------------------------- monitor
@pytest.mark.parametrize("kind, readout", [("periodic", True), ("continuous", False)])
def test_monitor_json_is_the_python_call(capsys, kind, readout):
    argv = ["nsite", "monitor"] + CHAIN3 + ["--temperature", "50mK", "--initial", "dud", "--t-max", "2/a",
                                            "--points", "3", "--tau-m", "0.1/a", "--kind", kind,
                                            "--measures", "purity"] + ([] if readout else ["--no-readout"])
    js = _json(capsys, argv)
    a = js["params"]["a_per_s"]
    r = magbell.monitor(_cli_system(argv), "dud", js["times"], 0.1 / a, kind=kind, readout=readout,
                        measures=["site_populations", "purity"])
    assert js["tau_m"] == 0.1 / a and js["kind"] == kind and js["readout"] is readout
    np.testing.assert_array_equal(js["success_probability"], r.success_probability)
    np.testing.assert_array_equal(js["log_success_probability"], r.log_success_probability)
    np.testing.assert_array_equal(js["site_populations"], r.site_populations)
    np.testing.assert_array_equal(js["purity"], r.measures["purity"])
    # the same System built by hand: the same numbers to rounding
    r2 = magbell.monitor(_wire_system(3, 100e-9, 0.05), "dud", js["times"], 0.1 / a, kind=kind, readout=readout)
    np.testing.assert_allclose(r2.success_probability, r.success_probability, rtol=1e-13, atol=0)
    np.testing.assert_allclose(r2.site_populations, r.site_populations, rtol=0, atol=1e-13)
    assert 0 < js["success_probability"][-1] < 1
    # --tau-m in seconds is the same time: the same numbers
    i = argv.index("0.1/a")
    js_s = _json(capsys, argv[:i] + [f"{0.1 / a!r}s"] + argv[i + 1:])
    assert js_s["tau_m"] == js["tau_m"] and js_s["success_probability"] == js["success_probability"]
    head, body = _csv(capsys, argv)
    assert head == ["t [s]", "P", "logP", "P_1", "P_2", "P_3", "purity"]
    np.testing.assert_array_equal(body[:, 1], js["success_probability"])
    np.testing.assert_array_equal(body[:, 3:6], js["site_populations"])


def test_monitor_inf_is_no_measurement_after_t0_and_table(capsys):
    """τ_m = ∞ with no readout: one measurement at t = 0 of a definite excitation number, then plain Lindblad
    evolution (magbell.evolve's site populations; P = 1)."""
    js = _json(capsys, ["nsite", "monitor"] + CHAIN3 + ["--t-max", "2/a", "--points", "3", "--tau-m", "inf",
                                                        "--no-readout"])
    assert js["tau_m"] is None
    np.testing.assert_allclose(js["success_probability"], 1.0, rtol=0, atol=1e-14)  # the trace: rounding only
    ev = magbell.evolve(_wire_system(3, 100e-9), "duu", js["times"], measures=["site_populations"])
    np.testing.assert_allclose(js["site_populations"], ev.site_populations, rtol=0, atol=1e-13)
    rc, out, err = _run(capsys, ["nsite", "monitor"] + CHAIN3 + ["--points", "2", "--tau-m", "1us"])
    assert rc == 0 and err == "" and out.startswith("# magbell nsite monitor (periodic): N = 3")
    assert len(out.splitlines()) == 3 + 2


# ----------------------------------------------------------------------------- bad input and help
@pytest.mark.parametrize("cmd, extra, needle", [
    ("trajectories", ["--n", "0"], "--n"),
    ("trajectories", ["--n", "x"], "--n"),
    ("trajectories", ["--seed", "-1"], "--seed"),
    ("trajectories", ["--max-jumps", "0"], "--max-jumps"),
    ("trajectories", ["--select", "bogus"], "--select"),
    ("trajectories", ["--select", "no-"], "--select"),
    ("trajectories", ["--select", "no-h_plus:7"], "h_plus:7"),
    ("trajectories", ["--n", "100000", "--points", "100"], "--n"),
    ("trajectories", ["--t-max", "1e6/a"], "--max-jumps"),
    ("trajectories", ["--measures", "bogus"], "--measures"),
    ("trajectories", ["--chain", "8", "--n", "2000", "--points", "300", "--measures", "purity"], "GiB"),
    ("trajectories", ["--initial", "dd"], "dd"),
    ("trajectories", ["--json", "--csv"], "--csv"),
    ("monitor", [], "--tau-m"),
    ("monitor", ["--tau-m", "0"], "--tau-m"),
    ("monitor", ["--tau-m", "-1ns"], "--tau-m"),
    ("monitor", ["--tau-m", "2"], "unit"),
    ("monitor", ["--tau-m", "nan"], "--tau-m"),
    ("monitor", ["--tau-m", "1ns", "--kind", "bogus"], "--kind"),
    ("monitor", ["--tau-m", "1e-30s", "--kind", "continuous"], "tau_m"),
    ("monitor", ["--tau-m", "1ns", "--t-max", "1zs"], "--t-max"),
])
def test_bad_input_is_one_line_exit_2(capsys, cmd, extra, needle):
    rc, out, err = _run(capsys, ["nsite", cmd] + CHAIN3 + ["--points", "2", "--n", "5"][: 2 if cmd == "monitor" else 4]
                        + extra)
    assert rc == 2 and out == "", (out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("magbell: error: ") and needle in lines[0], err


def test_measures_beyond_the_dense_average_are_refused_before_work(capsys):
    argv = ["nsite", "trajectories", "--chain", "9", "--spacing", "100nm"] + WIRE + ["--points", "2", "--n", "50",
                                                                                   "--seed", "0"]
    rc, out, err = _run(capsys, argv + ["--measures", "purity"])
    assert rc == 2 and out == "" and len(err.splitlines()) == 1 and "N <= 8" in err
    js = _json(capsys, argv + ["--select", "all"])  # without measures N = 9 runs (10 amplitudes per ket, not 2^9)
    p = np.array(js["site_populations"])
    assert p.shape == (2, 9) and p[0].tolist() == [1.0] + [0.0] * 8
    assert p[1].sum() == pytest.approx(1 - js["block_counts"]["h_plus"] / 50, abs=1e-12)  # one excitation, T = 0


@pytest.mark.parametrize("cmd, opts", [
    ("trajectories", ["--n", "--seed", "--max-jumps", "--select", "--measures"]),
    ("monitor", ["--tau-m", "--kind", "--no-readout", "--measures"]),
])
def test_help_lists_the_options(capsys, cmd, opts):
    rc, out, err = _run(capsys, ["nsite", cmd, "--help"])
    assert rc == 0 and err == ""
    for o in opts + ["--chain", "--positions", "--k-spacing", "--model", "--film", "--height", "--initial", "--t-max",
                     "--points", "--json", "--csv"]:
        assert o in out, o
    rc, out, err = _run(capsys, ["nsite", "--help"])
    assert rc == 0 and f"magbell nsite {cmd} " in out  # an example in the epilog


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cmd=st.sampled_from(["trajectories", "monitor"]),
       tau=st.sampled_from(["1e-300s", "1e300s", "inf", "-0s", "0/a", "1e308/a", "5e-324s", "1 ns", "1NS", "1e-9"]),
       n=st.sampled_from(["1", "-5", "0", "1e3", "9999999999999999999999"]),
       seed=st.sampled_from(["0", "-1", "99999999999999999999999999", "x"]),
       select=st.sampled_from(["all", "no-h_z", "no-h_minus", "no-h_plus:00", "no- h_plus", "NO-JUMP", ""]),
       t_max=st.sampled_from(["1e300s", "1e-300s", "5/a", "0s", "1e9/a"]),
       temperature=st.sampled_from(["0K", "1K", "1e10K"]))
def test_hostile_options_give_a_result_or_one_line(cmd, tau, n, seed, select, t_max, temperature):
    """Hostile values of the commands' own options: exit 0 with one JSON line (no NaN/Infinity) or exit 2 with
    one line, never a traceback or a warning."""
    own = (["--tau-m", tau] if cmd == "monitor" else ["--n", n, "--seed", seed, "--select", select])
    argv = ["nsite", cmd] + CHAIN3 + ["--points", "2", "--t-max", t_max, "--temperature", temperature] + own
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv + ["--json"])
    lines, text = err.getvalue().splitlines(), out.getvalue()
    if rc == 0:
        assert lines == [] and text.count("\n") == 1 and "NaN" not in text and "Infinity" not in text
        json.loads(text)
    else:
        assert rc == 2 and text == "" and len(lines) == 1 and lines[0].startswith("magbell: error: "), (rc, lines)
