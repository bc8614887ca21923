"""``to_xarray()`` and ``_repr_html_`` of the trajectory ensemble averages (:class:`EnsembleAverage`,
:class:`SystemEnsembleAverage`): the same variable names, units, ``long_name`` s, coordinates and attrs as
every other result (:mod:`magbell.results`, the sweep's Dataset), so that "``to_xarray()`` on every result"
(issue 14 §3) also holds for ``trajectories(...).average()``.

The averages are NamedTuples (their fields stay positional for existing code); their ``times`` field (filled
by ``average()``) gives the ``t`` coordinate.
"""

from __future__ import annotations

import numpy as np

from ..results import BASIS_LABELS, TIME_LONG_NAME, unit_labels, variable_attrs

__all__ = ["AVERAGE_UNITS", "average_to_xarray", "average_html"]

#: (units, long_name) of the averages' own fields (the measures use magbell.results' tables)
AVERAGE_UNITS = {
    "rho": ("1", "ensemble-averaged state: mean of |psi><psi| over the selected trajectories"),
    "stderr_re": ("1", "standard error of Re rho (sample standard deviation / sqrt(count))"),
    "stderr_im": ("1", "standard error of Im rho (sample standard deviation / sqrt(count))"),
    "count": ("1", "number of selected trajectories"),
    "fraction": ("1", "selected fraction of the trajectories (estimate of the postselection probability P(t))"),
    "fraction_stderr": ("1", "binomial standard error of the selected fraction"),
    "site_populations": ("1", "site populations"),  # as the N-site sweep's Dataset
    "site_populations_stderr": ("1", "standard error of the ensemble-averaged site populations"),
}
METHOD = "quantum-jump ensemble average"


def _basis_labels(dim: int) -> np.ndarray:
    """u/d labels of the 2ᴺ computational basis, site 1 leftmost (index bit 1 = ↓): "uu", "ud", "du", "dd"."""
    if dim == 4:
        return np.array(BASIS_LABELS)
    n = int(round(np.log2(dim)))
    return np.array([format(k, f"0{n}b").replace("0", "u").replace("1", "d") for k in range(dim)])


def _dims(name: str, arr: np.ndarray) -> tuple:
    if name in ("rho", "stderr_re", "stderr_im"):
        return ("t", "basis", "basis_col")
    if name.startswith("site_populations"):
        return ("t", "site")
    return ("t",) + tuple(f"{name}_{k}" for k in range(arr.ndim - 1))


def _arrays(avg) -> dict:
    return {k: np.asarray(v) for k, v in avg._asdict().items() if k != "times" and v is not None}


def average_to_xarray(avg, unit: str | None = None):
    """``avg`` (an ensemble average) as an ``xarray.Dataset``: variables by field name with ``units`` and
    ``long_name`` (concurrence as in the sweep), coordinates ``t`` (units of the model's time, see
    :func:`magbell.results.unit_labels`), ``basis``/``basis_col`` (u/d strings) and the dimension ``site``
    (no coordinate, as in the other N-site results and the sweep);
    attrs as :meth:`magbell.results.Result.to_xarray` (method, backend, version, rate_unit, conventions_note)."""
    import json

    from .. import __version__
    from .._optional import require

    xr = require("xarray", "sweep", what=f"{type(avg).__name__}.to_xarray")
    lab = unit_labels(unit)
    arrays = _arrays(avg)
    coords = {}
    if avg.times is not None:
        coords["t"] = xr.Variable(("t",), np.asarray(avg.times, dtype=float),
                                  {"units": lab["time"], "long_name": TIME_LONG_NAME})
    data = {}
    for k, arr in arrays.items():
        dims = _dims(k, arr)
        if "basis" in dims and "basis" not in coords:
            b = _basis_labels(arr.shape[-1])
            coords["basis"] = xr.Variable(("basis",), b, {"long_name": "basis state (ket)"})
            coords["basis_col"] = xr.Variable(("basis_col",), b, {"long_name": "basis state (bra)"})
        data[k] = xr.Variable(dims, arr, variable_attrs(k, unit, "", AVERAGE_UNITS))
    attrs = {"magbell_result": type(avg).__name__, "method": METHOD, "backend": "numpy", "version": __version__,
             "options": json.dumps({}), "source": f"magbell {__version__} (Zou, Zhang & Tserkovnyak, PRB 106, "
                                                  "L180406 (2022))",
             "rate_unit": lab["rate"], "energy_unit": lab["energy"], "time_unit": lab["time"],
             "conventions_note": lab["note"]}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def average_html(avg) -> str:
    """A compact HTML table (Jupyter) of an ensemble average: every array's shape and range, the times, and the
    headline numbers (selected count, max concurrence). Its size does not grow with the arrays'."""
    import html

    from .. import __version__
    from ..results import _short, _summary

    esc = html.escape
    rows = [("method", METHOD), ("backend", "numpy"), ("version", __version__)]
    arr_rows = [] if avg.times is None else [("t", _summary(avg.times) + " [" + unit_labels()["time"] + "]")]
    arrays = _arrays(avg)
    arr_rows += [(k, _summary(v)) for k, v in arrays.items()]
    head = []
    if "count" in arrays and arrays["count"].size:
        head.append(("selected trajectories", f"{int(arrays['count'].min())} to {int(arrays['count'].max())}"))
    c = arrays.get("concurrence")
    if c is not None and c.size and np.isfinite(c).any():
        head.append(("max concurrence", _summary(np.nanmax(c))))
    out = [f'<table class="magbell-result"><caption>{esc(type(avg).__name__)}</caption>']
    for title, rr in (("Result", rows), ("Arrays", arr_rows), ("Headline", head)):
        if rr:
            out.append(f'<tr><th colspan="2" style="text-align:left">{esc(title)}</th></tr>')
            out += [f"<tr><td>{esc(_short(k, 40))}</td><td>{esc(_short(v))}</td></tr>" for k, v in rr]
    out.append("</table>")
    return "".join(out)
