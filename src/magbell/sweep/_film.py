"""Sweeps over the parameters of NV centres above a film (``medium=FilmSetup(...)``).

The same medium-parameter path as :class:`~magbell.medium.PhysicalSetup` (``_params._prepare_medium``): a
block of grid points becomes the model keyword arguments of the pair's couplings, with invalid points
marked per point with their reason. The film's k-space integrals are shared as far as the physics allows:

* one quadrature (:func:`magbell.medium.film_pairs.pair_noises`) per distinct film and height in the block
  — (field, field_angle, field_azimuth, height, and the temperature when Ms follows the material's Ms(T)) —
  for all the block's (separation, direction) displacements at once (a phase matrix, no new quadrature);
* temperature (at fixed Ms) and the chemical potential only rescale the noise (``FilmNoise.couplings``).

The quadrature of a group is sized for its largest separation (``k_quadrature(separation=...)``), so values
agree between chunkings to the quadrature's accuracy, not bit for bit. Quadrature results are cached per
process (bounded), so the sweep's reason-table pass and its compute pass share them.
"""

from __future__ import annotations

import math
import warnings
from collections import OrderedDict

import numpy as np

from ..errors import MagbellError

__all__ = ["FILM_PARAMS", "film_block", "is_film", "medium_param_names"]

#: sweepable parameters of a :class:`~magbell.medium.FilmSetup`: name -> (units, long_name)
FILM_PARAMS = {
    "separation": ("m", "lateral separation of the two NV centres"),
    "direction": ("rad", "in-plane direction of the separation, from the x axis"),
    "height": ("m", "height of the NV centres above the film's top surface"),
    "field": ("T", "magnitude of the external field B"),
    "field_angle": ("rad", "polar angle of B from the film normal"),
    "field_azimuth": ("rad", "azimuth of B"),
    "temperature": ("K", "temperature T of the film (and Ms(T) unless Ms is given)"),
    "chemical_potential": ("Hz", "magnon chemical potential mu/2pi"),
}
_FIELDS = ("a", "A", "a_tilde", "A_tilde", "d", "D_deph", "Jz", "Jperp", "D_dm")
_COMPLEX = ("A", "A_tilde", "D_deph")
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 256


def is_film(medium) -> bool:
    from ..medium.film_setup import FilmSetup

    return isinstance(medium, FilmSetup)


def medium_param_names(medium) -> tuple:
    """The parameters a sweep may vary with this medium."""
    return tuple(FILM_PARAMS) if is_film(medium) else ("separation", "temperature")


def _noises(setup, key: tuple, film, qubit, height: float, rho: np.ndarray) -> list:
    from ..medium.film_pairs import pair_noises

    ck = (repr(setup), key, rho.tobytes())
    hit = _CACHE.get(ck)
    if hit is None:
        hit = pair_noises(film, qubit, height, rho)
        _CACHE[ck] = hit
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(ck)
    return hit


