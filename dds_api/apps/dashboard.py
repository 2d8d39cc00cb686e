"""One self-contained HTML page over the marts: KPIs, daily spend, funnel, campaigns, pacing.

Read-only: every figure is a SELECT on a mart (aggregates are SQL over the marts, never
Python arithmetic on metrics). Python only formats, escapes and lays out: bar lengths and
axis ticks are drawing, not metrics. The page needs no network: inline CSS, inline SVG
charts, no script, no external font or image.

Marts that another piece of work adds (`marts.provider_daily_spend`,
`marts.campaign_budget_pacing`) are looked up in information_schema first; without them the
page says so (daily spend) or leaves the extra columns out (pacing).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from dds_api.formatting import UNDEFINED, dollars, fetch_dicts, percent

if TYPE_CHECKING:
    from dds_api.facade import DDSIntegration


PORTFOLIO_SQL = """
    select total_campaigns, active_campaigns, paused_campaigns, stopped_campaigns,
        deployed_campaigns, cost_usd, revenue_usd, budget_usd, profit_usd,
        roi, cost_per_lead
    from marts.portfolio_summary
"""

FUNNEL_SQL = "select * from marts.portfolio_funnel order by step_order"

DAILY_SPEND_SQL = """
    select
        day_on,
        provider,
        cost_usd,
        sum(cost_usd) over (partition by day_on) as day_total_usd,
        sum(cost_usd) over (partition by provider) as provider_total_usd
    from marts.provider_daily_spend
    order by day_on, provider_total_usd desc, provider
"""

CAMPAIGNS_SQL = """
    select
        m.campaign_id, m.campaign_name, m.vertical, m.location, m.status,
        m.cost_usd, m.revenue_usd, m.roi, m.leads_found, m.leads_qualified,
        m.qualification_rate, m.reply_rate, m.human_open_rate, m.adjusted_open_rate,
        m.cost_per_lead, o.priority
    from marts.campaign_metrics as m
    inner join marts.campaign_optimization as o on m.campaign_id = o.campaign_id
    order by o.priority_rank desc, m.campaign_name, m.campaign_id
"""

FLAGS_SQL = """
    select campaign_id, issue, severity, action, sample_size, confidence, ci_lower, ci_upper,
        is_significant, is_in_cooldown, acts_automatically
    from marts.campaign_optimization_flags
    order by campaign_id, severity_rank desc, rule_id
"""

PACING_SQL = """
    select m.campaign_id, m.campaign_name, m.status, m.budget_usd, m.cost_usd,
        m.budget_used_pct, m.budget_remaining_usd
    from marts.campaign_metrics as m
    order by m.budget_used_pct desc nulls last, m.campaign_name, m.campaign_id
"""

PACING_WITH_PROJECTION_SQL = """
    select m.campaign_id, m.campaign_name, m.status, m.budget_usd, m.cost_usd,
        m.budget_used_pct, m.budget_remaining_usd,
        p.burn_rate_usd_per_day, p.projected_budget_exhausted_on, p.planned_end_on,
        p.will_exceed_budget_before_end
    from marts.campaign_metrics as m
    left join marts.campaign_budget_pacing as p on m.campaign_id = p.campaign_id
    order by m.budget_used_pct desc nulls last, m.campaign_name, m.campaign_id
"""

# A/B tests: every variant with its comparison, campaigns by name, control first
VARIANTS_SQL = """
    select o.campaign_id, c.campaign_name, o.variant, o.is_control, o.emails_sent,
        o.emails_replied, o.reply_rate, o.reply_rate_ci_lower, o.reply_rate_ci_upper,
        o.cost_usd, o.cost_per_reply_usd, v.metric, v.difference, v.difference_ci_lower,
        v.difference_ci_upper, v.verdict
    from marts.campaign_variant_outcomes as o
    inner join marts.campaigns as c on o.campaign_id = c.campaign_id
    left join marts.campaign_variant_comparisons as v
        on o.campaign_variant_id = v.campaign_variant_id
    order by c.campaign_name, o.campaign_id, o.is_control desc, o.first_seen_at, o.variant
"""

RELATION_EXISTS_SQL = """
    select count(*) > 0 from information_schema.tables
    where table_catalog = current_database() and table_schema = ? and table_name = ?
