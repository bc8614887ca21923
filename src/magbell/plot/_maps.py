"""Maps: :func:`map2d` (a sweep Dataset or a grid, contour lines, regime boundaries), :func:`pt_phase_diagram`
(the PT phases of H_eff, Eq. 12) and :func:`pair_concurrence` (the N-site pair-concurrence matrix)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError
from ._common import REGIME_COLORS, SYMBOLS, as_float_array, axes, is_xarray, label, mpl

__all__ = ["map2d", "pt_phase_diagram", "pair_concurrence"]

#: the value of a sweep's ``status`` variable at a computed point
_STATUS_OK = 1


def _select(da, sel: dict | None, what: str):
    if not sel:
        return da
    try:
        return da.sel(**sel)
    except (KeyError, ValueError, TypeError):
        try:
            return da.sel(**sel, method="nearest")
        except Exception as e:
            raise InvalidParameterError(f"sel: {sel!r} does not select from {what} ({e})") from None


def _grid_from_xarray(ds, var, x, y, sel):
    """(Z (ny, nx), x values, y values, x label, y label, value attrs, transposer for companion variables)."""
    if hasattr(ds, "data_vars"):
        if var is None or var not in ds.data_vars:
            raise InvalidParameterError(f"var: name the variable to map, one of {', '.join(ds.data_vars)}; got {var!r}")
        da = ds[var]
    else:
        da = ds
        var = da.name
    da = _select(da, sel, f"{var!r}").squeeze(drop=False)
    dims = [d for d in da.dims if da.sizes[d] > 1]
    if len(dims) != 2:
        raise InvalidParameterError(
            f"data: {var!r} must have 2 dimensions of size > 1 to map, got {dims or 'none'}; fix the others with sel={{...}}")
    if x is None and y is None:
        y, x = dims
    elif x is None:
        x = next(d for d in dims if d != y)
    elif y is None:
        y = next(d for d in dims if d != x)
    if {x, y} != set(dims):
        raise InvalidParameterError(f"x, y: must be the two dimensions {dims}, got x={x!r}, y={y!r}")
    da = da.squeeze(drop=True).transpose(y, x)

    def companion(name_or_arr, what):
        if isinstance(name_or_arr, str):
            if not hasattr(ds, "data_vars") or name_or_arr not in ds.data_vars:
                raise InvalidParameterError(f"{what}: {name_or_arr!r} is not a variable of the Dataset")
            c = _select(ds[name_or_arr], sel, repr(name_or_arr)).squeeze(drop=True)
            if set(c.dims) != {x, y}:
                raise InvalidParameterError(f"{what}: {name_or_arr!r} has dims {tuple(c.dims)}, not ({y!r}, {x!r})")
            v = np.asarray(c.transpose(y, x).values)
            fv, fm = c.attrs.get("flag_values"), c.attrs.get("flag_meanings")
            if what == "boundaries" and fv is not None and fm is not None:  # CF flags: codes → names
                names = dict(zip(np.asarray(fv).tolist(), str(fm).split()))
                v = np.vectorize(lambda k: names.get(int(k), str(k)), otypes=[object])(v)
            return v
        return np.asarray(name_or_arr)

    xs = _coord(da, x)
    ys = _coord(da, y)
    Z = as_float_array(da.values, f"data[{var!r}]", allow_inf=True)
    if hasattr(ds, "data_vars") and "status" in ds.data_vars:
        st = companion("status", "status")
        Z = np.where(st == _STATUS_OK, Z, np.nan)
    xl = label(x, dict(da[x].attrs) if x in da.coords else {})
    yl = label(y, dict(da[y].attrs) if y in da.coords else {})
    return Z, xs, ys, xl, yl, dict(da.attrs), var, companion


def _coord(da, dim):
    if dim not in da.coords:
        return np.arange(da.sizes[dim], dtype=float)
    v = np.asarray(da[dim].values)
    if v.dtype.kind not in "biuf":
        raise InvalidParameterError(f"x, y: coordinate {dim!r} is not numeric ({v.dtype}); map numeric axes only")
    return v.astype(float)


def _grid_from_arrays(Z, x, y):
    Z = as_float_array(Z, "data", ndim=2, allow_inf=True)
    if x is None or y is None or isinstance(x, str) or isinstance(y, str):
        raise InvalidParameterError("x, y: the coordinate arrays are required when data is a plain array")
    xs = as_float_array(x, "x", ndim=1)
    ys = as_float_array(y, "y", ndim=1)
    if Z.shape != (ys.size, xs.size):
        raise InvalidParameterError(f"data: shape must be (len(y), len(x)) = ({ys.size}, {xs.size}), got {Z.shape}")
    return Z, xs, ys


def _contours(ax, X, Y, spec, color, fmt, fontsize, positions):
    """Contour lines of ``Z`` at ``levels`` (or their number), labelled (at ``positions`` if given)."""
    Z, levels = spec
    cs = ax.contour(X, Y, np.ma.masked_invalid(Z), levels=levels, colors=color, linewidths=0.6)
    if cs.levels.size:
        ax.clabel(cs, fmt=fmt, fontsize=fontsize, inline_spacing=2, manual=positions if positions else False)
    return cs


def _boundaries(ax, X, Y, labels, color, annotate: bool, text_color):
    """Lines between regions of equal label (indicator contours at 1/2) and each large region's name."""
    lab = np.asarray(labels).astype(str)
    if lab.shape != X.shape:
        raise InvalidParameterError(f"boundaries: shape must be {X.shape}, got {lab.shape}")
    names = list(dict.fromkeys(lab.ravel().tolist()))
    for n in names[:-1] if len(names) > 1 else []:
        ind = (lab == n).astype(float)
        ax.contour(X, Y, ind, levels=[0.5], colors=color, linewidths=1.1, linestyles="--")
    if annotate:
        for n in names:
            m = lab == n
            if m.mean() >= 0.08:
                ax.text(np.median(X[m]), np.median(Y[m]), n, color=text_color, ha="center", va="center", fontsize=8)


