"""The edit operations: each reads what it builds on, validates with the domain rules, writes the
working copy and records a journal entry, all in one write transaction that holds the write lock
from its start (``db.write_transaction``), so no other writer comes between what an edit read (the
old value it journals) and what it writes, and once a function here returns, the edit is on disk.
Refused edits raise ``EditError`` and write nothing; warnings travel on the entries. While another
process holds the lock for long (an import), ``db.WorkingCopyBusy`` says so and nothing is written.

Also what the editors need to offer and read fields: the editable field paths, their Danish
labels, parsing typed text, and the checks behind live validation (``check_*_changes``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, replace
from typing import Any

from sortui.domain import codes
from sortui.domain.fields import (
    ENTITY_FIELDS,
    ENTITY_FLAGS,
    LOCATION_FIELDS,
    LOCATION_FLAGS,
    LOCATION_MANDATORY,
    LOCATION_SCALARS,
    MAX_SPECIALITIES,
    SPECIALITY_TYPE,
    editable_entity_fields,
    editable_location_fields,
    entity_field_path,
    field_label,
    field_suggestions,
    location_field_name,
)
from sortui.domain.model import ADDRESS_KINDS, EAN_MODES, Address, Contact, Entity, Location, Speciality
from sortui.domain.provisional import PROVISIONAL_SUFFIX, is_provisional, provisional_sor_id
from sortui.domain.validation import (
    Problem,
    shak_prefix_problem,
    validate_entity,
    validate_location,
    validity_problems,
)
from sortui.domain.wire import CREATE_FIELDS
from sortui.store.db import write_transaction
from sortui.store.journal import EditError, JournalEntry, new_group, record_entry
from sortui.store.queries import effective_values, find_key, path_to_root
from sortui.store.rows import load_entity, location_from_row
from sortui.store.values import (
    ean_state,
    entity_value,
    insert_created_unit,
    message_state,
    replace_ean_state,
    write_entity_value,
)


def parse_value(path: str, text: str | None) -> Any:
    """Turn user text into the stored value: '' means absent, flags take yes/no (ja/nej, true/false, 1/0)."""
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
        raise EditError([Problem(path, None, f"{field_label(path)}: expected yes or no (ja or nej), not {text!r}")])
    if path == "specialities":
        return [code for code in text.replace(",", " ").split() if code]
    if name == "shak_code":
        return text.upper()
    return text


# -- reading current values ------------------------------------------------------------


def _entity_or_fail(conn: sqlite3.Connection, sor_id: str) -> Entity:
    ent = load_entity(conn, sor_id)
    conn.row_factory = None
    if ent is None:
        raise EditError([Problem("sor_id", None, f"no unit with SOR-kode {sor_id}")])
    return ent


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
        copy.specialities = [Speciality(code, SPECIALITY_TYPE) for code in value]
    else:
        setattr(copy, path, value)
    return copy


# -- validation ------------------------------------------------------------------------


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


# -- units -----------------------------------------------------------------------------


def set_fields(conn: sqlite3.Connection, sor_id: str, changes: dict[str, Any]) -> list[JournalEntry]:
    """Validate, apply and journal changes of a unit's fields, all in one transaction.

    Unchanged values are skipped. Raises EditError (nothing written) when any change is refused;
    warnings are attached to the returned entries.
    """
    with write_transaction(conn):
        return _set_fields(conn, sor_id, changes)


def _set_fields(
    conn: sqlite3.Connection, sor_id: str, changes: dict[str, Any], group: int | None = None
) -> list[JournalEntry]:
    """``set_fields`` inside the caller's write transaction (nothing written when it raises)."""
    entries = []
    ent = _entity_or_fail(conn, sor_id)
    warnings = _raise_errors(check_entity_changes(conn, sor_id, changes))
    for path, value in changes.items():
        old = entity_value(ent, path)
        if old == value:
            continue
        write_entity_value(conn, sor_id, path, value)
        entries.append(record_entry(conn, "entity", sor_id, "set", path, old, value, ent.version, group))
    for entry in entries:
        entry.warnings = warnings
    return entries


