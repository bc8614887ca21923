"""Plotting helpers for magbell's results (optional extra ``plot``: ``pip install 'magbell[plot]'``).

Plain functions that draw on a matplotlib Axes and return it (pass ``ax=`` to draw into your own figure;
without it a new pyplot figure is made). Axis labels use the paper's symbols and the ``units`` /
``long_name`` attributes of the Dataset or result. matplotlib is imported when a function is called, never
by ``import magbell`` or ``import magbell.plot``; without it the call raises
:class:`magbell.MissingDependencyError` naming the extra.

==========================  ====================================================================================
:func:`concurrence`         C(t) of one or several curves (a result, a Dataset with ``t``, or arrays);
                            ``regimes=`` colours them by regime (``spectrum(m).regime``, ``postselect_spectrum(m).phase``)
:func:`time_series`         the same for any scalar measure (``success_probability``, ``negativity`` ...)
:func:`populations`         the basis populations (N sites: each site's ↓ probability) of one curve versus time
:func:`map2d`               a 2-D map from a sweep Dataset (or a grid): contour lines, regime boundaries
:func:`pt_phase_diagram`    the PT phases of H_eff (Eq. 12) over a grid, or one quantity with the phase boundary
:func:`pair_concurrence`    the N-site pair-concurrence matrix C_ij (an array or an N-site ``evolve`` result)
==========================  ====================================================================================

The figures of ``magbell reproduce --out DIR`` (:mod:`magbell.paper.figures`) are drawn with these functions.
"""

from __future__ import annotations

from ._common import REGIME_COLORS, label
from ._curves import concurrence, populations, time_series
from ._maps import map2d, pair_concurrence, pt_phase_diagram

__all__ = ["concurrence", "time_series", "populations", "map2d", "pt_phase_diagram", "pair_concurrence",
           "REGIME_COLORS", "label"]
