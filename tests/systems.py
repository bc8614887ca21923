"""Independent references and analytic test systems for the magbell test suite.

This module imports nothing from magbell: everything here is built directly from the paper's formulas
(Eqs. 1-6, S38) with plain NumPy / SciPy / mpmath, so that the tests compare magbell against code that
shares none of its machinery. The derivations of the closed forms are written out in ``tests/README.md``.

Conventions (the same as magbell's, restated here on purpose): hbar = 1; basis |uu>, |ud>, |du>, |dd>
(indices 0..3); sigma_z|u> = +|u>; sigma+ = |u><d|; qubit 1 is the left tensor factor; dissipator
D_J[rho] = J^dag J rho + rho J^dag J - 2 J rho J^dag; master equation d rho/dt = -i[H, rho] - L[rho];
row-major vectorisation vec(rho)[4 i + j] = rho[i, j], so vec(A rho B) = kron(A, B^T) vec(rho).
"""

from __future__ import annotations

import mpmath
import numpy as np
from scipy.linalg import expm as scipy_expm
from scipy.linalg import sqrtm

# ---------------------------------------------------------------------------------------------
# Operators and states
# ---------------------------------------------------------------------------------------------

I2 = np.eye(2, dtype=complex)
SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]], dtype=complex)
SZ = np.array([[1, 0], [0, -1]], dtype=complex)
SP = np.array([[0, 1], [0, 0]], dtype=complex)  # sigma+ = |u><d|
SM = SP.T.copy()  # sigma- = |d><u|


PAULI = {"x": SX, "y": SY, "z": SZ, "+": SP, "-": SM}


def site_op(name: str, i: int, N: int) -> np.ndarray:
    """Dense 2ᴺ×2ᴺ Pauli/ladder operator ``name`` ("x", "y", "z", "+", "-") on site i (0-based; site 1 leftmost)."""
    out = np.ones((1, 1), dtype=complex)
    for k in range(N):
        out = np.kron(out, PAULI[name] if k == i else I2)
    return out


def system_h_k(s):
    """Dense H and K = Σ h_ij O_j†O_i (2ᴺ×2ᴺ) of an N-site System (any object with ``N``, ``Delta``, the three h
    blocks and ``J_perp``, ``J_z``, ``D``), from site operators: the System contract of issue 10, from scratch.
    H_eff = H − iK; the Lindbladian is :func:`system_generator`."""
    N = s.N
    H = sum(-0.5 * s.Delta[i] * site_op("z", i, N) for i in range(N))
    for i in range(N):
        for j in range(i + 1, N):
            H = H + s.J_perp[i, j] * (site_op("x", i, N) @ site_op("x", j, N) + site_op("y", i, N) @ site_op("y", j, N))
            H = H + s.J_z[i, j] * site_op("z", i, N) @ site_op("z", j, N)
            H = H + s.D[i, j] * (site_op("x", i, N) @ site_op("y", j, N) - site_op("y", i, N) @ site_op("x", j, N))
    K = 0
    for h, name in ((s.h_plus, "+"), (s.h_minus, "-"), (s.h_z, "z")):
        O = [site_op(name, i, N) for i in range(N)]
        K = K + sum(h[i, j] * O[j].conj().T @ O[i] for i in range(N) for j in range(N))
    return H, K


def system_generator(s) -> np.ndarray:
    """Dense row-major Lindbladian (4ᴺ×4ᴺ) of an N-site System, from :func:`system_h_k`'s H and the site operators."""
    N = s.N
    eye = np.eye(2**N)
    H, _ = system_h_k(s)
    L = -1j * (np.kron(H, eye) - np.kron(eye, H.T))
    for h, name in ((s.h_plus, "+"), (s.h_minus, "-"), (s.h_z, "z")):
        O = [site_op(name, i, N) for i in range(N)]
        for i in range(N):
            for j in range(N):
                P = O[j].conj().T @ O[i]
                L = L - h[i, j] * (np.kron(P, eye) + np.kron(eye, P.T) - 2 * np.kron(O[i], O[j].conj()))
    return L


