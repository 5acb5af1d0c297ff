"""Applying a changeset: all operations or none, once per changeset id.

Order of checks: the operations' shape (422), the role (403), the changeset id seen
before (the stored result, nothing applied), unknown units or location numbers (404),
subtrees (403), versions (409 with the server's values of every conflicting item),
the domain rules on the result (422). Only then is anything written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from sortui.domain.validation import Problem, validate_entity, validate_location
from sortui.server.db import head_seq, now, write_transaction
from sortui.server.rights import Forbidden, SubtreeCheck, check_target
from sortui.server.schema import Change, Changeset, EntityRecord, LocationRecord, RegisterState
from sortui.server.users import User
from sortui.sync import wire

CHANGESET_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
MAX_OPERATIONS = 50_000
_CHUNK = 500
_ENTITY = EntityRecord.__table__  # type: ignore[attr-defined]
_LOCATION = LocationRecord.__table__  # type: ignore[attr-defined]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(slots=True)
class Operation:
    target: str
    key: str
    op: str
    field: str | None
    old: Any
    new: Any
    base_version: int


class Refused(Exception):
    """A changeset that is not applied: HTTP status, error code, message and details."""

    def __init__(self, status: int, code: str, message: str, **details: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass(slots=True)
class Record:
    """A unit or location number being changed: its data, version and what the feed needs."""

    table: str
    key: str
    version: int
    data: dict[str, Any]
    parent: str | None = None  # units: parent SOR id; location numbers: owner
    kind: str | None = None
    touched: set[str] = field(default_factory=set)


def apply_changeset(engine: Engine, user: User, changeset_id: str, ops: list[Operation]) -> dict[str, Any]:
    """Apply ``ops`` atomically and return the result (or the stored one for a known id); raises Refused."""
    _check_shapes(changeset_id, ops)
    try:
        for op in ops:
            check_target(user, op.target)
    except Forbidden as exc:
        raise Refused(403, "forbidden", str(exc)) from None
    with write_transaction(engine) as conn:
        stored = _stored_result(conn, changeset_id, user)
        if stored is not None:
            return stored
        records = _load_records(conn, ops)
        _check_subtrees(conn, user, ops, records)
        _check_versions(ops, records)
        changes = [_apply(conn, op, records) for op in ops]
        _validate(records)
        return _write(conn, user, changeset_id, ops, records, changes)


# -- checks -----------------------------------------------------------------


def _check_shapes(changeset_id: str, ops: list[Operation]) -> None:
    if not CHANGESET_ID.match(changeset_id):
        raise Refused(422, "invalid_request", "a changeset id is 1-100 letters, digits, '-', '_' or '.'")
    if not ops:
        raise Refused(422, "invalid_request", "a changeset needs at least one operation")
    if len(ops) > MAX_OPERATIONS:
        raise Refused(422, "invalid_request", f"at most {MAX_OPERATIONS} operations in one changeset")
    for i, op in enumerate(ops):
        problem = wire.operation_problem(op.target, op.op, op.field, op.new)
        if problem:
            raise Refused(422, "invalid_operation", f"operation {i}: {problem}", index=i)
        if op.target == "message" and op.op == "add" and op.field not in message_urns():
            raise Refused(422, "invalid_operation", f"operation {i}: {op.field!r} is not a MedCom message type")


@cache
def message_urns() -> frozenset[str]:
    """The MedCom catalogue shipped with sortui: the message types a location number can get."""
    from sortui.formats.medcom import read_message_definitions
    from sortui.paths import data_dir

    return frozenset(
        d.urn for d in read_message_definitions(data_dir() / "codelists" / "medcom-message-definitions.csv")
    )


def _stored_result(conn: Connection, changeset_id: str, user: User) -> dict[str, Any] | None:
    row = conn.execute(select(Changeset.account, Changeset.result).where(Changeset.id == changeset_id)).first()
    if row is None:
        return None
    if row[0] != user.name:
        raise Refused(409, "duplicate_changeset", f"changeset id {changeset_id} was used by another user")
    return {**json.loads(row[1]), "replayed": True}


def _check_subtrees(conn: Connection, user: User, ops: list[Operation], records: dict[tuple[str, str], Record]) -> None:
    if user.role != "editor":
        return
    check = SubtreeCheck(user, lambda sid: _parent_of(conn, sid, records))
    try:
        for op in ops:
            check.require(op.key)
            if op.op == "move":
                check.require(op.new)
    except Forbidden as exc:
        raise Refused(403, "forbidden", str(exc)) from None


def _parent_of(conn: Connection, sor_id: str, records: dict[tuple[str, str], Record]) -> str | None:
    rec = records.get(("entity", sor_id))
    if rec is not None:
        return rec.parent
    return conn.execute(select(EntityRecord.parent_sor_id).where(EntityRecord.sor_id == sor_id)).scalar()


def _check_versions(ops: list[Operation], records: dict[tuple[str, str], Record]) -> None:
    conflicts = []
    for i, op in enumerate(ops):
        rec = records[wire.item_of(op.target, op.key)]
        if op.base_version != rec.version:
            conflicts.append(
                {
                    "index": i,
                    "target": op.target,
                    "key": op.key,
                    "field": op.field,
                    "base_version": op.base_version,
                    "server_value": wire.field_value(op.target, rec.data, op.field or ""),
                    "server_version": rec.version,
                }
            )
    if conflicts:
        raise Refused(
            409,
            "conflict",
            f"{len(conflicts)} changes were based on old versions; nothing applied",
            conflicts=conflicts,
        )


# -- loading ----------------------------------------------------------------


def _load_records(conn: Connection, ops: list[Operation]) -> dict[tuple[str, str], Record]:
    wanted = {wire.item_of(op.target, op.key) for op in ops}
    records: dict[tuple[str, str], Record] = {}
    entity_keys = sorted(k for t, k in wanted if t == "entity")
    location_keys = sorted(k for t, k in wanted if t == "location")
    for chunk in _chunks(entity_keys):
        rows = conn.execute(
            select(_ENTITY.c.sor_id, _ENTITY.c.version, _ENTITY.c.data, _ENTITY.c.parent_sor_id, _ENTITY.c.kind).where(
                _ENTITY.c.sor_id.in_(chunk)
            )
        )
        for sid, version, data, parent, kind in rows:
            records["entity", sid] = Record("entity", sid, version, json.loads(data), parent, kind)
    for chunk in _chunks(location_keys):
        rows = conn.execute(
            select(_LOCATION.c.gln, _LOCATION.c.version, _LOCATION.c.data, _LOCATION.c.owner_sor_id).where(
                _LOCATION.c.gln.in_(chunk)
            )
        )
        for gln, version, data, owner in rows:
            records["location", gln] = Record("location", gln, version, json.loads(data), owner)
    missing = sorted(f"{'unit' if t == 'entity' else 'lokationsnummer'} {k}" for t, k in wanted - records.keys())
    if missing:
        raise Refused(404, "not_found", "not in the register: " + ", ".join(missing[:20]), missing=missing)
    return records


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


# -- applying ---------------------------------------------------------------


def _apply(conn: Connection, op: Operation, records: dict[tuple[str, str], Record]) -> tuple[Any, Any]:
    """Apply one operation to its record's data; (old, new) as the feed records them."""
    rec = records[wire.item_of(op.target, op.key)]
    name = op.field or ""
    rec.touched.add(name)
    if op.target == "entity" and op.op == "move":
        _check_move(conn, rec, op.new, records)
        old, rec.parent = rec.parent, op.new
        rec.data["parent_sor_id"] = op.new
        return old, op.new
    if op.target == "entity":
        old = wire.entity_get(rec.data, name)
        wire.entity_set(rec.data, name, op.new)
        return old, op.new
    if op.target == "location":
        attr = name.partition(".")[2]
        old = rec.data.get(attr)
        rec.data[attr] = op.new
        return old, op.new
    messages = rec.data.setdefault("messages", {})
    old = messages.get(name)
    if op.op == "add":
        messages[name] = {"from_date": op.new.get("from_date"), "to_date": op.new.get("to_date")}
    else:
        messages.pop(name, None)
    return old, op.new


