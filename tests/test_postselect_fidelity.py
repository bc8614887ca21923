"""bell_fidelity of postselected states against a dense reference ⟨B|ρ|B⟩ from the full 4×4 state.

Regression: ``scheme="subspace"`` with dephasing on (the subspace-coordinate path) used conj(ρ12) in the
cross term, so a complex Bell phase gave a wrong fidelity (0.75 for ``Model(a=1, A=1, delta=0.5, d=1e-6)``
from "ud" at t = 10 instead of ≈ 1; 1e-6 for ``A=1j``). The same slip was in the monitor's |q| = 0 path.
"""

import numpy as np
import pytest
from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st
from scipy.linalg import expm

import magbell
from magbell.conditional import postselect

SUB = np.zeros((4, 4))
SUB[1, 1] = SUB[2, 2] = 1.0


def _dense_conditional(model, rho0, t, scheme):
    """Normalised conditional state by a dense 16×16 exponential of the conditional generator built from
    ``Model.hamiltonian()`` and ``Model.jump_operators()``: −i[H, ρ] − Σ_k {J_k†J_k, ρ} + 2 Σ_kept J_k ρ J_k†,
    kept = none for "no-jump", the dephasing jumps J5, J6 for "subspace" (whose ρ0 is first projected onto
    span{|↑↓>, |↓↑>}). Built term by term rather than as (full generator − recycling terms): that difference
    leaves ~eps couplings from the O(1) |↑↑> population into a block of weight 1e-7, a 1e-9 error."""
    H = model.hamiltonian()
    J = model.jump_operators()
    I = np.eye(4)
    K = sum(Jk.conj().T @ Jk for Jk in J)
    L = -1j * (np.kron(H, I) - np.kron(I, H.T)) - (np.kron(K, I) + np.kron(I, K.T))
    if scheme == "subspace":
        for Jk in J[4:]:
            L = L + 2 * np.kron(Jk, Jk.conj())
        rho0 = SUB @ rho0 @ SUB
    rho = (expm(L * t) @ rho0.reshape(16)).reshape(4, 4)
    if scheme == "subspace":
        rho = SUB @ rho @ SUB
    return rho / np.trace(rho).real


def _fidelity(bell, rho):
    return float(np.real(bell.conj() @ rho @ bell))


@pytest.mark.parametrize("kw, expect", [
    (dict(a=1, A=1, delta=0.5, d=1e-6), 1.0),
    (dict(a=1, A=1j, d=1e-6), 1.0),
])
def test_subspace_bell_fidelity_reproducer(kw, expect):
    m = magbell.Model(**kw)
    r = postselect(m, "ud", [10.0], scheme="subspace", measures=["concurrence", "bell_fidelity", "bell_fidelity_max"])
    assert r.bell_fidelity[0] == pytest.approx(expect, abs=1e-5)
    assert r.bell_fidelity[0] <= r.bell_fidelity_max[0] + 1e-12
    ref = _dense_conditional(m, np.diag([0, 1.0, 0, 0]).astype(complex), 10.0, "subspace")
    assert r.bell_fidelity[0] == pytest.approx(_fidelity(r.bell_state, ref), abs=1e-10)


def _rand_model(draw):
    """Random complex model, all terms on; values on a grid so no subnormal or edge-of-PSD draws."""
    def u(lo, hi, n=97):
        return lo + (hi - lo) * draw(st.integers(0, n)) / n

    def ph():
        return np.exp(1j * u(-np.pi, np.pi, 61))
    a1, a2 = u(0.05, 2.0), u(0.05, 2.0)
    A = u(0, 0.99) * np.sqrt(a1 * a2) * ph()
    t1, t2 = u(0, 0.5), u(0, 0.5)
    At = u(0, 0.99) * np.sqrt(t1 * t2) * ph()
    d1, d2 = u(1e-3, 0.5), u(1e-3, 0.5)
    Dd = u(0, 0.99) * np.sqrt(d1 * d2) * ph()
    return magbell.Model(a=a1, a2=a2, A=A, a_tilde=t1, a_tilde2=t2, A_tilde=At, d=d1, d2=d2, D_deph=Dd,
                         delta=u(-1.5, 1.5), Delta=u(-2, 2), Jz=u(-1, 1), Jperp=u(-1, 1), D_dm=u(-1, 1))


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), scheme=st.sampled_from(["subspace", "no-jump"]),
       init=st.sampled_from(["ud", "du", "psi+", "psi-", "mixed"]))
def test_bell_fidelity_matches_dense_reference(data, scheme, init):
    m = _rand_model(data.draw)
    rho0 = np.eye(4, dtype=complex) / 4 if init == "mixed" else magbell.density_matrix(init)
    times = [0.3, 1.7, 6.0]
    r = postselect(m, rho0, times, scheme=scheme, measures=["bell_fidelity", "bell_fidelity_max", "concurrence"],
                   store_states=True)
    for k, t in enumerate(times):
        ref = _dense_conditional(m, rho0, t, scheme)
        f_ref = _fidelity(r.bell_state, ref)
        assert abs(r.bell_fidelity[k] - f_ref) <= 1e-9, (k, r.bell_fidelity[k], f_ref)
        assert abs(_fidelity(r.bell_state, r.states[k]) - f_ref) <= 1e-9
        assert r.bell_fidelity[k] <= r.bell_fidelity_max[k] + 1e-12


@settings(max_examples=10, deadline=None, derandomize=True)
@given(data=st.data())
def test_monitor_bell_fidelity_matches_states(data):
    """The monitor's |q| = 0 measure path against ⟨B|ρ|B⟩ of its own stored (independently assembled) states."""
    m = _rand_model(data.draw)
    r = magbell.monitor(m, "psi+", [0.5, 2.0], 0.1, kind="periodic",
                        measures=["bell_fidelity", "concurrence"], store_states=True)
    for k in range(2):
        assert abs(r.bell_fidelity[k] - _fidelity(r.bell_state, r.states[k])) <= 1e-9