def set_by_key(conn: sqlite3.Connection, key: str, typed: list[tuple[str, str]]) -> list[JournalEntry] | None:
    """Set the fields (a unit's, ``key`` a SOR-kode) or attributes (a lokationsnummer's, ``key`` a GLN)
    ``typed`` names, by path or Danish label in any case (``Telefon``), to the values typed
    (``parse_value``); None when ``key`` is neither."""
    kinds = dict(find_key(conn, key))
    if "gln" in kinds:
        names = [(_location_attribute(n), v) for n, v in typed]
        return set_location_fields(conn, key, {n: parse_value(f"location.{n}", v) for n, v in names})
    if "sor_id" in kinds:
        return set_fields(conn, key, {p: parse_value(p, v) for p, v in ((_unit_path(n), v) for n, v in typed)})
    return None


def _unit_path(name: str) -> str:
    path = entity_field_path(name)
    if path is None:
        choices = [*editable_entity_fields(), *(field_label(p) for p in editable_entity_fields())]
        hint = field_suggestions(name, choices)
        raise EditError([Problem(name, None, f"{name!r} is not a field of a unit that can be edited{hint}")])
    return path


def _location_attribute(name: str) -> str:
    attribute = location_field_name(name)
    if attribute is None:
        names = editable_location_fields()
        hint = field_suggestions(name, [*names, *(field_label(f"location.{n}") for n in names)])
        raise EditError(
            [Problem(name, None, f"{name!r} is not an attribute of a lokationsnummer that can be edited{hint}")]
        )
    return attribute


def set_fields_on_many(
    conn: sqlite3.Connection, sor_ids: list[str], changes: dict[str, Any]
) -> tuple[list[JournalEntry], dict[str, list[Problem]]]:
    """The same changes on many units as one bulk change: one transaction, one journal group, undone
    as one. A unit the rules refuse is left as it is; (entries written, {SOR-kode: its problems})."""
    entries: list[JournalEntry] = []
    refused: dict[str, list[Problem]] = {}
    with write_transaction(conn):
        group = new_group(conn)
        for sor_id in sor_ids:
            try:
                entries += _set_fields(conn, sor_id, changes, group)
            except EditError as exc:  # raised before anything of this unit was written
                refused[sor_id] = exc.problems
    return entries, refused


def move_unit(conn: sqlite3.Connection, sor_id: str, new_parent: str) -> JournalEntry:
    """Move a unit (with its subtree) under ``new_parent``."""
    with write_transaction(conn):
        ent = _entity_or_fail(conn, sor_id)
        parent = _entity_or_fail(conn, new_parent)
        _raise_errors(_move_problems(conn, ent, parent))
        write_entity_value(conn, sor_id, "parent_sor_id", new_parent)
        return record_entry(conn, "entity", sor_id, "move", "parent_sor_id", ent.parent_sor_id, new_parent, ent.version)


def check_move(conn: sqlite3.Connection, sor_id: str, new_parent: str) -> list[Problem]:
    """Problems that moving unit ``sor_id`` under ``new_parent`` would cause (as ``move_unit`` refuses)."""
    return _move_problems(conn, _entity_or_fail(conn, sor_id), _entity_or_fail(conn, new_parent))


def _move_problems(conn: sqlite3.Connection, ent: Entity, parent: Entity) -> list[Problem]:
    sor_id, new_parent = ent.sor_id, parent.sor_id
    problems: list[Problem] = []
    if ent.kind == "IE":
        problems.append(Problem("parent_sor_id", None, "an institution owner cannot be moved under another unit"))
    elif ent.kind == "SI" and parent.kind != "IE":
        problems.append(Problem("parent_sor_id", None, "an institution (SI) must sit directly under an owner (IE)"))
    elif ent.kind == "OE" and parent.kind not in ("SI", "OE"):
        problems.append(Problem("parent_sor_id", None, "a unit (OE) must sit under an institution or another unit"))
    if new_parent == sor_id or _is_descendant(conn, new_parent, sor_id):
        problems.append(Problem("parent_sor_id", None, "a unit cannot be moved into its own subtree"))
    return problems


def _is_descendant(conn: sqlite3.Connection, candidate: str, ancestor: str) -> bool:
    return any(sid == ancestor for sid, _, _ in path_to_root(conn, candidate))


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
    with write_transaction(conn):
        parent = _entity_or_fail(conn, parent_sor_id)
        sor_id = _next_provisional(conn)
        scalars = {"name": name, "from_date": from_date, "entity_type_code": entity_type_code}
        values = _new_unit_values(parent, scalars)
        _raise_errors(validate_entity(Entity(sor_id, **values)))  # type: ignore[arg-type]
        insert_created_unit(conn, sor_id, values)
        return record_entry(conn, "entity", sor_id, "create", None, None, values, 0)


