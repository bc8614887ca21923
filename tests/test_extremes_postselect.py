"""The postselection family at the edges (issue 9): postselect, conditional_evolve, monitor, trajectories,
robustness.

Every reproducer of the issue is checked for the *right value* (closed forms of docs/postselection.md,
mpmath for the exact mean-splitting phases, the scale invariance of the dynamics in rate·t), or for a
one-line :class:`~magbell.errors.InvalidParameterError` where the result cannot be computed to the stated
accuracy. Loops that used to hang run under a timeout guard.
"""

from __future__ import annotations

import contextlib
import json
import signal
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import magbell.cli as cli
import magbell.paper.closed_forms_postselect as cf
from magbell import Model
from magbell.errors import InvalidParameterError, MagbellError
from magbell.solvers._monitor import monitor, monitor_sweep
from magbell.solvers._nonhermitian import non_hermitian_hamiltonian, postselect_spectrum
from magbell.solvers._postselect import conditional_evolve, postselect
from magbell.solvers._robustness import robustness
from magbell.solvers._nojump import nojump_propagator
from magbell.solvers._trajectories import trajectories

PSI = np.array([0.5, 0.3 + 0.2j, -0.4j, 0.6])
PSI = PSI / np.linalg.norm(PSI)


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail (instead of hanging the suite) if the block runs longer than ``seconds``."""

    def handler(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture
def magbell_cli(monkeypatch, capsys):
    mods = tuple(dict.fromkeys(tuple(cli.SUBCOMMAND_MODULES) + ("magbell.cli_postselect",)))
    monkeypatch.setattr(cli, "SUBCOMMAND_MODULES", mods)

    def run(*args):
        try:
            rc = cli.main([str(a) for a in args])
        except SystemExit as e:
            rc = e.code
        out = capsys.readouterr()
        return rc, out.out, out.err

    return run


# ---------------------------------------------------------------------------------------------- §1.4
def test_pt_exact_labels_do_not_depend_on_arg_A():
    """The reproducer: arg A = π/4 gave ω = −0.866 and swapped E_s/E_a (a −1e-18 Im ω² flipped the branch)."""
    w = np.sqrt(0.75)
    for A in (0.5, 0.5 * np.exp(1j * np.pi / 4)):
        m = Model(a=1.0, A=A, delta=1.0)
        sp = postselect_spectrum(m)
        assert sp.phase == "PT-exact"
        assert sp.omega.imag == 0 and abs(sp.omega.real - w) < 1e-15  # Eq. 14: ω = +sqrt(δ² − Γ²)
        assert abs(sp.E_s - (-w - 1j)) < 1e-15 and abs(sp.E_a - (w - 1j)) < 1e-15
        H = non_hermitian_hamiltonian(m)
        for E, ket in ((sp.E_s, sp.ket_s), (sp.E_a, sp.ket_a)):
            assert np.max(np.abs(H @ ket - E * ket)) < 1e-15
        # the closed-form no-jump propagator of the trajectories uses the same ω² (Im ω ≥ 0)
        U = nojump_propagator(m, [2.0])[0]
        from scipy.linalg import expm

        assert np.max(np.abs(U - expm(-2j * H))) < 1e-14


@settings(max_examples=50, derandomize=True, deadline=None)
@given(
    a=st.floats(0.1, 3.0), fA=st.floats(0.0, 1.0), at=st.floats(0.0, 2.0), fAt=st.floats(0.0, 1.0),
    theta=st.floats(0.0, 2 * np.pi), phi=st.floats(0.0, 2 * np.pi), delta=st.floats(-4.0, 4.0),
)
def test_labels_and_omega_invariant_under_arg_A(a, fA, at, fAt, theta, phi, delta):
    """Rotating A and Ã by a common phase changes nothing in the spectrum; ω = sqrt(δ² − Γ²), Γ = |A + Ã|."""
    A, At = fA * a, fAt * at * np.exp(1j * phi)
    assume(all(v == 0 or abs(v) > 1e-300 for v in (A, At.real, At.imag, delta)))  # Model refuses subnormals
    Gamma = abs(A + At)
    scale = a + at + abs(delta) + Gamma
    # away from the exceptional point and from the degenerate block (T ≈ 0 next to the decay rates)
    assume_far = abs(delta**2 - Gamma**2) > 1e-6 * (delta**2 + Gamma**2) and abs(delta) + Gamma > 1e-6 * scale
    ref = postselect_spectrum(Model(a=a, A=A, a_tilde=at, A_tilde=At, delta=delta))
    rot = postselect_spectrum(Model(a=a, A=A * np.exp(1j * theta), a_tilde=at, A_tilde=At * np.exp(1j * theta), delta=delta))
    if assume_far:
        assert rot.phase == ref.phase
        expected = "PT-exact" if delta**2 > Gamma**2 else "PT-broken"
        assert ref.phase == expected
        w = np.sqrt(complex(delta**2 - Gamma**2))  # principal: real > 0 (PT-exact) or i·κ (PT-broken)
        for sp in (ref, rot):
            assert abs(sp.omega - w) <= 1e-12 * scale
            assert abs(sp.E_a - sp.E_s - 2 * w) <= 1e-12 * scale
            assert sp.E_a.imag >= sp.E_s.imag - 1e-12 * scale
    assert abs(rot.omega - ref.omega) <= 1e-12 * scale or rot.phase == "exceptional-point"


# ---------------------------------------------------------------------------------------------- §2 hang
@pytest.mark.parametrize("extra", [{}, {"Delta": 1.0}, {"Jz": 1.0}])
@pytest.mark.parametrize("kind", ["periodic", "continuous"])
def test_monitor_zero_generator_terminates(extra, kind, no_warnings):
    """a = 0 (only Δ or 𝒥z, which do not act on the |q| = 0 block) doubled the period map forever."""
    with time_limit(20):
        r = monitor(Model(a=0.0, **extra), "ud", [0.0, 1.5, 3.0], 0.1, kind=kind)
    assert np.all(r.concurrence == 0) and np.max(np.abs(r.success_probability - 1)) < 1e-15
    assert np.max(np.abs(r.populations[..., 1] - 1)) < 1e-15


def test_monitor_cli_zero_rate(magbell_cli):
    with time_limit(30):
        rc, out, err = magbell_cli("monitor", "--a", 0, "--t-max", 3, "--points", 3, "--tau-m", 0.1, "--Jz", 1, "--json")
    assert rc == 0, err
    d = json.loads(out)
    assert d["concurrence"] == [0.0, 0.0, 0.0] and d["success_probability"] == [1.0, 1.0, 1.0]


# ---------------------------------------------------------------------------------------------- §2 overflow
def test_monitor_cli_huge_dephasing_is_one_line(magbell_cli):
    rc, out, err = magbell_cli("monitor", "--a", 1, "--A", 0.5, "--d", "1e308", "--t-max", 3, "--points", 3,
                               "--tau-m", 0.1)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("magbell: error:") and "d" in err


@pytest.mark.parametrize("call", ["postselect", "subspace", "conditional", "monitor", "continuous", "trajectories"])
def test_largest_rates_give_right_numbers_at_scaled_times(call, no_warnings):
    """Rates 1e150 (the largest accepted) at t·rate = O(1) give the O(1) answer (the dynamics depends on
    rate·t only): C = tanh(2Γt) at a = |A|, δ = 0; beyond t·rate = 1e16 a one-line refusal."""
    G = 1e150
    m = Model(a=G, A=G)
    t = np.array([0.0, 0.25e-150, 1e-150])
    C = np.tanh(2 * G * t)
    f = {
        "postselect": lambda tt: postselect(m, "ud", tt).concurrence,
        "subspace": lambda tt: postselect(m, "ud", tt, scheme="subspace").concurrence,
        "conditional": lambda tt: conditional_evolve(m, "ud", tt).concurrence,
        "monitor": lambda tt: monitor(m, "ud", tt, 1e-160).concurrence,
        "continuous": lambda tt: monitor(m, "ud", tt, 1e-140, kind="continuous").concurrence,
        "trajectories": lambda tt: trajectories(m, "ud", tt, n=400, seed=3).average("no-jump").concurrence,
    }[call]
    tol = 0.02 if call == "trajectories" else (1e-6 if call in ("monitor", "continuous") else 1e-13)
    assert np.max(np.abs(f(t) - C)) < tol
    with pytest.raises(InvalidParameterError, match=r"t·‖L‖.*exceeds 1e\+16"):
        f(np.array([0.0, 1.0]))


@pytest.mark.parametrize("t_max", [1e9, 1e308])
def test_extreme_times_zero_rates_and_refusals(t_max, no_warnings):
    """Times up to 1e308: exact where nothing happens (all rates 0), else one line, never a traceback."""
    z = Model(a=0.0)
    r = postselect(z, PSI, [0.0, t_max], store_states=True)
    assert np.max(np.abs(r.states[-1] - np.outer(PSI, PSI.conj()))) < 1e-15
    assert np.all(r.log_success_probability == 0)
    m = Model(a=1.0, A=0.5, delta=0.3, d=0.1, a_tilde=0.2)
    for f in (
        lambda: monitor(m, "ud", [0.0, t_max], 0.1),
        lambda: monitor(m, "ud", [0.0, t_max], 0.1, kind="continuous"),
        lambda: monitor(z, "ud", [0.0, t_max], 0.1, kind="continuous"),
    ):
        with time_limit(20), pytest.raises(InvalidParameterError) as e:
            f()
        assert "\n" not in str(e.value)
    if t_max > 1e16:
        with pytest.raises(InvalidParameterError, match="exceeds 1e\\+16"):
            conditional_evolve(m, "ud", [0.0, t_max], forbid=["J3"])
    else:  # log P grows linearly at the slowest rate of the conditional generator: −0.42601859388303953 (mpmath)
        with time_limit(20):
            r = conditional_evolve(m, "ud", [0.0, 1e3, 2e3, t_max], forbid=["J3"], store_states=True)
        lp = r.log_success_probability
        assert abs((lp[2] - lp[1]) / 1e3 + 0.42601859388303953) < 1e-12
        assert abs(lp[3] - (lp[2] - 0.42601859388303953 * (t_max - 2e3))) < 1e-9 * abs(lp[3])
        assert np.max(np.abs(r.states[3] - r.states[2])) < 1e-12  # converged conditional state
    with time_limit(20):
        if t_max > 1e16:
            with pytest.raises(InvalidParameterError, match="exceeds 1e\\+16"):
                trajectories(m, "ud", [0.0, t_max], n=20, seed=1)
        else:
            with pytest.raises(InvalidParameterError, match="jumps (per trajectory )?expected"):
                trajectories(m, "ud", [0.0, t_max], n=20, seed=1)


def _exact_phase(Delta: float, t: float, k: int) -> complex:
    with mpmath.workprec(300):
        x = k * mpmath.mpf(Delta) * mpmath.mpf(t)
        return complex(mpmath.cos(x), mpmath.sin(x))


def test_si_units_mean_splitting_is_exact(no_warnings):
    """Δ = 1e10 against rates of 1 (SI units): Δ only multiplies |↑↑>, |↓↓> by e^{±iΔt}; the states equal the
    Δ = 0 states rotated by the exact (mpmath) phases of the float inputs, also at t = 1e5 (Δt = 1e15)."""
    kw = dict(a=1.0, A=0.5, a_tilde=0.3, A_tilde=0.2, d=0.1, Jperp=0.2, delta=0.4)
    D = 1e10
    t = np.array([0.0, 0.37, 3.0, 1e5])
    for run in (
        lambda m: postselect(m, PSI, t, store_states=True),
        lambda m: conditional_evolve(m, PSI, t[:3], forbid=["J3", "J5"], store_states=True),
    ):
        r0, r1 = run(Model(**kw)), run(Model(**kw, Delta=D))
        for k, tk in enumerate(r0.times):
            u = np.array([_exact_phase(D, tk, 1), 1, 1, _exact_phase(D, tk, -1)])
            expected = u[:, None] * r0.states[k] * u.conj()[None, :]
            assert np.max(np.abs(r1.states[k] - expected)) < 1e-12
        assert np.max(np.abs(r1.log_success_probability - r0.log_success_probability)) == 0


def test_trajectories_mean_splitting_is_exact(no_warnings):
    """The closed-form no-jump propagator applies e^{±iΔτ} with Δ·τ formed exactly: at Δ = 1e10, t = 1e9
    (Δt = 1e19, where the rounded product is off by up to 1e3 rad) the kets carry mpmath's phases."""
    from scipy.linalg import expm

    m = Model(a=1.0, A=0.5, a_tilde=0.2, delta=0.3, Delta=123.456)
    assert np.max(np.abs(nojump_propagator(m, [0.7])[0] - expm(-0.7j * non_hermitian_hamiltonian(m)))) < 1e-13
    D, t = 1e10, 1e9
    tr = trajectories(Model(a=0.0, Delta=D), "phi+", [0.0, t], n=2, seed=0)
    expected = np.array([_exact_phase(D, t, 1), 0, 0, _exact_phase(D, t, -1)]) / np.sqrt(2)
    rho = np.einsum("ni,nj->nij", tr.kets[:, 1], tr.kets[:, 1].conj())  # kets carry an arbitrary global phase
    assert np.max(np.abs(rho - np.outer(expected, expected.conj()))) < 1e-15


