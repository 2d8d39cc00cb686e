"""The raw schema: three append-only event tables, the source of truth for every number.

Created idempotently on every open. Money is DECIMAL(18, 6) (never float); times are naive
TIMESTAMPs that always hold UTC (the connection's time zone is set to UTC too). ``seq``
comes from one sequence shared by all raw tables: it orders events that carry the same
``occurred_at`` in the order they were written.
"""

from __future__ import annotations

import duckdb

RAW_SCHEMA = "raw"
LIFECYCLE_EVENT_TYPES = ("deployed", "started", "paused", "stopped")

# Statements run in order; each one is safe to run again.
DDL: tuple[str, ...] = (
    f"create schema if not exists {RAW_SCHEMA}",
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
)


# Columns added after a table's first version: a warehouse made before them gains them on
# open (CREATE TABLE IF NOT EXISTS leaves an existing table as it was). ALTER cannot add
# the CHECK constraints; ingest validates the same rules before every write.
UPGRADES: tuple[str, ...] = (
    f"alter table {RAW_SCHEMA}.result_snapshots "
    "add column if not exists emails_clicked bigint default 0",
)


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in (*DDL, *UPGRADES):
        conn.execute(statement)
