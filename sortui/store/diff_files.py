"""Comparing two file sets (``sortui diff OLD NEW``): each side read into a throw-away file, both at once.

A side is any files ``import`` reads, or a folder of them. It is read with the register's readers
into a temporary file with the record tables of a working copy (keyed rows only: no search index,
no secondary indexes, and no rule checks: a diff shows what the files hold; ``import`` is what
refuses bad data). The old side is read by a worker process (a fresh interpreter, as the
importer's) while this process reads the new one; then ``diff.compare`` runs on the two, attached
to one connection.

When both sides' SOR trees are SOR XML (the register's own download, and by far the largest
file), a side keeps each record as it stands in the file (``sor_raw``: the record element
serialised) with only what placing a change needs of every unit (kind, parent, name, its
lokationsnummer) in the record tables. Equal bytes under the same parent make the same unit, so
only the records whose bytes differ, or that one side lacks, are parsed into the record tables
of both sides (``_expand_changed``) before ``compare``: a day's changes touch a few units in a
hundred, and parsing is most of a side's cost. A value that does not parse (an impossible
boolean) is then reported only in a record that differs.

Malformed files and duplicate keys are refused with file, line and field, as ``import`` does.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sortui.domain.codes import shak_level, shak_parent
from sortui.domain.errors import InputError
from sortui.domain.model import Entity, MessageDefinition
from sortui.paths import data_dir
from sortui.store import db
from sortui.store.diff import CHANGE_TABLE_DDL, GROUP_TABLES, Summary, change_counts, compare
from sortui.store.rows import EntityBatch, insert_sql
from sortui.store.tables import (
    ADDRESS,
    CONTACT,
    ENTITY,
    LOCAL_ATTRIBUTE,
    LOCATION,
    LOCATION_MESSAGE,
    SHAK_CODE,
    SPECIALITY,
    SUCCESSION,
)

if TYPE_CHECKING:
    from sortui.formats.sorxml import SorXmlReader

BATCH = 5000
Progress = Callable[[str, int, int], None]

# The kinds of file in the order a side reads them (the SOR tree first, message types last),
# and the kind of data each brings (``diff.GROUPS``).
KIND_ORDER = ("sor-xml", "sor-csv", "sor2-csv", "medcom", "shak-complete", "shak-region", "edi-map")
GROUP_OF = {"sor-xml": "sor", "sor-csv": "sor", "sor2-csv": "sor", "shak-complete": "shak", "edi-map": "edi"}
# In a folder, the SOR tree is read from files of one format only: the register publishes the same
# tree as sor.xml, sor.zip, sor.csv and SorEntity_daily.csv, and ``sortui generate`` writes them all.
_SOR_FORMATS = ("xml", "zip", "sor-csv", "sor2-csv")
SIDE_TABLES = (ENTITY, ADDRESS, CONTACT, SPECIALITY, LOCAL_ATTRIBUTE, SUCCESSION, LOCATION, LOCATION_MESSAGE, SHAK_CODE)
Catalogue = dict[str, MessageDefinition]


@dataclass(slots=True)
class SideFile:
    path: Path
    kind: str
    rows: int = 0


@dataclass(slots=True)
class Side:
    """One side of a diff: its files (with the rows read) and the SOR snapshot's date."""

    files: list[SideFile] = field(default_factory=list)
    snapshot_date: str | None = None
    notes: list[str] = field(default_factory=list)
    raw_sor: bool = False  # SOR XML kept as records (``sor_raw``), parsed only where the sides differ
    sor_files: list[tuple[str, str]] = field(default_factory=list)  # (path, label) by ``sor_raw.file``

    @property
    def groups(self) -> set[str]:
        return {GROUP_OF[f.kind] for f in self.files if f.kind in GROUP_OF}

    def rows(self, group: str) -> int:
        return sum(f.rows for f in self.files if GROUP_OF.get(f.kind) == group)


