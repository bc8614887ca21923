"""Sweepable model parameters: the paper's symbols plus a few derived ones, and how a block of them
becomes a validated :class:`magbell.Model` with bad points marked instead of raised.

Derived parameters (each replaces the model parameters it determines; giving both is an error):

``ratio``            detailed balance ã = r·a, Ã = r·A (and ã2 = r·a2), r = e^{-βΔ} ∈ [0, 1]
``temperature``      T in kelvin, with ``Delta_GHz`` (the qubit splitting f in GHz): r = exp(-h f / k_B T)
``A_over_a``         A = (A_over_a)·a, i.e. |A|/a of the paper's phase diagrams
``A_phase``          A = |A| e^{iφ} (and Ã = |Ã| e^{iφ}), φ in radians
"""

from __future__ import annotations

import numpy as np

from .._params import COMPLEX_PARAMS, DERIVED_SCHEMA, MODEL_SCHEMA, QUBIT2_PARAMS, THERMAL_FIXED
from .._params import boltzmann_ratio, detailed_balance_rates, sweep_table, thermal_violations
from ..errors import InvalidParameterError
from ..system._model import Model
from ._film import FILM_PARAMS, film_block, is_film, medium_param_names

__all__ = ["MODEL_PARAMS", "DERIVED_PARAMS", "PARAMS", "check_names", "prepare_block", "param_attrs"]

#: model parameters: name -> (kind, description); kind "rate" (the user's rate/energy unit) or "1".
#: Generated from the one parameter schema (magbell._params), as the CLI's model options are.
MODEL_PARAMS = sweep_table(MODEL_SCHEMA)
#: derived parameters: name -> (units, description)
DERIVED_PARAMS = sweep_table(DERIVED_SCHEMA)
#: parameters of a magnetic medium (``run(..., medium=setup)``, a :class:`magbell.medium.PhysicalSetup`)
MEDIUM_PARAMS = {
    "separation": ("m", "qubit separation r"),
    "temperature": ("K", "temperature T of the magnet"),
}
#: a :class:`magbell.medium.FilmSetup` medium sweeps more (height, field, ...: ``_film.FILM_PARAMS``)
MEDIUM_PARAMS.update({k: v for k, v in FILM_PARAMS.items() if k not in MEDIUM_PARAMS})
#: model parameters that may be given together with a medium: they are added to the medium's values
MEDIUM_ADDITIVE = ("delta", "Delta", "d", "D_deph", "d2", "Jz", "D_dm")
PARAMS = {**MODEL_PARAMS, **DERIVED_PARAMS}
_COMPLEX = COMPLEX_PARAMS
_QUBIT2 = QUBIT2_PARAMS


def param_attrs(name: str, unit: str, medium: bool = False) -> dict:
    """netCDF attributes (units, long_name) of a parameter coordinate."""
    if medium and name not in MEDIUM_PARAMS and name not in PARAMS:  # N-site axes (sweep/_nsite.py): N, spacing, ...
        from ._nsite_sites import NSITE_PARAMS

        kind, text = NSITE_PARAMS[name]
        return {"units": kind, "long_name": text}
    kind, text = MEDIUM_PARAMS[name] if medium and name in MEDIUM_PARAMS else PARAMS[name]
    units = unit if kind == "rate" else kind
    return {"units": units, "long_name": text}


