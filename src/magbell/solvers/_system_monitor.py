"""Finite-rate monitoring of the total excitation number (Σσᶻ) of an N-site System, postselected on its
initial value: the two-qubit :func:`magbell.monitor` model (the paper's Discussion; docs/postselection.md §4)
for N sites.

Zou, Zhang & Tserkovnyak (PRB 106, L180406 (2022)): "the non-Hermitian Hamiltonian scheme is precise when the
rate of measurements is infinite. As this rate approaches zero, we recover the full Lindblad dynamics." With
Π_k the projector on k excitations (Σσᶻ = N − 2k; for N = 2, k = 1 is the two-qubit |σ1z + σ2z| = 0):

``kind="periodic"``   projective measurements of Σσᶻ at t = 0, τ_m, 2τ_m, …, each postselected on k
                      (ρ̃ → Π_k ρ̃ Π_k), with the full Lindblad evolution of the System in between.
``kind="continuous"`` monitoring at rate γ_m = 1/τ_m postselected on no detection event:
                      dρ̃/dt = L ρ̃ − γ_m (ρ̃ − Π_k ρ̃ Π_k) (measurements at Poisson-random times averaged over the
                      times; on the states reachable here it equals a no-click detector c = sqrt(γ_m)(1 − Π_k)).

Both start with a measurement at t = 0 (probability tr Π_kρ₀, included in P). ``readout=True`` reports the state
conditioned also on a measurement at the reported time (always k excitations; comparable with
``postselect(system, ..., scheme="subspace")``); ``readout=False`` the state between measurements.

After the first projection ρ̃ lives in the diagonal blocks X_{n,n} (n excitations on both sides: every jump
changes n on both sides at once) of the chain q = 0 that (k, k) reaches: n ≤ k at zero temperature
(h_minus = 0), all n at finite temperature. The projection keeps the block (k, k); the continuous model
subtracts γ_m from every other block. So the whole scheme is the two-qubit one with the populations ρ↑↑, ρ↓↓
replaced by the blocks n ≠ k, in the excitation-sector representation (:mod:`magbell.solvers._system_sectors`).
As τ_m → 0 both kinds converge to the Σσᶻ-postselected ("subspace") evolution with error O(τ_m); at zero
temperature nothing re-enters the block (k, k) (σ⁺ jumps only lower n), so the periodic scheme with readout
equals the subspace scheme exactly for every τ_m (as for two qubits).

Numerics as the two-qubit monitor: the block (k, k) and the rest are kept on separate power-of-two scales,
substeps with ‖G h‖₁ ≤ 150 and the exact sparsity pattern of e^{Gh}, scaled powers of the period map for many
short periods, the same work limit (MAX_MONITOR_SUBSTEPS) checked before any work. Dense per chain: the blocks
reached hold at most MAX_SECTOR complex coordinates, N ≤ 8 (the dense sector operators of the N-site postselection).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from ..errors import InvalidParameterError
from ._system_conditional import SystemPostselectResult, _initial_sector, _run
from ._system_sectors import MAX_SECTOR, closure, sector_states, sector_weight

__all__ = ["system_monitor", "SystemMonitorResult", "KINDS", "MAX_MONITOR_SUBSTEPS"]

KINDS = ("periodic", "continuous")
#: most two-part substeps one call may need (the two-qubit monitor's limit)
MAX_MONITOR_SUBSTEPS = 20_000
#: largest number of periods t_max/τ_m (periodic)
MAX_PERIODS = 1e15
MAX_PERIOD_DOUBLINGS = 50
_NONE = -(2**62)


@dataclass(frozen=True, eq=False, repr=False)
class SystemMonitorResult(SystemPostselectResult):
    """Result of ``magbell.monitor`` for an N-site System: a SystemPostselectResult (P(t) = probability that every
    measurement up to t gave k excitations) plus the monitoring settings."""

    tau_m: float = np.nan
    kind: str = "periodic"
    readout: bool = True

    _HOW_TO_ASK = "monitor(..., measures=[...])"
    _LONG_SUFFIX = ", monitored"


# ------------------------------------------------------------------------------ two-part stepping
def _combine(u, lu, v, lv):
    """2^lu·u + 2^lv·v as (w, lw), w's largest entry in [0.5, 1) per state (an all-zero term takes no part)."""
    from ._march import _renorm

    lu = np.where(np.any(u != 0, axis=-1), lu, _NONE)
    lv = np.where(np.any(v != 0, axis=-1), lv, _NONE)
    L = np.maximum(lu, lv)
    fu = np.ldexp(1.0, np.clip(lu - L, -2000, 0).astype(np.int32))[..., None]
    fv = np.ldexp(1.0, np.clip(lv - L, -2000, 0).astype(np.int32))[..., None]
    w, e = _renorm(u * fu + v * fv, (-1,))
    return w, np.where(~np.any(w != 0, axis=-1), _NONE, L + e)


