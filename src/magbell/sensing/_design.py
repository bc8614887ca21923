"""Design of relaxometry experiments: synthetic data, Cramér–Rao bounds, optimal allocation of shots.

* :func:`simulate` draws seeded data for a :class:`Protocol` from the exact forward model: a complete set
  of populations is one multinomial draw of the four read-out outcomes; z1, z2, z1z2 are binomial; ``cov``
  is the sample covariance of the ±1 outcomes of its own shots.
* :func:`cramer_rao`: the inverse expected information (Rao 1945; Cramér 1946) of a protocol.
* :func:`design`: c-optimal allocation (Pukelsheim, *Optimal Design of Experiments*, ch. 5) of a shot budget
  over candidate (preparation, time) settings, minimising var(target) = cᵀ M(w)⁻¹ c over the simplex with
  ``scipy.optimize.minimize`` (SLSQP), M(w) = Σ w_s F_s the per-shot information.
* :func:`shots_to_detect`: shots for the A = 0 likelihood-ratio test to reject at level α with a given power,
  from the non-centrality of the exemplary (noise-free) data set (O'Brien & Muller 1993):
  λ(N) = N · min_{θ₀} deviance₁, one-sided boundary test ⇒ √λ = z₁₋α + z_power.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm

from ..errors import InvalidParameterError
from ..system._two_site_states import STATE_NAMES
from ._data import OBSERVABLES, POPULATIONS, SHOTS_MAX, Data, load_data, time_scale
from ._fit import Problem, optimise, resolve
from ._params import (PARAMETERS, RATE_PARAMETERS, READOUT, Space, check_physical, parse_assignments, parse_names,
                      to_scaled)
from ._uncertainty import (component_label, coupling_component, covariance, expected_information, identifiability,
                           scales, standardised_rows)

#: smallest |truth − best A = 0 model| of an outcome probability that shots_to_detect trusts: the forward
#: model's populations are exact to ~1e-13 absolute (docs/numerics.md); 1e-10 keeps λ to ~1e-3 relative
_RESOLVED_GAP = 1e-10

__all__ = ["Protocol", "simulate", "cramer_rao", "design", "shots_to_detect", "DesignResult", "truth_from_couplings"]


@dataclass(frozen=True, eq=False)
class Protocol:
    """Preparations × wait times, measured with ``shots`` single-shot readouts per setting and observable.

    ``times`` in ``time_unit``; ``shots`` a number or an array (n_initials, n_times); ``observables``:
    ``"populations"`` (the four joint outcomes of the same shots) and/or any of z1, z2, z1z2, cov.
    """

    initials: tuple
    times: np.ndarray
    shots: object = 1000
    time_unit: str = "s"
    observables: tuple = ("populations",)
    readout_up: float = 1.0
    readout_down: float = 1.0
    _shots: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        ini = self.initials
        if isinstance(ini, str):
            ini = tuple(s.strip() for s in ini.split(",") if s.strip())
        bad = [s for s in ini if s not in STATE_NAMES]
        if bad or not ini:
            raise InvalidParameterError(f"initials: unknown or missing state(s) {bad}; known: {', '.join(STATE_NAMES)}")
        object.__setattr__(self, "initials", tuple(str(s) for s in ini))
        t = np.atleast_1d(np.asarray(self.times, dtype=float))
        if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
            raise InvalidParameterError("times must be a non-empty 1-D array of finite times >= 0")
        object.__setattr__(self, "times", t)
        time_scale(self.time_unit)
        obs = self.observables
        if isinstance(obs, str):
            obs = tuple(s.strip() for s in obs.split(",") if s.strip())
        for o in obs:
            if o != "populations" and o not in OBSERVABLES[4:]:
                raise InvalidParameterError(
                    f"observables: unknown {o!r}; use populations, {', '.join(OBSERVABLES[4:])}")
        object.__setattr__(self, "observables", tuple(obs))
        raw = np.asarray(self.shots)
        if raw.dtype.kind not in "iuf":  # a bool (True is 1) or text is a mistake, not a count
            raise InvalidParameterError(f"shots must be whole numbers >= 0, got {self.shots!r}")
        try:
            n = np.broadcast_to(raw.astype(float), (len(ini), len(t)))
        except ValueError:
            raise InvalidParameterError(f"shots must be a number or an array of shape (n_initials, n_times) = "
                                        f"({len(ini)}, {len(t)}), got shape {raw.shape}") from None
        if not np.all(np.isfinite(n)) or np.any(n < 0) or np.any(n != np.round(n)) or np.any(n > SHOTS_MAX):
            raise InvalidParameterError("shots must be whole numbers in [0, 2**53]")
        if not np.any(n > 0):
            raise InvalidParameterError("shots: the protocol measures nothing (all shots are 0)")
        object.__setattr__(self, "_shots", n.copy())
        check_physical({"readout_up": self.readout_up, "readout_down": self.readout_down}, "protocol")

    @property
    def shot_table(self) -> np.ndarray:
        return self._shots

    @property
    def total_shots(self) -> int:
        return int(np.sum(self._shots) * len(self.observables))

    def to_dict(self) -> dict:
        rows = [{"initial": str(s), "time": float(t), "shots": int(self._shots[i, j])}
                for i, s in enumerate(self.initials) for j, t in enumerate(self.times) if self._shots[i, j] > 0]
        return {"time_unit": self.time_unit, "observables": list(self.observables), "settings": rows,
                "total_shots": self.total_shots, "readout_up": self.readout_up, "readout_down": self.readout_down}


def _truth(truth) -> dict:
    t = parse_assignments(truth, "truth")
    if "a" not in t:
        raise InvalidParameterError("truth: a (the local relaxation rate) is required")
    check_physical(t, "truth")
    return t


def _blame_times(err: InvalidParameterError, truth_si: dict, tau: float) -> InvalidParameterError:
    """The solvers see rates × t_max (scaled units): when the SI rates are in range but their product with the
    longest time is not, the error names the times (``--times 0:1e308:3`` blamed ``a=1e+308``)."""
    from .._domain import RATE_MAX, T_NORM_MAX

    rates = {k: abs(complex(v)) for k, v in truth_si.items() if k in RATE_PARAMETERS}
    if not rates:
        return err
    k = max(rates, key=rates.get)
    with np.errstate(over="ignore"):
        prod = rates[k] * tau
    if not (rates[k] <= RATE_MAX and prod > 1.0):
        return err  # the rates themselves (or something else) are at fault: the solver's own message
    return InvalidParameterError(
        f"times: the longest time t = {tau:.6g} s is too long for the rates (|{k}| = {rates[k]:.6g}, |{k}|·t = "
        f"{prod:.3g}; the solvers' accuracy domain is t·‖L‖ <= {T_NORM_MAX:g}); shorten the times"
    )


def _joint(truth_si: dict, protocol: Protocol) -> tuple:
    """Read-out joint probabilities q (n_initials, n_times, 4) and tau."""
    sc = time_scale(protocol.time_unit)
    t = protocol.times * sc
    tau = float(t.max()) if t.max() > 0 else 1.0
    fixed = to_scaled({k: v for k, v in truth_si.items() if k not in READOUT}, tau)
    fixed.update(readout_up=protocol.readout_up, readout_down=protocol.readout_down)
    space = Space((), fixed, tau)
    rows = {"time": [], "initial": [], "observable": [], "value": [], "shots": []}
    for s in protocol.initials:
        for tt in t:
            rows["time"].append(tt)
            rows["initial"].append(s)
            rows["observable"].append("p_uu")
            rows["value"].append(0.5)
            rows["shots"].append(1)
    prob = Problem(load_data(rows), tau)
    try:
        q, _ = prob.q(space, np.zeros((1, 0)))
    except InvalidParameterError as e:
        raise _blame_times(e, truth_si, tau) from None
    q = np.clip(q[0], 0.0, 1.0)
    q = q / q.sum(axis=-1, keepdims=True)
    return q.reshape(len(protocol.initials), len(t), 4), tau


def simulate(truth, protocol: Protocol, seed=None, *, expected: bool = False) -> Data:
    """Seeded synthetic data for ``protocol`` from parameters ``truth`` (SI dict or ``"a=1e4,A=5e3"``).

    ``expected=True`` returns the noise-free expectation (values = probabilities; shots as planned).
    """
    truth_si = _truth(truth)
    if seed is not None and not isinstance(seed, (np.random.Generator, np.random.SeedSequence)) and not (
            isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)) and seed >= 0):
        raise InvalidParameterError(f"seed must be None or an integer >= 0, got {seed!r}")
    q, _ = _joint(truth_si, protocol)
    rng = np.random.default_rng(seed)
    sc = time_scale(protocol.time_unit)
    cols = {"time": [], "initial": [], "observable": [], "value": [], "shots": []}
    vals = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)

    def add(t, s, o, v, n):
        cols["time"].append(t * sc)
        cols["initial"].append(s)
        cols["observable"].append(o)
        cols["value"].append(float(v))
        cols["shots"].append(int(n))

    for i, s in enumerate(protocol.initials):
        for j, t in enumerate(protocol.times):
            n = int(protocol.shot_table[i, j])
            if n == 0:
                continue
            p = q[i, j]
            for o in protocol.observables:
                f = p if expected else rng.multinomial(n, p) / n
                z1, z2, zz = f @ vals[:, 0], f @ vals[:, 1], f @ (vals[:, 0] * vals[:, 1])
                if o == "populations":
                    f = f / np.sum(f)
                    for k, name in enumerate(POPULATIONS):
                        add(t, s, name, f[k], n)
                elif o == "z1":
                    add(t, s, o, np.clip(z1, -1, 1), n)
                elif o == "z2":
                    add(t, s, o, np.clip(z2, -1, 1), n)
                elif o == "z1z2":
                    add(t, s, o, np.clip(zz, -1, 1), n)
                else:
                    add(t, s, o, np.clip(zz - z1 * z2, -1, 1), n)
    if protocol.readout_up != 1 or protocol.readout_down != 1:
        m = len(cols["time"])
        cols["readout_up"] = [protocol.readout_up] * m
        cols["readout_down"] = [protocol.readout_down] * m
    return load_data(cols)


def _info_setup(truth_si, fit, protocol):
    data = simulate(truth_si, protocol, expected=True)
    if any(p in parse_names(fit) for p in READOUT):  # fitted readout: the data must not fix it per row
        cols = data.to_columns()
        cols.pop("readout_up", None)
        cols.pop("readout_down", None)
        data = load_data(cols)
        truth_si = {**truth_si, "readout_up": protocol.readout_up, "readout_down": protocol.readout_down}
    fixed = {k: v for k, v in truth_si.items() if k not in parse_names(fit)}
    free, fixed_si = resolve(fit, fixed, data)
    problem = Problem(data)
    space = Space(free, to_scaled(fixed_si, problem.tau), problem.tau, rate_max=problem.rate_max)
    nat = space.natural(np.zeros((1, 0)) if not free else np.zeros((1, len(free))))
    truth_scaled = to_scaled(truth_si, problem.tau)
    nat_all = {p: float(v[0]) for p, v in nat.items()}
    for p in free:
        nat_all[p] = float(truth_scaled.get(p, 0.0 if p not in READOUT else 1.0))
    theta = np.array([nat_all[p] for p in free])
    return problem, space, theta, nat_all


def _defaults(free, fixed) -> dict:
    out = dict(fixed)
    for p in PARAMETERS:
        if p not in free and p not in out and p not in READOUT and p != "arg_A_tilde":
            out[p] = 0.0
    return out


def cramer_rao(truth, protocol: Protocol, fit="a,A") -> dict:
    """Cramér–Rao standard deviations (SI) of the fitted parameters at ``truth`` for ``protocol``.

    Returns ``{"stderr": {p: σ or None}, "covariance": (k, k) SI, "parameters": names,
    "not_identifiable": [...]}``; None marks parameters the protocol cannot determine.
    """
    truth_si = _truth(truth)
    problem, space, theta, nat_all = _info_setup(truth_si, fit, protocol)
    F = expected_information(problem, space, theta, nat_all)
    nonid, null, sc = identifiability(space, F, nat_all)
    C, und = covariance(F, null, sc)
    f = np.array([1 / problem.tau if p in RATE_PARAMETERS else 1.0 for p in space.free])
    C = C * np.outer(f, f)
    se = np.sqrt(np.diag(C))
    return {"parameters": space.free, "stderr": {p: (None if und[j] else float(se[j])) for j, p in enumerate(space.free)},
            "covariance": C, "not_identifiable": [n.message for n in nonid]}


@dataclass(frozen=True)
class DesignResult:
    """Recommended protocol and predicted uncertainty of ``target`` (SI)."""

    protocol: Protocol
    target: str
    stderr: float
    stderr_uniform: float
    weights: dict  # (initial, time) -> fraction of shots

    def to_dict(self) -> dict:
        return {"target": self.target, "predicted_stderr": self.stderr, "uniform_allocation_stderr": self.stderr_uniform,
                "efficiency_gain": (self.stderr_uniform / self.stderr) ** 2 if self.stderr > 0 else None,
                "protocol": self.protocol.to_dict()}


#: shots per setting at which the per-shot information is taken (divided out again): the counting rows'
#: information is exactly linear in the shots, the ``cov`` rows' only asymptotically (the variance of a
#: sample covariance has a 1/n² term): at one shot their information was underestimated (design predicted
#: σ(A) = 137 /s for a cov-only protocol whose Cramér–Rao bound is 94 /s)
_N_REF = 2**40


def _per_setting_information(truth_si, fit, initials, times, time_unit, observables, readout):
    proto = Protocol(initials, times, _N_REF, time_unit, observables, *readout)
    problem, space, theta, nat_all = _info_setup(truth_si, fit, proto)

    k = space.k
    sc = scales(space, nat_all)
    G = standardised_rows(problem, space, theta, nat_all)
    d = problem.data
    keys = list(zip(d.initial.tolist(), (d.time / time_scale(time_unit)).tolist()))
    settings = list(dict.fromkeys(keys))
    Fs = np.zeros((len(settings), k, k))
    index = {s: i for i, s in enumerate(settings)}
    for r, key in enumerate(keys):
        Fs[index[key]] += np.outer(G[r], G[r])
    return Fs / _N_REF, settings, space, problem, sc


#: names of the same state (magbell.system._two_site_states)
_ALIASES = {"singlet": "psi-", "triplet0": "psi+"}


def _distinct_candidates(initials, times, time_unit, observables) -> tuple:
    """Each candidate setting once: a repeated time or preparation (also under another name: singlet = psi-,
    triplet0 = psi+) was one setting whose per-shot information was counted twice — ``times=[50, 50, 100,
    150]`` predicted σ(A) = 166 /s for a protocol whose Cramér–Rao bound is 219 /s, and steered the
    allocation to the duplicate."""
    proto = Protocol(initials, times, 1, time_unit, observables)
    seen, ini = set(), []
    for s in proto.initials:
        if _ALIASES.get(s, s) not in seen:
            seen.add(_ALIASES.get(s, s))
            ini.append(s)
    return tuple(ini), np.unique(proto.times)


def _readout_pair(readout) -> tuple:
    """``readout``: one fidelity for both outcomes (as ``--readout F``) or (P(↑|↑), P(↓|↓)). A 1-tuple used to
    leave P(↓|↓) = 1 and a 3-tuple ran into ``Protocol``'s positional arguments."""
    r = np.atleast_1d(np.asarray(readout, dtype=object))
    if r.ndim != 1 or r.size not in (1, 2) or any(isinstance(x, (bool, np.bool_, str)) for x in r):
        raise InvalidParameterError(f"readout must be F or (F_UP, F_DOWN), got {readout!r}")
    try:
        up, down = float(r[0]), float(r[-1])
    except (TypeError, ValueError):
        raise InvalidParameterError(f"readout must be F or (F_UP, F_DOWN), got {readout!r}") from None
    check_physical({"readout_up": up, "readout_down": down}, "readout")
    return up, down


