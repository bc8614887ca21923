"""exp(tA)v at many times by Arnoldi (Krylov) steps with an a-posteriori error control and dense output.

The matrix A is never formed: only ``matvec``. Each step builds an m-dimensional Krylov space
(classical Gram–Schmidt, reorthogonalised where the norm drops below 0.7 of its value: DGKS), H_m = Vᵀ A V, and approximates
e^{τA}v ≈ β V e^{τH_m} e₁, with e^{τH_m} from the backend's Padé scaling and squaring (``expm`` of
:mod:`magbell.backend`, no eigendecomposition, so exceptional points need nothing special). The step τ is accepted when the error estimate

    err(τ) = β h_{m+1,m} |[τ φ₁(τH_m) e₁]_m|,

the first term of the exact error expansion e^{τA}v − βVe^{τH_m}e₁ = β h_{m+1,m} ∫₀^τ e^{(τ−s)A} v_{m+1}
e_mᵀ e^{sH_m} e₁ ds (Saad, SIAM J. Numer. Anal. 29, 209 (1992); Sidje, ACM TOMS 24, 130 (1998),
"Expokit"), is below tol·τ/t_max·‖v₀‖ (so the sum over steps stays below tol·‖v₀‖); it is also checked at
τ/2. Output times inside an accepted step are evaluated from the same Krylov space (dense output).
A happy breakdown (h_{m+1,m} ≈ 0: the space is invariant) makes the step exact for any τ.
"""

from __future__ import annotations

import numpy as np

__all__ = ["krylov_expm_times", "KrylovBudgetExceeded"]


class KrylovBudgetExceeded(Exception):
    """More matrix-vector products than ``max_matvecs`` would be needed (the caller turns it into one line)."""


def _expm(A: np.ndarray) -> np.ndarray:
    """The default backend's one Padé scaling-and-squaring exponential (issue 10 §2), on the small Hessenberg matrix."""
    from ..backend._expm import expm

    return expm(A)


def _local_error(Hm: np.ndarray, beta: float, hnext: float, tau: float, expm=_expm) -> float:
    """β h_{m+1,m} τ |[φ₁(τH_m) e₁]_m| (φ₁(τH)e₁ is the last column of exp([[τH, e₁], [0, 0]])).

    The corner entry is 1, not τ: with rates ≪ 1 in the time unit (τ ~ 1/rate) an entry τ dwarfed τH = O(1), the
    Padé scaling divided by 2^log2(τ), I + τH/2^k rounded to I, the estimate came out ~0 and far too large steps
    were accepted (N = 6 at rates 1e-20: populations 0.12 off, some negative; s4_findings HD-6)."""
    m = Hm.shape[0]
    aug = np.zeros((m + 1, m + 1), dtype=complex)
    aug[:m, :m] = tau * Hm
    aug[0, m] = 1.0
    # a trial τ far too large may overflow: the estimate is then inf/NaN and the step is rejected by the caller
    # (never a RuntimeWarning to the user)
    with np.errstate(over="ignore", invalid="ignore"):
        E = expm(aug)
        return beta * hnext * tau * abs(E[m - 1, m])


