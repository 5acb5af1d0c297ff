"""The wire format shared by the service and its clients.

An entity travels as the JSON of its ``Entity`` with own values only (no version,
no source line, no location number: those are separate records). A location
number travels as its attributes plus ``messages``: {message URN: {from_date, to_date}}.
An operation names its field the way the journal does (``name``, ``postal.street``,
``location.system_type``, a message URN for message edits).
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from sortui.domain.fields import ADDRESS_FIELDS, CONTACT_FIELDS
from sortui.domain.model import ADDRESS_KINDS, Address, Contact, Entity, Location, Speciality
from sortui.store.journal import ENTITY_FLAGS, LOCATION_FLAGS, LOCATION_SCALARS, editable_entity_fields

TARGETS = ("entity", "location", "message")
OPS = {"entity": ("set", "move"), "location": ("set",), "message": ("add", "remove")}
SPECIALITY_TYPE = "51000095001"  # the type the journal gives specialities set by hand
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
