"""Where a PostgreSQL read with nothing written spends its time (bench/README.md, "#26,
PostgreSQL reads with nothing written"); a benchmark, not a test.

    python bench/profile_postgres_reads.py            # 300 calls of each, on one campaign

Starts a throwaway server (tests/postgres_server.py), builds a warehouse with one started
campaign and one cost, then prints, call after call on the open connection: each read's p50
beside a point read of raw.campaign_events, each statement a status read sends (the look
for writes included) beside ``select 1``, and a cProfile of get_campaign_status.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dds_api.current_marts import reads
from dds_api.samples.demo import SPEC_EXAMPLE_CONFIG
from ingest.warehouse import postgres
from tests.conftest import make_dds
from tests.postgres_server import PostgresServer

CALLS = 300


def p50_ms(call: Callable[[], object]) -> float:
    times = []
    for _ in range(CALLS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["DDS_STATE_DIR"] = tempfile.mkdtemp(prefix="dds-profile-state-")
    with PostgresServer() as server:
        dds = make_dds(server.create_database("profile"))
        campaign_id = dds.deploy_campaign(SPEC_EXAMPLE_CONFIG)["campaign_id"]
        dds.start_campaign(campaign_id)
        dds.log_dds_costs(campaign_id, {"operation": "scoring", "provider": "anthropic", "cost": 1})
        dds.get_campaign_status(campaign_id)  # the refresh after the write
        conn = dds.warehouse._connection()
        point = "select * from raw.campaign_events where campaign_id = ? limit 1"
        reference = p50_ms(lambda: conn.execute(point, [campaign_id]).fetchall())
        print(f"point read of raw.campaign_events   p50 {reference:.3f} ms")
        calls = {
            "calculate_lead_metrics": lambda: dds.calculate_lead_metrics(campaign_id),
            "get_campaign_status": lambda: dds.get_campaign_status(campaign_id),
            "optimize_campaign (dry run)": lambda: dds.optimize_campaign(campaign_id, True),
        }
        for name, call in calls.items():
            figure = p50_ms(call)
            print(f"{name:<36} p50 {figure:.3f} ms  ({figure / reference:.1f}x the point read)")
        trivial = p50_ms(lambda: conn.execute("select 1").fetchall())
        print(f"{'select 1':<36} p50 {trivial:.3f} ms")
        statements = {
            "the look for writes": (postgres._WRITES_PROBE, [postgres.APPEND_LOCK]),
            "the campaign's state": (reads.CAMPAIGN_STATE_SQL, [campaign_id]),
            "its fired rules": (reads.FIRED_RULES_SQL, [campaign_id]),
        }
        for name, (sql, parameters) in statements.items():
            figure = p50_ms(lambda sql=sql, parameters=parameters: conn.execute(sql, parameters))
            print(f"{name:<36} p50 {figure:.3f} ms")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(CALLS):
            dds.get_campaign_status(campaign_id)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(20)
        dds.close()


if __name__ == "__main__":
    main()
