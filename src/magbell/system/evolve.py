"""Exact evolution of an N-site :class:`~magbell.system.System`: :func:`evolve_system`.

``exp(𝓛 t)`` is computed on the real |q|-sector blocks of 𝓛 that the initial state occupies, with the same
propagator as the two-qubit :func:`magbell.evolve` (:func:`magbell.propagate.propagate`: Padé scaling and
squaring, double-double where float64 cannot resolve the point) and the same accuracy domain
(:mod:`magbell._domain`'s limits). The mean splitting Δ̄ = mean_i Δ_i is factored out exactly:
−½Δ̄Σσᶻ commutes with the whole generator (every term conserves the excitation-number difference), so
``exp(𝓛 t) = exp(Δ̄ t R) exp(𝓛' t)`` with 𝓛' built from Δ_i − Δ̄ and R rotating ρ_ij by e^{i s Δ̄ t},
s = (m_i − m_j)/2, applied with an exactly formed phase. N is limited by the dense sector blocks
(|q| = 0 has C(2N, N) real coordinates: 20, 70, 252, 924 for N = 3…6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..measures import _two_qubit as _measures
from .._domain import PHASE_MAX, RATE_MAX, T_NORM_MAX
from ..errors import InvalidParameterError, InvalidStateError
from ..backend._expm import dd_add, two_prod
from ..backend import get_backend, record_backend
from ..backend._propagate import classify
from ..results import TimeSeriesResult
from .core import System
from .generator import coefficient_names, sector_blocks, sector_coordinates
from .states import system_density_matrices

__all__ = ["evolve_system", "pair_states", "SystemEvolveResult", "SYSTEM_MEASURES"]

#: measures every N-site evolution can return (N = 2 also accepts magbell.measures.MEASURES)
SYSTEM_MEASURES = ("site_populations", "purity")
_CHUNK_BYTES = 12 * 2**20
#: largest N for the dense real sector blocks (batched, double-double routing; |q| = 0 block 252 × 252 at N = 5);
#: above it evolve_system propagates excitation blocks (magbell.solvers._nsite_evolve, docs/numerics.md "N sites")
DENSE_MAX_SITES = 5
#: largest t·‖L′‖ of the excitation-block (Krylov) path: its work grows like t·‖L′‖ where nothing relaxes
KRYLOV_T_NORM_MAX = 1e9
#: largest sector block evolve_system sends to the double-double path (N = 5's |q| = 0 block)
DD_MAX_SIZE = 252


@dataclass(frozen=True, eq=False, repr=False)
class SystemEvolveResult(TimeSeriesResult):
    """Result of :func:`evolve_system`.

    ``site_populations``: (*system.shape, [n_initial,] n_times, N), probability that site i is ↓;
    ``purity``: (*shape, [n_initial,] n_times); ``states`` (if stored): (..., n_times, 2ᴺ, 2ᴺ);
    ``measures``: every requested measure by name (for N = 2 also the two-qubit ones, e.g. concurrence).
    """

    times: np.ndarray
    system: System
    initial: np.ndarray
    states: np.ndarray | None
    site_populations: np.ndarray | None
    purity: np.ndarray | None
    measures: dict
    info: dict = field(default_factory=dict)

    _ARRAYS = ("site_populations", "purity")

    #: trailing axes of the N-site measures (to_xarray labels)
    _TRAILING = {"site_populations": ("site",), "pair_concurrence": ("site", "site_j"),
                 "pair_reduced_states": ("site", "site_j", "basis", "basis_col")}

    def _dims(self, name, arr):
        tr = self._TRAILING.get(name)
        if tr is not None:
            return super()._dims("", arr[(...,) + (0,) * len(tr)]) + tr
        return super()._dims(name, arr)


def _exact_product(x, y):
    """x·y = hi + lo exactly (Dekker, prescaled by powers of two so nothing overflows)."""
    mx, ex = np.frexp(x)
    my, ey = np.frexp(y)
    ph, pl = two_prod(mx, my)
    return np.ldexp(ph, ex + ey), np.ldexp(pl, ex + ey)


def _rotate(x: np.ndarray, sign: np.ndarray, dbar: np.ndarray, times: np.ndarray) -> np.ndarray:
    """ρ_ij ↦ e^{i s Δ̄ t} ρ_ij on (Re, Im) pairs of block coordinates x (p, S, n, T); s = sign per pair."""
    if not np.any(dbar):
        return x
    ph, pl = _exact_product(dbar[:, None], times[None, :])  # (p, T)
    out = x.copy()
    s_pair = sign[0::2]
    for s in np.unique(s_pair):
        if s == 0:
            continue
        h, l = two_prod(float(s) * np.ones_like(ph), ph)
        l = l + float(s) * pl
        cos = (np.cos(h) * np.cos(l) - np.sin(h) * np.sin(l))[:, None, None, :]
        sin = (np.sin(h) * np.cos(l) + np.cos(h) * np.sin(l))[:, None, None, :]
        k = 2 * np.flatnonzero(s_pair == s)
        u, v = x[:, :, k, :], x[:, :, k + 1, :]
        out[:, :, k, :] = cos * u - sin * v
        out[:, :, k + 1, :] = sin * u + cos * v
    return out


def _dd_block(c: np.ndarray, blk) -> tuple:
    """The block of coefficients c (p, K) as a double-double pair: every product exact, the sum compensated."""
    p, n = c.shape[0], blk.size
    hi, lo = np.zeros((p, n, n)), np.zeros((p, n, n))
    for k in range(c.shape[1]):
        if not np.any(c[:, k]) or blk.col_norms[k] == 0:
            continue
        B = blk.term(k)
        th, tl = two_prod(c[:, k, None, None] * np.ones((1, n, n)), np.broadcast_to(B, (p, n, n)))
        hi, lo = dd_add(hi, lo, th, tl)
    return hi, lo


def _refuse_large_dd(L: np.ndarray, t_max: float, block0) -> None:
    """One line instead of a computation of minutes to hours: the double-double path on a block larger than
    DD_MAX_SIZE (N = 6: 924 × 924 and up; measured N = 5, 252 × 252: 15–80 s for a few times)."""
    if L.shape[-1] <= DD_MAX_SIZE or t_max <= 0:
        return
    use_dd, _ = classify(L, t_max, block0)
    if np.any(use_dd):
        raise InvalidParameterError(
            f"evolve: a {L.shape[-1]}×{L.shape[-1]} sector block needs the double-double path here (t·‖L‖ > 1e3 "
            "with slow modes, several stationary states or couplings below 1e-6 of ‖L‖), which takes tens of minutes or more at "
            "this size; use shorter times or fewer sites (issue 11)"
        )


def _norm_weights(N: int) -> np.ndarray:
    return np.max(np.stack([b.col_norms for b in sector_blocks(N)]), axis=0)


def _check_domain(cp: np.ndarray, dbar: np.ndarray, N: int, t_max: float) -> None:
    """The limits of :mod:`magbell._domain` for an N-site generator 𝓛' (without Δ̄) and the phase Δ̄·t."""
    names = coefficient_names(N)
    absc = np.abs(cp)
    if absc.size and absc.max() > RATE_MAX:
        p, k = np.argwhere(absc > RATE_MAX)[0]
        raise InvalidParameterError(
            f"evolve: |{names[k]}{' − mean(Delta)' if k < N else ''}| = {absc[p, k]:.3g} exceeds {RATE_MAX:.0e}, the largest rate or "
            "energy accepted; rescale the unit of time"
        )
    if t_max <= 0:
        return
    norm = absc @ _norm_weights(N)
    with np.errstate(over="ignore"):
        bad = norm * t_max > T_NORM_MAX
    if np.any(bad):  # the bound may be loose: decide on the exact norms
        idx = np.flatnonzero(bad)
        exact = np.zeros(idx.size)
        for blk in sector_blocks(N):
            exact = np.maximum(exact, np.abs(blk.generator(cp[idx])).sum(axis=-2).max(axis=-1))
        norm = norm.copy()
        norm[idx] = exact
        with np.errstate(over="ignore"):
            bad = norm * t_max > T_NORM_MAX
    if np.any(bad):
        raise InvalidParameterError(
            f"evolve: t·‖L‖ = {float(norm[bad].max() * t_max):.3g} (largest time {t_max:.6g} times the generator's "
            f"rate scale {float(norm[bad].max()):.3g}) exceeds {T_NORM_MAX:.0e}, the limit of the stated accuracy"
        )
    with np.errstate(over="ignore"):
        ph = np.abs(dbar) * t_max
    if np.any(ph > PHASE_MAX):
        raise InvalidParameterError(f"evolve: |mean(Delta)|·t = {float(ph.max()):.3g} exceeds {PHASE_MAX:.0e}")


