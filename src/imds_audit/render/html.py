"""The executed notebook → ``audit.html`` (nbconvert, code hidden, offline)."""

from __future__ import annotations

import os
import re
from pathlib import Path

TEMPLATE_DIR = Path(__file__).parent / "templates" / "nbconvert"
# Any script or stylesheet the browser would fetch from the network.
_EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
_CSS_IMPORT = re.compile(
    r"""@import\s+(?:url\()?["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


class OfflineError(RuntimeError):
    """The rendered HTML would load something from the network."""


def external_references(html: str) -> list[str]:
    """Tags and CSS rules that load from an http(s) or protocol-relative URL."""
    found = [m.group(0)[:120] for m in _EXTERNAL.finditer(html)]
    found += [m.group(0)[:120] for m in _CSS_IMPORT.finditer(html)]
    return found


def render_html(ipynb: str | os.PathLike, out_html: str | os.PathLike, lang: str = "en",
                title: str = "imds-audit") -> Path:
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    # no code is shown: no syntax-highlighting styles either
    config = Config({"CSSHTMLHeaderPreprocessor": {"enabled": False}})
    exporter = HTMLExporter(config=config, extra_template_basedirs=[str(TEMPLATE_DIR)], template_name="imds_audit")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.language_code = lang
    nb = nbformat.read(str(ipynb), as_version=4)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    bad = external_references(body)
    if bad:
        raise OfflineError(f"audit.html would load from the network: {bad[:3]}")
    out_html = Path(out_html)
    out_html.write_text(body, encoding="utf-8")
    return out_html
