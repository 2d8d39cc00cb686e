"""`dds`: the command line for operators and analysts.

Every command works on the warehouse $DDS_WAREHOUSE (default ./dds.duckdb). Exit codes: 0 on
success, 1 when the facade refused the request or a tool failed (the reason on stderr),
2 for usage errors (click's own).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dds_api import get_dds
from dds_api.apps.dashboard import write_dashboard
from dds_api.current_marts.build import DbtError, build
from dds_api.facade import REPORT_TYPES, DDSIntegration
from dds_api.formatting import dollars, percent
from dds_api.novaos_export import export_to_novaos
from dds_api.samples import synthetic
from dds_api.samples.demo import load_sample
from ingest import bulk
from ingest.validation import utc_now
from ingest.warehouse import backup
from ingest.warehouse.connection import WarehouseBusyError
from ingest.warehouse.dialect import arrow_reader
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.settings import Settings

# Wide enough that the tables never wrap in a terminal or a captured run.
console = Console(width=140, highlight=False, soft_wrap=True)
err_console = Console(width=140, highlight=False, stderr=True)


class _Commands(click.Group):
    """Every command: a warehouse held past the lock timeout (or a server that does not
    answer), or a refusal of the input, is a message, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        # the busy error says who holds the file and what to do; a refusal, how to fix it
        except (WarehouseBusyError, ValidationError) as exc:
            err_console.print(f"Error: {exc}", markup=False)
            sys.exit(1)


@click.group(
    cls=_Commands,
    help="DDS campaign analytics on DuckDB + dbt. The warehouse is $DDS_WAREHOUSE "
    "(default ./dds.duckdb).",
)
def main() -> None:
    pass


def _dds() -> DDSIntegration:
    """The facade, or exit 1 with the reason when the warehouse cannot be built."""
    try:
        return get_dds()
    except DbtError as exc:
        err_console.print(f"Error: {exc}", markup=False)
        sys.exit(1)


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    """The facade's answer, or exit 1 with its message when it refused."""
    if result.get("status") == "error":
        err_console.print(f"Error: {result['message']}")
        sys.exit(1)
    return result


def _echo_json(result: dict[str, Any]) -> None:
    click.echo(json.dumps(result, indent=2))


# ------------------------------------------------------------------------- warehouse & dbt


@main.command("build", help="Run dbt build (models, data tests, unit tests) on the warehouse.")
@click.option(
    "--vars", "vars_", metavar="YAML",
    help="dbt vars, e.g. '{dds_cost_per_lead_threshold: 25}'. They stay in force: the "
    "facade keeps the tables current with them until the next build.",
)  # fmt: skip
@click.option("--full-refresh", is_flag=True, help="Rebuild every table from the raw events.")
def build_cmd(vars_: str | None, full_refresh: bool) -> None:
    args = ["build", *(["--vars", vars_] if vars_ else []), *(["--full-refresh"] * full_refresh)]
    _dbt_build(_dds(), args)


@main.command(
    help="Load the sample campaigns (once), build and test, and print the "
    "all-campaigns report and the optimization."
)
@click.option(
    "--campaigns",
    type=click.IntRange(min=1),
    help="Instead of the eight sample campaigns, generate this many synthetic ones "
    "(dds_api.samples.synthetic: seeded, bulk-inserted, for demos and benchmarks).",
)
@click.option("--seed", type=int, default=42, show_default=True, help="With --campaigns.")
def demo(campaigns: int | None, seed: int) -> None:
    settings = Settings.from_env()
    with console.status("Opening the warehouse (building its views the first time)..."):
        dds = _dds()
    existing = dds.get_all_campaigns_report()["summary"]["total_campaigns"]
    if existing:
        click.echo(
            f"{settings.warehouse_name} already holds {existing} campaigns; "
            "not loading the sample again."
        )
    elif campaigns:
        with console.status(f"Generating {campaigns:,} synthetic campaigns..."):
            # ending now, so that pacing and "last active" look like a live portfolio
            summary = synthetic.generate(dds, campaigns, seed=seed, now=utc_now())
        click.echo(
            f"Generated {summary.campaigns:,} synthetic campaigns ({summary.cost_events:,} "
            f"cost events, {summary.result_snapshots:,} snapshots, {summary.sendgrid_events:,} "
            f"SendGrid events) into {settings.warehouse_name}."
        )
    else:
        with console.status("Loading the sample campaigns..."):
            ids = load_sample(dds)
        click.echo(f"Loaded {len(ids)} sample campaigns into {settings.warehouse_name}.")
    _dbt_build(dds)
    _print_portfolio(dds.get_all_campaigns_report())
    _print_optimization(dds.optimize_all_campaigns())


