"""steady_state, dark_states, conserved_quantities and spectrum.

Tolerances: the stationary state is a linear solve / SVD projection of an O(1) matrix, exact to ~1e-15,
so 1e-12 is used for density matrices; where the issue asks for it (Eq. 10, C = 1/2) 1e-14. Long-time
evolve references are taken at times where every non-stationary mode has decayed below e^{-40}.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import systems as S

import magbell
from magbell import InvalidParameterError, Model, NonUniqueSteadyStateError

ATOL = 1e-12

# =============================================================================================
# Steady state vs long-time evolution
# =============================================================================================


def _grid():
    """a = 1; |A| and |At| up to their bounds (incl. the degenerate |A| = a and |At| = at); delta = 0, 0.3."""
    A = np.array([0.0, 0.5, 0.9, 1.0])[:, None, None, None]
    At = np.array([0.0, 0.1])[None, :, None, None]
    at = np.array([0.0, 0.1])[None, None, :, None]
    delta = np.array([0.0, 0.3])[None, None, None, :]
    valid = np.abs(At) <= at
    return Model(a=1.0, A=A, a_tilde=at, A_tilde=np.where(valid, At, 0.0), delta=delta)


@pytest.mark.parametrize("init", ["ud", "dd", "singlet", "phi+", "random"])
def test_steady_state_equals_long_time_evolve_on_grid(init, rng):
    m = _grid()
    rho0 = S.random_density_matrix(rng) if init == "random" else init
    s = magbell.steady_state(m, rho0)
    assert s.rho.shape == m.shape + (4, 4)
    assert np.any(~s.unique) and np.any(s.unique)  # the grid has degenerate and regular points
    # slowest non-stationary rate on this grid is 2(a - kappa) >= 0.2 (A = 0.9): e^{-0.2 * 1e3} = 0
    r = magbell.evolve(m, rho0, [0.0, 1e3], store_states=True)
    assert np.all(s.converges)
    np.testing.assert_allclose(s.rho, r.states[..., -1, :, :], rtol=0, atol=ATOL)
    np.testing.assert_allclose(s.concurrence, r.concurrence[..., -1], rtol=0, atol=ATOL)


def test_eq10_zero_temperature():
    """Eq. (10): rho_inf = (|uu><uu| + |S><S|)/2 from |ud> at a = |A|, C = 1/2 (to 1e-14), any a."""
    for a in (0.1, 1.0, 30.0):
        for phase in (0.0, 1.1):
            s = magbell.steady_state(Model(a=a, A=a * np.exp(1j * phase)), "ud")
            expected = (S.rho_of("uu") + S.proj(S.dark_ket(phase))) / 2
            np.testing.assert_allclose(s.rho, expected, rtol=0, atol=1e-14)
            assert abs(s.concurrence - 0.5) <= 1e-14
            assert s.populations[3] == 0.0  # exact structural zero (no sqrt noise in C)


def test_finite_temperature_concurrence_formula():
    """System G: C_inf = (1 - r)^2 / (2 (1 + r + r^2)) at a = |A|, at = |At| = r a, delta = 0, from |ud>."""
    r = np.array([0.0, 0.01, 0.1, 0.3, 0.5, 0.9, 1.0])
    m = Model.detailed_balance(a=30.0, A=30.0, ratio=r)
    s = magbell.steady_state(m, "ud")
    np.testing.assert_allclose(s.concurrence, S.dark_thermal_concurrence(r), rtol=0, atol=1e-14)
    for k, rk in enumerate(r):
        np.testing.assert_allclose(s.rho[k], S.dark_thermal_steady(rk), rtol=0, atol=ATOL)
    # the paper's Fig. S1(a): a = 30, at = 3 gives C ~ 0.35
    assert s.concurrence[2] == pytest.approx(0.3649, abs=1e-4)


def test_finite_temperature_with_complex_phase():
    r, phase = 0.2, -0.8
    m = Model.detailed_balance(a=1.0, A=np.exp(1j * phase), ratio=r)
    s = magbell.steady_state(m, "ud")
    np.testing.assert_allclose(s.rho, S.dark_thermal_steady(r, phase), rtol=0, atol=ATOL)


@pytest.mark.parametrize("params", [dict(a=1e-12, d=1.0), dict(a=1e-10, d=1.0), dict(a=1e-9, d=0.5)])
def test_stiff_steady_state_is_a_state(params):
    """Stiff models give density matrices (the exact limit |uu><uu|, or |dd> if the relaxation slower than
    tol * ||L|| is deliberately treated as zero). Regression (was a bug in steady_state: the tolerance-based
    kernel kept |dd> while structural_zeros zeroed it): steady_state(Model(a=1e-12, d=1.0), "dd").rho was the
    zero matrix, and steady_state(Model(a=1e-9, d=0.5), "dd").rho was diag(-0.2065, 0, 0, 0)."""
    s = magbell.steady_state(Model(**params), "dd")
    assert abs(np.trace(s.rho) - 1) <= 1e-10
    assert np.min(np.linalg.eigvalsh(s.rho)) >= -1e-10


def test_unique_steady_state_needs_no_initial_state():
    m = Model(a=1.0, A=0.6, a_tilde=0.2, A_tilde=0.1 + 0.05j, delta=0.3, Jz=0.5, d=0.1)
    s = magbell.steady_state(m)
    assert s.unique and s.n_stationary == 1 and s.converges and s.initial is None
    for init in ("ud", "phi+"):
        np.testing.assert_allclose(magbell.steady_state(m, init).rho, s.rho, rtol=0, atol=ATOL)
    np.testing.assert_allclose(s.rho, magbell.evolve(m, "dd", [1e3], store_states=True).states[0], atol=ATOL)
    # stationary: L vec(rho) = 0 with the independent reference generator
    L = S.reference_liouvillian(a=1.0, A=0.6, a_tilde=0.2, A_tilde=0.1 + 0.05j, delta=0.3, Jz=0.5, d=0.1)
    np.testing.assert_allclose(L @ s.rho.reshape(16), 0, atol=1e-14)


# =============================================================================================
# Degenerate stationary spaces
# =============================================================================================


def test_four_stationary_operators_at_a_equal_A():
    """At zero temperature, a = |A|, delta = Delta = 0: |uu> and the singlet are dark and have the same
    energy (H = 0), so |uu><uu|, |S><S|, |uu><S| and |S><uu| are all stationary: n_stationary = 4
    (2 in the |q| = 0 block, 2 in |q| = 1). Every initial state converges."""
    m = Model(a=1.0, A=1.0)
    psi = (S.KETS["uu"] + S.KETS["singlet"]) / np.sqrt(2)
    s = magbell.steady_state(m, ["ud", psi])
    assert not s.unique and s.n_stationary == 4 and np.all(s.converges)
    # the uu-S coherence survives: the limit from psi is psi itself (it is a dark state)
    np.testing.assert_allclose(s.rho[1], S.proj(psi), atol=ATOL)


def test_oscillating_dark_coherence_with_Delta():
    """With Delta != 0 the dark states |uu> (E = -Delta) and |S> (E = 0) have different energies: their
    coherence oscillates forever (eigenvalues +-i Delta), n_stationary = 2, and for an initial state with that
    coherence converges is False and the result is the time average, which we take over one period."""
    Delta = 0.7
    m = Model(a=1.0, A=1.0, Delta=Delta)
    psi = (S.KETS["uu"] + S.KETS["singlet"]) / np.sqrt(2)
    s = magbell.steady_state(m, psi)
    assert s.n_stationary == 2 and not s.unique and not s.converges
    assert magbell.steady_state(m, "ud").converges  # no weight on the oscillating coherence
    period = 2 * np.pi / Delta
    t = 100.0 + period * np.arange(16) / 16  # samples of e^{i Delta t} over one period average to 0 exactly
    traj = magbell.evolve(m, psi, t, store_states=True).states
    np.testing.assert_allclose(s.rho, traj.mean(axis=0), rtol=0, atol=ATOL)
    assert np.max(np.abs(traj[0] - traj[4])) > 0.1  # it really oscillates
    np.testing.assert_allclose(s.rho, (S.rho_of("uu") + S.rho_of("singlet")) / 2, atol=ATOL)


def test_converges_is_per_initial_state():
    """converges has the initial-state axis like rho. Regression (was a bug: converges had shape
    model.shape and was computed over the union of the blocks of all initial states, so "ud" was reported
    as not converging next to an oscillating psi)."""
    m = Model(a=1.0, A=1.0, Delta=0.7)
    psi = (S.KETS["uu"] + S.KETS["singlet"]) / np.sqrt(2)
    s = magbell.steady_state(m, [psi, "ud"])
    assert s.rho.shape == (2, 4, 4)
    assert np.shape(s.converges) == (2,) and s.converges.tolist() == [False, True]


def test_converges_matches_imaginary_eigenvalues(rng):
    """converges is False exactly where L has eigenvalues on the imaginary axis (other than 0) that a
    full-rank initial state populates."""
    cases = [
        dict(a=1.0, A=1.0, Jz=0.3),
        dict(a=1.0, A=1.0, Jperp=0.3),
        dict(a=1.0, A=1.0),
        dict(a=1.0, A=0.5, Delta=2.0),
        dict(a=0.0, delta=0.4),
        dict(a=1.0, A=1.0, Delta=0.5, Jz=0.25),
    ]
    rho0 = S.random_density_matrix(rng)
    for p in cases:
        ev = np.linalg.eigvals(S.reference_liouvillian(**p))
        osc = np.any((np.abs(ev.real) < 1e-9) & (np.abs(ev.imag) > 1e-9))
        assert bool(magbell.steady_state(Model(**p), rho0).converges) == (not osc), p


def test_non_unique_without_initial_state_is_an_error():
    with pytest.raises(
        NonUniqueSteadyStateError, match=r"not unique.*pass initial=.*1 of 3 grid points; index \(2,\): n_stationary=4"
    ):
        magbell.steady_state(Model(a=1.0, A=[0.5, 0.9, 1.0]))
    with pytest.raises(NonUniqueSteadyStateError, match=r"n_stationary=2"):
        magbell.steady_state(Model(a=1.0, A=1.0, a_tilde=0.1, A_tilde=0.1))
    assert issubclass(NonUniqueSteadyStateError, ValueError)


@pytest.mark.parametrize(
    "kw, pattern",
    [
        (dict(tol=0.0), "tol must be a number with 0 < tol < 1"),
        (dict(tol=2.0), "tol must be a number with 0 < tol < 1"),
        (dict(tol="x"), "tol must be a number"),
        (dict(measures=["nope"]), r"unknown measure\(s\) \['nope'\]"),
    ],
)
def test_steady_state_bad_arguments(kw, pattern):
    with pytest.raises(InvalidParameterError, match=pattern):
        magbell.steady_state(Model(a=1.0, A=0.5), "ud", **kw)


def test_steady_state_bad_model_and_initial():
    with pytest.raises(InvalidParameterError, match="model must be a magbell.Model"):
        magbell.steady_state("model")
    with pytest.raises(magbell.InvalidStateError, match="unknown initial state"):
        magbell.steady_state(Model(a=1.0), "updown")


# =============================================================================================
# Dark states and conserved quantities
# =============================================================================================


def _same_subspace(kets, expected):
    """Projectors onto span(kets) and span(expected) agree."""
    P = lambda k: np.asarray(k).T @ np.linalg.pinv(np.asarray(k).T)
    return np.max(np.abs(P(kets) - P(expected)))


def test_dark_states_at_a_equal_A():
    d = magbell.dark_states(Model(a=1.0, A=1.0))
    assert d.shape == (2, 4)
    assert _same_subspace(d, [S.KETS["uu"], S.KETS["singlet"]]) < 1e-12
    np.testing.assert_allclose(d.conj() @ d.T, np.eye(2), atol=1e-14)  # orthonormal


def test_dark_states_finite_temperature_and_xxz():
    """At finite temperature only the singlet is dark (J1 moves |uu>); XXZ couplings keep it dark."""
    d = magbell.dark_states(Model(a=1.0, A=1.0, a_tilde=0.1, A_tilde=0.1, Jz=0.3, Jperp=-0.4))
    assert d.shape == (1, 4)
    assert abs(abs(np.vdot(d[0], S.KETS["singlet"])) - 1) < 1e-12


def test_no_dark_states_away_from_the_bound():
    assert magbell.dark_states(Model(a=1.0, A=0.9)).shape == (1, 4)  # only |uu> (zero temperature)
    assert magbell.dark_states(Model(a=1.0, A=0.9, a_tilde=0.1)).shape == (0, 4)
    assert magbell.dark_states(Model(a=1.0, A=1.0, delta=0.3)).shape == (1, 4)  # delta mixes S and T0


@pytest.mark.parametrize("phase", [0.7, 2.75, 3.0])
def test_dark_states_complex_A(phase):
    """Two dark kets |uu> and (|ud> - e^{i phase}|du>)/sqrt2 for A = a e^{i phase}. Regression (was a bug in
    model._block_jumps: the rate a - |A| of J4 rounded to ~1e-16, giving a spurious 1e-8 jump that hid the
    dark state; dark_states(Model(a=1.0, A=np.exp(0.7j))) returned only |uu>)."""
    d = magbell.dark_states(Model(a=1.0, A=np.exp(1j * phase)))
    assert d.shape == (2, 4)
    assert _same_subspace(d, [S.KETS["uu"], S.dark_ket(phase)]) < 1e-12


def test_dark_complex_ket_is_stationary():
    """The kets the test above expects really are dark (so that test fails for the right reason)."""
    for phase in (0.7, 2.75, 3.0):
        m = Model(a=1.0, A=np.exp(1j * phase))
        psi = S.dark_ket(phase)
        st = magbell.evolve(m, psi, [0.0, 10.0, 1e4], store_states=True).states
        np.testing.assert_allclose(st, np.broadcast_to(S.proj(psi), st.shape), atol=ATOL)
        assert magbell.steady_state(m, "ud").n_stationary == 4


def _exact_concurrence_in_span(rho, kets):
    """Concurrence (mpmath, 40 digits) of rho projected onto span(kets) (orthonormal)."""
    B = np.array(kets).T
    with mpmath.workdps(40):
        Bm = mpmath.matrix(B.tolist())
        r = Bm * mpmath.matrix((B.conj().T @ rho @ B).tolist()) * Bm.H
        yy = mpmath.matrix(S.YY.real.tolist())
        ev = mpmath.eig(r * (yy * r.conjugate() * yy))[0]
        lam = sorted((mpmath.sqrt(abs(e)) for e in ev), reverse=True)
        return float(max(0, lam[0] - lam[1] - lam[2] - lam[3]))


def test_steady_concurrence_of_rank_deficient_non_x_limit():
    """At a = |A| (zero temperature) the limit from a generic initial state is a rank-2 *non-X* state in
    span{|uu>, |S>}; its concurrence must be exact (vs mpmath) although rho carries ~1e-20 rounding
    eigenvalues in its null space. Regression (was a bug: sqrt of those gave errors ~1e-9, e.g. 1.4e-9 for
    Model(a=1.0, A=1.0) and random_density_matrix(default_rng(5)); evolve was exact)."""
    rng = np.random.default_rng(5)
    m = Model(a=1.0, A=1.0)
    for _ in range(4):
        rho0 = S.random_density_matrix(rng)
        s = magbell.steady_state(m, rho0)
        exact = _exact_concurrence_in_span(s.rho, [S.KETS["uu"], S.KETS["singlet"]])
        late = magbell.evolve(m, rho0, [1e3]).concurrence[0]
        assert abs(late - exact) <= 1e-12  # evolve is exact (this part passes)
        assert abs(s.concurrence - exact) <= 1e-12


def test_conserved_quantities_include_singlet_weight(rng):
    m = Model(a=1.0, A=1.0)
    C = magbell.conserved_quantities(m)
    assert C.shape == (4, 4, 4)  # as many as stationary operators
    basis = C.reshape(len(C), 16).T

    def in_span(X):
        coef, *_ = np.linalg.lstsq(basis, X.reshape(16), rcond=None)
        return np.max(np.abs(basis @ coef - X.reshape(16)))

    assert in_span(S.rho_of("singlet")) < 1e-12  # <S|rho|S> is conserved
    assert in_span(np.eye(4)) < 1e-12  # the trace
    assert in_span(S.rho_of("triplet0")) > 1e-3  # but not the triplet weight
    # d/dt tr(C rho) = tr(C L[rho]) = 0 for any rho (reference generator), and along a trajectory
    L = S.reference_liouvillian(a=1.0, A=1.0)
    for _ in range(3):
        rho = S.random_density_matrix(rng)
        drho = (L @ rho.reshape(16)).reshape(4, 4)
        np.testing.assert_allclose(np.einsum("kij,ji->k", C, drho), 0, atol=1e-13)
    traj = magbell.evolve(m, rho, [0.0, 0.7, 3.0, 50.0], store_states=True).states
    vals = np.einsum("kij,tji->tk", C, traj)
    np.testing.assert_allclose(vals, np.broadcast_to(vals[0], vals.shape), atol=1e-12)


def test_conserved_quantities_unique_case_is_the_trace():
    C = magbell.conserved_quantities(Model(a=1.0, A=0.5, delta=0.2))
    assert C.shape == (1, 4, 4)
    np.testing.assert_allclose(C[0] / C[0, 0, 0], np.eye(4), atol=1e-12)


def test_single_model_functions_reject_grids():
    g = Model(a=1.0, A=[0.5, 1.0])
    with pytest.raises(InvalidParameterError, match="single model"):
        magbell.dark_states(g)
    with pytest.raises(InvalidParameterError, match="single model"):
        magbell.conserved_quantities(g)
    s = magbell.steady_state(g, "ud")
    assert s.dark_states((1,)).shape == (2, 4) and s.conserved_quantities((1,)).shape == (4, 4, 4)


# =============================================================================================
# Kernel dimension: |q| >= 1 kernels only where block 0 is degenerate (steady.py's claim)
# =============================================================================================


def _degenerate_models(rng, n):
    """Random models on the special (degenerate) sets, each with random remaining parameters."""
    out = []
    for k in range(n):
        phi = rng.uniform(0, 2 * np.pi)
        g = rng.uniform(0, 1)
        kind = k % 8
        if kind == 0:  # zero temperature, a = |A|, XXZ-compatible couplings (Jperp + i D ∝ e^{-i phi})
            p = dict(a=rng.uniform(0.2, 2), Jz=rng.uniform(-1, 1), Jperp=g * np.cos(phi), D_dm=-g * np.sin(phi))
            p["A"] = p["a"] * np.exp(1j * phi)
            if rng.random() < 0.5:
                p["Delta"] = 2 * p["Jz"]  # |uu> and the dark state degenerate: 4 stationary operators
        elif kind == 1:  # finite temperature, a = |A|, at = |At| with the same phase, d = D
            a, r = rng.uniform(0.2, 2), rng.uniform(0, 1)
            p = dict(
                a=a,
                A=a * np.exp(1j * phi),
                a_tilde=r * a,
                A_tilde=r * a * np.exp(1j * phi),
                d=rng.uniform(0, 1) * (rng.random() < 0.5),
                Delta=rng.uniform(-2, 2),
                Jz=rng.uniform(-1, 1),
            )
            p["D_deph"] = p["d"]
        elif kind == 2:  # unequal rates on the PSD boundary a1 a2 = |A|^2
            a1, a2 = rng.uniform(0.2, 2, size=2)
            p = dict(a=a1, a2=a2, A=np.sqrt(a1 * a2) * np.exp(1j * phi), Jz=rng.uniform(-1, 1))
        elif kind == 3:  # no dissipation: L = -i[H, .], kernel = commutant of H
            p = dict(
                a=0.0,
                Jz=rng.uniform(-1, 1),
                Jperp=rng.uniform(-1, 1) * (rng.random() < 0.5),
                Delta=rng.uniform(-1, 1) * (rng.random() < 0.5),
                delta=rng.uniform(-1, 1) * (rng.random() < 0.5),
            )
        elif kind == 4:  # pure dephasing, possibly the decoherence-free {ud, du} (d1 = d2 = D)
            d = rng.uniform(0.1, 1)
            p = dict(
                a=0.0,
                d=d,
                D_deph=d if rng.random() < 0.5 else rng.uniform(-d, d),
                Jz=rng.uniform(-1, 1),
                Delta=rng.uniform(-1, 1),
            )
        elif kind == 5:  # everything zero
            p = dict(a=0.0)
        elif kind == 6:  # the paper's point with a random Delta
            p = dict(a=1.0, A=1.0, Delta=rng.choice([0.0, rng.uniform(-2, 2)]))
        else:  # nearly degenerate but not quite: a - |A| = 1e-3 a
            a = rng.uniform(0.2, 2)
            p = dict(a=a, A=(1 - 1e-3) * a * np.exp(1j * phi), delta=0.0)
        out.append(p)
    return out


def _svd_nullity(L):
    s = np.linalg.svd(L, compute_uv=False)
    if s[0] == 0:
        return L.shape[0]
    small = s < 1e-9 * s[0]
    # the test is only meaningful with a clear gap between zero and non-zero singular values
    assert np.all((s < 1e-12 * s[0]) | (s > 1e-6 * s[0])), s / s[0]
    return int(small.sum())


def test_n_stationary_equals_full_svd_nullity(rng):
    models = [S.random_params(rng) for _ in range(40)] + _degenerate_models(rng, 80)
    counts = {}
    for p in models:
        m = Model(**p)
        got = int(magbell.steady_state(m, "ud").n_stationary)
        expected = _svd_nullity(S.reference_liouvillian(**p))
        assert got == expected, p
        assert len(magbell.conserved_quantities(m)) == expected, p  # left and right kernels agree
        counts[expected] = counts.get(expected, 0) + 1
    # the sample really contains degenerate kernels of several sizes, incl. |q| >= 1 ones
    assert {1, 2, 4}.issubset(counts) and max(counts) >= 6, counts


def test_n_stationary_on_a_grid_equals_pointwise():
    m = Model(a=1.0, A=[[0.5, 1.0]], Delta=[[0.0], [0.7]], Jz=0.0)
    s = magbell.steady_state(m, "ud")
    assert s.n_stationary.tolist() == [[1, 4], [1, 2]]
    assert s.unique.tolist() == [[True, False], [True, False]]


# =============================================================================================
# Spectrum
# =============================================================================================


def test_spectrum_regimes_and_lifetime():
    """Zero temperature, a = 1, |A| = 0.7: underdamped (delta > |A|), critical (delta = |A|), overdamped
    (delta < |A|) with entanglement lifetime 1/(2(a - sqrt(|A|^2 - delta^2))) (S64); 1/(2a) otherwise."""
    a, A = 1.0, 0.7
    deltas = np.array([1.5, 1.0, 0.7, 0.5, 0.3, 0.0])
    sp = magbell.spectrum(Model(a=a, A=A * np.exp(0.3j), delta=deltas))
    assert sp.regime.tolist() == ["underdamped", "underdamped", "critical", "overdamped", "overdamped", "overdamped"]
    over = deltas < A
    kappa = np.sqrt(A**2 - deltas[over] ** 2)
    np.testing.assert_allclose(sp.entanglement_lifetime[over], 1 / (2 * (a - kappa)), rtol=1e-12)
    np.testing.assert_allclose(sp.entanglement_lifetime[~over], 1 / (2 * a), rtol=1e-9)
    np.testing.assert_allclose(sp.entanglement_rate * sp.entanglement_lifetime, 1.0, rtol=1e-15)


def test_spectrum_lifetime_matches_concurrence_decay():
    """The lifetime is the decay time of C(t) at long times (overdamped: C ~ e^{-2(a - kappa) t})."""
    m = Model(a=1.0, A=0.8, delta=0.2)
    tau = float(magbell.spectrum(m).entanglement_lifetime)
    c = magbell.evolve(m, "ud", [20.0, 20.0 + tau]).concurrence
    assert c[1] / c[0] == pytest.approx(np.exp(-1), rel=1e-9, abs=0)


def test_spectrum_at_the_dark_point():
    sp = magbell.spectrum(Model(a=1.0, A=[1.0, 0.999]))
    assert np.isinf(sp.entanglement_lifetime[0]) and sp.entanglement_rate[0] == 0
    assert sp.entanglement_lifetime[1] == pytest.approx(1 / (2 * 0.001), rel=1e-9, abs=0)


def test_spectrum_eigenvalues_match_reference(rng):
    from scipy.optimize import linear_sum_assignment

    ps = [S.random_params(rng) for _ in range(5)]
    m = Model(
        **{
            k: np.array(
                [
                    p.get(
                        k,
                        0.0
                        if k not in ("a2", "a_tilde2", "d2")
                        else p["a" if k == "a2" else ("a_tilde" if k == "a_tilde2" else "d")],
                    )
                    for p in ps
                ]
            )
            for k in set().union(*ps)
        }
    )
    sp = magbell.spectrum(m)
    assert sp.eigenvalues.shape == (5, 16)
    for i, p in enumerate(ps):
        ev = sp.eigenvalues[i]
        assert np.all(np.diff(ev.real) <= 1e-12)  # sorted by decreasing real part
        ref = np.linalg.eigvals(S.reference_liouvillian(**p))
        rows, cols = linear_sum_assignment(np.abs(ev[:, None] - ref[None, :]))
        np.testing.assert_allclose(ev[rows], ref[cols], atol=1e-10)
        rates = -ref.real
        assert sp.slowest_rate[i] == pytest.approx(rates[rates > 1e-9].min(), rel=1e-9, abs=0)
