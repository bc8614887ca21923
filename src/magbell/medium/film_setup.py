"""The NV + film preset: :class:`FilmSetup`, two NV centres above a real magnetic film, physical units in,
couplings and a :class:`magbell.Model` out.

This is the preset to use for NV centres above YIG (or another film): the qubits couple to the film's
dipolar **stray field** and the film's noise comes from its dipole-exchange spin waves and LLG
susceptibility (``docs/medium.md`` §11; :mod:`~magbell.medium.film`, :mod:`~magbell.medium.stray`,
:mod:`~magbell.medium.film_pairs`). The contact-coupling media of the paper (``PhysicalSetup``, geometries
``bulk3d | film2d | chain1d``, ``docs/medium.md`` §8) stay available under that explicit name.

Units (one convention, the same as :class:`~magbell.medium.PhysicalSetup`'s ``unit = "rad/s"``): inputs in SI
(m, T, K, angles in radians; the magnon chemical potential as an ordinary frequency in Hz, like the qubit
and band frequencies reported); outputs: rates a, A, ã, Ã, d, 𝔇 in 1/s and coherent couplings J⊥, D, Jz
in rad/s (ħ = 1), so ``.model()`` is a :class:`magbell.Model` whose time unit is the second.

Geometry: film normal z, top surface at z = 0; qubit 1 at (0, 0, height), qubit 2 at
(separation·cos(direction), separation·sin(direction), height). The field has magnitude ``field``, polar
angle ``field_angle`` from the normal and azimuth ``field_azimuth`` (default: the NV axis's azimuth, so
``field_angle = 54.7356°`` puts it along a ⟨111⟩ axis). Ms defaults to the material's Ms(T) at the
temperature of the evaluation (YIG: ``film_presets.YIG_FILM``).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError
from .film_presets import FILM_MATERIALS, FilmMaterial, nv_film_setup
from .units import parse_quantity

__all__ = ["FilmSetup", "parse_angle"]

_ANGLE_UNITS = {"deg": math.pi / 180, "°": math.pi / 180, "rad": 1.0}


def parse_angle(value, name: str) -> float:
    """An angle in radians: a number (radians, SI) or a string ``"54.7deg"`` / ``"0.95rad"`` / ``"54.7°"``."""
    if isinstance(value, str):
        s = value.strip()
        for u, f in _ANGLE_UNITS.items():
            if s.endswith(u):
                try:
                    x = float(s[: -len(u)]) * f
                except ValueError:
                    break
                if math.isfinite(x):
                    return x
                break
        raise InvalidParameterError(f"{name}: cannot read {value!r} as an angle (e.g. 54.7deg or 0.95rad)")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be an angle in radians or a string such as 54.7deg, got {value!r}") from None
    if not math.isfinite(x):
        raise InvalidParameterError(f"{name} must be finite, got {value!r}")
    return x


def _num(name, v, *, lo=None, strict=False, allow_none=False):
    if v is None:
        if allow_none:
            return None
        raise InvalidParameterError(f"FilmSetup needs {name}")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number, got {v!r}") from None
    if not math.isfinite(x):
        raise InvalidParameterError(f"{name} must be finite, got {v!r}")
    if lo is not None and (x <= lo if strict else x < lo):
        raise InvalidParameterError(f"{name} must be {'>' if strict else '>='} {lo:g}, got {v!r}")
    return x


@dataclass(frozen=True, kw_only=True)
class FilmSetup:
    """Two identical NV centres above a magnetic film (module doc for geometry and units).

    ``thickness`` [m], ``field`` |B| [T], ``height`` [m] are required; ``field_angle`` [rad] (polar, from the
    normal; default π/2, in plane), ``field_azimuth`` [rad] (default: the NV axis's), ``nv_axis`` (``"111"``,
    ``"-1-11"``, ``"1-1-1"``, ``"-11-1"`` or a 3-vector), ``transition`` (``"minus"``: 0 ↔ −1, ``"plus"``),
    ``separation`` [m] and ``direction`` [rad] of qubit 2 (defaults of :meth:`couplings`), ``temperature`` [K],
    ``chemical_potential`` [Hz] (μ/2π of the magnon gas), material overrides ``Ms`` [A/m], ``exchange``
    [J/m], ``damping``, ``gamma`` [rad/(s T)]. ``allow_below_band``: in a sweep, keep the points where the NV
    transition lies below the magnon band bottom (by default they are marked invalid with that reason, since
    the film hardly relaxes the qubit there and the rates are the Lorentzian tail of the band).
    ``thickness_modes``: number of unpinned thickness modes summed (default 1, the thin-film lowest mode;
    more for thick films, ``docs/medium.md`` §11 "Thick films"; each costs one more k-space quadrature).

    >>> s = FilmSetup.from_units(thickness="20nm", field="22mT", field_angle="54.7356deg", height="109nm")
    >>> round(s.qubit_frequency / 1e9, 3), s.regime()
    (2.253, 'in band')
    """

    material: object = "YIG"
    thickness: float | None = None
    field: float | None = None
    height: float | None = None
    field_angle: float = math.pi / 2
    field_azimuth: float | None = None
    nv_axis: object = "111"
    transition: str = "minus"
    separation: float | None = None
    direction: float = 0.0
    temperature: float = 0.0
    chemical_potential: float = 0.0
    Ms: float | None = None
    exchange: float | None = None
    damping: float | None = None
    gamma: float | None = None
    allow_below_band: bool = False
    thickness_modes: int = 1

    def __post_init__(self):
        mat = FILM_MATERIALS.get(self.material) if isinstance(self.material, str) else self.material
        if not isinstance(mat, FilmMaterial):
            raise InvalidParameterError(f"unknown film material {self.material!r} (known: {', '.join(FILM_MATERIALS)})")
        object.__setattr__(self, "material", mat)
        s = object.__setattr__
        s(self, "thickness", _num("thickness", self.thickness, lo=0, strict=True))
        s(self, "field", _num("field", self.field, lo=0))
        s(self, "height", _num("height", self.height, lo=0, strict=True))
        s(self, "field_angle", parse_angle(self.field_angle, "field_angle"))
        if not 0 <= self.field_angle <= math.pi + 1e-12:
            raise InvalidParameterError(f"field_angle must be between 0 and pi (180 deg), got {self.field_angle!r}")
        if self.field_azimuth is not None:
            s(self, "field_azimuth", parse_angle(self.field_azimuth, "field_azimuth"))
        s(self, "separation", _num("separation", self.separation, lo=0, allow_none=True))
        s(self, "direction", parse_angle(self.direction, "direction"))
        s(self, "temperature", _num("temperature", self.temperature, lo=0))
        s(self, "chemical_potential", _num("chemical_potential", self.chemical_potential))
        for f in ("Ms", "gamma"):
            s(self, f, _num(f, getattr(self, f), lo=0, strict=True, allow_none=True))
        for f in ("exchange", "damping"):
            s(self, f, _num(f, getattr(self, f), lo=0, allow_none=True))
        if self.transition not in ("minus", "plus"):
            raise InvalidParameterError(f"transition must be 'minus' (0<->-1) or 'plus' (0<->+1), got {self.transition!r}")
        if isinstance(self.nv_axis, (list, tuple, np.ndarray)):
            s(self, "nv_axis", tuple(float(x) for x in np.asarray(self.nv_axis, dtype=float).ravel()))
        s(self, "allow_below_band", bool(self.allow_below_band))
        try:  # validate the film and the qubit once, with a one-line error
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                self.build()
        except FloatingPointError:
            raise InvalidParameterError(
                f"field = {self.field:.6g} T overflows float64 in the film or the NV Hamiltonian (field too large)"
            ) from None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_units(cls, **quantities) -> FilmSetup:
        """Like the constructor, with quantities as strings with units: ``thickness="20nm"``,
        ``field="22mT"``, ``field_angle="54.7deg"``, ``height="109nm"``, ``separation="300nm"``,
        ``direction="90deg"``, ``temperature="4K"``, ``chemical_potential="1GHz"``, ``Ms="140kA/m"``,
        ``exchange="3.7pJ/m"``; other keywords as in the constructor. Numbers are taken as SI."""
        kinds = {"thickness": "length", "height": "length", "separation": "length", "field": "field",
                 "temperature": "temperature", "chemical_potential": "frequency", "Ms": "magnetization",
                 "exchange": "exchange", "damping": "dimensionless"}
        kw = {}
        for k, v in quantities.items():
            if k not in cls.__dataclass_fields__:
                raise InvalidParameterError(f"unknown FilmSetup quantity {k!r}; known: {', '.join(cls.__dataclass_fields__)}")
            kw[k] = parse_quantity(v, kinds[k], k) if (k in kinds and isinstance(v, str)) else v
        return cls(**kw)

    def replace(self, **changes) -> FilmSetup:
        return dataclasses.replace(self, **changes)

    def build(self, *, field=None, field_angle=None, field_azimuth=None, temperature=None):
        """``(film, qubit)`` (:class:`~magbell.medium.film.Film`, :class:`~magbell.medium.nv.Qubit`) with the
        setup's values or the ones given (SI); Ms is the material's Ms(T) unless ``Ms`` was set."""
        T = self.temperature if temperature is None else float(temperature)
        return nv_film_setup(
            material=self.material, thickness=self.thickness, field=self.field if field is None else float(field),
            field_polar=self.field_angle if field_angle is None else float(field_angle),
            field_azimuth=self.field_azimuth if field_azimuth is None else float(field_azimuth),
            nv_axis_=list(self.nv_axis) if isinstance(self.nv_axis, tuple) else self.nv_axis,
            transition=self.transition, temperature=T, Ms=self.Ms, exchange=self.exchange,
            damping=self.damping, gamma=self.gamma, thickness_modes=self.thickness_modes,
        )

    @property
    def Ms_depends_on_temperature(self) -> bool:
        return self.Ms is None and self.material.Ms0 != self.material.Ms_room

    # ------------------------------------------------------------------ reports
    @property
    def qubit_frequency(self) -> float:
        """The NV transition frequency [Hz]."""
        return self.build()[1].frequency / (2 * math.pi)

    @property
    def band_bottom(self) -> float:
        """The film's magnon band bottom [Hz] (at the setup's temperature)."""
        return self.build()[0].band_bottom()[0] / (2 * math.pi)

    def regime(self) -> str:
        """``"in band"``, ``"near band edge"`` or ``"below band"`` (as :class:`~magbell.medium.FilmCouplings`)."""
        film, q = self.build()
        wb, f = film.band_bottom()[0], q.frequency
        return "near band edge" if abs(f - wb) <= max(5 * film.damping * f, 1e-3 * wb) else (
            "in band" if f > wb else "below band")

    # ------------------------------------------------------------------ couplings
    def noise(self, separation=None, direction=None, *, temperature=None):
        """The 2×2 :class:`~magbell.medium.stray.FilmNoise` of the pair (one k-space quadrature)."""
        from .film_pairs import pair_noises

        r = self._sep(separation)
        d = self.direction if direction is None else parse_angle(direction, "direction")
        film, q = self.build(temperature=temperature)
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                return pair_noises(film, q, self.height, [[r * math.cos(d), r * math.sin(d)]])[0]
        except FloatingPointError:
            raise InvalidParameterError(
                f"the film's k-space integrals overflow float64 at height = {self.height:.6g} m, field = "
                f"{self.field:.6g} T (height or field out of range)"
            ) from None

    def _sep(self, separation):
        if separation is None:
            separation = self.separation
        if separation is None:
            raise InvalidParameterError("give the qubit separation (separation=..., in m or e.g. '300nm')")
        if isinstance(separation, str):
            separation = parse_quantity(separation, "length", "separation")
        return _num("separation", separation, lo=0)

    def couplings(self, separation=None, temperature=None, *, direction=None, chemical_potential=None,
                  warn: bool = True, markov_threshold: float = 0.1):
        """:class:`~magbell.medium.stray.FilmCouplings` of the pair (2×2 blocks; rates 1/s, couplings rad/s)
        at ``separation`` [m] (or ``"300nm"``), ``temperature`` [K] (or ``"4K"``), ``direction`` [rad],
        ``chemical_potential`` [Hz]; the setup's values where not given. ``warn=False`` silences the
        :class:`~magbell.medium.MarkovWarning` (the result's ``markov_ok`` still says it)."""
        if isinstance(temperature, str):
            temperature = parse_quantity(temperature, "temperature", "temperature")
        T = self.temperature if temperature is None else _num("temperature", temperature, lo=0)
        if isinstance(chemical_potential, str):
            chemical_potential = parse_quantity(chemical_potential, "frequency", "chemical_potential")
        mu = self.chemical_potential if chemical_potential is None else _num("chemical_potential", chemical_potential)
        noise = self.noise(separation, direction, temperature=T)
        with warnings.catch_warnings():
            if not warn:
                from .greens import MarkovWarning

                warnings.simplefilter("ignore", MarkovWarning)
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise"):
                    return noise.couplings(T, chemical_potential=2 * math.pi * mu, markov_threshold=markov_threshold)
            except FloatingPointError:
                raise InvalidParameterError(
                    f"the couplings overflow float64 at temperature = {T:.6g} K, chemical_potential = {mu:.6g} Hz"
                ) from None

    def couplings_at(self, positions, temperature=None, *, chemical_potential=None, warn: bool = True,
                     markov_threshold: float = 0.1, quad: dict | None = None):
        """:class:`~magbell.medium.stray.FilmCouplings` (N×N blocks) of N identical NV centres at
        ``positions``: (N, 2) lateral positions [m] at the setup's ``height``, or (N, 3) positions [m] with
        z the height above the film (one k-space quadrature, ``stray.film_noise``). ``temperature`` [K],
        ``chemical_potential`` [Hz]: the setup's where not given."""
        from .stray import film_noise

        try:
            raw = None if isinstance(positions, (str, bytes)) else np.asarray(positions)
            bad_kind = raw is None or raw.dtype.kind not in "iuf"  # bools (True = 1 m), strings, objects, complex
            if not bad_kind and not isinstance(positions, np.ndarray):  # a True among floats in a list: 1.0 m
                bad_kind = any(isinstance(v, (bool, np.bool_)) for v in np.asarray(positions, dtype=object).ravel())
            pos = None if bad_kind else raw.astype(float)
        except (TypeError, ValueError):
            pos = None
        if pos is None or pos.ndim != 2 or pos.shape[0] < 1 or pos.shape[1] not in (2, 3):
            raise InvalidParameterError("positions must be an (N, 2) array of lateral positions or an (N, 3) array, in m")
        if not np.all(np.isfinite(pos)):
            raise InvalidParameterError("positions must be finite")
        if pos.shape[1] == 2:
            pos = np.column_stack([pos, np.full(pos.shape[0], self.height)])
        if isinstance(temperature, str):
            temperature = parse_quantity(temperature, "temperature", "temperature")
        T = self.temperature if temperature is None else _num("temperature", temperature, lo=0)
        if isinstance(chemical_potential, str):
            chemical_potential = parse_quantity(chemical_potential, "frequency", "chemical_potential")
        mu = self.chemical_potential if chemical_potential is None else _num("chemical_potential", chemical_potential)
        film, q = self.build(temperature=T)
        with warnings.catch_warnings():
            if not warn:
                from .greens import MarkovWarning

                warnings.simplefilter("ignore", MarkovWarning)
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise"):
                    noise = film_noise(film, [q] * pos.shape[0], pos, quad=quad)
                    return noise.couplings(T, chemical_potential=2 * math.pi * mu, markov_threshold=markov_threshold)
            except FloatingPointError:
                raise InvalidParameterError(
                    f"the film's k-space integrals overflow float64 for these positions (heights "
                    f"{float(pos[:, 2].min()):.6g} to {float(pos[:, 2].max()):.6g} m), temperature = {T:.6g} K"
                ) from None

    def system(self, positions, temperature=None, *, chemical_potential=None, scale=None,
               include_vacuum_dipolar: bool = False, warn: bool = True, quad: dict | None = None):
        """N NV centres at ``positions`` as one :class:`magbell.System` (``film_system.film_system``:
        rates 1/s, couplings rad/s, frame rotating at the mean qubit frequency; ``scale`` divides)."""
        from .film_system import film_system

        return film_system(self, positions, temperature, chemical_potential=chemical_potential, scale=scale,
                           include_vacuum_dipolar=include_vacuum_dipolar, warn=warn, quad=quad)

    def model(self, separation=None, temperature=None, *, scale=None, **kw):
        """The two-qubit :class:`magbell.Model` (rates 1/s, couplings rad/s, divided by ``scale`` if given)."""
        return self.couplings(separation, temperature, **kw).model(scale=scale)

    def relaxation_rate(self, temperature=None) -> float:
        """Rustagi et al.'s single-NV relaxation rate Γ = a + ã [1/s] (``stray.relaxation_rate``)."""
        c = self.couplings(0.0, temperature, warn=False)
        return float(c.A[0, 0].real + c.A_tilde[0, 0].real)

    def describe(self) -> dict:
        """The setup's parameters (SI; angles in degrees) and derived frequencies, JSON-ready."""
        film, q = self.build()
        return {
            "model": "film (dipolar stray field, docs/medium.md section 11)",
            "material": self.material.name,
            "thickness_m": self.thickness,
            "field_T": self.field,
            "field_angle_deg": math.degrees(self.field_angle),
            "field_azimuth_deg": math.degrees(film.field_azimuth),
            "nv_axis": [float(x) for x in q.info["axis"]],
            "transition": self.transition,
            "height_m": self.height,
            "separation_m": self.separation,
            "direction_deg": math.degrees(self.direction),
            "temperature_K": self.temperature,
            "chemical_potential_Hz": self.chemical_potential,
            "Ms_A_per_m": film.Ms,
            "Ms_from_material_T": self.Ms is None,
            "exchange_J_per_m": film.exchange,
            "damping": film.damping,
            "gamma_rad_per_s_T": film.gamma,
            "qubit_frequency_Hz": q.frequency / (2 * math.pi),
            "band_bottom_Hz": film.band_bottom()[0] / (2 * math.pi),
            "allow_below_band": self.allow_below_band,
            "thickness_modes": self.thickness_modes,
        }
