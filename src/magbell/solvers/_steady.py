"""Stationary states, conserved quantities and the Liouvillian spectrum.

The t→∞ limit of ``exp(L t) ρ0`` is the projection of ρ0 onto ker L along the range of L (0 is a
semisimple eigenvalue of any Lindbladian). When ker L has more than one dimension — e.g. ``|A| = a``
makes the singlet dark (paper Eq. 10) — the limit depends on ρ0 through the conserved quantities
(the left null vectors of L). When L also has purely imaginary eigenvalues, the limit does not exist
and the projection is the time-averaged state; the result says so (``converges``).

Kernel dimensions are decided with singular values: σ < ``tol`` · s (default 1e-9), where s is the
scale of the *dissipator* (its ‖·‖₁ bound; the Hamiltonian's where there is no dissipation), or of the
block itself where smaller, after the rows are equilibrated (each raised to the largest row's norm), so
a rank is decided relative to each coordinate's own rates: dephasing 1e12 does not make relaxation
rates ~1 count as zero. A point whose slowest decay rate is below that threshold relative to its own
scale (e.g. ``a − |A| = 1e-12 a``) is treated as degenerate. :func:`spectrum` counts exactly that many
zero eigenvalues and resolves every other rate (docs/numerics.md, "The spectrum").

Pure phases decide nothing (issue 9: Δ/a = 1e10 is an NV centre in SI units). Every Hamiltonian term
only rotates phases in the eigenbasis of H; the mean splitting Δ is even a scalar, ``iqΔ`` on the
coherences of sector q, so kernels and eigenvalues are computed without it and shifted exactly. Where
the rest of the Hamiltonian (δ, 𝒥z, 𝒥⊥, D) exceeds the dissipator by more than
:data:`magbell.liouvillian._stationary.PHASE_RATIO_MAX`, the generator is decomposed in the eigenframe of H with its
frequency clusters decoupled exactly (:func:`magbell.liouvillian._frame.frame_sectors`), so every matrix that is
factorised has the dissipator's scale. Coefficients beyond :data:`magbell._domain.RATE_MAX` are refused.
References: rates and ranks agree with mpmath for Δ up to 1e14, 𝒥z and δ up to 1e12 times the rates
(tests/test_extremes_steady.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..measures import _two_qubit as _measures
from ..errors import (
    InvalidParameterError,
    NonUniqueSteadyStateError,
    describe_bad_points,
)
from .._domain import check_domain
from ..liouvillian._kernel import dark_subspace
from ..liouvillian._graded import RESOLUTION_FACTOR, graded_eigvals
from ..liouvillian._frame import DELTA_COLUMN, frame_sectors, generator_block
from ..backend import get_backend, record_backend
from ..liouvillian._stationary import rotated_frame_error, tolerance_scales
from ..system._basis import COEFFICIENT_NAMES, basis_blocks
from ._steady_rates import REGIME_RTOL, _defective, _refine_outer_populations, _slowest_decay
from ..system._model import Model
from ..results import Result
from ..system._two_site_states import as_density_matrices
from ..liouvillian._superop import block0_complex_map, complex_block, sector_basis, sector_elements

if TYPE_CHECKING:  # annotations only (PEP 563 strings): nothing imported at run time
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

__all__ = ["steady_state", "SteadyStateResult", "spectrum", "Spectrum", "dark_states", "conserved_quantities"]

DEFAULT_TOL = 1e-9


def _blocks(model: Model) -> list:
    c = model.coefficients().reshape(model.size, len(COEFFICIENT_NAMES))
    return [generator_block(c, q) for q in range(len(basis_blocks()))]


@dataclass(frozen=True, eq=False, repr=False)
class SteadyStateResult(Result):
    """Result of :func:`steady_state`; arrays have shape ``model.shape`` (plus an initial-state axis).

    rho : the t→∞ state (the time-averaged state where ``converges`` is False).
    unique : True where the Liouvillian has exactly one stationary state.
    n_stationary : dimension of ker L (number of independent stationary operators).
    converges : False where purely imaginary eigenvalues make ρ(t) oscillate forever.
    measures : concurrence etc. of ``rho``.
    """

    rho: np.ndarray
    unique: np.ndarray
    n_stationary: np.ndarray
    converges: np.ndarray
    measures: dict
    model: Model
    initial: np.ndarray | None
    info: dict = field(default_factory=dict)

    _HOW_TO_ASK = "steady_state(..., measures=[...])"
    _ARRAYS = ("unique", "n_stationary", "converges")

    def _dims(self, name, arr):
        if name in ("unique", "n_stationary"):  # per model, no initial axis (as in the sweep)
            return tuple(f"dim_{i}" for i in range(arr.ndim))
        return super()._dims(name, arr)

    def dark_states(self, index=()) -> np.ndarray:
        """Dark states (pure stationary states) of the model at grid point ``index``; see :func:`dark_states`."""
        return dark_states(self.model[index] if self.model.shape else self.model)

    def conserved_quantities(self, index=()) -> np.ndarray:
        """Conserved operators C_k (tr C_k ρ(t) constant) at grid point ``index``."""
        return conserved_quantities(self.model[index] if self.model.shape else self.model, tol=self.info["tol"])

    def __repr__(self) -> str:
        u = np.asarray(self.unique)
        return (
            f"SteadyStateResult(shape={u.shape}, unique at {int(u.sum())}/{u.size} points, "
            f"measures={list(self.measures)}, tol={self.info.get('tol')}, method={self.method!r})"
        )


def steady_state(
    model: Model,
    initial: str | ArrayLike | Sequence[str | ArrayLike] | None = None,
    *,
    measures=("concurrence", "populations"),
    tol: float = DEFAULT_TOL,
    backend: str = "numpy",
) -> SteadyStateResult:
    """The t→∞ state of the master equation, from ``initial`` when given.

    Without ``initial``, every grid point must have a unique stationary state, else
    :class:`~magbell.errors.NonUniqueSteadyStateError` says which points do not and why.
    With ``initial`` the answer is the initial-state-dependent limit (exact projection onto ker L).
    ``backend``: the numerical backend (:func:`magbell.backend.get_backend`), recorded in ``result.backend``.

    >>> import magbell
    >>> s = magbell.steady_state(magbell.Model(a=1.0, A=1.0), "ud")
    >>> bool(s.unique), int(s.n_stationary), round(float(s.concurrence), 12)
    (False, 4, 0.5)
    """
    if not isinstance(model, Model):  # an N-site System (else one line): solvers/_system_steady.py
        from ._system_steady import system_steady_state

        return system_steady_state(model, initial, measures=measures, tol=tol, backend=backend)
    _check_tol(tol)
    bk = get_backend(backend)
    if isinstance(measures, str):
        measures = (measures,)
    try:  # measures=None / 3 / [["concurrence"]] raised TypeErrors
        measures = tuple(measures)
        unknown = [m for m in measures if not isinstance(m, str) or m not in _measures.MEASURES]
    except TypeError:
        raise InvalidParameterError(f"measures must be a name or a list of names, got {measures!r}") from None
    if unknown:
        raise InvalidParameterError(f"unknown measure(s) {unknown}; known: {', '.join(_measures.MEASURES)}")
    if model.size == 0:
        one = steady_state(Model(a=1.0), initial, measures=measures, tol=tol, backend=bk)
        return _empty_result(one, model)
    sb = sector_basis(2)
    P = model.size
    c = model.coefficients().reshape(P, len(COEFFICIENT_NAMES))
    check_domain(c, None, what="steady_state")
    tol_rel = np.full(P, float(tol))

    if initial is None:
        rho0, several = None, False
        r0 = np.zeros((1, 16))
        r0[0, sb.blocks[0][:4]] = 0.25
    else:
        rho0, several = as_density_matrices(initial)
        r0 = sb.real_coordinates(rho0)  # (S, 16)
    _check_frame_accuracy(c, model.shape, "steady_state")
    rb, n_stat, converges, check = bk.stationary_blocks(c, r0, tol_rel, sb)
    # A tolerance that falls inside a cluster of slow non-normal modes can give a projector that does
    # not map states to states; tighten the tolerance at those points until it does. (The bordered
    # solve used at all other points returns a state by construction.)
    for _ in range(4):
        bad = check[_not_states({q: x[check] for q, x in rb.items()}, r0, sb)]
        if not bad.size:
            break
        tol_rel[bad] *= 1e-3
        rb_b, n_b, c_b, _ = bk.stationary_blocks(c[bad], r0, tol_rel[bad], sb)
        for q in rb_b:
            rb[q][bad] = rb_b[q]
        n_stat[bad], converges[bad] = n_b, c_b
        check = bad
    unique = n_stat == 1
    if initial is None and not np.all(unique):
        badmask = (~unique).reshape(model.shape)
        raise NonUniqueSteadyStateError(
            "the stationary state is not unique (ker L has dimension > 1: dark states or conserved "
            "quantities), so the t→∞ limit depends on the initial state; pass initial=... . Non-unique at "
            + describe_bad_points(badmask, {"n_stationary": n_stat.reshape(model.shape)})
        )
    S = r0.shape[0]
    rb[0] = _refine_outer_populations(c, rb[0])
    r = np.zeros((P, S, 16))
    for q, x in rb.items():
        r[..., sb.blocks[q]] = x
    rho = sb.density_matrix(r)
    rho = (rho + np.conj(np.swapaxes(rho, -1, -2))) / 2
    vals = {name: _measures.MEASURES[name](rho) for name in measures}

    shape = model.shape

    def _shape(a, per_state=True):
        a = a.reshape(shape + a.shape[1:])
        if per_state and not several:
            a = a.reshape(shape + a.shape[len(shape) + 1 :])
        return a

    info = {
        "method": "projection onto ker L along range L: bordered solve on the real |q|=0 block, SVD fallback; "
        "pure phases (Δ always, the whole Hamiltonian where it dominates) factored out exactly",
        "tol": tol,
        "blocks": tuple(q for q in rb if q == 0 or np.any(r0[:, sb.blocks[q]] != 0)),
    }
    if several:  # the to_xarray 'initial' coordinate, as evolve/postselect/monitor label it (it had none)
        info["initial_labels"] = ([s if isinstance(s, str) else "custom" for s in initial]
                                  if isinstance(initial, (list, tuple)) else ["custom"] * S)
    return record_backend(SteadyStateResult(
        rho=_shape(rho),
        unique=unique.reshape(shape),
        n_stationary=n_stat.reshape(shape),
        converges=_shape(converges),
        measures={k: _shape(v) for k, v in vals.items()},
        model=model,
        initial=None if rho0 is None else (rho0 if several else rho0[0]),
        info=info,
    ), bk)


#: largest estimated error of a stationary state accepted from the rotated eigenframe
FRAME_ERROR_MAX = 1e-12


def _check_frame_accuracy(c: np.ndarray, shape: tuple, what: str) -> None:
    """Refuse where the eigenframe rotates the ↑↓/↓↑ pair (𝒥⊥ or D ≫ the dissipator) and the dissipator
    spans so many scales that the rotation's rounding eps·‖D‖ exceeds FRAME_ERROR_MAX times the
    population rates (e.g. d = 1e12, a = 1, 𝒥⊥ = 1e15: ρ∞ off by 3e-4)."""
    est = rotated_frame_error(c, np.full(c.shape[0], DEFAULT_TOL))
    bad = est > FRAME_ERROR_MAX
    if np.any(bad):
        p = int(np.flatnonzero(bad)[0])
        where = "" if shape == () else f" (at {int(bad.sum())} of {bad.size} grid points, first flat index {p})"
        raise InvalidParameterError(
            f"{what}: the dissipator spans rates too far apart under a dominant 𝒥⊥/D coupling (eps·‖D‖ over "
            f"the population rates = {est[p]:.2g} > {FRAME_ERROR_MAX:.0e}): the result would not be accurate{where}"
        )


def _not_states(rb: dict, r0: np.ndarray, sb) -> np.ndarray:
    """Indices of points whose projected state is not a density matrix of the initial trace."""
    P, S = next(iter(rb.values())).shape[:2]
    if P == 0:
        return np.zeros(0, dtype=int)
    r = np.zeros((P, S, 16))
    for q, x in rb.items():
        r[..., sb.blocks[q]] = x
    rho = sb.density_matrix(r)
    tr0 = r0[:, sb.blocks[0][:4]].sum(axis=1)
    tr = np.real(np.trace(rho, axis1=-2, axis2=-1))
    lam = np.linalg.eigvalsh((rho + np.conj(np.swapaxes(rho, -1, -2))) / 2)[..., 0]
    bad = (np.abs(tr - tr0) > 1e-8) | (lam < -1e-8)
    return np.flatnonzero(np.any(bad, axis=1))


def _empty_result(one: "SteadyStateResult", model: Model) -> "SteadyStateResult":
    def e(a):
        a = np.asarray(a)
        return np.zeros(model.shape + a.shape, dtype=a.dtype)

    result = SteadyStateResult(
        rho=e(one.rho),
        unique=e(one.unique),
        n_stationary=e(one.n_stationary),
        converges=e(one.converges),
        measures={k: e(v) for k, v in one.measures.items()},
        model=model,
        initial=one.initial,
        info=one.info,
    )
    if one.backend != result.backend:
        object.__setattr__(result, "backend", one.backend)
    return result


def conserved_quantities(model: Model, tol: float = DEFAULT_TOL, *, backend: str = "numpy") -> np.ndarray:
    """Hermitian operators C_k with d/dt tr(C_k ρ) = 0 for a single model: shape (n_stationary, 4, 4).

    They span the left null space of L (the identity, whose conserved value is tr ρ = 1, is always among
    their combinations). For ``|A| = a`` at zero temperature they include the singlet weight <S|ρ|S>.
    The left null space is the row space of the kernel projector P0, taken from the same computation as
    :func:`steady_state` (P0 applied to the 16 real coordinate vectors), so there are as many as
    ``n_stationary`` and pure phases decide nothing. ``backend`` (:func:`magbell.backend.get_backend`): its
    ``stationary_blocks`` and ``svd``.
    """
    bk = get_backend(backend)
    if not isinstance(model, Model):
        from ._system_steady import system_conserved_quantities

        return system_conserved_quantities(model, tol=tol, backend=bk)  # an N-site System (else one line)
    if model.shape != ():
        raise InvalidParameterError("conserved_quantities() needs a single model; index the grid first")
    _check_tol(tol)
    c = model.coefficients().reshape(1, len(COEFFICIENT_NAMES))
    check_domain(c, None, what="conserved_quantities")
    sb = sector_basis(2)
    _check_frame_accuracy(c, (), "conserved_quantities")
    rb, _, _, _ = bk.stationary_blocks(c, np.eye(16), np.array([float(tol)]), sb)
    funcs = []
    for q, idx in enumerate(sb.blocks):
        Pq = rb[q][0][idx].T  # (n_q, n_q): columns are P0 applied to the unit vectors of block q
        _, sv, Vh = bk.svd(Pq)
        for u in Vh[sv > 0.5]:  # rows of a projector span its row space; its non-zero singular values are >= 1
            full = np.zeros(16)
            full[idx] = u
            funcs.append(full)
    if not funcs:
        return np.zeros((0, 4, 4), dtype=complex)
    M = (np.array(funcs) @ sb.to_real).reshape(-1, 4, 4)  # functional f(ρ) = Σ M_ab ρ_ab = tr(Mᵀ ρ)
    return np.swapaxes(M, -1, -2)


def dark_states(model: Model, tol: float = 1e-10, *, backend: str = "numpy") -> np.ndarray:
    """Dark states of a single model: kets |ψ> with J_k|ψ> = 0 for every jump and H|ψ> = E|ψ>.

    Each gives a pure stationary state |ψ><ψ| (the singlet for ``|A| = a``, paper Eq. 10). Returns an
    array of shape (n_dark, 4) (orthonormal kets, eigenvectors of H within the dark subspace).

    The common kernel K of the jumps is decided on the jumps' rows normalised to unit length (so a jump
    of rate 1e-12 counts next to dephasing of rate 1e12) and its H-invariance on the scale of
    H'' = H + ΔM/2 − 𝒥z σ1zσ2z (M = Σσz). K is exactly invariant under M and under σ1zσ2z (every jump
    is a combination of single-site σ± of one kind, which anticommute with σ1zσ2z and shift M, or of σz),
    so neither the mean splitting Δ nor 𝒥z — pure phases — decides anything: within K the joint
    eigenspaces of (M, σ1zσ2z) are found first (integer eigenvalues), then H'' is diagonalised in each.
    ``backend`` (:func:`magbell.backend.get_backend`): its ``svd`` (the dark subspace) and ``eigh``.
    """
    bk = get_backend(backend)
    if not isinstance(model, Model):
        from ._system_steady import system_dark_states

        return system_dark_states(model, tol=tol, backend=bk)  # an N-site System (else one line)
    if model.shape != ():
        raise InvalidParameterError("dark_states() needs a single model; index the grid first")
    _check_tol(tol)
    c1 = model.coefficients().reshape(len(COEFFICIENT_NAMES))
    check_domain(c1[None], None, what="dark_states")
    J = model.jump_operators().reshape(-1, 4)
    H = model.hamiltonian()
    Mz = np.diag([2.0, 0.0, 0.0, -2.0])
    ZZ = np.diag([1.0, -1.0, -1.0, 1.0])
    Hp = H + c1[DELTA_COLUMN] * Mz / 2 - c1[COEFFICIENT_NAMES.index("Jz")] * ZZ  # H_Δ = −ΔM/2, H_Jz = 𝒥z ZZ
    K = dark_subspace(J, Hp, tol, svd=bk.svd)  # common kernel of all jumps (rows normalised), H'-invariant part
    if K.shape[1] == 0:
        return np.zeros((0, 4), dtype=complex)
    Km = K.conj().T @ (Mz + 5 * ZZ) @ K  # joint (M, ZZ) labels 7 (↑↑), −5 (M = 0), 3 (↓↓)
    mv, W = bk.eigh((Km + Km.conj().T) / 2)
    K = K @ W
    kets, energy, mag = [], [], []
    Delta, Jz = c1[DELTA_COLUMN], c1[COEFFICIENT_NAMES.index("Jz")]
    for lab in np.unique(np.round(mv)):
        Kg = K[:, np.abs(mv - lab) < 0.5]
        m_, zz = {7: (2, 1), -5: (0, -1), 3: (-2, 1)}[int(lab)]
        Hk = Kg.conj().T @ Hp @ Kg
        e, Wg = bk.eigh((Hk + Hk.conj().T) / 2)
        kets.append(Kg @ Wg)
        energy += list(e - Delta * m_ / 2 + Jz * zz)
        mag += [m_] * len(e)
    order = np.lexsort((-np.array(mag), np.array(energy)))  # by energy, then ↑↑ first
    return np.concatenate(kets, axis=1).T[order]


def _check_tol(tol) -> None:
    ok = isinstance(tol, float | int | np.floating | np.integer) and not isinstance(tol, bool | np.bool_)
    if not (ok and 0 < tol < 1):  # (np.isfinite(2**70) raised a TypeError; 0 < tol < 1 also refuses nan, inf)
        raise InvalidParameterError(f"tol must be a number with 0 < tol < 1, got {tol!r}")


@dataclass(frozen=True, eq=False, repr=False)
class Spectrum(Result):
    """Liouvillian spectrum of a model grid.

    eigenvalues : (*shape, 16) complex, sorted by decreasing real part (0 first).
    slowest_rate : smallest non-zero decay rate −Re λ over all blocks (the spectral gap; ∞ if none).
    entanglement_rate : the slowest decay rate of the |q|=0 block (populations and ρ_{↑↓,↓↑}) after
        removing the one stationary mode that carries tr ρ = 1. It sets the long-time decay of the
        concurrence from X states: the paper's 2(a − κ0) at zero temperature (S64). It is 0 where a
        second stationary state exists — at |A| = a the dark singlet keeps C(∞) > 0 (Eq. 10).
    entanglement_lifetime : 1/entanglement_rate (∞ where that rate is 0).
    regime : 'underdamped' | 'critical' | 'overdamped' (Eqs. 8–9), read off the slowest |q|=0 modes:
        a complex pair is underdamped, one real mode overdamped, several coalescing real modes (the
        defective point δ = |A|) critical, all to the relative tolerance REGIME_RTOL.
    """

    eigenvalues: np.ndarray
    slowest_rate: np.ndarray
    entanglement_rate: np.ndarray
    entanglement_lifetime: np.ndarray
    regime: np.ndarray
    info: dict = field(default_factory=dict)

    _ARRAYS = ("slowest_rate", "entanglement_rate", "entanglement_lifetime")
    _METHOD = "eigendecomposition"


def spectrum(model: Model, *, tol: float = DEFAULT_TOL, backend: str = "numpy") -> Spectrum:
    """Eigenvalues of the Liouvillian and derived rates (batched).

    Zero eigenvalues are *counted*, not thresholded: in each sector q exactly as many eigenvalues are
    0 as the kernel of that sector has dimensions, decided by the same projector machinery as
    :func:`steady_state` (``info["n_stationary"]`` equals its ``n_stationary`` at the same ``tol``);
    every other eigenvalue is a decay, however slow — or, only where the stationary state is not unique,
    possibly an undamped oscillation (real part within the eigensolver's resolution), which is not a
    decay. Eigenvalues are computed with rates of different scales split apart exactly
    (:mod:`magbell.liouvillian._graded`: dephasing 1e12 against relaxation 1 resolves the slow rates to ~eps·1, not
    eps·1e12), the mean splitting Δ as the exact shift iqΔ, Hamiltonian-dominated points in the
    eigenframe of H. A decay rate below its resolution (128·eps times the scale of the block it is
    computed from; also eps·‖D‖ on the eigenframe path) at a point with a unique stationary state is
    refused with :class:`~magbell.errors.InvalidParameterError` rather than reported wrong.

    Eigenvalues near exceptional points have the usual sqrt(eps) sensitivity (they are only used for
    rates and the regime here); use :func:`magbell.evolve` for exact dynamics there. ``tol``: a number,
    0 < tol < 1: the kernel tolerance, the same default as :func:`steady_state`'s (before issue 9's
    follow-up it was 1e-7 here); :data:`REGIME_RTOL` relative to a mode's own scale groups coalescing
    modes for ``regime`` and ``entanglement_rate``. ``backend``: the numerical backend
    (:func:`magbell.backend.get_backend`), recorded in ``result.backend``.

    >>> import magbell
    >>> sp = magbell.spectrum(magbell.Model(a=1.0, A=0.8, delta=[0.0, 0.8, 1.5]))
    >>> sp.regime.tolist()
    ['overdamped', 'critical', 'underdamped']
    >>> round(float(sp.entanglement_lifetime[0]), 12)   # 1/(2(a − |A|)) at δ = 0
    2.5
    >>> round(float(magbell.spectrum(magbell.Model(a=1.0, A=0.5, d=1e9)).slowest_rate), 9)
    2.0
    """
    if not isinstance(model, Model):  # an N-site System (else one line): solvers/_system_steady.py
        from ._system_steady import system_spectrum

        return system_spectrum(model, tol=tol, backend=backend)
    _check_tol(tol)
    bk = get_backend(backend)
    if model.size == 0:
        one = spectrum(Model(a=1.0), tol=tol, backend=bk)
        z = {k: np.zeros(model.shape + np.shape(getattr(one, k)), dtype=np.asarray(getattr(one, k)).dtype)
             for k in ("eigenvalues", "slowest_rate", "entanglement_rate", "entanglement_lifetime", "regime")}
        return Spectrum(**z, info=dict(one.info, n_stationary=np.zeros(model.shape, dtype=int)))
    P = model.size
    c = model.coefficients().reshape(P, len(COEFFICIENT_NAMES))
    check_domain(c, None, what="spectrum")
    # The eigenvalues scale with the coefficients (𝓛 is linear in c): a point whose largest coefficient is
    # beyond 2^±400 is solved at an exact power-of-two rescaling, the rates scaled back (the eigenframe path's
    # products underflowed at a uniform scale 1e-170: slowest rate 3.99 for 2.20 times the scale; s4_findings
    # HD-9). Ordinary scales are untouched (bit-identical).
    mag = np.abs(c).max(axis=1)
    kexp = np.where((mag > 0) & ((mag < 2.0**-400) | (mag > 2.0**400)), np.frexp(mag)[1], 0)
    if np.any(kexp):
        c = c * np.ldexp(1.0, -kexp)[:, None]
    sb = sector_basis(2)
    trace_state = np.zeros((1, 16))
    trace_state[0, sb.blocks[0][:4]] = 0.25
    _, kq, _, _ = bk.stationary_blocks(c, trace_state, np.full(P, float(tol)), sb, per_block=True)
    scale, fast = tolerance_scales(c, np.full(P, float(tol)))
    nq = [len(e) for e in sector_elements(2)]
    ev = [np.zeros((P, n), dtype=complex) for n in nq]
    res = [np.zeros((P, n)) for n in nq]
    o = np.flatnonzero(~fast)
    if o.size:  # Δ factored out exactly: eigenvalues of L'_q shifted by iqΔ
        # block 0 in complex coordinates (ρ12, ρ21): a rotation 2δ of ρ12 is then diagonal, not a 2×2 real
        # rotation block whose eigensolver error eps·δ would swamp a slow decay rate of that coherence
        F = block0_complex_map()
        ev[0][o], res[0][o] = graded_eigvals(F @ generator_block(c[o], 0) @ np.linalg.inv(F))
        cp = c[o].copy()
        cp[:, DELTA_COLUMN] = 0.0
        for q in range(1, len(nq)):
            e, r = graded_eigvals(complex_block(generator_block(cp, q)))
            ev[q][o], res[q][o] = e + 1j * q * c[o, DELTA_COLUMN, None], r
    f = np.flatnonzero(fast)
    if f.size:  # Hamiltonian ≫ dissipator: exact eigenframe clusters
        secs = frame_sectors(c[f], tol * scale[f])
        for q, sec in enumerate(secs):
            ev[q][f], res[q][f] = sec["ev_graded"], sec["res"]
    # the kernel: in sector q, the kq eigenvalues nearest 0 are exactly 0
    kern = []
    for q in range(len(nq)):
        rank = np.argsort(np.argsort(np.abs(ev[q]), axis=1, kind="stable"), axis=1)
        z = rank < kq[:, q, None]
        ev[q] = np.where(z, 0.0, ev[q])
        kern.append(z)
    n_stat = kq[:, 0] + 2 * kq[:, 1:].sum(axis=1)
    unique = n_stat == 1
    rates, live = [], []
    for q in range(len(nq)):
        g = -ev[q].real
        resolved = g > res[q]
        unresolved = ~kern[q] & ~resolved
        bad = unresolved & unique[:, None]
        if np.any(bad):
            p_, i_ = np.argwhere(bad)[0]
            where = "" if model.shape == () else f" (at {int(bad.any(axis=1).sum())} of {P} grid points, first flat index {p_})"
            raise InvalidParameterError(
                f"spectrum: a decay rate {max(g[p_, i_], 0.0):.3g} is below the eigensolver's resolution "
                f"{res[q][p_, i_]:.3g} here (rates spanning more than ~1/(128·eps) = 3.5e13 within one block, "
                f"or 1e5·eps·‖D‖ where a dominant 𝒥⊥/D mixes ↑↓ and ↓↑){where}"
            )
        rates.append(g)
        live.append(~kern[q] & resolved)  # decays; the rest are 0 or undamped oscillations (degenerate points)
    slow = np.full(P, np.inf)
    for q in range(len(nq)):
        slow = np.minimum(slow, _slowest_decay(c, q, ev[q], rates[q], live[q], res[q]))
    allev = np.concatenate([ev[0]] + [x for q in range(1, len(nq)) for x in (ev[q], np.conj(ev[q]))], axis=1)
    order = np.argsort(-allev.real, axis=1, kind="stable")
    allev = np.take_along_axis(allev, order, axis=1)

    # block 0: the slowest decays (the stationary mode carrying the trace removed); 0 where ker is larger
    g0 = np.where(live[0], rates[0], np.inf)
    s_loc = res[0] / (RESOLUTION_FACTOR * np.finfo(float).eps)  # each mode's own scale
    i0 = np.argmin(g0, axis=1)
    gmin = np.take_along_axis(g0, i0[:, None], axis=1)
    width = REGIME_RTOL * np.take_along_axis(s_loc, i0[:, None], axis=1)
    with np.errstate(invalid="ignore"):  # inf − inf where block 0 has no decay
        near = live[0] & (np.abs(g0 - gmin) <= width)
    with np.errstate(invalid="ignore"):
        ent = np.where(near, rates[0], 0.0).sum(axis=1) / np.maximum(near.sum(axis=1), 1)
    ent = np.where((kq[:, 0] == 1) & near.any(axis=1), ent, 0.0)
    osc = np.any(near & (np.abs(ev[0].imag) > width), axis=1)
    real_near = near & (np.abs(ev[0].imag) <= width)
    n_real = real_near.sum(axis=1)
    crit = (n_real >= 2) & ~osc
    if np.any(crit):  # coalescing real modes: critical only if defective (δ = |A|: a Jordan block)
        crit[crit] = _defective(generator_block(c[crit], 0), gmin[crit, 0], n_real[crit])
    # the value: the slowest decay, or the exact mean of a cluster the eigensolver cannot split (the
    # exceptional point itself; see _slowest_decay). Before, the mean of every coalescing cluster within
    # REGIME_RTOL was used: at δ = |A|(1 − 1e-6) the rates 2a ∓ 2√(|A|² − δ²) differ by 1e-3 and the mean was
    # 7.5e-4 off (1.1e-4 at 1 − 1e-8).
    ent = np.where(ent > 0, _slowest_decay(c, 0, ev[0], rates[0], live[0], res[0]), 0.0)
    if np.any(kexp):  # back to the Model's scale (exact)
        f = np.ldexp(1.0, kexp)
        allev, slow, ent = allev * f[:, None], slow * f, ent * f
    with np.errstate(divide="ignore"):
        life = 1.0 / ent
    regime = np.where(osc, "underdamped", np.where(crit, "critical", "overdamped"))
    shape = model.shape
    return record_backend(Spectrum(
        eigenvalues=allev.reshape(shape + (16,)),
        slowest_rate=slow.reshape(shape),
        entanglement_rate=ent.reshape(shape),
        entanglement_lifetime=life.reshape(shape),
        regime=regime.reshape(shape),
        info={"tol": tol, "n_stationary": n_stat.reshape(shape)},
    ), bk)
