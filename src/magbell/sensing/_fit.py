"""Maximum-likelihood fit of model parameters to relaxometry data: :func:`fit`.

The optimiser is ``scipy.optimize.least_squares`` (trust-region reflective, box bounds) on the deviance
residuals of :mod:`._likelihood`, from the best few of a seeded batch of starting points (one batched
:func:`magbell.evolve` call), with forward-difference Jacobians computed in one batched call each.
Uncertainties, identifiability and the A = 0 comparison: :mod:`._uncertainty`.
"""

from __future__ import annotations

import time as _time

import numpy as np
from scipy.optimize import least_squares
from scipy.stats import chi2

from ..errors import InvalidParameterError
from ._data import load_data
from ._likelihood import Likelihood
from ._params import (PAIRS, PARAMETERS, PHASES, RATE_PARAMETERS, READOUT, RATIO, Space, check_physical,
                      parse_assignments, parse_names, to_scaled)

__all__ = ["fit", "Problem"]

_N_STARTS = 192
_N_LOCAL = 3


class Problem:
    """A data set with its likelihood, in scaled units (rates × tau, tau = longest time)."""

    def __init__(self, data, tau=None):
        self.data = data
        t_max = float(np.max(data.time))
        if not t_max > 0:
            raise InvalidParameterError("all measured times are 0: relaxometry needs waits > 0")
        self.tau = float(tau) if tau is not None else t_max
        #: rates beyond 100/(shortest wait) leave every measured point relaxed: nothing resolves them
        self.rate_max = 100.0 * self.tau / float(np.min(data.time[data.time > 0]))
        self.lik = Likelihood(data, self.tau)
        self.n_evals = 0

    def q(self, space: Space, X):
        self.n_evals += 1
        return self.lik.predict_q(space, X)

    def loglik(self, space: Space, X) -> np.ndarray:
        q, _ = self.q(space, X)
        return self.lik.loglik(q)

    def minimise(self, space: Space, x0, max_nfev: int = 200, guard: bool = False, ftol: float = 1e-10):
        """least_squares from x0 (internal coordinates); returns (x, loglik, scipy result).

        ``guard``: abandon (loglik −inf) a run whose rates leave the resolvable range ``rate_max``
        (a start in the wrong basin; it would only cost time).
        """
        x0 = np.clip(np.asarray(x0, dtype=float), space.lower, space.upper)
        if space.k == 0:
            return x0, float(self.loglik(space, x0[None])[0]), None
        pinned = ~(space.lower < space.upper)
        if np.any(pinned):
            # a coordinate whose range collapsed to a point (|A| ∈ [0, a] while a profile holds a = 0):
            # least_squares refuses equal bounds, so optimise the others with it held there
            return self._minimise_pinned(space, x0, pinned, max_nfev, guard, ftol)
        cache: dict = {}
        rates = np.array([p in RATE_PARAMETERS and p not in RATIO for p in space.free])

        def evaluate(x):
            key = x.tobytes()
            if guard and np.any(np.abs(x[rates]) > space.rate_max):
                raise _Astray
            if key not in cache:
                h = _fd_steps(space, x)
                X = np.vstack([x, x + np.diag(h)])
                q, _ = self.q(space, X)
                r = self.lik.residuals(q)
                cache.clear()
                cache[key] = (r[0], ((r[1:] - r[0]).T / h))
            return cache[key]

        try:
            res = least_squares(lambda x: evaluate(x)[0], x0, jac=lambda x: evaluate(x)[1],
                                bounds=(space.lower, space.upper), method="trf", x_scale="jac",
                                max_nfev=max_nfev, ftol=ftol, xtol=ftol, gtol=ftol)
        except _Astray:
            return x0, -np.inf, None
        x = res.x
        return x, float(self.lik.sat - 0.5 * np.sum(res.fun**2)), res


    def _minimise_pinned(self, space: Space, x0, pinned, max_nfev, guard, ftol):
        x0 = np.where(pinned, space.lower, x0)
        free = tuple(p for p, pin in zip(space.free, pinned) if not pin)
        fixed = dict(space.fixed)
        nat = space.natural(x0[None])
        for p, pin in zip(space.free, pinned):
            if pin:
                fixed[p] = float(nat[p][0])
                if p in RATIO:  # held in natural units; the ratio coordinate would need its partner
                    fixed.pop(RATIO[p], None)
        sub = Space(free, fixed, space.tau, ratio=space.ratio, rate_max=space.rate_max, limit=space.limit)
        xs, ll, res = self.minimise(sub, x0[~pinned], max_nfev=max_nfev, guard=guard, ftol=ftol)
        x = x0.copy()
        x[~pinned] = xs
        return x, ll, res


class _Astray(Exception):
    pass


