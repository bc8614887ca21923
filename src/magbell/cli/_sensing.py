"""Command-line subcommands for sensing the magnet from relaxometry data: ``fit``, ``design``,
``simulate-experiment`` (:mod:`magbell.sensing`).

Registered by :data:`magbell.cli.SUBCOMMAND_MODULES` through :func:`register`. Rates are in 1/s and
energies in rad/s; ``--time-unit`` is the unit of the data's (or the protocol's) times. JSON output is one
object on stdout; bad input exits with status 2 and one line ``magbell: error: <reason>``.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from . import _parser as _cli
from ..errors import InvalidParameterError

__all__ = ["register", "cmd_fit", "cmd_design", "cmd_simulate"]

_FIT_EPILOG = """\
examples:
  magbell fit data.csv --fit a,A,a_tilde --fix delta=0 --time-unit us --json
  magbell fit data.csv --fit a,A,arg_A --time-unit us --plot fit.png

Maximum-likelihood fit of the named parameters (the others fixed by --fix, default 0) to tidy data with
columns time, initial, observable (p_uu p_ud p_du p_dd z1 z2 z1z2 cov), value, stderr or shots, and
optionally readout_up, readout_down. Parameters: a A arg_A a_tilde A_tilde arg_A_tilde delta d D_deph Jz
Jperp D_dm readout_up readout_down (A, A_tilde are magnitudes; rates 1/s, energies rad/s, phases rad).
JSON keys: estimates, stderr, interval95 ([low, high] profile-likelihood, null = not determined or
unbounded), correlation (rows/columns in the order of 'parameters'), loglik, dof, not_identifiable,
on_boundary, comparison (A = 0 likelihood-ratio test, when A is fitted), diagnostics.
"""

_DESIGN_EPILOG = """\
examples:
  magbell design --truth a=1e4,A=5e3 --fit a,A --initials ud,dd,psi+ --times 0:200:21 --time-unit us \\
      --total-shots 100000 --target A

c-optimal allocation of --total-shots over the candidate settings (each initial state x each time),
minimising the Cramer-Rao variance of --target at the assumed --truth; prints the recommended protocol, the
predicted standard error (vs. the uniform allocation) and the shots needed to detect A != 0.
"""

_SIM_EPILOG = """\
examples:
  magbell simulate-experiment --truth a=1e4,A=5e3 --initials ud,dd --times 0:100:11 --time-unit us \\
      --shots 2000 --seed 1 --out data.csv

