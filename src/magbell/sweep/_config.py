"""The TOML configuration of ``magbell sweep``: its schema, and :func:`load_config`, which reads and
checks a file and turns it into the arguments of :func:`magbell.sweep.run`. Every error is one
:class:`ConfigError` naming the file and the key; ranges and the grid are sized against ``max_points``
before anything of that size is made. The command itself is :mod:`magbell.cli_sweep`.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError, MagbellError

__all__ = ["SCHEMA", "ConfigError", "SweepConfig", "load_config"]

#: the TOML schema: table -> {key: description}; "*" stands for any parameter name
SCHEMA = {
    "sweep": {
        "function": "evolve | steady_state | spectrum | postselect (required)",
        "store": "checkpoint store directory (zarr); needed for --resume",
        "output": "also write the result to this file: *.nc (netCDF) or *.zarr",
        "chunk_points": "grid points per chunk (integer >= 1; default: about 64 MB of work per chunk)",
        "unit": "name of the rate/energy unit, for the units attributes",
        "scheduler": "'local', 'local:N', a dask scheduler address or a scheduler file (*.json)",
        "max_points": "largest grid accepted (integer; default 100,000,000); --max-points overrides it",
    },
    "run": {
        "times": "evolve: a list of times, or {start, stop, num}",
        "initial": "state name or list of names (uu ud du dd singlet triplet0 phi+ phi- psi+ psi-)",
        "measures": "list of measures (concurrence, entanglement_of_formation, negativity, ...)",
        "tol": "steady_state, spectrum: kernel tolerance",
        "rho": "steady_state: also store the density matrix (true/false)",
        "scheme": "postselect: 'no-jump' or 'subspace'",
    },
    "medium": {
        "geometry": "film: NV centres above a real film, dipolar stray field (magbell.medium.FilmSetup); "
                    "bulk3d | film2d | chain1d: the paper's contact coupling (magbell.medium.PhysicalSetup)",
        "material": "YIG (default)",
        "qubit": "NV (default) | spin-1/2",
        "field": "bias field, e.g. \"40mT\" (sets the qubit frequency and the magnon gap)",
        "qubit_frequency": "qubit frequency, e.g. \"2.87GHz\" (with gap, instead of field)",
        "gap": "magnon gap, e.g. \"1.1GHz\"",
        "gap_offset_field": "field added to the bias field for the gap, e.g. \"10mT\"",
        "thickness": "film2d: film thickness, e.g. \"20nm\"",
        "cross_section": "chain1d: wire cross-section, e.g. \"2500nm^2\"",
        "eta": "coupling efficiency (number)",
        "damping": "Gilbert damping (number; default: the material's)",
        "height": "film: height of the NV centres above the film, e.g. \"109nm\"",
        "field_angle": "film: polar angle of B from the film normal, e.g. \"54.7356deg\" (default 90deg)",
        "field_azimuth": "film: azimuth of B (default: the NV axis's)",
        "nv_axis": "film: 111 | -1-11 | 1-1-1 | -11-1 (default 111)",
        "transition": "film: minus (0<->-1, default) | plus (0<->+1)",
        "separation": "film: default separation, e.g. \"300nm\" (if not swept)",
        "direction": "film: in-plane direction of the separation (default 0deg)",
        "temperature": "film: default temperature, e.g. \"4K\" (if not swept)",
        "chemical_potential": "film: magnon chemical potential mu/2pi, e.g. \"1GHz\" (default 0)",
        "Ms": "film: saturation magnetisation, e.g. \"140kA/m\" (default: the material's Ms(T))",
        "exchange": "film: exchange stiffness, e.g. \"3.7pJ/m\"",
        "allow_below_band": "film: keep points where the NV lies below the band (true/false; default false)",
    },
    "fixed": {"*": "a number ({re, im} for the complex A, A_tilde, D_deph)"},
    "grid": {"*": "a list of numbers, or {start, stop, num} (linspace), or {start, stop, num, log = true} "
                  "(logspace between start and stop); run options t, initial, tol may be axes too"},
    "points": {"*": "a list of numbers; all lists of equal length (one axis 'point')"},
}
from ._nsite_sites import SITES_SCHEMA  # noqa: E402  N qubits in the [medium] (sweep/_nsite.py, issue 11)

SCHEMA["sites"] = SITES_SCHEMA
_RANGE_KEYS = {"start", "stop", "num", "log"}
#: parameters whose values may be written with units ("200nm", "4K"): name -> magbell.medium.units kind
_UNIT_KINDS = {"separation": "length", "temperature": "temperature", "height": "length", "field": "field",
               "chemical_potential": "frequency", "field_angle": "angle", "field_azimuth": "angle",
               "direction": "angle", "spacing": "length"}
#: [medium] keys of the contact-coupling PhysicalSetup (the rest of SCHEMA["medium"] is geometry = "film")
_CONTACT_KEYS = ("geometry", "material", "qubit", "field", "qubit_frequency", "gap", "gap_offset_field",
                 "thickness", "cross_section", "eta", "damping")
_FILM_KINDS = {"thickness": "length", "field": "field", "height": "length", "separation": "length",
               "temperature": "temperature", "chemical_potential": "frequency", "Ms": "magnetization",
               "exchange": "exchange", "damping": "dimensionless", "field_angle": "angle",
               "field_azimuth": "angle", "direction": "angle"}
_MEDIUM_KINDS = {"field": "field", "qubit_frequency": "frequency", "gap": "frequency", "gap_offset_field": "field",
                 "thickness": "length", "cross_section": "area", "eta": "dimensionless", "damping": "dimensionless"}


def _si(where: str, value, kind: str):
    """A number, or a string with a unit converted to SI by magbell.medium.units."""
    if isinstance(value, str):
        from ..medium.film_setup import parse_angle
        from ..medium.units import parse_quantity

        try:
            return parse_angle(value, where) if kind == "angle" else parse_quantity(value, kind, where)
        except MagbellError as e:
            raise ConfigError(" ".join(str(e).split())) from None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a number or a quantity with a unit, got {value!r}")
    return float(value)


def _medium(table: dict):
    from ..medium import presets

    bad = sorted(set(table) - set(SCHEMA["medium"]))
    if bad:
        raise ConfigError(f"unknown key {bad[0]!r} in [medium]; known: {', '.join(SCHEMA['medium'])}")
    if table.get("geometry") == "film":
        return _film_medium(table)
    bad = sorted(set(table) - set(_CONTACT_KEYS))
    if bad:
        raise ConfigError(f"[medium] {bad[0]} needs geometry = \"film\" (contact-coupling keys: {', '.join(_CONTACT_KEYS)})")
    kw = {}
    for k, v in table.items():
        if k == "geometry":
            kw[k] = v
        elif k == "material":
            if v != "YIG":
                raise ConfigError(f"[medium] material must be \"YIG\", got {v!r} (other materials: from Python)")
            kw[k] = presets.YIG
        elif k == "qubit":
            qubits = {"NV": presets.NV, "spin-1/2": presets.SPIN_HALF}
            if v not in qubits:
                raise ConfigError(f"[medium] qubit must be one of {', '.join(qubits)}, got {v!r}")
            kw[k] = qubits[v]
        else:
            kw[k] = _si(f"[medium] {k}", v, _MEDIUM_KINDS[k])
    try:
        return presets.PhysicalSetup(**kw)
    except MagbellError as e:
        raise ConfigError(f"[medium] {' '.join(str(e).split())}") from None


def _film_medium(table: dict):
    from ..medium.film_setup import FilmSetup

    kw = {}
    for k, v in table.items():
        if k == "geometry":
            continue
        if k in ("qubit", "qubit_frequency", "gap", "gap_offset_field", "cross_section", "eta"):
            raise ConfigError(f"[medium] {k} is a key of the contact-coupling geometries, not of geometry = \"film\"")
        if k in ("material", "nv_axis", "transition"):
            if not isinstance(v, str):
                raise ConfigError(f"[medium] {k} must be a string, got {v!r}")
            kw[k] = v
        elif k == "allow_below_band":
            if not isinstance(v, bool):
                raise ConfigError(f"[medium] allow_below_band must be true or false, got {v!r}")
            kw[k] = v
        else:
            kw[k] = _si(f"[medium] {k}", v, _FILM_KINDS[k])
    try:
        return FilmSetup(**kw)
    except MagbellError as e:
        raise ConfigError(f"[medium] {' '.join(str(e).split())}") from None
    except TypeError as e:  # a required key missing
        missing = [k for k in ("thickness", "field", "height") if k not in kw]
        raise ConfigError(f"[medium] geometry = \"film\" needs {', '.join(missing) or 'valid keys'} ({e})") from None


class ConfigError(InvalidParameterError):
    """A sweep configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class SweepConfig:
    path: str
    function: str
    options: dict
    grid: object
    fixed: dict
    medium: object
    store: str | None
    output: str | None
    chunk_points: int | None
    unit: str | None
    scheduler: str | None
    max_points: int = 10**8


