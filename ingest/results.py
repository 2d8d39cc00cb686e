"""Result snapshots: cumulative totals for a campaign so far. The latest one wins; never summed."""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import duckdb

from ingest.campaigns import require_campaign
from ingest.known import Known
from ingest.loads import new_load_id
from ingest.validation import (
    check_keys,
    normalize_name,
    parse_count,
    parse_money,
    parse_text,
    parse_timestamp,
    require_mapping,
    utc_now,
)
from ingest.warehouse.dialect import DUCKDB, POSTGRES, dialect_of
from ingest.warehouse.errors import ValidationError
from ingest.warehouse.schema import SNAPSHOT_FIGURE_COLUMNS
from ingest.warehouse.tables import PARTS_OF, RESULT_SNAPSHOTS

# raw.result_snapshots' column for each figure; the counts are named as their columns
FIGURE_COLUMN_NAMES = SNAPSHOT_FIGURE_COLUMNS
COUNT_FIELDS = tuple(column for column in FIGURE_COLUMN_NAMES if column != "revenue_usd")
FIGURE_FIELDS = (*COUNT_FIELDS, "revenue")
RESULT_FIELDS = RESULT_SNAPSHOTS.call_keys()  # declared in ingest/warehouse/tables.py
_FIGURE_COLUMNS = ", ".join(FIGURE_COLUMN_NAMES)
_SNAPSHOT_COLUMNS = (
    "snapshot_id", "campaign_id", "stage", *FIGURE_COLUMN_NAMES, "source", "occurred_at",
    "ingested_at", "batch_id", "variant",
)  # fmt: skip
_INSERT_SNAPSHOT = RESULT_SNAPSHOTS.insert_into(*_SNAPSHOT_COLUMNS)
# Each figure as of a snapshot, the previous reports carried forward over the SQL window
# `ordered` (a campaign's snapshots by occurred_at, then seq; 0 before the first report).
# dbt's int_result_snapshots_carried_forward applies the same rule for the marts.
# PostgreSQL has no IGNORE NULLS: the window's non-null values as an array, indexed by how
# many there are (dbt's dds_last_value_ignore_nulls macro spells it the same way).
_LAST_NON_NULL = {
    DUCKDB: "last_value({column} ignore nulls) over ordered",
    POSTGRES: "(array_agg({column}) filter (where {column} is not null) over ordered)"
    "[count({column}) over ordered]",
}
CARRIED_FIGURES_SQL = {
    dialect: ",\n".join(
        f"coalesce({last.format(column=column)}, 0) as {column}" for column in FIGURE_COLUMN_NAMES
    )
    for dialect, last in _LAST_NON_NULL.items()
}
#: raw.result_snapshots.source of snapshots reported through log_dds_results
API_SOURCE = "api"


@dataclass(frozen=True)
class ResultInput:
    stage: str
    figures: dict[str, int | Decimal]  # only the figures the caller gave
    occurred_at: datetime
    # an A/B test variant's own cumulative totals; None: the campaign's totals
    variant: str | None = None


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    stage: str
    figures: dict[str, int | Decimal]  # all of them, after carrying omitted ones forward
    occurred_at: datetime


def parse_results(results: object) -> ResultInput:
    results = require_mapping(
        results, "results", "{'stage': 'outreach', 'leads_found': 50, 'emails_sent': 60}"
    )
    check_keys(results, RESULT_FIELDS, "result")
    if "stage" not in results:
        raise ValidationError(
            "The results are missing 'stage' (e.g. 'prospecting', 'scoring', 'outreach', 'closed')."
        )
    figures: dict[str, int | Decimal] = {
        name: parse_count(results[name], name, RESULT_SNAPSHOTS.maximum(name))
        for name in COUNT_FIELDS
        if name in results
    }
    if "revenue" in results:
        figures["revenue"] = parse_money(
            results["revenue"], "revenue", RESULT_SNAPSHOTS.maximum("revenue")
        )
    if not figures:
        raise ValidationError(
            f"The results carry no figures. Give at least one of: {', '.join(FIGURE_FIELDS)} "
            "(cumulative totals for the campaign so far)."
        )
    occurred_at = results.get("occurred_at")
    return ResultInput(
        stage=normalize_name(results["stage"], "stage"),
        figures=figures,
        occurred_at=utc_now()
        if occurred_at is None
        else parse_timestamp(occurred_at, "occurred_at"),
        variant=parse_text(results.get("variant"), "variant", required=False),
    )


