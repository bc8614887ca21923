"""A thin ferromagnetic film: equilibrium, dipole-exchange spin waves and the LLG susceptibility.

Geometry: the film occupies ``−L <= z <= 0`` (the top surface is z = 0, qubits sit at z > 0); the film
normal is ẑ. The external field ``B`` (tesla) has polar angle θ_B from ẑ and azimuth φ_B. SI units inside,
frequencies as angular frequencies (rad/s, ħ = 1 where energies appear).

Physics (each formula with its source):

* **Equilibrium** (Stoner–Wohlfarth with the thin-film shape anisotropy): the magnetisation ``n0`` lies in
  the plane of ẑ and B (azimuth φ_B) at the polar angle θ0 minimising
  ``e(θ) = −B cos(θ − θ_B) + (μ0 Ms/2) cos²θ`` (Zeeman + demagnetising energy density divided by Ms),
  i.e. ``B sin(θ0 − θ_B) = (μ0 Ms/2) sin 2θ0`` (the global minimum is taken). The internal field along n0 is
  ``B_int = B cos(θ0 − θ_B) − μ0 Ms cos²θ0``. (Kalinikos & Slavin, J. Phys. C 19, 7013 (1986), Sec. 2;
  Rustagi et al., PRB 102, 220403(R) (2020), Supplement.)
* **Dynamic dipolar field of the lowest thickness mode** (uniform across the thickness, unpinned surface
  spins), averaged over the thickness (Kalinikos & Slavin 1986, Eq. (45) with n = 0; the "thin-film form
  factor"): for a transverse deviation ``m e^{ik·ρ}`` the field is ``h = −Ms N(k) m`` with
  ``N(k) = P(kL) k̂k̂ + [1 − P(kL)] ẑẑ``, ``P(x) = 1 − (1 − e^{−x})/x``. At k = 0 it is the static
  demagnetising tensor ẑẑ; for kL → ∞ the in-plane volume charges dominate.
* **Linearised Landau–Lifshitz–Gilbert equation** ``ṁ = −γ μ0 n0 × h_eff + α n0 × ṁ`` in the transverse
  basis (e1 = θ̂, e2 = φ̂ of n0, e1 × e2 = n0), time dependence e^{−iωt}:
  ``(K − iωα 1 − iω J) m = γ B_drive``, ``J = [[0, −1], [1, 0]]``,
  ``K = γ [(B_int + (2A_ex/Ms) k²) 1 + μ0 Ms N⊥(k)]`` (N⊥ = N projected on e1, e2).
  So ``m = χ(k, ω) b`` with ``χ = γ (K − iωα − iωJ)^{-1}`` for a drive field ``b = μ0 h`` in tesla.
  ``H0 = K − iωJ`` is Hermitian, hence exactly ``χ = γ Σ_n v_n v_n† / (λ_n − iωα)`` over its eigenpairs and
  the dissipative part ``(χ − χ†)/2i = γ ωα Σ_n v_n v_n†/(λ_n² + ω²α²)`` is positive semidefinite for ω > 0.
* **Dispersion** ``ω_k² = K11 K22 − K12²`` (zero of det H0): the dipole-exchange spin wave of the lowest
  mode for any in-plane direction of k (Kalinikos & Slavin 1986, Eq. (47) with the n = 0 terms; the same form
  as Rustagi et al. 2020 Eq. (S5)). The band bottom is its minimum over k and the in-plane angle.
* **Higher thickness modes** (``thickness_modes = M > 1``; for thick films, ``docs/medium.md`` §11 "Thick
  films"): the unpinned exchange modes ``cos(nπ|z|/L)``, n = 0 … M − 1, each in Kalinikos & Slavin's diagonal
  approximation (their Eq. (45) without the inter-mode dipolar terms F_nn', n ≠ n'): mode n has the exchange
  offset ``(2A_ex/Ms)(nπ/L)²`` and ``N_n(k) = P_nn k̂k̂ + (1 − P_nn) ẑẑ`` with
  ``P_nn = k²/κ_n² − (k⁴/κ_n⁴)(2/kL)(1 − (−1)ⁿe^{−kL})/(1 + δ_n0)``, κ_n² = k² + (nπ/L)² (P_00 = P(kL)
  above). Exact in the exchange-dominated limit (no dipolar coupling between modes), where the mode sum tends
  to the half-space (L → ∞) closed form; the dipolar hybridisation of thick films (the Damon–Eshbach surface
  localisation) is *not* in it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import InvalidParameterError
from .units import MU_0

__all__ = ["Film", "form_factor", "mode_form_factor", "mode_stray_factor", "bose_mu", "check_chemical_potential"]

_ZHAT = np.array([0.0, 0.0, 1.0])
#: largest static field [T] accepted by the film and NV models: the strongest laboratory fields are ~1e3 T; far
#: beyond, the linear spin-wave and NV spin-Hamiltonian models mean nothing and γB products leave float64
#: (``--field 1e308T`` overflowed). Refused with one line naming the field.
MAX_FIELD_T = 1e6
#: film thickness range [m] of the continuum thin-film model (a hundredth of an atomic layer to 1000 km); beyond,
#: the band-bottom k grid (1e-4/L ... 1e3/L) overflows ω_k² (``--thickness 1e-100m`` / ``1e300m`` did)
THICKNESS_RANGE_M = (1e-12, 1e6)


def form_factor(x) -> np.ndarray:
    """Kalinikos–Slavin thin-film form factor ``P(x) = 1 − (1 − e^{−x})/x`` (x = kL), series at small x."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-4
    xs = np.where(small, 1.0, x)
    big = 1.0 - (-np.expm1(-xs)) / xs
    xt = np.where(small, x, 0.0)  # the series only where it is used (x**3 overflowed for kL ~ 1e103)
    series = xt / 2 - xt * xt / 6 + xt**3 / 24
    return np.where(small, series, big)