def evolve_system(system: System, initial, times, *, measures=None, store_states: bool = False,
                  chunk_points: int | None = None, backend="numpy") -> SystemEvolveResult:
    """Exact ρ(t) of an N-site :class:`System` from ``initial`` (see :mod:`magbell.system.states`).

    ``measures``: names from :data:`SYSTEM_MEASURES` (default: both); for N = 2 also the two-qubit measures
    of :data:`magbell.measures.MEASURES` (computed from ρ). Accuracy as :func:`magbell.evolve`: ρ to ~1e-13
    inside the domain ``t·‖𝓛'‖₁ ≤ 1e16``, ``|Δ̄|·t ≤ 1e200``; outside it a one-line InvalidParameterError.
    ``backend`` (:func:`magbell.backend.get_backend`, recorded in ``result.backend``): its ``propagate`` and
    ``is_uniform`` for the dense sector blocks (N ≤ DENSE_MAX_SITES), its ``expm`` for the Krylov steps above.
    """
    from ..solvers._evolve import validate_chunk_points, validate_times

    bk = get_backend(backend)  # validated first: a bad name is refused before any work

    if not isinstance(system, System):
        raise InvalidParameterError(f"system must be a magbell.System, got {type(system).__name__}")
    N = system.N
    t = validate_times(times)
    if measures is None:
        measures = SYSTEM_MEASURES
    if isinstance(measures, str):
        measures = (measures,)
    measures = tuple(measures)
    dense_fns = _dense_measures(measures, N)
    chunk_points = validate_chunk_points(chunk_points)
    if N > DENSE_MAX_SITES:
        from ..solvers._nsite_evolve import evolve_large

        return record_backend(evolve_large(system, initial, t, measures, store_states, dense_fns, KRYLOV_T_NORM_MAX,
                                           bk), bk)
    if isinstance(initial, (list, tuple)) and len(initial) == 0:
        raise InvalidStateError("initial is an empty list of states")
    rho0, several = system_density_matrices(initial, N)
    sc = sector_coordinates(N)
    blocks = sector_blocks(N)
    n = sc.n
    r0 = sc.real_coordinates(rho0)  # (S, n²)
    S = r0.shape[0]
    used = [q for q, idx in enumerate(sc.blocks) if np.any(r0[:, idx] != 0)]

    uniform = bk.is_uniform(t)
    order, inv, tt = None, None, t
    if not uniform:
        order = np.argsort(t, kind="stable")
        tt = t[order]
        uniform = bk.is_uniform(tt)
        inv = np.empty_like(order)
        inv[order] = np.arange(len(t))

    shape = system.shape
    P = system.size
    T = len(t)
    c = system.coefficients().reshape(P, len(coefficient_names(N)))
    empty = P == 0
    if empty:
        c = np.zeros((1, c.shape[-1]))
        P = 1
    dbar = c[:, :N].mean(axis=1)
    cp = c.copy()
    cp[:, :N] -= dbar[:, None]
    _check_domain(cp, dbar, N, float(t.max()))
    if chunk_points is None:
        chunk_points = max(1, _CHUNK_BYTES // max(1, S * T * n * n * 8))
    chunk_points = int(max(1, min(chunk_points, P)))

    bits = ((np.arange(n)[:, None] >> (N - 1 - np.arange(N))[None, :]) & 1).astype(float)  # (n, N): site i down
    want_rho = store_states or any(m not in SYSTEM_MEASURES for m in measures)
    res = {m: None for m in measures}
    states = np.empty((P, S, T, n, n), dtype=complex) if store_states else None
    sitepop = np.empty((P, S, T, N))
    purity = np.empty((P, S, T))
    stats: dict = {"dd_points": 0}
    trace0 = np.zeros(blocks[0].size)
    trace0[:n] = 1.0  # the populations are the |q| = 0 block's first n coordinates
    for start in range(0, P, chunk_points):
        stop = min(P, start + chunk_points)
        cc, db = cp[start:stop], dbar[start:stop]
        rb = {}
        for q in used:
            blk, idx = blocks[q], sc.blocks[q]
            L = blk.generator(cc)
            exact = lambda i, cc=cc, blk=blk: _dd_block(cc[i], blk)  # noqa: E731
            # |q| = 0: the one kernel projector of magbell.backend (trace functional ℓ = ones on the populations)
            b0 = trace0 if q == 0 else False
            _refuse_large_dd(L, float(tt.max()), b0)
            x = bk.propagate(L, r0[:, idx], tt, uniform=uniform, exact=exact, block0=b0, info=stats)
            if q:
                x = _rotate(x, sc.sign[idx], db, tt)
            rb[q] = x if inv is None else x[..., inv]
        x0 = rb[0]
        pops = x0[:, :, :n, :]
        sitepop[start:stop] = np.einsum("psbt,bi->psti", pops, bits)
        pur = (pops**2).sum(axis=2) + 2 * (x0[:, :, n:, :] ** 2).sum(axis=2)
        for q, x in rb.items():
            if q:
                pur = pur + 2 * (x**2).sum(axis=2)
        purity[start:stop] = pur
        if want_rho:
            r = np.zeros((stop - start, S, T, n * n))
            for q, x in rb.items():
                r[..., sc.blocks[q]] = np.moveaxis(x, 2, 3)
            rho = sc.density_matrix(r)
            if store_states:
                states[start:stop] = rho
            for m in measures:
                if m not in SYSTEM_MEASURES:
                    v = dense_fns[m](rho)
                    if res[m] is None:
                        res[m] = np.empty((P,) + v.shape[1:], dtype=v.dtype)
                    res[m][start:stop] = v

    def _shape(a):
        if empty:
            a = a[:0]
        a = a.reshape(shape + a.shape[1:])
        if not several:
            a = a.reshape(shape + a.shape[len(shape) + 1:])
        return a

    sitepop, purity = _shape(sitepop), _shape(purity)
    out = {m: (sitepop if m == "site_populations" else purity if m == "purity" else _shape(res[m])) for m in measures}
    info = {
        "method": "exact propagator exp(L t) on real |q| sector blocks (magbell.backend propagate); mean splitting as an exact rotation",
        "propagation": "uniform grid: powers of exp(L dt)" if uniform else "direct exp(L t) per time",
        "blocks": tuple(used),
        "block_sizes": tuple(blocks[q].size for q in used),
        "chunk_points": chunk_points,
        "dd_points": stats["dd_points"],
        "deflated_points": stats.get("deflated_points", 0),
        "dtype": "float64",
    }
    return record_backend(SystemEvolveResult(
        times=t,
        system=system,
        initial=rho0 if several else rho0[0],
        states=_shape(states) if store_states else None,
        site_populations=sitepop,  # always (issue 11 contract), whatever measures= asks for
        purity=purity if "purity" in measures else None,
        measures=out,
        info=info,
    ), bk)


def _dense_measures(measures: tuple, N: int) -> dict:
    """name → f(ρ (..., 2ᴺ, 2ᴺ)) for every requested measure that is not native (site populations, purity):
    for N = 2 the two-qubit measures, for any N the multipartite ones of magbell.measures (names of
    ``MULTIPARTITE_MEASURES``, ``"pair_reduced_states"``, parametrised names such as ``"negativity:1,2"``)."""
    from ..measures import _multipartite as mp

    out = {}
    for m in measures:
        if m in SYSTEM_MEASURES:
            continue
        if not isinstance(m, str):
            raise InvalidParameterError(f"measure names must be strings, got {m!r}")
        if N == 2 and m in _measures.MEASURES:
            out[m] = _measures.MEASURES[m]
        elif m == "pair_reduced_states":
            out[m] = lambda rho: mp.pair_reduced_states(rho, N)
        else:
            try:
                fn = mp.multipartite_measure(m)
            except (InvalidParameterError, KeyError, ValueError):
                known = SYSTEM_MEASURES + ("pair_reduced_states",) + tuple(mp.MULTIPARTITE_MEASURES) + (
                    tuple(_measures.MEASURES) if N == 2 else ())
                raise InvalidParameterError(
                    f"unknown measure {m!r} for an N = {N} System; known: {', '.join(dict.fromkeys(known))} "
                    "(and negativity:i,j,..., log_negativity:..., dicke_fidelity:k, gme_dicke_witness:k)"
                ) from None
            out[m] = lambda rho, fn=fn: fn(rho, N)
    return out


def pair_states(system: System, initial, times, pairs=None) -> np.ndarray:
    """Two-site reduced density matrices ρ_ij(t) from the excitation blocks, without a 2ᴺ state.

    ``pairs``: a list of 1-based site pairs ``[(i, j), ...]`` (i ≠ j; ρ_ij has site i as the left factor,
    basis uu, ud, du, dd) → shape (*system.shape, [n_initial,] n_times, n_pairs, 4, 4); ``None`` → every pair,
    (..., n_times, N, N, 4, 4) as :func:`magbell.measures.pair_reduced_states` (zero diagonal). For the pairwise
    concurrence matrix at large N use ``evolve(..., measures=["pair_concurrence"])``.
    """
    from ..solvers import _nsite_evolve as ne
    from ..solvers._evolve import validate_times

    if not isinstance(system, System):
        raise InvalidParameterError(f"system must be a magbell.System, got {type(system).__name__}")
    N = system.N
    t = validate_times(times)
    if pairs is None:
        return evolve_system(system, initial, t, measures=["pair_reduced_states"]).measures["pair_reduced_states"]
    try:
        plist = [(int(i), int(j)) for i, j in pairs]
    except (TypeError, ValueError):
        raise InvalidParameterError(f"pairs must be a list of (i, j) site pairs (1-based), got {pairs!r}") from None
    for i, j in plist:
        if not (1 <= i <= N and 1 <= j <= N and i != j):
            raise InvalidParameterError(f"pairs: ({i}, {j}) must be two different sites 1 <= i, j <= N = {N}")
    if not plist:
        raise InvalidParameterError("pairs is an empty list")
    lo = [(min(i, j) - 1, max(i, j) - 1) for i, j in plist]
    if N <= DENSE_MAX_SITES:
        from ..measures._multipartite import reduced_state

        rho = evolve_system(system, initial, t, store_states=True, measures=()).states
        return np.stack([reduced_state(rho, (i, j), N) for i, j in plist], axis=-3)
    r = ne.evolve_excitation(system, initial, t, measures=(), store_states=False, pairs=lo,
                             t_norm_max=KRYLOV_T_NORM_MAX)
    out = r["pairs"]  # (P, S, T, n_pairs, 4, 4), site min(i, j) left
    swap = np.array([i > j for i, j in plist])
    if np.any(swap):
        perm = [0, 2, 1, 3]
        out = np.where(swap[:, None, None], out[..., perm, :][..., :, perm], out)
    out = out.reshape(system.shape + out.shape[1:])
    if not r["several"]:
        out = out.reshape(system.shape + out.shape[len(system.shape) + 1:])
    return out
