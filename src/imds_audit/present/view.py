"""One report's presentation: the findings of a snapshot, in one language, as notebook-ready sections.

The notebook builds a :class:`ReportView` with :func:`open_report` and shows its sections one per cell;
the PDF renderer asks it for :meth:`ReportView.executive` and the figures.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, datetime

from imds_audit import findings as fnd
from imds_audit.i18n import Catalogue
from imds_audit.model import EXPOSURE_WEIGHT, PRIVILEGE_WEIGHT, reason_column
from imds_audit.present import assets, charts, sections, summary, tables
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
PDF_ROLES = 5       # the riskiest roles the PDF's table and chart show
PDF_EXPOSURES = 3   # the exposures that lead the first page
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
        self._fixes = None

    # ---- data shared by the HTML and the PDF --------------------------------------------------
    @property
    def figures(self) -> dict:
        if self._figures is None:
            self._figures = charts.all_figures(self.findings, self.tr, self.trend_data)
            assets.check_traces(self._figures)
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
        return self._gaps_first() + self._findings_sentence() + self._cannot_launch() + filtered

    def _cannot_launch(self) -> str:
        """Groups that cannot launch at all (analyze.verdict's launch_failure): an availability finding
        the reader must not learn from a table row only."""
        n = self.h["launch_failures"]
        return self.tr.count("headline.cannot_launch", n) if n else ""

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
        """CSS, plotly.js (the vendored partial bundle, embedded once, never from a CDN) and the table
        script: the first cell."""
        return sections.render("assets.html.j2", css=sections.css(), plotlyjs=assets.plotlyjs() if plotlyjs else "")

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

    def groups(self, packed: bool | None = None) -> Fragment:
        """Every group, with a filter per column, sorting, the rows shown as CSV, and a link from each
        non-compliant group to its fix."""
        fixes = {(m["account_id"], m["region"], m["asg_name"]): fix["n"]
                 for fix in self.remediation_fixes() for m in fix["members"]}
        table = tables.groups_table(self.findings.groups, self.tr, reasons=self.group_reasons(), fixes=fixes)
        return sections.render("section_table.html.j2", heading=self.tr("section.groups"), anchor="ia-groups",
                               intro=None, table=table, empty=None,
                               table_html=sections.table(table, self.tr, filters=True, csv="groups.csv",
                                                         packed=packed))

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

    def _plan(self):
        from imds_audit.remediate import plan_store, render

        f = self.findings
        return render.prepare(plan_store.from_tables(f.plan_actions, f.plan_fixes, f.groups, f.sources))

    def remediation_fixes(self) -> list[dict]:
        """The fixes of the run's one plan, each shown once per set of template versions (or launch
        templates) it creates: groups sharing them share the fix. Each: ``n`` (its number, the anchor
        ``fix-n``), ``changes`` (what it creates), ``members`` (the groups, each with its row's anchor),
        and ``parts``: the first group's whole fix, then each other group's own steps (the shared ones
        are not repeated); ``terraform`` covers every group of the fix."""
        if self._fixes is not None:
            return self._fixes
        from imds_audit.remediate import render

        f = self.findings
        plan = self._plan()
        # the groups that allow IMDSv1, and those the plan serves because they cannot launch
        served = {(x.group["account_id"], x.group["region"], x.group["asg_name"]) for x in plan.fixes}
        keys = zip(f.groups["account_id"], f.groups["region"], f.groups["asg_name"], strict=True)
        mask = [status == "non_compliant" or key in served
                for status, key in zip(f.groups["status"], keys, strict=True)]
        bad = f.groups.loc[mask].sort_values(["account_id", "region", "asg_name"])
        clusters: dict[tuple, dict] = {}
        for row in bad.to_dict("records"):
            key = (row["account_id"], row["region"], row["asg_name"])
            fix = plan.fix_for(*key)
            created = tuple(id(a) for a in fix.actions if a.kind in CREATES) if fix is not None else ()
            cluster = clusters.setdefault(created or ("group", *key), {"fixes": [], "members": []})
            cluster["fixes"].append(fix)
            cluster["members"].append({"account_id": key[0], "region": key[1], "asg_name": key[2],
                                       "risk_tier": row.get("risk_tier"), "anchor": tables.group_anchor(*key)})
        out = []
        for n, cluster in enumerate(clusters.values(), start=1):
            item = {"n": n, "members": cluster["members"], "parts": [], "terraform": "", "cloudformation": "",
                    "error": None, "changes": _changes(cluster["fixes"], self.tr)}
            try:
                item["parts"], item["terraform"], item["cloudformation"] = self._fix_parts(cluster["fixes"], render)
            except Exception as exc:  # noqa: BLE001 -- one bad fix must not cost the whole report
                item["error"] = f"{exc.__class__.__name__}: {exc}"
            out.append(item)
        self._fixes = out
        return out

    def _fix_parts(self, fixes: list, render) -> tuple[list[dict], str, str]:
        parts, shown = [], set()
        for i, fix in enumerate(fixes):
            if fix is None:
                continue
            own = fix if i == 0 else dataclasses.replace(fix, actions=[a for a in fix.actions if id(a) not in shown])
            shown.update(id(a) for a in fix.actions)
            if i and not (own.actions or own.readiness or own.unfixable or own.hop_changes or own.notes):
                continue  # everything this group needs is in the steps above
            parts.append({"asg_name": fix.group["asg_name"], "after_shared": i > 0,
                          "callers": fix.group.get("imdsv1_callers") or "",
                          "console": render.group_console(own, self.lang), "cli": render.group_cli(own, self.lang),
                          "warning": render.warning_text(own, self.lang)})
        present = [fix for fix in fixes if fix is not None]
        if not present:
            return parts, "", ""
        return parts, render.terraform(present, self.lang), render.cloudformation(present, self.lang)

    def remediation(self, packed: bool | None = None) -> Fragment:
        """The fixes, once each (see :meth:`remediation_fixes`); ``packed`` (default: over
        PACK_FIXES_OVER fixes) ships their steps gzipped, unpacked when a fix is opened."""
        fixes = self.remediation_fixes()
        if packed is None:
            packed = len(fixes) > sections.PACK_FIXES_OVER
        bodies = None
        if packed:
            bodies = sections.pack(json_dumps([str(sections.render(
                "fix_body.html.j2", tr=self.tr, fix=fix, console_markdown=sections.console_markdown))
                for fix in fixes]))
        return sections.render("remediation.html.j2", tr=self.tr, fixes=fixes, pack=bodies,
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
    def executive_roles(self, n: int = PDF_ROLES) -> list[dict]:
        """The riskiest exposed roles the PDF shows, in risk order (its table and its chart show these
        same roles), each with one plain sentence of what an attacker holding its credentials could do."""
        top = summary.top_roles(self.findings, n, self.lang)
        out = []
        for r in top.to_dict("records"):
            tier = r.get("privilege_tier")
            key = f"pdf.attacker.{tier}"
            r["attacker"] = self.tr(key) if self.tr.has(key) else self.tr("pdf.attacker.unknown")
            out.append(r)
        return out

    def not_assessed_summary(self, names: int = 5) -> dict | None:
        """What was not assessed, in a few lines for the PDF's first page: the API calls that did not
        succeed (how many, which APIs, where) and the groups whose verdict is unknown (the first few by
        name). None when everything was assessed."""
        tr, f = self.tr, self.findings
        na = f.not_assessed if f.not_assessed is not None else None
        unknown = f.groups[f.groups["status"].eq("unknown")].sort_values(["account_id", "region", "asg_name"])
        if (na is None or na.empty) and unknown.empty:
            return None
        out = {"calls": None, "groups": None, "n_calls": 0 if na is None else len(na), "n_groups": len(unknown)}
        if na is not None and not na.empty:
            apis = na["api"].astype(str).value_counts(sort=False)
            apis = apis.sort_values(ascending=False, kind="stable")
            scopes = sorted({f"{a} / {r}" for a, r in zip(na["account_id"].astype(str), na["region"].astype(str),
                                                           strict=True)})
            out["calls"] = tr("pdf.na_calls", n=len(na),
                              apis=tr.join(f"{api}\u00a0({count})" for api, count in apis.items()),
                              scopes=_some(tr, scopes, 4))
        if not unknown.empty:
            labels = [f"{g['asg_name']} ({g['account_id']} / {g['region']})" for g in unknown.to_dict("records")]
            out["groups"] = tr("pdf.na_groups", n=len(unknown), names=_some(tr, labels, names))
        return out

    def identity_rows(self) -> list[tuple[str, str]]:
        """The technical identity of the evidence (the PDF's last page): who collected what when, the
        snapshot's hash and signature, the tool, the snapshot compared with."""
        s, tr = self.snapshot, self.tr
        signed = self._signature()
        rows = [("scope.accounts", tr.join(self.accounts) or "—"), ("scope.regions", tr.join(self.regions) or "—"),
                ("meta.collected_at", tr.datetime(s.get("collected_at")) if s.get("collected_at") else "—"),
                ("meta.collected_by", s.get("collected_by") or "—"),
                ("meta.snapshot_hash", s.get("sha256") or "—"), ("meta.signature", signed),
                ("meta.tool_version", s.get("tool_version") or "—")]
        if self.previous_snapshot:
            p = self.previous_snapshot
            rows.append(("meta.previous", f"{p.get('sha256') or '—'} ({tr.datetime(p.get('collected_at'))})"))
        return rows

    def executive(self) -> dict:
        s, previous = self.snapshot, self.previous_snapshot
        steps = self.next_steps_data()
        return {
            "tr": self.tr, "lang": self.lang, "h": self.h, "sentence": self.sentence(),
            "client": self.client, "engagement": self.engagement,
            "collected_at": self.tr.datetime(s.get("collected_at")), "collected_by": s.get("collected_by") or "—",
            "collected_on": self.tr.date(s.get("collected_at")) if s.get("collected_at") else "—",
            "digest": s.get("sha256") or "—", "tool_version": s.get("tool_version") or "—",
            "accounts": self.accounts, "regions": self.regions,
            "top_roles": self.executive_roles(), "exposures": self.executive_roles(PDF_EXPOSURES),
            "steps": steps, "top_steps": steps[:3],
            "not_assessed": self.not_assessed_summary(), "identity": self.identity_rows(),
            "trend": self.trend_data, "trend_sentence": self.trend_sentence(),
            "previous_at": self.tr.datetime(previous.get("collected_at")) if previous else None,
            "risk_model": self.risk_model(),
        }


def _some(tr, items: list[str], n: int) -> str:
    """The first ``n`` items, and how many more."""
    shown = tr.join(items[:n])
    return shown + (tr("pdf.na_more", n=len(items) - n) if len(items) > n else "")


CREATES = ("create_version", "create_template", "stack_change", "update_environment")


def _changes(fixes: list, tr) -> list[str]:
    """What a fix creates, in words: each launch template version it makes a new version from, and
    each launch configuration it turns into a launch template."""
    out = []
    for fix in fixes[:1]:
        for a in (fix.actions if fix is not None else []):
            f = a.facts
            if a.kind == "create_version":
                out.append(tr("remediation.changes_version", lt_name=f["lt_name"], lt_id=f["lt_id"],
                              version=f["source_version"]))
            elif a.kind == "create_template":
                out.append(tr("remediation.changes_lc", lc_name=f["lc_name"]))
            elif a.kind == "stack_change":
                out.append(tr("remediation.changes_stack", stack=f["stack"]))
            elif a.kind == "update_environment":
                out.append(tr("remediation.changes_environment", environment=f["environment"]))
    return out


def json_dumps(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


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
