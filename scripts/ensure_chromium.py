#!/usr/bin/env python3
"""Make sure a headless Chromium is available for the report test (tests/test_report.py).

    python3 scripts/ensure_chromium.py          # prints the path of the browser, installs it if missing

Looks for an existing Chromium/Chrome first (``$MAGBELL_CHROMIUM``, ``/usr/bin/chromium``, then
``chromium``, ``chromium-browser``, ``google-chrome`` on PATH). If none is found and this is a Debian/Ubuntu
machine where we are root, installs Debian's ``chromium`` package with ``apt-get update`` and
``apt-get install -y --no-install-recommends chromium`` (a few minutes the first time; nothing
is downloaded outside the system's package mirror). Exit status 0 and the path on stdout when a
browser is available, 1 otherwise (with the reason on stderr). Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """Path of an installed Chromium/Chrome executable, or None."""
    env = os.environ.get("MAGBELL_CHROMIUM")
    if env and os.access(env, os.X_OK):
        return env
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def install_chromium(quiet: bool = False) -> bool:
    """Install Debian's ``chromium`` with apt-get; True on success."""
    if shutil.which("apt-get") is None:
        print("ensure_chromium: no apt-get on this machine; install Chromium yourself "
              "(or set MAGBELL_CHROMIUM to its path)", file=sys.stderr)
        return False
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        print("ensure_chromium: not root, cannot apt-get install chromium; run "
              "'sudo apt-get install chromium' (or set MAGBELL_CHROMIUM)", file=sys.stderr)
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    out = subprocess.DEVNULL if quiet else sys.stderr
    for cmd in (["apt-get", "update"],
                ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
        print("ensure_chromium: + " + " ".join(cmd), file=sys.stderr, flush=True)
        rc = subprocess.call(cmd, env=env, stdout=out, stderr=out)
        if rc:
            print(f"ensure_chromium: '{' '.join(cmd)}' failed with exit code {rc}", file=sys.stderr)
            return False
    return True


def main(argv: list) -> int:
    quiet = "--quiet" in argv
    path = find_chromium()
    if path is None:
        if "--check" in argv:
            print("ensure_chromium: no Chromium found", file=sys.stderr)
            return 1
        if not install_chromium(quiet=quiet):
            return 1
        path = find_chromium()
    if path is None:
        print("ensure_chromium: chromium was installed but no executable was found", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
