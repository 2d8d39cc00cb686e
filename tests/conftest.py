"""Fixtures: a real DuckDB warehouse built by a real dbt run, fresh for every test.

dbt builds the models (and the refresh plan) once per session into a template file; each
test gets a copy of it (every connection attaches the file as the catalog `dds`, so a
copied file works as it is).
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dds_api.current_marts.build import compile_refresh_plan
from dds_api.facade import DDSIntegration
from dds_api.samples.demo import SPEC_EXAMPLE_CONFIG
from ingest.warehouse.settings import Settings
from ingest.warehouse.tables import RAW_TABLES
from tests.postgres_server import PostgresServer, find_postgres_bin

os.environ.setdefault("DO_NOT_TRACK", "1")


def _dbt_folders_per_worker() -> None:
    """Under pytest-xdist (.ci/run runs two workers) each worker's dbt runs write a target
    and log folder of their own: two builds sharing target/ would read each other's
    half-written manifest and partial parse. Seeded with the project's partial parse, so a
    worker's first build does not parse the whole project again."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or "DBT_TARGET_PATH" in os.environ:
        return
    project = Path(__file__).resolve().parent.parent
    target = project / "target" / f"xdist-{worker}"
    target.mkdir(parents=True, exist_ok=True)
    parsed = project / "target" / "partial_parse.msgpack"
    if parsed.is_file() and not (target / parsed.name).exists():
        shutil.copy(parsed, target)
    # relative, as dbt reads it: a test's copy of the project writes into its own folder
    os.environ["DBT_TARGET_PATH"] = str(target.relative_to(project))
    os.environ.setdefault("DBT_LOG_PATH", f"logs/xdist-{worker}")


_dbt_folders_per_worker()

SPEC_CONFIG = SPEC_EXAMPLE_CONFIG


