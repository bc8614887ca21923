"""Quantum trajectories: a Monte Carlo wave-function unravelling of Eq. (11), with jump records.

Eq. (11), dρ/dt = −i(H_eff ρ − ρ H_eff†) + 2 Σ_k J_k ρ J_k†, is unravelled into pure-state trajectories
(Dalibard–Castin–Mølmer): between jumps a ket evolves with e^{−iH_eff τ} (unnormalised; its squared norm is
the probability of no jump so far), and at rate 2‖J_k ψ‖² it jumps to J_kψ/‖J_kψ‖ (the factor 2 is the paper's
dissipator convention: QuTiP's collapse operators are √2·J_k). magbell uses the exact waiting-time algorithm:
a uniform r ∈ (0, 1] is drawn, the jump happens when ‖e^{−iH_eff τ} ψ‖² = r (solved by safeguarded Newton
iteration on log‖ψ(τ)‖², derivative −2<ψ|K|ψ>/<ψ|ψ>, K = Σ J†J), and the channel is chosen with
probabilities ∝ ‖J_k ψ‖². There is no time step: the only errors are statistical.

The no-jump propagator uses that H_eff is block diagonal ({|↑↑>}, {|↑↓>, |↓↑>}, {|↓↓>}): on the 2×2 block
``e^{−iH_eff τ} = ½(e^{−iE_s τ} + e^{−iE_a τ})·1 − i e^{−iE_a τ} τ φ1(2iωτ) T`` with T the traceless part
(T² = ω²), E_{s,a} = E_c ∓ ω (Im ω ≥ 0) and φ1(z) = (e^z − 1)/z. Every factor is bounded (|e^{−iE τ}| ≤ 1,
Re 2iωτ ≤ 0), the expression is entire in ω² and so exact at the exceptional point (there it is
e^{−iE_c τ}(1 − iτT)); it is cross-checked against :func:`magbell.backend._expm.expm` in the tests.

Every trajectory's record (which J_k, when) is kept, so the ensemble can be postselected afterwards on any
predicate of the record (:meth:`TrajectoryResult.average`): "no jump" reproduces Eq. (13) and its weight P(t),
"no J3 jump" reproduces :func:`magbell.conditional.conditional_evolve` with ``forbid=["J3"]``, and the
unselected average reproduces :func:`magbell.evolve` — all within their statistical errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from ..measures import _two_qubit as _measures
from .._domain import check_domain
from ._evolve import validate_times
from ..backend import get_backend, record_backend
from ..errors import InvalidParameterError
from ..system._model import Model
from ..results import Result
from ._nonhermitian import _heff_without_mean, jump_rate_operator
from ._postselect import JUMP_NAMES
from ..system._two_site_states import as_density_matrices
from ._march import _mean_phase
from ._nojump import _jump_time, _Propagator, _single, nojump_propagator
from ._average_result import pair_products as _pair_products, weighted_moments as _weighted_moments

__all__ = [
    "trajectories",
    "TrajectoryResult",
    "JumpRecord",
    "EnsembleAverage",
    "no_jumps",
    "nojump_propagator",
]

#: most jump events one call may generate (memory / run-time guard)
MAX_EVENTS = 20_000_000
#: default most jumps one trajectory may be expected to make (each jump is one vectorised round of about
#: 1–2 ms, whatever n): bounded BEFORE the run from the initial jump rate 2·tr(Kρ0) and t_max; raise it with
#: ``max_jumps_per_trajectory=`` (issue 9: --d 1e6 --t-max 5 meant ~1e7 rounds, hours)
MAX_JUMPS_PER_TRAJECTORY = 3_000
#: default most stored kets n × len(times) (memory guard: 64 bytes each, 1.3 GB); raise it with ``max_states=``
MAX_STATES = 20_000_000


def _check_expected_jumps(rate: float, t_max: float, n: int, per_traj: int, max_events: int) -> None:
    """Refuse before any work a run whose jumps cannot be afforded. ``rate`` = 2 tr(K ρ0), the initial jump
    rate (the norm decays as d|ψ|²/dt = −2<ψ|K|ψ>, Eq. 12): one trajectory makes about rate·t_max jumps, each
    one round of the event loop. (The largest rate 2·λmax(K) would refuse dark states that never jump; a
    state whose rate grows later is stopped in the loop at 2·max_jumps_per_trajectory rounds.)"""
    with np.errstate(over="ignore"):
        bound = rate * t_max
    if not bound <= per_traj:
        raise InvalidParameterError(
            f"about {bound:.3g} jumps per trajectory expected (initial jump rate {rate:.3g} × t_max {t_max:.3g}) "
            f"exceeds max_jumps_per_trajectory = {per_traj} (about 1-2 ms a jump); shorten the times, raise "
            "max_jumps_per_trajectory (CLI: --max-jumps), or use magbell.evolve / magbell.postselect for the averages"
        )
    if not n * bound <= max_events:
        raise InvalidParameterError(
            f"about {n * bound:.3g} jumps expected in all (n = {n} × {bound:.3g}) exceeds max_events = {max_events}; "
            "lower n, shorten the times, or raise max_events"
        )


def _check_count(name: str, value, what: str) -> int:
    """A positive integer (bool, float and numpy floats refused: 1.5 or 1e3 are not counts)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidParameterError(f"{name} ({what}) must be a positive integer, got {value!r}")
    return int(value)


