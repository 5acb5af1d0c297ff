"""Local edits and the change journal.

Every edit is validated with the domain rules, applied to the working copy and
written to the ``journal`` table in one transaction, so once a function here
returns, the edit is on disk. The working copy always shows current values;
the journal keeps the old value of each change, which is what undo, "discard
all", exports without pending edits and sync build on.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sortui.domain import codes
from sortui.domain.fields import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    ENTITY_FIELDS,
    LOCATION_FIELDS,
    LOCATION_MANDATORY,
    MAX_SPECIALITIES,
    FieldDef,
)
from sortui.domain.model import ADDRESS_KINDS, Address, Contact, Entity, Location, Speciality
from sortui.domain.provisional import PROVISIONAL_SUFFIX, is_provisional, provisional_sor_id
from sortui.domain.validation import Problem, shak_prefix_problem, sort_name, validate_entity, validate_location
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

ENTITY_SCALARS = (
    "name",
    "entity_type_code",
    "shak_code",
    "provider_number",
    "pharmacy_number",
    "local_code",
    "cvr",
    "geo_parent_relation",
    "geo_parent_sor_id",
    "from_date",
    "to_date",
    "first_from_date",
    "note",
)
ENTITY_FLAGS = ("ambulant", "admitted", "reporting_level")
LOCATION_SCALARS = (
    "system_supplier",
    "system_type",
    "communication_supplier",
    "region_code",
    "edi_administrator",
    "note",
    "from_date",
    "to_date",
)
LOCATION_FLAGS = ("only_internal", "non_active")
FLAG_LABELS = {
    "ambulant": "Ambulant aktivitet",
    "admitted": "Indlagte patienter",
    "reporting_level": "Indberetningsniveau",
    "only_internal": "Kun intern brug",
    "non_active": "Ikke aktiv",
}


class EditError(Exception):
    """An edit that the rules refuse; ``problems`` say which field and why."""

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


def field_label(path: str) -> str:
    """The Danish label of an editable field path such as ``postal.street`` or ``location.region_code``."""
    group, _, name = path.rpartition(".")
    if path in FLAG_LABELS or name in FLAG_LABELS:
        return FLAG_LABELS.get(path) or FLAG_LABELS[name]
    if path == "specialities":
        return "Specialer"
    if group in ADDRESS_KINDS:
        return f"{ADDRESS_FIELDS[name].label} ({group})"
    if group == "contact":
        return CONTACT_FIELDS[name].label
    if group == "location":
        return LOCATION_FIELDS[name].label
    return ENTITY_FIELDS[path].label if path in ENTITY_FIELDS else path


def editable_entity_fields() -> list[str]:
    """Every field path ``set_field`` accepts, in editor order."""
    paths = list(ENTITY_SCALARS) + list(ENTITY_FLAGS) + ["specialities"]
    paths += [f"{kind}.{name}" for kind in ADDRESS_KINDS for name in ADDRESS_FIELDS]
    paths += [f"contact.{name}" for name in CONTACT_FIELDS]
    return paths


def parse_value(path: str, text: str | None) -> Any:
    """Turn user text into the stored value: '' means absent, flags take ja/nej/true/false."""
    name = path.rpartition(".")[2]
    if text is None or text.strip() == "":
        return [] if path == "specialities" else None
    text = text.strip()
    if name in ENTITY_FLAGS or name in LOCATION_FLAGS:
        lowered = text.lower()
        if lowered in ("ja", "true", "1", "yes"):
            return True
        if lowered in ("nej", "false", "0", "no"):
            return False
        raise EditError([Problem(path, None, f"{field_label(path)}: expected ja or nej, not {text!r}")])
    if path == "specialities":
        return [code for code in text.replace(",", " ").split() if code]
    if name == "shak_code":
        return text.upper()
    return text


# -- reading current values -------------------------------------------------


def _entity_or_fail(conn: sqlite3.Connection, sor_id: str) -> Entity:
    ent = load_entity(conn, sor_id)
    conn.row_factory = None
    if ent is None:
        raise EditError([Problem("sor_id", None, f"no unit with SOR-kode {sor_id}")])
    return ent


def entity_value(ent: Entity, path: str) -> Any:
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        addr = ent.address(group)
        return getattr(addr, name) if addr else None
    if group == "contact":
        return getattr(ent.contact, name) if ent.contact else None
    if path == "specialities":
        return [s.code for s in ent.specialities]
    return getattr(ent, path)


def _with_value(ent: Entity, path: str, value: Any) -> Entity:
    """A copy of ``ent`` with ``path`` set to ``value`` (for validation before writing)."""
    copy = replace(ent, addresses=[replace(a) for a in ent.addresses], specialities=list(ent.specialities))
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        addr = copy.address(group)
        if addr is None:
            addr = Address(group)
            copy.addresses.append(addr)
        setattr(addr, name, value)
    elif group == "contact":
        copy.contact = replace(copy.contact) if copy.contact else Contact()
        setattr(copy.contact, name, value)
    elif path == "specialities":
        copy.specialities = [Speciality(code, "51000095001") for code in value]
    else:
        setattr(copy, path, value)
    return copy


# -- validation -------------------------------------------------------------


def _field_def(path: str) -> FieldDef | None:
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        return ADDRESS_FIELDS.get(name)
    if group == "contact":
        return CONTACT_FIELDS.get(name)
    return ENTITY_FIELDS.get(path)


def check_entity_changes(conn: sqlite3.Connection, sor_id: str, changes: dict[str, Any]) -> list[Problem]:
    """Problems (errors and warnings) that applying ``changes`` ({field path: value}) together would cause."""
    unknown = [p for p in changes if p not in editable_entity_fields()]
    if unknown:
        return [Problem(p, None, f"{p} is not a field that can be edited") for p in unknown]
    ent = _entity_or_fail(conn, sor_id)
    problems: list[Problem] = []
    changed = ent
    for path, value in changes.items():
        changed = _with_value(changed, path, value)
        if path == "specialities" and len(value) > MAX_SPECIALITIES:
            problems.append(Problem(path, None, f"at most {MAX_SPECIALITIES} specialities"))
        if path == "name" and not value:
            problems.append(Problem(path, "EntityName", "Navn is required"))
    problems += [p for p in validate_entity(changed) if any(_concerns(p, path) for path in changes)]
    shak = changes.get("shak_code")
    if shak:
        message = shak_prefix_problem(shak, _hospital_shak(conn, ent))
        if message:
            problems.append(Problem("shak_code", "ShakIdentifier", message, is_error=False))
    return _unique(problems)


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _concerns(problem: Problem, path: str) -> bool:
    if problem.field == path:
        return True
    if path in ("from_date", "to_date") and problem.field == "to_date":
        return True
    return path == "specialities" and problem.field.startswith("specialities")


def _hospital_shak(conn: sqlite3.Connection, ent: Entity) -> str | None:
    """The 4-character SHAK code of the institution above a unit, if any."""
    row = conn.execute(
        """
        WITH RECURSIVE up(sor_id, parent, kind, shak) AS (
            SELECT sor_id, parent_sor_id, kind, shak_code FROM entity WHERE sor_id = ?
            UNION ALL
            SELECT e.sor_id, e.parent_sor_id, e.kind, e.shak_code FROM entity e JOIN up ON e.sor_id = up.parent
        ) SELECT shak FROM up WHERE kind = 'SI' LIMIT 1
        """,
        (ent.sor_id,),
    ).fetchone()
    return row[0] if row and row[0] else None


def _raise_errors(problems: list[Problem]) -> list[str]:
    errors = [p for p in problems if p.is_error]
    if errors:
        raise EditError(errors)
    return [p.message for p in problems]


# -- writing ----------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _record(
    conn: sqlite3.Connection, target: str, key: str, op: str, path: str | None, old: Any, new: Any, base: int
) -> JournalEntry:
    cur = conn.execute(
        "INSERT INTO journal (created_at, target, key, op, field, old_value, new_value, base_version, status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        (_now(), target, key, op, path, json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False), base),
    )
    return get_entry(conn, cur.lastrowid)  # type: ignore[arg-type]


def _write_entity_value(conn: sqlite3.Connection, sor_id: str, path: str, value: Any) -> None:
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        _upsert_side(conn, "address", {"sor_id": sor_id, "kind": group}, name, value)
    elif group == "contact":
        _upsert_side(conn, "contact", {"sor_id": sor_id}, name, value)
    elif path == "specialities":
        conn.execute("DELETE FROM speciality WHERE sor_id = ?", (sor_id,))
        conn.executemany(
            "INSERT INTO speciality (sor_id, seq, code, type_code) VALUES (?, ?, ?, ?)",
            [(sor_id, i, code, "51000095001") for i, code in enumerate(value, 1)],
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


def set_fields(conn: sqlite3.Connection, sor_id: str, changes: dict[str, Any]) -> list[JournalEntry]:
    """Validate, apply and journal changes of a unit's fields, all in one transaction.

    Unchanged values are skipped. Raises EditError (nothing written) when any change is refused;
    warnings are attached to the returned entries.
    """
    ent = _entity_or_fail(conn, sor_id)
    warnings = _raise_errors(check_entity_changes(conn, sor_id, changes))
    entries = []
    with conn:
        for path, value in changes.items():
            old = entity_value(ent, path)
            if old == value:
                continue
            _write_entity_value(conn, sor_id, path, value)
            entries.append(_record(conn, "entity", sor_id, "set", path, old, value, ent.version))
    for entry in entries:
        entry.warnings = warnings
    return entries


def move_unit(conn: sqlite3.Connection, sor_id: str, new_parent: str) -> JournalEntry:
    """Move a unit (with its subtree) under ``new_parent``."""
    ent = _entity_or_fail(conn, sor_id)
    parent = _entity_or_fail(conn, new_parent)
    problems: list[Problem] = []
    if ent.kind == "IE":
        problems.append(Problem("parent_sor_id", None, "an institution owner cannot be moved under another unit"))
    elif ent.kind == "SI" and parent.kind != "IE":
        problems.append(Problem("parent_sor_id", None, "an institution (SI) must sit directly under an owner (IE)"))
    elif ent.kind == "OE" and parent.kind not in ("SI", "OE"):
        problems.append(Problem("parent_sor_id", None, "a unit (OE) must sit under an institution or another unit"))
    if new_parent == sor_id or _is_descendant(conn, new_parent, sor_id):
        problems.append(Problem("parent_sor_id", None, "a unit cannot be moved into its own subtree"))
    _raise_errors(problems)
    with conn:
        _write_entity_value(conn, sor_id, "parent_sor_id", new_parent)
        return _record(conn, "entity", sor_id, "move", "parent_sor_id", ent.parent_sor_id, new_parent, ent.version)


def _is_descendant(conn: sqlite3.Connection, candidate: str, ancestor: str) -> bool:
    from sortui.store.queries import path_to_root

    return any(sid == ancestor for sid, _, _ in path_to_root(conn, candidate))


# -- location numbers and message types ---------------------------------------


def _location_or_fail(conn: sqlite3.Connection, gln: str) -> Location:
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM location WHERE gln = ?", (gln,)).fetchone()
    finally:
        conn.row_factory = None
    if row is None:
        raise EditError([Problem("gln", "EanLocationCode", f"no lokationsnummer {gln} in the working copy")])
    return location_from_row(row)


def set_location_fields(conn: sqlite3.Connection, gln: str, changes: dict[str, Any]) -> list[JournalEntry]:
    """Validate, apply and journal changes of a location number's attributes in one transaction."""
    loc = _location_or_fail(conn, gln)
    _raise_errors(check_location_changes(conn, gln, changes))
    entries = []
    with conn:
        for name, value in changes.items():
            old = getattr(loc, name)
            if old == value:
                continue
            conn.execute(f"UPDATE location SET {name} = ? WHERE gln = ?", (value, gln))
            entries.append(_record(conn, "location", gln, "set", f"location.{name}", old, value, loc.version))
    return entries


