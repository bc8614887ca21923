"""Packaging (issue 14 §2): LICENSE, CITATION.cff, CHANGELOG, pyproject metadata and extras, a wheel that ships
py.typed and the license without leaving build/ or *.egg-info in the source tree, and one-line errors naming the
extra when an optional dependency is missing (simulated by ``sys.modules[name] = None`` in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]


def _req_names(reqs):
    return {r.split(">")[0].split("=")[0].split("[")[0].strip().lower() for r in reqs}


# ----------------------------------------------------------------------------- files and metadata
def test_license_is_mit_and_matches_metadata():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 the magbell developers" in text
    assert "WITHOUT WARRANTY OF ANY KIND" in text
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]


def test_citation_cff_cites_the_software_and_the_paper():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"] == "magbell"
    assert cff["type"] == "software"
    assert str(cff["version"]) == PROJECT["version"]
    assert cff["license"] == "MIT"
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    (paper,) = [r for r in cff["references"] if r.get("doi") == "10.1103/PhysRevB.106.L180406"]
    assert paper["type"] == "article"
    assert [a["family-names"] for a in paper["authors"]] == ["Zou", "Zhang", "Tserkovnyak"]
    assert (paper["volume"], str(paper["start"]), paper["year"]) == (106, "L180406", 2022)
    assert paper["title"] == "Bell-state generation for spin qubits via dissipative coupling"


def test_changelog_keeps_a_changelog_sections():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog")
    assert "## [Unreleased]" in text and "## [0.1.0]" in text
    assert text.index("## [Unreleased]") < text.index("## [0.1.0]")
    # the breaking change of issue 10 §4 is spelled out with both paths
    assert "magbell.postselect.X" in text and "magbell.conditional.X" in text


def test_pyproject_metadata_and_extras():
    assert PROJECT["authors"] == [{"name": "the magbell developers"}]
    cls = set(PROJECT["classifiers"])
    for c in ("Programming Language :: Python :: 3.11", "Intended Audience :: Science/Research",
              "Topic :: Scientific/Engineering :: Physics", "Operating System :: OS Independent", "Typing :: Typed"):
        assert c in cls
    assert PROJECT["keywords"]
    assert PROJECT["requires-python"] == ">=3.11"
    extras = {k: _req_names(v) for k, v in PROJECT["optional-dependencies"].items()}
    assert extras["qutip"] == {"qutip"}
    assert extras["plot"] | extras["sweep"] | extras["qutip"] <= extras["all"]
    # every extra named by the missing-dependency helper exists
    from magbell._optional import EXTRAS

    for mod, extra in EXTRAS.items():
        assert extra in extras, (mod, extra)
    # no invented project URL: any URL given must be a real https address (none are known today)
    for url in PROJECT.get("urls", {}).values():
        assert url.startswith("https://") and "example" not in url


def test_py_typed_marker_exists():
    assert (ROOT / "src" / "magbell" / "py.typed").is_file()


# ----------------------------------------------------------------------------- the wheel
def _tree_snapshot():
    names = {p.name for p in ROOT.iterdir()} | {p.name for p in (ROOT / "src").iterdir()}
    return {n for n in names if n == "build" or n.endswith(".egg-info")}


def test_wheel_ships_license_and_py_typed_and_leaves_no_build_dir(tmp_path):
    pytest.importorskip("hatchling")  # the build backend (pyproject [build-system]); no network needed
    before = _tree_snapshot()
    out = tmp_path / "wheel"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
         "-q", "-w", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert _tree_snapshot() == before, "building the wheel left build/ or *.egg-info in the source tree"
    (whl,) = out.glob("magbell-*.whl")
    names = set(zipfile.ZipFile(whl).namelist())
    assert "magbell/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # every module of the source tree is in the wheel
    src = {p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "magbell").rglob("*.py")
           if "__pycache__" not in p.parts}
    assert src <= names
    meta = zipfile.ZipFile(whl).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in meta and "Provides-Extra: qutip" in meta and "Provides-Extra: all" in meta
    # the citation is installed with the package (importlib.resources.files("magbell") / "CITATION.cff")
    assert "magbell/CITATION.cff" in names
    assert zipfile.ZipFile(whl).read("magbell/CITATION.cff") == (ROOT / "CITATION.cff").read_bytes()
    assert "Project-URL: Paper, https://doi.org/10.1103/PhysRevB.106.L180406" in meta


def test_sdist_ships_what_the_tests_and_the_docs_build_need():
    hatch = PYPROJECT["tool"]["hatch"]["build"]["targets"]
    inc = set(hatch["sdist"]["include"])
    assert {"CITATION.cff", "mkdocs.yml", "docs", "docs/_ext", "tests", "LICENSE", "CHANGELOG.md"} <= inc
    assert hatch["wheel"]["force-include"] == {"CITATION.cff": "magbell/CITATION.cff"}
    assert (ROOT / "docs" / "_ext" / "griffe_magbell.py").is_file() and (ROOT / "mkdocs.yml").is_file()
    # the project's URLs: only true public addresses (no repository/documentation site is public yet)
    assert PROJECT["urls"] == {"Paper": "https://doi.org/10.1103/PhysRevB.106.L180406"}


def test_gitignore_covers_build_outputs():
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "build/" in lines and "*.egg-info/" in lines and "dist/" in lines


# ----------------------------------------------------------------------------- missing optional dependencies
_PROBE = r"""
import sys, json
for m in sys.argv[1].split(","):
    sys.modules[m] = None          # `import m` raises ImportError, as if not installed