@dataclass(frozen=True)
class History:
    """A campaign's stored snapshots (or one variant's), as given (None where a figure was
    omitted), in the order the carry-forward reads them: by occurred_at, then seq; and each
    figure's latest reported value after them all."""

    rows: tuple[tuple[str, datetime, tuple[int | Decimal | None, ...]], ...]
    latest: tuple[int | Decimal | None, ...] = (None,) * len(FIGURE_FIELDS)

    @classmethod
    def of(cls, rows: list[tuple[str, datetime, tuple[int | Decimal | None, ...]]]) -> History:
        latest: tuple[int | Decimal | None, ...] = (None,) * len(FIGURE_FIELDS)
        for _, _, given in rows:
            latest = _carry(latest, given)
        return cls(tuple(rows), latest)

    def with_row(
        self, snapshot_id: str, occurred_at: datetime, given: list[int | Decimal | None]
    ) -> History:
        """The history with a snapshot written now (so with the highest seq) added."""
        row = (snapshot_id, occurred_at, tuple(given))
        if not self.rows or occurred_at >= self.rows[-1][1]:  # the usual: the newest
            return History((*self.rows, row), _carry(self.latest, row[2]))
        at = bisect.bisect_right([stored[1] for stored in self.rows], occurred_at)
        return History.of([*self.rows[:at], row, *self.rows[at:]])

    def carried(self, since: datetime) -> dict[str, dict[str, int | Decimal]]:
        """snapshot_id -> its figures with omitted ones carried forward (0 before the first
        report), for the snapshots at or after ``since``: the rule of dbt's
        int_result_snapshots_carried_forward (and of CARRIED_FIGURES_SQL)."""
        if len(self.rows) < 2 or self.rows[-2][1] < since:  # the usual: only the newest
            rows = self.rows[-1:]
            return {row[0]: _with_zeros(self.latest) for row in rows if row[1] >= since}
        last: tuple[int | Decimal | None, ...] = (None,) * len(FIGURE_FIELDS)
        merged = {}
        for snapshot_id, occurred_at, given in self.rows:
            last = _carry(last, given)
            if occurred_at >= since:
                merged[snapshot_id] = _with_zeros(last)
        return merged


def _carry(
    last: tuple[int | Decimal | None, ...], given: tuple[int | Decimal | None, ...]
) -> tuple[int | Decimal | None, ...]:
    return tuple(old if new is None else new for old, new in zip(last, given, strict=True))


def _with_zeros(figures: tuple[int | Decimal | None, ...]) -> dict[str, int | Decimal]:
    return {
        name: _ZERO[name] if value is None else value
        for name, value in zip(FIGURE_FIELDS, figures, strict=True)
    }


# a figure never reported: 0, typed as the column (revenue is money)
_ZERO: dict[str, int | Decimal] = {name: 0 for name in COUNT_FIELDS} | {
    "revenue": Decimal("0.000000")
}
_HISTORY_SQL = f"""
    select snapshot_id, occurred_at, {_FIGURE_COLUMNS}
    from raw.result_snapshots
    where campaign_id = ? and variant is not distinct from ?
    order by occurred_at, seq
"""
# The snapshot, inserted only if the campaign (or variant) still has as many snapshots as
# the writer checked it against; the count is the last parameter.
_RECORD_SNAPSHOT = {
    dialect: f"""
        {_INSERT_SNAPSHOT}
        select {RESULT_SNAPSHOTS.select_parameters(*_SNAPSHOT_COLUMNS, dialect=dialect)}
        where (
            select count(*) from raw.result_snapshots
            where campaign_id = $2 and variant is not distinct from ${len(_SNAPSHOT_COLUMNS)}
        ) = ${len(_SNAPSHOT_COLUMNS) + 1}
        """
    for dialect in (DUCKDB, POSTGRES)
}


def load_history(conn: duckdb.DuckDBPyConnection, campaign_id: str, variant: str | None) -> History:
    rows = conn.execute(_HISTORY_SQL, [campaign_id, variant]).fetchall()
    return History.of([(row[0], row[1], tuple(row[2:])) for row in rows])


def record_results(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    result: ResultInput,
    *,
    source: str = API_SOURCE,
    load_id: str | None = None,
    known: Known | None = None,
) -> Snapshot:
    """Append a cumulative snapshot holding only the figures given (the rest NULL).

    Omitted figures carry forward from the snapshots before it in ``occurred_at`` order, so
    a late snapshot slots into its place. Before writing, the campaign's merged snapshots
    from this one on, with this one slotted in, are checked: an inconsistency (e.g. more
    qualified than found) raises and nothing is written.

    ``known`` (what this process's writes learned, ingest/known.py) may hold the campaign's
    snapshots: then the insert is the only statement, and it inserts only if no snapshot
    was stored since (else they are read again and the snapshot checked again).
    """
    snapshot_id = uuid.uuid4().hex
    given = [result.figures.get(name) for name in FIGURE_FIELDS]
    remembered = None if known is None else known.history(campaign_id, result.variant)
    if remembered is not None:
        snapshot = _record_snapshot(
            conn,
            campaign_id,
            result,
            snapshot_id,
            given,
            remembered,
            source=source,
            load_id=load_id,
            known=known,
        )
        if snapshot is not None:
            return snapshot
        # another writer stored a snapshot of the campaign since: read them all again
        assert known is not None
        known.forget_history(campaign_id, result.variant)
    if known is None or not known.is_deployed(campaign_id):
        require_campaign(conn, campaign_id)
        if known is not None:
            known.deployed(campaign_id)
    history = load_history(conn, campaign_id, result.variant)
    snapshot = _record_snapshot(
        conn,
        campaign_id,
        result,
        snapshot_id,
        given,
        history,
        source=source,
        load_id=load_id,
        known=known,
    )
    # read and inserted in one use of the warehouse, which no other writer shares
    assert snapshot is not None, f"a snapshot of {campaign_id} was stored during this write"
    return snapshot


