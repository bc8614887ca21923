"""Command-line subcommands for the postselected scheme: ``postselect``, ``monitor``, ``trajectories``.

Registered by :data:`magbell.cli.SUBCOMMAND_MODULES` (``"magbell.cli._postselect"``) through
:func:`register`. They share the model options of the other commands (paper's symbols) and the JSON
conventions of :mod:`magbell.cli`: one JSON object on stdout, complex numbers as ``{"re", "im"}``, infinite
or undefined numbers as ``null``. Bad input exits with status 2 and one line ``magbell: error: <reason>``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _parser as _cli
from ._output import TIME_GAMMA0, add_output_options, write_csv
from ..solvers._monitor import KINDS, monitor
from ..solvers._nonhermitian import postselect_spectrum
from ..solvers._postselect import SCHEMES, postselect
from ..solvers._trajectories import trajectories
from ..errors import InvalidParameterError
from ..system._two_site_states import STATE_NAMES

__all__ = ["register", "cmd_postselect", "cmd_monitor", "cmd_trajectories", "MAX_TRAJECTORY_STATES"]

#: most stored trajectory states (n × points) the command accepts (memory guard: 64 bytes each)
MAX_TRAJECTORY_STATES = 5_000_000

_POSTSELECT_EPILOG = """\
examples:
  magbell postselect --a 2 --A 2 --delta 0 --t-max 3 --points 301 --json
  magbell postselect --a 2 --A 2 --delta 2 --t-max 3 --points 7          # the exceptional point
  magbell postselect --a 1 --A 0.8 --d 0.1 --scheme subspace --initial singlet

The normalised no-jump evolution of Eq. (13) with H_eff = H - i sum_k J_k^dag J_k (Eq. 12), including the
coherent couplings and dephasing of the model. --scheme subspace: the |sigma1z + sigma2z| = 0 postselection at
infinite measurement rate (projects the initial state; dephasing jumps are not forbidden).
JSON keys: times, concurrence, success_probability, log_success_probability (exact where P underflows),
bell_fidelity (to the model's asymptotic Bell state (|ud> + e^{i phi}|du>)/sqrt 2), phase (PT-broken,
exceptional-point, PT-exact; 'degenerate' only when H_eff is a multiple of 1 on the subspace),
exceptional_point_delta (null if none), params.
CSV columns (--csv): t [1/Gamma0], concurrence, success_probability, log_success_probability, bell_fidelity.
"""

_MONITOR_EPILOG = """\
examples:
  magbell monitor --a 2 --A 1.5 --at 0.5 --At 0.3 --tau-m 0.01 --t-max 3 --json
  magbell monitor --a 2 --A 1.5 --at 0.5 --At 0.3 --tau-m 0.5 --kind continuous
  magbell monitor --a 2 --A 1.5 --tau-m inf --no-readout     # no monitoring after t = 0: the Lindblad evolution

Projective measurements of |sigma1z + sigma2z| every tau_m (or, --kind continuous, monitoring at rate
1/tau_m) with postselection on 0, Lindblad evolution in between; a measurement at t = 0 and (unless
--no-readout) at every reported time. tau_m -> 0 gives 'magbell postselect --scheme subspace'.
JSON keys: times, concurrence, success_probability, log_success_probability, bell_fidelity, phase,
exceptional_point_delta, tau_m, kind, readout, params.
CSV columns (--csv): t [1/Gamma0], concurrence, success_probability, log_success_probability, bell_fidelity.
"""

_TRAJECTORIES_EPILOG = """\
examples:
  magbell trajectories --a 1 --A 1 --delta 0.3 --n 10000 --seed 1 --json
  magbell trajectories --a 1 --A 0.8 --at 0.2 --n 2000 --seed 7 --select no-J3

