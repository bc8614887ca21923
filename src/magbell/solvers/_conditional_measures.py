"""Measures of conditional (postselected) states: two-qubit measures from normalised kets or subspace
coordinates without forming unscaled states (used by :func:`magbell.postselect` and
:func:`magbell.conditional_evolve`)."""


import numpy as np

from ..measures import _two_qubit as _measures
from ._march import log_scaled


def _factor(rho0: np.ndarray) -> np.ndarray:
    """ρ0 = W W† with W (S, 4, r): r = 1 for pure states (the ket), else the weighted eigenvectors.

    A pure ρ0 uses its largest column, ρ[:, j]/sqrt(ρ_jj), which is exact for the named states."""
    S = rho0.shape[0]
    p, V = np.linalg.eigh(rho0)
    p = np.where(p > 1e-14 * p[..., -1:], p, 0.0)
    r = int(np.max(np.sum(p > 0, axis=-1)))
    if r == 1:
        j = np.argmax(np.real(np.diagonal(rho0, axis1=-2, axis2=-1)), axis=-1)
        col = np.take_along_axis(rho0, j[:, None, None], axis=-1)[..., 0]  # (S, 4)
        piv = np.sqrt(np.real(np.take_along_axis(col, j[:, None], axis=-1)))
        return (col / piv).reshape(S, 4, 1)
    order = np.argsort(-p, axis=-1)
    p = np.take_along_axis(p, order, axis=-1)[:, :r]
    V = np.take_along_axis(V, order[:, None, :], axis=-1)[:, :, :r]
    W = V * np.sqrt(p)[:, None, :]
    return W.reshape(S, 4, r)


def _sub_to_rho(x: np.ndarray) -> np.ndarray:
    """Subspace coordinates (..., 4) = (ρ11, ρ22, Re ρ12, Im ρ12) → 4×4 matrices (..., 4, 4)."""
    rho = np.zeros(x.shape[:-1] + (4, 4), dtype=complex)
    rho[..., 1, 1] = x[..., 0]
    rho[..., 2, 2] = x[..., 1]
    rho[..., 1, 2] = x[..., 2] + 1j * x[..., 3]
    rho[..., 2, 1] = x[..., 2] - 1j * x[..., 3]
    return rho


def _measures_from_rho(rho: np.ndarray, names, bell: np.ndarray, valid: np.ndarray) -> dict:
    """Measures of normalised states ``rho`` (p, S, T, 4, 4); ``bell`` (p, 4); NaN where not ``valid``."""
    out = {}
    safe = np.where(valid[..., None, None], rho, np.eye(4) / 4)
    for name in names:
        if name == "bell_fidelity":
            v = np.real(np.einsum("pi,pstij,pj->pst", bell.conj(), safe, bell))
        elif name == "bell_fidelity_max":
            v = (safe[..., 1, 1].real + safe[..., 2, 2].real) / 2 + np.abs(safe[..., 1, 2])
        else:
            v = _measures.MEASURES[name](safe)
        out[name] = _mask(np.asarray(v, dtype=float), valid)
    return out


def _mask(v: np.ndarray, valid) -> np.ndarray:
    if valid is True or np.all(valid):
        return v
    mask = valid.reshape(valid.shape + (1,) * (v.ndim - valid.ndim))
    return np.where(mask, v, np.nan)


