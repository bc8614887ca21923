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
  (2019); Zhang & Mølmer, PRL 122, 203605 (2019); docs/nqubits.md §4(b)). A dense eigendecomposition at N = 1000
  took 24–39 s of reproduce on the loaded 2-core machine, so the rates come from the exact secular equation of
  the ideal channel (:func:`edge_mode_rate`: H_eff = −i a q^{|j−l|} has a tridiagonal inverse; Newton from the
  band edges, where the slowest modes are), each certified by its eigenvector's residual (< 1e-8) and, for
  N ≤ 178, equal to the slowest eigenvalue of magbell's full H_eff (:func:`chain_heff`, even/odd mirror blocks,
  :func:`slowest_rate`) to 1e-5 or the figure is refused; measured 8e-9 and 2e-12. The band-edge rule was also
  checked for k·spacing = 0.1 … 3.0 and N = 5 … 200 (largest deviation 3.6e-6, the full eigenvalues' rounding).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["chain_heff", "nsite_dark_data", "nsite_subradiance_data", "plot_nsite_dark", "plot_nsite_subradiance",
           "caption_nsite_dark", "caption_nsite_subradiance", "table_nsite_dark", "table_nsite_subradiance",
           "slowest_rate", "chain_q", "edge_mode_rate", "MEDIUM"]

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
    for m, n in enumerate(ns):  # the first n sites are the n-site chain; one batched expm per N
        psi = expm(-1j * (t_over_a / a) * H8[:, :n, :n])[:, :, 0]
        left[m] = np.sum(np.abs(psi) ** 2, axis=1)
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
    # legend in the empty quarter between the k s = 0 and π peaks (centred under the middle spike, its
    # entries sat on the N = 4, 6 curves); an opaque box keeps the dotted dark-weight lines from crossing it
    ax.legend(loc="lower center", bbox_to_anchor=(0.25, 0.08), fontsize=6, ncol=2, handlelength=1.2,
              columnspacing=0.8, frameon=True, framealpha=0.95, edgecolor="none", borderpad=0.3)
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
def chain_q(k_spacing: float, medium=None) -> tuple:
    """(q, a): the neighbour factor q = (A(s) + 2iJ⊥(s))/a of magbell's medium at the spacing s (k = 1), so that
    H_eff[j, l] = −i a q^{|j−l|} for the ideal 1D channel (checked against the full H_eff in the data)."""
    m = _medium() if medium is None else medium
    c = m.couplings(r=np.array([float(k_spacing)]), Delta=MEDIUM["Delta"], kT=MEDIUM["kT"])
    a = float(np.asarray(c.a).ravel()[0])
    return complex((np.asarray(c.A).ravel()[0] + 2j * np.asarray(c.Jperp).ravel()[0]) / a), a


def _mode_residual(N: int, q: complex, z: complex, m: complex, M: np.ndarray) -> float:
    n = np.arange(1, N + 1)
    v = (1 - q / z) * z**n - (1 - q * z) * z ** (-n)
    nv = np.linalg.norm(v)
    return float(np.linalg.norm(M @ v - m * v) / (abs(m) * nv)) if nv > 1e-300 and abs(m) > 0 else math.inf


def edge_mode_rate(N: int, q: complex) -> tuple:
    """(Γ/a, relative residual) of the most subradiant mode of H_eff = −i a q^{|j−l|} (N sites).

    The matrix M = q^{|j−l|} has a tridiagonal inverse, so its eigenvectors are v_n = A zⁿ + B z⁻ⁿ with
    v_0 = q v_1 and v_{N+1} = q v_N, i.e. z^N (z − q) = ±(1 − qz), and eigenvalue m = (1 − q²)/(1 + q² − q(z + 1/z));
    the population rate is Γ = 2a Re m. Up to N = 64 every root of both polynomials is taken (companion
    eigenvalues); above, the slowest modes sit at the band edges, κ = arg z ≈ π/N and π(N − 1)/N (Zhang & Mølmer,
    PRL 122, 203605 (2019)): Newton's method from there, both signs. The smallest rate is returned with the residual
    ‖Mv − mv‖/(|m|‖v‖) of its eigenvector (a certificate that it is an eigenvalue; spurious roots such as z = ±1,
    where v = 0, are dropped by it)."""
    from scipy.linalg import toeplitz

    N = int(N)
    col = q ** np.arange(N)
    M = toeplitz(col, col)  # complex symmetric, M[j, l] = q^{|j−l|} (toeplitz(c) alone takes the conjugate row)
    zs = []
    for sgn in (1.0, -1.0):
        if N <= 64:
            c = np.zeros(N + 2, dtype=complex)
            c[0], c[1] = 1.0, -q
            c[-2] += sgn * q
            c[-1] += -sgn
            zs += list(np.roots(c))
            continue
        for k0 in (np.pi / N, np.pi * (N - 1) / N):
            z = np.exp(1j * k0)
            for _ in range(100):
                zN = z**N
                step = (zN * (z - q) - sgn * (1 - q * z)) / (N * zN / z * (z - q) + zN + sgn * q)
                z = z - step
                if abs(step) <= 4 * np.finfo(float).eps:
                    break
            if abs(np.angle(z) - k0) < np.pi / (2 * N):  # else it converged to another mode, not this edge's
                zs.append(z)
    best = None
    for z in zs:
        m = (1 - q * q) / ((1 + q * q) - q * (z + 1 / z))
        res = _mode_residual(N, q, z, m, M)
        if res < 1e-8 and (best is None or m.real < best[0].real):
            best = (m, res)
    if best is None:
        raise RuntimeError(f"edge_mode_rate: no certified band-edge mode for N = {N}, q = {q!r}")
    return float(2 * best[0].real), best[1]