case = sys.argv[2]
import numpy as np
import magbell
try:
    if case == "model":
        magbell.Model(a=1).to_qutip()
    elif case == "system":
        magbell.System(Delta=[1.0, 1.0, 1.0], h_plus=np.ones((3, 3))).to_qutip()
    elif case == "sweep":
        from magbell import sweep
        sweep.run("steady_state", sweep.Grid(delta=np.linspace(0, 1, 3)), fixed={"a": 1.0, "A": 0.5})
    elif case == "sensing":
        from magbell.sensing import FitResult
        FitResult.__new__(FitResult).plot()
    elif case == "dataframe":
        from magbell.sensing._data import Data
        Data.__new__(Data).to_dataframe()
    print(json.dumps({"error": None}))
except Exception as e:
    print(json.dumps({"error": type(e).__name__, "mro": [c.__name__ for c in type(e).__mro__], "msg": str(e)}))
"""


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.parametrize(
    "hidden, case, extra",
    [
        ("qutip", "model", "qutip"),
        ("qutip", "system", "qutip"),
        ("xarray", "sweep", "sweep"),
        ("matplotlib,matplotlib.pyplot", "sensing", "plot"),
        ("pandas", "dataframe", "sweep"),
    ],
)
def test_missing_optional_dependency_is_one_line_naming_the_extra(hidden, case, extra):
    r = subprocess.run([sys.executable, "-c", _PROBE, hidden, case], capture_output=True, text=True, timeout=60,
                       env=_env(), cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["error"] is not None, f"{case} ran without {hidden}"
    assert "MissingDependencyError" in res["mro"] and "MagbellError" in res["mro"]
    assert "\n" not in res["msg"]
    assert f"pip install 'magbell[{extra}]'" in res["msg"]
    assert hidden.split(",")[0] in res["msg"]


def test_reproduce_without_matplotlib_is_one_line_exit_2(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None; from magbell.cli import main; "
            "sys.exit(main(['reproduce', '--out', sys.argv[1]]))")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=60,
                       env=_env(), cwd=ROOT)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("magbell: error: ")
    assert "matplotlib" in r.stderr and "pip install 'magbell[plot]'" in r.stderr
    assert r.stdout == ""
    assert not out.exists()  # refused before any work


def test_require_reports_a_broken_install_in_one_line(tmp_path, monkeypatch):
    from magbell._optional import require
    from magbell.errors import MissingDependencyError

    assert require("json") is json
    with pytest.raises(MissingDependencyError,
                       match=r"^magbell_no_such_module is not installed: pip install 'magbell\[all\]'$"):
        require("magbell_no_such_module")
    # an installed package whose own dependency is missing (a broken install) names that dependency too
    (tmp_path / "magbell_broken_pkg.py").write_text("import magbell_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MissingDependencyError,
                       match=r"^x needs magbell_broken_pkg \(importing it failed on 'magbell_no_such_dependency'\): "
                             r"pip install 'magbell\[plot\]'$"):
        require("magbell_broken_pkg", "plot", what="x")
