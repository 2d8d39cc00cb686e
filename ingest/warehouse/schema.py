"""The raw schema: append-only event tables, the source of truth for every number.

Money is DECIMAL(18, 6) (never float); times are naive TIMESTAMPs that always hold UTC (the
connection's time zone is set to UTC too). ``seq`` comes from one sequence shared by all raw
tables: it orders events that carry the same ``occurred_at`` in the order they were written.

The schema is versioned: ``raw.schema_version`` records each migration applied, and opening
a warehouse applies the missing ones in order, each in its own transaction, so a warehouse
made by an older version upgrades in place. Migrations only add (tables, nullable columns),
relax (NOT NULL) or rename a column; they never rewrite or drop stored events.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ingest.warehouse.tables import COUNT_FIGURES, RAW_SCHEMA, SENDGRID_EVENT_TYPES, utc_now

# The tables' rules are declared in ingest/warehouse/tables.py; these migrations, written once each,
# build what the declarations say (tests/warehouse/test_tables.py).
SNAPSHOT_FIGURE_COLUMNS = (*COUNT_FIGURES, "revenue_usd")
# Version 2 accepted these only; its migration keeps creating the table it created.
_V2_SENDGRID_EVENT_TYPES = SENDGRID_EVENT_TYPES[:9]
# Version 3 accepts all eleven; a type SendGrid adds later needs a migration of its own.
_V3_SENDGRID_EVENT_TYPES = SENDGRID_EVENT_TYPES[:11]


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


_V1_BASELINE = (
    f"create sequence if not exists {RAW_SCHEMA}.event_seq",
    f"""
    create table if not exists {RAW_SCHEMA}.campaign_events (
        event_id        varchar primary key,
        seq             bigint not null default nextval('{RAW_SCHEMA}.event_seq'),
        campaign_id     varchar not null,
        event_type      varchar not null
            check (event_type in ('deployed', 'started', 'paused', 'stopped')),
        reason          varchar,
        -- set on 'deployed' only: the campaign's configuration and estimate at deploy time
        campaign_name   varchar,
        vertical        varchar,
        location        varchar,
        prospect_count  integer check (prospect_count > 0),
        budget_usd      decimal(18, 6) check (budget_usd >= 0),
        sender_name     varchar,
        sender_company  varchar,
        estimated_cost_usd decimal(18, 6) check (estimated_cost_usd >= 0),
        config          json,
        occurred_at     timestamp not null,
        ingested_at     timestamp not null
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.cost_events (
        cost_id         varchar primary key,
        seq             bigint not null default nextval('{RAW_SCHEMA}.event_seq'),
        campaign_id     varchar not null,
        operation       varchar not null,
        provider        varchar not null,
        amount_usd      decimal(18, 6) not null check (amount_usd >= 0),
        model           varchar,
        input_tokens    bigint check (input_tokens >= 0),
        output_tokens   bigint check (output_tokens >= 0),
        units           decimal(18, 6) check (units >= 0),
        details         json,
        idempotency_key varchar unique,
        occurred_at     timestamp not null,
        ingested_at     timestamp not null
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.result_snapshots (
        snapshot_id     varchar primary key,
        seq             bigint not null default nextval('{RAW_SCHEMA}.event_seq'),
        campaign_id     varchar not null,
        stage           varchar not null,
        leads_found     bigint not null check (leads_found >= 0),
        leads_qualified bigint not null check (leads_qualified >= 0),
        emails_sent     bigint not null check (emails_sent >= 0),
        emails_opened   bigint not null check (emails_opened >= 0),
        emails_clicked  bigint not null default 0 check (emails_clicked >= 0),
        emails_replied  bigint not null check (emails_replied >= 0),
        revenue_usd     decimal(18, 6) not null check (revenue_usd >= 0),
        -- 'api' (log_dds_results) or 'dds_campaigns_db' (imported from the DDS system)
        source          varchar not null default 'api',
        occurred_at     timestamp not null,
        ingested_at     timestamp not null,
        check (leads_qualified <= leads_found),
        check (emails_opened <= emails_sent),
        check (emails_clicked <= emails_sent),
        check (emails_replied <= emails_sent)
    )
    """,
    # Warehouses made before clicks were tracked (ALTER cannot add the CHECK constraint;
    # ingest validates the same rule before every write).
    f"alter table {RAW_SCHEMA}.result_snapshots "
    "add column if not exists emails_clicked bigint default 0",
)

_V1_COST_COLUMNS = (
    "cost_id, seq, campaign_id, operation, provider, amount_usd, model, input_tokens, "
    "output_tokens, units, details, idempotency_key, occurred_at, ingested_at"
)
_V2_REAL_INPUTS = (
    # raw.cost_events is rebuilt without its two ART indexes (the primary key on cost_id and
    # the UNIQUE idempotency_key): maintaining them for random string keys ruled out bulk
    # loads (bench/README.md, "Measured history"). Ingest keeps both
    # unique (one writer holds the file; every insert anti-joins what is stored) and dbt's
    # unique tests check them. The rebuild copies every row as it was, seq included.
    f"""
    create table {RAW_SCHEMA}.cost_events_v2 (
        cost_id         varchar not null,
        seq             bigint not null default nextval('{RAW_SCHEMA}.event_seq'),
        campaign_id     varchar not null,
        operation       varchar not null,
        provider        varchar not null,
        amount_usd      decimal(18, 6) not null check (amount_usd >= 0),
        model           varchar,
        input_tokens    bigint check (input_tokens >= 0),
        output_tokens   bigint check (output_tokens >= 0),
        units           decimal(18, 6) check (units >= 0),
        details         json,
        idempotency_key varchar,
        occurred_at     timestamp not null,
        ingested_at     timestamp not null,
        -- what priced the cost: the price-list item and version (null when given in dollars)
        item            varchar,
        cache_creation_input_tokens bigint check (cache_creation_input_tokens >= 0),
        cache_read_input_tokens     bigint check (cache_read_input_tokens >= 0),
        price_effective_from        date,
        batch_id        varchar
    )
    """,
    f"insert into {RAW_SCHEMA}.cost_events_v2 ({_V1_COST_COLUMNS}) "
    f"select {_V1_COST_COLUMNS} from {RAW_SCHEMA}.cost_events order by seq",
    f"drop table {RAW_SCHEMA}.cost_events",
    f"alter table {RAW_SCHEMA}.cost_events_v2 rename to cost_events",
    f"alter table {RAW_SCHEMA}.result_snapshots add column if not exists batch_id varchar",
    # an automatic pause records the rule that paused and its metric's value then, so that
    # after an operator resumes, the rule waits out a cooldown unless the metric worsens
    f"alter table {RAW_SCHEMA}.campaign_events add column if not exists rule_id varchar",
    f"alter table {RAW_SCHEMA}.campaign_events add column if not exists rule_value double",
    # bulk loads key each snapshot (the caller's key, or a hash of its content) so that
    # loading a file again writes nothing twice
    f"alter table {RAW_SCHEMA}.result_snapshots add column if not exists idempotency_key varchar",
    # Omitted snapshot figures are stored as NULL and carried forward by dbt.
    *(
        f"alter table {RAW_SCHEMA}.result_snapshots alter column {column} drop not null"
        for column in SNAPSHOT_FIGURE_COLUMNS
    ),
    f"alter table {RAW_SCHEMA}.result_snapshots alter column emails_clicked drop default",
    f"""
    create table if not exists {RAW_SCHEMA}.sendgrid_events (
        -- unique (webhooks retry; ingest drops repeats), without an ART index, as cost_events
        sg_event_id     varchar not null,
        seq             bigint not null default nextval('{RAW_SCHEMA}.event_seq'),
        campaign_id     varchar not null,
        sg_message_id   varchar not null,
        event           varchar not null
            check (event in ({", ".join(f"'{name}'" for name in _V2_SENDGRID_EVENT_TYPES)})),
        email           varchar,
        -- open events: true when SendGrid marks the open as a machine (privacy proxy) open
        machine_open    boolean,
        -- bounce events: 'bounce' or 'blocked'
        bounce_type     varchar,
        url             varchar,
        -- the event exactly as SendGrid sent it
        payload         json not null,
        batch_id        varchar,
        occurred_at     timestamp not null,
        ingested_at     timestamp not null
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.quarantine (
        quarantine_id   varchar primary key,
        seq             bigint not null default nextval('{RAW_SCHEMA}.event_seq'),
        batch_id        varchar not null,
        kind            varchar not null,
        -- 1-based position of the row in its input
        row_number      bigint not null,
        reason          varchar not null,
        payload         json not null,
        quarantined_at  timestamp not null
    )
    """,
    f"""
    create table if not exists {RAW_SCHEMA}.ingest_batches (
        batch_id        varchar primary key,
        seq             bigint not null default nextval('{RAW_SCHEMA}.event_seq'),
        kind            varchar not null,
        source          varchar not null,
        rows_read       bigint not null,
        loaded          bigint not null,
        quarantined     bigint not null,
        duplicates      bigint not null,
        started_at      timestamp not null,
        finished_at     timestamp not null
    )
    """,
)

_SENDGRID_COLUMNS = (
    "sg_event_id, seq, campaign_id, sg_message_id, event, email, machine_open, bounce_type, "
    "url, payload, batch_id, occurred_at, ingested_at"
)
_V3_ALL_SENDGRID_EVENTS = (
    # DuckDB cannot alter a CHECK constraint: raw.sendgrid_events is rebuilt with one that
    # admits group_unsubscribe and group_resubscribe, every row copied as it was, seq included.
    f"""
    create table {RAW_SCHEMA}.sendgrid_events_v3 (
        sg_event_id     varchar not null,
        seq             bigint not null default nextval('{RAW_SCHEMA}.event_seq'),
        campaign_id     varchar not null,
        sg_message_id   varchar not null,
        event           varchar not null
            check (event in ({", ".join(f"'{name}'" for name in _V3_SENDGRID_EVENT_TYPES)})),
        email           varchar,
        machine_open    boolean,
        bounce_type     varchar,
        url             varchar,
        payload         json not null,
        batch_id        varchar,
        occurred_at     timestamp not null,
        ingested_at     timestamp not null
    )
    """,
    f"insert into {RAW_SCHEMA}.sendgrid_events_v3 ({_SENDGRID_COLUMNS}) "
    f"select {_SENDGRID_COLUMNS} from {RAW_SCHEMA}.sendgrid_events order by seq",
    f"drop table {RAW_SCHEMA}.sendgrid_events",
    f"alter table {RAW_SCHEMA}.sendgrid_events_v3 rename to sendgrid_events",
)

_V4_LOAD_IDS = (
    # Every raw row names the load that wrote it in batch_id (the name bulk loads already
    # used): a bulk load or spool drain (recorded in raw.ingest_batches) or a single call.
    # Rows written before version 4 by single calls keep it null.
    f"alter table {RAW_SCHEMA}.campaign_events add column if not exists batch_id varchar",
    # A quarantined row's identity (its kind and content), so that loading the same input
    # again does not quarantine its bad rows a second time.
    f"alter table {RAW_SCHEMA}.quarantine add column if not exists row_key varchar",
    f"update {RAW_SCHEMA}.quarantine set row_key = md5(kind || '|' || cast(payload as varchar))",
)

_V5_LOAD_FINGERPRINTS = (
    # a bulk load's rows as a set (bulk.loading._fingerprint): loading the same input again, after a
    # load that quarantined nothing, is known to be all duplicates without checking each row
    f"alter table {RAW_SCHEMA}.ingest_batches add column if not exists fingerprint varchar",
)

_V6_ONE_NAME_FOR_COST = (
    # The cost is cost_usd at every layer (raw said amount_usd, marts total_cost_usd or
    # spend_usd). A rename keeps every row, seq included; DuckDB rewrites the CHECK with it.
    f"alter table {RAW_SCHEMA}.cost_events rename column amount_usd to cost_usd",
)

_V7_VARIANTS = tuple(
    # A/B tests: the variant (subject line, template, sender, step, any label) an event
    # belongs to; null outside a test, so a campaign without variants is unchanged.
    f"alter table {RAW_SCHEMA}.{table} add column if not exists variant varchar"
    for table in ("cost_events", "result_snapshots", "sendgrid_events")
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "campaign, cost and result events", _V1_BASELINE),
    Migration(
        2,
        "priced costs, SendGrid events, quarantine, ingest batches, nullable snapshot figures",
        _V2_REAL_INPUTS,
    ),
    Migration(
        3,
        "every SendGrid event type (group unsubscribes and resubscribes)",
        _V3_ALL_SENDGRID_EVENTS,
    ),
    Migration(4, "a load id on every raw row; quarantined rows keyed", _V4_LOAD_IDS),
    Migration(5, "bulk loads' fingerprints", _V5_LOAD_FINGERPRINTS),
    Migration(6, "raw.cost_events.amount_usd renamed cost_usd", _V6_ONE_NAME_FOR_COST),
    Migration(7, "the A/B test variant of cost, result and SendGrid events", _V7_VARIANTS),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The highest migration applied to this warehouse (0 for an empty file)."""
    [(version,)] = conn.execute(
        f"select coalesce(max(version), 0) from {RAW_SCHEMA}.schema_version"
    ).fetchall()
    return int(version)


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Apply every migration this warehouse lacks, in order, each atomically."""
    conn.execute(f"create schema if not exists {RAW_SCHEMA}")
    conn.execute(
        f"""
        create table if not exists {RAW_SCHEMA}.schema_version (
            version     integer primary key,
            description varchar not null,
            applied_at  timestamp not null
        )
        """
    )
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"The warehouse has raw schema version {current}, newer than this code's "
            f"{SCHEMA_VERSION}. Upgrade the dds package before opening it."
        )
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        conn.begin()
        try:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                f"insert into {RAW_SCHEMA}.schema_version values (?, ?, ?)",
                [migration.version, migration.description, utc_now()],
            )
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
