"""What the review screens show, read in thread workers (no Textual here): a session's item with its
details and the reason it is queued, the rows of the decided list and of the queue, the sessions."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rich.text import Text

from sortui.store import describe, queries, review
from sortui.widgets.detail_text import pending_text, unit_text
from sortui.widgets.marks import marked_words
from sortui.widgets.safe import clean, safe_text

DECIDED_ROWS = 20  # rows of the decided list fetched after each decision
QUEUE_ROWS = 20  # rows of the queue window around the current item
QUEUE_BEFORE = 2  # of which before the current item
DECISION_MARKS = {"approved": "✓", "flagged": "⚑", "skipped": "↷"}
DECISION_STYLES = {"approved": "bold", "flagged": "bold reverse", "skipped": "dim"}


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the decided list or of the queue."""

    seq: int
    target: str
    key: str
    label: str  # the unit's name, or the location number's owner
    reason: str
    decision: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class ItemView:
    """The item at a position: the queue row, the title and the details."""

    row: Row
    details: Text
    missing: bool = False  # the unit or number is no longer in the working copy


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a read after a move or a decision found (None: not asked for)."""

    seq: int
    view: ItemView | None
    summary: review.SessionSummary | None = None
    decided: list[Row] | None = None
    window: list[Row] | None = None


def label_of(conn: sqlite3.Connection, target: str, key: str) -> str:
    """A unit's name, or for a lokationsnummer its owner's name."""
    sor_id: str | None = key
    if target == "location":
        loc = queries.location(conn, key)
        sor_id = loc.owner_sor_id if loc else None
    node = queries.node(conn, sor_id) if sor_id else None
    return node.name if node else ""


def row_of(conn: sqlite3.Connection, it: review.Item) -> Row:
    return Row(it.seq, it.target, it.key, label_of(conn, it.target, it.key), it.reason, it.decision, it.note)


def item_view(conn: sqlite3.Connection, name: str, seq: int, on: str) -> ItemView | None:
    """Item ``seq`` of session ``name`` with its details (``unit_text``, or the lokationsnummer's)."""
    it = review.item(conn, name, seq)
    if it is None:
        return None
    row = row_of(conn, it)
    try:
        details = _location_details(conn, it.key) if it.target == "location" else unit_text(conn, it.key, on)[0]
    except KeyError:
        what = "Lokationsnummer" if it.target == "location" else "SOR-kode"
        return ItemView(row, Text(f"{what} {it.key} is no longer in the working copy", style="bold"), True)
    return ItemView(row, details)


def _location_details(conn: sqlite3.Connection, gln: str) -> Text:
    t = describe.as_text(describe.location(conn, gln))
    pending_text(t, conn, [gln])
    return safe_text(t)


def read(
    conn: sqlite3.Connection, name: str, seq: int, on: str, *, progress: bool = False, window: bool = False
) -> Snapshot:
    """The item at ``seq``; with ``progress`` the counts and the decided list; with ``window`` the queue around it."""
    view = item_view(conn, name, seq, on)
    summary = review.summary(conn, name) if progress else None
    decided = [row_of(conn, it) for it in review.decided(conn, name, DECIDED_ROWS)] if progress else None
    rows = None
    if window:
        start = max(0, seq - 1 - QUEUE_BEFORE)
        rows = [row_of(conn, it) for it in review.items(conn, name, start, QUEUE_ROWS)]
    return Snapshot(seq, view, summary, decided, rows)


# -- the sessions ----------------------------------------------------------------------


def source_text(source: str) -> str:
    """Where a session's queue came from, in words."""
    kind, _, value = source.partition(":")
    if kind == "rule":
        rule = review.RULES.get(value)
        return f"rule: {rule.title if rule else value}"
    if kind == "marked":
        return marked_words(int(value)) if value.isdigit() else "marked units"
    return {"search": f"search: {value}", "subtree": f"subtree {value}"}.get(kind, source)


def suggest_name(base: str, taken: set[str]) -> str:
    """``base`` (shortened), or with a number when a session has that name already."""
    base = " ".join(clean(base).split())[:40] or "review"
    name, n = base, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    return name


def decision_text(decision: str | None, note: str | None) -> Text:
    if decision is None:
        return Text("undecided", style="dim")
    t = Text(f"{DECISION_MARKS[decision]} {decision}", style=DECISION_STYLES[decision])
    if note:
        t.append(f": {clean(note)}")
    return t
