"""Converting domain records to table rows and back.

Column lists come from the tables' layout in ``tables.py`` (derived from the domain records); the
order of the tuples here follows them, so INSERT statements are generated, not hand-written. The
getters are built once: rows are built for every entity of a national import.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from operator import attrgetter

from sortui.domain.model import Address, Contact, Entity, Location, Speciality
from sortui.domain.validation import sort_name
from sortui.store.tables import ADDRESS, CONTACT, ENTITY, ENTITY_TABLES, LOCATION, SPECIALITY, TABLES, Table

ENTITY_COLS = ENTITY.names
LOCATION_COLS = LOCATION.names


def _fields(table: Table) -> tuple[str, ...]:
    """The record fields ``table`` holds, in column order; each is in a column of its own name."""
    return tuple(c.attr for c in table.columns if c.attr is not None)


def _flags(table: Table) -> tuple[str, ...]:
    """The fields of ``table`` stored as 0/1 (or NULL), which reading turns back into bools (or None)."""
    return tuple(c.attr for c in table.columns if c.attr is not None and c.type is bool)


def _values_of(names: Sequence[str]) -> Callable[[object], tuple]:
    """A getter of ``names`` that returns a tuple even for a single name."""
    return attrgetter(*names) if len(names) > 1 else lambda record: (getattr(record, names[0]),)


# An entity's row is its fields with its sort name computed in between; an address, contact or
# speciality row has its owner's SOR id (and a speciality its position) first.
_ENTITY_FIELDS = _fields(ENTITY)
_SORT_NAME_AT = ENTITY.names.index("sort_name")
_entity_before_sort_name = _values_of(_ENTITY_FIELDS[:_SORT_NAME_AT])
_entity_after_sort_name = _values_of(_ENTITY_FIELDS[_SORT_NAME_AT:])
_ADDRESS_FIELDS = _fields(ADDRESS)
_address_values = _values_of(_ADDRESS_FIELDS)
_CONTACT_FIELDS = _fields(CONTACT)
_contact_values = _values_of(_CONTACT_FIELDS)
_SPECIALITY_FIELDS = _fields(SPECIALITY)
_speciality_values = _values_of(_SPECIALITY_FIELDS)
_LOCATION_FIELDS = _fields(LOCATION)
_location_values = _values_of(_LOCATION_FIELDS)
_ENTITY_FLAGS, _LOCATION_FLAGS = _flags(ENTITY), _flags(LOCATION)


def insert_sql(table: str, cols: Sequence[str], verb: str = "INSERT") -> str:
    return f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


_INSERT_SQL = {table: insert_sql(table, TABLES[table].names) for table in ENTITY_TABLES}


def entity_row(ent: Entity) -> tuple:
    return (*_entity_before_sort_name(ent), sort_name(ent.name or ""), *_entity_after_sort_name(ent))


def address_rows(ent: Entity) -> list[tuple]:
    return [(ent.sor_id, *_address_values(a)) for a in ent.addresses]


def contact_rows(ent: Entity) -> list[tuple]:
    if ent.contact is None:
        return []
    return [(ent.sor_id, *_contact_values(ent.contact))]


def location_row(loc: Location) -> tuple:
    return _location_values(loc)


class EntityBatch:
    """Collects rows of many entities and writes them with one executemany per table (of ``schema``)."""

    def __init__(self, schema: str | None = None) -> None:
        self.tables: dict[str, list[tuple]] = {t: [] for t in ENTITY_TABLES}
        self.count = 0
        self._sql = (
            _INSERT_SQL if schema is None else {t: insert_sql(f"{schema}.{t}", TABLES[t].names) for t in ENTITY_TABLES}
        )

    def add(self, ent: Entity) -> None:
        t = self.tables
        sor_id = ent.sor_id
        t["entity"].append((*_entity_before_sort_name(ent), sort_name(ent.name or ""), *_entity_after_sort_name(ent)))
        if ent.addresses:
            values = _address_values
            t["address"] += [(sor_id, *values(a)) for a in ent.addresses]
        if ent.contact is not None:
            t["contact"].append((sor_id, *_contact_values(ent.contact)))
        if ent.specialities:
            values = _speciality_values
            t["speciality"] += [(sor_id, i, *values(s)) for i, s in enumerate(ent.specialities, 1)]
        if ent.local_attributes:
            t["local_attribute"] += [(sor_id, i, v) for i, v in enumerate(ent.local_attributes, 1)]
        if ent.replaces:
            t["succession"] += [(sor_id, "replaces", i, o) for i, o in enumerate(ent.replaces, 1)]
        if ent.replaced_by:
            t["succession"] += [(sor_id, "replaced_by", i, o) for i, o in enumerate(ent.replaced_by, 1)]
        if ent.location is not None:
            t["location"].append(_location_values(ent.location))
        self.count += 1

    def flush(self, conn: sqlite3.Connection) -> None:
        for table, rows in self.tables.items():
            if rows:
                conn.executemany(self._sql[table], rows)
                rows.clear()
        self.count = 0


def _address_from_row(row: sqlite3.Row) -> Address:
    return Address(**{f: row[f] for f in _ADDRESS_FIELDS})


def _bool_or_none(value: object) -> bool | None:
    return None if value is None else bool(value)


def entity_from_rows(
    row: sqlite3.Row,
    addresses: Iterable[sqlite3.Row] = (),
    contact: sqlite3.Row | None = None,
    specialities: Iterable[sqlite3.Row] = (),
    local_attributes: Iterable[sqlite3.Row] = (),
    succession: Iterable[sqlite3.Row] = (),
    location: sqlite3.Row | None = None,
) -> Entity:
    values = {c: row[c] for c in _ENTITY_FIELDS}
    for flag in _ENTITY_FLAGS:
        values[flag] = _bool_or_none(values[flag])
    ent = Entity(**values)
    ent.addresses = [_address_from_row(a) for a in addresses]
    if contact is not None:
        ent.contact = Contact(**{f: contact[f] for f in _CONTACT_FIELDS})
    ent.specialities = [Speciality(**{f: s[f] for f in _SPECIALITY_FIELDS}) for s in specialities]
    ent.local_attributes = [a["value"] for a in local_attributes]
    succ = list(succession)
    ent.replaces = [s["other_sor_id"] for s in succ if s["relation"] == "replaces"]
    ent.replaced_by = [s["other_sor_id"] for s in succ if s["relation"] == "replaced_by"]
    if location is not None:
        ent.location = location_from_row(location)
    return ent


def location_from_row(row: sqlite3.Row) -> Location:
    values = {f: row[f] for f in _LOCATION_FIELDS}
    for flag in _LOCATION_FLAGS:
        values[flag] = _bool_or_none(values[flag])
    return Location(**values)


def _grouped(conn: sqlite3.Connection, sql: str) -> Iterator[tuple[str, list[sqlite3.Row]]]:
    """Rows of ``sql`` (ordered by sor_id) grouped by sor_id."""
    current: str | None = None
    group: list[sqlite3.Row] = []
    for row in conn.execute(sql):
        if row["sor_id"] != current:
            if current is not None:
                yield current, group
            current, group = row["sor_id"], []
        group.append(row)
    if current is not None:
        yield current, group


class _Side:
    """A cursor over one side table, advanced in step with the entities (merge join on sor_id)."""

    def __init__(self, conn: sqlite3.Connection, sql: str):
        self._it = _grouped(conn, sql)
        self._next = next(self._it, None)

    def take(self, sor_id: str) -> list[sqlite3.Row]:
        while self._next is not None and self._next[0] < sor_id:
            self._next = next(self._it, None)
        if self._next is not None and self._next[0] == sor_id:
            rows = self._next[1]
            self._next = next(self._it, None)
            return rows
        return []


def walk_tree(conn: sqlite3.Connection, within: Container[str] | None = None) -> Iterator[tuple[int, Entity]]:
    """(depth, Entity) depth first, parents before children, siblings by name then SOR id; with
    ``within``, only the units it holds (the walk goes down through those alone, so it holds their
    ancestors too).

    One query per node keeps memory flat however large the tree is (used by exports).
    """
    conn.row_factory = sqlite3.Row
    children_sql = "SELECT sor_id FROM entity WHERE parent_sor_id IS ? ORDER BY sort_name, sor_id"

    def children(parent: str | None, depth: int) -> list[tuple[int, str]]:
        rows = conn.execute(children_sql, (parent,)).fetchall()
        return [(depth, r[0]) for r in reversed(rows) if within is None or r[0] in within]

    stack = children(None, 0)
    while stack:
        depth, sor_id = stack.pop()
        ent = load_entity(conn, sor_id)
        if ent is None:
            continue
        yield depth, ent
        stack.extend(children(sor_id, depth + 1))


def load_entities(
    conn: sqlite3.Connection, schema: str = "main", only: str | None = None
) -> Iterator[tuple[str, Entity]]:
    """(sor_id, Entity) for every entity in sor_id order, with all their own values.

    ``schema`` names an attached database to read instead of the main one; ``only`` a table whose
    ``key`` column lists the SOR ids to read (the others are skipped in SQL).
    """
    conn.row_factory = sqlite3.Row
    where = f" WHERE sor_id IN (SELECT key FROM {only})" if only else ""
    sides = {
        name: _Side(conn, f"SELECT * FROM {schema}.{name}{where} ORDER BY sor_id{order}")
        for name, order in (
            ("address", ", kind"),
            ("contact", ""),
            ("speciality", ", seq"),
            ("local_attribute", ", idx"),
            ("succession", ", relation, seq"),
        )
    }
    owned = f" WHERE owner_sor_id IN (SELECT key FROM {only})" if only else ""
    locations = _Side(conn, f"SELECT owner_sor_id AS sor_id, * FROM {schema}.location{owned} ORDER BY owner_sor_id")
    for row in conn.execute(f"SELECT * FROM {schema}.entity{where} ORDER BY sor_id"):
        sid = row["sor_id"]
        contact = sides["contact"].take(sid)
        loc = locations.take(sid)
        yield (
            sid,
            entity_from_rows(
                row,
                addresses=sides["address"].take(sid),
                contact=contact[0] if contact else None,
                specialities=sides["speciality"].take(sid),
                local_attributes=sides["local_attribute"].take(sid),
                succession=sides["succession"].take(sid),
                location=loc[0] if loc else None,
            ),
        )


def load_entity(conn: sqlite3.Connection, sor_id: str) -> Entity | None:
    conn.row_factory = sqlite3.Row
    row = conn.execute("SELECT * FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
    if row is None:
        return None

    def rows(sql: str) -> list[sqlite3.Row]:
        return conn.execute(sql, (sor_id,)).fetchall()

    contact = rows("SELECT * FROM contact WHERE sor_id = ?")
    loc = rows("SELECT * FROM location WHERE owner_sor_id = ?")
    return entity_from_rows(
        row,
        addresses=rows("SELECT * FROM address WHERE sor_id = ? ORDER BY kind"),
        contact=contact[0] if contact else None,
        specialities=rows("SELECT * FROM speciality WHERE sor_id = ? ORDER BY seq"),
        local_attributes=rows("SELECT * FROM local_attribute WHERE sor_id = ? ORDER BY idx"),
        succession=rows("SELECT * FROM succession WHERE sor_id = ? ORDER BY relation, seq"),
        location=loc[0] if loc else None,
    )
