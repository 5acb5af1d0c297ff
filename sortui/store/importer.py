"""All-or-nothing import of the register's files into the working copy.

The import is built in a staging file beside the working copy (a copy of it, so
pending edits and other data survive) and swapped in with ``os.replace`` only
when every file has loaded and passed its checks. On any error the staging file
is removed and the working copy is byte-for-byte as it was.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sortui.domain.errors import InputError, InputWarning, SourcePos
from sortui.domain.model import Entity, LocationMessage, ShakCode, ShakHospital
from sortui.domain.validation import validate_entity
from sortui.formats.common import sha256_of
from sortui.store import db, journal
from sortui.store.rows import EntityBatch, insert_sql
from sortui.store.schema import ENTITY_TABLES, columns
from sortui.store.search_index import rebuild_search

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
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    notes: ImportNotes = field(default_factory=ImportNotes)


SOR_KINDS = ("sor-xml", "sor-csv", "sor2-csv")


def detect(path: Path) -> str:
    from sortui.formats.detect import detect_kind

    if not path.is_file():
        raise InputError("no such file", str(path))
    kind = detect_kind(path)
    if kind is None:
        raise InputError(
            "not a file sortui knows (SOR XML or zip, sor.csv, SorEntity CSV, SHAKCOMPLETE.TXT, "
            "SHAKregion.txt, location-number/message-type CSV, MedCom catalogue)",
            str(path),
            1,
        )
    return kind


def import_files(db_path: Path, paths: Iterable[Path], progress: Progress | None = None) -> ImportReport:
    """Import ``paths`` into the working copy at ``db_path``, all or nothing."""
    db_path = Path(db_path)
    jobs = [(Path(p), detect(Path(p))) for p in paths]
    staging = db_path.with_name(f".{db_path.name}.import-{os.getpid()}.tmp")
    _remove(staging)
    report = ImportReport()
    try:
        conn = _open_staging(db_path, staging)
        try:
            loader = _Loader(conn, progress)
            for path, kind in jobs:
                report.files.append(loader.load(path, kind))
            report.notes = loader.finish()
        finally:
            conn.close()
        _swap_in(staging, db_path)
    except BaseException:
        _remove(staging)
        raise
    return report


def _open_staging(db_path: Path, staging: Path) -> sqlite3.Connection:
    if db_path.exists() and db_path.stat().st_size > 0:
        source = db.open_existing_for_copy(db_path)
        try:
            target = sqlite3.connect(staging)
            source.backup(target)
            target.close()
        finally:
            source.close()
    conn = db.open_working_copy(staging)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def _swap_in(staging: Path, db_path: Path) -> None:
    """Replace the working copy with the finished staging file (atomic rename)."""
    with sqlite3.connect(staging) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
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
    """Loads files of each kind into the staging database; replaces each kind's data once per run."""

    def __init__(self, conn: sqlite3.Connection, progress: Progress | None):
        self.conn = conn
        self.progress = progress
        self.cleared: set[str] = set()
        self.sor_loaded = False
        self.sor_sources: list[tuple[Path, str, str]] = []  # (path, kind, label) for error look-ups

    def load(self, path: Path, kind: str) -> FileReport:
        report = FileReport(str(path), kind)
        label = str(path)
        with self.conn:
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

    def _clear_once(self, group: str, tables: Iterable[str]) -> None:
        if group in self.cleared:
            return
        for table in tables:
            self.conn.execute(f"DELETE FROM {table}")
        self.conn.execute("DELETE FROM snapshot WHERE kind = ?", (group,))
        self.cleared.add(group)

    def _snapshot(
        self, kind: str, path: Path, rows: int, snapshot_date: str | None = None, created_at: str | None = None
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        self.conn.execute(
            "INSERT OR REPLACE INTO snapshot (kind, source_file, snapshot_date, created_at, imported_at, sha256, rows)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (kind, str(path.resolve()), snapshot_date, created_at, now, sha256_of(path), rows),
        )

    # -- SOR entities --------------------------------------------------------

    def _sor_reader(self, path: Path, kind: str, label: str) -> tuple[Iterator[Entity], object]:
        if kind == "sor-xml":
            from sortui.formats.sorxml import SorXmlReader

            reader = SorXmlReader(path, label)
            return iter(reader), reader
        if kind == "sor-csv":
            from sortui.formats.sorcsv import read_sor_csv

            return read_sor_csv(path, label), None
        from sortui.formats.sor2csv import read_sor2_csv

        return read_sor2_csv(path, label), None

    def _load_sor(self, path: Path, kind: str, label: str, report: FileReport) -> None:
        self._clear_once("sor", ENTITY_TABLES)
        self.sor_sources.append((path, kind, label))
        entities, reader = self._sor_reader(path, kind, label)
        batch = EntityBatch()
        total = path.stat().st_size
        for ent in entities:
            label = getattr(reader, "label", label)
            self._check_entity(ent, label, report, kind)
            batch.add(ent)
            report.rows += 1
            if batch.count >= BATCH:
                self._flush(batch, label)
                if self.progress:
                    done = reader.bytes_read if reader is not None else 0  # type: ignore[attr-defined]
                    self.progress(label, done, getattr(reader, "total_bytes", total))
        self._flush(batch, label)
        if self.progress:
            size = getattr(reader, "total_bytes", total)
            self.progress(label, size, size)
        self.sor_loaded = True
        self._snapshot(
            "sor",
            path,
            report.rows,
            getattr(reader, "snapshot_date", None),
            getattr(reader, "created_at", None),
        )

    def _check_entity(self, ent: Entity, label: str, report: FileReport, kind: str = "sor-xml") -> None:
        for problem in validate_entity(ent):
            prefix = f"{ent.kind} {ent.sor_id or '?'}: "
            where = _problem_where(problem.field, problem.element, kind)
            if problem.is_error:
                raise InputError(prefix + problem.message, label, ent.source_line, where)
            report.warn(InputWarning(prefix + problem.message, SourcePos(label, ent.source_line, where)))

    def _flush(self, batch: EntityBatch, label: str) -> None:
        pending = {t: list(rows) for t, rows in batch.tables.items()}
        try:
            self.conn.execute("SAVEPOINT batch")
            batch.flush(self.conn)
            self.conn.execute("RELEASE batch")
        except sqlite3.IntegrityError:
            self.conn.execute("ROLLBACK TO batch")
            self.conn.execute("RELEASE batch")
            self._explain_duplicate(pending, label)
            raise

    def _explain_duplicate(self, pending: dict[str, list[tuple]], label: str) -> None:
        """Find which row of a failed batch is a duplicate and say where it is."""
        seen: set[str] = set()
        for row in pending["entity"]:
            sor_id = row[0]
            if sor_id in seen or self.conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (sor_id,)).fetchone():
                raise InputError(f"duplicate SOR-kode {sor_id}", *self._find_line(sor_id, label), "SorIdentifier")
            seen.add(sor_id)
        seen.clear()
        for row in pending["location"]:
            gln = row[0]
            if gln in seen or self.conn.execute("SELECT 1 FROM location WHERE gln = ?", (gln,)).fetchone():
                raise InputError(
                    f"duplicate lokationsnummer {gln} (owned by {row[1]})",
                    *self._find_line(row[1], label),
                    "EanLocationCode",
                )
            seen.add(gln)

    def _find_line(self, sor_id: str, label: str) -> tuple[str, int | None]:
        """The file and line of the last occurrence of ``sor_id`` among this run's SOR files."""
        found: tuple[str, int | None] = (label, None)
        for path, kind, lbl in self.sor_sources:
            entities, reader = self._sor_reader(path, kind, lbl)
            for ent in entities:
                if ent.sor_id == sor_id:
                    found = (getattr(reader, "label", lbl), ent.source_line)
        return found

    def _check_parents(self) -> None:
        orphan = self.conn.execute(
            "SELECT c.sor_id, c.parent_sor_id FROM entity c LEFT JOIN entity p ON p.sor_id = c.parent_sor_id"
            " WHERE c.parent_sor_id IS NOT NULL AND p.sor_id IS NULL LIMIT 1"
        ).fetchone()
        if orphan:
            file, line = self._find_line(orphan[0], self.sor_sources[-1][2])
            raise InputError(
                f"unit {orphan[0]} has parent {orphan[1]}, which is not in the file", file, line, "Parent-SOR-kode"
            )
        wrong = self.conn.execute(
            "SELECT c.sor_id, c.kind, p.kind FROM entity c JOIN entity p ON p.sor_id = c.parent_sor_id"
            " WHERE (c.kind = 'SI' AND p.kind <> 'IE') OR (c.kind = 'OE' AND p.kind NOT IN ('SI', 'OE'))"
            " OR c.kind = 'IE' LIMIT 1"
        ).fetchone()
        if wrong:
            file, line = self._find_line(wrong[0], self.sor_sources[-1][2])
            raise InputError(f"{wrong[1]} {wrong[0]} cannot have a parent of kind {wrong[2]}", file, line)

    # -- SHAK ----------------------------------------------------------------

    def _load_shak(self, path: Path, label: str, report: FileReport) -> None:
        from sortui.domain.codes import shak_level, shak_parent
        from sortui.formats.shak import read_shak_complete

        self._clear_once("shak", ("shak_code",))
        sql = insert_sql("shak_code", columns("shak_code"))
        rows: list[tuple] = []
        code: ShakCode
        for code in read_shak_complete(path, label):
            # Legacy codes (capital letters in positions 5-7) fail shak_level; their length still says the level.
            level = shak_level(code.code) or {4: "sgh", 6: "afd", 7: "afsnit"}.get(len(code.code), code.record_type)
            row = {**_asdict(code), "level": level, "parent_code": shak_parent(code.code)}
            rows.append(tuple(row.get(c) for c in columns("shak_code")))
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
        cols = columns("shak_hospital")
        hosp: ShakHospital
        rows = []
        for hosp in read_shak_region(path, label):
            values = _asdict(hosp)
            values["valid_from"] = values["valid_from"] or ""
            rows.append(tuple(values.get(c) for c in cols))
            report.rows += 1
        self.conn.executemany(insert_sql("shak_hospital", cols, "INSERT OR REPLACE"), rows)
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
            rows.append((msg.gln, urn, msg.from_date, msg.to_date))
            report.rows += 1
        self.conn.executemany(insert_sql("location_message", columns("location_message")), rows)
        self._snapshot("edi", path, len(rows))

    def _load_medcom(self, path: Path, label: str, report: FileReport) -> None:
        from sortui.formats.medcom import read_message_definitions

        defs = read_message_definitions(path, label)
        self.conn.executemany(
            "INSERT OR REPLACE INTO message_definition (urn, format, grp, type_code, version_code, title)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(d.urn, d.format, d.group, d.type_code, d.version_code, d.title) for d in defs],
        )
        report.rows = len(defs)
        self._snapshot("medcom", path, len(defs))

    # -- finishing -----------------------------------------------------------

    def finish(self) -> ImportNotes:
        notes = ImportNotes()
        with self.conn:
            if self.sor_loaded:
                self._check_parents()
            if self.sor_loaded or "edi" in self.cleared:
                notes.reapplied, notes.orphaned = journal.reapply(self.conn)
            if self.sor_loaded:
                rebuild_search(self.conn)
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


def _asdict(obj: object) -> dict:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]
