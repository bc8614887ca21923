"""magbell: entangling spin qubits through a magnetic medium.

Exact two-qubit Lindblad dynamics, steady states and entanglement measures for the model of
J. Zou, S. Zhang, Y. Tserkovnyak, Phys. Rev. B 106, L180406 (2022). Conventions: ħ = 1, basis
|↑↑>, |↑↓>, |↓↑>, |↓↓>, σz|↑> = +|↑>, σ± = (σx ± iσy)/2, dissipator D_J[ρ] = J†Jρ + ρJ†J − 2JρJ†.
"""

__version__ = "0.1.0"

from .dynamics import EvolveResult as EvolveResult
from .dynamics import evolve as evolve
from .errors import InvalidParameterError as InvalidParameterError
from .errors import InvalidStateError as InvalidStateError
from .errors import MagbellError as MagbellError
from .errors import MissingDependencyError as MissingDependencyError
from .errors import NonUniqueSteadyStateError as NonUniqueSteadyStateError
from .measures import bell_fidelities as bell_fidelities
from .measures import bell_fidelity as bell_fidelity
from .measures import concurrence as concurrence
from .measures import entanglement_of_formation as entanglement_of_formation
from .measures import log_negativity as log_negativity
from .measures import negativity as negativity
from .measures import populations as populations
from .measures import purity as purity
from .model import Model as Model
from .system import System as System
from .states import density_matrix as density_matrix
from .states import ket as ket

from .steady import Spectrum as Spectrum
from .steady import SteadyStateResult as SteadyStateResult
from .steady import conserved_quantities as conserved_quantities
from .steady import dark_states as dark_states
from .steady import spectrum as spectrum
from .steady import steady_state as steady_state

# conditional (postselected) dynamics: the solvers are plain functions; their companions live in the
# namespace magbell.conditional (the implementation modules are private: magbell._postselect, ...)
from . import conditional as conditional  # noqa: E402
from ._monitor import MonitorResult as MonitorResult  # noqa: E402
from ._monitor import monitor as monitor  # noqa: E402
from ._postselect import NonHermitianSpectrum as NonHermitianSpectrum  # noqa: E402
from ._postselect import PostselectResult as PostselectResult  # noqa: E402
from ._postselect import conditional_evolve as conditional_evolve  # noqa: E402
from ._postselect import non_hermitian_hamiltonian as non_hermitian_hamiltonian  # noqa: E402
from ._postselect import postselect as postselect  # noqa: E402
from ._postselect import postselect_spectrum as postselect_spectrum  # noqa: E402
from ._robustness import RobustnessResult as RobustnessResult  # noqa: E402
from ._robustness import robustness as robustness  # noqa: E402
from ._trajectories import TrajectoryResult as TrajectoryResult  # noqa: E402
from ._trajectories import trajectories as trajectories  # noqa: E402

# Heavy subpackages load on first use (PEP 562): ``magbell.medium.X``, ``from magbell import medium`` and
# ``import magbell.medium`` all work, but ``import magbell`` does not pay for scipy.integrate/special/optimize
# (medium), the sweep machinery or sensing until they are touched.
# ``closed_forms_postselect``: the deprecated alias of magbell.paper.closed_forms_postselect (loaded, with its
# DeprecationWarning, only when asked for; the library never imports the paper's reproduction).
_LAZY_SUBMODULES = ("medium", "sweep", "sensing", "closed_forms_postselect")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib

        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
