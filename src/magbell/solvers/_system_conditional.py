"""Postselected (no-jump, excitation-monitored) evolution of an N-site System and its non-Hermitian spectrum.

Zou, Zhang & Tserkovnyak (PRB 106, L180406 (2022), Eqs. 11–13) write the master equation as
dρ/dt = −i(H_eff ρ − ρ H_eff†) + 2 Σ_k J_k ρ J_k† with H_eff = H − i Σ_k J_k†J_k; for the N-site System
Σ_k J_k†J_k = Σ_b Σ_ij h^b_ij O^b_j†O^b_i (O^+ = σ⁺, O^− = σ⁻, O^z = σᶻ; docs/system.md). Which jumps a
record excludes:

* σ⁺ jumps (h_plus) remove one excitation (one ↓ site), σ⁻ jumps (h_minus) add one: both change the total
  excitation number n (Σσᶻ = N − 2n); σᶻ jumps (h_z) do not.
* ``scheme="subspace"`` (the paper's protocol generalised: Σσᶻ monitored at an infinite rate, outcome
  n = ``excitations`` postselected). The first measurement projects ρ₀ onto the n-excitation sector
  (probability tr Π_n ρ₀, included in P); afterwards every σ± jump would change the outcome and is excluded,
  while σᶻ jumps are invisible and stay: dρ̃/dt = −i(H_eff,n ρ̃ − ρ̃ H_eff,n†) + 2 Σ_ij h^z_ij Z_i ρ̃ Z_j on
  the sector. Where the σᶻ jumps vanish on the sector (h_z = 0, or collective dephasing that is blind to
  it) this is the no-jump evolution of kets with H_eff,n.
* ``scheme="no-jump"`` (Eq. 13 literally, as the two-qubit default): no jump of any kind, on the full
  space; H_eff conserves n, so each sector is propagated on its own scale.

For N = 2 both equal the two-qubit :func:`magbell.postselect` (its "subspace" is n = 1). Numerics: the
two-qubit engine (:func:`magbell.solvers._postselect.march`: scaled Padé exponentials, power-of-two
renormalisation after every substep, integer exponents accumulated) per excitation sector, so log P(t) is
exact where P underflows; the mean splitting Δ̄ is a phase e^{−iΔ̄ n t} per sector, applied exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import comb

import numpy as np

from ..backend import record_backend
from ..errors import InvalidParameterError, InvalidStateError
from ..results import Result, TimeSeriesResult
from ._system_sectors import CHANNELS, MAX_DENSE_SITES, MAX_SECTOR, Point, block_vector, check_backend, check_system, closure, \
    combine_parts as _combine, factor as _factor, factor_or_zero as _factor_or_zero, measure_fns, mean_phase as _phase, \
    point_index, result_dims, sector_states, sector_weight, where

__all__ = ["system_postselect", "system_conditional_evolve", "system_postselect_spectrum",
           "SystemPostselectResult", "SystemNonHermitianSpectrum", "SCHEMES", "CHANNELS"]

SCHEMES = ("no-jump", "subspace")
_EPS = np.finfo(float).eps


@dataclass(frozen=True, eq=False, repr=False)
class SystemPostselectResult(TimeSeriesResult):
    """Result of ``magbell.postselect`` / ``conditional_evolve`` for an N-site System.

    Shapes as the two-qubit :class:`~magbell.conditional.PostselectResult`: ``(*system.shape, [n_initial,]
    n_times)`` for P(t), log P(t) and scalar measures; ``site_populations`` (..., n_times, N);
    ``states`` (if stored) (..., n_times, 2ᴺ, 2ᴺ), the normalised conditional states (NaN where P = 0).
    ``excitations``: the postselected excitation number (scheme "subspace"), else None.
    """

    times: np.ndarray
    system: object
    initial: np.ndarray
    scheme: str
    excitations: int | None
    measures: dict
    site_populations: np.ndarray | None
    success_probability: np.ndarray
    log_success_probability: np.ndarray
    states: np.ndarray | None
    info: dict = field(default_factory=dict)

    _HOW_TO_ASK = "postselect(..., measures=[...])"
    _ARRAYS = ("success_probability", "log_success_probability")
    _LONG_SUFFIX = ", postselected"

    @property
    def model(self):
        """The System (the two-qubit results' name for it)."""
        return self.system

    @property
    def method(self):
        return (self.info or {}).get("method", self.scheme)

    def _dims(self, name, arr):
        return result_dims(self, name, arr)


# ============================================================================== helpers
def _ps():
    """The two-qubit conditional engine (march, _time_plan, log_scaled): solvers/_march.py."""
    from . import _march

    return _march


def _initial_sector(rho0: np.ndarray, N: int, excitations):
    if excitations is not None:
        if isinstance(excitations, (bool, np.bool_)) or not isinstance(excitations, (int, np.integer)) \
                or not 0 <= excitations <= N:
            raise InvalidParameterError(f"excitations must be an integer 0 <= excitations <= N = {N}, got {excitations!r}")
        return int(excitations)
    w = np.array([np.real(np.trace(rho0[:, sector_states(N, n)][:, :, sector_states(N, n)], axis1=-2, axis2=-1))
                  for n in range(N + 1)])  # (N + 1, S)
    occ = np.flatnonzero(np.any(w > 1e-12, axis=1))
    if occ.size != 1:
        raise InvalidStateError(
            f"the initial state(s) have weight in several excitation sectors {occ.tolist()}; pass excitations=n "
            "(the number of ↓ sites to postselect on)"
        )
    return int(occ[0])


# ============================================================================== evolution engines
def _march_kets(pt: Point, W: np.ndarray, sectors, tt, steps, which):
    """Kets W (S, 2ᴺ, r) under −iH_eff per sector; returns X (S, 2ᴺ, r, T) and exponents (S, T) or None."""
    ps = _ps()
    N = pt.N
    S, n2, r = W.shape
    T = len(tt)
    parts = []
    gmin = np.inf
    for n in sectors:
        In = sector_states(N, n)
        if not np.any(W[:, In]):
            continue
        gmin = min(gmin, max(-2 * float(pt.bk.eigvals(pt.heff(n)).imag.max()), 0.0))
        G = (-1j * pt.heff(n))[None]
        X, L = ps.march(G, W[None][:, :, In, :], steps, which, bk=pt.bk)
        X, L = X[0], (None if L is None else L[0])
        if n and pt.dbar:
            c, s = _phase(pt.dbar, tt, -n)
            X = X * (c + 1j * s)
        parts.append((In, X, L))
    if not parts:
        return np.zeros((S, n2, r, T), dtype=complex), None, np.inf
    comb_, LS = _combine(parts, T, S)
    out = np.zeros((S, n2, r, T), dtype=complex)
    for In, X in comb_:
        out[:, In] = X
    return out, LS, gmin


def _march_density(pt: Point, rho0: np.ndarray, blocks_by_q: dict, allow: set, tt, steps, which):
    """ρ̃ under the conditional generator (jump feeds only of the ``allow`` channels) on the given blocks."""
    ps = _ps()
    N = pt.N
    S = rho0.shape[0]
    T = len(tt)
    parts = []
    gmin = np.inf
    for q, bq in blocks_by_q.items():
        G, off = pt.generator(bq, allow=allow)
        if q == 0:  # P = tr ρ̃ lives in q = 0: its slowest decay
            gmin = max(-float(pt.bk.eigvals(G).real.max()), 0.0)
        x = block_vector(rho0, N, bq)
        if not np.any(x):
            continue
        X, L = ps.march(G[None], x[None, :, :, None], steps, which, bk=pt.bk)
        X, L = X[0, :, :, 0], (None if L is None else L[0])  # (S, D, T)
        if q and pt.dbar:
            c, s = _phase(pt.dbar, tt, -q)
            X = X * (c + 1j * s)
        parts.append(((q, bq, off), X, L))
    if not parts:  # no weight on the blocks (a sector the state does not occupy): P = 0, as the ket march
        return np.zeros((S, T, 2**N, 2**N), dtype=complex), None, gmin
    comb_, LS = _combine(parts, T, S)
    rho = np.zeros((S, T, 2**N, 2**N), dtype=complex)
    for (q, bq, off), X in comb_:
        for k, (n, m) in enumerate(bq):
            In, Im = sector_states(N, n), sector_states(N, m)
            blk = np.moveaxis(X[:, off[k]:off[k + 1]], -1, 1).reshape(S, T, len(In), len(Im))
            rho[:, :, In[:, None], Im[None, :]] = blk
            if q:
                rho[:, :, Im[:, None], In[None, :]] = np.conj(np.swapaxes(blk, -1, -2))
    return rho, LS, gmin


def _finish(rho_un, LS, ps):
    """Normalised states, P and log P from unnormalised states (S, T, n, n) and exponents (S, T) (of ρ)."""
    tr = np.real(np.trace(rho_un, axis1=-2, axis2=-1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        P, logP = ps.log_scaled(np.maximum(tr, 0.0), LS)
        valid = tr > 0
        rho = rho_un / np.where(valid, tr, 1.0)[..., None, None]
    rho = np.where(valid[..., None, None], (rho + np.conj(np.swapaxes(rho, -1, -2))) / 2, np.nan)
    return rho, np.where(valid, P, 0.0), np.where(valid, logP, -np.inf)


def _run(system, initial, times, what, measures, store_states, point_fn, p0_fn=None, bk=None):
    """Shared driver: validation, the per-point loop, measures and the result's shapes. ``bk``: the backend of
    every point's kernels (``pt.bk``: the scaled propagator, eigvals, eigh; default NumPy).

    At t = 0 nothing has evolved: P(0) is the weight of the initial state that the postselection keeps,
    ``p0_fn(rho0)`` (S,) (default 1: every scheme but a projection keeps it all), set exactly (log P(0) = 0,
    not the rounding of the reconstructed trace, e.g. 2.2e-16); the states and the other times are unchanged."""
    from ..system.states import system_density_matrices
    from ._evolve import validate_times

    check_system(system, what)
    ps = _ps()
    t = validate_times(times)
    if not isinstance(store_states, (bool, np.bool_)):
        raise InvalidParameterError(f"store_states must be True or False, got {store_states!r}")
    N = system.N
    fns = measure_fns(measures, N)
    rho0, several = system_density_matrices(initial, N)
    tt, steps, which, inverse = ps._time_plan(t)
    P_all, S, T = system.size, rho0.shape[0], len(tt)
    from ..measures._multipartite import site_populations

    fns = dict(fns, _site_populations=lambda r: site_populations(r, N))
    rho = np.zeros((P_all, S, T, 2**N, 2**N), dtype=complex) if store_states else None
    Pr = np.zeros((P_all, S, T))
    logP = np.zeros((P_all, S, T))
    vals = {}
    info = {}
    for p in range(P_all):  # measures point by point: only the stored states hold every 2ᴺ × 2ᴺ matrix
        pt = Point(system, point_index(system, p), bk=bk)
        _check_domain(pt, float(t.max()), what, where(system, p))
        rho_un, LS, info, gmin = point_fn(pt, rho0, tt, steps, which)
        rp, Pr[p], logP[p] = _finish(rho_un, LS, ps)
        _check_floor(logP[p], gmin, tt, pt.s_H + pt.s_D, what, where(system, p))
        bad = np.isnan(rp[..., 0, 0])
        safe = np.where(bad[..., None, None], 0.0, rp)
        with np.errstate(invalid="ignore", divide="ignore"):
            for m, f in fns.items():
                v = np.asarray(f(safe))
                v = np.where(bad.reshape(bad.shape + (1,) * (v.ndim - bad.ndim)), np.nan, v)
                if m not in vals:
                    vals[m] = np.zeros((P_all,) + v.shape, dtype=v.dtype)
                vals[m][p] = v
        if store_states:
            rho[p] = rp
    zero = tt == 0
    if P_all and np.any(zero):
        p0 = np.ones(S) if p0_fn is None else np.asarray(p0_fn(rho0), dtype=float)
        with np.errstate(divide="ignore"):
            Pr[:, :, zero], logP[:, :, zero] = p0[None, :, None], np.log(p0)[None, :, None]
    shape = system.shape

    def fix(a):
        a = a[:, :, inverse]
        a = a.reshape(shape + a.shape[1:])
        return a if several else a.reshape(shape + a.shape[len(shape) + 1:])

    if P_all == 0:  # an empty batch: the measures' trailing shapes from one zero state
        z = np.zeros((0, S, T, 2**N, 2**N))
        vals = {m: np.zeros((0,) + np.shape(f(np.eye(2**N)[None, None] * np.ones((S, T, 1, 1)) / 2**N)))
                for m, f in fns.items()}
        rho = z if store_states else None
    vals = {m: fix(v) for m, v in vals.items()}
    sp = vals.pop("_site_populations")
    return dict(times=t, system=system, initial=rho0 if several else rho0[0], measures=vals, site_populations=sp,
                success_probability=fix(Pr), log_success_probability=fix(logP),
                states=fix(rho) if store_states else None, info=info)


from ._march import check_floor as _check_floor  # noqa: E402  (shared with the two-qubit solvers)


def _check_domain(pt: Point, t_max: float, what: str, where: str) -> None:
    """Rates × time and Δ̄·t as the two-qubit solvers' domain (docs/numerics.md)."""
    from .._domain import PHASE_MAX, RATE_MAX, T_NORM_MAX

    top = max(float(np.max(np.abs(v))) for v in pt.g.values())
    if max(top, abs(pt.dbar)) > RATE_MAX:
        raise InvalidParameterError(f"{what}: a rate or coupling exceeds {RATE_MAX:.0e}{where}; rescale the unit of time")
    span = (pt.s_H + pt.s_D) * t_max
    if span > T_NORM_MAX:
        raise InvalidParameterError(
            f"{what}: t·‖L‖ = {span:.3g} exceeds {T_NORM_MAX:.0e}, the limit of the stated accuracy{where}"
        )
    if abs(pt.dbar) * t_max > PHASE_MAX:
        raise InvalidParameterError(f"{what}: |mean Delta|·t = {abs(pt.dbar) * t_max:.3g} exceeds {PHASE_MAX:.0e}{where}")


# ============================================================================== public functions
def system_postselect(system, initial, times, *, scheme="no-jump", excitations=None, measures=None,
                      store_states=False, chunk_points=None, backend="numpy") -> SystemPostselectResult:
    """Normalised postselected evolution of an N-site System and its success probability P(t) (module docstring).

    ``scheme="no-jump"``: no jump of any kind (Eq. 13 on the full space). ``scheme="subspace"``: Σσᶻ
    monitored, the outcome ``excitations`` postselected (default: the initial state's excitation number,
    which must then be definite); σᶻ (h_z) jumps stay. ``log_success_probability`` is exact where P underflows.
    ``backend`` (:func:`magbell.backend.get_backend`, recorded in ``result.backend``): its scaled ``propagate``
    marches every sector, ``eigvals`` gives the decay floor, ``eigh`` factors a mixed ρ₀ into kets.
    """
    if scheme not in SCHEMES:
        raise InvalidParameterError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    _check_chunk(chunk_points)
    bk = check_backend(backend, "postselect")
    from ..system._model import Model

    if isinstance(system, Model):
        raise InvalidParameterError(
            "excitations applies to an N-site System (the two-qubit scheme='subspace' postselects one excitation); "
            "use model.system() for another excitation number" if excitations is not None else
            "postselect: this is the N-site path; a two-qubit Model goes through magbell.postselect"
        )
    if scheme == "no-jump" and excitations is not None:  # was ignored silently: P is that of no jump at all
        raise InvalidParameterError(
            f"excitations applies to scheme='subspace' (the excitation number postselected); scheme='no-jump' "
            f"postselects on no jump at all, got excitations={excitations!r}"
        )
    state = {}

    def point(pt, rho0, tt, steps, which):
        N = pt.N
        if scheme == "no-jump":
            W = _factor(rho0, pt.bk)
            X, LS, gmin = _march_kets(pt, W, range(N + 1), tt, steps, which)
            info = {"method": "scaled Padé exponentials of −iH_eff per excitation sector (kets), renormalised; "
                              "log P accumulated"}
        else:
            k = state.setdefault("k", _initial_sector(rho0, N, excitations))
            Ik = sector_states(N, k)
            z = pt.spins(k)
            hz = pt.g["h_z"]
            reentry = np.einsum("ia,ij,jb->ab", z, hz, z) if np.any(hz) else np.zeros((len(Ik), len(Ik)))
            proj = np.zeros_like(rho0)
            proj[:, Ik[:, None], Ik[None, :]] = rho0[:, Ik[:, None], Ik[None, :]]
            if not np.any(reentry):  # σᶻ jumps vanish on the sector: kets under H_eff,k
                X, LS, gmin = _march_kets(pt, _factor_or_zero(proj, pt.bk), [k], tt, steps, which)
                info = {"method": f"kets under −iH_eff on the {k}-excitation sector (σᶻ jumps vanish there)"}
            else:
                if len(Ik) ** 2 > MAX_SECTOR:
                    raise InvalidParameterError(
                        f"postselect: σᶻ dephasing on the {k}-excitation sector of N = {N} needs a density matrix of "
                        f"{len(Ik) ** 2} > {MAX_SECTOR} complex coordinates; not supported"
                    )
                rho, LS, gmin = _march_density(pt, proj, {0: [(k, k)]}, {"h_z"}, tt, steps, which)
                return rho, LS, {"method": f"conditional density matrix on the {k}-excitation sector (σᶻ jumps kept)",
                                 "excitations": k}, gmin
            info["excitations"] = k
        rho = np.einsum("sarT,sbrT->sTab", X, X.conj())
        return rho, (None if LS is None else 2 * LS), info, gmin

    def p0(rho0):  # the weight in the postselected sector: exactly 1 when nothing lies outside it
        return np.ones(rho0.shape[0]) if scheme == "no-jump" else sector_weight(rho0, system.N, state["k"])

    out = _run(system, initial, times, "postselect", measures, store_states, point, p0, bk=bk)
    return record_backend(SystemPostselectResult(scheme=scheme, excitations=state.get("k"), **out), bk)


def _check_chunk(chunk_points):
    """``chunk_points`` as the two-qubit postselect's (validated; the N-site loop runs point by point anyway)."""
    if chunk_points is not None and (isinstance(chunk_points, (bool, np.bool_))
                                     or not isinstance(chunk_points, (int, np.integer)) or chunk_points < 1):
        raise InvalidParameterError(f"chunk_points must be None or a positive integer, got {chunk_points!r}")


def _channels(forbid) -> set:
    if isinstance(forbid, str):
        forbid = list(CHANNELS) if forbid == "all" else [f.strip() for f in forbid.split(",") if f.strip()]
    try:
        forbid = list(forbid)
    except TypeError:
        raise InvalidParameterError(f"forbid must be 'all' or a list of {', '.join(CHANNELS)}, got {forbid!r}") from None
    for f in forbid:
        if f not in CHANNELS:
            raise InvalidParameterError(f"forbid must be 'all' or a list of {', '.join(CHANNELS)}, got {f!r}")
    return set(forbid)


def system_conditional_evolve(system, initial, times, *, forbid="all", measures=None,
                              store_states=False, backend="numpy") -> SystemPostselectResult:
    """Evolution postselected on "no jump in the channels ``forbid``" (h_plus, h_minus, h_z: every jump of that
    block): dρ̃/dt = −i(H_eff ρ̃ − ρ̃ H_eff†) + 2 Σ_{allowed} J ρ̃ J†, ρ = ρ̃/tr ρ̃, P = tr ρ̃. ``forbid="all"`` is
    scheme "no-jump", ``forbid=[]`` the unconditional Lindblad evolution (P = 1). Dense per sector on the
    excitation blocks the initial state reaches (each sector ≤ MAX_SECTOR complex coordinates). ``backend``: as
    :func:`system_postselect` (its scaled ``propagate`` and ``eigvals``), recorded in ``result.backend``."""
    fb = _channels(forbid)
    allow = set(CHANNELS) - fb
    bk = check_backend(backend, "conditional_evolve")

    def point(pt, rho0, tt, steps, which):
        N = pt.N
        occ = [(n, m) for n in range(N + 1) for m in range(n + 1)
               if np.any(rho0[:, sector_states(N, n)][:, :, sector_states(N, m)])]
        hp = "h_plus" in allow and bool(np.any(pt.g["h_plus"]))
        hm = "h_minus" in allow and bool(np.any(pt.g["h_minus"]))
        by_q = {}
        for q in sorted({n - m for n, m in occ}):
            bq = closure(N, [b for b in occ if b[0] - b[1] == q], hp, hm)
            size = sum(comb(N, n) * comb(N, m) for n, m in bq)
            if size > MAX_SECTOR:
                raise InvalidParameterError(
                    f"conditional_evolve: sector q = {q} of N = {N} reaches {size} > {MAX_SECTOR} complex coordinates"
                )
            by_q[q] = bq
        rho, LS, gmin = _march_density(pt, rho0, by_q, allow, tt, steps, which)
        return rho, LS, {"method": "scaled Padé exponentials of the conditional generator per excitation sector",
                         "forbid": sorted(fb)}, gmin

    out = _run(system, initial, times, "conditional_evolve", measures, store_states, point, bk=bk)
    scheme = "forbid:" + (",".join(sorted(fb)) if fb else "none")
    return record_backend(SystemPostselectResult(scheme=scheme, excitations=None, **out), bk)


# ============================================================================== non-Hermitian spectrum
@dataclass(frozen=True, eq=False, repr=False)
class SystemNonHermitianSpectrum(Result):
    """Spectrum of H_eff per excitation sector n (dicts keyed by n, arrays (*shape, C(N, n)[, 2ᴺ])).

    eigenvalues : sorted by decreasing Im (the slowest-decaying mode first; Δ̄ included in Re).
    eigenkets : right eigenkets (unit norm, embedded in 2ᴺ). condition_numbers : κ_i = 1/|y_iᴴx_i|.
    exceptional : True for eigenvalues in a defective cluster (an exceptional point, see
        :func:`system_postselect_spectrum`); exceptional_point[n] : (*shape) any.
    leak_rate : −2 max Im E (the asymptotic decay rate of P(t) in that sector); growth_rate : 2 × the gap
        of Im E to the next mode (rate at which the postselected state approaches the slowest mode).
    """

    sectors: tuple
    eigenvalues: dict
    eigenkets: dict
    condition_numbers: dict
    exceptional: dict
    exceptional_point: dict
    leak_rate: dict
    growth_rate: dict
    info: dict = field(default_factory=dict)

    _METHOD = "eigendecomposition of H_eff per excitation sector"


#: eigenvalues within this many first-order rounding bounds κ·eps·‖H_eff‖ of each other form a cluster
EP_CLUSTER_FACTOR = 64.0
#: a cluster is defective (an exceptional point) when the smallest singular value of its unit eigenvectors is below this
EP_PARALLEL = 1e-2


def system_postselect_spectrum(system, *, excitations=None, rtol=1e-12, backend="numpy") -> SystemNonHermitianSpectrum:
    """Eigenvalues, eigenkets and exceptional points of H_eff = H − i Σ J†J per excitation sector (all sectors, or
    the ``excitations`` given as an int or a list).

    Exceptional points are detected with the eigenvalues' conditioning, not a gap threshold: eigenvalues i, j
    whose distance is within EP_CLUSTER_FACTOR·(κ_i + κ_j)·eps·‖H_eff,n‖₁ (the first-order rounding of
    each, κ = 1/|y†x| its condition number) cannot be told apart; such a cluster is an exceptional point only if
    its unit eigenvectors are (nearly) parallel (σ_min < EP_PARALLEL), else a semisimple degeneracy (e.g.
    symmetric sites, several dark states). At an order-k EP the computed eigenvalues split by ~eps^(1/k)
    with κ ~ eps^(1/k − 1), which the test recognises; a near-EP at distance ≫ sqrt(eps) is resolved.
    ``rtol`` is the two-qubit PT classification's tolerance and has no meaning here: only its default is accepted.
    ``backend`` (recorded in ``result.backend``): its ``eig(H, left=True)`` and ``svd`` (the clusters' σ_min).
    """
    bk = check_backend(backend, "postselect_spectrum")
    check_system(system, "postselect_spectrum")
    if isinstance(rtol, (bool, np.bool_)) or rtol != 1e-12:
        raise InvalidParameterError(
            "rtol applies to the two-qubit PT classification only (N-site exceptional points are detected from the "
            f"eigenvalues' conditioning); leave it at its default, got {rtol!r}"
        )
    N = system.N
    if excitations is None:
        secs = tuple(range(N + 1))
    else:
        ex = [excitations] if isinstance(excitations, (int, np.integer)) and not isinstance(excitations, bool) else excitations
        try:
            secs = tuple(sorted({int(e) for e in ex if not isinstance(e, (bool, np.bool_)) and 0 <= int(e) <= N
                                 and int(e) == e}))
            ok = len(secs) == len(list(ex))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise InvalidParameterError(f"excitations must be integers 0 <= n <= N = {N}, got {excitations!r}")
    if N > MAX_DENSE_SITES:  # before the (P, C(N, n), 2ᴺ) eigenket arrays (N = 200 asked for 38 GiB, then 2²⁰⁰)
        raise InvalidParameterError(
            f"postselect_spectrum returns eigenkets embedded in 2ᴺ and needs N <= {MAX_DENSE_SITES}, got N = {N} "
            "(the one-excitation modes of larger N: magbell.system.one_excitation_hamiltonian)"
        )
    P = system.size
    shape = system.shape
    ev = {n: np.zeros((P, comb(N, n)), dtype=complex) for n in secs}
    kets = {n: np.zeros((P, comb(N, n), 2**N), dtype=complex) for n in secs}
    cond = {n: np.zeros((P, comb(N, n))) for n in secs}
    exc = {n: np.zeros((P, comb(N, n)), dtype=bool) for n in secs}
    for p in range(P):
        pt = Point(system, np.unravel_index(p, shape) if shape else (), bk=bk)
        for n in secs:
            H = pt.heff(n)
            w, VL, VR = bk.eig(H, left=True)
            VR = VR / np.linalg.norm(VR, axis=0)
            VL = VL / np.linalg.norm(VL, axis=0)
            with np.errstate(divide="ignore"):
                kap = 1.0 / np.abs(np.sum(VL.conj() * VR, axis=0))
            order = np.argsort(-w.imag, kind="stable")
            w, VR, kap = w[order], VR[:, order], kap[order]
            scale = np.abs(H).sum(axis=0).max() if H.size else 0.0
            bound = EP_CLUSTER_FACTOR * _EPS * scale * np.minimum(kap, 1e300)
            close = np.abs(w[:, None] - w[None, :]) <= bound[:, None] + bound[None, :]
            flag = np.zeros(len(w), dtype=bool)
            seen = np.zeros(len(w), dtype=bool)
            for i in range(len(w)):
                if seen[i]:
                    continue
                cl = np.flatnonzero(close[i])
                seen[cl] = True
                if cl.size >= 2 and bk.svd(VR[:, cl], compute_uv=False)[-1] < EP_PARALLEL:
                    flag[cl] = True
            ev[n][p] = w + pt.dbar * (n - N / 2)
            kets[n][p][:, sector_states(N, n)] = VR.T
            cond[n][p], exc[n][p] = kap, flag
    leak, grow = {}, {}
    for n in secs:
        im = ev[n].imag
        leak[n] = (-2 * im[:, 0]).reshape(shape)
        grow[n] = (2 * (im[:, 0] - im[:, 1]) if im.shape[1] > 1 else np.full(P, np.inf)).reshape(shape)
    return record_backend(SystemNonHermitianSpectrum(
        sectors=secs,
        eigenvalues={n: v.reshape(shape + v.shape[1:]) for n, v in ev.items()},
        eigenkets={n: v.reshape(shape + v.shape[1:]) for n, v in kets.items()},
        condition_numbers={n: v.reshape(shape + v.shape[1:]) for n, v in cond.items()},
        exceptional={n: v.reshape(shape + v.shape[1:]) for n, v in exc.items()},
        exceptional_point={n: v.any(axis=1).reshape(shape) for n, v in exc.items()},
        leak_rate=leak,
        growth_rate=grow,
        info={"cluster_factor": EP_CLUSTER_FACTOR, "parallel": EP_PARALLEL},
    ), bk)
