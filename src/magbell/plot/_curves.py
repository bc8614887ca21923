"""Curves versus time: :func:`concurrence` (any scalar measure, several curves, regimes coloured) and
:func:`populations` (the basis populations of one curve)."""

from __future__ import annotations

import numpy as np

from ..errors import InvalidParameterError
from ._common import REGIME_COLORS, SYMBOLS, as_float_array, axes, coord_values, is_xarray, label, mpl

__all__ = ["concurrence", "populations", "time_series"]

_MEASURE_LABELS = {"concurrence": r"$\mathcal{C}(t)$", "success_probability": r"$P(t)$",
                   "negativity": r"$\mathcal{N}(t)$", "purity": r"tr$\rho(t)^2$",
                   "bell_fidelity": r"$F_{\mathrm{Bell}}(t)$",
                   "entanglement_of_formation": r"$E_F(t)$  (ebit)"}


def _from_input(data, times, measure: str, trailing: int = 0):
    """(times (T,), values (..., T[, k]), curve labels or None, time-axis label) from a result, an xarray
    object or an array with ``times``."""
    if is_xarray(data):
        da = data[measure] if hasattr(data, "data_vars") else data
        if "t" not in da.dims:
            raise InvalidParameterError(f"data: needs a time dimension 't', got dims {tuple(da.dims)}")
        lead = [d for d in da.dims if d != "t"][: da.ndim - 1 - trailing]
        rest = [d for d in da.dims if d != "t" and d not in lead]
        da = da.transpose(*lead, "t", *rest)
        t = np.asarray(da["t"].values, dtype=float)
        tl = label("t", dict(da["t"].attrs))
        vals = as_float_array(da.values, f"data[{measure!r}]")
        labels = None
        if lead and all(coord_values(da, d) is None for d in lead):
            labels = [f"curve {k}" for k in range(int(np.prod([da.sizes[d] for d in lead])))]
        elif lead:
            grids = np.meshgrid(*[coord_values(da, d) if coord_values(da, d) is not None
                                  else np.arange(da.sizes[d]) for d in lead], indexing="ij")
            labels = [", ".join(f"{d} = {_fmt(g.flat[k])}" for d, g in zip(lead, grids))
                      for k in range(grids[0].size)]
        return t, vals, labels, tl
    if hasattr(data, "times") and hasattr(data, "measures"):
        m = data.measures
        if measure not in m:
            raise InvalidParameterError(
                f"measure: the result has no {measure!r} (it has {', '.join(m) or 'none'}); ask for it with "
                f"measures=[{measure!r}]")
        t = as_float_array(data.times, "result.times", ndim=1)
        return t, as_float_array(m[measure], f"result.{measure}"), None, SYMBOLS["t"]
    if times is None:
        raise InvalidParameterError("times: required when data is a plain array (a result or Dataset carries its own)")
    return (as_float_array(times, "times", ndim=1), as_float_array(data, "data"), None, SYMBOLS["t"])


def _fmt(v) -> str:
    if isinstance(v, (str, np.str_)):
        return str(v)
    return f"{float(v):.4g}"


