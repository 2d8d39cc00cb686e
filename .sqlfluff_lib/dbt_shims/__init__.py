"""What sqlfluff's jinja templater lacks of dbt to render this project's SQL (.sqlfluff).

sqlfluff puts each public name here (and each submodule: ``dbt``, ``target``) into the
template context, before its own dbt builtins, so these win. They render a model as a first
`dbt build` on DuckDB would, with dbt_project.yml's default vars; nothing here runs dbt.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import yaml
from jinja2 import pass_context
from jinja2.runtime import Context

_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project.yml"
_VARS: dict[str, Any] = yaml.safe_load(_PROJECT.read_text())["vars"]
_MISSING = object()

execute = False  # parsing, not running: no graph, no queries
invocation_args_dict: dict[str, Any] = {}


def var(name: str, default: Any = _MISSING) -> Any:
    """dbt_project.yml's value of the var (dbt's own var() fails on an unknown one too)."""
    if name in _VARS:
        return _VARS[name]
    if default is _MISSING:
        raise KeyError(f"var {name!r} is not in dbt_project.yml and has no default")
    return default


def env_var(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def local_md5(value: str) -> str:
    return hashlib.md5(value.encode()).hexdigest()


class _Flags:
    FULL_REFRESH = False


class _Adapter:
    """dbt's ``adapter``: dispatch finds the macro as dbt does on DuckDB."""

    @staticmethod
    @pass_context
    def dispatch(context: Context, name: str, macro_namespace: str | None = None) -> Any:
        for prefix in ("duckdb__", "default__"):
            macro = context.get(prefix + name)
            if macro is not None:
                return macro
        raise KeyError(f"no duckdb__{name} or default__{name} macro")

    @staticmethod
    def get_relation(**_: Any) -> None:
        return None  # as on a fresh warehouse


flags = _Flags()
adapter = _Adapter()
