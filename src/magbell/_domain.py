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
from .system._basis import COEFFICIENT_NAMES, basis_blocks

__all__ = [
    "RATE_MAX",
    "T_NORM_MAX",
    "PHASE_MAX",
    "SPREAD_MAX",
    "DELTA_INDEX",
    "block_without_mean_phase",
    "generator_norm",
    "check_domain",
    "block_dd_without_mean_phase",
    "apply_mean_phase",
]

#: largest |coefficient| accepted by any solver (1e150: products of two never overflow)
RATE_MAX = 1e150
#: largest t·‖L'‖₁ (L' the generator without the mean phase) evolve guarantees its accuracy for
T_NORM_MAX = 1e16
#: largest |Δ|·t for which the mean-phase rotation is applied
PHASE_MAX = 1e200
#: widest ratio between the largest and the smallest nonzero coefficient (Δ excluded) that the t-free solvers
#: (steady_state, spectrum, dark_states, conserved_quantities) accept: at a = 1e-170 against d = 1 the kernel was
#: counted 4-dimensional (tests/test_extremes_steady.py); 1e100 keeps a margin of 1e60 below that failure
SPREAD_MAX = 1e100
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


def _norm_weights() -> np.ndarray:
    """w_k = max_q max_j Σ_i |B_k,ij|, so that ``|c| @ w ≥ max_q ‖L'_q‖₁`` (triangle inequality)."""
    w = np.zeros(len(COEFFICIENT_NAMES))
    for b in basis_blocks():
        w = np.maximum(w, np.abs(b).sum(axis=-2).max(axis=-1))
    w[DELTA_INDEX] = 0.0
    return w


_W = None


def generator_norm(c: np.ndarray) -> np.ndarray:
    """An upper bound (within a factor ~2) of ``max_q ‖L'_q‖₁`` per point, shape (P,); no overflow for
    |c| ≤ RATE_MAX. One matrix-vector product, so it costs nothing next to the propagation."""
    global _W
    if _W is None:
        _W = _norm_weights()
    c = np.asarray(c, dtype=float).reshape(-1, len(COEFFICIENT_NAMES))
    return np.abs(c) @ _W


def _exact_norm(c: np.ndarray) -> np.ndarray:
    """max_q ‖L'_q‖₁ per point (P,); coefficients prescaled by a power of two, so no overflow."""
    top = np.abs(c).max(axis=-1)
    e = np.frexp(np.where(top > 0, top, 1.0))[1]
    cs = np.ldexp(c, -e[:, None])
    best = np.zeros(c.shape[0])
    for q in range(len(basis_blocks())):
        L, _ = block_without_mean_phase(cs, q)
        best = np.maximum(best, np.abs(L).sum(axis=-2).max(axis=-1))
    return np.ldexp(best, e)


def _where(bad: np.ndarray) -> str:
    idx = np.flatnonzero(bad)
    if bad.size <= 1:
        return ""
    return f" (at {idx.size} of {bad.size} grid points, first flat index {idx[0]})"


#: the Model's parameter names for :func:`_parameter_moduli`'s columns (site 1's a1 is the user's a)
_MODULUS_NAMES = ("delta", "Jz", "Jperp", "D_dm", "a", "a2", "A", "a_tilde", "a_tilde2", "A_tilde", "d", "d2", "D_deph")


def _parameter_moduli(c: np.ndarray) -> np.ndarray:
    """(P, 13) magnitudes of the Model's parameters except Δ: complex A, Ã, 𝔇 by their modulus (a tiny Im A
    next to Re A is a phase, not a second scale)."""
    k = {n: i for i, n in enumerate(COEFFICIENT_NAMES)}
    cols = []
    for n in ("delta", "Jz", "Jperp", "D_dm", "a1", "a2"):
        cols.append(np.abs(c[:, k[n]]))
    cols.append(np.hypot(c[:, k["Re A"]], c[:, k["Im A"]]))
    cols += [np.abs(c[:, k["a_tilde1"]]), np.abs(c[:, k["a_tilde2"]])]
    cols.append(np.hypot(c[:, k["Re A_tilde"]], c[:, k["Im A_tilde"]]))
    cols += [np.abs(c[:, k["d1"]]), np.abs(c[:, k["d2"]])]
    cols.append(np.hypot(c[:, k["Re D_deph"]], c[:, k["Im D_deph"]]))
    return np.stack(cols, axis=1)


