"""The README's Python examples run as written, in order, in one namespace (as a user pastes them).

A few of the values their comments promise are checked too, so a changed number fails here rather than in a
user's notebook.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples():
    assert len(_python_blocks()) >= 4


@pytest.fixture(scope="module")
def namespace(tmp_path_factory, request):
    cwd = tmp_path_factory.mktemp("readme")
    mp = pytest.MonkeyPatch()
    mp.chdir(cwd)  # the sweep example writes phase.zarr into the working directory
    request.addfinalizer(mp.undo)
    ns: dict = {}
    for i, block in enumerate(_python_blocks()):
        exec(compile(block, f"README.md python block {i}", "exec"), ns)
    return ns


def test_readme_examples_run_and_keep_their_promises(namespace):
    import magbell

    ns = namespace
    assert ns["r"].concurrence.shape[-1] == 301  # the postselection example's r (last assignment of r)
    # dark singlet: C(∞) = 1/2 from |↑↓> at a = |A| (README: "0.5, False, 4")
    s = magbell.steady_state(magbell.Model(a=1.0, A=1.0), "ud")
    assert abs(float(s.concurrence) - 0.5) < 1e-12 and not bool(s.unique)
    # detailed balance example: (1−r)²/(2(1+r+r²)) at r = 0.1
    r = 0.1
    m = magbell.Model.detailed_balance(a=30.0, A=30.0, ratio=r)
    assert abs(float(magbell.steady_state(m, "ud").concurrence) - (1 - r) ** 2 / (2 * (1 + r + r * r))) < 1e-12
    # postselected Bell state with the paper's protocol
    ps = magbell.postselect(magbell.Model(a=2.0, A=2.0), "ud", np.linspace(0, 3, 301), scheme="subspace")
    assert ps.concurrence[-1] > 0.999 and abs(ps.success_probability[-1] - 0.5) < 1e-6
    # N sites: one excitation under rank-one collective decay keeps 1 − 1/N in the dark manifold
    sys3 = magbell.System(Delta=[1.0, 1.0, 1.0], h_plus=np.ones((3, 3)))
    pops = magbell.evolve(sys3, "duu", np.linspace(0, 20, 201), store_states=True).site_populations
    assert abs(pops[-1].sum() - (1 - 1 / 3)) < 1e-9
    # the film example: NV in the band, |A|/a close to 1 at 300 nm perpendicular to the magnetisation
    fc = ns["fc"]
    assert tuple(fc.regime) == ("in band", "in band")
    assert 0.9 < abs(fc.A[0, 1]) / fc.a[0] <= 1.0
    assert 0.6 < float(np.max(ns["C"])) < 0.8
