"""Applying a changeset: all operations or none, once per changeset id.

Order of checks: the operations' shape (422), the role (403), the changeset id seen
before (the stored result, nothing applied; 409 ``changeset_reused`` when it came with other
operations), unknown units or location numbers (404;
a new location number already in use: 409 ``gln_taken``), subtrees (403), versions (409
with the server's values of every conflicting item), the domain rules on the result
(422). Only then is anything written.

Units created in a working copy arrive as ``create`` operations under a provisional SOR
id; the service issues a real one (``sor_ids``) and uses it for every operation of the
changeset that names the provisional id (edits of the new unit, units created under it,
moves into it). The result's ``created`` maps provisional ids to real ones. ``ean``
operations give a unit its own location number (created here, with its attributes and
message types) or take it away (deleted here); who may do that is in ``rights``.

Several service processes can share one PostgreSQL database. A changeset that creates, moves
or gives and takes location numbers runs under the register's lock from its start (it reads the
tree), and reads the records it changes ``FOR UPDATE``. Any other changeset runs beside the
others: its updates carry the versions it checked (``WHERE version = ...``), so a record changed
meanwhile by another process updates no row, and the changeset runs again the structural way,
whose locked reads answer the 409 (or, for the same changeset id sent twice at once, the stored
result).

A changeset is applied in two transactions. The first writes the records, the feed rows without
numbers and the stored result, and commits without touching ``register_state``: commits run side
by side (PostgreSQL flushes their WAL together). The second numbers the feed (``feed.py``, which
says why that keeps the feed whole and in order) and reads the changeset's numbers for
the answer. A replay reads them the same way, so it answers what the first time did, even when
the process that applied it died between the two: the next numbering, or a service start,
numbers its rows.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from sortui.domain import wire
from sortui.domain.provisional import is_provisional
from sortui.domain.validation import Problem, validate_entity, validate_location, validity_problems
from sortui.server import sor_ids
from sortui.server.db import REGISTER_LOCK, DriverSql, now, write_transaction
from sortui.server.feed import changeset_seqs
from sortui.server.rights import Forbidden, SubtreeCheck, check_ean, check_target
from sortui.server.schema import Change, Changeset, EntityRecord, LocationRecord
from sortui.server.users import User

CHANGESET_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
MAX_OPERATIONS = 50_000
_CHUNK = 500
SERIALIZED_OPS = frozenset({"create", "move", "ean"})  # they read the tree: run under the register's lock
# A move holds the register's lock and waits for a unit that a side-by-side edit holds while it waits
# for the lock: PostgreSQL ends one of them (deadlock detected; serialization failure for completeness),
# and the one ended tries again after a short, random pause (so that the winner commits first). Among
# many edits of its unit a move can lose several times in a row: 3 attempts were seen to run out.
MAX_ATTEMPTS = 10
_RETRY_STATES = frozenset({"40P01", "40001"})
_RETRY_PAUSE_S = 0.005  # times the attempt, at most
_ENTITY = EntityRecord.__table__  # type: ignore[attr-defined]
_LOCATION = LocationRecord.__table__  # type: ignore[attr-defined]
_CHANGE = Change.__table__  # type: ignore[attr-defined]
_CHANGESET = Changeset.__table__  # type: ignore[attr-defined]
# The statements every changeset runs, built once (Core: the ORM's DML layer costs more than the SQL)
# and compiled once (DriverSql: the compile cache's work at each execution cost more than the driver's).
_STORED = DriverSql(
    select(_CHANGESET.c.account, _CHANGESET.c.result, _CHANGESET.c.digest).where(_CHANGESET.c.id == bindparam("id"))
)
# A feed row's id is the database's, and its number comes later (server/feed.py); inline: no RETURNING of the id.
_CHANGE_COLUMNS = [c.name for c in _CHANGE.columns if c.name not in ("id", "seq")]
_INSERT_CHANGE = DriverSql(insert(_CHANGE).inline(), _CHANGE_COLUMNS)
_INSERT_CHANGESET = DriverSql(insert(_CHANGESET))
# Updates and deletes carry the version read ("b"): a record changed meanwhile matches no row.
_UPDATE_ENTITY = DriverSql(
    update(_ENTITY)
    .where(_ENTITY.c.sor_id == bindparam("k"), _ENTITY.c.version == bindparam("b"))
    .values(version=bindparam("v"), data=bindparam("d"), parent_sor_id=bindparam("p"))
)
_UPDATE_LOCATION = DriverSql(
    update(_LOCATION)
    .where(_LOCATION.c.gln == bindparam("k"), _LOCATION.c.version == bindparam("b"))
    .values(version=bindparam("v"), data=bindparam("d"))
)
_DELETE_LOCATION = DriverSql(
    delete(_LOCATION).where(_LOCATION.c.gln == bindparam("k"), _LOCATION.c.version == bindparam("b"))
)


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
    touched: set[str] = field(default_factory=set)  # fields changed ("*": all, for a new record)
    created: bool = False  # made by this changeset (inserted, not updated)
    deleted: bool = False  # removed by this changeset (an own location number given up)

    @property
    def changed(self) -> bool:
        return bool(self.touched) and not self.deleted


Records = dict[tuple[str, str], Record]


class _Raced(Exception):
    """A record this changeset changes was changed by another transaction after it was read."""


def apply_changeset(
    engine: Engine, user: User, changeset_id: str, ops: list[Operation], conn: Connection | None = None
) -> dict[str, Any]:
    """Apply ``ops`` atomically and return the result (or the stored one for a known id); raises Refused.

    ``conn``: the request's own connection (``db.request_connection``), else connections from the pool.
    """
    result = commit_changeset(engine, user, changeset_id, ops, conn)
    first, last = changeset_seqs(engine, changeset_id, conn)  # the feed numbered, this changeset's rows with it
    return {**result, "first_seq": first, "last_seq": last}


def commit_changeset(
    engine: Engine, user: User, changeset_id: str, ops: list[Operation], conn: Connection | None = None
) -> dict[str, Any]:
    """The changeset applied and committed (or found stored), its feed rows not numbered yet."""
    _check_shapes(changeset_id, ops)
    _check_roles(user, ops)
    serialize = any(op.op in SERIALIZED_OPS for op in ops)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:  # on copies: an attempt renames the created units' ids
            return _apply(engine, user, changeset_id, [replace(op) for op in ops], serialize, conn)
        except (_Raced, IntegrityError):
            # Another transaction was in the way. Structural changesets do not exclude the side-by-side
            # ones, so even one of those can meet an id committed beside it: decide again, then.
            if attempt == MAX_ATTEMPTS:
                raise
        except DBAPIError as exc:  # PostgreSQL chose this transaction as a deadlock's victim
            if getattr(exc.orig, "sqlstate", None) not in _RETRY_STATES or attempt == MAX_ATTEMPTS:
                raise
            time.sleep(random.uniform(0, _RETRY_PAUSE_S * attempt))
        serialize = True  # decide again under the lock, the records read FOR UPDATE
    raise AssertionError("unreachable")


def _apply(
    engine: Engine, user: User, changeset_id: str, ops: list[Operation], serialize: bool, conn: Connection | None
) -> dict[str, Any]:
    with write_transaction(engine, REGISTER_LOCK if serialize else None, conn) as conn:
        if serialize:
            stored = _stored_result(conn, changeset_id, user, ops)
            if stored is not None:
                return stored
        try:
            return _apply_new(conn, user, changeset_id, ops, serialize)
        except Refused:
            # A changeset id seen before is the stored result, whatever else is true now. Side by side it is
            # looked up only here, a round trip less for every new id: a replay is always refused (its first
            # time moved the versions it names), and an id committed beside this one since it was looked up
            # fails the insert (IntegrityError), so it is decided again, looked up first.
            stored = _stored_result(conn, changeset_id, user, ops)
            if stored is None:
                raise
            return stored


def _apply_new(
    conn: Connection, user: User, changeset_id: str, ops: list[Operation], serialize: bool
) -> dict[str, Any]:
    created = _resolve_provisional(conn, ops)
    records = _load_records(conn, ops, locked=serialize)
    _check_subtrees(conn, user, ops, records)
    _check_versions(ops, records)
    changes = [_apply_operation(conn, op, records) for op in ops]
    _validate(records)
    return _write(conn, user, changeset_id, ops, records, changes, created)


def operations_digest(ops: list[Operation]) -> str:
    """What a changeset id stands for: the SHA-256 of its operations (with the SOR ids issued)."""
    rows = [[op.target, op.key, op.op, op.field, op.old, op.new, op.base_version] for op in ops]
    return hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


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
        unknown = [m[0] for m in op.new.get("messages") or [] if m[0] not in message_urns()] if op.op == "ean" else []
        if unknown:
            raise Refused(422, "invalid_operation", f"operation {i}: {unknown[0]!r} is not a MedCom message type")
        problems = _validity_problems(op)
        if problems:
            text = "; ".join(p.message for p in problems)
            raise Refused(422, "invalid_value", f"operation {i}: {text}", index=i, problems=[p.field for p in problems])


def _validity_problems(op: Operation) -> list[Problem]:
    """The message types' validity periods an operation registers, checked as the working copy checks them."""
    if op.target == "message" and op.op == "add":
        return validity_problems(op.new.get("from_date"), op.new.get("to_date"))
    if op.op == "ean":
        return [p for _, start, end in op.new.get("messages") or [] for p in validity_problems(start, end)]
    return []


