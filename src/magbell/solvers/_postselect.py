"""Postselected (conditional) dynamics: the non-Hermitian scheme of the paper's Eqs. (11)–(15).

Zou, Zhang & Tserkovnyak (PRB 106, L180406) rewrite the master equation as (Eq. 11, ħ = 1)::

    dρ/dt = −i(H_eff ρ − ρ H_eff†) + 2 Σ_k J_k ρ J_k†,     H_eff = H − i Σ_k J_k†J_k     (Eq. 12)

and postselect on records without quantum jumps, which leaves the normalised evolution (Eq. 13)::

    ρ(t) = e^{−iH_eff t} ρ0 e^{iH_eff† t} / P(t),      P(t) = tr(e^{−iH_eff t} ρ0 e^{iH_eff† t}).

Here ``H`` is the full coherent Hamiltonian of the :class:`~magbell.Model` (H_S and the couplings 𝒥z, 𝒥⊥, D
of S38) and the sum runs over all six jump operators of ``Model.jump_operators()`` (J1..J4 of Eq. 5 and the
two dephasing jumps). The paper drops the couplings and the dephasing; magbell keeps them.

Two postselection schemes (``scheme=``):

``"no-jump"``   Eq. (13) literally, on the full 4-dimensional space: the record contains no jump of *any*
                kind (the no-jump trajectory of the unravelling, :mod:`magbell.trajectories`).
``"subspace"``  the paper's physical protocol in the limit of an infinite measurement rate: |σ1z + σ2z| is
                measured continuously and the outcome 0 postselected. The first measurement projects ρ0 onto
                span{|↑↓>, |↓↑>} (probability tr Π0ρ0, included in P); afterwards every jump that leaves
                the subspace (J1..J4) is forbidden, but the dephasing jumps, which do not change σ1z + σ2z,
                are *not* seen by the measurement and stay in the dynamics. Without dephasing and for
                ρ0 inside the subspace both schemes coincide with Eq. (13).

:func:`conditional_evolve` is the general form: postselect on "no jump in the channels ``forbid``".

Private implementation module: the public spellings are ``magbell.postselect`` (the function) and
:mod:`magbell.conditional` (the companions: ``postselect_spectrum``, ``conditional_evolve``, ...).

Numerics (details in docs/postselection.md). ``e^{−iH_eff t}`` decays like e^{−rate·t}; for t·rate ≫ 700 it
underflows and the normalised state would be 0/0. magbell never forms it unscaled. Short uniform grids
(‖H_eff‖·t_max ≤ 150, where nothing can under- or overflow) use exact powers of ``exp(−iH_eff dt)`` with √T
anchors, as :func:`magbell.evolve` does. Otherwise each σz block of H_eff is propagated on its own scale:
substep propagators ``2^c·E`` (Padé via :func:`magbell.expm.expm` on the scaled matrix, then squarings,
each followed by an exact power-of-two renormalisation; c is an integer) with ‖H_eff·substep‖ ≤ 150, the
state renormalised by a power of two after every substep and the integer exponents accumulated into
``log P``. No eigendecomposition is used for the states, so the exceptional point (H_eff defective) is as
exact as any other point. Eigenvalues and eigenkets appear only in :func:`postselect_spectrum`.
Beyond 2·10⁵ substeps they are applied as products of safe powers of the substep propagator, checked by a
second run with one more substep per step (a disagreement is refused: e.g. exceptional points at ‖H_eff‖·t > 3·10⁷);
decoupled parts of a generator are propagated on their own scales; the mean splitting Δ never enters a
step size (its phases e^{±iΔt} are applied exactly afterwards); :func:`magbell._domain.check_domain` refuses
rates, times and Δ·t outside the stated accuracy domain (docs/postselection.md, "Numerics").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from . import measures as _measures
from ._domain import check_domain
from .dynamics import validate_times
from .errors import InvalidParameterError
from .expm import expm as _expm
from .model import COEFFICIENT_NAMES, Model, _h_basis, _hamiltonian_terms, _operator_list
from .propagate import is_uniform
from .results import Result, TimeSeriesResult
from .states import as_density_matrices
from .superop import sector_basis

if TYPE_CHECKING:  # annotations only (PEP 563 strings): nothing imported at run time
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = [
    "SCHEMES",
    "JUMP_NAMES",
    "DEFAULT_MEASURES",
    "PHASES",
    "non_hermitian_hamiltonian",
    "jump_rate_operator",
    "postselect",
    "conditional_evolve",
    "PostselectResult",
    "postselect_spectrum",
    "NonHermitianSpectrum",
]

#: postselection schemes of :func:`postselect`
SCHEMES = ("no-jump", "subspace")
#: names of the jump channels, in the order of ``Model.jump_operators()`` (J5, J6: the dephasing jumps)
JUMP_NAMES = ("J1", "J2", "J3", "J4", "J5", "J6")
#: measures :func:`postselect` computes by default
DEFAULT_MEASURES = ("concurrence", "bell_fidelity", "populations")
#: extra measure names understood besides :data:`magbell.measures.MEASURES`
EXTRA_MEASURES = ("bell_fidelity", "bell_fidelity_max")
#: phases reported by :func:`postselect_spectrum`
PHASES = ("PT-broken", "exceptional-point", "PT-exact", "degenerate")

#: indices of |↑↓>, |↓↑> (the σ1z + σ2z = 0 subspace) in the basis |↑↑>, |↑↓>, |↓↑>, |↓↓>
SUBSPACE = (1, 2)
#: block-0 coordinates (ρ00, ρ11, ρ22, ρ33, Re ρ12, Im ρ12) that lie in the subspace: ρ11, ρ22, Re ρ12, Im ρ12
SUB_COORDS = np.array([1, 2, 4, 5])

_THETA13 = 5.371920351148152  # Padé-13 scaling threshold of magbell.expm
_LN2 = float(np.log(2.0))
#: largest ‖generator × step‖₁ accepted (the int64 scale exponents stay exact far beyond it)
MAX_EXPONENT_NORM = 1e15
#: largest ‖generator × substep‖₁ of :func:`march` (keeps every component of a substep above realmin)
MAX_STEP_NORM = 150.0
#: most renormalised propagator products one :func:`march` call may take (~30 µs each); with the powers of a
#: substep propagator (:func:`_substep_powers`) this only limits the rare case where they cannot be used
MAX_SUBSTEPS = 200_000
_CHUNK_BYTES = 64 * 2**20


# ============================================================================== scaled exponentials
def _renorm(x: np.ndarray, axes: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Divide ``x`` by a power of two so that its largest entry (over ``axes``) lies in [0.5, 1).

    Returns (x scaled, exponent e) with ``x_in = 2^e · x_out``; the scaling is exact in floating point.
    Entries that are entirely zero keep e = 0.
    """
    if np.iscomplexobj(x):
        mag = np.maximum(np.abs(x.real), np.abs(x.imag)).max(axis=axes)
    else:
        mag = np.abs(x).max(axis=axes)
    _, e = np.frexp(mag)
    e = np.where(mag > 0, e, 0)
    if e.size and e.min() < -1000:  # subnormal blocks: scale in two exact factors (2^1074 overflows)
        h = -e // 2
        f1, f2 = np.ldexp(1.0, h), np.ldexp(1.0, -e - h)
        for _ in axes:
            f1, f2 = f1[..., None], f2[..., None]
        return (x * f1) * f2, e
    f = np.ldexp(1.0, -e)
    for _ in axes:
        f = f[..., None]
    return x * f, e


