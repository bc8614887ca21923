"""magbell: entangling spin qubits through a magnetic medium.

Exact two-qubit Lindblad dynamics, steady states and entanglement measures for the model of
J. Zou, S. Zhang, Y. Tserkovnyak, Phys. Rev. B 106, L180406 (2022). Conventions: ħ = 1, basis
|↑↑>, |↑↓>, |↓↑>, |↓↓>, σz|↑> = +|↑>, σ± = (σx ± iσy)/2, dissipator D_J[ρ] = J†Jρ + ρJ†J − 2JρJ†.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from . import _compat
from .errors import InvalidParameterError as InvalidParameterError
from .errors import InvalidStateError as InvalidStateError
from .errors import MagbellError as MagbellError
from .errors import MissingDependencyError as MissingDependencyError
from .errors import NonUniqueSteadyStateError as NonUniqueSteadyStateError
from .results import Result as Result
from .results import TimeSeriesResult as TimeSeriesResult

# the model: the paper's two sites (Model) and N sites (System); states
from .system import System as System
from .system._model import Model as Model
from .system._two_site_states import density_matrix as density_matrix
from .system._two_site_states import ket as ket

# measures
from .measures import bell_fidelities as bell_fidelities
from .measures import bell_fidelity as bell_fidelity
from .measures import concurrence as concurrence
from .measures import entanglement_of_formation as entanglement_of_formation
from .measures import log_negativity as log_negativity
from .measures import negativity as negativity
from .measures import populations as populations
from .measures import purity as purity

# solvers: evolution, steady state and spectrum
from .solvers._evolve import EvolveResult as EvolveResult
from .solvers._evolve import evolve as evolve
from .solvers._steady import Spectrum as Spectrum
from .solvers._steady import SteadyStateResult as SteadyStateResult
from .solvers._steady import conserved_quantities as conserved_quantities
from .solvers._steady import dark_states as dark_states
from .solvers._steady import spectrum as spectrum
from .solvers._steady import steady_state as steady_state

# conditional (postselected) dynamics: the solvers are plain functions; their companions live in the
# namespace magbell.conditional (the implementation modules are private: magbell.solvers._postselect, ...).
# They load on first use (PEP 562, below): ``import magbell`` does not pay for them.
if TYPE_CHECKING:  # the same names for static tools
    from . import conditional as conditional
    from .solvers._monitor import MonitorResult as MonitorResult
    from .solvers._monitor import monitor as monitor
    from .solvers._nonhermitian import NonHermitianSpectrum as NonHermitianSpectrum
    from .solvers._postselect import PostselectResult as PostselectResult
    from .solvers._postselect import conditional_evolve as conditional_evolve
    from .solvers._nonhermitian import non_hermitian_hamiltonian as non_hermitian_hamiltonian
    from .solvers._postselect import postselect as postselect
    from .solvers._nonhermitian import postselect_spectrum as postselect_spectrum
    from .solvers._robustness import RobustnessResult as RobustnessResult
    from .solvers._robustness import robustness as robustness
    from .solvers._trajectories import TrajectoryResult as TrajectoryResult
    from .solvers._trajectories import trajectories as trajectories

#: public names loaded on first use: name → module (relative to magbell)
_LAZY_NAMES = {
    "MonitorResult": "solvers._monitor",
    "monitor": "solvers._monitor",
    "NonHermitianSpectrum": "solvers._nonhermitian",
    "PostselectResult": "solvers._postselect",
    "conditional_evolve": "solvers._postselect",
    "non_hermitian_hamiltonian": "solvers._nonhermitian",
    "postselect": "solvers._postselect",
    "postselect_spectrum": "solvers._nonhermitian",
    "RobustnessResult": "solvers._robustness",
    "robustness": "solvers._robustness",
    "TrajectoryResult": "solvers._trajectories",
    "trajectories": "solvers._trajectories",
}

__all__ = [  # the public surface (lazy subpackages: medium, sweep, sensing, paper, cli, backend, ...)
    "__version__",
    "InvalidParameterError",
    "InvalidStateError",
    "MagbellError",
    "MissingDependencyError",
    "NonUniqueSteadyStateError",
    "Result",
    "TimeSeriesResult",
    "System",
    "Model",
    "density_matrix",
    "ket",
    "bell_fidelities",
    "bell_fidelity",
    "concurrence",
    "entanglement_of_formation",
    "log_negativity",
    "negativity",
    "populations",
    "purity",
    "EvolveResult",
    "evolve",
    "Spectrum",
    "SteadyStateResult",
    "conserved_quantities",
    "dark_states",
    "spectrum",
    "steady_state",
    "conditional",
    "MonitorResult",
    "monitor",
    "NonHermitianSpectrum",
    "PostselectResult",
    "conditional_evolve",
    "non_hermitian_hamiltonian",
    "postselect",
    "postselect_spectrum",
    "RobustnessResult",
    "robustness",
    "TrajectoryResult",
    "trajectories",
    "conditional",
]

# Heavy subpackages load on first use (PEP 562): ``magbell.medium.X``, ``from magbell import medium`` and
# ``import magbell.medium`` all work, but ``import magbell`` does not pay for scipy.integrate/special/optimize
# (medium), the sweep machinery or sensing until they are touched.
# Old module paths (``magbell.dynamics``, ``magbell.closed_forms``, ...) are served, with a DeprecationWarning
# naming the new path, by the one table of magbell._compat (loaded only when asked for; the library never
# imports the paper's reproduction).
_compat.install()
_LAZY_SUBMODULES = ("medium", "sweep", "sensing", "paper", "cli", "backend", "liouvillian", "solvers", "plot")


def __getattr__(name):
    if name in _LAZY_NAMES:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
        globals()[name] = value
        return value
    if name in _LAZY_SUBMODULES or name == "conditional" or name in _compat.old_names():
        import importlib

        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_LAZY_SUBMODULES))
