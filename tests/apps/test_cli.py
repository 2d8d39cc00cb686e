"""The `dds` command line through click's runner, on a real fixture warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from dds_api.apps.cli import main
from dds_api.facade import DDSIntegration
from dds_api.samples.synthetic import plant_variants
from tests.conftest import SPEC_CONFIG, log_snapshot, make_dds


@pytest.fixture
def two_campaigns(dds: DDSIntegration, warehouse_address: str, monkeypatch: pytest.MonkeyPatch):
    """The spec's campaign (revenue 5000) and a losing one that has emailed: ids in order."""
    monkeypatch.setenv("DDS_WAREHOUSE", warehouse_address)
    ids = []
    for name, revenue in (("Dentists Austin Q1", 5000), ("Plumbers Denver", 0)):
        cid = dds.deploy_campaign({**SPEC_CONFIG, "campaign_name": name})["campaign_id"]
        dds.start_campaign(cid)
        dds.log_dds_costs(cid, {"operation": "prospecting", "provider": "outscraper", "cost": 2.5})
        dds.log_dds_costs(cid, {"operation": "scoring", "provider": "anthropic", "cost": 0.15})
        log_snapshot(dds, cid, leads_found=50, leads_qualified=20, emails_sent=60,
                     emails_opened=18, emails_replied=3, revenue=revenue)  # fmt: skip
        ids.append(cid)
    dds.close()  # the CLI opens the warehouse itself
    return ids


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_status_of_all_campaigns_exact(two_campaigns: list[str]) -> None:
    a, b = two_campaigns
    result = run("status")
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"""
All campaigns
  Total campaigns: 2  (active 2, paused 0, stopped 0)
  Total cost: $5.30   Total revenue: $5,000.00   Profit: $4,994.70   ROI: 94,239.6%
┏━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━┳━━━━━━━━━━┳━━━━━━━┳━━━━━━━━┳━━━━━━━━━┳━━━━━━┳━━━━━━━━━━━┓
┃ campaign           ┃ id                               ┃ status ┃ cost ┃ revenue  ┃ leads ┃ qual % ┃ reply % ┃ CPL  ┃ ROI %     ┃
┡━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━━╇━━━━━━━━━╇━━━━━━╇━━━━━━━━━━━┩
│ Dentists Austin Q1 │ {a} │ active │ 2.65 │ 5,000.00 │ 50    │ 40.0   │ 5.0     │ 0.05 │ 188,579.2 │
│ Plumbers Denver    │ {b} │ active │ 2.65 │ 0.00     │ 50    │ 40.0   │ 5.0     │ 0.05 │ -100.0    │
└────────────────────┴──────────────────────────────────┴────────┴──────┴──────────┴───────┴────────┴─────────┴──────┴───────────┘
"""
    )


def test_status_of_one_campaign_exact(two_campaigns: list[str], dds: DDSIntegration) -> None:
    a, _ = two_campaigns
    times = dds.get_campaign_status(a)
    result = run("status", a)
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"""\
Dentists Austin Q1 ({a})
┌────────────────────────────────┬─────────────────────────────┐
│ status                         │ active                      │
│ deployed at                    │ {times["deployed_at"]} │
│ last active                    │ {times["last_active"]} │
│ vertical / location            │ dentists / Austin, TX       │
│ budget                         │ $150.00 (1.8% used)         │
│ total cost                     │ $2.65                       │
│ revenue                        │ $5,000.00                   │
│ ROI                            │ 188,579.2%                  │
│ leads found / qualified        │ 50 / 20                     │
│ qualification rate             │ 40.0%                       │
│ cost per lead                  │ $0.05                       │
│ emails sent / opened / replied │ 60 / 18 / 3                 │
│ open / reply rate              │ 30.0% / 5.0%                │
│ priority                       │ LOW                         │
│ flags                          │ none                        │
└────────────────────────────────┴─────────────────────────────┘
"""
    )


def test_report_json_is_the_facade_answer(two_campaigns: list[str], dds: DDSIntegration) -> None:
    a, _ = two_campaigns
    for report_type in ("full", "costs", "leads", "outreach"):
        result = run("report", a, "--type", report_type, "--json")
        assert result.exit_code == 0, result.output
        printed = json.loads(result.output)
        expected = dds.generate_campaign_report(a, report_type)
        printed.pop("generated_at"), expected.pop("generated_at")
        assert printed == expected


def test_report_table_and_breakdown(two_campaigns: list[str]) -> None:
    a, _ = two_campaigns
    result = run("report", a, "--type", "costs")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Dentists Austin Q1: costs report"
    assert "│ total_cost              │ $2.65                            │" in lines
    assert "│ cost_per_qualified_lead │ $0.13                            │" in lines
    assert "│ outscraper │ prospecting │ 1      │ $2.50 │" in lines
    assert "│ anthropic  │ scoring     │ 1      │ $0.15 │" in lines


