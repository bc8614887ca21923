"""The two-qubit qubit–magnet model of Zou, Zhang & Tserkovnyak (PRB 106, L180406), Eqs. (1)–(6), (S38).

``Model`` is a frozen parameter object. Every parameter may be a NumPy array; arrays broadcast against
each other, so one ``Model`` is a whole grid of models (``model.shape``).

Master equation (paper Eq. 2, ħ = 1)::

    dρ/dt = -i[H_S + H_eff, ρ] - Σ_nm h_nm (O_m†O_n ρ + ρ O_m†O_n - 2 O_n ρ O_m†)

with ``O = (σ1-, σ2-, σ1+, σ2+, σ1z, σ2z)`` and (Eq. 4, generalised to unequal local rates)::

    h = [[ã1, Ã ], [Ã*, ã2]]  ⊕  [[a1, A*], [A, a2]]  ⊕  [[d1, 𝔇], [𝔇*, d2]]

    H_S   = -(Δ1 σ1z + Δ2 σ2z)/2,   Δ1 = Δ + δ,  Δ2 = Δ - δ
    H_eff = Jz σ1zσ2z + J⊥(σ1xσ2x + σ1yσ2y) + D ẑ·(σ1 × σ2)            (S38)

``a`` is the local relaxation towards |↑> (the ground state of H_S for Δ > 0, jump σ+) and ``a_tilde`` the
reverse process (jump σ-); at zero temperature ``a_tilde = A_tilde = 0``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._params import COMPLEX_PARAMS, PLANCK_OVER_BOLTZMANN_K_PER_GHZ, THERMAL_FIXED
from .._params import detailed_balance_rates, thermal_ratio
from ..errors import InvalidParameterError, describe_bad_points
from ._basis import basis_blocks, basis_superoperators, _h_basis, _hamiltonian_terms, _operator_list

__all__ = ["Model", "PLANCK_OVER_BOLTZMANN_K_PER_GHZ"]

# Relative slack for the PSD bounds: a >= |A| is accepted when |A| exceeds a by at most a few
# ulps, so that A = r*a computed in floating point (detailed balance) is not rejected.
_BOUND_RTOL = 8 * np.finfo(float).eps

_REAL_FIELDS = ("delta", "Delta", "a", "a_tilde", "d", "Jz", "Jperp", "D_dm", "a2", "a_tilde2", "d2")
_COMPLEX_FIELDS = COMPLEX_PARAMS  # from the one parameter schema, magbell._params
_RATE_FIELDS = ("a", "a2", "a_tilde", "a_tilde2", "d", "d2")



#: largest magnitude of a parameter: products of two parameters (the PSD bound a1*a2 >= |A|^2, the
#: generator's squared norms) must stay finite in float64 (max 1.8e308). Values beyond it are refused
#: with a message naming the parameter, instead of overflowing to inf/NaN somewhere inside a solver.
#: The same number as the solvers' ``magbell._domain.RATE_MAX`` (which imports this module, hence two names;
#: tests/test_bad_inputs.py keeps them equal).
MAX_MAGNITUDE = 1e150


def _as_array(name: str, value, complex_ok: bool) -> np.ndarray:
    if isinstance(value, (str, bytes)):
        raise InvalidParameterError(f"{name} must be a number or an array of numbers, got the string {value!r}")
    try:
        arr = np.asarray(value)
        if arr.dtype == object or arr.dtype.kind not in "iufc":
            raise TypeError
    except (TypeError, ValueError, OverflowError):
        kind = " (True/False is not a number here)" if _has_bool(value) else ""
        raise InvalidParameterError(f"{name} must be a number or an array of numbers{kind}, got {value!r}") from None
    if arr.dtype.kind == "c":
        if not complex_ok:
            if np.any(arr.imag != 0):
                bad = arr.imag != 0
                raise InvalidParameterError(
                    f"{name} must be real, but has a non-zero imaginary part at "
                    + describe_bad_points(bad, {name: arr})
                )
            arr = arr.real
    arr = arr.astype(complex if complex_ok else float)
    finite = np.isfinite(arr)
    if not np.all(finite):
        raise InvalidParameterError(
            f"{name} must be finite (no NaN or inf), violated at " + describe_bad_points(~finite, {name: arr})
        )
    arr = np.array(arr, copy=True)
    arr.setflags(write=False)
    return arr


def _has_bool(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return True
    try:
        return np.asarray(value).dtype.kind == "b"
    except (TypeError, ValueError, OverflowError):
        return False


@dataclass(frozen=True, eq=False)
class Model:
    """Two qubits coupled through a magnetic medium (paper Eqs. 1–6 and S38).

    All parameters are keyword-only, in the paper's symbols (rates and energies in one common unit, ħ=1):

    ========== ======================================================================================
    delta      δ = (Δ1 − Δ2)/2, the local-field asymmetry
    Delta      Δ = (Δ1 + Δ2)/2, the mean splitting (only adds phases e^{±iqΔt} to coherences; default 0)
    a          local relaxation a (jump σ+, towards |↑>); qubit 1's if ``a2`` is given
    A          dissipative coupling A (complex allowed), h[σ2+, σ1+] = A
    a_tilde    reverse local process ã (jump σ-); qubit 1's if ``a_tilde2`` is given
    A_tilde    reverse dissipative coupling Ã (complex allowed), h[σ1-, σ2-] = Ã
    d          local pure dephasing d; qubit 1's if ``d2`` is given
    D_deph     nonlocal dephasing 𝔇 (complex allowed), h[σ1z, σ2z] = 𝔇
    Jz         coherent Ising coupling 𝒥z σ1zσ2z
    Jperp      coherent XY coupling 𝒥⊥(σ1xσ2x + σ1yσ2y)
    D_dm       Dzyaloshinskii–Moriya coupling D ẑ·(σ1 × σ2)
    a2, a_tilde2, d2   qubit 2's local rates when they differ from qubit 1's (default: equal)
    ========== ======================================================================================

    Validation (raises :class:`~magbell.errors.InvalidParameterError`): finite numbers; real parameters
    real; rates ≥ 0; h positive semidefinite, i.e. ``a ≥ |A|``, ``ã ≥ |Ã|``, ``d ≥ |𝔇|`` (Suppl. S42–S47),
    and ``a1·a2 ≥ |A|²`` etc. when local rates are unequal.

    >>> m = Model(a=1.0, A=0.8, delta=0.3)
    >>> m.shape
    ()
    >>> Model(a=1.0, A=[0.0, 0.5, 1.0]).shape
    (3,)
    """

    a: np.ndarray
    delta: np.ndarray = 0.0
    Delta: np.ndarray = 0.0
    A: np.ndarray = 0.0
    a_tilde: np.ndarray = 0.0
    A_tilde: np.ndarray = 0.0
    d: np.ndarray = 0.0
    D_deph: np.ndarray = 0.0
    Jz: np.ndarray = 0.0
    Jperp: np.ndarray = 0.0
    D_dm: np.ndarray = 0.0
    a2: np.ndarray | None = None
    a_tilde2: np.ndarray | None = None
    d2: np.ndarray | None = None

    def __init__(
        self,
        *,
        a,
        delta=0.0,
        Delta=0.0,
        A=0.0,
        a_tilde=0.0,
        A_tilde=0.0,
        d=0.0,
        D_deph=0.0,
        Jz=0.0,
        Jperp=0.0,
        D_dm=0.0,
        a2=None,
        a_tilde2=None,
        d2=None,
    ):
        given = dict(
            a=a,
            delta=delta,
            Delta=Delta,
            A=A,
            a_tilde=a_tilde,
            A_tilde=A_tilde,
            d=d,
            D_deph=D_deph,
            Jz=Jz,
            Jperp=Jperp,
            D_dm=D_dm,
            a2=a2,
            a_tilde2=a_tilde2,
            d2=d2,
        )
        for name, value in given.items():
            if value is None:
                if name not in ("a2", "a_tilde2", "d2"):
                    raise InvalidParameterError(
                        f"{name} must be a number or an array of numbers, got None "
                        "(only a2, a_tilde2, d2 may be None, meaning 'equal to qubit 1's')"
                    )
                object.__setattr__(self, name, None)
            else:
                object.__setattr__(self, name, _as_array(name, value, name in _COMPLEX_FIELDS))
        arrays = [getattr(self, f.name) for f in dataclasses.fields(self) if getattr(self, f.name) is not None]
        try:
            shape = np.broadcast_shapes(*(x.shape for x in arrays))
        except ValueError:
            shapes = {f.name: getattr(self, f.name).shape for f in dataclasses.fields(self) if getattr(self, f.name) is not None}
            raise InvalidParameterError(f"parameter arrays do not broadcast together: shapes {shapes}") from None
        object.__setattr__(self, "_shape", shape)
        self._validate()

    # ------------------------------------------------------------------ basic properties
    @property
    def shape(self) -> tuple:
        """Broadcast shape of the parameter grid (``()`` for a single model)."""
        return self._shape

    @property
    def size(self) -> int:
        return int(np.prod(self._shape, dtype=int))

    @property
    def a1(self):
        return self.a

    @property
    def a_tilde1(self):
        return self.a_tilde

    @property
    def d1(self):
        return self.d

    def local(self, name: str) -> np.ndarray:
        """Qubit 2's value of a local rate (``"a2"``, ``"a_tilde2"``, ``"d2"``), defaulting to qubit 1's."""
        v = getattr(self, name)
        return getattr(self, name[:-1]) if v is None else v

    @property
    def homogeneous(self) -> bool:
        return self.a2 is None and self.a_tilde2 is None and self.d2 is None

    def params(self) -> dict:
        """The parameters as a dict of Python scalars (scalar model) or nested lists (grid)."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            if np.iscomplexobj(v):
                if np.all(v.imag == 0):
                    v = v.real
                else:
                    out[f.name] = {"re": v.real.tolist(), "im": v.imag.tolist()}
                    continue
            out[f.name] = v.tolist()
        return out

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            if v.shape == ():
                if f.name != "a" and v == 0:
                    continue
                parts.append(f"{f.name}={v.item()!r}")
            else:
                parts.append(f"{f.name}=<array {v.shape}>")
        return f"Model({', '.join(parts)})"

    def __getitem__(self, index) -> "Model":
        """Index the parameter grid: ``model[3, 4]`` is the model at that grid point."""
        kw = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            kw[f.name] = None if v is None else np.broadcast_to(v, self._shape)[index]
        return Model(**kw)

    def replace(self, **changes) -> "Model":
        """A copy with some parameters changed (validated again)."""
        kw = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        kw.update(changes)
        return Model(**kw)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def detailed_balance(
        cls,
        *,
        a,
        A=0.0,
        ratio=None,
        temperature=None,
        Delta_GHz=None,
        **others,
    ) -> "Model":
        """Model in thermal equilibrium: ``ã = r a``, ``Ã = r A`` (phase of A kept) and, when ``a2`` is
        given, ``ã2 = r a2``, with ``r = e^{-βΔ}`` (paper after Eq. 6 and Suppl. S35 text; pure dephasing
        d, 𝔇 is zero-frequency noise and not tied by it). One implementation: :mod:`magbell._params`,
        which the CLI and the sweep use too.

        Give either ``ratio`` (r, 0 ≤ r ≤ 1) or ``temperature`` in kelvin together with the mean qubit
        splitting ``Delta_GHz`` as a frequency in GHz (βΔ = h f / k_B T; −0 K is 0 K, r = 0). ``others`` are
        passed to :class:`Model` (``delta``, ``Jz``, ``a2``, ...). ``Delta_GHz`` does not set ``Model.Delta``:
        the model's energies are in the user's own unit.

        >>> m = Model.detailed_balance(a=30.0, A=30.0, ratio=0.1)
        >>> float(m.a_tilde), float(m.A_tilde.real)
        (3.0, 3.0)
        >>> float(Model.detailed_balance(a=1, a2=2, A=0.5, ratio=0.5).a_tilde2)
        1.0
        """
        for bad in THERMAL_FIXED:
            if bad in others:
                raise InvalidParameterError(f"{bad} is fixed by detailed balance; do not pass it to detailed_balance()")
        r = thermal_ratio(ratio=ratio, temperature=temperature, Delta_GHz=Delta_GHz)
        a_arr = _as_array("a", a, complex_ok=False)
        A_arr = _as_array("A", A, complex_ok=True)
        a2 = others.pop("a2", None)
        a2_arr = None if a2 is None else _as_array("a2", a2, complex_ok=False)
        derived = detailed_balance_rates(r, a_arr, A_arr, a2_arr)
        return cls(a=a_arr, A=A_arr, a2=a2_arr, **derived, **others)

    # ------------------------------------------------------------------ validation
    def _violations(self) -> list:
        """[(mask, message)] for every violated condition; the message names parameter and condition."""
        out = []
        # Subnormal values (0 < |x| < 2.2e-308) are refused: they have lost their relative precision, and the
        # solvers' scalings (1/a, rank decisions relative to the largest rate) overflow or misjudge them.
        # Derived ã = r·a below the normal range is flushed to 0 by ``flush_subnormal`` (detailed_balance).
        tiny = np.finfo(float).tiny
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            parts = (v.real, v.imag) if np.iscomplexobj(v) else (v,)
            sub = np.zeros(self._shape, dtype=bool)
            for part in parts:
                sub = sub | np.broadcast_to((part != 0) & (np.abs(part) < tiny), self._shape)
            if np.any(sub):
                out.append((sub, f"{f.name} is subnormal (below {tiny:.2g}): it has lost its precision; use 0 or "
                                 "a normal number", {f.name: v}))
            # |z| without overflow: max(|re|, |im|) decides both bounds up to a factor sqrt(2)
            mag = np.maximum(np.abs(v.real), np.abs(v.imag)) if np.iscomplexobj(v) else np.abs(v)
            huge = np.broadcast_to(mag > MAX_MAGNITUDE, self._shape)
            if np.any(huge):
                out.append((huge, f"|{f.name}| must be <= {MAX_MAGNITUDE:g} (larger values overflow float64 in "
                                  "the generator)", {f.name: v}))
        for name in _RATE_FIELDS:
            v = getattr(self, name)
            if v is None:
                continue
            bad = np.broadcast_to(v < 0, self._shape)
            if np.any(bad):
                out.append((bad, f"{name} is a rate and must be >= 0", {name: v}))
        checks = (
            ("a", "a2", "A", "a >= |A|", "thermodynamic-stability bound (Suppl. S42, S47)"),
            ("a_tilde", "a_tilde2", "A_tilde", "a_tilde >= |A_tilde|", "thermodynamic-stability bound (Suppl. S42, S47)"),
            ("d", "d2", "D_deph", "d >= |D_deph|", "positivity of the dephasing block of h (Eq. 4)"),
        )
        for loc1, loc2, cross, cond, why in checks:
            x1 = getattr(self, loc1)
            x2 = self.local(loc2)
            with np.errstate(over="ignore", invalid="ignore"):  # beyond MAX_MAGNITUDE: refused above
                c = np.abs(getattr(self, cross))
            if getattr(self, loc2) is None:
                bad = c > x1 * (1 + _BOUND_RTOL)
                msg = f"{cond} violated: the {why} requires h to be positive semidefinite"
                vals = {loc1: x1, f"|{cross}|": c}
            else:
                # |A| vs sqrt(a1)·sqrt(a2), not |A|² vs a1·a2: the squares underflow below ~1.5e-154 (a = 1e-170,
                # a2 = 0, A = 0.5e-170 passed as 0 >= 0: a dissipator that is not PSD; s4_findings HD-3)
                with np.errstate(over="ignore", invalid="ignore"):
                    bad = c > np.sqrt(x1) * np.sqrt(x2) * (1 + _BOUND_RTOL)
                msg = (
                    f"{loc1}*{loc2} >= |{cross}|^2 violated: the {why}, generalised to unequal local rates, "
                    "requires h to be positive semidefinite"
                )
                vals = {loc1: x1, loc2: x2, f"|{cross}|": c}
            bad = np.broadcast_to(bad, self._shape)
            if np.any(bad):
                out.append((bad, msg, vals))
        return out

    def _validate(self) -> None:
        for bad, msg, vals in self._violations():
            raise InvalidParameterError(f"{msg}; at " + describe_bad_points(bad, vals))

    @classmethod
    def check(cls, **params) -> tuple:
        """Validate a parameter grid point by point without raising for physically invalid points.

        Returns ``(ok, reasons)``: a boolean array of the grid's shape and an object array with the
        violated condition(s) at each bad point ('' where ok). Build the model from the good points,
        e.g. by replacing bad values, so that one bad point does not cost the rest of a sweep.
        Malformed input (non-numbers, NaN, shapes that do not broadcast) still raises.

        >>> ok, why = Model.check(a=1.0, A=[0.5, 1.5])
        >>> ok.tolist(), why[1]
        ([True, False], 'a >= |A| violated: the thermodynamic-stability bound (Suppl. S42, S47) requires h to be positive semidefinite')
        """
        self = object.__new__(cls)
        given = dict(params)
        if "a" not in given:
            raise InvalidParameterError("a (the local relaxation rate) is required")
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = set(given) - set(names)
        if unknown:
            raise InvalidParameterError(f"unknown parameter(s) {sorted(unknown)}; known: {names}")
        for name in names:
            value = given.get(name, None if name in ("a2", "a_tilde2", "d2") else 0.0)
            object.__setattr__(self, name, None if value is None else _as_array(name, value, name in _COMPLEX_FIELDS))
        arrays = [getattr(self, n) for n in names if getattr(self, n) is not None]
        try:
            shape = np.broadcast_shapes(*(x.shape for x in arrays))
        except ValueError:
            raise InvalidParameterError("parameter arrays do not broadcast together") from None
        object.__setattr__(self, "_shape", shape)
        ok = np.ones(shape, dtype=bool)
        reasons = np.full(shape, "", dtype=object)
        for bad, msg, _ in self._violations():
            ok &= ~bad
            reasons = np.where(bad, np.where(reasons == "", msg, reasons + "; " + msg), reasons)
        return ok, reasons

    # ------------------------------------------------------------------ matrices
    def coefficients(self) -> np.ndarray:
        """Real coefficients (shape ``(*shape, 17)``) of the generator in :func:`basis_superoperators`."""
        cols = [
            self.delta,
            self.Delta,
            self.Jz,
            self.Jperp,
            self.D_dm,
            self.a,
            self.local("a2"),
            self.A.real,
            self.A.imag,
            self.a_tilde,
            self.local("a_tilde2"),
            self.A_tilde.real,
            self.A_tilde.imag,
            self.d,
            self.local("d2"),
            self.D_deph.real,
            self.D_deph.imag,
        ]
        return np.stack([np.broadcast_to(np.asarray(c, dtype=float), self._shape) for c in cols], axis=-1)

    def hamiltonian(self) -> np.ndarray:
        """H_S + H_eff (Eqs. 1 and S38), shape ``(*shape, 4, 4)``."""
        c = self.coefficients()[..., :5].astype(complex)
        return np.einsum("...k,kij->...ij", c, _hamiltonian_terms())

    def h_matrix(self) -> np.ndarray:
        """The 6×6 coefficient matrix h of Eq. (4) in the order O = (σ1-, σ2-, σ1+, σ2+, σ1z, σ2z)."""
        c = self.coefficients()[..., 5:].astype(complex)
        return np.einsum("...k,kij->...ij", c, _h_basis())

    @staticmethod
    def operator_list() -> np.ndarray:
        """The operators O = (σ1-, σ2-, σ1+, σ2+, σ1z, σ2z) of Eq. (3), shape (6, 4, 4)."""
        return _operator_list()

    def jump_operators(self) -> np.ndarray:
        """Jump operators J_k diagonalising h (Eq. 5), with L = Σ_k D_{J_k} (paper's factor 2).

        Shape ``(*shape, 6, 4, 4)`` in the order J1..J4 of Eq. (5) followed by the two dephasing jumps.
        For homogeneous rates and real A, Ã this is exactly Eq. (5); for complex A = |A|e^{iφ},
        J3 = sqrt((a+|A|)/2)(σ1+ + e^{iφ}σ2+), J4 = sqrt((a−|A|)/2)(σ1+ − e^{iφ}σ2+), and likewise
        J1, J2 with σ1- + e^{−iφ̃}σ2- for Ã = |Ã|e^{iφ̃}. Unequal local rates diagonalise each 2×2 block.
        """
        h = self.h_matrix()
        O = _operator_list()
        out = []
        for i, j in ((0, 1), (2, 3), (4, 5)):
            jp, jm = _block_jumps(h[..., i, i].real, h[..., j, j].real, h[..., i, j], O[i], O[j])
            out += [jp, jm]
        return np.stack(out, axis=-3)

    def liouvillian(self) -> np.ndarray:
        """The generator ``ρ ↦ -i[H, ρ] - L[ρ]`` as a complex ``(*shape, 16, 16)`` matrix.

        Row-major vectorisation: ``vec(ρ)[4*i + j] = ρ[i, j]``, ``vec(AρB) = (A ⊗ Bᵀ) vec(ρ)``.
        """
        c = self.coefficients().astype(complex)
        return np.einsum("...k,kij->...ij", c, basis_superoperators())

    def liouvillian_blocks(self) -> tuple:
        """Real generator blocks for |q| = 0, 1, 2 (see :mod:`magbell.liouvillian._superop`), shapes (*shape, n_q, n_q)."""
        c = self.coefficients()
        flat = c.reshape(-1, c.shape[-1])
        out = []
        for b in basis_blocks():
            n = b.shape[-1]
            out.append((flat @ b.reshape(b.shape[0], n * n)).reshape(*self._shape, n, n))
        return tuple(out)

    def system(self):
        """The equivalent N = 2 :class:`magbell.System` (the same generator to rounding, complex phases included).

        Δ_1,2 = Δ ± δ; h_plus = [[a1, A*], [A, a2]], h_minus = [[ã1, Ã], [Ã*, ã2]], h_z = [[d1, 𝔇], [𝔇*, d2]];
        J_perp, J_z, D with the coupling at [0, 1]. The System's coefficients are ``coefficients() @
        system_coefficient_map()`` (only Δ ± δ rounds).
        """
        from . import System

        shp = self._shape
        b = lambda x: np.broadcast_to(np.asarray(x), shp)  # noqa: E731

        def block(d1, d2, off):
            h = np.zeros(shp + (2, 2), dtype=complex)
            h[..., 0, 0], h[..., 1, 1], h[..., 0, 1], h[..., 1, 0] = b(d1), b(d2), b(off), np.conj(b(off))
            return h

        def upper(x):
            m = np.zeros(shp + (2, 2))
            m[..., 0, 1] = b(x)
            return m

        return System(
            Delta=np.stack([b(self.Delta + self.delta), b(self.Delta - self.delta)], axis=-1),
            h_plus=block(self.a, self.local("a2"), np.conj(self.A)),
            h_minus=block(self.a_tilde, self.local("a_tilde2"), self.A_tilde),
            h_z=block(self.d, self.local("d2"), self.D_deph),
            J_perp=upper(self.Jperp),
            J_z=upper(self.Jz),
            D=upper(self.D_dm),
        )

    # ------------------------------------------------------------------ interop
    def to_qutip(self):
        """``(H, c_ops)`` as QuTiP ``Qobj`` s in QuTiP's convention (collapse operators √2·J_k).

        Only for a single model (``shape == ()``); index a grid first (``model[i, j].to_qutip()``).
        Jump operators with zero rate are dropped.
        """
        if self._shape != ():
            raise InvalidParameterError(
                f"to_qutip() needs a single model, but this Model is a grid of shape {self._shape}; index it first"
            )
        from .._optional import require

        qutip = require("qutip", what="to_qutip()")  # optional dependency, imported lazily

        dims = [[2, 2], [2, 2]]
        H = qutip.Qobj(self.hamiltonian(), dims=dims)
        c_ops = [qutip.Qobj(np.sqrt(2.0) * J, dims=dims) for J in self.jump_operators() if np.any(J != 0)]
        return H, c_ops


