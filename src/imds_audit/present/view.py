"""One report's presentation: the findings of a snapshot, in one language, as notebook-ready sections.

The notebook builds a :class:`ReportView` with :func:`open_report` and shows its sections one per cell;
the PDF renderer asks it for :meth:`ReportView.executive` and the figures.
"""

from __future__ import annotations

import os
import pickle
from datetime import UTC, datetime
from pathlib import Path

from imds_audit import snapshot as snap
from imds_audit.present import charts, reasons, sections, summary, tables
from imds_audit.present.i18n import Catalogue
from imds_audit.present.sections import Fragment

TOC = [("ia-headline", "section.headline"), ("ia-scope", "section.scope"),
       ("ia-not-assessed", "section.not_assessed"), ("ia-charts", "section.charts"),
       ("ia-roles", "section.roles"), ("ia-next", "section.next_steps"), ("ia-groups", "section.groups"),
       ("ia-remediation", "section.remediation"), ("ia-methodology", "section.methodology"),
       ("ia-compliance", "section.compliance"), ("ia-metadata", "section.metadata")]
TREND_CATEGORIES = ("newly_non_compliant", "newly_compliant", "new_group", "removed_group", "newly_unknown",
                    "now_assessed")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def load_findings(snapshot, findings_cache: str | os.PathLike | None = None, window_days=None):
    """Findings from a cache written by the renderer in this run, else by analysing the snapshot."""
    if findings_cache and Path(findings_cache).is_file():
        with open(findings_cache, "rb") as fh:
            return pickle.load(fh)  # written moments ago by render.report in the same run
    from imds_audit.analyze import analyze

    return analyze(snapshot, window_days=window_days) if window_days else analyze(snapshot)


def load_history(history_cache=None, history_snapshots=(), snapshot=None, findings=None, window_days=None):
    """The coverage series over time: from the cache written by the renderer in this run, else by
    analysing the earlier snapshots named (plus the current one); None when there is none."""
    if history_cache and Path(history_cache).is_file():
        with open(history_cache, "rb") as fh:
            return pickle.load(fh)  # written moments ago by render.report in the same run
    if not history_snapshots:
        return None
    points = []
    for path in history_snapshots:
        earlier = snap.read(path)
        if snapshot is not None and earlier.digest == snapshot.digest:
            continue
        points.append((earlier.collected_at, load_findings(earlier, None, window_days)))
    if snapshot is not None and findings is not None:
        points.append((snapshot.collected_at, findings))
    return summary.trend_series(points)


def open_report(snapshot_path, lang: str = "en", previous=None, client: str = "", engagement: str = "",
                findings_cache=None, window_days=None, previous_cache=None, history_cache=None,
                history_snapshots=()) -> ReportView:
    snapshot = snap.read(snapshot_path)
    findings = load_findings(snapshot, findings_cache, window_days)
    prev_snapshot = prev_findings = None
    if previous:
        prev_snapshot = snap.read(previous)
        prev_findings = load_findings(prev_snapshot, previous_cache, window_days)
    series = load_history(history_cache, history_snapshots or (), snapshot, findings, window_days)
    return ReportView(findings, snapshot, lang=lang, previous=prev_findings, previous_snapshot=prev_snapshot,
                      client=client, engagement=engagement, window_days=window_days, history=series)


