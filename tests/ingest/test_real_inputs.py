"""Real inputs: usage priced from the price list, Anthropic responses, SendGrid webhook
batches, bulk files with bad rows, and late or shuffled events. Exact totals throughout."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from dds_api.apps.cli import main
from dds_api.current_marts.build import build
from dds_api.facade import DDSIntegration
from ingest.warehouse.schema import SENDGRID_EVENT_TYPES
from tests.conftest import SPEC_CONFIG, make_dds, raw_state

HAIKU_35 = "claude-3-5-haiku-20241022"


def stored_costs(dds: DDSIntegration) -> list[tuple]:
    with dds.warehouse.connect() as conn:
        return conn.execute(
            "select operation, provider, cost_usd, item, price_effective_from, occurred_at "
            "from raw.cost_events order by seq"
        ).fetchall()


def metrics(dds: DDSIntegration, campaign_id: str) -> dict[str, Any]:
    with dds.read() as conn:
        cursor = conn.execute(
            "select * from marts.campaign_metrics where campaign_id = ?", [campaign_id]
        )
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def deploy(dds: DDSIntegration, name: str = "Dentists Austin Q1") -> str:
    deployed = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": name})
    assert deployed["status"] == "deployed", deployed
    return deployed["campaign_id"]


# ------------------------------------------------------------------------ price list


def messages_response(message_id: str = "msg_01XFDUDYJgAACzvnptvVoYEL") -> dict[str, Any]:
    """A Messages API response as the Anthropic SDK's model_dump() gives it."""
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": HAIKU_35,
        "content": [{"type": "text", "text": '{"score": 8}'}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 2095,
            "output_tokens": 503,
            "cache_creation_input_tokens": 2051,
            "cache_read_input_tokens": 10240,
            "cache_creation": {"ephemeral_5m_input_tokens": 2051, "ephemeral_1h_input_tokens": 0},
            "server_tool_use": None,
            "service_tier": "standard",
        },
    }


def test_anthropic_response_with_cache_tokens_is_priced_exactly_once(
    dds: DDSIntegration, campaign_id: str
) -> None:
    logged = dds.log_anthropic_usage(
        campaign_id, messages_response(), occurred_at="2025-03-01T12:00:00Z"
    )
    # 2095 x $0.80/M + 503 x $4/M + 2051 x $1/M (cache write) + 10240 x $0.08/M (cache read)
    expected = Decimal("0.001676") + Decimal("0.002012") + Decimal("0.002051")
    expected += Decimal("0.0008192")
    assert logged["status"] == "logged", logged
    assert logged["priced_from"] == {"item": HAIKU_35, "effective_from": "2024-10-22"}
    again = dds.log_anthropic_usage(campaign_id, messages_response())  # a retried callback
    assert again["duplicate"] is True and again["cost_id"] == logged["cost_id"]
    [(operation, provider, amount, item, effective_from, _)] = stored_costs(dds)
    # 0.0065582 rounds half up to 6 places
    assert expected == Decimal("0.0065582")
    assert (operation, provider, amount, item) == ("lead_scoring", "anthropic",
                                                    Decimal("0.006558"), HAIKU_35)  # fmt: skip
    assert str(effective_from) == "2024-10-22"
    with dds.warehouse.connect() as conn:
        row = conn.execute(
            "select input_tokens, output_tokens, cache_creation_input_tokens, "
            "cache_read_input_tokens, details, idempotency_key from raw.cost_events"
        ).fetchone()
    assert row[:4] == (2095, 503, 2051, 10240)
    # the unpriced parts of the usage object are kept
    assert json.loads(row[4])["usage"]["cache_creation"]["ephemeral_5m_input_tokens"] == 2051
    assert row[5] == "anthropic:msg_01XFDUDYJgAACzvnptvVoYEL"


def test_units_are_priced_per_provider(dds: DDSIntegration, campaign_id: str) -> None:
    usage = [
        ("scraping", "outscraper", 250),  # $0.50 per 100 searches -> 1.25
        ("email_finding", "Hunter.io", 37),  # $10 per 100 emails -> 3.70
        ("outreach", "sendgrid", 1234),  # $0.001 per email -> 1.234
    ]
    for operation, provider, units in usage:
        logged = dds.log_dds_costs(
            campaign_id, {"operation": operation, "provider": provider, "units": units}
        )
        assert logged["status"] == "logged", logged
    assert [row[2] for row in stored_costs(dds)] == [
        Decimal("1.250000"),
        Decimal("3.700000"),
        Decimal("1.234000"),
    ]
    assert metrics(dds, campaign_id)["cost_usd"] == Decimal("6.184000")


