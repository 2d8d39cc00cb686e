"""Repricing with provenance, credit-aware pacing and reconciliation, on a real warehouse
with a real dbt build (issue 10, items 5 to 7).

A price row added with a past date reprices the events in its window into the backfill
column of the marts; the stored amounts never change. A provider credit pool that runs out
before a campaign's planned end says so in campaign_budget_pacing. The reconciliation data
tests pass on real activity and fail when raw and marts disagree."""

from __future__ import annotations

import json
import random
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dds_api.current_marts.build import DbtError, build
from dds_api.facade import DDSIntegration
from ingest.validation import utc_now
from tests.ingest.test_real_inputs import HAIKU_35, outreach_batch

HAIKU_3 = "claude-3-haiku-20240307"
HAIKU_45 = "claude-haiku-4-5-20251001"
MODELS = (
    "price_list_versions",
    "int_cost_events_repriced",
    "campaign_cost_repricing",
    "cost_repricing_changes",
)


def copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(
        Path(__file__).resolve().parents[2],
        project,
        ignore=shutil.ignore_patterns(".venv", ".git", "target", "logs", "*.duckdb", "tests"),
    )
    return project


def rows(dds: DDSIntegration, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with dds.read() as conn:
        cursor = conn.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def raw_costs(dds: DDSIntegration) -> list[tuple]:
    with dds.warehouse.connect() as conn:
        return conn.execute("select * from raw.cost_events order by seq").fetchall()


def log(dds: DDSIntegration, campaign_id: str, payload: dict[str, Any]) -> str:
    result = dds.log_dds_costs(campaign_id, payload)
    assert result["status"] == "logged", result
    return result["cost_id"]


@pytest.mark.slow(minutes=2)
def test_a_late_price_row_reprices_only_its_window_and_never_raw_amounts(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = {
        "operation": "lead_scoring",
        "provider": "anthropic",
        "model": HAIKU_35,
        "input_tokens": 1_000_000,
        "output_tokens": 100_000,
    }
    cached = {
        "operation": "lead_scoring",
        "provider": "anthropic",
        "model": HAIKU_35,
        "usage": {
            "input_tokens": 2095,
            "output_tokens": 503,
            "cache_creation_input_tokens": 2051,
            "cache_read_input_tokens": 10240,
        },
    }
    ids = {
        "before": log(dds, campaign_id, {**tokens, "occurred_at": "2025-05-31T23:59:59Z"}),
        "at_start": log(dds, campaign_id, {**tokens, "occurred_at": "2025-06-01T00:00:00Z"}),
        "cached": log(dds, campaign_id, {**cached, "occurred_at": "2025-08-01T12:00:00Z"}),
        "other_provider": log(
            dds,
            campaign_id,
            {
                "operation": "scraping",
                "provider": "outscraper",
                "units": 250,
                "occurred_at": "2025-06-10T00:00:00Z",
            },
        ),
        "other_model": log(
            dds, campaign_id, {**tokens, "model": HAIKU_3, "occurred_at": "2025-06-10T00:00:00Z"}
        ),
        "in_dollars": log(
            dds,
            campaign_id,
            {
                "operation": "lead_scoring",
                "provider": "anthropic",
                "model": HAIKU_35,
                "cost": 0.5,
                "occurred_at": "2025-06-10T00:00:00Z",
            },
        ),
    }
    # 2095 x 0.80 + 503 x 4.00 + 2051 x 1.00 + 10240 x 0.08 = 6558.2 micro-dollars
    stored = {
        "before": "1.200000",
        "at_start": "1.200000",
        "cached": "0.006558",
        "other_provider": "1.250000",
        "other_model": "0.375000",
        "in_dollars": "0.500000",
    }
    by_id = {row["cost_id"]: row for row in rows(dds, "select * from raw.cost_events")}
    assert {name: str(by_id[cid]["cost_usd"]) for name, cid in ids.items()} == stored
    raw_before = raw_costs(dds)

    # with the price list as it is, the backfill moves nothing
    assert rows(dds, "select * from marts.cost_repricing_changes") == []
    [campaign] = rows(dds, "select * from marts.campaign_cost_repricing")
    assert campaign["cost_repriced_usd"] == campaign["cost_as_priced_usd"] == Decimal("4.531558")

    # an analyst adds a version of Claude 3.5 Haiku at double the price from 1 June 2025
    project = copy_project(tmp_path)
    with (project / "seeds" / "provider_prices.csv").open("a") as prices:
        doubled = [
            ("input_token", "1.60"),
            ("output_token", "8.00"),
            ("cache_write_token", "2.00"),
            ("cache_read_token", "0.16"),
        ]
        for unit, price in doubled:
            prices.write(f"anthropic,{HAIKU_35},{unit},{price},1000000,2025-06-01,doubled\n")
    monkeypatch.setenv("DDS_DBT_PROJECT_DIR", str(project))
    build(dds.warehouse, ["build", "--select", "provider_prices", *MODELS])

    moved = rows(dds, "select * from marts.cost_repricing_changes order by occurred_at")
    assert [
        (
            row["cost_id"],
            row["cost_as_priced_usd"],
            row["cost_repriced_usd"],
            row["repricing_change_usd"],
            str(row["priced_effective_on"]),
            str(row["repriced_effective_on"]),
        )
        for row in moved
    ] == [
        (
            ids["at_start"],
            Decimal("1.2"),
            Decimal("2.4"),
            Decimal("1.2"),
            "2024-10-22",
            "2025-06-01",
        ),
        # 13116.4 micro-dollars, rounded half up
        (
            ids["cached"],
            Decimal("0.006558"),
            Decimal("0.013116"),
            Decimal("0.006558"),
            "2024-10-22",
            "2025-06-01",
        ),
    ]
    [campaign] = rows(dds, "select * from marts.campaign_cost_repricing")
    assert campaign["cost_as_priced_usd"] == Decimal("4.531558")  # as written
    assert campaign["cost_repriced_usd"] == Decimal("4.531558") + Decimal("1.206558")
    # at today's list the event of 31 May is doubled too
    assert campaign["cost_at_current_prices_usd"] == Decimal("4.531558") + Decimal("2.406558")
    assert (campaign["list_priced_event_count"], campaign["repriced_event_count"]) == (5, 2)
    assert raw_costs(dds) == raw_before  # raw amounts and versions never change

    # the backfill is a model: building again gives the same answer
    build(dds.warehouse, ["build", "--select", *MODELS])
    assert rows(dds, "select * from marts.cost_repricing_changes order by occurred_at") == moved
    assert raw_costs(dds) == raw_before


def test_the_backfill_prices_exactly_as_ingest_does(dds: DDSIntegration, campaign_id: str) -> None:
    """Random usage of every priced item, priced at ingest (ingest/pricing.py) and again by
    the models' SQL from the same list: not one micro-dollar apart."""
    rng = random.Random(10)
    for _ in range(40):
        month, day, hour = rng.randint(10, 12), rng.randint(1, 28), rng.randint(0, 23)
        occurred_at = f"2025-{month:02d}-{day:02d}T{hour:02d}:00:00Z"
        kind = rng.choice(["anthropic", "outscraper", "hunter_io", "sendgrid"])
        if kind == "anthropic":
            usage = {
                unit: rng.choice([0, rng.randint(1, 9), rng.randint(1, 2_000_000)])
                for unit in (
                    "input_tokens",
                    "output_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens",
                )
            }
            payload = {
                "operation": "lead_scoring",
                "provider": "anthropic",
                "model": rng.choice([HAIKU_3, HAIKU_35, HAIKU_45]),
                "usage": usage,
            }
        else:
            payload = {"operation": "outreach", "provider": kind, "units": rng.randint(1, 5000)}
        log(dds, campaign_id, {**payload, "occurred_at": occurred_at})
    repriced = rows(dds, "select * from intermediate.int_cost_events_repriced")
    assert len(repriced) == 40
    assert all(
        row["cost_repriced_usd"] == row["cost_as_priced_usd"]
        and row["repriced_effective_on"] == row["priced_effective_on"]
        and not row["is_repriced"]
        for row in repriced
    ), [row for row in repriced if row["is_repriced"]]


def write_pools(project: Path, *pools: str) -> None:
    header = (
        "pool_id,provider,pool_name,kind,credit_amount,credit_unit,reset_day_of_month,"
        "effective_from,effective_to,note\n"
    )
    (project / "seeds" / "provider_credit_pools.csv").write_text(header + "".join(pools))


def pacing(dds: DDSIntegration, campaign_id: str) -> dict[str, Any]:
    [row] = rows(
        dds, "select * from marts.campaign_budget_pacing where campaign_id = ?", [campaign_id]
    )
    return row


def test_a_credit_pool_that_runs_out_before_the_campaign_ends_says_so(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # $7 of Outscraper today: 1 a day over the 7-day window. Pools are projected from what
    # was written before "today" (int_cost_events_aggregated_to_provider_days), so the pools
    # are read as of tomorrow, when today's spend counts
    dds.log_dds_costs(campaign_id, {"operation": "scraping", "provider": "outscraper", "cost": 7})
    project = copy_project(tmp_path)
    monkeypatch.setenv("DDS_DBT_PROJECT_DIR", str(project))
    tomorrow = json.dumps({"dds_as_of_date": (utc_now() + timedelta(days=1)).date().isoformat()})
    write_pools(project, "small,outscraper,Prepaid,prepaid,10,usd,,2024-01-01,,$10 bought\n")
    build(dds.warehouse, ["build", "--vars", tomorrow, "--select", *POOL_MODELS])

    [pool] = rows(dds, "select * from marts.provider_credit_pool_pacing")
    assert (pool["remaining_in_period"], pool["burn_rate_per_day"]) == (3, 1)
    row = pacing(dds, campaign_id)
    # $3 left at $1 a day: 3 days; the campaign runs 30 days from today (29 from tomorrow);
    # its budget ($143 left) lasts 143 days
    assert (row["credit_pool_id"], pool["days_of_credit_left"]) == ("small", 3)
    assert (row["credit_pool_runs_out_on"] - row["evaluated_on"]).days == 3
    assert (row["planned_end_on"] - row["evaluated_on"]).days == 29
    assert row["credit_pool_runs_out_before_end"] and row["runs_out_before_end"]
    assert not row["will_exceed_budget_before_end"]
    assert row["runs_out_on"] == row["credit_pool_runs_out_on"]

    # a pool that lasts 29 days runs out on the planned end itself: not before it
    write_pools(project, "large,outscraper,Prepaid,prepaid,36,usd,,2024-01-01,,$36 bought\n")
    build(dds.warehouse, ["build", "--vars", tomorrow, "--select", *POOL_MODELS])
    row = pacing(dds, campaign_id)
    assert row["credit_pool_runs_out_on"] == row["planned_end_on"]
    assert not row["credit_pool_runs_out_before_end"] and not row["runs_out_before_end"]


POOL_MODELS = (
    "provider_credit_pools",
    "int_cost_events_aggregated_to_provider_days",
    "provider_credit_pool_pacing",
    "campaign_budget_pacing",
)


RECONCILIATIONS = ["--select", "path:data-tests/reconcile_*"]
RECONCILIATION_COUNT = len(
    list((Path(__file__).resolve().parents[2] / "data-tests").glob("reconcile_*.sql"))
)


def test_reconciliation_tests_pass_on_real_activity_and_catch_an_orphan_cost(
    dds: DDSIntegration, campaign_id: str
) -> None:
    log(dds, campaign_id, {"operation": "scraping", "provider": "outscraper", "units": 250})
    log(dds, campaign_id, {"operation": "outreach", "provider": "sendgrid", "cost": 0.123456})
    dds.log_dds_results(
        campaign_id,
        {"stage": "outreach", "leads_found": 50, "leads_qualified": 20, "revenue": 1200},
    )
    # a later snapshot that does not report revenue: the latest reported revenue stands
    dds.log_dds_results(campaign_id, {"stage": "outreach", "emails_replied": 2})
    assert dds.log_sendgrid_events(outreach_batch(campaign_id))["loaded"] > 0
    other = dds.deploy_campaign(
        {"vertical": "lawyers", "location": "Denver, CO", "prospect_count": 10, "budget": 20}
    )["campaign_id"]
    log(dds, other, {"operation": "scraping", "provider": "outscraper", "cost": 0.5})

    with dds.read():  # dbt test checks the tables as they are: bring them up to date
        pass
    output = build(dds.warehouse, ["test", *RECONCILIATIONS])
    assert f"PASS={RECONCILIATION_COUNT} WARN=0 ERROR=0" in output, output[-2000:]

    # a cost event of a campaign that was never deployed: in raw, in no mart
    with dds.warehouse.transaction() as conn:
        conn.execute(
            "insert into raw.cost_events by name select 'orphan' as cost_id, "
            "'dds_never_deployed' as campaign_id, 'scraping' as operation, "
            "'outscraper' as provider, 1.5 as cost_usd, now() as occurred_at, "
            "now() as ingested_at"
        )
    with pytest.raises(DbtError) as failure:
        build(dds.warehouse, ["test", *RECONCILIATIONS])
    message = str(failure.value)
    assert "reconcile_campaign_costs_raw_to_metrics" in message
    assert "reconcile_portfolio_raw_to_summary" in message
