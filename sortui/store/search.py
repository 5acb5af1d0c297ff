"""Searching the working copy: units by name, address and code; SHAK codes by code and text.

How a search matches and ranks is defined once in ``search_index`` (``Terms``, ``TIERS``); here it
runs on the working copy. Every function takes an open sqlite3 connection and returns plain data;
the UI calls them from thread workers, the CLI directly.
"""

from __future__ import annotations

import bisect
import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sortui.domain.model import Address
from sortui.store.queries import ShakEntry, shak_entries, shak_valid_sql
from sortui.store.search_index import INSIDE, START, TIERS, WHOLE, Terms, first_come, indexed, level_in

COUNT_CAP = 10_000  # hits are counted up to this many ("10,000+ hits")
RANK_ALL = 1_000  # this many hits or fewer are ranked all at once; more tier by tier, a page at a time

# What matched besides the name: (what, value), e.g. ("SHAK-kode", "2529010"), ("adresse", "Testvej 1, 9999 Testby").
Matched = tuple[str, str]


@dataclass(slots=True, frozen=True)
class Hit:
    sor_id: str
    kind: str
    name: str
    to_date: str | None
    matched: Matched | None = None  # None: the name matched
    path: tuple[tuple[str, str, str], ...] = ()  # (sor_id, kind, name) of its ancestors, the owner first


@dataclass(slots=True, frozen=True)
class SearchPage:
    """One page of a search's hits and how many there are in all."""

    hits: list[Hit]
    total: int  # every hit, counted up to COUNT_CAP
    more: bool = False  # more than COUNT_CAP hits (``total`` is COUNT_CAP then)
    offset: int = 0

    def count_text(self) -> str:
        """ "57 hits", "10,000+ hits"."""
        return f"{self.total:,}{'+' if self.more else ''} hit{'' if self.total == 1 and not self.more else 's'}"


@dataclass(slots=True, frozen=True)
class Scope:
    """The subtree a search is limited to: its root, and the entity rowids in it as ranges."""

    sor_id: str
    name: str
    runs: tuple[tuple[int, int], ...]  # (first, last) rowids, ascending and apart

    def __contains__(self, rowid: object) -> bool:
        i = bisect.bisect_right(self.runs, rowid, key=_first) - 1
        return i >= 0 and rowid <= self.runs[i][1]  # type: ignore[operator]

    @property
    def span(self) -> tuple[int, int]:
        return self.runs[0][0], self.runs[-1][1]


def _first(run: tuple[int, int]) -> int:
    return run[0]


