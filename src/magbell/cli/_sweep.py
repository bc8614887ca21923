"""``magbell sweep CONFIG.toml``: parameter sweeps from a TOML file (schema in docs/sweeps.md).

Registered in :data:`magbell.cli.SUBCOMMAND_MODULES`; also runs on its own as
``python -m magbell.cli._sweep CONFIG.toml [...]``; ``magbell sweep --verify STORE`` checks a store.
Exit status: 0 done, 1 the store is not complete (chunks that could not be computed: run again with
--resume; with --verify: chunks damaged or missing), 2 bad configuration or input, including a store
another sweep is writing (one line on stderr naming the bad key), 130 interrupted (finished chunks
are kept in the store).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import numpy as np

from ..errors import InvalidParameterError, MagbellError
from ..sweep._config import SCHEMA, ConfigError, SweepConfig, load_config  # noqa: F401 (re-exported)

__all__ = ["register", "load_config", "SweepConfig", "cmd_sweep", "main", "SCHEMA"]

PROG = "magbell"


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
    from .. import sweep

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


def _check_writable(output: str) -> None:
    """Before the sweep runs: the output is written only after it, so an unwritable place lost the whole
    computation (without a store) and answered with h5py's raw 'Unable to synchronously create file'."""
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        raise InvalidParameterError(f"--output: cannot write {output!r}: the directory {parent!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise InvalidParameterError(f"--output: cannot write {output!r}: the directory {parent!r} is not writable")
    if os.path.isdir(output) and output.endswith(".nc"):
        raise InvalidParameterError(f"--output: {output!r} is a directory")


def _cmd_run(args) -> int:
    from .. import sweep
    from ..sweep._run import StoreDamageWarning, SweepIncompleteWarning

    cfg = load_config(args.config, max_points=_cli_max_points(getattr(args, "max_points", None)))
    store = args.store if args.store is not None else cfg.store
    output = args.output if args.output is not None else cfg.output
    if output is not None and not output.endswith((".nc", ".zarr")):
        raise InvalidParameterError(f"--output must end in .nc (netCDF) or .zarr, got {output!r}")
    if output is not None:
        _check_writable(output)
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
    """``python -m magbell.cli._sweep CONFIG.toml ...`` (the same as ``magbell sweep``): routed through
    :func:`magbell.cli.main`, so rejections are the same one line (no usage block) with exit status 2."""
    from .. import cli

    return cli.main(["sweep", *(sys.argv[1:] if argv is None else list(argv))])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
