"""Quantum trajectories of an N-site System: Monte Carlo wave functions in the excitation-sector basis.

The master equation of :class:`magbell.System` (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022), Eqs. 2–4,
11–12 and S38 for N sites; docs/nqubits.md) is dρ/dt = −i(H_eff ρ − ρ H_eff†) + 2 Σ_b Σ_ij h^b_ij O^b_i ρ O^b_j†
with O⁺ = σ⁺, O⁻ = σ⁻, Oᶻ = σᶻ. Each Kossakowski block is diagonalised, h^b = Σ_k λ_k v_k v_k†, giving
independent jump operators J_{b,k} = sqrt(λ_k) Σ_i v_k[i] O^b_i (channels with λ_k at rounding level are
dropped), so the dissipator is Σ_{b,k} D_{J_{b,k}} in the paper's convention (rate 2‖Jψ‖²; QuTiP's
collapse operators are √2·J). The unravelling is the exact waiting-time Monte Carlo wave function
(Dalibard, Castin & Mølmer, PRL 68, 580 (1992); Mølmer, Castin & Dalibard, JOSA B 10, 524 (1993)), as
:func:`magbell.trajectories` for two qubits: draw r ∈ (0, 1], evolve with e^{−iH_eff τ} until
‖ψ(τ)‖² = r (safeguarded Newton on log‖ψ‖², derivative −2<ψ|K|ψ>/<ψ|ψ>, K = Σ J†J), jump with a channel
drawn ∝ ‖J_cψ‖². No time step.

Kets are kept in the excitation-sector basis (configurations of :mod:`magbell.liouvillian._excitation`),
concatenated over the sectors the initial state can reach (σ⁺ jumps lower the excitation number n, σ⁻
jumps raise it, σᶻ jumps keep it): never 2ᴺ amplitudes when the reached sectors are small. H_eff conserves n,
so the no-jump propagator is one small matrix exponential per sector: its eigendecomposition where the
eigenvectors are well conditioned (cond ≤ COND_MAX), else scaled Padé exponentials per trajectory
(exceptional points included). The mean splitting Δ̄ commutes with everything and only gives jumped kets a
global phase, so trajectories run in the frame rotating with Δ̄ and the exact phase e^{−iΔ̄nt} is applied to
sector n at the output times.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..errors import InvalidParameterError, InvalidStateError
from ._system_trajectory_result import BLOCKS, SystemEnsembleAverage, SystemJumpRecord, SystemTrajectoryResult

__all__ = ["system_trajectories", "SystemTrajectoryResult", "SystemJumpRecord", "SystemEnsembleAverage",
           "MAX_SECTOR_DIM", "MAX_KET_DIM", "COND_MAX", "TRAJ_T_NORM_MAX"]

#: largest single excitation sector C(N, n) whose H_eff is decomposed densely
MAX_SECTOR_DIM = 2000
#: largest ket dimension (all reached sectors together)
MAX_KET_DIM = 50_000
#: largest t·‖H_eff‖₁ (mean splitting removed): the propagators' rounding ~cond·eps·‖H_eff‖·t biases the
#: no-jump norms, i.e. the jump probabilities, by at most ~1e-6·cond there
TRAJ_T_NORM_MAX = 1e10
#: largest ill-conditioned sector propagated by per-trajectory scaled Padé exponentials (cost d³ per trajectory)
EXPM_MAX_DIM = 48
#: memory of one chunk of jumped kets' all-channel arrays
JUMP_CHUNK_BYTES = 2**27
#: eigenvector condition number above which a sector's propagator uses scaled Padé exponentials instead
COND_MAX = 1e4


# ============================================================================== the engine
class _SectorProp:
    """e^{−iH τ}ψ for one sector's H_eff (Δ̄ removed), batched over trajectories with their own τ."""

    def __init__(self, H: np.ndarray, n: int = 0, bk=None):
        from ..backend import get_backend

        self.bk = bk = get_backend() if bk is None else bk
        self.H = H
        self.K = 0.5j * (H - H.conj().T)  # H_eff = H − iK
        self.K = (self.K + self.K.conj().T) / 2
        d = H.shape[0]
        self.mode = "expm"
        if d == 1:
            self.mode, self.w = "scalar", H[0, 0]
            return
        with np.errstate(all="ignore"):
            w, V = bk.eig(H)
            cond = np.linalg.cond(V)
        if np.isfinite(cond) and cond <= COND_MAX:
            self.mode, self.w, self.V = "eig", w, V
            self.Vinv = bk.solve(V, np.eye(d, dtype=V.dtype))
        self.cond = float(cond) if np.isfinite(cond) else np.inf
        if self.mode == "expm" and d > EXPM_MAX_DIM:
            raise InvalidParameterError(
                f"trajectories: H_eff on the {n}-excitation sector ({d} configurations) has eigenvectors of condition "
                f"number {self.cond:.3g} > {COND_MAX:.0e} (at or near an exceptional point); its per-trajectory "
                f"exponential is limited to {EXPM_MAX_DIM} configurations; use magbell.evolve / magbell.postselect"
            )

    def apply(self, tau: np.ndarray, psi: np.ndarray) -> np.ndarray:
        tau = np.asarray(tau, dtype=float)
        if psi.shape[0] == 0:
            return psi.copy()
        if self.mode == "scalar":
            return np.exp(-1j * self.w * tau)[:, None] * psi
        if self.mode == "eig":
            c = psi @ self.Vinv.T
            return (c * np.exp(-1j * np.outer(tau, self.w))) @ self.V.T
        d = self.H.shape[0]
        out = np.empty_like(psi)
        step = max(1, 2**26 // (16 * d * d))  # a chunk of exponentials within 64 MiB
        for a in range(0, len(tau), step):
            sl = slice(a, a + step)
            E, c = self.bk.scaled_expm(-1j * self.H[None] * tau[sl, None, None])
            with np.errstate(under="ignore"):
                f = np.ldexp(1.0, np.clip(c, -1100, 1100).astype(np.int32))
            out[sl] = np.einsum("mij,mj->mi", E, psi[sl]) * f[:, None]
        return out

    def kform(self, phi: np.ndarray) -> np.ndarray:
        return np.real(np.einsum("mi,ij,mj->m", phi.conj(), self.K, phi))


class _Engine:
    """Propagators, K and jump maps on the concatenated reached sectors, from the sector operators of
    :class:`magbell.solvers._system_sectors.Point` (its excitation system, its channel split of each block and
    its σᶻ spin map: the same as the steady state's and the postselection's)."""

    def __init__(self, pt, sectors):
        from ..liouvillian._excitation import lowering_stack, raising_stack

        N, ex = pt.N, pt.ex
        self.N, self.sectors = N, tuple(sectors)
        sizes = [comb(N, k) for k in sectors]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.D = int(self.offsets[-1])
        self.props = [_SectorProp(ex.heff(k).toarray(), k, pt.bk) for k in sectors]
        # channels: the eigenvectors of each block (Point's split)
        self.names, self.rates, self.block_of, vecs = [], [], [], {}
        for b in BLOCKS:
            if not np.any(pt.g[b]):
                continue
            V, lam = pt.jumps[b]
            coef = (V.T * np.sqrt(lam)).T  # (C, N): J_c = Σ_i coef[c, i] O_i
            vecs[b] = coef
            for k, lk in enumerate(lam):
                self.names.append(f"{b}:{k}")
                self.rates.append(float(lk))
                self.block_of.append(b)
        self.coef = vecs
        self.pos = {k: s for s, k in enumerate(sectors)}
        # bytes per ket of the all-channel arrays of jumped(): channels × target sector, per block and sector
        self.row_bytes = 16 * sum(vecs[b].shape[0] * comb(N, k + {"h_plus": -1, "h_minus": 1, "h_z": 0}[b])
                                  for b in vecs for k in sectors if 0 <= k + {"h_plus": -1, "h_minus": 1, "h_z": 0}[b] <= N)
        self.maps = {}
        for s, k in enumerate(sectors):
            if "h_plus" in vecs and k >= 1 and (k - 1) in self.pos:
                self.maps[("h_plus", k)] = lowering_stack(N, k).tocsr()  # (N·M_{k−1}, M_k)
            if "h_minus" in vecs and k + 1 <= N and (k + 1) in self.pos:
                self.maps[("h_minus", k)] = raising_stack(N, k).tocsr()  # (N·M_{k+1}, M_k)
            if "h_z" in vecs:
                self.maps[("h_z", k)] = vecs["h_z"] @ pt.spins(k)  # (C_z, M_k)

    def block(self, x, s):
        return x[:, self.offsets[s]:self.offsets[s + 1]]

    def apply(self, tau, psi):
        out = np.empty_like(psi)
        for s, P in enumerate(self.props):
            out[:, self.offsets[s]:self.offsets[s + 1]] = P.apply(tau, self.block(psi, s))
        return out

    def kform(self, phi):
        return sum(P.kform(self.block(phi, s)) for s, P in enumerate(self.props))

    def jumped(self, phi):
        """All channels' J_cφ: list per channel group of (channel indices, {target sector: (m, C, M)}) and
        the weights (m, n_channels)."""
        m = phi.shape[0]
        w = np.zeros((m, len(self.names)))
        parts = []
        start = 0
        for b in BLOCKS:
            if b not in self.coef:
                continue
            coef = self.coef[b]
            C = coef.shape[0]
            tgt = {}
            for s, k in enumerate(self.sectors):
                x = self.block(phi, s)
                if not np.any(x):
                    continue
                if b == "h_z":
                    A = self.maps[("h_z", k)][None, :, :] * x[:, None, :]  # (m, C, M_k)
                    tgt[k] = tgt.get(k, 0) + A
                    continue
                key = (b, k)
                if key not in self.maps:
                    continue
                k2 = k - 1 if b == "h_plus" else k + 1
                Y = (self.maps[key] @ x.T).reshape(self.N, comb(self.N, k2), m)
                A = np.einsum("ci,ikm->mck", coef, Y)
                tgt[k2] = tgt.get(k2, 0) + A
            for k2, A in tgt.items():
                w[:, start:start + C] += np.sum(np.abs(A) ** 2, axis=2)
            parts.append((start, C, tgt))
            start += C
        return parts, w

    def jump(self, phi, u01):
        """Channels drawn ∝ ‖J_cφ‖² (u01: uniform numbers, one per ket) and the normalised jumped kets; in chunks
        whose all-channel intermediate arrays stay below JUMP_CHUNK_BYTES (a full-rank h_z at N = 2000 holds
        N × C(N, 1) amplitudes per ket)."""
        m = phi.shape[0]
        step = max(1, JUMP_CHUNK_BYTES // max(self.row_bytes, 1))
        ch = np.zeros(m, dtype=int)
        new = np.zeros((m, self.D), dtype=complex)
        nch = len(self.names)
        for a in range(0, m, step):
            sl = slice(a, min(m, a + step))
            parts, w = self.jumped(phi[sl])
            cw = np.cumsum(w, axis=1)
            c = np.minimum(np.sum(cw <= (u01[sl] * cw[:, -1])[:, None], axis=1), nch - 1)
            bad = w[np.arange(len(c)), c] == 0  # a zero-weight channel only at u == total: the last nonzero one
            if np.any(bad):
                c[bad] = np.argmax(cw[bad] >= cw[bad, -1:], axis=1)
            x = self.new_kets(parts, c)
            new[sl] = x / np.sqrt(np.sum(np.abs(x) ** 2, axis=1))[:, None]
            ch[sl] = c
        return ch, new

    def new_kets(self, parts, ch):
        m = ch.size
        out = np.zeros((m, self.D), dtype=complex)
        rows = np.arange(m)
        for start, C, tgt in parts:
            sel = (ch >= start) & (ch < start + C)
            if not np.any(sel):
                continue
            for k2, A in tgt.items():
                s2 = self.pos[k2]
                out[rows[sel], self.offsets[s2]:self.offsets[s2 + 1]] = A[rows[sel], ch[sel] - start]
        return out


def _jump_time(eng: _Engine, psi, logr, hi):
    """τ in (0, hi] with log‖e^{−iH τ}ψ‖² = log r: the two-site root finder (safeguarded Newton on the bracket,
    then bisection; :func:`magbell.solvers._nojump.jump_time`) on the concatenated sectors."""
    from ._nojump import jump_time

    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        return jump_time(eng.apply, eng.kform, psi, logr, hi)


# ============================================================================== public
def _reach(occupied, N, down: bool, up: bool) -> list:
    lo, hi = min(occupied), max(occupied)
    return list(range(0 if down else lo, (N if up else hi) + 1))


def system_trajectories(system, initial, times, *, n=1000, seed=None, max_events=None, max_states=None,
                        max_jumps_per_trajectory=None, backend="numpy") -> SystemTrajectoryResult:
    """``n`` quantum trajectories of an N-site System from ``initial`` (u/d string, dict of strings, 'W',
    'dicke:k', 'singlet:i,j', a dense ket or density matrix for small N), recorded at ``times`` with their jump
    records (module docstring). Seeded like the two-qubit :func:`magbell.trajectories`; a single System.

    Guards (one-line :class:`~magbell.errors.InvalidParameterError`, before any work): ``n`` a positive integer;
    n × len(times) ≤ ``max_states`` (default 2·10⁷, as for two qubits) and the stored amplitudes
    n × len(times) × D ≤ 4·``max_states`` (D = ket dimension over the reached sectors: the two-qubit memory);
    each sector ≤ MAX_SECTOR_DIM and D ≤ MAX_KET_DIM; the expected jumps 2·tr(Kρ₀)·t_max of one trajectory ≤
    ``max_jumps_per_trajectory`` (default 3000) and n times that ≤ ``max_events`` (default 2·10⁷);
    t_max·‖H_eff‖₁ ≤ TRAJ_T_NORM_MAX (Δ̄ removed) and the accuracy domain of magbell.evolve.
    ``backend`` (:func:`magbell.backend.get_backend`, recorded in ``result.backend``): its ``eig``/``solve`` give the
    sectors' eigen-propagators, ``scaled_expm`` the exceptional-point fallback, ``eigh`` a mixed initial state.
    """
    from . import _trajectories as _tq
    from ._evolve import validate_times
    from ._nsite_evolve import initial_blocks, is_state_list
    from ._system_sectors import Point, _point_arrays, check_system, mean_phase
    from .._domain import PHASE_MAX, RATE_MAX

    from ..backend import get_backend, record_backend

    bk = get_backend(backend)
    check_system(system, "trajectories")
    if system.shape != ():
        raise InvalidParameterError(
            f"trajectories need a single System, but this one is a grid of shape {system.shape}; index it first "
            "(the trajectory axis is the batch)"
        )
    t = validate_times(times)
    n = _tq._check_count("n", n, "the number of trajectories")
    max_events = _tq._check_count("max_events", _tq.MAX_EVENTS if max_events is None else max_events,
                                  "the most jumps in all")
    max_states = _tq._check_count("max_states", _tq.MAX_STATES if max_states is None else max_states,
                                  "the most stored kets n × len(times)")
    per_traj = _tq._check_count("max_jumps_per_trajectory", _tq.MAX_JUMPS_PER_TRAJECTORY
                                if max_jumps_per_trajectory is None else max_jumps_per_trajectory,
                                "the most jumps expected of one trajectory")
    seed = _tq._check_seed(seed)
    N = system.N
    g, dbar = _point_arrays(system, ())
    t_max = float(t.max())
    top = max(float(np.max(np.abs(g[k]))) for k in ("Delta", "J_perp", "J_z", "D") + BLOCKS)
    if max(top, abs(dbar)) > RATE_MAX:
        raise InvalidParameterError(f"trajectories: a rate or coupling exceeds {RATE_MAX:.0e}; rescale the unit of time")
    if abs(dbar) * t_max > PHASE_MAX:
        raise InvalidParameterError(f"trajectories: |mean Delta|·t = {abs(dbar) * t_max:.3g} exceeds {PHASE_MAX:.0e}")
    if is_state_list(initial):  # as evolve: a list of numbers is one ket, any other list several states
        raise InvalidParameterError("trajectories take one initial state (run once per initial state)")
    kind, data = initial_blocks(initial, N)
    occ = sorted(data) if kind == "ket" else sorted({k for nm in data for k in nm})
    down, up = bool(np.any(g["h_plus"])), bool(np.any(g["h_minus"]))
    sectors = _reach(occ, N, down, up)
    sizes = [comb(N, k) for k in sectors]
    D = sum(sizes)
    if max(sizes) > MAX_SECTOR_DIM or D > MAX_KET_DIM:
        raise InvalidParameterError(
            f"trajectories: N = {N} sites, the initial state reaches the excitation sectors {sectors[0]}…{sectors[-1]} "
            f"(largest C(N, n) = {max(sizes)}, {D} amplitudes per ket), beyond the limits {MAX_SECTOR_DIM} per sector "
            f"and {MAX_KET_DIM} per ket; use fewer sites or excitations, or zero temperature (h_minus = 0)"
        )
    T_out = len(t)
    if n * T_out > max_states or n * T_out * D > 4 * max_states:
        raise InvalidParameterError(
            f"n × len(times) × D = {n} × {T_out} × {D} = {n * T_out * D:.3g} stored amplitudes exceeds 4 × max_states "
            f"= {4 * max_states} ({16 * n * T_out * D / 2**30:.3g} GiB); lower n or the number of times, or raise "
            "max_states"
        )
    pt = Point(system, (), dense=False, bk=bk)  # the sector operators and channel split of every N-site solver
    ex = pt.ex
    hnorm = max(float(abs(ex.heff(k)).sum(axis=0).max()) for k in sectors)
    if hnorm * t_max > TRAJ_T_NORM_MAX:
        raise InvalidParameterError(
            f"trajectories: t·‖H_eff‖ = {hnorm * t_max:.3g} (Δ̄ removed) exceeds {TRAJ_T_NORM_MAX:.0e}: the no-jump "
            "norms (the jump probabilities) would carry a rounding bias above ~1e-6; shorten the times"
        )
    eng = _Engine(pt, sectors)

    # initial kets in the sector basis
    rng = np.random.default_rng(seed)
    if kind == "ket":
        psi0 = np.zeros(D, dtype=complex)
        for k, v in data.items():
            s = sectors.index(k)
            psi0[eng.offsets[s]:eng.offsets[s + 1]] = v
        psi = np.broadcast_to(psi0, (n, D)).copy()
        rho0 = None
        init_record = dict(data)
        which0 = np.zeros(n, dtype=int)
        rate0 = 2 * float(eng.kform(psi0[None])[0])
    else:
        if D > 4096:
            raise InvalidStateError(
                f"trajectories: a mixed initial state is sampled from its eigenvectors on the reached sectors ({D} "
                "amplitudes > 4096); give a pure state"
            )
        rho0 = np.zeros((D, D), dtype=complex)
        for (a, b), X in data.items():
            sa, sb = sectors.index(a), sectors.index(b)
            rho0[eng.offsets[sa]:eng.offsets[sa + 1], eng.offsets[sb]:eng.offsets[sb + 1]] = X
            if a != b:
                rho0[eng.offsets[sb]:eng.offsets[sb + 1], eng.offsets[sa]:eng.offsets[sa + 1]] = X.conj().T
        p, V = bk.eigh((rho0 + rho0.conj().T) / 2)
        p = np.where(p > 1e-14, p, 0.0)
        p = p / p.sum()
        which0 = rng.choice(D, size=n, p=p)
        psi = V[:, which0].T.astype(complex).copy()
        init_record = rho0
        rate0 = 2 * float(sum(np.real(np.trace(P.K @ rho0[eng.offsets[s]:eng.offsets[s + 1],
                                                            eng.offsets[s]:eng.offsets[s + 1]]))
                                  for s, P in enumerate(eng.props)))
    _tq._check_expected_jumps(max(rate0, 0.0), t_max, n, per_traj, max_events)
    r = 1.0 - rng.random(n)

    tt, inverse = np.unique(t, return_inverse=True)
    kets, events = _tq.mcwf_loop(eng.apply, lambda psi, logr, hi: _jump_time(eng, psi, logr, hi), eng.jump, psi, r,
                                 tt, rng, max_events, per_traj)
    if dbar:  # back to the lab frame: e^{−iΔ̄ n t} on sector n (the constant N/2 is a global phase)
        for s, kk in enumerate(sectors):
            if kk:
                c, si = mean_phase(dbar, tt, -kk)
                kets[:, :, eng.offsets[s]:eng.offsets[s + 1]] *= (c + 1j * si)[None, :, None]

    jt, jc, counts = _tq.jump_records(events, n)
    info = {
        "method": "exact waiting-time Monte Carlo wave function in the excitation-sector basis (no time step)",
        "rates": dict(zip(eng.names, eng.rates)),
        "channel_vectors": {nm: eng.coef[b][int(nm.split(':')[1])] / np.sqrt(rt)
                            for nm, b, rt in zip(eng.names, eng.block_of, eng.rates)},
        "propagators": {k: P.mode for k, P in zip(sectors, eng.props)},
        "ket_dimension": D,
        "initial_components": np.bincount(which0, minlength=1 if rho0 is None else D),
    }
    return record_backend(SystemTrajectoryResult(
        times=t, system=system, initial=init_record, sectors=tuple(sectors), offsets=eng.offsets,
        kets=kets[:, inverse], jump_times=jt, jump_channels=jc, n_jumps=counts, channels=tuple(eng.names), seed=seed,
        info=info), bk)