def subtree_scope(conn: sqlite3.Connection, sor_id: str) -> Scope | None:
    """The scope of ``sor_id`` and everything below it; None if there is no such unit.

    Units imported together have consecutive rowids (an import writes a subtree in one go), so a
    subtree is one range or a few: units created or moved since break it up.
    """
    row = conn.execute("SELECT name FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
    if row is None:
        return None
    rowids = conn.execute(
        """
        WITH RECURSIVE down(sor_id, r, depth) AS (
            SELECT sor_id, rowid, 0 FROM entity WHERE sor_id = ?
            UNION ALL
            SELECT e.sor_id, e.rowid, down.depth + 1 FROM entity e JOIN down ON e.parent_sor_id = down.sor_id
            WHERE down.depth < 64
        )
        SELECT r FROM down ORDER BY r
        """,
        (sor_id,),
    )
    runs: list[list[int]] = []
    for (rowid,) in rowids:
        if runs and runs[-1][1] == rowid - 1:
            runs[-1][1] = rowid
        else:
            runs.append([rowid, rowid])
    return Scope(sor_id, row[0], tuple((a, b) for a, b in runs))


# -- units ------------------------------------------------------------------------------------


def search(
    conn: sqlite3.Connection, text: str, limit: int = 50, offset: int = 0, scope: Scope | None = None
) -> SearchPage:
    """Hits ``offset`` to ``offset + limit`` of the units matching ``text`` (ranked as ``search_index`` says)."""
    terms = Terms.parse(text)
    if not terms:
        return SearchPage([], 0, False, offset)
    page, total, more = _ranked(conn, terms, max(0, offset), max(0, limit), scope)
    return SearchPage(_hits(conn, terms, page), total, more, offset)


def search_sor_ids(conn: sqlite3.Connection, text: str, limit: int, scope: Scope | None = None) -> list[str]:
    """The SOR-koder of the first ``limit`` hits of ``text``, in the order ``search`` gives them."""
    terms = Terms.parse(text)
    if not terms:
        return []
    page, _, _ = _ranked(conn, terms, 0, limit, scope)
    ids = dict(_entity_column(conn, "sor_id", [r for r, _ in page]))
    return [ids[r] for r, _ in page]


def _ranked(
    conn: sqlite3.Connection, terms: Terms, offset: int, limit: int, scope: Scope | None
) -> tuple[list[tuple[int, Matched | None]], int, bool]:
    """(page of (rowid, code that matched), number of hits, more than COUNT_CAP).

    Up to RANK_ALL hits are read and ranked at once; with more, the page is taken tier by tier
    (``first_come``), which reads no further than the page, and the hits are counted by SQLite.
    """
    keep = scope.__contains__ if scope is not None else None
    codes = first_come(_code_arms(conn, terms), 0, COUNT_CAP + 1, keep) if terms.code else []
    code_ids = {r for r, _ in codes}
    matches = _text_rowids(conn, terms, scope)
    rowids = list(itertools.islice(matches, RANK_ALL + 1))
    ranked = None
    if len(rowids) <= RANK_ALL:  # every text hit in hand
        rows = _contents(conn, [r for r in rowids if r not in code_ids])
        ranked = sorted((terms.tier(n, o), r) for r, (n, o) in rows.items())
        found = len(codes) + len(ranked)
    else:
        in_text = _text_count(conn, terms, scope, COUNT_CAP + 1)
        if codes:  # a code hit that the text matches too is counted once
            in_text -= sum(terms.tier(n, o) is not None for n, o in _contents(conn, list(code_ids)).values())
        found = len(codes) + in_text
    total, more = min(found, COUNT_CAP), found > COUNT_CAP
    if ranked is not None and found <= RANK_ALL:
        everything: list[tuple[int, Matched | None]] = [*codes, *((r, None) for _, r in ranked)]
        return everything[offset : offset + limit], total, more
    arms: Iterator[Iterable[tuple[int, Matched | None]]] = itertools.chain(
        _code_arms(conn, terms), _text_arms(conn, terms, scope)
    )  # each run when reached
    page = first_come(arms, offset, limit, keep)
    return page, total, more


def _span(scope: Scope | None) -> tuple[str, dict[str, int]]:
    if scope is None:
        return "", {}
    lo, hi = scope.span
    return " AND rowid BETWEEN :lo AND :hi", {"lo": lo, "hi": hi}


def _text_count(conn: sqlite3.Connection, terms: Terms, scope: Scope | None, cap: int) -> int:
    """How many units the text matches (in the scope), counted up to ``cap``."""
    span, params = _span(scope)
    params["q"] = terms.any_fts()
    if scope is None or len(scope.runs) == 1:  # the rowid range is the scope: SQLite counts
        sql = f"SELECT count(*) FROM (SELECT 1 FROM search WHERE search MATCH :q{span} LIMIT :cap)"
        return conn.execute(sql, {**params, "cap": cap}).fetchone()[0]
    return sum(1 for _ in itertools.islice(_text_rowids(conn, terms, scope), cap))


def _text_rowids(conn: sqlite3.Connection, terms: Terms, scope: Scope | None) -> Iterator[int]:
    """The rowids of the units the text matches (in the scope), ascending."""
    span, params = _span(scope)
    rows = conn.execute(f"SELECT rowid FROM search WHERE search MATCH :q{span}", {"q": terms.any_fts(), **params})
    return (r for (r,) in rows if scope is None or r in scope)


def _text_arms(conn: sqlite3.Connection, terms: Terms, scope: Scope | None) -> Iterator[Iterable[tuple[int, None]]]:
    """The units the text matches, one arm per tier (each in rowid order; run when reached).

    A tier that holds nothing is read to its end for nothing: a piece from inside a word leaves
    every word-start tier empty, a word cut short every whole-word tier. One look at the widest of
    them (a match anywhere in the unit) says so, and the tiers within it are skipped.
    """
    span, params = _span(scope)

    def holds_any(tier: int) -> bool:
        sql = f"SELECT 1 FROM search WHERE search MATCH :q{span} LIMIT 1"
        return conn.execute(sql, {"q": terms.fts(tier), **params}).fetchone() is not None

    skip: set[int] = set()
    for widest in (TIERS.index((START, False)), TIERS.index((WHOLE, False))):
        if widest not in skip and not holds_any(widest):
            skip |= {t for t in range(len(TIERS)) if _within(t, widest)}
    for tier in range(len(TIERS)):
        if tier not in skip:
            sql = f"SELECT rowid, NULL FROM search WHERE search MATCH :q{span}"
            yield conn.execute(sql, {"q": terms.fts(tier), **params})


def _within(tier: int, wider: int) -> bool:
    """Whether every match of ``tier`` is one of ``wider`` (a looser or equal level, no narrower column)."""
    (level, name_only), (wider_level, wider_name_only) = TIERS[tier], TIERS[wider]
    return level <= wider_level and (name_only or not wider_name_only)


# (what, code column, entity rowid, from, order): the SQL of (entity rowid, code) for a condition on the code column
_CODE_SOURCES = (
    ("SOR-kode", "sor_id", "rowid", "entity", "sor_id"),
    ("lokationsnummer", "l.gln", "e.rowid", "location l JOIN entity e ON e.sor_id = l.owner_sor_id", "l.gln"),
    ("SHAK-kode", "shak_code", "rowid", "entity", "shak_code, rowid"),
    ("ydernummer", "provider_number", "rowid", "entity", "provider_number, rowid"),
)
# (what, column, the SQL of (entity rowid, code) for a condition on the code column, in code order)
_CODES = tuple(
    (what, column, f"SELECT {rowid}, {column} FROM {source} WHERE {column} {{cond}} ORDER BY {order}")
    for what, column, rowid, source, order in _CODE_SOURCES
)
_PREFIX_END = "\U0010ffff"  # sorts after every character: key <= code < key + this is "code starts with key"


def _code_arms(conn: sqlite3.Connection, terms: Terms) -> Iterator[Iterable[tuple[int, Matched]]]:
    """Units whose code equals ``terms.code`` (each kind of code in turn), then those whose code starts
    with it; with words after the code, only the units whose name or address matches them."""
    if terms.code is None:
        return
    params = {"key": terms.code, "end": terms.code + _PREFIX_END}
    for exact in (True, False):
        for what, column, sql in _CODES:
            cond = "= :key" if exact else f">= :key AND {column} < :end"
            rows = ((rowid, (what, code)) for rowid, code in conn.execute(sql.format(cond=cond), params))
            yield rows if terms.rest is None else _narrowed(conn, rows, terms.rest)


def _narrowed(
    conn: sqlite3.Connection, rows: Iterator[tuple[int, Matched]], rest: Terms
) -> Iterator[tuple[int, Matched]]:
    """The ``rows`` of units whose name or address matches ``rest``, read a batch at a time."""
    while batch := list(itertools.islice(rows, 500)):
        contents = _contents(conn, [rowid for rowid, _ in batch])
        yield from (row for row in batch if rest.tier(*contents.get(row[0], ("", ""))) is not None)


def _contents(conn: sqlite3.Connection, rowids: list[int]) -> dict[int, tuple[str, str]]:
    """rowid -> (name, other) as the index holds them, for ``rowids``."""
    if not rowids:
        return {}
    rows = conn.execute(
        "SELECT rowid, name, other FROM search WHERE rowid IN (SELECT value FROM json_each(?))", (json.dumps(rowids),)
    )
    return {r: (n, o) for r, n, o in rows}


def _entity_column(conn: sqlite3.Connection, column: str, rowids: list[int]) -> list[tuple[int, str]]:
    sql = f"SELECT rowid, {column} FROM entity WHERE rowid IN (SELECT value FROM json_each(?))"
    return conn.execute(sql, (json.dumps(rowids),)).fetchall()


# -- the tree's filter: the rule of search on names and codes, as one SQL query -----------------

_NAME_ANYWHERE = TIERS.index((INSIDE, True))  # every word inside a word of the name


def name_or_code_rowids(text: str) -> tuple[str, dict[str, str]] | None:
    """SQL (with its parameters) of the entity rowids whose name or code matches ``text`` as search
    matches it (``Terms``: folded words in the name; a first word like a code: the start of a
    SOR-kode, lokationsnummer, SHAK-kode or ydernummer, narrowed by the words after it); None: nothing typed.
    """
    terms = Terms.parse(text)
    if not terms:
        return None
    params = {"q": terms.fts(_NAME_ANYWHERE)}
    arms = ["SELECT rowid FROM search WHERE search MATCH :q"]
    if terms.code is not None:
        params |= {"key": terms.code, "end": terms.code + _PREFIX_END}
        narrowed = ""
        if terms.rest is not None:
            params["rest"] = terms.rest.fts(_NAME_ANYWHERE)
            narrowed = " AND {rowid} IN (SELECT rowid FROM search WHERE search MATCH :rest)"
        for _, column, rowid, source, _ in _CODE_SOURCES:
            where = f"{column} >= :key AND {column} < :end" + narrowed.format(rowid=rowid)
            arms.append(f"SELECT {rowid} FROM {source} WHERE {where}")
    return " UNION ".join(arms), params


# -- what a hit shows ---------------------------------------------------------------------------


def _hits(conn: sqlite3.Connection, terms: Terms, page: list[tuple[int, Matched | None]]) -> list[Hit]:
    if not page:
        return []
    rowids = json.dumps([r for r, _ in page])
    rows = conn.execute(
        "SELECT rowid, sor_id, kind, name, to_date, pharmacy_number, local_code FROM entity"
        " WHERE rowid IN (SELECT value FROM json_each(?))",
        (rowids,),
    ).fetchall()
    units = {r[0]: r[1:] for r in rows}
    paths = _paths(conn, [u[0] for u in units.values()])
    addresses = _addresses(conn, [u[0] for u in units.values()])
    hits = []
    for rowid, code in page:
        sor_id, kind, name, to_date, pharmacy, local = units[rowid]
        parts = [("adresse", a) for a in addresses.get(sor_id, [])]
        parts += [(what, v) for what, v in (("apoteksnummer", pharmacy), ("lokalkode", local)) if v]
        matched = code or _matched_part(terms, name, parts)
        hits.append(Hit(sor_id, kind, name, to_date, matched, paths.get(sor_id, ())))
    return hits


def _matched_part(terms: Terms, name: str, parts: list[Matched]) -> Matched | None:
    """The address or code that holds a word the name does not (None: the name holds them all)."""
    in_name = indexed(name)
    missing = [w for w in terms.words if level_in(w, in_name) is None]
    for part in parts:
        text = indexed(part[1])
        if any(level_in(w, text) is not None for w in missing):
            return part
    return None


def _paths(conn: sqlite3.Connection, sor_ids: list[str]) -> dict[str, tuple[tuple[str, str, str], ...]]:
    """sor_id -> its ancestors (sor_id, kind, name), the owner first."""
    rows = conn.execute(
        """
        WITH RECURSIVE up(hit, sor_id, depth) AS (
            SELECT e.sor_id, e.parent_sor_id, 1 FROM entity e WHERE e.sor_id IN (SELECT value FROM json_each(:ids))
            UNION ALL
            SELECT up.hit, e.parent_sor_id, up.depth + 1 FROM up JOIN entity e ON e.sor_id = up.sor_id
            WHERE up.depth < 64
        )
        SELECT up.hit, e.sor_id, e.kind, e.name FROM up JOIN entity e ON e.sor_id = up.sor_id
        ORDER BY up.hit, up.depth DESC
        """,
        {"ids": json.dumps(sor_ids)},
    )
    paths: dict[str, list[tuple[str, str, str]]] = {}
    for hit, *ancestor in rows:
        paths.setdefault(hit, []).append(tuple(ancestor))  # type: ignore[arg-type]
    return {k: tuple(v) for k, v in paths.items()}


_ADDRESS_PARTS = ("sublocation", "street", "building", "floor", "suite", "po_box", "postcode", "district_name")


def _addresses(conn: sqlite3.Connection, sor_ids: list[str]) -> dict[str, list[str]]:
    """sor_id -> its addresses on one line each, by kind."""
    rows = conn.execute(
        f"SELECT sor_id, {', '.join(_ADDRESS_PARTS)} FROM address"
        " WHERE sor_id IN (SELECT value FROM json_each(?)) ORDER BY sor_id, kind",
        (json.dumps(sor_ids),),
    )
    found: dict[str, list[str]] = {}
    for sor_id, *parts in rows:
        address = Address("", **dict(zip(_ADDRESS_PARTS, parts, strict=True)))
        found.setdefault(sor_id, []).append(address.one_line())
    return found


# -- SHAK codes -------------------------------------------------------------------------------

_SHAK_TIERS = [i for i, (_, name_only) in enumerate(TIERS) if name_only]  # the SHAK index has one column


def shak_search(
    conn: sqlite3.Connection, text: str, on: str, all_versions: bool = False, limit: int = 200
) -> list[ShakEntry]:
    """Codes matching ``text`` as units do: code prefix, then words of a version's text, ranked; valid on ``on``."""
    terms = Terms.parse(text)
    if not terms:
        return []
    valid = "" if all_versions else f" AND {shak_valid_sql('s')}"
    params: dict[str, object] = {"on": on}

    def by_code() -> Iterator[Iterable[tuple[str, None]]]:
        if not terms.code:
            return
        code = {**params, "key": terms.code, "end": terms.code + _PREFIX_END}
        narrowed = valid
        if terms.rest is not None:  # the words after the code narrow the codes found
            code["rest"] = terms.rest.any_fts()
            narrowed += " AND s.rowid IN (SELECT rowid FROM search_shak WHERE search_shak MATCH :rest)"
        yield conn.execute(f"SELECT s.code, NULL FROM shak_code s WHERE s.code = :key{narrowed}", code)
        prefix = (
            f"SELECT s.code, NULL FROM shak_code s WHERE s.code >= :key AND s.code < :end{narrowed} ORDER BY s.code"
        )
        yield conn.execute(prefix, code)

    def by_text() -> Iterator[Iterable[tuple[str, None]]]:
        for tier in _SHAK_TIERS:
            sql = (
                "SELECT s.code, NULL FROM search_shak f JOIN shak_code s ON s.rowid = f.rowid"
                f" WHERE search_shak MATCH :q{valid} ORDER BY f.rowid"
            )
            yield conn.execute(sql, {**params, "q": terms.fts(tier, name_only_table=True)})

    keys = [code for code, _ in first_come(itertools.chain(by_code(), by_text()), 0, limit)]
    return shak_entries(conn, keys, on, all_versions)
