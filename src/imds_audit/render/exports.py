"""Machine-readable exports: findings.csv, roles.csv, findings.xlsx, findings.json; with a comparison
to an earlier snapshot also diff.csv and roles_diff.csv (and the same tables, plus the trend, as sheets
of the workbook and keys of the JSON).

findings.csv keeps FINDING_COLUMNS in that order (the stable contract of DESIGN.md §8). In the
workbook every text cell is written as text, so a resource named ``=HYPERLINK(...)`` stays a name and
never becomes a formula.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from imds_audit.i18n import languages
from imds_audit.model import DIFF_COLUMNS, FINDING_COLUMNS, SOURCE_COLUMNS, reason_column
from imds_audit.present.summary import ROLE_COLUMNS, roles_of

# A CSV value holding a lone CR must be quoted, or readers split the row there; Python's csv module
# quotes a value holding any character of the line terminator, so the terminator is RFC 4180's CRLF.
CSV_LINE_END = "\r\n"

NOT_ASSESSED_COLUMNS = ["account_id", "region", "api", "outcome", "message"]


def _reasons() -> list[str]:
    return [reason_column(lang) for lang in languages()]


def tables(findings) -> dict[str, pd.DataFrame]:
    """The exported tables, each with its documented columns in order; with a comparison also diff,
    roles_diff and trend."""
    na = findings.not_assessed if findings.not_assessed is not None else pd.DataFrame()
    na = na.reindex(columns=NOT_ASSESSED_COLUMNS)
    group_columns = FINDING_COLUMNS + [c for c in _reasons() if c not in FINDING_COLUMNS]
    out = {
        "groups": findings.groups.reindex(columns=group_columns),
        "roles": roles_of(findings)[ROLE_COLUMNS],
        "sources": findings.sources.reindex(columns=SOURCE_COLUMNS + _reasons()),
        "not_assessed": na,
    }
    if findings.diff is not None:
        out["diff"] = findings.diff.reindex(columns=DIFF_COLUMNS)
        out["roles_diff"] = findings.roles_diff
        if findings.trend is not None:
            out["trend"] = findings.trend
    return out


def write_csv(findings, out_dir) -> dict[str, Path]:
    out_dir = Path(out_dir)
    t = tables(findings)
    paths = {"findings.csv": out_dir / "findings.csv", "roles.csv": out_dir / "roles.csv"}
    if findings.diff is not None:
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


def write_xlsx(findings, path) -> Path:
    """A sheet per table, header frozen, autofilter on every sheet."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in tables(findings).items():
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


def metadata(meta: dict | None) -> dict:
    """findings.json's metadata: where the findings come from, as this export has always named it."""
    meta = meta or {}
    snapshot, previous = meta.get("snapshot") or {}, meta.get("previous")
    out = {"collected_at": snapshot.get("collected_at"), "collected_by": snapshot.get("collected_by"),
           "tool_version": snapshot.get("tool_version"), "snapshot_sha256": snapshot.get("sha256"),
           "scope": snapshot.get("scope") or {}, "settings": snapshot.get("settings") or {},
           "generated_at": meta.get("generated_at"), "options": meta.get("options") or {}}
    if previous:
        out["previous"] = {"collected_at": previous.get("collected_at"), "snapshot_sha256": previous.get("sha256")}
        out["history_points"] = meta.get("history_points", 0)
    return out


def write_json(findings, path) -> Path:
    doc = {"metadata": metadata(findings.meta)}
    for name, frame in tables(findings).items():
        doc[name] = json.loads(frame.to_json(orient="records", date_format="iso"))
    path = Path(path)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
