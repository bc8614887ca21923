"""Timing, memory, result rows and the report table for bench_core.py."""

from __future__ import annotations

import time

import numpy as np

from _workloads import TARGETS, TITLES


def log(msg: str) -> None:
    print(f".. {msg}", flush=True)


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset VmHWM (Linux >= 4.0) so the next reading is the peak of one stage."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def rss_mb() -> float | None:
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    hwm = _status_mb("VmHWM")
    if hwm is not None:
        return hwm
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_repeated(fn, budget_s: float = 1.0, min_rep: int = 3, max_rep: int = 50):
    """Call fn until budget_s is used (at least min_rep, at most max_rep times)."""
    times, out, t_start = [], None, time.perf_counter()
    while len(times) < max_rep and (len(times) < min_rep or time.perf_counter() - t_start < budget_s):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def maxabs(x) -> float:
    x = np.abs(np.asarray(x))
    if np.isnan(x).any():
        return float("nan")
    return float(x.max()) if x.size else float("nan")


def fmt_t(t) -> str:
    if t is None or not np.isfinite(t):
        return "-"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} us"


def fmt_e(e) -> str:
    return "-" if e is None else f"{e:.1e}"


ROWS: dict[str, list[dict]] = {}


def add_row(workload: str, impl: str, **kw) -> dict:
    row = {"impl": impl, "time_s": None, "how": "", "err_C": None, "err_C_special": None, "err_rho": None,
           "first_call_s": None, "notes": [], "skipped": None, "comparable": True}
    row.update(kw)
    ROWS.setdefault(workload, []).append(row)
    return row


def skip_row(workload: str, impl: str, reason: str) -> None:
    add_row(workload, impl, skipped=reason)
    log(f"{workload} {impl}: skipped: {reason}")


def report(workload: str, grid) -> None:
    rows = ROWS.get(workload, [])
    print(f"\n=== {workload}: {TITLES[workload]}")
    hdr = f"{'implementation':44s} {'time':>10s} {'first call':>10s} {'max|dC|':>8s} {'special':>8s} {'max|drho|':>9s}  how"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        if r["skipped"]:
            print(f"{r['impl']:44s} skipped: {r['skipped']}")
            continue
        print(f"{r['impl']:44s} {fmt_t(r['time_s']):>10s} {fmt_t(r['first_call_s']):>10s} {fmt_e(r['err_C']):>8s} "
              f"{fmt_e(r['err_C_special']):>8s} {fmt_e(r['err_rho']):>9s}  {r['how']}")
        for n in r["notes"]:
            print(f"{'':6s}- {n}")
    print("(time: whole workload, extrapolated where 'how' says so; max|dC|: vs reference on the evaluated random "
          "points, W3 without the degenerate ones, full grid where a note says so"
          + (f"; special: on the {len(grid.special)} {grid.special_label} points" if grid.special_label else "")
          + "; max|drho|: largest entry of rho - rho_ref)")
    mb = [r for r in rows if r["impl"] == "magbell" and not r["skipped"]]
    if not mb:
        return
    mb = mb[0]
    for r in rows:
        if r is mb or r["skipped"] or not r["time_s"] or not r["comparable"]:
            continue
        ratio = r["time_s"] / mb["time_s"]
        print(f"ratio t(peer)/t(magbell) = {ratio:9.1f}x  vs {r['impl']}{'' if ratio >= 1 else '  (magbell SLOWER)'}")
    checks = []
    if workload == "W1":
        q = [r["time_s"] for r in rows if r["impl"].startswith("qutip") and not r["skipped"]]
        if q:
            s = min(q) / mb["time_s"]
            checks.append((f"speedup vs fastest QuTiP row {s:.0f}x >= {TARGETS['W1_speedup_vs_qutip']:.0f}x", s >= TARGETS["W1_speedup_vs_qutip"]))
    if workload == "W2":
        checks.append((f"time {fmt_t(mb['time_s'])} (median; min {fmt_t(mb.get('time_min_s'))}) <= {TARGETS['W2_time_s']} s",
                       mb["time_s"] <= TARGETS["W2_time_s"]))
        err = max(mb["err_C"], mb["err_C_special"])
        checks.append((f"max|dC| {err:.1e} <= {TARGETS['W2_err']:.0e}", err <= TARGETS["W2_err"]))
        if mb.get("peak_mb") is not None:
            checks.append((f"isolated peak RSS {mb['peak_mb']:.0f} MB < {TARGETS['W2_peak_mb']:.0f} MB", mb["peak_mb"] < TARGETS["W2_peak_mb"]))
    if workload == "W3":
        checks.append((f"time {fmt_t(mb['time_s'])} (median; min {fmt_t(mb.get('time_min_s'))}) <= {TARGETS['W3_time_s']} s",
                       mb["time_s"] <= TARGETS["W3_time_s"]))
    for text, ok in checks:
        print(f"target: {'PASS' if ok else 'FAIL'}  {text}")
