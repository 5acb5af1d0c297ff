"""All-or-nothing import of the register's files into the working copy.

An existing working copy is imported into in place, in one SQLite transaction that holds its write
lock from the start to the end (``db.write_transaction``): readers (the app) go on seeing the data
as it was until the import commits; an edit made meanwhile waits for the import or, after
``db.BUSY_TIMEOUT_MS``, is refused with a message naming it; on any error (or a kill) the
transaction is rolled back and the working copy is byte-for-byte as it was. A new working copy is
built in a staging file and renamed into place when complete. Either way the import's files are
named after it and removed by whoever finds them left by a dead process (``workfiles``).

A large SOR file (XML, zipped XML, sor.csv or SorEntity CSV) is read in two parts at once, by this
process and a worker process (see "a large SOR file in two parts at once" below); the result is the
same as reading it as a whole, which is what happens on any error.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import json
import marshal
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

from sortui.domain.errors import InputError, InputWarning, SourcePos
from sortui.domain.model import Entity, LocationMessage, ShakCode, ShakHospital, Snapshot
from sortui.domain.validation import validate_entity
from sortui.formats.common import sha256_of
from sortui.store import db, diff, workfiles
from sortui.store.diff import Summary as ChangeSummary
from sortui.store.rows import EntityBatch, insert_sql
from sortui.store.search_index import INSERT_SQL as SEARCH_INSERT_SQL
from sortui.store.search_index import rebuild_search, rebuild_search_shak, search_row
from sortui.store.tables import ENTITY_TABLES, LOCATION_MESSAGE, MESSAGE_DEFINITION, SHAK_CODE, SHAK_HOSPITAL, SNAPSHOT

if TYPE_CHECKING:
    from sortui.formats.common import CsvPart
    from sortui.formats.sorxml import XmlPart

    Part = XmlPart | CsvPart

BATCH = 5000
MAX_WARNINGS_KEPT = 50

# progress(label, done, total): bytes or lines done of the file being imported.
Progress = Callable[[str, int, int], None]


@dataclass
class FileReport:
    path: str
    kind: str
    rows: int = 0
    warnings: list[InputWarning] = field(default_factory=list)
    warning_count: int = 0

    def warn(self, warning: InputWarning) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS_KEPT:
            self.warnings.append(warning)


@dataclass
class ImportNotes:
    reapplied: int = 0  # pending edits applied again on the new data
    orphaned: int = 0  # pending edits whose unit or location number is no longer there


@dataclass
class Replaced:
    """What an import replaced of one kind of data: how many rows before and after, from which files."""

    kind: str  # sor, shak, shak-region, edi (a snapshot kind)
    before: int
    after: int = 0
    sources: list[str] = field(default_factory=list)  # the files the replaced rows came from
    snapshot_date: str | None = None  # of the replaced SOR snapshot


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    notes: ImportNotes = field(default_factory=ImportNotes)
    replaced: list[Replaced] = field(default_factory=list)  # kinds of data that were there before
    changes: ChangeSummary = field(default_factory=ChangeSummary)  # what was compared (store/diff.py)


# The table whose rows say how much there is of each kind of data an import replaces.
REPLACED_ROWS = {"sor": "entity", "shak": "shak_code", "shak-region": "shak_hospital", "edi": "location_message"}


SOR_KINDS = ("sor-xml", "sor-csv", "sor2-csv")
# The files of one import are loaded in this order of their kinds, whatever order they were named in:
# the message types on lokationsnumre (edi-map) refer to the units' lokationsnumre and to the MedCom
# catalogue's message types, so those come first.
LOAD_ORDER = (*SOR_KINDS, "medcom", "shak-complete", "shak-region", "edi-map")


def detect(path: Path) -> str:
    from sortui.formats.detect import detect_kind

    if path.is_dir():
        raise InputError("a directory, not a file (name the files in it)", str(path))
    if not path.exists():
        raise InputError("no such file", str(path))
    if not path.is_file():
        raise InputError("not a regular file (a pipe or a device?)", str(path))
    try:
        kind = detect_kind(path)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", str(path)) from None
    if kind is None:
        raise InputError(
            "not a file sortui knows (SOR XML or zip, sor.csv, SorEntity CSV, SHAKCOMPLETE.TXT, "
            "SHAKregion.txt, location-number/message-type CSV, MedCom catalogue)",
            str(path),
            1,
        )
    return kind


def import_files(
    db_path: Path, paths: Iterable[Path], progress: Progress | None = None, allow_empty: bool = False
) -> ImportReport:
    """Import ``paths`` into the working copy at ``db_path``, all or nothing (in ``LOAD_ORDER``).

    An import that would leave no unit where there were some is refused unless ``allow_empty``.
    """
    db_path = Path(db_path)
    workfiles.remove_stale(db_path)
    jobs = sorted(((Path(p), detect(Path(p))) for p in paths), key=lambda job: LOAD_ORDER.index(job[1]))
    if running := workfiles.running_imports(db_path):
        raise db.WorkingCopyBusy(f"{db_path}: {running[0].describe()} is running; wait for it to finish")
    report = ImportReport()
    with workfiles.ImportLock(db_path, [p for p, _ in jobs]) as lock, contextlib.ExitStack() as workers:
        starting = _early_worker(jobs, lock, workers)
        try:
            with _target(db_path, lock) as (conn, has_old), db.write_transaction(conn):
                loader = _Loader(conn, progress, lock, starting(), keep_old=has_old)
                for path, kind in jobs:
                    report.files.append(loader.load(path, kind))
                loader.refuse_emptying(allow_empty)
                report.notes = loader.finish()
                report.replaced = loader.replaced()
                # What this import changed, recorded with it (in the same transaction).
                report.changes = diff.record_import(conn, loader.cleared, diff.OLD if has_old else None)
        finally:
            with contextlib.suppress(Exception):  # its worker, if any, is in ``workers``: ended with them
                starting()
    return report


@contextlib.contextmanager
def _target(db_path: Path, lock: workfiles.ImportLock) -> Iterator[tuple[sqlite3.Connection, bool]]:
    """The connection an import writes through: to the working copy itself, or, for a new one, to a
    staging file that is renamed into place when the block ends without an error. The flag says
    whether there is old data to compare with: the working copy's, kept aside as the import
    replaces it (``diff.keep_old``) in a file of the import's own, removed at the end."""
    if db_path.exists() and db_path.stat().st_size > 0:
        conn = db.open_working_copy(db_path)
        old = lock.path("old")
        try:
            # The old data's pages are reused for the new, and a savepoint (``_load_sor_parts``) keeps
            # what each held before: in a temporary file (not in memory, which would grow with the file).
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA temp_store = FILE")
            diff.attach_old(conn, old)  # outside the import's transaction, where ATTACH cannot run
            yield conn, True
            # Give the space of a large import's write-ahead log back (unless a reader still needs it).
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA busy_timeout = 100")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            with contextlib.suppress(sqlite3.Error):
                diff.detach_old(conn)
            conn.close()
            _remove(old)
        return
    staging = lock.path("tmp")
    try:
        conn = db.open_working_copy(staging)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA temp_store = MEMORY")
            yield conn, False
        finally:
            conn.close()
        _swap_in(staging, db_path)
    except BaseException:
        _remove(staging)
        raise


