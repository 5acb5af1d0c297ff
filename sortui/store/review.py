"""Bulk review sessions: queues of units or lokationsnumre to go through one at a time.

A session is a fixed queue taken when it starts, from a rule (an SQL query
below: the one place to add new ones), a search or a subtree, and it lives in
the working copy so a reviewer can quit and resume. Decisions are logged so the
last one can be undone.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from sortui.store import queries
from sortui.store import search as searching

DECISIONS = ("approved", "flagged", "skipped")


class ReviewError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    title: str
    sql: str  # selects (target, key, reason) with :on bound to the date, ordered


_OPEN = "(e.to_date IS NULL OR e.to_date >= :on) AND (e.from_date IS NULL OR e.from_date <= :on)"

# Effective values computed top-down: the phone of the nearest contact block, and which
# entity the postal address comes from.
_EFFECTIVE_CTE = """
WITH RECURSIVE eff(sor_id, phone, postal_from) AS (
    SELECT e.sor_id, c.phone, CASE WHEN a.sor_id IS NOT NULL THEN e.sor_id END
    FROM entity e LEFT JOIN contact c ON c.sor_id = e.sor_id
    LEFT JOIN address a ON a.sor_id = e.sor_id AND a.kind = 'postal'
    WHERE e.parent_sor_id IS NULL
    UNION ALL
    SELECT e.sor_id,
           CASE WHEN c.sor_id IS NOT NULL THEN c.phone ELSE eff.phone END,
           CASE WHEN a.sor_id IS NOT NULL THEN e.sor_id ELSE eff.postal_from END
    FROM entity e JOIN eff ON e.parent_sor_id = eff.sor_id
    LEFT JOIN contact c ON c.sor_id = e.sor_id
    LEFT JOIN address a ON a.sor_id = e.sor_id AND a.kind = 'postal'
)
"""

RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "no-message-types",
            "Lokationsnumre without message types",
            """
            SELECT 'location', l.gln, 'lokationsnummer without message types (owner ' || l.owner_sor_id || ')'
            FROM location l
            WHERE (l.to_date IS NULL OR l.to_date >= :on) AND l.non_active = 0
              AND NOT EXISTS (SELECT 1 FROM location_message m WHERE m.gln = l.gln)
            ORDER BY l.gln
            """,
        ),
        Rule(
            "closing-soon",
            "Units that close within 30 days",
            """
            SELECT 'entity', e.sor_id, 'closes ' || e.to_date FROM entity e
            WHERE e.to_date BETWEEN :on AND date(:on, '+30 days')
            ORDER BY e.to_date, e.sort_name
            """,
        ),
        Rule(
            "shak-not-valid",
            "Hospital units whose SHAK-kode is not valid",
            f"""
            SELECT 'entity', e.sor_id,
                   CASE WHEN EXISTS (SELECT 1 FROM shak_code s WHERE s.code = e.shak_code)
                        THEN 'SHAK-kode ' || e.shak_code || ' is not valid on ' || :on
                        ELSE 'SHAK-kode ' || e.shak_code || ' is not in the SHAK file' END
            FROM entity e
            WHERE e.shak_code IS NOT NULL AND {_OPEN}
              AND EXISTS (SELECT 1 FROM shak_code LIMIT 1)
              AND NOT EXISTS (SELECT 1 FROM shak_code s WHERE s.code = e.shak_code AND s.valid_from <= :on
                              AND (s.valid_to IS NULL OR s.valid_to >= :on))
            ORDER BY e.shak_code, e.sor_id
            """,
        ),
        Rule(
            "no-phone",
            "Units without a phone number",
            f"""
            {_EFFECTIVE_CTE}
            SELECT 'entity', e.sor_id, 'no phone number (neither its own nor inherited)'
            FROM eff JOIN entity e ON e.sor_id = eff.sor_id
            WHERE eff.phone IS NULL AND {_OPEN}
            ORDER BY e.sort_name, e.sor_id
            """,
        ),
        Rule(
            "address-from-closed-parent",
            "Units whose address is inherited from a closed unit",
            f"""
            {_EFFECTIVE_CTE}
            SELECT 'entity', e.sor_id, 'Postadresse inherited from ' || p.name || ' (closed ' || p.to_date || ')'
            FROM eff JOIN entity e ON e.sor_id = eff.sor_id JOIN entity p ON p.sor_id = eff.postal_from
            WHERE eff.postal_from <> e.sor_id AND p.to_date < :on AND {_OPEN}
            ORDER BY e.sort_name, e.sor_id
            """,
        ),
    )
}


@dataclass(slots=True)
class SessionSummary:
    name: str
    source: str
    created_at: str
    on_date: str | None
    position: int
    size: int
    decided: int
    approved: int
    flagged: int
    skipped: int


@dataclass(slots=True)
class Item:
    session: str
    seq: int
    target: str
    key: str
    reason: str
    decision: str | None
    note: str | None
    decided_at: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _queue_from_rule(conn: sqlite3.Connection, rule: str, on: str) -> list[tuple[str, str, str]]:
    if rule not in RULES:
        raise ReviewError(f"unknown rule {rule!r}; rules: {', '.join(RULES)}")
    return [tuple(r) for r in conn.execute(RULES[rule].sql, {"on": on})]


def rule_counts(conn: sqlite3.Connection, on: str) -> dict[str, int]:
    """How many items each rule would queue on ``on``."""
    return {
        name: conn.execute(f"SELECT count(*) FROM ({r.sql})", {"on": on}).fetchone()[0] for name, r in RULES.items()
    }


# The most items a review taken from a search holds: a search finding more is refused, not cut short.
SEARCH_QUEUE_MAX = 100_000


def _queue_from_search(conn: sqlite3.Connection, text: str, under: str | None) -> list[tuple[str, str, str]]:
    """The units ``text`` finds (within the subtree of ``under``), in the order the search ranks them."""
    scope = None
    reason = f"search: {text}"
    if under is not None:
        scope = searching.subtree_scope(conn, under)
        if scope is None:
            raise ReviewError(f"no unit with SOR-kode {under}")
        reason += f" in the subtree of {under}"
    ids = searching.search_sor_ids(conn, text, SEARCH_QUEUE_MAX + 1, scope)
    if len(ids) > SEARCH_QUEUE_MAX:
        raise ReviewError(f"the search finds more than {SEARCH_QUEUE_MAX:,} units: narrow it")
    return [("entity", sor_id, reason) for sor_id in ids]


def _queue_from_subtree(conn: sqlite3.Connection, sor_id: str, on: str) -> list[tuple[str, str, str]]:
    if conn.execute("SELECT 1 FROM entity WHERE sor_id = ?", (sor_id,)).fetchone() is None:
        raise ReviewError(f"no unit with SOR-kode {sor_id}")
    rows = conn.execute(
        f"""
        WITH RECURSIVE down(sor_id, depth) AS (
            SELECT :root, 0 UNION ALL
            SELECT e.sor_id, down.depth + 1 FROM entity e JOIN down ON e.parent_sor_id = down.sor_id
        )
        SELECT 'entity', e.sor_id, 'in the subtree of ' || :root FROM down JOIN entity e ON e.sor_id = down.sor_id
        WHERE {_OPEN} ORDER BY down.depth, e.sort_name, e.sor_id
        """,
        {"root": sor_id, "on": on},
    ).fetchall()
    return [tuple(r) for r in rows]


def _queue_from_units(conn: sqlite3.Connection, sor_ids: list[str]) -> list[tuple[str, str, str]]:
    """The units of ``sor_ids`` (the app's marked units) in their order; those not in the working copy are left out."""
    return [("entity", sor_id, "marked in the app") for sor_id in queries.existing_units(conn, sor_ids)]


def start(
    conn: sqlite3.Connection,
    name: str,
    on: str,
    rule: str | None = None,
    search: str | None = None,
    subtree: str | None = None,
    units: list[str] | None = None,
) -> int:
    """Create session ``name`` from one source (a search within ``subtree`` if both are given; ``units``:
    those units, as marked in the app); returns its size."""
    searched_subtree = search is not None and subtree is not None and rule is None and units is None
    if sum(x is not None for x in (rule, search, subtree, units)) != 1 and not searched_subtree:
        raise ReviewError("give one of a rule, a search or a subtree (or a search and a subtree), or units")
    if not name.strip():
        raise ReviewError("a review session needs a name")
    if conn.execute("SELECT 1 FROM review_session WHERE name = ?", (name,)).fetchone():
        raise ReviewError(f"a review session named {name!r} exists already")
    if rule is not None:
        queue, source = _queue_from_rule(conn, rule, on), f"rule:{rule}"
    elif units is not None:
        queue = _queue_from_units(conn, units)
        source = f"marked:{len(queue)}"
    elif search is not None:
        queue = _queue_from_search(conn, search, subtree)
        source = f"search:{search}" + (f" (in the subtree of {subtree})" if subtree else "")
    else:
        queue, source = _queue_from_subtree(conn, subtree or "", on), f"subtree:{subtree}"
    with conn:
        conn.execute(
            "INSERT INTO review_session (name, source, created_at, on_date, position) VALUES (?, ?, ?, ?, 1)",
            (name, source, _now(), on),
        )
        conn.executemany(
            "INSERT INTO review_item (session, seq, target, key, reason) VALUES (?, ?, ?, ?, ?)",
            [(name, i, t, k, r) for i, (t, k, r) in enumerate(queue, 1)],
        )
    return len(queue)


def sessions(conn: sqlite3.Connection) -> list[SessionSummary]:
    rows = conn.execute(
        """
        SELECT s.name, s.source, s.created_at, s.on_date, s.position, count(i.seq),
               count(i.decision), sum(i.decision = 'approved'), sum(i.decision = 'flagged'),
               sum(i.decision = 'skipped')
        FROM review_session s LEFT JOIN review_item i ON i.session = s.name
        GROUP BY s.name ORDER BY s.created_at, s.name
        """
    ).fetchall()
    return [SessionSummary(*r[:6], *(int(x or 0) for x in r[6:])) for r in rows]


def summary(conn: sqlite3.Connection, name: str) -> SessionSummary:
    found = [s for s in sessions(conn) if s.name == name]
    if not found:
        raise ReviewError(f"no review session named {name!r}")
    return found[0]


def item(conn: sqlite3.Connection, name: str, seq: int) -> Item | None:
    row = conn.execute(
        "SELECT session, seq, target, key, reason, decision, note, decided_at FROM review_item"
        " WHERE session = ? AND seq = ?",
        (name, seq),
    ).fetchone()
    return Item(*row) if row else None


def items(conn: sqlite3.Connection, name: str, offset: int = 0, limit: int = 200) -> list[Item]:
    rows = conn.execute(
        "SELECT session, seq, target, key, reason, decision, note, decided_at FROM review_item"
        " WHERE session = ? ORDER BY seq LIMIT ? OFFSET ?",
        (name, limit, offset),
    ).fetchall()
    return [Item(*r) for r in rows]


def decided(conn: sqlite3.Connection, name: str, limit: int = 50) -> list[Item]:
    """The most recent decisions, newest first (the visible list of what was decided)."""
    rows = conn.execute(
        "SELECT session, seq, target, key, reason, decision, note, decided_at FROM review_item"
        " WHERE session = ? AND decision IS NOT NULL ORDER BY decided_at DESC, seq DESC LIMIT ?",
        (name, limit),
    ).fetchall()
    return [Item(*r) for r in rows]


def set_position(conn: sqlite3.Connection, name: str, seq: int) -> None:
    with conn:
        conn.execute("UPDATE review_session SET position = ? WHERE name = ?", (seq, name))


def decide(conn: sqlite3.Connection, name: str, seq: int, decision: str, note: str | None = None) -> int:
    """Record a decision on item ``seq`` and move on; returns the new position."""
    return decide_many(conn, name, [seq], decision, note)


def decide_many(conn: sqlite3.Connection, name: str, seqs: list[int], decision: str, note: str | None = None) -> int:
    """The same decision on several items in one transaction; returns the new position.

    Each is logged with what it replaced, so undo steps back one at a time.
    """
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}")
    if decision == "flagged" and not (note or "").strip():
        raise ReviewError("a flag needs a note saying why")
    row = conn.execute(
        "SELECT s.position, (SELECT count(*) FROM review_item i WHERE i.session = s.name)"
        " FROM review_session s WHERE s.name = ?",
        (name,),
    ).fetchone()
    if row is None:
        raise ReviewError(f"no review session named {name!r}")
    position, size = row
    current = [item(conn, name, seq) for seq in seqs]
    missing = next((seq for seq, it in zip(seqs, current, strict=True) if it is None), None)
    if missing is not None:
        raise ReviewError(f"session {name!r} has no item {missing}")
    now = _now()
    with conn:
        for it in current:
            assert it is not None
            conn.execute(
                "INSERT INTO review_log (session, seq, previous_decision, previous_note, previous_position)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, it.seq, it.decision, it.note, position),
            )
            conn.execute(
                "UPDATE review_item SET decision = ?, note = ?, decided_at = ? WHERE session = ? AND seq = ?",
                (decision, note, now, name, it.seq),
            )
            position = min(it.seq + 1, size)
        conn.execute("UPDATE review_session SET position = ? WHERE name = ?", (position, name))
    return position


