"""Fit parameters: names, units, physical bounds and the bounded internal coordinates of the fit.

Natural parameters (SI: rates in 1/s, energies in rad/s, phases in rad)::

    a, A (= |A|), arg_A, a_tilde, A_tilde (= |Ã|), arg_A_tilde, delta, d, D_deph, Jz, Jperp, D_dm,
    readout_up, readout_down

The physical bounds a ≥ |A|, ã ≥ |Ã|, d ≥ |𝔇| (Suppl. S42, S47; Eq. 4) are built into the internal
coordinates, so every point the optimiser can reach is a valid :class:`magbell.Model`:

* both of a pair free: the coordinates are ``a`` ∈ [0, ∞) and the ratio ``|A|/a`` ∈ [0, 1];
* only ``|A|`` free: ``|A|`` ∈ [0, a]; only ``a`` free: ``a`` ∈ [|A|, ∞).

Rates are handled in units of ``1/tau`` (``tau``: the longest measured time) so that the optimiser sees
numbers of order one at every physical scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidParameterError
from ..system._model import Model

__all__ = ["PARAMETERS", "RATE_PARAMETERS", "UNITS", "Space", "parse_assignments", "parse_names"]

PARAMETERS = (
    "a", "A", "arg_A", "a_tilde", "A_tilde", "arg_A_tilde", "delta", "d", "D_deph", "Jz", "Jperp", "D_dm",
    "readout_up", "readout_down",
)
RATE_PARAMETERS = ("a", "A", "a_tilde", "A_tilde", "delta", "d", "D_deph", "Jz", "Jperp", "D_dm")
PHASES = ("arg_A", "arg_A_tilde")
READOUT = ("readout_up", "readout_down")
UNITS = {p: ("1/s" if p in ("a", "A", "a_tilde", "A_tilde", "d", "D_deph") else "rad/s") for p in RATE_PARAMETERS}
UNITS.update({"arg_A": "rad", "arg_A_tilde": "rad", "readout_up": "1", "readout_down": "1"})
#: (local rate, nonlocal magnitude, signed?) pairs with |nonlocal| <= local
PAIRS = (("a", "A", False), ("a_tilde", "A_tilde", False), ("d", "D_deph", True))
RATIO = {"A": "A_over_a", "A_tilde": "A_tilde_over_a_tilde", "D_deph": "D_deph_over_d"}


def parse_names(names) -> tuple:
    """``"a,A"`` or a sequence → tuple of known parameter names (error names the unknown one)."""
    if isinstance(names, str):
        names = [s.strip() for s in names.split(",") if s.strip()]
    elif not isinstance(names, (list, tuple, np.ndarray)):
        raise InvalidParameterError(f"fit parameters must be a string such as 'a,A' or a list of names, got {names!r}")
    out = []
    for n in names:
        if n not in PARAMETERS:
            raise InvalidParameterError(f"unknown fit parameter {n!r}; known: {', '.join(PARAMETERS)}")
        if n in out:
            raise InvalidParameterError(f"fit parameter {n!r} given twice")
        out.append(n)
    return tuple(out)


def parse_assignments(text, what: str = "fix") -> dict:
    """``"delta=0,a=1e4"`` (or a dict) → {name: float}, validated names and finite values."""
    if text is None:
        return {}
    if isinstance(text, dict):
        items = list(text.items())
    else:
        items = []
        for part in (text if isinstance(text, (list, tuple)) else [text]):
            for s in str(part).split(","):
                s = s.strip()
                if not s:
                    continue
                if "=" not in s:
                    raise InvalidParameterError(f"{what}: expected NAME=VALUE, got {s!r}")
                k, v = s.split("=", 1)
                items.append((k.strip(), v.strip()))
    out = {}
    for k, v in items:
        if k not in PARAMETERS:
            raise InvalidParameterError(f"{what}: unknown parameter {k!r}; known: {', '.join(PARAMETERS)}")
        try:
            if isinstance(v, (bool, np.bool_)):  # float(True) is 1: not a parameter value
                raise TypeError
            x = float(v)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"{what}: {k} must be a number, got {v!r}") from None
        if not np.isfinite(x):
            raise InvalidParameterError(f"{what}: {k} must be finite, got {v!r}")
        out[k] = x
    return out


def check_physical(values: dict, what: str) -> None:
    """Bounds of given natural values: rates >= 0, |A| <= a, readout in (0.5, 1]."""
    for p in ("a", "A", "a_tilde", "A_tilde", "d"):
        if p in values and values[p] < 0:
            raise InvalidParameterError(f"{what}: {p} must be >= 0, got {values[p]:g}")
    for loc, nl, _ in PAIRS:
        if loc in values and nl in values and abs(values[nl]) > values[loc] * (1 + 1e-12):
            raise InvalidParameterError(
                f"{what}: {loc} >= |{nl}| violated ({loc}={values[loc]:g}, {nl}={values[nl]:g}): the thermodynamic-"
                "stability bound (Suppl. S42) requires h to be positive semidefinite")
    for p in READOUT:
        if p in values and not 0.5 < values[p] <= 1:
            raise InvalidParameterError(f"{what}: {p} must lie in (0.5, 1], got {values[p]:g}")


@dataclass(frozen=True)
class Space:
    """Free parameters (internal bounded coordinates) and fixed values, in scaled units (rates × tau).

    ``fixed`` may also hold a ratio ``A_over_a`` etc. (used to profile |A|/a with a free).
    """

    free: tuple
    fixed: dict
    tau: float
    ratio: bool = True  # False: natural coordinates |A| (no bounds; for finite differences)
    rate_max: float = np.inf  # rates/energies (scaled) beyond this leave every measured point relaxed
    limit: bool = False  # also bound free rates to [0, rate_max] and energies to [-rate_max, rate_max]
    lower: np.ndarray = field(init=False, repr=False)
    upper: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        lo, hi = [], []
        for p in self.free:
            lo_p, hi_p = -np.inf, np.inf
            if not self.ratio:
                pass
            elif p in ("a", "a_tilde", "d"):
                nl = {"a": "A", "a_tilde": "A_tilde", "d": "D_deph"}[p]
                lo_p = abs(self.fixed.get(nl, 0.0)) if nl not in self.free else 0.0
                if self.limit:
                    hi_p = max(self.rate_max, 2 * lo_p)
            elif p in ("delta", "Jz", "Jperp", "D_dm"):
                if self.limit:
                    lo_p, hi_p = -self.rate_max, self.rate_max
            elif p in RATIO:
                loc = {"A": "a", "A_tilde": "a_tilde", "D_deph": "d"}[p]
                signed = p == "D_deph"
                top = 1.0 if loc in self.free else self.fixed.get(loc, 0.0)
                lo_p, hi_p = (-top if signed else 0.0), top
            elif p in READOUT:
                lo_p, hi_p = 0.5 + 1e-9, 1.0
            lo.append(lo_p)
            hi.append(hi_p)
        object.__setattr__(self, "lower", np.array(lo, dtype=float))
        object.__setattr__(self, "upper", np.array(hi, dtype=float))

    @property
    def k(self) -> int:
        return len(self.free)

    def natural(self, X) -> dict:
        """Internal coordinates (P, k) → natural scaled values {name: (P,)} for every parameter."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        P = X.shape[0]
        v = {}
        for j, p in enumerate(self.free):
            v[p] = X[:, j]
        for p in PARAMETERS:
            if p not in v and p in self.fixed:
                v[p] = np.full(P, float(self.fixed[p]))
        for loc, nl, _ in PAIRS:
            if self.ratio and nl in v and nl in self.free and loc in self.free:
                v[nl] = v[nl] * v[loc]  # ratio coordinate
            if nl not in v:
                r = self.fixed.get(RATIO[nl])
                v[nl] = np.zeros(P) if r is None else r * v.get(loc, np.zeros(P))
            if loc not in v:
                v[loc] = np.zeros(P)
        for p in ("delta", "Jz", "Jperp", "D_dm", "arg_A"):
            v.setdefault(p, np.zeros(P))
        v.setdefault("arg_A_tilde", v["arg_A"])
        for p in READOUT:
            v.setdefault(p, np.full(P, np.nan))  # nan: per-row values from the data
        return v

    def internal(self, nat: dict) -> np.ndarray:
        """Natural scaled values (scalars) of the free parameters → internal coordinates (k,), clipped into bounds."""
        x = []
        for p in self.free:
            val = float(nat[p])
            if p in RATIO and self.ratio:
                loc = {"A": "a", "A_tilde": "a_tilde", "D_deph": "d"}[p]
                if loc in self.free:
                    den = float(nat[loc])
                    val = val / den if den > 0 else 0.0
            x.append(val)
        return np.clip(np.array(x, dtype=float), self.lower, self.upper)

    def model(self, v: dict) -> Model:
        """A batched :class:`Model` (scaled units) from natural values (each (P,))."""
        A = v["A"] * np.exp(1j * v["arg_A"])
        At = v["A_tilde"] * np.exp(1j * v["arg_A_tilde"])
        # the ratio coordinates keep |A| <= a up to one rounding; snap that rounding away
        A = np.where(np.abs(A) > v["a"], A / np.maximum(np.abs(A), 1e-300) * v["a"], A)
        At = np.where(np.abs(At) > v["a_tilde"], At / np.maximum(np.abs(At), 1e-300) * v["a_tilde"], At)
        Dd = np.clip(v["D_deph"], -v["d"], v["d"])
        return Model(a=v["a"], A=A, a_tilde=v["a_tilde"], A_tilde=At, delta=v["delta"], d=v["d"], D_deph=Dd,
                     Jz=v["Jz"], Jperp=v["Jperp"], D_dm=v["D_dm"])

    def feasible(self, v: dict) -> np.ndarray:
        """Which points (P,) satisfy the physical bounds (for finite-difference stencils)."""
        ok = np.ones(len(v["a"]), dtype=bool)
        for p in ("a", "a_tilde", "d", "A", "A_tilde"):
            ok &= v[p] >= 0
        for loc, nl, _ in PAIRS:
            ok &= np.abs(v[nl]) <= v[loc] * (1 + 1e-12)
        for p in READOUT:
            r = v[p]
            ok &= np.isnan(r) | ((r > 0.5) & (r <= 1))
        return ok


def to_scaled(values: dict, tau: float) -> dict:
    """SI values → scaled (rates × tau)."""
    return {k: (v * tau if k in RATE_PARAMETERS else v) for k, v in values.items()}


def to_si(values: dict, tau: float) -> dict:
    """Scaled values → SI (rates / tau); phases wrapped to (-π, π]."""
    out = {}
    for k, v in values.items():
        if k in RATE_PARAMETERS:
            out[k] = v / tau
        elif k in PHASES:
            out[k] = float(np.angle(np.exp(1j * v)))
        else:
            out[k] = v
    return out


def scale_of(name: str, value: float, ref_rate: float) -> float:
    """A typical size of a parameter (scaled units) for finite differences and identifiability."""
    if name in RATE_PARAMETERS:
        return max(abs(value), 0.05 * ref_rate, 1e-6)
    if name in PHASES:
        return 1.0
    return 0.05
