"""The FTS5 search index over names, codes (SOR id, SHAK, ydernummer, GLN, ...) and addresses.

The ``folded`` column holds name and address as ASCII skeletons (``domain.text.ascii_fold``), so
"vaerlose" finds Værløse.

What goes into a row is defined once, in ``search_values``: the importer computes the rows in
Python while the entities stream past (``search_row``); a rebuild and the re-index after an edit
read the same values back from the tables (``rebuild_search``, ``refresh_search_row``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence

from sortui.domain.model import Entity
from sortui.domain.text import ascii_fold

INSERT_SQL = "INSERT INTO search (rowid, sor_id, name, codes, address, folded) VALUES (?, ?, ?, ?, ?, ?)"

# Address parts (street, building, postcode, district_name) of one address, as the index holds them.
AddressParts = tuple[str | None, str | None, str | None, str | None]


class _FoldedWords(dict):
    """word -> ascii_fold(word), filled as words are met; emptied when large, so memory stays flat."""

    def __missing__(self, word: str) -> str:
        if len(self) >= 1 << 16:
            self.clear()
        folded = self[word] = ascii_fold(word)
        return folded


_folded_words = _FoldedWords()


def fold(text: str) -> str:
    """``ascii_fold(text)``, word by word through a cache (names and addresses repeat their words).

    The same as folding the whole text: every step of ``ascii_fold`` maps characters or
    character pairs that never include a space, and a space folds to itself.
    """
    return " ".join(map(_folded_words.__getitem__, text.split(" ")))


def search_values(
    sor_id: str,
    name: str,
    shak_code: str | None,
    provider_number: str | None,
    pharmacy_number: str | None,
    local_code: str | None,
    glns: Iterable[str],
    addresses: Iterable[AddressParts],
) -> tuple[str, str, str, str, str]:
    """(sor_id, name, codes, address, folded) of one entity's search row.

    ``glns`` are its own location numbers (oldest first), ``addresses`` its addresses ordered by kind.
    """
    codes = (
        f"{sor_id} {shak_code or ''} {provider_number or ''} {(pharmacy_number or '').replace(',', ' ')} "
        f"{local_code or ''} {' '.join(glns)}"
    )
    address = " ".join([f"{s or ''} {b or ''} {p or ''} {d or ''}" for s, b, p, d in addresses])
    return sor_id, name, codes, address, fold(f"{name} {address}")


def _by_kind(addr: object) -> str:
    return addr.kind  # type: ignore[attr-defined]


def search_row(ent: Entity) -> tuple[str, str, str, str, str]:
    """The search values of an entity as read from a file (its own location number, its addresses)."""
    addresses = ent.addresses
    if len(addresses) > 1:
        addresses = sorted(addresses, key=_by_kind)
    return search_values(
        ent.sor_id,
        ent.name,
        ent.shak_code,
        ent.provider_number,
        ent.pharmacy_number,
        ent.local_code,
        (ent.location.gln,) if ent.location is not None else (),
        [(a.street, a.building, a.postcode, a.district_name) for a in addresses],
    )


_ENTITY_SQL = "SELECT rowid, sor_id, name, shak_code, provider_number, pharmacy_number, local_code FROM entity"
_GLN_SQL = "SELECT owner_sor_id, gln FROM location"
_ADDRESS_SQL = "SELECT sor_id, street, building, postcode, district_name FROM address"


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


def _rows_from_tables(conn: sqlite3.Connection, sor_id: str | None = None) -> Iterator[tuple]:
    """(rowid, sor_id, name, codes, address, folded) of every entity, or of the one with ``sor_id``.

    The queries run here, before the caller starts inserting; their rows are merged as they are taken.
    """
    if sor_id is None:
        entities = conn.execute(_ENTITY_SQL + " ORDER BY sor_id")
        glns = conn.execute(_GLN_SQL + " ORDER BY owner_sor_id, rowid")
        addresses = conn.execute(_ADDRESS_SQL + " ORDER BY sor_id, kind")
    else:
        entities = conn.execute(_ENTITY_SQL + " WHERE sor_id = ?", (sor_id,))
        glns = conn.execute(_GLN_SQL + " WHERE owner_sor_id = ? ORDER BY rowid", (sor_id,))
        addresses = conn.execute(_ADDRESS_SQL + " WHERE sor_id = ? ORDER BY kind", (sor_id,))
    return _merged(entities, _Side(glns), _Side(addresses))


def _merged(entities: Iterable[Sequence], gln_side: _Side, address_side: _Side) -> Iterator[tuple]:
    for rowid, sid, name, shak, provider, pharmacy, local in entities:
        own_glns = [g for (g,) in gln_side.take(sid)]
        yield (rowid, *search_values(sid, name, shak, provider, pharmacy, local, own_glns, address_side.take(sid)))


def rebuild_search(conn: sqlite3.Connection) -> None:
    """Refill the FTS5 index from the entity tables."""
    conn.execute("DELETE FROM search")
    conn.executemany(INSERT_SQL, _rows_from_tables(conn))


def refresh_search_row(conn: sqlite3.Connection, sor_id: str) -> None:
    """Re-index one entity after an edit."""
    rowid = conn.execute("SELECT rowid FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
    if rowid is None:
        return
    conn.execute("DELETE FROM search WHERE rowid = ?", rowid)
    conn.executemany(INSERT_SQL, list(_rows_from_tables(conn, sor_id)))
