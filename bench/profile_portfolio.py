"""Where the portfolio answers' time goes (issue 26), printed as a table (a benchmark, not a
test): get_all_campaigns_report and optimize_all_campaigns beside the same aggregate
hand-written over raw (bench_facade.py's reference), in wall and CPU time, then each call
split into its steps, the garbage collector's passes, and cProfile's top functions.

    python bench/profile_portfolio.py                          # 10,000 campaigns, 1M events
    python bench/profile_portfolio.py --warehouse /path/to/dds.duckdb   # an existing one

CPU time is printed beside wall time because this machine is shared: a loaded machine
stretches wall time, not the CPU a call uses (DuckDB's own threads count in both).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_facade import HAND_WRITTEN_REPORT, ms

from dds_api import shapes
from dds_api.current_marts import reads
from dds_api.facade import DDSIntegration, _portfolio_recommendations
from dds_api.samples.synthetic import generate
from ingest.warehouse.dialect import DUCKDB, fetch_columns
from ingest.warehouse.settings import Settings

# conn.execute(...).to_arrow_table(), the reference as bench_facade.py runs it, warns
warnings.simplefilter("ignore", UserWarning)


def measured(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of fn, its answer dropped inside the measure (as
    bench_facade.py's timing does)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def figure(times: tuple[float, float], reference: tuple[float, float] | None = None) -> str:
    text = f"wall {ms(times[0])}, CPU {ms(times[1])}"
    if reference:
        text += f" ({times[0] / reference[0]:.1f}x / {times[1] / reference[1]:.1f}x)"
    return text


def collections(fn: Callable[[], Any]) -> str:
    """The collector's passes during one call, by generation."""
    counts = [0, 0, 0]

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            counts[info["generation"]] += 1

    gc.callbacks.append(count)
    try:
        fn()
    finally:
        gc.callbacks.remove(count)
    return f"young {counts[0]}, middle {counts[1]}, full {counts[2]}"


def top_functions(fn: Callable[[], Any], repeat: int, lines: int = 10) -> list[str]:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(repeat):
        fn()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(lines)
    text = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(text) if line.strip().startswith("ncalls"))
    return [line for line in text[start:] if line.strip()]


def profile(path: Path, repeat: int) -> None:
    dds = DDSIntegration(Settings(warehouse_path=path, idle_release_seconds=3600))
    report = dds.get_all_campaigns_report
    optimize = lambda: dds.optimize_all_campaigns(dry_run=True)  # noqa: E731
    report(), optimize()  # the refresh and the file's pages, as a running process has them
    with dds.read() as conn:
        hand = measured(
            lambda: [conn.execute(sql).to_arrow_table() for sql in HAND_WRITTEN_REPORT], repeat
        )
    rows = [
        ("the aggregate hand-written over raw (reference)", figure(hand)),
        ("get_all_campaigns_report", figure(measured(report, repeat), hand)),
        ("optimize_all_campaigns (dry run)", figure(measured(optimize, repeat), hand)),
    ]
    # the steps, each alone, with the collector paused as a call pauses it
    with dds.read() as conn, shapes.collector_paused():
        for name, sql in [
            ("report: its rows' SQL to Arrow", reads.portfolio_campaigns_sql(DUCKDB)),
            ("optimize: its campaigns' SQL to Arrow", reads.portfolio_optimization_sql(DUCKDB)),
            ("optimize: its flags' SQL to Arrow", reads.portfolio_recommendations_sql(DUCKDB)),
        ]:
            rows.append(
                (name, figure(measured(lambda s=sql: conn.sql(s).to_arrow_table(), repeat)))
            )
            rows.append(
                ("  and its columns as Python lists",
                 figure(measured(lambda s=sql: fetch_columns(conn, s), repeat)))
            )  # fmt: skip
        summary = "select * from marts.portfolio_summary"
        rows.append(
            ("report: portfolio_summary",
             figure(measured(lambda: conn.execute(summary).fetchall(), repeat)))
        )  # fmt: skip
        campaigns = fetch_columns(conn, reads.portfolio_campaigns_sql(DUCKDB))
        flags = fetch_columns(conn, reads.portfolio_recommendations_sql(DUCKDB))
    with shapes.collector_paused():
        rows += [
            ("report: its rows' dicts from the columns",
             figure(measured(lambda: shapes.records(campaigns, shapes.CAMPAIGN_ROW), repeat))),
            ("optimize: recommendations from the flags' columns",
             figure(measured(lambda: _portfolio_recommendations(flags), repeat))),
        ]  # fmt: skip
    for name, call in [("report", report), ("optimize", optimize)]:
        answer = call()

        def drop() -> None:
            nonlocal answer
            answer = None

        start = time.process_time()
        drop()
        rows.append((f"{name}: dropping an answer (freeing its objects)",
                     f"CPU {ms((time.process_time() - start) * 1000)}"))  # fmt: skip
        rows.append((f"{name}: the collector's passes in a call", collections(call)))
    width = max(len(name) for name, _ in rows)
    for name, text in rows:
        print(f"{name:<{width}}  {text}")
    for name, call in [("get_all_campaigns_report", report), ("optimize_all_campaigns", optimize)]:
        print(f"\ncProfile, {name}, {repeat} calls (top functions by own time):")
        print("\n".join(top_functions(call, repeat)))
    dds.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, help="profile this warehouse's portfolio")
    parser.add_argument("--campaigns", type=int, default=10_000)
    parser.add_argument("--cost-events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if args.warehouse is not None:
        profile(args.warehouse, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="dds-portfolio-") as tmp:
        path = Path(tmp) / "dds.duckdb"
        dds = DDSIntegration(Settings(warehouse_path=path, idle_release_seconds=3600))
        generate(dds, campaigns=args.campaigns, cost_events=args.cost_events, seed=3)
        dds.close()
        profile(path, args.repeat)


if __name__ == "__main__":
    main()
