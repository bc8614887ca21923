"""QA session 4 (N sites and the film): reproducers of wrong numbers and broken one-line promises, as regressions.

Each test names the defect it pins: what the call returned before the fix and what it must give now.
References: the dense 4ᴺ generator of tests/systems.py (Pauli matrices, no magbell code).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import magbell
from magbell.errors import InvalidParameterError, MagbellError
from magbell.medium import MagnonMedium
from magbell.system import System, chain_positions, from_positions


def _one_line(exc: BaseException) -> str:
    msg = str(exc)
    assert "\n" not in msg and msg
    return msg


# ----------------------------------------------------------------------------- huge N refusals
def test_evolve_huge_n_refusal_is_one_line_not_overflowerror():
    """N = 600 (and up to 4096) at finite temperature: the memory refusal formatted C(2N, N) ~ 1e359 counts with '%.4g' and raised
    OverflowError (int too large to convert to float) instead of the one-line InvalidParameterError."""
    N = 600
    s = System(Delta=np.ones(N), h_plus=np.eye(N), h_minus=0.1 * np.eye(N))
    with pytest.raises(InvalidParameterError) as e:
        magbell.evolve(s, "d" + "u" * (N - 1), [0.0, 1.0])
    msg = _one_line(e.value)
    assert "GiB" in msg and "e+" in msg


def test_big_count_formatter():
    from magbell.solvers._nsite_evolve import big, gib

    assert big(3 * 10**1231) == "3.00e+1231"
    assert big(1.5e8) == "1.5e+08"
    assert gib(3 * 2**30) == "3"
    assert gib(10**1300).endswith("e+1290")


@pytest.mark.parametrize("N", [9, 200])
def test_postselect_spectrum_refuses_large_n_before_allocating(N):
    """N = 200: ValueError 'Maximum allowed dimension exceeded' (all sectors: MemoryError, 37.8 GiB) from the
    (P, C(N, n), 2ᴺ) eigenket arrays allocated before the N <= 8 check."""
    s = System(Delta=np.ones(N), h_plus=np.eye(N), h_minus=0.1 * np.eye(N))
    for exc in (1, None):
        with pytest.raises(InvalidParameterError, match="N <= 8"):
            magbell.postselect_spectrum(s, excitations=exc)


def test_system_psd_check_fast_paths_agree_with_eigenvalues():
    """System's PSD check: a diagonal block and a block whose shifted Cholesky succeeds skip eigvalsh (N = 4096
    independent sites took 285 s of eigvalsh on the loaded machine); the refusals and their smallest eigenvalue are
    unchanged (a diagonal entry −1e-3, an indefinite 2×2, a rank-one block minus a tiny multiple of 1)."""
    from magbell.system.core import _psd_fast

    rng = np.random.default_rng(4)
    for N in (1, 3, 7):
        g = rng.normal(size=(N, 2)) + 1j * rng.normal(size=(N, 2))
        h = g @ g.conj().T
        assert _psd_fast(h, N)
        assert not _psd_fast(h - 1e-6 * np.abs(h).max() * np.eye(N), N) or N < 3
    assert _psd_fast(np.diag([1.0, 0.0, 2.0]), 3)
    assert not _psd_fast(np.diag([1.0, -1e-3, 2.0]), 3)
    with pytest.raises(InvalidParameterError, match="smallest eigenvalue is -0.001"):
        System(h_plus=np.diag([1.0, -1e-3, 1.0]))
    with pytest.raises(InvalidParameterError, match="smallest eigenvalue is -1$"):
        System(h_plus=np.array([[1.0, 2.0], [2.0, 1.0]]))
    v = rng.normal(size=5) + 1j * rng.normal(size=5)
    with pytest.raises(InvalidParameterError, match="positive semidefinite"):
        System(h_plus=np.outer(v, v.conj()) - 1e-6 * np.eye(5))
    s = System(h_plus=np.outer(v, v.conj()))  # rank one (exactly PSD up to rounding) is accepted
    assert s.N == 5


# ----------------------------------------------------------------------------- postselection on an empty sector
@pytest.mark.parametrize("hz", [0.0, 0.1])
def test_subspace_postselection_of_an_unoccupied_sector_is_p_zero(hz):
    """postselect(scheme='subspace', excitations=1) from |uuu> (no weight in the sector): with σᶻ dephasing it raised
    IndexError (list index out of range, combine_parts of no parts); now, as without dephasing and as the two-qubit
    scheme (docs/postselection.md): P = 0, log P = −inf. A batch with an occupied state keeps its exact numbers."""
    s = System(Delta=[1.0, 1.1, 0.9], h_plus=np.eye(3), h_z=hz * np.eye(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = magbell.postselect(s, ["uuu", "duu"], [0.0, 1.0], scheme="subspace", excitations=1)
    assert np.all(r.success_probability[0] == 0) and np.all(r.log_success_probability[0] == -np.inf)
    # |duu> under independent decay a = 1 (and σᶻ dephasing, which keeps the sector): P = e^{−2t}
    np.testing.assert_allclose(r.log_success_probability[1], [0.0, -2.0], atol=1e-13)


# ----------------------------------------------------------------------------- positions
def test_positions_far_apart_no_overflow_warning_and_no_noise_phase():
    """A 1D chain at spacing 1e300: RuntimeWarning (overflow in square) and then h_plus[0, 1] = cos(k·r) of a phase
    float64 cannot resolve (−0.575, exit 0). Now one line naming the pair; the 3D medium, whose coupling decays as
    1/(kr), keeps computing (its rounding is ~eps of a); damping that extinguishes the pair keeps computing."""
    m1 = MagnonMedium(dim=1, gap=1.0, stiffness=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for sp in (1e300, 1e10):
            with pytest.raises(InvalidParameterError, match="qubits 1 and 2 .*rounding noise") as e:
                from_positions(m1, chain_positions(3, sp), Delta=2.0)
            _one_line(e.value)
        with pytest.raises(InvalidParameterError, match="overflows float64"):
            from_positions(m1, np.array([-1e308, 1e308]), Delta=2.0)
        s = from_positions(m1, chain_positions(3, 1e5), Delta=2.0)  # kr = 1e5: rounding 2e-11 of a
        np.testing.assert_allclose(s.h_plus[0, 1].real, np.cos(1e5) * s.h_plus[0, 0].real, rtol=0, atol=1e-10)
        m3 = MagnonMedium(dim=3, gap=1.0, stiffness=1.0)
        s3 = from_positions(m3, chain_positions(2, 1e300), Delta=2.0)
        assert abs(s3.h_plus[0, 1]) < 1e-299
        md = MagnonMedium(dim=1, gap=1.0, stiffness=1.0, damping=0.01)
        assert from_positions(md, chain_positions(2, 1e300), Delta=2.0).h_plus[0, 1] == 0


# ----------------------------------------------------------------------------- N ≥ 6 Krylov: trace drift
def test_krylov_chain_keeps_the_trace_at_long_times():
    """N = 6 (excitation blocks, Krylov steps) at zero temperature with every coherent term and σᶻ dephasing, from
    one excitation: each step's rounding left ~eps along the stationary state, which never decays, so tr ρ drifted
    linearly in t: tr ρ − 1 = 2.4e-9 at t·rate = 1e6 and −5.9e-8 at 2e7 (t·‖L′‖ = 8e8, inside the documented domain;
    on a random finite-temperature N = 6 System the site populations were 5e-10 off at 1e6). The q = 0 chain is now
    divided by its computed trace: tr ρ = 1 and ρ(2e7) = ρ(1e6) = |0⟩⟨0| to rounding."""
    rng = np.random.default_rng(11)
    N = 6

    def psd(scale):
        g = rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))
        return scale * (g @ g.conj().T) / N

    s = System(Delta=1 + 0.3 * rng.uniform(-1, 1, N), h_plus=psd(1.0), h_z=psd(0.2),
               J_perp=np.triu(0.3 * rng.normal(size=(N, N)), 1), J_z=np.triu(0.3 * rng.normal(size=(N, N)), 1),
               D=np.triu(0.3 * rng.normal(size=(N, N)), 1))
    r = magbell.evolve(s, "duuuuu", [1e2, 1e6, 2e7], store_states=True)
    tr = np.trace(r.states, axis1=-2, axis2=-1)
    np.testing.assert_allclose(tr, 1.0, rtol=0, atol=1e-14)
    ground = np.zeros((2**N, 2**N))
    ground[0, 0] = 1.0
    assert np.abs(r.states[1:] - ground).max() < 1e-13


# ----------------------------------------------------------------------------- the film's System
def _fake_film_couplings(N, freqs, positions=None):
    from types import SimpleNamespace

    A = np.eye(N, dtype=complex) * 10.0
    info = {} if positions is None else {"positions": np.asarray(positions, dtype=float), "qubits": (None,) * N}
    return SimpleNamespace(A=A, A_tilde=0.1 * A, J=np.zeros((N, N), dtype=complex), D_deph=0.01 * A,
                           Jz=np.zeros((N, N)), frequency=np.asarray(freqs, dtype=float), info=info)


def test_film_system_identical_nv_centres_have_zero_detuning_exactly():
    """FilmCouplings.system(): Δ_i = ω_i − mean ω left ±1 ulp of ω ~ 1.4e10 rad/s (the CLI's film spectrum reported
    mean_Delta = 1.9e-6 rad/s for three identical NV centres); detunings are now formed from the first qubit's
    frequency (exact by Sterbenz), so identical qubits give exactly 0 and two qubits exactly ±(ω1 − ω2)/2."""
    from magbell.medium.film_system import couplings_system

    w = 2 * np.pi * 2.2533032594992895e9
    s = couplings_system(_fake_film_couplings(3, [w, w, w]))
    assert np.all(s.Delta == 0)
    w2 = w * (1 + 3e-9)
    s2 = couplings_system(_fake_film_couplings(2, [w, w2]))
    assert s2.Delta[0] == (w - w2) / 2 and s2.Delta[1] == -(w - w2) / 2


def test_film_system_bad_arguments_are_one_line():
    """scale=True was accepted as 1; lamb_shifts with a NaN said 'got shape (2,)'; include_vacuum_dipolar with two NV
    centres at one point said 'displacement must be a finite non-zero 3-vector' (no argument named)."""
    from magbell.medium.film_system import couplings_system

    w = 1.4e10
    c = _fake_film_couplings(2, [w, w], positions=[[0, 0, 1e-7], [0, 0, 1e-7]])
    with pytest.raises(InvalidParameterError, match="scale .*True/False"):
        couplings_system(c, scale=True)
    with pytest.raises(InvalidParameterError, match="lamb_shifts .*no NaN"):
        couplings_system(c, lamb_shifts=[np.nan, 0.0])
    with pytest.raises(InvalidParameterError, match="lamb_shifts"):
        couplings_system(c, lamb_shifts="ab")
    with pytest.raises(InvalidParameterError, match="qubits 1 and 2 are at the same position") as e:
        couplings_system(c, include_vacuum_dipolar=True)
    _one_line(e.value)


def test_film_positions_refuse_booleans():
    """FilmSetup.couplings_at([[True, False], [0, 1e-7]]) read True as 1 m (then refused the 1 m separation for the
    quadrature, a misleading message; a True beside a small number was a silent 1 m). Booleans are refused as bad
    positions, before any quadrature."""
    from magbell.medium import FilmSetup

    fs = FilmSetup.from_units(thickness="20nm", field="22mT", field_angle="54.7356deg", height="109nm")
    for p in ([[True, False], [0, 1e-7]], np.array([[True, False], [False, True]]), [[0, 0], [0, 1e-7j]]):
        with pytest.raises(InvalidParameterError, match="positions must be an"):
            fs.couplings_at(p)


def test_no_jump_postselection_refuses_excitations():
    """postselect(system, ..., scheme='no-jump', excitations=1) ignored excitations silently (P of no jump at all);
    it only means something for scheme='subspace'."""
    s = System(Delta=[1.0, 1.0, 1.0], h_plus=np.ones((3, 3)))
    with pytest.raises(InvalidParameterError, match="excitations applies to scheme='subspace'"):
        magbell.postselect(s, "duu", [0.0, 1.0], scheme="no-jump", excitations=1)
    r = magbell.postselect(s, "duu", [0.0, 1.0], scheme="subspace", excitations=1)
    assert r.excitations == 1


def test_nsite_steady_state_outer_populations_at_low_temperature():
    """The N-site path (a Model's System) at ã/a = r: the dark singlet keeps 1/2, the triplet thermalises to
    (1, r, r²)/Z, so C = (1 − r)²/(2(1 + r + r²)) (Fig. S1(a)). It was 1.1e-8 low at r = 1e-9 and p_↓↓ came out
    −1.4e-16 at r = 1e-60 (s4_findings HC-1): the one-dimensional sectors' populations are inflow over outflow."""
    for r in (1e-9, 1e-60, 0.1):
        m = magbell.Model(a=1.0, A=1.0, a_tilde=r, A_tilde=r)
        s = magbell.steady_state(m.system(), "ud")
        assert abs(float(s.concurrence) - (1 - r) ** 2 / (2 * (1 + r + r * r))) <= 1e-15
        assert s.rho[3, 3].real >= 0 and s.rho[0, 0].real >= 0
        np.testing.assert_allclose(s.rho, magbell.steady_state(m, "ud").rho, rtol=0, atol=1e-15)
