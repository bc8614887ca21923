"""Exact time evolution of the two-qubit master equation: :func:`evolve`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..measures import _two_qubit as _measures
from .._domain import (
    DELTA_INDEX,
    apply_mean_phase,
    block_dd_without_mean_phase,
    block_without_mean_phase,
    check_domain,
)
from ..backend._propagate import TN_FAST
from ..errors import InvalidParameterError
from ..system._basis import COEFFICIENT_NAMES
from ..system._model import Model
from ..backend import get_backend, record_backend
from ..results import TimeSeriesResult
from ..system._two_site_states import as_density_matrices
from ..liouvillian._superop import sector_basis

if TYPE_CHECKING:  # annotations only (PEP 563 strings): nothing imported at run time
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = ["evolve", "EvolveResult", "validate_times"]

DEFAULT_MEASURES = ("concurrence", "populations")
# Size (bytes) of the real state coordinates held at once per chunk of parameter points.
_CHUNK_BYTES = 12 * 2**20
# Size (bytes) of the block of an output state stack written at once (kept in L2 while its slots are filled).
_STATES_BLOCK_BYTES = 2**19


def validate_times(times) -> np.ndarray:
    """Times as a 1-D float array; finite and non-negative, else :class:`InvalidParameterError`."""
    try:
        t = np.asarray(times, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"times must be an array of numbers, got {times!r}") from None
    if t.ndim == 0:
        t = t[None]
    if t.ndim != 1:
        raise InvalidParameterError(f"times must be a 1-D array, but has shape {t.shape}")
    if t.size == 0:
        raise InvalidParameterError("times is empty")
    if not np.all(np.isfinite(t)):
        raise InvalidParameterError("times must be finite (no NaN or inf)")
    if np.any(t < 0):
        raise InvalidParameterError(f"times must be >= 0, but the smallest is {t.min():.6g}")
    return t


@dataclass(frozen=True, eq=False, repr=False)
class EvolveResult(TimeSeriesResult):
    """Result of :func:`evolve`.

    Shapes: ``(*model.shape, n_times)`` for scalar measures, with a trailing axis for vector measures
    (``populations``, ``bell_fidelities``: 4) and an extra axis ``n_initial`` before the time axis when
    several initial states were given. ``states`` (if requested) has shape ``(..., n_times, 4, 4)``.
    """

    times: np.ndarray
    model: Model
    initial: np.ndarray
    measures: dict
    states: np.ndarray | None
    info: dict = field(default_factory=dict)

    _HOW_TO_ASK = "evolve(..., measures=[...])"

    @property
    def shape(self) -> tuple:
        return self.measures["concurrence"].shape if "concurrence" in self.measures else None



def validate_chunk_points(chunk_points) -> int | None:
    """``chunk_points`` as a positive int (or None), else :class:`InvalidParameterError`."""
    if chunk_points is None:
        return None
    if isinstance(chunk_points, (bool, np.bool_)) or not isinstance(chunk_points, (int, np.integer)):
        if isinstance(chunk_points, (float, np.floating)) and np.isfinite(chunk_points) and chunk_points == int(chunk_points):
            chunk_points = int(chunk_points)
        else:
            raise InvalidParameterError(f"chunk_points must be a positive integer, got {chunk_points!r}")
    if chunk_points < 1:
        raise InvalidParameterError(f"chunk_points must be a positive integer, got {chunk_points!r}")
    return int(chunk_points)


def _coords_to_rho(r: np.ndarray, sb) -> np.ndarray:
    """Real sector coordinates (..., 16) → density matrices (..., 4, 4), by indexing (no matmul)."""
    n = sb.n
    vec = np.zeros(r.shape[:-1] + (n * n,), dtype=complex)
    for c in range(r.shape[-1]):
        col = sb.from_real[:, c]
        nz = np.flatnonzero(col)
        for k in nz:
            vec[..., k] += col[k] * r[..., c]
    return vec.reshape(r.shape[:-1] + (n, n))


def _label(state) -> str:
    if isinstance(state, str):
        return state
    return "custom"


def evolve(
    model: Model,
    initial: str | ArrayLike | Sequence[str | ArrayLike],
    times: ArrayLike,
    *,
    measures=DEFAULT_MEASURES,
    store_states: bool = False,
    chunk_points: int | None = None,
    backend: str = "numpy",
) -> EvolveResult:
    """Exact evolution of ``dρ/dt = -i[H, ρ] - L[ρ]`` (paper Eq. 2) from ``initial`` over ``times``.

    Parameters
    ----------
    model : :class:`magbell.Model` (a single model or a grid); an N-site :class:`magbell.System` is passed on to
        :func:`magbell.system.evolve_system` (docs/system.md).
    initial : a state name (``"ud"``, ``"singlet"``, ...), a ket, a density matrix, a QuTiP ``Qobj``,
        or a list of those (adds an initial-state axis before the time axis).
    times : 1-D array of non-negative times (any order; a uniform grid such as ``np.linspace`` uses the
        fast powers-of-the-propagator path).
    measures : names from ``magbell.measures.MEASURES`` to compute at every time.
    store_states : also return all density matrices (memory: 256 bytes per state).
    chunk_points : parameter points propagated at once (default: sized for ~16 MB of states).
    backend : the numerical backend (:func:`magbell.backend.get_backend`; ``"numpy"``, the only one today),
        recorded in the result's ``backend``.

    The propagator ``exp(L t)`` is computed exactly (Padé scaling-and-squaring, no eigendecomposition,
    so exceptional points where L is defective are exact too) on the real |q|-symmetry blocks of L that
    the initial state occupies. Points float64 cannot resolve (slow decays such as a − |A| = 1e-14·a,
    degenerate kernels at long times, weak couplings) are propagated in double-double arithmetic
    (``info["dd_points"]`` counts them); the mean splitting Δ is applied as an exact rotation, so a
    large Δ costs nothing. Only measures (not states) of a large sweep are kept in memory.

    Accuracy domain (docs/numerics.md): rates up to 1e150 in magnitude, ``t·‖L'‖₁ ≤ 1e16`` (L' the
    generator without Δ), ``|Δ|·t ≤ 1e200``; ρ is then exact to ~1e-13 and the concurrence to ~1e-12.
    Outside it :class:`~magbell.errors.InvalidParameterError` is raised, as for a ``chunk_points`` that
    is not a positive integer.

    >>> import numpy as np, magbell
    >>> r = magbell.evolve(magbell.Model(a=1.0, A=1.0), "ud", np.linspace(0, 50, 6))
    >>> round(float(r.concurrence[-1]), 12)   # the dark singlet keeps C(∞) = 1/2 (Eq. 10)
    0.5
    """
    if not isinstance(model, Model):
        from ..system import System, evolve_system

        if isinstance(model, System):  # N sites: magbell.system.evolve_system (docs/system.md)
            return evolve_system(model, initial, times, measures=None if measures is DEFAULT_MEASURES else measures,
                                 store_states=store_states, chunk_points=chunk_points, backend=backend)
        raise InvalidParameterError(f"model must be a magbell.Model or a magbell.System, got {type(model).__name__}")
    bk = get_backend(backend)  # validated first: a bad name is refused before any work
    t = validate_times(times)
    if isinstance(measures, str):
        measures = (measures,)
    unknown = [m for m in measures if m not in _measures.MEASURES]
    if unknown:
        raise InvalidParameterError(
            f"unknown measure(s) {unknown}; known: {', '.join(_measures.MEASURES)}"
        )
    chunk_points = validate_chunk_points(chunk_points)
    rho0, several = as_density_matrices(initial)
    labels = [_label(s) for s in initial] if several and isinstance(initial, (list, tuple)) else _label(initial)

    sb = sector_basis(2)
    r0 = sb.real_coordinates(rho0)  # (S, 16)
    S = r0.shape[0]
    used = [q for q, idx in enumerate(sb.blocks) if np.any(r0[:, idx] != 0)]
    x_only = 1 not in used  # no |q|=1 weight: X states at all times

    uniform = bk.is_uniform(t)
    order = None
    tt = t
    if not uniform:
        order = np.argsort(t, kind="stable")
        tt = t[order]
        uniform = bk.is_uniform(tt)

    shape = model.shape
    P = model.size
    T = len(t)
    coeff = model.coefficients().reshape(P, len(COEFFICIENT_NAMES))
    empty = P == 0
    if empty:  # an empty grid: run one dummy point to learn the output shapes, return zero-length arrays
        coeff = np.zeros((1, len(COEFFICIENT_NAMES)))
        P = 1
    gnorm = check_domain(coeff, t_max=float(t.max()), what="evolve")  # ≥ max_q ‖L'_q‖₁ per point
    if chunk_points is None:
        # the X-state fast measures hold at most 6 of the 16 real coordinates per point (8 budgeted): chunks of
        # twice the points halve the per-chunk overhead (W2: 982 points, 11 chunks, measured ~20 % faster)
        fast_rows = not store_states and x_only and set(measures) <= {"concurrence", "populations"}
        chunk_points = max(1, _CHUNK_BYTES // max(1, S * T * (8 if fast_rows else 16) * 8))
    chunk_points = int(max(1, min(chunk_points, P)))

    out: dict = {}
    # zeros: calloc'd pages, zeroed by the kernel on first touch; _states_into then writes only the slots that
    # are not structural zeros (from |ud> at T = 0, 7 of the 32 floats of a state)
    states_out = np.zeros((P, S, T, 4, 4), dtype=complex) if store_states else None
    inv = None
    if order is not None:
        inv = np.empty_like(order)
        inv[order] = np.arange(T)
    stats: dict = {"dd_points": 0}
    # chunks whose every point is short for the double path (no kernel deflation, no dd path decisions; half
    # the threshold, as the bound's own rounding must not matter)
    with np.errstate(over="ignore", invalid="ignore"):
        short = [bool(gnorm[a : a + chunk_points].max() * float(t.max()) <= TN_FAST / 2)
                 for a in range(0, P, chunk_points)]
    names_fast = tuple(measures)
    fast_c = x_only and 0 in used and "concurrence" in names_fast
    doubled = fast_c and not store_states and set(names_fast) == {"concurrence"}
    for start in range(0, P, chunk_points):
        stop = min(P, start + chunk_points)
        c = coeff[start:stop]
        rb = {}
        for q in used:
            # exp(L_q t) = exp(Δ t R_q) exp(L'_q t): Δ never enters a scaling or deflation decision
            L, R = block_without_mean_phase(c, q)
            r0q = r0[:, sb.blocks[q]]
            if doubled:  # the states of 2ρ0 are exactly 2ρ(t) (a power of two): C = 2(...) without the last pass
                r0q = 2.0 * r0q
            n_q = L.shape[-1]
            # only the coordinates reachable from ρ0 (exactly zero elsewhere), and of those only the ones
            # the measures read (issue 10 §6: the 6×6 |q|=0 block from |ud> at T = 0 is 5 reachable and
            # 3 read coordinates for the concurrence)
            keep = _reachable_coordinates(L, r0q)
            want = _wanted_rows(q, names_fast, x_only, 2 in used, keep) if not store_states else None
            out_rows = keep if want is None else np.array([k for k in keep if k in want], dtype=int)
            trace_kept = True
            if len(out_rows) < len(keep) and len(out_rows) and short[start // chunk_points]:
                # and of those only the ones that feed the rows read (from |ud> at T = 0 the concurrence's
                # Re, Im ρ12 are fed by ρ11, ρ22, Re, Im ρ12, not by ρ00): exact, nothing flows from the
                # dropped coordinates into the kept ones. The kept block may then leak trace, which only
                # a kernel deflation would mind, and short runs (‖L‖t ≤ TN_FAST) never deflate.
                feed = _feeding_coordinates(L, keep, out_rows)
                if q == 0 and len(feed) < len(keep):
                    trace_kept = not any(_TRACE0[k] for k in set(keep.tolist()) - set(feed.tolist()))
                keep = feed
            full_keep = len(keep) == n_q
            Lk = L if full_keep else L[:, keep[:, None], keep]
            rows = None if len(out_rows) == len(keep) else np.searchsorted(keep, out_rows)
            if q == 0 and trace_kept:
                ell = _TRACE0[keep]
                block0 = True if full_keep else (ell if np.any(ell) else False)
            else:
                block0 = False
            x = bk.propagate(
                Lk,
                r0q if full_keep else r0q[:, keep],
                tt,
                uniform=uniform,
                exact=_restricted_exact(c, q, None if full_keep else keep),
                block0=block0,
                info=stats,
                **({} if rows is None else {"rows": rows}),
            )
            if q:
                x = _embed_rows(x, out_rows, n_q)
                x = apply_mean_phase(x, R, c[:, DELTA_INDEX], tt)
                out_rows = np.arange(n_q)
            rb[q] = _Rows(x if inv is None else x[..., inv], out_rows, n_q)
        rho = None
        if store_states:  # written once, straight into the result (a 512 MB stack for W2 with states)
            rho = _states_into(rb, sb, states_out[start:stop], zeroed=True)
        into = None
        if fast_c:  # the X-state concurrence is written straight into the result
            if "concurrence" not in out:
                out["concurrence"] = np.empty((P, S, T))
            into = {"concurrence": out["concurrence"][start:stop]}
        values = _chunk_measures(rb, sb, measures, x_only, need_rho=False, rho=rho, into=into, doubled=doubled)
        for name, v in values.items():  # (p, S, T, ...)
            if into is not None and v is into.get(name):
                continue
            if name not in out:
                out[name] = np.empty((P,) + v.shape[1:], dtype=v.dtype)
            out[name][start:stop] = v

    def _shape(a):
        if empty:
            a = a[:0]
        a = a.reshape(shape + a.shape[1:])
        if not several:
            a = a.reshape(shape + a.shape[len(shape) + 1 :])
        return a

    out = {k: _shape(v) for k, v in out.items()}
    states = _shape(states_out) if store_states else None
    info = {
        "method": (
            "exact propagator exp(L t) on real |q| blocks: Padé scaling-and-squaring in float64, double-double "
            "expm1 scaling-and-squaring at stiff points (dd_points); mean splitting Δ as an exact rotation"
        ),
        "propagation": "uniform grid: powers of exp(L dt) with sqrt(n) anchors" if uniform else "direct exp(L t) per time",
        "blocks": tuple(used),
        "x_states": x_only,
        "initial_labels": labels,
        "chunk_points": chunk_points,
        "dd_points": stats["dd_points"],
        "dtype": "float64",
    }
    res = EvolveResult(times=t, model=model, initial=rho0 if several else rho0[0], measures=out, states=states, info=info)
    return record_backend(res, bk)


#: ℓ on the two-site |q| = 0 block coordinates (ρ00, ρ11, ρ22, ρ33, Re ρ12, Im ρ12)
_TRACE0 = np.array([1.0, 1.0, 1.0, 1.0, 0.0, 0.0])


def _reachable_coordinates(L: np.ndarray, r0: np.ndarray) -> np.ndarray:
    """Indices of the block coordinates reachable from the support of ``r0`` (S, n) in the coupling graph of
    ``L`` (P, n, n) (union over the points): exp(L t) r0 is exactly zero elsewhere, and on them it is
    exp(L_RR t) r0_R (nothing flows out of a reachable set)."""
    n = L.shape[-1]
    edge = (L != 0).any(axis=0).tolist()  # edge[j][m]: m feeds j
    todo = [m for m, v in enumerate((r0 != 0).any(axis=0).tolist()) if v]
    seen = set(todo)
    while todo:  # breadth-first over at most n coordinates
        m = todo.pop()
        for j in range(n):
            if edge[j][m] and j not in seen:
                seen.add(j)
                todo.append(j)
    return np.array(sorted(seen), dtype=np.intp) if seen else np.arange(n)


def _feeding_coordinates(L: np.ndarray, keep: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The coordinates of ``keep`` from which ``rows`` are reachable in the coupling graph of ``L`` (P, n, n)
    (union over the points), ``rows`` included: the rows of exp(L t) r0 depend on r0 through them only."""
    sub = (L[:, keep[:, None], keep] != 0).any(axis=0).tolist()  # sub[a][b]: keep[b] feeds keep[a]
    todo = np.searchsorted(keep, rows).tolist()
    seen = set(todo)
    while todo:
        a = todo.pop()
        for b, v in enumerate(sub[a]):
            if v and b not in seen:
                seen.add(b)
                todo.append(b)
    return keep[sorted(seen)]


