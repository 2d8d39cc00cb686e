"""Every figure is exact at every magnitude the declarations accept (issue 23).

Campaigns from cents to the declared bounds (ingest/warehouse/tables.py), one huge among
small ones, are written through the facade and through bulk files; every facade method's
figures are checked against a Python ``Decimal`` oracle, the marts against a full rebuild,
and a real ``dbt build`` (every model, data test and unit test) runs over the largest
figures the bounds allow: a model that multiplies money in a type that can overflow below
the bounds fails here.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dds_api.apps.dashboard import render_dashboard
from dds_api.current_marts.build import run_dbt
from dds_api.facade import DDSIntegration
from dds_api.formatting import money
from dds_api.memory import DDSMemory
from ingest.warehouse.tables import (
    COUNT,
    MAX_BUDGET_USD,
    MAX_COST_USD,
    MAX_RESULT_COUNT,
    MAX_REVENUE_USD,
    MAX_TOKENS,
    MAX_UNITS,
    MONEY,
    RAW_TABLES,
)
from tests.conftest import SPEC_CONFIG, make_dds, raw_state
from tests.warehouse.rebuild import assert_current, marts_as_rows

# the spec's rules and their default thresholds (dbt_project.yml), judged exactly
SPEC_RULES = (
    "high_cost_per_lead",
    "low_qualification_rate",
    "low_outreach_success",
    "negative_roi",
    "low_roi",
    "budget_exceeded",
    "scale_up",
)


@dataclass
class Planned:
    """One campaign's inputs, and the oracle's figures for them."""

    budget: Decimal
    costs: list[Decimal] = field(default_factory=list)  # in dollars, via calls and files
    snapshot: dict[str, Any] = field(default_factory=dict)  # the latest (only) snapshot

    def figure(self, name: str) -> int:
        return int(self.snapshot.get(name, 0))

    @property
    def cost(self) -> Decimal:
        return sum(self.costs, Decimal(0))

    @property
    def revenue(self) -> Decimal:
        return Decimal(self.snapshot.get("revenue", 0))

    def fired(self) -> set[str]:
        """The spec's rules, decided in exact decimals (DESIGN.md's table)."""
        cost, revenue, budget = self.cost, self.revenue, self.budget
        found, qualified = self.figure("leads_found"), self.figure("leads_qualified")
        sent, replied = self.figure("emails_sent"), self.figure("emails_replied")
        rules = {
            "high_cost_per_lead": found > 0 and cost > 20 * found,
            "low_qualification_rate": found > 0 and 100 * qualified < 30 * found,
            "low_outreach_success": sent > 0 and 100 * replied < 5 * sent,
            "negative_roi": cost > 0 and sent > 0 and revenue < cost,
            "low_roi": cost > 0 and revenue >= cost and 100 * (revenue - cost) < 100 * cost,
            "budget_exceeded": cost > budget,
            "scale_up": cost > 0
            and found > 0
            and 100 * (revenue - cost) > 300 * cost
            and cost < 15 * found
            and 100 * qualified > 40 * found,
        }
        return {rule for rule, fires in rules.items() if fires}


def ratio_or_zero(numerator: Decimal, denominator: Decimal | int) -> float:
    return 0.0 if denominator == 0 else float(Decimal(numerator) / Decimal(denominator))


def assert_close(actual: float, expected: float, what: str) -> None:
    """Ratios are doubles rounded to 6 places in the marts: equal to the exact value to
    double precision (and to the 6th place)."""
    assert math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-6), (what, actual, expected)


def write(dds: DDSIntegration, ids: list[str], plans: list[Planned], folder: Path) -> None:
    """Each campaign's first cost and its snapshot through single calls; the other costs
    through one bulk Parquet file (the bulk path validates and loads them in SQL)."""
    rows = []
    for campaign_id, plan in zip(ids, plans, strict=True):
        first, *rest = plan.costs
        logged = dds.log_dds_costs(
            campaign_id, {"operation": "scraping", "provider": "outscraper", "cost": first}
        )
        assert logged["status"] == "logged", logged
        rows += [
            {"campaign_id": campaign_id, "operation": "email_finding", "provider": "hunter_io",
             "cost": str(amount), "idempotency_key": f"{campaign_id}-{n}"}
            for n, amount in enumerate(rest)
        ]  # fmt: skip
        if plan.snapshot:
            answer = dds.log_dds_results(campaign_id, {"stage": "outreach", **plan.snapshot})
            assert answer["status"] == "logged", answer
    if rows:
        path = folder / "costs.parquet"
        pl.DataFrame(rows).with_columns(occurred_at=pl.lit("2026-01-01T00:00:00Z")).write_parquet(
            path
        )
        summary = dds.ingest("costs", str(path))
        assert summary["status"] != "error" and summary["quarantined"] == 0, summary


def check_answers(dds: DDSIntegration, ids: list[str], plans: list[Planned]) -> None:
    """Every facade method answers for every campaign, with the oracle's figures."""
    for campaign_id, plan in zip(ids, plans, strict=True):
        cost, revenue = plan.cost, plan.revenue
        found, qualified = plan.figure("leads_found"), plan.figure("leads_qualified")
        sent, replied = plan.figure("emails_sent"), plan.figure("emails_replied")
        metrics = dds.calculate_lead_metrics(campaign_id)
        assert metrics.get("status") != "error", metrics
        # money: the exact decimal, rounded once to the float the facade gives
        assert metrics["total_cost"] == money(cost)
        assert metrics["revenue_generated"] == money(revenue)
        assert metrics["profit"] == money(revenue - cost)
        assert metrics["budget_remaining"] == money(plan.budget - cost)
        assert metrics["leads_generated"] == found and metrics["emails_sent"] == sent
        assert_close(metrics["cost_per_lead"], ratio_or_zero(cost, found), "cost_per_lead")
        assert_close(
            metrics["cost_per_qualified_lead"], ratio_or_zero(cost, qualified), "cost_per_ql"
        )
        assert_close(metrics["roi"], ratio_or_zero(100 * (revenue - cost), cost), "roi")
        assert_close(metrics["qualification_rate"], ratio_or_zero(100 * qualified, found), "qual")
        assert_close(metrics["reply_rate"], ratio_or_zero(100 * replied, sent), "reply_rate")
        assert_close(metrics["budget_used"], ratio_or_zero(100 * cost, plan.budget), "budget")

        status = dds.get_campaign_status(campaign_id)
        assert status.get("status") != "error", status
        assert set(status["performance"]["flags"]) & set(SPEC_RULES) == plan.fired()
        assert status["performance"]["total_cost"] == money(cost)

        optimization = dds.optimize_campaign(campaign_id, dry_run=True)
        assert "recommendations" in optimization, optimization
        fired = {rec["rule"] for rec in optimization["recommendations"]}
        assert fired & set(SPEC_RULES) == plan.fired()

        for report_type in ("full", "costs", "leads", "outreach"):
            report = dds.generate_campaign_report(campaign_id, report_type)
            assert report.get("status") != "error", report
        costs_report = dds.generate_campaign_report(campaign_id, "costs")
        assert costs_report["total_cost"] == money(cost)
        by_provider = costs_report["cost_breakdown"]["by_provider"]
        assert sum(Decimal(str(v)) for v in by_provider.values()) == Decimal(str(money(cost)))

    portfolio = dds.get_all_campaigns_report()
    assert portfolio.get("status") != "error", portfolio
    total_cost = sum((plan.cost for plan in plans), Decimal(0))
    total_revenue = sum((plan.revenue for plan in plans), Decimal(0))
    assert portfolio["summary"]["total_cost"] == money(total_cost)
    assert portfolio["summary"]["total_revenue"] == money(total_revenue)
    assert portfolio["summary"]["profit"] == money(total_revenue - total_cost)
    assert_close(
        portfolio["summary"]["total_roi"],
        ratio_or_zero(100 * (total_revenue - total_cost), total_cost),
        "total_roi",
    )
    everything = dds.optimize_all_campaigns(dry_run=True)
    assert "all_results" in everything, everything
    memory = DDSMemory(dds)
    assert Decimal(str(memory.get_total_costs(department="sales"))) == Decimal(
        str(money(total_cost))
    )


