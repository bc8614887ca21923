#!/usr/bin/env python
"""N-site evolve benchmark (issue 11 §2): magbell.evolve on an N-site System against QuTiP 5 mesolve and dynamiqs
mesolve in one run.

    .venv/bin/python benchmarks/bench_nsite.py             # several minutes on 2 cores (the peers' N = 8 dominate)
    .venv/bin/python benchmarks/bench_nsite.py --quick     # without the N = 8 peers and magbell N = 10 (~1 min)
    .venv/bin/python benchmarks/bench_nsite.py --json FILE

Setup (the issue's anchors): N qubits on a line at spacing 1 (in units of 1/k of the medium), collective and
nonlocal decay h_plus = a·sin(r_ij)/r_ij (a = 1, the sinc kernel of a 1D medium, positive definite), coherent
J⊥_ij = (a/2)·cos(r_ij)/r_ij (i < j), Δ_i = 1, finite temperature h_minus = 0.5·h_plus (every sector coupled)
or zero temperature h_minus = 0; 100 times on [0, 5]; initial state one excited qubit "duu…u" (N12: "dduu…u").

Rows:
  N8    finite T, N = 8: magbell vs QuTiP mesolve (atol = rtol = 1e-10); goal >= 20x; accuracy max|Δρ| vs QuTiP
  N10   finite T, N = 10: magbell, wall time and peak RSS (goal < 60 s, < 4 GB); QuTiP not run (anchor: not
        finished in 300 s, 16.8 GB); accuracy: site populations against the block-by-block (matrix-free) generator
  N12   zero T, N = 12, two excitations: magbell (goal < 10 s); accuracy vs QuTiP mesolve on the 79-dimensional
        space of <= 2 excitations (exact at zero temperature: no jump raises the excitation number)
  N8dq  the N8 problem in dynamiqs (float64, Tsit5, rtol = atol = 1e-10, its default sparse-diagonal `dia`
        layout (dense: 11x slower run, 14x faster compile; DQ_LAYOUT), one jax.jit compiled
        ahead of time: compile and run timed apart); accuracy max|Δρ| vs magbell at Krylov tolerance 1e-14.
        dynamiqs' exact Expm method is not run: it forms the 4^8 = 65,536-dimensional Liouvillian densely
        (65,536² complex128 = 68.7 GB, before expm's work arrays) on a 23 GB machine.
  N12dq the N12 problem in dynamiqs on the 79-state <= 2-excitation space (as the QuTiP peer of N12), dense
        layout (dia did not finish compiling in 5 min at 4.6 GB RSS)
  N12b  zero T, N = 12, two excitations, harder couplings (random Δ_i in [0.9, 1.1] with seed 0, rank-2 kernel
        h_plus_ij = cos(r_ij), all-to-all J⊥_ij = 0.5·sin(r_ij)/r_ij): magbell alone (goal < 10 s); accuracy
        vs magbell at Krylov tolerance 1e-14
  N1000 zero T, N = 1000, one excitation: magbell (goal < 1 s); accuracy vs scipy.linalg.expm of the dense
        1000 x 1000 H_eff at t = 2.5 and 5

Times are wall-clock seconds of the call (System built beforehand), best of ``--repeat`` runs, with the CPU
time of that run and the load average after the row; BLAS pinned to one
thread for every implementation (the machine is shared). Peak RSS is this process's VmHWM reset before the row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import magbell  # noqa: E402
from _harness import peak_rss_mb, reset_peak_rss  # noqa: E402


def chain_system(N: int, ratio: float, a: float = 1.0) -> magbell.System:
    x = np.arange(N, dtype=float)
    r = np.abs(x[:, None] - x[None, :])
    safe = np.where(r > 0, r, 1.0)
    S = np.where(r > 0, np.sin(r) / safe, 1.0)
    C = np.where(r > 0, np.cos(r) / safe, 0.0)
    return magbell.System(Delta=np.ones(N), h_plus=a * S, h_minus=ratio * a * S, J_perp=np.triu(0.5 * a * C, 1))


CPU: dict = {}


def best(fn, repeat: int):
    """(result, best wall time); the CPU time of that run in CPU["last"] (the machine is shared: CPU time is
    what the code costs, wall time what a user waits under the load of the moment)."""
    out, ts, cs = None, [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    CPU["last"] = cs[int(np.argmin(ts))]
    return out, min(ts)


def _restricted(system, initial: str, keep=None):
    """H, the jump operators and the index of the u/d basis state ``initial``, restricted to the basis states
    ``keep`` (None: the whole 2^N space), for the peers' runs."""
    H, J = sparse_operators(system)
    idx = int(initial.replace("u", "0").replace("d", "1"), 2)
    if keep is not None:
        keep = np.asarray(keep)
        H = H[keep][:, keep]
        J = [j[keep][:, keep] for j in J]
        idx = int(np.flatnonzero(keep == idx)[0])
    return H, J, idx


