"""``magbell.sweep.run``: the driver that ties spec, store, executor and progress together."""

from __future__ import annotations

import json
import math
import os
import time
import warnings

import numpy as np

from ..errors import InvalidParameterError
from ._dataset import _require_xarray, template
from ._engine import Kernel, Spec, make_plan
from ._executors import executor_for
from ._grid import Layout
from ._lock import StoreLock
from ._progress import Progress
from ._store import Store, StoreExistsError, damaged_metadata
from ._tasks import task_from
from ._verify import check as check_store

__all__ = ["run", "open_store", "store_progress", "SweepIncompleteWarning", "StoreDamageWarning", "MAX_POINTS"]

#: default largest grid (points) a sweep accepts; ``max_points=`` (``[sweep] max_points``,
#: ``--max-points``) raises it. 10^8 steady states are about half an hour on one core.
MAX_POINTS = 10**8


class SweepIncompleteWarning(RuntimeWarning):
    """Some chunks could not be computed (their points have status ``not_computed``)."""


class StoreDamageWarning(UserWarning):
    """A resumed store had chunks whose data or manifest records were damaged (they were computed again)."""


def check_size(grid, max_points) -> None:
    """Refuse a grid of more than ``max_points`` points before anything is built or checked."""
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 1:
        raise InvalidParameterError(f"max_points must be an integer >= 1, got {max_points!r}")
    size = grid.size if hasattr(grid, "size") and isinstance(getattr(grid, "size"), int) else None
    if size is not None and size > max_points:
        dims = " x ".join(f"{d}[{n:,}]" for d, n in zip(grid.dims, grid.shape))
        raise InvalidParameterError(
            f"the grid has {size:,} points ({dims}), more than max_points = {int(max_points):,}: "
            "pass max_points=N to allow a larger sweep"
        )


def _describe_difference(stored: dict, now: dict) -> str:
    parts = []
    for key in ("task", "axes", "fixed", "unit"):
        if stored.get(key) != now.get(key):
            parts.append(f"{key}: stored {json.dumps(stored.get(key), sort_keys=True)[:300]}, "
                         f"now {json.dumps(now.get(key), sort_keys=True)[:300]}")
    return "; ".join(parts) or "the fingerprints differ"


def _open_existing(spec: Spec, path: str, resume: bool, overwrite: bool, chunk_points):
    """(store, layout, table) of the sweep already in ``path``, or None when a new store is to be made
    there (after ``overwrite`` removed an old one). Raises when the store cannot be used."""
    if not os.path.exists(path):
        return None
    if not Store.is_store(path):
        raise InvalidParameterError(f"store {path!r} exists and is not a magbell sweep store")
    st = Store(path)
    if overwrite:
        st.remove()
        return None
    if not resume:
        raise InvalidParameterError(
            f"store {path!r} already exists: pass resume=True (--resume) to continue it, or "
            "overwrite=True (--overwrite) to start again"
        )
    attrs = st.attrs()
    if attrs.get("magbell_fingerprint") != spec.fingerprint():
        stored = json.loads(attrs.get("magbell_sweep", "{}"))
        raise InvalidParameterError(
            f"store {path!r} holds a different sweep, so it cannot be resumed with this one ("
            + _describe_difference(stored, spec.describe()) + ")"
        )
    try:
        lj = json.loads(attrs["magbell_layout"])
        layout = Layout(tuple(lj["dims"]), tuple(lj["shape"]), tuple(lj["chunks"]))
    except (KeyError, ValueError, TypeError) as e:
        raise damaged_metadata(path, ".zattrs magbell_layout", e) from None
    if chunk_points is not None and spec.layout(chunk_points) != layout:
        warnings.warn(f"resuming {path!r} with its own chunks {layout.chunks}, not chunk_points={chunk_points}",
                      stacklevel=3)
    try:
        with open(os.path.join(path, "reason", ".zattrs")) as f:
            table = tuple(json.loads(json.load(f)["meanings"]))
    except (OSError, KeyError, ValueError, TypeError) as e:
        raise damaged_metadata(path, "reason/.zattrs", e) from None
    return st, layout, table


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def check_memory(spec: Spec, kernel: Kernel) -> None:
    """Without a store the whole result is held in memory: refuse one larger than half this machine's
    memory (with a store, chunks go to disk as they finish)."""
    sizes = dict(zip(spec.grid.dims, spec.grid.shape))
    sizes.update(spec.trailing_sizes())
    outs = {o.name: o for o in spec.task.outputs()}
    need = sum(math.prod(sizes[d] for d in dims) * np.dtype(outs[name].dtype).itemsize
               for name, dims in kernel.final.items()) + 3 * math.prod(spec.grid.shape)
    have = _memory_bytes()
    if have and need > have // 2:
        raise InvalidParameterError(
            f"the result would take {need / 2**30:,.1f} GiB in memory, more than half of this machine's "
            f"{have / 2**30:,.1f} GiB: give a store (store=..., written chunk by chunk) or a smaller grid"
        )


