"""Where the time of the hot paths goes, printed as a table: the profiles behind the
README's explanation of each target that is not met (a benchmark, not a test).

    python bench/profile_hot_paths.py                       # 10,000 campaigns, 1M events
    python bench/profile_hot_paths.py --cost-events 10000000
    python bench/profile_hot_paths.py --warehouse /path/to/dds.duckdb   # an existing one
    python bench/profile_hot_paths.py --writes-only          # the single writes alone

- log_dds_costs, log_dds_results, deploy_campaign: each statement a call runs, timed, and
  how many a call runs (100 campaigns).
- log_dds_costs: the call split by cProfile into validation, the insert statement and the
  rest, beside DuckDB's floors (a bare insert + commit into the file and into memory, and
  a trivial statement).
- calculate_lead_metrics' query: execution vs planning alone (EXPLAIN) on this warehouse
  and on an empty one; a flat hand-written point query over raw; the same with an ART
  index on campaign_id (built in a transaction that is rolled back).
- get_all_campaigns_report: its SQL vs the Python that shapes the answer.
- the first read after a write: the refresh before it (dds_api/current_marts/refresh.py), every
  statement timed, for a campaign analysis (get_campaign_status, optimize_campaign) and for
  calculate_lead_metrics, on a copy of the warehouse.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
from bench_facade import HAND_WRITTEN_POINT, MARTS_REPORT, RAW_INSERT, ms, timed

from dds_api.current_marts import refresh
from dds_api.current_marts.reads import METRICS_SQL
from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import generate
from ingest.warehouse.settings import Settings


def median(samples: list[float]) -> str:
    return ms(statistics.median(samples))


def open_dds(path: Path) -> DDSIntegration:
    return DDSIntegration(Settings(warehouse_path=path, idle_release_seconds=3600))


def profile_log_costs(folder: Path, template: Path, calls: int) -> list[tuple[str, str]]:
    shutil.copy(template, folder / "writes.duckdb")
    dds = open_dds(folder / "writes.duckdb")
    campaign_id = dds.deploy_campaign({"vertical": "dentists", "location": "Austin, TX"})[
        "campaign_id"
    ]
    cost = {"operation": "lead_scoring", "provider": "anthropic", "cost": 0.15}
    total = timed(lambda: dds.log_dds_costs(campaign_id, cost), calls)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        dds.log_dds_costs(campaign_id, cost)
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_name: dict[str, float] = {}
    own: dict[str, float] = {}
    for (file, line, name), (_, _, total_s, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_name[name] = max(by_name.get(name, 0.0), cumulative)
        where = f"{name} ({Path(file).name}:{line})" if line else name
        own[where] = own.get(where, 0.0) + total_s
    per_call = {name: seconds * 1000 / calls for name, seconds in by_name.items()}
    hotspots = sorted(own.items(), key=lambda item: -item[1])[:4]
    with dds.warehouse.connect() as conn:
        floor = timed(
            lambda: conn.execute(
                RAW_INSERT, [os.urandom(16).hex(), campaign_id, "2026-01-01", "2026-01-01"]
            ),
            calls,
        )
        trivial = timed(lambda: conn.execute("select 1").fetchall(), calls)
    dds.close()
    memory = duckdb.connect()
    memory.execute(
        "create table cost_events (cost_id varchar primary key, campaign_id varchar, "
        "operation varchar, provider varchar, cost_usd decimal(18, 6), "
        "occurred_at timestamp, ingested_at timestamp)"
    )
    in_memory = timed(
        lambda: memory.execute(
            RAW_INSERT.replace("raw.cost_events", "cost_events"),
            [os.urandom(16).hex(), campaign_id, "2026-01-01", "2026-01-01"],
        ),
        calls,
    )
    return [
        ("log_dds_costs: whole call (median)", median(total)),
        ("  validation (parse_cost)", ms(per_call.get("parse_cost", 0.0))),
        # DuckDB's methods (pybind11) are invisible to cProfile: their time is the own time
        # of the Python function that calls them (record_cost: the insert statement)
        ("  the insert statement (record_cost, DuckDB)", ms(per_call.get("record_cost", 0.0))),
        *[(f"  own time: {name[:60]}", ms(seconds * 1000 / calls)) for name, seconds in hotspots],
        ("  floor: bare insert + commit into the file", median(floor)),
        ("  floor: bare insert + commit in memory", median(in_memory)),
        ("  floor: `select 1` on an open connection", median(trivial)),
    ]


def profile_reads(path: Path, template: Path, calls: int) -> list[tuple[str, str]]:
    dds = open_dds(path)
    rng = random.Random(5)
    rows: list[tuple[str, str]] = []
    with dds.warehouse.connect() as conn:
        ids = [r[0] for r in conn.execute("select campaign_id from marts.campaigns").fetchall()]
        [(events,)] = conn.execute("select count(*) from raw.cost_events").fetchall()
        rows.append((f"warehouse: {len(ids):,} campaigns, {events:,} cost events", ""))
        literal = METRICS_SQL.replace("?", f"'{ids[0]}'")
        point = timed(lambda: conn.execute(METRICS_SQL, [rng.choice(ids)]).fetchall(), calls)
        plan = timed(lambda: conn.execute(f"explain {literal}").fetchall(), calls)
        flat = timed(lambda: conn.execute(HAND_WRITTEN_POINT, [rng.choice(ids)]).fetchall(), calls)
        raw_scan = timed(
            lambda: conn.execute(
                "select sum(cost_usd) from raw.cost_events where campaign_id = ?",
                [rng.choice(ids)],
            ).fetchall(),
            calls,
        )
        rows += [
            ("calculate_lead_metrics' query (marts.campaign_metrics)", median(point)),
            ("  planning alone (EXPLAIN)", median(plan)),
            ("  one raw scan: sum(cost_usd) where campaign_id = ?", median(raw_scan)),
            ("flat hand-written point query over raw", median(flat)),
        ]
        conn.begin()
        try:
            start = time.perf_counter()
            conn.execute("create index bench_cost_campaign on raw.cost_events (campaign_id)")
            built = time.perf_counter() - start
            indexed_scan = timed(
                lambda: conn.execute(
                    "select sum(cost_usd) from raw.cost_events where campaign_id = ?",
                    [rng.choice(ids)],
                ).fetchall(),
                calls,
            )
            indexed_flat = timed(
                lambda: conn.execute(HAND_WRITTEN_POINT, [rng.choice(ids)]).fetchall(), calls
            )
            indexed_point = timed(
                lambda: conn.execute(METRICS_SQL, [rng.choice(ids)]).fetchall(), calls
            )
        finally:
            conn.rollback()
        rows += [
            (f"with an ART index on cost_events(campaign_id) (built in {built:.0f} s):", ""),
            ("  raw scan by campaign", median(indexed_scan)),
            ("  flat hand-written point query", median(indexed_flat)),
            ("  calculate_lead_metrics' query", median(indexed_point)),
        ]
        sql = timed(lambda: [conn.execute(q).fetchall() for q in MARTS_REPORT], 5)
    report = timed(dds.get_all_campaigns_report, 5)
    dds.close()
    rows += [
        ("get_all_campaigns_report: whole call", median(report)),
        ("  its two queries (campaign_metrics, portfolio_summary)", median(sql)),
    ]
    empty = duckdb.connect(str(template), read_only=True)
    empty_plan = timed(lambda: empty.execute(f"explain {literal}").fetchall(), calls)
    empty_run = timed(lambda: empty.execute(METRICS_SQL, [ids[0]]).fetchall(), calls)
    empty.close()
    rows += [
        ("empty warehouse: calculate_lead_metrics' query", median(empty_run)),
        ("  planning alone (EXPLAIN)", median(empty_plan)),
    ]
    return rows


class TimedConnection:
    """A connection whose execute() records each statement's time (a refresh takes any
    object with DuckDB's connection methods)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.log: list[tuple[str, float]] = []

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        start = time.perf_counter()
        result = self.conn.execute(sql, *args)
        self.log.append((" ".join(sql.split())[:70], (time.perf_counter() - start) * 1000))
        return result

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


