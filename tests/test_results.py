"""Results share one base (issue 10 §5, issue 14 §3): fields method/options/backend/version, measures in dir(),
a one-line repr, to_xarray() labelled like the sweep's Dataset, max_concurrence / t_at_max."""

from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import magbell
import magbell.errors
import magbell.results
from magbell import sweep
from magbell.results import Result

T = np.linspace(0.0, 3.0, 7)
M = magbell.Model(a=1.0, A=np.array([0.3, 0.8]), delta=0.2)


def _all_results():
    one = magbell.Model(a=1.0, A=0.8, delta=0.2)
    s = magbell.System(Delta=[1.0, 1.2, 0.9], h_plus=np.diag([1.0, 0.5, 0.2]), J_perp=np.triu(np.full((3, 3), 0.1), 1))
    return {
        "evolve": magbell.evolve(M, "ud", T),
        "steady_state": magbell.steady_state(M, "ud"),
        "spectrum": magbell.spectrum(M),
        "postselect": magbell.postselect(M, "ud", T),
        "monitor": magbell.monitor(one, "ud", T, 0.5),
        "postselect_spectrum": magbell.postselect_spectrum(M),
        "trajectories": magbell.trajectories(one, "ud", T, n=5, seed=1),
        "robustness": magbell.robustness(one, "ud", 1.0, strengths=(0.0, 0.1), n_samples=3, groups=("all",)),
        "system": magbell.evolve(s, "udu", T),
    }


@pytest.fixture(scope="module")
def results():
    return _all_results()


def test_every_result_has_the_base(results):
    for name, r in results.items():
        assert isinstance(r, Result), name
        assert r.backend == "numpy"
        assert r.version == magbell.__version__
        assert isinstance(r.options, dict)
        assert "method" not in r.options
        rep = repr(r)
        assert "\n" not in rep and rep.startswith(type(r).__name__ + "("), (name, rep)
        ds = r.to_xarray()
        assert ds.attrs["version"] == magbell.__version__ and ds.attrs["backend"] == "numpy"
        assert ds.attrs["magbell_result"] == type(r).__name__
        assert len(ds.data_vars) > 0, name


def test_measures_are_attributes_visible_in_dir(results):
    for name in ("evolve", "steady_state", "postselect", "monitor", "system"):
        r = results[name]
        for m in r.measures:
            assert m in dir(r), (name, m)
            assert getattr(r, m) is r.measures[m]
    with pytest.raises(AttributeError, match="computed measures"):
        results["evolve"].negativity


def test_method_recorded_as_a_field(results):
    assert results["evolve"].method == results["evolve"].info["method"]
    assert results["postselect"].method  # the scheme when nothing else was recorded
    assert results["spectrum"].method == "eigendecomposition"


def test_to_xarray_labels_equal_the_sweeps():
    times = np.linspace(0.0, 2.0, 5)
    ds = sweep.run("evolve", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8}, times=times,
                   measures=["concurrence", "populations", "purity"])
    r = magbell.evolve(magbell.Model(a=1.0, A=0.8, delta=np.array([0.0, 0.3])), "ud", times,
                       measures=["concurrence", "populations", "purity"])
    x = r.to_xarray()
    for v in ("concurrence", "populations", "purity"):
        assert x[v].attrs == ds[v].attrs, v
        assert x[v].dims[1:] == ds[v].dims[1:] and x[v].dims[0] == "dim_0"
        np.testing.assert_allclose(x[v].values, ds[v].values, rtol=0, atol=1e-12)
    assert x["t"].attrs == ds["t"].attrs
    assert list(x["basis"].values) == list(ds["basis"].values)

    ds = sweep.run("postselect", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8}, times=times,
                   measures=["concurrence"])
    x = magbell.postselect(magbell.Model(a=1.0, A=0.8, delta=np.array([0.0, 0.3])), "ud", times,
                           measures=["concurrence"]).to_xarray()
    for v in ("concurrence", "success_probability", "log_success_probability"):
        assert x[v].attrs == ds[v].attrs, v

    ds = sweep.run("spectrum", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8})
    x = magbell.spectrum(magbell.Model(a=1.0, A=0.8, delta=np.array([0.0, 0.3]))).to_xarray()
    for v in ("slowest_rate", "entanglement_rate", "entanglement_lifetime"):
        assert x[v].attrs == ds[v].attrs, v


def test_several_initial_states_get_the_initial_dimension():
    r = magbell.evolve(M, ["ud", "singlet"], T)
    x = r.to_xarray()
    assert x.concurrence.dims == ("dim_0", "initial", "t")
    assert list(x.initial.values) == ["ud", "singlet"]


