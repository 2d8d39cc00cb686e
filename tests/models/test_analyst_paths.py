"""Every analyst path gives the same figures: raw events (hand-written SQL), the marts, the
compiled analyses and the facade (`dds report`), on a synthetic portfolio spread over weeks.
MetricFlow joins these comparisons in tests/models/test_readme_analysts.py (it needs `.mfvenv`).
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from dds_api.apps.cli import main
from dds_api.current_marts import build as dbt_build
from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import generate
from ingest.validation import utc_now
from tests.conftest import make_dds

# spend to date and revenue as of each week's end (Monday weeks, the last one ending on the
# as-of date), written from the raw tables alone: costs up to the week's end, and each
# campaign's revenue from its latest snapshot up to then that reported revenue
RAW_WEEKLY_SQL = """
with as_of as (
    select cast(timezone('UTC', current_timestamp) as date) as evaluated_on
),
first_day as (
    select min(cast(occurred_at as date)) as first_date from (
        select occurred_at from raw.campaign_events
        union all select occurred_at from raw.cost_events
        union all select occurred_at from raw.result_snapshots
    )
),
weeks as (
    select
        cast(week_start as date) as week_start,
        least(cast(week_start as date) + 6, evaluated_on) as week_end
    from as_of, first_day,
        range(date_trunc('week', first_date), evaluated_on + 1, interval 7 day) as t(week_start)
),
revenue_reports as (
    select
        campaign_id,
        cast(occurred_at as date) as reported_on,
        revenue_usd,
        row_number() over (partition by campaign_id order by occurred_at, seq) as report_order
    from raw.result_snapshots
    where revenue_usd is not null
)
select
    weeks.week_start,
    (select coalesce(sum(cost_usd), 0) from raw.cost_events
        where cast(occurred_at as date) <= weeks.week_end) as spend_to_date,
    (select coalesce(sum(revenue_usd), 0) from (
        select arg_max(revenue_usd, report_order) as revenue_usd
        from revenue_reports
        where reported_on <= weeks.week_end
        group by campaign_id
    )) as revenue
from weeks
order by week_start
"""

# the same from campaign_daily, read as MetricFlow reads a semi-additive measure: each
# campaign's last day in the week
MART_WEEKLY_SQL = """
select
    week_start,
    sum(cost_to_date_usd) as spend_to_date,
    sum(revenue_usd) as revenue
from (
    select
        *,
        cast(date_trunc('week', day_on) as date) as week_start,
        max(day_on) over (partition by campaign_id, date_trunc('week', day_on)) as last_day
    from marts.campaign_daily
)
where day_on = last_day
group by week_start
order by week_start
"""


@pytest.fixture(scope="module")
def portfolio(
    template_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DDSIntegration]:
    """40 synthetic campaigns over the last 60 days: active, paused and stopped ones, some
    quiet for weeks. Shared by this module's tests, which only read."""
    path = tmp_path_factory.mktemp("portfolio") / "dds.duckdb"
    shutil.copy(template_warehouse, path)
    dds = make_dds(path)
    generate(dds, campaigns=40, cost_events=3000, seed=17, now=utc_now() - timedelta(minutes=1))
    yield dds
    dds.close()


@pytest.fixture(scope="module")
def analyses(portfolio: DDSIntegration, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The analyses as `dbt compile` writes them, by name."""
    target = tmp_path_factory.mktemp("compiled") / "target"
    dbt_build.build(portfolio.warehouse, ("compile", "--target-path", str(target)))
    folder = target / "compiled" / "dds_analytics" / "analyses"
    return {path.stem: path.read_text() for path in folder.glob("*.sql")}


def query(dds: DDSIntegration, sql: str) -> list[tuple[Any, ...]]:
    with dds.read() as conn:
        return conn.execute(sql).fetchall()


def close(a: float | Decimal | None, b: float | Decimal | None) -> bool:
    """Equal up to the facade's float rounding (6 places, then summed)."""
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))