def sparse_operators(system):
    """H and the collapse operators √2·J_k as sparse 2ᴺ × 2ᴺ matrices, from Pauli matrices and the System
    contract (independent of the excitation blocks; System.hamiltonian() is dense and limited to N <= 8)."""
    import scipy.sparse as sp

    N = system.N
    P = {"x": [[0, 1], [1, 0]], "y": [[0, -1j], [1j, 0]], "z": [[1, 0], [0, -1]], "+": [[0, 1], [0, 0]]}

    def op(name, i):
        out = sp.identity(1, dtype=complex, format="csr")
        for k in range(N):
            out = sp.kron(out, sp.csr_matrix(np.array(P[name], dtype=complex) if k == i else np.eye(2)), format="csr")
        return out

    H = sum(-0.5 * system.Delta[i] * op("z", i) for i in range(N))
    for i in range(N):
        for j in range(i + 1, N):
            if system.J_perp[i, j]:
                H = H + system.J_perp[i, j] * (op("x", i) @ op("x", j) + op("y", i) @ op("y", j))
    lam, V = np.linalg.eigh(system.h_plus)
    J = [np.sqrt(2 * lam[k]) * sum(V[i, k] * op("+", i) for i in range(N)) for k in range(N) if lam[k] > 1e-14 * lam.max()]
    lam, V = np.linalg.eigh(system.h_minus)
    if lam.max() > 0:
        J += [np.sqrt(2 * lam[k]) * sum(V[i, k] * op("+", i).T for i in range(N)) for k in range(N) if lam[k] > 1e-14 * lam.max()]
    assert not np.any(system.h_z) and not np.any(system.J_z) and not np.any(system.D)
    return H.tocsr(), [j.tocsr() for j in J]


def qutip_states(system, initial: str, times, keep=None):
    """QuTiP mesolve (atol = rtol = 1e-10) of the System's own H and collapse operators; ``keep`` restricts to a
    list of basis indices (an invariant subspace)."""
    import qutip

    H, J, idx = _restricted(system, initial, keep)
    N = system.N
    if keep is not None:
        dims = [[len(keep)], [len(keep)]]
    else:
        dims = [[2] * N, [2] * N]
    psi = np.zeros(H.shape[0])
    psi[idx] = 1
    rho0 = qutip.Qobj(np.outer(psi, psi), dims=dims)
    opts = {"atol": 1e-10, "rtol": 1e-10, "store_states": True, "progress_bar": False}
    Hq = qutip.Qobj(H, dims=dims)  # CSR data layer (what QuTiP users build from operators)
    cq = [qutip.Qobj(j, dims=dims) for j in J]

    def run():
        return qutip.mesolve(Hq, rho0, times, c_ops=cq, options=opts)

    return run


DQ_TOL = {"rtol": 1e-10, "atol": 1e-10}
DQ_LAYOUT = "dia"  # dynamiqs' default sparse-diagonal layout: at N = 8, 13 s run + 80 s compile; "dense": 148 s + 6 s


