"""Steady states, dark manifolds, conserved quantities and the Liouvillian spectrum of an N-site System.

The generator of :class:`magbell.System` (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022), Eqs. 2–4 and S38
for N sites) conserves q = n − m, the difference of the excitation numbers (↓ sites) of ket and bra; each
sector is a chain of blocks X_{n,m} coupled only by the σ± jumps (:mod:`magbell.solvers._system_sectors`).

Stationary state: ρ_∞ = 𝒫₀ρ₀, 𝒫₀ the spectral projector onto ker 𝓛 along range 𝓛, from the right and left
null vectors of a row-equilibrated SVD (as the two-qubit :func:`magbell.steady_state`, docs/numerics.md),
ranks decided at ``tol`` times the *dissipator's* scale and the mean splitting Δ̄ removed exactly (it is the
scalar −iqΔ̄ on sector q). 𝒫₀ is applied on the blocks the initial state reaches: an invariant subspace,
on which the restriction has the same limit (at zero temperature from k excitations: the blocks n, m ≤ k).

Counting ker 𝓛 (``n_stationary``): 0 is a semisimple eigenvalue of a Lindbladian, so where the chains are
triangular (h_plus = 0 or h_minus = 0) dim ker 𝓛_q is the sum over the diagonal blocks, and without σᶻ
jumps each diagonal block is the Kronecker sum of −iH_eff,n and its conjugate, whose zeros are the pairs
of dark kets of equal energy (Im E = −⟨ψ|K|ψ⟩ vanishes only on dark kets): the N-site dark manifold
decides everything, however large N (≤ 8). Otherwise the sector is factorised whole (≤ MAX_SECTOR complex
coordinates: N ≤ 6). A unique q = 0 kernel excludes stationary coherences and undamped oscillations
(Evans: the Jordan parts of a stationary Hermitian operator are stationary), so sectors q ≠ 0 are only
examined where the q = 0 kernel is degenerate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import comb

import numpy as np

from ..backend import record_backend
from ..errors import InvalidParameterError, NonUniqueSteadyStateError
from ..results import Result
from ._system_sectors import (
    DEFAULT_TOL,
    MAX_DENSE_SITES,
    MAX_SECTOR,
    Point,
    check_backend,
    check_point,
    check_system,
    check_tol,
    closure,
    dark_pair_frequencies,
    kernel_projector,
    measure_fns,
    occupied,
    point_index,
    result_dims,
    sector_blocks,
    sector_states,
    where,
)

__all__ = ["system_steady_state", "system_spectrum", "system_dark_states", "system_conserved_quantities",
           "SystemSteadyStateResult", "SystemSpectrum"]

_EPS = np.finfo(float).eps


def _too_big(what, size, label, where_):
    return InvalidParameterError(
        f"{what}: {label} has {size} complex coordinates, more than the {MAX_SECTOR} factorised densely{where_} "
        "(finite temperature: N ≤ 6; zero temperature: fewer excitations)"
    )


def _shifted(pt, G, q):
    return G - 1j * q * pt.dbar * np.eye(G.shape[0])


def _far(pt, G, q, tol_abs):
    """|qΔ̄| beyond the spectrum of the sector without Δ̄: no kernel, no undamped mode there."""
    return abs(q * pt.dbar) > 2 * (np.abs(G).sum(axis=0).max() + tol_abs)


def kernel_dims(pt: Point, tol_abs: float, what: str, where_: str, full: bool = False):
    """{q: dim ker 𝓛_q} for q = 0 … N, the full-sector projectors computed {q: (blocks, off, P, G)}, and the
    undamped frequencies {q: array, or None where not known without a decomposition}. ``full``: projectors
    of whole sectors for every q with a kernel (conserved quantities)."""
    N = pt.N
    nz = not np.any(pt.g["h_z"])
    dims, projs, freqs = {}, {}, {}
    for q in range(pt.kmax + 1):
        if q and dims[0] < 2:
            dims[q], freqs[q] = 0, np.zeros(0)
            continue
        if pt.triangular and nz and not full:
            dims[q], freqs[q] = dark_pair_frequencies(pt, q, tol_abs)
            continue
        if pt.triangular and not full:
            k = 0
            for b in sector_blocks(N, q, pt.kmax):
                size = comb(N, b[0]) * comb(N, b[1])
                if size > MAX_SECTOR:
                    raise _too_big(what, size, f"the diagonal block {b} of sector q = {q}", where_)
                G, _ = pt.generator([b])
                if not _far(pt, G, q, tol_abs):
                    k += kernel_projector(_shifted(pt, G, q), tol_abs, pt.bk)[1]
            dims[q], freqs[q] = k, None
            continue
        bq = sector_blocks(N, q, pt.kmax)
        size = sum(comb(N, n) * comb(N, m) for n, m in bq)
        if size > MAX_SECTOR:
            raise _too_big(what, size, f"sector q = {q} of N = {N} sites", where_)
        G, off = pt.generator(bq)
        P, k = (np.zeros_like(G), 0) if _far(pt, G, q, tol_abs) else kernel_projector(_shifted(pt, G, q), tol_abs, pt.bk)
        dims[q], freqs[q] = k, None
        projs[q] = (bq, off, P, G)
    return dims, projs, freqs


def _solve_point(pt: Point, rho0, tol, what, where_):
    """(rho (S, 2ᴺ, 2ᴺ) or None, n_stationary, converges (S,)) at one point (dense states, N ≤ 8)."""
    N = pt.N
    inits = None if rho0 is None else [
        {(n, m): r[np.ix_(sector_states(N, n), sector_states(N, m))] for n, m in occupied(r[None], N)} for r in rho0]
    outs, n_stat, conv = _solve_blocks(pt, inits, tol, what, where_)
    if rho0 is None:
        return None, n_stat, None
    rho = np.zeros(rho0.shape, dtype=complex)
    for s, out in enumerate(outs):
        for (n, m), blk in out.items():
            In, Im = sector_states(N, n), sector_states(N, m)
            rho[s, In[:, None], Im[None, :]] = blk
            if n != m:
                rho[s, Im[:, None], In[None, :]] = blk.conj().T
    return (rho + np.conj(np.swapaxes(rho, -1, -2))) / 2, n_stat, conv


def _solve_blocks(pt, inits, tol, what, where_):
    """Stationary blocks {(n, m): X, n ≥ m} of the initial blocks ``inits`` (a list, or None), dim ker 𝓛 over the
    sectors ≤ pt.kmax, and converges (S,)."""
    N = pt.N
    tol_abs = tol * pt.s_D
    dims, projs, freqs = kernel_dims(pt, tol_abs, what, where_)
    n_stat = dims[0] + 2 * sum(v for q, v in dims.items() if q)
    if inits is None:
        return None, n_stat, None
    S = len(inits)
    outs = [{} for _ in range(S)]
    conv = np.ones(S, dtype=bool)
    hp, hm = bool(np.any(pt.g["h_plus"])), bool(np.any(pt.g["h_minus"]))
    occ = {b for init in inits for b, X in init.items() if np.any(X != 0)}
    for q in sorted({n - m for n, m in occ}):
        if q and n_stat == 1:
            continue  # a unique stationary state: no stationary coherence, no undamped mode
        bq = closure(N, sorted(b for b in occ if b[0] - b[1] == q), hp, hm)
        if q in projs and projs[q][0] == bq:
            _, off, P, G = projs[q]
        else:
            size = sum(comb(N, n) * comb(N, m) for n, m in bq)
            if size > MAX_SECTOR:
                raise _too_big(what, size, f"the part of sector q = {q} the initial state reaches", where_)
            G, off = pt.generator(bq)
            P = kernel_projector(_shifted(pt, G, q), tol_abs, pt.bk)[0] if dims.get(q) else np.zeros_like(G)
        x = np.zeros((S, off[-1]), dtype=complex)
        for s, init in enumerate(inits):
            for k, b in enumerate(bq):
                if b in init:
                    x[s, off[k]:off[k + 1]] = np.asarray(init[b]).reshape(-1)
        y = x @ P.T
        if q == 0:
            y = _refine_extreme_populations(G, off, bq, N, y)
        for k, (n, m) in enumerate(bq):
            for s in range(S):
                outs[s][(n, m)] = y[s, off[k]:off[k + 1]].reshape(comb(N, n), comb(N, m))
        if n_stat >= 2:
            conv &= _no_undamped(pt, G, q, x, freqs.get(q), tol_abs)
    return outs, n_stat, conv


def _refine_extreme_populations(G, off, bq, N, y):
    """The populations of |↑…↑> and |↓…↓> (the one-dimensional sectors n = 0 and n = N) to relative accuracy, as the
    two-site solver does (``_steady_rates._refine_outer_populations``): their rows hold no Hamiltonian term, so
    for a kernel vector p_i = Σ_{j≠i} G_ij y_j / (−G_ii), inflow over outflow. The projection leaves them an
    absolute error ~eps: at low temperature p_↓…↓ ~ (ã/a)^N came out negative (−1.4e-16 at ã/a = 1e-60 for
    N = 2) and the pair concurrence 1.1e-8 low at ã/a = 1e-9 (s4_findings HC-1). Applied where the population is
    below 1e-3 of the trace and the outflow is positive; a negative inflow is rounding and gives 0."""
    pops = [off[k] + i * (comb(N, n) + 1) for k, (n, m) in enumerate(bq) if n == m for i in range(comb(N, n))]
    tr = np.abs(y[:, pops].real.sum(axis=1))
    for k, (n, m) in enumerate(bq):
        if n != m or n not in (0, N):
            continue
        i = off[k]
        out = -G[i, i].real
        if not out > 0:
            continue
        inflow = (y @ G[i].T - G[i, i] * y[:, i]).real  # Σ_{j≠i} G_ij y_j
        use = np.abs(y[:, i]) < 1e-3 * tr
        y = y.copy()
        y[:, i] = np.where(use, np.maximum(inflow / out, 0.0), y[:, i])
    return y


def _no_undamped(pt, G, q, x, freqs, tol_abs):
    """False for initial coordinates x (S, D) with weight on an undamped (purely imaginary, nonzero) mode of
    the shifted generator G − iqΔ̄ (their spectral projectors from the same SVD kernel construction)."""
    Gs = _shifted(pt, G, q)
    if freqs is None:
        ev = pt.bk.eigvals(Gs)
        lam = ev[(np.abs(ev.real) < tol_abs) & (np.abs(ev) >= tol_abs)]
    else:
        lam = -1j * np.asarray(freqs, dtype=float)
    ok = np.ones(x.shape[0], dtype=bool)
    done = []
    for lm in lam:
        if any(abs(lm - d) <= tol_abs for d in done):
            continue
        done.append(lm)
        Pw, k = kernel_projector(Gs - lm * np.eye(Gs.shape[0]), tol_abs, pt.bk)
        if k:
            ok &= ~(np.abs(x @ Pw.T).sum(axis=1) > 1e-9 * (1 + np.abs(x).sum(axis=1)))
    return ok


def _not_states_raise(what, w):
    raise InvalidParameterError(
        f"{what}: the kernel projector does not map the initial state to a state{w} (slow modes within the kernel "
        "tolerance); the result would not be accurate"
    )


def _not_states(rho, rho0) -> np.ndarray:
    tr0 = np.real(np.trace(rho0, axis1=-2, axis2=-1))
    tr = np.real(np.trace(rho, axis1=-2, axis2=-1))
    lam = np.linalg.eigvalsh(rho)[..., 0]
    return (np.abs(tr - tr0) > 1e-8) | (lam < -1e-8)


# ============================================================================== steady states
@dataclass(frozen=True, eq=False, repr=False)
class SystemSteadyStateResult(Result):
    """Result of ``magbell.steady_state(system, initial)`` for an N-site System.

    rho : (*shape, [n_initial,] 2ᴺ, 2ᴺ) the t→∞ state (time-averaged where ``converges`` is False); None for
        N > 8 (zero temperature, excitation blocks: :mod:`magbell.solvers._system_steady_blocks`).
    site_populations : (*shape, [n_initial,] N) probability that site i is ↓ in ``rho``.
    unique, n_stationary : per System point: dim ker 𝓛 (over every sector where all blocks fit
        :data:`MAX_SECTOR`; else over the blocks the initial state reaches, ``info["kernel_scope"]``).
    converges : False where purely imaginary eigenvalues populated by ρ₀ make ρ(t) oscillate forever.
    measures : the requested measures of ``rho``.
    dark_states(index), conserved_quantities(index) : as for the two-qubit result.
    """

    rho: np.ndarray
    site_populations: np.ndarray
    unique: np.ndarray
    n_stationary: np.ndarray
    converges: np.ndarray
    measures: dict
    system: object
    initial: np.ndarray | None
    info: dict = field(default_factory=dict)

    _HOW_TO_ASK = "steady_state(..., measures=[...])"
    _ARRAYS = ("site_populations", "unique", "n_stationary", "converges")

    @property
    def model(self):
        """The System (the two-qubit results' name for it)."""
        return self.system

    def _dims(self, name, arr):
        return result_dims(self, name, arr)

    def dark_states(self, index=()) -> np.ndarray:
        return system_dark_states(self.system[index] if self.system.shape else self.system)

    def conserved_quantities(self, index=()) -> np.ndarray:
        return system_conserved_quantities(self.system[index] if self.system.shape else self.system,
                                           tol=self.info["tol"])

    def __repr__(self) -> str:
        u = np.asarray(self.unique)
        return (f"SystemSteadyStateResult(N={self.system.N}, shape={u.shape}, unique at {int(u.sum())}/{u.size} "
                f"points, measures={list(self.measures)}, tol={self.info.get('tol')})")


def system_steady_state(system, initial=None, *, measures=None, tol=DEFAULT_TOL, backend="numpy"):
    """The t→∞ state of an N-site System (from ``initial`` when given); see the module docstring.

    ``backend`` (:func:`magbell.backend.get_backend`, recorded in ``result.backend``): its ``kernel_projector``
    gives 𝒫₀ and the undamped-mode projectors, ``eigvals`` the dark-pair and undamped frequencies, ``eigh``
    the dark kets (N > 8: the same on the excitation blocks). The final state check (trace, smallest
    eigenvalue) stays NumPy, at the boundary.

    Without ``initial`` every point must have a unique stationary state, else
    :class:`~magbell.errors.NonUniqueSteadyStateError`. With it, ρ_∞ = 𝒫₀ρ₀ (exact projection); the
    non-unique case is reported (``unique``, ``n_stationary``, ``dark_states()``, ``conserved_quantities()``).
    A projector that does not map ρ₀ to a state (slow modes within the tolerance) is retried with tol·1e-3
    (three times), then refused.
    """
    from ..measures._multipartite import site_populations
    from ..system.states import system_density_matrices

    what = "steady_state"
    check_system(system, what)
    check_tol(tol)
    bk = check_backend(backend, what)
    N = system.N
    if N > MAX_DENSE_SITES:  # zero temperature in excitation blocks (never 2ᴺ): solvers/_system_steady_blocks.py
        from ._system_steady_blocks import steady_state_blocks

        return record_backend(SystemSteadyStateResult(**steady_state_blocks(system, initial, measures, tol, what,
                                                                            bk)), bk)
    fns = measure_fns(measures, N)
    rho0, several = (None, False) if initial is None else system_density_matrices(initial, N)
    P = system.size
    S = 1 if rho0 is None else rho0.shape[0]
    rho = np.zeros((P, S, 2**N, 2**N), dtype=complex)
    n_stat = np.zeros(P, dtype=int)
    conv = np.ones((P, S), dtype=bool)
    for p in range(P):
        pt = Point(system, point_index(system, p), bk=bk)
        w = where(system, p)
        check_point(pt, what, w)
        if rho0 is None:
            _, k, _ = _solve_point(pt, None, float(tol), what, w)
            if k != 1:
                raise NonUniqueSteadyStateError(
                    f"the stationary state is not unique (ker L has dimension {k}: dark states or conserved "
                    f"quantities){w}, so the t→∞ limit depends on the initial state; pass initial=..."
                )
            r0 = np.zeros((1, 2**N, 2**N), dtype=complex)
            r0[0, 0, 0] = 1.0  # any state: the projector maps it to the unique stationary state
            if pt.triangular and np.any(pt.g["h_minus"]):  # only σ⁻ jumps: everything flows up to ↓…↓
                r0 = r0[:, ::-1, ::-1].copy()
        else:
            r0 = rho0
        t = float(tol)
        for _ in range(4):
            r, k, c = _solve_point(pt, r0, t, what, w)
            if not np.any(_not_states(r, r0)):
                break
            t *= 1e-3
        else:
            _not_states_raise(what, w)
        rho[p], conv[p], n_stat[p] = r, c, k
    shape = system.shape

    def _shape(a):
        a = a.reshape(shape + a.shape[1:])
        return a if several else a.reshape(shape + a.shape[len(shape) + 1:])

    rho_out = _shape(rho)
    return record_backend(SystemSteadyStateResult(
        rho=rho_out,
        site_populations=site_populations(rho_out, N),
        unique=(n_stat == 1).reshape(shape),
        n_stationary=n_stat.reshape(shape),
        converges=_shape(conv),
        measures={m: f(rho_out) for m, f in fns.items()},
        system=system,
        initial=None if rho0 is None else (rho0 if several else rho0[0]),
        info={"method": "projection onto ker L along range L on the excitation blocks the state reaches "
                        "(row-equilibrated SVD); mean splitting factored out exactly", "tol": tol},
    ), bk)


# ============================================================================== dark states, conserved quantities
def _single(system, what):
    check_system(system, what)
    if system.shape != ():
        raise InvalidParameterError(f"{what}() needs a single System; index the batch first")


def system_dark_states(system, tol: float = 1e-10, *, backend="numpy") -> np.ndarray:
    """Dark states of a single N-site System: kets |ψ> with J_k|ψ> = 0 for every jump and H|ψ> = E|ψ>.

    Each gives a pure stationary state |ψ><ψ| (the N-site analogue of the dark singlet, paper Eq. 10; with a
    rank-one σ⁺ block, e.g. a 1D medium at k·spacing = π, N − 1 single-excitation states are dark). Found
    per excitation sector (every jump maps a sector into one sector, H conserves it): the common kernel of
    the jumps with their rows normalised (a rate of 1e-12 next to dephasing 1e12 still counts), then its
    largest H-invariant subspace (H without Δ̄, a scalar per sector), diagonalised. Returns (n_dark, 2ᴺ)
    orthonormal kets, by excitation number, then energy. ``backend``: its ``svd`` (the dark subspace) and ``eigh``.
    """
    bk = check_backend(backend, "dark_states")
    _single(system, "dark_states")
    check_tol(tol)
    pt = Point(system, (), bk=bk)
    out = []
    for n in range(pt.N + 1):
        K, _ = pt.dark(n, tol)
        kets = np.zeros((K.shape[1], 2**pt.N), dtype=complex)
        kets[:, sector_states(pt.N, n)] = K.T
        out.append(kets)
    return np.concatenate(out)


def system_conserved_quantities(system, tol: float = DEFAULT_TOL, *, backend="numpy") -> np.ndarray:
    """Hermitian operators C_k with d/dt tr(C_k ρ) = 0 for a single System: (n_stationary, 2ᴺ, 2ᴺ).

    They span the left null space of 𝓛 (the identity among their combinations): the row space of the kernel
    projector of each sector (as the two-qubit :func:`magbell.conserved_quantities`); a sector q ≠ 0 gives
    the Hermitian pairs C + C†, i(C − C†) of its complex functionals. Every sector dense: N ≤ 6. ``backend``: its
    ``kernel_projector`` and ``svd``.
    """
    what = "conserved_quantities"
    bk = check_backend(backend, what)
    _single(system, what)
    check_tol(tol)
    pt = Point(system, (), bk=bk)
    check_point(pt, what, "")
    N = pt.N
    dims, projs, _ = kernel_dims(pt, float(tol) * pt.s_D, what, "", full=True)
    ops = []
    for q, (bq, off, Pq, _) in projs.items():
        if not dims[q]:
            continue
        Vh = bk.svd(Pq)[2][: dims[q]]  # the row space of a rank-k projector
        cand = []
        for f in Vh:
            F = np.zeros((2**N, 2**N), dtype=complex)
            for j, (n, m) in enumerate(bq):
                In, Im = sector_states(N, n), sector_states(N, m)
                F[np.ix_(In, Im)] = f[off[j]:off[j + 1]].reshape(len(In), len(Im))
            C = F.T  # f(ρ) = Σ F_ab ρ_ab = tr(Fᵀ ρ)
            cand += [(C + C.conj().T) / 2, (C - C.conj().T) / 2j]
        A = np.array(cand).reshape(len(cand), -1)
        r = dims[q] if q == 0 else 2 * dims[q]
        V2 = bk.svd(np.concatenate([A.real, A.imag], axis=1))[2][:r]
        ops.append((V2[:, : 4**N] + 1j * V2[:, 4**N:]).reshape(r, 2**N, 2**N))
    return np.concatenate(ops) if ops else np.zeros((0, 2**N, 2**N), dtype=complex)


# ============================================================================== spectrum
@dataclass(frozen=True, eq=False, repr=False)
class SystemSpectrum(Result):
    """Liouvillian spectrum of an N-site System (batched over ``system.shape``).

    eigenvalues : (*shape, 4ᴺ) complex, sorted by decreasing real part (the stationary 0s first).
    sector_eigenvalues : {q: (*shape, D_q)} for q = n − m = 0 … N (sector −q holds the conjugates).
    n_stationary : (*shape) dim ker 𝓛 (as many exact zeros are in ``eigenvalues``).
    slowest_rate : smallest nonzero decay rate −Re λ over all sectors (the gap; ∞ if none); lifetime = 1/it.
    collective_eigenvalues : (*shape, N) eigenvalues of H_eff in the one-excitation sector relative to the
        ground state's energy (Re ≈ Δ, as docs/nqubits.md §1), sorted by decay rate: the collective
        (super-/subradiant) modes.
    collective_rates : (*shape, N) their population decay rates −2 Im E (2a for one site); collective_lifetimes.
    """

    eigenvalues: np.ndarray
    sector_eigenvalues: dict
    n_stationary: np.ndarray
    slowest_rate: np.ndarray
    lifetime: np.ndarray
    collective_eigenvalues: np.ndarray
    collective_rates: np.ndarray
    collective_lifetimes: np.ndarray
    info: dict = field(default_factory=dict)

    _ARRAYS = ("n_stationary", "slowest_rate", "lifetime")
    _METHOD = "eigendecomposition per excitation sector"


def _sector_eigenvalues(pt: Point, q: int, what: str, where_: str):
    """Eigenvalues of sector q without −iqΔ̄ and the resolution of each (128·eps·‖block‖₁)."""
    N = pt.N
    if pt.triangular and not np.any(pt.g["h_z"]):  # Kronecker sums: −i(E_a − conj E_b) per diagonal block
        ev, res = [], []
        for n, m in sector_blocks(N, q):
            Ea, Eb = pt.bk.eigvals(pt.heff(n)), pt.bk.eigvals(pt.heff(m))
            ev.append((-1j * (Ea[:, None] - Eb.conj()[None, :])).ravel())
            s = np.abs(pt.heff(n)).sum(axis=0).max() + np.abs(pt.heff(m)).sum(axis=0).max()
            res.append(np.full(len(Ea) * len(Eb), 128 * _EPS * s))
        return np.concatenate(ev), np.concatenate(res)
    blocks = [[b] for b in sector_blocks(N, q)] if pt.triangular else [sector_blocks(N, q)]
    ev, res = [], []
    for bl in blocks:
        size = sum(comb(N, n) * comb(N, m) for n, m in bl)
        if size > MAX_SECTOR:
            raise _too_big(what, size, f"sector q = {q} of N = {N} sites", where_)
        G, _ = pt.generator(bl)
        ev.append(pt.bk.eigvals(G))
        res.append(np.full(G.shape[0], 128 * _EPS * np.abs(G).sum(axis=0).max()))
    return np.concatenate(ev), np.concatenate(res)


def system_spectrum(system, *, tol: float = DEFAULT_TOL, backend="numpy") -> SystemSpectrum:
    """Eigenvalues of the Liouvillian of an N-site System per sector, the slowest rate and the collective rates.

    Zero eigenvalues are counted, not thresholded: in sector q exactly dim ker 𝓛_q eigenvalues (decided as
    in :func:`system_steady_state`) are set to 0; any other eigenvalue whose decay rate is below the
    eigensolver's resolution 128·eps·‖block‖₁ at a point with a unique stationary state is refused. The
    mean splitting enters only as the exact shift −iqΔ̄. Triangular chains (zero temperature) are decomposed
    per diagonal block (without σᶻ jumps from the eigenvalues of H_eff per sector: any N ≤ 8); otherwise each
    sector whole (N ≤ 6). Eigenvalues at exceptional points carry the usual sqrt(eps) sensitivity.
    ``backend`` (recorded in ``result.backend``): its ``eigvals`` decomposes the sectors and H_eff, its
    ``kernel_projector`` counts the kernel.
    """
    what = "spectrum"
    check_system(system, what)
    check_tol(tol)
    bk = check_backend(backend, what)
    N = system.N
    if N > MAX_DENSE_SITES:  # before any 4ᴺ allocation (N = 30 asked for 1.6 EiB)
        raise InvalidParameterError(
            f"{what}: the N-site spectrum builds dense 2ᴺ operators and needs N <= {MAX_DENSE_SITES}, got N = {N} "
            "(the collective one-excitation rates of larger N: magbell.system.one_excitation_hamiltonian)"
        )
    P = system.size
    sizes = [sum(comb(N, n) * comb(N, n - q) for n in range(q, N + 1)) for q in range(N + 1)]
    sev = {q: np.zeros((P, sizes[q]), dtype=complex) for q in range(N + 1)}
    alle = np.zeros((P, 4**N), dtype=complex)
    nst = np.zeros(P, dtype=int)
    slow = np.full(P, np.inf)
    cev = np.zeros((P, N), dtype=complex)
    for p in range(P):
        pt = Point(system, point_index(system, p), bk=bk)
        w = where(system, p)
        check_point(pt, what, w)
        dims, _, _ = kernel_dims(pt, float(tol) * pt.s_D, what, w)
        k = dims[0] + 2 * sum(dims[q] for q in range(1, N + 1))
        nst[p] = k
        parts = []
        for q in range(N + 1):
            ev, res = _sector_eigenvalues(pt, q, what, w)
            ev = ev - 1j * q * pt.dbar  # the exact scalar shift, after the decomposition
            zero = np.zeros(ev.size, dtype=bool)
            zero[np.argsort(np.abs(ev), kind="stable")[: dims[q]]] = True
            rate = -ev.real
            bad = ~zero & (rate <= res)
            if np.any(bad) and k == 1:
                raise InvalidParameterError(
                    f"{what}: a decay rate {max(rate[bad].max(), 0.0):.3g} is below the eigensolver's resolution "
                    f"{res[bad].max():.3g}{w} (rates spanning more than ~1/(128·eps) within one sector)"
                )
            live = ~zero & (rate > res)
            if np.any(live):
                slow[p] = min(slow[p], rate[live].min())
            ev = np.where(zero, 0.0, ev)
            sev[q][p] = ev
            parts += [ev] if q == 0 else [ev, ev.conj()]
        a = np.concatenate(parts)
        alle[p] = a[np.argsort(-a.real, kind="stable")]
        e1 = bk.eigvals(pt.heff(1))  # energies relative to the ground state's (Re ≈ Δ: excitation energies)
        e1 = (e1.real - pt.heff(0)[0, 0].real) + pt.dbar + 1j * np.minimum(e1.imag, 0.0)  # Im E ≤ 0 (K ⪰ 0)
        cev[p] = e1[np.argsort(-e1.imag, kind="stable")]
    shape = system.shape
    crate = -2 * cev.imag
    with np.errstate(divide="ignore"):
        life, clife = 1.0 / slow, 1.0 / crate
    return record_backend(SystemSpectrum(
        eigenvalues=alle.reshape(shape + (4**N,)),
        sector_eigenvalues={q: v.reshape(shape + v.shape[1:]) for q, v in sev.items()},
        n_stationary=nst.reshape(shape),
        slowest_rate=slow.reshape(shape),
        lifetime=life.reshape(shape),
        collective_eigenvalues=cev.reshape(shape + (N,)),
        collective_rates=crate.reshape(shape + (N,)),
        collective_lifetimes=clife.reshape(shape + (N,)),
        info={"tol": tol},
    ), bk)
