"""Sweeps at scale: magbell.sweep in-process and on a 2-worker dask LocalCluster against QuTiP (loop and
parallel_map) and dynamiqs (batched) on the same grids; then how magbell's time and memory grow with the
grid (10^3 ... 10^6 points), each size in a fresh process with a zarr store (peak RSS printed), and the
largest sizes again on the cluster, compared with the in-process numbers.

    .venv/bin/python benchmarks/bench_sweep.py              # everything, about 4-6 min on 2 cores
    .venv/bin/python benchmarks/bench_sweep.py --quick      # smaller subsets and sizes, about 1-2 min
    .venv/bin/python benchmarks/bench_sweep.py --only scaling

Grids (a = 1, |ud> initial, concurrence):
  E  evolve: delta_i = 2i/99 (100) x |A|_j = j/99 (100), T = 0, 200 times on [0, 5]: 10,000 curves
  S  steady_state: delta = 2i/24 (25) x |A| = j/19 (20) x q = k/20 (20) with a~ = q a, A~ = q |A|:
     10,000 points, 20 of them degenerate (|A| = a, delta = 0)
QuTiP runs on seeded random subsets and its time is extrapolated (labelled). QuTiP runs before JAX is
imported (parallel_map forks). Times are single runs (the sweeps are long enough), first calls apart.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

ROWS: list = []


def log(msg):
    print(f".. {msg}", flush=True)


def peak_rss_mb() -> float:
    """VmHWM of this process (ru_maxrss would be inherited from the parent across fork/exec on Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def fmt_t(t):
    if t is None:
        return "-"
    return f"{t * 1e3:.0f} ms" if t < 1 else f"{t:.2f} s" if t < 100 else f"{t:.0f} s"


def row(grid, impl, t, err=None, note=""):
    ROWS.append({"grid": grid, "impl": impl, "time_s": t, "err": err, "note": note})
    e = "-" if err is None else f"{err:.1e}"
    print(f"   {grid} | {impl:<44} | {fmt_t(t):>9} | max|dC| vs magbell {e:>7} | {note}", flush=True)


# ----------------------------------------------------------------------------- grids
E_DELTA = 2 * np.arange(100) / 99
E_A = np.arange(100) / 99
E_TIMES = np.linspace(0, 5, 200)
S_DELTA = 2 * np.arange(25) / 24
S_A = np.arange(20) / 19
S_Q = np.arange(20) / 20


def e_grid():
    from magbell import sweep

    return sweep.Grid(delta=E_DELTA, A=E_A)


def s_grid():
    from magbell import sweep

    return sweep.Grid(delta=S_DELTA, A=S_A, ratio=S_Q)


def e_points():
    d, A = np.meshgrid(E_DELTA, E_A, indexing="ij")
    return {"delta": d.ravel(), "a": np.ones(d.size), "A": A.ravel(), "a_tilde": np.zeros(d.size), "A_tilde": np.zeros(d.size)}


def s_points():
    d, A, q = np.meshgrid(S_DELTA, S_A, S_Q, indexing="ij")
    return {"delta": d.ravel(), "a": np.ones(d.size), "A": A.ravel(), "a_tilde": q.ravel(), "A_tilde": (q * A).ravel()}


def point(pts, i):
    return {k: float(v[i]) for k, v in pts.items()}


# ----------------------------------------------------------------------------- same grids
def magbell_in_process():
    from magbell import sweep

    t0 = time.perf_counter()
    sweep.run("evolve", sweep.Grid(delta=[0.1], A=[0.5]), fixed={"a": 1.0}, times=E_TIMES, measures=["concurrence"])
    sweep.run("steady_state", sweep.Grid(A=[0.5]), fixed={"a": 1.0}, initial="ud")
    log(f"first calls (imports, caches): {fmt_t(time.perf_counter() - t0)}")
    out = {}
    t0 = time.perf_counter()
    out["E"] = sweep.run("evolve", e_grid(), fixed={"a": 1.0}, times=E_TIMES, measures=["concurrence"])
    row("E", "magbell sweep, in-process", time.perf_counter() - t0)
    t0 = time.perf_counter()
    out["S"] = sweep.run("steady_state", s_grid(), fixed={"a": 1.0}, initial="ud", measures=["concurrence"])
    row("S", "magbell sweep, in-process", time.perf_counter() - t0)
    return {k: v.concurrence.values.reshape(-1) for k, v in out.items()}


def magbell_cluster(ref):
    import logging

    import distributed

    from magbell import sweep

    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR)
    client = distributed.Client(cluster)
    client.wait_for_workers(2)
    log(f"LocalCluster(2 workers) start: {fmt_t(time.perf_counter() - t0)}")
    sweep.run("evolve", sweep.Grid(delta=[0.1, 0.2]), fixed={"a": 1.0, "A": 0.5}, times=E_TIMES, scheduler=client,
              chunk_points=1)  # warm the workers (imports)
    for name, run in (
        ("E", lambda: sweep.run("evolve", e_grid(), fixed={"a": 1.0}, times=E_TIMES, measures=["concurrence"],
                                scheduler=client)),
        ("S", lambda: sweep.run("steady_state", s_grid(), fixed={"a": 1.0}, initial="ud", measures=["concurrence"],
                                scheduler=client)),
    ):
        t0 = time.perf_counter()
        ds = run()
        t = time.perf_counter() - t0
        chunks = json.loads(ds.attrs["magbell_layout"])
        row(name, "magbell sweep, LocalCluster 2 workers", t, float(np.nanmax(np.abs(ds.concurrence.values.reshape(-1) - ref[name]))),
            f"chunks {chunks['chunks']}; warm workers")
    client.close()
    cluster.close()