def _dbt_build(dds: DDSIntegration, args: list[str] | None = None) -> None:
    click.echo("Running dbt build (models, data tests, unit tests)...")
    try:
        with console.status("dbt build..."):
            output = build(dds.warehouse, args or ["build"])
    except DbtError as exc:
        err_console.print(str(exc), markup=False)
        sys.exit(1)
    summary = [line for line in output.splitlines() if "Done. PASS=" in line]
    click.echo(summary[-1].split("  ", 1)[-1].strip() if summary else "dbt build finished.")
    # a whole build leaves the unit tests out when nothing they test changed: say so
    skipped = [line for line in output.splitlines() if line.startswith("Unit tests not run")]
    if skipped:
        click.echo(skipped[-1])


@main.command(
    help="Refresh the analysts' read-only snapshot of the warehouse now (<name>.snapshot.duckdb "
    "beside it); NovaOS also refreshes it after every build and when idle."
)
def snapshot() -> None:
    path = _dds().warehouse.refresh_snapshot()
    click.echo(f"Snapshot refreshed: {path}")


# ---------------------------------------------------------------------------- campaigns


@main.command(help="Deploy a campaign (budget-checked against its cost estimate).")
@click.option("--vertical", required=True, help="Industry vertical, e.g. dentists.")
@click.option("--location", required=True, help="Geographic location, e.g. 'Austin, TX'.")
@click.option("--prospects", "prospect_count", type=int, default=50, show_default=True)
@click.option("--budget", type=float, default=100.0, show_default=True, help="USD.")
@click.option("--name", "campaign_name", help="Campaign name (default: vertical + location).")
@click.option("--sender-name")
@click.option("--sender-company")
@click.option("--start", is_flag=True, help="Start the campaign right away.")
@click.option("--json", "as_json", is_flag=True, help="Print the facade's answer as JSON.")
def deploy(as_json: bool, start: bool, **config: Any) -> None:
    dds = _dds()
    config = {key: value for key, value in config.items() if value is not None}
    result = _ok(dds.deploy_campaign(config))
    if start:
        _ok(dds.start_campaign(result["campaign_id"]))
    if as_json:
        _echo_json(result)
        return
    estimate = result["estimated_costs"]
    click.echo(f"Deployed {result['campaign_name']} as {result['campaign_id']}.")
    click.echo(
        f"Estimated cost {dollars(estimate['total'])} "
        f"({dollars(estimate['cost_per_prospect'])} per prospect); "
        f"budget {dollars(result['config']['budget'])}."
    )
    click.echo("Started." if start else f"Start it with: dds start {result['campaign_id']}")


def _lifecycle(action: str) -> click.Command:
    @click.argument("campaign_id")
    def command(campaign_id: str) -> None:
        result = _ok(getattr(_dds(), f"{action}_campaign")(campaign_id))
        click.echo(result["message"])

    helps = {
        "start": "Start or resume a campaign.",
        "pause": "Pause an active campaign.",
        "stop": "Stop a campaign permanently.",
    }
    return click.command(action, help=helps[action])(command)


for _action in ("start", "pause", "stop"):
    main.add_command(_lifecycle(_action))