def within_spread(c: np.ndarray) -> np.ndarray:
    """Per point: True where the nonzero parameter magnitudes (Δ excluded) span at most :data:`SPREAD_MAX`."""
    c = np.asarray(c, dtype=float).reshape(-1, len(COEFFICIENT_NAMES))
    m = _parameter_moduli(c)
    big = m.max(axis=1)
    small = np.where(m > 0, m, np.inf).min(axis=1)
    return ~((big > 0) & (small < big / SPREAD_MAX))


def check_domain(c: np.ndarray, t_max: float | None = None, what: str = "evolve") -> np.ndarray:
    """Refuse, with one clear line, parameters outside the guaranteed accuracy domain.

    ``c``: coefficients (..., K); ``t_max``: the largest time asked for (``None`` for t-free solvers
    such as the steady state). Returns ``generator_norm(c)`` (P,) for the caller's convenience.
    """
    c = np.asarray(c, dtype=float).reshape(-1, len(COEFFICIENT_NAMES))
    absc = np.abs(c)
    top = absc.max() if absc.size else 0.0
    if not np.isfinite(top):
        raise InvalidParameterError(f"{what}: the generator's coefficients must be finite")
    if top > RATE_MAX:
        big = absc > RATE_MAX
        p, k = np.argwhere(big)[0]
        raise InvalidParameterError(
            f"{what}: |{COEFFICIENT_NAMES[k]}| = {absc[p, k]:.3g} exceeds {RATE_MAX:.0e}, the largest rate or "
            f"energy accepted; rescale the unit of time{_where(big.any(axis=1))}"
        )
    if t_max is None and absc.size:  # t-free solvers decide ranks: the nonzero scales must be resolvable together
        rest = _parameter_moduli(c)  # Δ only rotates phases and is factored out exactly; |A|, not Re A, Im A
        big = rest.max(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            small = np.where(rest > 0, rest, np.inf).min(axis=1)
            bad = (big > 0) & (small < big / SPREAD_MAX)
        if np.any(bad):
            p = int(np.flatnonzero(bad)[0])
            names = _MODULUS_NAMES
            kmin = int(np.argmin(np.where(rest[p] > 0, rest[p], np.inf)))
            kmax = int(np.argmax(rest[p]))
            raise InvalidParameterError(
                f"{what}: |{names[kmin]}| = {rest[p, kmin]:.3g} against |{names[kmax]}| = {rest[p, kmax]:.3g} spans "
                f"more than {SPREAD_MAX:.0e}, the widest spread of rates and couplings whose kernel and slowest "
                f"rates are resolved; set the negligible one to 0 or use evolve at the times of interest{_where(bad)}"
            )
    global _W
    if _W is None:
        _W = _norm_weights()
    norm = absc @ _W
    if t_max is not None and t_max > 0:
        with np.errstate(over="ignore"):
            tn = norm * float(t_max)
        bad = tn > T_NORM_MAX
        if np.any(bad):  # the bound may be loose by a factor ~4: decide on the exact norms
            idx = np.flatnonzero(bad)
            norm = norm.copy()
            norm[idx] = _exact_norm(c[idx])
            with np.errstate(over="ignore"):
                tn = norm * float(t_max)
            bad = tn > T_NORM_MAX
        if np.any(bad):
            raise InvalidParameterError(
                f"{what}: t·‖L‖ = {float(tn[bad].max()):.3g} (largest time {t_max:.6g} times the generator's "
                f"rate scale {float(norm[bad].max()):.3g}) exceeds {T_NORM_MAX:.0e}, the limit of the stated "
                f"accuracy{_where(bad)}"
            )
        with np.errstate(over="ignore"):
            ph = np.abs(c[:, DELTA_INDEX]) * float(t_max)
        bad = ph > PHASE_MAX
        if np.any(bad):
            raise InvalidParameterError(
                f"{what}: |Delta|·t = {float(ph[bad].max()):.3g} exceeds {PHASE_MAX:.0e}{_where(bad)}"
            )
    return norm


def block_dd_without_mean_phase(c: np.ndarray, q: int):
    """``L'_q`` as a double-double pair (hi, lo): the block's entries summed without rounding error.

    The basis blocks hold only 0, ±1, ±2, ±4, ±8, so every product c_k·B_k is exact and only the sum
    over k rounds in float64 (e.g. −2(a + ã) with ã/a = 1e-24 loses ã); here it is accumulated with
    error-free transformations. Shape (P, n, n) each.
    """
    from .backend._expm import dd_add

    c = np.asarray(c, dtype=float).reshape(-1, len(COEFFICIENT_NAMES))
    b = basis_blocks()[q]
    n = b.shape[-1]
    hi = np.zeros((c.shape[0], n, n))
    lo = np.zeros_like(hi)
    for k in range(b.shape[0]):
        if k == DELTA_INDEX or not np.any(b[k]) or not np.any(c[:, k]):
            continue
        term = c[:, k, None, None] * b[k]  # exact: b holds powers of two
        hi, lo = dd_add(hi, lo, term, np.zeros_like(term))
    return hi, lo


def _exact_product(x: np.ndarray, y: np.ndarray):
    """x·y = hi + lo exactly (Dekker), without overflow in the split for |x|, |y| up to the float max."""
    from .backend._expm import two_prod

    mx, ex = np.frexp(x)
    my, ey = np.frexp(y)
    ph, pl = two_prod(mx, my)
    e = ex + ey
    return np.ldexp(ph, e), np.ldexp(pl, e)


def apply_mean_phase(x: np.ndarray, R: np.ndarray, Delta: np.ndarray, times: np.ndarray) -> np.ndarray:
    """``exp(Δ t R) x`` for block coordinates x (P, S, n, T): exact 2×2 rotations by angle m·Δ·t.

    ``R`` is a direct sum of ``m·[[0, −1], [1, 0]]`` on coordinate pairs (2i, 2i+1) (m = 1 for |q| = 1,
    2 for |q| = 2). The phase Δ·t is formed exactly as hi + lo and cos/sin are evaluated by the angle
    addition formula, so a splitting Δ = 1e10 at t = 1e9 (Δt = 1e19) rotates by the exact angle of the
    float inputs.
    """
    n = R.shape[0]
    pairs = []
    for i in range(0, n, 2):
        m = R[i + 1, i]
        if R[i, i + 1] != -m or np.any(np.delete(R[i : i + 2], [i, i + 1], axis=1)) or R[i, i] or R[i + 1, i + 1]:
            raise AssertionError("mean-phase block is not a direct sum of 2x2 rotations")  # pragma: no cover
        pairs.append((i, m))
    Delta = np.asarray(Delta, dtype=float)
    if not np.any(Delta):
        return x
    ph, pl = _exact_product(Delta[:, None], np.asarray(times, dtype=float)[None, :])  # (P, T)
    out = x.copy()
    for i, m in pairs:
        if m == 0:
            continue
        h, l = ph * m, pl * m  # exact: m is 1 or 2
        cos = np.cos(h) * np.cos(l) - np.sin(h) * np.sin(l)
        sin = np.sin(h) * np.cos(l) + np.cos(h) * np.sin(l)
        cos, sin = cos[:, None, :], sin[:, None, :]
        u, v = x[:, :, i, :], x[:, :, i + 1, :]
        out[:, :, i, :] = cos * u - sin * v
        out[:, :, i + 1, :] = sin * u + cos * v
    return out
