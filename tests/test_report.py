"""DIR/report.html: self-contained, complete, and rendered by a real headless browser.

The report comes from the one ``magbell reproduce --out`` run of ``test_reproduce.reproduced``.
The browser test opens a copy of it in Chromium (Debian's package; ``scripts/ensure_chromium.py``
installs it when missing and we are root — a few minutes the first time) with a small script
appended that records, for every ``<img>``, whether it loaded and its natural size; ``--dump-dom``
returns the page with that record. A second run prints the page to PDF (the print stylesheet).
"""

from __future__ import annotations

import base64
import html.parser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_reproduce import registered, reproduced

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import ensure_chromium  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
]


class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list:
    c = _Collector()
    c.feed(text)
    return c.tags


@pytest.fixture(scope="module")
def report():
    out, man, _ = reproduced()
    return out / "report.html", (out / "report.html").read_text(encoding="utf-8"), man


def test_report_is_self_contained(report):
    path, text, man = report
    tags = _tags(text)
    imgs = [a for t, a in tags if t == "img"]
    assert [a["data-figure"] for a in imgs] == registered(man)
    for a in imgs:
        assert a["src"].startswith("data:image/png;base64,")
        png = base64.b64decode(a["src"].split(",", 1)[1], validate=True)
        assert png == (path.parent / f"{a['data-figure']}.png").read_bytes()
        assert a["alt"]
    # nothing is loaded from anywhere else: no scripts, stylesheets, fonts, frames or remote images
    assert not [t for t, a in tags if t in ("script", "link", "iframe", "object", "embed")]
    assert not re.search(r"url\(|@import|https?://", text.split("<body", 1)[0])
    assert "<style>" in text and "@media print" in text and 'name="viewport"' in text


def test_report_content(report):
    _, text, man = report
    from magbell.paper.claims import CLAIMS

    for f in man["figures"]:
        assert f'id="fig-{f["name"]}"' in text
    for cid in CLAIMS:
        assert f'id="claim-{cid}"' in text
    s = man["claims"]["summary"]
    assert text.count('<td class="verdict v-misprint">') == s["misprint"]
    assert text.count('class="erratum') == s["misprint"] + s["qualified"]
    for name in man["pending_figures"]:
        assert f"<code>{name}</code>" in text
    for sec in ("figures", "beyond", "claims", "errata", "pending"):
        assert f'<section id="{sec}">' in text
    assert "e<sup>−2at</sup>" in text  # exponents typeset


@pytest.fixture(scope="module")
def chromium():
    path = ensure_chromium.find_chromium()
    if path is None and not ensure_chromium.install_chromium(quiet=True):
        if os.environ.get("CI"):
            pytest.fail("no Chromium and it could not be installed (scripts/ensure_chromium.py)")
        pytest.skip("no Chromium: run 'python3 scripts/ensure_chromium.py' (needs root and apt-get)")
    return path or ensure_chromium.find_chromium()


_PROBE = """<script>
window.addEventListener('load', function () {
  var out = [];
  document.querySelectorAll('img').forEach(function (im) {
    var r = im.getBoundingClientRect();
    out.push({name: im.dataset.figure, complete: im.complete, w: im.naturalWidth, h: im.naturalHeight,
              shown_w: Math.round(r.width), shown_h: Math.round(r.height)});
  });
  var width = document.documentElement.scrollWidth;
  var tables = [];
  document.querySelectorAll('table.claims').forEach(function (t) { tables.push(Math.round(t.getBoundingClientRect().width)); });
  // the contents bar stays in view: scroll into the claims table, then far down the page
  var nav = document.querySelector('nav'), navs = [];
  [document.getElementById('claims').offsetTop + 400, document.documentElement.scrollHeight].forEach(function (y) {
    window.scrollTo(0, y);
    var r = nav.getBoundingClientRect();
    navs.push({scroll: Math.round(window.scrollY), top: Math.round(r.top), height: Math.round(r.height)});
  });
  var el = document.createElement('pre');
  el.id = 'magbell-render-check';
  el.textContent = JSON.stringify({images: out, title: document.title, width: width,
                                   viewport: window.innerWidth, viewport_h: window.innerHeight,
                                   claims_tables: tables, nav: navs});
  document.body.appendChild(el);
});
</script>"""


def _run_chromium(exe, tmp_path, *args, timeout=90):
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def test_every_figure_renders_in_chromium(report, chromium, tmp_path):
    path, text, man = report
    probe = tmp_path / "report_probe.html"
    probe.write_text(text.replace("</body>", _PROBE + "\n</body>"), encoding="utf-8")
    p = _run_chromium(chromium, tmp_path, "--window-size=1280,900", "--virtual-time-budget=10000",
                      "--dump-dom", probe.as_uri())
    assert p.returncode == 0, p.stderr[-2000:]
    m = re.search(r'<pre id="magbell-render-check">(.*?)</pre>', p.stdout, re.S)
    assert m, "the probe did not run: " + p.stdout[-500:]
    res = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    assert res["title"].startswith("magbell")
    imgs = res["images"]
    assert [i["name"] for i in imgs] == registered(man)
    for i in imgs:
        png = (path.parent / f"{i['name']}.png").read_bytes()
        w, h = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert i["complete"] and (i["w"], i["h"]) == (w, h), i  # decoded at its real size
        assert 300 <= i["shown_w"] <= 1000 and i["shown_h"] > 150, i  # laid out at a readable size
    assert res["width"] <= res["viewport"]  # no horizontal scrolling on a laptop
    # the claims tables use the window's width (they were squeezed into the 62rem text column: ~950 px)
    assert res["claims_tables"] and min(res["claims_tables"]) >= 0.9 * res["viewport"], res["claims_tables"]
    # the contents bar stays visible (sticky) at any scroll position, and is small
    for n in res["nav"]:
        assert n["scroll"] > 3000 and n["top"] == 0, res["nav"]
        assert 0 < n["height"] <= 0.12 * res["viewport_h"], res["nav"]


def test_report_prints_to_pdf(report, chromium, tmp_path):
    path, _, _ = report
    pdf = tmp_path / "report.pdf"
    p = _run_chromium(chromium, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri())
    assert pdf.exists(), p.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 4 <= pages <= 40, pages
    assert len(data) > 200_000  # the figures are in it
