"""Independent reference for the benchmark: operators, 16x16 Liouvillian, concurrence.

Nothing here imports magbell; it is the "slow, obvious" check every peer and
magbell are measured against.

Conventions (hbar = 1)
----------------------
* basis |uu>, |ud>, |du>, |dd> (indices 0..3), |u> = (1, 0), qubit 1 is the left
  tensor factor, sigma_z|u> = +|u>, sigma_+ = |u><d|, sigma_- = |d><u|.
* H = -(Delta_1 sigma_1z + Delta_2 sigma_2z)/2 with mean field Delta = 0 and
  Delta_1 - Delta_2 = 2 delta, i.e. H = -delta (sigma_1z - sigma_2z)/2.
* Jump operators, paper Eq. (5) / Suppl. (S37), with |A|, |A~| entering only
  through their moduli:
      J1 = sqrt((a~ + |A~|)/2) (s1- + s2-),   J2 = sqrt((a~ - |A~|)/2) (s1- - s2-)
      J3 = sqrt((a  + |A| )/2) (s1+ + s2+),   J4 = sqrt((a  - |A| )/2) (s1+ - s2+)
  and d rho/dt = -i[H, rho] - sum_i D_Ji[rho],
  D_J[rho] = J^dag J rho + rho J^dag J - 2 J rho J^dag   (paper Eqs. 6-7).
  In the standard Lindblad form used by QuTiP / dynamiqs,
  d rho/dt = -i[H, rho] + sum_k (L rho L^dag - {L^dag L, rho}/2), so L_k = sqrt(2) J_k.
* Row-major vectorisation: vec(rho) = rho.reshape(-1), vec(A rho B) = (A kron B^T) vec(rho).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

# --- single-qubit and two-qubit operators -----------------------------------
_I2 = np.eye(2, dtype=complex)
_SZ = np.diag([1.0, -1.0]).astype(complex)
_SP = np.array([[0, 1], [0, 0]], dtype=complex)  # sigma_+ = |u><d|
_SM = _SP.T.copy()  # sigma_- = |d><u|

S1Z, S2Z = np.kron(_SZ, _I2), np.kron(_I2, _SZ)
S1P, S2P = np.kron(_SP, _I2), np.kron(_I2, _SP)
S1M, S2M = np.kron(_SM, _I2), np.kron(_I2, _SM)

BASIS = ("uu", "ud", "du", "dd")


def ket(label: str) -> np.ndarray:
    """Basis ket, e.g. ket('ud') = |ud> = (0, 1, 0, 0)."""
    v = np.zeros(4, dtype=complex)
    v[BASIS.index(label)] = 1.0
    return v


def dm(label: str) -> np.ndarray:
    v = ket(label)
    return np.outer(v, v.conj())


def hamiltonian(delta) -> np.ndarray:
    """H = -delta (s1z - s2z)/2; delta may be an array -> shape (*delta.shape, 4, 4)."""
    delta = np.asarray(delta, dtype=float)
    return -0.5 * delta[..., None, None] * (S1Z - S2Z)


def jump_rates(a, A, a_tilde, A_tilde):
    """Rates gamma_i with J_i = sqrt(gamma_i) * O_i, broadcast over the parameters."""
    a, A, at, At = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (a, A, a_tilde, A_tilde)))
    A, At = np.abs(A), np.abs(At)
    return ((at + At) / 2, (at - At) / 2, (a + A) / 2, (a - A) / 2)


JUMP_SHAPES = (S1M + S2M, S1M - S2M, S1P + S2P, S1P - S2P)  # O_1 .. O_4


def collapse_ops(a, A, a_tilde, A_tilde, drop_zero: bool = True):
    """Standard-form collapse operators L_i = sqrt(2) J_i for ONE parameter point.

    Operators with an exactly zero rate are dropped when drop_zero (they do no work
    but cost solver time); the same list is handed to every peer.
    """
    ops = []
    for g, O in zip(jump_rates(a, A, a_tilde, A_tilde), JUMP_SHAPES):
        g = float(g)
        if g < 0:
            raise ValueError(f"negative jump rate {g}: violates a >= |A|, a~ >= |A~| (Suppl. S42)")
        if g == 0.0 and drop_zero:
            continue
        ops.append(np.sqrt(2.0 * g) * O)
    return ops


def liouvillian(delta, a, A, a_tilde, A_tilde) -> np.ndarray:
    """16x16 row-major Liouvillian, broadcast over parameters -> (*shape, 16, 16).

    L vec(rho) = vec(-i[H, rho] - sum_i D_Ji[rho]).
    """
    delta, a, A, at, At = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (delta, a, A, a_tilde, A_tilde)))
    I4 = np.eye(4)
    H = hamiltonian(delta)
    L = -1j * (_bkron(H, I4) - _bkron(I4, np.swapaxes(H, -1, -2)))
    for g, O in zip(jump_rates(a, A, at, At), JUMP_SHAPES):
        OdO = O.conj().T @ O
        # -D_J = 2 J rho J^dag - J^dag J rho - rho J^dag J, with J = sqrt(g) O
        blk = 2.0 * np.kron(O, O.conj()) - np.kron(OdO, I4) - np.kron(I4, OdO.T)
        L = L + g[..., None, None] * blk
    return L


def _bkron(X, Y):
    """Batched Kronecker product over the last two axes."""
    X, Y = np.asarray(X), np.asarray(Y)
    out = X[..., :, None, :, None] * Y[..., None, :, None, :]
    s = out.shape
    return out.reshape(*s[:-4], s[-4] * s[-3], s[-2] * s[-1])


def expm_many(M: np.ndarray) -> np.ndarray:
    """scipy.linalg.expm over leading axes, one call per matrix.

    (A Python loop over 16x16 matrices is ~10x faster than SciPy's batched expm
    path here: ~0.15 ms per matrix.)
    """
    M = np.asarray(M)
    flat = M.reshape(-1, *M.shape[-2:])
    out = np.empty_like(flat, dtype=complex)
    for i in range(len(flat)):
        out[i] = scipy.linalg.expm(flat[i])
    return out.reshape(M.shape)


def evolve_expm(L: np.ndarray, rho0: np.ndarray, times) -> np.ndarray:
    """rho(t) = unvec(expm(L t) vec(rho0)) for every t: one expm per (point, time).

    L: (*shape, 16, 16) -> returns (*shape, len(times), 4, 4). Exact up to expm's
    own rounding, also at exceptional points (no eigendecomposition involved).
    """
    times = np.asarray(times, dtype=float)
    P = expm_many(L[..., None, :, :] * times[:, None, None])
    v = P @ rho0.reshape(-1)
    return v.reshape(*v.shape[:-1], 4, 4)


def evolve_stepping(L: np.ndarray, rho0: np.ndarray, times, reduce=None) -> np.ndarray:
    """Cheaper full-grid reference for uniformly spaced times starting at 0: one
    expm(L dt) per point, then repeated application. Agrees with evolve_expm to
    ~1e-14 (the benchmark checks and prints this on the subset).

    reduce: optional map applied to the states (*shape, 4, 4) of every time step
    (e.g. the concurrence), so the full state history is never stored; the result
    then has shape (*shape, len(times), *reduce_output_shape).
    """
    times = np.asarray(times, dtype=float)
    dt = np.diff(times)
    if times[0] != 0.0 or np.ptp(dt) > 1e-12 * times[-1]:
        raise ValueError("evolve_stepping needs uniformly spaced times starting at 0")
    reduce = reduce or (lambda rho: rho)
    P = expm_many(L * dt[0])
    v = np.broadcast_to(rho0.reshape(-1), L.shape[:-1]).astype(complex)
    out = []
    for k in range(len(times)):
        if k:
            v = np.einsum("...ij,...j->...i", P, v)
        out.append(reduce(v.reshape(*v.shape[:-1], 4, 4)))
    return np.stack(out, axis=L.ndim - 2)


def steady_state_longtime(L: np.ndarray, rho0: np.ndarray, t: float = 1e8) -> np.ndarray:
    """unvec(expm(L t) vec(rho0)): the brute-force long-time limit (cross-check only).

    Caveat measured in this benchmark: at t = 1e8 expm needs ~30 squarings and the
    result carries ~1e-7 trace error / ~1e-6 differences to t = 1e10; use
    steady_state_projector as the reference and a moderate t as the cross-check.
    """
    v = expm_many(L * t) @ rho0.reshape(-1)
    return v.reshape(*v.shape[:-1], 4, 4)


def steady_state_projector(L: np.ndarray, rho0: np.ndarray, rtol: float = 1e-10):
    """Exact initial-state-dependent limit lim_{t->inf} exp(L t) rho0.

    For a Lindbladian the eigenvalue 0 is semisimple, so the limit is the spectral
    projector onto ker L along ran L: P0 = R (U^H R)^{-1} U^H with R the right and
    U the left null vectors (from one SVD). Returns (rho_inf, kernel_dim).
    (Assumes no other purely imaginary eigenvalues, true here since the mean field
    Delta is 0; the benchmark cross-checks against expm(L t) at finite t.)
    """
    flat = L.reshape(-1, 16, 16)
    U, s, Vh = np.linalg.svd(flat)
    kdim = (s <= rtol * s[:, :1]).sum(axis=-1)
    v0 = rho0.reshape(-1)
    out = np.empty((len(flat), 16), dtype=complex)
    for i in range(len(flat)):
        k = kdim[i]
        R = Vh[i, 16 - k:].conj().T  # (16, k) right null vectors
        Ul = U[i, :, 16 - k:]  # (16, k): Ul^H L = 0
        out[i] = R @ np.linalg.solve(Ul.conj().T @ R, Ul.conj().T @ v0)
    return out.reshape(*L.shape[:-2], 4, 4), kdim.reshape(L.shape[:-2])


def spectral_gap(L: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Smallest decay rate -Re(lambda) among the non-zero eigenvalues of L."""
    ev = np.linalg.eigvals(L)
    scale = np.abs(ev).max(axis=-1, keepdims=True)
    rates = np.where(np.abs(ev) <= rtol * scale, np.inf, -ev.real)
    return rates.min(axis=-1)


