"""Beyond the paper, issue 11 §6: N qubits in a chain in a 1D magnon medium (``magbell reproduce --out``).

The medium is magbell's 1D magnon medium (:class:`magbell.medium.MagnonMedium`, dim = 1, gap Ω = 1, stiffness 1,
no damping, T = 0) with the qubits at Δ = 2, so the on-shell wavenumber is k = 1 and the pair couplings are the
closed forms of docs/nqubits.md §2: A_ij = a cos(k r_ij), J⊥_ij = (a/2) sin(k r_ij). The one-excitation effective
Hamiltonian (:func:`magbell.system.one_excitation_hamiltonian`, rotating at Δ) is then the waveguide-QED form
H_eff[j, l] = −i a e^{ik|x_j − x_l|}; at T = 0 one excitation evolves exactly as e^{−iH_eff t} (the σ⁺ jumps leave
the sector for good). A regular chain has only N − 1 distinct distances, so the N×N blocks are built as Toeplitz
matrices from ONE vectorised call of :meth:`MagnonMedium.couplings` per spacing (equal to
:func:`magbell.system.couplings_at_positions`, tests/test_figures_nsite.py).

* ``nsite_dark`` — (left) the excitation left at t = 100/a from one excitation on site 1, versus k·spacing, for
  N = 2, 3, 4, 6, 8: at k·spacing = 0 (mod π) h₊ has rank one, the N − 1 orthogonal states are exactly dark and
  the weight 1 − 1/N stays forever (docs/nqubits.md §4(a)); in between, the subradiant modes hold it for long.
  (right) at the Bragg spacing k·spacing = π, versus N: the steady dark-manifold weight 1 − 1/N and the steady pair
  concurrences. The steady one-excitation amplitudes are c = (1 − bbᵀ)e₁ with b the bright mode
  (c₁ = 1 − 1/N, c_j = ±1/N), the steady state is |c⟩⟨c| + (1 − |c|²)|↑…↑⟩⟨↑…↑|, and the concurrence of each pair
  is 2|c_i c_j| (the reduced state is an X state with no double excitation); tested against
  :func:`magbell.steady_state` (pair_concurrence) for N = 3, 4.
* ``nsite_subradiance`` — the slowest one-excitation population decay rate Γ_min = −2 max Im λ(H_eff) of a regular
  chain versus N = 10 … 1000 (log–log) with the fitted exponent: N⁻³ (Albrecht et al., New J. Phys. 21, 025003
  (2019); Zhang & Mølmer, PRL 122, 203605 (2019); docs/nqubits.md §4(b)). The chain's mirror symmetry splits
  H_eff into even and odd blocks (exact: H_eff commutes with the reflection), which quarters the cost of the
  eigenvalues at N = 1000. Rounding: each rate's first-order error is κ·eps·‖H_eff‖_F (κ the eigenvalue condition
  number), below 1e-3 relative here (HN2's tests bound it at 1.2e-4 for N = 1000).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["chain_heff", "nsite_dark_data", "nsite_subradiance_data", "plot_nsite_dark", "plot_nsite_subradiance",
           "caption_nsite_dark", "caption_nsite_subradiance", "table_nsite_dark", "table_nsite_subradiance",
           "slowest_rate", "MEDIUM"]

#: the dimensionless 1D magnon medium and qubit splitting of both figures (k = 1 on shell)
MEDIUM = {"dim": 1, "gap": 1.0, "stiffness": 1.0, "damping": 0.0, "Delta": 2.0, "kT": 0.0}


def _medium():
    from ..medium import MagnonMedium

    return MagnonMedium(dim=1, gap=MEDIUM["gap"], stiffness=MEDIUM["stiffness"], damping=MEDIUM["damping"])


def chain_heff(N: int, spacings, medium=None) -> tuple:
    """One-excitation H_eff (rotating at Δ) of a regular chain of N qubits at each spacing: shape (n_s, N, N),
    and the single-qubit rate a. Blocks from the medium's closed forms at the N − 1 distances m·s (Toeplitz)."""
    from ..system import one_excitation_hamiltonian

    m = _medium() if medium is None else medium
    s = np.atleast_1d(np.asarray(spacings, dtype=float))
    N = int(N)
    dist = np.arange(1, N)[None, :] * s[:, None]  # (n_s, N-1)
    c = m.couplings(r=dist.ravel() if N > 1 else np.array([1.0]), Delta=MEDIUM["Delta"], kT=MEDIUM["kT"])
    a = float(np.asarray(c.a).ravel()[0])
    lag = np.arange(N)[:, None] - np.arange(N)[None, :]
    out = np.empty((s.size, N, N), dtype=complex)
    for q in range(s.size):
        A = np.concatenate([[a], np.asarray(c.A, dtype=complex).reshape(s.size, -1)[q]]) if N > 1 else np.array([a])
        J = np.concatenate([[0.0], np.asarray(c.Jperp, dtype=float).reshape(s.size, -1)[q]]) if N > 1 else np.zeros(1)
        hp = np.where(lag >= 0, A[np.abs(lag)], np.conj(A[np.abs(lag)]))  # h_plus[j, i] = A(r_ij), j >= i
        out[q] = one_excitation_hamiltonian(np.full(N, MEDIUM["Delta"]), hp, J_perp=J[np.abs(lag)], rotating=True)
    return out, a


