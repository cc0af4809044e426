"""audit.pdf as a person would check it: pages turned into PNGs, none blank, a few A4 pages, Noto CJK
embedded in Japanese, no text beyond the page edge, hostile names printed as text."""

import html
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


# ---- issue 15: the decision page, dates, roles, Japanese line breaking ---------------------------
def _text(path, first=None, last=None) -> str:
    args = ["pdftotext"] + (["-f", str(first), "-l", str(last)] if first else []) + [str(path), "-"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return re.sub(r"[\s\u200b]+", "", out)  # <wbr> is a zero-width space in the PDF


def _view(lang):
    import tempfile

    from imds_audit.present import ReportView

    snapshot = fx.write_snapshot(tempfile.mkdtemp() + "/snapshot")
    return ReportView(fx.report_findings(snapshot, client="ACME", lang=lang), lang=lang)


def _flat(s: str) -> str:
    return re.sub(r"[\s\u200b]+", "", s)


def test_page_one_is_the_decision_page_and_the_identity_is_on_the_last(pdf):
    lang, path = pdf
    from imds_audit.i18n import Catalogue

    tr = Catalogue(lang)
    view = _view(lang)
    first, last = _text(path, 1, 1), _text(path, _pages(path), _pages(path))
    assert _flat(view.sentence())[:40] in first                     # the headline
    assert _flat(tr("pdf.actions_title")) in first                  # the three actions that matter most
    for step in view.next_steps_data()[:3]:
        assert _flat(tr("next." + step["key"]))[:30] in first
        assert _flat(tr("effort." + step["effort"])) in first
    assert _flat(tr("pdf.exposures_title")) in first and "web-admin" in first  # the riskiest exposure leads
    # anything not assessed is summarised on the page the headline refers to: "Not assessed"
    assert _flat(tr("section.not_assessed")) in first
    assert "DescribeLaunchTemplateVersions" in first and "unread-template" in first
    digest = view.snapshot["sha256"]
    assert digest not in first and digest in last                   # the technical identity at the end
    assert _flat(tr("meta.unsigned")) in last and "arn:aws:sts::111111111111:assumed-role/Auditor/" in last


def test_dates_are_in_the_reader_s_language(pdf):
    lang, path = pdf
    text = _text(path)
    assert ("15January2025" if lang == "en" else "2025年1月15日") in text
    assert not re.search(r"20\d\d-\d\d-\d\d", text)                  # no raw ISO date anywhere


def test_the_roles_table_and_chart_show_the_same_roles_each_with_a_plain_sentence(pdf):
    lang, path = pdf
    from imds_audit.i18n import Catalogue
    from imds_audit.render.pdf import chart_figures

    tr, view = Catalogue(lang), _view(lang)
    roles = view.executive_roles()
    from imds_audit.present.charts import _safe

    shown = [f"{_safe(r['role_name'])} · {r['account_id']}" for r in roles]
    chart = chart_figures(view)["roles"]
    labels = [y for trace in chart.data for y in trace.y]
    assert sorted(labels) == sorted(shown) and list(chart.layout.yaxis.categoryarray) == shown[::-1]
    text = "".join("".join(lines) for lines in _lines(path))  # a table cell is a block of its own
    for r in roles:
        assert _flat(tr(f"pdf.attacker.{r['privilege_tier']}"))[:16] in _flat(text)
    assert _flat(tr("pdf.roles_shown", shown=len(roles), total=view.h["exposed_roles"])) in _flat(text)
    assert "iam:PassRole" not in text and "s3:GetObject" not in text  # IAM actions stay in the HTML


def _lines(path) -> list[list[str]]:
    """The PDF's text as blocks of lines (pdftotext -bbox-layout), zero-width spaces removed."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    blocks = []
    for block in re.findall(r"<block[^>]*>(.*?)</block>", xml, re.DOTALL):
        lines = ["".join(re.findall(r"<word[^>]*>(.*?)</word>", line)).replace("\u200b", "")
                 for line in re.findall(r"<line[^>]*>(.*?)</line>", block, re.DOTALL)]
        blocks.append([html.unescape(line) for line in lines if line])
    return blocks


def _splits(blocks, word: str) -> list[str]:
    """Where ``word`` is cut across two lines of a block: the part before each cut."""
    cuts = []
    for lines in blocks:
        for a, b in zip(lines, lines[1:], strict=False):
            for i in range(1, len(word)):
                if a.endswith(word[:i]) and b.startswith(word[i:i + 12] if len(word) - i > 12 else word[i:]):
                    cuts.append(word[:i])
    return cuts


def test_japanese_line_breaking_and_identifiers(pdf):
    lang, path = pdf
    from imds_audit.i18n import Catalogue
    from imds_audit.present.typeset import NO_START, pieces

    tr = Catalogue(lang)
    blocks = _lines(path)
    if lang == "ja":
        starts = [line for lines in blocks for line in lines[1:] if line[0] in NO_START]
        assert starts == [], starts                                     # kinsoku: no line starts with 、。）ー ッ…
        labels = [tr(k) for k in ("headline.group_coverage", "headline.instance_coverage",
                                  "headline.exposed_roles", "headline.active_roles")]
        labels += [tr.label("exposure", e) for e in ("active", "exposed", "latent")]
        labels += [tr.label("tier", t) for t in ("admin", "privilege_escalation", "data_access", "read_only")]
        for label in labels:                                            # labels never wrap mid-word
            for piece in pieces(label, "ja"):
                piece = piece.strip()
                assert not _splits(blocks, piece), (label, piece, _splits(blocks, piece))
    # identifiers break only after - : /
    for name in (fx.LONG_ROLE, "web-admin", "ci-deployer", "arn:aws:sts::111111111111:assumed-role/Auditor/",
                 fx.LONG):
        for cut in _splits(blocks, name):
            assert cut[-1] in "-:/", (name, cut)