def test_long_times_rate_1e9_right_or_refused(no_warnings):
    """t·rate = 1e9: the PT-broken point against the closed forms (log P to 1e-12 relative), in
    milliseconds (it took ~7 minutes substep by substep); an exceptional point that far out is refused."""
    a, at, A, At = 2.5, 0.4, 1.5, 0.3
    t = np.array([0.0, 1.0, 1e8, 1e9])
    for delta in (0.0, 1.0):
        with time_limit(20):
            r = postselect(Model(a=a, a_tilde=at, A=A, A_tilde=At, delta=delta, Delta=1e10), "ud", t)
        lp = cf.log_success_probability_ud(t, a, at, 1.8, delta)
        assert np.max(np.abs(r.log_success_probability - lp) / np.maximum(1, np.abs(lp))) < 1e-12
        assert np.max(np.abs(r.concurrence - cf.concurrence_ud(t, 1.8, delta))) < 1e-12
    with time_limit(20), pytest.raises(InvalidParameterError, match="exceptional point"):
        postselect(Model(a=a, a_tilde=at, A=A, A_tilde=At, delta=1.8), "ud", [0.0, 1e9])


def test_decoupled_parts_at_long_times_keep_their_own_scale(no_warnings):
    """A = 0 with unequal local rates: |↑↓> and |↓↑> decouple and decay at different rates; from |↓↑> alone the
    state stays |↓↑> with log P = 2 Im(E_↓↑)·t exactly, at t·rate = 1e9 (the slower part must not flush it)."""
    m = Model(a=1.0, a2=3.0, a_tilde=0.5)
    E = non_hermitian_hamiltonian(m)[2, 2]
    t = np.array([0.0, 10.0, 1e9])
    r = postselect(m, "du", t)
    assert np.all(r.populations[..., 2] == 1)
    assert np.max(np.abs(r.log_success_probability - 2 * E.imag * t) / np.maximum(1, np.abs(2 * E.imag * t))) < 1e-13
    r = postselect(m, "psi+", t)  # (|ud> + |du>)/√2: the slower part wins, exactly
    slow = int(np.argmax([non_hermitian_hamiltonian(m)[i, i].imag for i in (1, 2)])) + 1
    assert r.populations[-1, slow] == 1


