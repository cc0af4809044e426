"""Machine-readable exports: findings.csv, roles.csv, findings.xlsx, findings.json; with a comparison
to an earlier snapshot also diff.csv and roles_diff.csv (and the same tables, plus the trend, as sheets
of the workbook and keys of the JSON).

findings.csv keeps FINDING_COLUMNS in that order (the stable contract of DESIGN.md §8). In the
workbook every text cell is written as text, so a resource named ``=HYPERLINK(...)`` stays a name and
never becomes a formula.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd

from imds_audit.analyze.history import DIFF_COLUMNS
from imds_audit.analyze.model import FINDING_COLUMNS, SOURCE_COLUMNS
from imds_audit.present.summary import ROLE_COLUMNS, roles_of

# A CSV value holding a lone CR must be quoted, or readers split the row there; Python's csv module
# quotes a value holding any character of the line terminator, so the terminator is RFC 4180's CRLF.
CSV_LINE_END = "\r\n"

NOT_ASSESSED_COLUMNS = ["account_id", "region", "api", "outcome", "message"]


def tables(findings, comparison: dict | None = None) -> dict[str, pd.DataFrame]:
    """The exported tables, each with its documented columns in order; ``comparison`` (from
    present.summary.comparison) adds diff, roles_diff and trend."""
    na = findings.not_assessed if findings.not_assessed is not None else pd.DataFrame()
    na = na.reindex(columns=NOT_ASSESSED_COLUMNS)
    out = {
        "groups": findings.groups.reindex(columns=FINDING_COLUMNS),
        "roles": roles_of(findings)[ROLE_COLUMNS],
        "sources": findings.sources.reindex(columns=SOURCE_COLUMNS),
        "not_assessed": na,
    }
    if comparison is not None:
        out["diff"] = comparison["diff"].reindex(columns=DIFF_COLUMNS)
        out["roles_diff"] = comparison["roles_diff"]
        out["trend"] = comparison["series"]
    return out


def write_csv(findings, out_dir, comparison: dict | None = None) -> dict[str, Path]:
    out_dir = Path(out_dir)
    t = tables(findings, comparison)
    paths = {"findings.csv": out_dir / "findings.csv", "roles.csv": out_dir / "roles.csv"}
    if comparison is not None:
        paths.update({"diff.csv": out_dir / "diff.csv", "roles_diff.csv": out_dir / "roles_diff.csv"})
    names = {"findings.csv": "groups", "roles.csv": "roles", "diff.csv": "diff", "roles_diff.csv": "roles_diff"}
    for file, path in paths.items():
        t[names[file]].to_csv(path, index=False, lineterminator=CSV_LINE_END)
    return paths


def _cell_value(value):
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return value


# OOXML text: XML turns a raw CR into LF on reading and forbids most other control characters, so
# they are written as the format's own escape _xHHHH_; a literal "_xHHHH_" in a name is itself escaped
# (as _x005F_xHHHH_) so that Excel does not decode it into a character the name does not hold.
_OOXML_LITERAL = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_OOXML_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def _xlsx_text(value: str) -> str:
    value = _OOXML_LITERAL.sub(r"_x005F_\1", value)
    return _OOXML_CONTROL.sub(lambda m: f"_x{ord(m.group(0)):04X}_", value)


def write_xlsx(findings, path, comparison: dict | None = None) -> Path:
    """A sheet per table, header frozen, autofilter on every sheet."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in tables(findings, comparison).items():
        ws = wb.create_sheet(name)
        ws.append(list(frame.columns))
        for r, row in enumerate(frame.itertuples(index=False, name=None), start=2):
            values = [_cell_value(v) for v in row]
            values = [_xlsx_text(v) if isinstance(v, str) else v for v in values]
            ws.append(values)
            for c, value in enumerate(values, start=1):
                if isinstance(value, str) and value.startswith("="):
                    ws.cell(row=r, column=c).data_type = "s"  # a name, never a formula
        ws.freeze_panes = "A2"
        last = get_column_letter(max(1, len(frame.columns)))
        ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
        for i, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200).tolist()])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))
    path = Path(path)
    wb.save(path)
    return path


def write_json(findings, path, metadata: dict | None = None, comparison: dict | None = None) -> Path:
    doc = {"metadata": metadata or {}}
    for name, frame in tables(findings, comparison).items():
        doc[name] = json.loads(frame.to_json(orient="records", date_format="iso"))
    path = Path(path)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def write(findings, out_dir: str | os.PathLike, formats, metadata: dict | None = None,
          comparison: dict | None = None) -> dict[str, Path]:
    """The exports named in ``formats`` (csv, xlsx, json); other formats are not this module's."""
    out_dir = Path(out_dir)
    out: dict[str, Path] = {}
    if "csv" in formats:
        out.update(write_csv(findings, out_dir, comparison))
    if "xlsx" in formats:
        out["findings.xlsx"] = write_xlsx(findings, out_dir / "findings.xlsx", comparison)
    if "json" in formats:
        out["findings.json"] = write_json(findings, out_dir / "findings.json", metadata, comparison)
    return out
