"""Results of N-site quantum trajectories (:func:`magbell.trajectories` with a :class:`magbell.System`):
the jump records, their selections and the ensemble averages (site populations; the dense state for small N).
The engine is :mod:`magbell.solvers._system_trajectories`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..errors import InvalidParameterError
from ..results import Result
from ._trajectories import TrajectoryCommon
from ._trajectories import _channel_indices as _trajectory_channels

__all__ = ["SystemTrajectoryResult", "SystemJumpRecord", "SystemEnsembleAverage", "BLOCKS",
           "DENSE_AVERAGE_MAX_SITES"]

#: dense average states are formed up to this N (2ᴺ × 2ᴺ per time)
DENSE_AVERAGE_MAX_SITES = 8
#: and while the mean state with its two error arrays (T × 4ᴺ × 3 × 16 bytes) stays below this
DENSE_AVERAGE_MAX_BYTES = 2**30
BLOCKS = ("h_plus", "h_minus", "h_z")
#: products ψψ† per chunk of kets in the standard errors (1 MB of complex numbers: cache-sized, 2.4x faster than 32 MB)
_SE_CHUNK = 2**16


# ============================================================================== records
class SystemJumpRecord(NamedTuple):
    """Jump records of n trajectories, padded: ``times`` (n, J) (NaN after the last jump), ``channels`` (n, J)
    (indices into ``names``, −1 after the last jump), ``names`` the channel names ("h_plus:0", ...)."""

    times: np.ndarray
    channels: np.ndarray
    names: tuple

    def until(self, t: float) -> "SystemJumpRecord":
        keep = self.times <= t
        return SystemJumpRecord(np.where(keep, self.times, np.nan), np.where(keep, self.channels, -1), self.names)

    def count(self, channels=None) -> np.ndarray:
        """Jumps per trajectory (in the given channels: names, block names h_plus/h_minus/h_z, or indices)."""
        if channels is None:
            return np.sum(self.channels >= 0, axis=1)
        return np.sum(np.isin(self.channels, _channel_indices(channels, self.names)), axis=1)


def _channel_indices(channels, names) -> list:
    """The N-site channels: names ``"h_plus:k"``, whole blocks, or indices (the one parser of _trajectories)."""
    return _trajectory_channels(channels, names, BLOCKS)


def _as_predicate(select, names):
    if select is None or (isinstance(select, str) and select == "all"):
        return None
    if callable(select):
        return select
    if isinstance(select, str):
        if select == "no-jump":
            return lambda rec: rec.count() == 0
        if select.startswith("no-"):
            idx = _channel_indices([c.strip() for c in select[3:].split(",") if c.strip()], names)
            return lambda rec: np.sum(np.isin(rec.channels, idx), axis=1) == 0
    raise InvalidParameterError(
        f"select must be None/'all', 'no-jump', 'no-h_plus' (a block or channel list: 'no-h_plus:0,h_z'), or a "
        f"callable on a SystemJumpRecord, got {select!r}"
    )


class _SystemEnsembleAverageFields(NamedTuple):
    site_populations: np.ndarray
    site_populations_stderr: np.ndarray
    rho: np.ndarray | None
    stderr_re: np.ndarray | None
    stderr_im: np.ndarray | None
    count: np.ndarray
    fraction: np.ndarray
    fraction_stderr: np.ndarray
    concurrence: np.ndarray | None
    times: np.ndarray | None = None  # (T,): the output times (the t coordinate of to_xarray)


class SystemEnsembleAverage(_SystemEnsembleAverageFields):
    """Average over the selected trajectories at every output time.

    site_populations, site_populations_stderr (T, N): mean probability that site i is ↓ and its standard error;
    rho, stderr_re, stderr_im (T, 2ᴺ, 2ᴺ): the mean state and its errors (N ≤ DENSE_AVERAGE_MAX_SITES and
    within DENSE_AVERAGE_MAX_BYTES, else None); count (T,); fraction, fraction_stderr (T,): the selected fraction and its binomial error;
    concurrence (T,) for N = 2 (else None); times (T,). An empty sub-ensemble gives NaN there (``count`` 0).
    ``to_xarray()`` and ``_repr_html_`` as every result.

    A NamedTuple (fields positional for existing code). ``stderr_re`` and ``stderr_im`` cost n·T·4ᴺ elementwise
    work (minutes for N = 8 with every sector populated), so :meth:`SystemTrajectoryResult.average` leaves them
    to be computed on first read (attribute, index, iteration, ``_asdict``, ``to_xarray``, pickling), once.
    """

    __slots__ = ()

    stderr_re = property(lambda self: _resolved(tuple.__getitem__(self, 3)), doc="(T, 2ᴺ, 2ᴺ) SE of Re rho")
    stderr_im = property(lambda self: _resolved(tuple.__getitem__(self, 4)), doc="(T, 2ᴺ, 2ᴺ) SE of Im rho")

    def __getitem__(self, i):
        v = tuple.__getitem__(self, i)
        return tuple(map(_resolved, v)) if isinstance(i, slice) else _resolved(v)

    def __iter__(self):
        return map(_resolved, tuple.__iter__(self))

    def to_xarray(self, unit: str | None = None):
        """The average as an ``xarray.Dataset`` with the labels of every result (``t``, ``site``, ``basis``):
        see :func:`magbell.solvers._average_result.average_to_xarray`."""
        from ._average_result import average_to_xarray

        return average_to_xarray(self, unit)

    def _repr_html_(self) -> str:
        from ._average_result import average_html

        return average_html(self)


class _LazyDenseSE:
    """The dense standard errors (Re, Im) of a mean state, computed on the first ``get`` and kept."""

    __slots__ = ("_args", "_value")

    def __init__(self, *args):
        self._args, self._value = args, None

    def get(self):
        if self._value is None:
            self._value = _dense_se(*self._args)
            self._args = None
        return self._value

    def __repr__(self) -> str:
        return "<standard errors: computed on first access>" if self._value is None else "<computed>"


class _Part(NamedTuple):
    lazy: _LazyDenseSE
    imag: bool

    def __repr__(self) -> str:
        if self.lazy._value is None:
            return repr(self.lazy)
        return repr(self.lazy._value[int(self.imag)])


def _resolved(v):
    return v.lazy.get()[int(v.imag)] if isinstance(v, _Part) else v


def _mean_se(values: np.ndarray, w: np.ndarray, safe: np.ndarray):
    """Weighted (0/1 per trajectory and time) mean over the trajectories, and its standard error
    (sample standard deviation / sqrt(count)); values (n, T, ...), w (n, T), safe (T,) = count or 1."""
    c = safe.reshape(safe.shape + (1,) * (values.ndim - 2))
    mean = np.einsum("nt,nt...->t...", w, values) / c
    var = np.einsum("nt,nt...->t...", w, (values - mean[None]) ** 2) / np.maximum(c - 1, 1.0)  # centred: no cancellation
    return mean, np.sqrt(var / c)


def _mean_state(K: np.ndarray, w: np.ndarray, safe: np.ndarray) -> np.ndarray:
    """(T, D, D): Σ_n w[n, t] ψψ† / safe[t] for kets K (n, T, D) and 0/1 weights w (n, T), one BLAS Hermitian
    rank-c update per time (zherk on the selected kets: the upper triangle, mirrored, so exactly Hermitian),
    never the n outer products."""
    from scipy.linalg.blas import zherk

    n, T, D = K.shape
    mean = np.zeros((T, D, D), dtype=complex)
    for t in range(T):
        sel = w[:, t] > 0
        if not np.any(sel):
            continue
        u = zherk(1.0, np.asfortranarray(K[sel, t].conj()), trans=2)  # upper triangle of Σ_n ψ ψ†
        m = np.triu(u)
        m += np.triu(u, 1).conj().T
        mean[t] = m / safe[t]
    return mean


def _dense_se(K: np.ndarray, w: np.ndarray, idx: np.ndarray, d: int):
    """Standard errors (T, d, d) of the real and imaginary parts of the mean of ψψ† over the kets K (n, T, D)
    selected by the 0/1 weights w (n, T) (sample standard deviation / sqrt(count)), placed at the
    rows and columns ``idx`` (D,) of the d-dimensional basis (zero elsewhere, and where nothing is selected).

    Centred second moments, never E[X²] − X̄²: the products X = ψψ† of the selected kets are shifted by those of
    one of them (s = ψ₀ψ₀†, the same products bit for bit: identical kets give exactly 0), taken in chunks of
    kets with each chunk's own mean (two passes over the chunk in memory), and the chunks merged by the
    pairwise update M2 = M2_a + M2_b + δ²·n_a·n_b/(n_a + n_b) (Chan, Golub & LeVeque, Am. Stat. 37, 242 (1983)).
    Only the upper triangle is formed, in blocks of rows ((Re X)_ba = (Re X)_ab, (Im X)_ba = −(Im X)_ab: the same
    squares), and the Re and Im squares are summed in one pass over the chunk. n·T·D²/2 elementwise work:
    :meth:`SystemEnsembleAverage.stderr_re` calls it on first read only."""
    n, T, D = K.shape
    se_r, se_i = np.zeros((T, d, d)), np.zeros((T, d, d))
    rows, cols = idx[:, None], idx[None, :]
    rb = max(1, -(-D // 16))
    upper = np.triu(np.ones((D, D), dtype=bool))[..., None]
    for t in range(T):
        k = K[w[:, t] > 0, t]
        c = k.shape[0]
        if c < 2:
            continue
        m2 = np.zeros((D, D, 2))  # Σ (Re, Im) squared deviations
        for r0 in range(0, D, rb):
            r1 = min(D, r0 + rb)
            s = k[0, r0:r1, None] * k[0, None, r0:].conj()
            shape = s.shape
            step = max(1, _SE_CHUNK // s.size)
            na, mu, acc = 0, np.zeros(shape, dtype=complex), np.zeros(shape + (2,))
            for a in range(0, c, step):
                x = k[a:a + step, r0:r1, None] * k[a:a + step, None, r0:].conj()
                x -= s
                nb = x.shape[0]
                mb = x.sum(axis=0) / nb
                x -= mb
                v = x.view(float).reshape((nb,) + shape + (2,))
                dl = (mb - mu).view(float).reshape(shape + (2,))
                acc += np.einsum("nabk,nabk->abk", v, v)
                acc += dl * dl * (na * nb / (na + nb))
                mu += (mb - mu) * (nb / (na + nb))
                na += nb
            m2[r0:r1, r0:] = acc
        m2 = np.where(upper, m2, m2.swapaxes(0, 1)) / ((c - 1) * c)
        se_r[t][rows, cols] = np.sqrt(m2[..., 0])
        se_i[t][rows, cols] = np.sqrt(m2[..., 1])
    return se_r, se_i


@dataclass(frozen=True, eq=False, repr=False)
class SystemTrajectoryResult(TrajectoryCommon, Result):
    """Result of :func:`magbell.trajectories` for an N-site System.

    times (T,); kets (n, T, D): each trajectory's normalised state at each time in the sector basis (the
    sectors ``sectors`` concatenated, ``offsets`` their starts; within a sector the configurations of
    :func:`magbell.liouvillian._excitation.configurations`, i.e. increasing 2ᴺ basis index), the lab-frame
    phases included; jump_times, jump_channels (n, J): the records (NaN / −1 padded); n_jumps (n,);
    channels: the channel names ``"h_plus:k"`` (k-th eigenvector of the block, rates in info["rates"]);
    seed; initial: {n: amplitudes} of a pure initial state (else the sector density matrix); info.
    """

    times: np.ndarray
    system: object
    initial: object
    sectors: tuple
    offsets: np.ndarray
    kets: np.ndarray
    jump_times: np.ndarray
    jump_channels: np.ndarray
    n_jumps: np.ndarray
    channels: tuple
    seed: object
    info: dict = field(default_factory=dict)

    _METHOD = "quantum jumps (N sites)"

    @property
    def model(self):
        return self.system

    @property
    def record(self) -> SystemJumpRecord:
        return SystemJumpRecord(self.jump_times, self.jump_channels, self.channels)

    def jump_counts(self) -> dict:
        """Total number of jumps per channel name."""
        return {name: int(np.sum(self.jump_channels == i)) for i, name in enumerate(self.channels)}

    def block_counts(self) -> np.ndarray:
        """(n, 3) jumps per trajectory in the blocks h_plus, h_minus, h_z (independent of how a block is
        split into channels: the counting statistics of a block is that of its dissipator term)."""
        return np.stack([self.record.count(b) if any(c.startswith(b + ":") for c in self.channels)
                         else np.zeros(self.n, dtype=int) for b in BLOCKS], axis=1)

    def selection(self, select=None) -> np.ndarray:
        """(n, T) boolean: trajectory selected at time t_k by the predicate applied to its record up to t_k."""
        return self._selection(_as_predicate(select, self.channels))

    def site_populations_per_trajectory(self) -> np.ndarray:
        """(n, T, N): <ψ|n_i|ψ> of every trajectory (probability that site i is ↓)."""
        return _site_pops(self.kets, self.system.N, self.sectors, self.offsets)

    def average(self, select=None) -> SystemEnsembleAverage:
        """Average over the trajectories selected by ``select``: None/'all', 'no-jump', 'no-h_plus' (blocks or
        channel names, comma separated), or a callable ``f(SystemJumpRecord) -> bool (n,)``."""
        w = self.selection(select).astype(float)
        count = w.sum(axis=0)
        safe = np.where(count > 0, count, 1.0)
        none = count == 0
        pops, pse = _mean_se(self.site_populations_per_trajectory(), w, safe)
        pops = np.where(none[:, None], np.nan, pops)
        N = self.system.N
        rho = se_r = se_i = conc = None
        T = len(count)
        if N <= DENSE_AVERAGE_MAX_SITES and 3 * 16 * T * 4**N <= DENSE_AVERAGE_MAX_BYTES:
            idx, d = _dense_index(N, self.sectors), 2**N
            rho = np.zeros((T, d, d), dtype=complex)
            rho[:, idx[:, None], idx[None, :]] = _mean_state(self.kets, w, safe)
            rho[none] = np.nan
            lazy = _LazyDenseSE(self.kets, w, idx, d)
            se_r, se_i = _Part(lazy, False), _Part(lazy, True)
            if N == 2:
                from ..measures import _two_qubit as _measures

                conc = np.full(len(count), np.nan)
                ok = ~none
                if np.any(ok):
                    r = rho[ok]
                    conc[ok] = _measures.concurrence((r + np.conj(np.swapaxes(r, -1, -2))) / 2)
        frac = count / self.n
        return SystemEnsembleAverage(pops, pse, rho, se_r, se_i, count.astype(int), frac,
                                     np.sqrt(frac * (1 - frac) / self.n), conc, np.asarray(self.times))

    def __repr__(self) -> str:
        jc = ", ".join(f"{k}: {v}" for k, v in self.jump_counts().items() if v)
        return (f"SystemTrajectoryResult(N={self.system.N}, n={self.n}, times={len(self.times)}, sectors={self.sectors}, "
                f"jumps={int(self.n_jumps.sum())} ({jc}), seed={self.seed!r})")


def _site_pops(kets, N, sectors, offsets):
    import scipy.sparse as sp
    from ..liouvillian._excitation import configurations

    n, T, D = kets.shape
    out = np.zeros((n * T, N))
    w = (np.abs(kets) ** 2).reshape(n * T, D)
    for s, k in enumerate(sectors):
        if k == 0:
            continue
        conf = configurations(N, k)
        M = conf.shape[0]
        occ = sp.csr_matrix((np.ones(conf.size), (np.repeat(np.arange(M), k), conf.reshape(-1))), shape=(M, N))
        out += np.asarray((occ.T @ w[:, offsets[s]:offsets[s] + M].T).T)
    return out.reshape(n, T, N)


def _dense_index(N, sectors) -> np.ndarray:
    """(D,): the 2ᴺ basis index of every sector-basis component (the sectors concatenated)."""
    from ..liouvillian._excitation import basis_index

    return np.concatenate([basis_index(N, k) for k in sectors])


def _embed(kets, N, sectors, offsets):
    """(..., 2ᴺ): the sector-basis kets (..., D) in the 2ᴺ basis."""
    from ..liouvillian._excitation import basis_index

    out = np.zeros(kets.shape[:-1] + (2**N,), dtype=complex)
    for s, k in enumerate(sectors):
        out[..., basis_index(N, k)] = kets[..., offsets[s]:offsets[s + 1]]
    return out
