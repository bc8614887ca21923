"""The parameter schema of :class:`magbell.Model` and detailed balance, in one place.

* :data:`MODEL_SCHEMA` lists every ``Model`` parameter (name, real/complex, unit, CLI flag and its legacy
  aliases, sweep key, description); :data:`DERIVED_SCHEMA` the derived inputs (``A_phase``, ``A_over_a``,
  ``ratio``, ``temperature``, ``Delta_GHz``). The CLI's shared model options (:func:`add_cli_options`) and
  the sweep's accepted keys (:func:`sweep_table`) are generated from them.
* Detailed balance (fluctuation–dissipation in thermal equilibrium, Zou, Zhang & Tserkovnyak, PRB 106,
  L180406, main text after Eq. 6 and Suppl. S35 text): ``ã = r a``, ``Ã = r A`` (the phase of A kept) and,
  for unequal local rates, ``ã2 = r a2``, with ``r = e^{−βΔ}`` (``r = exp(−h f / k_B T)`` for the mean
  splitting ``Δ = h f``). Pure dephasing (d, 𝔇) is NOT tied by it: it is the zero-frequency noise (S33),
  e^{−β·0} = 1. :func:`thermal_violations`, :func:`boltzmann_ratio`, :func:`thermal_ratio` and
  :func:`detailed_balance_rates` are the one implementation used by ``Model.detailed_balance``, the CLI and
  the sweep.

This module imports only NumPy and :mod:`magbell.errors` (it is imported by ``model.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidParameterError, describe_bad_points

__all__ = [
    "Param", "MODEL_SCHEMA", "DERIVED_SCHEMA", "SCHEMA", "MODEL_NAMES", "COMPLEX_PARAMS", "QUBIT2_PARAMS",
    "RATE_PARAMS", "THERMAL_FIXED", "by_name", "PLANCK_OVER_BOLTZMANN_K_PER_GHZ", "flush_subnormal", "thermal_violations",
    "boltzmann_ratio", "thermal_ratio", "detailed_balance_rates", "add_cli_options", "sweep_table", "cli_flags",
]

#: h / k_B in kelvin per GHz: β·h·f = PLANCK_OVER_BOLTZMANN_K_PER_GHZ · f[GHz] / T[K]
PLANCK_OVER_BOLTZMANN_K_PER_GHZ = 6.62607015e-34 * 1e9 / 1.380649e-23


@dataclass(frozen=True)
class Param:
    """One parameter: ``name`` (the Model keyword; also the sweep key and the CLI ``dest``), ``complex``
    (whether the Model accepts a complex value; the CLI and sweep axes take its modulus, the phase by
    ``A_phase``), ``unit`` ("rate": the user's common rate/energy unit; else a unit string), ``flag`` (the
    canonical CLI flag) and ``aliases`` (older flags that keep working), ``description``; ``rate`` (must be
    >= 0), ``cli_default`` (None: not given), ``required``; ``group`` ("model" or "thermal": where the CLI
    lists it)."""

    name: str
    description: str
    unit: str = "rate"
    complex: bool = False
    rate: bool = False
    flag: str = ""
    aliases: tuple = ()
    cli_default: float | None = 0.0
    required: bool = False
    metavar: str = ""
    group: str = "model"

    @property
    def sweep_key(self) -> str:
        return self.name

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def flags(self) -> tuple:
        return (self.cli_flag, *self.aliases)

    @property
    def shown(self) -> str:
        """How messages name the option: ``--a-tilde/--at``."""
        return "/".join(self.flags)


P = Param
#: every parameter of :class:`magbell.Model`, in the order of the CLI's JSON ``params``
MODEL_SCHEMA: tuple = (
    P("a", "local relaxation a (jump sigma+, towards |up>); qubit 1's if a2 is given", rate=True,
      required=True, cli_default=None),
    P("A", "dissipative coupling A (Eq. 4), h[sigma2+, sigma1+] = A; needs a >= |A| (CLI: |A|, phase by A_phase)",
      complex=True, cli_default=None),
    P("a_tilde", "reverse local process a~ (jump sigma-); qubit 1's if a_tilde2 is given (0: zero temperature)",
      rate=True, aliases=("--at",), cli_default=None, metavar="a~"),
    P("A_tilde", "reverse dissipative coupling A~, h[sigma1-, sigma2-] = A~; needs a~ >= |A~|", complex=True,
      aliases=("--At",), cli_default=None, metavar="A~"),
    P("delta", "local-field asymmetry delta = (Delta1 - Delta2)/2"),
    P("Delta", "mean splitting Delta = (Delta1 + Delta2)/2 (only adds phases to coherences)"),
    P("d", "local pure dephasing d; qubit 1's if d2 is given", rate=True),
    P("D_deph", "nonlocal dephasing (fraktur D), h[sigma1z, sigma2z]; needs d >= |D_deph|", complex=True,
      metavar="DEPH"),
    P("Jz", "coherent Ising coupling Jz sigma1z sigma2z (S38)"),
    P("Jperp", "coherent XY coupling Jperp (sigma1x sigma2x + sigma1y sigma2y) (S38)"),
    P("D_dm", "Dzyaloshinskii-Moriya coupling D z.(sigma1 x sigma2) (S38)", aliases=("--D",), metavar="D"),
    P("a2", "qubit 2's local relaxation when it differs from a (then a*a2 >= |A|^2)", rate=True, cli_default=None),
    P("a_tilde2", "qubit 2's reverse local process when it differs from a_tilde", rate=True, aliases=("--at2",),
      cli_default=None, metavar="a~2"),
    P("d2", "qubit 2's local dephasing when it differs from d", rate=True, cli_default=None),
)
#: derived inputs: each determines Model parameters (giving both is an error)
DERIVED_SCHEMA: tuple = (
    P("A_phase", "phase phi of A (and of A~): A = |A| exp(i phi)", unit="rad", cli_default=None, metavar="PHI"),
    P("A_over_a", "|A|/a: A = A_over_a * a (the paper's phase diagrams)", unit="1", cli_default=None,
      metavar="X"),
    P("ratio", "Boltzmann ratio r = exp(-beta Delta), 0 <= r <= 1: detailed balance a~ = r a, A~ = r A, a~2 = r a2",
      unit="1", cli_default=None, metavar="r", group="thermal"),
    P("temperature", "temperature T in kelvin, with Delta_GHz: r = exp(-h f / k_B T)", unit="K", cli_default=None,
      metavar="T_K", group="thermal"),
    P("Delta_GHz", "mean qubit splitting f as a frequency in GHz, for temperature only (does not set Delta, "
      "whose unit is the model's own)", unit="GHz", cli_default=None, metavar="f", group="thermal"),
)
del P
SCHEMA: tuple = MODEL_SCHEMA + DERIVED_SCHEMA
MODEL_NAMES: tuple = tuple(p.name for p in MODEL_SCHEMA)
COMPLEX_PARAMS: tuple = tuple(p.name for p in MODEL_SCHEMA if p.complex)
RATE_PARAMS: tuple = tuple(p.name for p in MODEL_SCHEMA if p.rate)
QUBIT2_PARAMS: tuple = ("a2", "a_tilde2", "d2")
#: the Model parameters that detailed balance determines
THERMAL_FIXED: tuple = ("a_tilde", "A_tilde", "a_tilde2")


def by_name(name: str) -> Param:
    for p in SCHEMA:
        if p.name == name:
            return p
    raise KeyError(name)


# ----------------------------------------------------------------------------- generated interfaces
def add_cli_options(model_group, thermal_group, value_type, schema: tuple = SCHEMA) -> None:
    """Add one argparse option per schema entry (canonical flag first, then its aliases)."""
    for p in schema:
        group = thermal_group if p.group == "thermal" else model_group
        text = p.description
        if p.required:
            text += " (required)"
        elif p.cli_default == 0.0 or p.name in ("A", "a_tilde", "A_tilde"):
            text += " (default 0)"
        group.add_argument(*p.flags, dest=p.name, type=value_type, default=p.cli_default, required=p.required,
                           metavar=p.metavar or p.name, help=text)


def sweep_table(schema: tuple) -> dict:
    """{sweep key: (kind, description)} with kind "rate" (the user's unit) or the unit string."""
    return {p.sweep_key: (p.unit, p.description) for p in schema}


def cli_flags(schema: tuple = SCHEMA) -> dict:
    """{name: (canonical flag, *aliases)}."""
    return {p.name: p.flags for p in schema}


# ----------------------------------------------------------------------------- detailed balance
def flush_subnormal(x):
    """``x`` with subnormal parts set to 0: for derived rates such as ã = r·a at very low temperature, where
    the absolute change (< 2.2e-308) is far below anything the solvers resolve."""
    x = np.asarray(x)
    tiny = np.finfo(float).tiny
    if np.iscomplexobj(x):
        return np.where(np.abs(x.real) < tiny, 0.0, x.real) + 1j * np.where(np.abs(x.imag) < tiny, 0.0, x.imag)
    return np.where(np.abs(x) < tiny, 0.0, x)


def thermal_violations(ratio=None, temperature=None, Delta_GHz=None) -> list:
    """[(mask, message, values)] for the point-wise conditions on the (float, finite) thermal inputs:
    0 <= ratio <= 1, temperature >= 0 K, Delta_GHz > 0."""
    out = []
    if ratio is not None:
        r = np.asarray(ratio, dtype=float)
        out.append(((r < 0) | (r > 1), "ratio = e^{-beta Delta} must satisfy 0 <= ratio <= 1 (positive temperature)",
                    {"ratio": r}))
    if temperature is not None:
        T = np.asarray(temperature, dtype=float)
        out.append((T < 0, "temperature must be >= 0 K", {"temperature": T}))
    if Delta_GHz is not None:
        f = np.asarray(Delta_GHz, dtype=float)
        out.append((f <= 0, "Delta_GHz must be > 0", {"Delta_GHz": f}))
    return [(m, msg, v) for m, msg, v in out if np.any(m)]


def boltzmann_ratio(temperature, Delta_GHz) -> np.ndarray:
    """r = exp(−h f / k_B T) for T [K] >= 0 (−0 K is 0 K) and f [GHz] > 0; T = 0 or an overflowing
    h f / k_B T give r = 0, without a warning."""
    T = np.asarray(temperature, dtype=float) + 0.0  # -0 K is 0 K (r = 0), not a division by -0
    f = np.asarray(Delta_GHz, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        x = PLANCK_OVER_BOLTZMANN_K_PER_GHZ * f / T  # +inf at T = 0 or f/T beyond float: r = 0
    return np.exp(-x)


def thermal_ratio(*, ratio=None, temperature=None, Delta_GHz=None) -> np.ndarray:
    """The validated Boltzmann ratio r from exactly one of ``ratio`` or ``temperature`` (with ``Delta_GHz``);
    raises :class:`~magbell.errors.InvalidParameterError` naming the argument and the condition."""
    from .system._model import _as_array  # the Model's number checks (finite, real, no bool); model imports this module

    if (ratio is None) == (temperature is None):
        raise InvalidParameterError("detailed balance needs exactly one of ratio= or temperature= (with Delta_GHz=)")
    if ratio is not None:
        if Delta_GHz is not None:
            raise InvalidParameterError("Delta_GHz is only used with temperature=, not with ratio=")
        r = _as_array("ratio", ratio, complex_ok=False)
        checks = thermal_violations(ratio=r)
    else:
        if Delta_GHz is None:
            raise InvalidParameterError("temperature= needs Delta_GHz= (the mean qubit splitting in GHz)")
        T = _as_array("temperature", temperature, complex_ok=False)
        f = _as_array("Delta_GHz", Delta_GHz, complex_ok=False)
        checks = thermal_violations(temperature=T, Delta_GHz=f)
    for mask, msg, vals in checks:
        raise InvalidParameterError(f"{msg}, violated at " + describe_bad_points(mask, vals))
    return r if ratio is not None else boltzmann_ratio(T, f)


def detailed_balance_rates(r, a, A=0.0, a2=None) -> dict:
    """``{"a_tilde": r a, "A_tilde": r A, ["a_tilde2": r a2]}`` (Ã keeps the phase of A; a_tilde2 only when
    ``a2`` is given), subnormal results flushed to 0."""
    r = np.asarray(r, dtype=float)
    # a non-finite a or A (0·inf = nan) is not judged here: the Model's validation names it ("a must be finite")
    with np.errstate(invalid="ignore", over="ignore"):
        out = {"a_tilde": flush_subnormal(r * np.asarray(a, dtype=float)), "A_tilde": flush_subnormal(r * np.asarray(A))}
        if a2 is not None:
            out["a_tilde2"] = flush_subnormal(r * np.asarray(a2, dtype=float))
    return out
