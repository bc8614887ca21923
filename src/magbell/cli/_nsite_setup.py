"""Placement, medium, times and initial state of ``magbell nsite`` (cli/_nsite.py): the parsed options become
the N×N couplings of the qubits (:func:`magbell.system.couplings_at_positions` in a contact-coupling medium, or
``FilmSetup.system`` for NV centres above a film with ``--film``)."""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["system_from_args", "times_from_args", "ARRANGEMENTS", "MAX_COORDINATE_M"]

#: how the qubits are placed (exactly one of these options)
ARRANGEMENTS = ("positions", "chain", "ring", "grid")
#: time units of --t-max / --t-min (seconds), plus "/a": in units of the single-qubit relaxation time 1/a
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}
_TIME = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(s|ms|us|µs|ns|ps|/a)\s*$")
_MAX_POINTS = 100_000

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
                                ("--transition", args.transition), ("--material", args.material),
                                ("--thickness-modes", getattr(args, "thickness_modes", None))) if v is not None]
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
    if getattr(args, "thickness_modes", None) is not None:  # default: FilmSetup's (1, the thin-film lowest mode)
        from ._film import parse_thickness_modes

        kw["thickness_modes"] = parse_thickness_modes(args.thickness_modes)
    for k in ("field_angle", "field_azimuth"):
        if k in kw:
            from ..medium.film_setup import parse_angle

            kw[k] = parse_angle(kw[k], "--" + k.replace("_", "-"))
    setup = FilmSetup.from_units(**kw, temperature=T)  # params.medium then describes the film at T (Ms(T), band)
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


def parse_time(text, flag: str, a: float, examples: str) -> float:
    """A time option in seconds: a number with a unit of _TIME_UNITS (s, ms, us, ns, ps), or ``X/a`` in units
    of 1/a (refused in one line when a = 0). The one time reader of the nsite commands (--t-min, --t-max,
    --tau-m); the caller checks the range."""
    m = _TIME.match(str(text).strip())
    if not m:
        raise InvalidParameterError(f"{flag}: cannot read {text!r} as a time; write e.g. {examples}")
    v = float(m.group(1))
    if m.group(2) == "/a":
        if not a > 0:
            raise InvalidParameterError(f"{flag} = {text!r} is in units of 1/a, but a = 0 here (no relaxation)")
        return v / a
    return v * _TIME_UNITS[m.group(2)]


def times_from_args(args, a: float) -> np.ndarray:
    """The time grid of --t-min/--t-max/--points in seconds (``/a``: units of 1/a)."""

    def one(text, flag):
        t = parse_time(text, flag, a, "20us, 5ns, 1e-3s or 20/a (units of 1/a)")
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