def check_chunk_memory(spec: Spec, kernel: Kernel, layout) -> None:
    """With a store one chunk at a time is held in memory (per worker): refuse a chunk larger than half this
    machine's memory before anything is made — one evolve point with 10⁸ times is 10 GB, and the default
    chunking cannot go below one point (it was attempted: out of memory, or the OOM killer)."""
    sizes = dict(zip(spec.grid.dims, spec.grid.shape))
    sizes.update(spec.trailing_sizes())
    sizes.update(dict(zip(layout.dims, layout.chunks)))
    outs = {o.name: o for o in spec.task.outputs()}
    out_bytes = sum(math.prod(sizes[d] for d in dims) * np.dtype(outs[name].dtype).itemsize
                    for name, dims in kernel.final.items())
    points = math.prod(layout.chunks)
    need = max(2 * out_bytes, points * spec.task.bytes_per_point())
    have = _memory_bytes()
    if have and need > have // 2:
        shape = " x ".join(f"{d}[{c:,}]" for d, c in zip(layout.dims, layout.chunks))
        raise InvalidParameterError(
            f"one chunk of this sweep ({points:,} point(s): {shape or 'one point'}) would take {need / 2**30:,.1f} GiB "
            f"in memory, more than half of this machine's {have / 2**30:,.1f} GiB: use fewer times/initial states"
            + (" or a smaller chunk_points" if points > 1 else "")
        )


def _store_for(spec: Spec, path: str, resume: bool, overwrite: bool, chunk_points, before_create=None):
    """(store, layout, table, lock, existed): the sweep's store, locked for writing. An existing store is
    locked before its manifest is read; a new one is locked before it appears at ``path``.
    ``before_create()`` runs just before a new store is made (so that a bad scheduler leaves none)."""
    for attempt in (0, 1):
        if os.path.exists(path):
            if not Store.is_store(path):
                raise InvalidParameterError(f"store {path!r} exists and is not a magbell sweep store")
            lock = StoreLock(path).acquire()
            try:
                existing = _open_existing(spec, path, resume, overwrite, chunk_points)
            except BaseException:
                lock.release()
                raise
            if existing is not None:
                try:
                    check_chunk_memory(spec, Kernel.from_spec(spec, ()), existing[1])
                except BaseException:
                    lock.release()
                    raise
                return (*existing, lock, True)
            lock.release()  # overwritten: the store is gone, make it again
        layout = spec.layout(chunk_points)
        check_chunk_memory(spec, Kernel.from_spec(spec, ()), layout)
        table, _ = spec.reason_table(layout)  # every point checked before anything runs
        kernel = Kernel.from_spec(spec, table)
        if before_create is not None:
            before_create()
        try:
            st, lock = Store.create(path, template(spec, kernel, layout, table, _dask_full))
        except StoreExistsError:
            if attempt:
                raise
            continue  # another sweep made it meanwhile: use it as an existing store (locked: refused)
        return st, layout, table, lock, False
    raise AssertionError("unreachable")  # pragma: no cover


def _dask_full(shape, dtype, fill, chunks):
    from .._optional import require

    da = require("dask.array", "sweep", what="a sweep")

    return da.full(shape, fill, dtype=dtype, chunks=chunks)


def _np_full(shape, dtype, fill, chunks):
    return np.full(shape, fill, dtype=dtype)


