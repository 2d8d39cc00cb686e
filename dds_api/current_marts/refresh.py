"""Keep the campaign-grain tables current between dbt builds, with the SQL dbt compiled.

The marts the facade reads are incremental tables (macros/refresh/dds_refresh.sql). dbt
builds them; between builds, before a read, :func:`refresh` brings them up to date by
running, in one transaction and in dependency order, the SQL that dbt compiled for their
incremental branch: the scope model (campaigns with raw events since the last refresh, a
new day, an ended cooldown), each campaign-scoped model (its rows for those campaigns
deleted and inserted again), each fold-in model (new events added to the rows they touch)
and the state model. No number is computed here: this module only replays dbt's SQL.

One campaign's rows never stop the others' refresh: when a refresh fails, the campaigns in
its scope are probed in halves (each probe rolled back) until the ones whose rows fail are
found; the others are refreshed, and each failing one is recorded with the database's reason
in ``refresh.failing_campaigns`` (until a later refresh of it succeeds), so that its answers
name it and the reason instead of showing figures that miss its newest events. A failure that
no campaign explains (the scope or state model, a fold-in over every campaign) still fails the
whole refresh.

The plan (which models, in which order, with which SQL and strategy) is read from the
manifest of a `dbt compile` run right after the build (is_incremental() is true only once
the tables exist) and stored in the warehouse, so a copied warehouse carries its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb

from ingest.warehouse.dialect import begin_snapshot, insert_by_name, refresh_lock
from ingest.warehouse.errors import DATABASE_ERRORS

# Every piece of the refresh's bookkeeping lives in the schema `refresh`: the scope and state
# (dbt models, models/refresh/), the plan, the per-model marks, the failing campaigns, and the
# build info (dds_api/current_marts/build.py).
BOOKKEEPING_SCHEMA = "refresh"
# The layout of that bookkeeping, as dlt versions its pipeline state: recorded with each
# build (refresh.build_info); a warehouse whose layout differs is rebuilt on first use. Raise
# it when a bookkeeping table's name or columns change.
BOOKKEEPING_VERSION = 1
PLAN_TABLE = f"{BOOKKEEPING_SCHEMA}.plan"
# per refreshed model, the raw seq it was last brought to by the facade (bookkeeping only)
STEPS_TABLE = f"{BOOKKEEPING_SCHEMA}.model_marks"
# campaigns whose rows made their last refresh fail, with the database's reason
FAILURES_TABLE = f"{BOOKKEEPING_SCHEMA}.failing_campaigns"
SCOPE_MODEL = "refresh_scope"
STATE_MODEL = "refresh_state"
# The custom strategy of campaign-scoped models; fold-in models use dbt's delete+insert.
CAMPAIGN_SCOPE = "dds_campaign_scope"
DELETE_INSERT = "delete+insert"
REBUILD = "table"

# dbt selects these for the compile whose manifest becomes the plan
PLAN_SELECTOR = ("config.materialized:incremental", "config.materialized:table")
# the rows a delete+insert step computed before replacing (a temporary table; unqualified,
# which both engines resolve to the connection's temporary schema first)
_ROWS = "dds_refresh_rows"


T = TypeVar("T")


class RefreshPlanError(RuntimeError):
    """The compiled project does not have the shape a refresh relies on."""


@dataclass(frozen=True)
class Step:
    position: int
    model: str
    relation: str  # schema.table, without the catalog (the file may be copied or renamed)
    strategy: str
    unique_key: str | None
    sql: str
    # the refreshed models it reads, directly or through views, and the raw tables under it
    upstream: tuple[str, ...] = ()
    raw_sources: tuple[str, ...] = ()


def plan_from_manifest(manifest: dict[str, Any]) -> list[Step]:
    """The refresh steps in dependency order, from a (parsed) manifest whose incremental
    models were compiled against existing tables (their incremental branch)."""
    nodes = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"].get("materialized") in ("incremental", "table")
    }
    missing = {SCOPE_MODEL, STATE_MODEL} - set(nodes)
    if missing:
        raise RefreshPlanError(f"The dbt project has no model {', '.join(sorted(missing))}.")
    by_id = {node["unique_id"]: name for name, node in nodes.items()}
    parents = {
        unique_id: node.get("depends_on", {}).get("nodes", [])
        for unique_id, node in manifest["nodes"].items()
    }

    scope_id = nodes[SCOPE_MODEL]["unique_id"] if SCOPE_MODEL in nodes else None

    def ancestors(unique_id: str) -> set[str]:
        # through views too: a table read through a view must be refreshed before. Not
        # through the scope model: every scoped model reads it, and it reads every raw table
        seen: set[str] = set()
        frontier = list(parents.get(unique_id, []))
        while frontier:
            parent = frontier.pop()
            if parent not in seen:
                seen.add(parent)
                if parent != scope_id:
                    frontier.extend(parents.get(parent, []))
        return seen

    lineage = {name: ancestors(node["unique_id"]) for name, node in nodes.items()}
    upstream = {name: {by_id[a] for a in seen if a in by_id} for name, seen in lineage.items()}
    sources = manifest.get("sources", {})
    raw_sources = {
        name: {sources[a]["name"] for a in seen if a in sources} for name, seen in lineage.items()
    }
    ordered: list[str] = []
    while len(ordered) < len(nodes):
        # the scope first: it has no upstream here, and the rest read it
        ready = sorted(
            (n for n in nodes if n not in ordered and upstream[n] <= set(ordered)),
            key=lambda n: (n != SCOPE_MODEL, n),
        )
        if not ready:
            raise RefreshPlanError("The refreshed models depend on each other in a cycle.")
        ordered.extend(ready)
    steps = []
    for position, name in enumerate(ordered):
        node = nodes[name]
        sql = node.get("compiled_code")
        if not sql:
            raise RefreshPlanError(f"Model {name} was not compiled; run dbt compile.")
        if node["config"].get("materialized") == "incremental":
            strategy = node["config"].get("incremental_strategy") or DELETE_INSERT
            if strategy not in (CAMPAIGN_SCOPE, DELETE_INSERT):
                raise RefreshPlanError(f"Model {name}: unsupported strategy {strategy}.")
        else:
            strategy = REBUILD
        unique_key = node["config"].get("unique_key")
        if strategy == DELETE_INSERT and not isinstance(unique_key, str):
            raise RefreshPlanError(f"Model {name}: a fold-in model needs one unique_key column.")
        steps.append(
            Step(
                position,
                name,
                f"{node['schema']}.{node['alias'] or name}",
                strategy,
                unique_key,
                sql,
                tuple(sorted(upstream[name])),
                tuple(sorted(raw_sources[name])),
            )
        )
    # a model outside the state model's upstream would be refreshed after the state moved
    stray = set(nodes) - upstream[STATE_MODEL] - {STATE_MODEL}
    if stray:
        raise RefreshPlanError(
            f"{STATE_MODEL} must depend on every refreshed model; add a depends_on line "
            f"for {', '.join(sorted(stray))}."
        )
    return steps


# where versions before 0.5.0 kept the same bookkeeping (dropped by store_plan)
LEGACY_TABLES = (
    "main.dds_refresh_plan",
    "main.dds_refresh_steps",
    "main.dds_refresh_failures",
    "main.dds_build_info",
)


def bookkeeping_relations(*others: str) -> set[tuple[str, str]]:
    """(schema, table) of the bookkeeping tables written from Python, so that a build that
    drops relations dbt no longer owns in its schemas (the scope and state are dbt's, in
    the same schema) keeps them."""
    return {_schema_and_table(name) for name in (PLAN_TABLE, STEPS_TABLE, FAILURES_TABLE, *others)}


def _schema_and_table(qualified: str) -> tuple[str, str]:
    schema, table = qualified.split(".")
    return schema, table


def store_plan(conn: duckdb.DuckDBPyConnection, steps: list[Step]) -> None:
    """Record the plan; after a build every table is as dbt left it, so no model counts as
    refreshed by the facade yet."""
    for legacy in LEGACY_TABLES:
        conn.execute(f"drop table if exists {legacy}")
    for table in (STEPS_TABLE, FAILURES_TABLE, PLAN_TABLE):
        conn.execute(f"drop table if exists {table}")
    conn.execute(f"create table {STEPS_TABLE} (model varchar primary key, through_seq bigint)")
    # a build recomputed every campaign: none is failing
    conn.execute(
        f"create table {FAILURES_TABLE} "
        "(campaign_id varchar primary key, reason varchar, failed_at timestamp)"
    )
    conn.execute(
        f"create table {PLAN_TABLE} (position integer, model varchar, "
        "relation varchar, strategy varchar, unique_key varchar, sql varchar, "
        "upstream varchar[], raw_sources varchar[])"
    )
    conn.executemany(
        f"insert into {PLAN_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (s.position, s.model, s.relation, s.strategy, s.unique_key, s.sql,
             list(s.upstream), list(s.raw_sources))
            for s in steps
        ],
    )  # fmt: skip


def load_plan(conn: duckdb.DuckDBPyConnection) -> list[Step] | None:
    columns = {
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            list(_schema_and_table(PLAN_TABLE)),
        ).fetchall()
    }
    if "raw_sources" not in columns:
        return None  # none, or one made by an older version: build again
    rows = conn.execute(
        f"select position, model, relation, strategy, unique_key, sql, upstream, raw_sources "
        f"from {PLAN_TABLE} order by position"
    ).fetchall()
    return [Step(*row[:6], tuple(row[6]), tuple(row[7])) for row in rows] or None


def refresh(
    conn: duckdb.DuckDBPyConnection, steps: list[Step], needs: tuple[str, ...] | None = None
) -> bool:
    """Bring the campaign-grain tables up to date, in one transaction (on a connection with
    none open): all of them, or (``needs``) only those models and what they read. Returns
    whether the refresh was complete (then the state moved: the next refresh starts from
    here); a partial one leaves the state where it was, so the next refresh covers the
    same campaigns again for the models it skipped (recomputing a campaign is idempotent, and
    running totals keep their own watermark).

    When it fails because of some campaigns' rows, those are left out (and recorded in
    FAILURES_TABLE) and the rest is refreshed; see the module's docstring."""
    with refresh_lock(conn):
        try:
            return _in_transaction(conn, lambda: _refresh(conn, steps, needs))
        except DATABASE_ERRORS:
            failing = _failing_campaigns(conn, steps, needs)
            if not failing:
                raise  # no campaign explains it: nothing is answered from half a refresh
            return _in_transaction(conn, lambda: _refresh(conn, steps, needs, failing=failing))


