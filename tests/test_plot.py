"""magbell.plot: what is drawn is the data given (read back from the Artists), labels carry the units,
bad input is one line naming the argument, and matplotlib is imported only when a function is called."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import magbell
from magbell import InvalidParameterError, MissingDependencyError

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg", force=True)
from matplotlib.figure import Figure  # noqa: E402

from magbell import plot  # noqa: E402

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg"}


def _ax():
    return Figure(figsize=(4, 3)).add_subplot()


# ----------------------------------------------------------------------------- imports
def test_import_does_not_load_matplotlib():
    code = ("import sys, magbell, magbell.plot; from magbell import plot as p; "
            "print('matplotlib' in sys.modules, callable(p.concurrence))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]


def test_missing_matplotlib_names_the_extra():
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "import numpy as np, magbell.plot as p\n"
            "try:\n    p.concurrence(np.zeros(3), times=[0, 1, 2])\n"
            "except magbell.MissingDependencyError as e:\n    print('ERR', e)\n")
    code = code.replace("magbell.MissingDependencyError", "__import__('magbell').MissingDependencyError")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ERR ") and "pip install 'magbell[plot]'" in out.stdout
    assert out.stdout.count("\n") == 1
    assert issubclass(MissingDependencyError, magbell.MagbellError)


# ----------------------------------------------------------------------------- curves
def test_concurrence_draws_the_result_and_colours_regimes():
    m = magbell.Model(a=1.0, A=1.0, delta=[2.0, 1.0, 0.3, 0.1])
    t = np.linspace(0, 5, 51)
    r = magbell.evolve(m, "ud", t)
    regimes = magbell.spectrum(m).regime
    ax = plot.concurrence(r, regimes=regimes, labels=["a", "b", "c", "d"], time_unit="1/a", ax=_ax())
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["a (underdamped)", "b (critical)", "c (overdamped)", "d (overdamped)"]
    for ln, c in zip(lines, r.concurrence):
        np.testing.assert_array_equal(ln.get_xdata(), t)
        np.testing.assert_array_equal(ln.get_ydata(), c)
    cols = [matplotlib.colors.to_rgb(ln.get_color()) for ln in lines]
    assert len(set(cols)) == 4  # two overdamped curves: two shades of one colour
    green = np.array(matplotlib.colors.to_rgb(plot.REGIME_COLORS["overdamped"]))
    for c in cols[2:]:  # shades of green: the same hue, not another regime's colour
        assert np.argmax(c) == np.argmax(green)
    assert cols[0] == matplotlib.colors.to_rgb(plot.REGIME_COLORS["underdamped"])
    assert ax.get_xlabel() == "$t$  (units of 1/a)" and "mathcal{C}" in ax.get_ylabel()
    assert ax.get_ylim()[0] == 0 and ax.get_legend() is not None


def test_time_series_from_a_sweep_dataset_labels_curves_by_coordinates():
    pytest.importorskip("xarray")
    from magbell import sweep

    ds = sweep.run("evolve", sweep.Grid(delta=[0.0, 0.5]), fixed={"a": 1.0, "A": 1.0}, times=np.linspace(0, 2, 11),
                   initial="ud", unit="a")
    ax = plot.concurrence(ds, ax=_ax())
    assert [ln.get_label() for ln in ax.get_lines()] == ["delta = 0", "delta = 0.5"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), ds.concurrence.sel(delta=0.5).squeeze().values)
    assert "units of 1/a" in ax.get_xlabel()


def test_populations_of_one_curve():
    m = magbell.Model(a=1.0, A=0.5, delta=[0.0, 1.0])
    t = np.linspace(0, 3, 31)
    r = magbell.evolve(m, "ud", t, measures=["populations"])
    with pytest.raises(InvalidParameterError, match=r"^index: the data hold 2 curves"):
        plot.populations(r, ax=_ax())
    ax = plot.populations(r, index=1, ax=_ax())
    ys = np.array([ln.get_ydata() for ln in ax.get_lines()])
    np.testing.assert_allclose(ys.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_array_equal(ys.T, r.populations[1])
    assert [ln.get_label() for ln in ax.get_lines()] == ["|↑↑⟩", "|↑↓⟩", "|↓↑⟩", "|↓↓⟩"]


@pytest.mark.parametrize("call, message", [
    (lambda: plot.concurrence(np.zeros((2, 5))), r"^times: required"),
    (lambda: plot.concurrence(np.zeros((2, 5)), times=np.arange(4)), r"^data: last axis must match times \(4\)"),
    (lambda: plot.concurrence(np.zeros((2, 5)), times=np.arange(5), labels=["x"]), r"^labels: need one per curve \(2\)"),
    (lambda: plot.concurrence(np.zeros(5), times=np.arange(5), regimes=["a", "b"]), r"^regimes: need one per curve"),
    (lambda: plot.concurrence(np.full(3, np.inf), times=[0, 1, 2]), r"^data: must be finite"),
    (lambda: plot.concurrence(np.zeros(3), times=[0, 1, 2], ax="left"), r"^ax: must be a matplotlib Axes"),
    (lambda: plot.time_series(magbell.evolve(magbell.Model(a=1.0), "ud", [0, 1]), measure="negativity"),
     r"^measure: the result has no 'negativity'"),
])
def test_curve_bad_input_is_one_line(call, message):
    with pytest.raises(InvalidParameterError, match=message) as e:
        call()
    assert "\n" not in str(e.value)


# ----------------------------------------------------------------------------- maps
@pytest.fixture(scope="module")
def spectrum_sweep():
    pytest.importorskip("xarray")
    from magbell import sweep

    return sweep.run("spectrum", sweep.Grid(delta=np.linspace(0, 2, 21), A_over_a=np.linspace(0, 1, 11),
                                            ratio=[0.0, 0.1]), fixed={"a": 1.0}, unit="a")


def test_map2d_from_a_sweep(spectrum_sweep):
    ds = spectrum_sweep
    ax = plot.map2d(ds, "entanglement_lifetime", x="delta", sel={"ratio": 0.0}, log=True, vmax=50,
                    contours=[1, 2], boundaries="regime", ax=_ax())
    mesh = ax.collections[0]
    tau = ds.entanglement_lifetime.sel(ratio=0.0).transpose("A_over_a", "delta").values
    shown = np.asarray(mesh.get_array()).reshape(tau.shape)
    fin = np.isfinite(tau)
    np.testing.assert_array_equal(shown[fin], tau[fin])
    assert np.all(shown[~fin] > 50)  # +inf (persisting entanglement): above the scale, not dropped
    assert ax.get_xlabel() == r"$\delta$  (units of a)" and ax.get_ylabel() == "$|A|/a$"
    assert "units of 1/a" in ax.figure.axes[1].get_ylabel()  # colour bar, from the variable's attrs
    texts = {t.get_text() for t in ax.texts}
    assert {"overdamped", "underdamped"} <= texts  # regions named from the CF flag_meanings
    assert len(ax.collections) >= 3  # mesh, contour lines, regime boundary
    with pytest.raises(InvalidParameterError, match=r"^data: 'entanglement_lifetime' must have 2 dimensions"):
        plot.map2d(ds, "entanglement_lifetime", ax=_ax())
    with pytest.raises(InvalidParameterError, match=r"^var: name the variable to map"):
        plot.map2d(ds, sel={"ratio": 0.0}, ax=_ax())


def test_map2d_arrays_and_status_mask():
    x, y = np.linspace(0, 1, 5), np.linspace(0, 2, 3)
    Z = np.add.outer(y, x)
    ax = plot.map2d(Z, x=x, y=y, ax=_ax(), label_text="z")
    np.testing.assert_array_equal(np.asarray(ax.collections[0].get_array()).reshape(Z.shape), Z)
    with pytest.raises(InvalidParameterError, match=r"^data: shape must be \(len\(y\), len\(x\)\) = \(3, 5\)"):
        plot.map2d(Z.T, x=x, y=y, ax=_ax())
    with pytest.raises(InvalidParameterError, match=r"^x, y: the coordinate arrays are required"):
        plot.map2d(Z, ax=_ax())
    xr = pytest.importorskip("xarray")
    st = np.ones(Z.shape, dtype=np.int8)
    st[1, 2] = 2  # an invalid point of a sweep is blank, not coloured
    ds = xr.Dataset({"c": (("y", "x"), Z, {"units": "1", "long_name": "thing"}), "status": (("y", "x"), st)},
                    coords={"x": ("x", x, {"units": "K"}), "y": ("y", y, {"units": "s"})})
    ax = plot.map2d(ds, "c", ax=_ax())
    arr = ax.collections[0].get_array()
    assert np.ma.getmaskarray(arr).reshape(Z.shape)[1, 2] and np.ma.getmaskarray(arr).sum() == 1
    assert ax.get_xlabel() == "x  (K)" and ax.get_ylabel() == "y  (s)"


def test_pt_phase_diagram():
    d = np.linspace(0, 4, 41)
    G = np.linspace(0.1, 3, 30)
    D, GG = np.meshgrid(d, G)
    sp = magbell.postselect_spectrum(magbell.Model(a=GG, A=GG, delta=D))
    ax = plot.pt_phase_diagram(sp, d, G, ax=_ax())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["PT-exact", "exceptional-point", "PT-broken"]
    code = np.asarray(ax.collections[0].get_array()).reshape(D.shape)
    np.testing.assert_array_equal(code == 2, D < GG * (1 - 1e-9))  # PT-broken exactly where δ < Γ
    ax = plot.pt_phase_diagram(sp, d, G, value="max_concurrence", value_label=r"$\sup_t \mathcal{C}$", ax=_ax())
    assert ax.figure.axes[1].get_ylabel() == r"$\sup_t \mathcal{C}$"
    with pytest.raises(InvalidParameterError, match=r"^spectrum: phase must have shape"):
        plot.pt_phase_diagram(sp, G, d, ax=_ax())
    with pytest.raises(InvalidParameterError, match=r"^value: the spectrum has no attribute 'nope'"):
        plot.pt_phase_diagram(sp, d, G, value="nope", ax=_ax())


def test_pair_concurrence_matrix():
    C = np.array([[0, 0.5, 0.1], [0.5, 0, 0.3], [0.1, 0.3, 0]])
    ax = plot.pair_concurrence(C, ax=_ax())
    img = ax.get_images()[0].get_array()
    assert np.ma.getmaskarray(img).diagonal().all() and not np.ma.getmaskarray(img)[0, 1]
    np.testing.assert_array_equal(np.ma.filled(img, 0), C)
    assert sorted(t.get_text() for t in ax.texts) == ["0.10", "0.10", "0.30", "0.30", "0.50", "0.50"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    for bad, msg in ((np.zeros((2, 3)), r"^C: must be one square \(N, N\) matrix"),
                     (np.zeros((4, 3, 3)), r"^C: must be one square"),
                     (np.array([[0, 0.2], [0.3, 0]]), r"^C: the pair-concurrence matrix must be symmetric"),
                     (np.array([[0, 1.5], [1.5, 0]]), r"^C: a concurrence lies in \[0, 1\]")):
        with pytest.raises(InvalidParameterError, match=msg):
            plot.pair_concurrence(bad, ax=_ax())


def test_n_site_results():
    """evolve(System): site populations and the pair-concurrence matrix straight from the result."""
    S = magbell.System(Delta=[1.0, 1.0, 1.0], h_plus=np.ones((3, 3)))
    t = np.linspace(0, 2, 5)
    r = magbell.evolve(S, "W", t, measures=["site_populations", "pair_concurrence"])
    ax = plot.populations(r, ax=_ax())
    assert [ln.get_label() for ln in ax.get_lines()] == ["site 1 ↓", "site 2 ↓", "site 3 ↓"]
    np.testing.assert_array_equal(np.array([ln.get_ydata() for ln in ax.get_lines()]).T, r.site_populations)
    ax = plot.pair_concurrence(r, time_index=2, ax=_ax())
    np.testing.assert_array_equal(np.ma.filled(ax.get_images()[0].get_array(), 0), r.pair_concurrence[2])
    assert ax.get_title() == "t = 1"
    with pytest.raises(InvalidParameterError, match=r"^time_index: 9 is not an index into 5 times"):
        plot.pair_concurrence(r, time_index=9, ax=_ax())
