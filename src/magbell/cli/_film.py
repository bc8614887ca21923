"""``magbell medium film``: NV centres above a magnetic film (dipolar stray-field coupling).

Hooked into ``magbell medium`` by :func:`attach` (called from :func:`magbell.cli._medium.register`); the
physics is :mod:`magbell.medium.stray`. Quantities carry units (``20nm``, ``22mT``, ``299K``, ``1GHz``,
angles ``54.7deg`` or ``0.95rad``, a bare number is degrees). Rates in 1/s, couplings in rad/s, frequencies
in Hz.
"""

from __future__ import annotations

import math
import re
import sys
import warnings

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["attach", "cmd_film", "parse_angle", "parse_thickness_modes"]

_EPILOG = """\
examples:
  magbell medium film --material YIG --thickness 20nm --field 22mT --field-angle 54.7deg --nv-axis 111 \\
                      --height 109nm --temperature 299K --json
  magbell medium film --thickness 20nm --field 22mT --field-angle 54.7deg --height 109nm --temperature 4K \\
                      --separation 50nm:1um:20 --direction 90deg --json

Geometry: film normal z, the film's top surface at z = 0, NV centres at height --height; --field-angle is
the polar angle of B from the normal, --field-azimuth its azimuth (default: the NV axis's azimuth, so
54.7356deg puts B along the NV axis). Ms defaults to the material's Ms(T) at --temperature (YIG:
141.6 kA/m at 295 K, 196.6 kA/m at 0 K); --ms overrides it. NV axes: 111, -1-11 (azimuth 0, 180 deg,
polar 54.74 deg), 1-1-1, -11-1 (azimuth +-90 deg, polar 125.26 deg), or a vector "x,y,z".

JSON keys: gamma (the single-NV relaxation rate of the transition, Rustagi et al. PRB 102, 220403(R)
(2020) Fig. 2b: (emission + absorption)/2 = a + a_tilde, 1/s), a, a_tilde, dephasing_d (the NV's pure
dephasing d, 1/s), qubit_frequency, band_bottom, kittel (Hz), regime, markov_ok, magnetisation_polar_deg,
units (the unit of each key), params; with --separation:
separation (m), direction_deg, A, A_tilde ({"re": [...], "im": [...]}, 1/s), J_perp, D_dm (rad/s),
A_over_a. See docs/medium.md section 11.

--thickness-modes M sums the film's M lowest unpinned thickness modes (Film(thickness_modes=M); default 1,
the thin-film lowest mode; at most 512). It matters for thick films: YIG, 22 mT at 54.7deg, NV 111 at
109 nm, 299 K: 3 modes raise a by 1e-9 at L = 20 nm and by 14 % at L = 200 nm (0.2 % at 0 K). Each mode costs
one k-space quadrature. params.thickness_modes records the value used (docs/medium.md section 11, "Thick films").
"""

_ANGLE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(deg|rad|°)?\s*$")


def parse_angle(text, option: str) -> float:
    """``"54.7deg"``, ``"0.95rad"`` or a bare number (degrees) → radians."""
    m = _ANGLE.match(str(text))
    if not m:
        raise InvalidParameterError(f"{option}: cannot read {text!r} as an angle (e.g. 54.7deg or 0.95rad)")
    v = float(m.group(1))
    if not math.isfinite(v):
        raise InvalidParameterError(f"{option}: {text!r} is not finite")
    return v if m.group(2) == "rad" else math.radians(v)


_INT = re.compile(r"^\s*\+?(\d{1,12})\s*$")


def parse_thickness_modes(text, option: str = "--thickness-modes") -> int:
    """The number of thickness modes M of ``--thickness-modes`` (``Film(thickness_modes=M)``): an integer
    1 <= M <= ``MAX_THICKNESS_MODES``, else one line naming ``option`` and the condition."""
    from ..medium.film import MAX_THICKNESS_MODES

    m = _INT.match(str(text))
    v = int(m.group(1)) if m else None
    if v is None or not 1 <= v <= MAX_THICKNESS_MODES:
        shown = str(text) if len(str(text)) <= 40 else str(text)[:37] + "..."
        raise InvalidParameterError(f"{option} must be an integer between 1 and {MAX_THICKNESS_MODES} (the number "
                                    f"of thickness modes summed), got {shown!r}")
    return v


