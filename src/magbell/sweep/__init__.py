"""Parameter sweeps at scale: labelled results (xarray), chunked checkpoints (zarr), dask clusters.

>>> import numpy as np
>>> from magbell import sweep
>>> ds = sweep.run("steady_state", sweep.Grid(delta=[0.0, 0.5], A=[0.5, 1.0]), fixed={"a": 1.0}, initial="ud")
>>> ds.concurrence.dims, [round(float(c), 12) for c in ds.concurrence.sel(delta=0.0).values]
(('delta', 'A'), [0.0, 0.5])

``run(func, grid, *, fixed, store, resume, scheduler, ...)`` computes ``func`` (the function itself,
``magbell.evolve``, ``magbell.steady_state``, ``magbell.spectrum``, ``magbell.postselect``, or its name
``"evolve"``, ...; a task object :class:`Evolve`, :class:`SteadyState`, :class:`SpectrumTask`,
:class:`Postselect`; or your own :class:`Function`) over a :class:`Grid`
in chunks: in this process by default, or on a dask.distributed cluster (``scheduler=...``), writing
finished chunks to a zarr ``store`` that an interrupted sweep resumes from (each chunk with a checksum
per variable, checked on resume and by ``verify(store)``; one writer at a time). See ``docs/sweeps.md``.

xarray (and, for stores and clusters, zarr and dask.distributed) are optional dependencies:
``pip install 'magbell[sweep]'``. This module imports them only when a sweep runs.
"""

from ._dataset import reasons, summary
from ._engine import STATUS
from ._grid import Axis, Grid
from ._params import DERIVED_PARAMS, MODEL_PARAMS
from ._lock import StoreLockedError
from ._run import MAX_POINTS, StoreDamageWarning, SweepIncompleteWarning, open_store, run, store_progress
from ._tasks import Evolve, Function, Postselect, SpectrumTask, SteadyState
from ._verify import StoreCheck, verify
from ._nsite import Sites  # N qubits in a medium: sweep.run(magbell.evolve, grid, sites=Sites(...)) (issue 11)

__all__ = [
    "run",
    "Grid",
    "Axis",
    "Evolve",
    "SteadyState",
    "SpectrumTask",
    "Postselect",
    "Function",
    "open_store",
    "store_progress",
    "verify",
    "StoreCheck",
    "StoreLockedError",
    "StoreDamageWarning",
    "MAX_POINTS",
    "reasons",
    "summary",
    "STATUS",
    "MODEL_PARAMS",
    "DERIVED_PARAMS",
    "SweepIncompleteWarning",
    "Sites",
]


def __getattr__(name):
    if name == "Spectrum":  # renamed: magbell.Spectrum is the result class of magbell.spectrum
        import warnings

        warnings.warn("magbell.sweep.Spectrum is deprecated; use magbell.sweep.SpectrumTask (magbell.Spectrum is "
                      "the result of magbell.spectrum, a different class)", DeprecationWarning, stacklevel=2)
        return SpectrumTask
    raise AttributeError(f"module 'magbell.sweep' has no attribute {name!r}")