def _check_roles(user: User, ops: list[Operation]) -> None:
    try:
        for op in ops:
            if op.op == "ean":
                check_ean(user, _ean_location(op.old) is not None or _ean_location(op.new) is not None)
            else:
                check_target(user, op.target)
    except Forbidden as exc:
        raise Refused(403, "forbidden", str(exc)) from None


def _ean_location(state: Any) -> dict[str, Any] | None:
    return state.get("location") if isinstance(state, dict) else None


@cache
def message_urns() -> frozenset[str]:
    """The MedCom catalogue shipped with sortui: the message types a location number can get."""
    from sortui.formats.medcom import read_message_definitions
    from sortui.paths import data_dir

    return frozenset(
        d.urn for d in read_message_definitions(data_dir() / "codelists" / "medcom-message-definitions.csv")
    )


def _stored_result(conn: Connection, changeset_id: str, user: User, ops: list[Operation]) -> dict[str, Any] | None:
    row = _STORED(conn, {"id": changeset_id}).first()
    if row is None:
        return None
    if row[0] != user.name:
        raise Refused(409, "duplicate_changeset", f"changeset id {changeset_id} was used by another user")
    result = json.loads(row[1])
    issued = result.get("created") or {}
    if row[2] is not None and operations_digest([_renamed(op, issued) for op in ops]) != row[2]:
        raise Refused(
            409,
            "changeset_reused",
            f"changeset id {changeset_id} was applied before with other operations; nothing applied "
            "(a new changeset needs a new id)",
        )
    return {**result, "replayed": True}


