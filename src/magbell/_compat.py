"""Deprecated import paths, served by one mechanism: a meta-path finder over one table (old → new).

``import magbell.dynamics`` (or any old path in :data:`MOVED`) returns the module at its new path — the very
same module object, so every name, private ones included, is the one object the new module defines — and
emits a :class:`DeprecationWarning` naming the new path. ``python -m magbell.cli_sweep`` keeps working too
(the old path's code is the new module's). Installed once by ``magbell/__init__``; nothing here imports the
moved modules until an old path is asked for, so ``import magbell`` stays lazy and the library never loads
the paper's reproduction (``magbell.paper``) through this table.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import warnings

#: old module path → new module path (issue 10 §4: the layout that shows the architecture)
MOVED: dict[str, str] = {
    # the paper's reproduction lives in its own subpackage, which the library never imports
    "magbell.closed_forms": "magbell.paper.closed_forms",
    "magbell.closed_forms_postselect": "magbell.paper.closed_forms_postselect",
    "magbell.claims": "magbell.paper.claims",
    "magbell.figures": "magbell.paper.figures",
    # the Liouvillian
    "magbell.superop": "magbell.liouvillian._superop",
    "magbell.kernel": "magbell.liouvillian._kernel",
    "magbell._graded": "magbell.liouvillian._graded",
    # the numerical backend
    "magbell.expm": "magbell.backend._expm",
    "magbell.propagate": "magbell.backend._propagate",
    # the solvers
    "magbell.dynamics": "magbell.solvers._evolve",
    "magbell.steady": "magbell.solvers._steady",
    "magbell._postselect": "magbell.solvers._postselect",
    "magbell._monitor": "magbell.solvers._monitor",
    "magbell._trajectories": "magbell.solvers._trajectories",
    "magbell._robustness": "magbell.solvers._robustness",
    # the two-site model
    "magbell.model": "magbell.system._model",
    "magbell.operators": "magbell.system._operators",
    "magbell.states": "magbell.system._two_site_states",
    # the command line: one module per command group
    "magbell.cli_postselect": "magbell.cli._postselect",
    "magbell.cli_medium": "magbell.cli._medium",
    "magbell.cli_film": "magbell.cli._film",
    "magbell.cli_sweep": "magbell.cli._sweep",
    "magbell.cli_sensing": "magbell.cli._sensing",
}


class _AliasSpec(importlib.machinery.ModuleSpec):
    """The spec of an old path; its ``parent`` is the new module's, so that ``python -m OLD`` runs the new
    module's code with the right package for its relative imports."""

    def __init__(self, name: str, loader, new: str):
        super().__init__(name, loader)
        self._new_parent = new.rpartition(".")[0]

    @property
    def parent(self):  # noqa: D401
        return self._new_parent


class _AliasLoader:  # the loader protocol (create_module, exec_module); no importlib.abc: it costs ~20 ms
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new
        self.spec = None

    def create_module(self, spec):
        warnings.warn(f"{self.old} is deprecated; import {self.new} instead", DeprecationWarning,
                      stacklevel=_importer_stacklevel())
        module = importlib.import_module(self.new)  # the same object: no second copy of the module
        self._attrs = {k: getattr(module, k) for k in ("__spec__", "__loader__", "__package__") if hasattr(module, k)}
        return module

    def exec_module(self, module):  # already executed; undo the import system's stamping of the old spec
        for k, v in self._attrs.items():
            setattr(module, k, v)

    def get_code(self, fullname):  # for ``python -m OLD`` (runpy)
        warnings.warn(f"{self.old} is deprecated; run {self.new} instead", DeprecationWarning, stacklevel=2)
        import importlib.util

        spec = importlib.util.find_spec(self.new)
        if self.spec is not None:  # runpy sets sys.argv[0] and __file__ from the origin
            self.spec.origin = spec.origin
        return spec.loader.get_code(self.new)


class _Finder:  # the meta-path finder protocol (find_spec)
    def find_spec(self, fullname, path=None, target=None):
        new = MOVED.get(fullname)
        if new is None:
            return None
        loader = _AliasLoader(fullname, new)
        loader.spec = _AliasSpec(fullname, loader, new)
        return loader.spec


def _importer_stacklevel() -> int:
    """Point the warning at the first frame outside importlib and this module (the line that imported)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                 or frame.f_code.co_filename in (__file__, importlib.__file__)):
        frame, level = frame.f_back, level + 1
    return level


_FINDER = _Finder()


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _FINDER)


def old_names() -> tuple[str, ...]:
    """The top-level attribute names (``magbell.X``) that the table serves lazily."""
    return tuple(old.split(".", 1)[1] for old in MOVED if old.count(".") == 1)
