"""Paper-style figures of ``magbell reproduce --out DIR``: PNG, PDF and the plotted data as CSV.

A figure is a :class:`FigureJob` in the registry :data:`FIGURES` (file stem → job). A job names the
function computing its data (:data:`magbell.paper.FIGURE_DATA` for the ones here), a plotter that
draws that data on a fresh :class:`matplotlib.figure.Figure`, a caption and the CSV table of what is
plotted. :func:`render` runs one job and writes ``DIR/<name>.png``, ``.pdf`` and ``.csv``.

To add a figure (e.g. Fig. 3 once the postselected dynamics exist)::

    from magbell.figures import FigureJob, register
    register(FigureJob(name="fig3", title="Fig. 3", section="paper", data=fig3_data,
                       plot=plot_fig3, caption=caption_fig3, table=table_fig3), before="figS1a")

Figures that are planned but not registered yet are listed in :data:`PENDING`; the report shows
them as "not yet reproduced", so a reader sees what is missing. Remove an entry when its job is
registered.

Only the object-oriented matplotlib API is used (no ``pyplot``, no global backend change), so
building figures never opens a window and does not disturb a notebook's backend.

>>> list(FIGURES)[:2]
['fig2', 'figS1a']
>>> FIGURES["fig2"].title
'Fig. 2'
"""

from __future__ import annotations

import csv
import io
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import paper

__all__ = [
    "FigureJob",
    "FigureResult",
    "FIGURES",
    "PENDING",
    "STYLE",
    "register",
    "render",
    "write_csv",
]

#: matplotlib rc settings for a paper look (serif text, Computer Modern math, inward ticks)
STYLE = {
    "font.family": "serif",
    "font.serif": ["DejaVu Serif", "Times New Roman", "Times"],
    "mathtext.fontset": "cm",
    "font.size": 9.0,
    "axes.labelsize": 10.0,
    "axes.titlesize": 9.5,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.4,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.03,
    "pdf.fonttype": 42,
    "svg.fonttype": "none",
}
#: resolution of the PNG files (the PDF files are vector graphics)
PNG_DPI = 200
#: one column of a two-column paper, and the full width, in inches
COLUMN_W, FULL_W = 3.4, 6.8


@dataclass(frozen=True)
class FigureJob:
    """One figure of ``magbell reproduce --out``.

    name : file stem (``DIR/<name>.png``/``.pdf``/``.csv``) and key in :data:`FIGURES`.
    title : short label shown in the report ("Fig. 2", "Beyond (a)").
    section : ``"paper"`` (a figure of the paper) or ``"beyond"`` (goes past the paper's figures).
    data : ``() -> dict`` computing the plotted data (no arguments: the paper's parameters).
    plot : ``(data, fig) -> None`` drawing on an empty :class:`matplotlib.figure.Figure`.
    caption : ``(data) -> str``: the caption (plain Unicode text), stating every parameter and every
        choice the paper leaves open.
    table : ``(data) -> (columns, rows)``: what is plotted, for the CSV file.
    figsize : figure size in inches.
    """

    name: str
    title: str
    section: str
    data: Callable[[], dict]
    plot: Callable
    caption: Callable[[dict], str]
    table: Callable[[dict], tuple]
    figsize: tuple = (COLUMN_W, 2.55)


@dataclass
class FigureResult:
    """What :func:`render` produced: the data, caption, file paths and the time it took."""

    name: str
    title: str
    section: str
    caption: str
    data: dict
    files: dict = field(default_factory=dict)  # "png" | "pdf" | "csv" → Path
    png_bytes: bytes = b""
    seconds: float = 0.0


#: file stem → job, in the order the report shows them
FIGURES: dict = {}

#: figures planned by issue 5 that have no job yet: name → what is missing (shown in the report)
PENDING = {
    "fig3": "Fig. 3 and its inset (postselected, non-Hermitian dynamics): needs magbell.postselect (issue 3)",
    "pt_diagram": "Beyond (b): PT phase diagram over (δ, Γ) with success-probability contours: needs magbell.postselect (issue 3)",
    "tau_m": "Beyond (c): concurrence and success probability versus the measurement interval τ_m: needs magbell.postselect (issue 3)",
    "separation": "Beyond (d): long-time concurrence versus qubit separation for NV + YIG at a few temperatures: needs magbell.medium (issue 4)",
}