def _axis(text):
    s = str(text).strip()
    if "," in s:
        try:
            v = [float(x) for x in s.split(",")]
        except ValueError:
            raise InvalidParameterError(f"--nv-axis: cannot read {text!r} as a vector x,y,z") from None
        if len(v) != 3:
            raise InvalidParameterError(f"--nv-axis: a vector needs 3 components, got {text!r}")
        return v
    return s


def cmd_film(args) -> int:
    from ._parser import _dump_json, _one_line
    from ..medium import units
    from ..medium.film_presets import nv_film_setup
    from ..medium.greens import MarkovWarning
    from ..medium.film import MAX_FIELD_T, THICKNESS_RANGE_M
    from ..medium.stray import MAX_HEIGHT_M, film_couplings

    def q(name, kind, flag, positive=True):
        v = getattr(args, name)
        if v is None:
            return None
        x = units.parse_quantity(v, kind, flag)
        if positive and not x > 0:
            raise InvalidParameterError(f"{flag} must be > 0, got {v!r}")
        return x

    L = q("thickness", "length", "--thickness")
    h = q("height", "length", "--height")
    B = q("field", "field", "--field", positive=False)
    if B < 0:
        raise InvalidParameterError(f"--field must be >= 0 (give its direction with --field-angle), got {args.field!r}")
    if not THICKNESS_RANGE_M[0] <= L <= THICKNESS_RANGE_M[1]:
        raise InvalidParameterError(f"--thickness must be between {THICKNESS_RANGE_M[0]:g} m and "
                                    f"{THICKNESS_RANGE_M[1]:g} m (the thin-film model's range), got {args.thickness!r}")
    if not B <= MAX_FIELD_T:
        raise InvalidParameterError(f"--field must be <= {MAX_FIELD_T:g} T (the film and NV models' range; laboratory "
                                    f"fields are below ~1e3 T), got {args.field!r}")
    if not h <= MAX_HEIGHT_M:
        raise InvalidParameterError(f"--height must be <= {MAX_HEIGHT_M:g} m (every rate is 0 in float64 far below "
                                    f"that), got {args.height!r}")
    T = q("temperature", "temperature", "--temperature", positive=False)
    if T < 0:
        raise InvalidParameterError(f"--temperature must be >= 0 K, got {args.temperature!r}")
    polar = parse_angle(args.field_angle, "--field-angle")
    if not 0 <= polar <= math.pi + 1e-12:
        raise InvalidParameterError(f"--field-angle must be between 0 and 180 deg, got {args.field_angle!r}")
    az = None if args.field_azimuth is None else parse_angle(args.field_azimuth, "--field-azimuth")
    mu = 0.0 if args.chemical_potential is None else 2 * math.pi * units.parse_quantity(
        args.chemical_potential, "frequency", "--chemical-potential")
    over = {}
    if args.ms is not None:
        over["Ms"] = q("ms", "magnetization", "--ms")
    if args.exchange is not None:
        over["exchange"] = q("exchange", "exchange", "--exchange", positive=False)
        if over["exchange"] < 0:
            raise InvalidParameterError(f"--exchange must be >= 0, got {args.exchange!r}")
    if args.damping is not None:
        d = units.parse_quantity(args.damping, "dimensionless", "--damping")
        if not d > 0:
            raise InvalidParameterError(f"--damping must be > 0, got {args.damping!r}")
        over["damping"] = d
    thr = units.parse_quantity(args.markov_threshold, "dimensionless", "--markov-threshold")
    if not (math.isfinite(thr) and thr > 0):
        raise InvalidParameterError(f"--markov-threshold must be > 0, got {args.markov_threshold!r}")
    if args.thickness_modes is not None:
        over["thickness_modes"] = parse_thickness_modes(args.thickness_modes)
    film, qubit = nv_film_setup(
        material=args.material, thickness=L, field=B, field_polar=polar, field_azimuth=az,
        nv_axis_=_axis(args.nv_axis), transition=args.transition, temperature=T, **over,
    )
    seps = None
    if args.separation is not None:
        seps = units.parse_values(args.separation, "length", "--separation", max_points=2000)
        if np.any(seps <= 0):
            raise InvalidParameterError(f"--separation must be > 0, got {args.separation!r}")
    elif args.direction is not None:
        raise InvalidParameterError("--direction needs --separation")
    direction = parse_angle(args.direction or "0", "--direction")
    caught = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MarkovWarning)
        single = film_couplings(film, [qubit], [[0.0, 0.0, h]], T, chemical_potential=mu, reactive=False,
                                markov_threshold=thr)
        pairs = []
        if seps is not None:
            for r in seps:
                pos = [[0.0, 0.0, h], [r * math.cos(direction), r * math.sin(direction), h]]
                try:
                    pairs.append(film_couplings(film, [qubit, qubit], pos, T, chemical_potential=mu,
                                                markov_threshold=thr).pair())
                except InvalidParameterError as e:
                    if "separation" not in str(e):
                        raise
                    raise InvalidParameterError(f"--separation {r:.6g} m: {e}") from None
    a = float(single.A[0, 0].real)
    at = float(single.A_tilde[0, 0].real)
    f = film.describe()
    result = {
        "gamma": a + at,
        "a": a,
        "a_tilde": at,
        "qubit_frequency": qubit.frequency / (2 * math.pi),
        "band_bottom": single.band_bottom / (2 * math.pi),
        "kittel": f["kittel_Hz"],
        "regime": single.regime[0],
        "markov_ok": bool(single.markov_ok),
        "magnetisation_polar_deg": f["magnetisation_polar_deg"],
        "dephasing_d": float(single.D_deph[0, 0].real),
        "units": {"gamma": "1/s", "a": "1/s", "a_tilde": "1/s", "qubit_frequency": "Hz", "band_bottom": "Hz",
                  "kittel": "Hz", "A": "1/s", "A_tilde": "1/s", "J_perp": "rad/s", "D_dm": "rad/s", "separation": "m",
                  "dephasing_d": "1/s"},
        "params": {**f, "nv_axis": qubit.info["axis"], "transition": args.transition, "height_m": h,
                   "temperature_K": T, "chemical_potential_Hz": mu / (2 * math.pi), "markov_threshold": thr},
    }
    if seps is not None:
        A = np.array([p["A"] for p in pairs])
        At = np.array([p["A_tilde"] for p in pairs])
        result.update(
            separation=seps,
            direction_deg=math.degrees(direction),
            A=A,
            A_tilde=At,
            J_perp=np.array([p["Jperp"] for p in pairs]),
            D_dm=np.array([p["D_dm"] for p in pairs]),
            A_over_a=np.abs(A) / a if a > 0 else np.zeros(len(pairs)),
        )
    for w in caught:
        if issubclass(w.category, MarkovWarning):
            result["markov_ok"] = False
            sys.stderr.write(f"magbell: warning: {_one_line(w.message)}\n")
    if args.json:
        _dump_json(result)
        return 0
    if args.csv:  # one row per separation (one row without --separation); the single-NV values on every row
        from ._output import complex_columns, write_csv

        u = result["units"]
        cols = [(k, u.get(k), result[k]) for k in ("gamma", "a", "a_tilde", "dephasing_d", "qubit_frequency",
                                                  "band_bottom", "kittel")]
        cols += [("regime", None, result["regime"]), ("markov_ok", None, result["markov_ok"]),
                 ("magnetisation_polar", "deg", result["magnetisation_polar_deg"])]
        if seps is not None:
            cols += [("separation", "m", seps), ("direction", "deg", result["direction_deg"])]
            cols += complex_columns("A", "1/s", result["A"]) + complex_columns("A_tilde", "1/s", result["A_tilde"])
            cols += [("J_perp", "rad/s", result["J_perp"]), ("D_dm", "rad/s", result["D_dm"]),
                     ("A_over_a", None, result["A_over_a"])]
        write_csv(cols)
        return 0
    print(f"# magbell medium film: {film.name} L = {L * 1e9:.6g} nm, B = {B * 1e3:.6g} mT at {math.degrees(polar):.6g} deg, "
          f"NV {args.nv_axis} ({args.transition}) at {h * 1e9:.6g} nm, T = {T:.6g} K"
          + (f", {film.thickness_modes} thickness modes" if film.thickness_modes > 1 else ""))
    print(f"qubit frequency : {result['qubit_frequency'] / 1e9:.6g} GHz  ({result['regime']})")
    print(f"band bottom     : {result['band_bottom'] / 1e9:.6g} GHz   (Kittel {result['kittel'] / 1e9:.6g} GHz)")
    print(f"gamma           : {result['gamma']:.6g} 1/s   (a = {a:.6g} 1/s, a_tilde = {at:.6g} 1/s)")
    if seps is not None:
        print(f"{'r[nm]':>10}{'|A|/a':>12}{'arg A':>10}{'J_perp[rad/s]':>16}{'D_dm[rad/s]':>14}")
        for r, p in zip(seps, pairs):
            ratio = abs(p["A"]) / a if a > 0 else 0.0
            print(f"{r * 1e9:>10.6g}{ratio:>12.6g}{np.angle(p['A']):>10.4g}{p['Jperp']:>16.6g}{p['D_dm']:>14.6g}")
    return 0


