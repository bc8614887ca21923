"""The documentation site (mkdocs.yml, issue 14 §1) builds, links and shows the API by public name.

* ``mkdocs build --strict`` into a temporary folder: any warning fails — a docstring the handler cannot render,
  a broken link or anchor between pages, a page of docs/ missing from the nav (``validation`` in mkdocs.yml).
* The built API pages have the anchors of the public names (``magbell.evolve``, ``magbell.medium.FilmSetup``,
  ...), and every guide of docs/ is a page of the site.
* docs/_ext/griffe_magbell.py (the docstring → Markdown rewrite) on small samples of magbell's docstring habits.
* The home page's example runs; the tutorial's physical-workflow section (§8) runs on its own (it says it is
  self-contained) and prints physically consistent numbers (tests/test_docs.py runs the whole tutorial in one
  namespace too).

Needs the ``docs`` extra (part of ``test``): without mkdocs the build tests skip locally and fail under CI.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: anchors (HTML ids) that the API pages must have: public names, never the private module paths
API_ANCHORS = {
    "api/magbell": ["magbell.evolve", "magbell.steady_state", "magbell.spectrum", "magbell.postselect",
                    "magbell.monitor", "magbell.trajectories", "magbell.Model", "magbell.System",
                    "magbell.EvolveResult"],
    "api/system": ["magbell.system.System", "magbell.system.evolve_system"],
    "api/measures": ["magbell.measures.concurrence", "magbell.measures.negativity"],
    "api/results": ["magbell.results.Result"],
    "api/conditional": ["magbell.conditional.postselect_spectrum"],
    "api/medium": ["magbell.medium.FilmSetup", "magbell.medium.film_couplings", "magbell.medium.FilmCouplings"],
    "api/sweep": ["magbell.sweep.run", "magbell.sweep.Grid"],
    "api/sensing": ["magbell.sensing.fit", "magbell.sensing.Protocol"],
    "api/plot": ["magbell.plot.concurrence", "magbell.plot.map2d"],
    "api/errors": ["magbell.errors.MagbellError", "magbell.errors.InvalidParameterError"],
}


def _need_mkdocs():
    missing = [m for m in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python", "material")
               if importlib.util.find_spec(m.split(".")[0]) is None
               or (m == "mkdocstrings_handlers.python" and importlib.util.find_spec(m) is None)]
    if missing:
        msg = f"the docs extra is not installed ({', '.join(missing)}): pip install -e '.[docs]'"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    _need_mkdocs()
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONIOENCODING": "utf-8"}
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(ROOT / "mkdocs.yml"),
                        "-d", str(out)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    warnings = [ln for ln in (p.stdout + p.stderr).splitlines() if "WARNING" in ln or "ERROR" in ln]
    assert p.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(warnings or [p.stderr[-3000:]])
    return out


def test_site_builds_with_warnings_as_errors(site):
    assert (site / "index.html").is_file() and (site / "objects.inv").is_file()


def test_every_guide_is_a_page(site):
    guides = sorted(p.stem for p in DOCS.glob("*.md") if p.stem != "index")
    assert {"tutorial", "equations", "conventions", "numerics", "postselection", "medium", "sweeps", "sensing",
            "system", "errata"} <= set(guides)
    for g in guides:
        html = (site / g / "index.html").read_text(encoding="utf-8")
        assert "<h1" in html, g


@pytest.mark.parametrize("page", sorted(API_ANCHORS))
def test_api_pages_have_public_anchors(site, page):
    html = (site / page / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="([^"]+)"', html))
    missing = [a for a in API_ANCHORS[page] if a not in ids]
    assert not missing, f"{page}: no anchor for {missing}"
    # private implementation paths never appear as headings
    assert not [i for i in ids if re.match(r"magbell\.(solvers|liouvillian|backend)\b|magbell\..*\._", i)], page


def test_api_renders_docstrings_as_markdown(site):
    html = (site / "api" / "magbell" / "index.html").read_text(encoding="utf-8")
    body = html.split('id="magbell.evolve"', 1)[1].split('id="magbell.EvolveResult"', 1)[0]
    outside_code = re.sub(r"<pre.*?</pre>", "", body, flags=re.S)
    assert "&gt;&gt;&gt;" in body and "&gt;&gt;&gt;" not in outside_code  # doctests are code blocks
    assert ":class:`" not in body and ":func:`" not in body
    assert "<strong>Parameters</strong>" in body and "<code>initial</code>" in body


# ----------------------------------------------------------------------------- the docstring rewrite
def _convert():
    spec = importlib.util.spec_from_file_location("griffe_magbell", DOCS / "_ext" / "griffe_magbell.py")
    if importlib.util.find_spec("griffe") is None:
        _need_mkdocs()
        pytest.skip("griffe (part of the docs extra) is not installed")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.convert


def test_docstring_rewrite_roles_sections_doctests_tables():
    convert = _convert()
    doc = """Do it (:func:`magbell.evolve`, :class:`~magbell.medium.FilmSetup`).