_PARENT_KINDS = {"SI": ("IE",), "OE": ("SI", "OE")}


def _check_move(conn: Connection, rec: Record, new_parent: str, records: dict[tuple[str, str], Record]) -> None:
    row = conn.execute(select(EntityRecord.kind).where(EntityRecord.sor_id == new_parent)).first()
    if row is None:
        raise Refused(404, "not_found", f"not in the register: unit {new_parent}", missing=[f"unit {new_parent}"])
    if row[0] not in _PARENT_KINDS.get(rec.kind or "", ()):
        raise Refused(422, "invalid_operation", f"a {rec.kind} cannot be moved under a {row[0]} ({new_parent})")
    current: str | None = new_parent
    seen: set[str] = set()
    while current is not None and current not in seen:
        if current == rec.key:
            raise Refused(422, "invalid_operation", f"{rec.key} cannot be moved into its own subtree")
        seen.add(current)
        current = _parent_of(conn, current, records)


def _validate(records: dict[tuple[str, str], Record]) -> None:
    for rec in records.values():
        if rec.table == "entity":
            problems = validate_entity(wire.entity_from_data(rec.data))
        else:
            problems = validate_location(wire.location_from_data(rec.data))
        bad = [p for p in problems if p.is_error and _concerns(p, rec.touched)]
        if bad:
            text = "; ".join(p.message for p in bad)
            raise Refused(422, "invalid_value", f"{rec.key}: {text}", problems=[p.field for p in bad])


