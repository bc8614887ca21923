"""Corners of the accuracy domains of docs/numerics.md ("Accuracy domains at a glance") that no other test file
checks against an independent reference, and a refusal just outside each of those domains.

References, all independent of magbell's propagation machinery (tests/systems.py imports nothing from magbell):
the dense H_eff = H − iK and the 16×16 generator built from Pauli matrices (Eqs. 1–4, S38) with ``numpy.linalg``
eigenvalues and ``scipy.linalg.expm``; the paper's closed form of the no-jump probability from |↑↓> (docs/postselection.md
§3: P = e^{−2(a+ã)t}(1 + 2Γ²S²), S = sinh(κt)/κ); Wootters' concurrence in mpmath (``systems.wootters_mp``).

Rows covered here: postselect_spectrum (two sites and N sites), conditional_evolve, monitor (two sites, both kinds,
finite temperature), trajectories (two sites), robustness, concurrence near rank deficiency. The strict xfails are
wrong numbers found while writing the table (s4_findings HD-1…3, 5, 6, 8: uniformly tiny rates, a grid point changed
by its neighbours, the Krylov estimate at rates ≪ 1, the magnon phase k·r at large separations): they pass once
fixed, and must then lose their marker (the docs/numerics.md note names them too).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

import magbell
from magbell.conditional import conditional_evolve, postselect, postselect_spectrum
from magbell.errors import InvalidParameterError

import systems as S

_PARAM_KEYS = ("a", "A", "a_tilde", "A_tilde", "d", "D_deph", "a2", "a_tilde2", "d2")
_HAM_KEYS = ("delta", "Delta", "Jz", "Jperp", "D_dm")


def heff_dense(**p) -> np.ndarray:
    """H_eff = H − iK, K = Σ_nm h_nm O_m†O_n (Eq. 12) from the Pauli matrices of tests/systems.py."""
    H = S.hamiltonian(**{k: p[k] for k in _HAM_KEYS if k in p})
    h = S.h_matrix(**{k: p[k] for k in _PARAM_KEYS if k in p})
    K = sum(h[n, m] * S.dag(S.OPS[m]) @ S.OPS[n] for n in range(6) for m in range(6))
    return H - 1j * K


def _one_line(exc) -> None:
    assert "\n" not in str(exc.value)


# ============================================================================ postselect_spectrum (two sites)
SPECTRUM_CORNERS = {
    # the exceptional point of the paper's model, and a hair either side of it
    "ep": dict(a=2.0, A=2.0, delta=2.0),
    "ep_minus": dict(a=2.0, A=2.0, delta=2.0 * (1 - 1e-6)),
    "ep_plus": dict(a=2.0, A=2.0, delta=2.0 * (1 + 1e-6)),
    # every term, complex phases, unequal local rates (ω² complex: no EP)
    "general": dict(a=1.3, a2=0.9, A=0.6 * np.exp(0.7j), a_tilde=0.2, A_tilde=0.1 * np.exp(-0.4j), d=0.3, d2=0.1,
                    D_deph=0.05, delta=0.4, Delta=3.0, Jz=0.2, Jperp=0.3, D_dm=0.1),
    # SI units: rates 1e3 /s against a splitting 1e10 rad/s
    "si": dict(a=1e3, A=0.9e3, delta=2e2, Delta=1.1e10),
    # the largest rates accepted
    "huge": dict(a=1e150, A=0.5e150, delta=1e150),
    # the smallest normal-range scale where every product stays normal
    "small": dict(a=1e-150, A=0.5e-150, delta=0.3e-150),
}


@pytest.mark.parametrize("name", list(SPECTRUM_CORNERS))
def test_postselect_spectrum_corners_against_dense_heff(name):
    p = SPECTRUM_CORNERS[name]
    sp = postselect_spectrum(magbell.Model(**p))
    Hd = heff_dense(**p)
    ref = np.linalg.eigvals(Hd[1:3, 1:3])  # the {|↑↓>, |↓↑>} block; |↑↑>, |↓↓> are its diagonal ends
    got = np.asarray(sp.eigenvalues)
    scale = np.abs(Hd).max()
    # the two middle eigenvalues against the pair, as a set: at the EP they carry sqrt(eps) of the block's scale,
    # 1e-6 from it eps·scale/separation (separation 6e-3 here) in both computations
    tol = {"ep": 3e-8, "ep_minus": 1e-11, "ep_plus": 1e-11}.get(name, 1e-13) * scale

    def key(z):
        return np.lexsort((z.real, z.imag))

    pair, refs = got[1:3][key(got[1:3])], ref[key(ref)]
    assert np.max(np.abs(pair - refs)) <= tol
    assert abs(got[0] - Hd[0, 0]) <= 1e-15 * scale and abs(got[3] - Hd[3, 3]) <= 1e-15 * scale
    # labels: E_a is the slower-decaying one (Im E_a >= Im E_s)
    assert got[2].imag >= got[1].imag
    expected_phase = {"ep": "exceptional-point", "ep_minus": "PT-broken", "ep_plus": "PT-exact", "general": "PT-broken",
                      "si": "PT-broken", "huge": "PT-exact", "small": "PT-broken"}[name]
    assert str(sp.phase) == expected_phase


@pytest.mark.parametrize("rtol", [-1e-12, float("nan"), float("inf"), True, "1e-12"])
def test_postselect_spectrum_refuses_bad_rtol_in_one_line(rtol):
    with pytest.raises(InvalidParameterError, match="rtol") as e:
        postselect_spectrum(magbell.Model(a=1.0, A=0.5), rtol=rtol)
    _one_line(e)


def test_postselect_spectrum_rates_beyond_the_model_limit_are_refused():
    with pytest.raises(InvalidParameterError) as e:
        postselect_spectrum(magbell.Model(a=2e150, A=1e150))
    _one_line(e)


def test_postselect_spectrum_is_scale_invariant_at_tiny_rates():
    s = 1e-170
    sp = postselect_spectrum(magbell.Model(a=s, A=s))
    assert str(sp.phase) == "PT-broken"
    np.testing.assert_allclose(np.asarray(sp.eigenvalues)[1:3] / s, [-2j, 0j], atol=1e-13)


@pytest.mark.parametrize("s", [1e-150, 1e-100, 1.0, 1e100, 1e150])
def test_nsite_postselect_spectrum_is_scale_invariant(s):
    """s4_findings HD-4: scipy.linalg.eig (1.17.1) mis-scales matrices of norm below ~1e-139 (and loses digits near
    1e150); the N-site postselect_spectrum took its eigenvalues from it (−3.4e-139j for −0.5e-150j)."""
    sp = postselect_spectrum(magbell.System(Delta=[0.0, 0.0], h_plus=np.array([[1.0, 0.5], [0.5, 1.0]]) * s))
    np.testing.assert_allclose(np.sort(np.asarray(sp.eigenvalues[1]).imag) / s, [-1.5, -0.5], rtol=1e-14)
    np.testing.assert_allclose(np.asarray(sp.leak_rate[1]) / s, 1.0, rtol=1e-14)


def test_nsite_postselect_spectrum_against_dense_heff():
    """Every term (h₊, h₋, h_z complex, J⊥, J_z, D, unequal Δ_i): the sector eigenvalues are the eigenvalues of the
    dense H_eff = H − iK (Pauli matrices, tests/systems.py) restricted to n excitations (basis states with n ↓)."""
    rng = np.random.default_rng(3)
    N = 3

    def psd(scale):
        X = rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))
        return scale * X @ X.conj().T / N

    def upper(scale):
        return np.triu(rng.normal(size=(N, N)), 1) * scale

    s = magbell.System(Delta=[1.0, 1.4, 0.7], h_plus=psd(1.0), h_minus=psd(0.3), h_z=psd(0.2), J_perp=upper(0.4),
                       J_z=upper(0.3), D=upper(0.2))
    H, K = S.system_h_k(s)
    Hd = H - 1j * K
    sp = postselect_spectrum(s)
    exc = np.array([bin(i).count("1") for i in range(2**N)])  # index bit 1 = ↓ = one excitation
    scale = np.abs(Hd).sum(axis=0).max()
    for n in range(N + 1):
        idx = np.flatnonzero(exc == n)
        ref = np.linalg.eigvals(Hd[np.ix_(idx, idx)])
        got = np.asarray(sp.eigenvalues[n])
        # as sets: match each computed eigenvalue to its nearest reference (nondegenerate for this draw)
        d = np.abs(got[:, None] - ref[None, :])
        assert np.all(np.sort(d.argmin(axis=1)) == np.arange(ref.size))
        assert d.min(axis=1).max() <= 1e-13 * scale


def test_spectrum_eigenframe_is_scale_invariant_at_tiny_rates():
    """𝒥⊥ ≫ the dissipator takes the eigenframe path; the rates scale with the parameters (2.19992… at every scale
    down to 1e-160; 3.988 at 1e-170)."""
    base = dict(a=1.0, A=0.5, a_tilde=0.1, d=1e3, Jperp=1e6, delta=1e5, Jz=1e4, Delta=1e7)
    rates = [float(magbell.spectrum(magbell.Model(**{k: v * s for k, v in base.items()})).slowest_rate) / s
             for s in (1.0, 1e-170)]
    assert abs(rates[1] / rates[0] - 1) <= 1e-9


# ============================================================================ conditional_evolve
def test_conditional_evolve_forbid_all_against_dense_heff_at_the_ep():
    """forbid="all" runs the 16×16 coherence-order generator path, not the ket path: compare it with
    e^{−iH_eff t} ρ0 e^{iH_eff† t} / tr from the dense Pauli H_eff, at the EP with complex phases, a mixed
    state and SI-size Δ."""
    p = dict(a=1.0, A=1.0 * np.exp(0.3j), a_tilde=0.1, A_tilde=0.1 * np.exp(0.3j), d=0.2, delta=1.1, Delta=1e4, Jz=0.3)
    rng = np.random.default_rng(11)
    rho0 = S.random_density_matrix(rng, rank=3)
    t = np.array([0.0, 0.5, 3.0, 20.0])
    r = conditional_evolve(magbell.Model(**p), rho0, t, forbid="all", store_states=True)
    # Δ commutes with H_eff: it is left out of the dense exponential (whose rounding would be eps·Δt = 4e-11)
    # and applied as the exact diagonal phase e^{−it·diag(−Δ, 0, 0, Δ)} (Δ·t exact in float64 here)
    Hd = heff_dense(**{**p, "Delta": 0.0})
    for k, tk in enumerate(t):
        U = np.exp(-1j * tk * p["Delta"] * np.array([-1.0, 0.0, 0.0, 1.0]))[:, None] * expm(-1j * Hd * tk)
        num = U @ rho0 @ U.conj().T
        P = np.trace(num).real
        assert abs(r.log_success_probability[k] - np.log(P)) <= 1e-12 * max(1.0, abs(np.log(P)))
        assert np.max(np.abs(r.states[k] - num / P)) <= 1e-12


def test_conditional_evolve_beyond_the_time_domain_is_refused():
    with pytest.raises(InvalidParameterError, match=r"t·‖L‖ .* exceeds 1e\+16") as e:
        conditional_evolve(magbell.Model(a=1.0, A=0.5), "ud", [0.0, 1e17], forbid=["J3"])
    _one_line(e)


# ============================================================================ monitor (two sites)
def _pi0_super():
    P0 = np.diag([0.0, 1.0, 1.0, 0.0]).astype(complex)
    return S.sandwich(P0, P0)


@pytest.mark.parametrize("kind, readout", [("periodic", True), ("continuous", True), ("continuous", False)])
def test_monitor_at_finite_temperature_against_dense_expm(kind, readout):
    """Periodic: projections Π0·Π0 at every multiple of τ_m, dense expm(L τ_m) in between. Continuous: one
    projection at t = 0, then expm((L − (1 − Π0⊗Π0)/τ_m) t). L from Pauli matrices; with readout a last projection
    at the reported time (a multiple of τ_m, where the periodic scheme measures anyway: so without readout only the
    continuous kind is compared). Finite temperature: weight returns from |↑↑> (where the finite rate matters)."""
    p = dict(a=1.0, A=0.7, a_tilde=0.4, A_tilde=0.2, d=0.1, delta=0.3, Jperp=0.2)
    tau = 0.25
    t = np.array([0.0, 0.5, 1.0, 2.5])
    r = magbell.monitor(magbell.Model(**p), "psi+", t, tau, kind=kind, readout=readout, store_states=True)
    L = S.reference_liouvillian(**p)
    Pi = _pi0_super()
    v0 = Pi @ S.rho_of("psi+").reshape(16)
    if kind == "periodic":
        E = expm(L * tau)
        vs = [v0]
        for _ in range(int(round(t.max() / tau))):
            vs.append(Pi @ (E @ vs[-1]))
        states = [vs[int(round(tj / tau))] for tj in t]
    else:
        G = L - (np.eye(16) - Pi) / tau
        states = [expm(G * tj) @ v0 for tj in t]
    for j, v in enumerate(states):
        rho = (Pi @ v if readout else v).reshape(4, 4)
        P = np.trace(rho).real
        assert abs(r.log_success_probability[j] - np.log(P)) <= 1e-12
        assert np.max(np.abs(r.states[j] - rho / P)) <= 1e-12


def test_monitor_too_many_periods_is_refused():
    with pytest.raises(InvalidParameterError) as e:
        magbell.monitor(magbell.Model(a=1.0, A=0.5), "ud", [0.0, 10.0], 1e-15, kind="periodic")
    _one_line(e)


# ============================================================================ trajectories (two sites)
def test_trajectories_no_jump_fraction_and_kets_at_the_ep_against_closed_forms():
    """At the EP (δ = Γ) with a thermal rate: the no-jump fraction is binomial around the closed form
    P = e^{−2(a+ã)t}(1 + 2Γ²t²) (docs/postselection.md §3, S = t at the EP), within 5σ; the no-jump kets are
    e^{−iH_eff t}|↑↓> normalised, from the dense Pauli H_eff (deterministic, 1e-12)."""
    a, at, G = 1.0, 0.25, 1.0
    p = dict(a=a, A=G, a_tilde=at, delta=G)  # Γ = |A + Ã| = 1 (Ã = 0)
    t = np.array([0.0, 0.3, 1.0, 2.0])
    n = 4000
    tr = magbell.trajectories(magbell.Model(**p), "ud", t, n=n, seed=20261202)
    avg = tr.average("no-jump")
    P = np.exp(-2 * (a + at) * t) * (1 + 2 * G**2 * t**2)
    sigma = np.sqrt(P * (1 - P) / n)
    assert np.all(np.abs(avg.fraction - P) <= 5 * sigma + 1e-15)
    Hd = heff_dense(**p)
    sel = tr.selection("no-jump")
    for k, tk in enumerate(t):
        psi = expm(-1j * Hd * tk) @ S.KETS["ud"]
        psi /= np.linalg.norm(psi)
        kets = tr.kets[sel[:, k], k]
        kets = kets / np.linalg.norm(kets, axis=1, keepdims=True)
        overlap = np.abs(kets @ psi.conj())  # phase-free comparison
        assert np.all(np.abs(overlap - 1) <= 1e-12)


def test_trajectories_beyond_the_time_domain_are_refused():
    with pytest.raises(InvalidParameterError, match=r"exceeds 1e\+16") as e:
        magbell.trajectories(magbell.Model(a=1.0, A=0.5), "ud", [0.0, 1e17], n=10, seed=0)
    _one_line(e)


def test_trajectories_are_scale_invariant_at_tiny_rates():
    """a = |A| = s, δ = 0 from |↑↓>: P(1/s) = e^{−2}(1 + 2 sinh²1) = e^{−2} cosh 2 (closed form, any s)."""
    s, n = 1e-170, 1000
    tr = magbell.trajectories(magbell.Model(a=s, A=s), "ud", [0.0, 1.0 / s], n=n, seed=3)
    P = np.exp(-2.0) * np.cosh(2.0)
    assert abs(tr.average("no-jump").fraction[-1] - P) <= 5 * np.sqrt(P * (1 - P) / n)


# ============================================================================ robustness
def _dominant_bell(Hd):
    """The slowest-decaying eigenvector of the {|↑↓>, |↓↑>} block (the asymptotic postselected state)."""
    w, V = np.linalg.eig(Hd[1:3, 1:3])
    v = V[:, np.argmax(w.imag)]
    return np.array([0.0, v[0], v[1], 0.0]) / np.linalg.norm(v)


def test_robustness_samples_against_dense_heff():
    """Every sample of the δ-noise group is the Eq. (13) state of the perturbed model at t; its fidelity to the
    unperturbed asymptotic Bell state and its concurrence agree with the dense e^{−iH_eff t}|↑↓> reference."""
    base = dict(a=1.0, A=1.0, delta=0.2)
    t = 6.0
    r = magbell.robustness(magbell.Model(**base), "ud", t=t, strengths=[0.0, 0.3], n_samples=4, groups=["delta"], seed=7)
    bell0 = _dominant_bell(heff_dense(**base))
    assert abs(abs(bell0[1]) - abs(bell0[2])) <= 1e-14  # PT-broken: maximally entangled
    for j in range(2):
        for k in range(4):
            delta = float(np.asarray(r.samples["delta"])[0, j, k])
            if j == 0:
                assert delta == base["delta"]
            psi = expm(-1j * heff_dense(**{**base, "delta": delta}) * t) @ S.KETS["ud"]
            psi /= np.linalg.norm(psi)
            assert abs(r.fidelity[0, j, k] - abs(bell0.conj() @ psi) ** 2) <= 1e-12
            assert abs(r.concurrence[0, j, k] - S.pure_concurrence(psi)) <= 1e-12


@pytest.mark.parametrize("kw", [dict(strengths=[100.5]), dict(strengths=[-0.1]), dict(n_samples=10, max_points=5)])
def test_robustness_outside_its_domain_is_refused(kw):
    kw = {"strengths": [0.1], **kw}
    with pytest.raises(InvalidParameterError) as e:
        magbell.robustness(magbell.Model(a=1.0, A=1.0), "ud", t=1.0, **kw)
    _one_line(e)


def test_robustness_is_scale_invariant_at_tiny_rates():
    out = []
    for s in (1.0, 1e-170):
        r = magbell.robustness(magbell.Model(a=s, A=0.5 * s, delta=0.3 * s), "ud", t=2.0 / s, strengths=[0.0],
                               n_samples=1, groups=["delta"], seed=1)
        out.append(float(r.concurrence.ravel()[0]))
    assert abs(out[0] - out[1]) <= 1e-12


def test_model_bound_check_at_tiny_rates():
    with pytest.raises(InvalidParameterError):
        magbell.Model(a=1e-170, a2=0.0, A=0.5e-170)


# ============================================================================ concurrence near rank deficiency
def test_concurrence_of_nearly_pure_non_x_states_against_mpmath():
    """(1 − p)|ψ><ψ| + p|φ><φ| with p from 1e-17 to 1e-12, below and above the eigenvalue floor 8·eps of
    `_wootters` (ψ, φ random, orthogonal, not X states): within 1e-14 of mpmath's textbook Wootters (measured 1.3e-15)."""
    rng = np.random.default_rng(5)
    for _ in range(6):
        psi, phi = S.random_ket(rng), S.random_ket(rng)
        phi = phi - (psi.conj() @ phi) * psi
        phi /= np.linalg.norm(phi)
        for p in (1e-17, 1e-15, 1e-12):
            rho = (1 - p) * S.proj(psi) + p * S.proj(phi)
            assert abs(float(magbell.concurrence(rho)) - S.wootters_mp(rho, 40)) <= 1e-14


