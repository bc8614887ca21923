"""One writer per sweep store: an exclusive ``fcntl.flock`` on the file ``_manifest/.lock`` in the store
(inside the manifest, where zarr and xarray never look for arrays).

The sweep that writes a store (creates it, resumes it, repairs it, overwrites it) holds the lock from
before it reads the manifest until it has written its run record; a second sweep on the same store is
refused at once with one line that names the holder (pid, host, start time, as the holder wrote them
into the lock file). ``flock`` locks belong to the open file and the kernel drops them when the
process dies, so a store left by a SIGKILLed sweep is never blocked by a stale lock: the pid in the
file is then only informative. ``magbell sweep --verify`` takes the lock shared (readers only wait
for no one: a store being written is refused, not read half-written).

On Linux ``flock`` works on local filesystems and on NFS (where the kernel maps it to an NFS byte-range
lock); it is not available on object stores, which sweep stores do not support anyway.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time

from ..errors import MagbellError

__all__ = ["StoreLock", "StoreLockedError", "LOCK_FILE"]

LOCK_FILE = os.path.join("_manifest", ".lock")


class StoreLockedError(MagbellError):
    """Another sweep holds the store's lock (it is being written right now)."""


def _fcntl():
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    return fcntl


def _holder(path: str) -> str:
    """The holder's description from the lock file (it may still be writing it: retry briefly)."""
    for _ in range(20):
        try:
            with open(path) as f:
                info = json.load(f)
            return (f"pid {info['pid']} on {info.get('host', '?')}, started {info.get('started', '?')}"
                    + (f", {info['what']}" if info.get("what") else ""))
        except (OSError, ValueError, KeyError, TypeError):
            time.sleep(0.02)
    return "pid unknown"


class StoreLock:
    """The lock of the store directory ``store``. ``acquire()`` returns self or raises
    :class:`StoreLockedError`; ``release()`` (or leaving a ``with`` block) drops it."""

    def __init__(self, store: str, what: str = ""):
        self.store = os.fspath(store)
        self.path = os.path.join(self.store, LOCK_FILE)
        self.what = what
        self.fd = None

    def acquire(self, shared: bool = False) -> "StoreLock":
        fcntl = _fcntl()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if shared and e.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                return self  # a read-only store: nobody can be writing it through this path
            raise MagbellError(f"cannot open the lock file of the sweep store {self.store!r}: {e.strerror}") from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except OSError as e:
                os.close(fd)
                if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise StoreLockedError(
                        f"the sweep store {self.store!r} is being written by another sweep ({_holder(self.path)}); "
                        "wait for it to finish or stop it (a killed sweep does not hold the lock)"
                    ) from None
                raise MagbellError(f"cannot lock the sweep store {self.store!r}: {e.strerror}") from None
        self.fd = fd
        if not shared:
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%S"), "what": self.what}
            data = json.dumps(info).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        return self

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)  # closing the only descriptor drops the flock

    @property
    def held(self) -> bool:
        return self.fd is not None

    def __enter__(self):
        return self if self.held else self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False
