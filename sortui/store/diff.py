"""What changed between two snapshots of the register: units, location numbers, message types, SHAK codes.

Both snapshots have the record tables of a working copy (the layout of ``tables.py``) and are
attached to one connection as two schemas: the data an import replaced, kept aside as it goes
(``keep_old``), and the working copy after it (``record_import``), or two file sets read into throw-away files of those tables
(``diff_files.py``, for ``sortui diff``). SQL finds what
differs, joining each table on its key; only the rows that differ are read into Python, where they
become changes. The changes are written to a table (``import_change``), never held in memory.

A change is one kind of change of one record: its key (a SOR id, GLN or SHAK code), the kind
(``CHANGE_KINDS``) and the fields it concerns, ``{path: [old, new]}`` with paths named as the
journal names them (``name``, ``postal.street``, ``location.system_type``). A unit that is closed
and renamed at once gives two changes: ``closed`` (its ``to_date``) and ``changed`` (its name).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sortui.domain.fields import ADDRESS_FIELDS, CONTACT_FIELDS
from sortui.domain.model import Entity
from sortui.store.rows import load_entities
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
    TABLES,
    Table,
)

# What a change is about, and the name of its key in JSON.
TARGETS = ("entity", "location", "message", "shak")
KEY_NAMES = {"entity": "sor_id", "location": "gln", "message": "gln", "shak": "shak_code"}
DETAIL_NAMES = {"message": "message_urn", "shak": "valid_from"}
CHANGE_KINDS = ("added", "removed", "closed", "reopened", "moved", "changed")
# The kinds of data an import replaces (``importer._Loader.cleared``), each by the table that says
# whether a snapshot holds it: the SOR tree (units and location numbers), message types, SHAK codes.
GROUP_TABLES = {"sor": ENTITY.name, "edi": LOCATION_MESSAGE.name, "shak": SHAK_CODE.name}
GROUPS = tuple(GROUP_TABLES)

# Columns that say nothing about the register: sync versions, derived sort keys and SHAK levels.
_NOT_COMPARED = frozenset({"version", "sort_name", "has_status", "level", "parent_code"})
_UNIT_TABLES = (ENTITY, ADDRESS, CONTACT, SPECIALITY, LOCAL_ATTRIBUTE, SUCCESSION)
_UNIT_LISTS = ("addresses", "contact", "specialities", "local_attributes", "replaces", "replaced_by", "location")
_UNIT_SCALARS = tuple(
    f.name for f in fields(Entity) if f.name not in ("sor_id", "version", "source_line", *_UNIT_LISTS)
)
CHANGE_COLUMNS = (
    "target",
    "key",
    "change",
    "detail",
    "name",
    "fields",
    "unit",
    "institution",
    "institution_name",
    "seen",
)
BATCH = 2000
# The table the changes are written to, in a file that is not a working copy (a diff of two files);
# a working copy has it as ``schema.ImportChangeRow`` (a test checks that the columns agree).
CHANGE_TABLE_DDL = (
    "CREATE TABLE import_change (seq INTEGER PRIMARY KEY, target TEXT NOT NULL, key TEXT NOT NULL,"
    " change TEXT NOT NULL, detail TEXT, name TEXT, fields TEXT NOT NULL, unit TEXT, institution TEXT,"
    " institution_name TEXT, seen BOOLEAN NOT NULL)"
)


@dataclass(slots=True)
class Change:
    target: str  # one of TARGETS
    key: str
    change: str  # one of CHANGE_KINDS
    fields: dict[str, list[Any]]
    detail: str | None = None  # a message type's URN; a SHAK code version's valid_from
    name: str | None = None  # the unit's name (a location number's owner's; a SHAK code's text)
    unit: str | None = None  # the unit to go to: itself, a number's owner, a removed unit's parent
    institution: str | None = None  # the SI (or IE) it stands under, for grouping
    institution_name: str | None = None
    seen: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"target": self.target, KEY_NAMES[self.target]: self.key}
        if self.target in DETAIL_NAMES:
            out[DETAIL_NAMES[self.target]] = self.detail
        if self.target in ("location", "message"):
            out["owner_sor_id"] = self.unit
        out["change"] = self.change
        if self.name is not None:
            out["name"] = self.name
        out["fields"] = self.fields
        return out

    def row(self) -> tuple:
        return (
            self.target,
            self.key,
            self.change,
            self.detail,
            self.name,
            json.dumps(self.fields, ensure_ascii=False),
            self.unit,
            self.institution,
            self.institution_name,
            self.seen,
        )


@dataclass(slots=True)
class Summary:
    """What a comparison covered: the kinds of data compared, and those only one side had (with rows)."""

    compared: list[str] = field(default_factory=list)
    only_old: dict[str, int] = field(default_factory=dict)
    only_new: dict[str, int] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # changes by (target, kind)


# -- comparing two schemas ---------------------------------------------------------------------


def compare(conn: sqlite3.Connection, old: str, new: str, groups: Iterable[str] = GROUPS) -> None:
    """Write the changes from schema ``old`` to schema ``new`` into ``main.import_change`` (emptied first).

    ``groups`` are the kinds of data to compare (of ``GROUPS``). Not a transaction of its own.
    """
    table = "main.import_change"
    conn.execute(f"DELETE FROM {table}")
    out = _Writer(conn, table)
    wanted = set(groups)
    if "sor" in wanted:
        _unit_changes(conn, old, new, out)
        for old_row, new_row in _row_pairs(conn, LOCATION, old, new):
            out.add(_LOCATION.changes(old_row, new_row))
    if "edi" in wanted:
        for old_row, new_row in _row_pairs(conn, LOCATION_MESSAGE, old, new):
            out.add(_MESSAGE.changes(old_row, new_row))
    if "shak" in wanted:
        for old_row, new_row in _row_pairs(conn, SHAK_CODE, old, new):
            out.add(_SHAK.changes(old_row, new_row))
    out.flush()
    _place(conn, old, new, table)


class _Writer:
    def __init__(self, conn: sqlite3.Connection, table: str):
        self.conn, self.rows = conn, []
        self.sql = f"INSERT INTO {table} ({', '.join(CHANGE_COLUMNS)}) VALUES ({', '.join('?' * len(CHANGE_COLUMNS))})"

    def add(self, changes: Iterable[Change]) -> None:
        self.rows.extend(c.row() for c in changes)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        self.conn.executemany(self.sql, self.rows)
        self.rows.clear()


def _compared(table: Table) -> tuple[list[str], list[str]]:
    keys = list(table.primary_key)
    return keys, [c for c in table.names if c not in keys and c not in _NOT_COMPARED]


def _differs_sql(table: Table) -> tuple[str, str]:
    """(the join of ``o`` and ``n`` on the key, the condition that a joined row differs)."""
    keys, values = _compared(table)
    on = " AND ".join(f"n.{k} = o.{k}" for k in keys)
    differs = " OR ".join(f"o.{v} IS NOT n.{v}" for v in values) or "0"
    return on, differs


def _row_pairs(
    conn: sqlite3.Connection, table: Table, old: str, new: str
) -> Iterator[tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """(old row, new row) of every key whose rows differ; None on the side without it."""
    on, differs = _differs_sql(table)
    cols = table.names
    width = len(cols)
    first = table.primary_key[0]
    both = ", ".join([*(f"o.{c}" for c in cols), *(f"n.{c}" for c in cols)])
    gone_or_changed = (
        f"SELECT {both} FROM {old}.{table.name} o LEFT JOIN {new}.{table.name} n ON {on}"
        f" WHERE n.{first} IS NULL OR {differs}"
    )
    for row in conn.execute(gone_or_changed):
        new_row = dict(zip(cols, row[width:], strict=True)) if row[width + cols.index(first)] is not None else None
        yield dict(zip(cols, row[:width], strict=True)), new_row
    added = f"SELECT {', '.join(f'n.{c}' for c in cols)} FROM {new}.{table.name} n WHERE NOT EXISTS (SELECT 1 FROM {old}.{table.name} o WHERE {on})"
    for row in conn.execute(added):
        yield None, dict(zip(cols, row, strict=True))


def _changed_units(conn: sqlite3.Connection, old: str, new: str) -> None:
    """Fill ``temp.diff_keys`` with the SOR ids whose rows differ in any of the unit's tables."""
    conn.execute("DROP TABLE IF EXISTS temp.diff_keys")
    conn.execute("CREATE TEMP TABLE diff_keys (key TEXT PRIMARY KEY) WITHOUT ROWID")
    for table in _UNIT_TABLES:
        on, differs = _differs_sql(table)
        t = table.name
        conn.execute(
            f"INSERT OR IGNORE INTO temp.diff_keys SELECT o.sor_id FROM {old}.{t} o LEFT JOIN {new}.{t} n ON {on}"
            f" WHERE n.sor_id IS NULL OR {differs}"
        )
        conn.execute(
            f"INSERT OR IGNORE INTO temp.diff_keys SELECT n.sor_id FROM {new}.{t} n"
            f" WHERE NOT EXISTS (SELECT 1 FROM {old}.{t} o WHERE {on})"
        )


