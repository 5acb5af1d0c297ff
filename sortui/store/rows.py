"""Converting domain records to table rows and back.

Column lists come from the SQLModel tables in ``schema.py`` (loaded on first use); the
order of the tuples here follows them, so INSERT statements are generated, not hand-written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from operator import attrgetter

from sortui.domain.model import Address, Contact, Entity, Location, Speciality
from sortui.domain.validation import sort_name

_TABLES = ("entity", "address", "contact", "speciality", "local_attribute", "succession", "location")
# The column lists, importable by name (ENTITY_COLS, ...; see ``__getattr__``).
_COLS_BY_NAME = {
    "ENTITY_COLS": "entity",
    "ADDRESS_COLS": "address",
    "CONTACT_COLS": "contact",
    "SPECIALITY_COLS": "speciality",
    "LOCAL_ATTR_COLS": "local_attribute",
    "SUCCESSION_COLS": "succession",
    "LOCATION_COLS": "location",
}


class _Layout:
    """The tables' column lists and the getters built from them once (rows are built for every
    entity of a national import)."""

    def __init__(self, cols: dict[str, list[str]]):
        self.cols = cols
        self.address_fields = [c for c in cols["address"] if c not in ("sor_id", "kind")]
        self.contact_fields = [c for c in cols["contact"] if c != "sor_id"]
        self.location_fields = list(cols["location"])
        self.entity_fields = [c for c in cols["entity"] if c != "sort_name"]
        at = cols["entity"].index("sort_name")
        self.entity_before_sort_name = attrgetter(*self.entity_fields[:at])
        self.entity_after_sort_name = attrgetter(*self.entity_fields[at:])
        self.address_values = attrgetter(*self.address_fields)
        self.contact_values = attrgetter(*self.contact_fields)
        self.location_values = attrgetter(*self.location_fields)


_layout: _Layout | None = None


def _lay() -> _Layout:
    """The layout, from the SQLModel tables on first use: the import's worker process builds rows
    from column lists it is given (``use_columns``) and never loads SQLModel."""
    global _layout
    if _layout is None:
        from sortui.store.schema import columns

        _layout = _Layout({t: columns(t) for t in _TABLES})
    return _layout


def table_columns() -> dict[str, list[str]]:
    """Column lists of the tables an entity's rows go to (to hand to ``use_columns`` elsewhere)."""
    return {t: list(c) for t, c in _lay().cols.items()}


def use_columns(cols: dict[str, list[str]]) -> None:
    """Build rows for tables with these columns (``table_columns()`` of the process that writes them)."""
    global _layout
    _layout = _Layout({t: list(cols[t]) for t in _TABLES})