def _check_seed(seed):
    """``seed``: None, a non-negative integer, or a numpy ``Generator`` / ``SeedSequence`` (as for
    ``numpy.random.default_rng``, but refusing what it would reject with a raw numpy error)."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidParameterError(
            f"seed must be None, a non-negative integer, or a numpy Generator/SeedSequence, got {seed!r}"
        )
    return int(seed)


# ------------------------------------------------------------------------------ records and predicates
class JumpRecord(NamedTuple):
    """Jump records of n trajectories, padded: ``times`` (n, J) (NaN after the last jump), ``channels``
    (n, J) (indices into :data:`magbell.conditional.JUMP_NAMES`, −1 after the last jump)."""

    times: np.ndarray
    channels: np.ndarray

    def until(self, t: float) -> "JumpRecord":
        """The records truncated to the jumps at times ≤ t."""
        keep = self.times <= t
        return JumpRecord(np.where(keep, self.times, np.nan), np.where(keep, self.channels, -1))

    def count(self, channels=None) -> np.ndarray:
        """Number of jumps per trajectory (in the given channels: names or indices; all by default)."""
        if channels is None:
            return np.sum(self.channels >= 0, axis=1)
        idx = _channel_indices(channels)
        return np.sum(np.isin(self.channels, idx), axis=1)


def _channel_indices(channels, names=JUMP_NAMES, blocks=()) -> list:
    """Indices into ``names`` of ``channels`` (a name, an index, or a list of them; ``blocks``: group names that
    stand for every channel ``"<block>:k"``, the N-site h_plus/h_minus/h_z). One parser for the two-site and the
    N-site records; anything else (an unknown name, an index out of range, a bool) is one-line refused."""
    if isinstance(channels, (str, int, np.integer)):
        channels = [channels]
    out = []
    for c in channels:
        if isinstance(c, str) and c in names:
            out.append(list(names).index(c))
        elif isinstance(c, str) and c in blocks:
            out += [i for i, nm in enumerate(names) if nm.split(":")[0] == c]
        elif isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) and 0 <= int(c) < len(names):
            out.append(int(c))
        else:
            known = (f"{', '.join(blocks)} (whole blocks) or " if blocks else "") + (", ".join(names) or "none")
            raise InvalidParameterError(f"unknown jump channel {c!r}; known: {known}")
    return out


def no_jumps(channels=None) -> Callable[[JumpRecord], np.ndarray]:
    """Predicate "no jump (in ``channels``)": ``no_jumps()`` is the no-jump record of Eq. (13),
    ``no_jumps("J3")`` forbids J3 only."""
    idx = None if channels is None else _channel_indices(channels)

    def predicate(rec: JumpRecord) -> np.ndarray:
        return rec.count(idx) == 0

    def first_jump(rec: JumpRecord) -> np.ndarray:  # (n,): selected at t exactly when t < first_jump
        hit = rec.channels >= 0 if idx is None else np.isin(rec.channels, idx)
        return np.min(np.where(hit, rec.times, np.inf), axis=1, initial=np.inf)

    predicate.first_jump = first_jump  # TrajectoryCommon._selection: all times at once, not record.until per t
    predicate.__name__ = "no_jumps" if idx is None else "no_jumps_in_" + "_".join(JUMP_NAMES[i] for i in idx)
    return predicate


def _as_predicate(select):
    if select is None or (isinstance(select, str) and select == "all"):
        return None
    if callable(select):
        return select
    if isinstance(select, str):
        if select == "no-jump":
            return no_jumps()
        if select.startswith("no-"):
            return no_jumps([c.strip() for c in select[3:].split(",") if c.strip()])
    raise InvalidParameterError(
        f"select must be None/'all', 'no-jump', 'no-J3' (or 'no-J3,J4'), or a callable on a JumpRecord, got {select!r}"
    )


class EnsembleAverage(NamedTuple):
    """Average over the selected trajectories at every output time.

    rho (T, 4, 4): mean of |ψ><ψ| over the trajectories selected at that time (NaN where none);
    stderr_re, stderr_im (T, 4, 4): standard errors of its real and imaginary parts (sample standard
    deviation / sqrt(count)); count (T,): selected trajectories; fraction, fraction_stderr (T,): the
    selected fraction (an estimate of the postselection probability) and its binomial standard error;
    concurrence (T,): of ``rho``; times (T,). ``to_xarray()`` and ``_repr_html_`` as every result.

    An empty sub-ensemble (``count == 0`` at some time: no trajectory passed the selection, typically
    because P(t)·n ≪ 1) has no state: ``rho`` and ``concurrence`` are NaN there by design (not 0, which
    would be a wrong value), ``fraction`` is 0 and its standard error 0. Check ``count`` (or raise ``n``).
    """

    rho: np.ndarray
    stderr_re: np.ndarray
    stderr_im: np.ndarray
    count: np.ndarray
    fraction: np.ndarray
    fraction_stderr: np.ndarray
    concurrence: np.ndarray
    times: np.ndarray | None = None  # (T,): the output times (the t coordinate of to_xarray)

    def to_xarray(self, unit: str | None = None):
        """As every result's ``to_xarray`` (labels, units, attrs): see :mod:`magbell.solvers._average_result`."""
        from ._average_result import average_to_xarray

        return average_to_xarray(self, unit)

    def _repr_html_(self) -> str:
        from ._average_result import average_html

        return average_html(self)


