"""``magbell sweep CONFIG.toml``: the TOML schema and its errors, the summary and progress output, and a
real interrupted run: a subprocess stopped by SIGINT (Ctrl-C) and another killed by SIGKILL, each then
resumed with --resume, ending with every chunk computed exactly once and the same numbers as an
uninterrupted in-process sweep.

The subcommand is reached both through ``magbell.cli.main(["sweep", ...])`` (registered through
``SUBCOMMAND_MODULES``) and as ``python -m magbell.cli_sweep`` (what the subprocesses run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")
pytest.importorskip("dask")

from magbell import cli, sweep  # noqa: E402
from magbell.cli._sweep import load_config, main  # noqa: E402
from magbell.errors import InvalidParameterError  # noqa: E402


@pytest.fixture
def magbell_main(monkeypatch):
    if "magbell.cli_sweep" not in cli.SUBCOMMAND_MODULES:
        monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", tuple(cli.SUBCOMMAND_MODULES) + ("magbell.cli_sweep",))
    return cli.main


def _write(tmp_path, text, name="sweep.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


GOOD = """
[sweep]
function = "steady_state"
store = "s.zarr"
output = "out.nc"

[run]
initial = "ud"
measures = ["concurrence", "populations"]

[fixed]
a = 1.0
ratio = 0.1

