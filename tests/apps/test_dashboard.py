"""The HTML dashboard: rendered from a real warehouse, opened in headless Chromium.

Chromium is required (CI installs Debian's `chromium`); without it these tests fail, they do
not skip. Expected figures are queried from the marts and formatted here, independently of
the dashboard's own formatting helpers; a couple of known demo figures are hard-coded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from dds_api.apps import dashboard
from dds_api.apps.dashboard import render_dashboard, write_dashboard
from dds_api.facade import DDSIntegration
from dds_api.formatting import fetch_dict, fetch_dicts
from dds_api.samples.demo import SPEC_EXAMPLE_CONFIG, load_sample
from dds_api.samples.synthetic import plant_variants

CHROMIUM_INSTALL = "apt-get update && apt-get install -y chromium"
HOSTILE_NAME = "<script>alert(1)</script>"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


# ------------------------------------------------------------------------------- helpers


def chromium() -> str:
    for name in (os.environ.get("DDS_CHROMIUM"), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    pytest.fail(
        "headless Chromium is required for the dashboard tests and was not found on PATH "
        f"(looked for $DDS_CHROMIUM, chromium, chromium-browser). Install it: {CHROMIUM_INSTALL}",
        pytrace=False,
    )


def run_chromium(page: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
        page.resolve().as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result


def dump_dom(page: Path, tmp_path: Path) -> str:
    dom = run_chromium(page, tmp_path, "--dump-dom").stdout
    assert "</html>" in dom, f"chromium printed no DOM: {dom[:500]!r}"
    return dom


def money(value: Any) -> str:
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def pct(value: Any) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,.1f}%"


class TableRows(HTMLParser):
    """The text of each cell of each body row of the table with the given id."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.inside, self.in_body = table_id, False, False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if self.in_body and tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join(" ".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.inside:
            self.inside = self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None and data.strip():
            self.cell.append(data.strip())


def table_rows(dom: str, table_id: str) -> list[list[str]]:
    parser = TableRows(table_id)
    parser.feed(dom)
    assert parser.rows, f"no rows in table #{table_id}"
    return parser.rows


def relation_exists(dds: DDSIntegration, name: str) -> bool:
    with dds.warehouse.connect() as conn:
        row = conn.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'marts' "
            "and table_name = ?",
            [name],
        ).fetchone()
    return bool(row and row[0])


# --------------------------------------------------------------------------------- tests


