"""Plotters, captions and CSV tables of the paper figures (Figs. 2, 3, S1, S2, beyond (a)–(c)) registered in
:data:`magbell.paper.figures.FIGURES`; the NV + YIG film figures are in ``_figures_film``. The curves and maps are
drawn with :mod:`magbell.plot`; matplotlib is imported inside the plotters only."""

from __future__ import annotations

import math

import numpy as np

from .. import plot as mplot


# ----------------------------------------------------------------------------- helpers
def _num(x: float) -> str:
    """A parameter value for a caption: 2.0 → '2', 0.3 → '0.3', inf → '∞'."""
    x = float(x)
    if math.isinf(x):
        return "∞"
    return f"{x:.4g}"


def _curve_table(d: dict, names) -> tuple:
    cv = d["curves"]
    cols = ["t"] + list(names)
    rows = np.column_stack([cv["times"], np.asarray(cv["concurrence"]).T])
    return cols, rows


# ----------------------------------------------------------------------------- Fig. 2
_FIG2_COLORS = {"black": "black", "orange": "#f28e00", "cyan": "#00b5d8", "red": "#d62728"}


def plot_fig2(d: dict, fig) -> None:
    cv = d["curves"]
    t = cv["times"]
    labels = []
    for row in d["rows"]:
        lab = rf"$\delta = {_num(row['delta'])}$"
        lab += {"underdamped": " (underdamped)", "critical": r" (critical, $\delta = |A|$)",
                "overdamped": " (overdamped)"}[row["regime"]]
        labels.append(lab + ("" if row["delta_stated_in_paper"] else "*"))
    ax = mplot.concurrence(cv["concurrence"], t, labels=labels, colors=[_FIG2_COLORS[r["color"]] for r in d["rows"]],
                           ax=fig.add_subplot(), time_unit="1/a", legend=False, ylim=(0, 0.6))
    ax.text(t[-1] * 0.98, 0.515, r"$\mathcal{C}(\infty) = 1/2$", ha="right", va="bottom", fontsize=7.5,
            color="#d62728")
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
    labels = [rf"$|A| = {_num(r['A'])}$, $|\tilde A| = {_num(r['A_tilde'])}$" for r in d["rows"]]
    ax = mplot.concurrence(cv["concurrence"], t, labels=labels, colors=_ramp_colors(len(d["rows"])),
                           ax=fig.add_subplot(), legend=False, ylim=(0, 0.42))
    ax.annotate("", xy=(0.16, 0.33), xytext=(0.045, 0.07),
                arrowprops=dict(arrowstyle="-|>", color="0.55", lw=1.2))
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
        "\"around 0.35\"; exactly (1 − r)²/(2(1 + r + r²)) with r = 0.1. The entanglement lifetimes "
        f"τ = 1/(slowest decay rate of the populations–ρ12 block, magbell.spectrum) of the other curves are {lifes}; "
        "at finite temperature C reaches 0 in "
        "finite time. The paper does not state its time axis; t ∈ "
        f"[0, {_num(d['params']['t_max'])}] is our choice."
    )


def table_figS1a(d: dict) -> tuple:
    return _curve_table(d, [f"C_A={_num(r['A'])}_At={_num(r['A_tilde'])}" for r in d["rows"]])


