"""Parameter grids (:class:`Axis`, :class:`Grid`) and their split into rectangular chunks (:class:`Layout`).

A grid is the Cartesian product of its axes. An axis is one dimension of the result; it carries one
parameter (``Grid(delta=[...])``) or several that vary together (``Axis("point", a=[...], A=[...])``,
a list of points). ``Grid.points(...)`` is the grid of a single such list.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["Axis", "Grid", "Layout", "STRING_AXES"]

#: axes whose values are labels (state names), not numbers
STRING_AXES = ("initial",)


def _values(axis: str, name: str, values) -> np.ndarray:
    if name in STRING_AXES:
        if isinstance(values, str):
            values = [values]
        arr = np.asarray(values, dtype=object)
        if arr.ndim != 1 or arr.size == 0 or not all(isinstance(v, str) for v in arr):
            raise InvalidParameterError(
                f"grid axis {axis!r}: {name} must be a non-empty list of state names, got {values!r}"
            )
        out = np.array([str(v) for v in arr])
    else:
        try:
            arr = np.asarray(values)
        except (TypeError, ValueError):
            arr = np.asarray([None])
        if arr.dtype.kind == "c":
            raise InvalidParameterError(
                f"grid axis {axis!r}: {name} must be real; sweep |A| and A_phase for a complex coupling"
            )
        if arr.dtype == object or arr.dtype.kind not in "iuf":  # a bool is no parameter value (the TOML refuses it)
            raise InvalidParameterError(f"grid axis {axis!r}: {name} must be a 1-D list of real numbers, got {values!r:.200}")
        arr = np.atleast_1d(arr.astype(float))
        if arr.ndim != 1:
            raise InvalidParameterError(f"grid axis {axis!r}: {name} must be 1-D, but has shape {arr.shape}")
        if arr.size == 0:
            raise InvalidParameterError(f"grid axis {axis!r}: {name} is empty")
        if not np.all(np.isfinite(arr)):
            k = int(np.flatnonzero(~np.isfinite(arr))[0])
            raise InvalidParameterError(f"grid axis {axis!r}: {name} must be finite, but {name}[{k}] = {arr[k]}")
        out = np.array(arr, copy=True)
    out.setflags(write=False)
    return out


class Axis:
    """One dimension of a sweep: a name and one or more parameters of equal length.

    >>> Axis("delta", delta=[0.0, 0.5, 1.0]).size
    3
    >>> Axis("point", a=[1.0, 2.0], A=[0.5, 1.5]).params
    ('a', 'A')
    """

    __slots__ = ("name", "values")

    def __init__(self, name: str, **values):
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidParameterError(f"an axis name must be an identifier, got {name!r}")
        if not values:
            raise InvalidParameterError(f"axis {name!r} has no parameters")
        vals = {k: _values(name, k, v) for k, v in values.items()}
        sizes = {k: v.size for k, v in vals.items()}
        if len(set(sizes.values())) > 1:
            raise InvalidParameterError(f"axis {name!r}: its parameters must have equal lengths, got {sizes}")
        if len(vals) > 1 and any(k in STRING_AXES or k == "t" for k in vals):
            raise InvalidParameterError(
                f"axis {name!r}: 'initial' and 't' must each be an axis of their own, not zipped with {list(vals)}"
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "values", vals)

    def __setattr__(self, key, value):
        raise AttributeError("Axis is immutable")

    @property
    def params(self) -> tuple:
        return tuple(self.values)

    @property
    def size(self) -> int:
        return next(iter(self.values.values())).size

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}=<{v.size}>" for k, v in self.values.items())
        return f"Axis({self.name!r}, {parts})"

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Axis)
            and self.name == other.name
            and self.params == other.params
            and all(np.array_equal(self.values[k], other.values[k]) for k in self.params)
        )

    __hash__ = None

    def digest(self) -> str:
        h = hashlib.sha256(self.name.encode())
        for k, v in self.values.items():
            h.update(k.encode())
            h.update(str(v.dtype).encode())
            h.update(np.ascontiguousarray(v).tobytes() if v.dtype.kind != "U" else "\x00".join(v).encode())
        return h.hexdigest()


class Grid:
    """Cartesian product of axes, in order: positional :class:`Axis` objects, then one axis per keyword.

    >>> g = Grid(delta=[0.0, 1.0, 2.0], A=[0.0, 0.5])
    >>> g.dims, g.shape
    (('delta', 'A'), (3, 2))
    >>> Grid.points(a=[1.0, 2.0], A=[0.5, 2.5]).dims
    ('point',)
    """

    __slots__ = ("axes",)

    def __init__(self, *axes: Axis, **params):
        all_axes = list(axes) + [Axis(k, **{k: v}) for k, v in params.items()]
        for ax in all_axes:
            if not isinstance(ax, Axis):
                raise InvalidParameterError(f"Grid takes Axis objects and name=values keywords, got {ax!r}")
        names = [ax.name for ax in all_axes]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InvalidParameterError(f"grid axis names must be unique, repeated: {dup}")
        params_all = [p for ax in all_axes for p in ax.params]
        dup = sorted({p for p in params_all if params_all.count(p) > 1})
        if dup:
            raise InvalidParameterError(f"each parameter may appear on one axis only, repeated: {dup}")
        clash = sorted(set(names) & set(params_all) - {p for ax in all_axes if ax.params == (ax.name,) for p in ax.params})
        if clash:
            raise InvalidParameterError(f"axis names {clash} are also parameters of other axes")
        object.__setattr__(self, "axes", tuple(all_axes))

    def __setattr__(self, key, value):
        raise AttributeError("Grid is immutable")

    @classmethod
    def points(cls, name: str = "point", **params) -> "Grid":
        """A list of points (parameters that vary together) as a one-axis grid."""
        return cls(Axis(name, **params))

    @property
    def dims(self) -> tuple:
        return tuple(ax.name for ax in self.axes)

    @property
    def shape(self) -> tuple:
        return tuple(ax.size for ax in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def params(self) -> tuple:
        return tuple(p for ax in self.axes for p in ax.params)

    def axis_of(self, param: str) -> Axis | None:
        for ax in self.axes:
            if param in ax.values:
                return ax
        return None

    def __repr__(self) -> str:
        return "Grid(" + " x ".join(f"{ax.name}[{ax.size}]" + (f"({', '.join(ax.params)})" if ax.params != (ax.name,) else "") for ax in self.axes) + ")"

    def __eq__(self, other) -> bool:
        return isinstance(other, Grid) and self.axes == other.axes

    __hash__ = None


@dataclass(frozen=True)
class Layout:
    """Rectangular chunks of the chunked dimensions (the grid's axes other than ``t``/``initial``).

    ``chunks[k]`` is the chunk length along ``dims[k]``; chunk ``i`` is the ``i``-th block in C order.
    """

    dims: tuple
    shape: tuple
    chunks: tuple

    @classmethod
    def auto(cls, dims: tuple, shape: tuple, chunk_points: int, whole_one: tuple = ()) -> "Layout":
        """Chunks of about ``chunk_points`` points, filled from the last dimension; dimensions named in
        ``whole_one`` get chunk length 1 (parameters that cannot vary inside one call)."""
        if chunk_points < 1:
            raise InvalidParameterError(f"chunk_points must be >= 1, got {chunk_points}")
        chunks = [1] * len(dims)
        left = int(chunk_points)
        for k in range(len(dims) - 1, -1, -1):
            if dims[k] in whole_one:
                continue
            c = max(1, min(shape[k], left))
            chunks[k] = c
            left = max(1, left // c)
            if c < shape[k]:
                break
        return cls(tuple(dims), tuple(shape), tuple(chunks))

    @property
    def counts(self) -> tuple:
        """Number of chunks along each dimension."""
        return tuple(-(-n // c) for n, c in zip(self.shape, self.chunks))

    @property
    def n_chunks(self) -> int:
        return math.prod(self.counts)

    def index(self, cid: int) -> tuple:
        return tuple(int(i) for i in np.unravel_index(cid, self.counts)) if self.counts else ()

    def slices(self, cid: int) -> tuple:
        return tuple(
            slice(i * c, min(n, (i + 1) * c)) for i, c, n in zip(self.index(cid), self.chunks, self.shape)
        )

    def points(self, cid: int) -> int:
        return math.prod(s.stop - s.start for s in self.slices(cid))

    def to_json(self) -> dict:
        return {"dims": list(self.dims), "shape": list(self.shape), "chunks": list(self.chunks)}
