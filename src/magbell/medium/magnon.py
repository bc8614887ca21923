"""Closed forms for isotropic ferromagnetic magnon media in 1, 2 and 3 dimensions.

The medium: spin density ``s`` (ħ = 1; spins per unit length/area/volume) along +z, linear spin waves
``S^+(r) = √(2s) ψ(r)``, ``S^-(r) = √(2s) ψ†(r)`` (so ``S^-`` creates a magnon — the magnet's spin is
parallel to the qubit ground state |↑>, and the qubit's decay σ+ emits a magnon), dispersion
``ω_k = Ω + D_s k²`` and Gilbert damping α. The retarded magnon propagator is

    G^R_ψ(r, ω) = ∫ d^dk/(2π)^d  e^{ik·r} / (ω(1 + iα) − Ω − D_s k²)  = −G0(r; q)/D_s

with ``q² = (ω(1 + iα) − Ω)/D_s``, ``Im q ≥ 0``, and ``G0`` the Green's function of ``−∇² − q²``:

    d = 3:  G0 = e^{iqr}/(4πr)
    d = 2:  G0 = (i/4) H0^(1)(qr) = K0(−iqr)/(2π)
    d = 1:  G0 = i e^{iq|r|}/(2q)

The spin spectral function and reactive part between sites a distance r apart are
``A_{S1+S2−}(r, ω) = 2s·(2/D_s) Im G0(r; q)`` and ``ℜG^R_{S1+S2−}(r, ω) = −(2s/D_s) Re G0(r; q)``, and the
general machinery (:mod:`magbell.medium.greens`) gives, with ``Γ0 = λ² s/D_s`` and ``n = n_B(Δ)``::

    a  = (1 + n) Γ0 · 2 Im G0(0; q)        A = (1 + n) Γ0 · 2 Im G0(r; q)
    ã  = e^{−βΔ} a                          Ã = e^{−βΔ} A
    J⊥ = −Γ0 Re G0(r; q)                    D_dm = Jz = d = 𝔇 = 0   (one-magnon processes only)

For α → 0 above the gap (q = k, on-shell ``k = √((Δ − Ω)/D_s)``) these are the dissipative/coherent
pairs (``a0 = a/(1+n)``)::

    3D: a0 = Γ0 k/(2π),  A/a = sin(kr)/(kr),  J⊥ = −(a0/2) cos(kr)/(kr)
    2D: a0 = Γ0/2,       A/a = J0(kr),        J⊥ = +(a0/2) Y0(kr)
    1D: a0 = Γ0/k,       A/a = cos(kr),       J⊥ = +(a0/2) sin(kr)

and with damping ``q = k + iκ``, ``κ ≈ αΔ/(2 D_s k)``, which is the envelope e^{−κr} (exact in 3D and 1D).
Inside the gap (Δ < Ω, α = 0) ``q = i p``, ``p = √((Ω − Δ)/D_s)``: a = A = 0 and the coherent coupling is
evanescent, ``J⊥ = −Γ0 e^{−pr}/(4πr)`` (3D), ``−Γ0 K0(pr)/(2π)`` (2D), ``−Γ0 e^{−pr}/(2p)`` (1D).
The phase k·r is formed exactly from the float inputs at any separation (:mod:`._phase`; refused in one line
where the remaining error could exceed 1e-15 of a). Derivations: ``docs/medium.md``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError, describe_bad_points
from . import _phase
from .greens import (
    BOUND_RTOL,
    InvalidMediumError,
    MarkovWarning,
    MediumCouplings,
    SpinCorrelations,
    _accuracy_check,
    _magnitude,
    principal_value,
)

__all__ = [
    "DIMENSION_NAMES",
    "MagnonMedium",
    "MarkovReport",
    "helmholtz_green",
    "helmholtz_green_imag0",
    "markov_report",
    "on_shell_profiles",
    "wavenumber",
]

#: command-line / preset names of the three media
DIMENSION_NAMES = {"bulk3d": 3, "film2d": 2, "chain1d": 1}


def _check_dim(dim) -> int:
    if dim not in (1, 2, 3):
        raise InvalidParameterError(f"dim must be 1, 2 or 3, got {dim!r}")
    return int(dim)


def wavenumber(omega, gap, stiffness, damping=0.0) -> np.ndarray:
    """Complex magnon wave number q with ``D_s q² = ω(1 + iα) − Ω`` and ``Im q ≥ 0`` (``Re q ≥ 0`` if real).

    Above the gap and for α → 0 this is the on-shell wave number ``k(Δ) = √((Δ − Ω)/D_s)``; inside the gap
    it is ``i p`` (evanescent).
    """
    w = np.asarray(omega, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):  # absurd inputs give inf/NaN: callers refuse those
        q2 = (w * (1 + 1j * np.asarray(damping, dtype=float)) - gap) / stiffness
        q = np.sqrt(np.asarray(q2, dtype=complex))
    flip = (q.imag < 0) | ((q.imag == 0) & (q.real < 0))
    return np.where(flip, -q, q)


def helmholtz_green(dim: int, q, r) -> np.ndarray:
    """``G0(r; q) = ∫ d^dk/(2π)^d e^{ik·r}/(k² − q²)`` for ``Im q ≥ 0`` and ``r > 0`` (outgoing/decaying).

    3D ``e^{iqr}/(4πr)``, 2D ``K0(−iqr)/(2π) = (i/4)H0^(1)(qr)``, 1D ``i e^{iqr}/(2q)``. At ``r = 0`` the real
    part diverges in 2D and 3D (``inf`` is returned there); use :func:`helmholtz_green_imag0` for the finite
    imaginary part. The phase ``Re(q)·r`` is the exact product of the floats given, at any size
    (:mod:`magbell.medium._phase`; docs/medium.md §6 "Large separations").
    """
    return _green(_check_dim(dim), q, r, 0j)


def _green(dim: int, q, r, lo) -> np.ndarray:
    """:func:`helmholtz_green` at the double-double wave number ``q + lo`` (lo complex, ~u·q)."""
    q, r, lo = np.broadcast_arrays(
        np.asarray(q, dtype=complex), np.asarray(r, dtype=float), np.asarray(lo, dtype=complex)
    )
    P, eps = _phase.phase(q.real, lo.real, r)  # Re(q)·r = P + eps exactly (to ~4u² of q)
    Pi, epsi = _phase.phase(q.imag, lo.imag, r)  # Im(q)·r likewise
    env = _phase.envelope(q.imag, lo.imag, r)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        if dim == 2:
            from scipy import special  # lazily (import cost at CLI start-up)

            w = -1j * q * r
            real_w = w.real
            big = (np.abs(w) >= _phase.HANKEL_MIN) & (q.real != 0)  # Hankel's expansion with the exact phase
            small = np.where(big, 1.0, w)
            # exactly real argument (q purely imaginary: the evanescent case): real K0, no rounding in Im
            g = np.where(w.imag == 0, special.k0(np.where(real_w > 0, real_w, 1.0)) + 0j, special.kv(0, small))
            if np.any((np.abs(w) > 1) & ~big):  # K0(w + δ) = K0(w) − K1(w) δ, δ = w_exact − fl(w) (exact products)
                d = epsi - 1j * eps
                g = np.where(big, g, g - special.kv(1, small) * d)
            if np.any(big):
                h = _phase.hankel0(np.where(big, q * r, _phase.HANKEL_MIN), P, eps, env)
                g = np.where(big, 0.5j * np.pi * h, g)
            return np.where(r == 0, np.inf + 0j, g / (2 * np.pi))
        c, s = _phase.expi(P, eps)
        eiqr = np.where(env == 0, 0j, env * (c + 1j * s))  # e^{iqr}; exactly 0 where extinguished (any phase)
        if dim == 3:
            rs = np.where(r == 0, 1.0, r)
            return np.where(r == 0, np.inf + 0j, eiqr / (4 * np.pi * rs))
        return 1j * eiqr / (2 * q)


def helmholtz_green_imag0(dim: int, q) -> np.ndarray:
    """``Im G0(0; q)`` (finite in every dimension): 3D ``Re q/(4π)``, 2D ``(1 − 2 arg(q)/π)/4``, 1D ``Re(1/q)/2``."""
    dim = _check_dim(dim)
    q = np.asarray(q, dtype=complex)
    with np.errstate(divide="ignore", invalid="ignore"):
        if dim == 3:
            return q.real / (4 * np.pi)
        if dim == 2:  # (1 − 2 arg q/π)/4 = atan2(Re q, Im q)/(2π) for Im q >= 0, without the cancellation of
            # 1 − 2 arg q/π near the imaginary axis (in the gap with α = 1e-13 it was 2.5e-3 off)
            return np.where(q.imag >= 0, np.arctan2(q.real, q.imag) / (2 * np.pi), (1 - 2 * np.angle(q) / np.pi) / 4)
        return (1 / q).real / 2


def _imag_green(dim, q, r, lo=0j) -> np.ndarray:
    q, r, lo = np.broadcast_arrays(np.asarray(q, dtype=complex), np.asarray(r, dtype=float), lo)
    local = helmholtz_green_imag0(dim, q)
    g = _green(dim, q, np.where(r == 0, 1.0, r), lo)
    return np.where(r == 0, local, g.imag)


def on_shell_profiles(dim: int, x) -> tuple[np.ndarray, np.ndarray]:
    """The α → 0 dissipative and coherent profiles at ``x = k r`` above the gap:
    ``(A/a, −2 J⊥/a0)`` = 3D ``(sin x/x, cos x/x)``, 2D ``(J0(x), −Y0(x))``, 1D ``(cos x, −sin x)``.

    These are ``Im F`` and ``Re F`` of ``F = G0(r; k)/Im G0(0; k)`` (``e^{ix}/x``, ``iH0^(1)(x)``, ``i e^{ix}``).
    """
    dim = _check_dim(dim)
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if dim == 3:
            diss = np.where(x == 0, 1.0, np.sin(x) / np.where(x == 0, 1.0, x))
            coh = np.cos(x) / x
        elif dim == 2:
            from scipy import special  # lazily (import cost at CLI start-up)

            big = x >= _phase.HANKEL_MIN  # SciPy's J0/Y0 lose eps·x in the phase (2e-14 at x = 1e6)
            h = _phase.hankel0(np.where(big, x, _phase.HANKEL_MIN) + 0j, np.where(big, x, 0.0), 0.0, 1.0)
            diss = np.where(big, h.real, special.j0(x))
            coh = np.where(big, -h.imag, -special.y0(x))
        else:
            diss = np.cos(x)
            coh = -np.sin(x)
    return diss, coh


# ----------------------------------------------------------------------------- the medium
def _thermal(D, kT):
    D = np.asarray(D, dtype=float)
    kT = np.asarray(kT, dtype=float)
    safe = np.where(kT == 0, 1.0, kT)
    # βΔ beyond float64 is inf (then 1 + n_B = 1 and e^{-βΔ} = 0, exactly right); an n_B beyond float64 is
    # inf, which couplings() refuses
    with np.errstate(over="ignore", divide="ignore"):
        plus = np.where(kT == 0, 1.0, -1.0 / np.expm1(-D / safe))  # 1 + n_B(Δ)
        boltz = np.where(kT == 0, 0.0, np.exp(-D / safe))  # e^{-βΔ}
    return plus, boltz


def _number(name, value) -> float:
    """``float(value)`` for a real number; bools, strings and other objects are refused (one line)."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"{name} must be a number, got {value!r}") from None


