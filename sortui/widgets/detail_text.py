"""The detail panel's content, built in a worker thread from ``describe`` (no Textual here)."""

from __future__ import annotations

import sqlite3
from typing import Any

from rich.text import Text

from sortui.domain.fields import ENTITY_FIELDS, LOCAL_ATTRIBUTE
from sortui.domain.words import plural
from sortui.store import describe
from sortui.widgets.safe import safe_text
from sortui.widgets.treedata import Item

LABEL_WIDTH = describe.LABEL_WIDTH


def _line(text: Text, label: str, value: object) -> None:
    if value in (None, "", []):
        return
    text.append(f"{label:<{LABEL_WIDTH}}", style="bold")
    text.append(f"{value}\n")


def validity(u: dict[str, Any], on: str) -> str | None:
    if u["to_date"] and u["to_date"] < on:
        return f"Closed {u['to_date']}: not valid on {on}"
    if u["from_date"] and u["from_date"] > on:
        return f"Gyldig fra {u['from_date']}: not valid yet on {on}"
    return None


def unit_text(conn: sqlite3.Connection, sor_id: str, on: str) -> tuple[Text, dict[str, Any]]:
    """Every field of the unit with its Danish label, codes with their names, inherited values with their
    origin, its lokationsnummer."""
    u = describe.unit(conn, sor_id)
    t = Text()
    note = validity(u, on)
    if note:
        t.append(f"{note}\n", style="bold reverse")
    t.append_text(describe.as_text(u))
    _line(t, ENTITY_FIELDS["sor_id"].label, u["sor_id"])
    for value in u["local_attributes"]:
        _line(t, LOCAL_ATTRIBUTE.label, value)
    _line(t, "Erstatter", ", ".join(u["replaces"]))
    _line(t, "Erstattet af", ", ".join(u["replaced_by"]))
    gln = u["effective_ean"]
    if gln:
        try:
            loc = describe.location(conn, gln)
        except KeyError:
            loc = None
        if loc is not None:
            t.append("\n")
            t.append_text(describe.as_text(loc))
    pending_text(t, conn, [sor_id, gln] if gln else [sor_id])
    return safe_text(t), u


def pending_text(t: Text, conn: sqlite3.Connection, keys: list[str]) -> None:
    """The pending edits of the unit and of the lokationsnummer it receives on (before → after)."""
    from sortui.store.journal import pending_for
    from sortui.widgets.edit_data import describe_entry

    entries = pending_for(conn, keys)
    if not entries:
        return
    t.append(f"\nPending changes ({len(entries)}; P lists them all)\n", style="bold reverse")
    for entry in entries:
        what, before, after = describe_entry(entry)
        t.append(f"  #{entry.id} {what}: ", style="bold")
        t.append(f"{before} → {after}\n")


def group_text(item: Item) -> Text:
    t = Text()
    t.append(item.title, style="bold")
    t.append(f"\n{plural(item.count, 'owner')} (Institutionsejer, IE)\n")
    if item.type_words:
        t.append(f"Ejertype {item.type_words}\n", style="dim")
    t.append(
        "\nenter or l: expand   /: search   :: go to a SOR-kode, lokationsnummer, SHAK-kode or ydernummer\n",
        style="dim",
    )
    return safe_text(t)


def paging_text(item: Item) -> Text:
    if item.kind == "more":
        return Text(f"{item.title}\n\nenter: load the next page of units", style="dim")
    if item.kind == "earlier":
        return Text(f"{item.title}\n\nenter: load the previous page of units", style="dim")
    return Text(item.title, style="dim")
