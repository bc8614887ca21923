"""QuTiP 5 side of the benchmark: how a QuTiP user would run W1-W3.

Operators are built from QuTiP's own primitives (CSR data, as user code would);
`check_operators` asserts they equal the reference matrices of _reference.py.
"""

from __future__ import annotations

import numpy as np

import _reference as R

try:
    import qutip

    AVAILABLE, REASON = True, ""
except Exception as exc:  # pragma: no cover - depends on the environment
    qutip = None
    AVAILABLE, REASON = False, f"qutip not importable ({type(exc).__name__}: {exc})"

# Tolerances. TIGHT is what the error comparisons need; DEFAULT is QuTiP's own
# default (adams, atol 1e-8, rtol 1e-6), closest to what a casual user runs.
TIGHT = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 100_000}
DEFAULT = {}


def version() -> str:
    return qutip.__version__ if AVAILABLE else "n/a"


def _ops():
    sz, sp, sm, i2 = qutip.sigmaz(), qutip.sigmap(), qutip.sigmam(), qutip.qeye(2)
    return {
        "s1z": qutip.tensor(sz, i2), "s2z": qutip.tensor(i2, sz),
        "s1p": qutip.tensor(sp, i2), "s2p": qutip.tensor(i2, sp),
        "s1m": qutip.tensor(sm, i2), "s2m": qutip.tensor(i2, sm),
    }


_OPS = _ops() if AVAILABLE else None


def check_operators() -> float:
    """Max deviation of the QuTiP-built operators from the reference ones."""
    pairs = [("s1z", R.S1Z), ("s2z", R.S2Z), ("s1p", R.S1P), ("s2p", R.S2P), ("s1m", R.S1M), ("s2m", R.S2M)]
    return max(float(np.abs(_OPS[k].full() - ref).max()) for k, ref in pairs)


def model(p: dict):
    """(H, c_ops) for one parameter point; c_ops = sqrt(2) J_i, zero-rate ops dropped."""
    o = _OPS
    H = -0.5 * p["delta"] * (o["s1z"] - o["s2z"])
    shapes = (o["s1m"] + o["s2m"], o["s1m"] - o["s2m"], o["s1p"] + o["s2p"], o["s1p"] - o["s2p"])
    c_ops = []
    for g, O in zip(R.jump_rates(p["a"], p["A"], p["a_tilde"], p["A_tilde"]), shapes):
        if float(g) > 0:
            c_ops.append(np.sqrt(2.0 * float(g)) * O)
    return H, c_ops


def rho_ud():
    return qutip.ket2dm(qutip.tensor(qutip.basis(2, 0), qutip.basis(2, 1)))  # |ud><ud|


def curve(p: dict, times, options: dict):
    """The timed unit of W1/W2: mesolve + qutip.concurrence at every saved time.

    Returns (concurrence (T,), result); states are read off the result untimed.
    """
    H, c_ops = model(p)
    res = qutip.mesolve(H, rho_ud(), times, c_ops, options=options)
    C = np.array([qutip.concurrence(s) for s in res.states])
    return C, res


def curve_task(p: dict, times=None, options=None):
    """Picklable task for qutip.parallel_map (module level, concurrence only)."""
    return curve(p, times, options)[0]


def states_array(res) -> np.ndarray:
    return np.array([s.full() for s in res.states])


def steady(p: dict, method: str = "direct"):
    """qutip.steadystate(H, c_ops, method=...) + qutip.concurrence for one point.

    Returns (concurrence or nan, rho ndarray or None, error message or "").
    """
    H, c_ops = model(p)
    try:
        rho = qutip.steadystate(H, c_ops, method=method)
    except Exception as exc:  # QuTiP raises on singular Liouvillians (degenerate points)
        return np.nan, None, f"{type(exc).__name__}: {exc}"
    return float(qutip.concurrence(rho)), rho.full(), ""