def _unit_changes(conn: sqlite3.Connection, old: str, new: str, out: _Writer) -> None:
    _changed_units(conn, old, new)
    factory = conn.row_factory
    try:
        for before, after in _merge(
            load_entities(conn, old, "temp.diff_keys"), load_entities(conn, new, "temp.diff_keys")
        ):
            out.add(unit_changes(before, after))
    finally:
        conn.row_factory = factory
        conn.execute("DROP TABLE temp.diff_keys")


def _merge(
    old: Iterator[tuple[str, Entity]], new: Iterator[tuple[str, Entity]]
) -> Iterator[tuple[Entity | None, Entity | None]]:
    """Pairs of the same SOR id from two iterators in SOR id order (None where one lacks it)."""
    a, b = next(old, None), next(new, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            yield a[1], None  # type: ignore[index]
            a = next(old, None)
        elif a is None or b[0] < a[0]:
            yield None, b[1]
            b = next(new, None)
        else:
            yield a[1], b[1]
            a, b = next(old, None), next(new, None)


# -- from differing records to changes ------------------------------------------------------------


def unit_paths(ent: Entity) -> dict[str, Any]:
    """A unit's own values by field path (``name``, ``postal.street``, ``contact.phone``, ``specialities``...)."""
    values: dict[str, Any] = {name: getattr(ent, name) for name in _UNIT_SCALARS}
    for addr in sorted(ent.addresses, key=lambda a: a.kind):
        values.update({f"{addr.kind}.{name}": getattr(addr, name) for name in ADDRESS_FIELDS})
    if ent.contact is not None:
        values.update({f"contact.{name}": getattr(ent.contact, name) for name in CONTACT_FIELDS})
    values["specialities"] = [s.code for s in ent.specialities]
    values["speciality_types"] = [s.type_code for s in ent.specialities]
    values["local_attributes"] = list(ent.local_attributes)
    values["replaces"] = list(ent.replaces)
    values["replaced_by"] = list(ent.replaced_by)
    return values


def _empty(value: Any) -> bool:
    return value is None or value == []


@dataclass(frozen=True, slots=True)
class _Kind:
    """How a record's values become changes: its target, the field that closes it and the one that moves it."""

    target: str
    to_field: str
    parent_field: str | None = None
    table: Table | None = None  # for records compared as rows of one table
    prefix: str = ""  # field paths are the column names with this in front

    def changes(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Change]:
        """The changes of one record whose rows differ (``old``/``new`` None where it is missing)."""
        assert self.table is not None
        record = new if new is not None else old
        assert record is not None
        keys, values = _compared(self.table)
        detail = record[keys[1]] if len(keys) > 1 else None
        flags = {c.name for c in self.table.columns if c.type is bool}

        def paths(row: dict[str, Any] | None) -> dict[str, Any] | None:
            if row is None:
                return None
            return {f"{self.prefix}{v}": bool(row[v]) if v in flags and row[v] is not None else row[v] for v in values}

        owner = record.get(self.parent_field) if self.parent_field else None
        name = record.get("text")  # a SHAK code's; a number's owner's name is filled in by _place
        return self.classify(record[keys[0]], paths(old), paths(new), detail=detail, name=name, unit=owner)

    def classify(self, key: str, old: dict[str, Any] | None, new: dict[str, Any] | None, **about: Any) -> list[Change]:
        """added / removed, or closed, reopened, moved and changed for the paths whose values differ."""
        if old is None or new is None:
            values = new if new is not None else old
            assert values is not None
            side = 1 if new is not None else 0
            shown = {p: [None, v] if side else [v, None] for p, v in values.items() if not _empty(v)}
            return [Change(self.target, key, "added" if side else "removed", shown, **about)]
        differing = {p: [old.get(p), new.get(p)] for p in {**old, **new} if old.get(p) != new.get(p)}
        out = []
        to_path = self.prefix + self.to_field
        ends = differing.get(to_path)
        if ends is not None and (ends[0] is None or ends[1] is None):
            del differing[to_path]
            out.append(Change(self.target, key, "reopened" if ends[1] is None else "closed", {to_path: ends}, **about))
        parent_path = self.prefix + self.parent_field if self.parent_field else None
        if parent_path in differing:
            out.append(Change(self.target, key, "moved", {parent_path: differing.pop(parent_path)}, **about))  # type: ignore[arg-type]
        if differing:
            out.append(Change(self.target, key, "changed", differing, **about))
        return out


_UNIT = _Kind("entity", "to_date", "parent_sor_id")
_LOCATION = _Kind("location", "to_date", "owner_sor_id", LOCATION, "location.")
_MESSAGE = _Kind("message", "to_date", None, LOCATION_MESSAGE, "message.")
_SHAK = _Kind("shak", "valid_to", None, SHAK_CODE)


def unit_changes(old: Entity | None, new: Entity | None) -> list[Change]:
    """The changes of one unit from ``old`` to ``new`` (None: not there)."""
    ent = new if new is not None else old
    assert ent is not None
    # A removed unit is shown under its parent, which is still there (or is removed itself).
    unit = ent.sor_id if new is not None else ent.parent_sor_id
    before = unit_paths(old) if old is not None else None
    after = unit_paths(new) if new is not None else None
    return _UNIT.classify(ent.sor_id, before, after, name=ent.name, unit=unit)


# -- where each change belongs -------------------------------------------------------------------

MAX_DEPTH = 64  # a unit further below its institution than this (or in a loop of parents) gets none


def _place(conn: sqlite3.Connection, old: str, new: str, table: str) -> None:
    """Fill in the owner of changed numbers and message types, their names, and every change's institution."""
    for side in (new, old):
        if not _has_table(conn, side, "entity"):
            continue  # an import that did not replace the units: the other side has the same
        conn.execute(
            f"UPDATE {table} SET unit = (SELECT l.owner_sor_id FROM {side}.location l WHERE l.gln = {_bare(table)}.key)"
            " WHERE target = 'message' AND unit IS NULL"
        )
        conn.execute(
            f"UPDATE {table} SET name = (SELECT e.name FROM {side}.entity e WHERE e.sor_id = {_bare(table)}.unit)"
            " WHERE target IN ('location', 'message') AND name IS NULL"
        )
        conn.execute("DROP TABLE IF EXISTS temp.diff_place")
        conn.execute(
            f"""CREATE TEMP TABLE diff_place AS
            WITH RECURSIVE up(unit, sor_id, kind, parent_sor_id, name, depth) AS (
                SELECT e.sor_id, e.sor_id, e.kind, e.parent_sor_id, e.name, 0 FROM {side}.entity e
                WHERE e.sor_id IN (SELECT {_placed_by(_bare(table))} FROM {table} WHERE institution IS NULL)
                UNION ALL
                SELECT up.unit, p.sor_id, p.kind, p.parent_sor_id, p.name, up.depth + 1
                FROM up JOIN {side}.entity p ON p.sor_id = up.parent_sor_id
                WHERE up.kind = 'OE' AND up.depth < {MAX_DEPTH}
            )
            SELECT unit, sor_id, name FROM up WHERE kind <> 'OE'"""
        )
        conn.execute("CREATE INDEX temp.ix_diff_place ON diff_place (unit)")
        conn.execute(
            f"UPDATE {table} SET (institution, institution_name) ="
            f" (SELECT p.sor_id, p.name FROM temp.diff_place p WHERE p.unit = {_placed_by(_bare(table))})"
            f" WHERE institution IS NULL AND {_placed_by(_bare(table))} IN (SELECT unit FROM temp.diff_place)"
        )
        conn.execute("DROP TABLE temp.diff_place")


def _placed_by(table: str) -> str:
    """The unit whose institution a change of ``table`` stands under: a unit's own (a removed one's too), a
    number's owner's. The columns are named with their table: in a sub-query of ``diff_place``, whose
    ``unit`` column would be taken instead, a number's change stood under any institution."""
    return f"CASE {table}.target WHEN 'entity' THEN {table}.key ELSE {table}.unit END"


def _bare(table: str) -> str:
    """The table's name without its schema (how the statement's own row is named in a sub-query)."""
    return table.rpartition(".")[2]


# -- reading the changes ---------------------------------------------------------------------------

_ORDER = (
    "CASE target " + " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(TARGETS)) + " END, "
    "CASE change " + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(CHANGE_KINDS)) + " END, "
    "institution_name IS NULL, institution_name, institution, key, detail, seq"
)


