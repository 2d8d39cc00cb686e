"""`dds`: the command line for operators (demo, build)."""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

import click

from dds_api import get_dds
from dds_api.demo import load_sample
from dds_api.novaos_export import export_to_novaos
from dds_api.project import DbtError, build
from ingest.settings import Settings


@click.group(
    help="DDS campaign analytics on DuckDB + dbt. The warehouse is $DDS_WAREHOUSE "
    "(default ./dds.duckdb)."
)
def main() -> None:
    pass


@main.command("build", help="Run dbt build (models, data tests, unit tests) on the warehouse.")
def build_cmd() -> None:
    dds = get_dds()
    _dbt_build(dds.warehouse)


@main.command(
    help="Load the sample campaigns (once), build and test, and print the "
    "all-campaigns report and the optimization."
)
def demo() -> None:
    settings = Settings.from_env()
    dds = get_dds()
    existing = dds.get_all_campaigns_report()["summary"]["total_campaigns"]
    if existing:
        click.echo(
            f"{settings.warehouse_path} already holds {existing} campaigns; "
            "not loading the sample again."
        )
    else:
        ids = load_sample(dds)
        click.echo(f"Loaded {len(ids)} sample campaigns into {settings.warehouse_path}.")
    _dbt_build(dds.warehouse)
    _print_report(dds.get_all_campaigns_report())
    _print_optimization(dds.optimize_all_campaigns())


@main.command(
    "export-novaos",
    help="Write DDS's agents, costs, revenue and system metrics into a NovaOS memory "
    "database (SQLite), creating its tables if missing. Other rows are left untouched; "
    "running it again replaces DDS's rows, so nothing is added twice.",
)
@click.argument("novaos_db", type=click.Path(dir_okay=False))
def export_novaos(novaos_db: str) -> None:
    try:
        written = export_to_novaos(get_dds(), novaos_db)
    except sqlite3.Error as exc:
        click.echo(f"Could not write {novaos_db}: {exc}", err=True)
        sys.exit(1)
    counts = ", ".join(f"{count} {table}" for table, count in written.items())
    click.echo(f"Exported to {novaos_db}: {counts}.")


@main.command(
    "sync-dds",
    help="Import the DDS system's campaigns.db figures ($DDS_HOME) into the campaigns of "
    "the same name, and report both DDS databases. Unchanged figures write nothing.",
)
def sync_dds() -> None:
    summary = get_dds().sync_dds_databases()
    if summary["status"] == "error":
        click.echo(summary["message"], err=True)
        sys.exit(1)
    if summary["status"] == "not_configured":
        click.echo(summary["message"])
        return
    click.echo(f"Synced from {summary['dds_home']}: {summary['message']}")
    for row in summary["invalid"]:
        click.echo(f"  invalid: {row}")


def _dbt_build(warehouse: Any) -> None:
    click.echo("Running dbt build (models, data tests, unit tests)...")
    try:
        output = build(warehouse)
    except DbtError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    summary = [line for line in output.splitlines() if "Done. PASS=" in line]
    click.echo(summary[-1].split("  ", 1)[-1].strip() if summary else "dbt build finished.")


def _print_report(report: dict[str, Any]) -> None:
    summary = report["summary"]
    click.echo("\nAll campaigns")
    click.echo(
        f"  Total campaigns: {summary['total_campaigns']}  "
        f"(active {summary['active_campaigns']}, paused {summary['paused_campaigns']}, "
        f"stopped {summary['stopped_campaigns']})"
    )
    click.echo(
        f"  Total cost: ${summary['total_cost']:,.2f}   "
        f"Total revenue: ${summary['total_revenue']:,.2f}   "
        f"Profit: ${summary['profit']:,.2f}   ROI: {summary['total_roi']:.1f}%"
    )
    header = (
        f"  {'campaign':<24} {'status':<9} {'cost':>9} {'revenue':>10} {'leads':>6} "
        f"{'qual%':>6} {'reply%':>7} {'CPL':>8} {'ROI%':>10}"
    )
    click.echo(header)
    for c in report["campaigns"]:
        click.echo(
            f"  {c['campaign_name'][:24]:<24} {c['status']:<9} {c['total_cost']:>9.2f} "
            f"{c['revenue_generated']:>10.2f} {c['leads_generated']:>6} "
            f"{c['qualification_rate']:>6.1f} {c['reply_rate']:>7.1f} "
            f"{c['cost_per_lead']:>8.2f} {c['roi']:>10.1f}"
        )


def _print_optimization(results: dict[str, Any]) -> None:
    click.echo(
        f"\nOptimization: {results['total_campaigns_analyzed']} campaigns analysed, "
        f"{results['critical_issues']} critical, {results['high_priority_issues']} high"
    )
    for campaign in results["campaigns_needing_attention"]:
        click.echo(f"  {campaign['campaign_name']} - {campaign['priority']}")
        for rec in campaign["recommendations"]:
            click.echo(
                f"    - {rec['issue']} ({rec['current_value']:.1f} vs "
                f"{rec['threshold']:.1f}): {rec['recommendation']}"
            )
    for result in results["all_results"]:
        for action in result["actions_taken"]:
            click.echo(f"  {result['campaign_name']}: {action['action']} ({action['reason']})")
        if "SCALE_UP" in result["suggested_actions"]:
            click.echo(f"  {result['campaign_name']}: SCALE_UP opportunity")
