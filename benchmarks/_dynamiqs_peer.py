"""dynamiqs (JAX, CPU, float64) side of the benchmark.

API facts used (checked against the installed dynamiqs 0.3.7 source):
* dq.mesolve(H, jump_ops, rho0, tsave, *, method=..., save_states=..., save_extra=...,
  cartesian_batching=..., vectorized=...): H (..., n, n) and every jump operator
  (..., n, n) may carry batch dimensions; with cartesian_batching=False they are
  broadcast together into one batch (result states (..., ntsave, n, n)).
* dq.set_precision('double') == jax_enable_x64 -> complex128 states.
* Concurrence is not built in: `save_extra(t, rho)` evaluates our X-state formula on
  every saved state inside the solver, so only (..., ntsave) floats leave JAX
  (the states of the 100x100x200 W2 grid would be 512 MB). save_extra makes
  dq.mesolve re-trace on every call (a fresh closure each time, measured: ~2 s per
  call), so each solve is wrapped in one jax.jit of our own, the usual JAX idiom.
* Methods: Tsit5(rtol, atol) adaptive ODE (vectorized=True measured faster than the
  default for this 4x4 problem) and Expm() (exact propagator exp(L dt); on CPU one
  propagator per distinct interval length).
"""

from __future__ import annotations

import os

import numpy as np

import _reference as R

os.environ.setdefault("JAX_PLATFORMS", "cpu")
try:
    import jax
    import jax.numpy as jnp

    import dynamiqs as dq

    dq.set_precision("double")
    dq.set_progress_meter(False)
    AVAILABLE, REASON = True, ""
except Exception as exc:  # pragma: no cover - depends on the environment
    dq = jax = jnp = None
    AVAILABLE, REASON = False, f"dynamiqs not importable ({type(exc).__name__}: {exc})"

TSIT5_TOL = {"rtol": 1e-10, "atol": 1e-12}


def version() -> str:
    return f"dynamiqs {dq.__version__}, jax {jax.__version__}" if AVAILABLE else "n/a"


def methods() -> dict:
    """name -> (method object, vectorized flag)."""
    return {
        "Tsit5": (dq.method.Tsit5(**TSIT5_TOL), True),
        "Expm": (dq.method.Expm(), False),
    }


def _concurrence_x_jax(t, rho):
    """X-state concurrence (Suppl. S52) of one saved state, evaluated inside JAX."""
    r = rho.to_jax()
    d = jnp.clip(jnp.real(jnp.diagonal(r, axis1=-2, axis2=-1)), 0.0, None)
    c1 = jnp.abs(r[..., 1, 2]) - jnp.sqrt(d[..., 0] * d[..., 3])
    c2 = jnp.abs(r[..., 0, 3]) - jnp.sqrt(d[..., 1] * d[..., 2])
    return 2.0 * jnp.maximum(0.0, jnp.maximum(c1, c2))


def operators(points: dict):
    """Batched H (N, 4, 4) and jump operators [(N, 4, 4), ...] for flat parameter
    arrays (N,); an operator whose rate is zero at every point is dropped (same
    rule as the QuTiP side). Scalar parameters give unbatched (4, 4) operators.
    """
    H = R.hamiltonian(points["delta"])
    Ls = []
    for g, O in zip(R.jump_rates(points["a"], points["A"], points["a_tilde"], points["A_tilde"]), R.JUMP_SHAPES):
        if np.any(g < 0):
            raise ValueError("negative jump rate: a >= |A| and a~ >= |A~| required (Suppl. S42)")
        if np.all(g == 0):
            continue
        Ls.append(np.sqrt(2.0 * g)[..., None, None] * O)
    return H, Ls


_JITTED = {}


def _solver(name: str, save: str):
    key = (name, save)
    if key not in _JITTED:
        method, vectorized = methods()[name]
        if save == "concurrence":
            def run(H, Ls, rho0, tsave):
                res = dq.mesolve(H, Ls, rho0, tsave, method=method, save_states=False,
                                 save_extra=_concurrence_x_jax, cartesian_batching=False,
                                 vectorized=vectorized)
                return res.extra
        else:
            def run(H, Ls, rho0, tsave):
                res = dq.mesolve(H, Ls, rho0, tsave, method=method, cartesian_batching=False,
                                 vectorized=vectorized)
                return res.states.to_jax()
        _JITTED[key] = jax.jit(run)
    return _JITTED[key]


def concurrence_curves(H, Ls, times, name: str) -> np.ndarray:
    """The timed unit: batched solve returning concurrence (..., len(times))."""
    out = _solver(name, "concurrence")(H, Ls, R.dm("ud"), np.asarray(times))
    return np.asarray(out.block_until_ready())


def state_curves(H, Ls, times, name: str) -> np.ndarray:
    """Untimed: batched solve returning the states (..., len(times), 4, 4)."""
    out = _solver(name, "states")(H, Ls, R.dm("ud"), np.asarray(times))
    return np.asarray(out.block_until_ready())


def has_steady_state_solver() -> bool:
    return AVAILABLE and any(hasattr(dq, n) for n in ("steadystate", "steady_state", "mesteadystate"))
