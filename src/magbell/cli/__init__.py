"""Command-line interface: ``magbell evolve | steady | spectrum | reproduce``.

Every model option uses the paper's symbols (Zou, Zhang & Tserkovnyak, PRB 106, L180406, Eqs. 1–6,
S38); see ``magbell <command> --help``. Exit status: 0 on success, 2 on bad input (argparse's
rejections and magbell's validation errors alike are printed as ONE line ``magbell: error: <message>``
on stderr, argparse's with a pointer ``(see 'magbell <command> --help')``, never a usage block or a
traceback). Negative numbers in any notation (``--delta -1e-3``, ``-.5``, ``-inf``) are values.
No Python warning is printed: a NumPy RuntimeWarning during a computation stops it (a result computed
through an overflow or NaN is not printed) with one line and exit status 1, and so does any other
unexpected exception (``magbell: internal error: ...``); magbell's own warnings (e.g. the Markov check
of ``medium``) are one line ``magbell: warning: ...``.

JSON output (``--json``) is exactly one JSON object on stdout. Numbers are plain floats; complex
numbers are ``{"re": x, "im": y}`` (matrices ``{"re": [[...]], "im": [[...]]}``); quantities that are
infinite (e.g. an entanglement lifetime where the entanglement never decays) are ``null``; NaN never
appears.

The ``reproduce`` command runs the paper's reproduction, :mod:`magbell.paper` (data functions such as
``magbell.paper.fig2_data`` that return plain dicts with the full curves as NumPy arrays, and
``magbell.paper.reproduce_to`` for ``--out DIR``). It is imported inside that command only: the rest
of the CLI, like the library, never imports the paper's reproduction.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import math
import os
import re
import sys
import warnings

import numpy as np

from . import __version__
from .dynamics import evolve as _evolve
from .errors import InvalidParameterError, MagbellError, NonUniqueSteadyStateError
from .measures import MEASURES
from ._params import COMPLEX_PARAMS, MODEL_NAMES, add_cli_options, by_name, detailed_balance_rates
from ._params import thermal_ratio as _thermal_ratio
from .model import Model
from .states import BELL_STATES, STATE_NAMES, ket
from .steady import spectrum as _spectrum
from .steady import steady_state as _steady_state

__all__ = [
    "main",
    "build_parser",
    "model_from_args",
]

PROG = "magbell"
#: modules that add subcommands: each has ``register(subparsers, parent, formatter)`` which adds its
#: parsers (``parents=[parent]`` gives the shared model options) with ``set_defaults(func=...)``; the
#: function returns the exit status and raises magbell's ValueError subclasses on bad input.
SUBCOMMAND_MODULES: tuple = ("magbell.cli_postselect", "magbell.cli_medium", "magbell.cli_sweep", "magbell.cli_sensing")
#: most time points ``evolve`` accepts (memory guard)
MAX_POINTS = 1_000_000
#: measures ``evolve``/``steady`` always report
BASE_MEASURES = ("concurrence", "populations")
POPULATION_LABELS = ("p_uu", "p_ud", "p_du", "p_dd")
_COMPLEX_FIELDS = COMPLEX_PARAMS  # both from the parameter schema, magbell._params
_FIELD_ORDER = MODEL_NAMES
# Entanglement counted as persisting forever (lifetime = inf) when C(inf) exceeds this.
_STEADY_C_ATOL = 1e-9


# ----------------------------------------------------------------------------- helpers
#: what argparse must read as a value, never as an option: anything that starts like a negative number
#: (``-1``, ``-1e-3``, ``-.5``, ``-5nm``), and ``-inf``/``-nan`` in any case. No option of magbell starts
#: with ``-`` followed by a digit, a dot or these words, so nothing is lost.
_NEGATIVE_VALUE = re.compile(r"^-(?:\d|\.\d|inf(?:inity)?$|nan$)", re.IGNORECASE)


class MagbellArgumentParser(argparse.ArgumentParser):
    """The parser of ``magbell`` and of every subcommand (argparse gives subparsers the class of the
    parser that makes them, so modules in :data:`SUBCOMMAND_MODULES` get it too).

    Two changes to argparse: a rejection is ONE line on stderr, ``magbell: error: <argparse's message>
    (see 'magbell <command> --help')``, exit status 2, instead of the whole usage block; and negative
    numbers in any notation (``-1e-3``, ``-.5``, ``-inf``) are values, where argparse only reads
    ``-1`` and ``-0.5`` as numbers and takes ``--delta -inf`` for a missing value.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_VALUE

    def error(self, message):
        self.exit(2, f"{PROG}: error: {_one_line(message)} (see '{self.prog} --help')\n")

    def _get_values(self, action, arg_strings):
        # ``--A=--``: argparse drops the '--' and stores an empty list as the value; it is a value
        if action.nargs is None and list(arg_strings) == ["--"]:
            value = self._get_value(action, "--")
            self._check_value(action, value)
            return value
        return super()._get_values(action, arg_strings)


