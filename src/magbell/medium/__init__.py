"""magbell.medium: from a magnetic medium's spin correlations to the two-qubit Lindblad parameters.

Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022), main text after Eq. (9) and Supplement (S9), (S29)–(S33),
(S39)–(S47). Derivations and normalisations: ``docs/medium.md``.

* :mod:`~magbell.medium.greens` — general machinery: :class:`SpinCorrelations` (spectral functions or
  retarded susceptibilities between the two qubit sites, callables or tabulated) → :func:`couplings` →
  :class:`MediumCouplings` → :meth:`MediumCouplings.model` (a :class:`magbell.Model`).
* :mod:`~magbell.medium.magnon` — closed forms for isotropic ferromagnets in 1, 2, 3 dimensions
  (:class:`MagnonMedium`) and the Markov-validity report.
* :mod:`~magbell.medium.units` — unit parsing (``"200nm"``, ``"4K"``, ``"2.87GHz"``, ``"50mT"``) and constants.
* :mod:`~magbell.medium.film_setup` — **the NV + YIG preset**: :class:`FilmSetup`, two NV centres above a
  real film (dipolar stray-field coupling), physical units in, rates in 1/s and couplings in rad/s out,
  ``.model()``; sweepable with ``magbell.sweep.run(..., medium=FilmSetup(...))``.
* :mod:`~magbell.medium.presets` — the paper's *contact-coupling* media: NV centre and YIG presets,
  :class:`PhysicalSetup` (geometries bulk3d | film2d | chain1d; same units) for the λσ·S model.
* NV centres above a real film, the building blocks (dipolar stray-field coupling, ``docs/medium.md`` §11):
  :mod:`~magbell.medium.film` (:class:`Film`: equilibrium, dipole-exchange spin waves, LLG susceptibility),
  :mod:`~magbell.medium.nv` (:func:`nv_qubit`, :func:`spin_half_qubit`), :mod:`~magbell.medium.stray`
  (:func:`film_couplings` → :class:`FilmCouplings` N×N blocks → ``.model()``; :func:`relaxation_rate`),
  :mod:`~magbell.medium.film_presets` (YIG with Ms(T), permalloy; :func:`nv_film_setup`).
"""

from .greens import IntegrationAccuracyWarning as IntegrationAccuracyWarning
from .greens import InvalidMediumError as InvalidMediumError
from .greens import MarkovWarning as MarkovWarning
from .greens import MediumCouplings as MediumCouplings
from .greens import SpinCorrelations as SpinCorrelations
from .greens import Tabulated as Tabulated
from .greens import bose as bose
from .greens import couplings as couplings
from .greens import greater as greater
from .greens import kramers_kronig as kramers_kronig
from .greens import lamb_shift as lamb_shift
from .greens import lesser as lesser
from .greens import principal_value as principal_value
from .magnon import DIMENSION_NAMES as DIMENSION_NAMES
from .magnon import MagnonMedium as MagnonMedium
from .magnon import MarkovReport as MarkovReport
from .magnon import helmholtz_green as helmholtz_green
from .magnon import helmholtz_green_imag0 as helmholtz_green_imag0
from .magnon import markov_report as markov_report
from .magnon import on_shell_profiles as on_shell_profiles
from .magnon import wavenumber as wavenumber
from .presets import NV as NV
from .presets import SPIN_HALF as SPIN_HALF
from .presets import YIG as YIG
from .presets import MagnetMaterial as MagnetMaterial
from .presets import PhysicalSetup as PhysicalSetup
from .presets import QubitSpecies as QubitSpecies
from .units import parse_quantity as parse_quantity
from .units import parse_values as parse_values
from .film import Film as Film
from .film_setup import FilmSetup as FilmSetup
from .film_presets import FILM_MATERIALS as FILM_MATERIALS
from .film_presets import YIG_FILM as YIG_FILM
from .film_presets import FilmMaterial as FilmMaterial
from .film_presets import nv_film_setup as nv_film_setup
from .nv import Qubit as Qubit
from .nv import nv_qubit as nv_qubit
from .nv import spin_half_qubit as spin_half_qubit
from .stray import FilmCouplings as FilmCouplings
from .stray import FilmNoise as FilmNoise
from .stray import film_couplings as film_couplings
from .stray import film_noise as film_noise
from .stray import relaxation_rate as relaxation_rate
