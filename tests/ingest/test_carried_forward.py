"""The write-time check and the marts carry omitted snapshot figures forward alike.

`log_dds_results` refuses a snapshot that, with omitted figures carried forward and slotted in
by its occurred_at, would contradict itself or a later snapshot (ingest/results.py,
`merged_snapshots`). The marts read the same carried figures from
`int_result_snapshots_carried_forward`. The write must decide before anything is stored, while
that table is brought up to date only before reads, so the rule runs in both places
(DECISIONS.md, "Each rule kept once"); this property holds them to the same figures for every
snapshot, whatever the order of arrival, the gaps and the ties.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.results import FIGURE_COLUMN_NAMES, FIGURE_FIELDS, merged_snapshots
from tests.conftest import SPEC_CONFIG, make_dds

START = datetime(2024, 5, 1, 9, 0)

# A snapshot: minutes after START (few distinct values, so ties happen) and the figures it
# gives (a subset; the rest carried forward).
snapshots = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=6),
        st.fixed_dictionaries(
            {},
            optional={
                "leads_found": st.integers(0, 40),
                "leads_qualified": st.integers(0, 40),
                "emails_sent": st.integers(0, 40),
                "emails_opened": st.integers(0, 40),
                "revenue": st.decimals(0, 500, places=2),
            },
        ).filter(bool),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reported=snapshots)
def test_write_check_and_marts_carry_figures_alike(
    new_warehouse: Callable[[], str], reported: list[tuple[int, dict]]
) -> None:
    dds = make_dds(new_warehouse())  # one fresh warehouse per example
    try:
        campaign_id = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
        accepted = 0
        for minutes, figures in reported:
            occurred_at = (START + timedelta(minutes=minutes)).isoformat()
            result = dds.log_dds_results(
                campaign_id, {"stage": "outreach", "occurred_at": occurred_at, **figures}
            )
            # a contradiction is refused (and stores nothing); the rest are stored
            assert result["status"] in ("logged", "error"), result
            accepted += result["status"] == "logged"

        with dds.read(needs=("int_result_snapshots_carried_forward",)) as conn:
            in_marts = {
                row[0]: dict(zip(FIGURE_FIELDS, row[1:], strict=True))
                for row in conn.execute(
                    f"""
                    select snapshot_id, {", ".join(FIGURE_COLUMN_NAMES)}
                    from intermediate.int_result_snapshots_carried_forward
                    where campaign_id = ?
                    """,
                    [campaign_id],
                ).fetchall()
            }
            # the write check's figures for every stored snapshot: a candidate that gives
            # nothing, slotted in before them all, changes none of them
            nothing = [None] * len(FIGURE_FIELDS)
            at_write = merged_snapshots(
                conn, campaign_id, since=START - timedelta(days=1), candidate=("-", nothing)
            )
        at_write.pop("-")
        assert len(in_marts) == accepted
        assert at_write == in_marts
        for figures in in_marts.values():
            assert figures["leads_qualified"] <= figures["leads_found"]
            assert figures["emails_opened"] <= figures["emails_sent"]
    finally:
        dds.close()
