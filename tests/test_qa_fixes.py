"""Regressions of the fresh-clone QA pass (notes/QA_REPORT.md): to_xarray/_repr_html_ on the trajectory averages,
the sweep's pair labels on N-site results, log P(0) = 0 exactly in N-site postselection, truthful SI unit attrs,
the CLI's description, and the runnable code block of docs/architecture.md."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

import magbell

ROOT = Path(__file__).resolve().parents[1]
TIMES = np.linspace(0.0, 2.0, 5)

xr = pytest.importorskip("xarray", reason="to_xarray needs the sweep extra (part of test)")


# ----------------------------------------------------------------------------- trajectory averages (issue 14 §3)
def test_two_qubit_ensemble_average_has_to_xarray_and_html():
    m = magbell.Model(a=1.0, A=0.5, delta=0.3)
    av = magbell.trajectories(m, "ud", TIMES, n=40, seed=1).average()
    ds = av.to_xarray()
    assert ds.rho.dims == ("t", "basis", "basis_col") and list(ds.basis.values) == ["uu", "ud", "du", "dd"]
    assert np.array_equal(ds.t.values, TIMES) and np.array_equal(ds.rho.values, av.rho, equal_nan=True)
    assert ds.concurrence.dims == ("t",) and np.array_equal(ds.concurrence.values, av.concurrence, equal_nan=True)
    assert ds["count"].values.tolist() == [40] * 5 and ds.fraction.dims == ("t",)
    # the same labels, units and attrs as every other result
    ev = magbell.evolve(m, "ud", TIMES).to_xarray()
    assert ds.concurrence.attrs == ev.concurrence.attrs and ds.t.attrs == ev.t.attrs
    for k in ("rate_unit", "energy_unit", "time_unit", "conventions_note", "backend", "version"):
        assert ds.attrs[k] == ev.attrs[k], k
    assert ds.attrs["magbell_result"] == "EnsembleAverage"
    si = av.to_xarray(unit="rad/s")
    assert si.t.attrs["units"] == "s" and si.attrs["rate_unit"] == "1/s"
    html = av._repr_html_()
    assert html.startswith('<table class="magbell-result"><caption>EnsembleAverage</caption>')
    assert "concurrence" in html and "selected trajectories" in html and len(html) < 4000
    # an empty sub-ensemble stays NaN in the Dataset (never a made-up 0)
    nj = magbell.trajectories(magbell.Model(a=50.0, A=0.0), "ud", TIMES, n=5, seed=2).average("no-jump")
    d = nj.to_xarray()
    assert (d["count"].values[1:] == 0).all() and np.isnan(d.concurrence.values[1:]).all()
    assert "EnsembleAverage" in nj._repr_html_()


def test_n_site_ensemble_average_has_to_xarray_and_html():
    s = magbell.System(Delta=[1.0, 1.0, 1.0], h_plus=np.ones((3, 3)))
    av = magbell.trajectories(s, "duu", TIMES, n=20, seed=1).average()
    ds = av.to_xarray()
    assert ds.site_populations.dims == ("t", "site") and ds.site_populations_stderr.dims == ("t", "site")
    assert np.array_equal(ds.site_populations.values, av.site_populations)
    assert ds.rho.dims == ("t", "basis", "basis_col") and ds.basis.size == 8
    # basis labels: u/d strings, site 1 leftmost; the initial |duu> sits at ("duu", "duu")
    assert ds.rho.sel(basis="duu", basis_col="duu").values[0] == 1.0
    assert "concurrence" not in ds  # N = 3: no two-qubit concurrence (None is not written)
    ev = magbell.evolve(s, "duu", TIMES, measures=["site_populations"]).to_xarray()
    assert ds.site_populations.attrs.get("units") == "1" and ds.t.attrs == ev.t.attrs
    assert ds.attrs["rate_unit"] == ev.attrs["rate_unit"] and ds.attrs["magbell_result"] == "SystemEnsembleAverage"
    assert av._repr_html_().startswith('<table class="magbell-result"><caption>SystemEnsembleAverage</caption>')


# ----------------------------------------------------------------------------- labels (issue 10 §5)
def test_n_site_pair_axes_use_the_sweeps_labels():
    s = magbell.System(Delta=[1.0, 1.1, 0.9], h_plus=np.ones((3, 3)))
    ev = magbell.evolve(s, "duu", TIMES, measures=["pair_concurrence", "site_populations"]).to_xarray()
    assert ev.pair_concurrence.dims == ("t", "site", "site_j") and ev.site_populations.dims == ("t", "site")
    ps = magbell.postselect(s, "duu", TIMES, measures=["pair_concurrence"]).to_xarray()
    assert ps.pair_concurrence.dims == ("t", "site", "site_j")
    st = magbell.steady_state(s, "duu", measures=["pair_concurrence"]).to_xarray()
    assert st.pair_concurrence.dims[-2:] == ("site", "site_j")
    # the N-site sweep names the same axes (magbell.sweep._nsite: its outputs' trailing dims)
    from types import SimpleNamespace

    from magbell.sweep._nsite import NSiteEvolve

    outs = NSiteEvolve._measure_outputs(SimpleNamespace(measures=("pair_concurrence", "site_populations")), ("t",))
    assert {o.name: o.dims for o in outs} == {"pair_concurrence": ev.pair_concurrence.dims,
                                             "site_populations": ev.site_populations.dims}


# ----------------------------------------------------------------------------- N-site postselection at t = 0
@pytest.mark.parametrize("scheme", ["no-jump", "subspace"])
def test_n_site_log_success_probability_is_exactly_zero_at_t0(scheme):
    s = magbell.System(Delta=[1.0, 1.1, 0.9], h_plus=np.ones((3, 3)), h_z=0.1 * np.eye(3))
    t = np.array([0.0, 0.5, 1.0])
    r = magbell.postselect(s, "W", t, scheme=scheme)  # W: 1/3 + 1/3 + 1/3 rounds to 1 + 2.2e-16
    assert r.success_probability[0] == 1.0 and r.log_success_probability[0] == 0.0
    later = magbell.postselect(s, "W", t[1:], scheme=scheme)  # the other times: as without t = 0 (another step plan)
    assert np.allclose(r.log_success_probability[1:], later.log_success_probability, rtol=1e-13, atol=0)
    assert 0 < r.success_probability[1] < 1
    # unsorted times: t = 0 found wherever it is
    u = magbell.postselect(s, "W", t[::-1], scheme=scheme)
    assert u.log_success_probability[-1] == 0.0 and np.array_equal(u.success_probability[::-1], r.success_probability)


def test_n_site_projection_keeps_its_weight_at_t0():
    s = magbell.System(Delta=[1.0, 1.1, 0.9], h_plus=np.ones((3, 3)))
    psi = {"duu": 2 ** -0.5, "ddu": 2 ** -0.5}  # half the weight outside the one-excitation sector
    r = magbell.postselect(s, psi, [0.0, 0.5], scheme="subspace", excitations=1)
    assert r.success_probability[0] == 0.5 and r.log_success_probability[0] == np.log(0.5)


def test_nsite_postselect_cli_prints_log_p_zero_at_t0():
    from magbell.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["nsite", "postselect", "--positions", "0,0;80nm,0;0,80nm", "--field", "40mT", "--initial", "W",
                   "--t-max", "2us", "--points", "2"])
    assert rc == 0
    row = [ln.split() for ln in buf.getvalue().splitlines() if not ln.startswith("#")][1]
    assert row[:3] == ["0", "1", "0"], row


# ----------------------------------------------------------------------------- CLI text
def test_cli_description_names_n_sites():
    from magbell.cli import build_parser

    d = build_parser().description
    assert not d.startswith("Two spin qubits") and "two-qubit model" in d and "N-site" in d


# ----------------------------------------------------------------------------- docs/architecture.md runs
def test_architecture_code_blocks_run(tmp_path, monkeypatch):
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    buf, ns = io.StringIO(), {}
    with contextlib.redirect_stdout(buf):
        for k, b in enumerate(blocks):
            exec(compile(b, f"architecture.md block {k + 1}", "exec"), ns)
    assert buf.getvalue().splitlines() == ["('numpy',)", "(1, 1, 2, 5) True True", "numpy"]


# ----------------------------------------------------------------------------- figures (magbell reproduce)
@pytest.mark.slow  # ~7 s of CPU: the reference rule alone takes 4 s
def test_separation_quadrature_converges_the_coherent_coupling_far_out():
    """Beyond (d): J⊥ at separations ≫ the height needs a finer radial rule than the other film figures; the
    figure's rule agrees with a finer one (its lifetimes no longer wiggle above ~500 nm), the coarse one did not.

    The reference refines SEPARATION_QUAD in every direction (n_phi 64, n_gauss 20, n_grade 40). Measured: it
    agrees with SEPARATION_QUAD to 4e-15, and SEPARATION_QUAD with the former reference (n_phi 96, n_gauss 24,
    n_grade 48; 2.4x the CPU time) to 9e-15, so the 2e-4 bounds below test what they did."""
    from magbell.medium.film_pairs import pair_noises
    from magbell.paper._film_jobs import FIGURE_QUAD, PAIR_GEOMETRY, SEPARATION_QUAD, _pair_setup

    film, nv = _pair_setup(0.02)
    disp = np.array([[0.0, 1.6e-6], [0.0, 2.0e-6]])  # ψ = 90°

    def j_over_a(quad):
        cs = [n.couplings(0.02).pair() for n in pair_noises(film, nv, PAIR_GEOMETRY["height_m"], disp, quad=quad)]
        return np.array([[c["Jperp"], c["D_dm"]] for c in cs]) / cs[0]["a"]

    ref = j_over_a({"n_phi": 64, "n_gauss": 20, "n_grade": 40, "max_nodes": 10**7})
    assert np.abs(j_over_a(SEPARATION_QUAD) - ref).max() < 2e-4
    # the coarse rule without the radial split at large k·separation (max_phase off) is what drew the wiggles;
    # with the default radial split (film_kspace.RADIAL_PHASE) the same rule converges
    assert np.abs(j_over_a({**FIGURE_QUAD, "max_phase": 1e300}) - ref).max() > 1e-2
    assert np.abs(j_over_a(FIGURE_QUAD) - ref).max() < 2e-4


def test_phase_wraps_are_broken_and_the_polar_refinement_keeps_the_nodes():
    from magbell.paper._figures_film import _break_wraps, _refine_polar

    x, y = _break_wraps([1.0, 2.0, 3.0, 4.0], [0.8, 0.95, -0.9, -0.7])
    assert np.isnan(y[2]) and np.isnan(x[2]) and np.array_equal(y[[0, 1, 3, 4]], [0.8, 0.95, -0.9, -0.7])
    r, psi = np.linspace(0.0, 1.0, 5), np.linspace(0.0, 2 * np.pi, 9)
    A = np.exp(1j * (3 * r[:, None] + psi[None, :])) * (1 + r[:, None])
    rf, pf, Af = _refine_polar(r, psi, A, 4)
    assert rf.size == 17 and pf.size == 33 and np.array_equal(rf[::4], r) and np.array_equal(pf[::4], psi)
    assert np.array_equal(Af[::4, ::4], A)  # the computed values are drawn as computed


def test_tau_m_suptitle_fits_within_the_panels():
    pytest.importorskip("matplotlib")
    from magbell.paper import figures as F

    job = F.FIGURES["tau_m"]
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = F.draw(job, job.data())
    rend = FigureCanvasAgg(fig).get_renderer()
    fig.draw(rend)
    title = fig._suptitle.get_window_extent(rend)
    panels = [a.get_tightbbox(rend) for a in fig.axes]
    assert min(p.x0 for p in panels) <= title.x0 and title.x1 <= max(p.x1 for p in panels)
