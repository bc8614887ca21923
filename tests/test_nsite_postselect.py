"""N-site postselected evolution, excitation monitoring and the non-Hermitian spectrum (issue 11 §4).

Which jumps a postselection excludes: σ⁺ (h_plus) and σ⁻ (h_minus) jumps change the excitation number, σᶻ
(h_z) jumps do not. ``scheme="subspace"`` (Σσᶻ monitored, its value postselected) keeps the σᶻ jumps,
``"no-jump"`` excludes every jump. References from scratch: H_eff = H − i Σ_ij h_ij O_j†O_i from Pauli
matrices and ``scipy.linalg.expm`` of the conditional generator; N = 2 must equal the two-qubit
``postselect``/``conditional_evolve`` to machine precision (1e-13 on states and log P).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

import magbell
from magbell import InvalidParameterError, InvalidStateError, Model, System
from magbell.conditional import conditional_evolve, postselect, postselect_spectrum
from magbell.solvers._system_conditional import (
    system_conditional_evolve,
    system_postselect,
    system_postselect_spectrum,
)

from systems import system_h_k
from test_nsite_steady import op, psd, ref_generator, upper

TIMES = np.linspace(0.0, 3.0, 7)
MODELS = [dict(a=1.0, A=0.5j, delta=0.3, Delta=2.0, a_tilde=0.2, d=0.1),
          dict(a=2.0, A=2.0, delta=2.0),  # the exceptional point
          dict(a=1.0, A=0.7, a_tilde=0.3, Delta=1e10, d=0.2, D_deph=0.1, Jperp=0.4, Jz=0.2, D_dm=0.1)]


def ref_heff(s: System) -> np.ndarray:
    H, K = system_h_k(s)
    return H - 1j * K


@pytest.mark.parametrize("kw", MODELS)
def test_two_sites_equal_the_two_qubit_postselect(kw):
    m = Model(**kw)
    s = m.system()
    for scheme in ("no-jump", "subspace"):
        for ini in ("ud", "phi+", "singlet"):
            if scheme == "subspace" and ini == "phi+":
                continue  # the two-qubit subspace is n = 1; here the outcome follows the initial state
            r = system_postselect(s, ini, TIMES, scheme=scheme, store_states=True)
            r2 = postselect(m, ini, TIMES, scheme=scheme, store_states=True, measures=["concurrence"])
            assert np.abs(r.states - r2.states).max() < 1e-13
            assert np.abs(r.log_success_probability - r2.log_success_probability).max() < 1e-13
            assert np.abs(r.success_probability - r2.success_probability).max() < 1e-13
    for f1, f2 in ((["h_plus"], ["J3", "J4"]), (["h_minus"], ["J1", "J2"]), (["h_z"], ["J5", "J6"]), ("all", "all"), ([], [])):
        r = system_conditional_evolve(s, "phi+", TIMES, forbid=f1, store_states=True, measures=["concurrence"])
        r2 = conditional_evolve(m, "phi+", TIMES, forbid=f2, store_states=True, measures=["concurrence"])
        assert np.abs(r.states - r2.states).max() < 1e-13
        assert np.abs(r.log_success_probability - r2.log_success_probability).max() < 1e-13
        assert np.abs(r.concurrence - r2.concurrence).max() < 1e-12


def _three_site(rng, hz=True):
    kw = dict(Delta=[1.0, 1.3, 0.8], h_plus=psd(rng, 3), h_minus=psd(rng, 3, scale=0.3), J_perp=upper(rng, 3, 0.4),
              J_z=upper(rng, 3, 0.3), D=upper(rng, 3, 0.3))
    if hz:
        kw["h_z"] = psd(rng, 3, scale=0.4)
    return System(**kw)


def test_no_jump_against_dense_heff():
    rng = np.random.default_rng(11)
    s = _three_site(rng)
    He = ref_heff(s)
    ket = rng.normal(size=8) + 1j * rng.normal(size=8)
    ket /= np.linalg.norm(ket)
    r = system_postselect(s, ket, TIMES, store_states=True)
    for k, t in enumerate(TIMES):
        psi = expm(-1j * He * t) @ ket
        p = np.vdot(psi, psi).real
        assert r.log_success_probability[k] == pytest.approx(np.log(p), abs=1e-12)
        assert np.abs(r.states[k] - np.outer(psi, psi.conj()) / p).max() < 1e-12


def test_subspace_keeps_the_dephasing_jumps():
    """Σσᶻ monitored: the σ± jumps are excluded, the σᶻ jumps are not (they do not change the outcome). Reference:
    the dense Lindbladian with the σ± re-entry terms removed, restricted to the sector, from Π_n ρ₀ Π_n."""
    rng = np.random.default_rng(12)
    s = _three_site(rng)
    N, n = 3, 1
    sector = [i for i in range(8) if bin(i).count("1") == n]
    Lz = ref_generator(s)
    for h, name in ((s.h_plus, "+"), (s.h_minus, "-")):
        O = [op(name, i, N) for i in range(N)]
        for i in range(N):
            for j in range(N):
                Lz = Lz - 2 * h[i, j] * np.kron(O[i], O[j].conj())
    idx = np.array([a * 8 + b for a in sector for b in sector])
    Ls = Lz[np.ix_(idx, idx)]
    rho0 = np.zeros((8, 8), complex)
    psi = np.zeros(8, complex)
    psi[[1, 2, 4, 0]] = [0.6, 0.48j, 0.36, 0.52]  # weight outside the sector (|uuu>): projected away, in P
    psi /= np.linalg.norm(psi)
    rho0 = np.outer(psi, psi.conj())
    r = system_postselect(s, rho0, TIMES, scheme="subspace", excitations=1, store_states=True)
    assert r.excitations == 1
    for k, t in enumerate(TIMES):
        x = expm(Ls * t) @ rho0[np.ix_(sector, sector)].reshape(-1)
        tr = np.trace(x.reshape(3, 3)).real
        assert r.log_success_probability[k] == pytest.approx(np.log(tr), abs=1e-12)
        assert np.abs(r.states[k][np.ix_(sector, sector)] - x.reshape(3, 3) / tr).max() < 1e-12
    # collective dephasing is blind to the sector (J ∝ Σσᶻ = N − 2n there): P stays at tr Π_n ρ₀ in "subspace",
    # while "no-jump" also forbids those jumps and loses probability at rate 2·(N − 2n)²·d
    sd = System(Delta=[1.0] * 3, h_z=0.25 * np.ones((3, 3)), J_perp=upper(rng, 3, 0.5))
    a = system_postselect(sd, "W", TIMES, scheme="subspace")
    b = system_postselect(sd, "W", TIMES, scheme="no-jump")
    assert np.allclose(a.log_success_probability, 0.0, atol=1e-13)
    assert np.allclose(b.log_success_probability, -2 * 0.25 * 1 * TIMES, atol=1e-12)


def test_conditional_evolve_without_forbidden_channels_is_evolve():
    rng = np.random.default_rng(13)
    s = _three_site(rng)
    r = system_conditional_evolve(s, "duu", TIMES, forbid=[], store_states=True)
    e = magbell.system.evolve_system(s, "duu", TIMES, store_states=True)
    assert np.abs(r.states - e.states).max() < 1e-12
    assert np.allclose(r.log_success_probability, 0.0, atol=1e-13)


def test_log_success_probability_exact_at_long_times():
    """All sites excited: a one-state sector, P(t) = e^{−2 Σ a_i t} (the couplings only shift its energy); log P
    exact at t = 1e6 where P underflows. One excitation among N − 1 dark kets keeps P → 1 − 1/N."""
    N = 4
    a = np.array([0.5, 0.7, 0.2, 1.1])
    rng = np.random.default_rng(5)
    s = System(Delta=[1e10] * N, h_plus=np.diag(a) + 0.1 * np.ones((N, N)), J_perp=upper(rng, N, 0.3),
               J_z=upper(rng, N, 0.3))
    t = np.array([0.0, 1.0, 1e3, 1e6])
    r = system_postselect(s, "dddd", t)
    assert np.allclose(r.log_success_probability, -2 * (a + 0.1).sum() * t, rtol=1e-12, atol=1e-13)
    assert r.success_probability[-1] == 0.0 and np.isfinite(r.log_success_probability[-1])
    sd = System(Delta=[1e10] * N, h_plus=0.5 * np.ones((N, N)))
    r = system_postselect(sd, "d" + "u" * (N - 1), t, scheme="subspace")
    # rounding grows with the ~3·10⁴ renormalised substeps to t·‖H_eff‖ = 4e6 (docs/postselection.md)
    assert r.success_probability[2] == pytest.approx(1 - 1 / N, abs=1e-13)
    assert r.success_probability[-1] == pytest.approx(1 - 1 / N, abs=1e-10)
    assert r.site_populations.shape == (4, N)


def test_shapes_and_zero_probability():
    s = System(Delta=[[1.0] * 3, [2.0] * 3], h_plus=np.eye(3))
    r = system_postselect(s, ["duu", "W"], TIMES, measures=["purity", "pair_concurrence"], store_states=True)
    assert r.success_probability.shape == (2, 2, 7) and r.site_populations.shape == (2, 2, 7, 3)
    assert r.measures["pair_concurrence"].shape == (2, 2, 7, 3, 3) and r.states.shape == (2, 2, 7, 8, 8)
    r = system_postselect(s[0], "uuu", TIMES, scheme="subspace", excitations=1)
    assert np.all(r.success_probability == 0) and np.all(np.isneginf(r.log_success_probability))
    assert np.all(np.isnan(r.site_populations))


def test_bad_inputs():
    s = System(Delta=[1.0] * 3, h_plus=np.eye(3))
    with pytest.raises(InvalidParameterError, match="scheme"):
        system_postselect(s, "duu", TIMES, scheme="jump")
    with pytest.raises(InvalidParameterError, match="excitations"):
        system_postselect(s, "duu", TIMES, scheme="subspace", excitations=4)
    with pytest.raises(InvalidStateError, match="several excitation sectors"):
        system_postselect(s, {"uuu": 0.6, "duu": 0.8}, TIMES, scheme="subspace")
    with pytest.raises(InvalidParameterError, match="forbid"):
        system_conditional_evolve(s, "duu", TIMES, forbid=["J1"])
    with pytest.raises(InvalidParameterError, match="times"):
        system_postselect(s, "duu", [-1.0])
    with pytest.raises(InvalidParameterError, match="magbell.System"):
        system_conditional_evolve(Model(a=1.0), "ud", TIMES)
    with pytest.raises(InvalidParameterError, match="exceeds"):
        system_postselect(s, "duu", [1e17])


def test_spectrum_exceptional_points_two_sites():
    """N = 2: the exceptional point of the two-qubit PT classification (δ = Γ) and only there."""
    m = Model(a=2.0, A=2.0, delta=[0.0, 2.0, 2.0 * (1 + 1e-6), 5.0])
    sp = system_postselect_spectrum(m.system())
    sp2 = postselect_spectrum(m)
    assert sp.exceptional_point[1].tolist() == [False, True, False, False]
    assert (sp2.phase == "exceptional-point").tolist() == [False, True, False, False]
    ev = sp.eigenvalues[1]
    ref = np.stack([sp2.E_s, sp2.E_a], axis=-1)
    d = np.abs(ev[..., :, None] - ref[..., None, :])
    assert max(d.min(axis=-1).max(), d.min(axis=-2).max()) < 1e-7  # sqrt(eps) at the EP
    assert np.allclose(sp.leak_rate[1], sp2.leak_rate, rtol=1e-7)
    assert not sp.exceptional_point[0].any() and not sp.exceptional_point[2].any()


def test_spectrum_semisimple_degeneracy_is_not_an_ep():
    """All-ones collective decay: N − 1 degenerate dark modes (semisimple, orthogonal kets) are no EP; the
    eigenvalues equal the dense H_eff's."""
    N = 4
    s = System(Delta=[1.0] * N, h_plus=0.5 * np.ones((N, N)))
    sp = system_postselect_spectrum(s, excitations=[1, 2])
    assert sp.sectors == (1, 2) and not sp.exceptional_point[1] and not sp.exceptional_point[2]
    He = ref_heff(s)
    idx = [i for i in range(2**N) if bin(i).count("1") == 1]
    ref = np.linalg.eigvals(He[np.ix_(idx, idx)])
    d = np.abs(sp.eigenvalues[1][:, None] - ref[None, :])
    assert d.min(axis=1).max() < 1e-12
    assert sp.leak_rate[1] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InvalidParameterError, match="excitations"):
        system_postselect_spectrum(s, excitations=[5])
    # the public function passes excitations= on (a Model given with it is its System)
    pub = postselect_spectrum(s, excitations=[1, 2])
    assert pub.sectors == (1, 2) and np.array_equal(pub.eigenvalues[1], sp.eigenvalues[1])
    m = Model(a=1.0, A=0.5, delta=0.3)
    assert np.array_equal(postselect_spectrum(m, excitations=1).eigenvalues[1],
                          system_postselect_spectrum(m.system(), excitations=1).eigenvalues[1])


