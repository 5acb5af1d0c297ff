"""The search index and the one way sortui matches and ranks what was typed.

Two FTS5 tables with the trigram tokenizer: ``search`` over the units (rowid = the entity's; ``name``
and ``other``: the addresses, apoteksnummer and lokalkode) and ``search_shak`` over the texts of the
SHAK codes (rowid = the shak_code row's). Both hold text as ``indexed_words`` writes it: the words
folded (``domain.text.search_words``) with spaces around them, so that a trigram phrase finds a word
start or a whole word as a plain substring.

What a search matches, the same in the main search, the SHAK filter, review queues and ``sortui
search`` (``Terms``):

* every word typed must match (folded: "vaerlose" finds Værløse, "aeldre" Ældre);
* a word of three characters or more matches anywhere inside a word ("kirurg" finds
  Ortopædkirurgisk), one of one or two characters only at the start of a word: a trigram index
  cannot look up less than three characters, and "er" inside words would match nearly everything;
* the matches are ranked by ``TIERS``, the first that holds for every word: whole words of the
  name, word starts of the name, whole words of name or address, word starts of either, inside
  words of the name, anywhere; within a tier in rowid order (the order of the imported file);
* a first word of three or more letters and digits starting with a digit is also the start of a
  code: units whose SOR-kode, lokationsnummer, SHAK-kode or ydernummer is that word come first,
  then those whose code starts with it, then the text matches (``search.search``); the words after
  it narrow the units found by code as they narrow any ("1301 anæst").

What goes into a row is defined once, in ``search_values``: the importer computes the rows in
Python while the entities stream past (``search_row``); a rebuild and the re-index after an edit
read the same values back from the tables (``rebuild_search``, ``refresh_search_row``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from sortui.domain.model import Entity
from sortui.domain.text import search_words

# case_sensitive: the text is folded before it is indexed; columnsize=0: no bm25 (the tiers rank), and
# writing no column sizes makes an import's index 15 % cheaper.
_FTS_OPTIONS = "tokenize = 'trigram case_sensitive 1', columnsize = 0"
SEARCH_DDL = f"CREATE VIRTUAL TABLE search USING fts5(name, other, {_FTS_OPTIONS})"
SEARCH_SHAK_DDL = f"CREATE VIRTUAL TABLE search_shak USING fts5(name, {_FTS_OPTIONS})"
INSERT_SQL = "INSERT INTO search (rowid, name, other) VALUES (?, ?, ?)"

# Address parts (street, building, postcode, district_name) of one address, as the index holds them.
AddressParts = tuple[str | None, str | None, str | None, str | None]

# How well a word matches: a whole word, the start of a word, anywhere inside one.
WHOLE, START, INSIDE = 0, 1, 2
# The tiers of a ranking, best first: (how well every word must match, in the name only or anywhere).
TIERS: tuple[tuple[int, bool], ...] = (
    (WHOLE, True),
    (START, True),
    (WHOLE, False),
    (START, False),
    (INSIDE, True),
    (INSIDE, False),
)
SHORTEST_INSIDE = 3  # words shorter than this match only at the start of a word
SHORTEST_CODE = 3  # a first word shorter than this is not looked up as the start of a code


def indexed_words(words: Iterable[tuple[str, ...]]) -> str:
    """Words (each with its forms, ``search_words``) as the index holds them: two spaces before each
    form and one after the last.

    The spaces make word starts and whole words findable as plain substrings: " kir" starts a word,
    " kirurgisk " is one, and "  k" (two spaces) a word starting with k, which a trigram index can
    find although the letter alone is shorter than three characters.
    """
    body = "".join(f"  {form}" for forms in words for form in forms)
    return body + " " if body else ""


class _Indexed(dict):
    """A run of text without spaces -> its part of ``indexed``, filled as met; emptied when large."""

    def __missing__(self, token: str) -> str:
        if len(self) >= 1 << 16:
            self.clear()
        part = self[token] = indexed_words(search_words(token))[:-1]
        return part


_indexed = _Indexed()


class _IndexedText(dict):
    """A whole text -> ``indexed`` of it, filled as met; emptied when large. Of 20,000 generated
    units, 5,674 names are different: most names and addresses are met again whole."""

    def __missing__(self, text: str) -> str:
        if len(self) >= 1 << 16:
            self.clear()
        body = "".join(map(_indexed.__getitem__, text.split()))
        part = self[text] = body + " " if body else ""
        return part


_indexed_text = _IndexedText()


def indexed(text: str) -> str:
    """``indexed_words(search_words(text))``, through a cache of whole texts and one of words (names
    and addresses repeat; no form of a word spans a space, so the result is the same)."""
    return _indexed_text[text]


# -- rows -------------------------------------------------------------------------------------


def search_values(
    name: str,
    pharmacy_number: str | None,
    local_code: str | None,
    addresses: Iterable[AddressParts],
) -> tuple[str, str]:
    """(name, other) of one entity's search row; ``addresses`` ordered by kind.

    SOR-kode, SHAK-kode, ydernummer and lokationsnummer are not in it: their own indexes find them
    by prefix (``search.search``).
    """
    parts = [" ".join(p for p in address if p) for address in addresses]
    parts += [p for p in (pharmacy_number, local_code) if p]
    return indexed(name), indexed(" ".join(parts))


def _by_kind(addr: object) -> str:
    return addr.kind  # type: ignore[attr-defined]


def search_row(ent: Entity) -> tuple[str, str]:
    """The search values of an entity as read from a file."""
    addresses = ent.addresses
    if len(addresses) > 1:
        addresses = sorted(addresses, key=_by_kind)
    return search_values(
        ent.name,
        ent.pharmacy_number,
        ent.local_code,
        [(a.street, a.building, a.postcode, a.district_name) for a in addresses],
    )


_ENTITY_SQL = "SELECT rowid, sor_id, name, pharmacy_number, local_code FROM entity"
_ADDRESS_SQL = "SELECT sor_id, street, building, postcode, district_name FROM address"


def _rows_from_tables(conn: sqlite3.Connection, sor_id: str | None = None) -> Iterator[tuple[int, str, str]]:
    """(rowid, name, other) of every entity, or of the one with ``sor_id``.

    The queries run here, before the caller starts inserting; their rows are merged as they are taken.
    """
    if sor_id is None:
        entities = conn.execute(_ENTITY_SQL + " ORDER BY sor_id")
        addresses = conn.execute(_ADDRESS_SQL + " ORDER BY sor_id, kind")
    else:
        entities = conn.execute(_ENTITY_SQL + " WHERE sor_id = ?", (sor_id,))
        addresses = conn.execute(_ADDRESS_SQL + " WHERE sor_id = ? ORDER BY kind", (sor_id,))
    return _merged(entities, _Side(addresses))


def _grouped(rows: Iterable[Sequence]) -> Iterator[tuple[str, list[tuple]]]:
    """(key, [rest of row, ...]) for rows ordered by their first column."""
    current: str | None = None
    group: list[tuple] = []
    for key, *rest in rows:
        if key != current:
            if current is not None:
                yield current, group
            current, group = key, []
        group.append(tuple(rest))
    if current is not None:
        yield current, group


class _Side:
    """The groups of one side table, taken in step with the entities (a merge join on sor_id)."""

    def __init__(self, rows: Iterable[Sequence]):
        self._groups = _grouped(rows)
        self._next = next(self._groups, None)

    def take(self, sor_id: str) -> list[tuple]:
        while self._next is not None and self._next[0] < sor_id:
            self._next = next(self._groups, None)
        if self._next is not None and self._next[0] == sor_id:
            return self._next[1]
        return []


def _merged(entities: Iterable[Sequence], address_side: _Side) -> Iterator[tuple[int, str, str]]:
    for rowid, sid, name, pharmacy, local in entities:
        yield (rowid, *search_values(name, pharmacy, local, address_side.take(sid)))


def rebuild_search(conn: sqlite3.Connection) -> None:
    """Refill the units' index from the entity tables."""
    conn.execute("DELETE FROM search")
    conn.executemany(INSERT_SQL, _rows_from_tables(conn))