def test_each_weeks_portfolio_figures_equal_raw_and_the_latest_week_the_totals(
    portfolio: DDSIntegration,
) -> None:
    # one transaction: both queries see the same current date
    with portfolio.read() as conn:
        conn.execute("begin")
        raw = conn.execute(RAW_WEEKLY_SQL).fetchall()
        mart = conn.execute(MART_WEEKLY_SQL).fetchall()
        quiet = conn.execute(
            "select count(*) from marts.campaign_metrics where last_active_at < "
            "date_trunc('week', timezone('UTC', current_timestamp))"
        ).fetchone()[0]
        conn.execute("commit")
    assert len(raw) >= 8  # 60 days of history: the comparison spans weeks
    assert quiet > 0  # campaigns without events in the latest week count in it too
    assert mart == raw

    summary = portfolio.get_all_campaigns_report()["summary"]
    latest = raw[-1]
    assert close(latest[1], summary["total_cost"])
    assert close(latest[2], summary["total_revenue"])


def test_spend_by_provider_agrees_across_raw_marts_analyses_and_reports(
    portfolio: DDSIntegration, analyses: dict[str, str]
) -> None:
    def by_provider(sql: str) -> dict[str, Decimal]:
        return dict(query(portfolio, sql))

    raw = by_provider("select provider, sum(cost_usd) from raw.cost_events group by 1")
    assert len(raw) >= 3
    daily = by_provider("select provider, sum(cost_usd) from marts.provider_daily_spend group by 1")
    breakdown = by_provider(
        "select provider, sum(cost_usd) from marts.campaign_cost_breakdown group by 1"
    )
    weekly = by_provider(
        f"select provider, sum(cost_usd) from ({analyses['cost_by_provider_by_week']}) group by 1"
    )
    assert daily == raw
    assert breakdown == raw
    assert weekly == raw

    reported: dict[str, float] = defaultdict(float)
    for campaign in portfolio.get_all_campaigns_report()["campaigns"]:
        costs = portfolio.generate_campaign_report(campaign["campaign_id"], "costs")
        for provider, cost in costs["cost_breakdown"]["by_provider"].items():
            reported[provider] += cost
    assert set(reported) == set(raw)
    assert all(close(reported[p], raw[p]) for p in raw)


def test_spend_per_day_agrees_across_raw_marts_and_analyses(
    portfolio: DDSIntegration, analyses: dict[str, str]
) -> None:
    def by_day(sql: str) -> dict[Any, Decimal]:
        return dict(query(portfolio, sql))

    raw = by_day("select cast(occurred_at as date), sum(cost_usd) from raw.cost_events group by 1")
    assert len(raw) >= 20
    providers = by_day("select day_on, sum(cost_usd) from marts.provider_daily_spend group by 1")
    campaigns = by_day(
        "select day_on, sum(cost_usd) from marts.campaign_daily group by 1 "
        "having sum(cost_usd) <> 0"
    )
    assert providers == raw
    assert campaigns == raw

    raw_weekly = by_day(
        "select cast(date_trunc('week', occurred_at) as date), sum(cost_usd) "
        "from raw.cost_events group by 1"
    )
    analysis_weekly = by_day(
        f"select week_start, sum(cost_usd) from ({analyses['cost_by_provider_by_week']}) group by 1"
    )
    assert analysis_weekly == raw_weekly