def mode_form_factor(n: int, k, L: float) -> np.ndarray:
    """Kalinikos–Slavin diagonal dipolar factor ``P_nn(k)`` of the unpinned thickness mode ``cos(nπ|z|/L)``
    (module doc); ``P_00`` is :func:`form_factor` (kL). Checked against the double integral
    ``(2 − δ_n0)/L ∫∫ cos(nπz/L) cos(nπz'/L) (k/2) e^{−k|z−z'|}`` in tests/test_film_thick.py."""
    if n == 0:
        return form_factor(np.asarray(k, dtype=float) * L)
    k = np.asarray(k, dtype=float)
    a2 = (n * math.pi / L) ** 2
    r = k * k / (k * k + a2)
    kl = k * L
    safe = np.where(kl > 0, kl, 1.0)
    tail = -np.expm1(-kl) if n % 2 == 0 else 1.0 + np.exp(-kl)  # 1 − (−1)ⁿ e^{−kL}
    return np.where(kl > 0, r - r * r * (2.0 / safe) * tail, 0.0)


def mode_stray_factor(n: int, k, L: float) -> np.ndarray:
    """``g_n(k) = k ∫_0^L e^{−kz'} cos(nπz'/L) dz' = k²(1 − (−1)ⁿ e^{−kL})/(k² + (nπ/L)²)``: the stray-field
    weight of thickness mode n at the film's top surface (n = 0: ``1 − e^{−kL}``, Rustagi Eq. (2))."""
    k = np.asarray(k, dtype=float)
    if n == 0:
        return -np.expm1(-k * L)
    a2 = (n * math.pi / L) ** 2
    tail = -np.expm1(-k * L) if n % 2 == 0 else 1.0 + np.exp(-k * L)
    return k * k * tail / (k * k + a2)


#: most thickness modes one film computation sums (each takes its own k-space quadrature)
MAX_THICKNESS_MODES = 512