def next_undecided(conn: sqlite3.Connection, name: str, after: int) -> int | None:
    """The first item after ``after`` without a decision (wrapping round to the start), None if all are decided."""
    sql = "SELECT min(seq) FROM review_item WHERE session = ? AND decision IS NULL AND seq > ?"
    row = conn.execute(sql, (name, after)).fetchone()
    if row[0] is None:
        row = conn.execute(sql, (name, 0)).fetchone()
    return row[0]


def undo_last(conn: sqlite3.Connection, name: str) -> int | None:
    """Undo the newest decision; returns the item it was on (now the position), None if nothing to undo."""
    row = conn.execute(
        "SELECT id, seq, previous_decision, previous_note, previous_position FROM review_log"
        " WHERE session = ? ORDER BY id DESC LIMIT 1",
        (name,),
    ).fetchone()
    if row is None:
        return None
    log_id, seq, decision, note, _ = row
    decided_at = _now() if decision else None
    with conn:
        conn.execute(
            "UPDATE review_item SET decision = ?, note = ?, decided_at = ? WHERE session = ? AND seq = ?",
            (decision, note, decided_at, name, seq),
        )
        conn.execute("UPDATE review_session SET position = ? WHERE name = ?", (seq, name))
        conn.execute("DELETE FROM review_log WHERE id = ?", (log_id,))
    return seq