# ----------------------------------------------------------------------------- Fig. S1(b)
def plot_figS1b(d: dict, fig) -> None:
    from matplotlib import colormaps

    cv = d["curves"]
    cmap = colormaps["plasma"]
    n = len(d["rows"])
    ax = mplot.concurrence(cv["concurrence"], cv["times"], labels=[rf"$\delta = {_num(r['delta'])}$" for r in d["rows"]],
                           colors=[cmap(0.05 + 0.8 * k / (n - 1)) for k in range(n)], ax=fig.add_subplot(),
                           legend=False, ylim=(0, 0.42))
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
    g = d["grid"]
    A, At, C = g["A"], g["A_tilde"], g["C_inf"]
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1.0], "wspace": 0.42})
    mplot.map2d(C, x=A, y=At, ax=ax, cmap="magma", vmin=0.0, vmax=0.5, label_text=r"$\mathcal{C}(\infty)$",
                xlabel=r"$|A| = a$", ylabel=r"$|\tilde A| = \tilde a$")
    # the unphysical region |Ã| > |A|, hatched
    ax.fill_between([0, A[-1]], [0, A[-1]], [A[-1], A[-1]], facecolor="none", edgecolor="0.6",
                    hatch="////", lw=0)
    ax.plot([0, A[-1]], [0, A[-1]], color="0.3", lw=0.8)
    ax.text(0.27 * A[-1], 0.8 * A[-1], "unphysical\n" + r"$|\tilde A| > |A|$", ha="center", va="center",
            fontsize=7.5, color="0.2", bbox=dict(facecolor="white", edgecolor="none", pad=1.5))
    ax.set_xlim(0, A[-1])
    ax.set_ylim(0, A[-1])
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
    from matplotlib.lines import Line2D

    g = d["grid"]
    x, y, tau = g["delta_over_A"], g["A_over_a"], g["tau"]
    ax = fig.add_subplot()
    vmin, vmax = 0.5, 50.0
    # contour labels placed away from Fig. 2's dots on the top edge (y = 1)
    ax = mplot.map2d(np.maximum(tau, vmin), x=x, y=y, ax=ax, log=True, vmin=vmin, vmax=vmax, colorbar=False,
                     contours=[0.75, 1, 2, 5, 10], clabel_positions=[(0.93, 0.6), (0.15, 0.52), (0.45, 0.84),
                                                                     (0.25, 0.93), (0.07, 0.957)],
                     xlabel=r"$\delta/|A|$", ylabel=r"$|A|/a$")
    pc = ax.collections[0]
    ax.axvline(1.0, color="#d62728", lw=1.2, ls="--")
    ax.text(1.03, 0.06, r"critical line $\delta = |A|$", color="#d62728", fontsize=7.5, rotation=90,
            va="bottom", ha="left")
    ax.text(0.5, 0.12, "overdamped", color="white", fontsize=8, ha="center")
    ax.text(1.5, 0.12, "underdamped\n" + r"$\tau = 1/2a$", color="white", fontsize=8, ha="center")
    # Fig. 2's curves (a = |A| = 1), explained in a legend
    handles = []
    for xd, col in ((2.0, "black"), (1.0, "#f28e00"), (0.3, "#00b5d8"), (0.0, "#d62728")):
        ax.plot([xd], [1.0], marker="o", ms=4.5, mfc=col, mec="white", mew=0.7, clip_on=False, zorder=5)
        handles.append(Line2D([], [], ls="none", marker="o", ms=4.5, mfc=col, mec="white", mew=0.7,
                              label=rf"$\delta = {_num(xd)}$"))
    leg = ax.legend(handles=handles, loc="center right", bbox_to_anchor=(0.99, 0.6), title="Fig. 2 curves",
                    fontsize=6.5, title_fontsize=6.5, handletextpad=0.3, labelcolor="white", frameon=False)
    leg.get_title().set_color("white")
    cb = fig.colorbar(pc, ax=ax, extend="max", pad=0.03)
    cb.set_ticks([0.5, 1, 2, 5, 10, 20, 50])
    cb.set_ticklabels(["0.5", "1", "2", "5", "10", "20", "50"])
    cb.minorticks_off()
    cb.set_label(r"entanglement lifetime $a\,\tau$")
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
    from .figures import Columns

    X, Y = np.meshgrid(g["delta_over_A"], g["A_over_a"])
    rows = Columns([X.ravel(), Y.ravel(), np.ravel(g["tau"]), np.ravel(g["tau_closed_form"]),
                    np.asarray(g["regime"]).ravel()])
    return ["delta_over_A", "A_over_a", "a_tau", "a_tau_closed_form", "regime"], rows


# ----------------------------------------------------------------------------- Fig. 3 (postselection)
_FIG3_COLORS = {"black": "black", "cyan": "#00b5d8", "red": "#d62728"}


