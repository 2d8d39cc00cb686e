"""kill -9 in the middle of writing: after a restart the warehouse opens, every acknowledged
event is there exactly once, and an unacknowledged one is absent or whole.

The writer is a real process printing an acknowledgement after each call returns; the test
reads them and kills it with SIGKILL at an arbitrary point. No mocks: DuckDB's WAL and the
spool's SQLite WAL are what make this hold.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from ingest import spool
from ingest.costs import CostEvent, parse_cost
from tests.conftest import SPEC_CONFIG, make_dds

STREAM = textwrap.dedent("""
    import sys
    from decimal import Decimal
    from dds_api import get_dds

    campaign = sys.argv[1]
    dds = get_dds()
    for i in range(100_000):
        result = dds.log_dds_costs(campaign, {
            "operation": "scoring", "provider": "anthropic", "cost": Decimal(i) / 100,
            "details": {"i": i},
        })
        assert result["status"] == "logged", result
        print(i, int(bool(result.get("spooled"))), flush=True)  # the acknowledgement
""")

HOLD = textwrap.dedent("""
    import time
    from ingest.warehouse.settings import Settings
    from ingest.warehouse.connection import Warehouse

    with Warehouse(Settings.from_env()).exclusive():
        print("held", flush=True)
        time.sleep(600)
""")

DRAIN = textwrap.dedent("""
    from ingest.warehouse.settings import Settings
    from ingest.warehouse.connection import Warehouse

    warehouse = Warehouse(Settings.from_env())
    print("draining", flush=True)
    with warehouse.connect():
        pass
""")


def _start(code: str, path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DDS_WAREHOUSE": str(path), "DDS_LOCK_TIMEOUT_SECONDS": "60"}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, text=True
    )


def _kill_after(
    proc: subprocess.Popen[str], acks: int, *, kill: bool = True
) -> list[tuple[int, bool]]:
    """Read `acks` acknowledgements, SIGKILL the writer mid-stream, return what was acked."""
    assert proc.stdout is not None
    acked = []
    for _ in range(acks):
        line = proc.stdout.readline()
        assert line, "the writer died before it was killed"
        i, spooled = line.split()
        acked.append((int(i), spooled == "1"))
    if kill:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    return acked


def _stored(path: Path) -> dict[int, list[Decimal]]:
    """Cost amounts by the writer's event number, after a restart (which applies the spool)."""
    dds = make_dds(path)
    with dds.warehouse.connect() as conn:
        rows = conn.execute(
            "select cast(details ->> 'i' as integer), cost_usd from raw.cost_events"
        ).fetchall()
    dds.close()
    stored: dict[int, list[Decimal]] = {}
    for i, amount in rows:
        stored.setdefault(i, []).append(amount)
    return stored


def _campaign(path: Path) -> str:
    dds = make_dds(path)
    campaign_id = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    dds.close()
    return campaign_id


def _check(acked: list[tuple[int, bool]], stored: dict[int, list[Decimal]]) -> None:
    for i, _ in acked:
        assert stored.get(i) == [Decimal(i) / 100], i  # there, once, exactly as sent
    unacked = set(stored) - {i for i, _ in acked}
    # at most the call in flight when the writer died, and then whole
    assert len(unacked) <= 1
    for i in unacked:
        assert stored[i] == [Decimal(i) / 100]


@pytest.mark.slow
def test_killed_single_event_stream_keeps_every_acknowledged_cost(warehouse_path: Path) -> None:
    campaign_id = _campaign(warehouse_path)
    writer = _start(STREAM, warehouse_path, campaign_id)
    acked = _kill_after(writer, 300)
    assert not any(spooled for _, spooled in acked)  # alone: every write went straight in
    _check(acked, _stored(warehouse_path))


@pytest.mark.slow
def test_killed_stream_into_the_spool_keeps_every_acknowledged_cost(warehouse_path: Path) -> None:
    """Another process takes the warehouse (as dbt does) while the writer streams, so the
    writer spools; it dies with writes in the spool."""
    campaign_id = _campaign(warehouse_path)
    writer = _start(STREAM, warehouse_path, campaign_id)
    holder = None
    try:
        acked = _kill_after(writer, 1, kill=False)  # the writer is up and writing
        holder = _start(HOLD, warehouse_path)  # waits for its turn, then keeps the file
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        acked += _kill_after(writer, 300)
    finally:
        for proc in (writer, holder):
            if proc is not None:
                proc.kill()
                proc.wait()
    # writes went straight in until the holder took its turn, then into the spool
    assert acked[-1][1] and sum(spooled for _, spooled in acked) >= 100
    _check(acked, _stored(warehouse_path))


