"""``magbell nsite evolve | steady | spectrum | postselect | trajectories | monitor``: N qubits at positions in a magnon medium.

The qubits are placed explicitly (``--positions "0,0;100nm,0;..."`` or ``--positions @file``) or in a regular
arrangement (``--chain N``, ``--ring N``, ``--grid NxM[xK]`` with ``--spacing 100nm`` or ``--k-spacing X``, the
spacing in units of the on-shell magnon wavelength / 2π, i.e. k·spacing = X). Every pair's couplings come from the
contact-coupling magnon media of ``magbell medium`` (``--model bulk3d | film2d | chain1d`` and the same physical
options; :func:`magbell.system.couplings_at_positions`, docs/nqubits.md §2), so rates are in 1/s, couplings in
rad/s and times in s (ħ = 1). Initial states: a u/d string (``duuu``), ``W``, ``dicke:k``, ``singlet:i,j``.

``--json`` is one JSON object (site populations as one list of N per time; ``pair_concurrence`` an N×N matrix
per time when asked with ``--measures pair_concurrence``); ``--csv`` one plain table (cli/_output.py).
``trajectories`` and ``monitor`` are in cli/_nsite_conditional.py (registered here).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidParameterError
from ._nsite_setup import ARRANGEMENTS, _initial, _measures, system_from_args, times_from_args
from ._output import add_output_options, write_csv

__all__ = ["register", "system_from_args", "times_from_args", "ARRANGEMENTS"]

#: the Liouvillian spectrum (slowest rate, stationary states) is asked of magbell.spectrum up to this N
LIOUVILLIAN_MAX_SITES = 8

_EPILOG = """\
examples:
  magbell nsite evolve --chain 4 --spacing 100nm --model chain1d --cross-section 2500nm^2 --field 40mT \\
                       --initial duuu --t-max 20/a --points 5 --measures pair_concurrence --json
  magbell nsite steady --chain 4 --k-spacing 3.14159265358979 --model chain1d --cross-section 2500nm^2 \\
                       --field 40mT --damping 0 --initial duuu
  magbell nsite spectrum --ring 6 --spacing 50nm --model film2d --thickness 20nm --field 40mT
  magbell nsite postselect --positions "0,0;80nm,0;0,80nm" --field 40mT --initial W --t-max 2us
  magbell nsite trajectories --chain 4 --k-spacing 3.14159265358979 --model chain1d --cross-section 2500nm^2 \\
                       --field 40mT --damping 0 --t-max 20/a --points 3 --n 2000 --seed 1 --select all
  magbell nsite monitor --chain 3 --spacing 100nm --field 40mT --temperature 1mK --initial duu \\
                       --tau-m 0.05/a --kind continuous --t-max 5/a --points 6
  magbell nsite evolve --film --chain 3 --spacing 200nm --thickness 20nm --field 22mT --field-angle 54.7deg \\
                       --height 109nm --t-max 5/a --points 3

placement: --positions "x1,y1;x2,y2;..." (coordinates with a length unit, '0' allowed; or @FILE with one
  position per line, coordinates separated by commas or blanks), or --chain N / --ring N / --grid NxM[xK] with
  --spacing L or --k-spacing X (spacing = X / k, k the on-shell magnon wavenumber at the qubit frequency).
times: --t-max 20us (s, ms, us, ns, ps) or --t-max 20/a (in units of 1/a, a the single-qubit relaxation rate).
units: rates 1/s, energies rad/s, times s, positions m (hbar = 1); site i = 1..N, P_i = probability that site
  i is down (excited).
trajectories: --n, --seed, --max-jumps, --select (no-jump, all, no-h_plus, no-h_z, no-h_plus:0,h_z) as in
  'magbell trajectories'; monitor: --tau-m (a time as --t-max, or inf), --kind, --no-readout as in 'magbell monitor'.