def _block_jumps(h11, h22, h12, op1, op2):
    """Jumps of a 2×2 PSD block [[h11, h12], [h12*, h22]] acting on (op1, op2).

    Returns (J_+, J_-) for the eigenvalues m ± r, m = (h11+h22)/2, r = sqrt(((h11-h22)/2)² + |h12|²).
    """
    m = (h11 + h22) / 2
    g = (h11 - h22) / 2
    r = np.hypot(g, np.abs(h12))
    lam_p = m + r
    # λ- >= 0 by validation up to rounding: m - r is computed with an absolute error of a few ulps of
    # m + r, so values below that are zero rates (|A| = a with complex A gives ~1e-16, whose square root
    # would be a spurious 1e-8 jump and hide the dark state).
    lam_m = m - r
    lam_m = np.where(lam_m <= 8 * np.finfo(float).eps * lam_p, 0.0, lam_m)
    # eigenvector of λ+: (r+g, h12*) if g >= 0 else (h12, r-g); (1,1)/√2 in the fully degenerate case
    v0 = np.where(g >= 0, r + g, h12)
    v1 = np.where(g >= 0, np.conj(h12), r - g)
    norm = np.sqrt(np.abs(v0) ** 2 + np.abs(v1) ** 2)
    degenerate = norm == 0
    safe = np.where(degenerate, 1.0, norm)
    v0 = np.where(degenerate, 1 / np.sqrt(2), v0 / safe)
    v1 = np.where(degenerate, 1 / np.sqrt(2), v1 / safe)
    # orthogonal eigenvector of λ-: (-v1*, v0*) up to phase; use (v1*, -v0*)... choose (conj(v1), -conj(v0))
    w0, w1 = np.conj(v1), -np.conj(v0)
    Jp = np.sqrt(lam_p)[..., None, None] * (v0[..., None, None] * op1 + v1[..., None, None] * op2)
    Jm = np.sqrt(lam_m)[..., None, None] * (w0[..., None, None] * op1 + w1[..., None, None] * op2)
    return Jp, Jm
