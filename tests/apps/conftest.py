"""Every test here that opens a warehouse runs on both engines: the DuckDB file and
PostgreSQL (tests/conftest.py: ``backend``, ``warehouse_address``, ``new_warehouse``)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param
