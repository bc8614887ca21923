"""Conditional (postselected) dynamics: the public namespace of the paper's Eqs. (11)–(15) and the Discussion.

The four solvers are plain functions at the top level — ``magbell.postselect``, ``magbell.monitor``,
``magbell.trajectories``, ``magbell.robustness`` — and are also re-exported here. Their companions (spectra,
result classes, constants) live in this module, whose name is not any function's::

    >>> import magbell
    >>> from magbell.conditional import postselect, postselect_spectrum
    >>> postselect is magbell.postselect
    True
    >>> sp = postselect_spectrum(magbell.Model(a=1.0, A=1.0, delta=0.5))
    >>> str(sp.phase)
    'PT-broken'

Until magbell 0.1 the solvers were *callable modules* (``magbell.postselect.postselect_spectrum`` reached a
companion through the function's name); that spelling is gone, because a name cannot be both a function and a
module: write ``magbell.conditional.postselect_spectrum`` (or ``magbell.postselect_spectrum``) instead, and
``from magbell.conditional import ...`` instead of ``from magbell.postselect import ...``.

The implementation modules (``magbell.solvers._postselect``, ``_monitor``, ``_trajectories``, ``_robustness``) are
private. Physics, numerics and references: docs/postselection.md.
"""

from .solvers._monitor import KINDS as MONITOR_KINDS
from .solvers._monitor import MonitorResult, convergence_order, monitor, monitor_sweep
from .solvers._nonhermitian import (
    NonHermitianSpectrum,
    jump_rate_operator,
    non_hermitian_hamiltonian,
    postselect_spectrum,
)
from .solvers._postselect import (
    DEFAULT_MEASURES,
    JUMP_NAMES,
    PHASES,
    SCHEMES,
    PostselectResult,
    conditional_evolve,
    postselect,
)
from .solvers._robustness import KINDS as ROBUSTNESS_KINDS
from .solvers._robustness import RobustnessResult, robustness
from .solvers._nojump import nojump_propagator
from .solvers._trajectories import EnsembleAverage, JumpRecord, TrajectoryResult, no_jumps, trajectories

__all__ = [
    # the solvers (also magbell.postselect, magbell.monitor, magbell.trajectories, magbell.robustness)
    "postselect",
    "conditional_evolve",
    "monitor",
    "monitor_sweep",
    "trajectories",
    "robustness",
    # H_eff and its spectrum (Eqs. 12, 14)
    "non_hermitian_hamiltonian",
    "jump_rate_operator",
    "postselect_spectrum",
    "NonHermitianSpectrum",
    # results
    "PostselectResult",
    "MonitorResult",
    "TrajectoryResult",
    "JumpRecord",
    "EnsembleAverage",
    "RobustnessResult",
    # helpers and constants
    "no_jumps",
    "nojump_propagator",
    "convergence_order",
    "SCHEMES",
    "JUMP_NAMES",
    "DEFAULT_MEASURES",
    "PHASES",
    "MONITOR_KINDS",
    "ROBUSTNESS_KINDS",
]
