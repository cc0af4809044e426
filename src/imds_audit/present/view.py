"""One report's presentation: the findings of a snapshot, in one language, as notebook-ready sections.

The notebook builds a :class:`ReportView` with :func:`open_report` and shows its sections one per cell;
the PDF renderer asks it for :meth:`ReportView.executive` and the figures.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from imds_audit import findings as fnd
from imds_audit.i18n import Catalogue
from imds_audit.model import EXPOSURE_WEIGHT, PRIVILEGE_WEIGHT, reason_column
from imds_audit.present import charts, sections, summary, tables
from imds_audit.present import filters as collection_filters
from imds_audit.present.sections import Fragment

TOC = [("ia-headline", "section.headline"), ("ia-scope", "section.scope"),
       ("ia-not-assessed", "section.not_assessed"), ("ia-charts", "section.charts"),
       ("ia-roles", "section.roles"), ("ia-next", "section.next_steps"), ("ia-groups", "section.groups"),
       ("ia-exceptions", "section.exceptions"),
       ("ia-remediation", "section.remediation"), ("ia-methodology", "section.methodology"),
       ("ia-compliance", "section.compliance"), ("ia-metadata", "section.metadata")]
TREND_CATEGORIES = ("newly_non_compliant", "newly_compliant", "new_group", "removed_group", "newly_unknown",
                    "now_assessed")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def open_report(findings_dir: str | os.PathLike, lang: str | None = None) -> ReportView:
    """The report of a findings directory (written by ``imds-audit report`` or ``pipeline.write``),
    in ``lang`` (default: the language the findings were written for)."""
    f = fnd.read(findings_dir)
    return ReportView(f, lang=lang or ((f.meta or {}).get("options") or {}).get("lang") or "en")


class ReportView:
    def __init__(self, findings: fnd.Findings, lang: str = "en", client: str | None = None,
                 engagement: str | None = None):
        self.findings = findings
        self.tr = Catalogue(lang)
        self.lang = lang
        meta = findings.meta or {}
        options = meta.get("options") or {}
        self.snapshot = meta.get("snapshot") or {}
        self.previous_snapshot = meta.get("previous") or None
        self.filters = meta.get("filters") or None  # --asg, --tag, --exclude-regions at collection
        self.client = options.get("client", "") if client is None else client
        self.engagement = options.get("engagement", "") if engagement is None else engagement
        self.window = findings.window_days
        self.h = summary.headline(findings)
        self.trend_data = summary.comparison(findings)
        self._figures = None

    # ---- data shared by the HTML and the PDF --------------------------------------------------
    @property
    def figures(self) -> dict:
        if self._figures is None:
            self._figures = charts.all_figures(self.findings, self.tr, self.trend_data)
        return self._figures

    def _scope(self, key: str, column: str) -> list[str]:
        scoped = (self.snapshot.get("scope") or {}).get(key) or []
        return sorted(set(scoped) | set(self.findings.groups[column].dropna().astype(str)))

    @property
    def accounts(self) -> list[str]:
        return self._scope("accounts", "account_id")

    @property
    def regions(self) -> list[str]:
        return self._scope("regions", "region")

    def sentence(self) -> str:
        """The headline. It never claims coverage it did not measure: what could not be read is said
        first, nothing assessed is never "all compliant", and what the filters left out is said last."""
        filtered = collection_filters.headline_clause(self.filters, self.tr)
        return self._gaps_first() + self._findings_sentence() + filtered

    def _gaps_first(self) -> str:
        h, tr = self.h, self.tr
        if h["inventory_gaps"]:
            where = h["inventory_gaps"]
            shown = tr.join(where[:3]) + (tr("list.more", n=len(where) - 3) if len(where) > 3 else "")
            return tr.count("headline.inventory_incomplete", len(where), where=shown)
        if h["not_assessed"]:
            return tr.count("headline.not_read_first", h["not_assessed"])
        return ""

    def _findings_sentence(self) -> str:
        h, tr = self.h, self.tr
        if not h["assessed"]:
            if h["groups"]:
                return tr.count("headline.nothing_assessed", h["groups"])
            if (self.filters or {}).get("left_out"):  # groups were found, none passed the filters
                return tr.count("headline.nothing_matched", h["scopes_read"])
            return tr.count("headline.nothing_found", h["scopes_read"])
        if h["non_compliant"]:
            text = tr("headline.sentence", non_compliant=h["non_compliant"], assessed=h["assessed"],
                      bad_pct=tr.pct(h["bad_pct"]), exposed_roles=h["exposed_roles"],
                      critical_roles=h["critical_roles"])
        else:
            text = tr("headline.sentence_clean", assessed=h["assessed"])
        if h["unknown"]:
            key = "headline.sentence_unknown_one" if h["unknown"] == 1 else "headline.sentence_unknown"
            text += tr(key, unknown=h["unknown"])
        if h["accepted_non_compliant"]:
            text += tr.count("headline.sentence_accepted", h["accepted_non_compliant"])
        return text

    def trend_sentence(self) -> str | None:
        """One sentence of progress, e.g. "Coverage rose from 58% to 71% since 30 August 2026: 3 groups
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
                  since=tr.date(t["previous_at"]), changes=tr("trend.sep").join(parts)) + \
            collection_filters.trend_clause(self.filters, (self.previous_snapshot or {}).get("scope"), tr)

    def next_steps_data(self) -> list[dict]:
        return summary.next_steps(self.findings, self.accounts)

    def group_reasons(self):
        """Each group's reason in the report's language (rendered once, in the findings)."""
        return self.findings.groups[reason_column(self.lang)]

    def risk_model(self) -> dict:
        """The risk model's weights (imds_audit.model) in the report's language, strongest first."""
        return risk_model(self.tr)

    def metadata_rows(self) -> list[tuple[str, str]]:
        s, tr = self.snapshot, self.tr
        rows = [("meta.collected_by", s.get("collected_by") or "—"),
                ("meta.collected_at", tr.datetime(s.get("collected_at")) if s.get("collected_at") else "—"),
                ("meta.tool_version", s.get("tool_version") or "—"), ("meta.snapshot_hash", s.get("sha256") or "—"),
                ("meta.snapshot_path", s.get("path") or "—"),
                ("meta.generated_at", tr.datetime((self.findings.meta or {}).get("generated_at")
                                                  or datetime.now(UTC).isoformat(timespec="seconds"))),
                ("meta.language", self.lang),
                ("meta.signature", self._signature()),
                ("meta.filters", (self.filters or {}).get("command_line") or tr("meta.filters_none"))]
        previous = self.previous_snapshot
        if previous:
            rows.append(("meta.previous", f"{previous.get('sha256')} ({tr.datetime(previous.get('collected_at'))})"))
        for label, facts in (("meta.schema", s), ("meta.previous_schema", previous)):
            if facts and facts.get("migration_note"):
                rows.append((label, tr(f"meta.schema_{facts.get('schema_version')}")))
        return rows

    def _signature(self) -> str:
        s, tr = self.snapshot, self.tr
        if s.get("signature_verified"):
            return tr("meta.signed_verified", fingerprint=s.get("signature_key"))
        return tr("meta.signed", fingerprint=s.get("signature_key")) if s.get("signed") else tr("meta.unsigned")

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
                               collected_at=self.tr.datetime(self.snapshot.get("collected_at")), toc=toc)

    def scope(self) -> Fragment:
        table = tables.not_assessed_table(self.findings.not_assessed, self.tr)
        return sections.render("scope.html.j2", tr=self.tr, h=self.h, accounts=self.accounts,
                               regions=self.regions, window=self.window, table=table,
                               table_html=sections.table(table, self.tr), filtered=bool(self.filters),
                               filter_rows=collection_filters.scope_rows(self.filters, self.tr))

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

    def exceptions(self) -> Fragment:
        """Accepted risks: the groups an exception covers (or covered: expired), and the entries of the
        exceptions file that expired or match nothing."""
        summary = (self.findings.meta or {}).get("exceptions")
        table = tables.exceptions_table(self.findings.groups, self.tr)
        return sections.render("exceptions.html.j2", tr=self.tr, given=summary is not None, table=table,
                               table_html=sections.table(table, self.tr), expired=(summary or {}).get("expired", []),
                               stale=(summary or {}).get("stale", []))

    def next_steps(self) -> Fragment:
        return sections.render("next_steps.html.j2", tr=self.tr, steps=self.next_steps_data())

    def remediation_items(self) -> list[dict]:
        """Per non-compliant group, its console / CLI / Terraform text, from the run's one plan."""
        from imds_audit.remediate import plan_store, render

        f = self.findings
        plan = render.prepare(plan_store.from_tables(f.plan_actions, f.plan_fixes, f.groups, f.sources))
        bad = f.groups[f.groups["status"].eq("non_compliant")].sort_values(["account_id", "region", "asg_name"])
        items = []
        for row in bad.to_dict("records"):
            item = {"asg_name": row["asg_name"], "account_id": row["account_id"], "region": row["region"],
                    "risk_tier": row.get("risk_tier"), "callers": row.get("imdsv1_callers") or "",
                    "error": None, "console": "", "cli": "", "terraform": "", "warning": None}
            fix = plan.fix_for(row["account_id"], row["region"], row["asg_name"])
            try:
                if fix is not None:
                    item.update(render.group_parts(fix, self.lang))
            except Exception as exc:  # noqa: BLE001 -- one bad group must not cost the whole report
                item["error"] = f"{exc.__class__.__name__}: {exc}"
            items.append(item)
        return items

    def remediation(self) -> Fragment:
        return sections.render("remediation.html.j2", tr=self.tr, items=self.remediation_items(),
                               console_markdown=sections.console_markdown)

    def methodology(self) -> Fragment:
        return sections.render("methodology.html.j2", tr=self.tr, controls=sections.controls(),
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
                               previous_at=self.tr.datetime(t["previous_at"]) if t["previous_at"] else "—",
                               n_points=len(series),
                               first=self.tr.date(series["collected_at"].iloc[0]) if len(series) else "—",
                               last=self.tr.date(series["collected_at"].iloc[-1]) if len(series) else "—",
                               figure_html=Fragment(chart), tables=self.trend_tables())

    def metadata(self) -> Fragment:
        return sections.render("metadata.html.j2", tr=self.tr, rows=self.metadata_rows())

    # ---- the executive summary's data ------------------------------------------------------------
    def executive(self) -> dict:
        top = summary.top_roles(self.findings, 5, self.lang)
        s, previous = self.snapshot, self.previous_snapshot
        return {
            "tr": self.tr, "lang": self.lang, "h": self.h, "sentence": self.sentence(),
            "client": self.client, "engagement": self.engagement,
            "collected_at": self.tr.datetime(s.get("collected_at")), "collected_by": s.get("collected_by") or "—",
            "digest": s.get("sha256") or "—", "tool_version": s.get("tool_version") or "—",
            "accounts": self.accounts, "regions": self.regions,
            "top_roles": top.to_dict("records"), "steps": self.next_steps_data(),
            "trend": self.trend_data, "trend_sentence": self.trend_sentence(),
            "previous_at": self.tr.datetime(previous.get("collected_at")) if previous else None,
            "risk_model": self.risk_model(),
        }


def risk_model(tr) -> dict:
    """The weights of the risk score (imds_audit.model, never retyped), labelled in ``tr``'s language,
    strongest first."""
    def rows(weights: dict, prefix: str, model_prefix: str):
        ordered = sorted(weights.items(), key=lambda kv: -kv[1])
        return [{"code": code, "label": tr.label(prefix, code), "weight": weight,
                 "meaning": tr(f"model.{model_prefix}.{code}")} for code, weight in ordered]

    return {"formula": tr("model.formula"), "exposure": rows(EXPOSURE_WEIGHT, "exposure", "exposure"),
            "privilege": rows(PRIVILEGE_WEIGHT, "tier", "tier")}


__all__ = ["ReportView", "open_report", "risk_model"]