def delete(conn: sqlite3.Connection, name: str) -> None:
    summary(conn, name)
    with conn:
        for table, column in (("review_log", "session"), ("review_item", "session"), ("review_session", "name")):
            conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))


def _name_of(conn: sqlite3.Connection, it: Item) -> str:
    sor_id = it.key
    if it.target == "location":
        row = conn.execute("SELECT owner_sor_id FROM location WHERE gln = ?", (it.key,)).fetchone()
        sor_id = row[0] if row else ""
    row = conn.execute("SELECT name FROM entity WHERE sor_id = ?", (sor_id,)).fetchone()
    return row[0] if row else ""


EXPORT_COLUMNS = ("seq", "target", "key", "name", "reason", "decision", "note", "decided_at")


def export(conn: sqlite3.Connection, name: str, fmt: str, path: Path | None) -> str:
    """The session's items with decisions and notes as CSV or JSON; written to ``path`` or returned."""
    info = summary(conn, name)
    rows = [{**asdict(it), "name": _name_of(conn, it)} for it in items(conn, name, 0, info.size or 1)]
    if fmt == "json":
        text = (
            json.dumps(
                {"session": asdict(info), "items": [{c: r[c] for c in EXPORT_COLUMNS} for r in rows]},
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(
            buf, fieldnames=EXPORT_COLUMNS, delimiter=";", extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    else:
        raise ReviewError(f"unknown format {fmt!r}")
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text