def profile_refresh(path: Path, folder: Path, calls: int) -> list[tuple[str, str]]:
    """The refresh a read runs after one cost event, statement by statement (medians)."""
    shutil.copy(path, folder / "refresh.duckdb")
    dds = open_dds(folder / "refresh.duckdb")
    with dds.read() as conn:
        [(campaign_id,)] = conn.execute("select min(campaign_id) from marts.campaigns").fetchall()
        plan = refresh.load_plan(conn)
    assert plan is not None
    cost = {"operation": "lead_scoring", "provider": "anthropic", "cost": 0.15}
    rows: list[tuple[str, str]] = []
    for label, needs in [
        ("get_campaign_status, optimize_campaign (every model)", None),
        ("calculate_lead_metrics", ("campaign_metrics",)),
    ]:
        statements: dict[tuple[int, str], list[float]] = {}
        totals = []
        for _ in range(calls):
            dds.log_dds_costs(campaign_id, cost)
            with dds.warehouse.connect(reading=True) as conn:
                timed_conn = TimedConnection(conn)
                start = time.perf_counter()
                refresh.refresh(timed_conn, plan, needs)  # type: ignore[arg-type]
                totals.append((time.perf_counter() - start) * 1000)
            for position, (sql, elapsed) in enumerate(timed_conn.log):
                statements.setdefault((position, sql), []).append(elapsed)
        rows.append((f"refresh after a cost event, for {label}", median(totals)))
        rows += [(f"  {sql}", median(times)) for (_, sql), times in sorted(statements.items())]
    dds.close()
    return rows


