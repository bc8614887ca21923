"""The two N-qubit figures of ``magbell reproduce --out`` (issue 11 §6; magbell.paper._figures_nsite).

Checked: the Toeplitz H_eff of a regular chain equals the one of couplings_at_positions and the waveguide closed form
−i a e^{ik|x_i − x_j|}; the even/odd split of the slowest rate equals the full eigenvalues; the Bragg-point data
(dark weight 1 − 1/N, C_12 = 2(N − 1)/N², C_23 = 2/N²) equal magbell.steady_state, and the excitation left at
t = 100/a equals magbell.evolve; the N⁻³ exponent; both figures are registered and render (PNG in memory, table
shapes)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import magbell
from magbell.medium import MagnonMedium
from magbell.paper import _figures_nsite as F
from magbell.system import chain_positions, couplings_at_positions, from_positions

M = MagnonMedium(dim=1, gap=1.0, stiffness=1.0, damping=0.0)


@pytest.mark.parametrize("N, ks", [(1, 1.0), (2, 0.7), (5, 1.3), (6, math.pi)])
def test_chain_heff_is_the_position_couplings_and_the_waveguide_form(N, ks):
    H, a = F.chain_heff(N, [ks])
    pc = couplings_at_positions(M, chain_positions(N, ks), 2.0)
    ref = pc.one_excitation_hamiltonian(rotating=True)
    np.testing.assert_allclose(H[0], ref, rtol=0, atol=1e-14 * a * N)
    x = np.arange(N) * ks
    np.testing.assert_allclose(H[0], -1j * a * np.exp(1j * np.abs(x[:, None] - x[None, :])), rtol=0, atol=1e-13 * a)


@pytest.mark.parametrize("N", [2, 7, 8, 13])
def test_slowest_rate_from_the_mirror_blocks_equals_the_full_eigenvalues(N):
    H, a = F.chain_heff(N, [1.1])
    full = float(-2 * np.max(np.linalg.eigvals(H[0]).imag))
    assert F.slowest_rate(H[0]) == pytest.approx(full, rel=1e-9)


@pytest.fixture(scope="module")
def dark():
    return F.nsite_dark_data(ns=(2, 3, 4), n_k=12, n_max_bragg=5)


def test_bragg_point_equals_steady_state(dark):
    cv = dark["curves"]
    for N in (3, 4):
        j = int(np.flatnonzero(cv["N_bragg"] == N)[0])
        s = from_positions(M, chain_positions(N, math.pi), 2.0)
        r = magbell.steady_state(s, "d" + "u" * (N - 1), measures=["site_populations", "pair_concurrence"])
        C = r.measures["pair_concurrence"]
        assert cv["dark_weight"][j] == pytest.approx(float(np.sum(r.site_populations)), abs=1e-12)
        assert cv["dark_weight"][j] == pytest.approx(1 - 1 / N, abs=1e-13)
        assert cv["C_12"][j] == pytest.approx(float(C[0, 1]), abs=1e-12)
        assert cv["C_23"][j] == pytest.approx(float(C[1, 2]), abs=1e-12)
        assert cv["C_12"][j] == pytest.approx(2 * (N - 1) / N**2, abs=1e-13)
        assert cv["n_dark"][j] == N - 1


def test_excitation_left_equals_evolve(dark):
    cv, p = dark["curves"], dark["params"]
    ks = cv["k_spacing"]
    q = 2  # k·spacing = π/2: no exact dark state, subradiant
    assert ks[q] == pytest.approx(math.pi / 2)
    s = from_positions(M, chain_positions(3, ks[q]), 2.0)
    a = s.h_plus[0, 0].real
    r = magbell.evolve(s, "duu", [0.0, p["t_over_a"] / a], measures=["site_populations"])
    assert cv["excitation_left"][1, q] == pytest.approx(float(np.sum(r.site_populations[-1])), rel=1e-9, abs=1e-14)
    qpi = int(np.argmin(np.abs(ks - math.pi)))
    np.testing.assert_allclose(cv["excitation_left"][:, qpi], [1 / 2, 2 / 3, 3 / 4], rtol=0, atol=1e-12)


def test_subradiant_rate_falls_as_n_to_the_minus_3():
    d = F.nsite_subradiance_data(ns=(10, 20, 40, 80, 1000), other_k=(2.0,), n_check_max=80)
    f0, f1 = d["fits"]
    assert abs(f0["exponent"] + 3) < 0.04 and abs(f0["local_last"] + 3) < 0.005
    assert abs(f1["exponent"] + 3) < 0.04 and f1["n_max"] == 1000
    assert d["check"]["max_residual"] < 1e-10 and d["check"]["max_rel_dev_full_eig"] < 1e-6
    # HN2's measured rate at N = 1000, k·spacing = 1 (docs/nqubits.md §4(b), full eigenvalues): 3.8247e-9 a
    assert d["curves"]["rate_over_a"][0, -1] == pytest.approx(3.8247e-9, rel=1e-4)


@pytest.mark.parametrize("kd", [0.3, 1.0, 1.7, 2.5, 3.0])
@pytest.mark.parametrize("N", [2, 3, 8, 31, 70])  # 70 > 64: the Newton path
def test_band_edge_secular_rate_is_the_slowest_eigenvalue(kd, N):
    """The slowest mode of the ideal channel is a band-edge mode, and the secular equation gives its rate: equal
    to the slowest eigenvalue of magbell's full one-excitation H_eff (both edges are reached: kd < π/2 and > π/2)."""
    q, a = F.chain_q(kd)
    rate, res = F.edge_mode_rate(N, q)
    H, _ = F.chain_heff(N, [kd])
    full = float(-2 * np.max(np.linalg.eigvals(H[0]).imag)) / a
    assert rate == pytest.approx(full, rel=1e-6) and res < 1e-10


def test_uncertified_rates_are_refused(monkeypatch):
    monkeypatch.setattr(F, "edge_mode_rate", lambda N, q: (1.0, 1e-3))
    with pytest.raises(RuntimeError, match="not certified"):
        F.nsite_subradiance_data(ns=(10, 20))


def test_figures_are_registered_and_render(dark):
    from magbell.paper import FIGURE_DATA
    from magbell.paper.figures import FIGURES, render

    names = list(FIGURES)
    i = names.index("nsite_dark")
    assert names[i:i + 2] == ["nsite_dark", "nsite_subradiance"]  # registered together (others may follow)
    assert FIGURE_DATA["nsite_dark"] is F.nsite_dark_data
    sub = F.nsite_subradiance_data(ns=(10, 20, 40), other_k=(0.5,), n_check_max=20)
    for name, data in (("nsite_dark", dark), ("nsite_subradiance", sub)):
        job = FIGURES[name]
        res = render(job, None, data)
        assert res.png_bytes[:8] == b"\x89PNG\r\n\x1a\n" and "N" in res.caption
        cols, rows = job.table(data)
        rows = np.asarray(rows, dtype=float)
        assert rows.shape[1] == len(cols) and rows.shape[0] >= 3