"""

# Okabe-Ito colour-blind-safe colours (without black and yellow), then grey and olive.
PROVIDER_COLOURS = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7f7f7f", "#999933",
]  # fmt: skip
SEVERITY_CLASS = {"critical": "sev-critical", "high": "sev-high", "medium": "sev-medium"}
PRIORITY_CLASS = {"CRITICAL": "sev-critical", "HIGH": "sev-high", "MEDIUM": "sev-medium"}


# --------------------------------------------------------------------------- formatting


def esc(value: Any) -> str:
    """Any value from data, escaped for HTML text and attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt_count(value: int | Decimal | None) -> str:
    return UNDEFINED if value is None else f"{int(value):,}"


def fmt_date(value: date | None) -> str:
    return UNDEFINED if value is None else value.isoformat()


# ------------------------------------------------------------------------------- queries


def relation_exists(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = conn.execute(RELATION_EXISTS_SQL, [schema, name]).fetchone()
    return bool(row and row[0])


def load_data(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Everything the page shows, in one read of the marts."""
    has_daily = relation_exists(conn, "marts", "provider_daily_spend")
    has_pacing = relation_exists(conn, "marts", "campaign_budget_pacing")
    flags: dict[str, list[dict[str, Any]]] = {}
    for flag in fetch_dicts(conn, FLAGS_SQL):
        flags.setdefault(flag["campaign_id"], []).append(flag)
    return {
        "portfolio": fetch_dicts(conn, PORTFOLIO_SQL)[0],
        "funnel": fetch_dicts(conn, FUNNEL_SQL),
        "daily_spend": fetch_dicts(conn, DAILY_SPEND_SQL) if has_daily else None,
        "campaigns": fetch_dicts(conn, CAMPAIGNS_SQL),
        "flags": flags,
        "pacing": fetch_dicts(conn, PACING_WITH_PROJECTION_SQL if has_pacing else PACING_SQL),
        "has_pacing_projection": has_pacing,
        "variants": fetch_dicts(conn, VARIANTS_SQL)
        if relation_exists(conn, "marts", "campaign_variant_outcomes")
        else [],
    }


# -------------------------------------------------------------------------------- charts


def _nice_step(maximum: float, ticks: int = 5) -> float:
    """A round axis step (1, 2, 2.5, 5 x 10^n) giving about `ticks` gridlines up to maximum."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _axis_money(value: float) -> str:
    if value >= 1000:
        return f"${value:,.0f}"
    return f"${value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"${value:,.0f}"


def daily_spend_chart(rows: list[dict[str, Any]] | None) -> str:
    """Stacked bars: one per day, one segment per provider; a legend with provider totals."""
    if rows is None:
        return (
            '<p class="note">No daily spend data: the warehouse has no '
            "<code>marts.provider_daily_spend</code> yet (run <code>dds build</code>).</p>"
        )
    if not rows:
        return '<p class="note">No daily spend data: no cost has been logged yet.</p>'

    days: list[date] = []
    totals: dict[date, float] = {}
    providers: dict[str, Decimal] = {}
    for row in rows:
        if row["day_on"] not in totals:
            days.append(row["day_on"])
            totals[row["day_on"]] = float(row["day_total_usd"] or 0)
        providers.setdefault(row["provider"], row["provider_total_usd"])
    order = sorted(providers, key=lambda p: (-(providers[p] or 0), p))
    colour = {p: PROVIDER_COLOURS[i % len(PROVIDER_COLOURS)] for i, p in enumerate(order)}

    width, height = 1180, 320
    left, right, top, bottom = 72, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    step = _nice_step(max(totals.values(), default=0))
    y_max = step * max(1, math.ceil(max(totals.values(), default=0) / step))

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="Spend by provider per day">'
    ]
    tick = 0.0
    while tick <= y_max + 1e-9:
        ty = y(tick)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{ty:.1f}" y2="{ty:.1f}" class="grid"/>'
            f'<text x="{left - 8}" y="{ty + 4:.1f}" class="axis" text-anchor="end">'
            f"{esc(_axis_money(tick))}</text>"
        )
        tick += step

    slot = plot_w / len(days)
    bar_w = min(64.0, slot * 0.8)
    label_every = max(1, math.ceil(len(days) / 14))
    x_of = {day: left + slot * i + (slot - bar_w) / 2 for i, day in enumerate(days)}
    stacked: dict[date, float] = dict.fromkeys(days, 0.0)
    for row in sorted(rows, key=lambda r: (r["day_on"], order.index(r["provider"]))):
        day, spend = row["day_on"], float(row["cost_usd"] or 0)
        if spend <= 0:
            continue
        y0, y1 = y(stacked[day]), y(stacked[day] + spend)
        stacked[day] += spend
        title = f"{fmt_date(day)} · {row['provider']}: {dollars(row['cost_usd'])}"
        parts.append(
            f'<rect x="{x_of[day]:.1f}" y="{y1:.1f}" width="{bar_w:.1f}" '
            f'height="{max(y0 - y1, 0.5):.1f}" fill="{colour[row["provider"]]}">'
            f"<title>{esc(title)}</title></rect>"
        )
    for i, day in enumerate(days):
        cx = x_of[day] + bar_w / 2
        if i % label_every == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bottom + 18}" class="axis" '
                f'text-anchor="middle">{esc(day.strftime("%b %d"))}</text>'
            )
        if len(days) <= 31:
            parts.append(
                f'<text x="{cx:.1f}" y="{y(totals[day]) - 5:.1f}" class="bar-total" '
                f'text-anchor="middle">{esc(dollars(totals[day]))}</text>'
            )
    base = y(0)
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{base:.1f}" y2="{base:.1f}" '
        'class="axis-line"/>'
    )
    parts.append("</svg>")
    legend = "".join(
        f'<span class="legend-item"><span class="swatch" style="background:{colour[p]}"></span>'
        f"{esc(p)} <b>{esc(dollars(providers[p]))}</b></span>"
        for p in order
    )
    span = f"{fmt_date(days[0])} to {fmt_date(days[-1])}" if len(days) > 1 else fmt_date(days[0])
    return (
        f'<p class="sub">{esc(span)} · {len(days)} day{"s" if len(days) != 1 else ""} with spend'
        f'</p>{"".join(parts)}<div class="legend">{legend}</div>'
    )