def clean_structural_zeros(rho: np.ndarray, a_tilde, A_tilde) -> np.ndarray:
    """Zero the entries of a REFERENCE state that vanish identically from |ud>.

    Starting from |ud><ud| (any temperature) only populations and rho_12 = <ud|rho|du>
    are ever fed (Suppl. Eq. S54; all other coherences obey homogeneous equations
    with zero initial value), and at T = 0 (a~ = |A~| = 0) additionally
    d rho_33/dt = -4 a rho_33, so rho_33 = <dd|rho|dd> = 0 for all t.
    expm leaves O(1e-16) round-off in those entries, and the concurrence
    2(|rho_12| - sqrt(rho_00 rho_33)) turns 1e-16 in rho_33 into ~1e-8: without this
    the reference itself would be off by 1e-8. Only used on reference states.
    """
    rho = np.array(rho, dtype=complex)
    keep = np.zeros((4, 4), dtype=bool)
    keep[np.diag_indices(4)] = True
    keep[1, 2] = keep[2, 1] = True
    rho[..., ~keep] = 0.0
    zero_T = (np.asarray(a_tilde) == 0) & (np.asarray(A_tilde) == 0)
    extra = rho.ndim - zero_T.ndim - 2  # e.g. a time axis
    zt = zero_T.reshape(zero_T.shape + (1,) * extra)
    rho[..., 3, 3] = np.where(np.broadcast_to(zt, rho.shape[:-2]), 0.0, rho[..., 3, 3])
    return rho


