"""The FTS5 search index over names, codes (SOR id, SHAK, ydernummer, GLN, ...) and addresses.

The ``folded`` column holds name and address as ASCII skeletons (``domain.text.ascii_fold``,
registered on every connection as the SQL function ``sortui_fold``), so "vaerlose" finds Værløse.
"""

from __future__ import annotations

import sqlite3


def search_rows_sql(where: str = "") -> str:
    """INSERT of FTS rows (names, codes, addresses) for the entities selected by ``where``."""
    return f"""
        INSERT INTO search (rowid, sor_id, name, codes, address, folded)
        SELECT rowid, sor_id, name, codes, address, sortui_fold(name || ' ' || address) FROM (
        SELECT e.rowid AS rowid, e.sor_id AS sor_id, e.name AS name,
               e.sor_id || ' ' || coalesce(e.shak_code, '') || ' ' || coalesce(e.provider_number, '') || ' '
               || replace(coalesce(e.pharmacy_number, ''), ',', ' ') || ' ' || coalesce(e.local_code, '') || ' '
               || coalesce((SELECT group_concat(l.gln, ' ') FROM location l WHERE l.owner_sor_id = e.sor_id), '')
               AS codes,
               coalesce((SELECT group_concat(
                   coalesce(a.street, '') || ' ' || coalesce(a.building, '') || ' ' || coalesce(a.postcode, '')
                   || ' ' || coalesce(a.district_name, ''), ' ') FROM address a WHERE a.sor_id = e.sor_id), '')
               AS address
        FROM entity e {where})
        """


def rebuild_search(conn: sqlite3.Connection) -> None:
    """Refill the FTS5 index from the entity tables."""
    conn.execute("DELETE FROM search")
    conn.execute(search_rows_sql())


def refresh_search_row(conn: sqlite3.Connection, sor_id: str) -> None:
    """Re-index one entity after an edit."""
    rowid = conn.execute("SELECT rowid FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
    if rowid is None:
        return
    conn.execute("DELETE FROM search WHERE rowid = ?", rowid)
    conn.execute(search_rows_sql("WHERE e.sor_id = ?"), (sor_id,))