@pytest.mark.slow
def test_killed_while_applying_the_spool_applies_nothing_twice(warehouse_path: Path) -> None:
    campaign_id = _campaign(warehouse_path)
    dds = make_dds(warehouse_path)
    queue = dds.warehouse.spool
    for i in range(1500):
        queue.append(spool.cost_write(campaign_id, _cost(i)))
    dds.close()
    drainer = _start(DRAIN, warehouse_path)
    assert drainer.stdout is not None and drainer.stdout.readline().strip() == "draining"
    while queue.counts()["pending"] > 1000:  # some batches committed, more to come
        time.sleep(0.01)
    os.kill(drainer.pid, signal.SIGKILL)
    drainer.wait()
    stored = _stored(warehouse_path)
    assert sorted(stored) == list(range(1500))
    assert all(amounts == [Decimal(i) / 100] for i, amounts in stored.items())


def test_a_crash_between_commit_and_spool_delete_applies_nothing_twice(
    warehouse_path: Path,
) -> None:
    """The narrow window, made deterministic: the DuckDB transaction commits and the
    process dies before the spool rows are deleted."""
    campaign_id = _campaign(warehouse_path)
    dds = make_dds(warehouse_path)
    queue = dds.warehouse.spool
    for i in range(5):
        queue.append(spool.cost_write(campaign_id, _cost(i)))
    pending = queue.pending(up_to=queue.high_water_mark())
    assert len(pending) == 5
    with dds.warehouse.connect():  # applies the spool; the rows are put back below
        pass
    dds.close()
    # put the five rows back, as they would be had settle() never run
    for item in pending:
        queue._connection().execute(
            "insert into spool (id, spool_id, kind, campaign_id, payload, spooled_at, pid) "
            "values (?, ?, ?, ?, ?, ?, 0)",
            [
                item.row_id,
                item.spool_id,
                item.write.kind,
                item.write.campaign_id,
                spool.json.dumps(spool._encode(item.write.payload)),
                item.spooled_at,
            ],
        )
    assert queue.counts()["pending"] == 5
    stored = _stored(warehouse_path)
    assert {i: len(amounts) for i, amounts in stored.items()} == dict.fromkeys(range(5), 1)
    assert queue.counts() == {"pending": 0, "rejected": 0}


def _cost(i: int) -> CostEvent:
    return parse_cost(
        {
            "operation": "scoring",
            "provider": "anthropic",
            "cost": Decimal(i) / 100,
            "details": {"i": i},
        }
    )


BULK = textwrap.dedent("""
    import sys
    import time
    from dds_api import get_dds

    def inside(done, total):
        # the first chunk is written, the transaction still open: wait here to be killed
        print("inside", done, flush=True)
        time.sleep(60)

    dds = get_dds()
    print("loading", flush=True)
    summary = dds.ingest("costs", sys.argv[1], progress=inside)
    print("done", summary["loaded"], flush=True)  # the acknowledgement
""")


@pytest.mark.slow
def test_killed_bulk_ingest_leaves_nothing_half_written(
    warehouse_path: Path, tmp_path: Path
) -> None:
    """A bulk load is one transaction: killed before it is acknowledged, none of its rows
    (and no batch record) is there after a restart; loading the file again loads it whole."""
    campaign_id = _campaign(warehouse_path)
    rows = 400_000
    path = tmp_path / "costs.parquet"
    pl.DataFrame(
        {
            "campaign_id": [campaign_id] * rows,
            "operation": ["scoring"] * rows,
            "provider": ["anthropic"] * rows,
            "cost": [f"{i / 100:.2f}" for i in range(rows)],
            "occurred_at": ["2025-01-01T00:00:00Z"] * rows,
            "idempotency_key": [f"row-{i}" for i in range(rows)],
        }
    ).write_parquet(path)
    loader = _start(BULK, warehouse_path, str(path))
    assert loader.stdout is not None and loader.stdout.readline().strip() == "loading"
    # killed inside the load's transaction, once its first chunk of rows is written (a
    # fixed sleep raced the load as it got faster)
    assert loader.stdout.readline().split()[0] == "inside"
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait()
    assert loader.stdout.read() == ""  # killed before it acknowledged anything

    dds = make_dds(warehouse_path)  # the warehouse opens after the crash
    with dds.warehouse.connect() as conn:
        [(stored, batches)] = conn.execute(
            "select (select count(*) from raw.cost_events), "
            "(select count(*) from raw.ingest_batches)"
        ).fetchall()
    assert (stored, batches) == (0, 0)
    summary = dds.ingest("costs", str(path))
    assert (summary["loaded"], summary["duplicates"], summary["quarantined"]) == (rows, 0, 0)
    with dds.warehouse.connect() as conn:
        [(total,)] = conn.execute("select sum(cost_usd) from raw.cost_events").fetchall()
    dds.close()
    assert total == sum(Decimal(i) for i in range(rows)) / 100
