"""A new user's walk through the docs (session 4, brief HQ): every example a ``--help`` shows runs.

``tests/test_docs.py`` and ``tests/test_readme.py`` execute the tutorial's and the README's code blocks; the
examples in the subcommands' ``--help`` epilogs were run by nothing. A user copies them first, so:

* every epilog example (all subcommands, ``nsite``, ``medium film``, ``sweep``, ``fit``, ``design``,
  ``simulate-experiment`` included) is parsed by the real parser, with no unknown option;
* the cheap ones run in-process, exit 0 and print something; the expensive ones (film quadratures, the
  reproduce run, a dask cluster) only under ``--runslow``;
* the epilog's continuation lines end in a backslash, so a pasted multi-line example is one command.

Reproducers found in the walk:
* ``magbell monitor --a 2 --A 1.5 --tau-m 1e9 --no-readout`` (the monitor epilog's "no monitoring"
  example) exited 2 ("tau_m too long for the rates"); the example now uses ``--tau-m inf``.
* the ``magbell nsite --help`` examples for ``trajectories`` and ``monitor`` lost their ``\\`` line
  continuations (a single backslash in the source string joined the lines with 23 blanks).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from magbell import cli

ROOT = Path(__file__).resolve().parents[1]

#: examples that need files a user would have made first (their own TOML, a store) or a running cluster
_NEEDS_USER_FILES = ("phase.toml", "phase.zarr", "tcp://")
#: examples that cost more than ~2 s in-process (film quadratures over 20 separations, the reproduce run
#: writing figures, a dask LocalCluster, the fit with a plot): run under --runslow only
_SLOW = ("--separation 50nm:1um:20", "reproduce --out", "sweep examples/sweep.toml", "--plot fit.png",
         "--n 10000", "nsite evolve --film")


def _subparsers(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name), sub
                yield from _subparsers(sub, (*prefix, name))


def _epilogs() -> dict:
    parser = cli.build_parser()
    out = {(): parser.epilog or ""}
    for path, sub in _subparsers(parser):
        out[path] = sub.epilog or ""
    return out


def _examples(epilog: str) -> list:
    """The example command lines of an epilog: indented lines starting with 'magbell ', joined over
    trailing backslashes, comments dropped."""
    cmds, cur = [], None
    for line in epilog.splitlines():
        s = line.strip()
        if cur is not None:
            cur += " " + s.rstrip("\\").strip()
            if not s.endswith("\\"):
                cmds.append(cur)
                cur = None
            continue
        if line.startswith("  magbell ") and " ... " not in s and not re.match(r"magbell \S+ --model M\b", s):
            if s.endswith("\\"):
                cur = s.rstrip("\\").strip()
            else:
                cmds.append(s)
    return [shlex.split(c.split("  #")[0].strip())[1:] for c in cmds]


def _all_examples() -> list:
    seen, out = set(), []
    for path, epilog in _epilogs().items():
        for argv in _examples(epilog):
            key = " ".join(argv)
            if key not in seen:
                seen.add(key)
                out.append(argv)
    return out


EXAMPLES = _all_examples()


def test_every_subcommand_has_examples():
    missing = [" ".join(p) for p, e in _epilogs().items() if not _examples(e)]
    assert not missing, f"subcommands whose --help shows no example: {missing}"
    assert len(EXAMPLES) >= 35


def test_epilog_continuation_lines_end_in_a_backslash():
    """An example wrapped over two lines must be pasteable: the first ends in '\\'. A single backslash
    at the end of a line of the (non-raw) source string joins the lines instead, leaving a run of blanks
    in one long line."""
    for path, epilog in _epilogs().items():
        for line in epilog.splitlines():
            if line.lstrip().startswith("magbell "):
                assert "     --" not in line, f"magbell {' '.join(path)} --help: joined example line: {line!r}"


@pytest.mark.parametrize("argv", EXAMPLES, ids=lambda a: " ".join(a)[:80])
def test_epilog_example_parses(argv):
    args, extra = cli.build_parser().parse_known_args(argv)
    assert not extra, f"unknown options in the example: {extra}"


def _run(argv, cwd: Path, monkeypatch):
    monkeypatch.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def _runnable():
    marks = []
    for argv in EXAMPLES:
        line = " ".join(argv)
        if any(x in line for x in _NEEDS_USER_FILES) or line == "reproduce --out results":
            continue  # the full reproduce run (~90 s) is tests/test_reproduce.py's
        slow = any(x in line for x in _SLOW)
        marks.append(pytest.param(argv, id=line[:80], marks=[pytest.mark.slow] if slow else []))
    return marks


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A user's working directory: examples/ copied, and the data file 'magbell fit data.csv' reads made
    by the simulate-experiment example (as its epilog says)."""
    d = tmp_path_factory.mktemp("walk")
    shutil.copytree(ROOT / "examples", d / "examples")
    sim = next(a for a in EXAMPLES if a[0] == "simulate-experiment")
    mp = pytest.MonkeyPatch()
    try:
        status, _, err = _run(sim, d, mp)
    finally:
        mp.undo()
    assert status == 0 and (d / "data.csv").exists(), err
    return d