def _numbers(name, value) -> np.ndarray:
    """A float array from numbers (no bools, strings or other objects: one-line error naming ``name``)."""
    if isinstance(value, (str, bytes)):
        raise InvalidParameterError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf":
            raise TypeError
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(f"{name} must be a (real) number or an array of numbers, got {value!r}") from None
    return arr.astype(float)


def _positive(name, value, allow_zero=False) -> float:
    v = _number(name, value)
    if not math.isfinite(v) or (v < 0 if allow_zero else v <= 0):
        raise InvalidParameterError(f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return v


@dataclass(frozen=True)
class MagnonMedium:
    """An isotropic ferromagnet in ``dim`` = 1, 2, 3 dimensions seen by two qubits through ``λ σ·S(r_i)``.

    All quantities in one unit system with ħ = 1 (e.g. energies in rad/s and lengths in m):

    ``gap``           Ω, magnon gap (energy), >= 0
    ``stiffness``     D_s in ω_k = Ω + D_s k² (energy × length²), > 0
    ``damping``       Gilbert α (dimensionless), >= 0
    ``spin_density``  s, equilibrium spin density (ħ per length^dim), > 0
    ``coupling``      λ, the transverse qubit–medium coupling (energy × length^dim)

    >>> m = MagnonMedium(dim=3, gap=1.0, stiffness=1.0)
    >>> c = m.couplings(r=0.5, Delta=2.0)       # k = 1
    >>> abs(float(c.A.real / c.a) - math.sin(0.5) / 0.5) < 1e-15
    True
    """

    dim: int
    gap: float
    stiffness: float
    damping: float = 0.0
    spin_density: float = 1.0
    coupling: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "dim", _check_dim(self.dim))
        object.__setattr__(self, "gap", _positive("gap", self.gap, allow_zero=True))
        object.__setattr__(self, "stiffness", _positive("stiffness", self.stiffness))
        object.__setattr__(self, "damping", _positive("damping", self.damping, allow_zero=True))
        object.__setattr__(self, "spin_density", _positive("spin_density", self.spin_density))
        lam = _number("coupling", self.coupling)
        if not math.isfinite(lam):
            raise InvalidParameterError(f"coupling must be finite, got {self.coupling!r}")
        object.__setattr__(self, "coupling", lam)
        g0 = lam * lam * self.spin_density / self.stiffness  # floats: inf on overflow, never OverflowError
        if not math.isfinite(g0) or (lam != 0 and g0 < np.finfo(float).tiny):
            raise InvalidParameterError(
                f"the rate scale coupling^2 * spin_density / stiffness = {g0:.3g} is outside the float64 range "
                f"(coupling={lam:.3g}, spin_density={self.spin_density:.3g}, stiffness={self.stiffness:.3g})"
            )

    # -- Green's functions ---------------------------------------------------------------------------
    @property
    def rate_scale(self) -> float:
        """Γ0 = λ² s / D_s (energy × length^{d−2})."""
        return self.coupling**2 * self.spin_density / self.stiffness

    def wavenumber(self, omega) -> np.ndarray:
        """Complex q(ω) (``Im q ≥ 0``); ``Re q`` is the on-shell wave number, ``Im q`` the damping envelope κ."""
        return wavenumber(omega, self.gap, self.stiffness, self.damping)

    def _wave(self, omega, r, check=False):
        """(q, lo): the wave number ``q + lo`` to ~4u² (:mod:`._phase`) where some ``|q|·r`` exceeds 1 (the plain
        float q elsewhere: its error in the phase and in the exponent κr is below 2.3e-16 there)."""
        q = self.wavenumber(omega)
        with np.errstate(over="ignore", invalid="ignore"):
            need = np.abs(q) * np.asarray(r, dtype=float) > 1
        if not np.any(need):
            return q, np.zeros(q.shape, dtype=complex)
        q, lo = _phase.refined_wavenumber(np.broadcast_to(omega, q.shape), self.gap, self.stiffness, self.damping)
        if check:
            _phase.check_resolved(self.dim, q, r, {"r": r, "omega": omega})
        return q, lo

    def propagator(self, r, omega) -> np.ndarray:
        """Retarded magnon propagator ``G^R_ψ(r, ω) = −G0(r; q)/D_s`` (r > 0; r = 0 allowed in 1D)."""
        q, lo = self._wave(omega, r, check=True)
        return -_green(self.dim, q, r, lo) / self.stiffness

    def spectral(self, r, omega) -> np.ndarray:
        """Spin spectral function ``A_{S1+S2−}(r, ω) = 2s·(2/D_s)·Im G0(r; q)`` (finite for r >= 0)."""
        q, lo = self._wave(omega, r, check=True)
        return 4 * self.spin_density / self.stiffness * _imag_green(self.dim, q, r, lo)

    def reactive(self, r, omega) -> np.ndarray:
        """Reactive part ``ℜG^R_{S1+S2−}(r, ω) = −(2s/D_s)·Re G0(r; q)`` (r > 0; r = 0 allowed in 1D)."""
        q, lo = self._wave(omega, r, check=True)
        return -2 * self.spin_density / self.stiffness * _green(self.dim, q, r, lo).real

    def correlations(self, r: float) -> SpinCorrelations:
        """The medium's :class:`SpinCorrelations` between sites a distance ``r`` apart (for the general
        machinery; ``reactive`` is omitted so that the coherent part goes through Kramers–Kronig)."""
        r = float(r)
        return SpinCorrelations.homogeneous_medium(
            lambda w: self.spectral(0.0, w),
            lambda w: self.spectral(r, w),
            points=(0.0, self.gap),
            scale=max(self.gap, 1e-300) if self.gap > 0 else None,
        )

    # -- couplings -----------------------------------------------------------------------------------
    def couplings(self, r, Delta, kT=0.0, *, lamb_shift_cutoff=None, unit="energy unit of the inputs (hbar = 1)") -> MediumCouplings:
        """Closed-form Lindblad parameters at separation ``r`` and mean qubit frequency ``Delta`` (> 0).

        ``r``, ``Delta``, ``kT`` broadcast. ``r`` must be > 0 in 2D and 3D (the coherent coupling diverges
        at contact); ``r = 0`` gives ``A = a``. A qubit frequency in the gap gives ``a = A = 0`` (for α = 0)
        and an evanescent ``J⊥``. With ``lamb_shift_cutoff`` = r_c the Lamb shift (S9) is evaluated with the
        local correlator point-split to distance r_c (it is UV-divergent in 2D and 3D); it renormalises Δ
        equally for both qubits.
        """
        r = _numbers("r", r)
        D = _numbers("Delta", Delta)
        kT = _numbers("kT", kT)
        try:
            shape = np.broadcast_shapes(r.shape, D.shape, kT.shape)
        except ValueError:
            raise InvalidParameterError(
                f"r, Delta, kT do not broadcast together: shapes {r.shape}, {D.shape}, {kT.shape}"
            ) from None
        r, D, kT = (np.broadcast_to(x, shape) for x in (r, D, kT))
        where = {"r": r, "Delta": D}
        for name, x, cond, msg in (
            ("r", r, np.isfinite(r) & (r >= 0), "finite and >= 0"),
            ("Delta", D, np.isfinite(D) & (D > 0), "finite and > 0"),
            ("kT", kT, np.isfinite(kT) & (kT >= 0), "finite and >= 0"),
        ):
            if not np.all(cond):
                raise InvalidParameterError(f"{name} must be {msg}, violated at " + describe_bad_points(~cond, {name: x}))
        if self.dim in (2, 3) and np.any(r == 0):
            raise InvalidParameterError(
                f"r must be > 0 in {self.dim}D: the coherent coupling diverges at contact (only A -> a is "
                "finite there; use spectral(0, Delta) for the local rate), violated at "
                + describe_bad_points(r == 0, where)
            )
        tiny = (r > 0) & (r < np.finfo(float).tiny)
        if np.any(tiny):
            raise InvalidParameterError(
                "r must be 0 or >= 2.2e-308 (a subnormal separation has lost its precision), violated at "
                + describe_bad_points(tiny, where)
            )
        q = self.wavenumber(D)
        if not np.all(np.isfinite(q)):
            bad = ~np.isfinite(q)
            raise InvalidParameterError(
                "the magnon wave number q(Delta) = sqrt((Delta (1 + i damping) - gap)/stiffness) overflows float64 "
                f"(damping={self.damping:.3g}, gap={self.gap:.3g}, stiffness={self.stiffness:.3g}) at "
                + describe_bad_points(bad, where)
            )
        if self.dim in (1, 2) and np.any(q == 0):
            raise InvalidMediumError(
                f"Delta is exactly at the band edge Omega with zero damping: the {self.dim}D density of states is "
                "singular there; use damping > 0 or move Delta off the band edge; at " + describe_bad_points(q == 0, where)
            )
        q, lo = self._wave(D, r)
        _phase.check_resolved(self.dim, q, r, where)
        plus, boltz = _thermal(D, kT)
        G0 = self.rate_scale
        im0 = helmholtz_green_imag0(self.dim, q)
        Gr = _green(self.dim, q, r, lo)
        imr = np.where(r == 0, im0, Gr.imag)  # r = 0 only in 1D (2D/3D refused above): Im G0(0) = local
        with np.errstate(over="ignore", invalid="ignore"):
            a = plus * G0 * 2 * im0
            A = plus * G0 * 2 * imr
            Jr = Gr.real * G0
        # outside float64 (J⊥ ∝ 1/r at r -> 0, rates at extreme Delta or kT, an undefined phase k r at
        # astronomical r without damping): refuse, naming the inputs, instead of returning inf/NaN
        bad = ~(np.isfinite(a) & np.isfinite(A) & (np.isfinite(Jr) | ((r == 0) & (self.dim == 1))))
        if np.any(bad):
            raise InvalidParameterError(
                "the couplings are not representable in float64 (overflow or an undefined phase k*r) at "
                + describe_bad_points(bad, {**where, "kT": kT}) + "; use a separation, qubit frequency and "
                "temperature in a physical range"
            )
        # |A| <= a is exact (Bochner: A(r) is the Fourier transform of a positive spectral density);
        # clip rounding, reject anything larger.
        excess = np.abs(A) - a
        bad = excess > BOUND_RTOL * np.abs(a) + 1e-300
        if np.any(bad):  # pragma: no cover - would be a bug in the closed forms
            raise InvalidMediumError("closed forms violate |A| <= a at " + describe_bad_points(bad, {**where, "a": a, "A": A}))
        A = np.clip(A, -a, a)
        Jperp = -G0 * Gr.real
        zeros = np.zeros(shape)
        info = {
            "k_on_shell": q.real,
            "kappa": q.imag,
            "regime": np.where(D > self.gap, "above gap", np.where(D < self.gap, "in gap", "band edge")),
            "separation": np.array(r),
            "rate_scale": G0,
        }
        ls = None
        if lamb_shift_cutoff is not None:
            rc = _positive("lamb_shift_cutoff", lamb_shift_cutoff)
            l = np.empty(shape)
            for idx in np.ndindex(shape):
                l[idx] = self._lamb_shift(rc, float(D[idx]), float(kT[idx]))
            ls = (l, l.copy())
            info["lamb_shift_cutoff"] = rc
        return MediumCouplings(
            a=a,
            A=A.astype(complex),
            a_tilde=boltz * a + 0.0,
            A_tilde=(boltz * A + 0.0).astype(complex),
            d=zeros,
            D_deph=zeros.astype(complex),
            Jz=zeros,
            Jperp=Jperp,
            D_dm=zeros,
            Delta=np.array(D),
            kT=np.array(kT),
            lamb_shift=ls,
            unit=unit,
            info=info,
        )

    def _lamb_shift(self, rc: float, Delta: float, kT: float) -> float:
        """δΔ = λ²[ℜG^R_{S+S−}(r_c, Δ) + P∫ dω/2π 2 n_B(ω) A(r_c, ω)/(Δ − ω)]   (coth = 1 + 2 n_B)."""
        lam2 = self.coupling**2
        base = float(self.reactive(rc, Delta))

        def f(w):
            A = float(self.spectral(rc, w))
            if kT == 0:
                return -2 * A if w < 0 else 0.0
            if w == 0:
                eps = 1e-9 * max(self.gap, Delta)
                return 2 * kT * float(self.spectral(rc, eps)) / eps
            x = w / kT
            return 0.0 if x > 700 else 2 * A / math.expm1(x)

        if kT == 0 and self.damping == 0:
            return lam2 * base
        lo = -math.inf if self.damping > 0 else self.gap
        pts = (0.0, self.gap)
        val, err = principal_value(f, Delta, band=(lo, math.inf), points=pts, scale=max(self.gap, Delta))
        _accuracy_check(val, err, "Lamb-shift", _magnitude(f, Delta, pts))
        return lam2 * (base + float(np.real(val)) / (2 * np.pi))

    # -- Markov validity ------------------------------------------------------------------------------
    def markov(self, couplings: MediumCouplings, threshold: float = 0.1, warn: bool = True) -> MarkovReport:
        """Markov-validity report for couplings produced by :meth:`couplings` (see :func:`markov_report`)."""
        return markov_report(self, couplings, threshold=threshold, warn=warn)


