"""Conditional (postselected) evolution on renormalised scales, solver side: the time plan, the σz-block
propagation of H_eff (:func:`march_blocks`), log-scaled success probabilities and the exact mean-splitting
phases. The propagation itself is the backend's one propagator in its scaled variant
(``bk.propagate(G, x0, None, scaled=True, steps=..., which=...)``, :mod:`magbell.backend._scaled`), whose
exponentials are the backend's one Padé ``expm``. Used by :func:`magbell.postselect`,
:func:`magbell.conditional_evolve` and :func:`magbell.monitor` (docs/postselection.md, "Numerics")."""


import numpy as np

from ..system._basis import COEFFICIENT_NAMES
from ..backend import get_backend
# the scaled propagator's pieces, re-exported for the solvers that name them (monitor, N-site postselect)
from ..backend._scaled import (  # noqa: F401
    DIRECT_SUBSTEPS,
    MAX_EXPONENT_NORM,
    MAX_STEP_NORM,
    MAX_SUBSTEPS,
    _NO_SCALE,
    _renorm,
    scaled_expm,
    step_plan,
    substeps,
)

_LN2 = float(np.log(2.0))


def _backend(bk):
    """The backend passed down by a solver (``bk``), or the default one."""
    return get_backend() if bk is None else bk


def march(G: np.ndarray, x0: np.ndarray, steps: np.ndarray, which: np.ndarray, split: bool = False, bk=None):
    """``exp(G t_k) x0`` in scaled form ``(X, LS)`` through the backend's propagator (``scaled=True``); see
    :func:`magbell.backend._scaled.propagate_scaled` for shapes and the numerics."""
    return _backend(bk).propagate(G, x0, None, scaled=True, steps=steps, which=which, split=split)


def log_scaled(value: np.ndarray, exponent: np.ndarray, power: int = 1):
    """``(v·2^(power·e), log(v·2^(power·e)))`` for v ≥ 0 and integer e, without overflow or underflow
    in the logarithm and exact (no rounding of the scale) where the value is representable."""
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        if exponent is None:
            return value, np.log(value)
    e = np.asarray(exponent, dtype=np.int64)
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        if e.size and -900 < power * e.min() and power * e.max() < 900:
            k = e.astype(np.int32)
            if power != 1:
                k *= power
            direct = np.ldexp(value, k)
            return direct, np.log(direct)
        k = power * e
        direct = np.ldexp(value, np.clip(k, -2000, 2000).astype(np.int32))
        logv = np.where(np.abs(k) < 900, np.log(direct), np.log(value) + k * _LN2)
    return direct, logv


def _time_plan(t: np.ndarray):
    """Sorted unique times, the distinct step lengths, the step used to reach each unique time, and the
    map from the input order to the unique times."""
    tt, inverse = np.unique(t, return_inverse=True)
    steps, which = step_plan(tt)
    return tt, steps, which, inverse.reshape(-1)


#: the σ1z + σ2z blocks of H_eff: {|↑↑>}, {|↑↓>, |↓↑>}, {|↓↓>}
M_BLOCKS = ((0,), (1, 2), (3,))


def march_blocks(G: np.ndarray, W: np.ndarray, steps, which, Delta=None, tt=None, bk=None):
    """:func:`march` of kets/factors ``W`` (S, 4, r) under a generator ``G`` (p, 4, 4) that is block diagonal in
    :data:`M_BLOCKS`: each block present in W is marched with its own scale (so a block that decays
    10^300 times faster than another cannot flush the state of the slower one), then the blocks are put on
    a common scale. Returns ``comps`` (list of 4 pairs (real part, imaginary part) of arrays (p, S, r, T), or
    None for a structurally zero component) and the int64 exponents (p, S, T) (None: no scaling).

    ``Delta`` (p,), ``tt`` (T,): when given, G is H_eff without the mean splitting (:func:`_heff_without_mean`)
    and the exact phases e^{+iΔt} (|↑↑>) and e^{−iΔt} (|↓↓>) are applied at the times ``tt``."""
    parts = []
    for blk in M_BLOCKS:
        idx = list(blk)
        if not np.any(W[:, idx, :] != 0):
            continue
        Gb = G[:, idx][:, :, idx]
        Xb, Lb = march(Gb, W[None][:, :, idx, :], steps, which, split=True, bk=bk)
        sign = -MEAN_PHASE_DIAG[idx[0]]
        if Delta is not None and sign != 0 and np.any(Delta != 0):
            cos, sin = _mean_phase(Delta, tt, int(sign))
            cos, sin = cos[:, None, None, None, :], sin[:, None, None, None, :]
            re, im = Xb
            Xb = (re * cos - im * sin, re * sin + im * cos)
        parts.append([idx, Xb, Lb])
    comps = [None] * 4
    if len(parts) == 1:
        idx, (re, im), LS = parts[0]
        for a, i in enumerate(idx):
            comps[i] = (re[:, :, a], im[:, :, a])
        return comps, LS
    for part in parts:
        re, im = part[1]
        if part[2] is None:
            part[2] = np.zeros(re.shape[:2] + re.shape[-1:], dtype=np.int64)
        zero = ~(np.any(re != 0, axis=(2, 3)) | np.any(im != 0, axis=(2, 3)))
        part[2] = np.where(zero, _NO_SCALE, part[2])
    LS = parts[0][2]
    for _, _, Lb in parts[1:]:
        LS = np.maximum(LS, Lb)
    for idx, (re, im), Lb in parts:
        d = np.clip(Lb - LS, -4000, 0).astype(np.int32)
        f = np.ldexp(1.0, d)[:, :, None, :]
        same = bool(np.all(d == 0))
        for a, i in enumerate(idx):
            comps[i] = (re[:, :, a], im[:, :, a]) if same else (re[:, :, a] * f, im[:, :, a] * f)
    return comps, LS


# ============================================================================== the mean splitting
#: H_eff's dependence on the mean splitting: H_eff(Δ) = H_eff(0) + Δ·diag(−1, 0, 0, 1) (exact, and it
#: commutes with everything else in H_eff and with every jump's action on the coherence order)
MEAN_PHASE_DIAG = np.array([-1.0, 0.0, 0.0, 1.0])
_DELTA = COEFFICIENT_NAMES.index("Delta")


def _mean_phase(Delta: np.ndarray, tt: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of m·Δ·t (P, T) with the product Δ·t formed exactly (hi + lo, Dekker), so that
    Δt = 1e19 rotates by the exact angle of the float inputs. m = ±1, ±2."""
    Delta = np.asarray(Delta, dtype=float)[:, None]
    tt = np.asarray(tt, dtype=float)[None, :]
    mx, ex = np.frexp(Delta)
    my, ey = np.frexp(tt)
    prod = mx * my
    sp = 134217729.0  # 2^27 + 1 (Veltkamp split)
    cx, cy = sp * mx, sp * my
    xh = cx - (cx - mx)
    yh = cy - (cy - my)
    xl, yl = mx - xh, my - yh
    err = ((xh * yh - prod) + xh * yl + xl * yh) + xl * yl
    e = ex + ey
    with np.errstate(under="ignore"):
        hi, lo = m * np.ldexp(prod, e), m * np.ldexp(err, e)
    cos = np.cos(hi) * np.cos(lo) - np.sin(hi) * np.sin(lo)
    sin = np.sin(hi) * np.cos(lo) + np.cos(hi) * np.sin(lo)
    return cos, sin
