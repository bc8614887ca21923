"""``magbell evolve | steady | spectrum``: the exact dynamics of the two-site Model from the command line."""

from __future__ import annotations

import math

import numpy as np

from ..solvers._evolve import evolve as _evolve
from ..errors import NonUniqueSteadyStateError
from ..system._two_site_states import BELL_STATES, STATE_NAMES
from ..solvers._steady import spectrum as _spectrum
from ..solvers._steady import steady_state as _steady_state
from ._output import GAMMA0, TIME_GAMMA0, add_output_options, complex_columns, write_csv
from ._parser import (
    _add_measures,
    _check_initial,
    _dump_json,
    _fmt,
    _measure_columns,
    _one_line,
    _parse_measures,
    _times_from_args,
    BASE_MEASURES,
    describe_model,
    model_from_args,
    model_params,
    POPULATION_LABELS,
    real,
)


def cmd_evolve(args) -> int:
    model, extra = model_from_args(args)
    measures = _parse_measures(args.measures)
    initial = _check_initial(args.initial)
    times = _times_from_args(args)
    res = _evolve(model, initial, times, measures=list(BASE_MEASURES) + measures)
    params = model_params(model, extra)
    params.update(t_min=float(args.t_min), t_max=float(args.t_max), points=int(args.points), initial=initial)
    if args.json:
        out = {
            "times": res.times,
            "concurrence": res.measures["concurrence"],
            "populations": res.measures["populations"],
        }
        for m in measures:
            out[m] = res.measures[m]
        out["params"] = params
        _dump_json(out)
        return 0
    if args.csv:
        write_csv([("t", TIME_GAMMA0, res.times)] + _csv_measures(res.measures, ["concurrence", "populations"] + measures))
        return 0
    cols = [("t", res.times), ("C", res.measures["concurrence"])]
    pops = res.measures["populations"]
    cols += [(lab, pops[:, i]) for i, lab in enumerate(POPULATION_LABELS)]
    for m in measures:
        cols += _measure_columns(m, res.measures[m])
    w = max(12, max(len(h) for h, _ in cols) + 1)
    print(f"# magbell evolve: {describe_model(model, extra)}")
    print(f"# initial |{initial}>, t from {args.t_min:g} to {args.t_max:g}, {args.points} points")
    print("".join(f"{h:>{w}}" for h, _ in cols))
    for k in range(len(res.times)):
        print("".join(_fmt(v[k], w) for _, v in cols))
    return 0


def _csv_measures(measures: dict, names: list) -> list:
    """CSV columns (name, unit, values) of measures over rows: vector measures one column per component
    (p_uu, ..., F_phi+, ...), units from the table the library's to_xarray uses."""
    from ..results import MEASURE_UNITS

    cols = []
    for m in names:
        v = np.asarray(measures[m])
        unit = MEASURE_UNITS.get(m, (None,))[0]
        if v.ndim == 2:
            labels = (POPULATION_LABELS if m == "populations" else [f"F_{b}" for b in BELL_STATES]
                      if m == "bell_fidelities" else [f"{m}_{i}" for i in range(v.shape[1])])
            cols += [(lab, unit, v[:, i]) for i, lab in enumerate(labels)]
        else:
            cols.append((m, unit, v))
    return cols


