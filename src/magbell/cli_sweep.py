"""``magbell sweep CONFIG.toml``: parameter sweeps from a TOML file (schema in docs/sweeps.md).

Registered in :data:`magbell.cli.SUBCOMMAND_MODULES`; also runs on its own as
``python -m magbell.cli_sweep CONFIG.toml [...]``; ``magbell sweep --verify STORE`` checks a store.
Exit status: 0 done, 1 the store is not complete (chunks that could not be computed: run again with
--resume; with --verify: chunks damaged or missing), 2 bad configuration or input, including a store
another sweep is writing (one line on stderr naming the bad key), 130 interrupted (finished chunks
are kept in the store).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import tomllib
from dataclasses import dataclass

import numpy as np

from .errors import InvalidParameterError, MagbellError

__all__ = ["register", "load_config", "SweepConfig", "cmd_sweep", "main", "SCHEMA"]

PROG = "magbell"

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
        "geometry": "bulk3d | film2d | chain1d (magbell.medium.PhysicalSetup)",
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
    },
    "fixed": {"*": "a number ({re, im} for the complex A, A_tilde, D_deph)"},
    "grid": {"*": "a list of numbers, or {start, stop, num} (linspace), or {start, stop, num, log = true} "
                  "(logspace between start and stop); run options t, initial, tol may be axes too"},
    "points": {"*": "a list of numbers; all lists of equal length (one axis 'point')"},
}
_RANGE_KEYS = {"start", "stop", "num", "log"}
#: parameters whose values may be written with units ("200nm", "4K"): name -> magbell.medium.units kind
_UNIT_KINDS = {"separation": "length", "temperature": "temperature"}
_MEDIUM_KINDS = {"field": "field", "qubit_frequency": "frequency", "gap": "frequency", "gap_offset_field": "field",
                 "thickness": "length", "cross_section": "area", "eta": "dimensionless", "damping": "dimensionless"}


def _si(where: str, value, kind: str):
    """A number, or a string with a unit converted to SI by magbell.medium.units."""
    if isinstance(value, str):
        from .medium.units import parse_quantity

        try:
            return parse_quantity(value, kind, where)
        except MagbellError as e:
            raise ConfigError(" ".join(str(e).split())) from None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a number or a quantity with a unit, got {value!r}")
    return float(value)


def _medium(table: dict):
    from .medium import presets

    bad = sorted(set(table) - set(SCHEMA["medium"]))
    if bad:
        raise ConfigError(f"unknown key {bad[0]!r} in [medium]; known: {', '.join(SCHEMA['medium'])}")
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
    from .sweep import MAX_POINTS, Axis, Grid
    from .sweep._params import PARAMS

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
                    f"{', '.join(PARAMS)}; run options as axes: t, initial, tol; with [medium]: separation"
                )

        medium = _medium(_table(cfg, "medium")) if "medium" in cfg else None
        if medium is not None:
            known |= {"separation"}

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


# ----------------------------------------------------------------------------- command
def _fmt_n(n) -> str:
    return f"{int(n):,}"


def _measure_line(ds, name, block_bytes: int = 64 * 2**20) -> str | None:
    """min/max/mean of the finite values of ``ds[name]``, read block by block along its first dimension
    (a store's result may be far larger than memory)."""
    if name not in ds:
        return None
    var = ds[name]
    if not var.dims:
        return None
    dim0 = var.dims[0]
    row = max(1, var.dtype.itemsize * math.prod(var.shape[1:]))
    step = max(1, block_bytes // row)
    n, total, lo, hi = 0, 0.0, math.inf, -math.inf
    for i in range(0, var.shape[0], step):
        v = np.asarray(var.isel({dim0: slice(i, i + step)}).values, dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            n += v.size
            total += float(v.sum())
            lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
    if not n:
        return f"{name}: no finite values"
    return f"{name}: min {lo:.6g}, max {hi:.6g}, mean {total / n:.6g} (finite values)"


def _cli_max_points(v):
    if v is None:
        return None
    try:
        f = float(v)
        n = int(f) if math.isfinite(f) and f == int(f) else None
    except (TypeError, ValueError, OverflowError):
        n = None
    if n is None or n < 1:
        raise InvalidParameterError(f"--max-points must be an integer >= 1, got {v!r}")
    return n


def _os_error(e: OSError) -> str:
    where = e.filename if e.filename is not None else ""
    return f"{where}: {e.strerror}" if where and e.strerror else f"{type(e).__name__}: {e}"


def cmd_sweep(args) -> int:
    """``magbell sweep``: run a configuration, or ``--verify STORE``. File-system errors (a store or an
    output in a place that cannot be written) become one-line errors like any bad input."""
    try:
        if getattr(args, "verify", None) is not None:
            if args.config is not None:
                raise InvalidParameterError("give either CONFIG.toml (to run or resume a sweep) or --verify STORE, not both")
            return _cmd_verify(args)
        if args.config is None:
            raise InvalidParameterError("the following arguments are required: CONFIG.toml (or --verify STORE)")
        return _cmd_run(args)
    except BrokenPipeError:
        raise
    except OSError as e:
        raise InvalidParameterError(_os_error(e)) from None


def _cmd_verify(args) -> int:
    from . import sweep

    store = args.verify
    res = sweep.verify(store)
    if args.json:
        sys.stdout.write(json.dumps({"store": store, **res.to_json(), "complete": res.complete,
                                     "intact": res.intact}) + "\n")
    else:
        print(f"# magbell sweep --verify {store} ({res.chunks} chunks; checksum: {res.to_json()['checksum']})")
        for line in res.lines():
            print(line)
    if not res.intact:
        c = res.counts()
        sys.stderr.write(f"{PROG}: error: store {store} is damaged: {c['damaged_data']} chunks with damaged data, "
                         f"{c['damaged_records']} damaged manifest records, {c['damaged_coordinates']} damaged "
                         "coordinate arrays; run the sweep with --resume to repair it\n")
        return 1
    if not res.complete:
        sys.stderr.write(f"{PROG}: error: store {store} is incomplete: {len(res.missing)} of {res.chunks} chunks are "
                         "missing; run the sweep with --resume to compute them\n")
        return 1
    return 0


def _cmd_run(args) -> int:
    from . import sweep
    from .sweep._run import StoreDamageWarning, SweepIncompleteWarning

    cfg = load_config(args.config, max_points=_cli_max_points(getattr(args, "max_points", None)))
    store = args.store if args.store is not None else cfg.store
    output = args.output if args.output is not None else cfg.output
    if output is not None and not output.endswith((".nc", ".zarr")):
        raise InvalidParameterError(f"--output must end in .nc (netCDF) or .zarr, got {output!r}")
    scheduler = args.scheduler if args.scheduler is not None else cfg.scheduler
    if args.resume and store is None:
        raise InvalidParameterError("--resume needs a store: set [sweep] store = \"...\" or pass --store PATH")
    progress = not args.no_progress
    t0 = time.perf_counter()
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SweepIncompleteWarning)
        warnings.simplefilter("always", StoreDamageWarning)
        try:
            ds = sweep.run(cfg.function, cfg.grid, fixed=cfg.fixed, store=store, resume=args.resume,
                           overwrite=args.overwrite, scheduler=scheduler, chunk_points=cfg.chunk_points,
                           progress=progress, unit=cfg.unit, medium=cfg.medium, max_points=cfg.max_points,
                           **cfg.options)
        except KeyboardInterrupt:
            msg = "magbell: interrupted"
            if store is not None and sweep._store.Store.is_store(store):
                p = sweep.store_progress(store)
                msg += f"; {p['done']} of {p['chunks']} chunks are saved in {store}: continue with --resume"
            else:
                msg += " (without a store nothing is kept)"
            sys.stderr.write(msg + "\n")
            return 130
    incomplete = [w for w in caught if issubclass(w.category, SweepIncompleteWarning)]
    for w in caught:  # store damage is reported in the summary (one line per category)
        if not issubclass(w.category, (SweepIncompleteWarning, StoreDamageWarning)):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    seconds = time.perf_counter() - t0
    if output is not None:
        if output.endswith(".nc"):
            ds.to_netcdf(output)
        else:
            ds.to_zarr(output, mode="w", consolidated=False, zarr_format=2)
    summ = sweep.summary(ds)
    runs = json.loads(ds.attrs.get("magbell_runs", "[]"))
    last = runs[-1] if runs else {}
    layout = json.loads(ds.attrs["magbell_layout"])
    n_chunks = math.prod(-(-n // c) for n, c in zip(layout["shape"], layout["chunks"]))
    out = {
        "function": cfg.function,
        "config": cfg.path,
        "dims": dict(ds.sizes),
        "points": summ["points"],
        "status": summ["status"],
        "reasons": summ["reasons"],
        "chunks": n_chunks,
        "chunks_computed": last.get("chunks_computed"),
        "run": last.get("run"),
        "scheduler": last.get("scheduler"),
        "seconds": round(seconds, 3),
        "store": store,
        "output": output,
        "complete": bool(ds.attrs.get("magbell_complete", 0)),
    }
    found = json.loads(ds.attrs["magbell_store_check"]) if "magbell_store_check" in ds.attrs else None
    if found is not None:
        out["store_check"] = {k: found[k] for k in ("chunks", "verified", "missing", "damaged_data", "damaged_records",
                                                     "damaged_coordinates")}
    if args.json:
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        dims = " x ".join(f"{d}[{ds.sizes[d]}]" for d in ds["status"].dims)
        print(f"# magbell sweep: {cfg.function} over {dims} from {cfg.path}")
        reused = n_chunks - (last.get("chunks_computed") or 0)
        print(f"chunks     : {n_chunks} ({last.get('chunks_computed')} computed now"
              + (f", {reused} from the store" if store else "") + ")")
        print(f"scheduler  : {last.get('scheduler')}")
        if found is not None:
            for line in found["lines"]:
                print(f"store check: {line}")
        rate = summ["points"] / seconds if seconds > 0 else float("inf")
        print(f"time       : {seconds:.3f} s ({rate:,.0f} grid points/s incl. start-up)")
        print("status     : " + ", ".join(f"{k} {_fmt_n(v)}" for k, v in summ["status"].items() if k != "not_computed" or v))
        for reason, n in summ["reasons"].items():
            print(f"  {_fmt_n(n):>10}  {reason}")
        for name in ("concurrence", "entanglement_lifetime"):
            line = _measure_line(ds, name)
            if line:
                print(line)
        if store:
            print(f"store      : {store}")
        if output:
            print(f"output     : {output}")
    if incomplete:
        sys.stderr.write(f"{PROG}: error: {' '.join(str(incomplete[0].message).split())}\n")
        return 1
    return 0


_EPILOG = """\
examples:
  magbell sweep examples/sweep.toml
  magbell sweep phase.toml --scheduler local:2
  magbell sweep phase.toml --resume                 # after Ctrl-C or a killed run (checks the store too)
  magbell sweep --verify phase.zarr                 # checksums of every chunk; exit 1 if damaged/missing
  magbell sweep phase.toml --scheduler tcp://10.0.0.5:8786 --json

CONFIG.toml (full schema in docs/sweeps.md):
  [sweep]   function = "steady_state"  store = "phase.zarr"  output = "phase.nc"
  [run]     initial = "ud"   measures = ["concurrence", "populations"]   (evolve, postselect: times)
  [fixed]   a = 1.0
  [grid]    delta = {start = 0.0, stop = 2.0, num = 101}   A_over_a = [0.0, 0.5, 1.0]
  [points]  a = [...]  A = [...]   (lists of equal length: one axis 'point')

Paths are relative to the working directory. Invalid points are marked (status, reason) and do not
stop the sweep. One sweep at a time writes a store (a second one is refused, naming the first's pid).
Exit status: 0 done, 1 the store is not complete (chunks lost; --verify: damaged or missing), 2 bad
configuration or input, 130 interrupted.
"""


def _add_arguments(p) -> None:
    p.add_argument("config", metavar="CONFIG.toml", nargs="?", default=None,
                   help="sweep configuration (TOML); not with --verify")
    p.add_argument("--scheduler", default=None, metavar="S",
                   help="where to compute: 'local' or 'local:N' (a dask LocalCluster of N workers), a dask "
                        "scheduler address (tcp://host:8786) or scheduler file (*.json); default: this process")
    p.add_argument("--resume", action="store_true",
                   help="continue the sweep in the store: finished chunks are checked against their checksums "
                        "and kept; missing or damaged ones are computed (one line per category says how many)")
    p.add_argument("--overwrite", action="store_true", help="delete an existing store and start again")
    p.add_argument("--store", default=None, metavar="PATH", help="checkpoint store (overrides [sweep] store)")
    p.add_argument("--output", default=None, metavar="FILE", help="write the result to FILE.nc or FILE.zarr")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.add_argument("--verify", default=None, metavar="STORE",
                   help="check every chunk of the sweep store STORE against its checksums, change nothing; "
                        "exit 0 if it is complete and intact, 1 if chunks are damaged or missing")
    p.add_argument("--max-points", default=None, metavar="N",
                   help="largest grid accepted (default 100000000; overrides [sweep] max_points)")


def register(subparsers, parent=None, formatter=None) -> None:
    """Add ``magbell sweep`` (hook of :data:`magbell.cli.SUBCOMMAND_MODULES`)."""
    kw = {"formatter_class": formatter} if formatter is not None else {}
    p = subparsers.add_parser(
        "sweep", allow_abbrev=False, epilog=_EPILOG,
        help="parameter sweep from a TOML file (in-process or on a dask cluster, resumable)",
        description="Compute evolve / steady_state / spectrum / postselect over a parameter grid.\nThe result is "
                    "an xarray Dataset (netCDF/zarr) with named dimensions, units and per-point status.",
        **kw,
    )
    _add_arguments(p)
    p.set_defaults(func=cmd_sweep)


def main(argv=None) -> int:
    """``python -m magbell.cli_sweep CONFIG.toml ...`` (the same as ``magbell sweep``)."""
    p = argparse.ArgumentParser(prog=f"{PROG} sweep", epilog=_EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    _add_arguments(p)
    args = p.parse_args(argv)
    try:
        return cmd_sweep(args)
    except (MagbellError, ValueError) as e:
        sys.stderr.write(f"{PROG}: error: {' '.join(str(e).split())}\n")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
