"""Forward model and likelihood of relaxometry data, batched over parameter points.

Every observable is a function of the four joint read-out probabilities ``q = (M ⊗ M) p``, where ``p`` are
the populations of ρ(t) = exp(𝓛t)ρ(0) from :func:`magbell.evolve` (exact, one batched call for all
parameter points, preparations and times) and ``M = [[f↑, 1 − f↓], [1 − f↑, f↓]]`` is each qubit's
readout (assignment) matrix.

The log-likelihood is written as ``loglik = loglik_saturated − ½ Σ r_i²`` with residuals

* Gaussian rows (``stderr``): ``r = (y − μ)/s``;
* binomial rows (``shots`` n, success probability π: p_xx, or (1 + z)/2 for z1, z2, z1z2):
  ``r = sign(y − π) √(2n [y ln(y/π) + (1 − y) ln((1 − y)/(1 − π))])`` (deviance residual);
* multinomial sets (p_uu..p_dd from the same n shots): per cell ``r = sign(y − q) √(2n [y ln(y/q) − y + q])``,
  whose squares sum to the multinomial deviance because Σ y = Σ q = 1;
* ``cov`` with shots: Gaussian with the sampling variance of the sample covariance of two ±1 outcomes,
  ``Var = (E[(x − x̄)²(y − ȳ)²] − cov²)/n``, evaluated at the model (a quasi-likelihood: the ln σ(θ)
  term is left out).

so ``scipy.optimize.least_squares`` on ``r`` is exact maximum likelihood (McCullagh & Nelder,
*Generalized Linear Models*, 2nd ed., §2.3), and ``J_sᵀ J_s`` with the standardised Jacobian below is the
expected (Fisher) information.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, xlogy

from ..solvers._evolve import evolve
from ._data import Data

__all__ = ["Likelihood"]

_Q_FLOOR = 1e-300


class Likelihood:
    """Precomputed index structure of a data set for fast batched evaluation (scaled times ``t/tau``)."""

    def __init__(self, data: Data, tau: float):
        self.data = data
        self.tau = tau
        self.initials = list(data.initials)
        self.s_idx = np.array([self.initials.index(s) for s in data.initial.tolist()])
        ts = data.time / tau
        self.times, self.t_idx = np.unique(ts, return_inverse=True)
        obs = data.observable
        self.obs_code = np.array([list(("p_uu", "p_ud", "p_du", "p_dd", "z1", "z2", "z1z2", "cov")).index(o)
                                  for o in obs.tolist()])
        self.kind = data.kind
        self.y = data.value
        self.n = data.shots
        self.s = data.stderr
        self.gauss = self.kind == "gauss"
        self.binom = self.kind == "binom"
        self.multi = self.kind == "multi"
        self.cov = self.kind == "cov"
        # success fraction of binomial rows: p_xx itself, (1 + z)/2 for z1, z2, z1z2
        self.is_z = self.obs_code >= 4
        self.yb = np.where(self.is_z, (1 + self.y) / 2, self.y)
        self.sat = self._saturated()

    # ------------------------------------------------------------------ forward model
    def populations(self, model) -> np.ndarray:
        """Joint populations (P, n_rows, 4) before readout."""
        r = evolve(model, self.initials, self.times, measures=("populations",))
        pops = r.measures["populations"]  # (P, S, T, 4)
        return pops[:, self.s_idx, self.t_idx, :]

    def readout(self, p: np.ndarray, v: dict) -> np.ndarray:
        """q = (M⊗M) p per row; fitted fidelities (P,) override the data's per-row values."""
        P = p.shape[0]
        fu = v["readout_up"][:, None] * np.ones((1, p.shape[1]))
        fd = v["readout_down"][:, None] * np.ones((1, p.shape[1]))
        fu = np.where(np.isnan(fu), self.data.readout_up[None, :], fu)
        fd = np.where(np.isnan(fd), self.data.readout_down[None, :], fd)
        if np.all(fu == 1) and np.all(fd == 1):
            return p
        M = np.empty((P, p.shape[1], 2, 2))
        M[..., 0, 0], M[..., 0, 1], M[..., 1, 0], M[..., 1, 1] = fu, 1 - fd, 1 - fu, fd
        pp = p.reshape(P, -1, 2, 2)
        q = np.einsum("pnik,pnjl,pnkl->pnij", M, M, pp)
        return q.reshape(P, -1, 4)

    def predict_q(self, space, X) -> tuple:
        v = space.natural(X)
        q = self.readout(self.populations(space.model(v)), v)
        return q, v

    def mean(self, q: np.ndarray) -> np.ndarray:
        """Predicted value of every row's observable, (P, n_rows)."""
        return observable_values(q, self.obs_code)

    # ------------------------------------------------------------------ likelihood
    def residuals(self, q: np.ndarray) -> np.ndarray:
        """(P, n_rows) residuals with loglik = sat − ½ Σ r²."""
        mu = self.mean(q)
        r = np.zeros_like(mu)
        y = self.y
        if np.any(self.gauss):
            g = self.gauss
            r[:, g] = (y[g] - mu[:, g]) / self.s[g]
        if np.any(self.binom):
            b = self.binom
            pi = np.where(self.is_z[b], (1 + mu[:, b]) / 2, mu[:, b])
            pi = np.clip(pi, _Q_FLOOR, 1 - 1e-16)
            yb = self.yb[b]
            dev = pi * _g_rel(yb, pi) + (1 - pi) * _g_rel(1 - yb, 1 - pi)
            r[:, b] = np.sign(yb - pi) * np.sqrt(2 * self.n[b] * np.maximum(dev, 0.0))
        if np.any(self.multi):
            m = self.multi
            qm = np.maximum(mu[:, m], _Q_FLOOR)
            ym = y[m]
            dev = qm * _g_rel(ym, qm)
            r[:, m] = np.sign(ym - qm) * np.sqrt(2 * self.n[m] * np.maximum(dev, 0.0))
        if np.any(self.cov):
            c = self.cov
            sd = np.sqrt(cov_estimate_variance(q[:, c, :], self.n[c]))
            r[:, c] = (y[c] - mu[:, c]) / sd
        return r

    def _saturated(self) -> float:
        y, n = self.y, self.n
        out = 0.0
        g = self.gauss
        out += float(np.sum(-np.log(self.s[g] * np.sqrt(2 * np.pi))))
        b = self.binom
        k = self.yb[b] * n[b]
        out += float(np.sum(gammaln(n[b] + 1) - gammaln(k + 1) - gammaln(n[b] - k + 1)
                            + xlogy(k, self.yb[b]) + xlogy(n[b] - k, 1 - self.yb[b])))
        m = self.multi
        km = y[m] * n[m]
        out += float(np.sum(xlogy(km, y[m]) - gammaln(km + 1)))
        groups = np.unique(self.data.group[m])
        for gidx in groups:
            first = np.flatnonzero(self.data.group == gidx)[0]
            out += float(gammaln(n[first] + 1))
        return out

    def forbidden(self, q: np.ndarray) -> np.ndarray:
        """Rows (P, n_rows) whose observed outcome has model probability 0 (likelihood exactly 0)."""
        mu = self.mean(q)
        bad = np.zeros(mu.shape, dtype=bool)
        tiny = 1e-200
        b = self.binom
        if np.any(b):
            pi = np.where(self.is_z[b], (1 + mu[:, b]) / 2, mu[:, b])
            bad[:, b] = ((self.yb[b] > 0) & (pi < tiny)) | ((self.yb[b] < 1) & (1 - pi < tiny))
        m = self.multi
        if np.any(m):
            bad[:, m] = (self.y[m] > 0) & (mu[:, m] < tiny)
        return bad

    def loglik(self, q: np.ndarray) -> np.ndarray:
        r = self.residuals(q)
        return self.sat - 0.5 * np.sum(r * r, axis=-1)

    def standardised_jacobian(self, q0: np.ndarray, qp: np.ndarray, qm: np.ndarray, den: np.ndarray) -> np.ndarray:
        """Rows G (n_rows, k) with expected information GᵀG from finite differences (qp − qm)/den per parameter.

        Counting rows are differenced in their variance-stabilised coordinates — 2√n·√q per multinomial
        cell, 2√n·arcsin√π per binomial row — whose derivatives stay finite where a probability vanishes
        (q ∝ |A|² at A = 0): (∂q)²/q = 4(∂√q)².
        """
        code = self.obs_code
        mu0 = observable_values(q0[None], code)[0]
        mup = observable_values(qp, code)  # (k, n)
        mum = observable_values(qm, code)
        d = den[:, None]
        G = np.zeros_like(mup)
        g = self.gauss
        G[:, g] = (mup[:, g] - mum[:, g]) / d / self.s[g]
        b = self.binom
        if np.any(b):
            def arc(mu):
                pi = np.where(self.is_z[b], (1 + mu[:, b]) / 2, mu[:, b])
                return np.arcsin(np.sqrt(np.clip(pi, 0.0, 1.0)))
            G[:, b] = 2 * np.sqrt(self.n[b]) * (arc(mup) - arc(mum)) / d
        m = self.multi
        if np.any(m):
            G[:, m] = 2 * np.sqrt(self.n[m]) * (np.sqrt(np.maximum(mup[:, m], 0.0))
                                                 - np.sqrt(np.maximum(mum[:, m], 0.0))) / d
        c = self.cov
        if np.any(c):
            w = 1 / np.sqrt(cov_estimate_variance(q0[None, c, :], self.n[c])[0])
            G[:, c] = (mup[:, c] - mum[:, c]) / d * w
        del mu0
        return G.T