def design(truth, fit="a,A", *, initials="ud,dd", times, total_shots: int, target: str = "A", time_unit: str = "s",
           observables="populations", readout=(1.0, 1.0), min_fraction: float = 1e-3) -> DesignResult:
    """Allocate ``total_shots`` over the candidate settings (initials × times) to minimise var(target)."""
    truth_si = _truth(truth)
    names = parse_names(fit)
    if target not in names:
        raise InvalidParameterError(f"target {target!r} must be one of the fitted parameters {', '.join(names)}")
    n_obs = len(Protocol("ud", [0.0], 1, time_unit, observables).observables)
    if isinstance(total_shots, (bool, np.bool_)) or not isinstance(total_shots, (int, float, np.integer, np.floating)) \
            or not 1 <= total_shots <= SHOTS_MAX or total_shots != int(total_shots):
        raise InvalidParameterError(f"total_shots must be a whole number in [1, 2**53], got {total_shots!r}")
    if int(total_shots) % n_obs:
        raise InvalidParameterError(
            f"total_shots = {int(total_shots)} is not a multiple of the {n_obs} observables: every setting's shots are "
            f"taken once per observable; give a multiple of {n_obs}")
    if isinstance(min_fraction, (bool, np.bool_)) or not isinstance(min_fraction, (int, float, np.integer, np.floating)) \
            or not 0 <= min_fraction < 1:
        raise InvalidParameterError(f"min_fraction must be a number in [0, 1), got {min_fraction!r}")
    readout = _readout_pair(readout)
    initials, times = _distinct_candidates(initials, times, time_unit, observables)
    Fs, settings, space, problem, sc = _per_setting_information(truth_si, fit, initials, times, time_unit,
                                                                observables, readout)
    m = len(settings)
    j = space.free.index(target)
    Fs_rel = Fs * np.outer(sc, sc)  # relative units keep M well conditioned
    c = np.zeros(space.k)
    c[j] = 1.0
    Mu = Fs_rel.mean(axis=0)
    lam = np.linalg.eigvalsh(Mu)
    if lam.min() <= 1e-10 * max(lam.max(), 1e-300):
        raise InvalidParameterError(
            "the candidate settings cannot determine all fitted parameters together (singular information); "
            "add preparations or times, or fit fewer parameters")
    ridge = 1e-12 * lam.max()

    def obj(w):
        M = np.tensordot(w, Fs_rel, 1) + ridge * np.eye(space.k)
        u = np.linalg.solve(M, c)
        return float(c @ u), -np.einsum("i,sij,j->s", u, Fs_rel, u)

    w0 = np.full(m, 1.0 / m)
    res = minimize(obj, w0, jac=True, method="SLSQP", bounds=[(0.0, 1.0)] * m,
                   constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1, "jac": lambda w: np.ones(m)}],
                   options={"maxiter": 500, "ftol": 1e-12})
    w = np.clip(res.x, 0, None)
    w[(w < min_fraction) & (w < w.max())] = 0.0  # the largest weight stays, whatever min_fraction
    w /= w.sum()
    per_obs = int(total_shots) // n_obs
    raw = w * per_obs
    shots = np.floor(raw)
    rest = int(round(per_obs - shots.sum()))
    if rest > 0:
        shots[np.argsort(-(raw - shots))[:rest]] += 1
    ini = tuple(dict.fromkeys(s for s, _ in settings))
    tt = np.array(sorted(set(t for _, t in settings)))
    table = np.zeros((len(ini), len(tt)))
    for (s, t), n in zip(settings, shots):
        table[ini.index(s), int(np.searchsorted(tt, t))] += n
    keep_t = table.sum(axis=0) > 0
    keep_s = table.sum(axis=1) > 0
    proto = Protocol(tuple(np.array(ini)[keep_s]), tt[keep_t], table[keep_s][:, keep_t], time_unit, observables,
                     *readout)
    f = 1 / problem.tau if target in RATE_PARAMETERS else 1.0
    var_rel = obj(shots / max(shots.sum(), 1))[0] / max(shots.sum(), 1)
    var_uni = obj(w0)[0] / per_obs
    se = float(np.sqrt(var_rel) * sc[j] * f)
    se_u = float(np.sqrt(var_uni) * sc[j] * f)
    weights = {(s, float(t)): float(x) for (s, t), x in zip(settings, w) if x > 0}
    return DesignResult(protocol=proto, target=target, stderr=se, stderr_uniform=se_u, weights=weights)


