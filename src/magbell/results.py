"""Shared behaviour of result objects: one base class (:class:`Result`) and the unit tables.

Every result (``EvolveResult``, ``SteadyStateResult``, ``Spectrum``, ``PostselectResult``,
``MonitorResult``, ``NonHermitianSpectrum``, ``TrajectoryResult``, ``RobustnessResult``,
``SystemEvolveResult``) derives from :class:`Result`: ``method``, ``options``, ``backend`` and
``version`` are read as attributes, measures are attributes visible in ``dir()``, ``repr`` is one
line, ``_repr_html_`` is a compact table for Jupyter, and ``to_xarray()`` labels variables with the same
names, units and ``long_name`` s as the sweep's Dataset (the tables and :func:`unit_labels` below are the ones
:mod:`magbell.sweep` uses). Time series also give ``max_concurrence``, ``t_at_max`` and ``lifetime()``.

Units (labels only: magbell computes in whatever unit the numbers were given): by default rates and
energies are in Γ₀, "the unit of rate the parameters were given in", and times in 1/Γ₀ (ħ = 1); a model
from a physical medium is in SI — decay rates 1/s, energies rad/s, times s (``to_xarray(unit="rad/s")``,
as the sweep with ``medium=``).
"""

from __future__ import annotations

import numpy as np

#: basis labels of the two-qubit computational basis (site 1 leftmost)
BASIS_LABELS = ("uu", "ud", "du", "dd")
#: trailing dimensions that vector measures add
EXTRA_DIMS = {"populations": ("basis",), "bell_fidelities": ("bell",)}
#: measure name -> (units, long_name); shared with the sweep's Dataset
MEASURE_UNITS = {
    "concurrence": ("1", "Wootters concurrence C (Suppl. S49)"),
    "entanglement_of_formation": ("ebit", "entanglement of formation (Suppl. S48-S50)"),
    "negativity": ("1", "negativity (||rho^T2||_1 - 1)/2"),
    "log_negativity": ("1", "logarithmic negativity log2 ||rho^T2||_1"),
    "purity": ("1", "purity tr rho^2"),
    "populations": ("1", "populations (p_uu, p_ud, p_du, p_dd)"),
    "bell_fidelities": ("1", "fidelities to (phi+, phi-, psi+, psi-)"),
}
#: measures only postselection computes
POSTSELECT_UNITS = {
    "bell_fidelity": ("1", "fidelity to the model's asymptotic Bell state (|ud> + e^{i phi}|du>)/sqrt2"),
    "bell_fidelity_max": ("1", "largest fidelity to any (|ud> + e^{i phi}|du>)/sqrt2"),
}
#: other result variables that the sweep also writes; units "rate" (a decay rate), "energy" (a frequency:
#: splitting, coupling) and "time" become the labels of :func:`unit_labels`
OTHER_UNITS = {
    "success_probability": ("1", "postselection success probability P(t)"),
    "log_success_probability": ("1", "ln P(t) (finite where P underflows)"),
    "slowest_rate": ("rate", "smallest non-zero decay rate"),
    "entanglement_rate": ("rate", "slowest |q|=0 decay rate"),
    "entanglement_lifetime": ("time", "1/entanglement_rate (inf: entanglement persists)"),
    "lifetime": ("time", "1/slowest_rate (inf: no decaying mode)"),
    "n_stationary": (None, "dimension of ker L (0: not computed)"),
    "unique": (None, "the model has exactly one stationary state"),
    "converges": (None, "rho(t) converges (False: rho is the time average)"),
}
#: the label of the model's own unit: numbers given to ``Model`` / ``sweep.run`` without a unit are rates
#: and energies in Γ₀, times in 1/Γ₀ (ħ = 1)
GAMMA0 = "Γ₀"
#: the sweep's internal name of that default (kept in its fingerprint; every label shows Γ₀)
LEGACY_RATE_UNIT = "rate unit (hbar = 1)"
#: coherent parameters (energies: splittings, exchange, DM); the other model parameters are decay rates
ENERGY_PARAMS = frozenset({"Delta", "delta", "Jz", "Jperp", "D_dm"})
#: result variables that are energies although their class's table says "rate" (rad/s, not 1/s, in SI)
ENERGY_VARIABLES = frozenset({"exceptional_point_delta"})
#: units meaning SI (a physical medium: decay rates in 1/s, energies in rad/s with ħ = 1, times in s)
SI_UNITS = ("rad/s", "1/s")
#: names of times, refused as the (rate) ``unit`` of the labels
TIME_UNITS = frozenset({"s", "ms", "us", "ns", "ps", "fs", "min", "h"})
TIME_LONG_NAME = "time t"
INITIAL_LONG_NAME = "initial state (basis |uu>, |ud>, |du>, |dd>; singlet = psi- = (|ud> - |du>)/sqrt2)"