def plot_fig3(d: dict, fig) -> None:
    cv = d["curves"]
    t = cv["times"]
    ax, ins = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.45, 1.0], "wspace": 0.32})
    names = {"PT-exact": "PT-exact", "exceptional-point": "EP", "PT-broken": "PT-broken"}
    labels = [rf"$\delta = {_num(r['delta'])}$ ({names[r['expected_phase']]})" for r in d["rows"]]
    mplot.concurrence(cv["concurrence"], t, labels=labels, colors=[_FIG3_COLORS[r["color"]] for r in d["rows"]],
                      ax=ax, legend=False, ylim=(0, 1.04))
    ax.axhline(1.0, color="0.75", lw=0.5, ls=":", zorder=0)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, handlelength=1.2, fontsize=6.5, frameon=False,
              borderaxespad=0.2, columnspacing=0.8, handletextpad=0.4)
    ax.text(0.03, 0.03, "(a)", transform=ax.transAxes, fontsize=8)
    e = d["inset"]
    # the solid closed form on top of hollow dots, so both stay visible
    ins.plot(e["eta"][::4], e["C_max_numeric"][::4], ls="none", marker="o", ms=3.2, mfc="none", mec="k", mew=0.6,
             label="magbell", zorder=2)
    ins.plot(e["eta"], e["C_max_corrected"], color="#1f77b4", lw=1.1, label=r"$2\eta/(1+\eta^2)$", zorder=3)
    ins.plot(e["eta"], e["C_max_printed"], color="#f28e00", lw=1.0, ls="--", label="as printed", zorder=3)
    ins.axvline(1.0, color="0.6", lw=0.6, ls=":")
    ins.set_xlim(0, e["eta"][-1])
    ins.set_ylim(0.3, 1.05)
    ins.set_xlabel(r"$\eta = \delta/\Gamma$")
    ins.set_ylabel(r"$\mathcal{C}_{\max} = \sup_t \mathcal{C}$")
    ins.legend(loc="lower left", handlelength=1.5, fontsize=6.5)
    ins.set_title("(b) the paper's inset", fontsize=7.5, pad=4)
    fig.suptitle(r"$\Gamma = 2$ ($a = |A| = 2$, $\tilde a = \tilde A = 0$), no-jump postselection from "
                 r"$|{\uparrow\downarrow}\rangle$", fontsize=8.5, y=1.04)


def caption_fig3(d: dict) -> str:
    p = d["params"]
    rows = d["rows"]
    pr, co = d["printed_vs_corrected_at_eta_2_5"]
    return (
        "Concurrence C(t) of the postselected (no-jump, Eq. 13) state from |↑↓⟩, computed with magbell.postselect "
        f"(scheme \"no-jump\") on {p['points']} times in [0, {_num(p['t_max'])}]. Γ = 2 as in the paper; the paper "
        "does not give a, ã, Ã — we take a = |A| = 2, ã = Ã = 0 (C(t) from |↑↓⟩ does not depend on a, ã). Black: "
        f"δ = 5 (PT-exact, η = 2.5): C oscillates at angular frequency 2ω, ω = √(δ² − Γ²), max {rows[0]['C_max']:.4f}. "
        f"Cyan: δ = Γ = 2 (exceptional point): C = 2Γt√(1 + Γ²t²)/(1 + 2Γ²t²) (max deviation {d['max_dev_ep']:.0e}). "
        f"Red: δ = 0 (PT-broken): C = tanh 2Γt (max deviation {d['max_dev_tanh']:.0e}). (b), the paper's inset: maximal concurrence "
        f"versus η = δ/Γ; open circles: magbell's maximum over t ∈ [0, {_num(p['t_window'])}] ({p['window_points']} times, "
        f"{p['n_eta']} values of η ≤ {_num(p['eta_max'])}); solid: the corrected C_max = 2η/(1 + η²) for η > 1 and 1 "
        f"for η ≤ 1 (max deviation {d['max_dev_inset_corrected']:.0e}, from the time grid; "
        "postselect_spectrum(...).max_concurrence agrees to "
        f"{d['max_dev_inset_spectrum']:.0e}); dashed: √(2 − 1/η²)/η as printed (=1 for η ≤ 1), which is wrong, "
        f"e.g. η = 2.5: printed {pr:.3f}, exact {co:.3f} (docs/errata.md, S2)."
    )


def table_fig3(d: dict) -> tuple:
    cv = d["curves"]
    e = d["inset"]
    cols = ["t"] + [f"C_{r['color']}_delta={_num(r['delta'])}" for r in d["rows"]]
    cols += ["eta", "C_max_numeric", "C_max_corrected", "C_max_printed"]
    n, m = len(cv["times"]), len(e["eta"])
    rows = []
    for k in range(max(n, m)):
        row = [cv["times"][k], *cv["concurrence"][:, k]] if k < n else [math.nan] * (1 + len(d["rows"]))
        row += ([e["eta"][k], e["C_max_numeric"][k], e["C_max_corrected"][k], e["C_max_printed"][k]]
                if k < m else [math.nan] * 4)
        rows.append(row)
    return cols, rows