def qutip_peers(ref, quick):
    try:
        import _qutip_peer as Q
    except Exception as e:  # pragma: no cover
        row("E", "qutip", None, note=f"skipped: {e}")
        return
    if not Q.AVAILABLE:
        row("E", "qutip", None, note=f"skipped: {Q.REASON}")
        return
    rng = np.random.default_rng(7)
    ncpu = os.cpu_count() or 1
    pts = e_points()
    n = 12 if quick else 40
    idx = rng.choice(pts["delta"].size, n, replace=False)
    t0 = time.perf_counter()
    C = [Q.curve(point(pts, i), E_TIMES, Q.TIGHT)[0] for i in idx]
    t = time.perf_counter() - t0
    row("E", f"qutip mesolve loop (tight tol), {n} pts", t / n * pts["delta"].size,
        float(np.max(np.abs(np.array(C) - ref["E"].reshape(-1, 200)[idx]))), f"EXTRAPOLATED from {n} of 10,000")
    n2 = 2 * n
    idx2 = rng.choice(pts["delta"].size, n2, replace=False)
    t0 = time.perf_counter()
    C = Q.qutip.parallel_map(Q.curve_task, [point(pts, i) for i in idx2],
                             task_kwargs={"times": E_TIMES, "options": Q.TIGHT}, map_kw={"num_cpus": ncpu})
    t = time.perf_counter() - t0
    row("E", f"qutip parallel_map ({ncpu} procs), {n2} pts", t / n2 * pts["delta"].size,
        float(np.max(np.abs(np.array(C) - ref["E"].reshape(-1, 200)[idx2]))), "EXTRAPOLATED, wall incl. pool start")

    pts = s_points()
    for method, n in (("direct", 20 if quick else 60), ("svd", 100 if quick else 300)):
        idx = rng.choice(pts["delta"].size, n, replace=False)
        t0 = time.perf_counter()
        C = [Q.steady(point(pts, i), method)[0] for i in idx]
        t = time.perf_counter() - t0
        err = float(np.nanmax(np.abs(np.array(C) - ref["S"][idx])))
        row("S", f"qutip steadystate '{method}' loop, {n} pts", t / n * pts["delta"].size, err, f"EXTRAPOLATED from {n}")
    n = 100 if quick else 300
    idx = rng.choice(pts["delta"].size, n, replace=False)
    t0 = time.perf_counter()
    C = Q.qutip.parallel_map(_steady_svd, [point(pts, i) for i in idx], map_kw={"num_cpus": ncpu})
    t = time.perf_counter() - t0
    row("S", f"qutip steadystate 'svd' parallel_map ({ncpu} procs)", t / n * pts["delta"].size,
        float(np.nanmax(np.abs(np.array(C) - ref["S"][idx]))), f"EXTRAPOLATED from {n}")


