"""Physical constants and a small parser for quantities written the way people write them.

``parse_quantity("200nm", "length") == 2e-7`` m (SI; a power-of-ten prefix is applied to the typed decimal digits,
so the value is the correctly rounded decimal — 200 × 1e-9 would be one ulp above), ``parse_quantity("2.87GHz",
"frequency") == 2.87e9``
(ordinary frequency f in Hz; the angular frequency is 2πf), ``"4K"``, ``"50mT"``, ``"140kA/m"``,
``"3.7pJ/m"``. Every error is an :class:`magbell.InvalidParameterError` naming the option and listing
the accepted units. The prefix letters m/M (milli/mega) and p/P (pico/peta) are case-sensitive: ``"5mHz"``,
``"2MK"``, ``"1MeV"``, ``"3PJ/m"`` are refused in one line naming the unit meant (``"5mHz"`` was read as 5 MHz);
the rest of a unit is read case-blind (``"2.87ghz"``, ``"200NM"``). Internally magbell.medium works in SI with energies as angular frequencies (rad/s,
ħ = 1), so that rates come out in 1/s and coherent couplings in rad/s.
"""

from __future__ import annotations

import decimal
import math
import re

import numpy as np

from ..errors import InvalidParameterError

__all__ = [
    "GAMMA_ELECTRON",
    "G_ELECTRON",
    "HBAR",
    "H_PLANCK",
    "K_B",
    "MU_0",
    "MU_B",
    "UNITS",
    "angular",
    "kT_angular",
    "parse_quantity",
    "parse_values",
]

# CODATA 2018 (exact SI values where defined)
H_PLANCK = 6.62607015e-34  #: J s
HBAR = H_PLANCK / (2 * math.pi)  #: J s
K_B = 1.380649e-23  #: J/K
E_CHARGE = 1.602176634e-19  #: C
MU_0 = 1.25663706212e-6  #: T m / A (N/A²)
MU_B = 9.2740100783e-24  #: J/T
G_ELECTRON = 2.00231930436256  #: |g| of the free electron
#: free-electron gyromagnetic ratio |γ_e| = g μ_B/ħ in rad/(s T) (≈ 2π × 28.025 GHz/T)
GAMMA_ELECTRON = G_ELECTRON * MU_B / HBAR

#: accepted units per kind: name → factor to SI (frequency: Hz of ordinary frequency)
UNITS: dict[str, dict[str, float]] = {
    "length": {"m": 1.0, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "nm": 1e-9, "pm": 1e-12, "A": 1e-10, "angstrom": 1e-10},
    "area": {"m2": 1.0, "cm2": 1e-4, "mm2": 1e-6, "um2": 1e-12, "nm2": 1e-18, "A2": 1e-20},
    "temperature": {"K": 1.0, "mK": 1e-3, "uK": 1e-6},
    "frequency": {
        "Hz": 1.0,
        "kHz": 1e3,
        "MHz": 1e6,
        "GHz": 1e9,
        "THz": 1e12,
        "rad/s": 1 / (2 * math.pi),
        "eV": E_CHARGE / H_PLANCK,
        "meV": 1e-3 * E_CHARGE / H_PLANCK,
        "ueV": 1e-6 * E_CHARGE / H_PLANCK,
    },
    "field": {"T": 1.0, "mT": 1e-3, "uT": 1e-6, "G": 1e-4, "Oe": 1e-4},
    "magnetization": {
        "A/m": 1.0,
        "kA/m": 1e3,
        "MA/m": 1e6,
        "emu/cm3": 1e3,
        # μ0 M_s (or 4π M_s in gauss), converted to M_s
        "T": 1 / MU_0,
        "mT": 1e-3 / MU_0,
        "G": 1e-4 / MU_0,
    },
    "exchange": {"J/m": 1.0, "pJ/m": 1e-12, "erg/cm": 1e-5},
    # spin-wave stiffness D_s in ω = D_s k²: SI rad/s·m². Field-type units need the medium's γ and are
    # handled by presets (kind "stiffness_field").
    "stiffness": {
        "m2/s": 1.0,  # angular: ω[rad/s] = D k²
        "Hzm2": 2 * math.pi,
        "GHznm2": 2 * math.pi * 1e9 * 1e-18,
        "MHznm2": 2 * math.pi * 1e6 * 1e-18,
        "eVm2": E_CHARGE / HBAR,
        "meVnm2": 1e-3 * E_CHARGE / HBAR * 1e-18,
        "meVA2": 1e-3 * E_CHARGE / HBAR * 1e-20,
    },
    "stiffness_field": {"Tm2": 1.0, "Tnm2": 1e-18, "mTnm2": 1e-21},
    "dimensionless": {"": 1.0},
}

_TINY = float(np.finfo(float).tiny)  # smallest normal float: below it a number has lost precision
_HUGE = float(np.finfo(float).max)
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def _normalise_unit(u: str) -> str:
    u = u.replace("µ", "u").replace("μ", "u").replace("Å", "A")
    for ch in " *·^":
        u = u.replace(ch, "")
    return u


#: SI prefixes whose case is their meaning (m milli / M mega, p pico / P peta): never matched case-blind
_CASE_PREFIXES = "mp"


