"""What the editors show, read in thread workers (no Textual here): a unit's editable values, a
lokationsnummer with its message types, code lists and the MedCom catalogue as choices, and the
pending journal grouped by unit / lokationsnummer."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sortui.domain.codelists import list_of, name_words
from sortui.domain.fields import ADDRESS_FIELDS, CONTACT_FIELDS, ENTITY_FLAGS, LOCATION_SCALARS
from sortui.domain.inheritance import ChainLink, Effective, effective_address, effective_contact, effective_location
from sortui.domain.model import ADDRESS_KIND_NAMES, ADDRESS_KINDS, KIND_NAMES, Location
from sortui.domain.words import plural
from sortui.store import codelists, edits, journal, queries
from sortui.store.describe import change_words, group_words, value_words
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
    """The codes of list ``lst`` a field can take: named ones by name, then those the working copy uses
    that the lists have no name for ("unknown code"), with how often each is used."""
    return [
        Choice(c.code, name_words(c.name), c.code + (f"  used {c.used:,}×" if c.used else ""))
        for c in codelists.codes_of(conn, lst)
    ]


def field_choices(conn: sqlite3.Connection, paths: list[str], kind: str | None = None) -> dict[str, list[Choice]]:
    """{field path: its choices} for the coded fields among ``paths`` (a unit's type needs its ``kind``)."""
    found = {}
    for path in paths:
        lst = list_of(path, kind)
        if lst is not None:
            found[path] = code_choices(conn, lst)
    return found


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

INHERITABLE = ("postal", "visiting", "activity", "contact")  # sections whose values a unit can inherit


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # unit / flags / specialities / postal / visiting / activity / contact
    title: str
    paths: list[str]


def editor_sections(kind: str) -> list[Section]:
    """The editor's sections and their field paths for a unit of ``kind`` (IE, SI or OE)."""
    unit = ["name", "entity_type_code"]
    unit += {"IE": ["cvr"], "SI": ["shak_code", "pharmacy_number"]}.get(kind, [])
    if kind == "OE":
        unit += ["shak_code", "provider_number", "pharmacy_number", "local_code"]
    if kind != "IE":
        unit += ["geo_parent_relation", "geo_parent_sor_id"]
    unit += ["from_date", "to_date", "note"]
    sections = [Section("unit", "Unit", unit)]
    if kind == "OE":
        sections.append(Section("flags", "Hospital unit (OrganizationalUnitInformation)", list(ENTITY_FLAGS)))
        sections.append(Section("specialities", "Specialer", ["specialities"]))
    kinds = {"IE": ("postal",), "SI": ("postal", "visiting")}.get(kind, ADDRESS_KINDS)
    sections += [Section(k, ADDRESS_KIND_NAMES[k], [f"{k}.{name}" for name in ADDRESS_FIELDS]) for k in kinds]
    sections.append(Section("contact", "Contact", [f"contact.{name}" for name in CONTACT_FIELDS]))
    return sections


def editor_paths(kind: str) -> list[str]:
    return [p for section in editor_sections(kind) for p in section.paths]


@dataclass(frozen=True, slots=True)
class Inherited:
    """What a section of a unit takes from elsewhere while it has no values of its own."""

    source: str  # "inherited from Region X", "same as Postadresse", "" (nothing to take)
    text: str  # the values in one line ("" when there are none)
    values: dict[str, Any]  # {field path: value}: what "override" fills in to start from

    @property
    def words(self) -> str:
        if not self.text:
            return "nothing to inherit: no unit above has one"
        return f"{self.text}  ({self.source})"


def _inherited(chain: list[ChainLink], key: str) -> Inherited:
    """What section ``key`` of ``chain[0]`` takes from elsewhere when it has no values of its own."""
    head = chain[0]
    if key == "contact":
        eff: Effective[Any] = effective_contact([replace(head, contact=None), *chain[1:]])
        names, text = CONTACT_FIELDS, (lambda c: ", ".join(v for v in asdict(c).values() if v))
    else:
        own = {k: a for k, a in head.addresses.items() if k != key}
        eff = effective_address([replace(head, addresses=own), *chain[1:]], key)
        names, text = ADDRESS_FIELDS, (lambda a: a.one_line())
    if eff.value is None:
        return Inherited("", "", {})
    via = [f"same as {ADDRESS_KIND_NAMES[eff.via]}"] if eff.via else []
    source = ", ".join([*via, f"inherited from {eff.source_name}"] if eff.inherited else via)
    values = {f"{key}.{name}": getattr(eff.value, name) for name in names}
    return Inherited(source, text(eff.value), values)


@dataclass(slots=True)
class EditorData:
    sor_id: str
    kind: str
    name: str
    path: list[str]
    values: dict[str, Any]
    choices: dict[str, list[Choice]] = field(default_factory=dict)  # the coded fields' codes, by path
    inherited: dict[str, Inherited] = field(default_factory=dict)  # by section (INHERITABLE); none: an owner's
    ean: str = ""  # the unit's lokationsnummer in words (own, inherited from whom, none)
    ean_mode: str = "inherited"
    parent_sor_id: str | None = None  # a new unit to be made under this parent (no sor_id until it is saved)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def is_new(self) -> bool:
        return self.parent_sor_id is not None


def _editor_data(
    conn: sqlite3.Connection,
    sor_id: str,
    kind: str,
    name: str,
    path_of: str,
    values: dict[str, Any],
    chain: list[ChainLink],
) -> EditorData:
    sections = {s.key for s in editor_sections(kind)}
    inherits = len(chain) > 1  # an owner has no parent to inherit from
    return EditorData(
        sor_id,
        kind,
        name,
        [n for _, _, n in queries.path_to_root(conn, path_of)],
        values,
        field_choices(conn, editor_paths(kind), kind),
        {
            key: _inherited(chain, key)
            for key in INHERITABLE
            if key in sections and (inherits or key in ("visiting", "activity"))
        },
    )


def load_editor_data(conn: sqlite3.Connection, sor_id: str) -> EditorData | None:
    ent = load_entity(conn, sor_id)
    conn.row_factory = None
    if ent is None:
        return None
    values = {p: edits.entity_value(ent, p) for p in editor_paths(ent.kind)}
    data = _editor_data(conn, sor_id, ent.kind, ent.name, sor_id, values, queries.ancestor_chain(conn, sor_id))
    data.ean, data.ean_mode = ean_words(ent.ean_mode, queries.effective_values(conn, sor_id).location), ent.ean_mode
    return data


def ean_words(mode: str, eff: Effective[Location]) -> str:
    """A unit's lokationsnummer in words, from its mode and what it receives on."""
    if eff.value is not None:
        return f"{eff.value.gln}  (inherited from {eff.source_name})" if eff.inherited else f"{eff.value.gln}  (own)"
    return "none (inherits, but no unit above has one)" if mode == "inherited" else "none"


def load_new_unit_data(conn: sqlite3.Connection, parent_sor_id: str, from_date: str) -> EditorData | None:
    """An empty form for a new unit under ``parent_sor_id`` (an SI under an owner, else an OE), valid
    from ``from_date``; nothing is written until the editor saves it."""
    parent = queries.node(conn, parent_sor_id)
    if parent is None:
        return None
    kind = "SI" if parent.kind == "IE" else "OE"
    values: dict[str, Any] = {p: [] if p == "specialities" else None for p in editor_paths(kind)}
    values |= {"from_date": from_date, "geo_parent_relation": "1" if kind == "SI" else "2"}
    chain = [ChainLink("", "", "inherited"), *queries.ancestor_chain(conn, parent_sor_id)]
    data = _editor_data(conn, "", kind, "", parent_sor_id, values, chain)
    data.parent_sor_id = parent_sor_id
    data.ean = "inherits: " + ean_words("inherited", effective_location(chain))
    return data


# -- the EDI editor ------------------------------------------------------------------


@dataclass(slots=True)
class EdiData:
    """A lokationsnummer as the EDI editor shows it, reached from ``unit_sor_id``."""

    unit_sor_id: str
    unit_name: str
    location: Location
    owner_name: str
    units_receiving: int
    messages: list[queries.RegisteredMessage]
    choices: dict[str, list[Choice]]  # the coded attributes' codes, by path (location.system_type ...)
    catalogue: list[queries.RegisteredMessage]  # the MedCom message definitions (no validity)

    @property
    def gln(self) -> str:
        return self.location.gln

    @property
    def inherited(self) -> bool:
        return self.location.owner_sor_id != self.unit_sor_id


def load_edi_data(conn: sqlite3.Connection, sor_id: str) -> EdiData | None:
    """The lokationsnummer ``sor_id`` receives on (own, or inherited: the owner's); None if it has none."""
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
        location_choices(conn),
        message_definitions(conn),
    )


