#!/usr/bin/env python
"""Core benchmark: magbell vs QuTiP 5 and dynamiqs (CPU) on workloads W1-W3.

    .venv/bin/python benchmarks/bench_core.py [--quick] [--only W1,W2,W3]
                     [--impl qutip,dynamiqs,magbell] [--blas-threads N] [--json FILE]

W1  one concurrence curve (a = |A| = 1, delta = 0.3, T = 0), 1000 times on [0, 5]
W2  100 delta x 100 |A| grid (a = 1, T = 0) of 200-time concurrence curves on [0, 5]
W3  10,000 steady-state concurrences from |ud> (25 delta x 20 |A| x 20 temperature
    ratios), incl. the 20 degenerate points delta = 0, |A| = a

All peers and magbell run in the same process and are compared with an independent
reference built here (_reference.py: 16x16 Liouvillian, scipy expm / kernel
projector). Slow peers run on a seeded random subset of the grid and their time is
extrapolated linearly to the whole grid (always labelled as such). Everything of
QuTiP runs before JAX is imported, because qutip.parallel_map forks.
See benchmarks/README.md for the workloads, conventions and measured numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def _parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: small subsets, dynamiqs on the subset only")
    p.add_argument("--only", default="W1,W2,W3", help="comma list of workloads (default W1,W2,W3)")
    p.add_argument("--impl", default="qutip,dynamiqs,magbell", help="comma list of implementations to run")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="OPENBLAS/OMP/MKL_NUM_THREADS set before NumPy loads (default 1: multithreaded "
                        "BLAS on 4x4/16x16 matrices only adds contention; 0 = leave the environment alone)")
    p.add_argument("--json", metavar="FILE", help="also write all rows as JSON")
    p.add_argument("--child", choices=["magbell-W2"], help=argparse.SUPPRESS)  # isolated memory run
    args = p.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    args.impl = [s.strip().lower() for s in args.impl.split(",") if s.strip()]
    return args


ARGS = _parse_args()
if ARGS.blas_threads > 0:  # must happen before NumPy / SciPy load their BLAS
    for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_v] = str(ARGS.blas_threads)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import _reference as R  # noqa: E402
import _workloads as W  # noqa: E402
from _harness import (  # noqa: E402
    ROWS, add_row, fmt_t, log, maxabs, peak_rss_mb, report, reset_peak_rss, rss_mb, run_repeated, skip_row,
)

RHO0 = R.dm("ud")


# --- references ---------------------------------------------------------------
def reference(grid: W.Grid, quick: bool) -> dict:
    t0 = time.perf_counter()
    p = grid.params
    L = R.liouvillian(p["delta"], p["a"], p["A"], p["a_tilde"], p["A_tilde"])
    ref = {"notes": []}
    if grid.name == "W1":
        rho = R.clean_structural_zeros(R.evolve_expm(L, RHO0, grid.times), 0.0, 0.0)
        ref["rho"], ref["C"] = rho, R.concurrence_x(rho)
        pt = grid.point(0)
        d_paper = maxabs(ref["C"] - R.concurrence_paper_overdamped(grid.times, pt["a"], pt["A"], pt["delta"]))
        ref["notes"].append(f"reference vs paper Eq. (S63) closed form: max|dC| = {d_paper:.1e}")
    elif grid.name == "W2":
        at, At = p["a_tilde"], p["A_tilde"]
        ref["C_full"] = R.evolve_stepping(  # (100, 100, 200); states are not kept (512 MB)
            L, RHO0, grid.times, reduce=lambda rho: R.concurrence_x(R.clean_structural_zeros(rho, at, At)))
        pts = np.union1d(grid.subset, grid.special)
        Lf = L.reshape(-1, 16, 16)[pts]
        at_p, At_p = grid.flat("a_tilde")[pts], grid.flat("A_tilde")[pts]
        rho_pts = R.clean_structural_zeros(R.evolve_expm(Lf, RHO0, grid.times), at_p, At_p)
        ref["pts"], ref["rho_pts"], ref["C_pts"] = pts, rho_pts, R.concurrence_x(rho_pts)
        step_pts = R.clean_structural_zeros(R.evolve_stepping(Lf, RHO0, grid.times), at_p, At_p)
        ref["notes"].append(
            f"full-grid reference = expm(L dt) stepping; vs one expm per (point, time) on {len(pts)} points: "
            f"max|drho| = {maxabs(step_pts - rho_pts):.1e}, "
            f"max|dC| = {maxabs(ref['C_full'].reshape(-1, len(grid.times))[pts] - ref['C_pts']):.1e}")
    elif grid.name == "W3":
        rho, kdim = R.steady_state_projector(L, RHO0)
        rho = R.clean_structural_zeros(rho, p["a_tilde"], p["A_tilde"])
        ref["rho"], ref["C"], ref["kdim"] = rho, R.concurrence_x(rho), kdim
        ref["notes"].append(f"kernel dimension of L over the grid: { {int(k): int(c) for k, c in zip(*np.unique(kdim, return_counts=True))} } "
                            f"(>1 exactly at the {int((kdim.reshape(-1) > 1).sum())} points "
                            f"{'==' if set(np.flatnonzero(kdim.reshape(-1) > 1)) == set(grid.special) else '!='} "
                            f"the listed degenerate points)")
        if not quick:
            gap = R.spectral_gap(L)
            T = 60.0 / gap.min()
            rho_T = R.steady_state_longtime(L, RHO0, T)
            ref["notes"].append(f"cross-check: expm(L t) rho0 at t = 60/min gap = {T:.3g}: max|drho| = {maxabs(rho_T - rho):.1e}")
            rho_1e8 = R.steady_state_longtime(L, RHO0, 1e8)
            ref["notes"].append(
                f"(brute force expm(L 1e8): max|drho| = {maxabs(rho_1e8 - rho):.1e}, max|dC| = "
                f"{maxabs(R.concurrence_x(R.clean_structural_zeros(rho_1e8, p['a_tilde'], p['A_tilde'])) - ref['C']):.1e} -- "
                f"too inaccurate at 1e-10, hence the kernel projector)")
        ref["notes"].append("steady concurrence at the degenerate points (q = a~/a): " + ", ".join(
            f"q={grid.flat('a_tilde')[i]:.2f}: {ref['C'].reshape(-1)[i]:.6f}" for i in grid.special[:6]) + ", ...")
    ref["notes"].append(f"reference built in {time.perf_counter() - t0:.1f} s")
    for n in ref["notes"]:
        log(f"{grid.name} reference: {n}")
    return ref


# --- QuTiP ------------------------------------------------------------------------
def qutip_w1(grid, ref, quick):
    import _qutip_peer as Q

    p = grid.point(0)
    for label, opts in (("tight", Q.TIGHT), ("default tol", Q.DEFAULT)):
        (C, res), ts = run_repeated(lambda: Q.curve(p, grid.times, opts), budget_s=0.5 if quick else 2.0, min_rep=2 if quick else 5)
        t0 = time.perf_counter()
        Q.qutip.mesolve(*_q_args(Q, p, grid.times), options=opts)
        t_solve = time.perf_counter() - t0
        rho = Q.states_array(res)
        add_row("W1", f"qutip mesolve+concurrence ({label})", time_s=statistics.median(ts),
                how=f"median of {len(ts)} (min {fmt_t(min(ts))})", err_C=maxabs(C - ref["C"]),
                err_rho=maxabs(rho - ref["rho"]),
                notes=[f"options={opts or 'QuTiP defaults (adams, atol 1e-8, rtol 1e-6)'}",
                       f"of which mesolve alone ~{fmt_t(t_solve)}, the rest is qutip.concurrence x{len(grid.times)}",
                       f"X-formula concurrence of the same states: max|dC| = {maxabs(R.concurrence_x(rho) - ref['C']):.1e}"])


def _q_args(Q, p, times):
    H, c_ops = Q.model(p)
    return H, Q.rho_ud(), times, c_ops


def qutip_w2(grid, ref, quick):
    import _qutip_peer as Q

    pos = {int(i): k for k, i in enumerate(ref["pts"])}
    n = len(grid.subset)

    def serial(indices, opts):
        Cs, rhos, tt = [], [], 0.0
        for i in indices:
            t0 = time.perf_counter()
            C, res = Q.curve(grid.point(i), grid.times, opts)
            tt += time.perf_counter() - t0
            Cs.append(C)
            rhos.append(Q.states_array(res))
        return np.array(Cs), np.array(rhos), tt

    for label, opts in (("tight", Q.TIGHT), ("default tol", Q.DEFAULT)):
        log(f"W2 qutip serial ({label}) on {n} points ...")
        C, rho, tt = serial(grid.subset, opts)
        k = [pos[int(i)] for i in grid.subset]
        row = add_row("W2", f"qutip serial loop ({label})", time_s=tt / n * grid.size,
                      how=f"EXTRAPOLATED from {n} random points of {grid.size} ({fmt_t(tt / n)}/curve)",
                      err_C=maxabs(C - ref["C_pts"][k]), err_rho=maxabs(rho - ref["rho_pts"][k]),
                      notes=[f"options={opts or 'QuTiP defaults (adams, atol 1e-8, rtol 1e-6)'}",
                             f"X-formula concurrence of the same states: max|dC| = {maxabs(R.concurrence_x(rho) - ref['C_pts'][k]):.1e}"])
        if label == "tight":
            log(f"W2 qutip serial ({label}) on the {len(grid.special)} {grid.special_label} points ...")
            Cs, rhos, _ = serial(grid.special, opts)
            ks = [pos[int(i)] for i in grid.special]
            row["err_C_special"] = maxabs(Cs - ref["C_pts"][ks])
            row["notes"].append(f"{grid.special_label} points: max|drho| = {maxabs(rhos - ref['rho_pts'][ks]):.1e}")

    ncpu = os.cpu_count() or 1
    log(f"W2 qutip parallel_map (tight, num_cpus={ncpu}) on {n} points ...")
    pts = [grid.point(i) for i in grid.subset]
    t0 = time.perf_counter()
    out = Q.qutip.parallel_map(Q.curve_task, pts, task_kwargs={"times": grid.times, "options": Q.TIGHT},
                               map_kw={"num_cpus": ncpu})
    tt = time.perf_counter() - t0
    k = [pos[int(i)] for i in grid.subset]
    add_row("W2", f"qutip parallel_map (tight, {ncpu} procs)", time_s=tt / n * grid.size,
            how=f"EXTRAPOLATED from {n} random points of {grid.size} (wall {fmt_t(tt)} incl. pool start)",
            err_C=maxabs(np.array(out) - ref["C_pts"][k]), notes=[f"options={Q.TIGHT}"])


def qutip_w3(grid, ref, quick):
    import _qutip_peer as Q

    Cref = ref["C"].reshape(-1)
    rho_ref = ref["rho"].reshape(-1, 4, 4)
    n = len(grid.subset)
    for method in ("direct", "eigen", "svd"):
        log(f"W3 qutip steadystate(method={method!r}) on {n} random + {len(grid.special)} degenerate points ...")
        tt, C, fails, dr = 0.0, [], 0, []
        regular = ~np.isin(grid.subset, grid.special)  # error stats: degenerate points are reported apart
        for i, reg in zip(grid.subset, regular):
            t0 = time.perf_counter()
            c, rho, err = Q.steady(grid.point(i), method)
            tt += time.perf_counter() - t0
            C.append(c)
            fails += bool(err) and reg
            if rho is not None and reg:
                dr.append(np.abs(rho - rho_ref[i]).max())
        C = np.array(C)
        ok = np.isfinite(C) & regular
        deg = [Q.steady(grid.point(i), method) for i in grid.special]
        Cd = np.array([d[0] for d in deg])
        errs_d = sorted({d[2].split(":")[0] for d in deg if d[2]})
        mineig = [np.linalg.eigvalsh(d[1]).min() for d in deg if d[1] is not None]
        notes = [
            f"random non-degenerate points: {fails} of {int(regular.sum())} raised; max|drho| where it returned = "
            f"{max(dr) if dr else float('nan'):.1e}",
            f"degenerate points: {int(np.isnan(Cd).sum())} of {len(Cd)} raised ({', '.join(errs_d) or '-'}); "
            f"returned C in [{np.nanmin(Cd) if np.isfinite(Cd).any() else float('nan'):.3g}, "
            f"{np.nanmax(Cd) if np.isfinite(Cd).any() else float('nan'):.3g}] vs correct "
            f"[{Cref[grid.special].min():.3g}, {Cref[grid.special].max():.3g}]; min eigenvalue of returned rho "
            f"{min(mineig) if mineig else float('nan'):.2g} (negative = unphysical)",
            "per degenerate point (q, C_qutip, C_correct): " + "; ".join(
                f"({grid.flat('a_tilde')[i]:.2f}, {c:.3g}, {Cref[i]:.3g})" for i, c in zip(grid.special[:8], Cd)) + " ...",
        ]
        add_row("W3", f"qutip steadystate ({method})", time_s=tt / n * grid.size,
                how=f"EXTRAPOLATED from {n} random points of {grid.size} ({fmt_t(tt / n)}/point)",
                err_C=maxabs(C[ok] - Cref[grid.subset][ok]),
                err_C_special=float(np.nanmax(np.abs(Cd - Cref[grid.special]))) if np.isfinite(Cd).any() else float("nan"),
                notes=notes)


# --- dynamiqs ---------------------------------------------------------------------
def dynamiqs_w1(grid, ref, quick):
    import _dynamiqs_peer as D

    H, Ls = D.operators(grid.point(0))
    for name in D.methods():
        t0 = time.perf_counter()
        D.concurrence_curves(H, Ls, grid.times, name)
        first = time.perf_counter() - t0
        C, ts = run_repeated(lambda: D.concurrence_curves(H, Ls, grid.times, name), budget_s=0.5 if quick else 2.0)
        rho = D.state_curves(H, Ls, grid.times, name)
        add_row("W1", f"dynamiqs {name}", time_s=statistics.median(ts), first_call_s=first,
                how=f"median of {len(ts)} after the first (compile) call", err_C=maxabs(C - ref["C"]),
                err_rho=maxabs(rho - ref["rho"]), notes=[_dq_note(D, name)])


def _dq_note(D, name):
    m, vec = D.methods()[name]
    tol = f"rtol={m.rtol:g}, atol={m.atol:g}, " if hasattr(m, "rtol") else ""
    return f"dq.method.{name}({tol.rstrip(', ')}) vectorized={vec}, float64, X-formula concurrence via save_extra, jitted"


def dynamiqs_w2(grid, ref, quick):
    import _dynamiqs_peer as D

    if quick:
        idx = ref["pts"]  # subset + critical line only
        pts = {k: grid.flat(k)[idx] for k in W.PARAM_NAMES}
        scope = f"QUICK: only the {len(idx)} subset/critical points, NOT the full grid"
    else:
        idx = np.arange(grid.size)
        pts = {k: grid.flat(k) for k in W.PARAM_NAMES}
        scope = f"full grid, {grid.size} curves in one batched call"
    H, Ls = D.operators(pts)
    pos = np.searchsorted(idx, ref["pts"])
    sub = np.searchsorted(ref["pts"], grid.subset)
    spec = np.searchsorted(ref["pts"], grid.special)
    for name in D.methods():
        log(f"W2 dynamiqs {name}: {scope} (first call compiles) ...")
        base0 = rss_mb()
        reset_peak_rss()
        t0 = time.perf_counter()
        D.concurrence_curves(H, Ls, grid.times, name)
        first = time.perf_counter() - t0
        dpeak0 = peak_rss_mb() - base0 if base0 is not None else None
        base = rss_mb()
        reset_peak_rss()
        t0 = time.perf_counter()
        C = D.concurrence_curves(H, Ls, grid.times, name)
        steady = time.perf_counter() - t0
        dpeak = peak_rss_mb() - base if base is not None else None
        C_at = C[pos]
        rho = D.state_curves(H[pos], [L[pos] for L in Ls], grid.times, name)  # untimed
        notes = [scope, _dq_note(D, name), f"compile + first run {fmt_t(first)}"]
        if dpeak is not None:
            notes.append(f"peak RSS growth: first call {dpeak0:.0f} MB, steady call {dpeak:.0f} MB "
                         f"(process RSS before {base0:.0f} MB, JAX runtime included)")
        if not quick:
            notes.append(f"max|dC| over the full grid vs stepping reference = {maxabs(C.reshape(grid.shape + (-1,)) - ref['C_full']):.1e}")
        add_row("W2", f"dynamiqs {name} (batched)", time_s=steady, first_call_s=first, comparable=not quick,
                how="one steady call after the compile call" if not quick else "QUICK subset (not comparable)",
                err_C=maxabs(C_at[sub] - ref["C_pts"][sub]), err_C_special=maxabs(C_at[spec] - ref["C_pts"][spec]),
                err_rho=maxabs(rho - ref["rho_pts"]), notes=notes)


# --- magbell ----------------------------------------------------------------------
def magbell_w1(grid, ref, quick):
    import _magbell_side as M

    t0 = time.perf_counter()
    M.magbell_concurrence_curves(grid.compact, grid.times)
    first = time.perf_counter() - t0
    C, ts = run_repeated(lambda: M.magbell_concurrence_curves(grid.compact, grid.times), budget_s=0.5 if quick else 2.0,
                         min_rep=5, max_rep=200)
    notes = [] if C.shape == grid.times.shape else [f"SHAPE {C.shape} != expected {grid.times.shape}"]
    add_row("W1", "magbell", time_s=statistics.median(ts), first_call_s=first, time_min_s=min(ts),
            how=f"median of {len(ts)} (min {fmt_t(min(ts))})", err_C=maxabs(C.reshape(-1) - ref["C"]), notes=notes)


def magbell_w2(grid, ref, quick):
    import tracemalloc

    import _magbell_side as M

    t0 = time.perf_counter()
    C = M.magbell_concurrence_curves(grid.compact, grid.times)
    first = time.perf_counter() - t0
    exp_shape = grid.shape + (len(grid.times),)
    notes = []
    if C.shape != exp_shape:
        notes.append(f"SHAPE {C.shape} != expected {exp_shape}")
        C = C.reshape(exp_shape)
    base = rss_mb()
    reset_peak_rss()
    C, ts = run_repeated(lambda: M.magbell_concurrence_curves(grid.compact, grid.times), budget_s=1.0, min_rep=3, max_rep=20)
    dpeak = peak_rss_mb() - base if base is not None else None
    tracemalloc.start()
    M.magbell_concurrence_curves(grid.compact, grid.times)
    tm_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    Cf = C.reshape(grid.size, -1)
    sub = np.searchsorted(ref["pts"], grid.subset)
    spec = np.searchsorted(ref["pts"], grid.special)
    err_full = maxabs(C.reshape(exp_shape) - ref["C_full"])
    notes += [f"max|dC| over the full grid vs stepping reference = {err_full:.1e}",
              f"tracemalloc peak of one call {tm_peak:.0f} MB" + (f"; in-process RSS growth {dpeak:.0f} MB" if dpeak is not None else "")]
    row = add_row("W2", "magbell", time_s=statistics.median(ts), first_call_s=first, time_min_s=min(ts),
                  how=f"median of {len(ts)} (min {fmt_t(min(ts))})",
                  err_C=max(maxabs(Cf[grid.subset] - ref["C_pts"][sub]), err_full),
                  err_C_special=maxabs(Cf[grid.special] - ref["C_pts"][spec]), notes=notes)
    child = _child_peak("magbell-W2")
    row["peak_mb"] = child.get("peak_mb")
    row["notes"].append(f"isolated process (numpy + magbell only): peak RSS {child.get('peak_mb', float('nan')):.0f} MB, "
                        f"after imports {child.get('base_mb', float('nan')):.0f} MB" if "peak_mb" in child
                        else f"isolated-process memory run failed: {child.get('error', '?')}")


def magbell_w3(grid, ref, quick):
    import _magbell_side as M

    t0 = time.perf_counter()
    M.magbell_steady_states(grid.compact)
    first = time.perf_counter() - t0
    (C, uniq), ts = run_repeated(lambda: M.magbell_steady_states(grid.compact), budget_s=1.0, min_rep=5, max_rep=100)
    notes = []
    if C.shape != grid.shape:
        notes.append(f"SHAPE {C.shape} != expected {grid.shape}")
    C, uniq = C.reshape(-1), uniq.reshape(-1)
    Cref = ref["C"].reshape(-1)
    regular = np.ones(grid.size, dtype=bool)
    regular[grid.special] = False
    want_unique = ref["kdim"].reshape(-1) == 1
    notes.append(f"unique flags: {int((uniq != want_unique).sum())} mismatches vs kernel dimension of L "
                 f"({int((~uniq).sum())} non-unique reported, {int((~want_unique).sum())} expected)")
    add_row("W3", "magbell", time_s=statistics.median(ts), first_call_s=first, time_min_s=min(ts),
            how=f"median of {len(ts)} (min {fmt_t(min(ts))})", err_C=maxabs(C[regular] - Cref[regular]),
            err_C_special=maxabs(C[grid.special] - Cref[grid.special]), notes=notes)


def _child_peak(which: str) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", which, "--blas-threads", str(ARGS.blas_threads)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        return json.loads(line[-1]) if line else {"error": (out.stderr or out.stdout)[-300:]}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def child_main(which: str) -> None:
    """Isolated run (fresh process, nothing but NumPy + magbell) for peak RSS."""
    grid = W.w2()
    import _magbell_side as M

    if not M.AVAILABLE:
        print(json.dumps({"error": M.REASON}))
        return
    base = rss_mb()
    t0 = time.perf_counter()
    M.magbell_concurrence_curves(grid.compact, grid.times)
    print(json.dumps({"time_s": time.perf_counter() - t0, "base_mb": base, "peak_mb": peak_rss_mb()}))


def main() -> None:
    if ARGS.child:
        child_main(ARGS.child)
        return
    quick = ARGS.quick
    t_all = time.perf_counter()
    print(f"magbell core benchmark{' (QUICK smoke run: subsets shrunk, numbers not representative)' if quick else ''}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load avg {', '.join(f'{x:.2f}' for x in os.getloadavg())}, BLAS threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    grids = {"W1": W.w1(), "W2": W.w2(quick), "W3": W.w3(quick)}
    work = [w for w in ("W1", "W2", "W3") if w in ARGS.only]
    refs = {w: reference(grids[w], quick) for w in work}

    runners = {
        "qutip": {"W1": qutip_w1, "W2": qutip_w2, "W3": qutip_w3},
        "dynamiqs": {"W1": dynamiqs_w1, "W2": dynamiqs_w2, "W3": None},
        "magbell": {"W1": magbell_w1, "W2": magbell_w2, "W3": magbell_w3},
    }
    for impl in ("qutip", "dynamiqs", "magbell"):  # QuTiP first: parallel_map forks, JAX must not be loaded yet
        if impl not in ARGS.impl:
            continue
        mod = {"qutip": "_qutip_peer", "dynamiqs": "_dynamiqs_peer", "magbell": "_magbell_side"}[impl]
        m = __import__(mod)
        print(f"{impl}: {m.version() if m.AVAILABLE else 'not available'}", flush=True)
        if impl == "qutip" and m.AVAILABLE:
            dev = m.check_operators()
            log(f"QuTiP operators vs reference matrices: max deviation {dev:.1e}")
        for w in work:
            fn = runners[impl][w]
            if not m.AVAILABLE:
                skip_row(w, impl, m.REASON)
            elif fn is None:  # only dynamiqs W3
                skip_row(w, impl, f"{m.version()}: steady-state solver found but not wired in here yet"
                         if m.has_steady_state_solver() else f"{m.version()} has no steady-state solver "
                         "(no dq.steadystate / dq.steady_state)")
            else:
                log(f"{w} {impl} ...")
                try:
                    fn(grids[w], refs[w], quick)
                except Exception as exc:  # keep the other rows
                    skip_row(w, impl, f"FAILED: {type(exc).__name__}: {exc}")
    for w in work:
        report(w, grids[w])
    import resource

    print(f"\nprocess peak RSS (getrusage ru_maxrss, all stages, incl. JAX/QuTiP runtimes): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; total wall {time.perf_counter() - t_all:.0f} s; "
          f"load avg now {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if ARGS.json:
        with open(ARGS.json, "w") as f:
            json.dump({"quick": quick, "rows": ROWS, "reference_notes": {w: refs[w]["notes"] for w in work}}, f, indent=1, default=float)
        print(f"rows written to {ARGS.json}")


if __name__ == "__main__":
    main()
