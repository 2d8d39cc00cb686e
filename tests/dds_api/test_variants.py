"""A/B test variants end to end: carried on costs, snapshots and SendGrid events (single
calls and bulk files), counted per variant by the marts, compared with the control, acted
on by the flags, and reported by get_variant_report. A campaign without variants is
unchanged."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import plant_variants
from ingest.validation import utc_now
from tests.conftest import log_costs, log_snapshot, raw_state


def _recent(minutes: int = 5) -> str:
    return (utc_now() - timedelta(minutes=minutes)).isoformat()


def test_a_campaign_without_variants_is_unchanged(dds: DDSIntegration, campaign_id: str) -> None:
    log_costs(dds, campaign_id, 2.50)
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20, emails_sent=60,
                 emails_replied=3)  # fmt: skip
    report = dds.get_variant_report(campaign_id)
    assert report["status"] == "success", report
    assert report["variants"] == [] and report["control"] is None and report["metric"] is None
    assert report["winners"] == [] and report["losers"] == []
    metrics = dds.calculate_lead_metrics(campaign_id)
    assert metrics["emails_sent"] == 60 and metrics["total_cost"] == 2.5


def test_variant_snapshots_are_their_own_totals(dds: DDSIntegration, campaign_id: str) -> None:
    """A snapshot with a variant is that variant's cumulative totals: the campaign's figures
    stay its own snapshots', costs count in both, and a variant's omitted figure carries
    forward from that variant's earlier snapshot only."""
    log_snapshot(dds, campaign_id, leads_found=50, leads_qualified=20, emails_sent=100,
                 emails_replied=8)  # fmt: skip
    log_snapshot(dds, campaign_id, emails_sent=60, emails_replied=2, variant="A")
    log_snapshot(dds, campaign_id, emails_sent=40, emails_replied=6, variant="B")
    log_snapshot(dds, campaign_id, emails_replied=3, variant="A")  # sent carries forward: 60
    assert dds.log_dds_costs(
        campaign_id, {"operation": "outreach", "provider": "sendgrid", "cost": 0.06,
                      "variant": "A"}
    )["status"] == "logged"  # fmt: skip
    log_costs(dds, campaign_id, 1.0)
    metrics = dds.calculate_lead_metrics(campaign_id)
    assert (metrics["emails_sent"], metrics["emails_replied"]) == (100, 8)
    assert metrics["total_cost"] == 1.06
    report = dds.get_variant_report(campaign_id)
    assert report["control"] == "A" and report["metric"] == "reply_rate"
    by_label = {v["variant"]: v for v in report["variants"]}
    assert [v["variant"] for v in report["variants"]] == ["A", "B"]
    a, b = by_label["A"], by_label["B"]
    assert (a["emails_sent"], a["emails_replied"], a["cost"]) == (60, 3, 0.06)
    assert a["cost_per_reply"] == 0.02 and a["rates"]["reply_rate"]["value"] == 5.0
    assert a["rates"]["reply_rate"]["ci_lower"] < 5.0 < a["rates"]["reply_rate"]["ci_upper"]
    assert a["comparison"] is None
    assert (b["emails_sent"], b["emails_replied"], b["cost"]) == (40, 6, 0.0)
    # 40 sends are below the minimum sample: no verdict however large the difference
    assert b["comparison"]["verdict"] == "no difference yet"
    assert b["comparison"]["has_min_sample"] is False
    assert b["comparison"]["difference"] == 10.0


def test_a_variant_snapshot_is_checked_against_its_own_history(
    dds: DDSIntegration, campaign_id: str
) -> None:
    log_snapshot(dds, campaign_id, emails_sent=100, variant="A")
    before = raw_state(dds)
    refused = dds.log_dds_results(
        campaign_id, {"stage": "outreach", "emails_replied": 101, "variant": "A"}
    )
    assert refused["status"] == "error" and "emails_replied" in refused["message"]
    # the campaign's own snapshots (none with 100 sent) are another history
    bad_label = dds.log_dds_costs(
        campaign_id, {"operation": "outreach", "provider": "sendgrid", "cost": 1, "variant": 7}
    )
    assert bad_label["status"] == "error" and "'variant'" in bad_label["message"]
    assert raw_state(dds) == before


