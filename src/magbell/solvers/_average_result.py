"""The trajectory ensemble averages: their weighted moments (:func:`weighted_moments`, the work of
``trajectories(...).average()``), and ``to_xarray()`` and ``_repr_html_`` of :class:`EnsembleAverage` and
:class:`SystemEnsembleAverage`: the same variable names, units, ``long_name`` s, coordinates and attrs as
every other result (:mod:`magbell.results`, the sweep's Dataset), so that "``to_xarray()`` on every result"
(issue 14 §3) also holds for ``trajectories(...).average()``.

The averages are NamedTuples (their fields stay positional for existing code); their ``times`` field (filled
by ``average()``) gives the ``t`` coordinate.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..results import BASIS_LABELS, TIME_LONG_NAME, unit_labels, variable_attrs

__all__ = ["AVERAGE_UNITS", "average_to_xarray", "average_html", "weighted_moments", "pair_products"]

#: (units, long_name) of the averages' own fields (the measures use magbell.results' tables)
AVERAGE_UNITS = {
    "rho": ("1", "ensemble-averaged state: mean of |psi><psi| over the selected trajectories"),
    "stderr_re": ("1", "standard error of Re rho (sample standard deviation / sqrt(count))"),
    "stderr_im": ("1", "standard error of Im rho (sample standard deviation / sqrt(count))"),
    "count": ("1", "number of selected trajectories"),
    "fraction": ("1", "selected fraction of the trajectories (estimate of the postselection probability P(t))"),
    "fraction_stderr": ("1", "binomial standard error of the selected fraction"),
    "site_populations": ("1", "site populations"),  # as the N-site sweep's Dataset
    "site_populations_stderr": ("1", "standard error of the ensemble-averaged site populations"),
}
METHOD = "quantum-jump ensemble average"


def _basis_labels(dim: int) -> np.ndarray:
    """u/d labels of the 2ᴺ computational basis, site 1 leftmost (index bit 1 = ↓): "uu", "ud", "du", "dd"."""
    if dim == 4:
        return np.array(BASIS_LABELS)
    n = int(round(np.log2(dim)))
    return np.array([format(k, f"0{n}b").replace("0", "u").replace("1", "d") for k in range(dim)])


def _dims(name: str, arr: np.ndarray) -> tuple:
    if name in ("rho", "stderr_re", "stderr_im"):
        return ("t", "basis", "basis_col")
    if name.startswith("site_populations"):
        return ("t", "site")
    return ("t",) + tuple(f"{name}_{k}" for k in range(arr.ndim - 1))


def _arrays(avg) -> dict:
    return {k: np.asarray(v) for k, v in avg._asdict().items() if k != "times" and v is not None}


def average_to_xarray(avg, unit: str | None = None):
    """``avg`` (an ensemble average) as an ``xarray.Dataset``: variables by field name with ``units`` and
    ``long_name`` (concurrence as in the sweep), coordinates ``t`` (units of the model's time, see
    :func:`magbell.results.unit_labels`), ``basis``/``basis_col`` (u/d strings) and the dimension ``site``
    (no coordinate, as in the other N-site results and the sweep);
    attrs as :meth:`magbell.results.Result.to_xarray` (method, backend, version, rate_unit, conventions_note)."""
    import json

    from .. import __version__
    from .._optional import require

    xr = require("xarray", "sweep", what=f"{type(avg).__name__}.to_xarray")
    lab = unit_labels(unit)
    arrays = _arrays(avg)
    coords = {}
    if avg.times is not None:
        coords["t"] = xr.Variable(("t",), np.asarray(avg.times, dtype=float),
                                  {"units": lab["time"], "long_name": TIME_LONG_NAME})
    data = {}
    for k, arr in arrays.items():
        dims = _dims(k, arr)
        if "basis" in dims and "basis" not in coords:
            b = _basis_labels(arr.shape[-1])
            coords["basis"] = xr.Variable(("basis",), b, {"long_name": "basis state (ket)"})
            coords["basis_col"] = xr.Variable(("basis_col",), b, {"long_name": "basis state (bra)"})
        data[k] = xr.Variable(dims, arr, variable_attrs(k, unit, "", AVERAGE_UNITS))
    attrs = {"magbell_result": type(avg).__name__, "method": METHOD, "backend": "numpy", "version": __version__,
             "options": json.dumps({}), "source": f"magbell {__version__} (Zou, Zhang & Tserkovnyak, PRB 106, "
                                                  "L180406 (2022))",
             "rate_unit": lab["rate"], "energy_unit": lab["energy"], "time_unit": lab["time"],
             "conventions_note": lab["note"]}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def average_html(avg) -> str:
    """A compact HTML table (Jupyter) of an ensemble average: every array's shape and range, the times, and the
    headline numbers (selected count, max concurrence). Its size does not grow with the arrays'."""
    import html

    from .. import __version__
    from ..results import _short, _summary

    esc = html.escape
    rows = [("method", METHOD), ("backend", "numpy"), ("version", __version__)]
    arr_rows = [] if avg.times is None else [("t", _summary(avg.times) + " [" + unit_labels()["time"] + "]")]
    # fields computed on first read (the N-site dense standard errors, minutes at N = 8) are not forced by a display
    raw = dict(zip(avg._fields, tuple.__iter__(avg)))
    pending = {k for k, v in raw.items() if getattr(getattr(v, "lazy", None), "_value", 0) is None}
    arrays = {k: np.asarray(getattr(avg, k)) for k, v in raw.items() if k != "times" and v is not None and k not in pending}
    arr_rows += [(k, "computed on first access" if k in pending else _summary(arrays[k]))
                 for k, v in raw.items() if k != "times" and v is not None]
    head = []
    if "count" in arrays and arrays["count"].size:
        head.append(("selected trajectories", f"{int(arrays['count'].min())} to {int(arrays['count'].max())}"))
    c = arrays.get("concurrence")
    if c is not None and c.size and np.isfinite(c).any():
        head.append(("max concurrence", _summary(np.nanmax(c))))
    out = [f'<table class="magbell-result"><caption>{esc(type(avg).__name__)}</caption>']
    for title, rr in (("Result", rows), ("Arrays", arr_rows), ("Headline", head)):
        if rr:
            out.append(f'<tr><th colspan="2" style="text-align:left">{esc(title)}</th></tr>')
            out += [f"<tr><td>{esc(_short(k, 40))}</td><td>{esc(_short(v))}</td></tr>" for k, v in rr]
    out.append("</table>")
    return "".join(out)


