"""The backend seam (issue 10 §3) for the solvers test_backend.py does not cover: monitor, trajectories and the
N-site evolve (dense sector blocks for N ≤ 5, Krylov excitation blocks above), two-site and N-site; the N-site
steady state (dense, and the excitation blocks of N > 8), spectrum, postselect and conditional_evolve;
monitor_sweep and robustness; dark_states, conserved_quantities and postselect_spectrum (the backend's svd and
eig(left=True); these two return arrays, so only postselect_spectrum records the name).

For each: a fake backend registered in the one registry is CALLED (counted per function), gives the NumPy
numbers bit for bit when it only delegates, CHANGES the result when one of its kernels is perturbed (so the seam
is not decorative), and its name is recorded in ``result.backend``; an unknown name is one line naming
``backend``. That the default equals the code before the seam bit for bit was checked once against the tree
before it (commit 6432ed6; 20 outputs: N = 8 finite-T evolve, N = 6 ket path, N = 3 evolve/monitor/trajectories,
two-site monitor in both kinds and trajectories from pure and mixed states) — here the default is compared with
the backend that delegates to the NumPy one.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import magbell
from systems import sinc_chain_blocks  # noqa: E402  (tests/systems.py)
from magbell.backend import BACKENDS, Backend, NumpyBackend, register_backend
from magbell.conditional import monitor, trajectories

_METHODS = ("expm", "scaled_expm", "propagate", "is_uniform", "stationary_blocks", "kernel_projector", "eig", "svd",
            "eigvals", "eigh", "solve")


class FakeBackend:
    """Delegates every protocol function to NumpyBackend, counts the calls, and applies ``self.perturb[name]``
    (a function of the output) where set."""

    name = "fake"

    def __init__(self):
        self.calls = collections.Counter()
        self.perturb = {}
        self._np = NumpyBackend()


def _method(name):
    def f(self, *a, **k):
        self.calls[name] += 1
        out = getattr(self._np, name)(*a, **k)
        return self.perturb[name](out) if name in self.perturb else out

    f.__name__ = name
    return f


for _m in _METHODS:  # class attributes, so that isinstance(., Backend) holds however the protocol is checked
    setattr(FakeBackend, _m, _method(_m))


@pytest.fixture
def fake():
    bk = FakeBackend()
    assert isinstance(bk, Backend)
    register_backend(bk)
    yield bk
    BACKENDS.pop("fake", None)


def _same(a, b):
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


MODEL = magbell.Model(a=1.0, A=0.6 + 0.2j, a_tilde=0.3, A_tilde=0.1, delta=0.4, Delta=3.0, d=0.2, Jz=0.3)
T = np.linspace(0.0, 2.0, 9)
S3 = magbell.System(Delta=[1.0, 1.3, 0.8], h_plus=np.array([[1, .3, .1], [.3, .8, .2], [.1, .2, .9]]),
                    h_minus=0.2 * np.eye(3), h_z=0.1 * np.eye(3), J_perp=np.triu(np.full((3, 3), .4), 1),
                    D=np.triu(np.full((3, 3), .1), 1))


def _chain(N, ratio):
    return magbell.System(**sinc_chain_blocks(N, ratio))


def _twice(c):  # 2^c·E → 2^(c+1)·E: every exponential doubled
    E, e = c
    return E, e + 1


# ------------------------------------------------------------------------------ monitor
#: ‖L‖·τ_m > 150 (‖L‖₁ = 10.6 for MODEL, 13.2 for S3's blocks): the long-period map built from two-part substeps
T_LONG = np.array([0.0, 0.5, 40.0, 95.0, 130.0])


@pytest.mark.parametrize("kind,tau,t", [("periodic", 0.05, T), ("periodic", 40.0, T_LONG), ("continuous", 0.05, T)])
def test_monitor_two_site(fake, kind, tau, t):
    ref = monitor(MODEL, ["ud", "singlet"], t, tau, kind=kind, readout=False, store_states=True)
    r = monitor(MODEL, ["ud", "singlet"], t, tau, kind=kind, readout=False, store_states=True, backend="fake")
    assert fake.calls["scaled_expm"] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    _same(r.states, ref.states)
    _same(r.log_success_probability, ref.log_success_probability)
    fake.perturb["scaled_expm"] = _twice
    bad = monitor(MODEL, ["ud", "singlet"], t, tau, kind=kind, readout=False, backend="fake")
    assert np.all(bad.log_success_probability[:, 1:] > ref.log_success_probability[:, 1:] + 0.5)


@pytest.mark.parametrize("kind,tau,t", [("periodic", 0.05, T), ("periodic", 40.0, T_LONG), ("continuous", 0.3, T)])
def test_monitor_n_site(fake, kind, tau, t):
    ref = monitor(S3, "udu", t, tau, kind=kind, readout=False, store_states=True)
    r = monitor(S3, "udu", t, tau, kind=kind, readout=False, store_states=True, backend="fake")
    assert fake.calls["scaled_expm"] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    _same(r.states, ref.states)
    _same(r.log_success_probability, ref.log_success_probability)
    fake.perturb["scaled_expm"] = _twice
    bad = monitor(S3, "udu", t, tau, kind=kind, readout=False, backend="fake")
    assert np.all(bad.log_success_probability[1:] > ref.log_success_probability[1:] + 0.5)


# ------------------------------------------------------------------------------ trajectories
@pytest.mark.parametrize("initial", ["ud", np.diag([0.1, 0.2, 0.3, 0.4])])
def test_trajectories_two_site(fake, initial):
    ref = trajectories(MODEL, initial, T, n=200, seed=7)
    r = trajectories(MODEL, initial, T, n=200, seed=7, backend="fake")
    assert fake.calls["eigh"] == 1 and r.backend == "fake" and ref.backend == "numpy"
    _same(r.kets, ref.kets)
    _same(r.jump_times, ref.jump_times)
    # an eigh whose eigenvalues come back reversed: another initial ket is sampled, the kets change
    fake.perturb["eigh"] = lambda pv: (pv[0][::-1].copy(), pv[1])
    bad = trajectories(MODEL, initial, T, n=200, seed=7, backend="fake")
    assert np.max(np.abs(np.abs(bad.kets[:, 0]) - np.abs(ref.kets[:, 0]))) > 0.5


def test_trajectories_n_site_eigen_propagator(fake):
    ref = trajectories(S3, "udu", T, n=100, seed=5)
    r = trajectories(S3, "udu", T, n=100, seed=5, backend="fake")
    assert set(r.info["propagators"].values()) >= {"eig"}
    assert fake.calls["eig"] >= 1 and fake.calls["solve"] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    _same(r.kets, ref.kets)
    fake.perturb["eig"] = lambda wv: (wv[0] * 1.5, wv[1])  # eigenvalues off: another no-jump propagation
    bad = trajectories(S3, "udu", T, n=100, seed=5, backend="fake")
    assert not np.allclose(bad.kets[:, -1], ref.kets[:, -1])


def test_trajectories_n_site_exceptional_point_and_mixed_state(fake):
    s = magbell.Model(a=1.0, A=1.0, delta=1.0, a_tilde=0.2).system()  # δ = Γ: the scaled Padé fallback
    rho0 = np.diag([0.1, 0.5, 0.3, 0.1]).astype(complex)
    ref = trajectories(s, rho0, T, n=100, seed=4)
    r = trajectories(s, rho0, T, n=100, seed=4, backend="fake")
    assert r.info["propagators"][1] == "expm"
    assert fake.calls["scaled_expm"] >= 1 and fake.calls["eigh"] >= 1 and r.backend == "fake"
    _same(r.kets, ref.kets)
    fake.perturb["scaled_expm"] = lambda Ec: (Ec[0].conj(), Ec[1])
    bad = trajectories(s, rho0, T, n=100, seed=4, backend="fake")
    assert not np.allclose(bad.kets, ref.kets)


# ------------------------------------------------------------------------------ N-site evolve
def test_evolve_n_site_dense_blocks(fake):
    ref = magbell.evolve(S3, ["udu", "W"], T, store_states=True)
    r = magbell.evolve(S3, ["udu", "W"], T, store_states=True, backend="fake")
    assert fake.calls["propagate"] >= 1 and fake.calls["is_uniform"] >= 1
    assert r.backend == "fake" and ref.backend == "numpy"
    _same(r.states, ref.states)
    fake.perturb["propagate"] = np.zeros_like
    bad = magbell.evolve(S3, "udu", T, backend="fake")
    assert np.all(bad.site_populations == 0)


@pytest.mark.parametrize("ratio", [0.0, 0.5])  # zero temperature: the one-excitation ket; finite: the block chains
def test_evolve_n_site_krylov(fake, ratio):
    s, t = _chain(6, ratio), T[:4]
    ref = magbell.evolve(s, "duuuuu", t, store_states=True)
    r = magbell.evolve(s, "duuuuu", t, store_states=True, backend="fake")
    assert fake.calls["expm"] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    _same(r.states, ref.states)
    # a column-dependent error: a uniform factor (1 + 1e-3) is undone since the q = 0 chains are divided by their
    # computed trace at every output time (6444559), so it no longer shows that the kernel is used
    fake.perturb["expm"] = lambda E: E * (1 + 1e-3 * np.arange(E.shape[-1]))
    bad = magbell.evolve(s, "duuuuu", t, backend="fake")
    assert not np.allclose(bad.site_populations, ref.site_populations, rtol=0, atol=1e-6)


def test_pair_states_and_evolve_system_record_the_default():
    assert magbell.system.evolve_system(S3, "udu", T).backend == "numpy"
    assert magbell.evolve(_chain(6, 0.0), "duuuuu", T[:3]).backend == "numpy"


# ------------------------------------------------------------------------------ N-site steady state and spectrum
def _scale_projector(P):  # (P0, mask, U, V): the projector off by 1e-9 (still within the state checks)
    return (P[0] * (1 + 1e-9),) + tuple(P[1:])


def test_steady_state_n_site(fake):
    ref = magbell.steady_state(S3, ["udu", "W"])
    r = magbell.steady_state(S3, ["udu", "W"], backend="fake")
    assert fake.calls["kernel_projector"] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    _same(r.rho, ref.rho)
    fake.perturb["kernel_projector"] = _scale_projector
    bad = magbell.steady_state(S3, ["udu", "W"], backend="fake")
    assert not np.array_equal(bad.rho, ref.rho) and np.allclose(bad.rho, ref.rho, rtol=0, atol=1e-8)


def test_steady_state_n_site_dark_pairs_and_spectrum(fake):
    s = _chain(4, 0.0)  # zero temperature, no σᶻ jumps: dim ker from the dark pairs (eigvals of H_eff per sector)
    ref, sref = magbell.steady_state(s, ["uddu", "W"]), magbell.spectrum(s)
    r, sp = magbell.steady_state(s, ["uddu", "W"], backend="fake"), magbell.spectrum(s, backend="fake")
    assert fake.calls["eigvals"] >= 1 and r.backend == "fake" and sp.backend == "fake" and sref.backend == "numpy"
    _same(r.rho, ref.rho)
    _same(r.n_stationary, ref.n_stationary)
    _same(sp.eigenvalues, sref.eigenvalues)
    _same(sp.collective_eigenvalues, sref.collective_eigenvalues)
    fake.perturb["eigvals"] = lambda w: w * (1 + 1e-3)
    bad = magbell.spectrum(s, backend="fake")
    assert not np.allclose(bad.collective_eigenvalues, sref.collective_eigenvalues, rtol=1e-6, atol=0)
    fake.perturb["eigvals"] = lambda w: w.real + 0j  # every mode undamped: another kernel dimension
    assert magbell.steady_state(s, "uddu", backend="fake").n_stationary != ref.n_stationary


@pytest.mark.parametrize("hz", [0.0, 0.1])  # the one-excitation limit (dark kets: eigh); the blocks' projector
def test_steady_state_n_site_blocks(fake, hz):
    s = magbell.System(Delta=np.ones(9), h_plus=np.ones((9, 9)), h_z=hz * np.eye(9))  # N = 9 > 8: excitation blocks
    ref = magbell.steady_state(s, "duuuuuuuu")
    r = magbell.steady_state(s, "duuuuuuuu", backend="fake")
    kernel = "kernel_projector" if hz else "eigh"
    assert fake.calls[kernel] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    assert hz or fake.calls["svd"] >= 1  # the one-excitation dark subspace
    _same(r.site_populations, ref.site_populations)
    fake.perturb[kernel] = _scale_projector if hz else (lambda wv: (wv[0], 0 * wv[1]))
    bad = magbell.steady_state(s, "duuuuuuuu", backend="fake")
    assert not np.array_equal(bad.site_populations, ref.site_populations)


# ------------------------------------------------------------------------------ N-site postselect, conditional_evolve
def _doubled(XL):  # the scaled propagator's states doubled: P twice (density) or four times (kets) larger
    X, L = XL
    return (tuple(2 * x for x in X) if isinstance(X, tuple) else 2 * X), L


@pytest.mark.parametrize("call,factor", [  # kets (no-jump) or the density matrix (σᶻ jumps kept)
    (lambda **k: magbell.postselect(S3, ["udu", "W"], T, store_states=True, **k), 4),
    (lambda **k: magbell.postselect(S3, "udu", T, scheme="subspace", store_states=True, **k), 2),
    (lambda **k: magbell.conditional_evolve(S3, ["udu", "W"], T, forbid=["h_plus"], store_states=True, **k), 2),
], ids=["no-jump", "subspace", "conditional_evolve"])
def test_postselect_n_site(fake, call, factor):
    ref, r = call(), call(backend="fake")
    assert fake.calls["propagate"] >= 1 and fake.calls["eigvals"] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    _same(r.states, ref.states)
    _same(r.log_success_probability, ref.log_success_probability)
    fake.perturb["propagate"] = _doubled
    bad = call(backend="fake")
    np.testing.assert_allclose(bad.log_success_probability[..., 1:], ref.log_success_probability[..., 1:] + np.log(factor),
                               rtol=0, atol=1e-12)


def test_postselect_n_site_mixed_state_factor(fake):
    rho0 = np.diag(np.arange(1, 9) / 36.0)
    ref = magbell.postselect(S3, rho0, T, store_states=True)
    r = magbell.postselect(S3, rho0, T, store_states=True, backend="fake")
    assert fake.calls["eigh"] == 1 and r.backend == "fake"
    _same(r.states, ref.states)
    fake.perturb["eigh"] = lambda pv: (pv[0], pv[1][..., ::-1])  # weights paired with the wrong kets
    bad = magbell.postselect(S3, rho0, T, store_states=True, backend="fake")
    assert not np.allclose(bad.states[..., 0, :, :], ref.states[..., 0, :, :])


# ------------------------------------------------------------------------------ monitor_sweep, robustness
def test_monitor_sweep(fake):
    from magbell.conditional import monitor_sweep

    ref = monitor_sweep(MODEL, "ud", 1.0, [0.1, 0.01])
    r = monitor_sweep(MODEL, "ud", 1.0, [0.1, 0.01], backend="fake")
    assert fake.calls["scaled_expm"] >= 1 and fake.calls["propagate"] >= 1
    assert r["backend"] == "fake" and ref["backend"] == "numpy"
    for k in ("concurrence", "bell_fidelity", "log_success_probability"):
        _same(r[k], ref[k])
    _same(r["limit"]["success_probability"], ref["limit"]["success_probability"])
    fake.perturb["scaled_expm"] = _twice
    bad = monitor_sweep(MODEL, "ud", 1.0, [0.1, 0.01], backend="fake")
    assert np.all(bad["log_success_probability"] > ref["log_success_probability"] + 0.5)


def test_robustness(fake):
    from magbell.conditional import robustness

    kw = dict(t=5.0, strengths=[0.0, 0.1], n_samples=4, groups=["delta"])
    ref = robustness(magbell.Model(a=1.0, A=1.0), **kw)
    r = robustness(magbell.Model(a=1.0, A=1.0), backend="fake", **kw)
    assert fake.calls["propagate"] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    _same(r.fidelity, ref.fidelity)
    _same(r.log_success_probability, ref.log_success_probability)
    fake.perturb["propagate"] = _doubled
    bad = robustness(magbell.Model(a=1.0, A=1.0), backend="fake", **kw)
    np.testing.assert_allclose(bad.log_success_probability, ref.log_success_probability + np.log(4), rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------ dark states, conserved quantities, H_eff spectrum
BELL = magbell.Model(a=1.0, A=1.0)  # two dark kets (|↓↓> and the singlet)
EP2 = magbell.Model(a=1.0, A=1.0, delta=1.0, a_tilde=0.2).system()  # δ = Γ: an exceptional point in sector 1


def _svd_zero(r):  # every singular value 0: every jump row and H-residual "vanishes"
    return (r[0], 0 * r[1], r[2]) if isinstance(r, tuple) else 0 * r


@pytest.mark.parametrize("system", [BELL, _chain(4, 0.0)], ids=["two-site", "N=4"])
def test_dark_states(fake, system):
    ref = magbell.dark_states(system)
    r = magbell.dark_states(system, backend="fake")
    assert fake.calls["svd"] >= 1 and fake.calls["eigh"] >= 1 and 0 < len(ref) < ref.shape[1]
    _same(r, ref)
    fake.perturb["svd"] = _svd_zero  # the common kernel becomes everything: every basis ket is "dark"
    assert len(magbell.dark_states(system, backend="fake")) == ref.shape[1]


@pytest.mark.parametrize("system,kernel", [(MODEL, "stationary_blocks"), (BELL, "stationary_blocks"),
                                           (S3, "kernel_projector")], ids=["two-site", "two-site-dark", "N=3"])
def test_conserved_quantities(fake, system, kernel):
    ref = magbell.conserved_quantities(system)
    r = magbell.conserved_quantities(system, backend="fake")
    assert fake.calls["svd"] >= 1 and fake.calls[kernel] >= 1 and len(ref) >= 1
    _same(r, ref)
    fake.perturb["svd"] = lambda r: (r[0], r[1], r[2][::-1].copy())  # rows paired with the wrong singular values
    bad = magbell.conserved_quantities(system, backend="fake")
    assert bad.shape != ref.shape or not np.allclose(bad, ref, rtol=0, atol=1e-6)


def test_postselect_spectrum_n_site(fake):
    ref = magbell.postselect_spectrum(EP2)
    r = magbell.postselect_spectrum(EP2, backend="fake")
    assert fake.calls["eig"] >= 1 and fake.calls["svd"] >= 1 and r.backend == "fake" and ref.backend == "numpy"
    assert ref.exceptional_point[1]
    for f in ("eigenvalues", "eigenkets", "condition_numbers", "exceptional"):
        for n in ref.sectors:
            _same(getattr(r, f)[n], getattr(ref, f)[n])
    fake.perturb["svd"] = lambda s: s + 1.0  # unit eigenvectors no longer parallel: no exceptional point
    assert not magbell.postselect_spectrum(EP2, backend="fake").exceptional_point[1]
    fake.perturb["eig"] = lambda w: (w[0] * 1.5,) + tuple(w[1:])
    bad = magbell.postselect_spectrum(S3, backend="fake")
    assert not np.allclose(bad.eigenvalues[3], magbell.postselect_spectrum(S3).eigenvalues[3])


def test_postselect_spectrum_two_site_records_the_backend(fake):
    ref = magbell.postselect_spectrum(MODEL)
    r = magbell.postselect_spectrum(MODEL, backend="fake")
    assert r.backend == "fake" and ref.backend == "numpy" and not fake.calls  # closed forms: no kernel to route
    _same(r.eigenvalues, ref.eigenvalues)


# ------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize("bad", ["jax", "", 3, None])
def test_unknown_backend_is_one_line(bad):
    calls = [
        lambda: monitor(MODEL, "ud", T, 0.1, backend=bad),
        lambda: monitor(S3, "udu", T, 0.1, backend=bad),
        lambda: trajectories(MODEL, "ud", T, n=10, seed=1, backend=bad),
        lambda: trajectories(S3, "udu", T, n=10, seed=1, backend=bad),
        lambda: magbell.evolve(S3, "udu", T, backend=bad),
        lambda: magbell.evolve(_chain(6, 0.0), "duuuuu", T, backend=bad),
        lambda: magbell.steady_state(S3, "udu", backend=bad),
        lambda: magbell.steady_state(_chain(9, 0.0), "W", backend=bad),
        lambda: magbell.spectrum(S3, backend=bad),
        lambda: magbell.postselect(S3, "udu", T, backend=bad),
        lambda: magbell.conditional_evolve(S3, "udu", T, forbid=["h_plus"], backend=bad),
        lambda: magbell.conditional.monitor_sweep(MODEL, "ud", 1.0, [0.1], backend=bad),
        lambda: magbell.conditional.robustness(magbell.Model(a=1.0, A=1.0), n_samples=2, backend=bad),
        lambda: magbell.dark_states(MODEL, backend=bad),
        lambda: magbell.dark_states(S3, backend=bad),
        lambda: magbell.dark_states("not a model", backend=bad),  # the backend is validated first
        lambda: magbell.conserved_quantities(MODEL, backend=bad),
        lambda: magbell.conserved_quantities(S3, backend=bad),
        lambda: magbell.postselect_spectrum(MODEL, backend=bad),
        lambda: magbell.postselect_spectrum(S3, backend=bad),
    ]
    for call in calls:
        with pytest.raises(magbell.InvalidParameterError, match="backend") as e:
            call()
        assert "\n" not in str(e.value)
