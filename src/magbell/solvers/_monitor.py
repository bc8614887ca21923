"""Finite-rate monitoring of |σ1z + σ2z| with postselection on 0 (the paper's Discussion).

The non-Hermitian scheme of Eqs. (11)–(13) assumes an infinite measurement rate. Two finite-rate models:

``kind="periodic"``   projective measurements of |σ1z + σ2z| at t = 0, τ_m, 2τ_m, …, each postselected on
                      the outcome 0 (projection Π0 onto span{|↑↓>, |↓↑>}), with the full Lindblad evolution of
                      Eq. (2) in between.
``kind="continuous"`` continuous monitoring at rate γ_m = 1/τ_m, postselected on a record without a detection
                      event. Two physical pictures give the *same* generator on the states that matter here
                      (those reachable from a state inside the subspace): (i) projective measurements at
                      Poisson-random times (rate γ_m), averaged over the measurement times: the unnormalised
                      postselected state obeys dρ̃/dt = L ρ̃ − γ_m(ρ̃ − Π0 ρ̃ Π0); (ii) a detector that
                      clicks at rate γ_m whenever |σ1z + σ2z| = 2, i.e. a monitored jump operator
                      c = sqrt(γ_m) Π2, Π2 = 1 − Π0, whose no-click evolution is dρ̃/dt = L ρ̃ − ½γ_m{Π2, ρ̃}.
                      On the populations and the ↑↓–↓↑ coherence (the |q| = 0 sector, which is all that is
                      populated after the first projection) both subtract γ_m from dρ00/dt and dρ33/dt and
                      nothing else.

Both start with a measurement at t = 0 (probability tr Π0ρ0, included in P). ``readout=True`` (default) reports
the state conditioned additionally on a measurement at the reported time t itself (so every reported state lies
in the subspace and is comparable with Eq. 13); ``readout=False`` reports the state between measurements,
conditioned on the measurements before t only (for τ_m > t this is the unmonitored Lindblad evolution of
Π0ρ0Π0/tr — the paper's "as this rate approaches zero, we recover the full Lindblad dynamics").

As τ_m → 0 both kinds converge to :func:`magbell.postselect` with ``scheme="subspace"`` (Eq. 13 when
there is no dephasing), with error O(τ_m): per period the weight that leaked out of the subspace and came back
(σ∓ jumps from |↑↑>/|↓↓> at finite temperature) is O(τ_m²). At zero temperature nothing can come back, and the
periodic scheme with readout equals Eq. 13 *exactly* for every τ_m (docs/postselection.md).

Numerics: the postselected state lives in the |q| = 0 real coordinates (ρ00, ρ11, ρ22, ρ33, Re ρ12, Im ρ12) of
:mod:`magbell.liouvillian._superop`. Between measurements the part inside the subspace and the part outside are kept on
separate power-of-two scales (a subspace weight e^{−10⁴} next to an O(1) leaked weight is still exact), with
substeps of ‖L‖·h ≤ 150; many short periods use scaled powers of the period map Π0 e^{Lτ_m} Π0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._domain import RATE_MAX, check_domain
from ._evolve import validate_times
from ..backend import get_backend, record_backend
from ..errors import InvalidParameterError
from ..liouvillian._kernel import reachable
from ..system._model import Model
from ._march import MAX_STEP_NORM, MAX_SUBSTEPS, _monitor_rates, _renorm, _time_plan, check_floor, log_scaled
from ._nonhermitian import _check_model, _heff_fast, _target_bell
from ._conditional_measures import _finish_chunk, _mask, _measures_from_rho
from ._postselect import (
    DEFAULT_MEASURES,
    SUB_COORDS,
    PostselectResult,
    _assemble,
    _check_measures,
    _Collector,
    _grid_coefficients,
    _exact_start,
    _initial_weight,
    _labels,
    _where,
)
from ..system._two_site_states import as_density_matrices
from ..liouvillian._superop import sector_basis

__all__ = ["KINDS", "monitor", "monitor_sweep", "MonitorResult", "convergence_order"]

#: monitoring models
KINDS = ("periodic", "continuous")
OUT_COORDS = np.array([0, 3])  # ρ00, ρ33: outside the subspace
_NONE = -(2**62)  # exponent of an all-zero part
#: largest number of periods t_max/τ_m accepted by the periodic scheme
MAX_PERIODS = 1e15
#: the period map's powers T^(2^j) are built up to j = MAX_PERIOD_DOUBLINGS (2^50 > MAX_PERIODS)
MAX_PERIOD_DOUBLINGS = 50
#: largest number of two-part substeps (about 0.2 ms each per grid point) a run may need: periodic, the period
#: map's (long periods) plus each reported time's remainder after its last measurement; continuous, all steps.
#: Beyond it a one-line refusal with the estimate, before any work (issue 9: --a 1e6 --tau-m 0.1 ran for
#: minutes; continuous at --t-max 3 took 30 s under the general MAX_SUBSTEPS = 2e5)
MAX_MONITOR_SUBSTEPS = 20_000


@dataclass(frozen=True, eq=False, repr=False)
class MonitorResult(PostselectResult):
    """Result of :func:`monitor`: a :class:`~magbell.conditional.PostselectResult` plus the monitoring settings."""

    tau_m: float = np.nan
    kind: str = "periodic"
    readout: bool = True

    _HOW_TO_ASK = "monitor(..., measures=[...])"
    _LONG_SUFFIX = ", monitored"


# ------------------------------------------------------------------------------ two-part stepping
def _split(E: np.ndarray):
    S_, O_ = SUB_COORDS, OUT_COORDS
    return (
        E[:, S_[:, None], S_[None, :]],
        E[:, S_[:, None], O_[None, :]],
        E[:, O_[:, None], S_[None, :]],
        E[:, O_[:, None], O_[None, :]],
    )


def _combine(u, lu, v, lv):
    """2^lu·u + 2^lv·v as (w, lw) with w's largest entry in [0.5, 1) per (point, state).

    An all-zero term does not take part in choosing the common scale (its exponent is meaningless)."""
    lu = np.where(np.any(u != 0, axis=-1), lu, _NONE)
    lv = np.where(np.any(v != 0, axis=-1), lv, _NONE)
    L = np.maximum(lu, lv)
    fu = np.ldexp(1.0, np.clip(lu - L, -2000, 0).astype(np.int32))[..., None]
    fv = np.ldexp(1.0, np.clip(lv - L, -2000, 0).astype(np.int32))[..., None]
    w, e = _renorm(u * fu + v * fv, (-1,))
    zero = ~np.any(w != 0, axis=-1)
    return w, np.where(zero, _NONE, L + e)


def _two_part(blocks, c, xs, ls, xo, lo, m: int):
    """Apply m substeps of 2^c·E (E split into its sub/out blocks) to the state (2^ls xs, 2^lo xo).

    xs (p, S, 4), xo (p, S, 2); exponents (p, S) int64 (``_NONE`` for an all-zero part)."""
    Ess, Eso, Eos, Eoo = blocks
    for _ in range(m):
        a = np.einsum("pij,psj->psi", Ess, xs)
        b = np.einsum("pij,psj->psi", Eso, xo)
        ys, lys = _combine(a, ls, b, lo)
        a = np.einsum("pij,psj->psi", Eos, xs)
        b = np.einsum("pij,psj->psi", Eoo, xo)
        yo, lyo = _combine(a, ls, b, lo)
        cc = c[:, None]
        xs, ls = ys, np.where(lys == _NONE, _NONE, lys + cc)
        xo, lo = yo, np.where(lyo == _NONE, _NONE, lyo + cc)
    return xs, ls, xo, lo


def _substeps_needed(G: np.ndarray, h: float) -> int:
    """Substeps of ‖G h/m‖₁ ≤ MAX_STEP_NORM for a step h; a one-line error beyond MAX_SUBSTEPS."""
    if not h > 0:
        return 0
    with np.errstate(over="ignore"):
        span = float(np.abs(G).sum(axis=-2).max()) * h
    if not span <= MAX_SUBSTEPS * MAX_STEP_NORM:
        raise InvalidParameterError(
            f"times too long for the rates and tau_m: ‖generator‖₁·step = {span:.3g} needs more than "
            f"{MAX_SUBSTEPS} substeps of norm {MAX_STEP_NORM:g}; shorten the times (or raise tau_m)"
        )
    return max(1, int(np.ceil(span / MAX_STEP_NORM)))


def _substep_blocks(G: np.ndarray, h: float, bk):
    """The substep exponential 2^c·E = e^{G h/m} (the backend's ``scaled_expm``) split into its blocks."""
    m = _substeps_needed(G, h)
    if m == 0:
        return None, None, 0
    E, c = bk.scaled_expm(G * (h / m), pattern=reachable(G))
    return _split(E), c, m


# ------------------------------------------------------------------------------ periodic
def _period_powers(L0: np.ndarray, tau: float, bk):
    """Scaled powers (Q_j, c_j) of the period map T = [e^{L0 τ}]_{sub,sub}, T^(2^j), while ‖L0‖·2^j·τ ≤ 150
    and 2^j ≤ 2^MAX_PERIOD_DOUBLINGS (more periods than that are refused before; without this bound a
    zero generator, e.g. a = 0 with only Δ or 𝒥z, which do not act on the |q| = 0 block, doubled forever)."""
    gnorm = float(np.abs(L0).sum(axis=-2).max())
    E, c = bk.scaled_expm(L0 * tau, pattern=reachable(L0))
    T = E[:, SUB_COORDS[:, None], SUB_COORDS[None, :]]
    T, e = _renorm(T, (-2, -1))
    pw = [(T, c + e)]
    span = gnorm * tau
    while span * 2 <= MAX_STEP_NORM and len(pw) <= MAX_PERIOD_DOUBLINGS:
        Q, cq = pw[-1]
        Q2, e = _renorm(Q @ Q, (-2, -1))
        pw.append((Q2, 2 * cq + e))
        span *= 2
    return pw


def _apply(Q, cq, x, lx):
    y, e = _renorm(np.einsum("pij,psj->psi", Q, x), (-1,))
    zero = ~np.any(y != 0, axis=-1)
    return y, np.where(zero | (lx == _NONE), _NONE, lx + cq[:, None] + e)


def _advance_periods(L0, tau, x, lx, dn: int, cache: dict, bk):
    """Apply dn periods (projection after each) to the subspace state (2^lx x)."""
    if dn <= 0:
        return x, lx
    gnorm = float(np.abs(L0).sum(axis=-2).max())
    if gnorm * tau <= MAX_STEP_NORM:
        if "pw" not in cache:
            cache["pw"] = _period_powers(L0, tau, bk)
        pw = cache["pw"]
        top = len(pw) - 1
        big = 2**top
        q, rem = divmod(dn, big)
        if q > MAX_SUBSTEPS:
            raise InvalidParameterError(f"too many measurement periods ({dn}); increase tau_m or shorten the times")
        for _ in range(q):
            x, lx = _apply(pw[top][0], pw[top][1], x, lx)
        j = 0
        while rem:
            if rem & 1:
                x, lx = _apply(pw[j][0], pw[j][1], x, lx)
            rem >>= 1
            j += 1
        return x, lx
    # long periods: the period map T = [e^{L0 τ}]_{sub,sub} once, from two-part substeps applied to the four
    # subspace coordinate vectors (each column on its own scale, projection = dropping the outside part at the
    # period's end), then T applied dn times. Cost m + dn instead of m·dn (issue 9: --a 1e6 --tau-m 0.1 took
    # minutes with m ~ 1e4 substeps repeated in every period).
    if "long" not in cache:
        cache["long"] = _long_period_map(L0, tau, bk)
    Q, cq = cache["long"]
    if dn > MAX_SUBSTEPS:
        raise InvalidParameterError(
            f"too many measurement periods of norm ‖L‖·tau_m = {gnorm * tau:.3g} ({dn} > {MAX_SUBSTEPS}); "
            "increase tau_m or shorten the times"
        )
    for _ in range(dn):
        x, lx = _apply(Q, cq, x, lx)
    return x, lx


def _long_period_map(L0: np.ndarray, tau: float, bk):
    """(Q, c) with 2^c·Q = [e^{L0 τ}]_{sub,sub} for ‖L0‖·τ > MAX_STEP_NORM, column by column with the
    two-part stepping (a subspace column far below the leaked weight keeps its digits)."""
    blocks, c, m = _substep_blocks(L0, tau, bk)
    p = L0.shape[0]
    cols = np.broadcast_to(np.eye(4), (p, 4, 4)).copy()  # (p, column k, coordinate i)
    xs, ls, _, _ = _two_part(blocks, c, cols, np.zeros((p, 4), dtype=np.int64), np.zeros((p, 4, 2)),
                             np.full((p, 4), _NONE), m)
    L = np.max(ls, axis=-1)  # (p,)
    f = np.ldexp(1.0, np.clip(ls - L[:, None], -2000, 0).astype(np.int32))
    f = np.where(ls == _NONE, 0.0, f)
    Q = np.swapaxes(xs * f[..., None], -1, -2)  # Q[p, i, k]
    Q, e = _renorm(Q, (-2, -1))
    zero = ~np.any(Q != 0, axis=(-2, -1))
    return Q, np.where(zero | (L == _NONE), 0, L + e).astype(np.int64)


def _check_periodic_work(L0: np.ndarray, tau: float, rem: np.ndarray, periods: bool = True) -> None:
    """Refuse, before any work, a periodic run whose substeps (the period map's, plus those of each reported
    time's remainder after its last measurement) exceed MAX_MONITOR_SUBSTEPS: one line with the estimate and the limit.
    ``periods``: whether any reported time completes a period (else the period map is never built: τ_m > t_max
    was refused as 'too long for the rates' though it is the τ_m = ∞ run)."""
    with np.errstate(over="ignore"):
        gnorm = float(np.abs(L0).sum(axis=-2).max())
        per = gnorm * tau if (periods and np.isfinite(tau)) else 0.0
        need = float(np.ceil(per / MAX_STEP_NORM)) if per > MAX_STEP_NORM else 0.0
        need += float(np.sum(np.where(rem > 0, np.maximum(1.0, np.ceil(gnorm * rem / MAX_STEP_NORM)), 0.0)))
    if not need <= MAX_MONITOR_SUBSTEPS:
        raise InvalidParameterError(
            f"tau_m too long for the rates: about {need:.3g} substeps of norm {MAX_STEP_NORM:g} needed "
            f"(limit {MAX_MONITOR_SUBSTEPS}); lower tau_m, report fewer times, or lower the rates"
        )


def _periods_and_remainders(tt: np.ndarray, tau: float):
    if not np.isfinite(tau):
        return np.zeros(len(tt), dtype=np.int64), tt.copy()
    q = tt / tau
    n = np.floor(q)
    # a time within 1e-9 (relative) of a measurement k·τ (k ≥ 1) is taken at it (after the projection); before the
    # first measurement nothing is snapped — the old absolute tolerance 1e-9 periods put every t < 1e-9·τ at t = 0
    # (τ_m = 1e300 returned the initial state at t = 5: C = 0, log P = 0)
    close = (np.round(q) >= 1) & (np.abs(q - np.round(q)) <= 1e-9 * q)
    n = np.where(close, np.round(q), n).astype(np.int64)
    r = np.where(close, 0.0, tt - n * tau)
    return n, np.maximum(r, 0.0)


# ------------------------------------------------------------------------------ measures of q=0 states
def _q0_to_rho(x):
    rho = np.zeros(x.shape[:-1] + (4, 4), dtype=complex)
    for i in range(4):
        rho[..., i, i] = x[..., i]
    rho[..., 1, 2] = x[..., 4] + 1j * x[..., 5]
    rho[..., 2, 1] = x[..., 4] - 1j * x[..., 5]
    return rho


def _q0_finish(x, LS, measures, bell, store_states):
    """Measures of X states given by |q|=0 coordinates x (p, S, 6, T) with exponents LS (p, S, T)."""
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        tr = x[:, :, 0] + x[:, :, 1] + x[:, :, 2] + x[:, :, 3]
        P, logP = log_scaled(np.maximum(tr, 0.0), LS)
        valid = tr > 0
        inv = 1.0 / np.where(valid, tr, 1.0)
        out, rest = {}, []
        for name in measures:
            if name == "concurrence":
                c = np.sqrt(x[:, :, 4] ** 2 + x[:, :, 5] ** 2) - np.sqrt(np.maximum(x[:, :, 0] * x[:, :, 3], 0.0))
                out[name] = 2 * np.maximum(c, 0.0) * inv
            elif name == "populations":
                out[name] = np.stack([x[:, :, i] * inv for i in range(4)], axis=-1)
            elif name == "bell_fidelity":
                b1, b2 = bell[:, 1][:, None, None], bell[:, 2][:, None, None]
                r12 = x[:, :, 4] + 1j * x[:, :, 5]
                v = np.abs(b1) ** 2 * x[:, :, 1] + np.abs(b2) ** 2 * x[:, :, 2] + 2 * np.real(np.conj(b1) * b2 * r12)
                out[name] = v * inv
            elif name == "bell_fidelity_max":
                out[name] = ((x[:, :, 1] + x[:, :, 2]) / 2 + np.sqrt(x[:, :, 4] ** 2 + x[:, :, 5] ** 2)) * inv
            else:
                rest.append(name)
        out = {k: _mask(v, valid) for k, v in out.items()}
        rho = None
        if rest or store_states:
            rho = _q0_to_rho(np.moveaxis(x, 2, -1)) * inv[..., None, None]
            rho = np.where(valid[..., None, None], rho, np.nan)
            out.update(_measures_from_rho(rho, rest, bell, valid))
        logP = np.where(valid, logP, -np.inf)
        P = np.where(valid, P, 0.0)
    return {"measures": out, "P": P, "logP": logP, "rho": rho if store_states else None}


# ------------------------------------------------------------------------------ public
def _check_tau(tau_m) -> float:
    if isinstance(tau_m, (bool, np.bool_, str, bytes)):
        raise InvalidParameterError(f"tau_m must be a number > 0 (or inf), got {tau_m!r}")
    try:
        tau = float(tau_m)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"tau_m must be a number > 0 (or inf), got {tau_m!r}") from None
    if not (tau > 0) or np.isnan(tau):
        raise InvalidParameterError(f"tau_m must be > 0 (or inf for no measurement after t = 0), got {tau_m!r}")
    return tau


