"""The layout of issue 10 §4: the library never imports the paper's reproduction (magbell.paper).

A fresh interpreter imports magbell and every library module (solvers, medium, sweep, sensing, system,
cli), calls a few functions, and then no ``magbell.paper`` module (nor the deprecated aliases
``magbell.closed_forms``, ``magbell.closed_forms_postselect``, ``magbell.claims``, ``magbell.figures``)
may be loaded. The aliases still work and warn, naming the new path.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
import warnings

import pytest

import magbell

_PAPER_ALIASES = ("closed_forms", "closed_forms_postselect", "claims", "figures")

_PROBE = r"""
import contextlib, importlib, io, pathlib, sys
import numpy as np
import magbell
skip = {"magbell.__main__"} | {"magbell." + n for n in %(aliases)r}
root = pathlib.Path(magbell.__file__).parent  # the files, not walk_packages (it imports every package)
lib = sorted(n for n in (".".join(("magbell", *f.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")
                         for f in root.rglob("*.py"))
             if n not in skip and not n.startswith("magbell.paper"))
for name in lib:
    importlib.import_module(name)
from magbell import medium, sensing, sweep, system  # noqa: F401
m = magbell.Model(a=1.0, A=0.5, delta=0.3, Delta=2.0)
r = magbell.evolve(m, "ud", np.linspace(0.0, 1.0, 5))
assert r.concurrence.shape == (5,)
magbell.steady_state(m)
magbell.spectrum(m)
magbell.postselect(m, "ud", np.linspace(0.0, 1.0, 5))
magbell.evolve(magbell.System(Delta=[1.0, 2.0, 3.0], h_plus=np.eye(3)), "udu", [0.0, 0.5])
from magbell.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    assert main(["steady", "--a", "1", "--A", "0.5", "--delta", "0.3", "--json"]) == 0
    assert main(["spectrum", "--a", "1", "--A", "0.5"]) == 0
    try:
        main(["reproduce", "--help"])
    except SystemExit:
        pass
leaked = sorted(n for n in sys.modules if n.startswith("magbell.paper") or n in skip - {"magbell.__main__"})
print(len(lib), ",".join(leaked))
"""


def test_library_never_imports_the_paper():
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning:magbell"}
    p = subprocess.run([sys.executable, "-c", _PROBE % {"aliases": _PAPER_ALIASES}],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr[-3000:]
    n_modules, leaked = p.stdout.strip().split(" ", 1) if " " in p.stdout.strip() else (p.stdout.strip(), "")
    assert int(n_modules) > 30  # the probe really imported the library
    assert leaked == "", f"library modules import the paper's reproduction: {leaked}"


def test_paper_modules_live_in_the_subpackage():
    import magbell.paper as paper

    names = {m.name for m in pkgutil.iter_modules(paper.__path__)}
    assert {"closed_forms", "closed_forms_postselect", "claims", "figures"} <= names
    for old in ("paper_film", "figures_film", "report"):  # moved, private now: no module at the old path
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"magbell.{old}")
    for name in ("fig2_data", "figS1a_data", "REPRODUCE_JOBS", "reproduce", "reproduce_to"):
        assert callable(getattr(paper, name)) or isinstance(getattr(paper, name), dict)
    assert not {"h_matrix", "jump_operators", "wootters_concurrence"} & set(dir(magbell))
    doc = importlib.import_module("magbell.paper.closed_forms").__doc__
    assert "reference implementation" in doc and "not the library's API" in doc


@pytest.mark.parametrize("name", _PAPER_ALIASES)
def test_deprecated_aliases_reexport_and_warn(name):
    new = importlib.import_module(f"magbell.paper.{name}")
    sys.modules.pop(f"magbell.{name}", None)
    magbell.__dict__.pop(name, None)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        old = importlib.import_module(f"magbell.{name}")
    msgs = [str(x.message) for x in w if issubclass(x.category, DeprecationWarning)]
    assert any(f"magbell.paper.{name}" in m for m in msgs), msgs
    assert old.__all__ == new.__all__
    for attr in new.__all__:
        assert getattr(old, attr) is getattr(new, attr), attr
    private = next(a for a in vars(new) if a.startswith("_") and not a.startswith("__"))
    assert getattr(old, private) is getattr(new, private)


def test_closed_forms_postselect_is_lazy_on_magbell():
    sys.modules.pop("magbell.closed_forms_postselect", None)
    magbell.__dict__.pop("closed_forms_postselect", None)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        mod = magbell.closed_forms_postselect
    assert mod.concurrence_ud is importlib.import_module("magbell.paper.closed_forms_postselect").concurrence_ud
    assert any(issubclass(x.category, DeprecationWarning) for x in w)