def dynamiqs_states(system, initial: str, times, keep=None, layout: str = DQ_LAYOUT):
    """dynamiqs mesolve (float64, Tsit5 at rtol = atol = ``DQ_TOL``, layout ``DQ_LAYOUT``) of the same H and collapse
    operators √2·J as the QuTiP peer. Returns (compiled run, compile seconds, compile CPU seconds, versions):
    the solve is one ``jax.jit`` lowered and compiled ahead of time, so compile and run are timed apart.
    API (dynamiqs 0.3.7 source): dq.mesolve(H, jump_ops, rho0, tsave, *, method=dq.method.Tsit5(rtol, atol,
    max_steps=...), ...); dq.set_precision("double") is jax_enable_x64 (complex128 states).
    XLA is pinned to one thread, as BLAS is for the other implementations."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    import jax
    import jax.numpy as jnp

    import dynamiqs as dq

    dq.set_precision("double")
    dq.set_progress_meter(False)
    H, J, idx = _restricted(system, initial, keep)
    n = H.shape[0]
    rho0 = np.zeros((n, n), dtype=complex)
    rho0[idx, idx] = 1
    lay = dq.dia if layout == "dia" else dq.dense
    Hd = dq.asqarray(H.toarray(), layout=lay)
    Jd = [dq.asqarray(j.toarray(), layout=lay) for j in J]
    method = dq.method.Tsit5(**DQ_TOL, max_steps=10**7)

    def run(Hm, Js, r0, ts):
        return dq.mesolve(Hm, Js, r0, ts, method=method).states.to_jax()

    t0, c0 = time.perf_counter(), time.process_time()
    compiled = jax.jit(run).lower(Hd, Jd, jnp.asarray(rho0), jnp.asarray(times)).compile()
    t_c, c_c = time.perf_counter() - t0, time.process_time() - c0
    args = (Hd, Jd, jnp.asarray(rho0), jnp.asarray(times))

    def go():
        return np.asarray(compiled(*args).block_until_ready())

    return go, t_c, c_c, f"dynamiqs {dq.__version__}, jax {jax.__version__}"


def row_n8(times, repeat, quick):
    s8 = chain_system(8, 0.5)
    init8 = "d" + "u" * 7
    reset_peak_rss()
    r8, t_mb = best(lambda: magbell.evolve(s8, init8, times, store_states=True), repeat)
    row = {"row": "N8", "what": "N = 8 finite T, 100 times", "magbell_s": t_mb, "magbell_cpu_s": CPU["last"],
           "peak_rss_mb": peak_rss_mb(), "matvecs": r8.info["matvecs"]}
    tight = _tight(s8, init8, times, store_states=True)  # 1000x less error asked: measures magbell's own error
    row["max_abs_drho_vs_tol_1e-14"] = float(np.abs(r8.states - tight.states).max())
    if not quick:
        import qutip

        run = qutip_states(s8, init8, times)
        res, t_q = best(run, 1)
        ref = np.array([st.full() for st in res.states])
        row.update(qutip_s=t_q, qutip_cpu_s=CPU["last"], speedup=t_q / t_mb, max_abs_drho_vs_qutip=float(np.abs(r8.states - ref).max()),
                   qutip_version=qutip.__version__)
    return row


def row_n10(times):
    from magbell.solvers import _nsite_blocks as nb

    s10 = chain_system(10, 0.5)
    init = "d" + "u" * 9
    reset_peak_rss()
    base = peak_rss_mb()
    r10, t10 = best(lambda: magbell.evolve(s10, init, times), 1)
    row = {"row": "N10", "what": "N = 10 finite T, 100 times", "magbell_s": t10, "magbell_cpu_s": CPU["last"],
           "peak_rss_mb": peak_rss_mb(),
           "rss_before_mb": base, "chains": r10.info.get("chains")}
    old = nb.ASSEMBLE_MAX_BYTES
    nb.ASSEMBLE_MAX_BYTES = 0  # the block-by-block generator: the same terms computed another way
    try:
        few = times[::11]
        r10b = magbell.evolve(s10, init, few)
    finally:
        nb.ASSEMBLE_MAX_BYTES = old
    row["max_abs_dpop_vs_matrix_free"] = float(np.abs(r10b.site_populations - magbell.evolve(s10, init, few).site_populations).max())
    return row


def row_n12(times, repeat):
    s12 = chain_system(12, 0.0)
    init12 = "dd" + "u" * 10
    reset_peak_rss()
    r12, t12 = best(lambda: magbell.evolve(s12, init12, times), repeat)
    row = {"row": "N12", "what": "N = 12 zero T, 2 excitations", "magbell_s": t12, "magbell_cpu_s": CPU["last"],
           "peak_rss_mb": peak_rss_mb(),
           "chains": r12.info.get("chains")}
    N = 12
    keep = np.array([b for b in range(2**N) if bin(b).count("1") <= 2])
    run = qutip_states(s12, init12, times, keep=keep)
    res, t_q = best(run, 1)
    bits = ((keep[:, None] >> (N - 1 - np.arange(N))[None, :]) & 1).astype(float)
    pops = np.array([np.real(np.diag(st.full())) @ bits for st in res.states])
    row.update(qutip_truncated_s=t_q, max_abs_dpop_vs_qutip=float(np.abs(r12.site_populations - pops).max()))
    return row


def _tight(system, initial, times, **kw):
    """magbell at a 1000x tighter Krylov tolerance (1e-14): the reference the peers' accuracy is measured against."""
    from magbell.solvers import _nsite_blocks as nb

    old = nb.KRYLOV_TOL
    nb.KRYLOV_TOL = 1e-14
    try:
        return magbell.evolve(system, initial, times, **kw)
    finally:
        nb.KRYLOV_TOL = old


