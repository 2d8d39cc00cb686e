"""The warehouse: the DuckDB file's connection and gate, raw schema and migrations, settings
and backup, and the dbt runs (plugin, build, refresh) that keep its marts built and current.
"""