def slowest_rate(H: np.ndarray) -> float:
    """Γ_min = −2 max Im λ of a mirror-symmetric H_eff (H[i, j] = H[N−1−i, N−1−j]), from its even and odd blocks."""
    N = H.shape[0]
    h, odd = N // 2, N % 2
    ne = h + odd
    U = np.zeros((N, N))
    i = np.arange(h)
    U[i, i] = U[N - 1 - i, i] = 2**-0.5
    U[i, ne + i] = 2**-0.5
    U[N - 1 - i, ne + i] = -(2**-0.5)
    if odd:
        U[h, h] = 1.0
    B = U.T @ H @ U
    ev = np.concatenate([np.linalg.eigvals(B[:ne, :ne]), np.linalg.eigvals(B[ne:, ne:]) if h else []])
    return float(-2 * np.max(ev.imag))


# ----------------------------------------------------------------------------- (a) dark manifold
def nsite_dark_data(ns=(2, 3, 4, 6, 8), n_k: int = 120, t_over_a: float = 100.0, n_max_bragg: int = 12) -> dict:
    """Excitation left at t = ``t_over_a``/a versus k·spacing ∈ (0, 2π] for each N of ``ns``, and the steady
    dark weight and pair concurrences at k·spacing = π for N = 2 … ``n_max_bragg`` (module docstring)."""
    from scipy.linalg import expm

    ns = tuple(int(n) for n in ns)
    ks = np.linspace(0.0, 2 * math.pi, n_k + 1)[1:]  # includes π and 2π exactly (up to the rounding of π)
    left = np.zeros((len(ns), ks.size))
    H8, a = chain_heff(max(ns), ks)
    for m, n in enumerate(ns):
        for q in range(ks.size):
            psi = expm(-1j * (t_over_a / a) * H8[q, :n, :n])[:, 0]  # the first n sites are the n-site chain
            left[m, q] = float(np.vdot(psi, psi).real)
    nb = np.arange(2, int(n_max_bragg) + 1)
    weight, c12, c23, n_dark = (np.zeros(nb.size) for _ in range(4))
    for j, n in enumerate(nb):
        H, _ = chain_heff(n, [math.pi])
        G = -(H[0] - H[0].conj().T) / 2j  # the decay part Γ = i(H − H†)/2 (h_plusᵀ), Hermitian PSD
        w, V = np.linalg.eigh(G)
        bright = V[:, w > 1e-9 * np.max(w)]
        c = np.zeros(n, dtype=complex)
        c[0] = 1.0
        c = c - bright @ (bright.conj().T @ c)  # the dark part of e_1: what stays (J⊥ = 0 at k·s = π)
        weight[j] = float(np.vdot(c, c).real)
        c12[j] = 2 * abs(c[0] * c[1])
        c23[j] = 2 * abs(c[1] * c[2]) if n > 2 else np.nan
        n_dark[j] = n - bright.shape[1]
    return {
        "title": "Beyond: N qubits in a 1D magnon medium — dark manifold and steady entanglement",
        "params": {**MEDIUM, "ns": list(ns), "n_k": int(n_k), "t_over_a": float(t_over_a),
                   "n_max_bragg": int(n_max_bragg), "initial": "one excitation on site 1"},
        "a": a,
        "curves": {"k_spacing": ks, "excitation_left": left, "N_bragg": nb, "dark_weight": weight,
                   "C_12": c12, "C_23": c23, "n_dark": n_dark},
    }


