"""Bulk ingest: costs, result snapshots and SendGrid events from files, frames or webhooks.

A load reads its input into a temporary table (Parquet, CSV, JSON Lines, a JSON array, a
polars DataFrame, an Arrow table, or a list of dicts for a webhook body), then validates,
prices, deduplicates and appends it in SQL, so a million rows take seconds, not minutes.
Every row ends up in exactly one place:

- **loaded** into its raw table;
- **quarantined** in ``raw.quarantine`` with the reason and the row as received;
- a **duplicate** of a row already stored (or earlier in the same input), not written again.

``raw.ingest_batches`` records the summary. A load is one transaction: it lands whole or
not at all. Re-running the same input loads nothing twice: rows are keyed by their
idempotency key, or (without one) by a hash of their validated content; SendGrid events by
``sg_event_id``.

The rules are declared once per table (``ingest/warehouse/tables.py``: each input's rule, in order)
and evaluated here as SQL over whole columns, by the single calls in Python
(``ingest/validation.py``); ``tests/warehouse/test_tables.py`` feeds every declared input's good and
bad values through both and expects the same verdict. Pricing is literally the same SQL
(``ingest/pricing.py``). Re-running an input does not quarantine its bad rows twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from ingest import costs, pricing, results
from ingest.loads import new_load_id, record_load
from ingest.validation import (
    FUTURE_TOLERANCE,
    MAX_DETAILS_BYTES,
    MAX_TEXT,
    too_large,
    utc_now,
)
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.tables import (
    CAMPAIGN_ID,
    COST_EVENTS,
    COUNT,
    DETAILS,
    MONEY,
    NAME,
    RESULT_SNAPSHOTS,
    SENDGRID_EVENT_TYPES,
    SENDGRID_EVENTS,
    TEXT,
    TIMESTAMP,
    Input,
    RawTable,
)

KINDS = ("costs", "results", "sendgrid_events")
FILE_FORMATS = ("parquet", "csv", "jsonl", "json")
# Rows validated and written per step; a progress callback hears after each.
CHUNK_ROWS = 250_000
STAGED = "bulk_input"  # the temporary table a load reads its input into
REFUSED = "bulk_refused"  # the rows a load refuses, before they are quarantined

# a file's columns, and those it must have (declared in ingest/warehouse/tables.py)
DECLARED = {"costs": COST_EVENTS, "results": RESULT_SNAPSHOTS}
COST_COLUMNS = COST_EVENTS.file_keys()
RESULT_COLUMNS = RESULT_SNAPSHOTS.file_keys()
REQUIRED = {kind: table.required_file_keys() for kind, table in DECLARED.items()}
ALLOWED = {kind: table.file_keys() for kind, table in DECLARED.items()}

Progress = Callable[[int, int], None]  # (rows done, rows in all)
Source = pl.DataFrame | pa.Table | str | Path | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class LoadSummary:
    batch_id: str
    kind: str
    source: str
    rows_read: int
    loaded: int
    quarantined: int
    duplicates: int
    seconds: float
    # reason -> rows quarantined for it
    reasons: dict[str, int] = field(default_factory=dict)
    # of the rows quarantined, those an earlier load of the same input quarantined already
    # (counted, not written again)
    previously_quarantined: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "loaded",
            "batch_id": self.batch_id,
            "kind": self.kind,
            "source": self.source,
            "rows_read": self.rows_read,
            "loaded": self.loaded,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "quarantine_reasons": self.reasons,
            "previously_quarantined": self.previously_quarantined,
            "seconds": round(self.seconds, 3),
        }


def load(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    source: Source,
    *,
    file_format: str | None = None,
    campaign_arg: str = "campaign_id",
    progress: Progress | None = None,
) -> LoadSummary:
    """Load ``source`` as ``kind`` in one transaction and return what happened to each row.

    Raises ValidationError (nothing written) when the input as a whole is unusable: an
    unknown kind or format, a missing file, or columns that are missing or unknown.
    """
    if kind not in KINDS:
        raise ValidationError(f"Unknown kind {kind!r}; choose one of: {', '.join(KINDS)}.")
    started = time.perf_counter()
    started_at = utc_now()
    batch_id = new_load_id()
    label = _label(source)
    # Staged outside the transaction: committed rows of a temporary table number 0..n-1 in
    # input order (rowid), which names each row in the quarantine; inside a transaction
    # rowids are provisional.
    _stage(conn, kind, source, file_format)
    conn.begin()
    try:
        conn.execute(
            f"create temp table {REFUSED} "
            "(row_number bigint, reason varchar, payload json, row_key varchar)"
        )
        if kind != "sendgrid_events":
            _check_columns(conn, kind)
        fingerprint = _fingerprint(conn, kind, campaign_arg)
        if _loaded_whole_before(conn, fingerprint):
            total = fingerprint.split("|")[2]
            counts = {"rows_read": int(total), "loaded": 0, "duplicates": int(total)}
            if progress is not None:
                progress(int(total), int(total))
        elif kind == "sendgrid_events":
            counts = _load_sendgrid(conn, batch_id, campaign_arg, progress)
        else:
            loader = _load_costs if kind == "costs" else _load_results
            counts = loader(conn, batch_id, progress)
        reasons, previously = _write_quarantine(conn, batch_id, kind)
        summary = LoadSummary(
            batch_id=batch_id,
            kind=kind,
            source=label,
            rows_read=counts["rows_read"],
            loaded=counts["loaded"],
            quarantined=sum(reasons.values()),
            duplicates=counts["duplicates"],
            seconds=time.perf_counter() - started,
            reasons=reasons,
            previously_quarantined=previously,
        )
        record_load(
            conn,
            batch_id,
            kind=kind,
            source=label,
            rows_read=summary.rows_read,
            loaded=summary.loaded,
            quarantined=summary.quarantined,
            duplicates=summary.duplicates,
            started_at=started_at,
            fingerprint=fingerprint,
        )
    except BaseException:
        conn.rollback()
        raise
    finally:
        _drop_staged(conn)
    conn.commit()
    return summary


def _fingerprint(conn: duckdb.DuckDBPyConnection, kind: str, campaign_arg: str) -> str:
    """The staged rows as a set: kind, row count and two order-free aggregates of each
    row's hash (~35 ms per million rows)."""
    [(count, xor, total)] = conn.execute(
        f"select count(*), bit_xor(hash({STAGED})), sum(hash({STAGED}) % 1000003) from {STAGED}"
    ).fetchall()
    scope = campaign_arg if kind == "sendgrid_events" else ""
    return f"{kind}|{scope}|{count}|{xor}|{total}"


