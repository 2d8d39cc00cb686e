"""The facade's speed and memory beside DuckDB's own floor, printed as a table (a benchmark,
not a test: figures on a shared machine are noisy, so nothing here asserts a time).

    python bench/bench_facade.py                  # the full run recorded in the README
    python bench/bench_facade.py --quick          # 100 and 1,000 campaigns, 100k events
    python bench/bench_facade.py --campaigns 1000 --cost-events 1000000 --no-dbt-build

What it measures (issue 7), each in a fresh process so that peak memory is its own:

- per call, p50 and p99, every facade method on a 100-campaign portfolio; writes beside a
  bare DuckDB insert + commit into the same raw table, point reads beside the same figures
  as one hand-written query over the raw tables;
- get_all_campaigns_report, optimize_all_campaigns and calculate_lead_metrics at 100,
  1,000 and 10,000 campaigns (100 cost events each) and at 100k, 1M and 10M cost events
  (10,000 campaigns), beside the same aggregate as one hand-written query over raw (the
  marts' SQL should stay within 2x of it);
- dbt build (models, data tests, unit tests) of the whole project on each warehouse;
- peak RSS of the process (generator, facade and DuckDB) and of dbt.

Data comes from dds_api.samples.synthetic (seeded, bulk-inserted).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DO_NOT_TRACK", "1")

import duckdb

from dds_api.current_marts import reads
from dds_api.current_marts.build import build
from dds_api.current_marts.reads import METRICS_SQL
from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import generate, more_cost_events
from ingest.validation import utc_now
from ingest.warehouse.dialect import DUCKDB
from ingest.warehouse.postgres import PostgresConnection, connect
from ingest.warehouse.settings import Settings

Row = tuple[str, str, str]

# The report's figures per campaign, written by hand over the raw tables: the floor the
# marts are measured against. Status from the latest lifecycle event, spend summed, each
# snapshot figure the latest reported (omitted figures carried forward).
HAND_WRITTEN_ROWS = """
    with lifecycle as (
        select campaign_id,
               arg_max(event_type, (occurred_at, seq)) as last_event,
               max(campaign_name) as campaign_name, max(budget_usd) as budget_usd,
               min(occurred_at) filter (where event_type = 'deployed') as deployed_at
        from raw.campaign_events group by campaign_id
    ), costs as (
        select campaign_id, sum(cost_usd) as cost, count(*) as events
        from raw.cost_events group by campaign_id
    ), latest as (
        select campaign_id,
               arg_max(leads_found, (occurred_at, seq)) filter (where leads_found is not null)
                   as leads_found,
               arg_max(leads_qualified, (occurred_at, seq))
                   filter (where leads_qualified is not null) as leads_qualified,
               arg_max(emails_sent, (occurred_at, seq)) filter (where emails_sent is not null)
                   as emails_sent,
               arg_max(emails_replied, (occurred_at, seq))
                   filter (where emails_replied is not null) as emails_replied,
               arg_max(revenue_usd, (occurred_at, seq)) filter (where revenue_usd is not null)
                   as revenue
        from raw.result_snapshots group by campaign_id
    ), final as (
        select lifecycle.*, coalesce(costs.cost, 0) as cost, coalesce(costs.events, 0) as events,
               latest.leads_found, latest.leads_qualified, latest.emails_sent,
               latest.emails_replied, coalesce(latest.revenue, 0) as revenue,
               coalesce(costs.cost, 0) / nullif(latest.leads_found, 0) as cost_per_lead,
               100.0 * (coalesce(latest.revenue, 0) - costs.cost) / nullif(costs.cost, 0) as roi
        from lifecycle
        left join costs using (campaign_id)
        left join latest using (campaign_id)
    )
"""
HAND_WRITTEN_REPORT = (
    HAND_WRITTEN_ROWS + "select * from final order by deployed_at, campaign_id",
    HAND_WRITTEN_ROWS + "select count(*), sum(cost), sum(revenue), sum(leads_found) from final",
)
HAND_WRITTEN_POINT = """
    select
        (select arg_max(event_type, (occurred_at, seq)) from raw.campaign_events
         where campaign_id = $1),
        (select sum(cost_usd) from raw.cost_events where campaign_id = $1),
        (select arg_max(leads_found, (occurred_at, seq)) filter (where leads_found is not null)
         from raw.result_snapshots where campaign_id = $1),
        (select arg_max(revenue_usd, (occurred_at, seq)) filter (where revenue_usd is not null)
         from raw.result_snapshots where campaign_id = $1)