def test_steady_state_with_several_initial_states():
    m = magbell.Model(a=1.0, A=np.array([0.5, 1.0, 0.7]), delta=0.0)
    x = magbell.steady_state(m, ["ud", "singlet"]).to_xarray()
    assert x.concurrence.dims == ("dim_0", "initial") and x.unique.dims == ("dim_0",)
    assert x.converges.dims == ("dim_0", "initial") and x.sizes == {"dim_0": 3, "initial": 2, "basis": 4}


def test_max_concurrence_and_t_at_max_against_numpy(results):
    for name in ("evolve", "postselect", "monitor"):
        r = results[name]
        c = np.asarray(r.concurrence)
        np.testing.assert_array_equal(r.max_concurrence, c.max(axis=-1))
        np.testing.assert_array_equal(r.t_at_max, T[np.argmax(c, axis=-1)])
        assert r.max_concurrence.shape == c.shape[:-1]
    r = magbell.evolve(M, ["ud", "singlet"], T)
    assert r.max_concurrence.shape == (2, 2)
    i = np.argmax(r.concurrence, axis=-1)
    np.testing.assert_array_equal(r.t_at_max, T[i])
    np.testing.assert_array_equal(r.max_concurrence, np.take_along_axis(r.concurrence, i[..., None], -1)[..., 0])


def test_t_at_max_is_nan_where_the_curve_is():
    r = magbell.evolve(M, "ud", T)
    c = r.concurrence.copy()
    c[0, 3] = np.nan
    bad = type(r)(times=r.times, model=r.model, initial=r.initial, measures={"concurrence": c}, states=None, info=r.info)
    assert np.isnan(bad.max_concurrence[0]) and np.isnan(bad.t_at_max[0])
    assert bad.t_at_max[1] == r.t_at_max[1]


# ----------------------------------------------------------------------------- _repr_html_ (issue 14 §3)
class _Tags(HTMLParser):
    """Checks that a fragment is well formed: every tag closed in order, only table markup."""

    ALLOWED = {"table", "caption", "tr", "th", "td"}

    def __init__(self):
        super().__init__()
        self.stack, self.seen, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        assert tag in self.ALLOWED, tag
        self.stack.append(tag)
        self.seen.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, tag

    def handle_data(self, data):
        self.text.append(data)


def _parse(fragment: str) -> _Tags:
    p = _Tags()
    p.feed(fragment)
    p.close()
    assert p.stack == [], p.stack
    return p


def test_repr_html_is_a_valid_fragment_for_every_result(results):
    for name, r in results.items():
        h = r._repr_html_()
        p = _parse(h)
        text = "".join(p.text)
        assert h.startswith("<table") and h.endswith("</table>"), name
        assert type(r).__name__ in text and "numpy" in text and magbell.__version__ in text, name
        assert str(r.method)[:40] in text, name
        assert len(h) < 4000, (name, len(h))
    ev = "".join(_parse(results["evolve"]._repr_html_()).text)
    # the model's parameters (A is a grid: its range), the arrays with units, the headline numbers
    assert "from 0.3 to 0.8" in ev and "1/Γ₀" in ev and "max concurrence" in ev and "1/e lifetime of C" in ev
    mc = results["evolve"].max_concurrence
    assert f"from {min(mc):.6g} to {max(mc):.6g}" in ev
    assert "N = 3 sites" in "".join(_parse(results["system"]._repr_html_()).text)


def test_repr_html_escapes_text():
    r = magbell.evolve(magbell.Model(a=1.0, A=0.5), "ud", T)
    info = {**r.info, "note": "<script>alert('x')</script> & <b>", "method": "a<b>&c"}
    bad = type(r)(times=r.times, model=r.model, initial=r.initial, measures=r.measures, states=None, info=info)
    h = bad._repr_html_()
    p = _parse(h)  # would fail on a stray <script> or <b>
    assert "<script>" not in h and "&lt;script&gt;" in h and "a&lt;b&gt;&amp;c" in h
    assert "a<b>&c" in "".join(p.text)