def sinc_chain_blocks(N: int, ratio: float, a: float = 1.0) -> dict:
    """System keyword arrays of N sites on a line at unit spacing in a 1D medium with k·spacing = 1:
    h_plus = a·sin(r)/r, h_minus = ratio·h_plus, J_perp = (a/2)·cos(r)/r above the diagonal (benchmarks/bench_nsite.py's
    ``chain_system``). ``magbell.System(**sinc_chain_blocks(N, ratio))``."""
    x = np.arange(N, dtype=float)
    r = np.abs(x[:, None] - x[None, :])
    safe = np.where(r > 0, r, 1.0)
    S = np.where(r > 0, np.sin(r) / safe, 1.0)
    C = np.where(r > 0, np.cos(r) / safe, 0.0)
    return dict(Delta=np.ones(N), h_plus=a * S, h_minus=ratio * a * S, J_perp=np.triu(0.5 * a * C, 1))


def on(op: np.ndarray, site: int) -> np.ndarray:
    """Single-qubit operator on qubit ``site`` (0 = qubit 1, the left tensor factor)."""
    return np.kron(op, I2) if site == 0 else np.kron(I2, op)


S1X, S2X = on(SX, 0), on(SX, 1)
S1Y, S2Y = on(SY, 0), on(SY, 1)
S1Z, S2Z = on(SZ, 0), on(SZ, 1)
S1P, S2P = on(SP, 0), on(SP, 1)
S1M, S2M = on(SM, 0), on(SM, 1)
#: the operator list O of Eq. (3), in the paper's order
OPS = (S1M, S2M, S1P, S2P, S1Z, S2Z)

_R = 1 / np.sqrt(2)
KETS = {
    "uu": np.array([1, 0, 0, 0], dtype=complex),
    "ud": np.array([0, 1, 0, 0], dtype=complex),
    "du": np.array([0, 0, 1, 0], dtype=complex),
    "dd": np.array([0, 0, 0, 1], dtype=complex),
    "singlet": np.array([0, _R, -_R, 0], dtype=complex),
    "triplet0": np.array([0, _R, _R, 0], dtype=complex),
    "phi+": np.array([_R, 0, 0, _R], dtype=complex),
    "phi-": np.array([_R, 0, 0, -_R], dtype=complex),
}
KETS["psi-"] = KETS["singlet"]
KETS["psi+"] = KETS["triplet0"]


def proj(ket) -> np.ndarray:
    ket = np.asarray(ket, dtype=complex)
    return np.outer(ket, ket.conj())


def rho_of(name: str) -> np.ndarray:
    return proj(KETS[name])


def werner(p: float) -> np.ndarray:
    """p |singlet><singlet| + (1 - p) I/4."""
    return p * rho_of("singlet") + (1 - p) * np.eye(4) / 4


def random_density_matrix(rng: np.random.Generator, rank: int = 4) -> np.ndarray:
    """Random density matrix of the given rank (Ginibre construction G G^dag / tr)."""
    g = rng.normal(size=(4, rank)) + 1j * rng.normal(size=(4, rank))
    rho = g @ g.conj().T
    return rho / np.trace(rho).real


def random_ket(rng: np.random.Generator) -> np.ndarray:
    k = rng.normal(size=4) + 1j * rng.normal(size=4)
    return k / np.linalg.norm(k)


# ---------------------------------------------------------------------------------------------
# The model from the paper's formulas
# ---------------------------------------------------------------------------------------------


def hamiltonian(delta=0.0, Delta=0.0, Jz=0.0, Jperp=0.0, D_dm=0.0) -> np.ndarray:
    """H_S + H_eff (Eq. 1 and S38): H_S = -(D1 s1z + D2 s2z)/2 with D1,2 = Delta +- delta."""
    d1, d2 = Delta + delta, Delta - delta
    h_s = -(d1 * S1Z + d2 * S2Z) / 2
    h_eff = Jz * S1Z @ S2Z + Jperp * (S1X @ S2X + S1Y @ S2Y) + D_dm * (S1X @ S2Y - S1Y @ S2X)
    return h_s + h_eff


def h_matrix(a, A=0.0, a_tilde=0.0, A_tilde=0.0, d=0.0, D_deph=0.0, a2=None, a_tilde2=None, d2=None, dtype=complex):
    """Eq. (4): [[at1, At], [At*, at2]] + [[a1, A*], [A, a2]] + [[d1, D], [D*, d2]] (direct sum)."""
    a2 = a if a2 is None else a2
    a_tilde2 = a_tilde if a_tilde2 is None else a_tilde2
    d2 = d if d2 is None else d2
    conj = mpmath.conj if dtype is object else np.conj
    h = np.zeros((6, 6), dtype=dtype)
    if dtype is object:
        h[:] = 0
    h[0, 0], h[0, 1], h[1, 0], h[1, 1] = a_tilde, A_tilde, conj(A_tilde), a_tilde2
    h[2, 2], h[2, 3], h[3, 2], h[3, 3] = a, conj(A), A, a2
    h[4, 4], h[4, 5], h[5, 4], h[5, 5] = d, D_deph, conj(D_deph), d2
    return h