@main.command(help="Show all campaigns, or one campaign in detail.")
@click.argument("campaign_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the facade's answer as JSON.")
def status(campaign_id: str | None, as_json: bool) -> None:
    dds = _dds()
    if campaign_id is None:
        report = _ok(dds.get_all_campaigns_report())
        if as_json:
            _echo_json(report)
        else:
            _print_portfolio(report)
        return
    result = _ok(dds.get_campaign_status(campaign_id))
    if as_json:
        _echo_json(result)
        return
    metrics, performance = result["metrics"], result["performance"]
    table = _key_value_table(f"{result['campaign_name']} ({result['campaign_id']})")
    rows = [
        ("status", result["status"]),
        ("deployed at", result["deployed_at"]),
        ("last active", result["last_active"]),
        ("vertical / location", f"{result['config']['vertical']} / {result['config']['location']}"),
        ("budget", f"{dollars(performance['budget'])} "
                   f"({percent(performance['budget_used'])} used)"),
        ("total cost", dollars(metrics["total_cost"])),
        ("revenue", dollars(metrics["revenue_generated"])),
        ("ROI", percent(metrics["roi"])),
        ("leads found / qualified", f"{metrics['leads_generated']} / {metrics['leads_qualified']}"),
        ("qualification rate", percent(metrics["qualification_rate"])),
        ("cost per lead", dollars(metrics["cost_per_lead"])),
        ("emails sent / opened / replied",
         f"{metrics['emails_sent']} / {metrics['emails_opened']} / {metrics['emails_replied']}"),
        ("open / reply rate",
         f"{percent(metrics['open_rate'])} / {percent(metrics['reply_rate'])}"),
        ("priority", performance["priority"]),
        ("flags", ", ".join(performance["flags"]) or "none"),
    ]  # fmt: skip
    for key, value in rows:
        table.add_row(key, str(value))
    console.print(table)


