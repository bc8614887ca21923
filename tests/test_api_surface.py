"""The public surface of issue 10 §4: no callable modules; the sweep registry keyed by function objects.

``magbell.postselect``, ``monitor``, ``trajectories``, ``robustness`` are plain functions (their companions live
in ``magbell.conditional``); ``sweep.run(magbell.postselect, ...)`` and the other solvers by object give the same
numbers as the direct calls; ``magbell.sweep`` has no import cycle and no class named like ``magbell.Spectrum``.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import types

import numpy as np
import pytest

import magbell
from magbell import sweep

xr = pytest.importorskip("xarray")

ATOL = 1e-12
SOLVERS = ("postselect", "monitor", "trajectories", "robustness")


@pytest.mark.parametrize("name", SOLVERS)
def test_solvers_are_functions_not_modules(name):
    f = getattr(magbell, name)
    assert callable(f) and inspect.isfunction(f) and not isinstance(f, types.ModuleType)
    assert getattr(magbell.conditional, name) is f
    assert f.__module__ == f"magbell.solvers._{name}"


def test_no_callable_module_anywhere_in_magbell():
    """Every module magbell has loaded (the package namespace and all its submodules) is a plain module."""
    import magbell.conditional  # noqa: F401
    import magbell.sweep._tasks  # noqa: F401

    mods = [m for n, m in list(sys.modules.items()) if n == "magbell" or n.startswith("magbell.")]
    mods += [v for v in vars(magbell).values() if isinstance(v, types.ModuleType)]
    assert len(mods) > 20
    bad = sorted({m.__name__ for m in mods if callable(m) or type(m) is not types.ModuleType})
    assert not bad, f"callable or non-plain modules: {bad}"


def test_companions_are_in_magbell_conditional_and_at_the_top_level():
    c = magbell.conditional
    for name in ("postselect_spectrum", "conditional_evolve", "non_hermitian_hamiltonian", "PostselectResult",
                 "NonHermitianSpectrum", "MonitorResult", "TrajectoryResult", "RobustnessResult"):
        assert getattr(magbell, name) is getattr(c, name)
    assert callable(c.monitor_sweep) and c.SCHEMES == ("no-jump", "subspace")
    for name in c.__all__:
        assert hasattr(c, name)
    # the old attribute access through the function's name is gone (documented in docs/postselection.md)
    assert not hasattr(magbell.postselect, "postselect_spectrum")


def test_sweep_imports_without_a_cycle_in_a_fresh_interpreter():
    code = ("import sys; import magbell.sweep._tasks as t; import magbell; "
            "assert t.TASKS_BY_FUNCTION[magbell.postselect] is t.Postselect; "
            "print(sorted(n for n in sys.modules if n.startswith('magbell.sweep.')))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "magbell.sweep._tasks" in p.stdout and "magbell.sweep._postselect" not in p.stdout


def test_sweep_run_by_function_object_equals_the_direct_calls():
    d = np.array([0.0, 0.7])
    A = np.array([0.5, 1.0])
    times = np.linspace(0.0, 1.5, 4)
    grid = sweep.Grid(delta=d, A=A)
    model = magbell.Model(a=1.0, A=A[None, :], delta=d[:, None])

    ds = sweep.run(magbell.postselect, grid, fixed={"a": 1.0}, times=times, scheme="subspace")
    ref = magbell.postselect(model, "ud", times, scheme="subspace")
    assert ds.concurrence.dims == ("delta", "A", "t")
    np.testing.assert_allclose(ds.concurrence.values, ref.concurrence, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ds.success_probability.values, ref.success_probability, rtol=0, atol=ATOL)
    by_name = sweep.run("postselect", grid, fixed={"a": 1.0}, times=times, scheme="subspace")
    np.testing.assert_array_equal(by_name.concurrence.values, ds.concurrence.values)

    ds = sweep.run(magbell.evolve, grid, fixed={"a": 1.0}, times=times, measures=["concurrence"])
    np.testing.assert_allclose(ds.concurrence.values, magbell.evolve(model, "ud", times).concurrence,
                               rtol=0, atol=ATOL)

    ds = sweep.run(magbell.steady_state, grid, fixed={"a": 1.0}, initial="ud", measures=["concurrence"])
    np.testing.assert_allclose(ds.concurrence.values, magbell.steady_state(model, "ud").concurrence,
                               rtol=0, atol=ATOL)

    ds = sweep.run(magbell.spectrum, grid, fixed={"a": 1.0})
    sp = magbell.spectrum(model)
    np.testing.assert_allclose(ds.slowest_rate.values, sp.slowest_rate, rtol=1e-12, atol=0)
    np.testing.assert_allclose(ds.entanglement_rate.values, sp.entanglement_rate, rtol=1e-12, atol=0)


def test_sweep_refuses_other_functions_in_one_line():
    with pytest.raises(magbell.InvalidParameterError, match="not a magbell function the sweep knows"):
        sweep.run(magbell.monitor, sweep.Grid(delta=[0.0]), fixed={"a": 1.0})
    with pytest.raises(magbell.InvalidParameterError, match="unknown sweep function"):
        sweep.run("monitor", sweep.Grid(delta=[0.0]), fixed={"a": 1.0})


def test_sweep_task_class_does_not_share_a_name_with_magbell_spectrum():
    assert sweep.SpectrumTask is not magbell.Spectrum
    assert sweep.SpectrumTask.__name__ != magbell.Spectrum.__name__
    assert "Spectrum" not in sweep.__all__ and "SpectrumTask" in sweep.__all__
    assert sweep.Postselect.name == "postselect"


def test_deprecated_spellings_warn():
    with pytest.warns(DeprecationWarning, match="magbell.sweep.SpectrumTask"):
        old = sweep.Spectrum
    assert old is sweep.SpectrumTask