def side_files(paths: Sequence[Path]) -> Side:
    """The files of a side, in reading order; a folder stands for the register files in it."""
    from sortui.store.importer import detect

    side = Side()
    for path in map(Path, paths):
        if path.is_dir():
            side.files += _folder(path, side.notes)
        else:
            side.files.append(SideFile(path, detect(path)))
    side.files.sort(key=lambda f: KIND_ORDER.index(f.kind))
    return side


def _format(f: SideFile) -> str:
    if f.kind == "sor-xml":
        return "zip" if zipfile.is_zipfile(f.path) else "xml"
    return f.kind


def _folder(folder: Path, notes: list[str]) -> list[SideFile]:
    from sortui.formats.detect import detect_kind

    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            kind = detect_kind(path)
        except OSError as exc:
            raise InputError(f"cannot read file: {exc}", str(path)) from None
        if kind is not None:
            found.append(SideFile(path, kind))
    sor = [f for f in found if f.kind in ("sor-xml", "sor-csv", "sor2-csv")]
    chosen = next((fmt for fmt in _SOR_FORMATS if any(_format(f) == fmt for f in sor)), None)
    skipped = [f for f in sor if _format(f) != chosen]
    if skipped:
        kept = ", ".join(f.path.name for f in sor if f not in skipped)
        notes.append(f"{folder}: the SOR tree is read from {kept}; not from {', '.join(f.path.name for f in skipped)}")
    if not found:
        raise InputError("no file sortui knows in this folder", str(folder))
    return [f for f in found if f not in skipped]


# -- reading one side into a working copy ---------------------------------------------------------


def _create_side(path: Path, raw_sor: bool) -> sqlite3.Connection:
    """A throw-away file with the record tables a diff compares: keyed rows, clustered on the key."""
    conn = db.connect(path)
    conn.execute("PRAGMA journal_mode = MEMORY")  # nothing to recover, but a savepoint must roll back
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -32768")
    for table in SIDE_TABLES:
        cols = ", ".join(c.name for c in table.columns)
        conn.execute(f"CREATE TABLE {table.name} ({cols}, PRIMARY KEY ({', '.join(table.primary_key)})) WITHOUT ROWID")
    conn.execute(CHANGE_TABLE_DDL)
    if raw_sor:
        conn.execute(_RAW_DDL)
        conn.execute(_HEAD_DDL)
        conn.execute("CREATE INDEX sor_raw_id ON sor_raw (sor_id)")
    return conn


# A SOR XML record as it stands in the file (``sorxml.RawRecord``), with the file it came from; its
# start tag (the same for nearly every record of a file) is kept once, in ``sor_head``.
_RAW_DDL = (
    "CREATE TABLE sor_raw (file INTEGER NOT NULL, kind TEXT NOT NULL, sor_id TEXT NOT NULL,"
    " parent_sor_id TEXT, line INTEGER, name TEXT, gln TEXT, head INTEGER NOT NULL, body BLOB NOT NULL)"
)
_HEAD_DDL = "CREATE TABLE sor_head (id INTEGER PRIMARY KEY, head BLOB NOT NULL UNIQUE)"
_RAW_INSERT = "INSERT INTO sor_raw VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


def load_side(side: Side, path: Path, progress: Progress | None = None) -> Side:
    """Read the files of ``side`` into a new file at ``path``; the rows read are filled in."""
    conn = _create_side(path, side.raw_sor)
    try:
        catalogue = shipped_catalogue()
        with conn:
            for f in side.files:
                _LOADERS[f.kind](conn, f, side, progress, catalogue)
    finally:
        conn.close()
    return side


def shipped_catalogue() -> dict[str, MessageDefinition]:
    """The MedCom message definitions sortui ships (a side's catalogue file adds to them)."""
    from sortui.formats.medcom import read_message_definitions

    path = data_dir() / "codelists" / "medcom-message-definitions.csv"
    return {d.urn: d for d in read_message_definitions(path)}


