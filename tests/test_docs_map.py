"""The docs say what the warehouse holds: the README's map lists exactly the marts and raw
tables a fresh build has, and every repository path the docs and code comments cite exists.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
import yaml

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


# the docs a reader of the repository follows links from: each must lead into the repository
LINKING_DOCS = (
    "README.md",
    "analyses/README.md",
    "bench/README.md",
    "tests/fixtures/README.md",
    "CHANGELOG.md",
    "DECISIONS.md",
)
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
# a path that leaves the folder it is read from: ../x, /x, ~/x
LEAVING_PATH = re.compile(r"^(?:\.\./|/|~/)\S*$")


def test_the_docs_link_only_what_ships_in_the_repository() -> None:
    outside = []
    for doc in LINKING_DOCS:
        text = (REPO / doc).read_text()
        for target in MARKDOWN_LINK.findall(text):
            path = target.split("#", 1)[0]
            if not path:
                continue  # an anchor in the same document
            resolved = ((REPO / doc).parent / path).resolve()
            if ":" in path or not resolved.is_relative_to(REPO) or not resolved.exists():
                outside.append((doc, target))
        for cited in filter(LEAVING_PATH.match, CODE_SPAN.findall(text)):
            resolved = ((REPO / doc).parent / cited).resolve()
            if cited.startswith(("/", "~")) or not resolved.is_relative_to(REPO):
                outside.append((doc, cited))
    assert outside == []


def test_the_dbt_projects_version_is_the_packages() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    [package] = re.findall(r'^version = "([^"]+)"$', pyproject, flags=re.MULTILINE)
    dbt_project = yaml.safe_load((REPO / "dbt_project.yml").read_text())
    assert dbt_project["version"] == package