#: trajectory × time elements per block of :func:`weighted_moments`: its 32 product planes (2 MB) stay in cache
_BLOCK = 8192
#: from this many trajectories on, blocks of ≥ _MIN_BATCH trajectories are reduced by one matrix-vector product
#: per time (BLAS); fewer trajectories: one block of all of them, reduced over n by einsum along the times
_MIN_BATCH = 64


@lru_cache(maxsize=None)
def _pair_layout(d: int):
    """Where each (i, j) lives among a block's sums: columns [0, nre) the Re ψ_iψ_j* planes (i ≤ j, row by row),
    [nre, h) the Im planes (i < j), h + c the square of plane c; column 2h is zero (Im and (Im)² of the
    diagonal). Returns nre, h and the (d, d) column maps of Re, Im (with its sign: Im ψ_jψ_i* = −Im ψ_iψ_j*)
    and (Im)²."""
    re_col = np.empty((d, d), dtype=np.intp)
    im_col = np.full((d, d), -1, dtype=np.intp)
    c = 0
    for i in range(d):
        for j in range(i, d):
            re_col[i, j] = re_col[j, i] = c
            c += 1
    nre = c
    for i in range(d):
        for j in range(i + 1, d):
            im_col[i, j] = im_col[j, i] = c
            c += 1
    h = c
    diag = im_col < 0
    im_sign = np.where(np.triu(np.ones((d, d), dtype=bool)), 1.0, -1.0)
    return nre, h, re_col, np.where(diag, 2 * h, im_col), im_sign, np.where(diag, 2 * h, h + im_col)


