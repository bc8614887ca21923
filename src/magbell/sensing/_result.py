"""The result of :func:`magbell.sensing.fit`: estimates, intervals, correlations, diagnostics, ``plot()``."""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import chi2, norm

from ._params import PAIRS, PHASES, RATE_PARAMETERS, RATIO, UNITS, Space, to_si
from ._uncertainty import (component_label, coupling_component, covariance, identifiability, information, lr_test,
                           natural_bounds, profile_interval)

__all__ = ["FitResult", "Comparison", "build_result"]


@dataclass(frozen=True)
class Comparison:
    """Likelihood-ratio test and information criteria of "no dissipative coupling" (A = 0, and Ã = 0 if fitted)."""

    null: dict  # fixed to zero in the null model
    loglik_null: float
    loglik_full: float
    lr: float
    p_value: float
    reference: str  # the null distribution used
    significance_sigma: float  # one-sided Gaussian equivalent of p
    aic_full: float
    aic_null: float
    bic_full: float
    bic_null: float
    level: float

    @property
    def dissipative_coupling(self) -> bool:
        """True if the data reject A = 0 at the result's level."""
        return self.p_value < 1 - self.level

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["dissipative_coupling"] = self.dissipative_coupling
        d["delta_aic"] = self.aic_null - self.aic_full
        d["delta_bic"] = self.bic_null - self.bic_full
        return d


