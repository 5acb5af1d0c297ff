"""The wire format shared by the service and its clients.

An entity travels as the JSON of its ``Entity`` with own values only (no version,
no source line, no location number: those are separate records). A location
number travels as its attributes plus ``messages``: {message URN: {from_date, to_date}}.
An operation names its field the way the journal does (``name``, ``postal.street``,
``location.system_type``, a message URN for message edits).

Two operations change structure: ``create`` (target ``entity``, no field; the key is the
working copy's provisional SOR id and the value the new unit's first values, with
``kind``, ``name`` and ``parent_sor_id``; the service answers the real id) and ``ean``
(target ``entity``, field ``ean_mode``; old and new are "ean states": ``{ean_mode,
location: a location number's attributes with its version, or null, messages: [[URN,
from_date, to_date], ...]}``, the unit's own number and its message types).
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from sortui.domain import codes
from sortui.domain.fields import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    ENTITY_FLAGS,
    ENTITY_SCALARS,
    LOCATION_FLAG_FIELDS,
    LOCATION_FLAGS,
    LOCATION_SCALARS,
    SPECIALITY_TYPE,
    editable_entity_fields,
)
from sortui.domain.model import ADDRESS_KINDS, EAN_MODES, Address, Contact, Entity, Location, Speciality

TARGETS = ("entity", "location", "message")
OPS = {"entity": ("set", "move", "create", "ean"), "location": ("set",), "message": ("add", "remove")}
STRUCTURAL = ("create", "ean")
CREATE_KINDS = ("SI", "OE")  # a created unit sits under a parent (owners are not created here)
CREATE_MODES = ("inherited", "none")  # its own location number comes with a later 'ean' operation
_ENTITY_SKIP = ("version", "source_line", "location")
_ENTITY_NAMES = tuple(f.name for f in fields(Entity) if f.name not in (*_ENTITY_SKIP, "addresses", "contact"))
_LOCATION_NAMES = tuple(f.name for f in fields(Location) if f.name != "version")
ENTITY_PATHS = frozenset(editable_entity_fields())
LOCATION_NAMES = frozenset(LOCATION_SCALARS + LOCATION_FLAGS)


def item_of(target: str, key: str) -> tuple[str, str]:
    """The versioned record an operation changes: message edits change their location number."""
    return ("entity" if target == "entity" else "location", key)


# -- records ------------------------------------------------------------------


def entity_to_data(ent: Entity) -> dict[str, Any]:
    data = asdict(ent)
    for name in _ENTITY_SKIP:
        data.pop(name, None)
    return data


def entity_from_data(data: dict[str, Any], version: int = 0) -> Entity:
    values = {name: data.get(name) for name in _ENTITY_NAMES if name in data}
    values["specialities"] = [Speciality(s["code"], s.get("type_code")) for s in data.get("specialities") or []]
    values["local_attributes"] = list(data.get("local_attributes") or [])
    values["replaces"] = list(data.get("replaces") or [])
    values["replaced_by"] = list(data.get("replaced_by") or [])
    ent = Entity(**values, version=version)
    ent.addresses = [Address(**_known(a, Address)) for a in data.get("addresses") or []]
    contact = data.get("contact")
    ent.contact = Contact(**_known(contact, Contact)) if contact else None
    return ent


def _known(values: dict[str, Any], cls: type) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names}


def location_to_data(loc: Location, messages: dict[str, dict[str, str | None]] | None = None) -> dict[str, Any]:
    data = asdict(loc)
    data.pop("version", None)
    data["messages"] = dict(messages or {})
    return data


def location_from_data(data: dict[str, Any], version: int = 0) -> Location:
    return Location(**{name: data[name] for name in _LOCATION_NAMES if name in data}, version=version)


# -- reading and changing one field of a record's data ------------------------


def entity_get(data: dict[str, Any], path: str) -> Any:
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        addr = _address(data, group)
        return addr.get(name) if addr else None
    if group == "contact":
        contact = data.get("contact")
        return contact.get(name) if contact else None
    if path == "specialities":
        return [s["code"] for s in data.get("specialities") or []]
    return data.get(path)


def entity_set(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in an entity's data as the journal does in the working copy."""
    group, _, name = path.rpartition(".")
    if group in ADDRESS_KINDS:
        _set_address(data, group, name, value)
    elif group == "contact":
        contact = data.get("contact") or dict.fromkeys(CONTACT_FIELDS)
        contact[name] = value
        data["contact"] = contact if any(v is not None for v in contact.values()) else None
    elif path == "specialities":
        data["specialities"] = [{"code": code, "type_code": SPECIALITY_TYPE} for code in value]
    else:
        data[path] = value