# ----------------------------------------------------------------------------- steady
def cmd_steady(args) -> int:
    model, extra = model_from_args(args)
    measures = _parse_measures(args.measures)
    initial = None if args.initial.lower() == "none" else _check_initial(args.initial)
    try:
        res = _steady_state(model, initial, measures=list(BASE_MEASURES) + measures)
    except NonUniqueSteadyStateError as e:
        raise NonUniqueSteadyStateError(f"{_one_line(e)} (command line: give --initial STATE)") from None
    rho = np.asarray(res.rho)
    params = model_params(model, extra)
    params["initial"] = initial
    out = {
        "concurrence": float(res.measures["concurrence"]),
        "unique": bool(res.unique),
        "n_stationary": int(res.n_stationary),
        "converges": bool(res.converges),
        "rho": {"re": rho.real, "im": rho.imag},
        "populations": res.measures["populations"],
    }
    for m in measures:
        out[m] = res.measures[m]
    out["params"] = params
    if args.json:
        _dump_json(out)
        return 0
    if args.csv:  # one row
        cols = _csv_measures({k: np.asarray(v)[None] for k, v in res.measures.items()}, ["concurrence"])
        cols += [("unique", None, [out["unique"]]), ("n_stationary", None, [out["n_stationary"]]),
                 ("converges", None, [out["converges"]])]
        cols += _csv_measures({k: np.asarray(v)[None] for k, v in res.measures.items()}, ["populations"] + measures)
        labels = [lab[2:] for lab in POPULATION_LABELS]
        for i, r in enumerate(labels):
            for j, c in enumerate(labels):
                cols += complex_columns(f"rho_{r}_{c}", None, rho[None, i, j])
        write_csv(cols)
        return 0
    print(f"# magbell steady: {describe_model(model, extra)}")
    print(f"# initial {'none (unique steady state)' if initial is None else '|' + initial + '>'}")
    print(f"concurrence C(inf) : {out['concurrence']:.12g}")
    print(f"unique             : {'yes' if out['unique'] else 'no'} ({out['n_stationary']} independent stationary state(s))")
    conv = "yes" if out["converges"] else "no (purely imaginary eigenvalues: rho is the time-averaged state)"
    print(f"converges          : {conv}")
    pops = res.measures["populations"]
    print("populations        : " + "  ".join(f"{lab}={float(p):.10g}" for lab, p in zip(POPULATION_LABELS, pops)))
    for m in measures:
        v = np.asarray(res.measures[m])
        if v.ndim:
            labels = [f"F_{b}" for b in BELL_STATES] if m == "bell_fidelities" else [str(i) for i in range(v.size)]
            print(f"{m:<19}: " + "  ".join(f"{lab}={float(x):.10g}" for lab, x in zip(labels, v)))
        else:
            print(f"{m:<19}: {float(v):.12g}")
    print("rho (real part), basis |uu>, |ud>, |du>, |dd>:")
    for row in rho.real:
        print("  " + "".join(_fmt(x, 14, 8) for x in row))
    if np.any(rho.imag != 0):
        print("rho (imaginary part):")
        for row in rho.imag:
            print("  " + "".join(_fmt(x, 14, 8) for x in row))
    return 0


# ----------------------------------------------------------------------------- spectrum
def cmd_spectrum(args) -> int:
    model, extra = model_from_args(args)
    sp = _spectrum(model)
    ev = np.asarray(sp.eigenvalues)
    out = {
        "eigenvalues": {"re": ev.real, "im": ev.imag},
        "slowest_rate": float(sp.slowest_rate),
        "entanglement_rate": float(sp.entanglement_rate),
        "entanglement_lifetime": float(sp.entanglement_lifetime),
        "regime": str(sp.regime),
        "params": model_params(model, extra),
    }
    if args.json:
        _dump_json(out)
        return 0
    if args.csv:  # one row per eigenvalue; the derived rates repeated on every row
        write_csv([("index", None, np.arange(ev.size))] + complex_columns("eigenvalue", GAMMA0, ev) + [
            ("slowest_rate", GAMMA0, out["slowest_rate"]), ("entanglement_rate", GAMMA0, out["entanglement_rate"]),
            ("entanglement_lifetime", TIME_GAMMA0, out["entanglement_lifetime"]), ("regime", None, out["regime"])])
        return 0
    print(f"# magbell spectrum: {describe_model(model, extra)}")
    print("Liouvillian eigenvalues (by decreasing real part):")
    print(f"{'#':>4}{'Re':>18}{'Im':>18}")
    for k, lam in enumerate(ev):
        print(f"{k:>4}{lam.real:>18.10g}{lam.imag:>18.10g}")
    def rate(x):
        return f"{x:.10g}" if math.isfinite(x) else "none (no decaying mode)"

    print(f"slowest decay rate    : {rate(out['slowest_rate'])}")
    print(f"entanglement rate     : {rate(out['entanglement_rate'])}  (slowest |q|=0 decay rate)")
    print(f"entanglement lifetime : {out['entanglement_lifetime']:.10g}")
    print(f"regime                : {out['regime']}")
    return 0