def _new_unit_values(parent: Entity, scalars: dict[str, Any]) -> dict[str, Any]:
    """The first values of a unit created under ``parent``: its place, and ``scalars`` (wire.CREATE_FIELDS)."""
    kind = "SI" if parent.kind == "IE" else "OE"
    return {
        "kind": kind,
        "name": "",
        "parent_sor_id": parent.sor_id,
        "ean_mode": "inherited",
        "geo_parent_relation": "1" if kind == "SI" else "2",
        **scalars,
        "first_from_date": scalars.get("from_date"),
    }


# A new unit made in the editor: nothing is written until it is saved, and then only when valid.
# What the register's schema needs of every unit is required of a new one (SorStatus FromDate; an
# SI's InstitutionType), beyond what validation asks of any unit (a name).
_REQUIRED_NEW = {"from_date": ("SI", "OE"), "entity_type_code": ("SI",)}


def _draft_unit(conn: sqlite3.Connection, parent_sor_id: str, values: dict[str, Any]) -> Entity:
    """The unit ``values`` ({field path: value}) would create under ``parent_sor_id``, not written."""
    parent = _entity_or_fail(conn, parent_sor_id)
    scalars = {p: v for p, v in values.items() if p in CREATE_FIELDS}
    ent = Entity(_next_provisional(conn), **_new_unit_values(parent, scalars))
    for path, value in values.items():
        if path not in CREATE_FIELDS:
            ent = _with_value(ent, path, value)
    return ent


def check_new_unit(conn: sqlite3.Connection, parent_sor_id: str, values: dict[str, Any]) -> list[Problem]:
    """Problems (errors and warnings) of the unit ``values`` would create under ``parent_sor_id``."""
    unknown = [p for p in values if p not in editable_entity_fields()]
    if unknown:
        return [Problem(p, None, f"{p} is not a field that can be edited") for p in unknown]
    ent = _draft_unit(conn, parent_sor_id, values)
    problems = [
        Problem(path, ENTITY_FIELDS[path].xml, f"{field_label(path)} is required for a new unit")
        for path, kinds in _REQUIRED_NEW.items()
        if ent.kind in kinds and values.get(path) in (None, "")
    ]
    problems += validate_entity(ent)
    if len(ent.specialities) > MAX_SPECIALITIES:
        problems.append(Problem("specialities", None, f"at most {MAX_SPECIALITIES} specialities"))
    if ent.shak_code:
        parent = _entity_or_fail(conn, parent_sor_id)
        message = shak_prefix_problem(ent.shak_code, _hospital_shak(conn, parent) if ent.kind == "OE" else None)
        if message:
            problems.append(Problem("shak_code", "ShakIdentifier", message, is_error=False))
    return _unique(problems)


def create_new_unit(conn: sqlite3.Connection, parent_sor_id: str, values: dict[str, Any]) -> list[JournalEntry]:
    """Create the unit ``values`` describes under ``parent_sor_id`` if it is valid, in one transaction:
    a 'create' entry with its first values, then a 'set' entry for each address, contact or
    speciality value. Raises EditError (nothing written) when it is not valid."""
    with write_transaction(conn):
        warnings = _raise_errors(check_new_unit(conn, parent_sor_id, values))
        parent = _entity_or_fail(conn, parent_sor_id)
        first = _new_unit_values(parent, {p: v for p, v in values.items() if p in CREATE_FIELDS})
        sor_id = _next_provisional(conn)
        insert_created_unit(conn, sor_id, first)
        entries = [record_entry(conn, "entity", sor_id, "create", None, None, first, 0)]
        created = Entity(sor_id, **first)
        for path, value in values.items():
            old = entity_value(created, path)
            if path in CREATE_FIELDS or old == value:
                continue
            write_entity_value(conn, sor_id, path, value)
            entries.append(record_entry(conn, "entity", sor_id, "set", path, old, value, 0))
    for entry in entries:
        entry.warnings = warnings
    return entries


def _next_provisional(conn: sqlite3.Connection) -> str:
    rows = conn.execute("SELECT sor_id FROM entity WHERE sor_id LIKE ?", (f"%{PROVISIONAL_SUFFIX}_",)).fetchall()
    used = [int(r[0][: -len(PROVISIONAL_SUFFIX) - 1]) for r in rows if is_provisional(r[0])]
    return provisional_sor_id(max(used, default=0) + 1)


# -- location numbers ------------------------------------------------------------------


