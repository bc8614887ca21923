"""The reproduction of Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022): the paper's data, closed forms,
claims, figures and report — built ON the library, never imported BY it.

This subpackage is an application of magbell, not part of its API for simulation: nothing in
``magbell`` outside ``magbell.paper`` imports it, except the command function of ``magbell reproduce``
(:mod:`magbell.cli`), which imports it when it runs. Its modules:

* the data of every figure and table (plain dicts of NumPy arrays): :func:`fig2_data`, :func:`fig3_data`,
  :func:`figS1a_data`, :func:`figS1b_data`, :func:`figS2_data`, :func:`lifetime_map_data`,
  :func:`pt_diagram_data`, :func:`tau_m_data`, :func:`separation_data`, :func:`nv_relaxometry_data`,
  :func:`nv_pair_map_data`; :data:`REPRODUCE_JOBS` and :func:`reproduce` (the tables of plain
  ``magbell reproduce``), :data:`FIGURE_DATA` (private modules ``_jobs``, ``_film_jobs``);
* :mod:`magbell.paper.closed_forms`, :mod:`magbell.paper.closed_forms_postselect` — the paper's printed
  equations as independent reference implementations (corrected where docs/errata.md says so);
* :mod:`magbell.paper.claims` — every quantitative statement of the paper checked against the numerics;
* :mod:`magbell.paper.figures` — the figure jobs (PNG, PDF, CSV);
* :func:`reproduce_to` — ``magbell reproduce --out DIR``: figures, claims table and report.html (``_report``).

matplotlib is imported only when a figure is drawn.
"""

from __future__ import annotations

from ._jobs import (
    FIGURE_DATA,
    PRINTERS,
    REPRODUCE_JOBS,
    fig2_data,
    fig3_data,
    figS1a_data,
    figS1b_data,
    figS2_data,
    lifetime_map_data,
    nv_pair_map_data,
    nv_relaxometry_data,
    paper_regime,
    pt_diagram_data,
    reproduce,
    separation_data,
    tau_m_data,
)
from ._report import reproduce_to

__all__ = [
    "FIGURE_DATA", "PRINTERS", "REPRODUCE_JOBS", "reproduce", "reproduce_to", "paper_regime",
    "fig2_data", "fig3_data", "figS1a_data", "figS1b_data", "figS2_data", "lifetime_map_data",
    "pt_diagram_data", "tau_m_data", "separation_data", "nv_relaxometry_data", "nv_pair_map_data",
]