def monitor(
    model: Model,
    initial,
    times,
    tau_m,
    *,
    kind: str = "periodic",
    readout: bool = True,
    measures=DEFAULT_MEASURES,
    store_states: bool = False,
    backend: str = "numpy",
    excitations: int | None = None,
) -> MonitorResult:
    """Postselected dynamics under finite-rate monitoring of |σ1z + σ2z| (see the module docstring).

    Parameters
    ----------
    model, initial, times : as for :func:`magbell.postselect` (any initial state; it is
        projected onto the subspace by the measurement at t = 0).
    tau_m : the measurement period (``kind="periodic"``) or the inverse monitoring rate 1/γ_m
        (``kind="continuous"``), > 0; ``inf`` means no measurement after t = 0.
    readout : also measure (and postselect) at each reported time (default True).
    measures : as for :func:`~magbell.postselect`.
    backend : the numerical backend (:func:`magbell.backend.get_backend`): its ``scaled_expm`` gives the
        substep and period exponentials; recorded in ``result.backend``.
    excitations : N sites (a :class:`magbell.System`, or a Model given with it): the outcome k of Σσᶻ that is
        postselected (default: the initial state's excitation number, which must then be definite).

    Returns a :class:`MonitorResult` (shapes as :func:`~magbell.postselect`): concurrence,
    Bell fidelity, ..., ``success_probability`` (the probability that every measurement up to t gave 0)
    and ``log_success_probability``.

    >>> import numpy as np, magbell
    >>> from magbell.conditional import monitor
    >>> from magbell.conditional import postselect
    >>> m = magbell.Model(a=2.0, A=1.5, a_tilde=0.5, A_tilde=0.3)
    >>> r = monitor(m, "ud", [1.0], tau_m=1e-3)
    >>> exact = postselect(m, "ud", [1.0], scheme="subspace")
    >>> bool(abs(r.concurrence[0] - exact.concurrence[0]) < 1e-3)
    True
    """
    from ..system.core import System  # N sites: solvers/_system_monitor.py

    bk = get_backend(backend)  # validated first: a bad name is refused before any work
    if isinstance(model, System) or excitations is not None:
        from ._system_monitor import system_monitor
        return system_monitor(model.system() if isinstance(model, Model) else model, initial, times, tau_m,
                              kind=kind, readout=readout, excitations=excitations, measures=measures,
                              store_states=store_states, backend=bk)
    _check_model(model)
    t = validate_times(times)
    tau = _check_tau(tau_m)
    check_domain(model.coefficients(), float(t.max()), what="monitor")
    if kind not in KINDS:
        raise InvalidParameterError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(readout, (bool, np.bool_)):
        raise InvalidParameterError(f"readout must be True or False, got {readout!r}")
    if not isinstance(store_states, (bool, np.bool_)):
        raise InvalidParameterError(f"store_states must be True or False, got {store_states!r}")
    measures = _check_measures(measures)
    rho0, several = as_density_matrices(initial)
    labels = _labels(initial, several)
    flat, P_all = _grid_coefficients(model)
    L0 = flat.liouvillian_blocks()[0].reshape(-1, 6, 6)
    bell = _target_bell(_heff_fast(flat).reshape(-1, 4, 4))
    sb = sector_basis(2)
    r0 = sb.real_coordinates(rho0)[:, sb.blocks[0]]  # (S, 6)
    S = r0.shape[0]
    tt, _, _, inverse = _time_plan(t)
    T = len(tt)
    p = L0.shape[0]

    xs0 = np.broadcast_to(r0[:, SUB_COORDS], (p, S, 4)).copy()
    xs0, e = _renorm(xs0, (-1,))
    ls0 = np.where(~np.any(xs0 != 0, axis=-1), _NONE, e.astype(np.int64))

    XS = np.zeros((p, S, 4, T))
    LSS = np.full((p, S, T), _NONE, dtype=np.int64)
    XO = np.zeros((p, S, 2, T))
    LSO = np.full((p, S, T), _NONE, dtype=np.int64)
    if kind == "periodic":
        if np.isfinite(tau) and tt[-1] > MAX_PERIODS * tau:  # (t/τ itself may overflow)
            with np.errstate(over="ignore"):
                ratio = tt[-1] / tau
            raise InvalidParameterError(
                f"too many measurement periods (t_max/tau_m = {ratio:.3g} > {MAX_PERIODS:.0e}); increase tau_m"
            )
        n_per, rem = _periods_and_remainders(tt, tau)
        _check_periodic_work(L0, tau, rem, periods=bool(np.any(n_per > 0)))
        x, lx = xs0, ls0
        done = 0
        cache: dict = {}
        rem_cache: dict = {}
        for k in range(T):
            x, lx = _advance_periods(L0, tau, x, lx, int(n_per[k]) - done, cache, bk)
            done = int(n_per[k])
            if rem[k] == 0:
                XS[..., k], LSS[..., k] = x, lx
                continue
            key = float(rem[k])
            if key not in rem_cache:
                rem_cache = {key: _substep_blocks(L0, key, bk)}
            blocks, c, m = rem_cache[key]
            ys, lys, yo, lyo = _two_part(blocks, c, x, lx, np.zeros((p, S, 2)), np.full((p, S), _NONE), m)
            XS[..., k], LSS[..., k] = ys, lys
            XO[..., k], LSO[..., k] = yo, lyo
    else:
        if np.isfinite(tau) and not tau >= 1 / RATE_MAX:
            raise InvalidParameterError(
                f"tau_m must be >= {1 / RATE_MAX:.0e} for continuous monitoring (rate 1/tau_m <= {RATE_MAX:.0e}), "
                f"got {tau!r}"
            )
        rate = 0.0 if not np.isfinite(tau) else 1.0 / tau
        G = L0.copy()
        G[:, 0, 0] -= rate
        G[:, 3, 3] -= rate
        hs = np.diff(np.concatenate([[0.0], tt]))
        _substeps_needed(G, float(hs.max()))  # finite and within the limit for the longest step
        gnorm = float(np.abs(G).sum(axis=-2).max())
        total = int(np.sum(np.where(hs > 0, np.maximum(1, np.ceil(gnorm * hs / MAX_STEP_NORM)), 0)))
        if total > MAX_MONITOR_SUBSTEPS:
            raise InvalidParameterError(
                f"times too long for the rates and tau_m: {total} substeps needed (limit {MAX_MONITOR_SUBSTEPS}); "
                "shorten the times or raise tau_m"
            )
        xs, ls = xs0, ls0
        xo, lo = np.zeros((p, S, 2)), np.full((p, S), _NONE)
        prev = 0.0
        step_cache: dict = {}
        for k in range(T):
            h = float(tt[k] - prev)
            prev = float(tt[k])
            if h > 0:
                if h not in step_cache:
                    step_cache = {h: _substep_blocks(G, h, bk)}
                blocks, c, m = step_cache[h]
                xs, ls, xo, lo = _two_part(blocks, c, xs, ls, xo, lo, m)
            XS[..., k], LSS[..., k] = xs, ls
            XO[..., k], LSO[..., k] = xo, lo

    col = _Collector(P_all)
    if readout:
        LS = np.where(LSS == _NONE, 0, LSS)
        X = XS[:, :, :, None, :]
        chunk = _finish_chunk(X, LS, "sub", measures, bell, store_states)
    else:
        L = np.maximum(LSS, LSO)
        fs = np.ldexp(1.0, np.clip(LSS - L, -2000, 0).astype(np.int32))
        fo = np.ldexp(1.0, np.clip(LSO - L, -2000, 0).astype(np.int32))
        x6 = np.zeros((p, S, 6, T))
        x6[:, :, SUB_COORDS] = XS * fs[:, :, None, :]
        x6[:, :, OUT_COORDS] = XO * fo[:, :, None, :]
        chunk = _q0_finish(x6, np.where(L == _NONE, 0, L), measures, bell, store_states)
    col.add(0, P_all, chunk)
    p0 = _initial_weight(rho0, "subspace")
    _exact_start(col, tt, p0)
    # the rounding floor (docs/numerics.md): density-matrix coordinates, so power 1
    gmin, gap = _monitor_rates(L0, tau, kind)
    gnorm = np.abs(L0).sum(axis=-2).max(axis=-1)  # (p,)
    scale = gnorm + (1.0 / tau if np.isfinite(tau) and kind == "continuous" else 0.0)
    n = None
    if kind == "periodic" and np.isfinite(tau):
        periods = tt / tau  # each period map application rounds once more
        if float(gnorm.max()) * tau <= MAX_STEP_NORM:  # binary powers of the period map (_advance_periods)
            n = (1.0 + np.log2(1.0 + periods)) ** 2 + 1.0
        else:  # the long-period map, computed from substeps, applied once per period
            n = 1.0 + gnorm.max() * tt / MAX_STEP_NORM + periods
        n = np.broadcast_to(n, (1, 1, len(tt)))
    check_floor(col.data["logP"], gmin[:, None], tt, scale[:, None], "monitor", _where(model, several), power=1,
                alive=(p0 > 0)[None, :], gap=gap[:, None], n=n)
    info = {
        "method": "|q|=0 coordinates; subspace and outside parts on separate power-of-two scales; "
        "scaled powers of the period map",
        "kind": kind,
        "tau_m": tau,
        "readout": bool(readout),
        "first_measurement": "t = 0",
    }
    res = _assemble(model, t, rho0, several, labels, f"monitor:{kind}", col, measures, store_states, inverse, bell, info)
    return record_backend(MonitorResult(
        **{f: getattr(res, f) for f in ("times", "model", "initial", "scheme", "measures", "success_probability",
                                        "log_success_probability", "bell_state", "states", "info")},
        tau_m=tau,
        kind=kind,
        readout=bool(readout),
    ), bk)


