"""``magbell nsite trajectories | monitor``: quantum trajectories and finite-rate monitoring of N qubits placed
in a magnon medium (the N-site :func:`magbell.trajectories` and :func:`magbell.monitor`, docs/nqubits.md
"Trajectories and monitoring for N sites").

The placement, medium, film and time options are those of ``magbell nsite postselect`` (cli/_nsite_setup.py:
SI units, times in s or in units of 1/a); the command's own options have the names of the two-site
``magbell trajectories`` and ``magbell monitor`` (cli/_postselect.py): ``--n``, ``--seed``, ``--max-jumps``,
``--select`` and ``--tau-m``, ``--kind``, ``--no-readout``. ``--tau-m`` is a time like ``--t-max`` (``50ns``,
``0.05/a``) or ``inf`` (no measurement after t = 0).

JSON keys follow the two-site commands (``success_probability``, ``success_probability_stderr``,
``log_success_probability``, ``kept``, ``jump_counts``, ``mean_jumps``, ``n``, ``seed``, ``select``; ``tau_m``,
``kind``, ``readout``) with the N-site arrays in place of the two-qubit concurrence and Bell fidelity:
``site_populations`` (T, N) and, for trajectories, ``site_populations_stderr`` (T, N) and
``ensemble_site_populations`` (T, N) of the whole ensemble (the two-site ``ensemble_concurrence``).
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import InvalidParameterError
from ._nsite_setup import _TIME, _initial, _measures, parse_time, system_from_args, times_from_args
from ._output import write_csv
from ._postselect import MAX_TRAJECTORY_STATES  # the two-site command's guard: most stored states n × points

__all__ = ["cmd_trajectories", "cmd_monitor", "add_trajectory_options", "add_monitor_options",
           "MAX_TRAJECTORY_STATES", "MAX_EMBEDDED_BYTES"]

#: with --measures (N <= 8): n × points × 2^N complex amplitudes refused above this many bytes, before any work (a
#: bound on the stored kets; the average itself no longer embeds them in the 2^N basis, it forms the mean per time)
MAX_EMBEDDED_BYTES = 2**31

_BLOCK_ITEM = re.compile(r"^(h_plus|h_minus|h_z)(:\d+)?$")


# ----------------------------------------------------------------------------- option checks
def _tau(text: str, a: float) -> float:
    """``--tau-m``: a time (s, ms, us, ns, ps, or /a in units of 1/a) > 0, or ``inf``."""
    s = str(text).strip()
    if s.lower() in ("inf", "+inf", "infinity"):
        return math.inf
    if not _TIME.match(s):
        try:
            bare = float(s)
        except ValueError:
            bare = math.nan
        if bare <= 0:
            raise InvalidParameterError(f"--tau-m must be > 0 (a finite time, or inf), got {text!r}")
        raise InvalidParameterError(f"--tau-m: cannot read {text!r} as a time; write e.g. 50ns, 1e-7s, 0.05/a or inf"
                                    + (" (a unit is needed)" if math.isfinite(bare) else ""))
    tau = parse_time(s, "--tau-m", a, "50ns, 1e-7s, 0.05/a or inf")
    if not (math.isfinite(tau) and tau > 0):
        raise InvalidParameterError(f"--tau-m must be > 0 (a finite time, or inf), got {text!r}")
    return tau


def _check_select(text: str) -> str:
    """--select syntax before any work: all, no-jump, or no-<blocks or channels> (h_plus, h_minus, h_z, h_plus:0)."""
    s = text.strip()
    if s in ("all", "no-jump"):
        return s
    items = [c.strip() for c in s[3:].split(",")] if s.startswith("no-") else []
    if not items or not all(_BLOCK_ITEM.match(c) for c in items):
        raise InvalidParameterError(
            f"--select must be all, no-jump or no-<channels> with blocks h_plus, h_minus, h_z or channels "
            f"h_plus:0, ... (comma separated, e.g. no-h_plus:0,h_z), got {text!r}")
    return "no-" + ",".join(items)


def _dense_average(N: int, T: int) -> bool:
    """Whether SystemTrajectoryResult.average forms the dense mean state (its own rule)."""
    from ..solvers._system_trajectory_result import DENSE_AVERAGE_MAX_BYTES, DENSE_AVERAGE_MAX_SITES

    return N <= DENSE_AVERAGE_MAX_SITES and 3 * 16 * T * 4**N <= DENSE_AVERAGE_MAX_BYTES


def _averages(tr, select: str):
    """The selected and the whole-ensemble averages (``tr.average``: its dense mean state is a BLAS product per
    time and its standard errors, which the command does not print, are computed only when read)."""
    sel = tr.average(select)
    return sel, (sel if select == "all" else tr.average("all"))


def _measure_cols(extra, values, N):
    from ._nsite import _csv_measure_cols

    cols = []
    for m in extra:
        cols += _csv_measure_cols(m, values[m], N)
    return cols


# ----------------------------------------------------------------------------- commands
def cmd_trajectories(args) -> int:
    from ..solvers._system_sectors import measure_fns
    from ..solvers._trajectories import trajectories
    from ._nsite import _describe, _table
    from ._parser import _dump_json

    pc, desc = system_from_args(args)
    N = pc.N
    init = _initial(args, N)
    times = times_from_args(args, desc["a_per_s"])
    extra = _measures(args.measures)
    T = len(times)
    if args.n < 1:
        raise InvalidParameterError(f"n (--n) must be >= 1, got {args.n}")
    if args.n * T > MAX_TRAJECTORY_STATES:
        raise InvalidParameterError(f"n x points = {args.n * T} stored states exceeds {MAX_TRAJECTORY_STATES}; "
                                    "lower --n or --points")
    if args.seed is not None and args.seed < 0:
        raise InvalidParameterError(f"seed (--seed) must be >= 0, got {args.seed}")
    if args.max_jumps is not None and args.max_jumps < 1:
        raise InvalidParameterError(f"--max-jumps must be >= 1, got {args.max_jumps}")
    select = _check_select(args.select)
    if extra and not _dense_average(N, T):
        raise InvalidParameterError(
            f"--measures: the trajectory average's dense state is formed for N <= 8 and few enough times only "
            f"(N = {N}, {T} times); site populations are always reported")
    if extra and 16 * args.n * T * 2**N > MAX_EMBEDDED_BYTES:
        raise InvalidParameterError(
            f"--measures: n x points x 2^N = {args.n} x {T} x {2**N} amplitudes of the dense mean state exceed "
            f"{MAX_EMBEDDED_BYTES / 2**30:g} GiB; lower --n or --points")
    kw = {} if args.max_jumps is None else {"max_jumps_per_trajectory": args.max_jumps}
    tr = trajectories(pc.system(), init, times, n=args.n, seed=args.seed, **kw)
    sel, full = _averages(tr, select)
    with np.errstate(divide="ignore"):
        logp = np.log(sel.fraction)
    vals = {}
    if extra:
        empty = sel.count == 0
        rho = np.where(empty[:, None, None], 0.0, sel.rho)
        rho = (rho + np.conj(np.swapaxes(rho, -1, -2))) / 2  # the sample mean's rounding: exactly Hermitian
        with np.errstate(invalid="ignore", divide="ignore"):
            for m, f in measure_fns(extra, N).items():
                v = np.asarray(f(rho), dtype=float)
                vals[m] = np.where(empty.reshape(empty.shape + (1,) * (v.ndim - 1)), np.nan, v)
    counts = tr.jump_counts()
    blocks = tr.block_counts().sum(axis=0)
    block_counts = {b: int(c) for b, c in zip(("h_plus", "h_minus", "h_z"), blocks)}
    desc.update(initial=init, positions_m=pc.positions)
    if args.json:
        out = {"times": times, "success_probability": sel.fraction,
               "success_probability_stderr": sel.fraction_stderr, "log_success_probability": logp,
               "kept": sel.count, "site_populations": sel.site_populations,
               "site_populations_stderr": sel.site_populations_stderr,
               "ensemble_site_populations": full.site_populations}
        out.update(vals)
        out.update({"jump_counts": counts, "block_counts": block_counts, "mean_jumps": float(np.mean(tr.n_jumps)),
                    "channels": list(tr.channels), "n": int(args.n), "seed": args.seed, "select": select,
                    "params": desc,
                    "units": {"times": "s", "site_populations": "probability that site i is down (excited), "
                              "selected sub-ensemble", "ensemble_site_populations": "the whole ensemble",
                              "success_probability": "selected fraction of the n trajectories",
                              "positions_m": "m", "a_per_s": "1/s"}})
        _dump_json(out)
        return 0
    pops, pse, pall = (np.asarray(x) for x in (sel.site_populations, sel.site_populations_stderr,
                                               full.site_populations))
    cols = [("t", "s", times), ("P", None, sel.fraction), ("P_stderr", None, sel.fraction_stderr),
            ("logP", None, logp), ("kept", None, sel.count)]
    cols += [(f"P_{i + 1}", None, pops[:, i]) for i in range(N)]
    if args.csv:
        cols += [(f"P_{i + 1}_stderr", None, pse[:, i]) for i in range(N)]
        cols += [(f"P_{i + 1}_all", None, pall[:, i]) for i in range(N)]
        write_csv(cols + _measure_cols(extra, vals, N))
        return 0
    print(f"# magbell nsite trajectories: {_describe(desc)}")
    print(f"# initial |{init}>, n = {args.n}, seed = {args.seed}, select {select}; jumps: "
          + (", ".join(f"{k} {v}" for k, v in counts.items() if v) or "none"))
    print("# P = selected fraction (P_stderr its binomial error), P_i = probability that site i is down in the "
          "selected sub-ensemble")
    empty = sel.count == 0
    if np.any(empty):
        print(f"# no trajectory kept by --select {select} at {int(empty.sum())} of {len(empty)} times (first "
              f"t = {times[np.argmax(empty)]:.6g} s): P_i undefined (nan) there; raise --n")
    _table(cols + _measure_cols(extra, vals, N))
    return 0


def cmd_monitor(args) -> int:
    from ..solvers._monitor import monitor
    from ._nsite import _describe, _table
    from ._parser import _dump_json

    pc, desc = system_from_args(args)
    N = pc.N
    init = _initial(args, N)
    times = times_from_args(args, desc["a_per_s"])
    tau = _tau(args.tau_m, desc["a_per_s"])
    extra = _measures(args.measures)
    readout = not args.no_readout
    r = monitor(pc.system(), init, times, tau, kind=args.kind, readout=readout,
                measures=["site_populations"] + extra)
    pops = np.asarray(r.site_populations)
    P, logP = np.asarray(r.success_probability), np.asarray(r.log_success_probability)
    tau_json = tau if math.isfinite(tau) else None
    desc.update(initial=init, positions_m=pc.positions)
    if args.json:
        out = {"times": times, "success_probability": P, "log_success_probability": logP, "site_populations": pops}
        out.update({m: np.asarray(r.measures[m]) for m in extra})
        out.update({"tau_m": tau_json, "kind": args.kind, "readout": readout, "params": desc,
                    "units": {"times": "s", "tau_m": "s (null: no measurement after t = 0)",
                              "site_populations": "probability that site i is down (excited), conditional",
                              "positions_m": "m", "a_per_s": "1/s"}})
        _dump_json(out)
        return 0
    cols = [("t", "s", times), ("P", None, P), ("logP", None, logP)]
    cols += [(f"P_{i + 1}", None, pops[:, i]) for i in range(N)]
    cols += _measure_cols(extra, r.measures, N)
    if args.csv:
        write_csv(cols)
        return 0
    print(f"# magbell nsite monitor ({args.kind}): {_describe(desc)}")
    print(f"# initial |{init}>, tau_m = {tau:.6g} s, readout {'on' if readout else 'off'}; P = probability that "
          "every measurement of the excitation number gave the initial one, P_i = conditional probability that "
          "site i is down")
    _table(cols)
    return 0


# ----------------------------------------------------------------------------- options (the two-site names)
def add_trajectory_options(p) -> None:
    p.add_argument("--n", type=int, default=1000, metavar="N", help="number of trajectories (default 1000)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default: fresh entropy)")
    p.add_argument("--max-jumps", dest="max_jumps", type=int, default=None, metavar="J",
                   help="refuse runs expecting more than J jumps per trajectory (default 3000)")
    p.add_argument("--select", type=str, default="no-jump", metavar="SEL",
                   help="sub-ensemble: no-jump (default), all, or no-<blocks/channels>: no-h_plus, no-h_z, "
                        "no-h_plus:0,h_z (channel h_plus:k = k-th eigenvector of the block)")


def add_monitor_options(p) -> None:
    from ..solvers._system_monitor import KINDS

    p.add_argument("--tau-m", dest="tau_m", required=True, metavar="TAU",
                   help="measurement period (periodic) or inverse monitoring rate (continuous): a time > 0 "
                        "(50ns, 0.05/a) or inf (required)")
    p.add_argument("--kind", choices=KINDS, default="periodic", help="monitoring model (default periodic)")
    p.add_argument("--no-readout", dest="no_readout", action="store_true",
                   help="do not measure at the reported times (state between measurements)")