def resolve_message(conn: sqlite3.Connection, key: str) -> str:
    """A MedCom message definition's URN from its URN, ``TYPE:VERSION`` or version code (e.g. XD1530L)."""
    key = key.strip()
    row = conn.execute("SELECT urn FROM message_definition WHERE urn = ?", (key,)).fetchone()
    if row is None and ":" in key and not key.startswith("urn:"):
        type_code, _, version = key.partition(":")
        row = conn.execute(
            "SELECT urn FROM message_definition WHERE upper(type_code) = ? AND upper(version_code) = ?",
            (type_code.upper(), version.upper()),
        ).fetchone()
    if row is None:
        rows = conn.execute(
            "SELECT urn FROM message_definition WHERE upper(version_code) = ?", (key.upper(),)
        ).fetchall()
        row = rows[0] if len(rows) == 1 else None
    if row is None:
        raise EditError([Problem("message", None, f"{key!r} is not a message type in the MedCom catalogue")])
    return row[0]


def add_message(
    conn: sqlite3.Connection, gln: str, message: str, from_date: str | None = None, to_date: str | None = None
) -> JournalEntry | None:
    """Register a message type on a location number; None if it is already there."""
    loc = _location_or_fail(conn, gln)
    urn = resolve_message(conn, message)
    for name, value in (("from_date", from_date), ("to_date", to_date)):
        errors, _ = LOCATION_FIELDS[name].check(value)
        _raise_errors([Problem(name, None, e) for e in errors])
    if conn.execute("SELECT 1 FROM location_message WHERE gln = ? AND message_urn = ?", (gln, urn)).fetchone():
        return None
    validity = {"from_date": from_date, "to_date": to_date}
    with conn:
        conn.execute(
            "INSERT INTO location_message (gln, message_urn, from_date, to_date) VALUES (?, ?, ?, ?)",
            (gln, urn, from_date, to_date),
        )
        return _record(conn, "message", gln, "add", urn, None, validity, loc.version)


