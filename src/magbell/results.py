"""Shared behaviour of result objects: one base class (:class:`Result`) and the unit tables.

Every result (``EvolveResult``, ``SteadyStateResult``, ``Spectrum``, ``PostselectResult``,
``MonitorResult``, ``NonHermitianSpectrum``, ``TrajectoryResult``, ``RobustnessResult``,
``SystemEvolveResult``) derives from :class:`Result`: ``method``, ``options``, ``backend`` and
``version`` are read as attributes, measures are attributes visible in ``dir()``, ``repr`` is one
line, and ``to_xarray()`` labels variables with the same names, units and ``long_name`` s as the
sweep's Dataset (the tables below are the ones :mod:`magbell.sweep` uses).
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
#: other result variables that the sweep also writes ("rate"/"time": in the rate unit / its inverse)
OTHER_UNITS = {
    "success_probability": ("1", "postselection success probability P(t)"),
    "log_success_probability": ("1", "ln P(t) (finite where P underflows)"),
    "slowest_rate": ("rate", "smallest non-zero decay rate"),
    "entanglement_rate": ("rate", "slowest |q|=0 decay rate"),
    "entanglement_lifetime": ("time", "1/entanglement_rate (inf: entanglement persists)"),
    "n_stationary": (None, "dimension of ker L (0: not computed)"),
    "unique": (None, "the model has exactly one stationary state"),
    "converges": (None, "rho(t) converges (False: rho is the time average)"),
}
#: the rate unit a result carries (results know no physical unit; the sweep's default label)
RATE_UNIT = "rate unit (hbar = 1)"
TIME_LONG_NAME = "time t"
INITIAL_LONG_NAME = "initial state (basis |uu>, |ud>, |du>, |dd>; singlet = psi- = (|ud> - |du>)/sqrt2)"


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
        return None

    def __repr__(self) -> str:
        names = list(self._arrays())
        return f"{type(self).__name__}(shape={self.shape}, measures=[{', '.join(names)}], method={self.method!r})"

    def to_xarray(self):
        """The result as an ``xarray.Dataset``: variable names, ``units`` and ``long_name`` as in the sweep's
        Dataset for the same work; model axes ``dim_0, dim_1, ...``, then ``initial``, ``t``, ``basis``/``bell``/
        ``site``; attrs record method, options (JSON), backend and version."""
        import json

        from ._optional import require

        xr = require("xarray", "sweep", what=f"{type(self).__name__}.to_xarray")
        from .states import BELL_STATES

        labels = {"basis": np.array(BASIS_LABELS), "bell": np.array(BELL_STATES)}
        coords = {}
        for name, c in self._native():
            if c is None:
                continue
            attrs = ({"units": "1/(" + RATE_UNIT + ")", "long_name": TIME_LONG_NAME} if name == "t"
                     else {"long_name": INITIAL_LONG_NAME})
            coords[name] = xr.Variable((name,), c, attrs)
        data = {}
        for k, arr in self._arrays().items():
            dims = self._dims(k, arr)
            for d in dims:
                if d in labels and d not in coords:
                    coords[d] = xr.Variable((d,), labels[d], {"long_name": {"basis": "basis state", "bell": "Bell state"}[d]})
            units, text = MEASURE_UNITS.get(k) or POSTSELECT_UNITS.get(k) or (None, None)
            if text is not None:
                text = text + self._LONG_SUFFIX
            else:
                units, text = OTHER_UNITS.get(k) or self._UNITS.get(k) or (None, k.replace("_", " "))
            attrs = {"long_name": text}
            if units is not None:
                attrs["units"] = {"rate": RATE_UNIT, "time": "1/(" + RATE_UNIT + ")"}.get(units, units)
            data[k] = xr.Variable(dims, arr, attrs)
        attrs = {"magbell_result": type(self).__name__, "method": str(self.method), "backend": self.backend,
                 "version": self.version, "options": json.dumps(self.options, default=str, sort_keys=True),
                 "source": f"magbell {self.version} (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022))"}
        return xr.Dataset(data, coords=coords, attrs=attrs)


class TimeSeriesResult(Result):
    """A :class:`Result` whose measures carry a time axis (``times``): adds ``max_concurrence`` and ``t_at_max``."""

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
