"""The SQL that validates staged bulk rows, built from the raw tables' declarations.

Each kind's rows become a validated temporary table (``bulk_costs``, ``bulk_results``,
``bulk_sendgrid``) with a ``reason`` column: null for a good row, else the first rule it
breaks, in the order ``ingest/warehouse/tables.py`` declares the inputs. The rules are those
the single calls apply in Python (``ingest/validation.py``); ``tests/warehouse/test_tables.py``
feeds every declared input's good and bad values through both and expects the same
verdict. Usage is priced by the single calls' own SQL (``ingest/pricing.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import duckdb

from ingest import costs, pricing, results
from ingest.bulk.reading import STAGED
from ingest.validation import (
    FUTURE_TOLERANCE,
    MAX_DETAILS_BYTES,
    MAX_TEXT,
    past_bound,
    utc_now,
)
from ingest.warehouse.dialect import DUCKDB
from ingest.warehouse.tables import (
    CAMPAIGN_ID,
    COST_EVENTS,
    COUNT,
    DETAILS,
    MONEY,
    NAME,
    RESULT_SNAPSHOTS,
    SENDGRID_EVENT_TYPES,
    TEXT,
    TIMESTAMP,
    Input,
    RawTable,
)

# The checks below refer to each input column through columns that _prepared() computes
# once per row rather than in every CASE branch (bench/README.md, "Measured history"): c__t,
# its trimmed text or null; c__n, that text as a number or null. A column the input already
# gives as an integer or a timestamp (typed Parquet, a DataFrame) is not turned into text
# and parsed back: c__v is its value, c__n its exact DECIMAL, and its text is spelled only
# where a message shows it (bench/README.md, "#26, bulk first load"). Each gives the
# verdict and the value its text would (tests/ingest/test_real_inputs.py).

# staged types read as values: integers (every one fits DECIMAL(38, 6) exactly) and
# timestamps with or without a time zone (the connection's TimeZone is UTC)
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_TIMESTAMP_TYPES = frozenset({"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"})


@dataclass(frozen=True)
class Typed:
    """The staged columns read as values rather than as text: numbers the input gives as
    integers, timestamps it gives as timestamps."""

    integers: frozenset[str] = frozenset()
    timestamps: frozenset[str] = frozenset()

    def __contains__(self, column: object) -> bool:
        return column in self.integers or column in self.timestamps


def typed_columns(conn: duckdb.DuckDBPyConnection, table: RawTable) -> Typed:
    """Which of ``table``'s number and timestamp columns the staged input gives typed."""
    types = dict(
        conn.execute(f"select column_name, column_type from (describe {STAGED})").fetchall()
    )
    numbers, timestamps = table.inputs_by_rule(MONEY, COUNT), table.inputs_by_rule(TIMESTAMP)
    return Typed(
        integers=frozenset(c for c in numbers if types.get(c) in _INTEGER_TYPES),
        timestamps=frozenset(c for c in timestamps if types.get(c) in _TIMESTAMP_TYPES),
    )


