"""``magbell reproduce``: the paper's figures, claims table and report (the only command that imports
magbell.paper)."""

from __future__ import annotations

import os

from ..errors import InvalidParameterError
from ._parser import (
    _dump_json,
)


def cmd_reproduce(args) -> int:
    from ..paper import PRINTERS, reproduce  # the paper's reproduction: only this command imports it

    if args.out is None:
        if args.only is not None:
            raise InvalidParameterError("--only selects figures to write and needs --out DIR")
        data = reproduce()
        if args.json:
            _dump_json(_strip_curves(data))
            return 0
        print("# magbell reproduce: Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022)")
        for i, (name, d) in enumerate(data.items()):
            if i:
                print()
            PRINTERS[name](d)
        return 0
    from .._optional import require
    from ..paper import reproduce_to  # matplotlib is imported only when a figure is drawn

    require("matplotlib", "plot", what="magbell reproduce --out")  # refuse before any computing

    only = None
    if args.only is not None:
        only = [x.strip() for x in args.only.split(",") if x.strip()]
        if not only:
            raise InvalidParameterError("--only needs a comma-separated list of figure names")
    manifest = reproduce_to(args.out, only=only, progress=not args.quiet)
    s = manifest["claims"]["summary"]
    if args.json:
        _dump_json(manifest)
        return 0 if s.get("FAILED", 0) == 0 else 1
    print(f"# magbell reproduce: wrote {args.out} in {manifest['seconds_total']:.1f} s")
    for f in manifest["figures"]:
        names = ", ".join(os.path.basename(p) for p in f["files"].values())
        print(f"{f['title']:<12} {names}")
    print(f"{'claims':<12} claims.md, claims.csv, claims.json: " + ", ".join(
        f"{n} {v}" for v, n in s.items() if n or v != "FAILED") + f" ({sum(s.values())} claims)")
    if manifest.get("report"):
        print(f"{'report':<12} {manifest['report']}")
    if manifest["pending_figures"]:
        print("not yet reproduced: " + ", ".join(manifest["pending_figures"]))
    return 0 if s.get("FAILED", 0) == 0 else 1


def _strip_curves(data: dict) -> dict:
    return {name: {k: v for k, v in d.items() if k != "curves"} for name, d in data.items()}


# ----------------------------------------------------------------------------- parser

_REPRODUCE_EPILOG = """\
examples:
  magbell reproduce                      # tables of Fig. 2 and Fig. S1(a) on stdout
  magbell reproduce --json
  magbell reproduce --out results        # every figure (PNG, PDF, CSV), claims.md, report.html
  magbell reproduce --out results --only fig2,fig3 --quiet --json

Without --out: Fig. 2: a = |A| = 1, a~ = A~ = 0, initial |ud>, delta = 2.0 (black; not stated in
the paper), 1.0 (orange, critical), 0.3 (cyan), 0.0 (red). Fig. S1(a): a = 30, a~ = 3, |A| in
{20, 25, 27, 28, 29, 30}, A~ = |A|/10, delta = 0. JSON: {"fig2": {...}, "figS1a": {...}};
lifetimes that are infinite are null.

With --out DIR: writes DIR/<figure>.png, .pdf and .csv for the paper's figures fig2, fig3
(postselected concurrence, Gamma = 2, with the C_max(eta) inset), figS1a, figS1b, figS2 and, beyond
the paper, lifetime_map (lifetime over delta/|A| and |A|/a), pt_diagram (PT phase diagram of H_eff
over (delta, Gamma) with success-probability contours), tau_m (C and P versus the measurement
period tau_m) and separation (NV centres on a YIG film: entanglement versus separation at a few
temperatures); DIR/claims.md (+ .csv, .json: every claim of the paper, Eqs. 1-15, checked against
magbell), DIR/report.html (one self-contained page) and DIR/reproduce.json (the manifest; printed
with --json). A progress bar goes to stderr unless --quiet. Exit status 1 if any claim check FAILED.
"""


def register(sub, parent, formatter) -> None:
    """Add ``reproduce``."""
    p = sub.add_parser("reproduce", formatter_class=formatter, allow_abbrev=False,
                       help="reproduce the paper: figures, claims table, report (--out DIR) or tables",
                       description="Reproduce Zou, Zhang & Tserkovnyak (2022) from scratch. With --out DIR: every "
                                   "figure as PNG, PDF and CSV, the claims table and a self-contained HTML report. "
                                   "Without it: tables of the paper's Fig. 2 and Fig. S1(a) numbers.",
                       epilog=_REPRODUCE_EPILOG)
    p.add_argument("--out", default=None, metavar="DIR",
                   help="write figures, claims.md and report.html into DIR (created if missing)")
    p.add_argument("--only", default=None, metavar="LIST",
                   help="with --out: comma-separated names of the figures to write, e.g. fig2,fig3,pt_diagram "
                        "(default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object (the tables' data; with --out, the manifest) instead of text")
    p.set_defaults(func=cmd_reproduce)