def real(text: str) -> float:
    """argparse ``type`` of every real-number option: ``float(text)``, refusing a subnormal value
    (0 < |x| < 2.2e-308: the typed digits are not represented, and the solvers' rank and scale decisions
    are not made for such numbers), in one line naming the option."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r}") from None
    if x != 0 and abs(x) < np.finfo(float).tiny:
        raise argparse.ArgumentTypeError(
            f"{text!r} is below the normal float64 range (0 < |x| < 2.2e-308 has lost its precision); give 0 "
            "or a larger value"
        )
    return x


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=30, width=100)


def _fail(message: str) -> InvalidParameterError:
    return InvalidParameterError(message)


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _finite_or_none(x):
    x = float(x) + 0.0  # + 0.0 turns -0.0 into 0.0
    return x if math.isfinite(x) else None


def _jsonable(obj):
    """NumPy arrays/scalars → plain Python; complex → {"re", "im"}; inf/NaN → None."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        if np.iscomplexobj(obj):
            return {"re": _jsonable(obj.real.tolist()), "im": _jsonable(obj.imag.tolist())}
        if obj.dtype.kind in "US":
            return obj.tolist()
        return _jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (complex, np.complexfloating)):
        return {"re": _finite_or_none(obj.real), "im": _finite_or_none(obj.imag)}
    if isinstance(obj, (float, np.floating)):
        return _finite_or_none(obj)
    if isinstance(obj, np.str_):
        return str(obj)
    return obj


def _dump_json(obj) -> None:
    sys.stdout.write(json.dumps(_jsonable(obj), allow_nan=False) + "\n")


def _fmt(x, width: int = 12, prec: int = 7) -> str:
    """Right-aligned number in ``width`` characters, always with at least one leading space."""
    x = float(x) + 0.0
    if math.isinf(x):
        return f"{'inf' if x > 0 else '-inf':>{width}}"
    return " " + f"{x:>{width - 1}.{prec}g}"


# ----------------------------------------------------------------------------- model options
def _model_parent() -> argparse.ArgumentParser:
    p = MagbellArgumentParser(add_help=False, allow_abbrev=False)
    g = p.add_argument_group(
        "model parameters (paper's symbols, one common unit of rate/energy, hbar = 1; Eqs. 1-6, S38)"
    )
    t = p.add_argument_group(
        "detailed balance (instead of --a-tilde/--A-tilde): a~ = r a, A~ = r A (and a~2 = r a2), r = exp(-beta Delta)"
    )
    # generated from the one parameter schema (magbell._params), like the sweep's keys
    add_cli_options(g, t, real)
    return p


def _check_finite(name: str, flag: str, value) -> None:
    if value is not None and not math.isfinite(value):
        raise _fail(f"{name} ({flag}) must be finite (no NaN or inf), got {value!r}")