def row_dynamiqs(times, which: str):
    """dynamiqs peer rows, each in its own process (JAX's import and compile stay out of magbell's rows):
    N8dq: the N8 problem on the full 2^8 space; N12dq: the N12 problem on the 79-state <= 2-excitation space."""
    reset_peak_rss()
    if which == "N8dq":
        system, init, keep = chain_system(8, 0.5), "d" + "u" * 7, None
    else:
        N = 12
        system, init = chain_system(N, 0.0), "dd" + "u" * 10
        keep = np.array([b for b in range(2**N) if bin(b).count("1") <= 2])
    layout = DQ_LAYOUT if keep is None else "dense"  # dia on the scrambled 79-state space: compile not done in 5 min, 4.6 GB
    go, t_c, c_c, version = dynamiqs_states(system, init, times, keep=keep, layout=layout)
    states, t_run = best(go, 1)
    row = {"row": which, "what": f"dynamiqs Tsit5 rtol = atol = {DQ_TOL['rtol']:g}, float64, layout {layout}", "dynamiqs_s": t_run,
           "dynamiqs_cpu_s": CPU["last"], "compile_s": t_c, "compile_cpu_s": c_c, "peak_rss_mb": peak_rss_mb(),
           "version": version}
    if keep is None:
        ref = _tight(system, init, times, store_states=True)
        row["max_abs_drho_vs_magbell_tight"] = float(np.abs(states - ref.states).max())
    else:
        bits = ((keep[:, None] >> (N - 1 - np.arange(N))[None, :]) & 1).astype(float)
        pops = np.real(np.diagonal(states, axis1=-2, axis2=-1)) @ bits
        ref = _tight(system, init, times)
        row["max_abs_dpop_vs_magbell_tight"] = float(np.abs(pops - ref.site_populations).max())
    return row


