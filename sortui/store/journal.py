"""The change journal: one entry per local edit, with the old value and the new.

The edit operations (``store.edits``) write the working copy and record an entry here in
the same transaction. The working copy always shows current values; the journal keeps the
old value of each change, which is what undo, "discard all", exports without pending edits,
re-importing (``reapply``, which rebases each old value on the new data) and sync
(``sync.bookkeeping``) build on.

Ops: 'set' and 'move' (a unit's field), 'set' (a location number's attribute), 'add' and
'remove' (a message type on a location number: its old and new value are its registration,
``{from_date, to_date}``, or None), and two structural ones: 'create' (a unit
with a provisional SOR id; the new value holds its first values) and 'ean' (a unit's
location-number mode, with the number and its message types before and after).

A bulk change (a message type on many lokationsnumre, one field on many units) records its entries
with one ``group_id``: it is listed as one change and undone as one, in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sortui.domain.validation import Problem
from sortui.store.db import write_transaction
from sortui.store.values import current_value, insert_created_unit, replace_ean_state, write_entity_value


class EditError(Exception):
    """An edit (or an undo) that the rules refuse; ``problems`` say which field and why.

    It lives here, below ``edits``, because ``undo`` refuses with it too.
    """

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@dataclass(slots=True)
class JournalEntry:
    id: int
    created_at: str
    target: str
    key: str
    op: str
    field: str | None
    old_value: Any
    new_value: Any
    base_version: int
    status: str
    changeset_id: str | None = None
    group_id: int | None = None  # the entries of one bulk change share it
    warnings: list[str] = field(default_factory=list)

    def operation(self) -> dict[str, Any]:
        """The entry as an operation of a changeset (what the service is sent)."""
        return {
            "target": self.target,
            "key": self.key,
            "op": self.op,
            "field": self.field,
            "old": self.old_value,
            "new": self.new_value,
            "base_version": self.base_version,
        }


# -- recording and reading entries ------------------------------------------------

_ENTRY_COLS = (
    "id, created_at, target, key, op, field, old_value, new_value, base_version, status, changeset_id, group_id"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_entry(
    conn: sqlite3.Connection,
    target: str,
    key: str,
    op: str,
    path: str | None,
    old: Any,
    new: Any,
    base: int,
    group: int | None = None,
) -> JournalEntry:
    """Add a pending entry (the change is already in the working copy), in bulk change ``group`` if
    given. Not a transaction of its own."""
    cur = conn.execute(
        "INSERT INTO journal (created_at, target, key, op, field, old_value, new_value, base_version, status, group_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        (
            _now(),
            target,
            key,
            op,
            path,
            json.dumps(old, ensure_ascii=False),
            json.dumps(new, ensure_ascii=False),
            base,
            group,
        ),
    )
    return get_entry(conn, cur.lastrowid)  # type: ignore[arg-type]


def new_group(conn: sqlite3.Connection) -> int:
    """A group id no entry has: for the entries of one bulk change (inside its write transaction)."""
    return conn.execute("SELECT coalesce(max(group_id), 0) + 1 FROM journal").fetchone()[0]


def _entry(row: tuple) -> JournalEntry:
    values = list(row)
    values[6] = json.loads(values[6]) if values[6] is not None else None
    values[7] = json.loads(values[7]) if values[7] is not None else None
    return JournalEntry(*values)


def get_entry(conn: sqlite3.Connection, entry_id: int) -> JournalEntry:
    row = conn.execute(f"SELECT {_ENTRY_COLS} FROM journal WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise KeyError(entry_id)
    return _entry(row)


def entries_where(conn: sqlite3.Connection, where: str, params: Sequence[Any] = ()) -> list[JournalEntry]:
    """The entries matching ``where`` (an SQL condition on the journal's columns), oldest first."""
    rows = conn.execute(f"SELECT {_ENTRY_COLS} FROM journal WHERE {where} ORDER BY id", params).fetchall()
    return [_entry(r) for r in rows]


def pending(conn: sqlite3.Connection) -> list[JournalEntry]:
    return entries_where(conn, "status != 'synced'")


def pending_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM journal WHERE status != 'synced'").fetchone()[0]


def pending_keys(conn: sqlite3.Connection) -> set[str]:
    """SOR ids and GLNs with pending edits (for markers in the tree and the detail panel)."""
    return {r[0] for r in conn.execute("SELECT DISTINCT key FROM journal WHERE status != 'synced'")}


def pending_for(conn: sqlite3.Connection, keys: list[str]) -> list[JournalEntry]:
    """The pending (not synced) entries on these SOR ids / GLNs, oldest first."""
    marks = ", ".join("?" * len(keys))
    return entries_where(conn, f"status != 'synced' AND key IN ({marks})", keys)


def entries_with_status(conn: sqlite3.Connection, status: str) -> list[JournalEntry]:
    return entries_where(conn, "status = ?", (status,))


def entries_by_id(conn: sqlite3.Connection, ids: list[int]) -> list[JournalEntry]:
    found = [conn.execute(f"SELECT {_ENTRY_COLS} FROM journal WHERE id = ?", (i,)).fetchone() for i in ids]
    return [_entry(r) for r in found if r is not None]


def group_entries(conn: sqlite3.Connection, group_id: int) -> list[JournalEntry]:
    return entries_where(conn, "group_id = ?", (group_id,))


# -- undo, discard, reapply ---------------------------------------------------------


def undo(conn: sqlite3.Connection, entry_id: int) -> list[int]:
    """Revert one pending entry, or the whole bulk change it belongs to, in one transaction; refused
    while a later pending entry (of no such change) changed the same thing. Returns the ids undone."""
    with write_transaction(conn):
        entry = get_entry(conn, entry_id)
        entries = group_entries(conn, entry.group_id) if entry.group_id is not None else [entry]
        ids = {e.id for e in entries}
        for e in reversed(entries):
            _undo(conn, e, ids)
        return sorted(ids)


def _undo(conn: sqlite3.Connection, entry: JournalEntry, together: set[int]) -> None:
    """Revert ``entry``; ``together``: the entries undone with it (they do not block it)."""
    entry_id = entry.id
    if entry.status == "synced":
        raise EditError([Problem(entry.field or "", None, f"change {entry_id} is already synchronised")])
    if entry.status == "sent":
        raise EditError([Problem(entry.field or "", None, f"change {entry_id} is being sent; sync first")])
    later = conn.execute(
        "SELECT id FROM journal WHERE target = ? AND key = ? AND field IS ? AND id > ? AND status != 'synced'"
        " ORDER BY id DESC",
        (entry.target, entry.key, entry.field, entry_id),
    ).fetchall()
    later_ids = [r[0] for r in later if r[0] not in together]
    if later_ids:
        problem = f"undo change {later_ids[0]} first: it changed the same field"
        raise EditError([Problem(entry.field or "", None, problem)])
    blocker = _undo_blocker(conn, entry)
    if blocker and blocker not in together:
        raise EditError([Problem(entry.field or "", None, f"undo change {blocker} first: it builds on this one")])
    _revert(conn, entry)
    conn.execute("DELETE FROM journal WHERE id = ?", (entry_id,))


def _undo_blocker(conn: sqlite3.Connection, entry: JournalEntry) -> int | None:
    """A later pending entry that builds on a created unit or on a number given by a mode change."""
    if entry.op == "create":
        row = conn.execute(
            "SELECT min(id) FROM journal WHERE id > ? AND status != 'synced' AND (key = ?"
            " OR (op = 'move' AND new_value = ?) OR (op = 'create' AND json_extract(new_value, '$.parent_sor_id') = ?))",
            (entry.id, entry.key, json.dumps(entry.key), entry.key),
        ).fetchone()
        return row[0]
    if entry.op == "ean" and (entry.new_value or {}).get("location"):
        gln = entry.new_value["location"]["gln"]
        row = conn.execute(
            "SELECT min(id) FROM journal WHERE id > ? AND status != 'synced' AND key = ?", (entry.id, gln)
        ).fetchone()
        return row[0]
    return None


def discard_all(conn: sqlite3.Connection) -> int:
    """Revert every pending entry, newest first. Returns how many were discarded."""
    with write_transaction(conn):
        entries = pending(conn)
        for entry in reversed(entries):
            _revert(conn, entry)
            conn.execute("DELETE FROM journal WHERE id = ?", (entry.id,))
    return len(entries)


def revert_all_in(conn: sqlite3.Connection) -> None:
    """Revert every pending entry without deleting it (used on a throwaway copy for exports)."""
    with conn:
        for entry in reversed(pending(conn)):
            _revert(conn, entry)


def _revert(conn: sqlite3.Connection, entry: JournalEntry) -> None:
    """Put back what ``entry`` changed: a created unit goes again, anything else gets its old value."""
    if entry.op == "create":
        _delete_created(conn, entry.key)
    else:
        apply_entry(conn, _inverse(entry))


def _inverse(entry: JournalEntry) -> JournalEntry:
    """The entry that undoes ``entry``: old and new swapped. A message type's old value is its
    registration before (None: not registered), so the inverse registers it again ('add') or removes it."""
    op = entry.op
    if entry.target == "message":
        op = "remove" if entry.old_value is None else "add"
    return replace(entry, op=op, old_value=entry.new_value, new_value=entry.old_value)


def _delete_created(conn: sqlite3.Connection, sor_id: str) -> None:
    replace_ean_state(conn, sor_id, None)
    conn.execute("DELETE FROM search WHERE rowid = (SELECT rowid FROM entity WHERE sor_id = ?)", (sor_id,))
    for table in ("address", "contact", "speciality", "local_attribute", "succession", "entity"):
        conn.execute(f"DELETE FROM {table} WHERE sor_id = ?", (sor_id,))


def reapply(conn: sqlite3.Connection) -> tuple[int, int]:
    """Rebase the pending entries on freshly imported data: each one's old value becomes what the new
    data (with the entries before it applied) holds, then it is applied again. Undo, "discard all"
    and exports without pending edits then give the new data's values. Not a transaction of its own.

    Returns (applied, skipped: target gone).
    """
    applied = skipped = 0
    for entry in pending(conn):
        if not target_exists(conn, entry):
            skipped += 1
            continue
        old = current_value(conn, entry.target, entry.key, entry.op, entry.field)
        conn.execute("UPDATE journal SET old_value = ? WHERE id = ?", (json.dumps(old, ensure_ascii=False), entry.id))
        apply_entry(conn, entry)
        applied += 1
    return applied, skipped


def target_exists(conn: sqlite3.Connection, entry: JournalEntry) -> bool:
    """Whether the unit or location number ``entry`` changes is in the working copy (for 'create': its parent)."""
    if entry.op == "create":
        parent = (entry.new_value or {}).get("parent_sor_id")
        return conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (parent,)).fetchone() is not None
    if entry.target == "entity":
        return conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (entry.key,)).fetchone() is not None
    return conn.execute("SELECT 1 FROM location WHERE gln = ?", (entry.key,)).fetchone() is not None


def apply_entry(conn: sqlite3.Connection, entry: JournalEntry) -> None:
    """Write ``entry``'s new value to the working copy. Not a transaction of its own."""
    if entry.op == "create":
        insert_created_unit(conn, entry.key, entry.new_value)
    elif entry.op == "ean":
        replace_ean_state(conn, entry.key, entry.new_value)
    elif entry.target == "entity":
        write_entity_value(conn, entry.key, entry.field or "", entry.new_value)
    elif entry.target == "location":
        name = (entry.field or "").partition(".")[2]
        conn.execute(f"UPDATE location SET {name} = ? WHERE gln = ?", (entry.new_value, entry.key))
    elif entry.op == "add":
        new = entry.new_value or {}
        conn.execute(
            "INSERT OR REPLACE INTO location_message (gln, message_urn, from_date, to_date) VALUES (?, ?, ?, ?)",
            (entry.key, entry.field, new.get("from_date"), new.get("to_date")),
        )
    else:
        conn.execute("DELETE FROM location_message WHERE gln = ? AND message_urn = ?", (entry.key, entry.field))
