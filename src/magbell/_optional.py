"""Optional dependencies: import one or refuse in one line naming the extra that installs it.

magbell's core needs only NumPy and SciPy. Plotting (matplotlib), sweeps (xarray, zarr, dask) and QuTiP
interoperability are extras; a missing one raises :class:`magbell.errors.MissingDependencyError`
(a :class:`~magbell.errors.MagbellError`, so the CLI reports it as one ``magbell: error: ...`` line, exit 2)
whose message names ``pip install 'magbell[EXTRA]'``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["require", "EXTRAS"]

#: The extra of pyproject.toml that installs each optional top-level module.
EXTRAS = {
    "matplotlib": "plot",
    "tqdm": "plot",
    "qutip": "qutip",
    "xarray": "sweep",
    "zarr": "sweep",
    "dask": "sweep",
    "distributed": "sweep",
    "h5netcdf": "sweep",
    "pandas": "sweep",
}


def require(module: str, extra: str | None = None, *, what: str | None = None) -> ModuleType:
    """Import ``module`` (e.g. ``"matplotlib.pyplot"``) and return it, or raise one line naming the extra.

    ``extra`` defaults to the extra of the top-level package in :data:`EXTRAS`; ``what`` names the feature
    in the message (default: the module's top-level package is simply said to be needed).
    """
    top = module.partition(".")[0]
    extra = extra or EXTRAS.get(top, "all")
    try:
        return importlib.import_module(module)
    except ImportError as e:
        # an ImportError inside an installed package (a broken install) is reported as well, in one line
        missing = getattr(e, "name", None) or top
        lead = f"{what} needs {top}" if what else f"{top} is not installed"
        detail = "" if missing.partition(".")[0] == top else f" (importing it failed on {missing!r})"
        raise MissingDependencyError(f"{lead}{detail}: pip install 'magbell[{extra}]'") from None
