"""Shared pieces of the command line: the parser class, value types, JSON and table output, the
model options (generated from the parameter schema, magbell._params) and their reading into a Model.

Every command group (``magbell.cli._dynamics``, ``_reproduce``, ``_postselect``, ``_medium``, ``_sweep``,
``_sensing``) imports its helpers from here; :mod:`magbell.cli` assembles the parser and runs it."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

import numpy as np

from ..errors import InvalidParameterError
from ..measures._two_qubit import MEASURES
from .._params import COMPLEX_PARAMS, MODEL_NAMES, add_cli_options, by_name, detailed_balance_rates
from .._params import thermal_ratio as _thermal_ratio
from ..system._model import Model
from ..system._two_site_states import BELL_STATES, ket

PROG = "magbell"
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



def _add_measures(p) -> None:
    p.add_argument("--measures", default=None, metavar="LIST",
                   help="comma-separated extra measures: " + ", ".join(m for m in MEASURES if m not in BASE_MEASURES)
                        + " (or 'all'); concurrence and populations are always reported")