def _max_points(where: str, v) -> int:
    """An integer >= 1 (a float such as 1e9 is accepted when it is a whole number)."""
    if isinstance(v, float) and math.isfinite(v) and v == int(v):
        v = int(v)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ConfigError(f"{where} must be an integer >= 1, got {v!r}")
    return v


def _too_many(where: str, num: int, limit: int) -> "ConfigError":
    return ConfigError(f"{where} = {num:,} is more than max_points = {limit:,} (raise it with [sweep] max_points "
                       "or --max-points N)")


def _range(where: str, spec: dict, kind: str | None = None, limit: int | None = None) -> np.ndarray:
    unknown = sorted(set(spec) - _RANGE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; a range has start, stop, num and optionally log")
    missing = [k for k in ("start", "stop", "num") if k not in spec]
    if missing:
        raise ConfigError(f"{where}: a range needs start, stop and num (missing {', '.join(missing)})")
    spec = dict(spec)
    for k in ("start", "stop"):
        if kind is not None and isinstance(spec[k], str):
            spec[k] = _si(f"{where}.{k}", spec[k], kind)
        if not isinstance(spec[k], (int, float)) or isinstance(spec[k], bool) or not math.isfinite(spec[k]):
            raise ConfigError(f"{where}.{k} must be a finite number, got {spec[k]!r}")
    num = spec["num"]
    if not isinstance(num, int) or isinstance(num, bool) or num < 1:
        raise ConfigError(f"{where}.num must be an integer >= 1, got {num!r}")
    if limit is not None and num > limit:
        raise _too_many(f"{where}.num", num, limit)  # before anything of that size is made
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}.log must be true or false, got {log!r}")
    if log:
        if spec["start"] <= 0 or spec["stop"] <= 0:
            raise ConfigError(f"{where}: a log range needs start > 0 and stop > 0")
        return np.geomspace(spec["start"], spec["stop"], num)
    return np.linspace(spec["start"], spec["stop"], num)


