"""The dbt project that owns every number, and keeping the warehouse built from it.

A warehouse is built once per project version (seeds, views, the campaign-grain tables);
between builds the facade keeps the tables current with the SQL dbt compiled for them
(refresh.py beside this), whose plan is recorded here right after each build. dbt runs in a
subprocess: in-process dbt shares DuckDB's instance and can keep the file lock after it
returns.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import duckdb
from psycopg.conninfo import conninfo_to_dict

from dds_api.current_marts import refresh
from ingest.warehouse.connection import Warehouse
from ingest.warehouse.errors import DATABASE_ERRORS, MISSING_TABLE_ERRORS
from ingest.warehouse.settings import postgres_url_of
from ingest.warehouse.tables import utc_now

# Files whose change means the views must be rebuilt: SQL, macros, seeds and the project's
# vars. The YAML beside the models holds docs and tests, which bootstrapping does not run.
_PROJECT_GLOBS = ("dbt_project.yml", "models/**/*.sql", "macros/**/*.sql", "seeds/**/*.csv")
# ...and what a unit test's outcome depends on besides: its own YAML (given rows, expected
# rows, overrides). Data do not enter it: a unit test reads only the rows it is given.
_UNIT_TEST_GLOBS = (*_PROJECT_GLOBS, "models/**/*.yml")
# Arguments that choose which nodes run: a build given any of them is the caller's selection,
# left as it is (and its unit tests, a subset at most, are not recorded as the project's).
_SELECTION_FLAGS = frozenset(
    ("--select", "-s", "--exclude", "--selector", "--resource-type", "--resource-types",
     "--exclude-resource-type", "--exclude-resource-types", "--inline")
)  # fmt: skip
BUILD_INFO_TABLE = "refresh.build_info"
_BUILD_INFO = ("refresh", "build_info")
# Bootstrapping builds seeds and models only; `dds build` and CI run the tests too.
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
    path = Path(configured) if configured else Path(__file__).resolve().parents[2]
    if not (path / "dbt_project.yml").is_file():
        raise DbtError(
            f"No dbt project at {path}. Install the package from its repository "
            "(pip install -e .) or set DDS_DBT_PROJECT_DIR to the folder with dbt_project.yml."
        )
    return path


def project_digest(root: Path | None = None, globs: tuple[str, ...] = _PROJECT_GLOBS) -> str:
    root = root or project_dir()
    digest = hashlib.sha256()
    files = sorted({p for pattern in globs for p in root.glob(pattern) if p.is_file()})
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def unit_test_digest(address: str, args: list[str] | tuple[str, ...]) -> str:
    """What the unit tests' outcome depends on: the project's SQL, macros, seeds and YAML,
    the vars given, the engine (a file or a server) and the dbt and adapter versions."""
    engine = "postgres" if postgres_url_of(address) is not None else "duckdb"
    versions = [_version(name) for name in ("dbt-core", f"dbt-{engine}")]
    vars_given = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--vars"]
    digest = hashlib.sha256(project_digest(globs=_UNIT_TEST_GLOBS).encode())
    digest.update(json.dumps([engine, versions, vars_given]).encode())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "none"


def dbt_environment(address: str) -> dict[str, str]:
    """The environment that points profiles.yml at the warehouse: DDS_WAREHOUSE for the file;
    for a PostgreSQL URL, the `postgres` target and its parts (the password only ever in the
    subprocess's environment, never on a command line or in a file)."""
    env = {**os.environ, "DDS_WAREHOUSE": address, "DO_NOT_TRACK": "1"}
    if postgres_url_of(address) is None:
        return env
    parts = conninfo_to_dict(address)
    env.update(
        DDS_TARGET="postgres",
        DDS_PG_HOST=str(parts.get("host") or "localhost"),
        DDS_PG_PORT=str(parts.get("port") or 5432),
        DDS_PG_USER=str(parts.get("user") or os.environ.get("PGUSER") or getpass.getuser()),
        DDS_PG_PASSWORD=str(parts.get("password") or ""),
        DDS_PG_DBNAME=str(parts.get("dbname") or "postgres"),
    )
    return env


def run_dbt(args: list[str] | tuple[str, ...], warehouse_path: str) -> str:
    """Run dbt on the warehouse (a file's path or a PostgreSQL URL) in a subprocess; return
    its output or raise DbtError."""
    # the dbt script of the interpreter we run in, so a venv's dbt is used even when the
    # venv is not activated
    script = Path(sys.executable).with_name("dbt")
    runner = [str(script)] if script.is_file() else [sys.executable, "-m", "dbt.cli.main"]
    root = project_dir()
    return _run([*runner, *args, *_project_args(root)], " ".join(args), warehouse_path)


def run_dbt_session(commands: list[tuple[str, ...]], warehouse_path: str) -> str:
    """Run dbt commands one after the other in one subprocess (dbt_session.py: dbt is
    imported and the warehouse's gate taken once), stopping at the first that fails; return
    their output or raise DbtError."""
    root = project_dir()
    listed = json.dumps([[*args, *_project_args(root)] for args in commands])
    runner = [sys.executable, "-m", "dds_api.current_marts.dbt_session", listed]
    return _run(runner, " then ".join(" ".join(args) for args in commands), warehouse_path)


def _project_args(root: Path) -> tuple[str, ...]:
    return ("--project-dir", str(root), "--profiles-dir", str(root))


def _run(command: list[str], described: str, warehouse_path: str) -> str:
    root = project_dir()
    env = dbt_environment(warehouse_path)
    completed = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-40:])
        raise DbtError(f"dbt {described} failed (exit {completed.returncode}):\n{tail}")
    return output