def refresh_search_row(conn: sqlite3.Connection, sor_id: str) -> None:
    """Re-index one entity after an edit."""
    rowid = conn.execute("SELECT rowid FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
    if rowid is None:
        return
    conn.execute("DELETE FROM search WHERE rowid = ?", rowid)
    conn.executemany(INSERT_SQL, list(_rows_from_tables(conn, sor_id)))


def rebuild_search_shak(conn: sqlite3.Connection) -> None:
    """Refill the SHAK texts' index from the shak_code table (after a SHAK file was imported)."""
    conn.execute("DELETE FROM search_shak")
    rows = conn.execute("SELECT rowid, text FROM shak_code")
    conn.executemany("INSERT INTO search_shak (rowid, name) VALUES (?, ?)", ((r, indexed(t or "")) for r, t in rows))


# FTS5 merges a level's segments into one when it has this many (default 4): each entry is written
# again at fewer levels, which at 600,000 units makes the import's index a quarter cheaper, and
# searches no slower (measured: benchmarks/README.md).
AUTOMERGE = 16


def create_indexes(conn: sqlite3.Connection) -> None:
    """Create both search tables, empty (``sqlite3.OperationalError`` "no such tokenizer" before SQLite 3.34)."""
    for table, ddl in (("search", SEARCH_DDL), ("search_shak", SEARCH_SHAK_DDL)):
        conn.execute(ddl)
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', {AUTOMERGE})")


# -- matching and ranking -----------------------------------------------------------------------


Needles = tuple[tuple[str, str, str | None], ...]  # per form of a word: (whole word, word start, inside)


def _needles(word: tuple[str, ...]) -> Needles:
    """What to look for in the indexed text for each form of ``word``: the same in Python and FTS5 (``_phrase``).

    A form of one letter is looked for after two spaces: three characters, which a trigram index finds.
    """
    found = []
    for form in word:
        lead = "  " if len(form) == 1 else " "
        found.append((f"{lead}{form} ", lead + form, form if len(form) >= SHORTEST_INSIDE else None))
    return tuple(found)


_NO_MATCH = INSIDE + 1


def _level(needles: Needles, text: str) -> int:
    """How well a word matches the indexed ``text``: WHOLE, START, INSIDE or _NO_MATCH."""
    best = _NO_MATCH
    for whole, start, inside in needles:
        if start in text:
            if whole in text:
                return WHOLE
            best = START
        elif best > INSIDE and inside is not None and inside in text:
            best = INSIDE
    return best


def _phrase(needles: Needles, level: int) -> str:
    """The FTS5 query that finds a form of a word at ``level`` (``INSIDE`` is ``START`` for a short form)."""
    phrases = [f'"{(whole, start, inside or start)[level]}"' for whole, start, inside in needles]
    return phrases[0] if len(phrases) == 1 else f"({' OR '.join(phrases)})"


def level_in(word: tuple[str, ...], text: str) -> int | None:
    """How well a form of ``word`` matches the indexed ``text``: WHOLE, START, INSIDE or None (as ``_phrase``)."""
    level = _level(_needles(word), text)
    return None if level == _NO_MATCH else level


@dataclass(frozen=True, slots=True)
class Terms:
    """What was typed, as search matches it: the folded words and, for a code, the key."""

    words: tuple[tuple[str, ...], ...]  # each word in its forms (``domain.text.search_words``)
    code: str | None = None  # the first word as the start of a code (upper case), if it can be one
    rest: Terms | None = None  # what a unit found by that code must match besides (the words after it)
    needles: tuple[Needles, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needles", tuple(_needles(w) for w in self.words))

    @classmethod
    def parse(cls, text: str) -> Terms:
        """``text`` as search matches it; its first word, written like a code, is also a code's start."""
        first, *after = text.split(maxsplit=1) or [""]
        if not (len(first) >= SHORTEST_CODE and first[0].isdigit() and first.isalnum() and first.isascii()):
            return cls(tuple(search_words(text)))
        rest = cls(tuple(search_words(after[0]))) if after else None
        return cls(tuple(search_words(text)), first.upper(), rest or None)

    def __bool__(self) -> bool:
        return bool(self.words)

    def fts(self, tier: int, name_only_table: bool = False) -> str:
        """The FTS5 query of ``TIERS[tier]``: every word at that level, in the name column or any column."""
        level, name_only = TIERS[tier]
        column = "name : " if name_only and not name_only_table else ""
        return " AND ".join(column + _phrase(needles, level) for needles in self.needles)

    def any_fts(self) -> str:
        """The FTS5 query of every match (the last tier)."""
        return self.fts(len(TIERS) - 1)

    def tier(self, name: str, other: str = "") -> int | None:
        """The first of ``TIERS`` that the indexed ``name`` and ``other`` satisfy (None: no match)."""
        worst_name = worst_anywhere = WHOLE
        for needles in self.needles:
            in_name = _level(needles, name)
            anywhere = in_name if in_name == WHOLE or not other else min(in_name, _level(needles, other))
            worst_name, worst_anywhere = max(worst_name, in_name), max(worst_anywhere, anywhere)
        for i, (level, name_only) in enumerate(TIERS):
            if (worst_name if name_only else worst_anywhere) <= level:
                return i
        return None


Key = TypeVar("Key")
Label = TypeVar("Label")


def first_come(
    arms: Iterable[Iterable[tuple[Key, Label]]],
    offset: int,
    limit: int,
    keep: Callable[[Key], bool] | None = None,
) -> list[tuple[Key, Label]]:
    """Rows ``offset`` to ``offset + limit`` of the arms in turn, each key once: ``[(key, label), ...]``.

    Each arm is iterated lazily and only while the page is not full, so an arm is read to its end
    only when every arm before it held fewer rows than the page needs: the keys seen stay fewer
    than ``offset + limit`` plus the duplicates met. ``keep`` filters the keys (a subtree).
    """
    seen: set[Key] = set()
    out: list[tuple[Key, Label]] = []
    want = offset + limit
    if limit <= 0:
        return out
    for arm in arms:
        for key, label in arm:
            if key in seen or (keep is not None and not keep(key)):
                continue
            seen.add(key)
            if len(seen) > offset:
                out.append((key, label))
                if len(seen) >= want:
                    return out
    return out
