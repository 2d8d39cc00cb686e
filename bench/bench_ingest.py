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

import numpy as np
import polars as pl

from dds_api.demo import SPEC_EXAMPLE_CONFIG
from dds_api.facade import DDSIntegration
from ingest.settings import Settings

os.environ.setdefault("DO_NOT_TRACK", "1")


def cost_events(campaign_ids: list[str], n: int, seed: int = 7) -> pl.DataFrame:
    """Realistic cost rows: a third in dollars, the rest as usage priced from the list."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)  # 0: dollars, 1: Claude tokens, 2: Outscraper searches
    start = np.datetime64("2025-01-01T00:00:00")
    return pl.DataFrame(
        {
            "campaign_id": np.array(campaign_ids)[rng.integers(0, len(campaign_ids), n)],
            "operation": np.where(kind == 2, "scraping", "lead_scoring"),
            "provider": np.where(kind == 2, "outscraper", "anthropic"),
            "cost": np.where(kind == 0, np.round(rng.uniform(0.001, 0.2, n), 6), np.nan),
            "model": np.where(kind == 1, "claude-3-5-haiku-20241022", None),
            "input_tokens": np.where(kind == 1, rng.integers(200, 4000, n), None),
            "output_tokens": np.where(kind == 1, rng.integers(20, 600, n), None),
            "units": np.where(kind == 2, rng.integers(1, 100, n), None),
            "occurred_at": start + rng.integers(0, 300 * 86400, n).astype("timedelta64[s]"),
        }
    ).with_columns(pl.col("cost").fill_nan(None))


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
        cost_events(ids, args.events).write_parquet(parquet)

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
