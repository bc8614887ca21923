"""Paper-style figures of ``magbell reproduce --out DIR``: PNG, PDF and the plotted data as CSV.

A figure is a :class:`FigureJob` in the registry :data:`FIGURES` (file stem → job). A job names the
function computing its data (:data:`magbell.paper.FIGURE_DATA` for the ones here), a plotter that
draws that data on a fresh :class:`matplotlib.figure.Figure`, a caption and the CSV table of what is
plotted. :func:`render` runs one job and writes ``DIR/<name>.png``, ``.pdf`` and ``.csv``.

To add a figure::

    from magbell.paper.figures import FigureJob, register
    register(FigureJob(name="figX", title="Fig. X", section="beyond", data=figX_data,
                       plot=plot_figX, caption=caption_figX, table=table_figX), before="lifetime_map")

Figures that are planned but not registered yet are listed in :data:`PENDING`; the report shows
them as "not yet reproduced", so a reader sees what is missing. Remove an entry when its job is
registered.

Only the object-oriented matplotlib API is used (no ``pyplot``, no global backend change), so
building figures never opens a window and does not disturb a notebook's backend.

>>> list(FIGURES)[:3]
['fig2', 'fig3', 'figS1a']
>>> FIGURES["fig2"].title
'Fig. 2'
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _jobs as paper
from ._plots import (  # the paper figures' plotters, captions and CSV tables (re-exported)
    caption_fig2,
    caption_fig3,
    caption_figS1a,
    caption_figS1b,
    caption_figS2,
    caption_lifetime_map,
    caption_pt_diagram,
    caption_tau_m,
    plot_fig2,
    plot_fig3,
    plot_figS1a,
    plot_figS1b,
    plot_figS2,
    plot_lifetime_map,
    plot_pt_diagram,
    plot_tau_m,
    table_fig2,
    table_fig3,
    table_figS1a,
    table_figS1b,
    table_figS2,
    table_lifetime_map,
    table_pt_diagram,
    table_tau_m,
)

__all__ = [
    "FigureJob",
    "FigureResult",
    "FIGURES",
    "PENDING",
    "STYLE",
    "register",
    "render",
    "write_csv",
    "Columns",
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
PENDING: dict = {}  # every planned figure (Figs. 2, 3, S1, S2 and beyond (a)–(f)) is registered


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


# ----------------------------------------------------------------------------- CSV
class Columns(tuple):
    """A CSV body given column by column for :func:`write_csv`: one 1-D array (numbers, strings or booleans)
    per column, all of one length — the fast form for large grids with a text column."""


def write_csv(path: Path, columns, rows) -> Path:
    """Write a CSV file: one header row of column names, then the rows.

    ``rows``: a 2-D numeric array, a sequence of row sequences, or :class:`Columns`.

    Numbers are written at full precision in their shortest round-trip form (``repr``: ``0.1``, ``1e-05``;
    NaN as ``nan``, ±∞ as ``inf``/``-inf``, −0 as ``0.0``), strings and booleans as text, quoted where they hold
    a comma, quote or line break. Formatting is vectorised per column with NumPy (the per-cell Python loop it
    replaces cost 0.5 s of ``magbell reproduce``).
    """
    ncol = len(columns)
    if isinstance(rows, Columns):
        if len(rows) != ncol or len({np.shape(c) for c in rows}) > 1:
            raise ValueError(f"write_csv: Columns needs {ncol} 1-D arrays of one length")
        cols = [_array_text(np.asarray(c)) for c in rows]
        nrow = len(rows[0]) if ncol else 0
    elif isinstance(rows, np.ndarray) and rows.dtype.kind in "biuf":
        arr = np.asarray(rows, dtype=float).reshape(-1, ncol)
        cols = [_float_text(arr[:, k]) for k in range(ncol)]
        nrow = arr.shape[0]
    else:
        rows = list(rows)
        nrow = len(rows)
        if any(len(r) != ncol for r in rows):
            raise ValueError(f"write_csv: every row needs {ncol} cells")
        cols = [_column_text([r[k] for r in rows]) for k in range(ncol)]
    lines = [",".join(_quote(str(c)) for c in columns)]
    if nrow:
        lines += [",".join(r) for r in zip(*(c.tolist() for c in cols))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _float_text(x: np.ndarray) -> np.ndarray:
    """Shortest round-trip text of each float (NumPy's ``str`` of a float64 is Python's ``repr``)."""
    return (np.asarray(x, dtype=np.float64) + 0.0).astype(str)


def _array_text(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "iuf":
        return _float_text(a)
    if a.dtype.kind == "b":
        return np.where(a, "True", "False")
    u, inv = np.unique(a.astype(str), return_inverse=True)  # few distinct labels: quote each once
    return np.array([_quote(x) for x in u.tolist()], dtype=object)[inv.reshape(a.shape)]


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _column_text(values: list) -> np.ndarray:
    if all(_is_number(v) for v in values):
        return _float_text(np.array(values, dtype=float))
    return np.array([_quote(str(v)) if not _is_number(v) else repr(float(v) + 0.0) for v in values], dtype=object)


def _quote(s: str) -> str:
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


# ----------------------------------------------------------------------------- Beyond (d)–(f): NV + YIG film
# (film model, magbell.paper._film_jobs / magbell.paper._figures_film)
from ._figures_film import caption_nv_pair_map, caption_nv_relaxometry, caption_separation  # noqa: E402
from ._figures_film import plot_nv_pair_map, plot_nv_relaxometry, plot_separation  # noqa: E402
from ._figures_film import table_nv_pair_map, table_nv_relaxometry, table_separation  # noqa: E402


# ----------------------------------------------------------------------------- registry
for _job in (
    FigureJob("fig2", "Fig. 2", "paper", paper.fig2_data, plot_fig2, caption_fig2, table_fig2,
              figsize=(COLUMN_W, 2.7)),
    FigureJob("fig3", "Fig. 3", "paper", paper.fig3_data, plot_fig3, caption_fig3, table_fig3,
              figsize=(FULL_W * 0.85, 2.5)),
    FigureJob("figS1a", "Fig. S1(a)", "paper", paper.figS1a_data, plot_figS1a, caption_figS1a, table_figS1a),
    FigureJob("figS1b", "Fig. S1(b)", "paper", paper.figS1b_data, plot_figS1b, caption_figS1b, table_figS1b),
    FigureJob("figS2", "Fig. S2", "paper", paper.figS2_data, plot_figS2, caption_figS2, table_figS2,
              figsize=(FULL_W, 2.6)),
    FigureJob("lifetime_map", "Beyond (a)", "beyond", paper.lifetime_map_data, plot_lifetime_map,
              caption_lifetime_map, table_lifetime_map, figsize=(COLUMN_W + 0.4, 2.8)),
    FigureJob("pt_diagram", "Beyond (b)", "beyond", paper.pt_diagram_data, plot_pt_diagram, caption_pt_diagram,
              table_pt_diagram, figsize=(COLUMN_W + 0.4, 2.8)),
    FigureJob("tau_m", "Beyond (c)", "beyond", paper.tau_m_data, plot_tau_m, caption_tau_m, table_tau_m,
              figsize=(FULL_W, 2.5)),
    FigureJob("separation", "Beyond (d)", "beyond", paper.separation_data, plot_separation, caption_separation,
              table_separation, figsize=(FULL_W, 2.4)),
    FigureJob("nv_relaxometry", "Beyond (e)", "beyond", paper.nv_relaxometry_data, plot_nv_relaxometry,
              caption_nv_relaxometry, table_nv_relaxometry, figsize=(FULL_W, 2.5)),
    FigureJob("nv_pair_map", "Beyond (f)", "beyond", paper.nv_pair_map_data, plot_nv_pair_map, caption_nv_pair_map,
              table_nv_pair_map, figsize=(FULL_W, 2.55)),
):
    register(_job)
del _job


# ----------------------------------------------------------------------------- rendering
def draw(job: FigureJob, data: dict):
    """A :class:`matplotlib.figure.Figure` of ``job`` drawn from ``data`` in the paper style."""
    from .._optional import require

    matplotlib = require("matplotlib", "plot", what="drawing the paper's figures")
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=job.figsize)
        job.plot(data, fig)
    return fig


@contextlib.contextmanager
def shared_mathtext_cache():
    """Within the block, every matplotlib renderer shares one cache of parsed mathtext.

    matplotlib caches a parsed ``$...$`` string per renderer (``MathTextParser._parse_cached``, an
    ``lru_cache`` keyed on the parser instance), and every ``savefig`` makes new renderers, so the same label
    ('$\\mathcal{C}(t)$', '$\\delta$', log-axis tick labels) was parsed again for each figure and format —
    pyparsing is the largest single cost of drawing the figures. The shared cache uses the same key plus the
    parser's output type (raster or vector), so it returns what the parser would. Nested blocks share the outer
    cache; the original method is restored on exit. Without that private method (another matplotlib), a no-op.
    """
    from matplotlib import mathtext

    orig = mathtext.MathTextParser.__dict__.get("_parse_cached")
    if orig is None or getattr(orig, "_magbell_shared", False):
        yield
        return
    cache: dict = {}

    def _parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
        key = (self._output_type, s, dpi, prop, antialiased, load_glyph_flags)
        try:
            return cache[key]
        except KeyError:
            out = cache[key] = orig(self, s, dpi, prop, antialiased, load_glyph_flags)
            return out
        except TypeError:  # an unhashable property: parse without caching
            return orig(self, s, dpi, prop, antialiased, load_glyph_flags)

    _parse_cached._magbell_shared = True
    mathtext.MathTextParser._parse_cached = _parse_cached
    try:
        yield
    finally:
        mathtext.MathTextParser._parse_cached = orig


def tight_bbox(fig):
    """The figure's tight bounding box in inches, padded as ``savefig.bbox = "tight"`` pads it, computed once.

    ``savefig(bbox_inches="tight")`` lays the whole figure out again for every file it writes (text extents,
    mathtext parsing, ticks); computing the box once at the PNG resolution and passing it to both ``savefig``
    calls leaves one layout and one draw per format. The box is in inches, so it is the same for PNG and PDF.
    Every registered figure's PNG is pixel-identical to the ``"tight"`` one (checked when this was written).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(PNG_DPI)  # lay out at the PNG's resolution: the PNG draw then reuses the parsed mathtext
    renderer = FigureCanvasAgg(fig).get_renderer()
    if fig.get_layout_engine() is not None:  # constrained/tight layout positions the axes only when drawn
        fig.draw_without_rendering()
    return fig.get_tightbbox(renderer).padded(STYLE["savefig.pad_inches"])