def read_changes(conn: sqlite3.Connection) -> Iterator[Change]:
    """The recorded changes by target, kind, institution and key (streamed)."""
    cur = conn.execute(f"SELECT {', '.join(CHANGE_COLUMNS)} FROM main.import_change ORDER BY {_ORDER}")
    for row in cur:
        yield Change(
            target=row[0],
            key=row[1],
            change=row[2],
            detail=row[3],
            name=row[4],
            fields=json.loads(row[5]),
            unit=row[6],
            institution=row[7],
            institution_name=row[8],
            seen=bool(row[9]),
        )


def change_counts(conn: sqlite3.Connection) -> dict[tuple[str, str], int]:
    """How many changes of each (target, kind)."""
    rows = conn.execute("SELECT target, change, count(*) FROM main.import_change GROUP BY target, change")
    return {(t, c): n for t, c, n in rows}


# -- what an import changed ----------------------------------------------------------------------------


OLD = "diff_old"  # the schema an in-place import keeps the data it replaces in


def attach_old(conn: sqlite3.Connection, path: Path) -> None:
    """Attach the empty file ``path`` as ``OLD``, for ``keep_old`` (before a transaction: ATTACH cannot run in one).

    It is thrown away after the import, so it is written without a journal or syncing.
    """
    conn.execute("ATTACH DATABASE ? AS " + OLD, (str(path),))
    conn.execute(f"PRAGMA {OLD}.journal_mode = OFF")
    conn.execute(f"PRAGMA {OLD}.synchronous = OFF")


