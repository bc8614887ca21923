"""Film materials with literature values, and a one-call NV-above-film setup.

Every number can be overridden (``FilmMaterial.replace`` / keyword arguments of :func:`nv_film_setup`).

* **YIG** (Y3Fe5O12): Ms(T) from 4πMs = 1780 G (141.6 kA/m) at 295 K and 2470 G (196.6 kA/m) at 0 K,
  T_C = 559 K (Hansen, Röschmann & Tolksdorf, J. Appl. Phys. 45, 2728 (1974); Cherepanov, Kolokolov &
  L'vov, Phys. Rep. 229, 81 (1993), Table 1), interpolated by ``Ms(T) = Ms(0) [1 − (T/T_C)^{3/2}]^{p}`` with
  p fixed by the 295 K value (a two-point interpolation of the measured curve, good to a few % between
  4 K and 300 K; it is *not* a fit to the full curve). A_ex = 3.7 pJ/m, α = 1e-4, γ/2π = 28.025 GHz/T
  (g ≈ 2.0023) — the values of Rustagi et al., PRB 102, 220403(R) (2020) (their Fig. 2b uses
  Ms = 142 kA/m). YIG's Ms grows by ≈ 39 % from room temperature to 4 K.
* **Permalloy** (Ni80Fe20): Ms = 800 kA/m, A_ex = 13 pJ/m, α = 0.008, g = 2.1 (typical thin-film values;
  room temperature only).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError
from .film import Film
from .nv import nv_axis, nv_qubit
from .units import HBAR, MU_B

__all__ = ["FILM_MATERIALS", "PERMALLOY", "YIG_FILM", "FilmMaterial", "nv_film_setup"]


@dataclass(frozen=True)
class FilmMaterial:
    """A film material; ``Ms_of_T(T)`` gives Ms [A/m] at temperature T [K]."""

    name: str
    Ms0: float  #: Ms at T = 0 [A/m]
    Ms_room: float  #: Ms at T_room [A/m]
    T_room: float
    Tc: float
    exchange: float
    damping: float
    gamma: float
    reference: str = ""

    def Ms_of_T(self, T: float) -> float:
        T = float(T)
        if not (math.isfinite(T) and T >= 0):
            raise InvalidParameterError(f"temperature must be finite and >= 0 K, got {T!r}")
        if T >= self.Tc:
            raise InvalidParameterError(f"{self.name}: temperature {T:g} K is above the Curie temperature {self.Tc:g} K")
        if self.Ms0 == self.Ms_room:
            return self.Ms0
        p = math.log(self.Ms_room / self.Ms0) / math.log(1 - (self.T_room / self.Tc) ** 1.5)
        return self.Ms0 * (1 - (T / self.Tc) ** 1.5) ** p

    def replace(self, **kw) -> FilmMaterial:
        return dataclasses.replace(self, **kw)


_GAMMA_YIG = 2 * math.pi * 28.025e9
YIG_FILM = FilmMaterial(
    name="YIG", Ms0=2470e3 / (4 * math.pi), Ms_room=1780e3 / (4 * math.pi), T_room=295.0, Tc=559.0,
    exchange=3.7e-12, damping=1e-4, gamma=_GAMMA_YIG,
    reference="Hansen et al. JAP 45, 2728 (1974); Cherepanov et al. Phys. Rep. 229, 81 (1993); Rustagi et al. PRB 102, 220403(R) (2020)",
)
PERMALLOY = FilmMaterial(
    name="Py", Ms0=800e3, Ms_room=800e3, T_room=295.0, Tc=850.0, exchange=13e-12, damping=0.008,
    gamma=2.1 * MU_B / HBAR, reference="typical Ni80Fe20 thin-film values",
)
FILM_MATERIALS = {"YIG": YIG_FILM, "Py": PERMALLOY, "permalloy": PERMALLOY}


def nv_film_setup(
    *,
    material="YIG",
    thickness: float,
    field: float,
    field_polar: float,
    field_azimuth: float | None = None,
    nv_axis_="111",
    transition: str = "minus",
    temperature: float = 0.0,
    Ms: float | None = None,
    exchange: float | None = None,
    damping: float | None = None,
    gamma: float | None = None,
    thickness_modes: int = 1,
):
    """``(film, qubit)`` for NV centres with axis ``nv_axis_`` in the field ``field`` [T] at polar angle
    ``field_polar`` [rad] from the film normal and azimuth ``field_azimuth`` [rad] (default: the NV axis's
    azimuth, so polar = 54.7356° puts the field along a ⟨111⟩ axis). Ms defaults to the material's Ms(T).
    ``thickness_modes``: unpinned thickness modes summed (1: the thin-film lowest mode; ``film.Film``)."""
    mat = FILM_MATERIALS.get(material) if isinstance(material, str) else material
    if mat is None:
        raise InvalidParameterError(f"unknown film material {material!r} (known: {', '.join(FILM_MATERIALS)})")
    n = nv_axis(nv_axis_)
    if field_azimuth is None:
        field_azimuth = math.atan2(n[1], n[0]) if math.hypot(n[0], n[1]) > 1e-12 else 0.0
    film = Film(
        thickness=thickness,
        Ms=mat.Ms_of_T(temperature) if Ms is None else Ms,
        exchange=mat.exchange if exchange is None else exchange,
        damping=mat.damping if damping is None else damping,
        gamma=mat.gamma if gamma is None else gamma,
        field=field,
        field_polar=field_polar,
        field_azimuth=field_azimuth,
        name=mat.name,
        thickness_modes=thickness_modes,
    )
    Bv = field * np.array(
        [math.sin(field_polar) * math.cos(field_azimuth), math.sin(field_polar) * math.sin(field_azimuth), math.cos(field_polar)]
    )
    return film, nv_qubit(Bv, n, transition)