def test_repr_html_stays_small_for_big_results():
    rng = np.random.default_rng(3)
    n_t = 60
    t = np.linspace(0.0, 5.0, n_t)
    m = magbell.Model(a=1.0, A=rng.uniform(0, 1, (300, 200)), delta=rng.uniform(0, 1, (300, 200)))
    c = rng.uniform(0, 0.5, (300, 200, n_t))
    c[0, 0, 5] = np.nan
    big = magbell.EvolveResult(times=t, model=m, initial=None, measures={"concurrence": c}, states=None,
                               info={"method": "fake", **{f"opt{i}": i for i in range(100)}})
    small = magbell.EvolveResult(times=t[:3], model=magbell.Model(a=1.0), initial=None,
                                 measures={"concurrence": c[0, 0, :3]}, states=None, info={"method": "fake"})
    h, hs = big._repr_html_(), small._repr_html_()
    _parse(h)
    assert len(h) < 4000 and len(h) < 4 * len(hs)
    assert "300 × 200 × 60 float64" in h and "1 NaN" in h and "76 more" in h


# ----------------------------------------------------------------------------- lifetime from the curve
def _lifetime_reference(t, c, level, relative=True):
    """One curve, plain loop: walk from the maximum to the first sample below the level, interpolate."""
    c = list(map(float, c))
    if any(not np.isfinite(x) for x in c):
        return np.nan
    i = int(np.argmax(c))
    L = level * c[i] if relative else level
    if (relative and c[i] <= 0) or c[i] < L:
        return np.nan
    for k in range(i + 1, len(c)):
        if c[k] < L:
            return float(np.interp(L, [c[k], c[k - 1]], [t[k], t[k - 1]]))
    return np.nan


@settings(max_examples=40, deadline=None, derandomize=True)
@given(tau=st.floats(0.01, 100.0), n=st.integers(20, 400), span=st.floats(1.5, 8.0), lag=st.floats(0.0, 0.5))
def test_lifetime_of_an_exponential_decay_is_its_time_constant(tau, n, span, lag):
    """c = exp(-(t - t0)/τ) after a rise ending at t0 = lag·span·τ: the 1/e level is crossed at t0 + τ; linear
    interpolation of a convex curve errs by at most h²/(8τ)·e^{h/τ} (h the step)."""
    t = np.linspace(0.0, (span + lag * span) * tau, n)
    t0 = t[int(lag * (n - 1) / (1 + lag))]
    c = np.where(t < t0, t / t0 if t0 > 0 else 1.0, np.exp(-(t - t0) / tau))
    h = t[1] - t[0]
    got = float(magbell.results.lifetime_from_curve(t, c))
    if t0 + tau > t[-1] - h:
        return
    assert abs(got - (t0 + tau)) <= h * h / (8 * tau) * np.exp(h / tau) + 1e-12 * tau
    # an absolute level: C < 0.2·max is t0 + τ ln 5
    got = float(magbell.results.lifetime_from_curve(t, 3.0 * c, 0.6, relative=False))
    if t0 + tau * np.log(5) < t[-1] - h:
        assert abs(got - (t0 + tau * np.log(5))) <= h * h / (8 * tau) * np.exp(h / tau) + 1e-12 * tau


def test_lifetime_is_exact_on_a_linear_decay():
    t = np.linspace(0.0, 3.0, 31)
    c = np.clip(1.0 - t / 2.0, 0.0, None)
    assert float(magbell.results.lifetime_from_curve(t, c)) == pytest.approx(2.0 * (1 - np.exp(-1)), rel=1e-15)


def test_singlet_under_local_relaxation_lives_1_over_2a():
    """Independent relaxation of both qubits (h_plus = a·1, γ = 2a): C(t) = e^{-2at} from the singlet, so the
    1/e lifetime is 1/(2a) (the closed form of tests/test_closed_forms.py), batched over a."""
    a = np.array([0.25, 0.5, 1.0, 2.0])
    t = np.linspace(0.0, 3.0, 601)
    r = magbell.evolve(magbell.Model(a=a, A=0.0, delta=0.0), "singlet", t)
    np.testing.assert_allclose(r.concurrence, np.exp(-2 * a[:, None] * t), rtol=0, atol=1e-13)
    h = t[1] - t[0]
    tol = h * h * 2 * a.max() / 8 * np.exp(2 * a.max() * h) + 1e-12
    np.testing.assert_allclose(r.lifetime(), 1 / (2 * a), rtol=0, atol=tol)
    # relative to the curve's maximum: level 1/e of 1 and the absolute level 1/e agree here
    np.testing.assert_allclose(r.lifetime(level=np.exp(-1), relative=False), r.lifetime(), rtol=1e-14, atol=0)


