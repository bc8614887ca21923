"""``magbell reproduce --out DIR``: every file is written, and the data in it are right.

The whole command runs once per test session as a real subprocess (:func:`reproduced`, shared with
``test_report.py``); the tests then read its files. The data are checked against closed forms that
are written out here (not taken from magbell): S63 and its corrected critical-point form (Fig. 2),
(1 − r)²/(2(1 + r + r²)) (Figs. S1, S2), 1/τ = 2(a − Re √(|A|² − δ²)) (lifetime map). Claims rows are
checked to be computed live by changing what magbell returns and seeing the verdict follow.
"""

from __future__ import annotations

import atexit
import csv
import functools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
FIGURES = ("fig2", "figS1a", "figS1b", "figS2", "lifetime_map")


def _cmd(*args) -> list:
    return [sys.executable, "-m", "magbell", *map(str, args)]


@functools.lru_cache(maxsize=None)
def reproduced() -> tuple:
    """Run ``magbell reproduce --out DIR --quiet --json`` once; returns (DIR, manifest, stderr)."""
    d = Path(tempfile.mkdtemp(prefix="magbell-reproduce-"))
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    out = d / "results"
    p = subprocess.run(_cmd("reproduce", "--out", out, "--quiet", "--json"), capture_output=True, text=True,
                       env=ENV, timeout=300)
    assert p.returncode == 0, p.stderr
    return out, json.loads(p.stdout), p.stderr


def read_csv(path: Path) -> tuple:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def numeric(rows, ncols=None) -> np.ndarray:
    return np.array([[float(x) for x in (r if ncols is None else r[:ncols])] for r in rows])


