"""The checkpoint store: a zarr (format 2) directory that xarray opens as the sweep's Dataset, plus a
manifest of finished chunks.

Atomicity, chunk by chunk: a chunk's variables are written first (every zarr chunk file is written to
a temporary name and renamed into place by zarr), then its manifest record ``_manifest/<id>.json`` is
created with one atomic ``link``. A chunk counts as done only when its record exists, so a process
killed at any moment leaves at worst a chunk whose data are partly written and that has no record: it
is computed again on resume and overwrites them. A record is never replaced (except one found damaged,
see below), which also makes the records the log of which run computed which chunk (the tests count
recomputation with it).

Integrity, chunk by chunk: the record holds a SHA-256 checksum of every variable's values in the
chunk, computed from the array in memory before it is written (see :func:`digest`: the decoded values
in the stored dtype, not the compressed bytes, so a chunk that zarr does not write because it equals
the fill value verifies too, and the checksum does not depend on the codec). ``_verify.check`` reads
every chunk back and compares; a resumed sweep recomputes what is damaged or missing.

One writer at a time: the driver of a sweep holds ``_lock.StoreLock`` (an ``flock`` on a file in the
store) while it writes; a second sweep is refused with the holder's pid.

The store itself is created in a temporary directory beside the target and renamed into place when its
metadata are complete, so an interrupted creation leaves no half-made store.

Protected against: killed processes and workers, Ctrl-C, two sweeps on one store (locked), chunk files
deleted, truncated or altered and manifest records damaged (detected by checksum and recomputed). Not
against: power loss (nothing is fsynced), damage to the zarr metadata (``.zarray``/``.zattrs``: the
store then fails to open, with an error), object storage (not supported).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
import uuid

import numpy as np

from ..errors import InvalidParameterError, MagbellError
from ._lock import StoreLock

__all__ = ["Store", "write_chunk", "digest", "MANIFEST", "CHECKSUM", "StoreExistsError"]

MANIFEST = "_manifest"
#: where damaged manifest records are moved (kept for inspection, never read as records)
DAMAGED = ".damaged"
#: the checksum recorded per chunk and variable (see :func:`digest`)
CHECKSUM = "sha256 of the decoded values"


class StoreExistsError(InvalidParameterError):
    """The store appeared at the target path while this sweep was creating it."""


def digest(values, dtype) -> str:
    """SHA-256 of ``values`` as stored: C order, dtype ``dtype``, every NaN written as the one
    canonical NaN (compression is lossless, but a chunk zarr skips as all-fill reads back as the fill
    value's NaN), prefixed by the dtype and shape so that a reshaped or retyped chunk never matches."""
    a = np.asarray(values)
    if a.dtype.kind in "OT" or np.dtype(dtype).kind in "OT":  # text labels: as fixed-width unicode
        a = np.asarray(a, dtype=str)
        dtype = a.dtype
    a = np.ascontiguousarray(a, dtype=dtype)
    if a.dtype.kind in "fc":
        nan = np.isnan(a)
        if nan.any():
            a = a.copy()
            a[nan] = np.nan
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.data)
    return h.hexdigest()
_GROUPS: dict = {}


def _zarr():
    from .._optional import require

    return require("zarr", "sweep", what="a sweep store")


def _arrays(path: str, store_id: str) -> dict:
    """The store's zarr arrays, opened once per process. Keyed by the store's creation id too, so that a
    store deleted and made again at the same path (overwrite) is never written through stale handles."""
    key = (path, store_id)
    arrays = _GROUPS.get(key)
    if arrays is None:
        g = _zarr().open_group(path, mode="r+", zarr_format=2)
        if g.attrs.get("magbell_store_id") != store_id:
            raise MagbellError(f"the sweep store {path!r} was replaced while the sweep was running")
        arrays = {name: arr for name, arr in g.arrays()}
        _GROUPS[key] = arrays
    return arrays


def damaged_metadata(path: str, what: str, e: Exception) -> InvalidParameterError:
    return InvalidParameterError(
        f"the sweep store {path!r} has damaged zarr metadata ({what}: {type(e).__name__}: {' '.join(str(e).split())[:160]}); "
        "metadata are not checksummed and cannot be repaired: make the store again (--overwrite)"
    )


def forget(path: str) -> None:
    """Drop this process's open handles of the store at ``path``."""
    for key in [k for k in _GROUPS if k[0] == path]:
        _GROUPS.pop(key)


