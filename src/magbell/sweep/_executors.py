"""Where chunks are computed: in this process (the default), or on a dask.distributed cluster.

Both run the same module-level job, :func:`run_chunk`, so the numbers are the same. On a cluster the
worker that computes a chunk also writes it to the store (the data never pass through the client);
without a store the chunk's arrays come back to the client.
"""

from __future__ import annotations

import logging
import os
import uuid

from ..errors import InvalidParameterError
from ._store import write_chunk

__all__ = ["run_chunk", "InProcess", "Dask", "executor_for"]


def run_chunk(kernel, plan, store, run: int, fingerprint: str):
    """Compute one chunk; with a store, write it there (data, then manifest record) and drop the arrays."""
    res = kernel.compute(plan)
    if store is not None:
        regions = kernel.regions(plan.slices)
        res.duplicate = not write_chunk(store, regions, res, res.record(run, fingerprint))
        res.arrays = None
    return res


class InProcess:
    """Chunk after chunk in this process: no server, nothing to start."""

    name = "in-process"

    def __init__(self):
        self.errors = []

    def results(self, kernel, plans, store, run, fingerprint):
        for plan in plans:
            yield run_chunk(kernel, plan, store, run, fingerprint)

    def close(self):
        pass


def _distributed():
    from .._optional import require

    return require("distributed", "sweep", what="a dask scheduler")


_SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Dask:
    """Chunks as tasks on a dask.distributed cluster.

    ``scheduler`` is ``"local"`` or ``"local:N"`` (start a LocalCluster of N single-threaded worker
    processes, default one per core, closed at the end), a scheduler address (``"tcp://host:8786"``),
    a scheduler file (``*.json``, as written by ``dask scheduler --scheduler-file``), or an existing
    ``distributed.Client`` or cluster object (left running).
    """

    def __init__(self, scheduler, timeout: float = 30.0):
        distributed = _distributed()
        self.own_cluster = None
        self.own_client = False
        self.errors = []
        if isinstance(scheduler, distributed.Client):
            self.client = scheduler
        elif isinstance(scheduler, str) and (scheduler == "local" or scheduler.startswith("local:")):
            n = os.cpu_count() or 1
            if scheduler.startswith("local:"):
                try:
                    n = int(scheduler.split(":", 1)[1])
                    if n < 1:
                        raise ValueError
                except ValueError:
                    raise InvalidParameterError(f"scheduler 'local:N' needs a worker count N >= 1, got {scheduler!r}") from None
            self.own_cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                silence_logs=logging.ERROR, env=dict(_SINGLE_THREAD_ENV),
            )
            self.client = distributed.Client(self.own_cluster, timeout=timeout)
            self.own_client = True
        elif isinstance(scheduler, str) and scheduler.endswith(".json"):
            if not os.path.isfile(scheduler):
                raise InvalidParameterError(f"scheduler file {scheduler!r} does not exist")
            self.client = distributed.Client(scheduler_file=scheduler, timeout=timeout)
            self.own_client = True
        elif isinstance(scheduler, str):
            try:
                self.client = distributed.Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as e:
                raise InvalidParameterError(f"cannot reach the dask scheduler at {scheduler!r}: {e}") from None
            self.own_client = True
        elif hasattr(scheduler, "scheduler_address"):
            self.client = distributed.Client(scheduler, timeout=timeout)
            self.own_client = True
        else:
            raise InvalidParameterError(
                "scheduler must be None (in-process), 'local', 'local:N', a scheduler address, a scheduler "
                f"file (*.json), or a distributed.Client, got {scheduler!r}"
            )
        self.name = f"dask {self.client.scheduler.address}" if self.client.scheduler else "dask"

    def results(self, kernel, plans, store, run, fingerprint):
        distributed = _distributed()
        client = self.client
        threads = sum(client.nthreads().values()) or 1
        window = max(4, 2 * threads)
        token = uuid.uuid4().hex[:8]
        plans = iter(plans)
        ac = distributed.as_completed()
        pending = {}

        def submit_next() -> bool:
            plan = next(plans, None)
            if plan is None:
                return False
            fut = client.submit(run_chunk, kernel, plan, store, run, fingerprint,
                                key=f"magbell-chunk-{token}-{plan.cid}", pure=False)
            pending[fut.key] = (fut, plan.cid)
            ac.add(fut)
            return True

        for _ in range(window):
            if not submit_next():
                break
        try:
            for fut in ac:
                _, cid = pending.pop(fut.key)
                try:
                    res = fut.result()
                except Exception as e:  # a task that failed on the cluster (e.g. KilledWorker)
                    self.errors.append({"chunk": cid, "message": f"{type(e).__name__}: {' '.join(str(e).split())}"})
                    res = None
                finally:
                    fut.release()
                submit_next()
                if res is not None:
                    yield res
        finally:
            if pending:
                client.cancel([f for f, _ in pending.values()])
                pending.clear()

    def close(self):
        if self.own_client:
            try:
                self.client.close()
            except Exception:  # pragma: no cover - best effort
                pass
        if self.own_cluster is not None:
            try:
                self.own_cluster.close()
            except Exception:  # pragma: no cover - best effort
                pass


def executor_for(scheduler):
    return InProcess() if scheduler is None else Dask(scheduler)
