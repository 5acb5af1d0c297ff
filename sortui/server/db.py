"""The service's database: an SQLAlchemy engine on SQLite (default) or PostgreSQL (a URL)."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
from sqlalchemy import Connection, Engine, bindparam, create_engine, event, inspect, select, text, update
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
        # A connection for each request a process runs at once (anyio runs 40 threads): overflow
        # connections are closed on return, and opening one costs PostgreSQL a process of its own.
        engine = create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=20)
    METADATA.create_all(engine)
    _add_missing_columns(engine)
    _ensure_state(engine)
    return engine


# Columns added after a table was first created: (table, column, SQL type). create_all makes
# missing tables only; an existing database gets these by ALTER TABLE.
ADDED_COLUMNS = (("changeset", "digest", "VARCHAR(64)"),)


def _add_missing_columns(engine: Engine) -> None:
    inspector = inspect(engine)
    for table, column, kind in ADDED_COLUMNS:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


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


# Built once (Core, not ORM: these run in every changeset).
_STATE = RegisterState.__table__  # type: ignore[attr-defined]
_LOCK = update(_STATE).where(_STATE.c.id == 1).values(head_seq=_STATE.c.head_seq)
_CLAIM = (
    update(_STATE)
    .where(_STATE.c.id == 1)
    .values(head_seq=_STATE.c.head_seq + bindparam("n"), changesets=_STATE.c.changesets + 1)
    .returning(_STATE.c.head_seq)
)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_transaction(engine: Engine, serialize: bool = True) -> Iterator[Connection]:
    """A transaction that writes the register.

    ``serialize``: it holds the register's lock (the ``register_state`` row) from its first
    statement on, so it sees no concurrent change at all (structural changesets: creates, moves,
    location numbers given or taken). Without it (PostgreSQL only: SQLite has one writer anyway),
    changesets run side by side and their row versions are checked by the updates themselves
    (``WHERE version = ...``); the lock is taken only at the end, by ``claim_seqs``.
    """
    lock = _WRITE_LOCK if is_sqlite(engine) else nullcontext()
    with lock, engine.begin() as conn:
        if serialize or is_sqlite(engine):
            conn.execute(_LOCK)
        yield conn


def claim_seqs(conn: Connection, count: int) -> int:
    """The first of ``count`` new feed sequence numbers, taken under the register's lock.

    The lock (the row's) is held until the transaction ends, so feed numbers are handed out in
    commit order and a rolled-back transaction gives its numbers back: the feed has no gaps.
    """
    last = conn.execute(_CLAIM, {"n": count}).scalar_one()
    return last - count + 1


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads outside any transaction: each statement sees what is committed.

    No BEGIN and no ROLLBACK around a read (two round trips less per request on PostgreSQL), and
    psycopg keeps its prepared statements, which every ROLLBACK throws away.
    """
    with engine.connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def head_seq(conn: Connection) -> int:
    return conn.execute(select(RegisterState.head_seq).where(RegisterState.id == 1)).scalar_one()