def left(A):
    """Superoperator of rho -> A rho (row-major)."""
    return np.kron(A, np.eye(A.shape[0], dtype=A.dtype))


def right(B):
    """Superoperator of rho -> rho B (row-major): kron(I, B^T)."""
    return np.kron(np.eye(B.shape[0], dtype=B.dtype), B.T)


def sandwich(A, B):
    """Superoperator of rho -> A rho B (row-major): kron(A, B^T)."""
    return np.kron(A, B.T)


def dag(A):
    return np.conj(A).T


def liouvillian_h(H, h, ops=OPS):
    """Generator of d rho/dt = -i[H, rho] - sum_nm h_nm (O_m^dag O_n rho + rho O_m^dag O_n - 2 O_n rho O_m^dag)."""
    L = -1j * (left(H) - right(H))
    for n in range(len(ops)):
        for m in range(len(ops)):
            c = h[n, m]
            if c == 0:
                continue
            p = dag(ops[m]) @ ops[n]
            L = L - c * (left(p) + right(p) - 2 * sandwich(ops[n], dag(ops[m])))
    return L


def liouvillian_jumps(H, jumps):
    """Generator of d rho/dt = -i[H, rho] - sum_k D_{J_k}[rho] (the paper's factor 2 in D)."""
    L = -1j * (left(H) - right(H))
    for J in jumps:
        p = dag(J) @ J
        L = L - (left(p) + right(p) - 2 * sandwich(J, dag(J)))
    return L


_H_KEYS = ("a", "A", "a_tilde", "A_tilde", "d", "D_deph", "a2", "a_tilde2", "d2")
_HAM_KEYS = ("delta", "Delta", "Jz", "Jperp", "D_dm")


def reference_liouvillian(**params) -> np.ndarray:
    """16x16 generator of the model with magbell.Model's keyword names, built from Eqs. (1)-(4), (S38)."""
    H = hamiltonian(**{k: params[k] for k in _HAM_KEYS if k in params})
    h = h_matrix(**{k: params[k] for k in _H_KEYS if k in params})
    return liouvillian_h(H, h)


def reference_evolve(L: np.ndarray, rho0: np.ndarray, times) -> np.ndarray:
    """The slow obvious reference: scipy.linalg.expm(L t) vec(rho0) separately for every time."""
    v0 = np.asarray(rho0, dtype=complex).reshape(16)
    return np.array([(scipy_expm(L * t) @ v0).reshape(4, 4) for t in np.asarray(times, dtype=float)])


def eig_evolve(L: np.ndarray, rho0: np.ndarray, times) -> np.ndarray:
    """Eigendecomposition-based propagation exp(L t) = V e^{w t} V^-1 (what magbell deliberately avoids)."""
    w, V = np.linalg.eig(L)
    c = np.linalg.solve(V, np.asarray(rho0, dtype=complex).reshape(16))
    return np.array([(V @ (np.exp(w * t) * c)).reshape(4, 4) for t in np.asarray(times, dtype=float)])


# ---------------------------------------------------------------------------------------------
# High-precision reference (mpmath), |q| = 0 block
# ---------------------------------------------------------------------------------------------

#: complex coordinates of the |q| = 0 sector: rho00, rho11, rho22, rho33, rho12, rho21 (row-major indices)
Q0_INDICES = (0, 5, 10, 15, 6, 9)


def _mp_ops():
    """The operators as object arrays of exact Python ints / complex numbers."""
    conv = lambda A: np.array([[complex(x) if x.imag else int(x.real) for x in row] for row in A], dtype=object)
    return [conv(o) for o in OPS], conv(S1Z), conv(S2Z), conv(S1X), conv(S2X), conv(S1Y), conv(S2Y)


