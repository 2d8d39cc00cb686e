"""Each raw table declared once: the only place its rules are written.

A declaration gives the table's columns (type, nullability, bounds, allowed values, default,
description), its table-level checks, its key for deduplication, the input keys a caller
or a file gives (which are required, and the rule each is checked by) and an example row.
From it derive:

- the DDL (``create_table_sql``); the migrations in ``ingest/warehouse/schema.py`` stay as they were
  written, and ``tests/warehouse/test_tables.py`` checks that a warehouse they build has exactly the
  columns and constraints this DDL creates;
- the allowed input keys of the single calls and of bulk files, and their messages
  (``call_keys``, ``file_keys``, ``required_file_keys``);
- the SQL checks every bulk row goes through (``ingest/bulk/checks.py`` builds them from the
  ``Input`` rules, in the order declared);
- the dbt source YAML, ``models/staging/_dds__sources.yml``, and the token columns' price
  units for dbt, ``macros/dds_token_units.sql`` (``python -m ingest.warehouse.tables`` writes
  both; a test fails when a committed file is stale).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

RAW_SCHEMA = "raw"
SEQUENCE = f"{RAW_SCHEMA}.event_seq"
SOURCES_YAML = Path(__file__).resolve().parents[2] / "models" / "staging" / "_dds__sources.yml"
TOKEN_UNITS_MACRO = Path(__file__).resolve().parents[2] / "macros" / "dds_token_units.sql"


def utc_now() -> datetime:
    """Now, as the naive UTC timestamp stored in raw tables."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


# input rules (ingest/validation.py in Python, ingest/bulk/checks.py in SQL)
CAMPAIGN_ID, NAME, TEXT, MONEY, COUNT, TIMESTAMP, DETAILS, USAGE = (
    "campaign_id",
    "name",
    "text",
    "money",
    "count",
    "timestamp",
    "details",
    "usage",
)
# when an input key is required
ALWAYS, IN_FILES, OPTIONAL = "always", "in files", "optional"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as information_schema spells it
    description: str
    nullable: bool = True
    bound: str | None = None  # a CHECK on the value, e.g. '>= 0'
    allowed: tuple[str, ...] = ()  # a CHECK on the value
    default: str | None = None  # SQL
    primary_key: bool = False
    unique: bool = False  # kept unique by ingest (no index: DECISIONS.md), tested by dbt
    tests: tuple[Any, ...] = ()  # dbt data tests of what no constraint enforces

    @property
    def checks(self) -> tuple[str, ...]:
        quoted = f'"{self.name}"'  # 'event' is an SQL keyword
        checks = []
        if self.allowed:
            checks.append(f"{quoted} in ({', '.join(repr(value) for value in self.allowed)})")
        if self.bound:
            checks.append(f"{quoted} {self.bound}")
        return tuple(checks)


@dataclass(frozen=True)
class Input:
    """A key a caller (single call or file column) gives, checked by ``rule``."""

    name: str
    rule: str
    required: str = OPTIONAL
    in_call: bool = True  # accepted in a single call's dict
    in_file: bool = True  # accepted as a bulk file's column
    example: str | None = None  # shown in the messages of name rules
    # the largest value accepted (money and count rules): past it the write is refused
    maximum: int | Decimal | None = None


