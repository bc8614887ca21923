"""Uncertainties of a fit: Fisher information, identifiability, profile-likelihood intervals, A = 0 test.

* Observed information: the central-difference Hessian of −log L in the natural parameters (one batched
  :func:`magbell.evolve` call for all 2k² stencil points). Where the stencil leaves the physical region (an
  estimate on a bound such as |A| = a) or the Hessian is not positive definite, the expected information
  ``J_sᵀJ_s`` is used instead and the result says so.
* Identifiability: eigen-decomposition of the expected information in relative units (each parameter
  divided by its typical size); a direction whose relative standard error would exceed 10³, or whose
  eigenvalue is below 10⁻¹⁰ of the largest, is reported as not identifiable, in words.
* Profile-likelihood intervals (Venzon & Moolgavkar, Appl. Stat. 37, 87 (1988)): the set of values where
  2(ℓ̂ − ℓ_p) ≤ χ²₁(level), each profile point a constrained least-squares fit; an end that reaches a
  physical bound is clipped there (``clipped``).
* Likelihood-ratio test of A = 0: under the null the magnitude |A| sits on the boundary of its range, so
  the reference distribution is the χ̄² mixture ½χ²₀ + ½χ²₁ per magnitude (Self & Liang, JASA 82, 605
  (1987)); a free, identifiable phase makes (Re A, Im A) = 0 an interior point and contributes χ²₂.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.stats import chi2

from ._params import PHASES, RATE_PARAMETERS, RATIO, READOUT, Space, scale_of

__all__ = ["NonIdentifiable", "information", "expected_information", "identifiability", "covariance", "profile_interval", "lr_test"]

_REL_EIG = 1e-10
_ABS_EIG = 1e-6


@dataclass(frozen=True)
class NonIdentifiable:
    """A parameter combination the data do not determine."""

    parameters: tuple
    direction: dict  # relative weights of the combination (unit vector in relative units)
    message: str

    def to_dict(self) -> dict:
        return {"parameters": list(self.parameters), "direction": self.direction, "message": self.message}


def reference_rate(nat: dict) -> float:
    """Typical rate (scaled): the local rates and 1/tau — not the energies, which may run off when they are
    not determined by the data."""
    vals = [abs(float(nat[p])) for p in ("a", "a_tilde", "d") if p in nat]
    return max([1.0] + vals)


def scales(space: Space, nat: dict) -> np.ndarray:
    ref = reference_rate(nat)
    return np.array([scale_of(p, float(nat[p]), ref) for p in space.free])


def _nat_space(space: Space) -> Space:
    return Space(space.free, space.fixed, space.tau, ratio=False)


def expected_information(problem, space: Space, theta: np.ndarray, nat_all: dict) -> np.ndarray:
    """Expected (Fisher) information J_sᵀJ_s in natural scaled coordinates."""
    G = standardised_rows(problem, space, theta, nat_all)
    return G.T @ G


def standardised_rows(problem, space: Space, theta: np.ndarray, nat_all: dict) -> np.ndarray:
    """Standardised Jacobian J_s (n_rows, k): central differences, one-sided where a step would leave the
    physical region; one batched evaluation."""
    ns = _nat_space(space)
    k = space.k
    h = 6e-6 * scales(space, nat_all)
    E = np.eye(k)
    P = np.array([theta] + [theta + s * h[j] * E[j] for j in range(k) for s in (1, -1)])
    ok = ns.feasible(ns.natural(P))
    use = P.copy()
    use[~ok] = theta
    q, _ = problem.q(ns, use)
    qp, qm, den = [], [], []
    for j in range(k):
        up, dn = ok[1 + 2 * j], ok[2 + 2 * j]
        qp.append(q[1 + 2 * j] if up else q[0])
        qm.append(q[2 + 2 * j] if dn else q[0])
        # neither side physical (cannot happen for steps below the distance to the bounds): no information
        den.append(h[j] * (int(up) + int(dn)) if (up or dn) else np.inf)
    G = problem.lik.standardised_jacobian(q[0], np.array(qp), np.array(qm), np.array(den))
    return np.where(np.isfinite(G), G, 0.0)


def information(problem, space: Space, theta: np.ndarray, nat_all: dict):
    """(observed or expected information, expected information, which) in natural scaled coordinates."""
    ns = _nat_space(space)
    k = space.k
    sc = scales(space, nat_all)
    expected = expected_information(problem, space, theta, nat_all)
    # observed: Hessian of -loglik (central differences, all points in one batch)
    hh = 1e-4 * sc
    E = np.eye(k)
    stencil = [theta]
    for i in range(k):
        stencil += [theta + hh[i] * E[i], theta - hh[i] * E[i]]
    for i in range(k):
        for j in range(i + 1, k):
            for si in (1, -1):
                for sj in (1, -1):
                    stencil.append(theta + si * hh[i] * E[i] + sj * hh[j] * E[j])
    S = np.array(stencil)
    if not np.all(ns.feasible(ns.natural(S))):
        return expected, expected, "expected (the estimate is on a physical bound)"
    f = -problem.loglik(ns, S)
    H = np.empty((k, k))
    for i in range(k):
        H[i, i] = (f[1 + 2 * i] - 2 * f[0] + f[2 + 2 * i]) / hh[i] ** 2
    c = 1 + 2 * k
    for i in range(k):
        for j in range(i + 1, k):
            fpp, fpm, fmp, fmm = f[c:c + 4]
            c += 4
            H[i, j] = H[j, i] = (fpp - fpm - fmp + fmm) / (4 * hh[i] * hh[j])
    Hs = H * np.outer(sc, sc)
    if not np.all(np.isfinite(Hs)) or np.linalg.eigvalsh((Hs + Hs.T) / 2).min() <= 0:
        return expected, expected, "expected (the observed information is not positive definite)"
    return H, expected, "observed"


def identifiability(space: Space, expected: np.ndarray, nat_all: dict) -> tuple:
    """(list of NonIdentifiable, null-space basis in relative units (k, m), scales)."""
    sc = scales(space, nat_all)
    Fs = expected * np.outer(sc, sc)
    lam, V = np.linalg.eigh((Fs + Fs.T) / 2)
    top = max(lam.max(), 0.0)
    null = (lam < _REL_EIG * top) | (lam < _ABS_EIG)
    out = []
    for m in np.flatnonzero(null):
        v = V[:, m]
        v = v / v[np.argmax(np.abs(v))]
        v = v / np.linalg.norm(v)
        names = [space.free[j] for j in np.argsort(-np.abs(v)) if abs(v[j]) > 0.05]
        direction = {space.free[j]: float(v[j]) for j in range(space.k) if abs(v[j]) > 0.05}
        out.append(NonIdentifiable(tuple(names), direction, _words(names, direction, lam[m], top)))
    return out, V[:, null], sc


def _words(names, direction, lam, top) -> str:
    why = "the predicted measurements do not change with it"
    if lam >= _REL_EIG * top:
        why = f"its relative standard error would exceed {1 / np.sqrt(max(lam, 1e-300)):.2g}"
    if len(names) == 1:
        p = names[0]
        extra = ""
        if p in PHASES:
            extra = " (populations after preparations in the σz basis do not depend on the phase of the coupling; " \
                    "prepare a superposition such as psi+ to measure it)"
        return f"{p} is not determined by these data: {why}{extra}"
    parts = ", ".join(f"{w:+.2f}·δ{n}/{n}" for n, w in direction.items())
    return (f"{' and '.join(names)} are not separately determined by these data: a change along "
            f"({parts}) leaves the predictions unchanged to first order; fix one of them or add preparations/"
            "times that separate them")


def covariance(F: np.ndarray, null_basis: np.ndarray, sc: np.ndarray) -> tuple:
    """Covariance in natural scaled units and a mask of parameters it says nothing about (null loadings)."""
    Fs = F * np.outer(sc, sc)
    k = Fs.shape[0]
    undetermined = np.zeros(k, dtype=bool)
    if null_basis.shape[1]:
        undetermined = np.any(np.abs(null_basis) > 0.05, axis=1)
        Q, _ = np.linalg.qr(null_basis)
        comp = np.eye(k) - Q @ Q.T
        lam, V = np.linalg.eigh(comp)
        B = V[:, lam > 0.5]  # orthonormal basis of the identifiable subspace
        Cs = B @ np.linalg.inv(B.T @ Fs @ B) @ B.T
    else:
        lam, V = np.linalg.eigh((Fs + Fs.T) / 2)
        Cs = (V / lam) @ V.T
    C = Cs * np.outer(sc, sc)
    C[undetermined, :] = np.nan
    C[:, undetermined] = np.nan
    return C, undetermined


def natural_bounds(space: Space, name: str, nat: dict) -> tuple:
    """Range of a natural parameter when it is profiled (the others adjust)."""
    fixed = space.fixed
    if name in ("a", "a_tilde", "d"):
        nl = {"a": "A", "a_tilde": "A_tilde", "d": "D_deph"}[name]
        return (abs(fixed.get(nl, 0.0)) if nl not in space.free else 0.0), np.inf
    if name in RATIO:
        loc = {"A": "a", "A_tilde": "a_tilde", "D_deph": "d"}[name]
        top = np.inf if loc in space.free else fixed.get(loc, 0.0)
        return (-top if name == "D_deph" else 0.0), top
    if name in READOUT:
        return 0.5 + 1e-9, 1.0
    if name in PHASES:
        return float(nat[name]) - np.pi, float(nat[name]) + np.pi
    return -np.inf, np.inf


def profile_interval(problem, space: Space, name: str, nat_free: dict, ll_hat: float, se: float,
                     level: float = 0.95, ratio_of: str | None = None, slope: dict | None = None):
    """Profile-likelihood interval of ``name`` (natural, scaled) → (low, high, clipped_low, clipped_high, better).

    ``ratio_of``: profile the ratio ``name`` = |A|/a (``name`` is then e.g. ``A_over_a``) instead.
    ``better`` is a log-likelihood higher than ``ll_hat`` found on the way (the fit was not global).
    ``slope``: d(other parameter)/d(profiled value) from the covariance, for warm starts along the ridge.
    """
    crit = chi2.ppf(level, 1)
    others = tuple(p for p in space.free if p != (ratio_of or name))
    if ratio_of:
        loc = {"A": "a", "A_tilde": "a_tilde", "D_deph": "d"}[ratio_of]
        centre = nat_free[ratio_of] / nat_free[loc] if nat_free[loc] > 0 else 0.0
        lo_b, hi_b = (-1.0 if ratio_of == "D_deph" else 0.0), 1.0
    else:
        centre = nat_free[name]
        lo_b, hi_b = natural_bounds(space, name, nat_free)
    warm = {"x": dict(nat_free), "v": centre}
    best = [ll_hat]
    slope = slope or {}

    def g(v):
        fixed = dict(space.fixed)
        fixed[name] = v
        sub = Space(others, fixed, space.tau, rate_max=space.rate_max)
        start = dict(warm["x"])
        for p in others:
            start[p] = start[p] + slope.get(p, 0.0) * (v - warm["v"])
        x, ll, _ = problem.minimise(sub, sub.internal(start), max_nfev=100, ftol=1e-7)
        vals = sub.natural(x[None])
        warm["x"] = {p: float(vals[p][0]) for p in others} | {p: start[p] for p in start if p not in others}
        warm["v"] = v
        best[0] = max(best[0], ll)
        return 2 * (ll_hat - ll) - crit

    runaway = ratio_of is None and name in RATE_PARAMETERS and name not in RATIO
    step0 = se if (se is not None and np.isfinite(se) and se > 0) else 0.1 * max(abs(centre), 1.0)
    zc = np.sqrt(crit)
    ends = []
    for sign in (-1, 1):
        # secant on the signed root z(v) = sqrt(2(ℓ̂ − ℓ_p(v))), nearly linear in v (Venzon & Moolgavkar);
        # a bracketing brentq on g finishes when the secant overshoots
        warm["x"], warm["v"] = dict(nat_free), centre
        bound = lo_b if sign < 0 else hi_b
        d, inside, value, clipped = zc * step0, 0.0, None, False
        for _ in range(30):
            v = centre + sign * d
            if runaway and abs(v) > space.rate_max and abs(v) > abs(centre):
                # beyond 100/(shortest wait) every measured point is relaxed: the profile is flat out there and
                # stepping on would only reach rates the propagator refuses; the end is not bounded by the data
                break
            at_bound = (sign < 0 and v <= bound) or (sign > 0 and v >= bound)
            if at_bound:
                if not np.isfinite(bound):
                    break
                v, d = bound, abs(bound - centre)
            gv = g(v)
            z = np.sqrt(max(gv + crit, 0.0))
            if abs(z - zc) < 0.005:
                value = v
                break
            if gv > 0:
                a_, b_ = centre + sign * inside, v
                try:
                    value = brentq(g, min(a_, b_), max(a_, b_), xtol=0.01 * step0, maxiter=30)
                except ValueError:  # g(inside) > 0 after a better fit was found: keep the bracket end
                    value = v
                break
            if at_bound:
                value, clipped = v, True
                break
            inside = d
            d = d * min(max(zc / z, 1.05), 4.0) if z > 0 else 4 * d
        ends.append((value, clipped))
    (lo, clo), (hi, chi_) = ends
    # an end the search did not reach: the data do not bound it there, so the interval runs on to the
    # physical bound (conservative; clipped) or to ±inf — never past a physical bound (a < 0 was reported)
    if lo is None:
        lo, clo = (lo_b, True) if np.isfinite(lo_b) else (-np.inf, False)
    if hi is None:
        hi, chi_ = (hi_b, True) if np.isfinite(hi_b) else (np.inf, False)
    return lo, hi, clo, chi_, best[0] > ll_hat + 1e-6


def mixture_pvalue(lr: float, components: list) -> float:
    """P(χ̄² ≥ lr) for a sum of independent components, each {dof: weight}."""
    dist = {0: 1.0}
    for comp in components:
        new: dict = {}
        for d1, w1 in dist.items():
            for d2, w2 in comp.items():
                new[d1 + d2] = new.get(d1 + d2, 0.0) + w1 * w2
        dist = new
    if lr <= 0:
        return 1.0
    return float(sum(w * chi2.sf(lr, d) for d, w in dist.items() if d > 0))


def lr_test(ll_full: float, ll_null: float, components: list) -> tuple:
    lr = max(0.0, 2 * (ll_full - ll_null))
    return lr, mixture_pvalue(lr, components)



#: the null distributions of the LR statistic for one complex coupling at 0, by the number of real directions
#: (Re, Im) in which the predictions move to first order there (see :func:`coupling_component`)
_COMPONENTS = {0: {0: 0.5, 1: 0.5}, 1: {1: 0.5, 2: 0.5}, 2: {2: 1.0}}


def component_label(comp: dict) -> str:
    """'(½χ²₀ + ½χ²₁)', '(½χ²₁ + ½χ²₂)' or 'χ²₂'."""
    sub = "₀₁₂₃₄"
    if len(comp) == 1:
        return f"χ²{sub[next(iter(comp))]}"
    return "(" + " + ".join(f"½χ²{sub[d]}" for d in sorted(comp)) + ")"


def coupling_component(problem, sub: Space, x0, mag: str, phase: str, shared: bool = False):
    """Null distribution of the LR for "coupling ``mag`` = 0" when its phase is fitted too, or None.

    At the null the complex coupling (Re, Im) is an interior point of the disk |A| ≤ a. The predictions move
    linearly in r of its two real directions (after the nuisance parameters are projected out) and, in the
    others, only through |A|² ≥ 0, a boundary parameter. So the LR is asymptotically χ²_r plus, for r < 2, an
    independent ½χ²₀ + ½χ²₁ (Self & Liang, JASA 82, 605 (1987)): r = 2 → χ²₂; r = 1 → ½χ²₁ + ½χ²₂ (real
    preparations at δ = Jz = J⊥ = 0: the data are even in Im A, see ``_result._mirror``); r = 0 → ½χ²₀ + ½χ²₁
    (σz preparations: populations depend on |A|² only). ``shared``: arg Ã is tied to arg A in the fitted
    model (then a nonzero Ã keeps the phase meaningful at A = 0: None, the caller's default). r is the rank
    of the standardised 2-column Jacobian in (Re, Im), from central differences at ±1e-4·a. Before, the reference was χ²₂ or ½χ²₀ + ½χ²₁ by whether
    the phase was identifiable at the estimate: 240 data sets with A = 0 (ud, dd, psi+) rejected at 20 % in
    30 % of them, their LR following ½χ²₁ + ½χ²₂.
    """
    nat = {p: float(v[0]) for p, v in sub.natural(np.asarray(x0)[None]).items()}
    loc = {"A": "a", "A_tilde": "a_tilde"}[mag]
    if not nat[loc] > 0 or (shared and nat["A_tilde"] != 0):
        return None  # no room for the coupling, or its phase also turns a nonzero Ã (``shared``)
    h = 1e-4 * nat[loc]
    fixed = {p: v for p, v in nat.items() if p != mag}
    qp, qm = [], []
    for phi in (0.0, np.pi / 2):
        sp = Space((mag,), dict(fixed, **{phase: phi}), sub.tau, ratio=False)
        q, _ = problem.q(sp, np.array([[h], [-h]]))
        qp.append(q[0])
        qm.append(q[1])
    q0, _ = problem.q(Space((), nat, sub.tau, ratio=False), np.zeros((1, 0)))
    G = problem.lik.standardised_jacobian(q0[0], np.array(qp), np.array(qm), np.array([2 * h, 2 * h]))
    ref = float(np.max(np.sum(G * G, axis=0)))
    if sub.k:
        Gn = standardised_rows(problem, sub, np.array([nat[p] for p in sub.free]), nat)
        ref = max(ref, float(np.max(np.sum(Gn * Gn, axis=0))))
        G = G - Gn @ np.linalg.lstsq(Gn, G, rcond=None)[0]
    lam = np.linalg.eigvalsh(G.T @ G)
    rank = int(np.sum(lam > 1e-10 * max(ref, 1e-300)))
    return _COMPONENTS[rank]
