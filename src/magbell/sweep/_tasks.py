"""What a sweep computes at every grid point: small frozen task objects.

``Evolve(times, initial, measures)``, ``SteadyState(initial, measures, tol, rho)``,
``SpectrumTask(tol)``, ``Postselect(times, initial, scheme, measures)`` and ``Function(func, outputs)``
(any batched function of a :class:`magbell.Model`). Each knows the variables it produces (name, trailing
dimensions, dtype, units) and computes them for a block of models.

:data:`TASKS` maps the sweep names (``"evolve"``, ...) and :data:`TASKS_BY_FUNCTION` the magbell functions
themselves (``magbell.evolve``, ``magbell.steady_state``, ``magbell.spectrum``, ``magbell.postselect``) to their
task classes. This module imports no other sweep module (no import cycle).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from ..solvers import _postselect as _ps
from ..measures import _two_qubit as _measures
from ..solvers._evolve import evolve
from ..errors import InvalidParameterError, InvalidStateError
from ..solvers._steady import spectrum, steady_state
from ..system._two_site_states import BELL_STATES, as_density_matrices

__all__ = ["Evolve", "SteadyState", "SpectrumTask", "Postselect", "Function", "Output", "task_from", "EXTRA_COORDS",
           "MEASURE_UNITS", "REGIMES", "TASKS", "TASKS_BY_FUNCTION"]

from ..results import BASIS_LABELS, MEASURE_UNITS
from ..results import EXTRA_DIMS as _EXTRA_DIMS
from ..results import OTHER_UNITS
from ..results import POSTSELECT_UNITS as _EXTRA_UNITS


def _other(name: str) -> dict:
    """attrs of a non-measure output, from the table shared with the results' to_xarray."""
    units, text = OTHER_UNITS[name]
    return {"long_name": text} if units is None else {"units": units, "long_name": text}

#: coordinates of the trailing dimensions that measures add
EXTRA_COORDS = {"basis": BASIS_LABELS, "bell": BELL_STATES, "row": BASIS_LABELS, "col": BASIS_LABELS}
#: spectrum regimes, as codes (0: not computed / invalid point)
REGIMES = ("underdamped", "critical", "overdamped")


@dataclass(frozen=True)
class Output:
    """One result variable: its trailing dimensions (after the grid's), dtype, fill value and attrs."""

    name: str
    dims: tuple
    dtype: str
    attrs: dict = field(default_factory=dict)

    @property
    def fill(self):
        kind = np.dtype(self.dtype).kind
        return np.nan if kind == "f" else (False if kind == "b" else 0)


def _measures_tuple(measures) -> tuple:
    if isinstance(measures, str):
        measures = (measures,)
    measures = tuple(measures)
    if not measures:
        raise InvalidParameterError("measures is empty; known: " + ", ".join(_measures.MEASURES))
    unknown = [m for m in measures if m not in _measures.MEASURES]
    if unknown:
        raise InvalidParameterError(f"unknown measure(s) {unknown}; known: {', '.join(_measures.MEASURES)}")
    if len(set(measures)) != len(measures):
        raise InvalidParameterError(f"measures has repeats: {list(measures)}")
    return measures


def _initial_spec(initial, allow_none: bool):
    """Normalised initial state(s): None, a name, or a tuple of names/4x4 matrices; plus labels."""
    if initial is None:
        if not allow_none:
            raise InvalidStateError("initial is required (a state name such as 'ud', a ket, a density matrix, or a list)")
        return None, None
    rho, several = as_density_matrices(initial)  # validates (raises InvalidStateError)
    if not several:
        return (initial if isinstance(initial, str) else rho[0]), None
    items = list(initial) if isinstance(initial, (list, tuple)) else list(rho)
    labels = [s if isinstance(s, str) else f"state{k}" for k, s in enumerate(items)]
    if len(set(labels)) != len(labels):
        raise InvalidStateError(f"initial states must be distinct, got {labels}")
    return tuple(s if isinstance(s, str) else rho[k] for k, s in enumerate(items)), tuple(labels)


