"""The pending changes: the local journal grouped by unit / lokationsnummer with before → after, and
each bulk change as one row.

u undoes the change under the cursor (``journal.undo``, which refuses out of order and says why; a
bulk change is undone whole), D discards every pending change (after a confirmation), enter goes to
the unit, esc goes back.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from sortui.domain.words import plural
from sortui.screens.list_screen import ListScreen, OnChange
from sortui.store import journal
from sortui.store.journal import EditError, JournalEntry
from sortui.widgets.edit_data import ChangeGroup, changes_words, describe_entry, load_changes
from sortui.widgets.guard import reports_errors
from sortui.widgets.safe import Fitted, clean
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


def bulk_text(group: ChangeGroup) -> Text:
    """A bulk change's one row: its entries' numbers and how many, undone as one."""
    ids = [e.id for e in group.entries]
    t = Text(f"  #{ids[0]}–#{ids[-1]}  " if len(ids) > 1 else f"  #{ids[0]:<5}", style="dim")
    t.append(plural(len(ids), "entry", "entries"), style="bold")
    keys = group.keys
    shown = ", ".join(clean(k) for k in keys[:3]) + (f", … {len(keys) - 3} more" if len(keys) > 3 else "")
    t.append(f": {shown}  ")
    t.append("u undoes them all", style="dim")
    if any(e.status != "pending" for e in group.entries):
        t.append("  (being sent)", style="dim")
    return t


class ChangeList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False, id="changes.down"),
        Binding("k", "cursor_up", "Up", show=False, id="changes.up"),
    ]


class ChangesScreen(ListScreen[list[ChangeGroup], Row]):
    """Answers a SOR-kode to go to (enter), or None."""

    HELP_TITLE = "Pending changes"
    HELP = (
        "The edits in the journal not yet synchronised, newest last; a bulk change is one line. u undoes the "
        "change under the cursor (a bulk change whole), D discards them all."
    )

    NAME = "changes"
    HEADING = "Pending changes"
    LIST = ChangeList
    READONLY_NOTICE = "Read-only: the journal cannot be changed"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "u", "undo", "Undo", tooltip="Undo the change under the cursor (a bulk change whole)", id="changes.undo"
        ),
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
            if group.bulk:
                options.append(Option(Fitted(bulk_text(group))))
                self.rows.append((group, group.entries[0]))
                continue
            for entry in group.entries:
                options.append(Option(Fitted(entry_text(entry))))
                self.rows.append((group, entry))
        listing = self.listing
        old = listing.highlighted
        listing.clear_options()
        listing.add_options(options or [Option(Text("No pending changes", style="dim"), disabled=True)])
        entries = [i for i, (_, e) in enumerate(self.rows) if e is not None]
        if entries:
            listing.highlighted = min(entries, key=lambda i: abs(i - (old or 0)))
        detail = Text(changes_words(self.groups))
        if self.source.readonly:
            detail.append("  READ-ONLY", style="bold")
        self.show_title(detail)

    def sor_id_of(self, row: Row) -> str | None:
        return row[0].sor_id

    def action_undo(self) -> None:
        row = self.current()
        if self.refuse_readonly() or row is None or row[1] is None:
            return
        self._undo(row[1].id, row[0].keys)

    @work(thread=True, exclusive=True, group="changes-write")
    @reports_errors
    def _undo(self, entry_id: int, keys: list[str]) -> None:
        try:
            with self.source.connection() as conn:
                undone = journal.undo(conn, entry_id)
        except (EditError, KeyError) as exc:
            problems = exc.problems if isinstance(exc, EditError) else []
            text = "; ".join(p.message for p in problems) or f"no change #{entry_id}"
            self.post_message(self.Done(f"Not undone: {text}", "error", []))
            return
        done = (
            f"Undone #{entry_id}"
            if len(undone) == 1
            else f"Undone the bulk change: {plural(len(undone), 'entry', 'entries')}"
        )
        self.post_message(self.Done(done, "information", keys))

    def action_discard_all(self) -> None:
        from sortui.screens.confirm import ConfirmScreen

        count = sum(len(g.entries) for g in self.groups)
        if self.refuse_readonly() or not count:
            return
        body = Text(f"Every pending change is reverted: {changes_words(self.groups)}.")
        screen = ConfirmScreen("Discard all pending changes?", body, "discard all")
        self.app.push_screen(screen, lambda yes: self._discard() if yes else None)

    @work(thread=True, exclusive=True, group="changes-write")
    @reports_errors
    def _discard(self) -> None:
        keys = [k for g in self.groups for k in g.keys]
        with self.source.connection() as conn:
            count = journal.discard_all(conn)
        self.post_message(self.Done(f"Discarded {plural(count, 'pending change')}", "information", keys))
