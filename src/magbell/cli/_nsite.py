"""``magbell nsite evolve | steady | spectrum | postselect``: N qubits at positions in a magnon medium.

The qubits are placed explicitly (``--positions "0,0;100nm,0;..."`` or ``--positions @file``) or in a regular
arrangement (``--chain N``, ``--ring N``, ``--grid NxM[xK]`` with ``--spacing 100nm`` or ``--k-spacing X``, the
spacing in units of the on-shell magnon wavelength / 2π, i.e. k·spacing = X). Every pair's couplings come from the
contact-coupling magnon media of ``magbell medium`` (``--model bulk3d | film2d | chain1d`` and the same physical
options; :func:`magbell.system.couplings_at_positions`, docs/nqubits.md §2), so rates are in 1/s, couplings in
rad/s and times in s (ħ = 1). Initial states: a u/d string (``duuu``), ``W``, ``dicke:k``, ``singlet:i,j``.

``--json`` is one JSON object (site populations as one list of N per time; ``pair_concurrence`` an N×N matrix
per time when asked with ``--measures pair_concurrence``); ``--csv`` one plain table (cli/_output.py).
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import InvalidParameterError
from ._output import add_output_options, write_csv

__all__ = ["register", "system_from_args", "times_from_args", "ARRANGEMENTS"]

#: how the qubits are placed (exactly one of these options)
ARRANGEMENTS = ("positions", "chain", "ring", "grid")
#: time units of --t-max / --t-min (seconds), plus "/a": in units of the single-qubit relaxation time 1/a
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}
_TIME = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(s|ms|us|µs|ns|ps|/a)\s*$")
_MAX_POINTS = 100_000
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
  magbell nsite evolve --film --chain 3 --spacing 200nm --thickness 20nm --field 22mT --field-angle 54.7deg \
                       --height 109nm --t-max 5/a --points 3

placement: --positions "x1,y1;x2,y2;..." (coordinates with a length unit, '0' allowed; or @FILE with one
  position per line, coordinates separated by commas or blanks), or --chain N / --ring N / --grid NxM[xK] with
  --spacing L or --k-spacing X (spacing = X / k, k the on-shell magnon wavenumber at the qubit frequency).
times: --t-max 20us (s, ms, us, ns, ps) or --t-max 20/a (in units of 1/a, a the single-qubit relaxation rate).
units: rates 1/s, energies rad/s, times s, positions m (hbar = 1); site i = 1..N, P_i = probability that site
  i is down (excited).
"""


# ----------------------------------------------------------------------------- placement and medium
def _length(text: str, where: str) -> float:
    from ..medium.units import parse_quantity

    s = text.strip()
    if s in ("0", "+0", "-0", "0.0"):
        return 0.0
    return parse_quantity(s, "length", where)


def _positions_text(text: str) -> np.ndarray:
    if text.startswith("@"):
        path = text[1:]
        try:
            with open(path, encoding="utf-8") as f:
                lines = [ln.split("#")[0].strip() for ln in f]
        except OSError as e:
            raise InvalidParameterError(f"--positions: cannot read {path!r} ({e.strerror or e})") from None
        rows = [re.split(r"[,\s]+", ln) for ln in lines if ln]
        where = f"--positions file {path!r}"
    else:
        rows = [r.split(",") for r in text.split(";")]
        where = "--positions"
    if not rows or any(not all(c.strip() for c in r) for r in rows):
        raise InvalidParameterError(f"{where}: give positions as 'x1,y1;x2,y2;...' with one or more coordinates each "
                                    "(an empty entry was found)")
    d = {len(r) for r in rows}
    if len(d) != 1 or not 1 <= d.pop() <= 3:
        raise InvalidParameterError(f"{where}: every position needs the same number (1 to 3) of coordinates")
    return np.array([[_length(c, where) for c in r] for r in rows], dtype=float)


#: largest |coordinate| [m]: pair distances are computed as sqrt(sum of squares), which overflows near 1.3e154 m
MAX_COORDINATE_M = 1e150


