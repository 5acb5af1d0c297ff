"""What the editors show, read in thread workers (no Textual here): a unit's editable values, a
location number with its message types, code lists and the MedCom catalogue as choices, and the
pending journal grouped by unit / location number."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from sortui.domain.fields import ADDRESS_FIELDS, CONTACT_FIELDS, ENTITY_FLAGS
from sortui.domain.model import ADDRESS_KIND_NAMES, ADDRESS_KINDS, KIND_NAMES, Location
from sortui.store import edits, journal, queries
from sortui.store.describe import TYPE_LIST, change_words, value_words
from sortui.store.journal import JournalEntry
from sortui.store.rows import load_entity


@dataclass(frozen=True, slots=True)
class Choice:
    """One entry of a picker."""

    value: str
    label: str
    detail: str = ""
    marked: bool = False  # already chosen / already registered

    @property
    def words(self) -> str:
        return f"{self.value} {self.label} {self.detail}".casefold()


def matches(choice: Choice, typed: str) -> bool:
    """Every word typed occurs somewhere in the choice (code, label or detail), case-insensitive."""
    return all(word in choice.words for word in typed.casefold().split())


def code_choices(conn: sqlite3.Connection, lst: str) -> list[Choice]:
    rows = conn.execute("SELECT code, text FROM code_list WHERE list = ? ORDER BY text", (lst,)).fetchall()
    return [Choice(code, text, code) for code, text in rows]


def message_definitions(conn: sqlite3.Connection) -> list[queries.RegisteredMessage]:
    """The MedCom catalogue: every message definition (no validity: none is registered here)."""
    rows = conn.execute(
        "SELECT urn, format, type_code, version_code, title FROM message_definition"
        " ORDER BY format, type_code, version_code"
    ).fetchall()
    return [queries.RegisteredMessage(*row, None, None) for row in rows]


def catalogue_choices(definitions: list[queries.RegisteredMessage], registered: set[str]) -> list[Choice]:
    """The catalogue as picker choices; the definitions in ``registered`` are marked."""
    return [
        Choice(d.urn, f"{d.format:<8} {d.type_code:<9} {d.version_code:<9}", d.title, d.urn in registered)
        for d in definitions
    ]


def message_choices(conn: sqlite3.Connection, registered: set[str]) -> list[Choice]:
    """The MedCom catalogue; the definitions in ``registered`` are marked."""
    return catalogue_choices(message_definitions(conn), registered)


# -- the unit editor ------------------------------------------------------------------


def editor_sections(kind: str) -> list[tuple[str, list[str]]]:
    """The editor's sections and their field paths for a unit of ``kind`` (IE, SI or OE)."""
    unit = ["name", "entity_type_code"]
    unit += {"IE": ["cvr"], "SI": ["shak_code", "pharmacy_number"]}.get(kind, [])
    if kind == "OE":
        unit += ["shak_code", "provider_number", "pharmacy_number", "local_code"]
    unit += ["from_date", "to_date", "note"]
    sections = [("Enhed", unit)]
    if kind == "OE":
        sections += [("Oplysninger", list(ENTITY_FLAGS)), ("Specialer", ["specialities"])]
    kinds = {"IE": ("postal",), "SI": ("postal", "visiting")}.get(kind, ADDRESS_KINDS)
    sections += [(ADDRESS_KIND_NAMES[k], [f"{k}.{name}" for name in ADDRESS_FIELDS]) for k in kinds]
    sections.append(("Kontakt", [f"contact.{name}" for name in CONTACT_FIELDS]))
    return sections


@dataclass(slots=True)
class EditorData:
    sor_id: str
    kind: str
    name: str
    path: list[str]
    values: dict[str, Any]
    type_choices: list[Choice] = field(default_factory=list)
    speciality_choices: list[Choice] = field(default_factory=list)
    parent_sor_id: str | None = None  # a new unit to be made under this parent (no sor_id until it is saved)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def is_new(self) -> bool:
        return self.parent_sor_id is not None