# --------------------------------------------------------------- at the declared bounds


def test_every_method_answers_exactly_at_the_declared_bounds(
    warehouse_path: Path, tmp_path: Path
) -> None:
    """The largest figures the bounds allow, beside small campaigns: every answer exact, a
    real `dbt build` (every model and test) passes, and the marts equal a full rebuild."""
    dds = make_dds(warehouse_path)
    most = MAX_RESULT_COUNT
    plans = [
        # the spec's campaign: cents
        Planned(Decimal(150), [Decimal("2.50"), Decimal("0.15")],
                {"leads_found": 50, "leads_qualified": 20, "emails_sent": 60,
                 "emails_opened": 18, "emails_replied": 3, "revenue": Decimal(5000)}),
        # issue 23's first report: $20,000 spent, $25,000 earned
        Planned(Decimal(30000), [Decimal(20000)],
                {"leads_found": 500, "leads_qualified": 200, "emails_sent": 600,
                 "emails_replied": 30, "revenue": Decimal(25000)}),
        # every figure at its bound: 40 costs of the largest amount ($400M) through a file
        Planned(MAX_BUDGET_USD, [MAX_COST_USD] * 40,
                {"leads_found": most, "leads_qualified": most, "emails_sent": most,
                 "emails_opened": most, "emails_clicked": most, "emails_replied": most,
                 "revenue": MAX_REVENUE_USD}),
        # a huge loser with one lead: every ratio as large as it gets
        Planned(Decimal(1), [MAX_COST_USD] * 3,
                {"leads_found": 1, "leads_qualified": 1, "emails_sent": 1,
                 "emails_replied": 0, "revenue": Decimal("0.01")}),
        # nothing but a cent
        Planned(Decimal(1), [Decimal("0.01")]),
    ]  # fmt: skip
    try:
        ids = []
        for n, plan in enumerate(plans):
            deployed = dds.deploy_campaign(
                {
                    **SPEC_CONFIG,
                    "campaign_name": f"Magnitude {n}",
                    "budget": plan.budget,
                    "prospect_count": 1,
                }
            )
            assert deployed["status"] == "deployed", deployed
            ids.append(deployed["campaign_id"])
            assert dds.start_campaign(ids[-1])["status"] == "started"
        write(dds, ids, plans, tmp_path)
        # the largest token counts, priced from the price list, on the spec campaign
        usage = dds.log_dds_costs(
            ids[0],
            {"operation": "scoring", "provider": "anthropic",
             "model": "claude-3-5-haiku-20241022",
             "usage": {"input_tokens": MAX_TOKENS, "output_tokens": MAX_TOKENS}},
        )  # fmt: skip
        assert usage["status"] == "logged", usage
        plans[0].costs.append(Decimal(str(usage["cost"])))
        check_answers(dds, ids, plans)
        assert "Magnitude 2" in render_dashboard(dds)
    finally:
        dds.close()
    # every model, data test and unit test over these figures
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copy(warehouse_path, copy)
    run_dbt(("build", "--full-refresh"), str(copy))
    assert marts_as_rows(warehouse_path) == marts_as_rows(copy)