def _renamed(op: Operation, mapping: dict[str, str]) -> Operation:
    copy = replace(op)
    _rename(copy, mapping)
    return copy


def _check_subtrees(conn: Connection, user: User, ops: list[Operation], records: Records) -> None:
    if user.role != "editor":
        return
    check = SubtreeCheck(user, lambda sid: _parent_of(conn, sid, records))
    try:
        for op in ops:
            check.require(op.key)
            if op.op == "move":
                check.require(op.new)
            if op.op == "ean" and _owned(records, op.key):
                check_ean(user, touches_location=True)
    except Forbidden as exc:
        raise Refused(403, "forbidden", str(exc)) from None


def _parent_of(conn: Connection, sor_id: str, records: Records) -> str | None:
    rec = records.get(("entity", sor_id))
    if rec is not None:
        return rec.parent
    return conn.execute(select(EntityRecord.parent_sor_id).where(EntityRecord.sor_id == sor_id)).scalar()


def _check_versions(ops: list[Operation], records: Records) -> None:
    conflicts = []
    for i, op in enumerate(ops):
        if op.op == "create":
            continue
        rec = records[wire.item_of(op.target, op.key)]
        stale = op.base_version != rec.version or (op.op == "ean" and _ean_stale(op, records))
        if stale:
            conflicts.append(
                {
                    "index": i,
                    "target": op.target,
                    "key": op.key,
                    "field": op.field,
                    "base_version": op.base_version,
                    "server_value": _server_value(op, rec, records),
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


def _server_value(op: Operation, rec: Record, records: Records) -> Any:
    if op.op == "ean":
        return _ean_state_of(rec, records)
    return wire.field_value(op.target, rec.data, op.field or "")


def _ean_stale(op: Operation, records: Records) -> bool:
    """The unit's own location number on the service is not the one the edit started from."""
    before = _ean_location(op.old)
    owned = _owned(records, op.key)
    if before is None or not owned:
        return before is not None or bool(owned)
    return owned[0].key != before.get("gln") or owned[0].version != before.get("version", 0)


def _owned(records: Records, sor_id: str) -> list[Record]:
    """The location numbers ``sor_id`` owns at this point of the changeset (not the ones still to come)."""
    return [
        r
        for r in records.values()
        if r.table == "location" and r.parent == sor_id and not r.deleted and (r.touched or not r.created)
    ]


def _ean_state_of(rec: Record, records: Records) -> dict[str, Any]:
    owned = _owned(records, rec.key)
    loc = owned[0] if owned else None
    return wire.ean_state(rec.data.get("ean_mode", "none"), loc.data if loc else None, loc.version if loc else 0)


# -- provisional ids --------------------------------------------------------


def _resolve_provisional(conn: Connection, ops: list[Operation]) -> dict[str, str]:
    """Issue real SOR ids for the created units and use them in every operation; {provisional: real}."""
    keys = [op.key for op in ops if op.op == "create"]
    doubled = sorted({k for k in keys if keys.count(k) > 1})
    if doubled:
        raise Refused(422, "invalid_operation", f"unit {doubled[0]} is created twice in one changeset")
    mapping = dict(zip(keys, sor_ids.issue(conn, len(keys)), strict=True))
    for op in ops:
        _rename(op, mapping)
    return mapping


def _rename(op: Operation, mapping: dict[str, str]) -> None:
    if op.target == "entity":
        op.key = mapping.get(op.key, op.key)
    if op.op in ("move", "set") and isinstance(op.new, str):  # a move into it, geo_parent_sor_id set to it
        op.new = mapping.get(op.new, op.new)
    elif op.op == "create":
        parent = op.new["parent_sor_id"]
        op.new = {**op.new, "parent_sor_id": mapping.get(parent, parent)}
    elif op.op == "ean" and op.new.get("location"):
        op.new = {**op.new, "location": {**op.new["location"], "owner_sor_id": op.key}}


# -- loading ----------------------------------------------------------------


def _load_records(conn: Connection, ops: list[Operation], locked: bool = False) -> Records:
    """The records the operations change or need, and the ones they create (404 for any missing).

    ``locked``: read ``FOR UPDATE`` (PostgreSQL; SQLite has one writer anyway), so no side-by-side
    changeset changes them between this read and the writes: what is decided here stands.
    """
    created = {op.key for op in ops if op.op == "create"}
    entity_keys = {op.key for op in ops if op.target == "entity"} - created
    entity_keys |= {op.new["parent_sor_id"] for op in ops if op.op == "create"} - created
    location_keys = {op.key for op in ops if op.target != "entity"}
    location_keys |= {_ean_location(op.new)["gln"] for op in ops if op.op == "ean" and _ean_location(op.new)}
    records: Records = {}
    _load_entities(conn, sorted(entity_keys), records, locked)
    _load_locations(conn, _LOCATION.c.gln, sorted(location_keys), records, locked)
    _load_locations(conn, _LOCATION.c.owner_sor_id, sorted(op.key for op in ops if op.op == "ean"), records, locked)
    missing = _walk(ops, records)
    if missing:
        raise Refused(404, "not_found", "not in the register: " + ", ".join(missing[:20]), missing=missing)
    return records


def _load_entities(conn: Connection, keys: list[str], records: Records, locked: bool) -> None:
    for sid, version, data, parent, kind in _select_chunks(conn, _ENTITY_COLUMNS, _ENTITY.c.sor_id, keys, locked):
        records["entity", sid] = Record("entity", sid, version, json.loads(data), parent, kind)


def _load_locations(conn: Connection, column: Any, keys: list[str], records: Records, locked: bool) -> None:
    for gln, version, data, owner in _select_chunks(conn, _LOCATION_COLUMNS, column, keys, locked):
        records["location", gln] = Record("location", gln, version, json.loads(data), owner)


_ENTITY_COLUMNS = (_ENTITY.c.sor_id, _ENTITY.c.version, _ENTITY.c.data, _ENTITY.c.parent_sor_id, _ENTITY.c.kind)
_LOCATION_COLUMNS = (_LOCATION.c.gln, _LOCATION.c.version, _LOCATION.c.data, _LOCATION.c.owner_sor_id)


def _select_chunks(
    conn: Connection, columns: tuple[Any, ...], column: Any, keys: list[str], locked: bool
) -> Iterator[Any]:
    """The rows whose ``column`` is one of ``keys``; one key (most changesets) without an expanding IN."""
    if len(keys) == 1:
        yield from _one_row(columns, column, locked)(conn, {"key": keys[0]})
        return
    for chunk in _chunks(keys):
        query = select(*columns).where(column.in_(chunk))
        yield from conn.execute(query.with_for_update() if locked else query)


@cache
def _one_row(columns: tuple[Any, ...], column: Any, locked: bool) -> DriverSql:
    query = select(*columns).where(column == bindparam("key"))
    return DriverSql(query.with_for_update() if locked else query)


def _walk(ops: list[Operation], records: Records) -> list[str]:
    """Follow the changeset's creations and removals in order: what is missing when an operation needs it.

    Adds the records of created units and of new location numbers to ``records``.
    """
    present = set(records)
    missing: list[str] = []
    for op in ops:
        if op.op == "create":
            parent = op.new["parent_sor_id"]
            if ("entity", parent) not in present:
                missing.append(_missing_name("entity", parent))
            records["entity", op.key] = Record("entity", op.key, 0, {}, parent, op.new["kind"], created=True)
            present.add(("entity", op.key))
            continue
        item = wire.item_of(op.target, op.key)
        if item not in present:
            missing.append(_missing_name(*item))
        elif op.op == "ean":
            _walk_ean(op, records, present)
    return sorted(set(missing))


def _walk_ean(op: Operation, records: Records, present: set[tuple[str, str]]) -> None:
    for rec in records.values():
        if rec.table == "location" and rec.parent == op.key:
            present.discard(("location", rec.key))
    new = _ean_location(op.new)
    if new is None:
        return
    gln = new["gln"]
    taken = records.get(("location", gln))
    if taken is not None and ("location", gln) in present:
        raise Refused(409, "gln_taken", f"lokationsnummer {gln} is already used by unit {taken.parent}", gln=gln)
    if taken is not None:
        raise Refused(422, "invalid_operation", f"lokationsnummer {gln} is removed and given again in one changeset")
    records["location", gln] = Record("location", gln, 0, {}, op.key, created=True)
    present.add(("location", gln))


def _missing_name(table: str, key: str) -> str:
    name = f"{'unit' if table == 'entity' else 'lokationsnummer'} {key}"
    return f"{name} (a provisional id: the unit was not created in this changeset)" if is_provisional(key) else name


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


# -- applying ---------------------------------------------------------------


def _apply_operation(conn: Connection, op: Operation, records: Records) -> tuple[Any, Any]:
    """Apply one operation to its record's data; (old, new) as the feed records them."""
    rec = records[wire.item_of(op.target, op.key)]
    if op.op == "create":
        return _apply_create(conn, rec, op, records)
    if op.op == "ean":
        return _apply_ean(rec, op, records)
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


def _apply_create(conn: Connection, rec: Record, op: Operation, records: Records) -> tuple[Any, Any]:
    parent_kind = _kind_of(conn, op.new["parent_sor_id"], records)
    if parent_kind not in _PARENT_KINDS[op.new["kind"]]:
        raise Refused(422, "invalid_operation", f"an {op.new['kind']} cannot be created under an {parent_kind}")
    rec.data = wire.entity_to_data(wire.created_entity(rec.key, op.new))
    rec.touched.add("*")
    return None, op.new


def _apply_ean(rec: Record, op: Operation, records: Records) -> tuple[Any, Any]:
    old = _ean_state_of(rec, records)
    for loc in _owned(records, rec.key):
        loc.deleted = True
    rec.data["ean_mode"] = op.new["ean_mode"]
    rec.touched.add("ean_mode")
    new = dict(op.new)
    if op.new.get("location"):
        loc = records["location", op.new["location"]["gln"]]
        loc.data = wire.location_data_of(op.new, rec.key)
        loc.touched.add("*")
        new["location"] = {**op.new["location"], "version": loc.version + 1}
    return old, new


_PARENT_KINDS = {"SI": ("IE",), "OE": ("SI", "OE")}


def _kind_of(conn: Connection, sor_id: str, records: Records) -> str | None:
    rec = records.get(("entity", sor_id))
    if rec is not None:
        return rec.kind
    return conn.execute(select(EntityRecord.kind).where(EntityRecord.sor_id == sor_id)).scalar()


def _check_move(conn: Connection, rec: Record, new_parent: str, records: Records) -> None:
    kind = _kind_of(conn, new_parent, records)
    if kind is None:
        raise Refused(404, "not_found", f"not in the register: unit {new_parent}", missing=[f"unit {new_parent}"])
    if kind not in _PARENT_KINDS.get(rec.kind or "", ()):
        raise Refused(422, "invalid_operation", f"an {rec.kind} cannot be moved under an {kind} ({new_parent})")
    current: str | None = new_parent
    seen: set[str] = set()
    while current is not None and current not in seen:
        if current == rec.key:
            raise Refused(422, "invalid_operation", f"{rec.key} cannot be moved into its own subtree")
        seen.add(current)
        current = _parent_of(conn, current, records)


def _validate(records: Records) -> None:
    for rec in records.values():
        if not rec.changed:
            continue
        if rec.table == "entity":
            problems = validate_entity(wire.entity_from_data(rec.data))
        else:
            problems = validate_location(wire.location_from_data(rec.data), creating=rec.created)
        bad = [p for p in problems if p.is_error and ("*" in rec.touched or _concerns(p, rec.touched))]
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
    records: Records,
    changes: list[tuple[Any, Any]],
    created: dict[str, str],
) -> dict[str, Any]:
    changed = [r for r in records.values() if r.changed]
    _update_records(conn, records)
    for rec in changed:
        rec.version += 1
    when = now()
    # After the updates, which hold the records' row locks: a later change of one of them writes its
    # feed rows after this commit, so their ids, and their feed numbers, come after these.
    _INSERT_CHANGE(
        conn,
        [
            {
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
            for op, (old, new) in zip(ops, changes, strict=True)
        ],
    )
    result = {
        "changeset": changeset_id,
        "applied": len(ops),
        "first_seq": None,  # numbered after the commit: apply_changeset reads them from the feed
        "last_seq": None,
        "versions": [{"target": r.table, "key": r.key, "version": r.version} for r in changed],
        "created": created,
        "replayed": False,
    }
    _INSERT_CHANGESET(
        conn,
        {
            "id": changeset_id,
            "account": user.name,
            "created_at": when,
            "operations": len(ops),
            "result": dumps(result),
            "digest": operations_digest(ops),
        },
    )
    return result


def _update_records(conn: Connection, records: Records) -> None:
    """Write the changed records at their next version; _Raced when one is no longer at the version read."""
    changed = [r for r in records.values() if r.changed]
    new_entities = [
        {"sor_id": r.key, "parent_sor_id": r.parent, "kind": r.kind, "version": r.version + 1, "data": dumps(r.data)}
        for r in changed
        if r.created and r.table == "entity"
    ]
    new_locations = [
        {"gln": r.key, "owner_sor_id": r.parent, "version": r.version + 1, "data": dumps(r.data)}
        for r in changed
        if r.created and r.table == "location"
    ]
    if new_entities:
        conn.execute(insert(_ENTITY), new_entities)
    if new_locations:
        conn.execute(insert(_LOCATION), new_locations)
    gone = [
        {"k": r.key, "b": r.version} for r in records.values() if r.deleted and not r.created and r.table == "location"
    ]
    if gone:
        _expect(_DELETE_LOCATION(conn, gone), gone)
    old = [r for r in changed if not r.created]
    entities = [
        {"k": r.key, "b": r.version, "v": r.version + 1, "d": dumps(r.data), "p": r.parent}
        for r in old
        if r.table == "entity"
    ]
    locations = [
        {"k": r.key, "b": r.version, "v": r.version + 1, "d": dumps(r.data)} for r in old if r.table == "location"
    ]
    if entities:
        _expect(_UPDATE_ENTITY(conn, entities), entities)
    if locations:
        _expect(_UPDATE_LOCATION(conn, locations), locations)


def _expect(result: Any, rows: list[dict[str, Any]]) -> None:
    if result.rowcount != len(rows):
        raise _Raced()