def require_postgres(what: str, missing: bool) -> None:
    """Skip the test when ``what`` is ``missing``, unless DDS_REQUIRE_POSTGRES=1 (CI): then
    fail, so that the Postgres tests run there rather than silently skip."""
    if not missing:
        return
    message = f"{what} not found"
    if os.environ.get("DDS_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " and DDS_REQUIRE_POSTGRES=1", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (tests/postgres_server.py). Skipped where no
    server binaries are installed, unless DDS_REQUIRE_POSTGRES=1 (CI), which fails instead."""
    binaries = "PostgreSQL server binaries (Debian package `postgresql`)"
    require_postgres(binaries, find_postgres_bin() is None)
    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_tcp_server() -> Iterator[PostgresServer]:
    """Another server that also listens on TCP 127.0.0.1 (``tcp_url``), for clients without
    unix sockets (Spark's JDBC source)."""
    binaries = "PostgreSQL server binaries (Debian package `postgresql`)"
    require_postgres(binaries, find_postgres_bin() is None)
    server = PostgresServer(tcp=True)
    yield server
    server.close()


_database_numbers = itertools.count(1)


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the session's server: its URL. Dropped afterwards."""
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


def make_dds(address: Path | str, **settings: Any) -> DDSIntegration:
    """A facade over the warehouse at ``address``: a DuckDB file's path, or a PostgreSQL URL
    (whose host-local state, the spool, goes to $DDS_STATE_DIR: each test sets its own)."""
    if isinstance(address, str) and address.startswith("postgresql://"):
        return DDSIntegration(Settings.for_postgres(address, **settings))
    return DDSIntegration(Settings(warehouse_path=Path(address), **settings))


@pytest.fixture(scope="session")
def template_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "dds.duckdb"
    dds = make_dds(path)  # runs dbt to build seeds and views
    dds.close()
    return path


@pytest.fixture(scope="session")
def template_postgres(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The same template on the session's PostgreSQL server: a database built once by dbt
    (its name), which each test's database is created from (CREATE DATABASE ... TEMPLATE)."""
    name = "dds_template"
    state = tmp_path_factory.mktemp("template-state")
    previous = os.environ.get("DDS_STATE_DIR")
    os.environ["DDS_STATE_DIR"] = str(state)
    try:
        dds = make_dds(postgres_server.create_database(name))
        dds.close()
    finally:
        if previous is None:
            os.environ.pop("DDS_STATE_DIR", None)
        else:
            os.environ["DDS_STATE_DIR"] = previous
    return name


@pytest.fixture(scope="session")
def full_build_sql(template_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each refreshed model's SQL as dbt compiles it for --full-refresh (every campaign)."""
    copy = tmp_path_factory.mktemp("compile") / "dds.duckdb"
    shutil.copy(template_warehouse, copy)
    return {step.model: step.sql for step in compile_refresh_plan(str(copy), "--full-refresh")}


@pytest.fixture
def warehouse_path(template_warehouse: Path, tmp_path: Path) -> Path:
    path = tmp_path / "dds.duckdb"
    shutil.copy(template_warehouse, path)
    return path


@pytest.fixture
def backend() -> str:
    """The warehouse engine a test runs on. DuckDB here; the facade's and ingest's suites
    (tests/dds_api, tests/ingest) run each test on both engines (their conftest.py)."""
    return "duckdb"


@pytest.fixture
def new_warehouse(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[], str]:
    """Makes fresh warehouses, built like the template, on the test's engine: each call
    answers a new one's address (a DuckDB file's path or a PostgreSQL URL)."""
    numbers = itertools.count(1)
    if backend == "duckdb":
        template = request.getfixturevalue("template_warehouse")

        def new_file() -> str:
            path = tmp_path / f"dds-{next(numbers)}.duckdb"
            shutil.copy(template, path)
            return str(path)

        return new_file
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template_name = request.getfixturevalue("template_postgres")
    monkeypatch.setenv("DDS_STATE_DIR", str(tmp_path / "state"))  # this test's spool
    created: list[str] = []

    def new_database() -> str:
        name = f"test_{os.getpid()}_{next(_database_numbers)}"
        created.append(name)
        return server.create_database(name, template=template_name)

    def drop_all() -> None:
        for name in created:
            server.drop_database(name)

    request.addfinalizer(drop_all)
    return new_database


@pytest.fixture
def warehouse_address(
    backend: str, request: pytest.FixtureRequest, new_warehouse: Callable[[], str]
) -> str:
    """The test's warehouse on its engine: ``warehouse_path`` on DuckDB, else a database."""
    if backend == "duckdb":
        return str(request.getfixturevalue("warehouse_path"))
    return new_warehouse()


@pytest.fixture
def dds(warehouse_address: str) -> Iterator[DDSIntegration]:
    integration = make_dds(warehouse_address)
    yield integration
    integration.close()


@pytest.fixture
def campaign_id(dds: DDSIntegration) -> str:
    """A deployed and started campaign (the spec's config)."""
    deployed = dds.deploy_campaign(SPEC_CONFIG)
    assert deployed["status"] == "deployed", deployed
    assert dds.start_campaign(deployed["campaign_id"])["status"] == "started"
    return deployed["campaign_id"]


def raw_state(dds: DDSIntegration) -> dict[str, Any]:
    """Every raw table's rows, to prove that a refused call changed nothing."""
    with dds.warehouse.connect() as conn:
        return {
            table.name: sorted(conn.execute(f"select * from raw.{table.name}").fetchall(), key=repr)
            for table in RAW_TABLES
        }


def log_costs(dds: DDSIntegration, campaign_id: str, *amounts: float | str) -> None:
    for amount in amounts:
        result = dds.log_dds_costs(
            campaign_id, {"operation": "prospecting", "provider": "outscraper", "cost": amount}
        )
        assert result["status"] == "logged", result


def log_snapshot(dds: DDSIntegration, campaign_id: str, **figures: Any) -> dict[str, Any]:
    result = dds.log_dds_results(campaign_id, {"stage": "outreach", **figures})
    assert result["status"] == "logged", result
    return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding a ``slow`` test run first, the longest first (``slow(minutes=N)``, about
    a quiet run's; 1 when not given), each in its own order: CI's two workers take whole
    files (.ci/run), and one that meets a several-minute file last finishes alone."""
    minutes: dict[Any, float] = {}
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker is not None:
            given = marker.kwargs.get("minutes", 1)
            minutes[item.path] = max(minutes.get(item.path, 0), given)
    items.sort(key=lambda item: -minutes.get(item.path, 0))
