"""The non-Hermitian Hamiltonian H_eff = H − iK of no-jump evolution (paper Eq. 13) and its spectrum
(:func:`postselect_spectrum`: eigenvalues, PT phase, exceptional point, the target Bell state), for the
two-site Model. Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022), Eqs. (11)–(15); docs/postselection.md."""


from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..backend import get_backend, record_backend
from ..errors import InvalidParameterError
from ..system._basis import COEFFICIENT_NAMES, _h_basis, _hamiltonian_terms, _operator_list
from ..system._model import Model
from ..results import Result
from ._march import _DELTA


# ============================================================================== the non-Hermitian Hamiltonian
_FLOAT_MAX = float(np.finfo(float).max)  # a Python float: compares with any int (np.float64 overflowed on 10**400)


def _check_model(model) -> None:
    if not isinstance(model, Model):
        raise InvalidParameterError(f"model must be a magbell.Model, got {type(model).__name__}")


@lru_cache(maxsize=None)
def _heff_basis() -> np.ndarray:
    """(17, 4, 4) complex: H_eff = Σ_k c_k B_k for the coefficients c of ``Model.coefficients()``.

    H is linear in (δ, Δ, 𝒥z, 𝒥⊥, D) and K = Σ_k J_k†J_k = Σ_nm h_nm O_m†O_n is linear in the entries of h
    (Eqs. 3–4), so H_eff is one small matrix product per grid point, exact in the parameters (the jump
    operators of Eq. 5 carry square roots whose rounding would leave e.g. K's off-diagonal at 2 ± 1 ulp).
    """
    O = _operator_list()
    K = [np.einsum("nm,mji,njk->ik", hk, O.conj(), O) for hk in _h_basis()]
    out = np.concatenate([_hamiltonian_terms().astype(complex), -1j * np.stack(K)])
    out.setflags(write=False)
    return out


def _heff_fast(model: Model) -> np.ndarray:
    c = model.coefficients()
    return (c.reshape(-1, c.shape[-1]) @ _heff_basis().reshape(c.shape[-1], 16)).reshape(model.shape + (4, 4))


