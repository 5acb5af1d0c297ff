"""Working copies as older versions of sortui left them, for the migration tests."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

# The search table before version 3 (a word-prefix index, no SHAK texts' index).
WORD_PREFIX_SEARCH = (
    "CREATE VIRTUAL TABLE search USING fts5(sor_id UNINDEXED, name, codes, address, folded, "
    "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 3')"
)
ADDED_AT_2 = ("import_change", "import_run", "download")


def make_version(path: Path, version: int) -> None:
    """Turn the current working copy at ``path`` into one of schema ``version`` (1 or 2), its data kept."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DROP TABLE search")
        conn.execute("DROP TABLE search_shak")
        conn.execute(WORD_PREFIX_SEARCH)
        conn.execute(
            "INSERT INTO search (rowid, sor_id, name, codes, address, folded)"
            " SELECT rowid, sor_id, name, sor_id, '', lower(name) FROM entity"
        )
        if version < 2:
            for table in ADDED_AT_2:
                conn.execute(f"DROP TABLE {table}")
        conn.execute(f"PRAGMA user_version = {version}")
