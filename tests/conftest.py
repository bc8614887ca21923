"""Shared fixtures for the magbell test suite.

``tests/systems.py`` (independent references and analytic systems, no magbell imports) is importable as
``systems`` from every test module.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh seeded generator per test: tests are deterministic and independent of their order."""
    return np.random.default_rng(20221123)


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run tests marked slow (statistical calibrations, long cross-checks); CI always does")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run under CI (CI=true), with ``--runslow`` or MAGBELL_RUN_SLOW=1; locally they are
    skipped so the suite stays under ~4 minutes on 2 cores (issue 9 §7)."""
    if config.getoption("--runslow") or os.environ.get("CI", "").lower() in ("1", "true", "yes") \
            or os.environ.get("MAGBELL_RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow (CI runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