@pytest.mark.parametrize("argv", _runnable())
def test_epilog_example_runs(argv, workdir, monkeypatch):
    status, out, err = _run(argv, workdir, monkeypatch)
    assert status == 0, f"magbell {' '.join(argv)} exited {status}: {err.strip()}"
    assert out.strip() or (workdir / "data.csv").exists()


def test_monitor_no_monitoring_example_is_the_lindblad_evolution(workdir, monkeypatch):
    """The monitor epilog promises 'no monitoring after t = 0: the Lindblad evolution' (from |ud>, which the
    t = 0 projection keeps): its concurrence column equals 'magbell evolve' on the same times."""
    import json

    argv = next(a for a in EXAMPLES if a[0] == "monitor" and "--no-readout" in a)
    status, out, err = _run([*argv, "--t-max", "2", "--points", "5", "--json"], workdir, monkeypatch)
    assert status == 0, err
    mon = json.loads(out)
    status, out, err = _run(["evolve", "--a", "2", "--A", "1.5", "--t-max", "2", "--points", "5", "--json"],
                            workdir, monkeypatch)
    assert status == 0, err
    ev = json.loads(out)
    assert mon["times"] == pytest.approx(ev["times"], abs=1e-15)
    assert mon["concurrence"] == pytest.approx(ev["concurrence"], abs=1e-12)
    assert max(ev["concurrence"]) > 0.1  # not trivially zero


# ---------------------------------------------------------------- prose promises the block runners do not check


def test_tutorial_lists_every_figure_reproduce_writes():
    """docs/tutorial.md §1 said 'writes, in about ten seconds' five figures; reproduce writes 14 (97 s on the
    loaded 2-core machine). Every figure job must be named in the table."""
    from magbell.paper import figures

    text = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    section = text[text.index("## 1. Reproduce the paper"):text.index("## 2. Your first model")]
    missing = [name for name in figures.FIGURES if f"{name}." not in section]
    assert not missing, f"docs/tutorial.md §1 does not list {missing}"
    assert "ten seconds" not in section


def test_readme_spectrum_lifetime_comments():
    """README: the detailed-balance example (a = |A| = 30, r = 0.1) has an infinite lifetime (its comment
    said '1/(slowest |q|=0 decay rate)', printing inf); a = 1, |A| = 0.8 gives 1/(2(a − |A|)) = 2.5."""
    import magbell

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "# inf: |A| = a, |Ã| = ã keeps the singlet dark" in text
    assert "# 2.5 = 1/(2(a − |A|))" in text
    m = magbell.Model.detailed_balance(a=30.0, A=30.0, ratio=0.1)
    assert float(magbell.spectrum(m).entanglement_lifetime) == float("inf")
    tau = float(magbell.spectrum(magbell.Model(a=1.0, A=0.8)).entanglement_lifetime)
    assert abs(tau - 2.5) < 1e-12