def _prepared(table: RawTable, typed: Typed) -> str:
    """The staged rows of one chunk ($2 <= rowid < $3) with c__t for every column a file
    gives as text (c__v for one given typed), c__n for those checked as numbers, and
    c__name (normalize_name) for the name columns: computed over their few distinct values
    and joined back, not per row."""
    columns, numbers = table.file_keys(), table.inputs_by_rule(MONEY, COUNT)
    names = table.inputs_by_rule(NAME)
    texts = ", ".join(
        f"{c} as {c}__v" if c in typed else f"nullif(trim(cast({c} as varchar)), '') as {c}__t"
        for c in columns
    )
    parsed = ", ".join(
        f"cast({c}__v as decimal(38, 6)) as {c}__n"
        if c in typed
        else f"try_cast({c}__t as decimal(38, 6)) as {c}__n"
        for c in numbers
    )
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
            {_parsed_timestamp("occurred_at", typed)} as occurred_at__ts
        from texts{joins}
    )"""


def _parsed_timestamp(column: str, typed: Typed) -> str:
    """The column as a UTC timestamp, or null when its text is no time. A typed value in
    years 1 to 9999 is its own parse (its text, 'YYYY-MM-DD HH:MM:SS[.ffffff][+00]', reads
    back as the same instant); any other (infinity, BC, past 9999) goes through its text."""
    if column not in typed.timestamps:
        return f"cast(try_cast({_text(column)} as timestamptz) as timestamp)"
    value = f"cast({column}__v as timestamp)"
    return f"""case
                when {value} between timestamp '0001-01-01'
                    and timestamp '9999-12-31 23:59:59.999999' then {value}
                else cast(try_cast(cast({column}__v as varchar) as timestamptz) as timestamp)
            end"""


def _present(column: str, typed: Typed) -> str:
    """Whether the row gives the column: a non-blank text, or a typed value."""
    return f"{column}__v is not null" if column in typed else f"{_text(column)} is not null"


def _shown(column: str, typed: Typed) -> str:
    """The column's text as a message shows it (a typed value's text has no blanks)."""
    return f"cast({column}__v as varchar)" if column in typed else _text(column)


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


def _bad_count(column: str, field_name: str, maximum: int | Decimal, typed: Typed) -> str:
    number = _number(column)
    # a typed integer is whole: only text can break the first rule
    whole = (
        ""
        if column in typed
        else f"""
        when {_text(column)} is not null and ({number} is null or {number} <> floor({number}))
            then '''{field_name}'' must be a whole number (e.g. 50), got '
                || {_text(column)}"""
    )
    return f"""{whole}
        when {number} < 0 then '''{field_name}'' must not be negative'
        when {number} > {maximum}
            then {_too_large(field_name, past_bound(maximum, dollars=False), typed)}"""


def _bad_money(column: str, field_name: str, maximum: int | Decimal, typed: Typed) -> str:
    number = _number(column)
    # a typed integer is a number of dollars: only text can break the first rule
    not_a_number = (
        ""
        if column in typed
        else f"""
        when {_text(column)} is not null and ({number} is null or isnan(try_cast({_text(column)}
                as double)) or isinf(try_cast({_text(column)} as double)))
            then '''{field_name}'' must be a number of US dollars (e.g. 2.50), got '
                || {_text(column)}"""
    )
    return f"""{not_a_number}
        when {number} < 0 then '''{field_name}'' must not be negative'
        when {number} > {maximum}
            then {_too_large(field_name, past_bound(maximum, dollars=True), typed)}"""


def _bad_details(column: str) -> str:
    return f"""
        when {_text(column)} is not null
            and coalesce(json_type(try_cast({_text(column)} as json)), '') <> 'OBJECT'
            then '''{column}'' must be a JSON object'
        when length({_text(column)}) > {MAX_DETAILS_BYTES}
            then '''{column}'' is larger than {MAX_DETAILS_BYTES} bytes of JSON'"""


def _too_large(field_name: str, tail: str, typed: Typed) -> str:
    """validation.too_large's message as an SQL expression showing the row's own value."""
    quoted_tail = tail.replace("'", "''")
    return f"'''{field_name}'' is ' || {_shown(field_name, typed)} || ', {quoted_tail}'"


def _declared_maximum(given: Input) -> int | Decimal:
    assert given.maximum is not None, f"input {given.name} declares no maximum"
    return given.maximum


def _input_checks(table: RawTable, typed: Typed) -> str:
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
            branches.append(_bad_money(name, name, _declared_maximum(given), typed))
        elif rule == COUNT:
            branches.append(_bad_count(name, name, _declared_maximum(given), typed))
        elif rule == TEXT:
            branches.append(_bad_text(name, name, required=False))
        elif rule == TIMESTAMP:
            branches.append(_bad_timestamp(name, typed, latest="$1"))
        elif rule == DETAILS:
            branches.append(_bad_details(name))
        else:
            raise ValueError(f"no SQL check for the rule {rule!r} of {table.name}.{name}")
    return "".join(branches)


def _timestamp(column: str) -> str:
    # with the connection's TimeZone at UTC, a naive time is UTC and an offset converts
    # (computed once in _prepared)
    return f"{column}__ts"


def _bad_timestamp(column: str, typed: Typed, *, latest: str) -> str:
    """``latest`` is the placeholder of the latest acceptable time (now + tolerance)."""
    return f"""
        when not ({_present(column, typed)}) then '''occurred_at'' is required in bulk loads'
        when {_timestamp(column)} is null
            then '''occurred_at'' must be an ISO-8601 time such as 2026-01-31T14:00:00Z, got '
                || {_shown(column, typed)}
        when {_timestamp(column)} > cast({latest} as timestamp)
            then '''occurred_at'' is in the future; events are recorded when they happen'
        when {_timestamp(column)} < timestamp '0001-01-01'
            then '''occurred_at'' must lie in the years 1 to 9999 (as a single call''s), got '
                || {_shown(column, typed)}"""


def future_limit() -> Any:
    """The latest acceptable occurred_at: now, plus the single calls' tolerance."""
    return utc_now() + FUTURE_TOLERANCE


_DEPLOYED = "(select distinct campaign_id from raw.campaign_events where event_type = 'deployed')"
_UNKNOWN_CAMPAIGN = (
    "'campaign ' || {campaign} || ' is not deployed; deploy it first or fix the campaign_id'"
)


