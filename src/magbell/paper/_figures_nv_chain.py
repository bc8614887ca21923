"""Beyond the paper: a chain of N NV centres above a YIG film (film model, ``docs/medium.md`` §11), issue 11 + 12.

N = 2 … 5 identical NV centres in a row at spacing s, 109 nm above 20 nm YIG, 22 mT along their [111] axis,
the row perpendicular to the magnetisation's in-plane projection (ψ = 90°, the Damon–Eshbach direction where
|A|/a stays near 1 longest), zero temperature. The N×N blocks come from ``film_system.chain_couplings``
(every spacing and pair from ONE k-space quadrature; the first N sites of the 5-site row are the N-site row)
and become a :class:`magbell.System` (``FilmCouplings.system``, frame rotating at the NV frequency).
Plotted against s:

* the excitation left at t = 10/a from one excitation on the first NV: for independent NV centres
  e^{−20} ≈ 2·10⁻⁹, for a rank-one h_plus (|A_ij| = a) the dark-manifold weight (N−1)/N. At T = 0 (ã = 0 and
  the dephasing d ∝ T vanish) the one-excitation block of ρ evolves exactly as e^{−iH_eff t} ρ e^{iH_eff† t}
  (the σ⁺ jumps leave the sector and nothing brings the excitation back), so it is ‖e^{−iH_eff t} e_1‖², an
  N×N matrix exponential; tests/test_film_system.py checks it against :func:`magbell.evolve` on the same film
  System to 1e-10. (``magbell.evolve`` itself takes its double-double path at some of these points — 68 s for
  one N = 5 point with the vacuum coupling at 20 nm — too slow for a reproduce figure.)
* the slowest collective decay rate of the single-excitation sector, −2 Im E_min / (2a), from the eigenvalues
  of the N×N effective Hamiltonian H_eff = H_1 − i h_plusᵀ (exact at T = 0: σ⁺ jumps leave the sector for
  good): subradiance.

Both with the film's coherent couplings (J⊥ + iD, Jz) and with (solid) or without (dashed) the direct NV–NV
dipolar coupling through vacuum (``film_pairs.vacuum_dipolar``), which exceeds a below ≈ 200 nm and, being
1/r³ (unequal for nearest and next-nearest neighbours), mixes the dark states with the bright one.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["nv_chain_data", "plot_nv_chain", "caption_nv_chain", "table_nv_chain", "single_excitation_heff",
           "excitation_left"]

#: the geometry of the chain (the two-NV figures' geometry, docs/medium.md §11)
CHAIN_GEOMETRY = {"thickness": "20nm", "field": "22mT", "field_angle": "54.7356deg", "height": "109nm",
                  "nv_axis": "111", "transition": "minus", "direction_deg": 90.0, "temperature_K": 0.0}
_QUAD = {"n_phi": 12, "n_gauss": 4, "n_grade": 8}  # the reproduce figures' rule (1e-4 of the default for a, A)


def single_excitation_heff(system) -> np.ndarray:
    """N×N effective Hamiltonian of the one-excitation sector (|i⟩: site i down) of a single ``System``
    (:func:`magbell.system.one_excitation_hamiltonian`, mean splitting removed): hopping 2(J⊥ + iD),
    diagonal Δ_i − 2Σ_l Jz_il, minus i·h_plusᵀ (plus the h_minus and h_z terms, zero at T = 0)."""
    from ..system import one_excitation_hamiltonian

    return one_excitation_hamiltonian(system.Delta, system.h_plus, system.h_minus, system.h_z, system.J_perp,
                                      system.J_z, system.D, rotating=True)


def excitation_left(system, t: float) -> float:
    """‖e^{−iH_eff t} e_1‖²: the excitation left at time t from one excitation on site 1 at T = 0 (module doc)."""
    from scipy.linalg import expm

    psi = expm(-1j * float(t) * single_excitation_heff(system))[:, 0]
    return float(np.vdot(psi, psi).real)


def nv_chain_data(ns=(2, 3, 4, 5), n_s: int = 15, s_min: float = 20e-9, s_max: float = 1e-6,
                  t_over_a: float = 10.0) -> dict:
    """Data of the figure (module doc): per spacing and N, the excitation left at t = ``t_over_a``/a and the
    slowest single-excitation decay rate over 2a, with and without the vacuum dipolar coupling."""
    from ..medium import FilmSetup
    from ..medium.film_system import chain_couplings

    ns = tuple(int(n) for n in ns)
    g = CHAIN_GEOMETRY
    setup = FilmSetup.from_units(thickness=g["thickness"], field=g["field"], field_angle=g["field_angle"],
                                 height=g["height"], nv_axis=g["nv_axis"], transition=g["transition"])
    spacing = np.geomspace(s_min, s_max, n_s)
    nmax = max(ns)
    left = np.zeros((2, len(ns), n_s))
    slow = np.zeros((2, len(ns), n_s))
    rows = chain_couplings(setup, nmax, spacing, g["temperature_K"], direction=math.radians(g["direction_deg"]),
                           quad=_QUAD)
    a0 = float(rows[0].a[0])
    markov = all(c.markov_ok for c in rows)
    for k, c in enumerate(rows):
        for m, n in enumerate(ns):
            sub = np.arange(n)
            cn = dataclasses.replace(
                c, A=c.A[np.ix_(sub, sub)], A_tilde=c.A_tilde[np.ix_(sub, sub)], J=c.J[np.ix_(sub, sub)],
                D_deph=c.D_deph[np.ix_(sub, sub)], Jz=c.Jz[np.ix_(sub, sub)], frequency=c.frequency[:n],
                regime=c.regime[:n], info={**c.info, "qubits": c.info["qubits"][:n], "positions": c.info["positions"][:n]})
            for v, vac in enumerate((True, False)):
                sys_ = cn.system(scale=a0, include_vacuum_dipolar=vac)
                left[v, m, k] = excitation_left(sys_, t_over_a)
                E = np.linalg.eigvals(single_excitation_heff(sys_))
                slow[v, m, k] = float(-np.max(E.imag))  # −2 Im E / (2a), a = 1 in these units
    return {
        "title": "Beyond: N NV centres in a row above a YIG film — dark manifold and subradiance versus spacing",
        "params": {**g, "ns": list(ns), "n_s": int(n_s), "s_min_m": float(s_min), "s_max_m": float(s_max),
                   "t_over_a": float(t_over_a), "quadrature": dict(_QUAD), "Ms_A_per_m": float(setup.build()[0].Ms),
                   "qubit_frequency_Hz": float(setup.qubit_frequency), "band_bottom_Hz": float(setup.band_bottom)},
        "a_per_s": a0,
        "markov_ok": bool(markov),
        "curves": {"spacing_m": spacing, "excitation_left": left, "slowest_rate_over_2a": slow},
        "note": "index 0 of the first axis: with the vacuum dipolar coupling; 1: film couplings only",
    }


def plot_nv_chain(d: dict, fig) -> None:
    from matplotlib import colormaps

    cv, p = d["curves"], d["params"]
    s = cv["spacing_m"] * 1e9
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"wspace": 0.35})
    cmap = colormaps["viridis"]
    ns = p["ns"]
    for m, n in enumerate(ns):
        col = cmap(0.85 * m / max(1, len(ns) - 1))
        ax.semilogx(s, cv["excitation_left"][0, m], color=col, label=f"N = {n}")
        ax.semilogx(s, cv["excitation_left"][1, m], color=col, ls="--", lw=0.9)
        ax.axhline((n - 1) / n, color=col, ls=":", lw=0.6)
        ax2.loglog(s, np.maximum(cv["slowest_rate_over_2a"][0, m], 1e-6), color=col, label=f"N = {n}")
        ax2.loglog(s, np.maximum(cv["slowest_rate_over_2a"][1, m], 1e-6), color=col, ls="--", lw=0.9)
    ax.set_xlabel("spacing s (nm)")
    ax.set_ylabel(rf"excitation left at $t = {p['t_over_a']:g}/a$")
    ax.set_ylim(0, 1)
    from matplotlib.lines import Line2D

    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="0.3", lw=1.2, label="film + vacuum dipolar"),
                Line2D([], [], color="0.3", lw=0.9, ls="--", label="film only"),
                Line2D([], [], color="0.3", lw=0.6, ls=":", label="1 − 1/N")]
    ax2.legend(handles=handles, loc="lower right", fontsize=5.5, handlelength=1.8, framealpha=0.9)
    fig.suptitle(f"N NV centres in a row, {p['height']} above {p['thickness']} YIG, B = {p['field']} along "
                 f"[{p['nv_axis']}], T = 0", fontsize=8)
    ax2.set_xlabel("spacing s (nm)")
    ax2.set_ylabel(r"slowest collective rate $\Gamma_{\min}/2a$")


def caption_nv_chain(d: dict) -> str:
    p, cv = d["params"], d["curves"]
    s = cv["spacing_m"]
    i100 = int(np.argmin(np.abs(s - 100e-9)))
    left = cv["excitation_left"]
    last = len(p["ns"]) - 1
    return (
        f"Beyond the paper: a row of N = {', '.join(str(n) for n in p['ns'])} NV centres above YIG (film model, "
        f"docs/medium.md §11): {p['thickness']} YIG, B = {p['field']} along the NV axis [{p['nv_axis']}] "
        f"({p['field_angle']} from the normal), NV centres {p['height']} above the film, ms = 0 ↔ −1, row "
        f"perpendicular to the magnetisation's in-plane projection (ψ = {p['direction_deg']:g}°), T = 0 "
        f"(20 mK gives ã/a ≈ 0.5 %), Ms(0) = {p['Ms_A_per_m'] / 1e3:.1f} kA/m; qubit {p['qubit_frequency_Hz'] / 1e9:.3f} GHz, "
        f"band bottom {p['band_bottom_Hz'] / 1e9:.3f} GHz; a = {d['a_per_s']:.4g} s⁻¹ (single NV). Left: excitation "
        f"left at t = {p['t_over_a']:g}/a from one excitation on the first NV (exact one-excitation propagator of the "
        "film System, checked against magbell.evolve; "
        "dotted: the dark-manifold weight (N−1)/N of a rank-one h_plus; independent NV centres: e^{−20}). Right: "
        "the slowest decay rate of the single-excitation sector over 2a (eigenvalues of H_eff = H − i h_plusᵀ; "
        "exact at T = 0). Solid: film couplings (a, A_ij, J⊥ + iD, Jz) plus the direct NV–NV dipolar coupling "
        "through vacuum (secular); dashed: film only. At s = "
        f"{s[i100] * 1e9:.0f} nm, N = {p['ns'][last]}: {left[0, last, i100]:.3f} with, {left[1, last, i100]:.3f} "
        f"without the vacuum coupling. Markov approximation justified (pairwise): {d['markov_ok']}. One k-space "
        f"quadrature {p['quadrature']} for all {p['n_s']} spacings {p['s_min_m'] * 1e9:g} nm – {p['s_max_m'] * 1e6:g} µm."
    )


def table_nv_chain(d: dict) -> tuple:
    cv, p = d["curves"], d["params"]
    cols = ["spacing_m", "N", "excitation_left_with_vacuum_dipolar", "excitation_left_film_only",
            "slowest_rate_over_2a_with_vacuum_dipolar", "slowest_rate_over_2a_film_only"]
    rows = []
    for k, s in enumerate(cv["spacing_m"]):
        for m, n in enumerate(p["ns"]):
            rows.append([s, n, cv["excitation_left"][0, m, k], cv["excitation_left"][1, m, k],
                         cv["slowest_rate_over_2a"][0, m, k], cv["slowest_rate_over_2a"][1, m, k]])
    return cols, rows


# ----------------------------------------------------------------------------- registration
def _register() -> None:
    from . import _jobs
    from .figures import FULL_W, FigureJob, register

    _jobs.FIGURE_DATA.update({"nv_chain": nv_chain_data})
    register(FigureJob("nv_chain", "Beyond (i)", "beyond", nv_chain_data, plot_nv_chain, caption_nv_chain,
                       table_nv_chain, figsize=(FULL_W, 2.5)))


_register()  # imported at the end of magbell.paper._jobs (its one registration line)