def mp_liouvillian_q0(**params) -> mpmath.matrix:
    """The |q| = 0 block (6x6, complex coordinates Q0_INDICES) of the generator in mpmath arithmetic.

    Parameters are converted with mpmath.mpf / mpc *exactly* (a float is a binary rational), so this is the
    generator of the very same model as the float one, but with every entry and every cancellation
    (e.g. trace preservation) exact to the working precision. A float-built generator is only trace
    preserving to ~1e-17, which makes exp(L t) drift like 1e-17 t: at t = 1e5 that is a 1e-12 "error" of
    the float reference, not of magbell.
    """
    ops, s1z, s2z, s1x, s2x, s1y, s2y = _mp_ops()
    mpf = mpmath.mpf
    mpc = lambda z: mpmath.mpc(complex(z).real, complex(z).imag)
    delta, Delta = mpf(params.get("delta", 0.0)), mpf(params.get("Delta", 0.0))
    Jz, Jperp, D_dm = (mpf(params.get(k, 0.0)) for k in ("Jz", "Jperp", "D_dm"))
    d1, d2 = Delta + delta, Delta - delta
    H = -(d1 * s1z + d2 * s2z) / 2 + Jz * (s1z @ s2z) + Jperp * (s1x @ s2x + s1y @ s2y) + D_dm * (s1x @ s2y - s1y @ s2x)
    kw = {}
    for k in _H_KEYS:
        if params.get(k) is not None:
            kw[k] = mpc(params[k]) if k in ("A", "A_tilde", "D_deph") else mpf(params[k])
    h = h_matrix(dtype=object, **kw)
    L = liouvillian_h_object(H, h, ops)
    idx = list(Q0_INDICES)
    return mpmath.matrix([[L[i, j] for j in idx] for i in idx])


def liouvillian_h_object(H, h, ops):
    """liouvillian_h for object arrays (exact / mpmath arithmetic)."""
    eye = np.array([[1 if i == j else 0 for j in range(4)] for i in range(4)], dtype=object)
    dag_o = lambda A: (
        np.array(
            [
                [mpmath.conj(x) if isinstance(x, (mpmath.mpc, mpmath.mpf)) else complex(x).conjugate() for x in row]
                for row in A
            ],
            dtype=object,
        ).T
    )
    L = -1j * (np.kron(H, eye) - np.kron(eye, H.T))
    for n in range(6):
        for m in range(6):
            c = h[n, m]
            if c == 0:
                continue
            om_dag = dag_o(ops[m])
            p = om_dag @ ops[n]
            L = L - c * (np.kron(p, eye) + np.kron(eye, p.T) - 2 * np.kron(ops[n], om_dag.T))
    return L


def mp_propagator_q0(Lq0: mpmath.matrix, t: float) -> mpmath.matrix:
    """mpmath.expm(L t) of the 6x6 |q| = 0 block at the working precision."""
    return mpmath.expm(Lq0 * mpmath.mpf(t))


def mp_apply_q0(E: mpmath.matrix, rho0: np.ndarray) -> np.ndarray:
    """Apply a |q| = 0 propagator to an initial state without |q| = 1, 2 weight; returns a float 4x4 matrix."""
    flat = np.asarray(rho0, dtype=complex).reshape(16)
    v = mpmath.matrix([mpmath.mpc(flat[i].real, flat[i].imag) for i in Q0_INDICES])
    x = E * v
    out = np.zeros(16, dtype=complex)
    for k, i in enumerate(Q0_INDICES):
        out[i] = complex(x[k])
    return out.reshape(4, 4)


def mp_evolve_q0(Lq0: mpmath.matrix, rho0: np.ndarray, t: float) -> np.ndarray:
    """rho(t) for an initial state with only |q| = 0 weight, from mpmath.expm of the 6x6 block."""
    return mp_apply_q0(mp_propagator_q0(Lq0, t), rho0)


# ---------------------------------------------------------------------------------------------
# Measures (textbook versions)
# ---------------------------------------------------------------------------------------------

YY = np.kron(SY, SY)


def wootters_naive(rho: np.ndarray) -> float:
    """Textbook Wootters: lambda_i = sqrt(eigenvalues of rho rho~), rho~ = (sy sy) rho* (sy sy)."""
    rt = YY @ rho.conj() @ YY
    ev = np.linalg.eigvals(rho @ rt)
    lam = np.sort(np.sqrt(np.abs(ev)))[::-1]
    return max(0.0, lam[0] - lam[1] - lam[2] - lam[3])


