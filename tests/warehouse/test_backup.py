"""`dds export --raw DIR` and `dds import DIR`: a restored warehouse has identical marts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dds_api.apps.cli import main
from ingest.warehouse import backup
from tests.conftest import SPEC_CONFIG, log_costs, log_snapshot, make_dds

# Columns that are the time of the read, not of the data.
_NOW_COLUMNS = {"generated_at", "calculated_at"}


def _run(warehouse: Path, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"DDS_WAREHOUSE": str(warehouse)})


def _marts(path: Path) -> dict[str, list[tuple]]:
    dds = make_dds(path)
    with dds.read() as conn:
        marts = {
            mart: conn.execute(f'select * from marts."{mart}" order by all').fetchall()
            for (mart,) in conn.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        }
        seqs = conn.execute("select max(seq) from raw.campaign_events").fetchone()[0]
    dds.close()
    return {**marts, "_max_seq": [(seqs,)]}


def test_export_raw_then_import_restores_identical_marts(
    warehouse_path: Path, template_warehouse: Path, tmp_path: Path
) -> None:
    dds = make_dds(warehouse_path)
    ids = []
    for name in ("Dentists Austin", "Plumbers Denver 'quoted' \"name\""):
        cid = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": name})["campaign_id"]
        dds.start_campaign(cid)
        log_costs(dds, cid, 2.5, 0.15, 0.000001)
        log_snapshot(dds, cid, leads_found=50, leads_qualified=20, emails_sent=60, revenue=900)
        ids.append(cid)
    dds.pause_campaign(ids[1])
    dds.close()
    before = _marts(warehouse_path)

    out = tmp_path / "backup"
    exported = _run(warehouse_path, "export", "--raw", str(out))
    assert exported.exit_code == 0, exported.output
    manifest = json.loads((out / "manifest.json").read_text())
    dds = make_dds(warehouse_path)
    with dds.warehouse.connect() as conn:
        tables = backup.raw_tables(conn)  # from the catalog, as export enumerates them
    dds.close()
    assert sorted(manifest["tables"]) == tables
    assert {p.stem for p in out.glob("*.parquet")} == set(tables)
    assert manifest["tables"]["cost_events"] == 6

    restored = tmp_path / "restored.duckdb"
    shutil.copy(template_warehouse, restored)  # a new warehouse: views built, no events
    imported = _run(restored, "import", str(out))
    assert imported.exit_code == 0, imported.output
    after = _marts(restored)
    assert after == before

    # events written after the restore sort after the restored ones
    dds = make_dds(restored)
    log_costs(dds, ids[0], 1)
    with dds.warehouse.connect() as conn:
        newest = conn.execute("select max(seq) from raw.cost_events where cost_usd = 1").fetchone()[
            0
        ]
    dds.close()
    assert newest > before["_max_seq"][0][0]


def test_import_refuses_a_warehouse_with_events(warehouse_path: Path, tmp_path: Path) -> None:
    dds = make_dds(warehouse_path)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    log_costs(dds, cid, 1.25)
    dds.close()
    out = tmp_path / "backup"
    assert _run(warehouse_path, "export", "--raw", str(out)).exit_code == 0
    before = _marts(warehouse_path)

    refused = _run(warehouse_path, "import", str(out))
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "new, empty" in refused.output
    assert _marts(warehouse_path) == before  # nothing changed


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda d: (d / "manifest.json").unlink(), "No manifest.json"),
        (lambda d: (d / "cost_events.parquet").unlink(), "lacks cost_events.parquet"),
        (
            lambda d: (d / "manifest.json").write_text('{"schema_version": 99, "tables": {}}'),
            "newer version",
        ),
    ],
)
def test_import_of_a_damaged_backup_is_refused_and_restores_nothing(
    warehouse_path: Path, template_warehouse: Path, tmp_path: Path, damage, expected: str
) -> None:
    dds = make_dds(warehouse_path)
    cid = dds.deploy_campaign(SPEC_CONFIG)["campaign_id"]
    log_costs(dds, cid, 1.25)
    dds.close()
    out = tmp_path / "backup"
    assert _run(warehouse_path, "export", "--raw", str(out)).exit_code == 0
    damage(out)
    restored = tmp_path / "restored.duckdb"
    shutil.copy(template_warehouse, restored)
    result = _run(restored, "import", str(out))
    assert result.exit_code == 1
    assert expected in result.output
    dds = make_dds(restored)
    with dds.warehouse.connect() as conn:
        events = conn.execute("select count(*) from raw.campaign_events").fetchone()[0]
    dds.close()
    assert events == 0