def test_chromium_shows_the_marts_figures_and_screenshots(
    dds: DDSIntegration, tmp_path: Path
) -> None:
    load_sample(dds)
    page = write_dashboard(dds, tmp_path / "out" / "dashboard.html")
    assert page == tmp_path / "out" / "dashboard.html"
    assert page.is_file()

    with dds.read() as conn:
        portfolio = fetch_dict(conn, "select * from marts.portfolio_summary")
        campaigns = fetch_dicts(
            conn,
            "select m.*, o.priority from marts.campaign_metrics as m "
            "join marts.campaign_optimization as o using (campaign_id)",
        )
        flags = fetch_dicts(
            conn, "select campaign_id, issue from marts.campaign_optimization_flags"
        )
    assert portfolio is not None and len(campaigns) == 8

    dom = dump_dom(page, tmp_path)

    # the demo's known totals, hard-coded, and the same figures as the mart has them
    assert "$118.66" in dom
    assert "$18,500.00" in dom
    kpis = re.findall(r'class="kpi-value">([^<]*)<', dom)
    assert kpis == [
        str(portfolio["active_campaigns"]),
        money(portfolio["cost_usd"]),
        money(portfolio["revenue_usd"]),
        pct(portfolio["roi"]),
    ]
    assert re.search(r"Generated at .*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", dom)

    # the funnel: every count of the portfolio, and revenue
    funnel = dom[dom.index('id="funnel"') : dom.index('id="campaigns"')]
    for column in ("found", "qualified"):
        assert f">{portfolio[f'leads_{column}']:,}<" in funnel
    for column in ("sent", "opened", "replied"):
        assert f">{portfolio[f'emails_{column}']:,}<" in funnel
    assert f">{money(portfolio['revenue_usd'])}<" in funnel
    assert "36.4% of found" in funnel  # 168 / 462

    # the campaign table: one row per campaign with the mart's figures, priority and flags
    rows = {row[0]: row for row in table_rows(dom, "campaign-table")}
    assert len(rows) == len(campaigns)
    for campaign in campaigns:
        [row] = [r for name, r in rows.items() if name.startswith(campaign["campaign_name"])]
        assert row[1] == campaign["status"]
        assert row[2] == money(campaign["cost_usd"])
        assert row[3] == money(campaign["revenue_usd"])
        assert row[4] == pct(campaign["roi"])  # — where the mart's ROI is null
        assert row[5] == str(campaign["leads_found"])
        assert row[6] == pct(campaign["qualification_rate"])
        assert row[7] == pct(campaign["reply_rate"])
        # row[8]: human and adjusted open rates, from SendGrid events (none in the sample)
        assert row[8] == "— —"
        assert row[10] == campaign["priority"]
        fired = [f["issue"] for f in flags if f["campaign_id"] == campaign["campaign_id"]]
        assert all(issue in row[11] for issue in fired)
        if fired:
            assert row[11].count("(") == len(fired)  # each flag shows "(severity)"
        else:
            assert row[11] == "—"
    assert rows["Dentists Austin Q1 dentists · Austin, TX"][10] == "LOW"
    assert next(r for n, r in rows.items() if n.startswith("Plumbers Denver"))[10] == "CRITICAL"
    hvac = next(r for n, r in rows.items() if n.startswith("HVAC Seattle"))
    assert hvac[4] == hvac[6] == hvac[7] == hvac[9] == "—"  # nothing to divide by

    # budget pacing: spend, budget and share used per campaign
    pacing = {row[0]: row for row in table_rows(dom, "pacing-table")}
    for campaign in campaigns:
        row = pacing[campaign["campaign_name"]]
        assert row[3:6] == [
            money(campaign["cost_usd"]),
            money(campaign["budget_usd"]),
            pct(campaign["budget_used_pct"]),
        ]
    assert pacing["Med Spas LA"][5] == "121.0%"
    assert ("Burn rate / day" in dom) == relation_exists(dds, "campaign_budget_pacing")

    # spend by provider: the mart's providers, or a note while the mart does not exist
    if relation_exists(dds, "provider_daily_spend"):
        with dds.read() as conn:
            providers = fetch_dicts(
                conn,
                "select provider, sum(cost_usd) as cost_usd from marts.provider_daily_spend "
                "group by provider",
            )
        assert providers
        for provider in providers:
            assert f"{provider['provider']} <b>{money(provider['cost_usd'])}</b>" in dom
    else:
        assert "No daily spend data" in dom

    # the screenshot a person looks at (copied to $DDS_SCREENSHOT_DIR when set, e.g. in CI)
    screenshot = tmp_path / "dashboard.png"
    run_chromium(page, tmp_path, f"--screenshot={screenshot}", "--window-size=1280,2000")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 10_000
    if target := os.environ.get("DDS_SCREENSHOT_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(target) / "dashboard.png")


def test_page_needs_no_network(dds: DDSIntegration) -> None:
    load_sample(dds)
    page = render_dashboard(dds)
    urls = re.findall(r"https?://[^\s\"'<>)]*", page)
    assert set(urls) <= {SVG_NAMESPACE}, urls
    lowered = page.lower()
    for reference in ("<script", "<link", "<img", "<iframe", " src=", "url(", "@import"):
        assert reference not in lowered, reference
    assert lowered.count("<svg") >= 2  # the funnel and the pacing bars are inline SVG


def test_campaign_names_are_escaped(dds: DDSIntegration, tmp_path: Path) -> None:
    deployed = dds.deploy_campaign(
        {
            "vertical": "dentists",
            "location": 'Austin, "TX" & <b>co</b>',
            "prospect_count": 10,
            "budget": 50,
            "campaign_name": HOSTILE_NAME,
        }
    )
    assert deployed["status"] == "deployed", deployed
    page = write_dashboard(dds, tmp_path / "dashboard.html")
    source = page.read_text(encoding="utf-8")
    assert HOSTILE_NAME not in source
    assert "<script" not in source.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "<b>co</b>" not in source

    dom = dump_dom(page, tmp_path)
    assert "<script" not in dom.lower()  # no element was created from the name
    [row] = table_rows(dom, "campaign-table")
    assert row[0] == f'{HOSTILE_NAME} dentists · Austin, "TX" & <b>co</b>'
    [pacing] = table_rows(dom, "pacing-table")
    assert pacing[0] == HOSTILE_NAME


def test_empty_warehouse_shows_dashes_for_undefined_ratios(dds: DDSIntegration) -> None:
    page = render_dashboard(dds)
    kpis = re.findall(r'class="kpi-value">([^<]*)<', page)
    assert kpis == ["0", "$0.00", "$0.00", "—"]  # ROI is undefined without spend
    assert "No campaign deployed yet." in page
    assert "— emails per qualified lead" in page


def test_daily_spend_chart_stacks_providers_per_day(dds: DDSIntegration) -> None:
    """The chart's query and drawing on a table of the mart's shape, in a scratch schema."""
    with dds.warehouse.connect() as conn:
        conn.execute("create schema scratch")
        conn.execute(
            """
            create table scratch.provider_daily_spend as
            select * from (values
                ('a', date '2026-01-01', 'hunter_io', 10.00::decimal(18, 6), 1),
                ('b', date '2026-01-01', 'outscraper', 2.50::decimal(18, 6), 2),
                ('c', date '2026-01-02', 'hunter_io', 5.25::decimal(18, 6), 1),
                ('d', date '2026-01-03', '<i>odd</i>', 1.00::decimal(18, 6), 1)
            ) as t(provider_daily_spend_id, day_on, provider, cost_usd, cost_event_count)
            """
        )
        rows = fetch_dicts(
            conn,
            dashboard.DAILY_SPEND_SQL.replace(
                "marts.provider_daily_spend", "scratch.provider_daily_spend"
            ),
        )
    chart = dashboard.daily_spend_chart(rows)
    assert chart.count("<rect") == 4  # one segment per day and provider
    assert "hunter_io <b>$15.25</b>" in chart  # provider totals in the legend
    assert "outscraper <b>$2.50</b>" in chart
    assert "&lt;i&gt;odd&lt;/i&gt; <b>$1.00</b>" in chart
    assert ">$12.50<" in chart  # the day's stacked total above its bar
    assert "2026-01-01 to 2026-01-03 · 3 days with spend" in chart
    assert "No daily spend data" in dashboard.daily_spend_chart(None)


def test_pacing_shows_burn_rate_and_run_out_date_when_the_mart_has_them(
    dds: DDSIntegration,
) -> None:
    """The projection columns, on a table of campaign_budget_pacing's shape (scratch schema)."""
    deployed = dds.deploy_campaign(
        {"vertical": "dentists", "location": "Austin, TX", "prospect_count": 10, "budget": 40}
    )
    assert deployed["status"] == "deployed", deployed
    cost = {"operation": "prospecting", "provider": "outscraper", "cost": 30}
    assert dds.log_dds_costs(deployed["campaign_id"], cost)["status"] == "logged"
    with dds.read() as conn:
        conn.execute("create schema scratch")
        conn.execute(
            "create table scratch.campaign_budget_pacing as select ? as campaign_id, "
            "12.5::decimal(18, 6) as burn_rate_usd_per_day, "
            "date '2026-02-01' as projected_budget_exhausted_on, "
            "date '2026-03-01' as planned_end_on, true as will_exceed_budget_before_end",
            [deployed["campaign_id"]],
        )
        rows = fetch_dicts(
            conn,
            dashboard.PACING_WITH_PROJECTION_SQL.replace(
                "marts.campaign_budget_pacing", "scratch.campaign_budget_pacing"
            ),
        )
    table = dashboard.pacing_table(rows, with_projection=True)
    [row] = table_rows(table, "pacing-table")
    assert row[0] == "Dentists Austin, TX"
    assert row[3:] == [
        "$30.00",
        "$40.00",
        "75.0%",
        "$10.00",
        "$12.50",
        "2026-02-01",
        "2026-03-01",
        "runs out before end",
    ]
    assert "Burn rate / day" in table
    assert "Burn rate / day" not in dashboard.pacing_table(rows, with_projection=False)


def test_a_chart_per_variant_with_its_verdict(dds: DDSIntegration) -> None:
    page = render_dashboard(dds)
    assert "No campaign has variants yet." in page
    deployed = dds.deploy_campaign({**SPEC_EXAMPLE_CONFIG, "campaign_name": "A/B <test>"})
    cid = deployed["campaign_id"]
    plant_variants(dds, cid, {"plain": 0.02, "personal": 0.2}, emails_per_variant=200, seed=3)
    page = render_dashboard(dds)
    section = page.split('<section id="variants">', 1)[1].split("</section>", 1)[0]
    assert "<h3>A/B &lt;test&gt;</h3>" in section
    assert section.count('<svg class="variant"') == 2
    assert "plain (control)" in section and ">winner<" in section