def register(job: FigureJob, *, before: str | None = None) -> FigureJob:
    """Add (or replace) a figure job; ``before`` puts it in front of an existing one in the report."""
    if job.section not in ("paper", "beyond"):
        raise ValueError(f"section must be 'paper' or 'beyond', got {job.section!r}")
    FIGURES.pop(job.name, None)
    if before is None or before not in FIGURES:
        FIGURES[job.name] = job
    else:
        items = list(FIGURES.items())
        k = [n for n, _ in items].index(before)
        items.insert(k, (job.name, job))
        FIGURES.clear()
        FIGURES.update(items)
    PENDING.pop(job.name, None)
    return job


# ----------------------------------------------------------------------------- helpers
def _num(x: float) -> str:
    """A parameter value for a caption: 2.0 → '2', 0.3 → '0.3', inf → '∞'."""
    x = float(x)
    if math.isinf(x):
        return "∞"
    return f"{x:.4g}"


def write_csv(path: Path, columns, rows) -> Path:
    """Write a CSV file: one header row of column names, then numbers (``repr`` precision; NaN as ``nan``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _cell(v):
    if isinstance(v, (str, bool, np.bool_)):
        return str(v)
    x = float(v)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x + 0.0)


def _curve_table(d: dict, names) -> tuple:
    cv = d["curves"]
    cols = ["t"] + list(names)
    rows = np.column_stack([cv["times"], np.asarray(cv["concurrence"]).T])
    return cols, rows


def _time_axes(fig, xlabel=r"$t$", ylabel=r"$\mathcal{C}(t)$"):
    ax = fig.add_subplot()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


# ----------------------------------------------------------------------------- Fig. 2
_FIG2_COLORS = {"black": "black", "orange": "#f28e00", "cyan": "#00b5d8", "red": "#d62728"}


def plot_fig2(d: dict, fig) -> None:
    cv = d["curves"]
    t = cv["times"]
    ax = _time_axes(fig, xlabel=r"$t$  (units of $1/a$)")
    for row, c in zip(d["rows"], cv["concurrence"]):
        lab = rf"$\delta = {_num(row['delta'])}$"
        lab += {"underdamped": " (underdamped)", "critical": r" (critical, $\delta = |A|$)",
                "overdamped": " (overdamped)"}[row["regime"]]
        if not row["delta_stated_in_paper"]:
            lab += "*"
        ax.plot(t, c, color=_FIG2_COLORS[row["color"]], label=lab)
    ax.text(t[-1] * 0.98, 0.515, r"$\mathcal{C}(\infty) = 1/2$", ha="right", va="bottom", fontsize=7.5,
            color="#d62728")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0, 0.6)
    leg = ax.legend(loc="lower right", bbox_to_anchor=(1.0, 0.08), handlelength=1.6, frameon=True,
                    facecolor="white", edgecolor="none", framealpha=0.9,
                    title=r"*: $\delta$ not given in the paper", title_fontsize=6.5)
    leg._legend_box.align = "right"
    ax.set_title(r"$a = |A| = 1$,  $\tilde a = |\tilde A| = 0$,  $\rho_0 = |{\uparrow\downarrow}\rangle$", pad=4)


def caption_fig2(d: dict) -> str:
    p = d["params"]
    rows = d["rows"]
    red = rows[-1]
    return (
        "Concurrence C(t) of two qubits from the initial state |↑↓⟩ at zero temperature "
        f"(a = |A| = {_num(p['a'])}, ã = |Ã| = 0), computed exactly with magbell.evolve on "
        f"{p['points']} times in [0, {_num(p['t_max'])}]. Black: underdamped regime, δ = "
        f"{_num(rows[0]['delta'])}* — the paper does not state δ for the black curve; we chose δ = 2 "
        "(any δ > |A| is underdamped: C oscillates at angular frequency 2ω0, ω0 = √(δ² − |A|²), under the "
        "envelope e^{−2at}). Orange: critical point δ = |A| = 1 (the exact form is "
        "C = 2|A| t e^{−2at} √(1 + |A|²t²), not ∝ t e^{−2at} as printed; see the errata). Cyan: δ = 0.3, "
        f"overdamped, lifetime τ = 1/(2(a − κ0)) = {_num(rows[2]['lifetime'])}. Red: δ = 0, the singlet is "
        f"dark and C(∞) = {red['C_inf']:.6f} (Eq. 10)."
    )


def table_fig2(d: dict) -> tuple:
    return _curve_table(d, [f"C_{r['color']}_delta={_num(r['delta'])}" for r in d["rows"]])


# ----------------------------------------------------------------------------- Fig. S1(a)
def _ramp_colors(n: int, last_red: bool = True):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    cols = [cmap(0.12 + 0.72 * k / max(1, n - 2)) for k in range(n - 1)]
    cols.append("#d62728" if last_red else cmap(0.95))
    return cols


def plot_figS1a(d: dict, fig) -> None:
    cv = d["curves"]
    t = cv["times"]
    ax = _time_axes(fig)
    cols = _ramp_colors(len(d["rows"]))
    for row, c, col in zip(d["rows"], cv["concurrence"], cols):
        ax.plot(t, c, color=col, label=rf"$|A| = {_num(row['A'])}$, $|\tilde A| = {_num(row['A_tilde'])}$")
    ax.annotate("", xy=(0.16, 0.33), xytext=(0.045, 0.07),
                arrowprops=dict(arrowstyle="-|>", color="0.55", lw=1.2))
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0, 0.42)
    ax.legend(loc="upper right", ncol=1, handlelength=1.4)
    ax.set_title(r"$a = 30$,  $\tilde a = 3$,  $\delta = 0$,  $|\tilde A| = |A|/10$", pad=4)


def caption_figS1a(d: dict) -> str:
    rows = d["rows"]
    last = rows[-1]
    lifes = ", ".join(_num(r["lifetime"]) for r in rows[:-1])
    return (
        "Concurrence C(t) from |↑↓⟩ at finite temperature: local rates a = 30, ã = 3, equal local fields "
        "δ = 0, and dissipative couplings |A| ∈ {20, 25, 27, 28, 29, 30} with |Ã| = |A|/10 (detailed balance, "
        "e^{−βΔ} = 0.1), increasing along the grey arrow. Only at the maximal couplings |A| = a = 30, "
        f"|Ã| = ã = 3 (red) does the entanglement persist: C(∞) = {last['C_inf']:.4f}, the paper's "
        "\"around 0.35\"; exactly (1 − r)²/(2(1 + r + r²)) with r = 0.1. The relaxation times "
        f"1/(slowest decay rate) of the other curves are {lifes}; at finite temperature C reaches 0 in "
        "finite time. The paper does not state its time axis; t ∈ "
        f"[0, {_num(d['params']['t_max'])}] is our choice."
    )


def table_figS1a(d: dict) -> tuple:
    return _curve_table(d, [f"C_A={_num(r['A'])}_At={_num(r['A_tilde'])}" for r in d["rows"]])


# ----------------------------------------------------------------------------- Fig. S1(b)
def plot_figS1b(d: dict, fig) -> None:
    cv = d["curves"]
    t = cv["times"]
    ax = _time_axes(fig)
    from matplotlib import colormaps

    cmap = colormaps["plasma"]
    n = len(d["rows"])
    for k, (row, c) in enumerate(zip(d["rows"], cv["concurrence"])):
        ax.plot(t, c, color=cmap(0.05 + 0.8 * k / (n - 1)), label=rf"$\delta = {_num(row['delta'])}$")
    ax.set_xlim(t[0], t[-1])
    ax.set_ylim(0, 0.42)
    ax.legend(loc="upper right", ncol=2, handlelength=1.4, columnspacing=1.0)
    ax.set_title(r"$a = |A| = 10$,  $\tilde a = |\tilde A| = 1$", pad=4)


def caption_figS1b(d: dict) -> str:
    rows = d["rows"]
    deaths = ", ".join(f"{_num(r['delta'])}: {_num(r['last_entangled_time'])}" for r in rows[1:])
    return (
        "Concurrence C(t) from |↑↓⟩ for a = |A| = 10, ã = |Ã| = 1 (maximal dissipative couplings, "
        "e^{−βΔ} = 0.1) and local-field asymmetry δ ∈ {0, 2, 4, 6, 8, 10, 16}. The lifetime decreases as δ "
        f"grows: δ = 0 keeps C(∞) = {rows[0]['C_inf']:.4f} (dark singlet); for δ > 0 the singlet is no longer "
        "dark and C reaches 0 at t ≈ (δ: time) " + deaths + ". The paper does not state its time axis; "
        f"t ∈ [0, {_num(d['params']['t_max'])}] is our choice."
    )


def table_figS1b(d: dict) -> tuple:
    return _curve_table(d, [f"C_delta={_num(r['delta'])}" for r in d["rows"]])


# ----------------------------------------------------------------------------- Fig. S2
def plot_figS2(d: dict, fig) -> None:
    from matplotlib import colormaps

    g = d["grid"]
    A, At, C = g["A"], g["A_tilde"], g["C_inf"]
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1.0], "wspace": 0.42})
    cmap = colormaps["magma"].copy()
    cmap.set_bad("white")
    dA = A[1] - A[0]
    dT = At[1] - At[0]
    extent = (A[0] - dA / 2, A[-1] + dA / 2, At[0] - dT / 2, At[-1] + dT / 2)
    im = ax.imshow(np.ma.masked_invalid(C), origin="lower", extent=extent, aspect="auto", cmap=cmap,
                   vmin=0.0, vmax=0.5, interpolation="nearest")
    # the unphysical region |Ã| > |A|, hatched
    ax.fill_between([0, A[-1]], [0, A[-1]], [A[-1], A[-1]], facecolor="none", edgecolor="0.6",
                    hatch="////", lw=0)
    ax.plot([0, A[-1]], [0, A[-1]], color="0.3", lw=0.8)
    ax.text(0.27 * A[-1], 0.8 * A[-1], "unphysical\n" + r"$|\tilde A| > |A|$", ha="center", va="center",
            fontsize=7.5, color="0.2", bbox=dict(facecolor="white", edgecolor="none", pad=1.5))
    ax.set_xlim(0, A[-1])
    ax.set_ylim(0, A[-1])
    ax.set_xlabel(r"$|A| = a$")
    ax.set_ylabel(r"$|\tilde A| = \tilde a$")
    cb = fig.colorbar(im, ax=ax, fraction=0.07, pad=0.03)
    cb.set_label(r"$\mathcal{C}(\infty)$")
    ax.set_title(r"$\delta = 0$,  $\rho_0 = |{\uparrow\downarrow}\rangle$", pad=4)
    # right: collapse onto C(r)
    r = g["r"]
    ok = np.isfinite(C)
    ax2.plot(r[ok], C[ok], ls="none", marker=".", ms=2.0, color="#3b0f70", alpha=0.5,
             label="magbell, all grid points")
    rr = np.linspace(0, 1, 201)
    ax2.plot(rr, (1 - rr) ** 2 / (2 * (1 + rr + rr * rr)), color="#f28e00", lw=1.1,
             label=r"$\frac{(1-r)^2}{2(1+r+r^2)}$")
    ax2.set_xlabel(r"$r = |\tilde A|/|A| = e^{-\beta\Delta}$")
    ax2.set_ylabel(r"$\mathcal{C}(\infty)$")
    ax2.set_xlim(0, 1)
    ax2.set_ylim(0, 0.52)
    ax2.legend(loc="upper right", handlelength=1.4)


def caption_figS2(d: dict) -> str:
    g = d["grid"]
    n = len(g["A"])
    return (
        "Left: steady-state concurrence C(∞) from |↑↓⟩ over the dissipative couplings |A| and |Ã|, each at its "
        "maximal allowed value (a = |A|, ã = |Ã|), with δ = 0; exact magbell.steady_state on a "
        f"{n} × {n} grid (|A| up to {_num(d['params']['A_max'])}; the unit is arbitrary, C(∞) depends only on "
        "r = |Ã|/|A|). The axis |Ã| = 0 (zero temperature) gives C(∞) = 1/2; the diagonal |Ã| = |A| (infinite "
        "temperature) gives 0; |Ã| > |A| is unphysical (hatched). Right: every grid point against "
        "r = |Ã|/|A| = e^{−βΔ}, on the closed form C(∞) = (1 − r)²/(2(1 + r + r²)) derived in docs/errata.md "
        f"(item 8; not printed in the paper); max |magbell − closed form| = {d['max_deviation_from_closed_form']:.1e}."
    )


def table_figS2(d: dict) -> tuple:
    g = d["grid"]
    AA, TT = np.meshgrid(g["A"], g["A_tilde"])
    ok = np.isfinite(g["C_inf"])
    rows = np.column_stack([AA[ok], TT[ok], g["r"][ok], g["C_inf"][ok], g["closed_form"][ok]])
    return ["A_abs", "A_tilde_abs", "r", "C_inf", "C_inf_closed_form"], rows


# ----------------------------------------------------------------------------- Beyond (a): lifetime map
def plot_lifetime_map(d: dict, fig) -> None:
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    g = d["grid"]
    x, y, tau = g["delta_over_A"], g["A_over_a"], g["tau"]
    ax = fig.add_subplot()
    vmin, vmax = 0.5, 50.0
    cmap = colormaps["viridis"].copy()
    cmap.set_over("#fde725")
    shown = np.clip(np.where(np.isfinite(tau), tau, vmax * 10), vmin, None)
    pc = ax.pcolormesh(x, y, shown, shading="nearest", cmap=cmap, norm=LogNorm(vmin=vmin, vmax=vmax),
                       rasterized=True)
    levels = [0.75, 1, 2, 5, 10]
    cs = ax.contour(x, y, np.where(np.isfinite(tau), tau, 1e6), levels=levels, colors="white",
                    linewidths=0.6)
    ax.clabel(cs, fmt=lambda v: f"{v:g}", fontsize=6.5, inline_spacing=2)
    ax.axvline(1.0, color="#d62728", lw=1.2, ls="--")
    ax.text(1.03, 0.06, r"critical line $\delta = |A|$", color="#d62728", fontsize=7.5, rotation=90,
            va="bottom", ha="left")
    ax.text(0.5, 0.12, "overdamped", color="white", fontsize=8, ha="center")
    ax.text(1.5, 0.12, "underdamped\n" + r"$\tau = 1/2a$", color="white", fontsize=8, ha="center")
    # Fig. 2's curves (a = |A| = 1)
    for xd, col in ((2.0, "black"), (1.0, "#f28e00"), (0.3, "#00b5d8"), (0.0, "#d62728")):
        ax.plot([xd], [1.0], marker="o", ms=4.5, mfc=col, mec="white", mew=0.7, clip_on=False, zorder=5)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(y[0], y[-1])
    ax.set_xlabel(r"$\delta/|A|$")
    ax.set_ylabel(r"$|A|/a$")
    cb = fig.colorbar(pc, ax=ax, extend="max", pad=0.03)
    cb.set_ticks([0.5, 1, 2, 5, 10, 20, 50])
    cb.set_ticklabels(["0.5", "1", "2", "5", "10", "20", "50"])
    cb.minorticks_off()
    cb.set_label(r"$a\,\tau$")
    ax.set_title(r"$T = 0$:  $\tilde a = |\tilde A| = 0$", pad=4)


def caption_lifetime_map(d: dict) -> str:
    g = d["grid"]
    return (
        "Beyond the paper (a): entanglement lifetime τ (in units of 1/a) over the detuning ratio δ/|A| and the "
        "dissipative coupling |A|/a at zero temperature, from the Liouvillian spectrum (magbell.spectrum: τ = "
        f"1/slowest decay rate of the populations–ρ12 sector) on a {len(g['A_over_a'])} × {len(g['delta_over_A'])} "
        "grid. The dashed line δ = |A| is the critical (exceptional) line: to its right (underdamped) τ = 1/(2a) "
        "whatever |A|; to its left τ = 1/(2(a − √(|A|² − δ²))) grows without bound as |A| → a and δ → 0, the "
        "dark-singlet point of Eq. (10) (τ = ∞, top-left corner). White lines: contours of aτ. Dots: the four "
        "curves of Fig. 2. Agreement with the closed form of S64 (1/τ = 2(a − Re κ0)): max relative deviation "
        f"{d['max_rel_deviation']:.1e}; the divergent points agree."
    )


def table_lifetime_map(d: dict) -> tuple:
    g = d["grid"]
    X, Y = np.meshgrid(g["delta_over_A"], g["A_over_a"])
    rows = np.column_stack([X.ravel(), Y.ravel(), g["tau"].ravel(), g["tau_closed_form"].ravel()])
    reg = np.asarray(g["regime"]).ravel()
    rows = [list(r) + [s] for r, s in zip(rows, reg)]
    return ["delta_over_A", "A_over_a", "a_tau", "a_tau_closed_form", "regime"], rows


# ----------------------------------------------------------------------------- registry
for _job in (
    FigureJob("fig2", "Fig. 2", "paper", paper.fig2_data, plot_fig2, caption_fig2, table_fig2,
              figsize=(COLUMN_W, 2.7)),
    FigureJob("figS1a", "Fig. S1(a)", "paper", paper.figS1a_data, plot_figS1a, caption_figS1a, table_figS1a),
    FigureJob("figS1b", "Fig. S1(b)", "paper", paper.figS1b_data, plot_figS1b, caption_figS1b, table_figS1b),
    FigureJob("figS2", "Fig. S2", "paper", paper.figS2_data, plot_figS2, caption_figS2, table_figS2,
              figsize=(FULL_W, 2.6)),
    FigureJob("lifetime_map", "Beyond (a)", "beyond", paper.lifetime_map_data, plot_lifetime_map,
              caption_lifetime_map, table_lifetime_map, figsize=(COLUMN_W + 0.4, 2.8)),
):
    register(_job)
del _job


# ----------------------------------------------------------------------------- rendering
def draw(job: FigureJob, data: dict):
    """A :class:`matplotlib.figure.Figure` of ``job`` drawn from ``data`` in the paper style."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=job.figsize)
        job.plot(data, fig)
    return fig


