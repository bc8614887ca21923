"""``magbell medium``: couplings of two qubits through a magnon medium, in physical units.

Registered through :data:`magbell.cli.SUBCOMMAND_MODULES` (``register(subparsers, parent, formatter)``).
The command has its own physical options (it does not use the model options): quantities are written
with units (``200nm``, ``4K``, ``2.87GHz``, ``40mT``, ``140kA/m``, ``3.65pJ/m``), see
:mod:`magbell.medium.units`. Rates are reported in 1/s and coherent couplings in rad/s (ħ = 1), and in
the dimensionless units the dynamics uses (``--json`` key ``dimensionless``).
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np

from ..errors import InvalidParameterError
from ..medium import presets, units
from ..medium.greens import MarkovWarning

__all__ = ["cmd_medium", "register", "setup_from_args"]

_EPILOG = """\
which model:
  magbell medium film ...   NV centres above a real magnetic film (YIG, permalloy): dipolar stray-field
                            coupling, dipole-exchange spin waves, LLG noise (docs/medium.md section 11).
                            This is the model for NV + YIG; Python: magbell.medium.FilmSetup.
  magbell medium --model M  the paper's contact coupling lambda*sigma.S to an exchange-only magnon medium
                            (bulk3d | film2d | chain1d, closed forms, docs/medium.md section 8): an
                            idealised medium, not a real NV-above-film device; Python: PhysicalSetup.

examples:
  magbell medium film --thickness 20nm --field 22mT --field-angle 54.7deg --height 109nm \\
                      --temperature 4K --separation 50nm:1um:20 --json
  magbell medium --model bulk3d --field 40mT --separation 200nm --temperature 4K
  magbell medium --model film2d --thickness 20nm --field 40mT --separation 50nm:1000nm:20 --json
  magbell medium --model chain1d --cross-section 2500nm^2 --qubit-frequency 1.75GHz --gap 1.12GHz \\
                 --separation 100nm,200nm,400nm --temperature 50mK

Contact-model defaults: an NV centre (ms = 0 <-> -1, Delta/2pi = 2.87 GHz - 28.03 GHz/T * B) on YIG
(Ms = 140 kA/m, A_ex = 3.65 pJ/m, alpha = 1e-4, gap = gamma * B). Contact coupling
lambda = eta (hbar gamma_q/2) mu0 gamma_m hbar * sqrt(2) (NV), divided by the thickness (film2d) or the
cross-section (chain1d); see docs/medium.md.