def remove_message(conn: sqlite3.Connection, gln: str, message: str) -> JournalEntry | None:
    """Remove a message type from a location number; None if it was not registered."""
    loc = _location_or_fail(conn, gln)
    urn = resolve_message(conn, message)
    row = conn.execute(
        "SELECT from_date, to_date FROM location_message WHERE gln = ? AND message_urn = ?", (gln, urn)
    ).fetchone()
    if row is None:
        return None
    with conn:
        conn.execute("DELETE FROM location_message WHERE gln = ? AND message_urn = ?", (gln, urn))
        return _record(conn, "message", gln, "remove", urn, {"from_date": row[0], "to_date": row[1]}, None, loc.version)


def check_gln(gln: str) -> None:
    _raise_errors([Problem("gln", "EanLocationCode", m) for m in codes.gln_errors(gln)])


# -- the journal --------------------------------------------------------------

_ENTRY_COLS = "id, created_at, target, key, op, field, old_value, new_value, base_version, status, changeset_id"


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


def pending(conn: sqlite3.Connection) -> list[JournalEntry]:
    rows = conn.execute(f"SELECT {_ENTRY_COLS} FROM journal WHERE status != 'synced' ORDER BY id").fetchall()
    return [_entry(r) for r in rows]


def pending_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM journal WHERE status != 'synced'").fetchone()[0]