def detach_old(conn: sqlite3.Connection) -> None:
    if any(row[1] == OLD for row in conn.execute("PRAGMA database_list")):
        conn.execute("DETACH DATABASE " + OLD)


def keep_old(conn: sqlite3.Connection, tables: Iterable[str]) -> None:
    """Copy ``tables`` of the working copy into ``OLD`` as they are, before an import replaces them.

    The copies have the tables' columns and an index on each key and each index of the original
    (what ``compare`` joins and orders on), but no constraints: they are only read.
    """
    for table in tables:
        if _has_table(conn, OLD, table):
            continue
        conn.execute(f"CREATE TABLE {OLD}.{table} AS SELECT * FROM main.{table}")
        key = TABLES[table].primary_key
        conn.execute(f"CREATE INDEX {OLD}.ix_old_{table} ON {table} ({', '.join(key)})")
        for (sql,) in conn.execute(
            "SELECT sql FROM main.sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
        ).fetchall():
            conn.execute(
                sql.replace("CREATE INDEX ", f"CREATE INDEX {OLD}.", 1).replace(
                    "UNIQUE INDEX ", f"UNIQUE INDEX {OLD}.", 1
                )
            )


def record_import(conn: sqlite3.Connection, groups: Iterable[str], old: str | None) -> Summary:
    """Record in ``conn`` what an import changed: schema ``old`` holds the data it replaced (``keep_old``),
    None for a new working copy. Part of the import's transaction (opens none).

    Only the kinds of data the import replaced (``groups``) can differ. A kind there was none of
    before is new data, not changes: it is counted, not listed.
    """
    summary = Summary()
    wanted = set(groups)
    for group in GROUPS:
        if group not in wanted:
            continue
        table = GROUP_TABLES[group]
        if old is not None and _has_table(conn, old, table) and _has_rows(conn, old, table):
            summary.compared.append(group)
        else:
            summary.only_new[group] = conn.execute(f"SELECT count(*) FROM main.{table}").fetchone()[0]
    if old is not None:
        compare(conn, old, "main", summary.compared)
    else:
        conn.execute("DELETE FROM main.import_change")
    summary.counts = change_counts(conn)
    _write_summary(conn, summary)
    return summary


