"""Several dbt commands in one process, one after the other, stopping at the first failure:

    python -m dds_api.current_marts.dbt_session '[["build", ...], ["compile", ...]]'

Each dbt process spends seconds importing dbt and loading the project before its first
node; a build followed by the compile of the refresh plan pays that once here (build.py
runs them so). The commands share dbt-duckdb's connection, so the warehouse's gate is taken
once and held until the process exits, as for a single command. Exit status: 0 when every
command succeeded, 1 when one failed (a test or a model), 2 when dbt raised.
"""

from __future__ import annotations

import json
import sys

from dbt.cli.main import dbtRunner


def main(argv: list[str]) -> int:
    commands: list[list[str]] = json.loads(argv[1])
    runner = dbtRunner()
    for args in commands:
        result = runner.invoke(args)
        if not result.success:
            return 2 if result.exception is not None else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
