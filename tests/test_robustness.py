"""magbell.robustness: the abstract's "robust against weak random perturbations", quantified.

The results below are derived (docs/postselection.md) and checked on the optimal point a = |A|, δ = 0:
* δ noise: the PT-broken asymptotic state stays maximally entangled, (|↑↓> + e^{iφ̃}|↓↑>)/√2 with
  e^{iφ̃} = (−κ + iδ)/Γ; its fidelity to the singlet is (1 + κ/Γ)/2 = 1 − δ²/4Γ² + O(δ⁴): infidelity ∝ ε².
* XXZ couplings: 𝒥⊥(σxσx + σyσy) has the singlet as an eigenvector and 𝒥z only shifts energies: no effect.
* DM and unequal local rates: second order (exponent 2).
* dephasing: in the no-jump scheme it only lowers P; under the |σz| = 0 postselection (undetected dephasing
  jumps) the infidelity is first order in ε — the Bell state is *not* robust against dephasing there.
Exponents are fitted over ε = 0.003…0.03 where the next order is < 10%; bound ±0.1.
"""

from __future__ import annotations

import numpy as np
import pytest

from magbell import InvalidParameterError, Model
from magbell.solvers._postselect import postselect
from magbell.solvers._robustness import KINDS, robustness

OPT = Model(a=1.0, A=1.0)
EPS = [0.003, 0.01, 0.03]


def test_shapes_seed_and_zero_strength():
    r = robustness(OPT, t=6.0, strengths=[0.0] + EPS, n_samples=40, seed=3)
    assert r.groups == KINDS + ("all",)
    assert r.fidelity.shape == (6, 4, 40) == r.concurrence.shape == r.success_probability.shape
    assert r.samples["delta"].shape == (6, 4, 40)
    exact = postselect(OPT, "ud", [6.0])
    assert np.max(np.abs(r.concurrence[:, 0] - exact.concurrence[0])) < 1e-14
    assert np.max(np.abs(r.success_probability[:, 0] - exact.success_probability[0])) < 1e-14
    again = robustness(OPT, t=6.0, strengths=[0.0] + EPS, n_samples=40, seed=3)
    assert np.array_equal(again.fidelity, r.fidelity)
    s = r.summary()
    assert set(s["all"]["fidelity"]) == {"mean", "std", "q05", "q50", "q95"}
    assert s["delta"]["fidelity"]["mean"].shape == (4,)
    # the perturbed models obey the stability bounds (a1·a2 ≥ |A|² at a = |A|: geometric means kept)
    assert np.all(r.samples["a"] * r.samples["a2"] >= np.abs(r.samples["A"]) ** 2 * (1 - 1e-14))


def test_second_order_robustness_and_exact_xxz_immunity():
    r = robustness(OPT, t=8.0, strengths=EPS, n_samples=100, seed=1, groups=["delta", "dm", "local_rates", "xxz"])
    ex = r.infidelity_exponent()
    for g in ("delta", "dm", "local_rates"):
        assert ex[g] == pytest.approx(2.0, abs=0.1), (g, ex)
    assert np.max(np.abs(1 - r.fidelity[r.groups.index("xxz")])) < 1e-12
    # δ noise: still maximally entangled, fidelity to the singlet (1 + κ/Γ)/2
    g = r.groups.index("delta")
    d = r.samples["delta"][g]
    assert np.max(np.abs(r.concurrence[g] - 1)) < 1e-9
    assert np.max(np.abs(r.fidelity[g] - (1 + np.sqrt(1 - d**2)) / 2)) < 1e-9


def test_dephasing_depends_on_the_scheme():
    nj = robustness(OPT, t=8.0, strengths=EPS, n_samples=30, seed=2, groups=["dephasing"])
    assert np.max(np.abs(1 - nj.fidelity)) < 1e-9  # only the weight changes
    assert np.all(np.diff(nj.summary()["dephasing"]["success_probability"]["mean"]) < 0)
    sub = robustness(OPT, t=8.0, strengths=EPS, n_samples=30, seed=2, groups=["dephasing"], scheme="subspace")
    assert sub.infidelity_exponent()["dephasing"] == pytest.approx(1.0, abs=0.1)


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="single model"):
        robustness(Model(a=[1.0, 2.0]))
    with pytest.raises(InvalidParameterError, match="kind"):
        robustness(OPT, groups=["noise"])
    with pytest.raises(InvalidParameterError, match="strengths"):
        robustness(OPT, strengths=[-0.1])
    with pytest.raises(InvalidParameterError, match="n_samples"):
        robustness(OPT, n_samples=0)
    with pytest.raises(InvalidParameterError, match="t must"):
        robustness(OPT, t=-1.0)
    with pytest.raises(InvalidParameterError, match="scheme"):
        robustness(OPT, scheme="x")
    with pytest.raises(InvalidParameterError, match="unknown group"):
        robustness(OPT, strengths=EPS, n_samples=2, groups=["dm"]).infidelity_exponent("delta")
