"""Reading and writing the values edits change, without journaling and without validation.

Shared by the edit operations (``edits``), undo and reapply (``journal``) and sync's
bookkeeping, so that a value is read and written the same way whoever does it. None of these is
a transaction of its own: the caller commits.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from typing import Any

from sortui.domain.fields import SPECIALITY_TYPE
from sortui.domain.model import ADDRESS_KINDS, Entity, Location
from sortui.domain.validation import sort_name
from sortui.store.rows import (
    ENTITY_COLS,
    LOCATION_COLS,
    entity_row,
    insert_sql,
    load_entity,
    location_from_row,
    location_row,
)
from sortui.store.search_index import refresh_search_row

# -- reading ---------------------------------------------------------------------------


def entity_value(ent: Entity, path: str) -> Any:
    """A unit's field ``path`` (``name``, ``postal.street``, ``specialities`` as a list of codes, ...)."""
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        addr = ent.address(group)
        return getattr(addr, name) if addr else None
    if group == "contact":
        return getattr(ent.contact, name) if ent.contact else None
    if path == "specialities":
        return [s.code for s in ent.specialities]
    return getattr(ent, path)


def ean_state(conn: sqlite3.Connection, ent: Entity) -> dict[str, Any]:
    """A unit's location-number mode, own number and that number's message types (JSON-ready)."""
    loc = ent.location
    messages = []
    if loc is not None:
        messages = [
            list(r)
            for r in conn.execute(
                "SELECT message_urn, from_date, to_date FROM location_message WHERE gln = ? ORDER BY message_urn",
                (loc.gln,),
            )
        ]
    return {"ean_mode": ent.ean_mode, "location": asdict(loc) if loc else None, "messages": messages}


def message_state(conn: sqlite3.Connection, gln: str, urn: str) -> dict[str, Any] | None:
    """A message type's registration on a location number (its validity), None when not registered."""
    row = conn.execute(
        "SELECT from_date, to_date FROM location_message WHERE gln = ? AND message_urn = ?", (gln, urn)
    ).fetchone()
    return {"from_date": row[0], "to_date": row[1]} if row else None


def current_value(conn: sqlite3.Connection, target: str, key: str, op: str, path: str | None) -> Any:
    """What the field a journal entry changes holds now: the entry's old value, were it made now.

    For an 'ean' entry the unit's location-number state, for a message type its registration; a
    created unit has no old value. The target must exist (``journal.target_exists``).
    """
    if op == "create":
        return None
    if target == "message":
        return message_state(conn, key, path or "")
    if target == "location":
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute("SELECT * FROM location WHERE gln = ?", (key,)).fetchone()
        finally:
            conn.row_factory = None
        return getattr(location_from_row(row), (path or "").partition(".")[2])
    ent = load_entity(conn, key)
    conn.row_factory = None
    assert ent is not None, key
    return ean_state(conn, ent) if op == "ean" else entity_value(ent, path or "")


# -- writing ---------------------------------------------------------------------------


def write_entity_value(conn: sqlite3.Connection, sor_id: str, path: str, value: Any) -> None:
    """Set a unit's field ``path`` (``name``, ``postal.street``, ``specialities``, ...) to ``value``."""
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        _upsert_side(conn, "address", {"sor_id": sor_id, "kind": group}, name, value)
    elif group == "contact":
        _upsert_side(conn, "contact", {"sor_id": sor_id}, name, value)
    elif path == "specialities":
        conn.execute("DELETE FROM speciality WHERE sor_id = ?", (sor_id,))
        conn.executemany(
            "INSERT INTO speciality (sor_id, seq, code, type_code) VALUES (?, ?, ?, ?)",
            [(sor_id, i, code, SPECIALITY_TYPE) for i, code in enumerate(value, 1)],
        )
    elif path == "parent_sor_id":
        conn.execute("UPDATE entity SET parent_sor_id = ? WHERE sor_id = ?", (value, sor_id))
    else:
        conn.execute(f"UPDATE entity SET {path} = ? WHERE sor_id = ?", (value, sor_id))
        if path == "name":
            conn.execute("UPDATE entity SET sort_name = ? WHERE sor_id = ?", (sort_name(value or ""), sor_id))
    refresh_search_row(conn, sor_id)


def _upsert_side(conn: sqlite3.Connection, table: str, keys: dict[str, str], column: str, value: Any) -> None:
    where = " AND ".join(f"{k} = ?" for k in keys)
    exists = conn.execute(f"SELECT 1 FROM {table} WHERE {where}", tuple(keys.values())).fetchone()
    if exists:
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {where}", (value, *keys.values()))
    elif value is not None:
        cols = [*keys, column]
        conn.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", (*keys.values(), value)
        )
    # A side row whose values are all empty again is removed, so inheritance applies once more.
    row = conn.execute(f"SELECT * FROM {table} WHERE {where}", tuple(keys.values())).fetchone()
    if row is not None and all(v is None for v in row[len(keys) :]):
        conn.execute(f"DELETE FROM {table} WHERE {where}", tuple(keys.values()))


def insert_created_unit(conn: sqlite3.Connection, sor_id: str, values: dict[str, Any]) -> None:
    """Add a unit created here (or by someone else) with its first ``values``; kept if already there."""
    ent = Entity(sor_id, **values)
    conn.execute(insert_sql("entity", ENTITY_COLS, "INSERT OR IGNORE"), entity_row(ent))
    refresh_search_row(conn, sor_id)


def replace_ean_state(conn: sqlite3.Connection, sor_id: str, state: dict[str, Any] | None) -> None:
    """Make ``state`` the unit's location-number state; None removes its own numbers only.

    An ean state is ``{ean_mode, location: the unit's own number's attributes or None,
    messages: [[URN, from_date, to_date], ...]}``. The unit's own numbers and their message
    types are replaced by the state's.
    """
    owned = [r[0] for r in conn.execute("SELECT gln FROM location WHERE owner_sor_id = ?", (sor_id,))]
    for gln in owned:
        conn.execute("DELETE FROM location_message WHERE gln = ?", (gln,))
        conn.execute("DELETE FROM location WHERE gln = ?", (gln,))
    if state is None:
        return
    conn.execute("UPDATE entity SET ean_mode = ? WHERE sor_id = ?", (state["ean_mode"], sor_id))
    if state.get("location"):
        conn.execute(
            insert_sql("location", LOCATION_COLS, "INSERT OR REPLACE"), location_row(Location(**state["location"]))
        )
        conn.executemany(
            "INSERT OR REPLACE INTO location_message (gln, message_urn, from_date, to_date) VALUES (?, ?, ?, ?)",
            [(state["location"]["gln"], *m) for m in state.get("messages") or []],
        )
    refresh_search_row(conn, sor_id)