# --- concurrence --------------------------------------------------------------
def concurrence_x(rho: np.ndarray) -> np.ndarray:
    """X-state concurrence (Suppl. Eq. S52), batched over leading axes.

    C = 2 max(0, |rho_12| - sqrt(rho_00 rho_33), |rho_03| - sqrt(rho_11 rho_22)).
    Exact for states whose only off-diagonal entries are rho_12 and rho_03 (see
    x_residual); the dynamics from |ud> (or any diagonal state) under this model
    stays in that form. Negative diagonal round-off is clipped to 0 before the sqrt.
    """
    rho = np.asarray(rho)
    d = np.clip(np.real(np.diagonal(rho, axis1=-2, axis2=-1)), 0.0, None)
    c1 = np.abs(rho[..., 1, 2]) - np.sqrt(d[..., 0] * d[..., 3])
    c2 = np.abs(rho[..., 0, 3]) - np.sqrt(d[..., 1] * d[..., 2])
    return 2.0 * np.maximum(0.0, np.maximum(c1, c2))


_X_MASK = np.ones((4, 4), dtype=bool)
for _i, _j in [(0, 0), (1, 1), (2, 2), (3, 3), (1, 2), (2, 1), (0, 3), (3, 0)]:
    _X_MASK[_i, _j] = False


def x_residual(rho: np.ndarray) -> float:
    """Largest |entry| outside the X pattern (0 => concurrence_x is exact)."""
    return float(np.max(np.abs(np.asarray(rho)[..., _X_MASK]), initial=0.0))


_YY = np.kron(np.array([[0, -1j], [1j, 0]]), np.array([[0, -1j], [1j, 0]]))


def concurrence_wootters(rho: np.ndarray) -> np.ndarray:
    """General Wootters concurrence (Suppl. Eq. S49), batched; for cross-checks only.

    Note: sqrt of eigenvalues that are zero in exact arithmetic turns 1e-17 round-off
    into ~3e-9 errors, so this is NOT accurate to 1e-10 for rank-deficient states.
    """
    rho = np.asarray(rho, dtype=complex)
    rt = _YY @ rho.conj() @ _YY
    ev = np.linalg.eigvals(rho @ rt)
    lam = np.sort(np.sqrt(np.abs(ev.real)), axis=-1)[..., ::-1]
    return np.maximum(0.0, lam[..., 0] - lam[..., 1] - lam[..., 2] - lam[..., 3])


def concurrence_paper_overdamped(t, a, A, delta) -> np.ndarray:
    """Paper Eq. (S63), zero temperature, delta < |A|, initial |ud>."""
    t = np.asarray(t, dtype=float)
    A = abs(A)
    k0 = np.sqrt(A**2 - delta**2)
    return 2 * A * np.sinh(k0 * t) * np.exp(-2 * a * t) * np.sqrt((A * np.cosh(k0 * t)) ** 2 - delta**2) / k0**2
