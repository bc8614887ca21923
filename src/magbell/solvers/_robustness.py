"""Robustness of the postselected Bell state against weak random static perturbations (the abstract's claim).

One call draws random perturbations of a base model at several strengths, builds a single
:class:`~magbell.Model` grid of shape ``(n_groups, n_strengths, n_samples)`` and evaluates the postselected
state at the final time with one batched :func:`magbell.postselect` call. Perturbation kinds
(ε = strength, ξ independent standard normal draws, ``scale`` an energy scale, by default the base model's
effective dissipative coupling Γ = |A + Ã|):

``delta``        static field noise on the local-field asymmetry: δ → δ + ε·scale·ξ
``xxz``          random coherent XXZ couplings: 𝒥z = ε·scale·ξ1, 𝒥⊥ = ε·scale·ξ2 (added to the base)
``dm``           a random Dzyaloshinskii–Moriya coupling D = ε·scale·ξ
``dephasing``    local pure dephasing d1 = ε·scale·|ξ1|, d2 = ε·scale·|ξ2| (uncorrelated, 𝔇 = 0)
``local_rates``  unequal local rates at fixed geometric means (so a1·a2 ≥ |A|² stays satisfied at a = |A|):
                 a1,2 = a·e^{±εξ1}, ã1,2 = ã·e^{±εξ2}

``groups`` lists the kinds applied one at a time, and ``"all"`` applies all of them together.
The distribution over samples of the final Bell fidelity (to the *unperturbed* asymptotic Bell state), the
concurrence and the success probability is returned for every group and strength; :meth:`summary` gives
mean, standard deviation and quantiles, :meth:`infidelity_exponent` the log–log slope of the mean infidelity
versus ε (2 = the Bell state is robust to first order).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..backend import get_backend, record_backend
from ..errors import InvalidParameterError
from ..system._model import Model
from ..results import Result
from ._nonhermitian import postselect_spectrum
from ._postselect import SCHEMES, postselect
from ._trajectories import _check_seed

__all__ = ["KINDS", "MAX_POINTS", "MAX_STRENGTH", "robustness", "RobustnessResult"]

#: perturbation kinds
KINDS = ("delta", "xxz", "dm", "dephasing", "local_rates")
#: default most model points (groups × strengths × samples) one call builds
MAX_POINTS = 2_000_000
#: added mean infidelity below this is rounding (fidelities are sums of O(1) products, each exact to ~eps)
EXCESS_FLOOR = 64 * float(np.finfo(float).eps)
#: largest perturbation strength ε accepted (local rates scale by e^{±εξ}: beyond this they overflow)
MAX_STRENGTH = 100.0


@dataclass(frozen=True, eq=False, repr=False)
class RobustnessResult(Result):
    """Result of :func:`robustness`. Arrays have shape ``(n_groups, n_strengths, n_samples)``.

    fidelity: <B0|ρ(t)|B0> with B0 the base model's asymptotic Bell state (``bell_state``);
    own_fidelity: fidelity to each perturbed model's own asymptotic Bell state; bell_fidelity_max: the
    largest fidelity to any (|↑↓> + e^{iφ}|↓↑>)/√2; concurrence; success_probability and
    log_success_probability; samples: the perturbed parameters (dict of arrays). Where P = 0 (an initial
    state without weight in the postselected subspace, e.g. φ+ under scheme="subspace") there is no state:
    fidelities and concurrence are NaN there, as in :func:`magbell.postselect`.
    """

    groups: tuple
    strengths: np.ndarray
    t: float
    scheme: str
    base: Model
    initial: object
    bell_state: np.ndarray
    samples: dict
    fidelity: np.ndarray
    own_fidelity: np.ndarray
    bell_fidelity_max: np.ndarray
    concurrence: np.ndarray
    success_probability: np.ndarray
    log_success_probability: np.ndarray
    seed: object
    info: dict = field(default_factory=dict)

    QUANTITIES = ("fidelity", "own_fidelity", "bell_fidelity_max", "concurrence", "success_probability",
                  "log_success_probability")
    _ARRAYS = QUANTITIES
    _LONG_SUFFIX = ", postselected"

    @property
    def method(self):
        return (self.info or {}).get("method", self.scheme)

    def _native(self) -> tuple:
        return ()

    def _dims(self, name, arr):
        return ("group", "strength", "sample")[: arr.ndim] + tuple(f"dim_{i}" for i in range(arr.ndim - 3))

    def summary(self, quantiles=(0.05, 0.5, 0.95)) -> dict:
        """{group: {quantity: {"mean", "std", "q05", "q50", "q95"}}} with arrays over the strengths."""
        out = {}
        for g, name in enumerate(self.groups):
            out[name] = {}
            for q in self.QUANTITIES:
                v = getattr(self, q)[g]
                # NaN samples (no postselected state: P = 0, e.g. φ+ under scheme="subspace") give NaN
                # statistics; np.quantile warned "invalid value encountered in subtract" on them
                with np.errstate(invalid="ignore"):
                    d = {"mean": np.mean(v, axis=-1),
                         "std": np.std(v, axis=-1, ddof=1) if v.shape[-1] > 1 else np.zeros(v.shape[0])}
                    for qq in quantiles:
                        d[f"q{int(round(100 * qq)):02d}"] = np.quantile(v, qq, axis=-1)
                out[name][q] = d
        return out

    def infidelity_exponent(self, group: str | None = None) -> dict:
        """Log–log slope versus strength of the mean infidelity the perturbation *adds*, F0 − mean F, per group
        (F0: the unperturbed model's fidelity at the same t, ``info["base_fidelity"]``, whose 1 − F0 is the
        finite-t floor, e.g. 1 − tanh 2Γt). Only strengths > 0 whose added infidelity exceeds rounding
        (:data:`EXCESS_FLOOR`) enter; NaN if fewer than two — the perturbation does not change the state
        (XXZ couplings, dephasing under "no-jump": docs/postselection.md §6). Before, the slope was fitted to
        1 − F itself: a constant floor gave 'exponents' like 7e-16 for perturbations without any effect."""
        names = self.groups if group is None else (group,)
        f0 = (self.info or {}).get("base_fidelity", 1.0)
        out = {}
        for name in names:
            if name not in self.groups:
                raise InvalidParameterError(f"unknown group {name!r}; groups: {', '.join(self.groups)}")
            inf = f0 - np.mean(self.fidelity[self.groups.index(name)], axis=-1)
            ok = (self.strengths > 0) & (inf > EXCESS_FLOOR)
            if np.sum(ok) < 2:
                out[name] = float("nan")
            else:
                out[name] = float(np.polyfit(np.log(self.strengths[ok]), np.log(inf[ok]), 1)[0])
        return out


def _check_groups(groups) -> tuple:
    if isinstance(groups, str):
        groups = (groups,)
    try:  # groups=None / 3 raised a TypeError
        groups = tuple(groups)
    except TypeError:
        raise InvalidParameterError(f"groups must be a kind or a list of kinds ({', '.join(KINDS)}, all), "
                                    f"got {groups!r}") from None
    if not groups:
        raise InvalidParameterError("groups must name at least one perturbation kind")
    bad = [g for g in groups if not isinstance(g, str) or g not in KINDS + ("all",)]
    if bad:
        raise InvalidParameterError(f"unknown perturbation kind(s) {bad}; known: {', '.join(KINDS)}, all")
    return groups


def robustness(
    base: Model,
    initial="ud",
    t: float = 5.0,
    *,
    strengths=(0.0, 0.01, 0.03, 0.1, 0.3),
    n_samples: int = 200,
    groups=KINDS + ("all",),
    scale: float | None = None,
    scheme: str = "no-jump",
    seed=0,
    max_points: int = MAX_POINTS,
    backend: str = "numpy",
) -> RobustnessResult:
    """Distributions of the postselected state's quality at time ``t`` under random static perturbations.

    Parameters
    ----------
    base : a single :class:`~magbell.Model` (e.g. the optimal point a = |A|, δ = 0).
    initial : initial state (any; default |↑↓>).
    t : final time (> 0).
    strengths : perturbation strengths ε ≥ 0 (dimensionless; see the module docstring).
    n_samples : random draws per (group, strength); the same draws ξ are used for every strength, so
        the curves versus ε are smooth.
    groups : kinds applied one at a time, and/or ``"all"`` (all kinds at once).
    scale : energy scale of the additive perturbations (default: |A + Ã| of the base, or its a if that is 0).
    scheme : postselection scheme (:data:`magbell.conditional.SCHEMES`).
    seed : None, a non-negative integer, or a numpy ``Generator``/``SeedSequence``.
    max_points : most model points ``len(groups) × len(strengths) × n_samples`` (memory and time guard,
        default :data:`MAX_POINTS`; raise it if you mean it).
    backend : the numerical backend of the one :func:`magbell.postselect` call
        (:func:`magbell.backend.get_backend`), recorded in ``result.backend``.

    >>> import magbell
    >>> from magbell.conditional import robustness
    >>> r = robustness(magbell.Model(a=1.0, A=1.0), t=5.0, strengths=[0.01, 0.1], n_samples=50, groups=["delta"])
    >>> round(r.infidelity_exponent()["delta"], 1)      # infidelity ∝ ε²: robust to first order
    2.0
    """
    bk = get_backend(backend)  # validated first: a bad name is refused before any work
    if not isinstance(base, Model):
        raise InvalidParameterError(f"base must be a magbell.Model, got {type(base).__name__}")
    if base.shape != ():
        raise InvalidParameterError(f"base must be a single model (shape ()), got a grid of shape {base.shape}")
    if isinstance(t, (bool, np.bool_, str, bytes)):
        raise InvalidParameterError(f"t must be a number > 0, got {t!r}")
    try:
        t = float(t)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"t must be a number > 0, got {t!r}") from None
    if not (np.isfinite(t) and t > 0):
        raise InvalidParameterError(f"t must be finite and > 0, got {t!r}")
    try:
        eps = np.atleast_1d(np.asarray(strengths, dtype=float))
    except (TypeError, ValueError):
        eps = np.array([np.nan])
    if (eps.ndim != 1 or eps.size == 0 or not np.all(np.isfinite(eps)) or np.any(eps < 0) or np.any(eps > MAX_STRENGTH)
            or isinstance(strengths, (str, bytes))):
        raise InvalidParameterError(
            f"strengths must be a non-empty 1-D array of finite numbers in [0, {MAX_STRENGTH:g}], got {strengths!r}"
        )
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise InvalidParameterError(f"n_samples must be a positive integer, got {n_samples!r}")
    if isinstance(max_points, bool) or not isinstance(max_points, (int, np.integer)) or max_points < 1:
        raise InvalidParameterError(f"max_points must be a positive integer, got {max_points!r}")
    seed = _check_seed(seed)
    if scheme not in SCHEMES:
        raise InvalidParameterError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    groups = _check_groups(groups)
    total = len(groups) * eps.size * int(n_samples)
    if total > max_points:
        raise InvalidParameterError(
            f"len(groups) × len(strengths) × n_samples = {len(groups)} × {eps.size} × {int(n_samples)} = {total:.3g} "
            f"model points exceeds max_points = {max_points}; lower n_samples or raise max_points"
        )
    if scale is None:
        scale = float(abs(complex(base.A + base.A_tilde))) or float(base.a)
        if scale == 0:
            scale = 1.0
    if isinstance(scale, (bool, np.bool_, str, bytes)):
        raise InvalidParameterError(f"scale must be a finite number > 0, got {scale!r}")
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"scale must be a finite number > 0, got {scale!r}") from None
    if not (np.isfinite(scale) and scale > 0):
        raise InvalidParameterError(f"scale must be a finite number > 0, got {scale!r}")

    rng = np.random.default_rng(seed)
    G, E, N = len(groups), eps.size, int(n_samples)
    xi = {name: rng.standard_normal((G, 1, N)) for name in ("delta", "Jz", "Jperp", "D_dm", "d1", "d2", "a", "at")}
    e = eps[None, :, None]
    on = {k: np.array([[[1.0]] if (g == k or g == "all") else [[0.0]] for g in groups]) for k in KINDS}  # (G,1,1)

    # a1·a2 = a·a2_base to rounding (Model accepts a few ulps of slack in a1·a2 ≥ |A|²); the ratio first: the
    # product a·a2_base underflows at rates below ~1e-154 (a = 1e-170 gave a2 = 0, s4_findings HD-3)
    a1 = base.a * np.exp(on["local_rates"] * e * xi["a"])
    a2 = np.where(a1 > 0, base.local("a2") * (base.a / np.where(a1 > 0, a1, 1.0)), base.local("a2"))
    at1 = base.a_tilde * np.exp(on["local_rates"] * e * xi["at"])
    at2 = np.where(at1 > 0, base.local("a_tilde2") * (base.a_tilde / np.where(at1 > 0, at1, 1.0)), base.local("a_tilde2"))
    d1 = base.d + on["dephasing"] * e * scale * np.abs(xi["d1"])
    d2 = base.local("d2") + on["dephasing"] * e * scale * np.abs(xi["d2"])
    params = dict(
        a=a1,
        a2=a2,
        a_tilde=at1,
        a_tilde2=at2,
        d=d1,
        d2=d2,
        A=base.A,
        A_tilde=base.A_tilde,
        D_deph=base.D_deph,
        Delta=base.Delta,
        delta=base.delta + on["delta"] * e * scale * xi["delta"],
        Jz=base.Jz + on["xxz"] * e * scale * xi["Jz"],
        Jperp=base.Jperp + on["xxz"] * e * scale * xi["Jperp"],
        D_dm=base.D_dm + on["dm"] * e * scale * xi["D_dm"],
    )
    shape = (G, E, N)
    params = {k: np.broadcast_to(v, shape) for k, v in params.items()}
    grid = Model(**params)
    bell0 = postselect_spectrum(base).bell_state
    res = postselect(grid, initial, [t], scheme=scheme, store_states=True,
                     measures=("concurrence", "bell_fidelity", "bell_fidelity_max"), backend=bk)
    rho = res.states[..., 0, :, :]
    fid = np.real(np.einsum("i,...ij,j->...", bell0.conj(), rho, bell0))
    rho0 = postselect(base, initial, [t], scheme=scheme, store_states=True, measures=("concurrence",),
                      backend=bk).states[0]
    fid0 = float(np.real(bell0.conj() @ rho0 @ bell0))
    return record_backend(RobustnessResult(
        groups=groups,
        strengths=eps,
        t=t,
        scheme=scheme,
        base=base,
        initial=initial,
        bell_state=bell0,
        samples={k: np.asarray(v) for k, v in params.items()},
        fidelity=fid,
        own_fidelity=res.measures["bell_fidelity"][..., 0],
        bell_fidelity_max=res.measures["bell_fidelity_max"][..., 0],
        concurrence=res.measures["concurrence"][..., 0],
        success_probability=res.success_probability[..., 0],
        log_success_probability=res.log_success_probability[..., 0],
        seed=seed,
        info={"scale": scale, "n_samples": N, "base_fidelity": fid0, "one_call": "postselect on a Model grid of shape " + str(shape)},
    ), bk)