@dataclass(frozen=True, eq=False)
class FitResult:
    """Maximum-likelihood fit. Values in SI (rates 1/s, energies rad/s, phases rad).

    ``interval95[p] = (low, high)`` are profile-likelihood intervals at ``level`` (``None``: not determined;
    ``±inf``: unbounded), ``clipped[p]`` says which ends sit on a physical bound. ``stderr`` and
    ``correlation`` come from the observed Fisher information (``diagnostics['information']`` says if the
    expected one had to be used). ``not_identifiable`` lists, in words, combinations the data do not fix.
    """

    parameters: tuple
    estimates: dict
    stderr: dict
    interval95: dict
    clipped: dict
    correlation: np.ndarray
    covariance: np.ndarray
    loglik: float
    n_points: int
    dof: int
    aic: float
    bic: float
    not_identifiable: list
    on_boundary: list
    comparison: Comparison | None
    fixed: dict
    diagnostics: dict
    level: float = 0.95
    time_unit: str = "s"
    #: the equally good mirror image of the estimate when the data cannot tell the joint sign of (δ, Jz, J⊥,
    #: arg A, arg Ã) (see :func:`_mirror`); the intervals of those parameters then span both images
    mirror_image: dict | None = None
    _problem: object = field(default=None, repr=False)
    _space: object = field(default=None, repr=False)
    _x: object = field(default=None, repr=False)

    def predict(self) -> np.ndarray:
        """Predicted value of every data row at the estimate."""
        q, _ = self._problem.q(self._space, np.asarray(self._x)[None])
        return self._problem.lik.mean(q)[0]

    def residuals(self) -> np.ndarray:
        """Deviance (or Gaussian) residuals of every data row at the estimate; Σ r² is the deviance."""
        q, _ = self._problem.q(self._space, np.asarray(self._x)[None])
        return self._problem.lik.residuals(q)[0]

    def to_dict(self) -> dict:
        """JSON-ready dict (the ``magbell fit --json`` object)."""
        iv = {p: (None if v is None else [_num(v[0]), _num(v[1])]) for p, v in self.interval95.items()}
        return {
            "parameters": list(self.parameters),
            "units": {p: UNITS.get(p, "1") for p in self.interval95},
            "estimates": {p: _num(v) for p, v in self.estimates.items()},
            "stderr": {p: _num(v) for p, v in self.stderr.items()},
            "interval95": iv,
            "interval_level": self.level,
            "time_unit": self.time_unit,  # the unit the data's times were read in (rates are 1/s regardless)
            "clipped_at_bound": {p: list(v) for p, v in self.clipped.items()},
            "correlation": [[_num(x) for x in row] for row in self.correlation],
            "loglik": self.loglik,
            "dof": self.dof,
            "n_points": self.n_points,
            "aic": self.aic,
            "bic": self.bic,
            "not_identifiable": [n.to_dict() for n in self.not_identifiable],
            "on_boundary": list(self.on_boundary),
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "mirror_image": self.mirror_image,
            "fixed": self.fixed,
            "diagnostics": self.diagnostics,
        }

    def summary(self) -> str:
        lines = [f"magbell.sensing fit: {self.n_points} points, {len(self.parameters)} parameters, "
                 f"log L = {self.loglik:.6g}, deviance {self.diagnostics['deviance']:.4g} on {self.dof} dof"]
        kind = "Wald" if self.diagnostics.get("intervals") == "wald" else "profile"
        lines.append(f"{'parameter':>14} {'estimate':>13} {'stderr':>11}   {_pct(self.level)} {kind} interval")
        for p in list(self.parameters) + [k for k in self.interval95 if k not in self.parameters]:
            est = self.estimates.get(p)
            se = self.stderr.get(p)
            iv = self.interval95.get(p)
            ivs = "not determined" if iv is None else f"[{_fmt(iv[0])}, {_fmt(iv[1])}]"
            if p in self.clipped and any(self.clipped[p]):
                ivs += " (at physical bound)"
            lines.append(f"{p:>14} {_fmt(est):>13} {_fmt(se):>11}   {ivs}  {UNITS.get(p, '')}")
        for n in self.not_identifiable:
            lines.append(f"not identifiable: {n.message}")
        for b in self.on_boundary:
            lines.append(f"on boundary: {b}")
        if self.mirror_image:
            images = ", ".join(f"{p} -> {v:.6g}" for p, v in self.mirror_image.items())
            lines.append(f"sign not determined: the mirror image ({images}) fits equally well (real preparations); "
                         "the intervals span both")
        # every diagnostic warning (a poor fit, the evaluation limit, the search limit, zero-probability data):
        # the text output printed none of them, so a fit with p = 3e-132 showed its estimates and intervals as if
        # it described the data (the mirror image has its own line above)
        for w in self.diagnostics.get("warnings", []):
            if not (self.mirror_image and w.startswith("the joint sign of")):
                lines.append(f"WARNING: {w}")
        c = self.comparison
        if c is not None:
            verdict = "show" if c.dissipative_coupling else "do not show"
            lines.append(f"A = 0 test: LR = {c.lr:.4g}, p = {c.p_value:.3g} ({c.reference}); the data {verdict} "
                         f"dissipative coupling at {_pct(self.level)}; ΔAIC = {c.aic_null - c.aic_full:.3g}, "
                         f"ΔBIC = {c.bic_null - c.bic_full:.3g}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax=None):
        """Data vs fit per (preparation, observable) with residuals below; returns the matplotlib Figure."""
        from ._plot import plot_fit

        return plot_fit(self, ax=ax)


def _pct(level: float) -> str:
    """0.95 → '95%', 0.999 → '99.9%' (int() printed 99%, and 0.9 as 90% only by luck of rounding)."""
    return f"{round(level * 100, 10):g}%"


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _fmt(x) -> str:
    if x is None:
        return "-"
    x = float(x)
    if math.isnan(x):
        return "-"
    return f"{x:.6g}"


def _si_factor(p: str, tau: float) -> float:
    return 1 / tau if p in RATE_PARAMETERS else 1.0


def build_result(problem, space: Space, x, ll, res, nfev, t_fit, fixed_si, *, profile, compare, seed, level,
                 time_unit) -> FitResult:
    from ._fit import optimise

    t1 = _time.perf_counter()
    tau = problem.tau
    nat_all = {p: float(v[0]) for p, v in space.natural(np.asarray(x)[None]).items()}
    theta = np.array([nat_all[p] for p in space.free])
    nat_free = {p: nat_all[p] for p in space.free}
    F, F_exp, info_kind = information(problem, space, theta, nat_all)
    nonid, null_basis, sc = identifiability(space, F_exp, nat_all)
    C, undetermined = covariance(F, null_basis, sc)
    f = np.array([_si_factor(p, tau) for p in space.free])
    C_si = C * np.outer(f, f)
    se = np.sqrt(np.diag(C_si))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = C_si / np.outer(se, se)
    est_si = to_si(nat_free, tau)
    stderr = {p: (None if undetermined[j] else float(se[j])) for j, p in enumerate(space.free)}
    interval, clipped = {}, {}
    better = False
    k = space.k
    z = norm.isf((1 - level) / 2)
    for j, p in enumerate(space.free):
        if undetermined[j]:
            interval[p], clipped[p] = None, (False, False)
            continue
        if profile:
            lo, hi, clo, chi_, b = profile_interval(problem, space, p, nat_free, ll, float(np.sqrt(C[j, j])), level,
                                                    slope=_slope(space, C, np.eye(k)[j], p))
            better |= b
        else:  # Wald, clipped at the physical bounds
            lo_b, hi_b = natural_bounds(space, p, nat_free)
            lo, hi = theta[j] - z * np.sqrt(C[j, j]), theta[j] + z * np.sqrt(C[j, j])
            clo, chi_ = bool(lo <= lo_b), bool(hi >= hi_b)
            lo, hi = max(lo, lo_b), min(hi, hi_b)
        lo = -np.inf if lo is None else lo
        hi = np.inf if hi is None else hi
        if p in PHASES:  # the same turn as the wrapped estimate; every phase allowed -> (-π, π)
            shift = est_si[p] - theta[j]
            interval[p] = (lo + shift, hi + shift) if not (clo and chi_) else (-np.pi, np.pi)
            clipped[p] = (False, False)
        else:
            interval[p] = (lo * f[j], hi * f[j])
            clipped[p] = (clo, chi_)
    # derived ratios |A|/a (profile over the bounded ratio: shows the |A| -> a boundary directly)
    for loc, nl, _ in PAIRS:
        if loc in space.free and nl in space.free:
            j = space.free.index(nl)
            name = RATIO[nl]
            r = nat_free[nl] / nat_free[loc] if nat_free[loc] > 0 else 0.0
            est_si[name] = r
            if undetermined[j] or undetermined[space.free.index(loc)] or not nat_free[loc] > 0:
                interval[name], clipped[name] = None, (False, False)
                continue
            w = np.zeros(k)
            w[j] = 1 / nat_free[loc]
            w[space.free.index(loc)] = -r / nat_free[loc]
            se_r = float(np.sqrt(w @ C @ w)) if np.all(np.isfinite(C)) else None
            stderr[name] = se_r
            lo_b = -1.0 if nl == "D_deph" else 0.0
            if profile:
                lo, hi, clo, chi_, b = profile_interval(problem, space, name, nat_free, ll, se_r, level, ratio_of=nl,
                                                        slope=_slope(space, C, w, nl))
                better |= b
            elif se_r is not None:
                lo, hi = r - z * se_r, r + z * se_r
                clo, chi_ = bool(lo <= lo_b), bool(hi >= 1.0)
                lo, hi = max(lo, lo_b), min(hi, 1.0)
            else:
                interval[name], clipped[name] = None, (False, False)
                continue
            interval[name], clipped[name] = (lo, hi), (clo, chi_)
    on_boundary = _boundaries(space, nat_free, {p for j, p in enumerate(space.free) if undetermined[j]})
    n = problem.data.independent  # rows minus one per multinomial set (its four values sum to 1)
    k = space.k
    dev = float(np.sum(problem.lik.residuals(problem.q(space, np.asarray(x)[None])[0])[0] ** 2))
    q_hat = problem.q(space, np.asarray(x)[None])[0]
    forbidden = np.flatnonzero(problem.lik.forbidden(q_hat)[0])
    comparison = None
    if compare and "A" in space.free:
        comparison = _compare(problem, space, nat_free, ll, nonid, n, k, level, seed, optimise)
    t_all = _time.perf_counter() - t1
    diag = {
        "information": info_kind,
        "optimizer": "scipy.optimize.least_squares (trf) from the best of a seeded batch of starts",
        "status": None if res is None else int(res.status),
        "message": None if res is None else str(res.message),
        "function_evaluations": int(nfev),
        "forward_model_calls": int(problem.n_evals),
        "deviance": dev,
        "goodness_of_fit_p": float(chi2.sf(dev, n - k)) if n > k else None,
        "intervals": "profile" if profile else "wald",
        "fit_seconds": t_fit,
        "uncertainty_seconds": t_all,
        "tau_seconds": tau,
        "warnings": ["a profile fit found a higher likelihood than the estimate: the fit may not be global; "
                     "try start= or another seed"] if better else [],
    }
    gof = diag["goodness_of_fit_p"]
    if gof is not None and gof < 1e-4:
        diag["warnings"].append(
            f"the fit does not describe the data (deviance {dev:.4g} on {n - k} dof, p = {gof:.2g}): a local "
            "optimum (oscillating couplings make the likelihood multimodal: give start= or more n_starts) or a "
            "model that lacks a parameter; the uncertainties assume a good fit")
    if res is not None and res.status == 0:
        diag["warnings"].append("the optimizer stopped at its evaluation limit before converging; try start= "
                                "near the estimate or fewer free parameters")
    fast = [p for p in space.free if p in RATE_PARAMETERS and p not in RATIO
            and abs(nat_free[p]) >= space.rate_max * (1 - 1e-9)]
    if fast:
        diag["warnings"].append(
            f"{', '.join(fast)} reached the search limit 100/(shortest wait) = {space.rate_max / tau:.4g} (SI): "
            "beyond it every measured point is relaxed or dephased, so such a value is only a bound; add shorter "
            "waits (or fix the parameter if it is not determined)")
    mirror = _mirror(space, problem.data, est_si, interval)
    if mirror is not None:
        diag["warnings"].append(mirror.pop("message"))
    if forbidden.size:
        rows = ", ".join(problem.data.where[i] for i in forbidden[:3])
        diag["warnings"].append(
            f"the model at the estimate gives probability 0 to observed outcomes ({rows}"
            f"{' ...' if forbidden.size > 3 else ''}): the likelihood is 0 there; free more parameters or "
            "include readout errors (readout_up, readout_down)")
    return FitResult(
        parameters=tuple(space.free), estimates=est_si, stderr=stderr, interval95=interval, clipped=clipped,
        correlation=corr, covariance=C_si, loglik=float(ll), n_points=problem.data.n, dof=n - k, aic=2 * k - 2 * ll,
        bic=k * np.log(n) - 2 * ll, not_identifiable=nonid, on_boundary=on_boundary, comparison=comparison,
        fixed=dict(fixed_si), diagnostics=diag, level=level, time_unit=time_unit, mirror_image=mirror,
        _problem=problem, _space=space, _x=np.asarray(x),
    )


def _slope(space: Space, C: np.ndarray, w: np.ndarray, profiled: str) -> dict:
    """Regression of the other parameters on the profiled combination wᵀθ (from the covariance)."""
    if not np.all(np.isfinite(C)):
        return {}
    cw = C @ w
    var = float(w @ cw)
    if not var > 0:
        return {}
    return {p: float(cw[i] / var) for i, p in enumerate(space.free) if p != profiled}


def _sigma(p: float) -> float:
    if p <= 0:
        return float("inf")
    return float(norm.isf(p)) if p < 0.5 else 0.0


def _boundaries(space: Space, nat: dict, undetermined: set) -> list:
    """Estimates on a physical bound, in words (not for parameters the data do not determine)."""
    out = []
    for loc, nl, signed in PAIRS:
        if nl in space.free and nl not in undetermined:
            top = nat[loc] if loc in nat else space.fixed.get(loc, 0.0)
            if top > 0 and abs(nat[nl]) >= top * (1 - 1e-6):
                out.append(f"|{nl}| = {loc}: the estimate sits on the physical bound {loc} >= |{nl}| (a dark "
                           f"state); the interval of {RATIO[nl]} ends at 1")
            elif not signed and nat[nl] <= 1e-6 * max(top, 1e-300):
                out.append(f"{nl} = 0: the estimate sits on the lower bound; its interval starts at 0")
        if loc in space.free and loc not in undetermined and nat[loc] <= 1e-9:
            out.append(f"{loc} = 0: the estimate sits on the lower bound")
    for p in ("readout_up", "readout_down"):
        if p in space.free and p not in undetermined and nat[p] >= 1 - 1e-9:
            out.append(f"{p} = 1: perfect readout, the upper bound")
    return out


def _compare(problem, space, nat_free, ll, nonid, n, k, level, seed, optimise) -> Comparison:
    drop = ["A"] + (["A_tilde"] if "A_tilde" in space.free else [])
    phases = {"A": "arg_A", "A_tilde": "arg_A_tilde"}
    undet = {p for ni in nonid for p in ni.parameters}
    components = []
    removed = list(drop)
    for m in drop:
        ph = phases[m]
        if ph in space.free:
            removed.append(ph)
            components.append({2: 1.0} if ph not in undet else {0: 0.5, 1: 0.5})
        else:
            components.append({0: 0.5, 1: 0.5})
    free0 = tuple(p for p in space.free if p not in removed)
    fixed0 = dict(space.fixed)
    null = {}
    for m in drop:
        fixed0[m] = 0.0
        null[m] = 0.0
    if "A_tilde" not in drop and "arg_A_tilde" not in fixed0 and "arg_A" in space.free:
        fixed0["arg_A_tilde"] = nat_free["arg_A"]
    for ph in ("arg_A", "arg_A_tilde"):
        if ph in removed:
            fixed0.setdefault(ph, 0.0)
    sub = Space(free0, fixed0, space.tau, rate_max=space.rate_max)
    if free0:
        start = {p: nat_free[p] for p in free0}
        x0, ll0, _, _ = optimise(problem, sub, start, seed=seed, n_starts=64, n_local=2)
    else:
        x0 = np.zeros(0)
        ll0 = float(problem.loglik(sub, x0[None])[0])
    for i, m in enumerate(drop):
        if phases[m] in space.free:  # a fitted phase: the reference follows from the data's first-order sensitivity
            shared = m == "A" and "arg_A_tilde" not in space.free and "arg_A_tilde" not in space.fixed
            comp = coupling_component(problem, sub, x0, m, phases[m], shared=shared)
            if comp is not None:
                components[i] = comp
    lr, p = lr_test(ll, ll0, components)
    if np.any(problem.lik.forbidden(problem.q(sub, np.asarray(x0)[None])[0])):
        # the null model gives probability 0 to outcomes that were observed: its likelihood is 0
        ll0, lr, p = -np.inf, np.inf, 0.0
    ref = " * ".join(component_label(c) for c in components)
    k0 = len(free0)
    return Comparison(null=null, loglik_null=ll0, loglik_full=ll, lr=lr, p_value=p, reference=ref,
                      significance_sigma=_sigma(p),
                      aic_full=2 * k - 2 * ll, aic_null=2 * k0 - 2 * ll0, bic_full=k * np.log(n) - 2 * ll,
                      bic_null=k0 * np.log(n) - 2 * ll0, level=level)


#: preparations whose state vectors are real (all of magbell's named two-qubit states)
_REAL_STATES = frozenset(("uu", "ud", "du", "dd", "singlet", "triplet0", "phi+", "phi-", "psi+", "psi-"))
_ODD = ("delta", "Jz", "Jperp")
_ODD_PHASES = ("arg_A", "arg_A_tilde")


def _mirror(space: Space, data, est_si: dict, interval: dict):
    """The exact sign symmetry of relaxometry with real preparations, and the intervals it forces.

    Complex conjugation of the Lindblad equation maps ρ(t) to the solution with Hamiltonian −H* and jump
    operators J*: δ, Jz, J⊥ change sign (the DM term D(σxσy − σyσx) is imaginary, so D_dm does not), A and Ã
    become their conjugates, and dephasing is unchanged. A real ρ(0) is its own conjugate and the
    populations of ρ* are those of ρ, so every observable here takes the same value at θ and at its mirror
    (δ, Jz, J⊥, arg A, arg Ã) → −(…). Unless a fixed value breaks it (a fixed δ ≠ 0, a fixed phase other than
    0, π), the data cannot tell the two apart: the profile-likelihood set is the union of an interval and its
    mirror, and the fit reported only the one it happened to land in (a 95 % interval that excluded the truth
    in half the data sets). The interval of each odd parameter becomes the hull of both; the result says so.
    Returns {parameter: mirror value, "message": ...} or None.
    """
    if not set(data.initial.tolist()) <= _REAL_STATES:
        return None
    for p in _ODD:
        if p not in space.free and float(space.fixed.get(p, 0.0)) != 0.0:
            return None
    for p in _ODD_PHASES:
        if p not in space.free and p in space.fixed and abs(np.sin(float(space.fixed[p]))) > 1e-12:
            return None
    odd = [p for p in space.free if p in _ODD or p in _ODD_PHASES]
    moved = [p for p in odd if (abs(np.sin(est_si[p])) > 1e-12 if p in PHASES else est_si[p] != 0)]
    if not moved:
        return None
    out = {}
    for p in odd:
        v = est_si[p]
        iv = interval.get(p)
        if p in PHASES:
            m = float(np.angle(np.exp(-1j * v)))
            out[p] = m
            if iv is None:
                continue
            k = np.round((v - (-v)) / (2 * np.pi))  # the turn of the mirror nearest to the estimate
            lo_m, hi_m = -iv[1] + 2 * np.pi * k, -iv[0] + 2 * np.pi * k
            lo, hi = min(iv[0], lo_m), max(iv[1], hi_m)
            interval[p] = (-np.pi, np.pi) if hi - lo >= 2 * np.pi else (lo, hi)
        else:
            out[p] = -v
            if iv is not None:
                interval[p] = (min(iv[0], -iv[1]), max(iv[1], -iv[0]))
    images = ", ".join(f"{p} = {est_si[p]:.6g} or {out[p]:.6g}" for p in moved)
    out["message"] = (
        f"the joint sign of {', '.join(odd)} is not determined by these data: with real preparations the "
        "measured populations are the same at (δ, Jz, J⊥, arg A, arg Ã) and at −(δ, Jz, J⊥, arg A, arg Ã) "
        f"(complex conjugation of the Lindblad equation), so {images} fit equally well; their intervals span "
        "both images. Fix one sign (e.g. a known δ) to resolve it")
    return out