def test_every_decimal_the_models_make_is_money_wide(template_warehouse: Path) -> None:
    """Every DECIMAL column of every model is DECIMAL(38, ·) (macros/dds_money.sql): a new
    model that narrows money to DECIMAL(18, 6), where DuckDB types a product of two such
    values DECIMAL(18, 12) and overflows at 10^6, fails here before any data reaches it."""
    conn = duckdb.connect(str(template_warehouse), read_only=True)
    try:
        narrow = conn.execute(
            "select table_schema || '.' || table_name || '.' || column_name, data_type "
            "from information_schema.columns "
            "where data_type like 'DECIMAL%' and numeric_precision < 38 "
            "and table_schema in ('staging', 'intermediate', 'marts') order by 1"
        ).fetchall()
    finally:
        conn.close()
    assert narrow == []


# ------------------------------------------------------------- across magnitudes (property)


def magnitude(most: int, least: int = 0) -> st.SearchStrategy[int]:
    """Whole numbers spread over every order of magnitude up to ``most``, not only near it."""
    return st.integers(1, len(str(most))).flatmap(
        lambda digits: st.integers(least, max(least, min(most, 10**digits)))
    )


def dollars_up_to(most: Decimal, least_cents: int = 1) -> st.SearchStrategy[Decimal]:
    return magnitude(int(most * 100), least_cents).map(lambda cents: Decimal(cents) / 100)


