"""A model's row-level checks run as one dbt test (macros/row_checks.sql) instead of one node
per column: a bad value still fails the build, and the failure still names the check (the
column and its condition) and the rows, on both engines."""

from __future__ import annotations

import pytest

from dds_api.current_marts.build import DbtError, build
from dds_api.facade import DDSIntegration


@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_each_kind_of_row_check_fails_on_bad_data_and_names_the_check(
    dds: DDSIntegration, campaign_id: str
) -> None:
    dds.log_dds_costs(campaign_id, {"operation": "scraping", "provider": "outscraper", "cost": 1})
    with dds.read():  # dbt tests the tables as they are: bring them up to date first
        pass
    select = ["test", "--select", "campaign_metrics,test_name:row_checks"]
    output = build(dds.warehouse, select)
    assert "PASS=1 WARN=0 ERROR=0" in output, output[-2000:]

    # the table the facade reads, made wrong the four ways one row_checks test checks: a
    # null (not_null), a broken invariant (a model-level expression), a negative count (a
    # column's expression) and a value outside its list (accepted_values)
    with dds.warehouse.transaction() as conn:
        conn.execute(
            "update marts.campaign_metrics set profit_usd = null, "
            "leads_qualified = leads_found + 1, emails_sent = -1, "
            "outreach_source = 'carrier pigeon' where campaign_id = ?",
            [campaign_id],
        )
    with pytest.raises(DbtError) as failure:
        build(dds.warehouse, select)
    message = str(failure.value)
    assert "row_checks_campaign_metrics" in message
    for check in (
        "profit_usd is not null",
        "leads_qualified <= leads_found",
        "emails_sent >= 0",
        "outreach_source in ('sendgrid_events', 'snapshots')",
    ):
        assert f"  {check}: 1 rows" in message, message
    assert campaign_id in message  # the failing row itself
    # dbt's pointer to the test's SQL survives the build's own target folder
    assert "compiled code at" in message and "dds-build-" not in message