def _sor_entities(f: SideFile) -> tuple[Iterator[Entity], SorXmlReader | None]:
    """The entities of a SOR file, and the reader that knows its header (SOR XML only)."""
    if f.kind == "sor-xml":
        from sortui.formats.sorxml import SorXmlReader

        reader = SorXmlReader(f.path, str(f.path))
        return iter(reader), reader
    if f.kind == "sor-csv":
        from sortui.formats.sorcsv import read_sor_csv

        return read_sor_csv(f.path, str(f.path)), None
    from sortui.formats.sor2csv import read_sor2_csv

    return read_sor2_csv(f.path, str(f.path)), None


def _load_sor(
    conn: sqlite3.Connection, f: SideFile, side: Side, progress: Progress | None, catalogue: Catalogue
) -> None:
    if side.raw_sor:
        _load_sor_raw(conn, f, side, progress)
        return
    entities, reader = _sor_entities(f)
    batch, written = EntityBatch(), []  # the batch's entities, to name a duplicate by its line
    for ent in entities:
        batch.add(ent)
        written.append(ent)
        f.rows += 1
        if batch.count >= BATCH:
            _flush(conn, batch, written, reader.label if reader else str(f.path))
            if progress and reader:
                progress(str(f.path), reader.bytes_read, reader.total_bytes)
    _flush(conn, batch, written, reader.label if reader else str(f.path))
    if reader is not None:
        side.snapshot_date = side.snapshot_date or reader.snapshot_date


def _load_sor_raw(conn: sqlite3.Connection, f: SideFile, side: Side, progress: Progress | None) -> None:
    """A SOR XML file's records as they stand, and each unit's place and number in the record tables."""
    from sortui.formats.sorxml import SorXmlReader

    reader = SorXmlReader(f.path, str(f.path))
    number = len(side.sor_files)
    start = conn.execute("SELECT coalesce(max(rowid), 0) FROM sor_raw").fetchone()[0]
    rows: list[tuple] = []
    heads = dict(conn.execute("SELECT head, id FROM sor_head LIMIT ?", (_KNOWN_HEADS,)).fetchall())
    for *record, head, body in reader.records():
        head_id = heads.get(head)
        if head_id is None:
            head_id = _head_id(conn, heads, head)
        rows.append((number, *record, head_id, body))
        f.rows += 1
        if len(rows) >= BATCH:
            conn.executemany(_RAW_INSERT, rows)
            rows.clear()
            if progress:
                progress(str(f.path), reader.bytes_read, reader.total_bytes)
    conn.executemany(_RAW_INSERT, rows)
    side.sor_files.append((str(f.path), reader.label))
    side.snapshot_date = side.snapshot_date or reader.snapshot_date
    _place_units(conn, start, reader.label)


_KNOWN_HEADS = 256  # start tags remembered in memory: a file whose every record declares its own stays bounded


def _head_id(conn: sqlite3.Connection, heads: dict[bytes, int], head: bytes) -> int:
    conn.execute("INSERT OR IGNORE INTO sor_head (head) VALUES (?)", (head,))
    head_id = conn.execute("SELECT id FROM sor_head WHERE head = ?", (head,)).fetchone()[0]
    if len(heads) < _KNOWN_HEADS:
        heads[head] = head_id
    return head_id


def _place_units(conn: sqlite3.Connection, start: int, label: str) -> None:
    """Each unit's kind, parent and name, and its lokationsnummer's owner, from the records after ``start``.

    These are all a change's placement reads of a unit that did not change; a duplicate SOR-kode or
    lokationsnummer is refused here with the line of its second record, as a full read refuses it.
    """
    for sql, column, what, where in _PLACES:
        try:
            conn.execute(sql, (start,))
        except sqlite3.IntegrityError:
            value, line = _first_repeat(conn, column)
            raise InputError(f"duplicate {what} {value}", label, line, where) from None


_PLACES = (
    (
        "INSERT INTO entity (sor_id, kind, parent_sor_id, name)"
        " SELECT sor_id, kind, parent_sor_id, name FROM sor_raw WHERE rowid > ? ORDER BY sor_id",
        "sor_id",
        "SOR-kode",
        "SorIdentifier",
    ),
    (
        "INSERT INTO location (gln, owner_sor_id)"
        " SELECT gln, sor_id FROM sor_raw WHERE rowid > ? AND gln IS NOT NULL ORDER BY gln",
        "gln",
        "lokationsnummer",
        "EanLocationCode",
    ),
)


