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

# N-site (multipartite) measures of (..., 2^N, 2^N) density matrices: magbell.measures._multipartite, docs/nqubits.md §3
from ._multipartite import MULTIPARTITE_MEASURES as MULTIPARTITE_MEASURES
from ._multipartite import dicke_fidelity as dicke_fidelity
from ._multipartite import gme_fidelity_bound as gme_fidelity_bound
from ._multipartite import gme_witness as gme_witness
from ._multipartite import log_negativity as bipartite_log_negativity
from ._multipartite import multipartite_measure as multipartite_measure
from ._multipartite import negativity as bipartite_negativity
from ._multipartite import pair_concurrence as pair_concurrence
from ._multipartite import pair_reduced_states as pair_reduced_states
from ._multipartite import reduced_state as reduced_state
from ._multipartite import site_populations as site_populations
from ._multipartite import w_fidelity as w_fidelity

__all__ += [
    "site_populations", "reduced_state", "pair_reduced_states", "pair_concurrence", "bipartite_negativity",
    "bipartite_log_negativity", "dicke_fidelity", "w_fidelity", "gme_fidelity_bound", "gme_witness",
    "MULTIPARTITE_MEASURES", "multipartite_measure",
]