@main.command(help="A campaign's report (full, costs, leads, outreach), or all campaigns'.")
@click.argument("campaign_id", required=False)
@click.option(
    "--type", "report_type", type=click.Choice(REPORT_TYPES), default="full", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Print the facade's answer as JSON.")
def report(campaign_id: str | None, report_type: str, as_json: bool) -> None:
    dds = _dds()
    if campaign_id is None:
        result = _ok(dds.get_all_campaigns_report())
        if as_json:
            _echo_json(result)
        else:
            _print_portfolio(result)
        return
    result = _ok(dds.generate_campaign_report(campaign_id, report_type))
    if as_json:
        _echo_json(result)
        return
    table = _key_value_table(f"{result['campaign_name']}: {report_type} report")
    for key, value in result.items():
        if key in ("report_type", "campaign_name", "generated_at", "cost_breakdown"):
            continue
        table.add_row(key, _format_figure(key, value))
    console.print(table)
    breakdown = result.get("cost_breakdown")
    if breakdown:
        costs = Table("provider", "operation", "events", "cost", title="Cost breakdown")
        for item in breakdown["detail"]:
            costs.add_row(
                item["provider"],
                item["operation"],
                str(item["events"]),
                dollars(item["cost"]),
            )
        console.print(costs)


@main.command(help="A campaign's A/B test: each variant against the control, with its verdict.")
@click.argument("campaign_id")
@click.option("--json", "as_json", is_flag=True, help="Print the facade's answer as JSON.")
def variants(campaign_id: str, as_json: bool) -> None:
    result = _ok(_dds().get_variant_report(campaign_id))
    if as_json:
        _echo_json(result)
        return
    if not result["variants"]:
        console.print(f"{result['campaign_name']}: no variants (no A/B test).")
        return
    table = Table(
        "variant", "sent", "replies", "reply rate (interval)", "human opens", "clicks",
        "cost", "cost / reply", "vs control", "verdict",
        title=f"{result['campaign_name']}: variants on {result['metric'] or 'reply_rate'} "
        f"(control: {result['control']})",
    )  # fmt: skip
    for variant in result["variants"]:
        reply = variant["rates"]["reply_rate"]
        comparison = variant["comparison"]
        table.add_row(
            variant["variant"],
            str(variant["emails_sent"]),
            str(variant["emails_replied"]),
            f"{percent(reply['value'])} ({percent(reply['ci_lower'])}-"
            f"{percent(reply['ci_upper'])})",
            str(variant["emails_human_opened"]),
            str(variant["emails_clicked"]),
            dollars(variant["cost"]),
            dollars(variant["cost_per_reply"]) if variant["emails_replied"] else "—",
            "control"
            if comparison is None
            else f"{comparison['difference']:+.1f} pts "
            f"({comparison['ci_lower']:+.1f} to {comparison['ci_upper']:+.1f})",
            "—" if comparison is None else comparison["verdict"],
        )
    console.print(table)


def _format_figure(key: str, value: Any) -> str:
    if isinstance(value, float) and (key.endswith("_rate") or key in ("roi", "budget_used")):
        return percent(value)
    if isinstance(value, float):
        return dollars(value)
    return str(value)


@main.command(help="Analyse active and paused campaigns; auto-pause on negative ROI.")
@click.argument("campaign_id", required=False)
@click.option("--dry-run", is_flag=True, help="Report what would be paused; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the facade's answer as JSON.")
def optimize(campaign_id: str | None, dry_run: bool, as_json: bool) -> None:
    dds = _dds()
    if campaign_id is not None:
        result = _ok(dds.optimize_campaign(campaign_id, dry_run=dry_run))
        results = {
            "total_campaigns_analyzed": 1,
            "critical_issues": int(result["priority"] == "CRITICAL"),
            "high_priority_issues": int(result["priority"] == "HIGH"),
            "campaigns_needing_attention": [result] if result["priority"] != "LOW" else [],
            "all_results": [result],
            "dry_run": dry_run,
            "campaigns_to_pause": [result["campaign_id"]] if result["pause_due"] else [],
        }
    else:
        results = _ok(dds.optimize_all_campaigns(dry_run=dry_run))
    if as_json:
        _echo_json(result if campaign_id is not None else results)
        return
    _print_optimization(results)


@main.command(
    "ingest",
    help="Bulk-load KIND (costs, results or sendgrid_events) from PATH (.parquet, .csv, "
    ".jsonl, or .json holding an array): rows that fail validation go to raw.quarantine "
    "with the reason, rows already stored are skipped, and a summary is printed.",
)
@click.argument("kind", type=click.Choice(bulk.KINDS))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "file_format", type=click.Choice(bulk.FILE_FORMATS), default=None,
    help="The file's format, when its extension does not say.",
)  # fmt: skip
@click.option(
    "--campaign-arg", default="campaign_id", show_default=True,
    help="sendgrid_events: the custom arg naming the DDS campaign.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest_cmd(
    kind: str, path: Path, file_format: str | None, campaign_arg: str, as_json: bool
) -> None:
    dds = _dds()
    # the bar shows on a terminal only (transient): captured output is just the summary
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err_console, transient=True,
        disable=not err_console.is_terminal,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"loading {path.name}", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = _ok(
            dds.ingest(
                kind, str(path), file_format=file_format, campaign_arg=campaign_arg,
                progress=advance,
            )
        )  # fmt: skip
    if as_json:
        _echo_json(summary)
        return
    table = _key_value_table(f"Ingest of {kind} from {path.name}")
    for key in ("rows_read", "loaded", "quarantined", "duplicates"):
        table.add_row(key.replace("_", " "), f"{summary[key]:,}")
    table.add_row("seconds", f"{summary['seconds']:.2f}")
    table.add_row("batch id", summary["batch_id"])
    console.print(table)
    if summary["quarantine_reasons"]:
        reasons = Table(title="Quarantined (see raw.quarantine)")
        reasons.add_column("rows", justify="right")
        reasons.add_column("reason")
        for reason, rows in summary["quarantine_reasons"].items():
            reasons.add_row(f"{rows:,}", reason)
        console.print(reasons)