Seeded synthetic data from the exact model in the format 'magbell fit' reads (CSV to --out, or stdout).
"""


def _times(text: str) -> np.ndarray:
    try:
        if ":" in text:
            parts = [float(x) for x in text.split(":")]
            # a non-finite START/STOP made linspace produce NaN (a RuntimeWarning reported as 'numerical
            # failure', exit 1); N is bounded so that linspace never allocates an absurd array
            if len(parts) != 3 or not all(np.isfinite(parts)) or parts[2] != int(parts[2]) or not 1 <= parts[2] <= 10**7:
                raise ValueError
            return np.linspace(parts[0], parts[1], int(parts[2]))
        return np.array([float(x) for x in text.split(",") if x.strip()])
    except ValueError:
        raise InvalidParameterError(f"--times: expected START:STOP:N (finite START, STOP; whole N in [1, 1e7]) or a "
                                    f"comma-separated list, got {text!r}") from None


def _readout(text):
    if text is None:
        return (1.0, 1.0)
    try:
        parts = [float(x) for x in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) not in (1, 2):
        raise InvalidParameterError(f"--readout: expected F or F_UP,F_DOWN, got {text!r}")
    return (parts[0], parts[-1])


def cmd_fit(args) -> int:
    from .. import sensing

    if not 0 < args.level < 1:
        raise InvalidParameterError(f"--level must lie in (0, 1), got {args.level:g}")
    if args.plot:  # checked before the fit: it was 'internal error: FileNotFoundError' (exit 1) after it
        parent = os.path.dirname(os.path.abspath(args.plot))
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
            raise InvalidParameterError(f"--plot: cannot write {args.plot!r}: the directory {parent!r} does not exist "
                                        "or is not writable")
    r = sensing.fit(args.data, args.fit, args.fix, time_unit=args.time_unit, start=args.start,
                    profile=not args.no_profile, compare=not args.no_compare, seed=args.seed, level=args.level,
                    n_starts=args.n_starts)
    if args.plot:
        fig = r.plot()
        try:
            fig.savefig(args.plot)
        except OSError as e:
            raise InvalidParameterError(f"--plot: cannot write {args.plot!r}: {e.strerror or e}") from None
    if args.json:
        _cli._dump_json(r.to_dict())
    elif args.csv:  # one row per parameter, SI units named in a column (they differ by row)
        from ._output import write_csv

        d = r.to_dict()
        names = list(d["interval95"])
        iv = [d["interval95"][p] or [None, None] for p in names]
        write_csv([("parameter", None, names), ("unit", None, [d["units"][p] for p in names]),
                   ("estimate", None, [_nan(d["estimates"].get(p)) for p in names]),
                   ("stderr", None, [_nan(d["stderr"].get(p)) for p in names]),
                   ("interval_low", None, [_nan(v[0]) for v in iv]), ("interval_high", None, [_nan(v[1]) for v in iv])])
    else:
        print(r.summary())
    return 0


def _nan(x):
    """A JSON number of the fit (None: undetermined) as a CSV float."""
    return float("nan") if x is None else float(x)


def cmd_design(args) -> int:
    from .. import sensing

    times = _times(args.times)
    ro = _readout(args.readout)
    res = sensing.design(args.truth, args.fit, initials=args.initials, times=times, total_shots=args.total_shots,
                         target=args.target, time_unit=args.time_unit, observables=args.observables, readout=ro)
    detect = None
    if "A" in [s.strip() for s in args.fit.split(",")]:
        try:
            detect = sensing.shots_to_detect(args.truth, res.protocol, args.fit, alpha=args.alpha, power=args.power)
        except InvalidParameterError as e:
            detect = {"error": str(e)}
    out = res.to_dict()
    out["shots_to_detect_A"] = detect
    if args.json:
        _cli._dump_json(out)
        return 0
    if args.csv:  # one row per setting of the protocol
        from ._output import write_csv

        rows = res.protocol.to_dict()["settings"]
        write_csv([("initial", None, [r["initial"] for r in rows]), ("time", args.time_unit, [r["time"] for r in rows]),
                   ("shots", None, [r["shots"] for r in rows])])
        return 0
    print(f"# magbell design: target {res.target}, {args.total_shots} shots, truth {args.truth}")
    print(f"# predicted stderr({res.target}) = {res.stderr:.6g} (uniform allocation: {res.stderr_uniform:.6g})")
    if detect and "total_shots" in detect:
        print(f"# shots to detect A != 0 at alpha = {args.alpha:g} with power {args.power:g}: "
              f"{detect['total_shots']:.4g} (this protocol scaled by {detect['scale']:.4g})")
    print(f"{'initial':>10} {'time [' + args.time_unit + ']':>14} {'shots':>10}")
    for row in res.protocol.to_dict()["settings"]:
        print(f"{row['initial']:>10} {row['time']:>14.6g} {row['shots']:>10d}")
    return 0


def cmd_simulate(args) -> int:
    from .. import sensing

    times = _times(args.times)
    ro = _readout(args.readout)
    proto = sensing.Protocol(args.initials, times, shots=args.shots, time_unit=args.time_unit,
                             observables=args.observables, readout_up=ro[0], readout_down=ro[1])
    if args.seed is not None and args.seed < 0:
        raise InvalidParameterError(f"--seed must be >= 0, got {args.seed}")
    data = sensing.simulate(args.truth, proto, seed=args.seed)
    if args.out:
        try:
            data.to_csv(args.out, time_unit=args.time_unit)
        except OSError as e:
            raise InvalidParameterError(f"--out: cannot write {args.out!r}: {e.strerror or e}") from None
        print(f"wrote {data.n} rows to {args.out}", file=sys.stderr)
    else:
        import csv

        cols = data.to_columns(args.time_unit)
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(list(cols))
        for i in range(data.n):
            w.writerow([repr(v) if isinstance(v, float) else v for v in (cols[k][i] for k in cols)])
    return 0


def _common(p, fit_default="a,A") -> None:
    p.add_argument("--time-unit", dest="time_unit", default="s", metavar="U",
                   help="unit of the times: s, ms, us, ns (default s); rates are always 1/s")


def _protocol_args(p, shots: bool) -> None:
    p.add_argument("--truth", required=True, metavar="P=V,...",
                   help="assumed parameters in SI, e.g. a=1e4,A=5e3,a_tilde=100 (a required)")
    p.add_argument("--initials", default="ud,dd", metavar="LIST", help="preparations, e.g. ud,dd,psi+ (default ud,dd)")
    p.add_argument("--times", required=True, metavar="T",
                   help="wait times in --time-unit: START:STOP:N or a comma-separated list")
    p.add_argument("--observables", default="populations", metavar="LIST",
                   help="populations (the four joint outcomes) and/or z1,z2,z1z2,cov (default populations)")
    p.add_argument("--readout", default=None, metavar="F[,F_DOWN]",
                   help="readout fidelities P(up|up)[,P(down|down)] of each qubit (default perfect)")
    _common(p)


def register(subparsers, parent, formatter) -> None:
    """Add ``fit``, ``design`` and ``simulate-experiment`` to the ``magbell`` parser."""
    p = subparsers.add_parser(
        "fit", formatter_class=formatter, allow_abbrev=False,
        help="fit a, A, a~, A~, ... to two-qubit relaxometry data (maximum likelihood, intervals, A = 0 test)",
        description="Maximum-likelihood estimate of model parameters from relaxometry data, with profile-"
                    "likelihood intervals, identifiability diagnostics and the A = 0 likelihood-ratio test.",
        epilog=_FIT_EPILOG)
    p.add_argument("data", metavar="DATA.csv", help="tidy CSV (see below)")
    p.add_argument("--fit", required=True, metavar="LIST", help="parameters to estimate, e.g. a,A,a_tilde")
    p.add_argument("--fix", default=None, metavar="P=V,...", help="fixed values in SI (others default to 0)")
    p.add_argument("--start", default=None, metavar="P=V,...", help="optional starting values in SI")
    _common(p)
    p.add_argument("--level", type=float, default=0.95, metavar="L", help="interval level (default 0.95)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the starting points (default 0)")
    p.add_argument("--n-starts", dest="n_starts", type=int, default=192, metavar="N",
                   help="starting points screened in one batched call (default 192; raise it for oscillating "
                        "couplings delta, Jperp, D)")
    p.add_argument("--no-profile", dest="no_profile", action="store_true",
                   help="Wald intervals (est +- z se) instead of profile likelihood (faster)")
    p.add_argument("--no-compare", dest="no_compare", action="store_true", help="skip the A = 0 test")
    p.add_argument("--plot", default=None, metavar="FILE", help="also save data vs fit with residuals (matplotlib)")
    from ._output import add_output_options

    add_output_options(p, json_help="print one JSON object instead of a summary",
                       csv_help="print CSV, one row per parameter: parameter, unit (SI), estimate, stderr, "
                                "interval_low, interval_high (nan: not determined)")
    p.set_defaults(func=cmd_fit)

    p = subparsers.add_parser(
        "design", formatter_class=formatter, allow_abbrev=False,
        help="choose preparations, wait times and shots that minimise the uncertainty of A (or a target)",
        description="Optimal (c-optimal) allocation of a shot budget over candidate settings, with the "
                    "Cramer-Rao prediction and the shots needed to detect A != 0.",
        epilog=_DESIGN_EPILOG)
    _protocol_args(p, shots=False)
    p.add_argument("--fit", default="a,A", metavar="LIST", help="parameters that will be fitted (default a,A)")
    p.add_argument("--target", default="A", metavar="P", help="parameter whose variance is minimised (default A)")
    p.add_argument("--total-shots", dest="total_shots", type=int, required=True, metavar="N",
                   help="shot budget over all settings")
    p.add_argument("--alpha", type=float, default=0.05, help="significance of the A = 0 test (default 0.05)")
    p.add_argument("--power", type=float, default=0.8, help="power of the A = 0 test (default 0.8)")
    from ._output import add_output_options

    add_output_options(p, csv_help="print the protocol as CSV, one row per setting: initial, time [--time-unit], shots")
    p.set_defaults(func=cmd_design)

    p = subparsers.add_parser(
        "simulate-experiment", formatter_class=formatter, allow_abbrev=False,
        help="seeded synthetic relaxometry data (CSV) from the exact model",
        description="Synthetic data for a protocol (preparations x wait times x shots, readout errors).",
        epilog=_SIM_EPILOG)
    _protocol_args(p, shots=True)
    p.add_argument("--shots", type=int, default=1000, metavar="N", help="shots per setting (default 1000)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default: fresh entropy)")
    p.add_argument("--out", default=None, metavar="FILE", help="CSV file to write (default: stdout)")
    p.set_defaults(func=cmd_simulate)
