"""Every test here that opens a warehouse runs on both engines: the DuckDB file and
PostgreSQL (tests/conftest.py: ``backend``, ``warehouse_address``, ``new_warehouse``); the
fresh-clone path (test_build_and_demo.py) is the DuckDB default's own."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param