def krylov_expm_times(matvec, v0: np.ndarray, times: np.ndarray, callback, *, m_max: int = 40,
                      tol: float = 1e-11, stats: dict | None = None, max_matvecs: int | None = None,
                      expm=None) -> None:
    """Call ``callback(k, x)`` with x = exp(times[k]·A) v0 for every k (times ascending, ≥ 0).

    ``tol``: bound on the sum of the local error estimates relative to ‖v0‖ (per step
    max(tol·τ/t_max, 1e-15)). ``stats`` (if given) collects ``matvecs`` and ``steps``. Beyond ``max_matvecs``
    products :class:`KrylovBudgetExceeded` is raised (with the time reached) instead of running on.
    ``expm``: the small matrices' exponential (a backend's ``expm``; default :mod:`magbell.backend._expm`'s).
    """
    if expm is None:
        expm = _expm
    times = np.asarray(times, dtype=float)
    T = times.size
    st = stats if stats is not None else {}
    st.setdefault("matvecs", 0)
    st.setdefault("steps", 0)
    v = np.array(v0, dtype=complex, copy=True)
    D = v.size
    norm0 = float(np.linalg.norm(v))
    t_end = float(times[-1]) if T else 0.0
    k = 0
    while k < T and times[k] <= 0:
        callback(k, v)
        k += 1
    if k == T:
        return
    m_max = int(max(2, min(m_max, D)))
    t_cur = 0.0
    tau_prev = None
    V = np.empty((m_max + 1, D), dtype=complex)
    while k < T:
        beta = float(np.linalg.norm(v))
        if beta == 0.0 or not np.isfinite(beta):
            z = np.zeros(D, dtype=complex) if beta == 0.0 else v
            while k < T:
                callback(k, z)
                k += 1
            return
        V[0] = v / beta
        H = np.zeros((m_max + 1, m_max), dtype=complex)
        m, hnext = m_max, 0.0
        scale = 0.0
        if max_matvecs is not None and st["matvecs"] + m_max > max_matvecs:
            raise KrylovBudgetExceeded(t_cur)
        for j in range(m_max):
            w = matvec(V[j])
            st["matvecs"] += 1
            w_norm = float(np.linalg.norm(w))
            h = (V[: j + 1] @ w.conj()).conj()
            w = w - h @ V[: j + 1]
            hn = float(np.linalg.norm(w))
            if hn < 0.7 * w_norm:  # cancellation: orthogonalise again (Daniel–Gragg–Kaufman–Stewart, "twice is enough")
                h2 = (V[: j + 1] @ w.conj()).conj()
                w = w - h2 @ V[: j + 1]
                h = h + h2
                hn = float(np.linalg.norm(w))
            H[: j + 1, j] = h
            scale = max(scale, float(np.abs(h).sum()) + hn)
            if hn <= 1e-14 * max(scale, 1e-300):  # invariant subspace: exact from here on
                m, hnext = j + 1, 0.0
                break
            H[j + 1, j] = hn
            V[j + 1] = w / hn
            hnext = hn
            jj = j + 1
            if jj >= 8 and jj % 4 == 0 and jj < m_max:  # enough already for the step we would try? (adaptive m)
                tau_try = (t_end - t_cur) if tau_prev is None else min(t_end - t_cur, 2.0 * tau_prev)
                tol_try = max(tol * tau_try / t_end, 1e-15) * norm0
                Hj = H[:jj, :jj]
                if max(_local_error(Hj, beta, hn, tau_try, expm),
                       _local_error(Hj, beta, hn, tau_try / 2, expm)) <= tol_try:
                    m = jj
                    break
        Hm = H[:m, :m]
        remaining = t_end - t_cur
        # first try: the previous step doubled (or everything that remains)
        tau = remaining if tau_prev is None else min(remaining, 2.0 * tau_prev)

        if hnext != 0.0:
            for _ in range(200):
                tol_step = max(tol * tau / t_end, 1e-15) * norm0
                err = max(_local_error(Hm, beta, hnext, tau, expm), _local_error(Hm, beta, hnext, tau / 2, expm))
                if err <= tol_step and np.isfinite(err):
                    break
                shrink = 0.9 * (tol_step / err) ** (1.0 / max(m, 1)) if np.isfinite(err) and err > 0 else 0.1
                tau *= min(0.5, max(shrink, 0.05))
            else:  # pragma: no cover - cannot happen for a finite generator
                raise RuntimeError("Krylov step size did not converge")
        t_new = t_cur + tau if tau < remaining else t_end
        # dense output inside (t_cur, t_new]: y(t_k) = e^{(t_k − t_{k−1})H} y(t_{k−1}), one small exponential per
        # distinct increment (a uniform grid needs one)
        cache: dict = {}

        def step(y, dt):
            key = float(dt)
            if key not in cache:
                cache[key] = expm(dt * Hm)
            return cache[key] @ y

        y = np.zeros(m, dtype=complex)
        y[0] = 1.0
        s_prev = 0.0
        while k < T and times[k] <= t_new:
            y = step(y, (times[k] - t_cur) - s_prev)
            s_prev = times[k] - t_cur
            callback(k, beta * (y @ V[:m]))
            k += 1
        y = step(y, (t_new - t_cur) - s_prev)
        v = beta * (y @ V[:m])
        st["steps"] += 1
        tau_prev = t_new - t_cur
        t_cur = t_new
