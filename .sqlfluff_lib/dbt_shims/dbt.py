"""dbt's cross-database macros that the models call, rendered as dbt-duckdb renders them,
so that sqlfluff lints the SQL dbt would run (without a dbt compile)."""


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp)"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def bool_or(expression: str) -> str:
    return f"bool_or({expression})"


def type_string() -> str:
    return "varchar"


def type_bigint() -> str:
    return "bigint"