def wootters_fidelity(rho: np.ndarray) -> float:
    """Wootters via R = sqrt(sqrt(rho) rho~ sqrt(rho)): lambda_i = eigenvalues of R (Hermitian form)."""
    rt = YY @ rho.conj() @ YY
    s = sqrtm(rho)
    R = sqrtm(s @ rt @ s)
    lam = np.sort(np.abs(np.linalg.eigvals(R)))[::-1]
    return max(0.0, lam[0] - lam[1] - lam[2] - lam[3])


def wootters_mp(rho: np.ndarray, dps: int = 40) -> float:
    """The textbook recipe (sqrt of eigenvalues of rho rho~) in mpmath: the float input is taken exactly, so
    the square-root amplification of rounding happens at 1e-40 and the result is exact to double precision."""
    with mpmath.workdps(dps):
        r = mpmath.matrix([[mpmath.mpc(complex(x).real, complex(x).imag) for x in row] for row in np.asarray(rho)])
        yy = mpmath.matrix(YY.real.tolist())
        ev = mpmath.eig(r * (yy * r.conjugate() * yy))[0]
        lam = sorted((mpmath.sqrt(abs(e)) for e in ev), reverse=True)
        return float(max(0, lam[0] - lam[1] - lam[2] - lam[3]))


def x_state_concurrence(rho: np.ndarray) -> np.ndarray:
    """Suppl. S52 (valid for X states), batched."""
    p = np.real(np.diagonal(rho, axis1=-2, axis2=-1))
    c1 = np.abs(rho[..., 1, 2]) - np.sqrt(np.maximum(p[..., 0] * p[..., 3], 0))
    c2 = np.abs(rho[..., 0, 3]) - np.sqrt(np.maximum(p[..., 1] * p[..., 2], 0))
    return 2 * np.maximum(0, np.maximum(c1, c2))


def pure_concurrence(ket) -> float:
    """|<psi| sy sy |psi*>| = 2|c_uu c_dd - c_ud c_du| for a pure state."""
    k = np.asarray(ket)
    return 2 * abs(k[0] * k[3] - k[1] * k[2])


# ---------------------------------------------------------------------------------------------
# Analytic systems (derivations in tests/README.md)
# ---------------------------------------------------------------------------------------------


def single_qubit(t, rho, *, field=0.0, a=0.0, a_tilde=0.0, d=0.0) -> np.ndarray:
    """One qubit with H = -field sz/2, jumps sqrt(a) s+, sqrt(a_tilde) s-, sqrt(d) sz (README system A).

    p_u(t) = p_inf + (p_u(0) - p_inf) e^{-2(a + at) t},  p_inf = a/(a + at);
    rho_ud(t) = rho_ud(0) exp[(i field - a - at - 4 d) t].
    """
    t = np.asarray(t, dtype=float)
    g = 2 * (a + a_tilde)
    pu0 = rho[0, 0].real
    p_inf = a / (a + a_tilde) if a + a_tilde > 0 else pu0
    pu = p_inf + (pu0 - p_inf) * np.exp(-g * t)
    c = rho[0, 1] * np.exp((1j * field - a - a_tilde - 4 * d) * t)
    out = np.zeros(t.shape + (2, 2), dtype=complex)
    out[..., 0, 0] = pu
    out[..., 1, 1] = 1 - pu
    out[..., 0, 1] = c
    out[..., 1, 0] = np.conj(c)
    return out


def independent_qubits(
    t, rho1, rho2, *, delta=0.0, Delta=0.0, a=0.0, a2=None, a_tilde=0.0, a_tilde2=None, d=0.0, d2=None
):
    """System A: A = At = D = 0 and no coherent coupling: rho(t) = rho1(t) (x) rho2(t)."""
    a2 = a if a2 is None else a2
    a_tilde2 = a_tilde if a_tilde2 is None else a_tilde2
    d2 = d if d2 is None else d2
    r1 = single_qubit(t, rho1, field=Delta + delta, a=a, a_tilde=a_tilde, d=d)
    r2 = single_qubit(t, rho2, field=Delta - delta, a=a2, a_tilde=a_tilde2, d=d2)
    return np.einsum("...ij,...kl->...ikjl", r1, r2).reshape(r1.shape[:-2] + (4, 4))


def relaxation_from_dd(t, a):
    """System A special case: a only, from |dd>: populations (p_uu, p_ud, p_du, p_dd)."""
    e = np.exp(-2 * a * np.asarray(t, dtype=float))
    return np.stack([(1 - e) ** 2, e * (1 - e), e * (1 - e), e * e], axis=-1)