@dataclass(frozen=True)
class RawTable:
    name: str
    description: str
    columns: tuple[Column, ...]
    inputs: tuple[Input, ...] = ()
    checks: tuple[str, ...] = ()  # table-level CHECKs
    tests: tuple[Any, ...] = ()  # table-level dbt data tests
    key: str | None = None  # the column that identifies a row for deduplication
    example: Mapping[str, Any] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def call_keys(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.in_call)

    def file_keys(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.in_file)

    def required_file_keys(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.in_file and i.required != OPTIONAL)

    def required_call_keys(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.in_call and i.required == ALWAYS)

    def input(self, name: str) -> Input:
        return next(given for given in self.inputs if given.name == name)

    def maximum(self, name: str) -> int | Decimal:
        """The declared bound of a money or count input."""
        bound = self.input(name).maximum
        assert bound is not None, f"{self.name}.{name} declares no maximum"
        return bound

    def inputs_by_rule(self, *rules: str) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.rule in rules)

    def insert_columns(self, *names: str) -> str:
        """The column list of an insert that gives ``names``, checked against the
        declaration: each name must be a declared column, given once, and every required
        column (not null, without a default) must be among them. Raises ValueError
        otherwise, so a writer can neither name a column that does not exist nor forget
        one the table needs. Names come from our code, never from input."""
        unknown = [name for name in names if name not in self.column_names]
        if unknown:
            raise ValueError(f"raw.{self.name} declares no column {', '.join(unknown)}")
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"raw.{self.name}: column(s) {', '.join(repeated)} given twice")
        missing = [
            column.name
            for column in self.columns
            if not column.nullable and column.default is None and column.name not in names
        ]
        if missing:
            raise ValueError(f"raw.{self.name} requires the column(s) {', '.join(missing)}")
        return ", ".join(names)

    def select_parameters(self, *names: str, dialect: str = "duckdb") -> str:
        """``$1, $2, ...``: the select list of an ``insert ... select`` giving ``names`` as
        parameters. On PostgreSQL each is cast to its column's type: a parameter in a select
        list gets none there (a JSON one would be text), and one used again in the query's
        WHERE would be deduced twice, differently."""
        if dialect != "postgres":
            return ", ".join(f"${n}" for n in range(1, len(names) + 1))
        return ", ".join(
            f"cast(${n} as {column_type(self.column(name), dialect)})"
            for n, name in enumerate(names, start=1)
        )

    def insert_into(self, *names: str) -> str:
        """``insert into raw.<table> (<names>)``: the head of an insert giving ``names``
        (``insert_columns`` checks them)."""
        return f"insert into {RAW_SCHEMA}.{self.name} ({self.insert_columns(*names)})"


def _seq() -> Column:
    return Column(
        "seq", "BIGINT", '{{ doc("event_seq") }}', nullable=False,
        default=f"nextval('{SEQUENCE}')", unique=True,
    )  # fmt: skip


def _campaign_id() -> Column:
    return Column("campaign_id", "VARCHAR", '{{ doc("campaign_id") }}', nullable=False)


def _times() -> tuple[Column, ...]:
    return (
        Column("occurred_at", "TIMESTAMP", '{{ doc("occurred_at") }}', nullable=False),
        Column("ingested_at", "TIMESTAMP", '{{ doc("ingested_at") }}', nullable=False),
    )


def _load_id() -> Column:
    return Column("batch_id", "VARCHAR", '{{ doc("batch_id") }}')


def _variant() -> Column:
    return Column("variant", "VARCHAR", '{{ doc("variant") }}')


MONEY_TYPE = "DECIMAL(18,6)"

# The largest figure a caller may give (DECISIONS.md, "Bounds: every figure exact at every
# size accepted"). Each is far above any real prospecting campaign, so a value past it is a
# mistake of units (cents as dollars, a pasted id); below them every figure the system
# derives is exact, because models compute money in DECIMAL(38, 6) (macros/dds_money.sql).
# A campaign's or the portfolio's total has no bound of its own: a sum of bounded events,
# it would need about 10^25 events to leave DECIMAL(38, 6).
MAX_COST_USD = Decimal(10_000_000)  # one cost event (single call, file row, or priced usage)
MAX_REVENUE_USD = Decimal(10_000_000_000)  # a campaign's cumulative revenue
MAX_BUDGET_USD = Decimal(10_000_000_000)
MAX_PROSPECTS = 1_000_000
MAX_TOKENS = 10_000_000_000  # of each kind, in one cost event
MAX_UNITS = 1_000_000_000  # searches, emails, ... in one cost event
MAX_RESULT_COUNT = 1_000_000_000  # leads and emails, cumulative per campaign
LIFECYCLE_EVENT_TYPES = ("deployed", "started", "paused", "stopped")
# Every event type SendGrid's Event Webhook sends (delivery and engagement events).
SENDGRID_EVENT_TYPES = (
    "processed",
    "delivered",
    "open",
    "click",
    "bounce",
    "dropped",
    "deferred",
    "spamreport",
    "unsubscribe",
    "group_unsubscribe",
    "group_resubscribe",
)
# Each token column of a cost event and the price-list unit (seeds/provider_prices.csv
# `unit`) that prices it; any other unit (search, email, ...) prices `units`. The one home
# of this map: ingest's pricing reads it here, dbt's pricing macros from
# macros/dds_token_units.sql, written from it (``python -m ingest.warehouse.tables``).
TOKEN_PRICE_UNITS = {
    "input_tokens": "input_token",
    "output_tokens": "output_token",
    "cache_creation_input_tokens": "cache_write_token",
    "cache_read_input_tokens": "cache_read_token",
}
TOKEN_COLUMNS = tuple(TOKEN_PRICE_UNITS)
# The figures of a result snapshot: a figure the caller left out is NULL and dbt carries
# the previous value forward (in occurred_at order, so late snapshots are fine).
COUNT_FIGURES = (
    "leads_found",
    "leads_qualified",
    "emails_sent",
    "emails_opened",
    "emails_clicked",
    "emails_replied",
)
# each part may not exceed its whole
PARTS_OF = (
    ("leads_qualified", "leads_found"),
    ("emails_opened", "emails_sent"),
    ("emails_clicked", "emails_sent"),
    ("emails_replied", "emails_sent"),
)