Monte Carlo wave-function unravelling of Eq. (11) (exact jump times, seeded). The columns refer to the
sub-ensemble selected by --select (default no-jump: Eq. 13; 'all': the whole ensemble, i.e. Eq. 2;
'no-J3' or 'no-J3,J4': no jump in those channels), with statistical standard errors.
JSON keys: times, concurrence, success_probability (selected fraction), success_probability_stderr,
log_success_probability, bell_fidelity, ensemble_concurrence (whole ensemble), kept (trajectories in the
sub-ensemble per time), jump_counts, mean_jumps, n, seed, select, params.
CSV columns (--csv): t [1/Gamma0], concurrence, success_probability, success_probability_stderr,
log_success_probability, bell_fidelity, ensemble_concurrence, kept (nan where no trajectory is kept).
"""


def _times(args) -> np.ndarray:
    return _cli._times_from_args(args)


def _add_time_options(p, points: int) -> None:
    p.add_argument("--t-min", dest="t_min", type=_cli.real, default=0.0, metavar="T",
                   help="first time, in 1/(the unit of the rates) (default 0)")
    p.add_argument("--t-max", dest="t_max", type=_cli.real, default=5.0, metavar="T",
                   help="last time, in 1/(the unit of the rates) (default 5)")
    p.add_argument("--points", type=int, default=points, metavar="N", help=f"number of times (default {points})")
    p.add_argument("--initial", default="ud", metavar="STATE",
                   help=f"initial state: {', '.join(STATE_NAMES)} (default ud)")
    add_output_options(p, csv_help="print the table as plain CSV, one row per time (t [1/Gamma0]; Gamma0: the unit "
                                   "of the rates given)")


def _spectral(model) -> tuple[str, object]:
    sp = postselect_spectrum(model)
    d = float(sp.exceptional_point_delta)
    return str(sp.phase), (d if math.isfinite(d) else None)


def _table(title_lines, cols) -> None:
    w = max(14, max(len(h) for h, _ in cols) + 1)
    for line in title_lines:
        print(line)
    print("".join(f"{h:>{w}}" for h, _ in cols))
    n = len(cols[0][1])
    for k in range(n):
        print("".join(_cli._fmt(v[k], w, 8) for _, v in cols))


def _emit_conditional(args, res, phase, d_ep, params, extra_json: dict, header: list) -> int:
    """Output of postselect/monitor: one JSON object (keys of the issue, then ``extra_json``) or a table."""
    if args.json:
        _cli._dump_json({
            "times": res.times,
            "concurrence": res.concurrence,
            "success_probability": res.success_probability,
            "log_success_probability": res.log_success_probability,
            "bell_fidelity": res.bell_fidelity,
            "phase": phase,
            "exceptional_point_delta": d_ep,
            **extra_json,
            "params": params,
        })
        return 0
    if args.csv:
        write_csv([("t", TIME_GAMMA0, res.times), ("concurrence", None, res.concurrence),
                   ("success_probability", None, res.success_probability),
                   ("log_success_probability", None, res.log_success_probability),
                   ("bell_fidelity", None, res.bell_fidelity)])
        return 0
    _table(header, [("t", res.times), ("C", res.concurrence), ("P", res.success_probability),
                    ("log P", res.log_success_probability), ("F_bell", res.bell_fidelity)])
    return 0


def cmd_postselect(args) -> int:
    model, extra = _cli.model_from_args(args)
    initial = _cli._check_initial(args.initial)
    times = _times(args)
    res = postselect(model, initial, times, scheme=args.scheme, measures=("concurrence", "bell_fidelity"))
    phase, d_ep = _spectral(model)
    params = _cli.model_params(model, extra)
    params.update(t_min=float(args.t_min), t_max=float(args.t_max), points=int(args.points), initial=initial,
                  scheme=args.scheme)
    b = res.bell_state
    return _emit_conditional(args, res, phase, d_ep, params, {}, [
        f"# magbell postselect: {_cli.describe_model(model, extra)}",
        f"# initial |{initial}>, scheme {args.scheme}, phase {phase}, exceptional point at delta = "
        + ("none" if d_ep is None else f"{d_ep:.10g}"),
        f"# bell_fidelity: to (|ud> + ({b[2].real * math.sqrt(2):.6g}{b[2].imag * math.sqrt(2):+.6g}i)|du>)/sqrt2",
    ])


def cmd_monitor(args) -> int:
    model, extra = _cli.model_from_args(args)
    initial = _cli._check_initial(args.initial)
    times = _times(args)
    _cli._check_finite("tau_m", "--tau-m", args.tau_m if args.tau_m != float("inf") else 1.0)
    if not args.tau_m > 0:
        raise InvalidParameterError(f"tau_m (--tau-m) must be > 0, got {args.tau_m:g}")
    res = monitor(model, initial, times, args.tau_m, kind=args.kind, readout=not args.no_readout,
                  measures=("concurrence", "bell_fidelity"))
    phase, d_ep = _spectral(model)
    params = _cli.model_params(model, extra)
    params.update(t_min=float(args.t_min), t_max=float(args.t_max), points=int(args.points), initial=initial)
    extra_json = {"tau_m": float(args.tau_m), "kind": args.kind, "readout": not args.no_readout}
    return _emit_conditional(args, res, phase, d_ep, params, extra_json, [
        f"# magbell monitor: {_cli.describe_model(model, extra)}",
        f"# initial |{initial}>, {args.kind} monitoring, tau_m = {args.tau_m:g}, "
        f"readout {'on' if not args.no_readout else 'off'}, phase {phase}",
    ])


def cmd_trajectories(args) -> int:
    model, extra = _cli.model_from_args(args)
    initial = _cli._check_initial(args.initial)
    times = _times(args)
    if args.n < 1:
        raise InvalidParameterError(f"n (--n) must be >= 1, got {args.n}")
    if args.n * len(times) > MAX_TRAJECTORY_STATES:
        raise InvalidParameterError(
            f"n x points = {args.n * len(times)} stored states exceeds {MAX_TRAJECTORY_STATES}; "
            "lower --n or --points"
        )
    if args.seed is not None and args.seed < 0:
        raise InvalidParameterError(f"seed (--seed) must be >= 0, got {args.seed}")
    # (this dict was called ``extra`` and replaced the model's: the JSON params and the header lost A_phase and
    # detailed_balance — ratio/temperature — and listed max_jumps_per_trajectory among the model parameters)
    limits = {} if args.max_jumps is None else {"max_jumps_per_trajectory": args.max_jumps}
    tr = trajectories(model, initial, times, n=args.n, seed=args.seed, **limits)
    sel = tr.average(args.select)
    full = tr.average()
    bell = postselect_spectrum(model).bell_state
    with np.errstate(invalid="ignore"):
        fid = np.real(np.einsum("i,tij,j->t", bell.conj(), sel.rho, bell))
        with np.errstate(divide="ignore"):
            logp = np.log(sel.fraction)
    counts = tr.jump_counts()
    params = _cli.model_params(model, extra)
    params.update(t_min=float(args.t_min), t_max=float(args.t_max), points=int(args.points), initial=initial,
                  **limits)
    if args.json:
        _cli._dump_json({
            "times": tr.times,
            "concurrence": sel.concurrence,
            "success_probability": sel.fraction,
            "success_probability_stderr": sel.fraction_stderr,
            "log_success_probability": logp,
            "bell_fidelity": fid,
            "ensemble_concurrence": full.concurrence,
            "kept": sel.count,
            "jump_counts": counts,
            "mean_jumps": float(np.mean(tr.n_jumps)),
            "n": int(args.n),
            "seed": args.seed,
            "select": args.select,
            "params": params,
        })
        return 0
    if args.csv:
        write_csv([("t", TIME_GAMMA0, tr.times), ("concurrence", None, sel.concurrence),
                   ("success_probability", None, sel.fraction),
                   ("success_probability_stderr", None, sel.fraction_stderr),
                   ("log_success_probability", None, logp), ("bell_fidelity", None, fid),
                   ("ensemble_concurrence", None, full.concurrence), ("kept", None, sel.count)])
        return 0
    header = [
        f"# magbell trajectories: {_cli.describe_model(model, extra)}",
        f"# initial |{initial}>, n = {args.n}, seed = {args.seed}, select {args.select}; jumps: "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if v),
    ]
    empty = sel.count == 0
    if np.any(empty):  # an empty sub-ensemble has no state: C_sel, F_bell are nan there, say so once
        header.append(
            f"# no trajectory kept by --select {args.select} at {int(empty.sum())} of {len(empty)} times "
            f"(first t = {tr.times[np.argmax(empty)]:g}): C_sel and F_bell are undefined (nan) there; raise --n"
        )
    _table(
        header,
        [("t", tr.times), ("C_sel", sel.concurrence), ("P_sel", sel.fraction), ("P_stderr", sel.fraction_stderr),
         ("kept", sel.count), ("F_bell", fid), ("C_all", full.concurrence)],
    )
    return 0


def _select(text: str) -> str:
    from ..solvers._trajectories import _as_predicate

    _as_predicate(text)  # validates: raises InvalidParameterError with the reason
    return text


def register(subparsers, parent, formatter) -> None:
    """Add ``postselect``, ``monitor`` and ``trajectories`` to the ``magbell`` parser."""
    p = subparsers.add_parser(
        "postselect", parents=[parent], formatter_class=formatter, allow_abbrev=False,
        help="postselected no-jump evolution (Eq. 13): concurrence, success probability, PT phase",
        description="Normalised conditional evolution of Eq. (13) and its success probability, exact at the "
                    "exceptional point and at long times.",
        epilog=_POSTSELECT_EPILOG)
    _add_time_options(p, 101)
    p.add_argument("--scheme", choices=SCHEMES, default="no-jump",
                   help="no-jump (Eq. 13 on the full space, default) or subspace (|sz1 + sz2| = 0 postselection)")
    p.set_defaults(func=cmd_postselect)

    p = subparsers.add_parser(
        "monitor", parents=[parent], formatter_class=formatter, allow_abbrev=False,
        help="finite-rate monitoring of |sz1 + sz2| with postselection on 0",
        description="Postselected dynamics with measurements every tau_m (the paper's Discussion).",
        epilog=_MONITOR_EPILOG)
    _add_time_options(p, 101)
    p.add_argument("--tau-m", dest="tau_m", type=_cli.real, required=True, metavar="TAU",
                   help="measurement period (periodic) or inverse monitoring rate (continuous), > 0, in the "
                        "unit of the times; inf: no measurement after t = 0 (required)")
    p.add_argument("--kind", choices=KINDS, default="periodic", help="monitoring model (default periodic)")
    p.add_argument("--no-readout", dest="no_readout", action="store_true",
                   help="do not measure at the reported times (state between measurements)")
    p.set_defaults(func=cmd_monitor)

    p = subparsers.add_parser(
        "trajectories", parents=[parent], formatter_class=formatter, allow_abbrev=False,
        help="quantum trajectories (Monte Carlo wave function) with jump records and postselection",
        description="Seeded quantum-jump unravelling of Eq. (11); postselection of the ensemble on the records.",
        epilog=_TRAJECTORIES_EPILOG)
    _add_time_options(p, 51)
    p.add_argument("--n", type=int, default=1000, metavar="N", help="number of trajectories (default 1000)")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="random seed (default: fresh entropy)")
    p.add_argument("--max-jumps", dest="max_jumps", type=int, default=None, metavar="J",
                   help="refuse runs expecting more than J jumps per trajectory (default 3000, ~1-2 ms a jump)")
    p.add_argument("--select", type=str, default="no-jump", metavar="SEL",
                   help="sub-ensemble: no-jump (default), all, no-J3, no-J3,J4, ... (channels J1..J6)")
    p.set_defaults(func=cmd_trajectories)
