"""Resolving a recorded conflict: keep mine, take the service's, or set a new value. Nothing is lost.

- mine: the local edit is rebased onto the service's version and goes out with the next sync.
- server: the service's value is written to the working copy and the local edit is dropped.
- value: a new value, based on the service's version, replaces the local edit.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sortui.domain.fields import field_label
from sortui.store import edits, journal
from sortui.store.describe import value_words
from sortui.store.journal import EditError
from sortui.sync import bookkeeping, state

CHOICES = ("mine", "server", "value")


class ResolveError(Exception):
    pass


@dataclass(slots=True)
class Resolution:
    conflict: state.Conflict
    choice: str
    value: Any  # the value the field has in the working copy now
    entries: list[int]  # journal entries still pending for the field (empty for "server")


def resolve(conn: sqlite3.Connection, entry_id: int, choice: str, text: str | None = None) -> Resolution:
    """Resolve the conflict of the field that journal entry ``entry_id`` changes."""
    if choice not in CHOICES:
        raise ResolveError(f"choose one of {', '.join(CHOICES)}")
    conflict = state.conflict_for_entry(conn, entry_id)
    if conflict is None:
        raise ResolveError(f"change #{entry_id} has no conflict to resolve (see `sortui conflicts`)")
    chain = bookkeeping.field_chain(conn, conflict.target, conflict.key, conflict.field)
    if choice == "value":
        value = _parse(conn, conflict, text)
    with conn:
        if choice == "mine":
            bookkeeping.rebase(conn, [e.id for e in chain], conflict.server_version or 0, conflict.server_value)
            kept, value = [e.id for e in chain], conflict.local_value
        elif choice == "server":
            _take_server(conn, conflict, [e.id for e in chain])
            kept, value = [], conflict.server_value
        else:
            kept = _set_value(conn, conflict, chain, value)
        state.delete_conflict(conn, conflict.id)
    return Resolution(conflict, choice, value, kept)


def _item_op(conflict: state.Conflict, value: Any) -> str:
    if conflict.target == "message":
        return "add" if value is not None else "remove"
    return "move" if conflict.field == "parent_sor_id" else "set"


def _take_server(conn: sqlite3.Connection, conflict: state.Conflict, entry_ids: list[int]) -> None:
    value = conflict.server_value
    if is_ean(conflict):
        bookkeeping.write_ean_state(conn, conflict.key, value)
    else:
        bookkeeping.write_value(conn, conflict.target, conflict.key, _item_op(conflict, value), conflict.field, value)
    bookkeeping.drop_entries(conn, entry_ids)
    if conflict.server_version is not None:
        table = "entity" if conflict.target == "entity" else "location"
        bookkeeping.set_version(conn, table, conflict.key, conflict.server_version)


def _set_value(
    conn: sqlite3.Connection, conflict: state.Conflict, chain: list[journal.JournalEntry], value: Any
) -> list[int]:
    """One entry (the first of the chain) now sets ``value`` on top of the service's version.

    It keeps its op: a message type or a location-number mode takes no new value (``_parse`` refuses).
    """
    first, rest = chain[0], chain[1:]
    bookkeeping.drop_entries(conn, [e.id for e in rest])
    bookkeeping.rebase(conn, [first.id], conflict.server_version or 0, conflict.server_value)
    bookkeeping.set_entry_value(conn, first.id, value)
    bookkeeping.write_value(conn, conflict.target, conflict.key, first.op, conflict.field, value)
    return [first.id]


def is_ean(conflict: state.Conflict) -> bool:
    """A conflict of a unit's location-number mode (own number or inherited): mine or the service's."""
    return conflict.target == "entity" and conflict.field == "ean_mode"


def _parse(conn: sqlite3.Connection, conflict: state.Conflict, text: str | None) -> Any:
    path = conflict.field or ""
    if conflict.target == "message":
        raise ResolveError("a message type is either registered or not: use --mine or --server")
    if is_ean(conflict):
        raise ResolveError("a location-number mode is kept or taken from the service: use --mine or --server")
    try:
        if conflict.target == "location":  # checked as an edit of the attribute is: a mandatory one stays set
            name = path.partition(".")[2]
            value = edits.parse_value(name, text)
            problems = edits.check_location_changes(conn, conflict.key, {name: value})
        elif path == "parent_sor_id":  # checked as a move is: never into its own subtree
            if not text or conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (text,)).fetchone() is None:
                raise ResolveError(f"{text!r} is not a unit in the working copy")
            value, problems = text, edits.check_move(conn, conflict.key, text)
        else:
            value = edits.parse_value(path, text)
            problems = edits.check_entity_changes(conn, conflict.key, {path: value})
        errors = [p for p in problems if p.is_error]
        if errors:
            raise EditError(errors)
        return value
    except EditError as exc:
        raise ResolveError(f"refused: {exc}") from None


def show_value(conflict: state.Conflict, value: Any) -> str:
    """One of a conflict's values in words (for the CLI and the app)."""
    return value_words(value, conflict.target, conflict.field)


def field_name(conflict: state.Conflict) -> str:
    """The conflict's field as the user knows it."""
    if conflict.target == "message":
        return "message type " + (conflict.field or "").rsplit(":", 1)[-1].upper()
    if is_ean(conflict):
        return "Lokationsnummer"
    if conflict.field == "parent_sor_id":
        return "parent (moved)"
    return field_label(conflict.field or "")
