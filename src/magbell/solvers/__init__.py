"""Solvers (private implementation modules): evolve, steady state and spectrum, conditional (postselected)
evolution, monitoring, trajectories, for the two-site Model and the N-site System. The public entry points are
re-exported by :mod:`magbell`; nothing here is imported eagerly by this ``__init__``."""
