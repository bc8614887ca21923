"""The qubits of an N-site sweep (sweep/_nsite.py): :class:`Sites` (N qubits placed in a contact-coupling
medium), the N-site grid parameters, the hooks of the parameter check (``_params``) and the ``[sites]`` table of
a TOML configuration (``_config``)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["Sites", "NSITE_PARAMS", "SITES_SCHEMA", "MAX_N", "is_sites", "check_names", "prepare_block",
           "sites_from_config"]

#: the N-site sweep parameters: name -> (units, long_name) (grid axes only)
NSITE_PARAMS = {
    "N": ("1", "number of qubits"),
    "spacing": ("m", "neighbour distance of the qubits"),
    "temperature": ("K", "temperature T of the magnet"),
    "field": ("T", "bias field B (sets the qubit frequency and the magnon gap)"),
    "damping": ("1", "Gilbert damping alpha of the magnet"),
}
#: parameters that vary per chunk (the task's loop fields: one value per chunk, so every point has its own status)
_LOOP = ("N", "spacing", "temperature", "field", "damping")
ARRANGEMENTS = ("chain", "ring", "grid", "positions")
#: most qubits of an N axis (the System engine's own limits apply per function)
MAX_N = 2048


def _pos_number(name: str, v, allow_zero: bool = False) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise InvalidParameterError(f"{name} must be a number, got {v!r}")
    v = float(v)
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InvalidParameterError(f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {v!r}")
    return v


@dataclass(frozen=True, eq=False)
class Sites:
    """N qubits in a medium: ``setup`` (a :class:`magbell.medium.PhysicalSetup`), ``arrangement`` ``"chain"``
    (``N``, ``spacing``), ``"ring"`` (``N`` ≥ 3, ``spacing`` = neighbour chord, 2D/3D media), ``"grid"`` (``shape``
    (n1, n2[, n3]), ``spacing``) or ``"positions"`` (``positions`` (N, d) in m), at ``temperature`` [K]."""

    setup: object
    arrangement: str = "chain"
    N: int | None = None
    spacing: float | None = None
    temperature: float = 0.0
    shape: tuple | None = None
    positions: object = None

    def __post_init__(self):
        from ..medium.presets import PhysicalSetup

        if not isinstance(self.setup, PhysicalSetup):
            raise InvalidParameterError(
                f"Sites needs setup = a magbell.medium.PhysicalSetup (contact-coupling magnon medium), got "
                f"{type(self.setup).__name__}")
        if self.arrangement not in ARRANGEMENTS:
            raise InvalidParameterError(f"arrangement must be one of {', '.join(ARRANGEMENTS)}, got {self.arrangement!r}")
        object.__setattr__(self, "temperature", _pos_number("temperature", self.temperature, allow_zero=True))
        if self.arrangement == "positions":
            if self.positions is None or self.N is not None or self.spacing is not None or self.shape is not None:
                raise InvalidParameterError("arrangement='positions' takes positions=(N, d) array [m] only")
            x = np.array(self.positions, dtype=float)
            x.setflags(write=False)
            object.__setattr__(self, "positions", x)
        else:
            if self.positions is not None:
                raise InvalidParameterError(f"positions= goes with arrangement='positions', not {self.arrangement!r}")
            if self.spacing is not None:
                object.__setattr__(self, "spacing", _pos_number("spacing", self.spacing))
            if self.arrangement == "grid":
                if self.N is not None or self.shape is None:
                    raise InvalidParameterError("arrangement='grid' takes shape=(n1, n2[, n3]), not N")
                object.__setattr__(self, "shape", tuple(int(n) for n in self.shape))
            elif self.N is not None:
                object.__setattr__(self, "N", _count(self.N))
        self.couplings(N=self.N if self.N is not None else (2 if self.arrangement == "chain" else 3),
                       spacing=self.spacing or 1e-7) if self.arrangement != "positions" else self.couplings()

    def place(self, N=None, spacing=None) -> np.ndarray:
        """Positions [m] of the qubits (``N``, ``spacing`` override the Sites' values)."""
        from ..system._positions import chain_positions, grid_positions, ring_positions

        if self.arrangement == "positions":
            return self.positions
        s = self.spacing if spacing is None else spacing
        if s is None:
            raise InvalidParameterError("Sites: give spacing= (or sweep 'spacing' as a grid axis)")
        if self.arrangement == "grid":
            return grid_positions(self.shape, s)
        n = self.N if N is None else N
        if n is None:
            raise InvalidParameterError("Sites: give N= (or sweep 'N' as a grid axis)")
        return chain_positions(n, s) if self.arrangement == "chain" else ring_positions(n, s)

    def couplings(self, N=None, spacing=None, temperature=None, field=None, damping=None):
        """The :class:`magbell.system.PositionCouplings` of the qubits (arguments override the Sites' values)."""
        from ..medium.units import kT_angular
        from ..system._positions import couplings_at_positions

        setup = self.setup
        if field is not None or damping is not None:
            changes = {}
            if field is not None:
                changes["field"] = float(field)
            if damping is not None:
                changes["damping"] = _pos_number("damping", damping, allow_zero=True)
            setup = dataclasses.replace(setup, **changes)
        T = self.temperature if temperature is None else _pos_number("temperature", temperature, allow_zero=True)
        return couplings_at_positions(setup.medium(), self.place(N, spacing), setup.Delta, kT=kT_angular(T))

    def describe(self) -> dict:
        return {"setup": self.setup.describe(), "arrangement": self.arrangement, "N": self.N, "spacing_m": self.spacing,
                "temperature_K": self.temperature, "shape": None if self.shape is None else list(self.shape),
                "positions_m": None if self.positions is None else np.asarray(self.positions).tolist()}

    @property
    def n_sites(self) -> int | None:
        if self.arrangement == "positions":
            return int(np.shape(self.positions)[0])
        if self.arrangement == "grid":
            return int(math.prod(self.shape))
        return self.N


def _count(n) -> int:
    if isinstance(n, (bool, np.bool_)) or not float(n).is_integer() or not 1 <= int(n) <= MAX_N:
        raise InvalidParameterError(f"N (the number of qubits) must be an integer in 1..{MAX_N}, got {n!r}")
    return int(n)


def is_sites(medium) -> bool:
    return isinstance(medium, Sites)


def check_names(names) -> None:
    """The parameters that are neither grid axes of the N-site task nor allowed (``_params.check_names``)."""
    if names:
        raise InvalidParameterError(
            f"an N-site sweep (sites=...) varies only the grid axes {', '.join(NSITE_PARAMS)} (and t); "
            f"{sorted(names)} are not N-site parameters (fixed= is not used: give fixed values in Sites(...))")


def prepare_block(shape: tuple) -> tuple:
    """The placeholder model of an N-site chunk (its values come from the task's own fields)."""
    return {"a": np.ones(shape)}, np.ones(shape, dtype=bool), np.full(shape, "", dtype=object)



# ----------------------------------------------------------------------------- TOML ([sites] of magbell sweep)
#: the [sites] table of a sweep configuration: key -> description
SITES_SCHEMA = {
    "arrangement": "chain (default) | ring | grid | positions: N qubits placed in the [medium] (contact geometries)",
    "N": "number of qubits (chain, ring), unless N is a [grid] axis",
    "spacing": "neighbour distance, e.g. \"100nm\" (chain, ring, grid), unless spacing is a [grid] axis",
    "temperature": "temperature, e.g. \"4K\" (default 0K), unless temperature is a [grid] axis",
    "shape": "grid: [n1, n2] or [n1, n2, n3]",
    "positions": "positions: a list of [x] / [x, y] / [x, y, z], numbers in m or strings with a unit",
}


def sites_from_config(table: dict, medium) -> Sites:
    """The :class:`Sites` of a ``[sites]`` table in the ``[medium]`` (one-line errors naming the key)."""
    from ..medium.presets import PhysicalSetup
    from ..medium.units import parse_quantity

    bad = sorted(set(table) - set(SITES_SCHEMA))
    if bad:
        raise InvalidParameterError(f"unknown key {bad[0]!r} in [sites]; known: {', '.join(SITES_SCHEMA)}")
    if not isinstance(medium, PhysicalSetup):
        raise InvalidParameterError("[sites] needs a [medium] table with a contact geometry (bulk3d | film2d | chain1d)")

    def qty(key, kind):
        v = table.get(key)
        if v is None:
            return None
        if isinstance(v, str):
            return parse_quantity(v, kind, f"[sites] {key}")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidParameterError(f"[sites] {key} must be a number or a string with a unit, got {v!r}")
        return float(v)

    pos = table.get("positions")
    if pos is not None:
        if not (isinstance(pos, list) and pos and all(isinstance(p, list) and p for p in pos)):
            raise InvalidParameterError(f"[sites] positions must be a list of coordinate lists, got {pos!r}")
        pos = [[parse_quantity(c, "length", "[sites] positions") if isinstance(c, str) else c for c in p] for p in pos]
        if any(isinstance(c, bool) or not isinstance(c, (int, float)) for p in pos for c in p):
            raise InvalidParameterError("[sites] positions must hold numbers (m) or strings with a unit")
    N = table.get("N")
    if N is not None and (isinstance(N, bool) or not isinstance(N, int)):
        raise InvalidParameterError(f"[sites] N must be an integer, got {N!r}")
    shape = table.get("shape")
    if shape is not None and not (isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool)
                                                                   for n in shape)):
        raise InvalidParameterError(f"[sites] shape must be a list of integers, got {shape!r}")
    return Sites(medium, table.get("arrangement", "chain"), N=N, spacing=qty("spacing", "length"),
                 temperature=qty("temperature", "temperature") or 0.0, shape=shape, positions=pos)
