"""Qubits that couple to a magnetic field: NV centres (spin 1) and spin-½ defects with a g-tensor.

Every qubit is reduced to the two levels of one transition, ``|g>`` (lower, magbell's |↑>) and ``|e>``
(upper, |↓>), with

* its angular frequency ``Δ = E_e − E_g`` [rad/s];
* the **transition vector** ``c = Γ_op ⟨e|S|g⟩`` [rad/(s T)], so that a field fluctuation δB couples as
  ``V = c·δB σ− + c*·δB σ+`` (σ− = |e><g| = |↓><↑|, magbell's convention σz|↑> = +|↑>);
* the **dephasing vector** ``u = Γ_op (⟨g|S|g⟩ − ⟨e|S|e⟩)/2`` (real), ``V ⊃ u·δB σz``.

NV centre (Doherty et al., Phys. Rep. 528, 1 (2013), Eq. (7) without strain/hyperfine):
``H = D S_z'² + γ_NV B·S`` in the NV frame (z' = the N–V axis), D/2π = 2.87 GHz, γ_NV = g μ_B/ħ with
g = 2.0028 (γ_NV/2π = 28.03 GHz/T). The field may point in any direction; the 3×3 Hamiltonian is
diagonalised and the eigenstates are labelled by their overlap with |m_s = 0, ±1>. Axes: the four ⟨111⟩
directions of a (001)-cut diamond, in the frame used by Rustagi et al. (PRB 102, 220403(R) (2020)):
``"111"`` at polar 54.7356° and azimuth 0 (in the x–z plane), ``"-1-11"`` at azimuth 180°, ``"1-1-1"``
and ``"-11-1"`` at polar 125.26° and azimuth ±90°; or any unit vector.

Spin ½ with g-tensor ``g`` (3×3): ``H = (μ_B/ħ) B·g·S`` (S = σ/2), frequency ``(μ_B/ħ)|gᵀB|``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import InvalidParameterError
from .film import MAX_FIELD_T
from .units import HBAR, MU_B

__all__ = ["NV_AXES", "NV_D", "NV_GAMMA", "Qubit", "nv_axis", "nv_qubit", "spin_half_qubit"]

NV_D = 2 * math.pi * 2.87e9  #: zero-field splitting D [rad/s] (Doherty et al. 2013)
NV_GAMMA = 2.0028 * MU_B / HBAR  #: γ_NV [rad/(s T)] (g = 2.0028, Doherty et al. 2013)

_T111 = math.acos(1 / math.sqrt(3))
#: polar, azimuth [rad] of the four NV axes (film normal = [001], x–z plane contains [111]; see module doc)
NV_AXES = {
    "111": (_T111, 0.0),
    "-1-11": (_T111, math.pi),
    "1-1-1": (math.pi - _T111, math.pi / 2),
    "-11-1": (math.pi - _T111, -math.pi / 2),
}


def _unit(polar, azimuth):
    return np.array([math.sin(polar) * math.cos(azimuth), math.sin(polar) * math.sin(azimuth), math.cos(polar)])


def nv_axis(axis) -> np.ndarray:
    """Unit vector of an NV axis: a key of :data:`NV_AXES` (``"111"``, ``"-1-11"``, ``"1-1-1"``,
    ``"-11-1"``; also ``"[111]"``) or a 3-vector (normalised)."""
    if isinstance(axis, str):
        key = axis.strip().strip("[]").replace(" ", "").replace(",", "")
        if key not in NV_AXES:
            raise InvalidParameterError(f"NV axis must be one of {', '.join(NV_AXES)} or a unit vector, got {axis!r}")
        return _unit(*NV_AXES[key])
    v = np.asarray(axis, dtype=float)
    if v.shape != (3,) or not np.all(np.isfinite(v)) or np.linalg.norm(v) == 0:
        raise InvalidParameterError(f"NV axis must be a non-zero finite 3-vector, got {axis!r}")
    return v / np.linalg.norm(v)


def _frame(n: np.ndarray) -> np.ndarray:
    """Rotation R (columns x', y', z' = n) from the NV frame to the lab frame."""
    a = np.array([0.0, 0.0, 1.0]) if abs(n[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    x = a - n * (a @ n)
    x /= np.linalg.norm(x)
    y = np.cross(n, x)
    return np.stack([x, y, n], axis=1)


_S1 = (
    np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=complex) / math.sqrt(2),
    np.array([[0, -1j, 0], [1j, 0, -1j], [0, 1j, 0]], dtype=complex) / math.sqrt(2),
    np.diag([1.0, 0.0, -1.0]).astype(complex),
)  # basis |+1>, |0>, |-1>
_S_HALF = (
    np.array([[0, 1], [1, 0]], dtype=complex) / 2,
    np.array([[0, -1j], [1j, 0]], dtype=complex) / 2,
    np.diag([0.5, -0.5]).astype(complex),
)


@dataclass(frozen=True, eq=False)
class Qubit:
    """One two-level transition of a magnetic-field-coupled defect (module doc for the conventions)."""

    frequency: float  #: Δ [rad/s]
    transition: np.ndarray  #: c = Γ_op ⟨e|S|g⟩ [rad/(s T)], complex 3-vector (lab frame)
    dephasing: np.ndarray  #: u [rad/(s T)], real 3-vector
    label: str = "qubit"
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if not (math.isfinite(self.frequency) and self.frequency > 0):
            raise InvalidParameterError(
                f"{self.label}: the transition frequency must be > 0 (got {self.frequency / 2 / math.pi:.6g} Hz); "
                "the two levels are degenerate"
            )


def _transition(H: np.ndarray, S_lab, gamma: float, upper: int, lower: int, label: str, info: dict) -> Qubit:
    w, v = np.linalg.eigh(H)
    e, g = v[:, upper], v[:, lower]
    if w[upper] < w[lower]:
        e, g = g, e
    freq = abs(float(w[upper] - w[lower]))
    c = gamma * np.array([np.vdot(e, S @ g) for S in S_lab])
    u = gamma * np.array([(np.vdot(g, S @ g) - np.vdot(e, S @ e)).real / 2 for S in S_lab])
    return Qubit(frequency=freq, transition=c, dephasing=u, label=label, info=info)


def nv_qubit(field, axis="111", transition: str = "minus", *, D: float = NV_D, gamma: float = NV_GAMMA) -> Qubit:
    """The ``0 ↔ −1`` (``transition="minus"``) or ``0 ↔ +1`` (``"plus"``) transition of an NV centre in the
    lab-frame field ``field`` (3-vector, tesla), axis ``axis`` (see :func:`nv_axis`)."""
    B = np.asarray(field, dtype=float)
    if B.shape != (3,) or not np.all(np.isfinite(B)):
        raise InvalidParameterError(f"NV field must be a finite 3-vector in tesla, got {field!r}")
    if not float(np.max(np.abs(B))) <= MAX_FIELD_T:
        raise InvalidParameterError(
            f"NV field magnitude must be <= {MAX_FIELD_T:g} T (the spin Hamiltonian's range; laboratory fields are below "
            f"~1e3 T), got {float(np.max(np.abs(B))):.6g} T"
        )
    if transition not in ("minus", "plus"):
        raise InvalidParameterError(f"NV transition must be 'minus' (0<->-1) or 'plus' (0<->+1), got {transition!r}")
    n = nv_axis(axis)
    R = _frame(n)
    S_lab = [sum(R[a, b] * _S1[b] for b in range(3)) for a in range(3)]
    H = D * _S1[2] @ _S1[2] + gamma * sum(B[a] * S_lab[a] for a in range(3))
    w, v = np.linalg.eigh(H)
    # label eigenstates by overlap with |+1>, |0>, |-1> (NV-frame basis)
    ov = np.abs(v) ** 2  # ov[m, n]: weight of basis state m in eigenvector n
    order = []
    for m in (1, 2, 0):  # |0> first, then |-1>, |+1>
        cand = [n_ for n_ in np.argsort(-ov[m]) if n_ not in order]
        order.append(int(cand[0]))
    i0, im, ip = order
    other = im if transition == "minus" else ip
    info = {
        "axis": n.tolist(),
        "levels_Hz": (w / (2 * math.pi)).tolist(),
        "purity_0": float(ov[1, i0]),
        "purity_pm": float(ov[2 if transition == "minus" else 0, other]),
    }
    return _transition(H, S_lab, gamma, max(i0, other, key=lambda i: w[i]), min(i0, other, key=lambda i: w[i]),
                       f"NV 0<->{'-' if transition == 'minus' else '+'}1", info)


def spin_half_qubit(field, g=2.00231930436256) -> Qubit:
    """A spin ½ with g-tensor ``g`` (scalar or 3×3) in the lab-frame field ``field`` (tesla)."""
    B = np.asarray(field, dtype=float)
    if B.shape != (3,) or not np.all(np.isfinite(B)):
        raise InvalidParameterError(f"spin-1/2 field must be a finite 3-vector in tesla, got {field!r}")
    G = np.asarray(g, dtype=float)
    G = G * np.eye(3) if G.ndim == 0 else G
    if G.shape != (3, 3) or not np.all(np.isfinite(G)):
        raise InvalidParameterError("g must be a number or a finite 3x3 tensor")
    pref = MU_B / HBAR
    # H = pref * B·g·S: the field component b_k = pref (gᵀB)_k couples to S_k. A fluctuation δB couples to
    # pref (gᵀ δB)·S, so the lab-frame coupling operators are S_lab_a = Σ_k g_ak S_k.
    S_lab = [sum(G[a, k] * _S_HALF[k] for k in range(3)) for a in range(3)]
    H = pref * sum(B[a] * S_lab[a] for a in range(3))
    return _transition(H, S_lab, pref, 1, 0, "spin-1/2", {"g": G.tolist()})