def map2d(data, var: str | None = None, *, x=None, y=None, sel: dict | None = None, ax=None, contours=None,
          boundaries=None, annotate_regions: bool = True, log: bool = False, cmap="viridis", vmin=None, vmax=None,
          colorbar: bool = True, label_text: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
          contour_color="white", boundary_color="#d62728", clabel_fmt=None, clabel_size: float = 6.5,
          clabel_positions=None, **mesh_kw):
    """A 2-D colour map with optional contour lines and regime boundaries; returns the matplotlib Axes.

    data : an ``xarray.Dataset`` from :func:`magbell.sweep.run` (or ``result.to_xarray()``) with ``var`` the
        variable to map, an ``xarray.DataArray``, or a plain 2-D array ``(len(y), len(x))`` with ``x`` and ``y``
        the coordinate arrays. Points whose sweep ``status`` is not ok are left blank.
    x, y : the dimensions on the axes (default: the DataArray's order, x the last), or the coordinate arrays.
    sel : fixes the other dimensions, e.g. ``{"ratio": 0.1, "initial": "ud"}`` (nearest value if not exact).
    contours : contour lines of the mapped value — a list of levels or their number — or of another quantity,
        ``(name or (ny, nx) array, levels)``; labelled with ``clabel_fmt``, near the points ``clabel_positions``
        (a list of (x, y); default: placed automatically).
    boundaries : region labels to draw the boundaries of: a variable name (``"regime"`` of a ``spectrum``
        sweep) or a ``(ny, nx)`` array of labels (e.g. ``spectrum(model).regime``); each region large enough is
        named on the map (``annotate_regions``).
    log : logarithmic colour scale.
    label_text : colour-bar label (default: the variable's symbol and ``units`` attribute).
    mesh_kw : passed to ``Axes.pcolormesh`` (``shading="nearest"`` by default: one cell per grid point).
    """
    mpl()
    from matplotlib.colors import LogNorm

    companion = None
    if is_xarray(data):
        Z, xs, ys, xl, yl, attrs, var, companion = _grid_from_xarray(data, var, x, y, sel)
    else:
        Z, xs, ys = _grid_from_arrays(data, x, y)
        xl, yl, attrs = "", "", {}
    X, Y = np.meshgrid(xs, ys)
    ax = axes(ax)
    cm = (mpl().colormaps[cmap] if isinstance(cmap, str) else cmap).with_extremes(bad="white")
    fin = Z[np.isfinite(Z)]
    if np.any(np.isneginf(Z)):
        raise InvalidParameterError("data: -inf cannot be shown on a colour scale")
    if log:
        pos = fin[fin > 0]
        if pos.size == 0:
            raise InvalidParameterError("log: the map has no positive finite value to show on a log scale")
        vmin, vmax = vmin or pos.min(), vmax or pos.max()
        kw = {"norm": LogNorm(vmin=vmin, vmax=vmax)}
    else:
        kw = {"vmin": vmin, "vmax": vmax}
    has_inf = bool(np.any(np.isposinf(Z)))
    if has_inf:  # +inf (e.g. a lifetime where entanglement persists): the colour above the scale
        top = vmax if vmax is not None else (fin.max() if fin.size else 1.0)
        Z = np.where(np.isposinf(Z), abs(top) * 10 + 1, Z)
        if vmax is None:
            kw["vmax"] = top
    mesh_kw.setdefault("shading", "nearest")
    mesh_kw.setdefault("rasterized", True)
    pc = ax.pcolormesh(X, Y, np.ma.masked_invalid(Z), cmap=cm, **kw, **mesh_kw)
    fmt = clabel_fmt or (lambda v: f"{v:g}")
    if contours is not None:
        if isinstance(contours, tuple) and len(contours) == 2 and not np.isscalar(contours[0]):
            other, levels = contours
            if companion is not None:
                other = companion(other, "contours")
            other = as_float_array(other, "contours", ndim=2)
            if other.shape != Z.shape:
                raise InvalidParameterError(f"contours: values must have the map's shape {Z.shape}, got {other.shape}")
            _contours(ax, X, Y, (other, levels), contour_color, fmt, clabel_size, clabel_positions)
        else:
            _contours(ax, X, Y, (Z, contours), contour_color, fmt, clabel_size, clabel_positions)
    if boundaries is not None:
        labs = companion(boundaries, "boundaries") if companion is not None else boundaries
        _boundaries(ax, X, Y, labs, boundary_color, annotate_regions, "white")
    ax.set_xlim(xs.min(), xs.max())
    ax.set_ylim(ys.min(), ys.max())
    ax.set_xlabel(xlabel if xlabel is not None else xl)
    ax.set_ylabel(ylabel if ylabel is not None else yl)
    if colorbar:
        cb = ax.figure.colorbar(pc, ax=ax, pad=0.03, extend="max" if has_inf else "neither")
        cb.set_label(label_text if label_text is not None else label(var, attrs))
    return ax