class TrajectoryCommon:
    """What the two-site :class:`TrajectoryResult` and the N-site
    :class:`magbell.solvers._system_trajectory_result.SystemTrajectoryResult` share: ``kets`` (n, T, d), ``times``,
    ``record`` (a jump record with ``until(t)``), the per-trajectory array ``n_jumps``."""

    _ARRAYS = ("n_jumps",)

    def _native(self) -> tuple:
        return ()

    def _dims(self, name, arr):
        return ("trajectory",) + tuple(f"dim_{i}" for i in range(arr.ndim - 1))

    @property
    def n(self) -> int:
        return self.kets.shape[0]

    def _selection(self, pred) -> np.ndarray:
        """(n, T) boolean: ``pred`` (None: all) applied at every t_k to the records truncated at t_k."""
        n, T = self.kets.shape[:2]
        if pred is None:
            return np.ones((n, T), dtype=bool)
        rec = self.record
        if getattr(pred, "first_jump", None) is not None:  # no_jumps: no such jump at times ≤ t
            return pred.first_jump(rec)[:, None] > np.asarray(self.times, dtype=float)[None, :]
        out = np.empty((n, T), dtype=bool)
        for k, t in enumerate(self.times):
            v = np.asarray(pred(rec.until(t)), dtype=bool)
            if v.shape != (n,):
                raise InvalidParameterError(f"a selection predicate must return {n} booleans, got shape {v.shape}")
            out[:, k] = v
        return out


