"""The docs say what the warehouse holds: the README's map lists exactly the marts and raw
tables a fresh build has, and every repository path the docs and code comments cite exists.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
# where a newcomer reads; DECISIONS.md and CHANGELOG.md are history and may name old paths
DOCS = ("README.md", "analyses/README.md", "bench/README.md", "models/docs.md")
CITED_PATH = re.compile(
    r"(?<![\w/.-])((?:ingest|models|analyses|dds_api|tests|bench|seeds|macros|data-tests)"
    r"/[\w./-]*\.(?:py|sql|yml|md|csv))"
)


def relations(path: Path, schema: str) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = current_database() and table_schema = ?",
                [schema],
            ).fetchall()
        }


def readme_between(start: str, end: str) -> str:
    readme = (REPO / "README.md").read_text()
    first = readme.index(start)
    return readme[first : readme.index(end, first)]


def test_the_maps_marts_are_the_warehouses(template_warehouse: Path) -> None:
    table = readme_between("**The marts**", "\nT: ")
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`(\w+)`", row.split(" | ")[0])}
    assert listed == relations(template_warehouse, "marts")


def test_the_maps_raw_tables_are_the_warehouses(template_warehouse: Path) -> None:
    sentence = readme_between("Raw tables (schema `raw`)", "Seeds:")
    listed = set(re.findall(r"`(\w+)`", sentence)) - {"raw"}
    assert listed == relations(template_warehouse, "raw")


def test_every_cited_path_exists() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "*.py", "*.sql", "*.yml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    missing = [
        (source, cited)
        for source in (*DOCS, *tracked)
        for cited in CITED_PATH.findall((REPO / source).read_text())
        if not (REPO / cited).exists()
    ]
    assert missing == []