def nsite_subradiance_data(ns=(10, 18, 32, 56, 100, 178, 316, 562, 1000), k_spacing: float = 1.0,
                           other_k=(0.5, 2.0), n_check_max: int = 178) -> dict:
    """Γ_min(N)/a for a regular chain at k·spacing ∈ {``k_spacing``, ``other_k``} over ``ns`` (band-edge modes of
    :func:`edge_mode_rate`), each checked against the eigenvalues of magbell's full H_eff for N ≤ ``n_check_max``
    (:func:`chain_heff`, :func:`slowest_rate`); the least-squares exponent of log Γ_min versus log N."""
    ns = np.array(ns, dtype=int)
    if ns.ndim != 1 or ns.size < 2 or np.any(ns < 2):
        raise ValueError(f"ns must be at least two chain lengths >= 2 (a fit needs two points), got {ns.tolist()}")
    ks = (float(k_spacing),) + tuple(float(k) for k in other_k)
    rates = np.full((len(ks), ns.size), np.nan)
    check, resid = 0.0, 0.0
    a = None
    for i, kd in enumerate(ks):
        q, a = chain_q(kd)
        for j, n in enumerate(ns):
            rates[i, j], r = edge_mode_rate(int(n), q)
            resid = max(resid, r)
            if n <= n_check_max:
                H, _ = chain_heff(int(n), [kd])
                full = slowest_rate(H[0]) / a
                check = max(check, abs(rates[i, j] - full) / full)
    if not (resid < 1e-8 and check < 1e-5):  # never draw a rate that is not certified
        raise RuntimeError(f"nsite_subradiance: band-edge rates not certified (eigenvector residual {resid:.3g}, "
                           f"deviation from the full eigenvalues {check:.3g})")
    fits = []
    for i in range(len(ks)):
        x, y = np.log(ns), np.log(rates[i])
        slope, icpt = np.polyfit(x, y, 1)
        local = np.diff(y) / np.diff(x)
        fits.append({"k_spacing": ks[i], "exponent": float(slope), "intercept": float(icpt),
                     "local_last": float(local[-1]), "n_max": int(ns[-1])})
    return {
        "title": "Beyond: N^-3 subradiance of a chain in a 1D magnon medium",
        "params": {**MEDIUM, "ns": ns.tolist(), "k_spacing": ks, "n_check_max": int(n_check_max)},
        "a": a,
        "fits": fits,
        "check": {"max_rel_dev_full_eig": check, "max_residual": resid},
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
    others = "; ".join(f"k·spacing = {f['k_spacing']:g}: {f['exponent']:.3f}" for f in d["fits"][1:])
    return (
        "Beyond the paper (issue 11): the most subradiant one-excitation population decay rate Γ_min = −2 max Im λ "
        "of H_eff for a regular chain of N qubits in magbell's 1D magnon medium (ideal channel: damping "
        f"{p['damping']:g}, T = 0, Δ = {p['Delta']:g}, k = 1 on shell; a = {d['a']:.4g}), versus N = "
        f"{min(p['ns'])} … {max(p['ns'])}, log–log, with the least-squares exponent: k·spacing = {f0['k_spacing']:g}: "
        f"{f0['exponent']:.3f} (local exponent between the last two N: {f0['local_last']:.4f}); {others}. "
        "Expected N⁻³ (Albrecht et al., New J. Phys. 21, 025003 (2019); Zhang & Mølmer, PRL 122, 203605 (2019)); "
        "k·spacing must avoid multiples of π, where N − 1 states are exactly dark. Rates of the band-edge modes "
        "from the exact secular equation of H_eff = −i a e^{ik|x_j − x_l|} (eigenvector residual "
        f"≤ {d['check']['max_residual']:.1g}); equal to the slowest eigenvalue of magbell's full one-excitation H_eff "
        f"to {d['check']['max_rel_dev_full_eig']:.1g} (relative) for N ≤ {p['n_check_max']}."
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
