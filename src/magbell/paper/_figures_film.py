"""Plots, captions and CSV tables of the film-model figures of ``magbell reproduce`` (data:
:mod:`magbell.paper._film_jobs`): Beyond (d) separation, (e) NV relaxometry versus Rustagi et al. 2020, (f) the
two-NV map. Registered in :data:`magbell.paper.figures.FIGURES`."""

from __future__ import annotations

import math

import numpy as np

from ..medium.nv import NV_GAMMA
from ..medium.units import HBAR, MU_0

__all__ = [
    "plot_separation", "caption_separation", "table_separation",
    "plot_nv_relaxometry", "caption_nv_relaxometry", "table_nv_relaxometry",
    "plot_nv_pair_map", "caption_nv_pair_map", "table_nv_pair_map",
]


def _g(x: float, p: int = 4) -> str:
    return f"{x:.{p}g}"


def _geometry_text(p: dict) -> str:
    return (f"{p['thickness_m'] * 1e9:g} nm YIG, B = {p['field_T'] * 1e3:g} mT along the NV axis [{p['nv_axis']}] "
            f"({p['field_polar_deg']:.2f}° from the film normal), NV centres {p['height_m'] * 1e9:g} nm above the film, "
            f"ms = 0 ↔ −1")


def dipolar_reach(a: float) -> float:
    """Separation [m] below which the direct NV–NV dipolar scale μ0ħγ_NV²/(4πr³) exceeds the rate a [1/s]."""
    return (MU_0 * HBAR * NV_GAMMA**2 / (4 * math.pi * a)) ** (1 / 3)


# ----------------------------------------------------------------------------- Beyond (d): separation
def _temp(T: float) -> str:
    return f"{T * 1e3:g} mK" if T < 1 else f"{T:g} K"