def _loaded_whole_before(conn: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Whether an earlier load of exactly these rows stored or deduplicated every one of
    them (quarantined none). Raw tables only grow, so each of its rows is stored and is a
    duplicate now: there is nothing to check again. An input whose earlier load quarantined
    rows is checked whole (its campaign may be deployed by now, its price listed)."""
    row = conn.execute(
        "select 1 from raw.ingest_batches where fingerprint = ? and quarantined = 0 limit 1",
        [fingerprint],
    ).fetchone()
    return row is not None


def _drop_staged(conn: duckdb.DuckDBPyConnection) -> None:
    for table in (STAGED, REFUSED, "bulk_costs", "bulk_results", "bulk_sendgrid", "bulk_new"):
        conn.execute(f"drop table if exists {table}")


# ----------------------------------------------------------------------------- staging


def _label(source: Source) -> str:
    if isinstance(source, str | Path):
        return str(source)
    if isinstance(source, pl.DataFrame | pa.Table):
        return "dataframe"
    return "webhook"


def _detect_format(path: Path, file_format: str | None) -> str:
    if file_format is not None:
        if file_format not in FILE_FORMATS:
            raise ValidationError(
                f"Unknown file format {file_format!r}; choose one of: {', '.join(FILE_FORMATS)}."
            )
        return file_format
    suffix = path.suffix.lower().lstrip(".")
    guessed = {"parquet": "parquet", "pq": "parquet", "csv": "csv", "jsonl": "jsonl"}
    guessed |= {"ndjson": "jsonl", "json": "json"}
    if suffix not in guessed:
        raise ValidationError(
            f"Cannot tell the format of {path.name!r} from its extension; name it .parquet, "
            ".csv, .jsonl or .json (a JSON array), or pass the format."
        )
    return guessed[suffix]


def _stage(
    conn: duckdb.DuckDBPyConnection, kind: str, source: Source, file_format: str | None
) -> None:
    """Read the input into the temporary table STAGED, in input order (its rowid).

    SendGrid events are staged as one JSON ``payload`` per event (the raw table keeps it);
    costs and results as columns, every value as text for CSV (so that a bad value
    quarantines its row instead of failing the file).
    """
    conn.execute(f"drop table if exists {STAGED}")
    as_payload = kind == "sendgrid_events"
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(f"No file at {str(path)!r}; check the path.")
        fmt = _detect_format(path, file_format)
        reader = {
            "parquet": "read_parquet(?)",
            "csv": "read_csv(?, header = true, all_varchar = true)",
            "jsonl": "read_json(?, format = 'newline_delimited')",
            "json": "read_json(?, format = 'array')",
        }[fmt]
        if as_payload and fmt in ("jsonl", "json"):
            # keep each event exactly as sent, whatever its keys
            layout = "newline_delimited" if fmt == "jsonl" else "array"
            reader = f"read_json_objects(?, format = '{layout}')"
            select = "select json as payload from " + reader
        elif as_payload:
            select = f"select to_json(input) as payload from {reader} as input"
        else:
            select = f"select * from {reader}"
        try:
            conn.execute(f"create temp table {STAGED} as {select}", [str(path)])
        except duckdb.Error as exc:
            raise ValidationError(f"Cannot read {path.name!r} as {fmt}: {exc}") from exc
        return
    if isinstance(source, pl.DataFrame):
        source = source.to_arrow()
    if isinstance(source, pa.Table):
        conn.register("bulk_frame", source)
        try:
            select = (
                "select to_json(bulk_frame) as payload from bulk_frame"
                if as_payload
                else "select * from bulk_frame"
            )
            conn.execute(f"create temp table {STAGED} as {select}")
        finally:
            conn.unregister("bulk_frame")
        return
    if as_payload and isinstance(source, Sequence) and not isinstance(source, str | bytes):
        payloads = [_event_json(event, position) for position, event in enumerate(source, 1)]
        conn.register("bulk_frame", pa.table({"payload": pa.array(payloads, pa.string())}))
        try:
            conn.execute(
                f"create temp table {STAGED} as select cast(payload as json) as payload "
                "from bulk_frame"
            )
        finally:
            conn.unregister("bulk_frame")
        return
    raise ValidationError(
        f"Cannot load a {type(source).__name__}: give a file path, a polars DataFrame, an "
        "Arrow table, or (for SendGrid events) the webhook's list of events."
    )


def _event_json(event: object, position: int) -> str:
    """A webhook event as JSON text; a non-object still stages (and is quarantined)."""
    try:
        return json.dumps(event, allow_nan=False, default=str)
    except (TypeError, ValueError):
        return json.dumps({"unreadable_event": repr(event)[:MAX_TEXT], "position": position})


def _staged_columns(conn: duckdb.DuckDBPyConnection) -> list[str]:
    description = conn.execute(f"select * from {STAGED} limit 0").description
    return [column[0] for column in description or ()]


def _check_columns(conn: duckdb.DuckDBPyConnection, kind: str) -> None:
    """Unknown columns refuse the input (as unknown keys refuse a single call); missing
    optional columns read as null."""
    present = _staged_columns(conn)
    unknown = sorted(set(present) - set(ALLOWED[kind]))
    if unknown:
        raise ValidationError(
            f"Unknown {kind} column(s): {', '.join(unknown)}. Allowed columns are: "
            f"{', '.join(ALLOWED[kind])}."
        )
    missing = [name for name in REQUIRED[kind] if name not in present]
    if missing:
        raise ValidationError(
            f"The {kind} input lacks the column(s) {', '.join(missing)}; bulk rows need "
            f"{', '.join(REQUIRED[kind])} (occurred_at keeps re-runs from loading a row "
            "twice)."
        )
    for name in ALLOWED[kind]:
        if name not in present:
            conn.execute(f'alter table {STAGED} add column "{name}" varchar')


# ------------------------------------------------------------------- SQL building blocks


# The checks below refer to each input column through columns that _prepared() computes
# once per row (a CASE chain repeating trim/cast/try_cast for every branch was the cost of
# a load): c__t, its trimmed text or null; c__n, that text as a number or null.


def _prepared(table: RawTable) -> str:
    """The staged rows of one chunk ($2 <= rowid < $3) with c__t for every column a file
    gives, c__n for those checked as numbers, and c__name (normalize_name) for the name
    columns: computed over their few distinct values and joined back, since a regular
    expression per row dominated the load."""
    columns, numbers = table.file_keys(), table.inputs_by_rule(MONEY, COUNT)
    names = table.inputs_by_rule(NAME)
    texts = ", ".join(f"nullif(trim(cast({c} as varchar)), '') as {c}__t" for c in columns)
    parsed = ", ".join(f"try_cast({c}__t as decimal(38, 6)) as {c}__n" for c in numbers)
    normalized = "".join(
        f"""
    {c}__names as (
        select {c}__t as {c}__raw,
            trim(regexp_replace(lower({c}__t), '[^a-z0-9]+', '_', 'g'), '_') as {c}__name
        from (select distinct {c}__t from texts)
    ),"""
        for c in names
    )
    joins = "".join(f" left join {c}__names on texts.{c}__t = {c}__names.{c}__raw" for c in names)
    name_columns = "".join(f", {c}__names.{c}__name" for c in names)
    return f"""
    texts as (
        select rowid + 1 as row_number, {texts} from {STAGED}
        where rowid >= cast($2 as bigint) and rowid < cast($3 as bigint)
    ),{normalized}
    input as (
        select texts.*, {parsed}{name_columns},
            cast(try_cast(occurred_at__t as timestamptz) as timestamp) as occurred_at__ts
        from texts{joins}
    )"""


def _text(column: str) -> str:
    return f"{column}__t"


def _name(column: str) -> str:
    """normalize_name in SQL: lower_snake_case, or '' when nothing is left (_prepared)."""
    return f"{column}__name"


def _number(column: str) -> str:
    return f"{column}__n"


def _bad_text(column: str, field_name: str, *, required: bool) -> str:
    """A CASE branch: the reason when a text field is unusable."""
    missing = (
        f"when {_text(column)} is null then '''{field_name}'' must be a non-empty string'"
        if required
        else ""
    )
    return f"""
        {missing}
        when length({_text(column)}) > {MAX_TEXT}
            then '''{field_name}'' is longer than {MAX_TEXT} characters; shorten it'
        when contains({_text(column)}, chr(0))
            then '''{field_name}'' contains a NUL character; remove it'"""


def _bad_name(column: str, *, example: str) -> str:
    """CASE branches: a name field (normalize_name) that is unusable."""
    return f"""{_bad_text(column, column, required=True)}
        when {_name(column)} = ''
            then '''{column}'' must contain letters or digits (e.g. {example})'"""


# parse_campaign_id in SQL
_BAD_CAMPAIGN_ID = f"""
        when {_text("campaign_id")} is null or length({_text("campaign_id")}) > 128
            then 'campaign_id must be the string returned by deploy_campaign'"""


def _bad_count(column: str, field_name: str, maximum: int | Decimal) -> str:
    number = _number(column)
    return f"""
        when {_text(column)} is not null and ({number} is null or {number} <> floor({number}))
            then '''{field_name}'' must be a whole number (e.g. 50), got '
                || {_text(column)}
        when {number} < 0 then '''{field_name}'' must not be negative'
        when {number} > {maximum}
            then {_sql_text(too_large(field_name, 0, maximum, dollars=False), field_name)}"""


def _bad_money(column: str, field_name: str, maximum: int | Decimal) -> str:
    number = _number(column)
    return f"""
        when {_text(column)} is not null and ({number} is null or isnan(try_cast({_text(column)}
                as double)) or isinf(try_cast({_text(column)} as double)))
            then '''{field_name}'' must be a number of US dollars (e.g. 2.50), got '
                || {_text(column)}
        when {number} < 0 then '''{field_name}'' must not be negative'
        when {number} > {maximum}
            then {_sql_text(too_large(field_name, 0, maximum, dollars=True), field_name)}"""


def _bad_details(column: str) -> str:
    return f"""
        when {_text(column)} is not null
            and coalesce(json_type(try_cast({_text(column)} as json)), '') <> 'OBJECT'
            then '''{column}'' must be a JSON object'
        when length({_text(column)}) > {MAX_DETAILS_BYTES}
            then '''{column}'' is larger than {MAX_DETAILS_BYTES} bytes of JSON'"""


def _sql_text(message: str, field_name: str) -> str:
    """Python's message for a value past its bound (validation.too_large, made with a
    placeholder value of 0) as an SQL expression that shows the row's own value."""
    head, tail = message.split(" is 0, ", 1)
    quote = "''"
    return (
        f"'{head.replace(chr(39), quote)} is ' || {_text(field_name)} || "
        f"', {tail.replace(chr(39), quote)}'"
    )


def _declared_maximum(given: Input) -> int | Decimal:
    assert given.maximum is not None, f"input {given.name} declares no maximum"
    return given.maximum


def _input_checks(table: RawTable) -> str:
    """The CASE branches checking each column a file gives, by its declared rule and in
    the declared order (the first broken rule is the row's reason)."""
    branches = []
    for given in table.inputs:
        if not given.in_file:
            continue
        name, rule = given.name, given.rule
        if rule == CAMPAIGN_ID:
            branches.append(_BAD_CAMPAIGN_ID)
        elif rule == NAME:
            branches.append(_bad_name(name, example=given.example or "a name"))
        elif rule == MONEY:
            branches.append(_bad_money(name, name, _declared_maximum(given)))
        elif rule == COUNT:
            branches.append(_bad_count(name, name, _declared_maximum(given)))
        elif rule == TEXT:
            branches.append(_bad_text(name, name, required=False))
        elif rule == TIMESTAMP:
            branches.append(_bad_timestamp(name, latest="$1"))
        elif rule == DETAILS:
            branches.append(_bad_details(name))
        else:
            raise ValueError(f"no SQL check for the rule {rule!r} of {table.name}.{name}")
    return "".join(branches)


def _timestamp(column: str) -> str:
    # with the connection's TimeZone at UTC, a naive time is UTC and an offset converts
    # (computed once in _prepared)
    return f"{column}__ts"


def _bad_timestamp(column: str, *, latest: str) -> str:
    """``latest`` is the placeholder of the latest acceptable time (now + tolerance)."""
    return f"""
        when {_text(column)} is null then '''occurred_at'' is required in bulk loads'
        when {_timestamp(column)} is null
            then '''occurred_at'' must be an ISO-8601 time such as 2026-01-31T14:00:00Z, got '
                || {_text(column)}
        when {_timestamp(column)} > cast({latest} as timestamp)
            then '''occurred_at'' is in the future; events are recorded when they happen'"""


def _future_limit() -> Any:
    return utc_now() + FUTURE_TOLERANCE


def _chunks(conn: duckdb.DuckDBPyConnection) -> tuple[int, list[tuple[int, int]]]:
    [(total,)] = conn.execute(f"select count(*) from {STAGED}").fetchall()
    return total, [(lo, min(lo + CHUNK_ROWS, total)) for lo in range(0, total, CHUNK_ROWS)]


def _quarantine(conn: duckdb.DuckDBPyConnection, batch_id: str, kind: str, rows_sql: str) -> None:
    """Set aside the refused rows (columns row_number, reason, payload) of ``rows_sql``,
    keyed by their kind and content; _write_quarantine writes them."""
    conn.execute(
        f"""
        insert into {REFUSED}
        select row_number, reason, payload, md5(? || '|' || cast(payload as varchar))
        from ({rows_sql})
        """,
        [kind],
    )


def _write_quarantine(
    conn: duckdb.DuckDBPyConnection, batch_id: str, kind: str
) -> tuple[dict[str, int], int]:
    """Write the refused rows to raw.quarantine, except those already there (the same
    input loaded again): return (reason -> rows refused for it, rows already there)."""
    conn.execute(
        f"""
        insert into raw.quarantine (
            quarantine_id, batch_id, kind, row_number, reason, payload, row_key, quarantined_at
        )
        select replace(cast(gen_random_uuid() as varchar), '-', ''), ?, ?, row_number,
            reason, payload, row_key, ?
        from {REFUSED} as refused
        where not exists (
            select 1 from raw.quarantine as stored where stored.row_key = refused.row_key
        )
        order by row_number
        """,
        [batch_id, kind, utc_now()],
    )
    reasons = conn.execute(
        f"select reason, count(*) from {REFUSED} group by reason order by count(*) desc, reason"
    ).fetchall()
    [(written,)] = conn.execute(
        "select count(*) from raw.quarantine where batch_id = ?", [batch_id]
    ).fetchall()
    return dict(reasons), sum(count for _, count in reasons) - written


def _quarantine_refused_rows(
    conn: duckdb.DuckDBPyConnection, batch_id: str, kind: str, validated: str
) -> None:
    """Quarantine the rows of a validated table (costs, results) that carry a reason, each
    with the row as it was staged."""
    _quarantine(
        conn,
        batch_id,
        kind,
        f"""
        select {validated}.row_number, {validated}.reason, to_json({STAGED}) as payload
        from {validated}
        inner join {STAGED} on {validated}.row_number = {STAGED}.rowid + 1
        where {validated}.reason is not null
        """,
    )


def _stored_keys(table: RawTable) -> str:
    """The stored keys a new row of ``table`` must not repeat (its declared key)."""
    return f"select {table.key} from raw.{table.name}"


def _split_new(
    conn: duckdb.DuckDBPyConnection, table: str, key: str, stored_keys: str
) -> tuple[int, int]:
    """Put the valid rows of ``table`` that are new into the temp table bulk_new (the
    first row of each key, in input order, whose key is not stored yet); return (new,
    duplicates). One hash aggregate and one anti-join: no sort, no window."""
    conn.execute("drop table if exists bulk_new")
    conn.execute(
        f"""
        create temp table bulk_new as
        with firsts as (
            select {key}, min(row_number) as row_number
            from {table}
            where reason is null
            group by {key}
        )
        select candidates.*
        from {table} as candidates
        inner join firsts
            on candidates.{key} = firsts.{key} and candidates.row_number = firsts.row_number
        where not exists (
            select 1 from ({stored_keys}) as stored(stored_key)
            where stored.stored_key = candidates.{key}
        )
        """
    )
    [(valid, new)] = conn.execute(
        f"select (select count(*) from {table} where reason is null), "
        "(select count(*) from bulk_new)"
    ).fetchall()
    return new, valid - new


_DEPLOYED = "(select distinct campaign_id from raw.campaign_events where event_type = 'deployed')"
_UNKNOWN_CAMPAIGN = (
    "'campaign ' || {campaign} || ' is not deployed; deploy it first or fix the campaign_id'"
)


# ------------------------------------------------------------------------------- costs


def _load_costs(
    conn: duckdb.DuckDBPyConnection, batch_id: str, progress: Progress | None
) -> dict[str, int]:
    total, chunks = _chunks(conn)
    loaded = duplicates = 0
    for lo, hi in chunks:
        conn.execute("drop table if exists bulk_costs")
        conn.execute(_COSTS_VALIDATED_SQL, [_future_limit(), lo, hi])
        _quarantine_refused_rows(conn, batch_id, "costs", "bulk_costs")
        chunk_loaded, chunk_duplicates = _split_new(
            conn, "bulk_costs", "key", _stored_keys(COST_EVENTS)
        )
        conn.execute(
            """
            insert into raw.cost_events (
                cost_id, campaign_id, operation, provider, cost_usd, model, input_tokens,
                output_tokens, units, details, idempotency_key, occurred_at, ingested_at,
                item, cache_creation_input_tokens, cache_read_input_tokens,
                price_effective_from, batch_id
            )
            select
                replace(cast(gen_random_uuid() as varchar), '-', ''), campaign_id, operation,
                provider, cost_usd, model, input_tokens, output_tokens, units, details, key,
                occurred_at, ?, item, cache_creation_input_tokens, cache_read_input_tokens,
                price_effective_from, ?
            from bulk_new
            -- input order: seq breaks ties between events with the same occurred_at
            order by row_number
            """,
            [utc_now(), batch_id],
        )
        loaded += chunk_loaded
        duplicates += chunk_duplicates
        if progress is not None:
            progress(hi, total)
    conn.execute("drop table if exists bulk_costs")
    return {"rows_read": total, "loaded": loaded, "duplicates": duplicates}


def _costs_validated_sql() -> str:
    """Validate a chunk ($2 <= rowid < $3; $1 is the latest acceptable occurred_at)."""
    token_columns = ",\n            ".join(
        f"try_cast({_number(name)} as bigint) as {name}" for name in costs.TOKEN_FIELDS
    )
    has_usage = " or ".join(f"{_text(name)} is not null" for name in ("units", *costs.TOKEN_FIELDS))
    key_parts = ", ".join(
        [
            "checked.campaign_id",
            "checked.operation",
            "checked.provider",
            "cast(checked.cost_usd as varchar)",
            "checked.model",
            "checked.item",
            *(f"cast(checked.{name} as varchar)" for name in costs.TOKEN_FIELDS),
            "cast(checked.units as varchar)",
            "strftime(checked.occurred_at, '%Y-%m-%dT%H:%M:%S.%f')",
        ]
    )
    return f"""
    create temp table bulk_costs as
    with
    {_prepared(COST_EVENTS)},
    checked as (
        select
            row_number,
            case
                {_input_checks(COST_EVENTS)}
                when {_text("cost")} is null and not ({has_usage})
                    then 'the cost gives neither cost (dollars) nor usage (units or tokens) '
                        || 'to price it'
                when {_text("campaign_id")} not in {_DEPLOYED}
                    then {_UNKNOWN_CAMPAIGN.format(campaign=_text("campaign_id"))}
            end as reason,
            {_text("campaign_id")} as campaign_id,
            {_name("operation")} as operation,
            {_name("provider")} as provider,
            try_cast({_number("cost")} as decimal(18, 6)) as cost_usd,
            {_text("model")} as model,
            {_text("item")} as item,
            {token_columns},
            try_cast({_number("units")} as decimal(18, 6)) as units,
            try_cast({_text("details")} as json) as details,
            {_text("idempotency_key")} as idempotency_key,
            {_timestamp("occurred_at")} as occurred_at
        from input
    )
    -- valid rows that gave usage instead of dollars are priced by the single calls' SQL;
    -- one that cannot be priced is refused with pricing's reason
    select
        checked.* replace (
            coalesce(checked.reason, 'cannot price this cost: ' || priced.pricing_error)
                as reason,
            coalesce(checked.cost_usd, priced.cost_usd) as cost_usd,
            coalesce(priced.item, checked.item) as item
        ),
        priced.price_effective_from,
        -- without a caller's key, the row's content (as given: before pricing) is its
        -- identity: the same row loaded again (from any format) is a duplicate
        coalesce(checked.idempotency_key, 'bulk:' || md5(concat_ws('|', {key_parts}))) as key
    from checked
    left join ({pricing.pricing_sql(_TO_PRICE)}) as priced on priced.rid = checked.row_number
    """


# the valid rows of `checked` that give usage to price instead of dollars
_TO_PRICE = f"""(
    select row_number as rid, provider, coalesce(item, model) as price_item, occurred_at,
        units, {", ".join(costs.TOKEN_FIELDS)}
    from checked
    where reason is null and cost_usd is null
)"""


_COSTS_VALIDATED_SQL = _costs_validated_sql()


# ----------------------------------------------------------------------------- results


def _load_results(
    conn: duckdb.DuckDBPyConnection, batch_id: str, progress: Progress | None
) -> dict[str, int]:
    """Snapshots in one step: whether a snapshot is consistent depends on the campaign's
    other snapshots (omitted figures carry forward), so they are checked together."""
    [(total,)] = conn.execute(f"select count(*) from {STAGED}").fetchall()
    conn.execute("drop table if exists bulk_results")
    conn.execute(_RESULTS_VALIDATED_SQL, [_future_limit(), 0, total])
    _quarantine_inconsistent_snapshots(conn)
    _quarantine_refused_rows(conn, batch_id, "results", "bulk_results")
    loaded, duplicates = _split_new(conn, "bulk_results", "key", _stored_keys(RESULT_SNAPSHOTS))
    figures = ", ".join(results.FIGURE_COLUMN_NAMES)
    conn.execute(
        f"""
        insert into raw.result_snapshots (
            snapshot_id, campaign_id, stage, {figures}, source, idempotency_key, batch_id,
            occurred_at, ingested_at
        )
        select replace(cast(gen_random_uuid() as varchar), '-', ''), campaign_id, stage,
            {figures}, 'bulk', key, ?, occurred_at, ?
        from bulk_new
        order by row_number
        """,
        [batch_id, utc_now()],
    )
    conn.execute("drop table if exists bulk_results")
    if progress is not None:
        progress(total, total)
    return {"rows_read": total, "loaded": loaded, "duplicates": duplicates}


def _results_validated_sql() -> str:
    count_columns = ",\n            ".join(
        f"try_cast({_number(name)} as bigint) as {name}" for name in results.COUNT_FIELDS
    )
    any_figure = " or ".join(f"{_text(name)} is not null" for name in results.FIGURE_FIELDS)
    parts = "".join(
        f"""
                when {_number(part)} > {_number(whole)}
                    then '{part} cannot exceed {whole}'"""
        for part, whole in results.PARTS_OF
    )
    key_parts = ", ".join(
        [
            "campaign_id",
            "stage",
            *(f"cast({name} as varchar)" for name in results.FIGURE_COLUMN_NAMES),
            "strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%f')",
        ]
    )
    return f"""
    create temp table bulk_results as
    with
    {_prepared(RESULT_SNAPSHOTS)},
    checked as (
        select
            row_number,
            case
                {_input_checks(RESULT_SNAPSHOTS)}
                when not ({any_figure})
                    then 'the results carry no figures; give at least one'
                {parts}
                when {_text("campaign_id")} not in {_DEPLOYED}
                    then {_UNKNOWN_CAMPAIGN.format(campaign=_text("campaign_id"))}
            end as reason,
            {_text("campaign_id")} as campaign_id,
            {_name("stage")} as stage,
            {count_columns},
            try_cast({_number("revenue")} as decimal(18, 6)) as revenue_usd,
            {_text("idempotency_key")} as idempotency_key,
            {_timestamp("occurred_at")} as occurred_at
        from input
    )
    select
        *,
        coalesce(idempotency_key, 'bulk:' || md5(concat_ws('|', {key_parts}))) as key
    from checked
    """


_RESULTS_VALIDATED_SQL = _results_validated_sql()


def _quarantine_inconsistent_snapshots(conn: duckdb.DuckDBPyConnection) -> None:
    """Mark loadable snapshots whose merged figures (carried forward in occurred_at order,
    with what is stored) break a part-of-whole rule, until none does.

    A violation on a new snapshot quarantines it; one on a stored snapshot (a late new
    snapshot changed what it carries) quarantines the campaign's new snapshots up to it.
    """
    figures = ", ".join(results.FIGURE_COLUMN_NAMES)
    broken = " or ".join(f"{part} > {whole}" for part, whole in results.PARTS_OF)
    for _ in range(20):
        violations = conn.execute(
            f"""
            with
            new as (
                select row_number, campaign_id, occurred_at, {figures}
                from bulk_results where reason is null
            ),
            snapshots as (
                select null as row_number, campaign_id, occurred_at, seq, {figures}
                from raw.result_snapshots
                where campaign_id in (select campaign_id from new)
                union all
                -- written after everything stored, in input order
                select row_number, campaign_id, occurred_at,
                    9000000000000000000 + row_number, {figures}
                from new
            ),
            merged as (
                select row_number, campaign_id, occurred_at, {results.CARRIED_FIGURES_SQL}
                from snapshots
                window ordered as (
                    partition by campaign_id order by occurred_at, seq
                    rows between unbounded preceding and current row
                )
            )
            select row_number, campaign_id, occurred_at from merged where {broken}
            """
        ).fetchall()
        if not violations:
            return
        for row_number, campaign_id, occurred_at in violations:
            if row_number is not None:
                conn.execute(
                    "update bulk_results set reason = ? where row_number = ?",
                    [_INCONSISTENT, row_number],
                )
            else:
                conn.execute(
                    "update bulk_results set reason = ? where reason is null "
                    "and campaign_id = ? and occurred_at <= ?",
                    [_INCONSISTENT_LATE, campaign_id, occurred_at],
                )
    raise RuntimeError("snapshot consistency did not settle after 20 passes")


_INCONSISTENT = (
    "with the figures it carries forward from earlier snapshots, a part exceeds its whole "
    "(e.g. more qualified than found); send all figures as of the snapshot's time"
)
_INCONSISTENT_LATE = (
    "slotted in by its occurred_at, it makes a later stored snapshot inconsistent (a part "
    "exceeds its whole); send all figures as of the snapshot's time"
)


# ---------------------------------------------------------------------------- SendGrid


def _load_sendgrid(
    conn: duckdb.DuckDBPyConnection,
    batch_id: str,
    campaign_arg: str,
    progress: Progress | None,
) -> dict[str, int]:
    """SendGrid Event Webhook events, deduplicated by sg_event_id, attributed to a campaign
    by the custom arg ``campaign_arg``; each kept with its payload as sent."""
    if not campaign_arg or not campaign_arg.replace("_", "").isalnum():
        raise ValidationError(
            f"campaign_arg must be the name of a custom arg (letters, digits, _), got "
            f"{campaign_arg!r}."
        )
    campaign_path = f'$."{campaign_arg}"'
    total, chunks = _chunks(conn)
    loaded = duplicates = 0
    events = ", ".join(f"'{name}'" for name in SENDGRID_EVENT_TYPES)
    for lo, hi in chunks:
        conn.execute("drop table if exists bulk_sendgrid")
        conn.execute(
            f"""
            create temp table bulk_sendgrid as
            with
            input as (
                select rowid + 1 as row_number, payload,
                    json_type(payload) = 'OBJECT' as is_object,
                    nullif(trim(json_extract_string(payload, '$.sg_event_id')), '')
                        as sg_event_id,
                    nullif(trim(json_extract_string(payload, '$.sg_message_id')), '')
                        as sg_message_id,
                    json_extract_string(payload, '$.event') as event,
                    nullif(trim(json_extract_string(payload, $3)), '') as campaign_id,
                    json_extract(payload, '$.timestamp') as raw_timestamp,
                    try_cast(json_extract_string(payload, '$.timestamp') as double)
                        as epoch_seconds
                from {STAGED}
                where rowid >= cast($1 as bigint) and rowid < cast($2 as bigint)
            ),
            checked as (
                select
                    *,
                    case
                        when not is_object then 'a SendGrid event must be a JSON object'
                        when sg_event_id is null
                            then 'the event has no sg_event_id (SendGrid sets it on every '
                                || 'event)'
                        when length(sg_event_id) > {MAX_TEXT} then 'sg_event_id is too long'
                        when event is null or event not in ({events})
                            then 'unknown SendGrid event ' || coalesce('''' || event || '''',
                                '(none)') || '; accepted: {", ".join(SENDGRID_EVENT_TYPES)}'
                        when sg_message_id is null
                            then 'the event has no sg_message_id'
                        when epoch_seconds is null or isnan(epoch_seconds)
                            or isinf(epoch_seconds) or epoch_seconds < 0
                            then 'the event''s timestamp must be Unix seconds, got '
                                || coalesce(cast(raw_timestamp as varchar), '(none)')
                        when to_timestamp(epoch_seconds) at time zone 'UTC'
                            > cast($4 as timestamp)
                            then 'the event''s timestamp is in the future'
                        when campaign_id is null
                            then 'the event has no ' || $5 || ' custom arg: send outreach '
                                || 'with custom_args {{"' || $5 || '": <DDS campaign id>}}'
                        when campaign_id not in {_DEPLOYED}
                            then {_UNKNOWN_CAMPAIGN.format(campaign="campaign_id")}
                    end as reason
                from input
            )
            select
                row_number, reason, payload, sg_event_id, sg_message_id, event, campaign_id,
                nullif(trim(json_extract_string(payload, '$.email')), '') as email,
                case when event = 'open'
                    then coalesce(try_cast(json_extract(payload, '$.sg_machine_open')
                        as boolean), false)
                end as machine_open,
                case when event = 'bounce' then json_extract_string(payload, '$.type') end
                    as bounce_type,
                case when event = 'click' then json_extract_string(payload, '$.url') end
                    as url,
                case when reason is null
                    then cast(to_timestamp(epoch_seconds) at time zone 'UTC' as timestamp)
                end as occurred_at
            from checked
            """,
            [lo, hi, campaign_path, _future_limit(), campaign_arg],
        )
        _quarantine(
            conn,
            batch_id,
            "sendgrid_events",
            "select row_number, reason, payload from bulk_sendgrid where reason is not null",
        )
        chunk_loaded, chunk_duplicates = _split_new(
            conn, "bulk_sendgrid", "sg_event_id", _stored_keys(SENDGRID_EVENTS)
        )
        conn.execute(
            """
            insert into raw.sendgrid_events (
                sg_event_id, campaign_id, sg_message_id, event, email, machine_open,
                bounce_type, url, payload, batch_id, occurred_at, ingested_at
            )
            select sg_event_id, campaign_id, sg_message_id, event, email, machine_open,
                bounce_type, url, payload, ?, occurred_at, ?
            from bulk_new
            -- input order: seq breaks ties between events with the same occurred_at
            order by row_number
            """,
            [batch_id, utc_now()],
        )
        loaded += chunk_loaded
        duplicates += chunk_duplicates
        if progress is not None:
            progress(hi, total)
    conn.execute("drop table if exists bulk_sendgrid")
    return {"rows_read": total, "loaded": loaded, "duplicates": duplicates}
