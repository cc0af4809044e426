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
from imds_audit.present import charts, sections, summary, tables
from imds_audit.present.i18n import Catalogue
from imds_audit.present.sections import Fragment

TOC = [("ia-headline", "section.headline"), ("ia-scope", "section.scope"),
       ("ia-not-assessed", "section.not_assessed"), ("ia-charts", "section.charts"),
       ("ia-roles", "section.roles"), ("ia-next", "section.next_steps"), ("ia-groups", "section.groups"),
       ("ia-remediation", "section.remediation"), ("ia-methodology", "section.methodology"),
       ("ia-compliance", "section.compliance"), ("ia-metadata", "section.metadata")]
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def load_findings(snapshot, findings_cache: str | os.PathLike | None = None, window_days=None):
    """Findings from a cache written by the renderer in this run, else by analysing the snapshot."""
    if findings_cache and Path(findings_cache).is_file():
        with open(findings_cache, "rb") as fh:
            return pickle.load(fh)  # written moments ago by render.report in the same run
    from imds_audit.analyze import analyze

    return analyze(snapshot, window_days=window_days) if window_days else analyze(snapshot)


def open_report(snapshot_path, lang: str = "en", previous=None, client: str = "", engagement: str = "",
                findings_cache=None, window_days=None, previous_cache=None) -> ReportView:
    snapshot = snap.read(snapshot_path)
    findings = load_findings(snapshot, findings_cache, window_days)
    prev_snapshot = prev_findings = None
    if previous:
        prev_snapshot = snap.read(previous)
        prev_findings = load_findings(prev_snapshot, previous_cache, window_days)
    return ReportView(findings, snapshot, lang=lang, previous=prev_findings, previous_snapshot=prev_snapshot,
                      client=client, engagement=engagement, window_days=window_days)


class ReportView:
    def __init__(self, findings, snapshot, lang: str = "en", previous=None, previous_snapshot=None,
                 client: str = "", engagement: str = "", window_days=None):
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
        self.trend_data = summary.trend(findings, previous) if previous is not None else None
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
            text += tr("headline.sentence_unknown", unknown=h["unknown"])
        return text

    def next_steps_data(self) -> list[dict]:
        return summary.next_steps(self.findings, self.accounts)

    def metadata_rows(self) -> list[tuple[str, str]]:
        s = self.snapshot
        rows = [("meta.collected_by", s.collected_by or "—"), ("meta.collected_at", s.collected_at or "—"),
                ("meta.tool_version", s.tool_version or "—"), ("meta.snapshot_hash", s.digest or "—"),
                ("meta.snapshot_path", str(s.path) if s.path else "—"),
                ("meta.generated_at", datetime.now(UTC).isoformat(timespec="seconds")),
                ("meta.language", self.lang)]
        if self.previous_snapshot is not None:
            rows.append(("meta.previous", f"{self.previous_snapshot.digest} ({self.previous_snapshot.collected_at})"))
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
            toc.insert(4, ("ia-trend", "section.trend"))
        return sections.render("headline.html.j2", tr=self.tr, h=self.h, sentence=self.sentence(),
                               client=self.client, engagement=self.engagement,
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
        table = tables.groups_table(self.findings.groups, self.tr)
        return sections.render("section_table.html.j2", heading=self.tr("section.groups"), anchor="ia-groups",
                               intro=None, table=table, empty=None,
                               table_html=sections.table(table, self.tr, filters=True))

    def next_steps(self) -> Fragment:
        return sections.render("next_steps.html.j2", tr=self.tr, steps=self.next_steps_data())

    def remediation_items(self) -> tuple[list[dict] | None, str]:
        """Per non-compliant group, the remediation module's console / CLI / Terraform text.

        Returns (None, why) when the module is not installed yet."""
        try:
            from imds_audit.remediate import remediation_for_group
        except ImportError as exc:
            return None, str(exc)
        g = self.findings.groups
        src = self.findings.sources
        bad = g[g["status"].eq("non_compliant")].sort_values(["account_id", "region", "asg_name"])
        lcs = self.snapshot.tables.get("launch_configurations") if self.snapshot is not None else None
        items = []
        bad_keys = bad[["account_id", "region", "asg_name"]].drop_duplicates()
        per_group = {key: rows for key, rows in src.merge(bad_keys, on=["account_id", "region", "asg_name"])
                     .groupby(["account_id", "region", "asg_name"], sort=False)}
        empty = src.iloc[0:0]
        for _, row in bad.iterrows():
            sel = per_group.get((row["account_id"], row["region"], row["asg_name"]), empty)
            item = {"asg_name": row["asg_name"], "account_id": row["account_id"], "region": row["region"],
                    "risk_tier": row.get("risk_tier"), "callers": row.get("imdsv1_callers") or "",
                    "error": None, "console": "", "cli": "", "terraform": "", "warning": None}
            try:
                fix = remediation_for_group(row, sel, self.lang, launch_configurations=lcs)
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
        return sections.render("methodology.html.j2", tr=self.tr, lang=self.lang, controls=sections.controls())

    def trend(self) -> Fragment:
        if self.trend_data is None:
            return Fragment("")
        body = sections.render("trend.html.j2", tr=self.tr, t=self.trend_data,
                               previous_at=self.previous_snapshot.collected_at if self.previous_snapshot else "—")
        return Fragment(body + self.chart("trend"))

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
            "trend": self.trend_data,
            "previous_at": self.previous_snapshot.collected_at if self.previous_snapshot else None,
        }


def cache_findings(findings, path) -> Path:
    path = Path(path)
    with open(path, "wb") as fh:
        pickle.dump(findings, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


__all__ = ["ReportView", "cache_findings", "load_findings", "open_report"]
