"""A throw-away PostgreSQL cluster from the server binaries of Debian's ``postgresql`` package.

``Cluster.start()`` runs ``initdb`` and ``pg_ctl`` (as the ``postgres`` user when we are root:
PostgreSQL refuses to run as root) on a free port of 127.0.0.1, with the data folder and the
socket in a temporary folder; ``stop()`` stops it and removes the folder. Used by the tests
(one cluster per xdist worker, a database per test) and by ``benchmarks/load_bench.py``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PACKAGE = "postgresql"  # Debian's package; it pulls in postgresql-NN with initdb and pg_ctl


def find_bin_dir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl`` of the newest installed server, or None."""
    override = os.environ.get("SORTUI_PG_BIN")
    candidates = [override] if override else sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key)
    for folder in reversed(candidates):
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def _version_key(folder: str) -> tuple[int, ...]:
    part = Path(folder).parent.name
    return tuple(int(p) for p in part.split(".") if p.isdigit()) or (0,)


def missing_reason() -> str | None:
    """Why no cluster can be started here (None when it can)."""
    if find_bin_dir() is None:
        return f"no PostgreSQL server binaries (initdb, pg_ctl): install Debian's {PACKAGE!r} package"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser: cannot start PostgreSQL as the postgres user"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One PostgreSQL server on 127.0.0.1:``port``; superuser ``postgres``, trust authentication."""

    def __init__(self, durable: bool = False):
        self.bin = find_bin_dir()
        if self.bin is None:
            raise RuntimeError(missing_reason() or "no PostgreSQL")
        self.durable = durable  # tests switch fsync off; the benchmark measures with it on
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="sortui-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self._as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}{self._log()}")

    def _log(self) -> str:
        return "\n" + self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def start(self) -> Cluster:
        if self._as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N")
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.folder}",
            "-c max_connections=200",
            "-c shared_buffers=64MB",
        ]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", " ".join(options), "-w", "-t", "60", "start"
        )
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) as the superuser."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given); its SQLAlchemy URL."""
        self.sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            if self.data.exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