def unit_labels(unit: str | None = None) -> dict:
    """``units`` labels of rates, energies and times for numbers given in ``unit``, and a sentence for attrs.

    ``None`` (or the sweep's internal default): the model's own unit Γ₀ — rates and energies in Γ₀, times
    in 1/Γ₀. ``"rad/s"`` or ``"1/s"`` (a physical medium, ħ = 1): decay rates "1/s", energies "rad/s",
    times "s". Any other name ``u`` (e.g. ``"MHz"``): rates and energies in ``u``, times in ``1/u``
    (``"1/us"`` gives times in ``us``). Returns ``{"rate", "energy", "time", "name", "note"}``.
    """
    from .errors import InvalidParameterError

    if unit is None or unit == LEGACY_RATE_UNIT:
        return {"rate": GAMMA0, "energy": GAMMA0, "time": "1/" + GAMMA0, "name": GAMMA0,
                "note": "hbar = 1; Γ₀ is the unit of rate the parameters were given in: rates and energies "
                        "(splittings, couplings) in Γ₀, times in 1/Γ₀"}
    if not isinstance(unit, str) or not unit.strip():
        raise InvalidParameterError(f"unit must be a non-empty string such as 'MHz' or 'rad/s', got {unit!r}")
    unit = unit.strip()
    if unit.replace("µ", "u").replace("μ", "u") in TIME_UNITS:  # "s" labelled rates "s" and times "1/s"
        raise InvalidParameterError(
            f"unit is the unit of the model's rates and energies, and {unit!r} is a time: give '1/{unit}' for rates "
            f"in 1/{unit} (times in {unit}), or 'rad/s' for a model from a physical medium"
        )
    if unit in SI_UNITS:
        return {"rate": "1/s", "energy": "rad/s", "time": "s", "name": unit,
                "note": "hbar = 1; SI units: decay rates (a, A and the other dissipative terms) in 1/s, energies "
                        "(splittings, coherent couplings J, D) in rad/s, times in s"}
    if unit == "Hz":
        time = "s"
    elif unit.startswith("1/") and len(unit) > 2:
        time = unit[2:]
    else:
        time = "1/(" + unit + ")" if any(c in unit for c in " /*^") else "1/" + unit
    return {"rate": unit, "energy": unit, "time": time, "name": unit,
            "note": f"hbar = 1; rates and energies (splittings, couplings) in {unit}, times in {time}"}


def param_units(name: str, unit: str | None = None) -> str:
    """``units`` of a model parameter given in ``unit`` (energies and decay rates differ only in SI)."""
    lab = unit_labels(unit)
    return lab["energy"] if name in ENERGY_PARAMS else lab["rate"]


def variable_attrs(name: str, unit: str | None = None, suffix: str = "", extra: dict | None = None) -> dict:
    """``{"units", "long_name"}`` of a result/sweep variable, from the tables above (``extra``: a class's own
    ``{name: (units, long_name)}``); ``suffix`` is appended to measures' long names (", postselected")."""
    units, text = MEASURE_UNITS.get(name) or POSTSELECT_UNITS.get(name) or (None, None)
    if text is not None:
        text = text + suffix
    else:
        units, text = OTHER_UNITS.get(name) or (extra or {}).get(name) or (None, name.replace("_", " "))
        if units == "rate" and name in ENERGY_VARIABLES:
            units = "energy"
    attrs = {"long_name": text}
    if units is not None:
        attrs["units"] = unit_labels(unit).get(units, units) if units in ("rate", "energy", "time") else units
    return attrs


class MeasureAccess:
    """Expose the entries of ``self.measures`` as attributes (``result.concurrence``)."""

    _HOW_TO_ASK = "measures=[...]"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        m = self.__dict__.get("measures", {})
        if name in m:
            return m[name]
        raise AttributeError(
            f"{type(self).__name__} has no attribute {name!r}; computed measures: {', '.join(m) or 'none'} "
            f"(ask for more with {self._HOW_TO_ASK})"
        )

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self.__dict__.get("measures", {})))


