"""How the suite runs on several cores (tests/conftest.py, dev.py): the xdist work units and dev.py's options.

Regression: with pytest 9.2 and pytest-xdist 3.8, ``--dist loadgroup`` scheduled every test on its own (xdist sets
``item._nodeid``, which this pytest no longer reads), so a module fixture and the ``magbell reproduce`` run of
test_reproduce/test_report were computed once per worker. conftest's own scheduler groups them; a real 2-worker
run below checks it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import conftest

ROOT = Path(__file__).resolve().parents[1]


def test_work_units():
    scope = conftest.xdist_scope
    assert scope("tests/test_reproduce.py::test_every_file_is_written", ROOT) == "reproduce"
    assert scope("tests/test_report.py::test_report_content", ROOT) == "reproduce"
    assert scope("tests/test_cli.py::test_spectrum", ROOT) == "tests/test_cli.py"  # a module fixture
    assert scope("tests/test_model.py::test_x[1]", ROOT) == "tests/test_model.py::test_x[1]"  # none: alone
    assert scope("tests/test_sensing.py::test_plot", ROOT) == "tests/test_sensing.py::test_plot"  # UNGROUPED
    assert scope("tests/test_model.py::test_x@mine", ROOT) == "mine"  # an explicit xdist_group
    assert scope("tests/test_model.py::test_x[a@b]", ROOT) == "tests/test_model.py::test_x[a@b]"
    assert not conftest._SHARED_FIXTURE.search((ROOT / "tests/test_model.py").read_text(encoding="utf-8"))
    for name in conftest.HEAVY_FIRST:  # every name still exists (a renamed test would silently drop out)
        path, func = name.split("::")
        assert f"def {func}(" in (ROOT / "tests" / path).read_text(encoding="utf-8"), name


def test_two_workers_keep_groups_together(tmp_path):
    """``-n 2`` without ``--dist``: conftest chooses loadgroup; a module fixture runs once, the module's tests
    and test_reproduce/test_report each stay on one worker, the other tests spread over both workers."""
    pytest.importorskip("xdist")
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    log = tmp_path / "log"
    log.mkdir()
    record = textwrap.dedent(f"""
        import os, time
        import pytest

        def record(tag):
            with open(os.path.join({str(log)!r}, tag + "-" + os.environ["PYTEST_XDIST_WORKER"]), "a") as f:
                f.write("x")
    """)
    (tmp_path / "test_grouped.py").write_text(record + textwrap.dedent("""
        @pytest.fixture(scope="module")
        def shared():
            record("fixture")

        @pytest.mark.parametrize("k", range(6))
        def test_g(shared, k):
            record("grouped")
    """))
    for name in ("test_reproduce.py", "test_report.py"):
        (tmp_path / name).write_text(record + textwrap.dedent("""
            @pytest.mark.parametrize("k", range(2))
            def test_r(k):
                record("reproduce")
        """))
    (tmp_path / "test_free.py").write_text(record + textwrap.dedent("""
        @pytest.mark.parametrize("k", range(8))
        def test_f(k):
            time.sleep(0.1)
            record("free")
    """))
    # no plugin autoload (hypothesis, zarr, ... cost ~2 s of start-up per process): xdist only
    env = {**{k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "xdist.plugin", "-n", "2", "-p", "no:cacheprovider",
                        str(tmp_path)],
                       cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "18 passed" in p.stdout, p.stdout
    files = {f.name: len(f.read_text()) for f in log.iterdir()}
    by_tag = {tag: {n.split("-", 1)[1]: c for n, c in files.items() if n.startswith(tag + "-")}
              for tag in ("fixture", "grouped", "reproduce", "free")}
    assert sum(by_tag["fixture"].values()) == 1, files  # computed once
    assert list(by_tag["grouped"].values()) == [6], files  # one worker
    assert list(by_tag["reproduce"].values()) == [4], files
    assert len(by_tag["free"]) == 2 and sum(by_tag["free"].values()) == 8, files  # spread


def _dev():
    spec = importlib.util.spec_from_file_location("magbell_dev_parallel", ROOT / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    return dev


def test_dev_test_task_runs_one_worker_per_cpu_unless_told(monkeypatch):
    dev = _dev()
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    monkeypatch.setattr(dev, "_cpus", lambda: 2)
    assert dev._parallel_args([]) == ["-n", "2", "--dist", "loadgroup"]
    assert dev._parallel_args(["-k", "steady", "--runslow"]) == ["-n", "2", "--dist", "loadgroup"]
    for user in (["-n", "3"], ["-n3"], ["--numprocesses=auto"], ["--dist", "load"], ["-p", "no:xdist"],
                 ["-pno:xdist"], ["--pdb"], ["--trace"]):
        assert dev._parallel_args(user) == [], user
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:xdist")
    assert dev._parallel_args([]) == []
    monkeypatch.delenv("PYTEST_ADDOPTS")
    monkeypatch.setattr(dev, "_cpus", lambda: 1)
    assert dev._parallel_args([]) == []
    monkeypatch.setattr(dev, "_cpus", lambda: 64)
    assert dev._parallel_args([]) == ["-n", "4", "--dist", "loadgroup"]