def _check_extent(x: np.ndarray) -> None:
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if top > MAX_COORDINATE_M:
        raise InvalidParameterError(f"positions: every coordinate must be within {MAX_COORDINATE_M:g} m (the pair "
                                    f"distances would overflow float64), got {top:.6g} m")


def _grid_shape(text: str) -> tuple:
    parts = text.lower().split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise InvalidParameterError(f"--grid must be NxM or NxMxK with positive integers, got {text!r}") from None
    if not 1 <= len(shape) <= 3 or min(shape) < 1:
        raise InvalidParameterError(f"--grid must be NxM or NxMxK with positive integers, got {text!r}")
    return shape


def _temperature(args) -> float:
    from ..medium.units import parse_quantity

    T = parse_quantity(args.temperature, "temperature", "--temperature")
    if T < 0:
        raise InvalidParameterError(f"--temperature must be >= 0 K, got {args.temperature!r}")
    return T


def _k_on_shell(medium, Delta) -> float:
    """The on-shell magnon wavenumber at the qubit frequency, 0 below the gap (evanescent: no wavelength)."""
    c = medium.couplings(r=np.array([1.0]), Delta=Delta, kT=0.0)
    if str(np.asarray(c.info.get("regime", "above gap")).ravel()[0]) != "above gap":
        return 0.0
    return float(np.asarray(c.info["k_on_shell"]).ravel()[0])


def system_from_args(args):
    """(PositionCouplings, description dict) of the parsed placement, medium and temperature options."""
    from ..medium.units import kT_angular
    from ..system._positions import chain_positions, couplings_at_positions, grid_positions, ring_positions
    from ._medium import setup_from_args

    given = [a for a in ARRANGEMENTS if getattr(args, a) is not None]
    if len(given) != 1:
        raise InvalidParameterError(
            "give exactly one placement: --positions, --chain N, --ring N or --grid NxM"
            + (f" (got {', '.join('--' + g for g in given)})" if given else ""))
    how = given[0]
    T = _temperature(args)
    if args.film:
        return _film_system(args, how, T)
    if args.model is None:
        args.model = "bulk3d"
    film_only = [f for f, v in (("--height", args.height), ("--field-angle", args.field_angle),
                                ("--field-azimuth", args.field_azimuth), ("--nv-axis", args.nv_axis),
                                ("--transition", args.transition), ("--material", args.material)) if v is not None]
    if film_only:
        raise InvalidParameterError(f"{', '.join(film_only)} {'is' if len(film_only) == 1 else 'are'} only used with --film")
    setup = setup_from_args(args)
    medium = setup.medium()
    spacing = None
    desc: dict = {"arrangement": how}
    if how == "positions":
        if args.spacing is not None or args.k_spacing is not None:
            raise InvalidParameterError("--spacing and --k-spacing go with --chain, --ring or --grid, not --positions")
        x = _positions_text(args.positions)
    else:
        if (args.spacing is None) == (args.k_spacing is None):
            raise InvalidParameterError(f"--{how} needs exactly one of --spacing L (e.g. 100nm) or --k-spacing X")
        if args.spacing is not None:
            spacing = _length(args.spacing, "--spacing")
            if not spacing > 0:
                raise InvalidParameterError(f"--spacing must be > 0, got {args.spacing!r}")
        else:
            ks = args.k_spacing
            if not (math.isfinite(ks) and ks > 0):
                raise InvalidParameterError(f"--k-spacing must be finite and > 0, got {ks!r}")
            k = _k_on_shell(medium, setup.Delta)
            if not k > 0:
                raise InvalidParameterError(
                    "--k-spacing needs a propagating magnon at the qubit frequency (k > 0); the qubit frequency is "
                    "below the gap here: give --spacing")
            spacing = ks / k
            desc["k_spacing"] = ks
        if how == "chain":
            x = chain_positions(args.chain, spacing)
        elif how == "ring":
            x = ring_positions(args.ring, spacing)
        else:
            x = grid_positions(_grid_shape(args.grid), spacing)
        desc[how] = args.grid if how == "grid" else int(getattr(args, how))
        desc["spacing_m"] = spacing
    _check_extent(x)
    pc = couplings_at_positions(medium, x, setup.Delta, kT=kT_angular(T))
    desc.update(N=pc.N, temperature_K=T, medium=setup.describe(),
                a_per_s=float(pc.h_plus[0, 0].real), k_on_shell_per_m=pc.info["k_on_shell"],
                kappa_per_m=pc.info["kappa"], markov_ok=bool(np.all(pc.info["markov"].ok)) if "markov" in pc.info else True)
    return pc, desc


