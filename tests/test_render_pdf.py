"""audit.pdf as a person would check it: pages turned into PNGs, none blank, a few A4 pages, Noto CJK
embedded in Japanese, no text beyond the page edge, hostile names printed as text."""

import re
import shutil
import subprocess

import pytest

import report_fixtures as fx
from imds_audit.render import render_findings

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdffonts")),
                                 reason="poppler-utils not installed")]


@pytest.fixture(scope="module", params=["en", "ja"])
def pdf(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(f"pdf-{request.param}")
    snapshot = fx.write_snapshot(base / "snapshot")
    findings = fx.report_findings(snapshot, client="ACME <Corp> " + fx.LONG, engagement="Q1 " + fx.TEMPLATE,
                                  previous=fx.make_findings(), previous_snapshot=snapshot)
    out = render_findings(findings, base / "out", formats=("pdf",), lang=request.param)
    return request.param, out["audit.pdf"]


def _pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def test_a_few_a4_pages(pdf):
    _, path = pdf
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert 3 <= _pages(path) <= 6
    assert re.search(r"Page size:\s+595(\.\d+)? x 841", info), info  # A4 in points


def test_no_blank_page(pdf, tmp_path):
    from PIL import Image, ImageStat

    _, path = pdf
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "p")], check=True)
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == _pages(path)
    for png in pngs:
        stat = ImageStat.Stat(Image.open(png).convert("L"))
        assert stat.stddev[0] > 8, f"{png.name} looks blank (stddev {stat.stddev[0]:.1f})"


def test_fonts_embedded_and_cjk_for_japanese(pdf):
    lang, path = pdf
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row for row in rows), fonts  # every font embedded
    if lang == "ja":
        assert "CJK" in fonts, fonts


def test_text_stays_on_the_page_and_hostile_names_are_text(pdf):
    lang, path = pdf
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, re.DOTALL)
    assert pages
    for width, _height, body in pages:
        for xmax in re.findall(r'xMax="([\d.]+)"', body):
            assert float(xmax) <= float(width) - 20, "text runs off the page"
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "<Corp>" in flat and "{{7*7}}" in flat
    assert "web-admin" in flat  # the riskiest role leads
    if lang == "ja":
        assert "次に取るべき対応" in flat and "リスクの高いロール" in flat
    else:
        assert "Whattodonext" in flat and "Theriskiestroles" in flat
