"""Plain `dbt build`, started by hand beside NovaOS, waits its turn instead of failing (#19).

Three writer processes log costs and snapshots through the facade without pause while
`dbt build --project-dir . --profiles-dir .` (the dbt executable itself, as an analyst or CI
runs it, not `dds build`) runs twenty times in a row. dbt takes its turn through the gate
(`ingest/warehouse/dbt_plugin.py`, loaded by profiles.yml): no run may fail, the writers' writes
spool while dbt holds the file, and afterwards every acknowledged write is in raw exactly
once, spooled ones included once the spool is applied.

Each build selects the staging view of the cost table being written and its uniqueness
test: dbt opens and holds the warehouse exactly as for a whole build (the plugin acts when
dbt first connects, whatever is selected), and each run stays a few seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

from dds_api.current_marts.build import project_dir
from tests.conftest import SPEC_CONFIG, make_dds
from tests.warehouse.stored import stored

WRITERS = 3
BUILDS = int(os.environ.get("DDS_DBT_BESIDE_RUNS", "20"))
# the view and the uniqueness test of the raw table being written, by name (`empty`: not
# every other test of the view as well)
SELECT = (
    *("--select", "stg_dds__cost_events", "source_unique_dds_cost_events_cost_id"),
    *("--indirect-selection", "empty"),
)

WRITER = textwrap.dedent("""
    import json, os, sys, time
    from decimal import Decimal
    from dds_api import get_dds

    worker, stop, campaign = sys.argv[1], sys.argv[2], sys.argv[3]
    dds = get_dds()
    acked = spooled = snapshots = 0
    total = Decimal(0)
    errors = []
    i = 0
    while not os.path.exists(stop):
        amount = Decimal(i % 97 + 1) / 100
        result = dds.log_dds_costs(campaign, {
            "operation": "scoring", "provider": "anthropic", "cost": amount,
            "details": {"worker": worker, "i": i},
        })
        if result["status"] == "logged":
            acked += 1
            total += amount
            spooled += bool(result.get("spooled"))
        else:
            errors.append(result)
        if i % 10 == 9:
            n = i + 1
            result = dds.log_dds_results(campaign, {
                "stage": "outreach", "leads_found": n, "leads_qualified": n // 2,
                "emails_sent": n, "emails_opened": n // 3, "emails_replied": n // 10,
            })
            if result["status"] == "logged":
                snapshots += 1
                spooled += bool(result.get("spooled"))
            else:
                errors.append(result)
        i += 1
        time.sleep(0.05)  # a busy NovaOS (~15 writes a second each), not a bulk load
    dds.close()
    print(json.dumps({"acked": acked, "total": str(total), "spooled": spooled,
                      "snapshots": snapshots, "errors": errors[:5]}))
""")


def _env(path: Path) -> dict[str, str]:
    # generous, for a loaded CI machine: a writer holds the file for one call at a time
    return {
        **os.environ,
        "DDS_WAREHOUSE": str(path),
        "DDS_LOCK_TIMEOUT_SECONDS": "120",
        "DO_NOT_TRACK": "1",
    }


@pytest.mark.slow(minutes=3)
def test_plain_dbt_build_beside_writers_never_fails_and_loses_nothing(
    warehouse_path: Path, tmp_path: Path
) -> None:
    dds = make_dds(warehouse_path)
    campaigns = []
    for n in range(WRITERS):
        deployed = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": f"campaign {n}"})
        campaigns.append(deployed["campaign_id"])
        dds.start_campaign(deployed["campaign_id"])
    dds.close()

    stop = tmp_path / "stop"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(w), str(stop), campaigns[w]],
            env=_env(warehouse_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "build", *SELECT, "--project-dir", ".", "--profiles-dir", "."]
    failures: list[str] = []
    seconds: list[float] = []
    try:
        time.sleep(2)  # the writers are under way
        for _ in range(BUILDS):
            started = time.monotonic()
            run = subprocess.run(
                command, cwd=project_dir(), env=_env(warehouse_path), capture_output=True, text=True
            )
            seconds.append(time.monotonic() - started)
            if run.returncode != 0:
                failures.append((run.stdout + run.stderr)[-2000:])
        stop.touch()
        written = []
        for proc in writers:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err[-3000:]
            written.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        stop.touch()
        for proc in writers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    assert failures == []
    for report in written:
        assert report["errors"] == []
    # dbt held the file while the writers wrote: their writes spooled meanwhile
    assert sum(report["spooled"] for report in written) > 0

    after = stored(warehouse_path)

    acked = {campaigns[w]: Decimal(report["total"]) for w, report in enumerate(written)}
    assert after.cost_by_campaign == acked  # exact, in DECIMAL: nothing lost or counted twice
    assert after.cost_rows == after.distinct_cost_details == sum(r["acked"] for r in written)
    assert after.snapshots == sum(report["snapshots"] for report in written)
    print(
        f"\n{BUILDS} plain dbt builds beside {WRITERS} writers: every one passed, "
        f"{min(seconds):.1f}-{max(seconds):.1f} s each; {after.cost_rows} costs and "
        f"{after.snapshots} snapshots, {sum(r['spooled'] for r in written)} of them spooled"
    )