def location_choices(conn: sqlite3.Connection) -> dict[str, list[Choice]]:
    """The codes of a lokationsnummer's coded attributes, by path."""
    return field_choices(conn, [f"location.{name}" for name in LOCATION_SCALARS])


# -- the change journal ---------------------------------------------------------------


@dataclass(slots=True)
class ChangeGroup:
    """The pending entries on one unit or lokationsnummer, or those of one bulk change (``bulk``)."""

    key: str
    title: str
    sor_id: str | None  # the unit to go to
    entries: list[JournalEntry]
    bulk: bool = False

    @property
    def keys(self) -> list[str]:
        """The SOR-koder and lokationsnumre the entries change."""
        return list(dict.fromkeys(e.key for e in self.entries))


def load_changes(conn: sqlite3.Connection) -> list[ChangeGroup]:
    """The pending journal: a group per unit or lokationsnummer, and one per bulk change, in the order
    they were first changed."""
    groups: dict[str, ChangeGroup] = {}
    for entry in journal.pending(conn):
        key = f"group:{entry.group_id}" if entry.group_id is not None else entry.key
        group = groups.get(key)
        if group is None:
            group = groups[key] = _bulk_group(key) if entry.group_id is not None else _group(conn, entry)
        group.entries.append(entry)
    for group in groups.values():
        if group.bulk:
            group.title = f"Bulk change: {group_words(group.entries)}"
    return list(groups.values())