def shots_to_detect(truth, protocol: Protocol, fit="a,A", *, alpha: float = 0.05, power: float = 0.8) -> dict:
    """Shots needed (protocol scaled uniformly) for the A = 0 test to reject at level ``alpha`` with ``power``.

    Returns ``{"total_shots", "scale", "noncentrality_per_protocol", "alpha", "power"}``; ``scale`` multiplies
    every setting's shots of ``protocol``.
    """
    truth_si = _truth(truth)
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InvalidParameterError("alpha and power must lie in (0, 1)")
    if truth_si.get("A", 0.0) == 0:
        raise InvalidParameterError("truth: A must be nonzero to be detected")
    names = parse_names(fit)
    if "A" not in names:
        raise InvalidParameterError("fit must include A to test A = 0")
    data = simulate(truth_si, protocol, expected=True)
    problem = Problem(data)
    fixed = {k: v for k, v in truth_si.items() if k not in names}
    fixed["A"] = 0.0
    free0 = tuple(p for p in names if p not in ("A", "arg_A"))
    fixed.setdefault("arg_A", 0.0)
    fixed_si = _defaults(free0, fixed)
    space0 = Space(free0, to_scaled(fixed_si, problem.tau), problem.tau, rate_max=problem.rate_max)
    start = {p: to_scaled(truth_si, problem.tau).get(p, 1.0 if p in ("a", "a_tilde", "d") else 0.0) for p in free0}
    if free0:
        x0 = optimise(problem, space0, start, seed=0, n_starts=64, n_local=2)[0]
    else:
        x0 = np.zeros(0)
    forbidden = problem.lik.forbidden(problem.q(space0, np.asarray(x0)[None])[0])[0]
    if np.any(forbidden):
        # the best A = 0 model forbids outcomes that occur with probability π_r under the truth: one such
        # outcome rejects A = 0 outright; P(none in s·protocol) = Π (1 − π_r)^{s n_r} ≤ 1 − power
        d = problem.data
        pi = np.where(np.isin(d.observable, ("z1", "z2", "z1z2")), (1 + d.value) / 2, d.value)
        pi = np.where(forbidden, np.clip(pi, 0.0, 1.0), 0.0)
        log_none = float(np.sum(d.shots * np.log1p(-np.minimum(pi, 1 - 1e-16))))
        scale = np.log(1 - power) / log_none if log_none < 0 else np.inf
        return {"total_shots": float(protocol.total_shots * scale), "scale": float(scale),
                "noncentrality_per_protocol": float("inf"), "alpha": alpha, "power": power,
                "test": "the best A = 0 model forbids outcomes that the truth produces (idealised: perfect readout, "
                        "a_tilde = 0): a single such outcome rejects it; shots for probability 'power' to see one"}
    # exemplary data: the true model is saturated, and λ is the null fit's deviance Σ r², summed directly
    # (2(ℓ_sat − ℓ₀) cancels to ~1e-12 and stalled there for small |A|)
    q0 = problem.q(space0, np.asarray(x0)[None])[0]
    lam = float(np.sum(problem.lik.residuals(q0)[0] ** 2))
    gap = float(np.max(np.abs(problem.lik.mean(q0)[0] - problem.data.value)))
    if gap < _RESOLVED_GAP:
        raise InvalidParameterError(
            f"truth: A = {truth_si['A']:g} changes the predicted outcomes of this protocol by at most {gap:.2g} "
            f"from the best A = 0 model, below the {_RESOLVED_GAP:g} the forward model resolves (its populations "
            "are exact to ~1e-13): the shots needed (more than ~1/gap²) cannot be computed reliably")
    comp = {0: 0.5, 1: 0.5}
    if "arg_A" in names:  # the phase fitted too: the test `fit` applies has another reference (see coupling_component)
        shared = "arg_A_tilde" not in names and "arg_A_tilde" not in truth_si
        comp = coupling_component(problem, space0, x0, "A", "arg_A", shared=shared) or comp
    need = needed_noncentrality(comp, alpha, power)
    scale = need / lam if lam > 0 else np.inf
    return {"total_shots": float(protocol.total_shots * scale), "scale": float(scale),
            "noncentrality_per_protocol": float(lam), "alpha": alpha, "power": power,
            "test": f"likelihood ratio of A = 0 ({component_label(comp)}{', one-sided' if 0 in comp else ''}), "
                    "exemplary-data non-centrality"}


