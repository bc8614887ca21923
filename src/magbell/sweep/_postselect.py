"""Sweep task for :func:`magbell.postselect.postselect` (imported only when this task is used)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError
from ._tasks import MEASURE_UNITS, Output, _initial_json, _Task, _TimeSeries, _width

try:
    from .. import postselect as _ps
except ImportError as e:  # pragma: no cover - only when magbell.postselect is absent
    raise ImportError(f"magbell.postselect is not available: {e}") from None

__all__ = ["Postselect"]

_EXTRA_UNITS = {
    "bell_fidelity": ("1", "fidelity to the model's asymptotic Bell state (|ud> + e^{i phi}|du>)/sqrt2"),
    "bell_fidelity_max": ("1", "largest fidelity to any (|ud> + e^{i phi}|du>)/sqrt2"),
}


@dataclass(frozen=True, eq=False)
class Postselect(_TimeSeries, _Task):
    """Sweep :func:`magbell.postselect.postselect`: the normalised conditional evolution (Eq. 13) on the
    time grid ``times`` with its success probability P(t) (``success_probability``,
    ``log_success_probability``). ``scheme`` is ``"no-jump"`` or ``"subspace"``."""

    times: object = None
    initial: object = "ud"
    scheme: str = "no-jump"
    measures: tuple = _ps.DEFAULT_MEASURES

    name = "postselect"
    native_axes = {"t": "times", "initial": "initial"}

    def __post_init__(self):
        measures = (self.measures,) if isinstance(self.measures, str) else tuple(self.measures)
        object.__setattr__(self, "measures", _ps._check_measures(measures))
        if not measures:
            raise InvalidParameterError("measures is empty")
        if self.scheme not in _ps.SCHEMES:
            raise InvalidParameterError(f"scheme must be one of {', '.join(_ps.SCHEMES)}, got {self.scheme!r}")
        self._init_initial_and_times()

    def outputs(self) -> list:
        d = self.native_dims()
        out = []
        for m in self.measures:
            units, text = MEASURE_UNITS.get(m) or _EXTRA_UNITS[m]
            extra = {"populations": ("basis",), "bell_fidelities": ("bell",)}.get(m, ())
            out.append(Output(m, d + extra, "float64", {"units": units, "long_name": f"{text}, postselected"}))
        out.append(Output("success_probability", d, "float64",
                          {"units": "1", "long_name": "postselection success probability P(t)"}))
        out.append(Output("log_success_probability", d, "float64",
                          {"units": "1", "long_name": "ln P(t) (finite where P underflows)"}))
        return out

    def compute(self, model) -> tuple:
        init = list(self.initial) if isinstance(self.initial, tuple) else self.initial
        r = _ps.postselect(model, init, self.times, scheme=self.scheme, measures=self.measures)
        out = dict(r.measures)
        out["success_probability"] = np.asarray(r.success_probability)
        out["log_success_probability"] = np.asarray(r.log_success_probability)
        return out, None

    def bytes_per_point(self) -> int:
        S = len(self._labels) if self._labels else 1
        width = sum(_width(m) if m in MEASURE_UNITS else 1 for m in self.measures) + 2
        return 1024 + S * self.times.size * 8 * (2 * width + 8)

    def describe(self) -> dict:
        return {
            "function": self.name,
            "initial": _initial_json(self.initial),
            "scheme": self.scheme,
            "measures": list(self.measures),
            "times": None if self.times is None else
            {"n": int(self.times.size), "first": float(self.times[0]), "last": float(self.times[-1])},
        }
