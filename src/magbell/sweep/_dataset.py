"""The xarray form of a sweep: the empty template (coordinates, variables, units, chunking), and
helpers that read status and reasons back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from .. import __version__
from ..results import INITIAL_LONG_NAME, TIME_LONG_NAME, param_units, unit_labels
from ._engine import STATUS, Kernel, Spec
from ._grid import Layout
from ._params import param_attrs
from ._tasks import EXTRA_COORDS, Function

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["template", "reasons", "summary", "var_chunks"]


def _require_xarray():
    from .._optional import require

    return require("xarray", "sweep", what="magbell.sweep")


def var_chunks(dims: tuple, layout: Layout, sizes: dict) -> tuple:
    """Chunk shape of a variable: the layout's chunks on chunked dimensions, whole elsewhere."""
    ch = dict(zip(layout.dims, layout.chunks))
    return tuple(ch.get(d, sizes[d]) for d in dims)


def _param_attrs(p: str, spec: Spec) -> dict:
    """units/long_name of a parameter coordinate: rates and energies labelled as in the results' to_xarray
    (Γ₀ by default; 1/s and rad/s with a physical medium)."""
    if p == "tol":
        return {"units": "1", "long_name": "tolerance"}
    attrs = param_attrs(p, "rate", spec.medium is not None)
    if attrs["units"] == "rate":
        attrs["units"] = param_units(p, spec.unit)
    return attrs


def template(spec: Spec, kernel: Kernel, layout: Layout, table: tuple, allocate) -> "xr.Dataset":
    """The sweep's Dataset with every data variable made by ``allocate(shape, dtype, fill, chunks)``."""
    xr = _require_xarray()
    task = spec.task
    sizes = dict(zip(spec.grid.dims, spec.grid.shape))
    sizes.update(spec.trailing_sizes())
    coords = {}
    for ax in spec.grid.axes:
        for p, v in ax.values.items():
            if p in ("t", "initial"):
                continue
            coords[p] = xr.Variable((ax.name,), v, _param_attrs(p, spec))
    ulab = unit_labels(spec.unit)
    for name, v in task.native_coords().items():
        attrs = {"units": ulab["time"], "long_name": TIME_LONG_NAME} if name == "t" else {
            "long_name": INITIAL_LONG_NAME}
        coords[name] = xr.Variable((name,), v, attrs)
    used = {d for o in task.outputs() for d in o.dims}
    for d, labels in EXTRA_COORDS.items():
        if d in used:
            coords[d] = xr.Variable((d,), np.array(labels), {"long_name": {"basis": "basis state", "bell": "Bell state",
                                                                           "row": "row of rho", "col": "column of rho"}[d]})
    for p, v in spec.fixed.items():
        if not isinstance(v, complex):
            coords[p] = xr.Variable((), v, {**_param_attrs(p, spec), "fixed": 1})
    data = {}
    for o in task.outputs():
        dims = kernel.final[o.name]
        shape = tuple(sizes[d] for d in dims)
        attrs = dict(o.attrs)
        if attrs.get("units") in ("rate", "energy", "time"):
            attrs["units"] = ulab[attrs["units"]]
        data[o.name] = xr.Variable(dims, allocate(shape, o.dtype, o.fill, var_chunks(dims, layout, sizes)), attrs)
    pdims = spec.chunk_dims
    pshape = tuple(sizes[d] for d in pdims)
    pch = var_chunks(pdims, layout, sizes)
    data["status"] = xr.Variable(pdims, allocate(pshape, "int8", 0, pch), {
        "long_name": "status of the grid point",
        "flag_values": np.arange(len(STATUS), dtype=np.int8),
        "flag_meanings": " ".join(STATUS),
    })
    data["reason"] = xr.Variable(pdims, allocate(pshape, "int16", 0, pch), {
        "long_name": "why the point is not ok: index into the 'meanings' attribute (a JSON list)",
        "meanings": json.dumps(list(table)),
    })
    attrs = {
        "title": f"magbell parameter sweep: {task.name} over " + " x ".join(f"{d}[{n}]" for d, n in zip(spec.grid.dims, spec.grid.shape)),
        "source": f"magbell {__version__} (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022))",
        "magbell_function": task.name,
        "magbell_sweep": json.dumps(spec.describe(), sort_keys=True),
        "magbell_fingerprint": spec.fingerprint(),
        "magbell_layout": json.dumps(layout.to_json()),
        "rate_unit": ulab["rate"], "energy_unit": ulab["energy"], "time_unit": ulab["time"],
        "conventions_note": ulab["note"],
    }
    if isinstance(task, Function):
        attrs["magbell_function"] = task.name
    return xr.Dataset(data, coords=coords, attrs=attrs)


def reasons(ds) -> "xr.DataArray":
    """The reason of every grid point as text ('' where the point is ok)."""
    xr = _require_xarray()
    table = np.array(json.loads(ds["reason"].attrs["meanings"]), dtype=object)
    codes = np.asarray(ds["reason"].values)
    return xr.DataArray(table[codes], dims=ds["reason"].dims, coords=ds["reason"].coords, name="reason_text")


def summary(ds) -> dict:
    """Counts of points per status and per reason (JSON-ready)."""
    status = np.asarray(ds["status"].values)
    codes = np.asarray(ds["reason"].values)
    table = json.loads(ds["reason"].attrs["meanings"])
    counts = {s: int((status == k).sum()) for k, s in enumerate(STATUS)}
    by_reason = {}
    for code, n in zip(*np.unique(codes[codes > 0], return_counts=True)):
        by_reason[table[int(code)]] = int(n)
    return {"points": int(status.size), "status": counts, "reasons": by_reason}
