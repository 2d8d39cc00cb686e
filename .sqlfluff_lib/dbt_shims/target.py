"""dbt's ``target`` as profiles.yml's default output sets it (DuckDB, ``dev``)."""

name = "dev"
type = "duckdb"  # dbt's attribute name
schema = "main"
database = "dds"
threads = 2