# ---------------------------------------------------------------------------------------------- §2 trajectories
@pytest.mark.parametrize("seed", [-1, 1.5, "abc", float("nan"), True, [1, 2]])
def test_trajectories_bad_seed(seed):
    with pytest.raises(InvalidParameterError, match="^seed must be None, a non-negative integer"):
        trajectories(Model(a=1.0), "ud", [0.0, 1.0], n=10, seed=seed)


def test_trajectories_seed_kinds_reproducible():
    m = Model(a=1.0, A=0.5)
    a = trajectories(m, "ud", [0.0, 1.0], n=50, seed=np.random.default_rng(4))
    b = trajectories(m, "ud", [0.0, 1.0], n=50, seed=np.random.SeedSequence(4))
    c = trajectories(m, "ud", [0.0, 1.0], n=50, seed=4)
    assert np.array_equal(a.kets, b.kets) and np.array_equal(a.kets, c.kets)


@pytest.mark.parametrize("n", [10**12, 0, -3, 2.5, True, "10"])
def test_trajectories_bad_n(n):
    with pytest.raises(InvalidParameterError, match="^n "):
        trajectories(Model(a=1.0), "ud", [0.0, 1.0], n=n, seed=1)


def test_trajectories_max_states_can_be_raised():
    m = Model(a=1.0)
    with pytest.raises(InvalidParameterError, match="max_states = 50"):
        trajectories(m, "ud", [0.0, 1.0], n=30, seed=1, max_states=50)
    assert trajectories(m, "ud", [0.0, 1.0], n=30, seed=1, max_states=60).n == 30


