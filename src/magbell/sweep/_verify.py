"""Checking a sweep store against its manifest: which chunks are verified, missing or damaged.

:func:`check` reads every chunk that has a manifest record back from the store and compares the
SHA-256 of its values (``_store.digest``) with the checksum recorded when the chunk was committed.
A chunk falls in exactly one category:

* ``verified``: a sound record, and every variable's values match their checksums;
* ``missing``: no record (never finished: interrupted, killed, or a lost task);
* ``damaged_data``: a sound record, but a variable's values differ from the checksum or its chunk
  cannot be decoded (a chunk file deleted, truncated or altered);
* ``damaged_record``: the record itself is unusable (not valid JSON, a chunk index that is not its
  file's, no checksums, another sweep's fingerprint).

The coordinate arrays (grid values, fixed parameters, labels) are written once, when the store is
made; their checksums are in the store's ``magbell_checksum`` attribute, and a coordinate that does
not match is listed in ``damaged_coordinates`` (a resume writes it again from the sweep's definition,
which the fingerprint ties to the store).

``magbell.sweep.run(..., resume=True)`` runs the check under the store's lock and computes the
chunks in the last three categories; ``magbell.sweep.verify(path)`` (``magbell sweep --verify``) only
reports.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from ..errors import InvalidParameterError
from ._grid import Layout
from ._store import CHECKSUM, Store, damaged_metadata, digest

__all__ = ["StoreCheck", "check", "verify", "layout_of"]

#: variables at most this large are read whole (one zarr call), larger ones chunk by chunk
_WHOLE_BYTES = 256 * 2**20


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _ids(ids, limit: int = 8) -> str:
    ids = list(ids)
    s = ", ".join(str(i) for i in ids[:limit])
    return s + (f", ... ({len(ids) - limit} more)" if len(ids) > limit else "")


@dataclass(frozen=True)
class StoreCheck:
    """What :func:`check` found in a store (chunk ids per category; ``problems``: chunk or record file
    -> what is wrong with it)."""

    path: str
    chunks: int
    verified: tuple
    missing: tuple
    damaged_data: tuple
    damaged_records: tuple  # record file names
    problems: dict = field(default_factory=dict)
    damaged_coordinates: tuple = ()  # coordinate array names

    @property
    def intact(self) -> bool:
        """No damage found (chunks may still be missing)."""
        return not self.damaged_data and not self.damaged_records and not self.damaged_coordinates

    @property
    def complete(self) -> bool:
        """Every chunk is present and verified, and so are the coordinates."""
        return len(self.verified) == self.chunks and not self.damaged_coordinates

    @property
    def to_compute(self) -> list:
        """Chunks a resumed sweep computes: every chunk that is not verified."""
        ok = set(self.verified)
        return [c for c in range(self.chunks) if c not in ok]

    def counts(self) -> dict:
        return {"chunks": self.chunks, "verified": len(self.verified), "missing": len(self.missing),
                "damaged_data": len(self.damaged_data), "damaged_records": len(self.damaged_records),
                "damaged_coordinates": len(self.damaged_coordinates)}

    def to_json(self, repairing: bool = False) -> dict:
        return {**self.counts(), "missing_chunks": list(self.missing)[:100],
                "damaged_data_chunks": list(self.damaged_data)[:100],
                "damaged_record_files": list(self.damaged_records)[:100],
                "damaged_coordinate_arrays": list(self.damaged_coordinates),
                "problems": dict(list(self.problems.items())[:100]), "checksum": CHECKSUM,
                "lines": self.lines(repairing=repairing)}

    def lines(self, repairing: bool = False) -> list:
        """One line per category (categories with nothing in them are left out, except ``verified``)."""
        out = [f"verified: {len(self.verified)} of {_plural(self.chunks, 'chunk')} (data match their checksums)"]
        if self.missing:
            out.append(f"missing: {_plural(len(self.missing), 'chunk')} without a manifest record (never finished)"
                       + (": computed now" if repairing else "") + f" [chunks {_ids(self.missing)}]")
        if self.damaged_data:
            first = self.problems.get(str(self.damaged_data[0]), "")
            out.append(f"damaged data: {_plural(len(self.damaged_data), 'chunk')} whose data do not match the "
                       "checksum or cannot be read" + (": computed again" if repairing else "")
                       + f" [chunks {_ids(self.damaged_data)}; chunk {self.damaged_data[0]}: {first}]")
        if self.damaged_records:
            first = self.problems.get(self.damaged_records[0], "")
            out.append(f"damaged records: {_plural(len(self.damaged_records), 'manifest record')} that cannot be used"
                       + (": moved to _manifest/.damaged, chunks computed again" if repairing else "")
                       + f" [{_ids(self.damaged_records)}; {self.damaged_records[0]}: {first}]")
        if self.damaged_coordinates:
            first = self.problems.get(self.damaged_coordinates[0], "")
            out.append(f"damaged coordinates: {_plural(len(self.damaged_coordinates), 'coordinate array')} that cannot "
                       "be trusted" + (": written again from the sweep's definition" if repairing else "")
                       + f" [{_ids(self.damaged_coordinates)}; {self.damaged_coordinates[0]}: {first}]")
        return out


def layout_of(st: Store) -> Layout:
    lj = json.loads(st.attrs()["magbell_layout"])
    return Layout(tuple(lj["dims"]), tuple(lj["shape"]), tuple(lj["chunks"]))


def _coordinates(st: Store, group) -> dict:
    """Coordinate array -> what is wrong with it (checked against the checksums taken at creation)."""
    info = st.attrs().get("magbell_checksum")
    sums = json.loads(info).get("coordinates", {}) if info else {}
    bad = {}
    for name, expected in sums.items():
        try:
            arr = group[name]
            values = arr[...]
        except Exception as e:  # noqa: BLE001 - missing, undecodable: not to be trusted either way
            bad[name] = f"{name} cannot be read ({type(e).__name__})"
            continue
        if digest(values, arr.dtype) != expected:
            bad[name] = f"{name} does not match its checksum"
    return bad


def _variables(st: Store, group) -> list:
    info = st.attrs().get("magbell_checksum")
    if info:
        return list(json.loads(info)["variables"])
    # a store made before checksums: data variables are the arrays that are neither dimensions nor
    # coordinates named by another variable
    arrays = dict(group.arrays())
    coords = set()
    for arr in arrays.values():
        coords |= set(arr.attrs.get("_ARRAY_DIMENSIONS", [])) | set(str(arr.attrs.get("coordinates", "")).split())
    return sorted(n for n in arrays if n not in coords)


def check(st: Store, layout: Layout, fingerprint: str) -> StoreCheck:
    """Compare every recorded chunk of ``st`` with its checksums (reads the whole store once)."""
    from .._optional import require

    zarr = require("zarr", "sweep", what="checking a sweep store")

    n = layout.n_chunks
    sound, bad_records, problems = {}, [], {}
    for name, (cid, rec, problem) in st.record_files().items():
        if not problem and not 0 <= cid < n:
            problem = f"chunk {cid} does not exist (the store has {n} chunks)"
        if not problem and rec.get("fingerprint") != fingerprint:
            problem = "it belongs to another sweep (fingerprint)"
        if problem:
            bad_records.append(name)
            problems[name] = problem
        else:
            sound[cid] = rec
    try:
        group = zarr.open_group(st.path, mode="r", zarr_format=2)
        names = _variables(st, group)
        bad_coords = _coordinates(st, group)
    except InvalidParameterError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever zarr raises on broken metadata
        raise damaged_metadata(st.path, ".zgroup", e) from None
    for cid, rec in sound.items():
        lacking = sorted(set(names) - set(rec["checksums"]))
        if lacking:
            name = f"{cid}.json"
            bad_records.append(name)
            problems[name] = f"no checksum for {', '.join(lacking)}"
    sound = {cid: rec for cid, rec in sound.items() if f"{cid}.json" not in problems}
    bad_data = {}
    chunk_dims = layout.dims
    for var in names:
        if not sound:
            break
        if not os.path.isfile(os.path.join(st.path, var, ".zarray")):
            raise damaged_metadata(st.path, f"{var}/.zarray", FileNotFoundError("the variable's metadata are missing"))
        try:
            arr = group[var]
        except Exception as e:  # noqa: BLE001 - whatever zarr raises on broken metadata
            raise damaged_metadata(st.path, f"{var}/.zarray", e) from None
        dims = list(arr.attrs.get("_ARRAY_DIMENSIONS", []))
        whole = None
        if arr.nbytes <= _WHOLE_BYTES:
            try:
                whole = arr[...]
            except Exception:  # a chunk that cannot be decoded: find which, chunk by chunk
                whole = None
        for cid, rec in sound.items():
            if cid in bad_data:
                continue
            sl = dict(zip(chunk_dims, layout.slices(cid)))
            region = tuple(sl.get(d, slice(None)) for d in dims)
            try:
                values = whole[region] if whole is not None else arr[region]
            except Exception as e:  # noqa: BLE001 - any decoding error means the chunk is damaged
                bad_data[cid] = f"{var} cannot be read ({type(e).__name__}: {' '.join(str(e).split())[:120]})"
                continue
            if digest(values, arr.dtype) != rec["checksums"][var]:
                bad_data[cid] = f"{var} does not match its checksum"
    verified = tuple(sorted(c for c in sound if c not in bad_data))
    damaged = tuple(sorted(bad_data))
    problems.update({str(c): m for c, m in bad_data.items()})
    # a chunk whose record is damaged is counted under damaged records, not also as missing
    bad_cids = {int(name[:-5]) for name in bad_records if name[:-5].isdigit()}
    missing = tuple(c for c in range(n) if c not in sound and c not in bad_cids)
    problems.update(bad_coords)
    return StoreCheck(st.path, n, verified, missing, damaged, tuple(bad_records), problems, tuple(sorted(bad_coords)))


def verify(path) -> StoreCheck:
    """Check the sweep store at ``path`` without changing it: every chunk's data against the checksums
    in its manifest record. ``result.complete`` is True when every chunk is there and intact;
    ``result.lines()`` says what was found, one line per category. A store being written by a sweep
    is refused (:class:`magbell.sweep.StoreLockedError`)."""
    from ._lock import StoreLock

    path = os.fspath(path)
    if not Store.is_store(path):
        raise InvalidParameterError(f"{path!r} is not a magbell sweep store")
    st = Store(path)
    with StoreLock(path).acquire(shared=True):
        try:
            layout = layout_of(st)
            fingerprint = st.fingerprint()
        except InvalidParameterError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise damaged_metadata(path, ".zattrs", e) from None
        return check(st, layout, fingerprint)