def target_dir() -> Path:
    """Where dbt writes manifest.json: DBT_TARGET_PATH (relative to the project, as dbt
    reads it), else the project's target/."""
    return project_dir() / os.environ.get("DBT_TARGET_PATH", "target")


def compile_refresh_plan(warehouse_path: str, *extra: str) -> list[refresh.Step]:
    """Compile the refreshed models and read their plan from the manifest, in a target
    folder of this call's own (another dbt run in the same project must not overwrite the
    manifest in between), seeded with the project's partial parse so it stays quick."""
    return _compile(warehouse_path, *extra)[0]


def _compile(warehouse_path: str, *extra: str) -> tuple[list[refresh.Step], set[tuple[str, str]]]:
    """compile_refresh_plan's steps, and every (schema, name) the project's models and seeds
    own (the manifest holds every node whatever was selected)."""
    with tempfile.TemporaryDirectory(prefix="dds-compile-") as folder:
        _seed_partial_parse(Path(folder))
        run_dbt(
            ("compile", "--target-path", folder, *extra, "--select", *refresh.PLAN_SELECTOR),
            warehouse_path,
        )
        manifest = json.loads((Path(folder) / "manifest.json").read_text())  # ~3 MB: once
        return refresh.plan_from_manifest(manifest), owned_relations(manifest)


def owned_relations(manifest: dict[str, Any]) -> set[tuple[str, str]]:
    """(schema, relation) of every model and seed in the manifest that dbt materializes."""
    return {
        (node["schema"], node.get("alias") or node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
        and node["config"].get("materialized") != "ephemeral"
    }


def drop_stale_relations(conn: duckdb.DuckDBPyConnection, owned: set[tuple[str, str]]) -> list[str]:
    """Drop the tables and views left in dbt's schemas by models or seeds the project no
    longer has (dbt never drops a relation it stopped owning: a renamed mart would linger
    under its old name for analysts to read). Raw and main are not dbt's and are untouched.
    Names come from the catalog, never from input. Returns what was dropped."""
    schemas = sorted({schema for schema, _ in owned})
    stale = [
        (schema, name, kind)
        for schema, name, kind in conn.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_catalog = current_database() and table_schema = any(?)",
            [schemas],
        ).fetchall()
        if (schema, name) not in owned
    ]
    for schema, name, kind in stale:
        conn.execute(f'drop {"view" if kind == "VIEW" else "table"} "{schema}"."{name}"')
    return [f"{schema}.{name}" for schema, name, _ in stale]