def render(job: FigureJob, out_dir=None, data: dict | None = None) -> FigureResult:
    """Compute (unless ``data`` is given) and draw one figure; write PNG, PDF and CSV into ``out_dir``.

    Without ``out_dir`` nothing is written and only the PNG bytes are kept (e.g. for a notebook).
    """
    from .._optional import require

    matplotlib = require("matplotlib", "plot", what="drawing the paper's figures")

    t0 = time.perf_counter()
    if data is None:
        data = job.data()
    with shared_mathtext_cache():
        res = _render(matplotlib, job, out_dir, data)
    res.seconds = time.perf_counter() - t0
    return res


def _render(matplotlib, job: FigureJob, out_dir, data: dict) -> FigureResult:
    fig = draw(job, data)
    res = FigureResult(job.name, job.title, job.section, job.caption(data), data)
    with matplotlib.rc_context(STYLE):
        bbox = tight_bbox(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=PNG_DPI, bbox_inches=bbox, metadata={"Software": "magbell"})
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
                fig.savefig(pdf, format="pdf", bbox_inches=bbox, metadata={"Creator": "magbell", "CreationDate": None})
            finally:
                ft.setLevel(level)
            cols, rows = job.table(data)
            res.files = {"png": png, "pdf": pdf, "csv": write_csv(out / f"{job.name}.csv", cols, rows)}
    return res
