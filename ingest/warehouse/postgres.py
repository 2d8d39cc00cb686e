"""The PostgreSQL warehouse: the same contract as the DuckDB file's ``Warehouse``, for NovaOS
on several hosts (README, "PostgreSQL: NovaOS on several hosts").

``PostgresConnection`` makes a psycopg connection answer like a DuckDB one (``execute``
returns something to fetch from, ``?`` placeholders, ``begin``/``commit``/``rollback``), so
every module of ours runs one SQL text on both engines; where the SQL itself differs it asks
``ingest/warehouse/dialect.py``.

What differs from the file, and why:

- **Several writers at once.** Every writing use runs in one transaction that first takes
  the advisory lock ``APPEND_LOCK``: writers append one at a time, so a reader never sees a
  high-water ``seq`` while a smaller one is still uncommitted (DESIGN.md), and the state
  checks (the campaign exists, the lifecycle transition, carried-forward figures) read what
  the write will be judged against. Reads take no lock.
- **No gate, no snapshot file.** The server arbitrates; analysts connect with a read-only
  role instead of reading a copy (README, "Least privileges").
- **An outage loses nothing.** When the server does not answer, a write spools on this host
  (``ingest/spool.py``, in ``Settings.warehouse_path``'s folder) as it does when the file is
  busy, and the next use that reaches the server applies it, in order, first.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import pyarrow as pa
from psycopg.types.string import TextLoader

from ingest import spool as spool_module
from ingest.warehouse import postgres_schema
from ingest.warehouse.dialect import APPEND_LOCK, POSTGRES, lock_appends
from ingest.warehouse.gate import WarehouseBusyError
from ingest.warehouse.settings import Settings, redact
from ingest.warehouse.tables import SEQUENCE

# '...' strings, "..." identifiers, -- comments, or a ? placeholder
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\?")


# "Has anyone written since I last looked?" in one round trip (DECISIONS.md, "A read with
# nothing written looks at the raw sequence once"): every writing transaction takes the append
# lock, which draws a value of the raw sequence (dialect.lock_appends), and appends draw more
# under it; so when no writer holds the lock, the sequence's position covers every write
# committed so far, and an unchanged position means nothing was. The lock is tried in shared
# mode (a reader never waits; no writer can take it until the statement ends). A sequence that
# caches values per connection (CACHE > 1) can draw without moving the position: then the
# probe answers nothing, and every read refreshes as before. pg_sequence_last_value (null
# before the first draw) needs only the USAGE on the sequence that writing takes (README,
# "Least privileges"); selecting from the sequence would need SELECT.
_WRITES_PROBE = (
    "select pg_try_advisory_xact_lock_shared(?), "
    f"pg_sequence_last_value('{SEQUENCE}'::regclass), seqcache "
    f"from pg_catalog.pg_sequence where seqrelid = '{SEQUENCE}'::regclass"
)


def _numbered(sql: str) -> str:
    """DuckDB's ``?`` placeholders as PostgreSQL's ``$1, $2, ...`` (outside strings)."""
    counter = iter(range(1, 10**6))
    return _TOKENS.sub(lambda m: f"${next(counter)}" if m.group(0) == "?" else m.group(0), sql)


class PostgresConnection:
    """A psycopg connection (autocommit; ``begin`` opens a transaction, nested ones become
    savepoints) that answers like a DuckDB connection."""

    dialect = POSTGRES

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self._cursor = psycopg.RawCursor(raw)
        self._rows: list[tuple[Any, ...]] | None = None
        self._description: Any = None
        self._depth = 0
        self._sql: dict[str, str] = {}
        # a table's column list, for dialect.insert_by_name (dialect.forget_columns clears it)
        self.columns: dict[str, str] = {}

    # -- statements
    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> PostgresConnection:
        translated = self._sql.get(sql)
        if translated is None:
            translated = self._sql[sql] = _numbered(sql) if "?" in sql else sql
        self._cursor.execute(translated, parameters or None)
        # psycopg builds the description anew on every access (a column object per column):
        # asked for only when read, once per statement
        self._description = None
        result = self._cursor.pgresult
        returns_rows = result is not None and (
            result.nfields > 0 or result.status == psycopg.pq.ExecStatus.TUPLES_OK
        )
        # a write answers with its row count, as DuckDB's do
        self._rows = None if returns_rows else [(self._cursor.rowcount,)]
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> PostgresConnection:
        self._cursor.executemany(_numbered(sql), rows)
        self._description = None
        self._rows = [(self._cursor.rowcount,)]
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        if self._rows is not None:
            rows, self._rows = self._rows, []
            return rows
        return self._cursor.fetchall()

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._rows is not None:
            return self._rows.pop(0) if self._rows else None
        return self._cursor.fetchone()

    @property
    def description(self) -> Any:
        if self._description is None:
            self._description = self._cursor.description
        return self._description

    def arrow_reader(self, sql: str, batch_rows: int = 50_000) -> pa.RecordBatchReader:
        """The query's rows as Arrow batches (DuckDB's ``sql(...).to_arrow_reader()``), typed
        from the result's column types, so that every batch has the same schema."""
        cursor = self.raw.cursor()
        cursor.execute(sql)
        schema = pa.schema(
            [(column.name, _arrow_type(column)) for column in cursor.description or ()]
        )

        def batches() -> Iterator[pa.RecordBatch]:
            while rows := cursor.fetchmany(batch_rows):
                columns = list(zip(*rows, strict=True))
                yield pa.RecordBatch.from_arrays(
                    [
                        pa.array(list(values), type=field.type)
                        for values, field in zip(columns, schema, strict=True)
                    ],
                    schema=schema,
                )

        return pa.RecordBatchReader.from_batches(schema, batches())

    # -- transactions
    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def begin(self, isolation: str | None = None) -> None:
        if self._depth == 0:
            self._cursor.execute(f"begin isolation level {isolation}" if isolation else "begin")
        else:
            self._cursor.execute(f"savepoint dds_{self._depth}")
        self._depth += 1

    def commit(self) -> None:
        self._depth -= 1
        self._cursor.execute(
            "commit" if self._depth == 0 else f"release savepoint dds_{self._depth}"
        )

    def rollback(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._cursor.execute("rollback")
        else:
            self._cursor.execute(f"rollback to savepoint dds_{self._depth}")
            self._cursor.execute(f"release savepoint dds_{self._depth}")

    def close(self) -> None:
        self.raw.close()


def connect(url: str) -> psycopg.Connection[Any]:
    """A plain psycopg connection in UTC, autocommit, JSON read as text (as DuckDB gives it)."""
    conn = psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC")
    for json_type in ("json", "jsonb"):
        conn.adapters.register_loader(json_type, TextLoader)
    return conn


class PostgresWarehouse:
    """One connection per process to the PostgreSQL warehouse, with the DuckDB ``Warehouse``'s
    contract (``connect``, ``transaction``, ``generation``, the spool)."""

    dialect = POSTGRES

    def __init__(
        self,
        settings: Settings,
        before_snapshot: Callable[[Any], None] | None = None,
    ) -> None:
        assert settings.postgres_url is not None
        self.settings = settings
        self.url = settings.postgres_url
        self._conn: PostgresConnection | None = None
        self._lock = threading.RLock()
        self._depth = 0
        self._schema_ready = False
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        self.spool = spool_module.Spool(spool_module.spool_path(settings.warehouse_path))
        # ``generation`` moves whenever the warehouse may have changed under this process
        # (the facade refreshes the marts when it moved): a new connection, a spool drain, a
        # use not declared a read, and a read that finds another writer was (or is) at work
        # since this process last looked (_look_for_writes).
        self._generation = 0
        # the sequence's position at the last look, when no writer held the append lock
        self._seen: tuple[int | None] | None = None
        # the outermost read in progress, until something asks for the generation in it
        self._unlooked: PostgresConnection | None = None
        self.before_snapshot = before_snapshot
        # as on the file (connection.Warehouse.after_write): called when a use that wrote ends
        self.after_write: Callable[[int], None] | None = None
        # side_connection() sessions open: close() waits for them (the process is done with
        # the database: e.g. a template about to be copied, which no session may be in)
        self._side_uses = 0
        self._side_done = threading.Condition(self._lock)

    @property
    def generation(self) -> int:
        """Within a read, looks first (once): a read that never asks, as one of raw rows or
        the DDS databases does, costs no round trip for it."""
        if self._unlooked is not None:
            conn, self._unlooked = self._unlooked, None
            self._look_for_writes(conn)
        return self._generation

    @property
    def path(self) -> str:
        """What messages name: the URL without its password."""
        return redact(self.url)

    @property
    def address(self) -> str:
        """What dbt is pointed at (the full URL; build.dbt_environment passes it by env)."""
        return self.url

    @contextmanager
    def connect(self, *, spoolable: bool = False, reading: bool = False) -> Iterator[Any]:
        """The process's connection. A use not declared ``reading`` runs in one transaction
        under the append lock (committed at the end, rolled back on an exception).

        An unreachable server raises WarehouseBusyError, so a ``spoolable`` write spools."""
        with self._lock:
            conn = self._connection()
            outermost = self._depth == 0
            writing = not reading and outermost
            self._depth += 1
            wrote = False
            try:
                if outermost and self.spool.has_pending():
                    spool_module.drain(conn, self.spool)
                    self._generation += 1
                if reading and outermost:
                    self._unlooked = conn
                else:
                    self._generation += 1
                if writing:
                    conn.begin()
                    lock_appends(conn)
                yield conn
                if writing:
                    conn.commit()
                    wrote = True
            except psycopg.OperationalError as exc:
                if writing:
                    self._rollback_quietly(conn)
                if not _server_gone(conn, exc):
                    raise
                # the server went away mid-use, which it rolled back: the write may spool
                # like one that found the server down (only a server lost between
                # committing and answering the commit would leave it applied twice)
                self._conn = None
                raise WarehouseBusyError(self._unreachable(exc)) from exc
            except BaseException:
                if writing:
                    self._rollback_quietly(conn)
                raise
            finally:
                self._depth -= 1
                if outermost:
                    self._unlooked = None
            if wrote and self.after_write is not None:
                self.after_write(self._generation)

    @contextmanager
    def side_connection(self) -> Iterator[PostgresConnection | None]:
        """A connection of its own (a second session), for another thread to use without
        holding the lock the process's calls take. None when the process has closed the
        warehouse (as on the file) or the server does not answer."""
        with self._lock:
            if self._conn is None:
                closed = True
            else:
                closed = False
                self._side_uses += 1
        if closed:
            yield None
            return
        conn = None
        try:
            with contextlib.suppress(psycopg.OperationalError):
                conn = PostgresConnection(connect(self.url))
            yield conn
        finally:
            if conn is not None:
                conn.close()
            with self._lock:
                self._side_uses -= 1
                self._side_done.notify_all()

    @contextmanager
    def transaction(self, *, spoolable: bool = False) -> Iterator[Any]:
        with self.connect(spoolable=spoolable) as conn:
            conn.begin()  # a savepoint inside the use's transaction when nested
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        raise NotImplementedError(
            "A PostgreSQL warehouse is not copied file by file: back it up with pg_dump "
            "(README, 'PostgreSQL: NovaOS on several hosts')."
        )
        yield  # pragma: no cover

    def refresh_snapshot(self) -> None:
        """No analysts' copy on PostgreSQL: analysts read the server with a read-only role."""
        return None

    def close(self, *, refresh_snapshot: bool = True) -> None:
        with self._lock:
            while self._side_uses:
                self._side_done.wait()
            if self._conn is not None and self._depth == 0:
                try:
                    if self.spool.has_pending():
                        spool_module.drain(self._conn, self.spool)
                except psycopg.Error:
                    pass  # still unreachable: the rows wait on disk for the next use
                finally:
                    self._conn.close()
                    self._conn = None

    # ------------------------------------------------------------------------------
    def _look_for_writes(self, conn: PostgresConnection) -> None:
        """Move ``generation`` unless the raw sequence is where the last look left it with no
        writer at work then or now: that answers "written since?" in one round trip, instead
        of a refresh (whose scope model scans raw) before every read."""
        free, position, cache = conn.execute(_WRITES_PROBE, [APPEND_LOCK]).fetchone()
        seen = (position,) if free and cache == 1 else None
        if seen is None or seen != self._seen:
            self._generation += 1
        # a look made while a writer held the lock counts for nothing: that writer's rows
        # commit after this read's refresh, with no further draw to show for it
        self._seen = seen

    def _connection(self) -> PostgresConnection:
        if self._conn is not None and not self._conn.raw.closed and not self._conn.raw.broken:
            return self._conn
        self._conn = None
        # others may have written while this process had no connection
        self._seen = None
        self._generation += 1
        try:
            raw = connect(self.url)
            if not self._schema_ready:
                postgres_schema.ensure_raw_schema(raw)
                self._schema_ready = True
        except psycopg.OperationalError as exc:
            raise WarehouseBusyError(self._unreachable(exc)) from exc
        self._conn = PostgresConnection(raw)
        return self._conn

    def _unreachable(self, exc: BaseException) -> str:
        return (
            f"The PostgreSQL warehouse {self.path} did not answer ({_reason(exc)}). "
            "Nothing was lost: a write waits in this host's spool "
            f"({self.spool.path}) and is applied when the server is back; a read "
            "has to be retried then."
        )

    def _rollback_quietly(self, conn: PostgresConnection) -> None:
        if not conn.in_transaction:
            return
        try:
            conn.rollback()
        except psycopg.Error:
            conn._depth = 0  # the connection broke; the server rolled back


# PostgreSQL type names (psycopg's type registry) -> Arrow types; numerics carry their own
# precision and scale; anything else (text, varchar, json, ...) is a string.
_ARROW_TYPES = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
}


def _arrow_type(column: Any) -> pa.DataType:
    info = psycopg.adapters.types.get(column.type_code)
    name = info.name if info is not None else ""
    if name == "numeric":
        if column.precision is None:  # unconstrained numeric: DuckDB's widest decimal
            return pa.decimal128(38, 10)
        return pa.decimal128(column.precision, column.scale or 0)
    return _ARROW_TYPES.get(name, pa.string())


def _server_gone(conn: PostgresConnection, exc: psycopg.OperationalError) -> bool:
    """Whether the error is the server going away (the connection lost, or the server
    shutting down: SQLSTATE class 08, or 57P01-57P03), not a refused statement."""
    state = exc.sqlstate or ""
    return conn.raw.broken or state.startswith("08") or state in ("57P01", "57P02", "57P03")


def _reason(exc: BaseException) -> str:
    """The server's first line, with any password in it replaced."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", r"\1***@", first)
