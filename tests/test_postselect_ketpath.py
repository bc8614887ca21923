"""The pure one-excitation ket path of postselect (issue 10 §6, HP2: solvers/_ket_path.py).

Pure initial kets c1|↑↓> + c2|↓↑> on a uniform grid with ‖G‖₁·t_max ≤ 150 are propagated as 2×2 kets with the
measures fused per block of points; everything else keeps the general engine. Reference: the general engine
itself (routing switched off), which is checked against mpmath and the closed forms elsewhere
(test_postselect_floor.py, test_closed_forms_postselect.py). Required agreement: 1e-12 in C (and the other
measures), 1e-10·max(1, |log P|) in log P; where the general engine refuses (rounding floor, domain), the ket
path refuses too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import magbell.solvers._postselect as ps
from magbell import InvalidParameterError, Model

MEAS = ["concurrence", "populations", "bell_fidelity", "bell_fidelity_max", "purity"]


def _general(monkeypatch, *args, **kw):
    with monkeypatch.context() as m:
        m.setattr(ps, "ket_path_applies", lambda *a, **k: False)
        return ps.postselect(*args, **kw)


def _outcome(fn):
    try:
        return fn(), None
    except InvalidParameterError as e:
        return None, str(e)


def _compare(r_fast, r_ref):
    lp, lp0 = r_fast.log_success_probability, r_ref.log_success_probability
    assert np.all(np.abs(lp - lp0) <= 1e-10 * np.maximum(1.0, np.abs(lp0)))
    for k, v in r_ref.measures.items():
        np.testing.assert_allclose(r_fast.measures[k], v, rtol=0, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(r_fast.success_probability, r_ref.success_probability, rtol=1e-10, atol=0)


def _is_fast(r) -> bool:
    return r.method.startswith("pure one-excitation kets")


finite = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    a=st.floats(0.1, 3.0, **finite),
    r=st.floats(0.0, 1.0, **finite),
    phi=st.floats(-np.pi, np.pi, **finite),
    ep=st.booleans(),
    delta=st.floats(-3.0, 3.0, **finite),
    Delta=st.sampled_from([0.0, 2.5, 1e10]),
    Jz=st.floats(-1.0, 1.0, **finite),
    Jperp=st.floats(-1.0, 1.0, **finite),
    d=st.sampled_from([0.0, 0.3]),
    at=st.sampled_from([0.0, 0.4]),
    c=st.tuples(st.floats(0, np.pi / 2, **finite), st.floats(-np.pi, np.pi, **finite)),
    t_max=st.sampled_from([0.5, 5.0, 40.0, 300.0]),
    t0=st.sampled_from([0.0, 0.25]),
    scheme=st.sampled_from(["no-jump", "subspace"]),
    unit=st.sampled_from([1.0, 1e6]),
)
@example(a=1.0, r=1.0, phi=0.0, ep=True, delta=0.0, Delta=0.0, Jz=0.0, Jperp=0.0, d=0.0, at=0.0,
         c=(0.0, 0.0), t_max=5.0, t0=0.0, scheme="no-jump", unit=1.0)
def test_ket_path_equals_general_engine(monkeypatch, a, r, phi, ep, delta, Delta, Jz, Jperp, d, at, c, t_max, t0,
                                        scheme, unit):
    A = a * r * np.exp(1j * phi)
    if ep:
        delta = abs(A)  # the exceptional point δ = |A|
    u = unit  # SI-like scales: rates 1e6 /s, Δ 1e10·1e6 rad/s, times µs
    m = Model(a=a * u, A=A * u, delta=delta * u, Delta=Delta * u, Jz=Jz * u, Jperp=Jperp * u, d=d * u,
              a_tilde=at * u)
    psi = np.array([0, np.cos(c[0]), np.sin(c[0]) * np.exp(1j * c[1]), 0])  # any ket of the block, up to phase
    times = np.linspace(t0, t0 + t_max, 37) / u
    fast, e_fast = _outcome(lambda: ps.postselect(m, psi, times, scheme=scheme, measures=MEAS))
    ref, e_ref = _outcome(lambda: _general(monkeypatch, m, psi, times, scheme=scheme, measures=MEAS))
    assert (e_fast is None) == (e_ref is None), (e_fast, e_ref)
    event("refused" if e_fast is not None else ("ket path" if _is_fast(fast) else "general engine"))
    if e_fast is not None:
        return
    _compare(fast, ref)
    nrm = np.abs(-1j * ps.non_hermitian_hamiltonian(m)[1:3, 1:3]).sum(axis=0).max()
    assert _is_fast(fast) == (nrm * times[-1] <= 150 and (scheme == "no-jump" or d == 0))


def test_grid_several_states_equal_general_engine(monkeypatch):
    """A grid with complex A (the exceptional line included), several initial kets, Δ ≠ 0."""
    A = np.linspace(0, 1, 7)[None, :] * np.exp(0.7j)
    m = Model(a=1.0, A=A, delta=np.linspace(0, 1, 7)[:, None], Delta=3.0, D_dm=0.2)
    inits = ["ud", "du", "singlet", "triplet0", np.array([0, 0.6, 0.8j, 0])]
    times = np.linspace(0, 6, 101)
    fast = ps.postselect(m, inits, times, measures=MEAS)
    assert _is_fast(fast)
    _compare(fast, _general(monkeypatch, m, inits, times, measures=MEAS))
    assert fast.success_probability[..., 0].tolist() == np.ones((7, 7, 5)).tolist()  # P(0) exactly 1


def test_benchmark_grid_bit_identical_and_closed_form(monkeypatch):
    """The benchmark workload (smaller): the ket path reproduces the general engine and the closed form."""
    from magbell.paper import closed_forms_postselect as cf

    delta, A = np.linspace(0, 3, 20)[:, None], np.linspace(0, 1, 20)[None, :]
    m = Model(a=1.0, A=A, delta=delta)
    times = np.linspace(0, 5, 300)
    fast = ps.postselect(m, "ud", times, measures=["concurrence"])
    assert _is_fast(fast)
    _compare(fast, _general(monkeypatch, m, "ud", times, measures=["concurrence"]))
    C = cf.concurrence_ud(times, A[..., None], delta[..., None])
    lp = cf.log_success_probability_ud(times, 1.0, 0.0, A[..., None], delta[..., None])
    assert np.max(np.abs(fast.concurrence - C)) < 1e-12
    assert np.max(np.abs(fast.log_success_probability - lp)) < 1e-11


@pytest.mark.parametrize("case", ["phi+", "mixed", "nonuniform", "store", "negativity", "dephasing", "long"])
def test_routing_only_where_exact(case):
    m, init, times, kw = Model(a=1.0, A=0.5, delta=0.2), "ud", np.linspace(0, 5, 50), {}
    if case == "phi+":
        init = "phi+"
    elif case == "mixed":
        init = np.diag([0, 0.5, 0.5, 0]).astype(complex)
    elif case == "nonuniform":
        times = np.array([0.0, 0.1, 0.5, 2.0])
    elif case == "store":
        kw = dict(store_states=True)
    elif case == "negativity":
        kw = dict(measures=["negativity"])
    elif case == "dephasing":
        m, kw = Model(a=1.0, A=0.5, delta=0.2, d=0.3), dict(scheme="subspace")
    else:
        times = np.linspace(0, 200, 50)  # ‖G‖₁·t_max = 300 > 150: scaled substeps
    assert not _is_fast(ps.postselect(m, init, times, **kw))


def test_floor_refusal_kept_on_the_ket_path(monkeypatch):
    """Model(a=1, A=1) from the triplet: exact log P = −4t, the dark singlet keeps the rounding (~eps² in P).
    ‖G‖₁·t_max = 2·20 ≤ 150, so the ket path runs; check_floor must refuse from t ≈ 11 on (one line)."""
    calls = []
    orig = ps.ket_path
    monkeypatch.setattr(ps, "ket_path", lambda *a, **k: (calls.append(1), orig(*a, **k))[1])
    with pytest.raises(InvalidParameterError, match=r"rounding") as e:
        ps.postselect(Model(a=1.0, A=1.0), "triplet0", np.linspace(0, 20, 41))
    assert calls and "\n" not in str(e.value)
    r = ps.postselect(Model(a=1.0, A=1.0), "triplet0", np.linspace(0, 8, 41))  # above the floor: exact
    assert _is_fast(r)
    np.testing.assert_allclose(r.log_success_probability, -4 * np.linspace(0, 8, 41), rtol=1e-11, atol=1e-14)


def test_deep_decay_is_screened_not_refused(monkeypatch):
    """log P far below the floor's level but explained by the slow rate itself (a = 1, A = 0 from |↑↓>: log P = −2t):
    the in-block screen (min log P) selects the rows, the exact per-time check of check_floor passes them."""
    m, times = Model(a=1.0, A=0.0, delta=0.4), np.linspace(0, 60, 61)
    r = ps.postselect(m, "ud", times, measures=["concurrence"])
    assert _is_fast(r) and r.log_success_probability.min() < -100
    np.testing.assert_allclose(r.log_success_probability, -2 * times, rtol=1e-13, atol=1e-14)
    _compare(r, _general(monkeypatch, m, "ud", times, measures=["concurrence"]))


def test_chunks_agree():
    """The ket path works chunk by chunk (bounded scratch on big grids): any chunk size gives the same numbers (to
    rounding: the Padé degree of the backend's expm follows the largest norm of the batch, as on the general path)."""
    m = Model(a=1.0, A=np.linspace(0, 1, 6)[None, :] * 1j, delta=np.linspace(0, 2, 5)[:, None])
    times = np.linspace(0, 4, 50)
    r = ps.postselect(m, ["ud", "singlet"], times, measures=MEAS)
    r7 = ps.postselect(m, ["ud", "singlet"], times, measures=MEAS, chunk_points=7)
    assert _is_fast(r) and _is_fast(r7)
    for k in MEAS:
        np.testing.assert_allclose(r7.measures[k], r.measures[k], rtol=0, atol=1e-13)
    np.testing.assert_allclose(r7.log_success_probability, r.log_success_probability, rtol=0, atol=1e-13)