def run(
    func,
    grid,
    *,
    fixed=None,
    store=None,
    resume: bool = False,
    overwrite: bool = False,
    scheduler=None,
    chunk_points: int | None = None,
    progress: bool = False,
    unit: str | None = None,
    medium=None,
    max_points: int = MAX_POINTS,
    **options,
):
    """Run ``func`` over every point of ``grid`` and return the results as an ``xarray.Dataset``.

    Parameters
    ----------
    func : ``"evolve"``, ``"steady_state"``, ``"spectrum"``, ``"postselect"`` (or the magbell function
        itself), with its run options as keywords (``times=``, ``initial=``, ``measures=``, ``tol=``,
        ...); or a task object (:class:`Evolve`, :class:`SteadyState`, :class:`Spectrum`,
        :class:`Function`).
    grid : :class:`Grid` — model parameters (paper's symbols or the derived ``ratio``, ``temperature``
        + ``Delta_GHz``, ``A_over_a``, ``A_phase``) and run options (``t``, ``initial``, ``tol``) as axes.
    fixed : parameters held fixed, ``{"a": 1.0, ...}`` (complex allowed for A, A_tilde, D_deph).
    store : directory of a zarr checkpoint store. Finished chunks are written there as they complete,
        and the returned Dataset reads from it. Without a store, results are kept in memory only.
    resume : continue the sweep in ``store`` (chunks already there are not computed again). A
        missing store is created.
    overwrite : delete an existing sweep store first.
    scheduler : ``None`` (in this process), ``"local"``/``"local:N"`` (a dask LocalCluster started
        for this call), a dask scheduler address or scheduler file, or a ``distributed.Client``.
    chunk_points : grid points per chunk (default: about 64 MB of work per chunk, at most 65,536).
    progress : draw a progress bar on stderr.
    unit : name of the rate/energy unit, for the ``units`` attributes (times get ``1/unit``).
    medium : a :class:`magbell.medium.PhysicalSetup`: the grid then sweeps the medium's ``separation``
        [m] and ``temperature`` [K]; the model at each point is the medium's couplings (rates in 1/s,
        times in s), plus ``delta``, ``Delta``, ``d``, ``D_deph``, ``d2``, ``Jz``, ``D_dm`` if given.
    max_points : the largest grid accepted (default :data:`MAX_POINTS` = 10^8); a larger grid is
        refused before anything is built.

    With a store, the sweep holds the store's lock while it runs (a second sweep on the same store is
    refused with :class:`StoreLockedError`, naming the holder's pid). ``resume=True`` first checks every
    finished chunk against the checksums in its manifest record (as :func:`verify` does) and computes
    again the chunks that are missing or damaged; ``ds.attrs["magbell_store_check"]`` (JSON) says what
    was found, and damage is also reported by a :class:`StoreDamageWarning`. A store that is still not
    complete at the end gives a :class:`SweepIncompleteWarning`.

    Points whose parameters are invalid (``a < |A|``, ``ratio > 1``, ...) do not stop the sweep: they
    get ``status`` 2 (``invalid_parameters``), their reason in ``reason`` (see :func:`reasons`) and
    NaN measures. Dimensions: the grid's axes in order, then ``initial`` (several initial states)
    and ``t`` (evolve) unless they are grid axes, then ``basis``/``bell``/``row``/``col`` of vector
    measures.
    """
    _require_xarray()
    task = task_from(func, **options)
    check_size(grid, max_points)
    # the TOML reader checks these; from Python, chunk_points=True or 1.5 ran (as 1) and store=5 was a TypeError
    if chunk_points is not None and (isinstance(chunk_points, (bool, np.bool_))
                                     or not isinstance(chunk_points, (int, np.integer)) or chunk_points < 1):
        raise InvalidParameterError(f"chunk_points must be an integer >= 1, got {chunk_points!r}")
    if store is not None and not isinstance(store, (str, os.PathLike)):
        raise InvalidParameterError(f"store must be a path (str or os.PathLike), got {type(store).__name__}")
    spec = Spec(task, grid, fixed, unit, medium)
    if store is None and resume:
        raise InvalidParameterError("resume=True needs a store to resume from")
    st = lock = found = None
    executor = None
    t0 = time.perf_counter()
    computed, duplicates, interrupted = 0, 0, True
    failures: list = []
    results = bar = None
    run_id = 0
    def start_executor():
        nonlocal executor
        if executor is None:
            executor = executor_for(scheduler)

    try:
        if store is not None:
            st, layout, table, lock, existed = _store_for(spec, os.fspath(store), resume, overwrite, chunk_points,
                                                          before_create=start_executor)
        else:
            check_memory(spec, Kernel.from_spec(spec, ()))  # before the grid is checked point by point
            layout = spec.layout(chunk_points)
            table, _ = spec.reason_table(layout)  # every point checked before anything runs
        kernel = Kernel.from_spec(spec, table)
        start_executor()  # after an existing store was found usable, before a new one is made
        done = {}
        todo = list(range(layout.n_chunks))
        if st is not None and existed:
            found = check_store(st, layout, spec.fingerprint())
            # damaged chunks lose their records (kept in _manifest/.damaged) and count as missing
            st.quarantine(list(found.damaged_records) + [f"{c}.json" for c in found.damaged_data])
            if found.damaged_coordinates:  # the fingerprint matched: the sweep's own values are the truth
                st.rewrite_coordinates(template(spec, kernel, layout, table, _dask_full), found.damaged_coordinates)
            records = st.records()
            done = {c: records[c] for c in found.verified}
            todo = found.to_compute
        ds_mem = template(spec, kernel, layout, table, _np_full) if st is None else None
        if st is not None:
            run_id = st.start_run(executor.name, len(todo))
        bar = Progress(layout.n_chunks, math.prod(layout.shape), len(done),
                       sum(int(r.get("points", 0)) for r in done.values()), enabled=progress)
        plans = (make_plan(spec, layout, cid) for cid in todo)
        results = executor.results(kernel, plans, st.key if st is not None else None, run_id, spec.fingerprint())
        for res in results:
            if ds_mem is not None:
                regions = kernel.regions(layout.slices(res.cid))
                for name, arr in res.arrays.items():
                    ds_mem[name].data[regions[name]] = arr
            computed += 1
            duplicates += int(res.duplicate)
            failures += res.failures
            bar.update(1, res.points)
        interrupted = False
    finally:
        try:
            if hasattr(results, "close"):
                results.close()  # a generator: cancels what is still queued on a cluster
            if bar is not None:
                bar.close()
            if executor is not None:
                executor.close()
            if st is not None and run_id:
                info = {"store_check": found.counts()} if found is not None else {}
                st.end_run(run_id, chunks_computed=computed, duplicates=duplicates,
                           seconds=round(time.perf_counter() - t0, 3), interrupted=interrupted,
                           chunk_errors=executor.errors, **info)
        finally:
            if interrupted and lock is not None:
                lock.release()
    lost = executor.errors
    if st is not None:
        try:
            records = st.records()
            missing = [cid for cid in range(layout.n_chunks) if cid not in records]
            complete = not missing  # (damaged coordinates were written again before the chunks)
            all_failures = [f for r in sorted(records.values(), key=lambda r: r["chunk"]) for f in r.get("failures", [])]
            st.set_complete(complete, all_failures[:100])
        finally:
            lock.release()
        ds = st.open()
        if found is not None:
            ds.attrs["magbell_store_check"] = json.dumps(found.to_json(repairing=True))
    else:
        complete = not lost
        missing = [e["chunk"] for e in lost]
        ds = ds_mem
        ds.attrs["magbell_runs"] = json.dumps([{"run": 0, "scheduler": executor.name, "chunks_computed": computed,
                                                "seconds": round(time.perf_counter() - t0, 3)}])
        ds.attrs["magbell_complete"] = int(complete)
        ds.attrs["magbell_failures"] = json.dumps(failures[:100])
    if found is not None and not found.intact:
        warnings.warn(f"store {st.path!r}: " + "; ".join(found.lines(repairing=True)[1:]),
                      StoreDamageWarning, stacklevel=2)
    if lost:
        warnings.warn(
            f"{len(lost)} of {layout.n_chunks} chunks could not be computed ({lost[0]['message']}); their points "
            "have status not_computed" + ("; run again with resume=True to compute them" if st is not None else ""),
            SweepIncompleteWarning, stacklevel=2,
        )
    elif not complete:
        warnings.warn(
            f"the store {st.path!r} is still not complete: {len(missing)} of {layout.n_chunks} chunks have no "
            f"sound manifest record (chunks {missing[:8]}); run again with resume=True",
            SweepIncompleteWarning, stacklevel=2,
        )
    return ds


def open_store(path):
    """The Dataset in a sweep store, finished or not (points of unfinished chunks: status 0, NaN)."""
    _require_xarray()
    path = os.fspath(path)
    if not Store.is_store(path):
        raise InvalidParameterError(f"{path!r} is not a magbell sweep store")
    return Store(path).open()


def store_progress(path) -> dict:
    """Chunks done and to do in a sweep store, and its runs (a cheap look without opening the data)."""
    path = os.fspath(path)
    if not Store.is_store(path):
        raise InvalidParameterError(f"{path!r} is not a magbell sweep store")
    st = Store(path)
    attrs = st.attrs()
    lj = json.loads(attrs["magbell_layout"])
    layout = Layout(tuple(lj["dims"]), tuple(lj["shape"]), tuple(lj["chunks"]))
    recs = st.records()
    return {"chunks": layout.n_chunks, "done": len(recs), "runs": st.runs(),
            "records": recs, "complete": bool(attrs.get("magbell_complete", 0))}
