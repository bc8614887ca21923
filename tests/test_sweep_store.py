"""The sweep store never reports damaged data as complete (issue 9, section 5 and the sweep items of 2).

Each reproducer of the issue, on a tiny store (4 x 4 steady states in 4 chunks of one ``delta`` row):

* a chunk file deleted, truncated, bit-flipped, or rewritten with other values through zarr;
* a manifest record that is invalid JSON, names another chunk, lacks checksums, or belongs to another
  sweep;

is found by ``sweep.verify`` and ``magbell sweep --verify`` (same counts, exit 1, one stderr line),
and ``--resume`` computes exactly the damaged chunks once (not on every later resume), ends complete
and equal to an undamaged sweep. Two writers: a store whose lock is held is refused with the holder's
pid; a lock left by a SIGKILLed process does not block; two ``magbell sweep`` processes started at once
on a new store never compute a chunk twice. Bad paths, deep TOML and oversized grids are one-line
errors with exit 2. The reference values are an uninterrupted in-process sweep (identical arithmetic,
so equality is exact).
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")
pytest.importorskip("dask")

from magbell import cli, sweep  # noqa: E402
from magbell.cli._sweep import load_config  # noqa: E402
from magbell.errors import InvalidParameterError  # noqa: E402
from magbell.sweep._lock import LOCK_FILE, StoreLock  # noqa: E402

GRID = sweep.Grid(delta=np.linspace(0.0, 1.0, 4), A=[0.0, 0.3, 0.6, 0.9])
KW = dict(fixed={"a": 1.0, "ratio": 0.2}, initial="ud", measures=("concurrence", "populations"), chunk_points=4)
CONFIG = """
[sweep]
function = "steady_state"
store = "s.zarr"
chunk_points = 4
[run]
initial = "ud"
measures = ["concurrence", "populations"]
[fixed]
a = 1.0
ratio = 0.2
[grid]
delta = {start = 0.0, stop = 1.0, num = 4}
A = [0.0, 0.3, 0.6, 0.9]
"""


@pytest.fixture(scope="module")
def reference():
    return sweep.run("steady_state", GRID, **KW).drop_attrs()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """One finished 4-chunk store (made once), and its data and coordinate files."""
    path = str(tmp_path_factory.mktemp("pristine") / "s.zarr")
    sweep.run("steady_state", GRID, store=path, **KW)
    files = sorted(os.path.relpath(os.path.join(d, f), path) for d, _, fs in os.walk(path) for f in fs
                   if not f.startswith(".") and "_manifest" not in d)
    return path, files


@pytest.fixture
def store(pristine, tmp_path, monkeypatch):
    """A copy of the finished store as ``s.zarr`` in the (current) directory ``tmp_path``, and its config."""
    import shutil

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(CONFIG)
    shutil.copytree(pristine[0], "s.zarr")
    return "s.zarr"


@pytest.fixture
def magbell_main(monkeypatch):
    if "magbell.cli_sweep" not in cli.SUBCOMMAND_MODULES:
        monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", tuple(cli.SUBCOMMAND_MODULES) + ("magbell.cli_sweep",))
    return cli.main


def _records(path):
    return sweep.store_progress(path)["records"]


def _flip(path, offsets):
    b = bytearray(open(path, "rb").read())
    for k in offsets:
        b[k] ^= 0xFF
    open(path, "wb").write(bytes(b))


def _resume(path, **extra):
    with pytest.warns(sweep.StoreDamageWarning):
        ds = sweep.run("steady_state", GRID, store=path, resume=True, **KW, **extra)
    return ds


def _assert_repaired(ds, reference, path, recomputed: set):
    """The resumed store: complete, equal to the reference, exactly ``recomputed`` chunks done by run 2,
    and a further resume finds nothing to do (no chunk is recomputed forever)."""
    assert ds.attrs["magbell_complete"] == 1
    xr.testing.assert_identical(ds.load().drop_attrs(), reference)
    recs = _records(path)
    assert sorted(recs) == [0, 1, 2, 3]
    assert {c for c, r in recs.items() if r["run"] == 2} == recomputed
    assert json.loads(ds.attrs["magbell_runs"])[-1]["chunks_computed"] == len(recomputed)
    check = sweep.verify(path)
    assert check.complete and check.intact and check.counts()["verified"] == 4
    again = sweep.run("steady_state", GRID, store=path, resume=True, **KW)
    assert json.loads(again.attrs["magbell_runs"])[-1]["chunks_computed"] == 0
    assert json.loads(again.attrs["magbell_store_check"])["verified"] == 4


# ----------------------------------------------------------------------------- damaged chunk data
def test_a_deleted_chunk_file_is_found_and_recomputed(store, reference, magbell_main, capsys):
    os.remove(os.path.join(store, "concurrence", "3.0"))  # the issue's `rm store.zarr/concurrence/3.0.0`
    check = sweep.verify(store)
    assert check.damaged_data == (3,) and check.verified == (0, 1, 2) and not check.complete
    assert "concurrence does not match its checksum" in check.problems["3"]
    # the command line says the same, one line per category on stdout and one error line on stderr
    assert magbell_main(["sweep", "--verify", store]) == 1
    cap = capsys.readouterr()
    assert "verified: 3 of 4 chunks" in cap.out and "damaged data: 1 chunk " in cap.out
    assert cap.err.count("\n") == 1 and cap.err.startswith("magbell: error: store s.zarr is damaged: 1 chunks")
    assert magbell_main(["sweep", "--verify", store, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert {k: out[k] for k in check.counts()} == check.counts() and out["complete"] is False
    ds = _resume(store)
    assert json.loads(ds.attrs["magbell_store_check"])["damaged_data"] == 1
    _assert_repaired(ds, reference, store, {3})


def test_a_truncated_chunk_is_found_and_the_store_readable_again(store, reference):
    with open(os.path.join(store, "populations", "1.0.0"), "r+b") as f:
        f.truncate(20)
    with pytest.raises(Exception):  # what the issue saw: "complete", then unreadable
        sweep.open_store(store).populations.values
    check = sweep.verify(store)
    assert check.damaged_data == (1,) and "populations cannot be read" in check.problems["1"]
    _assert_repaired(_resume(store), reference, store, {1})


@pytest.mark.parametrize("offsets", [(-1, -2, -3, -4), (-9, -17, -25, -33)])
def test_flipped_bytes_are_found(store, reference, offsets):
    _flip(os.path.join(store, "concurrence", "2.0"), offsets)
    check = sweep.verify(store)
    assert check.damaged_data == (2,), check.problems  # decodes to other values, or does not decode
    _assert_repaired(_resume(store), reference, store, {2})


def test_other_values_written_through_zarr_are_found(store, reference):
    """The most insidious damage: a well-formed chunk with 4 wrong values (no decoding error)."""
    import zarr

    arr = zarr.open_group(store, mode="r+", zarr_format=2)["concurrence"]
    arr[1, :] = arr[1, :] + 1e-15 * np.arange(1, 5)
    check = sweep.verify(store)
    assert check.damaged_data == (1,) and check.problems["1"] == "concurrence does not match its checksum"
    _assert_repaired(_resume(store), reference, store, {1})


def test_a_chunk_of_fill_values_that_zarr_does_not_write_verifies(store):
    """`reason` is 0 (the fill value) at every ok point, so zarr writes no file for it: the checksum of
    the decoded values still matches (checksums of file bytes would not)."""
    assert not [n for n in os.listdir(os.path.join(store, "reason")) if not n.startswith(".")]
    assert sweep.verify(store).complete


# ----------------------------------------------------------------------------- damaged manifest records
def _edit_record(store, cid, edit):
    p = os.path.join(store, "_manifest", f"{cid}.json")
    with open(p) as f:
        rec = json.load(f)
    edit(rec)
    with open(p, "w") as f:
        json.dump(rec, f)


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda s: open(os.path.join(s, "_manifest", "2.json"), "w").write('{"chunk": 2, "run"'), "not valid JSON"),
        (lambda s: _edit_record(s, 2, lambda r: r.update(chunk=3)), "its chunk index 3 is not its file's 2"),
        (lambda s: _edit_record(s, 2, lambda r: r.pop("checksums")), "no checksums"),
        (lambda s: _edit_record(s, 2, lambda r: r["checksums"].pop("status")), "no checksum for status"),
        (lambda s: _edit_record(s, 2, lambda r: r.update(fingerprint="0" * 64)), "another sweep"),
    ],
    ids=["invalid-json", "edited-chunk-index", "no-checksums", "a-checksum-missing", "other-fingerprint"],
)
def test_a_damaged_manifest_record_is_recomputed_once(store, reference, damage, problem):
    damage(store)
    check = sweep.verify(store)
    assert check.damaged_records == ("2.json",) and problem in check.problems["2.json"]
    assert check.verified == (0, 1, 3) and check.missing == () and not check.complete
    _assert_repaired(_resume(store), reference, store, {2})
    kept = os.listdir(os.path.join(store, "_manifest", ".damaged"))
    assert len(kept) == 1 and kept[0].startswith("2.json.")  # kept aside for inspection


def test_a_stray_record_for_a_chunk_that_does_not_exist(store, reference):
    rec = json.load(open(os.path.join(store, "_manifest", "1.json")))
    json.dump({**rec, "chunk": 17}, open(os.path.join(store, "_manifest", "17.json"), "w"))
    check = sweep.verify(store)
    assert check.damaged_records == ("17.json",) and "chunk 17 does not exist" in check.problems["17.json"]
    assert check.verified == (0, 1, 2, 3)
    with pytest.warns(sweep.StoreDamageWarning):
        ds = sweep.run("steady_state", GRID, store=store, resume=True, **KW)
    assert json.loads(ds.attrs["magbell_runs"])[-1]["chunks_computed"] == 0
    xr.testing.assert_identical(ds.load().drop_attrs(), reference)


def test_cli_resume_reports_each_category_and_exits_0_when_repaired(store, magbell_main, capsys):
    os.remove(os.path.join(store, "_manifest", "0.json"))  # missing: killed before its record
    os.remove(os.path.join(store, "status", "1.0"))  # damaged data
    open(os.path.join(store, "_manifest", "2.json"), "w").write("{")  # damaged record
    assert magbell_main(["sweep", "--verify", store, "--json"]) == 1
    found = json.loads(capsys.readouterr().out)
    assert [found[k] for k in ("verified", "missing", "damaged_data", "damaged_records")] == [1, 1, 1, 1]
    assert magbell_main(["sweep", "s.toml", "--resume", "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("store check:")]
    assert len(lines) == 4 and "verified: 1 of 4" in lines[0] and "missing: 1 chunk " in lines[1]
    assert "damaged data: 1 chunk " in lines[2] and "damaged records: 1 manifest record " in lines[3]
    assert "chunks     : 4 (3 computed now, 1 from the store)" in out
    assert magbell_main(["sweep", "s.toml", "--resume", "--no-progress", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["complete"] is True and summary["chunks_computed"] == 0
    assert summary["store_check"] == {"chunks": 4, "verified": 4, "missing": 0, "damaged_data": 0, "damaged_records": 0,
                                      "damaged_coordinates": 0}
    assert magbell_main(["sweep", "--verify", store]) == 0


def test_a_store_still_incomplete_after_resume_exits_1(store, capsys, monkeypatch):
    """The issue: `"complete": false` with exit 0. A damaged chunk that cannot be recomputed now (the
    executor loses it) leaves the store incomplete: exit 1, and verify still says so."""
    import magbell.sweep._run as run_mod

    class Lossy:
        name, errors = "lossy", []

        def results(self, kernel, plans, store_key, run, fingerprint):
            for plan in plans:
                self.errors.append({"chunk": plan.cid, "message": "KilledWorker: lost"})
            return iter(())

        def close(self):
            pass

    magbell_main = cli.main
    os.remove(os.path.join(store, "concurrence", "0.0"))
    monkeypatch.setattr(run_mod, "executor_for", lambda scheduler: Lossy())
    assert magbell_main(["sweep", "s.toml", "--resume", "--no-progress", "--json"]) == 1
    cap = capsys.readouterr()
    assert json.loads(cap.out)["complete"] is False
    assert cap.err.count("\n") == 1 and "1 of 4 chunks could not be computed" in cap.err
    check = sweep.verify(store)
    assert check.missing == (0,) and not check.complete  # its record was set aside: not "complete"
    here = os.getcwd()
    monkeypatch.undo()
    monkeypatch.chdir(here)
    assert magbell_main(["sweep", "s.toml", "--resume", "--no-progress"]) == 0


def test_verify_refuses_what_is_not_a_store(tmp_path, magbell_main, capsys):
    assert magbell_main(["sweep", "--verify", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a magbell sweep store" in err
    with pytest.raises(InvalidParameterError, match="not a magbell sweep store"):
        sweep.verify(tmp_path)


# ----------------------------------------------------------------------------- one writer
# A lock holder that is another process but not a sweep: plain Python (fast to start) taking the same
# flock on the same file and writing its pid as StoreLock does; then it waits, or kills itself.
_HOLDER = """
import fcntl, json, os, signal, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, json.dumps({"pid": os.getpid(), "host": "h", "started": "now"}).encode())
print("locked", flush=True)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()
"""


def test_a_second_writer_is_refused_with_the_holders_pid(store, reference, magbell_main, capsys):
    holder = subprocess.Popen([sys.executable, "-S", "-c", _HOLDER, os.path.join(store, LOCK_FILE), "hold"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        os.remove(os.path.join(store, "_manifest", "3.json"))
        err = _one_line_error(magbell_main, capsys, ["sweep", "s.toml", "--resume", "--no-progress"],
                              f"magbell: error: the sweep store 's.zarr' is being written by another sweep (pid {holder.pid} ")
        assert "wait for it to finish" in err
        with pytest.raises(sweep.StoreLockedError, match=f"pid {holder.pid} "):
            sweep.run("steady_state", GRID, store=store, resume=True, **KW)
        with pytest.raises(sweep.StoreLockedError, match=f"pid {holder.pid} "):
            sweep.verify(store)  # a store being written is not read half-written
        assert sorted(_records(store)) == [0, 1, 2]  # the refused sweeps touched nothing
    finally:
        holder.communicate("", timeout=30)
    # this process's own lock: written with its pid, and a second writer here is refused too (an flock
    # belongs to the open file, not the process)
    with StoreLock(store) as lock:
        assert json.load(open(lock.path))["pid"] == os.getpid()
        with pytest.raises(sweep.StoreLockedError, match=f"pid {os.getpid()} "):
            sweep.run("steady_state", GRID, store=store, overwrite=True, **KW)
    ds = sweep.run("steady_state", GRID, store=store, resume=True, **KW)
    assert json.loads(ds.attrs["magbell_runs"])[-1]["chunks_computed"] == 1
    xr.testing.assert_identical(ds.load().drop_attrs(), reference)


def test_a_lock_left_by_a_killed_process_does_not_block(store, reference):
    r = subprocess.run([sys.executable, "-S", "-c", _HOLDER, os.path.join(store, LOCK_FILE), "kill"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == -signal.SIGKILL and r.stdout == "locked\n"
    assert json.load(open(os.path.join(store, LOCK_FILE)))["pid"] not in (None, os.getpid())  # the dead pid
    os.remove(os.path.join(store, "_manifest", "3.json"))
    ds = sweep.run("steady_state", GRID, store=store, resume=True, **KW)
    assert ds.attrs["magbell_complete"] == 1 and json.loads(ds.attrs["magbell_runs"])[-1]["chunks_computed"] == 1
    xr.testing.assert_identical(ds.load().drop_attrs(), reference)


def test_a_store_made_by_another_sweep_while_this_one_creates_it(tmp_path, monkeypatch):
    """The creation race, made deterministic: just before this sweep renames its new store into place,
    another sweep's store appears there and is locked. The rename fails (the issue's `OSError:
    Directory not empty`); the sweep then treats the path as an existing store and is refused."""
    import shutil

    import magbell.sweep._store as store_mod

    path = str(tmp_path / "s.zarr")
    real_rename, other = os.rename, {}

    def rename(src, dst):
        if not other:
            shutil.copytree(src, dst)
            other["lock"] = StoreLock(dst).acquire()
        return real_rename(src, dst)

    monkeypatch.setattr(store_mod.os, "rename", rename)
    with pytest.raises(sweep.StoreLockedError, match=f"'{path}' is being written by another sweep \\(pid {os.getpid()} "):
        sweep.run("steady_state", GRID, store=path, resume=True, **KW)
    other["lock"].release()
    assert not [n for n in os.listdir(tmp_path) if n != "s.zarr"]  # its temporary directory is gone
    ds = sweep.run("steady_state", GRID, store=path, resume=True, **KW)  # the other one's store, resumed
    assert ds.attrs["magbell_complete"] == 1


@pytest.mark.slow
def test_two_sweeps_started_at_once_on_a_new_store(tmp_path):
    """The issue: the second died with `OSError: Directory not empty`, and two `--resume` runs computed
    every chunk twice. Now one computes every chunk once; the other is refused naming the first's pid
    (or, if it started after the first had finished, finds nothing to do)."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG.replace("num = 4}", "num = 40}").replace("chunk_points = 4", "chunk_points = 8"))
    cmd = [sys.executable, "-m", "magbell.cli_sweep", "c.toml", "--resume", "--no-progress", "--json"]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 2]), outs
    for p, (out, err) in zip(procs, outs):
        assert "Traceback" not in err and "Directory not empty" not in err
        if p.returncode == 2:
            other = next(q.pid for q in procs if q is not p)
            assert err.count("\n") == 1 and f"is being written by another sweep (pid {other} " in err
    computed = [json.loads(out)["chunks_computed"] for p, (out, _) in zip(procs, outs) if p.returncode == 0]
    assert sum(computed) == 20  # 20 chunks, each computed once
    assert sorted(_records(str(tmp_path / "s.zarr"))) == list(range(20))
    assert sweep.verify(tmp_path / "s.zarr").complete