def _concerns(problem: Problem, touched: set[str]) -> bool:
    name = problem.field
    return name in touched or name.split(".")[0] in touched or (name == "to_date" and "from_date" in touched)


# -- writing ----------------------------------------------------------------


def _write(
    conn: Connection,
    user: User,
    changeset_id: str,
    ops: list[Operation],
    records: dict[tuple[str, str], Record],
    changes: list[tuple[Any, Any]],
) -> dict[str, Any]:
    for rec in records.values():
        rec.version += 1
    _update_records(conn, records)
    first = head_seq(conn) + 1
    when = now()
    conn.execute(
        insert(Change),
        [
            {
                "seq": first + i,
                "changeset_id": changeset_id,
                "target": op.target,
                "key": op.key,
                "op": op.op,
                "field": op.field,
                "old_value": dumps(old),
                "new_value": dumps(new),
                "new_version": records[wire.item_of(op.target, op.key)].version,
                "account": user.name,
                "created_at": when,
            }
            for i, (op, (old, new)) in enumerate(zip(ops, changes, strict=True))
        ],
    )
    last = first + len(ops) - 1
    conn.execute(update(RegisterState).where(RegisterState.id == 1).values(head_seq=last))
    result = {
        "changeset": changeset_id,
        "applied": len(ops),
        "first_seq": first,
        "last_seq": last,
        "versions": [{"target": r.table, "key": r.key, "version": r.version} for r in records.values()],
        "replayed": False,
    }
    conn.execute(
        insert(Changeset).values(
            id=changeset_id, account=user.name, created_at=when, operations=len(ops), result=dumps(result)
        )
    )
    return result


def _update_records(conn: Connection, records: dict[tuple[str, str], Record]) -> None:
    entities = [
        {"k": r.key, "v": r.version, "d": dumps(r.data), "p": r.parent} for r in records.values() if r.table == "entity"
    ]
    locations = [{"k": r.key, "v": r.version, "d": dumps(r.data)} for r in records.values() if r.table == "location"]
    if entities:
        conn.execute(
            update(_ENTITY)
            .where(_ENTITY.c.sor_id == bindparam("k"))
            .values(version=bindparam("v"), data=bindparam("d"), parent_sor_id=bindparam("p")),
            entities,
        )
    if locations:
        conn.execute(
            update(_LOCATION)
            .where(_LOCATION.c.gln == bindparam("k"))
            .values(version=bindparam("v"), data=bindparam("d")),
            locations,
        )
