"""``FitResult.plot()``: data with error bars and the fitted curves per (preparation, observable), residuals below."""

from __future__ import annotations

import numpy as np

from .._optional import require
from ..errors import MissingDependencyError
from ._data import TIME_UNITS
from ._likelihood import observable_values

__all__ = ["plot_fit"]


class PlotUnavailableError(MissingDependencyError):
    """matplotlib is not installed (kept for compatibility; the general class is MissingDependencyError)."""


def plot_fit(result, ax=None):
    try:
        plt = require("matplotlib.pyplot", "plot", what="plot()")
    except MissingDependencyError as e:
        raise PlotUnavailableError(str(e)) from None
    problem, space = result._problem, result._space
    data = problem.data
    unit = result.time_unit if result.time_unit in TIME_UNITS else "s"
    sc = TIME_UNITS[unit]
    pred = result.predict()
    res = result.residuals()
    # smooth curves on a fine grid for every (initial, observable) present
    keys = list(dict.fromkeys(zip(data.initial.tolist(), data.observable.tolist())))
    tt = np.linspace(0, float(data.time.max()), 201)
    fine_lik = _fine_curves(problem, space, result._x, tt)
    if ax is None:
        fig, (a0, a1) = plt.subplots(2, 1, sharex=True, figsize=(7, 6), gridspec_kw={"height_ratios": [3, 1]})
    else:
        a0, a1 = ax
        fig = a0.figure
    codes = ("p_uu", "p_ud", "p_du", "p_dd", "z1", "z2", "z1z2", "cov")
    for n, (s, o) in enumerate(keys):
        m = (data.initial == s) & (data.observable == o)
        err = np.where(np.isfinite(data.stderr[m]), data.stderr[m],
                       np.sqrt(np.maximum(pred[m] * (1 - pred[m]), 1e-12) / np.maximum(data.shots[m], 1)))
        line = a0.errorbar(data.time[m] / sc, data.value[m], yerr=err, fmt="o", ms=3, label=f"{s}: {o}")
        col = line[0].get_color()
        q = fine_lik[s]
        a0.plot(tt / sc, observable_values(q[None], np.full(len(tt), codes.index(o)))[0], color=col, lw=1)
        a1.plot(data.time[m] / sc, res[m], "o", ms=3, color=col)
    a0.set_ylabel("value")
    a0.legend(fontsize=7, ncol=2)
    a1.axhline(0, color="k", lw=0.5)
    a1.set_ylabel("residual")
    a1.set_xlabel(f"time [{unit}]")
    a0.set_title("magbell.sensing fit: " + ", ".join(f"{p}={result.estimates[p]:.4g}" for p in result.parameters))
    return fig


def _fine_curves(problem, space, x, tt):
    from ..solvers._evolve import evolve

    v = space.natural(np.asarray(x)[None])
    model = space.model(v)
    ini = list(problem.lik.initials)
    pops = evolve(model, ini, tt / problem.tau, measures=("populations",)).measures["populations"][0]  # (S, T, 4)
    out = {}
    for i, s in enumerate(ini):
        p = pops[i][None]
        fu = v["readout_up"][0]
        fd = v["readout_down"][0]
        rows = np.flatnonzero(problem.data.initial == s)
        if np.isnan(fu):
            fu = problem.data.readout_up[rows[0]]
        if np.isnan(fd):
            fd = problem.data.readout_down[rows[0]]
        M = np.array([[fu, 1 - fd], [1 - fu, fd]])
        q = np.einsum("ik,jl,tkl->tij", M, M, p[0].reshape(-1, 2, 2)).reshape(-1, 4)
        out[s] = q
    return out