def load_editor_data(conn: sqlite3.Connection, sor_id: str) -> EditorData | None:
    ent = load_entity(conn, sor_id)
    conn.row_factory = None
    if ent is None:
        return None
    paths = [p for _, section in editor_sections(ent.kind) for p in section]
    return EditorData(
        sor_id,
        ent.kind,
        ent.name,
        [name for _, _, name in queries.path_to_root(conn, sor_id)],
        {p: edits.entity_value(ent, p) for p in paths},
        code_choices(conn, TYPE_LIST[ent.kind]),
        code_choices(conn, "speciality"),
    )


def load_new_unit_data(conn: sqlite3.Connection, parent_sor_id: str, from_date: str) -> EditorData | None:
    """An empty form for a new unit under ``parent_sor_id`` (an SI under an owner, else an OE), valid
    from ``from_date``; nothing is written until the editor saves it."""
    parent = queries.node(conn, parent_sor_id)
    if parent is None:
        return None
    kind = "SI" if parent.kind == "IE" else "OE"
    paths = [p for _, section in editor_sections(kind) for p in section]
    values: dict[str, Any] = {p: [] if p == "specialities" else None for p in paths} | {"from_date": from_date}
    return EditorData(
        "",
        kind,
        "",
        [name for _, _, name in queries.path_to_root(conn, parent_sor_id)],
        values,
        code_choices(conn, TYPE_LIST[kind]),
        code_choices(conn, "speciality"),
        parent_sor_id=parent_sor_id,
    )


# -- the EDI editor ------------------------------------------------------------------


@dataclass(slots=True)
class EdiData:
    """A location number as the EDI editor shows it, reached from ``unit_sor_id``."""

    unit_sor_id: str
    unit_name: str
    location: Location
    owner_name: str
    units_receiving: int
    messages: list[queries.RegisteredMessage]
    operator_choices: list[Choice]
    region_choices: list[Choice]
    catalogue: list[queries.RegisteredMessage]  # the MedCom message definitions (no validity)

    @property
    def gln(self) -> str:
        return self.location.gln

    @property
    def inherited(self) -> bool:
        return self.location.owner_sor_id != self.unit_sor_id


def load_edi_data(conn: sqlite3.Connection, sor_id: str) -> EdiData | None:
    """The location number ``sor_id`` receives on (own, or inherited: the owner's); None if it has none."""
    unit = queries.node(conn, sor_id)
    found = queries.effective_values(conn, sor_id).location
    if unit is None or found.value is None:
        return None
    return load_location(conn, found.value.gln, sor_id, unit.name)


def load_location(conn: sqlite3.Connection, gln: str, unit_sor_id: str, unit_name: str) -> EdiData | None:
    loc = queries.location(conn, gln)
    if loc is None:
        return None
    owner = queries.node(conn, loc.owner_sor_id)
    messages = queries.message_types(conn, gln)
    return EdiData(
        unit_sor_id,
        unit_name,
        loc,
        owner.name if owner else loc.owner_sor_id,
        queries.units_using_location(conn, gln),
        messages,
        code_choices(conn, "communication_supplier"),
        code_choices(conn, "region"),
        message_definitions(conn),
    )


# -- the change journal ---------------------------------------------------------------


@dataclass(slots=True)
class ChangeGroup:
    """The pending entries on one unit or location number."""

    key: str
    title: str
    sor_id: str | None  # the unit to go to
    entries: list[JournalEntry]


def load_changes(conn: sqlite3.Connection) -> list[ChangeGroup]:
    groups: dict[str, ChangeGroup] = {}
    for entry in journal.pending(conn):
        group = groups.get(entry.key)
        if group is None:
            group = groups[entry.key] = _group(conn, entry)
        group.entries.append(entry)
    return list(groups.values())


def _group(conn: sqlite3.Connection, entry: JournalEntry) -> ChangeGroup:
    if entry.target == "entity":
        node = queries.node(conn, entry.key)
        name = node.name if node else "(fjernet)"
        return ChangeGroup(entry.key, f"{name}  {entry.key}", entry.key if node else None, [])
    loc = queries.location(conn, entry.key)
    owner = queries.node(conn, loc.owner_sor_id) if loc else None
    title = f"Lokationsnummer {entry.key}" + (f"  ({owner.name})" if owner else "")
    return ChangeGroup(entry.key, title, owner.sor_id if owner else None, [])


def show_value(value: Any) -> str:
    return value_words(value)


