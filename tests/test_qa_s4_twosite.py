"""QA session 4 (brief HC): two-qubit solvers, measures and CLI at physical scales — regression tests.

Every test here is a reproducer that returned a wrong number or broke the one-line-error contract before
its fix; the reference of each is stated next to it (a closed form from the paper/supplement or a
derivation written out in the docstring).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import magbell


# ---------------------------------------------------------------------------------------------
# steady_state at low temperature: p_↓↓ ~ (ã/a)² to relative accuracy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("r", [1e-60, 1e-20, 1e-12, 1e-9, 1.0689660985726062e-06])
@pytest.mark.parametrize("a", [1.0, 1e3])
def test_dark_singlet_thermal_concurrence_low_temperature(r, a):
    """|A| = a, Ã = r A, ã = r a (detailed balance, ã/a = e^{−βΔ}: 1.07e-6 is an NV, Δ = 1.8e10 rad/s, at
    10 mK): from |↑↓> half the weight stays in the dark singlet and the triplet thermalises to (1, r, r²)/Z,
    so C = (1 − r)²/(2(1 + r + r²)) (docs/conventions, Fig. S1(a)). Before: 0.5 − 9.8e-9 at r = 1e-60 and
    errors 1e-9…1e-8 at r ≤ 1e-9, from the absolute rounding ~1e-17 in p_↓↓ ~ r² under sqrt(p_↑↑ p_↓↓)."""
    m = magbell.Model(a=a, A=a, a_tilde=r * a, A_tilde=r * a, Delta=1.8e10)
    s = magbell.steady_state(m, "ud")
    rr = (r * a) / a
    exact = (1 - rr) ** 2 / (2 * (1 + rr + rr * rr))
    assert abs(float(s.concurrence) - exact) <= 1e-15
    assert s.rho[3, 3].real >= 0.0  # it was −4.5e-17 at r = 1e-60, a = 1e3


@pytest.mark.parametrize("r", [1e-6, 1e-9, 1e-12])
def test_thermal_ground_population_relative_accuracy(r):
    """Unique steady state under detailed balance (A = a/2, Ã = r A, δ = 0): the Gibbs state
    diag(1, r, r, r²)/(1 + r)², so p_↓↓ = r²/(1 + r)². Before: p_↓↓ = −1.3e-17 at r = 1e-9 (exact 1e-18:
    the state was not positive) and 2.4e7 times too large at r = 1e-12."""
    m = magbell.Model(a=1.0, A=0.5, a_tilde=r, A_tilde=0.5 * r)
    s = magbell.steady_state(m)
    exact = r * r / (1 + r) ** 2
    assert abs(s.rho[3, 3].real - exact) <= 1e-3 * exact
    assert abs(s.rho[0, 0].real - 1 / (1 + r) ** 2) <= 1e-15


# ---------------------------------------------------------------------------------------------
# measures: hostile input gives one MagbellError line, no TypeError/ValueError/RuntimeWarning
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: magbell.concurrence(np.eye(4) / 4, method="foo"), "method"),  # was a plain ValueError
        (lambda: magbell.concurrence(np.full((4, 4), 1e308)), "magnitude"),  # overflow RuntimeWarning
        (lambda: magbell.negativity(np.full((4, 4), 1e300)), "magnitude"),  # returned 4.2e284
        (lambda: magbell.log_negativity(np.full((4, 4), 1e308)), "magnitude"),  # overflow warning
        (lambda: magbell.purity(np.full((4, 4), 1e200)), "magnitude"),  # overflow warning
        (lambda: magbell.concurrence(np.array([["a"] * 4] * 4, dtype=object)), "numeric"),  # TypeError
        (lambda: magbell.bell_fidelity(np.eye(4) / 4, "foo"), "which="),  # said "unknown initial state"
    ],
)
def test_measures_hostile_input_one_line(call, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(magbell.MagbellError, match=match) as e:
            call()
    assert "\n" not in str(e.value)


# ---------------------------------------------------------------------------------------------
# robustness: the infidelity exponent of what the perturbation adds, not of the finite-t floor
# ---------------------------------------------------------------------------------------------


def test_robustness_exponent_is_that_of_the_added_infidelity():
    """a = |A| = 1e3 /s, Δ = 1.8e10 rad/s, t = 2 ms (Γt = 2): the unperturbed 1 − F0 = (1 − tanh 2Γt)/2 = 3.35e-4
    floor dominated the fit of log(1 − F) and gave exponents 0.16 (δ noise), 0.60 (DM), 0.19 (local rates)
    where the perturbation's own infidelity is ∝ ε² (docs/postselection.md §6; δ: F = (1 + κ/Γ)/2 exactly
    for the asymptotic state); XXZ changes nothing and gave the 'exponent' 1e-15 — now NaN."""
    from magbell.conditional import robustness

    m = magbell.Model(a=1e3, A=1e3, Delta=1.8e10)
    r = robustness(m, t=2e-3, strengths=[0.003, 0.01, 0.03], n_samples=100, seed=1,
                   groups=["delta", "dm", "local_rates", "xxz"])
    ex = r.infidelity_exponent()
    for g in ("delta", "dm", "local_rates"):
        assert ex[g] == pytest.approx(2.0, abs=0.1), (g, ex)
    assert np.isnan(ex["xxz"])
    assert 1 - r.info["base_fidelity"] == pytest.approx((1 - np.tanh(4.0)) / 2, rel=1e-9)


# ---------------------------------------------------------------------------------------------
# units: SI prefixes m/M and p/P are never matched case-blind
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, kind", [("5mHz", "frequency"), ("2MK", "temperature"), ("1MeV", "frequency"),
                                        ("3Mm", "length"), ("3PM", "length")])
def test_case_blind_unit_does_not_flip_an_si_prefix(text, kind):
    """'5mHz' was read as 5 MHz, '2MK' as 2 mK, '1MeV' as 1 meV (factors 1e9 with exit 0): the case-blind
    fallback now refuses where it would change the prefix; harmless case slips still read."""
    from magbell.medium.units import parse_quantity

    with pytest.raises(magbell.InvalidParameterError, match="case-sensitive"):
        parse_quantity(text, kind, "--x")
    assert parse_quantity("2KHz", "frequency") == 2e3 and parse_quantity("40mt", "field") == pytest.approx(0.04)
    assert parse_quantity("2.87ghz", "frequency") == 2.87e9 and parse_quantity("5MHz", "frequency") == 5e6


def test_cli_medium_refuses_a_flipped_prefix_in_one_line():
    import contextlib
    import io

    from magbell.cli import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(["medium", "--model", "film2d", "--thickness", "20nm", "--field", "40mT", "--separation",
                   "50nm:1um:3", "--temperature", "4MK"])
    assert rc == 2 and out.getvalue() == ""
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("magbell: error: --temperature") and "case-sensitive" in lines[0]


# ---------------------------------------------------------------------------------------------
# result labels
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["s", "us", "µs", "ms"])
def test_to_xarray_refuses_a_time_as_the_rate_unit(unit):
    """to_xarray(unit='s') labelled rates 's' and times '1/s' (the unit names the rates)."""
    pytest.importorskip("xarray")
    r = magbell.evolve(magbell.Model(a=1e3, A=999.0), "ud", [0.0, 1e-4])
    with pytest.raises(magbell.InvalidParameterError, match="is a time"):
        r.to_xarray(unit=unit)
    assert r.to_xarray(unit="1/" + unit).attrs["time_unit"] == unit
    assert r.to_xarray(unit="rad/s")["t"].attrs["units"] == "s"


def test_steady_state_to_xarray_labels_the_initial_states():
    """steady_state with several initial states had an unlabelled 'initial' axis (evolve, postselect and
    monitor label it with the names given)."""
    pytest.importorskip("xarray")
    x = magbell.steady_state(magbell.Model(a=1e3, A=1e3), ["ud", "phi+", np.eye(4) / 4]).to_xarray()
    assert list(x.coords["initial"].values) == ["ud", "phi+", "custom"]
    assert x["concurrence"].sel(initial="ud").item() == pytest.approx(0.5, abs=1e-15)


# ---------------------------------------------------------------------------------------------
# trajectories: the mean splitting's phase from the exact absolute time
# ---------------------------------------------------------------------------------------------


def test_trajectory_no_jump_states_keep_the_exact_mean_phase():
    """a = 1e3 /s, Δ = 1.8e10 rad/s, ψ0 = (|↑↑> + |↑↓>)/√2: every no-jump trajectory is the deterministic
    Eq. 13 state (postselect, scheme 'no-jump', exact phases Δt: checked against mpmath in this session to
    1e-15). The trajectory loop rotated by Δ·(t_k − t_{k−1}) per step, each difference rounded: off by
    Δ·ulp(t) = 2.2e-10 at t = 1.2345 ms."""
    m = magbell.Model(a=1e3, A=500 * np.exp(0.3j), delta=200.0, Delta=1.8e10, Jz=100.0)
    psi = np.array([1, 1, 0, 0]) / np.sqrt(2)
    t = np.array([0, 1e-4, 1.2345e-3, 1e-2 + 1e-7])
    tr = magbell.trajectories(m, np.outer(psi, psi), t, n=200, seed=1)
    nj = tr.average("no-jump")
    ps = magbell.postselect(m, np.outer(psi, psi), t, scheme="no-jump", store_states=True)
    assert np.all(nj.count > 0)
    assert np.max(np.abs(nj.rho - ps.states)) < 1e-14


# ---------------------------------------------------------------------------------------------
# CLI: JSON records and values
# ---------------------------------------------------------------------------------------------


def _cli_json(argv):
    import contextlib
    import io
    import json

    from magbell.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    assert rc == 0 and err.getvalue() == "", err.getvalue()
    return json.loads(out.getvalue())


def test_cli_trajectories_params_record_the_model_options():
    """`magbell trajectories --ratio 0.1 ...` lost detailed_balance and A_phase from its JSON params (the
    --max-jumps dict overwrote the model's extras and was listed among the model parameters)."""
    common = ["--a", "1", "--A", "1", "--ratio", "0.1", "--A-phase", "0.5", "--points", "2", "--json"]
    tr = _cli_json(["trajectories", *common, "--n", "10", "--seed", "1", "--max-jumps", "100"])["params"]
    ps = _cli_json(["postselect", *common])["params"]
    assert tr["detailed_balance"] == ps["detailed_balance"] == {"ratio": 0.1, "temperature_K": None, "Delta_GHz": None}
    assert tr["A_phase"] == ps["A_phase"] == 0.5 and tr["A"] == ps["A"]
    assert tr["max_jumps_per_trajectory"] == 100


# ---------------------------------------------------------------------------------------------
# hostile keyword values: one MagbellError line (they raised TypeError/OverflowError)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: magbell.steady_state(magbell.Model(a=1.0, A=0.5), "ud", tol=2**70),
        lambda: magbell.spectrum(magbell.Model(a=1.0, A=0.5), tol=2**70),
        lambda: magbell.dark_states(magbell.Model(a=1.0, A=0.5), tol=2**70),
        lambda: magbell.conserved_quantities(magbell.Model(a=1.0, A=0.5), tol=2**70),
        lambda: magbell.postselect_spectrum(magbell.Model(a=1.0, A=0.5), rtol=10**400),
        lambda: magbell.steady_state(magbell.Model(a=1.0, A=0.5), "ud", measures=None),
        lambda: magbell.steady_state(magbell.Model(a=1.0, A=0.5), "ud", measures=3),
        lambda: magbell.steady_state(magbell.Model(a=1.0, A=0.5), "ud", measures=[["concurrence"]]),
    ],
)
def test_hostile_keywords_one_line(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(magbell.MagbellError) as e:
            call()
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("groups", [None, 3, [["delta"]]])
def test_robustness_groups_not_a_list_one_line(groups):
    from magbell.conditional import robustness

    with pytest.raises(magbell.InvalidParameterError, match="groups|kind"):
        robustness(magbell.Model(a=1.0, A=1.0), groups=groups, n_samples=2, strengths=[0.1])


# ---------------------------------------------------------------------------------------------
# spectrum at and near the exceptional point δ = |A|
# ---------------------------------------------------------------------------------------------


def test_slowest_rate_at_the_exceptional_point_is_exact():
    """δ = |A| (a = 1e3 /s, |A| = 800, arg A = 0.4, Δ = 1.8e10): the |q|=1 Jordan pair at rate a was split by the
    eigensolver and slowest_rate was a(1 − 1.6e-8); the exact rate is a (the |↑↑>-coherences decay at a)."""
    m = magbell.Model(a=1e3, A=800 * np.exp(0.4j), delta=800.0, Delta=1.8e10)
    sp = magbell.spectrum(m)
    assert float(sp.slowest_rate) == pytest.approx(1e3, rel=1e-13)
    assert float(sp.entanglement_rate) == pytest.approx(2e3, rel=1e-13) and sp.regime == "critical"


@pytest.mark.parametrize("eps", [1e-6, 1e-7, 1e-8, 0.0, -1e-8, -1e-12])
def test_entanglement_rate_next_to_the_exceptional_point(eps):
    """δ = |A|(1 − ε), a = 1e3, |A| = 800: the |q|=0 rates are 2a ∓ 2√(|A|² − δ²) and 2a twice (mpmath of the
    block in this session), so entanglement_rate = 2a − 2√(|A|² − δ²) (2a on the PT-exact side). The mean of the
    coalescing cluster was reported wherever its eigenvectors were within 1e-2 of parallel: 1.1e-3 relative
    off at ε = 1e-6, 1.1e-4 at 1e-8."""
    import mpmath

    a, A = 1e3, 800.0
    delta = A * (1 - eps)
    d2 = mpmath.mpf(A) ** 2 - mpmath.mpf(delta) ** 2
    exact = float(2 * a - 2 * mpmath.sqrt(d2)) if d2 > 0 else 2 * a
    sp = magbell.spectrum(magbell.Model(a=a, A=A, delta=delta))
    assert float(sp.entanglement_rate) == pytest.approx(exact, rel=1e-9)
    assert float(sp.slowest_rate) == pytest.approx(a - float(mpmath.sqrt(d2)) if d2 > 0 else a, rel=1e-9)


def test_negativity_of_a_separable_state_is_plus_zero():
    """−Σ min(ev, 0) gave −0.0 (printed "-0.0" in the CLI's JSON and tables) for every separable state."""
    v = magbell.negativity(np.stack([np.eye(4) / 4, magbell.density_matrix("ud")]))
    assert np.all(v == 0) and not np.any(np.signbit(v))


def test_robustness_summary_without_a_postselected_state_warns_nothing():
    """φ+ under scheme='subspace' has P = 0 (no state: NaN fidelities); summary() raised a RuntimeWarning from
    np.quantile on the NaNs. Now NaN statistics, silently, and NaN exponents."""
    from magbell.conditional import robustness

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = robustness(magbell.Model(a=1.0, A=1.0), initial="phi+", scheme="subspace", n_samples=3,
                       strengths=[0.0, 0.1], groups=["delta"])
        s = r.summary()
        ex = r.infidelity_exponent()
    assert np.all(r.success_probability == 0) and np.all(np.isnan(s["delta"]["fidelity"]["q50"]))
    assert np.isnan(ex["delta"])


@pytest.mark.parametrize("rho", [-np.eye(4), np.triu(np.ones((4, 4))), np.diag([1.5, -0.5, 0, 0]), np.zeros((4, 4)) - 1e-3])
def test_measures_refuse_what_is_not_a_state(rho):
    """concurrence(−I), of an upper-triangular matrix, of diag(1.5, −0.5, 0, 0) returned 0 with exit 0."""
    for f in (magbell.concurrence, magbell.negativity, magbell.purity, magbell.bell_fidelities):
        with pytest.raises(magbell.InvalidStateError, match="not a density matrix"):
            f(rho)


def test_cli_medium_in_gap_table_does_not_print_an_undefined_ratio_as_zero(capsys):
    """In the gap at α = 0 (NV at 1.19 GHz below Ω = 1.68 GHz, 60 mT) a = A = 0: the table printed A/a = 0 and
    k·r = 0 (no on-shell k) as numbers."""
    from magbell.cli import main

    rc = main(["medium", "--model", "film2d", "--thickness", "20nm", "--field", "60mT", "--damping", "0",
               "--separation", "50nm,300nm"])
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.strip()[:1].isdigit()]
    assert rc == 0 and len(rows) == 2 and all(r[1] == "n/a" and r[2] == "n/a" and float(r[3]) == 0 for r in rows)