_EVOLVE_EPILOG = """\
examples:
  magbell evolve --a 1 --A 1 --delta 0.3 --t-max 5 --points 51
  magbell evolve --a 1 --A 1 --delta 0.3 --t-max 5 --points 51 --initial ud --json
  magbell evolve --a 30 --A 30 --ratio 0.1 --t-max 0.5 --measures negativity,purity

JSON keys: times, concurrence, populations ([p_uu, p_ud, p_du, p_dd] per time), one key per extra
measure (bell_fidelities: [F_phi+, F_phi-, F_psi+, F_psi-] per time), params.
CSV columns (--csv): t [1/Gamma0], concurrence, p_uu, p_ud, p_du, p_dd, then the extra measures
(F_phi+, ... for bell_fidelities; entanglement_of_formation [ebit]); Gamma0 is the unit of the rates given.
"""

_STEADY_EPILOG = """\
examples:
  magbell steady --a 1 --A 1 --at 0.1 --At 0.1
  magbell steady --a 1 --A 1 --ratio 0.1 --initial ud --json
  magbell steady --a 1 --A 0.5 --initial none

JSON keys: concurrence, unique, n_stationary, converges, rho ({"re": 4x4, "im": 4x4}), populations,
one key per extra measure, params.
"""

_SPECTRUM_EPILOG = """\
examples:
  magbell spectrum --a 1 --A 1 --delta 0.3
  magbell spectrum --a 30 --A 29 --temperature 0.05 --Delta-GHz 2.87 --json

JSON keys: eigenvalues ({"re": [16], "im": [16]}), slowest_rate, entanglement_rate,
entanglement_lifetime (null = infinite), regime, params.
CSV (--csv): one row per eigenvalue; inf is written inf.
"""


def register(sub, parent, formatter) -> None:
    """Add ``evolve``, ``steady`` and ``spectrum``."""
    states = ", ".join(STATE_NAMES)

    p = sub.add_parser("evolve", parents=[parent], formatter_class=formatter, allow_abbrev=False,
                       help="time evolution: concurrence and populations on a time grid",
                       description="Exact time evolution rho(t) = exp(L t) rho(0) (paper Eq. 2) on a uniform time grid.",
                       epilog=_EVOLVE_EPILOG)
    p.add_argument("--t-min", dest="t_min", type=real, default=0.0, metavar="T",
                   help="first time, in 1/(the unit of the rates) (default 0)")
    p.add_argument("--t-max", dest="t_max", type=real, default=5.0, metavar="T",
                   help="last time, in 1/(the unit of the rates) (default 5)")
    p.add_argument("--points", type=int, default=101, metavar="N", help="number of times (default 101)")
    p.add_argument("--initial", default="ud", metavar="STATE", help=f"initial state: {states} (default ud)")
    _add_measures(p)
    add_output_options(p, csv_help="print the table as plain CSV: t [1/Gamma0], concurrence, p_uu, ..., one row "
                                   "per time (Gamma0: the unit of the rates given)")
    p.set_defaults(func=cmd_evolve)

    p = sub.add_parser("steady", parents=[parent], formatter_class=formatter, allow_abbrev=False,
                       help="t -> infinity state from an initial state (or the unique steady state)",
                       description="The t -> infinity limit of rho(t): the projection of rho(0) onto the stationary "
                                   "states (initial-state dependent when they are not unique, e.g. |A| = a).",
                       epilog=_STEADY_EPILOG)
    p.add_argument("--initial", default="ud", metavar="STATE",
                   help=f"initial state: {states}, or 'none' for the unique steady state (error if not unique) "
                        "(default ud)")
    _add_measures(p)
    add_output_options(p, json_help="print one JSON object instead of a summary",
                       csv_help="print one CSV row (header: concurrence, unique, ..., p_uu, ..., rho_uu_uu_re, ...)")
    p.set_defaults(func=cmd_steady)

    p = sub.add_parser("spectrum", parents=[parent], formatter_class=formatter, allow_abbrev=False,
                       help="Liouvillian eigenvalues, slowest rate, entanglement lifetime, regime",
                       description="Eigenvalues of the Liouvillian and the derived rates and regime (magbell.spectrum).",
                       epilog=_SPECTRUM_EPILOG)
    add_output_options(p, csv_help="print CSV, one row per eigenvalue (eigenvalue_re/_im [Gamma0]; the rates, "
                                   "lifetime [1/Gamma0] and regime repeated on each row)")
    p.set_defaults(func=cmd_spectrum)