[grid]
delta = {start = 0.0, stop = 1.0, num = 5}
A_over_a = [0.0, 0.5, 1.0, 1.2]
"""


# ----------------------------------------------------------------------------- schema
def test_good_config_is_read(tmp_path):
    cfg = load_config(_write(tmp_path, GOOD))
    assert cfg.function == "steady_state" and cfg.store == "s.zarr" and cfg.output == "out.nc"
    assert cfg.grid.dims == ("delta", "A_over_a") and cfg.grid.shape == (5, 4)
    assert cfg.fixed == {"a": 1.0, "ratio": 0.1} and cfg.options == {"initial": "ud", "measures": ("concurrence", "populations")}


def test_points_log_ranges_complex_and_times(tmp_path):
    cfg = load_config(_write(tmp_path, """
        [sweep]
        function = "evolve"
        [run]
        times = {start = 0.0, stop = 2.0, num = 3}
        initial = ["ud", "singlet"]
        [fixed]
        A = {re = 0.3, im = 0.4}
        [points]
        a = [1.0, 2.0]
        delta = [0.1, 0.2]
        [grid]
        d = {start = 0.001, stop = 0.1, num = 3, log = true}
    """))
    assert cfg.grid.dims == ("point", "d")
    np.testing.assert_allclose(cfg.grid.axes[1].values["d"], [0.001, 0.01, 0.1])
    np.testing.assert_array_equal(cfg.options["times"], [0.0, 1.0, 2.0])
    assert cfg.fixed["A"] == 0.3 + 0.4j


def test_medium_table_and_quantities_with_units(tmp_path):
    pytest.importorskip("magbell.medium")
    cfg = load_config(_write(tmp_path, """
        [sweep]
        function = "steady_state"
        [medium]
        geometry = "film2d"
        thickness = "20nm"
        field = "40mT"
        [grid]
        separation = {start = "50nm", stop = "1um", num = 3}
        temperature = ["0K", "100mK", 4]
    """))
    assert cfg.medium.geometry == "film2d" and cfg.medium.thickness == pytest.approx(20e-9)
    np.testing.assert_allclose(cfg.grid.axes[0].values["separation"], [50e-9, 525e-9, 1e-6])
    np.testing.assert_allclose(cfg.grid.axes[1].values["temperature"], [0.0, 0.1, 4.0])
    with pytest.raises(InvalidParameterError, match=r"\[medium\] field: unknown unit 'parsecs'"):
        load_config(_write(tmp_path, "[sweep]\nfunction='steady_state'\n[medium]\nfield='4 parsecs'\n[grid]\nseparation=[1e-7]"))
    with pytest.raises(InvalidParameterError, match=r"unknown key 'feild' in \[medium\]"):
        load_config(_write(tmp_path, "[sweep]\nfunction='steady_state'\n[medium]\nfeild='4mT'\n[grid]\nseparation=[1e-7]"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("[sweep]\nfunction = 'steady_state'\nstroe = 'x'\n[grid]\nA=[1]", "unknown key 'stroe' in [sweep]"),
        ("[sweep]\nfunction = 'steady_state'\n[gird]\nA=[1]", "unknown table(s) ['gird']"),
        ("[sweep]\n[grid]\nA=[1]", "[sweep] needs function"),
        ("[sweep]\nfunction = 'evolv'\n[grid]\nA=[1]", "function must be evolve"),
        ("[grid]\nA=[1]", "missing table [sweep]"),
        ("[sweep]\nfunction = 'steady_state'\n[grid]\ndleta=[1]", "unknown parameter 'dleta' in [grid]"),
        ("[sweep]\nfunction = 'steady_state'\n[grid]\ndelta={start=0, stop=1, num=-3}", "[grid] delta.num must be an integer >= 1"),
        ("[sweep]\nfunction = 'steady_state'\n[grid]\ndelta={start=0, num=3}", "[grid] delta: a range needs start, stop and num (missing stop)"),
        ("[sweep]\nfunction = 'steady_state'\n[grid]\ndelta={start=0, stop=1, num=3, step=2}", "unknown key(s) ['step']"),
        ("[sweep]\nfunction = 'steady_state'\n[grid]\ndelta=[0, 'x']", "[grid] delta[1] must be a number"),
        ("[sweep]\nfunction = 'steady_state'\n[grid]\ndelta=[]", "[grid] delta must be a non-empty list"),
        ("[sweep]\nfunction = 'steady_state'\n[fixed]\na='one'\n[grid]\nA=[1]", "[fixed] a must be a number"),
        ("[sweep]\nfunction = 'steady_state'\nchunk_points = 0\n[grid]\nA=[1]", "[sweep] chunk_points must be an integer >= 1"),
        ("[sweep]\nfunction = 'steady_state'\noutput = 'x.csv'\n[grid]\nA=[1]", "[sweep] output must end in .nc"),
        ("[sweep]\nfunction = 'steady_state'\n[run]\ntimes=[1.0]\n[grid]\nA=[1]", "[run] times is not an option of steady_state"),
        ("[sweep]\nfunction = 'steady_state'\n[run]\ninitial=3\n[grid]\nA=[1]", "[run] initial must be a state name"),
        ("[sweep]\nfunction = 'steady_state'\n[run]\nmeasure=['x']\n[grid]\nA=[1]", "unknown key 'measure' in [run]"),
        ("[sweep]\nfunction = 'steady_state'\n[points]\na=[1, 2]\nA=[0.5]", "[points] lists must have equal lengths"),
        ("[sweep]\nfunction = 'steady_state'", "nothing to sweep"),
        ("[sweep\nfunction = 1", "invalid TOML"),
    ],
)
def test_bad_configs_name_the_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(InvalidParameterError) as e:
        load_config(path)
    assert message in str(e.value) and str(e.value).startswith(path)


def test_bad_config_exits_2_with_one_line(tmp_path, magbell_main, capsys):
    path = _write(tmp_path, "[sweep]\nfunction = 'steady_state'\n[grid]\ndleta=[1]")
    assert magbell_main(["sweep", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("magbell: error: ") and "'dleta'" in err
    assert magbell_main(["sweep", str(tmp_path / "missing.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_module_entry_point_reports_like_the_magbell_command(tmp_path, capsys):
    path = _write(tmp_path, "[sweep]\nfunction = 'steady_state'\n[grid]\nA={start=0, stop=1}")
    assert main([path]) == 2
    err = capsys.readouterr().err
    assert err.startswith("magbell: error: ") and "missing stop" not in err and "missing num" in err


def test_errors_found_when_the_sweep_starts_also_exit_2(tmp_path, magbell_main, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, "[sweep]\nfunction = 'steady_state'\n[grid]\nA=[0.5]")  # no a
    assert magbell_main(["sweep", path, "--no-progress"]) == 2
    assert "a must be given" in capsys.readouterr().err
    path = _write(tmp_path, "[sweep]\nfunction = 'steady_state'\n[fixed]\na=1\n[grid]\nA=[0.5]")
    assert magbell_main(["sweep", path, "--scheduler", "local:0", "--no-progress"]) == 2
    assert "local:N" in capsys.readouterr().err
    assert magbell_main(["sweep", path, "--resume"]) == 2
    assert "--resume needs a store" in capsys.readouterr().err


# ----------------------------------------------------------------------------- runs
def test_sweep_runs_prints_a_summary_and_writes_the_output(tmp_path, magbell_main, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, GOOD)
    assert magbell_main(["sweep", path]) == 0
    cap = capsys.readouterr()
    assert "100.0%" in cap.err and "chunks" in cap.err  # the progress bar (one line per 10% off a terminal)
    out = cap.out
    assert "# magbell sweep: steady_state over delta[5] x A_over_a[4]" in out
    assert "ok 15, invalid_parameters 5" in out and "a >= |A| violated" in out
    assert "store      : s.zarr" in out and "output     : out.nc" in out
    with xr.open_dataset(tmp_path / "out.nc") as f:
        ds = f.load()
    ref = sweep.run("steady_state", load_config(path).grid, fixed={"a": 1.0, "ratio": 0.1}, initial="ud")
    np.testing.assert_allclose(ds.concurrence.values, ref.concurrence.values, rtol=0, atol=1e-14)
    # again: the store exists
    assert magbell_main(["sweep", path, "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert magbell_main(["sweep", path, "--resume", "--no-progress", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["chunks_computed"] == 0 and summary["run"] == 2 and summary["complete"] is True
    assert summary["status"]["invalid_parameters"] == 5 and summary["points"] == 20


def test_incomplete_sweep_exits_1(tmp_path, magbell_main, capsys, monkeypatch):
    import magbell.sweep._run as run_mod

    class Lossy:
        name, errors = "lossy", [{"chunk": 0, "message": "KilledWorker: lost"}]

        def results(self, *args):
            return iter(())

        def close(self):
            pass

    monkeypatch.setattr(run_mod, "executor_for", lambda scheduler: Lossy())
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, "[sweep]\nfunction = 'steady_state'\nstore = 's.zarr'\n[fixed]\na=1\n[grid]\nA=[0.5]")
    assert magbell_main(["sweep", path, "--no-progress"]) == 1
    cap = capsys.readouterr()
    assert "magbell: error: 1 of 1 chunks could not be computed" in cap.err and "not_computed 1" in cap.out


def _count_records(store):
    d = os.path.join(store, "_manifest")
    return sum(n.endswith(".json") for n in os.listdir(d)) if os.path.isdir(d) else 0


def _start_and_stop(cmd, cwd, store, sig, after_records, timeout=60):
    """Run ``cmd``; once ``after_records`` chunks are in the store, send ``sig``. Returns (proc, stderr,
    records at the signal)."""
    # A shell that starts a job in the background without job control makes it ignore SIGINT, and the
    # child would inherit that (then Ctrl-C is a no-op, as it should be under nohup). Restore Ctrl-C.
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + timeout
    try:
        while _count_records(store) < after_records:
            if p.poll() is not None or time.time() > deadline:
                _, err = p.communicate(timeout=10)
                pytest.fail(f"the sweep ended (rc={p.returncode}) before it could be interrupted: {err[-2000:]}")
            time.sleep(0.002)
        n = _count_records(store)
        p.send_signal(sig)
        _, err = p.communicate(timeout=timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)
    return p, err, n


def test_ctrl_c_and_sigkill_then_resume_lose_and_repeat_nothing(tmp_path):
    cfg = _write(tmp_path, """
        [sweep]
        function = "evolve"
        store = "s.zarr"
        chunk_points = 10
        [run]
        times = {start = 0.0, stop = 10.0, num = 201}
        initial = "ud"
        measures = ["concurrence", "negativity"]
        [fixed]
        a = 1.0
        [grid]
        delta = {start = 0.0, stop = 2.0, num = 75}
        A = {start = 0.0, stop = 1.0, num = 20}
    """)
    store = str(tmp_path / "s.zarr")
    cmd = [sys.executable, "-m", "magbell.cli_sweep", cfg, "--no-progress"]
    # 150 chunks of a few ms each, so the signals below arrive mid-sweep
    n_chunks = 150

    # 1. Ctrl-C: exit 130 with a message that says what was kept and how to go on
    p, err, _ = _start_and_stop(cmd, tmp_path, store, signal.SIGINT, after_records=2)
    assert p.returncode == 130, err
    assert "chunks are saved in s.zarr: continue with --resume" in err
    after_int = sweep.store_progress(store)["records"]
    assert 2 <= len(after_int) < n_chunks

    # 2. resumed, then killed outright (no chance to clean up)
    p, err, _ = _start_and_stop(cmd + ["--resume"], tmp_path, store, signal.SIGKILL, after_records=len(after_int) + 2)
    assert p.returncode == -signal.SIGKILL
    after_kill = sweep.store_progress(store)["records"]
    assert len(after_int) + 2 <= len(after_kill) < n_chunks
    # its lock file still names the killed process, but the kernel dropped the lock with it; and a kill
    # at any moment leaves no damage: every chunk with a record verifies, the rest are just missing
    assert json.load(open(os.path.join(store, "_manifest", ".lock")))["pid"] == p.pid
    check = sweep.verify(store)
    assert check.intact and set(check.verified) == set(after_kill) and len(check.missing) == n_chunks - len(after_kill)

    # 3. resumed to the end
    r = subprocess.run(cmd + ["--resume", "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["complete"] and summary["run"] == 3
    assert summary["chunks_computed"] == n_chunks - len(after_kill)  # only the missing chunks
    assert summary["store_check"] == {"chunks": n_chunks, "verified": len(after_kill),
                                      "missing": n_chunks - len(after_kill), "damaged_data": 0, "damaged_records": 0,
                                      "damaged_coordinates": 0}

    prog = sweep.store_progress(store)
    recs = prog["records"]
    assert sorted(recs) == list(range(n_chunks))  # none lost; one record per chunk: none duplicated
    assert all(recs[c] == after_int[c] for c in after_int)  # finished chunks never recomputed
    assert all(recs[c] == after_kill[c] for c in after_kill)
    assert {c for c, rec in recs.items() if rec["run"] == 1} == set(after_int)
    assert {c for c, rec in recs.items() if rec["run"] == 2} == set(after_kill) - set(after_int)
    runs = prog["runs"]
    assert runs[0]["interrupted"] is True and runs[1]["finished"] is None and runs[2]["interrupted"] is False
    assert runs[0]["chunks_computed"] == len(after_int)

    cfgd = load_config(cfg)
    ref = sweep.run("evolve", cfgd.grid, fixed=cfgd.fixed, chunk_points=10, **cfgd.options)
    ds = sweep.open_store(store).load()
    xr.testing.assert_allclose(ds.drop_attrs(), ref.drop_attrs(), rtol=0, atol=1e-14)
    assert (ds.status.values == sweep.STATUS.index("ok")).all()