def _initial_json(initial):
    if initial is None or isinstance(initial, str):
        return initial
    if isinstance(initial, tuple):
        return [_initial_json(s) for s in initial]
    m = np.asarray(initial)
    return {"re": m.real.tolist(), "im": m.imag.tolist()}


class _Task:
    """Protocol of sweep tasks (frozen dataclasses)."""

    name = "task"
    #: grid axes the task takes whole, as arrays (axis name -> field name)
    native_axes: dict = {}
    #: fields that may be grid axes, one value per chunk
    loop_fields: tuple = ()

    def with_fields(self, **changes):
        return dataclasses.replace(self, **changes)

    def native_dims(self) -> tuple:
        """Dimensions the computed arrays carry after the model's, in order."""
        return ()

    def native_coords(self) -> dict:
        return {}

    def outputs(self) -> list:
        raise NotImplementedError

    def compute(self, model) -> tuple:
        """(dict name -> array of shape model.shape + output dims, mask of extra not_unique points or None)."""
        raise NotImplementedError

    def bytes_per_point(self) -> int:
        raise NotImplementedError

    def describe(self) -> dict:
        raise NotImplementedError


def _measure_outputs(measures, before: tuple) -> list:
    out = []
    for m in measures:
        units, text = MEASURE_UNITS[m]
        out.append(Output(m, before + _EXTRA_DIMS.get(m, ()), "float64", {"units": units, "long_name": text}))
    return out


def _width(name: str) -> int:
    return math.prod(len(EXTRA_COORDS[d]) for d in _EXTRA_DIMS.get(name, ()))


class _TimeSeries:
    """Shared by tasks whose outputs run over (initial state,) time: the initial/times fields."""

    def _init_initial_and_times(self) -> None:
        from ..solvers._evolve import validate_times

        init, labels = _initial_spec(self.initial, allow_none=False)
        object.__setattr__(self, "initial", init)
        object.__setattr__(self, "_labels", labels)
        if self.times is not None:  # None: taken from a grid axis 't' (checked when the sweep starts)
            t = validate_times(self.times)
            t.setflags(write=False)
            object.__setattr__(self, "times", t)

    def native_dims(self) -> tuple:
        return (("initial",) if self._labels else ()) + ("t",)

    def native_coords(self) -> dict:
        c = {"t": self.times}
        if self._labels:
            c["initial"] = np.array(self._labels)
        return c


@dataclass(frozen=True, eq=False)
class Evolve(_TimeSeries, _Task):
    """Sweep :func:`magbell.evolve`: measures on the time grid ``times`` from ``initial``.

    ``times`` and ``initial`` may instead be grid axes named ``t`` and ``initial``. A list of initial
    states adds a dimension ``initial``; the time axis is ``t``.
    """

    times: object = None
    initial: object = "ud"
    measures: tuple = ("concurrence", "populations")

    name = "evolve"
    native_axes = {"t": "times", "initial": "initial"}

    def __post_init__(self):
        object.__setattr__(self, "measures", _measures_tuple(self.measures))
        self._init_initial_and_times()

    def outputs(self) -> list:
        return _measure_outputs(self.measures, self.native_dims())

    def compute(self, model) -> tuple:
        init = list(self.initial) if isinstance(self.initial, tuple) else self.initial
        r = evolve(model, init, self.times, measures=self.measures)
        return dict(r.measures), None

    def bytes_per_point(self) -> int:
        # outputs (kept for the whole chunk, plus one reordered copy); evolve's own working memory is
        # bounded separately (magbell.dynamics._CHUNK_BYTES). Measured: 45-56 B per time point for
        # concurrence + populations (5 numbers), tracemalloc peak.
        S = len(self._labels) if self._labels else 1
        return 256 + S * self.times.size * 8 * (2 * sum(_width(m) for m in self.measures) + 2)

    def describe(self) -> dict:
        return {
            "function": self.name,
            "initial": _initial_json(self.initial),
            "measures": list(self.measures),
            "times": None if self.times is None else
            {"n": int(self.times.size), "first": float(self.times[0]), "last": float(self.times[-1])},
        }