def _fd_steps(space: Space, x) -> np.ndarray:
    # 3e-5: large enough that a step away from 0 is not a "weak coupling" (which the exact propagator
    # sends to its slow double-double path), small enough for a Gauss-Newton direction
    h = 3e-5 * np.maximum(np.abs(x), 1.0)
    h = np.where(x + h > space.upper, -h, h)
    return h


def _candidates(space: Space, rng, n: int) -> np.ndarray:
    """Seeded starting points spread over the plausible range of every internal coordinate."""
    X = np.empty((n, space.k))
    for j, p in enumerate(space.free):
        lo, hi = space.lower[j], space.upper[j]
        if p in ("a", "a_tilde", "d"):
            X[:, j] = max(lo, 0) + 10 ** rng.uniform(-1.5, 1.5, n)
        elif p in RATIO and np.isfinite(hi):
            X[:, j] = rng.uniform(lo, hi, n)
        elif p in PHASES:
            X[:, j] = rng.uniform(-np.pi, np.pi, n)
        elif p in READOUT:
            X[:, j] = rng.uniform(0.8, 1.0, n)
        else:  # delta, Jz, Jperp, D_dm
            X[:, j] = rng.choice([-1.0, 1.0], n) * 10 ** rng.uniform(-1.5, 1.5, n)
            X[: n // 8, j] = 0.0
    return X


def optimise(problem: Problem, space: Space, start_nat=None, seed: int = 0, n_starts: int = _N_STARTS,
             n_local: int = _N_LOCAL):
    """Global-ish maximum: batched screening of seeded starts (and ``start_nat``), then least_squares."""
    rng = np.random.default_rng(seed)
    X = _candidates(space, rng, n_starts)
    if start_nat is not None:
        X = np.vstack([space.internal(start_nat)[None], X])
    ll = problem.loglik(space, X)
    ll = np.where(np.isfinite(ll), ll, -np.inf)
    order = np.argsort(-ll)
    picks = list(order[:n_local])
    if start_nat is not None and 0 not in picks:
        picks[-1] = 0
    best = None
    nfev = 0
    for i in picks:
        x, l, res = problem.minimise(space, X[i], guard=True)
        nfev += 0 if res is None else res.nfev
        if best is None or l > best[1]:
            best = (x, l, res)
    if not np.isfinite(best[1]):
        # every start ran off beyond the resolvable range (a parameter the data do not determine, or a rate
        # faster than the shortest wait): fit inside it, so that a run-away parameter cannot drag the
        # propagator to t·‖L‖ where its rounding would bias the others
        limited = Space(space.free, space.fixed, space.tau, rate_max=space.rate_max, limit=True)
        x, l, res = problem.minimise(limited, X[picks[0]])
        best = (x, l, res)
        nfev += 0 if res is None else res.nfev
    x, l = _snap_to_bounds(problem, space, best[0], best[1])
    return x, l, best[2], nfev


def _snap_to_bounds(problem: Problem, space: Space, x, ll):
    """Move coordinates that stopped near a finite bound onto it when that costs no likelihood (flat
    directions, e.g. |A| → 0 where populations depend on |A|² only): the estimate is then reported as on
    the boundary instead of at an arbitrary 1e-6 from it."""
    x = np.array(x, dtype=float)
    width = np.where(np.isfinite(space.upper - space.lower), space.upper - space.lower, np.maximum(np.abs(x), 1.0))
    for bound in (space.lower, space.upper):
        near = np.isfinite(bound) & (np.abs(x - bound) <= 1e-3 * width) & (x != bound)
        if not np.any(near):
            continue
        cand = np.array([np.where(np.arange(space.k) == j, bound, x) for j in np.flatnonzero(near)])
        lls = problem.loglik(space, cand)
        for j, c, l in zip(np.flatnonzero(near), cand, lls):
            if l >= ll - 1e-9:
                x[j] = bound[j]
        ll = float(problem.loglik(space, x[None])[0])
    return x, ll


def resolve(fit_names, fixed, data, default_zero=True) -> tuple:
    """Validated (free names, fixed SI values) for a data set."""
    free = parse_names(fit_names)
    if not free:
        raise InvalidParameterError("fit: name at least one parameter to fit, e.g. fit='a,A'")
    fixed = parse_assignments(fixed, "fix")
    both = [p for p in free if p in fixed]
    if both:
        raise InvalidParameterError(f"{', '.join(both)} cannot be both fitted and fixed")
    if "a" not in free and "a" not in fixed:
        raise InvalidParameterError("a (the local relaxation rate) must be fitted or fixed (fix='a=...')")
    for p in READOUT:
        if p in free and data.has_readout:
            raise InvalidParameterError(f"cannot fit {p}: the data give it per row (column {p})")
    if "arg_A_tilde" in free and "A_tilde" not in free and fixed.get("A_tilde", 0.0) == 0:
        raise InvalidParameterError("arg_A_tilde can only be fitted together with a nonzero A_tilde")
    check_physical(fixed, "fix")
    full = dict(fixed)
    if default_zero:
        for p in PARAMETERS:
            if p not in free and p not in full and p not in READOUT and p != "arg_A_tilde":
                full[p] = 0.0
    return free, full


def fit(data, fit="a,A", fix=None, *, time_unit: str = "s", start=None, profile: bool = True,
        compare: bool = True, seed: int = 0, level: float = 0.95, n_starts: int = _N_STARTS):
    """Maximum-likelihood estimate of the parameters ``fit`` with the others fixed (``fix``, default 0).

    Parameters
    ----------
    data : CSV path, pandas DataFrame, xarray Dataset, dict of columns or :class:`Data` (see ``load_data``).
    fit : names to estimate, e.g. ``"a,A,a_tilde"`` (see :data:`PARAMETERS`).
    fix : ``{"delta": 0.0, ...}`` or ``"delta=0,d=1e3"`` in SI units (rates 1/s, energies rad/s).
    time_unit : unit of the data's time column (``s``, ``ms``, ``us``, ``ns``); rates are always 1/s.
    start : optional starting values (SI) for some fitted parameters.
    profile : compute profile-likelihood intervals (otherwise Wald intervals est ± 1.96 se).
    compare : when ``A`` is fitted, also fit A = 0 (and Ã = 0 if fitted) and test it (likelihood ratio).
    seed, n_starts : the seeded starting points screened in one batched call (the best 3 are refined).
        Oscillating couplings (δ, J⊥, D) make the likelihood multimodal: raise ``n_starts`` or give ``start``
        when ``diagnostics["warnings"]`` reports a poor goodness of fit.

    Returns a :class:`magbell.sensing.FitResult`.
    """
    from ._result import build_result  # noqa: PLC0415 - avoids an import cycle

    t0 = _time.perf_counter()
    _check_options(level, seed, n_starts)
    data = load_data(data, time_unit)
    free, fixed_si = resolve(fit, fix, data)
    if data.independent <= len(free):
        raise InvalidParameterError(
            f"{data.independent} independent data point(s) cannot determine {len(free)} fitted parameter(s): need "
            "more points than parameters (a complete set p_uu..p_dd counts as 3)")
    problem = Problem(data)
    tau = problem.tau
    space = Space(free, to_scaled(fixed_si, tau), tau, rate_max=problem.rate_max)
    start_nat = None
    if start is not None:
        st = parse_assignments(start, "start")
        unknown = [p for p in st if p not in free]
        if unknown:
            raise InvalidParameterError(f"start: {', '.join(unknown)} not fitted")
        check_physical({**fixed_si, **st}, "start")
        start_nat = _default_start(space, to_scaled(st, tau))
    x, ll, res, nfev = optimise(problem, space, start_nat, seed=seed, n_starts=int(n_starts))
    dof = data.independent - len(free)
    if chi2.sf(2 * (problem.lik.sat - ll), dof) < 1e-4:
        # a poor fit is most often a local optimum of an oscillating likelihood: screen 16x more starts once
        x2, ll2, res2, nfev2 = optimise(problem, space, start_nat, seed=seed + 1, n_starts=16 * int(n_starts))
        nfev += nfev2
        if ll2 > ll:
            x, ll, res = x2, ll2, res2
    t_fit = _time.perf_counter() - t0
    return build_result(problem, space, x, ll, res, nfev, t_fit, fixed_si, profile=profile, compare=compare,
                        seed=seed, level=level, time_unit=time_unit)


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _check_options(level, seed, n_starts) -> None:
    """The scalar options of :func:`fit`, each refused in one line naming it (they reached scipy/numpy as
    tracebacks: level=1.5 'Initial guess is outside of provided bounds', seed=-1 'expected non-negative
    integer')."""
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.integer, np.floating)) \
            or not 0 < float(level) < 1:
        raise InvalidParameterError(f"level must be a number in (0, 1), got {level!r}")
    if not (_is_int(seed) and seed >= 0):
        raise InvalidParameterError(f"seed must be an integer >= 0, got {seed!r}")
    if not (_is_int(n_starts) and n_starts >= 1):
        raise InvalidParameterError(f"n_starts must be an integer >= 1, got {n_starts!r}")


def _default_start(space: Space, given: dict) -> dict:
    nat = {}
    for p in space.free:
        if p in given:
            nat[p] = given[p]
        elif p in ("a", "a_tilde", "d"):
            nat[p] = 1.0
        elif p in READOUT:
            nat[p] = 0.95
        else:
            nat[p] = 0.0
    for loc, nl, _ in PAIRS:  # keep a given start physical
        if loc in nat and nl in nat and abs(nat[nl]) > nat[loc]:
            nat[loc] = abs(nat[nl])
    return nat


def natural_si(space: Space, x) -> dict:
    """Natural values of the free parameters (scaled) at internal x, as a dict of floats."""
    v = space.natural(np.asarray(x)[None])
    return {p: float(v[p][0]) for p in space.free}