def test_variants_from_sendgrid_custom_args_categories_and_bulk_files(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path
) -> None:
    at = int((utc_now() - timedelta(minutes=5)).timestamp())

    def event(message: str, kind: str, **extra: Any) -> dict[str, Any]:
        return {"event": kind, "sg_event_id": f"{message}-{kind}", "sg_message_id": message,
                "timestamp": at, "campaign_id": campaign_id, **extra}  # fmt: skip

    answer = dds.log_sendgrid_events(
        [
            event("m1", "delivered", variant="A"),
            event("m1", "open", variant="A"),
            event("m2", "delivered", category=["newsletter", "variant:B"]),
            event("m2", "click", category="variant:B"),
            event("m2", "bounce", category=["variant:B"], type="bounce"),
            event("m3", "delivered"),  # no variant: the campaign's only
        ]
    )
    assert answer["status"] == "success" or answer.get("loaded") == 6, answer
    pl.DataFrame(
        {
            "campaign_id": [campaign_id] * 2,
            "operation": ["outreach"] * 2,
            "provider": ["sendgrid"] * 2,
            "cost": ["0.50", "0.25"],
            "occurred_at": [_recent()] * 2,
            "variant": ["A", "B"],
        }
    ).write_csv(tmp_path / "costs.csv")
    assert dds.ingest("costs", str(tmp_path / "costs.csv"))["loaded"] == 2
    pl.DataFrame(
        {"campaign_id": [campaign_id], "stage": ["outreach"], "emails_replied": [1],
         "emails_sent": [1], "occurred_at": [_recent()], "variant": ["B"]}
    ).write_parquet(tmp_path / "results.parquet")  # fmt: skip
    assert dds.ingest("results", str(tmp_path / "results.parquet"))["loaded"] == 1
    report = dds.get_variant_report(campaign_id)
    by_label = {v["variant"]: v for v in report["variants"]}
    assert set(by_label) == {"A", "B"}
    a, b = by_label["A"], by_label["B"]
    assert (a["emails_sent"], a["emails_delivered"], a["emails_human_opened"]) == (1, 1, 1)
    assert (a["cost"], a["outreach_source"]) == (0.5, "sendgrid_events")
    assert (b["emails_sent"], b["emails_clicked"], b["emails_bounced"]) == (1, 1, 1)
    assert (b["emails_replied"], b["cost"]) == (1, 0.25)
    assert dds.calculate_lead_metrics(campaign_id)["emails_sent"] == 3


def test_a_planted_winner_and_loser_are_found_and_recommended(
    dds: DDSIntegration, campaign_id: str
) -> None:
    planted = plant_variants(
        dds, campaign_id, {"control": 0.05, "short_subject": 0.15, "long_subject": 0.01},
        emails_per_variant=600, seed=7,
    )  # fmt: skip
    report = dds.get_variant_report(campaign_id)
    assert report["control"] == "control"
    assert report["winners"] == ["short_subject"] and report["losers"] == ["long_subject"]
    by_label = {v["variant"]: v for v in report["variants"]}
    for drawn in planted:
        assert by_label[drawn.variant]["emails_replied"] == drawn.emails_replied
        assert by_label[drawn.variant]["emails_sent"] == 600
    winner = by_label["short_subject"]["comparison"]
    assert winner["ci_lower"] > 0 and winner["p_value"] <= winner["alpha"] == 0.05
    # the campaign's own totals, profitable: no other rule pauses it
    log_snapshot(dds, campaign_id, leads_found=100, leads_qualified=60, emails_sent=1800,
                 emails_replied=130, revenue=5000)  # fmt: skip
    optimization = dds.optimize_campaign(campaign_id)
    assert {"SHIFT_TRAFFIC", "STOP_VARIANT"} <= set(optimization["suggested_actions"])
    assert "auto_action_taken" not in optimization
    assert dds.get_campaign_status(campaign_id)["status"] == "active"


def test_get_variant_report_errors(dds: DDSIntegration) -> None:
    for bad in ("dds_20250101_000000_nope", "", None):
        answer = dds.get_variant_report(bad)  # type: ignore[arg-type]
        assert answer["status"] == "error" and answer["message"], answer