@dataclass(frozen=True, eq=False)
class SteadyState(_Task):
    """Sweep :func:`magbell.steady_state`: the t→∞ state from ``initial`` and its measures.

    ``initial=None`` asks for the unique steady state; points where it is not unique are marked
    ``not_unique`` (status 3) instead of failing the sweep. ``rho=True`` also stores the state
    (``rho_re``, ``rho_im``, 256 bytes per point). Also reported: ``unique``, ``n_stationary``,
    ``converges``.
    """

    initial: object = None
    measures: tuple = ("concurrence", "populations")
    tol: float = 1e-9
    rho: bool = False

    name = "steady_state"
    native_axes = {"initial": "initial"}
    loop_fields = ("tol",)

    def __post_init__(self):
        object.__setattr__(self, "measures", _measures_tuple(self.measures))
        init, labels = _initial_spec(self.initial, allow_none=True)
        object.__setattr__(self, "initial", init)
        object.__setattr__(self, "_labels", labels)
        tol = self.tol
        if not (isinstance(tol, (int, float)) and not isinstance(tol, bool) and 0 < tol < 1):
            raise InvalidParameterError(f"tol must be a number with 0 < tol < 1, got {tol!r}")
        object.__setattr__(self, "tol", float(tol))
        if not isinstance(self.rho, bool):
            raise InvalidParameterError(f"rho must be true or false, got {self.rho!r}")

    def native_dims(self) -> tuple:
        return ("initial",) if self._labels else ()

    def native_coords(self) -> dict:
        return {"initial": np.array(self._labels)} if self._labels else {}

    def outputs(self) -> list:
        d = self.native_dims()
        out = _measure_outputs(self.measures, d)
        out += [
            Output("unique", (), "bool", _other("unique")),
            Output("n_stationary", (), "int16", _other("n_stationary")),
            Output("converges", d, "bool", _other("converges")),
        ]
        if self.rho:
            for part in ("re", "im"):
                out.append(Output(f"rho_{part}", d + ("row", "col"), "float64",
                                  {"units": "1", "long_name": f"steady-state density matrix, {part} part"}))
        return out

    def compute(self, model) -> tuple:
        init = self.initial
        if init is None:
            init = np.eye(4) / 4  # the projection of I/4 is the steady state wherever it is unique
        elif isinstance(init, tuple):
            init = list(init)
        r = steady_state(model, init, measures=self.measures, tol=self.tol)
        out = dict(r.measures)
        out["unique"] = np.asarray(r.unique)
        out["n_stationary"] = np.asarray(r.n_stationary)
        out["converges"] = np.asarray(r.converges)
        if self.rho:
            out["rho_re"], out["rho_im"] = np.asarray(r.rho).real, np.asarray(r.rho).imag
        not_unique = ~np.asarray(r.unique) if self.initial is None else None
        return out, not_unique

    def bytes_per_point(self) -> int:
        S = len(self._labels) if self._labels else 1
        # measured tracemalloc peak of steady_state: ~1.2 kB per point (concurrence + populations)
        return 1024 + S * (512 + 16 * sum(_width(m) for m in self.measures) + (512 if self.rho else 0))

    def describe(self) -> dict:
        return {"function": self.name, "initial": _initial_json(self.initial), "measures": list(self.measures),
                "tol": self.tol, "rho": self.rho}


