"""Machine-readable output of the commands: ``--json`` (one JSON object) or ``--csv`` (one plain table).

``--csv`` prints CSV on stdout through the :mod:`csv` module (its default dialect, lines ending in
``\\n``): a header row whose cells name the column and its unit, ``name [unit]`` (no brackets for
dimensionless or non-numeric columns), then one row per time, separation, eigenvalue or setting.
Numbers are written in full precision (``repr``: the shortest text that reads back to the same float64),
non-finite values as ``nan``/``inf``/``-inf`` (the JSON output writes them as ``null``), booleans as
``true``/``false``, complex values as two columns ``name_re``, ``name_im``. The text is ASCII: the
model's own unit of rate Γ₀ (what the numbers given to ``--a``, ``--A``, ... are in; ħ = 1) is written
``Gamma0`` and times in it ``1/Gamma0``; the physical media use SI (``1/s`` for rates, ``rad/s`` for
energies, ``s``, ``m``, ``Hz``).

``--json`` and ``--csv`` exclude each other: giving both is a one-line usage error (exit 2).
"""

from __future__ import annotations

import csv
import math
import sys

import numpy as np

__all__ = ["GAMMA0", "TIME_GAMMA0", "add_output_options", "write_csv", "complex_columns"]

#: the model's own rate unit (Γ₀ on the library's labels), ASCII for any terminal or spreadsheet
GAMMA0 = "Gamma0"
TIME_GAMMA0 = "1/Gamma0"


def add_output_options(p, json_help: str = "print one JSON object instead of a table",
                       csv_help: str = "print the table as plain CSV (header row: column names with units)") -> None:
    """``--json`` and ``--csv`` on parser ``p``, mutually exclusive (argparse names both in its one-line error)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help=json_help)
    g.add_argument("--csv", action="store_true", help=csv_help + "; excludes --json")


def _cell(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        x = float(x) + 0.0  # -0.0 -> 0.0, as the JSON output
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if x is None:
        return ""
    return str(x)


def complex_columns(name: str, unit: str | None, values) -> list:
    """Two columns ``name_re``, ``name_im`` of a complex quantity."""
    v = np.asarray(values)
    return [(name + "_re", unit, v.real), (name + "_im", unit, np.imag(v))]


def write_csv(columns: list, out=None) -> None:
    """Write ``columns`` — ``(name, unit or None, values)`` with values a scalar or a 1-D sequence — as CSV.

    Scalars are repeated on every row (a tidy table); all sequences must have one length (the rows)."""
    out = sys.stdout if out is None else out
    n = None
    cols = []
    for name, unit, values in columns:
        v = values if isinstance(values, (list, tuple)) else np.asarray(values)
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v.item()
        if isinstance(v, (list, tuple, np.ndarray)):
            if n is not None and len(v) != n:
                raise ValueError(f"CSV column {name!r} has {len(v)} rows, others {n}")  # a bug, not user input
            n = len(v)
        cols.append((name if unit in (None, "", "1") else f"{name} [{unit}]", v))
    n = 1 if n is None else n
    w = csv.writer(out, lineterminator="\n")
    w.writerow([h for h, _ in cols])
    for k in range(n):
        w.writerow([_cell(v[k] if isinstance(v, (list, tuple, np.ndarray)) else v) for _, v in cols])