def _location_or_fail(conn: sqlite3.Connection, gln: str) -> Location:
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM location WHERE gln = ?", (gln,)).fetchone()
    finally:
        conn.row_factory = None
    if row is None:
        raise EditError([Problem("gln", "EanLocationCode", f"no lokationsnummer {gln} in the working copy")])
    return location_from_row(row)


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
    # Only a change of either date concerns their order: an import may have left them the wrong way round.
    dated = "from_date" in changes or "to_date" in changes
    if dated and changed.from_date and changed.to_date and changed.to_date < changed.from_date:
        problems.append(
            Problem(
                "location.to_date", "ToDate", f"Gyldig til {changed.to_date} is before Gyldig fra {changed.from_date}"
            )
        )
    return _unique(problems)


def set_location_fields(conn: sqlite3.Connection, gln: str, changes: dict[str, Any]) -> list[JournalEntry]:
    """Validate, apply and journal changes of a location number's attributes in one transaction."""
    with write_transaction(conn):
        loc = _location_or_fail(conn, gln)
        _raise_errors(check_location_changes(conn, gln, changes))
        return _write_attributes(conn, loc, changes)


def _write_attributes(conn: sqlite3.Connection, loc: Location, changes: dict[str, Any]) -> list[JournalEntry]:
    entries = []
    for name, value in changes.items():
        old = getattr(loc, name)
        if old == value:
            continue
        conn.execute(f"UPDATE location SET {name} = ? WHERE gln = ?", (value, loc.gln))
        entries.append(record_entry(conn, "location", loc.gln, "set", f"location.{name}", old, value, loc.version))
    return entries


# -- a unit's location-number mode -----------------------------------------------------


def set_ean_mode(
    conn: sqlite3.Connection, sor_id: str, mode: str, location: Location | None = None
) -> JournalEntry | None:
    """Give a unit its own location number (``mode`` 'own' with a new ``location``) or make it
    inherit its parent's ('inherited') or have none ('none'). None when nothing changes.

    A new number needs a valid GLN not used elsewhere and the mandatory attributes. Making the
    unit inherit removes its own number and that number's message types (undo brings them back).
    """
    with write_transaction(conn):
        ent = _entity_or_fail(conn, sor_id)
        _raise_errors(_ean_problems(conn, ent, mode, location))
        if mode == ent.ean_mode and mode != "own":
            return None
        old = ean_state(conn, ent)
        new_loc = replace(location, owner_sor_id=sor_id, version=0) if mode == "own" and location else None
        new = {"ean_mode": mode, "location": asdict(new_loc) if new_loc else None, "messages": []}
        replace_ean_state(conn, sor_id, new)
        return record_entry(conn, "entity", sor_id, "ean", "ean_mode", old, new, ent.version)


def _ean_problems(conn: sqlite3.Connection, ent: Entity, mode: str, location: Location | None) -> list[Problem]:
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


# -- message types on a location number ------------------------------------------------


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
    with write_transaction(conn):
        loc = _location_or_fail(conn, gln)
        urn = resolve_message(conn, message)
        _check_validity(from_date, to_date)
        if message_state(conn, gln, urn) is not None:
            return None
        (entry,) = _register_on(conn, [loc], urn, from_date, to_date)
        return entry


def remove_message(conn: sqlite3.Connection, gln: str, message: str) -> JournalEntry | None:
    """Remove a message type from a location number; None if it was not registered."""
    with write_transaction(conn):
        loc = _location_or_fail(conn, gln)
        urn = resolve_message(conn, message)
        if message_state(conn, gln, urn) is None:
            return None
        (entry,) = _unregister_from(conn, [loc], urn)
        return entry


def set_message_validity(
    conn: sqlite3.Connection, gln: str, message: str, from_date: str | None, to_date: str | None
) -> list[JournalEntry]:
    """Change the validity of a registered message type: journalled as its removal and new addition."""
    with write_transaction(conn):
        loc = _location_or_fail(conn, gln)
        urn = resolve_message(conn, message)
        _check_validity(from_date, to_date)
        old, new = message_state(conn, gln, urn), {"from_date": from_date, "to_date": to_date}
        if old is None:
            raise EditError([Problem("message", None, f"{message} is not registered on {gln}")])
        if old == new:
            return []
        return _change_validity(conn, loc, urn, old, new)


