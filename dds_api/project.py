"""The dbt project that owns every number, and keeping the warehouse's views built from it.

The facade reads marts that are views over the raw tables, so they need building once per
warehouse (and again whenever the project changes), not after every write. dbt runs in a
subprocess: in-process dbt shares DuckDB's instance and can keep the file lock after it
returns.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from ingest.validation import utc_now
from ingest.warehouse import Warehouse

# Files whose change means the views must be rebuilt: SQL, macros, seeds and the project's
# vars. The YAML beside the models holds docs and tests, which bootstrapping does not run.
_PROJECT_GLOBS = ("dbt_project.yml", "models/**/*.sql", "macros/**/*.sql", "seeds/**/*.csv")
BUILD_INFO_TABLE = "main.dds_build_info"
# Bootstrapping builds seeds and views only; `dds build` and CI run the tests too.
BOOTSTRAP_ARGS = (
    "build",
    "--exclude-resource-type",
    "test",
    "--exclude-resource-type",
    "unit_test",
)


class DbtError(RuntimeError):
    """dbt failed; the message carries the end of its output."""


def project_dir() -> Path:
    """The dbt project: DDS_DBT_PROJECT_DIR, else the repository this package lives in."""
    configured = os.environ.get("DDS_DBT_PROJECT_DIR")
    path = Path(configured) if configured else Path(__file__).resolve().parent.parent
    if not (path / "dbt_project.yml").is_file():
        raise DbtError(
            f"No dbt project at {path}. Install the package from its repository "
            "(pip install -e .) or set DDS_DBT_PROJECT_DIR to the folder with dbt_project.yml."
        )
    return path


def project_digest(root: Path | None = None) -> str:
    root = root or project_dir()
    digest = hashlib.sha256()
    files = sorted({p for pattern in _PROJECT_GLOBS for p in root.glob(pattern) if p.is_file()})
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_dbt(args: list[str] | tuple[str, ...], warehouse_path: str) -> str:
    """Run dbt on the warehouse in a subprocess; return its output or raise DbtError."""
    root = project_dir()
    env = {**os.environ, "DDS_WAREHOUSE": warehouse_path, "DO_NOT_TRACK": "1"}
    # the dbt script of the interpreter we run in, so a venv's dbt is used even when the
    # venv is not activated
    script = Path(sys.executable).with_name("dbt")
    runner = [str(script)] if script.is_file() else [sys.executable, "-m", "dbt.cli.main"]
    command = [*runner, *args, "--project-dir", str(root), "--profiles-dir", str(root)]
    completed = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-40:])
        raise DbtError(f"dbt {' '.join(args)} failed (exit {completed.returncode}):\n{tail}")
    return output


def build(warehouse: Warehouse, args: list[str] | tuple[str, ...] = ("build",)) -> str:
    """Run dbt (by default a full build with tests) and record which project it built."""
    digest = project_digest()
    with warehouse.connect():  # creates the raw schema before dbt reads its sources
        pass
    # dbt runs in a subprocess and takes its turn at the warehouse like any process of ours
    # (ingest/dbt_plugin.py): let go of the file, and our other processes wait (or spool
    # their writes) while dbt holds it
    warehouse.close(refresh_snapshot=False)  # refreshed after the build instead
    output = run_dbt(args, warehouse.path)
    with warehouse.transaction() as conn:
        conn.execute(
            f"create or replace table {BUILD_INFO_TABLE} as "
            "select ?::varchar as project_digest, ?::timestamp as built_at",
            [digest, utc_now()],
        )
    warehouse.refresh_snapshot()  # analysts see what the build made
    return output


def ensure_built(warehouse: Warehouse) -> None:
    """Build the views unless this warehouse already has them from this project version.

    The marts must be views for read-your-writes: if an analyst built them as tables
    (`DDS_TARGET=analytics`), they are stale snapshots, so they are built again as views.
    """
    digest = project_digest()
    with warehouse.connect() as conn:
        exists = conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'main' and table_name = 'dds_build_info'"
        ).fetchone()[0]
        built = exists and conn.execute(f"select project_digest from {BUILD_INFO_TABLE}").fetchone()
        materialized_as_tables = conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_type <> 'VIEW'"
        ).fetchone()[0]
    if built and built[0] == digest and not materialized_as_tables:
        return
    build(warehouse, BOOTSTRAP_ARGS)