@pytest.mark.slow  # ~5 s: 1430 stationary states of the 8-site chain
def test_readme_nsite_steady_line_keeps_one_minus_one_over_n(workdir, monkeypatch):
    """README's `magbell nsite steady --chain 8 --k-spacing π ... --damping 0`: the P_i sum to 1 − 1/8."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"magbell (nsite steady --chain 8 .*?\\\n.*?)#", text, re.S)
    assert m, "README: the nsite steady example moved"
    argv = shlex.split(m.group(1).replace("\\\n", " "))
    status, out, err = _run(argv, workdir, monkeypatch)
    assert status == 0, err
    p = [float(line.split(":")[1]) for line in out.splitlines() if line.startswith("P_")]
    assert len(p) == 8 and abs(sum(p) - 0.875) < 1e-9
    assert "0.875" in text[m.end():m.end() + 80]


def test_install_instructions_cover_the_examples_extras():
    """A new user who ran only `python3 dev.py reproduce` (the plot extra) and then the tutorial hit
    `to_xarray needs xarray` in §3 and the sweep in §8.3; README's sweep and to_qutip likewise. The install
    paragraphs now say to activate .venv and install the `all` extra, which must hold what the examples use."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[ ]", r)[0] for r in extras["all"]}
    assert {"matplotlib", "xarray", "zarr", "dask", "qutip"} <= names
    tutorial = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    install = tutorial[tutorial.index("## 0. Install"):tutorial.index("## 1. Reproduce")]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quick start"):readme.index("## Use from Python")]
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    home = index[index.index("## Install and first steps"):index.index("## Guides")]
    for where, text in (("docs/tutorial.md §0", install), ("README Quick start", quick), ("docs/index.md", home)):
        assert "source .venv/bin/activate" in text and 'pip install -e ".[all]"' in text, where


def _documented_json_keys(epilog: str) -> set:
    """The key names an epilog's 'JSON keys:' paragraph lists (parenthesised remarks dropped)."""
    text = epilog[epilog.index("JSON keys:") + len("JSON keys:"):]
    text = re.split(r"\n\s*\n|\nCSV", text)[0]
    prev = None
    while prev != text:
        prev, text = text, re.sub(r"\([^()]*\)|\{[^{}]*\}|\[[^\[\]]*\]", "", text)
    text = re.split(r"\.(?:\s|$)", text)[0]
    keys = set()
    for part in re.split(r"[,;]", text):
        m = re.fullmatch(r"\s*(?:with --\S+:\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*", part)
        if m:
            keys.add(m.group(1))
    return keys


_JSON_COMMANDS = {
    "evolve": "evolve --a 1 --points 3",
    "steady": "steady --a 1",
    "spectrum": "spectrum --a 1",
    "postselect": "postselect --a 2 --A 2 --points 3",
    "monitor": "monitor --a 2 --A 2 --tau-m 0.01 --points 3",
    "trajectories": "trajectories --a 2 --A 2 --n 50 --seed 1 --points 3",
    "medium": "medium --field 40mT --separation 200nm,300nm",
    "medium film": "medium film --thickness 20nm --field 22mT --field-angle 54.7deg --height 109nm "
                   "--temperature 4K --separation 100nm,300nm",
}


@pytest.mark.parametrize("name", list(_JSON_COMMANDS))
def test_epilog_json_keys_are_the_printed_keys(name, workdir, monkeypatch):
    """Each '--help' lists the JSON keys; they must be the keys printed (trajectories printed `kept`, medium
    film `dephasing_d` and `units`, none of them listed)."""
    import json

    epilog = _epilogs()[tuple(name.split())]
    documented = _documented_json_keys(epilog)
    status, out, err = _run(shlex.split(_JSON_COMMANDS[name]) + ["--json"], workdir, monkeypatch)
    assert status == 0, err
    printed = set(json.loads(out))
    assert printed == documented, (f"magbell {name} --help: listed but not printed {sorted(documented - printed)}, "
                                   f"printed but not listed {sorted(printed - documented)}")
