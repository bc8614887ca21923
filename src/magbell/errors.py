"""Exceptions raised by magbell. All are ``ValueError`` subclasses so that plain ``except ValueError`` works."""

from __future__ import annotations

import numpy as np

__all__ = [
    "MagbellError",
    "InvalidParameterError",
    "InvalidStateError",
    "NonUniqueSteadyStateError",
    "MissingDependencyError",
    "describe_bad_points",
]


class MagbellError(ValueError):
    """Base class of magbell's input and result errors."""


class InvalidParameterError(MagbellError):
    """A model or run parameter violates a physical or numerical condition."""


class InvalidStateError(MagbellError):
    """An initial state is not a valid density matrix (or not a known state name)."""


class NonUniqueSteadyStateError(MagbellError):
    """The Liouvillian has several stationary states and no initial state was given."""


class MissingDependencyError(MagbellError):
    """An optional dependency (an extra such as ``magbell[plot]``) is not installed; the message names the extra."""


def _fmt(x) -> str:
    x = complex(x) if np.iscomplexobj(x) else float(x)
    if isinstance(x, complex):
        if x.imag == 0:
            return f"{x.real:.6g}"
        return f"{x.real:.6g}{x.imag:+.6g}j"
    return f"{x:.6g}"


def describe_bad_points(bad: np.ndarray, values: dict, max_list: int = 3) -> str:
    """Describe where a boolean mask over a parameter grid is True, quoting the values there.

    For a scalar model it returns ``"name=value, ..."``; for a grid it says how many points are bad
    and lists the first few indices with their values.
    """
    bad = np.asarray(bad)
    shape = bad.shape
    if shape == ():
        return ", ".join(f"{k}={_fmt(np.asarray(v))}" for k, v in values.items())
    idx = np.argwhere(bad)
    parts = []
    for row in idx[:max_list]:
        t = tuple(int(i) for i in row)
        vals = ", ".join(f"{k}={_fmt(np.broadcast_to(v, shape)[t])}" for k, v in values.items())
        parts.append(f"index {t}: {vals}")
    more = f" (and {len(idx) - max_list} more)" if len(idx) > max_list else ""
    return f"{len(idx)} of {bad.size} grid points; " + "; ".join(parts) + more
