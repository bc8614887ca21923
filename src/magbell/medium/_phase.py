"""The phase k·r of the magnon closed forms to the accuracy of the float64 inputs (s4 finding HD-8).

``e^{iqr}`` with ``q = √((ω(1 + iα) − Ω)/D_s)`` rounded once and the product ``q·r`` rounded again is off by
~eps·k·r rad: at k·r = 1.4e12 the 1D ``A/a = cos(kr)`` was off by 1.6e-4 (4e-2 at 1.4e15), silently. Here:

* ``Re q`` is formed as a double-double ``hi + lo`` from the float inputs: ``ω − Ω`` (TwoSum) and ``ω·α``
  (Dekker's product) are exact, the division by D_s is a double-double division, and one Newton step
  ``q ← q0 + (z − q0²)/(2 q0)`` (``z − q0²`` from exact products and a compensated sum) refines the
  float64 square root ``q0`` — relative error ~4 u² (u = 2⁻⁵³), so ~5e-32 · k·r rad in the phase. All of it on
  power-of-two-scaled mantissas, so no intermediate overflows or underflows at any input magnitude.
* ``Im q`` likewise (``q + lo`` with a complex ``lo``), and ``e^{−κr}`` from the exact product, so that evanescent
  and damped tails keep their relative accuracy (the float κ gave κr·eps).
* ``k·r = (hi + lo)·r`` is ``P + ε`` with ``P = fl(hi·r)`` and ``ε`` its exact rounding error (Dekker) plus
  ``lo·r``, and ``e^{i(P + ε)} = e^{iP}·e^{iε}`` by the angle-addition formula; ``cos P``, ``sin P`` come from
  the C library's argument reduction, exact for every float P (as in :func:`magbell._domain.apply_mean_phase`).

The phase error is therefore ≲ 2u + 1e-31·k·r rad (:data:`PHASE_REL_ERR`); ``MagnonMedium`` refuses where
that times the coupling's envelope exceeds :data:`RESOLVE_TOL` of a (1D without damping: k·r > 1.0e16). A float ``q`` given
directly (``helmholtz_green``) needs no refinement: ``P + ε`` is then its exact product with r at any size.
For 2D, ``H0^(1)(w)`` at ``|w| ≥`` :data:`HANKEL_MIN` is Hankel's expansion (DLMF 10.17.5) with this phase;
SciPy's J0/Y0 lose eps·x in the phase (2e-14 at x = 1e6) and AMOS's K0(−iw) returns NaN beyond |w| ~ 1e9.
Derivation and tests: ``docs/medium.md`` §6 ("Large separations"), ``tests/test_qa_s4_medium.py``.
"""

from __future__ import annotations

import numpy as np

from ..backend._expm import two_prod as _two_prod
from ..backend._expm import two_sum as _two_sum
from ..errors import describe_bad_points
from .greens import InvalidMediumError

#: bound on the relative error of the double-double Re q (measured ≤ 2u², u = 2⁻⁵³; tests check ≤ 4u²)
PHASE_REL_ERR = 8 * 2.0**-106
#: MagnonMedium refuses where PHASE_REL_ERR·k·r times the coupling's envelope (relative to a) exceeds this
RESOLVE_TOL = 1e-15
#: |q r| from which the 2D Green's function uses Hankel's asymptotic expansion (18 terms: error < 1e-17)
HANKEL_MIN = 32.0
_HANKEL_TERMS = 18
#: a_k(0) = (−1)^k (1²·3²···(2k−1)²)/(k! 8^k), k = 0..17
_HANKEL_A = tuple(
    float(np.prod([-((2 * j - 1) ** 2) / (8.0 * j) for j in range(1, k + 1)])) for k in range(_HANKEL_TERMS)
)


def exact_product(x, y):
    """``x·y = hi + lo`` exactly (Dekker on the frexp mantissas: no overflow in the split at any magnitude;
    inexact only where the product itself under- or overflows)."""
    with np.errstate(all="ignore"):  # inf/NaN inputs give inf/NaN (callers refuse those), no warnings
        mx, ex = np.frexp(np.asarray(x, dtype=float))
        my, ey = np.frexp(np.asarray(y, dtype=float))
        p, e = _two_prod(mx, my)
        return np.ldexp(p, ex + ey), np.ldexp(e, ex + ey)


def _dd_div(h, l, d):
    """(h + l)/d in double-double for a mantissa-sized d (h − fl(fl(h/d)·d) is exact by Sterbenz)."""
    q = h / d
    p, e = _two_prod(q, d)
    return q, (((h - p) - e) + l) / d


def _compensated_sum(*terms):
    s = np.zeros_like(terms[0])
    c = np.zeros_like(terms[0])
    for t in terms:
        s, e = _two_sum(s, t)
        c = c + e
    return s + c


