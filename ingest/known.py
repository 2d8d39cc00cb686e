"""What a process's single writes remember of the warehouse, so that a write is one statement.

Each DuckDB statement costs its planning (about a millisecond), so a write that first asked
"is the campaign deployed?" and "what did the earlier snapshots say?" cost three or four
times a bare insert. Two things are answered from memory instead, both safe with other
processes and hosts writing to the same warehouse:

- **deployed campaigns**: a deployed event is never deleted (raw only grows), so once a
  statement has seen a campaign deployed it stays deployed in that warehouse;
- **a campaign's result snapshots** (per variant), as stored: only a guess, which the
  inserting statement checks itself. It inserts only if the campaign still has as many
  snapshots as remembered (under the append lock on PostgreSQL, as the one writer on
  DuckDB); otherwise it inserts nothing and the writer reads them again
  (``ingest/results.py``).

Both are forgotten when the connection changes: a reopened DuckDB file, or a new server
connection, may be another warehouse. The lifecycle state (started, paused, stopped) is not
remembered: transitions read it in their own transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# Bounds on what is kept; past them everything is forgotten (and read again when needed).
MAX_CAMPAIGNS = 100_000
MAX_HISTORIES = 10_000


class Known:
    """One per facade (and so per warehouse and process)."""

    def __init__(self) -> None:
        self._conn: Any = None
        self._deployed: set[str] = set()
        # (campaign_id, variant) -> ingest.results.History
        self._histories: dict[tuple[str, str | None], Any] = {}
        # per thread, what its open write learned, kept once it committed (none: no write)
        self._writes = threading.local()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Around a write and its commit (outside the warehouse's ``connect``): what it
        learned is kept only if it committed; a rolled-back deploy must not be remembered
        as deployed, nor a rolled-back snapshot as stored."""
        self._writes.pending = pending = []
        try:
            yield
            for learned in pending:
                learned()
        finally:
            self._writes.pending = None

    def _learn(self, learned: Callable[[], None]) -> None:
        pending = getattr(self._writes, "pending", None)
        if pending is None:
            learned()
        else:
            pending.append(learned)

    def on(self, conn: Any) -> Known:
        """Self, for use on ``conn``: everything is forgotten if it is another connection."""
        if conn is not self._conn:
            self._conn = conn
            self._deployed.clear()
            self._histories.clear()
        return self

    def is_deployed(self, campaign_id: str) -> bool:
        return campaign_id in self._deployed

    def deployed(self, campaign_id: str) -> None:
        """A statement saw (or made) the campaign's deployed event."""
        self._learn(lambda: self._add_deployed(campaign_id))

    def _add_deployed(self, campaign_id: str) -> None:
        if len(self._deployed) >= MAX_CAMPAIGNS:
            self._deployed.clear()
        self._deployed.add(campaign_id)

    def history(self, campaign_id: str, variant: str | None) -> Any:
        return self._histories.get((campaign_id, variant))

    def remember_history(self, campaign_id: str, variant: str | None, history: Any) -> None:
        self._learn(lambda: self._keep_history(campaign_id, variant, history))

    def _keep_history(self, campaign_id: str, variant: str | None, history: Any) -> None:
        if len(self._histories) >= MAX_HISTORIES:
            self._histories.clear()
        self._histories[(campaign_id, variant)] = history

    def forget_history(self, campaign_id: str, variant: str | None) -> None:
        """At once, whatever becomes of the write: the remembered snapshots were wrong."""
        self._histories.pop((campaign_id, variant), None)