@dataclass(frozen=True, eq=False)
class SpectrumTask(_Task):
    """Sweep :func:`magbell.spectrum`: slowest rate, entanglement rate and lifetime, and the regime
    (``regime`` codes 1, 2, 3 = underdamped, critical, overdamped; 0 where not computed).

    Named ``SpectrumTask`` (``magbell.sweep.Spectrum`` is its deprecated alias) so that it is not mistaken
    for :class:`magbell.Spectrum`, the result of :func:`magbell.spectrum`."""

    tol: float = 1e-7

    name = "spectrum"
    loop_fields = ("tol",)

    def __post_init__(self):
        if not (isinstance(self.tol, (int, float)) and not isinstance(self.tol, bool) and 0 < self.tol < 1):
            raise InvalidParameterError(f"tol must be a number with 0 < tol < 1, got {self.tol!r}")
        object.__setattr__(self, "tol", float(self.tol))

    def outputs(self) -> list:
        return [
            Output("slowest_rate", (), "float64", _other("slowest_rate")),
            Output("entanglement_rate", (), "float64", _other("entanglement_rate")),
            Output("entanglement_lifetime", (), "float64",
                   _other("entanglement_lifetime")),
            Output("regime", (), "int8", {"long_name": "regime of the slowest |q|=0 modes (Eqs. 8-9)",
                                          "flag_values": [0, 1, 2, 3],
                                          "flag_meanings": "not_computed " + " ".join(REGIMES)}),
        ]

    def compute(self, model) -> tuple:
        sp = spectrum(model, tol=self.tol)
        regime = np.zeros(model.shape, dtype=np.int8)
        for k, name in enumerate(REGIMES, start=1):
            regime[np.asarray(sp.regime) == name] = k
        return {
            "slowest_rate": np.asarray(sp.slowest_rate, dtype=float),
            "entanglement_rate": np.asarray(sp.entanglement_rate, dtype=float),
            "entanglement_lifetime": np.asarray(sp.entanglement_lifetime, dtype=float),
            "regime": regime,
        }, None

    def bytes_per_point(self) -> int:
        return 2048

    def describe(self) -> dict:
        return {"function": self.name, "tol": self.tol}


@dataclass(frozen=True, eq=False)
class Function(_Task):
    """Sweep any batched function of a model: ``func(model) -> {name: array}`` with arrays of shape
    ``model.shape + trailing`` where ``outputs[name]`` names the trailing dimensions (with their
    lengths: ``{"spectrum": {"k": 16}}``; ``{}`` or ``()`` for one number per point).

    ``func`` must be importable by name (a module-level function) to run on a dask cluster. Values
    are stored as float64 (complex results: return real and imaginary parts separately).
    """

    func: object = None
    outputs_spec: dict = field(default_factory=dict)
    name: str = "function"

    def __post_init__(self):
        if not callable(self.func):
            raise InvalidParameterError(f"Function needs a callable func(model) -> dict, got {self.func!r}")
        if not self.outputs_spec:
            raise InvalidParameterError("Function needs outputs_spec={name: {dim: length, ...}}")
        spec = {}
        for k, dims in self.outputs_spec.items():
            if not isinstance(k, str) or not k.isidentifier():
                raise InvalidParameterError(f"output names must be identifiers, got {k!r}")
            dims = dict(dims) if dims else {}
            spec[k] = {str(d): int(n) for d, n in dims.items()}
        object.__setattr__(self, "outputs_spec", spec)

    def extra_coords(self) -> dict:
        out = {}
        for dims in self.outputs_spec.values():
            for d, n in dims.items():
                if out.setdefault(d, n) != n:
                    raise InvalidParameterError(f"dimension {d!r} has two lengths in outputs_spec")
        return out

    def outputs(self) -> list:
        return [Output(k, tuple(dims), "float64", {}) for k, dims in self.outputs_spec.items()]

    def compute(self, model) -> tuple:
        res = self.func(model)
        out = {}
        for k, dims in self.outputs_spec.items():
            if k not in res:
                raise InvalidParameterError(f"{self.name}: func returned no {k!r} (returned {sorted(res)})")
            v = np.asarray(res[k], dtype=float)
            want = model.shape + tuple(dims.values())
            if v.shape != want:
                raise InvalidParameterError(f"{self.name}: {k!r} has shape {v.shape}, expected {want}")
            out[k] = v
        return out, None

    def bytes_per_point(self) -> int:
        return 2048 + 16 * sum(math.prod(d.values()) for d in self.outputs_spec.values())

    def describe(self) -> dict:
        f = self.func
        return {"function": self.name, "func": f"{getattr(f, '__module__', '?')}:{getattr(f, '__qualname__', repr(f))}",
                "outputs": self.outputs_spec}