def _steady_svd(p):
    import _qutip_peer as Q

    return Q.steady(p, "svd")[0]


def dynamiqs_peer(ref):
    try:
        import _dynamiqs_peer as D
    except Exception as e:  # pragma: no cover
        row("E", "dynamiqs", None, note=f"skipped: {e}")
        return
    if not D.AVAILABLE:
        row("E", "dynamiqs", None, note=f"skipped: {D.REASON}")
        return
    pts = e_points()
    H, Ls = D.operators(pts)
    for name in ("Expm",):
        t0 = time.perf_counter()
        D.concurrence_curves(H, Ls, E_TIMES, name)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        C = D.concurrence_curves(H, Ls, E_TIMES, name)
        t = time.perf_counter() - t0
        row("E", f"dynamiqs {name}, batched 10,000", t, float(np.max(np.abs(C.reshape(-1) - ref["E"]))),
            f"first call {fmt_t(first)} (compile + run)")
    row("S", "dynamiqs", None, note="no steady-state solver (dynamiqs 0.3.7)")


# ----------------------------------------------------------------------------- scaling (child processes)
def child(kind: str, n_points: int, store: str, scheduler: str | None):
    """One sweep in this fresh process; prints one JSON line."""
    from magbell import sweep

    if kind == "steady":
        k = round(n_points ** (1 / 3))
        grid = sweep.Grid(delta=np.linspace(0, 2, k), A_over_a=np.linspace(0, 1, k), ratio=np.linspace(0, 0.5, k))
        args = dict(fixed={"a": 1.0}, initial="ud")
        func = "steady_state"
    else:
        k = round(n_points ** 0.5)
        grid = sweep.Grid(delta=np.linspace(0, 2, k), A=np.linspace(0, 1, k))
        args = dict(fixed={"a": 1.0}, times=np.linspace(0, 5, 100), initial="ud")
        func = "evolve"
    client = None
    if scheduler == "local:2":
        import logging

        import distributed

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                           silence_logs=logging.ERROR)
        client = distributed.Client(cluster)
        client.wait_for_workers(2)
    # warm-up (imports of xarray, zarr, dask; magbell's caches; on the workers too), timed apart
    t0 = time.perf_counter()
    warm = os.path.join(os.path.dirname(store), f"warm-{os.getpid()}.zarr")
    sweep.run(func, sweep.Grid(delta=[0.0, 0.5]), store=warm, overwrite=True, scheduler=client, chunk_points=1,
              **{**args, "fixed": {**args["fixed"], "A": 0.5}})
    shutil.rmtree(warm, ignore_errors=True)
    warmup = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds = sweep.run(func, grid, store=store, overwrite=True, scheduler=client, **args)
    t = time.perf_counter() - t0
    lay = json.loads(ds.attrs["magbell_layout"])
    out = {"kind": kind, "points": grid.size, "seconds": t, "warmup_s": warmup, "peak_rss_mb": peak_rss_mb(),
           "chunks": int(np.prod([-(-n // c) for n, c in zip(lay["shape"], lay["chunks"])])),
           "chunk": lay["chunks"], "complete": int(ds.attrs["magbell_complete"])}
    if client is not None:
        out["worker_peak_rss_mb"] = sorted(client.run(peak_rss_mb).values())
        client.close()
    print("RESULT " + json.dumps(out), flush=True)


def run_child(kind, n, store, scheduler=None):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", kind, str(n), store]
    if scheduler:
        cmd.append(scheduler)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    for line in r.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"child failed: {r.stderr[-3000:]}")


def compare_stores(a: str, b: str) -> float:
    """max |difference| over every float variable of two sweep stores, block by block (bounded memory)."""
    from magbell import sweep

    x, y = sweep.open_store(a), sweep.open_store(b)
    worst = 0.0
    for name, var in x.data_vars.items():
        n0 = var.shape[0]
        step = max(1, n0 // 16)
        for s in range(0, n0, step):
            u = np.asarray(var[s:s + step].values, dtype=float)
            v = np.asarray(y[name][s:s + step].values, dtype=float)
            if not np.array_equal(np.isnan(u), np.isnan(v)):
                return float("inf")
            d = np.abs(u - v)
            worst = max(worst, float(np.nanmax(d)) if d.size else 0.0)
    return worst


def scaling(quick):
    tmp = tempfile.mkdtemp(prefix="magbell-bench-sweep-")
    try:
        print("\nScaling (fresh process per size, zarr store, default chunks):")
        print(f"   {'work':<34} {'points':>10} {'time':>9} {'us/point':>9} {'chunks':>7} {'peak RSS':>10}"
              "   (time excludes the process's first, warm-up sweep: imports, caches)")
        sizes = {"steady": [10**3, 10**4, 10**5] + ([] if quick else [10**6]),
                 "evolve": [10**3, 10**4] + ([] if quick else [10**5])}
        last = {}
        for kind, ns in sizes.items():
            for n in ns:
                store = os.path.join(tmp, f"{kind}-{n}.zarr")
                r = run_child(kind, n, store)
                label = "steady_state" if kind == "steady" else "evolve, 100 times (curves)"
                print(f"   {label:<34} {r['points']:>10,} {fmt_t(r['seconds']):>9} {1e6 * r['seconds'] / r['points']:>9.2f}"
                      f" {r['chunks']:>7} {r['peak_rss_mb']:>8.0f} MB", flush=True)
                ROWS.append({"scaling": kind, **r})
                last[kind] = (n, store)
        print("\nLargest sizes again on a 2-worker LocalCluster (same chunks), compared with in-process:")
        for kind, (n, store) in last.items():
            store2 = store.replace(".zarr", "-dask.zarr")
            r = run_child(kind, n, store2, "local:2")
            diff = compare_stores(store, store2)
            print(f"   {kind:<8} {r['points']:>10,} points: {fmt_t(r['seconds'])} on the cluster, "
                  f"driver peak RSS {r['peak_rss_mb']:.0f} MB, worker peak RSS {', '.join(f'{w:.0f}' for w in r['worker_peak_rss_mb'])} MB; "
                  f"max |in-process - dask| = {diff:.1e}", flush=True)
            ROWS.append({"scaling_dask": kind, "max_diff": diff, **r})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="peers,scaling", help="comma list of: peers, scaling")
    ap.add_argument("--json", default=None, metavar="FILE", help="also write every row as JSON")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, n, store = args.child[0], int(args.child[1]), args.child[2]
        child(kind, n, store, args.child[3] if len(args.child) > 3 else None)
        return 0
    import platform

    import magbell

    print(f"magbell {magbell.__version__}, Python {platform.python_version()}, NumPy {np.__version__}, "
          f"{os.cpu_count()} cores, BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS')}")
    only = set(args.only.split(","))
    if "peers" in only:
        print("\nSame grids (E: 10,000 curves x 200 times; S: 10,000 steady states):")
        ref = magbell_in_process()
        qutip_peers(ref, args.quick)  # before JAX (parallel_map forks)
        magbell_cluster(ref)
        dynamiqs_peer(ref)
        print("\nRatios t(peer) / t(magbell in-process):")
        base = {r["grid"]: r["time_s"] for r in ROWS if r.get("impl") == "magbell sweep, in-process"}
        for r in ROWS:
            if "grid" in r and r["time_s"] is not None and r["impl"] != "magbell sweep, in-process":
                print(f"   {r['grid']} | {r['impl']:<44} | {r['time_s'] / base[r['grid']]:8.1f}x")
    if "scaling" in only:
        scaling(args.quick)
    print(f"\nprocess peak RSS {peak_rss_mb():.0f} MB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(ROWS, f, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