def _break_wraps(x, y, jump: float = 1.0):
    """(x, y) with NaN inserted between samples where y (a phase in units of π) jumps by more than ``jump``:
    the 2π wrap of a phase is drawn as a break, not as a vertical line."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    cut = np.flatnonzero(np.abs(np.diff(y)) > jump) + 1
    return np.insert(x, cut, np.nan), np.insert(y, cut, np.nan)


def plot_separation(d: dict, fig) -> None:
    from matplotlib import colormaps

    cv, p = d["curves"], d["params"]
    r = cv["separation_m"] * 1e9
    ax, ax1, ax2 = fig.subplots(1, 3, gridspec_kw={"wspace": 0.45})
    cmap = colormaps["plasma"]
    Ts = p["temperatures_K"]
    for i, T in enumerate(Ts):
        col = cmap(0.05 + 0.8 * i / max(1, len(Ts) - 1))
        ax.semilogx(r, cv["C_max"][i, 0], color=col, label=_temp(T))
        ax.semilogx(r, cv["C_max"][i, 1], color=col, ls="--", lw=0.9)
        ax2.loglog(r, cv["lifetime_us"][i, 0], color=col, label=_temp(T))
    rdd = dipolar_reach(d["a_per_s"][0]) * 1e9
    ax.axvspan(r[0], min(rdd, r[-1]), color="0.88", lw=0)
    ax.text(r[0] * 1.15, 0.93, "direct\ndipolar\n> a", fontsize=6.5, va="top", color="0.35")
    ax.set_xlabel("separation (nm)")
    ax.set_ylabel(rf"$\max_{{t \leq {p['t_window_over_a']:g}/a}}\ \mathcal{{C}}(t)$")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right", handlelength=1.4, fontsize=6.5)
    ax.set_title(r"solid $\psi=90^\circ$, dashed $\psi=0^\circ$", pad=4, fontsize=7.5)
    ax1.semilogx(r, cv["A_over_a"][0], "k-", label=r"$|A|/a$, $\psi=90^\circ$")
    ax1.semilogx(r, cv["A_over_a"][1], "k--", lw=0.9, label=r"$|A|/a$, $\psi=0^\circ$")
    ra, pa = _break_wraps(r, cv["arg_A"][0] / math.pi)  # arg A jumps by 2π at the cut: no vertical line there
    ax1.semilogx(ra, pa, color="tab:blue", lw=0.9, label=r"arg $A/\pi$, $\psi=90^\circ$")
    ax1.semilogx(r, cv["J_perp_over_a"][0, 0], color="tab:green", lw=0.9, label=r"$J_\perp/a$ (20 mK)")
    jdd = cv["J_perp_vacuum_dipolar"][0] / d["a_per_s"][0]
    ax1.semilogx(r, np.where(np.abs(jdd) <= 1.05, jdd, np.nan), color="tab:green", ls=":", lw=0.9,
                 label=r"vacuum $J_\perp/a$")
    ax1.axhline(0, color="0.7", lw=0.5)
    ax1.set_ylim(-1.85, 1.05)  # the legend below the curves (they stay within ±1.05)
    ax1.set_yticks([-1.0, -0.5, 0.0, 0.5, 1.0])
    ax1.set_xlabel("separation (nm)")
    ax1.set_ylabel(r"$|A|/a$,  arg $A/\pi$,  $J_\perp/a$", fontsize=8)
    ax1.legend(loc="lower center", ncol=2, handlelength=1.4, fontsize=5.5, columnspacing=0.8, borderaxespad=0.3)
    ax2.set_xlabel("separation (nm)")
    ax2.set_ylabel(r"entanglement lifetime $\tau$ ($\mu$s)")
    ax2.text(0.04, 0.04, "τ: slowest decay of the\npopulations, ρ$_{12}$ (ψ = 90°)",
             transform=ax2.transAxes, fontsize=6, va="bottom", ha="left")
    fig.suptitle(f"Two NV centres {p['height_m'] * 1e9:g} nm above a {p['thickness_m'] * 1e9:g} nm YIG film (film model),\n"
                 f"B = {p['field_T'] * 1e3:g} mT along the NV axis [111]; δ = 0, from |↑↓⟩", fontsize=8, y=1.08)


def caption_separation(d: dict) -> str:
    p = d["params"]
    Ts = ", ".join(_temp(T) for T in p["temperatures_K"])
    ratios = ", ".join(f"{x:.3f}" for x in d["ratio_a_tilde_over_a"])
    a_s = ", ".join(f"{x:.4g}" for x in d["a_per_s"])
    rdd = dipolar_reach(d["a_per_s"][0])
    jdd = d["curves"]["J_perp_vacuum_dipolar"][0]
    r0 = d["curves"]["separation_m"]
    k100 = int(np.argmin(np.abs(r0 - 100e-9)))
    return (
        "Beyond the paper (d): two NV centres above a YIG film, film model (dipolar stray-field coupling, "
        "dipole-exchange spin waves; magbell.medium.stray, docs/medium.md §11) — not the paper's contact coupling, "
        f"whose preset puts the NV below the film's band. {_geometry_text(p)}; Ms = {p['Ms_A_per_m'] / 1e3:.1f} kA/m "
        f"(YIG at ≤ 1 K). Qubit {p['qubit_frequency_Hz'] / 1e9:.3f} GHz, band bottom {p['band_bottom_Hz'] / 1e9:.3f} GHz: "
        f"{p['regime']}. Second NV at distance r in the in-plane direction ψ from the magnetisation's in-plane "
        f"projection (ψ = 90°: perpendicular, solid; ψ = 0°: along it, dashed); {p['n_r']} separations from "
        f"{p['r_min_m'] * 1e9:g} nm to {p['r_max_m'] * 1e6:g} µm; T = {Ts} (a = {a_s} s⁻¹, ã/a = {ratios}). "
        "All film-model parameters (a, ã, A, Ã, J⊥ + iD, Jz, d, 𝔇), δ = 0, initial |↑↓⟩, rotating frame. Left: the "
        f"time maximum of C(t) over t ∈ [0, {p['t_window_over_a']:g}/a(T)] (magbell.evolve, {p['points']} times); "
        "C(∞) is 0 unless |A| = a exactly. Middle: |A|/a, arg A and J⊥/a (A/a does not depend on T). Right: the "
        "entanglement lifetime from magbell.spectrum. Not included: the direct NV–NV dipolar coupling through "
        f"vacuum, whose scale μ0ħγ²/(4πr³) exceeds a(20 mK) below r ≈ {rdd * 1e9:.0f} nm (shaded); its secular "
        f"J⊥ (magbell.medium.film_pairs.vacuum_dipolar, ψ = 90°) is {jdd[k100]:.3g} rad/s at "
        f"{r0[k100] * 1e9:.0f} nm (dotted in the middle panel, where |J⊥| ≤ 1.05 a). k-space "
        f"quadrature {p['quadrature']}: J⊥, D within 1e-4 a and lifetimes within 1e-3 of a finer rule (n_phi 96, n_gauss 24, "
        "n_grade 48; a coarser "
        "rule leaves wiggles of up to 30% in the lifetimes above ~500 nm, from J⊥ and D); the remaining "
        "non-monotonic lifetimes at large r follow the oscillating J⊥(r), D(r). Markov approximation justified at "
        f"all points: {all(d['markov_ok'])}."
    )


def table_separation(d: dict) -> tuple:
    cv, p = d["curves"], d["params"]
    cols = ["separation_m", "A_over_a_psi=90", "argA_psi=90", "A_over_a_psi=0", "argA_psi=0",
            "Jperp_vacuum_dipolar_rad_s_psi=90", "Jperp_vacuum_dipolar_rad_s_psi=0"]
    for T in p["temperatures_K"]:
        cols += [f"C_max_psi=90_T={T:g}K", f"C_max_psi=0_T={T:g}K", f"lifetime_us_psi=90_T={T:g}K",
                 f"Jperp_over_a_psi=90_T={T:g}K"]
    rows = []
    for k, r in enumerate(cv["separation_m"]):
        row = [r, cv["A_over_a"][0, k], cv["arg_A"][0, k], cv["A_over_a"][1, k], cv["arg_A"][1, k],
               cv["J_perp_vacuum_dipolar"][0, k], cv["J_perp_vacuum_dipolar"][1, k]]
        for i in range(len(p["temperatures_K"])):
            row += [cv["C_max"][i, 0, k], cv["C_max"][i, 1, k], cv["lifetime_us"][i, 0, k], cv["J_perp_over_a"][i, 0, k]]
        rows.append(row)
    return cols, rows


# ----------------------------------------------------------------------------- Beyond (e): relaxometry
def plot_nv_relaxometry(d: dict, fig) -> None:
    cv = d["curves"]
    B = cv["field_T"] * 1e3
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"wspace": 0.35})
    ax.plot(B, cv["gamma_per_s"] / 1e6, "k-", label="magbell (film model)")
    ax.plot(cv["data_field_T"] * 1e3, cv["data_rate_MHz"], "o", ms=3, mfc="none", color="tab:red",
            label="Rustagi et al. 2020, Fig. 2(b)")
    bc = d["B_cross_T"] * 1e3
    for a in (ax, ax2):
        a.axvline(bc, color="tab:blue", ls=":", lw=1.0)
    ax.text(bc + 0.8, 0.16, f"NV at the\nband bottom\n{bc:.1f} mT", fontsize=6.5, color="tab:blue", va="bottom")
    ax.set_xlim(0, 45)
    ax.set_xlabel("B (mT)")
    ax.set_ylabel(r"$\Gamma$ (MHz)")
    ax.set_ylim(-0.02, 0.45)
    ax.legend(loc="upper left", fontsize=6.5)
    ax2.plot(B, cv["qubit_Hz"] / 1e9, "k-", label="NV 0↔−1")
    ax2.plot(B, cv["band_bottom_Hz"] / 1e9, color="tab:blue", label="band bottom")
    ax2.plot(B, cv["kittel_Hz"] / 1e9, color="tab:orange", ls="--", label="Kittel (k = 0)")
    ax2.set_xlabel("B (mT)")
    ax2.set_ylabel("frequency (GHz)")
    ax2.legend(loc="lower left", fontsize=6.5)
    p = d["params"]
    fig.suptitle(f"One NV {p['height_m'] * 1e9:g} nm above a {p['thickness_m'] * 1e9:g} nm YIG film, T = "
                 f"{p['temperature_K']:g} K, field along the NV axis [{p['nv_axis']}] "
                 f"({p['field_polar_deg']:.1f}° from the normal); Γ = a + ã", fontsize=8, y=1.03)


def caption_nv_relaxometry(d: dict) -> str:
    p = d["params"]
    lo, hi = d["ratio_range_6_25mT"]
    return (
        "Beyond the paper (e): relaxation rate Γ = a + ã (Rustagi's Γ; = 2a at room temperature, docs/medium.md §11) of "
        "one NV centre above a YIG film versus the field, film model (magbell.medium.stray.relaxation_rate), with the "
        "digitised points of Rustagi et al., PRB 102, 220403(R) (2020), Fig. 2(b) (circles). Parameters: L = "
        f"{p['thickness_m'] * 1e9:g} nm, Ms = {p['Ms_A_per_m'] / 1e3:g} kA/m, A_ex = {p['exchange_J_per_m'] * 1e12:g} pJ/m, "
        f"α = {p['damping']:g}, γ/2π = {p['gamma_rad_per_s_T'] / 2 / math.pi / 1e9:g} GHz/T (film and NV), "
        f"T = {p['temperature_K']:g} K, NV {p['height_m'] * 1e9:g} nm above the film, axis [{p['nv_axis']}], field along "
        f"the axis ({p['field_polar_deg']:g}° from the normal), ms = 0 ↔ −1; {p['n_fields']} fields, k-space "
        f"quadrature {p['quadrature']}. Peak {d['peak_rate_MHz']:.3f} MHz at {d['peak_field_T'] * 1e3:.1f} mT "
        f"(data {d['data_peak_rate_MHz']:.3f} MHz at {d['data_peak_field_T'] * 1e3:.2f} mT); model/data "
        f"{lo:.2f}–{hi:.2f} from 6 to 25 mT. Dotted: the field {d['B_cross_T'] * 1e3:.1f} mT where the NV transition "
        f"crosses the film's band bottom (right panel); 2 mT above it the rate is {d['rate_2mT_after_crossing_over_peak']:.1e} "
        "of the peak. Markov approximation justified at all fields: "
        f"{all(d['markov_ok'])}."
    )


def table_nv_relaxometry(d: dict) -> tuple:
    cv = d["curves"]
    cols = ["field_T", "gamma_per_s", "qubit_Hz", "band_bottom_Hz", "kittel_Hz", "data_field_T", "data_rate_MHz"]
    n = max(cv["field_T"].size, cv["data_field_T"].size)
    rows = []
    for k in range(n):
        row = []
        if k < cv["field_T"].size:
            row += [cv["field_T"][k], cv["gamma_per_s"][k], cv["qubit_Hz"][k], cv["band_bottom_Hz"][k], cv["kittel_Hz"][k]]
        else:
            row += [""] * 5
        row += [cv["data_field_T"][k], cv["data_rate_MHz"][k]] if k < cv["data_field_T"].size else ["", ""]
        rows.append(row)
    return cols, rows


# ----------------------------------------------------------------------------- Beyond (f): two-NV map
#: display refinement of the arg A panel (bilinear in r and ψ of the complex A/a)
_SUB = 4


def _refine_polar(r, psi, A, sub: int):
    """Complex ``A`` (len(r), len(psi)) interpolated bilinearly in (r, ψ) to ``sub``× finer grids (display)."""
    rf = np.interp(np.arange((len(r) - 1) * sub + 1) / sub, np.arange(len(r)), r)
    pf = np.interp(np.arange((len(psi) - 1) * sub + 1) / sub, np.arange(len(psi)), psi)
    ir = np.arange(len(rf)) / sub
    ip = np.arange(len(pf)) / sub
    i0, j0 = np.minimum(ir.astype(int), len(r) - 2), np.minimum(ip.astype(int), len(psi) - 2)
    u, v = (ir - i0)[:, None], (ip - j0)[None, :]
    i0, j0 = i0[:, None], j0[None, :]
    Af = ((1 - u) * (1 - v) * A[i0, j0] + u * (1 - v) * A[i0 + 1, j0] + (1 - u) * v * A[i0, j0 + 1]
          + u * v * A[i0 + 1, j0 + 1])
    return rf, pf, Af


def plot_nv_pair_map(d: dict, fig) -> None:
    g, p = d["grid"], d["params"]
    r = g["r_m"] * 1e9
    R, Psi = np.meshgrid(r, g["psi_rad"], indexing="ij")
    X, Y = R * np.cos(Psi), R * np.sin(Psi)
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"wspace": 0.45})
    m1 = ax.pcolormesh(X, Y, np.abs(g["A_over_a"]), cmap="viridis", vmin=0, vmax=1, shading="gouraud",
                       rasterized=True)
    ax.contour(X, Y, np.abs(g["A_over_a"]), levels=[0.9, 0.99], colors=["w", "k"], linewidths=0.8)
    fig.colorbar(m1, ax=ax, label=r"$|A|/a$", shrink=0.85, pad=0.1)
    # arg A is cyclic: flat cells (no colour interpolation across the ±π cut) on explicit cell edges, of the
    # complex A/a interpolated bilinearly to a SUB× finer polar grid (display only, as the left panel's gouraud
    # shading): without it the 5° cells draw a staircase where the phase turns fast
    rf, pf, Af = _refine_polar(r, g["psi_rad"], np.asarray(g["A_over_a"]), _SUB)
    re_ = np.r_[0.0, 0.5 * (rf[1:] + rf[:-1]), rf[-1]]
    pe = np.r_[pf[0] - 0.5 * (pf[1] - pf[0]), 0.5 * (pf[1:] + pf[:-1]), pf[-1] + 0.5 * (pf[-1] - pf[-2])]
    Re, Pe = np.meshgrid(re_, pe, indexing="ij")
    m2 = ax2.pcolormesh(Re * np.cos(Pe), Re * np.sin(Pe), np.angle(Af), cmap="twilight_shifted",
                        vmin=-math.pi, vmax=math.pi, shading="flat", rasterized=True)
    cb = fig.colorbar(m2, ax=ax2, label=r"arg $A$", shrink=0.85, pad=0.1, ticks=[-math.pi, 0, math.pi])
    cb.ax.set_yticklabels([r"$-\pi$", "0", r"$\pi$"])
    L = r[-1]
    for a in (ax, ax2):
        a.set_xlim(-1.02 * L, 1.02 * L)
        a.set_ylim(-1.02 * L, 1.02 * L)
        a.set_aspect("equal")
        a.set_xlabel("x (nm)")
        a.set_ylabel("y (nm)")
        # the in-plane magnetisation, in the free corner outside the disc
        a.annotate("", xy=(1.0 * L, -0.95 * L), xytext=(0.55 * L, -0.95 * L),
                   arrowprops={"arrowstyle": "->", "color": "r", "lw": 1.0})
        a.text(0.78 * L, -0.84 * L, r"$M_\parallel$", color="r", fontsize=7, va="center", ha="center")
        a.set_xticks([-1000, -500, 0, 500, 1000] if L >= 1000 else a.get_xticks())
    ax.set_title(r"$|A|/a$; contours 0.9 (white)," "\n" r"0.99 (black)", fontsize=7, pad=4)
    ax2.set_title(r"arg $A$, $A(-\rho) = A(\rho)^*$", fontsize=7, pad=4)
    fig.suptitle(f"{p['thickness_m'] * 1e9:g} nm YIG at {p['temperature_K']:g} K, {p['field_T'] * 1e3:g} mT ∥ [111], "
                 f"NV centres {p['height_m'] * 1e9:g} nm above; NV {d['qubit_frequency_Hz'] / 1e9:.3f} GHz, band bottom "
                 f"{d['band_bottom_Hz'] / 1e9:.3f} GHz", fontsize=7.5, y=0.99)


def caption_nv_pair_map(d: dict) -> str:
    p = d["params"]
    r9, r99 = d["reach_0.9_m"], d["reach_0.99_m"]
    return (
        "Beyond the paper (f): where two NV centres above YIG are in the paper's entanglement regime |A| → a. First NV "
        "at the origin, second at (x, y) at the same height; left |A|/a (contours 0.9 white, 0.99 black), right arg A "
        f"(A(−ρ) = A(ρ)*). Film model (docs/medium.md §11): {_geometry_text(p)}; T = {p['temperature_K']:g} K, "
        f"Ms(T) = {p['Ms_A_per_m'] / 1e3:.1f} kA/m (A/a depends on T only through Ms). Qubit "
        f"{d['qubit_frequency_Hz'] / 1e9:.3f} GHz, band bottom {d['band_bottom_Hz'] / 1e9:.3f} GHz ({d['regime']}); "
        f"a = {d['a_per_s']:.4g} s⁻¹. The magnetisation's in-plane projection points along +x (red arrow). "
        f"|A|/a ≥ 0.9 up to r = {r9['psi=90'] * 1e9:.0f} nm perpendicular to it (ψ = 90°, Damon–Eshbach direction) but "
        f"only {r9['psi=0'] * 1e9:.0f} nm along it; ≥ 0.99 up to {r99['psi=90'] * 1e9:.0f} nm (ψ = 90°) "
        f"(grid {p['n_r']} radii to {p['r_max_m'] * 1e6:g} µm × {p['n_psi']} directions, one k-space quadrature "
        f"{p['quadrature']}). Markov approximation justified: {d['markov_ok']}."
    )


def table_nv_pair_map(d: dict) -> tuple:
    g = d["grid"]
    cols = ["r_m", "psi_deg", "A_over_a_abs", "arg_A", "Jperp_over_a"]
    R, P = np.meshgrid(g["r_m"], g["psi_rad"], indexing="ij")
    A = np.asarray(g["A_over_a"])
    rows = np.column_stack([R.ravel(), np.array([math.degrees(x) for x in P.ravel()]), np.hypot(A.real, A.imag).ravel(),
                            np.angle(A).ravel(), np.asarray(g["J_perp_over_a"], dtype=float).ravel()])
    return cols, rows