@st.composite
def snapshots(draw: st.DrawFn) -> dict[str, Any]:
    found = draw(magnitude(MAX_RESULT_COUNT))
    sent = draw(magnitude(MAX_RESULT_COUNT))
    return {
        "leads_found": found,
        "leads_qualified": draw(st.integers(0, found)),
        "emails_sent": sent,
        "emails_opened": draw(st.integers(0, sent)),
        "emails_replied": draw(st.integers(0, sent)),
        "revenue": draw(dollars_up_to(MAX_REVENUE_USD, least_cents=0)),
    }


campaign_plans = st.builds(
    Planned,
    budget=dollars_up_to(MAX_BUDGET_USD, least_cents=100),
    costs=st.lists(dollars_up_to(MAX_COST_USD), min_size=1, max_size=3),
    snapshot=st.one_of(st.just({}), snapshots()),
)


@settings(
    # more for a deeper local run: DDS_PROPERTY_EXAMPLES=30
    max_examples=int(os.environ.get("DDS_PROPERTY_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(campaign_plans, min_size=2, max_size=4))
def test_every_answer_equals_the_decimal_oracle_across_magnitudes(
    plans: list[Planned],
    template_warehouse: Path,
    full_build_sql: dict,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("magnitudes")
    path = folder / "dds.duckdb"
    shutil.copy(template_warehouse, path)
    dds = make_dds(path, idle_release_seconds=600)
    try:
        ids = []
        for n, plan in enumerate(plans):
            deployed = dds.deploy_campaign(
                {**SPEC_CONFIG, "campaign_name": f"Drawn {n}", "budget": plan.budget,
                 "prospect_count": 1}
            )  # fmt: skip
            assert deployed["status"] == "deployed", deployed
            ids.append(deployed["campaign_id"])
            dds.start_campaign(ids[-1])
        write(dds, ids, plans, folder)
        check_answers(dds, ids, plans)
        assert_current(dds, full_build_sql)
    finally:
        dds.close()


# ------------------------------------------------------------------- past the bounds


def test_every_money_and_count_input_declares_its_bound() -> None:
    for table in RAW_TABLES:
        for declared in table.inputs:
            if declared.rule in (MONEY, COUNT):
                assert declared.maximum is not None, f"{table.name}.{declared.name}"


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        ("costs", {"cost": MAX_COST_USD + Decimal("0.01")}),
        ("costs", {"units": MAX_UNITS + 1}),
        ("costs", {"model": "claude-3-5-haiku-20241022", "input_tokens": MAX_TOKENS + 1}),
        # within every input's bound, but priced above the largest cost of one event
        ("costs", {"item": "email_finder", "units": MAX_UNITS}),
        ("results", {"revenue": MAX_REVENUE_USD + Decimal("0.01")}),
        ("results", {"leads_found": MAX_RESULT_COUNT + 1}),
    ],
)
def test_a_figure_past_its_bound_is_refused_by_a_call_and_a_file_alike(
    dds: DDSIntegration, campaign_id: str, tmp_path: Path, kind: str, row: dict[str, Any]
) -> None:
    before = raw_state(dds)
    if kind == "costs":
        fields = {"operation": "email_finding", "provider": "hunter_io", **row}
        answer = dds.log_dds_costs(campaign_id, fields)
    else:
        fields = {"stage": "closed", **row}
        answer = dds.log_dds_results(campaign_id, fields)
    assert answer["status"] == "error" and "largest accepted" in answer["message"], answer
    path = tmp_path / "rows.parquet"
    pl.DataFrame(
        [{"campaign_id": campaign_id, "occurred_at": "2026-01-01T00:00:00Z",
          **{key: str(value) for key, value in fields.items()}}]
    ).write_parquet(path)  # fmt: skip
    summary = dds.ingest(kind, str(path))
    assert summary["loaded"] == 0 and summary["quarantined"] == 1, summary
    assert "largest accepted" in json.dumps(summary)
    after = raw_state(dds)
    assert {k: v for k, v in after.items() if k not in ("quarantine", "ingest_batches")} == {
        k: v for k, v in before.items() if k not in ("quarantine", "ingest_batches")
    }


def test_a_deployment_past_its_bounds_is_refused(dds: DDSIntegration) -> None:
    before = raw_state(dds)
    for config in (
        {**SPEC_CONFIG, "budget": MAX_BUDGET_USD + 1},
        {**SPEC_CONFIG, "prospect_count": 1_000_001},
    ):
        answer = dds.deploy_campaign(config)
        assert answer["status"] == "error" and "largest accepted" in answer["message"], answer
    assert raw_state(dds) == before