def _swap_in(staging: Path, db_path: Path) -> None:
    """Put the finished staging file of a new working copy in its place (atomic rename)."""
    with contextlib.closing(sqlite3.connect(staging)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    for suffix in ("-wal", "-shm"):
        _remove(Path(f"{db_path}{suffix}"))
    os.replace(staging, db_path)
    _fsync_dir(db_path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


class _Loader:
    """Loads files of each kind into the working copy (inside the import's one transaction); replaces
    each kind's data once per run."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        progress: Progress | None,
        lock: workfiles.ImportLock,
        early: dict[Path, _Split] | None = None,
        keep_old: bool = False,
    ):
        self.conn = conn
        self.keep_old = keep_old  # keep what is replaced, to record the changes (``diff.keep_old``)
        self.progress = progress
        self.lock = lock  # names the files of worker processes
        self.early = early or {}  # workers already started, by file
        self.cleared: dict[str, Replaced] = {}  # what each kind replaced
        self.sor_loaded = False
        self.flat_loaded = False  # a SOR file with explicit parents (which can loop)
        self.sor_rows = 0  # units read from the SOR files
        self.sor_sources: list[tuple[Path, str, str]] = []  # (path, kind, label) for error look-ups
        # The search index is filled as the entities stream in (rows computed in Python, rowid = the
        # entity's): ``search_rowid`` is the rowid of the last entity written. Should SQLite ever number
        # the entities otherwise, the index is rebuilt from the tables at the end instead.
        self.search_rowid = 0
        self.search_stale = False

    def load(self, path: Path, kind: str) -> FileReport:
        report = FileReport(str(path), kind)
        label = str(path)
        if kind in SOR_KINDS:
            self._load_sor(path, kind, label, report)
        elif kind == "shak-complete":
            self._load_shak(path, label, report)
        elif kind == "shak-region":
            self._load_shak_region(path, label, report)
        elif kind == "edi-map":
            self._load_edi_map(path, label, report)
        elif kind == "medcom":
            self._load_medcom(path, label, report)
        else:  # pragma: no cover - detect() only returns the kinds above
            raise InputError(f"unsupported kind {kind}", label)
        return report

    def _clear_once(self, group: str, tables: tuple[str, ...]) -> None:
        if group in self.cleared:
            return
        self.cleared[group] = self._before(group)
        if self.keep_old and group in diff.GROUPS:
            diff.keep_old(self.conn, tables)
        for table in tables:
            self.conn.execute(f"DELETE FROM {table}")
        if group == "sor":
            self.conn.execute("DELETE FROM search")
        self.conn.execute("DELETE FROM snapshot WHERE kind = ?", (group,))

    def _before(self, group: str) -> Replaced:
        """How much data of ``group`` there is before it is replaced, and from which files."""
        count = self.conn.execute(f"SELECT count(*) FROM {REPLACED_ROWS[group]}").fetchone()[0]
        rows = self.conn.execute(
            "SELECT source_file, snapshot_date FROM snapshot WHERE kind = ? ORDER BY source_file", (group,)
        ).fetchall()
        return Replaced(
            group,
            count,
            sources=[r[0] for r in rows],
            snapshot_date=max((r[1] or "" for r in rows), default=None) or None,
        )

    def replaced(self) -> list[Replaced]:
        """What this import replaced, with the counts after it (kinds that held nothing before are left out)."""
        for group, replaced in self.cleared.items():
            replaced.after = self.conn.execute(f"SELECT count(*) FROM {REPLACED_ROWS[group]}").fetchone()[0]
        return [r for r in self.cleared.values() if r.before]

    def refuse_emptying(self, allow_empty: bool) -> None:
        """Refuse an import whose SOR files hold no unit while the working copy has some (a file of the
        wrong kind, an empty SorTree): it would remove them all. ``allow_empty`` lets it through."""
        replaced = self.cleared.get("sor")
        if allow_empty or replaced is None or not replaced.before or self.sor_rows:
            return
        path = self.sor_sources[0][0]
        files = "the SOR file holds" if len(self.sor_sources) == 1 else "the SOR files hold"
        raise InputError(
            f"{files} no units: importing would remove all {replaced.before} units of the working copy"
            " (add --allow-empty to import it anyway)",
            str(path),
        )

    def _snapshot(
        self,
        kind: str,
        path: Path,
        rows: int,
        snapshot_date: str | None = None,
        created_at: str | None = None,
        sha256: str | None = None,
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        snapshot = Snapshot(kind, str(path.resolve()), snapshot_date, created_at, sha256 or sha256_of(path))
        self.conn.execute(
            insert_sql("snapshot", SNAPSHOT.names, "INSERT OR REPLACE"),
            SNAPSHOT.values(snapshot, imported_at=now, rows=rows),
        )

    # -- SOR entities --------------------------------------------------------

    def _sor_reader(self, path: Path, kind: str, label: str) -> tuple[Iterator[Entity], object]:
        if kind == "sor-xml":
            from sortui.formats.sorxml import SorXmlReader

            reader = SorXmlReader(path, label)
            return iter(reader), reader
        return _flat_entities(kind, path, label, None)

    def _load_sor(self, path: Path, kind: str, label: str, report: FileReport) -> None:
        self._clear_once("sor", ENTITY_TABLES)
        self.sor_sources.append((path, kind, label))
        self.flat_loaded = self.flat_loaded or kind != "sor-xml"
        digest = _in_background(sha256_of, path)  # the file's hash for the snapshot row, on the side
        # Started early, or now (in a process of its own: this one has the working copy open by now).
        split = self.early.pop(path, None) or _split(path, kind, label, self.lock, fork=False)
        if split is not None:
            with split.worker:  # ends it as soon as it is done with (or has failed)
                done = self._load_sor_parts(path, split, report, digest)
            if split.source != path:
                split.source.unlink(missing_ok=True)
            if done:
                return
        entities, reader = self._sor_reader(path, kind, label)
        self._stream(entities, reader, path, label, report, kind)
        snapshot_date, created_at = getattr(reader, "snapshot_date", None), getattr(reader, "created_at", None)
        self._sor_done(path, report, snapshot_date, created_at, digest())

    def _stream(
        self,
        entities: Iterator[Entity],
        reader: object,
        path: Path,
        label: str,
        report: FileReport,
        kind: str,
        whole: bool = True,
        explain: bool = True,
    ) -> None:
        """Check the entities and write them (and their search rows) in batches."""
        batch = EntityBatch()
        search: list[tuple] = []
        self.search_rowid = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM entity").fetchone()[0]
        total = path.stat().st_size
        for ent in entities:
            label = getattr(reader, "label", label)
            _check_entity(ent, label, report, kind)
            batch.add(ent)
            search.append(search_row(ent))
            report.rows += 1
            if batch.count >= BATCH:
                self._flush(batch, search, explain)
                if self.progress:
                    done = reader.bytes_read if reader is not None else 0  # type: ignore[attr-defined]
                    self.progress(label, done, getattr(reader, "total_bytes", total))
        self._flush(batch, search, explain)
        if self.progress and whole:
            size = getattr(reader, "total_bytes", total)
            self.progress(label, size, size)

    def _sor_done(
        self, path: Path, report: FileReport, snapshot_date: str | None, created_at: str | None, sha256: str
    ) -> None:
        self.sor_loaded = True
        self.sor_rows += report.rows
        self._snapshot("sor", path, report.rows, snapshot_date, created_at, sha256)

    def _load_sor_parts(self, path: Path, split: _Split, report: FileReport, digest: Callable[[], str]) -> bool:
        """Load a large SOR XML file (``split.source``: ``path`` or the XML file of the zip ``path``) in
        two parts at once: the first here, the second in a worker process.

        This is only a faster way to the same result: on any error, whatever it wrote is rolled back
        and False returned, and the file is then read again as a whole, which finds the error (or
        not) and words it exactly as it would have without the parts.
        """
        label, parts, worker = split.label, split.parts, split.worker
        attempt = FileReport(report.path, report.kind)
        search_rowid, search_stale = self.search_rowid, self.search_stale
        progress, from_progress = self.progress, []
        if progress is not None:  # what the caller's progress callback raises is not the file's fault: passed on

            def forward(*args: object) -> None:
                try:
                    progress(*args)  # type: ignore[arg-type]
                except BaseException as exc:
                    from_progress.append(exc)
                    raise

            self.progress = forward
        self.conn.execute("SAVEPOINT sor_parts")
        try:
            entities, reader = _part_entities(split.kind, split.source, label, parts[0])
            self._stream(entities, reader, split.source, label, attempt, split.kind, whole=False, explain=False)
            header = {
                "snapshot_date": getattr(reader, "snapshot_date", None),
                "created_at": getattr(reader, "created_at", None),
            }
            batch = EntityBatch()
            for tables, search, done in worker.chunks():
                batch.tables, batch.count = tables, len(tables["entity"])
                attempt.rows += batch.count
                self._flush(batch, search, explain=False)
                if self.progress:
                    self.progress(label, done, reader.total_bytes)  # type: ignore[attr-defined]
            warnings, warning_count, seen = worker.result
        except Exception as exc:
            if exc in from_progress:
                raise
            self.conn.execute("ROLLBACK TO sor_parts")
            self.conn.execute("RELEASE sor_parts")
            self.search_rowid, self.search_stale = search_rowid, search_stale
            return False
        finally:
            self.progress = progress
        self.conn.execute("RELEASE sor_parts")
        for warning in warnings:
            attempt.warn(warning)
        attempt.warning_count += warning_count - len(warnings)
        report.rows, report.warnings, report.warning_count = attempt.rows, attempt.warnings, attempt.warning_count
        header.update(seen)  # what the second part says comes later in the file
        if self.progress:
            self.progress(label, reader.total_bytes, reader.total_bytes)  # type: ignore[attr-defined]
        self._sor_done(path, report, header["snapshot_date"], header["created_at"], digest())
        return True

    def _flush(self, batch: EntityBatch, search: list[tuple], explain: bool = True) -> None:
        pending = {t: list(rows) for t, rows in batch.tables.items()} if explain else {}
        try:
            self.conn.execute("SAVEPOINT batch")
            batch.flush(self.conn)
            self.conn.execute("RELEASE batch")
        except sqlite3.IntegrityError:
            self.conn.execute("ROLLBACK TO batch")
            self.conn.execute("RELEASE batch")
            if explain:
                self._explain_duplicate(pending)
            raise
        self._index(search)

    def _index(self, search: list[tuple]) -> None:
        """Add the search rows of the entities just written (in the same order) to the index."""
        first = self.search_rowid + 1
        self.search_rowid = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM entity").fetchone()[0]
        if self.search_rowid != first - 1 + len(search):
            self.search_stale = True
        if not self.search_stale and search:
            self.conn.executemany(SEARCH_INSERT_SQL, [(rowid, *row) for rowid, row in enumerate(search, first)])
        search.clear()

    def _explain_duplicate(self, pending: dict[str, list[tuple]]) -> None:
        """Find which row of a failed batch is a duplicate and say where it is."""
        seen: set[str] = set()
        for row in pending["entity"]:
            sor_id = row[0]
            if sor_id in seen or self.conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (sor_id,)).fetchone():
                raise InputError(f"duplicate SOR-kode {sor_id}", *self._find_line(sor_id), "SorIdentifier")
            seen.add(sor_id)
        seen.clear()
        for row in pending["location"]:
            gln = row[0]
            if gln in seen or self.conn.execute("SELECT 1 FROM location WHERE gln = ?", (gln,)).fetchone():
                raise InputError(
                    f"duplicate lokationsnummer {gln} (owned by {row[1]})",
                    *self._find_line(row[1]),
                    "EanLocationCode",
                )
            seen.add(gln)

    def _find_line(self, sor_id: str) -> tuple[str, int | None]:
        """The file and line of the last occurrence of ``sor_id`` among this run's SOR files (every
        caller's unit is in one of them)."""
        found: tuple[str, int | None] = (self.sor_sources[-1][2], None)
        for path, kind, lbl in self.sor_sources:
            entities, reader = self._sor_reader(path, kind, lbl)
            for ent in entities:
                if ent.sor_id == sor_id:
                    found = (getattr(reader, "label", lbl), ent.source_line)
        return found

    def _check_parents(self) -> None:
        """Every unit's parent is there and of the right kind, and no unit is its own ancestor.

        Only a flat file's explicit parents can loop: the XML's nesting cannot, and an id that
        repeats there is a duplicate, refused as its rows are written.
        """
        if self.flat_loaded:
            self._refuse_own_parent()
        self._check_parent_kinds()
        if self.flat_loaded:
            self._refuse_loops()

    def _refuse_own_parent(self) -> None:
        row = self.conn.execute("SELECT sor_id FROM entity WHERE parent_sor_id = sor_id LIMIT 1").fetchone()
        if row:
            file, line = self._find_line(row[0])
            raise InputError(f"unit {row[0]} is its own parent", file, line, self._parent_column(file))

    def _refuse_loops(self) -> None:
        """Units that no owner (IE) leads down to have parents that lead round in a loop."""
        tree = (
            "WITH RECURSIVE tree(sor_id) AS (SELECT sor_id FROM entity WHERE parent_sor_id IS NULL"
            " UNION ALL SELECT e.sor_id FROM entity e JOIN tree ON e.parent_sor_id = tree.sor_id)"
        )
        # Each unit has one parent, so the walk down meets each unit at most once: it meets all of them
        # when it meets as many as there are (a count, cheaper than looking for one it does not meet).
        reached, units = self.conn.execute(
            f"{tree} SELECT count(*), (SELECT count(*) FROM entity) FROM tree"
        ).fetchone()
        if reached == units:
            return
        row = self.conn.execute(f"{tree} SELECT sor_id FROM entity WHERE sor_id NOT IN tree LIMIT 1").fetchone()
        chain, current = [], row[0]
        while current not in chain:  # every parent is there (checked before): this ends in the loop
            chain.append(current)
            current = self.conn.execute("SELECT parent_sor_id FROM entity WHERE sor_id = ?", (current,)).fetchone()[0]
        loop = chain[chain.index(current) :]
        shown = " → ".join([*loop[:5], *(["…"] if len(loop) > 5 else []), loop[0]])
        file, line = self._find_line(loop[0])
        raise InputError(
            f"the parents of unit {loop[0]} lead round to itself ({shown})", file, line, self._parent_column(file)
        )

    def _parent_column(self, file: str) -> str | None:
        kind = next((k for _, k, label in self.sor_sources if label == file), "sor-xml")
        return _problem_where("parent_sor_id", None, kind) if kind != "sor-xml" else None

    def _check_parent_kinds(self) -> None:
        # One pass that finds whether anything is wrong; only then the two that say what, and where.
        wrong_at_all = self.conn.execute(
            "SELECT 1 FROM entity c LEFT JOIN entity p ON p.sor_id = c.parent_sor_id"
            " WHERE c.parent_sor_id IS NOT NULL AND (p.sor_id IS NULL OR (c.kind = 'SI' AND p.kind <> 'IE')"
            " OR (c.kind = 'OE' AND p.kind NOT IN ('SI', 'OE')) OR c.kind = 'IE') LIMIT 1"
        ).fetchone()
        if wrong_at_all is None:
            return
        orphan = self.conn.execute(
            "SELECT c.sor_id, c.parent_sor_id FROM entity c LEFT JOIN entity p ON p.sor_id = c.parent_sor_id"
            " WHERE c.parent_sor_id IS NOT NULL AND p.sor_id IS NULL LIMIT 1"
        ).fetchone()
        if orphan:
            file, line = self._find_line(orphan[0])
            raise InputError(
                f"unit {orphan[0]} has parent {orphan[1]}, which is not in the file",
                file,
                line,
                self._parent_column(file) or "Parent-SOR-kode",
            )
        wrong = self.conn.execute(
            "SELECT c.sor_id, c.kind, p.kind FROM entity c JOIN entity p ON p.sor_id = c.parent_sor_id"
            " WHERE (c.kind = 'SI' AND p.kind <> 'IE') OR (c.kind = 'OE' AND p.kind NOT IN ('SI', 'OE'))"
            " OR c.kind = 'IE' LIMIT 1"
        ).fetchone()
        if wrong:
            file, line = self._find_line(wrong[0])
            raise InputError(f"{wrong[1]} {wrong[0]} cannot have a parent of kind {wrong[2]}", file, line)

    # -- SHAK ----------------------------------------------------------------

    def _load_shak(self, path: Path, label: str, report: FileReport) -> None:
        from sortui.domain.codes import shak_level, shak_parent
        from sortui.formats.shak import read_shak_complete

        self._clear_once("shak", ("shak_code",))
        sql = insert_sql("shak_code", SHAK_CODE.names)
        rows: list[tuple] = []
        code: ShakCode
        for code in read_shak_complete(path, label):
            # The reader refuses a code without a level (capital letters in positions 5-7 have one).
            level = shak_level(code.code)
            rows.append(SHAK_CODE.values(code, level=level, parent_code=shak_parent(code.code)))
            report.rows += 1
            if len(rows) >= BATCH:
                self._insert_shak(sql, rows, path, label)
        self._insert_shak(sql, rows, path, label)
        self._snapshot("shak", path, report.rows)

    def _insert_shak(self, sql: str, rows: list[tuple], path: Path, label: str) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError:
            from sortui.formats.shak import read_shak_complete

            keys: set[tuple[str, str]] = set()
            for code in read_shak_complete(path, label):
                key = (code.code, code.valid_from)
                if key in keys:
                    raise InputError(
                        f"SHAK-kode {code.code} from {code.valid_from} appears twice",
                        label,
                        code.source_line,
                        "DatoFra",
                    ) from None
                keys.add(key)
            raise
        rows.clear()

    def _load_shak_region(self, path: Path, label: str, report: FileReport) -> None:
        from sortui.formats.shak import read_shak_region

        self._clear_once("shak-region", ("shak_hospital",))
        hosp: ShakHospital
        rows = []
        for hosp in read_shak_region(path, label):
            hosp.valid_from = hosp.valid_from or ""  # part of the key
            rows.append(SHAK_HOSPITAL.values(hosp))
            report.rows += 1
        self.conn.executemany(insert_sql("shak_hospital", SHAK_HOSPITAL.names, "INSERT OR REPLACE"), rows)
        self._snapshot("shak-region", path, len(rows))

    # -- EDI -----------------------------------------------------------------

    def _load_edi_map(self, path: Path, label: str, report: FileReport) -> None:
        from sortui.formats.edimap import read_location_messages

        self._clear_once("edi", ("location_message",))
        urns = {r[0] for r in self.conn.execute("SELECT urn FROM message_definition")}
        by_codes = {
            f"{t}:{v}": u
            for u, t, v in self.conn.execute("SELECT urn, type_code, version_code FROM message_definition")
        }
        glns = {r[0] for r in self.conn.execute("SELECT gln FROM location")}
        rows = []
        msg: LocationMessage
        seen: set[tuple[str, str]] = set()
        for msg in read_location_messages(path, label):
            urn = msg.message_urn if msg.message_urn in urns else by_codes.get(msg.message_urn)
            if urn is None:
                raise InputError(
                    f"message type {msg.message_urn!r} is not in the MedCom catalogue",
                    label,
                    msg.source_line,
                    "MessageUrn",
                )
            if (msg.gln, urn) in seen:
                raise InputError(f"message type {urn} registered twice on {msg.gln}", label, msg.source_line)
            seen.add((msg.gln, urn))
            if msg.gln not in glns:
                report.warn(
                    InputWarning(
                        f"lokationsnummer {msg.gln} is not in the working copy",
                        SourcePos(label, msg.source_line, "EanLocationCode"),
                    )
                )
            msg.message_urn = urn
            rows.append(LOCATION_MESSAGE.values(msg))
            report.rows += 1
        self.conn.executemany(insert_sql("location_message", LOCATION_MESSAGE.names), rows)
        self._snapshot("edi", path, len(rows))

    def _load_medcom(self, path: Path, label: str, report: FileReport) -> None:
        from sortui.formats.medcom import read_message_definitions

        defs = read_message_definitions(path, label)
        self.conn.executemany(
            insert_sql("message_definition", MESSAGE_DEFINITION.names, "INSERT OR REPLACE"),
            [MESSAGE_DEFINITION.values(d) for d in defs],
        )
        report.rows = len(defs)
        self._snapshot("medcom", path, len(defs))

    # -- finishing -----------------------------------------------------------

    def finish(self) -> ImportNotes:
        notes = ImportNotes()
        if self.sor_loaded:
            self._check_parents()
        if self.sor_loaded or "edi" in self.cleared:
            from sortui.store import journal

            notes.reapplied, notes.orphaned = journal.reapply(self.conn)
        if self.sor_loaded and (self.search_stale or notes.reapplied):
            rebuild_search(self.conn)  # the streamed index does not hold what the edits changed
        if "shak" in self.cleared:
            rebuild_search_shak(self.conn)
        if self.sor_loaded:
            # Filling the search index from the tables looked up every unit's addresses and location
            # numbers, and so ``PRAGMA optimize`` analyzed those tables: it still does (same statistics).
            self.conn.execute("SELECT 1 FROM address WHERE sor_id = ''").fetchall()
            self.conn.execute("SELECT 1 FROM location WHERE owner_sor_id = ''").fetchall()
        self.conn.execute("PRAGMA optimize")
        return notes


def _problem_where(field: str, element: str | None, kind: str) -> str:
    """The XML element, or for the flat files the column, a validation problem is about."""
    if kind == "sor-csv":
        from sortui.formats.sorcsv import DIALECT
    elif kind == "sor2-csv":
        from sortui.formats.sor2csv import DIALECT
    else:
        return element or field
    return DIALECT.header(field)


def _check_entity(ent: Entity, label: str, report: FileReport, kind: str = "sor-xml") -> None:
    """Raise the first validation error of ``ent``; add its warnings to ``report``."""
    for problem in validate_entity(ent):
        prefix = f"{ent.kind} {ent.sor_id or '?'}: "
        where = _problem_where(problem.field, problem.element, kind)
        if problem.is_error:
            raise InputError(prefix + problem.message, label, ent.source_line, where)
        report.warn(InputWarning(prefix + problem.message, SourcePos(label, ent.source_line, where)))


# -- a large SOR file in two parts at once --------------------------------------------------------
#
# Reading, checking and turning entities into rows is Python work on one core, and so is writing
# the rows into SQLite. A large SOR XML file is therefore cut in two between top-level owners
# (``split_sor_xml``; a zip's XML file is first written beside the working copy), a CSV file at a
# line end outside quotes (``split_csv``): this process reads the first part and writes it, while a worker process
# reads the rest into row chunks, which it spills to a file beside the working copy (so it
# never waits for this process) and announces through a pipe; this process then writes them in
# order. The rows, their order and so the working copy are those of reading the file as a whole.

# Smaller files are not worth starting a process for (a CSV file holds a unit in a fifth of the bytes).
SPLIT_MIN_BYTES = {"sor-xml": 8 << 20, "sor-csv": 2 << 20, "sor2-csv": 2 << 20}
# The share of the file read here (the cut falls at the owner nearest to it). This process also writes
# every row into SQLite, so it reads about a third. A forked worker starts at once: the share is where
# the two processes' CPU time comes out even, 0.35 of a 223 MB XML file (2026-12-03: 0.325 left this
# process 0.9 s of CPU short of the worker's 10.2 s, 0.36 even), and of CSV, 0.32 (what the measured
# share of a worker of its own interpreter, below, came to for a 45 MB sor.csv). Such a worker (the
# app's, whose threads rule out a fork) starts later: its head start is its start in bytes of the
# file, about 9,000 units of XML, and of CSV, which holds a unit in a fifth of the bytes, as many in
# 1 MB, on a share of 0.28 of XML (0.325 of that file) and 0.30 of CSV. A share that is off only
# makes one process wait for the other at the end.
SPLIT_SHARE = {"sor-xml": 0.35, "sor-csv": 0.32, "sor2-csv": 0.32}  # a forked worker
SPLIT_SHARE_STARTED, SPLIT_MAX_SHARE = {"sor-xml": 0.28, "sor-csv": 0.30, "sor2-csv": 0.30}, 0.4
SPLIT_HEAD_START = {"sor-xml": 10 << 20, "sor-csv": 1 << 20, "sor2-csv": 1 << 20}
# Rows a worker hands over at a time: what is left for this process to write once the worker is done.
PART_BATCH = 1000


def _split_share(size: int, kind: str, fork: bool) -> float:
    """The share read here; a forked worker starts at once, one of its own interpreter after a while."""
    if fork:
        return SPLIT_SHARE[kind]
    return min(SPLIT_MAX_SHARE, SPLIT_SHARE_STARTED[kind] + SPLIT_HEAD_START[kind] / size)


_T, _R = TypeVar("_T"), TypeVar("_R")
_UNZIPPED = itertools.count(1)  # numbers the XML files taken out of zips


@dataclass
class _Split:
    """A large SOR file ``path`` read in two parts: ``source`` is the file itself, or the XML file of
    a zip written beside the working copy; ``label`` names its lines in messages."""

    path: Path
    source: Path
    kind: str
    label: str
    parts: tuple[Part, Part]
    worker: _PartWorker | None = None


def _early_worker(
    jobs: list[tuple[Path, str]], lock: workfiles.ImportLock, stack: contextlib.ExitStack
) -> Callable[[], dict[Path, _Split]]:
    """The worker for the first SOR file of ``jobs`` read in parts, got going while the working copy
    is opened; returns the function that hands it over (``{}``: none), to be called once it is open.

    Forked at once for a plain file. A zip's XML file is written out in a thread (inflating and
    writing run without the GIL) while this thread opens the working copy; its worker is forked once
    the thread is done (the fork never copies a thread's held lock), or without a fork, started in
    that thread.
    """

    def first_with_worker(fork: bool) -> dict[Path, _Split]:
        return _with_worker(_first_split(jobs, lock, fork), lock, stack, fork)

    if not _can_fork():
        return _in_background(first_with_worker, False)
    if not any(zipfile.is_zipfile(p) for p, k in jobs if k in SPLIT_MIN_BYTES):
        return _at_once(first_with_worker, True)
    preparing = _in_background(functools.partial(_first_split, jobs, lock), True)
    return functools.cache(lambda: _with_worker(preparing(), lock, stack, _can_fork()))


def _first_split(jobs: list[tuple[Path, str]], lock: workfiles.ImportLock, fork: bool) -> _Split | None:
    """The first SOR file of ``jobs`` to read in parts, ready for its worker."""
    for path, kind in jobs:
        if (split := _prepare(path, kind, str(path), lock, fork)) is not None:
            return split
    return None


def _with_worker(
    split: _Split | None, lock: workfiles.ImportLock, stack: contextlib.ExitStack, fork: bool
) -> dict[Path, _Split]:
    """``{path: split}`` with its worker started (and ended with ``stack``); ``{}`` if none can start."""
    if split is None or (split := _start(split, lock, fork)) is None:
        return {}
    assert split.worker is not None
    stack.enter_context(split.worker)
    return {split.path: split}


def _split(path: Path, kind: str, label: str, lock: workfiles.ImportLock, fork: bool) -> _Split | None:
    """``path`` read in two parts, its worker started; None when it is not worth it or cannot be."""
    split = _prepare(path, kind, label, lock, fork)
    return _start(split, lock, fork) if split is not None else None


def _prepare(path: Path, kind: str, label: str, lock: workfiles.ImportLock, fork: bool) -> _Split | None:
    """``path``'s two parts (of a zip: of its XML file, written out); None when it is not worth it."""
    if kind not in SPLIT_MIN_BYTES or not _can_split():
        return None
    source = path
    if kind == "sor-xml" and zipfile.is_zipfile(path):
        from sortui.formats.sorxml import unzip_xml_member

        source = lock.path(f"unzipped-{next(_UNZIPPED)}.xml")
        member = unzip_xml_member(path, source) if _zipped_size(path) >= SPLIT_MIN_BYTES[kind] else None
        if member is None:
            source.unlink(missing_ok=True)
            return None
        label = f"{label}!{member}"  # as the reader of the zip names it
    parts = _parts(source, kind, fork)
    if parts is None:
        if source != path:
            source.unlink(missing_ok=True)
        return None
    return _Split(path, source, kind, label, parts)


def _start(split: _Split, lock: workfiles.ImportLock, fork: bool) -> _Split | None:
    """``split`` with its worker started; None (a zip's XML file removed) when it cannot start."""
    split.worker = _new_worker(split.source, split.kind, split.label, split.parts[1], lock, fork)
    if split.worker is None:
        if split.source != split.path:
            split.source.unlink(missing_ok=True)
        return None
    return split


def _zipped_size(path: Path) -> int:
    """What the zip's members say they expand to (a claim: ``unzip_xml_member`` checks it)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(m.file_size for m in zf.infolist())
    except (OSError, zipfile.BadZipFile):
        return 0


def _new_worker(
    path: Path, kind: str, label: str, part: Part, lock: workfiles.ImportLock, fork: bool
) -> _PartWorker | None:
    try:
        return _PartWorker(path, kind, label, part, lock, fork)
    except Exception:  # no worker (say, no process can be started here): the file is read here, as a whole
        return None


def _at_once(func: Callable[[_T], _R], arg: _T) -> Callable[[], _R]:
    """Run ``func(arg)`` now; the returned function hands back its result (or raises what it raised),
    as ``_in_background``'s does."""
    try:
        result = func(arg)
    except Exception as exc:
        failed = exc

        def fail() -> _R:
            raise failed

        return fail
    return lambda: result


def _in_background(func: Callable[[_T], _R], arg: _T) -> Callable[[], _R]:
    """Run ``func(arg)`` in a thread (work that mostly waits for I/O or runs without the GIL); the
    returned function waits for the result (and raises what ``func`` raised)."""
    result: list = []

    def run() -> None:
        try:
            result.append((True, func(arg)))
        except BaseException as exc:  # handed to whoever asks for the result
            result.append((False, exc))

    thread = threading.Thread(target=run, name="sortui-import", daemon=True)
    thread.start()

    def wait() -> _R:
        thread.join()
        ok, value = result[0]
        if not ok:
            raise value
        return value

    return wait


def _can_split() -> bool:
    # Not with one CPU, nor without a Python interpreter to start a worker with.
    return _cpus() >= 2 and not getattr(sys, "frozen", False) and bool(sys.executable)


def _can_fork() -> bool:
    """Whether the worker can be this process forked: on Linux, with no other thread running (the
    app's, a progress bar's), whose locks the child would inherit held."""
    return sys.platform == "linux" and hasattr(os, "fork") and threading.active_count() == 1


def _parts(path: Path, kind: str, fork: bool) -> tuple[Part, Part] | None:
    size = path.stat().st_size
    if size < SPLIT_MIN_BYTES[kind]:
        return None
    share = _split_share(size, kind, fork)
    if kind == "sor-xml":
        from sortui.formats.sorxml import split_sor_xml

        return split_sor_xml(path, share)
    from sortui.formats.common import split_csv

    return split_csv(path, share)


def _part_entities(kind: str, path: Path, label: str, part: Part) -> tuple[Iterator[Entity], object]:
    """The entities of ``part`` of a SOR file, and its reader (``bytes_read`` of ``total_bytes``)."""
    if kind == "sor-xml":
        from sortui.formats.sorxml import SorXmlReader

        reader = SorXmlReader(path, label, part)  # type: ignore[arg-type]
        return iter(reader), reader
    return _flat_entities(kind, path, label, part)  # type: ignore[arg-type]


def _flat_entities(kind: str, path: Path, label: str, part: CsvPart | None) -> tuple[Iterator[Entity], object]:
    """The entities of a sor.csv or SorEntity CSV file (or ``part`` of it), and how far it has been read."""
    from sortui.formats.common import ReadPosition

    position = ReadPosition(path, part)
    if kind == "sor-csv":
        from sortui.formats.sorcsv import read_sor_csv

        return read_sor_csv(path, label, part, position), position
    from sortui.formats.sor2csv import read_sor2_csv

    return read_sor2_csv(path, label, part=part, position=position), position


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


class _PartFailed(Exception):
    """The worker could not read its part (the whole file is then read here, which says why)."""


class _PartWorker:
    """A worker process reading one part of a SOR file; ``chunks()`` yields its rows in order.

    The worker is this process forked (``fork``), which starts at once with everything it needs
    loaded, or else a fresh interpreter running ``_part_main`` (``python -c``): unlike
    multiprocessing's spawn it never imports the caller's main module, so a script without a main
    guard is safe. Either shares nothing with this process but the arguments, the spill file and
    the pipe: a forked worker lets go of the import's lock and ends with ``os._exit``, running
    nothing of this process's (no exit handlers, no buffered output written twice).
    """

    def __init__(self, path: Path, kind: str, label: str, part: Part, lock: workfiles.ImportLock, fork: bool):
        self._process: subprocess.Popen[bytes] | _Forked | None = None
        self.result: tuple[list[InputWarning], int, dict[str, str | None]] = ([], 0, {})
        read_end, write_end = os.pipe()
        self._messages = Connection(read_end, writable=False)
        self._spill: Path | None = None
        try:
            with contextlib.suppress(ImportError, AttributeError, OSError):  # room for every batch's notice
                import fcntl

                fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 1 << 20)
            fd, spill = tempfile.mkstemp(prefix=lock.prefix, suffix=".rows.tmp", dir=lock.folder)
            os.close(fd)
            self._spill = Path(spill)
            job = (str(path), kind, label, part, spill, write_end)
            self._process = _Forked.start(job, read_end, lock) if fork else _exec_worker(job)
        except BaseException:
            self.__exit__()
            raise
        finally:
            os.close(write_end)

    def __enter__(self) -> _PartWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
            self._process.wait()
        self._messages.close()
        if self._spill is not None:
            self._spill.unlink(missing_ok=True)
        self._process = None

    def chunks(self) -> Iterator[tuple[dict[str, list[tuple]], list[tuple], int]]:
        """(table rows, search rows, bytes of the file read) of each batch of the part, in order."""
        assert self._spill is not None
        with open(self._spill, "rb") as spill:
            while True:
                try:
                    message = self._messages.recv()
                except EOFError:
                    raise _PartFailed("the worker process ended without a word") from None
                if message[0] == "rows":
                    tables, search = marshal.loads(spill.read(message[2]))
                    yield tables, search, message[1]
                elif message[0] == "done":
                    self.result = message[1]
                    return
                else:
                    raise _PartFailed(message[1])


def _exec_worker(job: tuple) -> subprocess.Popen[bytes]:
    code = "import sys, json; sys.path[:] = json.loads(sys.argv[1]); import sortui.store.importer as i; i._part_main()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, json.dumps(sys.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=(job[-1],),
    )
    assert process.stdin is not None
    with process.stdin as args:
        pickle.dump(job, args)
    return process