def row_n12b(times, repeat):
    """The harder N = 12 zero-T case a QA user tried: random Δ_i in [0.9, 1.1] (seed 0), rank-2 cos kernel
    h_plus_ij = cos(r_ij), all-to-all J⊥_ij = 0.5·sin(r_ij)/r_ij, from "dd" + "u"*10, 100 times on [0, 5]."""
    N = 12
    rng = np.random.default_rng(0)
    x = np.arange(N, dtype=float)
    r = np.abs(x[:, None] - x[None, :])
    safe = np.where(r > 0, r, 1.0)
    system = magbell.System(Delta=rng.uniform(0.9, 1.1, N), h_plus=np.cos(r), h_minus=np.zeros((N, N)),
                            J_perp=np.triu(np.where(r > 0, 0.5 * np.sin(r) / safe, 0.0), 1))
    init = "dd" + "u" * 10
    reset_peak_rss()
    res, t = best(lambda: magbell.evolve(system, init, times), repeat)
    row = {"row": "N12b", "what": "N = 12 zero T, 2 excitations, random Δ, cos kernel, all-to-all J⊥",
           "magbell_s": t, "magbell_cpu_s": CPU["last"], "peak_rss_mb": peak_rss_mb(), "chains": res.info.get("chains")}
    row["max_abs_dpop_vs_magbell_tight"] = float(np.abs(res.site_populations - _tight(system, init, times).site_populations).max())
    return row


def row_n1000(times, repeat):
    import scipy.linalg

    from magbell.liouvillian._excitation import excitation_system

    s1k = chain_system(1000, 0.0)
    init1k = "d" + "u" * 999
    r1k, t1k = best(lambda: magbell.evolve(s1k, init1k, times), repeat)
    cpu = CPU["last"]
    ex = excitation_system(np.zeros(1000), s1k.h_plus, s1k.h_minus, s1k.h_z, s1k.J_perp, s1k.J_z, s1k.D)
    H1 = ex.K.copy()
    H1[np.diag_indices(1000)] = ex.e
    err = 0.0
    for k in (49, 99):  # t ≈ 2.5 and t = 5
        psi = scipy.linalg.expm(-1j * H1 * times[k])[:, 0]
        err = max(err, float(np.abs(np.abs(psi) ** 2 - r1k.site_populations[k]).max()))
    return {"row": "N1000", "what": "N = 1000 zero T, 1 excitation", "magbell_s": t1k, "magbell_cpu_s": cpu,
            "max_abs_dpop_vs_expm": err,
            "route": r1k.info.get("route")}


def main() -> None:
    import subprocess

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--row", help="run one row in this process (N8, N8dq, N10, N12, N12dq, N12b, N1000) and print it as JSON")
    ap.add_argument("--row-timeout", type=float, default=1200, help="seconds before a row's process is killed")
    args = ap.parse_args()
    times = np.linspace(0, 5, 100)
    if args.row:
        fn = {"N8": lambda: row_n8(times, args.repeat, args.quick), "N10": lambda: row_n10(times),
              "N12": lambda: row_n12(times, args.repeat), "N1000": lambda: row_n1000(times, args.repeat),
              "N12b": lambda: row_n12b(times, args.repeat), "N8dq": lambda: row_dynamiqs(times, "N8dq"),
              "N12dq": lambda: row_dynamiqs(times, "N12dq")}[args.row]
        print(json.dumps(fn(), default=str), flush=True)
        return
    print(f"magbell {magbell.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
          f"{os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    rows_all = ["N8", "N8dq", "N10", "N12", "N12dq", "N12b", "N1000"]
    for r in (["N8", "N12", "N12dq", "N12b", "N1000"] if args.quick else rows_all):
        cmd = [sys.executable, os.path.abspath(__file__), "--row", r, "--repeat", str(args.repeat)]
        if args.quick:
            cmd.append("--quick")
        t0 = time.perf_counter()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.row_timeout)
            lines = p.stdout.strip().splitlines()
            if p.returncode == 0 and lines:
                rows.append(json.loads(lines[-1]))  # each row in a fresh process: its own peak RSS
            else:
                err = (p.stderr.strip().splitlines() or ["no output"])[-1]
                rows.append({"row": r, "failed": f"exit {p.returncode}: {err}"})
        except subprocess.TimeoutExpired:
            rows.append({"row": r, "failed": f"not finished in {args.row_timeout} s (killed)"})
        rows[-1]["process_wall_s"] = round(time.perf_counter() - t0, 1)
        rows[-1]["load_after"] = round(os.getloadavg()[0], 1)
        print(rows[-1], flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1, default=str)


if __name__ == "__main__":
    main()