def plot_nsite_dark(d: dict, fig) -> None:
    from matplotlib import colormaps

    cv, p = d["curves"], d["params"]
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"wspace": 0.32})
    cmap = colormaps["viridis"]
    ns = p["ns"]
    for m, n in enumerate(ns):
        col = cmap(0.85 * m / max(1, len(ns) - 1))
        ax.plot(cv["k_spacing"] / math.pi, cv["excitation_left"][m], color=col, lw=1.0, label=f"N = {n}")
        ax.axhline((n - 1) / n, color=col, ls=":", lw=0.6)
    ax.set_xlabel(r"$k\,s/\pi$")
    ax.set_ylabel(rf"excitation left at $t = {p['t_over_a']:g}/a$")
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 1)
    ax.legend(loc="lower center", fontsize=6, ncol=3, handlelength=1.2, columnspacing=0.8)
    ax.text(0.02, 0.98, "1D medium, no damping, T = 0\nsite 1 excited at t = 0", transform=ax.transAxes,
            fontsize=6, va="top")
    nb = cv["N_bragg"]
    ax2.plot(nb, cv["dark_weight"], "o-", ms=3, color="k", lw=1.0, label=r"dark weight")
    ax2.plot(nb, 1 - 1 / nb, ":", color="0.5", lw=0.8, label=r"$1 - 1/N$")
    ax2.plot(nb, cv["C_12"], "s-", ms=3, color="tab:red", lw=1.0, label=r"$C_{12}$")
    ax2.plot(nb, cv["C_23"], "^-", ms=3, color="tab:blue", lw=1.0, label=r"$C_{23}$")
    ax2.set_xlabel("N")
    ax2.set_ylabel(r"steady state at $k\,s = \pi$")
    ax2.set_ylim(0, 1)
    ax2.legend(loc="center right", fontsize=6, handlelength=1.4)


def caption_nsite_dark(d: dict) -> str:
    p, cv = d["params"], d["curves"]
    nb = cv["N_bragg"]
    j4 = int(np.flatnonzero(nb == 4)[0]) if 4 in nb else 0
    return (
        "Beyond the paper (issue 11): one excitation on site 1 of a regular chain of N qubits in magbell's 1D magnon "
        f"medium (gap Ω = {p['gap']:g}, stiffness {p['stiffness']:g}, Gilbert damping {p['damping']:g}, qubits at "
        f"Δ = {p['Delta']:g}, so k = 1 on shell; T = 0; a = {d['a']:.4g} in the medium's unit; couplings "
        "A_ij = a cos(k r_ij), J⊥_ij = (a/2) sin(k r_ij), H_eff = −i a e^{ik|x_i − x_j|}). Left: probability that "
        f"the excitation is still there at t = {p['t_over_a']:g}/a (exact one-excitation propagator e^{{−iH_eff t}}) "
        f"versus k·spacing for N = {', '.join(str(n) for n in p['ns'])}; dotted: 1 − 1/N, the weight kept forever "
        "at k·spacing = 0 (mod π) where h₊ has rank one and N − 1 states are exactly dark (between these points, "
        "subradiant modes decaying as N⁻³ hold the excitation for long). Right: at k·spacing = π, versus N, the "
        "steady weight in the dark manifold (1 − 1/N) and the steady pair concurrences C_12 = 2(N − 1)/N² (excited "
        f"site and its neighbour) and C_23 = 2/N² (N = 4: {cv['C_12'][j4]:.4f} and {cv['C_23'][j4]:.4f}); checked "
        "against magbell.steady_state in tests/test_figures_nsite.py."
    )


def table_nsite_dark(d: dict) -> tuple:
    cv, p = d["curves"], d["params"]
    cols = ["k_spacing"] + [f"excitation_left_N{n}" for n in p["ns"]]
    rows = np.column_stack([cv["k_spacing"]] + [cv["excitation_left"][m] for m in range(len(p["ns"]))])
    # the Bragg-point columns (vs N) go in rows of their own below, marked by k_spacing = pi
    nb = cv["N_bragg"]
    return cols + ["N_bragg", "dark_weight", "C_12", "C_23", "n_dark"], [
        list(r) + ([nb[k], cv["dark_weight"][k], cv["C_12"][k], cv["C_23"][k], cv["n_dark"][k]] if k < nb.size
                   else [math.nan] * 5) for k, r in enumerate(rows.tolist())]


