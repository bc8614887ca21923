"""The paper's figures and numbers, reproduced: the data behind ``magbell reproduce``.

Each job is a function returning a plain dict (tables as ``rows``; full curves as NumPy arrays under
``"curves"``), collected in :data:`REPRODUCE_JOBS`, so that figures, CSV files and reports can be
built on top of :func:`reproduce` without recomputing anything.
"""

from __future__ import annotations

import math

import numpy as np

from .dynamics import evolve as _evolve
from .model import Model
from .steady import spectrum as _spectrum
from .steady import steady_state as _steady_state

__all__ = ["REPRODUCE_JOBS", "reproduce", "fig2_data", "figS1a_data", "paper_regime", "PRINTERS"]

def _fmt(x, width: int = 12, prec: int = 7) -> str:
    """Right-aligned number in ``width`` characters, always with at least one leading space."""
    x = float(x) + 0.0
    if math.isinf(x):
        return f"{'inf' if x > 0 else '-inf':>{width}}"
    return " " + f"{x:>{width - 1}.{prec}g}"




#: Fig. 2 curves: (colour, delta, whether the paper states this delta)
FIG2_CURVES = (("black", 2.0, False), ("orange", 1.0, True), ("cyan", 0.3, True), ("red", 0.0, True))
FIG2_SAMPLE_TIMES = (0.25, 0.5, 1.0, 2.0, 5.0)
FIG2_NOTE = (
    "the paper does not state delta for the black (underdamped) curve; delta = 2.0 is our choice "
    "(any delta > |A| = 1 is underdamped)"
)
FIGS1A_A = (20.0, 25.0, 27.0, 28.0, 29.0, 30.0)


def paper_regime(delta: float, A_abs: float) -> str:
    """Regime of the zero-temperature dynamics by the paper's criterion (Eqs. 8-9): delta vs |A|."""
    if math.isclose(delta, A_abs, rel_tol=1e-12, abs_tol=0.0):
        return "critical"
    return "underdamped" if delta > A_abs else "overdamped"


def _lifetimes(sp, c_inf):
    """(entanglement lifetime, relaxation time) from the spectrum: 1/entanglement_rate (∞ where a
    second stationary state keeps C(∞) > 0, e.g. |A| = a) and 1/slowest_rate (the spectral gap)."""
    with np.errstate(divide="ignore"):
        return np.asarray(sp.entanglement_lifetime, dtype=float), 1.0 / np.asarray(sp.slowest_rate, dtype=float)


def fig2_data(t_max: float = 5.0, points: int = 2001) -> dict:
    """Fig. 2: a = |A| = 1, a~ = A~ = 0, initial |ud>, the four delta of FIG2_CURVES."""
    deltas = np.array([c[1] for c in FIG2_CURVES])
    model = Model(a=1.0, A=1.0, delta=deltas)
    times = np.linspace(0.0, t_max, points)
    c = _evolve(model, "ud", times).concurrence  # (4, points)
    samples = _evolve(model, "ud", np.array(FIG2_SAMPLE_TIMES)).concurrence
    st = _steady_state(model, "ud")
    sp = _spectrum(model)
    life, relax = _lifetimes(sp, st.concurrence)
    rows = []
    for i, (color, delta, stated) in enumerate(FIG2_CURVES):
        k = int(np.argmax(c[i]))
        rows.append(
            {
                "color": color,
                "delta": delta,
                "delta_stated_in_paper": stated,
                "regime": paper_regime(delta, 1.0),
                "spectrum_regime": str(sp.regime[i]),
                "C_samples": samples[i],
                "C_max": float(c[i, k]),
                "t_at_C_max": float(times[k]),
                "C_inf": float(st.concurrence[i]),
                "unique": bool(st.unique[i]),
                "lifetime": float(life[i]),
                "relaxation_time": float(relax[i]),
            }
        )
    return {
        "title": "Fig. 2: concurrence from |ud> at zero temperature",
        "params": {"a": 1.0, "A": 1.0, "a_tilde": 0.0, "A_tilde": 0.0, "initial": "ud",
                   "t_min": 0.0, "t_max": float(t_max), "points": int(points)},
        "note": FIG2_NOTE,
        "sample_times": list(FIG2_SAMPLE_TIMES),
        "rows": rows,
        "curves": {"times": times, "concurrence": c, "labels": [r["color"] for r in rows]},
    }


