"""Excitation-number sectors of an N-site System for the t-free and conditional solvers (private).

The generator of :class:`magbell.System` (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022), Eqs. 2–4, 11–12
and S38 for N sites; docs/system.md) acts on the blocks X_{n,m} = Π_n ρ Π_m (n, m: numbers of ↓ sites) as

    dX_{n,m}/dt = −i(H_eff,n X_{n,m} − X_{n,m} H_eff,m†) + 2 Σ_ij h^z_ij Z_i X_{n,m} Z_j
                  + 2 Σ_ij h^+_ij σ⁺_i X_{n+1,m+1} σ⁻_j + 2 Σ_ij h^−_ij σ⁻_i X_{n−1,m−1} σ⁺_j,
    H_eff = H − i K,   K = Σ_{b ∈ (+, −, z)} Σ_ij h^b_ij O^b_j† O^b_i   (O^+ = σ⁺, O^− = σ⁻, O^z = σᶻ),

so sector q = n − m is a chain of blocks coupled only by the σ± jumps, triangular where h_plus or h_minus
vanishes. The mean splitting Δ̄ adds the scalar −iqΔ̄ on sector q (H ∋ −½Δ̄Σσᶻ = Δ̄(n − N/2) on n
excitations): it is removed before anything is decomposed (Δ_i → Δ_i − Δ̄). :class:`Point` takes every
sector operator from the one excitation builder :mod:`magbell.liouvillian._excitation` (the same blocks
evolve and the trajectories use; never a 2ᴺ object) and gives H_eff per sector, the dense generator on any
set of blocks of one sector and the dark states per sector, for the t-free, conditional and monitoring
solvers; :func:`kernel_projector` is the kernel projector. Sector coordinates are the configurations of
:func:`magbell.liouvillian._excitation.configurations`, whose order is the basis order (:func:`sector_states`).
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np

from ..errors import InvalidParameterError
from ..liouvillian._kernel import dark_subspace, svd_kernel_projector

#: largest complex dimension factorised densely (one sector's blocks, or one diagonal block): N = 6's q = 0
MAX_SECTOR = 1000
#: the N-site t-free solvers return dense 2ᴺ states (their sector operators are never 2ᴺ objects)
MAX_DENSE_SITES = 8
#: the Hamiltonian without Δ̄ may exceed the dissipator by at most this factor (its rounding eps·‖H‖ must
#: stay far below the kernel threshold tol·‖D‖); beyond it the N-site t-free solvers refuse
HAMILTONIAN_RATIO_MAX = 1e4
#: widest spread of nonzero parameter moduli (Δ̄ excluded), as the two-qubit t-free solvers (_domain.SPREAD_MAX)
SPREAD_MAX = 1e100
#: smallest nonzero parameter magnitude the t-free solvers accept (the mirror of RATE_MAX = 1e150)
SMALLEST_RATE = 1e-150
DEFAULT_TOL = 1e-9
#: kernel tolerance of the jumps' normalised rows for dark states (as the two-qubit dark_states)
DARK_TOL = 1e-10
_EPS = np.finfo(float).eps
CHANNELS = ("h_plus", "h_minus", "h_z")


@lru_cache(maxsize=None)
def sector_states(N: int, n: int) -> np.ndarray:
    """Basis indices (ascending) of the states with n sites ↓ (d = bit 1, site 1 the leftmost bit): the
    configurations of :mod:`magbell.liouvillian._excitation` in their own order (one sector enumeration)."""
    from ..liouvillian._excitation import basis_index

    idx = np.array(basis_index(N, n), dtype=int)
    idx.setflags(write=False)
    return idx


def channel_split(h: np.ndarray):
    """h = V diag(λ) V†: the site amplitudes (k, N) of the jumps J_k = Σ_i V_ik O_i (λ_k > rounding), their rates λ_k.

    The one Kossakowski-block split of the N-site solvers (steady state, postselection, monitoring and the
    trajectories' channels): h is taken as complex and made exactly Hermitian ((h + h†)/2, a no-op on the
    System's blocks, which are stored exactly Hermitian). A parameter transformation of the N×N block, kept in
    NumPy like the rest of the operator build."""
    h = np.asarray(h, dtype=complex)
    if not np.any(h):  # no jump (an N×N eigh saved: the trajectories reach N = 2000)
        return np.zeros((0, h.shape[0]), dtype=complex), np.zeros(0)
    lam, V = np.linalg.eigh((h + h.conj().T) / 2)
    keep = lam > 16 * len(lam) * _EPS * np.abs(lam).max()
    return V[:, keep].T, lam[keep]


def _point_arrays(system, index):
    """The contract's arrays at one batch point, Δ_i → Δ_i − Δ̄ (exact by Sterbenz where Δ_i and Δ̄ are within
    a factor 2), and Δ̄."""
    g = {}
    for k in ("Delta",) + CHANNELS + ("J_perp", "J_z", "D"):
        v = getattr(system, k)
        tail = v.shape[-1:] if k == "Delta" else v.shape[-2:]
        g[k] = np.broadcast_to(v, system.shape + tail)[index]
    dbar = float(np.mean(g["Delta"]))
    g["Delta"] = g["Delta"] - dbar
    return g, dbar


class Point:
    """Sector operators of one System point, the mean splitting removed, from the one excitation builder
    :mod:`magbell.liouvillian._excitation` (H_eff per sector, σ± jump maps, σᶻ multiplier; never a 2ᴺ object):
    H_eff, the jump blocks, the dense generator on any set of blocks of one sector, the dark kets per sector.

    ``kmax``: the sectors 0 … kmax used (default N; zero temperature from k excitations: k). ``dense``: refuse
    N > MAX_DENSE_SITES (the solvers that return 2ᴺ states or factorise whole sectors); the zero-temperature
    block path (:mod:`magbell.solvers._system_steady_blocks`) and the trajectories pass False. Blocks are dense
    arrays in the configurations' order, which is the basis order (:func:`sector_states`). ``bk``: the backend
    (:mod:`magbell.backend`, default NumPy) whose kernels the solvers call on this point's blocks
    (``pt.bk``: eig/eigvals/eigh, the kernel projector, the scaled propagator); the blocks themselves and
    :func:`channel_split` are built in NumPy (the boundary).

    ``jumps``: {block: (V (k, N), λ (k,))} for h_plus, h_minus and h_z (:func:`channel_split`)."""

    def __init__(self, system, index, kmax=None, *, dense=True, bk=None):
        from ..backend import get_backend
        from ..liouvillian._excitation import excitation_system

        N = system.N
        if dense and N > MAX_DENSE_SITES:
            raise InvalidParameterError(
                f"system: the N-site steady state, spectrum and postselection return dense 2ᴺ states and need "
                f"N <= {MAX_DENSE_SITES}, got N = {N}"
            )
        g, self.dbar = _point_arrays(system, index)
        self.N, self.kmax, self.g = N, N if kmax is None else int(kmax), g
        self.ex = excitation_system(g["Delta"], g["h_plus"], g["h_minus"], g["h_z"], g["J_perp"], g["J_z"], g["D"])
        self.bk = get_backend() if bk is None else bk
        self.jumps = {name: channel_split(g[name]) for name in CHANNELS}
        self._scales()
        self._heff, self._ham, self._jb, self._dark, self._exH = {}, {}, {}, {}, None

    def _scales(self):
        g = self.g
        self.s_H = 2 * float(np.abs(g["Delta"]).sum() + (4 * np.abs(g["J_perp"]) + np.abs(g["J_z"]) + 4 * np.abs(g["D"])).sum())
        self.s_D = 4 * sum(float(np.abs(g[k]).sum()) for k in CHANNELS)
        mod = np.concatenate([np.abs(g[k]).ravel() for k in ("J_perp", "J_z", "D") + CHANNELS] + [np.abs(g["Delta"])])
        self.smallest = float(mod[mod > 0].min()) if np.any(mod > 0) else 1.0
        self.spread = float(mod.max() / self.smallest) if np.any(mod > 0) else 1.0
        self.triangular = not (np.any(g["h_plus"]) and np.any(g["h_minus"]))

    def heff(self, n):
        """H_eff = H − iK on n excitations (C(N, n) square, dense)."""
        if n not in self._heff:
            self._heff[n] = self.ex.heff_dense(n)
        return self._heff[n]

    def hamiltonian(self, n):
        """H on n excitations (Hermitian to the last bit: built without the dissipator, not as the Hermitian part
        of H_eff, whose rounding would be that of K)."""
        if n not in self._ham:
            if self._exH is None:
                from ..liouvillian._excitation import excitation_system

                g, z = self.g, np.zeros((self.N, self.N))
                self._exH = excitation_system(g["Delta"], z, z, z, g["J_perp"], g["J_z"], g["D"])
            self._ham[n] = self._exH.heff_dense(n)
        return self._ham[n]

    def _jump_blocks(self, name, src):
        """All jumps of block ``name`` from ``src`` excitations, (k, C(N, dst), C(N, src)), dst = src ∓ 1."""
        key = (name, src)
        if key not in self._jb:
            from ..liouvillian._excitation import lowering_entries, raising_entries

            N, V = self.N, self.jumps[name][0]
            dst = src - 1 if name == "h_plus" else src + 1
            rows, cols = (lowering_entries if name == "h_plus" else raising_entries)(N, src)
            i, a = np.divmod(rows, comb(N, dst))  # row i·C(N, dst) + a: site i, target configuration a
            out = np.zeros((V.shape[0], comb(N, dst), comb(N, src)), dtype=complex)
            out[:, a, cols] = V[:, i]  # Σ_i V_ki σ_i: one site per (a, b), so exact
            self._jb[key] = out
        return self._jb[key]

    def jump_block(self, name, k, src, dst):
        """Jump k of block ``name`` restricted to ``src`` → ``dst`` excitations."""
        assert dst == src + (-1 if name == "h_plus" else 1)
        return self._jump_blocks(name, src)[k]

    def spins(self, n):
        """σᶻ eigenvalues (N, C(N, n)) of the configurations of n excitations (+1 up, −1 down)."""
        return spins(self.N, n)

    def zmult(self, n, m):
        """2 Σ_ij h_z[i, j] z_i(a) z_j(b): the σᶻ re-entry on X_{n,m}, elementwise."""
        return self.ex.zjump(n, m)

    def generator(self, blocks, allow=CHANNELS):
        """Dense complex generator (without −iqΔ̄) on the blocks [(n, m), ...] of one sector, row-major vec;
        with the jump (re-entry) terms of the channels in ``allow`` only (all: the Lindbladian; none: −iH_eff·)."""
        N, g = self.N, self.g
        dims = [comb(N, n) * comb(N, m) for n, m in blocks]
        off = np.concatenate([[0], np.cumsum(dims)]).astype(int)
        G = np.zeros((off[-1], off[-1]), dtype=complex)
        pos = {b: k for k, b in enumerate(blocks)}
        for k, (n, m) in enumerate(blocks):
            dn_, dm_ = comb(N, n), comb(N, m)
            d = -1j * np.kron(self.heff(n), np.eye(dm_)) + 1j * np.kron(np.eye(dn_), self.heff(m).conj())
            if "h_z" in allow and np.any(g["h_z"]):
                d += np.diag(self.zmult(n, m).ravel())
            G[off[k]:off[k + 1], off[k]:off[k + 1]] = d
            for name, dn in (("h_plus", 1), ("h_minus", -1)):
                src = (n + dn, m + dn)
                if src not in pos or name not in allow or not np.any(g[name]):
                    continue
                lam = self.jumps[name][1]
                blk = sum(2 * lk * np.kron(self.jump_block(name, kk, src[0], n),
                                           self.jump_block(name, kk, src[1], m).conj()) for kk, lk in enumerate(lam))
                j = pos[src]
                G[off[k]:off[k + 1], off[j]:off[j + 1]] = blk
        return G, off

    def dark(self, n, tol=DARK_TOL):
        """Dark kets of sector n (columns, (C(N, n), k)) and their energies without Δ̄: J|ψ> = 0 for every jump
        (rows normalised: a rate of 1e-12 next to dephasing 1e12 still counts), H|ψ> = E|ψ>."""
        key = (n, tol)
        if key in self._dark:
            return self._dark[key]
        N = self.N
        rows = [self._jump_blocks(name, n).reshape(-1, comb(N, n))
                for name, dst in (("h_plus", n - 1), ("h_minus", n + 1))
                if 0 <= dst <= N and len(self.jumps[name][1])]
        if np.any(self.g["h_z"]):
            Vz, _ = self.jumps["h_z"]
            rows += [np.diag(self.ex.spin_sums(n, v)) for v in Vz]
        J = np.concatenate(rows) if rows else np.zeros((0, comb(N, n)))
        Hn = self.hamiltonian(n)
        Kd = dark_subspace(J, Hn, tol, svd=self.bk.svd)
        Hk = Kd.conj().T @ Hn @ Kd
        E, W = self.bk.eigh((Hk + Hk.conj().T) / 2)
        self._dark[key] = (Kd @ W, E)
        return self._dark[key]


def spins(N: int, n: int) -> np.ndarray:
    """σᶻ eigenvalues (N, C(N, n)) of the configurations of n excitations (+1 up, −1 down): the one spin map
    (:meth:`Point.spins`, the trajectories' σᶻ channels)."""
    from ..liouvillian._excitation import configurations

    conf = configurations(N, n)
    z = np.ones((conf.shape[0], N))
    z[np.arange(conf.shape[0])[:, None], conf] = -1.0
    return z.T


def sector_blocks(N, q, kmax=None):
    """The blocks (n, n − q) of sector q, n ≤ kmax (default N)."""
    return [(n, n - q) for n in range(q, (N if kmax is None else kmax) + 1)]


def closure(N: int, start, h_plus: bool, h_minus: bool) -> list:
    """Blocks (n, m) reachable from ``start`` (σ⁺ jumps feed (n − 1, m − 1), σ⁻ jumps (n + 1, m + 1))."""
    seen, todo = set(start), list(start)
    while todo:
        n, m = todo.pop()
        for flag, d in ((h_plus, -1), (h_minus, 1)):
            b = (n + d, m + d)
            if flag and 0 <= b[0] <= N and 0 <= b[1] <= N and b not in seen:
                seen.add(b)
                todo.append(b)
    return sorted(seen)


def occupied(rho0: np.ndarray, N: int) -> set:
    """Blocks (n, m), n ≥ m, on which some of the states rho0 (S, 2ᴺ, 2ᴺ) have nonzero entries."""
    return {(n, m) for n in range(N + 1) for m in range(n + 1)
            if np.any(rho0[:, sector_states(N, n)][:, :, sector_states(N, m)] != 0)}


def sector_weight(rho0: np.ndarray, N: int, k: int) -> np.ndarray:
    """tr Π_k ρ0 / tr ρ0 for states rho0 (S, 2ᴺ, 2ᴺ): the probability that a measurement of Σσᶻ at t = 0 finds k
    excitations, i.e. P(0) of a postselection on that outcome (exactly 1 when nothing lies outside the sector)."""
    inside = np.zeros(rho0.shape[-1], dtype=bool)
    inside[sector_states(N, k)] = True
    d = np.real(np.diagonal(rho0, axis1=-2, axis2=-1))
    w_in, w_out = d[:, inside].sum(axis=-1), d[:, ~inside].sum(axis=-1)
    return w_in / (w_in + w_out)


def block_vector(rho, N, blocks):
    """Row-major coordinates of the blocks of rho (..., 2ᴺ, 2ᴺ), concatenated: (..., D)."""
    return np.concatenate([rho[..., sector_states(N, n)[:, None], sector_states(N, m)[None, :]].reshape(rho.shape[:-2] + (-1,))
                           for n, m in blocks], axis=-1)


def check_system(system, what):
    from ..system import System

    if not isinstance(system, System):
        raise InvalidParameterError(
            f"{what}: model must be a magbell.Model or a magbell.System, got {type(system).__name__}"
        )


def check_tol(tol) -> None:
    ok = isinstance(tol, (float, int, np.floating, np.integer)) and not isinstance(tol, (bool, np.bool_))
    if not (ok and np.isfinite(tol) and 0 < tol < 1):
        raise InvalidParameterError(f"tol must be a number with 0 < tol < 1, got {tol!r}")


def check_point(pt: Point, what: str, where: str) -> None:
    """The t-free solvers' domain: a dissipator, a resolvable spread of scales, no dominant Hamiltonian."""
    if pt.s_D == 0:
        raise InvalidParameterError(
            f"{what}: the System has no dissipator (h_plus = h_minus = h_z = 0){where}: every state rotates "
            "forever; use evolve"
        )
    if pt.smallest < SMALLEST_RATE:
        raise InvalidParameterError(
            f"{what}: a nonzero rate or coupling of magnitude {pt.smallest:.3g} is below {SMALLEST_RATE:.0e}{where}: "
            "products of such numbers leave float64's normal range; rescale the unit of time"
        )
    if pt.spread > SPREAD_MAX:
        raise InvalidParameterError(
            f"{what}: the nonzero rates and couplings span {pt.spread:.3g} > {SPREAD_MAX:.0e}, the widest spread "
            f"whose kernel and slowest rates are resolved{where}; set the negligible ones to 0"
        )
    if pt.s_H > HAMILTONIAN_RATIO_MAX * pt.s_D:
        raise InvalidParameterError(
            f"{what}: the Hamiltonian without the mean splitting ({pt.s_H:.3g}) exceeds the dissipator "
            f"({pt.s_D:.3g}) by more than {HAMILTONIAN_RATIO_MAX:.0e}{where}: N-site kernels are not resolved "
            "there (the two-qubit Model's eigenframe method is not available for N sites)"
        )


def where(system, p) -> str:
    return "" if system.shape == () else f" at batch index {tuple(int(i) for i in np.unravel_index(p, system.shape))}"


def point_index(system, p):
    return np.unravel_index(p, system.shape) if system.shape else ()


#: the two-qubit solvers' default measure lists: through the System dispatch they mean the N-site default
_TWO_QUBIT_DEFAULTS = (("concurrence", "populations"), ("concurrence", "bell_fidelity", "populations"))


def result_dims(result, name, arr) -> tuple:
    """xarray dimension names of an N-site result's array: the batch axes, the native ones (initial, t), then
    "site" for site_populations, ("site", "site_j") for pair matrices (the labels of the sweep's Dataset),
    "<name>_k" for any other trailing axis."""
    arr = np.asarray(arr)
    lead = len(result.system.shape)
    native = tuple(n for n, _ in result._native()) if name not in ("unique", "n_stationary") else ()
    extra = arr.ndim - lead - len(native)
    if extra < 0:
        return tuple(f"dim_{i}" for i in range(arr.ndim))
    if name == "site_populations" and extra == 1:
        tail = ("site",)
    elif extra == 2 and arr.shape[-1] == arr.shape[-2] == result.system.N:
        tail = ("site", "site_j")
    else:
        tail = tuple(f"{name}_{k}" for k in range(extra))
    return tuple(f"dim_{i}" for i in range(lead)) + native + tail


def check_backend(backend, what):
    """The backend object for ``backend`` (a registered name or a Backend; :func:`magbell.backend.get_backend`,
    whose refusal of an unknown name is one line naming ``backend``)."""
    from ..backend import get_backend

    return get_backend(backend)


def measure_fns(measures, N):
    """{name: f(rho)} for N-site measures (magbell.measures._multipartite) and, for N = 2, the two-qubit ones.
    ``None`` or a two-qubit solver's default list: site_populations and purity (and concurrence for N = 2)."""
    from ..measures import MEASURES as TWO
    from ..measures._multipartite import multipartite_measure

    if measures is None or (isinstance(measures, tuple) and measures in _TWO_QUBIT_DEFAULTS):
        measures = ("site_populations", "purity") + (("concurrence",) if N == 2 else ())
    if isinstance(measures, str):
        measures = (measures,)
    try:
        measures = tuple(measures)
    except TypeError:
        raise InvalidParameterError(f"measures must be a measure name or a list of them, got {measures!r}") from None
    out = {}
    for m in measures:
        if N == 2 and isinstance(m, str) and m in TWO and m != "purity":
            out[m] = TWO[m]
        else:
            f = multipartite_measure(m)
            out[m] = (lambda rho, _f=f: _f(rho, N))
    return out


def kernel_projector(G: np.ndarray, tol_abs: float, bk=None):
    """Spectral projector onto ker G along range G (complex) and dim ker G: the backend's ``kernel_projector``
    (NumPy: the batched :func:`magbell.liouvillian._kernel.svd_kernel_projector`, SVD of the row-equilibrated
    E·G, every row raised to the largest row's 1-norm so that a rank is decided relative to each coordinate's
    own rates) on one G."""
    kp = svd_kernel_projector if bk is None else bk.kernel_projector
    P0, mask, _, _ = kp(np.asarray(G)[None], np.array([float(tol_abs)]))
    return P0[0], int(mask.sum())


def dark_pair_frequencies(pt: Point, q: int, tol_abs: float):
    """Triangular chains without σᶻ jumps: the eigenvalues of sector q on the imaginary axis.

    Each diagonal block (n, n − q) is then the Kronecker sum of −iH_eff,n and its conjugate, with eigenvalues
    −i(E_a − conj E_b + qΔ̄) (E without Δ̄); Im E = −<ψ|K|ψ> ≤ 0, so one is (within ``tol_abs``, the kernel
    threshold of the SVD path) on the imaginary axis only if both modes are (dark). Returns (the number of
    zeros, the nonzero frequencies w: eigenvalues −iw)."""
    zeros, freqs = 0, []
    E = {n: pt.bk.eigvals(pt.heff(n)) for n in range(pt.kmax + 1)}
    for n in range(q, pt.kmax + 1):
        Ea, Eb = E[n], E[n - q]
        Ea, Eb = Ea[Ea.imag >= -tol_abs].real, Eb[Eb.imag >= -tol_abs].real
        if not (Ea.size and Eb.size):
            continue
        w = (Ea[:, None] - Eb[None, :]).ravel() + q * pt.dbar
        z = np.abs(w) <= tol_abs
        zeros += int(z.sum())
        freqs += list(w[~z])
    return zeros, np.array(freqs)


# ============================================================================== kets and scales (postselection)
def mean_phase(dbar: float, tt: np.ndarray, m: int):
    """cos, sin of m·Δ̄·t (T,) with Δ̄·t formed exactly (Dekker) and the integer m applied exactly."""
    from ..backend._expm import two_prod

    mx, ex = np.frexp(np.float64(dbar))
    my, ey = np.frexp(np.asarray(tt, dtype=float))
    ph, pl = two_prod(np.full(my.shape, mx), my)
    with np.errstate(under="ignore"):
        hi, lo = np.ldexp(ph, ex + ey), np.ldexp(pl, ex + ey)
    h, l2 = two_prod(np.full(hi.shape, float(m)), hi)
    lo = l2 + m * lo
    return np.cos(h) * np.cos(lo) - np.sin(h) * np.sin(lo), np.sin(h) * np.cos(lo) + np.cos(h) * np.sin(lo)


def factor(rho0: np.ndarray, bk=None) -> np.ndarray:
    """ρ₀ = W W† (S, n, r): the ket for pure states (largest column / sqrt(pivot), exact for named states);
    ``bk``: the backend whose ``eigh`` decomposes ρ₀ (default NumPy)."""
    S, n = rho0.shape[:2]
    p, V = (np.linalg.eigh if bk is None else bk.eigh)(rho0)
    p = np.where(p > 1e-14 * p[..., -1:], p, 0.0)
    r = int(np.max(np.sum(p > 0, axis=-1)))
    if r == 1:
        j = np.argmax(np.real(np.diagonal(rho0, axis1=-2, axis2=-1)), axis=-1)
        col = np.take_along_axis(rho0, j[:, None, None], axis=-1)[..., 0]
        piv = np.sqrt(np.real(np.take_along_axis(col, j[:, None], axis=-1)))
        return (col / piv).reshape(S, n, 1)
    order = np.argsort(-p, axis=-1)
    p = np.take_along_axis(p, order, axis=-1)[:, :r]
    V = np.take_along_axis(V, order[:, None, :], axis=-1)[:, :, :r]
    return V * np.sqrt(p)[:, None, :]


def combine_parts(parts, T, S):
    """Put marched parts [(key, X (S, ..., T), LS (S, T) or None)] on one scale per (state, time)."""
    NO = np.iinfo(np.int64).min // 4
    live = []
    for key, X, L in parts:
        L = np.zeros((S, T), dtype=np.int64) if L is None else L
        zero = ~np.any(X.reshape(S, -1, T) != 0, axis=1)
        live.append((key, X, np.where(zero, NO, L)))
    LS = live[0][2]
    for _, _, L in live[1:]:
        LS = np.maximum(LS, L)
    out = []
    for key, X, L in live:
        f = np.ldexp(1.0, np.clip(L - LS, -4000, 0).astype(np.int32))
        out.append((key, X * f.reshape((S,) + (1,) * (X.ndim - 2) + (T,))))
    return out, np.where(LS == NO, 0, LS)


def factor_or_zero(rho0, bk=None):
    if not np.any(rho0):
        return np.zeros(rho0.shape[:2] + (1,), dtype=complex)
    tr = np.real(np.trace(rho0, axis1=-2, axis2=-1))
    W = np.zeros(rho0.shape[:2] + (1,), dtype=complex)
    ok = tr > 0
    if np.all(ok):
        return factor(rho0, bk)
    Wok = factor(rho0[ok], bk)
    W = np.zeros(rho0.shape[:2] + (Wok.shape[-1],), dtype=complex)
    W[ok] = Wok
    return W