def pt_phase_diagram(spectrum, x, y, *, value=None, ax=None, contours=None, xlabel: str = SYMBOLS["delta"],
                     ylabel: str = SYMBOLS["Gamma"], value_label: str | None = None, cmap="viridis", vmin=None,
                     vmax=None, boundary: bool = True, annotate: bool = True, **mesh_kw):
    """The PT phase diagram of the postselected dynamics (H_eff, Eq. 12) on a 2-D grid; returns the Axes.

    spectrum : ``magbell.postselect_spectrum(model)`` of a ``(len(y), len(x))`` model grid, or its ``phase``
        array ("PT-exact", "exceptional-point", "PT-broken", "degenerate").
    x, y : the grid's coordinates (a spectrum does not carry its parameters), e.g. δ and Γ.
    value : ``None`` colours the phases; otherwise one quantity to colour — an attribute name of the spectrum
        (``"max_concurrence"``, ``"asymptotic_concurrence"``, ``"growth_rate"``, ...) or a ``(ny, nx)`` array —
        with the phase boundary drawn on top (``boundary``).
    contours : contour lines as in :func:`map2d` (e.g. ``(success_probability, [0.1, 0.2])``).
    annotate : write the phase names in their regions.
    """
    mpl()
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    phase = np.asarray(getattr(spectrum, "phase", spectrum)).astype(str)
    xs = as_float_array(x, "x", ndim=1)
    ys = as_float_array(y, "y", ndim=1)
    if phase.shape != (ys.size, xs.size):
        raise InvalidParameterError(f"spectrum: phase must have shape (len(y), len(x)) = ({ys.size}, {xs.size}), "
                                    f"got {phase.shape}")
    known = [p for p in REGIME_COLORS if p in ("PT-exact", "exceptional-point", "PT-broken", "degenerate")]
    bad = sorted(set(phase.ravel()) - set(known))
    if bad:
        raise InvalidParameterError(f"spectrum: unknown phase name(s) {bad}; expected {known}")
    if value is None:
        present = [p for p in known if np.any(phase == p)]
        code = np.select([phase == p for p in present], list(range(len(present))), -1).astype(float)
        ax = map2d(code, x=xs, y=ys, ax=ax, cmap=ListedColormap([REGIME_COLORS[p] for p in present]),
                   vmin=-0.5, vmax=len(present) - 0.5, colorbar=False, contours=contours, xlabel=xlabel,
                   ylabel=ylabel, **mesh_kw)
        ax.legend(handles=[Patch(color=REGIME_COLORS[p], label=p) for p in present], loc="upper right",
                  fontsize=7, frameon=True)
        return ax
    if isinstance(value, str):
        if not hasattr(spectrum, value):
            raise InvalidParameterError(f"value: the spectrum has no attribute {value!r}")
        vlabel = value_label if value_label is not None else value.replace("_", " ")
        value = np.asarray(getattr(spectrum, value), dtype=float)
    else:
        vlabel = value_label if value_label is not None else ""
    ax = map2d(value, x=xs, y=ys, ax=ax, cmap=cmap, vmin=vmin, vmax=vmax, contours=contours, label_text=vlabel,
               xlabel=xlabel, ylabel=ylabel, **mesh_kw)
    if boundary:
        X, Y = np.meshgrid(xs, ys)
        _boundaries(ax, X, Y, np.where(phase == "PT-broken", "PT-broken", "other"), REGIME_COLORS["exceptional-point"],
                    False, "white")
    if annotate:
        X, Y = np.meshgrid(xs, ys)
        for p in ("PT-broken", "PT-exact"):
            m = phase == p
            if m.mean() >= 0.08:
                ax.text(np.median(X[m]), np.median(Y[m]), p, ha="center", va="center", fontsize=8, color="0.15",
                        bbox=dict(facecolor="white", edgecolor="none", alpha=0.7, pad=1.5))
    return ax


