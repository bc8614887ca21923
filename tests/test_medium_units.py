"""Physical units, presets and PhysicalSetup (magbell.medium.units, magbell.medium.presets)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import magbell
from magbell.errors import InvalidParameterError
from magbell.medium import (
    NV,
    SPIN_HALF,
    YIG,
    MagnonMedium,
    MarkovWarning,
    PhysicalSetup,
    parse_quantity,
    parse_values,
)
from magbell.medium.units import GAMMA_ELECTRON, H_PLANCK, HBAR, K_B, MU_0, kT_angular

GHZ = 2 * math.pi * 1e9  # rad/s per GHz


# ----------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    "text,kind,value",
    [
        ("200nm", "length", 2e-7),
        (" 2.5 um ", "length", 2.5e-6),
        ("3µm", "length", 3e-6),
        ("1e-7m", "length", 1e-7),
        ("5A", "length", 5e-10),
        ("2500nm^2", "area", 2.5e-15),
        ("4K", "temperature", 4.0),
        ("50mK", "temperature", 0.05),
        ("2.87GHz", "frequency", 2.87e9),
        ("2.87 ghz", "frequency", 2.87e9),
        ("1meV", "frequency", 1.602176634e-22 / 6.62607015e-34),
        ("50mT", "field", 0.05),
        ("500G", "field", 0.05),
        ("140kA/m", "magnetization", 1.4e5),
        ("176mT", "magnetization", 0.176 / 1.25663706212e-6),
        ("1750G", "magnetization", 0.175 / 1.25663706212e-6),
        ("3.65pJ/m", "exchange", 3.65e-12),
        ("1480GHz*nm^2", "stiffness", 1480 * 2 * math.pi * 1e9 * 1e-18),
        ("1e-4", "dimensionless", 1e-4),
    ],
)
def test_parse_quantity(text, kind, value):
    assert parse_quantity(text, kind, "--opt") == pytest.approx(value, rel=1e-14)


def test_parse_quantity_errors_name_the_option():
    for text, kind, msg in (
        ("200", "length", "needs a unit"),
        ("200xx", "length", "unknown unit 'xx'"),
        ("abc", "length", "cannot read"),
        ("nan nm", "length", "cannot read"),
        ("4", "temperature", "needs a unit"),
        ("2mT", "temperature", "unknown unit"),
    ):
        with pytest.raises(InvalidParameterError, match=msg) as e:
            parse_quantity(text, kind, "--my-option")
        assert str(e.value).startswith("--my-option:")
        assert "accepted" in str(e.value) or "finite" in str(e.value)
    v, k = parse_quantity("5.3e-17T*m^2", "stiffness", "--stiffness", kinds=("stiffness_field", "stiffness"))
    assert k == "stiffness_field" and v == pytest.approx(5.3e-17)


def test_parse_values():
    np.testing.assert_allclose(parse_values("50nm:500nm:10", "length"), np.linspace(5e-8, 5e-7, 10))
    np.testing.assert_allclose(parse_values("100nm,0.2um", "length"), [1e-7, 2e-7])
    np.testing.assert_allclose(parse_values("1um", "length"), [1e-6])
    for bad, msg in (("1nm:2nm", "START:STOP:N"), ("1nm:2nm:x", "integer"), ("2nm:1nm:5", "greater"),
                     ("1nm:2nm:1", "between 2"), ("1nm,,2nm", "empty"), ("1nm,2", "needs a unit")):
        with pytest.raises(InvalidParameterError, match=msg):
            parse_values(bad, "length", "--separation")


# ----------------------------------------------------------------------------- constants and presets
def test_constants_and_presets():
    assert GAMMA_ELECTRON / (2 * math.pi) == pytest.approx(28.0249514e9, rel=1e-8)
    assert NV.gamma / (2 * math.pi) == pytest.approx(28.03e9, rel=1e-3)
    assert float(NV.frequency(0.0)) == pytest.approx(2.87 * GHZ)
    assert float(NV.frequency(0.04)) / GHZ == pytest.approx(2.87 - 28.03 * 0.04, rel=1e-4)
    assert NV.transverse_factor == pytest.approx(math.sqrt(2))
    assert float(SPIN_HALF.frequency(0.1)) == pytest.approx(GAMMA_ELECTRON * 0.1)
    # YIG: D = 2A/Ms in the measured range 5.18–5.34e-17 T m² (Klingler et al. 2015); mu0 Ms ≈ 0.176 T
    assert 5.1e-17 < 2 * YIG.exchange / YIG.Ms < 5.4e-17
    assert MU_0 * YIG.Ms == pytest.approx(0.176, abs=0.002)
    assert YIG.stiffness == pytest.approx(YIG.gamma * 2 * YIG.exchange / YIG.Ms)
    assert YIG.stiffness / GHZ * 1e18 == pytest.approx(1460, rel=0.03)  # ≈ 1.46e3 GHz nm²
    assert YIG.spin_density == pytest.approx(YIG.Ms / (YIG.gamma * HBAR))
    assert float(kT_angular(1.0)) == pytest.approx(K_B / HBAR)
    with pytest.raises(InvalidParameterError, match="Ms"):
        YIG.replace(Ms=-1.0)


def test_physical_setup_against_hand_formulas():
    """bulk3d at T = 0: a = λ² s k/(2π D) with λ = η(γ_q/2)μ0 γ_m ħ √2 (NV), s = Ms/(γħ), D = γ 2A/Ms;
    film2d: s → s t, λ → λ/t (a = λ² s/(2D)); chain1d: s → s A_c, λ → λ/A_c (a = λ² s/(D k))."""
    B, eta = 0.04, 0.7
    lam3 = eta * NV.gamma / 2 * MU_0 * YIG.gamma * HBAR * math.sqrt(2)
    s3, D = YIG.spin_density, YIG.stiffness
    Delta = NV.zero_field - NV.gamma * B
    Omega = YIG.gamma * B
    k = math.sqrt((Delta - Omega) / D)
    t, Ac = 20e-9, 2500e-18
    expect = {
        "bulk3d": lam3**2 * s3 * k / (2 * math.pi * D),
        "film2d": (lam3 / t) ** 2 * (s3 * t) / (2 * D),
        "chain1d": (lam3 / Ac) ** 2 * (s3 * Ac) / (D * k),
    }
    for geom, a in expect.items():
        st = PhysicalSetup(geometry=geom, field=B, eta=eta, damping=0.0, thickness=t if geom == "film2d" else None,
                           cross_section=Ac if geom == "chain1d" else None)
        assert st.Delta == pytest.approx(Delta) and st.Omega == pytest.approx(Omega)
        c = st.couplings(np.array([100e-9, 300e-9]), 0.0)
        assert c.unit == "rad/s"
        np.testing.assert_allclose(c.a, a, rtol=1e-12)
        np.testing.assert_allclose(c.info["k_on_shell"], k, rtol=1e-12)


def test_unit_system_invariance():
    """The same physics in SI (rad/s, m) and in (2π GHz, nm) units: all rates scale by the energy unit."""
    st = PhysicalSetup(geometry="film2d", field=0.03, thickness=30e-9)
    med = st.medium()
    E0, L0 = GHZ, 1e-9
    d = med.dim
    med2 = MagnonMedium(dim=d, gap=med.gap / E0, stiffness=med.stiffness / (E0 * L0**2), damping=med.damping,
                        spin_density=med.spin_density * L0**d, coupling=med.coupling / (E0 * L0**d))
    r = np.array([40e-9, 250e-9, 900e-9])
    kT = float(kT_angular(0.5))
    c1 = med.couplings(r, st.Delta, kT)
    c2 = med2.couplings(r / L0, st.Delta / E0, kT / E0)
    for f in ("a", "A", "a_tilde", "A_tilde", "Jperp"):
        np.testing.assert_allclose(np.asarray(getattr(c2, f)), np.asarray(getattr(c1, f)) / E0, rtol=1e-12)


def test_detailed_balance_with_physical_constants():
    st = PhysicalSetup(geometry="bulk3d", qubit_frequency=1.75e9, gap=1.12e9)
    for T in (0.02, 0.05, 4.0):
        c = st.couplings(200e-9, T)
        r = math.exp(-H_PLANCK * 1.75e9 / (K_B * T))
        assert float(c.a_tilde / c.a) == pytest.approx(r, rel=1e-12)
        assert complex(c.A_tilde / c.A) == pytest.approx(r, rel=1e-12)
        m = magbell.Model.detailed_balance(a=float(c.a), A=complex(c.A), temperature=T, Delta_GHz=1.75)
        assert float(m.a_tilde) == pytest.approx(float(c.a_tilde), rel=1e-9)


def test_nv_yig_preset_to_entanglement():
    """The realistic preset end to end: NV + YIG film, couplings in 1/s → Model in units of a → dynamics."""
    st = PhysicalSetup(geometry="film2d", thickness=20e-9, field=0.04)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MarkovWarning)
        c = st.couplings(np.linspace(20e-9, 2e-6, 50), 0.02)
    rep = c.info["markov"]
    assert np.all(rep.ok) and np.all(rep.above_gap)
    assert 1e3 < float(c.a[0]) < 1e9  # a physically sensible rate scale (1/s)
    assert np.all(np.abs(c.A) <= c.a)
    k = c.info["k_on_shell"][0]
    assert 2 * math.pi / k == pytest.approx(303e-9, rel=0.01)  # magnon wavelength at Δ − Ω ≈ 0.63 GHz
    model = c.model(scale=c.a[0])  # time unit 1/a
    res = magbell.evolve(model, "ud", [5.0])  # t = 5/a: local relaxation alone leaves C ≈ e^{-10}
    C = res.concurrence[:, 0]
    assert C[0] > 0.2 and C[0] > 10 * C[-1]  # close qubits (|A| ≈ 0.96 a) keep their entanglement


def test_physical_setup_validation_and_markov_warning():
    with pytest.raises(InvalidParameterError, match="thickness"):
        PhysicalSetup(geometry="film2d", field=0.04)
    with pytest.raises(InvalidParameterError, match="cross_section"):
        PhysicalSetup(geometry="chain1d", field=0.04)
    with pytest.raises(InvalidParameterError, match="geometry"):
        PhysicalSetup(geometry="bulk", field=0.04)
    with pytest.raises(InvalidParameterError, match="field"):
        PhysicalSetup(geometry="bulk3d")
    with pytest.raises(InvalidParameterError, match="anticrossing"):
        PhysicalSetup(geometry="bulk3d", field=0.2)
    with pytest.raises(InvalidParameterError, match="negative gap"):
        PhysicalSetup(geometry="bulk3d", field=0.04, gap_offset_field=-0.1)
    with pytest.raises(InvalidParameterError, match="eta"):
        PhysicalSetup(geometry="bulk3d", field=0.04, eta=0.0)
    with pytest.raises(InvalidParameterError, match="temperature"):
        PhysicalSetup(geometry="bulk3d", field=0.04).couplings(1e-7, -1.0)
    near_edge = PhysicalSetup(geometry="bulk3d", qubit_frequency=1.12001e9, gap=1.12e9, eta=30.0)
    with pytest.warns(MarkovWarning):
        c = near_edge.couplings(200e-9, 0.0)
    assert not bool(c.info["markov"].ok)
    in_gap = PhysicalSetup(geometry="bulk3d", qubit_frequency=1.0e9, gap=1.12e9, damping=0.0)
    c = in_gap.couplings(np.array([50e-9, 200e-9]), 1.0)
    assert np.all(c.a == 0) and np.all(c.A == 0) and np.all(c.Jperp < 0)
    assert np.all(c.info["regime"] == "in gap")


def test_docs_medium_python_blocks_run():
    """docs/medium.md's quick-start code runs and produces what the text says."""
    import contextlib
    import io
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "medium.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for k, b in enumerate(blocks):
            exec(compile(b, f"docs/medium.md[python block {k + 1}]", "exec"), ns)
    assert ns["C"].shape == (20, 101)
    c = ns["c"]
    a0 = float(c.a[0] - c.a_tilde[0])  # a/(1 + n_B) = a(1 − e^{−βΔ}): the T = 0 rate quoted in Section 8
    assert a0 == pytest.approx(1.73e5, rel=0.01)
    assert abs(float(ns["model2"].D_dm)) > 0  # a phase e^{2iω} in A_12 gives a DM coupling


def test_from_units_and_string_inputs():
    a = PhysicalSetup.from_units("film2d", thickness="20nm", field="40mT", Ms="176mT", exchange="3.65pJ/m", damping="1e-3")
    b = PhysicalSetup(geometry="film2d", thickness=20e-9, field=0.04, material=YIG.replace(Ms=0.176 / MU_0), damping=1e-3)
    ca = a.couplings("100nm,300nm", "4K")
    cb = b.couplings(np.array([100e-9, 300e-9]), 4.0)
    np.testing.assert_allclose(ca.A, cb.A, rtol=1e-13)
    np.testing.assert_allclose(ca.Jperp, cb.Jperp, rtol=1e-13)
    with pytest.raises(InvalidParameterError, match="thickness: unknown unit"):
        PhysicalSetup.from_units("film2d", thickness="20parsec", field="40mT")
    with pytest.raises(InvalidParameterError, match="unknown quantity 'feild'"):
        PhysicalSetup.from_units("bulk3d", feild="40mT")