def _heff_without_mean(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """``(H_eff with Δ = 0, Δ)`` flattened to (P, 4, 4) and (P,). Δ only multiplies the |↑↑> and |↓↓>
    components by the exact phases e^{±iΔt}; they are applied after the propagation
    (:func:`_mean_phase`), so that Δ (1e10 in SI units, against rates of 1) decides no step size."""
    c = model.coefficients().reshape(-1, len(COEFFICIENT_NAMES)).copy()
    Delta = c[:, _DELTA].copy()
    c[:, _DELTA] = 0.0
    return (c @ _heff_basis().reshape(c.shape[-1], 16)).reshape(-1, 4, 4), Delta


def jump_rate_operator(model: Model) -> np.ndarray:
    """``K = Σ_k J_k†J_k = Σ_nm h_nm O_m†O_n`` over all six jumps (Hermitian, PSD), ``(*model.shape, 4, 4)``."""
    _check_model(model)
    c = model.coefficients()[..., 5:]
    B = _heff_basis()[5:] * 1j  # = K_k
    return (c.reshape(-1, c.shape[-1]) @ B.reshape(c.shape[-1], 16)).reshape(model.shape + (4, 4))


def non_hermitian_hamiltonian(model: Model) -> np.ndarray:
    """``H_eff = H − i Σ_k J_k†J_k`` (paper Eq. 12), shape ``(*model.shape, 4, 4)``.

    ``H`` includes H_S and the coherent couplings 𝒥z, 𝒥⊥, D (S38); the sum includes the dephasing jumps.
    ``H_eff`` conserves σ1z + σ2z: it is block diagonal with blocks {|↑↑>}, {|↑↓>, |↓↑>}, {|↓↓>}.

    >>> import magbell
    >>> from magbell.conditional import non_hermitian_hamiltonian
    >>> non_hermitian_hamiltonian(magbell.Model(a=1.0, A=0.5))[1:3, 1:3]
    array([[0.-1.j , 0.-0.5j],
           [0.-0.5j, 0.-1.j ]])
    """
    _check_model(model)
    return _heff_fast(model)


# ============================================================================== spectrum
def _block_parts(Hn: np.ndarray) -> dict:
    """Centre E_c, traceless part T and ω² = T00² + T01·T10 of H_eff's 2×2 block on {|↑↓>, |↓↑>}."""
    b = Hn[..., 1:3, 1:3]
    Ec = (b[..., 0, 0] + b[..., 1, 1]) / 2
    T00 = (b[..., 0, 0] - b[..., 1, 1]) / 2
    T01 = b[..., 0, 1]
    T10 = b[..., 1, 0]
    w2, k = scaled_omega_squared(T00, T01, T10)
    return {"H": Hn, "Ec": Ec, "T00": T00, "T01": T01, "T10": T10, "w2": w2, "k": k}


def scaled_omega_squared(T00, T01, T10):
    """``(w2, k)`` with ω² = 4^k·w2: :func:`omega_squared` of the block divided by the exact power of two 2^k that
    brings its largest entry to [1/2, 1), so neither ω² nor the tolerance scale |T00|² + |T01 T10| under- or
    overflows (at rates 1e-170, ω² = −1e-340 was 0 and the PT-broken point was called an exceptional point;
    at 1e-160 ω came out 5.6e-6 off, subnormal; s4_findings HD-1, HD-2). ω = 2^k·sqrt(w2); at ordinary scales
    the result is bit-identical to the unscaled one (scaling by 2^-k is exact)."""
    T00, T01, T10 = np.asarray(T00), np.asarray(T01), np.asarray(T10)
    mag = np.maximum.reduce([np.abs(T00.real), np.abs(T00.imag), np.abs(T01.real), np.abs(T01.imag),
                             np.abs(T10.real), np.abs(T10.imag)])
    k = np.where(np.isfinite(mag) & (mag > 0), np.frexp(mag)[1], 0)
    f = np.ldexp(1.0, -k)
    return omega_squared(T00 * f, T01 * f, T10 * f), k


def omega_squared(T00, T01, T10):
    """ω² = T00² + T01·T10 of the traceless block [[T00, T01], [T10, −T00]], in real arithmetic.

    Writing T00 = −(δ + iε), T01 = c − ik, T10 = c̄ − ik̄ (c = (T01 + T̄10)/2 the coherent, k = i(T01 − T̄10)/2
    the dissipative off-diagonal; an identity for any T01, T10)::

        ω² = (δ² − ε² + |c|² − |k|²) + 2i(δε − Re(c k̄))

    so that Im ω² is *exactly* 0 whenever it is 0 in exact arithmetic because ε = 0 and c = 0 (the paper's
    model, Eq. 14: ω² = δ² − Γ² with Γ = |k| = |A + Ã| for any arg A). The complex product T01·T10 would
    leave a rounding-level Im ω² of either sign there (−i·k·(−i)·k̄ with arg k = π/4 gives ±1e-18), which
    flips the principal branch of ω and swaps the labels s ↔ a (issue 9 §1.4).
    """
    T00, T01, T10 = np.asarray(T00), np.asarray(T01), np.asarray(T10)
    c = (T01 + np.conj(T10)) / 2
    k = 1j * (T01 - np.conj(T10)) / 2
    dl, ep = -T00.real, -T00.imag
    re = (dl * dl - ep * ep) + ((c.real * c.real + c.imag * c.imag) - (k.real * k.real + k.imag * k.imag))
    im = 2 * (dl * ep - (c.real * k.real + c.imag * k.imag))
    return re + 1j * im


def _normalise_ket(v0, v1, real_index: int, sign: float):
    """Normalise (v0, v1) and fix the global phase: component ``real_index`` real with sign ``sign``
    (the other component where that one vanishes)."""
    nrm = np.sqrt(np.abs(v0) ** 2 + np.abs(v1) ** 2)
    safe = np.where(nrm > 0, nrm, 1.0)
    v0, v1 = v0 / safe, v1 / safe
    ref = v0 if real_index == 0 else v1
    other = v1 if real_index == 0 else v0
    use = np.where(np.abs(ref) > 1e-300, ref, other)
    ph = np.where(np.abs(use) > 0, sign * np.conj(use) / np.where(np.abs(use) > 0, np.abs(use), 1.0), 1.0)
    return v0 * ph, v1 * ph, nrm > 0


def _eigvec(T00, T01, T10, lam):
    """Right eigenvector of [[T00, T01], [T10, −T00]] for eigenvalue ``lam`` (better-conditioned formula)."""
    r1 = (T01, lam - T00)  # from the first row
    r2 = (T00 + lam, T10)  # from the second row
    n1 = np.abs(r1[0]) ** 2 + np.abs(r1[1]) ** 2
    n2 = np.abs(r2[0]) ** 2 + np.abs(r2[1]) ** 2
    pick1 = n1 >= n2
    return np.where(pick1, r1[0], r2[0]), np.where(pick1, r1[1], r2[1])


def _embed(v0, v1) -> np.ndarray:
    z = np.zeros(np.shape(v0), dtype=complex)
    return np.stack([z, v0, v1, z], axis=-1)


@dataclass(frozen=True, eq=False, repr=False)
class NonHermitianSpectrum(Result):
    """Spectrum and phase of ``H_eff`` (Eq. 12) for a model grid; see :func:`postselect_spectrum`.

    Arrays have the model's shape (kets a trailing axis of 4 in the basis |↑↑>, |↑↓>, |↓↑>, |↓↓>).

    eigenvalues : (…, 4) ``(E_↑↑, E_s, E_a, E_↓↓)``; ``E_{s,a} = E_c ∓ ω`` are the subspace eigenvalues
        (Eq. 14: ``∓ω − i(a + ã)`` for the paper's model).
    E_s, E_a : the subspace eigenvalues; ``Im E_a ≥ Im E_s`` (|a> is the growing mode).
    Gamma : effective dissipative coupling ``|A + Ã|`` (= the paper's Γ = |A| + |Ã| when arg A = arg Ã).
    omega : ω = sqrt(ω²) (principal branch, so Im ω ≥ 0); real in the PT-exact phase.
    kappa : κ = Im ω (the paper's κ in the PT-broken phase, where ω = iκ).
    phase : 'PT-broken' (Im ω > 0: one mode dominates), 'exceptional-point' (ω = 0, H_eff defective),
        'PT-exact' (ω real ≠ 0: undamped oscillation), 'degenerate' (the block is ∝ 1: no dynamics at all).
    exceptional_point_delta : the δ at which the model (all other parameters fixed) has its exceptional
        point (the paper's Γ); NaN where no real δ gives one (e.g. unequal local rates with δ-independent
        coupling phases, see docs/postselection.md).
    ket_s, ket_a : normalised eigenkets with Eq. (14)'s phase convention (|s>'s |↓↑> component and
        −|a>'s |↑↓> component real ≥ 0). At the exceptional point both equal the coalesced state.
    exceptional_state : the coalesced eigenket where phase == 'exceptional-point' (|↑↓> component real
        > 0), NaN elsewhere.
    bell_phase : e^{iφ̃} = phase of <↓↑|a>/<↑↓|a> (Eq. 15: (−κ + iδ)/Γ); NaN in the degenerate phase.
    bell_state : (|↑↓> + e^{iφ̃}|↓↑>)/√2, the Bell state the PT-broken phase converges to (the singlet where
        bell_phase is NaN).
    asymptotic_state : |a> where the normalised state converges to it from any ρ0 with p_aa ≠ 0
        (PT-broken and exceptional point), NaN elsewhere.
    asymptotic_concurrence, asymptotic_bell_fidelity : 2|a_↑↓ a_↓↑| and |<bell_state|a>|² of that state.
    leak_rate : −2 Im E_a, the asymptotic decay rate of P(t) (the paper's 2(a + ã − κ)).
    growth_rate : 2κ, the rate at which the state approaches |a>.
    growth_beats_leak : growth_rate > leak_rate (the paper's practical condition).
    max_concurrence : sup_t C(t) from |↑↓> in the PT-exact phase (the paper's C_max(η), corrected — see
        docs/errata.md), NaN in the other phases.
    """

    eigenvalues: np.ndarray
    E_s: np.ndarray
    E_a: np.ndarray
    Gamma: np.ndarray
    omega: np.ndarray
    kappa: np.ndarray
    phase: np.ndarray
    exceptional_point_delta: np.ndarray
    ket_s: np.ndarray
    ket_a: np.ndarray
    exceptional_state: np.ndarray
    bell_phase: np.ndarray
    bell_state: np.ndarray
    asymptotic_state: np.ndarray
    asymptotic_concurrence: np.ndarray
    asymptotic_bell_fidelity: np.ndarray
    leak_rate: np.ndarray
    growth_rate: np.ndarray
    growth_beats_leak: np.ndarray
    max_concurrence: np.ndarray
    info: dict = field(default_factory=dict)

    _ARRAYS = ("Gamma", "kappa", "exceptional_point_delta", "asymptotic_concurrence", "asymptotic_bell_fidelity",
               "leak_rate", "growth_rate", "growth_beats_leak", "max_concurrence")
    _UNITS = {"Gamma": ("rate", "effective dissipative coupling |A + A~|"), "kappa": ("rate", "kappa = Im omega"),
              "exceptional_point_delta": ("rate", "delta at the exceptional point"),
              "asymptotic_concurrence": ("1", "concurrence of the asymptotic state |a>"),
              "asymptotic_bell_fidelity": ("1", "fidelity of |a> to bell_state"),
              "leak_rate": ("rate", "asymptotic decay rate of P(t), -2 Im E_a"),
              "growth_rate": ("rate", "rate of approach to |a>, 2 kappa"),
              "growth_beats_leak": (None, "growth_rate > leak_rate"),
              "max_concurrence": ("1", "sup_t C(t) from |ud> (PT-exact phase)")}


def postselect_spectrum(model: Model, *, rtol: float = 1e-12, backend: str = "numpy",
                        excitations=None) -> NonHermitianSpectrum:
    """Eigenvalues, eigenkets (Eq. 14) and the PT phase of ``H_eff`` in the σz = 0 subspace, batched.

    Closed forms of the 2×2 block ``E_c·1 + T`` (T traceless, T² = ω²·1): ``E_{s,a} = E_c ∓ ω``. The
    classification uses ω² directly: 'exceptional-point' where ``|ω²| ≤ rtol·(|T00|² + |T01 T10|)`` and
    T ≠ 0, 'PT-exact' where ω² is real and positive (to the same tolerance), 'PT-broken' otherwise,
    'degenerate' where T = 0. A PT phase diagram is one call on a grid::

        >>> import numpy as np, magbell
        >>> from magbell.conditional import postselect_spectrum
        >>> sp = postselect_spectrum(magbell.Model(a=2.0, A=2.0, delta=[0.0, 2.0, 5.0]))
        >>> sp.phase.tolist()
        ['PT-broken', 'exceptional-point', 'PT-exact']
        >>> sp.exceptional_point_delta.tolist()
        [2.0, 2.0, 2.0]

    ``backend`` (:func:`magbell.backend.get_backend`): validated and recorded in ``result.backend``; the
    two-qubit spectrum is closed forms, elementwise (an N-site System's sectors go through its ``eig``/``svd``).
    ``excitations`` (N sites: a :class:`magbell.System`, or a Model given with it): the excitation sectors, an int
    or a list (default all).
    """
    bk = get_backend(backend)
    if not isinstance(model, Model) or excitations is not None:  # N sites: solvers/_system_conditional.py
        from ._system_conditional import system_postselect_spectrum

        return system_postselect_spectrum(model.system() if isinstance(model, Model) else model,
                                          excitations=excitations, rtol=rtol, backend=bk)
    _check_model(model)
    if isinstance(rtol, (bool, np.bool_)) or not (isinstance(rtol, (int, float, np.integer, np.floating))
                                                   and 0 <= rtol <= _FLOAT_MAX and rtol == rtol):
        raise InvalidParameterError(f"rtol must be a finite number >= 0, got {rtol!r}")
    return record_backend(_spectrum_core(non_hermitian_hamiltonian(model), np.abs(model.A + model.A_tilde), rtol), bk)


def _classify(d: dict, rtol: float):
    """ω and the phase masks (degenerate, exceptional point, PT-exact) of the {|↑↓>, |↓↑>} block parts ``d``.

    ω is the principal root with Im ω ≥ 0 (the −0.0 imaginary-part case included); where the tolerance
    declares an EP, ω = 0 exactly; in the PT-exact phase ω = +sqrt(Re ω²) > 0 (Eq. 14: ω = sqrt(δ² − Γ²)),
    whatever the sign of a tolerated Im ω². One rule for the spectrum and for the target Bell state.
    """
    Ec, T00, T01, T10, w2 = d["Ec"], d["T00"], d["T01"], d["T10"], d["w2"]  # ω² = 4^k·w2 (_block_parts)
    f = np.ldexp(1.0, d["k"])
    w = np.sqrt(w2 + 0j)
    w = np.where(w.imag < 0, -w, w)
    scale2 = np.abs(T00 / f) ** 2 + np.abs((T01 / f) * (T10 / f))
    tnorm = np.abs(T00) + np.abs(T01) + np.abs(T10)
    ref = np.abs(Ec) + tnorm
    degenerate = tnorm <= 8 * np.finfo(float).eps * np.where(ref > 0, ref, 1.0)
    ep = (~degenerate) & (np.abs(w2) <= rtol * scale2)
    exact = (~degenerate) & (~ep) & (w2.real > 0) & (np.abs(w2.imag) <= rtol * scale2)
    w = np.where(ep, 0.0, np.where(exact, np.sqrt(np.maximum(w2.real, 0.0)) + 0j, w)) * f
    return w, degenerate, ep, exact


def _spectrum_core(Hn: np.ndarray, gamma_abs: np.ndarray, rtol: float) -> NonHermitianSpectrum:
    d = _block_parts(Hn)
    Hn, Ec, T00, T01, T10 = d["H"], d["Ec"], d["T00"], d["T01"], d["T10"]
    w, degenerate, ep, exact = _classify(d, rtol)
    phase = np.where(degenerate, "degenerate", np.where(ep, "exceptional-point", np.where(exact, "PT-exact", "PT-broken")))
    kappa = np.where(ep | exact, 0.0, w.imag)
    E_s = Ec - w
    E_a = Ec + w
    eig = np.stack([Hn[..., 0, 0], E_s, E_a, Hn[..., 3, 3]], axis=-1)

    # eigenkets (Eq. 14 phase convention)
    sa0, sa1 = _eigvec(T00, T01, T10, -w)
    aa0, aa1 = _eigvec(T00, T01, T10, w)
    s0, s1, oks = _normalise_ket(sa0, sa1, 1, 1.0)
    a0, a1, oka = _normalise_ket(aa0, aa1, 0, -1.0)
    nan = np.full(np.shape(T00), np.nan + 0j)
    s0, s1 = np.where(degenerate | ~oks, nan, s0), np.where(degenerate | ~oks, nan, s1)
    a0, a1 = np.where(degenerate | ~oka, nan, a0), np.where(degenerate | ~oka, nan, a1)
    ket_s, ket_a = _embed(s0, s1), _embed(a0, a1)
    # coalesced state: |↑↓> component real positive
    c0, c1, _ = _normalise_ket(a0, a1, 0, 1.0)
    exc = _embed(np.where(ep, c0, nan), np.where(ep, c1, nan))

    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        # the phase of a1/a0 as a product of unit numbers (a1/a0 overflowed for |a0| ~ 1e-310 next to |a1| ~ 1)
        both = (np.abs(a0) > 0) & (np.abs(a1) > 0)
        bell_phase = np.where(both, _unit(a1, both) * np.conj(_unit(a0, both)), np.nan + 0j)
    bp = np.where(np.isnan(bell_phase), -1.0 + 0j, bell_phase)
    r2 = 1 / np.sqrt(2)
    bell_state = _embed(np.full(np.shape(bp), r2 + 0j), bp * r2)
    converges = (phase == "PT-broken") | ep
    asym = np.where(converges[..., None], ket_a, np.nan + 0j)
    with np.errstate(invalid="ignore"):
        asym_c = np.where(converges, 2 * np.abs(a0 * a1), np.nan)
        asym_f = np.where(converges, (np.abs(a0) + np.abs(a1)) ** 2 / 2, np.nan)
    leak = -2 * E_a.imag
    growth = 2 * kappa
    # C_max from |↑↓> in the PT-exact phase: ρ = |ψ_↓↑/ψ_↑↓| ranges over (0, |T10|/|Re T00|]
    with np.errstate(divide="ignore", invalid="ignore"):
        rho_max = np.minimum(1.0, np.abs(T10) / np.abs(T00.real))
        cmax = np.where(exact, 2 * rho_max / (1 + rho_max**2), np.nan)
    # δ of the exceptional point: (δ + iε)² = −c with T00 = −(δ + iε)
    eps_ = -T00.imag
    c = T01 * T10
    root = np.sqrt(-c + 0j)
    cands = np.stack([root, -root], axis=-1)
    mism = np.abs(cands.imag - eps_[..., None])
    tol_d = 1e-9 * np.sqrt(np.abs(c) + eps_**2 + 1e-300)
    ok = mism <= tol_d[..., None]
    # prefer a non-negative δ among the matching roots
    score = np.where(ok, np.where(cands.real >= 0, 0, 1), 2)
    pick = np.argmin(score, axis=-1)
    chosen = np.take_along_axis(cands, pick[..., None], axis=-1)[..., 0]
    matched = np.take_along_axis(ok, pick[..., None], axis=-1)[..., 0]
    delta_ep = np.where(matched, chosen.real + 0.0, np.nan)
    gamma = np.broadcast_to(gamma_abs, np.shape(T00)).astype(float)
    return NonHermitianSpectrum(
        eigenvalues=eig,
        E_s=E_s,
        E_a=E_a,
        Gamma=gamma,
        omega=w,
        kappa=kappa,
        phase=phase,
        exceptional_point_delta=delta_ep,
        ket_s=ket_s,
        ket_a=ket_a,
        exceptional_state=exc,
        bell_phase=bell_phase,
        bell_state=bell_state,
        asymptotic_state=asym,
        asymptotic_concurrence=asym_c,
        asymptotic_bell_fidelity=asym_f,
        leak_rate=leak,
        growth_rate=growth,
        growth_beats_leak=growth > leak,
        max_concurrence=cmax,
        info={"rtol": rtol, "block": "H_eff restricted to {|ud>, |du>}"},
    )


def _unit(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """z/|z| where ``mask`` (1 elsewhere), by real divisions: NumPy's complex/float division goes through
    1/|z| and overflows for a subnormal |z| (the eigenket component 3e-309 of the a = 3e-308 reproducer)."""
    r = np.where(mask, np.abs(z), 1.0)
    return np.where(mask, z.real, 1.0) / r + 1j * (np.where(mask, z.imag, 0.0) / r)


def _target_bell(Hn: np.ndarray, rtol: float = 1e-12) -> np.ndarray:
    """(|↑↓> + e^{iφ̃}|↓↑>)/√2 with the model's e^{iφ̃} (singlet where undefined), (*shape, 4).

    The same formulas as :func:`postselect_spectrum`'s ``bell_state``, without the rest of the spectrum."""
    d = _block_parts(Hn)
    T00, T01, T10 = d["T00"], d["T01"], d["T10"]
    w, degenerate, _, _ = _classify(d, rtol)
    a0, a1 = _eigvec(T00, T01, T10, w)
    ok = (~degenerate) & (np.abs(a0) > 0) & (np.abs(a1) > 0)
    # the phase of a1/a0 as a product of unit numbers: a1/a0 itself overflowed when |a0| << |a1| (tiny rates
    # next to δ, e.g. a = 3e-308, D = 1e-307, δ = 30)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
        ph = np.where(ok, _unit(a1, ok) * np.conj(_unit(a0, ok)), -1.0 + 0j)
    r2 = 1 / np.sqrt(2)
    return _embed(np.full(np.shape(ph), r2 + 0j), ph * r2)
