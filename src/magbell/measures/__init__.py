"""Entanglement and state measures (the public namespace ``magbell.measures``).

Two-qubit measures of ``(..., 4, 4)`` density matrices live in :mod:`magbell.measures._two_qubit`;
this ``__init__`` re-exports the public names explicitly.
"""

from ._two_qubit import MEASURES as MEASURES
from ._two_qubit import bell_fidelities as bell_fidelities
from ._two_qubit import bell_fidelity as bell_fidelity
from ._two_qubit import concurrence as concurrence
from ._two_qubit import entanglement_of_formation as entanglement_of_formation
from ._two_qubit import eof_from_concurrence as eof_from_concurrence
from ._two_qubit import is_x_state as is_x_state
from ._two_qubit import log_negativity as log_negativity
from ._two_qubit import negativity as negativity
from ._two_qubit import populations as populations
from ._two_qubit import purity as purity
from ._two_qubit import x_state_concurrence as x_state_concurrence

__all__ = [
    "populations",
    "purity",
    "concurrence",
    "x_state_concurrence",
    "is_x_state",
    "entanglement_of_formation",
    "eof_from_concurrence",
    "negativity",
    "log_negativity",
    "bell_fidelity",
    "bell_fidelities",
    "MEASURES",
]
