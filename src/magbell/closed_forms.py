"""Deprecated alias of :mod:`magbell.paper.closed_forms` (moved into the paper's reproduction, magbell.paper)."""

import warnings as _warnings

from .paper import closed_forms as _moved
from .paper.closed_forms import *  # noqa: F401,F403

__all__ = _moved.__all__
_warnings.warn("magbell.closed_forms is deprecated; import magbell.paper.closed_forms instead", DeprecationWarning, stacklevel=2)


def __getattr__(name):  # private names too, from the one module that defines them
    return getattr(_moved, name)
