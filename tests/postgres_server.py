"""A real PostgreSQL server for tests: Debian's binaries, a temporary directory, a unix
socket only (no TCP port, so parallel sessions never collide), started in about 2 seconds.
A client that speaks TCP only (Spark's JDBC source: pgjdbc has no unix sockets without an
extra jar) asks for ``tcp=True``: the server also listens on 127.0.0.1, on a free port.

PostgreSQL refuses to run as root: as root, the directory is handed to the user
``postgres`` and the server's commands run as that user (``runuser``); the clients (tests,
dbt) connect over the socket as the database superuser ``postgres``, trusted, no password.
Durability is off (``--no-sync``, ``fsync=off``): a test server's data never outlives it,
but a stop and start (an outage) keeps it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

#: The database superuser the server is created with (the Debian convention).
SUPERUSER = "postgres"


def find_postgres_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl (Debian's
    layout), else the directory of an ``initdb`` on PATH; None when there is neither."""

    def version(path: str) -> int:
        number = Path(path).parent.parent.name
        return int(number) if number.isdigit() else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One PostgreSQL server in a fresh temporary directory: ``data/`` is the cluster, the
    directory itself holds the socket. ``stop()`` and ``start()`` keep the data and the
    socket (an outage and the recovery); ``close()`` stops it and removes everything."""

    def __init__(self, bin_dir: Path | None = None, tcp: bool = False) -> None:
        found = bin_dir or find_postgres_bin()
        if found is None:
            raise FileNotFoundError(
                "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's `postgresql`"
            )
        self.bin_dir = Path(found)
        # Short, under /tmp: a socket path must fit in 107 bytes, and the server's user must
        # be able to reach it (pytest's own temporary directories are root's, mode 0700).
        self.socket_dir = tempfile.mkdtemp(prefix="dds-pg-")
        self.data_dir = os.path.join(self.socket_dir, "data")
        self.log_file = os.path.join(self.socket_dir, "server.log")
        self._as_postgres = os.geteuid() == 0
        # the port is chosen once: a restart (after stop()) listens where clients know it
        self.port: int | None = _free_port() if tcp else None
        if self._as_postgres:
            shutil.chown(self.socket_dir, user=SUPERUSER, group=SUPERUSER)
        try:
            self._run(
                "initdb",
                "-D",
                self.data_dir,
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale",
                "C",
            )
            self.start()
        except BaseException:
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            raise

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = Path(self.log_file).read_text() if os.path.exists(self.log_file) else ""
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr or done.stdout}\n{log}"
            )

    def start(self) -> None:
        """Start the server on the same data directory and socket (after ``stop()``)."""
        listen = "127.0.0.1" if self.port is not None else ""
        options = f"-k {self.socket_dir} -c listen_addresses='{listen}' -c fsync=off"
        if self.port is not None:
            options += f" -p {self.port}"
        options += " -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", self.data_dir, "-l", self.log_file, "-w", "-o", options, "start")

    def stop(self) -> None:
        """Stop the server (fast: open sessions are ended); the data stays."""
        self._run("pg_ctl", "-D", self.data_dir, "-m", "fast", "-w", "stop")

    @property
    def running(self) -> bool:
        return os.path.exists(os.path.join(self.data_dir, "postmaster.pid"))

    def close(self) -> None:
        """Stop the server if it runs and remove its directory."""
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        """A libpq URL for ``dbname`` over this server's socket, as the superuser."""
        port = f"&port={self.port}" if self.port is not None else ""
        return f"postgresql://{SUPERUSER}@/{quote(dbname)}?host={quote(self.socket_dir)}{port}"

    def tcp_url(self, dbname: str = "postgres") -> str:
        """A libpq URL for ``dbname`` over TCP on 127.0.0.1 (a server made with ``tcp=True``)."""
        if self.port is None:
            raise RuntimeError("this server listens on its unix socket only: pass tcp=True")
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{quote(dbname)}"

    def _admin(self, statement: sql.Composable) -> None:
        # create/drop database cannot run in a transaction block: autocommit
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create the database ``name`` (a copy of ``template`` when given, which must have
        no open connection) and return its URL."""
        statement = sql.SQL("create database {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} template {}").format(statement, sql.Identifier(template))
        self._admin(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, ending any session still connected to it."""
        self._admin(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
