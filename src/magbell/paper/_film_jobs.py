"""Data of the beyond-the-paper figures for NV centres above a real YIG film (``docs/medium.md`` §11).

* :func:`nv_relaxometry_data` — single-NV relaxation rate versus field against the digitised points of
  Rustagi et al., PRB 102, 220403(R) (2020), Fig. 2(b) (:data:`RUSTAGI_FIG2B`), with the field where the
  NV transition crosses the film's band bottom;
* :func:`nv_pair_map_data` — two NV centres: |A|/a and arg A versus separation and in-plane direction;
* :func:`separation_data` — entanglement from |↑↓⟩ versus separation at 20 mK – 1 K (Beyond (d)).

All three use the film model of :mod:`magbell.medium.stray` (dipolar stray-field coupling, dipole-exchange
spin waves, LLG susceptibility), not the paper's contact coupling. The two-NV data come from ONE k-space
quadrature per figure (:func:`magbell.medium.film_pairs.pair_noises`).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["RUSTAGI_FIG2B", "RUSTAGI_PARAMS", "nv_relaxometry_data", "nv_pair_map_data", "separation_data",
           "SEPARATION_TEMPERATURES", "PAIR_GEOMETRY"]

#: Rustagi, Bertelli, van der Sar, Upadhyaya, PRB 102, 220403(R) (2020), arXiv:2009.05060, Fig. 2(b):
#: (field B [T], relaxation rate Γ [MHz]) digitised from the published figure (as distributed with the
#: public qi-relaxometry project); values slightly below 0 are digitisation noise.
RUSTAGI_FIG2B = np.array([
    [0.00260, 0.07325], [0.00326, 0.09785], [0.00511, 0.09499], [0.00525, 0.11617], [0.00630, 0.13276],
    [0.00776, 0.13791], [0.00851, 0.14764], [0.01005, 0.15107], [0.01076, 0.17625], [0.01256, 0.20200],
    [0.01367, 0.22489], [0.01561, 0.24607], [0.01662, 0.25923], [0.01971, 0.30215], [0.02195, 0.30959],
    [0.02319, 0.30558], [0.02522, 0.25351], [0.02623, 0.20773], [0.02689, 0.15050], [0.02817, 0.10072],
    [0.02901, 0.03090], [0.03311, -0.00744], [0.03813, -0.00172], [0.04342, -0.00343], [0.04902, -0.00401],
    [0.05405, -0.00401], [0.05974, 0.00114], [0.06503, 0.00172], [0.07040, -0.00286],
])

#: the parameters of Rustagi's Fig. 2(b) (docs/medium.md §11; tests/test_medium_film.py::test_rustagi_fig2b)
RUSTAGI_PARAMS = {"thickness_m": 20e-9, "Ms_A_per_m": 142e3, "exchange_J_per_m": 3.7e-12, "damping": 1e-4,
                  "gamma_rad_per_s_T": 2 * math.pi * 28.025e9, "height_m": 109e-9, "temperature_K": 299.0,
                  "field_polar_deg": 54.7, "nv_axis": "111", "transition": "minus"}

#: k-space quadrature of the figures: coarser than the default (relative change of a, A ≤ 1e-4, measured
#: against the default rule; the default agrees with a 5e5-node rule to 1e-6)
FIGURE_QUAD = {"n_phi": 12, "n_gauss": 4, "n_grade": 8}
#: the separation figure's quadrature: its coherent couplings J⊥ + iD (principal-value integrals over all k with
#: the phase e^{ik·r}) need a finer radial rule at separations ≫ the height. Against {"n_phi": 96, "n_gauss": 24,
#: "n_grade": 48} on the figure's 80 displacements (20 nm – 2 µm, ψ = 0°, 90°; 20 mK): |ΔJ⊥|/a ≤ 1.7e-5,
#: |ΔD|/a ≤ 7.6e-5, lifetimes within 8e-4 (relative), |ΔA|/a ≤ 1e-8. FIGURE_QUAD there: |ΔJ⊥|/a up to 0.05,
#: |ΔD|/a 0.08 and lifetimes off by up to 34% above ~500 nm (the wiggles of earlier versions of the figure).
SEPARATION_QUAD = {"n_phi": 48, "n_gauss": 16, "n_grade": 32}

#: the two-NV geometry of Beyond (d) and the pair map: 20 nm YIG, 22 mT along [111], NV centres 109 nm up
PAIR_GEOMETRY = {"thickness_m": 20e-9, "field_T": 0.022, "field_polar_deg": math.degrees(math.acos(1 / math.sqrt(3))),
                 "nv_axis": "111", "transition": "minus", "height_m": 109e-9}


def _rustagi(B: float):
    from ..medium.film import Film
    from ..medium.nv import nv_qubit

    p = RUSTAGI_PARAMS
    th = math.radians(p["field_polar_deg"])
    film = Film(thickness=p["thickness_m"], Ms=p["Ms_A_per_m"], exchange=p["exchange_J_per_m"], damping=p["damping"],
                gamma=p["gamma_rad_per_s_T"], field=B, field_polar=th, field_azimuth=0.0, name="YIG")
    q = nv_qubit(B * np.array([math.sin(th), 0.0, math.cos(th)]), p["nv_axis"], p["transition"],
                 gamma=p["gamma_rad_per_s_T"])
    return film, q


def _gap(B: float) -> float:
    film, q = _rustagi(B)
    return q.frequency - film.band_bottom()[0]


RELAXOMETRY_FIELDS = tuple(np.r_[np.arange(2, 20, 2), np.arange(20, 32), [34.0]] * 1e-3)


def nv_relaxometry_data(fields=RELAXOMETRY_FIELDS) -> dict:
    """Rustagi's Γ = a + ã [1/s] of one NV versus field (``magbell.medium.stray.relaxation_rate`` with
    :data:`FIGURE_QUAD`), the NV frequency, band bottom and Kittel frequency, the band-bottom crossing
    field and the comparison with :data:`RUSTAGI_FIG2B` (peak field and rate, ratios at the data fields)."""
    from ..medium.greens import MarkovWarning
    from ..medium.stray import film_couplings

    p = RUSTAGI_PARAMS
    B = np.asarray(fields, dtype=float)
    rate, fq, wb, kit, markov = [], [], [], [], []
    for b in B:
        film, q = _rustagi(float(b))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkovWarning)
            c = film_couplings(film, [q], [[0.0, 0.0, p["height_m"]]], p["temperature_K"], reactive=False,
                               quad=FIGURE_QUAD)
        rate.append(float(c.a[0] + c.a_tilde[0]))
        fq.append(q.frequency / (2 * math.pi))
        wb.append(c.band_bottom / (2 * math.pi))
        kit.append(film.kittel() / (2 * math.pi))
        markov.append(bool(c.markov_ok))
    rate, fq, wb = np.array(rate), np.array(fq), np.array(wb)
    # band-bottom crossing: bracket on the grid, then bisection on the (smooth) gap
    gap = fq - wb
    k = int(np.nonzero((gap[:-1] > 0) & (gap[1:] <= 0))[0][0])
    lo, hi = float(B[k]), float(B[k + 1])
    for _ in range(14):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _gap(mid) > 0 else (lo, mid)
    B_cross = 0.5 * (lo + hi)
    film, q = _rustagi(B_cross + 2e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkovWarning)
        c = film_couplings(film, [q], [[0.0, 0.0, p["height_m"]]], p["temperature_K"], reactive=False, quad=FIGURE_QUAD)
    after = float(c.a[0] + c.a_tilde[0]) / float(rate.max())
    dB, dr = RUSTAGI_FIG2B.T
    i = int(np.argmax(rate))
    Bpk = float(B[i])
    if 0 < i < B.size - 1:  # vertex of the parabola through the three grid points around the maximum
        x, y = B[i - 1:i + 2], rate[i - 1:i + 2]
        c2, c1, _ = np.polyfit(x, y, 2)
        Bpk = float(-c1 / (2 * c2)) if c2 < 0 else Bpk
    j = int(np.argmax(dr))
    sel = (dB >= 0.006) & (dB <= 0.0255)
    ratio = np.interp(dB[sel], B, rate / 1e6) / dr[sel]
    return {
        "title": "Beyond (e): NV relaxometry of a YIG film versus Rustagi et al. 2020, Fig. 2(b)",
        "params": {**p, "quadrature": dict(FIGURE_QUAD), "n_fields": int(B.size)},
        "B_cross_T": B_cross,
        "peak_field_T": Bpk, "peak_rate_MHz": float(rate.max() / 1e6),
        "data_peak_field_T": float(dB[j]), "data_peak_rate_MHz": float(dr[j]),
        "ratio_range_6_25mT": [float(ratio.min()), float(ratio.max())],
        "rate_2mT_after_crossing_over_peak": after,
        "markov_ok": markov,
        "rows": [{"B_T": float(b), "gamma_MHz": float(r / 1e6), "qubit_GHz": float(f / 1e9),
                  "band_bottom_GHz": float(w / 1e9)} for b, r, f, w in zip(B, rate, fq, wb)],
        "curves": {"field_T": B, "gamma_per_s": rate, "qubit_Hz": fq, "band_bottom_Hz": wb, "kittel_Hz": np.array(kit),
                   "data_field_T": dB, "data_rate_MHz": dr},
    }


def _pair_setup(temperature: float):
    from ..medium.film_presets import nv_film_setup

    g = PAIR_GEOMETRY
    return nv_film_setup(thickness=g["thickness_m"], field=g["field_T"], field_polar=math.radians(g["field_polar_deg"]),
                         nv_axis_=g["nv_axis"], transition=g["transition"], temperature=temperature)


def nv_pair_map_data(n_r: int = 41, n_psi: int = 37, r_max: float = 1e-6, temperature: float = 4.0) -> dict:
    """|A|/a and arg A of two NV centres (:data:`PAIR_GEOMETRY`, YIG Ms(T)) for the second one at distance r
    in the in-plane direction ψ from the in-plane projection of the magnetisation (the x axis). A/a does
    not depend on the temperature except through Ms(T) (both carry the factor 1 + n_B); J⊥/a does."""
    from ..medium.film_pairs import pair_noises
    from ..medium.greens import MarkovWarning

    film, nv = _pair_setup(temperature)
    h = PAIR_GEOMETRY["height_m"]
    r = np.linspace(0.0, r_max, n_r)
    psi = np.linspace(0.0, math.pi, n_psi)  # A(−ρ) = A(ρ)*: the other half by conjugation
    R, P = np.meshgrid(r, psi, indexing="ij")
    disp = np.c_[(R * np.cos(P)).ravel(), (R * np.sin(P)).ravel()]
    noises = pair_noises(film, nv, h, disp, quad=FIGURE_QUAD)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkovWarning)
        cs = [n.couplings(temperature) for n in noises]
    Aa = np.array([c.A[0, 1] / c.a[0] for c in cs]).reshape(R.shape)
    Ja = np.array([c.J[1, 0].real / c.a[0] for c in cs]).reshape(R.shape)
    psi_full = np.r_[psi, psi[1:] + math.pi]
    Aa_full = np.concatenate([Aa, np.conj(Aa[:, 1:])], axis=1)
    Ja_full = np.concatenate([Ja, Ja[:, 1:]], axis=1)

    def reach(col, level):  # largest r with |A|/a >= level all the way from r = 0
        bad = np.nonzero(np.abs(col) < level)[0]
        return float(r[-1]) if bad.size == 0 else float(r[max(bad[0] - 1, 0)])

    c0 = cs[0]
    i90 = int(np.argmin(np.abs(psi - math.pi / 2)))
    return {
        "title": "Beyond (f): two NV centres above YIG: |A|/a and arg A versus separation and direction",
        "params": {**PAIR_GEOMETRY, "temperature_K": float(temperature), "Ms_A_per_m": float(film.Ms),
                   "n_r": int(n_r), "n_psi": int(2 * n_psi - 1), "r_max_m": float(r_max),
                   "quadrature": dict(FIGURE_QUAD)},
        "qubit_frequency_Hz": float(nv.frequency / (2 * math.pi)),
        "band_bottom_Hz": float(c0.band_bottom / (2 * math.pi)),
        "regime": c0.regime[0],
        "a_per_s": float(c0.a[0]),
        "markov_ok": all(c.markov_ok for c in cs),
        "reach_0.9_m": {"psi=0": reach(Aa[:, 0], 0.9), "psi=90": reach(Aa[:, i90], 0.9)},
        "reach_0.99_m": {"psi=0": reach(Aa[:, 0], 0.99), "psi=90": reach(Aa[:, i90], 0.99)},
        "rows": [],
        "grid": {"r_m": r, "psi_rad": psi_full, "A_over_a": Aa_full, "J_perp_over_a": Ja_full},
    }


#: Beyond (d): temperatures [K] of the separation figure
SEPARATION_TEMPERATURES = (0.02, 0.05, 0.1, 1.0)
SEPARATION_DIRECTIONS_DEG = (90.0, 0.0)


def separation_data(n_r: int = 40, r_min: float = 20e-9, r_max: float = 2e-6, temperatures=SEPARATION_TEMPERATURES,
                    t_window: float = 30.0, points: int = 1501) -> dict:
    """Beyond (d): entanglement from |↑↓⟩ versus separation, two NV centres above a YIG film (film model).

    :data:`PAIR_GEOMETRY` (the NV transition is in the film's band), second NV in the directions
    :data:`SEPARATION_DIRECTIONS_DEG` from the magnetisation's in-plane projection; all Lindblad parameters
    of the film model (a, ã, A, Ã, J⊥ + iD, Jz, d, 𝔇), δ = 0, rotating frame. Ms = Ms(T_min) for every T
    (YIG's Ms changes by < 1e-4 below 1 K). Plotted: the time maximum of C(t) over t ∈ [0, t_window/a(T)]
    (:func:`magbell.evolve`), |A|/a, arg A, and the entanglement lifetime from :func:`magbell.spectrum` (µs).
    """
    from ..solvers._evolve import evolve
    from ..medium.film_pairs import pair_noises
    from ..medium.greens import MarkovWarning
    from ..system._model import Model
    from ..solvers._steady import spectrum

    Ts = np.asarray(temperatures, dtype=float)
    film, nv = _pair_setup(float(Ts.min()))
    h = PAIR_GEOMETRY["height_m"]
    sep = np.geomspace(r_min, r_max, n_r)
    dirs = np.radians(SEPARATION_DIRECTIONS_DEG)
    disp = np.concatenate([np.c_[sep * math.cos(p), sep * math.sin(p)] for p in dirs])
    noises = pair_noises(film, nv, h, disp, quad=SEPARATION_QUAD)
    t = np.linspace(0.0, t_window, points)
    keys = ("a", "a2", "A", "a_tilde", "a_tilde2", "A_tilde", "Jperp", "D_dm", "d", "d2", "D_deph", "Jz")
    cmax, life, a_T, ratio, markov, A_over_a, argA, J_over_a = [], [], [], [], [], [], [], []
    for T in Ts:
        with warnings.catch_warnings(record=True) as wlist:
            warnings.simplefilter("always", MarkovWarning)
            cs = [n.couplings(float(T)) for n in noises]
        pairs = [c.pair() for c in cs]
        a = pairs[0]["a"]
        m = Model(**{k: np.array([p[k] for p in pairs]).reshape(len(dirs), n_r) / a for k in keys})
        C = np.asarray(evolve(m, "ud", t).concurrence)
        cmax.append(C.max(axis=-1))
        life.append(np.asarray(spectrum(m).entanglement_lifetime, dtype=float) / a * 1e6)
        a_T.append(a)
        ratio.append(pairs[0]["a_tilde"] / a)
        markov.append(bool(all(c.markov_ok for c in cs)) and not wlist)
        A = np.array([p["A"] for p in pairs]).reshape(len(dirs), n_r)
        A_over_a.append(np.abs(A) / a)
        argA.append(np.angle(A))
        J_over_a.append(np.array([p["Jperp"] for p in pairs]).reshape(len(dirs), n_r) / a)
    c0 = noises[0].couplings(float(Ts.min()))
    from ..medium.film_pairs import vacuum_dipolar

    Jdd = np.array([[vacuum_dipolar(nv, nv, [r * math.cos(p), r * math.sin(p), 0.0])["Jperp"] for r in sep]
                    for p in dirs])
    return {
        "title": "Beyond (d): entanglement versus separation, two NV centres above a YIG film (film model)",
        "params": {**PAIR_GEOMETRY, "model": "film", "material": "YIG", "Ms_A_per_m": float(film.Ms), "delta": 0.0,
                   "initial": "ud", "temperatures_K": [float(x) for x in Ts], "directions_deg": list(SEPARATION_DIRECTIONS_DEG),
                   "r_min_m": float(r_min), "r_max_m": float(r_max), "n_r": int(n_r),
                   "t_window_over_a": float(t_window), "points": int(points), "quadrature": dict(SEPARATION_QUAD),
                   "qubit_frequency_Hz": float(nv.frequency / (2 * math.pi)),
                   "band_bottom_Hz": float(c0.band_bottom / (2 * math.pi)), "regime": c0.regime[0]},
        "note": "time maximum of C over t <= 30/a(T); C(inf) = 0 unless |A| = a",
        "a_per_s": a_T,
        "ratio_a_tilde_over_a": ratio,
        "markov_ok": markov,
        "rows": [{"T_K": float(T), "a_per_s": a_T[i], "a_tilde_over_a": ratio[i], "markov_ok": markov[i],
                  "C_max_smallest_r": float(cmax[i][0, 0]), "C_max_largest_r": float(cmax[i][0, -1])}
                 for i, T in enumerate(Ts)],
        "curves": {"separation_m": sep, "C_max": np.array(cmax), "lifetime_us": np.array(life),
                   "A_over_a": A_over_a[0], "arg_A": argA[0], "J_perp_over_a": np.array(J_over_a),
                   "J_perp_vacuum_dipolar": Jdd},
    }