"""


def _pairs(N: int):
    return [(i, j) for i in range(N) for j in range(i + 1, N)]


def _csv_measure_cols(name: str, values, N: int) -> list:
    v = np.asarray(values)
    if name == "pair_concurrence":
        return [(f"C_{i + 1}_{j + 1}", None, v[..., i, j]) for i, j in _pairs(N)]
    return [(name.replace(":", "_").replace(",", "_"), None, v)]


# ----------------------------------------------------------------------------- commands
def cmd_evolve(args) -> int:
    from ..solvers._evolve import evolve
    from ._parser import _dump_json

    pc, desc = system_from_args(args)
    N = pc.N
    init = _initial(args, N)
    times = times_from_args(args, desc["a_per_s"])
    extra = _measures(args.measures)
    r = evolve(pc.system(), init, times, measures=["site_populations"] + extra)
    pops = np.asarray(r.site_populations)
    desc.update(initial=init, positions_m=pc.positions)
    if args.json:
        out = {"times": times, "site_populations": pops}
        out.update({m: np.asarray(r.measures[m]) for m in extra})
        out["params"] = desc
        out["units"] = {"times": "s", "site_populations": "probability that site i is down (excited)",
                        "positions_m": "m", "a_per_s": "1/s"}
        _dump_json(out)
        return 0
    cols = [("t", "s", times)] + [(f"P_{i + 1}", None, pops[:, i]) for i in range(N)]
    for m in extra:
        cols += _csv_measure_cols(m, r.measures[m], N)
    if args.csv:
        write_csv(cols)
        return 0
    print(f"# magbell nsite evolve: {_describe(desc)}")
    print(f"# initial |{init}>, t from {times[0]:.6g} s to {times[-1]:.6g} s; P_i = probability that site i is down")
    _table(cols)
    return 0


def cmd_steady(args) -> int:
    from ..solvers._steady import steady_state
    from ._parser import _dump_json

    pc, desc = system_from_args(args)
    N = pc.N
    init = _initial(args, N)
    extra = _measures(args.measures)
    r = steady_state(pc.system(), init, measures=["site_populations"] + extra)
    pops = np.asarray(r.site_populations)
    desc.update(initial=init, positions_m=pc.positions)
    out = {"site_populations": pops, "unique": bool(r.unique), "n_stationary": int(r.n_stationary),
           "converges": bool(r.converges)}
    out.update({m: np.asarray(r.measures[m]) for m in extra})
    if args.json:
        out["params"] = desc
        _dump_json(out)
        return 0
    cols = [(f"P_{i + 1}", None, pops[None, i]) for i in range(N)]
    cols += [("unique", None, [out["unique"]]), ("n_stationary", None, [out["n_stationary"]]),
             ("converges", None, [out["converges"]])]
    for m in extra:
        cols += _csv_measure_cols(m, np.asarray(r.measures[m])[None], N)
    if args.csv:
        write_csv(cols)
        return 0
    print(f"# magbell nsite steady: {_describe(desc)}")
    print(f"# initial |{init}>, t -> infinity; P_i = probability that site i is down")
    print(f"unique        : {'yes' if out['unique'] else 'no'} ({out['n_stationary']} independent stationary state(s))")
    print(f"converges     : {'yes' if out['converges'] else 'no (undamped oscillation: the time-averaged state)'}")
    for h, _, v in cols[:N]:
        print(f"{h:<14}: {float(v[0]):.12g}")
    for h, _, v in cols[N + 3:]:
        print(f"{h:<14}: {float(np.asarray(v).ravel()[0]):.12g}")
    return 0


def cmd_spectrum(args) -> int:
    from ..solvers._steady import spectrum
    from ._parser import _dump_json

    pc, desc = system_from_args(args)
    # the collective modes from the one-excitation H_eff itself (rotating at the mean splitting, so that the
    # 1e10 rad/s splitting does not set the rounding of 1e3 /s rates): frequency shift Re(lambda) - mean Delta
    lam = np.linalg.eigvals(pc.one_excitation_hamiltonian(rotating=True))
    rates = -2 * lam.imag
    order = np.argsort(rates, kind="stable")
    lam, rates = lam[order], rates[order]
    desc["positions_m"] = pc.positions
    out = {"collective_rates": rates, "collective_shifts": lam.real, "mean_Delta": float(np.mean(pc.Delta))}
    liou = pc.N <= LIOUVILLIAN_MAX_SITES
    note = None if liou else f"the Liouvillian spectrum is not computed above N = {LIOUVILLIAN_MAX_SITES}"
    if liou:
        try:
            sp = spectrum(pc.system())
        except InvalidParameterError as e:  # the solver's own limit (e.g. N > 6 at finite temperature): said, not hidden
            if args.eigenvalues:
                raise
            liou, note = False, "magbell.spectrum refused: " + " ".join(str(e).split())
    if liou:
        out.update(slowest_rate=float(sp.slowest_rate), n_stationary=int(sp.n_stationary))
        if args.eigenvalues:
            ev = np.asarray(sp.eigenvalues)
            out["eigenvalues"] = {"re": ev.real, "im": ev.imag}
    elif args.eigenvalues:
        raise InvalidParameterError(f"--eigenvalues: the Liouvillian spectrum needs N <= {LIOUVILLIAN_MAX_SITES}, "
                                    f"got N = {pc.N} (the collective modes are reported for any N)")
    else:
        out.update(slowest_rate=None, n_stationary=None, liouvillian_note=note)
    if args.json:
        out["params"] = desc
        out["units"] = {"collective_rates": "1/s (population decay rate -2 Im lambda of the one-excitation H_eff)",
                        "collective_shifts": "rad/s (Re lambda - mean_Delta)", "mean_Delta": "rad/s",
                        "slowest_rate": f"1/s (Liouvillian; null above N = {LIOUVILLIAN_MAX_SITES})",
                        "eigenvalues": "1/s"}
        _dump_json(out)
        return 0
    if args.csv:
        write_csv([("mode", None, np.arange(1, lam.size + 1)), ("collective_rate", "1/s", rates),
                   ("collective_shift", "rad/s", lam.real),
                   ("slowest_rate", "1/s", math.nan if out["slowest_rate"] is None else out["slowest_rate"])])
        return 0
    print(f"# magbell nsite spectrum: {_describe(desc)}")
    print("# one-excitation collective modes (eigenvalues lambda of H_eff), slowest first: rate = -2 Im lambda, "
          "shift = Re lambda - mean Delta")
    cols = [("mode", None, np.arange(1, lam.size + 1)), ("rate[1/s]", None, rates)]
    if desc["a_per_s"] > 0:  # (no column where a = 0: no single-qubit rate to compare with)
        cols.append(("rate/a", None, rates / desc["a_per_s"]))
    _table(cols + [("shift[rad/s]", None, lam.real)])
    if liou:
        print(f"slowest Liouvillian decay rate: {out['slowest_rate']:.10g} 1/s; stationary states: {out['n_stationary']}")
    else:
        print(f"(slowest Liouvillian rate not reported: {note})")
    return 0


def cmd_postselect(args) -> int:
    from ..solvers._postselect import postselect
    from ._parser import _dump_json

    pc, desc = system_from_args(args)
    N = pc.N
    init = _initial(args, N)
    times = times_from_args(args, desc["a_per_s"])
    extra = _measures(args.measures)
    r = postselect(pc.system(), init, times, scheme=args.scheme, measures=["site_populations"] + extra)
    pops = np.asarray(r.site_populations)
    P, logP = np.asarray(r.success_probability), np.asarray(r.log_success_probability)
    desc.update(initial=init, scheme=args.scheme, positions_m=pc.positions)
    if args.json:
        out = {"times": times, "success_probability": P, "log_success_probability": logP, "site_populations": pops}
        out.update({m: np.asarray(r.measures[m]) for m in extra})
        out["params"] = desc
        _dump_json(out)
        return 0
    cols = [("t", "s", times), ("P", None, P), ("logP", None, logP)]
    cols += [(f"P_{i + 1}", None, pops[:, i]) for i in range(N)]
    for m in extra:
        cols += _csv_measure_cols(m, r.measures[m], N)
    if args.csv:
        write_csv(cols)
        return 0
    print(f"# magbell nsite postselect ({args.scheme}): {_describe(desc)}")
    print(f"# initial |{init}>; P = success probability, P_i = conditional probability that site i is down")
    _table(cols)
    return 0


def _describe(desc: dict) -> str:
    m = desc["medium"]
    place = desc["arrangement"] + ("" if desc["arrangement"] == "positions" else f" {desc[desc['arrangement']]}")
    sp = f", spacing {desc['spacing_m'] * 1e9:.6g} nm" if desc.get("spacing_m") is not None else ""
    if "frame" in desc:  # --film
        return (f"N = {desc['N']} NV centres ({place}{sp}) {m['height_m'] * 1e9:.6g} nm above {m['thickness_m'] * 1e9:.6g} "
                f"nm {m['material']}, NV {m['qubit_frequency_Hz'] / 1e9:.6g} GHz, T = {desc['temperature_K']:.6g} K, "
                f"a = {desc['a_per_s']:.6g} 1/s (frame rotating at the NV frequency)")
    return (f"N = {desc['N']} ({place}{sp}) in {m['geometry']} {m['material']}, Delta/2pi = "
            f"{m['qubit_frequency_Hz'] / 1e9:.6g} GHz, T = {desc['temperature_K']:.6g} K, a = {desc['a_per_s']:.6g} 1/s")


def _table(cols) -> None:
    from ._parser import _fmt

    w = max(12, max(len(h) for h, _, _ in cols) + 1)
    print("".join(f"{h:>{w}}" for h, _, _ in cols))
    for k in range(len(cols[0][2])):
        print("".join(_fmt(np.asarray(v)[k], w) for _, _, v in cols))


# ----------------------------------------------------------------------------- parser
def _common(formatter):
    from ._parser import MagbellArgumentParser, real

    p = MagbellArgumentParser(add_help=False, allow_abbrev=False)
    g = p.add_argument_group("placement of the qubits (exactly one)")
    g.add_argument("--positions", default=None, metavar="LIST",
                   help="explicit positions 'x1,y1;x2,y2;...' with length units ('0' allowed), or @FILE")
    g.add_argument("--chain", type=int, default=None, metavar="N", help="N qubits on a line")
    g.add_argument("--ring", type=int, default=None, metavar="N", help="N qubits on a circle (2D/3D media)")
    g.add_argument("--grid", default=None, metavar="NxM", help="a square NxM (or cubic NxMxK) grid")
    g.add_argument("--spacing", default=None, metavar="L", help="neighbour distance of --chain/--ring/--grid, e.g. 100nm")
    g.add_argument("--k-spacing", dest="k_spacing", type=real, default=None, metavar="X",
                   help="instead of --spacing: k*spacing = X (k the on-shell magnon wavenumber)")
    m = p.add_argument_group("medium (the contact-coupling media of 'magbell medium')")
    m.add_argument("--model", choices=("bulk3d", "film2d", "chain1d"), default=None,
                   help="bulk3d, film2d (needs --thickness) or chain1d (needs --cross-section) (default bulk3d)")
    m.add_argument("--thickness", default=None, metavar="L", help="film thickness for film2d, e.g. 20nm")
    m.add_argument("--cross-section", dest="cross_section", default=None, metavar="AREA",
                   help="wire cross-section for chain1d, e.g. 2500nm^2")
    m.add_argument("--ms", default=None, metavar="M", help="saturation magnetisation (default YIG 140kA/m)")
    m.add_argument("--exchange", default=None, metavar="A_EX", help="exchange stiffness, e.g. 3.65pJ/m (default YIG)")
    m.add_argument("--stiffness", default=None, metavar="D", help="spin-wave stiffness instead of --exchange")
    m.add_argument("--damping", default=None, metavar="ALPHA", help="Gilbert damping alpha (default YIG 1e-4)")
    m.add_argument("--eta", default="1", metavar="ETA", help="coupling efficiency (default 1)")
    m.add_argument("--qubit", choices=("nv", "spin"), default="nv", help="qubit species (default nv)")
    m.add_argument("--field", default=None, metavar="B", help="bias field, e.g. 40mT")
    m.add_argument("--qubit-frequency", dest="qubit_frequency", default=None, metavar="F",
                   help="qubit frequency instead of the field, e.g. 1.75GHz")
    m.add_argument("--gap", default=None, metavar="F", help="magnon gap instead of gamma*B, e.g. 1.12GHz")
    m.add_argument("--gap-offset-field", dest="gap_offset_field", default=None, metavar="B",
                   help="field added to B for the gap")
    m.add_argument("--temperature", default="0K", metavar="T", help="temperature, e.g. 4K (default 0K)")
    f = p.add_argument_group("or NV centres above a real film (--film; docs/medium.md section 11)")
    f.add_argument("--film", action="store_true",
                   help="dipolar stray-field coupling of NV centres above a film (FilmSetup.system) instead of --model; "
                        "uses --thickness, --field, --ms, --exchange, --damping, --temperature and the options below")
    f.add_argument("--material", default=None, choices=("YIG", "Py", "permalloy"), help="film material (default YIG)")
    f.add_argument("--height", default=None, metavar="Z", help="NV height above the film, e.g. 109nm")
    f.add_argument("--field-angle", dest="field_angle", default=None, metavar="ANGLE",
                   help="polar angle of B from the film normal, e.g. 54.7deg (default 90deg, in plane)")
    f.add_argument("--field-azimuth", dest="field_azimuth", default=None, metavar="ANGLE", help="azimuth of B")
    f.add_argument("--nv-axis", dest="nv_axis", default=None, metavar="AXIS", help="111, -1-11, 1-1-1, -11-1 (default 111)")
    f.add_argument("--transition", choices=("minus", "plus"), default=None, help="0<->-1 or 0<->+1 (default minus)")
    f.add_argument("--thickness-modes", dest="thickness_modes", default=None, metavar="M",
                   help="film thickness modes summed, 1 to 512 (default 1: thin film; docs/medium.md section 11)")
    return p


def _time_options(p) -> None:
    p.add_argument("--t-min", dest="t_min", default="0s", metavar="T", help="first time (default 0s)")
    p.add_argument("--t-max", dest="t_max", default="10/a", metavar="T",
                   help="last time: 20us, 5ns, ... or 20/a in units of 1/a (default 10/a)")
    p.add_argument("--points", type=int, default=101, metavar="N", help="number of times (default 101)")


def _state_options(p, measures: bool = True) -> None:
    p.add_argument("--initial", default=None, metavar="STATE",
                   help="u/d string (one letter per site, site 1 first), W, dicke:k or singlet:i,j "
                        "(default: site 1 excited, 'duu...u')")
    if measures:
        p.add_argument("--measures", default=None, metavar="LIST",
                       help="extra measures, comma-separated: pair_concurrence (N x N per time), purity, w_fidelity, "
                            "gme_w_witness, half_chain_negativity, ...; parametrised ones (negativity:1,2, "
                            "dicke_fidelity:2) separated by ';'. site_populations are always reported")


def register(sub, parent=None, formatter=None) -> None:
    """Add ``nsite`` with ``evolve``, ``steady``, ``spectrum``, ``postselect``, ``trajectories`` and ``monitor`` (``parent``, the two-site
    model options, is not used: the couplings come from the medium and the positions)."""
    kw = {"formatter_class": formatter} if formatter is not None else {}
    p = sub.add_parser("nsite", allow_abbrev=False, epilog=_EPILOG,
                       help="N qubits at positions in a magnon medium: evolve, steady, spectrum, postselect, trajectories, monitor",
                       description="N qubits placed in a magnon medium (docs/nqubits.md): every pair's couplings "
                                   "from the medium, exact Lindblad dynamics of the N-site System.", **kw)
    nsub = p.add_subparsers(dest="nsite_command", metavar="COMMAND", required=True)
    common = _common(formatter)

    q = nsub.add_parser("evolve", parents=[common], allow_abbrev=False, epilog=_EPILOG,
                        help="site populations (and measures) on a time grid",
                        description="Exact rho(t) of the N-site System from the initial state (magbell.evolve).", **kw)
    _state_options(q)
    _time_options(q)
    add_output_options(q, csv_help="print CSV: t [s], P_1..P_N, then the measures (pair_concurrence as C_i_j)")
    q.set_defaults(func=cmd_evolve)

    q = nsub.add_parser("steady", parents=[common], allow_abbrev=False, epilog=_EPILOG,
                        help="the t -> infinity state from the initial state (dark manifold kept)",
                        description="The t -> infinity limit from the initial state (magbell.steady_state; N <= 8).", **kw)
    _state_options(q)
    add_output_options(q, json_help="print one JSON object instead of a summary",
                       csv_help="print one CSV row: P_1..P_N, unique, n_stationary, converges, measures")
    q.set_defaults(func=cmd_steady)

    q = nsub.add_parser("spectrum", parents=[common], allow_abbrev=False, epilog=_EPILOG,
                        help="collective one-excitation rates and the slowest Liouvillian rate",
                        description="Collective modes of the one-excitation H_eff and the Liouvillian spectrum "
                                    "(magbell.spectrum; see docs/nqubits.md section 5 for the limits on N).", **kw)
    q.add_argument("--eigenvalues", action="store_true", help="also report all Liouvillian eigenvalues (JSON only)")
    add_output_options(q, csv_help="print CSV, one row per collective mode (slowest first)")
    q.set_defaults(func=cmd_spectrum)

    q = nsub.add_parser("postselect", parents=[common], allow_abbrev=False, epilog=_EPILOG,
                        help="no-jump / excitation-subspace postselected evolution with its success probability",
                        description="Postselected evolution of the N-site System (magbell.postselect).", **kw)
    _state_options(q)
    _time_options(q)
    q.add_argument("--scheme", choices=("no-jump", "subspace"), default="no-jump",
                   help="no-jump (no jump of any kind) or subspace (total excitation number monitored) (default no-jump)")
    add_output_options(q, csv_help="print CSV: t [s], P, logP, P_1..P_N, then the measures")
    q.set_defaults(func=cmd_postselect)

    from . import _nsite_conditional as _cond

    q = nsub.add_parser("trajectories", parents=[common], allow_abbrev=False, epilog=_EPILOG,
                        help="quantum trajectories with jump records and postselection on them",
                        description="Seeded quantum-jump unravelling of the N-site System (magbell.trajectories): "
                                    "the sub-ensemble chosen by --select with standard errors.", **kw)
    _state_options(q)
    _time_options(q)
    _cond.add_trajectory_options(q)
    add_output_options(q, csv_help="print CSV: t [s], P, P_stderr, logP, kept, P_1..P_N, P_i_stderr, P_i_all "
                                   "(whole ensemble), then the measures (of the selected mean state, N <= 8)")
    q.set_defaults(func=_cond.cmd_trajectories)

    q = nsub.add_parser("monitor", parents=[common], allow_abbrev=False, epilog=_EPILOG,
                        help="finite-rate monitoring of the excitation number, postselected on the initial one",
                        description="Measurements of the total excitation number every tau_m (or continuously at "
                                    "rate 1/tau_m) postselected on its initial value (magbell.monitor; N <= 8).", **kw)
    _state_options(q)
    _time_options(q)
    _cond.add_monitor_options(q)
    add_output_options(q, csv_help="print CSV: t [s], P, logP, P_1..P_N, then the measures")
    q.set_defaults(func=_cond.cmd_monitor)