def thermal_ratio(ratio=None, temperature=None, Delta_GHz=None) -> float:
    """r = e^{-βΔ} from ``ratio`` or from ``temperature`` [K] and ``Delta_GHz``: the one implementation of
    :mod:`magbell._params` that :meth:`magbell.Model.detailed_balance` uses (formula and error messages)."""
    return float(_thermal_ratio(ratio=ratio, temperature=temperature, Delta_GHz=Delta_GHz))


def model_from_args(args) -> tuple[Model, dict]:
    """The :class:`Model` described by the parsed model options, and a dict of how it was built
    (``A_phase`` and the detailed-balance inputs, for the ``params`` of the output)."""
    _check_finite("A_phase", "--A-phase", args.A_phase)
    phase = 1.0 if args.A_phase is None else complex(np.exp(1j * args.A_phase))
    thermal = args.ratio is not None or args.temperature is not None
    extra: dict = {"A_phase": args.A_phase if args.A_phase is not None else 0.0, "detailed_balance": None}
    if args.Delta_GHz is not None and args.temperature is None:
        raise _fail("--Delta-GHz is only used together with --temperature")
    if args.temperature is not None and args.Delta_GHz is None:
        raise _fail("--temperature needs --Delta-GHz (the mean qubit splitting in GHz, beta Delta = h f / k_B T)")
    if args.A_over_a is not None:
        _check_finite("A_over_a", "--A-over-a", args.A_over_a)
        if args.A is not None:
            raise _fail("give either --A or --A-over-a (A = A_over_a * a), not both")
    A_abs = args.A_over_a * args.a if args.A_over_a is not None else (0.0 if args.A is None else args.A)
    A = A_abs * phase
    if thermal:
        if args.ratio is not None and args.temperature is not None:
            raise _fail("give either --ratio or --temperature (with --Delta-GHz), not both")
        given = [by_name(n).shown for n in ("a_tilde", "A_tilde", "a_tilde2") if getattr(args, n) is not None]
        if given:
            how = "--ratio" if args.ratio is not None else "--temperature"
            raise _fail(
                f"{', '.join(given)} cannot be combined with {how}: detailed balance fixes a~ = r a and A~ = r A"
            )
        r = thermal_ratio(args.ratio, args.temperature, args.Delta_GHz)
        extra["detailed_balance"] = {
            "ratio": r,
            "temperature_K": args.temperature,
            "Delta_GHz": args.Delta_GHz,
        }
        # the one implementation (magbell._params), as Model.detailed_balance and the sweep: A~ = r A keeps
        # the phase of A; e^{-700} * 1e-10 is 0 here, not a refused subnormal
        db = detailed_balance_rates(r, args.a, A, args.a2)
        a_tilde, A_tilde = float(db["a_tilde"]), complex(db["A_tilde"])
        a_tilde2 = None if args.a2 is None else float(db["a_tilde2"])
    else:
        a_tilde = 0.0 if args.a_tilde is None else args.a_tilde
        A_tilde = (0.0 if args.A_tilde is None else args.A_tilde) * phase
        a_tilde2 = args.a_tilde2
    model = Model(
        a=args.a,
        A=A,
        a_tilde=a_tilde,
        A_tilde=A_tilde,
        delta=args.delta,
        Delta=args.Delta,
        d=args.d,
        D_deph=args.D_deph,
        Jz=args.Jz,
        Jperp=args.Jperp,
        D_dm=args.D_dm,
        a2=args.a2,
        a_tilde2=a_tilde2,
        d2=args.d2,
    )
    return model, extra


def model_params(model: Model, extra: dict | None = None) -> dict:
    """JSON-ready parameters of a single model: real fields as floats, ``A``, ``A_tilde``, ``D_deph``
    always as ``{"re", "im"}``; ``a2``/``a_tilde2``/``d2`` only when set; then ``extra``."""
    out = {}
    for name in _FIELD_ORDER:
        v = getattr(model, name)
        if v is None:
            continue
        v = complex(v) if name in _COMPLEX_FIELDS else float(v)
        out[name] = {"re": v.real, "im": v.imag} if name in _COMPLEX_FIELDS else v
    if extra:
        out.update(extra)
    return out


