"""Reads with nothing written on the PostgreSQL warehouse (DECISIONS.md, "A read with nothing
written looks at the raw sequence once"): a host skips the refresh when one look at the raw
sequence shows that nobody wrote since its last one, and still sees, in its next read, every
write another host (or process) had acknowledged before it: through each write path, a writer
caught mid-write, a sequence that caches values, a restarted server. A real server
(tests/postgres_server.py). The build, mid-write and caching-sequence tests fail with the draw
under the append lock, the free-lock check or the cache check removed.

Two facades in one process are two hosts here: each has its own connection and its own
memory of what it last saw; one test starts the writer as a process of its own.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from dds_api import current_marts
from dds_api.current_marts import refresh
from dds_api.current_marts.build import build
from dds_api.facade import DDSIntegration
from ingest import spool as spool_module
from ingest.costs import parse_cost, record_cost
from ingest.warehouse.postgres import connect
from tests.conftest import SPEC_CONFIG, make_dds
from tests.postgres_server import PostgresServer
from tests.warehouse.processes import result, spawn

COST = {"operation": "scoring", "provider": "anthropic"}


@pytest.fixture
def url(
    postgres_server: PostgresServer,
    template_postgres: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path / "state"))
    name = f"reads_{os.getpid()}_{tmp_path.name}"[:63]
    yield postgres_server.create_database(name, template=template_postgres)
    postgres_server.drop_database(name)


@pytest.fixture
def hosts(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    """Host A, which reads, and host B, which writes: each with its own state folder. Time
    alone does not make A look again here (a slow build could outlast RECHECK_SECONDS and
    hide a write A did not see)."""
    monkeypatch.setattr(current_marts, "RECHECK_SECONDS", 24 * 3600.0)
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path / "a"))
    reader = make_dds(url)
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path / "b"))
    writer = make_dds(url)
    try:
        yield reader, writer
    finally:
        reader.close()
        writer.close()


def started(dds: DDSIntegration) -> str:
    campaign_id = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    assert dds.start_campaign(campaign_id)["status"] == "started"
    return campaign_id


def total_cost(dds: DDSIntegration, campaign_id: str) -> Decimal:
    answer = dds.calculate_lead_metrics(campaign_id)
    assert answer.get("status") != "error", answer
    return Decimal(str(answer["total_cost"]))


def settled(reader: DDSIntegration, campaign_id: str) -> int:
    """Read until nothing is left to refresh; the generation the reader then holds."""
    total_cost(reader, campaign_id)
    generation = reader.warehouse.generation
    total_cost(reader, campaign_id)
    assert reader.warehouse.generation == generation, "a read with nothing written moved it"
    return generation


# ------------------------------------------------------------------ nothing written


def test_reads_with_nothing_written_do_not_refresh_and_other_hosts_reads_do_not_count(
    hosts: tuple[DDSIntegration, DDSIntegration],
) -> None:
    reader, writer = hosts
    campaign_id = started(writer)
    generation = settled(reader, campaign_id)
    for _ in range(3):
        reader.get_campaign_status(campaign_id)
        reader.optimize_campaign(campaign_id)
        writer.get_campaign_status(campaign_id)  # B's reads, and B's refreshes, write nothing
    assert reader.warehouse.generation == generation
    # a refused write writes nothing either: its transaction rolls back, draw and all
    refused = writer.log_dds_costs(campaign_id, {**COST, "cost": -1})
    assert refused["status"] == "error", refused
    total_cost(reader, campaign_id)
    # (a rolled-back draw still moves the sequence: the reader looks once more, harmlessly)
    settled(reader, campaign_id)


# ------------------------------------------------------------ every write path is seen


def test_each_write_path_of_another_host_reaches_this_hosts_next_read(
    hosts: tuple[DDSIntegration, DDSIntegration], tmp_path: Path
) -> None:
    reader, writer = hosts
    campaign_id = started(writer)
    cost = Decimal("0")

    def seen_after(write: str) -> None:
        before = settled(reader, campaign_id)
        if write == "log_dds_costs":
            assert writer.log_dds_costs(campaign_id, {**COST, "cost": 1})["status"] == "logged"
        elif write == "bulk load":
            now = datetime.now(timezone.utc).isoformat()
            frame = pl.DataFrame(
                {
                    "campaign_id": [campaign_id] * 2,
                    **{key: [value] * 2 for key, value in COST.items()},
                    "cost": ["2", "3"],
                    "occurred_at": [now] * 2,
                }
            )
            loaded = writer.ingest("costs", frame)
            assert loaded.get("loaded") == 2, loaded
        elif write == "spool drain":
            # a write B spooled during an outage, applied by B's next use of the server
            writer.warehouse.spool.append(
                spool_module.cost_write(campaign_id, parse_cost({**COST, "cost": 4}))
            )
            writer.get_campaign_status(campaign_id)
            assert not writer.warehouse.spool.has_pending()
        expected = {"log_dds_costs": 1, "bulk load": 5, "spool drain": 4}[write]
        nonlocal cost
        cost += expected
        assert total_cost(reader, campaign_id) == cost, write
        assert reader.warehouse.generation != before

    for write in ("log_dds_costs", "bulk load", "spool drain"):
        seen_after(write)

    before = settled(reader, campaign_id)
    results = writer.log_dds_results(campaign_id, {"stage": "outreach", "leads_found": 7})
    assert results.get("status") != "error", results
    assert reader.calculate_lead_metrics(campaign_id)["leads_generated"] == 7
    assert reader.warehouse.generation != before

    settled(reader, campaign_id)
    deployed = writer.deploy_campaign({**SPEC_CONFIG, "campaign_name": "Another"})
    assert deployed["status"] == "deployed", deployed
    other = deployed["campaign_id"]
    assert reader.get_campaign_status(other)["status"] == "deployed"

    settled(reader, campaign_id)
    assert writer.stop_campaign(other)["status"] == "stopped"
    assert reader.get_campaign_status(other)["status"] == "stopped"


def test_a_build_on_another_host_that_appends_nothing_reaches_this_hosts_next_read(
    hosts: tuple[DDSIntegration, DDSIntegration], url: str
) -> None:
    """A build appends no raw row, yet changes answers: here it fixes a campaign whose refresh
    failed (planted as in tests/warehouse/test_refresh.py), which this host named as failing.
    Storing the build's plan takes the append lock, which moves the sequence this host looks
    at; without that draw, it would keep naming the campaign."""
    reader, writer = hosts
    healthy = started(writer)
    broken = writer.deploy_campaign({**SPEC_CONFIG, "campaign_name": "Broken"})["campaign_id"]
    assert writer.start_campaign(broken)["status"] == "started"
    with writer.warehouse.connect() as conn:
        conn.execute(
            f"update {refresh.PLAN_TABLE} set sql = 'select * from (' || sql || "
            "chr(10) || ') as planted where case when campaign_id = ''' || ? || ''' then "
            "1 / (length(campaign_id) - length(campaign_id)) = 1 else true end' "
            "where model = 'campaign_metrics'",
            [broken],
        )
    reader.close()
    reader = make_dds(url)  # a host that loads the planted plan
    try:
        for campaign_id, cost in ((healthy, 2), (broken, 7)):
            assert writer.log_dds_costs(campaign_id, {**COST, "cost": cost})["status"] == "logged"
        assert total_cost(reader, healthy) == 2
        assert reader.calculate_lead_metrics(broken)["status"] == "error"
        assert broken in reader.failing_campaigns
        build(writer.warehouse, ("run",))
        assert total_cost(reader, broken) == 7
        assert reader.failing_campaigns == {}
    finally:
        reader.close()


# ------------------------------------------------- the probe's edge: a writer at work


def test_a_read_while_another_host_is_mid_write_sees_that_write_once_it_commits(
    hosts: tuple[DDSIntegration, DDSIntegration],
) -> None:
    """The reader looks while B holds the append lock with a row drawn and uncommitted: the
    sequence already covers that row, so the look must count for nothing, or the reader
    would take the sequence as seen and miss the row when it commits."""
    reader, writer = hosts
    campaign_id = started(writer)
    settled(reader, campaign_id)
    with writer.warehouse.transaction() as conn:
        record_cost(conn, campaign_id, parse_cost({**COST, "cost": 5}))
        assert total_cost(reader, campaign_id) == 0  # not committed yet
    assert total_cost(reader, campaign_id) == 5


def test_a_sequence_that_caches_values_makes_every_read_look_again(
    hosts: tuple[DDSIntegration, DDSIntegration], url: str
) -> None:
    """With CACHE > 1, a host draws from values it took earlier without moving the sequence:
    the probe cannot tell, so every read refreshes (and still sees every write)."""
    reader, writer = hosts
    campaign_id = started(writer)
    with connect(url) as admin:
        admin.execute("alter sequence raw.event_seq cache 20")
    for cents in (1, 2, 3):
        writer.log_dds_costs(campaign_id, {**COST, "cost": Decimal(cents) / 100})
        expected = Decimal(sum(range(1, cents + 1))) / 100
        assert total_cost(reader, campaign_id) == expected
    generation = reader.warehouse.generation
    total_cost(reader, campaign_id)
    assert reader.warehouse.generation != generation


# ------------------------------------------------------- another process, a restart

WRITER = textwrap.dedent("""
    import json, sys
    from dds_api import get_dds

    dds = get_dds()
    logged = dds.log_dds_costs(sys.argv[1], {"operation": "scoring", "provider": "anthropic",
                                             "cost": float(sys.argv[2])})
    dds.close()
    print(json.dumps(logged))
