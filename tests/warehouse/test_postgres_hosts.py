"""NovaOS on two hosts over one PostgreSQL warehouse, through an outage.

Two "hosts" are two process groups, each with its own state folder (its own spool): two
writers and a reader each, all at once, while a poller watches the high-water ``seq``. In
the middle the server stops for a few seconds and starts again. Every acknowledged write
must be stored exactly once (the spooled ones applied when the server is back), the reads
consistent, and no poll may see the watermark ahead of an uncommitted row.
"""

from __future__ import annotations

import os
import textwrap
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ingest.warehouse.postgres import connect
from tests.conftest import SPEC_CONFIG, make_dds
from tests.postgres_server import PostgresServer
from tests.warehouse.processes import result, spawn, watermark_skips
from tests.warehouse.test_concurrency import WRITER

HOSTS, WRITERS_PER_HOST = 2, 2
EVENTS = int(os.environ.get("DDS_CONCURRENCY_EVENTS_PG", "300"))

READER = textwrap.dedent("""
    import json, os, sys
    from dds_api import get_dds

    stop, expected_campaigns = sys.argv[1], int(sys.argv[2])
    dds = get_dds()
    reads = unreachable = 0
    problems = []
    last_total = -1.0
    while not os.path.exists(stop) or reads < 3:
        report = dds.get_all_campaigns_report()
        if report.get("status") == "error":
            # the server is down: a read cannot spool; anything else is a problem
            if "did not answer" not in report["message"]:
                problems.append(report)
            unreachable += 1
            continue
        reads += 1
        summary, rows = report["summary"], report["campaigns"]
        total = summary["total_cost"]
        if summary["total_campaigns"] != expected_campaigns:
            problems.append(["campaigns", summary["total_campaigns"]])
        if abs(sum(row["total_cost"] for row in rows) - total) > 1e-6:
            problems.append(["rows do not add up to the summary", total])
        if total < last_total - 1e-9:
            problems.append(["total went down", last_total, total])
        last_total = total
    dds.close()
    print(json.dumps({"reads": reads, "unreachable": unreachable, "problems": problems[:5]}))
""")


@pytest.mark.slow
def test_two_hosts_write_through_an_outage_and_lose_or_double_nothing(
    postgres_server: PostgresServer,
    template_postgres: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = postgres_server.create_database(f"hosts_{os.getpid()}", template=template_postgres)
    url_with_timeout = url + "&connect_timeout=2"
    states = [tmp_path / f"host-{h}" for h in range(HOSTS)]
    monkeypatch.setenv("DDS_STATE_DIR", str(states[0]))
    dds = make_dds(url)
    ids = []
    for n in range(HOSTS * WRITERS_PER_HOST + 2):
        deployed = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": f"campaign {n}"})
        ids.append(deployed["campaign_id"])
        dds.start_campaign(deployed["campaign_id"])
    dds.close()
    own, shared = ids[: HOSTS * WRITERS_PER_HOST], ids[HOSTS * WRITERS_PER_HOST :]
    stop = tmp_path / "stop"

    polls: list[tuple[int, int]] = []
    polling = threading.Event()
    polling.set()

    def poll() -> None:
        conn = None
        while polling.is_set():
            try:
                conn = conn or connect(url)
                [(high, seen)] = conn.execute(
                    "select coalesce(max(seq), 0), count(*) from raw.cost_events"
                ).fetchall()
                polls.append((high, seen))
            except psycopg.OperationalError:
                conn = None
                time.sleep(0.1)

    poller = threading.Thread(target=poll)
    poller.start()
    host_env = [{"DDS_WAREHOUSE": url_with_timeout, "DDS_STATE_DIR": str(s)} for s in states]
    readers = [spawn(READER, [str(stop), str(len(ids))], **env) for env in host_env]
    writers = [
        spawn(WRITER, [str(w), str(EVENTS), own[w], *shared], **host_env[w % HOSTS])
        for w in range(HOSTS * WRITERS_PER_HOST)
    ]
    procs = [*readers, *writers]
    try:
        # the server stops once the writers are well under way (a quarter of the costs in)
        deadline = time.monotonic() + 120
        while (not polls or polls[-1][1] < HOSTS * WRITERS_PER_HOST * EVENTS // 4) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.01)
        postgres_server.stop()
        time.sleep(3)  # the outage: writes spool on their host, reads answer an error
        postgres_server.start()
        written = [result(proc, timeout=900) for proc in writers]
        stop.touch()
        reads = [result(proc, timeout=300) for proc in readers]
    finally:
        polling.clear()
        poller.join()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    for report in written:
        assert report["errors"] == []
    for report in reads:
        assert report["problems"] == []
    assert sum(report["spooled"] for report in written) > 0  # the outage was felt

    # each host's next use applies whatever its spool still holds
    for state in states:
        monkeypatch.setenv("DDS_STATE_DIR", str(state))
        host = make_dds(url)
        with host.warehouse.connect():
            pass
        assert not host.warehouse.spool.has_pending()
        assert host.warehouse.spool.counts()["rejected"] == 0
        host.close()

    sent: dict[str, Decimal] = {}
    for report in written:
        for campaign, amount in report["sent"].items():
            sent[campaign] = sent.get(campaign, Decimal(0)) + Decimal(amount)
    conn = connect(url)
    stored = dict(
        conn.execute(
            "select campaign_id, sum(cost_usd) from raw.cost_events group by campaign_id"
        ).fetchall()
    )
    [(rows, distinct_details)] = conn.execute(
        "select count(*), count(distinct details) from raw.cost_events"
    ).fetchall()
    assert stored == sent  # exact: nothing lost, nothing counted twice
    assert rows == distinct_details == HOSTS * WRITERS_PER_HOST * EVENTS
    [(snapshots,)] = conn.execute("select count(*) from raw.result_snapshots").fetchall()
    assert snapshots == sum(report["snapshots"] for report in written)

    assert len(polls) > 20 and watermark_skips(conn, polls) == 0