def _simple(v) -> bool:
    return isinstance(v, (str, bool, int, float, np.integer, np.floating, np.bool_)) or v is None


class Result(MeasureAccess):
    """Base of every magbell result.

    Attributes (read-only): ``method`` (the solver's method, from ``info["method"]`` or the class),
    ``options`` (the scalar settings the solver recorded in ``info``), ``backend`` (``"numpy"``),
    ``version`` (``magbell.__version__``). ``info`` stays the raw dict the solver wrote.

    Time-series results also give ``max_concurrence`` and ``t_at_max`` (the maximum of the
    concurrence over the time axis and the first time it is reached; the model/initial shape is kept).
    """

    #: arrays besides ``measures`` that to_xarray writes (field names)
    _ARRAYS: tuple = ()
    #: appended to the sweep's long_name (the sweep marks postselected measures the same way)
    _LONG_SUFFIX = ""
    _METHOD = None
    #: (units, long_name) of class-specific arrays the sweep does not write
    _UNITS: dict = {}

    backend = "numpy"

    @property
    def version(self) -> str:
        from . import __version__

        return __version__

    @property
    def method(self):
        info = self.__dict__.get("info") or {}
        return info.get("method", self._METHOD)

    @property
    def options(self) -> dict:
        info = self.__dict__.get("info") or {}
        return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in info.items()
                if k != "method" and _simple(v)}

    # -- arrays and their dimensions
    def _arrays(self) -> dict:
        out = {}
        for k, v in (self.__dict__.get("measures") or {}).items():
            out[k] = np.asarray(v)
        for k in self._ARRAYS:
            v = self.__dict__.get(k)
            if v is not None:
                out[k] = np.asarray(v)
        return out

    def _native(self) -> tuple:
        """Names and coordinates of the axes after the model's: ((name, coords or None), ...)."""
        out = []
        init = self.__dict__.get("initial")
        if isinstance(init, np.ndarray) and init.ndim == 3:
            labels = (self.__dict__.get("info") or {}).get("initial_labels")
            out.append(("initial", np.array(labels) if labels is not None and len(labels) == init.shape[0] else None))
        t = self.__dict__.get("times")
        if t is not None:
            out.append(("t", np.asarray(t)))
        return tuple(out)

    def _dims(self, name: str, arr: np.ndarray) -> tuple:
        trailing = EXTRA_DIMS.get(name, ())
        native = tuple(n for n, _ in self._native())
        lead = arr.ndim - len(trailing) - len(native)
        if lead < 0:
            return tuple(f"dim_{i}" for i in range(arr.ndim))
        return tuple(f"dim_{i}" for i in range(lead)) + native + trailing

    @property
    def shape(self):
        for owner in ("model", "system", "base"):
            m = self.__dict__.get(owner)
            if m is not None and hasattr(m, "shape"):
                return tuple(m.shape)
        for name in self._ARRAYS:  # results that keep no model (Spectrum, NonHermitianSpectrum): their
            v = self.__dict__.get(name)  # per-model arrays have the grid's shape (the repr said shape=None)
            if v is not None:
                return tuple(np.shape(v))
        return None

    def __repr__(self) -> str:
        names = list(self._arrays())
        return f"{type(self).__name__}(shape={self.shape}, measures=[{', '.join(names)}], method={self.method!r})"

    def _repr_html_(self) -> str:
        """A compact HTML table for Jupyter: method, options, backend, version; the model's parameters (value,
        or shape and range on a grid) or the System's size; every array's shape with its range and units; the
        headline numbers (max concurrence, t at max, 1/e lifetime). Its size does not grow with the arrays'."""
        return _html_table(self)

    def to_xarray(self, unit: str | None = None):
        """The result as an ``xarray.Dataset``: variable names, ``units`` and ``long_name`` as in the sweep's
        Dataset for the same work; model axes ``dim_0, dim_1, ...``, then ``initial``, ``t``, ``basis``/``bell``/
        ``site``; attrs record method, options (JSON), backend, version, ``rate_unit`` (the unit of decay
        rates: "1/s" in SI), ``energy_unit``, ``time_unit`` and ``conventions_note``.

        ``unit``: what the model's numbers are in, for the labels only (see :func:`unit_labels`): ``None`` —
        the model's own unit Γ₀ (times in 1/Γ₀); ``"rad/s"`` for a model from a physical medium (rates 1/s,
        energies rad/s, times s); or a name such as ``"MHz"`` — as ``sweep.run(..., unit=...)``. It names the unit
        of the *rates*: a time unit (``"s"``, ``"us"``, …) is refused in one line (it labelled rates "s" and times
        "1/s")."""
        import json

        from ._optional import require

        labels_u = unit_labels(unit)
        xr = require("xarray", "sweep", what=f"{type(self).__name__}.to_xarray")
        from .system._two_site_states import BELL_STATES

        labels = {"basis": np.array(BASIS_LABELS), "bell": np.array(BELL_STATES)}
        coords = {}
        for name, c in self._native():
            if c is None:
                continue
            attrs = ({"units": labels_u["time"], "long_name": TIME_LONG_NAME} if name == "t"
                     else {"long_name": INITIAL_LONG_NAME})
            coords[name] = xr.Variable((name,), c, attrs)
        data = {}
        for k, arr in self._arrays().items():
            dims = self._dims(k, arr)
            for d in dims:
                if d in labels and d not in coords:
                    coords[d] = xr.Variable((d,), labels[d], {"long_name": {"basis": "basis state", "bell": "Bell state"}[d]})
            data[k] = xr.Variable(dims, arr, variable_attrs(k, unit, self._LONG_SUFFIX, self._UNITS))
        attrs = {"magbell_result": type(self).__name__, "method": str(self.method), "backend": self.backend,
                 "version": self.version, "options": json.dumps(self.options, default=str, sort_keys=True),
                 "source": f"magbell {self.version} (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022))",
                 "rate_unit": labels_u["rate"], "energy_unit": labels_u["energy"], "time_unit": labels_u["time"],
                 "conventions_note": labels_u["note"]}
        return xr.Dataset(data, coords=coords, attrs=attrs)


