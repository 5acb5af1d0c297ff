"""Sync's bookkeeping on the working copy and its journal.

The sync engine drives these: an entry goes pending -> sent (with the changeset id, committed
before the request) -> synced, or back to pending on a refusal. After a conflict, entries are
rebased onto the service's version, given a new value or dropped. Changes pulled from the
service are written without journaling, and units created here get the SOR id the service
issued.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sortui.domain.fields import LOCATION_FLAGS, LOCATION_SCALARS, editable_entity_fields
from sortui.domain.provisional import is_provisional
from sortui.store import journal
from sortui.store.journal import JournalEntry
from sortui.store.values import insert_created_unit, replace_ean_state

# -- pushing: pending -> sent -> synced ------------------------------------------------


def mark_sent(conn: sqlite3.Connection, entry_ids: list[int], changeset_id: str) -> None:
    """Record that these pending entries go out as ``changeset_id`` (before sending, so a retry reuses it)."""
    with conn:
        conn.executemany(
            "UPDATE journal SET status = 'sent', changeset_id = ? WHERE id = ? AND status = 'pending'",
            [(changeset_id, i) for i in entry_ids],
        )


def mark_pending(conn: sqlite3.Connection, changeset_id: str) -> int:
    """The service refused ``changeset_id`` (nothing applied): its entries are pending again."""
    with conn:
        cur = conn.execute(
            "UPDATE journal SET status = 'pending', changeset_id = NULL WHERE changeset_id = ? AND status = 'sent'",
            (changeset_id,),
        )
    return cur.rowcount


_KEY_COLUMN = {"entity": "sor_id", "location": "gln"}  # of each versioned table


def _item(target: str) -> tuple[str, str]:
    """(table, key column) of the versioned record a journal target changes."""
    table = "entity" if target == "entity" else "location"
    return table, _KEY_COLUMN[table]


def mark_synced(conn: sqlite3.Connection, changeset_id: str, versions: dict[tuple[str, str], int]) -> int:
    """The service applied ``changeset_id``: its entries are synced and their records get the new versions.

    ``versions`` maps (``entity`` | ``location``, key) to the version the service gave the record.
    Entries made meanwhile on those records (still pending, on the old version) move to the new one.
    """
    sent = [e for e in journal.entries_with_status(conn, "sent") if e.changeset_id == changeset_id]
    bases = {(_item(e.target)[0], e.key): e.base_version for e in sent}
    for e in sent:  # a number given by a mode change was made at version 0 here
        if e.op == "ean" and (e.new_value or {}).get("location"):
            bases.setdefault(("location", e.new_value["location"]["gln"]), 0)
    with conn:
        conn.execute("UPDATE journal SET status = 'synced' WHERE changeset_id = ? AND status = 'sent'", (changeset_id,))
        for (table, key), version in versions.items():
            set_version(conn, table, key, version)
            if (table, key) not in bases:
                continue
            targets = ("entity",) if table == "entity" else ("location", "message")
            conn.execute(
                f"UPDATE journal SET base_version = ? WHERE status = 'pending' AND key = ? AND base_version = ?"
                f" AND target IN ({', '.join('?' * len(targets))})",
                (version, key, bases[table, key], *targets),
            )
    return len(sent)


def set_version(conn: sqlite3.Connection, table: str, key: str, version: int) -> None:
    """Raise a record's version to ``version`` (never lowers it). Not a transaction of its own."""
    conn.execute(f"UPDATE {table} SET version = max(version, ?) WHERE {_KEY_COLUMN[table]} = ?", (version, key))


def own_changeset_ids(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT DISTINCT changeset_id FROM journal WHERE changeset_id IS NOT NULL")}


# -- after a conflict ------------------------------------------------------------------


def field_chain(conn: sqlite3.Connection, target: str, key: str, path: str | None) -> list[JournalEntry]:
    """The pending (not synced) entries that change one field, oldest first."""
    return journal.entries_where(
        conn, "target = ? AND key = ? AND field IS ? AND status != 'synced'", (target, key, path)
    )


def rebase(conn: sqlite3.Connection, entry_ids: list[int], base_version: int, first_old_value: Any) -> None:
    """Base pending entries on ``base_version``; the first one's old value becomes ``first_old_value``.

    Used after a conflict: the edit is kept and will be sent on top of the service's version.
    Not a transaction of its own.
    """
    for i, entry_id in enumerate(entry_ids):
        conn.execute(
            "UPDATE journal SET base_version = ?, status = 'pending', changeset_id = NULL WHERE id = ?",
            (base_version, entry_id),
        )
        if i == 0:
            conn.execute(
                "UPDATE journal SET old_value = ? WHERE id = ?",
                (json.dumps(first_old_value, ensure_ascii=False), entry_id),
            )


def drop_entries(conn: sqlite3.Connection, entry_ids: list[int]) -> None:
    """Delete entries without reverting them (their change is replaced by the service's). No transaction."""
    conn.executemany("DELETE FROM journal WHERE id = ?", [(i,) for i in entry_ids])


def set_entry_value(conn: sqlite3.Connection, entry_id: int, value: Any) -> None:
    """Change what a pending entry sets (resolving a conflict with a new value). No transaction."""
    conn.execute("UPDATE journal SET new_value = ? WHERE id = ?", (json.dumps(value, ensure_ascii=False), entry_id))


# -- changes pulled from the service, written without journaling -----------------------

REMOTE_ENTITY_PATHS = frozenset([*editable_entity_fields(), "parent_sor_id"])


def apply_remote(
    conn: sqlite3.Connection, target: str, key: str, op: str, path: str | None, value: Any, version: int
) -> bool:
    """Apply a change pulled from the service to the working copy without journaling it.

    Raises the record's version to ``version``. Returns False (nothing written) when the unit or
    location number is not in this working copy. Field names are checked against the editable
    fields before they reach SQL. Not a transaction of its own.
    """
    _check_remote_path(target, path)
    table, column = _item(target)
    if conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (key,)).fetchone() is None:
        return False
    write_value(conn, target, key, op, path, value)
    set_version(conn, table, key, version)
    return True


