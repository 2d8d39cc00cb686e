"""Settings, built once from the environment and passed in (no module-level connections)."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ingest.warehouse.errors import ValidationError

DEFAULT_WAREHOUSE = "dds.duckdb"
#: The catalog name every connection of ours, and dbt's, attaches the warehouse file under,
#: whatever the file is called: so a copied or renamed warehouse works, and nothing dbt
#: writes into target/ carries a file name. Never name a schema after it.
CATALOG = "dds"
#: URL schemes that select a PostgreSQL warehouse (libpq accepts both).
POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def postgres_url_of(value: str) -> str | None:
    """The PostgreSQL URL ``value`` names, or None when it is a file path.

    A value of the form ``scheme://...`` is never a path: a scheme other than
    postgresql/postgres is an error rather than a folder named ``scheme:`` holding a file.
    """
    match = _SCHEME.match(value.strip())
    if match is None:
        return None
    if match.group(1).lower() in POSTGRES_SCHEMES:
        return value.strip()
    raise ValidationError(
        f"DDS_WAREHOUSE={redact(value)!r} is neither a file path nor a PostgreSQL URL: give "
        "a DuckDB file's path (e.g. ./dds.duckdb) or postgresql://user@host:5432/dbname."
    )


def redact(url: str) -> str:
    """The URL without its password (for messages, logs, the CLI and the dashboard)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def local_anchor(url: str) -> Path:
    """This host's folder for a PostgreSQL warehouse's local state (the spool of writes made
    while the server is unreachable): one per server and database, under ``$DDS_STATE_DIR``
    (default ``~/.local/state/dds``), named by a hash of the URL without its password, so no
    password reaches the file system and two warehouses never share a spool."""
    base = os.environ.get("DDS_STATE_DIR", "").strip() or "~/.local/state/dds"
    digest = hashlib.sha256(redact(url).encode()).hexdigest()[:12]
    return Path(base).expanduser().resolve() / f"postgres-{digest}" / "postgres"


@dataclass(frozen=True)
class Settings:
    #: The DuckDB file (attached as CATALOG); with ``postgres_url``, this host's anchor for
    #: local state (the spool lives beside it), never a database file.
    warehouse_path: Path
    #: Close the file after this many idle seconds so dbt, analysts or other processes can open it.
    idle_release_seconds: float = 2.0
    #: How long to keep retrying when another process holds the file.
    lock_timeout_seconds: float = 30.0
    #: The DDS prospecting system's folder (src/main.py, campaigns.db, ops.db). None: not
    #: connected; there is deliberately no default, since it lives wherever it was installed.
    dds_home: Path | None = None
    #: Set by from_env: $DDS_HOME is read each time the DDS system is used (dds_home_now),
    #: so that setting or changing it while NovaOS runs needs no restart (get_dds() keeps
    #: one facade per process); ``dds_home`` is then not used.
    dds_home_from_env: bool = False
    #: How long to wait for the DDS system's SQLite databases while DDS itself writes to
    #: them; short, because a status read should not stall behind another system's batch.
    dds_db_timeout_seconds: float = 0.5
    #: The analysts' snapshot (``<stem>.snapshot.duckdb``) is refreshed when a process of
    #: ours lets go of the file after idling, at most this often, and after every build.
    snapshot_interval_seconds: float = 60.0
    #: A PostgreSQL warehouse (README, "PostgreSQL: NovaOS on several hosts"); None: the file.
    postgres_url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.postgres_url is not None

    @property
    def warehouse_name(self) -> str:
        """What messages call the warehouse: the file's path, or the URL without password."""
        if self.postgres_url is not None:
            return redact(self.postgres_url)
        return str(self.warehouse_path)

    @classmethod
    def for_postgres(cls, url: str, **options: object) -> Settings:
        return cls(warehouse_path=local_anchor(url), postgres_url=url, **options)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, warehouse_path: str | os.PathLike[str] | None = None) -> Settings:
        path = str(warehouse_path or os.environ.get("DDS_WAREHOUSE") or DEFAULT_WAREHOUSE)
        url = postgres_url_of(path)
        return cls(
            warehouse_path=local_anchor(url) if url else Path(path).expanduser().resolve(),
            postgres_url=url,
            idle_release_seconds=float(os.environ.get("DDS_IDLE_RELEASE_SECONDS", "2.0")),
            lock_timeout_seconds=float(os.environ.get("DDS_LOCK_TIMEOUT_SECONDS", "30.0")),
            dds_home_from_env=True,
            dds_db_timeout_seconds=float(os.environ.get("DDS_DB_TIMEOUT_SECONDS", "0.5")),
            snapshot_interval_seconds=float(
                os.environ.get("DDS_SNAPSHOT_INTERVAL_SECONDS", "60.0")
            ),
        )

    def dds_home_now(self) -> Path | None:
        """The DDS system's folder: $DDS_HOME as it is now (from_env), else ``dds_home``."""
        if not self.dds_home_from_env:
            return self.dds_home
        home = os.environ.get("DDS_HOME", "").strip()
        return Path(home).expanduser().resolve() if home else None
