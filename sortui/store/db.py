"""Opening the working copy: connection settings, schema version and migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sortui.paths import data_dir
from sortui.store import codelists, search_index, workfiles
from sortui.store.rows import insert_sql
from sortui.store.tables import MESSAGE_DEFINITION

# Marks a SQLite file as a sortui working copy ("SORT" in ASCII).
APPLICATION_ID = 0x534F5254
SCHEMA_VERSION = 4


def _add_tables(version: int) -> Callable[[sqlite3.Connection], None]:
    """A migration that creates the tables added at ``version``, with the DDL a new working copy gets."""

    def migrate(conn: sqlite3.Connection) -> None:
        from sortui.store.schema import ADDED_TABLES, ddl_statements

        for stmt in ddl_statements(ADDED_TABLES[version]):
            conn.execute(stmt)

    return migrate


def _trigram_search(conn: sqlite3.Connection) -> None:
    """3: search inside words. The word-prefix index (unicode61) makes way for the trigram indexes."""
    conn.execute("DROP TABLE IF EXISTS search")
    create_search_indexes(conn)
    search_index.rebuild_search(conn)
    search_index.rebuild_search_shak(conn)


def _v4_code_names_and_journal_groups(conn: sqlite3.Connection) -> None:
    """Code lists say how sure each name is and where it came from (and get the lists shipped since);
    the journal groups the entries of one bulk change, which is undone as one."""
    added = (
        ("code_list", "confirmed", "VARCHAR NOT NULL DEFAULT 'yes'"),
        ("code_list", "source", f"VARCHAR NOT NULL DEFAULT '{codelists.SHIPPED}'"),
        ("journal", "group_id", "INTEGER"),
    )
    for table, column, kind in added:  # only what it lacks: a copy may have been made with them already
        if column not in {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    conn.execute("CREATE INDEX IF NOT EXISTS ix_journal_group ON journal (group_id)")
    codelists.load_shipped(conn)


# MIGRATIONS[n] upgrades a working copy from version n-1 to n. A new working copy
# is created at SCHEMA_VERSION directly from the current table definitions.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    2: _add_tables(2),  # what imports changed, and the validators of `sortui update`'s downloads
    3: _trigram_search,  # search inside words (FTS5 trigram)
    4: _v4_code_names_and_journal_groups,
}


# Bind None and bools through an adapter: without one, sqlite3 looks for ``__adapt__`` and
# ``__conform__`` on every such value before binding it as NULL or as the integer 0/1, which is most
# of the cost of writing a row of mostly empty columns. The values bound are the same.
sqlite3.register_adapter(type(None), {}.get)  # {}.get(None) is None: bound as NULL
sqlite3.register_adapter(bool, int)  # True/False bound as 1/0, as before


BUSY_TIMEOUT_MS = 5000  # how long a write waits for another writer (an edit is done well within it)


class WorkingCopyError(Exception):
    """The file is not a usable working copy (not SQLite, another program's, too new)."""


class WorkingCopyBusy(WorkingCopyError, sqlite3.OperationalError):
    """Another process (an import, most likely) holds the working copy's write lock for longer than a
    write waits. Also a ``sqlite3.OperationalError``, which it is: whoever reports SQLite's errors
    (the app's workers) reports this one too, with its message naming the import."""


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the settings every sortui connection uses."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that holds the working copy's write lock from its first statement on.

    ``BEGIN IMMEDIATE``: what is read inside is what the write builds on, as no other writer (in
    any process) can come between. Commits at the end of the block, rolls back on any exception.
    When another process keeps the lock for longer than ``BUSY_TIMEOUT_MS`` (an import holds it
    from start to end), ``WorkingCopyBusy`` names that import; nothing is written.

    Inside a transaction already (a batch of edits: ``edits.apply_set_batch``), the block is a
    savepoint of it: an edit that fails undoes only itself, and the batch commits or rolls back all.
    """
    if conn.in_transaction:
        yield from _savepoint(conn)
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise WorkingCopyBusy(busy_message(conn)) from None
        raise
    try:
        yield conn
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _savepoint(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("SAVEPOINT edit")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK TO edit")
        conn.execute("RELEASE edit")
        raise
    conn.execute("RELEASE edit")


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock (after the busy timeout)."""
    code = getattr(exc, "sqlite_errorcode", None) or 0  # an extended code: its low byte is the primary one
    return (code & 0xFF) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def busy_message(conn: sqlite3.Connection) -> str:
    """Why the working copy of ``conn`` cannot be written now, naming the import that holds it."""
    return busy_message_for(database_path(conn))


def busy_message_for(path: Path | None) -> str:
    """Why the working copy at ``path`` cannot be written now, naming the import that holds it."""
    running = workfiles.running_imports(path) if path else []
    if running:
        who = running[0].describe()
        return f"{path}: {who} is writing the working copy; nothing was changed: try again when it has finished"
    return f"{path or 'working copy'}: another program is writing the working copy; nothing was changed: try again"


def database_path(conn: sqlite3.Connection) -> Path | None:
    """The file of ``conn``'s main database (None in memory)."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


def open_working_copy(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating or migrating if needed) the working copy at ``path``."""
    path = Path(path)
    if readonly:
        if not path.exists():
            raise WorkingCopyError(f"{path}: no working copy here")
        conn = connect(path, readonly=True)
        _check_version(conn, path, allow_older=False)
        return conn
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        version = _check_version(conn, path, allow_older=True)
        if version == 0:
            create_schema(conn)
        else:
            migrate(conn, version)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise WorkingCopyError(f"{path}: not a working copy ({exc})") from exc
    except WorkingCopyError:
        conn.close()
        raise
    return conn


def _check_version(conn: sqlite3.Connection, path: Path, allow_older: bool) -> int:
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0] > 0
    except sqlite3.DatabaseError as exc:
        raise WorkingCopyError(f"{path}: not a SQLite working copy ({exc})") from exc
    if has_tables and app_id != APPLICATION_ID:
        raise WorkingCopyError(f"{path}: this SQLite file is not a sortui working copy")
    if version > SCHEMA_VERSION:
        raise WorkingCopyError(
            f"{path}: working copy has schema version {version}; this sortui knows up to {SCHEMA_VERSION}"
        )
    if not allow_older and has_tables and version < SCHEMA_VERSION:
        raise WorkingCopyError(f"{path}: working copy needs migrating; open it once without --readonly")
    return version if has_tables else 0