@dataclass(frozen=True, eq=False, repr=False)
class TrajectoryResult(TrajectoryCommon, Result):
    """Result of :func:`trajectories`.

    times (T,); kets (n, T, 4): each trajectory's normalised state at each time; jump_times, jump_channels
    (n, J): the records (NaN / −1 padded); n_jumps (n,); seed; initial (4×4 density matrix); info.
    """

    times: np.ndarray
    model: Model
    initial: np.ndarray
    kets: np.ndarray
    jump_times: np.ndarray
    jump_channels: np.ndarray
    n_jumps: np.ndarray
    seed: object
    info: dict = field(default_factory=dict)

    _METHOD = "quantum jumps"

    @property
    def record(self) -> JumpRecord:
        return JumpRecord(self.jump_times, self.jump_channels)

    def jump_counts(self) -> dict:
        """Total number of jumps per channel name."""
        return {name: int(np.sum(self.jump_channels == i)) for i, name in enumerate(JUMP_NAMES)}

    def selection(self, select=None) -> np.ndarray:
        """(n, T) boolean: trajectory selected at time t_k by the predicate applied to its record up to t_k."""
        return self._selection(_as_predicate(select))

    def average(self, select=None) -> EnsembleAverage:
        """Average of |ψ><ψ| over the trajectories selected by ``select`` (see :meth:`selection`):
        ``None``/'all', 'no-jump', 'no-J3', 'no-J3,J4', or a callable ``f(JumpRecord) -> bool (n,)``."""
        w = self.selection(select).astype(float)  # (n, T)
        count = w.sum(axis=0)
        safe = np.where(count > 0, count, 1.0)
        # second moments about a selected trajectory's ψψ† at each time (shifted data: no ε·ρ² cancellation)
        ref = self.kets[np.argmax(w > 0, axis=0), np.arange(w.shape[1])]
        mean, m2r, m2i = _weighted_moments(self.kets, w, ref)
        s = _pair_products(ref)
        mean /= safe[:, None, None]
        m2r /= safe[:, None, None]
        m2i /= safe[:, None, None]
        corr = (safe / np.maximum(safe - 1, 1.0))[:, None, None]
        var_r = np.maximum(m2r - (mean.real - s.real) ** 2, 0.0) * corr
        var_i = np.maximum(m2i - (mean.imag - s.imag) ** 2, 0.0) * corr
        se_r = np.sqrt(var_r / safe[:, None, None])
        se_i = np.sqrt(var_i / safe[:, None, None])
        none = count == 0
        mean = np.where(none[:, None, None], np.nan, mean)
        frac = count / self.n
        frac_se = np.sqrt(frac * (1 - frac) / self.n)
        conc = np.full(len(count), np.nan)
        ok = ~none
        if np.any(ok):
            conc[ok] = _measures.concurrence((mean[ok] + np.conj(np.swapaxes(mean[ok], -1, -2))) / 2)
        return EnsembleAverage(mean, se_r, se_i, count.astype(int), frac, frac_se, conc, np.asarray(self.times))

    def __repr__(self) -> str:
        return (
            f"TrajectoryResult(n={self.n}, times={len(self.times)} from {self.times[0]:.6g} to {self.times[-1]:.6g}, "
            f"jumps={int(self.n_jumps.sum())} ({', '.join(f'{k}: {v}' for k, v in self.jump_counts().items() if v)}), "
            f"seed={self.seed!r})"
        )