def failing_campaigns(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Campaign id -> why its last refresh failed (its stored rows predate that refresh)."""
    return dict(conn.execute(f"select campaign_id, reason from {FAILURES_TABLE}").fetchall())


def has_failures_table(conn: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            list(_schema_and_table(FAILURES_TABLE)),
        ).fetchone()[0]
    )


def _in_transaction(conn: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    begin_snapshot(conn)
    try:
        result = work()
    except BaseException:
        conn.rollback()
        raise
    conn.commit()
    return result


def _failing_campaigns(
    conn: duckdb.DuckDBPyConnection, steps: list[Step], needs: tuple[str, ...] | None
) -> dict[str, str]:
    """The campaigns whose rows make the refresh fail, each with the database's reason:
    the scope probed in halves, every probe rolled back. Empty when the refresh fails with
    no campaign in scope at all (then no campaign is to blame)."""

    def probe(only: Sequence[str]) -> str | None:
        conn.begin()
        try:
            _refresh(conn, steps, needs, only=only)
        except DATABASE_ERRORS as exc:
            return str(exc)
        finally:
            conn.rollback()
        return None

    if probe(()) is not None:
        return {}
    conn.begin()
    try:
        _rebuild_in_place(conn, steps[0])
        in_scope = [
            campaign_id
            for (campaign_id,) in conn.execute(
                f"select distinct campaign_id from {steps[0].relation} order by 1"
            ).fetchall()
        ]
    finally:
        conn.rollback()
    failing: dict[str, str] = {}

    def search(group: Sequence[str], reason: str | None) -> None:
        if reason is None:
            return
        if len(group) == 1:
            failing[group[0]] = reason
            return
        half = len(group) // 2
        for part in (group[:half], group[half:]):
            search(part, probe(part))

    search(in_scope, probe(in_scope))
    return failing


def _refresh(
    conn: duckdb.DuckDBPyConnection,
    steps: list[Step],
    needs: tuple[str, ...] | None,
    *,
    only: Sequence[str] | None = None,
    failing: dict[str, str] | None = None,
) -> bool:
    """The refresh's statements. ``only``: a probe restricted to these campaigns (rolled
    back by the caller); ``failing``: campaigns to leave out, recorded as failing."""
    scope, *models, state = steps
    assert scope.model == SCOPE_MODEL and state.model == STATE_MODEL, "not a refresh plan"
    _rebuild_in_place(conn, scope)
    if only is not None:
        conn.execute(
            f"delete from {scope.relation} where campaign_id <> all(?::varchar[])", [list(only)]
        )
    if failing:
        conn.execute(
            f"delete from {scope.relation} where campaign_id = any(?::varchar[])",
            [list(failing)],
        )
        conn.execute(
            f"insert into {FAILURES_TABLE} "
            "select unnest(?::varchar[]), unnest(?::varchar[]), "
            "cast(timezone('UTC', current_timestamp) as timestamp) "
            "on conflict (campaign_id) do update "
            "set reason = excluded.reason, failed_at = excluded.failed_at",
            [list(failing), list(failing.values())],
        )
    # why each campaign is in scope, and whether one failed before: a campaign left out of
    # a refresh is behind in every model, not only in those its new events touch
    in_scope = conn.execute(
        f"select distinct reason, campaign_id in (select campaign_id from {FAILURES_TABLE}) "
        f"from {scope.relation}"
    ).fetchall()
    reasons = {reason for reason, _ in in_scope}
    failed_before = any(retried for _, retried in in_scope)
    if not reasons:
        # no raw event since the last refresh (each names its campaign), same day, same
        # vars, no cooldown ended: every table is current
        return True
    # A model is current when none of its raw tables has an event newer than what it was last
    # refreshed through (refresh.model_marks), unless time or the project moved
    # (every_campaign, cooldown_ended): then it runs for every campaign in scope.
    newest = _newest_seq_per_raw_table(conn, sorted(set().union(*(s.raw_sources for s in models))))
    refreshed_through = dict(
        conn.execute(f"select model, through_seq from {STEPS_TABLE}").fetchall()
    )
    forced = failed_before or not reasons.isdisjoint(("every_campaign", "cooldown_ended"))
    due = [
        step
        for step in models
        if forced
        or any(newest[table] > refreshed_through.get(step.model, -1) for table in step.raw_sources)
    ]
    if needs is not None:
        wanted = set(needs).union(*(step.upstream for step in models if step.model in needs))
        due_later = [step for step in due if step.model not in wanted]
        due = [step for step in due if step.model in wanted]
    else:
        due_later = []
    for step in due:
        if step.strategy == REBUILD:
            _rebuild(conn, step)
        elif step.strategy == CAMPAIGN_SCOPE:
            # as macros/refresh/dds_refresh.sql: every row of the campaigns in scope
            # replaced, so that rows that no longer apply (a flag that stopped firing) go
            conn.execute(
                f"delete from {step.relation} "
                f"where campaign_id in (select campaign_id from {scope.relation})"
            )
            # and only their rows inserted: the output is kept to the scope here, whatever
            # the model's own filters (they only save work)
            conn.execute(
                insert_by_name(
                    conn,
                    step.relation,
                    f"{_subquery(step.sql)} "
                    f"where campaign_id in (select campaign_id from {scope.relation})",
                )
            )
        else:
            # dbt's delete+insert: the new rows replace the stored rows with their key
            _replace(
                conn,
                step,
                f"{step.unique_key} in (select {step.unique_key} from {_ROWS})",
            )
    high_water = max(newest.values(), default=-1)
    if due_later and failing:
        # these models left the failing campaigns out, and the state stays: their marks
        # stay too, so that the next refresh runs them for those campaigns again
        return False
    conn.execute(
        f"insert into {STEPS_TABLE} select unnest(?::varchar[]), ? "
        "on conflict (model) do update set through_seq = excluded.through_seq",
        [[step.model for step in due], high_water],
    )
    if due_later:
        return False
    # complete: whatever failed before for the campaigns refreshed now is behind them
    conn.execute(
        f"delete from {FAILURES_TABLE} "
        f"where campaign_id in (select campaign_id from {scope.relation})"
    )
    _rebuild_in_place(conn, state)
    return True


def _newest_seq_per_raw_table(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    # the raw tables' names come from the plan (the dbt sources), never from input; max(seq)
    # is answered from DuckDB's statistics (bench/README.md, "Measured history")
    if not tables:
        return {}
    row = conn.execute(
        "select " + ", ".join(f"(select max(seq) from raw.{table})" for table in tables)
    ).fetchone()
    return {table: -1 if seq is None else seq for table, seq in zip(tables, row, strict=True)}


def _rebuild(conn: duckdb.DuckDBPyConnection, step: Step) -> None:
    _replace(conn, step, "true")


def _rebuild_in_place(conn: duckdb.DuckDBPyConnection, step: Step) -> None:
    """The scope and the state models: two statements instead of four (no staging table),
    which is safe because neither reads its own table (the scope reads the state, the state
    only raw); every statement saved is its planning saved, on every refresh."""
    conn.execute(f"delete from {step.relation}")
    conn.execute(insert_by_name(conn, step.relation, _subquery(step.sql)))


def _replace(conn: duckdb.DuckDBPyConnection, step: Step, delete_where: str) -> None:
    """Compute the step's rows first (its SQL may read the table it replaces rows of),
    then delete the stored rows matching ``delete_where`` and insert the new ones."""
    conn.execute(f"create temp table {_ROWS} as {_subquery(step.sql)}")
    conn.execute(f"delete from {step.relation} where {delete_where}")
    conn.execute(insert_by_name(conn, step.relation, f"select * from {_ROWS}"))
    conn.execute(f"drop table {_ROWS}")


def _subquery(sql: str) -> str:
    # the compiled model may end in a comment: close the parenthesis on a line of its own
    return f"select * from (\n{sql}\n) as model_rows"