@pytest.mark.parametrize("bad", [np.full((4, 4), np.nan), np.eye(3) / 3])
def test_concurrence_outside_its_domain_is_refused(bad):
    with pytest.raises(magbell.errors.InvalidStateError) as e:
        magbell.concurrence(bad)
    _one_line(e)


# ============================================================================ batches (postselect family)
@pytest.mark.parametrize("call", ["postselect", "subspace", "conditional_evolve"])
def test_a_grid_point_does_not_depend_on_its_neighbours(call):
    """The same O(1) model alone and next to a model 1e9 times faster: the results must agree to rounding
    (they differed by 1.6e-9 in C and 6.5e-8 in log P; 8.6e-7 / 2.6e-5 next to 1e12, s4_findings HD-5: substeps
    sized by the batch's largest ‖G‖₁; now per octave, backend/_scaled._march_octaves)."""
    one = dict(a=0.41215827530001, a2=2.426252388774919, A=1.0, a_tilde=0.1, delta=0.3)
    f = {"postselect": lambda m: postselect(m, "ud", [0.0, 8.0]),
         "subspace": lambda m: postselect(m, "ud", [0.0, 8.0], scheme="subspace"),
         "conditional_evolve": lambda m: conditional_evolve(m, "ud", [0.0, 8.0], forbid=["J3"])}[call]
    alone = f(magbell.Model(**one))
    batch = f(magbell.Model(**{k: np.array([v, 1e9 * v]) for k, v in one.items()}))
    assert abs(batch.concurrence[0, -1] - alone.concurrence[-1]) <= 1e-14
    assert abs(batch.log_success_probability[0, -1] - alone.log_success_probability[-1]) <= 1e-13