"""
# what get_all_campaigns_report runs, without the Python that builds its answer
MARTS_REPORT = (
    reads.portfolio_campaigns_sql(DUCKDB),
    "select * from marts.portfolio_summary",
)
# the reference of a point read: one campaign's rows of one raw table
RAW_POINT_READ = "select * from raw.campaign_events where campaign_id = ?"
RAW_INSERT = """
    insert into raw.cost_events (cost_id, campaign_id, operation, provider, cost_usd,
                                 occurred_at, ingested_at)
    values (?, ?, 'scoring', 'anthropic', 0.15, ?, ?)
"""
# the references of the other single writes: the row each writes, bare (parameters: an id,
# the campaign id, occurred_at, ingested_at)
RAW_SNAPSHOT_INSERT = """
    insert into raw.result_snapshots (snapshot_id, campaign_id, stage, leads_found,
                                      source, occurred_at, ingested_at)
    values (?, ?, 'prospecting', 50, 'api', ?, ?)
"""
RAW_DEPLOYED_INSERT = """
    insert into raw.campaign_events (event_id, campaign_id, event_type, reason, campaign_name,
                                     vertical, location, prospect_count, budget_usd,
                                     estimated_cost_usd, config, occurred_at, ingested_at)
    values (?, ?, 'deployed', 'user', 'Bench bare', 'dentists', 'Austin, TX', 50, 500,
            5.42, '{}', ?, ?)
"""


# ------------------------------------------------------------------------------ timing


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


def ms(value: float) -> str:
    return f"{value:,.1f} ms" if value >= 10 else f"{value:.2f} ms"


def dist(samples: list[float]) -> str:
    return f"p50 {ms(pct(samples, 0.5))}  p99 {ms(pct(samples, 0.99))}"


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def ok(result: dict[str, Any]) -> dict[str, Any]:
    if result.get("status") == "error":
        raise RuntimeError(result["message"])
    return result


def open_copy(template: str, folder: Path) -> DDSIntegration:
    """A facade over a copy of the template file, or over the PostgreSQL database the
    template names (a fresh one per run: the facade builds it when it first opens it)."""
    folder.mkdir(parents=True)
    if template.startswith("postgresql://"):
        os.environ["DDS_STATE_DIR"] = str(folder / "state")
        return DDSIntegration(Settings.for_postgres(template, idle_release_seconds=3600))
    shutil.copy(template, folder / "dds.duckdb")
    return DDSIntegration(Settings(warehouse_path=folder / "dds.duckdb", idle_release_seconds=3600))


def bare_connection(dds: DDSIntegration) -> contextlib.AbstractContextManager[Any]:
    """A connection whose every statement commits on its own, for the bare insert + commit:
    the facade's DuckDB connection (used outside the warehouse's ``connect``, which the facade
    calls then enter as usual: the reference pays no bookkeeping of ours), or a plain
    autocommit one to the PostgreSQL server."""
    if dds.settings.postgres_url is None:
        with dds.warehouse.connect() as conn:  # opened; kept open (idle release 3600 s)
            return contextlib.nullcontext(conn)
    return contextlib.closing(PostgresConnection(connect(dds.settings.postgres_url)))


def alternately(
    call: Callable[[], object], reference: Callable[[], object], repeat: int
) -> tuple[list[float], list[float]]:
    """Timings of ``call`` and of its reference, taken in turn, so that a change in the
    machine's load (it is shared) falls on both alike."""
    samples: list[float] = []
    floor: list[float] = []
    for _ in range(repeat):
        samples += timed(call, 1)
        floor += timed(reference, 1)
    return samples, floor


def bare_insert(conn: Any, sql: str, campaign_id: str) -> None:
    """One row, as its own transaction (committed by the statement)."""
    now = utc_now()
    conn.execute(sql, [os.urandom(16).hex(), campaign_id, now, now])