def test_spectrum_repr_names_the_grid_shape():
    """Spectrum and NonHermitianSpectrum keep no model: their repr said shape=None."""
    assert "shape=(2,)" in repr(magbell.spectrum(magbell.Model(a=1.0, A=[0.1, 0.5])))
    assert "shape=(2, 3)" in repr(magbell.postselect_spectrum(magbell.Model(a=1.0, A=[[0.1], [0.5]], delta=[0, 1, 2])))


def test_monitor_period_longer_than_the_run_is_the_unmonitored_run():
    """tau_m > t_max measures only at t = 0: it is the tau_m = inf run. tau_m = 1e6 was refused ('tau_m too long
    for the rates': the period map's substeps were counted though no period completes), and once allowed,
    tau_m = 1e300 returned the initial state at every time (t < 1e-9·tau_m snapped to t = 0; found by HQ/lead)."""
    from magbell.conditional import monitor

    m = magbell.Model(a=2.0, A=1.5)
    t = np.linspace(0, 5, 101)
    ref = monitor(m, "ud", t, tau_m=np.inf)
    for tau in (5.5, 1e6, 1e12, 1e300):
        r = monitor(m, "ud", t, tau_m=tau)
        np.testing.assert_allclose(r.concurrence, ref.concurrence, rtol=0, atol=1e-13)
        np.testing.assert_allclose(r.log_success_probability, ref.log_success_probability, rtol=0, atol=1e-12)
    # a measurement exactly at t_max (up to rounding) is still taken there
    r = monitor(m, "ud", t, tau_m=5.0)
    assert r.success_probability[-1] <= ref.success_probability[-1] + 1e-15
