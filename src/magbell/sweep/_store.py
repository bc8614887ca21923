"""The checkpoint store: a zarr (format 2) directory that xarray opens as the sweep's Dataset, plus a
manifest of finished chunks.

Atomicity, chunk by chunk: a chunk's variables are written first (every zarr chunk file is written to
a temporary name and renamed into place by zarr), then its manifest record ``_manifest/<id>.json`` is
created with one atomic ``link``. A chunk counts as done only when its record exists, so a process
killed at any moment leaves at worst a chunk whose data are partly written and that has no record: it
is computed again on resume and overwrites them. A record is never replaced, which also makes the
records the log of which run computed which chunk (the tests count recomputation with it).

The store itself is created in a temporary directory beside the target and renamed into place when its
metadata are complete, so an interrupted creation leaves no half-made store.

Protected against: killed processes and workers, Ctrl-C. Not against: power loss (nothing is fsynced)
and two sweeps started on one store at the same time (not locked).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
import uuid

from ..errors import InvalidParameterError, MagbellError

__all__ = ["Store", "write_chunk", "MANIFEST"]

MANIFEST = "_manifest"
_GROUPS: dict = {}


def _zarr():
    try:
        import zarr
    except ImportError:  # pragma: no cover - depends on the environment
        raise MagbellError("a sweep store needs zarr: pip install 'magbell[sweep]'") from None
    return zarr


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


def write_chunk(store: tuple, regions: dict, result, record: dict) -> bool:
    """Write one finished chunk to ``store`` = (path, store id): its arrays, then its manifest record.
    Returns False when the chunk already had a record (computed twice, e.g. a task retried after its
    worker was lost): the data written are the same, and the first record is kept."""
    path, store_id = store
    arrays = _arrays(path, store_id)
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
    def create(cls, path: str, dataset) -> "Store":
        """Write the empty dataset's metadata and coordinates (no data chunks) atomically at ``path``."""
        path = os.fspath(path)
        parent = os.path.dirname(os.path.abspath(path)) or "."
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=os.path.basename(path) + ".creating-", dir=parent)
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
            g.attrs.update({"magbell_runs": "[]", "magbell_store_id": uuid.uuid4().hex})
            os.rename(target, path)  # fails if path appeared meanwhile
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return cls(path)

    def attrs(self) -> dict:
        with open(os.path.join(self.path, ".zattrs")) as f:
            return json.load(f)

    def fingerprint(self) -> str:
        return self.attrs().get("magbell_fingerprint", "")

    @property
    def key(self) -> tuple:
        """(path, creation id): what chunk writers are given."""
        return (self.path, self.attrs()["magbell_store_id"])

    def remove(self) -> None:
        if not self.is_store(self.path):
            raise InvalidParameterError(f"{self.path} exists and is not a magbell sweep store; not removing it")
        for key in [k for k in _GROUPS if k[0] == self.path]:
            _GROUPS.pop(key)
        shutil.rmtree(self.path)

    # ------------------------------------------------------------------ manifest
    def records(self) -> dict:
        """Finished chunks: chunk id -> manifest record (records that cannot be read are skipped)."""
        out = {}
        mdir = os.path.join(self.path, MANIFEST)
        for name in os.listdir(mdir):
            if not name.endswith(".json") or name.startswith("."):
                continue
            try:
                with open(os.path.join(mdir, name)) as f:
                    rec = json.load(f)
                out[int(rec["chunk"])] = rec
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return out

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
        import xarray as xr

        ds = xr.open_zarr(self.path, consolidated=False, chunks=None, zarr_format=2)
        return ds