CAMPAIGN_EVENTS = RawTable(
    name="campaign_events",
    description=(
        "One row per campaign lifecycle event (deployed, started, paused, stopped). The "
        "`deployed` event carries the campaign's full configuration and estimate; the others "
        "carry only a reason."
    ),
    columns=(
        Column("event_id", "VARCHAR", "Primary key of the event (a uuid4 hex).",
               nullable=False, primary_key=True),
        _seq(),
        _campaign_id(),
        Column("event_type", "VARCHAR",
               "The lifecycle event (deployed, started, paused or stopped).",
               nullable=False, allowed=LIFECYCLE_EVENT_TYPES),
        Column("reason", "VARCHAR", "Why the event happened ('user', 'auto: negative ROI', ...)."),
        Column("campaign_name", "VARCHAR", "Campaign name (deployed events only)."),
        Column("vertical", "VARCHAR",
               "Target business vertical, e.g. dentists (deployed events only)."),
        Column("location", "VARCHAR", "Target location, e.g. 'Austin, TX' (deployed events only)."),
        Column("prospect_count", "INTEGER",
               "Number of prospects to find (deployed events only).", bound="> 0"),
        Column("budget_usd", MONEY_TYPE, "Budget in USD (deployed events only).", bound=">= 0"),
        Column("sender_name", "VARCHAR", "Outreach sender's name (deployed events only)."),
        Column("sender_company", "VARCHAR", "Outreach sender's company (deployed events only)."),
        Column("estimated_cost_usd", MONEY_TYPE,
               "Estimated total cost in USD at deploy time (deployed events only).", bound=">= 0"),
        Column("config", "JSON",
               "The full deploy configuration and cost estimate as JSON (deployed events only)."),
        *_times(),
        Column("rule_id", "VARCHAR", "An automatic pause: the rule that paused the campaign."),
        Column("rule_value", "DOUBLE",
               "An automatic pause: the rule's metric then (its cooldown is judged against it)."),
        _load_id(),
    ),
    # deploy_campaign's config (lifecycle calls give no fields; no bulk loads)
    inputs=(
        Input("vertical", TEXT, ALWAYS, in_file=False),
        Input("location", TEXT, ALWAYS, in_file=False),
        Input("prospect_count", COUNT, in_file=False, maximum=MAX_PROSPECTS),
        Input("budget", MONEY, in_file=False, maximum=MAX_BUDGET_USD),
        Input("campaign_name", TEXT, in_file=False),
        Input("sender_name", TEXT, in_file=False),
        Input("sender_company", TEXT, in_file=False),
    ),
    key="event_id",
    example={"event_type": "deployed", "campaign_name": "Dentists Austin Q1",
             "vertical": "dentists", "location": "Austin, TX", "prospect_count": 50,
             "budget": 100},
)  # fmt: skip

