"""The backend seam of issue 10 §3: the solvers get their numerics through magbell.backend.get_backend.

A fake second backend, registered in the one dict registry, wraps the NumPy one and counts its calls: the
solvers must call it (the seam is real, not decorative), give the NumPy numbers bit for bit through it, and
record its name in the result. Unknown names are refused with one line naming the argument.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import magbell
from magbell.backend import BACKENDS, Backend, NumpyBackend, available_backends, get_backend, register_backend


class CountingBackend:
    """Delegates to NumpyBackend and counts calls per function."""

    name = "counting"

    def __init__(self):
        self.calls = collections.Counter()
        self._np = NumpyBackend()

    def __getattr__(self, attr):
        f = getattr(self._np, attr)
        if not callable(f):
            return f

        def wrapped(*a, **k):
            self.calls[attr] += 1
            return f(*a, **k)

        return wrapped

    # the protocol's methods, spelled out so that isinstance(., Backend) holds
    def expm(self, A, projector=None):
        self.calls["expm"] += 1
        return self._np.expm(A, projector)

    def propagate(self, L, r0, times, uniform=None, exact=None, block0=False, info=None, **scaled):
        self.calls["propagate"] += 1
        return self._np.propagate(L, r0, times, uniform=uniform, exact=exact, block0=block0, info=info, **scaled)

    def is_uniform(self, times):
        self.calls["is_uniform"] += 1
        return self._np.is_uniform(times)

    def stationary_blocks(self, c, r0, tol_rel, sb, per_block=False):
        self.calls["stationary_blocks"] += 1
        return self._np.stationary_blocks(c, r0, tol_rel, sb, per_block=per_block)

    def kernel_projector(self, L, tol_abs):
        self.calls["kernel_projector"] += 1
        return self._np.kernel_projector(L, tol_abs)

    def eig(self, A):
        return self._np.eig(A)

    def eigvals(self, A):
        return self._np.eigvals(A)

    def eigh(self, A):
        return self._np.eigh(A)

    def solve(self, A, b):
        return self._np.solve(A, b)


@pytest.fixture
def counting():
    bk = CountingBackend()
    register_backend(bk)
    yield bk
    BACKENDS.pop("counting", None)


MODEL = magbell.Model(a=1.0, A=0.6 + 0.2j, a_tilde=0.3, A_tilde=0.1, delta=0.4, Delta=3.0, d=0.2, Jz=0.3)
TIMES = np.linspace(0.0, 4.0, 9)


def test_registry_and_default():
    assert available_backends()[0] == "numpy" and isinstance(get_backend(), NumpyBackend)
    assert get_backend("numpy") is BACKENDS["numpy"] and isinstance(get_backend(), Backend)
    assert magbell.evolve(MODEL, "ud", TIMES).backend == "numpy"


def test_evolve_goes_through_the_registered_backend(counting):
    ref = magbell.evolve(MODEL, ["ud", "singlet"], TIMES, store_states=True)
    r = magbell.evolve(MODEL, ["ud", "singlet"], TIMES, store_states=True, backend="counting")
    assert counting.calls["propagate"] >= 1 and counting.calls["is_uniform"] >= 1
    assert r.backend == "counting" and ref.backend == "numpy"
    np.testing.assert_array_equal(r.states, ref.states)  # the same numerics, bit for bit


def test_steady_state_and_spectrum_go_through_the_backend(counting):
    s = magbell.steady_state(MODEL, "ud", backend="counting")
    assert counting.calls["stationary_blocks"] >= 1 and s.backend == "counting"
    np.testing.assert_array_equal(s.rho, magbell.steady_state(MODEL, "ud").rho)
    n = counting.calls["stationary_blocks"]
    sp = magbell.spectrum(MODEL, backend="counting")
    assert counting.calls["stationary_blocks"] > n and sp.backend == "counting"
    np.testing.assert_array_equal(sp.eigenvalues, magbell.spectrum(MODEL).eigenvalues)


def test_postselect_goes_through_the_backend(counting):
    # the conditional engine calls the backend's one propagator in its scaled variant (issue 10 §2); the pure
    # one-excitation ket path (solvers/_ket_path.py, HP2) the backend's one expm
    r = magbell.postselect(MODEL, "ud", TIMES, backend="counting")
    assert counting.calls["propagate"] + counting.calls["expm"] >= 1 and r.backend == "counting"
    np.testing.assert_array_equal(r.concurrence, magbell.postselect(MODEL, "ud", TIMES).concurrence)
    n = counting.calls["propagate"]
    r2 = magbell.conditional_evolve(MODEL, "ud", TIMES, forbid=["J1"], backend="counting")
    assert counting.calls["propagate"] > n and r2.backend == "counting"


def test_a_fake_backend_that_breaks_is_really_called(counting, monkeypatch):
    """If the seam were decorative, a backend that returns garbage would not change the answer."""
    monkeypatch.setattr(counting, "propagate", lambda L, r0, times, **k: np.zeros(L.shape[:1] + r0.shape + times.shape))
    r = magbell.evolve(MODEL, "ud", TIMES, backend="counting")
    assert np.all(r.populations == 0)


@pytest.mark.parametrize("bad", ["jax", "", 3, None])
def test_unknown_backend_is_one_line_naming_the_argument(bad):
    with pytest.raises(magbell.InvalidParameterError, match="backend") as e:
        magbell.evolve(MODEL, "ud", TIMES, backend=bad)
    assert "\n" not in str(e.value)
    with pytest.raises(magbell.InvalidParameterError, match="backend"):
        magbell.steady_state(MODEL, backend=bad)


def test_register_backend_refuses_non_backends():
    with pytest.raises(magbell.InvalidParameterError, match="backend"):
        register_backend(object())


def test_system_solvers_accept_a_registered_backend(counting):
    # the N-site stationary and conditional solvers take any registered backend (each kernel counted, perturbed
    # and the numbers compared bit for bit in tests/test_backend_coverage.py); an unknown name is one line
    s = magbell.System(Delta=[1.0, 2.0, 3.0], h_plus=np.eye(3), h_minus=0.1 * np.eye(3))
    r = magbell.postselect(s, "udu", [0.0, 1.0], backend="counting")
    assert counting.calls["propagate"] >= 1 and r.backend == "counting"
    np.testing.assert_array_equal(r.site_populations, magbell.postselect(s, "udu", [0.0, 1.0]).site_populations)
    st = magbell.steady_state(s, "udu", backend="counting")
    assert counting.calls["kernel_projector"] >= 1 and st.backend == "counting"
    np.testing.assert_array_equal(st.rho, magbell.steady_state(s, "udu").rho)
    for bad in ("jax", 3):
        for call in (lambda: magbell.postselect(s, "udu", [0.0, 1.0], backend=bad),
                     lambda: magbell.steady_state(s, "udu", backend=bad)):
            with pytest.raises(magbell.InvalidParameterError, match="backend") as e:
                call()
            assert "\n" not in str(e.value)


@pytest.mark.parametrize("scale", [1.0, 1e-150, 1e-300, 1e150, 1e300])
def test_eig_left_is_scale_invariant(scale):
    # scipy.linalg.eig(left=True) (SciPy 1.17) returned −3.4e-139j, −1.0e-138j for this matrix ·1e-150 (true:
    # −0.5e-150j, −1.5e-150j) and 7e-13 of the true values at ·1e150; the NumPy backend scales by a power of two
    A = np.array([[-1j, -0.5j], [-0.5j, -1j]]) * scale
    w, vl, vr = NumpyBackend.eig(A, left=True)
    order = np.argsort(w.imag)
    np.testing.assert_allclose(w[order] / scale, [-1.5j, -0.5j], rtol=0, atol=1e-15)
    np.testing.assert_allclose(A @ vr, vr * w, rtol=0, atol=1e-15 * scale)
    np.testing.assert_allclose(vl.conj().T @ A, w[:, None] * vl.conj().T, rtol=0, atol=1e-15 * scale)
    assert np.all(np.isfinite(w)) and NumpyBackend.eig(np.zeros((2, 2)), left=True)[0].tolist() == [0, 0]
