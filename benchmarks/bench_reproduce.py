#!/usr/bin/env python
"""End-to-end benchmark of `magbell reproduce --out DIR` (the README's first command).

    .venv/bin/python benchmarks/bench_reproduce.py [--repeat N] [--cores 2] [--json FILE]

Each repetition runs the real command in a fresh interpreter, `python -m magbell reproduce --out DIR
--quiet --json`, into a new empty directory, and measures its wall-clock time from outside (process
start, imports, every figure as PNG + PDF + CSV, the claims table, report.html) and the CPU time (user +
system) it used, which a machine loaded by other work disturbs less than the wall time. The first repetition
also starts with an empty matplotlib cache (MPLCONFIGDIR), as on a fresh clone; it is reported
separately ("cold"). `--cores N` pins the child to N CPUs (Linux, os.sched_setaffinity) to measure the
issue's 2-core target on a bigger machine. The per-step times come from the manifest the command writes.

Target (issue 5): under 60 s on a 2-core machine. Exit status 1 if any run misses it or fails.

    .venv/bin/python benchmarks/bench_reproduce.py --drawing [--repeat N]

instead compares, in this process and on the same figures and data, the drawing stage as it was before
issue 14 §6 (``savefig(bbox_inches="tight")`` for each format, the csv module cell by cell, matplotlib's
per-renderer mathtext cache) with :func:`magbell.paper.figures.render` now (one tight box, one shared
mathtext cache, NumPy CSV): CPU seconds, min over N alternating repetitions, and the number of mathtext parses.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 60.0


def run_once(out: Path, cores: int | None, mplconfig: Path | None) -> tuple:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    if mplconfig is not None:
        env["MPLCONFIGDIR"] = str(mplconfig)
    cmd = [sys.executable, "-m", "magbell", "reproduce", "--out", str(out), "--quiet", "--json"]
    preexec = None
    if cores and hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:cores]
        preexec = lambda: os.sched_setaffinity(0, cpus)  # noqa: E731
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, preexec_fn=preexec, timeout=600)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"magbell reproduce failed (exit {p.returncode}):\n{p.stderr}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, json.loads(p.stdout)


def drawing_ab(repeat: int) -> int:
    """The drawing stage (PNG + PDF + CSV of every figure), old route against render(); see the module docstring."""
    import csv
    import functools
    import io
    import logging
    import math

    import matplotlib
    import numpy as np
    from matplotlib import mathtext

    from magbell.paper import figures as F

    logging.getLogger("fontTools").setLevel(logging.ERROR)
    datas = {n: j.data() for n, j in F.FIGURES.items()}
    out = Path(tempfile.mkdtemp(prefix="magbell-bench-drawing-"))

    def old_csv(path, columns, rows):
        def cell(v):
            if isinstance(v, (str, bool, np.bool_)):
                return str(v)
            x = float(v)
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf") if math.isinf(x) else repr(x + 0.0)
        if isinstance(rows, F.Columns):  # the tables were built row by row before
            rows = [list(r) for r in zip(*[np.asarray(c).tolist() for c in rows])]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([cell(v) for v in r])
        path.write_text(buf.getvalue(), encoding="utf-8")

    def old():
        for n, job in F.FIGURES.items():
            fig = F.draw(job, datas[n])
            with matplotlib.rc_context(F.STYLE):
                fig.savefig(io.BytesIO(), format="png", dpi=F.PNG_DPI, metadata={"Software": "magbell"})
                fig.savefig(out / f"{n}.pdf", format="pdf", metadata={"Creator": "magbell", "CreationDate": None})
            old_csv(out / f"{n}.csv", *job.table(datas[n]))

    def new():
        with F.shared_mathtext_cache():
            for n, job in F.FIGURES.items():
                F.render(job, out, data=datas[n])

    orig = mathtext.MathTextParser.__dict__["_parse_cached"]
    parses = {"n": 0}

    @functools.lru_cache(50)
    def counted(self, *a):
        parses["n"] += 1
        return orig.__wrapped__(self, *a)

    times = {"old": [], "new": []}
    counts = {}
    try:
        mathtext.MathTextParser._parse_cached = counted
        for _ in range(repeat):
            for name, f in (("old", old), ("new", new)):
                counted.cache_clear()
                parses["n"] = 0
                t0 = time.process_time()
                f()
                times[name].append(time.process_time() - t0)
                counts[name] = parses["n"]
    finally:
        mathtext.MathTextParser._parse_cached = orig
        shutil.rmtree(out, ignore_errors=True)
    print(f"drawing stage of {len(datas)} figures (PNG + PDF + CSV), CPU s over {repeat} alternating runs; "
          f"load average {os.getloadavg()[0]:.1f}")
    for name in ("old", "new"):
        print(f"  {name}: min {min(times[name]):.2f} s  (all: {', '.join(f'{x:.2f}' for x in times[name])}); "
              f"{counts[name]} mathtext parses")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--repeat", type=int, default=3, help="number of runs (default 3; the first is cold)")
    ap.add_argument("--cores", type=int, default=2, help="CPUs the command may use (default 2; 0 = all)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--drawing", action="store_true",
                    help="A/B of the drawing stage in this process (before/after issue 14 §6) instead")
    args = ap.parse_args(argv)
    if args.drawing:
        return drawing_ab(args.repeat)

    tmp = Path(tempfile.mkdtemp(prefix="magbell-bench-reproduce-"))
    rows = []
    try:
        for k in range(args.repeat):
            mpl = tmp / "mplconfig-cold" if k == 0 else None
            wall, cpu, man = run_once(tmp / f"run{k}", args.cores or None, mpl)
            rows.append({"run": k, "cold": k == 0, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                         "inside_s": man["seconds_total"],
                         "steps": {f["name"]: f["seconds"] for f in man["figures"]}
                         | {"claims": man["claims"]["seconds"]},
                         "files": sum(1 for _ in (tmp / f"run{k}").iterdir())})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"magbell reproduce --out DIR: {args.repeat} run(s), child pinned to "
          f"{args.cores or 'all'} of {cpus} CPU(s); {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"{'run':>4} {'cold':>5} {'wall s':>8} {'CPU s':>7} {'inside s':>9} {'files':>6}  steps (s)")
    for r in rows:
        steps = "  ".join(f"{k} {v:.2f}" for k, v in r["steps"].items())
        print(f"{r['run']:>4} {'yes' if r['cold'] else 'no':>5} {r['wall_s']:>8.2f} {r['cpu_s']:>7.2f} "
              f"{r['inside_s']:>9.2f} {r['files']:>6}  {steps}")
    walls = [r["wall_s"] for r in rows]
    warm = walls[1:] or walls
    cpus = [r["cpu_s"] for r in rows][1:] or [rows[0]["cpu_s"]]
    print(f"cold {walls[0]:.2f} s; warm median {statistics.median(warm):.2f} s wall, "
          f"{statistics.median(cpus):.2f} s CPU (user + sys of the child: steadier than wall on a loaded machine); "
          f"target < {TARGET_S:.0f} s: {'PASS' if max(walls) < TARGET_S else 'FAIL'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "target_s": TARGET_S, "cores": args.cores}, indent=1))
    return 0 if max(walls) < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
