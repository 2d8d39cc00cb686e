"""The main job end to end: `dds demo` loads the sample, runs a real `dbt build` (models,
data tests, unit tests) and prints the reports; `dds build` passes on that warehouse."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dds_api.apps.cli import main


@pytest.fixture
def demo_env(warehouse_address: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DDS_WAREHOUSE", warehouse_address)
    return warehouse_address


# the README's one command, on the default file and on a PostgreSQL server
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["duckdb", "postgres"])
def test_demo_loads_builds_tests_and_reports(demo_env: str) -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Loaded 8 sample campaigns" in out
    assert "ERROR=0" in out and "PASS=" in out
    assert "Total campaigns: 8  (active 6, paused 0, stopped 1)" in out
    assert "Total cost: $118.66   Total revenue: $18,500.00   Profit: $18,381.34" in out
    assert "Optimization: 6 campaigns analysed, 1 critical, 3 high" in out
    assert "Plumbers Denver: PAUSE_CAMPAIGN paused (auto: negative ROI)" in out
    assert "Roofers Phoenix Spring: SCALE_UP opportunity" in out

    again = CliRunner().invoke(main, ["demo"])
    assert again.exit_code == 0, again.output
    assert "already holds 8 campaigns" in again.output
    assert "(active 5, paused 1, stopped 1)" in again.output  # the auto-pause persisted

    built = CliRunner().invoke(main, ["build"])
    assert built.exit_code == 0, built.output
    assert "ERROR=0" in built.output