def _detach_standard_streams() -> None:
    """Point standard input, output and error at /dev/null, as for a worker of its own interpreter."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


class _Forked:
    """A forked worker, with as much of ``subprocess.Popen`` as ``_PartWorker`` uses."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    @classmethod
    def start(cls, job: tuple, read_end: int, lock: workfiles.ImportLock) -> _Forked:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        pid = os.fork()
        if pid:
            return cls(pid)
        try:  # the worker: it never returns from here
            os.close(read_end)
            lock.forget()  # the lock is the import's: a worker left running must not keep it held
            _detach_standard_streams()  # nor the import's output open for whoever reads it
            path, kind, label, part, spill, fd = job
            _read_part(path, kind, label, part, spill, Connection(fd, readable=False))
        finally:
            os._exit(0)

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def terminate(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode


def _part_main() -> None:
    """The worker process: its arguments come pickled on stdin, its messages go out on a pipe."""
    path, kind, label, part, spill, fd = pickle.load(sys.stdin.buffer)
    _read_part(path, kind, label, part, spill, Connection(fd, readable=False))


def _read_part(path: str, kind: str, label: str, part: Part, spill: str, messages: Connection) -> None:
    """In the worker process: read, check and turn into rows one part of a SOR file."""
    gc.freeze()  # what is loaded by now lives as long as the process: keep it out of the collections
    try:
        unseen = object()
        entities, reader = _part_entities(kind, Path(path), label, part)
        if kind == "sor-xml":  # what the part's own header says is not the file's
            reader.snapshot_date = reader.created_at = unseen  # type: ignore[attr-defined]
        report = FileReport(path, kind)
        batch = EntityBatch()
        search: list[tuple] = []
        with open(spill, "wb") as out:
            for ent in entities:
                _check_entity(ent, label, report, kind)
                batch.add(ent)
                search.append(search_row(ent))
                if batch.count >= PART_BATCH:
                    _spill_rows(out, messages, batch, search, reader.bytes_read)  # type: ignore[attr-defined]
                    batch, search = EntityBatch(), []
            if batch.count:
                _spill_rows(out, messages, batch, search, reader.bytes_read)  # type: ignore[attr-defined]
        seen = {
            "snapshot_date": getattr(reader, "snapshot_date", unseen),
            "created_at": getattr(reader, "created_at", unseen),
        }
        messages.send(
            ("done", (report.warnings, report.warning_count, {k: v for k, v in seen.items() if v is not unseen}))
        )
    except BaseException as exc:  # whatever it is, the importer then reads the whole file itself
        with contextlib.suppress(OSError):
            messages.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        messages.close()


def _spill_rows(out: IO[bytes], messages: Connection, batch: EntityBatch, search: list[tuple], done: int) -> None:
    data = marshal.dumps((batch.tables, search))  # plain data between two processes of one interpreter
    out.write(data)
    out.flush()
    messages.send(("rows", done, len(data)))