def pair_concurrence(C, *, time_index: int = -1, ax=None, labels=None, annotate: bool | None = None, cmap="viridis",
                     vmax: float = 1.0, colorbar: bool = True, title: str | None = None):
    """The N-site pair-concurrence matrix C_ij (``magbell.measures.pair_concurrence``) as a heat map.

    C : an ``(N, N)`` symmetric array with entries in [0, 1] (the diagonal, not a pair, is left blank; NaN marks
        a pair not computed) — pick one time or grid point first, e.g. ``C[..., -1, :, :]`` — or one curve's
        result of ``magbell.evolve(system, ..., measures=["pair_concurrence"])``, shown at ``time_index`` (default: the
        last time, named in the title).
    labels : site names (default ``1 … N``).
    annotate : write the values in the cells (default: N ≤ 8).
    """
    mpl()
    if hasattr(C, "measures") and hasattr(C, "times"):
        if "pair_concurrence" not in C.measures:
            raise InvalidParameterError("C: the result has no 'pair_concurrence'; ask for it with "
                                        "measures=['pair_concurrence']")
        t = np.asarray(C.times, dtype=float)
        try:
            t_shown = float(t[time_index])
        except (IndexError, TypeError):
            raise InvalidParameterError(f"time_index: {time_index!r} is not an index into {t.size} times") from None
        C = np.asarray(C.measures["pair_concurrence"])[..., time_index, :, :]
        if title is None:
            title = f"t = {t_shown:.4g}"
    C = as_float_array(C, "C")
    if C.ndim != 2 or C.shape[0] != C.shape[1] or C.shape[0] < 2:
        raise InvalidParameterError(f"C: must be one square (N, N) matrix with N >= 2, got shape {C.shape}")
    N = C.shape[0]
    off = ~np.eye(N, dtype=bool)
    vals = C[off]
    fin = np.isfinite(vals)
    if np.any((vals[fin] < -1e-12) | (vals[fin] > 1 + 1e-12)):
        raise InvalidParameterError(f"C: a concurrence lies in [0, 1], got values in [{vals[fin].min():.3g}, "
                                    f"{vals[fin].max():.3g}]")
    both = np.isfinite(C) & np.isfinite(C.T)
    if np.any(np.abs(C - C.T)[both] > 1e-12) or np.any(np.isfinite(C) != np.isfinite(C.T)):
        raise InvalidParameterError("C: the pair-concurrence matrix must be symmetric (C_ij = C_ji)")
    labels = [str(k + 1) for k in range(N)] if labels is None else [str(s) for s in labels]
    if len(labels) != N:
        raise InvalidParameterError(f"labels: need one per site ({N}), got {len(labels)}")
    shown = np.where(off, np.clip(C, 0.0, 1.0), np.nan)
    ax = axes(ax, figsize=(3.6, 3.0))
    cm = (mpl().colormaps[cmap] if isinstance(cmap, str) else cmap).with_extremes(bad="0.85")
    im = ax.imshow(np.ma.masked_invalid(shown), cmap=cm, vmin=0.0, vmax=vmax, origin="upper", interpolation="nearest")
    ax.set_xticks(range(N), labels)
    ax.set_yticks(range(N), labels)
    ax.set_xlabel("site $j$")
    ax.set_ylabel("site $i$")
    if annotate or (annotate is None and N <= 8):
        for i in range(N):
            for j in range(N):
                if i != j and np.isfinite(shown[i, j]):
                    v = shown[i, j]
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7,
                            color="black" if v > 0.6 * vmax else "white")
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, pad=0.03)
        cb.set_label(r"pair concurrence $\mathcal{C}_{ij}$")
    if title:
        ax.set_title(title)
    return ax
