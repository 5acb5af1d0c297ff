"""The organisation tree filtered in place: the units whose name or code matches, and the units above them.

A filter is worked out once, in SQL, into two temporary tables of a connection of its own
(``FilterTable``): ``HITS``, the units that match and are shown on the view date (they and every
unit above them valid on it), and ``KEPT``, those and their ancestors. The tree's levels are then
read as always, a page at a time, narrowed to ``KEPT`` (``queries.level_children(within=KEPT)``):
memory stays bounded however many units match, as the tables live in SQLite's temporary store.
How a name or code matches is search's rule (``search.name_or_code_rowids``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sortui.store import db
from sortui.store.queries import valid_on_sql
from sortui.store.search import name_or_code_rowids

HITS = "temp.filter_hit"
KEPT = "temp.filter_kept"
_MAX_DEPTH = 64  # as the tree's other walks up and down


class FilterClosed(Exception):
    """The filter was cleared while a page of it was still to be read."""


def fill(conn: sqlite3.Connection, text: str, on: str | None) -> int:
    """Work out the filter ``text`` on ``conn``'s temporary tables (``on``: only what is valid then, as the
    tree shows it; None: closed units too); answers how many units match."""
    conn.execute(f"DROP TABLE IF EXISTS {HITS}")
    conn.execute(f"DROP TABLE IF EXISTS {KEPT}")
    conn.execute(f"CREATE TABLE {HITS} (sor_id TEXT PRIMARY KEY) WITHOUT ROWID")
    conn.execute(f"CREATE TABLE {KEPT} (sor_id TEXT PRIMARY KEY) WITHOUT ROWID")
    matching = name_or_code_rowids(text)
    if matching is None:
        return 0
    sql, params = matching
    valid = valid_on_sql("e") if on else "1"
    shown = valid_on_sql("p") if on else "1"
    # a hit is shown when the walk up from it reaches an owner through valid units only
    conn.execute(
        f"""
        INSERT OR IGNORE INTO {HITS} (sor_id)
        WITH RECURSIVE up(hit, parent, depth) AS (
            SELECT e.sor_id, e.parent_sor_id, 0 FROM entity e WHERE e.rowid IN ({sql}) AND {valid}
            UNION ALL
            SELECT up.hit, p.parent_sor_id, up.depth + 1 FROM up JOIN entity p ON p.sor_id = up.parent
            WHERE {shown} AND up.depth < {_MAX_DEPTH}
        )
        SELECT hit FROM up WHERE parent IS NULL
        """,
        {**params, "on": on},
    )
    conn.execute(
        f"""
        INSERT OR IGNORE INTO {KEPT} (sor_id)
        WITH RECURSIVE k(sor_id) AS (
            SELECT sor_id FROM {HITS}
            UNION
            SELECT e.parent_sor_id FROM entity e JOIN k ON e.sor_id = k.sor_id WHERE e.parent_sor_id IS NOT NULL
        )
        SELECT sor_id FROM k
        """
    )
    return conn.execute(f"SELECT count(*) FROM {HITS}").fetchone()[0]


def hits_among(conn: sqlite3.Connection, sor_ids: list[str]) -> set[str]:
    """Which of ``sor_ids`` match the filter (the others are kept for the units below them)."""
    marks = ",".join("?" * len(sor_ids))
    return {r[0] for r in conn.execute(f"SELECT sor_id FROM {HITS} WHERE sor_id IN ({marks})", sor_ids)}


class FilterTable:
    """A filter worked out on a connection of its own, which the tree's thread workers take in turn."""

    def __init__(self, path: Path, text: str, on: str | None, readonly: bool = False) -> None:
        self.text = text
        self.on = on
        self._conn = db.connect(path, readonly=readonly)
        self._lock = threading.Lock()
        self._closed = False
        try:
            self.count = fill(self._conn, text, on)
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The filter's connection for this thread alone until the block ends (``FilterClosed``: cleared)."""
        with self._lock:
            if self._closed:
                raise FilterClosed
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()