def _lookup(kind: str, unit: str, name: str = ""):
    table = UNITS[kind]
    if unit in table:
        return table[unit]
    low = {}
    for k in table:
        low.setdefault(k.lower(), []).append(k)
    hits = low.get(unit.lower())
    if hits and len(hits) == 1:
        key = hits[0]
        if key[0] != unit[0] and key[0].lower() in _CASE_PREFIXES:
            # "5mHz" was read as 5 MHz, "2MK" as 2 mK, "1MeV" as 1 meV: a factor 1e9 with exit 0
            raise InvalidParameterError(
                f"{name}: unit {unit!r} is not {key!r}: SI prefixes are case-sensitive (m = milli, M = mega, "
                f"p = pico, P = peta); write {key!r} if that is what you mean"
            )
        return table[key]
    return None


def _scaled(digits: str, value: float, f: float) -> float:
    """value·f, correctly rounded from the typed decimal digits where f is a power of ten (an SI prefix):
    "200nm" is 2e-07 exactly (200 × 1e-9 is one ulp above); other factors (2π for Hz) multiply the float."""
    k = round(math.log10(f)) if f > 0 else 0
    if f > 0 and float(f"1e{k}") == f:
        try:
            return float(decimal.Decimal(digits).scaleb(k))
        except (decimal.InvalidOperation, ValueError, OverflowError):
            pass
    return value * f


def parse_quantity(text, kind: str, option: str | None = None, *, kinds: tuple | None = None):
    """Parse ``"<number><unit>"`` as a quantity of ``kind`` and return its SI value (a float).

    ``kind``: ``length, area, temperature, frequency (→ Hz), field (→ T), magnetization (→ A/m; μ0Ms in T/mT/G
    is accepted), exchange (→ J/m), stiffness (→ rad/s·m²), dimensionless``. A bare number is accepted only
    for ``dimensionless``. With ``kinds`` several kinds are tried in order and ``(value, kind)`` is returned.
    """
    name = option or kind
    if isinstance(text, (int, float, np.floating, np.integer)) and kind == "dimensionless":
        return float(text)
    s = str(text)
    m = _NUMBER.match(s)
    try_kinds = kinds or (kind,)
    accepted = "; ".join(f"{k}: {', '.join(u for u in UNITS[k] if u) or 'a plain number'}" for k in try_kinds)
    if not m:
        raise InvalidParameterError(f"{name}: cannot read {s!r} as a number with a unit (accepted: {accepted})")
    value = float(m.group(1))
    if not math.isfinite(value):
        raise InvalidParameterError(f"{name}: {s!r} is not a finite number")
    unit = _normalise_unit(m.group(2))
    for k in try_kinds:
        if k not in UNITS:
            raise InvalidParameterError(f"unknown quantity kind {k!r}")
    exact = [k for k in try_kinds if unit in UNITS[k]]  # an exact spelling in any kind wins over a case-blind one
    for k in exact or try_kinds:
        f = _lookup(k, unit, name)
        if f is not None:
            si = _scaled(m.group(1), value, f)  # Python floats: inf on overflow, no exception
            if not math.isfinite(si) or (si != 0 and abs(si) < _TINY) or (value != 0 and si == 0):
                raise InvalidParameterError(
                    f"{name}: {s!r} is outside the range of float64 numbers in SI units "
                    f"(magnitudes {_TINY:.3g} to {_HUGE:.3g})"
                )
            return (si, k) if kinds else si
    if unit == "":
        raise InvalidParameterError(f"{name}: {s!r} needs a unit (accepted: {accepted})")
    raise InvalidParameterError(f"{name}: unknown unit {m.group(2)!r} in {s!r} (accepted: {accepted})")


def parse_values(text, kind: str, option: str | None = None, max_points: int = 100_000) -> np.ndarray:
    """One value, a comma-separated list (``"100nm,200nm"``) or a range ``"START:STOP:N"``
    (``"50nm:500nm:10"``, N evenly spaced points including both ends) → 1-D array of SI values."""
    name = option or kind
    s = str(text).strip()
    if ":" in s and "/" not in s.split(":")[0]:
        parts = s.split(":")
        if len(parts) != 3:
            raise InvalidParameterError(f"{name}: a range is START:STOP:N, e.g. 50nm:500nm:10, got {s!r}")
        lo = parse_quantity(parts[0], kind, name)
        hi = parse_quantity(parts[1], kind, name)
        try:
            n = int(parts[2])
        except ValueError:
            raise InvalidParameterError(f"{name}: the number of points N in START:STOP:N must be an integer, got {parts[2]!r}") from None
        if not 2 <= n <= max_points:
            raise InvalidParameterError(f"{name}: the number of points N must be between 2 and {max_points}, got {n}")
        if not hi > lo:
            raise InvalidParameterError(f"{name}: STOP must be greater than START in {s!r}")
        return np.linspace(lo, hi, n)
    items = [p for p in s.split(",")]
    if any(not p.strip() for p in items):
        raise InvalidParameterError(f"{name}: empty item in the list {s!r}")
    if len(items) > max_points:
        raise InvalidParameterError(f"{name}: at most {max_points} values")
    return np.array([parse_quantity(p, kind, name) for p in items], dtype=float)


def angular(frequency_hz):
    """ω = 2πf (rad/s) from an ordinary frequency in Hz."""
    return 2 * math.pi * np.asarray(frequency_hz, dtype=float)


def kT_angular(temperature_K):
    """k_B T/ħ in rad/s (the temperature in the angular-frequency energy unit)."""
    with np.errstate(over="ignore"):  # inf beyond ~1e297 K: callers refuse non-finite kT
        return K_B * np.asarray(temperature_K, dtype=float) / HBAR