# ----------------------------------------------------------------------------- (b) N^-3 subradiance
def nsite_subradiance_data(ns=(10, 18, 32, 56, 100, 178, 316, 562, 1000), k_spacing: float = 1.0,
                           other_k=(0.5, 2.0), n_other_max: int = 316) -> dict:
    """Γ_min(N)/a for a regular chain at k·spacing = ``k_spacing`` over ``ns``, and at ``other_k`` up to
    ``n_other_max``; the least-squares exponent of log Γ_min versus log N and the local exponents."""
    ns = np.array(ns, dtype=int)
    ks = (float(k_spacing),) + tuple(float(k) for k in other_k)
    rates = np.full((len(ks), ns.size), np.nan)
    a = None
    for i, kd in enumerate(ks):
        for j, n in enumerate(ns):
            if i and n > n_other_max:
                continue
            H, a = chain_heff(int(n), [kd])
            rates[i, j] = slowest_rate(H[0]) / a
    fits = []
    for i in range(len(ks)):
        ok = np.isfinite(rates[i])
        x, y = np.log(ns[ok]), np.log(rates[i, ok])
        slope, icpt = np.polyfit(x, y, 1)
        local = np.diff(y) / np.diff(x)
        fits.append({"k_spacing": ks[i], "exponent": float(slope), "intercept": float(icpt),
                     "local_last": float(local[-1]), "n_max": int(ns[ok][-1])})
    return {
        "title": "Beyond: N^-3 subradiance of a chain in a 1D magnon medium",
        "params": {**MEDIUM, "ns": ns.tolist(), "k_spacing": ks, "n_other_max": int(n_other_max)},
        "a": a,
        "fits": fits,
        "curves": {"N": ns, "rate_over_a": rates},
    }


def plot_nsite_subradiance(d: dict, fig) -> None:
    cv, p = d["curves"], d["params"]
    ax = fig.subplots()
    N = cv["N"]
    colors = ("k", "tab:blue", "tab:red")
    for i, f in enumerate(d["fits"]):
        r = cv["rate_over_a"][i]
        ok = np.isfinite(r)
        ax.loglog(N[ok], r[ok], "o", ms=3, color=colors[i % 3],
                  label=rf"$ks = {f['k_spacing']:g}$: exponent ${f['exponent']:.3f}$")
        ax.loglog(N[ok], np.exp(f["intercept"]) * N[ok] ** f["exponent"], "-", lw=0.7, color=colors[i % 3])
    ax.loglog(N, 2 * N[0] ** 3 * cv["rate_over_a"][0][0] / 2 / N**3, ":", color="0.5", lw=0.8, label=r"$\propto N^{-3}$")
    ax.set_xlabel("N")
    ax.set_ylabel(r"slowest rate $\Gamma_{\min}/a$")
    ax.legend(fontsize=6, loc="lower left", handlelength=1.4)
    ax.text(0.98, 0.98, f"1D medium, no damping, T = 0\nΔ = {p['Delta']:g}, k = 1, one excitation",
            transform=ax.transAxes, fontsize=6, va="top", ha="right")


def caption_nsite_subradiance(d: dict) -> str:
    p = d["params"]
    f0 = d["fits"][0]
    others = "; ".join(f"k·spacing = {f['k_spacing']:g}: {f['exponent']:.3f} (N ≤ {f['n_max']})" for f in d["fits"][1:])
    return (
        "Beyond the paper (issue 11): the most subradiant one-excitation population decay rate Γ_min = −2 max Im λ "
        "of H_eff for a regular chain of N qubits in magbell's 1D magnon medium (ideal channel: damping "
        f"{p['damping']:g}, T = 0, Δ = {p['Delta']:g}, k = 1 on shell; a = {d['a']:.4g}), versus N = "
        f"{min(p['ns'])} … {max(p['ns'])}, log–log, with the least-squares exponent: k·spacing = {f0['k_spacing']:g}: "
        f"{f0['exponent']:.3f} (local exponent between the last two N: {f0['local_last']:.4f}); {others}. "
        "Expected N⁻³ (Albrecht et al., New J. Phys. 21, 025003 (2019); Zhang & Mølmer, PRL 122, 203605 (2019)); "
        "k·spacing must avoid multiples of π, where N − 1 states are exactly dark. Eigenvalues of the even and "
        "odd blocks of H_eff under the chain's mirror symmetry."
    )


def table_nsite_subradiance(d: dict) -> tuple:
    cv = d["curves"]
    cols = ["N"] + [f"rate_over_a_ks{f['k_spacing']:g}" for f in d["fits"]]
    return cols, np.column_stack([cv["N"].astype(float)] + list(cv["rate_over_a"]))


# ----------------------------------------------------------------------------- registration
def _register() -> None:
    from . import _jobs
    from .figures import FULL_W, COLUMN_W, FigureJob, register

    _jobs.FIGURE_DATA.update({"nsite_dark": nsite_dark_data, "nsite_subradiance": nsite_subradiance_data})
    register(FigureJob("nsite_dark", "Beyond (g)", "beyond", nsite_dark_data, plot_nsite_dark, caption_nsite_dark,
                       table_nsite_dark, figsize=(FULL_W, 2.5)))
    register(FigureJob("nsite_subradiance", "Beyond (h)", "beyond", nsite_subradiance_data, plot_nsite_subradiance,
                       caption_nsite_subradiance, table_nsite_subradiance, figsize=(COLUMN_W + 0.4, 2.7)))


_register()  # imported at the end of magbell.paper._jobs (its one registration line)
