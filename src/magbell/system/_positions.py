"""N qubits at positions in a magnon medium: every pair's couplings from the medium layer (issue 11 §1).

For qubits at positions x_1 … x_N in an isotropic :class:`magbell.medium.MagnonMedium` (1D, 2D or 3D) the
N-site blocks of :class:`magbell.System` are the medium's two-point correlations at the qubits' mean
frequency Δ̄ = mean(Δ_i) (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022), main text after Eq. (9) and
Suppl. (S9), (S31), (S39)–(S40), here between every pair; the closed forms are those of
:meth:`MagnonMedium.couplings`, docs/medium.md)::

    h_plus[i, i] = a,    h_plus[j, i] = A(r_ij),  h_plus[i, j] = A(r_ij)*      (r_ij = |x_i − x_j|)
    h_minus      = e^{−βΔ̄} h_plus                 (detailed balance, Suppl. S42–S47; see ``thermal``)
    J_perp[i, j] = J⊥(r_ij),  J_z = D = h_z = 0   (one-magnon processes only)
    Delta_i      = Δ_i (+ δΔ, the Lamb shift at Δ̄, on every site if ``lamb_shift_cutoff`` is given)

h_plus is (1 + n_B(Δ̄)) Γ0 · 2 Im G0(x_i − x_j; q(Δ̄)): the Fourier transform of the (positive) magnon
spectral density on the shell |k| = q, hence positive semidefinite for any positions (Bochner). That is
checked: the smallest eigenvalue of each block is reported in ``info["min_eigenvalue"]``; a negative one
within rounding (|λ_min| ≤ 16·N·eps·(1 + k·r_max)·max|h|, the error of the computed cos/sin/Bessel
phases) is removed by zeroing it in the eigendecomposition (``info["psd_clipped"]``), anything larger is
refused in one line naming the block and its smallest eigenvalue.

``thermal="mean"`` (default) uses one Boltzmann factor e^{−βΔ̄} for every entry (as ``Model`` and
``MediumCouplings.model``: the two-site result equals the Model's exactly); ``thermal="site"`` uses
h_minus = B h_plus B with B = diag(e^{−βΔ_i/2}), i.e. ã_i = e^{−βΔ_i} a per site and
Ã_ij = e^{−β(Δ_i+Δ_j)/2} A_ij (the pair's mean frequency) — still PSD (a congruence). Both agree to first
order in (Δ_i − Δ̄)/kT; evaluating the medium at one frequency assumes |Δ_i − Δ̄| small against the
scale on which the medium's spectrum varies (``info["max_detuning"]`` records it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidParameterError

__all__ = [
    "PositionCouplings",
    "couplings_at_positions",
    "from_positions",
    "chain_positions",
    "ring_positions",
    "grid_positions",
    "one_excitation_hamiltonian",
    "MAX_POSITION_SITES",
]

#: the most qubits whose N×N blocks are built here (the N(N−1)/2 pair couplings are vectorised)
MAX_POSITION_SITES = 2048
_EPS = np.finfo(float).eps


def _real_array(name: str, value) -> np.ndarray:
    if isinstance(value, (str, bytes)) or isinstance(value, (bool, np.bool_)):
        raise InvalidParameterError(f"{name} must be a number or an array of numbers, got {value!r}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if arr.dtype.kind not in "iuf":
        raise InvalidParameterError(f"{name} must be real numbers, got dtype {arr.dtype}")
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"{name} must be finite (no NaN or inf)")
    return arr


def _positions(positions, dim: int) -> np.ndarray:
    x = _real_array("positions", positions)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1:
        raise InvalidParameterError(f"positions must have shape (N,) or (N, d), got shape {np.shape(positions)}")
    N, d = x.shape
    if N > MAX_POSITION_SITES:
        raise InvalidParameterError(f"positions: at most {MAX_POSITION_SITES} qubits, got N = {N}")
    if not 1 <= d <= dim:
        raise InvalidParameterError(
            f"positions must have 1 <= d <= {dim} coordinates per qubit in a {dim}D medium, got d = {d}"
        )
    if d < dim:  # a chain in a film or a bulk: the missing coordinates are 0
        x = np.concatenate([x, np.zeros((N, dim - d))], axis=1)
    return x


@dataclass(frozen=True, eq=False)
class PositionCouplings:
    """The N×N blocks of qubits at ``positions`` in a medium (see the module docstring).

    ``Delta`` (N,) per-site splittings as they go into the System (Lamb shift included if requested),
    ``h_plus``, ``h_minus``, ``h_z`` (N, N) complex Hermitian PSD, ``J_perp``, ``J_z``, ``D`` (N, N) real
    symmetric with zero diagonal, ``distances`` r_ij, ``frequency`` Δ̄, ``kT``; ``info``: ``k_on_shell``,
    ``kappa`` (damping envelope), ``lamb_shift``, ``min_eigenvalue`` per block, ``psd_clipped``,
    ``max_detuning``, ``markov`` (the medium's :class:`~magbell.medium.MarkovReport` over all pairs).
    """

    positions: np.ndarray
    Delta: np.ndarray
    h_plus: np.ndarray
    h_minus: np.ndarray
    h_z: np.ndarray
    J_perp: np.ndarray
    J_z: np.ndarray
    D: np.ndarray
    distances: np.ndarray
    frequency: float
    kT: float
    info: dict = field(default_factory=dict)

    @property
    def N(self) -> int:
        return int(self.Delta.shape[0])

    def system(self):
        """The :class:`magbell.System` with these blocks (System's own site limit applies)."""
        from .core import System

        return System(
            Delta=self.Delta, h_plus=self.h_plus, h_minus=self.h_minus, h_z=self.h_z,
            J_perp=self.J_perp, J_z=self.J_z, D=self.D,
        )

    def one_excitation_hamiltonian(self, *, rotating: bool = False) -> np.ndarray:
        """H_eff restricted to one excitation (N×N; see :func:`one_excitation_hamiltonian`)."""
        return one_excitation_hamiltonian(
            self.Delta, self.h_plus, self.h_minus, self.h_z, self.J_perp, self.J_z, self.D, rotating=rotating
        )


def one_excitation_hamiltonian(
    Delta, h_plus, h_minus=None, h_z=None, J_perp=None, J_z=None, D=None, *, rotating: bool = False
) -> np.ndarray:
    """The effective non-Hermitian Hamiltonian H_eff = H − i Σ_k J_k†J_k restricted to one excitation.

    Basis |k⟩ = site k down, the rest up (k = 1…N), energies relative to E_0 = −½ΣΔ_i + Σ_{i<j} Jz_ij::

        H_kk = Δ_k − 2 Σ_{j≠k} Jz_kj,   H_jk = 2 J⊥_jk + 2i (D_kj − D_jk)   (j ≠ k; D read for i < j only)
        Γ = h_plusᵀ + [h_minus off-diagonal, Σ_{a≠k} h_minus[a, a] on the diagonal] + diag(sᵀ h_z s)

    with s = (+1, …, −1 at k, …, +1); H_eff = H − iΓ. At zero temperature (h_minus = 0) the one-excitation
    amplitudes evolve exactly by e^{−i H_eff t} (Zou et al. 2022 with N sites; the waveguide form
    −i a e^{ik|x_i − x_j|} in a 1D medium); the eigenvalues' −2 Im λ are the collective decay rates of the
    population. Blocks as in :class:`magbell.System` (J_perp, J_z, D: only i < j read). ``rotating=True``
    subtracts the mean splitting Δ̄ from the diagonal (exact: Δ̄·1 commutes with the block), so that SI-scale
    splittings (1e10 rad/s) do not set the rounding of rates of 1e3 /s in an eigendecomposition.
    """
    Delta = _real_array("Delta", Delta)
    if Delta.ndim != 1:
        raise InvalidParameterError(f"Delta must have shape (N,) (one system; no batch axes), got shape {Delta.shape}")
    N = Delta.shape[0]
    z = np.zeros((N, N))
    hp = np.asarray(h_plus, dtype=complex)
    for name, b in (("h_plus", h_plus), ("h_minus", h_minus), ("h_z", h_z), ("J_perp", J_perp), ("J_z", J_z), ("D", D)):
        if b is not None and np.shape(b) != (N, N):
            raise InvalidParameterError(f"{name} must have shape (N, N) = ({N}, {N}) like Delta, got shape {np.shape(b)}")
    hm = np.asarray(z if h_minus is None else h_minus, dtype=complex)
    hz = np.asarray(z if h_z is None else h_z, dtype=complex)
    up = np.triu(np.ones((N, N)), 1)
    jp = np.asarray(z if J_perp is None else J_perp, dtype=float) * up
    jz = np.asarray(z if J_z is None else J_z, dtype=float) * up
    dm = np.asarray(z if D is None else D, dtype=float) * up
    jp, jz = jp + jp.T, jz + jz.T
    dloc = Delta - np.mean(Delta) if rotating else Delta
    H = np.diag(dloc - 2 * jz.sum(axis=1)).astype(complex) + 2 * jp
    # D_ij (i<j): 2iD(σ_i⁺σ_j⁻ − σ_i⁻σ_j⁺): ⟨j|·|i⟩ = 2iD_ij, ⟨i|·|j⟩ = −2iD_ij
    H = H + 2j * dm.T - 2j * dm
    G = hp.T.copy()
    off = hm - np.diag(np.diag(hm))
    G = G + off + np.diag(np.real(np.trace(hm)) - np.real(np.diag(hm)))
    # h_z: Σ_ab h_z[a, b] s_a s_b for each k (s_k = −1)
    tot = np.sum(hz)
    row = np.sum(hz, axis=1) + np.sum(hz, axis=0)
    G = G + np.diag(tot - 2 * row + 4 * np.diag(hz))
    return H - 1j * G


def _check_block(name: str, h: np.ndarray, tol_scale: float, info: dict) -> np.ndarray:
    from ..medium.greens import InvalidMediumError

    lam, V = np.linalg.eigh(h)
    top = float(np.max(np.abs(lam))) if lam.size else 0.0
    low = float(lam[0])
    info["min_eigenvalue"][name] = low
    system_tol = 16 * _EPS * h.shape[0] * top  # System's own tolerance (core._PSD_RTOL · N)
    if low >= -system_tol:
        return h
    if low < -tol_scale * top:
        raise InvalidMediumError(
            f"{name} of these positions is not positive semidefinite beyond rounding: its smallest eigenvalue is "
            f"{low:.6g} (largest {top:.6g}, rounding allows {tol_scale * top:.3g})"
        )
    info["psd_clipped"][name] = low
    out = (V * np.maximum(lam, 0.0)) @ V.conj().T
    return (out + out.conj().T) / 2


#: largest rounding of a pair coupling, relative to the local rate a, that the phase e^{ikr} may carry
PHASE_ROUNDING_MAX = 1e-8


def _distances(x: np.ndarray, iu: np.ndarray, ju: np.ndarray) -> np.ndarray:
    """|x_i − x_j| for the pairs (iu, ju), scaled by the largest coordinate difference so that the squares do not
    overflow (positions 1e300 apart gave a RuntimeWarning and r = inf); a difference beyond float64 is refused."""
    if iu.size == 0:
        return np.zeros(0)
    with np.errstate(over="ignore", invalid="ignore"):
        diff = x[iu] - x[ju]
    m = np.max(np.abs(diff), axis=1)
    if not np.all(np.isfinite(m)):
        p = int(np.argmax(~np.isfinite(m)))
        raise InvalidParameterError(
            f"positions: the separation of qubits {iu[p] + 1} and {ju[p] + 1} overflows float64; use positions in a "
            "physical range"
        )
    safe = np.where(m > 0, m, 1.0)
    return m * np.sqrt(np.sum((diff / safe[:, None]) ** 2, axis=1))


def _check_phase_resolution(medium, Dbar: float, r: np.ndarray, iu: np.ndarray, ju: np.ndarray) -> None:
    """Refuse pairs whose coupling float64 cannot resolve: r and k carry a relative rounding ~eps, so the phase k·r
    is off by ~eps·k·r rad, and the coupling A/a, J⊥/a by that times its envelope (kr)^{−(d−1)/2} e^{−κr} (1D: cos kr,
    2D: J₀(kr), 3D: sin(kr)/kr; docs/nqubits.md §2). Beyond PHASE_ROUNDING_MAX the coupling would be rounding noise
    (a 1D chain at spacing 1e300 returned cos(k·r) of an undetermined phase, exit 0)."""
    if r.size == 0:
        return
    q = complex(np.asarray(medium.wavenumber(Dbar)).ravel()[0])
    k, kappa = abs(q.real), abs(q.imag)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        kr = k * r
        err = 4 * _EPS * kr * np.exp(-kappa * r) * np.maximum(kr, 1.0) ** (-(medium.dim - 1) / 2)
    bad = err > PHASE_ROUNDING_MAX
    if np.any(bad):
        p = int(np.argmax(bad))
        raise InvalidParameterError(
            f"positions: qubits {iu[p] + 1} and {ju[p] + 1} are k·r = {kr[p]:.3g} rad apart on the magnon wavelength "
            f"(r = {r[p]:.3g}, k = {k:.3g}); float64 resolves their coupling only to {err[p]:.2g} of a "
            f"(> {PHASE_ROUNDING_MAX:g}: the phase e^(ikr) is rounding noise there); use separations in a physical range"
        )


def couplings_at_positions(medium, positions, Delta, kT=0.0, *, lamb_shift_cutoff=None, thermal: str = "mean") -> PositionCouplings:
    """Every pair's couplings for qubits at ``positions`` ((N,) or (N, d), d ≤ medium.dim, in the medium's
    length unit) with splittings ``Delta`` (a number or (N,), > 0, the medium's energy unit) at temperature
    ``kT`` (energy unit): a :class:`PositionCouplings` (module docstring). One-line errors for bad input,
    coincident qubits in 2D/3D (the coherent coupling diverges at contact) and a non-PSD block."""
    from ..medium.magnon import MagnonMedium, markov_report

    if not isinstance(medium, MagnonMedium):
        raise InvalidParameterError(
            f"medium must be a magbell.medium.MagnonMedium (1D/2D/3D magnon medium), got {type(medium).__name__}"
        )
    if thermal not in ("mean", "site"):
        raise InvalidParameterError(f"thermal must be 'mean' or 'site', got {thermal!r}")
    x = _positions(positions, medium.dim)
    N = x.shape[0]
    d = _real_array("Delta", Delta)
    if d.ndim > 1 or (d.ndim == 1 and d.shape[0] != N):
        raise InvalidParameterError(f"Delta must be a number or have shape (N,) = ({N},), got shape {d.shape}")
    d = np.broadcast_to(d, (N,)).copy()
    if np.any(d <= 0):
        raise InvalidParameterError(f"Delta must be > 0 on every site (the qubit frequencies), got {d.min():.6g}")
    kT = _real_array("kT", kT)
    if kT.ndim != 0 or kT < 0:
        raise InvalidParameterError(f"kT must be one number >= 0, got {kT!r}")
    kT = float(kT)
    Dbar = float(np.mean(d))

    iu, ju = np.triu_indices(N, 1)
    r = _distances(x, iu, ju)
    _check_phase_resolution(medium, Dbar, r, iu, ju)
    if medium.dim in (2, 3) and np.any(r == 0):
        p = int(np.argmax(r == 0))
        raise InvalidParameterError(
            f"positions of qubits {iu[p] + 1} and {ju[p] + 1} coincide (r = 0): in a {medium.dim}D medium the "
            "coherent coupling diverges at contact; place every qubit at a distinct position"
        )
    # the local rate does not depend on r: one evaluation at a valid separation when there is no pair
    rr = r if r.size else np.array([1.0])
    c = medium.couplings(r=rr, Delta=Dbar, kT=kT)
    a = float(np.asarray(c.a).ravel()[0])
    boltz = float(np.asarray(c.a_tilde).ravel()[0]) / a if a > 0 else float(np.exp(-Dbar / kT)) if kT > 0 else 0.0

    hp = np.zeros((N, N), dtype=complex)
    jp = np.zeros((N, N))
    hp[np.diag_indices(N)] = a
    if r.size:
        A = np.asarray(c.A, dtype=complex)
        hp[ju, iu] = A  # h_plus[j, i] = A (Model: [[a1, A*], [A, a2]])
        hp[iu, ju] = np.conj(A)
        jp[iu, ju] = np.asarray(c.Jperp, dtype=float)
        jp = jp + jp.T
    info = {
        "k_on_shell": float(np.asarray(c.info["k_on_shell"]).ravel()[0]),
        "kappa": float(np.asarray(c.info["kappa"]).ravel()[0]),
        "rate_scale": medium.rate_scale,
        "min_eigenvalue": {},
        "psd_clipped": {},
        "max_detuning": float(np.max(np.abs(d - Dbar))),
        "thermal": thermal,
        "lamb_shift": None,
    }
    if r.size:
        info["markov"] = markov_report(medium, c, warn=False)
    kr = abs(info["k_on_shell"]) * (float(r.max()) if r.size else 0.0)
    tol = 16 * _EPS * N * (1.0 + kr)
    hp = _check_block("h_plus", hp, tol, info)
    if thermal == "mean" or kT == 0:
        hm = boltz * hp
    else:
        with np.errstate(over="ignore"):  # βΔ beyond float64: the factor is exactly 0
            b = np.exp(-d / (2 * kT))
        hm = b[:, None] * hp * b[None, :]
    hm = _check_block("h_minus", hm, tol, info)
    Delta_out = d.copy()
    if lamb_shift_cutoff is not None:
        cl = medium.couplings(r=rr[:1], Delta=Dbar, kT=kT, lamb_shift_cutoff=lamb_shift_cutoff)  # local: r-free
        shift = float(np.asarray(cl.lamb_shift[0]).ravel()[0])
        info["lamb_shift"] = shift
        Delta_out = Delta_out + shift
    for arr in (x, Delta_out, hp, hm, jp, r):
        arr.setflags(write=False)
    z = np.zeros((N, N))
    rm = np.zeros((N, N))
    rm[iu, ju] = r
    rm = rm + rm.T
    for arr in (z, rm):
        arr.setflags(write=False)
    return PositionCouplings(
        positions=x, Delta=Delta_out, h_plus=hp, h_minus=hm, h_z=z.astype(complex), J_perp=jp, J_z=z, D=z,
        distances=rm, frequency=Dbar, kT=kT, info=info,
    )


def from_positions(medium, positions, Delta, kT=0.0, *, lamb_shift_cutoff=None, thermal: str = "mean"):
    """A :class:`magbell.System` of qubits at ``positions`` in ``medium`` (see :func:`couplings_at_positions`).

    >>> import magbell
    >>> from magbell.medium import MagnonMedium
    >>> m = MagnonMedium(dim=1, gap=1.0, stiffness=1.0)          # k = 1 at Δ = 2
    >>> s = from_positions(m, chain_positions(3, spacing=np.pi), Delta=2.0)
    >>> s.N, np.round(s.h_plus.real / s.h_plus[0, 0].real, 12)
    (3, array([[ 1., -1.,  1.],
           [-1.,  1., -1.],
           [ 1., -1.,  1.]]))
    """
    return couplings_at_positions(medium, positions, Delta, kT, lamb_shift_cutoff=lamb_shift_cutoff, thermal=thermal).system()


# ----------------------------------------------------------------------------- regular arrangements
def _count(N) -> int:
    if isinstance(N, (bool, np.bool_)) or not isinstance(N, (int, np.integer)) or not 1 <= int(N) <= MAX_POSITION_SITES:
        raise InvalidParameterError(f"N (the number of qubits) must be an integer in 1..{MAX_POSITION_SITES}, got {N!r}")
    return int(N)


def _spacing(spacing) -> float:
    s = _real_array("spacing", spacing)
    if s.ndim != 0 or not s > 0:
        raise InvalidParameterError(f"spacing must be one number > 0, got {spacing!r}")
    return float(s)


def chain_positions(N, spacing) -> np.ndarray:
    """A regular chain along the first axis: x_i = (i − 1)·spacing, shape (N, 1)."""
    N, s = _count(N), _spacing(spacing)
    return (np.arange(N, dtype=float) * s)[:, None]


def ring_positions(N, spacing) -> np.ndarray:
    """N qubits on a circle in the plane with neighbour distance ``spacing`` (chord), shape (N, 2)
    (needs a 2D or 3D medium); radius R = spacing/(2 sin(π/N)), N ≥ 3."""
    N, s = _count(N), _spacing(spacing)
    if N < 3:
        raise InvalidParameterError(f"a ring needs N >= 3 qubits, got N = {N}")
    R = s / (2 * np.sin(np.pi / N))
    phi = 2 * np.pi * np.arange(N) / N
    return np.stack([R * np.cos(phi), R * np.sin(phi)], axis=1)


def grid_positions(shape, spacing) -> np.ndarray:
    """A square (n1, n2) or cubic (n1, n2, n3) grid with lattice constant ``spacing``, shape (Π n, len(shape)),
    site order row-major (the last axis fastest)."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or not 1 <= len(shape) <= 3:
        raise InvalidParameterError(f"shape must be a tuple of 1 to 3 positive integers, got {shape!r}")
    ns = []
    for n in shape:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or int(n) < 1:
            raise InvalidParameterError(f"shape must be a tuple of positive integers, got {shape!r}")
        ns.append(int(n))
    _count(int(np.prod(ns)))
    s = _spacing(spacing)
    grids = np.meshgrid(*[np.arange(n, dtype=float) * s for n in ns], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)