@main.command(
    help="Write every mart to DIR as Parquet or CSV files (one per mart); with --raw, "
    "back up every raw table to Parquet instead (restore with `dds import DIR`)."
)
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format", "file_format", type=click.Choice(["parquet", "csv"]), default="parquet",
    show_default=True,
)  # fmt: skip
@click.option("--raw", is_flag=True, help="Back up the raw events (Parquet) instead of marts.")
def export(out_dir: Path, file_format: str, raw: bool) -> None:
    dds = _dds()
    if raw:
        _export_raw(dds, out_dir)
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    with dds.read() as conn:
        marts = [
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by table_name"
            ).fetchall()
        ]
        with click.progressbar(marts, label="Exporting marts", file=sys.stderr) as bar:
            for mart in bar:
                # mart names come from the catalog, not from input; quoted all the same.
                # Streamed batch by batch, so a large mart never sits in memory whole.
                reader = arrow_reader(conn, f'select * from marts."{mart}"')
                path = out_dir / f"{mart}.{file_format}"
                writer_class = pq.ParquetWriter if file_format == "parquet" else pa_csv.CSVWriter
                with writer_class(path, reader.schema) as writer:
                    for batch in reader:
                        writer.write_batch(batch)
    click.echo(f"Exported {len(marts)} marts to {out_dir} as {file_format}.")


@main.command(help="Write the dashboard: one self-contained HTML page (no network needed).")
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
    default=Path("dds_dashboard.html"), show_default=True,
)  # fmt: skip
def dashboard(out_path: Path) -> None:
    path = write_dashboard(_dds(), out_path)
    click.echo(f"Wrote the dashboard to {path}.")


# ------------------------------------------------------------------- backup and spool


def _export_raw(dds: DDSIntegration, out_dir: Path) -> None:
    with dds.warehouse.connect() as conn:
        counts = backup.export_raw(conn, out_dir)
    click.echo(
        f"Backed up {len(counts)} raw tables ({sum(counts.values())} rows) to {out_dir}. "
        "Restore with: dds import DIR (into a new warehouse)."
    )


