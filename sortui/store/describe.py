"""Plain descriptions of units, location numbers and SHAK codes, shared by the CLI and the app.

``unit``, ``location`` and ``shak`` return JSON-ready dicts (the ``show --json``
contract); ``as_text`` renders such a dict as ``rich.text.Text`` (never markup), its values made
printable (``domain.text``): the only line breaks in it are its own.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from typing import Any

from rich.text import Text

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
from sortui.domain.text import printable
from sortui.store import queries
from sortui.store.rows import load_entity


def code_text(conn: sqlite3.Connection, lst: str, code: str | None) -> str | None:
    if code is None:
        return None
    row = conn.execute("SELECT text FROM code_list WHERE list = ? AND code = ?", (lst, code)).fetchone()
    return row[0] if row else None


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


TYPE_LIST = {"IE": "owner_type", "SI": "institution_type", "OE": "unit_type"}


def unit(conn: sqlite3.Connection, sor_id: str) -> dict[str, Any]:
    ent = load_entity(conn, sor_id)
    if ent is None:
        raise KeyError(sor_id)
    eff = queries.effective_values(conn, sor_id)
    loc = eff.location
    return {
        "type": "unit",
        "sor_id": ent.sor_id,
        "kind": ent.kind,
        "kind_name": KIND_NAMES[ent.kind],
        "name": ent.name,
        "parent_sor_id": ent.parent_sor_id,
        "path": [{"sor_id": s, "kind": k, "name": n} for s, k, n in queries.path_to_root(conn, sor_id)],
        **{name: getattr(ent, name) for name in ENTITY_FIELDS if name not in ("sor_id", "name")},
        "entity_type": code_text(conn, TYPE_LIST[ent.kind], ent.entity_type_code),
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
            {"code": s.code, "type_code": s.type_code, "text": code_text(conn, "speciality", s.code)}
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
    data: dict[str, Any] = {"type": "location", **asdict(loc)}
    data["communication_supplier_name"] = code_text(conn, "communication_supplier", loc.communication_supplier)
    data["region_name"] = code_text(conn, "region", loc.region_code)
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

    return {
        "type": "shak",
        "code": code,
        "level": versions[0].level if versions else shak_level(code),
        "versions": [{"from": v.valid_from, "to": v.valid_to, "text": v.text} for v in versions],
        "children": [shak_row(v) for v in queries.shak_children(conn, code, on)],
        "sor_ids": queries.sor_ids_for_shak(conn, code),
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
    "entity_type": "Enhedstype",
    "ean": "Lokationsnummer (eget)",
    "effective_ean": "Lokationsnummer",
    **FLAG_LABELS,
}
# The unit's own fields its text shows, in field order: not those in its heading, nor the
# geographical parent (a code and a SOR id of its own meaning, shown with the unit's place).
_UNIT_TEXT_FIELDS = tuple(
    name
    for name in ENTITY_FIELDS
    if name not in ("sor_id", "name", "entity_type_code", "geo_parent_relation", "geo_parent_sor_id")
)


def _line(text: Text, label: str, value: object, style: str = "") -> None:
    if value is None or value == "" or value == []:
        return
    text.append(f"{label:<24}", style="bold")
    text.append(printable(str(value)), style=style)
    text.append("\n")


def as_text(obj: dict[str, Any]) -> Text:
    if obj["type"] == "unit":
        return _unit_text(obj)
    if obj["type"] == "location":
        return _location_text(obj)
    return _shak_text(obj)


def _unit_text(u: dict[str, Any]) -> Text:
    t = Text()
    t.append(printable(u["name"]), style="bold")
    t.append(printable(f"  {u['kind']} {u['sor_id']}") + "\n")
    t.append(printable(" › ".join(p["name"] for p in u["path"])) + "\n", style="dim")
    for key in ("kind_name", "entity_type", *_UNIT_TEXT_FIELDS):
        _line(t, _LABELS.get(key, key), u[key])
    for key in ENTITY_FLAGS:
        if u[key] is not None:
            _line(t, _LABELS[key], "ja" if u[key] else "nej")
    gln = u["effective_ean"]
    if gln:
        origin = f" (nedarvet fra {_name_of(u, u['ean_from_sor_id'])})" if u["ean_inherited"] else " (eget)"
        _line(t, "Lokationsnummer", gln + origin)
    elif u["ean_mode"] == "none":
        _line(t, "Lokationsnummer", "intet", "dim")
    for kind in ("postal", "visiting", "activity"):
        eff = u[f"effective_{kind}_address"]
        if eff:
            _line(t, ADDRESS_KIND_NAMES[kind], eff["text"] + _origin(u, eff))
    contact = u["effective_contact"]
    if contact:
        for key, fd in CONTACT_FIELDS.items():
            if contact.get(key):
                _line(t, fd.label, contact[key] + _origin(u, contact))
    for s in u["specialities"]:
        _line(t, "Speciale", f"{s['text'] or s['code']} ({s['code']})")
    return t


def _name_of(u: dict[str, Any], sor_id: str | None) -> str:
    return next((p["name"] for p in u["path"] if p["sor_id"] == sor_id), sor_id or "?")


def _origin(u: dict[str, Any], eff: dict[str, Any]) -> str:
    if eff.get("inherited"):
        return f"  (fra {eff['from_name']})"
    if eff.get("same_as"):
        return f"  (som {ADDRESS_KIND_NAMES[eff['same_as']].lower()})"
    return ""


def _location_text(loc: dict[str, Any]) -> Text:
    t = Text()
    t.append(printable(f"Lokationsnummer {loc['gln']}"), style="bold")
    t.append(printable(f"  ejet af {loc['owner_sor_id']}") + "\n")
    for key, fd in LOCATION_FIELDS.items():
        if key != "gln":
            _line(t, fd.label, loc.get(key))
    _line(t, "Netoperatør (navn)", loc.get("communication_supplier_name"))
    for key in LOCATION_FLAGS:
        _line(t, FLAG_LABELS[key], "ja" if loc[key] else None)
    _line(t, "Enheder der modtager", loc["units_receiving"])
    t.append(f"Meddelelsestyper ({len(loc['message_types'])})\n", style="bold")
    for m in loc["message_types"]:
        t.append(printable(f"  {m['format']:<9}{m['type_code']:<10}{m['version_code']:<10}{m['title']}") + "\n")
    return t


def shak_line(row: dict[str, Any]) -> Text:
    t = Text()
    t.append(printable(f"{row['code']:<8}"), style="cyan")
    t.append(printable(f"{row['from']} – {row['to'] or '':<10}  "), style="dim")
    t.append(printable(row["text"]))
    return t


def _shak_text(s: dict[str, Any]) -> Text:
    t = Text()
    t.append(printable(f"SHAK-kode {s['code']}"), style="bold")
    t.append(f"  ({s['level']})\n")
    for v in s["versions"]:
        t.append_text(shak_line({"code": "", **v}))
        t.append("\n")
    if s["sor_ids"]:
        _line(t, "SOR-enheder", ", ".join(s["sor_ids"]))
    if s["children"]:
        t.append(f"Underliggende koder ({len(s['children'])})\n", style="bold")
        for row in s["children"]:
            t.append_text(shak_line(row))
            t.append("\n")
    return t


# -- journal entries and conflicts in words (the CLI, the pending-changes screen, conflicts) ---

_EAN_MODES = {"own": "eget", "inherited": "nedarvet", "none": "intet"}


def value_words(value: Any, target: str = "entity", field: str | None = None) -> str:
    """A journal or conflict value in words: a field's value, a message type's registration, an ean state."""
    if field == "ean_mode" and (value is None or isinstance(value, dict)):
        return _ean_words(value)
    if target == "message":
        return _registered(value)
    if value is None or value == [] or value == "":
        return "(tom)"
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return _validity(value)
    return str(value)


def _validity(value: dict[str, Any]) -> str:
    if not value.get("from_date") and not value.get("to_date"):
        return "gyldig"
    return f"gyldig {value.get('from_date') or '…'} – {value.get('to_date') or '…'}"


def _registered(value: dict[str, Any] | None) -> str:
    if not isinstance(value, dict):
        return "ikke registreret"
    dates = _validity(value)
    return "registreret" if dates == "gyldig" else f"registreret, {dates}"


def _ean_words(state: dict[str, Any] | None) -> str:
    if not state:
        return "–"
    mode = _EAN_MODES.get(str(state.get("ean_mode")), "?")
    loc = state.get("location") or {}
    messages = len(state.get("messages") or [])
    if not loc.get("gln"):
        return mode
    return f"{mode} {loc['gln']}" + (f" ({messages} meddelelsestyper)" if messages else "")


def change_words(target: str, op: str, field: str | None, old: Any, new: Any) -> tuple[str, str, str]:
    """(what, before, after) of a change in the journal."""
    if op == "create":
        created = new or {}
        return f"oprettet ({created.get('kind')})", "–", f"{created.get('name')} under {created.get('parent_sor_id')}"
    if op == "ean" or field == "ean_mode":
        return "Lokationsnummer", value_words(old, target, field), value_words(new, target, field)
    if op == "move" or field == "parent_sor_id":
        return "flyttet", value_words(old), value_words(new)
    if target == "message":
        message = (field or "").rsplit(":", 1)[-1].upper()
        return f"meddelelse {message}", value_words(old, target), value_words(new, target)

    return field_label(field or ""), value_words(old), value_words(new)
