"""What the organisation tree shows, read a level and a page at a time (no Textual here).

The top level groups the owners by owner type (Region, Kommune, Stat, Privat); a
group with many owners is split by the first letter of their names. Every level
of units is an SQL page (``PAGE`` rows) of a window that can grow both ways.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from itertools import pairwise

from sortui.domain.codelists import CodeName, code_words
from sortui.store import queries, tree_filter

PAGE = 200
LETTER_SPLIT = 300  # owner groups larger than this are split by initial letter
GROUP_ORDER = ("Region", "Kommune", "Stat", "Privat")
_LETTER_NAMES = {"{": "Æ", "|": "Ø", "}": "Å"}


@dataclass(frozen=True, slots=True)
class Level:
    """Where a container's children come from: root, owner type, initial letter, or a unit."""

    kind: str  # root | type | letter | unit
    parent_sor_id: str | None = None
    owner_type: str | None = None
    letter: str | None = None


ROOT = Level("root")


@dataclass(slots=True)
class Item:
    """What one tree node stands for."""

    kind: str  # group | unit | more | earlier | loading
    key: str  # identity among its siblings: "type:<code>", "letter:<c>", a SOR id, "more" …
    level: Level | None = None  # for containers: where the children come from
    node: queries.Node | None = None
    title: str = ""
    count: int = 0
    type_words: str = ""  # for an owner-type group: its code with its name (``domain.codelists.code_words``)
    start: int = 0  # for containers: the window of children loaded, and how many there are
    end: int = 0
    total: int = 0
    loaded: bool = False
    loading: bool = False
    context: bool = False  # in a filtered tree: not a match, there for the units below it

    @property
    def sor_id(self) -> str | None:
        return self.node.sor_id if self.node else None


@dataclass(slots=True)
class Page:
    """Children of ``level`` from ``start``; ``total`` of them in all."""

    level: Level
    items: list[Item]
    start: int
    total: int


@dataclass(slots=True)
class Step:
    """On the way to a unit: in ``container``, the child ``key``; ``page`` holds it."""

    container: Level
    key: str
    page: Page


@dataclass(slots=True)
class Located:
    sor_id: str
    steps: list[Step] = field(default_factory=list)
    hidden: bool = False  # the unit or an ancestor is not valid on the view date


def unit_item(node: queries.Node) -> Item:
    level = Level("unit", parent_sor_id=node.sor_id) if node.child_count else None
    return Item("unit", node.sor_id, level, node, node.name, node.child_count)


def letter_name(letter: str) -> str:
    return _LETTER_NAMES.get(letter, letter.upper())


def fetch_page(conn: sqlite3.Connection, level: Level, offset: int, on: str | None, filtered: bool = False) -> Page:
    """The page of ``level``'s children at ``offset`` (groups are returned whole); ``filtered``: only the
    units ``conn``'s filter keeps (``store.tree_filter``), those kept for the units below them marked."""
    within = tree_filter.KEPT if filtered else None
    if level.kind == "root":
        return _group_page(conn, on, within)
    if level.kind == "type":
        count = queries.level_count(conn, None, level.owner_type, None, on, within)
        if count > LETTER_SPLIT:
            return _letter_page(conn, level, on, within)
    page = _unit_page(conn, level, offset, on, within)
    if filtered and page.items:
        hits = tree_filter.hits_among(conn, [item.key for item in page.items])
        for item in page.items:
            item.context = item.key not in hits
    return page


def _group_page(conn: sqlite3.Connection, on: str | None, within: str | None = None) -> Page:
    rows = queries.owner_groups(conn, on, within)
    order = {name: i for i, name in enumerate(GROUP_ORDER)}
    rows.sort(key=lambda r: (order.get(r[1], len(order)), r[1], r[0]))
    items = [
        Item(
            "group",
            f"type:{code}",
            Level("type", owner_type=code),
            title=text or (f"{code} (unknown code)" if code else "No Ejertype"),
            count=n,
            type_words=code_words(code, CodeName(text, confirmed) if confirmed else None),
        )
        for code, text, n, confirmed in rows
    ]
    return Page(ROOT, items, 0, len(items))