def _record_snapshot(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    result: ResultInput,
    snapshot_id: str,
    given: list[int | Decimal | None],
    history: History,
    *,
    source: str,
    load_id: str | None,
    known: Known | None,
) -> Snapshot | None:
    """Check the snapshot against ``history`` and insert it if the campaign still has that
    many snapshots; None (nothing written) if it has not, whatever the check said: a
    refusal must not come from snapshots remembered wrong."""
    written = history.with_row(snapshot_id, result.occurred_at, given)
    merged = written.carried(result.occurred_at)
    try:
        for row_id, figures in merged.items():
            _check_consistent(figures, late=row_id != snapshot_id)
    except ValidationError:
        if _count(conn, campaign_id, result.variant) != len(history.rows):
            return None
        raise
    [(inserted,)] = conn.execute(
        _RECORD_SNAPSHOT[dialect_of(conn)],
        [
            snapshot_id,
            campaign_id,
            result.stage,
            *given,
            source,
            result.occurred_at,
            utc_now(),
            load_id or new_load_id(),
            result.variant,
            len(history.rows),
        ],
    ).fetchall()
    if not inserted:
        return None
    if known is not None:
        known.remember_history(campaign_id, result.variant, written)
    return Snapshot(snapshot_id, result.stage, merged[snapshot_id], result.occurred_at)


def _count(conn: duckdb.DuckDBPyConnection, campaign_id: str, variant: str | None) -> int:
    [(count,)] = conn.execute(
        "select count(*) from raw.result_snapshots "
        "where campaign_id = ? and variant is not distinct from ?",
        [campaign_id, variant],
    ).fetchall()
    return int(count)


def merged_snapshots(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    *,
    since: datetime,
    candidate: tuple[str, list[int | Decimal | None]],
    variant: str | None = None,
) -> dict[str, dict[str, int | Decimal]]:
    """snapshot_id -> figures with omitted ones carried forward (0 before the first report)
    for the campaign's snapshots at or after ``since``, with ``candidate`` (an id and its
    figures, in FIGURE_FIELDS order, at ``since``) slotted in as if written now. dbt's
    int_result_snapshots_carried_forward applies the same rule for the marts. A variant's
    snapshots carry forward among themselves (``variant``; None: the campaign's own)."""
    candidate_id, candidate_figures = candidate
    history = load_history(conn, campaign_id, variant)
    return history.with_row(candidate_id, since, candidate_figures).carried(since)


def record_results_if_changed(
    conn: duckdb.DuckDBPyConnection,
    campaign_id: str,
    result: ResultInput,
    *,
    source: str,
    load_id: str | None = None,
) -> Snapshot | None:
    """For a source that re-reports the same totals (a periodic import): append a snapshot
    only when a figure it gives differs from that source's latest snapshot, so that
    importing again writes nothing. Returns None when nothing changed."""
    if not reports_change(conn, campaign_id, result, source=source):
        return None
    return record_results(conn, campaign_id, result, source=source, load_id=load_id)


def reports_change(
    conn: duckdb.DuckDBPyConnection, campaign_id: str, result: ResultInput, *, source: str
) -> bool:
    """True when a figure of ``result`` differs from ``source``'s latest snapshot (or it has
    none): what record_results_if_changed would write. Reads only."""
    previous = latest_figures(conn, campaign_id, source=source)
    return previous is None or any(
        previous[name] != value for name, value in result.figures.items()
    )


def latest_figures(
    conn: duckdb.DuckDBPyConnection, campaign_id: str, *, source: str
) -> dict[str, int | Decimal | None] | None:
    """The latest value of each figure that ``source`` reported for the campaign (None for a
    figure it never reported); None if it has no snapshot."""
    # the reported values in order, the last of them (one spelling for both engines)
    latest = ", ".join(
        f"(array_agg({column} order by occurred_at, seq) filter (where {column} is not null))"
        f"[count({column})]"
        for column in FIGURE_COLUMN_NAMES
    )
    row = conn.execute(
        f"""
        select count(*), {latest}
        from raw.result_snapshots
        where campaign_id = ? and source = ? and variant is null
        """,
        [campaign_id, source],
    ).fetchone()
    if not row or row[0] == 0:
        return None
    return dict(zip(FIGURE_FIELDS, row[1:], strict=True))


def _check_consistent(figures: dict[str, int | Decimal], *, late: bool) -> None:
    for part, whole in PARTS_OF:
        if figures[part] > figures[whole]:
            where = (
                " in a later snapshot once this one is slotted in by its occurred_at"
                if late
                else ""
            )
            raise ValidationError(
                f"{part} ({figures[part]}) cannot exceed {whole} ({figures[whole]}){where}. "
                "Results are cumulative totals for the campaign so far; send all figures "
                "as of the snapshot's time."
            )
