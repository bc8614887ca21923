"""The rounding floor of the two-qubit postselection and monitor (issue 10 §6, HX2).

Reproducer: ``postselect(Model(a=1, A=1), "triplet0", [0, 10, 100, 1000])`` returned log P =
[−2.2e−16, −40, −114.37, −114.37] for both schemes; exact: [0, −40, −400, −4000] (the triplet decays at
2(a + |A|) = 4, the dark singlet is not occupied, but every renormalised substep leaves ~eps in it and the dark
mode keeps that weight). Now: times whose P is within 1e8 of that floor are refused in one line
(:func:`magbell.solvers._march.check_floor`, shared with the N-site solvers), and log P(0) is exactly log P(0).

Reference: the conditional generator at 40 + 0.9·‖H_eff‖·t digits in mpmath (``mpmath.expm``), built from
tests/systems.py (no magbell code): for "no-jump" P = tr(U ρ0 U†), U = exp(−iH_eff t); for "subspace" the
subspace block (ρ11, ρ12, ρ21, ρ22) of the reference Liouvillian (every σ± jump lands outside the subspace, so
that block is −i(H_eff ρ − ρ H_eff†) + the dephasing jumps), applied to Π0ρ0Π0. A returned log P must agree to
1e−8·max(1, |log P|), or the call must be refused.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import systems as S
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from magbell import InvalidParameterError, Model
from magbell.solvers._monitor import monitor
from magbell.solvers._postselect import postselect

NAMED = ("ud", "du", "triplet0", "singlet", "uu", "dd", "phi+", "psi-")
SUB = [5, 6, 9, 10]  # row-major indices of ρ11, ρ12, ρ21, ρ22


def _heff(params):
    H = S.hamiltonian(**{k: params[k] for k in S._HAM_KEYS if k in params})
    h = S.h_matrix(**{k: params[k] for k in S._H_KEYS if k in params})
    return H - 1j * sum(h[n, m] * S.dag(S.OPS[m]) @ S.OPS[n] for n in range(6) for m in range(6))


def reference_logP(params, rho0, scheme, times):
    """log P(t) from the 4×4 conditional generator in mpmath (module docstring)."""
    if scheme == "no-jump":
        G = -1j * _heff(params)
        x0 = rho0
    else:
        G = S.reference_liouvillian(**params)[np.ix_(SUB, SUB)]
        x0 = rho0[np.ix_([1, 2], [1, 2])].reshape(4)
    nrm = float(np.abs(G).sum(axis=0).max())
    out = []
    for t in times:
        with mpmath.workdps(40 + int(0.9 * 2 * nrm * t)):
            Gm = mpmath.matrix([[mpmath.mpc(complex(v)) for v in row] for row in G])
            U = mpmath.expm(Gm * mpmath.mpf(float(t)))
            if scheme == "no-jump":
                R = mpmath.matrix([[mpmath.mpc(complex(v)) for v in row] for row in x0])
                P = sum((U * R * U.H)[i, i] for i in range(4)).real
            else:
                y = U * mpmath.matrix([mpmath.mpc(complex(v)) for v in x0])
                P = (y[0] + y[3]).real
            out.append(float(mpmath.log(P)) if P > 0 else -math.inf)
    return np.array(out)


def test_reproducer_is_refused_and_short_times_exact():
    m = Model(a=1, A=1)
    for scheme in ("no-jump", "subspace"):
        with pytest.raises(InvalidParameterError, match=r"from t = 100 on .*float64 rounding") as e:
            postselect(m, "triplet0", [0, 10, 100, 1000], scheme=scheme)
        assert "\n" not in str(e.value)
        lp = postselect(m, "triplet0", [0, 1, 5, 10], scheme=scheme).log_success_probability
        assert lp[0] == 0.0  # exactly (was −2.2e−16)
        assert np.allclose(lp, [0, -4, -20, -40], rtol=1e-9, atol=0)


def test_log_p_at_zero_is_exact():
    m = Model(a=1, A=0.5, delta=0.3, d=0.1)
    r = postselect(m, list(NAMED), [0.0, 1.0])
    assert np.all(r.log_success_probability[:, 0] == 0.0) and np.all(r.success_probability[:, 0] == 1.0)
    r = postselect(m, ["ud", "triplet0", "phi+", "uu"], [0.0, 1.0], scheme="subspace")
    assert r.log_success_probability[:2, 0].tolist() == [0.0, 0.0]
    assert np.all(np.isneginf(r.log_success_probability[2:]))  # nothing inside the subspace: P = 0


def test_batch_refusal_names_the_point():
    m = Model(a=1, A=1, delta=np.array([0.5, 0.0]))  # δ mixes the triplet into the slow mode at point 0 only
    with pytest.raises(InvalidParameterError, match=r"at model index \(1,\)"):
        postselect(m, "triplet0", [0, 100])


@pytest.mark.parametrize("kind", ["periodic", "continuous"])
@pytest.mark.parametrize("readout", [True, False])
def test_monitor_reproducer(kind, readout):
    """monitor returned log P = −20.0000007 at t = 5 (C = 1.0000015 > 1) and −inf at t = 10 (exact: −4t, the
    periodic scheme with readout is Eq. 13 exactly at zero temperature); now refused from t = 5."""
    m = Model(a=1, A=1)
    with pytest.raises(InvalidParameterError, match=r"monitor: from t = 5 on"):
        monitor(m, "triplet0", [0, 1, 5, 10], 0.01, kind=kind, readout=readout)
    r = monitor(m, "triplet0", [0, 1, 2], 0.01, kind=kind, readout=readout)
    assert r.log_success_probability[0] == 0.0
    if kind == "periodic" or readout:
        assert np.allclose(r.log_success_probability, [0, -4, -8], rtol=1e-9, atol=0)


_u = st.floats(0.0, 1.0, allow_subnormal=False)


def _f(lo, hi):
    return st.floats(lo, hi, allow_subnormal=False)


@st.composite
def cases(draw):
    a = draw(_f(0.2, 2.0))
    ratio = draw(st.one_of(st.just(1.0), _u))
    phase = draw(st.one_of(st.just(0.0), _f(-math.pi, math.pi)))
    params = dict(a=a, A=a * ratio * complex(math.cos(phase), math.sin(phase)))
    for k, lo, hi in (("delta", -2, 2), ("Jz", -1, 1), ("Jperp", -1, 1), ("D_dm", -1, 1), ("Delta", -3, 3)):
        params[k] = draw(st.one_of(st.just(0.0), _f(lo, hi)))
    at = draw(st.one_of(st.just(0.0), _f(0.0, 0.5)))
    params.update(a_tilde=at, A_tilde=at * draw(_u))
    params["d"] = draw(st.one_of(st.just(0.0), _f(0.0, 0.5)))
    scheme = draw(st.sampled_from(["no-jump", "subspace"]))
    seed = draw(st.integers(0, 2**31 - 1))
    initial = draw(st.sampled_from(NAMED + ("ket", "mixed")))
    span = draw(_f(1.0, 120.0))  # ‖H_eff‖₁·t_max
    return params, scheme, initial, seed, span


@settings(max_examples=20, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
@example((dict(a=1.0, A=1.0), "no-jump", "triplet0", 0, 100.0))
@example((dict(a=1.0, A=1.0), "subspace", "triplet0", 0, 100.0))
@example((dict(a=1.0, A=1.0, d=0.2), "subspace", "triplet0", 0, 100.0))
def test_log_p_agrees_with_mpmath_or_is_refused(case):
    params, scheme, initial, seed, span = case
    rng = np.random.default_rng(seed)
    if initial == "ket":
        rho0 = S.proj(S.random_ket(rng))
    elif initial == "mixed":
        rho0 = S.random_density_matrix(rng, rank=2)
    else:
        rho0 = S.rho_of(initial)
    model = Model(**params)
    nrm = float(np.abs(_heff(params)).sum(axis=0).max())
    times = span / nrm * np.array([0.0, 0.01, 0.1, 0.5, 1.0])
    try:
        r = postselect(model, rho0, times, scheme=scheme, measures=["concurrence"])
    except InvalidParameterError as e:
        assert "\n" not in str(e)
        return
    lp = r.log_success_probability
    ref = reference_logP(params, rho0, scheme, times)
    assert not np.any(np.isnan(lp))
    assert np.array_equal(np.isneginf(lp), np.isneginf(ref))
    fin = np.isfinite(ref)
    err = np.abs(lp[fin] - ref[fin]) / np.maximum(1.0, np.abs(ref[fin]))
    assert np.all(err <= 1e-8), (lp, ref)


def test_cli_reproducer_is_one_line(capsys):
    from magbell import cli

    try:
        rc = cli.main(["postselect", "--a", "1", "--A", "1", "--initial", "triplet0", "--t-max", "1000",
                       "--points", "4"])
    except SystemExit as e:
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("magbell: error: postselect: from t = 333.333 on")
    assert err.count("\n") <= 1 and "Traceback" not in err


@settings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(cases())
@example((dict(a=1.0, A=1.0), "subspace", "triplet0", 0, 20.0))
def test_monitor_at_zero_temperature_agrees_with_eq13_or_is_refused(case):
    """Periodic monitoring with readout at zero temperature is Eq. (13) ("subspace") exactly for every τ_m
    (docs/postselection.md §4); its log P, where returned, equals the mpmath-checked subspace postselection."""
    params, _, initial, seed, span = case
    params = dict(params, a_tilde=0.0, A_tilde=0.0)
    rho0 = S.rho_of(initial) if initial in NAMED else S.proj(S.random_ket(np.random.default_rng(seed)))
    model = Model(**params)
    nrm = float(np.abs(_heff(params)).sum(axis=0).max())
    times = span / nrm * np.array([0.0, 0.1, 0.5, 1.0])
    try:
        r = monitor(model, rho0, times, times[-1] / 64, measures=["concurrence"])
    except InvalidParameterError as e:
        assert "\n" not in str(e)
        return
    ref = reference_logP(params, rho0, "subspace", times)
    lp = r.log_success_probability
    assert not np.any(np.isnan(lp)) and np.array_equal(np.isneginf(lp), np.isneginf(ref))
    fin = np.isfinite(ref)
    assert np.all(np.abs(lp[fin] - ref[fin]) <= 1e-8 * np.maximum(1.0, np.abs(ref[fin]))), (lp, ref)