def _letter_page(conn: sqlite3.Connection, level: Level, on: str | None, within: str | None = None) -> Page:
    assert level.owner_type is not None
    items = [
        Item(
            "group",
            f"letter:{c}",
            Level("letter", owner_type=level.owner_type, letter=c),
            title=letter_name(c),
            count=n,
        )
        for c, n in queries.owner_letters(conn, level.owner_type, on, within)
    ]
    return Page(level, items, 0, len(items))


def _unit_page(conn: sqlite3.Connection, level: Level, offset: int, on: str | None, within: str | None = None) -> Page:
    args = (level.parent_sor_id, level.owner_type, level.letter)
    nodes = queries.level_children(conn, *args, offset=offset, limit=PAGE, on=on, within=within)
    total = queries.level_count(conn, *args, on=on, within=within)
    return Page(level, [unit_item(n) for n in nodes], offset, total)


def locate(conn: sqlite3.Connection, sor_id: str, on: str | None) -> Located | None:
    """How to reach ``sor_id`` from the root, with the page holding it at each level; None if unknown."""
    path = queries.path_to_root(conn, sor_id)
    if not path:
        return None
    ids = [p[0] for p in path]
    found = Located(sor_id)
    if on and _any_hidden(conn, ids, on):
        found.hidden = True
        return found
    owner_type, first = _owner_group(conn, ids[0])
    type_level = Level("type", owner_type=owner_type)
    found.steps.append(Step(ROOT, f"type:{owner_type}", _group_page(conn, on)))
    owner_level = type_level
    if queries.level_count(conn, None, owner_type, None, on) > LETTER_SPLIT:
        found.steps.append(Step(type_level, f"letter:{first}", _letter_page(conn, type_level, on)))
        owner_level = Level("letter", owner_type=owner_type, letter=first)
    found.steps.append(Step(owner_level, ids[0], _window(conn, owner_level, ids[0], on)))
    for parent, child in pairwise(ids):
        level = Level("unit", parent_sor_id=parent)
        found.steps.append(Step(level, child, _window(conn, level, child, on)))
    return found


def locate_nearest(conn: sqlite3.Connection, sor_id: str, on: str | None) -> Located | None:
    """Like ``locate``; when the unit (or a unit above it) is not valid on ``on``, the nearest unit above
    it that is shown (None: none is)."""
    found = locate(conn, sor_id, on)
    if found is None or not found.hidden or not on:
        return found
    ids = [p[0] for p in queries.path_to_root(conn, sor_id)]
    shown = 0
    while shown < len(ids) and not _any_hidden(conn, ids[: shown + 1], on):
        shown += 1
    return locate(conn, ids[shown - 1], on) if shown else None


def _any_hidden(conn: sqlite3.Connection, ids: list[str], on: str) -> bool:
    params: dict[str, str] = {f"i{n}": sor_id for n, sor_id in enumerate(ids)}
    marks = ",".join(f":{name}" for name in params)
    sql = f"SELECT count(*) FROM entity e WHERE e.sor_id IN ({marks}) AND NOT {queries.valid_on_sql('e')}"
    return conn.execute(sql, {**params, "on": on}).fetchone()[0] > 0


def _owner_group(conn: sqlite3.Connection, owner_id: str) -> tuple[str, str]:
    row = conn.execute(
        "SELECT coalesce(entity_type_code, ''), substr(sort_name, 1, 1) FROM entity WHERE sor_id = ?", (owner_id,)
    ).fetchone()
    return row[0], row[1]


def _window(conn: sqlite3.Connection, level: Level, sor_id: str, on: str | None) -> Page:
    """A page of ``level`` that holds ``sor_id`` a little below its top."""
    pos = queries.level_position(conn, sor_id, level.owner_type, level.letter, on)
    return _unit_page(conn, level, max(0, pos - PAGE // 4), on)