Parameters
----------
model : a :class:`magbell.Model`.
times : 1-D array,
    non-negative.

Text after.

========= =====================
delta     δ = (Δ1 − Δ2)/2
a2, a_tilde2, d2   qubit 2's rates
          when unequal
========= =====================

For example::

    x = 1

>>> 1 + 1
2
"""
    md = convert(doc)
    assert "`magbell.evolve`" in md and "`FilmSetup`" in md and ":func:" not in md and ":class:" not in md
    assert "**Parameters**" in md and "----------" not in md
    assert "- `model` — a `magbell.Model`." in md and "- `times` — 1-D array,\n  non-negative." in md
    assert "\nText after." in md
    assert "- `delta` — δ = (Δ1 − Δ2)/2" in md and "- `a2, a_tilde2, d2` — qubit 2's rates\n  when unequal" in md
    assert "For example:\n\n```text\nx = 1\n```" in md
    assert "```pycon\n>>> 1 + 1\n2\n```" in md
    assert convert("Plain text, no markup.") == "Plain text, no markup."
    # entries without a section title; a table whose roles are longer than their rewrite (split on the source)
    md = convert("Intro.\n\ndata : a result\n    or an array.\nax : the Axes.\n\nEnd.")
    assert "- `data` — a result\n  or an array.\n- `ax` — the Axes.\n\nEnd." in md
    md = convert("===================  =====\n:func:`concurrence`  C(t)\n:func:`map2d`        a map\n"
                 "===================  =====\n")
    assert "- `concurrence` — C(t)\n- `map2d` — a map" in md


# ----------------------------------------------------------------------------- setup, home page, tutorial
def test_docs_extra_is_installed_by_the_test_extra_and_dev_py_serves_it():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(extras["docs"]) <= set(extras["test"])
    names = {re.split(r"[<>=\[]", r)[0] for r in extras["docs"]}
    assert {"mkdocs", "mkdocs-material", "mkdocstrings"} <= names
    spec = importlib.util.spec_from_file_location("magbell_dev", ROOT / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    assert dev.EXTRAS["docs"] == "docs"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 dev.py docs" in readme


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


def _run_blocks(blocks, tmp_path, monkeypatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        for k, b in enumerate(blocks):
            exec(compile(b, f"block {k + 1}", "exec"), ns)
    return buf.getvalue().splitlines()


def test_home_page_example_runs(tmp_path, monkeypatch):
    out = _run_blocks(_python_blocks((DOCS / "index.md").read_text(encoding="utf-8")), tmp_path, monkeypatch)
    assert out == ["0.4804"]


def test_tutorial_physical_workflow_is_self_contained_and_consistent(tmp_path, monkeypatch):
    pytest.importorskip("xarray", reason="the sweep needs the sweep extra (part of test)")
    pytest.importorskip("matplotlib", reason="the plot needs the plot extra")
    text = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    section = text.split("## 8. From a real magnet", 1)[1].split("\n## ", 1)[0]
    assert "**Units.**" in section
    out = _run_blocks(_python_blocks(section), tmp_path, monkeypatch)
    assert out[0] == "NV 2.253 GHz, band bottom 1.923 GHz: in band"
    m = re.fullmatch(r"a = ([0-9.]+) 1/s, \|A\|/a = ([0-9.]+), ã/a = ([0-9.]+), J⊥ = ([0-9.-]+) rad/s, "
                     r"D = ([0-9.-]+) rad/s", out[1])
    assert m, out[1]
    a, ratio, r_tilde = (float(m.group(k)) for k in (1, 2, 3))
    assert 30 < a < 45 and 0.9 < ratio <= 1.0 and 0 < r_tilde < 0.01
    m = re.fullmatch(r"C_max = ([0-9.]+) at t = ([0-9.]+) ms", out[2])
    assert m and 0.6 < float(m.group(1)) < 0.8 and 5 < float(m.group(2)) < 30
    assert out[3] == "True"  # SI model and the paper-unit model (scale=a) give the same curve
    m = re.fullmatch(r"postselected: C_max = ([0-9.]+) at t = ([0-9.]+) ms, C\(100 ms\) = ([0-9.]+), "
                     r"P\(100 ms\) = ([0-9.]+)", out[4])
    assert m and float(m.group(1)) > 0.999 and float(m.group(3)) < 0.9 and 0 < float(m.group(4)) < 0.1, out[4]
    m = re.fullmatch(r"without J⊥ and D: C\(100 ms\) = ([0-9.]+)", out[5])
    assert m and float(m.group(1)) > 0.999  # the paper's postselected Bell state once the coherent part is off
    assert out[6].startswith("C(∞) = 0, entanglement lifetime ")
    assert out[7] == "('separation', 'temperature', 't') s m K"
    cold, hot = (float(x) for x in out[8].split())
    assert cold > hot > 0  # warmer magnet, less entanglement
    assert out[9] == "2 True" and (tmp_path / "nv_yig.png").stat().st_size > 10_000