def _first_repeat(conn: sqlite3.Connection, column: str) -> tuple[str, int | None]:
    """The first record, in reading order, whose ``column`` an earlier record has too."""
    return conn.execute(
        f"SELECT r.{column}, r.line FROM sor_raw r JOIN (SELECT {column} AS value, min(rowid) AS first"
        f" FROM sor_raw WHERE {column} IS NOT NULL GROUP BY {column} HAVING count(*) > 1) d"
        f" ON r.{column} = d.value AND r.rowid > d.first ORDER BY r.rowid LIMIT 1"
    ).fetchone()


def _expand_changed(conn: sqlite3.Connection, old: Side, new: Side) -> None:
    """Parse into the record tables of both sides (``old`` and ``main``) the records whose bytes differ."""
    conn.execute("CREATE TEMP TABLE raw_changed (sor_id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute(
        "INSERT OR IGNORE INTO temp.raw_changed SELECT o.sor_id FROM old.sor_raw o"
        " LEFT JOIN main.sor_raw n ON n.sor_id = o.sor_id WHERE n.sor_id IS NULL OR n.body IS NOT o.body"
        " OR n.kind IS NOT o.kind OR n.parent_sor_id IS NOT o.parent_sor_id"
        " OR (SELECT head FROM main.sor_head WHERE id = n.head) IS NOT (SELECT head FROM old.sor_head WHERE id = o.head)"
    )
    conn.execute(
        "INSERT OR IGNORE INTO temp.raw_changed SELECT n.sor_id FROM main.sor_raw n"
        " WHERE NOT EXISTS (SELECT 1 FROM old.sor_raw o WHERE o.sor_id = n.sor_id)"
    )
    for schema, side in (("old", old), ("main", new)):
        _parse_changed(conn, schema, side)
    conn.execute("DROP TABLE temp.raw_changed")


def _parse_changed(conn: sqlite3.Connection, schema: str, side: Side) -> None:
    from sortui.formats.sorxml import SorXmlReader

    changed = "(SELECT sor_id FROM temp.raw_changed)"
    conn.execute(f"DELETE FROM {schema}.location WHERE owner_sor_id IN {changed}")
    conn.execute(f"DELETE FROM {schema}.entity WHERE sor_id IN {changed}")
    readers = [SorXmlReader(Path(path), label) for path, label in side.sor_files]
    batch = EntityBatch(schema)
    records = conn.execute(
        f"SELECT r.file, r.kind, r.parent_sor_id, r.line, h.head, r.body FROM {schema}.sor_raw r"
        f" JOIN {schema}.sor_head h ON h.id = r.head WHERE r.sor_id IN {changed}"
    )
    for number, kind, parent, line, head, body in records:
        batch.add(readers[number].entity_from_raw(kind, parent, line, head + body))
        if batch.count >= BATCH:
            batch.flush(conn)
    batch.flush(conn)


def _flush(conn: sqlite3.Connection, batch: EntityBatch, entities: list[Entity], label: str) -> None:
    """Write a batch; a duplicate SOR id or location number is named with its line."""
    conn.execute("SAVEPOINT side_batch")
    try:
        batch.flush(conn)
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO side_batch")
        conn.execute("RELEASE side_batch")
        _name_duplicate(conn, entities, label)
        raise
    conn.execute("RELEASE side_batch")
    entities.clear()


def _name_duplicate(conn: sqlite3.Connection, entities: list[Entity], label: str) -> None:
    for ent in entities:
        one = EntityBatch()
        one.add(ent)
        try:
            one.flush(conn)
        except sqlite3.IntegrityError as exc:
            if "location" in str(exc) and ent.location is not None:
                raise InputError(
                    f"duplicate lokationsnummer {ent.location.gln}", label, ent.source_line, "EanLocationCode"
                ) from None
            raise InputError(f"duplicate SOR-kode {ent.sor_id}", label, ent.source_line, "SorIdentifier") from None