def _pair_planes(X, Y, P, tmp, nre):
    """Into P[:h]: Re ψ_iψ_j* = x_ix_j + y_iy_j (i ≤ j) then Im ψ_iψ_j* = y_ix_j − x_iy_j (i < j), plane by plane
    (X, Y: (d, ...) real and imaginary parts; tmp: ≥ (d, ...) scratch). The one formula of every product."""
    d = X.shape[0]
    r, s = 0, nre
    for i in range(d):
        k = d - i
        t = tmp[:k]
        np.multiply(X[i], X[i:], out=P[r:r + k])
        np.multiply(Y[i], Y[i:], out=t)
        P[r:r + k] += t
        r += k
        if k > 1:
            np.multiply(Y[i], X[i + 1:], out=P[s:s + k - 1])
            np.multiply(X[i], Y[i + 1:], out=t[:k - 1])
            P[s:s + k - 1] -= t[:k - 1]
            s += k - 1


def _ref_planes(ref: np.ndarray) -> np.ndarray:
    """(h, T): the pair planes of the kets ref (T, d), bit for bit as in the blocks of :func:`weighted_moments`."""
    T, d = ref.shape
    nre, h = _pair_layout(d)[:2]
    P = np.empty((h, T))
    _pair_planes(np.ascontiguousarray(ref.real.T), np.ascontiguousarray(ref.imag.T), P, np.empty((d, T)), nre)
    return P


def _planes_to_matrices(acc, T, d):
    """(T, d, d) complex Hermitian from the Re/Im rows of ``acc`` (columns of _pair_layout, a zero row at 2h)."""
    nre, h, re_col, im_col, im_sign, _ = _pair_layout(d)
    out = np.empty((T, d, d), dtype=complex)
    out.real = np.ascontiguousarray(acc[re_col.ravel()].T).reshape(T, d, d)
    out.imag = np.ascontiguousarray(acc[im_col.ravel()].T).reshape(T, d, d) * im_sign
    return out


def pair_products(ref: np.ndarray) -> np.ndarray:
    """(T, d, d): ψψ† of the kets ref (T, d), exactly Hermitian, its entries bit for bit the products that
    :func:`weighted_moments` forms (so ``weighted_moments(..., ref)`` centred on it leaves exact zeros)."""
    T, d = ref.shape
    h = _pair_layout(d)[1]
    return _planes_to_matrices(np.vstack([_ref_planes(ref), np.zeros((h + 1, T))]), T, d)