def scaled_expm(X: np.ndarray, pattern: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``exp(X) = 2^c · E`` for a stack ``X`` (B, n, n), with E's largest entry in [0.5, 1).

    Padé-13 (``magbell.expm.expm``) on ``X/2^s`` (‖X/2^s‖₁ ≤ θ13, so expm does no squaring itself), then
    ``s`` squarings, each followed by an exact power-of-two renormalisation; the integer ``c`` (int64)
    accumulates the exponents, so no rounding enters the scale. Neither overflow nor a global underflow can
    occur, however large ‖X‖ is; entries below 2^-1074 relative to the largest are (correctly) flushed
    to zero. ``pattern`` (boolean, broadcastable to X): the exact sparsity pattern of exp(X)
    (:func:`magbell.kernel.reachable`); entries outside it are set to exact zeros after the Padé step (the
    pattern is closed under products, so the squarings keep them exact).
    """
    X = np.asarray(X)
    B = X.shape[0]
    if B == 0:
        return X.copy(), np.zeros(0, dtype=np.int64)
    norms = np.abs(X).sum(axis=-2).max(axis=-1)
    if not np.all(np.isfinite(norms)) or norms.max() > MAX_EXPONENT_NORM:
        raise InvalidParameterError(
            f"rate × time must be <= {MAX_EXPONENT_NORM:.0e} (finite) for the scaled propagators, "
            f"got ‖generator·t‖₁ = {float(norms.max()):.3g}"
        )
    with np.errstate(divide="ignore"):
        s = np.where(norms > _THETA13, np.ceil(np.log2(norms / _THETA13)), 0).astype(int)
    s = np.maximum(s, 0)
    E = _expm(X / np.ldexp(1.0, s)[:, None, None])
    if pattern is not None:
        E = E * np.broadcast_to(pattern, E.shape)
    E, c = _renorm(E, (-2, -1))
    c = c.astype(np.int64)
    smax = int(s.max())
    for k in range(smax):
        idx = np.flatnonzero(s > k)
        if idx.size == B:
            E = E @ E
            E, e = _renorm(E, (-2, -1))
            c = 2 * c + e
        else:
            Ei = E[idx] @ E[idx]
            Ei, e = _renorm(Ei, (-2, -1))
            E[idx] = Ei
            c[idx] = 2 * c[idx] + e
    return E, c


def log_scaled(value: np.ndarray, exponent: np.ndarray, power: int = 1):
    """``(v·2^(power·e), log(v·2^(power·e)))`` for v ≥ 0 and integer e, without overflow or underflow
    in the logarithm and exact (no rounding of the scale) where the value is representable."""
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        if exponent is None:
            return value, np.log(value)
    e = np.asarray(exponent, dtype=np.int64)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        if e.size and -900 < power * e.min() and power * e.max() < 900:
            k = e.astype(np.int32)
            if power != 1:
                k *= power
            direct = np.ldexp(value, k)
            return direct, np.log(direct)
        k = power * e
        direct = np.ldexp(value, np.clip(k, -2000, 2000).astype(np.int32))
        logv = np.where(np.abs(k) < 900, np.log(direct), np.log(value) + k * _LN2)
    return direct, logv


def _time_plan(t: np.ndarray):
    """Sorted unique times, the distinct step lengths, the step used to reach each unique time, and the
    map from the input order to the unique times."""
    tt, inverse = np.unique(t, return_inverse=True)
    T = len(tt)
    if T >= 3 and is_uniform(tt):
        dt = (tt[-1] - tt[0]) / (T - 1)
        steps = np.array([tt[0], dt])
        which = np.ones(T, dtype=int)
        which[0] = 0
    else:
        steps = np.diff(np.concatenate([[0.0], tt]))
        which = np.arange(T)
    return tt, steps, which, inverse.reshape(-1)


def substeps(G: np.ndarray, h) -> np.ndarray:
    """Number of equal substeps for each step length ``h`` so that ‖G·h/m‖₁ ≤ :data:`MAX_STEP_NORM`."""
    gnorm = float(np.abs(G).sum(axis=-2).max()) if G.size else 0.0
    h = np.asarray(h, dtype=float)
    return np.maximum(1, np.ceil(gnorm * h / MAX_STEP_NORM)).astype(np.int64)


def march(G: np.ndarray, x0: np.ndarray, steps: np.ndarray, which: np.ndarray, split: bool = False):
    """States ``exp(G t_k) x0`` at the times reached by the steps ``steps[which[k]]``, in scaled form.

    G : (p, n, n) generators; x0 : (p or 1, S, n, k) initial vectors (k columns sharing one scale per
    (point, state)). Returns ``X`` (p, S, n, k, T) (component-major: each time series is contiguous),
    bounded by O(n) and not flushed, and the int64 exponents ``LS`` (p, S, T): the true vector at time
    t_k is ``2^LS[..., k] · X[..., k]``.

    Long ranges (‖G‖₁·t > MAX_STEP_NORM): a step of length h is applied as m equal substeps with
    ‖G h/m‖₁ ≤ MAX_STEP_NORM, each followed by a power-of-two renormalisation of the *state*, so the
    spread of magnitudes inside one propagator stays below ~e^{2·MAX_STEP_NORM} ≪ 1/realmin and no
    component that the state needs is flushed to zero (a single propagator for t·rate ~ 10⁶ would keep only
    its dominant modes). Rounding grows ~linearly with the number of (sub)steps.
    Short uniform grids (‖G‖₁·t_max ≤ MAX_STEP_NORM): every output is ``(P^J)^i · P^j x(t0)`` with
    J ≈ √T (``P = exp(G dt)``, as in :mod:`magbell.propagate`): ~2√T products, all batched.
    """
    p, n, _ = G.shape
    steps = np.asarray(steps, dtype=float)
    which = np.asarray(which)
    T = len(which)
    gnorm = float(np.abs(G).sum(axis=-2).max()) if G.size else 0.0
    uniform = T >= 3 and len(steps) == 2 and which[0] == 0 and np.all(which[1:] == 1)
    if uniform and gnorm * (steps[0] + (T - 1) * steps[1]) <= MAX_STEP_NORM:
        return _march_anchors(G, x0, steps[0], steps[1], T, split=split)
    span = gnorm * float(np.sum(steps[which]))
    if not np.isfinite(span) or span > MAX_EXPONENT_NORM:
        raise InvalidParameterError(
            f"rate × time must be <= {MAX_EXPONENT_NORM:.0e}, got ‖generator‖₁·t_max = {span:.3g}"
        )
    comps = _components(G)
    if len(comps) > 1:  # decoupled parts: each on its own scale (and its own powers)
        X, LS = _march_parts(G, x0, steps, which, comps)
        return ((X.real, X.imag) if split else X), LS
    m = np.where(steps > 0, substeps(G, steps), 0)  # a zero step is the identity, applied exactly
    if int(np.sum(m[which])) <= DIRECT_SUBSTEPS:
        X, LS = _march_substeps(G, x0, steps, which, m, direct=True, span=span)
    else:
        # O(log m) products of powers; checked against a second run with one more substep per step
        # (different rounding): near an exceptional point squarings lose accuracy ~ sqrt(eps)·t·rate,
        # and such a result is refused rather than returned
        X, LS = _march_substeps(G, x0, steps, which, m, direct=False, span=span)
        X2, LS2 = _march_substeps(G, x0, steps, which, np.where(m > 0, m + 1, 0), direct=False, span=span)
        _check_agree(X, LS, X2, LS2, span)
    if split:
        return (X.real, X.imag), LS
    return X, LS


#: an entry of a power E^(2^i) below this (relative to the largest, after renormalisation) is taken as flushed
_SAFE_ENTRY = 2.0**-1000
#: up to this many substeps in all, :func:`march` applies them one by one (best accuracy at exceptional points)
DIRECT_SUBSTEPS = 200_000


def _substep_powers(E: np.ndarray, c: np.ndarray, m: int) -> list:
    """Scaled powers ``(Q_i, c_i)``, ``2^c_i·Q_i = (2^c·E)^(2^i)``, for 2^i ≤ m, as far as they are *safe*.

    A power is safe when no entry that is non-zero in the previous power has fallen below 2^-1000 of the
    largest (per grid point): then applying it to a state loses nothing that m single substeps (each followed
    by a renormalisation of the state) would keep, up to rounding. This fails only where components of
    the propagator decay 2^1000 times faster than others *and* are structurally decoupled from them (e.g.
    the diagonal block of unequal local rates with A = 0); there the powers stop and more single substeps
    are used. Everywhere else m substeps cost O(log m) products, so t·rate up to MAX_EXPONENT_NORM is cheap
    (issue 9: t·rate = 1e9 took minutes, substep by substep).
    """
    pows = [(E, np.asarray(c, dtype=np.int64))]
    while (2 << (len(pows) - 1)) <= m:
        Q, cq = pows[-1]
        Q2, e = _renorm(Q @ Q, (-2, -1))
        mag = np.maximum(np.abs(Q2.real), np.abs(Q2.imag)) if np.iscomplexobj(Q2) else np.abs(Q2)
        if np.any((Q != 0) & (mag < _SAFE_ENTRY)):
            break
        pows.append((Q2, 2 * cq + e.astype(np.int64)))
    return pows


def _power_sequence(m: int, top: int) -> list:
    """Indices i of the powers E^(2^i) (i ≤ top) whose product is E^m: m // 2^top times ``top``, then the
    binary digits of the remainder."""
    q, r = divmod(m, 1 << top)
    if q > MAX_SUBSTEPS:  # refused by the caller; do not build a huge list
        return range(q)
    return [top] * q + [i for i in range(top) if (r >> i) & 1]


def _components(G: np.ndarray) -> list:
    """Index sets of the connected components of the coupling graph of G (union over the grid points;
    i and j are coupled where G_ij or G_ji is non-zero). Decoupled parts evolve independently."""
    n = G.shape[-1]
    adj = np.any(G != 0, axis=0)
    adj = adj | adj.T
    label = list(range(n))
    for i in range(n):
        for j in range(i + 1, n):
            if adj[i, j]:
                a, b = label[i], label[j]
                if a != b:
                    label = [a if v == b else v for v in label]
    out = {}
    for i, v in enumerate(label):
        out.setdefault(v, []).append(i)
    return list(out.values())


def _march_parts(G, x0, steps, which, comps):
    """:func:`march` of a generator whose coupling graph has several components: each component is marched
    on its own scale (a part decaying 2^1000 times faster than another is not flushed by it, and the powers
    of each part stay safe), then all are put on a common scale per (point, state, time)."""
    p, n, _ = G.shape
    S, k = x0.shape[-3], x0.shape[-1]
    T = len(which)
    parts = []
    for idx in comps:
        if not np.any(x0[..., idx, :] != 0):
            continue  # a part that starts at zero stays exactly zero
        Xb, Lb = march(G[:, idx][:, :, idx], x0[..., idx, :], steps, which)
        if Lb is None:
            Lb = np.zeros((p, S, T), dtype=np.int64)
        zero = ~np.any(Xb != 0, axis=(2, 3))
        parts.append((idx, Xb, np.where(zero, _NO_SCALE, Lb)))
    dtype = np.result_type(G, x0, *[Xb for _, Xb, _ in parts])
    X = np.zeros((p, S, n, k, T), dtype=dtype)
    if not parts:
        return X, np.zeros((p, S, T), dtype=np.int64)
    LS = parts[0][2]
    for _, _, Lb in parts[1:]:
        LS = np.maximum(LS, Lb)
    for idx, Xb, Lb in parts:
        f = np.ldexp(1.0, np.clip(Lb - LS, -4000, 0).astype(np.int32))[:, :, None, None, :]
        X[:, :, idx] = Xb * f
    return X, np.where(LS == _NO_SCALE, 0, LS)


def _march_substeps(G, x0, steps, which, m, direct: bool, span: float):
    """The stepping part of :func:`march`: step j as m[j] substeps, one by one (``direct``) or as products
    of the safe powers of the substep propagator (binary decomposition of m[j])."""
    p, n, _ = G.shape
    T = len(which)
    h = steps / np.maximum(m, 1)
    nd = len(steps)
    Xs = G[:, None, :, :] * h[None, :, None, None]
    E, c = scaled_expm(Xs.reshape(p * nd, n, n))
    E = E.reshape(p, nd, n, n)
    c = c.reshape(p, nd)
    plans = {}
    for j in np.unique(which):
        if m[j] > 0:
            pows = [(E[:, j], c[:, j].astype(np.int64))] if direct else _substep_powers(E[:, j], c[:, j], int(m[j]))
            plans[j] = (pows, _power_sequence(int(m[j]), len(pows) - 1))
    total = sum(len(plans[j][1]) for j in which if j in plans)
    if total > MAX_SUBSTEPS:
        raise InvalidParameterError(
            f"times too long for the rates: ‖generator‖₁·t_max = {span:.3g} needs {total} renormalised "
            f"propagator products (limit {MAX_SUBSTEPS}: parts of the propagator decay more than 2^1000 times "
            "faster than others, so its powers cannot be used); shorten the times"
        )
    S, k = x0.shape[-3], x0.shape[-1]
    dtype = np.result_type(E, x0)
    x = np.broadcast_to(x0, (p, S, n, k)).astype(dtype)
    x, ls = _renorm(x, (-2, -1))
    ls = ls.astype(np.int64)
    X = np.empty((p, S, n, k, T), dtype=dtype)
    LS = np.empty((p, S, T), dtype=np.int64)
    for i, j in enumerate(which):
        if j in plans:
            pows, seq = plans[j]
            for q in seq:
                Q, cq = pows[q]
                x = np.matmul(Q[:, None], x)
                x, e = _renorm(x, (-2, -1))
                ls = ls + cq[:, None] + e
        X[..., i] = x
        LS[:, :, i] = ls
    return X, LS


#: agreement required between the two power-stepped runs of :func:`march`: normalised state (up to a global
#: phase for kets) and log of the norm relative to max(1, |log norm|)
POWER_STATE_TOL = 1e-8
POWER_LOG_RTOL = 1e-9


def _check_agree(X, LS, X2, LS2, span: float) -> None:
    """Refuse (InvalidParameterError) where two runs of the power stepping disagree by more than POWER_RTOL."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        n1 = np.sqrt(np.sum(np.abs(X) ** 2, axis=(2, 3)))  # (p, S, T)
        n2 = np.sqrt(np.sum(np.abs(X2) ** 2, axis=(2, 3)))
        live = (n1 > 0) & (n2 > 0)
        u1 = X / np.where(live, n1, 1.0)[:, :, None, None, :]
        u2 = X2 / np.where(live, n2, 1.0)[:, :, None, None, :]
        if np.iscomplexobj(u1):  # kets: equal up to a global phase
            ov = np.sum(np.conj(u2) * u1, axis=(2, 3))
            u2 = u2 * np.where(np.abs(ov) > 0, ov / np.where(np.abs(ov) > 0, np.abs(ov), 1.0), 1.0)[:, :, None, None, :]
        du = np.max(np.abs(u1 - u2), axis=(2, 3))
        l1 = LS * _LN2 + np.log(np.where(live, n1, 1.0))
        l2 = LS2 * _LN2 + np.log(np.where(live, n2, 1.0))
        # log P: relative POWER_LOG_RTOL, plus the rounding that t·rate itself carries (16 eps per unit)
        dl = np.abs(l1 - l2) / (np.maximum(1.0, np.abs(l1)) + 16 * np.finfo(float).eps * span / POWER_LOG_RTOL)
    bad = (live & ((du > POWER_STATE_TOL) | (dl > POWER_LOG_RTOL))) | (live != ((n1 > 0) | (n2 > 0)))
    if np.any(bad):
        raise InvalidParameterError(
            f"cannot reach t_max accurately (‖generator‖₁·t_max = {span:.3g}): two propagations with different "
            f"rounding differ (state by {float(np.max(np.where(bad, du, 0))):.2g}, log P by "
            f"{float(np.max(np.where(bad, dl, 0))):.2g} relative; tolerances {POWER_STATE_TOL:g}, {POWER_LOG_RTOL:g}); "
            "this happens close to an exceptional point at long times; shorten the times"
        )


def _entries(A: np.ndarray) -> list:
    """Entries of a stack of small matrices (p, n, n) as an n×n nested list of contiguous (p,) arrays."""
    n = A.shape[-1]
    return [[np.ascontiguousarray(A[:, i, j]) for j in range(n)] for i in range(n)]


def _mat_mat(A: list, B: list) -> list:
    """Product of two stacks given by their entries (see :func:`_entries`)."""
    n = len(A)
    return [[sum(A[i][m] * B[m][j] for m in range(n)) for j in range(n)] for i in range(n)]


def _march_anchors(G, x0, t0: float, dt: float, T: int, split: bool = False):
    """:func:`march` on t_k = t0 + k·dt when ‖G‖₁·t_max ≤ MAX_STEP_NORM.

    Then every propagator exp(G t), t ≤ t_max, has entries below e^{MAX_STEP_NORM} and the states'
    components stay far above realmin, so no scaling is needed at all (the returned exponents are None).
    Every output is ``(P^J)^i · P^j x(t0)`` (J ≈ √T, ``P = exp(G dt)``): ~2√T products, as in
    :mod:`magbell.propagate`. The many small products are done entry by entry on (p,)-arrays (numpy's
    matmul costs ~100 ns per 2×2 product), the final one as a single batched matmul whose result already
    has the component-major output layout.
    """
    p, n, _ = G.shape
    S, k = x0.shape[-3], x0.shape[-1]
    b = max(0, int(np.ceil(0.5 * np.log2(T))))
    J = 2**b
    B = -(-T // J)
    E1 = _expm(G * dt)
    dtype = np.result_type(E1, x0)
    x = np.broadcast_to(x0, (p, S, n, k)).astype(dtype)
    if t0 > 0:
        x = np.matmul(_expm(G * t0)[:, None], x)
    # small steps: y_j = P^j x, j < J, stored component-major: Y[a] is (p, S*k, J)
    Y = np.empty((n, p, S * k, J), dtype=dtype)
    Qs = np.empty((p, n, B, n), dtype=dtype)  # rows (a, i): Qs[:, a, i, :] = (P^(J i))[a, :]
    if n <= 4:
        # entry by entry on (p,)-arrays: numpy's matmul costs ~100 ns per 2×2 product
        e1 = _entries(E1)
        comp = [np.ascontiguousarray(x[:, :, a, :].reshape(p, S * k)) for a in range(n)]
        for a in range(n):
            Y[a, :, :, 0] = comp[a]
        for j in range(1, J):
            comp = [sum(e1[a][m][:, None] * comp[m] for m in range(n)) for a in range(n)]
            for a in range(n):
                Y[a, :, :, j] = comp[a]
        M = e1
        for _ in range(b):
            M = _mat_mat(M, M)
        one = 1.0 + 0j if np.iscomplexobj(E1) else 1.0
        R = [[np.full(p, one) if i == j else np.zeros(p, dtype=dtype) for j in range(n)] for i in range(n)]
        for i in range(B):
            for a in range(n):
                for m in range(n):
                    Qs[:, a, i, m] = R[a][m]
            if i + 1 < B:
                R = _mat_mat(M, R)
    else:
        xs = x.reshape(p, S, n, k)
        for j in range(J):
            if j:
                xs = np.matmul(E1[:, None], xs)
            Y[:, :, :, j] = np.moveaxis(xs, 2, 0).reshape(n, p, S * k)
        M = E1
        for _ in range(b):
            M = M @ M
        R = np.broadcast_to(np.eye(n, dtype=dtype), (p, n, n)).copy()
        for i in range(B):
            Qs[:, :, i, :] = R
            if i + 1 < B:
                R = M @ R
    # X[p, s, a, kk, i*J + j] = Σ_m Q_i[a, m] y_j[m]: (p, n*B, n) @ (p, n, S*k*J)
    Yf = np.ascontiguousarray(Y.transpose(1, 0, 2, 3)).reshape(p, n, S * k * J)
    Qf = Qs.reshape(p, n * B, n)

    def layout(out):
        out = out.reshape(p, n, B, S, k, J)
        if S == 1 and k == 1:
            return out.reshape(p, 1, n, 1, B * J)[..., :T]
        return np.ascontiguousarray(out.transpose(0, 3, 1, 4, 2, 5)).reshape(p, S, n, k, B * J)[..., :T]

    if split and np.iscomplexobj(Qf):
        # real embedding [[Re, −Im], [Im, Re]]: a real matmul (faster than the complex one) whose result
        # holds the real and the imaginary parts as two contiguous halves
        Qr = np.empty((p, 2 * n * B, 2 * n))
        Qr[:, : n * B, :n], Qr[:, : n * B, n:] = Qf.real, -Qf.imag
        Qr[:, n * B :, :n], Qr[:, n * B :, n:] = Qf.imag, Qf.real
        Yr = np.concatenate([Yf.real, Yf.imag], axis=1)
        R = np.matmul(Qr, Yr)
        return (layout(R[:, : n * B]), layout(R[:, n * B :])), None
    X = layout(np.matmul(Qf, Yf))
    return ((X.real, X.imag) if split else X), None


#: the σ1z + σ2z blocks of H_eff: {|↑↑>}, {|↑↓>, |↓↑>}, {|↓↓>}
M_BLOCKS = ((0,), (1, 2), (3,))
_NO_SCALE = -(2**62)  # exponent of an all-zero block


def march_blocks(G: np.ndarray, W: np.ndarray, steps, which, Delta=None, tt=None):
    """:func:`march` of kets/factors ``W`` (S, 4, r) under a generator ``G`` (p, 4, 4) that is block diagonal in
    :data:`M_BLOCKS`: each block present in W is marched with its own scale (so a block that decays
    10^300 times faster than another cannot flush the state of the slower one), then the blocks are put on
    a common scale. Returns ``comps`` (list of 4 pairs (real part, imaginary part) of arrays (p, S, r, T), or
    None for a structurally zero component) and the int64 exponents (p, S, T) (None: no scaling).

    ``Delta`` (p,), ``tt`` (T,): when given, G is H_eff without the mean splitting (:func:`_heff_without_mean`)
    and the exact phases e^{+iΔt} (|↑↑>) and e^{−iΔt} (|↓↓>) are applied at the times ``tt``."""
    parts = []
    for blk in M_BLOCKS:
        idx = list(blk)
        if not np.any(W[:, idx, :] != 0):
            continue
        Gb = G[:, idx][:, :, idx]
        Xb, Lb = march(Gb, W[None][:, :, idx, :], steps, which, split=True)
        sign = -MEAN_PHASE_DIAG[idx[0]]
        if Delta is not None and sign != 0 and np.any(Delta != 0):
            cos, sin = _mean_phase(Delta, tt, int(sign))
            cos, sin = cos[:, None, None, None, :], sin[:, None, None, None, :]
            re, im = Xb
            Xb = (re * cos - im * sin, re * sin + im * cos)
        parts.append([idx, Xb, Lb])
    comps = [None] * 4
    if len(parts) == 1:
        idx, (re, im), LS = parts[0]
        for a, i in enumerate(idx):
            comps[i] = (re[:, :, a], im[:, :, a])
        return comps, LS
    for part in parts:
        re, im = part[1]
        if part[2] is None:
            part[2] = np.zeros(re.shape[:2] + re.shape[-1:], dtype=np.int64)
        zero = ~(np.any(re != 0, axis=(2, 3)) | np.any(im != 0, axis=(2, 3)))
        part[2] = np.where(zero, _NO_SCALE, part[2])
    LS = parts[0][2]
    for _, _, Lb in parts[1:]:
        LS = np.maximum(LS, Lb)
    for idx, (re, im), Lb in parts:
        d = np.clip(Lb - LS, -4000, 0).astype(np.int32)
        f = np.ldexp(1.0, d)[:, :, None, :]
        same = bool(np.all(d == 0))
        for a, i in enumerate(idx):
            comps[i] = (re[:, :, a], im[:, :, a]) if same else (re[:, :, a] * f, im[:, :, a] * f)
    return comps, LS


# ============================================================================== the non-Hermitian Hamiltonian
def _check_model(model) -> None:
    if not isinstance(model, Model):
        raise InvalidParameterError(f"model must be a magbell.Model, got {type(model).__name__}")


@lru_cache(maxsize=None)
def _heff_basis() -> np.ndarray:
    """(17, 4, 4) complex: H_eff = Σ_k c_k B_k for the coefficients c of ``Model.coefficients()``.

    H is linear in (δ, Δ, 𝒥z, 𝒥⊥, D) and K = Σ_k J_k†J_k = Σ_nm h_nm O_m†O_n is linear in the entries of h
    (Eqs. 3–4), so H_eff is one small matrix product per grid point, exact in the parameters (the jump
    operators of Eq. 5 carry square roots whose rounding would leave e.g. K's off-diagonal at 2 ± 1 ulp).
    """
    O = _operator_list()
    K = [np.einsum("nm,mji,njk->ik", hk, O.conj(), O) for hk in _h_basis()]
    out = np.concatenate([_hamiltonian_terms().astype(complex), -1j * np.stack(K)])
    out.setflags(write=False)
    return out


def _heff_fast(model: Model) -> np.ndarray:
    c = model.coefficients()
    return (c.reshape(-1, c.shape[-1]) @ _heff_basis().reshape(c.shape[-1], 16)).reshape(model.shape + (4, 4))


#: H_eff's dependence on the mean splitting: H_eff(Δ) = H_eff(0) + Δ·diag(−1, 0, 0, 1) (exact, and it
#: commutes with everything else in H_eff and with every jump's action on the coherence order)
MEAN_PHASE_DIAG = np.array([-1.0, 0.0, 0.0, 1.0])


def _heff_without_mean(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """``(H_eff with Δ = 0, Δ)`` flattened to (P, 4, 4) and (P,). Δ only multiplies the |↑↑> and |↓↓>
    components by the exact phases e^{±iΔt}; they are applied after the propagation
    (:func:`_mean_phase`), so that Δ (1e10 in SI units, against rates of 1) decides no step size."""
    c = model.coefficients().reshape(-1, len(COEFFICIENT_NAMES)).copy()
    Delta = c[:, _DELTA].copy()
    c[:, _DELTA] = 0.0
    return (c @ _heff_basis().reshape(c.shape[-1], 16)).reshape(-1, 4, 4), Delta


_DELTA = COEFFICIENT_NAMES.index("Delta")


def _mean_phase(Delta: np.ndarray, tt: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of m·Δ·t (P, T) with the product Δ·t formed exactly (hi + lo, Dekker), so that
    Δt = 1e19 rotates by the exact angle of the float inputs. m = ±1, ±2."""
    Delta = np.asarray(Delta, dtype=float)[:, None]
    tt = np.asarray(tt, dtype=float)[None, :]
    mx, ex = np.frexp(Delta)
    my, ey = np.frexp(tt)
    prod = mx * my
    sp = 134217729.0  # 2^27 + 1 (Veltkamp split)
    cx, cy = sp * mx, sp * my
    xh = cx - (cx - mx)
    yh = cy - (cy - my)
    xl, yl = mx - xh, my - yh
    err = ((xh * yh - prod) + xh * yl + xl * yh) + xl * yl
    e = ex + ey
    with np.errstate(under="ignore"):
        hi, lo = m * np.ldexp(prod, e), m * np.ldexp(err, e)
    cos = np.cos(hi) * np.cos(lo) - np.sin(hi) * np.sin(lo)
    sin = np.sin(hi) * np.cos(lo) + np.cos(hi) * np.sin(lo)
    return cos, sin


def jump_rate_operator(model: Model) -> np.ndarray:
    """``K = Σ_k J_k†J_k = Σ_nm h_nm O_m†O_n`` over all six jumps (Hermitian, PSD), ``(*model.shape, 4, 4)``."""
    _check_model(model)
    c = model.coefficients()[..., 5:]
    B = _heff_basis()[5:] * 1j  # = K_k
    return (c.reshape(-1, c.shape[-1]) @ B.reshape(c.shape[-1], 16)).reshape(model.shape + (4, 4))


def non_hermitian_hamiltonian(model: Model) -> np.ndarray:
    """``H_eff = H − i Σ_k J_k†J_k`` (paper Eq. 12), shape ``(*model.shape, 4, 4)``.

    ``H`` includes H_S and the coherent couplings 𝒥z, 𝒥⊥, D (S38); the sum includes the dephasing jumps.
    ``H_eff`` conserves σ1z + σ2z: it is block diagonal with blocks {|↑↑>}, {|↑↓>, |↓↑>}, {|↓↓>}.

    >>> import magbell
    >>> from magbell.conditional import non_hermitian_hamiltonian
    >>> non_hermitian_hamiltonian(magbell.Model(a=1.0, A=0.5))[1:3, 1:3]
    array([[0.-1.j , 0.-0.5j],
           [0.-0.5j, 0.-1.j ]])
    """
    _check_model(model)
    return _heff_fast(model)


# ============================================================================== spectrum
def _block_parts(Hn: np.ndarray) -> dict:
    """Centre E_c, traceless part T and ω² = T00² + T01·T10 of H_eff's 2×2 block on {|↑↓>, |↓↑>}."""
    b = Hn[..., 1:3, 1:3]
    Ec = (b[..., 0, 0] + b[..., 1, 1]) / 2
    T00 = (b[..., 0, 0] - b[..., 1, 1]) / 2
    T01 = b[..., 0, 1]
    T10 = b[..., 1, 0]
    w2 = omega_squared(T00, T01, T10)
    return {"H": Hn, "Ec": Ec, "T00": T00, "T01": T01, "T10": T10, "w2": w2}


def omega_squared(T00, T01, T10):
    """ω² = T00² + T01·T10 of the traceless block [[T00, T01], [T10, −T00]], in real arithmetic.

    Writing T00 = −(δ + iε), T01 = c − ik, T10 = c̄ − ik̄ (c = (T01 + T̄10)/2 the coherent, k = i(T01 − T̄10)/2
    the dissipative off-diagonal; an identity for any T01, T10)::

        ω² = (δ² − ε² + |c|² − |k|²) + 2i(δε − Re(c k̄))

    so that Im ω² is *exactly* 0 whenever it is 0 in exact arithmetic because ε = 0 and c = 0 (the paper's
    model, Eq. 14: ω² = δ² − Γ² with Γ = |k| = |A + Ã| for any arg A). The complex product T01·T10 would
    leave a rounding-level Im ω² of either sign there (−i·k·(−i)·k̄ with arg k = π/4 gives ±1e-18), which
    flips the principal branch of ω and swaps the labels s ↔ a (issue 9 §1.4).
    """
    T00, T01, T10 = np.asarray(T00), np.asarray(T01), np.asarray(T10)
    c = (T01 + np.conj(T10)) / 2
    k = 1j * (T01 - np.conj(T10)) / 2
    dl, ep = -T00.real, -T00.imag
    re = (dl * dl - ep * ep) + ((c.real * c.real + c.imag * c.imag) - (k.real * k.real + k.imag * k.imag))
    im = 2 * (dl * ep - (c.real * k.real + c.imag * k.imag))
    return re + 1j * im


def _normalise_ket(v0, v1, real_index: int, sign: float):
    """Normalise (v0, v1) and fix the global phase: component ``real_index`` real with sign ``sign``
    (the other component where that one vanishes)."""
    nrm = np.sqrt(np.abs(v0) ** 2 + np.abs(v1) ** 2)
    safe = np.where(nrm > 0, nrm, 1.0)
    v0, v1 = v0 / safe, v1 / safe
    ref = v0 if real_index == 0 else v1
    other = v1 if real_index == 0 else v0
    use = np.where(np.abs(ref) > 1e-300, ref, other)
    ph = np.where(np.abs(use) > 0, sign * np.conj(use) / np.where(np.abs(use) > 0, np.abs(use), 1.0), 1.0)
    return v0 * ph, v1 * ph, nrm > 0


def _eigvec(T00, T01, T10, lam):
    """Right eigenvector of [[T00, T01], [T10, −T00]] for eigenvalue ``lam`` (better-conditioned formula)."""
    r1 = (T01, lam - T00)  # from the first row
    r2 = (T00 + lam, T10)  # from the second row
    n1 = np.abs(r1[0]) ** 2 + np.abs(r1[1]) ** 2
    n2 = np.abs(r2[0]) ** 2 + np.abs(r2[1]) ** 2
    pick1 = n1 >= n2
    return np.where(pick1, r1[0], r2[0]), np.where(pick1, r1[1], r2[1])


def _embed(v0, v1) -> np.ndarray:
    z = np.zeros(np.shape(v0), dtype=complex)
    return np.stack([z, v0, v1, z], axis=-1)


@dataclass(frozen=True, eq=False, repr=False)
class NonHermitianSpectrum(Result):
    """Spectrum and phase of ``H_eff`` (Eq. 12) for a model grid; see :func:`postselect_spectrum`.

    Arrays have the model's shape (kets a trailing axis of 4 in the basis |↑↑>, |↑↓>, |↓↑>, |↓↓>).

    eigenvalues : (…, 4) ``(E_↑↑, E_s, E_a, E_↓↓)``; ``E_{s,a} = E_c ∓ ω`` are the subspace eigenvalues
        (Eq. 14: ``∓ω − i(a + ã)`` for the paper's model).
    E_s, E_a : the subspace eigenvalues; ``Im E_a ≥ Im E_s`` (|a> is the growing mode).
    Gamma : effective dissipative coupling ``|A + Ã|`` (= the paper's Γ = |A| + |Ã| when arg A = arg Ã).
    omega : ω = sqrt(ω²) (principal branch, so Im ω ≥ 0); real in the PT-exact phase.
    kappa : κ = Im ω (the paper's κ in the PT-broken phase, where ω = iκ).
    phase : 'PT-broken' (Im ω > 0: one mode dominates), 'exceptional-point' (ω = 0, H_eff defective),
        'PT-exact' (ω real ≠ 0: undamped oscillation), 'degenerate' (the block is ∝ 1: no dynamics at all).
    exceptional_point_delta : the δ at which the model (all other parameters fixed) has its exceptional
        point (the paper's Γ); NaN where no real δ gives one (e.g. unequal local rates with δ-independent
        coupling phases, see docs/postselection.md).
    ket_s, ket_a : normalised eigenkets with Eq. (14)'s phase convention (|s>'s |↓↑> component and
        −|a>'s |↑↓> component real ≥ 0). At the exceptional point both equal the coalesced state.
    exceptional_state : the coalesced eigenket where phase == 'exceptional-point' (|↑↓> component real
        > 0), NaN elsewhere.
    bell_phase : e^{iφ̃} = phase of <↓↑|a>/<↑↓|a> (Eq. 15: (−κ + iδ)/Γ); NaN in the degenerate phase.
    bell_state : (|↑↓> + e^{iφ̃}|↓↑>)/√2, the Bell state the PT-broken phase converges to (the singlet where
        bell_phase is NaN).
    asymptotic_state : |a> where the normalised state converges to it from any ρ0 with p_aa ≠ 0
        (PT-broken and exceptional point), NaN elsewhere.
    asymptotic_concurrence, asymptotic_bell_fidelity : 2|a_↑↓ a_↓↑| and |<bell_state|a>|² of that state.
    leak_rate : −2 Im E_a, the asymptotic decay rate of P(t) (the paper's 2(a + ã − κ)).
    growth_rate : 2κ, the rate at which the state approaches |a>.
    growth_beats_leak : growth_rate > leak_rate (the paper's practical condition).
    max_concurrence : sup_t C(t) from |↑↓> in the PT-exact phase (the paper's C_max(η), corrected — see
        docs/errata.md), NaN in the other phases.
    """

    eigenvalues: np.ndarray
    E_s: np.ndarray
    E_a: np.ndarray
    Gamma: np.ndarray
    omega: np.ndarray
    kappa: np.ndarray
    phase: np.ndarray
    exceptional_point_delta: np.ndarray
    ket_s: np.ndarray
    ket_a: np.ndarray
    exceptional_state: np.ndarray
    bell_phase: np.ndarray
    bell_state: np.ndarray
    asymptotic_state: np.ndarray
    asymptotic_concurrence: np.ndarray
    asymptotic_bell_fidelity: np.ndarray
    leak_rate: np.ndarray
    growth_rate: np.ndarray
    growth_beats_leak: np.ndarray
    max_concurrence: np.ndarray
    info: dict = field(default_factory=dict)

    _ARRAYS = ("Gamma", "kappa", "exceptional_point_delta", "asymptotic_concurrence", "asymptotic_bell_fidelity",
               "leak_rate", "growth_rate", "growth_beats_leak", "max_concurrence")
    _UNITS = {"Gamma": ("rate", "effective dissipative coupling |A + A~|"), "kappa": ("rate", "kappa = Im omega"),
              "exceptional_point_delta": ("rate", "delta at the exceptional point"),
              "asymptotic_concurrence": ("1", "concurrence of the asymptotic state |a>"),
              "asymptotic_bell_fidelity": ("1", "fidelity of |a> to bell_state"),
              "leak_rate": ("rate", "asymptotic decay rate of P(t), -2 Im E_a"),
              "growth_rate": ("rate", "rate of approach to |a>, 2 kappa"),
              "growth_beats_leak": (None, "growth_rate > leak_rate"),
              "max_concurrence": ("1", "sup_t C(t) from |ud> (PT-exact phase)")}


def postselect_spectrum(model: Model, *, rtol: float = 1e-12) -> NonHermitianSpectrum:
    """Eigenvalues, eigenkets (Eq. 14) and the PT phase of ``H_eff`` in the σz = 0 subspace, batched.

    Closed forms of the 2×2 block ``E_c·1 + T`` (T traceless, T² = ω²·1): ``E_{s,a} = E_c ∓ ω``. The
    classification uses ω² directly: 'exceptional-point' where ``|ω²| ≤ rtol·(|T00|² + |T01 T10|)`` and
    T ≠ 0, 'PT-exact' where ω² is real and positive (to the same tolerance), 'PT-broken' otherwise,
    'degenerate' where T = 0. A PT phase diagram is one call on a grid::

        >>> import numpy as np, magbell
        >>> from magbell.conditional import postselect_spectrum
        >>> sp = postselect_spectrum(magbell.Model(a=2.0, A=2.0, delta=[0.0, 2.0, 5.0]))
        >>> sp.phase.tolist()
        ['PT-broken', 'exceptional-point', 'PT-exact']
        >>> sp.exceptional_point_delta.tolist()
        [2.0, 2.0, 2.0]
    """
    _check_model(model)
    if isinstance(rtol, (bool, np.bool_)) or not (isinstance(rtol, (int, float, np.integer, np.floating))
                                                   and rtol >= 0 and np.isfinite(rtol)):
        raise InvalidParameterError(f"rtol must be a finite number >= 0, got {rtol!r}")
    return _spectrum_core(non_hermitian_hamiltonian(model), np.abs(model.A + model.A_tilde), rtol)


def _classify(d: dict, rtol: float):
    """ω and the phase masks (degenerate, exceptional point, PT-exact) of the {|↑↓>, |↓↑>} block parts ``d``.

    ω is the principal root with Im ω ≥ 0 (the −0.0 imaginary-part case included); where the tolerance
    declares an EP, ω = 0 exactly; in the PT-exact phase ω = +sqrt(Re ω²) > 0 (Eq. 14: ω = sqrt(δ² − Γ²)),
    whatever the sign of a tolerated Im ω². One rule for the spectrum and for the target Bell state.
    """
    Ec, T00, T01, T10, w2 = d["Ec"], d["T00"], d["T01"], d["T10"], d["w2"]
    w = np.sqrt(w2 + 0j)
    w = np.where(w.imag < 0, -w, w)
    scale2 = np.abs(T00) ** 2 + np.abs(T01 * T10)
    tnorm = np.abs(T00) + np.abs(T01) + np.abs(T10)
    ref = np.abs(Ec) + tnorm
    degenerate = tnorm <= 8 * np.finfo(float).eps * np.where(ref > 0, ref, 1.0)
    ep = (~degenerate) & (np.abs(w2) <= rtol * scale2)
    exact = (~degenerate) & (~ep) & (w2.real > 0) & (np.abs(w2.imag) <= rtol * scale2)
    w = np.where(ep, 0.0, np.where(exact, np.sqrt(np.maximum(w2.real, 0.0)) + 0j, w))
    return w, degenerate, ep, exact


def _spectrum_core(Hn: np.ndarray, gamma_abs: np.ndarray, rtol: float) -> NonHermitianSpectrum:
    d = _block_parts(Hn)
    Hn, Ec, T00, T01, T10 = d["H"], d["Ec"], d["T00"], d["T01"], d["T10"]
    w, degenerate, ep, exact = _classify(d, rtol)
    phase = np.where(degenerate, "degenerate", np.where(ep, "exceptional-point", np.where(exact, "PT-exact", "PT-broken")))
    kappa = np.where(ep | exact, 0.0, w.imag)
    E_s = Ec - w
    E_a = Ec + w
    eig = np.stack([Hn[..., 0, 0], E_s, E_a, Hn[..., 3, 3]], axis=-1)

    # eigenkets (Eq. 14 phase convention)
    sa0, sa1 = _eigvec(T00, T01, T10, -w)
    aa0, aa1 = _eigvec(T00, T01, T10, w)
    s0, s1, oks = _normalise_ket(sa0, sa1, 1, 1.0)
    a0, a1, oka = _normalise_ket(aa0, aa1, 0, -1.0)
    nan = np.full(np.shape(T00), np.nan + 0j)
    s0, s1 = np.where(degenerate | ~oks, nan, s0), np.where(degenerate | ~oks, nan, s1)
    a0, a1 = np.where(degenerate | ~oka, nan, a0), np.where(degenerate | ~oka, nan, a1)
    ket_s, ket_a = _embed(s0, s1), _embed(a0, a1)
    # coalesced state: |↑↓> component real positive
    c0, c1, _ = _normalise_ket(a0, a1, 0, 1.0)
    exc = _embed(np.where(ep, c0, nan), np.where(ep, c1, nan))

    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        # the phase of a1/a0 as a product of unit numbers (a1/a0 overflowed for |a0| ~ 1e-310 next to |a1| ~ 1)
        both = (np.abs(a0) > 0) & (np.abs(a1) > 0)
        bell_phase = np.where(both, _unit(a1, both) * np.conj(_unit(a0, both)), np.nan + 0j)
    bp = np.where(np.isnan(bell_phase), -1.0 + 0j, bell_phase)
    r2 = 1 / np.sqrt(2)
    bell_state = _embed(np.full(np.shape(bp), r2 + 0j), bp * r2)
    converges = (phase == "PT-broken") | ep
    asym = np.where(converges[..., None], ket_a, np.nan + 0j)
    with np.errstate(invalid="ignore"):
        asym_c = np.where(converges, 2 * np.abs(a0 * a1), np.nan)
        asym_f = np.where(converges, (np.abs(a0) + np.abs(a1)) ** 2 / 2, np.nan)
    leak = -2 * E_a.imag
    growth = 2 * kappa
    # C_max from |↑↓> in the PT-exact phase: ρ = |ψ_↓↑/ψ_↑↓| ranges over (0, |T10|/|Re T00|]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho_max = np.minimum(1.0, np.abs(T10) / np.abs(T00.real))
        cmax = np.where(exact, 2 * rho_max / (1 + rho_max**2), np.nan)
    # δ of the exceptional point: (δ + iε)² = −c with T00 = −(δ + iε)
    eps_ = -T00.imag
    c = T01 * T10
    root = np.sqrt(-c + 0j)
    cands = np.stack([root, -root], axis=-1)
    mism = np.abs(cands.imag - eps_[..., None])
    tol_d = 1e-9 * np.sqrt(np.abs(c) + eps_**2 + 1e-300)
    ok = mism <= tol_d[..., None]
    # prefer a non-negative δ among the matching roots
    score = np.where(ok, np.where(cands.real >= 0, 0, 1), 2)
    pick = np.argmin(score, axis=-1)
    chosen = np.take_along_axis(cands, pick[..., None], axis=-1)[..., 0]
    matched = np.take_along_axis(ok, pick[..., None], axis=-1)[..., 0]
    delta_ep = np.where(matched, chosen.real + 0.0, np.nan)
    gamma = np.broadcast_to(gamma_abs, np.shape(T00)).astype(float)
    return NonHermitianSpectrum(
        eigenvalues=eig,
        E_s=E_s,
        E_a=E_a,
        Gamma=gamma,
        omega=w,
        kappa=kappa,
        phase=phase,
        exceptional_point_delta=delta_ep,
        ket_s=ket_s,
        ket_a=ket_a,
        exceptional_state=exc,
        bell_phase=bell_phase,
        bell_state=bell_state,
        asymptotic_state=asym,
        asymptotic_concurrence=asym_c,
        asymptotic_bell_fidelity=asym_f,
        leak_rate=leak,
        growth_rate=growth,
        growth_beats_leak=growth > leak,
        max_concurrence=cmax,
        info={"rtol": rtol, "block": "H_eff restricted to {|ud>, |du>}"},
    )


def _unit(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """z/|z| where ``mask`` (1 elsewhere), by real divisions: NumPy's complex/float division goes through
    1/|z| and overflows for a subnormal |z| (the eigenket component 3e-309 of the a = 3e-308 reproducer)."""
    r = np.where(mask, np.abs(z), 1.0)
    return np.where(mask, z.real, 1.0) / r + 1j * (np.where(mask, z.imag, 0.0) / r)


def _target_bell(Hn: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """(|↑↓> + e^{iφ̃}|↓↑>)/√2 with the model's e^{iφ̃} (singlet where undefined), (*shape, 4).

    The same formulas as :func:`postselect_spectrum`'s ``bell_state``, without the rest of the spectrum."""
    d = _block_parts(Hn)
    T00, T01, T10 = d["T00"], d["T01"], d["T10"]
    w, degenerate, _, _ = _classify(d, rtol)
    a0, a1 = _eigvec(T00, T01, T10, w)
    ok = (~degenerate) & (np.abs(a0) > 0) & (np.abs(a1) > 0)
    # the phase of a1/a0 as a product of unit numbers: a1/a0 itself overflowed when |a0| << |a1| (tiny rates
    # next to δ, e.g. a = 3e-308, D = 1e-307, δ = 30)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        ph = np.where(ok, _unit(a1, ok) * np.conj(_unit(a0, ok)), -1.0 + 0j)
    r2 = 1 / np.sqrt(2)
    return _embed(np.full(np.shape(ph), r2 + 0j), ph * r2)


# ============================================================================== results
@dataclass(frozen=True, eq=False, repr=False)
class PostselectResult(TimeSeriesResult):
    """Result of :func:`postselect` / :func:`conditional_evolve` / :func:`magbell.monitor`.

    Shapes follow :class:`magbell.EvolveResult`: ``(*model.shape, [n_initial,] n_times)`` for scalar
    measures (a trailing axis of 4 for ``populations`` / ``bell_fidelities``). ``success_probability`` is
    P(t) (it may underflow to 0 at long times; ``log_success_probability`` stays exact and finite unless
    P(t) is exactly 0). ``bell_state`` (*model.shape, 4) is the Bell state ``bell_fidelity`` refers to.
    ``states`` (if stored) are the normalised conditional states ``(..., n_times, 4, 4)``.
    """

    times: np.ndarray
    model: Model
    initial: np.ndarray
    scheme: str
    measures: dict
    success_probability: np.ndarray
    log_success_probability: np.ndarray
    bell_state: np.ndarray
    states: np.ndarray | None
    info: dict = field(default_factory=dict)

    _HOW_TO_ASK = "postselect(..., measures=[...])"
    _ARRAYS = ("success_probability", "log_success_probability")
    _LONG_SUFFIX = ", postselected"

    @property
    def method(self):
        return (self.info or {}).get("method", self.scheme)


def _check_flag(name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{name} must be True or False, got {value!r}")


def _check_measures(measures) -> tuple:
    if isinstance(measures, str):
        measures = (measures,)
    try:
        measures = tuple(measures)
    except TypeError:
        raise InvalidParameterError(f"measures must be a measure name or a list of them, got {measures!r}") from None
    known = tuple(_measures.MEASURES) + EXTRA_MEASURES
    unknown = [m for m in measures if m not in known]
    if unknown:
        raise InvalidParameterError(f"unknown measure(s) {unknown}; known: {', '.join(known)}")
    return measures


def _factor(rho0: np.ndarray) -> np.ndarray:
    """ρ0 = W W† with W (S, 4, r): r = 1 for pure states (the ket), else the weighted eigenvectors.

    A pure ρ0 uses its largest column, ρ[:, j]/sqrt(ρ_jj), which is exact for the named states."""
    S = rho0.shape[0]
    p, V = np.linalg.eigh(rho0)
    p = np.where(p > 1e-14 * p[..., -1:], p, 0.0)
    r = int(np.max(np.sum(p > 0, axis=-1)))
    if r == 1:
        j = np.argmax(np.real(np.diagonal(rho0, axis1=-2, axis2=-1)), axis=-1)
        col = np.take_along_axis(rho0, j[:, None, None], axis=-1)[..., 0]  # (S, 4)
        piv = np.sqrt(np.real(np.take_along_axis(col, j[:, None], axis=-1)))
        return (col / piv).reshape(S, 4, 1)
    order = np.argsort(-p, axis=-1)
    p = np.take_along_axis(p, order, axis=-1)[:, :r]
    V = np.take_along_axis(V, order[:, None, :], axis=-1)[:, :, :r]
    W = V * np.sqrt(p)[:, None, :]
    return W.reshape(S, 4, r)


def _sub_to_rho(x: np.ndarray) -> np.ndarray:
    """Subspace coordinates (..., 4) = (ρ11, ρ22, Re ρ12, Im ρ12) → 4×4 matrices (..., 4, 4)."""
    rho = np.zeros(x.shape[:-1] + (4, 4), dtype=complex)
    rho[..., 1, 1] = x[..., 0]
    rho[..., 2, 2] = x[..., 1]
    rho[..., 1, 2] = x[..., 2] + 1j * x[..., 3]
    rho[..., 2, 1] = x[..., 2] - 1j * x[..., 3]
    return rho


def _measures_from_rho(rho: np.ndarray, names, bell: np.ndarray, valid: np.ndarray) -> dict:
    """Measures of normalised states ``rho`` (p, S, T, 4, 4); ``bell`` (p, 4); NaN where not ``valid``."""
    out = {}
    safe = np.where(valid[..., None, None], rho, np.eye(4) / 4)
    for name in names:
        if name == "bell_fidelity":
            v = np.real(np.einsum("pi,pstij,pj->pst", bell.conj(), safe, bell))
        elif name == "bell_fidelity_max":
            v = (safe[..., 1, 1].real + safe[..., 2, 2].real) / 2 + np.abs(safe[..., 1, 2])
        else:
            v = _measures.MEASURES[name](safe)
        out[name] = _mask(np.asarray(v, dtype=float), valid)
    return out


def _mask(v: np.ndarray, valid) -> np.ndarray:
    if valid is True or np.all(valid):
        return v
    mask = valid.reshape(valid.shape + (1,) * (v.ndim - valid.ndim))
    return np.where(mask, v, np.nan)


def _ket_measures(comps, n2, norm2, names, bell, valid, dest=None):
    """Fast measures of pure states: components ``comps[i]`` = (real part, imaginary part), each (p, S, T),
    or None (structural zero), their |.|² ``n2[i]``, norms² ``norm2`` (p, S, T)."""
    out = {}
    rest = []
    denom = norm2 if valid is True else np.where(valid, norm2, 1.0)
    inv_cache = []

    def inv():
        if not inv_cache:
            inv_cache.append(1.0 / denom)
        return inv_cache[0]

    x = [None if c is None else c[0] + 1j * c[1] for c in comps] if (
        comps[0] is not None and comps[3] is not None and comps[1] is not None and comps[2] is not None) else None
    for name in names:
        if name == "concurrence":
            have = [c is not None for c in comps]
            t1 = True if have[0] and have[3] else None
            t2 = True if have[1] and have[2] else None
            if t1 is None and t2 is None:
                c = np.zeros_like(norm2)
            elif t1 is None or t2 is None:
                i, j = (1, 2) if t1 is None else (0, 3)
                c = np.multiply(n2[i], n2[j], out=None if dest is None else dest("m:concurrence", norm2.shape[1:]))
                np.sqrt(c, out=c)
                np.divide(c, denom, out=c)
                c *= 2
            else:
                c = 2 * np.abs(x[0] * x[3] - x[1] * x[2]) / denom
            out[name] = c
        elif name == "populations":
            pops = np.zeros(norm2.shape + (4,)) if dest is None else dest("m:populations", norm2.shape[1:] + (4,))
            for i in range(4):
                if comps[i] is not None:
                    np.multiply(n2[i], inv(), out=pops[..., i])
            out[name] = pops
        elif name == "bell_fidelity":
            present = [i for i in range(4) if comps[i] is not None and np.any(bell[:, i] != 0)]
            fdest = None if dest is None else dest("m:bell_fidelity", norm2.shape[1:])
            if not present:
                out[name] = np.zeros_like(norm2)
            elif len(present) == 2:
                # |<b|x>|² = |b_i|² n_i + |b_j|² n_j + Re(2 conj(b_i) b_j · x_i conj(x_j)), in real arithmetic
                i, j = present
                (r1, i1), (r2, i2) = comps[i], comps[j]
                w = 2 * np.conj(bell[:, i]) * bell[:, j]
                rez = np.multiply(r1, r2, out=fdest)
                rez += i1 * i2
                imz = i1 * r2
                imz -= r1 * i2
                rez *= w.real[:, None, None]
                imz *= w.imag[:, None, None]
                rez -= imz
                rez *= inv()
                c1, c2 = np.abs(bell[:, i]) ** 2, np.abs(bell[:, j]) ** 2
                others = [q for q in range(4) if q not in (i, j) and comps[q] is not None]
                if np.all(c1 == c2) and not others:  # |b_i|² = |b_j|² = ½ and n_i + n_j = ‖x‖²
                    rez += c1[:, None, None]
                else:
                    rez += (c1[:, None, None] * n2[i] + c2[:, None, None] * n2[j]) * inv()
                out[name] = rez
            else:
                # general: <b|x> = Σ_i conj(b_i) x_i on the (re, im) parts
                ar = ai = None
                for i in present:
                    br = bell[:, i].real[:, None, None]
                    bi = bell[:, i].imag[:, None, None]
                    re, im = comps[i]
                    tr_ = br * re + bi * im
                    ti_ = br * im - bi * re
                    ar = tr_ if ar is None else ar + tr_
                    ai = ti_ if ai is None else ai + ti_
                f = np.multiply(ar, ar)
                f += ai * ai
                out[name] = np.multiply(f, inv(), out=f if fdest is None else fdest)
        elif name == "purity":
            out[name] = np.ones_like(norm2)
        else:
            rest.append(name)
    return {k: _mask(v, valid) for k, v in out.items()}, rest


def _sub_measures(x, tr, names, bell, valid):
    """Fast measures of subspace states: coordinates x (p, S, 4, T) = (ρ11, ρ22, Re ρ12, Im ρ12), traces
    ``tr`` (p, S, T)."""
    out = {}
    rest = []
    inv = 1.0 / np.where(valid, tr, 1.0)
    for name in names:
        if name == "concurrence":
            out[name] = 2 * np.sqrt(x[:, :, 2] ** 2 + x[:, :, 3] ** 2) * inv
        elif name == "populations":
            z = np.zeros_like(tr)
            out[name] = np.stack([z, x[:, :, 0] * inv, x[:, :, 1] * inv, z], axis=-1)
        elif name == "bell_fidelity":
            b1, b2 = bell[:, 1][:, None, None], bell[:, 2][:, None, None]
            r12 = x[:, :, 2] + 1j * x[:, :, 3]
            v = np.abs(b1) ** 2 * x[:, :, 0] + np.abs(b2) ** 2 * x[:, :, 1] + 2 * np.real(np.conj(b1) * b2 * np.conj(r12))
            out[name] = v * inv
        elif name == "bell_fidelity_max":
            out[name] = ((x[:, :, 0] + x[:, :, 1]) / 2 + np.sqrt(x[:, :, 2] ** 2 + x[:, :, 3] ** 2)) * inv
        else:
            rest.append(name)
    return {k: _mask(v, valid) for k, v in out.items()}, rest


class _Collector:
    """Preallocated outputs (P, S, T_unique, ...) filled chunk by chunk."""

    def __init__(self, n_points: int):
        self.n = n_points
        self.data: dict = {}

    def view(self, key: str, start: int, stop: int, tail: tuple, dtype=float) -> np.ndarray:
        """A writable slice [start:stop] of output ``key`` (created zero-filled on first use), to compute
        into; each slice is handed out once, so it is still all zeros."""
        if key not in self.data:
            self.data[key] = np.zeros((self.n,) + tuple(tail), dtype=dtype)
        return self.data[key][start:stop]

    def add(self, start: int, stop: int, chunk: dict) -> None:
        items = [("P", chunk["P"]), ("logP", chunk["logP"]), ("rho", chunk["rho"])]
        items += [("m:" + k, v) for k, v in chunk["measures"].items()]
        for key, v in items:
            if v is None:
                continue
            if key not in self.data:
                self.data[key] = np.empty((self.n,) + v.shape[1:], dtype=v.dtype)
            dest = self.data[key][start:stop]
            if not np.may_share_memory(dest, v):  # not already computed in place
                dest[...] = v


def _assemble(model, t, rho0, several, labels, scheme, col: _Collector, measures, store_states, inverse, bell, info):
    """Reshape the collected outputs (P, S, T_unique, ...) to the public shape contract."""
    shape = model.shape
    T_unique = col.data["P"].shape[2]
    identity = len(inverse) == T_unique and np.array_equal(inverse, np.arange(T_unique))

    def fix(a):
        if not identity:
            a = a[:, :, inverse]  # unique times → requested order
        if model.size == 0:
            a = a[:0]
        a = a.reshape(shape + a.shape[1:])
        if not several:
            a = a.reshape(shape + a.shape[len(shape) + 1 :])
        return a

    meas = {k: fix(col.data["m:" + k]) for k in measures if "m:" + k in col.data}
    return PostselectResult(
        times=t,
        model=model,
        initial=rho0 if several else rho0[0],
        scheme=scheme,
        measures=meas,
        success_probability=fix(col.data["P"]),
        log_success_probability=fix(col.data["logP"]),
        bell_state=bell.reshape(shape + (4,)) if model.size else bell[:0].reshape(shape + (4,)),
        states=fix(col.data["rho"]) if store_states else None,
        info=dict(info, initial_labels=labels),
    )


def _labels(initial, several):
    if several and isinstance(initial, (list, tuple)):
        return [s if isinstance(s, str) else "custom" for s in initial]
    return initial if isinstance(initial, str) else "custom"


def _grid_coefficients(model: Model):
    """(flat model list helper) the model flattened to P points (one dummy point for an empty grid)."""
    if model.size == 0:
        return Model(a=1.0), 1
    flat = Model(**{k: (None if v is None else np.broadcast_to(v, model.shape).reshape(-1))
                    for k, v in _fields(model).items()})
    return flat, model.size


def _fields(model: Model) -> dict:
    import dataclasses

    return {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}


def postselect(
    model: Model,
    initial: str | ArrayLike | Sequence[str | ArrayLike],
    times: ArrayLike,
    *,
    scheme: str = "no-jump",
    measures=DEFAULT_MEASURES,
    store_states: bool = False,
    chunk_points: int | None = None,
) -> PostselectResult:
    """Normalised conditional evolution of Eq. (13) and its success probability P(t), batched.

    Parameters
    ----------
    model : :class:`magbell.Model` (a single model or a grid).
    initial : any state of the full 4-dimensional space (name, ket, density matrix, Qobj, or a list of
        them: adds an initial-state axis before the time axis), pure or mixed.
    times : 1-D array of non-negative times (any order; a uniform grid is fastest).
    scheme : ``"no-jump"`` (Eq. 13 on the full space: no jump of any kind) or ``"subspace"`` (the
        |σ1z + σ2z| = 0 postselection at infinite measurement rate: ρ0 is first projected onto
        span{|↑↓>, |↓↑>}; dephasing jumps, invisible to that measurement, remain). See the module docstring.
        **The default "no-jump" is not the paper's |σ1z + σ2z| = 0 protocol** when ρ0 has weight outside
        span{|↑↓>, |↓↑>} or dephasing is on. Example: from ``"phi+"`` = (|↑↑> + |↓↓>)/√2 with
        ``Model(a=1, A=0.5)``, "no-jump" returns a normalised state (|↓↓> decays, |↑↑> does not:
        P(1) = (1 + e^{−4})/2 ≈ 0.51, C(1) = 2e^{−2}/(1 + e^{−4}) ≈ 0.27), while the paper's protocol
        measures |σ1z + σ2z| = 2 at t = 0 and gives P = 0 (``scheme="subspace"``: P = 0, states NaN). For
        ρ0 inside the subspace and no dephasing the two schemes coincide.
    measures : names from :data:`magbell.measures.MEASURES` plus ``"bell_fidelity"`` (fidelity to the
        model's asymptotic Bell state (|↑↓> + e^{iφ̃}|↓↑>)/√2, ``result.bell_state``) and
        ``"bell_fidelity_max"`` (the largest fidelity to any (|↑↓> + e^{iφ}|↓↑>)/√2).
    store_states : also return the normalised states.

    Returns a :class:`PostselectResult` with the measures, ``success_probability`` P(t) and
    ``log_success_probability`` (exact and finite where P underflows). Where P(t) = 0 exactly (e.g. a
    ``"subspace"`` postselection of |↑↑>) the states and measures are NaN and log P is −inf.

    >>> import numpy as np, magbell
    >>> from magbell.conditional import postselect
    >>> r = postselect(magbell.Model(a=2.0, A=2.0), "ud", [0.0, 0.5, 1e6])
    >>> np.round(r.concurrence, 10).tolist()          # C = tanh(2Γt), Γ = 2
    [0.0, 0.9640275801, 1.0]
    >>> round(float(r.log_success_probability[-1]), 8)   # P → 1/2 at a = |A|, δ = 0
    -0.69314718
    """
    _check_model(model)
    t = validate_times(times)
    if scheme not in SCHEMES:
        raise InvalidParameterError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    measures = _check_measures(measures)
    rho0, several = as_density_matrices(initial)
    labels = _labels(initial, several)
    if chunk_points is not None and (isinstance(chunk_points, (bool, np.bool_))
                                     or not isinstance(chunk_points, (int, np.integer)) or chunk_points < 1):
        raise InvalidParameterError(f"chunk_points must be None or a positive integer, got {chunk_points!r}")
    _check_flag("store_states", store_states)
    flat, P_all = _grid_coefficients(model)
    tt, steps, which, inverse = _time_plan(t)
    T = len(tt)
    S = rho0.shape[0]
    check_domain(flat.coefficients(), float(t.max()), what="postselect")
    Hn, Delta = _heff_without_mean(flat)  # Δ: exact phases after the propagation
    bell_all = _target_bell(Hn)

    W = _factor(rho0)  # (S, 4, r)
    use_kets = scheme == "no-jump"
    if scheme == "subspace":
        # Without dephasing inside the subspace (d1 + d2 − 2 Re 𝔇 = 0, i.e. every dephasing jump vanishes
        # there) the subspace scheme is the no-jump evolution of Π0 ρ0 Π0: use the (cheaper, pure-state
        # preserving) ket path on the projected factor. Its norm² at t = 0 is p0 = tr Π0 ρ0.
        gd = flat.d + flat.local("d2") - 2 * flat.D_deph.real
        Wp = W.copy()
        Wp[:, [0, 3], :] = 0.0
        if np.all(gd == 0) and np.all(np.any(Wp != 0, axis=(1, 2))):
            W, use_kets = Wp, True
    if use_kets:
        G_all = -1j * Hn
        x0 = W[None]
        kind = "ket"
        n, k = 4, W.shape[-1]
    else:
        L0 = flat.liouvillian_blocks()[0].reshape(-1, 6, 6)
        G_all = L0[:, SUB_COORDS[:, None], SUB_COORDS[None, :]]
        sb = sector_basis(2)
        r0 = sb.real_coordinates(rho0)[:, sb.blocks[0]][:, SUB_COORDS]  # (S, 4)
        x0 = r0[None, :, :, None]
        kind = "sub"
        n, k = 4, 1
    per_point = S * T * n * k * 16 * (2 if store_states else 1) + len(steps) * n * n * 16
    if chunk_points is None:
        chunk_points = max(1, _CHUNK_BYTES // max(1, per_point))
    chunk_points = int(min(chunk_points, P_all))

    col = _Collector(P_all)
    for start in range(0, P_all, chunk_points):
        stop = min(P_all, start + chunk_points)
        if kind == "ket":
            X, LS = march_blocks(G_all[start:stop], W, steps, which, Delta[start:stop], tt)
        else:
            X, LS = march(G_all[start:stop], x0, steps, which)

        def dest(key, tail, _a=start, _b=stop):
            return col.view(key, _a, _b, tail)

        col.add(start, stop, _finish_chunk(X, LS, kind, measures, bell_all[start:stop], store_states, dest))
    info = {
        "method": "scaled Padé exponentials of −iH_eff·dt per σz block (no eigendecomposition), stepped with "
        "power-of-two renormalisation; log P accumulated" if kind == "ket" else
        "scaled Padé exponentials of the subspace block of the Liouvillian (|q|=0 coordinates ρ11, ρ22, ρ12), "
        "stepped with power-of-two renormalisation",
        "scheme": scheme,
        "uniform_steps": len(steps) == 2 and T >= 3,
    }
    return _assemble(model, t, rho0, several, labels, scheme, col, measures, store_states, inverse, bell_all, info)


def _abs2(c) -> np.ndarray:
    """Σ_r |c|² over the factor axis 2 of (p, S, r, T), for c = (real part, imaginary part)."""
    re, im = c
    a = np.multiply(re, re)
    a += im * im
    return a[:, :, 0] if a.shape[2] == 1 else a.sum(axis=2)


def _finish_chunk(X, LS, kind, measures, bell, store_states, dest=None) -> dict:
    """Measures, P, log P (and states) of one chunk of marched vectors X (p, S, n, k, T).

    ``dest``: optional callable ``dest(key, tail)`` giving output slices to compute into (saves a copy)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        rho = None
        if kind == "ket":
            comps = X  # list of 4 arrays (p, S, r, T) or None
            n2 = [None if c is None else _abs2(c) for c in comps]
            present = [v for v in n2 if v is not None]
            shape = present[0].shape
            buf = dest("P", shape[1:]) if (dest is not None and LS is None) else None
            norm2 = np.copy(present[0]) if len(present) == 1 else np.add(present[0], present[1], out=buf)
            if buf is not None and len(present) == 1:
                buf[...] = norm2
                norm2 = buf
            for v in present[2:]:
                norm2 += v
            if LS is None and dest is not None:
                P, logP = norm2, np.log(norm2, out=dest("logP", shape[1:]))
            else:
                P, logP = log_scaled(norm2, LS, 2)
            valid = True if norm2.min() > 0 else norm2 > 0
            r = next(c for c in comps if c is not None)[0].shape[2]
            if r == 1:
                c1 = [None if c is None else (c[0][:, :, 0], c[1][:, :, 0]) for c in comps]
                out, rest = _ket_measures(c1, n2, norm2, measures, bell, valid, dest)
            else:
                out, rest = {}, list(measures)
            if rest or store_states:
                if valid is True:
                    valid = np.ones(norm2.shape, dtype=bool)
                full = [None if c is None else c[0] + 1j * c[1] for c in comps]
                ref = next(c for c in full if c is not None)
                X = np.stack([np.zeros_like(ref) if c is None else c for c in full], axis=2)  # (p, S, 4, r, T)
                Xt = np.moveaxis(X, -1, 2)  # (p, S, T, n, k)
                rho = np.einsum("...ik,...jk->...ij", Xt, Xt.conj()) / np.where(valid, norm2, 1.0)[..., None, None]
                rho = np.where(valid[..., None, None], rho, np.nan)
                out.update(_measures_from_rho(rho, rest, bell, valid))
        elif kind == "sub":
            x = X[:, :, :, 0]
            tr = x[:, :, 0] + x[:, :, 1]
            P, logP = log_scaled(np.maximum(tr, 0.0), LS)
            valid = tr > 0
            out, rest = _sub_measures(x, tr, measures, bell, valid)
            if rest or store_states:
                rho = _sub_to_rho(np.moveaxis(x, 2, -1)) / np.where(valid, tr, 1.0)[..., None, None]
                rho = np.where(valid[..., None, None], rho, np.nan)
                out.update(_measures_from_rho(rho, rest, bell, valid))
        else:  # "vec": vectorised 4×4 matrices (conditional_evolve)
            x = np.moveaxis(X[:, :, :, 0], 2, -1)  # (p, S, T, 16)
            rho = x.reshape(x.shape[:-1] + (4, 4))
            rho = (rho + np.conj(np.swapaxes(rho, -1, -2))) / 2
            tr = np.real(np.trace(rho, axis1=-2, axis2=-1))
            P, logP = log_scaled(np.maximum(tr, 0.0), LS)
            valid = tr > 0
            rho = rho / np.where(valid, tr, 1.0)[..., None, None]
            rho = np.where(valid[..., None, None], rho, np.nan)
            out = _measures_from_rho(rho, measures, bell, valid)
        if valid is not True and not np.all(valid):
            logP = np.where(valid, logP, -np.inf)
            P = np.where(valid, P, 0.0)
    return {"measures": out, "P": P, "logP": logP, "rho": rho if store_states else None}


def _forbidden_indices(forbid) -> list:
    if isinstance(forbid, str):
        if forbid == "all":
            return list(range(6))
        forbid = [f.strip() for f in forbid.split(",") if f.strip()]
    try:
        forbid = list(forbid)
    except TypeError:
        raise InvalidParameterError(
            f"forbid must be 'all' or a list of jump names {', '.join(JUMP_NAMES)} (or indices 0-5), got {forbid!r}"
        ) from None
    out = []
    for f in forbid:
        if isinstance(f, (int, np.integer)) and 0 <= int(f) < 6:
            out.append(int(f))
        elif isinstance(f, str) and f in JUMP_NAMES:
            out.append(JUMP_NAMES.index(f))
        else:
            raise InvalidParameterError(
                f"forbid must be 'all' or a list of jump names {', '.join(JUMP_NAMES)} (or indices 0-5), got {f!r}"
            )
    return sorted(set(out))


def conditional_evolve(
    model: Model,
    initial,
    times,
    *,
    forbid="all",
    measures=DEFAULT_MEASURES,
    store_states: bool = False,
) -> PostselectResult:
    """Evolution postselected on "no jump in the channels ``forbid``" (partial postselection).

    The unnormalised conditional state obeys ``dρ̃/dt = −i(H_eff ρ̃ − ρ̃ H_eff†) + 2 Σ_{k ∉ forbid} J_k ρ̃ J_k†``
    (Eq. 11 with the forbidden jump terms removed); the result is ρ̃/tr ρ̃ with P(t) = tr ρ̃.
    ``forbid="all"`` is Eq. (13) (same as :func:`postselect` with ``scheme="no-jump"``), ``forbid=[]`` is
    the unconditional Lindblad evolution (P = 1). Channel names are ``J1..J6`` (:data:`JUMP_NAMES`; J5, J6
    are the dephasing jumps). Uses the 16×16 superoperator: slower than :func:`postselect` on big grids.
    """
    _check_model(model)
    t = validate_times(times)
    measures = _check_measures(measures)
    idx = _forbidden_indices(forbid)
    _check_flag("store_states", store_states)
    rho0, several = as_density_matrices(initial)
    labels = _labels(initial, several)
    flat, P_all = _grid_coefficients(model)
    tt, steps, which, inverse = _time_plan(t)
    check_domain(flat.coefficients(), float(t.max()), what="conditional_evolve")
    Delta = np.broadcast_to(flat.Delta, (flat.size,)).astype(float)
    flat0 = Model(**dict(_fields(flat), Delta=0.0))  # Δ: exact phases after the propagation
    L = flat0.liouvillian().reshape(-1, 16, 16)
    if idx:
        J = flat.jump_operators().reshape(-1, 6, 4, 4)[:, idx]
        L = L - 2 * np.einsum("pkij,pklm->piljm", J, J.conj()).reshape(-1, 16, 16)
    x0 = rho0.reshape(rho0.shape[0], 16)[None, :, :, None]
    bell_all = _target_bell(non_hermitian_hamiltonian(flat).reshape(-1, 4, 4))
    chunk = max(1, _CHUNK_BYTES // max(1, rho0.shape[0] * len(tt) * 16 * 16 * 2 + len(steps) * 256 * 16))
    col = _Collector(P_all)
    for start in range(0, P_all, chunk):
        stop = min(P_all, start + chunk)
        X, LS = march(L[start:stop], x0, steps, which)
        X = _rotate_vec(X, Delta[start:stop], tt)
        col.add(start, stop, _finish_chunk(X, LS, "vec", measures, bell_all[start:stop], store_states))
    info = {"method": "scaled Padé exponentials of the 16×16 conditional generator", "forbid": [JUMP_NAMES[i] for i in idx]}
    scheme = "forbid:" + (",".join(JUMP_NAMES[i] for i in idx) if idx else "none")
    return _assemble(model, t, rho0, several, labels, scheme, col, measures, store_states, inverse, bell_all, info)


def _rotate_vec(X: np.ndarray, Delta: np.ndarray, tt: np.ndarray) -> np.ndarray:
    """Apply the mean-splitting phases to vectorised states X (p, S, 16, 1, T): ρ_ij e^{iΔ(M_i − M_j)t/2}
    with M = σ1z + σ2z = (2, 0, 0, −2), i.e. the exact factor exp(Δt·R) of the Δ term of the generator
    (it commutes with the rest, including every jump term: each J_k changes M on both sides equally)."""
    if not np.any(Delta != 0):
        return X
    M = -MEAN_PHASE_DIAG  # (1, 0, 0, −1) = M/2
    order = (M[:, None] - M[None, :]).reshape(16)  # ∈ {−2, …, 2}
    X = X.astype(complex, copy=True)
    for mm in (-2, -1, 1, 2):
        sel = order == mm
        cos, sin = _mean_phase(Delta, tt, mm)
        X[:, :, sel] *= (cos + 1j * sin)[:, None, None, None, :]
    return X
