"""The working copy's sync state (service, user, feed position) and recorded conflicts."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(slots=True)
class SyncState:
    service_url: str | None = None
    user_name: str | None = None
    service_id: str | None = None
    last_seq: int = 0
    last_sync_at: str | None = None


def read_state(conn: sqlite3.Connection) -> SyncState:
    row = conn.execute(
        "SELECT service_url, user_name, service_id, last_seq, last_sync_at FROM sync_state WHERE id = 1"
    ).fetchone()
    return SyncState(*row) if row else SyncState()


def write_state(conn: sqlite3.Connection, **values: Any) -> None:
    """Update sync_state columns (not a transaction of its own)."""
    allowed = {"service_url", "user_name", "service_id", "last_seq", "last_sync_at"}
    if set(values) - allowed:
        raise ValueError(f"unknown sync state {set(values) - allowed}")
    conn.execute("INSERT OR IGNORE INTO sync_state (id, last_seq) VALUES (1, 0)")
    sets = ", ".join(f"{name} = ?" for name in values)
    conn.execute(f"UPDATE sync_state SET {sets} WHERE id = 1", tuple(values.values()))


# -- conflicts ----------------------------------------------------------------


@dataclass(slots=True)
class Conflict:
    """A field changed both here and on the service: the base, local and service values."""

    id: int
    entry_id: int
    target: str
    key: str
    field: str | None
    base_value: Any
    local_value: Any
    server_value: Any
    base_version: int
    server_version: int | None
    detected_at: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entry_id": self.entry_id,
            "target": self.target,
            "key": self.key,
            "field": self.field,
            "base": self.base_value,
            "local": self.local_value,
            "server": self.server_value,
            "base_version": self.base_version,
            "server_version": self.server_version,
            "detected_at": self.detected_at,
        }


_CONFLICT_COLS = (
    "id, entry_id, target, key, field, base_value, local_value, server_value, base_version, server_version, detected_at"
)


def _conflict(row: tuple) -> Conflict:
    values = list(row)
    for i in (5, 6, 7):
        values[i] = json.loads(values[i]) if values[i] is not None else None
    return Conflict(*values)


def conflicts(conn: sqlite3.Connection) -> list[Conflict]:
    return [_conflict(r) for r in conn.execute(f"SELECT {_CONFLICT_COLS} FROM conflict ORDER BY id")]


def conflict_for_entry(conn: sqlite3.Connection, entry_id: int) -> Conflict | None:
    """The conflict of the field that journal entry ``entry_id`` changes (any entry of its chain)."""
    row = conn.execute("SELECT target, key, field FROM journal WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        return None
    found = conn.execute(
        f"SELECT {_CONFLICT_COLS} FROM conflict WHERE target = ? AND key = ? AND field IS ?", row
    ).fetchone()
    return _conflict(found) if found else None


def record_conflict(conn: sqlite3.Connection, c: Conflict) -> None:
    """Replace any earlier conflict of the same field with ``c`` (not a transaction of its own)."""
    conn.execute("DELETE FROM conflict WHERE target = ? AND key = ? AND field IS ?", (c.target, c.key, c.field))
    conn.execute(
        "INSERT INTO conflict (entry_id, target, key, field, base_value, local_value, server_value, base_version,"
        " server_version, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            c.entry_id,
            c.target,
            c.key,
            c.field,
            *(json.dumps(v, ensure_ascii=False) for v in (c.base_value, c.local_value, c.server_value)),
            c.base_version,
            c.server_version,
            c.detected_at,
        ),
    )


def delete_conflict(conn: sqlite3.Connection, conflict_id: int) -> None:
    conn.execute("DELETE FROM conflict WHERE id = ?", (conflict_id,))


def conflict_fields(conn: sqlite3.Connection) -> set[tuple[str, str, str | None]]:
    return {(r[0], r[1], r[2]) for r in conn.execute("SELECT target, key, field FROM conflict")}
