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
