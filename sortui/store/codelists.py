"""The working copy's code lists: names of codes, the codes a field can take, and extending the lists.

``code_list`` holds (list, code, text, confirmed, source): the lists shipped in
``data/codelists`` (source ``shipped``; ``confirmed`` says which names are the register's and
which are inferred or guessed) and the codes imported from a code-list file
(``formats/codelist.py``; source: the file's name), which add codes and rename known ones but never
remove any. A new sortui's shipped lists reach an older working copy by its migration, and never
overwrite a name imported from the register's file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sortui.domain.codelists import ENTITY_TYPE_LISTS, CodeEntry, CodeName
from sortui.paths import data_dir

SHIPPED = "shipped"


# -- reading ---------------------------------------------------------------------------


def name_of(conn: sqlite3.Connection, lst: str, code: str | None) -> CodeName | None:
    """The name list ``lst`` gives ``code`` (None: no code, or the list has no name for it)."""
    if not code:
        return None
    row = conn.execute("SELECT text, confirmed FROM code_list WHERE list = ? AND code = ?", (lst, code)).fetchone()
    return CodeName(*row) if row else None


def names(conn: sqlite3.Connection, lst: str) -> dict[str, CodeName]:
    """Every code of list ``lst`` with its name."""
    rows = conn.execute("SELECT code, text, confirmed FROM code_list WHERE list = ?", (lst,))
    return {code: CodeName(text, confirmed) for code, text, confirmed in rows}


# Where the codes of a list are used in the working copy: (SQL selecting code and count).
_IN_USE = {
    **{
        lst: (f"SELECT entity_type_code, count(*) FROM entity WHERE kind = '{kind}'"
              " AND entity_type_code IS NOT NULL GROUP BY 1")
        for kind, lst in ENTITY_TYPE_LISTS.items()
    },
    "geo_parent_relation": "SELECT geo_parent_relation, count(*) FROM entity"
    " WHERE geo_parent_relation IS NOT NULL GROUP BY 1",
    "speciality": "SELECT code, count(*) FROM speciality GROUP BY 1",
    "speciality_type": "SELECT type_code, count(*) FROM speciality WHERE type_code IS NOT NULL GROUP BY 1",
    **{
        lst: f"SELECT {column}, count(*) FROM location WHERE {column} IS NOT NULL GROUP BY 1"
        for lst, column in (
            ("system_supplier", "system_supplier"),
            ("system_type", "system_type"),
            ("communication_supplier", "communication_supplier"),
            ("region", "region_code"),
            ("edi_administrator", "edi_administrator"),
        )
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Code:
    """A code a field can take: named by the lists, used in the working copy, or both."""

    code: str
    name: CodeName | None
    used: int  # how many units / lokationsnumre carry it


def codes_of(conn: sqlite3.Connection, lst: str) -> list[Code]:
    """The codes of list ``lst``: the named ones and those the working copy uses without a name,
    the named ones first by name, then the unknown ones by how often they are used."""
    known = names(conn, lst)
    used = dict(conn.execute(_IN_USE[lst]).fetchall()) if lst in _IN_USE else {}
    found = [Code(code, name, used.get(code, 0)) for code, name in known.items()]
    found.sort(key=lambda c: (c.name.text.casefold() if c.name else "", c.code))
    unknown = sorted((c for c in used if c not in known), key=lambda c: (-used[c], c))
    return found + [Code(code, None, used[code]) for code in unknown]


@dataclass(frozen=True, slots=True)
class ListSummary:
    list: str
    codes: int
    doubtful: int  # names that are inferred or unconfirmed
    imported: int  # codes whose names came from an imported file
    unknown_in_use: int  # codes the working copy uses that the list has no name for


def summary(conn: sqlite3.Connection, lists: Iterable[str]) -> list[ListSummary]:
    out = []
    for lst in lists:
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE confirmed != 'yes'), count(*) FILTER (WHERE source != ?)"
            " FROM code_list WHERE list = ?",
            (SHIPPED, lst),
        ).fetchone()
        unknown = sum(1 for c in codes_of(conn, lst) if c.name is None)
        out.append(ListSummary(lst, row[0], row[1], row[2], unknown))
    return out


def entries(conn: sqlite3.Connection, lst: str) -> list[tuple[str, str, str, str]]:
    """(code, text, confirmed, source) of every code of list ``lst``, by code."""
    rows = conn.execute("SELECT code, text, confirmed, source FROM code_list WHERE list = ? ORDER BY code", (lst,))
    return [tuple(r) for r in rows]


# -- writing ---------------------------------------------------------------------------


def shipped_entries() -> list[CodeEntry]:
    """The code lists shipped with sortui: ``codes.csv`` and the net operators of MedCom's EER."""
    import csv

    from sortui.formats.codelist import read_code_list  # only to create or migrate a working copy

    folder = data_dir() / "codelists"
    found = list(read_code_list(folder / "codes.csv"))
    with open(folder / "net-operators.csv", encoding="utf-8", newline="") as fh:
        found += [CodeEntry("communication_supplier", r["code"], r["name"]) for r in csv.DictReader(fh)]
    return found


def load_shipped(conn: sqlite3.Connection) -> None:
    """Write the shipped lists (not a transaction of its own); a name imported from a file is kept."""
    conn.executemany(
        "INSERT INTO code_list (list, code, text, confirmed, source) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (list, code) DO UPDATE SET text = excluded.text, confirmed = excluded.confirmed"
        " WHERE code_list.source = excluded.source",
        [(e.list, e.code, e.text, e.confirmed, SHIPPED) for e in shipped_entries()],
    )


@dataclass(frozen=True, slots=True)
class Imported:
    added: int
    renamed: int
    unchanged: int
    lists: list[str]


def import_files(conn: sqlite3.Connection, paths: Sequence[Path]) -> list[Imported]:
    """Add the codes of code-list files to the lists, renaming codes known already: every file is read
    and checked whole first (``InputError`` names the file and line, and nothing is written), then all
    are written in one transaction. One ``Imported`` a file."""
    from sortui.formats.codelist import read_code_list
    from sortui.store.db import write_transaction

    found = [(Path(path).name, list(read_code_list(Path(path)))) for path in paths]
    done = []
    with write_transaction(conn):
        for source, file_entries in found:
            done.append(_write_entries(conn, source, file_entries))
    return done


def _write_entries(conn: sqlite3.Connection, source: str, found: list[CodeEntry]) -> Imported:
    added = renamed = unchanged = 0
    for e in found:
        row = conn.execute("SELECT text FROM code_list WHERE list = ? AND code = ?", (e.list, e.code)).fetchone()
        if row is None:
            added += 1
        elif row[0] != e.text:
            renamed += 1
        else:
            unchanged += 1
        conn.execute(
            "INSERT OR REPLACE INTO code_list (list, code, text, confirmed, source) VALUES (?, ?, ?, ?, ?)",
            (e.list, e.code, e.text, e.confirmed, source),
        )
    return Imported(added, renamed, unchanged, sorted({e.list for e in found}))