class _Stepper:
    """Substeps 2^c·E = e^{G h/m} split into the (sub, out) blocks; states (x_s, l_s, x_o, l_o) of shape (S, ·)."""

    def __init__(self, G, sub, out, h, bk):
        from ._march import MAX_STEP_NORM
        from ..liouvillian._kernel import reachable

        gnorm = float(np.abs(G).sum(axis=0).max()) if G.size else 0.0
        self.m = max(1, int(np.ceil(gnorm * h / MAX_STEP_NORM))) if h > 0 else 0
        if self.m:
            E, c = bk.scaled_expm((G * (h / self.m))[None], pattern=reachable(G[None]))
            E, self.c = E[0], int(c[0])
            self.ss, self.so = E[np.ix_(sub, sub)], E[np.ix_(sub, out)]
            self.os, self.oo = E[np.ix_(out, sub)], E[np.ix_(out, out)]

    def run(self, xs, ls, xo, lo):
        for _ in range(self.m):
            ys, lys = _combine(xs @ self.ss.T, ls, xo @ self.so.T, lo)
            yo, lyo = _combine(xs @ self.os.T, ls, xo @ self.oo.T, lo)
            xs, ls = ys, np.where(lys == _NONE, _NONE, lys + self.c)
            xo, lo = yo, np.where(lyo == _NONE, _NONE, lyo + self.c)
        return xs, ls, xo, lo


def _apply(Q, cq, x, lx):
    from ._march import _renorm

    y, e = _renorm(x @ Q.T, (-1,))
    zero = ~np.any(y != 0, axis=-1)
    return y, np.where(zero | (lx == _NONE), _NONE, lx + cq + e)


def _period_map(G, sub, out, tau, bk):
    """Scaled powers [(Q_j, c_j)] of the period map T = [e^{Gτ}]_{sub,sub}: T^(2^j) while ‖G‖·2^j·τ ≤ 150 (short
    periods), or the single map built column by column with two-part substeps (long periods)."""
    from ._march import MAX_STEP_NORM, _renorm
    from ..liouvillian._kernel import reachable

    gnorm = float(np.abs(G).sum(axis=0).max())
    if gnorm * tau <= MAX_STEP_NORM:
        E, c = bk.scaled_expm((G * tau)[None], pattern=reachable(G[None]))
        Q, e = _renorm(E[0][np.ix_(sub, sub)], (-2, -1))
        pw = [(Q, int(c[0]) + int(e))]
        span = gnorm * tau
        while span * 2 <= MAX_STEP_NORM and len(pw) <= MAX_PERIOD_DOUBLINGS:
            Q, cq = pw[-1]
            Q2, e = _renorm(Q @ Q, (-2, -1))
            pw.append((Q2, 2 * cq + int(e)))
            span *= 2
        return pw
    st = _Stepper(G, sub, out, tau, bk)
    d = len(sub)
    xs, ls, _, _ = st.run(np.eye(d, dtype=complex), np.zeros(d, dtype=np.int64), np.zeros((d, len(out)), complex),
                          np.full(d, _NONE))
    L = int(np.max(ls))
    f = np.where(ls == _NONE, 0.0, np.ldexp(1.0, np.clip(ls - L, -2000, 0).astype(np.int32)))
    Q, e = _renorm((xs * f[:, None]).T, (-2, -1))
    return [(Q, (L + int(e)) if np.any(Q) else 0)]


def _advance(pw, x, lx, dn):
    if dn <= 0:
        return x, lx
    top = len(pw) - 1
    q, rem = divmod(dn, 2**top)
    if q > MAX_MONITOR_SUBSTEPS:
        raise InvalidParameterError(f"monitor: too many measurement periods ({dn}); increase tau_m or shorten the times")
    for _ in range(q):
        x, lx = _apply(*pw[top], x, lx)
    j = 0
    while rem:
        if rem & 1:
            x, lx = _apply(*pw[j], x, lx)
        rem >>= 1
        j += 1
    return x, lx


