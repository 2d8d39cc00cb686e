"""What the multi-process tests share: starting a script of ours as its own process (a
NovaOS host, a writer, a reader, dbt) and reading the JSON it prints last; and the check of
the refresh's invariant from a poller's (high-water seq, rows seen) pairs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def spawn(code: str, args: list[str], **env: str) -> subprocess.Popen[str]:
    """``python -c code args`` with this environment plus ``env`` (DDS_WAREHOUSE, ...)."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env={**os.environ, "DO_NOT_TRACK": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result(proc: subprocess.Popen[str], timeout: float) -> dict:
    """The process's last line of output, as JSON, once it exited cleanly."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def watermark_skips(conn: Any, polls: list[tuple[int, int]]) -> int:
    """How many polls saw a high-water ``seq`` of raw.cost_events while a row below it was
    not yet visible: each poll read (max(seq), count(*)) in one statement, so every row at
    or below its watermark stored now must have been among the rows it saw."""
    skips = 0
    for high, seen in polls:
        [(below,)] = conn.execute(
            "select count(*) from raw.cost_events where seq <= %s", [high]
        ).fetchall()
        skips += below != seen
    return skips
