"""Facade latency and portfolio-read times, printed as a table (a benchmark, not a test).

    python bench/bench_facade.py            # 100 and 1,000 campaigns
    python bench/bench_facade.py 100 5000   # other sizes

Each campaign gets 20 cost events and 3 cumulative snapshots, written through the facade.
Targets (issue 3): log_dds_costs <= 1 ms per call on an open connection; the portfolio
reads are one set-based query each, not a loop per campaign. Beside each read we time the
same aggregate written by hand over the raw tables: the floor the marts are measured against.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")

from dds_api.facade import DDSIntegration
from ingest.settings import Settings

PROVIDERS = [("outscraper", "prospecting"), ("anthropic", "scoring"),
             ("hunter_io", "email_finding"), ("sendgrid", "outreach")]  # fmt: skip
HAND_WRITTEN_PORTFOLIO = """
    with costs as (select campaign_id, sum(amount_usd) as cost from raw.cost_events
                   group by campaign_id),
         latest as (select campaign_id, arg_max(revenue_usd, occurred_at) as revenue
                    from raw.result_snapshots group by campaign_id)
    select count(*), sum(cost), sum(revenue)
    from (select distinct campaign_id from raw.campaign_events) as c
    left join costs using (campaign_id) left join latest using (campaign_id)
"""
HAND_WRITTEN_POINT = """
    select (select sum(amount_usd) from raw.cost_events where campaign_id = $1),
           (select arg_max(leads_found, occurred_at) from raw.result_snapshots
            where campaign_id = $1)
"""


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def populate(dds: DDSIntegration, campaigns: int, rng: random.Random) -> list[str]:
    ids = []
    for i in range(campaigns):
        cid = dds.deploy_campaign({"vertical": f"v{i % 7}", "location": f"city {i % 13}",
                                   "prospect_count": 50, "budget": 500})["campaign_id"]  # fmt: skip
        dds.start_campaign(cid)
        for j in range(20):
            provider, operation = PROVIDERS[j % 4]
            dds.log_dds_costs(cid, {"operation": operation, "provider": provider,
                                    "cost": round(rng.uniform(0.01, 3), 2)})  # fmt: skip
        found = rng.randint(20, 200)
        sent = found * 3
        for stage, revenue in (("prospecting", 0), ("outreach", 0),
                               ("closed", rng.choice([0, 0, 500, 5000]))):  # fmt: skip
            dds.log_dds_results(cid, {
                "stage": stage, "leads_found": found, "leads_qualified": found // 3,
                "emails_sent": sent if stage != "prospecting" else 0,
                "emails_opened": sent // 4 if stage != "prospecting" else 0,
                "emails_replied": sent // 25 if stage != "prospecting" else 0,
                "revenue": revenue})  # fmt: skip
        ids.append(cid)
    return ids


def measure_portfolio(
    template: Path, folder: Path, n: int, rng: random.Random
) -> list[tuple[str, str, str]]:
    path = folder / "dds.duckdb"
    folder.mkdir()
    path.write_bytes(template.read_bytes())
    dds = DDSIntegration(Settings(warehouse_path=path, idle_release_seconds=3600))
    start = time.perf_counter()
    ids = populate(dds, n, rng)
    load_s = time.perf_counter() - start
    report = timed(dds.get_all_campaigns_report, 5)
    dds.optimize_all_campaigns()  # the first run pauses the losers (writes)
    optimize = timed(dds.optimize_all_campaigns, 5)
    point = timed(lambda: dds.calculate_lead_metrics(rng.choice(ids)), 200)
    with dds.warehouse.connect() as conn:
        hand = timed(lambda: conn.execute(HAND_WRITTEN_PORTFOLIO).fetchall(), 5)
        hand_point = timed(
            lambda: conn.execute(HAND_WRITTEN_POINT, [rng.choice(ids)]).fetchall(), 200
        )
    dds.close()
    return [
        (f"{n} campaigns: load via facade",
         f"{load_s:.1f} s ({n * 26 / load_s:,.0f} calls/s)", ""),
        (f"{n} campaigns: get_all_campaigns_report",
         f"median {statistics.median(report):.1f} ms",
         f"hand-written raw query {statistics.median(hand):.1f} ms"),
        (f"{n} campaigns: optimize_all_campaigns",
         f"median {statistics.median(optimize):.1f} ms", ""),
        (f"{n} campaigns: calculate_lead_metrics",
         f"p50 {pct(point, .5):.2f} ms  p99 {pct(point, .99):.2f} ms",
         f"hand-written point query {pct(hand_point, .5):.2f} ms"),
    ]  # fmt: skip


def main(sizes: list[int]) -> None:
    rng = random.Random(42)
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template" / "dds.duckdb"
        DDSIntegration(Settings(warehouse_path=template, idle_release_seconds=3600)).close()

        path = Path(tmp) / "latency" / "dds.duckdb"
        path.parent.mkdir()
        path.write_bytes(template.read_bytes())
        dds = DDSIntegration(Settings(warehouse_path=path, idle_release_seconds=3600))
        cid = dds.deploy_campaign({"vertical": "dentists", "location": "Austin, TX"})["campaign_id"]
        cost = {"operation": "scoring", "provider": "anthropic", "cost": 0.15}
        samples = timed(lambda: dds.log_dds_costs(cid, cost), 2000)
        rows.append(("log_dds_costs (per call)", f"p50 {pct(samples, .5):.3f} ms  "
                     f"p99 {pct(samples, .99):.3f} ms", "target <= 1 ms p50"))  # fmt: skip
        with dds.warehouse.connect() as conn:
            raw = timed(lambda: conn.execute(
                "insert into raw.cost_events (cost_id, campaign_id, operation, provider, "
                "amount_usd, occurred_at, ingested_at) values (gen_random_uuid()::varchar, "
                "?, 'x', 'y', 0.15, now()::timestamp, now()::timestamp)", [cid]), 2000)  # fmt: skip
        rows.append(("  raw DuckDB insert (floor)", f"p50 {pct(raw, 0.5):.3f} ms", ""))
        dds.close()

        for n in sizes:
            rows += measure_portfolio(template, Path(tmp) / f"n{n}", n, rng)

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()}")  # fmt: skip
    width = max(len(r[0]) for r in rows)
    for name, figure, note in rows:
        print(f"{name:<{width}}  {figure:<34}  {note}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000])