def film_block(setup, p: dict, shape: tuple, note) -> dict:
    """Model keyword arguments (rates 1/s, couplings rad/s) at every point of a block.

    ``p``: parameter arrays broadcastable to ``shape`` (absent ones take the setup's values); ``note(mask,
    reason)`` marks invalid points. Invalid points get a = 1 and zeros (replaced again by the caller)."""
    from ..medium.greens import MarkovWarning

    def arr(name, default):
        v = p.get(name, default)
        return np.broadcast_to(np.asarray(np.nan if v is None else v, dtype=float), shape)

    az0 = setup.field_azimuth
    v = {
        "separation": arr("separation", setup.separation),
        "direction": arr("direction", setup.direction),
        "height": arr("height", setup.height),
        "field": arr("field", setup.field),
        "field_angle": arr("field_angle", setup.field_angle),
        "field_azimuth": arr("field_azimuth", az0),
        "temperature": arr("temperature", setup.temperature),
        "chemical_potential": arr("chemical_potential", setup.chemical_potential),
    }
    kw = {k: np.zeros(shape, dtype=complex if k in _COMPLEX else float) for k in _FIELDS}
    kw["a"] = np.ones(shape)
    bad = np.zeros(shape, dtype=bool)

    def mark(mask, msg):
        nonlocal bad
        mask = np.asarray(mask) & ~bad
        if mask.any():
            note(mask, msg)
            bad = bad | mask

    if np.isnan(v["separation"]).any():
        mark(np.isnan(v["separation"]), "give the qubit separation (a grid axis, fixed=, or FilmSetup(separation=...))")
    mark(v["separation"] < 0, "separation must be >= 0 m")
    mark(v["height"] <= 0, "height must be > 0 m")
    mark(v["field"] < 0, "field must be >= 0 T (its direction is field_angle, field_azimuth)")
    mark((v["field_angle"] < 0) | (v["field_angle"] > math.pi + 1e-12), "field_angle must be in [0, pi] rad")
    mark(v["temperature"] < 0, "temperature must be >= 0 K")
    if setup.Ms_depends_on_temperature:
        mark(v["temperature"] >= setup.material.Tc,
             f"temperature must be below {setup.material.name}'s Curie temperature {setup.material.Tc:g} K")

    Tkey = v["temperature"] if setup.Ms_depends_on_temperature else np.zeros(shape)
    azk = np.nan_to_num(v["field_azimuth"], nan=-1e300)  # None: the NV axis's azimuth
    keys = np.stack([v["field"], v["field_angle"], azk, v["height"], Tkey], axis=-1).reshape(-1, 5)
    good = ~bad.reshape(-1)
    if not good.any():
        return kw
    uniq, inv = np.unique(keys[good], axis=0, return_inverse=True)
    flat_idx = np.flatnonzero(good)
    for g, key in enumerate(uniq):
        members = flat_idx[inv.ravel() == g]
        gmask = np.zeros(bad.size, dtype=bool)
        gmask[members] = True
        gmask = gmask.reshape(shape)
        B, th, az, h, Tk = (float(x) for x in key)
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                film, qubit = setup.build(field=B, field_angle=th, field_azimuth=None if az == -1e300 else az,
                                          temperature=Tk if setup.Ms_depends_on_temperature else setup.temperature)
                wb = film.band_bottom()[0]
        except MagbellError as e:
            mark(gmask, " ".join(str(e).split()))
            continue
        except FloatingPointError:
            mark(gmask, f"the film or the NV overflows float64 at field = {B:.6g} T (field too large)")
            continue
        f = qubit.frequency
        if not setup.allow_below_band and f < wb - max(5 * film.damping * f, 1e-3 * wb):
            mark(gmask, "the NV transition lies below the magnon band bottom: the film hardly relaxes it "
                        "(FilmSetup(allow_below_band=True) keeps such points)")
            continue
        r = v["separation"].reshape(-1)[members]
        d = v["direction"].reshape(-1)[members]
        disp, dinv = np.unique(np.stack([r * np.cos(d), r * np.sin(d)], axis=-1), axis=0, return_inverse=True)
        overflow = (f"the k-space integrals overflow float64 at height = {h:.6g} m, field = {B:.6g} T "
                    "(height or field out of range)")
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                noises = _noises(setup, tuple(key), film, qubit, h, disp)
        except (MagbellError, FloatingPointError):  # isolate the displacements refused (e.g. too far apart)
            noises = []
            for j in range(disp.shape[0]):
                try:
                    with np.errstate(over="raise", invalid="raise", divide="raise"):
                        noises.append(_noises(setup, tuple(key), film, qubit, h, disp[j:j + 1])[0])
                except MagbellError as e:
                    noises.append(" ".join(str(e).split()))
                except FloatingPointError:
                    noises.append(overflow)
        T = v["temperature"].reshape(-1)[members]
        mu = v["chemical_potential"].reshape(-1)[members]
        for m, j, Tm, mum in zip(members, dinv.ravel(), T, mu):
            idx = np.unravel_index(m, shape)
            one = np.zeros(shape, dtype=bool)
            one[idx] = True
            nz = noises[j]
            if isinstance(nz, str):
                mark(one, nz)
                continue
            try:
                with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
                    warnings.simplefilter("ignore", MarkovWarning)
                    pair = nz.couplings(float(Tm), chemical_potential=2 * math.pi * float(mum)).pair()
            except MagbellError as e:
                mark(one, " ".join(str(e).split()))
                continue
            except FloatingPointError:
                mark(one, f"the couplings overflow float64 at temperature = {float(Tm):.6g} K, "
                          f"chemical_potential = {float(mum):.6g} Hz")
                continue
            if not all(np.isfinite(complex(pair[k])) for k in _FIELDS):
                mark(one, "the couplings are not finite in float64 at this point (parameters out of range)")
                continue
            for k in _FIELDS:
                kw[k][idx] = pair[k]
    return kw
