"""N-site systems: :class:`System`, the one generator builder, exact evolution for small N (docs/system.md)."""

from .core import System as System
from .evolve import SystemEvolveResult as SystemEvolveResult
from .evolve import evolve_system as evolve_system
from .states import system_density_matrix as system_density_matrix

__all__ = ["System", "SystemEvolveResult", "evolve_system", "system_density_matrix"]