def describe_model(model: Model, extra: dict | None = None) -> str:
    """One-line description: the non-zero parameters (``a`` always), e.g. ``a=1, A=1, delta=0.3``."""
    parts = []
    for name, v in model_params(model).items():
        if isinstance(v, dict):
            z = complex(v["re"], v["im"])
            if z == 0:
                continue
            parts.append(f"{name}={z.real:g}" if z.imag == 0 else f"{name}={z.real:g}{z.imag:+g}j")
        elif v != 0 or name == "a":
            parts.append(f"{name}={v:g}")
    s = "model: " + ", ".join(parts)
    db = (extra or {}).get("detailed_balance")
    if db:
        if db.get("temperature_K") is not None:
            s += f" [detailed balance: T = {db['temperature_K']:g} K, f = {db['Delta_GHz']:g} GHz, r = {db['ratio']:.6g}]"
        else:
            s += f" [detailed balance: r = {db['ratio']:.6g}]"
    return s


def _parse_measures(text: str | None) -> list[str]:
    if not text:
        return []
    names = [m.strip() for m in text.split(",") if m.strip()]
    if names == ["all"]:
        return [m for m in MEASURES if m not in BASE_MEASURES]
    unknown = [m for m in names if m not in MEASURES]
    if unknown:
        raise _fail(f"unknown measure {unknown[0]!r} in --measures; known: {', '.join(MEASURES)} (or 'all')")
    out = []
    for m in names:
        if m not in BASE_MEASURES and m not in out:
            out.append(m)
    return out


def _check_initial(name: str) -> str:
    ket(name)  # raises InvalidStateError naming the state and the known names
    return name