# ---------------------------------------------------------------------- the scenarios


def latency(template: str, folder: Path, calls: int, writes_only: bool = False) -> list[Row]:
    """Each facade method, call after call on an open connection, on 100 campaigns (with
    ``writes_only``, the single writes beside their references alone)."""
    dds = open_copy(template, folder)
    generate(dds, campaigns=100, seed=1)
    rng = random.Random(2)
    with dds.read() as conn:
        ids = [r[0] for r in conn.execute("select campaign_id from marts.campaigns").fetchall()]
        active = [
            r[0]
            for r in conn.execute(
                "select campaign_id from marts.campaigns where status = 'active'"
            ).fetchall()
        ]
    rows: list[Row] = []
    cid = active[0]
    cost = {"operation": "lead_scoring", "provider": "anthropic", "cost": 0.15}
    figures = iter(range(10**9))
    config = {"vertical": "dentists", "location": "Austin, TX", "prospect_count": 50, "budget": 500}
    deployed: list[str] = []

    def log_results() -> None:
        found = next(figures)
        ok(dds.log_dds_results(cid, {"stage": "prospecting", "leads_found": 10**6 + found}))

    def deploy() -> None:
        deployed.append(ok(dds.deploy_campaign(config))["campaign_id"])

    # The bare rows go to another campaign (a snapshot of cid's own would make the facade
    # read cid's snapshots again, as another process's would) or, deployed, to new ones.
    other = next(campaign_id for campaign_id in active if campaign_id != cid)

    def new_id() -> str:
        return f"bench_bare_{os.urandom(6).hex()}"

    writes = [
        ("log_dds_costs", lambda: ok(dds.log_dds_costs(cid, cost)), calls * 5,
         "raw.cost_events", RAW_INSERT, lambda: other),
        ("log_dds_results", log_results, calls,
         "raw.result_snapshots", RAW_SNAPSHOT_INSERT, lambda: other),
        ("deploy_campaign", deploy, calls, "raw.campaign_events", RAW_DEPLOYED_INSERT, new_id),
    ]  # fmt: skip
    with bare_connection(dds) as bare:
        for name, call, repeat, table, sql, target in writes:
            samples, floor = alternately(
                call, lambda sql=sql, target=target: bare_insert(bare, sql, target()), repeat
            )
            rows.append(
                (name, dist(samples),
                 f"bare insert + commit into {table}: {dist(floor)} "
                 f"({pct(samples, 0.5) / pct(floor, 0.5):.2f}x at p50)")
            )  # fmt: skip
    if writes_only:
        dds.close()
        return [(f"{engine_of(template)}, 100 campaigns: {n}", f, note) for n, f, note in rows]
    toggled = deployed[0]
    starts, pauses = [], []
    for _ in range(calls):
        starts += timed(lambda: ok(dds.start_campaign(toggled)), 1)
        pauses += timed(lambda: ok(dds.pause_campaign(toggled)), 1)
    rows.append(("start_campaign", dist(starts), ""))
    rows.append(("pause_campaign", dist(pauses), ""))
    to_stop = iter(deployed[1:])
    rows.append(
        ("stop_campaign", dist(timed(lambda: ok(dds.stop_campaign(next(to_stop))), calls - 1)), "")
    )
    with dds.read() as conn:
        raw_point = timed(lambda: conn.execute(RAW_POINT_READ, [rng.choice(ids)]).fetchall(), calls)
        point_floor = f"point read of raw.campaign_events: {dist(raw_point)}"
        if dds.settings.postgres_url is None:  # the hand-written query is DuckDB's SQL
            hand = timed(
                lambda: conn.execute(HAND_WRITTEN_POINT, [rng.choice(ids)]).fetchall(), calls
            )
            point_floor += f"; hand-written point query: {dist(hand)}"
    reads: list[tuple[str, Callable[[], object]]] = [
        ("estimate_campaign_costs", lambda: dds.estimate_campaign_costs(100, "dentists")),
        ("calculate_lead_metrics", lambda: dds.calculate_lead_metrics(rng.choice(ids))),
        ("get_campaign_status", lambda: dds.get_campaign_status(rng.choice(ids))),
        ("generate_campaign_report", lambda: dds.generate_campaign_report(rng.choice(ids))),
        ("optimize_campaign (dry run)", lambda: dds.optimize_campaign(rng.choice(ids), True)),
        ("sync_dds_databases (DDS_HOME unset)", dds.sync_dds_databases),
    ]
    for name, call in reads:
        note = point_floor if name != "sync_dds_databases (DDS_HOME unset)" else ""
        rows.append((name, dist(timed(lambda call=call: ok(call()), calls)), note))
    rows += first_reads_after_a_write(dds, rng.choice(active), calls, raw_point)
    portfolio = [
        ("get_all_campaigns_report", dds.get_all_campaigns_report),
        ("optimize_all_campaigns (dry run)", lambda: dds.optimize_all_campaigns(dry_run=True)),
    ]
    for name, call in portfolio:
        rows.append((name, dist(timed(lambda call=call: ok(call()), max(20, calls // 10))), ""))
    dds.close()
    return [(f"{engine_of(template)}, 100 campaigns: {n}", f, note) for n, f, note in rows]


def engine_of(template: str) -> str:
    return "PostgreSQL" if template.startswith("postgresql://") else "DuckDB"


# the pause between a write and the read after it in the second set of figures: what NovaOS
# does between two calls, long enough for the refresh after the write to finish in the
# background (dds_api/current_marts/background.py); --pause-seconds on a loaded machine
PAUSE_SECONDS = 1.0


def first_reads_after_a_write(
    dds: DDSIntegration, cid: str, calls: int, raw_point: list[float]
) -> list[Row]:
    """The read that follows a write to the campaign. At once, it refreshes the
    campaign-grain tables itself (dds_api/current_marts/refresh.py), paying for the campaigns
    written since the last refresh; after a pause, the refresh after the write has run in
    the background and the read finds them current. And a write made while that refresh
    runs, which must not wait for it."""
    cost = {"operation": "lead_scoring", "provider": "anthropic", "cost": 0.15}
    rows: list[Row] = []
    reference = f"point read of raw.campaign_events: p50 {ms(pct(raw_point, 0.5))}"
    for pause in (0.0, PAUSE_SECONDS):
        when = "at once" if not pause else f"{pause:g} s"
        for name, read in [
            ("calculate_lead_metrics", lambda: dds.calculate_lead_metrics(cid)),
            ("get_campaign_status", lambda: dds.get_campaign_status(cid)),
            ("optimize_campaign (dry run)", lambda: dds.optimize_campaign(cid, True)),
        ]:
            samples = []
            for _ in range(calls):
                ok(dds.log_dds_costs(cid, cost))
                time.sleep(pause)
                samples += timed(lambda read=read: ok(read()), 1)
            ratio = pct(samples, 0.5) / pct(raw_point, 0.5)
            rows.append(
                (f"{name}, first read after a write ({when})", dist(samples),
                 f"{reference} ({ratio:.0f}x)")
            )  # fmt: skip
    during, alone = [], []
    for _ in range(calls):
        ok(dds.log_dds_costs(cid, cost))
        time.sleep(0.06)  # writes paused: the refresh after them has started
        during += timed(lambda: ok(dds.log_dds_costs(cid, cost)), 1)
        ok(dds.calculate_lead_metrics(cid))  # waits for that refresh: the marts current again
        alone += timed(lambda: ok(dds.log_dds_costs(cid, cost)), 1)
        ok(dds.calculate_lead_metrics(cid))
    rows.append(
        ("log_dds_costs while the refresh after a write runs", dist(during),
         f"with no refresh running: {dist(alone)}")
    )  # fmt: skip
    return rows


def portfolio(
    template: str, folder: Path, campaigns: int, cost_events: int, calls: int, dbt: bool
) -> list[Row]:
    """Portfolio reads and a point read at one size, beside hand-written raw queries."""
    dds = open_copy(template, folder)
    summary = generate(dds, campaigns=campaigns, cost_events=cost_events, seed=3)
    dds.close()  # reopen, as a NovaOS process would, so no cache of the load helps the reads
    dds = DDSIntegration(dds.settings)
    label = f"{campaigns:,} campaigns, {cost_events:,} cost events"
    rows: list[Row] = [
        (f"{label}: synthetic load", f"{summary.seconds:.1f} s",
         f"{cost_events / summary.seconds:,.0f} cost events/s, incl. "
         f"{summary.sendgrid_events:,} SendGrid events"),
    ]  # fmt: skip
    repeat = 3 if cost_events >= 5_000_000 else 5
    ok(dds.get_all_campaigns_report())  # warm the file's pages once, as a running process has
    report = timed(lambda: ok(dds.get_all_campaigns_report()), repeat)
    with dds.read() as conn:
        marts = timed(lambda: [conn.execute(sql).to_arrow_table() for sql in MARTS_REPORT], repeat)
        hand = timed(
            lambda: [conn.execute(sql).to_arrow_table() for sql in HAND_WRITTEN_REPORT], repeat
        )
        ids = [r[0] for r in conn.execute("select campaign_id from marts.campaigns").fetchall()]
    optimize = timed(lambda: ok(dds.optimize_all_campaigns(dry_run=True)), repeat)
    rng = random.Random(4)
    point = timed(lambda: ok(dds.calculate_lead_metrics(rng.choice(ids))), calls)
    with dds.read() as conn:
        point_sql = timed(lambda: conn.execute(METRICS_SQL, [rng.choice(ids)]).fetchall(), calls)
        hand_point = timed(
            lambda: conn.execute(HAND_WRITTEN_POINT, [rng.choice(ids)]).fetchall(), calls
        )
        raw_point = timed(lambda: conn.execute(RAW_POINT_READ, [rng.choice(ids)]).fetchall(), calls)
    after_writes = first_reads_after_a_write(dds, rng.choice(ids), min(calls, 20), raw_point)
    rss = peak_rss_mb()
    overhead = statistics.median(marts) / statistics.median(hand)
    rows += [
        (f"{label}: get_all_campaigns_report", f"median {ms(statistics.median(report))}",
         f"{statistics.median(report) / statistics.median(hand):.1f}x hand-written over raw "
         f"{ms(statistics.median(hand))}; its SQL {ms(statistics.median(marts))} "
         f"({overhead:.1f}x)"),
        (f"{label}: optimize_all_campaigns", f"median {ms(statistics.median(optimize))}",
         f"hand-written over raw {ms(statistics.median(hand))} "
         f"({statistics.median(optimize) / statistics.median(hand):.1f}x)"),
        (f"{label}: calculate_lead_metrics", dist(point),
         f"its SQL p50 {ms(pct(point_sql, 0.5))}; hand-written point query "
         f"p50 {ms(pct(hand_point, 0.5))}; point read of raw.campaign_events "
         f"p50 {ms(pct(raw_point, 0.5))}"),
        *[(f"{label}: {name}", figure, note) for name, figure, note in after_writes],
        (f"{label}: peak RSS", f"{rss:,.0f} MB",
         "generator (polars, Arrow) + facade + DuckDB, one process"),
    ]  # fmt: skip
    if dbt:
        start = time.perf_counter()
        build(dds.warehouse)  # dbt build: seeds, models, data tests, unit tests
        seconds = time.perf_counter() - start
        # (no RSS for dbt: a forked child's maxrss counts the pages it shared with us)
        rows.append((f"{label}: dbt build (whole project)", f"{seconds:.1f} s", "target 30 s"))
        # 1 % more cost events, then the incremental build that folds them in
        new_events = max(1, cost_events // 100)
        frame = more_cost_events(ids, new_events, rng, utc_now())
        ok(dds.ingest("costs", frame))
        start = time.perf_counter()
        build(dds.warehouse)
        seconds = time.perf_counter() - start
        rows.append(
            (f"{label}: dbt build after 1 % new cost events", f"{seconds:.1f} s",
             "incremental: only the campaigns written since; target 15 s at 10M")
        )  # fmt: skip
    dds.close()
    return rows


# ------------------------------------------------------------------------------ driver


def child(args: argparse.Namespace) -> None:
    global PAUSE_SECONDS
    PAUSE_SECONDS = args.pause_seconds
    folder = Path(args.folder)
    if args.child == "latency":
        rows = latency(args.template, folder, args.calls, args.writes_only)
    else:
        rows = portfolio(
            args.template, folder, args.size[0], args.size[1], args.calls, args.dbt_build
        )
    print(json.dumps(rows))


def run_child(script_args: list[str]) -> list[Row]:
    completed = subprocess.run(
        [sys.executable, __file__, *script_args], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark step {script_args} failed:\n{completed.stderr[-3000:]}")
    return [tuple(row) for row in json.loads(completed.stdout.strip().splitlines()[-1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--campaigns", type=int, nargs="*", default=[100, 1000, 10000],
                        help="campaign counts (100 cost events each)")  # fmt: skip
    parser.add_argument("--cost-events", type=int, nargs="*",
                        default=[100_000, 1_000_000, 10_000_000],
                        help="cost event counts (over --events-campaigns campaigns)")  # fmt: skip
    parser.add_argument("--events-campaigns", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200, help="calls per latency figure")
    parser.add_argument("--no-dbt-build", dest="dbt_build", action="store_false")
    parser.add_argument("--dbt-build-max-events", type=int, default=1_000_000,
                        help="time dbt build only on warehouses up to this many cost events "
                        "(its ~500 data tests each re-run the view stack)")  # fmt: skip
    parser.add_argument("--no-latency", dest="latency", action="store_false")
    parser.add_argument("--writes-only", action="store_true",
                        help="of the per-call figures, only the single writes'")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="100 and 1,000 campaigns, 100k events, 100 calls")  # fmt: skip
    parser.add_argument("--postgres", action="store_true",
                        help="also the per-call figures on a PostgreSQL warehouse (a temporary "
                        "server from Debian's postgresql package, as the tests start)")  # fmt: skip
    parser.add_argument("--pause-seconds", type=float, default=PAUSE_SECONDS,
                        help="between a write and the read after it, in the figures of the "
                        "read after the background refresh")  # fmt: skip
    parser.add_argument("--child", choices=["latency", "portfolio"], help=argparse.SUPPRESS)
    parser.add_argument("--template", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.quick:
        args.campaigns, args.cost_events, args.calls = [100, 1000], [100_000], 100
        args.events_campaigns = 1000
    sizes = [(n, n * 100) for n in args.campaigns]
    sizes += [(args.events_campaigns, m) for m in args.cost_events]
    sizes = sorted(set(sizes), key=lambda size: (size[1], size[0]))

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="dds-bench-") as tmp:
        template = Path(tmp) / "template" / "dds.duckdb"
        DDSIntegration(Settings(warehouse_path=template, idle_release_seconds=3600)).close()
        common = ["--template", str(template), "--calls", str(args.calls),
                  "--pause-seconds", str(args.pause_seconds)]  # fmt: skip
        if args.writes_only:
            common.append("--writes-only")
        if args.latency:
            rows += run_child(["--child", "latency", "--folder", f"{tmp}/latency", *common])
        if args.postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository
            from tests.postgres_server import PostgresServer

            server = PostgresServer()
            try:
                url = server.create_database("bench")
                rows += run_child(
                    ["--child", "latency", "--folder", f"{tmp}/latency-pg", "--template", url,
                     "--calls", str(args.calls), "--pause-seconds", str(args.pause_seconds),
                     *(["--writes-only"] if args.writes_only else [])]
                )  # fmt: skip
            finally:
                server.close()
        for campaigns, events in sizes:
            step = ["--child", "portfolio", "--size", str(campaigns), str(events),
                    "--folder", f"{tmp}/n{campaigns}_{events}", *common]  # fmt: skip
            if not args.dbt_build or events > args.dbt_build_max_events:
                step.append("--no-dbt-build")
            rows += run_child(step)
            print(f"  done: {campaigns:,} campaigns, {events:,} cost events", file=sys.stderr)

    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}"
    )
    width = max(len(r[0]) for r in rows)
    figure_width = max(len(r[1]) for r in rows)
    print(f"{'measure':<{width}}  {'figure':<{figure_width}}  floor / reference")
    for name, figure, note in rows:
        print(f"{name:<{width}}  {figure:<{figure_width}}  {note}")


if __name__ == "__main__":
    main()