# ============================================================================ N-site evolve (Krylov) at small rates
def test_krylov_evolve_is_scale_invariant():
    """N = 6 takes the excitation-block Krylov path; two excitations at zero temperature (not the ket path). Rates
    scaled by 1e-20 and times by 1e20 must give the same populations (they differed by 0.12)."""
    rng = np.random.default_rng(2)
    N = 6
    X = rng.normal(size=(N, N)) + 1j * rng.normal(size=(N, N))
    hp = X @ X.conj().T / N
    Jp = np.triu(rng.normal(size=(N, N)), 1) * 0.3

    def run(s):
        system = magbell.System(Delta=np.linspace(1, 2, N) * s, h_plus=hp * s, J_perp=Jp * s)
        return magbell.evolve(system, "dduuuu", np.array([0.0, 0.7, 3.0]) / s).site_populations[-1]

    assert np.max(np.abs(run(1e-20) - run(1.0))) <= 1e-10


# ============================================================================ magnon medium closed forms at large k·r
@pytest.mark.parametrize("r", [1e8, 1e12])
def test_magnon_medium_phase_at_large_separation_right_or_refused(r):
    """1D, Ω = D_s = 1, Δ = 3: A/a = cos(√2·r) on shell (α = 0) for the float r given; mpmath reference. It was
    off by 6e-9 at r = 1e8 and 1.6e-4 at 1e12 (4e-2 at 1e15), silently: the right number or one line."""
    import mpmath

    from magbell.medium import MagnonMedium

    try:
        c = MagnonMedium(dim=1, gap=1.0, stiffness=1.0).couplings(r, 3.0)
    except InvalidParameterError as e:
        assert "\n" not in str(e)
        return
    with mpmath.workdps(60):
        exact = float(mpmath.cos(mpmath.sqrt(2) * mpmath.mpf(r)))
    got = complex(np.ravel(c.A)[0]) / float(np.ravel(c.a)[0])
    assert abs(got - exact) <= 1e-12