def create_schema(conn: sqlite3.Connection) -> None:
    """Create every table at the current version and load the shipped code lists."""
    from sortui.store.ddl import STATEMENTS  # generated from schema.py: no SQLModel needed here

    with conn:
        for _table, stmt in STATEMENTS:
            conn.execute(stmt)
        create_search_indexes(conn)
        load_code_lists(conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def create_search_indexes(conn: sqlite3.Connection) -> None:
    """The search indexes (FTS5 trigram), or why this SQLite cannot have them."""
    try:
        search_index.create_indexes(conn)
    except sqlite3.OperationalError as exc:
        if "tokenizer" not in str(exc):
            raise
        raise WorkingCopyError(
            f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer: sortui needs SQLite 3.34 or newer"
        ) from exc


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Run each migration after ``version`` in its own transaction."""
    for target in range(version + 1, SCHEMA_VERSION + 1):
        with conn:
            MIGRATIONS[target](conn)
            conn.execute(f"PRAGMA user_version = {target}")


def load_code_lists(conn: sqlite3.Connection) -> None:
    """Code lists and the MedCom catalogue shipped in ``data/codelists``."""
    from sortui.formats.medcom import read_message_definitions  # only a new working copy needs it

    codelists.load_shipped(conn)
    folder = data_dir() / "codelists"
    defs = read_message_definitions(folder / "medcom-message-definitions.csv")
    conn.executemany(
        insert_sql("message_definition", MESSAGE_DEFINITION.names, "INSERT OR REPLACE"),
        [MESSAGE_DEFINITION.values(d) for d in defs],
    )


def remove_database(path: Path, keep_file: bool = False) -> None:
    """Delete the SQLite file at ``path`` with its journal, WAL and shared-memory files (``keep_file``:
    only those, e.g. before another file is renamed onto ``path``: a stale WAL must never be replayed
    into it)."""
    for suffix in ("-wal", "-shm", "-journal", *(() if keep_file else ("",))):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