COST_EVENTS = RawTable(
    name="cost_events",
    description="One row per cost event (a DDS API call or batch of calls), in USD.",
    columns=(
        Column("cost_id", "VARCHAR", "Primary key of the cost event (a uuid4 hex).",
               nullable=False, unique=True),
        _seq(),
        _campaign_id(),
        Column("operation", "VARCHAR", '{{ doc("operation") }}', nullable=False),
        Column("provider", "VARCHAR", '{{ doc("provider") }}', nullable=False),
        Column("cost_usd", MONEY_TYPE, "Amount spent in USD, DECIMAL(18, 6) (never float).",
               nullable=False, bound=">= 0"),
        Column("model", "VARCHAR",
               "The AI model used, for token-priced calls (e.g. claude-3-haiku-20240307)."),
        Column("input_tokens", "BIGINT", "Input tokens consumed, when reported.", bound=">= 0"),
        Column("output_tokens", "BIGINT", "Output tokens produced, when reported.", bound=">= 0"),
        Column("units", MONEY_TYPE, "Units consumed (searches, emails, ...), when reported.",
               bound=">= 0"),
        Column("details", "JSON", "Free-form details of the call as JSON."),
        Column("idempotency_key", "VARCHAR",
               "Optional caller-supplied key; a repeated key is a no-op that returns the first "
               "event's id, so it is unique where present. Bulk rows without one are keyed "
               "by a hash of their content.", unique=True),
        *_times(),
        Column("item", "VARCHAR",
               "The price-list item that priced the cost; null when given in dollars."),
        Column("cache_creation_input_tokens", "BIGINT",
               "Prompt-cache write tokens (Anthropic usage), when reported.", bound=">= 0"),
        Column("cache_read_input_tokens", "BIGINT",
               "Prompt-cache read tokens (Anthropic usage), when reported.", bound=">= 0"),
        Column("price_effective_from", "DATE",
               "The price-list version that priced the cost; null when given in dollars."),
        _load_id(),
        _variant(),
    ),
    inputs=(
        Input("campaign_id", CAMPAIGN_ID, ALWAYS, in_call=False),
        Input("operation", NAME, ALWAYS, example="scoring"),
        Input("provider", NAME, ALWAYS, example="outscraper"),
        Input("cost", MONEY, maximum=MAX_COST_USD),
        Input("details", DETAILS),
        Input("model", TEXT),
        Input("item", TEXT),
        *(Input(name, COUNT, maximum=MAX_TOKENS) for name in TOKEN_COLUMNS),
        Input("usage", USAGE, in_file=False),
        Input("units", COUNT, maximum=MAX_UNITS),
        Input("occurred_at", TIMESTAMP, IN_FILES),
        Input("idempotency_key", TEXT),
        Input("variant", TEXT),
    ),
    key="idempotency_key",
    example={"operation": "scoring", "provider": "anthropic", "cost": 0.15},
)  # fmt: skip

RESULT_SNAPSHOTS = RawTable(
    name="result_snapshots",
    description=(
        "One row per cumulative result snapshot: a campaign's totals so far. The latest "
        "snapshot wins; snapshots are never summed. A figure the snapshot did not report is "
        "null (from schema version 2) and carries forward in dbt."
    ),
    columns=(
        Column("snapshot_id", "VARCHAR", "Primary key of the snapshot (a uuid4 hex).",
               nullable=False, primary_key=True),
        _seq(),
        _campaign_id(),
        Column("stage", "VARCHAR", '{{ doc("stage") }}', nullable=False),
        *(Column(name, "BIGINT", f'{{{{ doc("{name}") }}}}', bound=">= 0")
          for name in COUNT_FIGURES),
        Column("revenue_usd", MONEY_TYPE, "Cumulative revenue in USD so far, DECIMAL(18, 6).",
               bound=">= 0"),
        Column("source", "VARCHAR", '{{ doc("snapshot_source") }}', nullable=False,
               default="'api'"),
        *_times(),
        _load_id(),
        Column("idempotency_key", "VARCHAR",
               "Bulk loads: the caller's key, or a hash of the snapshot's content, so that "
               "loading a file again writes nothing twice."),
        _variant(),
    ),
    checks=tuple(f"{part} <= {whole}" for part, whole in PARTS_OF),
    inputs=(
        Input("campaign_id", CAMPAIGN_ID, ALWAYS, in_call=False),
        Input("stage", NAME, ALWAYS, example="outreach"),
        *(Input(name, COUNT, maximum=MAX_RESULT_COUNT) for name in COUNT_FIGURES),
        Input("revenue", MONEY, maximum=MAX_REVENUE_USD),
        Input("occurred_at", TIMESTAMP, IN_FILES),
        Input("idempotency_key", TEXT, in_call=False),
        Input("variant", TEXT),
    ),
    key="idempotency_key",
    example={"stage": "outreach", "leads_found": 50, "emails_sent": 60},
)  # fmt: skip

