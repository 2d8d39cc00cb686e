"""The test PostgreSQL server itself (tests/postgres_server.py): a real server over a unix
socket, fresh databases per test, and an outage (stop, start) that keeps the data."""

from __future__ import annotations

import psycopg
import pytest

from tests.postgres_server import PostgresServer


def test_a_database_is_fresh_and_a_restart_keeps_its_data(
    postgres_server: PostgresServer, postgres_database: str
) -> None:
    assert postgres_database.startswith("postgresql://postgres@/test_")
    assert f"host={postgres_server.socket_dir}" in postgres_database
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("create table kept (n integer)")
        conn.execute("insert into kept values (%s), (%s)", [1, 2])

    postgres_server.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(postgres_database, connect_timeout=2)
    postgres_server.start()

    with psycopg.connect(postgres_database) as conn:
        assert conn.execute("select sum(n) from kept").fetchone() == (3,)


def test_a_database_from_a_template_and_dropped(postgres_server: PostgresServer) -> None:
    source = postgres_server.create_database("template_source")
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("create table seeded as select 42 as answer")
    copy = postgres_server.create_database("template_copy", template="template_source")
    with psycopg.connect(copy) as conn:
        assert conn.execute("select answer from seeded").fetchone() == (42,)
    postgres_server.drop_database("template_copy")
    postgres_server.drop_database("template_source")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(copy)