def _insert_lines(
    conn: sqlite3.Connection,
    sql: str,
    rows: list[tuple],
    lines: list[int | None],
    label: str,
    what: Callable[[tuple], str],
) -> None:
    """Insert rows of a line-based file; a duplicate key is named with its line."""
    conn.execute("SAVEPOINT side_lines")
    try:
        conn.executemany(sql, rows)
    except sqlite3.IntegrityError:
        # executemany keeps the rows before the duplicate: undo them, or the first row would be "twice"
        conn.execute("ROLLBACK TO side_lines")
        conn.execute("RELEASE side_lines")
        for row, line in zip(rows, lines, strict=True):
            try:
                conn.execute(sql, row)
            except sqlite3.IntegrityError:
                raise InputError(f"{what(row)} appears twice", label, line) from None
        raise
    conn.execute("RELEASE side_lines")
    rows.clear()
    lines.clear()


def _load_shak(
    conn: sqlite3.Connection, f: SideFile, side: Side, progress: Progress | None, catalogue: Catalogue
) -> None:
    from sortui.formats.shak import read_shak_complete

    sql = insert_sql("shak_code", SHAK_CODE.names)
    rows: list[tuple] = []
    lines: list[int | None] = []
    for code in read_shak_complete(f.path, str(f.path)):
        level = shak_level(code.code) or code.record_type  # derived, and not compared
        rows.append(SHAK_CODE.values(code, level=level, parent_code=shak_parent(code.code)))
        lines.append(code.source_line)
        f.rows += 1
        if len(rows) >= BATCH:
            _insert_lines(conn, sql, rows, lines, str(f.path), lambda r: f"SHAK-kode {r[0]} from {r[1]}")
    _insert_lines(conn, sql, rows, lines, str(f.path), lambda r: f"SHAK-kode {r[0]} from {r[1]}")


def _load_edi(
    conn: sqlite3.Connection, f: SideFile, side: Side, progress: Progress | None, catalogue: Catalogue
) -> None:
    from sortui.formats.edimap import read_location_messages

    sql = insert_sql("location_message", LOCATION_MESSAGE.names)
    rows: list[tuple] = []
    lines: list[int | None] = []
    for msg in read_location_messages(f.path, str(f.path), catalogue):
        rows.append(LOCATION_MESSAGE.values(msg))
        lines.append(msg.source_line)
        f.rows += 1
        if len(rows) >= BATCH:
            _insert_lines(conn, sql, rows, lines, str(f.path), lambda r: f"message type {r[1]} on {r[0]}")
    _insert_lines(conn, sql, rows, lines, str(f.path), lambda r: f"message type {r[1]} on {r[0]}")


def _load_medcom(
    conn: sqlite3.Connection, f: SideFile, side: Side, progress: Progress | None, catalogue: Catalogue
) -> None:
    from sortui.formats.medcom import read_message_definitions

    defs = read_message_definitions(f.path, str(f.path))
    catalogue.update((d.urn, d) for d in defs)  # read before the message types (KIND_ORDER)
    f.rows = len(defs)


def _skip_region(
    conn: sqlite3.Connection, f: SideFile, side: Side, progress: Progress | None, catalogue: Catalogue
) -> None:
    side.notes.append(f"{f.path}: SHAKregion.txt is not compared")


_LOADERS: dict[str, Callable[[sqlite3.Connection, SideFile, Side, Progress | None, Catalogue], None]] = {
    "sor-xml": _load_sor,
    "sor-csv": _load_sor,
    "sor2-csv": _load_sor,
    "shak-complete": _load_shak,
    "edi-map": _load_edi,
    "medcom": _load_medcom,
    "shak-region": _skip_region,
}


# -- the other side in a worker process ------------------------------------------------------------------