def _ket_measures(comps, n2, norm2, names, bell, valid, dest=None):
    """Fast measures of pure states: components ``comps[i]`` = (real part, imaginary part), each (p, S, T),
    or None (structural zero), their |.|² ``n2[i]``, norms² ``norm2`` (p, S, T)."""
    out = {}
    rest = []
    denom = norm2 if valid is True else np.where(valid, norm2, 1.0)
    inv_cache = []

    def inv():
        if not inv_cache:
            inv_cache.append(1.0 / denom)
        return inv_cache[0]

    x = [None if c is None else c[0] + 1j * c[1] for c in comps] if (
        comps[0] is not None and comps[3] is not None and comps[1] is not None and comps[2] is not None) else None
    for name in names:
        if name == "concurrence":
            have = [c is not None for c in comps]
            t1 = True if have[0] and have[3] else None
            t2 = True if have[1] and have[2] else None
            if t1 is None and t2 is None:
                c = np.zeros_like(norm2)
            elif t1 is None or t2 is None:
                i, j = (1, 2) if t1 is None else (0, 3)
                c = np.multiply(n2[i], n2[j], out=None if dest is None else dest("m:concurrence", norm2.shape[1:]))
                np.sqrt(c, out=c)
                np.divide(c, denom, out=c)
                c *= 2
            else:
                c = 2 * np.abs(x[0] * x[3] - x[1] * x[2]) / denom
            out[name] = c
        elif name == "populations":
            pops = np.zeros(norm2.shape + (4,)) if dest is None else dest("m:populations", norm2.shape[1:] + (4,))
            for i in range(4):
                if comps[i] is not None:
                    np.multiply(n2[i], inv(), out=pops[..., i])
            out[name] = pops
        elif name == "bell_fidelity":
            present = [i for i in range(4) if comps[i] is not None and np.any(bell[:, i] != 0)]
            fdest = None if dest is None else dest("m:bell_fidelity", norm2.shape[1:])
            if not present:
                out[name] = np.zeros_like(norm2)
            elif len(present) == 2:
                # |<b|x>|² = |b_i|² n_i + |b_j|² n_j + Re(2 conj(b_i) b_j · x_i conj(x_j)), in real arithmetic
                i, j = present
                (r1, i1), (r2, i2) = comps[i], comps[j]
                w = 2 * np.conj(bell[:, i]) * bell[:, j]
                rez = np.multiply(r1, r2, out=fdest)
                rez += i1 * i2
                imz = i1 * r2
                imz -= r1 * i2
                rez *= w.real[:, None, None]
                imz *= w.imag[:, None, None]
                rez -= imz
                rez *= inv()
                c1, c2 = np.abs(bell[:, i]) ** 2, np.abs(bell[:, j]) ** 2
                others = [q for q in range(4) if q not in (i, j) and comps[q] is not None]
                if np.all(c1 == c2) and not others:  # |b_i|² = |b_j|² = ½ and n_i + n_j = ‖x‖²
                    rez += c1[:, None, None]
                else:
                    rez += (c1[:, None, None] * n2[i] + c2[:, None, None] * n2[j]) * inv()
                out[name] = rez
            else:
                # general: <b|x> = Σ_i conj(b_i) x_i on the (re, im) parts
                ar = ai = None
                for i in present:
                    br = bell[:, i].real[:, None, None]
                    bi = bell[:, i].imag[:, None, None]
                    re, im = comps[i]
                    tr_ = br * re + bi * im
                    ti_ = br * im - bi * re
                    ar = tr_ if ar is None else ar + tr_
                    ai = ti_ if ai is None else ai + ti_
                f = np.multiply(ar, ar)
                f += ai * ai
                out[name] = np.multiply(f, inv(), out=f if fdest is None else fdest)
        elif name == "purity":
            out[name] = np.ones_like(norm2)
        else:
            rest.append(name)
    return {k: _mask(v, valid) for k, v in out.items()}, rest


def _sub_measures(x, tr, names, bell, valid):
    """Fast measures of subspace states: coordinates x (p, S, 4, T) = (ρ11, ρ22, Re ρ12, Im ρ12), traces
    ``tr`` (p, S, T)."""
    out = {}
    rest = []
    inv = 1.0 / np.where(valid, tr, 1.0)
    for name in names:
        if name == "concurrence":
            out[name] = 2 * np.sqrt(x[:, :, 2] ** 2 + x[:, :, 3] ** 2) * inv
        elif name == "populations":
            z = np.zeros_like(tr)
            out[name] = np.stack([z, x[:, :, 0] * inv, x[:, :, 1] * inv, z], axis=-1)
        elif name == "bell_fidelity":
            b1, b2 = bell[:, 1][:, None, None], bell[:, 2][:, None, None]
            r12 = x[:, :, 2] + 1j * x[:, :, 3]
            v = np.abs(b1) ** 2 * x[:, :, 0] + np.abs(b2) ** 2 * x[:, :, 1] + 2 * np.real(np.conj(b1) * b2 * r12)
            out[name] = v * inv
        elif name == "bell_fidelity_max":
            out[name] = ((x[:, :, 0] + x[:, :, 1]) / 2 + np.sqrt(x[:, :, 2] ** 2 + x[:, :, 3] ** 2)) * inv
        else:
            rest.append(name)
    return {k: _mask(v, valid) for k, v in out.items()}, rest