@dataclass(frozen=True)
class MarkovReport:
    """Validity of the Born–Markov derivation (paper, Suppl. (i) and Discussion), per grid point.

    ``correlation_time`` τ_c = 1/|Δ − Ω| (decay time of the medium's correlations at the qubit frequency),
    ``propagation_time`` τ_r = r/v_g with v_g = 2 D_s k (retardation of the cross correlation; 0 in the
    gap), ``induced_rate`` Γ = max(2(a + ã), 4|J⊥|, 4|D|, 4|Jz|) (the fastest medium-induced qubit
    dynamics), ``ratio`` = Γ·max(τ_c, τ_r); ``ok`` = ratio < threshold and Δ ≠ Ω. ``reasons`` says what
    failed ('' where ok).
    """

    ok: np.ndarray
    above_gap: np.ndarray
    correlation_time: np.ndarray
    propagation_time: np.ndarray
    induced_rate: np.ndarray
    ratio: np.ndarray
    threshold: float
    reasons: np.ndarray

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "above_gap": self.above_gap,
            "correlation_time": self.correlation_time,
            "propagation_time": self.propagation_time,
            "induced_rate": self.induced_rate,
            "ratio": self.ratio,
            "threshold": self.threshold,
            "reasons": self.reasons,
        }


def markov_report(medium: MagnonMedium, c: MediumCouplings, threshold: float = 0.1, warn: bool = True) -> MarkovReport:
    """Check the Markov approximation of the paper (Suppl. (i)): the medium's correlation time
    ``~ 1/(Δ − Ω)`` (and the propagation time r/v_g between the qubits) must be short compared with the
    inverse induced rates. Emits a :class:`MarkovWarning` where it fails (``warn=True``)."""
    D = np.asarray(c.Delta, dtype=float)
    detune = np.abs(D - medium.gap)
    with np.errstate(divide="ignore", over="ignore"):  # 1/(tiny detuning) = inf: correlation time diverges
        tau_c = np.where(detune > 0, 1.0 / np.where(detune > 0, detune, 1.0), np.inf)
    k = np.asarray(c.info.get("k_on_shell", np.zeros_like(D)))
    r = np.asarray(c.info.get("separation", np.zeros_like(D)))
    above = D > medium.gap
    vg = 2 * medium.stiffness * k
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf: retardation far beyond any rate
        tau_r = np.where(above & (vg > 0), r / np.where(vg > 0, vg, 1.0), 0.0)
    rate = np.maximum.reduce(
        [2 * (np.asarray(c.a) + np.asarray(c.a_tilde)), 4 * np.abs(c.Jperp), 4 * np.abs(c.D_dm), 4 * np.abs(c.Jz)]
    )
    with np.errstate(invalid="ignore", over="ignore"):  # ratio inf: far beyond any threshold, reported as such
        ratio = rate * np.maximum(tau_c, tau_r)
        ratio = np.where(rate == 0, 0.0, ratio)
    edge = detune == 0
    ok = (ratio < threshold) & ~edge
    reasons = np.full(D.shape, "", dtype=object)
    reasons = np.where(edge, "qubit frequency at the band edge (correlation time diverges)", reasons)
    slow = (~edge) & (ratio >= threshold)
    msg = np.where(
        tau_r > tau_c,
        f"propagation time r/v_g is not short compared with the induced dynamics (rate*time >= {threshold})",
        f"medium correlation time 1/|Delta - Omega| is not short compared with the induced dynamics (rate*time >= {threshold})",
    )
    reasons = np.where(slow, msg, reasons)
    rep = MarkovReport(
        ok=ok,
        above_gap=above,
        correlation_time=tau_c,
        propagation_time=tau_r,
        induced_rate=rate,
        ratio=ratio,
        threshold=float(threshold),
        reasons=reasons,
    )
    if warn and not np.all(ok):
        first = tuple(int(i) for i in np.argwhere(~ok)[0]) if ok.ndim else ()
        warnings.warn(
            f"Markov approximation not justified at {int(np.sum(~ok))} of {ok.size} point(s) "
            f"(e.g. {first}: {reasons[first] if ok.ndim else reasons[()]}; ratio {float(ratio[first]):.3g})",
            MarkovWarning,
            stacklevel=3,
        )
    return rep