def test_lifetime_batched_equals_the_loop_reference():
    m = magbell.Model(a=1.0, A=np.array([0.3, 0.9, 1.0]), delta=np.array([0.2, 0.5, 0.0]))
    t = np.linspace(0.0, 6.0, 121)
    r = magbell.evolve(m, ["ud", "singlet", "uu"], t, measures=["concurrence", "purity"])
    assert r.lifetime().shape == r.max_concurrence.shape == (3, 3)
    for measure, level, rel in (("concurrence", np.exp(-1), True), ("concurrence", 0.5, True),
                                ("purity", 0.7, False), ("concurrence", 0.05, False)):
        got = r.lifetime(measure, level, relative=rel)
        c = r.measures[measure]
        ref = np.array([[_lifetime_reference(t, c[i, j], level, rel) for j in range(3)] for i in range(3)])
        np.testing.assert_allclose(got, ref, rtol=1e-14, atol=0, equal_nan=True)
        assert np.all(np.isnan(got) | (got >= r.t_at_max if measure == "concurrence" else True))
    assert np.isnan(r.lifetime()[:, 2]).all()  # |uu> never entangles: no maximum to decay from
    assert np.isnan(r.lifetime()[2, 1])  # delta = 0, |A| = a: the singlet is dark, C stays 1 (Eq. 10)
    # postselected time series have the same convenience
    p = magbell.postselect(magbell.Model(a=1.0, A=0.4, delta=0.6), "ud", t)
    assert np.isfinite(p.lifetime()) == np.isfinite(_lifetime_reference(t, p.concurrence, np.exp(-1)))


def test_lifetime_nan_means_not_within_the_times():
    t = np.linspace(0.0, 1.0, 11)
    lt = magbell.results.lifetime_from_curve
    assert np.isnan(lt(t, np.exp(-t)))  # e^{-1} is reached at t = 1 = the last time, not below it
    assert lt(t, np.exp(-1.2 * t)) < 1.0
    assert np.isnan(lt(t, np.zeros(11)))  # no positive maximum
    c = np.exp(-3 * t)
    c[4] = np.nan
    assert np.isnan(lt(t, c)) and np.isfinite(lt(t, np.exp(-3 * t)))
    assert np.isnan(lt(t, np.exp(-3 * t), 1.5, relative=False))  # never reaches the level
    assert np.isnan(lt(t[:1], np.ones(1)))
    assert lt(t, np.ones((2, 0, 11))).shape == (2, 0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(level=0.0), "level must satisfy 0 < level <= 1"),
    (dict(level=1.5), "level must satisfy 0 < level <= 1"),
    (dict(level=np.nan), "level must"),
    (dict(level=np.inf, relative=False), "level must be finite"),
    (dict(level="half"), "level must be a real number"),
    (dict(measure="populations"), "measure must be one of the computed time series concurrence"),
    (dict(measure="negativity"), "measure must be one of"),
])
def test_lifetime_refuses_bad_arguments_in_one_line(kwargs, match):
    r = magbell.evolve(M, "ud", T)
    with pytest.raises(magbell.errors.InvalidParameterError, match=match) as e:
        r.lifetime(**kwargs)
    assert "\n" not in str(e.value)
    with pytest.raises(magbell.errors.InvalidParameterError, match="strictly increasing"):
        magbell.results.lifetime_from_curve(T[::-1], np.ones(T.size))
    with pytest.raises(magbell.errors.InvalidParameterError, match="times as last axis"):
        magbell.results.lifetime_from_curve(T, np.ones((T.size, 2)))


# ----------------------------------------------------------------------------- unit labels read as physics
def _all_attrs(ds):
    """Every label (the sweep's provenance JSON, magbell_sweep, keeps the fingerprinted internal unit name)."""
    for v in list(ds.variables.values()):
        yield from v.attrs.values()
    yield from (v for k, v in ds.attrs.items() if k != "magbell_sweep")


def test_labels_are_physics_not_the_placeholder():
    """Auto-labelled plot axes read 'time t [1/Γ₀]', 'slowest |q|=0 decay rate [Γ₀]', never 'rate unit (hbar = 1)'."""
    xr_plot = pytest.importorskip("xarray.plot.utils")
    times = np.linspace(0.0, 1.0, 3)
    ds = sweep.run("evolve", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8, "d": 0.1},
                   times=times, measures=["concurrence"])
    sp = sweep.run("spectrum", sweep.Grid(A=np.array([0.2, 0.5])), fixed={"a": 1.0})
    x = magbell.evolve(magbell.Model(a=1.0, A=0.8, delta=np.array([0.0, 0.3])), "ud", times).to_xarray()
    for d in (ds, sp, x):
        assert not any("rate unit" in str(a) for a in _all_attrs(d))
        assert d.attrs["rate_unit"] == "Γ₀" and "Γ₀ is the unit of rate the parameters were given in" in d.attrs[
            "conventions_note"]
    assert xr_plot.label_from_attrs(ds.t) == xr_plot.label_from_attrs(x.t) == "time t [1/Γ₀]"
    assert ds.delta.attrs["units"] == "Γ₀" and ds.d.attrs["units"] == "Γ₀"
    assert xr_plot.label_from_attrs(sp.entanglement_rate) == "slowest |q|=0 decay rate [Γ₀]"
    assert sp.entanglement_lifetime.attrs["units"] == "1/Γ₀"
    assert ds.attrs["conventions_note"] == x.attrs["conventions_note"]


