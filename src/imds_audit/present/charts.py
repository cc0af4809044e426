"""Plotly figures of the findings. Each function takes frames and a catalogue and returns a Figure;
nothing here writes files or decides a verdict. Every text that comes from the estate is escaped,
because plotly reads a subset of HTML in labels."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from imds_audit.model import TIERS, WORST_FIRST

FONT = '"Noto Sans CJK JP", "Noto Sans JP", "Noto Sans", "Helvetica Neue", Arial, sans-serif'
STATUS_COLOURS = {"compliant": "#2e7d32", "non_compliant": "#c62828", "unknown": "#9e9e9e"}
TIER_COLOURS = {
    "admin": "#7f0000", "privilege_escalation": "#b71c1c", "credentials_exposure": "#d84315",
    "resource_exposure": "#ef6c00", "data_access": "#f9a825", "write": "#5c6bc0",
    "read_only": "#78909c", "none": "#bdbdbd", "unknown": "#e0e0e0",
}
TIER_ORDER = [*TIERS[::-1], "unknown"]  # worst first, then policies not read
assert set(TIER_ORDER) == set(TIER_COLOURS)
EXPOSURE_COLOURS = {"latent": "#ffcc80", "exposed": "#ef6c00", "active": "#b71c1c"}
LABEL_MAX = 42
# Every colour, font and margin is set below: the figures need none of plotly.py's default template
# (about 9 KB of JSON in each chart of the HTML).
TEMPLATE = go.layout.Template(layout={"hovermode": "closest", "xaxis": {"gridcolor": "#eceff1", "ticks": ""},
                                      "yaxis": {"gridcolor": "#eceff1", "ticks": ""}})


def _safe(text, limit: int | None = LABEL_MAX) -> str:
    """Estate text as a plotly label: shortened with an ellipsis, HTML-escaped."""
    text = "" if text is None or (not isinstance(text, str) and pd.isna(text)) else str(text)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False)


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": html.escape(title, quote=False), "x": 0, "xanchor": "left", "font": {"size": 16}},
        font={"family": FONT, "size": 12, "color": "#263238"},
        height=height + 50, margin={"l": 10, "r": 20, "t": 50, "b": 100},
        plot_bgcolor="white", paper_bgcolor="white", bargap=0.25,
        # the legend sits under the plot, in container coordinates, so that however many rows it
        # wraps into it never runs into the title
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "x": 0,
                "xanchor": "left", "title": {"text": ""}},
    )
    fig.update_xaxes(gridcolor="#eceff1", zerolinecolor="#cfd8dc", automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _count_axis(fig: go.Figure, maximum) -> None:
    """Counts are whole numbers: no 0.5 ticks on small axes."""
    if maximum is not None and maximum <= 12:
        fig.update_xaxes(dtick=1, tick0=0)


def _empty(tr, title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=html.escape(tr("chart.empty")), showarrow=False, x=0.5, y=0.5,
                       xref="paper", yref="paper", font={"size": 14, "color": "#78909c"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, 220)


def _scope_label(frame: pd.DataFrame) -> pd.Series:
    return (frame["account_id"].astype(str) + " / " + frame["region"].astype(str)).map(
        lambda s: _safe(s, None))


def coverage_by_scope(by_scope: pd.DataFrame, tr) -> go.Figure:
    """Stacked bars per account and region (the findings' ``coverage``): groups IMDSv2-only, allowing
    IMDSv1, not assessed."""
    title = tr("chart.coverage.title")
    if by_scope is None or by_scope.empty:
        return _empty(tr, title)
    cov = by_scope.sort_values(["account_id", "region"], ascending=False, kind="stable")
    labels = _scope_label(cov)
    fig = go.Figure()
    for status in WORST_FIRST:
        fig.add_bar(
            y=labels, x=cov[status], orientation="h", name=html.escape(tr(f"status.{status}")),
            marker_color=STATUS_COLOURS[status],
            customdata=cov["coverage_pct"].fillna(-1),
            hovertemplate="%{y}<br>%{x}<extra>" + html.escape(tr(f"status.{status}")) + "</extra>",
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=html.escape(tr("chart.coverage.x")), rangemode="tozero")
    _count_axis(fig, int(cov["groups"].max()))
    return _layout(fig, title, 140 + 28 * len(cov))


def role_risk(roles: pd.DataFrame, tr, top: int = 15) -> go.Figure:
    """The riskiest exposed roles, one bar each, coloured by privilege tier: the first ``top`` rows of
    the roles table, in its order (summary.exposed_roles), so the chart and the table agree."""
    from imds_audit.present.summary import exposed_roles

    title = tr("chart.roles.title")
    exposed = exposed_roles(roles) if not roles.empty else roles
    if exposed.empty:
        return _empty(tr, title)
    top_roles = exposed.head(top).iloc[::-1]
    labels = (top_roles["role_name"].map(_safe) + " · " + top_roles["account_id"].astype(str)).tolist()
    fig = go.Figure()
    for tier in TIER_ORDER:
        sel = top_roles["privilege_tier"].eq(tier).to_numpy()
        if not sel.any():
            continue
        part = top_roles[sel]
        fig.add_bar(
            y=[lab for lab, s in zip(labels, sel, strict=True) if s], x=part["risk_score"], orientation="h",
            name=html.escape(tr(f"tier.{tier}")), marker_color=TIER_COLOURS[tier],
            customdata=[html.escape(tr(f"exposure.{e}")) for e in part["exposure_level"]],
            hovertemplate="%{y}<br>%{x:.0f} · %{customdata}<extra></extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=labels)
    fig.update_xaxes(title_text=html.escape(tr("chart.roles.x")), rangemode="tozero")
    return _layout(fig, title, 140 + 30 * len(top_roles))


def exposure_by_tier(roles: pd.DataFrame, tr) -> go.Figure:
    """How many exposed roles fall in each privilege tier, split by exposure level."""
    title = tr("chart.tiers.title")
    exposed = roles[roles["exposure_level"].fillna("none").ne("none")] if not roles.empty else roles
    if exposed.empty:
        return _empty(tr, title)
    counts = exposed.groupby(["privilege_tier", "exposure_level"]).size().rename("n").reset_index()
    tiers = [t for t in TIER_ORDER if t in set(counts["privilege_tier"])][::-1]
    tier_labels = [html.escape(tr(f"tier.{t}")) for t in tiers]
    fig = go.Figure()
    for level, colour in EXPOSURE_COLOURS.items():
        part = counts[counts["exposure_level"].eq(level)].set_index("privilege_tier")["n"]
        fig.add_bar(y=tier_labels, x=[int(part.get(t, 0)) for t in tiers], orientation="h",
                    name=html.escape(tr(f"exposure.{level}")), marker_color=colour,
                    hovertemplate="%{y}: %{x}<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=html.escape(tr("chart.tiers.x")), rangemode="tozero")
    _count_axis(fig, int(counts.groupby("privilege_tier")["n"].sum().max()))
    return _layout(fig, title, 140 + 34 * len(tiers))


def drift_readiness(groups: pd.DataFrame, tr) -> go.Figure:
    """Per account and region: groups owing an instance refresh, groups whose instances still call IMDSv1."""
    title = tr("chart.drift.title")
    if groups.empty:
        return _empty(tr, title)
    frame = groups.assign(_drift=groups["drift"].fillna(False).astype(bool).astype(int),
                          _blocked=groups["readiness"].eq("blocked").astype(int))
    agg = frame.groupby(["account_id", "region"], as_index=False)[["_drift", "_blocked"]].sum()
    agg = agg.sort_values(["account_id", "region"], ascending=False, kind="stable")
    if not (agg["_drift"].sum() or agg["_blocked"].sum()):
        return _empty(tr, title)
    labels = _scope_label(agg)
    fig = go.Figure()
    fig.add_bar(y=labels, x=agg["_drift"], orientation="h", marker_color="#5c6bc0",
                name=html.escape(tr("chart.drift.series_drift")), hovertemplate="%{y}: %{x}<extra></extra>")
    fig.add_bar(y=labels, x=agg["_blocked"], orientation="h", marker_color="#c62828",
                name=html.escape(tr("chart.drift.series_blocked")), hovertemplate="%{y}: %{x}<extra></extra>")
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=html.escape(tr("chart.drift.x")), rangemode="tozero")
    _count_axis(fig, int(max(agg["_drift"].max(), agg["_blocked"].max())))
    return _layout(fig, title, 150 + 40 * len(agg))


def _when(collected_at: pd.Series, tr=None) -> tuple[list, list[str], bool]:
    """x values of a series over time: dates when every point has one (ticks in the reader's
    language: "1 September 2026", "2026年9月1日"), else the raw labels."""
    parsed = pd.to_datetime(collected_at, utc=True, errors="coerce", format="ISO8601")
    if parsed.notna().all():
        naive = parsed.dt.tz_localize(None)
        ticks = ([html.escape(tr.date(m.to_pydatetime())) for m in parsed] if tr is not None
                 else naive.dt.strftime("%Y-%m-%d").tolist())
        return naive.dt.strftime("%Y-%m-%d %H:%M:%S").tolist(), ticks, True
    labels = [_safe(v) for v in collected_at]
    return labels, labels, False


def trend(series: pd.DataFrame, tr) -> go.Figure:
    """Coverage over time: groups and running instances IMDSv2-only (%, left axis), exposed roles
    (bars, right axis); one point per snapshot, oldest first (analyze.history.trend's frame)."""
    title = tr("chart.trend.title")
    if series is None or series.empty:
        return _empty(tr, title)
    x, ticks, dated = _when(series["collected_at"], tr)
    labelled = len(series) <= 8  # values printed next to the points while they stay readable
    fig = go.Figure()
    roles = series["exposed_roles"].astype(int)
    width = None
    if dated and len(series) > 1:  # on a date axis a bar is as wide as the gap: keep them slim
        t = pd.to_datetime(pd.Series(x))
        width = max(86_400_000.0, (t.max() - t.min()).total_seconds() * 1000 * 0.05)
    # the counts go in the legend (first → last): printed over slim bars they collide with the lines
    roles_name = tr("chart.trend.roles") + (f" ({roles.iloc[0]} → {roles.iloc[-1]})" if len(roles) > 1
                                            else f" ({roles.iloc[0]})")
    fig.add_bar(x=x, y=roles, yaxis="y2", name=html.escape(roles_name),
                marker_color=EXPOSURE_COLOURS["exposed"], opacity=0.45, width=width,
                hovertemplate="%{x}<br>%{y}<extra>" + html.escape(tr("chart.trend.roles")) + "</extra>")
    # at each point the higher line's value goes above it and the lower one's below, so they never overlap
    groups_higher = (series["coverage_pct"].astype(float) >= series["instance_coverage_pct"].astype(float)).tolist()
    for col, key, colour, dash in (("coverage_pct", "chart.trend.groups", STATUS_COLOURS["compliant"], "solid"),
                                   ("instance_coverage_pct", "chart.trend.instances", "#1565c0", "dash")):
        values = series[col].astype(float)
        above = groups_higher if col == "coverage_pct" else [not h for h in groups_higher]
        fig.add_scatter(x=x, y=values, mode="lines+markers+text" if labelled else "lines+markers",
                        name=html.escape(tr(key)), line={"color": colour, "width": 3, "dash": dash},
                        marker={"size": 9}, text=[tr.pct(v) for v in values] if labelled else None,
                        textposition=["top center" if a else "bottom center" for a in above],
                        textfont={"color": colour},
                        hovertemplate="%{x}<br>%{y:.1f}%<extra>" + html.escape(tr(key)) + "</extra>")
    fig.update_layout(
        yaxis={"range": [0, 112], "title": {"text": html.escape(tr("chart.trend.y"))},
               "gridcolor": "#eceff1", "tickvals": [0, 25, 50, 75, 100],
               "ticktext": ["0%", "25%", "50%", "75%", "100%"]},
        yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
                "title": {"text": html.escape(tr("chart.trend.y2"))},
                # the bars keep to the lower quarter, under the coverage lines; ticks at 0 and the peak
                "range": [0, max(1, int(roles.max())) * 4], "tickvals": sorted({0, max(1, int(roles.max()))})},
        hovermode="x unified" if dated else "closest")
    if len(series) <= 12:
        fig.update_xaxes(tickmode="array", tickvals=x, ticktext=ticks)
    if dated:
        fig.update_xaxes(type="date")
        if len(series) == 1:
            fig.update_xaxes(type="category")
    else:
        fig.update_xaxes(type="category")
    # room on both sides so the first and last points' labels are not clipped
    if dated and len(series) > 1:
        t = pd.to_datetime(pd.Series(x))
        pad = (t.max() - t.min()) * 0.12
        fig.update_xaxes(range=[(t.min() - pad).isoformat(), (t.max() + pad).isoformat()])
    fig = _layout(fig, title, 270)
    fig.update_layout(margin={"r": 60})  # the right axis's title needs the room
    return fig


def all_figures(findings, tr, trend_data: dict | None = None) -> dict[str, go.Figure]:
    """Every chart of the report; ``trend`` only with a comparison (``trend_data`` from
    present.summary.comparison)."""
    from imds_audit.present.summary import roles_of

    roles = roles_of(findings)
    figs = {
        "coverage": coverage_by_scope(findings.coverage, tr),
        "roles": role_risk(roles, tr),
        "tiers": exposure_by_tier(roles, tr),
        "drift": drift_readiness(findings.groups, tr),
    }
    if trend_data:
        figs["trend"] = trend(trend_data["series"], tr)
    return figs