def _bulk_group(key: str) -> ChangeGroup:
    return ChangeGroup(key, "Bulk change", None, [], bulk=True)


def _group(conn: sqlite3.Connection, entry: JournalEntry) -> ChangeGroup:
    if entry.target == "entity":
        node = queries.node(conn, entry.key)
        name = node.name if node else "(no longer in the working copy)"
        return ChangeGroup(entry.key, f"{name}  {entry.key}", entry.key if node else None, [])
    loc = queries.location(conn, entry.key)
    owner = queries.node(conn, loc.owner_sor_id) if loc else None
    title = f"Lokationsnummer {entry.key}" + (f"  ({owner.name})" if owner else "")
    return ChangeGroup(entry.key, title, owner.sor_id if owner else None, [])


def changes_words(groups: list[ChangeGroup]) -> str:
    """``3 changes on 1 unit and 2 lokationsnumre``."""
    entries = [e for g in groups for e in g.entries]
    units = len({e.key for e in entries if e.target == "entity"})
    numbers = len({e.key for e in entries if e.target != "entity"})
    on = [plural(units, "unit")] if units else []
    on += [plural(numbers, "lokationsnummer", "lokationsnumre")] if numbers else []
    return f"{plural(len(entries), 'change')} on {' and '.join(on)}" if on else "no pending changes"


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
    choices: dict[str, list[Choice]]  # the coded attributes' codes, by path


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
        location_choices(conn),
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
    """Add or remove one message type on a selection of lokationsnumre."""

    action: str  # add | remove
    scope: str  # words for the selection, e.g. "under Region Test"
    glns: list[str]
    catalogue: list[Choice] = field(default_factory=list)
    urn: str | None = None
    have: int = 0  # numbers that already have the message type
    change: list[tuple[str, str]] = field(default_factory=list)  # (GLN, its owner's name) of each that changes

    @property
    def changing(self) -> int:
        return len(self.change)


def plan_bulk(conn: sqlite3.Connection, action: str, scope: str, sor_ids: list[str]) -> BulkPlan:
    """``scope`` 'subtree': the numbers owned by ``sor_ids[0]`` and below; 'search' and 'marked': the
    numbers the units of ``sor_ids`` (the hits, the marked units) receive on, own or inherited."""
    if scope == "subtree":
        node = queries.node(conn, sor_ids[0])
        glns = edits.subtree_glns(conn, sor_ids[0])
        words = f"under {node.name if node else sor_ids[0]}"
    else:
        glns = edits.effective_glns(conn, sor_ids)
        words = f"of the {plural(len(sor_ids), 'search hit' if scope == 'search' else 'marked unit')}"
    return BulkPlan(action, words, glns, message_choices(conn, set()))


def preview_bulk(conn: sqlite3.Connection, plan: BulkPlan, urn: str) -> BulkPlan:
    """What adding (removing) ``urn`` would change: the numbers that lack (have) it, with their owners."""
    plan.urn = urn
    have = edits.glns_with_message(conn, plan.glns, urn)
    plan.have = len(have)
    changing = [g for g in plan.glns if (g in have) == (plan.action == "remove")]
    plan.change = [(gln, owner_name(conn, gln)) for gln in changing]
    return plan


def owner_name(conn: sqlite3.Connection, gln: str) -> str:
    row = conn.execute(
        "SELECT e.name FROM location l JOIN entity e ON e.sor_id = l.owner_sor_id WHERE l.gln = ?", (gln,)
    ).fetchone()
    return row[0] if row else ""


def message_name(conn: sqlite3.Connection, urn: str) -> str:
    row = conn.execute("SELECT version_code, title FROM message_definition WHERE urn = ?", (urn,)).fetchone()
    return f"{row[0]} ({row[1]})" if row else urn


def unit_ean(conn: sqlite3.Connection, sor_id: str) -> tuple[str, str]:
    """(the unit's lokationsnummer in words, its mode), after the mode changed."""
    found = queries.node(conn, sor_id)
    mode = found.ean_mode if found else "none"
    return ean_words(mode, queries.effective_values(conn, sor_id).location), mode