def _measure_columns(name: str, values: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Table columns of one measure: (header, values over time)."""
    if values.ndim == 2:
        labels = [f"F_{b}" for b in BELL_STATES] if name == "bell_fidelities" else [f"{name}[{i}]" for i in range(values.shape[1])]
        return [(lab, values[:, i]) for i, lab in enumerate(labels)]
    short = {"entanglement_of_formation": "EoF", "log_negativity": "logneg"}.get(name, name)
    return [(short, values)]


# ----------------------------------------------------------------------------- evolve
def _times_from_args(args) -> np.ndarray:
    _check_finite("t_min", "--t-min", args.t_min)
    _check_finite("t_max", "--t-max", args.t_max)
    if args.t_min < 0:
        raise _fail(f"t_min (--t-min) must be >= 0, got {args.t_min:g}")
    if args.t_max < 0:
        raise _fail(f"t_max (--t-max) must be >= 0, got {args.t_max:g}")
    if args.points < 1:
        raise _fail(f"points (--points) must be >= 1, got {args.points}")
    if args.points > MAX_POINTS:
        raise _fail(f"points (--points) must be <= {MAX_POINTS}, got {args.points}")
    if args.t_max < args.t_min or (args.points > 1 and args.t_max == args.t_min):
        raise _fail(
            f"t_max (--t-max) = {args.t_max:g} must be greater than t_min (--t-min) = {args.t_min:g}"
        )
    return np.linspace(args.t_min, args.t_max, args.points)


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


def cmd_reproduce(args) -> int:
    from .paper import PRINTERS, reproduce  # the paper's reproduction: only this command imports it

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
    from ._optional import require
    from .paper import reproduce_to  # matplotlib is imported only when a figure is drawn

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
_EVOLVE_EPILOG = """\
examples:
  magbell evolve --a 1 --A 1 --delta 0.3 --t-max 5 --points 51
  magbell evolve --a 1 --A 1 --delta 0.3 --t-max 5 --points 51 --initial ud --json
  magbell evolve --a 30 --A 30 --ratio 0.1 --t-max 0.5 --measures negativity,purity

JSON keys: times, concurrence, populations ([p_uu, p_ud, p_du, p_dd] per time), one key per extra
measure (bell_fidelities: [F_phi+, F_phi-, F_psi+, F_psi-] per time), params.
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
"""

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

_MAIN_EPILOG = """\
examples:
  magbell evolve --a 1 --A 1 --delta 0.3 --t-max 5 --points 51 --json
  magbell steady --a 1 --A 1 --at 0.1 --At 0.1
  magbell spectrum --a 1 --A 1 --delta 0.3
  magbell reproduce

Bad input exits with status 2 and one line 'magbell: error: <message>' on stderr
(status 1: a numerical failure or an internal error, also one line; please report those).
"""


def _add_measures(p) -> None:
    p.add_argument("--measures", default=None, metavar="LIST",
                   help="comma-separated extra measures: " + ", ".join(m for m in MEASURES if m not in BASE_MEASURES)
                        + " (or 'all'); concurrence and populations are always reported")


def build_parser() -> argparse.ArgumentParser:
    parser = MagbellArgumentParser(
        prog=PROG,
        description="Two spin qubits entangled through a magnetic medium: exact Lindblad dynamics, steady "
                    "states and spectra (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022)).",
        epilog=_MAIN_EPILOG,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = _model_parent()
    states = ", ".join(STATE_NAMES)

    p = sub.add_parser("evolve", parents=[parent], formatter_class=_Formatter, allow_abbrev=False,
                       help="time evolution: concurrence and populations on a time grid",
                       description="Exact time evolution rho(t) = exp(L t) rho(0) (paper Eq. 2) on a uniform time grid.",
                       epilog=_EVOLVE_EPILOG)
    p.add_argument("--t-min", dest="t_min", type=real, default=0.0, metavar="T", help="first time (default 0)")
    p.add_argument("--t-max", dest="t_max", type=real, default=5.0, metavar="T", help="last time (default 5)")
    p.add_argument("--points", type=int, default=101, metavar="N", help="number of times (default 101)")
    p.add_argument("--initial", default="ud", metavar="STATE", help=f"initial state: {states} (default ud)")
    _add_measures(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=cmd_evolve)

    p = sub.add_parser("steady", parents=[parent], formatter_class=_Formatter, allow_abbrev=False,
                       help="t -> infinity state from an initial state (or the unique steady state)",
                       description="The t -> infinity limit of rho(t): the projection of rho(0) onto the stationary "
                                   "states (initial-state dependent when they are not unique, e.g. |A| = a).",
                       epilog=_STEADY_EPILOG)
    p.add_argument("--initial", default="ud", metavar="STATE",
                   help=f"initial state: {states}, or 'none' for the unique steady state (error if not unique) "
                        "(default ud)")
    _add_measures(p)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a summary")
    p.set_defaults(func=cmd_steady)

    p = sub.add_parser("spectrum", parents=[parent], formatter_class=_Formatter, allow_abbrev=False,
                       help="Liouvillian eigenvalues, slowest rate, entanglement lifetime, regime",
                       description="Eigenvalues of the Liouvillian and the derived rates and regime (magbell.spectrum).",
                       epilog=_SPECTRUM_EPILOG)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.set_defaults(func=cmd_spectrum)

    p = sub.add_parser("reproduce", formatter_class=_Formatter, allow_abbrev=False,
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

    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub, parent=parent, formatter=_Formatter)
    return parser


def _ensure_printable(stream) -> None:
    enc = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if enc != "utf8" and hasattr(stream, "reconfigure"):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # pragma: no cover
            pass


#: commands whose own code decides about NumPy's RuntimeWarnings (a sweep marks the points it could not
#: compute and runs tasks in threads, where a warning turned into an exception would fail a whole chunk):
#: for them a RuntimeWarning is reported as one ``magbell: warning:`` line instead of stopping the run.
_RUNTIME_WARNINGS_REPORTED = frozenset({"sweep"})


class _NumericalFailure(Exception):
    """A RuntimeWarning (NumPy overflow / invalid value, LAPACK trouble) raised during a command: the
    result would not be reliable, so none is printed."""


def _warning_line(message, category) -> str | None:
    """The CLI's line for a warning: magbell's own warnings (and, for the commands in
    :data:`_RUNTIME_WARNINGS_REPORTED`, RuntimeWarnings) as ONE line ``magbell: warning: ...``; warnings
    of other libraries (deprecations and the like) are not the user's business and are dropped."""
    ours = getattr(category, "__module__", "").startswith("magbell")
    if ours or issubclass(category, RuntimeWarning):
        return f"{PROG}: warning: {_one_line(message)}\n"
    return None


def _subparser(parser: argparse.ArgumentParser, name):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)
    return None