def build(warehouse: Warehouse, args: list[str] | tuple[str, ...] = ("build",)) -> str:
    """Run dbt (by default a full build with tests), then record the refresh plan and which
    project version built the warehouse.

    A whole-project `build` leaves the unit tests out when the warehouse's last build ran
    them all, and they passed, on this same SQL, YAML, vars, engine and dbt (DECISIONS.md,
    "Unit tests run when what they test changed"): only such a change can break one."""
    args = tuple(args)
    digest = project_digest()
    unit_digest = unit_test_digest(warehouse.address, args)
    whole_build = bool(args) and args[0] == "build" and not _SELECTION_FLAGS & set(args)
    with warehouse.connect() as conn:  # creates the raw schema before dbt reads its sources
        # (never built, or by a version without that table: nothing recorded as failing)
        failing = refresh.failing_campaigns(conn) if refresh.has_failures_table(conn) else {}
        unit_tested = _unit_tested_digest(conn)
        existing = _existing_relations(conn)
        plan = refresh.load_plan(conn)
        recorded_digest = _recorded_digest(conn) if _BUILD_INFO in existing else None
    if failing and "--full-refresh" not in args:
        # campaigns whose refresh failed keep rows from before it, and an incremental build
        # would not revisit them (their events are behind the state): rebuild from raw
        args = (*args, "--full-refresh")
    skip_unit_tests = whole_build and unit_tested == unit_digest
    if skip_unit_tests:
        args = (*args, "--exclude-resource-type", "unit_test")
    # The plan needs each refreshed model's incremental branch. A whole build over the tables
    # this project version made compiles exactly that for every planned model: its manifest
    # gives the plan. Otherwise (a first or full-refresh build, a selection, a new model) dbt
    # compiles the planned models after the build, now that their tables exist, in the same
    # process, with the vars this build was given (so that the facade's refresh keeps them).
    from_build = (
        whole_build
        and "--full-refresh" not in args
        and recorded_digest == digest
        and plan is not None
        and all(tuple(step.relation.split(".", 1)) in existing for step in plan)
    )
    # dbt runs in a subprocess and takes its turn at the warehouse like any process of ours
    # (ingest/warehouse/dbt_plugin.py): let go of the file, and our other processes wait (or spool
    # their writes) while dbt holds it
    warehouse.close(refresh_snapshot=False)  # refreshed after the build instead
    vars_given = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--vars"]
    vars_arg = ("--vars", vars_given[-1]) if vars_given else ()
    # each dbt command writes its manifest into a folder of its own (another dbt run in this
    # project must not overwrite it before it is read); the build's is left in target/ after
    # (or where the caller's --target-path said)
    given_targets = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--target-path"]
    destination = project_dir() / given_targets[-1] if given_targets else target_dir()
    with (
        tempfile.TemporaryDirectory(prefix="dds-build-") as folder,
        tempfile.TemporaryDirectory(prefix="dds-compile-") as compiled,
    ):
        _seed_partial_parse(Path(folder))
        _seed_partial_parse(Path(compiled))
        commands = [(*args, "--target-path", folder)]
        if not from_build:
            plan_selection = ("--select", *refresh.PLAN_SELECTOR)
            commands.append(("compile", "--target-path", compiled, *vars_arg, *plan_selection))
        try:
            output = run_dbt_session(commands, warehouse.address)
        except DbtError as failed:
            detail = row_check_failures(warehouse, str(failed))
            message = str(failed).replace(folder, str(destination))
            raise DbtError(message + detail) from failed
        finally:
            shutil.copytree(folder, destination, dirs_exist_ok=True)
        planned = Path(folder if from_build else compiled) / "manifest.json"
        manifest = json.loads(planned.read_text())
    if from_build and not _planned_relations(manifest) <= existing:
        # a planned model whose table the build created (none should be): compile it again
        steps, owned = _compile(warehouse.address, *vars_arg)
    else:
        steps, owned = refresh.plan_from_manifest(manifest), owned_relations(manifest)
    if whole_build and not skip_unit_tests and "unit_test" not in args:
        unit_tested = unit_digest  # every unit test ran, and passed (dbt would have failed)
    with warehouse.transaction() as conn:
        drop_stale_relations(conn, owned | refresh.bookkeeping_relations(BUILD_INFO_TABLE))
        refresh.store_plan(conn, steps)
        conn.execute(f"drop table if exists {BUILD_INFO_TABLE}")
        conn.execute(
            f"create table {BUILD_INFO_TABLE} as "
            "select ?::varchar as project_digest, ?::timestamp as built_at, "
            "?::integer as bookkeeping_version, ?::varchar as unit_tested_digest",
            [digest, utc_now(), refresh.BOOKKEEPING_VERSION, unit_tested],
        )
    warehouse.refresh_snapshot()  # analysts see what the build made
    if skip_unit_tests:
        output += (
            "\nUnit tests not run: the project's SQL, YAML, vars, engine and dbt are those of "
            "the last build, whose unit tests all passed (`dbt build` runs them).\n"
        )
    return output


