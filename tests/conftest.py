"""Shared fixtures for the magbell test suite, and how it runs on several cores.

``tests/systems.py`` (independent references and analytic systems, no magbell imports) is importable as
``systems`` from every test module.

Parallel runs (pytest-xdist, ``-n N``; ``python3 dev.py test`` passes ``-n`` and ``--dist loadgroup``): the
tests are sent to the workers one by one, except that all tests of a module that defines a module-, package-
or session-scoped fixture go to one worker together (that fixture is computed once, not once per worker), and
``test_reproduce.py`` and ``test_report.py`` form one group: they share the one ``magbell reproduce`` run
(``test_reproduce.reproduced``, cached per process). Explicit ``xdist_group`` marks are honoured too. Given
``-n`` without ``--dist``, this conftest chooses ``loadgroup``. The grouping is done by the scheduler below
(``pytest_xdist_make_scheduler``): xdist 3.8's own ``loadgroup`` sets ``item._nodeid``, which the pytest
installed here (9.2) no longer reads (node ids live in ``item._id``), so with it every test was scheduled
alone. Under xdist the tests known to take seconds are collected first, so that no worker is left running a
long test at the end.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

#: modules whose tests share one per-process cache outside pytest's fixtures: one xdist group each
SHARED_CACHE_GROUPS = {"test_reproduce.py": "reproduce", "test_report.py": "reproduce"}
#: modules left ungrouped although they define a module fixture: it takes < 1 s, and their slow tests (the two
#: ~30 s sensing calibrations) should run on different workers
UNGROUPED = {"test_sensing.py"}
#: tests that take seconds (measured with ``pytest --durations``): collected first under xdist
HEAVY_FIRST = (
    "test_qa_s4_sensing_sweep.py::test_a_zero_test_size_with_a_fitted_phase",
    "test_sensing.py::test_a_zero_test_has_its_size",
    "test_sensing.py::test_simulation_based_calibration",
    "test_medium_film.py::test_lamb_shift_against_the_general_machinery",
    "test_qa_fixes.py::test_separation_quadrature_converges_the_coherent_coupling_far_out",
    "test_notebook.py::test_tutorial_notebook_executes",
    "test_cli_sweep.py::test_ctrl_c_and_sigkill_then_resume_lose_and_repeat_nothing",
    "test_nsite_physics.py::test_most_subradiant_rate_scales_as_n_to_the_minus_3_up_to_1000",
)
_SHARED_FIXTURE = re.compile(r"""scope\s*=\s*["'](?:module|package|session)["']""")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh seeded generator per test: tests are deterministic and independent of their order."""
    return np.random.default_rng(20221123)


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run tests marked slow (statistical calibrations, long cross-checks); CI always does")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """``-n N`` without ``--dist``: distribute with ``loadgroup`` (xdist's default ``load`` would compute the
    ``magbell reproduce`` run and every module fixture once per worker)."""
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", None) == "no" \
            and not getattr(config.option, "distload", False):
        config.option.dist = "loadgroup"


def xdist_scope(nodeid: str, rootdir: Path, _cache: dict = {}) -> str:  # noqa: B006 - the per-file cache
    """The work unit of a test under ``--dist loadgroup``: its explicit group (``nodeid@group``), its shared
    cache group, its file if the file defines a module/package/session fixture (except ``UNGROUPED``), or else
    the test alone."""
    if nodeid.rfind("@") > nodeid.rfind("]"):
        return nodeid.rsplit("@", 1)[-1]
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    if name in SHARED_CACHE_GROUPS:
        return SHARED_CACHE_GROUPS[name]
    if name in UNGROUPED:
        return nodeid
    if path not in _cache:
        try:
            _cache[path] = bool(_SHARED_FIXTURE.search((rootdir / path).read_text(encoding="utf-8")))
        except OSError:
            _cache[path] = False
    return path if _cache[path] else nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup``: xdist's load-scope scheduler with the work units of :func:`xdist_scope`."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    rootdir = Path(config.rootpath)

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid, rootdir)

    return GroupScheduling(config, log)


def _run_slow(config) -> bool:
    return bool(config.getoption("--runslow")) or os.environ.get("CI", "").lower() in ("1", "true", "yes") \
        or os.environ.get("MAGBELL_RUN_SLOW") == "1"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run under CI (CI=true), with ``--runslow`` or MAGBELL_RUN_SLOW=1; locally they are
    skipped so the suite stays under ~4 minutes on 2 cores (issue 9 §7). On an xdist worker the tests of
    ``HEAVY_FIRST`` are moved to the front (every worker collects, and the scheduler follows, this order)."""
    if not _run_slow(config):
        skip = pytest.mark.skip(reason="slow: run with --runslow (CI runs it)")
        for item in items:
            if "slow" in item.keywords:
                item.add_marker(skip)
    if not hasattr(config, "workerinput"):  # not an xdist worker: the collection order is left alone
        return
    rank = {name: k for k, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.rsplit("/", 1)[-1], len(rank)))  # stable