def test_optimize_dry_run_changes_nothing_then_optimize_pauses(
    two_campaigns: list[str], dds: DDSIntegration
) -> None:
    _, b = two_campaigns
    dry = run("optimize", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (
        dry.output
        == """
Optimization: 2 campaigns analysed, 1 critical, 0 high (dry run: nothing changed)
  Plumbers Denver - CRITICAL
    - Negative ROI (-100.0 vs 0.0): Pause the campaign and review targeting, costs and \
conversion before spending more
  Plumbers Denver: PAUSE_CAMPAIGN would pause (auto: negative ROI)
"""
    )
    assert dds.get_campaign_status(b)["status"] == "active"
    real = run("optimize")
    assert "Plumbers Denver: PAUSE_CAMPAIGN paused (auto: negative ROI)" in real.output
    assert dds.get_campaign_status(b)["status"] == "paused"


def test_lifecycle_commands_and_exit_codes(two_campaigns: list[str]) -> None:
    a, _ = two_campaigns
    assert run("pause", a).output == f"Campaign {a} paused.\n"
    assert run("start", a).output == f"Campaign {a} started.\n"
    assert run("stop", a).output == f"Campaign {a} stopped permanently.\n"
    again = run("start", a)
    assert again.exit_code == 1
    assert again.stderr.startswith(f"Error: Campaign {a} is stopped, and stopping is permanent.")
    missing = run("pause", "no-such-campaign")
    assert missing.exit_code == 1 and "Campaign not found: 'no-such-campaign'" in missing.stderr
    assert run("pause").exit_code == 2  # usage: the campaign id is required


def test_deploy_command(two_campaigns: list[str]) -> None:
    result = run("deploy", "--vertical", "roofers", "--location", "Phoenix, AZ",
                 "--prospects", "100", "--budget", "50", "--name", "Roofers", "--start")  # fmt: skip
    assert result.exit_code == 0, result.output
    first, second, third = result.output.splitlines()
    assert first.startswith("Deployed Roofers as dds_")
    assert second == "Estimated cost $10.83 ($0.11 per prospect); budget $50.00."
    assert third == "Started."
    refused = run("deploy", "--vertical", "roofers", "--location", "Phoenix", "--budget", "1")
    assert refused.exit_code == 1
    assert "below the estimated cost ($5.42)" in refused.stderr
    assert run("deploy", "--vertical", "x").exit_code == 2  # --location is required


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_export_marts(
    two_campaigns: list[str], dds: DDSIntegration, tmp_path: Path, file_format: str
) -> None:
    out = tmp_path / "export"
    result = run("export", str(out), "--format", file_format)
    assert result.exit_code == 0, result.output
    with dds.warehouse.connect() as conn:
        marts = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()]  # fmt: skip
        counts = {m: conn.execute(f'select count(*) from marts."{m}"').fetchone()[0] for m in marts}
    assert f"Exported {len(marts)} marts to {out} as {file_format}." in result.output
    for mart, rows in counts.items():
        path = out / f"{mart}.{file_format}"
        table = pq.read_table(path) if file_format == "parquet" else pa_csv.read_csv(path)
        assert table.num_rows == rows, mart


def test_dashboard_command(two_campaigns: list[str], tmp_path: Path) -> None:
    out = tmp_path / "site" / "report.html"
    result = run("dashboard", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote the dashboard to {out}.\n"
    page = out.read_text()
    assert "Dentists Austin Q1" in page and "$5,000.00" in page


def test_variants_command(two_campaigns: list[str], warehouse_address: str) -> None:
    a, b = two_campaigns
    dds = make_dds(warehouse_address)
    plant_variants(dds, a, {"plain": 0.02, "personal": 0.2}, emails_per_variant=200, seed=3)
    dds.close()
    result = run("variants", a)
    assert result.exit_code == 0, result.output
    assert "control: plain" in result.output and "winner" in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("│ personal")]
    assert len(lines) == 1 and "│ 200 " in lines[0]
    answer = json.loads(run("variants", a, "--json").output)
    assert answer["winners"] == ["personal"] and answer["control"] == "plain"
    assert "no variants" in run("variants", b).output
    missing = run("variants", "dds_20250101_000000_000000000000")
    assert missing.exit_code == 1 and "Error" in missing.output


@pytest.mark.parametrize(
    "command",
    ["", "build", "demo", "deploy", "start", "pause", "stop", "status", "report", "optimize",
     "export", "export-novaos", "sync-dds", "dashboard", "variants"],
)  # fmt: skip
def test_help_everywhere(command: str) -> None:
    result = run(*([command] if command else []), "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_password_in_the_url_is_never_printed(
    two_campaigns: list[str],
    warehouse_address: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A writer's URL carries its password: no command prints it, on success or failure,
    nor does the dashboard (the test server trusts local users, so any password works)."""
    secret = "s3cret-Pa55"
    with_password = warehouse_address.replace(
        "postgresql://postgres@", f"postgresql://postgres:{secret}@"
    )
    monkeypatch.setenv("DDS_WAREHOUSE", with_password)
    page = tmp_path / "dashboard.html"
    outputs = [
        run("status"),
        run("report"),
        run("demo"),
        run("dashboard", "--out", str(page)),
        run("export", str(tmp_path / "raw"), "--raw"),  # refused on Postgres: pg_dump
    ]
    assert all(result.exit_code == 0 for result in outputs[:4]), [r.output for r in outputs]
    assert "already holds 2 campaigns" in outputs[2].output and "***" in outputs[2].output
    assert outputs[4].exit_code == 1 and "pg_dump" in outputs[4].output
    # the server gone: the error names the warehouse, not the password
    monkeypatch.setenv(
        "DDS_WAREHOUSE",
        f"postgresql://postgres:{secret}@/nowhere?host={tmp_path}&connect_timeout=2",
    )
    outputs.append(run("status"))
    # (the terminal wraps the message where the path's length puts it)
    assert outputs[-1].exit_code == 1 and "did not answer" in " ".join(outputs[-1].output.split())
    for result in outputs:
        assert secret not in result.output
    assert secret not in page.read_text()