def check_names(names, medium=None) -> None:
    """Raise for unknown parameters and for combinations that determine one quantity twice."""
    names = set(names)
    from ._nsite_sites import check_names as nsite_check_names, is_sites

    if is_sites(medium):  # N qubits placed in a medium (sweep/_nsite.py): its parameters are the task's grid axes
        return nsite_check_names(names)
    if medium is not None:
        allowed = medium_param_names(medium)
        bad = sorted(n for n in names if n not in allowed and n not in MEDIUM_ADDITIVE)
        if bad:
            raise InvalidParameterError(
                f"with this medium ({type(medium).__name__}), the parameters are {', '.join(allowed)} and the "
                f"additions {', '.join(MEDIUM_ADDITIVE)}; {bad} are set by the medium or unknown"
            )
        if "separation" not in names and not (is_film(medium) and medium.separation is not None):
            raise InvalidParameterError("a medium sweep needs the qubit separation (in the grid or in fixed=)")
        return
    unknown = sorted(n for n in names if n not in PARAMS)
    if unknown:
        raise InvalidParameterError(
            f"unknown parameter(s) {unknown}; model parameters: {', '.join(MODEL_PARAMS)}; "
            f"derived: {', '.join(DERIVED_PARAMS)}"
        )
    if "a" not in names:
        raise InvalidParameterError("the local relaxation rate a must be given (in the grid or in fixed=)")
    thermal = [n for n in ("ratio", "temperature") if n in names]
    if len(thermal) == 2:
        raise InvalidParameterError("give either ratio or temperature (with Delta_GHz), not both")
    if ("temperature" in names) != ("Delta_GHz" in names):
        raise InvalidParameterError("temperature and Delta_GHz go together: r = exp(-h Delta_GHz / k_B temperature)")
    if thermal:
        clash = [n for n in THERMAL_FIXED if n in names]
        if clash:
            raise InvalidParameterError(
                f"{', '.join(clash)} cannot be combined with {thermal[0]}: detailed balance fixes a~ = r a, A~ = r A"
            )
    if "A_over_a" in names and "A" in names:
        raise InvalidParameterError("give either A or A_over_a (A = A_over_a * a), not both")


def _derived_violations(p: dict, shape: tuple) -> list:
    """[(bad mask, message)] for the derived parameters (checked point by point)."""
    out = []

    def bad(name, mask, msg):
        mask = np.broadcast_to(mask, shape)
        if np.any(mask):
            out.append((mask, msg))

    # the same conditions and messages as Model.detailed_balance and the CLI (magbell._params)
    for mask, msg, _ in thermal_violations(p.get("ratio"), p.get("temperature"), p.get("Delta_GHz")):
        bad(None, mask, msg)
    return out


class _Marks:
    """Per-point validity: ``ok`` mask and the violated conditions, joined by '; '."""

    def __init__(self, shape: tuple):
        self.ok = np.ones(shape, dtype=bool)
        self.reasons = np.full(shape, "", dtype=object)

    def note(self, mask, msg) -> None:
        mask = np.asarray(mask)
        self.ok = self.ok & ~mask
        r = self.reasons
        self.reasons = np.where(mask, np.where(r == "", msg, r + "; " + msg), r)


def _prepare_medium(p: dict, shape: tuple, medium, marks: _Marks) -> dict:
    """Model keyword arguments from a medium's couplings at (separation, temperature) points."""
    from ..errors import MagbellError

    if is_film(medium):  # NV centres above a film: sweep/_film.py
        kw = film_block(medium, p, shape, marks.note)
        for k in MEDIUM_ADDITIVE:
            if k in p:
                kw[k] = kw[k] + p[k] if k in kw else p[k]
        return kw
    r = np.broadcast_to(np.asarray(p["separation"], dtype=float), shape)
    T = np.broadcast_to(np.asarray(p.get("temperature", 0.0), dtype=float), shape)
    dim = getattr(medium, "dim", 3)
    bad_r = (r <= 0) if dim in (2, 3) else (r < 0)
    if bad_r.any():
        marks.note(bad_r, f"separation must be {'> 0' if dim in (2, 3) else '>= 0'} m in {dim}D")
    if (T < 0).any():
        marks.note(T < 0, "temperature must be >= 0 K")
    placeholder = 1e-6
    r = np.where(bad_r, placeholder, r)
    T = np.where(T < 0, 0.0, T)
    fields = ("a", "A", "a_tilde", "A_tilde", "d", "D_deph", "Jz", "Jperp", "D_dm")
    try:
        c = medium.couplings(r, T, warn=False)
        kw = {k: np.asarray(getattr(c, k)) for k in fields}
        for k in ("a2", "a_tilde2", "d2"):
            if getattr(c, k, None) is not None:
                kw[k] = np.asarray(getattr(c, k))
    except MagbellError:  # find the points the medium rejects, one by one
        kw = {k: np.zeros(shape, dtype=complex if k in _COMPLEX else float) for k in fields}
        kw["a"] = np.ones(shape)
        for idx in np.ndindex(shape):
            try:
                c = medium.couplings(float(r[idx]), float(T[idx]), warn=False)
            except MagbellError as e:
                m = np.zeros(shape, dtype=bool)
                m[idx] = True
                marks.note(m, " ".join(str(e).split()))
                continue
            for k in fields:
                kw[k][idx] = getattr(c, k)
    for k in MEDIUM_ADDITIVE:
        if k in p:
            kw[k] = kw.get(k, 0.0) + p[k] if k not in ("delta", "Delta") else p[k]
    return kw