SENDGRID_EVENTS = RawTable(
    name="sendgrid_events",
    description=(
        "One row per SendGrid Event Webhook event, deduplicated by `sg_event_id` (webhooks "
        "retry), attributed to a campaign by the message's custom arg. `payload` keeps the "
        "event exactly as SendGrid sent it."
    ),
    columns=(
        Column("sg_event_id", "VARCHAR", "SendGrid's unique event id. Primary key.",
               nullable=False, unique=True),
        _seq(),
        _campaign_id(),
        Column("sg_message_id", "VARCHAR", "SendGrid's message id.", nullable=False),
        Column("event", "VARCHAR", "The SendGrid event type.", nullable=False,
               allowed=SENDGRID_EVENT_TYPES),
        Column("email", "VARCHAR", "The recipient's address."),
        Column("machine_open", "BOOLEAN", "`sg_machine_open` of an open event."),
        Column("bounce_type", "VARCHAR", "`type` of a bounce event (bounce or blocked)."),
        Column("url", "VARCHAR", "`url` of a click event."),
        Column("payload", "JSON", "The event as received, JSON.", nullable=False),
        _load_id(),
        *_times(),
        _variant(),
    ),
    key="sg_event_id",
    example={"event": "open", "sg_event_id": "m1-open-2", "sg_message_id": "m1.filter0001",
             "timestamp": 1735725600, "campaign_id": "dds_20250101_100000_0123456789ab"},
)  # fmt: skip

QUARANTINE = RawTable(
    name="quarantine",
    description=(
        "Rows of bulk loads and webhook batches that failed validation, each with the reason "
        "and the row as received. Nothing is silently dropped: a row is loaded, quarantined "
        "or counted as a duplicate."
    ),
    columns=(
        Column("quarantine_id", "VARCHAR", "Primary key.", nullable=False, primary_key=True),
        _seq(),
        Column("batch_id", "VARCHAR", "The load (raw.ingest_batches) that first refused the row.",
               nullable=False,
               tests=({"relationships": {"arguments": {
                   "to": "source('dds', 'ingest_batches')", "field": "batch_id"}}},)),
        Column("kind", "VARCHAR", "What the row was meant to be (costs, results, sendgrid_events).",
               nullable=False),
        Column("row_number", "BIGINT", "The row's 1-based position in its input.",
               nullable=False),
        Column("reason", "VARCHAR", "Why the row was refused and how to fix it.", nullable=False),
        Column("payload", "JSON", "The row as received, JSON.", nullable=False),
        Column("quarantined_at", "TIMESTAMP", "When the row was refused (UTC).", nullable=False),
        Column("row_key", "VARCHAR",
               "md5 of kind and payload: loading the same input again does not quarantine "
               "the row a second time."),
    ),
    key="row_key",
)  # fmt: skip

INGEST_BATCHES = RawTable(
    name="ingest_batches",
    description=(
        "One row per load that is more than a single call: a bulk load, webhook batch, spool "
        "drain (kind 'spool': refused spooled writes stay in the spool's own rejected table) "
        "or import from the DDS system, with its summary."
    ),
    columns=(
        Column("batch_id", "VARCHAR", "Primary key: the load id its rows carry.",
               nullable=False, primary_key=True),
        _seq(),
        Column("kind", "VARCHAR", "What was loaded (costs, results, sendgrid_events, spool).",
               nullable=False),
        Column("source", "VARCHAR", "The file path, 'dataframe', 'webhook', the spool file or "
               "the DDS database.", nullable=False),
        Column("rows_read", "BIGINT", "Rows in the input.", nullable=False),
        Column("loaded", "BIGINT", "Rows written to their raw table.", nullable=False),
        Column("quarantined", "BIGINT",
               "Rows refused (written to raw.quarantine unless an earlier load of the same "
               "input quarantined them already).", nullable=False),
        Column("duplicates", "BIGINT",
               "Rows already stored (same idempotency key or event id), not written again.",
               nullable=False),
        Column("started_at", "TIMESTAMP", "When the load began (UTC).", nullable=False),
        Column("finished_at", "TIMESTAMP", "When it committed (UTC).", nullable=False),
        Column("fingerprint", "VARCHAR",
               "Bulk loads: the input's rows as a set (kind, count, order-free hashes). The same "
               "input again, after a load that quarantined nothing, is all duplicates."),
    ),
    tests=({"expression_is_true": {"arguments": {
        "expression": "rows_read = loaded + quarantined + duplicates"}}},),
    key="batch_id",
)  # fmt: skip

RAW_TABLES: tuple[RawTable, ...] = (
    CAMPAIGN_EVENTS,
    COST_EVENTS,
    RESULT_SNAPSHOTS,
    SENDGRID_EVENTS,
    QUARANTINE,
    INGEST_BATCHES,
)


# ---------------------------------------------------------------------------- derived