def render(job: FigureJob, out_dir=None, data: dict | None = None) -> FigureResult:
    """Compute (unless ``data`` is given) and draw one figure; write PNG, PDF and CSV into ``out_dir``.

    Without ``out_dir`` nothing is written and only the PNG bytes are kept (e.g. for a notebook).
    """
    import matplotlib

    t0 = time.perf_counter()
    if data is None:
        data = job.data()
    fig = draw(job, data)
    res = FigureResult(job.name, job.title, job.section, job.caption(data), data)
    with matplotlib.rc_context(STYLE):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": "magbell"})
        res.png_bytes = buf.getvalue()
        if out_dir is not None:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            png = out / f"{job.name}.png"
            png.write_bytes(res.png_bytes)
            pdf = out / f"{job.name}.pdf"
            # fontTools (TrueType embedding) logs harmless warnings about the fonts' timestamps
            ft = logging.getLogger("fontTools")
            level = ft.level
            ft.setLevel(logging.ERROR)
            try:
                fig.savefig(pdf, format="pdf", metadata={"Creator": "magbell", "CreationDate": None})
            finally:
                ft.setLevel(level)
            cols, rows = job.table(data)
            res.files = {"png": png, "pdf": pdf, "csv": write_csv(out / f"{job.name}.csv", cols, rows)}
    res.seconds = time.perf_counter() - t0
    return res