def _numbers(where: str, value, allow_strings: bool = False, kind: str | None = None, limit: int | None = None):
    if isinstance(value, dict):
        return _range(where, value, kind, limit)
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where} must be a non-empty list or a {{start, stop, num}} range, got {value!r}")
    if allow_strings and all(isinstance(v, str) for v in value):
        return list(value)
    out = []
    for k, v in enumerate(value):
        if kind is not None and isinstance(v, str):
            v = _si(f"{where}[{k}]", v, kind)
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            raise ConfigError(f"{where}[{k}] must be a number, got {v!r}")
        out.append(v)
    return np.asarray(out, dtype=float)


def _table(cfg: dict, name: str, required: bool = False) -> dict:
    if name not in cfg:
        if required:
            raise ConfigError(f"missing table [{name}]")
        return {}
    t = cfg[name]
    if not isinstance(t, dict):
        raise ConfigError(f"{name} must be a table [{name}], got {t!r}")
    return t


def load_config(path, max_points: int | None = None) -> SweepConfig:
    """Read and validate a sweep configuration (TOML). Raises :class:`ConfigError` naming the bad key.
    ``max_points`` (the ``--max-points`` option) overrides ``[sweep] max_points``; ranges and the grid
    are sized before anything of that size is made."""
    from ._grid import Axis, Grid
    from ._params import PARAMS
    from ._run import MAX_POINTS

    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            cfg = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a TOML configuration file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the configuration: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: arrays or tables nested too deeply") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text ({e.reason} at byte {e.start})") from None

    def fail(msg):
        return ConfigError(f"{path}: {msg}")

    try:
        unknown = sorted(set(cfg) - set(SCHEMA))
        if unknown:
            raise ConfigError(f"unknown table(s) {unknown}; known: {', '.join('[' + k + ']' for k in SCHEMA)}")
        sw = _table(cfg, "sweep", required=True)
        for table in ("sweep", "run"):
            t = _table(cfg, table)
            bad = sorted(set(t) - set(SCHEMA[table]))
            if bad:
                raise ConfigError(f"unknown key {bad[0]!r} in [{table}]; known: {', '.join(SCHEMA[table])}")
        if "function" not in sw:
            raise ConfigError("[sweep] needs function = \"evolve\" | \"steady_state\" | \"spectrum\" | \"postselect\"")
        function = sw["function"]
        if function not in ("evolve", "steady_state", "spectrum", "postselect"):
            raise ConfigError(f"[sweep] function must be evolve, steady_state, spectrum or postselect, got {function!r}")

        def opt_str(key):
            v = sw.get(key)
            if v is not None and (not isinstance(v, str) or not v):
                raise ConfigError(f"[sweep] {key} must be a non-empty string, got {v!r}")
            return v

        store, output, unit, scheduler = (opt_str(k) for k in ("store", "output", "unit", "scheduler"))
        if output is not None and not output.endswith((".nc", ".zarr")):
            raise ConfigError(f"[sweep] output must end in .nc (netCDF) or .zarr, got {output!r}")
        if max_points is not None:
            limit = _max_points("--max-points", max_points)
        elif "max_points" in sw:
            limit = _max_points("[sweep] max_points", sw["max_points"])
        else:
            limit = MAX_POINTS
        chunk_points = sw.get("chunk_points")
        if chunk_points is not None and (not isinstance(chunk_points, int) or isinstance(chunk_points, bool)
                                         or chunk_points < 1):
            raise ConfigError(f"[sweep] chunk_points must be an integer >= 1, got {chunk_points!r}")

        run = dict(_table(cfg, "run"))
        options = {}
        if "times" in run:
            options["times"] = _numbers("[run] times", run.pop("times"), limit=limit)
        if "initial" in run:
            v = run.pop("initial")
            if isinstance(v, str) or (isinstance(v, list) and v and all(isinstance(s, str) for s in v)):
                options["initial"] = v
            else:
                raise ConfigError(f"[run] initial must be a state name or a list of names, got {v!r}")
        if "measures" in run:
            v = run.pop("measures")
            if not (isinstance(v, list) and all(isinstance(s, str) for s in v)):
                raise ConfigError(f"[run] measures must be a list of names, got {v!r}")
            options["measures"] = tuple(v)
        if "tol" in run:
            v = run.pop("tol")
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise ConfigError(f"[run] tol must be a number, got {v!r}")
            options["tol"] = float(v)
        if "rho" in run:
            v = run.pop("rho")
            if not isinstance(v, bool):
                raise ConfigError(f"[run] rho must be true or false, got {v!r}")
            options["rho"] = v
        if "scheme" in run:
            v = run.pop("scheme")
            if not isinstance(v, str):
                raise ConfigError(f"[run] scheme must be a string, got {v!r}")
            options["scheme"] = v
        allowed = {"evolve": {"times", "initial", "measures"}, "steady_state": {"initial", "measures", "tol", "rho"},
                   "spectrum": {"tol"}, "postselect": {"times", "initial", "measures", "scheme"}}.get(function)
        if allowed is not None:
            extra = sorted(set(options) - allowed)
            if extra:
                raise ConfigError(f"[run] {extra[0]} is not an option of {function} (its options: {', '.join(sorted(allowed))})")

        run_axes = {"t", "initial", "tol"}
        known = set(PARAMS) | run_axes

        def check_param(table, name):
            if name not in known:
                raise ConfigError(
                    f"unknown parameter {name!r} in [{table}]; model parameters and derived ones: "
                    f"{', '.join(PARAMS)}; run options as axes: t, initial, tol; with [medium]: separation, temperature; "
                    "with [medium] geometry = \"film\" also direction, height, field, field_angle, field_azimuth, "
                    "chemical_potential"
                )

        medium = _medium(_table(cfg, "medium")) if "medium" in cfg else None
        if "sites" in cfg:  # N qubits placed in the medium: the sweep's sites= (sweep/_nsite.py)
            from ._nsite_sites import NSITE_PARAMS, sites_from_config

            options["sites"] = sites_from_config(_table(cfg, "sites"), medium)
            medium, known = None, set(NSITE_PARAMS) | {"t"}  # the N-site grid axes only (check_param's list)
        if medium is not None:
            from ._film import medium_param_names

            known |= set(medium_param_names(medium))

        fixed = {}
        for k, v in _table(cfg, "fixed").items():
            check_param("fixed", k)
            if k in run_axes:
                raise ConfigError(f"[fixed] {k}: set run options in [run], not in [fixed]")
            if isinstance(v, dict):
                if set(v) != {"re", "im"} or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values()):
                    raise ConfigError(f"[fixed] {k} must be a number or {{re = x, im = y}}, got {v!r}")
                v = complex(v["re"], v["im"])
            elif k in _UNIT_KINDS and isinstance(v, str):
                v = _si(f"[fixed] {k}", v, _UNIT_KINDS[k])
            elif not isinstance(v, (int, float)) or isinstance(v, bool):
                raise ConfigError(f"[fixed] {k} must be a number, got {v!r}")
            fixed[k] = v

        axes = []
        points = _table(cfg, "points")
        if points:
            vals = {}
            for k, v in points.items():
                check_param("points", k)
                if k in run_axes:
                    raise ConfigError(f"[points] {k}: run options cannot vary point by point; make {k} a [grid] axis")
                vals[k] = _numbers(f"[points] {k}", v, kind=_UNIT_KINDS.get(k), limit=limit)
            lens = {k: len(v) for k, v in vals.items()}
            if len(set(lens.values())) > 1:
                raise ConfigError(f"[points] lists must have equal lengths, got {lens}")
            axes.append(Axis("point", **vals))
        for k, v in _table(cfg, "grid").items():
            check_param("grid", k)
            vals = _numbers(f"[grid] {k}", v, allow_strings=(k == "initial"), kind=_UNIT_KINDS.get(k), limit=limit)
            axes.append(Axis(k, **{k: vals}))
        if not axes:
            raise ConfigError("nothing to sweep: give a [grid] or a [points] table")
        grid = Grid(*axes)
        if grid.size > limit:
            dims = " x ".join(f"{d}[{n:,}]" for d, n in zip(grid.dims, grid.shape))
            raise ConfigError(f"the grid has {grid.size:,} points ({dims}), more than max_points = {limit:,} "
                              "(raise it with [sweep] max_points or --max-points N)")
    except ConfigError as e:
        raise fail(str(e)) from None
    except MagbellError as e:
        raise fail(" ".join(str(e).split())) from None
    return SweepConfig(path, function, options, grid, fixed, medium, store, output, chunk_points, unit, scheduler, limit)