@pytest.mark.parametrize(
    ("cost", "fragment"),
    [
        (  # before the model's first price
            {"model": HAIKU_35, "input_tokens": 10, "occurred_at": "2024-01-01T00:00:00Z"},
            "no anthropic claude-3-5-haiku-20241022 price in force at 2024-01-01",
        ),
        ({"model": "claude-unknown", "input_tokens": 10}, "no anthropic claude-unknown price"),
        ({"input_tokens": 10}, "say which anthropic item or model"),
        ({"model": HAIKU_35, "units": 3}, "no single per-unit price"),
        ({}, "neither 'cost' (dollars) nor usage"),
    ],
)
def test_usage_that_cannot_be_priced_is_refused_and_nothing_stored(
    dds: DDSIntegration, campaign_id: str, cost: dict[str, Any], fragment: str
) -> None:
    before = raw_state(dds)
    result = dds.log_dds_costs(
        campaign_id, {"operation": "lead_scoring", "provider": "anthropic", **cost}
    )
    assert result["status"] == "error"
    assert fragment in result["message"]
    assert raw_state(dds) == before


def test_a_new_price_row_prices_later_events_and_never_rewrites_history(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = {"operation": "lead_scoring", "provider": "anthropic", "model": HAIKU_35,
              "input_tokens": 1_000_000, "output_tokens": 100_000}  # fmt: skip
    first = dds.log_dds_costs(campaign_id, {**tokens, "occurred_at": "2025-05-31T23:59:59Z"})
    assert first["cost"] == 1.2  # $0.80 + $0.40
    # an analyst adds a price version to the seed and builds it (the seed and the versions
    # table that ingest prices by)
    project = tmp_path / "project"
    shutil.copytree(
        Path(__file__).resolve().parents[2],
        project,
        ignore=shutil.ignore_patterns(".venv", ".git", "target", "logs", "*.duckdb", "tests"),
    )
    with (project / "seeds" / "provider_prices.csv").open("a") as prices:
        doubled = [("input_token", "1.60"), ("output_token", "8.00"),
                   ("cache_write_token", "2.00"), ("cache_read_token", "0.16")]  # fmt: skip
        for unit, price in doubled:
            prices.write(f"anthropic,{HAIKU_35},{unit},{price},1000000,2025-06-01,doubled\n")
    monkeypatch.setenv("DDS_DBT_PROJECT_DIR", str(project))
    build(dds.warehouse, ["build", "--select", "provider_prices", "price_list_versions"])

    later = dds.log_dds_costs(campaign_id, {**tokens, "occurred_at": "2025-06-01T00:00:00Z"})
    late = dds.log_dds_costs(campaign_id, {**tokens, "occurred_at": "2025-05-15T00:00:00Z"})
    assert later["cost"] == 2.4 and later["priced_from"]["effective_from"] == "2025-06-01"
    assert late["cost"] == 1.2 and late["priced_from"]["effective_from"] == "2024-10-22"
    amounts = [(row[2], str(row[4])) for row in stored_costs(dds)]
    assert amounts == [
        (Decimal("1.200000"), "2024-10-22"),  # written before the new row: unchanged
        (Decimal("2.400000"), "2025-06-01"),
        (Decimal("1.200000"), "2024-10-22"),
    ]


# -------------------------------------------------------------------------- SendGrid


def sendgrid_event(
    campaign_id: str | None, message: str, event: str, n: int, **extra: Any
) -> dict[str, Any]:
    """An event as SendGrid's Event Webhook posts it (custom args at the top level)."""
    payload = {
        "email": f"owner@{message}.example",
        "timestamp": 1735725600 + n * 60,  # 2025-01-01T10:00:00Z + n minutes
        "smtp-id": f"<{message}@ismtpd0001p1lon1.sendgrid.net>",
        "event": event,
        "category": ["dds-outreach"],
        "sg_event_id": f"{message}-{event}-{n}",
        "sg_message_id": f"{message}.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
        **extra,
    }
    if campaign_id is not None:
        payload["campaign_id"] = campaign_id
    return payload


def outreach_batch(cid: str) -> list[dict[str, Any]]:
    events = [
        # m1: delivered, opened by a privacy proxy, then twice by a person, clicked twice
        sendgrid_event(cid, "m1", "processed", 0),
        sendgrid_event(cid, "m1", "delivered", 1),
        sendgrid_event(cid, "m1", "open", 2, sg_machine_open=True, useragent="Mozilla/5.0"),
        sendgrid_event(cid, "m1", "open", 30, sg_machine_open=False),
        sendgrid_event(cid, "m1", "open", 90, sg_machine_open=False),
        sendgrid_event(cid, "m1", "click", 91, url="https://acme.example/demo"),
        sendgrid_event(cid, "m1", "click", 95, url="https://acme.example/pricing"),
        # m2: delivered, only a machine open
        sendgrid_event(cid, "m2", "processed", 0),
        sendgrid_event(cid, "m2", "delivered", 1),
        sendgrid_event(cid, "m2", "open", 1, sg_machine_open=True),
        # m3: bounced; m4: dropped (never sent)
        sendgrid_event(cid, "m3", "processed", 0),
        sendgrid_event(cid, "m3", "deferred", 1, response="try again later", attempt="1"),
        sendgrid_event(cid, "m3", "bounce", 5, type="bounce", reason="550 5.1.1 no such user"),
        sendgrid_event(cid, "m4", "processed", 0),
        sendgrid_event(cid, "m4", "dropped", 0, reason="Bounced Address"),
        # m5: delivered and reported as spam; m6: delivered and unsubscribed
        sendgrid_event(cid, "m5", "processed", 0),
        sendgrid_event(cid, "m5", "delivered", 1),
        sendgrid_event(cid, "m5", "spamreport", 20),
        sendgrid_event(cid, "m6", "processed", 0),
        sendgrid_event(cid, "m6", "delivered", 1),
        sendgrid_event(cid, "m6", "unsubscribe", 25),
    ]
    return events


def test_sendgrid_batches_with_retries_give_unique_message_counts(
    dds: DDSIntegration, campaign_id: str
) -> None:
    events = outreach_batch(campaign_id)
    bad = [
        sendgrid_event(None, "m7", "delivered", 1),  # no campaign_id custom arg
        sendgrid_event("dds_not_ours", "m8", "delivered", 1),
        sendgrid_event(campaign_id, "m9", "group_unsubscribe_typo", 1),
    ]
    first = dds.log_sendgrid_events(json.dumps(events[:12] + bad))  # the body as posted
    assert (first["rows_read"], first["loaded"], first["quarantined"], first["duplicates"]) == (
        15, 12, 3, 0,
    )  # fmt: skip
    # SendGrid retries the first batch after a timeout, then posts the rest with overlap
    retry = dds.log_sendgrid_events(events[:12])
    assert (retry["loaded"], retry["duplicates"], retry["quarantined"]) == (0, 12, 0)
    rest = dds.log_sendgrid_events(events[10:])
    assert (rest["loaded"], rest["duplicates"]) == (9, 2)
    dds.log_dds_results(campaign_id, {"stage": "outreach", "leads_found": 6,
                                      "leads_qualified": 6, "emails_sent": 9,
                                      "emails_opened": 9, "emails_replied": 1})  # fmt: skip

    row = metrics(dds, campaign_id)
    assert row["outreach_source"] == "sendgrid_events"
    figures = {k: row[k] for k in ("emails_sent", "emails_delivered", "emails_opened",
                                   "emails_human_opened", "emails_machine_opened",
                                   "emails_clicked", "emails_bounced", "spam_reports",
                                   "unsubscribes", "emails_replied")}  # fmt: skip
    assert figures == {
        "emails_sent": 5,  # m4 was dropped
        "emails_delivered": 4,
        "emails_opened": 2,  # m1 three times, m2 once: two messages
        "emails_human_opened": 1,
        "emails_machine_opened": 2,
        "emails_clicked": 1,
        "emails_bounced": 1,
        "spam_reports": 1,
        "unsubscribes": 1,
        "emails_replied": 1,  # replies come from the snapshot
    }
    lead_metrics = dds.calculate_lead_metrics(campaign_id)
    assert lead_metrics["emails_sent"] == 5 and lead_metrics["open_rate"] == 40.0
    report = dds.generate_campaign_report(campaign_id, "outreach")
    keys = ("outreach_source", "emails_delivered", "emails_bounced", "spam_reports", "unsubscribes")
    assert [report[key] for key in keys] == ["sendgrid_events", 4, 1, 1, 1]
    with dds.warehouse.connect() as conn:
        stored = conn.execute(
            "select payload from raw.sendgrid_events where sg_event_id = 'm1-open-2'"
        ).fetchone()[0]
        reasons = dict(
            conn.execute(
                "select row_number, reason from raw.quarantine order by row_number"
            ).fetchall()
        )
    assert json.loads(stored) == events[2]  # every raw event kept as sent
    assert "no campaign_id custom arg" in reasons[13]
    assert "dds_not_ours is not deployed" in reasons[14]
    assert "unknown SendGrid event 'group_unsubscribe_typo'" in reasons[15]


def test_every_sendgrid_event_type_is_stored_and_a_group_unsubscribe_counts_once(
    dds: DDSIntegration, campaign_id: str
) -> None:
    group = {"asm_group_id": 42}
    events = [
        # g1: unsubscribed from its group, then resubscribed: still counted as unsubscribed
        sendgrid_event(campaign_id, "g1", "processed", 0),
        sendgrid_event(campaign_id, "g1", "delivered", 1),
        sendgrid_event(campaign_id, "g1", "group_unsubscribe", 5, **group),
        sendgrid_event(campaign_id, "g1", "group_resubscribe", 9, **group),
        # g2: unsubscribed from its group and globally: one unsubscribed message
        sendgrid_event(campaign_id, "g2", "processed", 0),
        sendgrid_event(campaign_id, "g2", "delivered", 1),
        sendgrid_event(campaign_id, "g2", "group_unsubscribe", 5, **group),
        sendgrid_event(campaign_id, "g2", "unsubscribe", 6),
        # g3: every other type SendGrid sends
        *(
            sendgrid_event(campaign_id, "g3", event, n)
            for n, event in enumerate(
                ("processed", "deferred", "delivered", "open", "click", "spamreport", "bounce")
            )
        ),
        sendgrid_event(campaign_id, "g4", "dropped", 0),
    ]
    summary = dds.log_sendgrid_events(events)
    assert (summary["loaded"], summary["quarantined"]) == (len(events), 0), summary
    with dds.warehouse.connect() as conn:
        stored = {
            row[0] for row in conn.execute("select event from raw.sendgrid_events").fetchall()
        }
    assert stored == set(SENDGRID_EVENT_TYPES)
    row = metrics(dds, campaign_id)
    assert (row["unsubscribes"], row["emails_delivered"], row["emails_sent"]) == (2, 3, 3)


def test_a_webhook_body_that_is_not_an_array_is_refused(dds: DDSIntegration) -> None:
    for body in ("{not json", json.dumps({"event": "open"}), 42):
        result = dds.log_sendgrid_events(body)
        assert result["status"] == "error"
        assert "JSON" in result["message"] or "array" in result["message"]


# ----------------------------------------------------------------------------- bulk

COSTS_CSV = """\
campaign_id,operation,provider,cost,model,input_tokens,output_tokens,units,occurred_at
{cid},scraping,outscraper,2.50,,,,,2025-01-01T09:00:00Z
{cid},website_analysis,anthropic,,claude-3-haiku-20240307,42500,7500,,2025-01-01T10:00:00Z
{cid},lead_scoring,anthropic,0.15,,,,,2025-01-01T11:00:00+01:00
{cid},email_finding,Hunter.io,,,,,20,2025-01-01T12:00:00Z
{cid},outreach,sendgrid,,,,,60,2025-01-02 08:00:00
{cid},outreach,sendgrid,-1.00,,,,,2025-01-02T08:00:00Z
{cid},outreach,sendgrid,0.06,,,,,yesterday
dds_not_ours,scraping,outscraper,2.50,,,,,2025-01-01T09:00:00Z
{cid},lead_scoring,anthropic,,claude-3-haiku-20240307,12.5,,,2025-01-01T11:00:00Z
{cid},scraping,outscraper,2.50,,,,,2025-01-01T09:00:00Z
"""


def test_csv_with_bad_rows_loads_the_rest_and_quarantines_them_with_reasons(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "costs.csv"
    path.write_text(COSTS_CSV.format(cid=campaign_id))
    summary = dds.ingest("costs", str(path))
    assert summary["status"] == "loaded", summary
    # the last row repeats the first exactly: one event, counted once
    assert (summary["rows_read"], summary["loaded"], summary["quarantined"],
            summary["duplicates"]) == (10, 5, 4, 1)  # fmt: skip
    assert summary["quarantine_reasons"] == {
        "'cost' must not be negative": 1,
        "'occurred_at' must be an ISO-8601 time such as 2026-01-31T14:00:00Z, got yesterday": 1,
        "'input_tokens' must be a whole number (e.g. 50), got 12.5": 1,
        "campaign dds_not_ours is not deployed; deploy it first or fix the campaign_id": 1,
    }
    # 2.50 + (42500 x 0.25 + 7500 x 1.25)/1M + 0.15 + 20 x 0.10 + 60 x 0.001
    assert metrics(dds, campaign_id)["cost_usd"] == Decimal("4.730000")
    assert [str(row[5]) for row in stored_costs(dds)][2] == "2025-01-01 10:00:00"  # UTC
    again = dds.ingest("costs", str(path))
    assert (again["loaded"], again["duplicates"], again["quarantined"]) == (0, 6, 4)
    assert metrics(dds, campaign_id)["cost_usd"] == Decimal("4.730000")
    with dds.warehouse.connect() as conn:
        batches = conn.execute(
            "select rows_read, loaded, quarantined, duplicates from raw.ingest_batches order by seq"
        ).fetchall()
        payload = conn.execute(
            "select payload from raw.quarantine where row_number = 6 limit 1"
        ).fetchone()[0]
    assert batches == [(10, 5, 4, 1), (10, 0, 4, 6)]
    assert json.loads(payload)["cost"] == "-1.00"  # the row as received


def test_the_same_rows_from_parquet_jsonl_or_a_dataframe_are_duplicates(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path
) -> None:
    csv = tmp_path / "costs.csv"
    csv.write_text(COSTS_CSV.format(cid=campaign_id))
    assert dds.ingest("costs", str(csv))["loaded"] == 5
    frame = pl.read_csv(csv, infer_schema_length=0)  # as text, like the CSV reader
    frame.write_parquet(tmp_path / "costs.parquet")
    frame.write_ndjson(tmp_path / "costs.jsonl")
    for source in (str(tmp_path / "costs.parquet"), str(tmp_path / "costs.jsonl"), frame):
        summary = dds.ingest("costs", source)
        assert (summary["loaded"], summary["duplicates"], summary["quarantined"]) == (0, 6, 4)


def test_typed_parquet_columns_load_like_text(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path
) -> None:
    frame = pl.DataFrame(
        {
            "campaign_id": [campaign_id] * 3,
            "operation": ["scraping", "lead_scoring", "outreach"],
            "provider": ["outscraper", "anthropic", "sendgrid"],
            "cost": [2.5, None, 0.1 + 0.2],
            "model": [None, HAIKU_35, None],
            "input_tokens": [None, 1000, None],
            "output_tokens": [None, 500, None],
            "occurred_at": pl.Series(["2025-01-01T09:00:00"] * 3).str.to_datetime(),
        }
    )
    frame.write_parquet(tmp_path / "typed.parquet")
    summary = dds.ingest("costs", str(tmp_path / "typed.parquet"))
    assert summary["loaded"] == 3, summary
    assert [row[2] for row in stored_costs(dds)] == [
        Decimal("2.500000"),
        Decimal("0.002800"),
        Decimal("0.300000"),
    ]


EDGE_COLUMNS = ("cost", "input_tokens", "output_tokens", "units", "occurred_at")
# Typed values at every edge of the rules read as values (not text): integers for money,
# tokens and units (good, negative, past the bound, the type's extremes), timestamps (past,
# future, missing, year 1, BC, past year 9999, infinity); a row repeated. (cost, input
# tokens, output tokens, units, occurred_at): the provider follows from which is given.
TYPED_EDGES = [
    (2, None, None, None, "2025-01-01 09:00:00"),
    (0, None, None, None, "2025-01-01 09:00:00.123456"),
    (-1, None, None, None, "2025-01-01 09:00:00"),
    (10_000_000, None, None, None, "2025-01-02 09:00:00"),
    (10_000_001, None, None, None, "2025-01-01 09:00:00"),
    (None, 1000, 500, None, "2025-01-01 10:00:00"),
    (None, -5, 500, None, "2025-01-01 10:00:00"),
    (None, 10_000_000_001, 1, None, "2025-01-01 10:00:00"),
    (None, 9_223_372_036_854_775_807, 1, None, "2025-01-01 10:00:00"),
    (None, -9_223_372_036_854_775_808, 1, None, "2025-01-01 10:00:00"),
    (None, None, None, 3, "2025-01-01 11:00:00"),
    (None, None, None, 1_000_000_001, "2025-01-01 11:00:00"),
    (None, None, None, 0, "2025-01-01 11:00:00"),
    (None, None, None, None, "2025-01-01 11:00:00"),
    (2, None, None, None, "2999-01-01 00:00:00"),
    (2, None, None, None, None),
    (2, None, None, None, "0001-01-01 00:00:00"),
    (2, None, None, None, "0044-03-15 (BC)"),
    (2, None, None, None, "12000-01-01 00:00:00"),
    (2, None, None, None, "infinity"),
    (2, None, None, None, "2025-01-01 09:00:00"),
]


@pytest.mark.parametrize("time_type", ["timestamp", "timestamptz"])
def test_typed_values_get_the_verdicts_and_keys_of_their_text(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path, time_type: str
) -> None:
    """Integers and timestamps are read as values, not text: every row gets the verdict
    (and the reason) its text gets, and each loaded row the same content key, so the same
    rows as text are all duplicates."""
    files = duckdb.connect()
    files.execute("set TimeZone = 'UTC'")
    files.execute(
        f"""
        create table edges as select
            ? as campaign_id,
            case when t.units is not null then 'scraping' else 'lead_scoring' end as operation,
            case when t.units is not null then 'outscraper' else 'anthropic' end as provider,
            cast(t.cost as bigint) as cost,
            case when t.input_tokens is not null then '{HAIKU_35}' end as model,
            cast(t.input_tokens as bigint) as input_tokens,
            cast(t.output_tokens as uinteger) as output_tokens,
            cast(t.units as ubigint) as units,
            cast(t.occurred_at as {time_type}) as occurred_at
        from (select unnest(?, recursive := true)) as t
        """,
        [
            campaign_id,
            [dict(zip(EDGE_COLUMNS, row, strict=True)) for row in TYPED_EDGES],
        ],
    )
    typed, text = tmp_path / "typed.parquet", tmp_path / "text.parquet"
    # details (not part of the content key) tell the two apart in the quarantine
    files.execute(
        f"""copy (select *, '{{"as": "typed"}}' as details from edges) to '{typed}'
        (format parquet)"""
    )
    files.execute(
        f"""copy (select columns(*)::varchar, '{{"as": "text"}}' as details from edges)
        to '{text}' (format parquet)"""
    )

    first = dds.ingest("costs", str(typed))
    again = dds.ingest("costs", str(text))
    assert first["loaded"] >= 7 and len(first["quarantine_reasons"]) >= 6, first
    assert (again["loaded"], again["duplicates"]) == (0, first["loaded"] + first["duplicates"])
    assert again["quarantine_reasons"] == first["quarantine_reasons"]
    assert again["previously_quarantined"] == 0
    with dds.warehouse.connect() as conn:
        reasons = [
            conn.execute(
                "select row_number, reason from raw.quarantine where batch_id = ? "
                "order by row_number",
                [summary["batch_id"]],
            ).fetchall()
            for summary in (first, again)
        ]
    assert reasons[0] == reasons[1]
    # a time before year 1 is refused as a single call refuses it (a Postgres warehouse
    # could not mirror it back to the next load)
    bc_row = TYPED_EDGES.index((2, None, None, None, "0044-03-15 (BC)")) + 1
    assert "years 1 to 9999" in dict(reasons[0])[bc_row]


def test_an_unusable_file_is_refused_whole(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path
) -> None:
    before = raw_state(dds)
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(f"campaign_id,operation,provider,cost,occurred_at,amount\n"
                       f"{campaign_id},x,y,1,2025-01-01,1\n")  # fmt: skip
    missing = tmp_path / "missing.csv"
    missing.write_text(f"campaign_id,operation,cost\n{campaign_id},x,1\n")
    cases = [
        (dds.ingest("costs", str(unknown)), "Unknown costs column(s): amount"),
        (dds.ingest("costs", str(missing)), "lacks the column(s) provider, occurred_at"),
        (dds.ingest("costs", str(tmp_path / "nope.csv")), "No file at"),
        (dds.ingest("refunds", str(missing)), "Unknown kind 'refunds'"),
        (dds.ingest("costs", str(tmp_path / "costs.xlsx")), "No file at"),
    ]
    for result, fragment in cases:
        assert result["status"] == "error" and fragment in result["message"], result
    assert raw_state(dds) == before


BAD_COSTS = [
    {"cost": -1},
    {"cost": "abc"},
    {"cost": float("nan")},
    {"cost": 1e13},
    {"input_tokens": -5, "model": HAIKU_35},
    {"input_tokens": 2.5, "model": HAIKU_35},
    {"units": "many"},
    {"occurred_at": "not a time", "cost": 1},
    {"occurred_at": "2999-01-01T00:00:00Z", "cost": 1},
    {"details": "not a dict", "cost": 1},
    {"operation": "   ", "cost": 1},
    {"operation": "!!!", "cost": 1},
    {"provider": "x" * 501, "cost": 1},
    {},
]


@pytest.mark.parametrize("bad", BAD_COSTS, ids=lambda bad: json.dumps(bad)[:40])
def test_single_calls_and_bulk_refuse_the_same_values(
    dds: DDSIntegration, campaign_id: str, bad: dict[str, Any]
) -> None:
    cost = {"operation": "lead_scoring", "provider": "anthropic",
            "occurred_at": "2025-01-01T00:00:00Z", **bad}  # fmt: skip
    single = dds.log_dds_costs(campaign_id, cost)
    assert single["status"] == "error", single
    row = {k: (json.dumps(v) if k == "details" else v) for k, v in cost.items()}
    frame = pl.DataFrame([{"campaign_id": campaign_id, **{k: str(v) for k, v in row.items()}}])
    summary = dds.ingest("costs", frame)
    assert (summary["loaded"], summary["quarantined"]) == (0, 1), summary


def test_single_calls_and_bulk_store_the_same_amounts(
    dds: DDSIntegration, campaign_id: str
) -> None:
    rows = [
        {"operation": "a", "provider": "Hunter.io", "cost": "0.0000005"},  # rounds half up
        {"operation": "b", "provider": "outscraper", "units": 3},
        {
            "operation": "c",
            "provider": "anthropic",
            "model": HAIKU_35,
            "input_tokens": 1,
            "output_tokens": 1,
            "cache_read_input_tokens": 7,
        },
    ]
    for row in rows:
        single = {**row, "cost": Decimal(row["cost"])} if "cost" in row else row
        assert (
            dds.log_dds_costs(campaign_id, {**single, "occurred_at": "2025-02-01"})["status"]
            == "logged"
        )
    frame = pl.DataFrame(
        [
            {
                "campaign_id": campaign_id,
                "occurred_at": "2025-02-02",
                **{k: str(v) for k, v in row.items()},
            }
            for row in rows
        ]
    )
    assert dds.ingest("costs", frame)["loaded"] == 3
    stored = stored_costs(dds)
    assert [r[:5] for r in stored[:3]] == [r[:5] for r in stored[3:]]
    assert [r[2] for r in stored[:3]] == [
        Decimal("0.000001"),
        Decimal("0.015000"),
        Decimal("0.000005"),  # 0.8 + 4 + 7 x 0.08 = 5.36 micro-dollars
    ]


def test_results_in_bulk_carry_forward_and_refuse_inconsistent_snapshots(
    dds: DDSIntegration, campaign_id: str
) -> None:
    frame = pl.DataFrame(
        {
            "campaign_id": [campaign_id] * 4,
            "stage": ["prospecting", "scoring", "outreach", "outreach"],
            "leads_found": ["50", None, None, None],
            "leads_qualified": [None, "20", None, "60"],  # 60 > 50 found
            "emails_sent": [None, None, "60", None],
            "emails_replied": [None, None, "3", None],
            "revenue": [None, None, "5000", None],
            "occurred_at": ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"],
        }
    )
    summary = dds.ingest("results", frame)
    assert (summary["loaded"], summary["quarantined"]) == (3, 1), summary
    assert "a part exceeds its whole" in next(iter(summary["quarantine_reasons"]))
    lead_metrics = dds.calculate_lead_metrics(campaign_id)
    names = ("leads_generated", "leads_qualified", "emails_sent", "revenue_generated")
    assert [lead_metrics[name] for name in names] == [50, 20, 60, 5000.0]


def test_cli_ingest_prints_the_summary(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path, warehouse_address: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = tmp_path / "costs.csv"
    path.write_text(COSTS_CSV.format(cid=campaign_id))
    dds.close()
    monkeypatch.setenv("DDS_WAREHOUSE", warehouse_address)
    result = CliRunner().invoke(main, ["ingest", "costs", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["loaded"], summary["quarantined"], summary["duplicates"]) == (5, 4, 1)
    result = CliRunner().invoke(main, ["ingest", "costs", str(path)])
    assert result.exit_code == 0, result.output
    assert "duplicates" in result.output and "│ 6 " in result.output.replace("  ", " ")
    assert "'cost' must not be negative" in result.output
    bad = CliRunner().invoke(main, ["ingest", "costs", str(tmp_path)])
    assert bad.exit_code == 2  # a directory is a usage error


# ----------------------------------------------------------------- late and shuffled


def activity(cid: str) -> list[tuple[str, Any]]:
    """A campaign's events with their real times: costs, partial snapshots, SendGrid."""
    events: list[tuple[str, Any]] = [
        ("cost", {"operation": "scraping", "provider": "outscraper", "units": 50,
                  "occurred_at": "2025-01-01T09:00:00Z"}),
        ("cost", {"operation": "lead_scoring", "provider": "anthropic", "model": HAIKU_35,
                  "input_tokens": 15000, "output_tokens": 2250,
                  "occurred_at": "2025-01-01T10:00:00Z"}),
        ("cost", {"operation": "outreach", "provider": "sendgrid", "cost": 0.06,
                  "occurred_at": "2025-01-02T08:00:00Z"}),
        ("results", {"stage": "prospecting", "leads_found": 50,
                     "occurred_at": "2025-01-01T09:30:00Z"}),
        ("results", {"stage": "scoring", "leads_qualified": 20,
                     "occurred_at": "2025-01-01T10:30:00Z"}),
        ("results", {"stage": "outreach", "emails_sent": 60, "emails_opened": 18,
                     "emails_replied": 3, "occurred_at": "2025-01-03T08:00:00Z"}),
        ("results", {"stage": "closed", "revenue": 5000,
                     "occurred_at": "2025-01-10T08:00:00Z"}),
    ]  # fmt: skip
    events += [("sendgrid", event) for event in outreach_batch(cid)]
    return events


def deliver(dds: DDSIntegration, cid: str, events: list[tuple[str, Any]]) -> None:
    for kind, event in events:
        if kind == "cost":
            result = dds.log_dds_costs(cid, event)
        elif kind == "results":
            result = dds.log_dds_results(cid, event)
        else:
            result = dds.log_sendgrid_events([event])
            assert result["loaded"] == 1, result
            continue
        assert result["status"] == "logged", result


COMPARED = (
    "cost_usd", "cost_event_count", "leads_found", "leads_qualified", "emails_sent",
    "emails_opened", "emails_clicked", "emails_replied", "emails_delivered", "revenue_usd",
    "latest_stage", "roi", "cost_per_lead", "last_result_at", "last_cost_at",
)  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_delivery_gives_the_same_numbers(
    new_warehouse: Callable[[], str], seed: int
) -> None:
    figures = []
    for shuffle in (False, True):
        dds = make_dds(new_warehouse())
        cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
        events = activity(cid)
        if shuffle:
            random.Random(seed).shuffle(events)
        deliver(dds, cid, events)
        row = metrics(dds, cid)
        figures.append({name: row[name] for name in COMPARED})
        dds.close()
    in_order, shuffled = figures
    assert shuffled == in_order
    # and they are the expected ones: 50 x $0.005 + (15000 x 0.8 + 2250 x 4)/1M + $0.06
    assert in_order["cost_usd"] == Decimal("0.331000")
    names = ("leads_found", "leads_qualified", "emails_sent", "emails_replied", "revenue_usd")
    assert [in_order[name] for name in names] == [50, 20, 5, 3, Decimal("5000.000000")]
    assert in_order["latest_stage"] == "closed"