@dataclass(frozen=True, eq=False)
class Postselect(_TimeSeries, _Task):
    """Sweep :func:`magbell.postselect`: the normalised conditional evolution (Eq. 13) on the
    time grid ``times`` with its success probability P(t) (``success_probability``,
    ``log_success_probability``). ``scheme`` is ``"no-jump"`` or ``"subspace"``."""

    times: object = None
    initial: object = "ud"
    scheme: str = "no-jump"
    measures: tuple = _ps.DEFAULT_MEASURES

    name = "postselect"
    native_axes = {"t": "times", "initial": "initial"}

    def __post_init__(self):
        measures = (self.measures,) if isinstance(self.measures, str) else tuple(self.measures)
        object.__setattr__(self, "measures", _ps._check_measures(measures))
        if not measures:
            raise InvalidParameterError("measures is empty")
        if self.scheme not in _ps.SCHEMES:
            raise InvalidParameterError(f"scheme must be one of {', '.join(_ps.SCHEMES)}, got {self.scheme!r}")
        self._init_initial_and_times()

    def outputs(self) -> list:
        d = self.native_dims()
        out = []
        for m in self.measures:
            units, text = MEASURE_UNITS.get(m) or _EXTRA_UNITS[m]
            extra = {"populations": ("basis",), "bell_fidelities": ("bell",)}.get(m, ())
            out.append(Output(m, d + extra, "float64", {"units": units, "long_name": f"{text}, postselected"}))
        out.append(Output("success_probability", d, "float64",
                          _other("success_probability")))
        out.append(Output("log_success_probability", d, "float64",
                          _other("log_success_probability")))
        return out

    def compute(self, model) -> tuple:
        init = list(self.initial) if isinstance(self.initial, tuple) else self.initial
        r = _ps.postselect(model, init, self.times, scheme=self.scheme, measures=self.measures)
        out = dict(r.measures)
        out["success_probability"] = np.asarray(r.success_probability)
        out["log_success_probability"] = np.asarray(r.log_success_probability)
        return out, None

    def bytes_per_point(self) -> int:
        S = len(self._labels) if self._labels else 1
        width = sum(_width(m) if m in MEASURE_UNITS else 1 for m in self.measures) + 2
        return 1024 + S * self.times.size * 8 * (2 * width + 8)

    def describe(self) -> dict:
        return {
            "function": self.name,
            "initial": _initial_json(self.initial),
            "scheme": self.scheme,
            "measures": list(self.measures),
            "times": None if self.times is None else
            {"n": int(self.times.size), "first": float(self.times[0]), "last": float(self.times[-1])},
        }


TASKS = {"evolve": Evolve, "steady_state": SteadyState, "spectrum": SpectrumTask, "postselect": Postselect}
#: the sweep registry keyed by function object: ``sweep.run(magbell.postselect, ...)``
TASKS_BY_FUNCTION = {evolve: Evolve, steady_state: SteadyState, spectrum: SpectrumTask, _ps.postselect: Postselect}


def task_from(func, **kwargs):
    """A task object from a task, a magbell function (``magbell.evolve``, ...) or its name, plus its keyword arguments."""
    if isinstance(func, _Task):
        if kwargs:
            raise InvalidParameterError(
                f"give run options ({', '.join(kwargs)}) either in the task object or as keywords, not both"
            )
        return func
    if "sites" in kwargs:  # N qubits placed in a medium: the N-site tasks (sweep/_nsite.py, imported here only)
        from ._nsite import nsite_task_from

        return nsite_task_from(func, **kwargs)
    known = ", ".join(TASKS)
    if isinstance(func, str):
        cls = TASKS.get(func)
        if cls is None:
            raise InvalidParameterError(f"unknown sweep function {func!r}; known: {known} (or a magbell.sweep.Function)")
    elif callable(func) and not isinstance(func, type):
        try:
            cls = TASKS_BY_FUNCTION.get(func)
        except TypeError:  # unhashable callable
            cls = None
        if cls is None:
            raise InvalidParameterError(
                f"{func!r} is not a magbell function the sweep knows (magbell.{', magbell.'.join(TASKS)}); "
                "wrap your own as magbell.sweep.Function(func, outputs_spec=...)"
            )
    else:
        raise InvalidParameterError(f"unknown sweep function {func!r}; known: {known} (or a magbell.sweep.Function)")
    names = {f.name for f in dataclasses.fields(cls)}
    bad = sorted(set(kwargs) - names)
    if bad:
        raise InvalidParameterError(f"{cls.name} takes no option(s) {bad}; its options: {sorted(names)}")
    return cls(**kwargs)