def __getattr__(name: str) -> list[str]:
    if name in _COLS_BY_NAME:
        return _lay().cols[_COLS_BY_NAME[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def insert_sql(table: str, cols: list[str], verb: str = "INSERT") -> str:
    return f"{verb} INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


def entity_row(ent: Entity) -> tuple:
    lay = _layout or _lay()
    return (*lay.entity_before_sort_name(ent), sort_name(ent.name or ""), *lay.entity_after_sort_name(ent))


def address_rows(ent: Entity) -> list[tuple]:
    values = (_layout or _lay()).address_values
    return [(ent.sor_id, a.kind, *values(a)) for a in ent.addresses]


def contact_rows(ent: Entity) -> list[tuple]:
    if ent.contact is None:
        return []
    return [(ent.sor_id, *(_layout or _lay()).contact_values(ent.contact))]


def location_row(loc: Location) -> tuple:
    return (_layout or _lay()).location_values(loc)


class EntityBatch:
    """Collects rows of many entities and writes them with one executemany per table."""

    def __init__(self) -> None:
        self.tables: dict[str, list[tuple]] = {
            t: [] for t in ("entity", "address", "contact", "speciality", "local_attribute", "succession", "location")
        }
        self.count = 0

    def add(self, ent: Entity) -> None:
        t = self.tables
        lay = _layout or _lay()
        sor_id = ent.sor_id
        t["entity"].append(
            (*lay.entity_before_sort_name(ent), sort_name(ent.name or ""), *lay.entity_after_sort_name(ent))
        )
        if ent.addresses:
            values = lay.address_values
            t["address"] += [(sor_id, a.kind, *values(a)) for a in ent.addresses]
        if ent.contact is not None:
            t["contact"].append((sor_id, *lay.contact_values(ent.contact)))
        if ent.specialities:
            t["speciality"] += [(sor_id, i, s.code, s.type_code) for i, s in enumerate(ent.specialities, 1)]
        if ent.local_attributes:
            t["local_attribute"] += [(sor_id, i, v) for i, v in enumerate(ent.local_attributes, 1)]
        if ent.replaces:
            t["succession"] += [(sor_id, "replaces", i, o) for i, o in enumerate(ent.replaces, 1)]
        if ent.replaced_by:
            t["succession"] += [(sor_id, "replaced_by", i, o) for i, o in enumerate(ent.replaced_by, 1)]
        if ent.location is not None:
            t["location"].append(lay.location_values(ent.location))
        self.count += 1

    def flush(self, conn: sqlite3.Connection) -> None:
        for table, rows in self.tables.items():
            if rows:
                conn.executemany(insert_sql(table, _lay().cols[table]), rows)
                rows.clear()
        self.count = 0


def _address_from_row(row: sqlite3.Row) -> Address:
    return Address(kind=row["kind"], **{f: row[f] for f in _lay().address_fields})


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
    values = {c: row[c] for c in _lay().entity_fields}
    for flag in ("ambulant", "admitted", "reporting_level"):
        values[flag] = _bool_or_none(values[flag])
    ent = Entity(**values)
    ent.addresses = [_address_from_row(a) for a in addresses]
    if contact is not None:
        ent.contact = Contact(**{f: contact[f] for f in _lay().contact_fields})
    ent.specialities = [Speciality(s["code"], s["type_code"]) for s in specialities]
    ent.local_attributes = [a["value"] for a in local_attributes]
    succ = list(succession)
    ent.replaces = [s["other_sor_id"] for s in succ if s["relation"] == "replaces"]
    ent.replaced_by = [s["other_sor_id"] for s in succ if s["relation"] == "replaced_by"]
    if location is not None:
        ent.location = location_from_row(location)
    return ent


def location_from_row(row: sqlite3.Row) -> Location:
    values = {f: row[f] for f in _lay().location_fields}
    for flag in ("only_internal", "non_active", "has_status"):
        values[flag] = bool(values[flag])
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


def walk_tree(conn: sqlite3.Connection) -> Iterator[tuple[int, Entity]]:
    """(depth, Entity) depth first, parents before children, siblings by name then SOR id.

    One query per node keeps memory flat however large the tree is (used by exports).
    """
    conn.row_factory = sqlite3.Row
    children_sql = "SELECT sor_id FROM entity WHERE parent_sor_id IS ? ORDER BY sort_name, sor_id"
    stack: list[tuple[int, str]] = [(0, r[0]) for r in reversed(conn.execute(children_sql, (None,)).fetchall())]
    while stack:
        depth, sor_id = stack.pop()
        ent = load_entity(conn, sor_id)
        if ent is None:
            continue
        yield depth, ent
        kids = conn.execute(children_sql, (sor_id,)).fetchall()
        stack.extend((depth + 1, r[0]) for r in reversed(kids))


def load_entities(conn: sqlite3.Connection) -> Iterator[tuple[str, Entity]]:
    """(sor_id, Entity) for every entity in sor_id order, with all their own values."""
    conn.row_factory = sqlite3.Row
    sides = {
        name: _Side(conn, f"SELECT * FROM {name} ORDER BY sor_id{order}")
        for name, order in (
            ("address", ", kind"),
            ("contact", ""),
            ("speciality", ", seq"),
            ("local_attribute", ", idx"),
            ("succession", ", relation, seq"),
        )
    }
    locations = _Side(conn, "SELECT owner_sor_id AS sor_id, * FROM location ORDER BY owner_sor_id")
    for row in conn.execute("SELECT * FROM entity ORDER BY sor_id"):
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
