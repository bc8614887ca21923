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
substep propagators ``2^c·E`` (Padé via :func:`magbell.backend._expm.expm` on the scaled matrix, then squarings,
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
from typing import TYPE_CHECKING

import numpy as np

from ..measures import _two_qubit as _measures
from .._domain import check_domain
from ._evolve import validate_times
from ..backend import get_backend, record_backend
from ..errors import InvalidParameterError
from ..system._model import Model
from ..results import TimeSeriesResult
from ..system._two_site_states import as_density_matrices
from ..liouvillian._superop import sector_basis
from ._conditional_measures import _factor, _finish_chunk
from ._ket_path import ket_path, ket_path_applies
from ..backend._scaled import anchor_split
from ._march import check_floor, march, march_blocks, _mean_phase, MEAN_PHASE_DIAG, _slow_rate, _slow_rate_2x2, \
    _rate_gap, _time_plan
from ._nonhermitian import (
    _check_model,
    _heff_without_mean,
    jump_rate_operator,
    non_hermitian_hamiltonian,
    NonHermitianSpectrum,
    postselect_spectrum,
    _target_bell,
)

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
_CHUNK_BYTES = 64 * 2**20


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
    backend: str = "numpy",
    excitations: int | None = None,
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
    backend : the numerical backend (:func:`magbell.backend.get_backend`), recorded in ``result.backend``.

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
    if not isinstance(model, Model) or excitations is not None:  # N sites: solvers/_system_conditional.py
        from ._system_conditional import system_postselect

        return system_postselect(model, initial, times, scheme=scheme, excitations=excitations, measures=measures,
                                 store_states=store_states, chunk_points=chunk_points, backend=backend)
    _check_model(model)
    bk = get_backend(backend)
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
    fast = kind == "ket" and ket_path_applies(G_all[:, 1:3, 1:3], W, steps, which, measures, store_states)
    if fast:  # scratch of the ket path per point: the anchors' real rows (6·B·4) and small steps (4·J·S), ×2
        _, J, B = anchor_split(T)
        per_point = (24 * B + 4 * J * S) * 16
    if chunk_points is None:
        chunk_points = max(1, _CHUNK_BYTES // max(1, per_point))
    chunk_points = int(min(chunk_points, P_all))

    col = _Collector(P_all)
    low = None
    if fast:  # pure kets in {|↑↓>, |↓↑>} on a short uniform grid: solvers/_ket_path.py
        low = np.empty((P_all, S))
        keys = ["P", "logP"] + ["m:" + m for m in measures]
        for start in range(0, P_all, chunk_points):
            stop = min(P_all, start + chunk_points)
            out = {key: col.view(key, start, stop, (S, T, 4) if key == "m:populations" else (S, T)) for key in keys}
            ket_path(G_all[start:stop, 1:3, 1:3], W[:, 1:3, 0], float(steps[0]), float(steps[1]), T, measures,
                     bell_all[start:stop], bk, out, floor=(low[start:stop], 1 if tt[0] == 0 else 0))
    for start in range(0, P_all if not fast else 0, chunk_points):
        stop = min(P_all, start + chunk_points)
        if kind == "ket":
            X, LS = march_blocks(G_all[start:stop], W, steps, which, Delta[start:stop], tt, bk=bk)
        else:
            X, LS = march(G_all[start:stop], x0, steps, which, bk=bk)

        def dest(key, tail, _a=start, _b=stop):
            return col.view(key, _a, _b, tail)

        col.add(start, stop, _finish_chunk(X, LS, kind, measures, bell_all[start:stop], store_states, dest))
    _exact_start(col, tt, _initial_weight(rho0, scheme))
    if fast and tt[0] == 0:
        low = np.minimum(low, col.data["logP"][:, :, 0])  # log P(0), now exact
    if kind == "ket":
        occupied = np.any(W[:, 1:3, :] != 0, axis=(1, 2))  # (S,): the 2×2 block {|↑↓>, |↓↑>} is occupied
        G12 = G_all[:, 1:3, 1:3]
        g12, gap = _slow_rate_2x2(G12)
        gmin = np.where(occupied[None, :], 2 * g12[:, None], np.nan)
        scale, power, alive = np.abs(G12).sum(axis=-2).max(axis=-1), 2, np.any(W != 0, axis=(1, 2))
    else:
        lam = np.linalg.eigvals(G_all)
        gmin, scale = _slow_rate(G_all, lam)[:, None], np.abs(G_all).sum(axis=-2).max(axis=-1)
        power, alive, gap = 1, (r0[:, 0] + r0[:, 1]) > 0, _rate_gap(lam)
    check_floor(col.data["logP"], gmin, tt, scale[:, None], "postselect", _where(model, several), power=power,
                alive=alive, gap=gap[:, None], low=low)
    info = {
        "method": "scaled Padé exponentials of −iH_eff·dt per σz block (no eigendecomposition), stepped with "
        "power-of-two renormalisation; log P accumulated" if kind == "ket" else
        "scaled Padé exponentials of the subspace block of the Liouvillian (|q|=0 coordinates ρ11, ρ22, ρ12), "
        "stepped with power-of-two renormalisation",
        "scheme": scheme,
        "uniform_steps": len(steps) == 2 and T >= 3,
    }
    if fast:
        info["method"] = ("pure one-excitation kets: √T-anchor powers of the Padé exp(−iH_eff·dt) of the 2×2 block "
                          "{|↑↓>, |↓↑>}, measures fused per block of points")
    return record_backend(_assemble(model, t, rho0, several, labels, scheme, col, measures, store_states, inverse,
                                    bell_all, info), bk)


# ============================================================================== exactness at t = 0, refusals
def _initial_weight(rho0: np.ndarray, scheme: str) -> np.ndarray:
    """P(0) of each initial state (S,): 1 for "no-jump" (nothing has happened yet), tr Π0ρ0 for "subspace"
    (and the monitor), exactly 1 where ρ0 has no weight outside span{|↑↓>, |↓↑>}."""
    if scheme == "no-jump":
        return np.ones(rho0.shape[0])
    d = np.real(np.diagonal(rho0, axis1=-2, axis2=-1))
    w_in, w_out = d[:, 1] + d[:, 2], d[:, 0] + d[:, 3]
    return np.where(w_out == 0, 1.0, w_in / (w_in + w_out))


def _exact_start(col: _Collector, tt: np.ndarray, p0: np.ndarray) -> None:
    """P(0) = p0 and log P(0) = log p0 exactly at a reported t = 0 (the marched norm² of a normalised ket is
    1 − 2.2e−16 for the triplet); the states are unchanged."""
    if len(tt) and tt[0] == 0 and col.n:
        with np.errstate(divide="ignore"):
            col.data["P"][:, :, 0] = p0[None, :]
            col.data["logP"][:, :, 0] = np.log(p0)[None, :]


def _where(model: Model, several: bool):
    """The location of a refused entry (flat point, initial state) in the user's terms."""
    def where(idx):
        p, s = idx[0], idx[1]
        at = f" at model index {tuple(int(i) for i in np.unravel_index(p, model.shape))}" if model.shape else ""
        return at + (f", initial state {s}" if several else "")
    return where


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
    backend: str = "numpy",
) -> PostselectResult:
    """Evolution postselected on "no jump in the channels ``forbid``" (partial postselection).

    The unnormalised conditional state obeys ``dρ̃/dt = −i(H_eff ρ̃ − ρ̃ H_eff†) + 2 Σ_{k ∉ forbid} J_k ρ̃ J_k†``
    (Eq. 11 with the forbidden jump terms removed); the result is ρ̃/tr ρ̃ with P(t) = tr ρ̃.
    ``forbid="all"`` is Eq. (13) (same as :func:`postselect` with ``scheme="no-jump"``), ``forbid=[]`` is
    the unconditional Lindblad evolution (P = 1). Channel names are ``J1..J6`` (:data:`JUMP_NAMES`; J5, J6
    are the dephasing jumps). Uses the 16×16 superoperator: slower than :func:`postselect` on big grids.
    ``backend``: the numerical backend (:func:`magbell.backend.get_backend`), recorded in ``result.backend``.
    """
    if not isinstance(model, Model):  # an N-site System: solvers/_system_conditional.py (forbid by block)
        from ._system_conditional import system_conditional_evolve

        return system_conditional_evolve(model, initial, times, forbid=forbid, measures=measures,
                                         store_states=store_states, backend=backend)
    _check_model(model)
    bk = get_backend(backend)
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
        X, LS = march(L[start:stop], x0, steps, which, bk=bk)
        X = _rotate_vec(X, Delta[start:stop], tt)
        col.add(start, stop, _finish_chunk(X, LS, "vec", measures, bell_all[start:stop], store_states))
    info = {"method": "scaled Padé exponentials of the 16×16 conditional generator", "forbid": [JUMP_NAMES[i] for i in idx]}
    scheme = "forbid:" + (",".join(JUMP_NAMES[i] for i in idx) if idx else "none")
    return record_backend(_assemble(model, t, rho0, several, labels, scheme, col, measures, store_states, inverse,
                                    bell_all, info), bk)


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
