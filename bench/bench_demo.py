"""How long `dds demo` takes from a fresh clone on a fresh warehouse, beside a reference
revision in the same run (a benchmark, not a test: nothing here asserts a time).

    python bench/bench_demo.py --baseline main          # HEAD and main, alternating
    python bench/bench_demo.py --baseline main --runs 2

Each revision is exported with `git archive` (the tracked files only: no target/, no
partial parse, as a fresh clone) and its own code runs the demo (PYTHONPATH points at the
export, so this venv's packages serve both), on a new DuckDB file. The revisions alternate,
so that a change in the machine's load falls on both.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dds_api.current_marts.build import project_dir


def export(revision: str, folder: Path) -> Path:
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(project_dir()), "archive", revision], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def demo(clone: Path, warehouse: Path) -> float:
    """Seconds `dds demo` takes in the clone, on a new warehouse."""
    env = {
        **os.environ,
        "PYTHONPATH": str(clone),
        "DDS_WAREHOUSE": str(warehouse),
        "DDS_DBT_PROJECT_DIR": str(clone),
        "DO_NOT_TRACK": "1",
    }
    command = [sys.executable, "-c", "from dds_api.apps.cli import main; main()", "demo"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0 or "Loaded 8 sample campaigns" not in done.stdout:
        raise RuntimeError(f"dds demo failed in {clone}:\n{done.stdout}\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--revision", default="HEAD")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    times: dict[str, list[float]] = {args.baseline: [], args.revision: []}
    with tempfile.TemporaryDirectory(prefix="dds-bench-demo-") as tmp:
        for run in range(args.runs):
            for revision in (args.baseline, args.revision):
                folder = Path(tmp) / f"{run}-{len(times[revision])}-{revision.replace('/', '_')}"
                clone = export(revision, folder / "clone")
                times[revision].append(demo(clone, folder / "dds.duckdb"))
                print(f"  {revision}: {times[revision][-1]:.1f} s", file=sys.stderr)
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    base = statistics.median(times[args.baseline])
    for revision, seconds in times.items():
        median = statistics.median(seconds)
        each = ", ".join(f"{s:.1f}" for s in seconds)
        print(
            f"dds demo, fresh clone and warehouse, {revision:<10} {median:6.1f} s "
            f"(runs: {each}; {median / base:.2f}x {args.baseline})"
        )


if __name__ == "__main__":
    main()