# ------------------------------------------------------------------------------- costs


@cache
def costs_validated_sql(typed: Typed) -> str:
    """Validate a chunk ($2 <= rowid < $3; $1 is the latest acceptable occurred_at)."""
    token_columns = ",\n            ".join(
        f"try_cast({_number(name)} as bigint) as {name}" for name in costs.TOKEN_FIELDS
    )
    has_usage = " or ".join(_present(name, typed) for name in ("units", *costs.TOKEN_FIELDS))
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
            # last, and concat_ws skips nulls: a row without a variant keeps its old key
            "checked.variant",
        ]
    )
    return f"""
    create temp table bulk_costs as
    with
    {_prepared(COST_EVENTS, typed)},
    checked as (
        select
            row_number,
            case
                {_input_checks(COST_EVENTS, typed)}
                when not ({_present("cost", typed)}) and not ({has_usage})
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
            {_timestamp("occurred_at")} as occurred_at,
            {_text("variant")} as variant
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


# ----------------------------------------------------------------------------- results


@cache
def results_validated_sql(typed: Typed) -> str:
    """Validate the staged snapshots ($2 <= rowid < $3; $1 the latest acceptable time)."""
    count_columns = ",\n            ".join(
        f"try_cast({_number(name)} as bigint) as {name}" for name in results.COUNT_FIELDS
    )
    any_figure = " or ".join(_present(name, typed) for name in results.FIGURE_FIELDS)
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
            # last, and concat_ws skips nulls: a row without a variant keeps its old key
            "variant",
        ]
    )
    return f"""
    create temp table bulk_results as
    with
    {_prepared(RESULT_SNAPSHOTS, typed)},
    checked as (
        select
            row_number,
            case
                {_input_checks(RESULT_SNAPSHOTS, typed)}
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
            {_timestamp("occurred_at")} as occurred_at,
            {_text("variant")} as variant
        from input
    )
    select
        *,
        coalesce(idempotency_key, 'bulk:' || md5(concat_ws('|', {key_parts}))) as key
    from checked
    """


def refuse_inconsistent_snapshots(conn: duckdb.DuckDBPyConnection) -> None:
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
                select row_number, campaign_id, variant, occurred_at, {figures}
                from bulk_results where reason is null
            ),
            snapshots as (
                select null as row_number, campaign_id, variant, occurred_at, seq, {figures}
                from raw.result_snapshots
                where campaign_id in (select campaign_id from new)
                union all
                -- written after everything stored, in input order
                select row_number, campaign_id, variant, occurred_at,
                    9000000000000000000 + row_number, {figures}
                from new
            ),
            merged as (
                select row_number, campaign_id, variant, occurred_at,
                    {results.CARRIED_FIGURES_SQL[DUCKDB]}
                from snapshots
                -- a variant's snapshots carry forward among themselves
                window ordered as (
                    partition by campaign_id, variant order by occurred_at, seq
                    rows between unbounded preceding and current row
                )
            )
            select row_number, campaign_id, variant, occurred_at from merged where {broken}
            """
        ).fetchall()
        if not violations:
            return
        for row_number, campaign_id, variant, occurred_at in violations:
            if row_number is not None:
                conn.execute(
                    "update bulk_results set reason = ? where row_number = ?",
                    [_INCONSISTENT, row_number],
                )
            else:
                conn.execute(
                    "update bulk_results set reason = ? where reason is null "
                    "and campaign_id = ? and variant is not distinct from ? "
                    "and occurred_at <= ?",
                    [_INCONSISTENT_LATE, campaign_id, variant, occurred_at],
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

_EVENTS = ", ".join(f"'{name}'" for name in SENDGRID_EVENT_TYPES)

# Validate a chunk of staged webhook events ($1 <= rowid < $2; $3 the JSON path of the
# campaign's custom arg, $4 the latest acceptable time, $5 the custom arg's name): each
# event's fields extracted from its payload, with the reason it is refused or null.
SENDGRID_VALIDATED_SQL = f"""
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
                when event is null or event not in ({_EVENTS})
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
        end as occurred_at,
        -- the A/B test variant: the custom arg `variant`, else a category 'variant:<label>'
        -- (SendGrid sends category as a string or a list of strings)
        nullif(trim(coalesce(
            json_extract_string(payload, '$.variant'),
            substr(list_filter(
                case json_type(payload, '$.category')
                    when 'ARRAY' then json_extract_string(payload, '$.category[*]')
                    when 'VARCHAR' then [json_extract_string(payload, '$.category')]
                end,
                lambda category: starts_with(category, 'variant:')
            )[1], 9)
        )), '') as variant
    from checked
"""