@main.command(
    "import",
    help="Restore a raw backup made by `dds export --raw DIR` into the warehouse, which "
    "must be new (no events). One transaction: all or nothing.",
)
@click.argument("in_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
def import_cmd(in_dir: Path) -> None:
    dds = _dds()
    with dds.warehouse.connect() as conn:
        counts = backup.import_raw(conn, in_dir)
    click.echo(f"Restored {sum(counts.values())} rows into {len(counts)} raw tables.")


@main.command(
    help="Writes waiting in the spool (made while the warehouse was busy) and those refused "
    "when applied; --apply applies what waits now."
)
@click.option("--apply", "apply_now", is_flag=True, help="Apply the waiting writes now.")
def spool(apply_now: bool) -> None:
    dds = _dds()
    if apply_now:
        with dds.warehouse.connect():  # opening the warehouse applies the spool
            pass
    counts = dds.warehouse.spool.counts()
    click.echo(f"{counts['pending']} writes waiting, {counts['rejected']} refused when applied.")
    for row in dds.warehouse.spool.rejected():
        click.echo(f"  refused {row['kind']} for {row['campaign_id']}: {row['message']}")


# ---------------------------------------------------------------------- NovaOS and DDS


@main.command(
    "export-novaos",
    help="Write DDS's agents, costs, revenue and system metrics into a NovaOS memory "
    "database (SQLite), creating NovaOS' tables if missing. DDS's rows are made equal to "
    "the marts; other rows are left untouched, and running it again changes nothing.",
)
@click.argument("novaos_db", type=click.Path(dir_okay=False))
def export_novaos(novaos_db: str) -> None:
    try:
        written = export_to_novaos(_dds(), novaos_db)
    except sqlite3.Error as exc:
        err_console.print(f"Could not write {novaos_db}: {exc}", markup=False)
        sys.exit(1)
    counts = ", ".join(f"{summary['rows']} {table}" for table, summary in written.items())
    changes = {
        change: sum(summary[change] for summary in written.values())
        for change in ("inserted", "updated", "deleted")
    }
    click.echo(
        f"Exported to {novaos_db}: {counts} "
        f"({', '.join(f'{n} {change}' for change, n in changes.items())})."
    )


@main.command(
    "sync-dds",
    help="Import the DDS system's campaigns.db figures ($DDS_HOME) into the campaigns of "
    "the same name, and report both DDS databases. Unchanged figures write nothing.",
)
def sync_dds() -> None:
    summary = _dds().sync_dds_databases()
    if summary["status"] == "error":
        err_console.print(summary["message"], markup=False)
        sys.exit(1)
    if summary["status"] == "not_configured":
        click.echo(summary["message"])
        return
    click.echo(f"Synced from {summary['dds_home']}: {summary['message']}")
    for row in summary["invalid"]:
        click.echo(f"  invalid: {row}")


# ------------------------------------------------------------------------------ printing


def _key_value_table(title: str) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    return table


def _print_portfolio(report: dict[str, Any]) -> None:
    summary = report["summary"]
    click.echo("\nAll campaigns")
    click.echo(
        f"  Total campaigns: {summary['total_campaigns']}  "
        f"(active {summary['active_campaigns']}, paused {summary['paused_campaigns']}, "
        f"stopped {summary['stopped_campaigns']})"
    )
    click.echo(
        f"  Total cost: {dollars(summary['total_cost'])}   "
        f"Total revenue: {dollars(summary['total_revenue'])}   "
        f"Profit: {dollars(summary['profit'])}   ROI: {percent(summary['total_roi'])}"
    )
    table = Table("campaign", "id", "status", "cost", "revenue", "leads", "qual %", "reply %",
                  "CPL", "ROI %")  # fmt: skip
    for c in report["campaigns"]:
        table.add_row(
            c["campaign_name"], c["campaign_id"], c["status"], f"{c['total_cost']:,.2f}",
            f"{c['revenue_generated']:,.2f}", str(c["leads_generated"]),
            f"{c['qualification_rate']:.1f}", f"{c['reply_rate']:.1f}",
            f"{c['cost_per_lead']:,.2f}", f"{c['roi']:,.1f}",
        )  # fmt: skip
    console.print(table)
    _print_not_current(report.get("campaigns_not_current", []), "figures are not current")


def _print_not_current(campaigns: list[dict[str, Any]], what: str) -> None:
    """Campaigns whose refresh failed: named with the reason (the others are answered)."""
    for campaign in campaigns:
        click.echo(
            f"  ! {campaign['campaign_name']} ({campaign['campaign_id']}): {what}; "
            f"{campaign['reason']}"
        )


def _print_optimization(results: dict[str, Any]) -> None:
    verb = "would pause" if results.get("dry_run") else "paused"
    click.echo(
        f"\nOptimization: {results['total_campaigns_analyzed']} campaigns analysed, "
        f"{results['critical_issues']} critical, {results['high_priority_issues']} high"
        + (" (dry run: nothing changed)" if results.get("dry_run") else "")
    )
    for campaign in results["campaigns_needing_attention"]:
        click.echo(f"  {campaign['campaign_name']} - {campaign['priority']}")
        for rec in campaign["recommendations"]:
            click.echo(
                f"    - {rec['issue']} ({rec['current_value']:.1f} vs "
                f"{rec['threshold']:.1f}): {rec['recommendation']}"
            )
    names = {r["campaign_id"]: r["campaign_name"] for r in results["all_results"]}
    for campaign_id in results["campaigns_to_pause"]:
        click.echo(f"  {names[campaign_id]}: PAUSE_CAMPAIGN {verb} (auto: negative ROI)")
    for result in results["all_results"]:
        if "SCALE_UP" in result["suggested_actions"]:
            click.echo(f"  {result['campaign_name']}: SCALE_UP opportunity")
    _print_not_current(results.get("campaigns_not_analyzed", []), "not analysed")
