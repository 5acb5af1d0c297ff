"""What changed: the changes the last import (or update) made, by kind and by institution.

Each change is a line (the record, then its fields old → new); enter goes to its unit (a SHAK
code's change: to the code in the SHAK navigator), ``m`` marks every change as seen (the tree
marks the units not seen yet with ●), esc goes back. At most ``MAX_SHOWN`` changes are listed:
``sortui diff --since-snapshot`` lists them all.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sortui.screens.list_screen import ListScreen, OnChange
from sortui.store import diff
from sortui.store.diff import Change, Summary
from sortui.widgets.change_text import (
    GROUP_TITLES,
    TARGET_TITLES,
    change_title,
    field_line,
    institution_line,
    shown_fields,
)
from sortui.widgets.guard import reports_errors
from sortui.widgets.org_tree import CHANGED_MARK
from sortui.widgets.source import Source

MAX_SHOWN = 2000
MAX_FIELDS = 4  # a change's fields shown under it; more are counted
SHAK_KEY = "shak:"  # what enter answers for a SHAK code's change (a SOR id otherwise)


@dataclass(slots=True)
class LastImport:
    when: str | None = None  # None: no import recorded
    summary: Summary = field(default_factory=Summary)
    changes: list[Change] = field(default_factory=list)  # the first MAX_SHOWN


def read_last_import(conn: sqlite3.Connection) -> LastImport:
    found = diff.last_import(conn)
    if found is None:
        return LastImport()
    when, summary = found
    summary.counts = diff.change_counts(conn)
    return LastImport(when, summary, list(islice(diff.read_changes(conn), MAX_SHOWN)))


def change_option(change: Change) -> Text:
    """A change as one entry of the list: the record, then up to ``MAX_FIELDS`` fields."""
    text = Text(f" {CHANGED_MARK}" if not change.seen else "  ", style="bold yellow")
    text.append_text(change_title(change, " "))
    fields = list(shown_fields(change).items())
    for path, (old, new) in fields[:MAX_FIELDS]:
        text.append("\n")
        text.append_text(field_line(path, old, new))
    if len(fields) > MAX_FIELDS:
        text.append(f"\n      … and {len(fields) - MAX_FIELDS} more fields", style="dim")
    return text


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


class WhatChangedList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="what_changed.down"),
        Binding("k", "cursor_up", "Up", show=False, id="what_changed.up"),
    ]


Row = Change | None  # a change, or a heading


class WhatChangedScreen(ListScreen[LastImport, Row]):
    """Answers the SOR id of the unit to go to, ``shak:CODE`` for a SHAK code, or None."""

    HELP_TITLE = "What changed"
    HELP = (
        "What the last import or update changed, by kind and institution: enter goes to the unit (or the "
        "SHAK-kode), m marks every change as seen."
    )
    NAME = "what-changed"
    HEADING = "What changed"
    LIST = WhatChangedList
    READONLY_NOTICE = "Read-only: what has been seen is not kept"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "m", "mark_seen", "All seen", tooltip="Mark every change as seen (the tree's ● go)", id="what_changed.seen"
        ),
        Binding("escape,w", "close", "Back", id="what_changed.close"),
    ]

    def __init__(self, source: Source, on_change: OnChange) -> None:
        super().__init__(source, on_change)
        self.last = LastImport()

    def read(self, conn: sqlite3.Connection) -> LastImport:
        return read_last_import(conn)

    def show(self, data: LastImport) -> None:
        self.last = data
        self.rows, options = [], []
        for row, prompt in self._entries(data):
            self.rows.append(row)
            options.append(Option(prompt, disabled=row is None))
        listing = self.listing
        old = listing.highlighted
        listing.clear_options()
        listing.add_options(options or [Option(Text(self._empty_text(data), style="dim"), disabled=True)])
        changes = [i for i, row in enumerate(self.rows) if row is not None]
        if changes:
            listing.highlighted = min(changes, key=lambda i: abs(i - (old or 0)))
        self.show_title(self._title(data))

    def _entries(self, data: LastImport) -> list[tuple[Row, Text]]:
        """The list's lines: a heading per kind of change, a line per institution, an entry per change."""
        entries: list[tuple[Row, Text]] = []
        group, place = None, None
        for change in data.changes:
            if (change.target, change.change) != group:
                group, place = (change.target, change.change), None
                count = data.summary.counts.get(group, 0)
                title = f"{TARGET_TITLES[change.target]} {change.change} ({count:,})"
                entries.append((None, Text(title, style="bold underline")))
            if change.target != "shak" and (place is None or place[0] != change.institution):
                place = (change.institution,)
                entries.append((None, institution_line(change, " ")))
            entries.append((change, change_option(change)))
        shown, total = len(data.changes), sum(data.summary.counts.values())
        if total > shown:
            more = f"… and {total - shown:,} more: `sortui diff --since-snapshot` lists every change"
            entries.append((None, Text(more, style="dim")))
        for group_name, rows in data.summary.only_new.items():
            text = f"{GROUP_TITLES[group_name]}: {rows:,} rows loaded for the first time (not listed as changes)"
            entries.append((None, Text(text, style="dim")))
        return entries

    def _empty_text(self, data: LastImport) -> str:
        if data.when is None:
            return "No import has been recorded in this working copy yet"
        return "The last import changed nothing"

    def _title(self, data: LastImport) -> Text:
        if data.when is None:
            return Text("")
        total = sum(data.summary.counts.values())
        detail = Text(f"last import {_local_time(data.when)}: {total:,} change{'' if total == 1 else 's'}")
        unseen = sum(1 for c in data.changes if not c.seen)
        if unseen:
            detail.append(f"  {CHANGED_MARK} {unseen:,} not seen", style="bold yellow")
        return detail

    def sor_id_of(self, row: Row) -> str | None:
        if row is None:
            return None
        return SHAK_KEY + row.key if row.target == "shak" else row.unit

    def action_mark_seen(self) -> None:
        if self.refuse_readonly():
            return
        self._mark_all_seen()

    @work(thread=True, exclusive=True, group="what-changed-write")
    @reports_errors
    def _mark_all_seen(self) -> None:
        with self.source.connection() as conn:
            units = sorted(diff.unseen_units(conn))
            count = diff.mark_seen(conn)
        notice = f"Marked {count:,} changes as seen" if count else "Every change has been seen already"
        self.post_message(self.Done(notice, "information", units))