def _g_rel(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """g(u) = (1 + u) ln(1 + u) − u at u = (y − p)/p, so that p·g(u) = y ln(y/p) − y + p ≥ 0.

    The binomial and multinomial deviances are sums of such terms. Written as y ln(y/p) − y + p they
    cancel catastrophically when y ≈ p: their value ~ (y − p)²/2p drowned in rounding of the O(1) terms
    below |y − p| ~ 1e-8 (the exemplary-data non-centrality of ``shots_to_detect`` stalled at ~7e-13 for
    small |A|, which multiplies the shots it reports). The series g(u) = Σ_{k≥2} (−u)^k/(k(k−1)) is
    used for |u| < 0.05 (16 terms: truncation < 1e-20 relative), the closed form elsewhere.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = (y - p) / p
        direct = (xlogy(y, y) - xlogy(y, p)) / p - u
    small = np.abs(u) < 0.05
    if np.any(small):
        us = np.where(small, u, 0.0)
        acc = np.zeros_like(us)
        term = us * us
        for k in range(2, 18):
            acc = acc + term / (k * (k - 1))
            term = -term * us
        direct = np.where(small, acc, direct)
    return np.maximum(direct, 0.0)


def observable_values(q: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Observable of each row from joint probabilities q (P, n, 4) → (P, n)."""
    uu, ud, du, dd = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    z1 = uu + ud - du - dd
    z2 = uu - ud + du - dd
    zz = uu - ud - du + dd
    table = np.stack([uu, ud, du, dd, z1, z2, zz, zz - z1 * z2], axis=-1)
    return np.take_along_axis(table, code[None, :, None], axis=-1)[..., 0]


def cov_variance(q: np.ndarray) -> np.ndarray:
    """Single-shot variance of the product of centred ±1 outcomes: E[(x−x̄)²(y−ȳ)²] − cov², q (..., 4)."""
    vals = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)
    z1 = q @ vals[:, 0]
    z2 = q @ vals[:, 1]
    dx = vals[:, 0] - z1[..., None]
    dy = vals[:, 1] - z2[..., None]
    m22 = np.sum(q * dx**2 * dy**2, axis=-1)
    c = np.sum(q * dx * dy, axis=-1)
    return m22 - c * c


def cov_estimate_variance(q: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Variance of the sample covariance ĉ = mean(xy) − x̄ȳ of n shots of two ±1 outcomes, to second order:
    (E[(x−x̄)²(y−ȳ)²] − c²)/n + (σx²σy² + c²)/n².

    The first-order (delta-method) term vanishes where the product xy is deterministic (after ``psi+`` at
    t = 0: z1z2 = −1 with z1, z2 = ±1 at random), but ĉ still scatters there through x̄ȳ ~ 1/n: with the
    first-order term alone, a correct fit to simulated data had deviance 2e10 ('the fit does not describe the
    data', goodness-of-fit p = 0) from that one row. The second term is Var(x̄ȳ) for nearly Gaussian means.
    """
    vals = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)
    z1 = q @ vals[:, 0]
    z2 = q @ vals[:, 1]
    c = q @ (vals[:, 0] * vals[:, 1]) - z1 * z2
    second = np.maximum((1 - z1 * z1) * (1 - z2 * z2), 0.0) + c * c
    # floor (as before): a deterministic product at a deterministic point (ud at t = 0) has variance 0
    return np.maximum(np.maximum(cov_variance(q), 0.0) / n + second / (n * n), 1e-30 / n)
