"""Settings, built once from the environment and passed in (no module-level connections)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WAREHOUSE = "dds.duckdb"
#: The catalog name every connection of ours, and dbt's, attaches the warehouse file under,
#: whatever the file is called: so a copied or renamed warehouse works, and nothing dbt
#: writes into target/ carries a file name. Never name a schema after it.
CATALOG = "dds"


@dataclass(frozen=True)
class Settings:
    #: The DuckDB file (attached as CATALOG).
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

    @classmethod
    def from_env(cls, warehouse_path: str | os.PathLike[str] | None = None) -> Settings:
        path = warehouse_path or os.environ.get("DDS_WAREHOUSE") or DEFAULT_WAREHOUSE
        return cls(
            warehouse_path=Path(path).expanduser().resolve(),
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