def pending_keys(conn: sqlite3.Connection) -> set[str]:
    """SOR ids and GLNs with pending edits (for markers in the tree and the detail panel)."""
    return {r[0] for r in conn.execute("SELECT DISTINCT key FROM journal WHERE status != 'synced'")}


def undo(conn: sqlite3.Connection, entry_id: int) -> None:
    """Revert one pending entry; refused while a later pending entry changed the same thing."""
    entry = get_entry(conn, entry_id)
    if entry.status == "synced":
        raise EditError([Problem(entry.field or "", None, f"change {entry_id} is already synchronised")])
    if entry.status == "sent":
        raise EditError([Problem(entry.field or "", None, f"change {entry_id} is being sent; sync first")])
    later = conn.execute(
        "SELECT id FROM journal WHERE target = ? AND key = ? AND field IS ? AND id > ? AND status != 'synced'",
        (entry.target, entry.key, entry.field, entry_id),
    ).fetchone()
    if later:
        raise EditError([Problem(entry.field or "", None, f"undo change {later[0]} first: it changed the same field")])
    blocker = _undo_blocker(conn, entry)
    if blocker:
        raise EditError([Problem(entry.field or "", None, f"undo change {blocker} first: it builds on this one")])
    with conn:
        _revert(conn, entry)
        conn.execute("DELETE FROM journal WHERE id = ?", (entry_id,))


def discard_all(conn: sqlite3.Connection) -> int:
    """Revert every pending entry, newest first. Returns how many were discarded."""
    entries = pending(conn)
    with conn:
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
    if entry.op in STRUCTURAL_OPS:
        _revert_structural(conn, entry)
    elif entry.target == "entity":
        _write_entity_value(conn, entry.key, entry.field or "", entry.old_value)
    elif entry.target == "location":
        name = (entry.field or "").partition(".")[2]
        conn.execute(f"UPDATE location SET {name} = ? WHERE gln = ?", (entry.old_value, entry.key))
    elif entry.target == "message" and entry.op == "add":
        conn.execute("DELETE FROM location_message WHERE gln = ? AND message_urn = ?", (entry.key, entry.field))
    elif entry.target == "message" and entry.op == "remove":
        old = entry.old_value or {}
        conn.execute(
            "INSERT OR REPLACE INTO location_message (gln, message_urn, from_date, to_date) VALUES (?, ?, ?, ?)",
            (entry.key, entry.field, old.get("from_date"), old.get("to_date")),
        )