def _address(data: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((a for a in data.get("addresses") or [] if a.get("kind") == kind), None)


def _set_address(data: dict[str, Any], kind: str, name: str, value: Any) -> None:
    addresses = data.setdefault("addresses", [])
    addr = _address(data, kind)
    if addr is None:
        addr = {"kind": kind, **dict.fromkeys(ADDRESS_FIELDS)}
        addresses.append(addr)
        addresses.sort(key=lambda a: a["kind"])
    addr[name] = value
    if all(v is None for k, v in addr.items() if k != "kind"):  # empty again: inheritance applies once more
        addresses.remove(addr)


def field_value(target: str, data: dict[str, Any], field: str) -> Any:
    """The current value of an operation's field in a record's data (what a conflict reports)."""
    if target == "entity":
        return entity_get(data, field)
    if target == "location":
        return data.get(field.partition(".")[2])
    return (data.get("messages") or {}).get(field)


# -- checking an operation's shape --------------------------------------------


def operation_problem(target: str, op: str, field: str | None, value: Any) -> str | None:
    """Why an operation (as sent, or as read from the feed) is malformed; None when it is fine."""
    if op not in OPS.get(target, ()):
        return f"{op!r} is not an operation on {target!r}"
    if op == "create":
        return "a create operation has no field" if field is not None else create_problem(value)
    if op == "ean":
        return "an ean operation changes the field ean_mode" if field != "ean_mode" else ean_state_problem(value)
    if not field:
        return "an operation needs a field"
    if target == "entity":
        return _entity_value_problem(op, field, value)
    if target == "location":
        name = field.partition(".")[2]
        if not field.startswith("location.") or name not in LOCATION_NAMES:
            return f"{field!r} is not an attribute of a lokationsnummer that can be changed"
        return _scalar_problem(field, value, flag=name in LOCATION_FLAGS, nullable=name not in LOCATION_FLAGS)
    return _message_value_problem(op, value)


def _entity_value_problem(op: str, field: str, value: Any) -> str | None:
    if op == "move":
        ok = field == "parent_sor_id" and isinstance(value, str) and value != ""
        return None if ok else "a move sets parent_sor_id to a SOR-kode"
    if field not in ENTITY_PATHS:
        return f"{field!r} is not a field of a unit that can be changed"
    if field == "specialities":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "specialities is a list of codes"
    return _scalar_problem(field, value, flag=field in ENTITY_FLAGS, nullable=True)


def _scalar_problem(field: str, value: Any, flag: bool, nullable: bool) -> str | None:
    if value is None:
        return None if nullable else f"{field} cannot be empty"
    if flag:
        return None if isinstance(value, bool) else f"{field} is true or false"
    return None if isinstance(value, str) else f"{field} is text"


def _message_value_problem(op: str, value: Any) -> str | None:
    if op == "remove":
        return None if value is None else "removing a message type takes no value"
    if not isinstance(value, dict) or set(value) - {"from_date", "to_date"}:
        return "a message type's value is {from_date, to_date}"
    if any(v is not None and not isinstance(v, str) for v in value.values()):
        return "from_date and to_date are dates (YYYY-MM-DD) or null"
    return None


# -- created units and location-number modes ------------------------------------

CREATE_FIELDS = frozenset({"kind", "name", "parent_sor_id", "ean_mode", *ENTITY_SCALARS, *ENTITY_FLAGS})
_LOCATION_KEYS = frozenset({*_LOCATION_NAMES, "version"})
_LOCATION_BOOLS = frozenset(LOCATION_FLAG_FIELDS)


def create_problem(value: Any) -> str | None:
    """Why the first values of a created unit are malformed; None when they are fine."""
    if not isinstance(value, dict):
        return "a create's value is the new unit's first values"
    unknown = sorted(set(value) - CREATE_FIELDS)
    if unknown:
        return f"{unknown[0]!r} cannot be set when a unit is created"
    if value.get("kind") not in CREATE_KINDS:
        return "a created unit is an SI or an OE"
    if not isinstance(value.get("name"), str) or not value["name"].strip():
        return "a created unit needs a name"
    if not isinstance(value.get("parent_sor_id"), str) or not value["parent_sor_id"]:
        return "a created unit needs parent_sor_id"
    if value.get("ean_mode", "inherited") not in CREATE_MODES:
        return "a created unit inherits its location number or has none (own comes with an ean operation)"
    for name in CREATE_FIELDS - {"kind", "name", "parent_sor_id", "ean_mode"}:
        problem = _scalar_problem(name, value.get(name), flag=name in ENTITY_FLAGS, nullable=True)
        if problem:
            return problem
    return None


def created_entity(sor_id: str, value: dict[str, Any]) -> Entity:
    """The unit a create operation makes (``value`` checked with ``create_problem``)."""
    values = {k: v for k, v in value.items() if k in CREATE_FIELDS}
    values.setdefault("ean_mode", "inherited")
    return Entity(sor_id, **values)


def ean_state_problem(value: Any) -> str | None:
    """Why an ean state (see the module doc) is malformed; None when it is fine."""
    if not isinstance(value, dict) or set(value) - {"ean_mode", "location", "messages"}:
        return "an ean value is {ean_mode, location, messages}"
    mode, loc, messages = value.get("ean_mode"), value.get("location"), value.get("messages") or []
    if mode not in EAN_MODES:
        return f"{mode!r} is not a location-number mode (own, inherited or none)"
    if (mode == "own") != (loc is not None):
        return "a unit has a location number of its own exactly when its mode is own"
    if loc is not None:
        problem = _location_state_problem(loc)
        if problem:
            return problem
    if not isinstance(messages, list) or (messages and loc is None):
        return "message types belong to an own location number"
    for m in messages:
        ok = isinstance(m, list) and len(m) == 3 and isinstance(m[0], str)
        if not ok or any(v is not None and not isinstance(v, str) for v in m[1:]):
            return "a message type is [URN, from_date, to_date]"
    return None


def _location_state_problem(loc: Any) -> str | None:
    if not isinstance(loc, dict) or set(loc) - _LOCATION_KEYS:
        return "the location of an ean value holds a lokationsnummer's attributes"
    gln = loc.get("gln")
    if not isinstance(gln, str) or codes.gln_errors(gln):
        return codes.gln_errors(gln)[0] if isinstance(gln, str) else "a lokationsnummer needs its gln"
    for name, v in loc.items():
        if name == "version":
            ok = isinstance(v, int) and not isinstance(v, bool)
        elif name in _LOCATION_BOOLS:
            ok = isinstance(v, bool)
        else:
            ok = v is None or isinstance(v, str)
        if not ok:
            return f"location.{name} has a value of the wrong type"
    return None


def ean_state(ean_mode: str, location: dict[str, Any] | None, version: int = 0) -> dict[str, Any]:
    """The ean state of a unit from its mode and its own number's data (with ``messages``) as stored."""
    if location is None:
        return {"ean_mode": ean_mode, "location": None, "messages": []}
    attrs = {k: v for k, v in location.items() if k != "messages"}
    messages = sorted(
        [urn, v.get("from_date"), v.get("to_date")] for urn, v in (location.get("messages") or {}).items()
    )
    return {"ean_mode": ean_mode, "location": {**attrs, "version": version}, "messages": messages}


def location_data_of(state: dict[str, Any], owner: str) -> dict[str, Any]:
    """A location number's data (as stored and sent in snapshots) from an ean state with a location."""
    loc = {k: v for k, v in (state.get("location") or {}).items() if k != "version"}
    loc["owner_sor_id"] = owner
    messages = {m[0]: {"from_date": m[1], "to_date": m[2]} for m in state.get("messages") or []}
    return location_to_data(location_from_data(loc), messages)


def same_ean_state(a: Any, b: Any) -> bool:
    """Whether two ean states agree on mode, number, its version and its message types."""

    def key(state: Any) -> tuple[Any, ...]:
        if not isinstance(state, dict):
            return (state,)
        loc = state.get("location") or {}
        messages = sorted(tuple(m) for m in state.get("messages") or [])
        return state.get("ean_mode"), loc.get("gln"), loc.get("version"), messages

    return key(a) == key(b)
