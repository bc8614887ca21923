"""From a medium's two-point spin correlations to the two-qubit Lindblad parameters.

Implements the microscopic expressions of Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022): main text
after Eq. (9) (``2a = iλ²G^>_{S1+S1−}(Δ)``, ``2A = iλ²G^>_{S1+S2−}(Δ)``), Supplement Eqs. (S9), (S11),
(S29)–(S33), (S39)–(S40) and the stability bounds (S42)–(S47). The derivations, with every sign and
factor, are in ``docs/medium.md``.

Conventions (ħ = 1, one energy unit for everything, temperature as ``kT`` in that unit)::

    G^R_{XY}(ω) = −i ∫_0^∞ dt <[X(t), Y]> e^{iωt}
    A_{XY}(ω)   = i[G^R_{XY}(ω) − G^A_{XY}(ω)]          (spectral function, Suppl. after S45)
    ℜG^R_{XY}(ω) = [G^R_{XY}(ω) + G^A_{XY}(ω)]/2        (reactive part, Suppl. after S31)
    iG^>_{XY}(ω) = ∫ dt <X(t) Y> e^{iωt} = [1 + n_B(ω)] A_{XY}(ω)      (fluctuation–dissipation)
    iG^<_{XY}(ω) = ∫ dt <Y X(t)> e^{iωt} = n_B(ω) A_{XY}(ω)

A medium is described between the two qubit sites by 2×2 matrices over the site indices i, j = 1, 2:
the transverse spectral matrix ``A_ij(ω) = A_{S_i^+ S_j^-}(ω)`` and (optionally) the longitudinal one
``A^z_ij(ω) = A_{S_i^z S_j^z}(ω)``. Both are Hermitian matrices; ``[1 + n_B(ω)] A(ω)`` is positive
semidefinite (it is the Fourier transform of <S_i^+(t) S_j^->); that is the content of the stability
bounds S42–S47 and it is checked on every result.

The Lindblad parameters in magbell's convention (``h[σ2+, σ1+] = A``, ``h[σ1−, σ2−] = Ã``,
``h[σ1z, σ2z] = 𝔇``; see ``docs/conventions.md``)::

    a_i = (λ²/2) [1 + n_B(Δ)] A_ii(Δ)            ã_i = e^{−βΔ} a_i
    A   = (λ²/2) [1 + n_B(Δ)] A_12(Δ)            Ã   = e^{−βΔ} A        (same phase)
    d_i = (λ_z²/2) lim_{ω→0} [1 + n_B(ω)] A^z_ii(ω)
    𝔇   = (λ_z²/2) lim_{ω→0} [1 + n_B(ω)] A^z_21(ω)
    J⊥ + i D = (λ²/2) ℜG^R_{S2+S1−}(Δ) = (λ²/2) P∫ dω/2π A_21(ω)/(Δ − ω)          (S31, S39–S40)
    Jz       = λ_z² Re ℜG^R_{S1z S2z}(0)                                           (S29, S32)
    δΔ_i     = λ² P∫ dω/2π coth(βω/2) A_ii(ω)/(Δ − ω)     (Lamb shift: Δ_i → Δ_i + δΔ_i; S9, S31)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidParameterError, describe_bad_points
from ..system._model import Model

__all__ = [
    "IntegrationAccuracyWarning",
    "InvalidMediumError",
    "MarkovWarning",
    "MediumCouplings",
    "SpinCorrelations",
    "Tabulated",
    "bose",
    "couplings",
    "greater",
    "kramers_kronig",
    "lamb_shift",
    "lesser",
    "principal_value",
    "zero_frequency_noise",
]

#: relative slack for the stability bounds: a violation smaller than this (rounding) is clipped,
#: a larger one is an invalid medium.
BOUND_RTOL = 1e-10


class InvalidMediumError(InvalidParameterError):
    """The medium's correlations violate a physical condition (stability bounds S42–S47, Hermiticity)."""


class MarkovWarning(UserWarning):
    """The Born–Markov derivation of the paper (Suppl. (i)) is not justified for these parameters."""


class IntegrationAccuracyWarning(UserWarning):
    """A Kramers–Kronig or Lamb-shift quadrature did not reach the requested accuracy."""


# ----------------------------------------------------------------------------- thermal factors
def _real_array(name: str, value) -> np.ndarray:
    """A float array from real numbers; bools, strings, complex and other objects refused in one line."""
    try:
        arr = np.asarray(value)
        ok = arr.dtype.kind in "iuf"
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise InvalidParameterError(f"{name} must be a real number or an array of real numbers, got {value!r}")
    return arr.astype(float)


def _coupling_constant(name: str, value) -> float:
    """λ or λ_z: a finite real number whose square is representable (0 allowed)."""
    lam = _real_array(name, value)
    if lam.ndim != 0:
        raise InvalidParameterError(f"{name} must be a single real number, got shape {lam.shape}")
    lam = float(lam)
    if not math.isfinite(lam) or not math.isfinite(lam * lam) or (lam != 0 and lam * lam < np.finfo(float).tiny):
        raise InvalidParameterError(f"{name} must be finite with {name}^2 in the float64 range (2.2e-308 to 1.8e308), got {value!r}")
    return lam


def _check_Delta(Delta) -> np.ndarray:
    D = _real_array("Delta", Delta)
    if not np.all(np.isfinite(D)) or np.any(D <= 0):
        bad = ~(np.isfinite(D) & (D > 0))
        raise InvalidParameterError("Delta (the mean qubit frequency) must be finite and > 0, violated at " + describe_bad_points(bad, {"Delta": D}))
    return D


