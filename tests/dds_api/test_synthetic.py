"""The synthetic generator: deterministic, shaped like real events, readable by the facade."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from click.testing import CliRunner

from dds_api.apps.cli import main
from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import DEFAULT_NOW, generate
from tests.conftest import make_dds

RAW_TABLES = ("campaign_events", "cost_events", "result_snapshots")


def _rows(dds: DDSIntegration, table: str) -> list[tuple[object, ...]]:
    # seq comes from the warehouse's sequence, not from the generator: compare the rest
    with dds.warehouse.connect() as conn:
        columns = [
            name
            for (name,) in conn.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? and column_name <> 'seq' "
                "order by ordinal_position",
                [table],
            ).fetchall()
        ]
        return conn.execute(
            f"select {', '.join(columns)} from raw.{table} order by {columns[0]}"
        ).fetchall()


@pytest.fixture
def second_warehouse(new_warehouse: Callable[[], str]) -> str:
    return new_warehouse()


def test_the_same_seed_gives_the_same_rows(dds: DDSIntegration, second_warehouse: str) -> None:
    first = generate(dds, campaigns=25, cost_events=3000, seed=7)
    other = make_dds(second_warehouse)
    try:
        second = generate(other, campaigns=25, cost_events=3000, seed=7)
        assert first.cost_events == second.cost_events == 3000
        for table in RAW_TABLES:
            assert _rows(dds, table) == _rows(other, table), table
    finally:
        other.close()


def test_another_seed_gives_other_rows(dds: DDSIntegration, second_warehouse: str) -> None:
    generate(dds, campaigns=10, cost_events=500, seed=1)
    other = make_dds(second_warehouse)
    try:
        generate(other, campaigns=10, cost_events=500, seed=2)
        assert _rows(dds, "cost_events") != _rows(other, "cost_events")
    finally:
        other.close()


def test_events_are_consistent_with_their_campaigns(dds: DDSIntegration) -> None:
    summary = generate(dds, campaigns=40, cost_events=5000, seed=3)
    assert summary.campaigns == 40 and summary.cost_events == 5000
    with dds.read() as conn:
        [(campaigns, verticals, statuses)] = conn.execute(
            "select count(*), count(distinct vertical), count(distinct status) from marts.campaigns"
        ).fetchall()
        # every cost after its campaign was started, none in the future
        [(orphans, early, late)] = conn.execute(
            """
            with starts as (
                select campaign_id, min(occurred_at) as started_at
                from raw.campaign_events where event_type = 'started' group by campaign_id
            )
            select
                count(*) filter (where starts.campaign_id is null),
                count(*) filter (where costs.occurred_at < starts.started_at),
                count(*) filter (where costs.occurred_at > ?)
            from raw.cost_events as costs
            left join starts on costs.campaign_id = starts.campaign_id
            """,
            [DEFAULT_NOW],
        ).fetchall()
        # Anthropic amounts are the tokens at the price list's rates for the model
        [(mispriced, token_events)] = conn.execute(
            """
            with rates as (
                select item, unit, price_usd / per_quantity as rate
                from reference.provider_prices where provider = 'anthropic'
            )
            select
                count(*) filter (where abs(costs.cost_usd - (
                    costs.input_tokens * input_rate.rate
                    + costs.output_tokens * output_rate.rate)) > 0.000001),
                count(*)
            from raw.cost_events as costs
            inner join rates as input_rate
                on input_rate.item = costs.model and input_rate.unit = 'input_token'
            inner join rates as output_rate
                on output_rate.item = costs.model and output_rate.unit = 'output_token'
            where costs.provider = 'anthropic'
            """
        ).fetchall()
        providers = {
            p for (p,) in conn.execute("select distinct provider from raw.cost_events").fetchall()
        }
    assert campaigns == 40 and verticals > 5 and statuses >= 3
    assert (orphans, early, late) == (0, 0, 0)
    assert token_events > 0 and mispriced == 0
    assert providers == {"outscraper", "anthropic", "hunter_io", "sendgrid"}


def test_spend_follows_the_plan_not_the_number_of_events(
    dds: DDSIntegration, second_warehouse: str
) -> None:
    generate(dds, campaigns=30, cost_events=2000, seed=5)
    other = make_dds(second_warehouse)
    try:
        generate(other, campaigns=30, cost_events=20000, seed=5)
        coarse = dds.get_all_campaigns_report()["summary"]["total_cost"]
        fine = other.get_all_campaigns_report()["summary"]["total_cost"]
    finally:
        other.close()
    assert coarse > 0
    assert abs(fine - coarse) / coarse < 0.05


def test_the_facade_reads_synthetic_campaigns(dds: DDSIntegration) -> None:
    generate(dds, campaigns=20, seed=11)
    report = dds.get_all_campaigns_report()
    assert report["summary"]["total_campaigns"] == 20
    spent = next(row for row in report["campaigns"] if row["total_cost"] > 0)
    metrics = dds.calculate_lead_metrics(spent["campaign_id"])
    with dds.warehouse.connect() as conn:
        [(raw_total,)] = conn.execute(
            "select sum(cost_usd) from raw.cost_events where campaign_id = ?",
            [spent["campaign_id"]],
        ).fetchall()
    assert Decimal(str(metrics["total_cost"])) == raw_total
    optimization = dds.optimize_all_campaigns(dry_run=True)
    assert optimization["total_campaigns_analyzed"] > 0


def test_demo_generates_synthetic_campaigns(
    warehouse_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DDS_WAREHOUSE", warehouse_address)
    result = CliRunner().invoke(main, ["demo", "--campaigns", "12", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Generated 12 synthetic campaigns" in result.output
    assert "PASS=" in result.output
