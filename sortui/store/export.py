"""Export of the working copy to the register's formats (XML, classic CSV), JSON, or a CSV for a
spreadsheet (the classic CSV's columns, with no cell a spreadsheet would run as a formula).

An export holds every unit, or a ``Selection`` (the app's marked units, or the subtree under the
cursor). A SOR XML file nests each unit in its institution and owner, so one of a selection also
holds the units above the selected ones (those alone, not their other sub-units).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sortui.domain.model import Entity
from sortui.store import db, journal, queries
from sortui.store.rows import walk_tree

# progress(label, done, total): units written of the units there are.
Progress = Callable[[str, int, int], None]
Tree = Iterator[tuple[int, Entity]]
PROGRESS_EVERY = 2000  # units


@dataclass(frozen=True, slots=True)
class Selection:
    """The units of ``sor_ids`` (those not in the working copy are left out), with everything below
    them when ``subtrees``."""

    sor_ids: tuple[str, ...]
    subtrees: bool = False


@dataclass(frozen=True, slots=True)
class Exported:
    units: int  # units written (of the selection, when there is one)
    above: int = 0  # units above the selection a SOR XML file nests it in, written too


def export(
    conn: sqlite3.Connection, fmt: str, path: Path, with_pending: bool = False, progress: Progress | None = None
) -> int:
    """Write the working copy to ``path`` (via a temporary file, renamed when complete); the units written.

    Pending edits are left out unless ``with_pending``: the export then reads a
    throwaway copy of the working copy with every pending edit reverted.
    """
    return export_units(conn, fmt, path, None, with_pending, progress).units


def export_units(
    conn: sqlite3.Connection,
    fmt: str,
    path: Path,
    selection: Selection | None,
    with_pending: bool = False,
    progress: Progress | None = None,
) -> Exported:
    """``export`` of the units of ``selection`` (None: all of them)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")

    def write(source: sqlite3.Connection) -> Exported:
        above: set[str] = set()
        if selection is None:
            tree, total = walk_tree(source), queries.entity_count(source)
        else:
            chosen = _chosen(source, selection)
            above = _above(source, selection.sor_ids, chosen)
            tree = walk_tree(source, chosen | above)
            if fmt != "xml":
                tree = ((depth, ent) for depth, ent in tree if ent.sor_id in chosen)
                above = set()
            total = len(chosen) + len(above)
        if progress is not None:
            progress(str(path), 0, total)  # the bar knows its end from the start
            tree = _reporting(tree, progress, str(path), total)
        count = _WRITERS[fmt](source, tree, tmp)
        if progress is not None:
            progress(str(path), count, count)
        return Exported(count - len(above), len(above))

    try:
        if with_pending or journal.pending_count(conn) == 0:
            done = write(conn)
        else:
            with tempfile.TemporaryDirectory(prefix="sortui-export-") as folder:
                base = db.connect(Path(folder) / "base.sqlite")
                try:
                    conn.backup(base)
                    journal.revert_all_in(base)
                    done = write(base)
                finally:
                    base.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return done


_SUBTREE_SQL = """
WITH RECURSIVE down(sor_id) AS (
    SELECT sor_id FROM entity WHERE sor_id = ? UNION SELECT e.sor_id FROM entity e JOIN down ON e.parent_sor_id = down.sor_id
) SELECT sor_id FROM down
"""


def _chosen(conn: sqlite3.Connection, selection: Selection) -> set[str]:
    """The SOR-koder of the units ``selection`` holds that are in the working copy."""
    if selection.subtrees:
        return {r[0] for sor_id in selection.sor_ids for r in conn.execute(_SUBTREE_SQL, (sor_id,))}
    return set(queries.existing_units(conn, selection.sor_ids))


def _above(conn: sqlite3.Connection, sor_ids: tuple[str, ...], chosen: set[str]) -> set[str]:
    """The ancestors of ``sor_ids`` that ``chosen`` does not hold."""
    above: set[str] = set()
    parent_sql = "SELECT parent_sor_id FROM entity WHERE sor_id = ?"
    for sor_id in sor_ids:
        row = conn.execute(parent_sql, (sor_id,)).fetchone()
        while row and row[0] is not None and row[0] not in chosen and row[0] not in above:
            above.add(row[0])
            row = conn.execute(parent_sql, (row[0],)).fetchone()
    return above


def _reporting(tree: Tree, progress: Progress, label: str, total: int) -> Tree:
    for done, item in enumerate(tree, start=1):
        if done % PROGRESS_EVERY == 0:
            progress(label, done, total)
        yield item


def _snapshot_info(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    row = conn.execute("SELECT snapshot_date, created_at FROM snapshot WHERE kind = 'sor'").fetchone()
    return (row[0], row[1]) if row else (None, None)


def _export_xml(conn: sqlite3.Connection, tree: Tree, path: Path) -> int:
    from sortui.formats.sorxml_writer import write_sor_xml

    snapshot_date, created_at = _snapshot_info(conn)
    return write_sor_xml(tree, path, snapshot_date=snapshot_date, created_at=created_at)


def _export_csv(conn: sqlite3.Connection, tree: Tree, path: Path) -> int:
    from sortui.formats.sorcsv import write_sor_csv

    counter = _Counter(ent for _, ent in tree)
    write_sor_csv(counter, path)
    return counter.count


def _export_spreadsheet(conn: sqlite3.Connection, tree: Tree, path: Path) -> int:
    from sortui.formats.sorcsv import write_spreadsheet_csv

    counter = _Counter(ent for _, ent in tree)
    write_spreadsheet_csv(counter, path)
    return counter.count


def _export_json(conn: sqlite3.Connection, tree: Tree, path: Path) -> int:
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[")
        for _, ent in tree:
            data = asdict(ent)
            data.pop("source_line", None)
            fh.write(",\n" if count else "\n")
            fh.write(json.dumps(data, ensure_ascii=False))
            count += 1
        fh.write("\n]\n")
    return count


class _Counter:
    """Passes entities through and counts them."""

    def __init__(self, items):  # type: ignore[no-untyped-def]
        self._items = iter(items)
        self.count = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for item in self._items:
            self.count += 1
            yield item


_WRITERS = {"xml": _export_xml, "csv": _export_csv, "json": _export_json, "spreadsheet": _export_spreadsheet}
FORMATS = tuple(_WRITERS)

ZIP_MEMBER = "sor.xml"


def zip_sor_xml(xml: Path, target: Path, when: datetime) -> None:
    """``target`` as a zip holding ``xml`` as ``sor.xml``, like the register's sor.zip (entry dated ``when``).

    Streamed in 1 MB pieces; the same file and date give the same bytes.
    """
    info = zipfile.ZipInfo(ZIP_MEMBER, date_time=when.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    big = xml.stat().st_size > 2**31
    with zipfile.ZipFile(target, "w") as zf, open(xml, "rb") as src, zf.open(info, "w", force_zip64=big) as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