_HTML_MAX_ROWS = 24
_HTML_MAX_TEXT = 120


def _short(text, limit: int = _HTML_MAX_TEXT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(x) -> str:
    x = complex(x) if np.iscomplexobj(x) else float(x)
    if isinstance(x, complex):
        return f"{x.real:.6g}{x.imag:+.6g}j" if x.imag != 0 else f"{x.real:.6g}"
    return f"{x:.6g}"


def _summary(v) -> str:
    """One short text for an array: its value if it has one element, else shape, dtype and range."""
    v = np.asarray(v)
    if v.dtype.kind == "c" and v.size and not np.any(v.imag):
        v = v.real
    if v.dtype.kind not in "biufc":
        return _short(v.tolist() if v.size <= 4 else f"{v.shape} {v.dtype}")
    if v.size == 1:
        return _num(v.reshape(-1)[0]) if v.dtype.kind != "b" else str(bool(v.reshape(-1)[0]))
    head = f"{' × '.join(map(str, v.shape))} {v.dtype}"
    if v.dtype.kind == "b":
        return f"{head}, {int(v.sum())} true"
    if v.size == 0:
        return head
    mag = np.abs(v) if v.dtype.kind == "c" else v
    lo, hi = np.min(mag), np.max(mag)  # NaN if any NaN: then the slower masked pass
    n_nan = n_inf = 0
    if not (np.isfinite(lo) and np.isfinite(hi)):
        fin = np.isfinite(mag)
        if not fin.any():
            return f"{head}, no finite values"
        n_nan = int(np.isnan(mag).sum())
        n_inf = int(mag.size - fin.sum()) - n_nan
        lo, hi = np.min(mag, where=fin, initial=np.inf), np.max(mag, where=fin, initial=-np.inf)
    extra = "".join(f", {n} {w}" for n, w in ((n_nan, "NaN"), (n_inf, "infinite")) if n)
    return f"{head}, {'|x| ' if v.dtype.kind == 'c' else ''}from {_num(lo)} to {_num(hi)}{extra}"


def _model_rows(res) -> list:
    model = res.__dict__.get("model")
    model = res.__dict__.get("base") if model is None else model
    system = res.__dict__.get("system")
    rows = []
    if system is not None and hasattr(system, "N"):
        rows.append(("System", f"N = {system.N} sites, grid shape {tuple(system.shape)}"))
    elif model is not None and hasattr(model, "params"):
        import dataclasses

        for f in dataclasses.fields(model):
            v = getattr(model, f.name)
            if v is None or (np.ndim(v) == 0 and f.name != "a" and v == 0):
                continue
            rows.append((f.name, _summary(v)))
    return rows


def _headline_rows(res) -> list:
    rows = []
    arrays = res.__dict__.get("measures") or {}
    if isinstance(res, TimeSeriesResult) and "concurrence" in arrays:
        cm = np.asarray(res.max_concurrence)
        rows.append(("max concurrence", _summary(cm)))
        rows.append(("t at max", _summary(res.t_at_max)))
        rows.append(("1/e lifetime of C", _summary(res.lifetime())))
    elif "concurrence" in arrays:
        rows.append(("concurrence", _summary(arrays["concurrence"])))
    return rows


def _html_table(res) -> str:
    import html
    import json

    esc = html.escape
    grid = Result.shape.fget(res)
    sections = [("Result", [("method", res.method), ("backend", res.backend), ("version", res.version),
                            ("model grid", "one model" if grid == () else grid)])]
    if grid is None:
        sections[0][1].pop()
    opts = res.options
    opt_rows = [(k, v if isinstance(v, (str, bool)) or v is None else _num(v) if isinstance(v, (int, float))
                 else _short(json.dumps(v, default=str))) for k, v in sorted(opts.items())[:_HTML_MAX_ROWS]]
    if len(opts) > _HTML_MAX_ROWS:
        opt_rows.append(("…", f"{len(opts) - _HTML_MAX_ROWS} more"))
    sections.append(("Options", opt_rows))
    sections.append(("Model", _model_rows(res)))
    t = res.__dict__.get("times")
    arrays = res._arrays()
    arr_rows = [] if t is None else [("t", _summary(t) + " [" + unit_labels()["time"] + "]")]
    for k, v in list(arrays.items())[:_HTML_MAX_ROWS]:
        units = variable_attrs(k, None, "", res._UNITS).get("units")
        arr_rows.append((k, _summary(v) + (f" [{units}]" if units not in (None, "1") else "")))
    if len(arrays) > _HTML_MAX_ROWS:
        arr_rows.append(("…", f"{len(arrays) - _HTML_MAX_ROWS} more"))
    sections.append(("Arrays", arr_rows))
    sections.append(("Headline", _headline_rows(res)))
    out = [f'<table class="magbell-result"><caption>{esc(type(res).__name__)}</caption>']
    for title, rows in sections:
        if not rows:
            continue
        out.append(f'<tr><th colspan="2" style="text-align:left">{esc(title)}</th></tr>')
        out += [f"<tr><td>{esc(_short(k, 40))}</td><td>{esc(_short(v))}</td></tr>" for k, v in rows]
    out.append("</table>")
    return "".join(out)


def lifetime_from_curve(times, values, level: float = float(np.exp(-1.0)), *, relative: bool = True) -> np.ndarray:
    """Time at which a curve, after its maximum, first falls below ``level`` — the lifetime read off the curve.

    ``values``: (..., n_times), the last axis over ``times`` (1-D, strictly increasing); leading axes are
    batch axes. ``level``: a fraction of each curve's maximum (``relative=True``, 0 < level <= 1; default
    1/e, the e-folding time of an exponential decay) or an absolute value (``relative=False``). Between
    samples the curve is interpolated linearly: with ``c[k-1] >= L > c[k]`` (``k`` the first sample after
    the maximum below ``L``) the result is ``t[k-1] + (c[k-1] - L)/(c[k-1] - c[k]) · (t[k] - t[k-1])``; for
    ``c = e^{-t/τ}`` sampled with step h this is τ to O(h²/τ). It is a time on the ``times`` axis (subtract
    ``t_at_max`` for the duration after the peak).

    NaN means no such time within ``times``: the curve does not fall below the level after its maximum
    before the last time (the lifetime is longer — extend the times), or it never reaches the level
    (``relative=False``) or has no positive maximum (``relative=True``, e.g. a concurrence that stays 0),
    or it holds a NaN or infinity. Shape: ``values.shape[:-1]``.
    """
    from .errors import InvalidParameterError

    t = np.asarray(times, dtype=float)
    c = np.asarray(values, dtype=float)
    if t.ndim != 1 or c.ndim < 1 or c.shape[-1] != t.size:
        raise InvalidParameterError(
            f"values must have the times as last axis: times has shape {t.shape}, values {c.shape}")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise InvalidParameterError("times must be finite and strictly increasing")
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"level must be a real number, got {level!r}") from None
    if relative and not 0.0 < level <= 1.0:
        raise InvalidParameterError(f"level must satisfy 0 < level <= 1 (a fraction of the maximum), got {level!r}")
    if not np.isfinite(level):
        raise InvalidParameterError(f"level must be finite, got {level!r}")
    out = np.full(c.shape[:-1], np.nan)
    if t.size < 2 or c.size == 0:
        return out
    bad = ~np.isfinite(c).all(axis=-1)
    cc = np.where(np.isfinite(c), c, -np.inf)
    imax = np.argmax(cc, axis=-1)
    cmax = np.take_along_axis(cc, imax[..., None], -1)[..., 0]
    if relative:
        ok = ~bad & (cmax > 0)
        L = np.where(ok, level * np.where(ok, cmax, 0.0), 0.0)
    else:
        ok = ~bad & (cmax >= level)
        L = np.full(cmax.shape, level)
    below = (cc < L[..., None]) & (np.arange(t.size) > imax[..., None])
    found = ok & below.any(axis=-1)
    k = np.where(found, np.argmax(below, axis=-1), 1)
    c0 = np.take_along_axis(cc, (k - 1)[..., None], -1)[..., 0]
    c1 = np.take_along_axis(cc, k[..., None], -1)[..., 0]
    c0 = np.where(found, c0, 1.0)
    c1 = np.where(found, c1, 0.0)
    L = np.where(found, L, 0.5)
    frac = (c0 - L) / (c0 - c1)  # c0 >= L > c1 where found: 0 <= frac < 1
    return np.where(found, t[k - 1] + frac * (t[k] - t[k - 1]), out)