def describe_entry(entry: JournalEntry) -> tuple[str, str, str]:
    """(what, before, after) of a journal entry, in words."""
    return change_words(entry.target, entry.op, entry.field, entry.old_value, entry.new_value)


@dataclass(slots=True)
class EanInfo:
    """A unit's location-number mode, for "give it its own number" / "make it inherit"."""

    sor_id: str
    name: str
    kind: str
    ean_mode: str
    own: Location | None
    own_messages: int
    effective: Location | None  # what it receives on now (a default for a new number's attributes)
    parent_gln: str | None  # what it would inherit
    operator_choices: list[Choice]
    region_choices: list[Choice]


def load_ean_info(conn: sqlite3.Connection, sor_id: str) -> EanInfo | None:
    ent = load_entity(conn, sor_id)
    conn.row_factory = None
    if ent is None:
        return None
    parent = queries.effective_values(conn, ent.parent_sor_id).location.value if ent.parent_sor_id else None
    own = ent.location if ent.ean_mode == "own" else None
    return EanInfo(
        sor_id,
        ent.name,
        ent.kind,
        ent.ean_mode,
        own,
        len(queries.message_types(conn, own.gln)) if own else 0,
        queries.effective_values(conn, sor_id).location.value,
        parent.gln if parent else None,
        code_choices(conn, "communication_supplier"),
        code_choices(conn, "region"),
    )


# -- unit operations --------------------------------------------------------------------


def subtree_size(conn: sqlite3.Connection, sor_id: str) -> int:
    """How many units are below ``sor_id`` (all levels)."""
    row = conn.execute(
        """
        WITH RECURSIVE down(sor_id) AS (
            SELECT sor_id FROM entity WHERE parent_sor_id = ?
            UNION ALL SELECT e.sor_id FROM entity e JOIN down ON e.parent_sor_id = down.sor_id
        ) SELECT count(*) FROM down
        """,
        (sor_id,),
    ).fetchone()
    return row[0]


@dataclass(slots=True)
class MovePlan:
    unit: queries.Node
    old_parent: queries.Node | None
    new_parent: queries.Node | None
    below: int
    problem: str | None = None


def plan_move(conn: sqlite3.Connection, sor_id: str, new_parent: str | None, note: str | None) -> MovePlan | None:
    """Moving ``sor_id`` under ``new_parent`` (None: ``note`` says why the key led nowhere)."""
    unit = queries.node(conn, sor_id)
    if unit is None:
        return None
    row = conn.execute("SELECT parent_sor_id FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
    old = queries.node(conn, row[0]) if row and row[0] else None
    new = queries.node(conn, new_parent) if new_parent else None
    return MovePlan(unit, old, new, subtree_size(conn, sor_id), None if new else note)


@dataclass(slots=True)
class BulkPlan:
    """Add or remove one message type on a selection of location numbers."""

    action: str  # add | remove
    scope: str  # words for the selection, e.g. "under Region Test"
    glns: list[str]
    catalogue: list[Choice] = field(default_factory=list)
    urn: str | None = None
    have: int = 0  # numbers that already have the message type

    @property
    def changing(self) -> int:
        return len(self.glns) - self.have if self.action == "add" else self.have


def plan_bulk(conn: sqlite3.Connection, action: str, scope: str, sor_ids: list[str]) -> BulkPlan:
    """``scope`` 'subtree': the numbers owned by ``sor_ids[0]`` and below; 'search': the hits' numbers."""
    if scope == "subtree":
        node = queries.node(conn, sor_ids[0])
        glns = edits.subtree_glns(conn, sor_ids[0])
        words = f"under {node.name if node else sor_ids[0]}"
    else:
        glns = edits.effective_glns(conn, sor_ids)
        words = f"of the {len(sor_ids)} search hits"
    return BulkPlan(action, words, glns, message_choices(conn, set()))


def preview_bulk(conn: sqlite3.Connection, plan: BulkPlan, urn: str) -> BulkPlan:
    plan.urn = urn
    plan.have = len(edits.glns_with_message(conn, plan.glns, urn))
    return plan


def message_name(conn: sqlite3.Connection, urn: str) -> str:
    row = conn.execute("SELECT version_code, title FROM message_definition WHERE urn = ?", (urn,)).fetchone()
    return f"{row[0]} ({row[1]})" if row else urn
