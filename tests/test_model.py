"""magbell.Model: validation, detailed balance, h matrix (Eq. 4), jump operators (Eq. 5), H (Eq. 1, S38),
Liouvillian, QuTiP export, indexing.

The reference matrices come from tests/systems.py, built from Pauli matrices and the paper's formulas
without magbell. Matrix comparisons are exact up to rounding of O(1) entries: atol 1e-14.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import qutip
import systems as S
from scipy.optimize import linear_sum_assignment

from magbell import InvalidParameterError, Model

ATOL = 1e-14

# =============================================================================================
# Validation
# =============================================================================================


@pytest.mark.parametrize(
    "params, pattern",
    [
        (dict(a=1.0, A=1.5), r"a >= \|A\| violated.*a=1, \|A\|=1\.5"),
        (dict(a=1.0, A=0.6 + 0.9j), r"a >= \|A\| violated"),
        (dict(a=1.0, A=1.0 * (1 + 1e-12)), r"a >= \|A\| violated"),
        (dict(a=1.0, a_tilde=0.1, A_tilde=0.2j), r"a_tilde >= \|A_tilde\| violated.*a_tilde=0\.1, \|A_tilde\|=0\.2"),
        (dict(a=1.0, d=0.1, D_deph=-0.3), r"d >= \|D_deph\| violated.*d=0\.1, \|D_deph\|=0\.3"),
        (dict(a=0.0, A=1e-300), r"a >= \|A\| violated"),
    ],
)
def test_psd_bounds(params, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        Model(**params)


@pytest.mark.parametrize(
    "params, pattern",
    [
        (dict(a=1.0, a2=0.25, A=0.6), r"a\*a2 >= \|A\|\^2 violated.*a=1, a2=0\.25, \|A\|=0\.6"),
        (dict(a=0.25, a2=1.0, A=0.6j), r"a\*a2 >= \|A\|\^2 violated"),
        (dict(a=1.0, a_tilde=0.5, a_tilde2=0.02, A_tilde=0.2), r"a_tilde\*a_tilde2 >= \|A_tilde\|\^2 violated"),
        (dict(a=1.0, d=0.5, d2=0.5, D_deph=0.6), r"d\*d2 >= \|D_deph\|\^2 violated"),
    ],
)
def test_inhomogeneous_psd_bounds(params, pattern):
    """With unequal local rates the 2x2 blocks are PSD iff a1 a2 >= |A|^2 (and a1, a2 >= 0)."""
    with pytest.raises(InvalidParameterError, match=pattern):
        Model(**params)


def test_inhomogeneous_bound_is_the_geometric_mean():
    """a1 a2 >= |A|^2 is weaker than min(a1, a2) >= |A|: |A| = 0.5 between 0.25 and sqrt(0.25 * 1.0) is valid."""
    m = Model(a=0.25, a2=1.0, A=0.5)
    assert np.min(np.linalg.eigvalsh(m.h_matrix())) >= -1e-15


@pytest.mark.parametrize("name", ["a", "a_tilde", "d", "a2", "a_tilde2", "d2"])
def test_negative_rates(name):
    params = dict(a=1.0)
    params[name] = -0.1
    with pytest.raises(InvalidParameterError, match=rf"^{name} is a rate and must be >= 0.*{name}=-0\.1"):
        Model(**params)


ALL_FIELDS = [
    "a",
    "delta",
    "Delta",
    "A",
    "a_tilde",
    "A_tilde",
    "d",
    "D_deph",
    "Jz",
    "Jperp",
    "D_dm",
    "a2",
    "a_tilde2",
    "d2",
]
REAL_FIELDS = [f for f in ALL_FIELDS if f not in ("A", "A_tilde", "D_deph")]


@pytest.mark.parametrize("name", ALL_FIELDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite(name, bad):
    params = dict(a=1.0)
    params[name] = bad
    with pytest.raises(InvalidParameterError, match=rf"^{name} must be finite \(no NaN or inf\)"):
        Model(**params)


@pytest.mark.parametrize("name", ALL_FIELDS)
def test_non_finite_in_grid(name):
    params = dict(a=np.ones(5))
    params[name] = np.array([0.1, np.nan, 0.2, np.inf, 0.0])
    with pytest.raises(InvalidParameterError, match=rf"^{name} must be finite.*2 of 5 grid points; index \(1,\)"):
        Model(**params)


@pytest.mark.parametrize("name", REAL_FIELDS)
def test_complex_where_real_required(name):
    params = dict(a=1.0)
    params[name] = 0.5 + 0.1j
    with pytest.raises(InvalidParameterError, match=rf"^{name} must be real, but has a non-zero imaginary part"):
        Model(**params)


@pytest.mark.parametrize("name", REAL_FIELDS)
def test_complex_with_zero_imaginary_part_is_accepted(name):
    params = dict(a=1.0)
    params[name] = 0.5 + 0j
    m = Model(**params)
    assert not np.iscomplexobj(getattr(m, name)) and getattr(m, name) == 0.5


@pytest.mark.parametrize("name", ALL_FIELDS)
@pytest.mark.parametrize("bad", ["x", [1.0, "y"], object()])
def test_non_numeric(name, bad):
    params = dict(a=1.0)
    params[name] = bad
    with pytest.raises(InvalidParameterError, match=rf"^{name} must be a number or an array of numbers"):
        Model(**params)


@pytest.mark.parametrize(
    "name", ["a", "delta", "Delta", "A", "a_tilde", "A_tilde", "d", "D_deph", "Jz", "Jperp", "D_dm"]
)
def test_none_for_required_parameter_is_rejected(name):
    """Regression (was a bug in Model.__init__): None used to be accepted for every field, not only the
    optional a2, a_tilde2, d2; ``Model(a=1.0, Jz=None)`` stored Jz = None, coefficients() made it NaN and
    evolve failed with "ValueError: cannot convert float NaN to integer"; a=None / A=None gave TypeError."""
    params = dict(a=1.0)
    params[name] = None
    with pytest.raises(InvalidParameterError, match=name):
        Model(**params)


def test_non_broadcastable_shapes():
    with pytest.raises(InvalidParameterError, match=r"do not broadcast together: shapes .*'a': \(2,\).*'A': \(3,\)"):
        Model(a=[1.0, 2.0], A=[0.1, 0.2, 0.3])


def test_grid_errors_report_count_and_points():
    with pytest.raises(InvalidParameterError) as err:
        Model(a=1.0, A=[0.5, 1.5, 2.0, 0.2])
    msg = str(err.value)
    assert "a >= |A|" in msg and "2 of 4 grid points" in msg
    assert "index (1,): a=1, |A|=1.5" in msg and "index (2,): a=1, |A|=2" in msg
    with pytest.raises(InvalidParameterError, match=r"2 of 9 grid points; index \(1, 1\).*index \(2, 2\)"):
        Model(a=np.ones((3, 3)), A=np.diag([0.0, 2.0, 3.0]))
    with pytest.raises(InvalidParameterError, match=r"5 of 6 grid points; .*\(and 2 more\)"):
        Model(a=1.0, A=[2.0, 2.0, 0.0, 2.0, 2.0, 2.0])
    with pytest.raises(InvalidParameterError, match=r"a is a rate.*1 of 3 grid points; index \(2,\): a=-1"):
        Model(a=[1.0, 0.0, -1.0])


def test_boundary_values_are_accepted():
    """|A| = a exactly, A = r a from detailed balance (rounding), and |A| = a for complex A."""
    Model(a=1.0, A=1.0)
    Model(a=1.0, A=-1.0, a_tilde=0.3, A_tilde=0.3j, d=0.2, D_deph=-0.2)
    Model(a=1.0, A=np.exp(0.7j))
    Model(a=0.1 + 0.2, A=0.3)  # 0.30000000000000004 vs 0.3
    Model(a=0.3, A=0.1 + 0.2)  # |A| exceeds a by 1 ulp: accepted as rounding
    Model(a=0.25, a2=1.0, A=0.5)
    Model(a=0.0)


def test_errors_are_value_errors():
    assert issubclass(InvalidParameterError, ValueError)
    with pytest.raises(ValueError):
        Model(a=1.0, A=2.0)


# =============================================================================================
# Detailed balance
# =============================================================================================


def test_detailed_balance_ratio():
    m = Model.detailed_balance(a=30.0, A=30.0 * np.exp(0.3j), ratio=0.1, delta=0.5, Jz=0.2)
    assert m.a_tilde == pytest.approx(3.0, abs=1e-14)
    assert m.A_tilde == pytest.approx(3.0 * np.exp(0.3j), abs=1e-14)
    assert m.delta == 0.5 and m.Jz == 0.2 and m.A == pytest.approx(30 * np.exp(0.3j), abs=1e-13)
    # r A rounding must not trip the bound at |A| = a
    for r in np.linspace(0, 1, 37):
        Model.detailed_balance(a=0.7, A=0.7 * np.exp(1.234j), ratio=r)


def test_detailed_balance_ratio_grid():
    m = Model.detailed_balance(a=1.0, A=[0.0, 0.5, 1.0], ratio=[[0.0], [0.5]])
    assert m.shape == (2, 3)
    np.testing.assert_allclose(m.A_tilde.real, [[0, 0, 0], [0, 0.25, 0.5]])
    np.testing.assert_allclose(np.broadcast_to(m.a_tilde, (2, 3)), [[0, 0, 0], [0.5, 0.5, 0.5]])


@pytest.mark.parametrize("ratio", [-0.1, 1.5, np.nan])
def test_detailed_balance_ratio_out_of_range(ratio):
    with pytest.raises(InvalidParameterError, match="ratio"):
        Model.detailed_balance(a=1.0, A=0.5, ratio=ratio)


@pytest.mark.parametrize("T, f", [(0.05, 2.87), (0.1, 10.0), (1.0, 5.0), (0.02, 1.0)])
def test_detailed_balance_temperature(T, f):
    """r = exp(-h f / k_B T) with the SI-exact h and k_B."""
    h, kB = 6.62607015e-34, 1.380649e-23
    r = math.exp(-h * f * 1e9 / (kB * T))
    m = Model.detailed_balance(a=2.0, A=1.5, temperature=T, Delta_GHz=f)
    assert float(m.a_tilde) == pytest.approx(2.0 * r, rel=1e-12, abs=0)
    assert complex(m.A_tilde) == pytest.approx(1.5 * r, rel=1e-12, abs=0)


def test_detailed_balance_zero_temperature():
    m = Model.detailed_balance(a=1.0, A=0.5, temperature=0.0, Delta_GHz=2.87)
    assert m.a_tilde == 0.0 and m.A_tilde == 0.0


@pytest.mark.parametrize(
    "kw, pattern",
    [
        (dict(ratio=0.1, temperature=1.0, Delta_GHz=1.0), "exactly one of ratio= or temperature="),
        (dict(), "exactly one of ratio= or temperature="),
        (dict(temperature=1.0), "temperature= needs Delta_GHz="),
        (dict(temperature=-1.0, Delta_GHz=1.0), "temperature must be >= 0 K"),
        (dict(temperature=1.0, Delta_GHz=0.0), "Delta_GHz must be > 0"),
        (dict(ratio=0.5, Delta_GHz=2.0), "Delta_GHz is only used with temperature="),
        (dict(ratio=0.5, a_tilde=0.1), "a_tilde is fixed by detailed balance"),
        (dict(ratio=0.5, A_tilde=0.1), "A_tilde is fixed by detailed balance"),
        (dict(ratio=0.5, A=2.0), r"a >= \|A\| violated"),
    ],
)
def test_detailed_balance_errors(kw, pattern):
    kw = dict(A=0.5) | kw
    with pytest.raises(InvalidParameterError, match=pattern):
        Model.detailed_balance(a=1.0, **kw)


# =============================================================================================
# h matrix, jump operators, Hamiltonian, Liouvillian
# =============================================================================================


def test_h_matrix_equals_eq4(rng):
    for _ in range(20):
        p = S.random_params(rng)
        h = Model(**p).h_matrix()
        np.testing.assert_allclose(h, S.h_matrix(**{k: p[k] for k in S._H_KEYS if k in p}), rtol=0, atol=ATOL)
        np.testing.assert_allclose(h, h.conj().T, rtol=0, atol=0)
        assert np.min(np.linalg.eigvalsh(h)) >= -1e-14


def test_h_matrix_literal_entries():
    """Eq. (4) entry by entry: [[at, At], [At*, at]] + [[a, A*], [A, a]] + [[d, D], [D*, d]]."""
    A, At, D = 0.3 + 0.4j, 0.1 - 0.05j, -0.2 + 0.1j
    h = Model(a=1.0, A=A, a_tilde=0.2, A_tilde=At, d=0.5, D_deph=D).h_matrix()
    expected = np.zeros((6, 6), dtype=complex)
    expected[:2, :2] = [[0.2, At], [np.conj(At), 0.2]]
    expected[2:4, 2:4] = [[1.0, np.conj(A)], [A, 1.0]]
    expected[4:, 4:] = [[0.5, D], [np.conj(D), 0.5]]
    np.testing.assert_array_equal(h, expected)


def test_operator_list_is_eq3():
    np.testing.assert_array_equal(Model.operator_list(), np.array(S.OPS))


@pytest.mark.parametrize(
    "a, A, at, At", [(1.0, 0.6, 0.3, 0.1), (1.0, 1.0, 0.2, 0.2), (0.5, 0.0, 0.0, 0.0), (2.0, 0.3, 1.0, 0.0)]
)
def test_jump_operators_are_eq5_for_real_A(a, A, at, At):
    J = Model(a=a, A=A, a_tilde=at, A_tilde=At).jump_operators()
    expected = [
        np.sqrt((at + At) / 2) * (S.S1M + S.S2M),
        np.sqrt((at - At) / 2) * (S.S1M - S.S2M),
        np.sqrt((a + A) / 2) * (S.S1P + S.S2P),
        np.sqrt((a - A) / 2) * (S.S1P - S.S2P),
    ]
    assert J.shape == (6, 4, 4)
    for k in range(4):
        np.testing.assert_allclose(J[k], expected[k], rtol=0, atol=ATOL, err_msg=f"J{k + 1}")
    np.testing.assert_array_equal(J[4:], 0)  # no dephasing


def test_jump_operators_complex_phase():
    """Docstring form for A = |A| e^{i phi}: J3 ∝ s1+ + e^{i phi} s2+ (up to a global phase of each J)."""
    phi = 0.9
    J = Model(a=1.0, A=0.5 * np.exp(1j * phi)).jump_operators()
    j3 = np.sqrt(1.5 / 2) * (S.S1P + np.exp(1j * phi) * S.S2P)
    j4 = np.sqrt(0.5 / 2) * (S.S1P - np.exp(1j * phi) * S.S2P)
    for got, exp in ((J[2], j3), (J[3], j4)):
        ov = np.vdot(exp, got)
        np.testing.assert_allclose(abs(ov), np.vdot(exp, exp).real, rtol=1e-14)
        np.testing.assert_allclose(got, exp * ov / abs(ov), rtol=0, atol=ATOL)


def test_jump_form_equals_h_form(rng):
    """For complex A, At, D and unequal local rates: sum_k D_{J_k} (with magbell's J_k) is the Lindbladian
    of the h form, Eq. (3) (both superoperators built in tests/systems.py)."""
    for _ in range(20):
        p = S.random_params(rng)
        m = Model(**p)
        H = S.hamiltonian(**{k: p[k] for k in S._HAM_KEYS if k in p})
        L_jumps = S.liouvillian_jumps(H, m.jump_operators())
        np.testing.assert_allclose(L_jumps, S.reference_liouvillian(**p), rtol=0, atol=1e-13)
        np.testing.assert_allclose(m.liouvillian(), L_jumps, rtol=0, atol=1e-13)


def test_jump_operators_grid_shape():
    m = Model(a=np.ones((2, 3)), A=[0.0, 0.5, 1.0])
    assert m.jump_operators().shape == (2, 3, 6, 4, 4)
    np.testing.assert_allclose(m.jump_operators()[1, 2], Model(a=1.0, A=1.0).jump_operators(), atol=ATOL)


def test_hamiltonian_is_eq1_plus_s38(rng):
    for _ in range(10):
        kw = dict(zip(S._HAM_KEYS, rng.uniform(-2, 2, size=5)))
        np.testing.assert_allclose(Model(a=1.0, **kw).hamiltonian(), S.hamiltonian(**kw), rtol=0, atol=ATOL)


def test_hamiltonian_literal_entries():
    """Hand-computed matrix elements in the basis |uu>, |ud>, |du>, |dd>."""
    H = lambda **kw: Model(a=0.0, **kw).hamiltonian()
    # H_S = -(D1 s1z + D2 s2z)/2, D1,2 = Delta +- delta: diag(-Delta, -delta, delta, Delta)
    np.testing.assert_array_equal(np.diag(H(Delta=1.0, delta=0.25)).real, [-1.0, -0.25, 0.25, 1.0])
    np.testing.assert_array_equal(H(Jz=1.0), np.diag([1.0, -1.0, -1.0, 1.0]))
    xy = H(Jperp=1.0)  # s1x s2x + s1y s2y = 2(s1+ s2- + s1- s2+)
    assert xy[1, 2] == 2 and xy[2, 1] == 2 and np.count_nonzero(xy) == 2
    dm = H(D_dm=1.0)  # s1x s2y - s1y s2x = 2i(s1+ s2- - s1- s2+)
    assert dm[1, 2] == 2j and dm[2, 1] == -2j and np.count_nonzero(dm) == 2


def test_liouvillian_matches_reference_and_preserves_trace(rng):
    for _ in range(10):
        p = S.random_params(rng)
        L = Model(**p).liouvillian()
        np.testing.assert_allclose(L, S.reference_liouvillian(**p), rtol=0, atol=1e-13)
        # d/dt tr rho = 0: the trace functional vec(I) is a left null vector
        np.testing.assert_allclose(np.eye(4).reshape(16) @ L, 0, atol=1e-14)


def test_liouvillian_row_major_convention():
    """vec(rho)[4i+j] = rho[i, j]: L vec(rho) equals vec(-i[H, rho] - D[rho]) computed with matrices."""
    m = Model(a=0.7, A=0.3 + 0.2j, delta=0.4, Jperp=0.3)
    rho = S.random_density_matrix(np.random.default_rng(5))
    J = m.jump_operators()
    H = m.hamiltonian()
    drho = -1j * (H @ rho - rho @ H)
    for j in J:
        drho -= j.conj().T @ j @ rho + rho @ j.conj().T @ j - 2 * j @ rho @ j.conj().T
    np.testing.assert_allclose(m.liouvillian() @ rho.reshape(16), drho.reshape(16), atol=ATOL)


def test_liouvillian_blocks_have_the_full_spectrum(rng):
    """The real |q| = 0, 1, 2 blocks (6 + 8 + 2) together have the 16 eigenvalues of the full generator."""
    for _ in range(5):
        m = Model(**S.random_params(rng))
        blocks = m.liouvillian_blocks()
        assert [b.shape for b in blocks] == [(6, 6), (8, 8), (2, 2)]
        ev_blocks = np.concatenate([np.linalg.eigvals(b) for b in blocks])
        ev_full = np.linalg.eigvals(m.liouvillian())
        rows, cols = linear_sum_assignment(np.abs(ev_blocks[:, None] - ev_full[None, :]))
        np.testing.assert_allclose(ev_blocks[rows], ev_full[cols], atol=1e-10)


# =============================================================================================
# QuTiP export, indexing, replace
# =============================================================================================


def test_to_qutip_is_sqrt2_J():
    m = Model(a=1.0, A=0.6 - 0.2j, a_tilde=0.2, A_tilde=0.1, d=0.3, D_deph=0.1j, Jz=0.3, delta=0.2)
    H, c_ops = m.to_qutip()
    assert isinstance(H, qutip.Qobj) and H.dims == [[2, 2], [2, 2]]
    np.testing.assert_allclose(H.full(), m.hamiltonian(), atol=0)
    J = m.jump_operators()
    assert len(c_ops) == 6
    for c, j in zip(c_ops, J):
        np.testing.assert_allclose(c.full(), np.sqrt(2) * j, atol=0)
    # QuTiP's Lindbladian of (H, c_ops) is magbell's generator (QuTiP vectorises column-major: vec(rho^T))
    Lq = qutip.liouvillian(H, c_ops).full()
    perm = np.arange(16).reshape(4, 4).T.reshape(16)
    np.testing.assert_allclose(Lq[np.ix_(perm, perm)], m.liouvillian(), atol=1e-13)


def test_to_qutip_drops_zero_rate_jumps():
    _, c_ops = Model(a=1.0, A=1.0).to_qutip()  # J1 = J2 = J4 = 0 and no dephasing: only J3
    assert len(c_ops) == 1
    np.testing.assert_allclose(c_ops[0].full(), np.sqrt(2) * (S.S1P + S.S2P), atol=ATOL)


def test_to_qutip_needs_a_single_model():
    with pytest.raises(InvalidParameterError, match=r"grid of shape \(3,\); index it first"):
        Model(a=1.0, A=[0.1, 0.2, 0.3]).to_qutip()


def test_indexing_a_grid():
    m = Model(a=[[1.0], [2.0]], A=[0.1, 0.5j, 0.9], delta=0.3, a2=[[1.5], [2.5]])
    assert m.shape == (2, 3) and m.size == 6
    p = m[1, 1]
    assert p.shape == () and p.a == 2.0 and p.A == 0.5j and p.delta == 0.3 and p.a2 == 2.5
    assert m[0].shape == (3,) and m[:, 2].shape == (2,)
    np.testing.assert_allclose(m[1, 2].liouvillian(), m.liouvillian()[1, 2], atol=0)
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(m[i, j].h_matrix(), m.h_matrix()[i, j])


def test_replace_revalidates():
    m = Model(a=1.0, A=0.5, delta=0.2)
    m2 = m.replace(A=0.9, Jz=0.1)
    assert m2.A == 0.9 and m2.Jz == 0.1 and m2.delta == 0.2 and m.A == 0.5  # the original is unchanged
    with pytest.raises(InvalidParameterError, match=r"a >= \|A\|"):
        m.replace(a=0.4)
    with pytest.raises(InvalidParameterError, match=r"a\*a2 >= \|A\|\^2"):
        m.replace(a2=0.1)


def test_model_is_frozen():
    m = Model(a=1.0)
    with pytest.raises(AttributeError):
        m.a = 2.0
    with pytest.raises(ValueError):
        m.a[...] = 2.0  # the arrays are read-only too


def test_local_rates_default_to_qubit_one():
    m = Model(a=1.0, a_tilde=0.2, d=0.3)
    assert m.homogeneous and m.local("a2") == 1.0 and m.local("a_tilde2") == 0.2 and m.local("d2") == 0.3
    m2 = Model(a=1.0, a2=0.5)
    assert not m2.homogeneous and m2.local("a2") == 0.5
    h = m2.h_matrix()
    assert h[2, 2] == 1.0 and h[3, 3] == 0.5
