"""The accuracy domain of the solvers, and the exact factoring-out of the mean splitting Δ.

Two things live here because every solver needs them:

``block_without_mean_phase(c, q)``
    The real generator block ``L_q = c @ basis_blocks()[q]`` is linear in the coefficients. The mean-Δ
    part ``R_q`` (coefficient ``"Delta"``) only rotates coherences: it is a direct sum of exact 2×2
    rotation generators (angle Δt in |q| = 1, 2Δt in |q| = 2, nothing in |q| = 0) and commutes with
    every other basis block. Hence ``exp(L_q t) = exp(Δ t R_q) · exp(L'_q t)`` with ``L'_q`` the block
    with the Delta coefficient zeroed, and the rotation can be applied exactly (cos/sin). Any scale,
    rank or deflation decision must be taken on ``L'_q``: a splitting Δ/a = 1e10 (SI units) must not
    decide anything.

``check_domain(c, t_max=None, what=...)``
    One-line :class:`~magbell.errors.InvalidParameterError` where a result cannot be computed to the
    accuracy stated in docs/numerics.md:

    * any coefficient (rate, coupling, splitting) larger in magnitude than :data:`RATE_MAX`
      (rescale the unit of time: the dynamics depends on rates·t only);
    * ``t_max · ‖L'‖₁ > T_NORM_MAX`` (the propagator's rounding grows like eps²·‖L'‖t on the
      double-double path; see :mod:`magbell.propagate`);
    * ``|Δ|·t_max > PHASE_MAX`` (the phase Δt is formed exactly as a double-double, which needs it
      finite with room to spare).
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidParameterError
from .model import COEFFICIENT_NAMES, basis_blocks

__all__ = [
    "RATE_MAX",
    "T_NORM_MAX",
    "PHASE_MAX",
    "DELTA_INDEX",
    "block_without_mean_phase",
    "generator_norm",
    "check_domain",
]

#: largest |coefficient| accepted by any solver (1e150: products of two never overflow)
RATE_MAX = 1e150
#: largest t·‖L'‖₁ (L' the generator without the mean phase) evolve guarantees its accuracy for
T_NORM_MAX = 1e16
#: largest |Δ|·t for which the mean-phase rotation is applied
PHASE_MAX = 1e200
#: column of "Delta" in the coefficient vector
DELTA_INDEX = COEFFICIENT_NAMES.index("Delta")


def block_without_mean_phase(c: np.ndarray, q: int):
    """``(L'_q, R_q)``: block ``q`` of the generator without the Delta term, and the Delta block.

    ``c``: coefficients of shape (P, K) (see :meth:`magbell.Model.coefficients`). ``L'_q`` has shape
    (P, n, n); ``R_q`` (n, n) is the (exact, integer) generator of the mean-phase rotation, so that
    ``L_q = L'_q + Δ·R_q`` and ``exp(L_q t) = exp(Δ t R_q) exp(L'_q t)`` (they commute exactly).
    """
    c = np.asarray(c, dtype=float)
    b = basis_blocks()[q]
    n = b.shape[-1]
    cp = c.copy()
    cp[..., DELTA_INDEX] = 0.0
    Lp = (cp.reshape(-1, cp.shape[-1]) @ b.reshape(b.shape[0], n * n)).reshape(-1, n, n)
    return Lp, np.array(b[DELTA_INDEX])


def generator_norm(c: np.ndarray) -> np.ndarray:
    """An upper bound of ``max_q ‖L'_q‖₁`` per point (no overflow for |c| ≤ RATE_MAX), shape (P,)."""
    c = np.abs(np.asarray(c, dtype=float).reshape(-1, len(COEFFICIENT_NAMES)))
    c = c.copy()
    c[:, DELTA_INDEX] = 0.0
    best = np.zeros(c.shape[0])
    for b in basis_blocks():
        # ‖Σ c_k B_k‖₁ ≤ max_j Σ_i Σ_k |c_k||B_k,ij|
        colsum = np.abs(b).sum(axis=-2)  # (K, n)
        best = np.maximum(best, (c @ colsum).max(axis=-1))
    return best


def _where(bad: np.ndarray) -> str:
    idx = np.flatnonzero(bad)
    if bad.size <= 1:
        return ""
    return f" (at {idx.size} of {bad.size} grid points, first flat index {idx[0]})"


def check_domain(c: np.ndarray, t_max: float | None = None, what: str = "evolve") -> np.ndarray:
    """Refuse, with one clear line, parameters outside the guaranteed accuracy domain.

    ``c``: coefficients (..., K); ``t_max``: the largest time asked for (``None`` for t-free solvers
    such as the steady state). Returns ``generator_norm(c)`` (P,) for the caller's convenience.
    """
    c = np.asarray(c, dtype=float).reshape(-1, len(COEFFICIENT_NAMES))
    if not np.all(np.isfinite(c)):
        raise InvalidParameterError(f"{what}: the generator's coefficients must be finite")
    big = np.abs(c) > RATE_MAX
    if np.any(big):
        p, k = np.argwhere(big)[0]
        raise InvalidParameterError(
            f"{what}: |{COEFFICIENT_NAMES[k]}| = {abs(c[p, k]):.3g} exceeds {RATE_MAX:.0e}, the largest rate or "
            f"energy accepted; rescale the unit of time{_where(big.any(axis=1))}"
        )
    norm = generator_norm(c)
    if t_max is not None and t_max > 0:
        with np.errstate(over="ignore"):
            tn = norm * float(t_max)
        bad = tn > T_NORM_MAX
        if np.any(bad):
            raise InvalidParameterError(
                f"{what}: t·‖L‖ = {float(tn[bad].max()):.3g} (largest time {t_max:.6g} times the generator's "
                f"rate scale {float(norm[bad].max()):.3g}) exceeds {T_NORM_MAX:.0e}, the limit of the stated "
                f"accuracy{_where(bad)}; the state has long reached its t→∞ limit: use steady_state"
            )
        with np.errstate(over="ignore"):
            ph = np.abs(c[:, DELTA_INDEX]) * float(t_max)
        bad = ph > PHASE_MAX
        if np.any(bad):
            raise InvalidParameterError(
                f"{what}: |Delta|·t = {float(ph[bad].max()):.3g} exceeds {PHASE_MAX:.0e}{_where(bad)}"
            )
    return norm