def _regime_colors(regimes):
    """A colour per curve: the regime's colour, in lighter/darker shades when a regime has several curves."""
    from matplotlib.colors import to_rgb

    regimes = [str(r) for r in regimes]
    cycle = ["#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
    base, out = {}, []
    for r in regimes:
        if r not in base:
            base[r] = REGIME_COLORS.get(r) or cycle[(len(base)) % len(cycle)]
    count = {r: regimes.count(r) for r in base}
    seen = {r: 0 for r in base}
    for r in regimes:
        c = np.array(to_rgb(base[r]))
        m, k = count[r], seen[r]
        seen[r] += 1
        f = 0.0 if m == 1 else -0.45 + 0.9 * k / (m - 1)  # −: darker, +: lighter
        out.append(tuple(c * (1 + f) if f < 0 else c + (1 - c) * f))
    return out


def time_series(data, times=None, *, measure: str = "concurrence", labels=None, regimes=None, colors=None,
                ax=None, time_unit: str | None = None, ylabel: str | None = None, legend: bool | None = None,
                **line_kw):
    """Curves of a scalar measure versus time; returns the matplotlib Axes.

    data : a result with ``times`` (``magbell.evolve``, ``postselect``, ``evolve`` of a ``System`` ...), an
        ``xarray`` Dataset/DataArray with a dimension ``t`` (``result.to_xarray()``, a sweep), or an array
        ``(..., T)`` with ``times`` given. Leading dimensions are flattened into separate curves; from xarray
        each curve is labelled with its coordinates.
    measure : the measure to draw (``"concurrence"``, ``"success_probability"``, ``"negativity"``, ...).
    labels : one legend label per curve (overrides the automatic ones).
    regimes : one regime name per curve (``spectrum(model).regime``: "underdamped", "critical",
        "overdamped"; ``postselect_spectrum(model).phase``: "PT-exact", "exceptional-point", "PT-broken"):
        curves are coloured by regime (shades within one) and the regime is added to the labels.
    colors : one colour per curve (overrides the regime colours).
    time_unit : unit of the time axis, e.g. ``"1/a"`` or ``"s"`` (default: from the Dataset's ``t`` attrs).
    legend : draw a legend (default: when there are labels).
    line_kw : passed to ``Axes.plot``.
    """
    mpl()
    t, vals, auto, tl = _from_input(data, times, measure)
    if vals.shape[-1:] != t.shape:
        raise InvalidParameterError(f"data: last axis must match times ({t.size}), got shape {vals.shape}")
    curves = vals.reshape(-1, t.size)
    n = curves.shape[0]
    labels = auto if labels is None else [str(x) for x in labels]
    if labels is not None and len(labels) != n:
        raise InvalidParameterError(f"labels: need one per curve ({n}), got {len(labels)}")
    if regimes is not None:
        regimes = [str(x) for x in np.asarray(regimes, dtype=object).ravel()]
        if len(regimes) != n:
            raise InvalidParameterError(f"regimes: need one per curve ({n}), got {len(regimes)}")
    if colors is not None:
        colors = list(colors)
        if len(colors) != n:
            raise InvalidParameterError(f"colors: need one per curve ({n}), got {len(colors)}")
    elif regimes is not None:
        colors = _regime_colors(regimes)
    elif n > 10:
        from matplotlib import colormaps

        cmap = colormaps["viridis"]
        colors = [cmap(0.05 + 0.85 * k / (n - 1)) for k in range(n)]
    ax = axes(ax)
    shown = set()
    for k in range(n):
        lab = None
        if labels is not None:
            lab = labels[k]
            if regimes is not None and regimes[k] not in lab:
                lab += f" ({regimes[k]})"
        elif regimes is not None and regimes[k] not in shown:
            lab = regimes[k]
            shown.add(regimes[k])
        kw = dict(line_kw)
        if colors is not None:
            kw.setdefault("color", colors[k])
        ax.plot(t, curves[k], label=lab, **kw)
    xl = tl if time_unit is None else label("t", unit=time_unit)
    ax.set_xlabel(xl)
    ax.set_ylabel(ylabel if ylabel is not None else _MEASURE_LABELS.get(measure, measure.replace("_", " ")))
    if t.size > 1:
        ax.set_xlim(t[0], t[-1])
    if legend or (legend is None and (labels is not None or regimes is not None)):
        ax.legend()
    return ax


def concurrence(data, times=None, *, ylim=None, **kw):
    """Concurrence C(t) of one or several curves; :func:`time_series` with ``measure="concurrence"``.

    ``ylim`` (default: from 0 to the data's top) sets the concurrence axis; other keywords as in :func:`time_series`.

    >>> import numpy as np, magbell
    >>> from magbell import plot
    >>> m = magbell.Model(a=1.0, A=1.0, delta=[2.0, 1.0, 0.3])
    >>> r = magbell.evolve(m, "ud", np.linspace(0, 5, 201))
    >>> ax = plot.concurrence(r, regimes=magbell.spectrum(m).regime, labels=["δ = 2", "δ = 1", "δ = 0.3"],
    ...                       time_unit="1/a")
    >>> [l.get_label() for l in ax.get_lines()]
    ['δ = 2 (underdamped)', 'δ = 1 (critical)', 'δ = 0.3 (overdamped)']
    """
    ax = time_series(data, times, measure="concurrence", **kw)
    ax.set_ylim(*(ylim or (0.0, max(1e-3, ax.get_ylim()[1]))))
    return ax


def populations(data, times=None, *, index=None, labels=None, ax=None, time_unit: str | None = None,
                legend: bool = True, measure: str | None = None, **line_kw):
    """Populations of one curve versus time; returns the Axes.

    Two qubits: the basis populations |↑↑⟩, |↑↓⟩, |↓↑⟩, |↓↓⟩ (``measure="populations"``); N sites
    (``magbell.evolve`` of a ``System``): the probability that each site is ↓ (``measure="site_populations"``, chosen
    automatically when the result has no ``populations``).

    data : a result computed with ``measures=[..., "populations"]`` (or ``"site_populations"``), an xarray
        object with that variable (dims ``(..., t, basis or site)``) or an array ``(..., T, K)`` with ``times``.
    index : which curve, when the data hold several (an int into the flattened leading dimensions, or a tuple).
    labels : one label per basis state (default: the kets, site 1 leftmost).
    """
    mpl()
    if measure is None:
        has = (data.measures if hasattr(data, "measures") else
               data.data_vars if hasattr(data, "data_vars") else {"populations": None})
        measure = "site_populations" if "populations" not in has and "site_populations" in has else "populations"
    t, vals, _, tl = _from_input(data, times, measure, trailing=1)
    if vals.ndim < 2 or vals.shape[-2] != t.size:
        raise InvalidParameterError(f"data: populations must have shape (..., T={t.size}, K), got {vals.shape}")
    K = vals.shape[-1]
    lead = vals.shape[:-2]
    n = int(np.prod(lead)) if lead else 1
    if index is None:
        if n != 1:
            raise InvalidParameterError(f"index: the data hold {n} curves (leading shape {lead}); pass index=... to pick one")
        curve = vals.reshape(t.size, K)
    else:
        try:
            curve = vals.reshape(-1, t.size, K)[index] if np.ndim(index) == 0 else vals[tuple(index)]
        except (IndexError, TypeError, ValueError):
            raise InvalidParameterError(f"index: {index!r} is not a curve of leading shape {lead}") from None
        if curve.shape != (t.size, K):
            raise InvalidParameterError(f"index: {index!r} selects shape {curve.shape}, not one curve ({t.size}, {K})")
    if labels is None and measure == "site_populations":
        labels = [f"site {k + 1} ↓" for k in range(K)]
    elif labels is None:
        N = int(round(np.log2(K)))
        if 2**N != K:
            labels = [f"state {k}" for k in range(K)]
        else:
            labels = ["|" + "".join("↓" if (k >> (N - 1 - i)) & 1 else "↑" for i in range(N)) + "⟩"
                      for k in range(K)]
    elif len(labels) != K:
        raise InvalidParameterError(f"labels: need one per basis state ({K}), got {len(labels)}")
    ax = axes(ax)
    for k in range(K):
        ax.plot(t, curve[:, k], label=labels[k], **line_kw)
    ax.set_xlabel(tl if time_unit is None else label("t", unit=time_unit))
    ax.set_ylabel("population" if measure != "site_populations" else r"$P(\mathrm{site}\ i\ \downarrow)$")
    if t.size > 1:
        ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0, 1.02)
    if legend:
        ax.legend()
    return ax