# ----------------------------------------------------------------------------- files
def test_every_file_is_written():
    out, man, err = reproduced()
    assert err == ""  # --quiet: no progress bar, no warnings
    for name in FIGURES:
        png = (out / f"{name}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
        w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert 500 <= w <= 2000 and 300 <= h <= 1200, (name, w, h)
        pdf = (out / f"{name}.pdf").read_bytes()
        assert pdf[:5] == b"%PDF-" and b"%%EOF" in pdf[-64:]
        head, rows = read_csv(out / f"{name}.csv")
        assert len(head) >= 2 and len(rows) > 10
    for f in ("claims.md", "claims.csv", "claims.json", "report.html", "reproduce.json"):
        assert (out / f).stat().st_size > 1000, f
    assert json.loads((out / "reproduce.json").read_text(encoding="utf-8")) == man
    assert [f["name"] for f in man["figures"]] == list(FIGURES)
    assert set(man["pending_figures"]) == {"fig3", "pt_diagram", "tau_m", "separation"}
    assert man["claims"]["summary"]["FAILED"] == 0
    assert 0 < man["seconds_total"] < 60


def test_captions_state_the_parameters_and_choices():
    _, man, _ = reproduced()
    cap = {f["name"]: f["caption"] for f in man["figures"]}
    assert "does not state δ" in cap["fig2"] and "δ = 2" in cap["fig2"]
    assert "a = |A| = 1" in cap["fig2"]
    assert "a = 30, ã = 3" in cap["figS1a"] and "{20, 25, 27, 28, 29, 30}" in cap["figS1a"]
    assert "0.3649" in cap["figS1a"] and "around 0.35" in cap["figS1a"]
    assert "a = |A| = 10, ã = |Ã| = 1" in cap["figS1b"] and "{0, 2, 4, 6, 8, 10, 16}" in cap["figS1b"]
    assert "(1 − r)²/(2(1 + r + r²))" in cap["figS2"] and "a = |A|, ã = |Ã|" in cap["figS2"]
    assert "δ = |A|" in cap["lifetime_map"]


# ----------------------------------------------------------------------------- data vs closed forms
def c_zero_temperature(t, a, A, delta):
    """C(t) at T = 0 from |ud>: 2|A| s sqrt(1 + |A|² s²) e^{-2at}, s = sinh(κt)/κ, κ² = |A|² − δ² (S63, all regimes)."""
    k2 = A * A - delta * delta
    if k2 > 0:
        s = np.sinh(math.sqrt(k2) * t) / math.sqrt(k2)
    elif k2 < 0:
        s = np.sin(math.sqrt(-k2) * t) / math.sqrt(-k2)
    else:
        s = t
    return 2 * A * np.abs(s) * np.sqrt(1 + A * A * s * s) * np.exp(-2 * a * t)


def c_thermal(r):
    return (1 - r) ** 2 / (2 * (1 + r + r * r))


def test_fig2_csv_matches_S63():
    out, _, _ = reproduced()
    head, rows = read_csv(out / "fig2.csv")
    assert head == ["t", "C_black_delta=2", "C_orange_delta=1", "C_cyan_delta=0.3", "C_red_delta=0"]
    x = numeric(rows)
    t = x[:, 0]
    np.testing.assert_allclose(t, np.linspace(0, 5, 2001), atol=1e-15)
    for col, delta in zip(range(1, 5), (2.0, 1.0, 0.3, 0.0)):
        np.testing.assert_allclose(x[:, col], c_zero_temperature(t, 1.0, 1.0, delta), atol=1e-9, rtol=0)
    # the critical curve is not ∝ t e^{-2at} (erratum 1): the ratio varies by a factor > 2
    ratio = x[1:, 2] / (t[1:] * np.exp(-2 * t[1:]))
    assert ratio.max() / ratio.min() > 2


def test_figS1_csv():
    out, _, _ = reproduced()
    head, rows = read_csv(out / "figS1a.csv")
    assert head[0] == "t" and len(head) == 7 and head[-1] == "C_A=30_At=3"
    x = numeric(rows)
    assert np.all(x[0, 1:] == 0) and np.all(x[:, 1:] >= 0) and np.all(x[:, 1:] <= 0.5)
    assert x[-1, -1] == pytest.approx(c_thermal(0.1), abs=1e-9)  # steady, "around 0.35"
    np.testing.assert_array_equal(x[-1, 1:-1], 0.0)  # the others have died
    head, rows = read_csv(out / "figS1b.csv")
    assert head == ["t"] + [f"C_delta={d}" for d in (0, 2, 4, 6, 8, 10, 16)]
    x = numeric(rows)
    assert x[-1, 1] == pytest.approx(c_thermal(0.1), abs=1e-9)
    assert x[-1, 2] > 0 and np.all(x[-1, 3:] == 0)  # δ = 2 still alive at t = 1.5, larger δ dead
    peaks = x[:, 1:].max(axis=0)
    assert np.all(np.diff(peaks) < 0)  # the maximum falls with δ


def test_figS2_csv_matches_closed_form():
    out, _, _ = reproduced()
    head, rows = read_csv(out / "figS2.csv")
    assert head == ["A_abs", "A_tilde_abs", "r", "C_inf", "C_inf_closed_form"]
    x = numeric(rows)
    A, At, r, C = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    assert np.all(At <= A) and len(x) > 3000
    np.testing.assert_allclose(r, At / A, rtol=1e-15)
    np.testing.assert_allclose(C, c_thermal(At / A), atol=1e-12)
    assert C[At == 0] == pytest.approx(0.5, abs=1e-12)
    assert np.all(np.abs(C[np.isclose(At, A, rtol=1e-12)]) < 1e-12)


def test_lifetime_map_csv():
    out, _, _ = reproduced()
    head, rows = read_csv(out / "lifetime_map.csv")
    assert head == ["delta_over_A", "A_over_a", "a_tau", "a_tau_closed_form", "regime"]
    x = numeric(rows, 4)
    reg = np.array([r[4] for r in rows])
    xd, y, tau = x[:, 0], x[:, 1], x[:, 2]
    A, d = y, xd * y
    rate = 2 * (1 - np.sqrt(np.maximum(A * A - d * d, 0)))
    with np.errstate(divide="ignore"):
        expect = np.where(rate > 0, 1 / np.where(rate > 0, rate, 1), np.inf)
    fin = np.isfinite(expect)
    assert np.array_equal(np.isfinite(tau), fin)
    np.testing.assert_allclose(tau[fin], expect[fin], rtol=1e-6)
    assert np.isinf(tau[(xd == 0) & (y == 1)]).all()  # the dark singlet
    inside = y > 0.05
    assert np.all(reg[inside & (xd < 0.99)] == "overdamped")
    assert np.all(reg[inside & (xd > 1.01)] == "underdamped")
    assert np.all(reg[inside & (xd == 1.0)] == "critical")


# ----------------------------------------------------------------------------- claims
def test_claims_table():
    out, _, _ = reproduced()
    from magbell.claims import CLAIMS

    md = (out / "claims.md").read_text(encoding="utf-8")
    data = json.loads((out / "claims.json").read_text(encoding="utf-8"))
    ids = [r["id"] for r in data["rows"]]
    assert ids == list(CLAIMS) and len(ids) >= 30
    for i in ids:
        assert f"| {i} |" in md
    verdict = {r["id"]: r["verdict"] for r in data["rows"]}
    for i in ("critical_form", "tau_delta0_S64", "S63_middle", "S55_x", "S35_block", "omega_labels", "S46_S47"):
        assert verdict[i] == "misprint", i
    for i in ("eq10_C_inf", "S1a_035", "tau_overdamped", "tau_delta0_main", "C_underdamped", "C_overdamped",
              "S54", "dm_example", "detailed_balance", "stability_bounds", "eq8", "eq9"):
        assert verdict[i] == "holds", i
    assert verdict["any_initial_state"] == "qualified" and verdict["dark_T0"] == "qualified"
    row = {r["id"]: r for r in data["rows"]}
    assert "0.3648648649" in row["S1a_035"]["value"]
    assert "1/(2(a − |A|))" in row["tau_delta0_S64"]["corrected"]
    assert "2|A| t e^{−2at} √(1 + |A|²t²)" in row["critical_form"]["corrected"]
    assert all(r["errata"] for r in data["rows"] if r["verdict"] != "holds")
    head, rows = read_csv(out / "claims.csv")
    assert head[0] == "id" and len(rows) == len(ids)


def test_claim_verdicts_are_computed_live(monkeypatch):
    """Make magbell's spectrum report twice the true lifetime: the two δ = 0 lifetime rows swap verdicts."""
    from magbell import claims
    from magbell.steady import spectrum as true_spectrum

    assert [r.verdict for r in claims.check_claims(["tau_delta0_main", "tau_delta0_S64"])] == ["holds", "misprint"]

    def doubled(model, **kw):
        sp = true_spectrum(model, **kw)
        object.__setattr__(sp, "entanglement_lifetime", 2 * np.asarray(sp.entanglement_lifetime))
        return sp

    monkeypatch.setattr(claims, "spectrum", doubled)
    assert [r.verdict for r in claims.check_claims(["tau_delta0_main", "tau_delta0_S64"])] == ["FAILED", "holds"]


def test_unknown_claim_id():
    from magbell import InvalidParameterError
    from magbell.claims import check_claims

    with pytest.raises(InvalidParameterError, match="unknown claim"):
        check_claims(["nope"])


# ----------------------------------------------------------------------------- CLI behaviour
def test_progress_bar_on_stderr_and_text_summary(tmp_path):
    p = subprocess.run(_cmd("reproduce", "--out", tmp_path / "r", "--only", "figS1b"), capture_output=True,
                       text=True, env=ENV, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "magbell reproduce" in p.stderr and "100%" in p.stderr  # tqdm bar, on stderr only
    assert "%|" not in p.stdout
    lines = p.stdout.splitlines()
    assert lines[0].startswith("# magbell reproduce: wrote")
    assert any(x.startswith("Fig. S1(b)") and "figS1b.csv" in x for x in lines)
    assert any(x.startswith("claims") and "misprint" in x for x in lines)
    assert sorted(f.name for f in (tmp_path / "r").iterdir()) == [
        "claims.csv", "claims.json", "claims.md", "figS1b.csv", "figS1b.pdf", "figS1b.png", "report.html",
        "reproduce.json"]


@pytest.mark.parametrize("args, message", [
    (["--only", "fig2"], "needs --out"),
    (["--out", "{tmp}/x", "--only", "fig9"], "unknown figure(s) ['fig9']"),
    (["--out", "{tmp}/file.txt"], "not a directory"),
])
def test_bad_input(tmp_path, args, message):
    (tmp_path / "file.txt").write_text("x")
    p = subprocess.run(_cmd("reproduce", *[a.format(tmp=tmp_path) for a in args], "--quiet"), capture_output=True,
                       text=True, env=ENV, timeout=120)
    assert p.returncode == 2
    assert p.stderr.startswith("magbell: error:") and message in p.stderr and p.stderr.count("\n") == 1


def test_help_has_out_example():
    p = subprocess.run(_cmd("reproduce", "--help"), capture_output=True, text=True, env=ENV, timeout=60)
    assert p.returncode == 0
    assert "magbell reproduce --out results" in p.stdout and "--quiet" in p.stdout and "--only" in p.stdout


# ----------------------------------------------------------------------------- the registry hook
def test_register_a_figure_job(tmp_path, monkeypatch):
    from magbell import figures

    monkeypatch.setattr(figures, "FIGURES", dict(figures.FIGURES))
    monkeypatch.setattr(figures, "PENDING", dict(figures.PENDING))

    def data():
        t = np.linspace(0, 1, 11)
        return {"params": {"k": 1.0}, "rows": [], "curves": {"times": t, "concurrence": np.tanh(2 * t)[None, :]}}

    def plot(d, fig):
        ax = fig.add_subplot()
        ax.plot(d["curves"]["times"], d["curves"]["concurrence"][0])

    job = figures.FigureJob("fig3", "Fig. 3", "paper", data, plot, lambda d: "tanh 2Γt",
                            lambda d: (["t", "C"], np.column_stack([d["curves"]["times"], d["curves"]["concurrence"][0]])))
    figures.register(job, before="figS1a")
    assert list(figures.FIGURES)[:3] == ["fig2", "fig3", "figS1a"]
    assert "fig3" not in figures.PENDING
    res = figures.render(job, tmp_path)
    assert res.caption == "tanh 2Γt" and res.files["png"].exists() and res.files["pdf"].exists()
    head, rows = read_csv(res.files["csv"])
    assert head == ["t", "C"] and float(rows[-1][1]) == pytest.approx(math.tanh(2.0), abs=1e-15)
    with pytest.raises(ValueError, match="section"):
        figures.register(figures.FigureJob("x", "x", "other", data, plot, str, str))