# ---------------------------------------------------------------------------------------------- §4 empty
def test_empty_sub_ensemble_is_nan_with_count_zero():
    times = np.linspace(0, 5, 11)
    tr = trajectories(Model(a=2.0, A=-1.0), "ud", times, n=100, seed=1)
    avg = tr.average("no-jump")
    empty = avg.count == 0
    assert empty[-1] and not empty[0]
    assert np.all(np.isnan(avg.concurrence[empty])) and np.all(np.isfinite(avg.concurrence[~empty]))
    assert np.all(avg.fraction[empty] == 0)
    # where trajectories are kept, the sub-ensemble is the Eq. (13) state: C = tanh(2Γt), Γ = 1
    assert np.max(np.abs(avg.concurrence[~empty] - np.tanh(2 * times[~empty]))) < 1e-12


def test_trajectories_cli_says_empty_sub_ensemble(magbell_cli):
    rc, out, err = magbell_cli("trajectories", "--a", 2, "--A", -1, "--n", 100, "--seed", 1, "--points", 5)
    assert rc == 0, err
    lines = out.splitlines()
    notes = [x for x in lines if x.startswith("# no trajectory kept")]
    assert len(notes) == 1 and "C_sel and F_bell are undefined (nan)" in notes[0] and "raise --n" in notes[0]
    assert "kept" in next(x for x in lines if not x.startswith("#")).split()
    rc, out, err = magbell_cli("trajectories", "--a", 2, "--A", -1, "--n", 100, "--seed", 1, "--points", 3, "--json")
    d = json.loads(out)
    assert d["kept"][0] == 100 and d["kept"][-1] == 0 and d["concurrence"][-1] is None