def _abs2(c) -> np.ndarray:
    """Σ_r |c|² over the factor axis 2 of (p, S, r, T), for c = (real part, imaginary part)."""
    re, im = c
    a = np.multiply(re, re)
    a += im * im
    return a[:, :, 0] if a.shape[2] == 1 else a.sum(axis=2)


def _finish_chunk(X, LS, kind, measures, bell, store_states, dest=None) -> dict:
    """Measures, P, log P (and states) of one chunk of marched vectors X (p, S, n, k, T).

    ``dest``: optional callable ``dest(key, tail)`` giving output slices to compute into (saves a copy)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        rho = None
        if kind == "ket":
            comps = X  # list of 4 arrays (p, S, r, T) or None
            n2 = [None if c is None else _abs2(c) for c in comps]
            present = [v for v in n2 if v is not None]
            shape = present[0].shape
            buf = dest("P", shape[1:]) if (dest is not None and LS is None) else None
            norm2 = np.copy(present[0]) if len(present) == 1 else np.add(present[0], present[1], out=buf)
            if buf is not None and len(present) == 1:
                buf[...] = norm2
                norm2 = buf
            for v in present[2:]:
                norm2 += v
            if LS is None and dest is not None:
                P, logP = norm2, np.log(norm2, out=dest("logP", shape[1:]))
            else:
                P, logP = log_scaled(norm2, LS, 2)
            valid = True if norm2.min() > 0 else norm2 > 0
            r = next(c for c in comps if c is not None)[0].shape[2]
            if r == 1:
                c1 = [None if c is None else (c[0][:, :, 0], c[1][:, :, 0]) for c in comps]
                out, rest = _ket_measures(c1, n2, norm2, measures, bell, valid, dest)
            else:
                out, rest = {}, list(measures)
            if rest or store_states:
                if valid is True:
                    valid = np.ones(norm2.shape, dtype=bool)
                full = [None if c is None else c[0] + 1j * c[1] for c in comps]
                ref = next(c for c in full if c is not None)
                X = np.stack([np.zeros_like(ref) if c is None else c for c in full], axis=2)  # (p, S, 4, r, T)
                Xt = np.moveaxis(X, -1, 2)  # (p, S, T, n, k)
                rho = np.einsum("...ik,...jk->...ij", Xt, Xt.conj()) / np.where(valid, norm2, 1.0)[..., None, None]
                rho = np.where(valid[..., None, None], rho, np.nan)
                out.update(_measures_from_rho(rho, rest, bell, valid))
        elif kind == "sub":
            x = X[:, :, :, 0]
            tr = x[:, :, 0] + x[:, :, 1]
            P, logP = log_scaled(np.maximum(tr, 0.0), LS)
            valid = tr > 0
            out, rest = _sub_measures(x, tr, measures, bell, valid)
            if rest or store_states:
                rho = _sub_to_rho(np.moveaxis(x, 2, -1)) / np.where(valid, tr, 1.0)[..., None, None]
                rho = np.where(valid[..., None, None], rho, np.nan)
                out.update(_measures_from_rho(rho, rest, bell, valid))
        else:  # "vec": vectorised 4×4 matrices (conditional_evolve)
            x = np.moveaxis(X[:, :, :, 0], 2, -1)  # (p, S, T, 16)
            rho = x.reshape(x.shape[:-1] + (4, 4))
            rho = (rho + np.conj(np.swapaxes(rho, -1, -2))) / 2
            tr = np.real(np.trace(rho, axis1=-2, axis2=-1))
            P, logP = log_scaled(np.maximum(tr, 0.0), LS)
            valid = tr > 0
            rho = rho / np.where(valid, tr, 1.0)[..., None, None]
            rho = np.where(valid[..., None, None], rho, np.nan)
            out = _measures_from_rho(rho, measures, bell, valid)
        if valid is not True and not np.all(valid):
            logP = np.where(valid, logP, -np.inf)
            P = np.where(valid, P, 0.0)
    return {"measures": out, "P": P, "logP": logP, "rho": rho if store_states else None}