def _check_kT(kT) -> np.ndarray:
    kT = _real_array("kT", kT)
    if not np.all(np.isfinite(kT)):
        raise InvalidParameterError("kT (the temperature in energy units) must be finite")
    if np.any(kT < 0):
        raise InvalidParameterError(
            "kT (the temperature in energy units) must be >= 0, violated at " + describe_bad_points(kT < 0, {"kT": kT})
        )
    return kT


def bose(omega, kT) -> np.ndarray:
    """Bose function ``n_B(ω) = 1/(e^{ω/kT} − 1)``; at ``kT = 0`` it is 0 for ω > 0 and −1 for ω < 0.

    ``ω = 0`` gives ``inf`` for ``kT > 0`` (and −1/2 at kT = 0 by the symmetric convention); the couplings
    never evaluate it there.
    """
    omega = np.asarray(omega, dtype=float)
    kT = _check_kT(kT)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = omega / kT
        n = 1.0 / np.expm1(x)
        zero_T = np.where(omega > 0, 0.0, np.where(omega < 0, -1.0, -0.5))
        n = np.where(kT == 0, zero_T, n)
    return n


def _boltzmann(omega, kT) -> np.ndarray:
    """``e^{−ω/kT}`` (0 at kT = 0 for ω > 0)."""
    omega = np.asarray(omega, dtype=float)
    kT = np.asarray(kT, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.exp(-omega / kT)
    return np.where(kT == 0, np.where(omega > 0, 0.0, np.inf), r)


def greater(spectral, omega, kT) -> np.ndarray:
    """``iG^>(ω) = [1 + n_B(ω)] A(ω)`` (fluctuation–dissipation theorem) from spectral values ``A(ω)``."""
    n = bose(omega, kT)
    return (1.0 + n) * np.asarray(spectral)


def lesser(spectral, omega, kT) -> np.ndarray:
    """``iG^<(ω) = n_B(ω) A(ω)`` from spectral values ``A(ω)``."""
    return bose(omega, kT) * np.asarray(spectral)


# ----------------------------------------------------------------------------- principal values
def _quad(f, lo, hi, **kw):
    with warnings.catch_warnings():
        from scipy import integrate  # lazily: scipy.integrate costs ~0.1 s at import (CLI start-up)

        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        val, err = integrate.quad(f, lo, hi, **kw)[:2]
    return val, err


def principal_value(
    f: Callable,
    x0: float,
    *,
    band=(-math.inf, math.inf),
    points=(),
    scale: float | None = None,
    epsabs: float = 1e-13,
    epsrel: float = 1e-10,
    limit: int = 400,
) -> tuple[complex, float]:
    """``P∫_band f(ω)/(x0 − ω) dω`` for a (complex) scalar function ``f``; returns ``(value, error estimate)``.

    ``points`` are frequencies where ``f`` has kinks or sharp features (band edges, resonances);
    the pole is handled by QUADPACK's Cauchy-weight rule on a window around ``x0``, the rest by adaptive
    quadrature (infinite limits allowed; ``f`` must then decay faster than 1/|ω|^0 so the integral exists).
    """
    lo, hi = float(band[0]), float(band[1])
    x0 = float(_real_array("x0", x0))
    if not math.isfinite(x0) or math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise InvalidParameterError(
            f"principal_value: x0 must be finite and band = (lo, hi) with lo < hi, got x0={x0!r}, band={band!r}"
        )
    pts = sorted({float(p) for p in points if lo < p < hi})
    if scale is None:
        finite = [abs(p) for p in pts] + [abs(x0)] + [abs(b) for b in (lo, hi) if math.isfinite(b)]
        scale = max([v for v in finite if v > 0] or [1.0])

    def re(w):
        return float(np.real(f(w)))

    def im(w):
        return float(np.imag(f(w)))

    total = 0.0 + 0.0j
    err = 0.0
    inside = lo < x0 < hi
    if inside:
        gaps = [x0 - lo, hi - x0, scale] + [abs(p - x0) for p in pts if p != x0]
        w = 0.5 * min(g for g in gaps if g > 0)
        a, b = x0 - w, x0 + w
        for part, unit in ((re, 1.0), (im, 1j)):
            v, e = _quad(part, a, b, weight="cauchy", wvar=x0, epsabs=epsabs, epsrel=epsrel, limit=limit)
            total += -unit * v  # QUADPACK gives P∫ f/(ω − x0)
            err += e
        segments = [(lo, a), (b, hi)]
    else:
        segments = [(lo, hi)]
    for s_lo, s_hi in segments:
        cuts = [s_lo] + [p for p in pts if s_lo < p < s_hi] + [s_hi]
        for c_lo, c_hi in zip(cuts[:-1], cuts[1:]):
            if c_hi <= c_lo:
                continue
            for part, unit in ((re, 1.0), (im, 1j)):
                def g(w, part=part):
                    d = x0 - w
                    return part(w) / d if d != 0 else 0.0

                v, e = _quad(g, c_lo, c_hi, epsabs=epsabs, epsrel=epsrel, limit=limit)
                total += unit * v
                err += e
    if not (math.isfinite(total.real) and math.isfinite(total.imag) and math.isfinite(err)):
        raise InvalidMediumError(
            f"principal value at x0={x0:.6g} is not finite (the function returned NaN/inf in the band {band!r}, "
            "or it does not decay fast enough for the integral to exist)"
        )
    return total, err


class Tabulated:
    """A spectral function known on a frequency grid, used as a piecewise-linear function (zero outside).

    ``values`` has shape ``(N,)`` (a scalar function) or ``(N, 2, 2)`` (a site matrix). Its Hilbert
    transform ``P∫ dω'/2π A(ω')/(ω − ω')`` — the Kramers–Kronig reactive part — is computed *exactly* for
    the piecewise-linear interpolant (:meth:`hilbert`), so tabulated data need no quadrature. Values that
    do not vanish at the ends of the grid are a jump to zero there, which gives a logarithmic singularity
    of the reactive part at the end points; tabulate the whole support.
    """

    def __init__(self, omega, values):
        w = _real_array("Tabulated: omega", omega)
        v = np.asarray(values)
        if v.dtype.kind not in "iufc":
            raise InvalidParameterError(f"Tabulated: values must be numbers (real or complex), got dtype {v.dtype}")
        if w.ndim != 1 or w.size < 2:
            raise InvalidParameterError("Tabulated: omega must be a 1-D grid of at least 2 frequencies")
        if not np.all(np.isfinite(w)) or np.any(w[1:] <= w[:-1]):
            raise InvalidParameterError("Tabulated: omega must be finite and strictly increasing")
        if not math.isfinite(float(w[-1]) - float(w[0])):
            raise InvalidParameterError("Tabulated: the grid's span omega[-1] - omega[0] overflows float64")
        if v.shape[0] != w.size or v.ndim not in (1, 3) or (v.ndim == 3 and v.shape[1:] != (2, 2)):
            raise InvalidParameterError(
                f"Tabulated: values must have shape ({w.size},) or ({w.size}, 2, 2), got {v.shape}"
            )
        if not np.all(np.isfinite(v)):
            raise InvalidParameterError("Tabulated: values must be finite")
        self.omega = w
        self.values = v.astype(complex)
        self.omega.setflags(write=False)
        self.values.setflags(write=False)

    @property
    def band(self) -> tuple[float, float]:
        return float(self.omega[0]), float(self.omega[-1])

    def __call__(self, omega) -> np.ndarray:
        x = np.asarray(omega, dtype=float)
        flat = self.values.reshape(self.omega.size, -1)
        out = np.empty(x.shape + (flat.shape[1],), dtype=complex)
        for c in range(flat.shape[1]):
            re = np.interp(x, self.omega, flat[:, c].real, left=0.0, right=0.0)
            im = np.interp(x, self.omega, flat[:, c].imag, left=0.0, right=0.0)
            out[..., c] = re + 1j * im
        return out.reshape(x.shape + self.values.shape[1:])

    def hilbert(self, omega) -> np.ndarray:
        """``P∫ dω'/2π A(ω')/(ω − ω')`` of the piecewise-linear interpolant, exactly."""
        x = np.asarray(omega, dtype=float)
        nodes = self.omega
        y = self.values.reshape(nodes.size, -1)  # (N, C)
        slopes = np.diff(y, axis=0) / np.diff(nodes)[:, None]  # (N-1, C)
        zero = np.zeros((1, y.shape[1]), dtype=complex)
        m_prev = np.concatenate([zero, slopes], axis=0)  # m_{k-1}
        m_next = np.concatenate([slopes, zero], axis=0)  # m_k
        dm = m_next - m_prev  # (N, C)
        u = x[..., None] - nodes  # (..., N)
        from scipy import special  # lazily (import cost)

        W = nodes[-1] - nodes[0]  # logs of |w − x_k|/W: the same sum exactly (Σ dm_k u_k = y_N − y_0), smaller terms
        xl = special.xlogy(u, np.abs(u) / W)  # (w − x_k) ln|w − x_k|, 0 at the nodes
        total = np.einsum("...n,nc->...c", xl, dm)
        with np.errstate(divide="ignore"):
            l0 = np.log(np.abs(x - nodes[0]) / W)[..., None]
            lN = np.log(np.abs(x - nodes[-1]) / W)[..., None]
        y0, yN = y[0], y[-1]
        total = total + np.where(y0 != 0, y0 * l0, 0) - np.where(yN != 0, yN * lN, 0) - (yN - y0)
        far = (x < nodes[0] - W / 10) | (x > nodes[-1] + W / 10)
        if np.any(far):  # the node sum cancels to ~eps·(x/width)² of the tail there (8e-4 at 1e5 widths)
            total = np.where(far[..., None], self._far_field(np.where(far, x, nodes[-1] + 2 * W), y), total)
        total = total / (2 * np.pi)
        return total.reshape(x.shape + self.values.shape[1:])

    def _far_field(self, x, y):
        """``2π × hilbert`` over a tenth of the band width outside the grid, segment by segment without the
        cancellation of the node sum: ``∫_a^b f/(x − ω') = −y_a log1p(−t) + m d g(t)``, ``d = x − a``, ``t = h/d``
        (``|t| < 1``), ``g(t) = −log1p(−t) − t = Σ_{n≥2} tⁿ/n`` summed as a series for |t| <= 1/2 (0.5⁶⁰ < 1e-18)."""
        a, h = self.omega[:-1], np.diff(self.omega)
        d = x[..., None] - a  # (..., N-1)
        t = h / d
        small = np.abs(t) <= 0.5
        ts = np.where(small, t, 0.0)
        tmax = float(np.max(np.abs(ts), initial=0.0))
        top = 60 if not 0 < tmax < 0.5 else max(3, min(60, int(np.ceil(-41.5 / np.log(tmax))) + 2))  # tmaxⁿ < 1e-18
        series = np.full_like(t, 1.0 / top)
        for n in range(top - 1, 1, -1):
            series = 1.0 / n + ts * series
        g = np.where(small, ts * ts * series, -np.log1p(-t) - t)  # |t| > 1/2: no cancellation
        slopes = np.diff(y, axis=0) / h[:, None]  # (N-1, C)
        return np.einsum("...k,kc->...c", -np.log1p(-t), y[:-1]) + np.einsum("...k,kc->...c", d * g, slopes)


def kramers_kronig(spectral: Callable, omega, *, band=(-math.inf, math.inf), points=(), scale=None, **quad_kw):
    """Reactive part ``ℜG^R(ω) = P∫ dω'/2π A(ω')/(ω − ω')`` from a scalar spectral function ``A``.

    ``spectral`` is a callable (or a scalar :class:`Tabulated`, handled exactly). Broadcasts over ``omega``;
    returns complex values (real for a real ``A``). Raises :class:`IntegrationAccuracyWarning` (a warning)
    when the quadrature's error estimate exceeds 1e-6 of the result's scale.
    """
    w = _real_array("omega", omega)
    if not np.all(np.isfinite(w)):
        bad = ~np.isfinite(w)
        raise InvalidParameterError("omega must be finite, violated at " + describe_bad_points(bad, {"omega": w}))
    if isinstance(spectral, Tabulated):
        return spectral.hilbert(w)
    out = np.empty(w.shape, dtype=complex)
    for idx in np.ndindex(w.shape):
        val, err = principal_value(spectral, w[idx], band=band, points=points, scale=scale, **quad_kw)
        _accuracy_check(val, err, "Kramers-Kronig", _magnitude(spectral, w[idx], points))
        out[idx] = val / (2 * np.pi)
    return out


def _magnitude(f, x0, points) -> float:
    """Order of magnitude of P∫ f/(x0 − ω): max |f| at x0 and at the feature points."""
    vals = [abs(complex(np.asarray(f(np.asarray(float(x)))).ravel()[0])) for x in (x0, *points) if math.isfinite(x)]
    return max(vals) if vals else 0.0


def _accuracy_check(val, err, what: str, magnitude: float = 0.0) -> None:
    if err > 1e-6 * max(abs(val), 1e-300) and err > 1e-10 * magnitude and err > 1e-14:
        warnings.warn(
            f"{what} quadrature error estimate {err:.3g} is large relative to the result {abs(val):.3g}",
            IntegrationAccuracyWarning,
            stacklevel=3,
        )


# ----------------------------------------------------------------------------- correlations
def _as_matrix_fn(fn: Callable | None, name: str):
    if fn is None:
        return None
    if not callable(fn):
        raise InvalidParameterError(f"{name} must be a callable ω -> (..., 2, 2) array or a Tabulated")
    return fn


@dataclass(frozen=True, eq=False)
class SpinCorrelations:
    """Two-point spin correlations of a medium between the qubit sites 1 and 2.

    Fields (callables take a NumPy array of frequencies and return ``(..., 2, 2)`` complex arrays; site
    indices i, j = 1, 2 are the last two axes):

    ``transverse``          ``A_ij(ω) = A_{S_i^+ S_j^-}(ω) = i[G^R − G^A]_{S_i^+ S_j^-}(ω)``, Hermitian in (i, j).
    ``transverse_reactive`` ``ℜG^R_{S_i^+ S_j^-}(ω)``, Hermitian; ``None``: Kramers–Kronig of ``transverse``.
    ``longitudinal``        ``A^z_ij(ω) = A_{S_i^z S_j^z}(ω)``; ``None``: no longitudinal fluctuations (d = 𝔇 = Jz = 0).
    ``longitudinal_static`` ``ℜG^R_{S_i^z S_j^z}(0)`` as a 2×2 array; ``None``: Kramers–Kronig of ``longitudinal``.
    ``band``, ``points``     support of the spectral functions and frequencies with features (band edges),
                            used by the Kramers–Kronig and Lamb-shift quadratures.
    ``scale``               a typical frequency (for the ω → 0 limits and quadrature windows).
    ``homogeneous``         sites 1 and 2 are equivalent (A_22 = A_11): the Model gets a2 = a etc.

    Build them with :meth:`homogeneous_medium`, :meth:`from_retarded`, :meth:`from_tabulated` or directly.
    """

    transverse: Callable
    transverse_reactive: Callable | None = None
    longitudinal: Callable | None = None
    longitudinal_static: np.ndarray | None = None
    band: tuple = (-math.inf, math.inf)
    points: tuple = ()
    scale: float | None = None
    homogeneous: bool = False

    def __post_init__(self):
        _as_matrix_fn(self.transverse, "transverse")
        _as_matrix_fn(self.transverse_reactive, "transverse_reactive")
        _as_matrix_fn(self.longitudinal, "longitudinal")
        if self.longitudinal_static is not None:
            m = np.asarray(self.longitudinal_static, dtype=complex)
            if m.shape != (2, 2):
                raise InvalidParameterError("longitudinal_static must be a 2x2 array")
            object.__setattr__(self, "longitudinal_static", m)
        lo, hi = self.band
        if not lo < hi:
            raise InvalidParameterError(f"band must be (low, high) with low < high, got {self.band}")
        object.__setattr__(self, "points", tuple(float(p) for p in self.points))

    # -- constructors --------------------------------------------------------------------------------
    @classmethod
    def homogeneous_medium(
        cls,
        local: Callable,
        nonlocal_: Callable,
        *,
        nonlocal_reactive: Callable | None = None,
        longitudinal_local: Callable | None = None,
        longitudinal_nonlocal: Callable | None = None,
        longitudinal_static_nonlocal: float | None = None,
        **kw,
    ) -> SpinCorrelations:
        """Equivalent sites from scalar callables: ``local(ω) = A_{S1+S1−}(ω) = A_{S2+S2−}(ω)``,
        ``nonlocal_(ω) = A_{S1+S2−}(ω)`` (complex allowed; ``A_{S2+S1−} = conj``), optionally the reactive
        part ``nonlocal_reactive(ω) = ℜG^R_{S1+S2−}(ω)`` (else Kramers–Kronig), and the same for the
        longitudinal channel (``longitudinal_static_nonlocal`` = ``ℜG^R_{S1z S2z}(0)``)."""

        def mat(loc, nl):
            if loc is None and nl is None:
                return None

            def f(w):
                w = np.asarray(w, dtype=float)
                l_ = np.zeros(w.shape, dtype=complex) if loc is None else np.asarray(loc(w), dtype=complex) * np.ones(w.shape)
                n_ = np.zeros(w.shape, dtype=complex) if nl is None else np.asarray(nl(w), dtype=complex) * np.ones(w.shape)
                return np.stack([np.stack([l_, n_], -1), np.stack([np.conj(n_), l_], -1)], -2)

            return f

        static = None
        if longitudinal_static_nonlocal is not None:
            c = complex(longitudinal_static_nonlocal)
            static = np.array([[0.0, c], [np.conj(c), 0.0]], dtype=complex)
        return cls(
            transverse=mat(local, nonlocal_),
            transverse_reactive=None if nonlocal_reactive is None else mat(None, nonlocal_reactive),
            longitudinal=mat(longitudinal_local, longitudinal_nonlocal),
            longitudinal_static=static,
            homogeneous=True,
            **kw,
        )

    @classmethod
    def from_retarded(cls, transverse: Callable, longitudinal: Callable | None = None, **kw) -> SpinCorrelations:
        """From retarded Green's-function matrices ``G^R_{S_i^+ S_j^-}(ω)`` (and ``G^R_{S_i^z S_j^z}(ω)``).

        ``A = i(G − G†)`` and ``ℜG = (G + G†)/2``, with † over the site indices (``G^A_{ij} = conj G^R_{ji}``).
        """

        def herm(G, sign):
            def f(w):
                g = np.asarray(G(np.asarray(w, dtype=float)), dtype=complex)
                gd = np.conj(np.swapaxes(g, -1, -2))
                return 1j * (g - gd) if sign < 0 else (g + gd) / 2

            return f

        static = None
        if longitudinal is not None:
            g0 = np.asarray(longitudinal(np.asarray(0.0)), dtype=complex)
            static = (g0 + np.conj(g0.T)) / 2
        return cls(
            transverse=herm(transverse, -1),
            transverse_reactive=herm(transverse, +1),
            longitudinal=None if longitudinal is None else herm(longitudinal, -1),
            longitudinal_static=static,
            **kw,
        )

    @classmethod
    def from_tabulated(cls, omega, transverse, longitudinal=None, **kw) -> SpinCorrelations:
        """From spectral matrices sampled on a grid (``(N, 2, 2)`` arrays), interpolated linearly;
        the reactive parts follow exactly from :meth:`Tabulated.hilbert`."""
        t = Tabulated(omega, transverse)
        z = None if longitudinal is None else Tabulated(omega, longitudinal)
        kw.setdefault("band", t.band)
        return cls(transverse=t, longitudinal=z, **kw)

    # -- evaluation ----------------------------------------------------------------------------------
    def _scale(self, Delta=None) -> float:
        if self.scale is not None:
            return float(self.scale)
        cands = [abs(p) for p in self.points if p != 0]
        if Delta is not None:
            cands.append(float(np.max(np.abs(Delta))))
        cands += [abs(b) for b in self.band if math.isfinite(b) and b != 0]
        return max(cands) if cands else 1.0

    def spectral_matrix(self, omega) -> np.ndarray:
        return _matrix(self.transverse, omega, "transverse")

    def reactive_cross(self, omega) -> np.ndarray:
        """``ℜG^R_{S2+ S1-}(ω)`` (given, exact for tabulated data, else Kramers–Kronig of ``A_21``).

        Only the cross element is needed for the couplings (S31); the local reactive parts are UV-divergent
        for many media (e.g. 2D/3D magnons) and are never evaluated.
        """
        w = np.asarray(omega, dtype=float)
        if self.transverse_reactive is not None:
            return _matrix(self.transverse_reactive, w, "transverse_reactive")[..., 1, 0]
        if isinstance(self.transverse, Tabulated):
            return self.transverse.hilbert(w)[..., 1, 0]

        def f(x):
            return _matrix(self.transverse, x, "transverse")[..., 1, 0]

        return kramers_kronig(f, w, band=self.band, points=self.points, scale=self._scale(w))


def _matrix(fn, omega, name) -> np.ndarray:
    w = np.asarray(omega, dtype=float)
    m = np.asarray(fn(w), dtype=complex)
    if m.shape != w.shape + (2, 2):
        try:
            m = np.broadcast_to(m, w.shape + (2, 2))
        except ValueError:
            raise InvalidParameterError(
                f"{name}(ω) must return an array of shape ω.shape + (2, 2) = {w.shape + (2, 2)}, got {m.shape}"
            ) from None
    if not np.all(np.isfinite(m)):
        bad = ~np.all(np.isfinite(m), axis=(-1, -2))
        raise InvalidMediumError(f"{name}(ω) is not finite at " + describe_bad_points(bad, {"omega": np.broadcast_to(w, bad.shape)}))
    return m


def zero_frequency_noise(spectral: Callable, kT, scale: float) -> np.ndarray:
    """``lim_{ω→0} [1 + n_B(ω)] A(ω)`` for a spectral function (matrix) ``A`` smooth at ω = 0 (an Ohmic
    ``A ∝ ω e^{−|ω|/ωc}`` has a kink there and is extrapolated with an O(h/ωc) error), by Richardson extrapolation.

    kT > 0: ``S(h) = ([1+n(h)]A(h) + [1+n(−h)]A(−h))/2`` is even in h for a smooth A, so
    ``(4 S(h/2) − S(h))/3`` has error O(h⁴) (h = 1e-3·min(scale, kT)). kT = 0: the limit from ω > 0,
    ``A(0+)``, extrapolated from h, h/2, h/4 with error O(h³) (h = 1e-4·scale).
    """
    kT = float(kT)

    def A(x):
        return np.asarray(spectral(np.asarray(x)), dtype=complex)

    if kT == 0:
        h = 1e-4 * scale
        return (8 * A(h / 4) - 6 * A(h / 2) + A(h)) / 3
    h = 1e-3 * min(scale, kT)

    def S(hh):
        x = hh / kT
        up = -1.0 / np.expm1(-x)  # 1 + n(h)
        nb = 1.0 / np.expm1(x)  # n(h) = −[1 + n(−h)]
        return (up * A(hh) - nb * A(-hh)) / 2

    return (4 * S(h / 2) - S(h)) / 3


# ----------------------------------------------------------------------------- results
_FIELDS = ("a", "A", "a_tilde", "A_tilde", "d", "D_deph", "Jz", "Jperp", "D_dm")


@dataclass(frozen=True, eq=False)
class MediumCouplings:
    """Two-qubit Lindblad parameters produced by a medium, in the unit ``unit``.

    All values are NumPy arrays of the broadcast shape of the inputs. ``a, a_tilde, d`` are qubit 1's local
    rates; ``a2, a_tilde2, d2`` qubit 2's (``None`` for equivalent sites). ``lamb_shift`` is
    ``(δΔ1, δΔ2)`` or ``None``. Rates (``a, A, ...``) and coherent couplings (``Jz, Jperp, D_dm``) share
    ``unit`` (ħ = 1: with energies in rad/s, rates are in 1/s and couplings in rad/s). ``info`` holds
    extras (on-shell wave number, Markov report, ...).
    """

    a: np.ndarray
    A: np.ndarray
    a_tilde: np.ndarray
    A_tilde: np.ndarray
    d: np.ndarray
    D_deph: np.ndarray
    Jz: np.ndarray
    Jperp: np.ndarray
    D_dm: np.ndarray
    Delta: np.ndarray
    kT: np.ndarray
    a2: np.ndarray | None = None
    a_tilde2: np.ndarray | None = None
    d2: np.ndarray | None = None
    lamb_shift: tuple | None = None
    unit: str = "energy unit of the inputs (hbar = 1)"
    info: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple:
        return np.shape(self.a)

    def as_dict(self) -> dict:
        out = {k: getattr(self, k) for k in _FIELDS}
        for k in ("a2", "a_tilde2", "d2"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.lamb_shift is not None:
            out["lamb_shift"] = self.lamb_shift
        return out

    def scaled(self, rate, unit: str) -> MediumCouplings:
        """All rates, couplings, Δ, kT and Lamb shifts divided by ``rate`` (a number in the current unit),
        labelled ``unit`` — e.g. ``c.scaled(c.a, "a")`` gives the paper's units (a = 1)."""
        rate = _real_array("scaled(): the unit rate", rate)
        if np.any(~np.isfinite(rate)) or np.any(rate <= 0):
            raise InvalidParameterError("scaled(): the unit rate must be finite and > 0")
        if not isinstance(unit, str) or not unit.strip():
            raise InvalidParameterError(f"scaled(): unit must be a non-empty string (the unit's name), got {unit!r}")
        kw = {k: getattr(self, k) / rate for k in _FIELDS + ("Delta", "kT")}
        for k in ("a2", "a_tilde2", "d2"):
            v = getattr(self, k)
            kw[k] = None if v is None else v / rate
        kw["lamb_shift"] = None if self.lamb_shift is None else tuple(x / rate for x in self.lamb_shift)
        return MediumCouplings(unit=unit, info=dict(self.info), **kw)

    def model(self, *, delta=0.0, include_Delta: bool = False, include_lamb_shift: bool = False, scale=None) -> Model:
        """The :class:`magbell.Model` with these couplings (values divided by ``scale`` if given).

        ``delta`` is the local-field asymmetry δ in the same unit. ``Model.Delta`` is 0 (the rotating frame:
        Δ only adds phases to coherences) unless ``include_Delta``. With ``include_lamb_shift`` the Lamb
        shifts renormalise Δ1, Δ2 (their mean shifts Δ, their half-difference adds to δ).
        """
        s = 1.0 if scale is None else _real_array("scale", scale)
        if np.any(~np.isfinite(s)) or np.any(s <= 0):  # (nan/0 warned and gave NaN/inf; −1 flipped every sign)
            raise InvalidParameterError(
                f"scale (the unit rate the couplings are divided by) must be finite and > 0, got {scale!r}"
            )
        Delta = self.Delta if include_Delta else 0.0
        delta = _real_array("delta", delta)
        if include_lamb_shift:
            if self.lamb_shift is None:
                raise InvalidParameterError("include_lamb_shift=True needs couplings(..., lamb_shift=True)")
            l1, l2 = self.lamb_shift
            if include_Delta:
                Delta = Delta + (l1 + l2) / 2
            delta = delta + (l1 - l2) / 2
        kw = dict(
            a=self.a / s,
            A=self.A / s,
            a_tilde=self.a_tilde / s,
            A_tilde=self.A_tilde / s,
            d=self.d / s,
            D_deph=self.D_deph / s,
            Jz=self.Jz / s,
            Jperp=self.Jperp / s,
            D_dm=self.D_dm / s,
            delta=delta / s,
            Delta=np.asarray(Delta) / s,
        )
        for k in ("a2", "a_tilde2", "d2"):
            v = getattr(self, k)
            if v is not None:
                kw[k] = v / s
        from .._params import flush_subnormal  # computed couplings below 2.2e-308 are 0 (Model refuses subnormals)

        return Model(**{k: flush_subnormal(v) for k, v in kw.items()})


# ----------------------------------------------------------------------------- stability
def _check_psd(S11, S22, S12, what: str, where: dict, bound: str, atol=0.0) -> tuple:
    """Check the Hermitian 2×2 matrix [[S11, S12], [S12*, S22]] is PSD; clip rounding-level violations.

    Returns ``(S11, S22, S12)`` with violations below ``BOUND_RTOL`` clipped; raises InvalidMediumError
    for larger ones (``atol`` adds an absolute slack, e.g. for extrapolated limits).
    """
    S11 = np.asarray(S11, dtype=float)
    S22 = np.asarray(S22, dtype=float)
    S12 = np.asarray(S12, dtype=complex)
    scale = np.maximum(np.abs(S11), np.abs(S22))
    tol = BOUND_RTOL * scale + atol + 1e-300
    neg = (S11 < -tol) | (S22 < -tol)
    if np.any(neg):
        raise InvalidMediumError(
            f"{what}: a local rate is negative (the spectral function must be positive at the qubit frequency, "
            f"{bound}); at " + describe_bad_points(neg, {**where, "local1": S11, "local2": S22})
        )
    S11 = np.maximum(S11, 0.0)
    S22 = np.maximum(S22, 0.0)
    gm = np.sqrt(S11 * S22)
    mag = np.abs(S12)
    bad = mag > gm + tol
    if np.any(bad):
        raise InvalidMediumError(
            f"{what}: |cross| <= sqrt(local1*local2) violated ({bound}): the medium is thermodynamically "
            "unstable or its correlations are inconsistent; at "
            + describe_bad_points(bad, {**where, "local1": S11, "local2": S22, "|cross|": mag})
        )
    over = mag > gm
    S12 = np.where(over, S12 / np.where(mag == 0, 1, mag) * gm, S12)
    return S11, S22, S12


# ----------------------------------------------------------------------------- couplings
def couplings(
    correlations: SpinCorrelations,
    Delta,
    *,
    kT=0.0,
    lam=1.0,
    lam_z=None,
    lamb_shift: bool = False,
    unit: str = "energy unit of the inputs (hbar = 1)",
) -> MediumCouplings:
    """Lindblad parameters of two qubits at mean frequency ``Delta`` coupled by ``λ σ_i·S_i`` to a medium.

    ``Delta`` (> 0) and ``kT`` (>= 0) broadcast; ``lam`` is the transverse coupling λ (σ±S∓ terms) and
    ``lam_z`` the longitudinal one (σzSz; default ``lam``). Detailed balance ``ã/a = |Ã|/|A| = e^{−Δ/kT}``
    holds by construction; the stability bounds S42–S47 (positivity of ``[1+n_B] A`` at Δ) are checked and
    a violation raises :class:`InvalidMediumError`. With ``lamb_shift=True`` the Lamb shifts (S9, S31) are
    computed by quadrature (the spectral functions must decay so that the integral exists).
    """
    if not isinstance(correlations, SpinCorrelations):
        raise InvalidParameterError(f"correlations must be a SpinCorrelations, got {type(correlations).__name__}")
    D = _check_Delta(Delta)
    kT = _check_kT(kT)
    lam = _coupling_constant("lam", lam)
    lam_z = lam if lam_z is None else _coupling_constant("lam_z", lam_z)
    shape = np.broadcast_shapes(D.shape, kT.shape)
    D = np.broadcast_to(D, shape)
    kT = np.broadcast_to(kT, shape)
    where = {"Delta": D, "kT": kT}

    A_mat = correlations.spectral_matrix(D)
    herm_err = np.abs(A_mat[..., 0, 1] - np.conj(A_mat[..., 1, 0]))
    diag_im = np.abs(A_mat[..., 0, 0].imag) + np.abs(A_mat[..., 1, 1].imag)
    sc = np.abs(A_mat).max(axis=(-1, -2)) + 1e-300
    if np.any(herm_err > 1e-9 * sc) or np.any(diag_im > 1e-9 * sc):
        bad = (herm_err > 1e-9 * sc) | (diag_im > 1e-9 * sc)
        raise InvalidMediumError(
            "transverse spectral matrix A_ij(Delta) = A_{S_i^+ S_j^-} must be Hermitian in the site indices; at "
            + describe_bad_points(bad, where)
        )
    plus = -1.0 / np.expm1(-D / np.where(kT == 0, 1.0, kT))
    plus = np.where(kT == 0, 1.0, plus)  # 1 + n_B(Δ)
    boltz = np.where(kT == 0, 0.0, np.exp(-D / np.where(kT == 0, 1.0, kT)))  # e^{-βΔ}
    pref = lam * lam / 2 * plus
    a1 = pref * A_mat[..., 0, 0].real
    a2 = pref * A_mat[..., 1, 1].real
    A = pref * A_mat[..., 0, 1]
    a1, a2, A = _check_psd(a1, a2, A, "transverse channel", where, "Suppl. S42-S47")
    a_t1, a_t2, A_t = boltz * a1 + 0.0, boltz * a2 + 0.0, boltz * A + 0.0

    # coherent part: J⊥ + iD = (λ²/2) ℜG^R_{S2+S1-}(Δ)  (S31, S39)
    g = correlations.reactive_cross(D)
    Jperp = lam * lam / 2 * g.real
    D_dm = lam * lam / 2 * g.imag

    # longitudinal channel
    zeros = np.zeros(shape)
    d1 = d2 = zeros
    D_deph = zeros.astype(complex)
    Jz = zeros
    if correlations.longitudinal is not None or correlations.longitudinal_static is not None:
        sc0 = correlations._scale(D)
        if correlations.longitudinal is not None:
            Sz = np.empty(shape + (2, 2), dtype=complex)
            mag = np.empty(shape)
            for idx in np.ndindex(shape):
                fz = lambda w: _matrix(correlations.longitudinal, w, "longitudinal")
                Sz[idx] = zero_frequency_noise(fz, kT[idx], sc0)
                h = 1e-4 * sc0 if kT[idx] == 0 else 1e-3 * min(sc0, kT[idx])
                mag[idx] = np.max(np.abs(fz(h))) * max(1.0, kT[idx] / h)  # size of the raw samples
            d1 = lam_z**2 / 2 * Sz[..., 0, 0].real
            d2 = lam_z**2 / 2 * Sz[..., 1, 1].real
            # h[σ1z, σ2z] = D_21 = (λz²/2) iG^>_{S2z S1z}(0)   (S28, S33)
            D_deph = lam_z**2 / 2 * Sz[..., 1, 0]
            d1, d2, D_deph = _check_psd(
                d1, d2, D_deph, "longitudinal channel", where, "positivity of the zero-frequency noise, Eq. 4",
                atol=1e-9 * lam_z**2 / 2 * mag,
            )
        if correlations.longitudinal_static is not None:
            chi12 = correlations.longitudinal_static[0, 1]
        elif isinstance(correlations.longitudinal, Tabulated):
            chi12 = correlations.longitudinal.hilbert(0.0)[0, 1]
        else:
            f = lambda w: _matrix(correlations.longitudinal, w, "longitudinal")[..., 0, 1]
            chi12 = kramers_kronig(f, 0.0, band=correlations.band, points=tuple(correlations.points) + (0.0,), scale=sc0)
        Jz = zeros + lam_z**2 * np.real(chi12)

    ls = None
    if lamb_shift:
        l1 = np.empty(shape)
        l2 = np.empty(shape)
        for idx in np.ndindex(shape):
            l1[idx] = lamb_shift_value(correlations, D[idx], kT[idx], lam, site=0)
            l2[idx] = l1[idx] if correlations.homogeneous else lamb_shift_value(correlations, D[idx], kT[idx], lam, site=1)
        ls = (l1, l2)

    with np.errstate(invalid="ignore"):
        fin = np.isfinite(a1) & np.isfinite(a2) & np.isfinite(A) & np.isfinite(Jperp) & np.isfinite(D_dm)
        fin &= np.isfinite(d1) & np.isfinite(d2) & np.isfinite(D_deph) & np.isfinite(Jz)
    if not np.all(fin):  # λ² times a huge spectral value: refuse rather than hand inf/NaN to a Model
        raise InvalidParameterError(
            "the couplings are not representable in float64 (lam^2 times the spectral functions overflows) at "
            + describe_bad_points(~fin, where)
        )
    same = correlations.homogeneous
    return MediumCouplings(
        a=a1,
        A=A,
        a_tilde=a_t1,
        A_tilde=A_t,
        d=np.asarray(d1, dtype=float),
        D_deph=np.asarray(D_deph, dtype=complex),
        Jz=np.asarray(Jz, dtype=float),
        Jperp=np.asarray(Jperp, dtype=float),
        D_dm=np.asarray(D_dm, dtype=float),
        Delta=np.array(D),
        kT=np.array(kT),
        a2=None if same else a2,
        a_tilde2=None if same else a_t2,
        d2=None if same else np.asarray(d2, dtype=float),
        lamb_shift=ls,
        unit=unit,
    )


def _coth_half(w: float, kT: float) -> float:
    """coth(βω/2) (sign(ω) at kT = 0); finite-T value at ω = 0 is never requested (A(0) = 0)."""
    if kT == 0:
        return math.copysign(1.0, w) if w != 0 else 0.0
    x = w / (2 * kT)
    if x == 0:
        return 0.0
    return 1.0 / math.tanh(x)


def lamb_shift_value(correlations: SpinCorrelations, Delta: float, kT: float, lam: float, site: int = 0) -> float:
    """Lamb shift δΔ of one qubit (S9): ``λ² P∫ dω/2π coth(βω/2) A_ii(ω)/(Δ − ω)``; Δ → Δ + δΔ."""
    sc = correlations._scale(Delta)

    def f(w):
        if w == 0:  # coth(βω/2) A(ω) → 2kT A'(0) (A(0) = 0); 0 at kT = 0
            if kT == 0:
                return 0.0
            eps = 1e-9 * sc
            return 2 * kT * _matrix(correlations.transverse, np.asarray(eps), "transverse")[site, site].real / eps
        A = _matrix(correlations.transverse, np.asarray(w), "transverse")[site, site].real
        return _coth_half(w, kT) * A

    pts = tuple(correlations.points) + (0.0,)
    val, err = principal_value(f, Delta, band=correlations.band, points=pts, scale=sc)
    _accuracy_check(val, err, "Lamb-shift", _magnitude(f, Delta, pts))
    return lam * lam * float(np.real(val)) / (2 * np.pi)


def lamb_shift(correlations: SpinCorrelations, Delta, *, kT=0.0, lam=1.0) -> tuple:
    """Lamb shifts ``(δΔ1, δΔ2)`` (S9, S31) at the qubit frequency ``Delta`` (broadcasts with ``kT``)."""
    if not isinstance(correlations, SpinCorrelations):
        raise InvalidParameterError(f"correlations must be a SpinCorrelations, got {type(correlations).__name__}")
    D = _check_Delta(Delta)
    kT = _check_kT(kT)
    lam = _coupling_constant("lam", lam)
    shape = np.broadcast_shapes(D.shape, kT.shape)
    D = np.broadcast_to(D, shape)
    kT = np.broadcast_to(kT, shape)
    l1 = np.empty(shape)
    l2 = np.empty(shape)
    for idx in np.ndindex(shape):
        l1[idx] = lamb_shift_value(correlations, D[idx], kT[idx], lam, 0)
        l2[idx] = l1[idx] if correlations.homogeneous else lamb_shift_value(correlations, D[idx], kT[idx], lam, 1)
    return l1, l2