# ---------------------------------------------------------------------------------------------- §6 schemes
def test_no_jump_scheme_is_not_the_subspace_protocol_from_phi_plus():
    """From φ+ (outside the σz = 0 subspace) the default "no-jump" scheme returns a normalised state with
    P > 0, while the paper's |σ1z + σ2z| = 0 protocol ("subspace") has P = 0 (docs/postselection.md)."""
    m = Model(a=1.0, A=0.5)
    t = [0.0, 1.0]
    nj = postselect(m, "phi+", t)
    # |↓↓> decays (rate 2a in P), |↑↑> does not: P(1) = (1 + e^{−4})/2, C(1) = 2e^{−2}/(1 + e^{−4})
    assert abs(nj.success_probability[-1] - (1 + np.exp(-4)) / 2) < 1e-15
    assert abs(nj.concurrence[-1] - 2 * np.exp(-2) / (1 + np.exp(-4))) < 1e-15
    sub = postselect(m, "phi+", t, scheme="subspace")
    assert np.all(sub.success_probability == 0) and np.all(sub.log_success_probability == -np.inf)
    assert np.all(np.isnan(sub.concurrence))
    assert "not the paper's" in postselect.__doc__ and "phi+" in postselect.__doc__


# ---------------------------------------------------------------------------------------------- measures
def test_bell_fidelity_of_kets_with_uu_dd_parts():
    """The fast Bell-fidelity path added ½ assuming n_↑↓ + n_↓↑ = ‖ψ‖²; for a general ket it reported 0.589
    instead of |<b|ψ>|² = 0.25 at t = 0."""
    m = Model(a=1.0, A=0.5, Delta=3.3)
    t = [0.0, 1.0, 2.0]
    r = postselect(m, PSI, t, store_states=True)
    b = r.bell_state
    F = np.real(np.einsum("i,tij,j->t", b.conj(), r.states, b))
    assert abs(F[0] - abs(np.vdot(b, PSI)) ** 2) < 1e-15
    assert np.max(np.abs(r.bell_fidelity - F)) < 1e-14