def attach(medium_parser, formatter=None) -> None:
    """Add the ``film`` sub-command under ``magbell medium`` (the existing ``magbell medium --model ...``
    form keeps working: its required ``--separation`` is enforced when no sub-command is given)."""
    kw = {"formatter_class": formatter} if formatter is not None else {}
    sub = medium_parser.add_subparsers(dest="medium_command", metavar="{film}", required=False)
    p = sub.add_parser(
        "film", allow_abbrev=False, help="NV centres above a magnetic film (dipolar stray-field coupling)",
        description="Relaxation rate of one NV centre and the two-NV couplings A, A~, J_perp from the stray-field "
                    "noise of a thin magnetic film (Rustagi et al. 2020; docs/medium.md section 11).",
        epilog=_EPILOG, **kw,
    )
    g = p.add_argument_group("film")
    g.add_argument("--material", default="YIG", choices=("YIG", "Py", "permalloy"), help="film material (default YIG)")
    g.add_argument("--thickness", required=True, metavar="L", help="film thickness, e.g. 20nm")
    g.add_argument("--ms", default=None, metavar="M", help="override Ms, e.g. 142kA/m (default: the material's Ms(T))")
    g.add_argument("--exchange", default=None, metavar="A_EX", help="override the exchange stiffness, e.g. 3.7pJ/m")
    g.add_argument("--damping", default=None, metavar="ALPHA", help="override the Gilbert damping (> 0)")
    g.add_argument("--thickness-modes", dest="thickness_modes", default=None, metavar="M",
                   help="unpinned thickness modes summed, an integer 1 to 512 (default 1: the thin-film lowest mode; "
                        "more for thick films, each costs one quadrature)")
    f = p.add_argument_group("field and NV")
    f.add_argument("--field", required=True, metavar="B", help="field magnitude, e.g. 22mT")
    f.add_argument("--field-angle", dest="field_angle", default="90deg", metavar="ANGLE",
                   help="polar angle of B from the film normal, e.g. 54.7deg (default 90deg: in plane)")
    f.add_argument("--field-azimuth", dest="field_azimuth", default=None, metavar="DEG",
                   help="azimuth of B (default: the NV axis's azimuth)")
    f.add_argument("--nv-axis", dest="nv_axis", default="111", metavar="AXIS",
                   help="111, -1-11, 1-1-1, -11-1 or a vector x,y,z (default 111)")
    f.add_argument("--transition", choices=("minus", "plus"), default="minus", help="0<->-1 or 0<->+1 (default minus)")
    f.add_argument("--height", required=True, metavar="Z", help="NV height above the film's top surface, e.g. 109nm")
    e = p.add_argument_group("evaluation")
    e.add_argument("--temperature", default="0K", metavar="T", help="temperature, e.g. 299K (default 0K)")
    e.add_argument("--chemical-potential", dest="chemical_potential", default=None, metavar="F",
                   help="magnon chemical potential mu/2pi, e.g. 1GHz (below the band bottom and the qubit)")
    e.add_argument("--separation", default=None, metavar="R",
                   help="second NV at lateral distance R: one value, a list, or START:STOP:N (e.g. 50nm:1um:20)")
    e.add_argument("--direction", default=None, metavar="DEG", help="in-plane direction of the separation (default 0deg)")
    e.add_argument("--markov-threshold", dest="markov_threshold", default="0.1", metavar="X",
                   help="Markov check threshold (default 0.1)")
    from ._output import add_output_options

    add_output_options(e, json_help="print one JSON object",
                       csv_help="print CSV: gamma, a, a_tilde, dephasing_d [1/s], frequencies [Hz], ..., and with "
                                "--separation one row per separation with A_re, A_im, A_tilde_re, A_tilde_im [1/s], "
                                "J_perp, D_dm [rad/s], A_over_a")
    p.set_defaults(func=cmd_film)

    # the plain `magbell medium` form: --separation was required there; keep that rule without argparse
    sep = next((a for a in medium_parser._actions if "--separation" in a.option_strings), None)
    if sep is not None and sep.required:
        sep.required = False
        plain = medium_parser.get_default("func")

        def checked(args, _plain=plain, _p=medium_parser):
            if getattr(args, "separation", None) is None:
                _p.error("the following arguments are required: --separation")
            return _plain(args)

        medium_parser.set_defaults(func=checked)