# ----------------------------------------------------------------------------- Beyond (b): PT phase diagram
def plot_pt_diagram(d: dict, fig) -> None:
    g = d["grid"]
    x, y = g["delta"], g["Gamma"]
    # one quantity: sup_t C from |↑↓⟩ (= 1 = C(∞) in the PT-broken phase and at the EP, 2η/(1 + η²) in the PT-exact one)
    ax = mplot.pt_phase_diagram(g["phase"], x, y, value=g["C_long"], ax=fig.add_subplot(), vmin=0.4, vmax=1.0,
                                contours=(g["P_t"], [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]), boundary=False, annotate=False,
                                value_label=r"$\sup_t\, \mathcal{C}(t)$", xlabel=r"$\delta$",
                                ylabel=r"$\Gamma = |A| = a$")
    ax.plot([0, y[-1]], [0, y[-1]], color="#d62728", lw=1.3, ls="--")
    ax.text(0.62 * y[-1], 0.70 * y[-1], r"EP: $\delta = \Gamma$", color="#d62728", fontsize=7.5, rotation=38,
            ha="center", va="bottom")
    ax.text(0.35, 0.85 * y[-1], "PT-broken\n" + r"$\mathcal{C}\to 1$", color="0.15", fontsize=7.5, ha="left")
    ax.text(0.80 * x[-1], 0.25 * y[-1], "PT-exact\n(oscillates)", color="white", fontsize=7.5, ha="center")
    ax.set_ylim(0, y[-1])
    ax.set_title(rf"$\tilde a = \tilde A = 0$; white: $P(t = {_num(d['params']['t_fixed'])})$ from "
                 r"$|{\uparrow\downarrow}\rangle$", pad=4)


def caption_pt_diagram(d: dict) -> str:
    p = d["params"]
    return (
        "Beyond the paper (b): PT phase diagram of the non-Hermitian H_eff (Eq. 12) over the detuning δ and "
        "Γ = |A|, with the local rate at its maximum a = |A| = Γ and ã = Ã = 0 (zero temperature), on a "
        f"{p['n_gamma']} × {p['n_delta']} grid (δ ∈ [0, {_num(p['delta_max'])}], Γ ∈ (0, {_num(p['gamma_max'])}]), one "
        "batched magbell.postselect_spectrum call. Colour: one quantity, the time maximum sup_t C of the postselected "
        "state's concurrence from |↑↓⟩ — in the PT-broken phase δ < Γ and at the exceptional point C grows "
        "monotonically to its limit 1 (the state flows into the Bell state |a⟩, Eq. 15), so sup_t C = C(∞) = 1; in the "
        "PT-exact phase δ > Γ, where C oscillates, sup_t C = 2η/(1 + η²), η = δ/Γ "
        "(postselect_spectrum(...).max_concurrence). Red dashed: the exceptional-point line "
        f"δ = Γ (the classification follows δ vs Γ at every grid point: {d['phase_matches_delta_vs_gamma']}). White "
        f"contours: success probability P(t) of the no-jump postselection from |↑↓⟩ at t = {_num(p['t_fixed'])} "
        "(magbell.postselect on the same grid); P → 1/2 along δ = 0 because a = |A| (the paper's optimal point)."
    )


def table_pt_diagram(d: dict) -> tuple:
    g = d["grid"]
    from .figures import Columns

    X, Y = np.meshgrid(g["delta"], g["Gamma"])
    rows = Columns([X.ravel(), Y.ravel(), np.ravel(g["phase_code"]).astype(float), np.ravel(g["C_inf"]),
                    np.ravel(g["C_long"]), np.ravel(g["C_t"]), np.ravel(g["P_t"]), np.asarray(g["phase"]).ravel()])
    return ["delta", "Gamma", "phase_code", "C_inf", "C_sup", "C_t", "P_t", "phase"], rows