JSON keys: a, A, a_tilde, A_tilde, Jz, Jperp, D_dm (numbers, or arrays over the separations), k_on_shell,
kappa, separation, markov_ok, markov, dimensionless, units, params. Rates in 1/s, couplings in rad/s.
"""


def _opt(args, name, kind, flag):
    v = getattr(args, name)
    return None if v is None else units.parse_quantity(v, kind, flag)


def setup_from_args(args) -> presets.PhysicalSetup:
    """The :class:`~magbell.medium.PhysicalSetup` described by the parsed options."""
    qubit = {"nv": presets.NV, "spin": presets.SPIN_HALF}[args.qubit]
    mat = presets.YIG
    ms = _opt(args, "ms", "magnetization", "--ms")
    if ms is not None:
        if ms <= 0:
            raise InvalidParameterError(f"--ms must be > 0, got {args.ms!r}")
        mat = mat.replace(Ms=ms)
    if args.exchange is not None and args.stiffness is not None:
        raise InvalidParameterError("give either --exchange (A_ex) or --stiffness (D), not both")
    if args.exchange is not None:
        A = units.parse_quantity(args.exchange, "exchange", "--exchange")
        if A <= 0:
            raise InvalidParameterError(f"--exchange must be > 0, got {args.exchange!r}")
        mat = mat.replace(exchange=A)
    if args.stiffness is not None:
        val, kind = units.parse_quantity(args.stiffness, "stiffness", "--stiffness", kinds=("stiffness_field", "stiffness"))
        if val <= 0:
            raise InvalidParameterError(f"--stiffness must be > 0, got {args.stiffness!r}")
        Ds = val * mat.gamma if kind == "stiffness_field" else val  # rad/s m^2
        mat = mat.replace(exchange=Ds * mat.Ms / (2 * mat.gamma))
    damping = None
    if args.damping is not None:
        damping = units.parse_quantity(args.damping, "dimensionless", "--damping")
        if not (math.isfinite(damping) and damping >= 0):
            raise InvalidParameterError(f"--damping must be >= 0, got {args.damping!r}")
    eta = units.parse_quantity(args.eta, "dimensionless", "--eta")
    kw = dict(
        geometry=args.model,
        material=mat,
        qubit=qubit,
        field=_opt(args, "field", "field", "--field"),
        qubit_frequency=_opt(args, "qubit_frequency", "frequency", "--qubit-frequency"),
        gap=_opt(args, "gap", "frequency", "--gap"),
        gap_offset_field=_opt(args, "gap_offset_field", "field", "--gap-offset-field") or 0.0,
        thickness=_opt(args, "thickness", "length", "--thickness"),
        cross_section=_opt(args, "cross_section", "area", "--cross-section"),
        eta=eta,
        damping=damping,
    )
    if args.model == "film2d" and kw["thickness"] is None:
        raise InvalidParameterError("--model film2d needs --thickness (e.g. --thickness 20nm)")
    if args.model == "chain1d" and kw["cross_section"] is None:
        raise InvalidParameterError("--model chain1d needs --cross-section (e.g. --cross-section 2500nm^2)")
    if args.model != "film2d" and kw["thickness"] is not None:
        raise InvalidParameterError("--thickness is only used with --model film2d")
    if args.model != "chain1d" and kw["cross_section"] is not None:
        raise InvalidParameterError("--cross-section is only used with --model chain1d")
    if kw["field"] is None and (kw["qubit_frequency"] is None or kw["gap"] is None):
        raise InvalidParameterError("give --field, or both --qubit-frequency and --gap")
    return presets.PhysicalSetup(**kw)


_UNITS = {
    "a": "1/s",
    "A": "1/s",
    "a_tilde": "1/s",
    "A_tilde": "1/s",
    "Jz": "rad/s",
    "Jperp": "rad/s",
    "D_dm": "rad/s",
    "k_on_shell": "1/m",
    "kappa": "1/m",
    "separation": "m",
}


def cmd_medium(args) -> int:
    from ._parser import (  # the core CLI's helpers (JSON conventions, one-line errors)
        _dump_json,
        _one_line,
    )

    setup = setup_from_args(args)
    sep = units.parse_values(args.separation, "length", "--separation")
    if np.any(sep <= 0):
        raise InvalidParameterError(f"--separation must be > 0, got {args.separation!r}")
    T = units.parse_quantity(args.temperature, "temperature", "--temperature")
    if T < 0:
        raise InvalidParameterError(f"--temperature must be >= 0 K, got {args.temperature!r}")
    thr = units.parse_quantity(args.markov_threshold, "dimensionless", "--markov-threshold")
    if not (math.isfinite(thr) and thr > 0):
        raise InvalidParameterError(f"--markov-threshold must be > 0, got {args.markov_threshold!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MarkovWarning)
        c = setup.couplings(sep, T, threshold=thr)
    scalar = "," not in args.separation and ":" not in args.separation
    rep = c.info["markov"]

    def out(x):
        x = np.asarray(x)
        return x[0] if scalar else x

    values = {
        "a": c.a,
        "A": c.A.real,
        "a_tilde": c.a_tilde,
        "A_tilde": c.A_tilde.real,
        "Jz": c.Jz,
        "Jperp": c.Jperp,
        "D_dm": c.D_dm,
    }
    a0 = float(c.a[0])
    if a0 > 0 and bool(rep.above_gap.flat[0]):
        dim_unit, unit_rate = "a", a0
    else:
        dim_unit, unit_rate = "1/us", 1e6
    params = setup.describe()
    params.update(temperature_K=T, separation_input=args.separation, markov_threshold=thr)
    result = {k: out(v) for k, v in values.items()}
    result.update(
        k_on_shell=out(c.info["k_on_shell"]),
        kappa=out(c.info["kappa"]),
        separation=out(sep),
        markov_ok=bool(np.all(rep.ok)) if scalar else rep.ok,
        markov={
            "ok": out(rep.ok),
            "above_gap": bool(rep.above_gap.flat[0]),
            "correlation_time_s": out(rep.correlation_time),
            "propagation_time_s": out(rep.propagation_time),
            "induced_rate_per_s": out(rep.induced_rate),
            "ratio": out(rep.ratio),
            "threshold": thr,
            "reasons": out(np.asarray(rep.reasons, dtype=str)),
        },
        dimensionless={
            "unit": dim_unit,
            "unit_rate_per_s": unit_rate,
            **{k: out(np.asarray(v) / unit_rate) for k, v in values.items()},
        },
        units=dict(_UNITS, dimensionless=f"values divided by {dim_unit} = {unit_rate:.6g} 1/s (hbar = 1)"),
        params=params,
    )
    for w in caught:
        if issubclass(w.category, MarkovWarning):
            sys.stderr.write(f"magbell: warning: {_one_line(w.message)}\n")
    if args.json:
        _dump_json(result)
        return 0
    if args.csv:  # one row per separation, SI units as in the JSON's "units"
        from ._output import write_csv

        write_csv([("separation", "m", sep)] + [(k, _UNITS[k], v) for k, v in values.items()] + [
            ("k_on_shell", "1/m", c.info["k_on_shell"]), ("kappa", "1/m", c.info["kappa"]),
            ("markov_ok", None, np.asarray(rep.ok)), ("markov_ratio", None, rep.ratio),
            ("markov_reason", None, np.asarray(rep.reasons, dtype=str))])
        return 0
    # display only (the numbers are computed and checked): a separation of 1e308 m is 'inf nm' on screen
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        _print_table(setup, c, sep, T, rep, scalar, dim_unit, unit_rate)
    return 0


def _print_table(setup, c, sep, T, rep, scalar, dim_unit, unit_rate) -> None:
    d = setup.describe()
    print(
        f"# magbell medium: {setup.geometry} {d['material']} with {d['qubit']}, "
        f"Delta/2pi = {d['qubit_frequency_Hz'] / 1e9:.6g} GHz, Omega/2pi = {d['gap_Hz'] / 1e9:.6g} GHz, "
        f"alpha = {d['damping']:.3g}, T = {T:.6g} K"
    )
    k = float(c.info["k_on_shell"].flat[0])
    kap = float(c.info["kappa"].flat[0])
    regime = str(c.info["regime"].flat[0])
    if regime == "above gap":
        print(f"# on-shell k = {k:.6g} 1/m (wavelength {2 * math.pi / k * 1e9 if k > 0 else math.inf:.6g} nm), "
              f"damping envelope kappa = {kap:.6g} 1/m")
    else:
        print(f"# {regime}: evanescent decay length 1/Im q = {1 / kap * 1e9 if kap > 0 else math.inf:.6g} nm")
    print("# rates in 1/s, couplings in rad/s (hbar = 1)")
    if scalar:
        rows = [
            ("separation", f"{float(sep[0]) * 1e9:.6g} nm" if sep[0] < 1 else f"{float(sep[0]):.6g} m"),
            ("a", f"{float(c.a[0]):.6g} 1/s"),
            ("A", f"{float(c.A[0].real):.6g} 1/s   (A/a = "
                  + (f"{float(c.A[0].real) / float(c.a[0]):.6g})" if c.a[0] > 0 else "undefined: a = 0)")),
            ("a_tilde", f"{float(c.a_tilde[0]):.6g} 1/s"),
            ("A_tilde", f"{float(c.A_tilde[0].real):.6g} 1/s"),
            ("Jperp", f"{float(c.Jperp[0]):.6g} rad/s"),
            ("D_dm", f"{float(c.D_dm[0]):.6g} rad/s"),
            ("Jz", f"{float(c.Jz[0]):.6g} rad/s"),
            ("markov", "ok" if rep.ok[0] else f"NOT justified: {rep.reasons[0]}"),
            ("  1/|Delta-Omega|", f"{float(rep.correlation_time[0]):.6g} s"),
            ("  r/v_g", f"{float(rep.propagation_time[0]):.6g} s"),
            ("  rate x time", f"{float(rep.ratio[0]):.3g} (threshold {rep.threshold:g})"),
        ]
        for key, val in rows:
            print(f"{key:<18}: {val}")
        return
    cols = ["r[nm]", "k*r", "A/a", "a[1/s]", "A[1/s]", "a~[1/s]", "A~[1/s]", "Jperp[rad/s]", "markov"]
    w = 14
    print("".join(f"{h:>{w}}" for h in cols))
    for i, r in enumerate(sep):
        # A/a is undefined (0/0) where a = 0 (in the gap at α = 0), and k·r has no on-shell k there: both were
        # printed as the number 0
        ratio = float(c.A[i].real) / float(c.a[i]) if c.a[i] > 0 else "n/a"
        kr = k * r if regime == "above gap" else "n/a"
        vals = [r * 1e9, kr, ratio, c.a[i], c.A[i].real, c.a_tilde[i], c.A_tilde[i].real, c.Jperp[i]]
        print("".join(f"{v:>{w}}" if isinstance(v, str) else f"{float(v):>{w}.6g}" for v in vals)
              + f"{'ok' if rep.ok[i] else 'NO':>{w}}")


def register(subparsers, parent=None, formatter=None) -> None:
    """Add the ``medium`` subcommand (``parent``, the model options, is not used: this command takes
    physical parameters)."""
    kw = {"formatter_class": formatter} if formatter is not None else {}
    p = subparsers.add_parser(
        "medium",
        allow_abbrev=False,
        help="couplings a, A, a~, A~, Jperp from a magnet in physical units ('medium film': NV above a film)",
        description="Lindblad parameters of two qubits coupled through a magnet. For NV centres above a real "
        "film (YIG) use the sub-command 'magbell medium film' (dipolar stray field, docs/medium.md section 11). "
        "The options below are the paper's contact-coupling media (--model bulk3d | film2d | chain1d; closed "
        "forms of docs/medium.md section 8; paper Eq. 10 and Suppl. S29-S33, S39-S40).",
        epilog=_EPILOG,
        **kw,
    )
    g = p.add_argument_group("medium and geometry")
    g.add_argument("--model", choices=tuple(presets.GEOMETRIES), default="bulk3d",
                   help="contact-coupling medium: bulk3d (3D magnet), film2d (exchange-only thin film, needs "
                        "--thickness; for the dipolar film model use 'magbell medium film'), chain1d (wire, needs "
                        "--cross-section) (default bulk3d)")
    g.add_argument("--thickness", default=None, metavar="L", help="film thickness for film2d, e.g. 20nm")
    g.add_argument("--cross-section", dest="cross_section", default=None, metavar="AREA",
                   help="wire cross-section for chain1d, e.g. 2500nm^2")
    g.add_argument("--ms", default=None, metavar="M",
                   help="saturation magnetisation, e.g. 140kA/m or mu0*Ms as 176mT (default YIG 140kA/m)")
    g.add_argument("--exchange", default=None, metavar="A_EX",
                   help="exchange stiffness A_ex, e.g. 3.65pJ/m (default YIG)")
    g.add_argument("--stiffness", default=None, metavar="D",
                   help="spin-wave stiffness instead of --exchange: 5.3e-17T*m^2, 1480GHz*nm^2, or meV*nm^2")
    g.add_argument("--damping", default=None, metavar="ALPHA", help="Gilbert damping alpha (default YIG 1e-4)")
    g.add_argument("--eta", default="1", metavar="ETA",
                   help="dimensionless coupling efficiency: the qubit feels eta*mu0*M (default 1)")
    q = p.add_argument_group("qubits and fields")
    q.add_argument("--qubit", choices=("nv", "spin"), default="nv",
                   help="nv: NV centre ms=0<->-1 (Delta = 2.87GHz - 28.03GHz/T*B, transverse factor sqrt 2); "
                        "spin: free spin-1/2 (Delta = 28.02GHz/T*B) (default nv)")
    q.add_argument("--field", default=None, metavar="B",
                   help="bias field, e.g. 40mT: sets the qubit frequency and the gap gamma*(B + offset)")
    q.add_argument("--qubit-frequency", dest="qubit_frequency", default=None, metavar="F",
                   help="qubit frequency Delta/2pi instead of the field, e.g. 1.75GHz")
    q.add_argument("--gap", default=None, metavar="F", help="magnon gap Omega/2pi instead of gamma*B, e.g. 1.12GHz")
    q.add_argument("--gap-offset-field", dest="gap_offset_field", default=None, metavar="B",
                   help="field added to B for the gap (anisotropy, or -mu0*Ms for a perpendicular film), e.g. -176mT")
    s = p.add_argument_group("evaluation")
    s.add_argument("--separation", required=True, metavar="R",
                   help="qubit separation: one value (200nm), a list (100nm,200nm) or a range START:STOP:N "
                        "(50nm:1um:20)")
    s.add_argument("--temperature", default="0K", metavar="T", help="temperature, e.g. 4K or 50mK (default 0K)")
    s.add_argument("--markov-threshold", dest="markov_threshold", default="0.1", metavar="X",
                   help="Markov check: require (induced rate) x (medium correlation time) < X (default 0.1)")
    from ._output import add_output_options

    add_output_options(s, csv_help="print CSV, one row per separation: separation [m], a, A, a_tilde, A_tilde [1/s], "
                                   "Jz, Jperp, D_dm [rad/s], k_on_shell, kappa [1/m], markov_ok, markov_ratio, "
                                   "markov_reason")
    p.set_defaults(func=cmd_medium)
    from ._film import attach  # `magbell medium film ...`: NV centres above a film (issue 12)

    attach(p, formatter)