def write_value(conn: sqlite3.Connection, target: str, key: str, op: str, path: str | None, value: Any) -> None:
    """Write one field's value to the working copy (as ``op`` on ``target`` would), without journaling."""
    _check_remote_path(target, path)
    journal.apply_entry(conn, JournalEntry(0, "", target, key, op, path, None, value, 0, "synced"))


def _check_remote_path(target: str, path: str | None) -> None:
    if target == "entity" and path in REMOTE_ENTITY_PATHS:
        return
    if target == "location" and (path or "").partition(".")[2] in LOCATION_SCALARS + LOCATION_FLAGS:
        return
    if target == "message" and path:
        return
    raise ValueError(f"{target} {path!r} is not a field sortui can change")


def apply_remote_create(conn: sqlite3.Connection, sor_id: str, values: dict[str, Any], version: int) -> bool:
    """A unit created by someone else (from the change feed); False when its parent is not here."""
    parent = values.get("parent_sor_id")
    if conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (parent,)).fetchone() is None:
        return False
    insert_created_unit(conn, sor_id, values)
    set_version(conn, "entity", sor_id, version)
    return True


def write_ean_state(conn: sqlite3.Connection, sor_id: str, state: dict[str, Any]) -> bool:
    """Make ``state`` (an ean state: mode, own number, its message types) the unit's, without journaling.

    False when the unit is not in this working copy. Not a transaction of its own.
    """
    if conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (sor_id,)).fetchone() is None:
        return False
    replace_ean_state(conn, sor_id, state)
    return True


def apply_remote_ean(conn: sqlite3.Connection, sor_id: str, state: dict[str, Any], version: int) -> bool:
    """A unit's location-number mode changed by someone else (from the change feed)."""
    if not write_ean_state(conn, sor_id, state):
        return False
    set_version(conn, "entity", sor_id, version)
    return True


# -- units created here get their real SOR id ------------------------------------------

_ID_COLUMNS = ("sor_id", "parent_sor_id", "geo_parent_sor_id", "other_sor_id", "owner_sor_id")
_KEYED = ("journal", "conflict")  # JSON values and a key that may name a SOR id


def _replace_id(value: Any, old: str, new: str) -> Any:
    if value == old:
        return new
    if isinstance(value, list):
        return [_replace_id(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _replace_id(v, old, new) for k, v in value.items()}
    return value


def _id_columns(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, column) of every plain table column that holds a SOR id."""
    tables = conn.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        " AND name NOT LIKE 'search%' AND name NOT LIKE 'sqlite%'"
    ).fetchall()
    found = []
    for (table,) in tables:
        for col in conn.execute(f"PRAGMA table_info({table})").fetchall():
            if col[1] in _ID_COLUMNS:
                found.append((table, col[1]))
    return found


def adopt_sor_id(conn: sqlite3.Connection, provisional: str, real: str) -> None:
    """Give a unit created here the SOR id the service issued, everywhere in the working copy.

    The unit, its side tables, its children's parent pointers, location numbers it owns, the
    journal (keys and values: moves into it, units created under it) and recorded conflicts.
    Not a transaction of its own: the caller commits it as one.
    """
    if provisional == real or not is_provisional(provisional):
        return
    for table, column in _id_columns(conn):
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (real, provisional))
    pattern = f"%{provisional}%"
    for table in _KEYED:
        value_cols = ("old_value", "new_value") if table == "journal" else ("base_value", "local_value", "server_value")
        rows = conn.execute(
            f"SELECT id, {', '.join(value_cols)} FROM {table} WHERE key = ? OR "
            + " OR ".join(f"{c} LIKE ?" for c in value_cols),
            (provisional, *[pattern] * len(value_cols)),
        ).fetchall()
        for row_id, *values in rows:
            fixed = [
                json.dumps(_replace_id(json.loads(v), provisional, real), ensure_ascii=False) if v else v
                for v in values
            ]
            sets = ", ".join(f"{c} = ?" for c in value_cols)
            conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", (*fixed, row_id))
        conn.execute(f"UPDATE {table} SET key = ? WHERE key = ? AND target = 'entity'", (real, provisional))
    if conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'review_item'").fetchone():
        conn.execute("UPDATE review_item SET key = ? WHERE key = ? AND target = 'entity'", (real, provisional))
    # The search index needs nothing: the unit keeps its rowid, and its search row holds no SOR-kode.
