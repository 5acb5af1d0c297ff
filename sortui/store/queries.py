"""Read queries on the working copy: tree pages, paths, inheritance, look-ups, counts (search: ``search.py``).

Every function takes an open sqlite3 connection and returns plain data; the UI
calls them from thread workers, the CLI directly.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from sortui.domain import codes
from sortui.domain.codelists import CodeName
from sortui.domain.inheritance import (
    ChainLink,
    Effective,
    effective_address,
    effective_contact,
    effective_location,
)
from sortui.domain.model import Address, Contact, Location
from sortui.store import codelists
from sortui.store.rows import location_from_row
from sortui.store.tables import SNAPSHOT


def valid_on_sql(alias: str = "e") -> str:
    """SQL condition: valid on the date bound as :on (inclusive from/to dates; NULL = open)."""
    return f"(({alias}.from_date IS NULL OR {alias}.from_date <= :on) AND ({alias}.to_date IS NULL OR {alias}.to_date >= :on))"


@dataclass(slots=True, frozen=True)
class Node:
    """A row of the organisation tree."""

    sor_id: str
    kind: str
    name: str
    child_count: int
    shak_code: str | None
    ean_mode: str
    own_gln: str | None
    entity_type_code: str | None
    from_date: str | None
    to_date: str | None
    provider_number: str | None


_NODE_COLUMNS = (
    "e.sor_id, e.kind, e.name, "
    "(SELECT count(*) FROM entity c WHERE c.parent_sor_id = e.sor_id{child_filter}) AS child_count, "
    "e.shak_code, e.ean_mode, (SELECT min(l.gln) FROM location l WHERE l.owner_sor_id = e.sor_id) AS own_gln, "
    "e.entity_type_code, e.from_date, e.to_date, e.provider_number"
)


def _node_select(on: str | None, within: str | None = None) -> str:
    child_filter = f" AND {valid_on_sql('c')}" if on else ""
    if within:
        child_filter += f" AND c.sor_id IN (SELECT sor_id FROM {within})"
    return "SELECT " + _NODE_COLUMNS.format(child_filter=child_filter) + " FROM entity e"


def children(
    conn: sqlite3.Connection,
    parent_sor_id: str | None,
    offset: int = 0,
    limit: int = 200,
    on: str | None = None,
) -> list[Node]:
    """One page of the children of ``parent_sor_id`` (None: the owners), ordered by name.

    With ``on`` (ISO date) only what is valid on that date, and child counts likewise.
    """
    where = "e.parent_sor_id IS :parent"
    if on:
        where += f" AND {valid_on_sql('e')}"
    sql = f"{_node_select(on)} WHERE {where} ORDER BY e.sort_name, e.sor_id LIMIT :limit OFFSET :offset"
    rows = conn.execute(sql, {"parent": parent_sor_id, "limit": limit, "offset": offset, "on": on})
    return [Node(*r) for r in rows]


def child_count(conn: sqlite3.Connection, parent_sor_id: str | None, on: str | None = None) -> int:
    where = "e.parent_sor_id IS :parent" + (f" AND {valid_on_sql('e')}" if on else "")
    return conn.execute(f"SELECT count(*) FROM entity e WHERE {where}", {"parent": parent_sor_id, "on": on}).fetchone()[
        0
    ]


def open_children_outside(conn: sqlite3.Connection, sor_ids: list[str], on: str) -> int:
    """The sub-units of ``sor_ids`` valid on ``on`` that are not among them (closing those leaves these open)."""
    ids = json.dumps(sor_ids)
    sql = (
        f"SELECT count(*) FROM entity e WHERE e.parent_sor_id IN (SELECT value FROM json_each(:ids))"
        f" AND e.sor_id NOT IN (SELECT value FROM json_each(:ids)) AND {valid_on_sql('e')}"
    )
    return conn.execute(sql, {"ids": ids, "on": on}).fetchone()[0]


def node(conn: sqlite3.Connection, sor_id: str, on: str | None = None) -> Node | None:
    row = conn.execute(f"{_node_select(on)} WHERE e.sor_id = :id", {"id": sor_id, "on": on}).fetchone()
    return Node(*row) if row else None


def existing_units(conn: sqlite3.Connection, sor_ids: Iterable[str]) -> list[str]:
    """The SOR-koder of ``sor_ids`` the working copy holds, each once, in their order (a list of marks
    outlives an import that removed a unit)."""
    exists = "SELECT 1 FROM entity WHERE sor_id = ?"
    return [s for s in dict.fromkeys(sor_ids) if conn.execute(exists, (s,)).fetchone() is not None]


def path_to_root(conn: sqlite3.Connection, sor_id: str) -> list[tuple[str, str, str]]:
    """(sor_id, kind, name) from the owner down to ``sor_id``; empty if unknown."""
    rows = conn.execute(
        """
        WITH RECURSIVE up(sor_id, parent, depth) AS (
            SELECT sor_id, parent_sor_id, 0 FROM entity WHERE sor_id = ?
            UNION ALL
            SELECT e.sor_id, e.parent_sor_id, up.depth + 1 FROM entity e JOIN up ON e.sor_id = up.parent
            WHERE up.depth < 64
        )
        SELECT e.sor_id, e.kind, e.name FROM up JOIN entity e ON e.sor_id = up.sor_id ORDER BY up.depth DESC
        """,
        (sor_id,),
    ).fetchall()
    return [tuple(r) for r in rows]


def ancestor_chain(conn: sqlite3.Connection, sor_id: str) -> list[ChainLink]:
    """The unit and its ancestors (unit first) with their own addresses, contact and location."""
    path = path_to_root(conn, sor_id)
    if not path:
        return []
    ids = [p[0] for p in reversed(path)]
    marks = ",".join("?" * len(ids))
    conn.row_factory = sqlite3.Row
    try:
        modes = dict(conn.execute(f"SELECT sor_id, ean_mode FROM entity WHERE sor_id IN ({marks})", ids).fetchall())
        links = {i: ChainLink(i, name, modes[i]) for i, _, name in path}
        for row in conn.execute(f"SELECT * FROM address WHERE sor_id IN ({marks})", ids):
            links[row["sor_id"]].addresses[row["kind"]] = Address(**{k: row[k] for k in row.keys() if k != "sor_id"})
        for row in conn.execute(f"SELECT * FROM contact WHERE sor_id IN ({marks})", ids):
            links[row["sor_id"]].contact = Contact(**{k: row[k] for k in row.keys() if k != "sor_id"})
        for row in conn.execute(f"SELECT * FROM location WHERE owner_sor_id IN ({marks})", ids):
            links[row["owner_sor_id"]].location = location_from_row(row)
    finally:
        conn.row_factory = None
    return [links[i] for i in ids]


@dataclass(slots=True)
class EffectiveValues:
    postal: Effective[Address]
    visiting: Effective[Address]
    activity: Effective[Address]
    contact: Effective[Contact]
    location: Effective[Location]


def effective_values(conn: sqlite3.Connection, sor_id: str) -> EffectiveValues:
    chain = ancestor_chain(conn, sor_id)
    return EffectiveValues(
        postal=effective_address(chain, "postal"),
        visiting=effective_address(chain, "visiting"),
        activity=effective_address(chain, "activity"),
        contact=effective_contact(chain),
        location=effective_location(chain),
    )


# -- look-ups ---------------------------------------------------------------


def _entity_ids_for(conn: sqlite3.Connection, column: str, value: str) -> list[str]:
    return [r[0] for r in conn.execute(f"SELECT sor_id FROM entity WHERE {column} = ? ORDER BY sor_id", (value,))]


def find_key(conn: sqlite3.Connection, key: str) -> list[tuple[str, str]]:
    """What ``key`` is in the working copy: [(kind, value)] with kind sor_id, gln, shak or provider_number."""
    key = key.strip()
    found: list[tuple[str, str]] = []
    for kind in codes.classify_key(key):
        if kind == "sor_id" and conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (key,)).fetchone():
            found.append(("sor_id", key))
        elif kind == "gln" and conn.execute("SELECT 1 FROM location WHERE gln = ?", (key,)).fetchone():
            found.append(("gln", key))
        elif kind == "shak":
            code = key.upper()
            in_shak = conn.execute("SELECT 1 FROM shak_code WHERE code = ? LIMIT 1", (code,)).fetchone()
            in_sor = conn.execute("SELECT 1 FROM entity WHERE shak_code = ? LIMIT 1", (code,)).fetchone()
            if in_shak or in_sor:
                found.append(("shak", code))
        elif kind == "provider_number" and _entity_ids_for(conn, "provider_number", key):
            found.append(("provider_number", key))
    return found


# -- location numbers -------------------------------------------------------


@dataclass(slots=True, frozen=True)
class RegisteredMessage:
    urn: str
    format: str
    type_code: str
    version_code: str
    title: str
    from_date: str | None
    to_date: str | None


def location(conn: sqlite3.Connection, gln: str) -> Location | None:
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM location WHERE gln = ?", (gln,)).fetchone()
    finally:
        conn.row_factory = None
    return location_from_row(row) if row else None


def message_types(conn: sqlite3.Connection, gln: str) -> list[RegisteredMessage]:
    rows = conn.execute(
        """
        SELECT m.message_urn, coalesce(d.format, ''), coalesce(d.type_code, ''), coalesce(d.version_code, ''),
               coalesce(d.title, ''), m.from_date, m.to_date
        FROM location_message m LEFT JOIN message_definition d ON d.urn = m.message_urn
        WHERE m.gln = ? ORDER BY d.format, d.type_code, d.version_code, m.message_urn
        """,
        (gln,),
    ).fetchall()
    return [RegisteredMessage(*r) for r in rows]


def units_using_location(conn: sqlite3.Connection, gln: str) -> int:
    """How many entities receive on ``gln``: its owner plus those that inherit it."""
    row = conn.execute("SELECT owner_sor_id FROM location WHERE gln = ?", (gln,)).fetchone()
    if not row:
        return 0
    return conn.execute(
        """
        WITH RECURSIVE down(sor_id) AS (
            SELECT ?
            UNION ALL
            SELECT e.sor_id FROM entity e JOIN down ON e.parent_sor_id = down.sor_id WHERE e.ean_mode = 'inherited'
        ) SELECT count(*) FROM down
        """,
        (row[0],),
    ).fetchone()[0]


# -- SHAK -------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class ShakVersion:
    code: str
    level: str
    valid_from: str
    valid_to: str | None
    text: str


def shak_versions(conn: sqlite3.Connection, code: str) -> list[ShakVersion]:
    rows = conn.execute(
        "SELECT code, level, valid_from, valid_to, text FROM shak_code WHERE code = ? ORDER BY valid_from",
        (code,),
    ).fetchall()
    return [ShakVersion(*r) for r in rows]


def shak_children(conn: sqlite3.Connection, parent: str | None, on: str | None = None) -> list[ShakVersion]:
    """Codes one level below ``parent`` (None: hospitals); with ``on`` only versions valid then, else the newest."""
    where = "parent_code IS :parent" if parent else "parent_code IS NULL"
    if on:
        cond = "(valid_from <= :on AND (valid_to IS NULL OR valid_to >= :on))"
        sql = f"SELECT code, level, valid_from, valid_to, text FROM shak_code WHERE {where} AND {cond} ORDER BY code"
    else:
        sql = (
            "SELECT code, level, max(valid_from), valid_to, text FROM shak_code"
            f" WHERE {where} GROUP BY code ORDER BY code"
        )
    return [ShakVersion(*r) for r in conn.execute(sql, {"parent": parent, "on": on})]


def sor_ids_for_shak(conn: sqlite3.Connection, code: str) -> list[str]:
    return _entity_ids_for(conn, "shak_code", code)


# -- counts -----------------------------------------------------------------


def stats(conn: sqlite3.Connection, on: str | None = None) -> dict[str, object]:
    """Counts of entities by kind, location numbers, message registrations, SHAK codes by level."""
    params = {"on": on}
    ent_filter = f"WHERE {valid_on_sql('e')}" if on else ""
    kinds = dict(conn.execute(f"SELECT kind, count(*) FROM entity e {ent_filter} GROUP BY kind", params).fetchall())
    loc_filter = f"WHERE {valid_on_sql('e')}" if on else ""
    locations = conn.execute(f"SELECT count(*) FROM location e {loc_filter}", params).fetchone()[0]
    msg_filter = f"WHERE {valid_on_sql('e')}" if on else ""
    messages = conn.execute(f"SELECT count(*) FROM location_message e {msg_filter}", params).fetchone()[0]
    shak_filter = "WHERE valid_from <= :on AND (valid_to IS NULL OR valid_to >= :on)" if on else ""
    shak = dict(
        conn.execute(
            f"SELECT level, count(DISTINCT code) FROM shak_code {shak_filter} GROUP BY level", params
        ).fetchall()
    )
    return {
        "on": on,
        "IE": kinds.get("IE", 0),
        "SI": kinds.get("SI", 0),
        "OE": kinds.get("OE", 0),
        "location_numbers": locations,
        "message_type_registrations": messages,
        "shak_codes": {level: shak.get(level, 0) for level in ("sgh", "afd", "afsnit")},
    }


def snapshots(conn: sqlite3.Connection) -> list[dict[str, object]]:
    cur = conn.execute(f"SELECT {', '.join(SNAPSHOT.names)} FROM snapshot ORDER BY kind")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def sor_ids_for_provider(conn: sqlite3.Connection, provider_number: str) -> list[str]:
    return _entity_ids_for(conn, "provider_number", provider_number)


# -- tree levels (the app's organisation tree) --------------------------------
# The top level is grouped by owner type (entity_type_code of the owners), and a
# large group further by the first letter of the sort name; every level is read a
# page at a time. owner_type "" selects owners without a type.


def _level_where(
    parent_sor_id: str | None, owner_type: str | None, letter: str | None, on: str | None, within: str | None = None
) -> str:
    """The condition of a tree level; ``within``: only the units in that table (a filter's, ``store.tree_filter``)."""
    where = "e.parent_sor_id IS :parent"
    if within:
        where += f" AND e.sor_id IN (SELECT sor_id FROM {within})"
    if owner_type is not None:
        where += " AND coalesce(e.entity_type_code, '') = :otype"
    if letter is not None:
        where += " AND substr(e.sort_name, 1, 1) = :letter"
    if on:
        where += f" AND {valid_on_sql('e')}"
    return where


def level_children(
    conn: sqlite3.Connection,
    parent_sor_id: str | None,
    owner_type: str | None = None,
    letter: str | None = None,
    offset: int = 0,
    limit: int = 200,
    on: str | None = None,
    within: str | None = None,
) -> list[Node]:
    """Like ``children``, optionally narrowed to owners of one type and initial letter of their sort name."""
    where = _level_where(parent_sor_id, owner_type, letter, on, within)
    sql = f"{_node_select(on, within)} WHERE {where} ORDER BY e.sort_name, e.sor_id LIMIT :limit OFFSET :offset"
    params = {"parent": parent_sor_id, "otype": owner_type, "letter": letter, "limit": limit, "offset": offset}
    return [Node(*r) for r in conn.execute(sql, {**params, "on": on})]


def level_count(
    conn: sqlite3.Connection,
    parent_sor_id: str | None,
    owner_type: str | None = None,
    letter: str | None = None,
    on: str | None = None,
    within: str | None = None,
) -> int:
    where = _level_where(parent_sor_id, owner_type, letter, on, within)
    params = {"parent": parent_sor_id, "otype": owner_type, "letter": letter, "on": on}
    return conn.execute(f"SELECT count(*) FROM entity e WHERE {where}", params).fetchone()[0]


def level_position(
    conn: sqlite3.Connection,
    sor_id: str,
    owner_type: str | None = None,
    letter: str | None = None,
    on: str | None = None,
) -> int:
    """How many siblings come before ``sor_id`` in its level (its offset in ``level_children``)."""
    row = conn.execute("SELECT parent_sor_id, sort_name FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
    if row is None:
        return 0
    where = _level_where(row[0], owner_type, letter, on) + " AND (e.sort_name, e.sor_id) < (:sn, :id)"
    params = {"parent": row[0], "otype": owner_type, "letter": letter, "on": on, "sn": row[1], "id": sor_id}
    return conn.execute(f"SELECT count(*) FROM entity e WHERE {where}", params).fetchone()[0]


def owner_groups(
    conn: sqlite3.Connection, on: str | None = None, within: str | None = None
) -> list[tuple[str, str, int, str | None]]:
    """(owner type code or '', its text or '', number of owners, how sure the name is: yes / inferred / no,
    None when the list has no name) for the tree's top level."""
    where = _level_where(None, None, None, on, within)
    sql = (
        "SELECT coalesce(e.entity_type_code, ''), coalesce(c.text, ''), count(*), c.confirmed FROM entity e"
        " LEFT JOIN code_list c ON c.list = 'owner_type' AND c.code = e.entity_type_code"
        f" WHERE {where} GROUP BY 1 ORDER BY 2, 1"
    )
    return [tuple(r) for r in conn.execute(sql, {"parent": None, "on": on})]


def owner_letters(
    conn: sqlite3.Connection, owner_type: str, on: str | None = None, within: str | None = None
) -> list[tuple[str, int]]:
    """(first letter of the sort name, number of owners) within one owner type."""
    where = _level_where(None, owner_type, None, on, within)
    sql = f"SELECT substr(e.sort_name, 1, 1), count(*) FROM entity e WHERE {where} GROUP BY 1 ORDER BY 1"
    return [tuple(r) for r in conn.execute(sql, {"parent": None, "otype": owner_type, "on": on})]


def entity_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM entity").fetchone()[0]


# -- the SHAK navigator -----------------------------------------------------
# The hierarchy is by code prefix: 4 characters (hospital), 6 (department), 7 (section).
# A prefix that only lower codes use (old sections whose department never had a code
# of its own) is still a level: an entry without versions. Every function reads one
# level, one page or a few codes; ``on`` is the view date, ``all_versions`` lists codes
# not valid on it too (they are marked ``valid=False``).

_SHAK_END = "~"  # sorts after every character of a SHAK code (digits and capital letters)
_SHAK_CHILD_LENGTH = {0: 4, 4: 6, 6: 7}


def shak_valid_sql(alias: str) -> str:
    return f"({alias}.valid_from <= :on AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= :on))"


def shak_child_length(parent: str | None) -> int | None:
    """How long the codes one level below ``parent`` are (None: hospitals); None below a section."""
    return _SHAK_CHILD_LENGTH.get(len(parent or ""))


@dataclass(slots=True, frozen=True)
class ShakEntry:
    """A row of the SHAK navigator: a code with the version shown (valid on the date, else the newest)."""

    code: str
    level: str  # sgh / afd / afsnit (by length)
    text: str
    valid_from: str | None  # None: no version of its own (a prefix of lower codes only)
    valid_to: str | None
    valid: bool  # the shown version is valid on the date
    versions: int
    children: int  # codes one level below (valid on the date, unless all versions)
    units: int  # SOR units carrying the code
    ownership: str | None = None  # hospitals: SHAKregion.txt, else the SHAK file's BGrp
    institution_type: str | None = None  # hospitals: SHAKregion.txt, else AGrp
    region_code: str | None = None  # hospitals: SHAKregion.txt only
    region_name: str | None = None
    ownership_name: CodeName | None = None  # the names the code lists give ownership and institution type
    institution_type_name: CodeName | None = None


def _shak_range(parent: str | None, all_versions: bool) -> tuple[str, dict[str, object]]:
    n = shak_child_length(parent)
    lo = parent or ""
    where = "s.code >= :lo AND s.code < :hi AND length(s.code) >= :n"
    if not all_versions:
        where += f" AND {shak_valid_sql('s')}"
    return where, {"lo": lo, "hi": lo + _SHAK_END, "n": n}


def shak_level_keys(
    conn: sqlite3.Connection, parent: str | None, on: str, all_versions: bool, offset: int = 0, limit: int = 200
) -> list[str]:
    """One page of the codes one level below ``parent`` (None: hospitals) in code order."""
    if shak_child_length(parent) is None:
        return []
    where, params = _shak_range(parent, all_versions)
    sql = f"SELECT substr(s.code, 1, :n) AS k FROM shak_code s WHERE {where} GROUP BY k ORDER BY k LIMIT :limit OFFSET :offset"
    return [r[0] for r in conn.execute(sql, {**params, "on": on, "limit": limit, "offset": offset})]


def shak_level_count(conn: sqlite3.Connection, parent: str | None, on: str, all_versions: bool) -> int:
    if shak_child_length(parent) is None:
        return 0
    where, params = _shak_range(parent, all_versions)
    sql = f"SELECT count(DISTINCT substr(s.code, 1, :n)) FROM shak_code s WHERE {where}"
    return conn.execute(sql, {**params, "on": on}).fetchone()[0]


def shak_level_position(conn: sqlite3.Connection, parent: str | None, key: str, on: str, all_versions: bool) -> int:
    """How many codes come before ``key`` in its level (its offset in ``shak_level_keys``)."""
    if shak_child_length(parent) is None:
        return 0
    where, params = _shak_range(parent, all_versions)
    sql = (
        f"SELECT count(DISTINCT substr(s.code, 1, :n)) FROM shak_code s WHERE {where} AND substr(s.code, 1, :n) < :key"
    )
    return conn.execute(sql, {**params, "on": on, "key": key}).fetchone()[0]


def shak_prefix_shown(conn: sqlite3.Connection, key: str, on: str, all_versions: bool) -> bool:
    """Whether ``key`` is a row of the navigator: it or a code below it exists (and is valid on ``on``)."""
    where = "s.code >= :lo AND s.code < :hi" + ("" if all_versions else f" AND {shak_valid_sql('s')}")
    row = conn.execute(f"SELECT 1 FROM shak_code s WHERE {where} LIMIT 1", {"lo": key, "hi": key + _SHAK_END, "on": on})
    return row.fetchone() is not None


_SHAK_ENTRY_SQL = """
WITH k(code, pos) AS (SELECT value, key FROM json_each(:codes)),
rep(code, pos, vf, hf) AS (
    SELECT k.code, k.pos,
        (SELECT x.valid_from FROM shak_code x WHERE x.code = k.code
         ORDER BY {x_valid} DESC, x.valid_from DESC LIMIT 1),
        (SELECT y.valid_from FROM shak_hospital y WHERE y.code = k.code
         ORDER BY {y_valid} DESC, y.valid_from DESC LIMIT 1)
    FROM k
)
SELECT rep.code, coalesce(v.text, h.name, ''), v.valid_from, v.valid_to, coalesce({v_valid}, 0),
    (SELECT count(*) FROM shak_code x WHERE x.code = rep.code),
    (SELECT count(DISTINCT substr(c.code, 1, CASE length(rep.code) WHEN 4 THEN 6 ELSE 7 END)) FROM shak_code c
     WHERE c.code > rep.code AND c.code < rep.code || :end AND length(c.code) > length(rep.code){c_valid}),
    (SELECT count(*) FROM entity e WHERE e.shak_code = rep.code),
    coalesce(h.ownership, CASE WHEN length(rep.code) = 4 THEN nullif(trim(v.grp_b), '') END),
    coalesce(h.institution_type, CASE WHEN length(rep.code) = 4 THEN nullif(trim(v.grp_a), '') END),
    h.region_code, r.text
FROM rep
LEFT JOIN shak_code v ON v.code = rep.code AND v.valid_from = rep.vf
LEFT JOIN shak_hospital h ON h.code = rep.code AND h.valid_from = rep.hf
LEFT JOIN code_list r ON r.list = 'region' AND r.code = h.region_code
ORDER BY rep.pos
"""


def shak_entries(conn: sqlite3.Connection, codes_: list[str], on: str, all_versions: bool = False) -> list[ShakEntry]:
    """Navigator rows for ``codes_`` (in that order); child counts as the level lists them."""
    if not codes_:
        return []
    import json

    sql = _SHAK_ENTRY_SQL.format(
        x_valid=shak_valid_sql("x"),
        y_valid=shak_valid_sql("y"),
        v_valid=shak_valid_sql("v"),
        c_valid="" if all_versions else f" AND {shak_valid_sql('c')}",
    )
    level = {4: "sgh", 6: "afd", 7: "afsnit"}
    rows = conn.execute(sql, {"codes": json.dumps(codes_), "on": on, "end": _SHAK_END}).fetchall()
    ownership, kinds = shak_code_names(conn)
    return [
        ShakEntry(
            r[0], level.get(len(r[0]), "?"), r[1], r[2], r[3], bool(r[4]), *r[5:],
            ownership_name=ownership.get(r[8] or ""), institution_type_name=kinds.get(r[9] or ""),
        )
        for r in rows
    ]  # fmt: skip


def shak_code_names(conn: sqlite3.Connection) -> tuple[dict[str, CodeName], dict[str, CodeName]]:
    """The names of SHAK's ownership codes and institution types (``code_list``)."""
    return codelists.names(conn, "shak_ownership"), codelists.names(conn, "shak_institution_type")


@dataclass(slots=True, frozen=True)
class ShakHistoryRow:
    """One version of a SHAK code, as the SHAK file has it."""

    valid_from: str
    valid_to: str | None
    changed: str | None
    text: str
    grp_a: str | None
    grp_b: str | None
    op_code: str | None


def shak_history(conn: sqlite3.Connection, code: str) -> list[ShakHistoryRow]:
    """Every version of ``code``, oldest first."""
    rows = conn.execute(
        "SELECT valid_from, valid_to, changed, text, nullif(trim(grp_a), ''), nullif(trim(grp_b), ''), op_code"
        " FROM shak_code WHERE code = ? ORDER BY valid_from",
        (code,),
    ).fetchall()
    return [ShakHistoryRow(*r) for r in rows]


@dataclass(slots=True, frozen=True)
class ShakRegionRow:
    """A line of SHAKregion.txt for a hospital code."""

    valid_from: str
    valid_to: str | None
    name: str
    ownership: str | None
    institution_type: str | None
    region_code: str | None
    region_name: str | None
    sor_id: str | None
    ownership_name: CodeName | None = None
    institution_type_name: CodeName | None = None


def shak_region_rows(conn: sqlite3.Connection, code: str) -> list[ShakRegionRow]:
    rows = conn.execute(
        "SELECT h.valid_from, h.valid_to, h.name, h.ownership, h.institution_type, h.region_code, r.text, h.sor_id"
        " FROM shak_hospital h LEFT JOIN code_list r ON r.list = 'region' AND r.code = h.region_code"
        " WHERE h.code = ? ORDER BY h.valid_from",
        (code,),
    ).fetchall()
    ownership, kinds = shak_code_names(conn)
    return [ShakRegionRow(*r, ownership.get(r[3] or ""), kinds.get(r[4] or "")) for r in rows]


def shak_present(conn: sqlite3.Connection) -> bool:
    """Whether the working copy has SHAK codes (SHAKCOMPLETE.TXT was imported)."""
    return conn.execute("SELECT 1 FROM shak_code LIMIT 1").fetchone() is not None
