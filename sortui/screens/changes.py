"""The pending changes: the local journal grouped by unit / location number with before → after.

u undoes the entry under the cursor (``journal.undo``, which refuses out of order and says why),
D discards every pending change (after a confirmation), enter goes to the unit, esc goes back.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sortui.screens.list_screen import ListScreen, OnChange
from sortui.store import journal
from sortui.store.journal import EditError, JournalEntry
from sortui.widgets.edit_data import ChangeGroup, describe_entry, load_changes
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import clean
from sortui.widgets.source import Source

Row = tuple[ChangeGroup, JournalEntry | None]  # a group's heading (no entry), or one of its entries


def entry_text(entry: JournalEntry) -> Text:
    what, before, after = describe_entry(entry)
    t = Text(f"  #{entry.id:<5}", style="dim")
    t.append(clean(what), style="bold")
    t.append(": ")
    t.append(clean(before))
    t.append(" → ", style="bold")
    t.append(clean(after))
    if entry.status != "pending":
        t.append(f"  ({entry.status})", style="dim")
    return t


class ChangeList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="changes.down"),
        Binding("k", "cursor_up", "Up", show=False, id="changes.up"),
    ]


class ChangesScreen(ListScreen[list[ChangeGroup], Row]):
    """Answers a SOR id to go to (enter), or None."""

    NAME = "changes"
    HEADING = "Ventende ændringer"
    LIST = ChangeList
    READONLY_NOTICE = "Read-only: the journal cannot be changed"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "undo", "Undo", tooltip="Undo the change under the cursor", id="changes.undo"),
        Binding("D", "discard_all", "Discard all", tooltip="Revert every pending change", id="changes.discard"),
        Binding("escape,P", "close", "Back", id="changes.close"),
    ]

    def __init__(self, source: Source, on_change: OnChange) -> None:
        super().__init__(source, on_change)
        self.groups: list[ChangeGroup] = []

    def read(self, conn: sqlite3.Connection) -> list[ChangeGroup]:
        return load_changes(conn)

    def show(self, data: list[ChangeGroup]) -> None:
        self.groups = data
        self.rows = []
        options = []
        for group in self.groups:
            options.append(Option(Text(clean(group.title), style="bold underline"), disabled=True))
            self.rows.append((group, None))
            for entry in group.entries:
                options.append(Option(entry_text(entry)))
                self.rows.append((group, entry))
        listing = self.listing
        old = listing.highlighted
        listing.clear_options()
        listing.add_options(options or [Option(Text("No pending changes", style="dim"), disabled=True)])
        entries = [i for i, (_, e) in enumerate(self.rows) if e is not None]
        if entries:
            listing.highlighted = min(entries, key=lambda i: abs(i - (old or 0)))
        count = sum(len(g.entries) for g in self.groups)
        n = len(self.groups)
        groups = f"{n} {'unit / location number' if n == 1 else 'units / location numbers'}"
        detail = Text(f"{count} changes on {groups}")
        if self.source.readonly:
            detail.append("  READ-ONLY", style="bold")
        self.show_title(detail)

    def sor_id_of(self, row: Row) -> str | None:
        return row[0].sor_id

    def action_undo(self) -> None:
        row = self.current()
        if self.refuse_readonly() or row is None or row[1] is None:
            return
        self._undo(row[1].id, row[0].key)

    @work(thread=True, exclusive=True, group="changes-write")
    @reports_errors
    def _undo(self, entry_id: int, key: str) -> None:
        try:
            with self.source.connection() as conn:
                journal.undo(conn, entry_id)
        except (EditError, KeyError) as exc:
            problems = exc.problems if isinstance(exc, EditError) else []
            text = "; ".join(p.message for p in problems) or f"no change #{entry_id}"
            self.post_message(self.Done(f"Not undone: {text}", "error", []))
            return
        self.post_message(self.Done(f"Undone #{entry_id}", "information", [key]))

    def action_discard_all(self) -> None:
        from sortui.screens.confirm import ConfirmScreen

        count = sum(len(g.entries) for g in self.groups)
        if self.refuse_readonly() or not count:
            return
        body = Text(f"All {count} pending changes in {len(self.groups)} units / location numbers are reverted.")
        screen = ConfirmScreen("Discard all pending changes?", body, "discard all")
        self.app.push_screen(screen, lambda yes: self._discard() if yes else None)

    @work(thread=True, exclusive=True, group="changes-write")
    @reports_errors
    def _discard(self) -> None:
        keys = [g.key for g in self.groups]
        with self.source.connection() as conn:
            count = journal.discard_all(conn)
        self.post_message(self.Done(f"Discarded {count} pending changes", "information", keys))