class ReportView:
    def __init__(self, findings, snapshot, lang: str = "en", previous=None, previous_snapshot=None,
                 client: str = "", engagement: str = "", window_days=None, history=None):
        self.findings = findings
        self.snapshot = snapshot
        self.tr = Catalogue(lang)
        self.lang = lang
        self.previous = previous
        self.previous_snapshot = previous_snapshot
        self.client = client or ""
        self.engagement = engagement or ""
        self.window = window_days or (snapshot.settings or {}).get("usage_window_days", 14)
        self.h = summary.headline(findings)
        # the comparison (analyze.history's diffs) and the series over time (``history``: the frame of
        # analyze.history.trend over every snapshot; previous and current only when not given)
        self.trend_data = (summary.comparison(
            findings, previous, current_at=snapshot.collected_at or "",
            previous_at=previous_snapshot.collected_at if previous_snapshot is not None else "",
            series=history) if previous is not None else None)
        self._figures = None

    # ---- data shared by the HTML and the PDF --------------------------------------------------
    @property
    def figures(self) -> dict:
        if self._figures is None:
            self._figures = charts.all_figures(self.findings, self.tr, self.trend_data)
        return self._figures

    @property
    def accounts(self) -> list[str]:
        scoped = (self.snapshot.scope or {}).get("accounts") or []
        return sorted(set(scoped) | set(self.findings.groups["account_id"].dropna().astype(str)))

    @property
    def regions(self) -> list[str]:
        scoped = (self.snapshot.scope or {}).get("regions") or []
        return sorted(set(scoped) | set(self.findings.groups["region"].dropna().astype(str)))

    def sentence(self) -> str:
        h, tr = self.h, self.tr
        if h["non_compliant"]:
            text = tr("headline.sentence", non_compliant=h["non_compliant"], assessed=h["assessed"],
                      bad_pct=tr.pct(h["bad_pct"]), exposed_roles=h["exposed_roles"],
                      critical_roles=h["critical_roles"])
        else:
            text = tr("headline.sentence_clean", assessed=h["assessed"])
        if h["unknown"]:
            key = "headline.sentence_unknown_one" if h["unknown"] == 1 else "headline.sentence_unknown"
            text += tr(key, unknown=h["unknown"])
        return text

    def trend_sentence(self) -> str | None:
        """One sentence of progress, e.g. "Coverage rose from 58% to 71% since 2026-08-30: 3 groups
        fixed, 1 regressed, 1 new." (fixed and regressed always, the other changes when they happened)."""
        t, tr = self.trend_data, self.tr
        if t is None:
            return None
        before, after = t["before_pct"], t["after_pct"]
        if before is None or after is None:
            way = "moved"
        else:
            b, a = round(before, 1), round(after, 1)
            way = "rose" if a > b else "fell" if a < b else "same"
        c = t["counts"]
        counts = [("fixed", c["newly_compliant"]), ("regressed", c["newly_non_compliant"]),
                  ("new", c["new_group"]), ("removed", c["removed_group"]), ("unknown", c["newly_unknown"])]
        parts = []
        for i, (word, n) in enumerate(counts):
            if i >= 2 and not n:  # fixed and regressed always; the others when they happened
                continue
            if i == 0:
                parts.append(tr("trend.part_first_one" if n == 1 else "trend.part_first_many", n=n,
                                word=tr(f"trend.word.{word}")))
            else:
                parts.append(tr("trend.part", n=n, word=tr(f"trend.word.{word}")))
        return tr(f"trend.sentence.{way}", before=tr.pct(before), after=tr.pct(after),
                  since=_day(t["previous_at"]), changes=tr("trend.sep").join(parts))

    def next_steps_data(self) -> list[dict]:
        return summary.next_steps(self.findings, self.accounts)

    def group_reasons(self):
        """Each group's reason in the report's language, from the structured source columns."""
        f = self.findings
        return reasons.group_reasons(f.groups, f.sources, self.tr, f.not_assessed)

    def risk_model(self) -> dict:
        """analyze.role_risk.RISK_MODEL in the report's language: the methodology's two weight tables."""
        return risk_model(self.tr)

    def metadata_rows(self) -> list[tuple[str, str]]:
        s = self.snapshot
        rows = [("meta.collected_by", s.collected_by or "—"), ("meta.collected_at", s.collected_at or "—"),
                ("meta.tool_version", s.tool_version or "—"), ("meta.snapshot_hash", s.digest or "—"),
                ("meta.snapshot_path", str(s.path) if s.path else "—"),
                ("meta.generated_at", datetime.now(UTC).isoformat(timespec="seconds")),
                ("meta.language", self.lang)]
        if self.previous_snapshot is not None:
            rows.append(("meta.previous", f"{self.previous_snapshot.digest} ({self.previous_snapshot.collected_at})"))
        for label, snapshot in (("meta.schema", s), ("meta.previous_schema", self.previous_snapshot)):
            if snapshot is not None and snapshot.migration_note:
                rows.append((label, self.tr(f"meta.schema_{snapshot.schema_version}")))
        return rows

    # ---- notebook sections (each returns a Fragment) -------------------------------------------
    def assets(self, plotlyjs: bool = True) -> Fragment:
        """CSS, plotly.js (embedded once, never from a CDN) and the table script: the first cell."""
        js = ""
        if plotlyjs:
            from plotly.offline import get_plotlyjs

            js = get_plotlyjs()
        return sections.render("assets.html.j2", css=sections.css(), plotlyjs=js)

    def headline(self) -> Fragment:
        toc = [t for t in TOC if t[0] != "ia-headline"]
        if self.trend_data is not None:
            toc.insert(3, ("ia-trend", "section.trend"))  # after the charts, as in the notebook
        return sections.render("headline.html.j2", tr=self.tr, h=self.h, sentence=self.sentence(),
                               trend_sentence=self.trend_sentence(), client=self.client, engagement=self.engagement,
                               collected_at=self.snapshot.collected_at or "—", toc=toc)

    def scope(self) -> Fragment:
        table = tables.not_assessed_table(self.findings.not_assessed, self.tr)
        return sections.render("scope.html.j2", tr=self.tr, h=self.h, accounts=self.accounts,
                               regions=self.regions, window=self.window, table=table,
                               table_html=sections.table(table, self.tr))

    def chart(self, name: str, heading: str | None = None, anchor: str = "", intro: str | None = None) -> Fragment:
        fig = self.figures[name]
        html = fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG,
                           div_id=f"ia-chart-{name}", default_width="100%")
        return sections.render("chart.html.j2", figure_html=Fragment(html), heading=heading,
                               anchor=anchor, intro=intro)

    def coverage_chart(self) -> Fragment:
        return self.chart("coverage", self.tr("section.charts"), "ia-charts")

    def roles(self) -> Fragment:
        table = tables.roles_table(self.findings, self.tr)
        return sections.render("section_table.html.j2", heading=self.tr("section.roles"), anchor="ia-roles",
                               intro=self.tr("roles.intro"), table=table, empty=self.tr("roles.none"),
                               table_html=sections.table(table, self.tr, filters=len(table.rows) > 10))

    def groups(self) -> Fragment:
        table = tables.groups_table(self.findings.groups, self.tr, reasons=self.group_reasons())
        return sections.render("section_table.html.j2", heading=self.tr("section.groups"), anchor="ia-groups",
                               intro=None, table=table, empty=None,
                               table_html=sections.table(table, self.tr, filters=True))

    def next_steps(self) -> Fragment:
        return sections.render("next_steps.html.j2", tr=self.tr, steps=self.next_steps_data())

    def remediation_items(self) -> tuple[list[dict] | None, str]:
        """Per non-compliant group, the remediation module's console / CLI / Terraform text.

        Returns (None, why) when the module is not installed yet."""
        try:
            from imds_audit.remediate import remediation_for_group, remediation_for_groups
        except ImportError as exc:
            return None, str(exc)
        g = self.findings.groups
        src = self.findings.sources
        bad = g[g["status"].eq("non_compliant")].sort_values(["account_id", "region", "asg_name"])
        lcs = self.snapshot.tables.get("launch_configurations") if self.snapshot is not None else None
        # All groups in one pass (frames converted and templates loaded once); each group's texts are
        # those remediation_for_group gives it with its own source rows. A group that fails gets its
        # error; if the batch itself fails, fall back to one group at a time.
        try:
            fixes = remediation_for_groups(bad, src, self.lang, launch_configurations=lcs, errors="collect")
        except Exception:  # noqa: BLE001 -- the per-group path below still isolates each group
            fixes = None
        items = []
        for _, row in bad.iterrows():
            key = (row["account_id"], row["region"], row["asg_name"])
            item = {"asg_name": row["asg_name"], "account_id": row["account_id"], "region": row["region"],
                    "risk_tier": row.get("risk_tier"), "callers": row.get("imdsv1_callers") or "",
                    "error": None, "console": "", "cli": "", "terraform": "", "warning": None}
            try:
                if fixes is not None and key in fixes:
                    fix = fixes[key]
                else:
                    sel = src[src["account_id"].eq(key[0]) & src["region"].eq(key[1]) & src["asg_name"].eq(key[2])]
                    fix = remediation_for_group(row, sel, self.lang, launch_configurations=lcs)
                if "error" in fix:
                    raise fix["error"]
                item.update({k: fix.get(k) for k in ("console", "cli", "terraform", "warning")})
            except Exception as exc:  # noqa: BLE001 -- one bad group must not cost the whole report
                item["error"] = f"{exc.__class__.__name__}: {exc}"
            items.append(item)
        return items, ""

    def remediation(self) -> Fragment:
        items, why = self.remediation_items()
        return sections.render("remediation.html.j2", tr=self.tr, items=items or [],
                               console_markdown=sections.console_markdown,
                               unavailable=items is None, unavailable_detail=why)

    def methodology(self) -> Fragment:
        return sections.render("methodology.html.j2", tr=self.tr, lang=self.lang, controls=sections.controls(),
                               model=self.risk_model())

    def trend_tables(self) -> list[dict]:
        """The diff as tables: one per change category (worst news first), then the roles."""
        t, tr = self.trend_data, self.tr
        out = []
        diff = t["diff"]
        for change in TREND_CATEGORIES:
            part = diff[diff["change"].eq(change)]
            table = tables.diff_table(part, tr, f"ia-diff-{change.replace('_', '-')}")
            out.append({"key": change, "heading": tr(f"change.{change}"), "n": len(part), "table": table,
                        "html": sections.table(table, tr, filters=len(part) > 15) if len(part) else None})
        table = tables.roles_diff_table(t["roles_diff"], tr)
        out.append({"key": "roles", "heading": tr("trend.roles_changed"), "n": len(table.rows), "table": table,
                    "html": sections.table(table, tr, filters=len(table.rows) > 15) if table.rows else None})
        return out

    def trend(self) -> Fragment:
        if self.trend_data is None:
            return Fragment("")
        t = self.trend_data
        series = t["series"]
        fig = self.figures["trend"]
        chart = fig.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG,
                            div_id="ia-chart-trend", default_width="100%")
        return sections.render("trend.html.j2", tr=self.tr, sentence=self.trend_sentence(),
                               previous_at=t["previous_at"] or "—", n_points=len(series),
                               first=_day(series["collected_at"].iloc[0]) if len(series) else "—",
                               last=_day(series["collected_at"].iloc[-1]) if len(series) else "—",
                               figure_html=Fragment(chart), tables=self.trend_tables())

    def metadata(self) -> Fragment:
        return sections.render("metadata.html.j2", tr=self.tr, rows=self.metadata_rows())

    # ---- the executive summary's data ------------------------------------------------------------
    def executive(self) -> dict:
        top = summary.top_roles(self.findings, 5, self.lang)
        return {
            "tr": self.tr, "lang": self.lang, "h": self.h, "sentence": self.sentence(),
            "client": self.client, "engagement": self.engagement,
            "collected_at": self.snapshot.collected_at or "—", "collected_by": self.snapshot.collected_by or "—",
            "digest": self.snapshot.digest or "—", "tool_version": self.snapshot.tool_version or "—",
            "accounts": self.accounts, "regions": self.regions,
            "top_roles": top.to_dict("records"), "steps": self.next_steps_data(),
            "trend": self.trend_data, "trend_sentence": self.trend_sentence(),
            "previous_at": self.previous_snapshot.collected_at if self.previous_snapshot else None,
            "risk_model": self.risk_model(),
        }


def risk_model(tr) -> dict:
    """The weights of the risk score (analyze.role_risk.RISK_MODEL, never retyped), labelled in
    ``tr``'s language, strongest first."""
    from imds_audit.analyze.role_risk import RISK_MODEL

    def rows(kind, code, prefix):
        ordered = sorted(RISK_MODEL[kind], key=lambda r: -r["weight"])
        return [{"code": r[code], "label": tr.label(prefix, r[code]), "weight": r["weight"],
                 "meaning": r.get(tr.lang) or r.get("en", "")} for r in ordered]

    return {"formula": RISK_MODEL["formula"], "exposure": rows("exposure", "level", "exposure"),
            "privilege": rows("privilege", "tier", "tier")}


def _day(collected_at) -> str:
    """The date of an ISO timestamp (what a reader needs of "since when")."""
    text = str(collected_at or "")
    return text[:10] if len(text) >= 10 and text[4:5] == "-" else (text or "—")


def cache_findings(findings, path) -> Path:
    path = Path(path)
    with open(path, "wb") as fh:
        pickle.dump(findings, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


__all__ = ["ReportView", "cache_findings", "load_findings", "load_history", "open_report"]