def coherent_exchange(t, *, delta=0.0, Delta=0.0, Jz=0.0, Jperp=0.0, D_dm=0.0):
    """Systems B and C: no dissipation, initial |ud>. Returns (kets (n_t, 4), concurrence (n_t,)).

    In span{|ud>, |du>}: H = [[-delta - Jz, g], [g*, delta - Jz]] with g = 2 Jperp + 2i D_dm, so with
    Omega = sqrt(delta^2 + |g|^2):  c_ud = e^{i Jz t}(cos Omega t + i delta sin(Omega t)/Omega),
    c_du = -i e^{i Jz t} g* sin(Omega t)/Omega,  C = 2|c_ud c_du|.
    """
    t = np.asarray(t, dtype=float)
    g = 2 * Jperp + 2j * D_dm
    om = np.sqrt(delta**2 + abs(g) ** 2)
    sinc = np.sin(om * t) / om if om > 0 else t
    ph = np.exp(1j * Jz * t)
    kets = np.zeros(t.shape + (4,), dtype=complex)
    kets[..., 1] = ph * (np.cos(om * t) + 1j * delta * sinc)
    kets[..., 2] = -1j * ph * np.conj(g) * sinc
    conc = 2 * np.abs(kets[..., 1] * kets[..., 2])
    return kets, conc


def dark_ket(phase: float = 0.0) -> np.ndarray:
    """System D: (|ud> - e^{i phase}|du>)/sqrt 2, annihilated by s1+ + e^{i phase} s2+ and s1- + e^{-i phase} s2-."""
    return np.array([0, 1, -np.exp(1j * phase), 0], dtype=complex) / np.sqrt(2)


def _S_Ch(t, A_abs, delta):
    """S = sinh(kt)/k and Ch = cosh(kt), k^2 = |A|^2 - delta^2, continued to k^2 <= 0 (sin/cos, or t and 1)."""
    t = np.asarray(t, dtype=float)
    k2 = (A_abs - abs(delta)) * (A_abs + abs(delta))
    if k2 > 0:
        k = np.sqrt(k2)
        return np.sinh(k * t) / k, np.cosh(k * t)
    if k2 < 0:
        w = np.sqrt(-k2)
        return np.sin(w * t) / w, np.cos(w * t)
    return t.copy(), np.ones_like(t)


def zero_temperature_ud(t, *, a, A, delta=0.0):
    """System E: at = At = 0, initial |ud>, A = |A| e^{i phi}: S61-S62 (rho) and the concurrence.

    x = -|A| S Ch e^{-2at}, y = -|A| delta S^2 e^{-2at}, h = |A|^2 S^2 e^{-2at} with S, Ch from _S_Ch;
    rho12 = e^{-i phi}(x + i y), rho22 = h, rho11 = h + e^{-2at}, rho00 = 1 - rho11 - rho22, rho33 = 0;
    C = 2|rho12| = 2|A| |S| sqrt(1 + |A|^2 S^2) e^{-2at}.
    """
    t = np.asarray(t, dtype=float)
    A_abs, phi = abs(A), np.angle(A)
    S, Ch = _S_Ch(t, A_abs, delta)
    e = np.exp(-2 * a * t)
    x = -A_abs * S * Ch * e
    y = -A_abs * delta * S * S * e
    h = A_abs**2 * S * S * e
    rho = np.zeros(t.shape + (4, 4), dtype=complex)
    rho[..., 2, 2] = h
    rho[..., 1, 1] = h + e
    rho[..., 0, 0] = 1 - 2 * h - e
    rho[..., 1, 2] = np.exp(-1j * phi) * (x + 1j * y)
    rho[..., 2, 1] = np.conj(rho[..., 1, 2])
    conc = 2 * A_abs * np.abs(S) * np.sqrt(1 + A_abs**2 * S * S) * e
    return rho, conc


def s63_concurrence(t, *, a, A, delta):
    """The paper's printed forms: S63 (overdamped), main text (underdamped, critical), used to cross-check."""
    t = np.asarray(t, dtype=float)
    A = abs(A)
    if delta < A:
        k = np.sqrt(A * A - delta * delta)
        return 2 * A * np.sinh(k * t) * np.exp(-2 * a * t) * np.sqrt(np.abs(A * np.cosh(k * t)) ** 2 - delta**2) / k**2
    if delta > A:
        w = np.sqrt(delta * delta - A * A)
        return (
            2
            * np.exp(-2 * a * t)
            * np.abs(A * np.sin(w * t))
            * np.sqrt(delta**2 - np.abs(A * np.cos(w * t)) ** 2)
            / w**2
        )
    return 2 * A * t * np.sqrt(1 + A * A * t * t) * np.exp(-2 * a * t)