def _exit_status(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    sys.stderr.write(f"{PROG}: error: {_one_line(e.code)}\n")
    return 2


def _run(args) -> int:
    """Run the command with the CLI's warning policy; its stdout is held back until it has finished, so
    that a command that fails half-way prints nothing there (no half table, no half JSON object)."""
    strict = args.command not in _RUNTIME_WARNINGS_REPORTED
    held = io.StringIO()

    def show(message, category, filename, lineno, file=None, line=None):
        text = _warning_line(message, category)
        if text is not None:
            sys.stderr.write(text)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        if strict:
            warnings.simplefilter("error", RuntimeWarning)
        warnings.showwarning = show
        try:
            with contextlib.redirect_stdout(held):
                status = args.func(args)
        except RuntimeWarning as w:
            raise _NumericalFailure(_one_line(w)) from w
    sys.stdout.write(held.getvalue())
    sys.stdout.flush()
    return status


def main(argv=None) -> int:
    """Entry point of the ``magbell`` command; returns the exit status.

    The CLI's promise: exit 0 with the result on stdout (with ``--json`` exactly one JSON object), or
    exit 2 with ONE line ``magbell: error: <what is wrong with which argument>`` on stderr (argparse's
    rejections included), never a traceback or a stray warning. NumPy RuntimeWarnings during a
    computation are errors (a result computed through an overflow or a NaN is not printed), and any
    other unexpected exception is reported as one line ``magbell: internal error: ...`` with exit 1.
    """
    _ensure_printable(sys.stdout)
    _ensure_printable(sys.stderr)
    try:
        parser = build_parser()
        try:
            args, extra = parser.parse_known_args(argv)
            if extra:  # name the subcommand in the pointer to --help
                sub = _subparser(parser, getattr(args, "command", None)) or parser
                sub.error("unrecognized arguments: " + " ".join(extra))
        except SystemExit as e:  # --help, --version (0) and usage errors (2, already printed)
            return _exit_status(e)
        return _run(args)
    except (MagbellError, ValueError) as e:
        sys.stderr.write(f"{PROG}: error: {_one_line(e)}\n")
        return 2
    except BrokenPipeError:  # e.g. `magbell evolve ... | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when stdout is flushed at exit
        except (OSError, ValueError, AttributeError):  # pragma: no cover
            pass
        return 141
    except KeyboardInterrupt:
        return 130
    except SystemExit as e:  # a command that exits by itself
        return _exit_status(e)
    except _NumericalFailure as e:
        sys.stderr.write(
            f"{PROG}: error: numerical failure ({e}) with these parameters: no result printed because it would "
            "not be reliable; please report this input\n"
        )
        return 1
    except MemoryError:
        sys.stderr.write(f"{PROG}: error: out of memory; use fewer points or a smaller grid\n")
        return 1
    except Exception as e:  # last resort: one line, never a traceback
        sys.stderr.write(f"{PROG}: internal error: {type(e).__name__}: {_one_line(e)} (please report)\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
