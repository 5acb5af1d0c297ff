"""The service's database: an SQLAlchemy engine on SQLite (default) or PostgreSQL (a URL)."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, inspect, select, text, update
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.sql import Executable

from sortui.server.schema import METADATA, Change, RegisterState

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
    _give_feed_rows_ids(engine)
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


def _give_feed_rows_ids(engine: Engine) -> None:
    """A database from before the feed was numbered after the commit: ``change`` keyed by ``seq``.

    The rows get an ``id`` (their ``seq``: all of them are numbered) and ``seq`` may be NULL. Under
    the numbering's lock, so that two processes starting at once do it once.
    """
    with write_transaction(engine, FEED_LOCK) as conn:
        if "id" in {c["name"] for c in inspect(conn).get_columns("change")}:
            return
        if is_sqlite(engine):
            _rebuild_change(conn)
            return
        pkey = inspect(conn).get_pk_constraint("change")["name"]
        conn.execute(text(f'ALTER TABLE change DROP CONSTRAINT "{pkey}"'))
        conn.execute(text("ALTER TABLE change ALTER COLUMN seq DROP NOT NULL"))
        conn.execute(text("ALTER TABLE change ADD COLUMN id SERIAL PRIMARY KEY"))
        for index in _CHANGE.indexes:
            index.create(conn, checkfirst=True)


def _rebuild_change(conn: Connection) -> None:
    """SQLite cannot change a table's key in place: a new table, the rows copied, the old one dropped."""
    for index in _CHANGE.indexes:
        conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
    conn.execute(text("ALTER TABLE change RENAME TO change_keyed_by_seq"))
    _CHANGE.create(conn)
    names = ", ".join(c.name for c in _CHANGE.columns if c.name != "id")
    conn.execute(text(f"INSERT INTO change (id, {names}) SELECT seq, {names} FROM change_keyed_by_seq"))
    conn.execute(text("DROP TABLE change_keyed_by_seq"))


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


class DriverSql:
    """A Core statement compiled once for each dialect, run as the driver's own SQL.

    ``Connection.execute`` of a Core statement computes its cache key, looks its compiled form up
    and builds its parameters through the compiler at every execution: for the seven or so
    statements of a changeset that was about a tenth of the service's CPU. This runs the SQL
    compiled once with ``exec_driver_sql``: the same SQL and parameters, the same transaction,
    error classes (``IntegrityError``, ``DBAPIError``) and result rows. Several rows at once go to
    ``Connection.execute`` as before (its INSERT of many rows in one statement). ``column_keys``:
    the columns an INSERT names (else all of the table's).
    """

    def __init__(self, statement: Executable, column_keys: list[str] | None = None):
        self.statement, self.column_keys = statement, column_keys
        self._compiled: dict[str, tuple[str, dict[str, Any]]] = {}

    def __call__(self, conn: Connection, params: dict[str, Any] | list[dict[str, Any]] | None = None) -> CursorResult:
        if isinstance(params, list):
            if len(params) != 1:
                return conn.execute(self.statement, params)
            params = params[0]
        found = self._compiled.get(conn.dialect.name) or self._compile(conn.dialect)
        sql, fixed = found
        if fixed:
            params = {**fixed, **(params or {})}
        return conn.exec_driver_sql(sql, params or ())

    def _compile(self, dialect: Dialect) -> tuple[str, dict[str, Any]]:
        # SQLite: named parameters (sqlite3 takes a dict for them), as psycopg's are.
        target = sqlite_dialect.dialect(paramstyle="named") if dialect.name == "sqlite" else dialect
        compiled = self.statement.compile(dialect=target, column_keys=self.column_keys)
        fixed = {name: bind.value for bind, name in compiled.bind_names.items() if not bind.required}  # literals
        found = self._compiled[dialect.name] = (compiled.string, fixed)
        return found


# Built once (Core, not ORM: these run in every changeset).
_STATE = RegisterState.__table__  # type: ignore[attr-defined]
_CHANGE = Change.__table__  # type: ignore[attr-defined]
_LOCK = DriverSql(update(_STATE).where(_STATE.c.id == 1).values(head_seq=_STATE.c.head_seq))
_ADVISORY_LOCK = DriverSql(text("SELECT pg_advisory_xact_lock(:key)"))
# PostgreSQL's advisory locks of this database (a lock that writes nothing: no WAL, no fsync).
REGISTER_LOCK = int.from_bytes(b"sortui-r", "big")  # structural changesets, one at a time
FEED_LOCK = int.from_bytes(b"sortui-f", "big")  # numbering the feed, one at a time (server/feed.py)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_transaction(
    engine: Engine, lock: int | None = REGISTER_LOCK, conn: Connection | None = None
) -> Iterator[Connection]:
    """A transaction that writes the register, holding ``lock`` from its first statement to its end.

    ``REGISTER_LOCK``: structural changesets (creates, moves, location numbers given or taken) run one
    at a time, so they see no other structural change while they read the tree. ``FEED_LOCK``: the
    feed's numbering (``feed.py``). None (PostgreSQL): changesets that only set fields run side
    by side, their row versions checked by the updates themselves (``WHERE version = ...``).

    On PostgreSQL both are advisory locks, so the numbering never waits for a structural
    changeset. On SQLite, which has one writer anyway, every write transaction takes the database's
    write lock at its first statement (a no-op update of ``register_state``), and this process's
    threads queue for it here rather than in SQLite's busy loop.

    ``conn``: on this connection (a request's, ``request_connection``), else on one from the pool.
    """
    sqlite = is_sqlite(engine)
    with _WRITE_LOCK if sqlite else nullcontext(), _begun(engine, conn) as conn:
        if sqlite:
            _LOCK(conn)
        elif lock is not None:
            _ADVISORY_LOCK(conn, {"key": lock})
        yield conn


@contextmanager
def _begun(engine: Engine, conn: Connection | None) -> Iterator[Connection]:
    if conn is None:
        with engine.begin() as conn:
            yield conn
    else:
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine, conn: Connection | None = None) -> Iterator[Connection]:
    """A connection for reads outside any transaction: each statement sees what is committed.

    No BEGIN and no ROLLBACK around a read (two round trips less per request on PostgreSQL), and
    psycopg keeps its prepared statements, which every ROLLBACK throws away. ``conn``: on this
    connection (a request's, ``request_connection``; between its transactions), else on one from the pool.
    """
    if conn is None:
        with engine.connect() as conn:
            yield conn.execution_options(isolation_level="AUTOCOMMIT")
        return
    conn.execution_options(isolation_level="AUTOCOMMIT")
    try:
        yield conn
    finally:
        conn.rollback()  # ends SQLAlchemy's own transaction (autocommit: nothing to undo, no round trip)
        conn.execution_options(isolation_level=conn.default_isolation_level)


@contextmanager
def request_connection(engine: Engine) -> Iterator[Connection | None]:
    """One pool connection for all a request reads and writes (PostgreSQL), or None (SQLite).

    A changeset checked its token, wrote, and numbered the feed on three connections from the pool:
    each checkout cost a ping (a round trip: ``pool_pre_ping``) and the pool's bookkeeping. SQLite
    has no ping, and a connection from the pool for each step keeps the writers that queue for its
    write lock from holding connections while they wait.
    """
    if is_sqlite(engine):
        yield None
        return
    with engine.connect() as conn:
        yield conn


def head_seq(conn: Connection) -> int:
    return conn.execute(select(RegisterState.head_seq).where(RegisterState.id == 1)).scalar_one()