class _FilmPlacement:
    """The pieces of a PositionCouplings that the commands use, for NV centres above a film (FilmSetup.system)."""

    def __init__(self, system, positions):
        self._s = system
        self.positions = positions
        self.N = system.N
        self.Delta = system.Delta
        self.h_plus = system.h_plus
        self.info = {}

    def system(self):
        return self._s

    def one_excitation_hamiltonian(self, *, rotating: bool = False):
        from ..system import one_excitation_hamiltonian

        s = self._s
        return one_excitation_hamiltonian(s.Delta, s.h_plus, s.h_minus, s.h_z, s.J_perp, s.J_z, s.D, rotating=rotating)


def _film_system(args, how: str, T: float):
    """NV centres above a real film (``--film``: FilmSetup, docs/medium.md §11): positions in the plane at
    ``--height`` (or (x, y, z) with z the height above the film), the System of ``FilmSetup.system``."""
    from ..medium import FilmSetup
    from ..system._positions import chain_positions, grid_positions, ring_positions

    contact = [f for f, v in (("--model", args.model), ("--cross-section", args.cross_section),
                              ("--stiffness", args.stiffness), ("--qubit-frequency", args.qubit_frequency),
                              ("--gap", args.gap), ("--gap-offset-field", args.gap_offset_field),
                              ("--k-spacing", args.k_spacing)) if v is not None]
    if args.eta != "1" or args.qubit != "nv":
        contact.append("--eta" if args.eta != "1" else "--qubit")
    if contact:
        raise InvalidParameterError(f"{', '.join(contact)}: not an option of --film (NV centres above a film: "
                                    "--thickness, --field, --field-angle, --height, --nv-axis, --transition, ...)")
    missing = [f for f, v in (("--thickness", args.thickness), ("--field", args.field), ("--height", args.height))
               if v is None]
    if missing:
        raise InvalidParameterError(f"--film needs {', '.join(missing)} (e.g. --thickness 20nm --field 22mT --height 109nm)")
    kw = {k: v for k, v in (("thickness", args.thickness), ("field", args.field), ("height", args.height),
                            ("field_angle", args.field_angle), ("field_azimuth", args.field_azimuth),
                            ("nv_axis", args.nv_axis), ("transition", args.transition), ("Ms", args.ms),
                            ("exchange", args.exchange), ("damping", args.damping)) if v is not None}
    if args.material is not None:
        kw["material"] = "Py" if args.material == "permalloy" else args.material
    for k in ("field_angle", "field_azimuth"):
        if k in kw:
            from ..medium.film_setup import parse_angle

            kw[k] = parse_angle(kw[k], "--" + k.replace("_", "-"))
    setup = FilmSetup.from_units(**kw)
    desc: dict = {"arrangement": how}
    if how == "positions":
        if args.spacing is not None:
            raise InvalidParameterError("--spacing goes with --chain, --ring or --grid, not --positions")
        x = _positions_text(args.positions)
        if x.shape[1] == 1:
            x = np.concatenate([x, np.zeros_like(x)], axis=1)
    else:
        if args.spacing is None:
            raise InvalidParameterError(f"--{how} needs --spacing L (e.g. 100nm) with --film")
        spacing = _length(args.spacing, "--spacing")
        if not spacing > 0:
            raise InvalidParameterError(f"--spacing must be > 0, got {args.spacing!r}")
        if how == "chain":
            x = np.concatenate([chain_positions(args.chain, spacing), np.zeros((args.chain, 1))], axis=1)
        elif how == "ring":
            x = ring_positions(args.ring, spacing)
        else:
            shape = _grid_shape(args.grid)
            if len(shape) == 3:
                raise InvalidParameterError("--grid NxMxK: NV centres above a film lie in a plane; give NxM")
            x = grid_positions(shape, spacing)
            if x.shape[1] == 1:
                x = np.concatenate([x, np.zeros_like(x)], axis=1)
        desc[how] = args.grid if how == "grid" else int(getattr(args, how))
        desc["spacing_m"] = spacing
    _check_extent(x)
    s = setup.system(x, T)
    desc.update(N=s.N, temperature_K=T, medium=setup.describe(), a_per_s=float(s.h_plus[0, 0].real),
                frame="rotating at the mean NV frequency (FilmSetup.system)")
    return _FilmPlacement(s, x), desc


