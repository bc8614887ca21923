"""Sensing the magnet through its qubits: infer a, A, ã, Ã, ... from two-qubit relaxometry data.

The inverse of :func:`magbell.evolve` (paper Eq. 2): maximum-likelihood fits of the model's rates to
measured populations / ⟨σz⟩ / correlations after chosen preparations and waits, with Fisher and profile-
likelihood uncertainties, identifiability diagnostics, the A = 0 likelihood-ratio test, and the design of
experiments (synthetic data, Cramér–Rao bounds, optimal shot allocation). See ``docs/sensing.md``.

Not imported by ``import magbell``: ``import magbell.sensing`` (or ``from magbell import sensing``).

>>> from magbell import sensing
>>> proto = sensing.Protocol("ud,dd", [0.0, 20.0, 50.0, 100.0], shots=2000, time_unit="us")
>>> data = sensing.simulate({"a": 1e4, "A": 5e3}, proto, seed=1)
>>> r = sensing.fit(data, "a,A", profile=False, compare=False)
>>> round(r.estimates["a"], -3), r.not_identifiable
(10000.0, [])
"""

from ._data import OBSERVABLES, TIME_UNITS, Data, DataError, load_data
from ._design import DesignResult, Protocol, cramer_rao, design, shots_to_detect, simulate, truth_from_couplings
from ._fit import fit
from ._params import PARAMETERS, UNITS
from ._result import Comparison, FitResult
from ._uncertainty import NonIdentifiable

__all__ = [
    "fit",
    "FitResult",
    "Comparison",
    "NonIdentifiable",
    "load_data",
    "Data",
    "DataError",
    "Protocol",
    "simulate",
    "cramer_rao",
    "design",
    "DesignResult",
    "shots_to_detect",
    "truth_from_couplings",
    "PARAMETERS",
    "UNITS",
    "OBSERVABLES",
    "TIME_UNITS",
]
