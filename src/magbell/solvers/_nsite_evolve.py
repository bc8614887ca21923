"""N-site ``evolve`` beyond the dense sector blocks: initial states as sparse excitation blocks, routing, limits.

Used by :func:`magbell.system.evolve_system` for N > DENSE_MAX_SITES (docs/numerics.md, "N sites"). The
initial state goes straight into its excitation blocks: a u/d string, a dict of strings, ``"W"``,
``"dicke:k"`` and ``"singlet:i,j"`` become one vector of amplitudes per excitation number (never a 2ᴺ
array); a dense ket or density matrix (small N) or a QuTiP Qobj is cut into blocks. Then, per point of the
System's batch (a Python loop: large N is meant for single systems),

* a pure state with at most one excitation at zero temperature (h_minus = 0) without σᶻ jumps (h_z = 0) is
  propagated as a ket (:func:`magbell.solvers._nsite_blocks.evolve_ket1`);
* otherwise every chain q = n − m ≥ 0 the state occupies is propagated as one vector
  (:func:`magbell.solvers._nsite_blocks.evolve_blocks`), limited to the excitation numbers it reaches.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..errors import InvalidParameterError, InvalidStateError
from ..liouvillian._excitation import basis_index, excitation_system, rank, sector_size
from ..system.states import amplitude, parse_state_name, unknown_state
from ._nsite_blocks import Chain, chain_elements, chain_ranges, evolve_blocks, evolve_ket1

__all__ = ["initial_blocks", "evolve_point", "evolve_excitation", "evolve_large", "MAX_WORK_BYTES", "MAX_STATES_BYTES", "KRYLOV_M"]

#: memory the reached chains may use (Krylov basis of KRYLOV_M + 1 vectors, work vectors, the assembled generator)
MAX_WORK_BYTES = 3 * 2**30
#: largest ``states`` array (n_times × 2ᴺ × 2ᴺ complex) evolve returns
MAX_STATES_BYTES = 2**30
#: Krylov dimension per step
KRYLOV_M = 40
#: largest dense ket / density matrix accepted (2ᴺ entries per side)
MAX_DENSE_SITES = 10


def big(x) -> str:
    """``x`` (an int of any size, or a float) as ``%.3g``: a count above float64's range (C(4096, 2048) ~ 1e1231)
    is written from its decimal digits instead of raising OverflowError in the refusal that names it."""
    try:
        return f"{float(x):.3g}"
    except OverflowError:
        d = str(int(x))
        return f"{d[0]}.{d[1:3]}e+{len(d) - 1}"


def gib(nbytes) -> str:
    """Bytes as GiB, ``%.3g``, for any size (see :func:`big`)."""
    return big(nbytes / 2**30) if nbytes < 2**1000 else big(int(nbytes) >> 30)


def _sites_of(s: str, N: int) -> np.ndarray:
    if not isinstance(s, str) or len(s) != N or set(s) - {"u", "d"}:
        raise InvalidStateError(f"a product state is a string of {N} letters u/d (one per site), got {s!r}")
    return np.array([i for i, ch in enumerate(s) if ch == "d"], dtype=np.int64)


def _check_size(N: int, n: int, what: str) -> None:
    M = sector_size(N, n)
    if M * 16 > MAX_WORK_BYTES:
        raise InvalidStateError(
            f"initial state {what}: N = {N} sites with {n} excitations has {big(M)} configurations "
            f"({gib(M * 16)} GiB for one vector), beyond the {MAX_WORK_BYTES / 2**30:.0f} GiB limit"
        )


def _named(name: str, N: int) -> dict:
    """{n: amplitudes (C(N, n),)} of a named pure state (names parsed by magbell.system.states.parse_state_name)."""
    spec = parse_state_name(name, N)
    if spec is None:
        raise unknown_state(name, N)
    if spec[0] == "dicke":
        k = spec[1]
        _check_size(N, k, repr(name))
        M = sector_size(N, k)
        return {k: np.full(M, 1 / math.sqrt(M), dtype=complex)}
    if spec[0] == "singlet":
        i, j = spec[1], spec[2]
        v = np.zeros(N, dtype=complex)
        v[rank(N, np.array([[j - 1]]))[0]] = 1 / math.sqrt(2)  # site i up, site j down
        v[rank(N, np.array([[i - 1]]))[0]] = -1 / math.sqrt(2)
        return {1: v}
    sites = _sites_of(name, N)
    n = sites.size
    _check_size(N, n, repr(name))
    v = np.zeros(sector_size(N, n), dtype=complex)
    v[rank(N, sites[None, :])[0]] = 1.0
    return {n: v}


def _from_dict(state: dict, N: int) -> dict:
    if not state:
        raise InvalidStateError("initial superposition is an empty dict")
    out: dict = {}
    for s, amp in state.items():
        a = amplitude(s, amp)
        if not (math.isfinite(a.real) and math.isfinite(a.imag)):
            raise InvalidStateError(f"amplitude of {s!r} must be finite, got {amp!r}")
        sites = _sites_of(s, N)
        n = sites.size
        _check_size(N, n, "dict")
        if n not in out:
            out[n] = np.zeros(sector_size(N, n), dtype=complex)
        out[n][rank(N, sites[None, :])[0]] += a
    from ..system._two_site_states import STATE_ATOL

    norm = sum(float(np.vdot(v, v).real) for v in out.values())
    if abs(norm - 1) > STATE_ATOL:
        raise InvalidStateError(f"initial ket must be normalised, but <ψ|ψ> = {norm:.6g}")
    return out


def initial_blocks(state, N: int):
    """One initial state of N sites → ``("ket", {n: ψ_n})`` or ``("rho", {(n, m): X_{n,m}, n ≥ m})``."""
    if isinstance(state, str):
        if N == 2 and parse_state_name(state, N) is None:  # a two-qubit name ("singlet", "phi+", ...)
            from ..system.states import system_density_matrix

            return _dense(system_density_matrix(state, N), N)
        return "ket", _named(state, N)
    if isinstance(state, dict):
        return "ket", _from_dict(state, N)
    if N > MAX_DENSE_SITES:
        raise InvalidStateError(
            f"a dense initial ket or density matrix of N = {N} sites has 2^{N} entries per side; for N > "
            f"{MAX_DENSE_SITES} give a u/d string, a dict of strings to amplitudes, 'W', 'dicke:k' or 'singlet:i,j'"
        )
    from ..system.states import state_array, system_density_matrix

    arr = state_array(state)
    rho = system_density_matrix(arr, N)  # validated (finite, normalised, Hermitian, PSD)
    if arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1 and arr.shape[0] == 2**N):
        psi = np.asarray(arr, dtype=complex).reshape(-1)
        return "ket", {n: psi[basis_index(N, n)] for n in range(N + 1) if np.any(psi[basis_index(N, n)] != 0)}
    return _dense(rho, N)


def _dense(rho: np.ndarray, N: int):
    out = {}
    for n in range(N + 1):
        bn = basis_index(N, n)
        for m in range(n + 1):
            X = rho[np.ix_(bn, basis_index(N, m))]
            if np.any(X != 0):
                out[(n, m)] = X
    return "rho", out


def ket_blocks(psi: dict) -> dict:
    """X_{n,m} = ψ_n ψ_m† for n ≥ m."""
    return {(n, m): np.outer(psi[n], psi[m].conj()) for n in psi for m in psi if n >= m}


def _plan(ex, kind: str, data: dict, N: int) -> tuple:
    """("ket", None) or ("blocks", [(q, lo, hi, elements)]) with the memory refusal."""
    down, up = bool(np.any(ex.hp != 0)), bool(np.any(ex.hm != 0))
    if kind == "ket" and not up and not np.any(ex.hz != 0) and set(data) <= {0, 1}:
        return "ket", None
    keys = ket_blocks({n: np.zeros(0) for n in data}) if kind == "ket" else data
    chains = []
    for q in sorted({n - m for (n, m) in keys}):
        present = [n for (n, m) in keys if n - m == q]
        lo, hi = chain_ranges(N, q, present, down, up)
        D = chain_elements(N, q, lo, hi)
        need = D * 16 * (KRYLOV_M + 8)
        if need > MAX_WORK_BYTES:
            raise InvalidParameterError(
                f"evolve: N = {N} sites, the initial state reaches the sector q = {q} with ket excitation numbers "
                f"{lo}…{hi}: {big(D)} density-matrix elements, about {gib(need)} GiB to propagate, beyond the "
                f"{MAX_WORK_BYTES / 2**30:.0f} GiB limit; use fewer sites or excitations, or zero temperature (h_minus = 0)"
            )
        chains.append((q, lo, hi, D))
    return "blocks", chains


def evolve_point(system_arrays: dict, init: tuple, times: np.ndarray, *, want_states: bool, pairs, stats: dict,
                 t_norm_max: float, bk=None) -> dict:
    """One System point (arrays of the contract, no batch axes): site populations, purity, optional states
    and pair states. ``t_norm_max`` bounds t·‖L′‖ (refused in one line above it). ``bk``: the backend whose
    ``expm`` the Krylov steps use (default: magbell.backend's default)."""
    expm = None if bk is None else bk.expm
    Delta = np.asarray(system_arrays["Delta"], dtype=float)
    N = Delta.size
    dbar = float(Delta.mean())
    ex = excitation_system(Delta - dbar, system_arrays["h_plus"], system_arrays["h_minus"], system_arrays["h_z"],
                           system_arrays["J_perp"], system_arrays["J_z"], system_arrays["D"])
    kind, data = init
    route, chains = _plan(ex, kind, data, N)
    t_max = float(times[-1]) if times.size else 0.0
    if route == "ket":
        nrm = float(np.abs(ex.K).sum(axis=0).max() + np.abs(ex.e).max()) if N else 0.0
        _check_tnorm(nrm, t_max, t_norm_max)
        stats["route"] = "ket: psi(t) = exp(-i H_eff t) psi0 (zero temperature, <= 1 excitation, no h_z)"
        psi1 = data.get(1, np.zeros(N, dtype=complex))
        psi0 = complex(data[0][0]) if 0 in data else 0.0
        with _budget_message(t_max):
            return evolve_ket1(ex, dbar, psi0, psi1, times, pairs=pairs, want_states=want_states, stats=stats,
                               expm=expm)
    blocks = ket_blocks(data) if kind == "ket" else data
    for q, lo, hi, D in chains:
        bound = Chain(ex, q, lo, hi).norm_bound() if D <= 4096 else _cheap_bound(ex, hi)
        _check_tnorm(bound, t_max, t_norm_max)
    stats["route"] = "excitation-block chains, Krylov steps"
    with _budget_message(t_max):
        return evolve_blocks(ex, dbar, blocks, times, want_states=want_states, pairs=pairs, stats=stats, expm=expm)


class _budget_message:
    """KrylovBudgetExceeded → one-line InvalidParameterError naming the time reached."""

    def __init__(self, t_max: float):
        self.t_max = t_max

    def __enter__(self):
        return self

    def __exit__(self, typ, val, tb):
        from ._krylov import KrylovBudgetExceeded
        from ._nsite_blocks import WORK_MAX

        if typ is KrylovBudgetExceeded:
            raise InvalidParameterError(
                f"evolve: the N-site propagation reached only t = {val.args[0]:.6g} of {self.t_max:.6g} within its work "
                f"budget ({WORK_MAX:.0e} generator entries × products, minutes): the dynamics does not relax and "
                "t·‖L‖ is too large; use shorter times"
            ) from None
        return False


def _cheap_bound(ex, n: int) -> float:
    """A 1-norm bound of a chain generator without building it: n excitations hop with at most the largest
    column sum of K each; the multiplier and jumps by their entries."""
    kmax = float(np.abs(ex.K).sum(axis=0).max())
    diag = abs(ex.c0) + n * float(np.abs(ex.e).max()) + n * n * float(np.abs(ex.U).max())
    hz = 8 * float(np.abs(ex.hz).sum())
    jumps = 2 * (n + 1) ** 2 * (float(np.abs(ex.hp).max()) + float(np.abs(ex.hm).max()))
    return 2 * (n * kmax + diag) + hz + jumps


def _check_tnorm(norm: float, t_max: float, limit: float) -> None:
    with np.errstate(over="ignore"):
        tn = norm * t_max
    if tn > limit:
        raise InvalidParameterError(
            f"evolve: t·‖L‖ = {tn:.3g} (largest time {t_max:.6g} times the generator's rate scale {norm:.3g}, "
            f"mean splitting removed) exceeds {limit:.0e}, the limit of the N-site Krylov propagation"
        )


def check_states_size(N: int, T: int, S: int, P: int) -> None:
    need = P * S * T * 4**N * 16
    if need > MAX_STATES_BYTES:
        raise InvalidParameterError(
            f"evolve: store_states=True for N = {N} sites needs {gib(need)} GiB ({T} times × 2^{N} × 2^{N} complex), "
            f"beyond the {MAX_STATES_BYTES / 2**30:.0f} GiB limit; use measures (site_populations, purity, pair states) instead"
        )


def is_state_list(initial) -> bool:
    return isinstance(initial, (list, tuple)) and not all(
        isinstance(x, numbers.Number) and not isinstance(x, (bool, np.bool_)) for x in initial
    )


# ----------------------------------------------------------------------------- the evolve driver for N sites
#: measures the excitation path computes without a dense state
NATIVE_MEASURES = ("site_populations", "purity", "pair_reduced_states", "pair_concurrence")
#: largest pair-state array (n_points × n_times × n_pairs × 4 × 4 complex) evolve forms
MAX_PAIR_BYTES = 2**30


def _pairs_to_matrix(r: np.ndarray, N: int, pairs: list) -> np.ndarray:
    """(..., P, 4, 4) over pairs i < j → (..., N, N, 4, 4): [i, j] site i left, [j, i] its swap, zero diagonal
    (the layout of magbell.measures.pair_reduced_states)."""
    out = np.zeros(r.shape[:-3] + (N, N, 4, 4), dtype=complex)
    I = np.array([p[0] for p in pairs], dtype=np.int64)
    J = np.array([p[1] for p in pairs], dtype=np.int64)
    out[..., I, J, :, :] = r
    swap = [0, 2, 1, 3]  # |ab⟩ → |ba⟩
    out[..., J, I, :, :] = r[..., swap, :][..., :, swap]
    return out


def evolve_excitation(system, initial, t: np.ndarray, *, measures: tuple, store_states: bool,
                      pairs: list | None = None, t_norm_max: float = 1e9, bk=None) -> dict:
    """Every point of ``system``'s batch and every initial state through :func:`evolve_point`.

    Returns arrays with leading axes (P, S): ``site_populations`` (P, S, T, N), ``purity`` (P, S, T),
    ``states`` (P, S, T, 2ᴺ, 2ᴺ) or None, ``pairs`` (P, S, T, n_pairs, 4, 4) or None, ``several``, ``stats``.
    ``t`` need not be sorted. ``pairs`` (0-based i < j) overrides the all-pairs list of the pair measures.
    ``bk``: the backend (:func:`evolve_point`).
    """
    N = system.N
    several = is_state_list(initial)
    states_in = list(initial) if several else [initial]
    if several and not states_in:
        raise InvalidStateError("initial is an empty list of states")
    inits = [initial_blocks(s, N) for s in states_in]
    S, T, P = len(inits), t.size, system.size
    if store_states:
        check_states_size(N, T, S, max(P, 1))
    want_pairs = pairs is not None or any(m in ("pair_reduced_states", "pair_concurrence") for m in measures)
    if want_pairs and pairs is None:
        pairs = [(i, j) for i in range(N) for j in range(i + 1, N)]
    if want_pairs:
        need = max(P, 1) * S * T * len(pairs) * 16 * 16 * (2 if pairs is not None else 1)
        if need > MAX_PAIR_BYTES:
            raise InvalidParameterError(
                f"evolve: two-site reduced states of {len(pairs)} pairs at {T} times need {gib(need)} GiB, "
                f"beyond the {MAX_PAIR_BYTES / 2**30:.0f} GiB limit; ask for fewer pairs (magbell.system.pair_states(..., pairs=[...])) or times"
            )
    order = np.argsort(t, kind="stable")
    tt = t[order]
    inv = np.empty_like(order)
    inv[order] = np.arange(T)
    names = ("Delta", "h_plus", "h_minus", "h_z", "J_perp", "J_z", "D")
    shp = system.shape
    flat = {}
    for nm in names:
        v = getattr(system, nm)
        tail = v.shape[-1:] if nm == "Delta" else v.shape[-2:]
        flat[nm] = np.broadcast_to(v, shp + tail).reshape((P,) + tail)
    from .._domain import PHASE_MAX

    dbar = flat["Delta"].mean(axis=-1) if P else np.zeros(0)
    with np.errstate(over="ignore"):
        ph = np.abs(dbar) * (float(t.max()) if T else 0.0)
    if np.any(ph > PHASE_MAX):
        raise InvalidParameterError(f"evolve: |mean(Delta)|·t = {float(ph.max()):.3g} exceeds {PHASE_MAX:.0e}")
    pops = np.zeros((P, S, T, N))
    pur = np.zeros((P, S, T))
    sums = np.zeros((P, S, T, N + 1))
    sts = np.zeros((P, S, T, 2**N, 2**N), dtype=complex) if store_states else None
    prs = np.zeros((P, S, T, len(pairs), 4, 4), dtype=complex) if want_pairs else None
    stats: dict = {"chains": []}
    for p in range(P):
        arrays = {nm: flat[nm][p] for nm in names}
        for s, init in enumerate(inits):
            st: dict = {}
            out = evolve_point(arrays, init, tt, want_states=store_states, pairs=pairs if want_pairs else None,
                               stats=st, t_norm_max=t_norm_max, bk=bk)
            pops[p, s] = out["site_populations"][inv]
            pur[p, s] = out["purity"][inv]
            sums[p, s] = out["sector_sums"][inv]
            if store_states:
                sts[p, s] = out["states"][inv]
            if want_pairs:
                prs[p, s] = out["pair_states"][inv]
            stats["route"] = st.get("route")
            stats["chains"] += st.get("chains", [])
    return {"site_populations": pops, "purity": pur, "sector_sums": sums, "states": sts, "pairs": prs, "pair_list": pairs,
            "several": several, "stats": stats, "initial": inits}


def _dicke_k(name: str, N: int):
    """(k, witness?) for the Dicke-fidelity measures computed from the blocks, else None."""
    if name == "w_fidelity":
        return 1, False
    if name == "gme_w_witness":
        return 1, True
    head, sep, arg = name.partition(":")
    if sep and head in ("dicke_fidelity", "gme_dicke_witness"):
        try:
            k = int(arg)
        except ValueError:
            return None
        if 0 <= k <= N:
            return k, head == "gme_dicke_witness"
    return None


def evolve_large(system, initial, t: np.ndarray, measures: tuple, store_states: bool, dense_fns: dict,
                 t_norm_max: float, bk=None):
    """:func:`magbell.system.evolve_system` for N > DENSE_MAX_SITES: a SystemEvolveResult from the excitation
    blocks; ``dense_fns`` the measures that need a dense ρ (name → f(ρ)); ``bk`` the backend (its ``expm``)."""
    from ..measures._two_qubit import concurrence
    from ..system.evolve import SystemEvolveResult
    from ..system.states import system_density_matrices


    N = system.N
    dense = [m for m in dense_fns if m not in NATIVE_MEASURES and _dicke_k(m, N) is None]
    if dense:
        try:
            check_states_size(N, t.size, len(initial) if is_state_list(initial) else 1, max(system.size, 1))
        except InvalidParameterError:
            raise InvalidParameterError(
                f"evolve: measure(s) {dense} need the dense 2^{N} × 2^{N} state at every time, beyond the "
                f"{MAX_STATES_BYTES / 2**30:.0f} GiB limit here; site_populations, purity, pair_reduced_states and "
                "pair_concurrence are computed from the excitation blocks at any N"
            ) from None
    r = evolve_excitation(system, initial, t, measures=measures, store_states=store_states or bool(dense),
                             t_norm_max=t_norm_max, bk=bk)
    shape, several = system.shape, r["several"]

    def _shape(a):
        a = a.reshape(shape + a.shape[1:])
        if not several:
            a = a.reshape(shape + a.shape[len(shape) + 1:])
        return a

    out = {}
    for m in measures:
        if m == "site_populations":
            out[m] = _shape(r["site_populations"])
        elif m == "purity":
            out[m] = _shape(r["purity"])
        elif m == "pair_reduced_states":
            out[m] = _shape(_pairs_to_matrix(r["pairs"], N, r["pair_list"]))
        elif m == "pair_concurrence":
            c = concurrence(r["pairs"])  # (P, S, T, n_pairs), batched over every pair at once
            mat = np.zeros(c.shape[:-1] + (N, N))
            I = np.array([p[0] for p in r["pair_list"]], dtype=np.int64)
            J = np.array([p[1] for p in r["pair_list"]], dtype=np.int64)
            mat[..., I, J] = c
            mat[..., J, I] = c
            out[m] = _shape(mat)
        elif _dicke_k(m, N) is not None:  # ⟨D_N^k|ρ|D_N^k⟩ = Σ X_{k,k} / C(N, k) (Bourennane et al. witness: α − F)
            from ..measures._multipartite import gme_fidelity_bound

            k, witness = _dicke_k(m, N)
            fid = r["sector_sums"][..., k] / math.comb(N, k)
            out[m] = _shape(gme_fidelity_bound(N, k) - fid if witness else fid)
        else:
            out[m] = _shape(dense_fns[m](r["states"]))
    st = r["stats"]
    info = {
        "method": "excitation blocks X_{n,m} built from the System's N×N blocks; chains q = n − m propagated by Krylov "
                  "steps with a-posteriori error control (sum of local estimates ≤ 1e-11·‖ρ0‖); at zero temperature "
                  "only the excitation numbers the initial state reaches; <= 1 excitation at zero T as a ket",
        "route": st.get("route"),
        "chains": tuple((c["q"], c["blocks"], c["elements"], c.get("matvecs", 0)) for c in st.get("chains", [])),
        "matvecs": int(sum(c.get("matvecs", 0) for c in st.get("chains", []))),
        "dtype": "complex128",
    }
    states = _shape(r["states"]) if store_states else None
    given = list(initial) if several else [initial]
    if N <= MAX_DENSE_SITES:  # the dense initial ρ for the result (2ᴺ ≤ 1024)
        init = np.stack([system_density_matrices(s, N)[0][0] for s in given])
        init = init if several else init[0]
    else:  # never formed: an empty (n_initial, 0, 0) keeps the initial axis of to_xarray()
        init = np.zeros((len(given), 0, 0), dtype=complex) if several else None
    if several and all(isinstance(s, str) for s in given):
        info["initial_labels"] = tuple(given)
    return SystemEvolveResult(
        times=t,
        system=system,
        initial=init,
        states=states,
        site_populations=_shape(r["site_populations"]),  # always (issue 11 contract)
        purity=out.get("purity"),
        measures=out,
        info=info,
    )
