"""N-site systems: :class:`System`, the one generator builder, exact evolution for small N (docs/system.md)."""

from .core import System as System
from .evolve import SystemEvolveResult as SystemEvolveResult
from .evolve import evolve_system as evolve_system
from .states import system_density_matrix as system_density_matrix

__all__ = ["System", "SystemEvolveResult", "evolve_system", "system_density_matrix"]

# qubits at positions in a magnon medium (issue 11 §1, docs/nqubits.md §2)
from ._positions import PositionCouplings as PositionCouplings
from ._positions import chain_positions as chain_positions
from ._positions import couplings_at_positions as couplings_at_positions
from ._positions import from_positions as from_positions
from ._positions import grid_positions as grid_positions
from ._positions import one_excitation_hamiltonian as one_excitation_hamiltonian
from ._positions import ring_positions as ring_positions

__all__ += [
    "PositionCouplings", "chain_positions", "couplings_at_positions", "from_positions", "grid_positions",
    "one_excitation_hamiltonian", "ring_positions",
]

# two-site reduced states from the excitation blocks, without a 2ᴺ state (issue 11 §2–3)
from .evolve import pair_states as pair_states  # noqa: E402

__all__ += ["pair_states"]