""")


def test_a_write_acknowledged_by_another_process_is_in_this_processs_next_read(
    hosts: tuple[DDSIntegration, DDSIntegration], url: str, tmp_path: Path
) -> None:
    reader, writer = hosts
    campaign_id = started(writer)
    for n, cost in enumerate(("1.25", "2.50"), start=1):
        settled(reader, campaign_id)
        state = tmp_path / f"process-{n}"
        logged = result(
            spawn(WRITER, [campaign_id, cost], DDS_WAREHOUSE=url, DDS_STATE_DIR=str(state)),
            timeout=120,
        )
        assert logged["status"] == "logged", logged
        # acknowledged (the process printed it and exited): this read must include it
        assert total_cost(reader, campaign_id) == (Decimal("1.25") if n == 1 else Decimal("3.75"))


def test_a_restarted_server_makes_the_next_read_look_again(
    hosts: tuple[DDSIntegration, DDSIntegration], postgres_server: PostgresServer
) -> None:
    reader, writer = hosts
    campaign_id = started(writer)
    generation = settled(reader, campaign_id)
    postgres_server.stop()
    postgres_server.start()
    # both hosts' connections are gone: a first use may say so; the next one reconnects
    for host in (reader, writer):
        answer = host.calculate_lead_metrics(campaign_id)
        if answer.get("status") == "error":
            assert "did not answer" in answer["message"], answer
    assert writer.log_dds_costs(campaign_id, {**COST, "cost": 1})["status"] == "logged"
    assert not writer.warehouse.spool.has_pending()
    assert total_cost(reader, campaign_id) == 1
    assert reader.warehouse.generation != generation
