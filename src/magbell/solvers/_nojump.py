"""The no-jump propagator of quantum trajectories: e^{−iH_eff τ}ψ for the two-site Model in the exact
eigen/φ1 form (no unscaled exponential), and the jump times ‖e^{−iH_eff τ}ψ‖² = r (safeguarded Newton).
Used by :func:`magbell.trajectories` (Dalibard, Castin & Mølmer, PRL 68, 580 (1992))."""

from __future__ import annotations


import numpy as np

from ..system._model import Model
from ._march import _mean_phase
from ._nonhermitian import _heff_without_mean, scaled_omega_squared
from ..errors import InvalidParameterError

def _single(model) -> None:
    if not isinstance(model, Model):
        raise InvalidParameterError(f"model must be a magbell.Model, got {type(model).__name__}")
    if model.shape != ():
        raise InvalidParameterError(
            f"trajectories need a single model, but this Model is a grid of shape {model.shape}; index it first "
            "(the trajectory axis is the batch)"
        )


def _phi1(z: np.ndarray) -> np.ndarray:
    """φ1(z) = (e^z − 1)/z for complex z with Re z ≤ 0 (Taylor series for |z| < 0.5)."""
    z = np.asarray(z, dtype=complex)
    out = np.empty_like(z)
    small = np.abs(z) < 0.5
    if np.any(small):
        zs = z[small]
        acc = np.ones_like(zs)
        for k in range(18, 0, -1):  # Horner: 1 + z/2 (1 + z/3 (1 + ...))
            acc = 1 + acc * zs / (k + 1)
        out[small] = acc
    big = ~small
    if np.any(big):
        zb = z[big]
        out[big] = (np.exp(zb) - 1) / zb
    return out


class _Propagator:
    """Closed-form no-jump propagator of one model (see the module docstring)."""

    def __init__(self, Hn: np.ndarray, Delta: float = 0.0):
        # Hn: H_eff without the mean splitting Δ, whose exact phases e^{±iΔτ} are applied separately
        self.Delta = float(Delta)
        self.E_uu = Hn[0, 0]
        self.E_dd = Hn[3, 3]
        b = Hn[1:3, 1:3]
        self.Ec = (b[0, 0] + b[1, 1]) / 2
        self.T = b - self.Ec * np.eye(2)
        # Im ω² exact where it vanishes; ω² = 4^k·w2 (no underflow at rates ~1e-170, s4_findings HD-2)
        w2, k = scaled_omega_squared(self.T[0, 0], self.T[0, 1], self.T[1, 0])
        w = np.sqrt(complex(w2))
        if w.imag < 0:
            w = -w
        w = w * float(np.ldexp(1.0, int(k)))
        self.w = w
        self.E_a = self.Ec + w
        self.E_s = self.Ec - w

    def apply(self, tau: np.ndarray, psi: np.ndarray) -> np.ndarray:
        """e^{−iH_eff τ_n} ψ_n for τ (N,) ≥ 0 and ψ (N, 4)."""
        tau = np.asarray(tau, dtype=float)
        out = np.empty_like(psi)
        out[:, 0] = np.exp(-1j * self.E_uu * tau) * psi[:, 0]
        out[:, 3] = np.exp(-1j * self.E_dd * tau) * psi[:, 3]
        if self.Delta != 0 and tau.size:  # e^{+iΔτ} on |↑↑>, e^{−iΔτ} on |↓↓>, with Δ·τ formed exactly
            cos, sin = _mean_phase(np.array([self.Delta]), tau.reshape(-1), 1)
            ph = (cos[0] + 1j * sin[0]).reshape(tau.shape)
            out[:, 0] *= ph
            out[:, 3] *= np.conj(ph)
        ea = np.exp(-1j * self.E_a * tau)
        es = np.exp(-1j * self.E_s * tau)
        c = 0.5 * (ea + es)
        s = ea * tau * _phi1(2j * self.w * tau)
        pb = psi[:, 1:3]
        Tp = pb @ self.T.T
        out[:, 1:3] = c[:, None] * pb - 1j * s[:, None] * Tp
        return out

    def matrix(self, tau) -> np.ndarray:
        """e^{−iH_eff τ} as (N, 4, 4) matrices (for tests)."""
        tau = np.atleast_1d(np.asarray(tau, dtype=float))
        eye = np.broadcast_to(np.eye(4, dtype=complex), (len(tau), 4, 4))
        cols = [self.apply(tau, np.ascontiguousarray(eye[:, :, j])) for j in range(4)]
        return np.stack(cols, axis=-1)


def nojump_propagator(model: Model, tau) -> np.ndarray:
    """The closed-form e^{−iH_eff τ} used by the trajectories, (N, 4, 4) for τ (N,) (single model)."""
    _single(model)
    Hn, Delta = _heff_without_mean(model)
    return _Propagator(Hn[0], Delta[0]).matrix(tau)


# ------------------------------------------------------------------------------ simulation
def _jump_time(prop: _Propagator, K: np.ndarray, psi: np.ndarray, logr: np.ndarray, hi: np.ndarray):
    """τ in (0, hi] with log‖e^{−iH τ}ψ‖² = log r (safeguarded Newton on the bracket [0, hi]).

    Non-finite trial values (a norm that underflows to 0 far beyond the jump, log 0 = −inf) are part of the
    algorithm: they send the iteration to bisection, which converges in at most ~2100 halvings from any
    bracket in float64 (the loop stops as soon as every root is bracketed to 4 ulp)."""
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        return jump_time(prop.apply, lambda phi: np.real(np.einsum("ni,ij,nj->n", phi.conj(), K, phi)), psi, logr, hi)


def jump_time(apply, kform, psi: np.ndarray, logr: np.ndarray, hi: np.ndarray):
    """The waiting-time root finder shared by the two-site and the N-site trajectories: ``apply(t, psi)`` the
    no-jump propagation, ``kform(phi)`` = Re <φ|K|φ> (K = the jump-rate operator, d‖φ‖²/dt = −2<φ|K|φ>).
    Call it under ``np.errstate(all="ignore")`` (see :func:`_jump_time`)."""
    lo = np.zeros_like(hi)
    f_lo = np.log(np.sum(np.abs(psi) ** 2, axis=1)) - logr
    phi_hi = apply(hi, psi)
    with np.errstate(divide="ignore", under="ignore"):  # ‖ψ(hi)‖² may underflow to 0: log = −inf, handled
        f_hi = np.log(np.sum(np.abs(phi_hi) ** 2, axis=1)) - logr
    # start: regula falsi on the bracket
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(np.isfinite(f_hi), lo + (hi - lo) * f_lo / (f_lo - f_hi), 0.5 * (lo + hi))
    tau = np.clip(np.nan_to_num(tau, nan=0.5), lo, hi)
    for _ in range(2200):
        phi = apply(tau, psi)
        n2 = np.sum(np.abs(phi) ** 2, axis=1)
        f = np.log(n2) - logr
        d = -2 * kform(phi) / n2
        pos = f > 0
        lo = np.where(pos, tau, lo)
        hi = np.where(pos, hi, tau)
        with np.errstate(invalid="ignore", divide="ignore"):
            newton = tau - f / d
        ok = np.isfinite(newton) & (newton > lo) & (newton < hi)
        new = np.where(ok, newton, 0.5 * (lo + hi))
        done = (np.abs(f) <= 1e-14 * np.maximum(1.0, np.abs(logr))) | (hi - lo <= 4 * np.finfo(float).eps * np.maximum(hi, 1e-300))
        if np.all(done):
            break
        tau = np.where(done, tau, new)
    return tau