def figS1a_data() -> dict:
    """Fig. S1(a): a = 30, a~ = 3, |A| in FIGS1A_A, A~ = |A|/10, delta = 0, initial |ud>."""
    A = np.array(FIGS1A_A)
    model = Model(a=30.0, A=A, a_tilde=3.0, A_tilde=A / 10, delta=0.0)
    st = _steady_state(model, "ud")
    sp = _spectrum(model)
    life, relax = _lifetimes(sp, st.concurrence)
    rows = [
        {
            "A": float(A[i]),
            "A_tilde": float(A[i] / 10),
            "C_inf": float(st.concurrence[i]),
            "unique": bool(st.unique[i]),
            "lifetime": float(life[i]),
            "relaxation_time": float(relax[i]),
        }
        for i in range(len(A))
    ]
    return {
        "title": "Fig. S1(a): steady concurrence at finite temperature",
        "params": {"a": 30.0, "a_tilde": 3.0, "delta": 0.0, "A_tilde/A": 0.1, "initial": "ud"},
        "note": "C(inf) = 0 except at |A| = a = 30, |A~| = a~ = 3, where it is (1-r)^2/(2(1+r+r^2)) = 0.3649 (r = 0.1)",
        "rows": rows,
    }


#: name → function returning that job's data dict (extend to add figures/tables)
REPRODUCE_JOBS = {"fig2": fig2_data, "figS1a": figS1a_data}


def reproduce(jobs=None) -> dict:
    """Run the reproduction jobs (all by default); returns ``{name: data}``."""
    names = list(REPRODUCE_JOBS) if jobs is None else list(jobs)
    return {name: REPRODUCE_JOBS[name]() for name in names}


def _strip_curves(data: dict) -> dict:
    return {name: {k: v for k, v in d.items() if k != "curves"} for name, d in data.items()}


def _life_str(x: float, w: int = 10) -> str:
    return f"{'inf':>{w}}" if math.isinf(x) else _fmt(x, w, 6)


def print_fig2(d: dict) -> None:
    p = d["params"]
    print(f"{d['title']}  (a = |A| = {p['a']:g}, a~ = A~ = 0, t in [0, {p['t_max']:g}], {p['points']} points)")
    print(f"note: {d['note']}")
    head = f"{'curve':<8}{'delta':>6}  {'regime':<12}"
    head += "".join(f"{'C(' + format(t, 'g') + ')':>10}" for t in d["sample_times"])
    head += f"{'C_max':>10}{'t(C_max)':>10}{'C(inf)':>10}{'unique':>8}{'lifetime':>10}"
    print(head)
    for r in d["rows"]:
        line = f"{r['color']:<8}{r['delta']:>6g}  {r['regime']:<12}"
        line += "".join(_fmt(c, 10, 5) for c in r["C_samples"])
        line += _fmt(r["C_max"], 10, 5) + _fmt(r["t_at_C_max"], 10, 4) + _fmt(r["C_inf"], 10, 5)
        line += f"{'yes' if r['unique'] else 'no':>8}" + _life_str(r["lifetime"])
        print(line)
    print("regime: paper's criterion (Eqs. 8-9), delta vs |A|; lifetime: 1/(slowest |q|=0 decay rate) from "
          "magbell.spectrum, inf where C(inf) > 0")


def print_figS1a(d: dict) -> None:
    p = d["params"]
    print(f"{d['title']}  (a = {p['a']:g}, a~ = {p['a_tilde']:g}, A~ = |A|/10, delta = 0, initial |ud>)")
    print(f"note: {d['note']}")
    print(f"{'|A|':>6}{'|A~|':>8}{'C(inf)':>12}{'unique':>8}{'lifetime':>12}")
    for r in d["rows"]:
        print(f"{r['A']:>6g}{r['A_tilde']:>8g}" + _fmt(r["C_inf"], 12, 6)
              + f"{'yes' if r['unique'] else 'no':>8}" + _life_str(r["lifetime"], 12))


PRINTERS = {"fig2": print_fig2, "figS1a": print_figS1a}
