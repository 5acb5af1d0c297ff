"""The service's database: an SQLAlchemy engine on SQLite (default) or PostgreSQL (a URL)."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, select, update
from sqlalchemy.engine import make_url

from sortui.server.schema import METADATA, RegisterState

ENV_DATABASE = "SORTUI_SERVER_DATABASE"
_WRITE_LOCK = threading.Lock()  # SQLite: one writer at a time inside this process as well


def default_url() -> str:
    """``SORTUI_SERVER_DATABASE`` if set, else ``server.sqlite`` in the user data dir."""
    env = os.environ.get(ENV_DATABASE)
    if env:
        return env
    return f"sqlite:///{Path(platformdirs.user_data_dir('sortui')) / 'server.sqlite'}"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def make_engine(url: str) -> Engine:
    """An engine for ``url``, with the tables created; SQLite files get WAL and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    METADATA.create_all(engine)
    _ensure_state(engine)
    return engine


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.close()


def _ensure_state(engine: Engine) -> None:
    with engine.begin() as conn:
        if conn.execute(select(RegisterState.id)).first() is None:
            conn.execute(
                RegisterState.__table__.insert().values(  # type: ignore[attr-defined]
                    id=1, head_seq=0, changesets=0, service_id=secrets.token_hex(8), created_at=now()
                )
            )


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the register's write lock from its first statement on."""
    with _WRITE_LOCK, engine.begin() as conn:
        conn.execute(update(RegisterState).where(RegisterState.id == 1).values(changesets=RegisterState.changesets + 1))
        yield conn


def head_seq(conn: Connection) -> int:
    return conn.execute(select(RegisterState.head_seq).where(RegisterState.id == 1)).scalar_one()
