"""Bulk ingest throughput: N cost events from Parquet, validated, priced and deduplicated.

    .venv/bin/python bench/bench_ingest.py [--events 1000000] [--campaigns 100]

Prints one table: the full load (validation, pricing of usage rows, dedup keys, insert),
the same file again (every row a duplicate), and the floor it is measured against: DuckDB
appending the same Parquet file to a plain table with no checks at all.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import duckdb

from dds_api.demo import SPEC_EXAMPLE_CONFIG
from dds_api.facade import DDSIntegration
from ingest.settings import Settings

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

        rows = []
        for label in ("load (validate, price, dedupe, insert)", "same file again (duplicates)"):
            started = time.perf_counter()
            summary = dds.ingest("costs", str(parquet))
            seconds = time.perf_counter() - started
            assert summary["status"] == "loaded", summary
            rows.append((label, seconds, summary["loaded"], summary["duplicates"]))
        with dds.warehouse.connect() as conn:
            conn.execute("create table floor_copy as select * from read_parquet(?) limit 0",
                         [str(parquet)])  # fmt: skip
            started = time.perf_counter()
            conn.execute("insert into floor_copy select * from read_parquet(?)", [str(parquet)])
            rows.append(("floor: plain DuckDB append", time.perf_counter() - started, 0, 0))
        dds.close()

    print(f"\nBulk ingest of {args.events:,} cost events from Parquet ({args.campaigns} campaigns)")
    print(f"{'step':<42} {'seconds':>8} {'events/s':>12} {'loaded':>10} {'duplicates':>11}")
    for label, seconds, loaded, duplicates in rows:
        rate = args.events / seconds
        print(f"{label:<42} {seconds:>8.2f} {rate:>12,.0f} {loaded:>10,} {duplicates:>11,}")


if __name__ == "__main__":
    main()
