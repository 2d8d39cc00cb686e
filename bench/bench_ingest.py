"""Ingest speed beside DuckDB's own, measured in the same run.

    .venv/bin/python bench/bench_ingest.py [--events 1000000] [--campaigns 100] [--calls 300]

Bulk: N cost events from Parquet (dollars, tokens and units mixed), validated, priced,
deduplicated and inserted; the same file again (every row a duplicate); and the reference,
DuckDB appending the same file to a plain table with no checks. Prints each load's ratio
to the reference (targets, issue 26: within 5x; the duplicates within 1.5x), in wall-clock
seconds and in this process's CPU seconds (steadier on a shared machine).

Single calls: the p50 of ``log_dds_costs`` beside the p50 of a bare insert of the same row
into raw.cost_events and a commit, on the same open warehouse (target: within 1.5x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb

from dds_api.facade import DDSIntegration
from dds_api.samples.demo import SPEC_EXAMPLE_CONFIG
from ingest import bulk
from ingest.validation import utc_now
from ingest.warehouse.settings import Settings

os.environ.setdefault("DO_NOT_TRACK", "1")


def write_cost_events(conn: duckdb.DuckDBPyConnection, ids: list[str], n: int, path: Path) -> None:
    """Realistic cost rows, deterministic (hashes of the row number): a third in dollars,
    a third as Claude tokens and a third as Outscraper searches, priced from the list."""
    conn.execute(
        """
        copy (
            with numbered as (
                select i, i % 3 as kind, hash(i) as h from range(?) as t(i)
            )
            select
                list_extract(?::varchar[], cast(h % ? as integer) + 1) as campaign_id,
                case kind when 2 then 'scraping' else 'lead_scoring' end as operation,
                case kind when 2 then 'outscraper' else 'anthropic' end as provider,
                case kind when 0 then round(0.001 + (h % 200000) / 1000000.0, 6) end as cost,
                case kind when 1 then 'claude-3-5-haiku-20241022' end as model,
                case kind when 1 then 200 + h % 3800 end as input_tokens,
                case kind when 1 then 20 + (h // 7) % 580 end as output_tokens,
                case kind when 2 then 1 + h % 99 end as units,
                timestamp '2025-01-01' + to_seconds(cast(h % (300 * 86400) as bigint))
                    as occurred_at
            from numbered
        ) to '{path}' (format parquet)
        """.replace("{path}", str(path).replace("'", "''")),
        [n, ids, len(ids)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--calls", type=int, default=300, help="single calls timed")
    parser.add_argument(
        "--profile", action="store_true", help="also time each statement of a bulk load"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dds.duckdb"
        dds = DDSIntegration(Settings(warehouse_path=path))
        ids = [
            dds.deploy_campaign({**SPEC_EXAMPLE_CONFIG, "campaign_name": f"Bench {i}"})[
                "campaign_id"
            ]
            for i in range(args.campaigns)
        ]
        parquet = Path(tmp) / "costs.parquet"
        with dds.warehouse.connect() as conn:
            write_cost_events(conn, ids, args.events, parquet)

        single = single_call_latency(dds, ids[0], args.calls)
        rows = []
        profiles: list[dict[str, float]] = []
        for label in ("load (validate, price, dedupe, insert)", "same file again (duplicates)"):
            started, cpu_started = time.perf_counter(), time.process_time()
            if args.profile:  # the load itself, each statement timed
                profiles.append({})
                with dds.warehouse.connect() as conn:
                    timed = _TimedConnection(conn, profiles[-1])
                    summary = bulk.load(timed, "costs", str(parquet)).as_dict()  # type: ignore[arg-type]
            else:
                summary = dds.ingest("costs", str(parquet))
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            assert summary["status"] == "loaded", summary
            rows.append((label, seconds, cpu, summary["loaded"], summary["duplicates"]))
        with dds.warehouse.connect() as conn:
            conn.execute("create table floor_copy as select * from read_parquet(?) limit 0",
                         [str(parquet)])  # fmt: skip
            started, cpu_started = time.perf_counter(), time.process_time()
            conn.execute("insert into floor_copy select * from read_parquet(?)", [str(parquet)])
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            rows.append(("floor: plain DuckDB append", seconds, cpu, 0, 0))
        dds.close()

    floor, floor_cpu = rows[-1][1], rows[-1][2]
    print(f"\nBulk ingest of {args.events:,} cost events from Parquet ({args.campaigns} campaigns)")
    header = f"{'step':<42} {'seconds':>8} {'events/s':>12} {'loaded':>10} {'duplicates':>11}"
    # CPU seconds of this process (all DuckDB threads): steadier than the wall clock when
    # other work shares the machine
    print(f"{header} {'x append':>9} {'cpu s':>7} {'cpu x':>7}")
    for label, seconds, cpu, loaded, duplicates in rows:
        rate = args.events / seconds
        print(
            f"{label:<42} {seconds:>8.2f} {rate:>12,.0f} {loaded:>10,} {duplicates:>11,} "
            f"{seconds / floor:>8.1f}x {cpu:>7.2f} {cpu / floor_cpu:>6.1f}x"
        )
    for (label, *_), profile in zip(rows, profiles, strict=False):
        print(f"\nWhere '{label}' spends its time, by statement:")
        for statement, seconds in sorted(profile.items(), key=lambda item: -item[1])[:12]:
            print(f"  {seconds:>7.2f} s  {statement}")
    call, bare = single
    print(f"\nSingle calls ({args.calls} each, p50 in ms)")
    print(f"log_dds_costs {call:.2f} ms; bare insert + commit {bare:.2f} ms; {call / bare:.2f}x")


class _TimedConnection:
    """A connection that adds up the time of each statement, by its first words."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, times: dict[str, float]) -> None:
        self._conn, self._times = conn, times

    def execute(self, sql: str, *args: Any) -> duckdb.DuckDBPyConnection:
        label = " ".join(sql.split()[:6])[:70]
        started = time.perf_counter()
        result = self._conn.execute(sql, *args)
        self._times[label] = self._times.get(label, 0.0) + time.perf_counter() - started
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def single_call_latency(dds: DDSIntegration, campaign_id: str, calls: int) -> tuple[float, float]:
    """p50 of log_dds_costs, and of a bare insert of the same row plus a commit on the
    process's open warehouse connection (ms). The two alternate, so that a change in the
    machine's load falls on both alike."""
    cost = {"operation": "lead_scoring", "provider": "anthropic", "cost": 0.15}
    timings, bare = [], []
    for _ in range(calls):
        started = time.perf_counter()
        assert dds.log_dds_costs(campaign_id, cost)["status"] == "logged"
        timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        with dds.warehouse.connect() as conn:
            conn.begin()
            conn.execute(
                "insert into raw.cost_events (cost_id, campaign_id, operation, provider, "
                "cost_usd, occurred_at, ingested_at) values (?, ?, ?, ?, ?, ?, ?)",
                [uuid.uuid4().hex, campaign_id, "lead_scoring", "anthropic", 0.15, utc_now(),
                 utc_now()],
            )  # fmt: skip
            conn.commit()
        bare.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000, statistics.median(bare) * 1000


if __name__ == "__main__":
    main()
