"""Relaxometry data: reading, validating and writing the tidy format of ``docs/sensing.md``.

One row per measured point::

    time, initial, observable, value, stderr | shots [, readout_up, readout_down]

``observable`` is one of :data:`OBSERVABLES`; ``initial`` a magbell state name (``ud``, ``psi+``, ...).
Each row carries its noise: a Gaussian standard error (``stderr``) or the number of single-shot readouts
(``shots``, binomial/multinomial likelihood). ``readout_up``/``readout_down`` are the per-row readout
fidelities P(read ↑ | ↑), P(read ↓ | ↓) of each qubit (1 when absent).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MagbellError
from ..system._two_site_states import STATE_NAMES

__all__ = ["DataError", "Data", "load_data", "OBSERVABLES", "TIME_UNITS"]

#: measurable quantities, all functions of the four (read-out) populations
OBSERVABLES = ("p_uu", "p_ud", "p_du", "p_dd", "z1", "z2", "z1z2", "cov")
POPULATIONS = OBSERVABLES[:4]
#: seconds per unit
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}
_REQUIRED = ("time", "initial", "observable", "value")
_KNOWN = _REQUIRED + ("stderr", "shots", "readout_up", "readout_down")
_SUM_TOL = 1e-6
#: smallest Gaussian standard error: a value in [-1, 1] has float64 spacing ≤ 2.2e-16, and 1/stderr² of a
#: smaller one overflowed the residuals (stderr = 1e-300: RuntimeWarning, deviance inf)
_STDERR_MIN = 1e-15
#: largest number of shots: whole numbers are exact in float64 up to 2**53 (numpy's multinomial and the
#: counts k = value·shots need it); 1e300 shots overflowed the simulation
SHOTS_MAX = 2**53


class DataError(MagbellError):
    """Malformed relaxometry data (names the row and column)."""


def time_scale(unit: str) -> float:
    """Seconds per ``unit`` (``s``, ``ms``, ``us``, ``ns``, ``ps``)."""
    try:
        return TIME_UNITS[unit]
    except (KeyError, TypeError):
        raise DataError(f"time_unit must be one of {', '.join(TIME_UNITS)}, got {unit!r}") from None


@dataclass(frozen=True, eq=False)
class Data:
    """Validated data; ``time`` in seconds. Build with :func:`load_data` (or :func:`magbell.sensing.simulate`).

    ``kind`` per row: ``"gauss"`` (stderr), ``"binom"`` (shots, one binomial outcome), ``"multi"`` (shots,
    one of a complete set p_uu, p_ud, p_du, p_dd from the same shots: one multinomial outcome, ``group``
    numbers the set), ``"cov"`` (shots: Gaussian with the model's sampling variance of the covariance).
    """

    time: np.ndarray
    initial: np.ndarray
    observable: np.ndarray
    value: np.ndarray
    stderr: np.ndarray
    shots: np.ndarray
    readout_up: np.ndarray
    readout_down: np.ndarray
    has_readout: bool
    kind: np.ndarray
    group: np.ndarray
    where: tuple  # human row names for messages ("line 7")

    @property
    def n(self) -> int:
        return len(self.value)

    def __len__(self) -> int:
        return self.n

    @property
    def independent(self) -> int:
        """Independent observations: rows minus one per multinomial set (its values sum to 1)."""
        return self.n - len(np.unique(self.group[self.group >= 0]))

    @property
    def initials(self) -> tuple:
        return tuple(dict.fromkeys(self.initial.tolist()))

    def to_columns(self, time_unit: str = "s") -> dict:
        """Columns as a dict of lists (``time`` in ``time_unit``), the format :func:`load_data` reads."""
        sc = time_scale(time_unit)
        cols = {"time": (self.time / sc).tolist(), "initial": self.initial.tolist(),
                "observable": self.observable.tolist(), "value": self.value.tolist()}
        if np.any(np.isfinite(self.stderr)):
            cols["stderr"] = [("" if not math.isfinite(s) else s) for s in self.stderr.tolist()]
        if np.any(self.shots > 0):
            cols["shots"] = [(int(s) if s > 0 else "") for s in self.shots.tolist()]
        if self.has_readout:
            cols["readout_up"] = self.readout_up.tolist()
            cols["readout_down"] = self.readout_down.tolist()
        return cols

    def to_csv(self, path, time_unit: str = "s") -> None:
        """Write the data as CSV (``time`` in ``time_unit``), readable by :func:`load_data`."""
        cols = self.to_columns(time_unit)
        names = list(cols)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(names)
            for i in range(self.n):
                w.writerow([_csv_num(cols[k][i]) for k in names])

    def to_dataframe(self, time_unit: str = "s"):
        """The data as a pandas DataFrame (needs pandas, installed with ``magbell[sweep]``)."""
        from .._optional import require

        pd = require("pandas", "sweep", what="to_dataframe()")  # optional dependency

        return pd.DataFrame(self.to_columns(time_unit))


def _csv_num(v):
    if isinstance(v, float):
        return repr(v)
    return v


def _read_csv(path) -> tuple[dict, list]:
    p = Path(path)
    try:
        fh = open(p, newline="", encoding="utf-8-sig")
    except OSError as e:
        raise DataError(f"cannot read data file {str(p)!r}: {e.strerror or e}") from None
    with fh:
        rows = list(csv.reader(fh))
    rows = [(k + 1, r) for k, r in enumerate(rows) if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise DataError(f"data file {str(p)!r} is empty")
    header = [h.strip() for h in rows[0][1]]
    cols: dict = {h: [] for h in header}
    where = []
    for line, r in rows[1:]:
        if len(r) != len(header):
            raise DataError(f"{p.name} line {line}: {len(r)} fields, but the header has {len(header)}")
        for h, v in zip(header, r):
            cols[h].append(v.strip())
        where.append(f"{p.name} line {line}")
    return cols, where


def _columns_of(obj) -> tuple[dict, list]:
    if isinstance(obj, (str, Path)):
        return _read_csv(obj)
    if hasattr(obj, "to_dataframe") and hasattr(obj, "data_vars"):  # xarray Dataset (one row per element)
        dims = [str(d) for d in obj.dims]
        obj = obj.to_dataframe().reset_index()
        obj = obj.drop(columns=[d for d in dims if d not in _KNOWN and d in obj.columns])
    if hasattr(obj, "columns") and hasattr(obj, "to_dict"):  # pandas DataFrame
        cols = {str(c): list(obj[c].tolist()) for c in obj.columns}
    elif isinstance(obj, dict):
        cols = {str(k): list(np.atleast_1d(np.asarray(v, dtype=object)).tolist()) for k, v in obj.items()}
    else:
        raise DataError(
            "data must be a CSV path, a pandas DataFrame, an xarray Dataset or a dict of columns, "
            f"got {type(obj).__name__}"
        )
    n = {len(v) for v in cols.values()}
    if len(n) > 1:
        raise DataError(f"data columns have different lengths: {sorted(n)}")
    m = n.pop() if n else 0
    return cols, [f"row {i}" for i in range(m)]


def _blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return v.strip() == "" or v.strip().lower() in ("nan", "na", "none")
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return False


def _num(v, where, col) -> float:
    if isinstance(v, (bool, np.bool_)):  # float(True) is 1: a boolean column is a mistake, not a number
        raise DataError(f"{where}, column {col}: not a number: {v!r}")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise DataError(f"{where}, column {col}: not a number: {v!r}") from None
    if not math.isfinite(x):
        raise DataError(f"{where}, column {col}: must be finite, got {v!r}")
    return x


def load_data(data, time_unit: str = "s") -> Data:
    """Validate relaxometry data (CSV path, DataFrame, xarray Dataset, dict of columns, or :class:`Data`).

    ``time_unit`` is the unit of the ``time`` column (``s``, ``ms``, ``us``, ``ns``); the returned
    :class:`Data` holds seconds. Raises :class:`DataError` (one line naming row and column) on unknown
    labels, negative times, probabilities outside [0, 1], missing noise information, ...
    """
    if isinstance(data, Data):
        return data
    sc = time_scale(time_unit)
    cols, where = _columns_of(data)
    missing = [c for c in _REQUIRED if c not in cols]
    if missing:
        raise DataError(f"data lack the column(s) {', '.join(missing)}; required: {', '.join(_REQUIRED)}")
    unknown = [c for c in cols if c not in _KNOWN]
    if unknown:
        raise DataError(f"unknown data column(s) {', '.join(unknown)}; known: {', '.join(_KNOWN)}")
    n = len(where)
    if n == 0:
        raise DataError("data have no rows")
    has_ro = ("readout_up" in cols) or ("readout_down" in cols)
    if has_ro and not ("readout_up" in cols and "readout_down" in cols):
        raise DataError("give both readout columns, readout_up and readout_down, or neither")
    t = np.empty(n)
    val = np.empty(n)
    se = np.full(n, np.nan)
    shots = np.zeros(n)
    fu = np.ones(n)
    fd = np.ones(n)
    init, obs = [], []
    for i in range(n):
        w = where[i]
        t[i] = _num(cols["time"][i], w, "time") * sc
        if t[i] < 0:
            raise DataError(f"{w}, column time: must be >= 0, got {cols['time'][i]}")
        s = str(cols["initial"][i]).strip()
        if s not in STATE_NAMES:
            raise DataError(f"{w}, column initial: unknown state {s!r}; known: {', '.join(STATE_NAMES)}")
        init.append(s)
        o = str(cols["observable"][i]).strip()
        if o not in OBSERVABLES:
            raise DataError(f"{w}, column observable: unknown observable {o!r}; known: {', '.join(OBSERVABLES)}")
        obs.append(o)
        v = _num(cols["value"][i], w, "value")
        lo = 0.0 if o in POPULATIONS else -1.0
        if not lo <= v <= 1.0:
            what = "a probability" if lo == 0 else "an expectation of ±1 outcomes"
            raise DataError(f"{w}, column value: {o} is {what} and must lie in [{lo:g}, 1], got {v:g}")
        val[i] = v
        has_se = "stderr" in cols and not _blank(cols["stderr"][i])
        has_n = "shots" in cols and not _blank(cols["shots"][i])
        if has_se and has_n:
            raise DataError(f"{w}: give either stderr or shots, not both")
        if not (has_se or has_n):
            raise DataError(f"{w}: no noise information: give stderr (Gaussian) or shots (binomial)")
        if has_se:
            se[i] = _num(cols["stderr"][i], w, "stderr")
            if not se[i] > 0:
                raise DataError(f"{w}, column stderr: must be > 0, got {se[i]:g}")
            if se[i] < _STDERR_MIN:
                raise DataError(f"{w}, column stderr: must be >= {_STDERR_MIN:g} (values in [-1, 1] are not resolved "
                                f"finer in float64), got {se[i]:g}")
        else:
            k = _num(cols["shots"][i], w, "shots")
            if k < 1 or k != int(k) or k > SHOTS_MAX:
                raise DataError(f"{w}, column shots: must be a whole number in [1, 2**53], got {cols['shots'][i]}")
            shots[i] = k
        if has_ro:
            for col, arr in (("readout_up", fu), ("readout_down", fd)):
                f = _num(cols[col][i], w, col)
                if not 0.5 < f <= 1.0:
                    raise DataError(f"{w}, column {col}: a readout fidelity must lie in (0.5, 1], got {f:g}")
                arr[i] = f
    initial = np.array(init)
    observable = np.array(obs)
    kind, group = _classify(t, initial, observable, val, shots, fu, fd, where)
    return Data(time=t, initial=initial, observable=observable, value=val, stderr=se, shots=shots,
                readout_up=fu, readout_down=fd, has_readout=has_ro, kind=kind, group=group, where=tuple(where))


def _classify(t, initial, observable, val, shots, fu, fd, where):
    n = len(val)
    kind = np.where(shots > 0, "binom", "gauss").astype(object)
    kind[(shots > 0) & (observable == "cov")] = "cov"
    group = np.full(n, -1)
    buckets: dict = {}
    for i in range(n):
        if shots[i] > 0 and observable[i] in POPULATIONS:
            key = (initial[i], t[i], shots[i], fu[i], fd[i])
            buckets.setdefault(key, {}).setdefault(observable[i], []).append(i)
    g = 0
    for key, by_obs in buckets.items():
        if len(by_obs) < 4:
            continue
        for k in range(min(len(v) for v in by_obs.values())):
            rows = [by_obs[o][k] for o in POPULATIONS]
            s = float(np.sum(val[rows]))
            if abs(s - 1) > _SUM_TOL:
                raise DataError(
                    f"{where[rows[0]]}: p_uu + p_ud + p_du + p_dd = {s:.8g} for initial {key[0]}, the same time and "
                    "shots: a complete set of populations from the same shots must sum to 1"
                )
            kind[rows] = "multi"
            group[rows] = g
            g += 1
    return kind.astype(str), group