def prepare_block(params: dict, shape: tuple, medium=None) -> tuple:
    """Model keyword arguments for a block of parameter points, with invalid points replaced.

    ``params`` maps parameter names to arrays broadcastable to ``shape``. Returns
    ``(kwargs, ok, reasons)``: ``Model(**kwargs)`` is valid everywhere (invalid points carry the
    placeholder model a = 1, everything else 0), ``ok`` is the boolean mask of valid points and
    ``reasons`` an object array with the violated condition(s) ('' where valid).
    """
    from ._nsite_sites import is_sites, prepare_block as nsite_prepare_block

    if is_sites(medium):  # N-site sweep: every value comes from the task's fields (sweep/_nsite.py)
        return nsite_prepare_block(shape)
    p = {k: np.asarray(v) for k, v in params.items()}
    marks = _Marks(shape)
    if medium is not None:
        return _check_and_replace(_prepare_medium(p, shape, medium, marks), shape, marks)

    derived_bad = np.zeros(shape, dtype=bool)
    for mask, msg in _derived_violations(p, shape):
        marks.note(mask, msg)
        derived_bad |= mask
    if derived_bad.any():  # placeholders for the derived inputs, so that no NaN/inf reaches Model.check
        for name, safe in (("ratio", 0.0), ("temperature", 1.0), ("Delta_GHz", 1.0)):
            if name in p:
                p[name] = np.where(derived_bad, safe, p[name])

    kw = {k: v for k, v in p.items() if k in MODEL_PARAMS}
    if "A_over_a" in p:
        kw["A"] = p["A_over_a"] * p["a"]
    if "A_phase" in p:
        phase = np.exp(1j * p["A_phase"])
        for name in ("A", "A_tilde"):  # an axis of magnitudes (fixed values are checked in Spec)
            if name in kw and np.isrealobj(kw[name]) and np.any(np.asarray(kw[name]) < 0):
                marks.note(np.broadcast_to(np.asarray(kw[name]) < 0, shape),
                           f"with A_phase, {name} is the magnitude |{name}| and must be >= 0")
        kw["A"] = kw.get("A", 0.0) * phase
        if "A_tilde" in kw:
            kw["A_tilde"] = kw["A_tilde"] * phase
    r = None
    if "ratio" in p:
        r = p["ratio"]
    elif "temperature" in p:
        r = boltzmann_ratio(p["temperature"], p["Delta_GHz"])  # -0 K is 0 K; no overflow warning
    if r is not None:  # the one detailed-balance implementation (magbell._params), as Model and the CLI
        kw.update(detailed_balance_rates(r, kw["a"], kw.get("A", 0.0), kw.get("a2")))
    return _check_and_replace(kw, shape, marks)


def _check_and_replace(kw: dict, shape: tuple, marks: _Marks) -> tuple:
    """Model.check point by point, then the placeholder model a = 1 (all else 0) at every bad point."""
    model_ok, model_reasons = Model.check(**kw)
    bad_model = ~np.broadcast_to(model_ok, shape)
    if bad_model.any():
        marks.note(bad_model, np.broadcast_to(model_reasons, shape))
    bad_any = ~marks.ok
    if bad_any.any():
        for name in list(kw):
            placeholder = 1.0 if name in ("a", "a2") else 0.0
            kw[name] = np.where(bad_any, placeholder, np.broadcast_to(kw[name], shape))
    return kw, marks.ok, marks.reasons