def trajectories(
    model: Model,
    initial,
    times,
    *,
    n: int = 1000,
    seed=None,
    max_events: int = MAX_EVENTS,
    max_states: int = MAX_STATES,
    max_jumps_per_trajectory: int = MAX_JUMPS_PER_TRAJECTORY,
    backend: str = "numpy",
) -> TrajectoryResult:
    """``n`` quantum trajectories of Eq. (11) from ``initial`` (any state; a mixed one is sampled from its
    eigen-decomposition), recorded at ``times`` with their full jump records. Seeded (``seed``: None, a
    non-negative integer, or a numpy ``Generator``/``SeedSequence``, as for ``numpy.random.default_rng``),
    batched over trajectories; a single model (index a grid first).

    Guards (each raises :class:`~magbell.errors.InvalidParameterError` naming the argument): ``n`` a
    positive integer with ``n × len(times) ≤ max_states`` (default :data:`MAX_STATES` = 2·10⁷ stored kets,
    64 bytes each; raise it if you have the memory); at most ``max_events`` jumps in all; and, checked before
    the run, the expected jumps of one trajectory 2·tr(Kρ0)·t_max (K = Σ J†J, the initial jump rate; a
    trajectory is stopped at twice the limit) at most ``max_jumps_per_trajectory`` (default
    :data:`MAX_JUMPS_PER_TRAJECTORY` = 3000: about 1–2 ms a jump, a few seconds), and n times it at most
    ``max_events``.

    ``backend``: the numerical backend (:func:`magbell.backend.get_backend`), recorded in ``result.backend``; its
    ``eigh`` decomposes the initial state. The no-jump propagator is the closed form above (elementwise, no
    matrix kernel) and the jump loop is data-dependent, so they stay in NumPy.

    >>> import numpy as np, magbell
    >>> from magbell.conditional import trajectories
    >>> tr = trajectories(magbell.Model(a=1.0, A=1.0), "ud", np.linspace(0, 2, 5), n=2000, seed=1)
    >>> avg = tr.average("no-jump")          # the Eq. (13) sub-ensemble and its weight P(t)
    >>> bool(abs(avg.fraction[-1] - 0.5 * (1 + np.exp(-8.0))) < 5 * avg.fraction_stderr[-1] + 1e-12)
    True
    """
    from ..system.core import System  # N sites: solvers/_system_trajectories.py

    bk = get_backend(backend)  # validated first: a bad name is refused before any work
    if isinstance(model, System):
        from ._system_trajectories import system_trajectories
        return system_trajectories(model, initial, times, n=n, seed=seed, max_events=max_events, max_states=max_states,
                                   max_jumps_per_trajectory=max_jumps_per_trajectory, backend=bk)
    _single(model)
    t = validate_times(times)
    check_domain(model.coefficients(), float(t.max()), what="trajectories")
    n = _check_count("n", n, "the number of trajectories")
    max_events = _check_count("max_events", max_events, "the most jumps in all")
    max_states = _check_count("max_states", max_states, "the most stored kets n × len(times)")
    if n * len(t) > max_states:
        raise InvalidParameterError(
            f"n × len(times) = {n} × {len(t)} = {n * len(t):.3g} stored kets exceeds max_states = {max_states} "
            f"({64 * n * len(t) / 2**30:.3g} GiB); lower n or the number of times, or raise max_states"
        )
    max_jumps_per_trajectory = _check_count("max_jumps_per_trajectory", max_jumps_per_trajectory,
                                            "the most jumps expected of one trajectory")
    seed = _check_seed(seed)
    rho0, several = as_density_matrices(initial)
    if several:
        raise InvalidParameterError("trajectories take one initial state (run once per initial state)")
    rho0 = rho0[0]
    K0 = np.asarray(jump_rate_operator(model)).reshape(4, 4)
    _check_expected_jumps(max(2.0 * float(np.real(np.trace(K0 @ rho0))), 0.0), float(t.max()), n,
                          max_jumps_per_trajectory, max_events)
    rng = np.random.default_rng(seed)
    Hn0, Delta = _heff_without_mean(model)
    K = jump_rate_operator(model)
    J = model.jump_operators()  # (6, 4, 4)
    # The mean splitting Δ is left out of the loop and applied once per output time from the exact absolute
    # time (U_Δ(t) = e^{iΔt(σ1z+σ2z)/2} commutes with H_eff − Δ-part, and J_k U_Δ = e^{±iΔt} U_Δ J_k: a jump only
    # adds a global phase). Inside the loop Δ·(t_k − t_{k−1}) and Δ·τ were rounded per step: the no-jump
    # sub-ensemble was off the exact Eq. 13 state by Δ·ulp(t) (2.2e-10 at Δ = 1.8e10 rad/s, t = 1.2 ms).
    prop = _Propagator(Hn0[0], 0.0)

    # initial kets
    p, V = bk.eigh(rho0)
    p = np.where(p > 1e-14, p, 0.0)
    p = p / p.sum()
    if np.count_nonzero(p) == 1:
        psi = np.broadcast_to(V[:, np.argmax(p)], (n, 4)).astype(complex).copy()
        which0 = np.zeros(n, dtype=int)
    else:
        which0 = rng.choice(4, size=n, p=p)
        psi = V[:, which0].T.astype(complex).copy()
    r = 1.0 - rng.random(n)  # thresholds in (0, 1]

    def jump(phi, u):
        Jphi = np.einsum("kij,nj->nki", J, phi)  # (nj, 6, 4)
        w = np.sum(np.abs(Jphi) ** 2, axis=2)
        cw = np.cumsum(w, axis=1)
        u = u * cw[:, -1]
        ch = np.minimum(np.sum(cw <= u[:, None], axis=1), len(JUMP_NAMES) - 1)
        # a zero-weight channel can only be hit by u == total; move to the last non-zero one
        bad = w[np.arange(phi.shape[0]), ch] == 0
        if np.any(bad):
            ch[bad] = np.argmax(cw[bad] >= cw[bad, -1:], axis=1)
        new = Jphi[np.arange(phi.shape[0]), ch]
        new /= np.sqrt(np.sum(np.abs(new) ** 2, axis=1))[:, None]
        return ch, new

    tt, inverse = np.unique(t, return_inverse=True)
    kets, events = mcwf_loop(prop.apply, lambda psi, logr, hi: _jump_time(prop, K, psi, logr, hi), jump, psi, r,
                             tt, rng, max_events, max_jumps_per_trajectory, " (CLI: --max-jumps)")
    if Delta[0] != 0 and tt.size:  # e^{+iΔt} on |↑↑>, e^{−iΔt} on |↓↓>, Δ·t formed exactly (_mean_phase)
        cos, sin = _mean_phase(np.array([float(Delta[0])]), tt, 1)
        ph = cos[0] + 1j * sin[0]  # (T,)
        kets[:, :, 0] *= ph[None, :]
        kets[:, :, 3] *= np.conj(ph)[None, :]
    jt, jc, counts = jump_records(events, n)
    info = {
        "method": "exact waiting-time Monte Carlo wave function (no time step); closed-form no-jump propagator",
        "channels": JUMP_NAMES,
        "initial_components": np.bincount(which0, minlength=4),
    }
    return record_backend(TrajectoryResult(
        times=t,
        model=model,
        initial=rho0,
        kets=kets[:, inverse],
        jump_times=jt,
        jump_channels=jc,
        n_jumps=counts,
        seed=seed,
        info=info,
    ), bk)