# ---------------------------------------------------------------------------------------------- hostile
M = Model(a=1.0, A=0.5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: postselect(M, "ud", [0, 1], chunk_points=float("nan")), "chunk_points"),
        (lambda: postselect(M, "ud", [0, 1], chunk_points="abc"), "chunk_points"),
        (lambda: postselect(M, "ud", [0, 1], chunk_points=True), "chunk_points"),
        (lambda: postselect(M, "ud", [0, 1], measures=None), "measures"),
        (lambda: postselect(M, "ud", [0, 1], store_states="yes"), "store_states"),
        (lambda: postselect(M, "ud", [0, float("nan")]), "finite"),
        (lambda: postselect(M, "ud", []), "empty"),
        (lambda: postselect_spectrum(M, rtol=True), "rtol"),
        (lambda: conditional_evolve(M, "ud", [0, 1], forbid=None), "forbid"),
        (lambda: monitor(M, "ud", [0, 1], True), "tau_m"),
        (lambda: monitor(M, "ud", [0, 1], "0.1"), "tau_m"),
        (lambda: monitor(M, "ud", [0, 1], -0.1), "tau_m"),
        (lambda: monitor(M, "ud", [0, 1], float("nan")), "tau_m"),
        (lambda: monitor(M, "ud", [0, 1], 1e-320), "measurement periods"),
        (lambda: monitor(M, "ud", [0, 1], 1e-320, kind="continuous"), "tau_m must be >= 1e-150"),
        (lambda: monitor(M, "ud", [0, 1], 0.1, measures=None), "measures"),
        (lambda: monitor_sweep(M, "ud", 1.0, "abc"), "tau_m_values"),
        (lambda: trajectories(M, "ud", [0, 1], n=10, seed=1, max_events=0), "max_events"),
        (lambda: robustness(Model(a=1.0, A=1.0), strengths="abc"), "strengths"),
        (lambda: robustness(Model(a=1.0, A=1.0), strengths=[1e300]), "strengths"),
        (lambda: robustness(Model(a=1.0, A=1.0), n_samples=10**12), "max_points"),
        (lambda: robustness(Model(a=1.0, A=1.0), seed=-1), "seed"),
        (lambda: robustness(Model(a=1.0, A=1.0), t=True), "^t must"),
    ],
)
def test_hostile_arguments_one_line(call, match, no_warnings):
    with time_limit(20), pytest.raises(MagbellError, match=match) as e:
        call()
    assert "\n" not in str(e.value)


def test_smallest_normal_rates_next_to_delta_give_the_exact_bell_phase():
    """Issue 9 fix-ups: ``magbell postselect --a 3e-308 --D 1e-307 --delta 30 --A 0 --scheme subspace --initial
    psi+`` overflowed in a1/a0 (the eigenket components ~1e-310 and ~1): the Bell phase is now a product of
    unit numbers. Exact: ψ(t) = (e^{iδt}|↑↓> + e^{−iδt}|↓↑>)/√2, P = C = 1, the target (|↑↓> − i|↓↑>)/√2 set by
    the DM term's phase, F = (1 + sin 2δt)/2."""
    import warnings

    from magbell.solvers._nonhermitian import postselect_spectrum

    m = Model(a=3e-308, D_dm=1e-307, delta=30)
    t = np.array([0.0, 0.5, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sp = postselect_spectrum(m)
        r = postselect(m, "psi+", t, scheme="subspace")
    np.testing.assert_allclose(sp.bell_state, np.array([0, 1, -1j, 0]) / np.sqrt(2), atol=1e-15)
    np.testing.assert_allclose(r.bell_state, np.array([0, 1, -1j, 0]) / np.sqrt(2), atol=1e-15)
    np.testing.assert_allclose(r.success_probability, 1.0, atol=1e-14)
    np.testing.assert_allclose(r.measures["concurrence"], 1.0, atol=1e-14)
    np.testing.assert_allclose(r.measures["bell_fidelity"], (1 + np.sin(2 * 30 * t)) / 2, atol=1e-12)
