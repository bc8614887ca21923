"""Bad inputs are refused with ONE clear error naming the argument, never accepted or turned into
inf/NaN with a RuntimeWarning (issue 9 §4, and the library side of §2/§3).

Every test runs with warnings turned into errors, so that a stray RuntimeWarning fails it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from magbell import Model
from magbell.errors import InvalidParameterError, InvalidStateError, MagbellError
from magbell.medium import MagnonMedium, PhysicalSetup
from magbell.system._two_site_states import density_matrix

pytestmark = pytest.mark.filterwarnings("error")


# ----------------------------------------------------------------------------- Model
@pytest.mark.parametrize("value", [True, False, np.bool_(True), [True, False], np.array([1.0, 2.0]) > 1])
def test_bool_is_not_a_number(value):
    with pytest.raises(InvalidParameterError, match=r"a must be a number .*True/False is not a number"):
        Model(a=value)
    with pytest.raises(InvalidParameterError, match=r"^Jz must be a number"):
        Model(a=1.0, Jz=value)


@pytest.mark.parametrize("value", ["1", "1.0", b"1", ["1", "2"], None, object(), {"re": 1}])
def test_strings_and_objects_are_not_numbers(value):
    with pytest.raises(InvalidParameterError, match=r"^delta must be a number"):
        Model(a=1.0, delta=value)


@pytest.mark.parametrize("name", ["a", "A", "delta", "Delta", "Jz", "d", "a2", "D_deph"])
@pytest.mark.parametrize("value", [1e308, -1e200, 1e151, 1e300j])
def test_magnitudes_whose_products_overflow_are_refused(name, value):
    if isinstance(value, complex) and name not in ("A", "D_deph"):
        value = value.imag  # real parameters: the real huge number
    kw = {"a": 1.0, name: value}
    with pytest.raises(InvalidParameterError, match=rf"\|{name}\| must be <= 1e\+150"):
        Model(**kw)


@pytest.mark.parametrize("name", ["a", "A", "delta", "Jz", "a_tilde", "d"])
@pytest.mark.parametrize("value", [1e-320, 5e-324, -1e-310, 1e-315j])
def test_subnormal_parameters_are_refused(name, value):
    """A subnormal value has lost its precision and the solvers' scalings overflow on it (issue 9 fix-ups:
    steady_state(Model(a=1e-320)) reported n_stationary = 0, spectrum overflowed): one line naming it."""
    if isinstance(value, complex) and name != "A":
        value = value.imag
    if name in ("a", "a_tilde", "d"):
        value = abs(value)
    kw = {"a": 1.0, name: value}
    with pytest.raises(InvalidParameterError, match=rf"^{name} is subnormal \(below 2\.2e-308\): it has lost its "
                                                   r"precision; use 0 or a normal number; at "):
        Model(**kw)
    ok, why = Model.check(**{**kw, name: [0.0, value]})
    assert ok.tolist() == [True, False] and why[1].startswith(f"{name} is subnormal")


@pytest.mark.parametrize("value", [0.0, -0.0, 2.2250738585072014e-308, 1e-300])
def test_smallest_normal_and_zero_parameters_are_accepted(value):
    assert float(Model(a=1.0, delta=value).delta) == value


def test_model_bound_is_the_solvers_rate_limit():
    from magbell import _domain
    from magbell.system import _model as model

    assert model.MAX_MAGNITUDE == _domain.RATE_MAX


def test_largest_and_smallest_accepted_magnitudes():
    m = Model(a=1e150, A=-1e150, delta=-1e150, Jz=1e-300, d=np.finfo(float).tiny)
    assert float(m.a) == 1e150 and float(m.Jz) == 1e-300


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["a", "A", "delta", "Jz", "D_deph", "d2"]))
def test_any_float_gives_a_model_or_one_error(x, name):
    kw = {"a": abs(x) if name == "a" else 1.0, name: x}
    if name == "d2":
        kw["d"] = 1.0
    try:
        Model(**kw)
    except InvalidParameterError as e:
        assert "\n" not in str(e) and name in str(e)


# ----------------------------------------------------------------------------- detailed balance
@pytest.mark.parametrize("T", [-0.0, 0.0, np.float64(-0.0)])
def test_minus_zero_kelvin_is_zero_temperature(T):
    m = Model.detailed_balance(a=1.0, A=0.5, temperature=T, Delta_GHz=2.87)
    assert float(m.a_tilde) == 0.0 and complex(m.A_tilde) == 0


def test_temperature_extremes():
    assert float(Model.detailed_balance(a=1.0, temperature=1e-300, Delta_GHz=1e100).a_tilde) == 0.0  # x overflows: r = 0
    r = float(Model.detailed_balance(a=1.0, temperature=1e100, Delta_GHz=1e-100).a_tilde)
    assert r == 1.0
    with pytest.raises(InvalidParameterError, match="temperature must be >= 0"):
        Model.detailed_balance(a=1.0, temperature=-1e-3, Delta_GHz=2.87)
    with pytest.raises(InvalidParameterError, match="temperature must be a number"):
        Model.detailed_balance(a=1.0, temperature=True, Delta_GHz=2.87)


# ----------------------------------------------------------------------------- initial states
@pytest.mark.parametrize("state, pattern", [
    (True, "must be a name, a ket or a density matrix"),
    ([True, False, False, False], "must be a name, a ket or a density matrix"),
    (np.full((4, 4), 1e308 + 1e308j), "magnitude 1e\\+308"),
    ([1e200, 0, 0, 0], "magnitude 1e\\+200"),
    ([[1, 2], [3]], "must be a name, a ket or a density matrix"),
])
def test_bad_initial_states(state, pattern):
    with pytest.raises(InvalidStateError, match=pattern):
        density_matrix(state)


# ----------------------------------------------------------------------------- medium
SETUP = PhysicalSetup(field=0.04)


def test_separation_strings_need_a_unit_and_other_objects_are_refused():
    """Strings are quantities with units (documented: "50nm", "50nm:1um:20"); a bare number string, bytes,
    lists of strings and bools are not numbers."""
    c = SETUP.couplings(separation="50nm", warn=False)
    ref = SETUP.couplings(separation=50 * 1e-9, warn=False)  # what "50nm" means: 50 x (the nm factor)
    assert float(c.a[0]) == float(ref.a) and float(c.A[0].real) == float(ref.A.real)
    for bad, pattern in (("50", "needs a unit"), (b"50nm", "separation must be a number"),
                         (["50nm"], "separation must be a \\(real\\) number"), (True, "separation must be a"),
                         (1j, "separation must be a \\(real\\) number")):
        with pytest.raises(InvalidParameterError, match=pattern):
            SETUP.couplings(separation=bad, warn=False)
    with pytest.raises(InvalidParameterError, match="temperature must be a"):
        SETUP.couplings(separation=50e-9, temperature=True, warn=False)


def test_subnormal_separation_is_refused_without_warning():
    with pytest.raises(InvalidParameterError, match=r"r must be 0 or >= 2.2e-308"):
        SETUP.couplings(separation=1e-320)


def test_astronomical_separation():
    """With damping, e^{-kappa r} = 0: A = J_perp = 0 exactly and the Markov check fails (ratio inf,
    no overflow warning); without damping the phase k r is undefined in float64: refused."""
    c = SETUP.couplings(separation=1e308, warn=False)
    assert float(c.A.real) == 0.0 and float(c.Jperp) == 0.0 and float(c.a) > 0
    rep = c.info["markov"]
    assert not bool(rep.ok) and math.isinf(float(rep.ratio))
    with pytest.raises(InvalidParameterError, match="not representable in float64"):
        PhysicalSetup(field=0.04, damping=0.0).couplings(separation=1e308, warn=False)


@pytest.mark.parametrize("kw, pattern", [
    (dict(geometry="film2d", thickness=1e-320), "thickness=1e-320"),
    (dict(geometry="film2d", thickness=1e308), "thickness=1e\\+308"),
    (dict(geometry="chain1d", cross_section=1e-320), "cross_section=1e-320"),
    (dict(field=1e308), "must be finite"),
    (dict(field=True), "field must be a number"),
    (dict(field="40mT"), "field must be a number"),
    (dict(eta=True), "eta must be a number"),
])
def test_physical_setup_refuses_inputs_outside_float64(kw, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        PhysicalSetup(**({"field": 0.04} | kw))


def test_magnon_medium_refuses_unrepresentable_rate_scale_and_bools():
    with pytest.raises(InvalidParameterError, match="rate scale"):
        MagnonMedium(dim=3, gap=1.0, stiffness=1.0, coupling=1e200)
    with pytest.raises(InvalidParameterError, match="coupling must be a number"):
        MagnonMedium(dim=3, gap=1.0, stiffness=1.0, coupling=True)
    with pytest.raises(InvalidParameterError, match="r must be a"):
        MagnonMedium(dim=3, gap=1.0, stiffness=1.0).couplings(r="1", Delta=2.0)


def test_errors_are_magbell_errors_and_value_errors():
    for call in (lambda: Model(a=True), lambda: SETUP.couplings(separation=b"1")):
        with pytest.raises(MagbellError) as e:
            call()
        assert isinstance(e.value, ValueError)


def test_no_warning_escapes_the_setup_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        PhysicalSetup(field=0.04, damping=0.0).couplings(separation=1e-300, warn=False)


def test_extreme_medium_inputs_found_by_the_fuzz():
    """Reproducers of the CLI fuzz (tests/test_cli_contract.py): exact limits where float64 holds them,
    one-line refusals where it does not, never a RuntimeWarning."""
    # beta*Delta overflows: 1 + n_B = 1 and e^{-beta Delta} = 0 exactly (the zero-temperature couplings)
    s = PhysicalSetup(field=0.04)
    cold = s.couplings(separation=200e-9, temperature=1e-300, warn=False)
    zero = s.couplings(separation=200e-9, temperature=0.0, warn=False)
    assert float(cold.a) == float(zero.a) and float(cold.a_tilde) == 0.0
    # n_B = kT/Delta beyond float64: refused
    with pytest.raises(InvalidParameterError, match="not representable in float64"):
        PhysicalSetup(qubit_frequency=2.5e-299, gap=0.0, geometry="film2d", thickness=2e-8).couplings(
            separation=1e-9, temperature=1.0, warn=False)
    # Delta * (1 + i alpha) overflows: refused naming the damping
    with pytest.raises(InvalidParameterError, match="wave number .* overflows float64 \\(damping=1e\\+300"):
        PhysicalSetup(field=0.02, gap=20e9, damping=1e300).couplings(separation=1e-9, warn=False)
    # retardation time r/v_g beyond float64: Markov check fails with ratio inf, no warning
    c = PhysicalSetup(qubit_frequency=1e-291, gap=0.5e9).couplings(separation=[1e-9, 1e291], warn=False)
    assert np.all(np.isfinite(c.Jperp))


def test_derived_subnormal_rates_are_flushed_and_grids_marked_per_point():
    """ã = r·a below the normal range (a very cold bath) is 0 (absolute change < 2.2e-308); on a grid,
    out-of-range points are marked by Model.check, not raised."""
    m = Model.detailed_balance(a=1e-10, A=1e-11, ratio=1e-300)
    assert float(m.a_tilde) == 0.0 and complex(m.A_tilde) == 0
    ok, why = Model.check(a=[1.0, 1e200, 1e-320, 2.0], A=[0.5, 0.0, 0.0, 3.0])
    assert ok.tolist() == [True, False, False, False]
    assert why[1].startswith("|a| must be <= 1e+150") and why[3].startswith("a >= |A|")
    assert why[2].startswith("a is subnormal")


def test_tiny_normal_rates_give_the_exact_answers():
    """Issue 9 fix-ups: a = 1e-300 (normal, the smallest scale a user could type after subnormals are refused)
    in every solver, no warning, the exact answer: the zero-temperature steady state |↑↑> (unique), slowest
    rate a, and for t <= 1 the evolution of the coherent part alone (a·t = 1e-300 cannot show)."""
    import warnings

    from magbell import spectrum, steady_state
    from magbell.solvers._monitor import monitor
    from magbell.solvers._postselect import postselect
    from magbell.solvers._trajectories import trajectories

    t = np.array([0.0, 0.5, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        st_ = steady_state(Model(a=1e-300))
        assert int(st_.n_stationary) == 1 and bool(st_.unique)
        np.testing.assert_allclose(st_.populations, [1, 0, 0, 0], atol=1e-12)
        sp = spectrum(Model(a=1e-300))
        assert int(sp.info["n_stationary"]) == 1 and float(sp.slowest_rate) == pytest.approx(1e-300, rel=1e-12)
        # the CLI reproducer (3e-308, D 1e-307) moved to the normal range: psi+ stays a Bell state, P = 1
        p = postselect(Model(a=3e-300, D_dm=1e-299, delta=30), "psi+", t, scheme="subspace")
        np.testing.assert_allclose(p.success_probability, 1.0, atol=1e-12)
        np.testing.assert_allclose(p.measures["concurrence"], 1.0, atol=1e-12)
        for kind in ("periodic", "continuous"):
            mo = monitor(Model(a=1e-300, A=5e-301, Jz=1e-300), "ud", t, 0.1, kind=kind, store_states=True)
            np.testing.assert_allclose(mo.success_probability, 1.0, atol=1e-12)
            np.testing.assert_allclose(np.abs(mo.states[..., 1, 1]), 1.0, atol=1e-12)
        tr = trajectories(Model(a=1e-300, A=1e-300, Jz=1e-300), "psi+", t, n=3, seed=1)
        assert int(tr.n_jumps.sum()) == 0
        np.testing.assert_allclose(np.abs(tr.kets[:, :, 1:3]), 2 ** -0.5, atol=1e-12)


def test_monitor_long_periods_are_fast_and_exact_or_refused():
    """Issue 9 fix-ups: `magbell monitor --tau-m 0.1 --a 1e6` ran for minutes (1e4 substeps repeated in every
    period). The period map is now built once; at zero temperature the periodic scheme with readout equals
    Eq. 13 (postselect, scheme="subspace") exactly for every tau_m. Work beyond the limit: one line, before work."""
    import time

    from magbell.solvers._monitor import MAX_MONITOR_SUBSTEPS, monitor
    from magbell.solvers._postselect import postselect

    m = Model(a=1e5, A=0.5e5, delta=3e4)  # ‖L‖·tau_m = 8e4: the long-period path
    t = np.array([0.0, 0.2, 0.5])
    t0 = time.perf_counter()
    r = monitor(m, "ud", t, 0.1)
    assert time.perf_counter() - t0 < 20
    q = postselect(m, "ud", t, scheme="subspace")
    np.testing.assert_allclose(r.log_success_probability, q.log_success_probability, rtol=1e-12)
    np.testing.assert_allclose(r.measures["concurrence"], q.measures["concurrence"], atol=1e-12)
    with pytest.raises(InvalidParameterError, match=rf"substeps .* needed \(limit {MAX_MONITOR_SUBSTEPS}\)"):
        monitor(Model(a=1e7), "ud", np.linspace(0, 5, 101), 0.1)
    with pytest.raises(InvalidParameterError, match=rf"substeps needed \(limit {MAX_MONITOR_SUBSTEPS}\)"):
        monitor(Model(a=1e6), "ud", [0, 1.5, 3], 0.1, kind="continuous")  # 30 s before


def test_trajectories_bound_their_jumps_before_starting():
    """Issue 9 fix-ups: d = 1e6 over t = 5 meant ~1e7 jump rounds (minutes to hours, no bound). The expected
    jumps of one trajectory are at most 2·λmax(K)·t_max: over the limit, one line naming the limit, at once;
    raising the limit runs it."""
    import time

    from magbell.solvers._trajectories import trajectories

    m = Model(a=30, A=1e-300, delta=0.5, d=1e6)
    t0 = time.perf_counter()
    with pytest.raises(InvalidParameterError, match=r"jumps per trajectory expected .* exceeds "
                                                   r"max_jumps_per_trajectory = 3000"):
        trajectories(m, "ud", [0, 2.5, 5], n=1, seed=1)
    assert time.perf_counter() - t0 < 1
    with pytest.raises(InvalidParameterError, match=r"jumps expected in all .* exceeds max_events = 1000"):
        trajectories(Model(a=1, d=10), "ud", [0, 5], n=100, seed=1, max_events=1000)
    r = trajectories(Model(a=1, d=10), "ud", [0, 0.01], n=2, seed=1, max_jumps_per_trajectory=50)
    assert r.n == 2
    with pytest.raises(InvalidParameterError, match="max_jumps_per_trajectory"):
        trajectories(Model(a=1), "ud", [0, 1], n=1, max_jumps_per_trajectory=0)
    # a dark initial state (rate 0) is not refused, however long the times ...
    assert int(trajectories(Model(a=1.0, A=1.0), "singlet", [0.0, 1e6], n=5, seed=1).n_jumps.sum()) == 0
    # ... and one that becomes bright (δ rotates the singlet into the triplet; ã keeps it jumping) stops at 2×limit
    with pytest.raises(InvalidParameterError, match=r"more than 40 jumps in one trajectory \(2 × "
                                                   r"max_jumps_per_trajectory = 40\)"):
        trajectories(Model(a=50.0, A=50.0, a_tilde=50.0, A_tilde=50.0, delta=20.0), "singlet", [0.0, 100.0], n=2,
                     seed=1, max_jumps_per_trajectory=20)


def test_computed_couplings_below_the_normal_range_are_zero_not_refused():
    """Model refuses subnormal values as input; couplings a medium computes (e^{-κr} at r = 0.25 m gives
    A ~ 7e-317) are physical underflows, flushed to 0 by the medium's model() like ã = r·a."""
    import warnings

    from magbell.medium import PhysicalSetup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = PhysicalSetup(field=0.04).couplings(separation=[1e-6, 0.25], warn=False)
    A = np.asarray(c.A).ravel()
    assert 0 < abs(A[1]) < 2.2e-308  # the computed coupling is subnormal ...
    m = c.model()  # ... and the model takes it as 0
    assert complex(np.asarray(m.A).ravel()[1]) == 0 and complex(np.asarray(m.A).ravel()[0]) == A[0]


@pytest.mark.parametrize("argv", [
    ["steady", "--a", "inf", "--ratio", "0", "--json"],
    ["postselect", "--a", "inf", "--ratio", "0", "--json"],
    ["steady", "--a", "1", "--A", "inf", "--ratio", "0.5"],
])
def test_detailed_balance_of_non_finite_rates_blames_the_rate(argv, capsys):
    """`magbell steady --a inf --ratio 0` exited 1 on a RuntimeWarning (0·inf in ã = r·a) before a was checked."""
    from magbell.cli import main

    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "must be finite" in err and ("a=inf" in err or "A=inf" in err)