def needed_noncentrality(comp: dict, alpha: float, power: float) -> float:
    """Non-centrality λ at which the A = 0 test with reference ``comp`` rejects at level α with ``power``.

    ½χ²₀ + ½χ²₁ (one boundary direction, LR = max(0, Z)², Z ~ N(√λ, 1)): λ = (z₁₋α + z_power)². χ²₂: the
    non-central χ²₂(λ) exceeds its α-quantile with ``power``. ½χ²₁ + ½χ²₂ (a linear direction carrying the signal
    plus a boundary direction |Im A|² without it): power = ½ P(χ²₁(λ) > c) + ½ P(χ²₂(λ) > c), c the mixture's
    α-quantile. Before, the one-sided formula was used whatever was fitted: with arg_A fitted it asked for
    6.2 where the χ²₂ test needs 9.6 (36 % too few shots).
    """
    from scipy.optimize import brentq
    from scipy.stats import chi2, ncx2

    if 0 in comp:
        return float((norm.isf(alpha) + norm.isf(1 - power)) ** 2)
    c = brentq(lambda x: sum(w * chi2.sf(x, d) for d, w in comp.items()) - alpha, 1e-9, 1e4)
    if comp == {2: 1.0}:
        pw = lambda lam: ncx2.sf(c, 2, lam)  # noqa: E731
    else:
        pw = lambda lam: 0.5 * ncx2.sf(c, 1, lam) + 0.5 * ncx2.sf(c, 2, lam)  # noqa: E731
    return float(brentq(lambda lam: pw(lam) - power, 1e-9, 1e5))