# DuckDB's spelling of a type -> PostgreSQL's, where they differ. JSON is jsonb there (binary,
# validated on insert; read back as text, as DuckDB gives it).
_POSTGRES_TYPES = {"DOUBLE": "double precision", "JSON": "jsonb"}


def column_type(column: Column, dialect: str = "duckdb") -> str:
    """The column's SQL type in the dialect (``ingest.warehouse.dialect``'s names)."""
    return _POSTGRES_TYPES.get(column.type, column.type) if dialect == "postgres" else column.type


def create_table_sql(table: RawTable, dialect: str = "duckdb") -> str:
    """The table's DDL, as the declaration says it is, in the dialect.

    On PostgreSQL the ``unique`` columns get a UNIQUE constraint: several hosts write there,
    and a retry that slips past ingest's anti-join is refused by the index. DuckDB keeps
    them without one (DECISIONS.md: an index on a random key slowed bulk loads)."""
    lines = []
    for column in table.columns:
        parts = [f'"{column.name}"', column_type(column, dialect)]
        if not column.nullable:
            parts.append("not null")
        if column.default is not None:
            parts.append(f"default {column.default}")
        if column.primary_key:
            parts.append("primary key")
        elif column.unique and dialect == "postgres":
            parts.append("unique")
        parts.extend(f"check ({check})" for check in column.checks)
        lines.append(" ".join(parts))
    lines.extend(f"check ({check})" for check in table.checks)
    body = ",\n    ".join(lines)
    return f"create table {RAW_SCHEMA}.{table.name} (\n    {body}\n)"


def _column_tests(column: Column) -> list[Any]:
    """The dbt tests of what the DDL does not enforce. NOT NULL, PRIMARY KEY and the CHECKs
    (bounds, allowed values) refuse a bad row on insert, so a test of them cannot fail; a
    `unique` column has no index (DECISIONS.md), so ingest keeps it and dbt tests it here."""
    tests: list[Any] = ["unique"] if column.unique and not column.primary_key else []
    return [*tests, *column.tests]


def sources_yaml() -> str:
    """The dbt source definition of the raw tables."""
    tables = []
    for table in RAW_TABLES:
        entry: dict[str, Any] = {"name": table.name, "description": table.description}
        if table.tests:
            entry["data_tests"] = list(table.tests)
        columns = []
        for column in table.columns:
            described: dict[str, Any] = {"name": column.name, "description": column.description}
            if tests := _column_tests(column):
                described["data_tests"] = tests
            columns.append(described)
        entry["columns"] = columns
        tables.append(entry)
    document = {
        "version": 2,
        "sources": [
            {
                "name": "dds",
                "description": (
                    "Append-only raw events written by `ingest/` (the only writer). Each row "
                    "is one event; nothing is ever updated or deleted. Times are naive "
                    "TIMESTAMPs holding UTC. `seq` comes from one sequence shared by every "
                    "raw table and orders events with the same `occurred_at`."
                ),
                "schema": RAW_SCHEMA,
                "loaded_at_field": "ingested_at",
                "tables": tables,
            }
        ],
    }
    header = (
        "# Generated from ingest/warehouse/tables.py (the raw tables' declarations); do not edit.\n"
        "# Regenerate with: python -m ingest.warehouse.tables\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, width=88, allow_unicode=True)


def token_units_macro() -> str:
    """The dbt macro ``dds_token_units()``: TOKEN_PRICE_UNITS as price-list unit -> column."""
    entries = "".join(
        f"        '{unit}': '{column}',\n" for column, unit in TOKEN_PRICE_UNITS.items()
    )
    return (
        "{#- Generated from ingest/warehouse/tables.py (TOKEN_PRICE_UNITS); do not edit.\n"
        "    Regenerate with: python -m ingest.warehouse.tables\n"
        "    Price-list unit -> the usage column of a cost event it prices; any other unit\n"
        "    (search, email, ...) prices `units`. macros/dds_usage_pricing.sql reads it. -#}\n"
        "{% macro dds_token_units() -%}\n"
        "    {%- do return({\n"
        f"{entries}"
        "    }) -%}\n"
        "{%- endmacro %}\n"
    )


if __name__ == "__main__":
    SOURCES_YAML.write_text(sources_yaml())
    TOKEN_UNITS_MACRO.write_text(token_units_macro())
    print(f"wrote {SOURCES_YAML} and {TOKEN_UNITS_MACRO}", file=sys.stderr)
