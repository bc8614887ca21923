"""magbell side of the benchmark -- THE PLUG POINT for the package.

bench_core.py calls only the three functions below; if the magbell API changes,
fix them here and nothing else. Expected API (from the lead):

    m = magbell.Model(a=..., A=..., delta=..., a_tilde=..., A_tilde=...)  # arrays broadcast
    r = magbell.evolve(m, "ud", times)     # r.concurrence: (*m.shape, len(times))
    s = magbell.steady_state(m, "ud")      # s.concurrence: m.shape, s.unique: bool m.shape

Parameters arrive as a dict of NumPy arrays that broadcast against each other
(the compact, unbroadcast axes of the workload grid, e.g. delta (100, 1) and
A (1, 100)), so magbell itself does the broadcasting.
"""

from __future__ import annotations

import numpy as np

try:
    import magbell

    _missing = [n for n in ("Model", "evolve", "steady_state") if not hasattr(magbell, n)]
    if _missing:
        AVAILABLE, REASON = False, f"magbell imported but lacks {', '.join(_missing)}"
    else:
        AVAILABLE, REASON = True, ""
except Exception as exc:  # pragma: no cover - depends on the checkout
    magbell = None
    AVAILABLE, REASON = False, f"magbell not importable ({type(exc).__name__}: {exc})"


def version() -> str:
    return getattr(magbell, "__version__", "unknown") if magbell is not None else "n/a"


def magbell_model(params: dict):
    """Build the model for a (broadcastable) parameter dict (0-d -> Python float)."""
    p = {k: (float(v) if np.ndim(v) == 0 else v) for k, v in params.items()}
    return magbell.Model(a=p["a"], A=p["A"], delta=p["delta"], a_tilde=p["a_tilde"], A_tilde=p["A_tilde"])


def magbell_concurrence_curves(params: dict, times) -> np.ndarray:
    """W1/W2 timed unit: concurrence curves from |ud>, shape (*grid, len(times))."""
    r = magbell.evolve(magbell_model(params), "ud", np.asarray(times), measures=("concurrence",))
    return np.asarray(r.concurrence)


def magbell_steady_states(params: dict):
    """W3 timed unit: (steady concurrence (*grid), unique flags (*grid)) from |ud>."""
    s = magbell.steady_state(magbell_model(params), "ud")
    return np.asarray(s.concurrence), np.asarray(s.unique, dtype=bool)