def truth_from_couplings(couplings, index=()) -> dict:
    """SI parameters for :func:`simulate`/:func:`design` from :mod:`magbell.medium` couplings (one point).

    ``couplings`` is a ``MediumCouplings`` in 1/s and rad/s (e.g. ``PhysicalSetup(...).couplings(...)``);
    ``index`` picks the point of an array of separations/heights. Complex A, Ã become magnitude and phase.
    Inequivalent sites (``a2``, ``a_tilde2``, ``d2`` set) are refused: the fit assumes equal local rates.
    """
    if any(getattr(couplings, k, None) is not None for k in ("a2", "a_tilde2", "d2")):
        raise InvalidParameterError("truth_from_couplings: inequivalent qubit sites (a2/a_tilde2/d2) are not "
                                    "supported by magbell.sensing (equal local rates assumed)")
    unit = str(getattr(couplings, "unit", ""))
    if "rad/s" not in unit and "1/s" not in unit:
        raise InvalidParameterError(f"truth_from_couplings: couplings must be in SI (1/s, rad/s), got unit {unit!r}")

    def at(name):
        return complex(np.asarray(getattr(couplings, name))[index])

    out = {}
    for name in ("a", "a_tilde", "d", "D_deph", "Jz", "Jperp", "D_dm"):
        out[name] = at(name).real
    for name, ph in (("A", "arg_A"), ("A_tilde", "arg_A_tilde")):
        z = at(name)
        out[name], out[ph] = abs(z), float(np.angle(z))
    check_physical(out, "truth_from_couplings")
    return out