def mcwf_loop(apply, jump_time, jump, psi, r, tt, rng, max_events, per_traj, hint=""):
    """The exact waiting-time Monte Carlo wave-function loop shared by the two-site and the N-site trajectories
    (Dalibard, Castin & Mølmer, PRL 68, 580 (1992); Dum, Zoller & Ritsch, PRA 45, 4879 (1992): a jump when the
    no-jump norm ‖ψ(t)‖² falls to a uniform threshold r, the jump time found exactly by ``jump_time``).

    ``apply(h, psi)`` (h (m,), psi (m, d)): the unnormalised no-jump propagation; ``jump_time(psi, log r, hi)``:
    the times at which ‖ψ‖² reaches r within (0, hi]; ``jump(phi, u)`` with u uniform in [0, 1): (channels,
    normalised kets after the jump). ``psi`` (n, d) and ``r`` (n,) are updated in place; ``tt`` the distinct
    sorted times. Returns (kets (n, T, d) normalised at each time, (trajectory, time, channel) lists of the
    events). ``per_traj``: max_jumps_per_trajectory; ``hint`` ends its refusal (e.g. the CLI flag).
    """
    n, d = psi.shape
    T = len(tt)
    kets = np.empty((n, T, d), dtype=complex)
    ev_traj, ev_time, ev_chan = [], [], []
    n_events = 0
    rounds = 0
    t_cur = 0.0
    for k in range(T):
        h = float(tt[k] - t_cur)
        if h > 0:
            off = np.zeros(n)
            active = np.arange(n)
            while active.size:
                rem = h - off[active]
                phi = apply(rem, psi[active])
                S = np.sum(np.abs(phi) ** 2, axis=1)
                jmp = S < r[active]
                stay = active[~jmp]
                psi[stay] = phi[~jmp]
                jumpers = active[jmp]
                if not jumpers.size:
                    break
                n_events += jumpers.size
                if n_events > max_events:
                    raise InvalidParameterError(
                        f"more than max_events = {max_events} jumps: rates × times too large for trajectories "
                        "(use magbell.evolve / magbell.postselect for the averages)"
                    )
                tau = jump_time(psi[jumpers], np.log(r[jumpers]), rem[jmp])
                phi = apply(tau, psi[jumpers])
                ch, new = jump(phi, rng.random(jumpers.size))
                psi[jumpers] = new
                ev_traj.append(jumpers)
                ev_time.append(t_cur + off[jumpers] + tau)
                ev_chan.append(ch)
                off[jumpers] += tau
                r[jumpers] = 1.0 - rng.random(jumpers.size)
                active = jumpers
                rounds += 1
                if rounds > 2 * per_traj:  # the initial rate underestimated the jumps
                    raise InvalidParameterError(
                        f"more than {rounds - 1} jumps in one trajectory (2 × max_jumps_per_trajectory = "
                        f"{2 * per_traj}); shorten the times or raise max_jumps_per_trajectory{hint}"
                    )
                if rounds % 256 == 0:  # refuse early what would exceed max_events (not after minutes)
                    covered = n * t_cur + h * (n - active.size) + float(np.sum(off[active]))
                    projected = n_events * (n * float(tt[-1])) / max(covered, np.finfo(float).tiny)
                    if projected > 2 * max_events:
                        raise InvalidParameterError(
                            f"about {projected:.2g} jumps expected (max_events = {max_events}): rates × times too "
                            "large for trajectories (use magbell.evolve / magbell.postselect for the averages)"
                        )
        nrm = np.sqrt(np.sum(np.abs(psi) ** 2, axis=1))
        kets[:, k] = psi / nrm[:, None]
        t_cur = float(tt[k])
    return kets, (ev_traj, ev_time, ev_chan)


def jump_records(events, n):
    """The event lists of :func:`mcwf_loop` as per-trajectory arrays: jump times (n, width) NaN-padded, channels
    (n, width) −1-padded, in time order per trajectory, and the jump counts (n,)."""
    ev_traj, ev_time, ev_chan = events
    if not ev_traj:
        return np.full((n, 0), np.nan), np.full((n, 0), -1, dtype=int), np.zeros(n, dtype=int)
    et, etime, ech = np.concatenate(ev_traj), np.concatenate(ev_time), np.concatenate(ev_chan)
    order = np.lexsort((etime, et))
    et, etime, ech = et[order], etime[order], ech[order]
    counts = np.bincount(et, minlength=n)
    width = int(counts.max())
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.arange(et.size) - starts[et]
    jt = np.full((n, width), np.nan)
    jc = np.full((n, width), -1, dtype=int)
    jt[et, pos] = etime
    jc[et, pos] = ech
    return jt, jc, counts