def monitor_sweep(model: Model, initial, t_final: float, tau_m_values, *, kind: str = "periodic",
                  readout: bool = True, measures=("concurrence", "bell_fidelity"), backend="numpy") -> dict:
    """Concurrence, Bell fidelity and success probability at ``t_final`` versus τ_m (one :func:`monitor`
    call per τ_m, each batched over the model grid).

    Returns a dict of arrays with a leading τ_m axis: ``tau_m``, each measure, ``success_probability``,
    ``log_success_probability``, and the τ_m → 0 limit (``limit``: the same keys from
    :func:`magbell.postselect` with ``scheme="subspace"``) and the unmonitored Lindblad values
    after a single readout at t_final (``single_readout``: τ_m = ∞). ``backend``: passed to every :func:`monitor`
    and :func:`magbell.postselect` call; its name is ``out["backend"]``.
    """
    from ._postselect import postselect

    bk = get_backend(backend)  # validated first: a bad name is refused before any work
    try:
        taus = np.atleast_1d(np.asarray(tau_m_values, dtype=float))
    except (TypeError, ValueError):
        taus = np.zeros((0,))
    if taus.ndim != 1 or taus.size == 0 or isinstance(tau_m_values, (str, bytes)):
        raise InvalidParameterError("tau_m_values must be a non-empty 1-D array of positive numbers")
    rows = [monitor(model, initial, [t_final], tau, kind=kind, readout=readout, measures=measures, backend=bk)
            for tau in taus]
    out = {"tau_m": taus, "backend": bk.name}
    for name in measures:
        out[name] = np.stack([r.measures[name][..., 0] for r in rows])
    out["success_probability"] = np.stack([r.success_probability[..., 0] for r in rows])
    out["log_success_probability"] = np.stack([r.log_success_probability[..., 0] for r in rows])
    lim = postselect(model, initial, [t_final], scheme="subspace", measures=measures, backend=bk)
    out["limit"] = {name: lim.measures[name][..., 0] for name in measures}
    out["limit"]["success_probability"] = lim.success_probability[..., 0]
    one = monitor(model, initial, [t_final], np.inf, kind=kind, readout=readout, measures=measures, backend=bk)
    out["single_readout"] = {name: one.measures[name][..., 0] for name in measures}
    out["single_readout"]["success_probability"] = one.success_probability[..., 0]
    return out


def convergence_order(tau_m_values, errors) -> float:
    """Least-squares slope of log(error) versus log(τ_m): the measured order of convergence."""
    x = np.log(np.asarray(tau_m_values, dtype=float))
    y = np.log(np.asarray(errors, dtype=float))
    return float(np.polyfit(x, y, 1)[0])
