"""Batches of edits (``sortui set --from FILE``, ``sortui edi add|remove --from-file FILE``): all or nothing.

A batch runs the validated edit operations of ``store.edits`` in one write transaction
(``db.write_transaction``), each edit a savepoint of it: every line is checked against the working
copy as the lines before it left it, an edit that is refused undoes only itself and is listed by
its line, and at the end the batch commits, one journal group (listed as one change and undone
in one step, as a bulk change is), or, if any line was refused, rolls back whole. Consecutive lines of one key are one edit, validated together
(a unit's Gyldig fra and Gyldig til, say). Memory does not grow with the batch: what is kept is
counts, the first problems and the distinct warnings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sortui.formats.edit_batch import EdiLine, SetLine
from sortui.store import edits
from sortui.store.db import write_transaction
from sortui.store.journal import EditError, JournalEntry, new_group

MAX_LISTED = 20  # problems (and warnings) listed; the rest are counted


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    message: str


@dataclass(slots=True)
class BatchResult:
    """What a batch did: journal entries ``first_id``..``last_id`` of group ``group_id`` (none when
    nothing changed)."""

    changes: int = 0
    group_id: int | None = None
    first_id: int | None = None
    last_id: int | None = None
    lines: int = 0
    unchanged: list[int] = field(default_factory=list)  # lines that changed nothing (up to MAX_LISTED)
    unchanged_count: int = 0
    warnings: dict[str, None] = field(default_factory=dict)  # distinct, in order (up to MAX_LISTED)

    def record(self, entries: list[JournalEntry], lines: list[int]) -> None:
        self.lines += len(lines)
        if not entries:
            self.unchanged_count += len(lines)
            self.unchanged += lines[: MAX_LISTED - len(self.unchanged)]
            return
        self.changes += len(entries)
        self.first_id = entries[0].id if self.first_id is None else self.first_id
        self.last_id = entries[-1].id
        for warning in (w for e in entries for w in e.warnings):
            if len(self.warnings) < MAX_LISTED:
                self.warnings.setdefault(warning)


class BatchError(Exception):
    """Lines of a batch the rules refuse: nothing of the batch was written."""

    def __init__(self, problems: list[LineProblem], count: int):
        super().__init__(f"{count} edits refused")
        self.problems = problems  # the first MAX_LISTED
        self.count = count


class _Refused(Exception):
    """A line refused before any edit operation sees it."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


class _Problems:
    def __init__(self) -> None:
        self.listed: list[LineProblem] = []
        self.count = 0

    def add(self, line: int, message: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED:
            self.listed.append(LineProblem(line, message))


def apply_set_batch(conn: sqlite3.Connection, lines: Iterable[SetLine]) -> BatchResult:
    """Set every field the lines name (a unit's by SOR-kode, a location number's by GLN), or nothing."""
    return _run_batch(conn, groupby(lines, key=lambda ln: ln.key), _set_group)


def apply_edi_batch(conn: sqlite3.Connection, action: str, lines: Iterable[EdiLine]) -> BatchResult:
    """Add (``action`` 'add') or remove each line's message type on its location number, or nothing."""
    return _run_batch(conn, ((ln.line, [ln]) for ln in lines), lambda c, _, group: _edi_line(c, action, group[0]))


Group = tuple[Any, Iterable[Any]]
Apply = Callable[[sqlite3.Connection, Any, list[Any]], list[JournalEntry]]


def _run_batch(conn: sqlite3.Connection, groups: Iterator[Group], apply: Apply) -> BatchResult:
    result, problems = BatchResult(), _Problems()
    with write_transaction(conn):
        for key, members in groups:
            group = list(members)
            try:
                with write_transaction(conn):  # a savepoint: a refused edit undoes only itself
                    entries = apply(conn, key, group)
            except EditError as exc:
                for problem in exc.problems:
                    problems.add(_line_of(group, problem.field), problem.message)
                continue
            except _Refused as exc:
                problems.add(exc.line, exc.message)
                continue
            result.record(entries, [ln.line for ln in group])
        if problems.count:
            raise BatchError(problems.listed, problems.count)  # rolls the whole batch back
        if result.first_id is not None:
            result.group_id = _group(conn, result.first_id, result.last_id)
    return result


def _group(conn: sqlite3.Connection, first_id: int, last_id: int | None) -> int:
    """Make the batch's entries one journal group (the write lock is held: no other entry is among them)."""
    group = new_group(conn)
    conn.execute("UPDATE journal SET group_id = ? WHERE id BETWEEN ? AND ?", (group, first_id, last_id))
    return group


def _line_of(group: list[Any], path: str) -> int:
    """The line of ``group`` that set ``path`` (the group's first line for a problem of the whole)."""
    name = path.removeprefix("location.")
    return next((ln.line for ln in group if getattr(ln, "field", None) in (path, name)), group[0].line)


def _set_group(conn: sqlite3.Connection, key: str, group: list[SetLine]) -> list[JournalEntry]:
    seen: dict[str, int] = {}
    for ln in group:
        if ln.field in seen:
            raise _Refused(ln.line, f"{ln.field} of {key} is set on line {seen[ln.field]} already")
        seen[ln.field] = ln.line
    entries = edits.set_by_key(conn, key, [(ln.field, ln.value) for ln in group])
    if entries is None:
        raise _Refused(group[0].line, f"{key}: no unit or lokationsnummer with that key")
    return entries


def _edi_line(conn: sqlite3.Connection, action: str, ln: EdiLine) -> list[JournalEntry]:
    if action == "add":
        entry = edits.add_message(conn, ln.gln, ln.message, ln.from_date, ln.to_date)
    else:
        entry = edits.remove_message(conn, ln.gln, ln.message)
    return [entry] if entry else []