def profile_single_writes(folder: Path, template: Path, calls: int) -> list[tuple[str, str]]:
    """Each single write's statements, timed (medians), on a 100-campaign warehouse: what the
    call costs beyond them is Python and the commit. The statements are counted per call (a
    first write to a campaign reads more than the next ones)."""
    shutil.copy(template, folder / "single.duckdb")
    dds = open_dds(folder / "single.duckdb")
    generate(dds, campaigns=100, seed=1)
    with dds.read() as conn:
        [(campaign_id,)] = conn.execute(
            "select min(campaign_id) from marts.campaigns where status = 'active'"
        ).fetchall()
    timed_conns: dict[int, TimedConnection] = {}
    connect = dds.warehouse.connect

    @contextlib.contextmanager
    def timed_connect(**kwargs: bool) -> Iterator[TimedConnection]:
        # one wrapper per connection: the facade remembers what it learned per connection
        with connect(**kwargs) as conn:
            wrapper = timed_conns.get(id(conn))
            if wrapper is None or wrapper.conn is not conn:
                wrapper = timed_conns[id(conn)] = TimedConnection(conn)
            yield wrapper

    dds.warehouse.connect = timed_connect  # type: ignore[method-assign]
    found = iter(range(10**6, 10**9))
    config = {"vertical": "dentists", "location": "Austin, TX", "prospect_count": 50, "budget": 500}
    writes: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("log_dds_costs", lambda: dds.log_dds_costs(
            campaign_id, {"operation": "lead_scoring", "provider": "anthropic", "cost": 0.15})),
        ("log_dds_results", lambda: dds.log_dds_results(
            campaign_id, {"stage": "prospecting", "leads_found": next(found)})),
        ("deploy_campaign", lambda: dds.deploy_campaign(config)),
    ]  # fmt: skip
    rows: list[tuple[str, str]] = []
    for name, call in writes:
        assert call().get("status") != "error"  # the first call to the campaign: not timed
        for wrapper in timed_conns.values():
            wrapper.log.clear()
        totals = timed(call, calls)
        statements: dict[str, list[float]] = {}
        for wrapper in timed_conns.values():
            for sql, elapsed in wrapper.log:
                statements.setdefault(sql, []).append(elapsed)
        count = sum(len(times) for times in statements.values()) / calls
        rows.append((f"{name}: whole call, {count:.1f} statements per call", median(totals)))
        rows += [(f"  {sql}", median(times)) for sql, times in statements.items()]
    dds.warehouse.connect = connect  # type: ignore[method-assign]
    dds.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, help="profile this warehouse's reads")
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--cost-events", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--writes-only", action="store_true",
                        help="only the single writes, statement by statement")  # fmt: skip
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="dds-profile-") as tmp:
        folder = Path(tmp)
        template = folder / "template.duckdb"
        open_dds(template).close()
        rows += profile_single_writes(folder, template, args.calls * 2)
        if args.writes_only:
            path = None
        else:
            rows += profile_log_costs(folder, template, args.calls * 10)
            path = args.warehouse
        if path is None and not args.writes_only:
            path = folder / "reads.duckdb"
            shutil.copy(template, path)
            dds = open_dds(path)
            generate(dds, campaigns=args.campaigns, cost_events=args.cost_events, seed=3)
            dds.close()
        if path is not None:
            rows += profile_reads(path, template, args.calls)
            rows += profile_refresh(path, folder, max(5, args.calls // 10))
    width = max(len(name) for name, _ in rows)
    print(f"\nDuckDB {duckdb.__version__}, {os.cpu_count()} cores")
    for name, figure in rows:
        print(f"{name:<{width}}  {figure}")


if __name__ == "__main__":
    main()
