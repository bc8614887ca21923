"""Sweeps of N qubits placed in a magnon medium (issue 11 §6): ``sweep.run(magbell.evolve, grid, sites=Sites(...))``.

:class:`Sites` places N qubits (a chain, ring or grid with a spacing, or explicit positions, SI metres) in a
contact-coupling medium (:class:`magbell.medium.PhysicalSetup`) at a temperature; every pair's couplings come from
:func:`magbell.system.couplings_at_positions` (docs/nqubits.md §2), so rates are in 1/s, energies in rad/s and
times in s. The keyword ``sites=`` makes :func:`magbell.sweep.run` pick the N-site task of the function it is
given (:data:`NSITE_TASKS_BY_FUNCTION`, keyed by the function object as :data:`~magbell.sweep._tasks.TASKS_BY_FUNCTION`):
``magbell.evolve``, ``magbell.steady_state``, ``magbell.spectrum``, ``magbell.postselect``.

Grid axes (no other parameters, and no ``fixed=``):

``N`` [1] (chain, ring), ``spacing`` [m], ``temperature`` [K], ``field`` [T], ``damping`` [1]
    one value per chunk (the task's loop fields), so every point has its own status; with N an axis the ``site``
    dimension has length max N and NaN beyond each point's N (the N coordinate holds floats: ``sel(N=4)``)
``t``  the times (evolve, postselect), taken whole

Output dimensions: the grid's, then ``t``, then ``site`` (site i = index i − 1; probability that site i is ↓) and
``site_j`` (the pair-concurrence matrix); ``mode`` for the collective rates of ``spectrum`` (slowest first). A point
whose computation is refused (e.g. a steady state above the solvers' N) gets status ``failed`` with the one-line
reason in the Dataset's ``magbell_failures`` attribute, and the others compute.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError, InvalidStateError
from ._nsite_sites import (  # Sites and the hooks, re-exported
    MAX_N,
    NSITE_PARAMS,
    SITES_SCHEMA,
    Sites,
    _count,
    _LOOP,
    check_names,
    is_sites,
    prepare_block,
    sites_from_config,
)
from ._tasks import Function, Output

__all__ = ["Sites", "NSiteEvolve", "NSiteSteadyState", "NSiteSpectrum", "NSitePostselect", "NSITE_PARAMS",
           "NSITE_TASKS", "NSITE_TASKS_BY_FUNCTION", "nsite_task_from", "is_sites", "check_names", "prepare_block",
           "MAX_N", "SITES_SCHEMA", "sites_from_config"]

# ----------------------------------------------------------------------------- tasks
@dataclass(frozen=True, eq=False)
class _NSiteTask(Function):
    """Shared by the N-site tasks: the Sites, the N axis and the per-chunk medium parameters. (A
    :class:`~magbell.sweep.Function` for the sweep engine: its trailing dimensions ``site``, ``site_j``, ``mode``
    have lengths but no coordinate labels: index i is site i + 1.)"""

    sites: object = None
    N: int | None = None
    site_max: int | None = None
    spacing: float | None = None
    temperature: float | None = None
    field: float | None = None
    damping: float | None = None
    measures: tuple = ("site_populations",)

    loop_fields = _LOOP

    def __post_init__(self):
        if not isinstance(self.sites, Sites):
            raise InvalidParameterError(f"sites must be a magbell.sweep.Sites, got {type(self.sites).__name__}")
        object.__setattr__(self, "func", None)
        if self.N is not None:  # this chunk's N (a grid axis); refused per point by compute when invalid
            object.__setattr__(self, "N", float(self.N))
        ms = (self.measures,) if isinstance(self.measures, str) else tuple(self.measures)
        if not ms:
            raise InvalidParameterError("measures is empty")
        from ..measures._multipartite import multipartite_measure

        for m in ms:
            multipartite_measure(m)
        if len(set(ms)) != len(ms):
            raise InvalidParameterError(f"measures has repeats: {list(ms)}")
        object.__setattr__(self, "measures", ms)
        object.__setattr__(self, "outputs_spec", {})

    # the grid (checked once, by the sweep's Spec)
    def bind_grid(self, grid, medium=None) -> tuple:
        """(task, medium) for the sweep's Spec: refuse what the engine would not apply (zipped N-site axes, N or
        spacing of explicit positions) and ``medium=`` beside ``sites=``; the Sites become the sweep's medium and
        the ``site`` dimension gets the largest N of the grid."""
        if medium is not None:
            raise InvalidParameterError("give the medium inside sites=Sites(setup, ...), not also as medium=")
        if self.sites.n_sites is None and "N" not in grid.params:
            raise InvalidParameterError("give N in Sites(...) or sweep 'N' as a grid axis")
        for ax in grid.axes:
            if len(ax.params) > 1 and any(p in NSITE_PARAMS for p in ax.params):
                raise InvalidParameterError(
                    f"axis {ax.name!r}: N-site parameters {ax.params} cannot be zipped in one axis; give each its own axis")
            if self.sites.arrangement == "positions" and ax.params[0] in ("N", "spacing"):
                raise InvalidParameterError(f"{ax.params[0]!r} cannot be swept with arrangement='positions'")
            if self.sites.arrangement == "grid" and ax.params[0] == "N":
                raise InvalidParameterError("'N' cannot be swept with arrangement='grid' (give shape=)")
        ax = grid.axis_of("N")
        if ax is None:
            n_max = self.sites.n_sites
        else:
            vals = np.asarray(ax.values["N"], dtype=float)
            bad = vals[(vals != np.round(vals)) | (vals < 1) | (vals > MAX_N)]
            if bad.size:
                raise InvalidParameterError(f"grid axis 'N' must hold integers in 1..{MAX_N}, got {bad[0]!r}")
            n_max = int(vals.max())
        return dataclasses.replace(self, site_max=n_max), self.sites

    @property
    def n_max(self) -> int:
        return self.site_max if self.site_max is not None else (self.sites.n_sites or 1)

    def _ns(self) -> tuple:
        return (_count(self.N) if self.N is not None else self.sites.n_sites,)

    def _lead(self) -> tuple:
        return ()

    def native_dims(self) -> tuple:
        return self._lead()

    def native_coords(self) -> dict:
        return {}

    def extra_coords(self) -> dict:
        n = self.n_max
        return {"site": n, "site_j": n, "mode": n}

    def _measure_outputs(self, before: tuple) -> list:
        from ..results import MEASURE_UNITS

        out = []
        for m in self.measures:
            extra = ("site",) if m == "site_populations" else ("site", "site_j") if m == "pair_concurrence" else ()
            units, text = MEASURE_UNITS.get(m, ("1", m.replace("_", " ")))
            out.append(Output(m, before + extra, "float64", {"units": units or "1", "long_name": text}))
        return out

    def _couplings(self, n):
        if n > self.n_max:
            raise InvalidParameterError(f"N = {n} is larger than the site dimension ({self.n_max})")
        return self.sites.couplings(N=n if self.N is not None else None, spacing=self.spacing,
                                    temperature=self.temperature, field=self.field, damping=self.damping)

    def compute(self, model) -> tuple:
        ns = self._ns()
        outs = {o.name: o for o in self.outputs()}
        lead = len(self._lead())
        nmax = self.n_max
        sizes = {"site": nmax, "site_j": nmax, "mode": nmax, "t": getattr(self, "times", np.zeros(0)).size}
        arrays = {}
        for name, o in outs.items():
            shp = (len(ns),) * lead + tuple(sizes[d] for d in o.dims[lead:])
            arrays[name] = np.full(shp, o.fill, dtype=o.dtype)
        for k, n in enumerate(ns):
            vals = self._one(self._couplings(n), n)
            for name, v in vals.items():
                v = np.asarray(v)
                arrays[name][(k,) * lead + tuple(slice(0, s) for s in v.shape)] = v  # NaN-padded beyond N
        return {k: v.reshape(model.shape + v.shape) for k, v in arrays.items()}, None

    def _initial(self, n):
        init = self.initial
        if init is None:
            return "d" + "u" * (n - 1)
        if not isinstance(init, (str, dict)):
            raise InvalidStateError("initial of an N-site sweep is a u/d string, a dict of them, 'W', 'dicke:k' or "
                                    "'singlet:i,j'")
        return init

    def _measures_of(self, r, n) -> dict:
        return {m: np.asarray(r.measures[m]) for m in self.measures}

    def bytes_per_point(self) -> int:
        t = getattr(self, "times", None)
        nt = 1 if t is None else t.size
        n = self.n_max
        return 4096 + 16 * len(self._ns()) * nt * (n * n + 4 * n + 8)

    def describe(self) -> dict:
        out = {"function": self.name, "sites": self.sites.describe(), "N": self.N, "site_max": self.site_max,
               "measures": list(self.measures)}
        for f in ("spacing", "temperature", "field", "damping", "initial", "scheme"):
            if hasattr(self, f):
                out[f] = getattr(self, f)
        t = getattr(self, "times", None)
        if t is not None:
            out["times"] = {"n": int(t.size), "first": float(t[0]), "last": float(t[-1])}
        return out


class _Times:
    def _init_times(self):
        if self.times is not None:
            from ..solvers._evolve import validate_times

            t = validate_times(self.times)
            t.setflags(write=False)
            object.__setattr__(self, "times", t)


@dataclass(frozen=True, eq=False)
class NSiteEvolve(_Times, _NSiteTask):
    """``magbell.evolve`` of the N-site System at every point: the measures on the time grid ``times`` [s]."""

    times: object = None
    initial: object = None
    name: str = "nsite_evolve"
    native_axes = {"t": "times"}

    def __post_init__(self):
        super().__post_init__()
        self._init_times()

    def native_dims(self) -> tuple:
        return self._lead() + ("t",)

    def native_coords(self) -> dict:
        return {"t": self.times}

    def outputs(self) -> list:
        return self._measure_outputs(self.native_dims())

    def _one(self, pc, n) -> dict:
        from ..solvers._evolve import evolve

        r = evolve(pc.system(), self._initial(n), self.times, measures=list(self.measures))
        return self._measures_of(r, n)


@dataclass(frozen=True, eq=False)
class NSiteSteadyState(_NSiteTask):
    """``magbell.steady_state`` of the N-site System from ``initial`` (default: site 1 excited)."""

    initial: object = None
    name: str = "nsite_steady_state"
    native_axes = {}

    def outputs(self) -> list:
        d = self._lead()
        from ._tasks import _other

        return self._measure_outputs(d) + [Output("unique", d, "bool", _other("unique")),
                                           Output("n_stationary", d, "int32", _other("n_stationary")),
                                           Output("converges", d, "bool", _other("converges"))]

    def _one(self, pc, n) -> dict:
        from ..solvers._steady import steady_state

        r = steady_state(pc.system(), self._initial(n), measures=list(self.measures))
        out = self._measures_of(r, n)
        out.update(unique=np.asarray(r.unique), n_stationary=np.asarray(r.n_stationary), converges=np.asarray(r.converges))
        return out


@dataclass(frozen=True, eq=False)
class NSiteSpectrum(_NSiteTask):
    """Collective one-excitation rates (−2 Im λ of H_eff, slowest first, any N) and, for N ≤ 8, the slowest
    Liouvillian rate of ``magbell.spectrum`` (NaN above)."""

    measures: tuple = ("site_populations",)
    name: str = "nsite_spectrum"
    native_axes = {}
    #: the Liouvillian spectrum is asked of magbell.spectrum up to this N
    liouvillian_max: int = 8

    def outputs(self) -> list:
        d = self._lead()
        return [Output("collective_rates", d + ("mode",), "float64",
                       {"units": "1/s", "long_name": "collective one-excitation population decay rates, slowest first"}),
                Output("slowest_rate", d, "float64", {"units": "1/s", "long_name": "slowest Liouvillian decay rate"})]

    def _one(self, pc, n) -> dict:
        lam = np.linalg.eigvals(pc.one_excitation_hamiltonian(rotating=True))
        out = {"collective_rates": np.sort(-2 * lam.imag)}
        if n <= self.liouvillian_max:
            from ..solvers._steady import spectrum

            out["slowest_rate"] = np.asarray(float(spectrum(pc.system()).slowest_rate))
        return out


@dataclass(frozen=True, eq=False)
class NSitePostselect(_Times, _NSiteTask):
    """``magbell.postselect`` of the N-site System: the conditional measures and the success probability."""

    times: object = None
    initial: object = None
    scheme: str = "no-jump"
    name: str = "nsite_postselect"
    native_axes = {"t": "times"}

    def __post_init__(self):
        super().__post_init__()
        if self.scheme not in ("no-jump", "subspace"):
            raise InvalidParameterError(f"scheme must be 'no-jump' or 'subspace', got {self.scheme!r}")
        self._init_times()

    def native_dims(self) -> tuple:
        return self._lead() + ("t",)

    def native_coords(self) -> dict:
        return {"t": self.times}

    def outputs(self) -> list:
        d = self.native_dims()
        from ._tasks import _other

        return self._measure_outputs(d) + [Output("success_probability", d, "float64", _other("success_probability")),
                                           Output("log_success_probability", d, "float64",
                                                  _other("log_success_probability"))]

    def _one(self, pc, n) -> dict:
        from ..solvers._postselect import postselect

        r = postselect(pc.system(), self._initial(n), self.times, scheme=self.scheme, measures=list(self.measures))
        out = self._measures_of(r, n)
        out.update(success_probability=np.asarray(r.success_probability),
                   log_success_probability=np.asarray(r.log_success_probability))
        return out


NSITE_TASKS = {"evolve": NSiteEvolve, "steady_state": NSiteSteadyState, "spectrum": NSiteSpectrum,
               "postselect": NSitePostselect}


def _by_function() -> dict:
    from ..solvers._evolve import evolve
    from ..solvers._postselect import postselect
    from ..solvers._steady import spectrum, steady_state

    return {evolve: NSiteEvolve, steady_state: NSiteSteadyState, spectrum: NSiteSpectrum, postselect: NSitePostselect}


#: the N-site registry keyed by function object: ``sweep.run(magbell.evolve, grid, sites=...)``
NSITE_TASKS_BY_FUNCTION = _by_function()


def nsite_task_from(func, **kwargs):
    """The N-site task of ``func`` (``magbell.evolve``, ... or its name) with its keyword options (``sites=`` and
    ``times``, ``initial``, ``measures``, ``scheme``)."""
    if isinstance(func, str):
        cls = NSITE_TASKS.get(func)
    else:
        try:
            cls = NSITE_TASKS_BY_FUNCTION.get(func)
        except TypeError:
            cls = None
    if cls is None:
        raise InvalidParameterError(
            f"with sites=, the sweep function is one of magbell.evolve, magbell.steady_state, magbell.spectrum, "
            f"magbell.postselect (or their names), got {func!r}")
    names = {f.name for f in dataclasses.fields(cls)} - {"func", "outputs_spec", "name", "site_max"} - set(_LOOP)
    bad = sorted(set(kwargs) - names)
    if bad:
        raise InvalidParameterError(f"N-site {cls.name} takes no option(s) {bad}; its options: {sorted(names)} "
                                    f"(N, {', '.join(_LOOP)}: give them in Sites(...) or as grid axes)")
    return cls(**kwargs)