def _wanted_rows(q: int, names, x_only: bool, has2: bool, keep: np.ndarray):
    """Block-local coordinates that the fast measure paths read, or None (all: the general path builds ρ).

    The concurrence's √(ρ_aa ρ_bb) terms read a pair of populations only when both are reachable (``keep``):
    with one an exact zero the term is an exact zero (from |ud> at T = 0, ρ_dd is, so ρ_uu is not read)."""
    if q != 0 or not x_only or not set(names) <= {"concurrence", "populations"}:
        return None
    want = set()
    if "populations" in names:
        want |= {0, 1, 2, 3}
    if "concurrence" in names:
        want |= {4, 5}
        reach = set(int(k) for k in keep)
        for pair in ((0, 3),) + (((1, 2),) if has2 else ()):
            if set(pair) <= reach:
                want |= set(pair)
    return want


def _restricted_exact(c, q, keep):
    """The dd path's exact generator of points ``idx``, restricted to the coordinates ``keep``."""
    def exact(idx):
        hi, lo = block_dd_without_mean_phase(c[idx], q)
        if keep is None:
            return hi, lo
        return hi[:, keep][:, :, keep], lo[:, keep][:, :, keep]
    return exact


def _embed_rows(x: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """(p, S, len(rows), T) → (p, S, n, T) with exact zeros in the other coordinates."""
    if len(rows) == n:
        return x
    out = np.zeros(x.shape[:2] + (n,) + x.shape[3:], dtype=x.dtype)
    out[:, :, rows] = x
    return out


class _Rows:
    """Block coordinates of which only ``rows`` were computed (the others are exact zeros or unread)."""

    __slots__ = ("x", "rows", "n", "pos")

    def __init__(self, x, rows, n):
        self.x, self.rows, self.n = x, np.asarray(rows), n
        self.pos = {int(k): i for i, k in enumerate(self.rows)}

    def row(self, k):
        """Coordinate k (p, S, T), or None where it is an exact zero (not reachable from ρ0)."""
        i = self.pos.get(k)
        return None if i is None else self.x[:, :, i]

    def full(self):
        return _embed_rows(self.x, self.rows, self.n)


def _blocks_to_coords(rb: dict, sb) -> np.ndarray:
    """Block coordinates rb[q] (:class:`_Rows`, (p, S, n_q, T)) → full coordinates (p, S, T, 16)."""
    first = next(iter(rb.values())).x
    p, S, _, T = first.shape
    r = np.zeros((p, S, T, sb.n * sb.n))
    for q, b in rb.items():
        r[..., sb.blocks[q]] = np.moveaxis(b.full(), 2, 3)
    return r


def _states_into(rb: dict, sb, dest: np.ndarray, zeroed: bool = False) -> np.ndarray:
    """Density matrices from the block coordinates, written into ``dest`` (p, S, T, 4, 4) complex (contiguous).

    Every entry of ρ is ± one real block coordinate in its real or imaginary part (``sb.from_real`` holds
    1 and ±i only), so each computed coordinate is copied (or negated) straight into its slots of the float
    view of ``dest``, block by block so that a block of ``dest`` stays in L2 while its slots are written;
    the other slots are exact zeros: already there when ``zeroed`` (a fresh ``np.zeros``, whose pages the
    kernel zeroes on first touch), else written first, one memset per block. One pass over ``dest``."""
    p, S, T = dest.shape[:3]
    m = 2 * sb.n * sb.n
    plan = []  # (float slot of dest, coordinate (p, S, T), sign)
    for q, b in rb.items():
        for i, k in enumerate(b.rows):
            col = sb.from_real[:, sb.blocks[q][k]]
            for kv in np.flatnonzero(col):
                w = col[kv]
                slot, sign = (2 * kv, w.real) if w.imag == 0 else (2 * kv + 1, w.imag)
                plan.append((int(slot), b.x[:, :, i], float(sign)))
    plan.sort(key=lambda e: e[0])  # in memory order: the cache lines of a block's states are filled one after another
    f = dest.view(float).reshape(p, S, T, m)
    per_point = S * T * m * 8
    bp = max(1, _STATES_BLOCK_BYTES // per_point)  # points per block, and times per block where one point is big
    bt = T if bp > 1 or per_point <= _STATES_BLOCK_BYTES else max(1, _STATES_BLOCK_BYTES // (S * m * 8))
    for a in range(0, p, bp):
        for t0 in range(0, T, bt):
            blk = f[a : a + bp, :, t0 : t0 + bt]
            if not zeroed:
                blk[...] = 0.0
            for slot, x, sign in plan:
                src = x[a : a + bp, :, t0 : t0 + bt]
                if sign == 1:
                    blk[..., slot] = src
                else:  # -1 (×-1 is exact, sign of zero included; not np.negative: NumPy 2.4.6's AVX-512 loop
                    # reads an input of 64-byte stride, e.g. the direct path's |q| = 1 rows, with the wrong
                    # stride when the output is strided)
                    np.multiply(src, sign, out=blk[..., slot])
    return dest


def _chunk_measures(rb: dict, sb, names, x_only: bool, need_rho: bool, rho: np.ndarray | None = None,
                    into: dict | None = None, doubled: bool = False) -> dict:
    """Measures (p, S, T, ...) from the real block coordinates ``rb[q]`` of shape (p, S, n_q, T).

    ``into``: optional destination arrays by measure name; the X-state concurrence is then written there
    (and the destination returned). ``doubled``: the coordinates are those of 2ρ (concurrence only).

    Block-local coordinates for two qubits: |q|=0 → (ρ00, ρ11, ρ22, ρ33, Re ρ12, Im ρ12),
    |q|=2 → (Re ρ03, Im ρ03); |q|=1 holds the remaining coherences. X-state fast paths avoid building ρ.
    """
    values = {}
    b0 = rb.get(0)
    for name in names:
        if name == "populations" and b0 is not None:
            pops = np.zeros(b0.x.shape[:2] + b0.x.shape[3:] + (4,))
            for k in range(4):
                v = b0.row(k)
                if v is not None:
                    pops[..., k] = v
            values[name] = pops
        elif name == "concurrence" and x_only and b0 is not None:
            values[name] = _x_concurrence(b0, rb.get(2), None if into is None else into.get(name), doubled)
        else:
            if rho is None:
                x = next(iter(rb.values())).x
                rho = _states_into(rb, sb, np.empty(x.shape[:2] + x.shape[3:] + (sb.n, sb.n), dtype=complex))
            values[name] = _measures.MEASURES[name](rho)
    if need_rho:
        values["__rho__"] = rho if rho is not None else _coords_to_rho(_blocks_to_coords(rb, sb), sb)
    return values


def _coherence_minus_sqrt(re, im, pa, pb, out=None):
    """|ρ_ij| − √(ρ_aa ρ_bb) from coordinates (None: exact zero), in place (or in ``out``) where possible.

    Returns ``(value, signed)``: ``signed`` is False where no square root was subtracted, so that the value,
    a modulus, is ≥ 0 (or NaN) and clipping it at 0 would change nothing."""
    if re is None and im is None:
        c = None
    elif im is None or re is None:
        c = np.abs(re if im is None else im, out=out)
    else:
        # |ρ_ij| ≤ 1, so sqrt(x² + y²) cannot overflow; it is 3x faster than np.hypot
        c = np.multiply(re, re, out=out)
        c += np.multiply(im, im)
        np.sqrt(c, out=c)
    if pa is not None and pb is not None:
        g = np.multiply(pa, pb)
        np.maximum(g, 0.0, out=g)
        np.sqrt(g, out=g)
        if c is None:
            return np.multiply(g, -1.0, out=g), True  # not negative() into out: docs/system.md
        c -= g
        return c, True
    return c, False


def _x_concurrence(b0, b2, out=None, doubled=False):
    """Wootters' concurrence of X states (Suppl. S52) from the block coordinates:
    C = 2 max(0, |ρ12| − √(ρ00ρ33), |ρ03| − √(ρ11ρ22)); unreachable coordinates are exact zeros.
    ``out``: optional destination (p, S, T), written and returned. ``doubled``: the coordinates are those of 2ρ,
    whose max(0, |·| − √(··)) is C itself, exactly (√(4x) = 2√x in binary floating point)."""
    c, signed = _coherence_minus_sqrt(b0.row(4), b0.row(5), b0.row(0), b0.row(3), out=out)
    if b2 is not None:
        c2, signed2 = _coherence_minus_sqrt(b2.row(0), b2.row(1), b0.row(1), b0.row(2))
        if c2 is not None:
            c, signed = (c2, signed2) if c is None else (np.maximum(c, c2, out=c), signed and signed2)
    if c is None:
        c = np.zeros(b0.x.shape[:2] + b0.x.shape[3:])
        if out is None:
            return c
    if signed:  # max(0, ·): a no-op on a modulus (and NaN stays NaN either way)
        np.maximum(c, 0.0, out=c)
    if doubled:
        if out is not None and c is not out:
            out[...] = c
            return out
        return c
    return np.multiply(c, 2, out=c if out is None else out)