def _has_table(conn: sqlite3.Connection, schema: str, table: str) -> bool:
    sql = f"SELECT 1 FROM {schema}.sqlite_schema WHERE type = 'table' AND name = ?"
    return conn.execute(sql, (table,)).fetchone() is not None


def _has_rows(conn: sqlite3.Connection, schema: str, table: str) -> bool:
    return conn.execute(f"SELECT 1 FROM {schema}.{table} LIMIT 1").fetchone() is not None


def _write_summary(conn: sqlite3.Connection, summary: Summary) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    data = {"compared": summary.compared, "only_new": summary.only_new}
    conn.execute(
        "INSERT OR REPLACE INTO import_run (id, imported_at, summary) VALUES (1, ?, ?)",
        (stamp, json.dumps(data, ensure_ascii=False)),
    )


def last_import(conn: sqlite3.Connection) -> tuple[str, Summary] | None:
    """When the last import ran and what it compared; None when no import has been recorded."""
    row = conn.execute("SELECT imported_at, summary FROM import_run WHERE id = 1").fetchone()
    if row is None:
        return None
    data = json.loads(row[1])
    return row[0], Summary(compared=list(data.get("compared", [])), only_new=dict(data.get("only_new", {})))


# -- seen in the app ----------------------------------------------------------------------------------


def unseen_units(conn: sqlite3.Connection) -> set[str]:
    """The units the last import changed that the user has not looked at yet (marked in the tree)."""
    return {r[0] for r in conn.execute("SELECT DISTINCT unit FROM import_change WHERE seen = 0 AND unit IS NOT NULL")}


def mark_seen(conn: sqlite3.Connection, units: Iterable[str] | None = None) -> int:
    """Mark the changes of ``units`` (None: all) as seen; returns how many were still unseen."""
    with conn:
        if units is None:
            return conn.execute("UPDATE import_change SET seen = 1 WHERE seen = 0").rowcount
        ids = list(units)
        marks = ", ".join("?" * len(ids))
        return conn.execute(f"UPDATE import_change SET seen = 1 WHERE seen = 0 AND unit IN ({marks})", ids).rowcount