def test_rounding_floor_is_refused():
    """W under all-ones collective decay is exactly the superradiant mode (P = e^{−2Na t}) and orthogonal to the
    N − 1 dark modes; rounding leaves ~eps in them, which float64 cannot tell from a genuine weight: at t = 1e3
    the propagation returned log P = −73.2 (exact −4000; the two-qubit postselect gives −73.4 from the triplet
    at a = |A|). Now: exact where P is far above that floor, refused in one line where it is not."""
    N = 4
    s = System(Delta=[1e10] * N, h_plus=0.5 * np.ones((N, N)))
    t = np.arange(0.0, 11.0)
    r = system_postselect(s, "W", t)
    assert np.allclose(r.log_success_probability, -4 * t, rtol=0, atol=1e-8)
    with pytest.raises(InvalidParameterError, match="rounding") as e:
        system_postselect(s, "W", [0.0, 1.0, 1e3])
    assert "\n" not in str(e.value)
    with pytest.raises(InvalidParameterError, match="rounding"):
        system_conditional_evolve(s, "W", [0.0, 1e3])


def test_public_functions_dispatch_on_system():
    """magbell.postselect / conditional.conditional_evolve / postselect_spectrum take an N-site System;
    ``excitations=`` is refused for the two-qubit Model in one line."""
    s = System(Delta=[1.0] * 3, h_plus=np.ones((3, 3)), h_minus=0.1 * np.eye(3))
    r = magbell.postselect(s, "uuu", TIMES, scheme="subspace", excitations=1)
    assert r.excitations == 1 and np.all(r.success_probability == 0)
    a = magbell.postselect(s, "W", TIMES)
    assert np.array_equal(a.log_success_probability, system_postselect(s, "W", TIMES).log_success_probability)
    c = conditional_evolve(s, "W", TIMES, forbid=["h_plus"])
    assert np.array_equal(c.log_success_probability,
                          system_conditional_evolve(s, "W", TIMES, forbid=["h_plus"]).log_success_probability)
    assert postselect_spectrum(s).sectors == (0, 1, 2, 3)
    with pytest.raises(InvalidParameterError, match="excitations applies to an N-site System"):
        magbell.postselect(Model(a=1.0), "ud", TIMES, excitations=1)


def test_to_xarray_labels_the_site_axes():
    pytest.importorskip("xarray")
    s = System(Delta=[[1.0] * 3] * 2, h_plus=np.eye(3))
    ds = magbell.postselect(s, ["duu", "W"], [0.0, 1.0], measures=["pair_concurrence", "site_populations"]).to_xarray()
    assert ds["pair_concurrence"].dims == ("dim_0", "initial", "t", "site", "site_j")
    assert ds["site_populations"].dims == ("dim_0", "initial", "t", "site")
    ds = magbell.steady_state(s, ["duu", "W"]).to_xarray()
    assert ds["site_populations"].dims == ("dim_0", "initial", "site") and ds["n_stationary"].dims == ("dim_0",)
    r = magbell.postselect(s[0], "W", [0.0, 1.0])
    assert r.model is r.system and r.shape == ()