def test_unit_labels_si_and_named_units():
    u = magbell.results.unit_labels
    assert u("rad/s") == u("1/s") | {"name": "rad/s"}
    assert (u("rad/s")["rate"], u("rad/s")["energy"], u("rad/s")["time"]) == ("1/s", "rad/s", "s")
    assert (u("MHz")["rate"], u("MHz")["time"]) == ("MHz", "1/MHz")
    assert u("1/us")["time"] == "us" and u("Hz")["time"] == "s" and u("meV / hbar")["time"] == "1/(meV / hbar)"
    assert u(None) == u(magbell.results.LEGACY_RATE_UNIT)
    pu = magbell.results.param_units
    assert (pu("delta", "rad/s"), pu("Jperp", "rad/s"), pu("a", "rad/s"), pu("D_deph", "rad/s")) == (
        "rad/s", "rad/s", "1/s", "1/s")
    assert pu("delta") == pu("a") == "Γ₀"
    for bad in ("", "  ", 3.0):
        with pytest.raises(magbell.errors.InvalidParameterError, match="unit must be a non-empty string"):
            u(bad)


def test_to_xarray_unit_matches_the_sweeps_unit():
    times = np.linspace(0.0, 1.0, 3)
    for unit in ("MHz", "rad/s"):
        ds = sweep.run("spectrum", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8}, unit=unit)
        x = magbell.spectrum(magbell.Model(a=1.0, A=0.8, delta=np.array([0.0, 0.3]))).to_xarray(unit=unit)
        for v in ("slowest_rate", "entanglement_rate", "entanglement_lifetime"):
            assert x[v].attrs == ds[v].attrs, (unit, v)
        assert (x.attrs["rate_unit"], x.attrs["conventions_note"]) == (ds.attrs["rate_unit"], ds.attrs["conventions_note"])
    x = magbell.evolve(M, "ud", times).to_xarray(unit="rad/s")
    assert x.t.attrs["units"] == "s" and (x.attrs["rate_unit"], x.attrs["energy_unit"]) == ("1/s", "rad/s")
    assert x.concurrence.attrs["units"] == "1"
    ds = sweep.run("spectrum", sweep.Grid(delta=np.array([0.0, 0.3])), fixed={"a": 1.0, "A": 0.8}, unit="rad/s")
    assert ds.delta.attrs["units"] == "rad/s" and ds.a.attrs["units"] == "1/s" and ds.slowest_rate.attrs["units"] == "1/s"
    with pytest.raises(magbell.errors.InvalidParameterError, match="unit must be"):
        magbell.evolve(M, "ud", times).to_xarray(unit="")


def test_an_energy_is_rad_per_s_and_a_rate_1_per_s_in_si():
    x = magbell.postselect_spectrum(magbell.Model(a=1.0, A=np.array([0.5, 0.9]), delta=0.2)).to_xarray(unit="rad/s")
    assert x.exceptional_point_delta.attrs["units"] == "rad/s" and x.Gamma.attrs["units"] == "1/s"
    assert x.leak_rate.attrs["units"] == "1/s"
    x = magbell.postselect_spectrum(magbell.Model(a=1.0, A=0.5)).to_xarray()
    assert x.exceptional_point_delta.attrs["units"] == x.Gamma.attrs["units"] == "Γ₀"


def test_n_site_results_carry_the_same_labels():
    s = magbell.System(Delta=[1.0, 1.2, 0.9], h_plus=np.diag([1.0, 0.5, 0.2]), J_perp=np.triu(np.full((3, 3), 0.1), 1))
    x = magbell.spectrum(s).to_xarray()
    assert x.slowest_rate.attrs["units"] == "Γ₀" and x.lifetime.attrs["units"] == "1/Γ₀"
    h = magbell.steady_state(s, "udu")._repr_html_()
    _parse(h)
    assert "N = 3 sites" in h