def test_roi_and_cost_per_qualified_lead_agree_across_marts_analyses_and_dds_report(
    portfolio: DDSIntegration, analyses: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the marts, by vertical and by location: (revenue, cost, qualified leads)
    def totals(group: str) -> dict[str, tuple[Decimal, Decimal, int]]:
        rows = query(
            portfolio,
            f"select {group}, sum(revenue_usd), sum(cost_usd), sum(leads_qualified) "
            "from marts.campaign_metrics group by 1",
        )
        return {key: (revenue, cost, qualified) for key, revenue, cost, qualified in rows}

    def roi(revenue: Decimal, cost: Decimal) -> float | None:
        return None if cost == 0 else float(100 * (revenue - cost) / cost)

    def cpql(cost: Decimal, qualified: int) -> float | None:
        return None if qualified == 0 else float(cost / qualified)

    by_vertical, by_location = totals("vertical"), totals("location")
    assert len(by_vertical) >= 5

    funnel = {row[0]: row[1] for row in query(
        portfolio, f"select vertical, roi from ({analyses['funnel_by_vertical']})"
    )}  # fmt: skip
    assert set(funnel) == set(by_vertical)
    for vertical, (revenue, cost, _) in by_vertical.items():
        assert close(funnel[vertical], roi(revenue, cost)), vertical

    per_location = {row[0]: row[1] for row in query(
        portfolio,
        f"select location, cost_per_qualified_lead "
        f"from ({analyses['cost_per_qualified_lead_by_location']})",
    )}  # fmt: skip
    assert set(per_location) == set(by_location)
    for location, (_, cost, qualified) in by_location.items():
        assert close(per_location[location], cpql(cost, qualified)), location

    # `dds report --json`: the same figures from the facade's per-campaign rows
    monkeypatch.setenv("DDS_WAREHOUSE", str(portfolio.warehouse.path))
    portfolio.close()
    result = CliRunner().invoke(main, ["report", "--json"])
    assert result.exit_code == 0, result.output
    campaigns = json.loads(result.output)["campaigns"]
    for group, expected in (("vertical", by_vertical), ("location", by_location)):
        reported: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for campaign in campaigns:
            sums = reported[campaign[group]]
            sums[0] += campaign["revenue_generated"]
            sums[1] += campaign["total_cost"]
            sums[2] += campaign["leads_qualified"]
        assert set(reported) == set(expected)
        for key, (revenue, cost, qualified) in expected.items():
            rev, spent, qual = reported[key]
            assert close(rev, revenue) and close(spent, cost) and qual == qualified, key
            if cost:
                assert close(100 * (rev - spent) / spent, roi(revenue, cost)), key
            if qualified:
                assert close(spent / qual, cpql(cost, qualified)), key


def test_roi_is_rounded_where_it_is_computed(portfolio: DDSIntegration) -> None:
    """No -100.00000000000001: every ROI is rounded to 6 places in the marts, so a campaign
    without revenue shows exactly -100."""
    rows = query(portfolio, "select revenue_usd, cost_usd, roi from marts.campaign_metrics")
    losing = [roi for revenue, cost, roi in rows if revenue == 0 and cost > 0]
    assert len(losing) >= 3
    assert set(losing) == {-100.0}
    for view, column in (
        ("campaign_metrics", "roi"),
        ("campaign_daily", "roi_to_date"),
        ("portfolio_summary", "roi"),
        ("novaos_department_roi", "roi"),
    ):
        noisy = query(
            portfolio,
            f"select count(*) from marts.{view} where {column} <> round({column}, 6)",
        )[0][0]
        assert noisy == 0, view


def test_metricflow_roi_is_the_dds_roi_rule() -> None:
    """MetricFlow cannot call a dbt macro in a metric's expr, so the `roi` metric restates
    macros/dds_roi.sql over its input metrics: rendered, the macro and the metric's formula
    give the same value for every revenue and spend (zero and null spend included)."""
    import duckdb
    import jinja2
    import yaml

    repo = Path(__file__).resolve().parents[2]
    macros = "".join(
        (repo / "macros" / name).read_text()
        for name in (
            "safe_divide.sql",
            "dds_roi.sql",
            "cross_db/dds_divide.sql",
            "cross_db/dds_type_double.sql",
        )
    )

    @jinja2.pass_context
    def dispatch(context: Any, name: str, namespace: str | None = None) -> Any:
        """adapter.dispatch as dbt resolves it on DuckDB"""
        return context.get(f"duckdb__{name}") or context[f"default__{name}"]

    environment = jinja2.Environment()
    environment.globals["adapter"] = SimpleNamespace(dispatch=dispatch)
    environment.globals["return"] = lambda value: value  # the macro's whole output
    rule = environment.from_string(macros + "{{ dds_roi('revenue', 'spend_to_date') }}")
    semantic = yaml.safe_load((repo / "models/marts/semantic/_semantic_models.yml").read_text())
    [metric] = [m for m in semantic["metrics"] if m["name"] == "roi"]
    assert metric["type_params"]["metrics"] == ["revenue", "spend_to_date"]
    values = [None, "0", "0.01", "1", "2.5", "3333.34", "1000000.000001"]
    pairs = [(revenue, spend) for revenue in values for spend in values]
    with duckdb.connect() as conn:
        differing = conn.execute(
            f"""
            select revenue, spend_to_date,
                {rule.render().strip()} as by_macro,
                {metric["type_params"]["expr"]} as by_metric
            from (
                select cast(r as decimal(38, 6)) as revenue,
                    cast(s as decimal(38, 6)) as spend_to_date
                from unnest(?) as t(pair), lateral (select pair[1] as r, pair[2] as s)
            )
            where by_macro is distinct from by_metric
            """,
            [[list(pair) for pair in pairs]],
        ).fetchall()
        checked = conn.execute("select count(*) from unnest(?)", [pairs]).fetchone()
    assert checked == (len(pairs),)
    assert differing == []
