"""Plain descriptions of units, lokationsnumre and SHAK-koder, shared by the CLI and the app.

``unit``, ``location`` and ``shak`` return JSON-ready dicts (the ``show --json``
contract); ``as_styled`` renders such a dict as ``domain.text.Styled`` and ``as_text`` as
``rich.text.Text`` (never markup), its values made printable (``domain.text``): the only line
breaks in it are its own. Nothing here loads rich until ``as_text`` is called.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sortui.domain.codelists import ENTITY_TYPE_LISTS, FIELD_LISTS, code_words
from sortui.domain.fields import (
    CONTACT_FIELDS,
    ENTITY_FIELDS,
    ENTITY_FLAGS,
    FLAG_LABELS,
    LOCATION_FIELDS,
    LOCATION_FLAGS,
    field_label,
)
from sortui.domain.model import ADDRESS_KIND_NAMES, KIND_NAMES, Address, Contact
from sortui.domain.text import Styled, printable
from sortui.domain.words import plural
from sortui.store import codelists, queries
from sortui.store.rows import load_entity

if TYPE_CHECKING:
    from rich.text import Text

# A lokationsnummer's coded attributes and the list each takes its codes from.
LOCATION_CODES = {
    path.removeprefix("location."): lst for path, lst in FIELD_LISTS.items() if path.startswith("location.")
}


def code_text(conn: sqlite3.Connection, lst: str, code: str | None) -> str | None:
    """The name list ``lst`` gives ``code`` (None: no code, or none known)."""
    name = codelists.name_of(conn, lst, code)
    return name.text if name else None


def coded(conn: sqlite3.Connection, lst: str, code: str | None) -> str:
    """``code`` with its name from list ``lst``, or saying the lists have none ('' for no code)."""
    return code_words(code, codelists.name_of(conn, lst, code))


def _address(addr: Address | None) -> dict[str, Any] | None:
    if addr is None:
        return None
    data = {k: v for k, v in asdict(addr).items() if v is not None and k != "kind"}
    data["text"] = addr.one_line()
    return data


def _contact(contact: Contact | None) -> dict[str, Any] | None:
    return None if contact is None else asdict(contact)


def _effective(eff: queries.Effective, render: Any) -> dict[str, Any] | None:  # type: ignore[name-defined]
    if eff.value is None:
        return None
    data = render(eff.value)
    data["from_sor_id"] = eff.source_sor_id
    data["from_name"] = eff.source_name
    data["inherited"] = eff.inherited
    if eff.via:
        data["same_as"] = eff.via
    return data


def _unit_name(conn: sqlite3.Connection, sor_id: str | None) -> str | None:
    found = queries.node(conn, sor_id) if sor_id else None
    return found.name if found else None


def unit(conn: sqlite3.Connection, sor_id: str) -> dict[str, Any]:
    ent = load_entity(conn, sor_id)
    if ent is None:
        raise KeyError(sor_id)
    eff = queries.effective_values(conn, sor_id)
    loc = eff.location
    type_list = ENTITY_TYPE_LISTS[ent.kind]
    return {
        "type": "unit",
        "sor_id": ent.sor_id,
        "kind": ent.kind,
        "kind_name": KIND_NAMES[ent.kind],
        "name": ent.name,
        "parent_sor_id": ent.parent_sor_id,
        "path": [{"sor_id": s, "kind": k, "name": n} for s, k, n in queries.path_to_root(conn, sor_id)],
        **{name: getattr(ent, name) for name in ENTITY_FIELDS if name not in ("sor_id", "name")},
        "entity_type": code_text(conn, type_list, ent.entity_type_code),
        "geo_parent_relation_name": code_text(conn, "geo_parent_relation", ent.geo_parent_relation),
        "geo_parent_name": _unit_name(conn, ent.geo_parent_sor_id),
        "code_words": {
            "entity_type_code": coded(conn, type_list, ent.entity_type_code),
            "geo_parent_relation": coded(conn, "geo_parent_relation", ent.geo_parent_relation),
        },
        "ean_mode": ent.ean_mode,
        "ean": ent.location.gln if ent.location else None,
        "effective_ean": loc.value.gln if loc.value else None,
        "ean_inherited": bool(loc.value and loc.inherited),
        "ean_from_sor_id": loc.source_sor_id,
        "location": location(conn, ent.location.gln) if ent.location else None,
        "postal_address": _address(ent.address("postal")),
        "visiting_address": _address(ent.address("visiting")),
        "activity_address": _address(ent.address("activity")),
        "effective_postal_address": _effective(eff.postal, _address),
        "effective_visiting_address": _effective(eff.visiting, _address),
        "effective_activity_address": _effective(eff.activity, _address),
        "contact": _contact(ent.contact),
        "effective_contact": _effective(eff.contact, _contact),
        "specialities": [
            {
                "code": s.code,
                "type_code": s.type_code,
                "text": code_text(conn, "speciality", s.code),
                "words": coded(conn, "speciality", s.code),
                "type_text": code_text(conn, "speciality_type", s.type_code),
            }
            for s in ent.specialities
        ],
        **{name: getattr(ent, name) for name in ENTITY_FLAGS},
        "local_attributes": ent.local_attributes,
        "replaces": ent.replaces,
        "replaced_by": ent.replaced_by,
        "version": ent.version,
    }


def location(conn: sqlite3.Connection, gln: str) -> dict[str, Any]:
    loc = queries.location(conn, gln)
    if loc is None:
        raise KeyError(gln)
    owner = queries.node(conn, loc.owner_sor_id)
    data: dict[str, Any] = {"type": "location", **asdict(loc)}
    data["owner_name"] = owner.name if owner else None
    data["owner_kind"] = owner.kind if owner else None
    for name, lst in LOCATION_CODES.items():
        data[f"{name.removesuffix('_code')}_name"] = code_text(conn, lst, getattr(loc, name))
    data["code_words"] = {name: coded(conn, lst, getattr(loc, name)) for name, lst in LOCATION_CODES.items()}
    data["units_receiving"] = queries.units_using_location(conn, gln)
    data["message_types"] = [asdict(m) for m in queries.message_types(conn, gln)]
    return data


def shak_row(v: queries.ShakVersion) -> dict[str, Any]:
    return {"code": v.code, "level": v.level, "from": v.valid_from, "to": v.valid_to, "text": v.text}


def shak(conn: sqlite3.Connection, code: str, on: str | None = None) -> dict[str, Any]:
    versions = queries.shak_versions(conn, code)
    if on:
        versions = [v for v in versions if v.valid_from <= on and (v.valid_to is None or v.valid_to >= on)]
    from sortui.domain.codes import shak_level

    sor_ids = queries.sor_ids_for_shak(conn, code)
    return {
        "type": "shak",
        "code": code,
        "level": versions[0].level if versions else shak_level(code),
        "versions": [{"from": v.valid_from, "to": v.valid_to, "text": v.text} for v in versions],
        "children": [shak_row(v) for v in queries.shak_children(conn, code, on)],
        "sor_ids": sor_ids,
        "units": [{"sor_id": sid, "name": _unit_name(conn, sid)} for sid in sor_ids],
    }


def describe(conn: sqlite3.Connection, kind: str, value: str) -> dict[str, Any]:
    if kind == "sor_id":
        return unit(conn, value)
    if kind == "gln":
        return location(conn, value)
    if kind == "shak":
        return shak(conn, value)
    raise KeyError(kind)


# -- text rendering ---------------------------------------------------------

_LABELS = {
    **{k: f.label for k, f in ENTITY_FIELDS.items()},
    **{f"loc.{k}": f.label for k, f in LOCATION_FIELDS.items()},
    "kind_name": "Type",
    **FLAG_LABELS,
}
# The unit's own fields its text shows, in field order: not those in its heading, nor the coded ones
# (shown with their names first).
_UNIT_TEXT_FIELDS = tuple(
    name
    for name in ENTITY_FIELDS
    if name not in ("sor_id", "name", "entity_type_code", "geo_parent_relation", "geo_parent_sor_id")
)
LABEL_WIDTH = 24


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _line(text: Styled, label: str, value: object, style: str = "") -> None:
    if value is None or value == "" or value == []:
        return
    text.append(f"{label:<{LABEL_WIDTH}}", style="bold")
    text.append(printable(str(value)), style=style)
    text.append("\n")


def as_text(obj: dict[str, Any]) -> Text:
    """``obj`` as rich text (the app's detail panel)."""
    return as_styled(obj).to_rich()


def as_styled(obj: dict[str, Any]) -> Styled:
    if obj["type"] == "unit":
        return _unit_text(obj)
    if obj["type"] == "location":
        return _location_text(obj)
    return _shak_text(obj)


def _unit_text(u: dict[str, Any]) -> Styled:
    t = Styled()
    t.append(printable(u["name"]), style="bold")
    t.append(printable(f"  {u['kind']} {u['sor_id']}") + "\n")
    t.append(printable(" › ".join(p["name"] for p in u["path"])) + "\n", style="dim")
    _line(t, "Type", f"{u['kind_name']} ({u['kind']})")
    _line(t, ENTITY_FIELDS["entity_type_code"].label, u["code_words"]["entity_type_code"])
    _line(t, ENTITY_FIELDS["geo_parent_relation"].label, u["code_words"]["geo_parent_relation"])
    if u["geo_parent_sor_id"]:
        geo = u["geo_parent_sor_id"] + (
            f" {u['geo_parent_name']}" if u["geo_parent_name"] else " (not in the working copy)"
        )
        _line(t, ENTITY_FIELDS["geo_parent_sor_id"].label, geo)
    for key in _UNIT_TEXT_FIELDS:
        _line(t, _LABELS.get(key, key), u[key])
    for key in ENTITY_FLAGS:
        if u[key] is not None:
            _line(t, _LABELS[key], yes_no(u[key]))
    _line(t, "Lokationsnummer", ean_words(u))
    for kind in ("postal", "visiting", "activity"):
        eff = u[f"effective_{kind}_address"]
        if eff:
            _line(t, ADDRESS_KIND_NAMES[kind], eff["text"] + _origin(eff))
    contact = u["effective_contact"]
    if contact:
        for key, fd in CONTACT_FIELDS.items():
            if contact.get(key):
                _line(t, fd.label, contact[key] + _origin(contact))
    for s in u["specialities"]:
        kind = f", {s['type_text'].lower()}" if s.get("type_text") else ""
        _line(t, "Speciale", s["words"] + kind)
    return t


def ean_words(u: dict[str, Any]) -> str:
    """The unit's lokationsnummer in words: own, inherited from whom, or none (and why)."""
    gln = u["effective_ean"]
    if gln and u["ean_inherited"]:
        return f"{gln} (inherited from {_name_of(u, u['ean_from_sor_id'])})"
    if gln:
        return f"{gln} (own)"
    if u["ean_mode"] == "inherited":
        return "none (inherits, but no unit above has one)"
    return "none"


def _name_of(u: dict[str, Any], sor_id: str | None) -> str:
    return next((p["name"] for p in u["path"] if p["sor_id"] == sor_id), sor_id or "?")


def _origin(eff: dict[str, Any]) -> str:
    """Where an effective value comes from: ``(same as Postadresse, inherited from Region X)``."""
    parts = [f"same as {ADDRESS_KIND_NAMES[eff['same_as']]}"] if eff.get("same_as") else []
    if eff.get("inherited"):
        parts.append(f"inherited from {eff['from_name']}")
    return f"  ({', '.join(parts)})" if parts else ""


def _location_text(loc: dict[str, Any]) -> Styled:
    t = Styled()
    t.append(printable(f"Lokationsnummer {loc['gln']}"), style="bold")
    owner = loc.get("owner_name")
    who = (
        f"{owner} ({loc.get('owner_kind')} {loc['owner_sor_id']})"
        if owner
        else f"{loc['owner_sor_id']} (not in the working copy)"
    )
    t.append(printable(f"  owned by {who}") + "\n")
    words = loc.get("code_words", {})
    for key, fd in LOCATION_FIELDS.items():
        if key != "gln":
            _line(t, fd.label, words.get(key) or loc.get(key))
    for key in LOCATION_FLAGS:
        _line(t, FLAG_LABELS[key], "yes" if loc[key] else None)
    _line(t, "Units receiving on it", loc["units_receiving"])
    messages = loc["message_types"]
    t.append(f"{plural(len(messages), 'message type').capitalize()}\n", style="bold")
    width = max((len(m["type_code"]) for m in messages), default=0) + 2
    version = max((len(m["version_code"]) for m in messages), default=0) + 2
    for m in messages:
        row = f"  {m['format']:<9}{m['type_code']:<{width}}{m['version_code']:<{version}}{m['title']}"
        t.append(printable(row) + "\n")
    return t


def shak_line(row: dict[str, Any]) -> Styled:
    t = Styled()
    t.append(printable(f"{row['code']:<8}"), style="cyan")
    t.append(printable(f"{row['from']} – {row['to'] or '':<10}  "), style="dim")
    t.append(printable(row["text"]))
    return t


def _shak_text(s: dict[str, Any]) -> Styled:
    t = Styled()
    t.append(printable(f"SHAK-kode {s['code']}"), style="bold")
    t.append(f"  ({s['level']})\n")
    for v in s["versions"]:
        t.append_text(shak_line({"code": "", **v}))
        t.append("\n")
    if s["units"]:
        t.append(f"{plural(len(s['units']), 'unit').capitalize()} with this code\n", style="bold")
        for u in s["units"]:
            t.append(printable(f"  {u['sor_id']}  {u['name'] or '(not in the working copy)'}") + "\n")
    if s["children"]:
        t.append(f"{plural(len(s['children']), 'code').capitalize()} below\n", style="bold")
        for row in s["children"]:
            t.append_text(shak_line(row))
            t.append("\n")
    return t


# -- journal entries and conflicts in words (the CLI, the pending-changes screen, conflicts) ---

_EAN_MODES = {"own": "own", "inherited": "inherited", "none": "none"}


def value_words(value: Any, target: str = "entity", field: str | None = None) -> str:
    """A journal or conflict value in words: a field's value, a message type's registration, an ean state."""
    if field == "ean_mode" and (value is None or isinstance(value, dict)):
        return _ean_words(value)
    if target == "message":
        return _registered(value)
    if value is None or value == [] or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return _validity(value)
    return str(value)


def _validity(value: dict[str, Any]) -> str:
    if not value.get("from_date") and not value.get("to_date"):
        return "valid"
    return f"valid {value.get('from_date') or '…'} – {value.get('to_date') or '…'}"


def _registered(value: dict[str, Any] | None) -> str:
    if not isinstance(value, dict):
        return "not registered"
    dates = _validity(value)
    return "registered" if dates == "valid" else f"registered, {dates}"


def _ean_words(state: dict[str, Any] | None) -> str:
    if not state:
        return "–"
    mode = _EAN_MODES.get(str(state.get("ean_mode")), "?")
    loc = state.get("location") or {}
    messages = len(state.get("messages") or [])
    if not loc.get("gln"):
        return mode
    return f"{mode} {loc['gln']}" + (f" ({plural(messages, 'message type')})" if messages else "")


def message_code(urn: str | None) -> str:
    """A message type's short name from its URN (its version code)."""
    return (urn or "").rsplit(":", 1)[-1].upper()


def change_words(target: str, op: str, field: str | None, old: Any, new: Any) -> tuple[str, str, str]:
    """(what, before, after) of a change in the journal."""
    if op == "create":
        created = new or {}
        return f"created ({created.get('kind')})", "–", f"{created.get('name')} under {created.get('parent_sor_id')}"
    if op == "ean" or field == "ean_mode":
        return "Lokationsnummer", value_words(old, target, field), value_words(new, target, field)
    if op == "move" or field == "parent_sor_id":
        return "moved", value_words(old), value_words(new)
    if target == "message":
        return f"message type {message_code(field)}", value_words(old, target), value_words(new, target)
    return field_label(field or ""), value_words(old), value_words(new)


def group_words(entries: list[Any]) -> str:
    """One bulk change (a journal group: a bulk edit, a review's change, a batch file) in words: what it
    did, to how many."""
    first = entries[0]
    units = {e.key for e in entries if e.target == "entity"}
    numbers = {e.key for e in entries if e.target != "entity"}
    counts = [plural(len(units), "unit")] if units else []
    counts += [plural(len(numbers), "lokationsnummer", "lokationsnumre")] if numbers else []
    on = " and ".join(counts)
    if all(e.target == "message" and e.field == first.field for e in entries):
        verbs = {"add": "added", "remove": "removed"}
        verb = verbs.get(first.op, first.op) if all(e.op == first.op for e in entries) else "changed"
        return f"message type {message_code(first.field)} {verb} on {on}"
    if len({(e.target, e.field) for e in entries}) == 1 and len({repr(e.new_value) for e in entries}) == 1:
        what = f"{field_label(first.field or '')} = {value_words(first.new_value)}"
    else:
        what = plural(len(entries), "change")
    return f"{what} on {on}"
