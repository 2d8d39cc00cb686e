"""How Spark is told where the PostgreSQL warehouse is (ingest/warehouse/spark.py), without
Spark: a libpq URL becomes JDBC options, the password never in the JDBC URL, and what pgjdbc
cannot do (a unix socket, a libpq-only parameter) is a clear error naming the fix, with the
password redacted. The build itself: tests/models/test_spark.py (marked spark)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.warehouse.spark import jdbc_jar, jdbc_source, main


def test_a_libpq_url_becomes_a_jdbc_url_and_properties() -> None:
    url, properties = jdbc_source(
        "postgresql://analyst:s3cret@db.example:6543/dds?sslmode=verify-full"
    )
    assert url == "jdbc:postgresql://db.example:6543/dds"
    assert properties == {
        "driver": "org.postgresql.Driver",
        "user": "analyst",
        "password": "s3cret",
        "sslmode": "verify-full",
    }
    assert jdbc_source("postgresql://reader@127.0.0.1/dds") == (
        "jdbc:postgresql://127.0.0.1:5432/dds",
        {"driver": "org.postgresql.Driver", "user": "reader"},
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://postgres:s3cret@/dds?host=/tmp/dds-pg-x", "over TCP"),
        ("postgresql://postgres:s3cret@a,b/dds", "over TCP"),
        ("postgresql://postgres:s3cret@db.example/", "names no database"),
        ("postgresql://postgres:s3cret@db.example/dds?target_session_attrs=any", "does not take"),
    ],
)
def test_what_pgjdbc_cannot_do_is_an_error_without_the_password(url: str, words: str) -> None:
    with pytest.raises(ValueError, match=words) as raised:
        jdbc_source(url)
    assert "s3cret" not in str(raised.value)


def test_a_missing_driver_jar_names_the_debian_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DDS_POSTGRES_JDBC_JAR", str(tmp_path / "absent.jar"))
    with pytest.raises(FileNotFoundError, match="libpostgresql-jdbc-java"):
        jdbc_jar()


def test_the_command_refuses_a_file_path_before_starting_spark(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["./dds.duckdb"])
    assert exited.value.code == 2
    assert "postgresql://" in capsys.readouterr().err