def reapply(conn: sqlite3.Connection) -> tuple[int, int]:
    """Apply pending entries again on freshly imported data. Returns (applied, skipped: target gone)."""
    applied = skipped = 0
    for entry in pending(conn):
        if not _target_exists(conn, entry):
            skipped += 1
            continue
        _apply(conn, entry)
        applied += 1
    return applied, skipped


def _target_exists(conn: sqlite3.Connection, entry: JournalEntry) -> bool:
    if entry.op == "create":
        parent = (entry.new_value or {}).get("parent_sor_id")
        return conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (parent,)).fetchone() is not None
    if entry.target == "entity":
        return conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (entry.key,)).fetchone() is not None
    return conn.execute("SELECT 1 FROM location WHERE gln = ?", (entry.key,)).fetchone() is not None


def _apply(conn: sqlite3.Connection, entry: JournalEntry) -> None:
    if entry.op in STRUCTURAL_OPS:
        _apply_structural(conn, entry)
    elif entry.target == "entity":
        _write_entity_value(conn, entry.key, entry.field or "", entry.new_value)
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


# -- synchronisation with the central service ---------------------------------
# The sync client (sortui.sync) drives these: an entry goes pending -> sent (with the
# changeset id, committed before the request) -> synced, or back to pending on a refusal.


def entries_with_status(conn: sqlite3.Connection, status: str) -> list[JournalEntry]:
    rows = conn.execute(f"SELECT {_ENTRY_COLS} FROM journal WHERE status = ? ORDER BY id", (status,)).fetchall()
    return [_entry(r) for r in rows]


def entries_by_id(conn: sqlite3.Connection, ids: list[int]) -> list[JournalEntry]:
    found = [conn.execute(f"SELECT {_ENTRY_COLS} FROM journal WHERE id = ?", (i,)).fetchone() for i in ids]
    return [_entry(r) for r in found if r is not None]


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


def _item(target: str) -> tuple[str, str]:
    """(table, key column) of the versioned record a journal target changes."""
    return ("entity", "sor_id") if target == "entity" else ("location", "gln")


def mark_synced(conn: sqlite3.Connection, changeset_id: str, versions: dict[tuple[str, str], int]) -> int:
    """The service applied ``changeset_id``: its entries are synced and their records get the new versions.

    ``versions`` maps (``entity`` | ``location``, key) to the version the service gave the record.
    Entries made meanwhile on those records (still pending, on the old version) move to the new one.
    """
    sent = [e for e in entries_with_status(conn, "sent") if e.changeset_id == changeset_id]
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
    column = {"entity": "sor_id", "location": "gln"}[table]
    conn.execute(f"UPDATE {table} SET version = max(version, ?) WHERE {column} = ?", (version, key))


