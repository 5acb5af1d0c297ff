"""Tables of the working copy (SQLModel), following sor-domain.md's recommended model.

The DDL is generated from SQLModel's metadata and run on a plain sqlite3 connection (see
``db.py``), which keeps the hot paths (bulk import, tree queries) free of ORM overhead. The
tables of register records are made from their layout in ``tables.py`` (itself derived from
the domain records); the working copy's own tables (journal, review, sync) are written out here.
Only migrating a working copy loads this module; a new one is created from ``ddl.py``, the same
statements generated from here as plain data (``ddl_module``).

Own values only: inherited addresses, contact data and location numbers are
computed by walking up the parents, never stored.
"""

from __future__ import annotations

from sqlalchemy import Index, PrimaryKeyConstraint
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import registry
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import Field, SQLModel

from sortui.store.tables import TABLES, Table


class WorkingCopyModel(SQLModel, registry=registry()):
    """Base of the working copy's tables: their own metadata, apart from the server's."""


def _record_model(table: Table) -> type[WorkingCopyModel]:
    """The SQLModel table of a record table's layout (``EntityRow`` for ``entity`` ...)."""
    namespace = {
        "__module__": __name__,
        "__tablename__": table.name,
        "__table_args__": (
            PrimaryKeyConstraint(*table.primary_key),
            *(Index(name, *columns) for name, columns in table.indexes.items()),
        ),
        "__annotations__": {c.name: c.type | None if c.nullable else c.type for c in table.columns},
        **{c.name: c.default for c in table.columns if c.default is not None},
    }
    name = "".join(part.title() for part in table.name.split("_")) + "Row"
    return type(WorkingCopyModel)(name, (WorkingCopyModel,), namespace, table=True)


# Kept referenced: SQLAlchemy's registry holds its classes weakly.
_RECORD_MODELS = [_record_model(table) for table in TABLES.values()]


class CodeListRow(WorkingCopyModel, table=True):
    __tablename__ = "code_list"
    __table_args__ = (PrimaryKeyConstraint("list", "code"),)
    list: str
    code: str
    text: str
    confirmed: str = Field(default="yes", sa_column_kwargs={"server_default": "yes"})  # yes / inferred / no
    source: str = Field(default="shipped", sa_column_kwargs={"server_default": "shipped"})  # or the file imported