def _substeps(G, hs) -> float:
    from ._march import MAX_STEP_NORM

    gnorm = float(np.abs(G).sum(axis=0).max()) if G.size else 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(np.where(hs > 0, np.maximum(1.0, np.ceil(gnorm * hs / MAX_STEP_NORM)), 0.0)))


def _refuse(need: float, what: str):
    if not need <= MAX_MONITOR_SUBSTEPS:
        raise InvalidParameterError(
            f"monitor: about {need:.3g} substeps of norm 150 needed ({what}; limit {MAX_MONITOR_SUBSTEPS}); "
            "lower tau_m, report fewer times, shorten the times, or lower the rates"
        )


# ------------------------------------------------------------------------------ public
def system_monitor(system, initial, times, tau_m, *, kind="periodic", readout=True, excitations=None,
                   measures=None, store_states=False, backend="numpy") -> SystemMonitorResult:
    """Postselected dynamics of an N-site System under finite-rate monitoring of Σσᶻ (module docstring).

    ``tau_m``: the measurement period (periodic) or 1/γ_m (continuous), > 0, ``inf`` for no measurement after
    t = 0. ``excitations``: the outcome k postselected (default: the initial state's excitation number, which must
    then be definite). Shapes and fields as ``postselect(system, ...)`` plus ``tau_m``, ``kind``, ``readout``.
    ``backend``: the numerical backend (:func:`magbell.backend.get_backend`), whose ``scaled_expm`` gives the
    substep and period exponentials; recorded in ``result.backend``.
    """
    from ._monitor import _check_tau
    from .._domain import RATE_MAX
    from ..backend import get_backend, record_backend

    bk = get_backend(backend)

    tau = _check_tau(tau_m)
    if kind not in KINDS:
        raise InvalidParameterError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(readout, (bool, np.bool_)):
        raise InvalidParameterError(f"readout must be True or False, got {readout!r}")
    if kind == "continuous" and np.isfinite(tau) and not tau >= 1 / RATE_MAX:
        raise InvalidParameterError(
            f"tau_m must be >= {1 / RATE_MAX:.0e} for continuous monitoring (rate 1/tau_m <= {RATE_MAX:.0e}), got {tau!r}"
        )
    state = {}

    def point(pt, rho0, tt, steps, which):
        N = pt.N
        k = state.setdefault("k", _initial_sector(rho0, N, excitations))
        hp, hm = bool(np.any(pt.g["h_plus"])), bool(np.any(pt.g["h_minus"]))
        blocks = [b for b in closure(N, [(k, k)], hp, hm) if b[0] == b[1]]
        size = sum(comb(N, n) ** 2 for n, _ in blocks)
        if size > MAX_SECTOR:
            raise InvalidParameterError(
                f"monitor: from {k} excitations of N = {N} sites the blocks n = {blocks[0][0]}…{blocks[-1][0]} hold "
                f"{size} > {MAX_SECTOR} complex coordinates; use fewer sites or zero temperature (h_minus = 0)"
            )
        G, off = pt.generator(blocks)
        kp = blocks.index((k, k))
        sub = np.arange(off[kp], off[kp + 1])
        out = np.setdiff1d(np.arange(off[-1]), sub)
        Ik = sector_states(N, k)
        S = rho0.shape[0]
        x0 = rho0[:, Ik[:, None], Ik[None, :]].reshape(S, -1).astype(complex)
        from ._march import _renorm

        x0, e0 = _renorm(x0, (-1,))
        l0 = np.where(np.any(x0 != 0, axis=-1), e0.astype(np.int64), _NONE)
        T = len(tt)
        XS = np.zeros((S, len(sub), T), dtype=complex)
        XO = np.zeros((S, len(out), T), dtype=complex)
        LSS = np.full((S, T), _NONE, dtype=np.int64)
        LSO = np.full((S, T), _NONE, dtype=np.int64)
        zo = np.zeros((S, len(out)), dtype=complex)
        no = np.full(S, _NONE, dtype=np.int64)
        if kind == "periodic":
            if np.isfinite(tau) and tt[-1] > MAX_PERIODS * tau:
                raise InvalidParameterError(
                    f"too many measurement periods (t_max/tau_m > {MAX_PERIODS:.0e}); increase tau_m")
            if np.isfinite(tau):
                q = tt / tau
                nper = np.floor(q)
                close = np.abs(q - np.round(q)) <= 1e-9 * np.maximum(1.0, q)
                nper = np.where(close, np.round(q), nper).astype(np.int64)
                rem = np.maximum(np.where(close, 0.0, tt - nper * tau), 0.0)
            else:
                nper, rem = np.zeros(T, dtype=np.int64), tt.copy()
            from ._march import MAX_STEP_NORM

            gnorm = float(np.abs(G).sum(axis=0).max())
            long_period = np.isfinite(tau) and gnorm * tau > MAX_STEP_NORM
            _refuse((_substeps(G, np.array([tau])) if long_period else 0.0) + _substeps(G, rem), "periodic")
            pw = _period_map(G, sub, out, tau, bk) if np.isfinite(tau) and np.any(nper > 0) else None
            if pw is not None and len(pw) == 1 and np.max(nper) > MAX_MONITOR_SUBSTEPS:
                raise InvalidParameterError(
                    f"monitor: too many long measurement periods ({int(np.max(nper))} > {MAX_MONITOR_SUBSTEPS}); "
                    "increase tau_m or shorten the times")
            x, lx, done, cache = x0, l0, 0, {}
            for j in range(T):
                x, lx = _advance(pw, x, lx, int(nper[j]) - done) if pw is not None else (x, lx)
                done = int(nper[j])
                if rem[j] == 0:
                    XS[..., j], LSS[:, j] = x, lx
                    continue
                key = float(rem[j])
                if key not in cache:
                    cache = {key: _Stepper(G, sub, out, key, bk)}
                ys, lys, yo, lyo = cache[key].run(x, lx, zo, no)
                XS[..., j], LSS[:, j], XO[..., j], LSO[:, j] = ys, lys, yo, lyo
        else:
            rate = 0.0 if not np.isfinite(tau) else 1.0 / tau
            Gc = G.copy()
            Gc[out, out] -= rate
            hs = np.diff(np.concatenate([[0.0], tt]))
            _refuse(_substeps(Gc, hs), "continuous")
            xs, ls, xo, lo = x0, l0, zo, no
            cache = {}
            for j in range(T):
                h = float(hs[j])
                if h > 0:
                    if h not in cache:
                        cache = {h: _Stepper(Gc, sub, out, h, bk)}
                    xs, ls, xo, lo = cache[h].run(xs, ls, xo, lo)
                XS[..., j], LSS[:, j], XO[..., j], LSO[:, j] = xs, ls, xo, lo
        if readout:
            LS = np.where(LSS == _NONE, 0, LSS)
            full = np.zeros((S, off[-1], T), dtype=complex)
            full[:, sub] = XS
        else:
            L = np.maximum(LSS, LSO)
            fs = np.ldexp(1.0, np.clip(LSS - L, -2000, 0).astype(np.int32))[:, None, :]
            fo = np.ldexp(1.0, np.clip(LSO - L, -2000, 0).astype(np.int32))[:, None, :]
            full = np.zeros((S, off[-1], T), dtype=complex)
            full[:, sub] = XS * fs
            full[:, out] = XO * fo
            LS = np.where(L == _NONE, 0, L)
        rho = np.zeros((S, T, 2**N, 2**N), dtype=complex)
        for b, (n, _) in enumerate(blocks):
            In = sector_states(N, n)
            M = len(In)
            blk = np.moveaxis(full[:, off[b]:off[b + 1]], -1, 1).reshape(S, T, M, M)
            rho[:, :, In[:, None], In[None, :]] = blk
        info = {"method": f"monitor:{kind}; blocks n = {blocks[0][0]}..{blocks[-1][0]} of q = 0, the {k}-excitation "
                          "block and the rest on separate power-of-two scales", "excitations": k,
                "kind": kind, "tau_m": tau, "readout": bool(readout), "first_measurement": "t = 0"}
        return rho, LS, info, np.inf

    # the first measurement is at t = 0: P(0) is the weight of the postselected sector, as for postselect(scheme="subspace")
    out = _run(system, initial, times, "monitor", measures, store_states, point,
               lambda rho0: sector_weight(rho0, system.N, state["k"]), bk=bk)
    return record_backend(SystemMonitorResult(scheme=f"monitor:{kind}", excitations=state.get("k"), tau_m=tau,
                                              kind=kind, readout=bool(readout), **out), bk)