def refined_wavenumber(omega, gap, stiffness, damping):
    """``(q, lo)``: q ≈ √((ω(1 + iα) − Ω)/D_s) (Im q ≥ 0, Re q ≥ 0 if real) as a float complex and the complex
    ``lo`` with ``q + lo`` = the exact root to ~4u²|q| in each part (module docstring). Non-finite q: lo = 0."""
    w = np.asarray(omega, dtype=float)
    with np.errstate(all="ignore"):
        xs, xe = _two_sum(w, -float(gap))  # ω − Ω exactly (finite for the inputs couplings() accepts)
        ys, ye = exact_product(w, float(damping))  # ω·α exactly (but for underflow, negligible next to ω − Ω)
        ex = np.where(xs != 0, np.frexp(xs)[1], -100000)
        ey = np.where(ys != 0, np.frexp(ys)[1], -100000)
        E = np.maximum(ex, ey)
        E = np.where(E == -100000, 0, E)
        mD, eD = np.frexp(float(stiffness))
        G = E - eD
        odd = G % 2
        sc = -E + odd  # scale numerators to mantissas, times 2 where the exponent is odd
        zr = _dd_div(np.ldexp(xs, sc), np.ldexp(xe, sc), mD)
        zi = _dd_div(np.ldexp(ys, sc), np.ldexp(ye, sc), mD)
        half = (G - odd) // 2  # z = (zr + i zi)·2^(2 half), q = q'·2^half
        q0 = np.sqrt(zr[0] + 1j * zi[0])
        flip = (q0.imag < 0) | ((q0.imag == 0) & (q0.real < 0))
        q0 = np.where(flip, -q0, q0)
        a, b = q0.real, q0.imag
        aa, aae = _two_prod(a, a)
        bb, bbe = _two_prod(b, b)
        ab, abe = _two_prod(a, b)
        rho_r = _compensated_sum(zr[0], zr[1], -aa, -aae, bb, bbe)
        rho_i = _compensated_sum(zi[0], zi[1], -2 * ab, -2 * abe)
        safe = np.where(q0 == 0, 1.0, q0)
        delta = np.where(q0 == 0, 0.0, (rho_r + 1j * rho_i) / (2 * safe))
        hi_r, lo_r = _two_sum(a, delta.real)
        hi_i, lo_i = _two_sum(b, delta.imag)
        q = np.ldexp(hi_r, half) + 1j * np.ldexp(hi_i, half)
        lo = np.ldexp(lo_r, half) + 1j * np.ldexp(lo_i, half)
    ok = np.isfinite(q) & np.isfinite(lo)
    return np.where(ok, q, np.nan), np.where(ok, lo, 0j)


def phase(q_re, re_lo, r):
    """``(P, ε)`` with ``(q_re + re_lo)·r = P + ε`` (P = fl(q_re·r), ε its exact error plus re_lo·r); the same
    for the imaginary parts (the exponent κ·r of the envelope)."""
    P, e = exact_product(q_re, r)
    with np.errstate(all="ignore"):
        return P, e + re_lo * np.asarray(r, dtype=float)


def envelope(q_im, im_lo, r):
    """``e^{−(q_im + im_lo)·r}`` from the exact product (relative error ~u, not ~u·κr)."""
    P, e = phase(q_im, im_lo, r)
    with np.errstate(all="ignore"):
        return np.where(P > 800, 0.0, np.exp(-P) * np.exp(-e))  # (e^{−P} = 0 there; e^{−e} may be inf)


def expi(P, eps):
    """``(cos(P + ε), sin(P + ε))`` by angle addition (P any float: the libm reduces it exactly)."""
    with np.errstate(all="ignore"):
        cP, sP = np.cos(P), np.sin(P)
        ce, se = np.cos(eps), np.sin(eps)
        return cP * ce - sP * se, sP * ce + cP * se


def hankel0(w, P, eps, env):
    """``H0^(1)(w)`` for ``|w| ≥ HANKEL_MIN``, ``Im w ≥ 0``, with ``Re w = P + ε`` given exactly and
    ``env = e^{−Im w}`` (DLMF 10.17.5):

    ``H0^(1)(w) = √(2/(πw)) e^{i(w − π/4)} Σ_k i^k a_k(0)/w^k``, ``a_k(0) = (−1)^k (1²·3²···(2k−1)²)/(k! 8^k)``;
    the remainder after 18 terms is below 2·|term 18|·e^{1/(4|w|)} < 1e-17 for |w| ≥ 32 (DLMF 10.17(iii)).
    """
    w = np.asarray(w, dtype=complex)
    c, s = expi(P, eps)
    with np.errstate(all="ignore"):
        inv = 1j / w
        total = np.full_like(w, _HANKEL_A[-1])
        for ak in _HANKEL_A[-2::-1]:  # Horner in i/w
            total = ak + total * inv
        rot = (c + 1j * s) * (1 - 1j) / np.sqrt(2.0)  # e^{i(Re w − π/4)}
        h = np.sqrt(2.0 / np.pi) / np.sqrt(w) * env * rot * total  # (no overflow of π·w at |w| ~ 1e308)
        return np.where(env == 0, 0j, h)  # extinguished: exactly 0 whatever the (maybe overflowed) phase


def check_resolved(dim, q, r, where) -> None:
    """Refuse (one line) where the phase error of the double-double wave number, PHASE_REL_ERR·k·r rad, times the
    coupling's envelope relative to a (1D e^{−κr}, 2D (kr)^{−1/2} e^{−κr}, 3D e^{−κr}/(kr)) exceeds
    RESOLVE_TOL = 1e-15 — in 1D without damping beyond k·r = 1.0e16 (docs/medium.md §6 "Large separations")."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        r = np.asarray(r, dtype=float)
        kr = np.abs(q.real) * r
        amp = np.exp(-q.imag * r) * np.maximum(kr, 1.0) ** (-(dim - 1) / 2)
        bad = PHASE_REL_ERR * kr * amp > RESOLVE_TOL
    if np.any(bad):
        raise InvalidMediumError(
            f"r is too large: at k*r = {float(np.max(np.where(bad, kr, 0))):.3g} rad the closed forms resolve the phase "
            f"of the coupling only to more than {RESOLVE_TOL:g} of a (a {dim}D coupling without a damping "
            "envelope that would extinguish it); violated at "
            + describe_bad_points(np.broadcast_to(bad, np.shape(kr)), where)
        )
