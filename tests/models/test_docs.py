"""Every column an analyst can query is documented in its YAML (issue 17, item 6).

The columns are those of the real warehouse a build made (information_schema), not those
the YAML lists, so a column a model selects but its YAML forgets is caught, and so is a
relation with no YAML at all. The descriptions come from that build's manifest, with
`{{ doc() }}` blocks already rendered.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import duckdb

from dds_api.current_marts import build as dbt_build

# raw: the sources; the rest: dbt's layers (seeds included: analysts join them too)
DOCUMENTED_SCHEMAS = ("raw", "reference", "staging", "intermediate", "marts")
# the migrations' own bookkeeping, not a source (tests/warehouse/test_tables.py)
NOT_FOR_ANALYSTS = {("raw", "schema_version")}


def documented_columns(manifest: dict) -> dict[tuple[str, str], set[str]]:
    """(schema, relation) -> the columns with a non-blank description, from the manifest."""
    documented: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node in (*manifest["nodes"].values(), *manifest["sources"].values()):
        if node["resource_type"] not in ("model", "seed", "source"):
            continue
        relation = (node["schema"], node.get("identifier") or node["alias"])
        documented[relation] |= {
            name.lower()
            for name, column in node["columns"].items()
            if (column.get("description") or "").strip()
        }
    return documented


def test_every_column_in_the_warehouse_has_a_description(template_warehouse: Path) -> None:
    manifest = json.loads((dbt_build.target_dir() / "manifest.json").read_text())
    documented = documented_columns(manifest)
    with duckdb.connect(str(template_warehouse), read_only=True) as conn:
        columns = conn.execute(
            "select table_schema, table_name, lower(column_name) "
            "from information_schema.columns "
            "where table_catalog = current_database() "
            f"and table_schema in ({', '.join('?' for _ in DOCUMENTED_SCHEMAS)}) "
            "order by table_schema, table_name, ordinal_position",
            list(DOCUMENTED_SCHEMAS),
        ).fetchall()

    assert {schema for schema, _, _ in columns} == set(DOCUMENTED_SCHEMAS)
    undocumented = [
        f"{schema}.{relation}.{column}"
        for schema, relation, column in columns
        if (schema, relation) not in NOT_FOR_ANALYSTS
        and column not in documented.get((schema, relation), set())
    ]
    assert undocumented == [], (
        f"{len(undocumented)} columns have no description in their model's, seed's or "
        f"source's YAML: {undocumented}"
    )