# ----------------------------------------------------------------------------- Beyond (c): τ_m
def plot_tau_m(d: dict, fig) -> None:
    cv, p = d["curves"], d["params"]
    tau = cv["tau_m"]
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"wspace": 0.38})
    cols = ["black", "#1f77b4", "#d62728"]
    for i, row in enumerate(d["rows"]):
        col = cols[i % len(cols)]
        lab = rf"$r = {_num(row['ratio'])}$" + (" ($T = 0$)" if row["ratio"] == 0 else "")
        ax.semilogx(tau, cv["concurrence"][:, i], color=col, marker=".", ms=3, label=lab)
        ax.axhline(cv["C_limit"][i], color=col, lw=0.7, ls="--")
        ax.axhline(cv["C_evolve"][i], color=col, lw=0.7, ls=":")
        ax2.semilogx(tau, cv["success_probability"][:, i], color=col, marker=".", ms=3, label=lab)
        ax2.axhline(cv["P_limit"][i], color=col, lw=0.7, ls="--")
    tf = _num(p["t_fixed"])
    ax.set_xlabel(r"$\tau_m$  (units of $1/a$)")
    ax.set_ylabel(rf"$\mathcal{{C}}(t = {tf})$")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="center left", handlelength=1.4)
    ax.text(tau[0], 0.03, "dashed: Eq. 13 ($\\tau_m \\to 0$)\ndotted: unmonitored evolve", fontsize=6, va="bottom")
    ax2.set_xlabel(r"$\tau_m$  (units of $1/a$)")
    ax2.set_ylabel(rf"$P(t = {tf})$")
    fig.suptitle(rf"$a = |A| = 1$, $\delta = 0$, $\tilde a = r a$, $\tilde A = r A$; from "
                 rf"$|{{\uparrow\downarrow}}\rangle$," "\n"  # two lines: one is wider than the panels
                 rf"$|\sigma_{{1z}} + \sigma_{{2z}}|$ measured every $\tau_m$ "
                 rf"(postselected on 0), readout at $t = {tf}/a$", fontsize=8, y=1.08)


def caption_tau_m(d: dict) -> str:
    p = d["params"]
    rows = d["rows"]
    devs = ", ".join(f"r = {_num(r_['ratio'])}: {r_['dev_at_smallest_tau']:.1e}" for r_ in rows)
    return (
        "Beyond the paper (c): finite measurement rate (Discussion). Concurrence (left) and success probability "
        f"(right) at t = {_num(p['t_fixed'])} from |↑↓⟩ versus the measurement period τ_m ∈ [{_num(p['tau_min'])}, "
        f"{_num(p['tau_max'])}] ({p['n_tau']} values, log scale) for periodic projective measurements of "
        "|σ1z + σ2z| postselected on 0, with a readout at t (magbell.monitor_sweep, kind \"periodic\"); a = |A| = 1, "
        "δ = 0, detailed balance ã = r a, Ã = r A with r = e^{−βΔ} ∈ {"
        + ", ".join(_num(x) for x in p["ratios"]) + "}. Dashed: the τ_m → 0 limit, Eq. 13 (magbell.postselect, "
        "scheme \"subspace\"); dotted (left): the unmonitored, unselected Lindblad value (magbell.evolve). At zero "
        f"temperature (r = 0) the paper's scheme is exact for every τ_m (max deviation {rows[0]['max_dev_from_limit']:.0e}: "
        "nothing that leaves the subspace can come back); at r > 0 the error is O(τ_m) (at the smallest τ_m: "
        f"{devs}) and for τ_m > t only the readout at t remains (C = "
        + ", ".join(f"{r_['C_single_readout']:.3f}" for r_ in rows) + ")."
    )


def table_tau_m(d: dict) -> tuple:
    cv = d["curves"]
    cols = ["tau_m"]
    for r_ in d["rows"]:
        cols += [f"C_r={_num(r_['ratio'])}", f"P_r={_num(r_['ratio'])}"]
    for r_ in d["rows"]:
        cols += [f"C_limit_r={_num(r_['ratio'])}", f"P_limit_r={_num(r_['ratio'])}", f"C_evolve_r={_num(r_['ratio'])}"]
    rows = []
    for k, t in enumerate(cv["tau_m"]):
        row = [t]
        for i in range(len(d["rows"])):
            row += [cv["concurrence"][k, i], cv["success_probability"][k, i]]
        for i in range(len(d["rows"])):
            row += [cv["C_limit"][i], cv["P_limit"][i], cv["C_evolve"][i]]
        rows.append(row)
    return cols, rows