def dephasing_rates(h_deph: np.ndarray) -> np.ndarray:
    """System F: Lambda_ij with L[rho]_ij = Lambda_ij rho_ij for diagonal operators O = (s1z, s2z).

    Lambda_ij = z_i^T h z_i + z_j^T h z_j - 2 sum_nm h_nm z_n(i) z_m(j), z_i = (z1, z2) of basis state i.
    """
    z = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)
    self_term = np.einsum("in,nm,im->i", z, h_deph, z)
    cross = np.einsum("in,nm,jm->ij", z, h_deph, z)
    return self_term[:, None] + self_term[None, :] - 2 * cross


def diagonal_dephasing(t, rho0, *, delta=0.0, Delta=0.0, Jz=0.0, d=0.0, d2=None, D_deph=0.0):
    """System F: only dephasing (d, D) and diagonal H: rho_ij(t) = rho_ij(0) exp[-i(E_i - E_j)t - Lambda_ij t]."""
    d2 = d if d2 is None else d2
    E = np.real(np.diag(hamiltonian(delta=delta, Delta=Delta, Jz=Jz)))
    hd = np.array([[d, D_deph], [np.conj(D_deph), d2]], dtype=complex)
    lam = dephasing_rates(hd)
    t = np.asarray(t, dtype=float)
    gen = -1j * (E[:, None] - E[None, :]) - lam
    return rho0[None] * np.exp(gen[None] * t[:, None, None])


def dark_thermal_steady(r: float, phase: float = 0.0) -> np.ndarray:
    """System G: t -> inf from |ud> at a = |A|, at = |At| = r a, A = a e^{i phase}, At = r A, delta = 0.

    (|psi><psi| + (|uu><uu| + r |T><T| + r^2 |dd><dd|)/(1 + r + r^2))/2 with psi the dark ket, T the
    bright triplet (|ud> + e^{i phase}|du>)/sqrt 2.  C = (1 - r)^2 / (2 (1 + r + r^2)).
    """
    psi = dark_ket(phase)
    T = np.array([0, 1, np.exp(1j * phase), 0], dtype=complex) / np.sqrt(2)
    z = 1 + r + r * r
    trip = (rho_of("uu") + r * proj(T) + r * r * rho_of("dd")) / z
    return (proj(psi) + trip) / 2


def dark_thermal_concurrence(r):
    return (1 - r) ** 2 / (2 * (1 + r + r * r))


# ---------------------------------------------------------------------------------------------
# Random valid models
# ---------------------------------------------------------------------------------------------


def random_params(
    rng: np.random.Generator, *, complex_=True, coherent=True, dephasing=True, inhomogeneous=True, thermal=True
) -> dict:
    """Random parameters satisfying the PSD bounds (incl. a1 a2 >= |A|^2 when rates are unequal)."""
    p = {"a": float(rng.uniform(0.2, 1.5)), "delta": float(rng.uniform(-1, 1)), "Delta": float(rng.uniform(-2, 2))}
    inh = inhomogeneous and rng.random() < 0.6

    def cross(x1, x2):
        mag = np.sqrt(x1 * x2) * rng.uniform(0, 1)
        ph = rng.uniform(0, 2 * np.pi) if complex_ else rng.choice([0.0, np.pi])
        v = mag * np.exp(1j * ph)
        return complex(v) if complex_ else float(v.real)

    if inh:
        p["a2"] = float(rng.uniform(0.2, 1.5))
    p["A"] = cross(p["a"], p.get("a2", p["a"]))
    if thermal:
        p["a_tilde"] = float(rng.uniform(0, 0.5))
        if inh:
            p["a_tilde2"] = float(rng.uniform(0, 0.5))
        p["A_tilde"] = cross(p["a_tilde"], p.get("a_tilde2", p["a_tilde"]))
    if dephasing:
        p["d"] = float(rng.uniform(0, 0.4))
        if inh:
            p["d2"] = float(rng.uniform(0, 0.4))
        p["D_deph"] = cross(p["d"], p.get("d2", p["d"]))
    if coherent:
        p["Jz"], p["Jperp"], p["D_dm"] = (float(x) for x in rng.uniform(-1, 1, size=3))
    return p
