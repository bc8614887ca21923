"""Shared pieces of :mod:`magbell.plot`: the lazy matplotlib import, a fresh Axes, axis labels from
``units``/``long_name`` attributes, input validation (one-line :class:`~magbell.errors.InvalidParameterError`)
and the regime colours."""

from __future__ import annotations

import re

import numpy as np

from .._optional import require
from ..errors import InvalidParameterError

#: one colour per regime name that magbell returns (``spectrum(...).regime``, ``postselect_spectrum(...).phase``)
REGIME_COLORS = {
    "underdamped": "#1f77b4",
    "critical": "#f28e00",
    "overdamped": "#2ca02c",
    "PT-exact": "#1f77b4",
    "exceptional-point": "#f28e00",
    "PT-broken": "#d62728",
    "degenerate": "0.5",
}

#: TeX symbols of magbell's parameter and coordinate names (the paper's notation)
SYMBOLS = {
    "t": r"$t$",
    "delta": r"$\delta$",
    "Delta": r"$\Delta$",
    "a": r"$a$",
    "a_tilde": r"$\tilde a$",
    "A": r"$|A|$",
    "A_tilde": r"$|\tilde A|$",
    "A_over_a": r"$|A|/a$",
    "A_phase": r"$\arg A$",
    "ratio": r"$r = e^{-\beta\Delta}$",
    "d": r"$d$",
    "D_deph": r"$|\mathfrak{D}|$",
    "Jz": r"$\mathcal{J}_z$",
    "Jperp": r"$\mathcal{J}_\perp$",
    "D_dm": r"$D$",
    "temperature": r"$T$",
    "Delta_GHz": r"$\Delta/2\pi$",
    "separation": "separation",
    "direction": r"direction $\psi$",
    "height": "height",
    "field": r"$B$",
    "field_angle": r"field angle $\theta_B$",
    "field_azimuth": r"field azimuth $\phi_B$",
    "Gamma": r"$\Gamma$",
    "concurrence": r"$\mathcal{C}$",
    "entanglement_lifetime": r"entanglement lifetime $\tau$",
    "entanglement_rate": "entanglement decay rate",
    "slowest_rate": "slowest decay rate",
    "success_probability": r"success probability $P$",
    "negativity": r"negativity $\mathcal{N}$",
    "purity": r"purity tr$\rho^2$",
}

#: unit strings that are physical units (shown as "(s)"); other short units are model symbols ("units of a")
_PHYSICAL = {"s", "ms", "µs", "us", "ns", "ps", "K", "mK", "m", "mm", "µm", "um", "nm", "T", "mT", "Hz", "kHz",
             "MHz", "GHz", "rad", "deg", "°", "ebit", "J", "eV", "meV", "A/m"}
_RATE_UNIT = re.compile(r"rate unit\s*\(hbar = 1\)")


def mpl():
    """matplotlib, or one line naming the extra that installs it (:class:`~magbell.MissingDependencyError`)."""
    return require("matplotlib", "plot", what="magbell.plot")


def axes(ax, figsize=(4.0, 3.0)):
    """``ax`` itself, or the Axes of a new pyplot figure of ``figsize`` inches."""
    if ax is not None:
        if not hasattr(ax, "plot") or not hasattr(ax, "figure"):
            raise InvalidParameterError(f"ax: must be a matplotlib Axes, got {type(ax).__name__}")
        return ax
    mpl()
    plt = require("matplotlib.pyplot", "plot", what="magbell.plot")
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def pretty_units(units) -> str:
    """``units`` as shown on an axis: '' for dimensionless ('1'), 'ħ = 1' spelled out, else unchanged."""
    if units is None:
        return ""
    u = str(units).strip()
    if u in ("", "1"):
        return ""
    u = _RATE_UNIT.sub("rate unit, ħ = 1", u)
    return u


def label(name: str | None, attrs: dict | None = None, unit: str | None = None) -> str:
    """Axis label: the paper's symbol for ``name`` (else its ``long_name``, else the name) and its unit.

    ``unit`` overrides ``attrs["units"]``. A unit that is a symbol of the model (``"a"``, ``"1/a"``, the
    default rate unit) reads "(units of ...)"; a physical one ("s", "K", "rad/s") reads "(s)".
    """
    attrs = attrs or {}
    sym = SYMBOLS.get(name or "") or attrs.get("long_name") or (name or "")
    u = pretty_units(unit if unit is not None else attrs.get("units"))
    if not u:
        return sym
    core = re.sub(r"^1/\(?|\)$", "", u)
    if "rate unit" in u or (core not in _PHYSICAL and len(core) <= 3):
        return f"{sym}  (units of {u})"
    return f"{sym}  ({u})"


def as_float_array(x, name: str, ndim: int | None = None, allow_inf: bool = False) -> np.ndarray:
    """``x`` as a real float array (NaN allowed; ±inf only with ``allow_inf``), or one line naming ``name``."""
    try:
        arr = np.asarray(x)
    except Exception as e:  # pragma: no cover - exotic array-likes
        raise InvalidParameterError(f"{name}: not an array ({e})") from None
    if arr.dtype.kind == "c":
        if np.any(np.imag(arr) != 0):
            raise InvalidParameterError(f"{name}: must be real, got complex values")
        arr = arr.real
    if arr.dtype.kind not in "biuf":
        raise InvalidParameterError(f"{name}: must be numbers, got dtype {arr.dtype}")
    arr = arr.astype(float)
    if ndim is not None and arr.ndim != ndim:
        raise InvalidParameterError(f"{name}: must have {ndim} dimension(s), got shape {arr.shape}")
    if not allow_inf and np.any(np.isinf(arr)):
        raise InvalidParameterError(f"{name}: must be finite (NaN marks a missing point), got ±inf")
    return arr


def is_xarray(obj) -> bool:
    return type(obj).__module__.startswith("xarray.")


def coord_values(obj, dim: str) -> np.ndarray | None:
    if not hasattr(obj, "coords") or dim not in obj.coords:
        return None
    return np.asarray(obj.coords[dim].values)