def own_changeset_ids(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT DISTINCT changeset_id FROM journal WHERE changeset_id IS NOT NULL")}


def field_chain(conn: sqlite3.Connection, target: str, key: str, path: str | None) -> list[JournalEntry]:
    """The pending (not synced) entries that change one field, oldest first."""
    rows = conn.execute(
        f"SELECT {_ENTRY_COLS} FROM journal WHERE target = ? AND key = ? AND field IS ? AND status != 'synced'"
        " ORDER BY id",
        (target, key, path),
    ).fetchall()
    return [_entry(r) for r in rows]


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
    entry = JournalEntry(0, "", target, key, op, path, None, value, version, "synced")
    if not _target_exists(conn, entry):
        return False
    write_value(conn, target, key, op, path, value)
    set_version(conn, _item(target)[0], key, version)
    return True


def write_value(conn: sqlite3.Connection, target: str, key: str, op: str, path: str | None, value: Any) -> None:
    """Write one field's value to the working copy (as ``op`` on ``target`` would), without journaling."""
    _check_remote_path(target, path)
    _apply(conn, JournalEntry(0, "", target, key, op, path, None, value, 0, "synced"))


def _check_remote_path(target: str, path: str | None) -> None:
    if target == "entity" and path in REMOTE_ENTITY_PATHS:
        return
    if target == "location" and (path or "").partition(".")[2] in LOCATION_SCALARS + LOCATION_FLAGS:
        return
    if target == "message" and path:
        return
    raise ValueError(f"{target} {path!r} is not a field sortui can change")


# -- units created here, location numbers given or taken, bulk message types ----
# Journal ops beyond set/move/add/remove: 'create' (a unit with a provisional SOR id, the
# new value holds its first values) and 'ean' (a unit's location-number mode, with the
# number and its message types before and after). Both are reverted by undo/discard_all and
# applied again by reapply, like the others.

STRUCTURAL_OPS = ("create", "ean")


def _next_provisional(conn: sqlite3.Connection) -> str:
    rows = conn.execute("SELECT sor_id FROM entity WHERE sor_id LIKE ?", (f"%{PROVISIONAL_SUFFIX}_",)).fetchall()
    used = [int(r[0][: -len(PROVISIONAL_SUFFIX) - 1]) for r in rows if is_provisional(r[0])]
    return provisional_sor_id(max(used, default=0) + 1)


def create_unit(
    conn: sqlite3.Connection,
    parent_sor_id: str,
    name: str,
    from_date: str | None = None,
    entity_type_code: str | None = None,
) -> JournalEntry:
    """Create a unit under ``parent_sor_id`` (an SI under an owner, else an OE) with a provisional SOR id.

    It inherits its parent's location number. Journalled as op 'create'; undo removes it again.
    """
    parent = _entity_or_fail(conn, parent_sor_id)
    kind = "SI" if parent.kind == "IE" else "OE"
    sor_id = _next_provisional(conn)
    values = {
        "kind": kind,
        "name": name,
        "parent_sor_id": parent_sor_id,
        "entity_type_code": entity_type_code,
        "ean_mode": "inherited",
        "geo_parent_relation": "1" if kind == "SI" else "2",
        "from_date": from_date,
        "first_from_date": from_date,
    }
    _raise_errors(validate_entity(Entity(sor_id, **values)))  # type: ignore[arg-type]
    with conn:
        _insert_created(conn, sor_id, values)
        return _record(conn, "entity", sor_id, "create", None, None, values, 0)


def _insert_created(conn: sqlite3.Connection, sor_id: str, values: dict[str, Any]) -> None:
    ent = Entity(sor_id, **values)
    conn.execute(insert_sql("entity", ENTITY_COLS, "INSERT OR IGNORE"), entity_row(ent))
    refresh_search_row(conn, sor_id)


def _delete_created(conn: sqlite3.Connection, sor_id: str) -> None:
    _write_ean_state(conn, sor_id, None)
    conn.execute("DELETE FROM search WHERE rowid = (SELECT rowid FROM entity WHERE sor_id = ?)", (sor_id,))
    for table in ("address", "contact", "speciality", "local_attribute", "succession", "entity"):
        conn.execute(f"DELETE FROM {table} WHERE sor_id = ?", (sor_id,))


def _ean_state(conn: sqlite3.Connection, ent: Entity) -> dict[str, Any]:
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


def _write_ean_state(conn: sqlite3.Connection, sor_id: str, state: dict[str, Any] | None) -> None:
    """Make ``state`` (from ``_ean_state``) the unit's; None removes its own numbers only."""
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


def set_ean_mode(
    conn: sqlite3.Connection, sor_id: str, mode: str, location: Location | None = None
) -> JournalEntry | None:
    """Give a unit its own location number (``mode`` 'own' with a new ``location``) or make it
    inherit its parent's ('inherited') or have none ('none'). None when nothing changes.

    A new number needs a valid GLN not used elsewhere and the mandatory attributes. Making the
    unit inherit removes its own number and that number's message types (undo brings them back).
    """
    ent = _entity_or_fail(conn, sor_id)
    _raise_errors(_ean_problems(conn, ent, mode, location))
    if mode == ent.ean_mode and mode != "own":
        return None
    old = _ean_state(conn, ent)
    new_loc = replace(location, owner_sor_id=sor_id, version=0) if mode == "own" and location else None
    new = {"ean_mode": mode, "location": asdict(new_loc) if new_loc else None, "messages": []}
    with conn:
        _write_ean_state(conn, sor_id, new)
        return _record(conn, "entity", sor_id, "ean", "ean_mode", old, new, ent.version)


def _ean_problems(conn: sqlite3.Connection, ent: Entity, mode: str, location: Location | None) -> list[Problem]:
    from sortui.domain.model import EAN_MODES

    if mode not in EAN_MODES:
        return [Problem("ean_mode", None, f"{mode!r} is not a location-number mode (own, inherited or none)")]
    if mode == "inherited" and ent.kind == "IE":
        return [Problem("ean_mode", None, "an institution owner has no parent to inherit a lokationsnummer from")]
    if mode != "own":
        return []
    if location is None:
        return [Problem("location.gln", "EanLocationCode", "a new lokationsnummer is needed")]
    problems = validate_location(location, creating=True)
    if not codes.gln_errors(location.gln):
        row = conn.execute("SELECT owner_sor_id FROM location WHERE gln = ?", (location.gln,)).fetchone()
        if row is not None:
            problems.append(
                Problem(
                    "location.gln", "EanLocationCode", f"lokationsnummer {location.gln} is already used by {row[0]}"
                )
            )
    return problems


def check_location_changes(conn: sqlite3.Connection, gln: str, changes: dict[str, Any]) -> list[Problem]:
    """Problems (errors and warnings) that changing a location number's attributes would cause."""
    loc = _location_or_fail(conn, gln)
    unknown = [
        Problem(f"location.{name}", None, f"{name} is not an attribute of a lokationsnummer that can be edited")
        for name in changes
        if name not in LOCATION_SCALARS + LOCATION_FLAGS
    ]
    if unknown:
        return unknown
    problems = [
        Problem(f"location.{name}", LOCATION_FIELDS[name].xml, f"{LOCATION_FIELDS[name].label} is required")
        for name in LOCATION_MANDATORY
        if name in changes and changes[name] is None
    ]
    changed = replace(loc, **changes)
    problems += [p for p in validate_location(changed) if p.field.partition(".")[2] in changes]
    if changed.from_date and changed.to_date and changed.to_date < changed.from_date:
        problems.append(Problem("location.to_date", "ToDate", f"Gyldig til {changed.to_date} is before Gyldig fra"))
    return _unique(problems)


def set_message_validity(
    conn: sqlite3.Connection, gln: str, message: str, from_date: str | None, to_date: str | None
) -> list[JournalEntry]:
    """Change the validity of a registered message type: journalled as its removal and new addition."""
    loc = _location_or_fail(conn, gln)
    urn = resolve_message(conn, message)
    _check_validity(from_date, to_date)
    row = conn.execute(
        "SELECT from_date, to_date FROM location_message WHERE gln = ? AND message_urn = ?", (gln, urn)
    ).fetchone()
    if row is None:
        raise EditError([Problem("message", None, f"{message} is not registered on {gln}")])
    old, new = {"from_date": row[0], "to_date": row[1]}, {"from_date": from_date, "to_date": to_date}
    if old == new:
        return []
    with conn:
        conn.execute(
            "UPDATE location_message SET from_date = ?, to_date = ? WHERE gln = ? AND message_urn = ?",
            (from_date, to_date, gln, urn),
        )
        return [
            _record(conn, "message", gln, "remove", urn, old, None, loc.version),
            _record(conn, "message", gln, "add", urn, None, new, loc.version),
        ]


def _check_validity(from_date: str | None, to_date: str | None) -> None:
    problems = []
    for name, value in (("from_date", from_date), ("to_date", to_date)):
        errors, _ = LOCATION_FIELDS[name].check(value)
        problems += [Problem(name, None, e) for e in errors]
    if not problems and from_date and to_date and to_date < from_date:
        problems.append(Problem("to_date", None, f"Gyldig til {to_date} is before Gyldig fra {from_date}"))
    _raise_errors(problems)


def subtree_glns(conn: sqlite3.Connection, sor_id: str) -> list[str]:
    """The location numbers owned by a unit and its descendants (e.g. all of a municipality's)."""
    rows = conn.execute(
        """
        WITH RECURSIVE down(sor_id) AS (
            SELECT ? UNION ALL SELECT e.sor_id FROM entity e JOIN down ON e.parent_sor_id = down.sor_id
        ) SELECT l.gln FROM location l JOIN down ON l.owner_sor_id = down.sor_id ORDER BY l.gln
        """,
        (sor_id,),
    ).fetchall()
    return [r[0] for r in rows]


def effective_glns(conn: sqlite3.Connection, sor_ids: list[str]) -> list[str]:
    """The location numbers the units receive on (own or inherited), each once."""
    from sortui.store.queries import effective_values

    found = (effective_values(conn, sid).location.value for sid in sor_ids)
    return list(dict.fromkeys(loc.gln for loc in found if loc is not None))


def glns_with_message(conn: sqlite3.Connection, glns: list[str], message: str) -> set[str]:
    """Which of ``glns`` have ``message`` registered."""
    urn = resolve_message(conn, message)
    have = {r[0] for r in conn.execute("SELECT gln FROM location_message WHERE message_urn = ?", (urn,))}
    return have.intersection(glns)


def add_message_to_many(
    conn: sqlite3.Connection, glns: list[str], message: str, from_date: str | None = None, to_date: str | None = None
) -> list[JournalEntry]:
    """Register a message type on every number of ``glns`` that lacks it, in one transaction, an entry each."""
    urn = resolve_message(conn, message)
    _check_validity(from_date, to_date)
    todo = [g for g in dict.fromkeys(glns) if g not in glns_with_message(conn, glns, urn)]
    locations = [_location_or_fail(conn, g) for g in todo]
    validity = {"from_date": from_date, "to_date": to_date}
    with conn:
        conn.executemany(
            "INSERT INTO location_message (gln, message_urn, from_date, to_date) VALUES (?, ?, ?, ?)",
            [(loc.gln, urn, from_date, to_date) for loc in locations],
        )
        return [_record(conn, "message", loc.gln, "add", urn, None, validity, loc.version) for loc in locations]


def remove_message_from_many(conn: sqlite3.Connection, glns: list[str], message: str) -> list[JournalEntry]:
    """Remove a message type from every number of ``glns`` that has it, in one transaction, an entry each."""
    urn = resolve_message(conn, message)
    todo = sorted(glns_with_message(conn, glns, urn))
    locations = [_location_or_fail(conn, g) for g in todo]
    entries = []
    with conn:
        for loc in locations:
            row = conn.execute(
                "SELECT from_date, to_date FROM location_message WHERE gln = ? AND message_urn = ?", (loc.gln, urn)
            ).fetchone()
            conn.execute("DELETE FROM location_message WHERE gln = ? AND message_urn = ?", (loc.gln, urn))
            old = {"from_date": row[0], "to_date": row[1]}
            entries.append(_record(conn, "message", loc.gln, "remove", urn, old, None, loc.version))
    return entries


def pending_for(conn: sqlite3.Connection, keys: list[str]) -> list[JournalEntry]:
    """The pending (not synced) entries on these SOR ids / GLNs, oldest first."""
    marks = ", ".join("?" * len(keys))
    rows = conn.execute(
        f"SELECT {_ENTRY_COLS} FROM journal WHERE status != 'synced' AND key IN ({marks}) ORDER BY id", keys
    ).fetchall()
    return [_entry(r) for r in rows]


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


def _revert_structural(conn: sqlite3.Connection, entry: JournalEntry) -> None:
    if entry.op == "create":
        _delete_created(conn, entry.key)
    else:
        _write_ean_state(conn, entry.key, entry.old_value)


def _apply_structural(conn: sqlite3.Connection, entry: JournalEntry) -> None:
    if entry.op == "create":
        _insert_created(conn, entry.key, entry.new_value)
    else:
        _write_ean_state(conn, entry.key, entry.new_value)


# -- sync: units created here get their real SOR id; structural changes by others ------------

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
    refresh_search_row(conn, real)


def apply_remote_create(conn: sqlite3.Connection, sor_id: str, values: dict[str, Any], version: int) -> bool:
    """A unit created by someone else (from the change feed); False when its parent is not here."""
    parent = values.get("parent_sor_id")
    if conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (parent,)).fetchone() is None:
        return False
    _insert_created(conn, sor_id, values)
    set_version(conn, "entity", sor_id, version)
    return True


def write_ean_state(conn: sqlite3.Connection, sor_id: str, state: dict[str, Any]) -> bool:
    """Make ``state`` (an ean state: mode, own number, its message types) the unit's, without journaling.

    False when the unit is not in this working copy. Not a transaction of its own.
    """
    if conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (sor_id,)).fetchone() is None:
        return False
    _write_ean_state(conn, sor_id, state)
    return True


def apply_remote_ean(conn: sqlite3.Connection, sor_id: str, state: dict[str, Any], version: int) -> bool:
    """A unit's location-number mode changed by someone else (from the change feed)."""
    if not write_ean_state(conn, sor_id, state):
        return False
    set_version(conn, "entity", sor_id, version)
    return True
