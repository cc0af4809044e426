"""The executive summary: ``audit.pdf`` from a Jinja2 template (autoescaped) and static SVG charts,
typeset by WeasyPrint with Noto CJK for Japanese."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import plotly.graph_objects as go
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from imds_audit.render import static_charts

TEMPLATES = Path(__file__).parent / "templates"
PDF_CHARTS = ("coverage", "roles", "trend")
CONTENT_WIDTH_PX = 660
PDF_HEIGHTS = {"trend": 235}  # A4 minus 18 mm margins, at 96 px per inch


def _environment(lang: str = "en") -> Environment:
    """Autoescaped; ``|t`` typesets prose (Japanese in unbreakable phrases, kinsoku kept) and
    ``|ident`` an identifier (breaks after - : / only): present.typeset."""
    from imds_audit.present.typeset import ident, typeset

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)
    env.filters["t"] = lambda text: typeset(text, lang)
    env.filters["ident"] = ident
    return env


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def chart_figures(view, names=PDF_CHARTS) -> dict:
    """The PDF's figures: the roles chart shows the roles of the PDF's table, in its order."""
    from imds_audit.present import charts
    from imds_audit.present.summary import roles_of

    figures = {n: view.figures[n] for n in names if n in view.figures}
    if "roles" in figures:
        if view.h["exposed_roles"]:  # the roles of the PDF's table, no more, in its order
            figures["roles"] = charts.role_risk(roles_of(view.findings), view.tr, top=len(view.executive_roles()))
        else:
            figures.pop("roles")
    for name, height in PDF_HEIGHTS.items():  # shorter on paper (the heading above names it), so it
        if name in figures:                    # shares a page with the coverage chart
            figures[name] = go.Figure(figures[name]).update_layout(
                height=height, title_text="", margin={"t": 12, "b": 84})
    return figures


def chart_svgs(view, names=PDF_CHARTS) -> dict[str, str]:
    """The PDF's charts as SVG text (one shared browser for all of them)."""
    return static_charts.to_svgs(chart_figures(view, names), width=CONTENT_WIDTH_PX)


def summary_html(view, svgs: dict[str, str]) -> str:
    context = view.executive()
    charts = {n: _data_uri(s) for n, s in svgs.items()}
    charts.setdefault("trend", None)
    charts.setdefault("roles", None)
    css = (TEMPLATES / "summary.css").read_text(encoding="utf-8")
    return _environment(view.lang).get_template("summary.html.j2").render(charts=charts, css=css, **context)


def render_pdf(view, out_pdf: str | os.PathLike, svgs: dict[str, str] | None = None) -> Path:
    from weasyprint import HTML

    svgs = chart_svgs(view) if svgs is None else svgs
    html = summary_html(view, svgs)
    out_pdf = Path(out_pdf)
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(out_pdf))
    return out_pdf