class _SideWorker:
    """Reads a side in a fresh interpreter (``_side_main``); ``result()`` waits for it and raises its error."""

    def __init__(self, side: Side, path: Path):
        self.side, self.path = side, path
        self._process: subprocess.Popen[bytes] | None = None
        if getattr(sys, "frozen", False) or not sys.executable:
            return
        code = "import sys, json; sys.path[:] = json.loads(sys.argv[1]); import sortui.store.diff_files as d; d._side_main()"
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", code, json.dumps(sys.path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert self._process.stdin is not None
            with self._process.stdin as args:
                pickle.dump((side, str(path)), args)
        except OSError:  # no worker: the side is read here instead, after the other
            self.close()

    def result(self) -> Side:
        if self._process is None:
            return load_side(self.side, self.path)
        assert self._process.stdout is not None
        answer = self._process.stdout.read()
        self._process.wait()
        self._process = None
        try:
            status, value = pickle.loads(answer)
        except Exception:  # the worker died without an answer: read the side here, which says why
            status, value = "failed", None
        if status == "ok":
            return value
        if status == "input":
            raise InputError(*value)
        Path(self.path).unlink(missing_ok=True)
        return load_side(self.side, self.path)

    def close(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
            self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
            self._process = None


def _side_main() -> None:
    """The worker process: the side and its file come pickled on stdin; the answer goes to stdout."""
    side, path = pickle.load(sys.stdin.buffer)
    try:
        answer: tuple = ("ok", load_side(side, Path(path)))
    except InputError as exc:
        answer = ("input", (exc.message, exc.at.file, exc.at.line, exc.at.where))
    except BaseException as exc:  # anything else: the caller reads the side itself and reports it
        answer = ("failed", f"{type(exc).__name__}: {exc}")
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()


# -- the diff -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class FileDiff:
    """Two sides compared: their files, what was compared, and the connection to read the changes from."""

    conn: sqlite3.Connection
    old: Side
    new: Side
    summary: Summary


@contextlib.contextmanager
def diff_files(
    old: Sequence[Path], new: Sequence[Path], progress: Progress | None = None, work_dir: Path | None = None
) -> Iterator[FileDiff]:
    """Compare the file sets ``old`` and ``new``; the changes are read from ``FileDiff.conn`` (``diff.read_changes``).

    The kinds of data (SOR tree, message types, SHAK codes) are compared when both sides have
    them; ``summary`` says which one side only had. The temporary files go when the block ends.
    """
    old_side, new_side = side_files(old), side_files(new)
    old_side.raw_sor = new_side.raw_sor = _all_sor_xml(old_side) and _all_sor_xml(new_side)
    with tempfile.TemporaryDirectory(prefix="sortui-diff-", dir=work_dir) as folder:
        old_db, new_db = Path(folder) / "old.sqlite", Path(folder) / "new.sqlite"
        worker = _SideWorker(old_side, old_db)
        try:
            load_side(new_side, new_db, progress)
            old_side = worker.result()
        finally:
            worker.close()
        conn = db.connect(new_db)
        try:
            conn.execute("ATTACH DATABASE ? AS old", (str(old_db),))
            summary = Summary(compared=[g for g in GROUP_TABLES if g in old_side.groups & new_side.groups])
            summary.only_old = {g: old_side.rows(g) for g in GROUP_TABLES if g in old_side.groups - new_side.groups}
            summary.only_new = {g: new_side.rows(g) for g in GROUP_TABLES if g in new_side.groups - old_side.groups}
            with conn:
                if new_side.raw_sor:
                    _expand_changed(conn, old_side, new_side)
                compare(conn, "old", "main", summary.compared)
            summary.counts = change_counts(conn)
            yield FileDiff(conn, old_side, new_side, summary)
        finally:
            conn.close()


def _all_sor_xml(side: Side) -> bool:
    """Whether the side's SOR tree is there and read from SOR XML only (plain or zipped)."""
    kinds = [f.kind for f in side.files if GROUP_OF.get(f.kind) == "sor"]
    return bool(kinds) and all(kind == "sor-xml" for kind in kinds)