def _change_validity(
    conn: sqlite3.Connection, loc: Location, urn: str, old: dict[str, Any], new: dict[str, Any]
) -> list[JournalEntry]:
    conn.execute(
        "UPDATE location_message SET from_date = ?, to_date = ? WHERE gln = ? AND message_urn = ?",
        (new["from_date"], new["to_date"], loc.gln, urn),
    )
    return [
        record_entry(conn, "message", loc.gln, "remove", urn, old, None, loc.version),
        record_entry(conn, "message", loc.gln, "add", urn, None, new, loc.version),
    ]


def _check_validity(from_date: str | None, to_date: str | None) -> None:
    _raise_errors(validity_problems(from_date, to_date))


# -- message types on many location numbers at once ------------------------------------


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
    """Register a message type on every number of ``glns`` that lacks it, in one transaction: a bulk
    change (an entry each, in one journal group, undone as one)."""
    with write_transaction(conn):
        urn = resolve_message(conn, message)
        _check_validity(from_date, to_date)
        todo = [g for g in dict.fromkeys(glns) if g not in glns_with_message(conn, glns, urn)]
        locations = [_location_or_fail(conn, g) for g in todo]
        return _register_on(conn, locations, urn, from_date, to_date, new_group(conn))


def remove_message_from_many(conn: sqlite3.Connection, glns: list[str], message: str) -> list[JournalEntry]:
    """Remove a message type from every number of ``glns`` that has it, in one transaction: a bulk
    change (an entry each, in one journal group, undone as one)."""
    with write_transaction(conn):
        urn = resolve_message(conn, message)
        todo = sorted(glns_with_message(conn, glns, urn))
        return _unregister_from(conn, [_location_or_fail(conn, g) for g in todo], urn, new_group(conn))


# Shared by the single and the bulk operations above, which differ only in what they check first.
# Neither is a transaction of its own: the operation that calls it holds one.


def _register_on(
    conn: sqlite3.Connection,
    locations: list[Location],
    urn: str,
    from_date: str | None,
    to_date: str | None,
    group: int | None = None,
) -> list[JournalEntry]:
    """Register ``urn`` on each of ``locations`` (none has it yet), an entry each (in ``group``)."""
    validity = {"from_date": from_date, "to_date": to_date}
    conn.executemany(
        "INSERT INTO location_message (gln, message_urn, from_date, to_date) VALUES (?, ?, ?, ?)",
        [(loc.gln, urn, from_date, to_date) for loc in locations],
    )
    return [record_entry(conn, "message", loc.gln, "add", urn, None, validity, loc.version, group) for loc in locations]


def _unregister_from(
    conn: sqlite3.Connection, locations: list[Location], urn: str, group: int | None = None
) -> list[JournalEntry]:
    """Remove ``urn`` from each of ``locations`` (each has it), an entry each (in ``group``)."""
    entries = []
    for loc in locations:
        old = message_state(conn, loc.gln, urn)
        conn.execute("DELETE FROM location_message WHERE gln = ? AND message_urn = ?", (loc.gln, urn))
        entries.append(record_entry(conn, "message", loc.gln, "remove", urn, old, None, loc.version, group))
    return entries


# -- the EDI editor's Save: attributes and message types together ------------------------

Validity = tuple[str | None, str | None]  # (from_date, to_date) of a registration


def save_location(
    conn: sqlite3.Connection, gln: str, attributes: dict[str, Any], messages: dict[str, Validity | None]
) -> list[JournalEntry]:
    """Change ``gln``'s attributes and make each message type of ``messages`` registered with its
    validity (or, for None, not registered), all validated first and then written and journalled
    in one transaction: all of it is saved, or (EditError) none. What is already so is skipped."""
    for validity in messages.values():
        if validity is not None:
            _check_validity(*validity)
    with write_transaction(conn):
        loc = _location_or_fail(conn, gln)
        _raise_errors(check_location_changes(conn, gln, attributes) if attributes else [])
        wanted = {resolve_message(conn, key): validity for key, validity in messages.items()}
        entries = _write_attributes(conn, loc, attributes)
        for urn, validity in wanted.items():
            entries += _make_registered(conn, loc, urn, validity)
    return entries


def _make_registered(
    conn: sqlite3.Connection, loc: Location, urn: str, validity: Validity | None
) -> list[JournalEntry]:
    now = message_state(conn, loc.gln, urn)
    new = None if validity is None else {"from_date": validity[0], "to_date": validity[1]}
    if now == new:
        return []
    if new is None:
        return _unregister_from(conn, [loc], urn)
    if now is None:
        return _register_on(conn, [loc], urn, *validity)  # type: ignore[misc]
    return _change_validity(conn, loc, urn, now, new)