# ----------------------------------------------------------------------------- sizes and paths (section 2)
def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _one_line_error(magbell_main, capsys, argv, message):
    t0 = time.perf_counter()
    assert magbell_main(argv) == 2
    cap = capsys.readouterr()
    assert cap.err.count("\n") == 1 and cap.err.startswith("magbell: error: "), cap.err
    assert message in cap.err, cap.err
    assert time.perf_counter() - t0 < 10  # a refusal, not a hang
    return cap.err


SMALL = "[sweep]\nfunction = 'steady_state'\n[fixed]\na = 1\n"


@pytest.mark.parametrize(
    "text, message",
    [
        ("a = " + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("a = " + "{b = " * 3000 + "1" + "}" * 3000, "nested too deeply"),
        (SMALL + "[grid]\nA = {start = 0, stop = 1, num = 1000000000000}", "[grid] A.num = 1,000,000,000,000 is more than max_points = 100,000,000"),
        (SMALL + "[grid]\nA = {start = 0, stop = 1, num = 10000000000000000000000}", "[grid] A.num = 10,000,000,000,000,000,000,000 is more than max_points"),
        (SMALL + "[grid]\nA = {start = 0, stop = 1, num = 1e22}", "[grid] A.num must be an integer >= 1, got 1e+22"),
        (SMALL + "[grid]\nA = {start = 0, stop = 1, num = 1000000}\ndelta = {start = 0, stop = 1, num = 1000000}",
         "the grid has 1,000,000,000,000 points (A[1,000,000] x delta[1,000,000]), more than max_points = 100,000,000 "
         "(raise it with [sweep] max_points or --max-points N)"),
        ("[sweep]\nfunction = 'evolve'\n[run]\ntimes = {start = 0, stop = 1, num = 1000000000000}\n[fixed]\na = 1\n[grid]\nA = [0.5]",
         "[run] times.num = 1,000,000,000,000 is more than max_points"),
        (SMALL.replace("'steady_state'", "'steady_state'\nmax_points = 0") + "[grid]\nA = [0.5]", "[sweep] max_points must be an integer >= 1"),
        (SMALL.replace("'steady_state'", "'steady_state'\nmax_points = 3") + "[grid]\nA = [0.5, 0.6]\ndelta = [0, 1]", "the grid has 4 points"),
    ],
    ids=["nested-arrays", "nested-inline-tables", "num-1e12", "num-1e22-int", "num-1e22-float", "two-1e6-axes",
         "times-1e12", "max-points-0", "max-points-key"],
)
def test_oversized_or_malicious_configs_are_one_line_errors(tmp_path, magbell_main, capsys, text, message):
    _one_line_error(magbell_main, capsys, ["sweep", _write(tmp_path, "x.toml", text), "--no-progress"], message)


def test_max_points_can_be_raised(tmp_path, magbell_main, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = _write(tmp_path, "x.toml", SMALL + "[grid]\nA = [0.1, 0.2]\ndelta = [0, 1]")
    _one_line_error(magbell_main, capsys, ["sweep", path, "--max-points", "3"], "more than max_points = 3")
    _one_line_error(magbell_main, capsys, ["sweep", path, "--max-points", "x"], "--max-points must be an integer >= 1, got 'x'")
    assert magbell_main(["sweep", path, "--max-points", "4", "--no-progress", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["points"] == 4
    assert load_config(path, max_points=4).max_points == 4
    # the Python API sizes the grid before it checks or builds anything
    big = sweep.Grid(A=np.zeros(10**6), delta=np.zeros(10**6))
    t0 = time.perf_counter()
    with pytest.raises(InvalidParameterError, match=r"1,000,000,000,000 points .* more than max_points = 100,000,000: pass max_points=N"):
        sweep.run("steady_state", big, fixed={"a": 1.0})
    with pytest.raises(InvalidParameterError, match="more than max_points = 3"):
        sweep.run("steady_state", sweep.Grid(A=[0.1, 0.2], delta=[0, 1]), fixed={"a": 1.0}, max_points=3)
    assert time.perf_counter() - t0 < 5
    assert sweep.run("steady_state", sweep.Grid(A=[0.1, 0.2], delta=[0, 1]), fixed={"a": 1.0}, max_points=4).status.size == 4


def test_paths_that_cannot_be_used_are_one_line_errors(tmp_path, magbell_main, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _one_line_error(magbell_main, capsys, ["sweep", "."], ".: is a directory, not a TOML configuration file")
    _one_line_error(magbell_main, capsys, ["sweep"], "CONFIG.toml (or --verify STORE)")
    path = _write(tmp_path, "p.toml", textwrap.dedent("""
        [sweep]
        function = 'steady_state'
        store = '/proc/x.zarr'
        [fixed]
        a = 1
        [grid]
        A = [0.5]
    """))
    _one_line_error(magbell_main, capsys, ["sweep", path, "--no-progress"], "cannot create the sweep store '/proc/x.zarr'")
    _one_line_error(magbell_main, capsys, ["sweep", path, "--no-progress", "--store", str(tmp_path / "s.zarr"),
                                           "--output", "/proc/out.nc"], "/proc/out.nc")
    _one_line_error(magbell_main, capsys, ["sweep", path, "--verify", "s.zarr"], "either CONFIG.toml")


def test_a_result_larger_than_memory_needs_a_store():
    """Without a store the whole result is held in memory: 10^8 curves x 10^4 times (8 TB) are refused
    before anything is built, instead of a MemoryError; the message says what to do."""
    g = sweep.Grid(delta=np.linspace(0, 1, 10**4), A=np.linspace(0, 1, 10**4))
    t0 = time.perf_counter()
    with pytest.raises(InvalidParameterError, match=r"the result would take [\d,.]+ GiB in memory.*give a store"):
        sweep.run("evolve", g, fixed={"a": 1.0}, times=np.linspace(0, 1, 10**4))
    assert time.perf_counter() - t0 < 5


def test_the_summary_reads_a_large_variable_block_by_block():
    from magbell.cli._sweep import _measure_line

    ds = xr.Dataset({"concurrence": (("x", "t"), np.array([[0.1, np.nan], [0.5, 0.3], [np.inf, 0.2]]))})
    line = "concurrence: min 0.1, max 0.5, mean 0.275 (finite values)"
    assert _measure_line(ds, "concurrence", block_bytes=1) == line == _measure_line(ds, "concurrence")


@pytest.mark.parametrize("target", [".zattrs", os.path.join("concurrence", ".zarray"), os.path.join("reason", ".zattrs")])
def test_damaged_zarr_metadata_is_a_one_line_error(store, magbell_main, capsys, target):
    """Metadata are not checksummed: damage there is a clear refusal (make the store again), never a
    store read with the wrong shape or table."""
    open(os.path.join(store, target), "w").write('{"shape": [4')
    message = "the sweep store 's.zarr' has damaged zarr metadata"
    if target != os.path.join("reason", ".zattrs"):  # verify does not read the reason table
        _one_line_error(magbell_main, capsys, ["sweep", "--verify", store], message)
    _one_line_error(magbell_main, capsys, ["sweep", "s.toml", "--resume", "--no-progress"], message)
    assert magbell_main(["sweep", "s.toml", "--overwrite", "--no-progress"]) == 0
    capsys.readouterr()
    assert sweep.verify(store).complete


# ----------------------------------------------------------------------------- coordinates; any damage at all
def test_damaged_coordinates_are_found_and_written_again(store, reference, magbell_main, capsys):
    """The grid values are data too: a flipped byte in `delta` would move every point silently."""
    _flip(os.path.join(store, "delta", "0"), (-1, -2, -3, -4))
    _flip(os.path.join(store, "basis", "0"), (-1,))
    check = sweep.verify(store)
    assert check.damaged_coordinates == ("basis", "delta") and check.verified == (0, 1, 2, 3)
    assert not check.complete and not check.intact
    assert magbell_main(["sweep", "--verify", store]) == 1
    cap = capsys.readouterr()
    assert "damaged coordinates: 2 coordinate arrays" in cap.out and "2 damaged coordinate arrays" in cap.err
    ds = _resume(store)
    assert json.loads(ds.attrs["magbell_runs"])[-1]["chunks_computed"] == 0
    xr.testing.assert_identical(ds.load().drop_attrs(), reference)
    assert sweep.verify(store).complete


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_damage_to_a_chunk_file_is_ever_verified(pristine, reference, tmp_path, data):
    """Property: after deleting, truncating or flipping bits in any data or coordinate file, every chunk
    and coordinate that `verify` calls sound holds exactly the reference values."""
    import shutil
    import tempfile

    import zarr

    base, files = pristine
    target = data.draw(st.sampled_from(files))
    path = os.path.join(tempfile.mkdtemp(dir=tmp_path), "s.zarr")
    shutil.copytree(base, path)
    fname = os.path.join(path, target)
    size = os.path.getsize(fname)
    kind = data.draw(st.sampled_from(["delete", "truncate", "flip"]))
    if kind == "delete":
        os.remove(fname)
    elif kind == "truncate":
        with open(fname, "r+b") as f:
            f.truncate(data.draw(st.integers(0, size - 1)))
    else:
        offsets = data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=4, unique=True))
        b = bytearray(open(fname, "rb").read())
        for k in offsets:
            b[k] ^= data.draw(st.integers(1, 255))
        open(fname, "wb").write(bytes(b))
    check = sweep.verify(path)
    g = zarr.open_group(path, mode="r", zarr_format=2)
    layout = json.loads(json.load(open(os.path.join(path, ".zattrs")))["magbell_layout"])
    for name in reference.coords:
        if name not in check.damaged_coordinates:
            np.testing.assert_array_equal(g[name][...], reference[name].values)
    for cid in check.verified:
        rows = slice(cid, cid + 1)  # layout: one delta row per chunk
        assert layout["chunks"] == [1, 4]
        for name in reference.data_vars:
            np.testing.assert_array_equal(g[name][rows], reference[name].values[rows])
    assert check.complete == (check.intact and not check.missing)
    if kind != "flip":  # a flip may hit bytes the decoder ignores; a deleted or truncated file never verifies
        assert not check.complete, (target, kind)