class TimeSeriesResult(Result):
    """A :class:`Result` whose measures carry a time axis (``times``): adds ``max_concurrence``, ``t_at_max``
    and ``lifetime()`` (the time a measure falls below a level after its maximum, default 1/e of it)."""

    @property
    def max_concurrence(self) -> np.ndarray:
        """Largest concurrence over the time axis (``concurrence.max(axis=-1)``); shape
        ``(*model.shape[, n_initial])``. NaN where the curve has a NaN (nothing is silently skipped)."""
        c = np.asarray(self.concurrence)
        return c.max(axis=-1)

    @property
    def t_at_max(self) -> np.ndarray:
        """First time at which the concurrence reaches ``max_concurrence``; shape as ``max_concurrence``,
        NaN where that is NaN. On a grid, the time resolution is the grid's."""
        c = np.asarray(self.concurrence)
        t = np.asarray(self.times, dtype=float)[np.argmax(c, axis=-1)]
        return np.where(np.isnan(c).any(axis=-1), np.nan, t)

    def lifetime(self, measure: str = "concurrence", level: float = float(np.exp(-1.0)), *,
                 relative: bool = True) -> np.ndarray:
        """Time at which ``measure`` falls below ``level`` after its maximum (default: 1/e of the maximum),
        linearly interpolated between samples; one value per model (and initial state), shape as
        ``max_concurrence``; NaN where the curve does not fall below the level within ``times`` (the
        lifetime is longer), has no positive maximum (``relative=True``) or holds a NaN. ``relative=False``
        makes ``level`` absolute (e.g. ``lifetime(level=0.1)`` with ``relative=False``: C < 0.1). The times
        are in the model's time unit (1/Γ₀; seconds for a model from a medium). See
        :func:`magbell.results.lifetime_from_curve` for the formula and the closed-form check."""
        from .errors import InvalidParameterError

        arrays = self._arrays()
        ok = [k for k, v in arrays.items() if self._dims(k, v)[-1:] == ("t",)]
        if not isinstance(measure, str) or measure not in ok:
            raise InvalidParameterError(
                f"measure must be one of the computed time series {', '.join(ok) or 'none'} (one value per time), "
                f"got {measure!r}")
        return lifetime_from_curve(self.times, arrays[measure], level, relative=relative)