def row_check_failures(warehouse: Warehouse, output: str, rows: int = 3) -> str:
    """For each failed row_checks test in dbt's output, which checks failed and a few of the
    failing rows, read with the test's compiled SQL (dbt says only how many rows failed; a
    row_checks test holds several checks, macros/row_checks.sql)."""
    compiled = [
        Path(path)
        for path in re.findall(r"compiled code at (\S+\.sql)", output)
        if Path(path).name.startswith("row_checks_") and Path(path).is_file()
    ]
    lines = []
    for path in compiled:
        sql = path.read_text()  # dbt compiled it from this project: not input
        try:
            with warehouse.connect(reading=True) as conn:
                counts = conn.execute(
                    f"select failed_check, count(*) from ({sql}) as failing "
                    "group by failed_check order by failed_check"
                ).fetchall()
                cursor = conn.execute(f"select * from ({sql}) as failing limit {int(rows)}")
                names = [column[0] for column in cursor.description]
                examples = cursor.fetchall()
        except DATABASE_ERRORS as exc:
            lines.append(f"{path.stem}: could not read its failing rows ({exc})")
            continue
        lines.append(f"{path.stem}:")
        lines += [f"  {check}: {count} rows" for check, count in counts]
        lines += [f"  e.g. {dict(zip(names, example, strict=True))}" for example in examples]
    return "\n\nFailed row checks:\n" + "\n".join(lines) if lines else ""


def _seed_partial_parse(folder: Path) -> None:
    """Start a dbt run in its own target folder from the project's partial parse, so that it
    parses only what changed."""
    parsed = target_dir() / "partial_parse.msgpack"
    if parsed.is_file():
        shutil.copy(parsed, folder)


def _recorded_digest(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The project_digest of the version that last built the warehouse."""
    row = conn.execute(f"select project_digest from {BUILD_INFO_TABLE}").fetchone()
    return row[0] if row else None


def _unit_tested_digest(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The unit_test_digest of the last build whose unit tests all ran and passed, if any."""
    schema, table = BUILD_INFO_TABLE.split(".")
    recorded = conn.execute(
        "select count(*) from information_schema.columns where table_schema = ? "
        "and table_name = ? and column_name = 'unit_tested_digest'",
        [schema, table],
    ).fetchone()
    if not recorded or not recorded[0]:
        return None  # never built, or built before this was recorded
    row = conn.execute(f"select unit_tested_digest from {BUILD_INFO_TABLE}").fetchone()
    return row[0] if row else None


def _existing_relations(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    return {
        (schema, name)
        for schema, name in conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
    }


def _planned_relations(manifest: dict[str, Any]) -> set[tuple[str, str]]:
    """(schema, relation) of every model the refresh plan holds."""
    kinds = ("incremental", "table")
    return {
        (node["schema"], node.get("alias") or node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("materialized") in kinds
    }


def built_at(conn: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the warehouse was last built (by any process, on any host): a plan read before
    then is stale. None before its first build by this version (no record yet)."""
    try:
        [(at,)] = conn.execute(f"select built_at from {BUILD_INFO_TABLE}").fetchall()
    except MISSING_TABLE_ERRORS:
        return None
    return at


def ensure_built(warehouse: Warehouse) -> None:
    """Build the warehouse unless this project version, with this layout of the refresh's
    bookkeeping, already built it (with its plan)."""
    digest = project_digest()
    with warehouse.connect() as conn:
        tables = {
            f"{schema}.{name}"
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('refresh', 'main')"
            ).fetchall()
        }
        built = (
            BUILD_INFO_TABLE in tables
            and conn.execute(
                f"select project_digest, bookkeeping_version from {BUILD_INFO_TABLE}"
            ).fetchone()
        )
        # a warehouse built before the bookkeeping had its schema (0.4.0 and older)
        built_before = bool(built) or bool(tables & set(refresh.LEGACY_TABLES))
        has_plan = refresh.load_plan(conn) is not None
    if built and tuple(built) == (digest, refresh.BOOKKEEPING_VERSION) and has_plan:
        return
    # Another version of the project built these tables: rebuild them from raw, since a
    # running total cannot tell that its own SQL changed (nor a table its columns' types).
    build(warehouse, (*BOOTSTRAP_ARGS, "--full-refresh") if built_before else BOOTSTRAP_ARGS)
