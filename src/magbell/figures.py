"""Deprecated alias of :mod:`magbell.paper.figures` (moved into the paper's reproduction, magbell.paper)."""

import warnings as _warnings

from .paper import figures as _moved
from .paper.figures import *  # noqa: F401,F403

__all__ = _moved.__all__
_warnings.warn("magbell.figures is deprecated; import magbell.paper.figures instead", DeprecationWarning, stacklevel=2)


def __getattr__(name):  # private names too, from the one module that defines them
    return getattr(_moved, name)