def weighted_moments(K: np.ndarray, w: np.ndarray, ref: np.ndarray | None = None):
    """Σ_n w[n, t]·(ψψ†)_ij, Σ_n w·(Re ψ_iψ_j* − Re s_ij)² and Σ_n w·(Im ψ_iψ_j* − Im s_ij)² for kets K (n, T, d)
    and weights w (n, T), with s = :func:`pair_products` ``(ref)`` for kets ref (T, d) (one per time), s = 0
    without ``ref``; each (T, d, d), the first complex and exactly Hermitian.

    The second moments are sums of squares of the per-trajectory products Re ψ_iψ_j* = x_ix_j + y_iy_j and
    Im ψ_iψ_j* = y_ix_j − x_iy_j (ψ = x + iy), never an expansion of the squares (x_i²x_j² + ... + 2x_iy_ix_jy_j
    cancels where x_ix_j ≈ −y_iy_j); only the d(d+1)/2 Re and d(d−1)/2 Im pairs i ≤ j are formed
    ((Re ψ_jψ_i*)² = (Re ψ_iψ_j*)², Im ψ_iψ_i* = 0). Centred on a member of the ensemble (``ref``), the variance
    Σw(X − s)²/Σw − (X̄ − s)² loses about ε·Σw(X − s)²/Σw (the spread about that member, of the order of the
    variance), not ε·X̄² as the raw E[X²] − X̄² does (Chan, Golub & LeVeque, Am. Stat. 37, 242 (1983): shifted
    data): the ~1e-9 standard errors of an ensemble of identical kets (the no-jump sub-ensemble of a pure
    state) become exact zeros. The work runs over cache-sized blocks of
    trajectories × times (no (n, T, d, d) stack: 130 MB at 10⁴ trajectories × 51 times): a block's kets are
    laid out plane by plane (x_i, y_i as (times, trajectories) arrays), its 2·d² product and square planes
    formed in place, and each time's weighted sum over the block's trajectories is one matrix-vector product
    (with fewer than ``_MIN_BATCH`` trajectories: one einsum over the block); the block sums accumulate in float64.
    """
    K = np.asarray(K)
    w = np.asarray(w, dtype=float)
    n, T, d = K.shape
    nre, h, re_col, im_col, im_sign, im2_col = _pair_layout(d)
    sp = None if ref is None else _ref_planes(np.asarray(ref, dtype=complex).reshape(T, d))
    acc = np.zeros((2 * h + 1, T))  # the sums by column of _pair_layout, time along the rows
    many = n >= _MIN_BATCH
    nb = max(1, min(n, max(_MIN_BATCH, _BLOCK // max(T, 1))) if many else n)
    tb = max(1, min(T, _BLOCK // nb))
    size = max(nb * tb, 1)
    xb, yb, tmp, S = np.empty(d * size), np.empty(d * size), np.empty(d * size), np.empty(2 * h * size)
    for t0 in range(0, T, tb):
        t1 = min(T, t0 + tb)
        if sp is not None:  # the shift as a whole block (a contiguous subtraction per block, not a broadcast)
            bshape = (h, t1 - t0, nb) if many else (h, nb, t1 - t0)
            spb = np.broadcast_to(sp[:, t0:t1, None] if many else sp[:, None, t0:t1], bshape).copy()
        for n0 in range(0, n, nb):
            n1 = min(n, n0 + nb)
            Kb = K[n0:n1, t0:t1]
            # planes: (d, times, trajectories) when reduced by matmul, else (d, trajectories, times)
            shape = (d, t1 - t0, n1 - n0) if many else (d, n1 - n0, t1 - t0)
            axes = (2, 1, 0) if many else (2, 0, 1)
            m = (t1 - t0) * (n1 - n0)
            X, Y = xb[:d * m].reshape(shape), yb[:d * m].reshape(shape)
            np.copyto(X, Kb.real.transpose(axes))
            np.copyto(Y, Kb.imag.transpose(axes))
            P = S[:2 * h * m].reshape((2 * h,) + shape[1:])
            _pair_planes(X, Y, P, tmp[:d * m].reshape(shape), nre)
            if sp is not None:
                P[:h] -= spb if n1 - n0 == nb else (spb[:, :, :n1 - n0] if many else spb[:, :n1 - n0])
            np.square(P[:h], out=P[h:])
            if many:
                wb = np.ascontiguousarray(w[n0:n1, t0:t1].T)[:, :, None]
                acc[:2 * h, t0:t1] += np.matmul(P.transpose(1, 0, 2), wb)[:, :, 0].T
            else:
                acc[:2 * h, t0:t1] += np.einsum("pnt,nt->pt", P, w[n0:n1, t0:t1])
    if sp is not None:  # Σ w (X − s) + s Σ w
        acc[:h] += sp * w.sum(axis=0)
    return (_planes_to_matrices(acc, T, d), np.ascontiguousarray(acc[(h + re_col).ravel()].T).reshape(T, d, d),
            np.ascontiguousarray(acc[im2_col.ravel()].T).reshape(T, d, d))