def _positive(name, v, allow_zero=False):
    try:
        v = float(v)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {v!r}") from None
    ok = math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        raise InvalidParameterError(f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {v!r}")
    return v


@dataclass(frozen=True)
class Film:
    """A magnetic film in a static field.

    ``thickness`` L [m], ``Ms`` [A/m], ``exchange`` A_ex [J/m] (0 allowed: pure magnetostatic waves),
    ``damping`` Gilbert α (>= 0; the susceptibility needs α > 0), ``gamma`` [rad/(s T)], ``field`` |B| [T],
    ``field_polar`` θ_B [rad] from the film normal, ``field_azimuth`` φ_B [rad].
    """

    thickness: float
    Ms: float
    exchange: float
    damping: float
    gamma: float
    field: float
    field_polar: float = math.pi / 2
    field_azimuth: float = 0.0
    name: str = "film"
    thickness_modes: int = 1
    mode_index: int = 0

    def __post_init__(self):
        _positive("film thickness", self.thickness)
        lo, hi = THICKNESS_RANGE_M
        if not lo <= float(self.thickness) <= hi:
            raise InvalidParameterError(
                f"film thickness must be between {lo:g} m and {hi:g} m (the continuum thin-film model's range), "
                f"got {float(self.thickness):.6g} m"
            )
        _positive("Ms (saturation magnetisation)", self.Ms)
        _positive("exchange stiffness A_ex", self.exchange, allow_zero=True)
        _positive("Gilbert damping alpha", self.damping, allow_zero=True)
        _positive("gyromagnetic ratio gamma", self.gamma)
        _positive("field magnitude", self.field, allow_zero=True)
        if not float(self.field) <= MAX_FIELD_T:
            raise InvalidParameterError(
                f"field magnitude must be <= {MAX_FIELD_T:g} T (field too large: the film and NV models' range; "
                f"laboratory fields are below ~1e3 T, and near 1e308 T the NV Hamiltonian overflows float64), "
                f"got {float(self.field):.6g} T"
            )
        for n in ("field_polar", "field_azimuth"):
            v = float(getattr(self, n))
            if not math.isfinite(v):
                raise InvalidParameterError(f"{n} must be finite, got {v!r}")
        for n, lo, hi in (("thickness_modes", 1, MAX_THICKNESS_MODES), ("mode_index", 0, MAX_THICKNESS_MODES - 1)):
            v = getattr(self, n)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= int(v) <= hi:
                raise InvalidParameterError(f"{n} must be an integer in [{lo}, {hi}], got {v!r}")
        if self.mode_index >= self.thickness_modes:
            raise InvalidParameterError(
                f"mode_index must be below thickness_modes = {self.thickness_modes}, got {self.mode_index}")
        if not 0.0 <= float(self.field_polar) <= math.pi + 1e-12:
            raise InvalidParameterError(f"field polar angle must be in [0, 180] deg, got {math.degrees(self.field_polar):.6g} deg")

    def replace(self, **kw) -> Film:
        return dataclasses.replace(self, **kw)

    def modes(self) -> list:
        """One :class:`Film` per thickness mode n = 0 … ``thickness_modes`` − 1 (``mode_index = n``)."""
        if self.thickness_modes == 1:
            return [self]
        return [self.replace(mode_index=n) for n in range(self.thickness_modes)]

    @property
    def mode_length(self) -> float:
        """``∫ cos²(nπz/L) dz`` over the thickness: L for n = 0, L/2 otherwise (the mode's moment per area is
        Ms times this, which normalises its fluctuation–dissipation relation)."""
        return self.thickness if self.mode_index == 0 else 0.5 * self.thickness

    def stray_factor(self, k) -> np.ndarray:
        """:func:`mode_stray_factor` of this film's mode."""
        return mode_stray_factor(self.mode_index, k, self.thickness)

    @property
    def _offset_k2(self) -> float:
        return (self.mode_index * math.pi / self.thickness) ** 2

    # ------------------------------------------------------------------ equilibrium
    @property
    def mu0Ms(self) -> float:
        return MU_0 * self.Ms

    @cached_property
    def theta0(self) -> float:
        """Equilibrium polar angle θ0 of the magnetisation (global minimum of the energy, see module doc)."""
        return _theta0(self.field, self.field_polar, self.mu0Ms)

    @cached_property
    def n0(self) -> np.ndarray:
        t, p = self.theta0, self.field_azimuth
        return np.array([math.sin(t) * math.cos(p), math.sin(t) * math.sin(p), math.cos(t)])

    @cached_property
    def basis(self) -> np.ndarray:
        """(3, 2) matrix [e1 e2]: e1 = θ̂, e2 = φ̂ at (θ0, φ_B); e1 × e2 = n0."""
        t, p = self.theta0, self.field_azimuth
        e1 = np.array([math.cos(t) * math.cos(p), math.cos(t) * math.sin(p), -math.sin(t)])
        e2 = np.array([-math.sin(p), math.cos(p), 0.0])
        return np.stack([e1, e2], axis=1)

    @cached_property
    def internal_field(self) -> float:
        """B_int = B cos(θ0 − θ_B) − μ0 Ms cos²θ0 [T] (the static effective field along n0)."""
        t = self.theta0
        return self.field * math.cos(t - self.field_polar) - self.mu0Ms * math.cos(t) ** 2

    @property
    def exchange_field_coeff(self) -> float:
        """2A_ex/Ms [T m²]: exchange field per k²."""
        return 2 * self.exchange / self.Ms

    def kittel(self) -> float:
        """Uniform-mode (k = 0) frequency [rad/s]: ω = γ sqrt(B_int (B_int + μ0 Ms sin²θ0))."""
        Bi = self.internal_field
        val = Bi * (Bi + self.mu0Ms * math.sin(self.theta0) ** 2)
        return self.gamma * math.sqrt(max(val, 0.0))

    # ------------------------------------------------------------------ linear response
    def stiffness(self, kx, ky) -> np.ndarray:
        """The real symmetric 2×2 matrix K(k) [rad/s] (module doc), shape (..., 2, 2)."""
        kx, ky = np.broadcast_arrays(np.asarray(kx, dtype=float), np.asarray(ky, dtype=float))
        k = np.hypot(kx, ky)
        P = mode_form_factor(self.mode_index, k, self.thickness)
        with np.errstate(invalid="ignore", divide="ignore"):
            cx = np.where(k > 0, kx / np.where(k > 0, k, 1), 0.0)
            cy = np.where(k > 0, ky / np.where(k > 0, k, 1), 0.0)
        E = self.basis  # (3, 2) (cached; read-only use)
        # projections of k̂ and ẑ on e1, e2
        kh = cx[..., None] * E[0] + cy[..., None] * E[1]  # (..., 2)
        zh = E[2]  # (2,)
        N = P[..., None, None] * kh[..., :, None] * kh[..., None, :] + (1 - P)[..., None, None] * np.outer(zh, zh)
        diag = self.internal_field + self.exchange_field_coeff * (k * k + self._offset_k2)
        K = self.gamma * (diag[..., None, None] * np.eye(2) + self.mu0Ms * N)
        return K

    def omega_sq(self, kx, ky) -> np.ndarray:
        """ω_k² = K11 K22 − K12² [rad²/s²] (negative: the state is unstable at that k).

        The same K as :meth:`stiffness`, written out element by element: the root and band-bottom searches
        call this thousands of times on small arrays, where building the 2×2 matrices dominated the cost."""
        kx = np.asarray(kx, dtype=float)
        ky = np.asarray(ky, dtype=float)
        k = np.hypot(kx, ky)
        P = mode_form_factor(self.mode_index, k, self.thickness)
        pos = k > 0
        safe = np.where(pos, k, 1.0)
        cx = np.where(pos, kx / safe, 0.0)
        cy = np.where(pos, ky / safe, 0.0)
        E = self.basis
        k1 = cx * E[0, 0] + cy * E[1, 0]
        k2 = cx * E[0, 1] + cy * E[1, 1]
        z1, z2 = E[2, 0], E[2, 1]
        m, Q = self.mu0Ms, 1.0 - P
        d = self.internal_field + self.exchange_field_coeff * (k * k + self._offset_k2)
        K11 = d + m * (P * k1 * k1 + Q * (z1 * z1))
        K22 = d + m * (P * k2 * k2 + Q * (z2 * z2))
        K12 = m * (P * k1 * k2 + Q * (z1 * z2))
        return self.gamma**2 * (K11 * K22 - K12 * K12)

    def dispersion(self, kx, ky) -> np.ndarray:
        """Spin-wave frequency ω_k [rad/s] of the lowest thickness mode."""
        return np.sqrt(np.maximum(self.omega_sq(kx, ky), 0.0))

    def susceptibility(self, kx, ky, omega) -> np.ndarray:
        """χ(k, ω) = γ (K − iωα − iωJ)^{-1} [1/T]: m = χ b for a drive field b (tesla), shape (..., 2, 2)."""
        K = self.stiffness(kx, ky).astype(complex)
        w = np.asarray(omega, dtype=float)[..., None, None]
        Jm = np.array([[0.0, -1.0], [1.0, 0.0]])
        M = K - 1j * w * self.damping * np.eye(2) - 1j * w * Jm
        det = M[..., 0, 0] * M[..., 1, 1] - M[..., 0, 1] * M[..., 1, 0]
        inv = np.stack([np.stack([M[..., 1, 1], -M[..., 0, 1]], -1), np.stack([-M[..., 1, 0], M[..., 0, 0]], -1)], -2)
        return self.gamma * inv / det[..., None, None]

    def band_bottom(self, n_angle: int = 91) -> tuple[float, float, float]:
        """Minimum of ω_k over k and the in-plane angle: ``(ω_min [rad/s], k_min [1/m], angle [rad])``.

        A grid over angle × log k, refined by golden-section search in k at the best angles. Raises
        :class:`InvalidParameterError` when the equilibrium is unstable (ω_k² < 0 somewhere on the grid).
        """
        key = ("_band_bottom_cache", n_angle)
        hit = self.__dict__.get(key)
        if hit is None:
            hit = _band_bottom(self, n_angle)
            self.__dict__[key] = hit  # frozen dataclass: cache in the instance dict (like cached_property)
        return hit

    def describe(self) -> dict:
        return {
            "name": self.name,
            "thickness_m": self.thickness,
            "Ms_A_per_m": self.Ms,
            "exchange_J_per_m": self.exchange,
            "damping": self.damping,
            "gamma_rad_per_s_T": self.gamma,
            "field_T": self.field,
            "field_polar_deg": math.degrees(self.field_polar),
            "field_azimuth_deg": math.degrees(self.field_azimuth),
            "magnetisation_polar_deg": math.degrees(self.theta0),
            "internal_field_T": self.internal_field,
            "kittel_Hz": self.kittel() / (2 * math.pi),
            "thickness_modes": self.thickness_modes,
        }


def _theta0(B: float, thB: float, mMs: float) -> float:
    if B == 0:
        return math.pi / 2

    def e(t):
        return -B * np.cos(t - thB) + 0.5 * mMs * np.cos(t) ** 2

    def de(t):
        return B * np.sin(t - thB) - 0.5 * mMs * np.sin(2 * t)

    grid = np.linspace(0.0, math.pi, 2001)
    vals = e(grid)
    i = int(np.argmin(vals))
    # refine with Newton/bisection on de around the grid minimum
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    if de(lo) * de(hi) < 0:
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if de(lo) * de(mid) <= 0:
                hi = mid
            else:
                lo = mid
        t = 0.5 * (lo + hi)
    else:
        t = grid[i]
    return float(t)


def _band_bottom(film: Film, n_angle: int):
    L = film.thickness
    ks = np.concatenate([[0.0], np.geomspace(1e-4 / L, 1e3 / L, 400)])
    ang = np.linspace(0.0, math.pi, n_angle)  # ω(k) = ω(−k)
    A, Kk = np.meshgrid(ang, ks, indexing="ij")
    w2 = film.omega_sq(Kk * np.cos(A), Kk * np.sin(A))
    if np.any(w2 < -1e-12 * np.max(np.abs(w2))):
        raise InvalidParameterError(
            "the film's magnetisation is not in a stable equilibrium for these parameters (omega_k^2 < 0); "
            "check the field and Ms"
        )
    i, j = np.unravel_index(int(np.argmin(w2)), w2.shape)
    best = (float(w2[i, j]), float(ks[j]), float(ang[i]))
    # refine: golden-section search in k at the best angle and its two neighbours (vectorised)
    a = ang[max(i - 1, 0): i + 2]
    lo = np.full(a.size, ks[max(j - 2, 0)])
    hi = np.full(a.size, ks[min(j + 2, ks.size - 1)])
    ca, sa = np.cos(a), np.sin(a)
    g = (math.sqrt(5) - 1) / 2
    for _ in range(70):
        c, d = hi - g * (hi - lo), lo + g * (hi - lo)
        left = film.omega_sq(c * ca, c * sa) < film.omega_sq(d * ca, d * sa)
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
    k = 0.5 * (lo + hi)
    v = film.omega_sq(k * ca, k * sa)
    n = int(np.argmin(v))
    if v[n] < best[0]:
        best = (float(v[n]), float(k[n]), float(a[n]))
    return math.sqrt(max(best[0], 0.0)), best[1], best[2]


def bose_mu(omega, mu, kT) -> np.ndarray:
    """Occupation ``n_B(ω − μ) = 1/(e^{(ω−μ)/kT} − 1)`` (ω, μ, kT in rad/s; kT = 0 → 0 for ω > μ).

    Magnon chemical potential μ (Flebus & Tserkovnyak, PRL 121, 187204 (2018); Du et al., Science 357,
    195 (2017)); the caller guarantees ω > μ.
    """
    x = np.asarray(omega, dtype=float) - np.asarray(mu, dtype=float)
    kT = np.asarray(kT, dtype=float)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        n = 1.0 / np.expm1(x / np.where(kT > 0, kT, 1.0))
    return np.where(kT > 0, n, 0.0)


def check_chemical_potential(mu: float, band_bottom: float, qubit_frequency: float) -> None:
    """μ must lie below the band bottom (a magnon gas with μ above it condenses / is unstable) and below the
    qubit frequency (the occupation n_B(Δ − μ) of the FDT must be positive)."""
    if not math.isfinite(mu):
        raise InvalidParameterError(f"chemical potential must be finite, got {mu!r}")
    if mu >= band_bottom:
        raise InvalidParameterError(
            f"chemical potential mu/2pi = {mu / 2 / math.pi:.6g} Hz must be below the magnon band bottom "
            f"{band_bottom / 2 / math.pi:.6g} Hz"
        )
    if mu >= qubit_frequency:
        raise InvalidParameterError(
            f"chemical potential mu/2pi = {mu / 2 / math.pi:.6g} Hz must be below the qubit frequency "
            f"{qubit_frequency / 2 / math.pi:.6g} Hz (n_B(Delta - mu) > 0 needed)"
        )
