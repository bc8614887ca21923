"""magbell.monitor: finite-rate monitoring of |σ1z + σ2z| (the paper's Discussion).

Checks: convergence to the infinite-rate limit (postselect, scheme="subspace") with a measured order of 1 (a
convergence-order test in the style of diffrax's); exactness for every τ_m at zero temperature (derived in
docs/postselection.md); the crossover to the unmonitored Lindblad dynamics (magbell.evolve) for τ_m → ∞; long
times; the dephasing case; shapes and bad input.

Tolerances: all maps are exact propagators (Padé, no ODE tolerance), so identities hold to ~1e-14 (ATOL 1e-12;
1e-11 where ~10³ periods are composed). The order test fits log(error) against log(τ_m) over τ_m = 2^-6…2^-10;
the leading error is c·τ_m with a next term O(τ_m²) that is < 2% of it there, so the fitted slope must lie
within ±0.05 of 1.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import magbell
import magbell.paper.closed_forms_postselect as cf
from magbell import InvalidParameterError, Model
from magbell.solvers._monitor import convergence_order, monitor, monitor_sweep
from magbell.solvers._postselect import postselect

ATOL = 1e-12
PI0 = np.diag([0.0, 1.0, 1.0, 0.0])
FINITE_T = Model(a=2.0, A=1.5, a_tilde=0.5, A_tilde=0.3, delta=0.4)


@pytest.mark.parametrize("kind", ["periodic", "continuous"])
def test_converges_to_the_non_hermitian_scheme_with_order_one(kind):
    t = [0.5, 1.0]
    exact = postselect(FINITE_T, "ud", t, scheme="subspace", store_states=True)
    taus = 2.0 ** -np.arange(6, 11)
    errs = []
    for tau in taus:
        r = monitor(FINITE_T, "ud", t, tau, kind=kind, store_states=True)
        errs.append(np.max(np.abs(r.states - exact.states)))
        assert np.max(np.abs(r.log_success_probability - exact.log_success_probability)) < 2 * np.max(np.abs(r.states - exact.states)) + 0.1
    order = convergence_order(taus, errs)
    assert abs(order - 1) < 0.05, (order, errs)
    assert errs[-1] < 2e-3
    # halving τ_m halves the error (error ratio → 2^order)
    assert errs[-2] / errs[-1] == pytest.approx(2.0, rel=0.02)


def test_zero_temperature_is_exact_for_every_tau_m():
    """At T = 0 nothing returns to the subspace once it left: the readout at t already postselects the no-jump
    record, so any τ_m (even a single final measurement) gives Eq. (13) exactly."""
    m = Model(a=2.0, A=1.5, delta=0.4, Jperp=0.1)
    t = np.linspace(0, 3, 7)
    exact = postselect(m, "ud", t, store_states=True)
    for tau in (0.01, 0.37, 5.0, np.inf):
        for kind in ("periodic", "continuous"):
            r = monitor(m, "ud", t, tau, kind=kind, store_states=True)
            assert np.max(np.abs(r.states - exact.states)) < 1e-11
            assert np.max(np.abs(r.log_success_probability - exact.log_success_probability)) < 1e-11


def test_crossover_to_unmonitored_dynamics():
    """No readout and τ_m > t: only the measurement at t = 0 — the Lindblad evolution of Π0ρ0Π0/tr."""
    t = np.linspace(0, 3, 7)
    psi = np.array([0.6, 0.8j, 0.0, 0.0])  # partly outside the subspace
    rho0 = np.outer(psi, psi.conj())
    p0 = 0.64
    r = monitor(FINITE_T, rho0, t, np.inf, readout=False, store_states=True)
    ev = magbell.evolve(FINITE_T, PI0 @ rho0 @ PI0 / p0, t, store_states=True)
    assert np.max(np.abs(r.states - ev.states)) < ATOL
    assert np.max(np.abs(r.success_probability - p0)) < ATOL
    # with readout: one final postselection of the Lindblad state
    rr = monitor(FINITE_T, rho0, t, np.inf, store_states=True)
    proj = np.einsum("ij,tjk,kl->til", PI0, ev.states, PI0)
    tr = np.real(np.trace(proj, axis1=1, axis2=2))
    assert np.max(np.abs(rr.states - proj / tr[:, None, None])) < ATOL
    assert np.max(np.abs(rr.success_probability - p0 * tr)) < ATOL
    # the monitored entanglement lies between the two limits (Discussion): larger τ_m, less entanglement
    cs = [monitor(FINITE_T, "ud", [3.0], tau).concurrence[0] for tau in (1e-3, 0.1, 1.0, np.inf)]
    assert np.all(np.diff(cs) < 0)
    assert cs[0] == pytest.approx(postselect(FINITE_T, "ud", [3.0], scheme="subspace").concurrence[0], abs=2e-3)


def test_between_measurements():
    """readout=False at a time inside a period = Lindblad evolution from the last postselected state."""
    tau = 0.25
    r = monitor(FINITE_T, "ud", [0.5, 0.6], tau, readout=False, store_states=True)
    at_half = monitor(FINITE_T, "ud", [0.5], tau, store_states=True).states[0]
    ev = magbell.evolve(FINITE_T, at_half, [0.1], store_states=True).states[0]
    assert np.max(np.abs(r.states[1] - ev)) < ATOL
    assert np.max(np.abs(r.states[0] - at_half)) < ATOL  # at a measurement instant both agree


def test_long_times_and_success_probability():
    m0 = Model(a=2.0, A=1.5, delta=0.4)
    t = np.array([1e3, 2e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = monitor(m0, "ud", t, np.inf)
        rp = monitor(FINITE_T, "ud", [0.0, 1.0, 2.0, 2e3], 0.05)
    # P underflows to 0 but log P is exact (the subspace part is kept on its own scale)
    lp = cf.log_success_probability_ud(t, 2.0, 0.0, 1.5, 0.4)
    assert np.max(np.abs(r.log_success_probability - lp) / np.abs(lp)) < 1e-10
    assert np.all(r.success_probability == 0) and np.all(r.concurrence == pytest.approx(1.0, abs=1e-12))
    assert np.all(np.isfinite(rp.concurrence)) and np.all(np.isfinite(rp.log_success_probability))
    assert np.all(np.diff(rp.log_success_probability) < 0)


def test_dephasing_limit_is_the_subspace_scheme():
    m = Model(a=2.0, A=1.5, d=0.3, delta=0.2)
    r = monitor(m, "ud", [1.0], 2.0**-12, store_states=True)
    sub = postselect(m, "ud", [1.0], scheme="subspace", store_states=True)
    nj = postselect(m, "ud", [1.0], store_states=True)
    # at T = 0 still exact (dephasing keeps the state in the subspace; nothing returns)
    assert np.max(np.abs(r.states - sub.states)) < 1e-11
    assert np.max(np.abs(r.states - nj.states)) > 0.1


def test_shapes_and_sweep():
    m = Model(a=1.0, A=np.array([0.5, 1.0]), a_tilde=0.2, delta=0.3)
    r = monitor(m, ["ud", "singlet"], np.linspace(0, 1, 4), 0.1, measures=["concurrence", "populations", "negativity"])
    assert r.concurrence.shape == (2, 2, 4) and r.populations.shape == (2, 2, 4, 4) and r.negativity.shape == (2, 2, 4)
    assert r.tau_m == 0.1 and r.kind == "periodic" and r.readout
    one = monitor(m[1], "singlet", np.linspace(0, 1, 4), 0.1, measures=["concurrence"])
    assert np.max(np.abs(one.concurrence - r.concurrence[1, 1])) < 1e-14
    sw = monitor_sweep(FINITE_T, "ud", 1.0, [0.1, 0.01, 0.001])
    assert sw["concurrence"].shape == (3,)
    assert np.all(np.diff(np.abs(sw["concurrence"] - sw["limit"]["concurrence"])) < 0)
    assert sw["single_readout"]["concurrence"] < sw["concurrence"][0]


def test_outside_state_and_bad_input():
    none = monitor(FINITE_T, "uu", [0.0, 1.0], 0.1)
    assert np.all(none.success_probability == 0) and np.all(np.isnan(none.concurrence))
    m = Model(a=1.0, A=0.5)
    with pytest.raises(InvalidParameterError, match="tau_m"):
        monitor(m, "ud", [1.0], 0.0)
    with pytest.raises(InvalidParameterError, match="tau_m"):
        monitor(m, "ud", [1.0], "fast")
    with pytest.raises(InvalidParameterError, match="kind"):
        monitor(m, "ud", [1.0], 0.1, kind="weak")
    with pytest.raises(InvalidParameterError, match="readout"):
        monitor(m, "ud", [1.0], 0.1, readout="yes")
    with pytest.raises(InvalidParameterError, match="measurement periods"):
        monitor(m, "ud", [1e12], 1e-9)
