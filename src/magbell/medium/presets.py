"""Physical presets of the paper's *contact-coupling* media: NV centres and YIG, and a :class:`PhysicalSetup`
from lab units to couplings.

**For NV centres above a real YIG (or other) film use** :class:`magbell.medium.FilmSetup`
(:mod:`~magbell.medium.film_setup`: dipolar stray-field coupling, dipole-exchange spin waves, the film's
Ms(T); ``docs/medium.md`` §11–§12). The contact model below (``docs/medium.md`` §8) is the paper's idealised
λσ·S coupling to an exchange-only magnon medium; at its 40 mT film2d point a real 20 nm YIG film's band
lies above the NV frequency, so it is an illustration of the paper's formulas, not a device prediction.

Units inside: SI, energies as angular frequencies (rad/s, ħ = 1). A :class:`PhysicalSetup` produces
:class:`~magbell.medium.MediumCouplings` with ``unit = "rad/s"``: the rates a, A, ã, Ã are then in 1/s
(they multiply the dissipator, dρ/dt ⊃ 2a σ+ρσ−) and the coherent couplings J⊥, D, Jz in rad/s.

The qubit–magnet coupling of the paper, ``λ σ·S(r_i)`` with S the spin *density*, is modelled as the
qubit's Zeeman coupling to a contact field ``B = η μ0 M(r_i)`` with ``M = γ_m ħ S`` the magnetisation:

    λ = η · (ħγ_q/2) · μ0 γ_m ħ · f⊥            (3D; J·m³, divided by ħ: rad/s·m³)

f⊥ = √2 for an NV centre's ms = 0 ↔ −1 transition (⟨0|S_x|−1⟩ = 1/√2 for spin 1, versus 1/2 for spin 1/2)
and 1 for a spin-1/2. η is a dimensionless geometry factor (η = 1: the qubit feels the full μ0 M of the
spins at its site); the real dipolar coupling of a qubit at a stand-off distance is smaller and
wave-vector dependent, which the paper's contact model does not describe — treat η as a fit parameter.
A film (2D) of thickness t has s2 = s3·t and λ2 = λ/t; a wire (1D) of cross-section A_c has
s1 = s3·A_c and λ1 = λ/A_c.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError
from .greens import MediumCouplings
from .magnon import DIMENSION_NAMES, MagnonMedium, MarkovReport, _number, _numbers, markov_report
from .units import (
    GAMMA_ELECTRON,
    HBAR,
    MU_0,
    MU_B,
    kT_angular,
    parse_quantity,
    parse_values,
)

__all__ = ["GEOMETRIES", "NV", "SPIN_HALF", "YIG", "FilmSetup", "MagnetMaterial", "PhysicalSetup", "QubitSpecies"]

GEOMETRIES = dict(DIMENSION_NAMES)


@dataclass(frozen=True)
class MagnetMaterial:
    """A ferromagnet for the exchange-only magnon model ω_k = Ω + D_s k².

    ``Ms`` saturation magnetisation [A/m], ``exchange`` exchange stiffness A_ex [J/m], ``damping`` Gilbert α,
    ``gamma`` gyromagnetic ratio [rad/(s T)]. Spin-wave stiffness ``D_s = γ · 2A_ex/M_s`` [rad/s·m²] and spin
    density ``s = M_s/(γħ)`` [1/m³].
    """

    name: str
    Ms: float
    exchange: float
    damping: float
    gamma: float
    reference: str = ""

    def __post_init__(self):
        for f in ("Ms", "exchange", "gamma"):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InvalidParameterError(f"{self.name}: {f} must be a finite number > 0, got {v!r}")
        if not (math.isfinite(self.damping) and self.damping >= 0):
            raise InvalidParameterError(f"{self.name}: damping must be finite and >= 0, got {self.damping!r}")

    @property
    def stiffness(self) -> float:
        """D_s in rad/s·m² (ω = D_s k² for the exchange part)."""
        return self.gamma * 2 * self.exchange / self.Ms

    @property
    def spin_density(self) -> float:
        """s = M_s/(γħ), spins (units of ħ) per m³."""
        return self.Ms / (self.gamma * HBAR)

    def replace(self, **changes) -> MagnetMaterial:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class QubitSpecies:
    """A qubit: ``Δ(B) = zero_field + branch·γ B`` (angular, rad/s); ``transverse_factor`` multiplies the
    spin-1/2 transverse coupling (√2 for a spin-1 ms = 0 ↔ ±1 transition)."""

    name: str
    gamma: float
    zero_field: float
    transverse_factor: float
    branch: int
    reference: str = ""

    def frequency(self, field) -> np.ndarray:
        """Qubit angular frequency Δ [rad/s] at the bias field ``field`` [T] along the quantisation axis."""
        with np.errstate(over="ignore", invalid="ignore"):  # inf for absurd fields: PhysicalSetup refuses it
            return self.zero_field + self.branch * self.gamma * np.asarray(field, dtype=float)


#: Yttrium iron garnet, room-temperature literature values:
#: A_ex = 3.65 pJ/m and D = 2A_ex/M_s ≈ 5.2–5.3e-17 T m² (S. Klingler et al., J. Phys. D: Appl. Phys. 48,
#: 015001 (2015), arXiv:1408.5772); μ0 M_s ≈ 0.176 T, i.e. M_s ≈ 1.40e5 A/m (4πM_s ≈ 1750 G; V. Cherepanov,
#: I. Kolokolov, V. L'vov, Phys. Rep. 229, 81 (1993)); Gilbert α ~ 1e-4 for good thin films (bulk crystals
#: reach ~3e-5, Cherepanov et al.); g ≈ 2 (γ/2π ≈ 28 GHz/T). M_s grows by roughly 40 % on cooling to
#: liquid-helium temperature; pass ``YIG.replace(Ms=...)`` for low-temperature work.
YIG = MagnetMaterial(
    name="YIG",
    Ms=1.40e5,
    exchange=3.65e-12,
    damping=1e-4,
    gamma=GAMMA_ELECTRON,
    reference="Klingler et al., J. Phys. D 48, 015001 (2015); Cherepanov, Kolokolov, L'vov, Phys. Rep. 229, 81 (1993)",
)

#: NV⁻ centre in diamond treated as the spin-1/2 subspace {|ms=0> = |↑>, |ms=−1> = |↓>}: zero-field
#: splitting D = 2.87 GHz, g = 2.0028 (γ/2π = 28.03 GHz/T), so Δ/2π = 2.87 GHz − 28.03 GHz/T · B for a
#: field B along the NV axis below the ground-state level anticrossing (B < 102 mT); |ms=0> is then the
#: lower level (magbell's ground state |↑>). M. W. Doherty et al., Phys. Rep. 528, 1 (2013).
NV = QubitSpecies(
    name="NV centre (ms = 0 <-> -1)",
    gamma=2.0028 * MU_B / HBAR,
    zero_field=2 * math.pi * 2.87e9,
    transverse_factor=math.sqrt(2.0),
    branch=-1,
    reference="Doherty et al., Phys. Rep. 528, 1 (2013)",
)

#: a free spin-1/2 with g = 2.0023: Δ = γ B.
SPIN_HALF = QubitSpecies(
    name="spin-1/2 (g = 2.0023)", gamma=GAMMA_ELECTRON, zero_field=0.0, transverse_factor=1.0, branch=+1
)


@dataclass(frozen=True)
class PhysicalSetup:
    """Two qubits of species ``qubit`` on a magnet of ``material`` in geometry ``bulk3d | film2d | chain1d``,
    with the paper's contact coupling (for NV centres above a real film: :class:`FilmSetup`).

    ``field`` [T]: bias field along z (sets Δ through ``qubit.frequency`` and Ω = γ_m(B + gap_offset_field)
    unless ``qubit_frequency`` / ``gap`` are given as ordinary frequencies [Hz]). ``thickness`` [m] (film2d)
    and ``cross_section`` [m²] (chain1d) convert the spin density and the coupling to the lower dimension.
    ``eta`` is the dimensionless coupling efficiency (module docstring). ``damping`` overrides the material's.
    """

    geometry: str = "bulk3d"
    material: MagnetMaterial = YIG
    qubit: QubitSpecies = NV
    field: float | None = None
    qubit_frequency: float | None = None
    gap: float | None = None
    gap_offset_field: float = 0.0
    thickness: float | None = None
    cross_section: float | None = None
    eta: float = 1.0
    damping: float | None = None

    def __post_init__(self):
        for f in ("field", "qubit_frequency", "gap", "gap_offset_field", "thickness", "cross_section", "eta", "damping"):
            v = getattr(self, f)
            if v is not None:
                object.__setattr__(self, f, _number(f, v))
        if self.geometry not in GEOMETRIES:
            raise InvalidParameterError(f"geometry must be one of {', '.join(GEOMETRIES)}, got {self.geometry!r}")
        if self.geometry == "film2d" and self.thickness is None:
            raise InvalidParameterError("film2d needs thickness (the film thickness, e.g. 20nm)")
        if self.geometry == "chain1d" and self.cross_section is None:
            raise InvalidParameterError("chain1d needs cross_section (the wire cross-section, e.g. 100nm^2)")
        for f in ("thickness", "cross_section"):
            v = getattr(self, f)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise InvalidParameterError(f"{f} must be finite and > 0, got {v!r}")
        if self.field is None and (self.qubit_frequency is None or self.gap is None):
            raise InvalidParameterError(
                "give the bias field (field=..., which sets the qubit frequency and the gap), "
                "or both qubit_frequency and gap"
            )
        for f in ("field", "qubit_frequency", "gap", "gap_offset_field"):
            v = getattr(self, f)
            if v is not None and not math.isfinite(v):
                raise InvalidParameterError(f"{f} must be finite, got {v!r}")
        if not (math.isfinite(self.eta) and self.eta > 0):
            raise InvalidParameterError(f"eta (coupling efficiency) must be finite and > 0, got {self.eta!r}")
        if self.damping is not None and not (math.isfinite(self.damping) and self.damping >= 0):
            raise InvalidParameterError(f"damping must be finite and >= 0, got {self.damping!r}")
        if not (math.isfinite(self.Delta) and math.isfinite(self.Omega)):
            raise InvalidParameterError(
                "the qubit frequency and the magnon gap must be finite: field, qubit_frequency, gap or "
                "gap_offset_field is too large"
            )
        if self.Delta <= 0:
            raise InvalidParameterError(
                f"the qubit frequency must be > 0, got {self.Delta / (2 * math.pi) / 1e9:.6g} GHz"
                + (" (NV ms=-1 branch: the field is beyond the level anticrossing)" if self.qubit_frequency is None else "")
            )
        if self.Omega < 0:
            raise InvalidParameterError(
                f"the magnon gap must be >= 0 (a negative gap is an unstable magnet), got {self.Omega / (2 * math.pi) / 1e9:.6g} GHz"
            )
        try:
            self.medium()
        except InvalidParameterError as e:
            culprit = {2: "thickness", 1: "cross_section"}.get(self.dim)
            given = f"{culprit}={getattr(self, culprit):.3g}, " if culprit else ""
            raise InvalidParameterError(
                f"{given}eta={self.eta:.3g} and the material give a medium outside float64: {' '.join(str(e).split())}"
            ) from None

    @property
    def dim(self) -> int:
        return GEOMETRIES[self.geometry]

    @property
    def Delta(self) -> float:
        """Qubit angular frequency Δ [rad/s]."""
        if self.qubit_frequency is not None:
            return 2 * math.pi * float(self.qubit_frequency)
        return float(self.qubit.frequency(self.field))

    @property
    def Omega(self) -> float:
        """Magnon gap Ω [rad/s]."""
        if self.gap is not None:
            return 2 * math.pi * float(self.gap)
        return float(self.material.gamma * (self.field + self.gap_offset_field))

    @property
    def coupling(self) -> float:
        """Transverse coupling λ [rad/s·m^dim]."""
        lam3 = self.eta * (self.qubit.gamma / 2) * MU_0 * self.material.gamma * HBAR * self.qubit.transverse_factor
        return lam3 / self._reduction

    @property
    def _reduction(self) -> float:
        return {3: 1.0, 2: self.thickness or 1.0, 1: self.cross_section or 1.0}[self.dim]

    @property
    def spin_density(self) -> float:
        """s [1/m^dim]."""
        return self.material.spin_density * self._reduction

    def medium(self) -> MagnonMedium:
        """The :class:`MagnonMedium` in SI angular units."""
        return MagnonMedium(
            dim=self.dim,
            gap=self.Omega,
            stiffness=self.material.stiffness,
            damping=self.material.damping if self.damping is None else self.damping,
            spin_density=self.spin_density,
            coupling=self.coupling,
        )

    @classmethod
    def from_units(cls, geometry: str = "bulk3d", *, material: MagnetMaterial = YIG, qubit: QubitSpecies = NV,
                   Ms=None, exchange=None, **quantities) -> PhysicalSetup:
        """Like the constructor, with quantities as strings with units: ``field="40mT"``,
        ``qubit_frequency="1.75GHz"``, ``gap="1.12GHz"``, ``gap_offset_field="-176mT"``,
        ``thickness="20nm"``, ``cross_section="2500nm^2"``, ``Ms="140kA/m"``, ``exchange="3.65pJ/m"``,
        ``eta``, ``damping`` (numbers or strings). Numbers are taken as SI.

        >>> PhysicalSetup.from_units("film2d", thickness="20nm", field="40mT").thickness
        2e-08
        """
        kinds = {"field": "field", "qubit_frequency": "frequency", "gap": "frequency", "gap_offset_field": "field",
                 "thickness": "length", "cross_section": "area", "eta": "dimensionless", "damping": "dimensionless"}
        kw = {}
        for name, value in quantities.items():
            if name not in kinds:
                raise InvalidParameterError(f"unknown quantity {name!r}; known: {', '.join(kinds)}, Ms, exchange")
            kw[name] = None if value is None else (parse_quantity(value, kinds[name], name) if isinstance(value, str) else float(value))
        changes = {}
        if Ms is not None:
            changes["Ms"] = parse_quantity(Ms, "magnetization", "Ms") if isinstance(Ms, str) else float(Ms)
        if exchange is not None:
            changes["exchange"] = parse_quantity(exchange, "exchange", "exchange") if isinstance(exchange, str) else float(exchange)
        if changes:
            material = material.replace(**changes)
        return cls(geometry=geometry, material=material, qubit=qubit, **kw)

    def couplings(self, separation, temperature=0.0, *, warn: bool = True, threshold: float = 0.1) -> MediumCouplings:
        """Couplings at ``separation`` [m] (array ok, or a string such as ``"200nm"``, ``"50nm:1um:20"``)
        and ``temperature`` [K] (or ``"4K"``); unit "rad/s" (rates in 1/s, couplings in rad/s).

        ``info["markov"]`` holds the :class:`MarkovReport`; a :class:`MarkovWarning` is emitted where the
        Markov derivation is not justified (``warn=False`` to silence).
        """
        med = self.medium()
        if isinstance(separation, str):
            separation = parse_values(separation, "length", "separation")
        else:
            separation = _numbers("separation", separation)
        if isinstance(temperature, str):
            temperature = parse_quantity(temperature, "temperature", "temperature")
        T = _numbers("temperature", temperature)
        if not np.all(np.isfinite(T)) or np.any(T < 0):
            raise InvalidParameterError(f"temperature must be finite and >= 0 K, got {temperature!r}")
        kT = kT_angular(T)
        if not np.all(np.isfinite(kT)):
            raise InvalidParameterError(f"temperature is too large (k_B T overflows float64), got {temperature!r}")
        c = med.couplings(separation, self.Delta, kT, unit="rad/s")
        rep: MarkovReport = markov_report(med, c, threshold=threshold, warn=warn)
        c.info["markov"] = rep
        c.info["temperature_K"] = T
        return c

    def describe(self) -> dict:
        """The derived physical parameters (SI, angular frequencies in rad/s) as a plain dict."""
        med = self.medium()
        return {
            "geometry": self.geometry,
            "dim": self.dim,
            "material": self.material.name,
            "qubit": self.qubit.name,
            "field_T": self.field,
            "qubit_frequency_Hz": self.Delta / (2 * math.pi),
            "gap_Hz": self.Omega / (2 * math.pi),
            "Ms_A_per_m": self.material.Ms,
            "exchange_J_per_m": self.material.exchange,
            "stiffness_m2_per_s": med.stiffness,
            "damping": med.damping,
            "spin_density_per_m^dim": med.spin_density,
            "coupling_rad_per_s_m^dim": med.coupling,
            "eta": self.eta,
            "thickness_m": self.thickness,
            "cross_section_m2": self.cross_section,
        }


from .film_setup import FilmSetup  # noqa: E402  (the NV + film preset, re-exported here)