def _step_rate(row: dict[str, Any]) -> str:
    kind, rate = row["step_rate_kind"], row["step_rate"]
    if kind == "none":
        return ""
    if kind == "emails_per_qualified":
        value = UNDEFINED if rate is None else f"{float(rate):,.2f}"
        return f"{value} emails per qualified lead"
    if kind == "usd_per_reply":
        return f"{dollars(rate)} per reply"
    of = {"pct_of_found": "found", "pct_of_sent": "sent", "pct_of_opened": "opened"}[kind]
    return f"{percent(rate)} of {of}"


def funnel_chart(rows: list[dict[str, Any]]) -> str:
    """Horizontal bars: count steps scaled to the largest count; revenue on its own bar."""
    width, row_h, label_w, rate_w = 1180, 40, 190, 300
    bar_max = width - label_w - rate_w - 110
    height = row_h * len(rows) + 8
    largest = max((float(r["amount"] or 0) for r in rows if r["unit"] == "count"), default=0)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="Lead funnel">'
    ]
    for i, row in enumerate(rows):
        top = 4 + i * row_h
        amount = float(row["amount"] or 0)
        if row["unit"] == "usd":  # dollars, not a count: its own bar below a rule
            length, fill, text = (
                (bar_max if amount > 0 else 0),
                "#009E73",
                dollars(row["amount"]),
            )
            parts.append(
                f'<line x1="{label_w}" x2="{width}" y1="{top + 1}" y2="{top + 1}" class="grid" '
                'stroke-dasharray="4 4"/>'
            )
        else:
            length = bar_max * amount / largest if largest else 0
            fill, text = "#0072B2", fmt_count(row["amount"])
        parts.append(
            f'<text x="{label_w - 12}" y="{top + 24}" class="label" text-anchor="end">'
            f"{esc(row['label'])}</text>"
            f'<rect x="{label_w}" y="{top + 6}" width="{max(length, 2):.1f}" height="26" rx="3" '
            f'fill="{fill}"/>'
            f'<text x="{label_w + max(length, 2) + 8:.1f}" y="{top + 24}" class="value">'
            f"{esc(text)}</text>"
            f'<text x="{width - rate_w + 10}" y="{top + 24}" class="rate">'
            f"{esc(_step_rate(row))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def pacing_bar(used_pct: float | None, scale_max: float, width: int = 260) -> str:
    """Spend as a share of budget; the dark tick marks 100 % of the budget."""
    height = 18
    if used_pct is None:
        return f'<span class="muted">{UNDEFINED} no budget</span>'
    fraction = min(used_pct, scale_max) / scale_max
    colour = "#C0392B" if used_pct > 100 else "#E69F00" if used_pct >= 80 else "#009E73"
    budget_x = width * 100 / scale_max
    return (
        f'<svg class="pacing" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<rect x="0" y="3" width="{width}" height="12" rx="2" fill="#eef1f5"/>'
        f'<rect x="0" y="3" width="{width * fraction:.1f}" height="12" rx="2" fill="{colour}"/>'
        f'<line x1="{budget_x:.1f}" x2="{budget_x:.1f}" y1="0" y2="{height}" '
        'stroke="#1f2933" stroke-width="2"/></svg>'
    )


def variant_chart(row: dict[str, Any], scale_max: float, width: int = 320) -> str:
    """One variant's reply rate as a bar, its Wilson interval as a whisker over it."""
    height = 22
    if row["reply_rate"] is None:
        return f'<span class="muted">{UNDEFINED} nothing sent</span>'

    def x(value: float | None) -> float:
        return width * min(float(value or 0), scale_max) / scale_max

    colour = "#7f7f7f" if row["is_control"] else "#0072B2"
    lower, upper = x(row["reply_rate_ci_lower"]), x(row["reply_rate_ci_upper"])
    return (
        f'<svg class="variant" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="reply rate '
        f'{esc(percent(row["reply_rate"]))}">'
        f'<rect x="0" y="5" width="{width}" height="12" rx="2" fill="#eef1f5"/>'
        f'<rect x="0" y="5" width="{x(row["reply_rate"]):.1f}" height="12" rx="2" '
        f'fill="{colour}"/>'
        f'<line x1="{lower:.1f}" x2="{upper:.1f}" y1="11" y2="11" stroke="#1f2933" '
        'stroke-width="2"/>'
        f'<line x1="{lower:.1f}" x2="{lower:.1f}" y1="6" y2="16" stroke="#1f2933"/>'
        f'<line x1="{upper:.1f}" x2="{upper:.1f}" y1="6" y2="16" stroke="#1f2933"/></svg>'
    )


def variants_section(rows: list[dict[str, Any]]) -> str:
    """Per campaign with an A/B test, a chart per variant and its verdict."""
    if not rows:
        return '<p class="muted">No campaign has variants yet.</p>'
    campaigns: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        campaigns.setdefault(row["campaign_id"], []).append(row)
    parts = []
    for variants in campaigns.values():
        scale_max = max(float(v["reply_rate_ci_upper"] or 0) for v in variants) or 1.0
        body = "".join(
            f"<tr><td>{esc(v['variant'])}{' (control)' if v['is_control'] else ''}</td>"
            f'<td class="num">{fmt_count(v["emails_sent"])}</td>'
            f'<td class="num">{fmt_count(v["emails_replied"])}</td>'
            f"<td>{variant_chart(v, scale_max)} {esc(percent(v['reply_rate']))}</td>"
            f'<td class="num">{esc(dollars(v["cost_per_reply_usd"]))}</td>'
            f"<td>{esc(v['verdict'] or 'control')}</td></tr>"
            for v in variants
        )
        parts.append(
            f"<h3>{esc(variants[0]['campaign_name'])}</h3>"
            '<table class="variants"><thead><tr><th>variant</th><th>sent</th><th>replies</th>'
            "<th>reply rate (bar) and its interval (whisker)</th><th>cost / reply</th>"
            f"<th>verdict</th></tr></thead><tbody>{body}</tbody></table>"
        )
    return "".join(parts)


# ------------------------------------------------------------------------------ sections


def not_current_notice(failing: Mapping[str, str], campaigns: list[dict[str, Any]]) -> str:
    """Campaigns whose figures could not be brought up to date, named with the reason (the
    page shows their figures as of before the write that failed)."""
    if not failing:
        return ""
    names = {c["campaign_id"]: c["campaign_name"] for c in campaigns}
    items = "".join(
        f"<li><strong>{esc(names.get(cid, cid))}</strong> ({esc(cid)}): {esc(reason)}</li>"
        for cid, reason in sorted(failing.items())
    )
    return (
        '<section id="not-current" class="notice"><h2>Figures not current</h2>'
        '<p class="sub">These campaigns\' newest events could not be brought into their '
        f"figures; what the page shows for them is from before.</p><ul>{items}</ul></section>"
    )


def kpi_section(p: dict[str, Any]) -> str:
    cards = [
        (
            "Active campaigns",
            fmt_count(p["active_campaigns"]),
            f"of {fmt_count(p['total_campaigns'])} deployed · {fmt_count(p['paused_campaigns'])}"
            f" paused · {fmt_count(p['stopped_campaigns'])} stopped",
        ),
        (
            "Total spend",
            dollars(p["cost_usd"]),
            f"of {dollars(p['budget_usd'])} total budget",
        ),
        (
            "Total revenue",
            dollars(p["revenue_usd"]),
            f"profit {dollars(p['profit_usd'])}",
        ),
        ("ROI", percent(p["roi"]), f"cost per lead {dollars(p['cost_per_lead'])}"),
    ]
    items = "".join(
        f'<div class="kpi"><div class="kpi-label">{esc(label)}</div>'
        f'<div class="kpi-value">{esc(value)}</div><div class="kpi-sub">{esc(sub)}</div></div>'
        for label, value, sub in cards
    )
    return f'<div class="kpis">{items}</div>'


def flag_evidence(flag: dict[str, Any]) -> str:
    """A rate rule's sample and interval ('n=100 · 90% CI 1.2-7.3% · not significant'), and
    the cooldown or automatic action, under the flag."""
    parts = []
    if flag["sample_size"] is not None:
        parts.append(
            f"n={fmt_count(flag['sample_size'])} · {flag['confidence']:g}% CI "
            f"{flag['ci_lower']:.1f}-{flag['ci_upper']:.1f}% · "
            + ("significant" if flag["is_significant"] else "not significant")
        )
    if flag["is_in_cooldown"]:
        parts.append("cooldown after resume")
    elif flag["acts_automatically"]:
        parts.append("pauses automatically")
    return "".join(f'<small class="evidence">{esc(part)}</small>' for part in parts)


def campaign_table(campaigns: list[dict[str, Any]], flags: dict[str, list[dict]]) -> str:
    head = (
        "<tr><th>Campaign</th><th>Status</th><th class='num'>Spend</th>"
        "<th class='num'>Revenue</th><th class='num'>ROI</th><th class='num'>Leads</th>"
        "<th class='num'>Qualified</th><th class='num'>Reply rate</th>"
        "<th class='num' title='Human opens / delivered; adjusted: over delivered minus "
        "machine-only opens (SendGrid events)'>Human opens<br><small>adjusted</small></th>"
        "<th class='num'>CPL</th>"
        "<th>Priority</th><th>Optimization flags</th></tr>"
    )
    body = []
    for c in campaigns:
        fired = flags.get(c["campaign_id"], [])
        flag_html = (
            "".join(
                f'<span class="flag {SEVERITY_CLASS.get(f["severity"], "sev-other")}" '
                f'title="{esc(f["action"])}">{esc(f["issue"])} '
                f"<small>({esc(f['severity'])})</small>{flag_evidence(f)}</span>"
                for f in fired
            )
            or f'<span class="muted">{UNDEFINED}</span>'
        )
        roi_class = "" if c["roi"] is None else " neg" if c["roi"] < 0 else " pos"
        body.append(
            "<tr>"
            f'<td><div class="name">{esc(c["campaign_name"])}</div>'
            f'<div class="muted">{esc(c["vertical"])} · {esc(c["location"])}</div></td>'
            f'<td><span class="status st-{esc(c["status"])}">{esc(c["status"])}</span></td>'
            f'<td class="num">{esc(dollars(c["cost_usd"]))}</td>'
            f'<td class="num">{esc(dollars(c["revenue_usd"]))}</td>'
            f'<td class="num{roi_class}">{esc(percent(c["roi"]))}</td>'
            f'<td class="num">{esc(fmt_count(c["leads_found"]))}</td>'
            f'<td class="num">{esc(percent(c["qualification_rate"]))}</td>'
            f'<td class="num">{esc(percent(c["reply_rate"]))}</td>'
            f'<td class="num">{esc(percent(c["human_open_rate"]))}<br>'
            f"<small>{esc(percent(c['adjusted_open_rate']))}</small></td>"
            f'<td class="num">{esc(dollars(c["cost_per_lead"]))}</td>'
            f'<td><span class="priority {PRIORITY_CLASS.get(c["priority"], "sev-low")}">'
            f"{esc(c['priority'])}</span></td>"
            f'<td class="flags">{flag_html}</td>'
            "</tr>"
        )
    if not body:
        body.append('<tr><td colspan="12" class="muted">No campaign deployed yet.</td></tr>')
    return (
        f'<table class="campaigns" id="campaign-table"><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def pacing_table(rows: list[dict[str, Any]], with_projection: bool) -> str:
    used = [float(r["budget_used_pct"]) for r in rows if r["budget_used_pct"] is not None]
    scale_max = min(max([100.0, *used]), 200.0)
    extra_head = (
        "<th class='num'>Burn rate / day</th><th>Runs out on</th><th>Planned end</th><th>Alert</th>"
        if with_projection
        else ""
    )
    head = (
        "<tr><th>Campaign</th><th>Status</th><th>Spend vs budget</th>"
        "<th class='num'>Spend</th><th class='num'>Budget</th><th class='num'>Used</th>"
        f"<th class='num'>Remaining</th>{extra_head}</tr>"
    )
    body = []
    for r in rows:
        pct = None if r["budget_used_pct"] is None else float(r["budget_used_pct"])
        extra = ""
        if with_projection:
            burn = r["burn_rate_usd_per_day"]
            alert = (
                '<span class="flag sev-high" title="the budget will be exceeded before the '
                'campaign ends">runs out before end</span>'
                if r["will_exceed_budget_before_end"]
                else f'<span class="muted">{UNDEFINED}</span>'
            )
            extra = (
                f'<td class="num">{esc(dollars(burn))}</td>'
                f"<td>{esc(fmt_date(r['projected_budget_exhausted_on']))}</td>"
                f"<td>{esc(fmt_date(r['planned_end_on']))}</td><td>{alert}</td>"
            )
        over = " neg" if pct is not None and pct > 100 else ""
        body.append(
            "<tr>"
            f'<td class="name">{esc(r["campaign_name"])}</td>'
            f'<td><span class="status st-{esc(r["status"])}">{esc(r["status"])}</span></td>'
            f"<td>{pacing_bar(pct, scale_max, 150 if with_projection else 260)}</td>"
            f'<td class="num">{esc(dollars(r["cost_usd"]))}</td>'
            f'<td class="num">{esc(dollars(r["budget_usd"]))}</td>'
            f'<td class="num{over}">{esc(percent(r["budget_used_pct"]))}</td>'
            f'<td class="num{over}">{esc(dollars(r["budget_remaining_usd"]))}</td>'
            f"{extra}</tr>"
        )
    if not body:
        body.append('<tr><td colspan="7" class="muted">No campaign deployed yet.</td></tr>')
    note = (
        ""
        if with_projection
        else '<p class="note">Burn rate and projected run-out date appear once the warehouse '
        "has <code>marts.campaign_budget_pacing</code>.</p>"
    )
    legend = (
        '<p class="sub">Bar: spend as a share of budget (green under 80%, amber 80 to 100%, red '
        "over budget); the dark tick marks 100% of the budget.</p>"
    )
    return (
        f'{legend}<table class="pacing-table" id="pacing-table"><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


CSS = """
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f9; color: #1f2933;
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 48px; }
header { display: flex; justify-content: space-between; align-items: baseline; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 10px; }
.generated { color: #52606d; font-size: 13px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px;
  padding: 16px 20px; margin-top: 18px; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin-top: 16px; }
.kpi { background: #fff; border: 1px solid #dde3ea; border-radius: 8px; padding: 14px 18px;
  border-top: 4px solid #0072B2; }
.kpi-label { color: #52606d; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.kpi-value { font-size: 30px; font-weight: 700; margin: 2px 0; font-variant-numeric: tabular-nums; }
.kpi-sub { color: #52606d; font-size: 13px; }
.chart { display: block; max-width: 100%; height: auto; }
.chart .grid { stroke: #e4e8ee; stroke-width: 1; }
.chart .axis-line { stroke: #9aa5b1; stroke-width: 1; }
.chart text { font: 12px -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #52606d; }
.chart .label { font-size: 14px; fill: #1f2933; font-weight: 600; }
.chart .value { font-size: 14px; fill: #1f2933; font-weight: 700; }
.chart .rate { font-size: 13px; fill: #52606d; }
.chart .bar-total { font-size: 12px; fill: #1f2933; font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 18px; margin-top: 8px; font-size: 13px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; }
.swatch { width: 12px; height: 12px; border-radius: 2px; display: inline-block; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: #52606d; font-weight: 600; border-bottom: 2px solid #dde3ea;
  padding: 6px 8px; white-space: nowrap; }
td { border-bottom: 1px solid #edf0f4; padding: 7px 8px; vertical-align: top; }
tbody tr:nth-child(even) { background: #fafbfc; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.neg { color: #C0392B; } .pos { color: #1e7b4f; }
.name { font-weight: 600; }
.muted { color: #7b8794; font-size: 12px; }
.sub { color: #52606d; font-size: 13px; margin: -4px 0 10px; }
.note { color: #7b5e00; background: #fff8e1; border: 1px solid #f3de9b; border-radius: 6px;
  padding: 8px 12px; margin: 8px 0 0; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
  background: #e4e8ee; }
.st-active { background: #d9f2e6; color: #1e7b4f; }
.st-paused { background: #fff1d6; color: #8a5a00; }
.st-stopped { background: #e4e8ee; color: #52606d; }
.st-deployed { background: #dcebf7; color: #0b4f80; }
.priority, .flag { display: inline-block; padding: 1px 7px; border-radius: 4px; font-size: 12px;
  font-weight: 600; margin: 0 4px 3px 0; white-space: nowrap; }
.sev-critical { background: #C0392B; color: #fff; }
.sev-high { background: #fde2d8; color: #9c2f12; }
.sev-medium { background: #fff1d6; color: #8a5a00; }
.sev-low { background: #e4e8ee; color: #52606d; }
.sev-other { background: #d9f2e6; color: #1e7b4f; }
.flag small { font-weight: 400; }
#campaign-table td:first-child { min-width: 180px; }
#campaign-table td.flags { max-width: 300px; }
td.flags .flag { white-space: normal; }
td.flags .evidence { display: block; color: #555; }
.pacing { vertical-align: middle; }
code { background: #f0f2f5; padding: 0 4px; border-radius: 3px; }
"""


def render_dashboard(dds: DDSIntegration) -> str:
    """The whole page as one HTML string (UTF-8, no external reference)."""
    with dds.read() as conn:
        data = load_data(conn)
    failing = dds.failing_campaigns
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>DDS campaign dashboard</title>"
        f"<style>{CSS}</style></head><body><main>"
        "<header><div><h1>DDS campaign dashboard</h1>"
        '<div class="generated">Sales prospecting campaigns: spend, results and what to act '
        "on</div></div>"
        f'<div class="generated">Generated at <time id="generated-at">{esc(generated)}</time>'
        "</div></header>"
        f"{not_current_notice(failing, data['campaigns'])}"
        f'<div id="kpis">{kpi_section(data["portfolio"])}</div>'
        '<section id="daily-spend"><h2>Spend by provider per day</h2>'
        f"{daily_spend_chart(data['daily_spend'])}</section>"
        '<section id="funnel"><h2>Lead funnel (all campaigns)</h2>'
        '<p class="sub">Counts are the latest cumulative figures of every campaign; the right '
        "column is each step's conversion from the step before.</p>"
        f"{funnel_chart(data['funnel'])}</section>"
        '<section id="campaigns"><h2>Campaigns and optimization flags</h2>'
        '<p class="sub">Sorted by priority. Rates and CPL are undefined (—) until there is '
        "something to divide by.</p>"
        f"{campaign_table(data['campaigns'], data['flags'])}</section>"
        '<section id="pacing"><h2>Budget pacing</h2>'
        f"{pacing_table(data['pacing'], data['has_pacing_projection'])}</section>"
        '<section id="variants"><h2>A/B tests</h2>'
        '<p class="sub">Each variant against its campaign\'s control, with an always-valid '
        "test: the verdict may be read as often as wanted.</p>"
        f"{variants_section(data['variants'])}</section>"
        "</main></body></html>\n"
    )


def write_dashboard(dds: DDSIntegration, out_path: str | Path) -> Path:
    """Render the page and write it to out_path (parent folders created); returns the path."""
    path = Path(out_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_dashboard(dds), encoding="utf-8")
    return path
