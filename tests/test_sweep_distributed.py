"""magbell.sweep on a real dask.distributed LocalCluster (2 worker processes, 1 thread each).

* The same sweep in-process and on the cluster gives the same numbers (required: 1e-14; every chunk
  runs the same code on the same points, so they are in fact identical).
* A worker process killed with SIGKILL in the middle of a sweep (its chunk half done) still gives the
  complete result: the scheduler moves the lost task to the other worker, the nanny restarts the
  killed one, and the store's manifest has every chunk exactly once.

Every test runs under an alarm (signal.alarm), so a hung cluster fails the test instead of the suite.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time

import numpy as np
import pytest

xr = pytest.importorskip("xarray")
pytest.importorskip("zarr")
distributed = pytest.importorskip("distributed")

from magbell import sweep  # noqa: E402

ATOL = 1e-14


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _alarm(seconds: int):
    def handler(signum, frame):
        raise _Timeout(f"timed out after {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def client():
    with _alarm(90):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0", silence_logs=logging.CRITICAL)
        c = distributed.Client(cluster)
        c.wait_for_workers(2, timeout=60)
    yield c
    with _alarm(60):
        c.close()
        cluster.close()


@pytest.fixture(autouse=True)
def _per_test_timeout():
    with _alarm(90):
        yield


def test_steady_state_on_the_cluster_equals_in_process(client, tmp_path):
    g = sweep.Grid(delta=np.linspace(0, 2, 30), A_over_a=np.linspace(0, 1.1, 23), ratio=[0.0, 0.2])
    kw = dict(fixed={"a": 1.0}, initial="ud", measures=["concurrence", "populations", "negativity"], chunk_points=97)
    local = sweep.run("steady_state", g, **kw)
    remote = sweep.run("steady_state", g, scheduler=client, store=str(tmp_path / "s.zarr"), **kw)
    assert sweep.store_progress(tmp_path / "s.zarr")["done"] == sweep.store_progress(tmp_path / "s.zarr")["chunks"] > 4
    workers = {r["worker"] for r in sweep.store_progress(tmp_path / "s.zarr")["records"].values()}
    assert len(workers) == 2  # both worker processes computed chunks
    for name in ("concurrence", "populations", "negativity", "n_stationary", "status", "reason"):
        np.testing.assert_allclose(remote[name].values, local[name].values, rtol=0, atol=ATOL)
    assert (local.status.values == sweep.STATUS.index("invalid_parameters")).sum() > 0


def test_evolve_on_the_cluster_without_store_equals_in_process(client):
    g = sweep.Grid(delta=np.linspace(0, 2, 11), A=np.linspace(0, 1, 9))
    kw = dict(fixed={"a": 1.0}, times=np.linspace(0, 5, 51), initial=["ud", "singlet"], chunk_points=10)
    local = sweep.run("evolve", g, **kw)
    remote = sweep.run("evolve", g, scheduler=client, **kw)
    xr.testing.assert_allclose(remote.drop_attrs(), local.drop_attrs(), rtol=0, atol=ATOL)


def test_a_store_started_in_process_is_finished_on_the_cluster(client, tmp_path):
    """Resuming does not depend on where the chunks run: the chunking is the sweep's, not the scheduler's."""
    path = str(tmp_path / "s.zarr")
    g = sweep.Grid(delta=np.linspace(0, 1, 12), A=np.linspace(0, 1, 5))
    kw = dict(fixed={"a": 1.0, "ratio": 0.2}, initial="ud", chunk_points=5)
    ref = sweep.run("steady_state", g, store=path, **kw).load()
    for cid in (2, 5, 11):  # as if the in-process run had been killed before these chunks
        os.remove(os.path.join(path, "_manifest", f"{cid}.json"))
    ds = sweep.run("steady_state", g, store=path, resume=True, scheduler=client, **kw)
    recs = sweep.store_progress(path)["records"]
    assert {c for c, r in recs.items() if r["run"] == 2} == {2, 5, 11}
    xr.testing.assert_identical(ds.load().drop_attrs(), ref.drop_attrs())


def test_scheduler_given_by_address(client):
    g = sweep.Grid(A=np.linspace(0, 1, 8))
    local = sweep.run("spectrum", g, fixed={"a": 1.0, "delta": 0.3})
    remote = sweep.run("spectrum", g, fixed={"a": 1.0, "delta": 0.3}, scheduler=client.scheduler.address,
                       chunk_points=3)
    np.testing.assert_allclose(remote.entanglement_lifetime.values, local.entanglement_lifetime.values, rtol=0, atol=ATOL)
    assert client.status == "running"  # a client the sweep made for the address is closed; this one is not


def _kill_a_worker_when(predicate, pid: int, killed: list, stop: threading.Event):
    """Background thread: once ``predicate()`` holds, SIGKILL the worker process ``pid`` (it is busy then:
    the sweep keeps two tasks per worker thread in flight until the last chunks)."""
    while not stop.is_set():
        if predicate():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.005)


@pytest.mark.parametrize("with_store", [True, False], ids=["store", "memory"])
def test_a_worker_killed_mid_sweep_still_gives_the_complete_result(client, tmp_path, with_store):
    # 20 chunks of 8 curves x 1501 times with a measure that needs rho (eigvalsh per time): ~0.1 s each
    g = sweep.Grid(delta=np.linspace(0, 2, 20), A=np.linspace(0, 1, 8))
    kw = dict(fixed={"a": 1.0}, times=np.linspace(0, 10, 1501), measures=["negativity"], chunk_points=8)
    reference = sweep.run("evolve", g, **kw)
    pid = next(iter(client.run(os.getpid).values()))
    killed: list = []
    store = str(tmp_path / "s.zarr") if with_store else None
    if with_store:  # two chunks are in the store: the sweep is under way
        def ready():
            d = os.path.join(store, "_manifest")
            return os.path.isdir(d) and sum(n.endswith(".json") for n in os.listdir(d)) >= 2
    else:  # the first chunk's task has been running for 50 ms: about half of it is done
        first = []

        def ready():
            if not first:
                if any(client.processing().values()):
                    first.append(time.time())
                return False
            return time.time() - first[0] > 0.05
    stop = threading.Event()
    t = threading.Thread(target=_kill_a_worker_when, args=(ready, pid, killed, stop), daemon=True)
    t.start()
    try:
        ds = sweep.run("evolve", g, scheduler=client, store=store, **kw)
    finally:
        stop.set()
        t.join(timeout=10)
    assert killed, "the worker was not killed during the sweep (it finished too fast?)"
    assert ds.attrs["magbell_complete"] == 1
    assert (ds.status.values == sweep.STATUS.index("ok")).all()
    np.testing.assert_allclose(ds.negativity.values, reference.negativity.values, rtol=0, atol=ATOL)
    if with_store:
        prog = sweep.store_progress(store)
        assert sorted(prog["records"]) == list(range(prog["chunks"]))  # every chunk once, none lost
        assert prog["runs"][0]["chunks_computed"] == prog["chunks"]
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker
    assert killed[0] not in client.run(os.getpid).values()


def test_local_cluster_started_on_request():
    g = sweep.Grid(A=np.linspace(0, 1, 6))
    local = sweep.run("steady_state", g, fixed={"a": 1.0}, initial="ud")
    remote = sweep.run("steady_state", g, fixed={"a": 1.0}, initial="ud", scheduler="local:2", chunk_points=2)
    np.testing.assert_allclose(remote.concurrence.values, local.concurrence.values, rtol=0, atol=ATOL)
    import json

    assert json.loads(remote.attrs["magbell_runs"])[0]["scheduler"].startswith("dask ")


def test_bad_scheduler_is_rejected():
    with pytest.raises(sweep._run.InvalidParameterError, match="local:N"):
        sweep.run("spectrum", sweep.Grid(A=[0.5]), fixed={"a": 1.0}, scheduler="local:zero")
    with pytest.raises(sweep._run.InvalidParameterError, match="scheduler must be"):
        sweep.run("spectrum", sweep.Grid(A=[0.5]), fixed={"a": 1.0}, scheduler=3)
