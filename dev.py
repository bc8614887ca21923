#!/usr/bin/env python3
"""Set up magbell in a local virtual environment and run its main job or its tests.

    python3 dev.py reproduce     # set up, then reproduce the paper's results into results/ (the main job)
    python3 dev.py test          # set up, then run the whole test suite
    python3 dev.py bench         # set up (with QuTiP and dynamiqs), then run the benchmarks
    python3 dev.py docs          # set up (with mkdocs), then preview the documentation site on http://127.0.0.1:8000

Needs nothing but Python ≥ 3.11 (standard library only). The environment lives in ``.venv/`` and is
re-installed only when ``pyproject.toml`` changes. Extra arguments are passed on, e.g.
``python3 dev.py test -k steady`` or ``python3 dev.py reproduce --json``; the tests run on one pytest-xdist worker
per CPU (at most 4) unless given ``-n N`` or ``-p no:xdist``; ``python3 dev.py docs build -d DIR``
builds the site into DIR instead of serving it (``mkdocs build --strict``, as the test suite does).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
EXTRAS = {"reproduce": "plot", "test": "test,plot", "bench": "bench,test,plot", "docs": "docs"}


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _run(cmd: list, **kw) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kw)


def setup(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"magbell needs Python >= 3.11, this is {sys.version.split()[0]}")
    if not _python().exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except Exception as exc:  # e.g. Debian's python3 without python3-venv
            sys.exit(f"could not create a virtual environment ({exc}); install Python's venv module")
    stamp = VENV / f".magbell-installed-{extras.replace(',', '-')}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    py = _python()
    rc = _run([py, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip"])
    rc = rc or _run([py, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", f".[{extras}]"])
    if rc:
        sys.exit(f"installing magbell[{extras}] failed (pip exit code {rc})")
    stamp.write_text(digest)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _parallel_args(rest: list) -> list:
    """pytest-xdist options for the test task: one worker per CPU (at most 4), tests distributed with
    ``--dist loadgroup`` (tests/conftest.py keeps a module's tests together where they share a fixture).
    Nothing is added when there is one CPU or the user chose: ``-n``/``--numprocesses``/``--dist``,
    ``-p no:xdist``, or a debugger (``--pdb``/``--trace``, which xdist cannot drive)."""
    user = " ".join(rest) + " " + os.environ.get("PYTEST_ADDOPTS", "")
    if any(a.startswith(("-n", "--numprocesses", "--dist", "--pdb", "--trace")) for a in user.split()) \
            or "no:xdist" in user:
        return []
    n = min(_cpus(), 4)  # past 4 the run waits on its longest group (the magbell reproduce run, ~40 s)
    return ["-n", str(n), "--dist", "loadgroup"] if n > 1 else []


def main(argv: list) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    task, rest = argv[0], argv[1:]
    setup(EXTRAS[task])
    py = _python()
    if task == "reproduce":
        if not rest:  # the README's first command: everything into results/
            rest = ["--out", "results"]
        return _run([py, "-m", "magbell", "reproduce", *rest])
    if task == "test":
        # the report test opens report.html in Debian's headless Chromium (installed here if missing)
        if _run([sys.executable, "scripts/ensure_chromium.py", "--quiet"]):
            print("warning: no Chromium; the browser checks of tests/test_report.py are skipped (they fail under CI)")
        # tests/test_docs.py also runs every module's docstring examples
        # one BLAS thread: the suite's matrices are small, and on 2 cores OpenBLAS's second thread only adds
        # contention (measured on the loaded 2-core box: an N = 100 trajectory run 8.3 s with the default, 2.0 s with one)
        env = {**os.environ, **{k: os.environ.get(k, "1") for k in _BLAS_THREADS}}
        return _run([py, "-m", "pytest", "tests", "-q", *_parallel_args(rest), *rest], env=env)
    if task == "bench":
        return _run([py, "benchmarks/bench_core.py", *rest])
    if task == "docs":  # mkdocs.yml: the guides in docs/ and the API reference from the docstrings
        if rest and rest[0] == "build":
            return _run([py, "-m", "mkdocs", "build", "--strict", *rest[1:]])
        return _run([py, "-m", "mkdocs", "serve", *(rest[1:] if rest and rest[0] == "serve" else rest)])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