def write_chunk(store: tuple, regions: dict, result, record: dict) -> bool:
    """Write one finished chunk to ``store`` = (path, store id): its arrays, then its manifest record.
    Returns False when the chunk already had a record (computed twice, e.g. a task retried after its
    worker was lost): the data written are the same, and the first record is kept."""
    path, store_id = store
    arrays = _arrays(path, store_id)
    # checksums of what is about to be written, taken before the write (not read back from the disk)
    record = dict(record, checksums={name: digest(arr, arrays[name].dtype) for name, arr in result.arrays.items()})
    for name, arr in result.arrays.items():
        arrays[name][regions[name]] = arr
    mdir = os.path.join(path, MANIFEST)
    final = os.path.join(mdir, f"{result.cid}.json")
    fd, tmp = tempfile.mkstemp(prefix=f".{result.cid}.", suffix=".tmp", dir=mdir)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(record, f)
        try:
            os.link(tmp, final)  # atomic, and fails if the record exists
        except FileExistsError:
            return False
        except OSError:  # filesystems without hard links: rename (atomic, may replace)
            if os.path.exists(final):
                return False
            os.replace(tmp, final)
            return True
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


class Store:
    """A sweep's checkpoint store at ``path`` (a directory)."""

    def __init__(self, path: str):
        self.path = os.fspath(path)

    # ------------------------------------------------------------------ creation / opening
    @staticmethod
    def is_store(path: str) -> bool:
        return os.path.isfile(os.path.join(path, ".zattrs")) and os.path.isdir(os.path.join(path, MANIFEST))

    @classmethod
    def create(cls, path: str, dataset, lock_what: str = "") -> tuple:
        """Write the empty dataset's metadata and coordinates (no data chunks) atomically at ``path``.
        Returns (store, its lock, held): the lock is taken before the store appears at ``path``, so no
        other sweep can write it in between. Raises :class:`StoreExistsError` when another sweep made
        a store at ``path`` first."""
        path = os.fspath(path)
        parent = os.path.dirname(os.path.abspath(path)) or "."
        try:
            os.makedirs(parent, exist_ok=True)
            tmp = tempfile.mkdtemp(prefix=os.path.basename(path) + ".creating-", dir=parent)
        except OSError as e:
            raise InvalidParameterError(f"cannot create the sweep store {path!r}: {e.strerror}") from None
        lock = None
        try:
            target = os.path.join(tmp, "store")
            encoding = {}
            for name, var in dataset.data_vars.items():
                enc = {"chunks": var.data.chunksize}
                if var.dtype.kind != "f":
                    enc["_FillValue"] = None
                encoding[name] = enc
            dataset.to_zarr(target, mode="w-", compute=False, consolidated=False, zarr_format=2, encoding=encoding)
            _zarr().open_group(target, mode="r+", zarr_format=2).create_group(MANIFEST)
            g = _zarr().open_group(target, mode="r+", zarr_format=2)
            stored = dict(g.arrays())
            coords = {name: digest(np.asarray(dataset[name].values), stored[name].dtype)
                      for name in dataset.coords if name in stored}
            g.attrs.update({"magbell_runs": "[]", "magbell_store_id": uuid.uuid4().hex,
                            "magbell_checksum": json.dumps({"algorithm": CHECKSUM,
                                                            "variables": sorted(dataset.data_vars),
                                                            "coordinates": coords})})
            lock = StoreLock(target, lock_what).acquire()  # on the file, so it moves with the directory
            lock.store, lock.path = path, os.path.join(path, os.path.relpath(lock.path, target))
            try:
                os.rename(target, path)  # fails if path appeared meanwhile
            except OSError as e:
                lock.release()
                if os.path.exists(path):
                    raise StoreExistsError(f"store {path!r} was created by another sweep at the same time") from None
                raise InvalidParameterError(f"cannot create the sweep store {path!r}: {e.strerror}") from None
        except OSError as e:
            if lock is not None:
                lock.release()
            raise InvalidParameterError(f"cannot create the sweep store {path!r}: {e.strerror}"
                                        + (f" ({e.filename})" if e.filename else "")) from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return cls(path), lock

    def attrs(self) -> dict:
        try:
            with open(os.path.join(self.path, ".zattrs")) as f:
                return json.load(f)
        except (OSError, ValueError) as e:
            raise damaged_metadata(self.path, ".zattrs", e) from None

    def fingerprint(self) -> str:
        return self.attrs().get("magbell_fingerprint", "")

    @property
    def key(self) -> tuple:
        """(path, creation id): what chunk writers are given."""
        return (self.path, self.attrs()["magbell_store_id"])

    def remove(self) -> None:
        if not self.is_store(self.path):
            raise InvalidParameterError(f"{self.path} exists and is not a magbell sweep store; not removing it")
        forget(self.path)
        shutil.rmtree(self.path)

    # ------------------------------------------------------------------ manifest
    def record_files(self) -> dict:
        """Every manifest record file: name -> (chunk id or None, record or None, what is wrong or "").
        A record is sound when it is valid JSON, names the chunk its file is named after, and carries
        a checksum per variable; the data are not read here (see ``_verify.check``)."""
        out = {}
        mdir = os.path.join(self.path, MANIFEST)
        for name in sorted(os.listdir(mdir)):
            if not name.endswith(".json") or name.startswith("."):
                continue
            stem = name[:-5]
            cid = int(stem) if stem.isdigit() and str(int(stem)) == stem else None
            try:
                with open(os.path.join(mdir, name)) as f:
                    rec = json.load(f)
            except OSError as e:
                out[name] = (cid, None, f"cannot be read ({e.strerror or type(e).__name__})")
                continue
            except ValueError as e:
                out[name] = (cid, None, f"not valid JSON ({type(e).__name__})")
                continue
            if not isinstance(rec, dict):
                problem = "not a JSON object"
            elif cid is None:
                problem = "its file name is not a chunk number"
            elif rec.get("chunk") != cid or isinstance(rec.get("chunk"), bool):
                problem = f"its chunk index {rec.get('chunk')!r} is not its file's {cid}"
            elif not isinstance(rec.get("checksums"), dict) or not rec["checksums"]:
                problem = "it has no checksums (written by an older magbell)"
            else:
                problem = ""
            out[name] = (cid, rec if isinstance(rec, dict) else None, problem)
        return out

    def records(self) -> dict:
        """Finished chunks: chunk id -> manifest record (records that are not sound are left out)."""
        return {cid: rec for cid, rec, problem in self.record_files().values() if not problem}

    def rewrite_coordinates(self, dataset, names) -> None:
        """Write the coordinate arrays ``names`` again from ``dataset`` (the sweep's own template)."""
        g = _zarr().open_group(self.path, mode="r+", zarr_format=2)
        for name in names:
            g[name][...] = np.asarray(dataset[name].values)

    def quarantine(self, names) -> None:
        """Move damaged manifest records to ``_manifest/.damaged/`` (their chunks then count as missing)."""
        mdir = os.path.join(self.path, MANIFEST)
        ddir = os.path.join(mdir, DAMAGED)
        os.makedirs(ddir, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for name in names:
            src = os.path.join(mdir, name)
            if os.path.exists(src):
                os.replace(src, os.path.join(ddir, f"{name}.{stamp}.{uuid.uuid4().hex[:6]}"))

    # ------------------------------------------------------------------ runs (driver only)
    def runs(self) -> list:
        return json.loads(self.attrs().get("magbell_runs", "[]"))

    def _set_attrs(self, **kv) -> None:
        g = _zarr().open_group(self.path, mode="r+", zarr_format=2)
        g.attrs.update(kv)

    def start_run(self, scheduler: str, todo: int) -> int:
        runs = self.runs()
        run = len(runs) + 1
        runs.append({"run": run, "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "host": socket.gethostname(),
                     "pid": os.getpid(), "scheduler": scheduler, "chunks_to_do": todo, "finished": None})
        self._set_attrs(magbell_runs=json.dumps(runs))
        return run

    def end_run(self, run: int, **info) -> None:
        runs = self.runs()
        for r in runs:
            if r["run"] == run:
                r.update(info)
                r["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
        self._set_attrs(magbell_runs=json.dumps(runs))

    def set_complete(self, complete: bool, failures: list) -> None:
        self._set_attrs(magbell_complete=int(complete), magbell_failures=json.dumps(failures))

    # ------------------------------------------------------------------ reading
    def open(self):
        from .._optional import require

        xr = require("xarray", "sweep", what="reading a sweep store")

        ds = xr.open_zarr(self.path, consolidated=False, chunks=None, zarr_format=2)
        return ds