class JournalRow(WorkingCopyModel, table=True):
    """One local edit, committed before the UI says it is saved; pending until synced.

    ``old_value``/``new_value`` are JSON. ``base_version`` is the version of the
    entity or location number the edit was made on (for conflict detection).
    """

    __tablename__ = "journal"
    __table_args__ = (
        Index("ix_journal_target", "target", "key"),
        Index("ix_journal_status", "status"),
        Index("ix_journal_group", "group_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: str
    target: str  # entity / location / message
    key: str  # SOR id, or GLN for location and message edits
    op: str  # set / create / close / move / add / remove
    field: str | None = None  # e.g. "name", "postal.street", "contact.phone", "location.system_type"
    old_value: str | None = None
    new_value: str | None = None
    base_version: int = 0
    status: str = "pending"  # pending / sent / synced
    changeset_id: str | None = None
    group_id: int | None = None  # the entries of one bulk change share it: listed and undone as one


class ReviewSessionRow(WorkingCopyModel, table=True):
    """A named bulk review: a fixed queue of items taken from a rule, a search or a subtree."""

    __tablename__ = "review_session"
    name: str = Field(primary_key=True)
    source: str  # e.g. "rule:no-message-types", "search:klinik", "subtree:<SOR id>"
    created_at: str
    on_date: str | None = None
    position: int = 1  # the item the reviewer is at (1-based)


class ReviewItemRow(WorkingCopyModel, table=True):
    __tablename__ = "review_item"
    __table_args__ = (PrimaryKeyConstraint("session", "seq"), Index("ix_review_item_decision", "session", "decision"))
    session: str
    seq: int
    target: str  # entity / location
    key: str  # SOR id or GLN
    reason: str
    decision: str | None = None  # approved / flagged / skipped
    note: str | None = None
    decided_at: str | None = None


class ReviewLogRow(WorkingCopyModel, table=True):
    """Each decision with what it replaced, so the last one can be undone."""

    __tablename__ = "review_log"
    id: int | None = Field(default=None, primary_key=True)
    session: str
    seq: int
    previous_decision: str | None = None
    previous_note: str | None = None
    previous_position: int = 1


class SyncStateRow(WorkingCopyModel, table=True):
    """Where this working copy synchronises (one row): the service, the user, how far the feed was pulled.

    No secret here: the token or password lives in the system keyring.
    """

    __tablename__ = "sync_state"
    id: int = Field(default=1, primary_key=True)
    service_url: str | None = None
    user_name: str | None = None
    service_id: str | None = None  # the service's own id, to notice a working copy pointed at another one
    last_seq: int = 0  # the newest change-feed sequence number applied here
    last_sync_at: str | None = None


class ConflictRow(WorkingCopyModel, table=True):
    """A pending edit the service refused because the field changed there meanwhile (409).

    Values are JSON: the value the edit was based on, the local one and the service's.
    """

    __tablename__ = "conflict"
    __table_args__ = (Index("ix_conflict_item", "target", "key", "field"),)
    id: int | None = Field(default=None, primary_key=True)
    entry_id: int  # the newest pending journal entry of the field
    target: str
    key: str
    field: str | None = None
    base_value: str | None = None
    local_value: str | None = None
    server_value: str | None = None
    base_version: int = 0
    server_version: int | None = None
    detected_at: str


class ImportChangeRow(WorkingCopyModel, table=True):
    """What the last import changed (``store/diff.py``): one row a change, replaced by the next import.

    ``fields`` is JSON, ``{path: [old, new]}``; ``unit`` is the unit the change belongs to (a location
    number's owner; a removed unit's parent) and ``institution`` the SI (or IE) it stands under.
    ``seen`` is set once the user has looked at the unit in the app.
    """

    __tablename__ = "import_change"
    __table_args__ = (Index("ix_import_change_unit", "unit", "seen"),)
    seq: int | None = Field(default=None, primary_key=True)
    target: str  # entity / location / message / shak
    key: str  # SOR id, GLN or SHAK code
    change: str  # added / removed / closed / reopened / moved / changed
    detail: str | None = None  # a message type's URN; a SHAK code version's valid_from
    name: str | None = None
    fields: str = "{}"
    unit: str | None = None
    institution: str | None = None
    institution_name: str | None = None
    seen: bool = False


class ImportRunRow(WorkingCopyModel, table=True):
    """The last import (one row): when, and per kind of data whether it was compared or loaded anew (JSON)."""

    __tablename__ = "import_run"
    id: int = Field(default=1, primary_key=True)
    imported_at: str
    summary: str = "{}"


class DownloadRow(WorkingCopyModel, table=True):
    """A file ``sortui update`` imported, with the validators of a conditional GET for the next time."""

    __tablename__ = "download"
    url: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    sha256: str | None = None
    fetched_at: str


# The tables added at each schema version (``db.MIGRATIONS`` creates them in older working copies).
ADDED_TABLES: dict[int, tuple[str, ...]] = {2: ("import_change", "import_run", "download")}


def ddl_statements(tables: tuple[str, ...] | None = None) -> list[str]:
    """CREATE statements for the current schema (or only ``tables``), generated from the SQLModel metadata.

    The search indexes are not among them: ``search_index.create_indexes`` makes those.
    """
    dialect = sqlite.dialect()
    out: list[str] = []
    for table in WorkingCopyModel.metadata.sorted_tables:
        if tables is not None and table.name not in tables:
            continue
        out.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            out.append(str(CreateIndex(index).compile(dialect=dialect)).strip())
    return out


def ddl_module() -> str:
    """The text of ``ddl.py``: the statements of ``ddl_statements()`` by table, as plain data.

    Regenerate after a change to the tables: ``python -m sortui.store.schema > sortui/store/ddl.py``
    (then ``ruff format``); tests/test_startup.py checks that the two agree.
    """
    dialect = sqlite.dialect()
    lines = [
        '"""The working copy\'s CREATE statements as plain data, generated from ``schema.py`` (do not edit).',
        "",
        "Creating a working copy runs these without loading SQLModel and SQLAlchemy (a third of a second",
        "of a new working copy's import); ``python -m sortui.store.schema > sortui/store/ddl.py`` writes",
        "this file again, and a test checks that it says what the SQLModel tables say.",
        '"""',
        "",
        "# (table, statement), in the order ``schema.ddl_statements()`` gives them.",
        "STATEMENTS: tuple[tuple[str, str], ...] = (",
    ]
    for table in WorkingCopyModel.metadata.sorted_tables:
        statements = [str(CreateTable(table).compile(dialect=dialect)).strip()]
        statements += [
            str(CreateIndex(index).compile(dialect=dialect)).strip()
            for index in sorted(table.indexes, key=lambda i: i.name or "")
        ]
        lines += [f"    ({table.name!r}, {stmt!r})," for stmt in statements]
    lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(ddl_module(), end="")
