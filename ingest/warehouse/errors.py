"""Errors that the boundary raises and the facade turns into ``{'status': 'error'}`` dicts."""

import duckdb

try:
    import psycopg
except ImportError:  # MetricFlow's venv loads our dbt plugin without the package's deps
    psycopg = None  # type: ignore[assignment]


class ValidationError(ValueError):
    """Input that cannot be stored as given. The message says what was wrong and how to fix it.

    ``context`` carries extra keys for the caller's error dict (e.g. the estimate and budget
    when a budget is too small).
    """

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


# What either warehouse engine raises for a statement it refused, and for a table that does
# not exist (yet): one name each, so no module of ours names an engine's exceptions.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (duckdb.Error,) + (
    (psycopg.Error,) if psycopg is not None else ()
)
MISSING_TABLE_ERRORS: tuple[type[BaseException], ...] = (duckdb.CatalogException,) + (
    (psycopg.errors.UndefinedTable,) if psycopg is not None else ()
)