def times_from_args(args, a: float) -> np.ndarray:
    """The time grid of --t-min/--t-max/--points in seconds (``/a``: units of 1/a)."""

    def one(text, flag):
        m = _TIME.match(str(text))
        if not m:
            raise InvalidParameterError(
                f"{flag}: cannot read {text!r} as a time; write e.g. 20us, 5ns, 1e-3s or 20/a (units of 1/a)")
        v = float(m.group(1))
        if m.group(2) == "/a":
            if not a > 0:
                raise InvalidParameterError(f"{flag} = {text!r} is in units of 1/a, but a = 0 here (no relaxation)")
            t = v / a
        else:
            t = v * _TIME_UNITS[m.group(2)]
        if not math.isfinite(t) or t < 0:
            raise InvalidParameterError(f"{flag} must be finite and >= 0, got {text!r}")
        return t

    t0, t1 = one(args.t_min, "--t-min"), one(args.t_max, "--t-max")
    if not 1 <= args.points <= _MAX_POINTS:
        raise InvalidParameterError(f"--points must be between 1 and {_MAX_POINTS}, got {args.points}")
    if t1 < t0 or (args.points > 1 and t1 == t0):
        raise InvalidParameterError(f"--t-max ({args.t_max}) must be greater than --t-min ({args.t_min})")
    return np.linspace(t0, t1, args.points)


def _initial(args, N: int) -> str:
    from ..system.states import system_density_matrix

    init = "d" + "u" * (N - 1) if args.initial is None else args.initial.strip()
    if N <= 12:
        system_density_matrix(init, N)  # one-line InvalidStateError naming the state
    elif not (init == "W" or init.startswith("dicke:") or init.startswith("singlet:")
              or (len(init) == N and not set(init) - {"u", "d"})):
        raise InvalidParameterError(f"--initial: use a string of {N} letters u/d, W, dicke:k or singlet:i,j; got {init!r}")
    return init


def _measures(text) -> list:
    from ..measures._multipartite import multipartite_measure

    names = [] if not text else [m.strip() for m in text.split(";" if ":" in text else ",") if m.strip()]
    for m in names:
        try:
            multipartite_measure(m)
        except InvalidParameterError as e:
            raise InvalidParameterError(f"--measures: {' '.join(str(e).split())}") from None
    return [m for m in dict.fromkeys(names) if m != "site_populations"]


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
    _table([("mode", None, np.arange(1, lam.size + 1)), ("rate[1/s]", None, rates),
            ("rate/a", None, rates / desc["a_per_s"] if desc["a_per_s"] > 0 else rates * np.nan),
            ("shift[rad/s]", None, lam.real)])
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
    """Add ``nsite`` with ``evolve``, ``steady``, ``spectrum`` and ``postselect`` (``parent``, the two-site
    model options, is not used: the couplings come from the medium and the positions)."""
    kw = {"formatter_class": formatter} if formatter is not None else {}
    p = sub.add_parser("nsite", allow_abbrev=False, epilog=_EPILOG,
                       help="N qubits at positions in a magnon medium: evolve, steady, spectrum, postselect",
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
